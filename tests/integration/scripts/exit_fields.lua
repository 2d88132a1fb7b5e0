-- Prints the fields of every exit event as key=value, one event per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local exit_t = ringlua.types.exit
local str = ringlua.str

io.stdout:setvbuf("line")
return {
  source = "exit",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr, len)
    local e = ffi.cast(exit_t, ptr)
    print(("pid=%d ppid=%d uid=%d code=%d status=%d signal=%d core=%d comm=%s lifetime_ms=%d len=%d"):format(
      e.pid, e.ppid, e.uid, e.exit_code, e.exit_status, e.signal, e.core_dumped, str(e.comm),
      tonumber(e.lifetime_ns / 1000000), len))
  end,
}
