-- Specs of ringlua.names: numbers as people read them.
local ffi = require("ffi")

ffi.cdef[[
const char *inet_ntop(int af, const void *src, char *dst, unsigned int size);
int inet_pton(int af, const char *src, void *dst);
]]
local AF_INET6 = 10

-- The 16 bytes of an IPv6 address written as text.
local function v6(text)
  local buf = ffi.new("uint8_t[16]")
  assert(ffi.C.inet_pton(AF_INET6, text, buf) == 1, text)
  return buf
end

-- What the C library writes for the same 16 bytes.
local function libc_v6(buf)
  local out = ffi.new("char[64]")
  return ffi.string(ffi.C.inet_ntop(AF_INET6, buf, out, 64))
end

-- A kallsyms file with the given lines, removed after the test.
local function kallsyms_file(lines)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  return path
end

-- The address of a text symbol in /proc/kallsyms, as a uint64.
local function kallsyms_address(symbol)
  for line in io.lines("/proc/kallsyms") do
    local hex, name = line:match("^(%x+) [tT] (%S+)$")
    if name == symbol then
      return ffi.new("uint64_t", tonumber(hex:sub(1, 8), 16)) * 2^32 + tonumber(hex:sub(9), 16)
    end
  end
end

describe("names", function()
  local names

  before_each(function()
    package.loaded["ringlua.names"] = nil
    names = require("ringlua.names")
  end)

  describe("system calls", function()
    it("names a system call by its number on this architecture", function()
      assert.are.equal("read", names.syscall_name(0))
      assert.are.equal("execve", names.syscall_name(59))
      assert.are.equal("openat", names.syscall_name(257))
    end)

    it("takes the number as a 64-bit cdata, as event fields hold it", function()
      assert.are.equal("write", names.syscall_name(ffi.new("int64_t", 1)))
    end)

    it("gives nil for a number that is no system call", function()
      assert.is_nil(names.syscall_name(-1))
      assert.is_nil(names.syscall_name(100000))
    end)

    it("makes no garbage naming the number of an event's 64-bit field", function()
      local ev = ffi.new("struct { int64_t nr; }[1]")
      local syscall_name = names.syscall_name
      local seen = 0
      local function name_events(rounds)
        for i = 1, rounds do
          ev[0].nr = i % 300
          if syscall_name(ev[0].nr) then seen = seen + 1 end
        end
      end
      name_events(20000) -- warm up: let the loop compile
      collectgarbage("collect")
      collectgarbage("stop")
      local before = collectgarbage("count")
      name_events(1000000)
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_true(seen > 0)
      assert.is_true(grown < 64, ("heap grew by %.1f KB over 1M calls"):format(grown))
    end)

    it("finds the number of a system call by name", function()
      assert.are.equal(59, names.syscall_number("execve"))
      assert.is_nil(names.syscall_number("no_such_call"))
    end)

    it("knows every system call the headers number", function()
      local header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
      local count = 0
      for line in io.lines(header) do
        local name, nr = line:match("^#define __NR_(%S+) (%d+)")
        if name then
          assert.are.equal(name, names.syscall_name(tonumber(nr)))
          count = count + 1
        end
      end
      assert.is_true(count > 300)
    end)
  end)

  describe("errors and signals", function()
    it("names an error number", function()
      assert.are.equal("ENOENT", names.errno_name(2))
      assert.are.equal("EAGAIN", names.errno_name(11))
    end)

    it("names a negative error as the kernel returns it", function()
      assert.are.equal("ENOENT", names.errno_name(-2))
      assert.are.equal("EHWPOISON", names.errno_name(-133))
    end)

    it("gives the first name of a number that has two", function()
      assert.are.equal("EDEADLK", names.errno_name(35))
      assert.are.equal("SIGABRT", names.signal_name(6))
    end)

    it("names a signal", function()
      assert.are.equal("SIGKILL", names.signal_name(9))
      assert.are.equal("SIGCHLD", names.signal_name(17))
      assert.are.equal("SIGSYS", names.signal_name(31))
    end)

    it("numbers real-time signals from the kernel's SIGRTMIN", function()
      assert.are.equal("SIGRTMIN", names.signal_name(32))
      assert.are.equal("SIGRTMIN+2", names.signal_name(34))
      assert.are.equal("SIGRTMIN+32", names.signal_name(64))
      assert.is_nil(names.signal_name(65))
      assert.is_nil(names.signal_name(0))
    end)
  end)

  describe("addresses", function()
    it("writes an IPv4 address from a 4-byte array", function()
      assert.are.equal("192.168.1.20", names.inet(ffi.new("uint8_t[4]", { 192, 168, 1, 20 })))
    end)

    it("writes an address from a pointer and a length", function()
      local buf = ffi.new("uint8_t[8]", { 0, 0, 10, 0, 0, 1 })
      assert.are.equal("10.0.0.1", names.inet(ffi.cast("const uint8_t *", buf) + 2, 4))
    end)

    it("writes an IPv4 address from the number a __be32 field reads as", function()
      local ev = ffi.new("struct { uint32_t daddr; }")
      ffi.copy(ffi.cast("uint8_t *", ev), "\10\1\2\3", 4)
      assert.are.equal("10.1.2.3", names.inet(ev.daddr))
    end)

    it("writes an address from a Lua string of its bytes", function()
      assert.are.equal("127.0.0.1", names.inet("\127\0\0\1"))
    end)

    it("compresses the longest run of zero groups in IPv6", function()
      assert.are.equal("2001:db8::1", names.inet(v6("2001:0db8:0:0:0:0:0:1")))
      assert.are.equal("::", names.inet(v6("0:0:0:0:0:0:0:0")))
      assert.are.equal("::1", names.inet(v6("0:0:0:0:0:0:0:1")))
      assert.are.equal("fe80::", names.inet(v6("fe80:0:0:0:0:0:0:0")))
    end)

    it("compresses the first of two equally long runs", function()
      assert.are.equal("2001:db8::1:0:0:1", names.inet(v6("2001:db8:0:0:1:0:0:1")))
    end)

    it("does not compress a single zero group", function()
      assert.are.equal("2001:db8:0:1:1:1:1:1", names.inet(v6("2001:db8:0:1:1:1:1:1")))
    end)

    it("writes IPv4-mapped addresses in dotted decimal", function()
      assert.are.equal("::ffff:192.0.2.1", names.inet(v6("::ffff:192.0.2.1")))
    end)

    it("agrees with the C library's inet_ntop on many addresses", function()
      -- Groups drawn from a few values so that zero runs of every length and place occur.
      local values = { 0, 0, 0, 1, 0xffff, 0xdb8, 0xabcd }
      local seed = 12345
      local buf = ffi.new("uint8_t[16]")
      for _ = 1, 5000 do
        for g = 0, 7 do
          seed = (seed * 1103515245 + 12345) % 2147483648
          local v = values[seed % #values + 1]
          buf[2 * g], buf[2 * g + 1] = math.floor(v / 256), v % 256
        end
        assert.are.equal(libc_v6(buf), names.inet(buf))
      end
    end)

    it("refuses a buffer that is neither 4 nor 16 bytes", function()
      assert.has_error(function() names.inet(ffi.new("uint8_t[6]")) end,
        "names.inet: an address is 4 or 16 bytes, got 6 (give the length with a pointer)")
    end)

    it("reads a port in network byte order", function()
      local field = ffi.new("uint16_t[1]")
      ffi.copy(field, "\0\22", 2) -- port 22 as it is on the wire
      assert.are.equal(22, names.port(field[0]))
      ffi.copy(field, "\1\187", 2)
      assert.are.equal(443, names.port(field[0]))
    end)
  end)

  describe("kernel symbols", function()
    local path

    after_each(function()
      if path then os.remove(path) end
      path = nil
    end)

    it("finds the symbol an address falls in, with the offset into it", function()
      path = kallsyms_file({
        "ffffffff81000200 T second",
        "ffffffff81000000 T first",
        "ffffffffc0001000 t in_module\t[mod]",
      })
      assert.is_true(names.use_kallsyms(path))
      assert.are.equal("first+0x0", names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0x81000000))
      assert.are.equal("first+0x1ff", names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0x810001ff))
      assert.are.equal("second+0x10", names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0x81000210))
      assert.are.equal("in_module+0x4", names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0xc0001004))
    end)

    it("gives nil below the first symbol", function()
      path = kallsyms_file({ "ffffffff81000000 T first" })
      names.use_kallsyms(path)
      assert.is_nil(names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0x80ffffff))
    end)

    it("keeps the first listed of symbols at one address, and only text symbols", function()
      path = kallsyms_file({
        "ffffffff81000000 T _stext",
        "ffffffff81000000 T _text",
        "ffffffff81000100 D some_data",
        "0000000000000000 T hidden",
      })
      names.use_kallsyms(path)
      assert.are.equal("_stext+0x180", names.ksym(ffi.new("uint64_t", 0xffffffff) * 2^32 + 0x81000180))
    end)

    it("says why when a file holds no addresses", function()
      path = kallsyms_file({ "0000000000000000 T hidden" })
      local ok, err = names.use_kallsyms(path)
      assert.is_nil(ok)
      assert.are.equal(path .. ": no symbol addresses (run as root?)", err)
    end)

    it("reads /proc/kallsyms at first use", function()
      local addr = kallsyms_address("vfs_read")
      assert.is_not_nil(addr)
      assert.are.equal("vfs_read+0x0", names.ksym(addr))
      assert.are.equal("vfs_read+0x3", names.ksym(addr + 3))
    end)
  end)

  describe("time", function()
    local function clock_ns(id)
      local ts = ffi.new("struct timespec")
      ffi.C.clock_gettime(id, ts)
      return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
    end

    it("turns a monotonic timestamp into wall-clock seconds", function()
      local mono = clock_ns(1)
      local real = clock_ns(0) / 1e9
      assert.is_true(math.abs(names.wall_time(mono) - real) < 1)
    end)

    it("takes the timestamp as a uint64 cdata, as events carry it", function()
      local mono = clock_ns(1)
      assert.are.equal(names.wall_time(mono), names.wall_time(ffi.new("uint64_t", mono)))
    end)

    it("measures the distance between the clocks once", function()
      local t = names.wall_time(1e9)
      assert.are.equal(t, names.wall_time(1e9))
      assert.is_true(math.abs(names.wall_time(2e9) - (t + 1)) < 1e-5)
    end)

    it("writes the local time of day as HH:MM:SS", function()
      local ts = 5e9
      local expected = os.date("%H:%M:%S", math.floor(names.wall_time(ts)))
      assert.are.equal(expected, names.hms(ts))
      assert.truthy(names.hms(ts):match("^%d%d:%d%d:%d%d$"))
    end)
  end)
end)
