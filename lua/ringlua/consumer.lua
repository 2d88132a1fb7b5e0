-- BPF ring buffers consumed from any LuaJIT program (OpenResty, a daemon of yours) through
-- libringlua, in the same zero-copy batches as the ringlua binary:
--   local consumer = require("ringlua.consumer")
--   local c = assert(consumer.open("/sys/fs/bpf/events", function(ptr, len) ... end))
--   while running do assert(c:poll(1000)) end
--   c:close()
-- fn(ptr, len) sees each record in place, valid only until fn returns: what must outlive
-- it is copied (open_decoding does that for each record). Failures are `nil, err`.
-- One C call hands out a batch (rl_consumer_peek) and one releases it (advance): the
-- loop over the batch runs in Lua, so no C-to-Lua callback is ever made.
-- The library: $RINGLUA_LIB if set; else ring/ beside the generated lua/ of a build
-- tree; else the install directory; else the system's library path.
local ffi = require("ffi")
local ringlua = require("ringlua")
local decls = require("ringlua.consumer_cdef")

local ffi_string, ffi_copy, ffi_gc = ffi.string, ffi.copy, ffi.gc
local ffi_typeof, ffi_sizeof = ffi.typeof, ffi.sizeof
local type, tostring, pcall, error, setmetatable = type, tostring, pcall, error, setmetatable
local floor, format = math.floor, string.format

local function complete(ctype)
  local ok, size = pcall(ffi_sizeof, ctype)
  return ok and size ~= nil
end

-- struct rl_rec is shared with the host of a ringlua state, which may have declared it.
ringlua.cdef_once("struct rl_rec", require("ringlua.rec_cdef"))
if not complete("struct rl_consumer_opts") then ffi.cdef(decls.cdef) end
ringlua.declare_once("strerror", "char *strerror(int errnum);")
local C = ffi.C

local consumer_out_t = ffi_typeof("struct rl_consumer *[1]")
local recs_out_t = ffi_typeof("const struct rl_rec *[1]")
local batch_t = ffi_typeof("struct rl_rec[?]")
local opts_t = ffi_typeof("struct rl_consumer_opts")

-- Records per batch by default, as the ringlua binary takes them.
local DEFAULT_BATCH = 1024
-- Bounds of the options: a batch array of at most 16 MB, a latency that fits a uint32_t.
local MAX_BATCH = 1024 * 1024
local MAX_LATENCY_US = 0xffffffff
local INT_MAX = 0x7fffffff
local ENOENT, EINVAL, EBADMSG = 2, 22, 74

local _M = {}

local function strerror(err)
  return ffi_string(C.strerror(-err))
end

--------------------------------------------------------------------------------------------
-- The library, loaded at the first open.
local lib, lib_err

local function library_candidates()
  local override = os.getenv("RINGLUA_LIB")
  if override and override ~= "" then return { override } end
  local list = {}
  local generated = package.searchpath("ringlua.consumer_cdef", package.path)
  local lua_dir = generated and generated:match("(.*)/lua/ringlua/[^/]*$")
  if lua_dir then list[#list + 1] = lua_dir .. "/ring/" .. decls.library end
  list[#list + 1] = decls.libdir .. "/" .. decls.library
  list[#list + 1] = decls.library
  return list
end

local function library()
  if lib or lib_err then return lib, lib_err end
  local tried = {}
  for _, path in ipairs(library_candidates()) do
    local ok, loaded = pcall(ffi.load, path)
    if ok then
      lib = loaded
      return lib
    end
    tried[#tried + 1] = tostring(loaded)
  end
  lib_err = "cannot load libringlua (set RINGLUA_LIB to its path): "
            .. table.concat(tried, "; ")
  return nil, lib_err
end

--------------------------------------------------------------------------------------------
-- Arguments.

local function whole(x, low, high)
  return type(x) == "number" and x == floor(x) and x >= low and x <= high
end

-- The batch size and latency of opts, or nil, err.
local function parse_opts(opts)
  if opts == nil then return DEFAULT_BATCH, 0 end
  if type(opts) ~= "table" then return nil, "opts must be a table, got " .. type(opts) end
  local batch, latency = opts.batch or DEFAULT_BATCH, opts.latency_us or 0
  if not whole(batch, 1, MAX_BATCH) then
    return nil, format("opts.batch must be a whole number from 1 to %d", MAX_BATCH)
  end
  if not whole(latency, 0, MAX_LATENCY_US) then
    return nil, "opts.latency_us must be a whole number of microseconds, 0 or more"
  end
  return batch, latency
end

local function add_error(map, err)
  if type(map) == "string" then
    if err == -ENOENT then return "no BPF object is pinned at " .. map end
    if err == -EINVAL then return map .. " is not a BPF ring buffer" end
    return "cannot open the ring pinned at " .. map .. ": " .. strerror(err)
  end
  if err == -EINVAL then return "fd " .. map .. " is not a BPF ring buffer" end
  return "cannot map the ring of fd " .. map .. ": " .. strerror(err)
end

--------------------------------------------------------------------------------------------
-- A consumer: one ring, its batch array, and the function its records go to.
local Consumer = {}
Consumer.__index = Consumer

-- Calls fn on records 0..n-1; `at` tells, after an error, which record raised it.
-- Returns how many records were handled: fewer than n when fn closed the consumer.
local function deliver(self, recs, n)
  local fn = self.fn
  for i = 0, n - 1 do
    self.at = i
    local r = recs[i]
    fn(r.data, r.len)
    if self.closing then return i + 1 end
  end
  return n
end

-- Waits up to ms milliseconds (0: not at all, -1: until records arrive) for records,
-- calls fn(ptr, len) on each record of one batch, in order, and releases them. Returns
-- the number of records handled (0 on timeout or when a signal arrived), or nil, err:
-- for a corrupt ring, or when fn raised an error (the records up to the one that raised
-- count as handled; the rest of the batch stays in the ring for the next poll).
function Consumer:poll(ms)
  local c = self.c
  if not c then return nil, "poll: the consumer is closed" end
  if self.polling then return nil, "poll: called from inside its own fn" end
  if not whole(ms, -1, INT_MAX) then
    return nil, "poll: ms must be -1 (wait), 0 (do not wait) or a whole number of milliseconds"
  end
  local n = lib.rl_consumer_peek(c, ms, self.recs)
  if n <= 0 then
    if n == 0 then return 0 end
    return nil, n == -EBADMSG and "corrupt record header in the ring buffer"
                or "poll: " .. strerror(n)
  end
  self.polling = true
  local ok, handled = pcall(deliver, self, self.recs[0], n)
  self.polling = false
  lib.rl_consumer_advance(c, ok and handled or self.at + 1)
  if self.closing then self:close() end
  if not ok then return nil, "fn: " .. tostring(handled) end
  return handled
end

-- Unmaps the ring and releases the consumer; the fd given to open stays the caller's.
-- Closing again does nothing; called from fn, it takes effect when fn returns.
function Consumer:close()
  if self.polling then
    self.closing = true
    return
  end
  local c = self.c
  if c then
    self.c = nil
    ffi_gc(c, nil)
    lib.rl_consumer_close(c)
  end
end

-- open(map, fn [, opts]): a consumer of the ring map, a path pinned on bpffs or a map
-- fd (kept open by the caller while the consumer lives). opts.batch: records per batch
-- (1024); opts.latency_us: after a partial batch, how long the next poll waits for more
-- records (0: hand each over at once). Returns the consumer, or nil, err.
function _M.open(map, fn, opts)
  if type(map) ~= "string" and not whole(map, 0, INT_MAX) then
    return nil, "open: map must be a pin path or a map fd, got " .. tostring(map)
  end
  if type(fn) ~= "function" then
    return nil, "open: fn must be a function, got " .. type(fn)
  end
  local batch, latency = parse_opts(opts)
  if not batch then return nil, "open: " .. latency end
  local loaded, err = library()
  if not loaded then return nil, err end

  local self = setmetatable({ fn = fn, batch = batch_t(batch), recs = recs_out_t(), at = 0,
                              polling = false, closing = false }, Consumer)
  local out = consumer_out_t()
  local rc = lib.rl_consumer_open(out, opts_t({ batch = self.batch, batch_cap = batch,
                                                latency_us = latency }))
  if rc < 0 then return nil, "cannot open a consumer: " .. strerror(rc) end
  self.c = ffi_gc(out[0], lib.rl_consumer_close)
  if type(map) == "string" then
    rc = lib.rl_consumer_add_pinned(self.c, map, nil, nil)
  else
    rc = lib.rl_consumer_add_map(self.c, map, nil, nil)
  end
  if rc < 0 then
    self:close()
    return nil, add_error(map, rc)
  end
  return self
end

-- A decoder that copies each record into a new value of ctype (a struct, by name or
-- ctype): the value is Lua's, nothing in it points into the ring.
local function copying_decoder(ctype)
  local ok, t = pcall(ffi_typeof, ctype)
  if not ok then return nil, "unknown C type " .. tostring(ctype) .. ": " .. tostring(t) end
  local size = ffi_sizeof(t)
  if tostring(t):find("[*&]%s*>$") or not size or size == 0 then
    return nil, tostring(t) .. " is not a type of fixed size to copy records into"
  end
  return function(ptr, len)
    if len < size then
      error(format("a record of %d bytes is shorter than %s (%d bytes)", len, tostring(t),
                   size), 0)
    end
    local v = t()
    ffi_copy(v, ptr, size)
    return v
  end
end

-- open_decoding(map, decoder, fn [, opts]): like open, but fn(value) gets each record
-- decoded into a plain value it may keep: decoder(ptr, len) returns it (and must not
-- return anything that points into the ring), or decoder is a struct ctype (or its
-- name) that each record is copied into.
function _M.open_decoding(map, decoder, fn, opts)
  if type(decoder) ~= "function" then
    local err
    decoder, err = copying_decoder(decoder)
    if not decoder then return nil, "open_decoding: " .. err end
  end
  if type(fn) ~= "function" then
    return nil, "open_decoding: fn must be a function, got " .. type(fn)
  end
  return _M.open(map, function(ptr, len) fn(decoder(ptr, len)) end, opts)
end

local function finish(c, ok, ...)
  c:close()
  if not ok then error((...), 0) end
  return ...
end

-- with(map, fn, body [, opts]): opens a consumer, calls body(c) and closes it, also when
-- body raises an error (which is raised again). Returns what body returns, or nil, err
-- when the consumer cannot be opened.
function _M.with(map, fn, body, opts)
  if type(body) ~= "function" then
    return nil, "with: body must be a function, got " .. type(body)
  end
  local c, err = _M.open(map, fn, opts)
  if not c then return nil, err end
  return finish(c, pcall(body, c))
end

return _M
