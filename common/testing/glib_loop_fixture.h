// SPDX-License-Identifier: Apache-2.0
// A GoogleTest fixture with a real GlibEventLoop on a private GMainContext (so that nothing
// leaks into GLib's default context), for tests of code that needs the production loop.
#pragma once

#include <chrono>
#include <memory>

#include <glib.h>
#include <gtest/gtest.h>

#include "common/loop/glib_event_loop.h"

namespace stas {

class GlibLoopTest : public ::testing::Test {
 protected:
  GlibLoopTest() : loop_(context_.get()) {}

  // Runs the loop until Quit() or `timeout`; false on timeout.
  bool RunFor(std::chrono::milliseconds timeout) {
    bool timed_out = false;
    auto guard = loop_.AddTimer(timeout, [&] {
      timed_out = true;
      loop_.Quit();
    });
    loop_.Run();
    loop_.CancelTimer(guard);
    return !timed_out;
  }

  std::unique_ptr<GMainContext, decltype(&g_main_context_unref)> context_{g_main_context_new(),
                                                                          &g_main_context_unref};
  GlibEventLoop loop_;
};

}  // namespace stas
