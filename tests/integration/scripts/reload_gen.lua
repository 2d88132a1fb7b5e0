-- One generation of a script that test_reload.sh rewrites while events stream in; the
-- test changes the GEN line. Each generation prints the range of sequence numbers it
-- handled when it is replaced (on_reload) or at exit, and counts every event in
-- ringlua.state.total, which must survive every reload.
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")
local GEN = 1
local n, first, last, gaps = 0, -1, -1, 0
local st = ringlua.state
st.total = st.total or 0

io.stdout:setvbuf("line")

local function print_range()
  print(("RANGE gen=%d n=%d first=%d last=%d gaps=%d"):format(GEN, n, first, last, gaps))
end

return {
  on_init = function()
    print(("READY gen=%d reloads=%d total=%d"):format(GEN, ringlua.reloads, st.total))
  end,
  on_event = function(ptr)
    local seq = tonumber(ffi.cast(seq_t, ptr).seq)
    if n == 0 then first = seq elseif seq ~= last + 1 then gaps = gaps + 1 end
    last = seq
    n = n + 1
    st.total = st.total + 1
  end,
  on_reload = print_range,
  on_exit = function()
    print_range()
    print("TOTAL " .. st.total)
  end,
}
