-- Delivery latency of a built-in source's records: for each `syscalls` event, the time
-- from its ts_ns (bpf_ktime_get_ns, CLOCK_MONOTONIC) to on_event. Prints READY from
-- on_init, and at exit `source_latency n=N max_us=M`, then a line about the latest
-- record and the one handled after it: a record whose wakeup was lost arrives with the
-- next process's records, one the consumer was slow to see with its own.
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct timespec", "struct timespec { long tv_sec; long tv_nsec; };")
if not pcall(function() return ffi.C.clock_gettime end) then
  ffi.cdef("int clock_gettime(int clockid, struct timespec *tp);")
end

local CLOCK_MONOTONIC = 1
local syscall_t = ringlua.types.syscalls
local ts = ffi.new(ffi.typeof("struct timespec"))
local C, tonumber = ffi.C, tonumber
local n, max_ns = 0, 0
-- The latest record (its pid, system call and ts_ns) and the record handled after it.
local worst = { pid = 0, nr = -1, ts = 0 }
local after = nil

io.stdout:setvbuf("line")
return {
  source = "syscalls",
  on_init = function() print("READY") end,
  on_event = function(ptr)
    local e = ffi.cast(syscall_t, ptr)
    C.clock_gettime(CLOCK_MONOTONIC, ts)
    local late = tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec) - tonumber(e.ts_ns)
    if late > max_ns then
      max_ns = late
      worst.pid, worst.nr, worst.ts = e.pid, tonumber(e.nr), tonumber(e.ts_ns)
      after = nil
    elseif not after then
      after = ("pid=%d nr=%d %d us after it, late_us=%d"):format(e.pid, tonumber(e.nr),
        (tonumber(e.ts_ns) - worst.ts) / 1000, late / 1000)
    end
    n = n + 1
  end,
  on_exit = function()
    print(("source_latency n=%d max_us=%d"):format(n, max_ns / 1000))
    print(("source_latency latest: pid=%d nr=%d; next handled: %s"):format(worst.pid,
      worst.nr, after or "none"))
  end,
}
