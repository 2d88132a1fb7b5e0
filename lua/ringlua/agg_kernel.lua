-- Kernel aggregations: ringlua.agg's aggregations made with { kernel = true, key = {...},
-- value = "field" }, kept by the built-in BPF program in a map (src/kernel/bpf/kagg.h)
-- from the fields of each record, and read back into the aggregation's entries, so that
-- print, format, top, get and --metrics work on them as on the others. Loaded by
-- ringlua.agg; the host installs the specs before on_init and syncs the entries before
-- on_tick, on_exit and each --metrics rendering.
local ffi = require("ffi")
local ringlua = require("ringlua")
local object = require("ringlua.object")

ringlua.cdef_once("struct kagg_spec", require("ringlua.kagg_cdef"))
ringlua.declare_once("rl_bpf_quiesce", "int rl_bpf_quiesce(void);")
ringlua.declare_once("strerror", "char *strerror(int errnum);")
local C = ffi.C

local ffi_new, ffi_cast, ffi_copy, ffi_string, ffi_sizeof, ffi_istype =
  ffi.new, ffi.cast, ffi.copy, ffi.string, ffi.sizeof, ffi.istype
local type, tonumber, error, ipairs, pairs, next = type, tonumber, error, ipairs, pairs, next

local _M = {}

local PARTS, KEY_MAX, NAME_LEN = C.KAGG_PARTS, C.KAGG_KEY_MAX, C.KAGG_NAME_LEN
local RECORD_MAX = C.KAGG_RECORD_MAX
local CACHE_WAYS, HELD = C.KAGG_CACHE_WAYS, C.KAGG_CACHE_HELD
local SLOTS, EPOCHS = C.KAGG_SLOTS, C.KAGG_EPOCHS
local KEY_SIZE = ffi_sizeof("struct kagg_key")
local ANY_PROBE = C.KAGG_ANY_PROBE
local OPS = { count = C.KAGG_COUNT, sum = C.KAGG_SUM, min = C.KAGG_MIN, max = C.KAGG_MAX,
              avg = C.KAGG_AVG, hist = C.KAGG_HIST, lhist = C.KAGG_LHIST }
local TAKES_VALUE = { sum = true, min = true, max = true, avg = true, hist = true, lhist = true }

local spec_t = ffi.typeof("struct kagg_spec")
local key_ptr_t = ffi.typeof("const struct kagg_key *")
local value_ptr_t = ffi.typeof("const struct kagg_value *")
local value_t = ffi.typeof("struct kagg_value")
local key_t = ffi.typeof("struct kagg_key")
local cached_ptr_t = ffi.typeof("const struct kagg_cached *")
local u32_box_t = ffi.typeof("uint32_t[1]")
local u32_ptr_t = ffi.typeof("uint32_t *")
local u64_ptr_t = ffi.typeof("uint64_t *")
local u8_ptr_t = ffi.typeof("uint8_t *")
local u8_array_t = ffi.typeof("uint8_t[?]")
local const_u8_ptr_t = ffi.typeof("const uint8_t *")
local char_ptr_t = ffi.typeof("const char *")
local i64_t, u64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
-- All bits set in a field of any integer type (a Lua -1 stored in a uint64_t is not).
local MINUS_ONE = i64_t(-1)
-- An integer field read back from a key, by size and signedness.
local INT_PTR = {
  [true] = { [1] = ffi.typeof("const int8_t *"), [2] = ffi.typeof("const int16_t *"),
             [4] = ffi.typeof("const int32_t *"), [8] = ffi.typeof("const int64_t *") },
  [false] = { [1] = ffi.typeof("const uint8_t *"), [2] = ffi.typeof("const uint16_t *"),
              [4] = ffi.typeof("const uint32_t *"), [8] = ffi.typeof("const uint64_t *") },
}

-- The program's maps and globals, once installed; whether this script takes records
-- (an event handler), set in the program when the script settles; by slot, whether the
-- aggregation there takes signed values (how its min and max compare).
local maps, deliver_records
local signed_slot = {}

-- Whether an aggregation of list reads the records' ts_ns (as a key field or its value).
local function reads_time(list)
  for _, a in ipairs(list) do
    if a.kernel.value == "ts_ns" then return true end
    for _, name in ipairs(a.kernel.key) do
      if name == "ts_ns" then return true end
    end
  end
  return false
end

-- What agg.make keeps of { kernel = true, ... }: checked for what can be checked before
-- the record type is known (the source is chosen after the script's top level). level:
-- the error level of the script's call.
function _M.request(kind, name, opts, level)
  local key = opts.key or {}
  if type(key) == "string" then key = { key } end
  if type(key) ~= "table" or #key > PARTS then
    error("agg: " .. name .. ": kernel = true takes key = a list of 0 to " .. PARTS ..
          " record fields", level + 1)
  end
  for i = 1, #key do
    if type(key[i]) ~= "string" then
      error("agg: " .. name .. ": key[" .. i .. "] must be a field name", level + 1)
    end
  end
  if TAKES_VALUE[kind] and type(opts.value) ~= "string" then
    error("agg: " .. name .. ": kernel = true " .. kind .. " needs value = \"field\"", level + 1)
  end
  if #name >= NAME_LEN then
    error("agg: " .. name .. ": a kernel aggregation's name has at most " .. (NAME_LEN - 1) ..
          " characters", level + 1)
  end
  if opts.probe ~= nil and type(opts.probe) ~= "string" then
    error("agg: " .. name .. ": probe must be a probe's name", level + 1)
  end
  return { op = OPS[kind], key = key, value = TAKES_VALUE[kind] and opts.value or nil,
           probe = opts.probe }
end

-- What a record's field is: { offset, size, text (a char array), signed, ctype },
-- or nil and why it cannot be aggregated. Learned from the ctype itself: an integer's
-- size by storing -1 and counting the bytes it set.
local function field_of(ctype, name)
  local ok, offset, bitpos = pcall(ffi.offsetof, ctype, name)
  if not ok or offset == nil then return nil, "no such field" end
  if bitpos ~= nil then return nil, "a bit field" end
  local rec = ffi_new(ctype)
  local v = rec[name]
  if type(v) == "cdata" and not (ffi_istype(i64_t, v) or ffi_istype(u64_t, v)) then
    local size = tostring(ffi.typeof(v)):match("^ctype<char %(&%)%[(%d+)%]>$")
    if not size then return nil, "of a type that is no integer or char array" end
    return { offset = offset, size = tonumber(size), text = true }
  end
  if type(v) ~= "number" and type(v) ~= "cdata" then
    return nil, "of a type that is no integer or char array"
  end
  rec[name] = 0.5
  if rec[name] ~= 0 then return nil, "a floating-point number" end
  rec[name] = MINUS_ONE
  local bytes, size = ffi_cast(u8_ptr_t, rec) + offset, 0
  while size < 8 and bytes[size] == 0xff do size = size + 1 end
  return { offset = offset, size = size, signed = tonumber(rec[name]) < 0 }
end

-- The record types an aggregation takes: { {ctype =, probe = index or ANY_PROBE} }, and
-- how to name them in errors. A built-in source has one; tracepoint probes one each:
-- the probe the aggregation names, else all of them (whose fields must then agree).
local function record_types(a)
  local want = a.kernel.probe
  if not ringlua._header_type then
    local ctype = ringlua._record_ctypes[ringlua.source]
    if want then error("agg: " .. a.name .. ": probe = is for tracepoint sources", 0) end
    return { { ctype = ctype, probe = ANY_PROBE } }
  end
  local list = {}
  if want then want = want:gsub("^tp:", "tracepoint:") end
  for i, name in ipairs(ringlua.rings) do
    if want == nil or name == want then
      list[#list + 1] = { ctype = ringlua._record_ctypes[name], probe = want and i - 1 or ANY_PROBE }
    end
  end
  if #list == 0 then
    error("agg: " .. a.name .. ": probe = \"" .. a.kernel.probe .. "\": no probe so named among those traced", 0)
  end
  return list
end

-- The field name of a's records, the same in every record type it takes.
local function resolve_field(a, types, name)
  local found
  for _, t in ipairs(types) do
    local f, why = field_of(t.ctype, name)
    if not f then
      error("agg: " .. a.name .. ": field '" .. name .. "' of " .. t.ctype .. ": " .. why, 0)
    end
    if found and (found.offset ~= f.offset or found.size ~= f.size or found.text ~= f.text) then
      error("agg: " .. a.name .. ": field '" .. name .. "' is not the same in every probe: " ..
            "name one with probe =", 0)
    end
    found = f
  end
  -- The program reads fields in place, at offsets it bounds by this.
  if found.offset + found.size > RECORD_MAX then
    error("agg: " .. a.name .. ": field '" .. name .. "' ends past the first " .. RECORD_MAX ..
          " bytes of the record, which are all a kernel aggregation reads", 0)
  end
  return found
end

-- The spec of a (a cdata struct kagg_spec), with a.parts filled: how to read its keys.
local function make_spec(a)
  local k = a.kernel
  local types = record_types(a)
  local spec = ffi_new(spec_t)
  spec.op, spec.probe, spec.nr_parts = k.op, types[1].probe, #k.key
  local pos = 0
  a.parts = {}
  for i, name in ipairs(k.key) do
    local f = resolve_field(a, types, name)
    if pos + f.size > KEY_MAX then
      error("agg: " .. a.name .. ": the key is too long: its fields take more than " ..
            KEY_MAX .. " bytes", 0)
    end
    local p = spec.parts[i - 1]
    p.offset, p.size, p.pos, p.text, p.is_signed = f.offset, f.size, pos, f.text and 1 or 0,
                                                   f.signed and 1 or 0
    f.pos = pos
    a.parts[i] = f
    pos = pos + f.size
  end
  if k.value then
    local f = resolve_field(a, types, k.value)
    if f.text then error("agg: " .. a.name .. ": value '" .. k.value .. "' is no integer", 0) end
    spec.value.offset, spec.value.size, spec.value.is_signed = f.offset, f.size, f.signed and 1 or 0
    a.value_signed = f.signed
  end
  if a.kind == "lhist" then spec.lmin, spec.lmax, spec.lstep = a.min, a.max, a.step end
  ffi_copy(spec.name, a.name, #a.name)
  return spec
end

local function map_of(desc, name)
  for _, m in ipairs(desc.maps) do
    if m.name == name then return object._map(m, desc.ncpus) end
  end
  error("agg: the BPF program has no map " .. name, 0)
end

local function global_of(desc, name, ptr_t)
  for _, g in ipairs(desc.globals) do
    if g.name == name then return ffi_cast(ptr_t or u32_ptr_t, g.addr) end
  end
  error("agg: the BPF program has no global " .. name, 0)
end

-- Waits until no program still writes what the host is about to retire.
local function quiesce()
  local rc = C.rl_bpf_quiesce()
  if rc ~= 0 then
    error("agg: cannot wait for the BPF programs to return: " .. ffi_string(C.strerror(-rc)), 0)
  end
end

-- Frees the entries of kagg_cache at index on every CPU (no program may write them).
local function free_cache(index_box, index, free)
  index_box[0] = index
  C.bpf_map_update_elem(maps.cache.fd, index_box, free, 0)
end

-- Deletes every entry of the aggregations in slots (a set): in both epochs of
-- kagg_values and kagg_cache, once no program writes them (their specs are gone), and
-- their totals.
local function delete_slots(slots)
  quiesce()
  local keys = maps.values:_snapshot()
  for _, k in ipairs(keys) do
    if slots[ffi_cast(key_ptr_t, k).agg % SLOTS] then C.bpf_map_delete_elem(maps.values.fd, k) end
  end
  local totals = maps.totals:_snapshot()
  for _, k in ipairs(totals) do
    if slots[ffi_cast(key_ptr_t, k).agg] then C.bpf_map_delete_elem(maps.totals.fd, k) end
  end
  local free, index = ffi_new(u8_array_t, maps.cache.vsize), ffi_new(u32_box_t)
  for slot in pairs(slots) do
    for epoch = 0, EPOCHS - 1 do
      for way = 0, CACHE_WAYS - 1 do
        free_cache(index, ((epoch * SLOTS) + slot) * CACHE_WAYS + way, free)
      end
    end
  end
end

-- The specs the program holds now, by slot (only those in use).
local function current_specs()
  local list, key = {}, ffi_new(u32_box_t)
  for slot = 0, maps.specs.max_entries - 1 do
    local spec = ffi_new(spec_t)
    key[0] = slot
    if C.bpf_map_lookup_elem(maps.specs.fd, key, spec) == 0 and spec.op ~= C.KAGG_NONE then
      list[slot] = ffi_string(spec, ffi_sizeof(spec_t))
    end
  end
  return list
end

-- Writes the specs of list (the kernel aggregations of the script, in the order made)
-- into the program's map beside those already there, which a running script may still
-- read: one with the name and shape of one already there shares its slot and entries,
-- the others take free slots (a script's aggregations and the next version's fit
-- together: the map has twice as many slots as a script may use). Nothing is removed,
-- and whether records go to the ring is left as it is, until _M.settle, which the host
-- calls once this script is the one that runs. desc: the program's maps and globals as
-- the host describes them (rl_bpf_bindings), nil when no built-in program feeds the
-- script; deliver: whether this script takes records.
function _M.install(desc, deliver, list)
  if desc == nil then
    if list[1] then
      error("agg: " .. list[1].name .. ": kernel = true needs a built-in source or tracepoints " ..
            "with kernel aggregations from the start (not --bpf, --pin, --replay, nor added by a reload)", 0)
    end
    return
  end
  local d = assert(loadstring(desc, "=kernel aggregations"))()
  maps = maps or { specs = map_of(d, "kagg_specs"), values = map_of(d, "kagg_values"),
                   cache = map_of(d, "kagg_cache"), totals = map_of(d, "kagg_totals"),
                   slots = global_of(d, "kagg_slots"), epoch = global_of(d, "kagg_epoch"),
                   totals_lost = global_of(d, "kagg_totals_lost", u64_ptr_t),
                   deliver = global_of(d, "deliver"), stamp = global_of(d, "stamp_records") }
  deliver_records = deliver
  if #list > C.KAGG_SPECS then
    error("agg: " .. list[C.KAGG_SPECS + 1].name .. ": at most " .. C.KAGG_SPECS ..
          " kernel aggregations", 0)
  end
  local specs = {}
  for i, a in ipairs(list) do specs[i] = make_spec(a) end
  local old, taken = current_specs(), {}
  for slot in pairs(old) do taken[slot] = true end
  local shared = {}
  for i, a in ipairs(list) do
    local bytes = ffi_string(specs[i], ffi_sizeof(spec_t))
    for slot, was in pairs(old) do
      if was == bytes and not shared[slot] then a.slot, shared[slot] = slot, true break end
    end
  end
  local key, slots = ffi_new(u32_box_t), maps.slots[0]
  for i, a in ipairs(list) do
    if a.slot == nil then
      local slot = 0
      while taken[slot] do slot = slot + 1 end
      if slot >= maps.specs.max_entries then
        error("agg: " .. a.name .. ": no free slot for it beside the running script's", 0)
      end
      a.slot, taken[slot] = slot, true
      key[0] = slot
      local rc = C.bpf_map_update_elem(maps.specs.fd, key, specs[i], 0)
      if rc ~= 0 then error("agg: " .. a.name .. ": cannot write its spec: " .. ffi_string(C.strerror(-rc)), 0) end
    end
    if a.slot + 1 > slots then slots = a.slot + 1 end
    signed_slot[a.slot] = a.value_signed or false
  end
  -- Counted from now on, beside the running script's: stamped if they read ts_ns.
  if reads_time(list) then maps.stamp[0] = 1 end
  maps.slots[0] = slots
end

-- Makes the program hold the aggregations of list (as install placed them) and no
-- other: the slots of others (the previous version's, or a failed reload's) are emptied
-- with their entries, and records go to the ring, stamped or not, as this script wants
-- (stamped only if it takes them or an aggregation reads ts_ns). The host calls it
-- in the script that runs from now on: at start, after a reload, after a failed one.
function _M.settle(list)
  if maps == nil then return end
  local mine, slots = {}, 0
  for _, a in ipairs(list) do
    mine[a.slot] = true
    if a.slot + 1 > slots then slots = a.slot + 1 end
  end
  local freed, zero, key = {}, ffi_new(spec_t), ffi_new(u32_box_t)
  for slot in pairs(current_specs()) do
    if not mine[slot] then
      freed[slot] = true
      key[0] = slot
      C.bpf_map_update_elem(maps.specs.fd, key, zero, 0)
    end
  end
  maps.slots[0] = slots
  if next(freed) then delete_slots(freed) end
  -- Stamping goes on before records go to the script, and off after they stop.
  local stamp = deliver_records or reads_time(list)
  if stamp then maps.stamp[0] = 1 end
  maps.deliver[0] = deliver_records and 1 or 0
  if not stamp then maps.stamp[0] = 0 end
end

-- The key of a's entry k (a const struct kagg_key *), as the Lua side would have it.
local function key_of(a, k)
  local parts, n = {}, #a.parts
  for i, f in ipairs(a.parts) do
    local at = k.bytes + f.pos
    if f.text then
      parts[i] = ringlua.str(ffi_cast(char_ptr_t, at), f.size)
    else
      parts[i] = tonumber(ffi_cast(INT_PTR[f.signed][f.size], at)[0])
    end
  end
  if n == 0 then return nil end
  if n == 1 then return parts[1] end
  return a:key(parts[1], parts[2], parts[3], parts[4])
end

local function signed_number(x) return tonumber(ffi_cast(i64_t, x)) end

-- Whether a is less than b (uint64_t cdata), as signed numbers if signed.
local function less(a, b, signed)
  if signed then return ffi_cast(i64_t, a) < ffi_cast(i64_t, b) end
  return a < b
end

-- Adds share (a struct kagg_value: a CPU's, or an epoch's total) into the struct
-- kagg_value into.
local function merge(into, share, signed)
  if share.count == 0 then return end
  if into.count == 0 then
    into.min, into.max = share.min, share.max
  else
    if less(share.min, into.min, signed) then into.min = share.min end
    if less(into.max, share.max, signed) then into.max = share.max end
  end
  into.count = into.count + share.count
  into.sum = into.sum + share.sum
end

-- Adds one share of the key kb (a struct kagg_key's bytes, of an epoch) to sums, by the
-- key without its epoch (as kagg_totals keys it).
local function add_share(sums, kb, share)
  if share.count == 0 then return end
  local k = ffi_new(key_t)
  ffi_copy(k, kb, KEY_SIZE)
  k.agg = k.agg % SLOTS
  local bytes = ffi_string(k, KEY_SIZE)
  local sum = sums[bytes]
  if sum == nil then
    sum = ffi_new(value_t)
    sums[bytes] = sum
  end
  merge(sum, share, signed_slot[k.agg])
end

-- What the programs counted in epoch, in kagg_values and kagg_cache, by key; with the
-- entries to remove and the cache entries to free once read.
local function epoch_sums(epoch)
  local sums, gone, held = {}, {}, {}
  local keys, values = maps.values:_snapshot()
  local ncpus, stride = maps.values.ncpus, maps.values.stride
  for i, kb in ipairs(keys) do
    if math.floor(ffi_cast(key_ptr_t, kb).agg / SLOTS) == epoch then
      local v = ffi_cast(const_u8_ptr_t, values[i])
      for cpu = 0, ncpus - 1 do add_share(sums, kb, ffi_cast(value_ptr_t, v + cpu * stride)) end
      gone[#gone + 1] = kb
    end
  end
  local indexes, cached = maps.cache:_snapshot()
  local first, last = epoch * SLOTS * CACHE_WAYS, (epoch + 1) * SLOTS * CACHE_WAYS - 1
  for i, vb in ipairs(cached) do
    local index = ffi_cast(u32_ptr_t, ffi_cast(const_u8_ptr_t, indexes[i]))[0]
    if index >= first and index <= last then
      local v = ffi_cast(const_u8_ptr_t, vb)
      for cpu = 0, ncpus - 1 do
        local c = ffi_cast(cached_ptr_t, v + cpu * maps.cache.stride)
        if c.state == HELD then
          add_share(sums, ffi_string(c.key, KEY_SIZE), c.value)
          held[index] = true
        end
      end
    end
  end
  return sums, gone, held
end

-- Adds sums into kagg_totals; an entry it has no room for loses its count, which the
-- host adds to kagg_totals_lost (only the host writes that word).
local function add_to_totals(sums)
  local total, key = ffi_new(value_t), ffi_new(key_t)
  for bytes, sum in pairs(sums) do
    ffi_copy(key, bytes, KEY_SIZE)
    if C.bpf_map_lookup_elem(maps.totals.fd, key, total) ~= 0 then ffi.fill(total, ffi_sizeof(value_t)) end
    merge(total, sum, signed_slot[key.agg])
    if C.bpf_map_update_elem(maps.totals.fd, key, total, 0) ~= 0 then
      maps.totals_lost[0] = maps.totals_lost[0] + sum.count
    end
  end
end

-- Retires the live epoch into kagg_totals: the other becomes live, and once no program
-- writes the old one, its entries are added to the totals, then removed (the cache's
-- freed). Records counted while this runs are in the new epoch, for the next one.
local function retire_epoch()
  local old = maps.epoch[0] % EPOCHS
  maps.epoch[0] = (old + 1) % EPOCHS
  quiesce()
  local sums, gone, held = epoch_sums(old)
  add_to_totals(sums)
  for _, kb in ipairs(gone) do C.bpf_map_delete_elem(maps.values.fd, kb) end
  local free, index = ffi_new(u8_array_t, maps.cache.vsize), ffi_new(u32_box_t)
  for i in pairs(held) do free_cache(index, i, free) end
end

-- Replaces the entries of every aggregation of list with what the programs counted up
-- to now, retired into kagg_totals. put(a, key, bucket, count, sum, min, max) stores one
-- entry as a's kind keeps it.
function _M.sync(list, put)
  if maps == nil or list[1] == nil then return end
  retire_epoch()
  local by_slot = {}
  for _, a in ipairs(list) do
    by_slot[a.slot] = a
    a.t = {}
    a.size = 0
    if a.n then a.n = {} end
  end
  local keys, values = maps.totals:_snapshot()
  for i, kb in ipairs(keys) do
    local k = ffi_cast(key_ptr_t, kb)
    local a = by_slot[k.agg]
    if a then
      local v = ffi_cast(value_ptr_t, ffi_cast(const_u8_ptr_t, values[i]))
      local num = a.value_signed and signed_number or tonumber
      put(a, key_of(a, k), k.bucket, tonumber(v.count), num(v.sum), num(v.min), num(v.max))
    end
  end
end

-- Forgets a's entries as the last sync brought them (its totals); what the programs
-- counted since stays for the next one, as records that wait in the ring do for an
-- aggregation kept in Lua.
function _M.clear(a)
  if maps == nil or a.slot == nil then return end
  local keys = maps.totals:_snapshot()
  for _, k in ipairs(keys) do
    if ffi_cast(key_ptr_t, k).agg == a.slot then C.bpf_map_delete_elem(maps.totals.fd, k) end
  end
end

return _M
