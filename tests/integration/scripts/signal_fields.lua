-- Prints the fields of every signal event as key=value, one event per line.
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str

return field_lines.script("signal", function(e)
  return ("pid=%d tid=%d uid=%d comm=%s target_pid=%d target_comm=%s sig=%d code=%d group=%d result=%d"):format(
    e.pid, e.tid, e.uid, str(e.comm), e.target_pid, str(e.target_comm), e.sig, e.code,
    e.group, e.result)
end)
