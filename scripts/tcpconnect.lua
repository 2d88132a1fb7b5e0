-- tcpconnect: one line per TCP connection a process initiates, like libbpf-tools'
-- tcpconnect; with --accept, the connections it accepts instead, like tcpaccept.
--   ringlua [-p PID] scripts/tcpconnect.lua [-- -4|-6 -P PORTS --accept]
local ffi = require("ffi")
local ringlua = require("ringlua")
local names = require("ringlua.names")
local cli_args = require("ringlua.cli_args")

local cast = ffi.cast
local C = ffi.C
local str = ringlua.str
local tcp_t = ringlua.types.tcp
local inet = names.inet
local write, format = io.write, string.format

local SPEC = {
  name = "tcpconnect",
  about = "Trace TCP connects: pid, command, IP version, source and destination address,"
    .. " destination port.",
  options = {
    { "4", "ipv4", help = "IPv4 only" },
    { "6", "ipv6", help = "IPv6 only" },
    { "P", "port", arg = "PORTS", convert = cli_args.list(cli_args.integer(1, 65535)),
      help = "only these ports, comma-separated (remote for connects, local for accepts)" },
    { nil, "accept", help = "trace accepts instead: PID COMM IP RADDR RPORT LADDR LPORT" },
  },
}

local AF_INET, AF_INET6 = 2, 10
local ADDR_LEN = { [AF_INET] = 4, [AF_INET6] = 16 }
local IP_VERSION = { [AF_INET] = 4, [AF_INET6] = 6 }
local CONNECT_LINE = "%-6d %-12.12s %-2d %-16s %-16s %d\n"
local ACCEPT_LINE = "%-7d %-12.12s %-2d %-16s %-5d %-16s %d\n"
-- Set in on_init: the direction traced, the family kept (nil: both), the ports kept
-- (nil: all).
local direction, family, ports

local M = { source = "tcp" }

function M.on_init(args)
  local opts = cli_args.parse_or_exit(SPEC, args)
  if opts.ipv4 and opts.ipv6 then cli_args.usage_error(SPEC, "-4 and -6 exclude each other") end
  family = (opts.ipv4 and AF_INET) or (opts.ipv6 and AF_INET6) or nil
  ports = opts.port and opts.port.set
  direction = opts.accept and C.TCP_EVENT_ACCEPT or C.TCP_EVENT_CONNECT
  io.stdout:setvbuf("line")
  if ringlua.reloads > 0 then return end
  if opts.accept then
    write(format("%-7s %-12s %-2s %-16s %-5s %-16s %s\n",
                 "PID", "COMM", "IP", "RADDR", "RPORT", "LADDR", "LPORT"))
  else
    write(format("%-6s %-12s %-2s %-16s %-16s %s\n", "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT"))
  end
end

function M.on_event(ptr)
  local e = cast(tcp_t, ptr)
  local af = e.family
  if e.direction ~= direction or (family and af ~= family) then return end
  local len = ADDR_LEN[af]
  if not len then return end
  if direction == C.TCP_EVENT_CONNECT then
    if ports and not ports[e.dport] then return end
    write(format(CONNECT_LINE, e.pid, str(e.comm), IP_VERSION[af], inet(e.saddr, len),
                 inet(e.daddr, len), e.dport))
  else
    if ports and not ports[e.sport] then return end
    write(format(ACCEPT_LINE, e.pid, str(e.comm), IP_VERSION[af], inet(e.daddr, len), e.dport,
                 inet(e.saddr, len), e.sport))
  end
end

return M
