-- Delivery latency of stamped seq_event records (seq_producer --stamp puts the submit
-- time, CLOCK_MONOTONIC ns, in `value`): for each event, the time from its submit to
-- on_event, read from the same clock. Script args: `spin_us=N` makes each event cost N
-- microseconds of CPU. Prints READY from on_init, and at exit
-- `latency n=N p50_us=A p99_us=B max_us=C` (percentiles to the microsecond up to 1 s).
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
ringlua.cdef_once("struct timespec", "struct timespec { long tv_sec; long tv_nsec; };")
if not pcall(function() return ffi.C.clock_gettime end) then
  ffi.cdef("int clock_gettime(int clockid, struct timespec *tp);")
end

local CLOCK_MONOTONIC = 1
-- One bucket per microsecond up to a second; slower deliveries share the last one.
local BUCKETS = 1000000
local seq_t = ffi.typeof("const struct seq_event *")
local counts = ffi.new(ffi.typeof("uint32_t[?]"), BUCKETS + 1)
local ts = ffi.new(ffi.typeof("struct timespec"))
local C, os_clock, tonumber = ffi.C, os.clock, tonumber
local n, max_ns, spin_s = 0, 0, 0

local function now_ns()
  C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

-- The smallest latency (us) that at least share of the events did not exceed.
local function percentile(share)
  local want, seen = math.ceil(n * share), 0
  for us = 0, BUCKETS do
    seen = seen + counts[us]
    if seen >= want then return us end
  end
  return BUCKETS
end

io.stdout:setvbuf("line")
return {
  on_init = function(args)
    for _, a in ipairs(args) do
      local us = a:match("^spin_us=(%d+)$")
      if us then spin_s = tonumber(us) / 1e6 end
    end
    print("READY")
  end,
  on_event = function(ptr)
    local ns = now_ns() - tonumber(ffi.cast(seq_t, ptr).value)
    local us = math.floor(ns / 1000)
    if us > BUCKETS then us = BUCKETS end
    counts[us] = counts[us] + 1
    if ns > max_ns then max_ns = ns end
    n = n + 1
    if spin_s > 0 then
      local till = os_clock() + spin_s
      repeat until os_clock() >= till
    end
  end,
  on_exit = function()
    print(("latency n=%d p50_us=%d p99_us=%d max_us=%d"):format(
      n, n > 0 and percentile(0.5) or 0, n > 0 and percentile(0.99) or 0,
      math.floor(max_ns / 1000)))
  end,
}
