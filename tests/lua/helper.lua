-- busted helper: find ringlua's modules in the source tree, wherever busted runs from.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local lua_dir = here .. "/../../lua"
package.path = lua_dir .. "/?.lua;" .. lua_dir .. "/?/init.lua;" .. package.path
-- and the specs' own helpers (support/sink.lua: require("sink")).
package.path = here .. "/support/?.lua;" .. package.path
