-- Prints the fields of the completed system calls of programs named by the first script
-- argument, as key=value, one event per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local syscall_exit_t = ringlua.types.syscall_exit
local str = ringlua.str

local comm

io.stdout:setvbuf("line")
return {
  source = "syscall_exit",
  on_init = function(args)
    comm = args[1]
    print("READY source=" .. ringlua.source)
  end,
  on_event = function(ptr)
    local e = ffi.cast(syscall_exit_t, ptr)
    if str(e.comm) ~= comm then return end
    print(("pid=%d tid=%d uid=%d nr=%d ret=%d comm=%s latency_ns=%d"):format(
      e.pid, e.tid, e.uid, tonumber(e.nr), tonumber(e.ret), str(e.comm),
      tonumber(e.latency_ns)))
  end,
}
