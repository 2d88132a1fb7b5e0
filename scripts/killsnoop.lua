-- killsnoop: one line per signal sent, with what became of it, like libbpf-tools'
-- killsnoop.
--   ringlua [-p PID] scripts/killsnoop.lua [-- -x]
local ffi = require("ffi")
local ringlua = require("ringlua")
local names = require("ringlua.names")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local str = ringlua.str
local signal_t = ringlua.types.signal
local hms, signal_name = names.hms, names.signal_name
local write, format = io.write, string.format

local SPEC = {
  name = "killsnoop",
  about = "Trace signals sent: time, sender pid and command, signal, target pid and result.",
  options = {
    { "x", "failed", help = "only signals not delivered (ignored, already pending, queue full)" },
  },
  notes = "RESULT: delivered, ignored, pending (one was already), overflow (the queue was\n"
    .. "full), or nosiginfo (delivered without its siginfo).",
}

-- The signal_generate tracepoint's result, by number.
local RESULTS = { [0] = "delivered", "ignored", "pending", "overflow", "nosiginfo" }
local function failed(result) return result >= 1 and result <= 3 end
local LINE = "%-8s %-7d %-16s %-11s %-7d %s\n"
local failed_only

local M = { source = "signal" }

function M.on_init(args)
  failed_only = cli_args.parse_or_exit(SPEC, args).failed
  io.stdout:setvbuf("line")
  if ringlua.reloads > 0 then return end
  write(format("%-8s %-7s %-16s %-11s %-7s %s\n", "TIME", "PID", "COMM", "SIG", "TPID", "RESULT"))
end

function M.on_event(ptr)
  local e = cast(signal_t, ptr)
  local result = e.result
  if failed_only and not failed(result) then return end
  local sig = e.sig
  write(format(LINE, hms(e.ts_ns), e.pid, str(e.comm), signal_name(sig) or sig, e.target_pid,
               RESULTS[result] or result))
end

return M
