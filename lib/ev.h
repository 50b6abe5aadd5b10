/*
 * Event loop and timers on libevent.
 *
 * ev_base_new() makes a base whose timers run on CLOCK_MONOTONIC with
 * EVENT_BASE_FLAG_PRECISE_TIMER, so sub-millisecond timeouts (BFD) are kept
 * (epoll + timerfd) instead of being rounded to milliseconds.
 */
#ifndef KEEL_EV_H
#define KEEL_EV_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

struct event_base *ev_base_new(void);

/* Monotonic clock readings. */
uint64_t mono_ns(void);
uint64_t mono_us(void);
uint64_t mono_ms(void);
/* Wall clock in milliseconds since the epoch (for timestamps, never timers). */
uint64_t wall_ms(void);

typedef void (*timer_fn)(void *arg);

struct timer {
	struct event ev;
	timer_fn fn;
	void *arg;
	bool init;
};

void timer_init(struct timer *t, struct event_base *base, timer_fn fn, void *arg);
/* (Re)arm: a pending timer is moved to the new expiry. */
void timer_add_ms(struct timer *t, uint64_t ms);
void timer_add_us(struct timer *t, uint64_t us);
void timer_del(struct timer *t);
bool timer_pending(const struct timer *t);

#endif
