-- Specs of ringlua.consumer that need no ring: bad arguments are nil, err, never an error
-- raised, and a library that cannot be loaded is reported the same way. (Consuming real
-- rings is tests/integration/test_consumer_lib.sh.)
local NAME = "ringlua.consumer"

local function fresh()
  package.loaded[NAME] = nil
  return require(NAME)
end

describe("ringlua.consumer", function()
  local consumer, real_getenv

  before_each(function()
    real_getenv = os.getenv
    consumer = fresh()
  end)
  after_each(function() os.getenv = real_getenv end)

  local function ignore() end

  it("refuses a map that is neither a pin path nor an fd", function()
    for _, map in ipairs({ {}, -1, 1.5, true }) do
      local c, err = consumer.open(map, ignore)
      assert.is_nil(c)
      assert.matches("^open: map must be a pin path or a map fd", err)
    end
    assert.matches("map must be", select(2, consumer.open(nil, ignore)))
  end)

  it("refuses an fn that is not a function", function()
    local c, err = consumer.open("/sys/fs/bpf/x", "print")
    assert.is_nil(c)
    assert.equals("open: fn must be a function, got string", err)
  end)

  it("refuses options out of range", function()
    assert.matches("opts must be a table", select(2, consumer.open(3, ignore, 5)))
    assert.matches("opts.batch must be a whole number",
                   select(2, consumer.open(3, ignore, { batch = 0 })))
    assert.matches("opts.batch must be a whole number",
                   select(2, consumer.open(3, ignore, { batch = 2 ^ 40 })))
    assert.matches("opts.latency_us must be",
                   select(2, consumer.open(3, ignore, { latency_us = -1 })))
  end)

  it("refuses a decoder type it cannot copy records into", function()
    local c, err = consumer.open_decoding(3, "struct not_declared_anywhere", ignore)
    assert.is_nil(c)
    assert.matches("^open_decoding: unknown C type struct not_declared_anywhere", err)
    assert.matches("is not a type of fixed size",
                   select(2, consumer.open_decoding(3, "uint32_t *", ignore)))
    assert.matches("fn must be a function",
                   select(2, consumer.open_decoding(3, "uint32_t", nil)))
  end)

  it("refuses a with() body that is not a function, without opening", function()
    local c, err = consumer.with("/sys/fs/bpf/x", ignore, "body")
    assert.is_nil(c)
    assert.equals("with: body must be a function, got string", err)
  end)

  it("reports a library it cannot load as nil, err", function()
    os.getenv = function(k)
      if k == "RINGLUA_LIB" then return "/nonexistent/libringlua.so" end
      return real_getenv(k)
    end
    consumer = fresh()
    local c, err = consumer.open("/sys/fs/bpf/x", ignore)
    assert.is_nil(c)
    assert.matches("^cannot load libringlua %(set RINGLUA_LIB to its path%)", err)
  end)
end)
