/*
 * No dual primary on simultaneous start: two RG engines wired back to back
 * through a simulated network, over many random seeds (default 10,000; the
 * RG_SIM_SEEDS environment variable overrides it).
 *
 * Per seed, at random: heartbeat interval (10, 100 or 1000 ms) and threshold
 * (3..8); three groups with priorities drawn from {1, 100, 200, 254} (ties
 * are common), preempt on RG1/RG2 with delay 1..3 s; which node starts first
 * and the start offset (0, within the boot hold, close to its end, or after
 * it); cold sync done at start or some intervals later; per-packet loss
 * probability 0..50 % on each control link and the fabric, and delivery
 * delay 0..0.9 interval per packet.
 *
 * "No partition" is the assumption of the safety argument in rg.c: the
 * failure detector never fires falsely. The simulation enforces it by
 * delivering at least one control-link copy after threshold - 2 consecutive
 * heartbeats lost on both links, so the gap between received heartbeats
 * stays below threshold x interval even with the delay jitter. Inside that,
 * losses and delays are arbitrary.
 *
 * Checked after every simulated event: never both nodes primary for one
 * group. At the end: exactly one primary per group, and with equal start
 * times the election winner (higher priority, then node 0) holds it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/clusterd/rg.h"

#define SIM_GROUPS    3
#define SIM_IN_FLIGHT 128

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: good enough and reproducible from the seed alone */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

struct flight {
	bool used;
	uint64_t t, order;
	int to;
	struct hb_pkt pkt;
};

struct sim {
	struct rng r;
	uint32_t iv;
	uint8_t thr;
	unsigned loss_pct[3]; /* ctl0, ctl1, fabric */
	struct rg_engine n[CL_NODES];
	bool up[CL_NODES];
	uint64_t start[CL_NODES], next_send[CL_NODES], cs_done_at[CL_NODES];
	uint64_t seq[CL_NODES];
	unsigned lost_run[CL_NODES]; /* consecutive sends lost on both control links */
	struct rg_cluster_cfg cfg;
	struct rg_group_cfg groups[SIM_GROUPS];
	struct flight fl[SIM_IN_FLIGHT];
	uint64_t order;
	uint64_t now;
};

struct sim_stats {
	unsigned seeds;
	unsigned alone; /* a node became primary alone after its boot hold */
	unsigned elected;
	unsigned preempted;
	unsigned cs_gated; /* a node was ineligible for CS at some point */
	uint64_t events, packets, dropped;
};

static void sim_drain(struct sim *s, int node, struct sim_stats *st)
{
	struct rg_action a;

	while (rg_engine_next_action(&s->n[node], &a)) {
		if (a.type != RG_ACT_STATE)
			continue;
		if (a.event == RG_EVT_PEER_ABSENT)
			st->alone++;
		else if (a.event == RG_EVT_ELECT_WIN)
			st->elected++;
		else if (a.event == RG_EVT_PREEMPT_DUE)
			st->preempted++;
		/* No peer loss may happen without a partition. */
		if (a.event == RG_EVT_PEER_LOST || a.event == RG_EVT_CTL_LINK_FAILED ||
		    a.event == RG_EVT_ELECT_LOSE)
			fail_msg("unexpected %s at %llu (node%d rg%u)",
			         rg_event_name((enum rg_event)a.event), (unsigned long long)s->now,
			         node, a.rg);
	}
}

static void sim_check(struct sim *s, uint64_t seed)
{
	for (int k = 0; k < SIM_GROUPS; k++) {
		uint8_t id = s->groups[k].id;
		if (s->up[0] && s->up[1] && rg_engine_state(&s->n[0], id) == RG_STATE_PRIMARY &&
		    rg_engine_state(&s->n[1], id) == RG_STATE_PRIMARY)
			fail_msg("seed %llu: rg%u primary on both nodes at %llu ms (interval %u, "
			         "threshold %u, starts %llu/%llu)",
			         (unsigned long long)seed, id, (unsigned long long)s->now, s->iv,
			         s->thr, (unsigned long long)s->start[0],
			         (unsigned long long)s->start[1]);
	}
}

static void sim_boot(struct sim *s, int node, struct sim_stats *st)
{
	char err[128] = "";

	rg_engine_init(&s->n[node], (uint8_t)node, s->now);
	if (rg_engine_configure(&s->n[node], &s->cfg, s->now, err, sizeof(err)) < 0)
		fail_msg("configure: %s", err);
	if (s->cs_done_at[node] <= s->now)
		rg_engine_coldsync(&s->n[node], CL_CS_DONE, s->now);
	else
		rg_engine_coldsync(&s->n[node], CL_CS_IN_PROGRESS, s->now);
	s->up[node] = true;
	s->next_send[node] = s->now;
	sim_drain(s, node, st);
}

static void sim_queue(struct sim *s, int to, const struct hb_pkt *p, struct sim_stats *st)
{
	uint64_t delay = rnd_below(&s->r, s->iv * 9 / 10 + 1);

	for (int i = 0; i < SIM_IN_FLIGHT; i++) {
		if (s->fl[i].used)
			continue;
		s->fl[i].used = true;
		s->fl[i].t = s->now + delay;
		s->fl[i].order = s->order++;
		s->fl[i].to = to;
		s->fl[i].pkt = *p;
		st->packets++;
		return;
	}
	fail_msg("too many packets in flight");
}

static void sim_send(struct sim *s, int from, struct sim_stats *st)
{
	int to = from ^ 1;
	static struct hb_pkt p;

	if (s->now >= s->cs_done_at[from] && s->n[from].coldsync != CL_CS_DONE)
		rg_engine_coldsync(&s->n[from], CL_CS_DONE, s->now);
	rg_engine_tick(&s->n[from], s->now);
	sim_drain(s, from, st);
	for (int k = 0; k < SIM_GROUPS; k++)
		if (s->n[from].rg[s->groups[k].id]->mon_fail & CL_MON_CS &&
		    rg_engine_state(&s->n[from], s->groups[k].id) == RG_STATE_INELIGIBLE)
			st->cs_gated++;

	memset(&p, 0, sizeof(p));
	p.version = HB_VERSION;
	p.cluster_id = 1;
	p.node_id = (uint8_t)from;
	p.seq = ++s->seq[from];
	p.session_id = 0x5e55 + (uint64_t)from;
	rg_engine_advertise(&s->n[from], s->now, &p);

	bool ok[3];
	for (int l = 0; l < 3; l++)
		ok[l] = rnd_below(&s->r, 100) >= s->loss_pct[l];
	if (!ok[0] && !ok[1]) {
		/* No partition: at most threshold - 2 heartbeats in a row lost on both links. */
		if (++s->lost_run[from] > (unsigned)s->thr - 2u) {
			ok[rnd_below(&s->r, 2)] = true;
			s->lost_run[from] = 0;
		}
	} else {
		s->lost_run[from] = 0;
	}
	for (int l = 0; l < 3; l++) {
		if (!ok[l]) {
			st->dropped++;
			continue;
		}
		p.type = l < 2 ? HB_TYPE_CONTROL : HB_TYPE_FABRIC;
		p.link = (uint8_t)(l < 2 ? l : 0);
		sim_queue(s, to, &p, st);
	}
}

/* Returns the winner an election between two fresh nodes must pick for group k. */
static int sim_expected(const struct sim *s, int k)
{
	const struct rg_group_cfg *g = &s->groups[k];

	if (g->priority[0] != g->priority[1])
		return g->priority[0] > g->priority[1] ? 0 : 1;
	return 0;
}

static void sim_one(uint64_t seed, struct sim_stats *st)
{
	static const uint32_t ivs[] = {10, 100, 1000};
	static const uint8_t prios[] = {1, 100, 200, 254};
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->r.s = seed * 0x2545f4914f6cdd1dull + 1;
	s->iv = ivs[rnd_below(&s->r, 3)];
	s->thr = (uint8_t)(3 + rnd_below(&s->r, 6));
	unsigned loss = (unsigned)rnd_below(&s->r, 51);
	for (int l = 0; l < 3; l++)
		s->loss_pct[l] = rnd_below(&s->r, 4) ? loss : (unsigned)rnd_below(&s->r, 51);
	uint32_t preempt_max = 0;
	for (int k = 0; k < SIM_GROUPS; k++) {
		struct rg_group_cfg *g = &s->groups[k];
		g->id = (uint8_t)k;
		g->priority[0] = prios[rnd_below(&s->r, 4)];
		g->priority[1] =
		        rnd_below(&s->r, 4) == 0 ? g->priority[0] : prios[rnd_below(&s->r, 4)];
		g->hold_down_s = k == 0 ? -1 : (int32_t)rnd_below(&s->r, 3);
		g->ip_global_weight = 255;
		if (k > 0 && rnd_below(&s->r, 2)) {
			g->preempt = true;
			g->preempt_delay_s = (uint32_t)(1 + rnd_below(&s->r, 3));
			if (g->preempt_delay_s > preempt_max)
				preempt_max = g->preempt_delay_s;
		}
	}
	s->cfg.hb_interval_ms = s->iv;
	s->cfg.hb_threshold = s->thr;
	s->cfg.n_groups = SIM_GROUPS;
	s->cfg.groups = s->groups;

	uint64_t detect = (uint64_t)s->thr * s->iv, hold = 2 * detect, off;
	switch (rnd_below(&s->r, 6)) {
	case 0:
		off = 0;
		break;
	case 1: /* around the end of the first node's boot hold: the critical race */
		off = hold - detect + rnd_below(&s->r, 2 * detect + 1);
		break;
	case 5: /* within the last interval of that hold */
		off = hold - rnd_below(&s->r, s->iv + 1);
		break;
	case 2:
		off = rnd_below(&s->r, s->iv + 1);
		break;
	default:
		off = rnd_below(&s->r, 3 * hold + 1);
		break;
	}
	int first = (int)rnd_below(&s->r, 2);
	s->now = 1000000;
	s->start[first] = s->now;
	s->start[first ^ 1] = s->now + off;
	for (int i = 0; i < CL_NODES; i++)
		s->cs_done_at[i] =
		        rnd_below(&s->r, 2) ? 0 : s->start[i] + rnd_below(&s->r, 10) * s->iv;

	uint64_t end = s->start[first ^ 1] + hold + 4 * detect + (preempt_max + 3) * 1000 +
	               (uint64_t)s->thr * 2000 /* hold-down of RG1/RG2: at most 2 s */;
	while (s->now <= end) {
		/* Next event: a delivery (oldest first on equal times), then a boot or a send. */
		uint64_t t = UINT64_MAX;
		int fi = -1, boot = -1, send = -1;
		for (int i = 0; i < SIM_IN_FLIGHT; i++) {
			const struct flight *f = &s->fl[i];
			if (f->used && (f->t < t || (f->t == t && f->order < s->fl[fi].order))) {
				t = f->t;
				fi = i;
			}
		}
		for (int i = 0; i < CL_NODES; i++) {
			uint64_t ti = s->up[i] ? s->next_send[i] : s->start[i];
			if (ti < t) {
				t = ti;
				fi = -1;
				boot = s->up[i] ? -1 : i;
				send = s->up[i] ? i : -1;
			}
		}
		s->now = t;
		st->events++;
		if (boot >= 0) {
			sim_boot(s, boot, st);
		} else if (send >= 0) {
			sim_send(s, send, st);
			s->next_send[send] += s->iv;
		} else {
			struct flight *f = &s->fl[fi];
			f->used = false;
			if (s->up[f->to]) {
				rg_engine_rx(&s->n[f->to], &f->pkt, s->now);
				sim_drain(s, f->to, st);
			}
		}
		sim_check(s, seed);
	}

	for (int k = 0; k < SIM_GROUPS; k++) {
		uint8_t id = s->groups[k].id;
		int np = 0, who = -1;
		for (int i = 0; i < CL_NODES; i++)
			if (rg_engine_state(&s->n[i], id) == RG_STATE_PRIMARY) {
				np++;
				who = i;
			}
		if (np != 1)
			fail_msg("seed %llu: rg%u has %d primaries at the end (states %s/%s)",
			         (unsigned long long)seed, id, np,
			         rg_state_name(rg_engine_state(&s->n[0], id)),
			         rg_state_name(rg_engine_state(&s->n[1], id)));
		if (off == 0 && who != sim_expected(s, k))
			fail_msg("seed %llu: rg%u: equal start, node%d primary, expected node%d",
			         (unsigned long long)seed, id, who, sim_expected(s, k));
	}
	for (int i = 0; i < CL_NODES; i++)
		rg_engine_free(&s->n[i]);
	free(s);
	st->seeds++;
}

static void test_no_dual_primary_on_start(void **state)
{
	struct sim_stats st = {0};
	const char *env = getenv("RG_SIM_SEEDS");
	unsigned long seeds = env ? strtoul(env, NULL, 10) : 10000;

	for (unsigned long seed = getenv("RG_SIM_FIRST") ? strtoul(getenv("RG_SIM_FIRST"), NULL, 10)
	                                                 : 1;
	     seed <= seeds; seed++)
		sim_one(seed, &st);
	printf("rg sim: %u seeds, 0 dual primaries; primary alone after hold %u, by election %u, "
	       "by preempt %u; CS-gated ticks %u; %llu events, %llu packets delivered, %llu lost\n",
	       st.seeds, st.alone, st.elected, st.preempted, st.cs_gated,
	       (unsigned long long)st.events, (unsigned long long)st.packets,
	       (unsigned long long)st.dropped);
	assert_int_equal(st.seeds, seeds);
	/* Both ways out of hold were exercised. */
	if (seeds >= 1000) {
		assert_true(st.alone > 0);
		assert_true(st.elected > 0);
		assert_true(st.preempted > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_dual_primary_on_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
