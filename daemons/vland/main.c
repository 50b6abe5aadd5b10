/*
 * vland — VLANs and switch ports (the Junos l2ald / eswd counterpart).
 *
 *   main.c      start-up: config glue, platform, OVS connection, sensors
 *   vland.h     the model and the pure pieces' API
 *   vlan.c      config JSON -> validated VLANs, switch ports, IRBs (pure)
 *   auth.c      port.auth entries from dot1xd, dynamic VLANs (pure)
 *   sw.c        model -> OVS bridge "keel0" (one reconcile transaction at a
 *               time), IRB addresses, 802.1X admission flows, and per-port
 *               bridges "kp-<port>" for MACs of one port in several VLANs
 *   lnx.c       model -> Linux bridge (KEEL_DATAPLANE=linux) through the
 *               platform API; plain bridge per VLAN without VLAN filtering
 *   fdb.c       the MAC table from ovs-vswitchd's unixctl "fdb/show"
 *   ctl.c       "port.auth", "show.vlans", "show.ethernet-switching.*"
 *   sensors.c   VLAN membership and MAC counts on the telemetry bus
 *
 * A node without VLANs or switch ports never opens OVS: vland answers its
 * ctl socket and does nothing else. With them, it connects to the node's
 * private Open vSwitch (sw.c says where) and keeps reconnecting if it is
 * not (yet) there.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "daemons/vland/vland_daemon.h"
#include "lib/cfg.h"
#include "lib/log.h"

static const char *const vland_debug_flags[] = {"ovs", "auth", NULL};
/* NET_ADMIN: IRB addresses and link state on the internal ports. */
static const int vland_caps[] = {CAP_NET_ADMIN, -1};

static int vland_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct vlan_model m;

	(void)arg;
	if (vlan_model_parse(cfg, &m, err, errlen) < 0)
		return -1;
	vlan_model_free(&m);
	return 0;
}

static int vland_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                           size_t errlen)
{
	struct vland *v = arg;
	struct vlan_model m;
	size_t dropped;

	(void)old;
	if (vlan_model_parse(cfg, &m, err, errlen) < 0)
		return -1;
	vlan_model_free(&v->model);
	v->model = m;
	/* 802.1X state the new config no longer allows goes (its flows with
	 * it); everything else keeps running. */
	for (size_t i = 0; i < v->auths.n; i++)
		if (!vland_auth_valid(&v->auths.a[i], &m))
			vland_auth_forget(v, &v->auths.a[i]);
	dropped = vland_auths_prune(&v->auths, &m);
	if (dropped)
		log_info("config: %zu port.auth entr%s dropped (port or VLAN gone)", dropped,
		         dropped == 1 ? "y" : "ies");
	/* The reconcile writes only what differs from OVS: an unchanged
	 * config sends nothing. */
	vland_ovs_open(v);
	vland_sync(v);
	if (!v->configured) {
		v->configured = true;
		vland_auth_flush(v);
	}
	return 0;
}

static const struct cfg_ops vland_cfg_ops = {
        .validate = vland_cfg_validate,
        .apply = vland_cfg_apply,
};

static int vland_init(struct daemon *d)
{
	struct vland *v = calloc(1, sizeof(*v));
	const char *dp;

	if (!v)
		return -1;
	d->priv = v;
	v->d = d;
	/* keel-node exports the node's --dataplane; without it (a hand-started
	 * vland, a systemd unit without Environment=) vland keeps to Open
	 * vSwitch, the back-end it has always had. */
	dp = getenv("KEEL_DATAPLANE");
	if (dp && !strcmp(dp, "linux"))
		v->dp = VLAND_DP_LINUX;
	else if (dp && *dp && strcmp(dp, "ovs"))
		log_warnx("KEEL_DATAPLANE=%s: not linux or ovs, using ovs", dp);
	/* Without the platform only IRB addresses and port state are lost:
	 * keep switching. */
	v->plat = plat_open("linux");
	if (!v->plat)
		log_warnx("cannot open the linux platform: IRB addresses will not be set");
	vland_sw_init(v);
	vland_sensors_start(v);
	if (v->dp == VLAND_DP_LINUX)
		log_info("data plane: linux bridge (%s, or %sN per VLAN without VLAN filtering)",
		         VLAND_BRIDGE, VLAND_BRIDGE_PFX);
	else
		log_info("data plane: OVS, database expected at %s (bridge %s)", v->db_sock,
		         VLAND_BRIDGE);
	return 0;
}

static void vland_shutdown(struct daemon *d)
{
	struct vland *v = d->priv;

	if (!v)
		return;
	vland_auth_drop(v);
	vland_sensors_stop(v);
	vland_sw_close(v);
	if (v->plat)
		plat_close(v->plat);
	vlan_model_free(&v->model);
	vland_auths_free(&v->auths);
	free(v);
	d->priv = NULL;
}

static const struct daemon_desc vland_desc = {
        .name = "vland",
        .debug_flags = vland_debug_flags,
        .caps = vland_caps,
        .methods = vland_ctl_methods,
        .init = vland_init,
        .shutdown = vland_shutdown,
        .cfg = &vland_cfg_ops,
};

int main(int argc, char **argv)
{
	struct daemon_desc desc = vland_desc;

	desc.n_methods = vland_ctl_n_methods;
	return daemon_main(&desc, argc, argv);
}
