-- Specs of ringlua.flamegraph: stacks of frames as one self-contained SVG flame graph.

-- A stand-in for a file: collects what is written.
local sink = require("sink")

-- A stack from "kind:name" strings, outermost first ("u:main", "k:ksys_read", "p:cat").
local KINDS = { u = "user", k = "kernel", p = "plain" }
local function stack(count, ...)
  local frames = {}
  for i, spec in ipairs({ ... }) do
    local kind, name = spec:match("^(%a):(.*)$")
    frames[i] = { kind = KINDS[kind], name = name }
  end
  return { count = count, frames = frames }
end

-- The frames of an SVG, in file order: { name =, samples =, share =, width =, fill =,
-- text = }, the name as the title has it (escaped for XML).
local function frames_of(svg)
  local list = {}
  for title, width, fill, text in svg:gmatch('<g class="f"[^>]*><title>(.-)</title>' ..
      '<rect [^>]*width="([%d.]+)"[^>]*fill="([^"]+)"[^>]*/><text [^>]*>(.-)</text></g>') do
    local name, samples, share = title:match("^(.*) %((%d+) samples, ([%d.]+)%%%)$")
    list[#list + 1] = { name = name, samples = tonumber(samples), share = share,
                        width = tonumber(width), fill = fill, text = text }
  end
  return list
end

local function frame_named(svg, name)
  for _, f in ipairs(frames_of(svg)) do
    if f.name == name then return f end
  end
end

local function rgb(fill)
  local r, g, b = fill:match("^rgb%((%d+),(%d+),(%d+)%)$")
  return tonumber(r), tonumber(g), tonumber(b)
end

describe("flamegraph", function()
  local flamegraph

  before_each(function()
    package.loaded["ringlua.flamegraph"] = nil
    flamegraph = require("ringlua.flamegraph")
  end)

  local function svg_of(stacks, opts)
    local out = sink()
    flamegraph.write(out, stacks, opts)
    return out:text()
  end

  it("writes one SVG document with its script inline and nothing fetched", function()
    local svg = svg_of({ stack(1, "p:cat", "u:main") })
    assert.are.equal('<?xml version="1.0" encoding="UTF-8"', svg:sub(1, 36))
    assert.truthy(svg:find('<svg xmlns="http://www.w3.org/2000/svg"', 1, true))
    assert.truthy(svg:find("<script><![CDATA[", 1, true))
    assert.truthy(svg:find("</svg>\n$"))
    assert.falsy(svg:find("href=", 1, true), "no link to another file")
    assert.falsy(svg:find("http://", svg:find("</foreignObject>"), true), "no URL after the header")
  end)

  it("makes each frame as wide as its samples, the root the full width less margins", function()
    local svg = svg_of({ stack(30, "p:a", "u:f"), stack(10, "p:a", "u:g"), stack(20, "p:b") })
    local all, f, g, b = frame_named(svg, "all"), frame_named(svg, "f"),
                         frame_named(svg, "g"), frame_named(svg, "b")
    assert.are.equal(1180, all.width)
    assert.are.equal(60, all.samples)
    assert.near(1180 * 30 / 60, f.width, 0.01)
    assert.near(1180 * 10 / 60, g.width, 0.01)
    assert.near(1180 * 20 / 60, b.width, 0.01)
    assert.near(1180 * 40 / 60, frame_named(svg, "a").width, 0.01)
  end)

  it("takes its width and title from opts", function()
    local svg = svg_of({ stack(1, "u:main") }, { width = 800, title = "my profile" })
    assert.truthy(svg:find('width="800"', 1, true))
    assert.are.equal(780, frame_named(svg, "all").width)
    assert.truthy(svg:find('<text id="title" x="400" y="24">my profile</text>', 1, true))
  end)

  it("titles each frame with its name, samples and share of all", function()
    local svg = svg_of({ stack(3, "u:main", "u:work"), stack(1, "u:main", "u:idle") })
    assert.truthy(svg:find("<title>work (3 samples, 75.00%)</title>", 1, true))
    assert.truthy(svg:find("<title>main (4 samples, 100.00%)</title>", 1, true))
  end)

  it("escapes hostile names and titles for XML, controls and bad UTF-8 as \\xNN", function()
    local hostile = "<script>alert(\"x\")</script>&'\1\n\255"
    local svg = svg_of({ stack(1, "u:" .. hostile) }, { title = "<t>&\27" })
    assert.falsy(svg:find("<script>alert", 1, true))
    local name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&apos;\\x01\\x0a\\xff"
    assert.are.equal(name, frames_of(svg)[2].name)
    assert.truthy(svg:find("&lt;t&gt;&amp;\\x1b</text>", 1, true))
    assert.falsy(svg:find("[%z\1-\9\11-\31\127]"), "no control character but newlines")
  end)

  it("shows U+FFFE and U+FFFF, which XML forbids, as \\xNN", function()
    local svg = svg_of({ stack(1, "u:a\239\191\190b\239\191\191") })
    assert.are.equal("a\\xef\\xbf\\xbeb\\xef\\xbf\\xbf", frames_of(svg)[2].name)
  end)

  it("keeps valid UTF-8 names whole and never cuts a character in two", function()
    local long = string.rep("é", 40)
    local svg = svg_of({ stack(1, "u:" .. long), stack(99, "u:other") })
    local f = frame_named(svg, long)
    assert.truthy(f, "the name kept as it was")
    assert.are.equal("", f.text, "too narrow for three characters")
    local label = flamegraph._label(long, 100)
    assert.truthy(label:find("^[é]+%.%.$"), label)
  end)

  it("cuts names that do not fit with .., and leaves the ones that fit", function()
    assert.are.equal("short", flamegraph._label("short", 200))
    local cut = flamegraph._label("a_rather_long_function_name_indeed", 100)
    assert.are.equal("a_rather_lo..", cut)
    assert.are.equal("", flamegraph._label("anything", 20))
  end)

  it("writes the same file whatever order the stacks come in", function()
    local stacks = { stack(5, "p:cat", "u:main", "k:ksys_read"), stack(3, "p:cat", "u:main"),
                     stack(2, "p:sh", "u:main"), stack(1, "p:cat", "u:aux") }
    local reversed = {}
    for i = #stacks, 1, -1 do reversed[#reversed + 1] = stacks[i] end
    local first = svg_of(stacks)
    assert.are.equal(first, svg_of(reversed))
    local order = {}
    for _, f in ipairs(frames_of(first)) do order[#order + 1] = f.name end
    assert.are.same({ "all", "cat", "aux", "main", "ksys_read", "sh", "main" }, order,
                    "depth first, children by name")
  end)

  it("colours user frames warm and kernel frames blue, a same-named pair apart", function()
    local svg = svg_of({ stack(1, "u:same"), stack(1, "k:same") })
    local user, kernel
    for _, f in ipairs(frames_of(svg)) do
      if f.name == "same" then
        local r, _, b = rgb(f.fill)
        if r > b then user = f.fill else kernel = f.fill end
      end
    end
    assert.truthy(user, "a warm frame")
    assert.truthy(kernel, "a blue frame")
    local r, _, b = rgb(kernel)
    assert.is_true(b > r)
    assert.are_not.equal(user, kernel)
  end)

  it("writes an empty graph for no stacks", function()
    local svg = svg_of({})
    assert.are.equal(0, #frames_of(svg))
    assert.truthy(svg:find("</svg>\n$"))
  end)

  it("refuses a width it cannot lay out", function()
    assert.has_error(function() svg_of({}, { width = 50 }) end,
                     "flamegraph: width is a whole number of pixels, 200 or more")
  end)
end)
