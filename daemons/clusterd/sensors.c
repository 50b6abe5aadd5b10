/*
 * What clusterd publishes on the node's bus, under the state container of
 * yang/keel-chassis.yang (/chassis/state/cluster/...):
 *   sensor "cluster-state"   at once on every RG or peer change: cluster-id, node-id,
 *                            control/fabric link status, and per group its failover count,
 *                            threshold and, per node, priority / status / preempt / manual /
 *                            monitor failures
 *   sensor "cluster-links"   every CL_SENSOR_MS: per control link and fabric child, status
 *                            and counters (heartbeats sent / received / errors / ...)
 */
#include <string.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define CL_SP "/chassis/state/cluster"

static const char *cl_updown(bool up)
{
	return up ? "up" : "down";
}

void cl_sensors_state(struct clusterd *cl)
{
	const struct rg_engine *e = cl->engine;
	struct sensor_msg *m;

	if (!cl->bus || !cl->enabled || !(m = sensor_msg_new("cluster-state")))
		return;
	sensor_msg_add_u64(m, CL_SP "/cluster-id", cl->id.cluster_id);
	sensor_msg_add_u64(m, CL_SP "/node-id", cl->id.node_id);
	sensor_msg_add_str(m, CL_SP "/control-link-status",
	                   cl_updown(rg_engine_ctl_link_up(e, 0) || rg_engine_ctl_link_up(e, 1)));
	sensor_msg_add_str(m, CL_SP "/fabric-link-status", cl_updown(rg_engine_fabric_up(e)));
	for (unsigned id = 0; id < CL_MAX_RG; id++) {
		const struct rg *g = e->rg[id];
		if (!g)
			continue;
		sensor_msg_addf_u64(m, g->failover_count,
		                    CL_SP "/redundancy-group[name=%u]/failover-count", id);
		sensor_msg_addf_u64(m, g->weight, CL_SP "/redundancy-group[name=%u]/threshold", id);
		for (uint8_t n = 0; n < CL_NODES; n++) {
			const struct hb_rg *p =
			        n == e->node_id ? NULL : rg_engine_peer_group(e, id);
			bool local = n == e->node_id;
			uint16_t mon = local ? g->mon_fail : p ? p->mon_fail : 0;
			char codes[48];
			sensor_msg_addf_u64(
			        m,
			        local ? g->cfg.priority[n]
			        : p   ? p->priority
			              : g->cfg.priority[n],
			        CL_SP "/redundancy-group[name=%u]/node[name=%u]/priority", id, n);
			sensor_msg_addf_str(m, cl_node_status(cl, (uint8_t)id, n),
			                    CL_SP "/redundancy-group[name=%u]/node[name=%u]/status",
			                    id, n);
			sensor_msg_addf_bool(
			        m, local ? g->cfg.preempt && id : p && (p->flags & HB_RG_F_PREEMPT),
			        CL_SP "/redundancy-group[name=%u]/node[name=%u]/preempt", id, n);
			sensor_msg_addf_bool(
			        m, local ? g->manual_node == n : p && (p->flags & HB_RG_F_MANUAL),
			        CL_SP "/redundancy-group[name=%u]/node[name=%u]/manual-failover",
			        id, n);
			sensor_msg_addf_u64(m,
			                    local ? g->weight
			                    : p   ? p->weight
			                          : 0,
			                    CL_SP "/redundancy-group[name=%u]/node[name=%u]/weight",
			                    id, n);
			sensor_msg_addf_str(
			        m, cl_mon_codes(mon, codes, sizeof(codes)),
			        CL_SP "/redundancy-group[name=%u]/node[name=%u]/monitor-failures",
			        id, n);
		}
	}
	sensor_publish(cl->bus, m);
}

static void cl_sensor_link(struct sensor_msg *m, const struct clusterd *cl, const struct cl_link *l)
{
	const struct cl_link_stats *s = &l->st;

	if (l->kind == CL_LINK_CONTROL) {
#define CL_CP CL_SP "/control-link[name=%u]/"
		sensor_msg_addf_str(m, l->ifname, CL_CP "interface", l->index);
		sensor_msg_addf_str(m, cl_updown(rg_engine_ctl_link_up(cl->engine, l->index)),
		                    CL_CP "status", l->index);
		sensor_msg_addf_u64(m, s->sent, CL_CP "heartbeats-sent", l->index);
		sensor_msg_addf_u64(m, s->received, CL_CP "heartbeats-received", l->index);
		sensor_msg_addf_u64(m, s->errors, CL_CP "heartbeat-errors", l->index);
		sensor_msg_addf_u64(m, s->auth_failures + s->replays,
		                    CL_CP "heartbeat-auth-failures", l->index);
		sensor_msg_addf_u64(m, s->duplicates, CL_CP "duplicate-heartbeats", l->index);
		sensor_msg_addf_u64(m, s->last_seq_sent, CL_CP "last-sequence-sent", l->index);
		sensor_msg_addf_u64(m, s->last_seq_received, CL_CP "last-sequence-received",
		                    l->index);
#undef CL_CP
	} else {
#define CL_FP CL_SP "/fabric-link[name=%s]/"
		sensor_msg_addf_str(m, cl_updown(l->fd >= 0 && l->phys_up), CL_FP "status",
		                    l->ifname);
		sensor_msg_addf_u64(m, s->sent, CL_FP "probes-sent", l->ifname);
		sensor_msg_addf_u64(m, s->received, CL_FP "probes-received", l->ifname);
		sensor_msg_addf_u64(m, s->errors, CL_FP "probe-errors", l->ifname);
#undef CL_FP
	}
}

static void cl_sensor_sample(void *arg)
{
	struct clusterd *cl = arg;
	struct sensor_msg *m;

	timer_add_ms(&cl->sensor_timer, CL_SENSOR_MS);
	if (!cl->enabled || !(m = sensor_msg_new("cluster-links")))
		return;
	for (unsigned i = 0; i < 2; i++)
		if (cl->ctl[i].ifname[0])
			cl_sensor_link(m, cl, &cl->ctl[i]);
	if (cl->fab.ifname[0])
		cl_sensor_link(m, cl, &cl->fab);
	sensor_publish(cl->bus, m);
}

void cl_sensors_start(struct clusterd *cl)
{
	cl->bus = sensor_bus_open(cl->d->base, "clusterd");
	if (!cl->bus) {
		log_warnx("no sensor bus: cluster telemetry is off");
		return;
	}
	timer_init(&cl->sensor_timer, cl->d->base, cl_sensor_sample, cl);
	timer_add_ms(&cl->sensor_timer, CL_SENSOR_MS);
}

void cl_sensors_stop(struct clusterd *cl)
{
	if (!cl->bus)
		return;
	timer_del(&cl->sensor_timer);
	sensor_bus_close(cl->bus);
	cl->bus = NULL;
}
