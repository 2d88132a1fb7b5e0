-- Emits every seq_event record as {"seq":N,"kind":K} through ringlua.emit, for the
-- --output tests; prints READY from on_init, `so_far=N` at every tick and `emitted=N` at
-- exit (print still goes to stdout beside the bus).
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")
local emit = ringlua.emit
local emitted = 0

io.stdout:setvbuf("line")
return {
  on_init = function() print("READY") end,
  on_event = function(ptr)
    local e = ffi.cast(seq_t, ptr)
    emit({ seq = tonumber(e.seq), kind = e.kind })
    emitted = emitted + 1
  end,
  on_tick = function() print("so_far=" .. emitted) end,
  on_exit = function() print("emitted=" .. emitted) end,
}
