-- Aggregations in the manner of bpftrace's maps: count, sum, min, max, avg by key; log2
-- and linear histograms; printed as bpftrace prints them.
--   local agg = require("ringlua.agg")
--   local calls = agg.count("calls")          -- @calls[key]: n
--   calls:add(comm)                           -- once per event
--   agg.print_all()                           -- from on_tick / on_exit
-- Keys are numbers, strings, nil (an aggregation without keys), stacks (agg.kstack,
-- agg.ustack), or tuples interned with a:key(part1, part2, ...). The per-event calls
-- allocate nothing once a key has been seen.
local ffi = require("ffi")
local ringlua = require("ringlua")
local bit = require("bit")
-- Text that others control (a process name, a symbol of their file) is printed with its
-- control characters as the text \xNN.
local printable = require("ringlua.text").printable

local floor, max, huge = math.floor, math.max, math.huge
local format, rep = string.format, string.rep
local concat, sort = table.concat, table.sort
local type, tonumber, tostring, error = type, tonumber, tostring, error
local setmetatable, getmetatable = setmetatable, getmetatable
local ipairs, pairs, unpack = ipairs, pairs, unpack
local rshift = bit.rshift

local _M = {}

-- bpftrace's histogram layout: a 52-column bar; labels padded to 16, counts to 8.
local BAR_WIDTH = 52
local HIST_LINE = "%-16s%8d |%-52s|\n"
-- log2 buckets: 0 holds negatives, 1 the value 0, 2 the value 1, then i holds
-- [2^(i-2), 2^(i-1)) up to [2^63, 2^64).
local LOG2_LAST = 65
local SUFFIXES = { [0] = "", "K", "M", "G", "T", "P", "E" }
local MAX_TUPLE_PARTS = 4
-- Keys an aggregation holds at most (its max_entries option): a key taken from pids,
-- paths or addresses can grow without bound, and this many is enough for a key per
-- process or per file on a busy host, at ~650 bytes a key for the largest kind (a log2
-- histogram) 40 MB. Updates of a new key past it are dropped and counted.
local DEFAULT_MAX_ENTRIES = 65536

-- The key of an aggregation used without keys (bpftrace's `@x = count()`).
local NOKEY = {}
-- The key a:key gives for a new tuple while the aggregation is full: never interned,
-- never an entry, its updates counted as dropped.
local FULL = {}
-- Where an interning node keeps the tuple that ends at it.
local LEAF = {}
-- The metatable that marks a tuple key.
local Tuple = {}
-- The metatable that marks a stack key: { user = bool, pid = n, bytes = frames, n = count }.
local Stack = {}
-- bpftrace's stack layout: each frame on its own line, indented.
local FRAME_INDENT = "    "
-- The bars are computed in single precision as bpftrace computes them, so that a count
-- that lands on a column edge gets the same number of columns.
local f32 = ffi.new("float[1]")
-- The exponent of a double is floor(log2(v)): read from its bits, without a loop.
local dbl = ffi.new("union { double d; uint32_t w[2]; }")
local HIGH_WORD = ffi.abi("le") and 1 or 0

-- Every aggregation made, in the order made, for print_all and clear_all; and those of
-- them kept in the kernel (kernel = true), in ringlua.agg_kernel (loaded when needed).
local registry, by_name, kernels = {}, {}, {}
local kernel
local function kernel_side()
  kernel = kernel or require("ringlua.agg_kernel")
  return kernel
end
-- ringlua.flamegraph, loaded by the first svg.
local flamegraph
-- The entries of the previous version of the script (a reload), by name, waiting for
-- an aggregation of the same name and kind to take them back.
local carried = {}

local function key_of(key)
  if key == nil then return NOKEY end
  if type(key) == "cdata" then
    local n = tonumber(key)
    if n == nil then
      error("agg: a cdata key must be a number; turn char arrays into strings with ringlua.str", 3)
    end
    return n
  end
  return key
end

local function number_text(v)
  if v == floor(v) and v > -2^63 and v < 2^63 then return format("%d", v) end
  return tostring(v)
end

-- The symbol of frame i of a stack key.
local names
local function frame_name(key, ips, i)
  names = names or require("ringlua.names")
  if key.user then return printable(names.usym(key.pid, ips[i])) end
  return printable(names.ksym(ips[i]) or format("0x%x", ips[i]))
end

local u64p_t = ffi.typeof("const uint64_t *")

-- A stack's frames as names, innermost first; resolved once per stack.
local function stack_frames(key)
  local frames = key.frames
  if frames then return frames end
  frames = {}
  local ips = ffi.cast(u64p_t, key.bytes)
  for i = 0, key.n - 1 do frames[i + 1] = frame_name(key, ips, i) end
  if key.cut then frames[#frames + 1] = key.cut end
  key.frames = frames
  return frames
end

-- As bpftrace prints a stack: a line per frame, innermost first; "" when empty.
local function stack_text(key)
  if key.n == 0 then return "" end
  local lines = { "" }
  for i, f in ipairs(stack_frames(key)) do lines[i + 1] = FRAME_INDENT .. f end
  return concat(lines, "\n") .. "\n"
end

-- A key as printed; raw: its strings as they are, for exporters that escape them their
-- own way.
local function key_text(key, raw)
  local mt = getmetatable(key)
  if mt == Stack then return stack_text(key) end
  if mt == Tuple then
    local parts = {}
    for i = 1, key.n do parts[i] = key_text(key[i], raw) end
    return concat(parts, ", ")
  end
  if type(key) == "number" then return number_text(key) end
  return raw and tostring(key) or printable(tostring(key))
end

-- "@name[key]", or "@name" for an aggregation without keys.
local function label_of(self, key)
  if key == NOKEY then return self.name end
  return self.name .. "[" .. key_text(key) .. "]"
end

-- Entries {key, value, text} sorted by value, smallest first as bpftrace prints them;
-- equal values by key text, so the output does not depend on table order.
local function sorted_entries(self)
  local list = {}
  for key in pairs(self.t) do
    list[#list + 1] = { key = key, value = self:_sort_value(key), text = key_text(key) }
  end
  sort(list, function(a, b)
    if a.value ~= b.value then return a.value < b.value end
    return a.text < b.text
  end)
  return list
end

-- The last `top` entries of a sorted list (all of them without a limit).
local function first_shown(list, top)
  if top == nil then return 1 end
  return max(1, #list - top + 1)
end

--------------------------------------------------------------------------------------------
-- Stacks as keys: the frames' bytes, interned as a Lua string, find the key; a seen stack
-- allocates nothing more. A user stack belongs to its process (addresses mean nothing
-- without its mappings), which is noted with ringlua.names the first time it is seen, so
-- that its frames resolve even after it exits.
local ffi_string = ffi.string
local kstacks, ustacks = {}, {}
local EMPTY_KSTACK = setmetatable({ user = false, bytes = "", n = 0 }, Stack)

-- The key of a kernel stack: ips (const uint64_t *) and n frames, as ringlua.stacks
-- gives them.
function _M.kstack(ips, n)
  if n == 0 then return EMPTY_KSTACK end
  local bytes = ffi_string(ips, n * 8)
  local key = kstacks[bytes]
  if key == nil then
    key = setmetatable({ user = false, bytes = bytes, n = n }, Stack)
    kstacks[bytes] = key
  end
  return key
end

-- The key of a user stack of process pid; cut: why it was cut short, as ringlua.stacks
-- says (its fifth value: false when it was not). Without cut (frames from elsewhere), a
-- frame-pointer walk's end is looked at here as ringlua.stacks does.
function _M.ustack(pid, ips, n, cut)
  pid = tonumber(pid)
  if cut == nil then n, cut = ringlua._ustack_end(ips, n) end
  local of_pid = ustacks[pid]
  if of_pid == nil then
    of_pid = { [""] = setmetatable({ user = true, pid = pid, bytes = "", n = 0 }, Stack) }
    ustacks[pid] = of_pid
  end
  -- A cut stack interns apart from the same frames complete (frames are 8 bytes each).
  local bytes = (n == 0 and "" or ffi_string(ips, n * 8)) .. (cut and "!" .. cut or "")
  local key = of_pid[bytes]
  if key == nil then
    -- A new stack: the process's mappings noted as they are now (read again after an
    -- exec: a command traced from its fork is sampled before it execs, too).
    names = names or require("ringlua.names")
    names.note_pid(pid)
    key = setmetatable({ user = true, pid = pid, bytes = bytes, n = n,
                         cut = cut and "[stack cut: " .. cut .. "]" }, Stack)
    of_pid[bytes] = key
  end
  return key
end

-- A frame as flame graphs have it: without its offset, so that samples anywhere in a
-- function add up ("malloc", "[libfoo.so]").
local function function_name(text)
  return (text:gsub("%+0x%x+%]$", "]"):gsub("%+0x%x+$", ""))
end

-- The frames of one key as flame graphs stack them, outermost first, each
-- { name = text, kind = "plain" | "user" | "kernel" }: its plain parts (comm, pid) in
-- order, then its user stacks, then its kernel stacks, each from the outermost frame in.
local function flame_frames(key)
  local plain, user, kernel = {}, {}, {}
  local parts = getmetatable(key) == Tuple and key or { key, n = 1 }
  for i = 1, parts.n do
    local part = parts[i]
    if getmetatable(part) == Stack then
      local into = part.user and user or kernel
      local kind = part.user and "user" or "kernel"
      local frames = stack_frames(part)
      for j = #frames, 1, -1 do
        into[#into + 1] = { name = function_name(frames[j]), kind = kind }
      end
    elseif part ~= NOKEY then
      plain[#plain + 1] = { name = function_name(key_text(part)), kind = "plain" }
    end
  end
  for _, f in ipairs(user) do plain[#plain + 1] = f end
  for _, f in ipairs(kernel) do plain[#plain + 1] = f end
  return plain
end

-- The folded stack of one key: its flame frames joined by ';' (which would end a frame
-- inside one, so becomes ':').
local function folded_stack(key)
  local texts = {}
  for i, f in ipairs(flame_frames(key)) do texts[i] = f.name:gsub(";", ":") end
  return concat(texts, ";")
end

--------------------------------------------------------------------------------------------
-- What every kind shares.
local Agg = {}
Agg.__index = Agg

-- The interned tuple of up to four parts: the same table for the same parts, so it can
-- be a table key. A seen tuple is found by walking nested tables, without allocating.
-- Interned tuples live as long as the aggregation (clear() keeps them).
local function child_of(node, part)
  local child = node[part]
  if child == nil then
    child = {}
    node[part] = child
  end
  return child
end

function Agg:key(a, b, c, d, extra)
  if a == nil or (b == nil and c ~= nil) or (c == nil and d ~= nil) or extra ~= nil then
    error("agg: a tuple key has 1 to " .. MAX_TUPLE_PARTS .. " parts, none of them nil", 2)
  end
  local parts = (d ~= nil and 4) or (c ~= nil and 3) or (b ~= nil and 2) or 1
  a, b, c, d = key_of(a), b ~= nil and key_of(b), c ~= nil and key_of(c), d ~= nil and key_of(d)
  local node = child_of(self.tuples, a)
  if parts > 1 then node = child_of(node, b) end
  if parts > 2 then node = child_of(node, c) end
  if parts > 3 then node = child_of(node, d) end
  local tuple = node[LEAF]
  if tuple == nil then
    if self.size >= self.max_entries then return FULL end
    tuple = setmetatable({ a, b, c, d, n = parts }, Tuple)
    node[LEAF] = tuple
  end
  return tuple
end

-- Forgets every entry (interned tuples stay valid), in the kernel too.
function Agg:clear()
  self.t = {}
  self.size = 0
  if self.n then self.n = {} end
  if self.kernel then kernel_side().clear(self) end
end

-- The entries as text, as print writes them; "" when there are none.
function Agg:format(top)
  local list = sorted_entries(self)
  if #list == 0 then return "" end
  return self:_format_entries(list, first_shown(list, top or self.limit))
end

-- Writes the entries to out (io.stdout by default), biggest last; top limits them to the
-- biggest `top` (default: the aggregation's own top option).
function Agg:print(out, top)
  local text = self:format(top)
  if text ~= "" then (out or io.stdout):write(text) end
end

-- Writes the entries in the folded format flame graph tools read (flamegraph.pl,
-- speedscope, Grafana): "comm;outer;...;inner count" a line, user frames before kernel
-- frames, biggest last, to out (io.stdout by default).
function Agg:folded(out)
  local sums, list = {}, {}
  for key in pairs(self.t) do
    local stack = folded_stack(key)
    if sums[stack] == nil then list[#list + 1] = stack end
    sums[stack] = (sums[stack] or 0) + self:_print_value(key)
  end
  sort(list, function(a, b)
    if sums[a] ~= sums[b] then return sums[a] < sums[b] end
    return a < b
  end)
  for i, stack in ipairs(list) do list[i] = stack .. " " .. number_text(sums[stack]) .. "\n" end
  if #list > 0 then (out or io.stdout):write(concat(list)) end
end

-- Writes the entries as one self-contained SVG flame graph (ringlua.flamegraph): user
-- frames warm, kernel frames blue, the key's other parts (comm, pid) grey at the root, to
-- out (io.stdout by default). opts: title, width in pixels (default 1200).
function Agg:svg(out, opts)
  local stacks = {}
  for key in pairs(self.t) do
    stacks[#stacks + 1] = { frames = flame_frames(key), count = self:_print_value(key) }
  end
  flamegraph = flamegraph or require("ringlua.flamegraph")
  flamegraph.write(out or io.stdout, stacks, opts)
end

-- The biggest n entries, biggest first, as { {key = k, value = v}, ... }; a tuple key
-- is its tuple, an array of its parts.
function Agg:top(n)
  local list = sorted_entries(self)
  local result = {}
  for i = #list, first_shown(list, n), -1 do
    local key = list[i].key
    result[#result + 1] = { key = key ~= NOKEY and key or nil, value = self:get(key) }
  end
  return result
end

-- Updates of a new key the aggregation had no room for (max_entries), since it was made
-- (carried across reloads like its entries).
function Agg:dropped()
  return self.dropped_n
end

-- Whether a new key gets an entry: not once the aggregation holds max_entries keys (nor
-- the FULL key); the update is then counted as dropped, and the first drop says so.
function Agg:_room(key)
  if self.size < self.max_entries and key ~= FULL then
    self.size = self.size + 1
    return true
  end
  self.dropped_n = self.dropped_n + 1
  if self.dropped_n == 1 then
    io.stderr:write(format("ringlua: %s holds %s keys (max_entries): updates of new keys " ..
                           "are dropped and counted\n", printable(self.name),
                           number_text(self.max_entries)))
  end
  return false
end

-- The value of key (nil if it was never added to).
function Agg:get(key)
  return self.t[key_of(key)]
end

function Agg:_sort_value(key)
  return self.t[key]
end

-- The order of keys of equal value when an exporter picks the biggest: as printed for
-- keys without stacks, so that exporters pick what print shows; a stack by its address
-- bytes, which needs no symbol looked up.
local function order_text(key)
  local mt = getmetatable(key)
  if mt == Stack then return key.bytes end
  if mt == Tuple then
    local parts = {}
    for i = 1, key.n do parts[i] = order_text(key[i]) end
    return concat(parts, ", ")
  end
  return key_text(key)
end

-- Whether candidate a comes before b (is smaller): by value, then by order text (made
-- only for a tie, once per candidate).
local function smaller(a, b)
  if a.value ~= b.value then return a.value < b.value end
  a.order = a.order or order_text(a.key)
  b.order = b.order or order_text(b.key)
  return a.order < b.order
end

-- Whether key, of the same value as candidate c, comes after it.
local function tie_bigger(key, c)
  c.order = c.order or order_text(c.key)
  return order_text(key) > c.order
end

-- Moves heap[i] down to its place in the min-heap heap[1..n].
local function sift_down(heap, i, n)
  while true do
    local least, l, r = i, 2 * i, 2 * i + 1
    if l <= n and smaller(heap[l], heap[least]) then least = l end
    if r <= n and smaller(heap[r], heap[least]) then least = r end
    if least == i then return end
    heap[i], heap[least] = heap[least], heap[i]
    i = least
  end
end

-- The n biggest entries as candidates {key, value} in a min-heap, in one pass: an entry
-- smaller than the heap's least costs one comparison, and a stack's symbols are never
-- looked up. Returns the heap and the number of entries.
local function biggest(self, n)
  local heap, size, total = {}, 0, 0
  for key in pairs(self.t) do
    total = total + 1
    local value = self:_sort_value(key)
    local least = heap[1]
    if size < n then
      size = size + 1
      heap[size] = { key = key, value = value }
      if size == n then
        for i = floor(n / 2), 1, -1 do sift_down(heap, i, n) end
      end
    elseif least and (value > least.value or (value == least.value and tie_bigger(key, least))) then
      least.key, least.value, least.order = key, value, nil -- the least leaves the heap
      sift_down(heap, 1, n)
    end
  end
  return heap, total
end

-- For exporters (ringlua.metrics): the n biggest entries (all without n), biggest first
-- as print orders them, each as {key = the raw key (self.t's), parts = the key's parts
-- as text, none without a key}; and how many entries there are. Only the entries given
-- have their text made (a stack's symbols looked up), and the rest are only compared by
-- value: the work is bounded by n, not by the entries, save one pass over them.
function Agg:_entries(n)
  local list, total = biggest(self, n or huge)
  for _, c in ipairs(list) do c.text = key_text(c.key) end
  sort(list, function(a, b)
    if a.value ~= b.value then return a.value < b.value end
    return a.text < b.text
  end)
  local result = {}
  for i = #list, 1, -1 do
    local key, parts = list[i].key, {}
    if getmetatable(key) == Tuple then
      for p = 1, key.n do parts[p] = key_text(key[p], true) end
    elseif key ~= NOKEY then
      parts[1] = key_text(key, true)
    end
    result[#result + 1] = { key = key, parts = parts }
  end
  return result, total
end

-- Map lines "@name[key]: value", then a blank line.
function Agg:_format_entries(list, first)
  local lines = {}
  for i = first, #list do
    local key = list[i].key
    lines[#lines + 1] = label_of(self, key) .. ": " .. number_text(self:_print_value(key)) .. "\n"
  end
  lines[#lines + 1] = "\n"
  return concat(lines)
end

function Agg:_print_value(key)
  return self.t[key]
end

-- A kind of aggregation: its methods, falling back to parent's (default: Agg's).
local function kind(methods, parent)
  methods.__index = methods
  return setmetatable(methods, { __index = parent or Agg })
end

--------------------------------------------------------------------------------------------
-- The kinds. Each has its own add(key, v), so the per-event path has no branch on kind.
local Count = kind({ kind = "count", metric = "counter" })
function Count:add(key, n)
  local t = self.t
  key = key_of(key)
  local cur = t[key]
  if cur == nil then
    if not self:_room(key) then return end
    cur = 0
  end
  t[key] = cur + (n or 1)
end

local Sum = kind({ kind = "sum", metric = "counter" })
function Sum:add(key, v)
  local t = self.t
  key = key_of(key)
  local cur = t[key]
  if cur == nil then
    if not self:_room(key) then return end
    cur = 0
  end
  t[key] = cur + v
end

-- min and max: keep v when there is nothing yet or beats(v, current).
local function extreme(kind_name, beats)
  local class = kind({ kind = kind_name, metric = "gauge" })
  function class:add(key, v)
    local t = self.t
    key = key_of(key)
    local cur = t[key]
    if cur == nil then
      if self:_room(key) then t[key] = v end
    elseif beats(v, cur) then
      t[key] = v
    end
  end
  return class
end

local Min = extreme("min", function(v, cur) return v < cur end)
local Max = extreme("max", function(v, cur) return v > cur end)

-- avg keeps the sum in t and the count in n.
local Avg = kind({ kind = "avg", metric = "gauge" })
function Avg:add(key, v)
  local t, n = self.t, self.n
  key = key_of(key)
  local cur = t[key]
  if cur == nil then
    if not self:_room(key) then return end
    t[key], n[key] = v, 1
    return
  end
  t[key] = cur + v
  n[key] = n[key] + 1
end

-- The exact mean.
function Avg:get(key)
  key = key_of(key)
  local sum = self.t[key]
  return sum and sum / self.n[key]
end

Avg._sort_value = Avg.get

-- Printed as bpftrace prints an average: the integer part.
function Avg:_print_value(key)
  local mean = self:get(key)
  return mean >= 0 and floor(mean) or -floor(-mean)
end

--------------------------------------------------------------------------------------------
-- Histograms: t[key] is an array of bucket counts, indexes 0 to last, and the sum of
-- the values recorded (b.sum, for Prometheus's _sum), made whole at the first record of
-- a key so that counting never grows a table; nil for a new key the aggregation has no
-- room for.
local function buckets_of(self, key)
  local t = self.t
  key = key_of(key)
  local b = t[key]
  if b == nil then
    if not self:_room(key) then return nil end
    b = { sum = 0 }
    for i = 0, self.last do b[i] = 0 end
    t[key] = b
  end
  return b
end

local function to_f32(x)
  f32[0] = x
  return f32[0]
end

local function bar(count, most)
  return rep("@", floor(to_f32(to_f32(to_f32(count) / to_f32(most)) * BAR_WIDTH)))
end

-- The lines of one histogram, from its first to its last non-empty bucket.
local function hist_lines(self, b)
  local first, last, most = nil, nil, 0
  for i = 0, self.last do
    if b[i] > 0 then
      first = first or i
      last = i
      most = max(most, b[i])
    end
  end
  local lines = {}
  for i = first, last do
    lines[#lines + 1] = format(HIST_LINE, self:_bucket_label(i), b[i], bar(b[i], most))
  end
  return concat(lines)
end

local function total(b, last)
  local sum = 0
  for i = 0, last do sum = sum + b[i] end
  return sum
end

local Hist = kind({ metric = "histogram" })

-- The number of values recorded under key.
function Hist:get(key)
  local b = self.t[key_of(key)]
  return b and total(b, self.last)
end

function Hist:_sort_value(key)
  return total(self.t[key], self.last)
end

-- Counts v in its bucket (under key, if given).
function Hist:record(v, key)
  local b = buckets_of(self, key)
  if b == nil then return end
  local i = self:_bucket(v)
  b[i] = b[i] + 1
  b.sum = b.sum + v
end

-- "@name[key]:" then the histogram and a blank line, for each key.
function Hist:_format_entries(list, first)
  local parts = {}
  for i = first, #list do
    local key = list[i].key
    parts[#parts + 1] = label_of(self, key) .. ":\n" .. hist_lines(self, self.t[key]) .. "\n"
  end
  return concat(parts)
end

-- The log2 histogram.
local Log2 = kind({ kind = "hist" }, Hist)

function Log2:_bucket(v)
  if not (v >= 1) then return v < 0 and 0 or 1 end
  if v >= 2^64 then return LOG2_LAST end
  dbl.d = v
  return rshift(dbl.w[HIGH_WORD], 20) - 1023 + 2
end

-- 2^power as bpftrace writes it: 512, 1K, 2K, ... 1M, ... up to E.
local function power_label(power)
  local decade = floor(power / 10)
  return format("%d%s", 2 ^ (power - 10 * decade), SUFFIXES[decade])
end

function Log2:_bucket_label(i)
  if i == 0 then return "(..., 0)" end
  if i <= 2 then return format("[%d]", i - 1) end
  return "[" .. power_label(i - 2) .. ", " .. power_label(i - 1) .. ")"
end

-- The linear histogram: bucket 0 below min, 1..n the steps, n + 1 from max on.
local Linear = kind({ kind = "lhist" }, Hist)

function Linear:_bucket(v)
  if v < self.min then return 0 end
  if v >= self.max then return self.last end
  return floor((v - self.min) / self.step) + 1
end

-- A bound as bpftrace writes it: with K or M only when the step is a multiple of 1024.
function Linear:_bound(x)
  if self.step % 1024 ~= 0 or x == 0 then return format("%d", x) end
  if x % 1048576 == 0 then return format("%dM", x / 1048576) end
  if x % 1024 == 0 then return format("%dK", x / 1024) end
  return format("%d", x)
end

function Linear:_bucket_label(i)
  if i == 0 then return "(..., " .. self:_bound(self.min) .. ")" end
  if i == self.last then return "[" .. self:_bound(self.max) .. ", ...)" end
  local low = self.min + (i - 1) * self.step
  if self.step == 1 then return format("[%d]", low) end
  return "[" .. self:_bound(low) .. ", " .. self:_bound(low + self.step) .. ")"
end

--------------------------------------------------------------------------------------------
-- Carrying the entries across a reload: exported as plain data (ringlua.state's
-- encoding carries it), taken back by an aggregation of the same name and kind (and,
-- for lhist, the same bounds) that the new version makes.

-- Whether the old export fits self: same kind, same buckets.
local function same_shape(self, old)
  return old.kind == self.kind and old.last == self.last and old.min == self.min and
         old.step == self.step
end

-- Entries past the new version's max_entries are counted as dropped.
local function adopt(self)
  local old = carried[self.name]
  carried[self.name] = nil
  if old == nil or not same_shape(self, old) then return end
  self.dropped_n = old.dropped or 0
  for _, e in ipairs(old.entries) do
    if self.size >= self.max_entries then
      self.dropped_n = self.dropped_n + 1
    else
      local key = e.key
      if e.nokey then key = NOKEY
      elseif e.tuple then key = self:key(unpack(e.tuple, 1, e.tuple.n)) end
      self.t[key] = e.v
      if self.n then self.n[key] = e.n end
      self.size = self.size + 1
    end
  end
end

-- Every aggregation's entries as plain data: numbers, strings and tables of them.
function _M._export()
  local list = {}
  for _, a in ipairs(registry) do
    local entries = {}
    for key, v in pairs(a.t) do
      local e = { v = v, n = a.n and a.n[key] }
      if key == NOKEY then e.nokey = true
      elseif getmetatable(key) == Tuple then e.tuple = { key[1], key[2], key[3], key[4], n = key.n }
      else e.key = key end
      entries[#entries + 1] = e
    end
    list[#list + 1] = { name = a.name, kind = a.kind, last = a.last, min = a.min,
                        step = a.step, entries = entries, dropped = a.dropped_n }
  end
  return list
end

-- Hands an export of the previous version to the aggregations this one makes; called
-- by the host before the script's top level runs.
function _M._carry(list)
  carried = {}
  for _, old in ipairs(list or {}) do carried[old.name] = old end
end

--------------------------------------------------------------------------------------------
-- Making aggregations. name "x" prints as "@x" (nil: "@"). Options:
--   top     print only the biggest entries
--   labels  the Prometheus label names of the key's parts (default "key", or "key1",
--           "key2", ... for a tuple)
--   metric  "counter" or "gauge": how --metrics exports a count or sum (default
--           counter; min, max and avg are gauges, histograms histograms)
--   help    the # HELP text --metrics gives
--   max_entries  keys it holds at most (default DEFAULT_MAX_ENTRIES; math.huge: no
--           limit); updates of a new key past it are dropped and counted (a:dropped())
--   kernel  true: kept by the built-in BPF program in a map, from the record fields
--           named by key (a list of 0 to 4) and value (sum, min, max, avg, hist,
--           lhist), and probe (tracepoints: only that probe's records); read back
--           before on_tick, on_exit and --metrics (ringlua.agg_kernel)
local METRICS = { counter = true, gauge = true }

-- The max_entries option of an aggregation (a kernel one is bounded by its map).
local function max_entries_of(opts)
  local n = opts and opts.max_entries
  if n == nil then return opts and opts.kernel and huge or DEFAULT_MAX_ENTRIES end
  if opts.kernel then
    error("agg: max_entries is for aggregations kept in Lua: a kernel one's map bounds it", 4)
  end
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("agg: max_entries is a whole number of keys, 1 or more (math.huge: no limit)", 4)
  end
  return n
end

local function make(class, name, opts, fields)
  name = name or ""
  if type(name) ~= "string" then error("agg: a name is a string", 3) end
  if name:sub(1, 1) ~= "@" then name = "@" .. name end
  if by_name[name] then error("agg: " .. name .. " already exists", 3) end
  local self = fields or {}
  self.name = name
  self.limit = opts and opts.top
  self.labels = opts and opts.labels
  self.help = opts and opts.help
  if opts and opts.metric ~= nil then
    if class.metric == "histogram" or class.metric == "gauge" or not METRICS[opts.metric] then
      error("agg: metric is \"counter\" or \"gauge\", for a count or a sum", 3)
    end
    self.metric = opts.metric
  end
  self.t = {}
  self.tuples = {}
  self.max_entries = max_entries_of(opts)
  self.size, self.dropped_n = 0, 0
  if opts and opts.kernel then
    self.kernel = kernel_side().request(class.kind, name, opts, 3)
    kernels[#kernels + 1] = self
  end
  setmetatable(self, class)
  adopt(self)
  registry[#registry + 1] = self
  by_name[name] = self
  return self
end

function _M.count(name, opts) return make(Count, name, opts) end
function _M.sum(name, opts) return make(Sum, name, opts) end
function _M.min(name, opts) return make(Min, name, opts) end
function _M.max(name, opts) return make(Max, name, opts) end
function _M.avg(name, opts) return make(Avg, name, opts, { n = {} }) end

-- A log2 histogram: h:record(v [, key]).
function _M.hist(name, opts)
  return make(Log2, name, opts, { last = LOG2_LAST })
end

-- A linear histogram of integer bounds: steps of `step` from min to max, which must be
-- a whole number of steps apart.
function _M.lhist(name, min, max_, step, opts)
  local whole = type(min) == "number" and type(max_) == "number" and type(step) == "number"
                and min == floor(min) and max_ == floor(max_) and step == floor(step)
  if not whole or step <= 0 or max_ <= min or (max_ - min) % step ~= 0 then
    error("agg: lhist wants integers min < max and step > 0 dividing max - min", 2)
  end
  return make(Linear, name, opts,
              { min = min, max = max_, step = step, last = (max_ - min) / step + 1 })
end

-- Prints every aggregation that has entries, in the order they were made.
function _M.print_all(out)
  for _, a in ipairs(registry) do a:print(out) end
end

-- Calls fn(a) for every aggregation, in the order they were made.
function _M.each(fn)
  for _, a in ipairs(registry) do fn(a) end
end

-- Clears every aggregation.
function _M.clear_all()
  for _, a in ipairs(registry) do a:clear() end
end

--------------------------------------------------------------------------------------------
-- Kernel aggregations, for the host.

-- How many there are (the host loads the program so that it keeps them).
function _M._kernel_count()
  return #kernels
end

-- Writes their specs into the program's maps (desc: the host's description of them;
-- nil when no built-in program feeds the script); deliver: whether records still go to
-- the ring (the script has an event handler); nil for a script without kernel
-- aggregations (a reload took them all away), which has a handler, so takes records.
function _M._kernel_install(desc, deliver)
  if desc == nil and kernels[1] == nil then return end
  kernel_side().install(desc, deliver ~= false, kernels)
end

-- One entry read from the kernel, stored as a's kind keeps it.
local function put(a, key, bucket, count, sum, min, max)
  local kind = a.kind
  if kind == "hist" or kind == "lhist" then
    local b = buckets_of(a, key)
    b[bucket] = b[bucket] + count
    b.sum = b.sum + sum
    return
  end
  key = key_of(key)
  if a.t[key] == nil then a.size = a.size + 1 end
  if kind == "count" then a.t[key] = count
  elseif kind == "sum" then a.t[key] = sum
  elseif kind == "min" then a.t[key] = min
  elseif kind == "max" then a.t[key] = max
  else a.t[key], a.n[key] = sum, count end
end

-- Leaves in the program only this script's (ringlua.agg_kernel's settle): the host
-- calls it in the script that runs from now on, after start, a reload or a failed one.
function _M._kernel_settle()
  if kernel then kernel.settle(kernels) end
end

-- Replaces their entries with what the program holds now.
function _M._kernel_sync()
  if kernels[1] then kernel_side().sync(kernels, put) end
end

return _M
