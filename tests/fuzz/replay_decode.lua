-- The script fuzz_replay_run replays every input with, as `ringlua --replay FILE
-- replay_decode.lua` would: each record, of whatever length the file gives it, goes
-- through ringlua.decode and ringlua.json (with its length, with its length and its
-- ring's name, and by the handled record's pointer alone), through ringlua.stacks, and
-- through ringlua.cast when it holds its whole type; on_tick renders what the records
-- added up and starts again. A record shorter than its type, or of a ring without one,
-- is an error of the call, caught here: the harness looks for crashes, hangs, reads
-- past a record and leaks, not for errors a script is told about.
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")

local pcall, type, pairs = pcall, type, pairs
local ffi_string, ffi_sizeof, ffi_cast = ffi.string, ffi.sizeof, ffi.cast
local bytes_t = ffi.typeof("const uint8_t *")

-- A format 2 recording (no clock marks) ticks every --interval of its recorded time: a
-- gap of centuries owes billions of ticks, which a replay calls until a stop signal
-- (test_replay_times). No one sends the fuzzer one: a replay ends after this many
-- ticks, of either kind of recording.
local MAX_TICKS = 1000
-- How deep a decoded value is walked: BTF nests at most 256 types (RL_BTF_DEPTH_MAX).
local MAX_DEPTH = 300

local lengths = agg.hist("len")
local outcomes = agg.count("outcome")
local ticks = 0

-- Counts the values in v, nested tables too: every field the decoder made is looked at.
local function walk(v, depth)
  if type(v) ~= "table" or depth > MAX_DEPTH then return 1 end
  local n = 0
  for k, x in pairs(v) do n = n + walk(k, depth + 1) + walk(x, depth + 1) end
  return n
end

-- Calls f(...) and counts how it went under name: its values walked, or its error.
local function try(name, f, ...)
  local ok, v = pcall(f, ...)
  if not ok then
    outcomes:add(name .. " error")
  elseif type(v) == "string" then
    outcomes:add(name, #v)
  else
    outcomes:add(name, walk(v, 0))
  end
end

-- The record as the active type (ringlua.cast: a source's, the one ring's, or the
-- record's probe's), all of its bytes read, when the record holds the whole type.
local function cast_whole(p, len)
  local e = ringlua.cast(p)
  local size = e ~= nil and ffi_sizeof(e[0])
  if not size or size > len then return "" end
  return ffi_string(ffi_cast(bytes_t, e), size)
end

-- The stacks the record carries (ringlua.stacks), every frame read: how many are set.
local function frames(p, len)
  local kernel, nr_kernel, user, nr_user = ringlua.stacks(p, len)
  local set = 0
  for i = 0, nr_kernel - 1 do if kernel[i] ~= 0ULL then set = set + 1 end end
  for i = 0, nr_user - 1 do if user[i] ~= 0ULL then set = set + 1 end end
  return set
end

-- A record of len bytes at p, of the ring map (nil: on_event, the ring not known).
local function record(p, len, map)
  lengths:record(len)
  try("decode", ringlua.decode, p)
  try("json", ringlua.json, p)
  try("decode len", ringlua.decode, p, len)
  try("json len", ringlua.json, p, len)
  if map then
    try("decode map", ringlua.decode, p, len, map)
    try("json map", ringlua.json, p, len, map)
  end
  try("stacks", frames, p, len)
  -- A type to cast to: the active one, or the probe's a record's header names (read
  -- only when it holds the header).
  if ringlua.event_type or ringlua.probe(p, len) then try("cast", cast_whole, p, len) end
end

-- A handler for every ring (or tracepoint probe) the recording names, by its name.
local handlers = {}
for _, name in pairs(ringlua.rings) do
  handlers[name] = function(p, len) record(p, len, name) end
end

return {
  handlers = handlers,
  -- Records of a probe the recording does not have come here.
  on_event = function(p, len) record(p, len, nil) end,
  on_tick = function()
    local text = lengths:format() .. outcomes:format(3)
    agg.clear_all()
    outcomes:add("tick text", #text)
    ticks = ticks + 1
    if ticks >= MAX_TICKS then os.exit(0) end
  end,
}
