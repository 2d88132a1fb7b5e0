-- syscalls: one line per system call entry; use with -p PID.
--   ringlua -p PID scripts/syscalls.lua
local ffi = require("ffi")
local ringlua = require("ringlua")

local str = ringlua.str
local syscall_t = ringlua.types.syscalls
local write = io.write
local format = string.format

local M = { source = "syscalls" }

function M.on_init()
  write(format("%-14s %-8s %-8s %-16s %s\n", "TIME(s)", "PID", "TID", "COMM", "NR"))
end

function M.on_event(ptr)
  local e = ffi.cast(syscall_t, ptr)
  write(format("%-14.6f %-8d %-8d %-16s %d\n", tonumber(e.ts_ns) / 1e9, e.pid, e.tid,
               str(e.comm), tonumber(e.nr)))
end

return M
