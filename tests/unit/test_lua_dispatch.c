/* rl_lua_dispatch's resumption after a failed call (src/lua/lua_host.c), on a real LuaJIT
 * state whose batch loop is a stand-in host.lua: one that fails before it stores the
 * cursor, as a watchdog or memory error on entry does. Whatever the cursor held from an
 * earlier batch, the count stays within the batch and every call moves on. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lua/lua_host.h"

#define BIG_BATCH 1000
#define SMALL_BATCH 5

/* The stand-in host.lua: the first batch ends with the cursor on its last record, as the
 * real loop leaves it; every later call fails before it stores the cursor. */
static const char fake_host[] =
	"local ffi = require('ffi')\n"
	"ffi.cdef(require('ringlua.rec_cdef'))\n"
	"ffi.cdef(require('ringlua.hotpath'))\n"
	"local _M = {}\n"
	"function _M.start(chunk, script, shared_lud)\n"
	"  local shared = ffi.cast('struct rl_dispatch *', shared_lud)\n"
	"  local calls = 0\n"
	"  chunk()\n"
	"  return function(first, n)\n"
	"    calls = calls + 1\n"
	"    if calls == 1 then shared.cursor = n - 1 return end\n"
	"    error('failed before the first record')\n"
	"  end, {}\n"
	"end\n"
	"return _M\n";

static char dir[] = "/tmp/rl_dispatch_XXXXXX";

/* dir/rel, in a static buffer. */
static const char *in_dir(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* Writes text to dir/rel. Returns 0 or -1. */
static int write_file(const char *rel, const char *text)
{
	FILE *f = fopen(in_dir(rel), "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void test_failure_before_the_cursor_store_stays_in_the_batch(void)
{
	static struct rl_rec batch[BIG_BATCH];
	struct rl_lua_opts o = { .lua_dir = dir, .generated_dir = GENERATED_LUA_DIR,
				 .script = "spec", .code = "" };
	struct rl_lua *h = NULL;
	size_t done;
	uint64_t errors;

	CHECK(rl_lua_open(&h, &o) == 0);
	CHECK(rl_lua_dispatch(h, batch, BIG_BATCH) == BIG_BATCH);
	done = rl_lua_dispatch(h, batch, SMALL_BATCH);
	errors = rl_lua_errors(h);
	rl_lua_close(h);
	/* Each record was tried once, failed, and counted: never more than the batch. */
	CHECK(done == SMALL_BATCH);
	CHECK(errors == SMALL_BATCH);
}

int main(void)
{
	int ok = mkdtemp(dir) && mkdir(in_dir("ringlua"), 0755) == 0 &&
		 write_file("ringlua/host.lua", fake_host) == 0 &&
		 write_file("ringlua/init.lua", "return {}\n") == 0 &&
		 /* What -e has in scope besides ringlua. */
		 write_file("ringlua/agg.lua", "return {}\n") == 0 &&
		 write_file("ringlua/names.lua", "return {}\n") == 0 &&
		 /* -e's text is no program: plain Lua. */
		 write_file("ringlua/program.lua",
			    "return { translate = function() return nil end }\n") == 0;

	if (ok)
		RUN(test_failure_before_the_cursor_store_stays_in_the_batch);
	unlink(in_dir("ringlua/host.lua"));
	unlink(in_dir("ringlua/init.lua"));
	unlink(in_dir("ringlua/agg.lua"));
	unlink(in_dir("ringlua/names.lua"));
	unlink(in_dir("ringlua/program.lua"));
	rmdir(in_dir("ringlua"));
	rmdir(dir);
	return ok ? check_summary() : 1;
}
