/*
 * The per-subscription output queue (pure).
 *
 * A collector that reads slower than values arrive must cost bounded memory
 * and never hold up the bus or other collectors (issue #9 item 4). So the
 * queue holds at most one entry per path: a newer value replaces the queued
 * one in place and counts a duplicate (gNMI spec §3.5.2.3: "the target MAY
 * drop older values of a path and set `duplicates`"). Entries sit in two
 * FIFO lanes, events (ON_CHANGE) before samples (counters), so a backlog of
 * counters never delays a state change.
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/gnmi.h"

static uint32_t gnmi_q_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h % GNMI_QUEUE_BUCKETS;
}

void gnmi_queue_init(struct gnmi_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
	q->free_head = -1;
	for (int l = 0; l < GNMI_LANE_N; l++)
		q->head[l] = q->tail[l] = -1;
	for (size_t i = 0; i < GNMI_QUEUE_BUCKETS; i++)
		q->bucket[i] = -1;
}

void gnmi_queue_free(struct gnmi_queue *q)
{
	struct gnmi_qent e;

	while (gnmi_queue_pop(q, &e))
		gnmi_qent_clear(&e);
	free(q->e);
	gnmi_queue_init(q, q->max);
}

void gnmi_qent_clear(struct gnmi_qent *e)
{
	tm_kv_clear(&e->kv);
}

static int gnmi_q_find(const struct gnmi_queue *q, const char *key, uint32_t b)
{
	for (int i = q->bucket[b]; i >= 0; i = q->e[i].hnext)
		if (!strcmp(q->e[i].kv.key, key))
			return i;
	return -1;
}

static void gnmi_q_unlink(struct gnmi_queue *q, int i)
{
	struct gnmi_qent *e = &q->e[i];

	if (e->prev >= 0)
		q->e[e->prev].next = e->next;
	else
		q->head[e->lane] = e->next;
	if (e->next >= 0)
		q->e[e->next].prev = e->prev;
	else
		q->tail[e->lane] = e->prev;
}

static void gnmi_q_append(struct gnmi_queue *q, int i, enum gnmi_lane lane)
{
	struct gnmi_qent *e = &q->e[i];

	e->lane = (uint8_t)lane;
	e->next = -1;
	e->prev = q->tail[lane];
	if (q->tail[lane] >= 0)
		q->e[q->tail[lane]].next = i;
	else
		q->head[lane] = i;
	q->tail[lane] = i;
}

int gnmi_queue_put(struct gnmi_queue *q, const Keel__Sensor__KeyValue *kv, uint64_t ts_ms,
                   enum gnmi_lane lane)
{
	uint32_t b;
	int i;

	if (!kv->key || lane >= GNMI_LANE_N)
		return -1;
	b = gnmi_q_hash(kv->key);
	i = q->n ? gnmi_q_find(q, kv->key, b) : -1;
	if (i >= 0) {
		struct gnmi_qent *e = &q->e[i];
		Keel__Sensor__KeyValue nkv;

		if (tm_kv_copy(&nkv, kv))
			return -1;
		tm_kv_clear(&e->kv);
		e->kv = nkv;
		e->ts_ms = ts_ms;
		e->duplicates++;
		q->coalesced++;
		if (lane == GNMI_LANE_EVENT && e->lane != GNMI_LANE_EVENT) {
			gnmi_q_unlink(q, i);
			gnmi_q_append(q, i, lane);
		}
		return 1;
	}
	if (q->n >= q->max) {
		q->refused++;
		return -1;
	}
	if (q->free_head >= 0) {
		i = q->free_head;
		q->free_head = q->e[i].next;
	} else {
		if (q->cap == (size_t)INT32_MAX) {
			q->refused++;
			return -1;
		}
		if (q->cap == 0 || (size_t)q->n >= q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 64;
			struct gnmi_qent *ne;

			if (cap > q->max)
				cap = q->max;
			ne = realloc(q->e, cap * sizeof(*ne));
			if (!ne) {
				q->refused++;
				return -1;
			}
			q->e = ne;
			q->cap = cap;
		}
		i = (int)q->n;
	}
	if (tm_kv_copy(&q->e[i].kv, kv)) {
		/* slot i is not linked anywhere: give it back */
		q->e[i].next = q->free_head;
		q->free_head = i;
		q->refused++;
		return -1;
	}
	q->e[i].ts_ms = ts_ms;
	q->e[i].duplicates = 0;
	q->e[i].hnext = q->bucket[b];
	q->bucket[b] = i;
	gnmi_q_append(q, i, lane);
	q->n++;
	return 0;
}

bool gnmi_queue_peek(const struct gnmi_queue *q, uint64_t *ts_ms, enum gnmi_lane *lane)
{
	for (int l = 0; l < GNMI_LANE_N; l++)
		if (q->head[l] >= 0) {
			if (ts_ms)
				*ts_ms = q->e[q->head[l]].ts_ms;
			if (lane)
				*lane = (enum gnmi_lane)l;
			return true;
		}
	return false;
}

bool gnmi_queue_pop(struct gnmi_queue *q, struct gnmi_qent *out)
{
	for (int l = 0; l < GNMI_LANE_N; l++) {
		int i = q->head[l], *pp;
		struct gnmi_qent *e;

		if (i < 0)
			continue;
		e = &q->e[i];
		gnmi_q_unlink(q, i);
		for (pp = &q->bucket[gnmi_q_hash(e->kv.key)]; *pp != i; pp = &q->e[*pp].hnext)
			;
		*pp = e->hnext;
		*out = *e;
		keel__sensor__key_value__init(&e->kv);
		/* the slot goes to the free list; array slots are reused, never moved */
		e->next = q->free_head;
		q->free_head = i;
		q->n--;
		return true;
	}
	return false;
}
