#!/usr/bin/env bash
# --bpf FILE.bpf.c: the compile cache is trusted only when it is ours. A missing cache
# directory is created (mode 0700, with its parents); one another user owns, that
# group or others can write, or that is a link is refused in one line; nothing placed in
# it beforehand is written through; a cached object we did not write is refused.
#   test_bpf_cache.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A program that loads and attaches, its header beside it.
cp "$HERE/../bpf/probe.bpf.c" "$HERE/../bpf/probe.h" "$TMP/"
chmod 644 "$TMP/probe.bpf.c" "$TMP/probe.h"
printf '%s\n' 'return { on_init = function() print("loaded") os.exit(0) end,
                      on_event = function() end }' > "$TMP/loaded.lua"
compile() { run_ringlua --bpf "$TMP/probe.bpf.c" "$@" "$TMP/loaded.lua"; }

# A missing XDG_CACHE_HOME is created, private.
export XDG_CACHE_HOME=$TMP/missing/cache
compile
[ "$RC" == 0 ] || cat "$TMP/err" >&2
assert_eq "$RC" 0 "exit code with XDG_CACHE_HOME missing"
assert_eq "$(stat -c %a "$XDG_CACHE_HOME/ringlua")" 700 "mode of the created cache directory"
assert_eq "$(stat -c %a "$XDG_CACHE_HOME")" 700 "mode of the created XDG_CACHE_HOME"
objects=("$XDG_CACHE_HOME"/ringlua/*.bpf.o)
assert_eq "${#objects[@]}" 1 "objects cached"
[ -f "${objects[0]}" ] || fail "no object cached"
pass "a missing XDG_CACHE_HOME is created, mode 0700"

# refuse_cache WHY: compiling with the cache as it is now fails, saying WHY.
refuse_cache() {
  compile
  assert_eq "$RC" 1 "exit code with a cache directory $1"
  assert_contains "$TMP/err" "ringlua: refusing the cache directory $XDG_CACHE_HOME/ringlua: $1" \
    "the refusal"
  assert_eq "$(grep -c '^ringlua: ' "$TMP/err")" 1 "ringlua's lines, cache $1"
}

export XDG_CACHE_HOME=$TMP/others
mkdir -m 700 "$XDG_CACHE_HOME" "$XDG_CACHE_HOME/ringlua"
chown 65534:65534 "$XDG_CACHE_HOME/ringlua"
refuse_cache "owned by another user"
assert_eq "$(find "$XDG_CACHE_HOME/ringlua" -mindepth 1 | wc -l)" 0 "files written into it"
pass "a cache directory nobody owns is refused"

chown 0:0 "$XDG_CACHE_HOME/ringlua"
chmod 777 "$XDG_CACHE_HOME/ringlua"
refuse_cache "writable by group or others"
assert_eq "$(find "$XDG_CACHE_HOME/ringlua" -mindepth 1 | wc -l)" 0 "files written into it"
pass "a cache directory of mode 0777 is refused"

rmdir "$XDG_CACHE_HOME/ringlua"
mkdir -m 700 "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$XDG_CACHE_HOME/ringlua"
refuse_cache "not a directory, or a link"
pass "a cache directory that is a link is refused"

# A link planted where the cache's temporary files once had names anyone could predict
# (deps.PID.tmp): nothing is written through it. The shell that plants it becomes
# ringlua (exec), so its pid is ringlua's.
export XDG_CACHE_HOME=$TMP/planted
mkdir -m 700 "$XDG_CACHE_HOME" "$XDG_CACHE_HOME/ringlua"
echo untouched > "$TMP/victim"
RC=0
# shellcheck disable=SC2016 # expanded by the inner shell
timeout -s KILL 60 bash -c 'ln -s "$1" "$2/deps.$$.tmp" && exec "$3" --bpf "$4" "$5"' _ \
  "$TMP/victim" "$XDG_CACHE_HOME/ringlua" "$RINGLUA" "$TMP/probe.bpf.c" "$TMP/loaded.lua" \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
[ "$RC" == 0 ] || cat "$TMP/err" >&2
assert_eq "$RC" 0 "exit code with a planted link"
assert_eq "$(cat "$TMP/victim")" untouched "the file the planted link names"
pass "a link at the old predictable temporary name is not written through"

# A cached object another user owns is not loaded, not even with --unsafe-perms (which is
# about the user's own files, not ringlua's cache).
cached=$(ls "$XDG_CACHE_HOME"/ringlua/*.bpf.o)
chown 65534 "$cached"
compile --unsafe-perms
assert_eq "$RC" 1 "exit code with another user's cached object"
assert_contains "$TMP/err" "ringlua: refusing the cached object $(basename "$cached"): owned by another user" \
  "the refusal of the cached object"
pass "a cached object another user owns is refused"

# And one that is a link (to an object of ours) is not followed.
chown 0 "$cached"
mv "$cached" "$TMP/real.bpf.o"
ln -s "$TMP/real.bpf.o" "$cached"
compile --unsafe-perms
assert_eq "$RC" 1 "exit code with a cached object that is a link"
assert_contains "$TMP/err" "refusing the cached object $(basename "$cached"): it is a symbolic link" \
  "the refusal of the link"
pass "a cached object that is a link is refused"
