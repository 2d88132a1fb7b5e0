#!/usr/bin/env bash
# Bash completion (scripts/ringlua.bash-completion) as installed, in a non-interactive
# bash: bash-completion's helpers and the script sourced, the completion function called
# on a command line as bash would call it, and its COMPREPLY checked.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(cd "$(dirname "$RINGLUA")/.." && pwd)
[ -r /usr/share/bash-completion/bash_completion ] ||
  fail "bash-completion is not installed (scripts/setup.sh installs it)"

# Installed under a prefix of the test's own: the completion file where the install rule
# puts it, and ringlua with its ready scripts beside it, as the package lays them out.
prefix=$TMP/prefix
cmake --install "$BUILD" --prefix "$prefix" > /dev/null || fail "cmake --install failed"
completion=$prefix/share/bash-completion/completions/ringlua
[ -r "$completion" ] || fail "no $completion"
pass "installed as share/bash-completion/completions/ringlua"

# complete LINE: the words it offers for the end of LINE, one a line.
complete_line() {
  PATH=$prefix/bin:$PATH bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"
    COMP_LINE=$2
    COMP_POINT=${#COMP_LINE}
    # Split as readline does: ":" is in COMP_WORDBREAKS, a word of its own.
    read -ra COMP_WORDS <<< "${COMP_LINE//:/ : }"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _ringlua ringlua "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$1"
}

# expect LINE WORD: WORD is among the completions of LINE.
expect() {
  local got
  got=$(complete_line "$1")
  grep -qxF -- "$2" <<< "$got" || fail "'$1<TAB>' does not offer '$2': $(echo $got)"
  pass "'$1<TAB>' offers $2"
}

expect "ringlua --dur" --duration
expect "ringlua --lua" --lua-types
expect "ringlua --onl" --only
expect "ringlua -s sys" syscalls
expect "ringlua -s sys" syscall_exit
# A probe name: bash replaces only the word after the last ':', so that is what comes
# back (tracepoint:sched:sched_switch on the command line).
expect "ringlua -s tracepoint:sched:sched_sw" sched_switch
expect "ringlua -l tracepoint:sched:sched_sw" sched_switch
expect "ringlua -s tp:sched:sched_sw" sched_switch
expect "ringlua -s tracepoint:sched:sched_switch,tracepoint:sched:sched_w" sched_wakeup
expect "ringlua -s tra" tracepoint:
expect "ringlua exec" execsnoop
touch "$TMP/argfile"
expect "ringlua opensnoop -- $TMP/argf" "$TMP/argfile"
