-- The script of `ringlua --lua-types`: prints the LuaCATS annotations of ringlua's
-- modules (lua/meta/ringlua.lua, the one copy), then a class for the record type
-- of each ring of the source, declared and decoded as any script's records are, and
-- stops before the first event.
local ringlua = require("ringlua")
local decode = require("ringlua.decode")
local annotate = require("ringlua.annotate")

local M = {}

-- The annotations of ringlua's modules, as shipped beside them.
local function stdlib_text()
  local path = assert(package.searchpath("meta.ringlua", package.path))
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- One class per ring whose record type is known; the names of those classes.
local function record_classes(out)
  local classes = {}
  for _, map in ipairs(ringlua.rings) do
    local d = decode.decoders[map]
    if d then
      local about = map == ringlua.source and "records of " .. map or
                    "records of ring " .. map .. " (" .. tostring(ringlua.source) .. ")"
      out:write("\n", annotate.record_class(d.ctype, d.every_arm, about))
      classes[#classes + 1] = annotate.class_name(d.ctype)
    end
  end
  return classes
end

function M.on_init()
  local out = io.stdout
  out:write(stdlib_text())
  out:write("\n", annotate.event_alias(record_classes(out)))
  ringlua.stop()
end

-- No record is wanted: the run stops before the first is handed out.
function M.on_event() end

return M
