/*
 * telemetryd's per-publisher sequence accounting: publishers stamp every
 * message (dropped ones included) with the next sequence number, so a jump is
 * a loss, a step back is a restart, and the first message sets the baseline.
 * One connection feeds several consumers (sensor table, gNMI cache): each gets
 * every decoded message once, in registration order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <stdlib.h>

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

struct fan_rec {
	char log[64];
	size_t n;
};

static void fan_a(void *arg, const Keel__Sensor__SensorData *d)
{
	struct fan_rec *r = arg;

	if (r->n + 2 < sizeof(r->log)) {
		r->log[r->n++] = 'a';
		r->log[r->n++] = (char)('0' + d->sequence % 10);
	}
}

static void fan_b(void *arg, const Keel__Sensor__SensorData *d)
{
	struct fan_rec *r = arg;

	if (r->n + 2 < sizeof(r->log)) {
		r->log[r->n++] = 'b';
		r->log[r->n++] = (char)('0' + d->sequence % 10);
	}
}

static void test_fanout(void **st)
{
	struct event_base *base = event_base_new();
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	struct fan_rec r;
	struct tm_bus_stats bs;
	struct tm_bus *b;

	(void)st;
	memset(&r, 0, sizeof(r));
	/* no broker there: the client keeps retrying; dispatch does not need it */
	setenv("KEEL_BUS_PORT", "9", 1);
	b = tm_bus_open(base, fan_a, &r);
	assert_non_null(b);
	assert_int_equal(tm_bus_consumer_add(b, fan_b, &r), 0);
	d.node = "n0";
	d.component = "ifd";
	d.sequence = 1;
	tm_bus_dispatch(b, &d);
	d.sequence = 3; /* one lost, counted once whatever the number of consumers */
	tm_bus_dispatch(b, &d);
	assert_string_equal(r.log, "a1b1a3b3");
	tm_bus_stats(b, &bs);
	assert_int_equal(bs.msgs, 2);
	assert_int_equal(bs.lost, 1);
	tm_bus_consumer_del(b, fan_a, &r);
	d.sequence = 4;
	tm_bus_dispatch(b, &d);
	assert_string_equal(r.log, "a1b1a3b3b4");
	for (int i = 1; i < TM_BUS_MAX_CONSUMERS; i++)
		assert_int_equal(tm_bus_consumer_add(b, fan_a, &r), 0);
	assert_int_equal(tm_bus_consumer_add(b, fan_a, &r), -1);
	assert_int_equal(tm_bus_consumer_add(b, NULL, NULL), -1);
	tm_bus_close(b);
	event_base_free(base);
	unsetenv("KEEL_BUS_PORT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gaps),
	        cmocka_unit_test(test_bound),
	        cmocka_unit_test(test_fanout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
