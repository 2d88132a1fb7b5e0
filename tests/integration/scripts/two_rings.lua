-- Handlers of tests/bpf/two_rings.bpf.c: one per ring, each casting to its ring's
-- record type from the object's BTF, printing every field as key=value.
-- With TWO_RINGS_DEFAULT set, ring beta has no handler of its own: on_event takes it.
local ffi = require("ffi")
local ringlua = require("ringlua")
local alpha_t, beta_t = ringlua.types.alpha, ringlua.types.beta

local function alpha(ptr, len)
  local e = ffi.cast(alpha_t, ptr)
  print(string.format("alpha len=%d seq=%d pid=%d offset=%d comm=%s", len, tonumber(e.seq),
    e.pid, e.offset, ringlua.str(e.comm)))
end

local function beta(ptr, len, via)
  local e = ffi.cast(beta_t, ptr)
  print(string.format("beta%s len=%d seq=%d magic=%s tiny=%d flag=%d small=%d color=%d label=%s",
    via or "", len, tonumber(e.seq), tostring(e.magic):gsub("ULL$", ""), e.tiny, e.flag,
    e.small, tonumber(e.color), ringlua.str(e.label)))
end

local handlers = { alpha = alpha, beta = beta }
if os.getenv("TWO_RINGS_DEFAULT") then handlers.beta = nil end
return {
  handlers = handlers,
  on_init = function()
    print("READY")
    io.stdout:flush()
  end,
  on_event = function(ptr, len) beta(ptr, len, " (on_event)") end,
}
