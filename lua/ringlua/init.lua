-- The module scripts use: `local ringlua = require("ringlua")`.
-- Event types of the built-in sources, and helpers for records that live in the ring.
local ffi = require("ffi")
local bit = require("bit")

local ffi_string = ffi.string
local ffi_cast = ffi.cast
local ffi_sizeof = ffi.sizeof

ffi.cdef[[
typedef uint8_t __u8;   typedef int8_t __s8;
typedef uint16_t __u16; typedef int16_t __s16;
typedef uint32_t __u32; typedef int32_t __s32;
typedef uint64_t __u64; typedef int64_t __s64;
size_t strnlen(const char *s, size_t maxlen);
]]
local C = ffi.C

local _M = {
  -- types[name]: pointer ctype of each built-in source's event, ready for ffi.cast
  types = {},
  -- the source feeding this script, and its event pointer type (set before on_init)
  source = nil,
  event_type = nil,
  -- the map names of the rings, in ring order (a built-in source's is "events")
  rings = { "events" },
  -- plain data carried from one version of the script to the next on a reload
  state = {},
  -- how many reloads came before this version of the script
  reloads = 0,
  -- the C type (as text) of each source's or ring's records, by name
  _record_ctypes = {},
}

-- Declares ctype with cdef unless it is already complete: a struct cannot be declared
-- twice in one state, and modules may be loaded again (specs do).
function _M.cdef_once(ctype, cdef)
  local ok, size = pcall(ffi_sizeof, ctype)
  if not (ok and size) then ffi.cdef(cdef) end
end

-- Declares the C function name with decl unless an earlier module already did (a second
-- declaration of the same function is an error in one state).
function _M.declare_once(name, decl)
  if not pcall(function() return C[name] end) then ffi.cdef(decl) end
end

-- The trailer of records that carry stacks (src/kernel/bpf/stacks.h).
_M.cdef_once("struct rl_stacks", require("ringlua.stacks_cdef"))
local stacks_t = ffi.typeof("const struct rl_stacks *")
local u8p_t = ffi.typeof("const uint8_t *")

-- Each source's event size: where the stacks trailer starts.
local event_sizes, event_size = {}, nil

-- Declares a source's event type; called by the host before the script runs.
function _M._declare(name, ctype, cdef)
  _M.cdef_once(ctype, cdef)
  _M.types[name] = ffi.typeof("const " .. ctype .. " *")
  _M._record_ctypes[name] = ctype
  event_sizes[name] = ffi_sizeof(ctype)
end

-- Tracepoint probes share one ring; each record's header (struct tp_header) says which
-- probe it is, by index in ringlua.rings (from 0).
local probe_types, probe_names, probe_sizes = {}, {}, {}
local header_t, header_size

-- Records which source feeds the script; called by the host before on_init.
function _M._use_source(name)
  _M.source = name
  -- One probe, however it was named (tp:, a wildcard that matched one), or one ring of
  -- a user's object or a pin: its type.
  local only_ring = #_M.rings == 1 and _M.rings[1] or nil
  _M.event_type = _M.types[name] or (header_t and probe_names[1] == nil and probe_types[0])
                  or (only_ring and _M.types[only_ring]) or nil
  -- Stacks follow only the records of sources that capture them, never a user's ring.
  event_size = event_sizes[name]
end

-- The stacks a record of the active source carries (--stacks, or the script's
-- `stacks`): kernel frames, their count, user frames, their count, and why the user
-- stack was cut short (false: it was not): "the walk repeated this frame" (a
-- frame-pointer walk that did not move, its repeats dropped) or "unwinding stopped
-- here"; the frames are const uint64_t * innermost first, into the record, valid
-- during on_event only. A user stack copied for the unwinder (--stacks
-- dwarf) is unwound here, into a buffer of ringlua.names, valid until the next call.
-- A record without stacks, or whose frames would run past its len bytes, gives
-- nil, 0, nil, 0.
local STACKS_HEADER = ffi.offsetof("struct rl_stacks", "ip")
local RL_STACKS_USTACK = 1
local names

-- The kernel walks a user stack by its frame pointers; in code that keeps none (a JIT's)
-- a frame can point at itself, and the walk repeats one frame to the kernel's limit. A
-- complete stack ends in _start or clone, called once: a run of STUCK_WALK_RUN or more
-- of one frame at its outermost end is such a walk (or a recursion cut at the limit). It
-- is kept as one frame. Returns the frames kept, and why the stack was cut (false: it
-- was not).
local STUCK_WALK_RUN = 3
local WALK_REPEATED = "the walk repeated this frame"
local UNWIND_STOPPED = "unwinding stopped here"
function _M._ustack_end(ips, n)
  if n < STUCK_WALK_RUN then return n, false end
  local last = n - 1
  local k = last
  while k > 0 and ips[k - 1] == ips[last] do k = k - 1 end
  if last - k + 1 < STUCK_WALK_RUN then return n, false end
  return k + 1, WALK_REPEATED
end
local ustack_end = _M._ustack_end
function _M.stacks(ptr, len)
  local size
  if header_t then
    size = len >= header_size and probe_sizes[ffi_cast(header_t, ptr).probe]
  else
    size = event_size
  end
  if not size or len < size + STACKS_HEADER then return nil, 0, nil, 0 end
  local s = ffi_cast(stacks_t, ffi_cast(u8p_t, ptr) + size)
  local nk, nu = s.nr_kernel, s.nr_user
  if (nk + nu) * 8 > len - size - STACKS_HEADER then return nil, 0, nil, 0 end
  if bit.band(s.flags, RL_STACKS_USTACK) ~= 0 then
    local at = size + STACKS_HEADER + nk * 8
    names = names or require("ringlua.names")
    local u, n, cut = names.unwind(ffi_cast(u8p_t, ptr) + at, len - at)
    return s.ip, nk, u, n, cut and UNWIND_STOPPED
  end
  local u, cut = s.ip + nk, false
  nu, cut = ustack_end(u, nu)
  return s.ip, nk, u, nu, cut
end

-- The event at ptr as the active source's type.
function _M.cast(ptr)
  return ffi_cast(_M.event_type, ptr)
end

-- The event at ptr as its probe's type.
local function cast_probe(ptr)
  return ffi_cast(probe_types[ffi_cast(header_t, ptr).probe], ptr)
end

-- Declares that records name their probe; called by the host once the probes' types
-- are declared. rings: {name=} in ring order.
function _M._tag(rings)
  header_t = ffi.typeof("const struct tp_header *")
  header_size = ffi_sizeof("struct tp_header")
  _M._header_type, _M._header_size = header_t, header_size
  for i, r in ipairs(rings) do
    probe_types[i - 1] = _M.types[r.name]
    probe_names[i - 1] = r.name
    -- A probe's stacks follow its record from the next 8-byte boundary.
    probe_sizes[i - 1] = r.ctype and bit.band(ffi_sizeof(r.ctype) + 7, -8) or nil
  end
  _M.cast = cast_probe
end

-- A Lua pattern for a probe glob ("tracepoint:syscalls:sys_enter_*"): how handler keys
-- and a program's probes match the probes' names.
function _M._glob_pattern(glob)
  local escaped = glob:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0")
  return "^" .. escaped:gsub("%*", ".*"):gsub("%?", ".") .. "$"
end

-- The name of the probe the event at ptr came from ("tracepoint:sched:sched_switch");
-- nil when records do not say (a built-in source, a user's object), or when the record
-- (len bytes, else the handled record's length when ptr is it) is shorter than the
-- header that would say.
function _M.probe(ptr, len)
  len = len or _M._handled_len(ptr)
  if header_t and (not len or len >= header_size) then
    return probe_names[ffi_cast(header_t, ptr).probe]
  end
  return nil
end

-- A copy of the record as a Lua string: a record is valid only during on_event, and
-- this is how to keep one beyond it.
function _M.copy(ptr, len)
  return ffi_string(ptr, len)
end

-- The decoding path (lua/ringlua/decode.lua), loaded on first use: it requires this
-- module, so it cannot be required at load.
local decoding
local function decoding_module()
  decoding = decoding or require("ringlua.decode")
  return decoding
end
-- Both take (ptr [, len] [, map]): every argument goes through, or a map given after a
-- length would be dropped and the record decoded as the first ring's.
function _M.decode(ptr, a, b) return (decoding or decoding_module()).decode(ptr, a, b) end
function _M.json(ptr, a, b) return (decoding or decoding_module()).json(ptr, a, b) end

-- ringlua.emit(line or table): one line out, a table as a JSON object. With --output it
-- goes to the bus (the host's emit function, called through the FFI), else to stdout.
local io_write, type = io.write, type
local shared
function _M._emit_to(dispatch) shared = dispatch end

-- The length of the record at ptr when it is the record being handled (the pointer its
-- handler got), else nil: what the decoders go by when no length is given.
function _M._handled_len(ptr)
  if shared == nil or shared.batch == nil then return nil end
  local r = shared.batch[shared.cursor]
  if r.data == ptr then return r.len end
  return nil
end
-- ringlua.stop(): the run ends as after a SIGINT, once the handler returns: no further
-- record is handed out, then on_exit, the summary, exit status 0 (os.exit skips on_exit).
-- 2 in exit_requested says so to the host (1 is os.exit's).
function _M.stop()
  if shared ~= nil and shared.exit_requested == 0 then shared.exit_requested = 2 end
end

function _M.emit(v)
  if type(v) ~= "string" then v = (decoding or decoding_module()).encode(v) end
  if shared ~= nil and shared.emit ~= nil then
    shared.emit(shared.emit_ctx, v, #v)
  else
    io_write(v, "\n")
  end
end

-- A char array as a string, up to its first NUL and never past its end.
function _M.str(chars, max)
  max = max or ffi_sizeof(chars)
  return ffi_string(chars, C.strnlen(chars, max))
end

return _M
