-- The decoding path: records copied out of the ring into plain Lua tables, or written as
-- JSON, by decoders the C host generates once per record type from BTF (src/kernel/btf_decode.c)
-- and installs here by ring (map) name. A decoded table holds no pointer into the ring:
-- it is safe to keep beyond the handler.
local ffi = require("ffi")
local ringlua = require("ringlua")

local _M = { decoders = {} }

local byte, format, gsub, concat = string.byte, string.format, string.gsub, table.concat
local tonumber, tostring = tonumber, tostring
local ffi_string, C = ffi.string, ffi.C
local uintptr_t = ffi.typeof("uintptr_t")
local MAX_EXACT = 2 ^ 63

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r",
                  ["\t"] = "\\t" }

local function escape_control(c)
  return ESCAPES[c] or format("\\u%04x", byte(c))
end

-- Whether s is well-formed UTF-8 (checked only for strings with bytes >= 0x80).
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    local len = c < 0x80 and 1 or c >= 0xc2 and c < 0xe0 and 2 or c >= 0xe0 and c < 0xf0 and 3
                or c >= 0xf0 and c < 0xf5 and 4 or nil
    if not len or i + len - 1 > n then return false end
    for k = i + 1, i + len - 1 do
      local b = byte(s, k)
      if b < 0x80 or b > 0xbf then return false end
    end
    i = i + len
  end
  return true
end

-- A JSON string. Kernel strings need not be UTF-8: if one is not, its high bytes are
-- written as the code points of the same value (Latin-1), so the line stays valid JSON.
local function q(s)
  s = gsub(s, '[%c"\\]', escape_control)
  if s:find("[\128-\255]") and not valid_utf8(s) then
    s = gsub(s, "[\128-\255]", function(c) return format("\\u%04x", byte(c)) end)
  end
  return '"' .. s .. '"'
end

-- Numbers: 64-bit fields as Lua numbers in tables (exact up to 2^53); in JSON, exact.
local function num(x) return tonumber(x) end

local function jnum(x)
  if type(x) == "cdata" then return (tostring(x):gsub("U?LL$", "")) end
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if x == math.floor(x) and x > -MAX_EXACT and x < MAX_EXACT then return format("%d", x) end
  return format("%.17g", x)
end

-- The strings of a char array that holds several, each ended by a NUL (argv joined, as
-- execsnoop sends it): those in its first `size` bytes, never past max, and at most
-- `count` of them; size and count are the record's own fields (nil: no such field).
-- Bytes past them are left from earlier records, never read.
local function strs(chars, max, size, count)
  local n = size and math.min(max, tonumber(size)) or max
  local left = count and tonumber(count) or n
  local t, at = {}, 0
  while at < n and left > 0 do
    local len = tonumber(C.strnlen(chars + at, n - at))
    t[#t + 1] = ffi_string(chars + at, len)
    at, left = at + len + 1, left - 1
  end
  return t
end

-- A list of strings as a JSON array.
local function qs(list)
  local t = {}
  for i = 1, #list do t[i] = q(list[i]) end
  return "[" .. concat(t, ",") .. "]"
end

local helpers = {
  str = ringlua.str,
  strs = strs,
  qs = qs,
  q = q,
  num = num,
  jnum = jnum,
  enum = function(names, v) v = tonumber(v) return names[v] or v end,
  jenum = function(names, v) v = tonumber(v) local n = names[v] return n and q(n) or jnum(v) end,
  ptr = function(p) return tonumber(ffi.cast(uintptr_t, p)) end,
  list = function(a, n, f)
    local t = {}
    for i = 0, n - 1 do t[i + 1] = f(a[i]) end
    return t
  end,
  list_json = function(a, n, f)
    local t = {}
    for i = 0, n - 1 do t[i + 1] = f(a[i]) end
    return concat(t, ",")
  end,
  -- a 128-bit integer (rl_uint128_t: two 64-bit halves) as hex text
  wide = function(x) return format("0x%016x%016x", x.hi, x.lo) end,
}
_M.q = q

-- A plain Lua value as JSON: a table whose [1] is set an array (of 1..#t), any other an
-- object (its keys as strings); functions and other userdata as null. Scripts emit
-- tables of the same few keys again and again: their quoted forms are kept (up to
-- MAX_KEYS of them).
local MAX_KEYS = 1024
local quoted_keys, nr_quoted = {}, 0

local function quoted_key(k)
  local text = quoted_keys[k]
  if text then return text end
  text = q(tostring(k)) .. ":"
  if nr_quoted < MAX_KEYS then
    quoted_keys[k] = text
    nr_quoted = nr_quoted + 1
  end
  return text
end

local function encode(v)
  local t = type(v)
  if t == "string" then return q(v) end
  if t == "number" or (t == "cdata" and tonumber(v)) then return jnum(v) end
  if t == "boolean" then return tostring(v) end
  if t ~= "table" then return "null" end
  local parts = {}
  if v[1] ~= nil then
    for i = 1, #v do parts[i] = encode(v[i]) end
    return "[" .. concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = quoted_key(k) .. encode(x) end
  return "{" .. concat(parts, ",") .. "}"
end
_M.encode = encode

-- Called by the C host: the generated source of map's decoders, for records of ctype.
-- The generated functions read a whole ctype, but for a char array at its end that a
-- record may stop inside (they read it only as far as the record's length): they are
-- called only on records of at least `min` bytes, which the source returns third.
-- every_arm: a table decoder that shows every arm of a union an enum tags (decode shows
-- the live one alone), returned fourth when the type has such a union, for --lua-types.
function _M._install(map, ctype, source)
  local chunk = assert(loadstring(source, "=decoder of " .. map))
  local decode, json, min, every_arm = chunk(ffi, helpers, ctype)
  local size = ffi.sizeof(ctype)
  _M.decoders[map] = { decode = decode, json = json, ctype = ctype, size = size,
                       min = math.min(min or size, size), every_arm = every_arm or decode }
end

-- A record of a ring whose type is unknown, or shorter than its type: its bytes, in hex,
-- so that nothing is lost and the line is still JSON.
function _M.raw_json(map, ptr, len)
  local bytes = ffi.string(ptr, len)
  return format('{"map":"%s","len":%d,"hex":"%s"}', map, len,
                (gsub(bytes, ".", function(c) return format("%02x", byte(c)) end)))
end

-- map's decoders; an error, blamed on the script (the caller of decode or json), when
-- it has none.
local function decoder(map)
  local d = _M.decoders[map]
  if not d then
    error("no decoder for " .. tostring(map) ..
          ": its record type is not known (a --pin ring has no BTF)", 4)
  end
  return d
end

-- The arguments after ptr, (len, map) with either left out: the length is a number,
-- the map a name.
local function len_and_map(a, b)
  if type(a) == "number" then return a, b end
  return nil, a
end

-- The decoder of the record at ptr, and its length: len when given, else the handled
-- record's when ptr is that record (the pointer the handler got); map: the ring's map
-- name, else the record's probe, else the first ring. A decoder never reads past the
-- length, and the probe is read only from a record known to hold it.
local function record_decoder(ptr, len, map)
  len = len or ringlua._handled_len(ptr)
  map = map or (len and ringlua.probe(ptr, len)) or ringlua.rings[1]
  local d = decoder(map)
  if not len then
    error("the length of the record at ptr is not known (it is not the record being " ..
          "handled): pass it, as in ringlua.decode(ptr, len)", 3)
  end
  return d, len, map
end

-- The record at ptr as a plain table; len: its length in bytes, map: its ring's map
-- name (both as record_decoder takes them). A record shorter than its type is an error
-- (but for one that stops inside a char array at its end: see _install).
function _M.decode(ptr, a, b)
  local d, len = record_decoder(ptr, len_and_map(a, b))
  if len < d.min then
    local want = d.min < d.size and format("%d bytes up to its last member", d.min)
                 or format("%d bytes", d.size)
    error(format("a record of %d bytes is shorter than %s (%s)", len, d.ctype, want), 2)
  end
  return d.decode(ptr, len)
end

-- The record at ptr as one line of JSON (no newline), with "map" first; len and map as
-- for decode. A record shorter than its type is written as its bytes (raw_json), as for
-- decode.
function _M.json(ptr, a, b)
  local d, len, map = record_decoder(ptr, len_and_map(a, b))
  if len < d.min then return _M.raw_json(map, ptr, len) end
  return d.json(ptr, len)
end

return _M
