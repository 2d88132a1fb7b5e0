-- Specs of ringlua.program: which texts are programs, how clauses are read (braces and
-- slashes inside strings, comments and long brackets), what the generated script does
-- (run against a fake clause runtime), and the errors with clause, line and column.
local SOURCES = { "exec", "syscalls", "open", "profile" }

describe("program", function()
  local program, calls

  -- A clause runtime that records what the generated script registers and does.
  local function fake_runtime()
    calls = { on = {}, aggs = {}, printed = {}, kernel = {} }
    local rt = { header = {} }
    for _, name in ipairs({ "pid", "tid", "ppid", "uid", "cpu", "comm", "ts", "probe", "kstack",
                            "ustack" }) do
      rt.header[name] = function(p) return p[name] end
    end
    function rt.event(p) return p end
    function rt.on(what, period, fn) calls.on[#calls.on + 1] = { what = what, period = period, fn = fn } end
    for _, kind in ipairs({ "count", "sum", "min", "max", "avg", "hist", "lhist" }) do
      rt[kind] = function(name)
        local seen = { kind = kind, name = name, args = {} }
        calls.aggs[#calls.aggs + 1] = seen
        return function(...) seen.args[#seen.args + 1] = { ... } end
      end
    end
    function rt.printf(fmt, ...) calls.printed[#calls.printed + 1] = fmt:format(...) end
    function rt.exit() calls.exited = true end
    function rt.str(v) return "str:" .. tostring(v) end
    function rt.kernel(kind, name, key, value, probe, lo, hi, step)
      calls.kernel[#calls.kernel + 1] = { kind = kind, name = name, key = key, value = value,
                                          probe = probe, lo = lo, hi = hi, step = step }
    end
    function rt.script() return { fake = true } end
    return {
      new = function(probes, kind, bpf)
        calls.probes, calls.kind, calls.bpf = probes, kind, bpf
        return rt
      end,
    }
  end

  before_each(function()
    package.loaded["ringlua.program"] = nil
    package.loaded["ringlua.clause"] = fake_runtime()
    program = require("ringlua.program")
  end)

  after_each(function()
    package.loaded["ringlua.clause"] = nil
  end)

  -- Translates and runs text; returns the script it returned.
  local function run(text)
    local code, err = program.translate(text, "-e", SOURCES)
    assert.is_nil(err)
    assert.is_string(code)
    return assert(loadstring(code, "=-e"))()
  end

  -- The error of text, and whether it is a usage error.
  local function error_of(text)
    local code, err, usage = program.translate(text, "-e", SOURCES)
    assert.is_nil(code)
    return err, usage
  end

  describe("tells programs from scripts", function()
    it("leaves plain Lua scripts alone", function()
      for _, text in ipairs({
        "on_event = print",
        "return { on_event = function() end }",
        "local x = 1\non_event = function() end",
        "-- t:a:b { }\non_event = print",
        "",
      }) do
        assert.is_nil((program.translate(text, "-e", SOURCES)))
      end
    end)

    it("takes a probe with two colons, BEGIN, END or a source before a brace", function()
      for _, text in ipairs({
        "t:a:b { }", "BEGIN { }", "END { }", "exec { }", "  -- a comment\n i:s:1 { }",
        "t:a:b /pid == 1/ { }", "t:a:b,t:c:d { }",
      }) do
        assert.is_string((program.translate(text, "-e", SOURCES)), text)
      end
    end)

    it("leaves `name { ... }` to Lua when name is no probe", function()
      assert.is_nil((program.translate("setup { 1, 2 }", "-e", SOURCES)))
    end)
  end)

  describe("probes", function()
    it("writes short prefixes as -s takes them", function()
      run("t:a:b { } tp:c:d { } tracepoint:e:f { }")
      assert.are.same({ "tracepoint:a:b", "tracepoint:c:d", "tracepoint:e:f" }, calls.probes)
      assert.are.equal("tracepoint", calls.kind)
      run("u:libc:malloc { } ur:libc:malloc { } uprobe:/bin/bash:readline { }")
      assert.are.same({ "uprobe:libc:malloc", "uretprobe:libc:malloc", "uprobe:/bin/bash:readline" },
                      calls.probes)
      assert.are.equal("uprobe", calls.kind)
      run("p:hz:99 { }")
      assert.are.same({ "profile:hz:99" }, calls.probes)
    end)

    it("lists each probe once, in order, with a clause for each list", function()
      run("t:a:b,t:c:d { } t:a:b { } t:sys:enter_* { }")
      assert.are.same({ "tracepoint:a:b", "tracepoint:c:d", "tracepoint:sys:enter_*" }, calls.probes)
      assert.are.same({ "tracepoint:a:b", "tracepoint:c:d" }, calls.on[1].what)
      assert.are.same({ "tracepoint:a:b" }, calls.on[2].what)
    end)

    it("takes a built-in source by name", function()
      run("exec { }")
      assert.are.same({ "exec" }, calls.probes)
      assert.are.equal("source:exec", calls.kind)
    end)

    it("reads interval periods in seconds and milliseconds", function()
      run("i:s:5 { } interval:ms:250 { } BEGIN { } END { }")
      assert.are.same({}, calls.probes)
      assert.are.same({ "interval", 5000 }, { calls.on[1].what, calls.on[1].period })
      assert.are.same({ "interval", 250 }, { calls.on[2].what, calls.on[2].period })
      assert.are.equal("BEGIN", calls.on[3].what)
      assert.are.equal("END", calls.on[4].what)
    end)

    it("reads a uprobe's path with its slashes, then a predicate without a space", function()
      local script = run("uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc/pid == 7/ { count() }")
      assert.are.same({ "uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc" }, calls.probes)
      assert.is_true(script.fake)
      calls.on[1].fn({ pid = 7 })
      calls.on[1].fn({ pid = 8 })
      assert.are.equal(1, #calls.aggs[1].args)
    end)

    it("calls an unknown probe a usage error, with its clause and place", function()
      local err, usage = error_of("BEGIN { }\n  kprobe:vfs:read { }")
      assert.are.equal("-e: clause 2, line 2, column 3: unknown probe 'kprobe:vfs:read'", err)
      assert.is_true(usage)
    end)

    it("refuses malformed probes as usage errors", function()
      for text, message in pairs({
        ["i:s:x { }"] = "an interval is interval:s:N or interval:ms:N",
        ["i:s:0 { }"] = "an interval is interval:s:N or interval:ms:N",
        ["p:rate:9:x { }"] = "a profile probe is profile:hz:N",
        ["t:a:b:c { }"] = "a tracepoint is tracepoint:CATEGORY:NAME",
      }) do
        local err, usage = error_of(text)
        assert.is_truthy(err:find(message, 1, true), err)
        assert.is_true(usage)
      end
    end)

    it("refuses probes -s could not take together", function()
      local err, usage = error_of("t:a:b { } u:libc:malloc { }")
      assert.is_truthy(err:find("'uprobe:libc:malloc' does not go with 'tracepoint:a:b'", 1, true), err)
      assert.is_true(usage)
      err = error_of("exec { } syscalls { }")
      assert.is_truthy(err:find("does not go with", 1, true), err)
    end)

    it("keeps BEGIN, END and intervals out of probe lists", function()
      local err, usage = error_of("BEGIN,t:a:b { }")
      assert.is_truthy(err:find("BEGIN is a clause of its own", 1, true), err)
      assert.is_true(usage)
    end)
  end)

  describe("clause bodies", function()
    it("end at the brace that matches, not at braces of strings, comments or long brackets", function()
      run([=[t:a:b { printf("}") printf('{') local t = { x = "}" } -- } here
        printf([==[ } ]] } ]==]) --[[ } ]] printf("%s", t.x) } END { printf("end") }]=])
      calls.on[1].fn({})
      assert.are.same({ "}", "{", " } ]] } ", "}" }, calls.printed)
      calls.on[2].fn()
      assert.are.equal("end", calls.printed[5])
    end)

    it("let a predicate hold slashes, strings with slashes and brackets", function()
      run([[t:a:b /e.ret / 2 > 1 and e.path ~= "/x/" and ({1})[1] == 1/ { printf("yes") }]])
      calls.on[1].fn({ ret = 4, path = "/y/" })
      calls.on[1].fn({ ret = 2, path = "/y/" })
      calls.on[1].fn({ ret = 4, path = "/x/" })
      assert.are.same({ "yes" }, calls.printed)
    end)

    it("give each aggregation call site its own aggregation, named by kind", function()
      run("t:a:b { count(comm) count() hist(e.ret) x.count(1) } END { lhist(1, 0, 10, 1) }")
      assert.are.same({ "count", "@count" }, { calls.aggs[1].kind, calls.aggs[1].name })
      assert.are.same({ "count", "@count_2" }, { calls.aggs[2].kind, calls.aggs[2].name })
      assert.are.same({ "hist", "@hist" }, { calls.aggs[3].kind, calls.aggs[3].name })
      assert.are.same({ "lhist", "@lhist" }, { calls.aggs[4].kind, calls.aggs[4].name })
      assert.are.equal(4, #calls.aggs)
    end)

    it("name a program's only aggregation @, as bpftrace's unnamed map", function()
      run("t:a:b { count(e.prev_comm, e.next_comm) }")
      calls.on[1].fn({ prev_comm = "a", next_comm = "b" })
      assert.are.equal("@", calls.aggs[1].name)
      assert.are.same({ { "a", "b" } }, calls.aggs[1].args)
    end)

    it("give a named aggregation its name, one for every call site of that name", function()
      run("t:a:b { @reads = count(comm) } t:a:c { @reads = count(comm) @n=sum(e.ret) count() }")
      assert.are.same({ "@reads", "@n", "@count" },
                      { calls.aggs[1].name, calls.aggs[2].name, calls.aggs[3].name })
      assert.are.equal(3, #calls.aggs)
      calls.on[1].fn({ comm = "a" })
      calls.on[2].fn({ comm = "b", ret = 3 })
      assert.are.same({ { "a" }, { "b" } }, calls.aggs[1].args)
    end)

    it("count in the kernel a clause of tracepoints that only aggregates by the header", function()
      run("t:a:b { count(comm) } t:a:c { @n = hist(e.ret, comm, pid); lhist(e.ret, 0, 10, 2) }")
      assert.are.same({
        { kind = "count", name = "@count", key = { "comm" }, probe = "tracepoint:a:b" },
        { kind = "hist", name = "@n", key = { "comm", "pid" }, value = "ret", probe = "tracepoint:a:c" },
        { kind = "lhist", name = "@lhist", key = {}, value = "ret", probe = "tracepoint:a:c",
          lo = 0, hi = 10, step = 2 },
      }, calls.kernel)
      assert.are.equal(0, #calls.on)
      assert.are.equal(0, #calls.aggs)
    end)

    it("count in Lua what the kernel cannot: predicates, fields as keys, other statements", function()
      run("t:a:b /pid == 1/ { count(comm) } t:a:b { count(e.x) } t:a:b { count() print(1) }" ..
          " t:a:b { @s = count() } t:a:c { @s = count() } t:a:* { sum(e.ret) }")
      assert.are.equal(0, #calls.kernel)
      run("u:/b:f { count(comm) } ur:/b:f { count(pid) }")
      assert.are.equal(0, #calls.kernel)
    end)

    it("keep a field as the value to a clause of one probe", function()
      run("t:a:b,t:a:c { sum(e.ret) } t:a:b { sum(pid) }")
      assert.are.same({ { kind = "sum", name = "@sum_2", key = {}, value = "pid", probe = "tracepoint:a:b" } },
                      calls.kernel)
      assert.are.equal(1, #calls.on)
    end)

    it("ask the BPF side for the stacks the clauses use", function()
      run("t:a:b { count(kstack) } t:a:c { count(ustack, comm) }")
      assert.are.equal("kernel,user", calls.bpf.stacks)
      calls.on[1].fn({ kstack = "k" })
      assert.are.same({ { "k" } }, calls.aggs[1].args)
      run("t:a:b { count(ustack) }")
      assert.are.equal("user", calls.bpf.stacks)
      run("t:a:b { count(comm) }")
      assert.is_nil(calls.bpf.stacks)
    end)

    it("reads USDT probes with a path, an optional provider and wildcards", function()
      run("usdt:/usr/bin/python3.11:python:audit/pid == 7/ { } U:libfoo:gc__* { } usdt:x:p:n { }")
      assert.are.same({ "usdt:/usr/bin/python3.11:python:audit", "usdt:libfoo:gc__*", "usdt:x:p:n" },
                      calls.probes)
      assert.are.equal("usdt", calls.kind)
    end)

    it("read a USDT probe's str(e.arg0) to str(e.arg11) in the kernel", function()
      run("usdt:/b:p:n { count(str(e.arg11)) }")
      assert.are.equal("arg11", calls.bpf.str)
      calls.on[1].fn({ str = "from the kernel", arg11 = 7 })
      assert.are.same({ { "from the kernel" } }, calls.aggs[1].args)
    end)

    it("read a uprobe's str(e.argN) in the kernel, and leave str() to the runtime elsewhere", function()
      run("u:/bin/x:f { printf('%s', str( e.arg2 )) } ur:/bin/x:f { printf('%s', str(e.arg2)) }")
      assert.are.equal("arg2", calls.bpf.str)
      calls.on[1].fn({ str = "from the kernel", arg2 = 7 })
      assert.are.same({ "from the kernel" }, calls.printed)
      run("t:a:b { printf('%s', str(e.x)) }")
      assert.is_nil(calls.bpf.str)
      calls.on[#calls.on].fn({ x = 1 })
      assert.are.same({ "from the kernel", "str:1" }, calls.printed)
    end)

    it("give a clause of an event its header names and e, which a script's own locals shadow", function()
      run([[t:a:b { printf("%d %d %s %s %d", pid, tid, comm, probe, e.x) local pid = 9 printf("%d", pid) }]])
      calls.on[1].fn({ pid = 1, tid = 2, comm = "c", probe = "t", x = 5 })
      assert.are.same({ "1 2 c t 5", "9" }, calls.printed)
    end)

    it("run exit() and printf from the runtime", function()
      run("i:s:1 { exit() }")
      calls.on[1].fn()
      assert.is_true(calls.exited)
    end)

    it("keep lines, so errors at run time name the program's line", function()
      run("BEGIN { }\n\nt:a:b {\n  local x = nil\n  x.y = 1\n}")
      local ok, err = pcall(calls.on[2].fn, {})
      assert.is_false(ok)
      assert.is_truthy(err:find("^%-e:5: "), err)
    end)

    it("make no globals of the names they use", function()
      run("t:a:b { count(comm) printf('%s', e.x) }")
      calls.on[1].fn({ comm = "c", x = "y" })
      assert.is_nil(rawget(_G, "e"))
      assert.is_nil(rawget(_G, "comm"))
      assert.is_nil(rawget(_G, "__rt"))
    end)
  end)

  describe("errors", function()
    it("say how to name an aggregation where bpftrace's map syntax is", function()
      assert.is_truthy(error_of("t:a:b { @[comm] = count() }"):find(
        "line 1, column 9: unexpected symbol near '@' (a clause names an aggregation as " ..
        "@NAME = count(k...)", 1, true))
    end)

    it("refuse one name for two kinds of aggregation", function()
      assert.are.equal("-e: line 1, column 32: @n is a count already, not a sum",
                       error_of("t:a:b { @n = count() } t:a:c { @n = sum(1) }"))
    end)

    it("refuse a uprobe's str() of two arguments, or of anything but one", function()
      assert.are.equal("-e: line 1, column 46: str(e.arg1): a program reads one argument " ..
                       "as a string, and line 1 reads e.arg0",
                       error_of("u:/b:f { count(str(e.arg0)) } u:/b:g { count(str(e.arg1)) }"))
      assert.is_truthy(error_of("u:/b:f { count(str(e.arg6)) }"):find("str(e.arg0) to str(e.arg5)", 1, true))
      assert.is_truthy(error_of("u:/b:f { count(str(x)) }"):find("str(e.arg0) to str(e.arg5)", 1, true))
    end)

    it("refuse a USDT probe's str() past arg11, a probe without a name, and a uprobe beside it", function()
      assert.is_truthy(error_of("usdt:/b:p:n { count(str(e.arg12)) }"):find("str(e.arg0) to str(e.arg11)", 1, true))
      assert.is_truthy(error_of("usdt:/b:p:n { count(str(e.ret)) }"):find("str(e.arg0) to str(e.arg11)", 1, true))
      assert.is_truthy(error_of("usdt:/b:a:b:c { }"):find("a USDT probe is usdt:PATH:[PROVIDER:]NAME", 1, true))
      assert.is_truthy(error_of("usdt:/b:p:n { } u:/b:f { }"):find("does not go with", 1, true))
    end)

    it("name the clause, line and column of the token Lua stops at in a body", function()
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 13: unexpected symbol near '='",
                       (error_of("t:a:b { x = = 1 }")))
    end)

    it("tell apart the places of the same token on a line", function()
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 21: unexpected symbol near '='",
                       (error_of("t:a:b { x = 1 y = 2 = 3 }")))
    end)

    it("name the column in a predicate", function()
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 15: unexpected symbol near '=='",
                       (error_of("t:a:b /pid == == 1/ { }")))
    end)

    it("find the line of a syntax error in a later clause", function()
      local err = error_of("BEGIN { }\n\nt:a:b,t:c:d {\n  local x = 1\n  y = x + * 2\n}")
      assert.are.equal("-e: clause 2 (t:a:b,t:c:d), line 5, column 11: unexpected symbol near '*'", err)
    end)

    it("point at the closing brace when the body ends too soon", function()
      local err = error_of("t:a:b {\n  y = x +\n}")
      assert.are.equal("-e: clause 1 (t:a:b), line 3, column 1: unexpected symbol near '}'", err)
    end)

    it("say where a clause is not closed", function()
      assert.are.equal("-e: clause 2 (END), line 2, column 5: '}' missing: the clause is not closed",
                       (error_of("BEGIN { }\nEND { print(1)")))
    end)

    it("say where a string or long comment is not finished", function()
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 15: unfinished string or comment",
                       (error_of('t:a:b { print("x) }')))
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 9: unfinished string or comment",
                       (error_of("t:a:b { --[[ } ")))
    end)

    it("say what is missing after the probes", function()
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 7: expected '{' or /PREDICATE/ after the probe",
                       (error_of("t:a:b x { }")))
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 7: predicate not closed: /PREDICATE/ { ... }",
                       (error_of("t:a:b /pid == 1 { }")))
      assert.are.equal("-e: clause 1 (t:a:b), line 1, column 7: empty predicate",
                       (error_of("t:a:b / / { }")))
    end)

    it("name a script file in its errors", function()
      local _, err = program.translate("t:a:b { x = = 1 }", "/tmp/p.lua", SOURCES)
      assert.are.equal("/tmp/p.lua: clause 1 (t:a:b), line 1, column 13: unexpected symbol near '='", err)
    end)
  end)
end)
