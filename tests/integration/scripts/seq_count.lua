-- Counts seq_event records for the accounting, overload and fault tests.
-- Script args: `spin_us=N` makes each event cost N microseconds of CPU (a slow handler).
-- Prints READY from on_init, `seen=N` at every tick, and at exit
-- `delivered=N out_of_order=M` (out_of_order: a seq not above the one before).
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")
local os_clock = os.clock
local delivered, out_of_order, last = 0, 0, -1
local spin_s = 0

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
    local seq = tonumber(ffi.cast(seq_t, ptr).seq)
    if seq <= last then out_of_order = out_of_order + 1 end
    last = seq
    delivered = delivered + 1
    if spin_s > 0 then
      local till = os_clock() + spin_s
      repeat until os_clock() >= till
    end
  end,
  on_tick = function() print("seen=" .. delivered) end,
  on_exit = function()
    print(("delivered=%d out_of_order=%d"):format(delivered, out_of_order))
  end,
}
