-- Specs of ringlua.metrics: the Prometheus exposition of ringlua.agg's aggregations, and
-- the aggregations carried across a reload.
local state = require("ringlua.state")

describe("metrics", function()
  local agg, metrics

  before_each(function()
    package.loaded["ringlua.agg"] = nil
    package.loaded["ringlua.metrics"] = nil
    agg = require("ringlua.agg")
    metrics = require("ringlua.metrics")
  end)

  -- The lines of the exposition that begin with prefix.
  local function lines(prefix, max_series)
    local text = metrics.render(max_series or 1000)
    local found = {}
    for line in text:gmatch("[^\n]+") do
      if line:sub(1, #prefix) == prefix then found[#found + 1] = line end
    end
    return found
  end

  it("exports a count as a counter, its tuple key as named labels", function()
    local c = agg.count("calls", { labels = { "comm", "pid" }, help = "calls by task" })
    c:add(c:key("sh", 1), 2)
    c:add(c:key("cat", 7))
    assert.same({ "# HELP calls calls by task", "# TYPE calls counter",
                  "# HELP ringlua_agg_dropped_total Updates of new keys an aggregation " ..
                  "had no room for (its max_entries).",
                  "# TYPE ringlua_agg_dropped_total counter" }, lines("# "))
    assert.same({ 'calls{comm="sh",pid="1"} 2', 'calls{comm="cat",pid="7"} 1' }, lines("calls"))
  end)

  it("names the parts of a key key, or key1, key2, ... without labels", function()
    local a, b = agg.count("a"), agg.sum("b")
    a:add("x")
    b:add(b:key(1, 2), 5)
    assert.same({ 'a{key="x"} 1' }, lines("a"))
    assert.same({ 'b{key1="1",key2="2"} 5' }, lines("b"))
  end)

  it("exports a count without a key as a bare sample", function()
    agg.count("events"):add(nil, 3)
    assert.same({ "events 3" }, lines("events"))
  end)

  it("escapes backslashes, quotes and newlines in label values", function()
    agg.count("paths"):add('a\\b"c\nd')
    assert.same({ 'paths{key="a\\\\b\\"c\\nd"} 1' }, lines("paths"))
  end)

  it("writes label values as valid UTF-8, a stray byte as the text \\xNN", function()
    local c = agg.count("names")
    c:add("x\255y")                  -- not UTF-8 at all
    c:add("caf\195\169")             -- UTF-8: kept
    c:add("\237\160\128s", 2)       -- a surrogate, which UTF-8 has no place for
    c:add("\224\128\175o", 3)       -- an overlong form
    -- (The exposition escapes the backslash of \xNN as it escapes any.)
    assert.same({ 'names{key="\\\\xe0\\\\x80\\\\xafo"} 3', 'names{key="\\\\xed\\\\xa0\\\\x80s"} 2',
                  'names{key="x\\\\xffy"} 1', 'names{key="café"} 1' },
                lines("names"))
  end)

  it("exports a sum as a gauge when the aggregation says so, min max avg as gauges", function()
    agg.sum("level", { metric = "gauge" }):add(nil, -4)
    local avg = agg.avg("mean")
    avg:add(nil, 1)
    avg:add(nil, 2)
    assert.same({ "# TYPE level gauge", "level -4" }, { lines("# TYPE level")[1], lines("level")[1] })
    assert.same({ "mean 1.5" }, lines("mean"))
    assert.has_error(function() agg.avg("x", { metric = "counter" }) end)
    assert.has_error(function() agg.count("y", { metric = "summary" }) end)
  end)

  it("exports a log2 histogram with cumulative integer le bounds, _sum and _count", function()
    local h = agg.hist("lat")
    for _, v in ipairs({ 0, 1, 2, 3, 4, 100 }) do h:record(v) end
    local b = lines("lat_bucket")
    assert.same({ 'lat_bucket{le="-1"} 0', 'lat_bucket{le="0"} 1', 'lat_bucket{le="1"} 2',
                  'lat_bucket{le="3"} 4', 'lat_bucket{le="7"} 5', 'lat_bucket{le="15"} 5',
                  'lat_bucket{le="31"} 5', 'lat_bucket{le="63"} 5', 'lat_bucket{le="127"} 6' },
                { unpack(b, 1, 9) })
    assert.equal('lat_bucket{le="+Inf"} 6', b[#b])
    assert.same({ "lat_sum 110" }, lines("lat_sum"))
    assert.same({ "lat_count 6" }, lines("lat_count"))
  end)

  it("exports a linear histogram by key with its bounds", function()
    local h = agg.lhist("size", 0, 20, 10)
    for _, v in ipairs({ -1, 0, 9, 10, 25 }) do h:record(v, "r") end
    assert.same({ 'size_bucket{key="r",le="-1"} 1', 'size_bucket{key="r",le="9"} 3',
                  'size_bucket{key="r",le="19"} 4', 'size_bucket{key="r",le="+Inf"} 5' },
                lines("size_bucket"))
    assert.same({ 'size_sum{key="r"} 43' }, lines("size_sum"))
  end)

  it("prints 64-bit sums whole", function()
    agg.sum("bytes"):add(nil, 2ULL ^ 62)
    assert.same({ "bytes 4611686018427387904" }, lines("bytes"))
  end)

  it("shows at most max_series label sets, the biggest, and counts the rest", function()
    local c, d = agg.count("c"), agg.count("d")
    for i = 1, 5 do c:add(i, i) end
    d:add("only")
    local text, dropped = metrics.render(3)
    assert.equal(3, dropped)
    assert.same({ 'c{key="5"} 5', 'c{key="4"} 4', 'c{key="3"} 3' }, lines("c{", 3))
    assert.same({}, lines("d{", 3))
    assert.truthy(text:find("# TYPE d counter", 1, true))
  end)

  it("picks the biggest label sets as a full sort does, equal values by their text", function()
    local c = agg.count("c")
    for i = 1, 60 do c:add(i, i % 7) end
    local all = lines("c{", 1000)
    for _, room in ipairs({ 1, 5, 13, 59 }) do
      assert.same({ unpack(all, 1, room) }, lines("c{", room))
    end
  end)

  it("looks up the symbols of the stacks it shows, not of the rest", function()
    local names, path = require("ringlua.names"), os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("ffffffff81000000 T entry_SYSCALL_64\n")
    f:close()
    assert.is_true(names.use_kallsyms(path))
    local ksym, looked_up = names.ksym, 0
    names.ksym = function(ip) looked_up = looked_up + 1 return ksym(ip) end
    local c, ips = agg.count("stacks"), require("ffi").new("uint64_t[1]")
    for i = 1, 50 do
      ips[0] = 0xffffffff81000000ULL + i
      c:add(agg.kstack(ips, 1), i)
    end
    local ok, shown = pcall(lines, "stacks{", 3)
    names.ksym = ksym
    os.remove(path)
    assert.is_true(ok, shown)
    assert.same({ 'stacks{key="\\n    entry_SYSCALL_64+0x32\\n"} 50',
                  'stacks{key="\\n    entry_SYSCALL_64+0x31\\n"} 49',
                  'stacks{key="\\n    entry_SYSCALL_64+0x30\\n"} 48' }, shown)
    assert.equal(3, looked_up)
  end)

  it("counts each aggregation's updates dropped for want of room", function()
    local c = agg.count("c", { max_entries = 2 })
    local saved = io.stderr
    io.stderr = { write = function() end }
    for i = 1, 5 do c:add(i) end
    io.stderr = saved
    agg.count("d")
    assert.same({ 'ringlua_agg_dropped_total{aggregation="c"} 3',
                  'ringlua_agg_dropped_total{aggregation="d"} 0' },
                lines("ringlua_agg_dropped_total{"))
  end)

  it("carries entries to an aggregation of the same name and kind in the next state", function()
    local c = agg.count("calls")
    c:add(c:key("sh", 1), 2)
    agg.hist("lat"):record(5)
    agg.lhist("lin", 0, 10, 5):record(3)
    agg.avg("mean"):add("k", 4)
    agg.sum("gone"):add(nil, 1)
    local encoded = state.encode(agg._export())

    package.loaded["ringlua.agg"] = nil
    package.loaded["ringlua.metrics"] = nil
    agg = require("ringlua.agg")
    metrics = require("ringlua.metrics")
    agg._carry(state.decode(encoded))
    local c2 = agg.count("calls")
    c2:add(c2:key("sh", 1))
    assert.equal(3, c2:get(c2:key("sh", 1)))
    assert.equal(1, agg.hist("lat"):get())
    assert.same({ "lat_sum 5" }, lines("lat_sum"))
    assert.is_nil(agg.lhist("lin", 0, 20, 5):get(), "other bounds start empty")
    assert.equal(4, agg.avg("mean"):get("k"))
    assert.is_nil(agg.count("gone"):get(), "another kind starts empty")
  end)
end)
