/*
 * clusterd redundancy groups: election, the FSM table, and one scenario per
 * Junos rule on two RG engines wired back to back with a fake clock.
 *
 * The harness (struct h) runs node0 and node1 in lockstep at 1 ms
 * resolution: each node ticks and sends a heartbeat on every control link
 * plus a fabric probe once per heartbeat interval; a packet reaches the
 * other engine at once unless its link is cut or the node is down. After
 * every delivery it drains both action queues, checks that the reths a node
 * holds (from RG_ACT_PRIMARY / RG_ACT_RELEASE) match its primary states, and
 * fails the test if both nodes are primary for one group, except in the
 * scenarios that set allow_dual (a full cut without an activeness probe,
 * where Junos, too, ends with two primaries).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/clusterd/rg.h"

/* ------------------------------------------------------------ harness */

#define H_MAX_GROUPS 4

struct h {
	struct rg_engine n[CL_NODES];
	bool up[CL_NODES];
	uint64_t start[CL_NODES];
	uint64_t session[CL_NODES];
	uint64_t seq[CL_NODES];
	bool ctl[2]; /* control link delivers, both directions */
	bool fab;
	uint64_t now;
	struct rg_cluster_cfg cfg[CL_NODES];
	struct rg_group_cfg groups[CL_NODES][H_MAX_GROUPS];
	bool held[CL_NODES][CL_MAX_RG];
	unsigned garps[CL_NODES][CL_MAX_RG];
	unsigned primary_acts[CL_NODES][CL_MAX_RG];
	unsigned rejoins[CL_NODES];
	bool allow_dual;
	unsigned dual_ms; /* ms with two primaries for some group (allow_dual only) */
	struct hb_pkt last_pkt[CL_NODES];
};

static struct h *h_new(uint32_t interval, uint8_t threshold)
{
	struct h *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->now = 1000;
	h->ctl[0] = h->ctl[1] = h->fab = true;
	for (int i = 0; i < CL_NODES; i++) {
		h->cfg[i].hb_interval_ms = interval;
		h->cfg[i].hb_threshold = threshold;
		h->cfg[i].groups = h->groups[i];
	}
	return h;
}

static void h_free(struct h *h)
{
	for (int i = 0; i < CL_NODES; i++)
		rg_engine_free(&h->n[i]);
	free(h);
}

/* Adds a group to both nodes' config; returns node0's copy index. */
static struct rg_group_cfg *h_group(struct h *h, uint8_t id, uint8_t p0, uint8_t p1)
{
	size_t k = h->cfg[0].n_groups;

	assert_true(k < H_MAX_GROUPS);
	for (int i = 0; i < CL_NODES; i++) {
		struct rg_group_cfg *g = &h->groups[i][k];
		memset(g, 0, sizeof(*g));
		g->id = id;
		g->priority[0] = p0;
		g->priority[1] = p1;
		g->hold_down_s = -1;
		g->ip_global_weight = 255;
		h->cfg[i].n_groups = k + 1;
	}
	return &h->groups[0][k];
}

/* Copies node0's group config to node1 (config sync). */
static void h_sync_cfg(struct h *h)
{
	memcpy(h->groups[1], h->groups[0], sizeof(h->groups[0]));
}

static void h_apply(struct h *h, int node)
{
	char err[128] = "";

	if (rg_engine_configure(&h->n[node], &h->cfg[node], h->now, err, sizeof(err)) < 0)
		fail_msg("configure node%d: %s", node, err);
}

static enum rg_state st(struct h *h, int node, uint8_t rg)
{
	return rg_engine_state(&h->n[node], rg);
}

static void h_drain(struct h *h, int node)
{
	struct rg_action a;

	while (rg_engine_next_action(&h->n[node], &a)) {
		switch (a.type) {
		case RG_ACT_PRIMARY:
			if (h->held[node][a.rg])
				fail_msg("node%d rg%u: take-over while holding", node, a.rg);
			h->held[node][a.rg] = true;
			h->garps[node][a.rg] += a.garp_count;
			h->primary_acts[node][a.rg]++;
			break;
		case RG_ACT_RELEASE:
			if (!h->held[node][a.rg])
				fail_msg("node%d rg%u: release while not holding", node, a.rg);
			h->held[node][a.rg] = false;
			break;
		case RG_ACT_REJOIN:
			h->rejoins[node]++;
			break;
		case RG_ACT_STATE:
			assert_true(a.from != a.to);
			assert_non_null(a.reason);
			break;
		}
	}
}

static void h_check(struct h *h)
{
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		bool both = true;
		for (int i = 0; i < CL_NODES; i++) {
			bool prim = h->up[i] && st(h, i, (uint8_t)id) == RG_STATE_PRIMARY;
			if (h->up[i] && prim != h->held[i][id])
				fail_msg("node%d rg%u: state %s but reths %s", i, id,
				         rg_state_name(st(h, i, (uint8_t)id)),
				         h->held[i][id] ? "held" : "released");
			both = both && prim;
		}
		if (both) {
			if (!h->allow_dual)
				fail_msg("rg%u: both nodes primary at %llu", id,
				         (unsigned long long)h->now);
			h->dual_ms++;
		}
	}
}

static void h_start(struct h *h, int node)
{
	rg_engine_free(&h->n[node]);
	rg_engine_init(&h->n[node], (uint8_t)node, h->now);
	memset(h->held[node], 0, sizeof(h->held[node]));
	h->up[node] = true;
	h->start[node] = h->now;
	h->session[node] = h->session[node] * 7 + 1000 + (uint64_t)node;
	h_apply(h, node);
	/* The daemon would set this from its coldsync file; scenarios change it. */
	rg_engine_coldsync(&h->n[node], CL_CS_DONE, h->now);
	h_drain(h, node);
}

static void h_stop(struct h *h, int node)
{
	h->up[node] = false;
	memset(h->held[node], 0, sizeof(h->held[node]));
}

static void h_send(struct h *h, int from)
{
	int to = from ^ 1;
	struct hb_pkt *p = &h->last_pkt[from];

	memset(p, 0, sizeof(*p));
	p->version = HB_VERSION;
	p->cluster_id = 1;
	p->node_id = (uint8_t)from;
	p->seq = ++h->seq[from];
	p->session_id = h->session[from];
	rg_engine_advertise(&h->n[from], h->now, p);
	if (!h->up[to])
		return;
	for (uint8_t l = 0; l < 2; l++) {
		if (!h->ctl[l])
			continue;
		p->type = HB_TYPE_CONTROL;
		p->link = l;
		rg_engine_rx(&h->n[to], p, h->now);
		h_drain(h, to);
	}
	if (h->fab) {
		/* Probes share the sequence space with heartbeats (notes §3). */
		p->type = HB_TYPE_FABRIC;
		p->link = 0;
		rg_engine_rx(&h->n[to], p, h->now);
		h_drain(h, to);
	}
}

static void h_run(struct h *h, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t++) {
		h->now++;
		for (int i = 0; i < CL_NODES; i++) {
			uint32_t iv = h->cfg[i].hb_interval_ms;
			if (!h->up[i] || (h->now - h->start[i]) % iv)
				continue;
			rg_engine_tick(&h->n[i], h->now);
			h_drain(h, i);
			h_send(h, i);
		}
		h_check(h);
	}
}

/* Runs until `cond` holds or `limit` ms pass; returns the ms it took. */
#define H_UNTIL(h, cond, limit)                                                                    \
	({                                                                                         \
		uint64_t _t0 = (h)->now;                                                           \
		while (!(cond) && (h)->now - _t0 < (limit))                                        \
			h_run((h), 1);                                                             \
		if (!(cond))                                                                       \
			fail_msg("timeout waiting for %s", #cond);                                 \
		(h)->now - _t0;                                                                    \
	})

static const struct rg_history_ent *last_hist(struct h *h, int node, uint8_t rg)
{
	static struct rg_history_ent ents[RG_HISTORY_LEN];
	size_t n = rg_history(rg_engine_group(&h->n[node], rg), ents, RG_HISTORY_LEN);

	assert_true(n > 0);
	return &ents[n - 1];
}

/* True when node's history for rg holds "from->to, reason: why". */
static bool has_hist(struct h *h, int node, uint8_t rg, enum rg_state from, enum rg_state to,
                     const char *why)
{
	struct rg_history_ent ents[RG_HISTORY_LEN];
	size_t n = rg_history(rg_engine_group(&h->n[node], rg), ents, RG_HISTORY_LEN);

	for (size_t i = 0; i < n; i++)
		if (ents[i].from == from && ents[i].to == to && strcmp(ents[i].reason, why) == 0)
			return true;
	return false;
}

static void manual(struct h *h, uint8_t rg, uint8_t node, int expect)
{
	for (int i = 0; i < CL_NODES; i++) {
		char err[160] = "";
		int rc = rg_engine_manual_failover(&h->n[i], rg, node, h->now, err, sizeof(err));
		if (rc != expect)
			fail_msg("node%d: manual failover rg%u to node%u: rc %d (%s)", i, rg, node,
			         rc, err);
		h_drain(h, i);
	}
}

static void reset_manual(struct h *h, uint8_t rg)
{
	for (int i = 0; i < CL_NODES; i++) {
		char err[160] = "";
		assert_int_equal(rg_engine_failover_reset(&h->n[i], rg, h->now, err, sizeof(err)),
		                 0);
		h_drain(h, i);
	}
}

/* A standard pair: RG0 and RG1, node0 priority 200, node1 100, both started together. */
static struct h *pair(uint32_t iv)
{
	struct h *h = h_new(iv, 3);

	h_group(h, 0, 200, 100);
	h_group(h, 1, 200, 100);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY && st(h, 1, 1) == RG_STATE_SECONDARY, 20 * iv);
	h_run(h, 5 * iv); /* let each node hear the other's new state */
	return h;
}

/* ------------------------------------------------------------ election */

static struct rg_elect_in ein(uint8_t pa, uint8_t pb)
{
	struct rg_elect_in in;

	memset(&in, 0, sizeof(in));
	in.n[0] = (struct rg_elect_node){.node_id = 0,
	                                 .priority = pa,
	                                 .weight = 255,
	                                 .state = RG_STATE_SECONDARY,
	                                 .alive = true};
	in.n[1] = (struct rg_elect_node){.node_id = 1,
	                                 .priority = pb,
	                                 .weight = 255,
	                                 .state = RG_STATE_SECONDARY,
	                                 .alive = true};
	return in;
}

static void test_elect_rules(void **state)
{
	enum rg_elect_reason why;
	struct rg_elect_in in;

	in = ein(100, 200); /* higher priority */
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_PRIORITY);
	in = ein(100, 100); /* tie: lower node id */
	assert_int_equal(rg_elect(&in, &why), 0);
	assert_int_equal(why, RG_ELECT_NODE_ID);
	in.n[0].node_id = 1;
	in.n[1].node_id = 0;
	assert_int_equal(rg_elect(&in, &why), 1);

	in = ein(100, 200); /* running primary stays without preempt */
	in.n[0].state = RG_STATE_PRIMARY;
	assert_int_equal(rg_elect(&in, &why), 0);
	assert_int_equal(why, RG_ELECT_INCUMBENT);
	in.preempt = true; /* ...and is preempted with it */
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_PREEMPT);
	in = ein(200, 200); /* preempt needs a strictly higher priority */
	in.n[1].state = RG_STATE_PRIMARY;
	in.preempt = true;
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_INCUMBENT);

	in = ein(200, 100); /* weight 0 -> the other, even against manual */
	in.n[0].weight = 0;
	in.n[0].manual = true;
	in.n[0].state = RG_STATE_PRIMARY;
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_WEIGHT);
	in.n[1].weight = 0; /* both 0: lower node id */
	in.n[0].node_id = 1;
	in.n[1].node_id = 0;
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_BOTH_ZERO);

	in = ein(200, 100); /* manual beats priority, incumbency and preempt */
	in.n[0].state = RG_STATE_PRIMARY;
	in.preempt = true;
	in.n[1].manual = true;
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_MANUAL);
	in.n[1].manual = false; /* relinquish works the same way */
	in.n[0].relinquish = true;
	assert_int_equal(rg_elect(&in, &why), 1);
	assert_int_equal(why, RG_ELECT_MANUAL);

	in = ein(1, 254); /* a dead or disabled peer never wins */
	in.n[1].alive = false;
	assert_int_equal(rg_elect(&in, &why), 0);
	assert_int_equal(why, RG_ELECT_ALONE);
	in.n[1].alive = true;
	in.n[1].disabled = true;
	assert_int_equal(rg_elect(&in, &why), 0);
	assert_int_equal(why, RG_ELECT_DISABLED);
	in.n[0].disabled = true;
	assert_int_equal(rg_elect(&in, &why), -1);
	assert_int_equal(why, RG_ELECT_NONE);
	assert_string_equal(rg_elect_reason_name(RG_ELECT_PREEMPT), "preempt");
}

/* Swapping the nodes swaps the winner, for any input: both nodes agree. */
static void test_elect_symmetric(void **state)
{
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 200000; i++) {
		struct rg_elect_in in, sw;
		for (int k = 0; k < 2; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			in.n[k] = (struct rg_elect_node){
			        .node_id = (uint8_t)k,
			        .priority = (uint8_t)(1 + (x % 4) * 50),
			        .weight = (uint8_t)((x >> 8) % 3 == 0 ? 0 : 100),
			        .state = (uint8_t)((x >> 12) % RG_STATE_COUNT),
			        .alive = (x >> 16) % 8 != 0,
			        .disabled = (x >> 20) % 16 == 0,
			        .manual = (x >> 24) % 8 == 0,
			        .relinquish = (x >> 28) % 8 == 0,
			};
		}
		in.preempt = (x >> 40) & 1;
		sw = in;
		sw.n[0] = in.n[1];
		sw.n[1] = in.n[0];
		int a = rg_elect(&in, NULL), b = rg_elect(&sw, NULL);
		assert_int_equal(a < 0 ? -1 : a, b < 0 ? -1 : 1 - b);
	}
}

static void test_fsm_table(void **state)
{
	const struct fsm_def *d = rg_fsm_def();

	assert_true(fsm_def_check(d));
	for (int s = 0; s < RG_STATE_COUNT; s++)
		assert_string_not_equal(rg_state_name((enum rg_state)s), "?");
	for (int ev = 0; ev < RG_EVT_COUNT; ev++) {
		assert_string_not_equal(rg_event_name((enum rg_event)ev), "?");
		assert_string_not_equal(rg_event_reason((enum rg_event)ev), "?");
		/* Every event has at least one row. */
		bool found = false;
		for (size_t r = 0; r < d->n_rows; r++)
			found = found || d->rows[r].event == ev;
		assert_true(found);
	}
	assert_string_equal(rg_state_name(RG_STATE_SECONDARY_HOLD), "secondary-hold");
	assert_string_equal(rg_event_reason(RG_EVT_HOLD_EXPIRED), "Hold timer expired");

	char buf[64];
	assert_string_equal(cl_mon_codes(0, buf, sizeof(buf)), "None");
	assert_string_equal(cl_mon_codes(CL_MON_CS | CL_MON_IF, buf, sizeof(buf)), "CS,IF");
	assert_string_equal(cl_mon_codes(CL_MON_IF | CL_MON_IP | CL_MON_RE, buf, 6), "IF,IP");
}

/* ------------------------------------------------------------ boot */

static void test_boot_priority(void **state)
{
	struct h *h = h_new(100, 3);

	h_group(h, 0, 100, 200);
	h_group(h, 1, 100, 200);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 1, 0) == RG_STATE_PRIMARY && st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	h_run(h, 2000);
	for (uint8_t rg = 0; rg < 2; rg++) {
		assert_int_equal(st(h, 0, rg), RG_STATE_SECONDARY);
		assert_int_equal(st(h, 1, rg), RG_STATE_PRIMARY);
		assert_true(has_hist(h, 0, rg, RG_STATE_HOLD, RG_STATE_SECONDARY,
		                     "Peer heartbeat received"));
		assert_true(has_hist(h, 1, rg, RG_STATE_SECONDARY, RG_STATE_PRIMARY,
		                     "Better priority"));
		/* The failover count is the same on both nodes. */
		assert_int_equal(rg_engine_group(&h->n[0], rg)->failover_count, 1);
		assert_int_equal(rg_engine_group(&h->n[1], rg)->failover_count, 1);
		assert_int_equal(h->garps[1][rg], CL_GARP_DEF);
	}
	h_free(h);
}

static void test_boot_tie_node_id(void **state)
{
	struct h *h = h_new(100, 3);

	h_group(h, 1, 100, 100);
	h_start(h, 1); /* node1 first: a tie still goes to node0 when both are in hold */
	h_run(h, 50);
	h_start(h, 0);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 1000);
	assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
	h_free(h);
}

static void test_boot_alone(void **state)
{
	struct h *h = h_new(100, 3);

	h_group(h, 0, 100, 200);
	h_start(h, 0);
	h_run(h, 599); /* boot hold = 2 x 3 x 100 ms */
	assert_int_equal(st(h, 0, 0), RG_STATE_HOLD);
	h_run(h, 100);
	assert_int_equal(st(h, 0, 0), RG_STATE_PRIMARY);
	assert_true(has_hist(h, 0, 0, RG_STATE_HOLD, RG_STATE_SECONDARY, "Hold timer expired"));
	assert_true(has_hist(h, 0, 0, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Only node present"));
	/* A later node with a higher priority does not take RG0 (no preempt there). */
	h_start(h, 1);
	h_run(h, 3000);
	assert_int_equal(st(h, 0, 0), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 1, 0), RG_STATE_SECONDARY);
	h_free(h);
}

/* ------------------------------------------------------------ preempt */

static void test_preempt(void **state)
{
	struct h *h = h_new(100, 3);

	h_group(h, 0, 100, 200);
	struct rg_group_cfg *g1 = h_group(h, 1, 100, 200);
	g1->preempt = true;
	g1->preempt_delay_s = 3;
	h_sync_cfg(h);
	h->groups[0][0].preempt = true; /* RG0: refused by YANG; the engine ignores it too */
	h->groups[1][0].preempt = true;
	h_start(h, 0);
	h_run(h, 1000);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	h_start(h, 1);
	uint64_t t0 = h->now;
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 10000);
	/* Not before the preempt delay. */
	assert_true(h->now - t0 >= 3000);
	assert_true(h->now - t0 < 4000);
	assert_true(has_hist(h, 0, 1, RG_STATE_PRIMARY, RG_STATE_SECONDARY_HOLD, "Preempt"));
	assert_true(has_hist(h, 1, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Preempt"));
	/* Old primary: secondary-hold for hold-down (1 s on RG1), then secondary. */
	assert_int_equal(st(h, 0, 1), RG_STATE_SECONDARY_HOLD);
	h_run(h, 1200);
	assert_int_equal(st(h, 0, 1), RG_STATE_SECONDARY);
	assert_true(has_hist(h, 0, 1, RG_STATE_SECONDARY_HOLD, RG_STATE_SECONDARY,
	                     "Back to back failover interval expired"));
	/* RG0 never preempts. */
	h_run(h, 5000);
	assert_int_equal(st(h, 0, 0), RG_STATE_PRIMARY);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->preempt_count, 1);
	h_free(h);
}

/* preempt limit 1 within period 60 s: a second preemption waits for the window or a reset. */
static void test_preempt_limit(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 100, 200);
	g1->preempt = true;
	g1->preempt_limit = 1;
	g1->preempt_period_s = 60;
	g1->n_ifmon = 1;
	snprintf(g1->ifmon[0].name, RG_IFNAME_LEN, "eth1");
	g1->ifmon[0].weight = 255;
	h_sync_cfg(h);
	h_start(h, 0);
	h_run(h, 1000);
	h_start(h, 1);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 5000); /* preemption #1 */
	/* node1 loses eth1: back to node0 (not a preemptive failover). */
	h_run(h, 1500);
	rg_engine_if_state(&h->n[1], "eth1", false, h->now);
	h_drain(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);
	rg_engine_if_state(&h->n[1], "eth1", true, h->now);
	h_drain(h, 1);
	h_run(h, 20000); /* limit reached inside the period: no preemption */
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	reset_manual(h, 1); /* `failover reset` clears the count */
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 3000);
	/* Limit reached again; this time the window restarts after `period` (60 s). */
	uint64_t t_pre = h->now; /* preemption #1 of the new window */
	h_run(h, 1500);
	rg_engine_if_state(&h->n[1], "eth1", false, h->now);
	h_drain(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);
	rg_engine_if_state(&h->n[1], "eth1", true, h->now);
	h_drain(h, 1);
	h_run(h, 50000);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 20000);
	assert_true(h->now - t_pre >= 60000 - 100); /* one heartbeat of slack for the phase */
	h_free(h);
}

/* FL: no fabric (link down, or no probes from a live peer) shows as a monitor failure only. */
static void test_fabric_monitor(void **state)
{
	struct h *h = pair(100);

	rg_engine_fabric_state(&h->n[1], false, h->now);
	h_drain(h, 1);
	assert_true(rg_engine_group(&h->n[1], 1)->mon_fail & CL_MON_FL);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->weight, 255);
	rg_engine_fabric_state(&h->n[1], true, h->now);
	h_drain(h, 1);
	assert_false(rg_engine_group(&h->n[1], 1)->mon_fail & CL_MON_FL);
	h->fab = false;
	h_run(h, 1000);
	assert_false(rg_engine_fabric_up(&h->n[0]));
	assert_true(rg_engine_group(&h->n[0], 1)->mon_fail & CL_MON_FL);
	assert_true(rg_engine_peer_group(&h->n[1], 1)->mon_fail & CL_MON_FL);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
	h_free(h);
}

/* ------------------------------------------------------------ weights and monitors */

static void test_interface_monitor(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 200, 100);
	g1->n_ifmon = 2;
	snprintf(g1->ifmon[0].name, RG_IFNAME_LEN, "eth1");
	g1->ifmon[0].weight = 128;
	snprintf(g1->ifmon[1].name, RG_IFNAME_LEN, "eth2");
	g1->ifmon[1].weight = 128;
	h_sync_cfg(h);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);

	rg_engine_if_state(&h->n[0], "eth1", false, h->now); /* 255 - 128 = 127: stays */
	h_drain(h, 0);
	h_run(h, 1000);
	const struct rg *g = rg_engine_group(&h->n[0], 1);
	assert_int_equal(g->weight, 127);
	assert_int_equal(g->mon_fail, CL_MON_IF);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	/* The peer sees the weight and the IF code in our heartbeat. */
	assert_int_equal(rg_engine_peer_group(&h->n[1], 1)->weight, 127);
	assert_int_equal(rg_engine_peer_group(&h->n[1], 1)->mon_fail, CL_MON_IF);

	rg_engine_if_state(&h->n[0], "eth2", false, h->now); /* 0: fail over */
	h_drain(h, 0);
	assert_int_equal(g->weight, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_true(
	        has_hist(h, 0, 1, RG_STATE_PRIMARY, RG_STATE_SECONDARY_HOLD, "Monitor failure"));
	assert_true(has_hist(h, 1, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Monitor failure"));
	/* After hold-down the failed node is ineligible, not secondary. */
	h_run(h, 1500);
	assert_int_equal(st(h, 0, 1), RG_STATE_INELIGIBLE);
	rg_engine_if_state(&h->n[0], "eth1", true, h->now);
	h_drain(h, 0);
	h_run(h, 300);
	assert_int_equal(st(h, 0, 1), RG_STATE_SECONDARY);
	assert_true(
	        has_hist(h, 0, 1, RG_STATE_INELIGIBLE, RG_STATE_SECONDARY, "Monitor recovered"));
	/* No preempt: node1 keeps it although node0 has the higher priority. */
	h_run(h, 3000);
	assert_int_equal(st(h, 1, 1), RG_STATE_PRIMARY);
	/* Weight 0 on the secondary: ineligible. */
	rg_engine_if_state(&h->n[0], "eth1", false, h->now);
	h_drain(h, 0);
	assert_int_equal(st(h, 0, 1), RG_STATE_INELIGIBLE);
	assert_true(has_hist(h, 0, 1, RG_STATE_SECONDARY, RG_STATE_INELIGIBLE, "Monitor failure"));
	h_free(h);
}

/* Both nodes at weight 0: the lower node id is primary (notes §5). */
static void test_both_weights_zero(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 100, 200);
	g1->n_ifmon = 1;
	snprintf(g1->ifmon[0].name, RG_IFNAME_LEN, "eth1");
	g1->ifmon[0].weight = 255;
	h_sync_cfg(h);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 2000);
	rg_engine_if_state(&h->n[0], "eth1", false, h->now);
	h_drain(h, 0);
	h_run(h, 1000);
	assert_int_equal(st(h, 0, 1), RG_STATE_INELIGIBLE);
	rg_engine_if_state(&h->n[1], "eth1", false, h->now);
	h_drain(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 3000);
	h_run(h, 3000);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 1, 1), RG_STATE_INELIGIBLE);
	h_free(h);
}

#define IP(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static void test_ip_monitoring(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 200, 100);
	g1->ip_global_weight = 255;
	g1->ip_global_threshold = 200;
	g1->n_ipmon = 2;
	g1->ipmon[0] = (struct rg_ipmon_cfg){.addr = IP(10, 0, 0, 1), .weight = 100};
	g1->ipmon[1] = (struct rg_ipmon_cfg){.addr = IP(10, 0, 0, 2), .weight = 100};
	h_sync_cfg(h);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);
	for (int i = 0; i < 2; i++)
		for (int t = 0; t < 2; t++)
			rg_engine_ip_state(&h->n[i], 1, g1->ipmon[t].addr, RG_IP_REACHABLE, h->now);

	/* One target (100 < global-threshold 200): no IP failure. */
	rg_engine_ip_state(&h->n[0], 1, IP(10, 0, 0, 1), RG_IP_UNREACHABLE, h->now);
	h_drain(h, 0);
	h_run(h, 500);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->mon_fail, 0);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);

	/* Both targets unreachable from both nodes: IP shown, no failover. */
	rg_engine_ip_state(&h->n[1], 1, IP(10, 0, 0, 1), RG_IP_UNREACHABLE, h->now);
	rg_engine_ip_state(&h->n[1], 1, IP(10, 0, 0, 2), RG_IP_UNREACHABLE, h->now);
	h_drain(h, 1);
	h_run(h, 300);
	rg_engine_ip_state(&h->n[0], 1, IP(10, 0, 0, 2), RG_IP_UNREACHABLE, h->now);
	h_drain(h, 0);
	h_run(h, 2000);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->mon_fail, CL_MON_IP);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->mon_fail, CL_MON_IP);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->weight, 255);

	/* The secondary reaches them again: unreachable only from the primary -> failover. */
	rg_engine_ip_state(&h->n[1], 1, IP(10, 0, 0, 1), RG_IP_REACHABLE, h->now);
	rg_engine_ip_state(&h->n[1], 1, IP(10, 0, 0, 2), RG_IP_REACHABLE, h->now);
	h_drain(h, 1);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->weight, 0);
	h_free(h);
}

/* A joining node that has not cold-synced cannot take over from a healthy primary. */
static void test_coldsync_gating(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 100, 200);
	g1->preempt = true;
	h_sync_cfg(h);
	h_start(h, 0);
	h_run(h, 1000);
	h_start(h, 1);
	rg_engine_coldsync(&h->n[1], CL_CS_IN_PROGRESS, h->now);
	h_drain(h, 1);
	h_run(h, 5000);
	const struct rg *g = rg_engine_group(&h->n[1], 1);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 1, 1), RG_STATE_INELIGIBLE);
	assert_true(g->mon_fail & CL_MON_CS);
	assert_int_equal(g->weight, 0);
	assert_true(rg_engine_peer_group(&h->n[0], 1)->mon_fail & CL_MON_CS);
	/* Cold sync done: weight back, and preempt takes the group. */
	rg_engine_coldsync(&h->n[1], CL_CS_DONE, h->now);
	h_drain(h, 1);
	assert_int_equal(g->weight, 255);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 3000);

	/* The CS node still takes over when the primary dies. */
	h_stop(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 1000);
	h_start(h, 1);
	rg_engine_coldsync(&h->n[1], CL_CS_IN_PROGRESS, h->now);
	h_drain(h, 1);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_INELIGIBLE, 3000);
	h_stop(h, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_true(has_hist(h, 1, 1, RG_STATE_INELIGIBLE, RG_STATE_PRIMARY, "Remote node lost"));
	h_free(h);
}

/* ------------------------------------------------------------ manual failover, hold-down */

static void test_manual_failover(void **state)
{
	struct h *h = pair(100);
	char err[160];

	h->groups[0][1].preempt = h->groups[1][1].preempt = true;
	h_apply(h, 0);
	h_apply(h, 1);
	manual(h, 1, 1, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_true(
	        has_hist(h, 0, 1, RG_STATE_PRIMARY, RG_STATE_SECONDARY_HOLD, "Manual failover"));
	assert_true(has_hist(h, 1, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Manual failover"));
	assert_true(rg_engine_peer_group(&h->n[0], 1)->flags & HB_RG_F_MANUAL);
	/* Back-to-back: not allowed before hold-down expires. */
	manual(h, 1, 0, -1);
	assert_int_equal(rg_engine_manual_failover(&h->n[1], 1, 0, h->now, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hold-down"));
	/* Manual overrides preempt: node0 (200, preempt) does not take it back. */
	h_run(h, 10000);
	assert_int_equal(st(h, 1, 1), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 0, 1), RG_STATE_SECONDARY);
	/* Already primary. */
	assert_int_equal(rg_engine_manual_failover(&h->n[0], 1, 1, h->now, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already primary"));
	/* Reset clears Manual; preempt then brings it home. */
	reset_manual(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 3000);
	assert_true(has_hist(h, 0, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Preempt"));
	assert_false(rg_engine_peer_group(&h->n[1], 1)->flags & HB_RG_F_MANUAL);
	/* Unknown group, bad node. */
	assert_int_equal(rg_engine_manual_failover(&h->n[0], 7, 1, h->now, err, sizeof(err)), -1);
	assert_int_equal(rg_engine_manual_failover(&h->n[0], 1, 2, h->now, err, sizeof(err)), -1);
	h_free(h);
}

/* RG0: the old primary sits in secondary-hold for 300 s by default. */
static void test_rg0_hold_down(void **state)
{
	struct h *h = pair(100);

	manual(h, 0, 1, 0);
	H_UNTIL(h, st(h, 1, 0) == RG_STATE_PRIMARY, 1000);
	h_run(h, 299000);
	assert_int_equal(st(h, 0, 0), RG_STATE_SECONDARY_HOLD);
	h_run(h, 1100);
	assert_int_equal(st(h, 0, 0), RG_STATE_SECONDARY);
	h_free(h);
}

/* Weight 0 on the manual primary is a failback event, even with Manual set. */
static void test_manual_failback(void **state)
{
	struct h *h = h_new(100, 3);

	struct rg_group_cfg *g1 = h_group(h, 1, 200, 100);
	g1->n_ifmon = 1;
	snprintf(g1->ifmon[0].name, RG_IFNAME_LEN, "eth1");
	g1->ifmon[0].weight = 255;
	g1->hold_down_s = 5;
	h_sync_cfg(h);
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);
	uint64_t t_fo = h->now;
	manual(h, 1, 1, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	rg_engine_if_state(&h->n[1], "eth1", false, h->now);
	h_drain(h, 1);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->manual_node, -1);
	/* Hold-down dampens it: node0 is in secondary-hold for 5 s, the group waits. */
	h_run(h, 3000);
	assert_int_equal(st(h, 1, 1), RG_STATE_PRIMARY);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 5000);
	assert_true(h->now - t_fo >= 5000);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->manual_node, -1);
	h_free(h);
}

/* The request reached only one engine: the heartbeat flags carry it to the other. */
static void test_manual_one_sided(void **state)
{
	char err[160];
	struct h *h = pair(100);

	/* Issued on the primary, target the peer: RE, then the peer adopts Manual. */
	assert_int_equal(rg_engine_manual_failover(&h->n[0], 1, 1, h->now, err, sizeof(err)), 0);
	h_drain(h, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->manual_node, 1);
	h_run(h, 500);
	assert_false(rg_engine_group(&h->n[0], 1)->mon_fail & CL_MON_RE);
	/* Reset only on the manual primary: its flag drops and the peer follows. */
	assert_int_equal(rg_engine_failover_reset(&h->n[1], 1, h->now, err, sizeof(err)), 0);
	h_drain(h, 1);
	h_run(h, 500);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->manual_node, -1);
	/* Issued on the secondary for itself, after hold-down. */
	h_run(h, 2000);
	assert_int_equal(rg_engine_manual_failover(&h->n[0], 1, 0, h->now, err, sizeof(err)), 0);
	h_drain(h, 0);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 1000);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->manual_node, 0);
	h_free(h);
}

/* The new primary dies during hold-down: the old one takes over at once from secondary-hold. */
static void test_hold_down_peer_dies(void **state)
{
	struct h *h = pair(100);

	manual(h, 0, 1, 0);
	H_UNTIL(h, st(h, 1, 0) == RG_STATE_PRIMARY, 1000);
	h_run(h, 5000);
	assert_int_equal(st(h, 0, 0), RG_STATE_SECONDARY_HOLD);
	h_stop(h, 1);
	H_UNTIL(h, st(h, 0, 0) == RG_STATE_PRIMARY, 1000);
	assert_true(
	        has_hist(h, 0, 0, RG_STATE_SECONDARY_HOLD, RG_STATE_PRIMARY, "Remote node lost"));
	h_free(h);
}

/* ------------------------------------------------------------ peer loss, control link */

static void test_peer_lost_timing(void **state)
{
	struct h *h = pair(100);

	h->groups[0][1].garp_count = h->groups[1][1].garp_count = 7;
	h_apply(h, 0);
	h_apply(h, 1);
	uint64_t last_rx = h->n[1].peer.last_ctl_ms[0];
	h_stop(h, 0);
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	/* Detection between threshold x interval and (threshold + 1) x interval (notes §11). */
	assert_true(h->now - last_rx > 300);
	assert_true(h->now - last_rx <= 400);
	assert_int_equal(st(h, 1, 0), RG_STATE_PRIMARY);
	assert_true(has_hist(h, 1, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Remote node lost"));
	assert_int_equal(h->garps[1][1], 7);
	assert_int_equal(h->n[1].stats.peer_losses, 1);
	assert_int_equal(rg_engine_group(&h->n[1], 1)->failover_count, 2);
	/* It comes back (new session, hold): stays secondary, no preempt. */
	h_start(h, 0);
	h_run(h, 3000);
	assert_int_equal(st(h, 0, 1), RG_STATE_SECONDARY);
	assert_int_equal(h->n[1].stats.peer_restarts, 0); /* it was lost, not restarted */
	h_free(h);
}

/* clusterd restarts on the primary within the detection time: no dual primary. */
static void test_peer_restart(void **state)
{
	struct h *h = pair(100);

	h_stop(h, 0);
	h_run(h, 150);
	h_start(h, 0);
	h_run(h, 3000);
	assert_int_equal(h->n[1].stats.peer_restarts, 1);
	assert_int_equal(h->n[1].stats.peer_losses, 0);
	/* Node1 never held the group while node0 was away; node0 wins the new election. */
	assert_int_equal(h->primary_acts[1][1], 0);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	h_free(h);
}

static void test_one_ctl_link_down(void **state)
{
	struct h *h = pair(100);
	unsigned hist = rg_engine_group(&h->n[1], 1)->hist_n;

	h->ctl[0] = false;
	h_run(h, 2000);
	assert_false(rg_engine_ctl_link_up(&h->n[1], 0));
	assert_true(rg_engine_ctl_link_up(&h->n[1], 1));
	assert_int_equal(rg_engine_group(&h->n[1], 1)->hist_n, hist);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
	assert_int_equal(h->n[1].stats.ctl_link_failures, 0);
	/* Our heartbeat says which link we hear on. */
	assert_int_equal(h->last_pkt[1].flags & (HB_F_CTL0_UP | HB_F_CTL1_UP), HB_F_CTL1_UP);
	/* The duplicate on the second link counts once. */
	h->ctl[0] = true;
	h_run(h, 500);
	assert_true(h->n[1].stats.hb_duplicates > 0);
	/* Physical link-down of one link: the same. */
	rg_engine_ctl_link_state(&h->n[1], 1, false, h->now);
	h_drain(h, 1);
	h_run(h, 1000);
	assert_false(rg_engine_ctl_link_up(&h->n[1], 1));
	assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
	h_free(h);
}

/*
 * Both control links cut, fabric up: the RG0-secondary node is disabled
 * (ineligible -> disabled), the RG0 primary keeps RG0 and takes every group.
 */
static void ctl_link_failure(bool recovery)
{
	struct h *h = h_new(100, 3);

	h_group(h, 0, 200, 100);
	h_group(h, 1, 100, 200); /* node1 primary for RG1 */
	for (int i = 0; i < 2; i++)
		h->cfg[i].control_link_recovery = recovery;
	h_start(h, 0);
	h_start(h, 1);
	H_UNTIL(h, st(h, 0, 0) == RG_STATE_PRIMARY && st(h, 1, 1) == RG_STATE_PRIMARY, 2000);

	h->ctl[0] = h->ctl[1] = false;
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_DISABLED && st(h, 1, 0) == RG_STATE_DISABLED, 1000);
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 1000);
	assert_true(
	        has_hist(h, 1, 1, RG_STATE_PRIMARY, RG_STATE_INELIGIBLE, "Control link failure"));
	assert_true(
	        has_hist(h, 1, 1, RG_STATE_INELIGIBLE, RG_STATE_DISABLED, "Control link failure"));
	assert_true(
	        has_hist(h, 0, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Remote node disabled"));
	assert_int_equal(st(h, 0, 0), RG_STATE_PRIMARY);
	assert_true(h->n[1].node_disabled);
	assert_false(h->n[0].node_disabled);
	assert_int_equal(h->n[0].stats.ctl_link_failures, 1);
	/* The disabled node advertises it and sends nothing for any group. */
	assert_true(h->last_pkt[1].flags & HB_F_DISABLED);
	assert_int_equal(h->last_pkt[1].n_rg, 0);
	assert_false(h->held[1][0] || h->held[1][1]);
	assert_true(rg_engine_group(&h->n[0], 1)->mon_fail & CL_MON_CL);

	h->ctl[0] = h->ctl[1] = true;
	h_run(h, 2000);
	if (recovery) {
		assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
		assert_int_equal(h->rejoins[1], 1);
		assert_true(has_hist(h, 1, 1, RG_STATE_DISABLED, RG_STATE_SECONDARY,
		                     "Control link recovered"));
		assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	} else {
		/* Without control-link-recovery a disabled node needs a restart. */
		assert_int_equal(st(h, 1, 1), RG_STATE_DISABLED);
		assert_int_equal(h->rejoins[1], 0);
		h_start(h, 1);
		h_run(h, 2000);
		assert_int_equal(st(h, 1, 1), RG_STATE_SECONDARY);
	}
	h_free(h);
}

static void test_ctl_link_failure(void **state)
{
	ctl_link_failure(false);
}

static void test_ctl_link_failure_recovery(void **state)
{
	ctl_link_failure(true);
}

/* Control and fabric both cut, no activeness probe: Junos behaviour, each side takes over. */
static void test_full_cut_no_probe(void **state)
{
	struct h *h = pair(100);

	h->allow_dual = true;
	h->ctl[0] = h->ctl[1] = h->fab = false;
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_PRIMARY, 1000);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_true(has_hist(h, 1, 1, RG_STATE_SECONDARY, RG_STATE_PRIMARY, "Remote node lost"));
	/* Healed: the two primaries meet and the election loser steps down at once. */
	h->ctl[0] = h->ctl[1] = h->fab = true;
	H_UNTIL(h, st(h, 1, 1) == RG_STATE_SECONDARY, 1000);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	assert_true(has_hist(h, 1, 1, RG_STATE_PRIMARY, RG_STATE_SECONDARY,
	                     "Dual primary, peer has better priority"));
	uint64_t dual = h->dual_ms;
	h_run(h, 2000);
	assert_int_equal(h->dual_ms, dual);
	h_free(h);
}

/*
 * Control and fabric both cut with an activeness probe: a node that cannot
 * reach the target neither takes over nor stays primary, so the cut
 * cluster never has two primaries (h_check fails the test otherwise).
 */
static void full_cut_probe(int primary_reaches)
{
	struct h *h = h_new(100, 3);

	h_group(h, 0, 200, 100);
	h_group(h, 1, 200, 100);
	for (int i = 0; i < 2; i++)
		h->cfg[i].activeness_probe = true;
	h_start(h, 0);
	h_start(h, 1);
	for (int i = 0; i < 2; i++) {
		rg_engine_activeness(&h->n[i], true, h->now);
		h_drain(h, i);
	}
	H_UNTIL(h, st(h, 0, 1) == RG_STATE_PRIMARY, 2000);
	assert_true(h->last_pkt[0].flags & HB_F_ACTIVE_OK);

	/* The cut also separates one node from the probe target. */
	int cut_off = primary_reaches ? 1 : 0;
	rg_engine_activeness(&h->n[cut_off], false, h->now);
	h_drain(h, cut_off);
	h->ctl[0] = h->ctl[1] = h->fab = false;
	h_run(h, 3000);
	int other = cut_off ^ 1;
	for (uint8_t rg = 0; rg < 2; rg++) {
		assert_int_equal(st(h, other, rg), RG_STATE_PRIMARY);
		assert_int_not_equal(st(h, cut_off, rg), RG_STATE_PRIMARY);
	}
	if (!primary_reaches)
		assert_true(has_hist(h, 0, 1, RG_STATE_PRIMARY, RG_STATE_SECONDARY,
		                     "Activeness probe failed"));
	/* The target comes back on the cut-off side while still cut: it may act alone now. */
	h->allow_dual = true;
	rg_engine_activeness(&h->n[cut_off], true, h->now);
	h_drain(h, cut_off);
	assert_int_equal(st(h, cut_off, 1), RG_STATE_PRIMARY);
	h_free(h);
}

static void test_full_cut_probe_primary_isolated(void **state)
{
	full_cut_probe(0);
}

static void test_full_cut_probe_secondary_isolated(void **state)
{
	full_cut_probe(1);
}

/* ------------------------------------------------------------ bookkeeping */

static void test_history_ring(void **state)
{
	struct h *h = pair(100);
	struct rg_history_ent ents[RG_HISTORY_LEN + 4];

	h->groups[0][1].n_ifmon = h->groups[1][1].n_ifmon = 1;
	snprintf(h->groups[0][1].ifmon[0].name, RG_IFNAME_LEN, "eth9");
	h->groups[0][1].ifmon[0].weight = 255;
	h_sync_cfg(h);
	h_apply(h, 0);
	h_apply(h, 1);
	for (int i = 0; i < 40; i++) {
		rg_engine_if_state(&h->n[1], "eth9", i % 2 == 0 ? false : true, h->now);
		h_drain(h, 1);
		h_run(h, 50);
	}
	const struct rg *g = rg_engine_group(&h->n[1], 1);
	size_t n = rg_history(g, ents, RG_HISTORY_LEN + 4);
	assert_int_equal(n, RG_HISTORY_LEN);
	for (size_t i = 1; i < n; i++) {
		assert_true(ents[i].time_ms >= ents[i - 1].time_ms);
		assert_int_equal(ents[i].from, ents[i - 1].to);
	}
	assert_int_equal(last_hist(h, 1, 1)->to, st(h, 1, 1));
	assert_int_equal(g->last_change_ms, ents[n - 1].time_ms);
	/* A short buffer gets the newest. */
	assert_int_equal(rg_history(g, ents, 2), 2);
	assert_int_equal(ents[1].to, st(h, 1, 1));
	/* lib/fsm counters. */
	assert_true(g->fsm.changes >= 40);
	assert_int_equal(g->fsm.unexpected, 0);
	assert_true(g->pair_counts[RG_STATE_SECONDARY * RG_EVT_COUNT + RG_EVT_WEIGHT_ZERO] >= 10);
	h_free(h);
}

static void test_config_diff(void **state)
{
	struct h *h = pair(100);
	char err[128];

	/* Changing priorities keeps state (no flap). */
	unsigned changes = (unsigned)rg_engine_group(&h->n[0], 1)->fsm.changes;
	h->groups[0][1].priority[0] = 50;
	h->groups[1][1].priority[0] = 50;
	h_apply(h, 0);
	h_apply(h, 1);
	h_run(h, 2000);
	assert_int_equal(rg_engine_group(&h->n[0], 1)->fsm.changes, changes);
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	/* A new group starts in hold and is elected at once (the peer is known). */
	h_group(h, 2, 10, 20);
	h_apply(h, 0);
	h_apply(h, 1);
	assert_true(
	        has_hist(h, 0, 2, RG_STATE_HOLD, RG_STATE_SECONDARY, "Peer heartbeat received"));
	H_UNTIL(h, st(h, 1, 2) == RG_STATE_PRIMARY, 1000);
	/* Removing it releases its reths. */
	h->cfg[0].n_groups = h->cfg[1].n_groups = 2;
	h_apply(h, 1);
	h_drain(h, 1);
	assert_false(h->held[1][2]);
	assert_int_equal(rg_engine_state(&h->n[1], 2), RG_STATE_COUNT);
	h_apply(h, 0);
	h_run(h, 1000);
	/* Invalid configs are refused whole. */
	struct rg_cluster_cfg bad = h->cfg[0];
	bad.hb_threshold = 2;
	assert_int_equal(rg_engine_configure(&h->n[0], &bad, h->now, err, sizeof(err)), -1);
	bad = h->cfg[0];
	bad.hb_interval_ms = 5;
	assert_int_equal(rg_engine_configure(&h->n[0], &bad, h->now, err, sizeof(err)), -1);
	struct rg_group_cfg gs[2];
	memcpy(gs, h->groups[0], sizeof(gs));
	gs[1].id = 0; /* repeated */
	bad = h->cfg[0];
	bad.groups = gs;
	assert_int_equal(rg_engine_configure(&h->n[0], &bad, h->now, err, sizeof(err)), -1);
	memcpy(gs, h->groups[0], sizeof(gs));
	gs[1].priority[1] = 0;
	assert_int_equal(rg_engine_configure(&h->n[0], &bad, h->now, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "priority"));
	assert_int_equal(st(h, 0, 1), RG_STATE_PRIMARY);
	h_free(h);
}

static void test_rx_filtering(void **state)
{
	struct h *h = pair(100);
	struct hb_pkt p = h->last_pkt[0];
	uint64_t ign = h->n[0].stats.hb_ignored;

	p.node_id = 0; /* our own packet looped back */
	p.type = HB_TYPE_CONTROL;
	rg_engine_rx(&h->n[0], &p, h->now);
	p.node_id = 1;
	p.link = 2;
	rg_engine_rx(&h->n[0], &p, h->now);
	p.link = 0;
	p.type = 9;
	rg_engine_rx(&h->n[0], &p, h->now);
	assert_int_equal(h->n[0].stats.hb_ignored, ign + 3);
	/* An old sequence number never updates the peer's state. */
	p = h->last_pkt[1];
	p.type = HB_TYPE_CONTROL;
	p.seq = 1;
	p.rg[1].state = RG_STATE_PRIMARY;
	rg_engine_rx(&h->n[0], &p, h->now);
	assert_true(h->n[0].stats.hb_stale > 0);
	assert_int_equal(rg_engine_peer_group(&h->n[0], 1)->state, RG_STATE_SECONDARY);
	/* Advertised contents. */
	struct hb_pkt out;
	rg_engine_advertise(&h->n[0], h->now, &out);
	assert_int_equal(out.n_rg, 2);
	assert_int_equal(out.rg[1].id, 1);
	assert_int_equal(out.rg[1].priority, 200);
	assert_int_equal(out.rg[1].state, RG_STATE_PRIMARY);
	assert_int_equal(out.rg[1].weight, 255);
	assert_int_equal(out.flags & (HB_F_CTL0_UP | HB_F_CTL1_UP | HB_F_FAB_UP),
	                 HB_F_CTL0_UP | HB_F_CTL1_UP | HB_F_FAB_UP);
	assert_int_equal(out.coldsync, CL_CS_DONE);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_elect_rules),
	        cmocka_unit_test(test_elect_symmetric),
	        cmocka_unit_test(test_fsm_table),
	        cmocka_unit_test(test_boot_priority),
	        cmocka_unit_test(test_boot_tie_node_id),
	        cmocka_unit_test(test_boot_alone),
	        cmocka_unit_test(test_preempt),
	        cmocka_unit_test(test_preempt_limit),
	        cmocka_unit_test(test_fabric_monitor),
	        cmocka_unit_test(test_interface_monitor),
	        cmocka_unit_test(test_both_weights_zero),
	        cmocka_unit_test(test_ip_monitoring),
	        cmocka_unit_test(test_coldsync_gating),
	        cmocka_unit_test(test_manual_failover),
	        cmocka_unit_test(test_rg0_hold_down),
	        cmocka_unit_test(test_manual_failback),
	        cmocka_unit_test(test_manual_one_sided),
	        cmocka_unit_test(test_hold_down_peer_dies),
	        cmocka_unit_test(test_peer_lost_timing),
	        cmocka_unit_test(test_peer_restart),
	        cmocka_unit_test(test_one_ctl_link_down),
	        cmocka_unit_test(test_ctl_link_failure),
	        cmocka_unit_test(test_ctl_link_failure_recovery),
	        cmocka_unit_test(test_full_cut_no_probe),
	        cmocka_unit_test(test_full_cut_probe_primary_isolated),
	        cmocka_unit_test(test_full_cut_probe_secondary_isolated),
	        cmocka_unit_test(test_history_ring),
	        cmocka_unit_test(test_config_diff),
	        cmocka_unit_test(test_rx_filtering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
