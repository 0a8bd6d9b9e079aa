#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The bash completion offers what the programs' --help lists: subcommands, options, option
# choices and interface names. Usage: completion_test.sh COMPLETION_DIR STAFCTL STACCTL STASADM
set -u
DIR=$1
fail() { echo "FAIL: $*"; exit 1; }
PATH="$(dirname "$2"):$(dirname "$4"):$PATH"
export PATH
# complete WORD...: the completions of the last word (may be "") after the others.
complete_words() {
  bash -c 'source "$0/stas"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stas_complete; echo "${COMPREPLY[*]}"' "$DIR" "$@"
}
expect() {  # expect "EXPECTED" WORD...
  local want=$1; shift
  local got; got=$(complete_words "$@")
  [ "$got" = "$want" ] || fail "completing '$*': expected '$want', got '$got'"
}
expect "tron troff status ls dlp adlp" stafctl ""
expect "tron troff status ls connector-info attach detach volumes watch" stacctl ""
expect "--portal" stacctl attach --por
expect "ls" stafctl l
expect "hostnqn hostid set-symname clear-symname gen-dhchap-key tls-key-insert tls-key-list tls-key-remove" stasadm ""
expect "tls-key-insert tls-key-list tls-key-remove" stasadm tls
expect "--subsysnqn" stasadm tls-key-insert --sub
expect "0 1 2 3" stasadm gen-dhchap-key --hmac ""
expect "--transport --traddr" stafctl dlp --tra
expect "tcp rdma fc loop" stafctl dlp -t ""
expect "rdma" stafctl dlp --transport r
expect "--detailed" stacctl ls --det
expect "--json" stafctl --js
expect "lo" stafctl dlp --host-iface l
expect "" stafctl dlp -a ""   # an address: nothing to offer
# Every subcommand and option of each program's --help is offered.
for prog in stafctl stacctl stasadm; do
  subs=$("$prog" --help | sed -n '/^Subcommands:/,$ s/^  \([a-z][a-z-]*\)  .*/\1/p' | tr '\n' ' ')
  expect "${subs% }" "$prog" ""
done
echo "PASS: bash completion"
