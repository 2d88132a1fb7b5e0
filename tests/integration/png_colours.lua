-- What a screenshot shows, for tests that check a page drew something: decodes a PNG
-- (8-bit RGB or RGBA, not interlaced: what Chromium's --screenshot writes) with zlib,
-- which ringlua's build needs anyway, and prints
--   WIDTHxHEIGHT colours=N coloured=M
-- colours: distinct RGB values; coloured: pixels far from grey (a drawn frame, not the
-- page's white or a grey background).
--   luajit png_colours.lua FILE.png
local ffi = require("ffi")
local bit = require("bit")

ffi.cdef[[
int uncompress(uint8_t *dest, unsigned long *dest_len, const uint8_t *source,
               unsigned long source_len);
]]
local zlib = ffi.load("z")

local SIGNATURE = "\137PNG\r\n\26\n"
local BYTES_PER_PIXEL = { [2] = 3, [6] = 4 } -- by colour type: RGB, RGBA
-- A pixel whose channels differ by more than this is coloured, not a shade of grey.
local COLOURED_SPREAD = 40
local Z_OK = 0

local function die(why)
  io.stderr:write("png_colours: ", why, "\n")
  os.exit(1)
end

local function u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- The header's fields and the concatenated image data of the PNG in text.
local function chunks(text)
  if text:sub(1, 8) ~= SIGNATURE then die("not a PNG") end
  local at, header, data = 9, nil, {}
  while at + 8 <= #text do
    local len, kind = u32(text, at), text:sub(at + 4, at + 7)
    local body = text:sub(at + 8, at + 7 + len)
    if kind == "IHDR" then
      header = { width = u32(body, 1), height = u32(body, 5), depth = body:byte(9),
                 colour = body:byte(10), interlace = body:byte(13) }
    elseif kind == "IDAT" then
      data[#data + 1] = body
    end
    at = at + 12 + len
  end
  if not header then die("no IHDR") end
  return header, table.concat(data)
end

local function paeth(a, b, c)
  local p = a + b - c
  local pa, pb, pc = math.abs(p - a), math.abs(p - b), math.abs(p - c)
  if pa <= pb and pa <= pc then return a end
  return pb <= pc and b or c
end

-- Undoes each row's filter in place (PNG spec, section 9); rows start with their filter.
local function unfilter(raw, width, height, bpp)
  local stride = width * bpp
  for y = 0, height - 1 do
    local row, prev = y * (stride + 1) + 1, (y - 1) * (stride + 1) + 1
    local filter = raw[row - 1]
    for x = 0, stride - 1 do
      local a = x >= bpp and raw[row + x - bpp] or 0
      local b = y > 0 and raw[prev + x] or 0
      local c = (x >= bpp and y > 0) and raw[prev + x - bpp] or 0
      local v = raw[row + x]
      if filter == 1 then v = v + a
      elseif filter == 2 then v = v + b
      elseif filter == 3 then v = v + bit.rshift(a + b, 1)
      elseif filter == 4 then v = v + paeth(a, b, c) end
      raw[row + x] = bit.band(v, 0xff)
    end
  end
end

local function main(path)
  local f = io.open(path, "rb") or die("cannot open " .. tostring(path))
  local header, data = chunks(f:read("*a"))
  f:close()
  local bpp = BYTES_PER_PIXEL[header.colour]
  if header.depth ~= 8 or not bpp or header.interlace ~= 0 then
    die("only 8-bit RGB or RGBA, not interlaced")
  end
  local width, height = header.width, header.height
  local size = height * (width * bpp + 1)
  local raw = ffi.new("uint8_t[?]", size)
  local len = ffi.new("unsigned long[1]", size)
  if zlib.uncompress(raw, len, data, #data) ~= Z_OK or len[0] ~= size then
    die("bad image data")
  end
  unfilter(raw, width, height, bpp)
  local seen, colours, coloured = {}, 0, 0
  for y = 0, height - 1 do
    local row = y * (width * bpp + 1) + 1
    for x = 0, width - 1 do
      local p = row + x * bpp
      local r, g, b = raw[p], raw[p + 1], raw[p + 2]
      local key = (r * 256 + g) * 256 + b
      if not seen[key] then seen[key], colours = true, colours + 1 end
      if math.max(r, g, b) - math.min(r, g, b) > COLOURED_SPREAD then coloured = coloured + 1 end
    end
  end
  print(("%dx%d colours=%d coloured=%d"):format(width, height, colours, coloured))
end

main(...)
