/*
 * dot1xd — the IEEE 802.1X authenticator with its RADIUS client, the Junos dot1xd.
 *
 *   main.c      start-up: the skeleton hooks, capabilities, the one-second port timer tick
 *   dot1xd.h    wire codecs: eapol.c (EAPOL, EAP), radius.c (RADIUS messages); pure, fuzzed
 *   pae.h/.c    the 802.1X-2004 authenticator PAE, backend and reauthentication machines of
 *               one supplicant (pure, lib/sm)
 *   dot1xd_daemon.h  the daemon's types
 *   config.c    `protocols dot1x authenticator` + the `access` profile, applied as a diff
 *   port.c      AF_PACKET sockets per port, frames -> sessions (supplicant modes)
 *   session.c   one supplicant: EAP pass-through to RADIUS, MAC RADIUS, guest / reject /
 *               server-fail VLANs, static bypass, dynamic VLAN, accounting, CoA/Disconnect
 *   radclient.c the RADIUS client transport (servers, retransmission, failover, id pool)
 *   das.c       the RFC 5176 Dynamic Authorization server
 *   enforce.c   the desired port/MAC authorization, kept in vland over its ctl socket
 *   ctl.c       show.interface / show.statistics / clear.interface
 *   sensors.c   session state on change and counters on the telemetry bus
 *
 * With no `protocols dot1x` the daemon opens no socket besides its ctl socket and idles.
 */
#include <stdlib.h>
#include <sys/capability.h>

#include "daemons/dot1xd/das.h"
#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"
#include "lib/daemon.h"
#include "lib/log.h"

#define D1X_TICK_MS 1000

struct dot1xd *dot1xd_g;

/* Bit order of D1X_DEBUG_* in dot1xd_daemon.h. */
static const char *const dot1xd_debug_flags[] = {"fsm", "packet", "radius", NULL};
/* AF_PACKET sockets on the ports. */
/* NET_RAW: EAPOL and MAC learning sockets; NET_ADMIN: mac-radius flap-on-disconnect. */
static const int dot1xd_caps[] = {CAP_NET_RAW, CAP_NET_ADMIN, -1};

/* The port timers machine (802.1X-2004 §8.2.3) ticks once a second for every session. */
static void dot1xd_tick(void *arg)
{
	struct dot1xd *dx = arg;
	struct d1x_port *pt, *t;
	uint64_t now = mono_ms();

	TAILQ_FOREACH_SAFE(pt, &dx->ports, entry, t)
	d1x_port_tick(pt, now);
	if (dx->enf)
		d1x_enforce_retry(dx->enf);
	timer_add_ms(&dx->tick, D1X_TICK_MS);
}

static int dot1xd_init(struct daemon *d)
{
	struct dot1xd *dx = calloc(1, sizeof(*dx));

	if (!dx)
		return -1;
	d->priv = dx;
	dot1xd_g = dx;
	dx->d = d;
	dx->base = d->base;
	TAILQ_INIT(&dx->ports);
	timer_init(&dx->tick, d->base, dot1xd_tick, dx);
	timer_add_ms(&dx->tick, D1X_TICK_MS);
	dx->plat = plat_open("linux");
	if (!dx->plat)
		log_warn("dot1x: no netlink platform: accounting carries no traffic counters");
	d1x_sensors_start(dx);
	return 0;
}

static void dot1xd_shutdown(struct daemon *d)
{
	struct dot1xd *dx = d->priv;
	struct d1x_port *pt;

	if (!dx)
		return;
	timer_del(&dx->tick);
	/* Sessions end with accounting Stop (NAS-Reboot would need the loop; best effort). */
	while ((pt = TAILQ_FIRST(&dx->ports)))
		d1x_port_del(pt);
	if (dx->das)
		das_free(dx->das);
	if (dx->rc)
		radclient_free(dx->rc);
	d1x_enforce_free(dx->enf);
	d1x_sensors_stop(dx);
	plat_close(dx->plat);
	d1x_conf_free(&dx->conf);
	free(dx);
	d->priv = NULL;
	dot1xd_g = NULL;
}

int main(int argc, char **argv)
{
	struct daemon_desc desc = {
	        .name = "dot1xd",
	        .debug_flags = dot1xd_debug_flags,
	        .caps = dot1xd_caps,
	        .methods = dot1xd_ctl_methods,
	        .n_methods = dot1xd_ctl_n_methods,
	        .init = dot1xd_init,
	        .shutdown = dot1xd_shutdown,
	        .cfg = &dot1xd_cfg_ops,
	};

	return daemon_main(&desc, argc, argv);
}
