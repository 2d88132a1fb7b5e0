-- Reads lines of JSON on stdin; each must be one complete JSON value (RFC 8259, strict:
-- no trailing commas, strings well escaped, valid UTF-8). Prints "N lines valid" or the
-- first bad line and why, and exits 1.
local byte, sub, find = string.byte, string.sub, string.find

local parse_value

local function fail(s, i, why) error(("%s at byte %d"):format(why, i), 0) end

local function skip_ws(s, i) return find(s, "[^ \t\r\n]", i) or #s + 1 end

local function parse_string(s, i)
  i = i + 1
  while true do
    local c = byte(s, i)
    if not c then fail(s, i, "unterminated string") end
    if c == 34 then return i + 1 end
    if c < 32 then fail(s, i, "control character in string") end
    if c == 92 then
      local e = sub(s, i + 1, i + 1)
      if e == "u" then
        if not find(sub(s, i + 2, i + 5), "^%x%x%x%x$") then fail(s, i, "bad \\u escape") end
        i = i + 6
      elseif find(e, '^["\\/bfnrt]$') then
        i = i + 2
      else
        fail(s, i, "bad escape")
      end
    elseif c >= 0x80 then
      local len = c >= 0xc2 and c < 0xe0 and 2 or c >= 0xe0 and c < 0xf0 and 3 or
                  c >= 0xf0 and c < 0xf5 and 4 or fail(s, i, "invalid UTF-8")
      for k = i + 1, i + len - 1 do
        local b = byte(s, k)
        if not b or b < 0x80 or b > 0xbf then fail(s, k, "invalid UTF-8") end
      end
      i = i + len
    else
      i = i + 1
    end
  end
end

local function parse_seq(s, i, close, item)
  i = skip_ws(s, i + 1)
  if byte(s, i) == close then return i + 1 end
  while true do
    i = skip_ws(s, item(s, i))
    local c = byte(s, i)
    if c == close then return i + 1 end
    if c ~= 44 then fail(s, i, "expected , or closing bracket") end
    i = skip_ws(s, i + 1)
  end
end

local function member(s, i)
  if byte(s, i) ~= 34 then fail(s, i, "expected a string key") end
  i = skip_ws(s, parse_string(s, i))
  if byte(s, i) ~= 58 then fail(s, i, "expected :") end
  return parse_value(s, skip_ws(s, i + 1))
end

function parse_value(s, i)
  local c = byte(s, i)
  if c == 123 then return parse_seq(s, i, 125, member) end
  if c == 91 then return parse_seq(s, i, 93, parse_value) end
  if c == 34 then return parse_string(s, i) end
  local _, e = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if e and e >= i then return e + 1 end
  for _, word in ipairs({ "true", "false", "null" }) do
    if sub(s, i, i + #word - 1) == word then return i + #word end
  end
  fail(s, i, "unexpected character")
end

local n = 0
for line in io.lines() do
  local ok, err = pcall(function()
    local e = skip_ws(line, parse_value(line, skip_ws(line, 1)))
    if e <= #line then fail(line, e, "trailing data") end
  end)
  if not ok then
    print(("line %d is not JSON: %s: %s"):format(n + 1, err, line))
    os.exit(1)
  end
  n = n + 1
end
print(n .. " lines valid")
