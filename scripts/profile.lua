-- profile: on-CPU samples (99 a second on every CPU) counted by process, split between
-- user space and the kernel; the busiest at exit, and at every tick with -i. With -K
-- and/or -U, counted by kernel and/or user stack instead, printed as bpftrace prints
-- @[kstack, ustack, comm], or with --folded as flame graph tools read them; --svg FILE
-- also writes them at exit as a flame graph to open in a browser. C++ functions are
-- demangled unless --mangled. -D unwinds user stacks with the files' CFI instead of
-- walking frame pointers (docs/stacks.md).
--   ringlua [-p PID] [--interval MS] scripts/profile.lua [-- -n N -i -I -K -U -D
--                                                         --folded --svg FILE --mangled]
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local names = require("ringlua.names")
local cli_args = require("ringlua.cli_args")
local out_file = require("ringlua.out_file")

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
    { "K", "kernel", help = "count by kernel stack" },
    { "U", "user", help = "count by user stack" },
    { "D", "dwarf", help = "with -U: unwind user stacks from a copy of the stack and the CFI of the files (ringlua --stacks dwarf; --stack-bytes, --unwind-mem), complete in code built without frame pointers" },
    { nil, "folded", help = "with -K/-U: print folded stacks (comm;frame;...;frame count) for flamegraph.pl, speedscope or Grafana" },
    { nil, "svg", arg = "FILE",
      help = "with -K/-U: write a flame graph to FILE at exit (SVG: open it in a browser to zoom and search)" },
    { nil, "mangled", help = "C++ functions as their files name them (_ZN...), not demangled" },
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

-- The stacks are captured in the kernel only when asked for, so the script's options
-- decide its manifest: they are read at the top level too.
local top_opts = cli_args.parse_or_exit(SPEC, { ... })
local want_kernel, want_user = top_opts.kernel, top_opts.user
local user_stack = top_opts.dwarf and "dwarf" or "user"
local stacks = agg.count("")
local kstack, ustack, get_stacks = agg.kstack, agg.ustack, ringlua.stacks
local folded, svg_file

local function report_stacks()
  if folded then stacks:folded() else stacks:print() end
  io.flush()
end

local M = {
  source = "profile",
  stacks = (want_kernel and want_user and "kernel," .. user_stack)
           or (want_kernel and "kernel") or (want_user and user_stack) or nil,
}

-- Opened at start, as ringlua opens -o's file: a path refused (a symbolic link, someone
-- else's file) stops the run before it samples, not after.
local function open_svg(path)
  if not M.stacks then cli_args.usage_error(SPEC, "--svg goes with -K or -U") end
  local file, err = out_file.open(path)
  if not file then
    io.stderr:write("profile: --svg ", err, "\n")
    os.exit(1)
  end
  svg_file = file
end

-- The flame graph, written once at exit into the file opened at start. Returns whether
-- it was written whole (the close reports the first failed write: a full disk).
local function write_svg()
  local title = format("profile: on-CPU samples by %s stack, %s",
                       (M.stacks:gsub(",", " and ")), os.date("%Y-%m-%d %H:%M:%S"))
  stacks:svg(svg_file, { title = title })
  local closed, err = svg_file:close()
  if closed then return true end
  io.stderr:write("profile: --svg: cannot write the flame graph: ", tostring(err), "\n")
  return false
end

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  top, with_idle, every_tick, folded = opts.top, opts.idle, opts.interval, opts.folded
  if folded and not M.stacks then cli_args.usage_error(SPEC, "--folded goes with -K or -U") end
  if opts.dwarf and not want_user then cli_args.usage_error(SPEC, "-D goes with -U") end
  if opts.svg then open_svg(opts.svg) end
  if opts.mangled then names.raw_names(true) end
  if ringlua.reloads > 0 or folded then return end
  write(format("Sampling on-CPU tasks at 99 Hz; %s %s.\n",
               M.stacks and "samples by stack" or format("the top %d", top),
               opts.interval and "at every tick and at exit" or "at exit"))
  io.flush()
end

-- Samples by (kernel stack, user stack, comm), with the stacks asked for.
local function on_stack_event(ptr, len)
  local e = cast(profile_t, ptr)
  local pid = e.pid
  if pid == 0 and not with_idle then return end
  local k, nk, u, nu, cut = get_stacks(ptr, len)
  local comm = str(e.comm)
  if want_kernel and want_user then
    stacks:add(stacks:key(kstack(k, nk), ustack(pid, u, nu, cut), comm))
  elseif want_kernel then
    stacks:add(stacks:key(kstack(k, nk), comm))
  else
    stacks:add(stacks:key(ustack(pid, u, nu, cut), comm))
  end
end

local function on_sample(ptr)
  local e = cast(profile_t, ptr)
  local pid = e.pid
  if pid == 0 and not with_idle then return end
  local key = samples:key(pid, str(e.comm))
  samples:add(key)
  if e.user_mode ~= 0 then user:add(key) else kernel:add(key) end
end

M.on_event = M.stacks and on_stack_event or on_sample
if M.stacks then report = report_stacks end

-- Handlers are found when the script is loaded, before on_init reads -i.
function M.on_tick()
  if every_tick then report() end
end

-- With -D, how many user stacks the unwinder cut short, and why, on stderr (the output
-- may be folded stacks for a tool).
local function report_cuts()
  local st = names.sym_stats()
  if (st.unwinds or 0) == 0 then return end
  io.stderr:write(format("profile: %d user stacks unwound, %d cut short (stack copy: %d, "
                         .. "no step: %d, repeated frame: %d, frame limit: %d)\n",
                         st.unwinds, st.unwind_cut_copy + st.unwind_cut_error
                         + st.unwind_cut_stuck + st.unwind_cut_max, st.unwind_cut_copy,
                         st.unwind_cut_error, st.unwind_cut_stuck, st.unwind_cut_max))
end

function M.on_exit()
  report()
  if top_opts.dwarf then report_cuts() end
  -- A flame graph not written is a failed run.
  if svg_file and not write_svg() then os.exit(1) end
end

return M
