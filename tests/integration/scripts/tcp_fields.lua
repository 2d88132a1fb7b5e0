-- Prints the fields of every tcp event as key=value, one event per line; addresses are
-- dotted for IPv4 and eight hex groups for IPv6.
local ffi = require("ffi")
local ringlua = require("ringlua")
local field_lines = require("field_lines")
local str = ringlua.str
local C = ffi.C

local AF_INET = 2
local directions = { [C.TCP_EVENT_CONNECT] = "connect", [C.TCP_EVENT_ACCEPT] = "accept" }

local function address(family, b)
  if family == AF_INET then
    return ("%d.%d.%d.%d"):format(b[0], b[1], b[2], b[3])
  end
  local groups = {}
  for i = 0, 14, 2 do groups[#groups + 1] = ("%x"):format(b[i] * 256 + b[i + 1]) end
  return table.concat(groups, ":")
end

return field_lines.script("tcp", function(e)
  return ("dir=%s pid=%d tid=%d uid=%d comm=%s family=%d saddr=%s daddr=%s sport=%d dport=%d"):format(
    directions[e.direction] or "?", e.pid, e.tid, e.uid, str(e.comm), e.family,
    address(e.family, e.saddr), address(e.family, e.daddr), e.sport, e.dport)
end)
