/*
 * The redundancy-group engine: config diff, heartbeat intake, peer liveness,
 * the control-link failure rule, weights and monitors, manual failover,
 * preempt, hold-down and what to advertise. Pure logic (see rg.h).
 *
 * Why two nodes never both become primary when they start together
 * ------------------------------------------------------------------
 * Assume no partition: while both nodes run, the failure detector never
 * fires falsely (fewer than threshold consecutive heartbeats go missing on
 * both control links, with delivery delay below one interval), and the
 * boot hold H is longer than threshold x interval (default 2 x that).
 *
 * A node leaves hold in exactly one of two ways:
 *   (a) it receives any packet from the peer: PEER_SEEN -> secondary;
 *   (b) H passes with no packet at all: HOLD_EXPIRED, then PEER_ABSENT ->
 *       primary, alone.
 * A node in secondary becomes primary next to a live peer only through an
 * election takeover (ELECT_WIN, PREEMPT_DUE, MANUAL_TO_US, PEER_WEIGHT_ZERO),
 * and rg_step() allows that only when the peer's last packet says that the
 * peer (1) is not primary and not in hold, and (2) hears us (HB_F_CTL0_UP /
 * HB_F_CTL1_UP). PEER_LOST needs a fired detector, excluded above.
 *
 * Suppose A and B are both primary for one group. Cases on how each got there:
 *   - both by (b): A hears nothing during [tA, tA + H) and B nothing during
 *     [tB, tB + H). Say tA <= tB. A sends from tA on, so B would hear A
 *     within threshold x interval < H of tB. Contradiction.
 *   - A by (b), B by takeover: B's takeover needs a packet from A saying
 *     "I hear you". A says so only after receiving from B, which moves A out
 *     of hold by (a), never (b); and every later packet of A carries A's real
 *     state, so once A is primary B sees "primary" and does not take over.
 *     A packet of A saying "hear you, not primary" can only be one sent after
 *     A left hold by (a). Contradiction.
 *   - both by takeover: each saw the other not primary, and each ran
 *     rg_elect() with itself as winner. With both non-primary the election
 *     depends only on (weight > 0, manual, priority, node id) of the two
 *     nodes, which both see identically once heartbeats have crossed (the
 *     static boot case), and the rule is symmetric, so exactly one of them
 *     wins. Contradiction.
 * A primary hands a group to a live peer only when that peer advertises
 * `secondary`, and the peer takes it only once the old primary advertises
 * something else, so failovers after boot are break-before-make as well.
 * Outside that argument (weights changing on both nodes within one heartbeat,
 * or a real partition without an activeness probe) two primaries can meet;
 * the election then has no incumbent and the loser steps down at once
 * (ELECT_LOSE). tests/unit/clusterd/test_rg_sim.c checks the claim over
 * random start offsets, delays and losses.
 */
#include "daemons/clusterd/rg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

#define RG_STEP_MAX 8 /* transitions one evaluation may chain (hold->secondary->primary...) */

static const char *const cl_mon_code_names[CL_MON_COUNT_BITS] = {
        "CS", "FL", "IF", "IP", "CF", "CL", "RE",
};

const char *cl_mon_codes(uint16_t bits, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (!bits) {
		snprintf(buf, len, "None");
		return buf;
	}
	for (int i = 0; i < CL_MON_COUNT_BITS; i++) {
		if (!(bits & (1u << i)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
		                 cl_mon_code_names[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

/* ------------------------------------------------------------ small helpers */

uint64_t rg_engine_detect_ms(const struct rg_engine *e)
{
	return (uint64_t)e->hb_threshold * e->hb_interval_ms;
}

static uint64_t rg_boot_hold_ms(const struct rg_engine *e)
{
	return e->boot_hold_ms ? e->boot_hold_ms : 2 * rg_engine_detect_ms(e);
}

uint32_t rg_hold_down_ms(const struct rg *g)
{
	int32_t s = g->cfg.hold_down_s;

	/* The default depends on the group, so YANG leaves it to the daemon (notes §6). */
	if (s < 0)
		s = g->cfg.id == 0 ? CL_HOLD_DOWN_RG0 : CL_HOLD_DOWN_RGX;
	return (uint32_t)s * 1000u;
}

uint8_t rg_garp_count(const struct rg *g)
{
	return g->cfg.garp_count ? g->cfg.garp_count : CL_GARP_DEF;
}

static uint8_t rg_peer_id(const struct rg_engine *e)
{
	return (uint8_t)(e->node_id ^ 1);
}

static bool rg_fresh(bool ever, uint64_t last, uint64_t now, uint64_t detect)
{
	return ever && now >= last && now - last <= detect;
}

bool rg_engine_ctl_link_up(const struct rg_engine *e, unsigned link)
{
	if (link > 1)
		return false;
	return e->ctl_phys_up[link] && rg_fresh(e->peer.ctl_ever[link], e->peer.last_ctl_ms[link],
	                                        e->now_ms, rg_engine_detect_ms(e));
}

static bool rg_ctl_alive(const struct rg_engine *e)
{
	return rg_engine_ctl_link_up(e, 0) || rg_engine_ctl_link_up(e, 1);
}

bool rg_engine_fabric_up(const struct rg_engine *e)
{
	return e->fab_phys_up &&
	       rg_fresh(e->peer.fab_ever, e->peer.last_fab_ms, e->now_ms, rg_engine_detect_ms(e));
}

/* The peer's view of a group while the peer is alive; NULL otherwise. */
static const struct hb_rg *rg_peer_rg(const struct rg_engine *e, uint8_t id)
{
	if (e->peer.state != RG_PEER_ALIVE || !e->peer.rg_known[id])
		return NULL;
	return &e->peer.rg[id];
}

const struct hb_rg *rg_engine_peer_group(const struct rg_engine *e, uint8_t id)
{
	return id < CL_MAX_RG ? rg_peer_rg(e, id) : NULL;
}

static bool rg_peer_hears_us(const struct rg_engine *e)
{
	return (e->peer.flags & (HB_F_CTL0_UP | HB_F_CTL1_UP)) != 0;
}

void rg_push_action(struct rg_engine *e, enum rg_act_type type, const struct rg *g, uint8_t from,
                    uint8_t to, uint8_t event)
{
	if (e->act_n == RG_ACT_QUEUE_LEN) {
		/* The daemon drains after every call, so this is a bug; it can resync from
		 * rg_engine_state(). */
		e->stats.actions_dropped++;
		log_warnx("rg: action queue full, dropped (%" PRIu64 " so far)",
		          e->stats.actions_dropped);
		return;
	}
	struct rg_action *a = &e->act[(e->act_head + e->act_n) % RG_ACT_QUEUE_LEN];
	e->act_n++;
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->rg = g ? g->cfg.id : 0;
	a->garp_count = g ? rg_garp_count(g) : 0;
	a->from = from;
	a->to = to;
	a->event = event;
	a->time_ms = e->now_ms;
	a->reason = type == RG_ACT_REJOIN ? "Control link recovered" : rg_event_reason(event);
}

bool rg_engine_next_action(struct rg_engine *e, struct rg_action *out)
{
	if (!e->act_n)
		return false;
	*out = e->act[e->act_head];
	e->act_head = (e->act_head + 1) % RG_ACT_QUEUE_LEN;
	e->act_n--;
	return true;
}

size_t rg_history(const struct rg *g, struct rg_history_ent *out, size_t max)
{
	size_t n = g->hist_n < max ? g->hist_n : max;
	size_t skip = g->hist_n - n; /* keep the newest when out is short */

	for (size_t i = 0; i < n; i++)
		out[i] = g->hist[(g->hist_head + skip + i) % RG_HISTORY_LEN];
	return n;
}

const struct rg *rg_engine_group(const struct rg_engine *e, uint8_t id)
{
	return id < CL_MAX_RG ? e->rg[id] : NULL;
}

enum rg_state rg_engine_state(const struct rg_engine *e, uint8_t id)
{
	const struct rg *g = rg_engine_group(e, id);

	return g ? (enum rg_state)g->fsm.state : RG_STATE_COUNT;
}

/* ------------------------------------------------------------ preempt limit / period */

/*
 * chassis-edit-preempt.html: at most `limit` preemptive failovers within
 * `period`; the window restarts when more than `period` separates the first
 * and the current one. `failover reset` clears the count.
 */
void rg_preempt_note(struct rg *g, uint64_t now_ms)
{
	uint64_t period = (uint64_t)g->cfg.preempt_period_s * 1000u;

	if (g->preempt_count == 0 || now_ms - g->preempt_window_start > period) {
		g->preempt_window_start = now_ms;
		g->preempt_count = 1;
	} else {
		g->preempt_count++;
	}
}

static bool rg_preempt_allowed(const struct rg *g, uint64_t now_ms)
{
	uint64_t period = (uint64_t)g->cfg.preempt_period_s * 1000u;

	if (!g->cfg.preempt_limit || g->preempt_count < g->cfg.preempt_limit)
		return true;
	return now_ms - g->preempt_window_start > period;
}

/* ------------------------------------------------------------ weights */

/*
 * The group's threshold (notes §5): 255 minus the weight of every failed
 * monitor, floored at 0, and the Monitor-failures bits.
 *  - IF: each monitored interface that is down subtracts its weight.
 *  - IP: each unreachable target subtracts its weight from global-threshold;
 *    when the failed weights reach it, global-weight comes off the group. It
 *    counts only when the peer does not see the same failure: failover for IP
 *    happens only when the target is unreachable from the primary and
 *    reachable from the secondary (chassis-edit-ip-monitoring.html).
 *  - CS: 255 while this node's cold sync is not done, but only against a
 *    healthy primary peer: a node that has not synced cannot take over from
 *    one, yet two nodes booting together (nothing to sync from) still elect.
 *  - FL, CL, RE: shown, no weight.
 */
static void rg_weight_update(struct rg_engine *e, struct rg *g)
{
	const struct hb_rg *prg = rg_peer_rg(e, g->cfg.id);
	int w = CL_WEIGHT_FULL;
	uint16_t bits = 0;

	for (unsigned i = 0; i < g->cfg.n_ifmon; i++)
		if (g->if_down[i]) {
			w -= g->cfg.ifmon[i].weight;
			bits |= CL_MON_IF;
		}

	unsigned n_unreach = 0, failed = 0;
	for (unsigned i = 0; i < g->cfg.n_ipmon; i++)
		if (g->ip_state[i] == RG_IP_UNREACHABLE) {
			n_unreach++;
			failed += g->cfg.ipmon[i].weight;
		}
	if (n_unreach && failed >= g->cfg.ip_global_threshold) {
		bits |= CL_MON_IP;
		if (!(prg && (prg->mon_fail & CL_MON_IP)))
			w -= g->cfg.ip_global_weight;
	}

	if (e->coldsync != CL_CS_DONE) {
		bits |= CL_MON_CS;
		if (prg && prg->state == RG_STATE_PRIMARY && prg->weight > 0)
			w -= CL_WEIGHT_FULL;
	}
	if (!e->fab_phys_up || (e->peer.state == RG_PEER_ALIVE && !rg_engine_fabric_up(e)))
		bits |= CL_MON_FL;
	if (e->peer.state != RG_PEER_UNKNOWN && !rg_ctl_alive(e))
		bits |= CL_MON_CL;
	if (g->manual_node == rg_peer_id(e) && !g->peer_manual_seen)
		bits |= CL_MON_RE;

	g->weight = (uint8_t)(w < 0 ? 0 : w);
	g->mon_fail = bits;
	/* Failback: weight 0 on the manual primary ends the manual failover (notes §6). */
	if (g->weight == 0 && g->manual_node == e->node_id)
		g->manual_node = -1;
}

/* ------------------------------------------------------------ per-group evaluation */

static void rg_elect_input(const struct rg_engine *e, const struct rg *g, struct rg_elect_in *in,
                           bool *peer_disabled)
{
	const struct hb_rg *prg = rg_peer_rg(e, g->cfg.id);
	uint8_t pid = rg_peer_id(e);
	bool pdis = e->peer.state == RG_PEER_ALIVE &&
	            ((e->peer.flags & HB_F_DISABLED) || (prg && prg->state == RG_STATE_DISABLED));

	memset(in, 0, sizeof(*in));
	in->preempt = g->cfg.preempt && g->cfg.id != 0;
	struct rg_elect_node *l = &in->n[0], *p = &in->n[1];
	l->node_id = e->node_id;
	l->priority = g->cfg.priority[e->node_id];
	l->weight = g->weight;
	l->state = (uint8_t)g->fsm.state;
	l->alive = true;
	l->manual = g->manual_node == e->node_id;
	l->relinquish = g->manual_node == pid;

	p->node_id = pid;
	p->alive = prg != NULL || pdis;
	p->disabled = pdis;
	p->priority = prg ? prg->priority : g->cfg.priority[pid];
	p->weight = prg ? prg->weight : 0;
	p->state = prg ? prg->state : RG_STATE_HOLD;
	p->manual = (prg && (prg->flags & HB_RG_F_MANUAL)) || g->manual_node == pid;
	p->relinquish = prg && (prg->mon_fail & CL_MON_RE);
	*peer_disabled = pdis;
}

/* Which takeover event a won election maps to (the reason the history shows). */
static enum rg_event rg_takeover_event(const struct rg *g, const struct rg_elect_in *in,
                                       enum rg_elect_reason why)
{
	switch (why) {
	case RG_ELECT_MANUAL:
		return RG_EVT_MANUAL_TO_US;
	case RG_ELECT_WEIGHT:
		return RG_EVT_PEER_WEIGHT_ZERO;
	default:
		break;
	}
	if (g->peer_was_primary && in->preempt && in->n[0].priority > in->n[1].priority)
		return RG_EVT_PREEMPT_DUE;
	return RG_EVT_ELECT_WIN;
}

/* Whether a peer-lost takeover is allowed: an unreachable activeness probe forbids it. */
static bool rg_may_act_alone(const struct rg_engine *e)
{
	return !e->activeness_cfg || e->activeness_ok;
}

/*
 * One evaluation step for a group: at most one event. Returns true when a
 * row was taken (the caller evaluates again: hold -> secondary -> primary
 * can chain within one input).
 */
static bool rg_step(struct rg_engine *e, struct rg *g)
{
	uint64_t now = e->now_ms;
	int st = g->fsm.state;
	struct rg_elect_in in;
	enum rg_elect_reason why;
	bool pdis;
	enum rg_event ev;

	rg_weight_update(e, g);
	if (st == RG_STATE_DISABLED)
		return false; /* only CTL_LINK_RECOVERED (node level) leaves disabled */
	if (e->node_disabled)
		return rg_fsm(g, st == RG_STATE_INELIGIBLE ? RG_EVT_DISABLE
		                                           : RG_EVT_CTL_LINK_FAILED) >= 0;
	if (st == RG_STATE_HOLD) {
		if (e->peer.state != RG_PEER_UNKNOWN)
			return rg_fsm(g, RG_EVT_PEER_SEEN) >= 0;
		if (now >= e->boot_ms + rg_boot_hold_ms(e))
			return rg_fsm(g, RG_EVT_HOLD_EXPIRED) >= 0;
		return false;
	}

	rg_elect_input(e, g, &in, &pdis);
	const struct rg_elect_node *p = &in.n[1];
	bool peer_alive = e->peer.state == RG_PEER_ALIVE;
	/* Alive but no RG list from this peer session yet (e.g. only a fabric probe): wait. */
	bool peer_unsure = peer_alive && !p->alive && !e->peer.have_rg_list;
	int w = rg_elect(&in, &why);

	switch (st) {
	case RG_STATE_PRIMARY:
		if (!p->alive) {
			if (!rg_may_act_alone(e))
				return rg_fsm(g, RG_EVT_ACTIVENESS_LOST) >= 0;
			return false;
		}
		if (w == 0) {
			g->preempt_since = 0;
			return false;
		}
		if (p->state == RG_STATE_PRIMARY)
			return rg_fsm(g, RG_EVT_ELECT_LOSE) >= 0; /* heal two primaries at once */
		/*
		 * Hand over only to a peer ready to take it (secondary; ineligible too
		 * when both weights are 0 and it wins on node id), not within hold-down.
		 */
		bool ready = p->state == RG_STATE_SECONDARY ||
		             (p->state == RG_STATE_INELIGIBLE && why == RG_ELECT_BOTH_ZERO);
		if (!ready || p->disabled || !rg_peer_hears_us(e) || now < g->hold_down_until) {
			g->preempt_since = 0;
			return false;
		}
		switch (why) {
		case RG_ELECT_WEIGHT:
		case RG_ELECT_BOTH_ZERO:
			return rg_fsm(g, RG_EVT_WEIGHT_ZERO) >= 0;
		case RG_ELECT_MANUAL:
			return rg_fsm(g, RG_EVT_MANUAL_TO_PEER) >= 0;
		case RG_ELECT_PREEMPT: {
			uint32_t delay = g->cfg.preempt_delay_s ? g->cfg.preempt_delay_s
			                                        : RG_PREEMPT_DELAY_DEF;
			if (!g->preempt_since)
				g->preempt_since = now ? now : 1;
			if (now - g->preempt_since < (uint64_t)delay * 1000u ||
			    !rg_preempt_allowed(g, now))
				return false;
			return rg_fsm(g, RG_EVT_PREEMPTED) >= 0;
		}
		default:
			return false;
		}

	case RG_STATE_SECONDARY:
	case RG_STATE_INELIGIBLE:
		if (w != 0) {
			if (st == RG_STATE_SECONDARY && g->weight == 0)
				return rg_fsm(g, RG_EVT_WEIGHT_ZERO) >= 0;
			if (st == RG_STATE_INELIGIBLE && g->weight > 0)
				return rg_fsm(g, RG_EVT_WEIGHT_OK) >= 0;
			return false;
		}
		if (peer_unsure)
			return false;
		if (!p->alive) {
			if (!rg_may_act_alone(e))
				return false;
			ev = e->peer.state == RG_PEER_LOST ? RG_EVT_PEER_LOST : RG_EVT_PEER_ABSENT;
			return rg_fsm(g, ev) >= 0;
		}
		if (pdis)
			return rg_fsm(g, RG_EVT_PEER_DISABLED) >= 0;
		if (st == RG_STATE_INELIGIBLE && g->weight > 0)
			return rg_fsm(g, RG_EVT_WEIGHT_OK) >= 0;
		/* The handshake: the peer says it is not primary (nor in hold) and hears us. */
		if (p->state == RG_STATE_PRIMARY || p->state == RG_STATE_HOLD ||
		    !rg_peer_hears_us(e))
			return false;
		ev = rg_takeover_event(g, &in, why);
		if (st == RG_STATE_INELIGIBLE && ev != RG_EVT_ELECT_WIN)
			return false;
		return rg_fsm(g, ev) >= 0;

	case RG_STATE_SECONDARY_HOLD:
		/* The new primary died: no need to sit out the hold-down (notes §2). */
		if (!p->alive && e->peer.state == RG_PEER_LOST && rg_may_act_alone(e))
			return rg_fsm(g, RG_EVT_PEER_LOST) >= 0;
		if (pdis)
			return rg_fsm(g, RG_EVT_PEER_DISABLED) >= 0;
		if (now >= g->hold_down_until)
			return rg_fsm(g, RG_EVT_HOLD_DOWN_EXPIRED) >= 0;
		return false;

	default:
		return false;
	}
}

static void rg_eval(struct rg_engine *e, struct rg *g)
{
	for (int i = 0; i < RG_STEP_MAX; i++)
		if (!rg_step(e, g))
			return;
	/* Every chain ends in a state that needs a new input; looping here is a table bug. */
	log_warnx("rg%u: state machine did not settle in %d steps (state %s)", g->cfg.id,
	          RG_STEP_MAX, rg_state_name((enum rg_state)g->fsm.state));
}

/* ------------------------------------------------------------ node level */

/* Forget what the peer told us about manual failover and its groups (lost or restarted). */
static void rg_peer_forget(struct rg_engine *e)
{
	uint8_t pid = rg_peer_id(e);

	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		struct rg *g = e->rg[id];
		e->peer.rg_known[id] = false;
		if (!g)
			continue;
		if (g->manual_node == pid)
			g->manual_node = -1;
		g->peer_manual_seen = false;
	}
	e->peer.flags = 0;
	e->peer.good_hb = 0;
	e->peer.have_rg_list = false;
}

/*
 * On a control-link failure, which node keeps its groups: the RG0 primary;
 * when that is unclear, the higher RG0 priority, then the lower node id
 * (junos-security10.2 topic-43697, notes §3).
 */
static bool rg_ctl_fail_we_keep(const struct rg_engine *e)
{
	const struct rg *g0 = NULL;

	for (unsigned id = 0; id < CL_MAX_RG && !g0; id++)
		g0 = e->rg[id];
	if (!g0)
		return e->node_id < rg_peer_id(e);
	if (g0->fsm.state == RG_STATE_PRIMARY)
		return true;
	const struct hb_rg *prg = e->peer.rg_known[g0->cfg.id] ? &e->peer.rg[g0->cfg.id] : NULL;
	if (prg && prg->state == RG_STATE_PRIMARY)
		return false;
	uint8_t lp = g0->cfg.priority[e->node_id];
	uint8_t pp = prg ? prg->priority : g0->cfg.priority[rg_peer_id(e)];
	if (lp != pp)
		return lp > pp;
	return e->node_id < rg_peer_id(e);
}

/*
 * How long the control links have been silent: since the last heartbeat on
 * either, or since the peer appeared when none came yet (a peer whose first
 * fabric probe outruns its first heartbeat has lost nothing).
 */
static uint64_t rg_ctl_silent_ms(const struct rg_engine *e)
{
	const struct rg_peer *p = &e->peer;
	uint64_t last = p->alive_since_ms;

	for (unsigned l = 0; l < 2; l++)
		if (p->ctl_ever[l] && p->last_ctl_ms[l] > last)
			last = p->last_ctl_ms[l];
	return e->now_ms >= last ? e->now_ms - last : 0;
}

/* Peer liveness and the control-link failure rule, then every group. */
static void rg_update(struct rg_engine *e)
{
	struct rg_peer *p = &e->peer;
	bool ctl = rg_ctl_alive(e), fab = rg_engine_fabric_up(e);

	if (p->state == RG_PEER_ALIVE) {
		if (!ctl && !fab) {
			/* Both control links and the fabric silent: a dead peer or a full cut. */
			p->state = RG_PEER_LOST;
			e->stats.peer_losses++;
			e->ctl_failed = false;
			rg_peer_forget(e);
		} else if (!ctl && !e->ctl_failed && p->last_fab_seq > p->last_ctl_seq &&
		           rg_ctl_silent_ms(e) > rg_engine_detect_ms(e)) {
			/*
			 * Control link failure (junos-security10.2 topic-43697): threshold
			 * heartbeats lost on both links while probes carrying sequence numbers
			 * of the missing heartbeats still arrive: the peer is alive.
			 */
			e->ctl_failed = true;
			e->stats.ctl_link_failures++;
			if (!rg_ctl_fail_we_keep(e)) {
				e->node_disabled = true;
				p->good_hb = 0;
			}
		} else if (ctl) {
			e->ctl_failed = false;
		}
	}
	if (e->node_disabled && e->control_link_recovery && ctl && p->good_hb >= RG_CLR_GOOD_HB) {
		/* chassis-edit-control-link-recovery.html: 3 good heartbeats, rejoin. */
		e->node_disabled = false;
		e->ctl_failed = false;
		rg_push_action(e, RG_ACT_REJOIN, NULL, 0, 0, 0);
		for (unsigned id = 0; id < CL_MAX_RG; id++)
			if (e->rg[id] && e->rg[id]->fsm.state == RG_STATE_DISABLED)
				rg_fsm(e->rg[id], RG_EVT_CTL_LINK_RECOVERED);
	}
	for (unsigned id = 0; id < CL_MAX_RG; id++)
		if (e->rg[id])
			rg_eval(e, e->rg[id]);
}

/* ------------------------------------------------------------ API */

void rg_engine_init(struct rg_engine *e, uint8_t node_id, uint64_t now_ms)
{
	memset(e, 0, sizeof(*e));
	e->node_id = node_id & 1;
	e->now_ms = now_ms;
	e->boot_ms = now_ms;
	e->hb_interval_ms = CL_HB_INTERVAL_DEF;
	e->hb_threshold = CL_HB_THRESH_DEF;
	e->ctl_phys_up[0] = e->ctl_phys_up[1] = true;
	e->fab_phys_up = true;
	e->coldsync = CL_CS_NOT_STARTED;
	e->peer.state = RG_PEER_UNKNOWN;
	e->peer.node_id = rg_peer_id(e);
}

void rg_engine_free(struct rg_engine *e)
{
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		free(e->rg[id]);
		e->rg[id] = NULL;
	}
}

static int rg_cfg_check(const struct rg_cluster_cfg *cfg, char *err, size_t errlen)
{
	bool seen[CL_MAX_RG] = {false};

	if (cfg->hb_interval_ms < CL_HB_INTERVAL_MIN || cfg->hb_interval_ms > CL_HB_INTERVAL_MAX) {
		snprintf(err, errlen, "heartbeat-interval %u out of range %u..%u",
		         cfg->hb_interval_ms, CL_HB_INTERVAL_MIN, CL_HB_INTERVAL_MAX);
		return -1;
	}
	if (cfg->hb_threshold < CL_HB_THRESH_MIN || cfg->hb_threshold > CL_HB_THRESH_MAX) {
		snprintf(err, errlen, "heartbeat-threshold %u out of range %u..%u",
		         cfg->hb_threshold, CL_HB_THRESH_MIN, CL_HB_THRESH_MAX);
		return -1;
	}
	if (cfg->n_groups && !cfg->groups) {
		snprintf(err, errlen, "redundancy groups missing");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct rg_group_cfg *gc = &cfg->groups[i];
		if (gc->id >= CL_MAX_RG || seen[gc->id]) {
			snprintf(err, errlen, "redundancy-group %u invalid or repeated", gc->id);
			return -1;
		}
		seen[gc->id] = true;
		for (int n = 0; n < CL_NODES; n++)
			if (gc->priority[n] < CL_PRIORITY_MIN ||
			    gc->priority[n] > CL_PRIORITY_MAX) {
				snprintf(err, errlen,
				         "redundancy-group %u node %d priority %u out of range",
				         gc->id, n, gc->priority[n]);
				return -1;
			}
		if (gc->n_ifmon > RG_MAX_IFMON || gc->n_ipmon > RG_MAX_IPMON ||
		    gc->garp_count > 16 || gc->hold_down_s > 1800) {
			snprintf(err, errlen,
			         "redundancy-group %u: monitor count, "
			         "gratuitous-arp-count or hold-down-interval out of range",
			         gc->id);
			return -1;
		}
	}
	return 0;
}

/* Carries monitor states over a config change for monitors that stay (matched by name/address). */
static void rg_carry_monitors(struct rg *g, const struct rg_group_cfg *nc)
{
	bool if_down[RG_MAX_IFMON] = {false};
	uint8_t ip_state[RG_MAX_IPMON] = {0};

	for (unsigned i = 0; i < nc->n_ifmon; i++)
		for (unsigned j = 0; j < g->cfg.n_ifmon; j++)
			if (strncmp(nc->ifmon[i].name, g->cfg.ifmon[j].name, RG_IFNAME_LEN) == 0)
				if_down[i] = g->if_down[j];
	for (unsigned i = 0; i < nc->n_ipmon; i++)
		for (unsigned j = 0; j < g->cfg.n_ipmon; j++)
			if (nc->ipmon[i].addr == g->cfg.ipmon[j].addr)
				ip_state[i] = g->ip_state[j];
	memcpy(g->if_down, if_down, sizeof(if_down));
	memcpy(g->ip_state, ip_state, sizeof(ip_state));
}

int rg_engine_configure(struct rg_engine *e, const struct rg_cluster_cfg *cfg, uint64_t now_ms,
                        char *err, size_t errlen)
{
	bool keep[CL_MAX_RG] = {false};

	if (rg_cfg_check(cfg, err, errlen) < 0)
		return -1;
	e->now_ms = now_ms;
	e->hb_interval_ms = cfg->hb_interval_ms;
	e->hb_threshold = cfg->hb_threshold;
	e->control_link_recovery = cfg->control_link_recovery;
	e->activeness_cfg = cfg->activeness_probe;
	e->boot_hold_ms = cfg->boot_hold_ms;

	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct rg_group_cfg *gc = &cfg->groups[i];
		struct rg *g = e->rg[gc->id];
		keep[gc->id] = true;
		if (g) {
			rg_carry_monitors(g, gc);
			g->cfg = *gc;
			g->cfg.ifmon[RG_MAX_IFMON - 1].name[RG_IFNAME_LEN - 1] = '\0';
			continue;
		}
		g = calloc(1, sizeof(*g));
		if (!g)
			fatal("rg: calloc");
		g->e = e;
		g->cfg = *gc;
		for (unsigned k = 0; k < RG_MAX_IFMON; k++)
			g->cfg.ifmon[k].name[RG_IFNAME_LEN - 1] = '\0';
		g->manual_node = -1;
		g->weight = CL_WEIGHT_FULL;
		rg_fsm_init(g);
		e->rg[gc->id] = g;
	}
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		struct rg *g = e->rg[id];
		if (!g || keep[id])
			continue;
		/* A removed group gives its reths up. */
		if (g->fsm.state == RG_STATE_PRIMARY)
			rg_push_action(e, RG_ACT_RELEASE, g, RG_STATE_PRIMARY, RG_STATE_COUNT, 0);
		free(g);
		e->rg[id] = NULL;
	}
	rg_update(e);
	return 0;
}

/* Takes in the peer's group list: manual-failover flags, observed failovers. */
static void rg_peer_groups(struct rg_engine *e, const struct hb_pkt *pkt)
{
	struct rg_peer *p = &e->peer;
	bool known[CL_MAX_RG] = {false};
	struct hb_rg old[CL_MAX_RG];
	bool old_known[CL_MAX_RG];
	uint8_t pid = rg_peer_id(e);

	memcpy(old, p->rg, sizeof(old));
	memcpy(old_known, p->rg_known, sizeof(old_known));
	for (unsigned i = 0; i < pkt->n_rg && i < CL_MAX_RG; i++) {
		const struct hb_rg *r = &pkt->rg[i];
		if (r->id >= CL_MAX_RG || r->state >= RG_STATE_COUNT)
			continue; /* the codec bounds these; a newer peer may know more states */
		p->rg[r->id] = *r;
		known[r->id] = true;
	}
	memcpy(p->rg_known, known, sizeof(known));
	p->have_rg_list = true;

	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		struct rg *g = e->rg[id];
		if (!g || !known[id])
			continue;
		const struct hb_rg *r = &p->rg[id];
		bool was_known = old_known[id];
		bool manual = r->flags & HB_RG_F_MANUAL;
		bool was_manual = was_known && (old[id].flags & HB_RG_F_MANUAL);
		bool re = r->mon_fail & CL_MON_RE;
		bool was_re = was_known && (old[id].mon_fail & CL_MON_RE);

		if (r->state == RG_STATE_PRIMARY) {
			if (!was_known || old[id].state != RG_STATE_PRIMARY)
				g->failover_count++;
			g->peer_was_primary = true;
		}
		/*
		 * Manual failover reaches a node that did not get the request through
		 * the peer's flags. Edges only, so a reset applied on both nodes is not
		 * undone by a heartbeat still in flight.
		 */
		if (manual && !was_manual) {
			g->manual_node = pid;
			g->peer_manual_seen = true;
		} else if (manual && g->manual_node == pid) {
			g->peer_manual_seen = true;
		} else if (!manual && was_manual && g->manual_node == pid) {
			g->manual_node = -1; /* failback or reset on the peer */
			g->peer_manual_seen = false;
		}
		if (re && !was_re && g->manual_node != e->node_id && g->weight > 0)
			g->manual_node = e->node_id;
		/* The peer reset our manual failover; it stops asking once we stop saying so. */
		if ((r->flags & HB_RG_F_RESET) && g->manual_node == e->node_id)
			g->manual_node = -1;
		if (g->reset_pending && !manual)
			g->reset_pending = false;
	}
}

void rg_engine_rx(struct rg_engine *e, const struct hb_pkt *pkt, uint64_t now_ms)
{
	struct rg_peer *p = &e->peer;
	bool newer;

	e->now_ms = now_ms;
	if (pkt->node_id == e->node_id || pkt->node_id >= CL_NODES ||
	    (pkt->type != HB_TYPE_CONTROL && pkt->type != HB_TYPE_FABRIC) ||
	    (pkt->type == HB_TYPE_CONTROL && pkt->link > 1)) {
		e->stats.hb_ignored++;
		return;
	}
	if (p->have_session && pkt->session_id != p->session_id) {
		/* A new per-boot session id: the peer restarted and is in hold again. */
		if (p->state == RG_PEER_ALIVE)
			e->stats.peer_restarts++; /* back within the detection time */
		rg_peer_forget(e);
		p->last_ctl_seq = p->last_fab_seq = 0;
		p->ctl_ever[0] = p->ctl_ever[1] = p->fab_ever = false;
	}
	p->session_id = pkt->session_id;
	p->have_session = true;

	uint64_t last = p->last_ctl_seq > p->last_fab_seq ? p->last_ctl_seq : p->last_fab_seq;
	bool any = p->ctl_ever[0] || p->ctl_ever[1] || p->fab_ever;
	newer = !any || pkt->seq > last;

	if (pkt->type == HB_TYPE_CONTROL) {
		unsigned l = pkt->link;
		bool seen = p->ctl_ever[0] || p->ctl_ever[1];
		if (seen && pkt->seq < p->last_ctl_seq) {
			e->stats.hb_stale++;
			return;
		}
		if (seen && pkt->seq == p->last_ctl_seq) {
			/* The copy from the other control link: liveness of that link only. */
			e->stats.hb_duplicates++;
		} else {
			if (now_ms - p->good_hb_last_ms <= 2ull * e->hb_interval_ms && p->good_hb)
				p->good_hb++;
			else
				p->good_hb = 1;
			p->good_hb_last_ms = now_ms;
			p->last_ctl_seq = pkt->seq;
		}
		p->last_ctl_ms[l] = now_ms;
		p->ctl_ever[l] = true;
	} else {
		if (p->fab_ever && pkt->seq < p->last_fab_seq) {
			e->stats.hb_stale++;
			return;
		}
		p->last_fab_seq = pkt->seq;
		p->last_fab_ms = now_ms;
		p->fab_ever = true;
	}
	p->node_id = pkt->node_id;
	if (p->state != RG_PEER_ALIVE) {
		p->state = RG_PEER_ALIVE;
		p->alive_since_ms = now_ms;
	}
	if (newer) {
		p->flags = pkt->flags;
		p->coldsync = pkt->coldsync;
		/* Probes may leave the group list out; a disabled peer sends none. */
		if (pkt->n_rg || (pkt->flags & HB_F_DISABLED) || pkt->type == HB_TYPE_CONTROL)
			rg_peer_groups(e, pkt);
	}
	rg_update(e);
}

void rg_engine_tick(struct rg_engine *e, uint64_t now_ms)
{
	e->now_ms = now_ms;
	rg_update(e);
}

void rg_engine_if_state(struct rg_engine *e, const char *ifname, bool up, uint64_t now_ms)
{
	e->now_ms = now_ms;
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		struct rg *g = e->rg[id];
		if (!g)
			continue;
		for (unsigned i = 0; i < g->cfg.n_ifmon; i++)
			if (strncmp(g->cfg.ifmon[i].name, ifname, RG_IFNAME_LEN) == 0)
				g->if_down[i] = !up;
	}
	rg_update(e);
}

void rg_engine_ip_state(struct rg_engine *e, uint8_t rg, uint32_t addr, enum rg_ip_state st,
                        uint64_t now_ms)
{
	struct rg *g = rg < CL_MAX_RG ? e->rg[rg] : NULL;

	e->now_ms = now_ms;
	if (g)
		for (unsigned i = 0; i < g->cfg.n_ipmon; i++)
			if (g->cfg.ipmon[i].addr == addr)
				g->ip_state[i] = (uint8_t)st;
	rg_update(e);
}

void rg_engine_coldsync(struct rg_engine *e, enum cl_coldsync cs, uint64_t now_ms)
{
	e->now_ms = now_ms;
	e->coldsync = (uint8_t)cs;
	rg_update(e);
}

void rg_engine_ctl_link_state(struct rg_engine *e, unsigned link, bool up, uint64_t now_ms)
{
	e->now_ms = now_ms;
	if (link < 2)
		e->ctl_phys_up[link] = up;
	rg_update(e);
}

void rg_engine_fabric_state(struct rg_engine *e, bool up, uint64_t now_ms)
{
	e->now_ms = now_ms;
	e->fab_phys_up = up;
	rg_update(e);
}

void rg_engine_activeness(struct rg_engine *e, bool reachable, uint64_t now_ms)
{
	e->now_ms = now_ms;
	e->activeness_ok = reachable;
	rg_update(e);
}

int rg_engine_manual_failover(struct rg_engine *e, uint8_t rg, uint8_t node, uint64_t now_ms,
                              char *err, size_t errlen)
{
	struct rg *g = rg < CL_MAX_RG ? e->rg[rg] : NULL;

	e->now_ms = now_ms;
	if (!g) {
		snprintf(err, errlen, "redundancy-group %u is not configured", rg);
		return -1;
	}
	if (node >= CL_NODES) {
		snprintf(err, errlen, "node %u does not exist", node);
		return -1;
	}
	if (e->node_disabled) {
		snprintf(err, errlen, "node%u is disabled", e->node_id);
		return -1;
	}
	const struct hb_rg *prg = rg_peer_rg(e, rg);
	int st = node == e->node_id ? g->fsm.state : (prg ? prg->state : -1);
	uint8_t w = node == e->node_id ? g->weight : (prg ? prg->weight : 0);
	if (st < 0) {
		snprintf(err, errlen, "node%u is not reachable", node);
		return -1;
	}
	if (st == RG_STATE_PRIMARY) {
		snprintf(err, errlen, "node%u is already primary of redundancy-group %u", node, rg);
		return -1;
	}
	if (now_ms < g->hold_down_until || st == RG_STATE_SECONDARY_HOLD) {
		snprintf(err, errlen,
		         "redundancy-group %u: hold-down-interval has not expired, "
		         "failover not allowed",
		         rg);
		return -1;
	}
	if (st != RG_STATE_SECONDARY || w == 0) {
		snprintf(err, errlen, "node%u is not eligible for redundancy-group %u (%s)", node,
		         rg, rg_state_name((enum rg_state)st));
		return -1;
	}
	g->manual_node = node;
	g->peer_manual_seen = false;
	g->reset_pending = false;
	rg_update(e);
	return 0;
}

int rg_engine_failover_reset(struct rg_engine *e, uint8_t rg, uint64_t now_ms, char *err,
                             size_t errlen)
{
	struct rg *g = rg < CL_MAX_RG ? e->rg[rg] : NULL;

	e->now_ms = now_ms;
	if (!g) {
		snprintf(err, errlen, "redundancy-group %u is not configured", rg);
		return -1;
	}
	/* The peer holds the manual flag of its own: tell it through the heartbeat (a reset on
	 * either node clears the cluster's manual failover, tests/topo/test_cluster_monitor.py). */
	if (g->manual_node == rg_peer_id(e))
		g->reset_pending = true;
	g->manual_node = -1;
	g->peer_manual_seen = false;
	g->preempt_count = 0;
	g->preempt_window_start = 0;
	rg_update(e);
	return 0;
}

void rg_engine_advertise(const struct rg_engine *e, uint64_t now_ms, struct hb_pkt *pkt)
{
	uint16_t flags = 0;

	/* Link freshness is judged at the caller's time, not the last input's. */
	uint64_t detect = rg_engine_detect_ms(e);
	for (unsigned l = 0; l < 2; l++)
		if (e->ctl_phys_up[l] &&
		    rg_fresh(e->peer.ctl_ever[l], e->peer.last_ctl_ms[l], now_ms, detect))
			flags |= l ? HB_F_CTL1_UP : HB_F_CTL0_UP;
	if (e->fab_phys_up && rg_fresh(e->peer.fab_ever, e->peer.last_fab_ms, now_ms, detect))
		flags |= HB_F_FAB_UP;
	if (e->node_disabled)
		flags |= HB_F_DISABLED;
	if (e->activeness_cfg && e->activeness_ok)
		flags |= HB_F_ACTIVE_OK;
	pkt->flags = flags;
	pkt->coldsync = e->coldsync;
	pkt->n_rg = 0;
	/* A disabled node sends nothing for any group (notes §3). */
	if (e->node_disabled)
		return;
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		const struct rg *g = e->rg[id];
		if (!g)
			continue;
		struct hb_rg *r = &pkt->rg[pkt->n_rg++];
		memset(r, 0, sizeof(*r));
		r->id = (uint8_t)id;
		r->priority = g->cfg.priority[e->node_id];
		r->state = (uint8_t)g->fsm.state;
		r->weight = g->weight;
		r->mon_fail = g->mon_fail;
		if (g->manual_node == e->node_id)
			r->flags |= HB_RG_F_MANUAL;
		if (g->cfg.preempt && id != 0)
			r->flags |= HB_RG_F_PREEMPT;
		if (g->reset_pending)
			r->flags |= HB_RG_F_RESET;
	}
}
