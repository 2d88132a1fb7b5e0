-- Prints the fields of every exec event as key=value, one event per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local exec_t = ringlua.types.exec
local str = ringlua.str

io.stdout:setvbuf("line")
return {
  source = "exec",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr, len)
    local e = ffi.cast(exec_t, ptr)
    print(("pid=%d ppid=%d uid=%d comm=%s filename=%s len=%d"):format(
      e.pid, e.ppid, e.uid, str(e.comm), str(e.filename), len))
  end,
}
