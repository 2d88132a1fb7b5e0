-- A flame graph as one self-contained SVG file: stacks of frames, each frame as wide as
-- its samples, the root at the bottom; a <title> per frame; click to zoom, a search box
-- that highlights frames and says their share; no network, no other file.
--   local flamegraph = require("ringlua.flamegraph")
--   flamegraph.write(io.stdout, {
--     { count = 5, frames = { { name = "cat", kind = "plain" },
--                             { name = "main", kind = "user" },
--                             { name = "ksys_read", kind = "kernel" } } },
--   }, { title = "cat", width = 1200 })
-- Frames are listed outermost first. A frame's kind picks its colours: "user" warm,
-- "kernel" blue, anything else (a comm, a pid) grey, so the boundary shows at a glance.
-- The output depends only on the stacks, not on their order: children are sorted.
local floor, max = math.floor, math.max
local format, byte = string.format, string.byte
local concat, sort = table.concat, table.sort
local ipairs, type, error, tostring = ipairs, type, error, tostring

local safe_text = require("ringlua.text")
local printable, valid_utf8 = safe_text.printable, safe_text.valid_utf8

local _M = {}

local DEFAULT_WIDTH = 1200
local DEFAULT_TITLE = "Flame Graph"
local ROOT_NAME = "all"
-- Layout, in pixels: a frame is a 15 px bar in a 16 px row, 12 px text; the side margin
-- and the rows above (title, controls) and below (the hovered frame's details).
local FRAME_HEIGHT = 16
local FONT_SIZE = 12
local TITLE_FONT_SIZE = 17
local SIDE_PAD = 10
local TOP_PAD = 60
local BOTTOM_PAD = 30
local TEXT_PAD = 3
-- The width of an average character of the font as a share of its size: how many
-- characters of a name fit in a frame (flamegraph.pl's estimate for Verdana).
local CHAR_WIDTH = 0.59
-- Frames narrower than this are left out: a browser would draw nothing of them, and a
-- profile with many thousand small stacks stays a file that opens quickly.
local MIN_FRAME_PX = 0.1
-- Narrower than this page width the controls do not fit.
local MIN_WIDTH = 200
local SEARCH_BOX_WIDTH = 220

--------------------------------------------------------------------------------------------
-- Text as XML takes it. Names come from traced programs: a control character (not
-- allowed in XML 1.0, even as a reference) becomes the text \xNN, and so does each byte
-- that is not part of valid UTF-8, and U+FFFE and U+FFFF, which XML forbids (a parser
-- would refuse the whole file).
local function hex_escape(c) return format("\\x%02x", byte(c)) end
local function hex_escape_all(s) return (s:gsub(".", hex_escape)) end

-- A name as it is shown: printable, valid UTF-8 (not yet escaped for XML).
local function shown_name(name)
  return (valid_utf8(printable(tostring(name))):gsub("\239\191[\190\191]", hex_escape_all))
end

local XML_ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                       ["'"] = "&apos;" }
local function xml(text)
  return (text:gsub("[&<>\"']", XML_ENTITIES))
end

-- The name cut to the characters that fit in w pixels, ".." saying it was cut; "" when
-- not even three fit. Counts UTF-8 characters, never cutting one in two.
local function label(name, w)
  local fit = floor((w - 2 * TEXT_PAD) / (FONT_SIZE * CHAR_WIDTH))
  if fit < 3 then return "" end
  local chars = {}
  for c in name:gmatch("[^\128-\191][\128-\191]*") do
    chars[#chars + 1] = c
    if #chars > fit then break end
  end
  if #chars <= fit then return name end
  return concat(chars, "", 1, fit - 2) .. ".."
end
_M._label = label

--------------------------------------------------------------------------------------------
-- The tree: a node per distinct path from the root, its samples those of every stack
-- through it.

local function new_node(name, kind, depth)
  return { name = name, kind = kind, depth = depth, samples = 0, children = {}, by_key = {} }
end

local function child_of(node, frame)
  local name, kind = shown_name(frame.name), frame.kind or "plain"
  -- A user and a kernel frame of the same name are different functions.
  local key = kind .. "\0" .. name
  local child = node.by_key[key]
  if child == nil then
    child = new_node(name, kind, node.depth + 1)
    node.by_key[key] = child
    node.children[#node.children + 1] = child
  end
  return child
end

local function by_name_then_kind(a, b)
  if a.name ~= b.name then return a.name < b.name end
  return a.kind < b.kind
end

-- Sorts every node's children by name (as flamegraph.pl does) and gives each node the
-- samples left of it at its depth (its start): the tree's layout, in samples.
local function lay_out(node, start)
  node.start = start
  sort(node.children, by_name_then_kind)
  for _, child in ipairs(node.children) do
    lay_out(child, start)
    start = start + child.samples
  end
end

local function build_tree(stacks)
  local root = new_node(ROOT_NAME, "root", 0)
  for _, stack in ipairs(stacks) do
    local count = stack.count
    if type(count) ~= "number" or count < 0 then
      error("flamegraph: a stack's count is a number, 0 or more", 3)
    end
    local node = root
    node.samples = node.samples + count
    for _, frame in ipairs(stack.frames) do
      node = child_of(node, frame)
      node.samples = node.samples + count
    end
  end
  lay_out(root, 0)
  return root
end

local function tree_depth(node)
  local deepest = node.depth
  for _, child in ipairs(node.children) do deepest = max(deepest, tree_depth(child)) end
  return deepest
end

--------------------------------------------------------------------------------------------
-- Colours: a hue by kind, a shade by name (the same function has the same colour in
-- every graph).

local function name_shade(name)
  local h = 0
  for i = 1, #name do h = (h * 31 + byte(name, i)) % 65521 end
  return (h % 1000) / 1000
end

local PALETTES = {
  -- red to yellow, as flamegraph.pl's "hot"
  user = function(v) return 205 + floor(50 * v), floor(230 * v), floor(55 * v) end,
  -- blues
  kernel = function(v) return floor(60 * v), 110 + floor(80 * v), 200 + floor(55 * v) end,
  -- greys
  plain = function(v) local g = 170 + floor(40 * v) return g, g, g end,
}

local function frame_fill(node)
  local palette = PALETTES[node.kind] or PALETTES.plain
  return format("rgb(%d,%d,%d)", palette(name_shade(node.name)))
end

--------------------------------------------------------------------------------------------
-- The document.

local STYLE = [[
<style>
text { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; }
#title { font-size: %dpx; text-anchor: middle; }
#matched { text-anchor: end; }
g.f { cursor: pointer; }
g.f:hover rect { stroke: #000; stroke-width: 0.5; }
g.f text { pointer-events: none; }
g.hit rect { fill: rgb(230,0,230); }
g.parent rect { opacity: 0.5; }
.hide { display: none; }
#reset { cursor: pointer; fill: #004; text-decoration: underline; }
input { width: 100%%; box-sizing: border-box; font: 12px Verdana, sans-serif; }
</style>
]]

-- The inline script: zoom, reset, search, the hovered frame's details; and on load the
-- URL's fragment, #zoom=NAME (the first frame of that name) and #search=REGEX, so a link
-- (or a test) can open the graph zoomed or searched. Frame positions are recomputed
-- from each frame's data-s (samples left of it), data-n (its samples) and data-d (its
-- depth); its name is its title's text before " (".
local SCRIPT = [==[
<script><![CDATA[
(function () {
  "use strict";
  var svg = document.documentElement;
  var left = +svg.getAttribute("data-left"), full = +svg.getAttribute("data-full");
  var total = +svg.getAttribute("data-total");
  var textPad = %d, charPx = %g;
  var frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
  var details = document.getElementById("details");
  var matched = document.getElementById("matched");
  var reset = document.getElementById("reset");
  var box = document.getElementById("search");
  var root = null;

  function info(g) {
    if (!g.info) {
      var t = g.querySelector("title").textContent;
      g.info = { name: t.slice(0, t.lastIndexOf(" (")), title: t,
                 s: +g.getAttribute("data-s"), n: +g.getAttribute("data-n"),
                 d: +g.getAttribute("data-d"), rect: g.querySelector("rect"),
                 text: g.querySelector("text") };
    }
    return g.info;
  }
  // The name cut to what fits in w pixels, as the file was written.
  function label(name, w) {
    var fit = Math.floor((w - 2 * textPad) / charPx), chars = Array.from(name);
    if (fit < 3) return "";
    return chars.length <= fit ? name : chars.slice(0, fit - 2).join("") + "..";
  }
  function place(g, x, w) {
    var f = info(g);
    f.rect.setAttribute("x", x.toFixed(2));
    f.rect.setAttribute("width", w.toFixed(2));
    f.text.setAttribute("x", (x + textPad).toFixed(2));
    f.text.textContent = label(f.name, w);
  }
  // The target full width, what it called above it, its ancestors full width (dimmed)
  // below it; every other frame hidden.
  function zoom(target) {
    var z = info(target);
    frames.forEach(function (g) {
      var f = info(g);
      var within = f.s >= z.s && f.s + f.n <= z.s + z.n && f.d >= z.d;
      var ancestor = f.d < z.d && f.s <= z.s && f.s + f.n >= z.s + z.n;
      g.classList.toggle("hide", !within && !ancestor);
      g.classList.toggle("parent", ancestor);
      if (ancestor) place(g, left, full);
      else if (within) place(g, left + (f.s - z.s) / z.n * full, f.n / z.n * full);
    });
    reset.classList.toggle("hide", target === root);
  }
  // Samples under at least one of the spans [s, e), nested or overlapping ones once.
  function covered(spans) {
    var sum = 0, end = -Infinity;
    spans.sort(function (a, b) { return a[0] - b[0]; });
    spans.forEach(function (sp) {
      var from = Math.max(sp[0], end);
      if (sp[1] > from) { sum += sp[1] - from; end = sp[1]; }
    });
    return sum;
  }
  function search(term) {
    var re = null, spans = [];
    if (term) {
      try { re = new RegExp(term); } catch (e) { matched.textContent = "Bad pattern"; return; }
    }
    frames.forEach(function (g) {
      var f = info(g), hit = re !== null && f.d > 0 && re.test(f.name);
      g.classList.toggle("hit", hit);
      if (hit) spans.push([f.s, f.s + f.n]);
    });
    matched.textContent = re === null ? "" :
      "Matched: " + (100 * covered(spans) / total).toFixed(2) + "%% of samples";
  }
  function fromFragment() {
    location.hash.slice(1).split("&").forEach(function (part) {
      var eq = part.indexOf("="), value;
      if (eq < 0) return;
      value = decodeURIComponent(part.slice(eq + 1));
      if (part.slice(0, eq) === "search") {
        if (box) box.value = value;
        search(value);
      } else if (part.slice(0, eq) === "zoom") {
        var g = frames.filter(function (g) { return info(g).name === value; })[0];
        if (g) zoom(g);
      }
    });
  }

  frames.forEach(function (g) {
    if (info(g).d === 0) root = g;
    g.addEventListener("click", function () { zoom(g); });
    g.addEventListener("mouseover", function () { details.textContent = info(g).title; });
    g.addEventListener("mouseout", function () { details.textContent = " "; });
  });
  reset.addEventListener("click", function () { if (root) zoom(root); });
  if (box) box.addEventListener("input", function () { search(box.value); });
  fromFragment();
})();
]]></script>
]==]

local function header(out, opts, height, total)
  local width = opts.width
  out[#out + 1] = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
  out[#out + 1] = format('<svg xmlns="http://www.w3.org/2000/svg" version="1.1" ' ..
    'width="%d" height="%d" viewBox="0 0 %d %d" data-left="%d" data-full="%d" ' ..
    'data-total="%s">\n', width, height, width, height, SIDE_PAD, width - 2 * SIDE_PAD,
    format("%.0f", total))
  out[#out + 1] = format(STYLE, FONT_SIZE, TITLE_FONT_SIZE)
  out[#out + 1] = format('<rect x="0" y="0" width="%d" height="%d" fill="#f8f8f8"/>\n',
                         width, height)
  out[#out + 1] = format('<text id="title" x="%d" y="24">%s</text>\n', floor(width / 2),
                         xml(shown_name(opts.title)))
  out[#out + 1] = format('<text id="reset" class="hide" x="%d" y="48">Reset zoom</text>\n',
                         SIDE_PAD)
  out[#out + 1] = format('<foreignObject x="%d" y="32" width="%d" height="24">' ..
    '<input xmlns="http://www.w3.org/1999/xhtml" id="search" type="search" ' ..
    'placeholder="Search (regular expression)"/></foreignObject>\n',
    width - SIDE_PAD - SEARCH_BOX_WIDTH, SEARCH_BOX_WIDTH)
  out[#out + 1] = format('<text id="details" x="%d" y="%d"> </text>\n', SIDE_PAD, height - 10)
  out[#out + 1] = format('<text id="matched" x="%d" y="%d"></text>\n', width - SIDE_PAD,
                         height - 10)
end

-- "12.34" percent of total.
local function share(samples, total)
  return format("%.2f", total > 0 and 100 * samples / total or 0)
end

-- Writes node and the frames above it, depth first in sorted order (so the first frame
-- of a name in the file is the leftmost lowest one).
local function write_frames(out, node, frame_top, px_per_sample, total)
  local w = node.samples * px_per_sample
  if w < MIN_FRAME_PX then return end
  local x = SIDE_PAD + node.start * px_per_sample
  local y = frame_top - node.depth * FRAME_HEIGHT
  local samples = format("%.0f", node.samples)
  out[#out + 1] = format('<g class="f" data-s="%.0f" data-n="%s" data-d="%d">' ..
    '<title>%s (%s samples, %s%%)</title><rect x="%.2f" y="%d" width="%.2f" height="%d" ' ..
    'fill="%s" rx="2"/><text x="%.2f" y="%d">%s</text></g>\n',
    node.start, samples, node.depth, xml(node.name), samples, share(node.samples, total),
    x, y, w, FRAME_HEIGHT - 1, frame_fill(node), x + TEXT_PAD, y + FONT_SIZE - 1,
    xml(label(node.name, w)))
  for _, child in ipairs(node.children) do
    write_frames(out, child, frame_top, px_per_sample, total)
  end
end

local function checked_opts(opts)
  opts = opts or {}
  local width = opts.width or DEFAULT_WIDTH
  if type(width) ~= "number" or width < MIN_WIDTH or width ~= floor(width) then
    error("flamegraph: width is a whole number of pixels, " .. MIN_WIDTH .. " or more", 3)
  end
  return { width = width, title = opts.title or DEFAULT_TITLE }
end

-- Writes the flame graph of stacks (see the top of this file) to out (anything with a
-- write method), in one write. opts: title (default "Flame Graph"), width in pixels
-- (default 1200).
function _M.write(out, stacks, opts)
  opts = checked_opts(opts)
  local root = build_tree(stacks)
  local height = TOP_PAD + (tree_depth(root) + 1) * FRAME_HEIGHT + BOTTOM_PAD
  local parts = {}
  header(parts, opts, height, root.samples)
  local frame_top = height - BOTTOM_PAD - FRAME_HEIGHT
  local px_per_sample = root.samples > 0 and (opts.width - 2 * SIDE_PAD) / root.samples or 0
  if root.samples > 0 then write_frames(parts, root, frame_top, px_per_sample, root.samples) end
  parts[#parts + 1] = format(SCRIPT, TEXT_PAD, FONT_SIZE * CHAR_WIDTH)
  parts[#parts + 1] = "</svg>\n"
  out:write(concat(parts))
end

return _M
