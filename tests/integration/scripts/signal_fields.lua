-- Prints the fields of every signal event as key=value, one event per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local signal_t = ringlua.types.signal
local str = ringlua.str

io.stdout:setvbuf("line")
return {
  source = "signal",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr)
    local e = ffi.cast(signal_t, ptr)
    print(("pid=%d tid=%d uid=%d comm=%s target_pid=%d target_comm=%s sig=%d code=%d group=%d result=%d"):format(
      e.pid, e.tid, e.uid, str(e.comm), e.target_pid, str(e.target_comm), e.sig, e.code,
      e.group, e.result))
  end,
}
