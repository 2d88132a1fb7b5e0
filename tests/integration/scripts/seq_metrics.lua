-- Aggregates seq_event records for the --metrics tests: a labelled counter (events by
-- kind and tag), a log2 histogram of seq, a linear histogram of seq % 100 and a sum of
-- value, and a count keyed by a name that is not UTF-8. Prints READY from on_init.
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")

local by_kind = agg.count("seq_events", { labels = { "kind", "tag" },
                                          help = "seq events by kind and tag" })
local seqs = agg.hist("seq_value")
local tens = agg.lhist("seq_mod100", 0, 100, 10)
local values = agg.sum("seq_value_total")
-- A label value that is not UTF-8, as a process name can be: it must not spoil the scrape.
agg.count("seq_odd_names"):add("x\255y")

io.stdout:setvbuf("line")
return {
  on_init = function() print("READY") end,
  on_event = function(ptr)
    local e = ffi.cast(seq_t, ptr)
    local seq = tonumber(e.seq)
    by_kind:add(by_kind:key(e.kind, ringlua.str(e.tag)))
    seqs:record(seq)
    tens:record(seq % 100)
    values:add(nil, e.value)
  end,
}
