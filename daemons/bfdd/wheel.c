/*
 * The hashed timer wheel (wheel.h). Slot of a deadline: (at >> WHEEL_TICK_SHIFT) mod
 * WHEEL_SLOTS. A run visits the slots from cur_tick to now's tick (at most one full turn),
 * detaches each visited slot's list and fires the entries that are due; the others (a later
 * turn, or later within now's own slot) go back. cur_tick stops at now's tick, not after
 * it, because that slot may still hold entries due later in the same 256 µs.
 */
#include <stddef.h>

#include "daemons/bfdd/wheel.h"

static uint64_t wheel_tick(uint64_t at)
{
	return at >> WHEEL_TICK_SHIFT;
}

static void wheel_mark(struct wheel *w, uint32_t slot)
{
	w->busy[slot / 64] |= 1ull << (slot % 64);
}

static void wheel_unmark_if_empty(struct wheel *w, uint32_t slot)
{
	if (!w->slot[slot])
		w->busy[slot / 64] &= ~(1ull << (slot % 64));
}

void wheel_init(struct wheel *w, uint64_t now_us)
{
	*w = (struct wheel){0};
	w->cur_tick = wheel_tick(now_us);
}

void wheel_timer_init(struct wheel_timer *t, wheel_fn fn)
{
	t->next = NULL;
	t->pprev = NULL;
	t->at = 0;
	t->fn = fn;
}

static uint32_t wheel_slot_of(const struct wheel *w, uint64_t at)
{
	uint64_t tick = wheel_tick(at);

	/* Overdue deadlines go to the slot the next run starts with. */
	if (tick < w->cur_tick)
		tick = w->cur_tick;
	return (uint32_t)(tick % WHEEL_SLOTS);
}

static void wheel_link(struct wheel *w, struct wheel_timer *t)
{
	uint32_t s = wheel_slot_of(w, t->at);

	t->slot = s;
	t->next = w->slot[s];
	if (t->next)
		t->next->pprev = &t->next;
	w->slot[s] = t;
	t->pprev = &w->slot[s];
	wheel_mark(w, s);
	w->count++;
	if (!w->next_dirty && (w->next_at == 0 || t->at < w->next_at))
		w->next_at = t->at;
}

static void wheel_unlink(struct wheel *w, struct wheel_timer *t)
{
	uint32_t s = t->slot;

	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	w->count--;
	wheel_unmark_if_empty(w, s);
	if (t->at <= w->next_at)
		w->next_dirty = true;
}

void wheel_cancel(struct wheel *w, struct wheel_timer *t)
{
	if (t->pprev)
		wheel_unlink(w, t);
}

void wheel_set(struct wheel *w, struct wheel_timer *t, uint64_t at)
{
	if (t->pprev) {
		if (t->at == at)
			return;
		wheel_unlink(w, t);
	}
	if (at == 0)
		return;
	t->at = at;
	wheel_link(w, t);
}

unsigned wheel_run(struct wheel *w, uint64_t now_us)
{
	uint64_t end = wheel_tick(now_us);
	uint64_t steps;
	unsigned fired = 0;

	if (end < w->cur_tick)
		return 0;
	steps = end - w->cur_tick + 1;
	if (steps > WHEEL_SLOTS)
		steps = WHEEL_SLOTS; /* a stall longer than a turn: every slot once */
	for (uint64_t i = 0; i < steps; i++) {
		uint32_t s = (uint32_t)((w->cur_tick + i) % WHEEL_SLOTS);
		struct wheel_timer *list, *t;

		if (!(w->busy[s / 64] & (1ull << (s % 64))))
			continue;
		/* Detach the slot: callbacks may add to it while we walk. */
		list = w->slot[s];
		w->slot[s] = NULL;
		w->busy[s / 64] &= ~(1ull << (s % 64));
		if (list)
			list->pprev = &list;
		while ((t = list) != NULL) {
			list = t->next;
			if (list)
				list->pprev = &list;
			t->next = NULL;
			t->pprev = NULL;
			w->count--;
			if (t->at <= now_us) {
				if (now_us - t->at > w->late_max_us)
					w->late_max_us = now_us - t->at;
				w->fired++;
				fired++;
				w->next_dirty = true;
				t->fn(t, now_us);
			} else {
				/* Not due: a later turn, or later in now's slot. Re-linking
				 * before cur_tick moves would put a far one back here, so
				 * link it directly into its own slot. */
				uint32_t own = (uint32_t)(wheel_tick(t->at) % WHEEL_SLOTS);

				t->slot = own;
				t->next = w->slot[own];
				if (t->next)
					t->next->pprev = &t->next;
				w->slot[own] = t;
				t->pprev = &w->slot[own];
				wheel_mark(w, own);
				w->count++;
			}
		}
	}
	w->cur_tick = end;
	return fired;
}

/* Earliest `at` in one slot. */
static uint64_t wheel_slot_min(const struct wheel *w, uint32_t s)
{
	uint64_t m = 0;

	for (const struct wheel_timer *t = w->slot[s]; t; t = t->next)
		if (m == 0 || t->at < m)
			m = t->at;
	return m;
}

uint64_t wheel_next(struct wheel *w)
{
	uint64_t best = 0;

	if (!w->next_dirty)
		return w->next_at;
	if (w->count == 0) {
		w->next_at = 0;
		w->next_dirty = false;
		return 0;
	}
	/* Walk the busy bitmap from cur_tick; the first slot holding an entry of this turn
	 * ends the walk, since every later slot of this turn is later still. Entries of later
	 * turns found on the way are candidates too. */
	for (uint64_t i = 0; i < WHEEL_SLOTS;) {
		uint64_t tick = w->cur_tick + i;
		uint32_t s = (uint32_t)(tick % WHEEL_SLOTS);
		uint64_t word = w->busy[s / 64] >> (s % 64);

		if (!word) {
			i += 64 - (s % 64); /* skip the rest of this bitmap word */
			continue;
		}
		i += (uint64_t)__builtin_ctzll(word);
		tick = w->cur_tick + i;
		s = (uint32_t)(tick % WHEEL_SLOTS);
		if (best && (tick << WHEEL_TICK_SHIFT) > best)
			break;
		{
			uint64_t m = wheel_slot_min(w, s);

			if (m && (best == 0 || m < best))
				best = m;
			if (m && wheel_tick(m) <= tick)
				break; /* an entry of this turn (or overdue): nothing later beats it
				        */
		}
		i++;
	}
	w->next_at = best;
	w->next_dirty = false;
	return best;
}
