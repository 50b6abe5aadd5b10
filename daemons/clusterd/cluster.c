/*
 * The clusterd object: the RG engine, the links, the reth table and the monitors, wired
 * together. Everything that happens goes through the same path: an input (packet, timer,
 * link event, monitor report, config, operator request) is handed to the engine, then
 * cl_drain() takes the engine's actions in order and turns them into effects:
 *
 *   RG_ACT_PRIMARY   reths of the group up with their addresses + GARP/NA bursts (reth.c),
 *                    IP monitoring pings from the reth (ipmon.c)
 *   RG_ACT_RELEASE   reths of the group down and silent; IP monitoring from the child link
 *   RG_ACT_STATE     "redundancy-group N: from->to, reason: R" in the log, the "rg.state"
 *                    event to subscribers, sensors
 *   RG_ACT_REJOIN    control link recovered: coldsync starts over
 *
 * then looks at what changed at node level (peer came / went / disabled / changed role ->
 * "cluster.peer"; this node disabled; the LED) and lets coldsync react (which may feed the
 * engine again, so the drain loops, boundedly).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/active.h"
#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/fence.h"
#include "daemons/clusterd/ifmon.h"
#include "daemons/clusterd/ipmon.h"
#include "daemons/clusterd/reth.h"
#include "daemons/clusterd/rg.h"
#include "lib/crypto.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/paths.h"

#define CL_DRAIN_ROUNDS 4 /* coldsync -> engine -> actions -> coldsync settles in two */

static const char *const cl_peer_names[] = {
        [RG_PEER_UNKNOWN] = "unknown",
        [RG_PEER_ALIVE] = "alive",
        [RG_PEER_LOST] = "lost",
};

const char *cl_peer_state_name(uint8_t st)
{
	return st <= RG_PEER_LOST ? cl_peer_names[st] : "?";
}

const char *cl_node_status(const struct clusterd *cl, uint8_t rg, uint8_t node)
{
	const struct rg_engine *e = cl->engine;

	if (node == cl->id.node_id) {
		enum rg_state st = rg_engine_state(e, rg);
		return st < RG_STATE_COUNT ? rg_state_name(st) : "unavailable";
	}
	const struct hb_rg *prg = rg_engine_peer_group(e, rg);
	if (prg)
		return rg_state_name((enum rg_state)prg->state);
	if (e->peer.state == RG_PEER_LOST)
		return "lost";
	if (e->peer.state == RG_PEER_ALIVE && (e->peer.flags & HB_F_DISABLED))
		return "disabled";
	return "unavailable";
}

/* ------------------------------------------------------------ subsystems (K2's modules) */

static void cl_ifmon_report(void *arg, const char *ifname, bool up)
{
	struct clusterd *cl = arg;

	log_info("interface-monitor %s: %s", ifname, up ? "up" : "down");
	rg_engine_if_state(cl->engine, ifname, up, mono_ms());
	cl_drain(cl);
}

static void cl_ipmon_report(void *arg, uint8_t rg, uint32_t addr, enum rg_ip_state st)
{
	struct clusterd *cl = arg;
	struct in_addr a = {.s_addr = addr};

	log_info("redundancy-group %u ip-monitoring %s: %s", rg, inet_ntoa(a),
	         ipmon_state_name(st));
	rg_engine_ip_state(cl->engine, rg, addr, st, mono_ms());
	cl_drain(cl);
}

_Static_assert(sizeof(((struct cl_conf *)0)->active_dest) == ACTIVE_MAX_DEST * sizeof(uint32_t),
               "activeness-probe bounds differ");

static void cl_active_report(void *arg, bool reachable)
{
	struct clusterd *cl = arg;

	rg_engine_activeness(cl->engine, reachable, mono_ms());
	cl_drain(cl);
}

/* This node's child of a reth: the member that exists here, else the first named. */
static void cl_reth_child(struct clusterd *cl, const struct cl_reth_cfg *r, char *out)
{
	struct plat_link pl;

	out[0] = '\0';
	for (unsigned i = 0; i < r->n_members; i++)
		if (cl->pd->link_get(cl, r->members[i], &pl) == 0) {
			memcpy(out, r->members[i], CL_IFNAMSIZ);
			return;
		}
	if (r->n_members)
		memcpy(out, r->members[0], CL_IFNAMSIZ);
}

int cl_subsystems_apply(struct clusterd *cl, char *err, size_t errlen)
{
	const struct cl_conf *c = &cl->conf;
	struct reth_cfg *rc = NULL;
	struct ifmon_cfg *ic = NULL;
	struct ipmon_rg_cfg *pc = NULL;
	size_t n_ic = 0, n_pc = 0;
	int rc_ok = -1;

	if (!cl->enabled)
		return 0;
	rc = calloc(c->n_reths ? c->n_reths : 1, sizeof(*rc));
	ic = calloc(IFMON_MAX, sizeof(*ic));
	pc = calloc(c->n_groups ? c->n_groups : 1, sizeof(*pc));
	if (!rc || !ic || !pc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->n_reths; i++) {
		const struct cl_reth_cfg *r = &c->reths[i];
		memcpy(rc[i].name, r->name, sizeof(rc[i].name));
		rc[i].index = r->index;
		rc[i].rg = r->rg;
		cl_reth_child(cl, r, rc[i].child);
		rc[i].n_addr = r->n_addrs;
		memcpy(rc[i].addr, r->addrs, sizeof(r->addrs[0]) * r->n_addrs);
	}
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct rg_group_cfg *gc = &c->groups[g];
		const struct cl_ipmon_cfg *x = &c->ipmon[g];
		for (unsigned k = 0; k < gc->n_ifmon && n_ic < IFMON_MAX; k++) {
			memcpy(ic[n_ic].name, gc->ifmon[k].name, sizeof(ic[n_ic].name));
			ic[n_ic].weight = gc->ifmon[k].weight;
			ic[n_ic].rg = gc->id;
			n_ic++;
		}
		if (!x->n)
			continue;
		struct ipmon_rg_cfg *p = &pc[n_pc++];
		p->rg = gc->id;
		p->retry_interval_s = x->retry_interval_s;
		p->retry_count = x->retry_count;
		p->n_target = x->n;
		for (unsigned k = 0; k < x->n; k++) {
			p->target[k].addr = x->t[k].addr;
			p->target[k].weight = x->t[k].weight;
			snprintf(p->target[k].iface, sizeof(p->target[k].iface), "%s",
			         x->t[k].interface);
			p->target[k].secondary_ip = x->t[k].secondary;
		}
	}
	if (cl->reths &&
	    reth_table_update(cl->reths, cl->id.cluster_id, rc, c->n_reths, err, errlen) < 0)
		goto out;
	if (cl->ifmon && ifmon_update(cl->ifmon, ic, n_ic) < 0) {
		snprintf(err, errlen, "interface-monitor: invalid set");
		goto out;
	}
	if (cl->ipmon && ipmon_update(cl->ipmon, pc, n_pc, err, errlen) < 0)
		goto out;
	if (cl->active) {
		struct active_cfg ac = {.n = c->n_active,
		                        .interval_ms = c->active_interval_ms,
		                        .retry_count = c->active_retry};
		memcpy(ac.dest, c->active_dest, sizeof(ac.dest));
		if (active_update(cl->active, &ac, err, errlen) < 0)
			goto out;
		/* A re-initialised engine (first groups) starts without a verdict. */
		rg_engine_activeness(cl->engine, active_reachable(cl->active), mono_ms());
	}
	rc_ok = 0;
out:
	free(rc);
	free(ic);
	free(pc);
	return rc_ok;
}

/* ------------------------------------------------------------ platform-independent ops */

static void cl_failover(struct clusterd *cl, const struct rg_action *a)
{
	bool active = a->type == RG_ACT_PRIMARY;
	int rc = 0;

	if (cl->reths)
		rc = reth_table_set_rg(cl->reths, a->rg, active, a->garp_count);
	if (rc < 0)
		log_warnx("redundancy-group %u: reths %s: %s", a->rg,
		          active ? "take-over" : "release", strerror(-rc));
	if (cl->ipmon)
		ipmon_set_role(cl->ipmon, a->rg, active);
}

static void cl_if_msg(struct clusterd *cl, enum plat_ev ev, const struct plat_link *l,
                      unsigned changes)
{
	(void)changes;
	cl_io_link_event(cl, ev, l);
	/* A reth child that appeared or came back: reth.c repairs its macvlans. */
	if (cl->reths && (ev == PLAT_EV_DEL || (changes & PLAT_LINK_CHG_ADDED)))
		reth_table_refresh(cl->reths);
}

const struct cl_pi_ops cl_pi_ops = {
        .config_validate = cl_config_validate,
        .config_change = cl_config_change,
        .failover = cl_failover,
        .if_msg = cl_if_msg,
};

/* ------------------------------------------------------------ the link monitor */

static void cl_mon_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	struct clusterd *cl = arg;

	cl->pi->if_msg(cl, ev, l, changes);
}

static void cl_mon_resync_end(void *arg)
{
	cl_io_verify(arg);
}

static const struct plat_monitor_cbs cl_mon_cbs = {
        .link = cl_mon_link,
        .resync_end = cl_mon_resync_end,
};

/* ------------------------------------------------------------ drain */

static void cl_led_update(struct clusterd *cl)
{
	const struct rg_engine *e = cl->engine;
	enum cl_led led = CL_LED_GREEN;
	const char *why = "No failures";

	if (e->node_disabled) {
		led = CL_LED_RED;
		why = "Node disabled: control link failure";
	} else if (e->peer.state != RG_PEER_ALIVE) {
		led = CL_LED_AMBER;
		why = e->peer.state == RG_PEER_LOST ? "Peer lost" : "Peer not heard yet";
	} else {
		for (unsigned id = 0; id < CL_MAX_RG; id++) {
			const struct rg *g = e->rg[id];
			if (g && (g->mon_fail & ~(uint16_t)CL_MON_RE)) {
				led = CL_LED_AMBER;
				why = "Monitor failure";
				break;
			}
		}
	}
	if (led != cl->led || why != cl->led_reason) {
		cl->led = led;
		cl->led_reason = why;
		cl->pd->led_set(cl, led, why);
	}
}

static bool cl_node_check(struct clusterd *cl)
{
	const struct rg_engine *e = cl->engine;
	uint8_t ps = (uint8_t)e->peer.state;
	bool pdis = ps == RG_PEER_ALIVE && (e->peer.flags & HB_F_DISABLED);
	const struct hb_rg *prg0 = rg_engine_peer_group(e, 0);
	uint8_t p0 = prg0 ? prg0->state : RG_STATE_COUNT;
	bool changed = false;

	if (ps != cl->peer_seen || pdis != cl->peer_disabled || p0 != cl->peer_rg0) {
		const char *what = pdis ? "disabled" : cl_peer_state_name(ps);
		if (ps != cl->peer_seen || pdis != cl->peer_disabled)
			log_info("peer node%u: %s", e->node_id ^ 1u, what);
		cl->peer_seen = ps;
		cl->peer_disabled = pdis;
		cl->peer_rg0 = p0;
		cl_ctl_peer_event(cl, what);
		changed = true;
	}
	if (e->node_disabled != cl->disabled_seen) {
		if (e->node_disabled)
			log_warnx("node%u disabled: control link failure (heartbeats lost, fabric "
			          "probes still arrive)",
			          e->node_id);
		else
			log_info("node%u: control link recovered, rejoining", e->node_id);
		cl->disabled_seen = e->node_disabled;
		changed = true;
	}
	return changed;
}

void cl_drain(struct clusterd *cl)
{
	struct rg_engine *e = cl->engine;
	struct rg_action a;
	bool changed = false;

	if (!cl->enabled || cl->draining)
		return; /* the outer drain takes what a nested input queued */
	cl->draining = true;
	for (int round = 0; round < CL_DRAIN_ROUNDS; round++) {
		while (rg_engine_next_action(e, &a)) {
			switch (a.type) {
			case RG_ACT_STATE:
				log_info("redundancy-group %u: %s->%s, reason: %s", a.rg,
				         rg_state_name((enum rg_state)a.from),
				         rg_state_name((enum rg_state)a.to), a.reason);
				cl_ctl_rg_event(cl, &a);
				changed = true;
				break;
			case RG_ACT_PRIMARY:
			case RG_ACT_RELEASE:
				cl->pi->failover(cl, &a);
				changed = true;
				break;
			case RG_ACT_REJOIN:
				log_info("control link recovered: coldsync starts over");
				cl_cs_reset(&cl->cs);
				cl_cs_save(&cl->cs);
				changed = true;
				break;
			}
		}
		changed |= cl_node_check(cl);
		cl_coldsync_update(cl);
		if (!e->act_n)
			break;
	}
	cl_led_update(cl);
	cl->draining = false;
	if (changed)
		cl_sensors_state(cl);
}

void cl_announce(struct clusterd *cl)
{
	struct rg_engine *e = cl->engine;

	if (!cl->enabled)
		return;
	log_info("cluster state re-announced (SIGWINCH)");
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		const struct rg *g = e->rg[id];
		if (!g)
			continue;
		struct rg_action a = {
		        .type = RG_ACT_STATE,
		        .rg = (uint8_t)id,
		        .from = (uint8_t)g->fsm.state,
		        .to = (uint8_t)g->fsm.state,
		        .time_ms = mono_ms(),
		        .reason = "Cluster state re-announced",
		};
		cl_ctl_rg_event(cl, &a);
		/* Neighbour caches and switch tables learn the active reths again. */
		if (g->fsm.state == RG_STATE_PRIMARY && cl->reths)
			reth_table_announce_rg(cl->reths, (uint8_t)id);
	}
	cl_ctl_peer_event(cl, cl->peer_disabled ? "disabled" : cl_peer_state_name(cl->peer_seen));
	cl_sensors_state(cl);
}

/* ------------------------------------------------------------ start / stop */

static void cl_link_init(struct clusterd *cl, struct cl_link *l, enum cl_link_kind kind,
                         unsigned index)
{
	memset(l, 0, sizeof(*l));
	l->cl = cl;
	l->kind = kind;
	l->index = index;
	l->fd = -1;
}

static void cl_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int cl_start(struct clusterd *cl)
{
	uint64_t sid = 0;
	char path[512], boot_id[40];

	cl_link_init(cl, &cl->ctl[0], CL_LINK_CONTROL, 0);
	cl_link_init(cl, &cl->ctl[1], CL_LINK_CONTROL, 1);
	cl_link_init(cl, &cl->fab, CL_LINK_FABRIC, 0);
	cl->conf.hb_interval_ms = CL_HB_INTERVAL_DEF;
	cl->conf.hb_threshold = CL_HB_THRESH_DEF;
	cl->peer_rg0 = RG_STATE_COUNT;
	cl->engine = calloc(1, sizeof(*cl->engine));
	if (!cl->engine)
		return -1;
	rg_engine_init(cl->engine, cl->id.node_id, mono_ms());
	/* 0 is the echo of "no session": draw until it is not (auth.c). */
	for (int i = 0; i < 8 && sid == 0; i++)
		if (crypto_random_u64(&sid) < 0)
			sid = 0;
	if (sid == 0 || hb_auth_init(&cl->auth, NULL, 0, sid) != HB_OK) {
		log_warnx("cannot draw a heartbeat session id");
		return -1;
	}
	cl_boot_id(boot_id, sizeof(boot_id));
	if (keel_path(path, sizeof(path), KEEL_DIR_RUN, "clusterd.coldsync") < 0)
		return -1;
	cl_cs_init(&cl->cs, path, boot_id);
	if (cl_cs_load(&cl->cs) > 0)
		log_info("coldsync: %zu participants from %s", cl->cs.n, path);
	cl_sensors_start(cl);
	if (!cl->enabled)
		return 0;
	if (cl_relay_start(cl) < 0)
		return -1;

	cl->boot_time_ms = cl_io_boot_time();
	cl->mon = plat_monitor_new(cl->plat, cl->d->base, PLAT_WATCH_LINK, &cl_mon_cbs, cl);
	if (!cl->mon || plat_monitor_start(cl->mon) != 0) {
		log_warnx("cannot start the link monitor: %s", plat_errmsg(cl->plat));
		return -1;
	}
	cl->reths = reth_table_new(cl->plat, cl->d->base);
	if (!cl->reths)
		log_warn("reth table");
	/* kill -9 must not leave an active reth behind (fence.h) */
	int fe = cl_fence_start(cl->id.cluster_id);
	if (fe < 0)
		log_warnx("fence: %s; a killed clusterd would leave its reths up", strerror(-fe));
	cl->ifmon = ifmon_new(cl->plat, cl->d->base, cl_ifmon_report, cl);
	if (!cl->ifmon || ifmon_start(cl->ifmon) != 0)
		log_warn("interface monitoring");
	cl->ipmon = cl->reths ? ipmon_new(cl->d->base, cl->reths, cl_ipmon_report, cl) : NULL;
	if (!cl->ipmon)
		log_warn("IP monitoring");
	cl->active = active_new(cl->d->base, cl_active_report, cl);
	if (!cl->active)
		log_warn("activeness probe");
	cl_drain(cl);
	return 0;
}

void cl_stop(struct clusterd *cl)
{
	cl_relay_stop(cl); /* first: its ctl clients' callbacks still see a whole object */
	if (cl->hb_timer.init) {
		timer_del(&cl->hb_timer);
		timer_del(&cl->detect_timer);
	}
	cl_io_close_all(cl);
	if (cl->ipmon)
		ipmon_free(cl->ipmon);
	active_free(cl->active);
	cl->active = NULL;
	if (cl->ifmon)
		ifmon_free(cl->ifmon);
	/* The macvlans go with the table: a stopped clusterd holds no reth (K2: reth.h). */
	if (cl->reths)
		reth_table_free(cl->reths);
	cl_fence_stop();
	cl->ipmon = NULL;
	cl->ifmon = NULL;
	cl->reths = NULL;
	if (cl->mon)
		plat_monitor_free(cl->mon);
	cl->mon = NULL;
	cl_sensors_stop(cl);
	hb_auth_free(&cl->auth);
	if (cl->engine) {
		rg_engine_free(cl->engine);
		free(cl->engine);
		cl->engine = NULL;
	}
	cl_conf_free(&cl->conf);
}
