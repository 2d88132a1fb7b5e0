-- Specs of ringlua.text: text others control, made safe to show.
describe("text", function()
  local text

  before_each(function()
    package.loaded["ringlua.text"] = nil
    text = require("ringlua.text")
  end)

  it("shows control characters as \\xNN and leaves the rest", function()
    assert.are.equal("a\\x0ab\\x1b[31m\\x7f\\x00é", text.printable("a\nb\27[31m\127\0é"))
  end)

  it("keeps valid UTF-8 and shows each stray byte as \\xNN", function()
    assert.are.equal("é€😀", text.valid_utf8("é€😀"))
    assert.are.equal("\\xff\\xc3x", text.valid_utf8("\255\195x"))
  end)

  it("refuses overlong forms and surrogates byte by byte", function()
    assert.are.equal("\\xc0\\xaf", text.valid_utf8("\192\175"))
    assert.are.equal("\\xed\\xa0\\x80", text.valid_utf8("\237\160\128"))
  end)
end)
