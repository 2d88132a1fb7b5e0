---@meta
-- LuaCATS annotations of ringlua's modules, for lua-language-server (VS Code's sumneko
-- extension): `ringlua --lua-types` prints this file, then a class for each record type
-- of the traced source. Declarations only: nothing here runs. tests/lua/meta_spec.lua
-- checks that it names every export of the modules, and nothing they lack.

-- ringlua.event, what ringlua.cast returns, is the alias of the traced source's record
-- class(es) that `ringlua --lua-types` prints after this file.

---ringlua: `local ringlua = require("ringlua")`.
---@class ringlua
---@field types table<string, ffi.ctype*> pointer ctype of each built-in source's event, and of each ring's records, by name
---@field source string? the source feeding this script (set before on_init)
---@field event_type ffi.ctype*? its event pointer type (set before on_init)
---@field rings string[] the map names of the rings, in ring order (a built-in source's is "events")
---@field state table plain data carried from one version of the script to the next on a reload
---@field reloads integer how many reloads came before this version of the script
---@field globals table? a --bpf object's globals (.rodata, .data, .bss), by name
---@field maps table<string, ringlua.map>? a --bpf object's hash, array and per-CPU maps, by name
local ringlua = {}

---A map of the user's BPF object.
---@class ringlua.map

---Declares ctype with cdef unless it is already complete.
---@param ctype string
---@param cdef string
function ringlua.cdef_once(ctype, cdef) end

---Declares the C function name with decl unless an earlier module already did.
---@param name string
---@param decl string
function ringlua.declare_once(name, decl) end

---The stacks a record carries (--stacks): kernel frames, their count, user frames,
---their count, and why the user stack was cut short, or false (--stacks dwarf: unwound
---here, into a buffer valid until the next call); nil, 0, nil, 0 when it carries none.
---@param ptr ffi.cdata*
---@param len integer
---@return ffi.cdata*? kernel_ips
---@return integer nr_kernel
---@return ffi.cdata*? user_ips
---@return integer nr_user
---@return string|false|nil user_cut
function ringlua.stacks(ptr, len) end

---The event at ptr as the active source's type (its probe's, for tracepoints).
---@param ptr ffi.cdata*
---@return ringlua.event
function ringlua.cast(ptr) end

---The name of the probe the event at ptr came from ("tracepoint:sched:sched_switch"),
---or nil when records do not say.
---@param ptr ffi.cdata*
---@param len integer?
---@return string?
function ringlua.probe(ptr, len) end

---A copy of the record as a Lua string, to keep beyond on_event.
---@param ptr ffi.cdata*
---@param len integer
---@return string
function ringlua.copy(ptr, len) end

---The record at ptr as a plain table (decoded field by field from BTF).
---@param ptr ffi.cdata*
---@param len integer|string? its length, or its ring's map name
---@param map string? its ring's map name
---@return table
function ringlua.decode(ptr, len, map) end

---The record at ptr as one line of JSON (no newline).
---@param ptr ffi.cdata*
---@param len integer|string? its length, or its ring's map name
---@param map string? its ring's map name
---@return string
function ringlua.json(ptr, len, map) end

---One line out (a table as a JSON object): to stdout, or with --output to the bus.
---@param v string|table
function ringlua.emit(v) end

---Ends the run as a SIGINT does, once the handler returns: on_exit, the summary, status 0.
function ringlua.stop() end

---A char array as a string, up to its first NUL and never past its end.
---@param chars ffi.cdata*
---@param max integer?
---@return string
function ringlua.str(chars, max) end

---Options of every aggregation.
---@class ringlua.agg.options
---@field top integer? print only the biggest entries
---@field labels string[]? the Prometheus label names of the key's parts
---@field metric "counter"|"gauge"? how --metrics exports a count or sum
---@field help string? the # HELP text --metrics gives
---@field max_entries integer? keys it holds at most (default 65536; math.huge: no limit)
---@field kernel boolean? kept by the built-in BPF program, from the record fields named by key and value
---@field key string[]? kernel: the record fields of the key (0 to 4)
---@field value string? kernel: the record field of the value
---@field probe string? kernel, tracepoints: only that probe's records

---A stack as a key (agg.kstack, agg.ustack).
---@class ringlua.agg.stack

---ringlua.agg: `local agg = require("ringlua.agg") ---@type ringlua.agg`.
---@class ringlua.agg
local agg = {}

---An aggregation: count, sum, min, max, avg (add) or a histogram (record).
---@class ringlua.Agg
---@field name string its name, "@name"
local Agg = {}

---Counts the key (by n, default 1); for sum, min, max and avg: adds the value v.
---@param key any
---@param v number?
function Agg:add(key, v) end

---Histograms: counts v in its bucket (under key, if given).
---@param v number
---@param key any?
function Agg:record(v, key) end

---The interned tuple of up to four parts, as a key.
---@param a any
---@param b any?
---@param c any?
---@param d any?
---@return table
function Agg:key(a, b, c, d) end

---Forgets every entry.
function Agg:clear() end

---The entries as text, as print writes them; "" when there are none.
---@param top integer?
---@return string
function Agg:format(top) end

---Writes the entries to out (io.stdout by default), biggest last.
---@param out file*?
---@param top integer?
function Agg:print(out, top) end

---Writes the entries in the folded format of flame graph tools.
---@param out file*?
function Agg:folded(out) end

---Writes the entries as one self-contained SVG flame graph (stack keys).
---@param out file*?
---@param opts { title: string?, width: integer? }?
function Agg:svg(out, opts) end

---The biggest n entries, biggest first, as { {key = k, value = v}, ... }.
---@param n integer?
---@return {key: any, value: number}[]
function Agg:top(n) end

---Updates of a new key the aggregation had no room for (max_entries).
---@return integer
function Agg:dropped() end

---The value under key (a histogram's: how many values it recorded).
---@param key any
---@return number?
function Agg:get(key) end

---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.count(name, opts) end

---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.sum(name, opts) end

---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.min(name, opts) end

---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.max(name, opts) end

---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.avg(name, opts) end

---A log2 histogram: h:record(v [, key]).
---@param name string?
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.hist(name, opts) end

---A linear histogram: steps of `step` from min to max.
---@param name string?
---@param min integer
---@param max integer
---@param step integer
---@param opts ringlua.agg.options?
---@return ringlua.Agg
function agg.lhist(name, min, max, step, opts) end

---Prints every aggregation that has entries, in the order they were made.
---@param out file*?
function agg.print_all(out) end

---Calls fn(a) for every aggregation, in the order they were made.
---@param fn fun(a: ringlua.Agg)
function agg.each(fn) end

---Clears every aggregation.
function agg.clear_all() end

---The key of a kernel stack (ips and n as ringlua.stacks gives them).
---@param ips ffi.cdata*?
---@param n integer
---@return ringlua.agg.stack
function agg.kstack(ips, n) end

---The key of a user stack of process pid; cut: why it was cut short, as ringlua.stacks
---says (its fifth value), or false; without it a frame-pointer walk's end is looked at.
---@param pid integer
---@param ips ffi.cdata*?
---@param n integer
---@param cut string|false|nil
---@return ringlua.agg.stack
function agg.ustack(pid, ips, n, cut) end

---ringlua.names: `local names = require("ringlua.names") ---@type ringlua.names`.
---@class ringlua.names
local names = {}

---The name of system call nr on this architecture ("execve"), or nil.
---@param nr integer
---@return string?
function names.syscall_name(nr) end

---The number of the system call called name, or nil.
---@param name string
---@return integer?
function names.syscall_number(name) end

---The name of an error number ("ENOENT"), negative or not.
---@param err integer
---@return string?
function names.errno_name(err) end

---The name of a signal ("SIGKILL").
---@param sig integer
---@return string?
function names.signal_name(sig) end

---An IPv4 or IPv6 address as text.
---@param addr ffi.cdata*|string|integer
---@param len integer?
---@return string
function names.inet(addr, len) end

---A port read from a field in network byte order, as a number.
---@param nport integer
---@return integer
function names.port(nport) end

---Uses the kernel symbols of path from now on. Returns true, or nil and why.
---@param path string
---@return true?
---@return string? err
function names.use_kallsyms(path) end

---The kernel symbol an address falls in, as "symbol+0xoffset", or nil.
---@param addr integer|ffi.cdata*
---@return string?
function names.ksym(addr) end

---Reads process pid's mappings now, so that its addresses resolve after it exits.
---@param pid integer
---@return true?
---@return string? err
function names.note_pid(pid) end

---C++ names as their files have them (raw true), or demangled (the default).
---@param raw boolean
function names.raw_names(raw) end

---The name of the user-space address addr in process pid ("malloc+0x1a").
---@param pid integer
---@param addr integer|ffi.cdata*
---@return string
function names.usym(pid, addr) end

---The frames of a user stack a record copied (--stacks dwarf), unwound: innermost
---first, valid until the next call; their count; whether the walk was cut short.
---@param ustack ffi.cdata*
---@param len integer
---@return ffi.cdata*? ips
---@return integer n
---@return boolean cut
function names.unwind(ustack, len) end

---What the symbolizer holds and has done, as a table of numbers.
---@return table<string, integer>
function names.sym_stats() end

---The wall-clock time of a monotonic timestamp, in seconds since the epoch.
---@param ts_ns integer|ffi.cdata*
---@return number
function names.wall_time(ts_ns) end

---CLOCK_MONOTONIC now, in nanoseconds: the clock of the events' ts_ns.
---@return integer
function names.now_ns() end

---The local time of day of a monotonic timestamp, as "HH:MM:SS".
---@param ts_ns integer|ffi.cdata*
---@return string
function names.hms(ts_ns) end

return ringlua
