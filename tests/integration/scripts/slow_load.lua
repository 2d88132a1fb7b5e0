-- Prints LOADING, then spends 3 s of CPU in its top level: a window in which to signal
-- ringlua while it loads, before on_init.
io.stdout:setvbuf("line")
print("LOADING")
local till = os.clock() + 3
repeat until os.clock() >= till

return {
  on_init = function() print("on_init") end,
  on_event = function() end,
  on_exit = function() print("on_exit") end,
}
