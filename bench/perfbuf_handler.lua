-- bench/perfbuf.sh's handler: counts records of either map, and prints at exit how
-- many and the CPU time ringlua used from on_init on (its own, not the traced
-- command's; the load before it left out).
local ffi = require("ffi")
ffi.cdef [[
struct bench_rusage { long utime_s, utime_us, stime_s, stime_us; long rest[14]; };
int getrusage(int who, struct bench_rusage *usage);
]]
local n, at_init = 0, 0
local function count() n = n + 1 end
local function cpu_seconds()
  local u = ffi.new("struct bench_rusage")
  ffi.C.getrusage(0, u) -- RUSAGE_SELF
  return tonumber(u.utime_s + u.stime_s) + tonumber(u.utime_us + u.stime_us) / 1e6
end
return {
  handlers = { perf_events = count, ring_events = count },
  on_init = function() at_init = cpu_seconds() end,
  on_exit = function()
    io.stderr:write(("bench: events=%d cpu=%.3f\n"):format(n, cpu_seconds() - at_init))
  end,
}
