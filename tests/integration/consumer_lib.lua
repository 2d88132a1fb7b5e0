-- Drives ringlua.consumer from a plain luajit process (no ringlua binary), for
-- test_consumer_lib.sh:
--   luajit consumer_lib.lua seq PIN N [FLAGS] consume N seq_event records; FLAGS: fd
--                                           (open a map fd, not the path), last (then
--                                           poll(0) the ring, which should be empty)
--   luajit consumer_lib.lua decode PIN N     open_decoding, with a function and a ctype
--   luajit consumer_lib.lua errors PIN N     fn raising errors: each record still once
--   luajit consumer_lib.lua with PIN         with() closes on success and on error
--   luajit consumer_lib.lua empty PIN        poll on an empty ring
--   luajit consumer_lib.lua bad PIN          failures are nil, err
-- Prints one result line per check; exits non-zero on an unexpected error.
local ffi = require("ffi")
local ringlua = require("ringlua")
local consumer = require("ringlua.consumer")

ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
ringlua.declare_once("fcntl", "int fcntl(int fd, int cmd, ...);")
local seq_t = ffi.typeof("const struct seq_event *")
-- How long one poll may wait: the test's own bound on a stuck consumer is its timeout.
local WAIT_MS = 1000

local mode, pin, count = arg[1], arg[2], tonumber(arg[3])
io.stdout:setvbuf("line")

-- Mappings of BPF maps in this process, and open fds: what a closed consumer gives back.
local function ring_mappings()
  local n = 0
  for line in io.lines("/proc/self/maps") do
    if line:find("anon_inode:bpf-map", 1, true) then n = n + 1 end
  end
  return n
end

-- Counted in this process, without starting another that could hold fds meanwhile.
local MAX_FD, F_GETFD = 1024, 1
local function open_fds()
  local n = 0
  for fd = 0, MAX_FD - 1 do
    if ffi.C.fcntl(fd, F_GETFD) ~= -1 then n = n + 1 end
  end
  return n
end

-- Polls c until want records were handled (seen() tells how many so far).
local function poll_until(c, want, seen)
  while seen() < want do
    local n, err = c:poll(WAIT_MS)
    if not n then error("poll: " .. err) end
  end
end

local function map_fd(path)
  ffi.cdef("int bpf_obj_get(const char *pathname);")
  local fd = ffi.load("bpf").bpf_obj_get(path)
  assert(fd >= 0, "bpf_obj_get " .. path)
  return fd
end

local modes = {}

-- The checks of the ringlua tests' seq_check.lua script, on records from the library.
function modes.seq()
  local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
  local check = dofile(here .. "/scripts/seq_check.lua")
  local n = 0
  local function on_record(ptr, len)
    n = n + 1
    check.on_event(ptr, len)
  end
  -- Batches of 1000 end exactly at the counts the test asks for.
  local flags = arg[4] or ""
  local c = assert(consumer.open(flags:find("fd") and map_fd(pin) or pin, on_record,
                                 { batch = 1000 }))
  print("READY")
  poll_until(c, count, function() return n end)
  check.on_exit()
  if flags:find("last") then print("after=" .. assert(c:poll(0))) end
  c:close()
end

function modes.decode()
  -- A function decoder: plain tables, checked after every record was released.
  local values = {}
  local c = assert(consumer.open_decoding(pin, function(ptr)
    local e = ffi.cast(seq_t, ptr)
    return { seq = tonumber(e.seq), value = tonumber(e.value), kind = e.kind }
  end, function(v) values[#values + 1] = v end, { batch = 100 }))
  poll_until(c, count, function() return #values end)
  c:close()
  local wrong = 0
  for i, v in ipairs(values) do
    if type(v) ~= "table" or v.seq ~= i - 1 or v.value ~= v.seq * 3 or v.kind ~= v.seq % 4 then
      wrong = wrong + 1
    end
  end
  print(("tables=%d wrong=%d"):format(#values, wrong))

  -- A ctype decoder: copies, still right once the ring is unmapped.
  local copies = {}
  c = assert(consumer.open_decoding(pin, "struct seq_event",
                                    function(v) copies[#copies + 1] = v end))
  poll_until(c, count, function() return #copies end)
  c:close()
  assert(ring_mappings() == 0, "the ring is still mapped after close")
  wrong = 0
  for i, v in ipairs(copies) do
    local seq = tonumber(v.seq)
    if seq ~= count + i - 1 or v.value ~= seq * 3 or ringlua.str(v.tag) ~= "seq" then
      wrong = wrong + 1
    end
  end
  print(("copies=%d wrong=%d"):format(#copies, wrong))
end

function modes.with()
  local maps, fds = ring_mappings(), open_fds()
  local seen = 0
  local n = consumer.with(pin, function() seen = seen + 1 end, function(c)
    assert(ring_mappings() > maps, "with: the ring is not mapped inside body")
    return assert(c:poll(WAIT_MS))
  end)
  print(("returned=%d seen=%d maps=%d fds=%d"):format(n, seen, ring_mappings() - maps,
                                                      open_fds() - fds))
  local kept
  local ok, err = pcall(consumer.with, pin, function() end, function(c)
    kept = c
    error("body failed", 0)
  end)
  print(("raised=%s err=%s maps=%d fds=%d"):format(tostring(not ok), err,
                                                   ring_mappings() - maps, open_fds() - fds))
  local _, closed_err = kept:poll(0)
  print("poll after with: " .. closed_err)
end

-- fn raises on every 10th record: poll returns nil, err for it, and the records after it
-- in its batch come on the next poll, each once.
function modes.errors()
  local n, errors, last, gaps = 0, 0, -1, 0
  local c = assert(consumer.open(pin, function(ptr)
    local seq = tonumber(ffi.cast(seq_t, ptr).seq)
    if seq ~= last + 1 then gaps = gaps + 1 end
    last = seq
    n = n + 1
    if seq % 10 == 9 then error("every 10th") end
  end))
  while n < count do
    local got, err = c:poll(WAIT_MS)
    if not got then
      assert(err:find("every 10th", 1, true), err)
      errors = errors + 1
    end
  end
  c:close()
  print(("n=%d errors=%d gaps=%d last=%d"):format(n, errors, gaps, last))
end

function modes.empty()
  local c = assert(consumer.open(pin, function() error("no record expected") end))
  print(("poll0=%d poll50=%d"):format(assert(c:poll(0)), assert(c:poll(50))))
  c:close()
end

function modes.bad()
  print(select(2, consumer.open(pin, print)))
  print(select(2, consumer.open("/sys/fs/bpf", print)))
  print(select(2, consumer.open(pin, "not a function")))
  print(select(2, consumer.open_decoding(pin, "struct no_such_type", print)))
  print(select(2, consumer.with(pin, print, function() error("body must not run") end)))
end

local run = modes[mode]
if not run then
  io.stderr:write("usage: luajit consumer_lib.lua seq|decode|errors|with|empty|bad PIN [N]\n")
  os.exit(2)
end
run()
