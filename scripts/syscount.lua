-- syscount: system calls counted by name since the start; the 10 most frequent at every
-- tick and at exit.
--   ringlua [-p PID] [--interval MS] scripts/syscount.lua
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local names = require("ringlua.names")

local cast = ffi.cast
local syscall_t = ringlua.types.syscalls
local syscall_name = names.syscall_name
local TOP = 10

local calls = agg.count("syscalls", { top = TOP })

local function report()
  io.write(os.date("%H:%M:%S"), "\n")
  agg.print_all()
  io.flush()
end

return {
  source = "syscalls",
  on_init = function()
    print("Counting system calls; the top " .. TOP .. " at every interval.")
    io.flush()
  end,
  on_event = function(ptr)
    local nr = cast(syscall_t, ptr).nr
    calls:add(syscall_name(nr) or tonumber(nr))
  end,
  on_tick = report,
  on_exit = report,
}
