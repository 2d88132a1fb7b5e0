-- bench/observer.sh's ringlua side: every event delivered to Lua, which counts the
-- system calls and the reads among them. RL_BENCH_DECODE=1 takes the decoding path (each
-- record copied into a table by ringlua.decode), otherwise the pointer path (the record
-- read in place through its FFI type).
--   ringlua --comm dd bench/observer_count.lua
local ffi = require("ffi")
local ringlua = require("ringlua")

local syscall_t = ringlua.types.syscalls
local ffi_cast, decode = ffi.cast, ringlua.decode
local events, reads = 0, 0

local function on_pointer(ptr)
  local e = ffi_cast(syscall_t, ptr)
  events = events + 1
  if e.nr == 0 then reads = reads + 1 end
end

local function on_decoded(ptr)
  local e = decode(ptr)
  events = events + 1
  if e.nr == 0 then reads = reads + 1 end
end

return {
  source = "syscalls",
  on_init = function() io.stderr:write("READY\n") end,
  on_event = os.getenv("RL_BENCH_DECODE") == "1" and on_decoded or on_pointer,
  on_exit = function() io.stderr:write(("events %d reads %d\n"):format(events, reads)) end,
}
