-- Prints the fields of every open event as key=value, one event per line.
local ffi = require("ffi")
local ringlua = require("ringlua")
local open_t = ringlua.types.open
local str = ringlua.str

io.stdout:setvbuf("line")
return {
  source = "open",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr)
    local e = ffi.cast(open_t, ptr)
    print(("pid=%d tid=%d uid=%d flags=%d mode=%d ret=%d comm=%s path=%s"):format(
      e.pid, e.tid, e.uid, tonumber(e.flags), e.mode, tonumber(e.ret), str(e.comm), str(e.path)))
  end,
}
