-- Files a script writes for its user while running as root (profile.lua's --svg), opened
-- as ringlua opens -o's file (src/util/out_file.c, called through the FFI): never
-- through a symbolic link, never over a file someone else could have planted there for
-- root to overwrite.
--   local out_file = require("ringlua.out_file")
--   local f, err = out_file.open(path)   -- early: a refused path stops the run at start
--   f:write(text)
--   local ok, err = f:close()            -- the first write error, if any
local ffi = require("ffi")
local ringlua = require("ringlua")

local C = ffi.C
local ffi_string, ffi_errno, ffi_gc = ffi.string, ffi.errno, ffi.gc
local setmetatable, pcall = setmetatable, pcall

ringlua.declare_once("rl_out_file_open",
                     "int rl_out_file_open(const char *path, const char **why);")
ringlua.declare_once("write", "ssize_t write(int fd, const void *buf, size_t count);")
ringlua.declare_once("close", "int close(int fd);")
ringlua.declare_once("strerror", "char *strerror(int errnum);")

local _M = {}

-- A write a signal interrupted before it wrote anything is tried again.
local EINTR = 4

local why_t = ffi.typeof("const char *[1]")
local chars_t = ffi.typeof("const char *")
-- The descriptor in a cell the collector closes: a file a reloaded script left open (its
-- state is closed) does not stay open.
local fd_cell_t = ffi.typeof("int[1]")
local function close_cell(cell) C.close(cell[0]) end

local File = {}
File.__index = File

-- Writes all of text; returns the file, or nil and the error (kept for close).
function File:write(text)
  local fd, done, n = self.cell[0], 0, #text
  while done < n and not self.err do
    local wrote = C.write(fd, ffi.cast(chars_t, text) + done, n - done)
    if wrote >= 0 then
      done = done + wrote
    elseif ffi_errno() ~= EINTR then
      self.err = ffi_string(C.strerror(ffi_errno()))
    end
  end
  if self.err then return nil, self.err end
  return self
end

-- Closes the file; returns true, or nil and the first error of a write or the close.
function File:close()
  local cell = ffi_gc(self.cell, nil)
  if C.close(cell[0]) ~= 0 and not self.err then
    self.err = ffi_string(C.strerror(ffi_errno()))
  end
  if self.err then return nil, self.err end
  return true
end

-- Whether the host's C function is there (not in a plain luajit, as specs run).
local function in_host()
  return pcall(function() return C.rl_out_file_open end)
end

-- Opens path for writing (created 0644, or an existing file checked, then truncated);
-- returns the file, or nil and "path: why".
function _M.open(path)
  if not in_host() then return nil, path .. ": files are opened by ringlua's host" end
  local why = why_t()
  local fd = C.rl_out_file_open(path, why)
  if fd < 0 then return nil, path .. ": " .. ffi_string(why[0]) end
  return setmetatable({ cell = ffi_gc(fd_cell_t(fd), close_cell) }, File)
end

return _M
