#!/usr/bin/env bash
# --lua-types: the annotations lua-language-server reads. lua-language-server is not in
# Debian, so the format is checked here: the output is valid Lua (comments and meta
# declarations), every comment line an annotation or plain comment, and the event class
# has the tracepoint's fields typed as a script reads them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

out=$TMP/ringlua.lua
timeout 60 "$RINGLUA" --lua-types -s tracepoint:syscalls:sys_enter_openat > "$out" \
  || fail "--lua-types -s tracepoint:syscalls:sys_enter_openat failed"
luajit -bl "$out" > /dev/null || fail "the annotations are not valid Lua"
pass "the annotations are valid Lua"

head -1 "$out" | grep -qx -- '---@meta' || fail "the first line is not ---@meta"
for want in '---@class ringlua' '---@class ringlua.agg' '---@class ringlua.names' \
            '---@class ringlua.Agg' 'function ringlua.cast(ptr) end' \
            'function agg.hist(name, opts) end' 'function names.ksym(addr) end' \
            '---@class ringlua.rec.tp_syscalls__sys_enter_openat' \
            '---@field filename string' '---@field dfd integer' '---@field comm string' \
            '---@alias ringlua.event ringlua.rec.tp_syscalls__sys_enter_openat'; do
  grep -qxF -- "$want" "$out" || fail "no line '$want'"
done
pass "the modules and the event's class are annotated"

# Every annotation line uses a LuaCATS tag the file is meant to hold.
bad=$(grep -E '^---@' "$out" | grep -vE '^---@(meta|class|field|param|return|alias) ' |
      grep -vx -- '---@meta' || true)
[ -z "$bad" ] || fail "unexpected annotations: $bad"
pass "only meta, class, field, param, return and alias annotations"

# Without -s: the default source's event (what -s defaults to, as --help says).
default=$("$RINGLUA" --help | sed -n 's/.*NAME or --bpf FILE (default: \([a-z_]*\)).*/\1/p')
[ -n "$default" ] || fail "--help names no default source for --lua-types"
timeout 60 "$RINGLUA" --lua-types > "$out" 2> /dev/null || fail "--lua-types failed"
grep -q "^-- records of ring events ($default): " "$out" || fail "not the $default source's event"
pass "without -s: the $default source's event"

"$RINGLUA" --lua-types scripts/execsnoop.lua 2> "$TMP/err" && fail "took a SCRIPT"
grep -q -- "--lua-types prints the types" "$TMP/err" || fail "no reason given: $(cat "$TMP/err")"
pass "--lua-types with a SCRIPT is refused"

# A union an enum tags (tests/bpf/union_arms.bpf.c): ringlua.decode shows its live arm
# alone, but the class names every arm, as ringlua.cast reads each.
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$HERE"/../bpf/union_arms.{h,bpf.c} "$TMP/"
timeout 60 "$RINGLUA" --lua-types --bpf "$TMP/union_arms.bpf.c" > "$out" 2> "$TMP/err" \
  || fail "--lua-types --bpf union_arms.bpf.c failed: $(cat "$TMP/err")"
sed -n '/^---@class ringlua.rec.event$/,/^$/p' "$out" > "$TMP/class"
printf '%s\n' '---@class ringlua.rec.event' '---@field seq integer' '---@field op string' \
  '---@field fsopen integer' '---@field mount ringlua.rec.event.mount' \
  '---@field umount ringlua.rec.event.umount' '---@field colour string' \
  '---@field raw ringlua.rec.event.raw' '' > "$TMP/want"
assert_eq "$(cat "$TMP/class")" "$(cat "$TMP/want")" "the record's class"
for want in '---@class ringlua.rec.event.umount' '---@field target string' \
            '---@class ringlua.rec.event.mount' '---@field dest string'; do
  grep -qxF -- "$want" "$out" || fail "no line '$want'"
done
pass "a union an enum tags: every arm annotated"
