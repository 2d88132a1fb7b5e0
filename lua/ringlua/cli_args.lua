-- Options of the ready scripts, given after `--` on ringlua's command line:
--   ringlua -p 1234 scripts/opensnoop.lua -- -x -n bash
-- A script describes its options once; the same description parses them and writes
-- its --help.
--   local cli_args = require("ringlua.cli_args")
--   local SPEC = {
--     name = "opensnoop", about = "One line per open.",
--     options = {
--       { "x", "failed", help = "failed opens only" },
--       { "n", "name", arg = "NAME", help = "only commands whose name contains NAME" },
--       { "P", "port", arg = "PORTS", convert = cli_args.list(cli_args.integer(1, 65535)) },
--     },
--   }
--   local opts = cli_args.parse_or_exit(SPEC, args)   -- in on_init(args)
--   opts.failed, opts.name, opts.port                 -- by long name
-- A flag is true when given, false otherwise; an option with `arg` is its converted
-- value, or its `default` (nil without one).
local _M = {}

-- What every ready script's help ends with: filters that run in the kernel are
-- ringlua's own options, given before the script.
local KERNEL_FILTERS = [[
Filters in the kernel are ringlua's own options, before the script:
  -p PID        only process PID (ringlua stops when it exits)
  --uid USER    only tasks of this real user (an id or a name)
  --comm NAME   only tasks named NAME (1 to 15 characters)
]]

-- Exit codes: as ringlua's own, 2 for a usage error.
local EXIT_OK, EXIT_USAGE = 0, 2

--------------------------------------------------------------------------------------------
-- Converters: text -> value, or nil and why.

-- Whole numbers from min to max (either may be nil: no bound).
function _M.integer(min, max)
  return function(text)
    local n = text:match("^%d+$") and tonumber(text)
    if n and (min == nil or n >= min) and (max == nil or n <= max) then return n end
    if min and max then return nil, "a whole number from " .. min .. " to " .. max end
    if min then return nil, "a whole number from " .. min .. " up" end
    return nil, "a whole number"
  end
end

-- A comma-separated list of what convert takes, in order and as a set:
-- "80,443" -> { list = { 80, 443 }, set = { [80] = true, [443] = true } }.
function _M.list(convert)
  return function(text)
    local values = {}
    for item in (text .. ","):gmatch("([^,]*),") do
      local v, why = convert(item)
      if v == nil then return nil, "a comma-separated list of " .. why end
      values[#values + 1] = v
    end
    local set = {}
    for _, v in ipairs(values) do set[v] = true end
    return { list = values, set = set }
  end
end

--------------------------------------------------------------------------------------------
-- Parsing.

-- The option of spec named by a short letter or a long name; nil if none.
local function find_option(spec, short, long)
  for _, opt in ipairs(spec.options) do
    if (short and opt[1] == short) or (long and opt[2] == long) then return opt end
  end
end

-- Stores opt's value from text (nil: a flag, or no value given); returns nil, why on a bad one.
local function store(opts, opt, text, shown)
  if not opt.arg then
    if text ~= nil then return nil, shown .. " takes no value" end
    opts[opt[2]] = true
    return true
  end
  if text == nil then return nil, shown .. " needs a value (" .. opt.arg .. ")" end
  local value, why = text, nil
  if opt.convert then value, why = opt.convert(text) end
  if value == nil then return nil, shown .. ": '" .. text .. "' is not " .. why end
  opts[opt[2]] = value
  return true
end

-- The options in args: a table by long name, or nil and a one-line message.
-- {help = true} when -h or --help was given.
function _M.parse(spec, args)
  local opts = { help = false }
  for _, opt in ipairs(spec.options) do
    if opt.arg then opts[opt[2]] = opt.default else opts[opt[2]] = false end
  end
  local i = 1
  -- The value of an option: the rest of its word, or the next word.
  local function value_after(rest)
    if rest ~= nil and rest ~= "" then return rest end
    i = i + 1
    return args[i]
  end
  while i <= #args do
    local word = args[i]
    local ok, why = true, nil
    if word == "-h" or word == "--help" then
      opts.help = true
    elseif word == "--" then -- nothing after it is an option, and scripts take no operands
      if args[i + 1] then return nil, "unexpected argument '" .. args[i + 1] .. "'" end
    elseif word:sub(1, 2) == "--" and #word > 2 then
      local long, inline = word:match("^%-%-([^=]+)=(.*)$")
      long = long or word:sub(3)
      local opt = find_option(spec, nil, long)
      if not opt then return nil, "unknown option '--" .. long .. "'" end
      if opt.arg and inline == nil then inline = value_after(nil) end
      ok, why = store(opts, opt, inline, "--" .. long)
    elseif word:sub(1, 1) == "-" and #word > 1 then
      -- Short options, grouped (-xt) or with their value (-nbash, -n bash).
      local at = 2
      while ok and at <= #word do
        local letter = word:sub(at, at)
        local opt = find_option(spec, letter, nil)
        if not opt then return nil, "unknown option '-" .. letter .. "'" end
        if opt.arg then
          ok, why = store(opts, opt, value_after(word:sub(at + 1)), "-" .. letter)
          break
        end
        ok, why = store(opts, opt, nil, "-" .. letter)
        at = at + 1
      end
    else
      return nil, "unexpected argument '" .. word .. "'"
    end
    if not ok then return nil, why end
    i = i + 1
  end
  return opts
end

--------------------------------------------------------------------------------------------
-- Help.

-- The help text of spec.
function _M.help(spec)
  local lines = {
    "usage: ringlua [-p PID] [--uid USER] [--comm NAME] scripts/" .. spec.name
      .. ".lua [-- OPTIONS]",
    spec.about,
    "",
    "options (after --):",
  }
  local rows, width = {}, 0
  for _, opt in ipairs(spec.options) do
    local left = (opt[1] and "-" .. opt[1] .. ", " or "    ") .. "--" .. opt[2]
    if opt.arg then left = left .. " " .. opt.arg end
    rows[#rows + 1] = { left, opt.help or "" }
    if #left > width then width = #left end
  end
  rows[#rows + 1] = { "-h, --help", "this help" }
  for _, row in ipairs(rows) do
    lines[#lines + 1] = string.format("  %-" .. width .. "s  %s", row[1], row[2])
  end
  if spec.notes then
    lines[#lines + 1] = ""
    lines[#lines + 1] = spec.notes
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = KERNEL_FILTERS
  return table.concat(lines, "\n")
end

-- A usage error of the script: one line to stderr, exit 2 (as ringlua's own).
function _M.usage_error(spec, why)
  io.stderr:write(spec.name, ": ", why, " (see -- --help)\n")
  os.exit(EXIT_USAGE)
end

-- parse(spec, args) for a script's on_init: --help prints the help and exits 0; a bad
-- argument is a usage error.
function _M.parse_or_exit(spec, args)
  local opts, why = _M.parse(spec, args)
  if not opts then _M.usage_error(spec, why) end
  if opts.help then
    io.stdout:write(_M.help(spec))
    os.exit(EXIT_OK)
  end
  return opts
end

return _M
