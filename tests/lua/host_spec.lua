-- Specs of the host side of a state: handler lookup and the batch loop.
local ffi = require("ffi")

-- A batch as the C host lays it out: records pointing into one buffer.
local function fake_batch(payloads)
  local shared = ffi.new("struct rl_dispatch")
  local recs = ffi.new("struct rl_rec[?]", #payloads)
  local bufs = {}
  for i, p in ipairs(payloads) do
    bufs[i] = ffi.new("uint8_t[?]", #p + 1, p)
    recs[i - 1].data = bufs[i]
    recs[i - 1].len = #p
  end
  shared.batch = recs
  return { shared = shared, keep = { recs, bufs } }
end

local function chunk(src)
  return assert(loadstring(src, "=spec_script.lua"))
end

-- ringlua's own modules, where the C host would say they are: the source tree's.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local OWN_PATH = here .. "/../../lua/?.lua;" .. here .. "/../../lua/?/init.lua"

-- A module loader that finds nothing, as the C host's load_module does for a missing file.
local function no_modules(path)
  return nil, "\n\tno file '" .. path .. "'"
end

describe("host", function()
  local host, saved_path, saved_cpath, saved_loaders, saved_exit

  -- host.start(chunk, script, shared, sources, opts) with the options the C host passes.
  local function start(src, script, shared, opts)
    opts = opts or {}
    opts.load_module = opts.load_module or no_modules
    opts.own_path = opts.own_path or OWN_PATH
    opts.reloads = opts.reloads or 0
    return host.start(chunk(src), script or "spec_script.lua", shared or fake_batch({}).shared,
                      {}, opts)
  end

  before_each(function()
    saved_path, saved_cpath, saved_exit = package.path, package.cpath, os.exit
    saved_loaders = { unpack(package.loaders) }
    package.loaded["ringlua.host"] = nil
    package.loaded["ringlua"] = nil
    host = require("ringlua.host")
    _G.on_event, _G.source = nil, nil
  end)

  after_each(function()
    _G.on_event, _G.source = nil, nil
    package.path, package.cpath, os.exit = saved_path, saved_cpath, saved_exit
    for i = #package.loaders, 1, -1 do package.loaders[i] = nil end
    for i, f in ipairs(saved_loaders) do package.loaders[i] = f end
  end)

  it("finds on_event in the table the script returns", function()
    local b = fake_batch({ "abc" })
    local seen
    _G.spec_seen = function(s) seen = s end
    local dispatch, ctl = start([[
      local ffi = require("ffi")
      return { source = "exec", on_event = function(p, n) spec_seen(ffi.string(p, n)) end }
    ]], nil, b.shared)
    dispatch(0, 1)
    assert.are.equal("exec", ctl.source)
    assert.are.equal("abc", seen)
  end)

  it("falls back to a global on_event and a global source", function()
    local b = fake_batch({ "x" })
    local dispatch, ctl = start([[
      source = "syscalls"
      function on_event(p, n) spec_count = (spec_count or 0) + n end
    ]], nil, b.shared)
    _G.spec_count = 0
    dispatch(0, 1)
    assert.are.equal(1, _G.spec_count)
    assert.are.equal(_G.on_event, ctl.on_event)
    assert.are.equal("syscalls", ctl.source)
  end)

  it("refuses a script without on_event, naming the script", function()
    assert.has_error(function()
      start("return {}")
    end, "spec_script.lua: no on_event(ptr, len) handler: return it in a table or define it globally")
  end)

  it("refuses a handler that is not a function", function()
    assert.has_error(function()
      start("return { on_event = 1 }", "s.lua")
    end, "s.lua: on_event must be a function, got number")
  end)

  it("hands every record to on_event in order with its length", function()
    local b = fake_batch({ "a", "bb", "ccc" })
    local got = {}
    _G.spec_got = got
    local dispatch = start([[
      local ffi = require("ffi")
      return { on_event = function(p, n) spec_got[#spec_got + 1] = ffi.string(p, n) end }
    ]], "s.lua", b.shared)
    dispatch(0, 3)
    assert.are.same({ "a", "bb", "ccc" }, got)
  end)

  it("starts at the record it is told to and leaves the failing one in cursor", function()
    local b = fake_batch({ "a", "b", "boom", "d" })
    local dispatch = start([[
      local ffi = require("ffi")
      return { on_event = function(p, n) if ffi.string(p, n) == "boom" then error("bad") end end }
    ]], "s.lua", b.shared)
    assert.has_error(function() dispatch(1, 4) end)
    assert.are.equal(2, b.shared.cursor)
  end)

  it("makes no garbage per event once compiled", function()
    local payloads = {}
    for i = 1, 1000 do payloads[i] = "0123456789abcdef" end
    local b = fake_batch(payloads)
    local dispatch = start([[
      local ffi = require("ffi")
      local u32p = ffi.typeof("const uint32_t *")
      local sum = 0
      return { on_event = function(p, n) sum = sum + ffi.cast(u32p, p)[0] + n end }
    ]], "s.lua", b.shared)
    for _ = 1, 200 do dispatch(0, 1000) end -- warm up: let the loop compile
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 1000 do dispatch(0, 1000) end
    local grown_kb = collectgarbage("count") - before
    collectgarbage("restart")
    -- 1M events: even 16 bytes each would be 16000 KB.
    assert.is_true(grown_kb < 64, ("heap grew by %.1f KB over 1M events"):format(grown_kb))
  end)

  it("finds on_reload among the handlers", function()
    local _, ctl = start("return { on_event = function() end, on_reload = function() end }")
    assert.is_function(ctl.on_reload)
  end)

  it("gives a fresh start an empty ringlua.state and a reload count of 0", function()
    start("return { on_event = function() end }")
    local ringlua = require("ringlua")
    assert.are.same({}, ringlua.state)
    assert.are.equal(0, ringlua.reloads)
  end)

  it("carries ringlua.state into the next state through export_state", function()
    local _, ctl = start([[
      local ringlua = require("ringlua")
      ringlua.state.count = 41
      ringlua.state.names = { "a", "b" }
      return { on_event = function() end }
    ]])
    local encoded = ctl.export_state()
    package.loaded["ringlua"] = nil
    package.loaded["ringlua.host"] = nil
    host = require("ringlua.host")
    start([[
      local ringlua = require("ringlua")
      ringlua.state.count = ringlua.state.count + 1
      return { on_event = function() end }
    ]], nil, nil, { state = encoded, reloads = 1 })
    local ringlua = require("ringlua")
    assert.are.same({ count = 42, names = { "a", "b" } }, ringlua.state)
    assert.are.equal(1, ringlua.reloads)
  end)

  it("loads modules beside the script through load_module, dots as directories", function()
    local asked = {}
    local function load_module(path)
      asked[#asked + 1] = path
      if path == "/scripts/lib/util.lua" then return function() return { answer = 42 } end end
      return nil, "\n\tno file '" .. path .. "'"
    end
    package.loaded["lib.util"] = nil
    start([[
      spec_util = require("lib.util")
      return { on_event = function() end }
    ]], "/scripts/handler.lua", nil, { load_module = load_module })
    package.loaded["lib.util"] = nil
    assert.are.equal(42, _G.spec_util.answer)
    assert.are.same({ "/scripts/lib/util.lua" }, asked)
  end)

  it("tries name/init.lua beside the script when name.lua is not there", function()
    local asked = {}
    local function load_module(path)
      asked[#asked + 1] = path
      if path == "/s/pkg/init.lua" then return function() return "pkg" end end
      return nil, "\n\tno file '" .. path .. "'"
    end
    package.loaded["pkg"] = nil
    start("spec_pkg = require('pkg') return { on_event = function() end }", "/s/h.lua", nil,
          { load_module = load_module })
    package.loaded["pkg"] = nil
    assert.are.equal("pkg", _G.spec_pkg)
    assert.are.same({ "/s/pkg.lua", "/s/pkg/init.lua" }, asked)
  end)

  it("keeps only ringlua's own modules on package.path, and no C modules", function()
    package.path = "./?.lua;/own/?.lua;/usr/share/lua/5.1/?.lua;lib/?.lua;/own/?/init.lua"
    package.cpath = "./?.so;/usr/lib/lua/5.1/?.so"
    start("return { on_event = function() end }", nil, nil,
          { own_path = "/own/?.lua;/own/?/init.lua" })
    assert.are.equal("/own/?.lua;/own/?/init.lua", package.path)
    assert.are.equal("", package.cpath)
  end)

  it("loads modules of the system's and LUA_PATH's entries through the checked loader", function()
    local asked = {}
    local function load_module(path)
      asked[#asked + 1] = path
      if path == "/usr/share/lua/5.1/sysmod.lua" then return function() return "sys" end end
      return nil, "\n\tno file '" .. path .. "'"
    end
    package.path = "./?.lua;/usr/share/lua/5.1/?.lua;rel/?.lua;/opt/lp/?/init.lua"
    package.loaded["sysmod"] = nil
    start("spec_sys = require('sysmod') return { on_event = function() end }", "/s/h.lua", nil,
          { load_module = load_module })
    package.loaded["sysmod"] = nil
    assert.are.equal("sys", _G.spec_sys)
    assert.are.same({ "/s/sysmod.lua", "/s/sysmod/init.lua", "/usr/share/lua/5.1/sysmod.lua" },
                    asked)
  end)

  it("never looks for a module through a relative entry", function()
    local asked = {}
    local function load_module(path)
      asked[#asked + 1] = path
      return nil, "\n\tno file '" .. path .. "'"
    end
    package.path = "./?.lua;rel/?.lua;/abs/?.lua"
    package.loaded["nowhere"] = nil
    assert.has_error(function()
      start("require('nowhere') return { on_event = function() end }", "/s/h.lua", nil,
            { load_module = load_module })
    end)
    assert.are.same({ "/s/nowhere.lua", "/s/nowhere/init.lua", "/abs/nowhere.lua" }, asked)
  end)

  it("turns os.exit into a request the C host sees, and unwinds the script", function()
    local b = fake_batch({ "x" })
    local dispatch = start("return { on_event = function() os.exit(3) end }", nil, b.shared)
    assert.has_error(function() dispatch(0, 1) end, "os.exit")
    assert.are.equal(1, b.shared.exit_requested)
    assert.are.equal(3, b.shared.exit_code)
  end)

  it("hands out no record after an os.exit that the script's pcall caught", function()
    local b = fake_batch({ "a", "b", "c" })
    _G.spec_n = 0
    local dispatch = start([[
      return { on_event = function() spec_n = spec_n + 1; pcall(os.exit, 2) end }
    ]], nil, b.shared)
    dispatch(0, 3)
    assert.are.equal(1, _G.spec_n)
    assert.are.equal(0, b.shared.cursor)
  end)

  -- Tracepoint probes, as the C host passes them: one ring, records tagged by probe.
  local PROBES = { { name = "tracepoint:spec:one", ctype = "struct spec_tp_one", tagged = true } }
  local function probe_cdef()
    -- struct tp_header is declared once per process; the spec may run after another.
    local header = pcall(ffi.typeof, "struct tp_header") and "" or [[
      struct tp_header { uint64_t ts_ns; uint32_t probe, pid, tid, ppid, uid, cpu;
                         char comm[16]; };]]
    return header .. "struct spec_tp_one { struct tp_header h; };"
  end

  it("hands out no tracepoint record after an os.exit that the script's pcall caught", function()
    local zeros = string.rep("\0", 48) -- probe 0
    local b = fake_batch({ zeros, zeros, zeros })
    _G.spec_n = 0
    local dispatch = start([[
      return { on_event = function() spec_n = spec_n + 1; pcall(os.exit, 2) end }
    ]], nil, b.shared, { rings = PROBES, cdef = probe_cdef() })
    dispatch(0, 3)
    assert.are.equal(1, _G.spec_n)
    assert.are.equal(0, b.shared.cursor)
  end)

  it("maps os.exit(true), os.exit() and os.exit(false) to 0, 0 and 1", function()
    local b = fake_batch({})
    start("return { on_event = function() end }", nil, b.shared)
    for _, case in ipairs({ { true, 0 }, { nil, 0 }, { false, 1 } }) do
      pcall(os.exit, case[1])
      assert.are.equal(case[2], b.shared.exit_code)
    end
  end)

  -- Rings of a user's BPF object, as the C host passes them.
  local RINGS = { { name = "first", ctype = "struct spec_first_event" }, { name = "second" } }
  local RING_CDEF = "struct spec_first_event { uint32_t a; uint16_t b; };"

  local function ring_batch(ring, payloads)
    local b = fake_batch(payloads)
    for i = 0, #payloads - 1 do b.keep[1][i].ring = ring end
    return b
  end

  it("hands a batch to the handler of its ring, else to on_event", function()
    local seen = {}
    _G.spec_seen = seen
    local src = [[
      local ffi = require("ffi")
      return {
        handlers = { first = function(p, n) spec_seen[#spec_seen + 1] = "first " .. ffi.string(p, n) end },
        on_event = function(p, n) spec_seen[#spec_seen + 1] = "default " .. ffi.string(p, n) end,
      }
    ]]
    local b1, b2 = ring_batch(0, { "x", "y" }), ring_batch(1, { "z" })
    local d1 = start(src, "s.lua", b1.shared, { rings = RINGS, cdef = RING_CDEF })
    d1(0, 2)
    package.loaded["ringlua"], package.loaded["ringlua.host"] = nil, nil
    host = require("ringlua.host")
    local d2 = start(src, "s.lua", b2.shared, { rings = RINGS, cdef = RING_CDEF })
    d2(0, 1)
    assert.are.same({ "first x", "first y", "default z" }, seen)
  end)

  it("declares each ring's record type as ringlua.types[map], once per state", function()
    start("return { on_event = function() end }", "s.lua", nil, { rings = RINGS, cdef = RING_CDEF })
    local types = require("ringlua").types
    local rec = ffi.new("struct spec_first_event", { 7, 9 })
    local p = ffi.cast(types.first, rec)
    assert.are.equal(7, p.a)
    assert.are.equal(9, p.b)
    assert.is_nil(types.second)
  end)

  it("needs no on_event when every ring has a handler", function()
    local _, ctl = start("return { handlers = { first = function() end, second = function() end } }",
                         "s.lua", nil, { rings = RINGS, cdef = RING_CDEF })
    assert.is_nil(ctl.on_event)
  end)

  it("refuses a handler for a map the object does not have", function()
    assert.has_error(function()
      start("return { handlers = { third = function() end }, on_event = function() end }", "s.lua",
            nil, { rings = RINGS, cdef = RING_CDEF })
    end, "s.lua: handlers.third: the BPF object has no ring buffer map so named (its rings: first, second)")
  end)

  it("names what has the rings when a handler's map is not among them", function()
    assert.has_error(function()
      start("return { handlers = { third = function() end }, on_event = function() end }", "s.lua",
            nil, { rings = RINGS, cdef = RING_CDEF, rings_from = "the recording x.rec" })
    end, "s.lua: handlers.third: the recording x.rec has no ring buffer map so named (its rings: first, second)")
  end)

  it("hands a built-in source's records to handlers.events, its ring's map name", function()
    local b = fake_batch({ "x" })
    local seen
    _G.spec_seen = function(p, n) seen = ffi.string(p, n) end
    local dispatch, ctl = start("return { handlers = { events = spec_seen } }", "s.lua", b.shared)
    assert.is_nil(ctl.on_event)
    dispatch(0, 1)
    assert.are.equal("x", seen)
  end)

  it("refuses a handler for another map on a built-in source, at start", function()
    assert.has_error(function()
      start("return { handlers = { exec = function() end } }", "s.lua")
    end, "s.lua: handlers.exec: a built-in source's or --pin's one ring is named events")
  end)

  it("leaves handlers for the rings of the script's own object until they are known", function()
    local _, ctl = start("return { bpf = 'prog.bpf.o', handlers = { mine = function() end } }",
                         "/scripts/s.lua")
    assert.are.equal("/scripts/prog.bpf.o", ctl.bpf)
  end)

  it("gives the script's bpf path relative to the script and its globals as text", function()
    local _, ctl = start([[
      return { bpf = "prog.bpf.c", globals = { n = 42, big = 2^60, s = "on", b = false },
               on_event = function() end }
    ]], "/scripts/s.lua")
    assert.are.equal("/scripts/prog.bpf.c", ctl.bpf)
    assert.are.same({ { "b", "false", "boolean" }, { "big", "1152921504606846976", "number" },
                      { "n", "42", "number" }, { "s", "on", "string" } }, ctl.globals)
  end)

  it("refuses globals that are not numbers, strings or booleans", function()
    assert.has_error(function()
      start("return { globals = { t = {} }, on_event = function() end }", "s.lua")
    end, "s.lua: globals.t must be a number, string or boolean, got table")
  end)
end)
