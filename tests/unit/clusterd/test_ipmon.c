/*
 * IP monitoring's reachability counter (ipmon_counter_step) and config validation. The probing
 * itself runs against the kernel in test_reth.c (root, private network namespace).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "daemons/clusterd/ipmon.h"

static void test_unreachable_after_retry_count(void **state)
{
	struct ipmon_counter c = {0};

	(void)state;
	assert_int_equal(c.state, RG_IP_UNKNOWN);
	/* retry-count 5: four failures leave it Unknown, the fifth makes it Unreachable */
	for (int i = 0; i < 4; i++) {
		assert_false(ipmon_counter_step(&c, false, 5));
		assert_int_equal(c.state, RG_IP_UNKNOWN);
	}
	assert_true(ipmon_counter_step(&c, false, 5));
	assert_int_equal(c.state, RG_IP_UNREACHABLE);
	/* more failures: no new change */
	assert_false(ipmon_counter_step(&c, false, 5));
	/* one reply: reachable again */
	assert_true(ipmon_counter_step(&c, true, 5));
	assert_int_equal(c.state, RG_IP_REACHABLE);
	assert_int_equal(c.fails, 0);
}

static void test_failures_must_be_consecutive(void **state)
{
	struct ipmon_counter c = {0};

	(void)state;
	assert_true(ipmon_counter_step(&c, true, 5));
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 4; i++)
			assert_false(ipmon_counter_step(&c, false, 5));
		assert_false(ipmon_counter_step(&c, true, 5));
		assert_int_equal(c.state, RG_IP_REACHABLE);
	}
	/* retry-count 15 */
	for (int i = 0; i < 14; i++)
		assert_false(ipmon_counter_step(&c, false, 15));
	assert_true(ipmon_counter_step(&c, false, 15));
	assert_int_equal(c.state, RG_IP_UNREACHABLE);
	/* 0 = the default, 5 */
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 4; i++)
		assert_false(ipmon_counter_step(&c, false, 0));
	assert_true(ipmon_counter_step(&c, false, 0));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ipmon_state_name(RG_IP_REACHABLE), "Reachable");
	assert_string_equal(ipmon_state_name(RG_IP_UNREACHABLE), "Unreachable");
	assert_string_equal(ipmon_state_name(RG_IP_UNKNOWN), "Unknown");
}

static void test_update_validation(void **state)
{
	struct ipmon *m = ipmon_new(NULL, NULL, NULL, NULL);
	struct ipmon_rg_cfg c;
	char err[160];

	(void)state;
	assert_non_null(m);
	/* nothing configured: no sockets needed, nothing listed */
	assert_int_equal(ipmon_update(m, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(ipmon_status(m, NULL, 0), 0);
	memset(&c, 0, sizeof(c));
	c.rg = 1;
	c.retry_count = 4; /* Junos range 5..15 */
	assert_int_equal(ipmon_update(m, &c, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "retry-count"));
	c.retry_count = 5;
	c.retry_interval_s = 31;
	assert_int_equal(ipmon_update(m, &c, 1, err, sizeof(err)), -1);
	c.retry_interval_s = 1;
	c.n_target = 1;
	c.target[0].addr = 0; /* no address */
	assert_int_equal(ipmon_update(m, &c, 1, err, sizeof(err)), -1);
	{
		struct ipmon_rg_cfg two[2] = {c, c};
		two[0].n_target = two[1].n_target = 0;
		assert_int_equal(ipmon_update(m, two, 2, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "twice"));
	}
	ipmon_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unreachable_after_retry_count),
	        cmocka_unit_test(test_failures_must_be_consecutive),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_update_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
