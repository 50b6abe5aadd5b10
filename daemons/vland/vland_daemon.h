/*
 * vland's running state (main.c, sw.c, fdb.c, ctl.c, sensors.c).
 */
#ifndef KEEL_VLAND_DAEMON_H
#define KEEL_VLAND_DAEMON_H

#include "daemons/vland/vland.h"
#include "daemons/vland/vland_lx.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "platform/platform.h"

struct sensor_bus;
struct ovs_of;

/* The switch back-end, from KEEL_DATAPLANE (keel-node --dataplane). */
enum vland_dp {
	VLAND_DP_OVS = 0,   /* the node's private Open vSwitch (sw.c) */
	VLAND_DP_LINUX = 1, /* the kernel bridge (lnx.c) */
};
const char *vland_dp_name(enum vland_dp d);

struct vland_kp {
	char bridge[VLAN_IFNAMSIZ];
	char port[VLAN_IFNAMSIZ];
	struct ovs_of *of;
};

struct vland {
	struct daemon *d;
	enum vland_dp dp;
	struct vland_lx lx; /* VLAND_DP_LINUX state */
	struct vlan_model model;
	struct vland_auths auths;
	struct plat *plat; /* linux: IRB addresses, link state */

	char rundir[VLAND_PATHSIZ];       /* the node's OVS run directory */
	char db_sock[VLAND_PATHSIZ + 16]; /* rundir/db.sock */
	struct ovsdb_conn *ovs;           /* NULL until the config has switch ports or VLANs */
	bool busy;                        /* a reconcile transaction is in flight */
	bool dirty;                       /* run again when it ends */
	bool converged;                   /* the last reconcile found nothing to write */
	uint64_t txns;                    /* write transactions sent */
	uint64_t reconciles;              /* comparisons of OVS with the model */
	size_t skipped;                   /* wanted ports found on another bridge */
	char last_error[256];
	struct timer retry; /* after a failed transaction or a missing IRB device */
	struct timer kick;  /* reconcile on the next loop turn */

	/* IRB addresses vland put on, per name, to remove what the config drops. */
	struct vlan_irb *irb_done;
	size_t n_irb_done;

	struct ovs_of *of; /* OpenFlow admission (platform/ovs/openflow.h) */
	/* per-port bridges of ports with per-MAC VLANs (sw.c), one OpenFlow
	 * connection each */
	struct vland_kp *kp;
	size_t n_kp;

	/* port.auth requests that came before the first config (dot1xd may
	 * start talking before mgd's config reached us); answered after it. */
	bool configured;
	struct vland_auth_wait *waiting;
	size_t n_waiting;

	struct sensor_bus *bus;
	struct timer sensor;
};

/* sw.c */
void vland_sync(struct vland *v);     /* reconcile soon (coalesced) */
void vland_ovs_open(struct vland *v); /* connect once there is something to switch */
void vland_sw_close(struct vland *v);
void vland_sw_init(struct vland *v);
void vland_auth_push(struct vland *v); /* OpenFlow side of the auth table */
void vland_auth_forget(struct vland *v, const struct vland_auth *e); /* before removal */

/* ctl.c */
#define VLAND_MAX_WAITING 256
void vland_auth_flush(struct vland *v); /* answer what waited for the config */
void vland_auth_drop(struct vland *v);  /* shutting down */

/* sensors.c */
void vland_sensors_start(struct vland *v);
void vland_sensors_stop(struct vland *v);
void vland_sensors_kick(struct vland *v); /* publish soon */

#endif
