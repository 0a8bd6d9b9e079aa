#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Checks the man pages against what they document (CTest "man_pages", label cli):
#  1. every long option and subcommand of each program's --help (and of each subcommand's
#     --help) has a term line in the program's page: options as "*-x*, *--long*" or
#     "*--long*" at column 0, subcommands as "*name*" at column 0, a subcommand's options
#     indented by tabs below it (before the next column-0 term or heading);
#  2. every section and option of "stafd/stacd --dump-config -f /dev/null", and every option
#     of the table in common/config/config_options.cc (deprecated ones included), has a "## [Section]"
#     heading / a column-0 "*option*" term in stafd.conf.5 / stacd.conf.5, and the option's
#     text has "Default: VALUE" with the dump's value ("not set" for null, "none" for a
#     list); conversely every option documented there exists;
#  3. every method, property and signal of dbus-interfaces/org.nvmexpress.{staf,stac}.xml has
#     a term line with its exact signature under "# INTERFACE <name>" in its page, and the
#     pages document no member the XML lacks;
#  4. every page built from man/*.scd is present, up to date, and renders without a warning
#     (man --warnings, and groff -ww).
#
# Usage: man_pages_test.sh MAN_SRC_DIR MAN_BUILD_DIR PROJECT_SOURCE_DIR NAME=PROGRAM...
# (NAME: stafd, stacd, stafctl, stacctl, stasadm). Needs bash, jq, and man-db or groff.
set -u

if [ $# -lt 4 ]; then
  echo "usage: $0 MAN_SRC_DIR MAN_BUILD_DIR PROJECT_SOURCE_DIR NAME=PROGRAM..." >&2
  exit 2
fi
src=$1 out=$2 proj=$3
shift 3
declare -A prog=()
for a in "$@"; do prog[${a%%=*}]=${a#*=}; done

problems=()
problem() { problems+=("$*"); }
checked=0

command -v jq >/dev/null || { echo "FAIL: jq is not installed" >&2; exit 1; }

# Lines of FILE from the first line starting with START (a fixed string, at column 0) up to,
# not including, the next line matching the ERE STOP. Empty if START is not found.
block() {
  awk -v start="$1" -v stop="$2" '
    on && $0 ~ stop { exit }
    on { print }
    !on && index($0, start) == 1 { on = 1; print }' "$3"
}

# The long options (without "--") of a CLI11 help text: the option column of the lines that
# start with blanks and a dash.
long_options() {
  grep -E '^[[:space:]]+-' | sed -E 's/^[[:space:]]+//; s/[[:space:]]{2,}.*$//' |
    grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^--//' | sort -u
}

# The subcommands of a CLI11 help text: first word of the lines under "Subcommands:".
subcommands() {
  awk '/^Subcommands:/ { on = 1; next } on && /^[^[:space:]]/ { on = 0 }
       on && NF { print $1 }'
}


# --- 1. Command lines ---------------------------------------------------------------------
for name in stafd stacd stafctl stacctl stasadm; do
  bin=${prog[$name]:-}
  if [ -z "$bin" ]; then
    [ "$name" = stasadm ] && { echo "note: stasadm not built; its options are not checked"; continue; }
    problem "no program given for $name"
    continue
  fi
  page=$(ls "$src/$name".[18].scd 2>/dev/null | head -1)
  if [ -z "$page" ]; then
    problem "$name: no man page $name.1.scd or $name.8.scd"
    continue
  fi
  if ! top=$("$bin" --help 2>&1); then
    problem "'$name --help' failed: $top"
    continue
  fi
  for opt in $(long_options <<<"$top"); do
    checked=$((checked + 1))
    grep -qE -- "^\*(-[[:alnum:]]\*, \*)?--$opt\*" "$page" ||
      problem "$(basename "$page"): option --$opt of '$name --help' has no term line"
  done
  for sub in $(subcommands <<<"$top"); do
    checked=$((checked + 1))
    body=$(block "*$sub*" '^(\*|#)' "$page")
    if [ -z "$body" ]; then
      problem "$(basename "$page"): subcommand '$sub' of '$name --help' has no term line"
      continue
    fi
    if ! subhelp=$("$bin" "$sub" --help 2>&1); then
      problem "'$name $sub --help' failed: $subhelp"
      continue
    fi
    for opt in $(long_options <<<"$subhelp"); do
      [ "$opt" = help ] && continue  # documented once, with the global options
      checked=$((checked + 1))
      grep -qE -- "^[[:blank:]]+\*(-[[:alnum:]]\*, \*)?--$opt\*" <<<"$body" ||
        problem "$(basename "$page"): option --$opt of '$name $sub --help' is not under '$sub'"
    done
  done
done

# --- 2. Configuration files ---------------------------------------------------------------
# The option table: "section<TAB>name<TAB>daemons" (daemons: f = stafd, c = stacd).
table_file=$proj/common/config/config_options.cc
table=$(tr '\n' ' ' <"$table_file" | tr -s ' ' | {
  flat=$(cat)
  grep -oE 'Tunable\("[^"]+", "[fc]+"\)' <<<"$flat" |
    sed -E 's/Tunable\("([^"]+)", "([fc]+)"\)/Global\t\1\t\2/'
  grep -oE 'Make\( ?"[^"]+", "[^"]+", "[fc]+"' <<<"$flat" |
    sed -E 's/Make\( ?"([^"]+)", "([^"]+)", "([fc]+)"/\1\t\2\t\3/'
  grep -oE 'Multi\("[^"]+"' <<<"$flat" | sed -E 's/Multi\("([^"]+)"/Controllers\t\1\tfc/'
})
if [ "$(wc -l <<<"$table")" -lt 20 ]; then
  problem "cannot read the option table of $table_file (found: $(wc -l <<<"$table") options)"
fi

for d in stafd stacd; do
  bin=${prog[$d]:-}
  [ -n "$bin" ] || continue
  page=$src/$d.conf.5.scd
  [ -f "$page" ] || { problem "no man page $d.conf.5.scd"; continue; }
  if ! dump=$("$bin" --dump-config -f /dev/null 2>/dev/null); then
    problem "'$d --dump-config -f /dev/null' failed"
    continue
  fi
  # section<TAB>option<TAB>value, value "@NULL@" for null and "@LIST@" for an array.
  expected=$(jq -r 'to_entries[] | .key as $s | .value | to_entries[] |
      [$s, .key, (.value | if type == "array" then "@LIST@" elif . == null then "@NULL@"
                           else tostring end)] | @tsv' <<<"$dump") ||
    { problem "'$d --dump-config' is not the expected JSON"; continue; }
  letter=${d:3:1}  # f or c
  while IFS=$'\t' read -r section option daemons; do
    [[ $daemons == *$letter* ]] || continue
    grep -qP "^\Q$section\E\t\Q$option\E\t" <<<"$expected" ||
      expected+=$'\n'"$section"$'\t'"$option"$'\t'"@TABLE@"
  done <<<"$table"

  documented=()
  while IFS=$'\t' read -r section option value; do
    [ -n "$section" ] || continue
    checked=$((checked + 1))
    documented+=("$section/$option")
    sblock=$(block "## [$section]" '^#' "$page")
    if [ -z "$sblock" ]; then
      problem "$d.conf.5: section [$section] has no '## [$section]' heading"
      continue
    fi
    oblock=$(awk -v t="*$option*" 'on && /^(\*|#)/ { exit } on { print }
                                    !on && index($0, t) == 1 { on = 1; print }' <<<"$sblock")
    if [ -z "$oblock" ]; then
      problem "$d.conf.5: option $option has no term line '*$option*' under [$section]"
      continue
    fi
    case $value in
      @TABLE@) continue ;;
      @NULL@) want="not set" ;;
      @LIST@) want="none" ;;
      *) want=$value ;;
    esac
    # "Default: VALUE" not followed by more of a word ("Default: 30" must not match 300).
    tr -d '*\\' <<<"$oblock" | grep -qP "Default: \Q$want\E(?![[:alnum:]+-])" ||
      problem "$d.conf.5: [$section] $option does not say 'Default: $want' (--dump-config: $value)"
  done <<<"$expected"

  # Conversely, every option documented under a "## [Section]" heading must exist.
  while IFS=$'\t' read -r section option; do
    printf '%s\n' "${documented[@]}" | grep -qxF "$section/$option" ||
      problem "$d.conf.5: documents [$section] $option, which $d does not have"
  done < <(awk '/^## \[/ { s = substr($0, 5, length($0) - 5); next } /^# / { s = "" }
                s != "" && match($0, /^\*[A-Za-z0-9-]+\*/) {
                  print s "\t" substr($0, 2, RLENGTH - 2) }' "$page")
done

# --- 3. D-Bus interfaces ------------------------------------------------------------------
# "interface<TAB>term" for each member of an introspection XML, as the page must write it
# (without the scdoc '*').
dbus_terms() {
  awk '
    function attr(s, a) {
      if (match(s, " " a "=\"[^\"]*\"")) return substr(s, RSTART + length(a) + 3, RLENGTH - length(a) - 4)
      return ""
    }
    function emit(   s) {
      s = member "(" ins ")"
      if (outs != "") s = s " → " outs
      print iface "\t" s
      member = ""
    }
    /<interface / { iface = attr($0, "name") }
    /<(method|signal)[ >]/ {
      kind = ($0 ~ /<method/) ? "method" : "signal"
      member = attr($0, "name"); ins = ""; outs = ""
      if ($0 ~ /\/>[ \t]*$/) emit()
    }
    /<arg / {
      a = attr($0, "type") " " attr($0, "name")
      if (kind == "signal" || attr($0, "direction") == "in") ins = ins (ins == "" ? "" : ", ") a
      else outs = outs (outs == "" ? "" : ", ") a
    }
    /<\/(method|signal)>/ { emit() }
    /<property / {
      acc = attr($0, "access")
      acc = acc == "readwrite" ? "read-write" : acc == "read" ? "read-only" : "write-only"
      print iface "\t" attr($0, "name") ": " attr($0, "type") ", " acc
    }' "$1"
}

for name in staf stac; do
  xml=$proj/dbus-interfaces/org.nvmexpress.$name.xml
  page=$src/org.nvmexpress.$name.5.scd
  [ -f "$page" ] || { problem "no man page org.nvmexpress.$name.5.scd"; continue; }
  terms=$(dbus_terms "$xml")
  [ -n "$terms" ] || { problem "no D-Bus member found in $xml"; continue; }
  for iface in $(cut -f1 <<<"$terms" | sort -u); do
    iblock=$(block "# INTERFACE $iface" '^# ' "$page" | tail -n +2)
    if [ -z "$iblock" ]; then
      problem "$(basename "$page"): interface $iface has no '# INTERFACE $iface' section"
      continue
    fi
    want=$(awk -F'\t' -v i="$iface" '$1 == i { print $2 }' <<<"$terms")
    have=$(grep '^\*' <<<"$iblock" | tr -d '*')
    while IFS= read -r term; do
      checked=$((checked + 1))
      grep -qxF -- "$term" <<<"$have" ||
        problem "$(basename "$page"): $iface member not documented as: $term"
    done <<<"$want"
    while IFS= read -r term; do
      [ -n "$term" ] || continue
      grep -qxF -- "$term" <<<"$want" ||
        problem "$(basename "$page"): $iface documents '$term', which is not in $(basename "$xml")"
    done <<<"$have"
  done
done

# --- 4. Rendering -------------------------------------------------------------------------
have_man=false have_groff=false
man --version >/dev/null 2>&1 && have_man=true
groff --version >/dev/null 2>&1 && have_groff=true
if ! $have_man && ! $have_groff; then
  problem "neither man (man-db) nor groff is installed: cannot check the rendering"
fi
for scd in "$src"/*.scd; do
  page=$(basename "$scd" .scd)
  roff=$out/$page
  checked=$((checked + 1))
  if [ ! -f "$roff" ]; then
    problem "$page: not built ($roff is missing; run cmake --build first)"
    continue
  fi
  if [ "$scd" -nt "$roff" ]; then
    problem "$page: $roff is older than its source; run cmake --build first"
    continue
  fi
  if $have_man; then
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$roff" 2>&1 >/dev/null)
    [ -z "$warnings" ] || problem "$page: man --warnings: $warnings"
  fi
  if $have_groff; then
    warnings=$(LC_ALL=C.UTF-8 groff -k -t -man -ww -z -Tutf8 "$roff" 2>&1)
    [ -z "$warnings" ] || problem "$page: groff -ww: $warnings"
  fi
done
for alias in "$out"/*.debug.5; do
  [ -f "$alias" ] || continue
  target=$(sed -n 's|^\.so man5/||p' "$alias")
  [ -f "$out/$target" ] || problem "$(basename "$alias"): .so target $target is not built"
done

if [ ${#problems[@]} -gt 0 ]; then
  echo "FAIL: ${#problems[@]} problem(s) in the man pages:"
  printf '  - %s\n' "${problems[@]}"
  exit 1
fi
echo "OK: $checked checks passed"
