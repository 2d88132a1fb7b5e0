-- A handler that bench/reload.sh saves again and again, changing the GEN line. Each
-- generation prints, on the first event it handles, when that was (CLOCK_MONOTONIC ns),
-- and when it is replaced, how many events it handled.
local ffi = require("ffi")

ffi.cdef[[
struct reload_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct reload_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("struct reload_timespec")
local GEN = 0
local n = 0

io.stdout:setvbuf("line")

local function now_ns()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

return {
  on_event = function()
    if n == 0 then print(("LIVE %d %.0f"):format(GEN, now_ns())) end
    n = n + 1
  end,
  on_reload = function() print(("HANDLED %d %d"):format(GEN, n)) end,
  on_exit = function() print(("HANDLED %d %d"):format(GEN, n)) end,
}
