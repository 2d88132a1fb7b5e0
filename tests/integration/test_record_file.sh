#!/usr/bin/env bash
# --record FILE makes FILE a new file of mode 0600, and never follows a link: in a
# directory others can write (sticky, as /tmp), a link nobody planted at FILE cannot make
# ringlua (root) write where it points, and a file nobody made first, readable by all,
# cannot receive the recording. An existing FILE is refused in one line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

execsnoop=$HERE/../../scripts/execsnoop.lua
shared=$TMP/shared
mkdir -m 1777 "$shared"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

# expect_refused WHAT FILE: the recording run just made (RC, $TMP/err) refused FILE.
expect_refused() {
  [ "$RC" -lt 128 ] || fail "$1: crashed (exit $RC)"
  assert_eq "$RC" 1 "$1: exit code"
  assert_eq "$(cat "$TMP/err")" \
    "ringlua: --record $2: it exists already: a recording is always a new file" "$1: message"
}

# A link to a file only root may read and write.
echo "root's own" > "$TMP/secret"
chmod 600 "$TMP/secret"
nobody ln -s "$TMP/secret" "$shared/link.rec"
run_ringlua --record "$shared/link.rec" -c /bin/true "$execsnoop"
expect_refused "a planted link" "$shared/link.rec"
assert_eq "$(cat "$TMP/secret")" "root's own" "the file the link points to"
[ -L "$shared/link.rec" ] || fail "the planted link was replaced"
pass "a link planted at FILE -> 1, and the file it points to is untouched"

# A file nobody made first, mode 0666.
nobody sh -c "umask 0; : > '$shared/theirs.rec'"
run_ringlua --record "$shared/theirs.rec" -c /bin/true "$execsnoop"
expect_refused "a file nobody made first" "$shared/theirs.rec"
assert_eq "$(stat -c %s "$shared/theirs.rec")" 0 "bytes written into nobody's file"
pass "a file nobody made first -> 1, and nothing was written into it"

# A new file: mode 0600 whatever the umask, and a second recording to it is refused.
RC=0
(umask 0; timeout -s KILL 60 "$RINGLUA" --record "$shared/new.rec" -c /bin/true "$execsnoop" \
  > "$TMP/out" 2> "$TMP/err") || RC=$?
assert_eq "$RC" 0 "exit code of a recording to a new file"
assert_eq "$(stat -c '%a %U' "$shared/new.rec")" "600 root" "mode and owner of the recording"
nobody cat "$shared/new.rec" > /dev/null 2>&1 && fail "nobody can read the recording"
run_ringlua --record "$shared/new.rec" -c /bin/true "$execsnoop"
expect_refused "an existing recording" "$shared/new.rec"
pass "a recording is a new file of mode 0600 (umask 0); an existing one -> 1"
