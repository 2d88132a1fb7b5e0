-- Specs of ringlua.cli_args: the ready scripts' options after `--`.
describe("ringlua.cli_args", function()
  local cli_args
  local spec

  before_each(function()
    package.loaded["ringlua.cli_args"] = nil
    cli_args = require("ringlua.cli_args")
    spec = {
      name = "snoop",
      about = "Trace things.",
      options = {
        { "x", "failed", help = "failed ones only" },
        { "t", "timestamp", help = "print the time" },
        { "n", "name", arg = "NAME", help = "names containing NAME" },
        { "P", "port", arg = "PORTS", convert = cli_args.list(cli_args.integer(1, 65535)),
          help = "these ports" },
        { "c", "count", arg = "N", convert = cli_args.integer(1), default = 10 },
        { nil, "accept", help = "accepts instead" },
      },
    }
  end)

  it("gives every flag false and every value its default when nothing is given", function()
    local opts = assert(cli_args.parse(spec, {}))
    assert.same({ help = false, failed = false, timestamp = false, accept = false, count = 10 },
                opts)
  end)

  it("sets flags by short letter, grouped or not, and by long name", function()
    local opts = assert(cli_args.parse(spec, { "-xt", "--accept" }))
    assert.is_true(opts.failed)
    assert.is_true(opts.timestamp)
    assert.is_true(opts.accept)
    assert.is_true(assert(cli_args.parse(spec, { "--failed" })).failed)
  end)

  it("takes a value from the next word, the rest of the word, or after =", function()
    assert.equal("bash", assert(cli_args.parse(spec, { "-n", "bash" })).name)
    assert.equal("bash", assert(cli_args.parse(spec, { "-nbash" })).name)
    assert.equal("bash", assert(cli_args.parse(spec, { "-xnbash" })).name)
    assert.equal("bash", assert(cli_args.parse(spec, { "--name=bash" })).name)
    assert.equal("bash", assert(cli_args.parse(spec, { "--name", "bash" })).name)
  end)

  it("converts values: whole numbers in range, comma-separated lists", function()
    local opts = assert(cli_args.parse(spec, { "-c", "3", "-P", "80,443" }))
    assert.equal(3, opts.count)
    assert.same({ 80, 443 }, opts.port.list)
    assert.same({ [80] = true, [443] = true }, opts.port.set)
  end)

  it("says in one line what is wrong with an argument", function()
    local function why(args)
      local opts, msg = cli_args.parse(spec, args)
      assert.is_nil(opts)
      assert.is_nil(msg:find("\n"))
      return msg
    end
    assert.equal("unknown option '-q'", why({ "-q" }))
    assert.equal("unknown option '-q'", why({ "-xq" }))
    assert.equal("unknown option '--quiet'", why({ "--quiet" }))
    assert.equal("-n needs a value (NAME)", why({ "-n" }))
    assert.equal("--name needs a value (NAME)", why({ "--name" }))
    assert.equal("--failed takes no value", why({ "--failed=yes" }))
    assert.equal("-c: '0' is not a whole number from 1 up", why({ "-c", "0" }))
    assert.equal("-c: 'ten' is not a whole number from 1 up", why({ "-c", "ten" }))
    assert.equal("-P: '80,70000' is not a comma-separated list of a whole number from 1 to 65535",
                 why({ "-P", "80,70000" }))
    assert.equal("-P: '80,' is not a comma-separated list of a whole number from 1 to 65535",
                 why({ "-P", "80," }))
    assert.equal("unexpected argument 'extra'", why({ "extra" }))
    assert.equal("unexpected argument 'extra'", why({ "--", "extra" }))
  end)

  it("reports -h and --help without failing on the rest", function()
    assert.is_true(assert(cli_args.parse(spec, { "-h" })).help)
    assert.is_true(assert(cli_args.parse(spec, { "-x", "--help" })).help)
  end)

  it("writes a help with every option, its value and the kernel-side filters", function()
    local text = cli_args.help(spec)
    assert.truthy(text:find("usage: ringlua [-p PID] [--uid USER] [--comm NAME] "
                            .. "scripts/snoop.lua [-- OPTIONS]\nTrace things.\n", 1, true))
    assert.truthy(text:find("\n  -x, --failed      failed ones only\n", 1, true))
    assert.truthy(text:find("\n  -n, --name NAME   names containing NAME\n", 1, true))
    assert.truthy(text:find("\n      --accept      accepts instead\n", 1, true))
    assert.truthy(text:find("\n  -h, --help        this help\n", 1, true))
    assert.truthy(text:find("ringlua's own options, before the script", 1, true))
    assert.truthy(text:find("\n  --comm NAME ", 1, true))
  end)

  it("makes no globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    cli_args.parse(spec, { "-xt", "-n", "a", "-P", "1,2", "--bogus" })
    cli_args.help(spec)
    for k in pairs(_G) do assert.is_true(before[k], "new global " .. tostring(k)) end
  end)
end)
