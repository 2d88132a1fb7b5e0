-- exitsnoop: one line per process exit, with its age and how it ended, like
-- libbpf-tools' exitsnoop.
--   ringlua [-p PID] scripts/exitsnoop.lua [-- -t -x]
local ffi = require("ffi")
local ringlua = require("ringlua")
local names = require("ringlua.names")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local str = ringlua.str
local exit_t = ringlua.types.exit
local hms, signal_name = names.hms, names.signal_name
local write, format = io.write, string.format

local SPEC = {
  name = "exitsnoop",
  about = "Trace process exits: command, pid, parent, age and exit code or signal.",
  options = {
    { "t", "timestamp", help = "print the time of each exit (HH:MM:SS)" },
    { "x", "failed", help = "only exits with a non-zero code or by a signal" },
  },
}

local LINE = "%-16s %-7d %-7d %-7.2f %s\n"
local timestamp, failed_only

-- How the process ended: 0, "code N", or "signal N (NAME)" (", core dumped").
local function how_ended(e)
  local sig = e.signal
  if sig == 0 then
    return e.exit_status == 0 and "0" or format("code %d", e.exit_status)
  end
  local text = format("signal %d (%s)", sig, signal_name(sig) or "?")
  if e.core_dumped ~= 0 then text = text .. ", core dumped" end
  return text
end

local M = { source = "exit" }

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  timestamp, failed_only = opts.timestamp, opts.failed
  io.stdout:setvbuf("line")
  if ringlua.reloads > 0 then return end
  if timestamp then write(format("%-8s ", "TIME")) end
  write(format("%-16s %-7s %-7s %-7s %s\n", "PCOMM", "PID", "PPID", "AGE(s)", "EXIT_CODE"))
end

function M.on_event(ptr)
  local e = cast(exit_t, ptr)
  if failed_only and e.exit_code == 0 then return end
  if timestamp then write(hms(e.ts_ns), " ") end
  write(format(LINE, str(e.comm), e.pid, e.ppid, tonumber(e.lifetime_ns) / 1e9, how_ended(e)))
end

return M
