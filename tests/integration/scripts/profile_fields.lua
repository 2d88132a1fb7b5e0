-- Prints the fields of every profile sample as key=value, one sample per line.
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str

return field_lines.script("profile", function(e)
  return ("cpu=%d pid=%d tid=%d uid=%d comm=%s mode=%s"):format(
    e.cpu, e.pid, e.tid, e.uid, str(e.comm), e.user_mode == 1 and "user" or "kernel")
end)
