-- Prints the fields of the completed system calls of programs named by the first script
-- argument, as key=value, one event per line.
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str

local comm

return field_lines.script("syscall_exit", function(e)
  if str(e.comm) ~= comm then return nil end
  return ("pid=%d tid=%d uid=%d nr=%d ret=%d comm=%s latency_ns=%d"):format(
    e.pid, e.tid, e.uid, tonumber(e.nr), tonumber(e.ret), str(e.comm), tonumber(e.latency_ns))
end, function(args) comm = args[1] end)
