-- The host side of a ringlua state: loaded by the C host, never by scripts.
-- It declares the event types, runs the user's script, finds its handlers, and builds the
-- batch loop the C side enters once per batch of records.
local ffi = require("ffi")
local ringlua = require("ringlua")

local _M = {}

ringlua.cdef_once("struct rl_dispatch", [[
struct rl_rec { const uint8_t *data; uint32_t len; uint32_t ring; };
struct rl_dispatch { const struct rl_rec *batch; int32_t cursor; };
]])
local dispatch_ptr_t = ffi.typeof("struct rl_dispatch *")

local HOOKS = { "on_event", "on_init", "on_tick", "on_exit" }

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

-- Builds the loop over a batch. It stores the index of the record it is on, so that
-- after an error in on_event the C side can resume with the next record.
local function make_dispatch(shared, on_event)
  return function(first, n)
    local recs = shared.batch
    for i = first, n - 1 do
      shared.cursor = i
      local r = recs[i]
      on_event(r.data, r.len)
    end
  end
end

-- Runs the script chunk and returns what the C host needs:
--   source   the source the script asked for, or nil
--   dispatch the batch loop, hooks the other handlers.
function _M.start(chunk, script, shared_lud, sources)
  for name, s in pairs(sources) do ringlua._declare(name, s.ctype, s.cdef) end
  local returned = chunk()
  local handlers = find_handlers(returned, _G, script)
  if not handlers.on_event then
    error(script .. ": no on_event(ptr, len) handler: return it in a table or define it globally", 0)
  end
  local source = type(returned) == "table" and returned.source or rawget(_G, "source")
  if source ~= nil and type(source) ~= "string" then
    error(script .. ": source must be a string, got " .. type(source), 0)
  end
  local shared = ffi.cast(dispatch_ptr_t, shared_lud)
  return source, make_dispatch(shared, handlers.on_event), handlers
end

return _M
