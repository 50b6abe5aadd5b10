/*
 * clusterd's control socket: every method of lib/proto/clusterd.proto, filled from the RG
 * engine, the link statistics, the reth table and the monitors, and the "rg.state",
 * "cluster.peer" and "coldsync.start" events. The CLI renders the Junos text from these
 * messages (daemons/cli/op_cluster.c); nothing here formats for a terminal.
 *
 * Replies are built in a per-request arena (every allocation is released in one go after the
 * reply is packed), so a handler has one exit path.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/ifmon.h"
#include "daemons/clusterd/ipmon.h"
#include "daemons/clusterd/reth.h"
#include "daemons/clusterd/rg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/proto/clusterd.pb-c.h"

/* ------------------------------------------------------------ arena */

struct cl_arena {
	void **p;
	size_t n, cap;
	bool failed;
};

static void *cl_alloc(struct cl_arena *a, size_t size)
{
	void *m;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void **np = reallocarray(a->p, cap, sizeof(*np));
		if (!np) {
			a->failed = true;
			return NULL;
		}
		a->p = np;
		a->cap = cap;
	}
	m = calloc(1, size ? size : 1);
	if (!m) {
		a->failed = true;
		return NULL;
	}
	a->p[a->n++] = m;
	return m;
}

static char *cl_strf(struct cl_arena *a, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static char *cl_strf(struct cl_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = cl_alloc(a, (size_t)n + 1)))
		return (char *)"";
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void cl_arena_free(struct cl_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
	memset(a, 0, sizeof(*a));
}

#define CL_NEW(a, type, init)                                                                      \
	({                                                                                         \
		type *_m = cl_alloc((a), sizeof(type));                                            \
		if (_m)                                                                            \
			init(_m);                                                                  \
		_m;                                                                                \
	})

static struct clusterd *cl_of(void *arg)
{
	return ((struct daemon *)arg)->priv;
}

static const char *cl_updown(bool up)
{
	return up ? "Up" : "Down";
}

/* Answers with one message, or an error when the arena ran out of memory. */
static void cl_answer(struct ctl_req *req, struct cl_arena *a, const ProtobufCMessage *m)
{
	if (a->failed || !m)
		ctl_error(req, CTL_ERR_FAILED, "%s: out of memory", req->method);
	else if (ctl_reply(req, m) < 0)
		ctl_error(req, CTL_ERR_FAILED, "%s: reply too large", req->method);
	else
		ctl_end(req);
	cl_arena_free(a);
}

/* ShowCluster.redundancy_group: -1 all (proto3: an empty request is group 0). */
static int cl_req_rg(struct ctl_req *req, int32_t *rg)
{
	Keel__Clusterd__ShowCluster *q;

	*rg = 0;
	if (!req->payload_len)
		return 0;
	q = keel__clusterd__show_cluster__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "%s: bad request", req->method);
		return -1;
	}
	*rg = q->redundancy_group;
	keel__clusterd__show_cluster__free_unpacked(q, NULL);
	if (*rg < -1 || *rg >= CL_MAX_RG) {
		ctl_error(req, CTL_ERR_INVALID, "redundancy-group %d: range 0..%d", *rg,
		          CL_MAX_RG - 1);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ show.status */

static Keel__Clusterd__RgNode *cl_rg_node(struct cl_arena *a, const struct clusterd *cl,
                                          const struct rg *g, uint8_t node)
{
	const struct rg_engine *e = cl->engine;
	Keel__Clusterd__RgNode *n =
	        CL_NEW(a, Keel__Clusterd__RgNode, keel__clusterd__rg_node__init);
	char codes[48];
	uint8_t id = g->cfg.id;

	if (!n)
		return NULL;
	n->node_id = node;
	n->status = (char *)cl_node_status(cl, id, node);
	if (node == e->node_id) {
		n->priority = g->cfg.priority[node];
		n->preempt = g->cfg.preempt && id != 0;
		n->manual = g->manual_node == node;
		n->monitor_failures =
		        cl_strf(a, "%s", cl_mon_codes(g->mon_fail, codes, sizeof(codes)));
		n->weight = g->weight;
		return n;
	}
	const struct hb_rg *p = rg_engine_peer_group(e, id);
	if (p) {
		n->priority = p->priority;
		n->preempt = (p->flags & HB_RG_F_PREEMPT) != 0;
		n->manual = (p->flags & HB_RG_F_MANUAL) != 0;
		n->monitor_failures =
		        cl_strf(a, "%s", cl_mon_codes(p->mon_fail, codes, sizeof(codes)));
		n->weight = p->weight;
	} else {
		/* Nothing heard: the configured values (both nodes share the config). */
		n->priority = g->cfg.priority[node];
		n->preempt = g->cfg.preempt && id != 0;
		n->monitor_failures = (char *)"None";
	}
	return n;
}

static void cl_show_status(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	struct cl_arena a = {0};
	Keel__Clusterd__ClusterStatus *st;
	int32_t only;

	if (cl_req_rg(req, &only) < 0)
		return;
	st = CL_NEW(&a, Keel__Clusterd__ClusterStatus, keel__clusterd__cluster_status__init);
	if (!st || !cl->enabled) {
		/* cluster_id 0: the CLI says "Chassis cluster is not enabled." */
		cl_answer(req, &a, st ? &st->base : NULL);
		return;
	}
	const struct rg_engine *e = cl->engine;
	st->cluster_id = cl->id.cluster_id;
	st->node_id = cl->id.node_id;
	enum rg_state s0 = rg_engine_state(e, 0);
	st->rg0_role = (char *)(s0 < RG_STATE_COUNT ? rg_state_name(s0) : "");
	st->groups = cl_alloc(&a, CL_MAX_RG * sizeof(*st->groups));
	for (unsigned id = 0; st->groups && id < CL_MAX_RG; id++) {
		const struct rg *g = rg_engine_group(e, (uint8_t)id);
		if (!g || (only >= 0 && (unsigned)only != id))
			continue;
		Keel__Clusterd__RedundancyGroup *r = CL_NEW(&a, Keel__Clusterd__RedundancyGroup,
		                                            keel__clusterd__redundancy_group__init);
		Keel__Clusterd__RgNode **nodes = cl_alloc(&a, CL_NODES * sizeof(*nodes));
		if (!r || !nodes)
			break;
		r->id = id;
		r->failover_count = g->failover_count;
		r->threshold = g->weight;
		for (uint8_t n = 0; n < CL_NODES; n++)
			nodes[n] = cl_rg_node(&a, cl, g, n);
		r->nodes = nodes;
		r->n_nodes = CL_NODES;
		st->groups[st->n_groups++] = r;
	}
	cl_answer(req, &a, &st->base);
}

/* ------------------------------------------------------------ show.statistics */

static Keel__Clusterd__LinkStats *cl_link_stats(struct cl_arena *a, const struct clusterd *cl,
                                                const struct cl_link *l)
{
	Keel__Clusterd__LinkStats *s =
	        CL_NEW(a, Keel__Clusterd__LinkStats, keel__clusterd__link_stats__init);

	if (!s)
		return NULL;
	s->index = l->index;
	s->interface = cl_strf(a, "%s", l->ifname);
	s->up = l->kind == CL_LINK_CONTROL ? rg_engine_ctl_link_up(cl->engine, l->index)
	                                   : rg_engine_fabric_up(cl->engine);
	s->sent = l->st.sent;
	s->received = l->st.received;
	s->errors = l->st.errors;
	s->duplicates = l->st.duplicates;
	s->last_seq_sent = l->st.last_seq_sent;
	s->last_seq_received = l->st.last_seq_received;
	s->slips = l->st.slips;
	s->auth_failures = l->st.auth_failures;
	s->replays = l->st.replays;
	return s;
}

/* Control links and the fabric child; a control link that is not configured is left out. */
static void cl_fill_links(struct cl_arena *a, const struct clusterd *cl,
                          Keel__Clusterd__LinkStats ***ctl, size_t *n_ctl,
                          Keel__Clusterd__LinkStats ***fab, size_t *n_fab)
{
	*ctl = cl_alloc(a, 2 * sizeof(**ctl));
	*fab = cl_alloc(a, sizeof(**fab));
	*n_ctl = *n_fab = 0;
	if (!*ctl || !*fab)
		return;
	for (unsigned i = 0; i < 2; i++)
		if (cl->ctl[i].ifname[0])
			(*ctl)[(*n_ctl)++] = cl_link_stats(a, cl, &cl->ctl[i]);
	if (cl->fab.ifname[0])
		(*fab)[(*n_fab)++] = cl_link_stats(a, cl, &cl->fab);
}

static void cl_show_statistics(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	struct cl_arena a = {0};
	Keel__Clusterd__ClusterStatistics *st = CL_NEW(&a, Keel__Clusterd__ClusterStatistics,
	                                               keel__clusterd__cluster_statistics__init);

	if (st && cl->enabled) {
		cl_fill_links(&a, cl, &st->control, &st->n_control, &st->fabric, &st->n_fabric);
		/* keel hands every authentic probe to the engine, whatever the control links do. */
		st->probes_dropped_ctl_down = cl->probes_dropped_ctl_down;
		/* "Services Synchronized": the coldsync participants; a bulk participant counts
		 * the transfers the TLS channel carried (relay.c), the others 0. */
		st->services = cl_alloc(&a, (cl->cs.n ? cl->cs.n : 1) * sizeof(*st->services));
		for (size_t i = 0; st->services && i < cl->cs.n; i++) {
			Keel__Clusterd__SyncService *s = CL_NEW(&a, Keel__Clusterd__SyncService,
			                                        keel__clusterd__sync_service__init);
			if (!s)
				break;
			s->name = cl_strf(&a, "%s", cl->cs.p[i].name);
			s->sent = cl->cs.p[i].sent;
			s->received = cl->cs.p[i].received;
			st->services[st->n_services++] = s;
		}
	}
	cl_answer(req, &a, st ? &st->base : NULL);
}

/* ------------------------------------------------------------ show.interfaces */

static void cl_show_interfaces(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	struct cl_arena a = {0};
	Keel__Clusterd__ClusterInterfaces *ci = CL_NEW(&a, Keel__Clusterd__ClusterInterfaces,
	                                               keel__clusterd__cluster_interfaces__init);
	const struct rg_engine *e = cl->engine;

	if (!ci || !cl->enabled) {
		cl_answer(req, &a, ci ? &ci->base : NULL);
		return;
	}
	const char *sec = cl->conf.keylen ? "Enabled" : "Disabled";
	/* Internal-SA: the TLS channel to the peer is up and keyed from the authentication-key. */
	const char *isa = cl->conf.keylen && cl_relay_up(cl) ? "Enabled" : "Disabled";
	ci->control_status =
	        (char *)cl_updown(rg_engine_ctl_link_up(e, 0) || rg_engine_ctl_link_up(e, 1));
	ci->control = cl_alloc(&a, 2 * sizeof(*ci->control));
	for (unsigned i = 0; ci->control && i < 2; i++) {
		if (!cl->conf.ctl_cfg[i])
			continue;
		Keel__Clusterd__ControlIf *c =
		        CL_NEW(&a, Keel__Clusterd__ControlIf, keel__clusterd__control_if__init);
		if (!c)
			break;
		c->index = i;
		c->interface = cl_strf(&a, "%s", cl->conf.ctl_if[i]);
		c->status = (char *)cl_updown(rg_engine_ctl_link_up(e, i));
		c->security = (char *)sec;
		c->internal_sa = (char *)isa;
		ci->control[ci->n_control++] = c;
	}
	ci->fabric_status = (char *)cl_updown(rg_engine_fabric_up(e));
	ci->fabric = cl_alloc(&a, CL_NODES * CL_MAX_FAB_MEMBERS * sizeof(*ci->fabric));
	for (uint8_t node = 0; ci->fabric && node < CL_NODES; node++) {
		for (unsigned k = 0; k < cl->conf.n_fab[node]; k++) {
			Keel__Clusterd__FabricIf *f = CL_NEW(&a, Keel__Clusterd__FabricIf,
			                                     keel__clusterd__fabric_if__init);
			if (!f)
				break;
			bool local = node == cl->id.node_id;
			bool ours = local && strcmp(cl->fab.ifname, cl->conf.fab[node][k]) == 0;
			f->name = cl_strf(&a, "fab%u", node);
			f->child = cl_strf(&a, "%s", cl->conf.fab[node][k]);
			/* The peer's side as its probes and its "hears us" flag tell it. */
			bool phys = local ? ours && cl->fab.fd >= 0 && cl->fab.phys_up
			                  : e->peer.state == RG_PEER_ALIVE &&
			                            (e->peer.flags & HB_F_FAB_UP);
			f->physical = (char *)cl_updown(phys);
			f->monitored = (char *)cl_updown(phys && rg_engine_fabric_up(e));
			f->security = (char *)sec;
			ci->fabric[ci->n_fabric++] = f;
		}
	}
	size_t nr = cl->conf.n_reths;
	ci->reths = cl_alloc(&a, (nr ? nr : 1) * sizeof(*ci->reths));
	struct reth_status *rs = cl_alloc(&a, RETH_MAX * sizeof(*rs));
	size_t n_rs = cl->reths && rs ? reth_table_status(cl->reths, rs, RETH_MAX) : 0;
	for (size_t i = 0; ci->reths && i < nr; i++) {
		const struct cl_reth_cfg *r = &cl->conf.reths[i];
		Keel__Clusterd__RethIf *ri =
		        CL_NEW(&a, Keel__Clusterd__RethIf, keel__clusterd__reth_if__init);
		uint8_t mac[6];
		bool up = false;
		if (!ri)
			break;
		for (size_t k = 0; k < n_rs; k++)
			if (strcmp(rs[k].name, r->name) == 0)
				up = rs[k].up && rs[k].active;
		reth_vmac(cl->id.cluster_id, r->index, mac);
		ri->name = cl_strf(&a, "%s", r->name);
		ri->status = (char *)cl_updown(up);
		ri->redundancy_group = r->rg ? cl_strf(&a, "%u", r->rg) : (char *)"Not configured";
		ri->mac = cl_strf(&a, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		                  mac[3], mac[4], mac[5]);
		ci->reths[ci->n_reths++] = ri;
	}
	struct ifmon_status *ms = cl_alloc(&a, IFMON_MAX * sizeof(*ms));
	size_t n_ms = cl->ifmon && ms ? ifmon_status(cl->ifmon, ms, IFMON_MAX) : 0;
	ci->monitored = cl_alloc(&a, (n_ms ? n_ms : 1) * sizeof(*ci->monitored));
	for (size_t i = 0; ci->monitored && i < n_ms && i < IFMON_MAX; i++) {
		Keel__Clusterd__MonitoredIf *m =
		        CL_NEW(&a, Keel__Clusterd__MonitoredIf, keel__clusterd__monitored_if__init);
		if (!m)
			break;
		m->interface = cl_strf(&a, "%s", ms[i].name);
		m->weight = ms[i].weight;
		m->physical = (char *)cl_updown(ms[i].phys_up);
		m->monitored = (char *)cl_updown(ms[i].mon_up);
		m->redundancy_group = ms[i].rg;
		ci->monitored[ci->n_monitored++] = m;
	}
	cl_answer(req, &a, &ci->base);
}

/* ------------------------------------------------------------ show.information */

static const char *const cl_led_names[] = {
        [CL_LED_OFF] = "Off",
        [CL_LED_GREEN] = "Green",
        [CL_LED_AMBER] = "Amber",
        [CL_LED_RED] = "Red",
};

static void cl_show_information(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	struct cl_arena a = {0};
	Keel__Clusterd__ClusterInformation *in = CL_NEW(&a, Keel__Clusterd__ClusterInformation,
	                                                keel__clusterd__cluster_information__init);
	const struct rg_engine *e = cl->engine;
	int32_t only;

	if (cl_req_rg(req, &only) < 0) {
		cl_arena_free(&a);
		return;
	}
	if (!in || !cl->enabled) {
		cl_answer(req, &a, in ? &in->base : NULL);
		return;
	}
	in->cluster_id = cl->id.cluster_id;
	in->node_id = cl->id.node_id;
	cl_fill_links(&a, cl, &in->control, &in->n_control, &in->fabric, &in->n_fabric);
	in->coldsync = (char *)cl_coldsync_name(cl->cs.state);
	in->coldsync_weight = cl_cs_weight(&cl->cs);
	in->participants = cl_alloc(&a, (cl->cs.n ? cl->cs.n : 1) * sizeof(*in->participants));
	for (size_t i = 0; in->participants && i < cl->cs.n; i++) {
		Keel__Clusterd__ColdsyncParticipant *p =
		        CL_NEW(&a, Keel__Clusterd__ColdsyncParticipant,
		               keel__clusterd__coldsync_participant__init);
		if (!p)
			break;
		p->name = cl_strf(&a, "%s", cl->cs.p[i].name);
		p->state = (char *)cl_part_state_name(cl->cs.p[i].state);
		in->participants[in->n_participants++] = p;
	}
	struct cl_relay_info rinfo;
	Keel__Clusterd__SyncChannel *sc =
	        CL_NEW(&a, Keel__Clusterd__SyncChannel, keel__clusterd__sync_channel__init);
	cl_relay_get_info(cl, &rinfo);
	if (sc) {
		sc->state = (char *)rinfo.state;
		sc->role = (char *)rinfo.role;
		sc->cipher = cl_strf(&a, "%s", rinfo.cipher);
		sc->local = cl_strf(&a, "%s", rinfo.local);
		sc->peer = cl_strf(&a, "%s", rinfo.peer);
		sc->established = rinfo.established;
		sc->handshake_failures = rinfo.handshake_failures;
		sc->protocol_errors = rinfo.protocol_errors;
		sc->connect_failures = rinfo.connect_failures;
		sc->frames_sent = rinfo.frames_sent;
		sc->frames_received = rinfo.frames_received;
		sc->bytes_sent = rinfo.bytes_sent;
		sc->bytes_received = rinfo.bytes_received;
		sc->keyed = rinfo.keyed;
		in->sync = sc;
	}
	in->peer = (char *)cl_peer_state_name((uint8_t)e->peer.state);
	in->peer_boot_time_ms = cl->peer_boot_ms;
	in->control_recovery_packets = e->node_disabled ? e->peer.good_hb : 0;
	in->led_color = (char *)cl_led_names[cl->led];
	in->led_reason = (char *)(cl->led_reason ? cl->led_reason : "");
	/* History times are the engine's monotonic ms; shown as wall clock. */
	int64_t mono_to_wall = (int64_t)wall_ms() - (int64_t)mono_ms();
	in->groups = cl_alloc(&a, CL_MAX_RG * sizeof(*in->groups));
	struct rg_history_ent *h = cl_alloc(&a, RG_HISTORY_LEN * sizeof(*h));
	for (unsigned id = 0; in->groups && h && id < CL_MAX_RG; id++) {
		const struct rg *g = rg_engine_group(e, (uint8_t)id);
		char codes[48];
		if (!g || (only >= 0 && (unsigned)only != id))
			continue;
		Keel__Clusterd__RgInformation *ri = CL_NEW(&a, Keel__Clusterd__RgInformation,
		                                           keel__clusterd__rg_information__init);
		if (!ri)
			break;
		ri->id = id;
		ri->threshold = g->weight;
		ri->monitoring_failures =
		        cl_strf(&a, "%s", cl_mon_codes(g->mon_fail, codes, sizeof(codes)));
		size_t nh = rg_history(g, h, RG_HISTORY_LEN);
		ri->history = cl_alloc(&a, (nh ? nh : 1) * sizeof(*ri->history));
		for (size_t k = 0; ri->history && k < nh; k++) {
			Keel__Clusterd__RgHistory *x = CL_NEW(&a, Keel__Clusterd__RgHistory,
			                                      keel__clusterd__rg_history__init);
			if (!x)
				break;
			x->time_ms = (uint64_t)((int64_t)h[k].time_ms + mono_to_wall);
			x->from = (char *)rg_state_name((enum rg_state)h[k].from);
			x->to = (char *)rg_state_name((enum rg_state)h[k].to);
			x->reason = (char *)(h[k].reason ? h[k].reason : "");
			ri->history[ri->n_history++] = x;
		}
		in->groups[in->n_groups++] = ri;
	}
	cl_answer(req, &a, &in->base);
}

/* ------------------------------------------------------------ show.ip-monitoring */

static void cl_show_ipmon(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	struct cl_arena a = {0};
	Keel__Clusterd__IpMonitoring *im =
	        CL_NEW(&a, Keel__Clusterd__IpMonitoring, keel__clusterd__ip_monitoring__init);
	int32_t only;

	if (cl_req_rg(req, &only) < 0) {
		cl_arena_free(&a);
		return;
	}
	if (!im || !cl->enabled) {
		cl_answer(req, &a, im ? &im->base : NULL);
		return;
	}
	im->node_id = cl->id.node_id;
	size_t max = CL_MAX_RG * CL_MAX_IPMON;
	struct ipmon_status *rows = cl_alloc(&a, max * sizeof(*rows));
	size_t n = cl->ipmon && rows ? ipmon_status(cl->ipmon, rows, max) : 0;
	if (n > max)
		n = max;
	im->targets = cl_alloc(&a, (n ? n : 1) * sizeof(*im->targets));
	for (size_t i = 0; im->targets && i < n; i++) {
		if (only >= 0 && rows[i].rg != (unsigned)only)
			continue;
		Keel__Clusterd__IpTarget *t =
		        CL_NEW(&a, Keel__Clusterd__IpTarget, keel__clusterd__ip_target__init);
		struct in_addr ad = {.s_addr = rows[i].addr};
		char abuf[INET_ADDRSTRLEN];
		if (!t)
			break;
		t->redundancy_group = rows[i].rg;
		t->address = cl_strf(&a, "%s", inet_ntop(AF_INET, &ad, abuf, sizeof(abuf)));
		t->status = cl_strf(&a, "%s",
		                    rows[i].state == RG_IP_REACHABLE     ? "reachable"
		                    : rows[i].state == RG_IP_UNREACHABLE ? "unreachable"
		                                                         : "unknown");
		t->weight = rows[i].weight;
		t->interface = cl_strf(&a, "%s", rows[i].iface);
		t->failures = rows[i].fails;
		t->reason = (char *)(rows[i].state == RG_IP_UNREACHABLE ? "No reply" : "n/a");
		im->targets[im->n_targets++] = t;
	}
	im->groups =
	        cl_alloc(&a, (cl->conf.n_groups ? cl->conf.n_groups : 1) * sizeof(*im->groups));
	for (size_t g = 0; im->groups && g < cl->conf.n_groups; g++) {
		const struct rg_group_cfg *gc = &cl->conf.groups[g];
		if (!gc->n_ipmon || (only >= 0 && gc->id != (unsigned)only))
			continue;
		const struct rg *rg = rg_engine_group(cl->engine, gc->id);
		Keel__Clusterd__IpMonitoringGroup *x =
		        CL_NEW(&a, Keel__Clusterd__IpMonitoringGroup,
		               keel__clusterd__ip_monitoring_group__init);
		int32_t cur = gc->ip_global_threshold;
		if (!x)
			break;
		for (unsigned k = 0; rg && k < rg->cfg.n_ipmon; k++)
			if (rg->ip_state[k] == RG_IP_UNREACHABLE)
				cur -= rg->cfg.ipmon[k].weight;
		x->redundancy_group = gc->id;
		x->global_threshold = gc->ip_global_threshold;
		x->current_threshold = cur;
		x->global_weight = gc->ip_global_weight;
		im->groups[im->n_groups++] = x;
	}
	cl_answer(req, &a, &im->base);
}

/* ------------------------------------------------------------ requests */

static void cl_request_failover(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	Keel__Clusterd__Failover *q;
	Keel__Clusterd__FailoverReply rep = KEEL__CLUSTERD__FAILOVER_REPLY__INIT;
	char err[256] = "", msg[160];
	int rc;

	if (!cl->enabled) {
		ctl_error(req, CTL_ERR_FAILED, "Chassis cluster is not enabled.");
		return;
	}
	q = keel__clusterd__failover__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "request.failover: bad request");
		return;
	}
	if (q->redundancy_group >= CL_MAX_RG || q->node >= CL_NODES) {
		ctl_error(req, CTL_ERR_INVALID, "redundancy-group 0..%d, node 0..1", CL_MAX_RG - 1);
		keel__clusterd__failover__free_unpacked(q, NULL);
		return;
	}
	uint8_t rg = (uint8_t)q->redundancy_group, node = (uint8_t)q->node;
	bool reset = q->reset;
	keel__clusterd__failover__free_unpacked(q, NULL);
	if (reset) {
		rc = rg_engine_failover_reset(cl->engine, rg, mono_ms(), err, sizeof(err));
		snprintf(msg, sizeof(msg),
		         "Successfully reset manual failover for redundancy group %u", rg);
	} else {
		rc = rg_engine_manual_failover(cl->engine, rg, node, mono_ms(), err, sizeof(err));
		snprintf(msg, sizeof(msg), "Initiated manual failover for redundancy group %u", rg);
	}
	if (rc < 0) {
		log_info("request chassis cluster failover%s redundancy-group %u: refused: %s",
		         reset ? " reset" : "", rg, err);
		ctl_error(req, CTL_ERR_FAILED, "%s", err);
		cl_drain(cl);
		return;
	}
	log_info("request chassis cluster failover%s redundancy-group %u%s: %s",
	         reset ? " reset" : "", rg, reset ? "" : (node ? " node 1" : " node 0"), msg);
	cl_drain(cl);
	rep.message = msg;
	ctl_reply(req, &rep.base);
	ctl_end(req);
}

static void cl_clear_statistics(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);

	cl_io_clear_stats(cl);
	log_info("cluster statistics cleared");
	ctl_end(req);
}

static void cl_identity_set(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	Keel__Clusterd__Identity *q;
	Keel__Clusterd__IdentityReply rep = KEEL__CLUSTERD__IDENTITY_REPLY__INIT;
	struct chassis_id id;
	char why[256] = "", msg[200];

	q = keel__clusterd__identity__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "identity.set: bad request");
		return;
	}
	uint32_t cid = q->cluster_id, nid = q->node_id;
	keel__clusterd__identity__free_unpacked(q, NULL);
	if (cid > 255 || nid > 1 || (cid == 0 && nid != 0)) {
		ctl_error(req, CTL_ERR_INVALID,
		          "cluster-id 0..255 and node 0..1 (cluster-id 0 disables clustering and "
		          "takes node 0)");
		return;
	}
	/* Keep the serial number and base MAC; a corrupt record is replaced. */
	if (cl->pd->eeprom_read(&id, why, sizeof(why)) < 0)
		memset(&id, 0, sizeof(id));
	id.cluster_id = (uint8_t)cid;
	id.node_id = (uint8_t)nid;
	if (cl->pd->eeprom_write(&id, why, sizeof(why)) < 0) {
		ctl_error(req, CTL_ERR_FAILED, "cannot write the chassis EEPROM: %s", why);
		return;
	}
	/* Junos needs a reboot; keel reads the identity when clusterd (and mgd) start. */
	if (cid)
		snprintf(msg, sizeof(msg),
		         "Successfully set cluster-id %u node %u; restart clusterd and mgd (or the "
		         "node) for it to take effect",
		         cid, nid);
	else
		snprintf(
		        msg, sizeof(msg),
		        "Clustering disabled (cluster-id 0); restart clusterd and mgd (or the node) "
		        "for it to take effect");
	log_info("chassis EEPROM: %s", msg);
	rep.message = msg;
	ctl_reply(req, &rep.base);
	ctl_end(req);
}

static void cl_coldsync_register(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	Keel__Clusterd__ColdsyncRegister *q;
	char err[128];

	q = keel__clusterd__coldsync_register__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "coldsync.register: bad request");
		return;
	}
	if (cl_cs_register(&cl->cs, q->participant, err, sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
	} else {
		log_info("coldsync: participant %s registered%s", q->participant,
		         q->bulk ? " (bulk: clusterd relays its data)" : "");
		if (q->bulk) {
			cl_cs_find(&cl->cs, q->participant)->bulk = true;
			cl_relay_participant(cl, q->participant);
		}
		cl_cs_save(&cl->cs);
		if (cl->enabled)
			cl_drain(cl); /* coldsync_update: starts it at once if a primary is there */
		ctl_end(req);
	}
	keel__clusterd__coldsync_register__free_unpacked(q, NULL);
}

static void cl_coldsync_done(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	Keel__Clusterd__ColdsyncDone *q;
	char err[128];

	q = keel__clusterd__coldsync_done__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "coldsync.done: bad request");
		return;
	}
	if (cl_cs_done(&cl->cs, q->participant, q->ok, err, sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
	} else {
		log_info("coldsync: %s %s", q->participant, q->ok ? "completed" : "failed");
		cl_cs_save(&cl->cs);
		if (cl->enabled)
			cl_drain(cl);
		ctl_end(req);
	}
	keel__clusterd__coldsync_done__free_unpacked(q, NULL);
}

static void cl_sync_notify(struct ctl_req *req, void *arg)
{
	struct clusterd *cl = cl_of(arg);
	Keel__Clusterd__ColdsyncRegister *q;
	char err[160];

	if (!cl->enabled) {
		ctl_error(req, CTL_ERR_FAILED, "Chassis cluster is not enabled.");
		return;
	}
	q = keel__clusterd__coldsync_register__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "sync.notify: bad request");
		return;
	}
	if (cl_relay_notify(cl, q->participant, err, sizeof(err)) < 0)
		ctl_error(req, CTL_ERR_FAILED, "%s", err);
	else
		ctl_end(req);
	keel__clusterd__coldsync_register__free_unpacked(q, NULL);
}

/* ------------------------------------------------------------ events */

void cl_ctl_rg_event(struct clusterd *cl, const struct rg_action *a)
{
	Keel__Clusterd__RgEvent ev = KEEL__CLUSTERD__RG_EVENT__INIT;
	const struct rg *g = rg_engine_group(cl->engine, a->rg);

	if (!cl->d->ctl || !ctl_server_has_subscribers(cl->d->ctl, "rg.state"))
		return;
	ev.redundancy_group = a->rg;
	ev.from = (char *)rg_state_name((enum rg_state)a->from);
	ev.to = (char *)rg_state_name((enum rg_state)a->to);
	ev.reason = (char *)(a->reason ? a->reason : "");
	ev.time_ms = (uint64_t)((int64_t)a->time_ms + (int64_t)wall_ms() - (int64_t)mono_ms());
	ev.node_id = cl->id.node_id;
	ev.failover_count = g ? g->failover_count : 0;
	ctl_server_publish(cl->d->ctl, "rg.state", &ev.base);
}

void cl_ctl_peer_event(struct clusterd *cl, const char *state)
{
	Keel__Clusterd__PeerEvent ev = KEEL__CLUSTERD__PEER_EVENT__INIT;

	if (!cl->d->ctl || !ctl_server_has_subscribers(cl->d->ctl, "cluster.peer"))
		return;
	ev.state = (char *)state;
	ev.peer_node = cl->id.node_id ^ 1u;
	ctl_server_publish(cl->d->ctl, "cluster.peer", &ev.base);
}

void cl_ctl_coldsync_start(struct clusterd *cl, const char *participant)
{
	Keel__Clusterd__ColdsyncRegister ev = KEEL__CLUSTERD__COLDSYNC_REGISTER__INIT;

	if (!cl->d->ctl)
		return;
	ev.participant = (char *)participant;
	ctl_server_publish(cl->d->ctl, "coldsync.start", &ev.base);
}

const struct ctl_method cl_ctl_methods[] = {
        {"show.status", cl_show_status, 0,
         "show chassis cluster status (ShowCluster -> ClusterStatus)"},
        {"show.statistics", cl_show_statistics, 0,
         "show chassis cluster statistics (-> ClusterStatistics)"},
        {"show.interfaces", cl_show_interfaces, 0,
         "show chassis cluster interfaces (-> ClusterInterfaces)"},
        {"show.information", cl_show_information, 0,
         "show chassis cluster information (ShowCluster -> ClusterInformation)"},
        {"show.ip-monitoring", cl_show_ipmon, 0,
         "show chassis cluster ip-monitoring status (ShowCluster -> IpMonitoring)"},
        {"request.failover", cl_request_failover, CTL_F_WRITE,
         "request chassis cluster failover [reset] (Failover -> FailoverReply)"},
        {"clear.statistics", cl_clear_statistics, CTL_F_WRITE, "clear chassis cluster statistics"},
        {"identity.set", cl_identity_set, CTL_F_WRITE,
         "set chassis cluster cluster-id N node M (Identity -> IdentityReply)"},
        {"coldsync.register", cl_coldsync_register, CTL_F_WRITE,
         "join coldsync as a participant (ColdsyncRegister)"},
        {"coldsync.done", cl_coldsync_done, CTL_F_WRITE,
         "a participant finished its bulk sync (ColdsyncDone)"},
        {"sync.notify", cl_sync_notify, CTL_F_WRITE,
         "a bulk participant changed on the RG0 primary: push it to the peer (ColdsyncRegister)"},
};
const size_t cl_ctl_n_methods = sizeof(cl_ctl_methods) / sizeof(cl_ctl_methods[0]);
