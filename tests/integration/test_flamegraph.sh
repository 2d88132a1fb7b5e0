#!/usr/bin/env bash
# The flame graph profile.lua --svg writes, opened in a real browser (headless Chromium,
# which scripts/setup.sh installs): it draws frames in colour, holds the profiled
# program's functions, and its inline script zooms to a frame named in the URL
# (#zoom=NAME, as a click would): that frame full width, its callers shown, a frame
# outside it hidden; #search=REGEX highlights and says the matched share. FILE is
# refused as -o's would be (a symbolic link).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER STACK_TARGET}
PROFILE=$HERE/../../scripts/profile.lua
SVG=$TMP/flame.svg
# The frames' width at the default 1200 px: 10 px of margin on each side.
FULL_WIDTH=1180.00

command -v chromium > /dev/null || fail "no chromium (scripts/setup.sh installs it)"

# browser ARGS...: headless Chromium on a profile of the test's own, bounded in time; as
# root it runs only without its sandbox.
browser() {
  timeout -s KILL 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --user-data-dir="$TMP/chromium" \
    --window-size=1200,800 "$@" 2> "$TMP/chromium.err" || {
    cat "$TMP/chromium.err" >&2
    fail "chromium $*"
  }
}

# dom FRAGMENT: the graph's document after its script ran, opened with #FRAGMENT.
dom() { browser --dump-dom "file://$SVG#$1" > "$TMP/dom"; }

# frame NAME: the line of the dumped document of the first frame named NAME.
frame() {
  grep -m1 -F "<title>$1 (" "$TMP/dom" || { cat "$TMP/dom" >&2; fail "no frame $1"; }
}
# frame_width NAME: that frame's width in pixels, as its rect has it.
frame_width() { frame "$1" | sed -E 's/.*<rect [^>]*width="([0-9.]+)".*/\1/'; }

# 1. A profile of a shell that loops a while, then execs the target: two processes
# (comms) at the root, so that zooming into the target leaves the shell outside.
run_ringlua -c "sh -c 'i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done; exec $TARGET spin 1.5'" \
  "$PROFILE" -- -U -K --svg "$SVG"
assert_eq "$RC" 0 "exit code of profile.lua -U -K --svg"
[ -s "$SVG" ] || fail "no SVG written"
assert_eq "$(head -c 5 "$SVG")" "<?xml" "the file is XML"
pass "profile.lua --svg wrote $(grep -c '<g class="f"' "$SVG") frames"

# 2. Drawn: a screenshot of many colours, frames in colour (not only grey and white).
browser --screenshot="$TMP/shot.png" "file://$SVG"
read -r size colours coloured <<< "$(luajit "$HERE/png_colours.lua" "$TMP/shot.png")"
assert_eq "$size" "1200x800" "screenshot size"
assert_between "${colours#colours=}" 8 100000000 "distinct colours in the screenshot"
assert_between "${coloured#coloured=}" 5000 100000000 "coloured pixels in the screenshot"
pass "the browser draws it: $colours, $coloured"

# 3. Parsed as one document, with the target's functions in caller order, the shell's
# process beside it.
dom ""
if grep -q parsererror "$TMP/dom"; then fail "the browser could not parse the SVG"; fi
for name in stack_target main rl_outer rl_middle rl_leaf sh; do frame "$name" > /dev/null; done
assert_matches "$TMP/dom" '<title>rl_leaf \([0-9]+ samples, [0-9.]+%\)</title>' \
  "a frame's title: its samples and share"
[ "$(frame_width sh)" != "$FULL_WIDTH" ] || fail "the shell's frame takes the whole width"
pass "the frames in the browser's document"

# 4. Zoomed to rl_middle: it and its callee full width, its callers full width and dimmed,
# the shell hidden.
dom "zoom=rl_middle"
assert_eq "$(frame_width rl_middle)" "$FULL_WIDTH" "rl_middle's width zoomed"
assert_eq "$(frame_width rl_outer)" "$FULL_WIDTH" "its caller's width zoomed"
frame rl_outer | grep -q 'class="f parent"' || fail "the caller not marked as a caller"
frame sh | grep -q 'class="f hide"' || fail "the shell's frame still shown"
frame rl_leaf | grep -q 'class="f"' || fail "the callee hidden"
grep -q '<text id="reset" class="" ' "$TMP/dom" || fail "no reset shown once zoomed"
pass "zoomed by the URL: rl_middle full width, the shell hidden"

# 5. Searched: the target's functions highlighted, their share said.
dom "search=%5Erl_"
frame rl_middle | grep -q 'class="f hit"' || fail "rl_middle not highlighted"
frame main | grep -q 'class="f"' || fail "main highlighted"
assert_matches "$TMP/dom" '<text id="matched"[^>]*>Matched: [1-9][0-9.]*% of samples</text>' \
  "the matched share"
pass "searched by the URL: $(grep -oE 'Matched: [0-9.]+%' "$TMP/dom")"

# 6. FILE is opened at start as -o's file is: a symbolic link is refused before sampling,
# and nothing is written where it points.
ln -s "$TMP/elsewhere" "$TMP/link.svg"
run_ringlua -c "$TARGET spin 0.1" "$PROFILE" -- -U --svg "$TMP/link.svg"
assert_eq "$RC" 1 "exit code of --svg on a symbolic link"
assert_contains "$TMP/err" "profile: --svg $TMP/link.svg: it is a symbolic link" "the refusal"
[ ! -e "$TMP/elsewhere" ] || fail "written through the link"
pass "--svg refuses a symbolic link"
