-- bench/observer.sh's ringlua_comm_script: `t:raw_syscalls:sys_enter { count(comm) }`
-- as one writes it by hand, a Lua aggregation fed by on_event.
--   ringlua --comm dd bench/observer_comm.lua
local ringlua = require("ringlua")
local agg = require("ringlua.agg")

local by_comm = agg.count("@")
local cast, str = ringlua.cast, ringlua.str

return {
  source = "tracepoint:raw_syscalls:sys_enter",
  on_init = function() io.stderr:write("READY\n") end,
  on_event = function(p) by_comm:add(str(cast(p).comm)) end,
  on_exit = function() agg.print_all() end,
}
