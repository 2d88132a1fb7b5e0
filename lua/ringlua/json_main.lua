-- The script of `ringlua --json`: every event of every ring as one JSON object per line,
-- decoded by the decoders generated from BTF, with its map name first (a ring without a
-- known record type: {"map":..., "len":N, "hex":"..."}); drops as
-- {"type":"lost_events","count":N}. Each line goes out through ringlua.emit: to stdout,
-- buffered and flushed every interval and at exit, or with --output to the bus.
local ffi = require("ffi")
local ringlua = require("ringlua")
local decode = require("ringlua.decode")

local emit = ringlua.emit

-- A record of a ring whose type is unknown (ringlua said so at start): its bytes, in
-- hex, so that nothing is lost and every line is still JSON.
local function raw_json(map, ptr, len)
  local bytes = ffi.string(ptr, len)
  return ('{"map":"%s","len":%d,"hex":"%s"}'):format(map, len,
    (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end)))
end

-- The handler of one ring: its JSON encoder, found once decoders are installed.
local function printer(map)
  local json
  return function(ptr, len)
    json = json or decode.decoders[map] and decode.decoders[map].json
    emit(json and json(ptr) or raw_json(map, ptr, len))
  end
end

local M = { handlers = {} }
M.on_event = printer(ringlua.rings[1])
for i = 2, #ringlua.rings do M.handlers[ringlua.rings[i]] = printer(ringlua.rings[i]) end

function M.on_init()
  io.stdout:setvbuf("full")
end

function M.on_lost(n)
  emit(('{"type":"lost_events","count":%d}'):format(n))
end

function M.on_tick()
  io.stdout:flush()
end

M.on_exit = M.on_tick

return M
