-- What the clauses of a program (ringlua.program) run with: the event `e` with its
-- fields as Lua values, the header's names (pid, comm, ...), an aggregation per call
-- site, printf and exit; and the script they make up, for the host.
--   local rt = require("ringlua.clause").new({ "tracepoint:sched:sched_switch" }, "tracepoint",
--                                             { stacks = "kernel" })
--   rt.on({ "tracepoint:sched:sched_switch" }, nil, function(p, len) ... end)
--   return rt.script()
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local names = require("ringlua.names")

local cast, typeof, istype = ffi.cast, ffi.typeof, ffi.istype
local type, tonumber, tostring, select, error = type, tonumber, tostring, select, error
local format, io_write = string.format, io.write
local ipairs, pairs, setmetatable = ipairs, pairs, setmetatable

local _M = {}

local int64_t, uint64_t = typeof("int64_t"), typeof("uint64_t")
-- The integers a double holds exactly.
local EXACT = 2 ^ 53
local EXACT_S, EXACT_U = int64_t(EXACT), uint64_t(EXACT)

----------------------------------------------------------------------------------------
-- Field values: a char array is its string up to the NUL, a 64-bit integer a Lua
-- number when a double holds it exactly; the rest as the FFI gives them. How a field
-- converts is decided once per C type (by its ctype id), not per event.

local function same(v) return v end
local function text(v) return ringlua.str(v) end
local function signed(v)
  if v <= EXACT_S and v >= -EXACT_S then return tonumber(v) end
  return v
end
local function unsigned(v)
  if v <= EXACT_U then return tonumber(v) end
  return v
end

local function converter_for(v)
  if istype(int64_t, v) then return signed end
  if istype(uint64_t, v) then return unsigned end
  local name = tostring(typeof(v))
  if name:find("^ctype<char %(&%)%[") or name:find("^ctype<const char %(&%)%[") then
    return text
  end
  return same
end

local converters = {}
local function lua_value(v)
  if type(v) ~= "cdata" then return v end
  local id = tonumber(typeof(v))
  local convert = converters[id]
  if convert == nil then
    convert = converter_for(v)
    converters[id] = convert
  end
  return convert(v)
end

----------------------------------------------------------------------------------------
-- Aggregations by call site.

-- The key of the parts k...: none (an aggregation without keys), one, or a tuple.
local function key_of(a, ...)
  local n = select("#", ...)
  if n == 0 then return nil end
  if n == 1 then return (...) end
  return a:key(...)
end

local function number_of(v, what)
  if type(v) == "number" then return v end
  local n = tonumber(v)
  if n == nil then error(what .. ": the value must be a number, got " .. type(v), 3) end
  return n
end

local MAKERS = {}
function MAKERS.count(name)
  local a = agg.count(name)
  return function(...) a:add(key_of(a, ...)) end
end
for _, kind in ipairs({ "sum", "min", "max", "avg" }) do
  MAKERS[kind] = function(name)
    local a = agg[kind](name)
    return function(v, ...) a:add(key_of(a, ...), number_of(v, kind)) end
  end
end
function MAKERS.hist(name)
  local a = agg.hist(name)
  return function(v, ...) a:record(number_of(v, "hist"), key_of(a, ...)) end
end
-- lhist's bounds come with its calls: it is made at the first.
function MAKERS.lhist(name)
  local a
  return function(v, lo, hi, step, ...)
    a = a or agg.lhist(name, lo, hi, step)
    a:record(number_of(v, "lhist"), key_of(a, ...))
  end
end

----------------------------------------------------------------------------------------
-- The runtime of one program.

-- Calls every function of list with the record, in order.
local function run_all(list)
  if #list == 1 then return list[1] end
  return function(p, len)
    for i = 1, #list do list[i](p, len) end
  end
end

-- probes: the probes the program traces, as its source list; kind: "tracepoint",
-- "uprobe", "usdt", "profile", "source:NAME", or "" for none; bpf: what the BPF side is
-- asked for, {stacks = "kernel,user" | "kernel" | "user", str = "arg0".."arg11" | "ret"}.
function _M.new(probes, kind, bpf)
  bpf = bpf or {}
  local rt = { header = {} }
  local begin, finish, ticks, by_probe = {}, {}, {}, {}
  -- By the index a record's header gives (tracepoints, uprobes, USDT probes), else the
  -- one probe's.
  local by_index, only
  -- Whether a clause takes records, and whether one counts in the kernel.
  local takes_records, counts_in_kernel = false, false
  local head = ringlua.cast -- the record's header: its event, or tracepoints' tp_header
  local probe_names = {}

  function rt.on(what, period, fn)
    if what == "BEGIN" then begin[#begin + 1] = fn
    elseif what == "END" then finish[#finish + 1] = fn
    elseif what == "interval" then ticks[#ticks + 1] = { period = period, fn = fn }
    else
      takes_records = true
      for _, probe in ipairs(what) do
        by_probe[probe] = by_probe[probe] or {}
        local list = by_probe[probe]
        list[#list + 1] = fn
      end
    end
  end

  -- The clauses of each record's probe, once the rings are known (ringlua.rings names
  -- the tracepoint probes; uprobes and USDT probes are indexed in the order of the
  -- source list).
  local function dispatch_table()
    if kind == "tracepoint" then
      local header_t = ringlua._header_type
      head = function(p) return cast(header_t, p) end
      by_index = {}
      for i, ring in ipairs(ringlua.rings) do
        local list = {}
        for _, probe in ipairs(probes) do
          if ring:find(ringlua._glob_pattern(probe)) then
            for _, fn in ipairs(by_probe[probe] or {}) do list[#list + 1] = fn end
          end
        end
        if list[1] then by_index[i - 1] = run_all(list) end
        probe_names[i - 1] = ring
      end
    elseif kind == "uprobe" or kind == "usdt" then
      by_index = {}
      for i, probe in ipairs(probes) do
        by_index[i - 1] = run_all(by_probe[probe])
        probe_names[i - 1] = probe
      end
    elseif by_probe[probes[1]] then
      only = run_all(by_probe[probes[1]])
    end
  end

  -- Header names: numbers, comm a string, probe the probe's name.
  for _, field in ipairs({ "pid", "tid", "ppid", "uid", "cpu" }) do
    rt.header[field] = function(p) return head(p)[field] end
  end
  function rt.header.comm(p) return ringlua.str(head(p).comm) end
  function rt.header.ts(p) return tonumber(head(p).ts_ns) end
  function rt.header.probe(p)
    if by_index then return probe_names[head(p).probe] end
    return probes[1]
  end
  -- Stacks as keys, printed as bpftrace prints kstack and ustack.
  function rt.header.kstack(p, len)
    local k, nk = ringlua.stacks(p, len)
    return agg.kstack(k, nk)
  end
  function rt.header.ustack(p, len)
    local _, _, u, nu, cut = ringlua.stacks(p, len)
    return agg.ustack(head(p).pid, u, nu, cut)
  end

  -- `e`: one table for every event, reading the record it was last given.
  local record, record_ptr, record_len
  local function field(k) return record[k] end
  -- A field the record does not have: named with the fields it has, as -lv lists them.
  local function no_field(k)
    local names = {}
    for name in pairs(ringlua.decode(record_ptr, record_len) or {}) do
      names[#names + 1] = name
    end
    table.sort(names)
    error(format("e.%s: %s has no field %s; its fields: %s", tostring(k),
                 rt.header.probe(record_ptr) or "the event", tostring(k),
                 table.concat(names, " ")), 3)
  end
  local event = setmetatable({}, {
    __index = function(_, k)
      local ok, v = pcall(field, k)
      if not ok then no_field(k) end
      return lua_value(v)
    end,
    __newindex = function(_, k) error("e." .. tostring(k) .. ": an event is read-only", 2) end,
  })
  function rt.event(p, len)
    record, record_ptr, record_len = ringlua.cast(p), p, len
    return event
  end

  for kind_name, make in pairs(MAKERS) do rt[kind_name] = make end

  -- A call site that counts in the kernel (ringlua.program chose it): its aggregation,
  -- kept by the BPF program from the records' fields.
  function rt.kernel(kind, name, key, value, probe, lo, hi, step)
    counts_in_kernel = true
    local opts = { kernel = true, key = key, value = value, probe = probe }
    if kind == "lhist" then return agg.lhist(name, lo, hi, step, opts) end
    return agg[kind](name, opts)
  end

  function rt.printf(fmt, ...) io_write(format(fmt, ...)) end
  -- A value as a string; a uprobe's or USDT probe's str(e.argN) is read by the kernel
  -- instead.
  function rt.str(v) return tostring(lua_value(v)) end
  rt.exit = ringlua.stop

  -- Interval clauses fire on the tick that finds their time come; the tick's period is
  -- what the program asks for (the greatest common divisor of theirs) unless --interval
  -- says otherwise.
  local function gcd(a, b) if b == 0 then return a end return gcd(b, a % b) end

  function rt.script()
    local tick_ms
    for _, t in ipairs(ticks) do tick_ms = tick_ms and gcd(tick_ms, t.period) or t.period end
    local script = { interval = tick_ms, program = true, stacks = bpf.stacks, str = bpf.str }
    if probes[1] then script.source = probes end
    function script.on_init()
      dispatch_table()
      local now = names.now_ns()
      for _, t in ipairs(ticks) do t.due = now + t.period * 1e6 end
      for _, fn in ipairs(begin) do fn() end
    end
    -- Without it, when the kernel counts, records stay out of the ring.
    if takes_records or not counts_in_kernel then
      function script.on_event(p, len)
        local fn = only
        if by_index then fn = by_index[head(p).probe] end
        if fn then fn(p, len) end
      end
    end
    if ticks[1] then
      -- A tick is never early; a millisecond of slack for rounding between the clocks.
      function script.on_tick()
        local now = names.now_ns() + 1e6
        for _, t in ipairs(ticks) do
          if now >= t.due then
            t.due = t.due + t.period * 1e6
            if t.due <= now then t.due = now + t.period * 1e6 end
            t.fn()
          end
        end
      end
    end
    function script.on_exit()
      for _, fn in ipairs(finish) do fn() end
      agg.print_all()
    end
    return script
  end
  return rt
end

return _M
