/*
 * clusterd — the chassis-cluster daemon (Junos jsrpd).
 *
 *   main.c      start-up (the seed's order, below) and the platform-dependent op table
 *   clusterd.h  shared types: the heartbeat codec's and the daemon's
 *   cluster.c   the glue object: engine, links, reths, monitors; actions -> effects; the
 *               platform-independent op table
 *   io.c        control-link heartbeats and fabric probes: raw sockets, timers, counters
 *   packet.c    heartbeat codec (pure)          auth.c   HMAC and anti-replay (pure)
 *   rg.c, fsm.c, elect.c                        the RG engine (pure)
 *   config.c    `chassis cluster` and the reth/fab interfaces, applied as a diff
 *   ctl.c       show / request / clear / identity / coldsync methods and events
 *   coldsync.c  participants, their bitmap, the CS monitor weight
 *   sensors.c   RG and link state on the telemetry bus
 *   reth.c, garp.c, ifmon.c, ipmon.c            reths, GARPs, interface and IP monitoring
 *
 * Start-up (issue 4 item 1): the skeleton daemonizes, writes the pid file, opens the ctl
 * socket and routes signals (SIGHUP: lib/cfg fetches the config again; SIGWINCH: cluster
 * state changed elsewhere, announce ours again); then init reads the node identity from the
 * chassis EEPROM (cluster-id 0 or no EEPROM: clustering disabled, clusterd stays up and says
 * so in show.status), picks the two op tables, opens the platform, and starts the cluster
 * object (engine, link monitor, reth table, monitors, coldsync bitmap, sensors). Sockets and
 * timers follow the config from mgd.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "daemons/clusterd/clusterd.h"
#include "lib/daemon.h"
#include "lib/log.h"

static const char *const cl_debug_flags[] = {"fsm", "io", "ctl", "config", NULL};
/* Raw sockets for heartbeats and probes; addresses, macvlans and link state for the rest. */
static const int cl_caps[] = {CAP_NET_RAW, CAP_NET_ADMIN, -1};

/* ------------------------------------------------------------ platform-dependent ops: linux */

static int cl_linux_link_get(struct clusterd *cl, const char *ifname, struct plat_link *out)
{
	return cl->plat ? plat_link_get_by_name(cl->plat, ifname, out) : -ENODEV;
}

static int cl_linux_link_set(struct clusterd *cl, int ifindex, bool up)
{
	return cl->plat ? plat_link_set_admin(cl->plat, ifindex, up) : -ENODEV;
}

static int cl_linux_addr_add(struct clusterd *cl, int ifindex, const struct plat_prefix *p)
{
	struct plat_addr a;

	if (!cl->plat)
		return -ENODEV;
	memset(&a, 0, sizeof(a));
	a.ifindex = ifindex;
	a.prefix = *p;
	a.scope = 253; /* RT_SCOPE_LINK: 169.254/16 is link-local (RFC 3927) */
	return plat_addr_add(cl->plat, &a);
}

static void cl_linux_led_set(struct clusterd *cl, enum cl_led led, const char *reason)
{
	static const char *const names[] = {"off", "green", "amber", "red"};

	(void)cl;
	/* No chassis LEDs on a Linux box: the colour is logged and shown by
	 * `show chassis cluster information`. */
	log_info("LED %s: %s", names[led], reason);
}

static const struct cl_pd_ops cl_linux_ops = {
        .name = "linux",
        .link_get = cl_linux_link_get,
        .link_set = cl_linux_link_set,
        .addr_add = cl_linux_addr_add,
        .eeprom_read = chassis_id_read,
        .eeprom_write = chassis_id_write,
        .led_set = cl_linux_led_set,
};

/* ------------------------------------------------------------ skeleton hooks */

static int cl_init(struct daemon *d)
{
	struct clusterd *cl = calloc(1, sizeof(*cl));
	char why[128] = "";
	int rc;

	if (!cl)
		return -1;
	d->priv = cl;
	cl->d = d;
	cl->pd = &cl_linux_ops;
	cl->pi = &cl_pi_ops;
	rc = cl->pd->eeprom_read(&cl->id, why, sizeof(why));
	if (rc < 0) {
		/* A corrupt EEPROM is an error, never silently "not clustered" (chassis.h); we
		 * cannot guess an identity, so clustering stays off and the log says why. */
		log_warnx("chassis EEPROM unreadable: %s; clustering disabled until it is set "
		          "again (set chassis cluster cluster-id N node M)",
		          why);
		snprintf(cl->id_error, sizeof(cl->id_error), "%s", why);
		memset(&cl->id, 0, sizeof(cl->id));
	}
	cl->enabled = chassis_clustered(&cl->id);
	if (cl->enabled)
		log_info("chassis cluster: cluster-id %u node%u", cl->id.cluster_id,
		         cl->id.node_id);
	else
		log_info("chassis cluster is not enabled (cluster-id 0)");
	if (cl->enabled) {
		cl->plat = plat_open(cl->pd->name);
		if (!cl->plat) {
			log_warn("cannot open the %s platform", cl->pd->name);
			return -1;
		}
	}
	return cl_start(cl);
}

static void cl_shutdown(struct daemon *d)
{
	struct clusterd *cl = d->priv;

	if (!cl)
		return;
	cl_stop(cl);
	if (cl->plat)
		plat_close(cl->plat);
	free(cl);
	d->priv = NULL;
}

static void cl_cluster_change(struct daemon *d)
{
	struct clusterd *cl = d->priv;

	if (cl)
		cl_announce(cl);
}

static int cl_config_check(struct daemon *d)
{
	(void)d;
	return 0; /* the config comes from mgd, which validates through config.validate */
}

int main(int argc, char **argv)
{
	struct daemon_desc desc = {
	        .name = "clusterd",
	        .debug_flags = cl_debug_flags,
	        .caps = cl_caps,
	        .methods = cl_ctl_methods,
	        .n_methods = cl_ctl_n_methods,
	        .config_check = cl_config_check,
	        .init = cl_init,
	        .cluster_change = cl_cluster_change,
	        .shutdown = cl_shutdown,
	        .cfg = &cl_cfg_ops,
	};

	return daemon_main(&desc, argc, argv);
}
