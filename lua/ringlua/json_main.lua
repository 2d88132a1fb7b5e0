-- The script of `ringlua --json`: every event of every ring as one JSON object per line,
-- decoded by the decoders generated from BTF, with its map name first (a ring without a
-- known record type, or a record shorter than its type: {"map":..., "len":N,
-- "hex":"..."}); drops as
-- {"type":"lost_events","count":N}. Each line goes out through ringlua.emit: to stdout,
-- buffered and flushed every interval and at exit, or with --output to the bus.
local ringlua = require("ringlua")
local decode = require("ringlua.decode")

local emit = ringlua.emit

-- The handler of one ring: its records decoded once decoders are installed; a record
-- of a ring whose type is unknown (ringlua said so at start), or shorter than its type,
-- as its bytes (decode.raw_json).
local function printer(map)
  local json, raw_json = decode.json, decode.raw_json
  return function(ptr, len)
    emit(decode.decoders[map] and json(ptr, len, map) or raw_json(map, ptr, len))
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
