-- Delivery latency of a built-in source's records: for each `syscalls` event, the time
-- from its ts_ns (bpf_ktime_get_ns, CLOCK_MONOTONIC) to on_event. Prints READY from
-- on_init, and at exit `source_latency n=N max_us=M`.
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

io.stdout:setvbuf("line")
return {
  source = "syscalls",
  on_init = function() print("READY") end,
  on_event = function(ptr)
    local e = ffi.cast(syscall_t, ptr)
    C.clock_gettime(CLOCK_MONOTONIC, ts)
    local late = tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec) - tonumber(e.ts_ns)
    if late > max_ns then max_ns = late end
    n = n + 1
  end,
  on_exit = function()
    print(("source_latency n=%d max_us=%d"):format(n, max_ns / 1000))
  end,
}
