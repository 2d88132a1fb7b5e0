-- ringlua.globals and ringlua.maps: what a script reaches of the user's BPF object
-- besides its rings. Globals (.rodata, .data, .bss) are read and written in place,
-- through libbpf's mmap of their maps: no system call, and a filter changes without a
-- reload. Hash, LRU hash, array and per-CPU maps go through libbpf's bpf_map_* calls on
-- their fds. The C host describes both, typed from BTF (src/kernel/bpf_bind.c), and
-- the object's cdef declares the types they name.
local ffi = require("ffi")
local ringlua = require("ringlua")

local ffi_new, ffi_cast, ffi_copy, ffi_fill, ffi_istype, ffi_sizeof =
  ffi.new, ffi.cast, ffi.copy, ffi.fill, ffi.istype, ffi.sizeof
local tonumber, type, error = tonumber, type, error

-- libbpf's calls: each returns 0 or -errno.
ringlua.cdef_once("struct rl_bpf_map_api", [[
struct rl_bpf_map_api { int unused; };
int bpf_map_lookup_elem(int fd, const void *key, void *value);
int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags);
int bpf_map_delete_elem(int fd, const void *key);
int bpf_map_get_next_key(int fd, const void *key, void *next_key);
int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
                         uint32_t *count, const void *opts);
char *strerror(int errnum);
]])
local C = ffi.C

local _M = {}

local ENOENT = 2
local BATCH = 256                      -- entries per batch lookup
local MAX_EXACT = 2 ^ 53
local i64_t, u64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
local bytes_t = ffi.typeof("uint8_t[?]")
local u32_box_t = ffi.typeof("uint32_t[1]")

local function errno_text(rc)
  return ffi.string(C.strerror(-rc))
end

-- The C type of a pointer to ctype: "int *", "char (*)[16]" (types are named by their
-- C text, as the host names the rings' record types).
local function pointer_to(ctype)
  local base, dims = ctype:match("^(.-)%s*(%[[%d%]%[]*%])$")
  if base then return base .. " (*)" .. dims end
  return ctype .. " *"
end

-- What is known of a C type to move values in and out of memory of that type.
local function describe(ctype)
  local ptr_t = ffi.typeof(pointer_to(ctype))
  local size = ffi_sizeof(ctype)
  local probe = ffi_cast(ptr_t, ffi_new(bytes_t, size))[0]
  local kind = type(probe)
  if kind == "cdata" and (ffi_istype(i64_t, probe) or ffi_istype(u64_t, probe)) then
    kind = "int64"
  elseif kind == "cdata" and tostring(ffi.typeof(ctype)):match("^ctype<enum ") then
    kind = "enum"
  end
  return {
    ct = ffi.typeof(ctype),
    ptr_t = ptr_t,
    size = size,
    kind = kind,                        -- "number", "boolean", "int64", "enum" or "cdata"
    text = kind == "cdata" and ctype:match("^char%s*%[%d+%]$") ~= nil,
  }
end

-- The value at p (a pointer of d.ptr_t): a Lua number or boolean for scalars (64-bit
-- integers past 2^53 stay cdata), a string for a char array, else a copy, or with
-- live, the memory itself.
local function load(d, p, live)
  local v = p[0]
  if d.kind == "int64" then
    local n = tonumber(v)
    return (n < MAX_EXACT and n > -MAX_EXACT) and n or v
  elseif d.kind == "enum" then
    return tonumber(v)
  elseif d.kind ~= "cdata" then
    return v
  elseif d.text then
    return ringlua.str(v, d.size)
  elseif live then
    return v
  end
  local copy = ffi_new(d.ct)
  ffi_copy(copy, p, d.size)
  return copy
end

-- Stores v at p: a number or boolean in a scalar (range checked: a value that does not
-- survive the store is refused and the old one kept), a string in a char array (with
-- room for its NUL), a cdata of the type or a table of its fields in anything else.
-- Returns true, or nil and why.
local function store(d, p, v)
  local t = type(v)
  if d.kind == "number" or d.kind == "int64" then
    if t ~= "number" and not (t == "cdata" and (ffi_istype(i64_t, v) or ffi_istype(u64_t, v))) then
      return nil, "expected a number, got " .. t
    end
    local old = p[0]
    p[0] = v
    if p[0] ~= v and tonumber(p[0]) ~= tonumber(v) then
      p[0] = old
      return nil, "does not fit in " .. tostring(d.ct):match("<(.*)>")
    end
    return true
  elseif d.kind == "enum" then
    -- by number or enumerator name, as ffi takes them
    if t ~= "number" and t ~= "string" then return nil, "expected a number or an enumerator name, got " .. t end
    local ok = pcall(function() p[0] = v end)
    if not ok then return nil, "no enumerator " .. tostring(v) .. " in " .. tostring(d.ct):match("<(.*)>") end
    return true
  elseif d.kind == "boolean" then
    if t ~= "boolean" then return nil, "expected a boolean, got " .. t end
    p[0] = v
    return true
  elseif d.text and t == "string" then
    if #v >= d.size then return nil, "a string of at most " .. (d.size - 1) .. " characters" end
    ffi_fill(p, d.size)
    ffi_copy(p, v, #v)
    return true
  elseif t == "table" or t == "cdata" then
    local ok, value = pcall(ffi_new, d.ct, v)
    if not ok then return nil, value end
    ffi_copy(p, value, d.size)
    return true
  end
  return nil, "cannot store a " .. t .. " in " .. tostring(d.ct)
end
_M._load, _M._store, _M._describe = load, store, describe

-- ringlua.globals: globals by name, read and written in place.
local function make_globals(list)
  local by_name = {}
  for _, g in ipairs(list) do
    local d = describe(g.ctype)
    d.p = ffi_cast(d.ptr_t, g.addr)
    d.writable = g.writable
    d.section = g.section
    by_name[g.name] = d
  end
  local function find(name)
    local d = by_name[name]
    if not d then error("ringlua.globals." .. tostring(name) .. ": the BPF object has no such global", 3) end
    return d
  end
  return setmetatable({}, {
    -- .rodata is mapped read-only: its aggregates are handed out as copies.
    __index = function(_, name)
      local d = find(name)
      return load(d, d.p, d.writable)
    end,
    __newindex = function(_, name, v)
      local d = find(name)
      if not d.writable then
        error("ringlua.globals." .. name .. " is const volatile (" .. d.section ..
              "): it is set before load, with --set or the script's globals", 2)
      end
      local ok, why = store(d, d.p, v)
      if not ok then error("ringlua.globals." .. name .. ": " .. why, 2) end
    end,
  })
end

local Map = {}
Map.__index = Map

-- Puts key into the map's key buffer; returns it, or nil and why.
function Map:_key(key, buf)
  buf = buf or self.kbuf
  if type(key) == "string" and self.key.kind == "cdata" and not self.key.text then
    ffi_fill(buf, self.key.size)
    ffi_copy(buf, key, math.min(#key, self.key.size))
    return buf
  end
  local ok, why = store(self.key, ffi_cast(self.key.ptr_t, buf), key)
  if not ok then return nil, self.name .. ": bad key: " .. why end
  return buf
end

-- The value in vbuf: for a per-CPU map, the list of every CPU's (or with sum, their
-- sum).
function Map:_value(vbuf, sum)
  local d = self.value
  if not self.percpu then return load(d, ffi_cast(d.ptr_t, vbuf)) end
  local list, total = {}, 0
  for cpu = 0, self.ncpus - 1 do
    local v = load(d, ffi_cast(d.ptr_t, vbuf + cpu * self.stride))
    if sum then
      if type(v) ~= "number" then error(self.name .. ": per-CPU values of " .. tostring(d.ct) .. " cannot be summed", 3) end
      total = total + v
    else
      list[cpu + 1] = v
    end
  end
  return sum and total or list
end

-- m:get(key): the value, nil when the key is not there; for a per-CPU map a list of
-- the CPUs' values (m:sum(key): their sum).
function Map:get(key)
  local k, why = self:_key(key)
  if not k then error(why, 2) end
  local rc = C.bpf_map_lookup_elem(self.fd, k, self.vbuf)
  if rc == -ENOENT then return nil end
  if rc ~= 0 then error(self.name .. ": lookup failed: " .. errno_text(rc), 2) end
  return self:_value(self.vbuf)
end

function Map:sum(key)
  local k, why = self:_key(key)
  if not k then error(why, 2) end
  local rc = C.bpf_map_lookup_elem(self.fd, k, self.vbuf)
  if rc == -ENOENT then return nil end
  if rc ~= 0 then error(self.name .. ": lookup failed: " .. errno_text(rc), 2) end
  return self:_value(self.vbuf, true)
end

-- m:set(key, value): for a per-CPU map value is a list (one per CPU) or one value for
-- every CPU. Returns true, or nil and why (a full map, a value that does not fit).
function Map:set(key, value)
  local k, why = self:_key(key)
  if not k then return nil, why end
  local d = self.value
  ffi_fill(self.vbuf, self.vsize)
  for cpu = 0, (self.percpu and self.ncpus or 1) - 1 do
    local v = value
    if self.percpu and type(value) == "table" and value[1] ~= nil then v = value[cpu + 1] end
    if v ~= nil then
      local ok, err = store(d, ffi_cast(d.ptr_t, self.vbuf + cpu * self.stride), v)
      if not ok then return nil, self.name .. ": bad value: " .. err end
    end
  end
  local rc = C.bpf_map_update_elem(self.fd, k, self.vbuf, 0)
  if rc ~= 0 then return nil, self.name .. ": update failed: " .. errno_text(rc) end
  return true
end

-- m:delete(key): true, or nil and why ("no such key"; arrays cannot delete).
function Map:delete(key)
  local k, why = self:_key(key)
  if not k then return nil, why end
  local rc = C.bpf_map_delete_elem(self.fd, k)
  if rc ~= 0 then return nil, self.name .. ": " .. (rc == -ENOENT and "no such key" or errno_text(rc)) end
  return true
end

-- Every entry as two lists (keys and raw values), read in batches where the kernel
-- has them, else key by key.
function Map:_snapshot()
  local keys, values = {}, {}
  local ksize, vsize = self.key.size, self.vsize
  local kb, vb = ffi_new(bytes_t, ksize * BATCH), ffi_new(bytes_t, vsize * BATCH)
  local token_in, token_out = ffi_new(bytes_t, math.max(ksize, 8)), ffi_new(bytes_t, math.max(ksize, 8))
  local count = ffi_new(u32_box_t)
  local first = true
  if not self.no_batch then
    while true do
      count[0] = BATCH
      local rc = C.bpf_map_lookup_batch(self.fd, (not first) and token_in or nil, token_out,
                                        kb, vb, count, nil)
      if rc ~= 0 and rc ~= -ENOENT then
        if first then self.no_batch = true break end
        error(self.name .. ": batch lookup failed: " .. errno_text(rc), 3)
      end
      for i = 0, count[0] - 1 do
        keys[#keys + 1] = ffi.string(kb + i * ksize, ksize)
        values[#values + 1] = ffi.string(vb + i * vsize, vsize)
      end
      if rc == -ENOENT then return keys, values end
      ffi_copy(token_in, token_out, math.max(ksize, 8))
      first = false
    end
  end
  local cur, nxt = ffi_new(bytes_t, ksize), ffi_new(bytes_t, ksize)
  local rc = C.bpf_map_get_next_key(self.fd, nil, nxt)
  while rc == 0 do
    if C.bpf_map_lookup_elem(self.fd, nxt, self.vbuf) == 0 then
      keys[#keys + 1] = ffi.string(nxt, ksize)
      values[#values + 1] = ffi.string(self.vbuf, vsize)
    end
    ffi_copy(cur, nxt, ksize)
    rc = C.bpf_map_get_next_key(self.fd, cur, nxt)
  end
  return keys, values
end

-- for key, value in m:pairs() do ... end: every entry as it was when the walk began
-- (per-CPU values as lists; m:sums() gives their sums).
local function walk(self, sum)
  local keys, values = self:_snapshot()
  local i = 0
  local kbuf, vbuf = ffi_new(bytes_t, self.key.size), ffi_new(bytes_t, self.vsize)
  return function()
    i = i + 1
    if not keys[i] then return nil end
    ffi_copy(kbuf, keys[i], self.key.size)
    ffi_copy(vbuf, values[i], self.vsize)
    return load(self.key, ffi_cast(self.key.ptr_t, kbuf)), self:_value(vbuf, sum)
  end
end
function Map:pairs() return walk(self, false) end
function Map:sums() return walk(self, true) end

local function make_map(m, ncpus)
  local self = setmetatable({
    name = "ringlua.maps." .. m.name, fd = m.fd, kind = m.kind, max_entries = m.max_entries,
    key = describe(m.key), value = describe(m.value),
    percpu = m.kind:find("percpu") ~= nil, ncpus = ncpus,
  }, Map)
  -- A per-CPU value comes as one slot per possible CPU, each rounded up to 8 bytes.
  self.stride = self.percpu and math.ceil(self.value.size / 8) * 8 or self.value.size
  self.vsize = self.stride * (self.percpu and ncpus or 1)
  self.kbuf = ffi_new(bytes_t, self.key.size)
  self.vbuf = ffi_new(bytes_t, self.vsize)
  return self
end

-- A map of a bindings description as ringlua.maps has them (ringlua.agg's kernel
-- aggregations read theirs so).
_M._map = make_map

-- Called by the C host before on_init with the Lua source of rl_bpf_bindings.
function _M._install(source)
  local desc = assert(loadstring(source, "=bindings"))()
  ringlua.globals = make_globals(desc.globals)
  local maps = {}
  for _, m in ipairs(desc.maps) do maps[m.name] = make_map(m, desc.ncpus) end
  ringlua.maps = setmetatable(maps, {
    __index = function(_, name) error("ringlua.maps." .. tostring(name) .. ": the BPF object has no hash, array or per-CPU map so named", 2) end,
  })
end

return _M
