-- The benchmark's handler: what bench/libbpf_consumer.c does, in Lua. Decode, filter on
-- a field, sum another, check the sequence has no gaps.
--   ringlua --pin PATH --count N bench/handler.lua
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_event_t = ffi.typeof("const struct seq_event *")

-- Plain Lua numbers: exact up to 2^53, and unlike uint64 cdata kept in an upvalue they
-- need no allocation per event.
local events, sum, gaps, next_seq = 0, 0, 0, 0
local heap_kb_start

-- Live Lua heap: what remains after a full collection.
local function heap_kb()
  collectgarbage("collect")
  return collectgarbage("count")
end

local M = {}

function M.on_event(ptr)
  local e = ffi.cast(seq_event_t, ptr)
  local seq = tonumber(e.seq)
  if events > 0 and seq ~= next_seq then gaps = gaps + 1 end
  next_seq = seq + 1
  if e.kind ~= 3 then sum = sum + tonumber(e.value) end
  events = events + 1
  if events == 100000 then heap_kb_start = heap_kb() end
end

function M.on_exit()
  print(("events %d sum %.0f gaps %d"):format(events, sum, gaps))
  local end_kb = heap_kb()
  print(("lua_kb_start %.1f lua_kb_end %.1f"):format(heap_kb_start or 0, end_kb))
end

return M
