/*
 * The bfdd timer wheel (daemons/bfdd/wheel.c) against a fake clock: firing order, exact
 * deadlines (no rounding to the slot), cancellation, rescheduling from inside a callback,
 * deadlines beyond one turn, overdue deadlines, a stall longer than a turn, wheel_next()
 * against a brute-force minimum with thousands of entries, and a periodic timer that does
 * not drift over thousands of periods.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/bfdd/wheel.h"

struct ent {
	struct wheel_timer t;
	int id;
	uint64_t fired_at;
	unsigned fires;
	uint64_t period; /* reschedule itself at at + period when nonzero */
	struct wheel *w;
};

static int order[64];
static unsigned n_order;

static void on_fire(struct wheel_timer *t, uint64_t now)
{
	struct ent *e = (struct ent *)((char *)t - offsetof(struct ent, t));

	e->fired_at = now;
	e->fires++;
	if (n_order < 64)
		order[n_order++] = e->id;
	if (e->period)
		wheel_set(e->w, &e->t, t->at + e->period);
}

static void ent_init(struct ent *e, struct wheel *w, int id)
{
	memset(e, 0, sizeof(*e));
	wheel_timer_init(&e->t, on_fire);
	e->id = id;
	e->w = w;
}

static void test_order_and_exact_deadline(void **state)
{
	struct wheel w;
	struct ent e[4];
	uint64_t t0 = 1000000;

	(void)state;
	n_order = 0;
	wheel_init(&w, t0);
	for (int i = 0; i < 4; i++)
		ent_init(&e[i], &w, i);
	/* Three in the same 256 µs slot, one earlier in another. */
	wheel_set(&w, &e[0].t, t0 + 5100);
	wheel_set(&w, &e[1].t, t0 + 5010);
	wheel_set(&w, &e[2].t, t0 + 5050);
	wheel_set(&w, &e[3].t, t0 + 300);
	assert_int_equal(wheel_next(&w), t0 + 300);
	assert_int_equal(wheel_run(&w, t0 + 299), 0);
	assert_int_equal(wheel_run(&w, t0 + 300), 1);
	assert_int_equal(order[0], 3);
	assert_int_equal(wheel_next(&w), t0 + 5010);
	/* Within the slot, not before each deadline. */
	assert_int_equal(wheel_run(&w, t0 + 5049), 1);
	assert_int_equal(e[1].fired_at, t0 + 5049);
	assert_int_equal(wheel_next(&w), t0 + 5050);
	assert_int_equal(wheel_run(&w, t0 + 6000), 2);
	assert_int_equal(w.count, 0);
	assert_int_equal(wheel_next(&w), 0);
}

static void test_cancel_and_reschedule(void **state)
{
	struct wheel w;
	struct ent a, b;
	uint64_t t0 = 77;

	(void)state;
	n_order = 0;
	wheel_init(&w, t0);
	ent_init(&a, &w, 1);
	ent_init(&b, &w, 2);
	wheel_set(&w, &a.t, t0 + 1000);
	wheel_set(&w, &b.t, t0 + 2000);
	wheel_cancel(&w, &a.t);
	assert_false(wheel_pending(&a.t));
	assert_int_equal(wheel_next(&w), t0 + 2000);
	wheel_set(&w, &b.t, t0 + 500); /* earlier */
	assert_int_equal(wheel_next(&w), t0 + 500);
	wheel_set(&w, &b.t, t0 + 900000); /* later, several turns away */
	assert_int_equal(wheel_next(&w), t0 + 900000);
	assert_int_equal(wheel_run(&w, t0 + 899999), 0);
	assert_int_equal(wheel_run(&w, t0 + 900000), 1);
	assert_int_equal(a.fires, 0);
	assert_int_equal(b.fires, 1);
	wheel_set(&w, &a.t, 0); /* 0 cancels, also when not pending */
	assert_int_equal(w.count, 0);
}

/* A callback cancels an entry that sits in the slot being walked. */
static struct ent *victim;
static void cancel_other(struct wheel_timer *t, uint64_t now)
{
	struct ent *e = (struct ent *)((char *)t - offsetof(struct ent, t));

	on_fire(t, now);
	wheel_cancel(e->w, &victim->t);
}

static void test_cancel_from_callback(void **state)
{
	struct wheel w;
	struct ent a, b;

	(void)state;
	n_order = 0;
	wheel_init(&w, 0);
	ent_init(&a, &w, 1);
	ent_init(&b, &w, 2);
	a.t.fn = cancel_other;
	victim = &b;
	wheel_set(&w, &b.t, 1010);
	wheel_set(&w, &a.t, 1000); /* head of the same slot: walked first */
	assert_int_equal(wheel_run(&w, 2000), 1);
	assert_int_equal(b.fires, 0);
	assert_int_equal(w.count, 0);
}

static void test_overdue_and_stall(void **state)
{
	struct wheel w;
	struct ent a, b;

	(void)state;
	n_order = 0;
	wheel_init(&w, 10000000);
	ent_init(&a, &w, 1);
	ent_init(&b, &w, 2);
	wheel_set(&w, &a.t, 5); /* in the past: next run */
	assert_int_equal(wheel_next(&w), 5);
	assert_int_equal(wheel_run(&w, 10000000), 1);
	/* A stall of many turns still fires what is due, once. */
	wheel_set(&w, &b.t, 10000000 + 3000);
	assert_int_equal(wheel_run(&w, 10000000 + 60000000), 1);
	assert_int_equal(b.fires, 1);
	assert_int_equal(w.late_max_us, 60000000 - 3000);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Thousands of entries, random deadlines over several turns, random moves and cancels;
 * wheel_next is the true minimum every time and everything fires exactly once, in order. */
static void test_thousands(void **state)
{
	enum { N = 5000 };
	struct wheel *w = calloc(1, sizeof(*w));
	struct ent *e = calloc(N, sizeof(*e));
	uint64_t now = 123456, last = 0;
	unsigned fired = 0, live = 0;

	(void)state;
	assert_non_null(w);
	assert_non_null(e);
	wheel_init(w, now);
	for (int i = 0; i < N; i++) {
		ent_init(&e[i], w, i);
		wheel_set(w, &e[i].t, now + 1 + rnd() % 6000000);
	}
	for (int i = 0; i < N; i += 3)
		wheel_set(w, &e[i].t, now + 1 + rnd() % 6000000); /* moved */
	for (int i = 1; i < N; i += 7)
		wheel_cancel(w, &e[i].t);
	for (int i = 0; i < N; i++)
		live += wheel_pending(&e[i].t);
	assert_int_equal(w->count, live);
	while (w->count) {
		uint64_t min = 0, next = wheel_next(w);

		for (int i = 0; i < N; i++)
			if (wheel_pending(&e[i].t) && (min == 0 || e[i].t.at < min))
				min = e[i].t.at;
		assert_int_equal(next, min);
		assert_true(next >= last);
		last = next;
		now = next;
		fired += wheel_run(w, now);
	}
	assert_int_equal(fired, live);
	for (int i = 0; i < N; i++)
		assert_true(e[i].fires <= 1);
	free(e);
	free(w);
}

/* A 50 ms periodic timer rescheduled from its deadline: after 10000 periods (over 8 min of
 * fake time, many turns) it fires at exactly t0 + k * 50 ms, no drift. A second one at an
 * odd 3333 µs period shares the wheel. */
static void test_no_drift(void **state)
{
	struct wheel w;
	struct ent a, b;
	uint64_t t0 = 5000000;

	(void)state;
	n_order = 0;
	wheel_init(&w, t0);
	ent_init(&a, &w, 1);
	ent_init(&b, &w, 2);
	a.period = 50000;
	b.period = 3333;
	wheel_set(&w, &a.t, t0 + a.period);
	wheel_set(&w, &b.t, t0 + b.period);
	for (unsigned k = 1; k <= 10000; k++) {
		uint64_t due = t0 + k * a.period;

		while (wheel_next(&w) < due)
			wheel_run(&w, wheel_next(&w));
		assert_int_equal(wheel_next(&w), due);
		wheel_run(&w, due);
		assert_int_equal(a.fired_at, due);
		assert_int_equal(a.fires, k);
	}
	assert_int_equal(b.fires, (10000ull * 50000) / 3333);
	assert_int_equal(w.late_max_us, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_order_and_exact_deadline),
	        cmocka_unit_test(test_cancel_and_reschedule),
	        cmocka_unit_test(test_cancel_from_callback),
	        cmocka_unit_test(test_overdue_and_stall),
	        cmocka_unit_test(test_thousands),
	        cmocka_unit_test(test_no_drift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
