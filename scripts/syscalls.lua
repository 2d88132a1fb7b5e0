-- syscalls: one line per system call entry; use with -p PID or -c CMD (without a filter
-- it prints every system call of the machine).
--   ringlua -p PID scripts/syscalls.lua [-- --help]
local ffi = require("ffi")
local ringlua = require("ringlua")
local cli_args = require("ringlua.cli_args")

local str = ringlua.str
local syscall_t = ringlua.types.syscalls
local write = io.write
local format = string.format

local SPEC = {
  name = "syscalls",
  about = "Trace system call entries: TIME(s) PID TID COMM NR, one line each.",
  notes = "Give -p PID or -c CMD: without a filter every system call of the machine is printed.",
  options = {},
}

local M = { source = "syscalls" }

function M.on_init(args)
  cli_args.parse_or_exit(SPEC, args)
  write(format("%-14s %-8s %-8s %-16s %s\n", "TIME(s)", "PID", "TID", "COMM", "NR"))
end

function M.on_event(ptr)
  local e = ffi.cast(syscall_t, ptr)
  write(format("%-14.6f %-8d %-8d %-16s %d\n", tonumber(e.ts_ns) / 1e9, e.pid, e.tid,
               str(e.comm), tonumber(e.nr)))
end

return M
