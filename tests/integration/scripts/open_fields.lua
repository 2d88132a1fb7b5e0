-- Prints the fields of every open event as key=value, one event per line.
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str

return field_lines.script("open", function(e)
  return ("pid=%d tid=%d uid=%d flags=%d mode=%d ret=%d comm=%s path=%s"):format(
    e.pid, e.tid, e.uid, tonumber(e.flags), e.mode, tonumber(e.ret), str(e.comm), str(e.path))
end)
