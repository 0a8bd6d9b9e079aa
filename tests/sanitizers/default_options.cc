// SPDX-License-Identifier: Apache-2.0
// The sanitizers' default options, linked into every program of a sanitizer tree
// (-DSTAS_SANITIZE=address or thread, see the top CMakeLists.txt). The runtimes call these
// functions before main(); ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and TSAN_OPTIONS override
// what they return.
//
// Every finding stops the program with exit status 99 and a report on stderr, whether the
// program is a test binary (CTest sees the status) or a daemon or tool a test runs as a child
// process (tests/cli/run_program.h and the D-Bus fixture look for the report in its stderr).

// NOLINTBEGIN: these are C entry points the sanitizer runtimes look up by name.
extern "C" {

#if defined(__SANITIZE_ADDRESS__)
const char* __asan_default_options() {
  return "halt_on_error=1:exitcode=99:detect_leaks=1";
}
const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:exitcode=99";
}
const char* __lsan_default_options() {
  return "exitcode=99:suppressions=" STAS_LSAN_SUPPRESSIONS;
}
#endif

#if defined(__SANITIZE_THREAD__)
const char* __tsan_default_options() {
  return "halt_on_error=1:exitcode=99:second_deadlock_stack=1:suppressions=" STAS_TSAN_SUPPRESSIONS;
}
#endif

}  // extern "C"
// NOLINTEND
