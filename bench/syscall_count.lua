-- Counts system call events and reads among them: a handler for the coalescing figures
-- of bench/RESULTS.md.   ringlua [--latency MS] bench/syscall_count.lua
local ffi = require("ffi")
local ringlua = require("ringlua")

local syscall_t = ringlua.types.syscalls
local events, reads = 0, 0

return {
  source = "syscalls",
  on_event = function(ptr)
    local e = ffi.cast(syscall_t, ptr)
    events = events + 1
    if e.nr == 0 then reads = reads + 1 end
  end,
  on_exit = function()
    io.stderr:write(("count %d reads %d kb %.0f\n"):format(events, reads, collectgarbage("count")))
  end,
}
