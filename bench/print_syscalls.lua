-- bench/vs_bpftrace.sh's ringlua side: one formatted line per system call entry, as the
-- bpftrace side prints it (`PID NR`).
local ffi = require("ffi")
local ringlua = require("ringlua")

local syscall_t = ringlua.types.syscalls
local write, format = io.write, string.format

return {
  source = "syscalls",
  on_init = function() io.stderr:write("READY\n") end,
  on_event = function(ptr)
    local e = ffi.cast(syscall_t, ptr)
    write(format("%d %d\n", e.pid, e.nr))
  end,
}
