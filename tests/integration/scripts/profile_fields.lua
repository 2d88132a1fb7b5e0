-- Prints the fields of every profile sample as key=value, one sample per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local profile_t = ringlua.types.profile
local str = ringlua.str

io.stdout:setvbuf("line")
return {
  source = "profile",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr)
    local e = ffi.cast(profile_t, ptr)
    print(("cpu=%d pid=%d tid=%d uid=%d comm=%s mode=%s"):format(
      e.cpu, e.pid, e.tid, e.uid, str(e.comm), e.user_mode == 1 and "user" or "kernel"))
  end,
}
