-- One line per system call entry: what test_record.sh compares between a live run and a
-- replay of its recording. Decodes the event too, so the recorded decoder is exercised.
local ffi = require("ffi")
local ringlua = require("ringlua")
local syscall_t = ringlua.types.syscalls
io.stdout:setvbuf("full")
return {
  source = "syscalls",
  on_event = function(ptr, len)
    local e = ffi.cast(syscall_t, ptr)
    local t = ringlua.decode(ptr)
    io.write(("%d %d %d %s %s\n"):format(len, e.pid, e.nr, ringlua.str(e.comm), t.comm))
  end,
  on_exit = function() io.write("source=", ringlua.source, "\n") end,
}
