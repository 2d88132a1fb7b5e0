-- Fails on every 10th event; counts all of them. With the argument `two-kinds` it also
-- fails, with another message, on every 10th event plus 5.
local n = 0
local two_kinds = false
io.stdout:setvbuf("line")
local function check(i)
  if i % 10 == 0 then error("event number divisible by ten") end
  if two_kinds and i % 10 == 5 then error("event number ending in five") end
end
return {
  on_init = function(args)
    two_kinds = args[1] == "two-kinds"
    print("READY")
  end,
  on_event = function()
    n = n + 1
    check(n)
  end,
  on_exit = function() print("handled=" .. n) end,
}
