-- Specs of ringlua.agg: aggregations by key and histograms printed as bpftrace prints them.
local ffi = require("ffi")

-- A stand-in for a file: collects what is written.
local sink = require("sink")

-- Heap growth in KB over `rounds` calls of f(i), with the GC stopped, after a warm-up
-- that lets the loop compile and every key be seen.
local function garbage_kb(rounds, f)
  for i = 1, 20000 do f(i) end
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  for i = 1, rounds do f(i) end
  local grown = collectgarbage("count") - before
  collectgarbage("restart")
  return grown
end

describe("agg", function()
  local agg

  before_each(function()
    package.loaded["ringlua.agg"] = nil
    agg = require("ringlua.agg")
  end)

  describe("by key", function()
    it("counts by key and prints smallest first with the name as header", function()
      local calls = agg.count("calls")
      for _ = 1, 3 do calls:add("read") end
      calls:add("write")
      assert.are.equal("@calls[write]: 1\n@calls[read]: 3\n\n", calls:format())
    end)

    it("counts by the increment it is given", function()
      local bytes = agg.count("bytes")
      bytes:add(7, 10)
      bytes:add(7)
      assert.are.equal(11, bytes:get(7))
    end)

    it("sums, keeps the minimum and the maximum", function()
      local s, lo, hi = agg.sum("s"), agg.min("lo"), agg.max("hi")
      for _, v in ipairs({ 5, -2, 9 }) do
        s:add("k", v)
        lo:add("k", v)
        hi:add("k", v)
      end
      assert.are.same({ 12, -2, 9 }, { s:get("k"), lo:get("k"), hi:get("k") })
    end)

    it("averages exactly and prints the integer part like bpftrace", function()
      local a = agg.avg("lat")
      a:add("x", 3)
      a:add("x", 4)
      assert.are.equal(3.5, a:get("x"))
      assert.are.equal("@lat[x]: 3\n\n", a:format())
    end)

    it("prints an aggregation without keys as a plain value", function()
      local n = agg.count("events")
      n:add()
      n:add()
      assert.are.equal("@events: 2\n\n", n:format())
    end)

    it("prints an unnamed aggregation as @", function()
      local n = agg.sum()
      n:add(1, 5)
      assert.are.equal("@[1]: 5\n\n", n:format())
    end)

    it("breaks ties between equal values by key, whatever the table order", function()
      local c = agg.count("c")
      for _, k in ipairs({ "b", "c", "a" }) do c:add(k) end
      assert.are.equal("@c[a]: 1\n@c[b]: 1\n@c[c]: 1\n\n", c:format())
    end)

    it("takes a 64-bit cdata key as the number it holds", function()
      local c = agg.count("nr")
      c:add(ffi.new("int64_t", 59))
      c:add(59)
      assert.are.equal("@nr[59]: 2\n\n", c:format())
    end)

    it("refuses a cdata key that is not a number", function()
      local c = agg.count("comm")
      assert.has_error(function() c:add(ffi.new("char[16]", "bash")) end,
        "agg: a cdata key must be a number; turn char arrays into strings with ringlua.str")
    end)

    it("prints nothing for an aggregation without entries", function()
      assert.are.equal("", agg.count("empty"):format())
    end)

    it("refuses a second aggregation of the same name", function()
      agg.count("dup")
      assert.has_error(function() agg.sum("@dup") end, "agg: @dup already exists")
    end)
  end)

  describe("tuple keys", function()
    it("interns a tuple: the same parts give the same key", function()
      local c = agg.count("t")
      assert.are.equal(c:key("bash", 3), c:key("bash", 3))
      assert.are_not.equal(c:key("bash", 3), c:key("bash", 4))
      assert.are_not.equal(c:key("bash"), c:key("bash", 3))
    end)

    it("prints a tuple's parts separated by commas, as bpftrace does", function()
      local c = agg.count("by")
      c:add(c:key("sshd", 22, "tcp"))
      c:add(c:key("sshd", 22, "tcp"))
      c:add(c:key("bash", 1))
      assert.are.equal("@by[bash, 1]: 1\n@by[sshd, 22, tcp]: 2\n\n", c:format())
    end)

    it("prints control characters of a key as \\xNN: no forged line, no terminal escape", function()
      local c = agg.count("names")
      c:add("a\nb\27[31m")
      c:add(c:key("x\ty", 1))
      assert.are.equal("@names[a\\x0ab\\x1b[31m]: 1\n@names[x\\x09y, 1]: 1\n\n", c:format())
      local out = sink()
      c:folded(out)
      assert.are.equal("a\\x0ab\\x1b[31m 1\nx\\x09y;1 1\n", out:text())
    end)

    it("refuses a tuple with a hole or more than four parts", function()
      local c = agg.count("bad")
      assert.has_error(function() c:key("a", nil, "c") end,
        "agg: a tuple key has 1 to 4 parts, none of them nil")
      assert.has_error(function() c:key(1, 2, 3, 4, 5) end)
    end)

    it("keeps interned tuples valid across clear", function()
      local c = agg.count("kept")
      local k = c:key("a", 1)
      c:add(k)
      c:clear()
      c:add(c:key("a", 1))
      c:add(k)
      assert.are.equal("@kept[a, 1]: 2\n\n", c:format())
    end)
  end)

  describe("top", function()
    it("prints only the biggest entries when given a limit", function()
      local c = agg.count("c")
      for i = 1, 5 do c:add("k" .. i, i) end
      assert.are.equal("@c[k4]: 4\n@c[k5]: 5\n\n", c:format(2))
    end)

    it("uses the aggregation's own top option by default", function()
      local c = agg.count("c", { top = 1 })
      c:add("a", 1)
      c:add("b", 2)
      assert.are.equal("@c[b]: 2\n\n", c:format())
    end)

    it("returns the biggest entries biggest first", function()
      local c = agg.count("c")
      c:add("a", 1)
      c:add("b", 3)
      c:add(c:key("x", 1), 2)
      local top = c:top(2)
      assert.are.equal(2, #top)
      assert.are.same({ key = "b", value = 3 }, top[1])
      assert.are.same({ "x", 1 }, { top[2].key[1], top[2].key[2] })
      assert.are.equal(2, top[2].value)
    end)
  end)

  describe("log2 histograms", function()
    it("prints [0], [1], then power-of-two ranges with bars scaled to the biggest", function()
      local h = agg.hist("bytes")
      h:record(0)
      h:record(1)
      for _ = 1, 4 do h:record(3) end
      for v = 4, 7 do h:record(v) end
      h:record(5)
      assert.are.equal(
        "@bytes:\n" ..
        "[0]                    1 |@@@@@@@@@@                                          |\n" ..
        "[1]                    1 |@@@@@@@@@@                                          |\n" ..
        "[2, 4)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@           |\n" ..
        "[4, 8)                 5 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" ..
        "\n", h:format())
    end)

    it("puts negative values in (..., 0)", function()
      local h = agg.hist("d")
      h:record(-5)
      h:record(0)
      assert.are.equal(
        "@d:\n" ..
        "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" ..
        "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" ..
        "\n", h:format())
    end)

    it("writes bounds with K, M and E suffixes and shows empty buckets between", function()
      local h = agg.hist("big")
      h:record(600)
      h:record(1024)
      h:record(1536)
      h:record(3 * 2^20)
      local text = h:format()
      assert.truthy(text:find("[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@", 1, true))
      assert.truthy(text:find("\n[1K, 2K)               2 |@@@@", 1, true))
      assert.truthy(text:find("\n[2K, 4K)               0 |" .. (" "):rep(52) .. "|\n", 1, true))
      assert.truthy(text:find("\n[2M, 4M)               1 |", 1, true))
    end)

    it("puts the biggest 64-bit values in [8E, 16E)", function()
      local h = agg.hist("top")
      h:record(2^63)
      assert.are.equal(
        "@top:\n[8E, 16E)              1 |" .. ("@"):rep(52) .. "|\n\n", h:format())
    end)

    it("sizes bars in single precision as bpftrace does", function()
      -- 1/13 * 52 is 4 in float but 3.9999999999999996 in double.
      local h = agg.hist("f")
      h:record(0)
      for _ = 1, 13 do h:record(1) end
      assert.truthy(h:format():find("[0]                    1 |@@@@ ", 1, true))
    end)

    it("prints one histogram per key, smallest total first", function()
      local h = agg.hist("lat")
      h:record(1, "b")
      h:record(1, "b")
      h:record(0, "a")
      assert.are.equal(
        "@lat[a]:\n[0]                    1 |" .. ("@"):rep(52) .. "|\n\n" ..
        "@lat[b]:\n[1]                    2 |" .. ("@"):rep(52) .. "|\n\n", h:format())
    end)

    it("counts what was recorded under a key", function()
      local h = agg.hist("n")
      for v = 1, 10 do h:record(v, "k") end
      assert.are.equal(10, h:get("k"))
    end)
  end)

  describe("linear histograms", function()
    it("prints steps, the below-min and the from-max buckets", function()
      local h = agg.lhist("ms", 0, 30, 10)
      h:record(-1)
      h:record(5)
      h:record(15)
      h:record(15)
      h:record(30)
      assert.are.equal(
        "@ms:\n" ..
        "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
        "[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
        "[10, 20)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" ..
        "[20, 30)               0 |                                                    |\n" ..
        "[30, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
        "\n", h:format())
    end)

    it("starts at the first and ends at the last non-empty bucket", function()
      local h = agg.lhist("x", 0, 100, 10)
      h:record(42)
      assert.are.equal("@x:\n[40, 50)               1 |" .. ("@"):rep(52) .. "|\n\n", h:format())
    end)

    it("writes single values as [n] when the step is 1", function()
      local h = agg.lhist("one", 0, 10, 1)
      h:record(3)
      assert.are.equal("@one:\n[3]                    1 |" .. ("@"):rep(52) .. "|\n\n", h:format())
    end)

    it("writes K and M bounds only when the step is a multiple of 1024", function()
      local k = agg.lhist("k", 0, 4 * 2^20, 2^20)
      k:record(2^20 + 1)
      assert.truthy(k:format():find("\n[1M, 2M)  ", 1, true))
      local kb = agg.lhist("kb", 0, 4096, 1024)
      kb:record(1500)
      assert.truthy(kb:format():find("\n[1K, 2K)  ", 1, true))
      local plain = agg.lhist("plain", 0, 5000, 1000)
      plain:record(2500)
      assert.truthy(plain:format():find("\n[2000, 3000)  ", 1, true))
    end)

    it("refuses bounds that are not a whole number of steps apart", function()
      assert.has_error(function() agg.lhist("bad", 0, 25, 10) end,
        "agg: lhist wants integers min < max and step > 0 dividing max - min")
    end)
  end)

  describe("registry", function()
    it("prints every aggregation with entries in the order they were made", function()
      local b = agg.count("b")
      agg.count("unused")
      local h = agg.hist("a")
      b:add("x")
      h:record(1)
      local out = sink()
      agg.print_all(out)
      assert.are.equal("@b[x]: 1\n\n@a:\n[1]                    1 |" .. ("@"):rep(52) .. "|\n\n",
                       out:text())
    end)

    it("clear empties one aggregation, clear_all every one", function()
      local a, b = agg.count("a"), agg.sum("b")
      a:add(1)
      b:add(1, 2)
      a:clear()
      assert.is_nil(a:get(1))
      assert.are.equal(2, b:get(1))
      agg.clear_all()
      assert.is_nil(b:get(1))
    end)

    it("print writes to the file it is given", function()
      local c = agg.count("c")
      c:add("k")
      local out = sink()
      c:print(out)
      assert.are.equal("@c[k]: 1\n\n", out:text())
    end)
  end)

  describe("per-event cost", function()
    local ROUNDS = 1000000
    -- 1M calls: even 16 bytes each would be 16000 KB.
    local LIMIT_KB = 64

    it("makes no garbage counting by number and string keys once seen", function()
      local by_nr, by_name = agg.count("nr"), agg.sum("name")
      local names = { "read", "write", "openat", "close" }
      local grown = garbage_kb(ROUNDS, function(i)
        by_nr:add(i % 400)
        by_name:add(names[i % 4 + 1], i)
      end)
      assert.is_true(grown < LIMIT_KB, ("heap grew by %.1f KB"):format(grown))
    end)

    it("makes no garbage for min, max and avg once keys are seen", function()
      local lo, hi, mean = agg.min("lo"), agg.max("hi"), agg.avg("mean")
      local grown = garbage_kb(ROUNDS, function(i)
        lo:add(i % 64, i)
        hi:add(i % 64, i)
        mean:add(i % 64, i)
      end)
      assert.is_true(grown < LIMIT_KB, ("heap grew by %.1f KB"):format(grown))
    end)

    it("makes no garbage recording into histograms", function()
      local h, l = agg.hist("h"), agg.lhist("l", 0, 1000, 10)
      local grown = garbage_kb(ROUNDS, function(i)
        h:record(i * 7919 % 100000, i % 8)
        l:record(i % 1200)
      end)
      assert.is_true(grown < LIMIT_KB, ("heap grew by %.1f KB"):format(grown))
    end)

    it("makes no garbage interning tuples that were seen before", function()
      local c = agg.count("t")
      local comms = { "bash", "sshd", "cron" }
      local grown = garbage_kb(ROUNDS, function(i)
        c:add(c:key(comms[i % 3 + 1], i % 50, i % 2 == 0))
      end)
      assert.is_true(grown < LIMIT_KB, ("heap grew by %.1f KB"):format(grown))
    end)
  end)
  describe("max_entries", function()
    local saved_stderr, err

    before_each(function()
      saved_stderr, err = io.stderr, sink()
      io.stderr = err
    end)

    after_each(function() io.stderr = saved_stderr end)

    it("holds at most max_entries keys and counts the updates of new keys it drops", function()
      local c = agg.count("calls", { max_entries = 2 })
      for _, k in ipairs({ "a", "b", "c", "d", "a", "c" }) do c:add(k) end
      assert.equal(2, c:get("a"))
      assert.equal(1, c:get("b"))
      assert.is_nil(c:get("c"))
      assert.equal(3, c:dropped())
      assert.equal("ringlua: @calls holds 2 keys (max_entries): updates of new keys are " ..
                   "dropped and counted\n", err:text())
    end)

    it("makes room again on clear, and keeps counting what it dropped", function()
      local c = agg.count("calls", { max_entries = 1 })
      c:add("a")
      c:add("b")
      c:clear()
      c:add("b")
      assert.equal(1, c:get("b"))
      assert.equal(1, c:dropped())
    end)

    it("drops new keys of every kind once full", function()
      local made = {
        agg.sum("s", { max_entries = 1 }), agg.min("mi", { max_entries = 1 }),
        agg.max("ma", { max_entries = 1 }), agg.avg("av", { max_entries = 1 }),
      }
      for _, a in ipairs(made) do
        a:add("x", 5)
        a:add("y", 7)
        assert.equal(5, a:get("x"))
        assert.is_nil(a:get("y"))
        assert.equal(1, a:dropped())
      end
      for _, h in ipairs({ agg.hist("h", { max_entries = 1 }),
                           agg.lhist("l", 0, 10, 1, { max_entries = 1 }) }) do
        h:record(3, "x")
        h:record(4, "y")
        assert.equal(1, h:get("x"))
        assert.is_nil(h:get("y"))
        assert.equal(1, h:dropped())
      end
    end)

    it("keeps no tuple it made while full", function()
      local c = agg.count("pairs", { max_entries = 1 })
      c:add(c:key("sh", 1))
      local late = c:key("cat", 2)
      c:add(late)
      c:clear()
      c:add(late)
      assert.equal(2, c:dropped())
      assert.is_nil(c:get(c:key("cat", 2)))
      c:add(c:key("cat", 2))
      assert.equal(1, c:get(c:key("cat", 2)), "a tuple made with room is kept")
    end)

    it("carries its drops across a reload, and drops what a smaller limit cannot hold", function()
      local c = agg.count("calls", { max_entries = 3 })
      for i = 1, 4 do c:add(i) end
      local exported = agg._export()
      package.loaded["ringlua.agg"] = nil
      agg = require("ringlua.agg")
      agg._carry(exported)
      local c2 = agg.count("calls", { max_entries = 2 })
      assert.equal(2, c2:dropped())
      local kept = 0
      for i = 1, 3 do kept = kept + (c2:get(i) or 0) end
      assert.equal(2, kept, "two of the three entries carried")
    end)

    it("holds 65536 keys unless told otherwise", function()
      local c = agg.count("many")
      for i = 1, 65537 do c:add(i) end
      assert.equal(1, c:dropped())
      assert.is_nil(c:get(65537))
    end)

    it("refuses a max_entries that is not a whole number of keys", function()
      for _, bad in ipairs({ 0, 1.5, "10", -1 }) do
        assert.has_error(function() agg.count("x" .. tostring(bad), { max_entries = bad }) end,
                         "agg: max_entries is a whole number of keys, 1 or more (math.huge: no limit)")
      end
      agg.count("unbounded", { max_entries = math.huge }):add(1)
    end)
  end)

  describe("stacks", function()
    local names, path
    local HIGH = 0xffffffff * 2^32

    before_each(function()
      names = require("ringlua.names")
      path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write("ffffffff81000000 T entry_SYSCALL_64\nffffffff81000100 T do_syscall_64\n",
              "ffffffff81000200 T ksys_read\n")
      f:close()
      assert.is_true(names.use_kallsyms(path))
    end)

    after_each(function() os.remove(path) end)

    -- Frames innermost first, as bpf_get_stack gives them.
    local function frames(...)
      local list = { ... }
      local ips = ffi.new("uint64_t[?]", #list)
      for i, off in ipairs(list) do ips[i - 1] = ffi.new("uint64_t", HIGH) + 0x81000000 + off end
      return ips, #list
    end

    it("finds the same key for the same frames", function()
      local a, n = frames(0x210, 0x110, 0x8)
      local b = frames(0x210, 0x110, 0x8)
      assert.are.equal(agg.kstack(a, n), agg.kstack(b, n))
      assert.are_not.equal(agg.kstack(a, n), agg.kstack(a, n - 1))
    end)

    it("prints a stack key as bpftrace prints kstack, a frame a line", function()
      local c = agg.count("")
      local ips, n = frames(0x210, 0x110, 0x8)
      c:add(c:key(agg.kstack(ips, n), "cat"))
      c:add(c:key(agg.kstack(ips, 0), "cat"))
      assert.are.equal("@[\n    ksys_read+0x10\n    do_syscall_64+0x10\n" ..
                       "    entry_SYSCALL_64+0x8\n, cat]: 1\n@[, cat]: 1\n\n", c:format())
    end)

    it("writes folded stacks outermost first, offsets dropped, equal stacks merged", function()
      local c = agg.count("")
      c:add(c:key(agg.kstack(frames(0x210, 0x110, 0x8)), "cat"), 2)
      c:add(c:key(agg.kstack(frames(0x220, 0x110, 0x8)), "cat"), 3)
      c:add(c:key(agg.kstack(frames(0x120, 0x8)), "dd"))
      local out = sink()
      c:folded(out)
      assert.are.equal("dd;entry_SYSCALL_64;do_syscall_64 1\n" ..
                       "cat;entry_SYSCALL_64;do_syscall_64;ksys_read 5\n", out:text())
    end)

    it("draws stacks as an SVG flame graph: comm at the root, kernel frames in blue", function()
      local c = agg.count("")
      c:add(c:key(agg.kstack(frames(0x210, 0x110, 0x8)), "cat"), 2)
      c:add(c:key(agg.kstack(frames(0x220, 0x110, 0x8)), "cat"), 3)
      local out = sink()
      c:svg(out, { title = "cat" })
      local svg = out:text()
      assert.truthy(svg:find("<title>cat (5 samples, 100.00%)</title>", 1, true))
      local r, b = svg:match("<title>ksys_read %(5 samples, 100.00%%%)</title>" ..
                             '<rect [^>]*fill="rgb%((%d+),%d+,(%d+)%)"')
      assert.truthy(r, "the kernel frame, offsets dropped and samples added up")
      assert.is_true(tonumber(b) > tonumber(r), "a kernel frame is blue")
    end)

    it("allocates nothing for a stack seen before", function()
      local c = agg.count("")
      local ips, n = frames(0x210, 0x110, 0x8)
      local grown = garbage_kb(100000, function() c:add(c:key(agg.kstack(ips, n), "cat")) end)
      assert.is_true(grown < 64, ("heap grew by %.1f KB"):format(grown))
    end)
  end)
end)
