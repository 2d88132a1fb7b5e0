-- Records which hooks ran: args in on_init, each tick (`tick N`), on_exit.
local ticks = 0
io.stdout:setvbuf("line")
return {
  on_init = function(args)
    print("args=" .. table.concat(args, ","))
    print("READY")
  end,
  on_event = function() end,
  on_tick = function() ticks = ticks + 1 print("tick " .. ticks) end,
  on_exit = function() print("ticks=" .. ticks) print("on_exit") end,
}
