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

describe("host", function()
  local host

  before_each(function()
    package.loaded["ringlua.host"] = nil
    package.loaded["ringlua"] = nil
    host = require("ringlua.host")
    _G.on_event, _G.source = nil, nil
  end)

  after_each(function()
    _G.on_event, _G.source = nil, nil
  end)

  it("finds on_event in the table the script returns", function()
    local b = fake_batch({ "abc" })
    local seen
    _G.spec_seen = function(s) seen = s end
    local source, dispatch = host.start(chunk([[
      local ffi = require("ffi")
      return { source = "exec", on_event = function(p, n) spec_seen(ffi.string(p, n)) end }
    ]]), "spec_script.lua", b.shared, {})
    dispatch(0, 1)
    assert.are.equal("exec", source)
    assert.are.equal("abc", seen)
  end)

  it("falls back to a global on_event and a global source", function()
    local b = fake_batch({ "x" })
    local _, dispatch, hooks = host.start(chunk([[
      source = "syscalls"
      function on_event(p, n) spec_count = (spec_count or 0) + n end
    ]]), "spec_script.lua", b.shared, {})
    _G.spec_count = 0
    dispatch(0, 1)
    assert.are.equal(1, _G.spec_count)
    assert.are.equal(_G.on_event, hooks.on_event)
  end)

  it("refuses a script without on_event, naming the script", function()
    assert.has_error(function()
      host.start(chunk("return {}"), "spec_script.lua", fake_batch({}).shared, {})
    end, "spec_script.lua: no on_event(ptr, len) handler: return it in a table or define it globally")
  end)

  it("refuses a handler that is not a function", function()
    assert.has_error(function()
      host.start(chunk("return { on_event = 1 }"), "s.lua", fake_batch({}).shared, {})
    end, "s.lua: on_event must be a function, got number")
  end)

  it("hands every record to on_event in order with its length", function()
    local b = fake_batch({ "a", "bb", "ccc" })
    local got = {}
    _G.spec_got = got
    local _, dispatch = host.start(chunk([[
      local ffi = require("ffi")
      return { on_event = function(p, n) spec_got[#spec_got + 1] = ffi.string(p, n) end }
    ]]), "s.lua", b.shared, {})
    dispatch(0, 3)
    assert.are.same({ "a", "bb", "ccc" }, got)
  end)

  it("starts at the record it is told to and leaves the failing one in cursor", function()
    local b = fake_batch({ "a", "b", "boom", "d" })
    local _, dispatch = host.start(chunk([[
      local ffi = require("ffi")
      return { on_event = function(p, n) if ffi.string(p, n) == "boom" then error("bad") end end }
    ]]), "s.lua", b.shared, {})
    assert.has_error(function() dispatch(1, 4) end)
    assert.are.equal(2, b.shared.cursor)
  end)

  it("makes no garbage per event once compiled", function()
    local payloads = {}
    for i = 1, 1000 do payloads[i] = "0123456789abcdef" end
    local b = fake_batch(payloads)
    local _, dispatch = host.start(chunk([[
      local ffi = require("ffi")
      local u32p = ffi.typeof("const uint32_t *")
      local sum = 0
      return { on_event = function(p, n) sum = sum + ffi.cast(u32p, p)[0] + n end }
    ]]), "s.lua", b.shared, {})
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
end)
