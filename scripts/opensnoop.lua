-- opensnoop: one line per open, openat or openat2, with its fd or error, like
-- libbpf-tools' opensnoop.
--   ringlua [-p PID] scripts/opensnoop.lua [-- -x -e -n NAME]
local ffi = require("ffi")
local bit = require("bit")
local ringlua = require("ringlua")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local str = ringlua.str
local open_t = ringlua.types.open
local band = bit.band
local find, write, format = string.find, io.write, string.format

local SPEC = {
  name = "opensnoop",
  about = "Trace file opens: pid, command, fd (-1 on failure), errno and the path as passed.",
  options = {
    { "x", "failed", help = "only failed opens" },
    { "e", "extended", help = "also the open flags and creation mode, in octal" },
    { "n", "name", arg = "NAME", help = "only commands whose name contains NAME (in Lua)" },
  },
}

-- O_CREAT and O_TMPFILE (x86_64, as asm-generic): the flags that make the mode count.
local O_CREAT, O_TMPFILE = tonumber("100", 8), tonumber("20200000", 8)
local LINE = "%-6d %-16s %3d %3d "
local failed_only, extended, name

-- "FLAGS MODE " in octal; the mode is n/a unless the open could create a file.
local function flags_and_mode(e)
  local flags, mode = tonumber(e.flags), e.mode
  if mode == 0 and band(flags, O_CREAT) == 0 and band(flags, O_TMPFILE) ~= O_TMPFILE then
    return format("%08o n/a  ", flags)
  end
  return format("%08o %04o ", flags, mode)
end

local M = { source = "open" }

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  failed_only, extended, name = opts.failed, opts.extended, opts.name
  io.stdout:setvbuf("line")
  if ringlua.reloads > 0 then return end
  write(format("%-6s %-16s %3s %3s ", "PID", "COMM", "FD", "ERR"))
  if extended then write(format("%-8s %-5s ", "FLAGS", "MODE")) end
  write("PATH\n")
end

function M.on_event(ptr)
  local e = cast(open_t, ptr)
  local ret = tonumber(e.ret)
  if failed_only and ret >= 0 then return end
  local comm = str(e.comm)
  if name and not find(comm, name, 1, true) then return end
  if ret >= 0 then
    write(format(LINE, e.pid, comm, ret, 0))
  else
    write(format(LINE, e.pid, comm, -1, -ret))
  end
  if extended then write(flags_and_mode(e)) end
  write(str(e.path), "\n")
end

return M
