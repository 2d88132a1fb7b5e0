-- For test_percpu_rings.sh: dd's reads, records seen twice, and timestamps that go back:
-- per dd process (each pinned on one CPU) and across all records.
local ffi = require("ffi")
local ringlua = require("ringlua")
local event_t = ringlua.types.syscalls
local reads, last_by_pid, keys = {}, {}, {}
local back_per_pid, back_overall, twice, last_ts = 0, 0, 0, 0

local function on_event(ptr)
  local e = ffi.cast(event_t, ptr)
  local ts, pid = tonumber(e.ts_ns), e.pid
  local key = e.tid .. ":" .. ts .. ":" .. tonumber(e.nr)
  if keys[key] then twice = twice + 1 end
  keys[key] = true
  if ts < last_ts then back_overall = back_overall + 1 end
  last_ts = ts
  -- Per CPU: dd runs pinned (taskset set its CPU before the exec); its taskset part and
  -- the shells run anywhere.
  if ffi.string(e.comm) ~= "dd" then return end
  if last_by_pid[pid] and ts < last_by_pid[pid] then back_per_pid = back_per_pid + 1 end
  last_by_pid[pid] = ts
  if e.nr == 0 then reads[pid] = (reads[pid] or 0) + 1 end
end

local function on_exit()
  local total, procs = 0, 0
  for _, n in pairs(reads) do total, procs = total + n, procs + 1 end
  print(string.format("dd_reads=%d dd_procs=%d twice=%d back_per_pid=%d back_overall=%d",
                      total, procs, twice, back_per_pid, back_overall))
end

return { handlers = { events = on_event }, on_exit = on_exit }
