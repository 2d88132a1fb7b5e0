-- bench/dwarf.sh: the bytes of each record (event and stacks) the profile source sends,
-- on average, printed at exit as "records N bytes B".
local records, bytes = 0, 0
return {
  source = "profile",
  on_event = function(_, len)
    records, bytes = records + 1, bytes + len
  end,
  on_exit = function()
    print(string.format("records %d bytes %.0f", records, records > 0 and bytes / records or 0))
  end,
}
