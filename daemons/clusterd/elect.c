/*
 * Redundancy-group election: given both nodes' facts, which node should be
 * primary. Pure and symmetric; the engine (rg.c) decides *when* to act on
 * the answer (handshake, hold-down, preempt delay).
 *
 * Rules, most decisive first (shared notes cluster.md §1, §5, §6):
 *   1. a node that is not alive or is disabled cannot be primary;
 *   2. weight 0 loses to weight > 0, even against a manual failover
 *      (junos94 configuring-interface-monitoring); both at 0: the lower
 *      node id (junos12.1x46 interface-monitoring-understanding);
 *   3. manual failover overrides priority and preempt;
 *   4. a running primary stays primary ("boot order counts", cso6.2.0
 *      cp-create-redundancy-group.html), unless preempt is on and the other
 *      node has a strictly higher priority (chassis-edit-preempt.html);
 *   5. higher priority wins; on a tie the lower node id ("node 0 always wins").
 */
#include "daemons/clusterd/rg.h"

static bool elect_usable(const struct rg_elect_node *n)
{
	return n->alive && !n->disabled;
}

/* The lower node id of the two; index 0 when the ids are equal (never in a real cluster). */
static int elect_lower_id(const struct rg_elect_in *in)
{
	return in->n[1].node_id < in->n[0].node_id ? 1 : 0;
}

int rg_elect(const struct rg_elect_in *in, enum rg_elect_reason *why)
{
	const struct rg_elect_node *a = &in->n[0], *b = &in->n[1];
	enum rg_elect_reason r;
	int w;

	bool ua = elect_usable(a), ub = elect_usable(b);
	if (!ua || !ub) {
		if (!ua && !ub) {
			w = -1;
			r = RG_ELECT_NONE;
		} else {
			w = ua ? 0 : 1;
			const struct rg_elect_node *o = ua ? b : a;
			r = o->alive ? RG_ELECT_DISABLED : RG_ELECT_ALONE;
		}
		goto out;
	}
	if ((a->weight == 0) != (b->weight == 0)) {
		w = a->weight ? 0 : 1;
		r = RG_ELECT_WEIGHT;
		goto out;
	}
	if (a->weight == 0) {
		w = elect_lower_id(in);
		r = RG_ELECT_BOTH_ZERO;
		goto out;
	}
	/* A node that relinquishes counts as the other being the manual target. */
	bool ma = a->manual || b->relinquish, mb = b->manual || a->relinquish;
	if (ma != mb) {
		w = ma ? 0 : 1;
		r = RG_ELECT_MANUAL;
		goto out;
	}
	bool pa = a->state == RG_STATE_PRIMARY, pb = b->state == RG_STATE_PRIMARY;
	if (pa != pb) {
		int inc = pa ? 0 : 1;
		const struct rg_elect_node *ni = &in->n[inc], *no = &in->n[1 - inc];
		if (in->preempt && no->priority > ni->priority) {
			w = 1 - inc;
			r = RG_ELECT_PREEMPT;
		} else {
			w = inc;
			r = RG_ELECT_INCUMBENT;
		}
		goto out;
	}
	if (a->priority != b->priority) {
		w = a->priority > b->priority ? 0 : 1;
		r = RG_ELECT_PRIORITY;
		goto out;
	}
	w = elect_lower_id(in);
	r = RG_ELECT_NODE_ID;
out:
	if (why)
		*why = r;
	return w;
}

const char *rg_elect_reason_name(enum rg_elect_reason r)
{
	static const char *const names[] = {
	        [RG_ELECT_NONE] = "none",           [RG_ELECT_ALONE] = "alone",
	        [RG_ELECT_DISABLED] = "disabled",   [RG_ELECT_WEIGHT] = "weight",
	        [RG_ELECT_BOTH_ZERO] = "both-zero", [RG_ELECT_MANUAL] = "manual",
	        [RG_ELECT_INCUMBENT] = "incumbent", [RG_ELECT_PREEMPT] = "preempt",
	        [RG_ELECT_PRIORITY] = "priority",   [RG_ELECT_NODE_ID] = "node-id",
	};
	if ((unsigned)r >= sizeof(names) / sizeof(names[0]) || !names[r])
		return "?";
	return names[r];
}
