-- LuaCATS annotations (for lua-language-server) of record types: one ---@class per
-- struct, one ---@field per field, found by decoding a zeroed record with the decoder
-- the host generated from BTF (LuaJIT's ffi has no reflection; the decoders know every
-- field), and typed by how the record reads through the ffi.
local ffi = require("ffi")

local _M = {}

local format, concat, sort = string.format, table.concat, table.sort

-- The class name of a C type: "struct exec_event" -> "ringlua.rec.exec_event" (apart from
-- ringlua's own names, such as the alias ringlua.event, whatever the struct is called).
function _M.class_name(ctype)
  return "ringlua.rec." .. ctype:gsub("^struct ", ""):gsub("[^%w_]", "_")
end

-- Whether writing a fraction into field name of rec keeps it: a float or double.
local FRACTION = 0.5
local function holds_fraction(rec, name)
  return pcall(function() rec[name] = FRACTION end) and rec[name] == FRACTION
end

-- The field's value as the ffi reads it from rec, or nil when rec has no such field
-- (a decoder may name a value the struct has under another shape).
local function ffi_value(rec, name)
  local ok, v = pcall(function() return rec[name] end)
  if ok then return v end
  return nil
end

-- Fields in struct order (their offsets), else by name.
local function field_order(rec, decoded)
  local names, at = {}, {}
  local ok, ct = pcall(ffi.typeof, rec)
  for name in pairs(decoded) do
    names[#names + 1] = name
    at[name] = ok and select(2, pcall(ffi.offsetof, ct, name)) or nil
  end
  sort(names, function(a, b)
    local oa, ob = at[a], at[b]
    if type(oa) == "number" and type(ob) == "number" and oa ~= ob then return oa < ob end
    return a < b
  end)
  return names
end

local type_of

-- Whether raw, a field read through the ffi, is a char array: decoded as a table, it is a
-- list of strings (a char array with a NAME_size or NAME_count sibling), empty in the
-- zeroed record.
local function is_char_array(raw)
  return type(raw) == "cdata" and
         tostring(ffi.typeof(raw)):find("^ctype<[%w ]*char %(&%)%[") ~= nil and
         not tostring(ffi.typeof(raw)):find("unsigned", 1, true)
end

-- The annotation type of a decoded value v, read through the ffi as raw (nil: unknown);
-- a nested struct adds its class to classes under class .. "." .. name.
type_of = function(v, raw, class, name, classes)
  local t = type(v)
  if t == "string" then return "string" end
  if t == "boolean" then return "boolean" end
  if t == "number" then
    -- add_class passes a float field's raw value as the fraction it held.
    if rawequal(raw, FRACTION) then return "number" end
    return "integer"
  end
  if t ~= "table" then return "any" end
  if is_char_array(raw) then return "string[]" end
  if v[1] ~= nil then
    local element = type(raw) == "cdata" and ffi_value(raw, 0) or nil
    return type_of(v[1], element, class, name, classes) .. "[]"
  end
  local nested = class .. "." .. name
  _M.add_class(classes, nested, v, raw)
  return nested
end

-- Adds the class of the decoded table decoded (read through the ffi as rec, a record of
-- its type) to classes, a list of lines, nested classes first.
function _M.add_class(classes, class, decoded, rec)
  local fields = {}
  for _, name in ipairs(field_order(rec, decoded)) do
    local raw = rec ~= nil and ffi_value(rec, name) or nil
    -- A float field reads as a number; mark it by holding a fraction.
    if type(raw) == "number" and holds_fraction(rec, name) then raw = FRACTION end
    fields[#fields + 1] = format("---@field %s %s", name,
                                 type_of(decoded[name], raw, class, name, classes))
  end
  classes[#classes + 1] = "---@class " .. class
  for _, line in ipairs(fields) do classes[#classes + 1] = line end
  classes[#classes + 1] = ""
end

-- The annotations of the record type ctype, as decode (a decoder of decode.lua) reads
-- it: its class (and its nested structs'), headed by a comment naming what it is.
function _M.record_class(ctype, decode, about)
  local rec = ffi.new(ctype)
  local lines = { "-- " .. about .. ": " .. ctype }
  _M.add_class(lines, _M.class_name(ctype), decode(rec, ffi.sizeof(rec)), rec)
  return concat(lines, "\n")
end

-- The alias ringlua.cast returns: the one record class, or their union ("any" when the
-- rings' record types are unknown).
function _M.event_alias(classes)
  return "---@alias ringlua.event " .. (#classes > 0 and concat(classes, "|") or "any") .. "\n"
end

return _M
