-- The script of `ringlua --json`: every event of every ring as one JSON object per line,
-- decoded by the decoders generated from BTF, with its map name first; drops as
-- {"type":"lost_events","count":N}. Each line goes out through ringlua.emit: to stdout,
-- buffered and flushed every interval and at exit, or with --output to the bus.
local ringlua = require("ringlua")
local decode = require("ringlua.decode")

local emit = ringlua.emit

-- The handler of one ring: its JSON encoder, found once decoders are installed.
local function printer(map)
  local json
  return function(ptr)
    json = json or decode.decoders[map] and decode.decoders[map].json
    if not json then
      error("--json: no decoder for ring " .. map .. ": its record type is not in BTF", 0)
    end
    emit(json(ptr))
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
