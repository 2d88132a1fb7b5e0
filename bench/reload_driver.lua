-- Saves the handler N times and measures save-to-live latency: from just before the
-- write to the first event handled by the new generation, both on CLOCK_MONOTONIC.
--   luajit bench/reload_driver.lua TEMPLATE SCRIPT OUTPUT RELOADS
-- Saves alternate between write-and-rename and rewrite-in-place. Prints one latency
-- (ms) per reload.
local ffi = require("ffi")

ffi.cdef[[
struct drv_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct drv_timespec *ts);
int nanosleep(const struct drv_timespec *req, struct drv_timespec *rem);
]]
local template, script, output, reloads = arg[1], arg[2], arg[3], tonumber(arg[4])
local ts = ffi.new("struct drv_timespec")
-- Between saves, so that each reload is measured alone under the steady stream.
local PAUSE_NS = 20e6
local POLL_NS = 0.2e6
local TIMEOUT_NS = 5e9

local function now_ns()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

local function sleep_ns(ns)
  local req = ffi.new("struct drv_timespec", math.floor(ns / 1e9), ns % 1e9)
  ffi.C.nanosleep(req, nil)
end

local function read_all(path)
  local f = assert(io.open(path))
  local text = f:read("*a")
  f:close()
  return text
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local source = read_all(template)
local out = assert(io.open(output))

-- Waits for "LIVE gen T" in the output; returns T.
local function wait_live(gen, deadline)
  local want = "^LIVE " .. gen .. " (%d+)"
  while now_ns() < deadline do
    local line = out:read("*l")
    if line then
      local t = line:match(want)
      if t then return tonumber(t) end
    else
      sleep_ns(POLL_NS)
    end
  end
  error("generation " .. gen .. " did not go live within 5 s")
end

for gen = 1, reloads do
  local text = source:gsub("local GEN = %d+", "local GEN = " .. gen)
  sleep_ns(PAUSE_NS)
  local t0 = now_ns()
  if gen % 2 == 0 then
    write_file(script, text)
  else
    write_file(script .. ".new", text)
    assert(os.rename(script .. ".new", script))
  end
  local live = wait_live(gen, t0 + TIMEOUT_NS)
  print(("%.3f"):format((live - t0) / 1e6))
end
