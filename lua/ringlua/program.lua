-- The program form of a script: clauses `PROBE[,PROBE] [/PREDICATE/] { LUA }`, as
-- bpftrace writes them, turned into the Lua script the host runs (a `source` list,
-- handlers with the predicates checked, BEGIN as on_init, END as on_exit before the
-- aggregations print, interval clauses on on_tick). Text not in that form is left to be
-- loaded as a plain Lua script.
--   local program = require("ringlua.program")
--   local code, err, usage = program.translate(text, "-e", { "exec", "syscalls" })
--   -- code: Lua source for the same chunk name; nil, nil: not a program;
--   -- nil, err, usage: a program with an error (usage: an unknown probe)
-- The generated source keeps every clause's body and predicate on their own lines, so
-- that errors at run time name the lines of the program.
local _M = {}

local find, sub, byte, format = string.find, string.sub, string.byte, string.format
local select, tonumber, ipairs, pairs, type = select, tonumber, ipairs, pairs, type
local concat = table.concat

-- The aggregation functions of a clause, bpftrace's: each call site is one aggregation.
local AGGREGATIONS = { count = true, sum = true, min = true, max = true, avg = true,
                       hist = true, lhist = true }
-- The names a clause of an event has in scope, from the event's header.
local HEADER_NAMES = { "pid", "tid", "ppid", "uid", "cpu", "comm", "ts", "probe", "kstack",
                       "ustack" }
local IS_HEADER = {}
for _, name in ipairs(HEADER_NAMES) do IS_HEADER[name] = true end
-- bpftrace's short probe prefixes, and the kind of probe each full one is.
local PREFIXES = { t = "tracepoint", tp = "tracepoint", tracepoint = "tracepoint",
                   u = "uprobe", uprobe = "uprobe", ur = "uretprobe",
                   uretprobe = "uretprobe", U = "usdt", usdt = "usdt", p = "profile",
                   profile = "profile", i = "interval", interval = "interval" }
local KIND = { tracepoint = "tracepoint", uprobe = "uprobe", uretprobe = "uprobe",
               usdt = "usdt", profile = "profile" }
-- Probes whose word holds a PATH (it may hold slashes) up to its next colon.
local UPROBE_PREFIX = { u = true, uprobe = true, ur = true, uretprobe = true, U = true,
                        usdt = true }
-- Kinds whose records say which probe of the list they come from, and whose str(e.argN)
-- the kernel reads at the probe, with the arguments each has.
local LISTED = { tracepoint = true, uprobe = true, usdt = true }
local STR_ARGS = { uprobe = "^arg[0-5]$", usdt = "^arg%d%d?$" }
local STR_ARG_MAX = { uprobe = 5, usdt = 11 }
local KIND_NAME = { uprobe = "uprobe", usdt = "USDT probe" }
local NEWLINE = byte("\n")

----------------------------------------------------------------------------------------
-- Lexing: just enough of Lua's to know where strings, comments and long brackets are,
-- and which words are names.

-- The end of a long bracket opened at i ("[[", "[==["), or nil when none opens there;
-- false when it is never closed.
local function long_bracket_end(s, i)
  local _, open_end, eqs = find(s, "^%[(=*)%[", i)
  if not open_end then return nil end
  local _, close_end = find(s, "]" .. eqs .. "]", open_end + 1, true)
  return close_end or false
end

-- The end of the quoted string opened at i, or false when the line or text ends first.
local function quoted_end(s, i)
  local quote, j = sub(s, i, i), i + 1
  while true do
    local c = sub(s, j, j)
    if c == "" or c == "\n" then return false end
    if c == "\\" then
      j = j + 2
    elseif c == quote then
      return j
    else
      j = j + 1
    end
  end
end

-- The next token at or after i: kind ("space", "comment", "string", "name", "number",
-- "op", "eof"), its first and last index. An unfinished string or long bracket is a
-- token of kind "unfinished".
local function next_token(s, i)
  if i > #s then return "eof", i, i - 1 end
  local c = sub(s, i, i)
  local _, e = find(s, "^%s+", i)
  if e then return "space", i, e end
  if c == "-" and sub(s, i + 1, i + 1) == "-" then
    local long = long_bracket_end(s, i + 2)
    if long == false then return "unfinished", i, #s end
    if long then return "comment", i, long end
    _, e = find(s, "\n", i + 2, true)
    return "comment", i, (e or #s + 1) - 1
  end
  if c == "'" or c == '"' then
    e = quoted_end(s, i)
    if not e then return "unfinished", i, #s end
    return "string", i, e
  end
  if c == "[" then
    local long = long_bracket_end(s, i)
    if long == false then return "unfinished", i, #s end
    if long then return "string", i, long end
  end
  _, e = find(s, "^[%a_][%w_]*", i)
  if e then return "name", i, e end
  _, e = find(s, "^%.?%d[%w_%.]*", i)
  if e then
    -- An exponent's sign belongs to the number ("1e-5").
    while find(s, "^[eEpP]$", e) and find(s, "^[%+%-]%d", e + 1) do
      _, e = find(s, "^[%+%-][%w_%.]*", e + 1)
    end
    return "number", i, e
  end
  _, e = find(s, "^%.%.%.?", i)
  if e then return "op", i, e end
  return "op", i, i
end

-- The first index at or after i that is not space or a comment.
local function skip_blank(s, i)
  while true do
    local kind, _, e = next_token(s, i)
    if kind ~= "space" and kind ~= "comment" then return i end
    i = e + 1
  end
end

-- Line and column of index i.
local function position(s, i)
  local line, line_start = 1, 1
  for j = 1, i - 1 do
    if byte(s, j) == NEWLINE then line, line_start = line + 1, j + 1 end
  end
  return line, i - line_start + 1
end

----------------------------------------------------------------------------------------
-- Probes.

-- The probe word at i: for uprobes and USDT probes the path runs to the next colon (it
-- may hold slashes), then the function (or PROVIDER:NAME) to a space, comma, brace or
-- slash; others end at any of these. Returns its last index (i - 1 when there is none).
local function probe_end(s, i)
  local _, e, prefix = find(s, "^([%a_]+):", i)
  if e and UPROBE_PREFIX[prefix] then
    local _, path_end = find(s, "^[^:%s{}]*:", e + 1)
    if path_end then e = path_end end
  end
  local _, word_end = find(s, "^[^%s,{}/]*", e and e + 1 or i)
  return word_end
end

-- A probe as -s takes it, its kind, and the interval period in ms for interval
-- probes; or nil and why it is not one. sources: the built-in sources' names.
local function parse_probe(word, sources)
  if word == "BEGIN" or word == "END" then return word, word end
  if sources[word] then return word, word == "profile" and "profile" or "source:" .. word end
  local prefix, rest = word:match("^([%a_]+):(.+)$")
  local full = PREFIXES[prefix]
  if not full then return nil, "unknown probe '" .. word .. "'" end
  if full == "interval" then
    local unit, n = rest:match("^(m?s):(%d+)$")
    n = tonumber(n)
    if not n or n < 1 then
      return nil, "an interval is interval:s:N or interval:ms:N (N >= 1), not '" .. word .. "'"
    end
    return "interval", "interval", unit == "s" and n * 1000 or n
  end
  if full == "tracepoint" and not rest:match("^[%w_%*%?]+:[%w_%*%?]+$") then
    return nil, "a tracepoint is tracepoint:CATEGORY:NAME, not '" .. word .. "'"
  end
  if KIND[full] == "uprobe" and not rest:match("^[^:]+:[^:]+$") then
    return nil, "a uprobe is " .. full .. ":PATH:FUNCTION, not '" .. word .. "'"
  end
  if full == "usdt" and not (rest:match("^[^:]+:[^:]+$") or
                             rest:match("^[^:]+:[^:]+:[^:]+$")) then
    return nil, "a USDT probe is usdt:PATH:[PROVIDER:]NAME, not '" .. word .. "'"
  end
  if full == "profile" and not rest:match("^hz:%d+$") then
    return nil, "a profile probe is profile:hz:N, not '" .. word .. "'"
  end
  return full .. ":" .. rest, KIND[full]
end

----------------------------------------------------------------------------------------
-- Clauses.

-- An error at index i of clause n (its probes: what, nil before they are known).
local function clause_error(ctx, n, what, i, message)
  local line, col = position(ctx.text, i)
  local clause = what and format("clause %d (%s)", n, what) or format("clause %d", n)
  return format("%s: %s, line %d, column %d: %s", ctx.name, clause, line, col, message)
end

-- Scans Lua from i: calls each(kind, first, last) for every token but spaces and
-- comments, until stop(kind, first) says so. Returns the index where it stopped, or nil
-- and the index of an unfinished string or comment, or of the end of the text.
local function scan(s, i, stop, each)
  while true do
    local kind, first, last = next_token(s, i)
    if kind == "unfinished" then return nil, first end
    if kind == "eof" then return nil, first end
    if kind ~= "space" and kind ~= "comment" then
      if stop(kind, first) then return first end
      if each then each(kind, first, last) end
    end
    i = last + 1
  end
end

-- A named aggregation's call: `@NAME = count(` ends at the call's name at last. Returns
-- the name and the index of its '@', or nil. earlier: the three tokens before the call
-- as {first, last} pairs, the nearest last.
local function call_name(s, earlier)
  local at, name, eq = earlier[3], earlier[2], earlier[1]
  if not (at and sub(s, at[1], at[2]) == "@" and sub(s, eq[1], eq[2]) == "=") then return nil end
  local word = sub(s, name[1], name[2])
  if not find(word, "^[%a_][%w_]*$") or skip_blank(s, at[2] + 1) ~= name[1] then return nil end
  return "@" .. word, at[1]
end

-- A call `str(e.FIELD)` at first..last (the name str), as {first=, last=, field=} with
-- last at its ')'; or a str call of another form, with no field.
local function str_call(s, first, last)
  local _, close, field = find(s, "^%(%s*e%s*%.%s*([%a_][%w_]*)%s*%)", skip_blank(s, last + 1))
  return { first = first, last = close or last, field = field }
end

-- A scan's callback that notes, into clause, the aggregation calls (`count(`, not
-- `x.count(`; `@NAME = count(` names one), the `str(` calls, and the header names and
-- `e` the text uses.
local function noter(s, clause)
  local before -- the token before this one
  local earlier = {} -- the tokens before, the nearest first
  return function(kind, first, last)
    local word = kind == "name" and sub(s, first, last)
    if word and before ~= "." and before ~= ":" then
      local after = skip_blank(s, last + 1)
      local called = sub(s, after, after) == "("
      if AGGREGATIONS[word] and called then
        local name, at = call_name(s, earlier)
        clause.calls[#clause.calls + 1] = { kind = word, first = at or first, last = last,
                                            name = name, word_first = first }
      elseif word == "str" and called then
        clause.strs[#clause.strs + 1] = str_call(s, first, last)
        clause.uses.e = true
      end
      if IS_HEADER[word] or word == "e" then clause.uses[word] = true end
    end
    before = kind == "op" and sub(s, first, last) or kind
    table.insert(earlier, 1, { first, last })
    earlier[4] = nil
  end
end

-- Where a scan that found no end stopped (at): an unfinished string or comment there,
-- else the end of the text. Returns the index and the message of the error.
local function unclosed(s, at, opened, what_missing)
  if next_token(s, at) == "unfinished" then return at, "unfinished string or comment" end
  return opened, what_missing
end

-- The predicate after the probes, from the '/' at i: it ends at the last '/' at bracket
-- depth 0 before the '{' that opens the body, so a division inside it is no end.
-- Returns the predicate's text and the index of that '{', or nil and an error.
local function read_predicate(ctx, n, clause, i)
  local s, depth, last_slash = ctx.text, 0, nil
  local note = noter(s, clause)
  local brace, at = scan(s, i + 1, function(kind, first)
    local c = kind == "op" and sub(s, first, first)
    if c == "(" or c == "[" then depth = depth + 1
    elseif c == ")" or c == "]" then depth = depth - 1
    elseif c == "/" and depth == 0 then last_slash = first
    end
    return c == "{" and depth == 0
  end, note)
  if not brace or not last_slash then
    local where, why = unclosed(s, at or i, i, "predicate not closed: /PREDICATE/ { ... }")
    return nil, clause_error(ctx, n, clause.what, where, why)
  end
  if skip_blank(s, last_slash + 1) ~= brace then
    return nil, clause_error(ctx, n, clause.what, last_slash,
                             "unexpected text between the predicate and '{'")
  end
  if find(sub(s, i + 1, last_slash - 1), "^%s*$") then
    return nil, clause_error(ctx, n, clause.what, i, "empty predicate")
  end
  return sub(s, i + 1, last_slash - 1), brace
end

-- The body from the '{' at i to its matching '}' (braces of strings, comments and long
-- brackets do not count), its calls and names noted into clause. Returns the index of
-- the '}', or nil and an error.
local function read_body(ctx, n, clause, i)
  local s, depth = ctx.text, 0
  local close, at = scan(s, i + 1, function(kind, first)
    local c = kind == "op" and sub(s, first, first)
    if c == "{" then depth = depth + 1
    elseif c == "}" then
      if depth == 0 then return true end
      depth = depth - 1
    end
    return false
  end, noter(s, clause))
  if not close then
    local where, why = unclosed(s, at, i, "'}' missing: the clause is not closed")
    return nil, clause_error(ctx, n, clause.what, where, why)
  end
  return close
end

-- The probe list of clause n from i into clause (probes, kinds, period, what). Returns
-- the index after it, or nil, an error and true (a usage error).
local function read_probes(ctx, n, i, clause)
  local s, words = ctx.text, {}
  repeat
    local word_end = probe_end(s, i)
    local word = sub(s, i, word_end)
    if word == "" then return nil, clause_error(ctx, n, nil, i, "expected a probe"), true end
    local probe, kind, period = parse_probe(word, ctx.sources)
    if not probe then return nil, clause_error(ctx, n, nil, i, kind), true end
    clause.probes[#clause.probes + 1] = probe
    clause.kinds[#clause.kinds + 1] = kind
    clause.period = clause.period or period
    words[#words + 1] = word
    i = skip_blank(s, word_end + 1)
    local more = sub(s, i, i) == ","
    if more then i = skip_blank(s, i + 1) end
  until not more
  clause.what = concat(words, ",")
  for _, kind in ipairs(clause.kinds) do
    if (kind == "BEGIN" or kind == "END" or kind == "interval") and #words > 1 then
      return nil, clause_error(ctx, n, clause.what, clause.first,
                               kind .. " is a clause of its own, not in a list of probes"), true
    end
  end
  return i
end

-- One clause from i (a probe word): a table {probes=, kinds=, period=, what=, pred=,
-- pred_first=, body_first=, body_last=, calls=, strs=, uses=, first=}. Returns it and the
-- index after it, or nil, an error and whether it is a usage error (an unknown probe).
local function read_clause(ctx, n, i)
  local s = ctx.text
  local clause = { probes = {}, kinds = {}, calls = {}, strs = {}, uses = {}, first = i }
  local err, usage
  i, err, usage = read_probes(ctx, n, i, clause)
  if not i then return nil, err, usage end
  local c = sub(s, i, i)
  if c == "/" then
    clause.pred_first = i + 1
    clause.pred, i = read_predicate(ctx, n, clause, i)
    if not clause.pred then return nil, i end
  elseif c ~= "{" then
    return nil, clause_error(ctx, n, clause.what, i, "expected '{' or /PREDICATE/ after the probe")
  end
  local close
  close, err = read_body(ctx, n, clause, i)
  if not close then return nil, err end
  clause.body_first, clause.body_last = i + 1, close - 1
  return clause, close + 1
end

-- Whether text starts as a program does: with a word of two colons, which no Lua
-- statement starts with; or BEGIN, END or a built-in source before a '{', '/' or ','
-- (`name { ... }` is also a Lua call, but not one a script would start with).
local function looks_like_program(s, sources)
  local i = skip_blank(s, 1)
  local word_end = probe_end(s, i)
  local word = sub(s, i, word_end)
  if select(2, word:gsub(":", "")) >= 2 then return true end
  if not (word == "BEGIN" or word == "END" or sources[word]) then return false end
  local next_char = sub(s, skip_blank(s, word_end + 1), skip_blank(s, word_end + 1))
  return next_char == "{" or next_char == "/" or next_char == ","
end

----------------------------------------------------------------------------------------
-- Generating the script.

-- The probes the program traces, in order, once each, and their one kind; or nil and
-- why they do not go together (-s takes a list of tracepoints, or of uprobes, or of
-- USDT probes, or one source).
local function traced_probes(clauses)
  local list, seen, kind = {}, {}, nil
  for _, c in ipairs(clauses) do
    for j, probe in ipairs(c.probes) do
      local k = c.kinds[j]
      if k ~= "BEGIN" and k ~= "END" and k ~= "interval" and not seen[probe] then
        if kind and (kind ~= k or not LISTED[k]) then
          return nil, "'" .. probe .. "' does not go with '" .. list[1] .. "': a program " ..
                      "traces tracepoints, or uprobes, or USDT probes, or one source, as " ..
                      "-s takes them"
        end
        kind = k
        seen[probe] = true
        list[#list + 1] = probe
      end
    end
  end
  return list, kind
end

-- The aggregations' names, and an id for each call site (__aggN): a named one is its
-- name ("@reads"), and call sites of one name and kind share it; of the unnamed, a
-- program's only aggregation is "@", else each is "@KIND" by kind, with a number after
-- the first of a kind ("@count", "@count_2"). Returns the calls, or nil and an error.
local function name_aggregations(ctx, clauses)
  local all, by_name, by_kind, ids = {}, {}, {}, 0
  for _, c in ipairs(clauses) do
    for _, call in ipairs(c.calls) do all[#all + 1] = call end
  end
  for _, call in ipairs(all) do
    local same = call.name and by_name[call.name]
    if same and same.kind ~= call.kind then
      local line, col = position(ctx.text, call.first)
      return nil, format("%s: line %d, column %d: %s is a %s already, not a %s", ctx.name,
                         line, col, call.name, same.kind, call.kind)
    end
    if same then
      call.id = same.id
    else
      ids = ids + 1
      call.id = ids
      if call.name then by_name[call.name] = call end
    end
  end
  for _, call in ipairs(all) do
    if call.name then
      -- named above
    elseif ids == 1 then
      call.name = "@"
    else
      by_kind[call.kind] = (by_kind[call.kind] or 0) + 1
      local n = by_kind[call.kind]
      call.name = "@" .. call.kind .. (n > 1 and "_" .. n or "")
    end
  end
  return all
end

----------------------------------------------------------------------------------------
-- Counting in the kernel: a clause of tracepoints that only aggregates, by the header's
-- fields, with no predicate, becomes a kernel aggregation (agg's kernel = true) and no
-- handler; a program of such clauses alone has no records sent to the ring at all.

-- The header's fields a kernel aggregation may key by (struct tp_header's; every
-- tracepoint's record starts with it, so any probe has them).
local KERNEL_KEYS = { comm = true, pid = true, tid = true, ppid = true, uid = true, cpu = true }
local KERNEL_AGGREGATIONS = 8 -- kernel aggregations a script may have (agg_kernel)
local KERNEL_NAME_MAX = 31 -- the bytes of a name the program keeps, but its NUL

-- The arguments of the call whose '(' is at i, if each is a header name, `e.FIELD` or a
-- number: a list of {header=} / {field=} / {number=}, and the index after the ')'.
local function simple_args(s, i)
  local args = {}
  i = skip_blank(s, i + 1)
  if sub(s, i, i) == ")" then return args, i + 1 end
  while true do
    local kind, first, last = next_token(s, i)
    local word, arg = kind == "name" and sub(s, first, last), nil
    if word == "e" and sub(s, skip_blank(s, last + 1), skip_blank(s, last + 1)) == "." then
      local field_kind, field_first, field_last = next_token(s, skip_blank(s, skip_blank(s, last + 1) + 1))
      if field_kind ~= "name" then return nil end
      arg, last = { field = sub(s, field_first, field_last) }, field_last
    elseif word and KERNEL_KEYS[word] then
      arg = { header = word }
    elseif kind == "number" and tonumber(sub(s, first, last)) then
      arg = { number = tonumber(sub(s, first, last)) }
    else
      return nil
    end
    args[#args + 1] = arg
    i = skip_blank(s, last + 1)
    local c = sub(s, i, i)
    if c == ")" then return args, i + 1 end
    if c ~= "," then return nil end
    i = skip_blank(s, i + 1)
  end
end

-- The kernel aggregation one call's arguments make, {key=, value=, lo=, hi=, step=}, or
-- nil. value_field: whether a field of the record may be the value (one probe's record).
local function kernel_spec(kind, args, value_field)
  local spec, first_key = { key = {} }, 1
  if kind ~= "count" then
    local v = args[1]
    if not v or v.number or (v.field and not value_field) then return nil end
    spec.value, first_key = v.header or v.field, 2
  end
  if kind == "lhist" then
    local lo, hi, step = args[2], args[3], args[4]
    if not (lo and hi and step and lo.number and hi.number and step.number) then return nil end
    spec.lo, spec.hi, spec.step, first_key = lo.number, hi.number, step.number, 5
  end
  for i = first_key, #args do
    if not args[i].header then return nil end
    spec.key[#spec.key + 1] = args[i].header
  end
  if #spec.key > 4 then return nil end
  return spec
end

-- Whether clause c can count in the kernel: sets each call's .kernel (its spec and
-- probe) and c.kernel. all_probes: the program's probes, as a set; sites: call sites
-- by name.
local function plan_clause(s, c, all_probes, sites)
  if c.kinds[1] ~= "tracepoint" or c.pred or not c.calls[1] then return end
  local mine, covers_all = {}, true
  for _, probe in ipairs(c.probes) do mine[probe] = true end
  for probe in pairs(all_probes) do covers_all = covers_all and mine[probe] == true end
  local one_probe = #c.probes == 1 and not find(c.probes[1], "[%*%?]") and c.probes[1]
  if not covers_all and not one_probe then return end
  local at, specs = skip_blank(s, c.body_first), {}
  for i, call in ipairs(c.calls) do
    if call.first ~= at or sites[call.name] > 1 or #call.name > KERNEL_NAME_MAX then return end
    local open = skip_blank(s, call.last + 1)
    local args, after = simple_args(s, open)
    local spec = args and kernel_spec(call.kind, args, one_probe ~= false)
    if not spec then return end
    spec.probe = not covers_all and one_probe or nil
    specs[i] = spec
    at = skip_blank(s, after)
    if sub(s, at, at) == ";" then at = skip_blank(s, at + 1) end
  end
  if at <= c.body_last then return end
  for i, call in ipairs(c.calls) do call.kernel = specs[i] end
  c.kernel = true
end

-- Marks the clauses (and their calls) that count in the kernel, as many as the program
-- may have.
local function plan_kernel(s, clauses, calls, kind, probes)
  if kind ~= "tracepoint" then return end
  local all_probes, sites, room = {}, {}, KERNEL_AGGREGATIONS
  for _, probe in ipairs(probes) do all_probes[probe] = true end
  for _, call in ipairs(calls) do sites[call.name] = (sites[call.name] or 0) + 1 end
  for _, c in ipairs(clauses) do
    if #c.calls <= room then
      plan_clause(s, c, all_probes, sites)
      if c.kernel then room = room - #c.calls end
    end
  end
end

-- What the text of a clause becomes: each aggregation call's name (with its `@NAME =`)
-- the call site's function, and, in a program of uprobes or USDT probes, each
-- `str(e.FIELD)` the string the kernel read (e.str). A list of {first=, last=, text=}
-- in the order of the text.
local function replacements(clauses, calls, kind)
  local list = {}
  for _, call in ipairs(calls) do
    list[#list + 1] = { first = call.first, last = call.last, text = "__agg" .. call.id }
  end
  if STR_ARGS[kind] then
    for _, c in ipairs(clauses) do
      for _, call in ipairs(c.strs) do
        list[#list + 1] = { first = call.first, last = call.last, text = "e.str" }
      end
    end
  end
  table.sort(list, function(a, b) return a.first < b.first end)
  return list
end

-- Text of s from first to last with the replacements made.
local function rewrite(s, first, last, list)
  local parts, at = {}, first
  for _, r in ipairs(list) do
    if r.first >= first and r.last <= last then
      parts[#parts + 1] = sub(s, at, r.first - 1)
      parts[#parts + 1] = r.text
      at = r.last + 1
    end
  end
  parts[#parts + 1] = sub(s, at, last)
  return concat(parts)
end

-- Newlines only, as many as s from first to last holds: what stands between clauses.
local function lines_of(s, first, last)
  local _, n = sub(s, first, last):gsub("\n", "")
  return ("\n"):rep(n)
end

-- The locals a clause of an event declares: `e` and the header names its text uses.
local function event_locals(c)
  local names, values = {}, {}
  if c.uses.e then names[1], values[1] = "e", "__rt.event(__p, __len)" end
  for _, name in ipairs(HEADER_NAMES) do
    if c.uses[name] then
      names[#names + 1] = name
      values[#values + 1] = "__rt.header." .. name .. "(__p, __len)"
    end
  end
  if not names[1] then return "" end
  return "local " .. concat(names, ", ") .. " = " .. concat(values, ", ") .. " "
end

-- A clause as Lua on its own lines: the function that runs it, registered with the
-- runtime (BEGIN, END, interval, or its probes).
local function clause_code(s, c, list)
  if c.kernel then return lines_of(s, c.first, c.body_last + 1) end
  local body = rewrite(s, c.body_first, c.body_last, list)
  local kind = c.kinds[1]
  local open
  if kind == "BEGIN" or kind == "END" then
    open = format("__rt.on(%q, nil, function() ", kind)
  elseif kind == "interval" then
    open = format("__rt.on(\"interval\", %d, function() ", c.period)
  else
    local probes = {}
    for i, p in ipairs(c.probes) do probes[i] = format("%q", p) end
    open = "__rt.on({ " .. concat(probes, ", ") .. " }, nil, function(__p, __len) " ..
           event_locals(c)
  end
  local pred = ""
  if c.pred then
    pred = "if not (" .. rewrite(s, c.pred_first, c.pred_first + #c.pred - 1, list) ..
           ") then return end "
  end
  return open .. pred .. body .. " end)"
end

-- A value as Lua source.
local function literal(v)
  if v == nil then return "nil" end
  if type(v) == "number" then return format("%.17g", v) end
  return format("%q", v)
end

-- The first line: the runtime, what -e has in scope, and one function per aggregation
-- call site (the kernel aggregation of one that counts in the kernel).
local function prelude(probes, kind, calls, options)
  local list, made = {}, {}
  for i, p in ipairs(probes) do list[i] = format("%q", p) end
  local parts = {
    "local ffi, ringlua, agg, names = require('ffi'), require('ringlua'), " ..
    "require('ringlua.agg'), require('ringlua.names') ",
    format("local __rt = require('ringlua.clause').new({ %s }, %q, { stacks = %s, str = %s }) ",
           concat(list, ", "), kind or "", options.stacks and format("%q", options.stacks) or "nil",
           options.str and format("%q", options.str) or "nil"),
    "local printf, exit, str = __rt.printf, __rt.exit, __rt.str ",
  }
  for _, call in ipairs(calls) do
    local k = call.kernel
    if k then
      local keys = {}
      for i, key in ipairs(k.key) do keys[i] = format("%q", key) end
      parts[#parts + 1] = format("local __agg%d = __rt.kernel(%q, %q, { %s }, %s, %s, %s, %s, %s) ",
                                 call.id, call.kind, call.name, concat(keys, ", "),
                                 literal(k.value), literal(k.probe), literal(k.lo),
                                 literal(k.hi), literal(k.step))
    elseif not made[call.id] then
      made[call.id] = true
      parts[#parts + 1] = format("local __agg%d = __rt.%s(%q) ", call.id, call.kind, call.name)
    end
  end
  return concat(parts)
end

-- Whether a program of kind reads field as a string at the probe: an argument it has,
-- or a uprobe's return value.
local function str_field_ok(kind, field)
  if not field then return false end
  if kind == "uprobe" and field == "ret" then return true end
  local n = field:find(STR_ARGS[kind]) and tonumber(field:sub(4))
  return n ~= nil and n <= STR_ARG_MAX[kind] and (n == 0 or field:sub(4, 4) ~= "0")
end

-- What the program asks of the BPF side: the stacks its clauses use (kstack, ustack), and
-- the uprobe or USDT argument its `str(e.FIELD)` calls read as a string (one per program, as
-- --str). Returns {stacks=, str=}, or nil and an error.
local function bpf_options(ctx, clauses, kind)
  local kernel, user, str, str_at
  for _, c in ipairs(clauses) do
    kernel, user = kernel or c.uses.kstack, user or c.uses.ustack
    for _, call in ipairs(STR_ARGS[kind] and c.strs or {}) do
      local line, col = position(ctx.text, call.first)
      local where = format("%s: line %d, column %d: ", ctx.name, line, col)
      if not str_field_ok(kind, call.field) then
        return nil, where .. "str() of a " .. KIND_NAME[kind] .. " reads its argument in " ..
                    "the kernel, at the probe: str(e.arg0) to str(e.arg" ..
                    STR_ARG_MAX[kind] .. ")" ..
                    (kind == "uprobe" and ", or str(e.ret)" or "")
      end
      if str and str ~= call.field then
        return nil, where .. "str(e." .. call.field .. "): a program reads one argument " ..
                    "as a string, and " .. str_at .. " reads e." .. str
      end
      str, str_at = call.field, format("line %d", line)
    end
  end
  local stacks = kernel and user and "kernel,user" or kernel and "kernel" or user and "user"
  return { stacks = stacks or nil, str = str }
end

-- The clauses of text from i on, or nil, an error and whether it is a usage error.
local function read_clauses(ctx)
  local s, clauses, i = ctx.text, {}, skip_blank(ctx.text, 1)
  while i <= #s do
    local clause, after, usage = read_clause(ctx, #clauses + 1, i)
    if not clause then return nil, after, usage end
    clauses[#clauses + 1] = clause
    i = skip_blank(s, after)
  end
  return clauses
end

-- Syntax errors are found clause by clause, on the text of the program with all but one
-- part of a clause (its predicate or its body) blanked to spaces: lines and columns are
-- then the program's own. A body compiles as a chunk of statements, as it runs in its
-- function; a predicate as the expression of a `return`.
local function blanked(s, first, last, lead, calls)
  local before = sub(s, 1, first - 1):gsub("[^\n]", " ")
  if lead then before = before:sub(1, -#lead - 1) .. lead end
  local part = sub(s, first, last)
  -- `@NAME = count(...)` compiles as `count(...)` would.
  for _, call in ipairs(calls) do
    if call.word_first > call.first and call.first >= first and call.last <= last then
      local a, b = call.first - first + 1, call.word_first - first
      part = sub(part, 1, a - 1) .. (" "):rep(b - a + 1) .. sub(part, b + 1)
    end
  end
  return before .. part
end

-- The index in text of the token near which Lua reports an error on line, or nil: the
-- first of the token's places on that line whose text, cut right after it, fails there
-- and not at its end (a valid beginning fails only "near <eof>").
local function error_place(text, line, near, from)
  local at = from
  while true do
    at = find(text, near, at, true)
    if not at or position(text, at) > line then return nil end
    if position(text, at) == line then
      local _, err = loadstring(sub(text, 1, at + #near - 1), "=")
      if err and err:find(":" .. line .. ": .*near '" .. near:gsub("%p", "%%%0") .. "'$") then
        return at
      end
    end
    at = at + 1
  end
end

-- The error of one part of clause n (first to last of the program; lead: code put just
-- before it, such as "return "), or nil when it compiles. The end of the part is the
-- clause's '}' for errors "near <eof>".
local function part_error(ctx, n, c, first, last, lead, close)
  local text = blanked(ctx.text, first, last, lead, c.calls)
  local ok, err = loadstring(text, "=")
  if ok then return nil end
  local line, message = err:match("^:(%d+): (.*)$")
  line = tonumber(line)
  if not line then return format("%s: clause %d (%s): %s", ctx.name, n, c.what, err) end
  local near = message:match("near '(.-)'$")
  if near == "@" then
    message = message .. " (a clause names an aggregation as @NAME = count(k...); " ..
              "bpftrace's @map[k] = v is not Lua)"
  end
  local at = near and error_place(text, line, near, first)
  if not at and message:find("near '?<eof>'?$") then
    at, message = close, message:gsub("near '?<eof>'?$", "near '" .. sub(ctx.text, close, close) .. "'")
  end
  if not at then
    local line_start = 1
    for _ = 2, line do line_start = find(text, "\n", line_start, true) + 1 end
    at = math.max(line_start, first)
  end
  return clause_error(ctx, n, c.what, at, message)
end

-- The first syntax error of the clauses' predicates and bodies, or nil.
local function check_syntax(ctx, clauses)
  for n, c in ipairs(clauses) do
    local err = c.pred and part_error(ctx, n, c, c.pred_first, c.pred_first + #c.pred - 1,
                                      "return ", c.pred_first + #c.pred)
    err = err or part_error(ctx, n, c, c.body_first, c.body_last, nil, c.body_last + 1)
    if err then return err end
  end
end

-- Translates text (named name in errors: "-e", a script's path) into a Lua script, if
-- it is a program. sources: the names of the built-in sources (a list). Returns the
-- script's source; nil when text is no program; or nil, an error and whether the error
-- is in the use (an unknown probe, probes that do not go together).
function _M.translate(text, name, sources)
  local ctx = { text = text, name = name, sources = {} }
  for _, source in ipairs(sources or {}) do ctx.sources[source] = true end
  if not looks_like_program(text, ctx.sources) then return nil end
  local clauses, err, usage = read_clauses(ctx)
  if not clauses then return nil, err, usage end
  local probes, kind = traced_probes(clauses)
  if not probes then return nil, name .. ": " .. kind, true end
  err = check_syntax(ctx, clauses)
  if err then return nil, err end
  local calls, options
  calls, err = name_aggregations(ctx, clauses)
  if not calls then return nil, err end
  options, err = bpf_options(ctx, clauses, kind)
  if not options then return nil, err end
  plan_kernel(text, clauses, calls, kind, probes)
  local list = replacements(clauses, calls, kind)
  local out, at = { prelude(probes, kind, calls, options) }, 1
  for _, c in ipairs(clauses) do
    out[#out + 1] = lines_of(text, at, c.first - 1)
    out[#out + 1] = clause_code(text, c, list)
    at = c.body_last + 2
  end
  out[#out + 1] = lines_of(text, at, #text)
  out[#out + 1] = " return __rt.script()"
  return concat(out)
end

return _M
