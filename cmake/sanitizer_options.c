/* Sanitizer settings built into every executable of a RINGLUA_SANITIZE tree, so that
 * whatever runs it (ctest, a test script, a person) gets them without an environment.
 *
 * A finding exits with a status of its own: ringlua exits 1 and 2 on purpose, and a test
 * that expects one of those must not mistake a sanitizer's exit for it. Leaks are checked
 * at exit; a leak is a finding like any other. The sanitizers call these before the
 * program is initialized, so they must not be instrumented themselves. */
#define NOT_INSTRUMENTED __attribute__((no_sanitize("address", "undefined"), used))

NOT_INSTRUMENTED const char *__asan_default_options(void)
{
	return "exitcode=86:detect_leaks=1:strict_string_checks=1";
}

NOT_INSTRUMENTED const char *__ubsan_default_options(void)
{
	return "exitcode=86:print_stacktrace=1";
}
