-- Specs of ringlua.emit's JSON: plain Lua values as one JSON line.
describe("emit's JSON encoding", function()
  local decode

  before_each(function()
    package.loaded["ringlua.decode"] = nil
    decode = require("ringlua.decode")
  end)

  it("writes a table with [1] as an array, any other as an object", function()
    assert.equal("[1,2,3]", decode.encode({ 1, 2, 3 }))
    assert.equal('{"a":1}', decode.encode({ a = 1 }))
    assert.equal('{"l":["x",true,null]}', decode.encode({ l = { "x", true, print } }))
  end)

  it("escapes strings and keeps 64-bit integers whole", function()
    assert.equal('{"s":"a\\"b\\\\c\\nd"}', decode.encode({ s = 'a"b\\c\nd' }))
    assert.equal('{"n":18446744073709551615}', decode.encode({ n = 0xffffffffffffffffULL }))
    assert.equal('{"x":1.5}', decode.encode({ x = 1.5 }))
  end)

  it("writes the same key the same way every time", function()
    for i = 1, 3 do assert.equal('{"seq":' .. i .. '}', decode.encode({ seq = i })) end
  end)
end)
