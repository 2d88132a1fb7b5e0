-- Specs of ringlua.clause, what a program's clauses run with: event fields as Lua
-- values, an aggregation per call site, and the script the clauses make up.
local ffi = require("ffi")

ffi.cdef[[
struct clause_spec_event {
  uint64_t ts_ns; uint32_t pid, tid; char comm[16];
  uint64_t small, big; int64_t neg; int32_t ret; char path[8]; uint8_t bytes[2];
};
]]
local event_t = ffi.typeof("struct clause_spec_event")

describe("clause", function()
  local clause, ringlua, agg

  before_each(function()
    for _, m in ipairs({ "ringlua.clause", "ringlua.agg", "ringlua" }) do package.loaded[m] = nil end
    ringlua = require("ringlua")
    agg = require("ringlua.agg")
    -- A built-in source's records: the event is its own header.
    ringlua.cast = function(p) return p end
    clause = require("ringlua.clause")
  end)

  -- Every aggregation's text, as print_all writes it.
  local function printed()
    local parts = {}
    agg.each(function(a) parts[#parts + 1] = a:format() end)
    return table.concat(parts)
  end

  local function new_event()
    local ev = event_t()
    ev.ts_ns, ev.pid, ev.tid = 5000, 42, 43
    ffi.copy(ev.comm, "dd")
    ev.small, ev.big, ev.neg, ev.ret = 7, 2ULL ^ 60 + 1, -3, -2
    ffi.copy(ev.path, "/etc")
    return ev
  end

  describe("events", function()
    it("read char arrays as strings and integers as numbers", function()
      local rt = clause.new({ "exec" }, "source:exec")
      local e = rt.event(new_event())
      assert.are.equal("dd", e.comm)
      assert.are.equal("/etc", e.path)
      assert.are.equal(7, e.small)
      assert.are.equal(-3, e.neg)
      assert.are.equal(-2, e.ret)
      assert.are.equal("number", type(e.ts_ns))
    end)

    it("keep a 64-bit integer no double holds exactly as cdata", function()
      local e = clause.new({ "exec" }, "source:exec").event(new_event())
      assert.are.equal("cdata", type(e.big))
      assert.is_true(e.big == 2ULL ^ 60 + 1)
    end)

    it("read the header's names from the record", function()
      local rt = clause.new({ "exec" }, "source:exec")
      local ev = new_event()
      assert.are.equal(42, rt.header.pid(ev))
      assert.are.equal(43, rt.header.tid(ev))
      assert.are.equal("dd", rt.header.comm(ev))
      assert.are.equal(5000, rt.header.ts(ev))
      assert.are.equal("exec", rt.header.probe(ev))
    end)

    it("are read-only", function()
      local e = clause.new({ "exec" }, "source:exec").event(new_event())
      assert.has_error(function() e.pid = 1 end, "e.pid: an event is read-only")
    end)
  end)

  describe("aggregations", function()
    it("count by no key, one key or a tuple", function()
      local rt = clause.new({}, "")
      local total, by_comm, by_pair = rt.count("@"), rt.count("@c"), rt.count("@p")
      total() total()
      by_comm("dd") by_comm("dd") by_comm("sh")
      by_pair("a", 1)
      assert.are.equal("@: 2\n\n@c[sh]: 1\n@c[dd]: 2\n\n@p[a, 1]: 1\n\n", printed())
    end)

    it("sum, min, max and avg a value by key, cdata values as numbers", function()
      local rt = clause.new({}, "")
      local sum, min, max, avg = rt.sum("@s"), rt.min("@mn"), rt.max("@mx"), rt.avg("@a")
      for _, v in ipairs({ 4, 2, 9 }) do
        sum(v, "k") min(v) max(ffi.new("int64_t", v)) avg(v)
      end
      assert.are.equal("@s[k]: 15\n\n@mn: 2\n\n@mx: 9\n\n@a: 5\n\n", printed())
    end)

    it("make a linear histogram with the bounds of its first call", function()
      local rt = clause.new({}, "")
      local lhist = rt.lhist("@l")
      lhist(3, 0, 10, 5) lhist(7, 0, 10, 5)
      assert.is_truthy(printed():find("@l:\n[0, 5)", 1, true))
    end)

    it("refuse a value that is not a number", function()
      local rt = clause.new({}, "")
      assert.has_error(function() rt.hist("@h")("x") end, "hist: the value must be a number, got string")
    end)
  end)

  describe("the script", function()
    it("hands each event of the one source to its clauses in order", function()
      local rt = clause.new({ "exec" }, "source:exec")
      local seen = {}
      rt.on({ "exec" }, nil, function(p) seen[#seen + 1] = "a" .. p.pid end)
      rt.on({ "exec" }, nil, function(p) seen[#seen + 1] = "b" .. p.pid end)
      local script = rt.script()
      assert.are.same({ "exec" }, script.source)
      assert.is_true(script.program)
      script.on_init()
      script.on_event(new_event())
      assert.are.same({ "a42", "b42" }, seen)
    end)

    it("runs BEGIN at on_init, and END at on_exit before the aggregations print", function()
      local rt = clause.new({}, "")
      local order = {}
      rt.on("BEGIN", nil, function() order[#order + 1] = "begin" end)
      rt.on("END", nil, function() order[#order + 1] = "end" end)
      local count = rt.count("@")
      local script = rt.script()
      assert.is_nil(script.source)
      script.on_init()
      count()
      local old_print_all = agg.print_all
      agg.print_all = function() order[#order + 1] = "print_all" end
      script.on_exit()
      agg.print_all = old_print_all
      assert.are.same({ "begin", "end", "print_all" }, order)
    end)

    it("asks for ticks of the periods' greatest common divisor", function()
      local rt = clause.new({}, "")
      rt.on("interval", 1500, function() end)
      rt.on("interval", 2000, function() end)
      local script = rt.script()
      assert.are.equal(500, script.interval)
      assert.is_function(script.on_tick)
      assert.is_nil(clause.new({}, "").script().interval)
    end)

    it("fires an interval clause on the first tick at or after its time", function()
      local names = require("ringlua.names")
      local now = names.now_ns
      local t = 0
      names.now_ns = function() return t end
      local rt = clause.new({}, "")
      local fired = 0
      rt.on("interval", 1000, function() fired = fired + 1 end)
      local script = rt.script()
      script.on_init()
      t = 0.5e9 script.on_tick()
      assert.are.equal(0, fired)
      t = 1e9 script.on_tick()
      assert.are.equal(1, fired)
      t = 1.5e9 script.on_tick()
      assert.are.equal(1, fired)
      t = 2e9 script.on_tick()
      assert.are.equal(2, fired)
      names.now_ns = now
    end)

    it("stops the run with exit(), as ringlua.stop()", function()
      assert.are.equal(ringlua.stop, clause.new({}, "").exit)
    end)
  end)
end)
