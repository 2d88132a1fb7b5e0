-- Specs of the decoding path's Lua side: JSON strings and numbers, and a decoder as the
-- C host generates it.
local ffi = require("ffi")
local ringlua = require("ringlua")

describe("decode", function()
  local decode

  before_each(function()
    package.loaded["ringlua.decode"] = nil
    decode = require("ringlua.decode")
  end)

  it("escapes quotes, backslashes and control characters in JSON strings", function()
    assert.are.equal([["a\"b\\c\n\t\u0001"]], decode.q('a"b\\c\n\t\1'))
  end)

  it("keeps valid UTF-8 and writes the bytes of invalid text as code points", function()
    assert.are.equal('"caf\195\169"', decode.q("caf\195\169"))
    assert.are.equal([["a\u00ffb"]], decode.q("a\255b"))
  end)

  it("installs a generated decoder and finds it by map name", function()
    ffi.cdef("struct spec_rec { uint32_t pid; char comm[4]; uint64_t big; };")
    local source = [[
local ffi, h, ctype = ...
local cast, T = ffi.cast, ffi.typeof("const " .. ctype .. " *")
local concat = table.concat
return function(p) local e = cast(T, p)
  return { ["pid"] = h.num(e["pid"]), ["comm"] = h.str(e["comm"], 4), ["big"] = h.num(e["big"]) } end,
function(p) local e = cast(T, p)
  return concat({ '{"map":"m"', ',"pid":', h.jnum(e["pid"]), ',"comm":', h.q(h.str(e["comm"], 4)),
                  ',"big":', h.jnum(e["big"]), '}' }) end
]]
    decode._install("m", "struct spec_rec", source)
    local rec = ffi.new("struct spec_rec", { 42, "ab", 18446744073709551615ULL })
    local len = ffi.sizeof(rec)
    assert.are.same({ pid = 42, comm = "ab", big = 2 ^ 64 }, decode.decode(rec, len, "m"))
    assert.are.equal('{"map":"m","pid":42,"comm":"ab","big":18446744073709551615}',
                     decode.json(rec, len, "m"))
  end)

  describe("a char array of several strings", function()
    -- A decoder as the generator writes one for struct spec_args: args is the tail, its
    -- strings bounded by args_size and args_count (btf_decode.c's text_member).
    local source = [[
local ffi, h, ctype = ...
local cast, T = ffi.cast, ffi.typeof("const " .. ctype .. " *")
local concat, strs, qs, min = table.concat, h.strs, h.qs, math.min
return function(p, len) local e = cast(T, p)
  return { ["args"] = strs(e["args"], min(16, len - 8), e["args_size"], e["args_count"]) } end,
function(p, len) local e = cast(T, p)
  return concat({ '{"map":"a"', ',"args":', qs(strs(e["args"], min(16, len - 8),
                  e["args_size"], e["args_count"])), '}' }) end,
8
]]
    local rec
    before_each(function()
      ringlua.cdef_once("struct spec_args",
        "struct spec_args { int32_t args_count; uint32_t args_size; char args[16]; };")
      decode._install("a", "struct spec_args", source)
      rec = ffi.new("struct spec_args")
    end)

    local function fill(bytes, size, count)
      ffi.copy(rec.args, bytes, #bytes)
      rec.args_size, rec.args_count = size, count
    end

    it("is a list of the strings within its size, not the stale bytes after", function()
      fill("one\0\0two\0STALE", 9, 9)
      assert.are.same({ args = { "one", "", "two" } }, decode.decode(rec, 24, "a"))
      assert.are.equal('{"map":"a","args":["one","","two"]}', decode.json(rec, 24, "a"))
    end)

    it("holds no more strings than its count", function()
      fill("a\0b\0c\0", 6, 2)
      assert.are.same({ "a", "b" }, decode.decode(rec, 24, "a").args)
    end)

    it("ends a last string that has no NUL at its size", function()
      fill("abcdef", 3, 1)
      assert.are.same({ "abc" }, decode.decode(rec, 24, "a").args)
    end)

    it("is a list of one for a single string, and empty for none", function()
      fill("solo\0", 5, 1)
      assert.are.equal('{"map":"a","args":["solo"]}', decode.json(rec, 24, "a"))
      fill("", 0, 0)
      assert.are.equal('{"map":"a","args":[]}', decode.json(rec, 24, "a"))
    end)

    it("escapes each string, bytes that are not UTF-8 as code points", function()
      fill('caf\195\169\0q"\255\0', 10, 2)
      assert.are.equal('{"map":"a","args":["caf\195\169","q\\"\\u00ff"]}',
                       decode.json(rec, 24, "a"))
    end)

    it("is read no further than the record goes when it is the record's tail", function()
      fill("abcdefgh", 8, 1) -- the size says 8; the record ends after 3 of them
      assert.are.same({ "abc" }, decode.decode(rec, 11, "a").args)
      assert.are.equal('{"map":"a","args":["abc"]}', decode.json(rec, 11, "a"))
    end)

    it("is decoded in a record that reaches it; a shorter one is its bytes", function()
      fill("x\0", 2, 1)
      assert.are.same({ "x" }, decode.decode(rec, 10, "a").args)
      assert.are.same({}, decode.decode(rec, 8, "a").args)
      assert.has_error(function() decode.decode(rec, 7, "a") end,
        "a record of 7 bytes is shorter than struct spec_args (8 bytes up to its last member)")
      assert.matches('^{"map":"a","len":7,"hex":"', decode.json(rec, 7, "a"))
    end)
  end)

  describe("a union an enum tags", function()
    -- A decoder as the generator writes one for struct spec_op (btf_decode.c's
    -- tagged_union): the arm op names, the first arm for a value that names none.
    local source = [[
local ffi, h, ctype = ...
local cast, T = ffi.cast, ffi.typeof("const " .. ctype .. " *")
local concat, D, tonumber = table.concat, {}, tonumber
D[1] = { [0] = "OP_MOUNT", [1] = "OP_UMOUNT", [2] = "OP_SYNC", }
D[2] = function(x) local v = tonumber(x["op"])
  if v == 1 then return "umount" end
  return "mount"
end
D[3] = function(x) local v = tonumber(x["op"])
  if v == 1 then return h.num(x["umount"]) end
  return h.num(x["mount"])
end
D[4] = function(x) local v = tonumber(x["op"])
  if v == 1 then return concat({ ',"umount":', h.jnum(x["umount"]) }) end
  return concat({ ',"mount":', h.jnum(x["mount"]) })
end
return function(p, len)
  local e = cast(T, p)
  return { ["op"] = h.enum(D[1], e["op"]), [D[2](e)] = D[3](e), }
end,
function(p, len)
  local e = cast(T, p)
  return concat({ '{"map":"u"', ',"op":', h.jenum(D[1], e["op"]), D[4](e), '}' })
end,
8
]]
    local rec
    before_each(function()
      ringlua.cdef_once("struct spec_op", "enum spec_op_kind { OP_MOUNT, OP_UMOUNT, OP_SYNC };" ..
        "struct spec_op { enum spec_op_kind op; union { int32_t mount; uint32_t umount; }; };")
      decode._install("u", "struct spec_op", source)
      rec = ffi.new("struct spec_op")
    end)

    it("shows the arm the enum's value names, and no other", function()
      rec.op, rec.umount = 1, 4294967295
      assert.are.same({ op = "OP_UMOUNT", umount = 4294967295 }, decode.decode(rec, 8, "u"))
      assert.are.equal('{"map":"u","op":"OP_UMOUNT","umount":4294967295}', decode.json(rec, 8, "u"))
    end)

    it("shows the first arm for a value that names no arm", function()
      rec.op, rec.mount = 2, -1
      assert.are.same({ op = "OP_SYNC", mount = -1 }, decode.decode(rec, 8, "u"))
      assert.are.equal('{"map":"u","op":"OP_SYNC","mount":-1}', decode.json(rec, 8, "u"))
    end)
  end)

  describe("a record shorter than its type", function()
    local short
    before_each(function()
      ringlua.cdef_once("struct spec_big", "struct spec_big { uint64_t a; uint8_t b[4088]; };")
      -- A decoder that would read the whole type: it must not be called.
      decode._install("big", "struct spec_big", "return function() error('read') end, " ..
                                                "function() error('read') end")
      short = ffi.new("uint8_t[8]", { 1, 2, 3, 4, 5, 6, 7, 8 })
    end)

    it("is an error to decode", function()
      assert.has_error(function() decode.decode(short, 8, "big") end,
                       "a record of 8 bytes is shorter than struct spec_big (4096 bytes)")
    end)

    it("is written in JSON as its bytes", function()
      assert.are.equal('{"map":"big","len":8,"hex":"0102030405060708"}',
                       decode.json(short, 8, "big"))
    end)
  end)

  it("wants the length of a record that is not the one being handled", function()
    decode._install("m2", "struct spec_rec", "return function() return {} end, " ..
                                             "function() return '' end")
    local rec = ffi.new("struct spec_rec")
    assert.has_error(function() decode.decode(rec, "m2") end,
                     "the length of the record at ptr is not known (it is not the record " ..
                     "being handled): pass it, as in ringlua.decode(ptr, len)")
  end)

  it("says a ring has no decoder rather than guessing", function()
    assert.has_error(function() decode.decode(nil, "nope") end,
                     "no decoder for nope: its record type is not known (a --pin ring has no BTF)")
  end)
end)
