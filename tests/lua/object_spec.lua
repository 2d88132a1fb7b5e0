-- ringlua.globals over memory the spec owns, laid out as the C host describes a BPF
-- object's globals (src/kernel/bpf_bind.c).
local ffi = require("ffi")

ffi.cdef[[
struct spec_cfg { uint32_t a; char name[8]; };
enum spec_mode { SPEC_OFF = 0, SPEC_ON = 3 };
]]

describe("ringlua.globals", function()
  local ringlua, object, mem

  -- A binding of each kind, over one zeroed block: name, C type, offset, section.
  local layout = {
    { "watch", "int32_t", 0, ".data" },
    { "big", "uint64_t", 8, ".bss" },
    { "on", "bool", 16, ".bss" },
    { "comm", "char[16]", 24, ".data" },
    { "cfg", "struct spec_cfg", 40, ".bss" },
    { "mode", "enum spec_mode", 56, ".data" },
    { "targ_pid", "int32_t", 60, ".rodata" },
    { "ro_cfg", "struct spec_cfg", 64, ".rodata" },
  }

  before_each(function()
    package.loaded["ringlua"] = nil
    package.loaded["ringlua.object"] = nil
    ringlua = require("ringlua")
    object = require("ringlua.object")
    mem = ffi.new("uint8_t[128]")
    local base = tonumber(ffi.cast("uintptr_t", mem))
    local lines = { "return { ncpus = 2, maps = {}, globals = {" }
    for _, g in ipairs(layout) do
      lines[#lines + 1] = ('{ name = %q, ctype = %q, addr = %d, size = %d, section = %q, writable = %s },')
        :format(g[1], g[2], base + g[3], ffi.sizeof(g[2]), g[4], tostring(g[4] ~= ".rodata"))
    end
    lines[#lines + 1] = "} }"
    object._install(table.concat(lines, "\n"))
  end)

  it("reads and writes an integer in place", function()
    ringlua.globals.watch = 110
    assert.equal(110, ffi.cast("int32_t *", mem)[0])
    ffi.cast("int32_t *", mem)[0] = -7
    assert.equal(-7, ringlua.globals.watch)
  end)

  it("refuses a value that does not fit and keeps the old one", function()
    ringlua.globals.watch = 5
    assert.has_error(function() ringlua.globals.watch = 2 ^ 40 end,
      "ringlua.globals.watch: does not fit in int")
    assert.equal(5, ringlua.globals.watch)
  end)

  it("reads 64-bit integers as numbers up to 2^53, as cdata past it", function()
    ringlua.globals.big = 2 ^ 40
    assert.equal(2 ^ 40, ringlua.globals.big)
    ringlua.globals.big = 0xffffffffffffffffULL
    assert.equal(0xffffffffffffffffULL, ringlua.globals.big)
  end)

  it("takes booleans for bool and refuses numbers", function()
    ringlua.globals.on = true
    assert.is_true(ringlua.globals.on)
    assert.has_error(function() ringlua.globals.on = 1 end,
      "ringlua.globals.on: expected a boolean, got number")
  end)

  it("reads and writes char arrays as strings, with room for the NUL", function()
    ringlua.globals.comm = "postgres"
    assert.equal("postgres", ringlua.globals.comm)
    assert.has_error(function() ringlua.globals.comm = string.rep("x", 16) end,
      "ringlua.globals.comm: a string of at most 15 characters")
  end)

  it("hands out writable structs live and takes a table of fields", function()
    ringlua.globals.cfg = { a = 9, name = "x" }
    ringlua.globals.cfg.a = 10
    assert.equal(10, ffi.cast("struct spec_cfg *", mem + 40).a)
  end)

  it("takes enums by number or enumerator name", function()
    ringlua.globals.mode = "SPEC_ON"
    assert.equal(3, ringlua.globals.mode)
    assert.has_error(function() ringlua.globals.mode = "SPEC_NOPE" end,
      "ringlua.globals.mode: no enumerator SPEC_NOPE in enum spec_mode")
  end)

  it("reads const volatile globals and refuses writes, with what to do", function()
    ffi.cast("int32_t *", mem + 60)[0] = 1234
    assert.equal(1234, ringlua.globals.targ_pid)
    assert.has_error(function() ringlua.globals.targ_pid = 1 end,
      "ringlua.globals.targ_pid is const volatile (.rodata): it is set before load, with --set or the script's globals")
  end)

  it("hands out .rodata structs as copies", function()
    local c = ringlua.globals.ro_cfg
    c.a = 99
    assert.equal(0, ffi.cast("struct spec_cfg *", mem + 64).a)
  end)

  it("names a global the object does not have", function()
    assert.has_error(function() return ringlua.globals.nope end,
      "ringlua.globals.nope: the BPF object has no such global")
  end)
end)
