-- A handler too slow for its source: counts what on_lost reports, prints it at exit.
local ffi = require("ffi")
ffi.cdef "int usleep(unsigned int usec);"
local lost, calls = 0, 0
io.stdout:setvbuf("line")
return {
  on_event = function() ffi.C.usleep(100) end,
  on_lost = function(n)
    calls = calls + 1
    lost = lost + n
  end,
  on_exit = function() print(("lost=%d calls=%d"):format(lost, calls)) end,
}
