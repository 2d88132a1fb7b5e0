-- Text that others control (a process name, the symbols of its files) made safe to show:
-- each byte that could do harm becomes the text \xNN, so the rest stays readable.
--   local text = require("ringlua.text")
--   text.printable(comm)     -- no control characters: for terminals and line formats
--   text.valid_utf8(name)    -- only valid UTF-8: for formats a parser refuses otherwise
local format = string.format
local concat = table.concat

local _M = {}

local function hex_byte(c) return format("\\x%02x", c:byte()) end

-- text with each control character as \xNN: a newline cannot forge a line, an escape
-- sequence cannot reach a terminal.
function _M.printable(text)
  return (text:gsub("[%z\1-\31\127]", hex_byte))
end

-- The second byte a sequence's lead byte allows (UTF-8 as Go's utf8.ValidString reads
-- it, which Prometheus uses: no overlong forms, no surrogates, nothing past U+10FFFF);
-- the rest of a sequence is 0x80-0xBF.
local function second_range(lead)
  if lead == 0xE0 then return 0xA0, 0xBF end
  if lead == 0xED then return 0x80, 0x9F end
  if lead == 0xF0 then return 0x90, 0xBF end
  if lead == 0xF4 then return 0x80, 0x8F end
  return 0x80, 0xBF
end

-- The length of the valid UTF-8 sequence at byte i of v, or 0.
local function sequence_at(v, i)
  local lead = v:byte(i)
  local len = lead < 0x80 and 1 or (lead >= 0xC2 and lead <= 0xDF) and 2 or
              (lead >= 0xE0 and lead <= 0xEF) and 3 or (lead >= 0xF0 and lead <= 0xF4) and 4 or 0
  local lo, hi = second_range(lead)
  for j = i + 1, i + len - 1 do
    local b = v:byte(j)
    if not b or b < lo or b > hi then return 0 end
    lo, hi = 0x80, 0xBF
  end
  return len
end

-- v as valid UTF-8: a byte outside a valid sequence (a process name is any bytes)
-- becomes \xNN, so that one name cannot make a reader refuse the whole document.
function _M.valid_utf8(v)
  if not v:find("[\128-\255]") then return v end
  local out, i = {}, 1
  while i <= #v do
    local len = sequence_at(v, i)
    out[#out + 1] = len > 0 and v:sub(i, i + len - 1) or hex_byte(v:sub(i, i))
    i = i + (len > 0 and len or 1)
  end
  return concat(out)
end

return _M
