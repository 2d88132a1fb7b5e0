-- The Prometheus text exposition (format 0.0.4) of the script's ringlua.agg
-- aggregations, for --metrics: the event loop calls render() between batches and
-- serves the text it returns until the next one.
--   count, sum        counter (or gauge: the aggregation's metric option)
--   min, max, avg     gauge
--   hist, lhist       histogram: cumulative _bucket{le=...}, _sum, _count
-- A key becomes labels, one per tuple part, named by the aggregation's labels option
-- (default key, or key1, key2, ...). Histogram bounds are integers: le is the largest
-- integer of a bucket, so the counts are exact for integer values (what BPF records
-- carry).
local agg = require("ringlua.agg")
local valid_utf8 = require("ringlua.text").valid_utf8

local format, gsub, concat = string.format, string.gsub, table.concat
local floor, huge = math.floor, math.huge
local ipairs, tostring, tonumber, type = ipairs, tostring, tonumber, type

local _M = {}

-- Log2 buckets up to [2^52, 2^53) have exact integer bounds in a double; past that the
-- bound is the power itself.
local EXACT_POWER = 53

local LABEL_ESCAPES = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }

-- A label value as valid UTF-8, which the exposition must be: one process's name cannot
-- make a scraper refuse the whole target.
local function utf8_text(v)
  return valid_utf8(tostring(v))
end

local HELP_ESCAPES = { ["\\"] = "\\\\", ["\n"] = "\\n" }

local function number_text(v)
  if type(v) == "cdata" then return (gsub(tostring(v), "U?LL$", "")) end -- 64-bit sums
  if v ~= v then return "NaN" end
  if v == huge then return "+Inf" end
  if v == -huge then return "-Inf" end
  if v == floor(v) and v > -2^63 and v < 2^63 then return format("%d", v) end
  return format("%.17g", v)
end

-- A metric or label name from anything: [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no colon).
local function sanitized(name, allowed)
  name = gsub(name, allowed, "_")
  if name == "" or name:match("^%d") then name = "_" .. name end
  return name
end

local function metric_name(a)
  local name = a.name:sub(2) -- without the "@"
  return sanitized(name ~= "" and name or "ringlua_agg", "[^%w_:]")
end

-- The label names of a's key parts.
local function label_names(a, nr_parts)
  local names = {}
  for i = 1, nr_parts do
    local given = a.labels and a.labels[i]
    names[i] = sanitized(given and tostring(given) or
                         (nr_parts == 1 and "key" or "key" .. i), "[^%w_]")
  end
  return names
end

-- '{a="x",b="y"' without the closing brace (extra labels may follow), or "" for none.
local function open_labels(a, parts)
  if #parts == 0 then return "" end
  local names, list = label_names(a, #parts), {}
  for i, v in ipairs(parts) do
    list[i] = names[i] .. '="' .. gsub(utf8_text(v), '[\\"\n]', LABEL_ESCAPES) .. '"'
  end
  return "{" .. concat(list, ",")
end

local function close_labels(open)
  return open == "" and "" or open .. "}"
end

-- The le of histogram bucket i: the largest integer in it (nil for the last bucket,
-- which only +Inf bounds).
local function log2_le(i)
  if i == 0 then return "-1" end
  if i >= 65 then return nil end
  if i - 1 <= EXACT_POWER then return format("%d", 2 ^ (i - 1) - 1) end
  return format("%.17g", 2 ^ (i - 1))
end

local function linear_le(h, i)
  if i == h.last then return nil end
  return format("%d", h.min + i * h.step - 1)
end

local function bucket_le(h, i)
  if h.kind == "hist" then return log2_le(i) end
  return linear_le(h, i)
end

local function histogram_lines(out, name, h, open, b)
  local sep = open == "" and "{" or open .. ","
  local cumulative = 0
  for i = 0, h.last do
    cumulative = cumulative + b[i]
    local le = bucket_le(h, i)
    if le then out[#out + 1] = format('%s_bucket%sle="%s"} %d\n', name, sep, le, cumulative) end
  end
  out[#out + 1] = format('%s_bucket%sle="+Inf"} %d\n', name, sep, cumulative)
  out[#out + 1] = format("%s_sum%s %s\n", name, close_labels(open), number_text(b.sum or 0))
  out[#out + 1] = format("%s_count%s %d\n", name, close_labels(open), cumulative)
end

-- Appends a's lines to out, at most `room` series; returns how many it wrote and how
-- many it left out.
local function render_one(out, a, name, room)
  local metric = a.metric
  if a.help then
    out[#out + 1] = "# HELP " .. name .. " " .. gsub(tostring(a.help), "[\\\n]", HELP_ESCAPES) .. "\n"
  end
  out[#out + 1] = "# TYPE " .. name .. " " .. metric .. "\n"
  local entries, total = a:_entries(room)
  local shown = #entries
  for i = 1, shown do
    local e = entries[i]
    local open = open_labels(a, e.parts)
    if metric == "histogram" then
      histogram_lines(out, name, a, open, a.t[e.key])
    else
      local v = a.kind == "avg" and tonumber(a.t[e.key]) / a.n[e.key] or a.t[e.key]
      out[#out + 1] = name .. close_labels(open) .. " " .. number_text(v) .. "\n"
    end
  end
  return shown, total - shown
end

-- ringlua_agg_dropped_total: each aggregation's updates of new keys it had no room for
-- (its max_entries), by the aggregation's metric name.
local function dropped_lines(out, names)
  out[#out + 1] = "# HELP ringlua_agg_dropped_total Updates of new keys an aggregation " ..
                  "had no room for (its max_entries).\n" ..
                  "# TYPE ringlua_agg_dropped_total counter\n"
  for _, e in ipairs(names) do
    out[#out + 1] = format('ringlua_agg_dropped_total{aggregation="%s"} %d\n', e.name,
                           e.a:dropped())
  end
end

-- The exposition of every aggregation, in the order they were made, with at most
-- max_series label sets in all (each aggregation's biggest first, picked without
-- sorting or symbolizing the rest), then each one's updates dropped for want of room. Returns the text and
-- the number of series left out. An aggregation whose name, made a metric name, is
-- another's is left out too (counted as one).
function _M.render(max_series)
  local out, dropped, room, seen, names = {}, 0, max_series, {}, {}
  agg._kernel_sync()
  agg.each(function(a)
    local name = metric_name(a)
    if seen[name] then
      dropped = dropped + 1
      return
    end
    seen[name] = true
    names[#names + 1] = { name = name, a = a }
    local shown, left_out = render_one(out, a, name, room)
    room = room - shown
    dropped = dropped + left_out
  end)
  if names[1] then dropped_lines(out, names) end
  return concat(out), dropped
end

return _M
