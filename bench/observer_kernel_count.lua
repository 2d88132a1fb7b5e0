-- bench/observer.sh's ringlua_kernel: the same counts as observer_count.lua, kept in the
-- kernel (ringlua.agg with kernel = true): no record reaches the ring or Lua.
--   ringlua --comm dd bench/observer_kernel_count.lua
local agg = require("ringlua.agg")

local calls = agg.count("calls", { kernel = true })
local by_nr = agg.count("by_nr", { kernel = true, key = { "nr" } })

return {
  source = "syscalls",
  on_init = function() io.stderr:write("READY\n") end,
  on_exit = function()
    io.stderr:write(("events %d reads %d\n"):format(calls:get() or 0, by_nr:get(0) or 0))
  end,
}
