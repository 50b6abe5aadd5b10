/* The CLI command engine: prefix matching, errors, pipes, completion, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"

static struct cli test_cli = {.user = "u", .host = "node0", .timeout_ms = 200};

/* Runs a line, returns its output (static buffer) and the status in *rc. */
static const char *run(const char *line, int *rc)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	memset(buf, 0, sizeof(buf));
	*rc = cli_exec_line(&test_cli, line, f);
	fclose(f);
	return buf;
}

static void test_exact_and_prefix(void **state)
{
	int rc;
	const char *out = run("show version", &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "Hostname: node0"));
	out = run("sh ver", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "Model: keel"));
}

static void test_errors(void **state)
{
	int rc, before = test_cli.errors;

	run("shoe version", &rc);
	assert_int_not_equal(rc, 0);
	run("show", &rc); /* incomplete */
	assert_int_not_equal(rc, 0);
	run("show s", &rc); /* ambiguous: system? only one s-word -> system: incomplete */
	assert_int_not_equal(rc, 0);
	run("show version extra", &rc);
	assert_int_not_equal(rc, 0);
	run("show version | bogus", &rc);
	assert_int_not_equal(rc, 0);
	run("show version | match '(' ", &rc);
	assert_int_not_equal(rc, 0);
	run("show 'version", &rc);
	assert_int_not_equal(rc, 0);
	assert_int_equal(test_cli.errors, before + 7);
}

static void test_pipes(void **state)
{
	int rc;
	const char *out = run("show version | match Model", &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "Model: keel\n");
	out = run("show version | except Model | count", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "Count: 2 lines\n");
	out = run("show version | display json", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"host-name\": \"node0\""));
	out = run("show version | disp json | match host", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "host-name"));
	assert_null(strstr(out, "product-model"));
	out = run("show version | no-more", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "keel: "));
}

static void test_split(void **state)
{
	char buf[] = "show version; show system processes ;; 'a;b' x";
	char *cmds[8];
	int n = cli_split_commands(buf, cmds, 8);

	assert_int_equal(n, 3);
	assert_string_equal(cmds[0], "show version");
	assert_string_equal(cmds[1], "show system processes");
	assert_string_equal(cmds[2], "'a;b' x");
}

static void test_complete(void **state)
{
	const char *m[16], *prefix;
	int n = cli_complete("sh", m, 16, &prefix);

	assert_int_equal(n, 1);
	assert_string_equal(m[0], "show");
	assert_string_equal(prefix, "sh");
	n = cli_complete("show ", m, 16, &prefix);
	assert_true(n >= 3);
	assert_string_equal(prefix, "");
	n = cli_complete("show interfaces terse ", m, 16, &prefix);
	for (int i = 0; i < n; i++) /* an option already given is not offered again */
		assert_string_not_equal(m[i], "terse");
	n = cli_complete("show version | di", m, 16, &prefix);
	assert_int_equal(n, 1);
	assert_string_equal(m[0], "display");
	n = cli_complete("bogus ", m, 16, &prefix);
	assert_int_equal(n, 0);
}

static void test_help(void **state)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	cli_help("show ", f);
	fclose(f);
	assert_non_null(strstr(buf, "Possible completions:"));
	assert_non_null(strstr(buf, "version"));
	assert_non_null(strstr(buf, "Show software version"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exact_and_prefix),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_pipes),
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_complete),
	        cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
