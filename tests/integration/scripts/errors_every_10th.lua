-- Fails on every 10th event; counts all of them.
local n = 0
io.stdout:setvbuf("line")
local function check(i)
  if i % 10 == 0 then error("event " .. "number divisible by ten") end
end
return {
  on_init = function() print("READY") end,
  on_event = function()
    n = n + 1
    check(n)
  end,
  on_exit = function() print("handled=" .. n) end,
}
