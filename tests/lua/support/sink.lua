-- A stand-in for a file, for specs of writers: collects what is written.
--   local out = require("sink")()
--   writer(out) ... out:text()
return function()
  local s = { parts = {} }
  function s:write(text) self.parts[#self.parts + 1] = text end
  function s:text() return table.concat(self.parts) end
  return s
end
