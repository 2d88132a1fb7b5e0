-- Carrying `ringlua.state` across a reload: the outgoing Lua state encodes it as a string,
-- the new state decodes it. Only plain data crosses: nil, booleans, numbers, strings,
-- 64-bit integer cdata, and tables of those (keys: booleans, numbers, strings). Anything
-- else (functions, other cdata, coroutines, a table inside itself) is left behind and
-- named, so the new script starts without it rather than with something half-copied.
local ffi = require("ffi")

local _M = {}

local int64_t = ffi.typeof("int64_t")
local uint64_t = ffi.typeof("uint64_t")
local byte, sub, find, format = string.byte, string.sub, string.find, string.format
local concat = table.concat

local KEY_TYPES = { boolean = true, number = true, string = true }

local function encode_number(v)
  if v ~= v then return "nnan;" end
  if v == math.huge then return "ninf;" end
  if v == -math.huge then return "n-inf;" end
  return format("n%.17g;", v)
end

-- 64-bit cdata print as 123LL or 123ULL; the tag keeps the signedness.
local function encode_int64(v)
  local signed = ffi.istype(int64_t, v)
  return (signed and "i" or "u") .. tostring(v):gsub("U?LL$", "") .. ";"
end

local encode_value

local function encode_table(t, path, out, skipped, active)
  if active[t] then
    skipped[#skipped + 1] = path .. " (a table inside itself)"
    return false
  end
  active[t] = true
  out[#out + 1] = "t"
  for k, v in pairs(t) do
    local kpath = path .. "[" .. format("%q", tostring(k)) .. "]"
    if not KEY_TYPES[type(k)] then
      skipped[#skipped + 1] = kpath .. " (a " .. type(k) .. " key)"
    else
      local mark = #out
      if encode_value(k, kpath, out, skipped, active) and
         not encode_value(v, kpath, out, skipped, active) then
        for i = #out, mark + 1, -1 do out[i] = nil end -- drop the key of a dropped value
      end
    end
  end
  out[#out + 1] = "e"
  active[t] = nil
  return true
end

-- Appends v's encoding to out; returns false (and names it in skipped) if it cannot go.
function encode_value(v, path, out, skipped, active)
  local tv = type(v)
  if tv == "number" then out[#out + 1] = encode_number(v)
  elseif tv == "string" then out[#out + 1] = "s" .. #v .. ":" .. v
  elseif tv == "boolean" then out[#out + 1] = v and "T" or "F"
  elseif tv == "nil" then out[#out + 1] = "z"
  elseif tv == "table" then return encode_table(v, path, out, skipped, active)
  elseif tv == "cdata" and (ffi.istype(int64_t, v) or ffi.istype(uint64_t, v)) then
    out[#out + 1] = encode_int64(v)
  else
    skipped[#skipped + 1] = path .. " (" .. (tv == "cdata" and tostring(ffi.typeof(v)) or tv) .. ")"
    return false
  end
  return true
end

-- Returns the encoding of v, and a list of what was left behind (paths from `name`).
function _M.encode(v, name)
  local out, skipped = {}, {}
  encode_value(v, name or "state", out, skipped, {})
  return concat(out), skipped
end

local function parse_int64(digits, ctype)
  local negative = byte(digits, 1) == 45 -- "-"
  local x = ctype(0)
  for i = negative and 2 or 1, #digits do x = x * 10 + (byte(digits, i) - 48) end
  return negative and -x or x
end

local NUMBERS = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }

local decode_at

-- Reads up to the next ";" from pos; returns the text and the position after it.
local function field(s, pos)
  local stop = find(s, ";", pos, true)
  if not stop then error("state: truncated encoding", 0) end
  return sub(s, pos, stop - 1), stop + 1
end

local function decode_table(s, pos)
  local t = {}
  while byte(s, pos) ~= 101 do -- "e"
    local k, v
    k, pos = decode_at(s, pos)
    v, pos = decode_at(s, pos)
    t[k] = v
  end
  return t, pos + 1
end

-- Decodes the value at pos; returns it and the position after it.
function decode_at(s, pos)
  local tag = sub(s, pos, pos)
  local text
  if tag == "n" then
    text, pos = field(s, pos + 1)
    return NUMBERS[text] or tonumber(text), pos
  elseif tag == "s" then
    local colon = find(s, ":", pos, true)
    local len = tonumber(sub(s, pos + 1, colon - 1))
    return sub(s, colon + 1, colon + len), colon + len + 1
  elseif tag == "T" or tag == "F" then return tag == "T", pos + 1
  elseif tag == "z" then return nil, pos + 1
  elseif tag == "t" then return decode_table(s, pos + 1)
  elseif tag == "i" or tag == "u" then
    text, pos = field(s, pos + 1)
    return parse_int64(text, tag == "i" and int64_t or uint64_t), pos
  end
  error("state: bad encoding at byte " .. pos, 0)
end

-- Decodes the value whose encoding starts at pos (default 1); returns it and the position
-- after it, where the next encoding may follow.
function _M.decode(s, pos)
  return decode_at(s, pos or 1)
end

return _M
