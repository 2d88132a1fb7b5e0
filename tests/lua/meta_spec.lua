-- Specs of lua/meta/ringlua.lua (the annotations --lua-types prints) against the modules'
-- real exports, and of ringlua.annotate, which writes the record classes.
local ffi = require("ffi")

local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local META = here .. "/../../lua/meta/ringlua.lua"

-- The names the meta file annotates, by the table they belong to ("ringlua", "agg",
-- "names", "Agg"): its functions and methods, and the @field lines of class ringlua.
local function annotated()
  local names = { ringlua = {}, agg = {}, names = {}, Agg = {} }
  local class
  for line in io.lines(META) do
    class = line:match("^%-%-%-@class (%S+)") or class
    local owner, name = line:match("^function (%w+)[.:]([%w_]+)%(")
    if owner then names[owner][name] = true end
    local field = class == "ringlua" and line:match("^%-%-%-@field ([%w_]+)")
    if field then names.ringlua[field] = true end
  end
  return names
end

-- The public names of t (no leading underscore).
local function public(t)
  local names = {}
  for k in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then names[k] = true end
  end
  return names
end

-- The public methods of every kind of aggregation (each kind's table, then Agg's).
local function agg_methods(agg)
  local methods = {}
  for _, a in ipairs({ agg.count("c"), agg.sum("s"), agg.min("mi"), agg.max("ma"),
                       agg.avg("a"), agg.hist("h"), agg.lhist("l", 0, 10, 1) }) do
    local class = getmetatable(a)
    while class do
      for k, v in pairs(class) do
        if type(v) == "function" and k:sub(1, 1) ~= "_" then methods[k] = true end
      end
      local parent = getmetatable(class)
      class = parent and parent.__index
    end
  end
  return methods
end

-- Fields that are nil until the host sets them: the source before on_init, the
-- globals and maps when a --bpf object binds them (ringlua.object).
local SET_BY_HOST = { source = true, event_type = true, globals = true, maps = true }

local function fresh(name)
  package.loaded[name] = nil
  return require(name)
end

describe("lua/meta/ringlua.lua", function()
  local meta

  before_each(function()
    meta = annotated()
  end)

  it("is valid Lua", function()
    assert.is_function(loadfile(META))
  end)

  it("annotates every export of ringlua, and names no export it lacks", function()
    local ringlua = fresh("ringlua")
    assert.same(public(ringlua), (function()
      local real = {}
      for k in pairs(meta.ringlua) do if not SET_BY_HOST[k] then real[k] = true end end
      return real
    end)())
  end)

  it("annotates every export of ringlua.agg, and names no export it lacks", function()
    assert.same(public(fresh("ringlua.agg")), meta.agg)
  end)

  it("annotates every method of every aggregation kind, and only those", function()
    assert.same(agg_methods(fresh("ringlua.agg")), meta.Agg)
  end)

  it("annotates every export of ringlua.names, and names no export it lacks", function()
    assert.same(public(fresh("ringlua.names")), meta.names)
  end)
end)

describe("ringlua.annotate", function()
  local annotate

  before_each(function()
    annotate = fresh("ringlua.annotate")
    require("ringlua").cdef_once("struct meta_spec_rec", [[
      struct meta_spec_inner { uint16_t port; };
      struct meta_spec_rec {
        uint64_t ts_ns; int32_t pid; double ratio; char comm[16];
        uint32_t ids[2]; struct meta_spec_inner peer;
      };
    ]])
  end)

  -- A decoder as the host generates them: the record's fields into a table.
  local function decode(r)
    return { ts_ns = tonumber(r.ts_ns), pid = r.pid, ratio = r.ratio,
             comm = ffi.string(r.comm), ids = { r.ids[0], r.ids[1] },
             peer = { port = r.peer.port } }
  end

  it("types every field as the ffi reads it, in struct order", function()
    local text = annotate.record_class("struct meta_spec_rec", decode, "records of x")
    assert.matches(table.concat({
      "---@class ringlua.rec.meta_spec_rec",
      "---@field ts_ns integer",
      "---@field pid integer",
      "---@field ratio number",
      "---@field comm string",
      "---@field ids integer%[%]",
      "---@field peer ringlua.rec.meta_spec_rec.peer",
    }, "\n"), text)
    assert.matches("---@class ringlua.rec.meta_spec_rec.peer\n---@field port integer", text)
  end)

  it("types a char array decoded as a list of strings, empty in a zeroed record, string[]",
     function()
    require("ringlua").cdef_once("struct meta_spec_args",
      "struct meta_spec_args { uint32_t args_size; char args[32]; };")
    local len_seen
    local function decode_args(_, len)
      len_seen = len
      return { args_size = 0, args = {} }
    end
    local text = annotate.record_class("struct meta_spec_args", decode_args, "records of x")
    assert.matches("---@field args_size integer\n---@field args string%[%]", text)
    assert.equal(36, len_seen) -- the decoder is told the zeroed record's length
  end)

  it("aliases ringlua.event to the one record class, or to their union", function()
    assert.equal("---@alias ringlua.event ringlua.rec.a\n", annotate.event_alias({ "ringlua.rec.a" }))
    assert.equal("---@alias ringlua.event ringlua.rec.a|ringlua.rec.b\n",
                 annotate.event_alias({ "ringlua.rec.a", "ringlua.rec.b" }))
  end)
end)
