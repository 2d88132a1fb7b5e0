-- One line per event and one per tick, in the order the script is handed them: what
-- test_replay_ticks.sh compares between a live run and the replay of its recording.
io.stdout:setvbuf("line")
local events, ticks = 0, 0
return {
  on_event = function()
    events = events + 1
    print("event " .. events)
  end,
  on_tick = function()
    ticks = ticks + 1
    print("tick " .. ticks)
  end,
  on_exit = function() print(("events=%d ticks=%d"):format(events, ticks)) end,
}
