/*
 * telemetryd's per-publisher sequence accounting: publishers stamp every
 * message (dropped ones included) with the next sequence number, so a jump is
 * a loss, a step back is a restart, and the first message sets the baseline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/telemetryd/telemetryd.h"

static void test_gaps(void **st)
{
	static struct tm_pubs t;

	(void)st;
	memset(&t, 0, sizeof(t));
	assert_int_equal(tm_pubs_account(&t, "n0", "ifd", 40), 0); /* baseline */
	assert_int_equal(tm_pubs_account(&t, "n0", "ifd", 41), 0);
	assert_int_equal(tm_pubs_account(&t, "n0", "ifd", 45), 3);
	assert_int_equal(tm_pubs_account(&t, "n0", "bfdd", 7), 0); /* another publisher */
	assert_int_equal(tm_pubs_account(&t, "n0", "ifd", 1), 0);  /* restarted */
	assert_int_equal(tm_pubs_account(&t, "n0", "ifd", 3), 1);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.p[0].msgs, 5);
	assert_int_equal(t.p[0].lost, 4);
	assert_int_equal(t.p[0].restarts, 1);
	assert_int_equal(t.p[1].msgs, 1);
}

static void test_bound(void **st)
{
	static struct tm_pubs t;
	char comp[16];
	int i;

	(void)st;
	memset(&t, 0, sizeof(t));
	for (i = 0; i < TM_MAX_PUBS + 5; i++) {
		snprintf(comp, sizeof(comp), "d%d", i);
		tm_pubs_account(&t, "n0", comp, 1);
	}
	assert_int_equal(t.n, TM_MAX_PUBS);
	assert_int_equal(t.untracked, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gaps),
	        cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
