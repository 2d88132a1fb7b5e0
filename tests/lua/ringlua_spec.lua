-- Specs of the module scripts use: require("ringlua").
local ffi = require("ffi")

local EXEC_CDEF = [[
struct spec_exec_event { __u64 ts_ns; __u32 pid; __u32 ppid; char comm[16]; };
]]

describe("ringlua", function()
  local ringlua

  before_each(function()
    package.loaded["ringlua"] = nil
    ringlua = require("ringlua")
  end)

  it("str stops at the first NUL of a char array", function()
    local buf = ffi.new("char[16]", "bash")
    assert.are.equal("bash", ringlua.str(buf))
  end)

  it("str never reads past the end of an array without a NUL", function()
    local s = ffi.new("struct { char a[4]; char b[4]; }")
    ffi.copy(s.a, "abcd", 4)
    ffi.copy(s.b, "XYZ", 4)
    assert.are.equal("abcd", ringlua.str(s.a))
  end)

  it("str honours an explicit bound", function()
    assert.are.equal("ab", ringlua.str(ffi.new("char[8]", "abcdef"), 2))
  end)

  it("copy keeps the bytes after the record is overwritten", function()
    local buf = ffi.new("uint8_t[4]", { 1, 2, 0, 4 })
    local kept = ringlua.copy(buf, 4)
    ffi.fill(buf, 4, 0xff)
    assert.are.equal("\1\2\0\4", kept)
  end)

  it("declares a source's event type once, however often it is loaded", function()
    ringlua._declare("spec", "struct spec_exec_event", EXEC_CDEF)
    package.loaded["ringlua"] = nil
    ringlua = require("ringlua")
    assert.has_no.errors(function()
      ringlua._declare("spec", "struct spec_exec_event", EXEC_CDEF)
    end)
    assert.are.equal(32, ffi.sizeof("struct spec_exec_event"))
  end)

  it("casts a record to the active source's event type", function()
    ringlua._declare("spec", "struct spec_exec_event", EXEC_CDEF)
    ringlua._use_source("spec")
    local ev = ffi.new("struct spec_exec_event", { pid = 42, ppid = 7, comm = "sh" })
    local e = ringlua.cast(ffi.cast("const uint8_t *", ev))
    assert.are.equal("spec", ringlua.source)
    assert.are.equal(42, e.pid)
    assert.are.equal(7, e.ppid)
    assert.are.equal("sh", ringlua.str(e.comm))
  end)

  it("decodes a record by its length and its ring's name, not the first ring's", function()
    package.loaded["ringlua.decode"] = nil
    local decode = require("ringlua.decode")
    ringlua.rings = { "first", "second" }
    decode._install("first", "struct spec_exec_event",
                    "return function() return 'first' end, function() return 'first' end")
    decode._install("second", "struct spec_exec_event",
                    "return function() return 'second' end, function() return 'second' end")
    local ev = ffi.new("struct spec_exec_event")
    assert.are.equal("second", ringlua.decode(ev, ffi.sizeof(ev), "second"))
    assert.are.equal("second", ringlua.json(ev, ffi.sizeof(ev), "second"))
  end)

  it("offers a pointer type per declared source", function()
    ringlua._declare("spec", "struct spec_exec_event", EXEC_CDEF)
    assert.is_true(ffi.istype(ringlua.types.spec, ffi.cast("const struct spec_exec_event *", nil)))
  end)
end)
