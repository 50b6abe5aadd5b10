#include "lib/ev.h"

#include <time.h>

#include "lib/log.h"

struct event_base *ev_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		fatalx("event_config_new failed");
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!base)
		fatalx("event_base_new failed");
	return base;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mono_us(void)
{
	return mono_ns() / 1000;
}

uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;

	t->fn(t->arg);
}

void timer_init(struct timer *t, struct event_base *base, timer_fn fn, void *arg)
{
	t->fn = fn;
	t->arg = arg;
	event_assign(&t->ev, base, -1, 0, timer_cb, t);
	t->init = true;
}

void timer_add_us(struct timer *t, uint64_t us)
{
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
	                     .tv_usec = (suseconds_t)(us % 1000000)};

	event_add(&t->ev, &tv);
}

void timer_add_ms(struct timer *t, uint64_t ms)
{
	timer_add_us(t, ms * 1000);
}

void timer_del(struct timer *t)
{
	if (t->init)
		event_del(&t->ev);
}

bool timer_pending(const struct timer *t)
{
	return t->init && event_pending(&t->ev, EV_TIMEOUT, NULL);
}
