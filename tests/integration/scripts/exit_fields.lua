-- Prints the fields of every exit event as key=value, one event per line.
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str

return field_lines.script("exit", function(e, len)
  return ("pid=%d ppid=%d uid=%d code=%d status=%d signal=%d core=%d comm=%s lifetime_ms=%d len=%d"):format(
    e.pid, e.ppid, e.uid, e.exit_code, e.exit_status, e.signal, e.core_dumped, str(e.comm),
    tonumber(e.lifetime_ns / 1000000), len)
end)
