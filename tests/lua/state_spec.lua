-- Specs of ringlua.state's carrying across reloads: encode in one state, decode in the next.
local ffi = require("ffi")

describe("state", function()
  local state

  before_each(function()
    package.loaded["ringlua.state"] = nil
    state = require("ringlua.state")
  end)

  local function round_trip(v)
    local encoded, skipped = state.encode(v)
    return state.decode(encoded), skipped
  end

  it("carries numbers, strings and booleans exactly", function()
    local v = { 0.1, -0, 2 ^ 53, "a;b:c", "", true, false, ["key with spaces"] = "x\0y" }
    assert.are.same(v, (round_trip(v)))
  end)

  it("carries infinities and NaN", function()
    local got = round_trip({ math.huge, -math.huge, 0 / 0 })
    assert.are.equal(math.huge, got[1])
    assert.are.equal(-math.huge, got[2])
    assert.is_true(got[3] ~= got[3])
  end)

  it("carries 64-bit integers with their signedness and every bit", function()
    local got = round_trip({ u = 18446744073709551615ULL, i = -9223372036854775807LL - 1 })
    assert.is_true(ffi.istype("uint64_t", got.u))
    assert.is_true(got.u == 18446744073709551615ULL)
    assert.is_true(ffi.istype("int64_t", got.i))
    assert.is_true(got.i == -9223372036854775807LL - 1)
  end)

  it("carries nested tables with number, string and boolean keys", function()
    local v = { by_pid = { [1] = { n = 3 }, [4242] = { n = 1 } }, [true] = "yes", list = { 1, 2, 3 } }
    assert.are.same(v, (round_trip(v)))
  end)

  it("leaves functions, other cdata and table keys behind and names them", function()
    local got, skipped = round_trip({ f = print, p = ffi.new("int[1]"), [{}] = 1, n = 1 })
    assert.are.same({ n = 1 }, got)
    table.sort(skipped)
    assert.are.same({ 'state["f"] (function)', 'state["p"] (ctype<int [1]>)',
                      'state["table: ' }, { skipped[1], skipped[2], skipped[3]:sub(1, 14) })
  end)

  it("leaves a table that contains itself behind instead of looping", function()
    local v = { n = 1 }
    v.me = v
    local got, skipped = round_trip(v)
    assert.are.same({ n = 1 }, got)
    assert.are.same({ 'state["me"] (a table inside itself)' }, skipped)
  end)

  it("carries a table reached twice as two equal copies", function()
    local shared = { 1 }
    local got = round_trip({ a = shared, b = shared })
    assert.are.same({ 1 }, got.a)
    assert.are.same({ 1 }, got.b)
  end)

  it("refuses a truncated encoding with an error", function()
    local encoded = state.encode({ n = 12345 })
    assert.has_error(function() state.decode(encoded:sub(1, -4)) end)
  end)
end)
