/*
 * A hashed timer wheel for bfdd (issue 5 item 4): thousands of sessions, three deadlines
 * each, rescheduled on every packet. Add, move and cancel are O(1) (an intrusive doubly
 * linked list per slot); firing touches only the slots between the last run and now.
 *
 * Time is absolute microseconds on the monotonic clock. A slot covers 2^WHEEL_TICK_SHIFT µs
 * and the wheel WHEEL_SLOTS slots (about 2.1 s); a deadline further out waits in its slot
 * for as many turns as it takes (its exact deadline is compared on every visit), so no
 * deadline is ever rounded: the wheel fires an entry at the first run at or after its `at`,
 * and wheel_next() tells the loop the exact µs of the earliest one, for one libevent timer.
 *
 * Pure: no clock, no libevent; the daemon (io.c) drives it and unit tests use a fake clock.
 */
#ifndef KEEL_BFDD_WHEEL_H
#define KEEL_BFDD_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define WHEEL_TICK_SHIFT 8 /* 256 µs per slot */
#define WHEEL_SLOTS      8192
#define WHEEL_WORDS      (WHEEL_SLOTS / 64)

struct wheel_timer;
typedef void (*wheel_fn)(struct wheel_timer *t, uint64_t now_us);

struct wheel_timer {
	struct wheel_timer *next, **pprev; /* pprev == NULL: not scheduled */
	uint64_t at;
	wheel_fn fn;
	uint32_t slot; /* where it is linked */
};

struct wheel {
	struct wheel_timer *slot[WHEEL_SLOTS];
	uint64_t busy[WHEEL_WORDS]; /* bit per non-empty slot */
	uint64_t cur_tick;          /* the slot the next run starts at */
	uint64_t next_at;           /* cached earliest deadline, valid unless next_dirty */
	bool next_dirty;
	uint32_t count;
	/* statistics */
	uint64_t fired;
	uint64_t late_max_us; /* worst (now - at) seen when firing */
};

void wheel_init(struct wheel *w, uint64_t now_us);
void wheel_timer_init(struct wheel_timer *t, wheel_fn fn);
/* (Re)schedules t at absolute time at; at == 0 cancels. A deadline in the past fires on
 * the next run. */
void wheel_set(struct wheel *w, struct wheel_timer *t, uint64_t at);
void wheel_cancel(struct wheel *w, struct wheel_timer *t);
static inline bool wheel_pending(const struct wheel_timer *t)
{
	return t->pprev != 0;
}
/* Fires every timer with at <= now, earliest slot first (a callback may set any timer,
 * itself included). Returns the number fired. */
unsigned wheel_run(struct wheel *w, uint64_t now_us);
/* The earliest deadline, 0 when nothing is scheduled. */
uint64_t wheel_next(struct wheel *w);

#endif
