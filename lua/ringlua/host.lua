-- The host side of a ringlua state: loaded by the C host, never by scripts.
-- It declares the event types, runs the user's script, finds its handlers, builds the
-- batch loop the C side enters once per batch of records, and carries `ringlua.state`
-- and the aggregations' entries from one state to the next on a reload.
local ffi = require("ffi")
local ringlua = require("ringlua")
local state = require("ringlua.state")
local agg = require("ringlua.agg")

local _M = {}

-- The batch record and the block C and Lua share while a batch is dispatched, declared
-- once in src/ring/rec.h and src/lua/dispatch.h (the build generates these modules).
ringlua.cdef_once("struct rl_rec", require("ringlua.rec_cdef"))
ringlua.cdef_once("struct rl_dispatch", require("ringlua.hotpath"))
local dispatch_ptr_t = ffi.typeof("struct rl_dispatch *")

local HOOKS = { "on_event", "on_init", "on_tick", "on_exit", "on_reload", "on_lost" }

-- A handler is found in the table the script returns, or else among its globals.
local function find_handlers(returned, env, script)
  local h = {}
  for _, name in ipairs(HOOKS) do
    local f = type(returned) == "table" and returned[name] or nil
    if f == nil then f = rawget(env, name) end
    if f ~= nil and type(f) ~= "function" then
      error(script .. ": " .. name .. " must be a function, got " .. type(f), 0)
    end
    h[name] = f
  end
  return h
end

-- Builds the loop over a batch. A batch holds records of one ring: its handler is
-- that ring's in by_ring (indexed by the ring's index, from 0), else on_event. The loop stores the
-- index of the record it is on, so that after an error in a handler the C side can
-- resume with the next record. After os.exit, even one a pcall in the script caught, no
-- further record is handed out.
local function make_dispatch(shared, by_ring, on_event)
  return function(first, n)
    local recs = shared.batch
    local handler = by_ring[recs[first].ring] or on_event
    for i = first, n - 1 do
      shared.cursor = i
      local r = recs[i]
      handler(r.data, r.len)
      if shared.exit_requested ~= 0 then return end
    end
  end
end

-- The same for tracepoint probes, which share one ring: each record names its probe
-- (its index in the ring table) in its header, and goes to that probe's handler. A
-- record too short to hold the header (a corrupt recording's) goes to on_event. And the
-- same stop after os.exit.
local function make_tagged_dispatch(shared, by_ring, on_event, header_t, header_size)
  local cast = ffi.cast
  return function(first, n)
    local recs = shared.batch
    for i = first, n - 1 do
      shared.cursor = i
      local r = recs[i]
      local handler = r.len >= header_size and by_ring[cast(header_t, r.data).probe] or on_event
      handler(r.data, r.len)
      if shared.exit_requested ~= 0 then return end
    end
  end
end

-- os.exit(code) in a script ends ringlua with that code, but cleanly: it tells the C
-- host and unwinds the script, instead of ending the process on the spot with nothing
-- released. (A pcall in the script cannot keep it going: the host checks the request.)
local function make_exit(shared)
  return function(code)
    if code == nil or code == true then code = 0 elseif code == false then code = 1 end
    shared.exit_code = tonumber(code) or 1
    shared.exit_requested = 1
    io.stdout:flush()
    error("os.exit", 0)
  end
end

-- A field of the script: from the table it returned, else its global.
local function script_field(returned, name)
  local v
  if type(returned) == "table" then v = returned[name] end
  if v == nil then v = rawget(_G, name) end
  return v
end

-- Declares the record types of the user's BPF object and names them by ring:
-- ringlua.types[map] is a pointer ctype, as for the built-in sources.
local function declare_rings(rings, cdef)
  if not rings then return end
  local ok, err = pcall(ffi.cdef, cdef)
  if not ok then error("cannot declare the BPF object's types: " .. err, 0) end
  for _, r in ipairs(rings) do
    if r.ctype then
      ringlua.types[r.name] = ffi.typeof("const " .. r.ctype .. " *")
      ringlua._record_ctypes[r.name] = r.ctype
    end
  end
  if rings[1] and rings[1].tagged then ringlua._tag(rings) end
end

-- Handlers of tracepoint probes: a key is a probe's name ("tp:" for "tracepoint:") or
-- a pattern with * and ?; a name wins over a pattern. Fills by_ring; errors on a key
-- that names no probe.
local function probe_handlers(handlers, rings, by_ring, script)
  local index, exact = {}, {}
  for i, name in ipairs(rings) do index[name] = i - 1 end
  for name, f in pairs(handlers) do
    local key = tostring(name):gsub("^tp:", "tracepoint:")
    if index[key] then
      exact[index[key]] = f
    else
      local pattern, matched = ringlua._glob_pattern(key), false
      for i, name in ipairs(rings) do
        if name:find(pattern) then by_ring[i - 1], matched = f, true end
      end
      if not matched then
        error(script .. ": handlers[\"" .. tostring(name) .. "\"]: no probe so named among those traced", 0)
      end
    end
  end
  for i, f in pairs(exact) do by_ring[i] = f end
end

-- handlers = { map = function(ptr, len) end }: one per ring, named as in `rings` (the map
-- names in ring order; nil while they are not known yet: a script that names its own BPF
-- object is started again once it is open), or per tracepoint probe when `probes` (then
-- `rings` are the probes' names). A handler for another name is refused with no_such.
-- Returns the handlers by ring index, and whether every ring has one.
local function ring_handlers(handlers, rings, probes, script, no_such)
  local by_ring, by_name = {}, {}
  if handlers == nil then return by_ring, false end
  if type(handlers) ~= "table" then
    error(script .. ": handlers must be a table of functions by map name, got " .. type(handlers), 0)
  end
  for name, f in pairs(handlers) do
    if type(f) ~= "function" then
      error(script .. ": handlers." .. tostring(name) .. " must be a function, got " .. type(f), 0)
    end
  end
  if not rings then return by_ring, true end
  local covered = true
  if probes then
    probe_handlers(handlers, rings, by_ring, script)
    for i = 1, #rings do covered = covered and by_ring[i - 1] ~= nil end
    return by_ring, covered
  end
  for i, name in ipairs(rings) do
    by_ring[i - 1] = handlers[name]
    by_name[name] = true
    covered = covered and handlers[name] ~= nil
  end
  for name in pairs(handlers) do
    if not by_name[name] then
      error(script .. ": handlers." .. tostring(name) .. ": " .. no_such, 0)
    end
  end
  return by_ring, covered
end

-- globals = { name = value }: settings of the BPF object, as a list of
-- {name, value as text, Lua type} for the C side, in name order.
local function global_settings(globals, script)
  local list = {}
  if globals == nil then return list end
  if type(globals) ~= "table" then
    error(script .. ": globals must be a table, got " .. type(globals), 0)
  end
  for name, v in pairs(globals) do
    local t = type(v)
    if type(name) ~= "string" or (t ~= "number" and t ~= "string" and t ~= "boolean") then
      error(script .. ": globals." .. tostring(name) .. " must be a number, string or boolean, got " .. t, 0)
    end
    local text = t == "number" and v == math.floor(v) and string.format("%.0f", v) or tostring(v)
    list[#list + 1] = { name, text, t }
  end
  table.sort(list, function(a, b) return a[1] < b[1] end)
  return list
end

-- The Lua search path's entries that the checked searcher takes over: every absolute
-- one but ringlua's own (the system's, LUA_PATH's). Relative entries ("./?.lua",
-- "lib/?.lua") name whatever the current directory holds, and are dropped.
local function checked_templates(path, own_path)
  local own, kept = {}, {}
  for entry in own_path:gmatch("[^;]+") do own[entry] = true end
  for entry in path:gmatch("[^;]+") do
    if entry:sub(1, 1) == "/" and not own[entry] then kept[#kept + 1] = entry end
  end
  return kept
end

-- require() of every module but ringlua's own: read through the same ownership checks
-- as the script, by the C host's load_module(path). Looked for beside the script (or
-- below it) first, then along templates. ringlua's own modules (own_path) take
-- precedence, as they did on package.path, and are left to the path searcher.
local function make_searcher(dir, own_path, templates, load_module)
  return function(name)
    if package.searchpath(name, own_path) then return "" end
    local file = name:gsub("%.", "/")
    local candidates = { dir .. "/" .. file .. ".lua", dir .. "/" .. file .. "/init.lua" }
    for _, t in ipairs(templates) do
      candidates[#candidates + 1] = t:gsub("%?", function() return file end)
    end
    local missing = {}
    for _, path in ipairs(candidates) do
      local chunk, note = load_module(path)
      if chunk then return chunk end
      missing[#missing + 1] = note
    end
    return table.concat(missing)
  end
end

-- A script with kernel aggregations: the host loads the program so that it keeps them
-- (kernel_aggs), records go to the ring only for an event handler (kernel_deliver),
-- and the entries are read back before on_tick and on_exit print them. Records that
-- come without a handler (a reload just took it away) are passed over.
local function kernel_side(ctl, handlers)
  ctl.kernel_aggs = "yes"
  ctl.kernel_deliver = ctl.on_event ~= nil or handlers ~= nil
  ctl.on_event = ctl.on_event or function() end
  for _, hook in ipairs({ "on_tick", "on_exit" }) do
    local f = ctl[hook]
    if f then
      ctl[hook] = function(...)
        agg._kernel_sync()
        return f(...)
      end
    end
  end
end

-- Runs the script chunk and returns what the C host needs: the batch loop, and a table
-- with the handlers, the source the script asked for (or nil) and export_state().
--   opts.load_module  checked loader of modules beside the script
--   opts.own_path     where ringlua's own modules are, as a package.path
--   opts.state        the encoded ringlua.state of the script being replaced, or nil
--   opts.reloads      how many reloads came before this state
--   opts.rings        the user's BPF object's rings, in ring order: {name=, ctype=}, or the
--                     tracepoint probes (tagged=true); nil for a built-in source, or
--                     before the object is known
--   opts.cdef         declarations of those rings' record types
--   opts.rings_from   what has those rings, for errors; nil: "the BPF object"
--   opts.args         the script's arguments, handed to its top level as `...`
--   opts.unwind_mem_mb  --unwind-mem: the unwinder's budget (ringlua.names), or nil
-- The structs and unions cdef defines (not those it only names), as a set of C types.
local function defined_types(cdef)
  local set = {}
  for kind, name in (cdef or ""):gmatch("(%a+)%s+([%w_]+)%s*{") do
    if kind == "struct" or kind == "union" then set[kind .. " " .. name] = true end
  end
  return set
end

function _M.start(chunk, script, shared_lud, sources, opts)
  -- A user's object may define a struct of the name of a built-in source's record
  -- (open_event): its own wins, as the built-in source is not in use.
  local taken = defined_types(opts.cdef)
  for name, s in pairs(sources) do
    if not taken[s.ctype] then ringlua._declare(name, s.ctype, s.cdef) end
  end
  declare_rings(opts.rings, opts.cdef)
  if opts.rings then
    ringlua.rings = {}
    for i, r in ipairs(opts.rings) do ringlua.rings[i] = r.name end
  end
  -- Only ringlua's own modules load unchecked. C modules (package.cpath) not at all: a
  -- shared object cannot be checked and then loaded from the descriptor that was checked.
  local templates = checked_templates(package.path, opts.own_path)
  package.path = opts.own_path
  package.cpath = ""
  local dir = script:match("^(.*)/[^/]*$") or "."
  table.insert(package.loaders, 2, make_searcher(dir, opts.own_path, templates, opts.load_module))
  local shared = ffi.cast(dispatch_ptr_t, shared_lud)
  os.exit = make_exit(shared)
  ringlua._emit_to(shared)
  if opts.state then
    local pos
    ringlua.state, pos = state.decode(opts.state)
    if pos <= #opts.state then agg._carry((state.decode(opts.state, pos))) end
  end
  ringlua.reloads = opts.reloads
  ringlua._unwind_mem_mb = opts.unwind_mem_mb

  local returned = chunk(unpack(opts.args or {}))
  local ctl = find_handlers(returned, _G, script)
  local sources = script_field(returned, "source")
  if type(sources) == "table" then
    -- Several probes: one list, as -s takes it.
    for i, v in ipairs(sources) do
      if type(v) ~= "string" then
        error(script .. ": source[" .. i .. "] must be a string, got " .. type(v), 0)
      end
    end
    ctl.source = table.concat(sources, ",")
  end
  for _, field in ipairs({ "source", "bpf", "stacks", "str" }) do
    local v = ctl[field] or script_field(returned, field)
    if v ~= nil and type(v) ~= "string" then
      error(script .. ": " .. field .. " must be a string, got " .. type(v), 0)
    end
    ctl[field] = v
  end
  -- `interval = MS`: the tick's period when --interval does not give one.
  local interval = script_field(returned, "interval")
  if interval ~= nil and (type(interval) ~= "number" or interval < 1 or interval > 2^31 - 1
                          or interval ~= math.floor(interval)) then
    error(script .. ": interval must be a whole number of milliseconds, 1 or more, got " ..
          tostring(interval), 0)
  end
  ctl.interval = interval and string.format("%d", interval)
  -- `program = true`: a program's translation (ringlua.program), whose probes are
  -- written as -s takes them: an unknown one is a usage error.
  ctl.program = script_field(returned, "program") == true
  -- `timestamps = false`: the source leaves ts_ns 0 (no clock read per record).
  local timestamps = script_field(returned, "timestamps")
  if timestamps ~= nil and type(timestamps) ~= "boolean" then
    error(script .. ": timestamps must be true or false, got " .. type(timestamps), 0)
  end
  ctl.timestamps = timestamps == false and "off" or nil
  -- Without an object's rings the ring is a built-in source's or --pin's, named in
  -- ringlua.rings; unless the script names its own object, or tracepoint probes (-s or
  -- its `source`: names with a colon), whose rings come at the restart (a reload keeps
  -- the rings it runs with).
  local probe_source = (opts.source_option or ctl.source or ""):find(":", 1, true)
  local rings_known = opts.rings or opts.reloads > 0 or not (ctl.bpf or probe_source)
  local no_such = opts.rings and (opts.rings_from or "the BPF object") ..
                  " has no ring buffer map so named (its rings: " .. table.concat(ringlua.rings, ", ") .. ")"
                  or "a built-in source's or --pin's one ring is named " .. ringlua.rings[1]
  local probes = opts.rings and opts.rings[1] and opts.rings[1].tagged
  local by_ring, all_rings = ring_handlers(script_field(returned, "handlers"),
                                           rings_known and ringlua.rings or nil, probes,
                                           script, no_such)
  local kernel_aggs = agg._kernel_count() > 0
  if not ctl.on_event and not all_rings and not kernel_aggs then
    error(script .. ": no on_event(ptr, len) handler: return it in a table or define it globally", 0)
  end
  if kernel_aggs then kernel_side(ctl, script_field(returned, "handlers")) end
  if ctl.bpf and ctl.bpf:sub(1, 1) ~= "/" then ctl.bpf = dir .. "/" .. ctl.bpf end
  ctl.globals = global_settings(script_field(returned, "globals"), script)
  ctl.export_state = _M.export_state
  if probes then
    return make_tagged_dispatch(shared, by_ring, ctl.on_event, ringlua._header_type,
                                ringlua._header_size), ctl
  end
  return make_dispatch(shared, by_ring, ctl.on_event), ctl
end

-- ringlua.state, then the aggregations' entries, encoded for the next state; says what
-- could not be carried.
function _M.export_state()
  local encoded, skipped = state.encode(ringlua.state, "ringlua.state")
  for _, what in ipairs(skipped) do
    io.stderr:write("ringlua: reload: not carried over: ", what, "\n")
  end
  return encoded .. state.encode(agg._export(), "ringlua.agg")
end

return _M
