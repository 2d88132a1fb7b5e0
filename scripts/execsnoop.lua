-- execsnoop: one line per process exec, like libbpf-tools' execsnoop.
--   ringlua scripts/execsnoop.lua [-- --help]
local ffi = require("ffi")
local ringlua = require("ringlua")
local cli_args = require("ringlua.cli_args")

local str = ringlua.str
local exec_t = ringlua.types.exec
local write = io.write
local format = string.format

local SPEC = {
  name = "execsnoop",
  about = "Trace process execs: PID PPID UID COMM FILENAME, one line each.",
  options = {},
}

local M = { source = "exec" }

function M.on_init(args)
  cli_args.parse_or_exit(SPEC, args)
  io.stdout:setvbuf("line")
  write(format("%-8s %-8s %-6s %-16s %s\n", "PID", "PPID", "UID", "COMM", "FILENAME"))
end

function M.on_event(ptr, len)
  local e = ffi.cast(exec_t, ptr)
  write(format("%-8d %-8d %-6d %-16s %s\n", e.pid, e.ppid, e.uid, str(e.comm), str(e.filename)))
end

return M
