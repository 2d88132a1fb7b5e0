-- syscount: system calls counted by name since the start; the 10 most frequent at every
-- tick and at exit. On the syscall_exit source, -L adds their latency (count, total,
-- average) and -H log2 histograms of it.
--   ringlua [-p PID] [--interval MS] scripts/syscount.lua
--   ringlua -s syscall_exit [-p PID] scripts/syscount.lua -- -L -H
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local names = require("ringlua.names")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local syscall_exit_t = ringlua.types.syscall_exit
local syscall_name = names.syscall_name
local write, format = io.write, string.format
local TOP = 10

local SPEC = {
  name = "syscount",
  about = "Count system calls by name; the top " .. TOP .. " at every tick and at exit.",
  options = {
    { "L", "latency", help = "also their latency: count, total and average (syscall_exit)" },
    { "H", "histogram", help = "also a log2 histogram of each one's latency, in ns (syscall_exit)" },
  },
  notes = "The event source is chosen before the script's options are read: -L and -H need\n"
    .. "ringlua's -s syscall_exit, which times each call from entry to return\n"
    .. "(ringlua -s syscall_exit scripts/syscount.lua -- -L).",
}

local calls = agg.count("syscalls", { top = TOP })
local total_ns = agg.sum("total_ns")
local latency = agg.hist("latency_ns", { top = TOP })
local event_t, timed, latency_table, histograms

-- The top calls with their count, total and average latency, in microseconds.
local function print_latency()
  write(format("%-22s %8s %14s %12s\n", "SYSCALL", "COUNT", "TOTAL(us)", "AVG(us)"))
  for _, entry in ipairs(calls:top(TOP)) do
    local total = total_ns:get(entry.key)
    write(format("%-22s %8d %14.3f %12.3f\n", tostring(entry.key), entry.value, total / 1e3,
                 total / entry.value / 1e3))
  end
  write("\n")
end

local function report()
  write(os.date("%H:%M:%S"), "\n")
  if latency_table then print_latency() else calls:print() end
  if histograms then latency:print() end
  io.flush()
end

local M = { source = "syscalls" }

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  latency_table, histograms = opts.latency, opts.histogram
  timed = ringlua.source == "syscall_exit"
  if (latency_table or histograms) and not timed then
    cli_args.usage_error(SPEC, (latency_table and "-L" or "-H") .. " needs the syscall_exit"
      .. " source: ringlua -s syscall_exit scripts/syscount.lua -- " .. table.concat(args, " "))
  end
  event_t = ringlua.event_type
  if ringlua.reloads > 0 then return end
  if timed then
    print("Counting and timing system calls; the top " .. TOP .. " at every interval.")
  else
    print("Counting system calls; the top " .. TOP .. " at every interval.")
  end
  io.flush()
end

function M.on_event(ptr)
  local nr = cast(event_t, ptr).nr
  local name = syscall_name(nr) or tonumber(nr)
  calls:add(name)
  if timed then
    local ns = tonumber(cast(syscall_exit_t, ptr).latency_ns)
    total_ns:add(name, ns)
    if histograms then latency:record(ns, name) end
  end
end

M.on_tick = report
M.on_exit = report

return M
