-- What the source tests' scripts share: a script that prints READY from on_init, then
-- one line per event of a built-in source, as format(event, len) makes it (nil: none).
local ffi = require("ffi")
local ringlua = require("ringlua")

local ffi_cast = ffi.cast

local _M = {}

-- The script table for source; on_init(args), if given, runs before READY is printed.
function _M.script(source, format, on_init)
  local event_t = ringlua.types[source]
  io.stdout:setvbuf("line")
  return {
    source = source,
    on_init = function(args)
      if on_init then on_init(args) end
      print("READY source=" .. ringlua.source)
    end,
    on_event = function(ptr, len)
      local line = format(ffi_cast(event_t, ptr), len)
      if line then print(line) end
    end,
  }
end

return _M
