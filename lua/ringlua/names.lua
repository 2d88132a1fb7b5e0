-- Numbers as people read them: system call, errno and signal names, IP addresses and
-- ports, kernel symbols, and event timestamps as wall-clock time.
--   local names = require("ringlua.names")
--   names.syscall_name(59)            --> "execve"
--   names.errno_name(-2)              --> "ENOENT"
--   names.inet(e.daddr)               --> "10.0.0.1" or "2001:db8::1"
--   names.ksym(e.ip)                  --> "vfs_read+0x1a"
--   names.usym(e.pid, ip)             --> "malloc+0x1a", "[libfoo.so+0x1234]"
--   names.hms(e.ts_ns)                --> "14:03:59"
local ffi = require("ffi")
local bit = require("bit")
local ringlua = require("ringlua")

local C = ffi.C
local floor, abs = math.floor, math.abs
local format, concat, sort = string.format, table.concat, table.sort
local tonumber, type = tonumber, type
local u8p_t = ffi.typeof("const uint8_t *")
local u64_t = ffi.typeof("uint64_t")

ringlua.cdef_once("struct timespec", "struct timespec { long tv_sec; long tv_nsec; };")
local timespec_t = ffi.typeof("struct timespec")

ringlua.declare_once("clock_gettime", "int clock_gettime(int clockid, struct timespec *tp);")

local CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
local SIGRTMIN, SIGRTMAX = 32, 64
-- The generated module with the names the kernel headers number.
local GENERATED = "ringlua.kernel_names"

local _M = {}

--------------------------------------------------------------------------------------------
-- System calls, errors, signals: tables generated at build time from the kernel headers
-- of this architecture, loaded at first use.
local kernel

-- The generated module is on package.path: the C host puts the build tree's or the
-- installed generated modules there.
local function kernel_names()
  if kernel then return kernel end
  local ok, names = pcall(require, GENERATED)
  if not ok then
    error("ringlua.names: " .. GENERATED .. " not found: it is generated when ringlua is"
          .. " built (cmake --build) and installed with it (cmake --install)", 3)
  end
  kernel = names
  return kernel
end

-- The name of system call nr on this architecture ("execve"), or nil.
function _M.syscall_name(nr)
  return (kernel or kernel_names()).syscalls[tonumber(nr)]
end

-- The number of the system call called name, or nil.
function _M.syscall_number(name)
  local k = kernel or kernel_names()
  if not k.numbers then
    k.numbers = {}
    for nr, n in pairs(k.syscalls) do k.numbers[n] = nr end
  end
  return k.numbers[name]
end

-- The name of an error number ("ENOENT"), negative (as the kernel returns it) or not.
function _M.errno_name(err)
  return (kernel or kernel_names()).errnos[abs(tonumber(err))]
end

-- The name of a signal ("SIGKILL"). Real-time signals count from the kernel's SIGRTMIN,
-- 32 ("SIGRTMIN+2" is 34); the C library keeps 32 and 33 for itself and calls 34 its
-- own SIGRTMIN.
function _M.signal_name(sig)
  sig = tonumber(sig)
  if sig == SIGRTMIN then return "SIGRTMIN" end
  if sig and sig > SIGRTMIN and sig <= SIGRTMAX then
    return "SIGRTMIN+" .. (sig - SIGRTMIN)
  end
  return (kernel or kernel_names()).signals[sig]
end

--------------------------------------------------------------------------------------------
-- Addresses and ports.

local function dotted(b, at)
  return format("%d.%d.%d.%d", b[at], b[at + 1], b[at + 2], b[at + 3])
end

-- The longest run of two or more zero groups (the first of equal ones): start, length.
local function zero_run(groups)
  local best_at, best_len, at, len = nil, 1, nil, 0
  for i = 0, 7 do
    if groups[i] == 0 then
      if len == 0 then at = i end
      len = len + 1
      if len > best_len then best_at, best_len = at, len end
    else
      len = 0
    end
  end
  return best_at, best_len
end

local function hex_groups(groups, from, to)
  local parts = {}
  for i = from, to do parts[#parts + 1] = format("%x", groups[i]) end
  return concat(parts, ":")
end

-- RFC 5952: lower-case groups without leading zeros, the longest run of zero groups as
-- "::"; an IPv4-mapped address (and, as inet_ntop does, an IPv4-compatible one) ends in
-- dotted decimal.
local function ipv6_text(b)
  local groups = {}
  for i = 0, 7 do groups[i] = b[2 * i] * 256 + b[2 * i + 1] end
  local at, len = zero_run(groups)
  local v4 = at == 0 and (len == 6 or (len == 5 and groups[5] == 0xffff))
  local last = v4 and 5 or 7
  local text
  if at then
    text = hex_groups(groups, 0, at - 1) .. "::" .. hex_groups(groups, at + len, last)
  else
    text = hex_groups(groups, 0, last)
  end
  if v4 then
    text = text .. (text:sub(-1) == ":" and "" or ":") .. dotted(b, 12)
  end
  return text
end

-- The bytes of an IPv4 address read as a number from a 32-bit field in network order.
local be32_bytes = ffi.new("union { uint32_t n; uint8_t b[4]; }")

-- An IPv4 or IPv6 address as text, from its 4 or 16 bytes in network order: a cdata
-- array (its size says which), a pointer with len, a Lua string of the bytes, or the
-- number a __be32 field reads as.
function _M.inet(addr, len)
  if type(addr) == "number" then
    be32_bytes.n = addr
    return dotted(be32_bytes.b, 0)
  end
  len = len or (type(addr) == "string" and #addr) or ffi.sizeof(addr)
  local b = ffi.cast(u8p_t, addr)
  if len == 4 then return dotted(b, 0) end
  if len == 16 then return ipv6_text(b) end
  error("names.inet: an address is 4 or 16 bytes, got " .. tostring(len)
        .. " (give the length with a pointer)", 2)
end

-- A port read from a field in network byte order, as a number.
if ffi.abi("le") then
  function _M.port(nport)
    return bit.rshift(bit.bswap(tonumber(nport)), 16)
  end
else
  function _M.port(nport)
    return tonumber(nport)
  end
end

--------------------------------------------------------------------------------------------
-- Kernel symbols. Addresses are 64-bit, beyond what a Lua number holds exactly, so each
-- symbol is kept as its distance from the lowest one: small enough to be exact.
local ksyms
local TEXT_TYPES = { t = true, T = true, w = true, W = true }

-- Reads the text symbols of a kallsyms file: addresses as (high, low) 32-bit halves.
local function read_kallsyms(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local syms = {}
  for line in f:lines() do
    local hex, kind, name = line:match("^(%x+) (%a) (%S+)")
    if hex and TEXT_TYPES[kind] and #hex > 8 then
      local high, low = tonumber(hex:sub(1, -9), 16), tonumber(hex:sub(-8), 16)
      if high ~= 0 or low ~= 0 then
        syms[#syms + 1] = { high = high, low = low, name = name, line = #syms + 1 }
      end
    end
  end
  f:close()
  return syms
end

-- The symbols sorted by address as parallel arrays of offsets from base and names; of
-- symbols at one address (_stext, _text) the first listed stands for it.
local function index_symbols(syms)
  sort(syms, function(a, b)
    if a.high ~= b.high then return a.high < b.high end
    if a.low ~= b.low then return a.low < b.low end
    return a.line < b.line
  end)
  local first = syms[1]
  local offsets, names = {}, {}
  for _, s in ipairs(syms) do
    local off = (s.high - first.high) * 2^32 + (s.low - first.low)
    if off ~= offsets[#offsets] then
      offsets[#offsets + 1] = off
      names[#names + 1] = s.name
    end
  end
  return { base = u64_t(first.high) * 2^32 + first.low, offsets = offsets, names = names }
end

-- Uses the kernel symbols of path (a saved copy of /proc/kallsyms, say) from now on.
-- Returns true, or nil and why.
function _M.use_kallsyms(path)
  local syms, err = read_kallsyms(path)
  if not syms then return nil, err end
  if #syms == 0 then return nil, path .. ": no symbol addresses (run as root?)" end
  ksyms = index_symbols(syms)
  return true
end

-- The last index whose offset is at most off.
local function last_at_or_below(offsets, off)
  local lo, hi = 1, #offsets
  if off < offsets[1] then return nil end
  while lo < hi do
    local mid = floor((lo + hi + 1) / 2)
    if offsets[mid] <= off then lo = mid else hi = mid - 1 end
  end
  return lo
end

-- The kernel symbol an address falls in, as "symbol+0xoffset", or nil. addr is a
-- uint64 cdata (as event fields are) or a number; /proc/kallsyms is read at first use.
function _M.ksym(addr)
  if not ksyms then assert(_M.use_kallsyms("/proc/kallsyms")) end
  addr = u64_t(addr)
  if addr < ksyms.base then return nil end
  local off = tonumber(addr - ksyms.base)
  local i = last_at_or_below(ksyms.offsets, off)
  return format("%s+0x%x", ksyms.names[i], off - ksyms.offsets[i])
end

--------------------------------------------------------------------------------------------
-- User-space symbols: ringlua's symbolizer (src/sym), called through the FFI. It reads a
-- process's mappings when the process is first noted and each mapped file's symbols once,
-- within budgets (src/sym/sym.h): past them it forgets the processes least recently used,
-- and hands their pids over so that their cached names go too.
ringlua.declare_once("rl_sym_open", [[
struct rl_sym;
int rl_sym_open(struct rl_sym **out);
int rl_sym_note_pid(struct rl_sym *s, uint32_t pid);
int rl_sym_user(struct rl_sym *s, uint32_t pid, uint64_t addr, char *buf, size_t size);
void rl_sym_set_raw_names(struct rl_sym *s, int raw);
int rl_sym_forgotten(struct rl_sym *s, uint32_t *pids, int max);
int rl_sym_stats(const struct rl_sym *s, char *buf, size_t size);
void rl_sym_close(struct rl_sym *s);
]])
ringlua.declare_once("rl_sym_unwind", [[
int rl_sym_unwind(struct rl_sym *s, const void *ustack, size_t len, uint64_t *ips, int max,
                  int *cut);
void rl_sym_set_unwind_mem(struct rl_sym *s, size_t bytes);
]])
ringlua.declare_once("strerror", "char *strerror(int errnum);")
local SYM_BUF = 1024
-- Entries cached, all processes together (a process's table, and each name in it): past
-- it the cache starts over, so a script that sees ever new addresses or processes does
-- not grow without bound (a name not cached costs a call into the symbolizer: a binary
-- search or two).
local USYM_CACHE_MAX = 65536
-- Pids taken from the symbolizer's list of forgotten ones at a time.
local FORGOTTEN_BATCH = 64
local symbolizer
local sym_buf = ffi.new("char[?]", SYM_BUF)
local forgotten_buf = ffi.new("uint32_t[?]", FORGOTTEN_BATCH)
-- [pid][address] = text, and [pid].n the entries it counts for (itself and its names):
-- the hundredth lookup of a frame is a table read. usyms_count: all of their entries.
local usyms, usyms_count = {}, 0

local function get_symbolizer()
  if symbolizer then return symbolizer end
  local ok, found = pcall(function() return C.rl_sym_open end)
  if not ok then error("names.usym needs the ringlua binary (its symbolizer)", 3) end
  local out = ffi.new("struct rl_sym *[1]")
  if found(out) ~= 0 then error("names.usym: out of memory", 3) end
  symbolizer = ffi.gc(out[0], C.rl_sym_close)
  -- --unwind-mem, handed over by the host.
  if ringlua._unwind_mem_mb then
    C.rl_sym_set_unwind_mem(symbolizer, ringlua._unwind_mem_mb * 1048576)
  end
  return symbolizer
end

-- Drops pid's cached names, if any.
local function drop_names(pid)
  local cache = usyms[pid]
  if cache then
    usyms_count = usyms_count - cache.n
    usyms[pid] = nil
  end
end

-- A new, empty cache of pid's names (the cache starts over if full).
local function new_names(pid)
  drop_names(pid)
  if usyms_count >= USYM_CACHE_MAX then usyms, usyms_count = {}, 0 end
  local cache = { n = 1 }
  usyms[pid] = cache
  usyms_count = usyms_count + 1
  return cache
end

-- Drops the names of the processes the symbolizer forgot since the last call: their
-- pids may be another process's by the time they are seen again.
local function drop_forgotten(s)
  while true do
    local n = C.rl_sym_forgotten(s, forgotten_buf, FORGOTTEN_BATCH)
    if n < 0 then usyms, usyms_count = {}, 0 end
    if n <= 0 then return end
    for i = 0, n - 1 do drop_names(forgotten_buf[i]) end
  end
end

-- C++ names as their files have them (raw true: `_ZN2ns6Worker4spinEi`), or demangled
-- (`ns::Worker::spin(int)`, the default), from now on; the names cached go.
function _M.raw_names(raw)
  C.rl_sym_set_raw_names(get_symbolizer(), raw and 1 or 0)
  usyms, usyms_count = {}, 0
end

-- Reads process pid's mappings now, if not yet read for the program it runs (one that
-- exec'd since is read again), so that its addresses resolve even after it exits. One
-- small read for a process already noted. Returns true, or nil and why.
function _M.note_pid(pid)
  pid = tonumber(pid)
  local s = get_symbolizer()
  local err = C.rl_sym_note_pid(s, pid)
  if err == 1 then drop_forgotten(s) end
  -- Read now: the names of another program's addresses are no longer those.
  if err == 1 or not usyms[pid] then new_names(pid) end
  if err < 0 then return nil, "pid " .. pid .. ": " .. ffi.string(C.strerror(-err)) end
  return true
end

-- The name of the user-space address addr in process pid: "malloc+0x1a", or
-- "[libfoo.so+0x1234]" in a file without a symbol there, or "0x7f..." where no file is
-- mapped (JIT code, a process gone before it was noted). addr: uint64 cdata or number.
function _M.usym(pid, addr)
  pid = tonumber(pid)
  local cache = usyms[pid]
  if not cache then
    _M.note_pid(pid)
    cache = usyms[pid]
  end
  local key = tonumber(addr)
  local text = cache[key]
  if text then return text end
  local s = get_symbolizer()
  local n = C.rl_sym_user(s, pid, addr, sym_buf, SYM_BUF)
  text = ffi.string(sym_buf, n)
  -- A reread of pid's mappings may have forgotten others.
  drop_forgotten(s)
  -- An address in no file may lie in a mapping not read yet (made since the last read,
  -- whose reread waits its turn): asked again next time, not kept.
  if text:find("^0x") then return text end
  if usyms_count >= USYM_CACHE_MAX then usyms, usyms_count = {}, 0 end
  cache = usyms[pid] or new_names(pid)
  cache[key] = text
  cache.n = cache.n + 1
  usyms_count = usyms_count + 1
  return text
end

-- The frames of a user stack a record copied for the unwinder (--stacks dwarf; ustack:
-- its struct rl_ustack, len: the record's bytes from there): const uint64_t * innermost
-- first, valid until the next call, their count, and whether the walk stopped short of
-- the outermost frame. ringlua.stacks calls it; nil, 0, false for a malformed copy.
local STACK_MAX = 127 -- RL_STACK_MAX (src/kernel/bpf/stacks.h)
local unwound = ffi.new("uint64_t[?]", STACK_MAX)
local unwound_cut = ffi.new("int[1]")
local ustack_t = ffi.typeof("const struct rl_ustack *")
function _M.unwind(ustack, len)
  local s = symbolizer or get_symbolizer()
  local pid = ffi.cast(ustack_t, ustack).pid
  -- Noted here as names.usym notes a process, so that its names' cache follows it.
  if not usyms[pid] then _M.note_pid(pid) end
  local n = C.rl_sym_unwind(s, ustack, len, unwound, STACK_MAX, unwound_cut)
  if n < 0 then return nil, 0, false end
  return unwound, n, unwound_cut[0] ~= 0
end

-- What the symbolizer holds and has done, as a table of numbers: processes, mappings,
-- files, file_bytes, over_budget, maps_reads, forgotten, and the unwinder's unwinds,
-- unwound_frames, unwind_cut_copy, unwind_cut_stuck, unwind_cut_max, unwind_cut_error,
-- unwind_bytes, unwinders_closed, file_fds (src/sym/sym.h, rl_sym_stats says what each
-- counts), and cached_names and cached_pids of names.usym's cache.
function _M.sym_stats()
  local n = C.rl_sym_stats(get_symbolizer(), sym_buf, SYM_BUF)
  local stats = { cached_pids = 0 }
  for name, value in ffi.string(sym_buf, n):gmatch("([%w_]+)=(%d+)") do
    stats[name] = tonumber(value)
  end
  for _ in pairs(usyms) do stats.cached_pids = stats.cached_pids + 1 end
  stats.cached_names = usyms_count - stats.cached_pids
  return stats
end

--------------------------------------------------------------------------------------------
-- Time. Events carry CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns); the wall clock is
-- that plus the distance between the two clocks, measured once.
local realtime_minus_monotonic

local function measure_clock_offset()
  local mono, real = timespec_t(), timespec_t()
  C.clock_gettime(CLOCK_MONOTONIC, mono)
  C.clock_gettime(CLOCK_REALTIME, real)
  -- Seconds and nanoseconds apart, so no sum needs more than a double holds exactly.
  return { sec = tonumber(real.tv_sec - mono.tv_sec),
           nsec = tonumber(real.tv_nsec - mono.tv_nsec) }
end

-- The wall-clock time of a monotonic timestamp, in seconds since the epoch.
function _M.wall_time(ts_ns)
  local d = realtime_minus_monotonic
  if not d then
    d = measure_clock_offset()
    realtime_minus_monotonic = d
  end
  return d.sec + (tonumber(ts_ns) + d.nsec) / 1e9
end

-- CLOCK_MONOTONIC now, in nanoseconds: the clock of the events' ts_ns.
local now_ts = timespec_t()
function _M.now_ns()
  C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1e9 + tonumber(now_ts.tv_nsec)
end

-- The local time of day of a monotonic timestamp, as "HH:MM:SS".
function _M.hms(ts_ns)
  return os.date("%H:%M:%S", floor(_M.wall_time(ts_ns)))
end

return _M
