-- profile: on-CPU samples (99 a second on every CPU) counted by process, split between
-- user space and the kernel; the busiest at exit, and at every tick with -i.
--   ringlua [-p PID] [--interval MS] scripts/profile.lua [-- -n N -i -I]
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local str = ringlua.str
local profile_t = ringlua.types.profile
local write, format = io.write, string.format

local SPEC = {
  name = "profile",
  about = "Sample what runs on each CPU, 99 times a second: samples by process, user and kernel.",
  options = {
    { "n", "top", arg = "N", convert = cli_args.integer(1), default = 10,
      help = "show the N busiest processes (default 10)" },
    { "i", "interval", help = "print the table at every tick (ringlua --interval MS), too" },
    { "I", "idle", help = "count the idle task (pid 0) too" },
  },
  notes = "Counts run from the start; the table is sorted by samples, the busiest first.",
}

local HEADER = format("%-7s %-16s %8s %8s %8s\n", "PID", "COMM", "SAMPLES", "USER", "KERNEL")
local ROW = "%-7d %-16s %8d %8d %8d\n"

-- Keyed by (pid, comm): a process that execs shows under each name it had.
local samples = agg.count("samples")
local user = agg.count("user")
local kernel = agg.count("kernel")
local top, with_idle, every_tick

local function report()
  write(os.date("%H:%M:%S"), "\n", HEADER)
  for _, entry in ipairs(samples:top(top)) do
    local key = entry.key
    write(format(ROW, key[1], key[2], entry.value, user:get(key) or 0, kernel:get(key) or 0))
  end
  write("\n")
  io.flush()
end

local M = { source = "profile" }

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  top, with_idle, every_tick = opts.top, opts.idle, opts.interval
  if ringlua.reloads > 0 then return end
  write(format("Sampling on-CPU tasks at 99 Hz; the top %d %s.\n", top,
               opts.interval and "at every tick and at exit" or "at exit"))
  io.flush()
end

function M.on_event(ptr)
  local e = cast(profile_t, ptr)
  local pid = e.pid
  if pid == 0 and not with_idle then return end
  local key = samples:key(pid, str(e.comm))
  samples:add(key)
  if e.user_mode ~= 0 then user:add(key) else kernel:add(key) end
end

-- Handlers are found when the script is loaded, before on_init reads -i.
function M.on_tick()
  if every_tick then report() end
end

M.on_exit = report

return M
