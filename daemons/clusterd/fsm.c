/*
 * The redundancy-group state machine (lib/fsm.h): one row per Junos rule.
 *
 * rg.c decides which event applies (election, handshake, timers); this table
 * says where each event leads from each state, and the entry/exit actions in
 * rg_fsm_notify() turn state changes into daemon actions: entering primary
 * takes the reths over and sends GARPs, leaving primary releases them.
 * Reasons are the strings Junos prints in the event history
 * ("hold->secondary, reason: Hold timer expired", KB15421).
 */
#include "daemons/clusterd/rg.h"

#include <stdio.h>

static const char *const rg_state_names[RG_STATE_COUNT] = {
        [RG_STATE_HOLD] = "hold",
        [RG_STATE_SECONDARY] = "secondary",
        [RG_STATE_PRIMARY] = "primary",
        [RG_STATE_SECONDARY_HOLD] = "secondary-hold",
        [RG_STATE_INELIGIBLE] = "ineligible",
        [RG_STATE_DISABLED] = "disabled",
};

static const char *const rg_event_names[RG_EVT_COUNT] = {
        [RG_EVT_HOLD_EXPIRED] = "HOLD_EXPIRED",
        [RG_EVT_PEER_SEEN] = "PEER_SEEN",
        [RG_EVT_PEER_ABSENT] = "PEER_ABSENT",
        [RG_EVT_PEER_LOST] = "PEER_LOST",
        [RG_EVT_PEER_DISABLED] = "PEER_DISABLED",
        [RG_EVT_ELECT_WIN] = "ELECT_WIN",
        [RG_EVT_ELECT_LOSE] = "ELECT_LOSE",
        [RG_EVT_PEER_WEIGHT_ZERO] = "PEER_WEIGHT_ZERO",
        [RG_EVT_WEIGHT_ZERO] = "WEIGHT_ZERO",
        [RG_EVT_WEIGHT_OK] = "WEIGHT_OK",
        [RG_EVT_MANUAL_TO_US] = "MANUAL_TO_US",
        [RG_EVT_MANUAL_TO_PEER] = "MANUAL_TO_PEER",
        [RG_EVT_PREEMPT_DUE] = "PREEMPT_DUE",
        [RG_EVT_PREEMPTED] = "PREEMPTED",
        [RG_EVT_HOLD_DOWN_EXPIRED] = "HOLD_DOWN_EXPIRED",
        [RG_EVT_ACTIVENESS_LOST] = "ACTIVENESS_LOST",
        [RG_EVT_CTL_LINK_FAILED] = "CTL_LINK_FAILED",
        [RG_EVT_DISABLE] = "DISABLE",
        [RG_EVT_CTL_LINK_RECOVERED] = "CTL_LINK_RECOVERED",
};

/* Event-history reasons. Junos wording where KB15421 / the failover docs give it. */
static const char *const rg_event_reasons[RG_EVT_COUNT] = {
        [RG_EVT_HOLD_EXPIRED] = "Hold timer expired",
        [RG_EVT_PEER_SEEN] = "Peer heartbeat received",
        [RG_EVT_PEER_ABSENT] = "Only node present",
        [RG_EVT_PEER_LOST] = "Remote node lost",
        [RG_EVT_PEER_DISABLED] = "Remote node disabled",
        [RG_EVT_ELECT_WIN] = "Better priority",
        [RG_EVT_ELECT_LOSE] = "Dual primary, peer has better priority",
        [RG_EVT_PEER_WEIGHT_ZERO] = "Monitor failure",
        [RG_EVT_WEIGHT_ZERO] = "Monitor failure",
        [RG_EVT_WEIGHT_OK] = "Monitor recovered",
        [RG_EVT_MANUAL_TO_US] = "Manual failover",
        [RG_EVT_MANUAL_TO_PEER] = "Manual failover",
        [RG_EVT_PREEMPT_DUE] = "Preempt",
        [RG_EVT_PREEMPTED] = "Preempt",
        [RG_EVT_HOLD_DOWN_EXPIRED] = "Back to back failover interval expired",
        [RG_EVT_ACTIVENESS_LOST] = "Activeness probe failed",
        [RG_EVT_CTL_LINK_FAILED] = "Control link failure",
        [RG_EVT_DISABLE] = "Control link failure",
        [RG_EVT_CTL_LINK_RECOVERED] = "Control link recovered",
};

/* The group drops to ineligible instead of secondary when its weight is 0. */
static int rg_act_to_secondary(void *obj, int event, void *arg)
{
	const struct rg *g = obj;

	return g->weight == 0 ? RG_STATE_INELIGIBLE : FSM_KEEP;
}

/* Preemptive failovers are counted on both nodes for preempt limit/period. */
static int rg_act_preempt(void *obj, int event, void *arg)
{
	struct rg *g = obj;

	rg_preempt_note(g, g->e->now_ms);
	return FSM_KEEP;
}

#define S(x) RG_STATE_##x
#define E(x) RG_EVT_##x

static const struct fsm_row rg_rows[] = {
        /* Boot (notes §2): every group starts in hold. */
        {S(HOLD), E(PEER_SEEN), rg_act_to_secondary, S(SECONDARY)},
        {S(HOLD), E(HOLD_EXPIRED), rg_act_to_secondary, S(SECONDARY)},
        /* Alone after hold: the only node present becomes primary. */
        {S(SECONDARY), E(PEER_ABSENT), NULL, S(PRIMARY)},
        {S(INELIGIBLE), E(PEER_ABSENT), NULL, S(PRIMARY)},
        /* Peer lost (control and fabric silent): the survivor takes over, also from
         * secondary-hold ("From secondary-hold: peer reboots -> primary", notes §2). */
        {S(SECONDARY), E(PEER_LOST), NULL, S(PRIMARY)},
        {S(SECONDARY_HOLD), E(PEER_LOST), NULL, S(PRIMARY)},
        {S(INELIGIBLE), E(PEER_LOST), NULL, S(PRIMARY)},
        /* Control-link failure on the peer: the RG0-primary node takes every RG (notes §3). */
        {S(SECONDARY), E(PEER_DISABLED), NULL, S(PRIMARY)},
        {S(SECONDARY_HOLD), E(PEER_DISABLED), NULL, S(PRIMARY)},
        {S(INELIGIBLE), E(PEER_DISABLED), NULL, S(PRIMARY)},
        /* Election with no running primary: priority, then node id (notes §1). */
        {S(SECONDARY), E(ELECT_WIN), NULL, S(PRIMARY)},
        /* Both weights 0: the lower node id is primary (notes §5). */
        {S(INELIGIBLE), E(ELECT_WIN), NULL, S(PRIMARY)},
        /* Two primaries met (a healed partition): the election loser steps down at once. */
        {S(PRIMARY), E(ELECT_LOSE), NULL, S(SECONDARY)},
        /* Weights (notes §5): 0 on the primary fails over, dampened by hold-down. */
        {S(PRIMARY), E(WEIGHT_ZERO), NULL, S(SECONDARY_HOLD)},
        {S(SECONDARY), E(WEIGHT_ZERO), NULL, S(INELIGIBLE)},
        {S(INELIGIBLE), E(WEIGHT_OK), NULL, S(SECONDARY)},
        {S(SECONDARY), E(PEER_WEIGHT_ZERO), NULL, S(PRIMARY)},
        /* Manual failover (notes §6): overrides priority and preempt. */
        {S(SECONDARY), E(MANUAL_TO_US), NULL, S(PRIMARY)},
        {S(PRIMARY), E(MANUAL_TO_PEER), NULL, S(SECONDARY_HOLD)},
        /* Preempt (notes §6, never RG0): after `delay`, within limit/period. */
        {S(SECONDARY), E(PREEMPT_DUE), rg_act_preempt, S(PRIMARY)},
        {S(PRIMARY), E(PREEMPTED), rg_act_preempt, S(SECONDARY_HOLD)},
        /* Hold-down (notes §2, §6): the old primary waits in secondary-hold. */
        {S(SECONDARY_HOLD), E(HOLD_DOWN_EXPIRED), rg_act_to_secondary, S(SECONDARY)},
        /* Peer lost and the activeness probe target unreachable: at most one primary on a cut. */
        {S(PRIMARY), E(ACTIVENESS_LOST), NULL, S(SECONDARY)},
        /* Control-link failure on the secondary node: ineligible, then disabled (notes §3). */
        {S(HOLD), E(CTL_LINK_FAILED), NULL, S(INELIGIBLE)},
        {S(SECONDARY), E(CTL_LINK_FAILED), NULL, S(INELIGIBLE)},
        {S(PRIMARY), E(CTL_LINK_FAILED), NULL, S(INELIGIBLE)},
        {S(SECONDARY_HOLD), E(CTL_LINK_FAILED), NULL, S(INELIGIBLE)},
        {S(INELIGIBLE), E(DISABLE), NULL, S(DISABLED)},
        /* control-link-recovery: 3 good heartbeats bring the disabled node back. */
        {S(DISABLED), E(CTL_LINK_RECOVERED), NULL, S(SECONDARY)},
};

#undef S
#undef E

static void rg_fsm_label(const void *obj, char *buf, size_t len)
{
	const struct rg *g = obj;

	snprintf(buf, len, "rg%u", g->cfg.id);
}

static const struct fsm_def rg_def = {
        .name = "rg",
        .rows = rg_rows,
        .n_rows = FSM_NROWS(rg_rows),
        .state_names = rg_state_names,
        .n_states = RG_STATE_COUNT,
        .event_names = rg_event_names,
        .n_events = RG_EVT_COUNT,
        .debug_bit = RG_DEBUG_FSM,
        .label = rg_fsm_label,
};

const struct fsm_def *rg_fsm_def(void)
{
	return &rg_def;
}

const char *rg_state_name(enum rg_state s)
{
	return fsm_state_name(&rg_def, (int)s);
}

const char *rg_event_name(enum rg_event ev)
{
	return fsm_event_name(&rg_def, (int)ev);
}

const char *rg_event_reason(enum rg_event ev)
{
	if ((unsigned)ev >= RG_EVT_COUNT)
		return "?";
	return rg_event_reasons[ev];
}

static void rg_history_add(struct rg *g, uint8_t from, uint8_t to, uint8_t event)
{
	struct rg_history_ent *h = &g->hist[(g->hist_head + g->hist_n) % RG_HISTORY_LEN];

	if (g->hist_n == RG_HISTORY_LEN) {
		h = &g->hist[g->hist_head];
		g->hist_head = (g->hist_head + 1) % RG_HISTORY_LEN;
	} else {
		g->hist_n++;
	}
	h->time_ms = g->e->now_ms;
	h->from = from;
	h->to = to;
	h->event = event;
	h->reason = rg_event_reason(event);
}

/* Entry and exit actions, run after every state change. */
static void rg_fsm_notify(void *obj, int from, int to, int event, void *cb_arg)
{
	struct rg *g = obj;
	struct rg_engine *e = g->e;

	rg_history_add(g, (uint8_t)from, (uint8_t)to, (uint8_t)event);
	g->last_change_ms = e->now_ms;
	g->last_reason = rg_event_reason(event);
	rg_push_action(e, RG_ACT_STATE, g, (uint8_t)from, (uint8_t)to, (uint8_t)event);

	if (from == RG_STATE_PRIMARY)
		rg_push_action(e, RG_ACT_RELEASE, g, (uint8_t)from, (uint8_t)to, (uint8_t)event);
	if (to == RG_STATE_PRIMARY) {
		rg_push_action(e, RG_ACT_PRIMARY, g, (uint8_t)from, (uint8_t)to, (uint8_t)event);
		g->failover_count++;
		g->preempt_since = 0;
		/*
		 * After a failover from the peer, the new primary does not give the
		 * group away again before hold-down expires (back-to-back dampening,
		 * chassis-edit-hold-down-interval.html); a first election is no failover.
		 */
		if (g->peer_was_primary)
			g->hold_down_until = e->now_ms + rg_hold_down_ms(g);
		g->peer_was_primary = false;
	}
	if (to == RG_STATE_SECONDARY_HOLD)
		g->hold_down_until = e->now_ms + rg_hold_down_ms(g);
}

void rg_fsm_init(struct rg *g)
{
	fsm_inst_init(&rg_def, &g->fsm, RG_STATE_HOLD, g->pair_counts);
	fsm_set_notify(&g->fsm, rg_fsm_notify, NULL);
}

int rg_fsm(struct rg *g, enum rg_event ev)
{
	return fsm_dispatch(&rg_def, &g->fsm, (int)ev, g, NULL);
}
