-- Counts syscall events by pid and number; prints the tally at exit.
local ffi = require("ffi")
local ringlua = require("ringlua")
local syscall_t = ringlua.types.syscalls

local target = tonumber(os.getenv("RL_TARGET_PID"))
local mine, others, by_nr = 0, 0, {}

io.stdout:setvbuf("line")
return {
  source = "syscalls",
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr)
    local e = ffi.cast(syscall_t, ptr)
    if e.pid == target then
      mine = mine + 1
      local nr = tonumber(e.nr)
      by_nr[nr] = (by_nr[nr] or 0) + 1
    else
      others = others + 1
    end
  end,
  on_exit = function()
    print(("mine=%d others=%d reads=%d writes=%d"):format(mine, others, by_nr[0] or 0, by_nr[1] or 0))
  end,
}
