-- Checks a stream of seq_event records: consecutive, in order, each once.
-- Prints "n=N first=F last=L gaps=G bad=B" at exit (bad: wrong length or contents).
local ffi = require("ffi")
local ringlua = require("ringlua")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")
local n, first, last, gaps, bad = 0, -1, -1, 0, 0

io.stdout:setvbuf("line")
return {
  on_init = function() print("READY source=" .. ringlua.source) end,
  on_event = function(ptr, len)
    local e = ffi.cast(seq_t, ptr)
    local seq = tonumber(e.seq)
    if len ~= 40 or e.value ~= seq * 3 or ringlua.str(e.tag) ~= "seq" then bad = bad + 1 end
    if n > 0 and seq ~= last + 1 then gaps = gaps + 1 end
    if n == 0 then first = seq end
    last = seq
    n = n + 1
  end,
  on_exit = function()
    print(("n=%d first=%d last=%d gaps=%d bad=%d"):format(n, first, last, gaps, bad))
  end,
}
