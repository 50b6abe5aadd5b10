/*
 * mgd/conf: a 10,000+ line config (1,000 interfaces with an address and a
 * description, 2,000 static routes, 500 VLANs) through load, validate
 * (expand + libyang), print (curly and set), diff and set-line load. Prints
 * the times; fails when load + validate + print exceeds 1 s (issue 3's
 * commit goal covers the daemons too, so mgd's share must be well below).
 * Also checks that time grows linearly: 2x the config must not take 4x.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemons/mgd/conf.h"

static struct conf_ctx *cx;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
	char err[CONF_ERR_LEN];
	const char *d = getenv("KEEL_YANG_DIR");

	cx = conf_ctx_new(d ? d : "yang", err, sizeof(err));
	return cx ? 0 : -1;
}

static int teardown(void **state)
{
	conf_ctx_free(cx);
	return 0;
}

/* Curly text of n_if interfaces, n_rt routes, n_vl vlans; *lines counts lines. */
static char *gen(int n_if, int n_rt, int n_vl, int *lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	*lines = 0;
	fputs("system {\n    host-name perf;\n}\ninterfaces {\n", f);
	*lines += 4;
	for (i = 0; i < n_if; i++) {
		fprintf(f,
		        "    eth%d {\n        description \"port %d\";\n        unit 0 {\n"
		        "            family inet {\n"
		        "                address 10.%d.%d.1/24;\n"
		        "            }\n        }\n    }\n",
		        i, i, i / 256, i % 256);
		*lines += 8;
	}
	fputs("}\nrouting-options {\n    static {\n", f);
	*lines += 3;
	for (i = 0; i < n_rt; i++) {
		fprintf(f, "        route 172.%d.%d.0/24 next-hop 10.0.0.%d;\n", 16 + i / 256 % 16,
		        i % 256, 2 + i % 250);
		*lines += 1;
	}
	fputs("    }\n}\nvlans {\n", f);
	*lines += 3;
	for (i = 0; i < n_vl; i++) {
		fprintf(f, "    v%d {\n        vlan-id %d;\n    }\n", i + 1, i + 1);
		*lines += 3;
	}
	fputs("}\n", f);
	*lines += 1;
	fclose(f);
	return buf;
}

struct times {
	double load, validate, print, set, diff, setload;
	size_t out_lines;
};

static void measure(int n_if, int n_rt, int n_vl, struct times *t, bool verbose)
{
	char err[CONF_ERR_LEN], *text, *out = NULL, *set = NULL, *diff = NULL;
	struct conf *c = conf_new(cx), *c2, *c3 = conf_new(cx);
	int lines, line;
	double t0;
	size_t i;

	text = gen(n_if, n_rt, n_vl, &lines);
	t0 = now();
	if (conf_load(c, CONF_LOAD_OVERRIDE, text, NULL, 0, &line, err, sizeof(err)))
		fail_msg("load: line %d: %s", line, err);
	t->load = now() - t0;
	t0 = now();
	if (conf_validate(c, err, sizeof(err)))
		fail_msg("validate: %s", err);
	t->validate = now() - t0;
	t0 = now();
	assert_int_equal(conf_print(c, NULL, 0, CONF_FMT_TEXT, false, &out, err, sizeof(err)), 0);
	t->print = now() - t0;
	assert_string_equal(out, text); /* the generator writes Junos layout exactly */
	t0 = now();
	assert_int_equal(conf_print(c, NULL, 0, CONF_FMT_SET, false, &set, err, sizeof(err)), 0);
	t->set = now() - t0;
	for (t->out_lines = 0, i = 0; set[i]; i++)
		t->out_lines += set[i] == '\n';
	c2 = conf_dup(c);
	{
		const char *w[] = {"interfaces", "eth7", "mtu", "1400"};

		assert_int_equal(conf_set(c2, NULL, 0, w, 4, err, sizeof(err)), 0);
	}
	t0 = now();
	assert_int_equal(conf_diff(c, c2, NULL, 0, &diff, err, sizeof(err)), 0);
	t->diff = now() - t0;
	assert_string_equal(diff, "[edit interfaces eth7]\n+   mtu 1400;\n");
	t0 = now();
	if (conf_load(c3, CONF_LOAD_SET, set, NULL, 0, &line, err, sizeof(err)))
		fail_msg("load set: line %d: %s", line, err);
	t->setload = now() - t0;
	assert_true(conf_equal(c, c3));
	if (verbose)
		printf("conf perf: %d-line config (%d interfaces, %d routes, %d vlans; %zu set lines):"
		       " load %.1f ms, validate %.1f ms, print %.1f ms, display set %.1f ms,"
		       " diff %.1f ms, load set %.1f ms; load+validate+print %.1f ms\n",
		       lines, n_if, n_rt, n_vl, t->out_lines, t->load * 1e3, t->validate * 1e3,
		       t->print * 1e3, t->set * 1e3, t->diff * 1e3, t->setload * 1e3,
		       (t->load + t->validate + t->print) * 1e3);
	free(text);
	free(out);
	free(set);
	free(diff);
	conf_free(c);
	conf_free(c2);
	conf_free(c3);
}

static void test_perf_10k(void **state)
{
	struct times a, b;
	double ta, tb;

	measure(1000, 2000, 500, &a, true);
	ta = a.load + a.validate + a.print;
	assert_true(ta < 1.0);
	/* Linear, not quadratic: twice the config in well under 4x the time. */
	measure(2000, 4000, 1000, &b, true);
	tb = b.load + b.validate + b.print;
	printf("conf perf: 2x config took %.2fx the time\n", tb / ta);
	assert_true(tb < 3.2 * ta + 0.02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_perf_10k),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
