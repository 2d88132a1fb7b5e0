-- Fails in every on_tick; counts the ticks.
local ticks = 0
io.stdout:setvbuf("line")
return {
  on_init = function() print("READY") end,
  on_event = function() end,
  on_tick = function()
    ticks = ticks + 1
    error("tick failed")
  end,
  on_exit = function() print("ticks=" .. ticks) end,
}
