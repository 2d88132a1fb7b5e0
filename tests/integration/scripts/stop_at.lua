-- Stops the run at event number N in the way its argument says: `exit_at=N` calls
-- os.exit(3), `error_at=N` fails (for --max-errors 1), `spin_at=N` never returns (for
-- --handler-timeout). Counts every event it is handed:
-- prints `late=K` for the events handed to it after that one, at exit or from on_tick.
local stop, at = nil, math.huge
local n, late = 0, 0
io.stdout:setvbuf("line")

local function report() print("handled=" .. n .. " late=" .. late) end

return {
  on_init = function(args)
    for _, a in ipairs(args) do
      local how, k = a:match("^(%a+)_at=(%d+)$")
      if how then stop, at = how, tonumber(k) end
    end
    print("READY")
  end,
  on_event = function()
    n = n + 1
    if n > at then
      late = late + 1
      report()
    elseif n == at then
      if stop == "exit" then report() os.exit(3) end
      if stop == "spin" then jit.off() while true do end end
      error("stop here")
    end
  end,
  on_tick = report,
  on_exit = report,
}
