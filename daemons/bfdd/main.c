/*
 * bfdd — BFD (RFC 5880 / 5881 / 5883), the Junos bfdd.
 *
 *   main.c      start-up: the skeleton hooks, capabilities, the file limit
 *   bfdd.h      the protocol core's types: packet.c (codec), echo.c (echo packets),
 *               auth.c (the five authentication types), fsm.c (state table), session.c (one
 *               session, pure)
 *   bfdd_daemon.h  the daemon's types around the core
 *   io.c        UDP 3784 / 4784 for IPv4 and IPv6 (recvmmsg), TTL rules, per-session send
 *               sockets; the timer wheel on the loop; what the core asks for (struct bfd_out)
 *   io_echo.c   the echo function: AF_PACKET out to the peer's MAC, a filtered packet
 *               socket back in
 *   wheel.c     the hashed timer wheel (pure)
 *   sessions.c  the session table and its clients (config, ctl clients), effective
 *               parameters, create / update / delete
 *   config.c    `protocols bfd` and `security authentication-key-chains`, applied as a diff
 *   ctl.c       show / clear / session.add / session.delete and the "bfd.session" event
 *   sensors.c   OpenConfig BFD state on change and counters on the telemetry bus
 *
 * Sessions come from the config (client "config") and from other daemons over ctl; a
 * session lives while any client holds it.
 */
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/daemon.h"
#include "lib/log.h"

/* Bit order of BFDD_DEBUG_* in bfdd.h. */
static const char *const bfdd_debug_flags[] = {"fsm", "packet", NULL};
/* SO_BINDTODEVICE on the send sockets of interface-bound sessions; the raw send sockets;
 * the echo function's packet sockets. */
static const int bfdd_caps[] = {CAP_NET_RAW, -1};

/* One send socket per session (RFC 5881 §4): thousands of sessions need more than the
 * usual 1024 descriptors; raise the soft limit to the hard one. */
static void bfdd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE)");
	}
}

static int bfdd_init(struct daemon *d)
{
	struct bfdd *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	d->priv = b;
	b->d = d;
	b->base = d->base;
	for (int i = 0; i < 4; i++)
		b->rx[i].fd = -1;
	bfdd_raise_nofile();
	bfdd_sessions_init(b);
	if (bfdd_io_start(b) < 0) {
		log_warnx("bfd: no receive socket could be opened");
		return -1;
	}
	bfdd_ctl_start(b);
	bfdd_sensors_start(b);
	return 0;
}

static void bfdd_shutdown(struct daemon *d)
{
	struct bfdd *b = d->priv;

	if (!b)
		return;
	/* daemon_main closes the ctl server after this: its connections' close must not reach
	 * the state freed here. */
	if (d->ctl)
		ctl_server_on_close(d->ctl, NULL, NULL);
	bfdd_sensors_stop(b);
	bfdd_sessions_free(b);
	bfdd_io_stop(b);
	bfdd_conf_free(&b->conf);
	free(b);
	d->priv = NULL;
}

int main(int argc, char **argv)
{
	struct daemon_desc desc = {
	        .name = "bfdd",
	        .debug_flags = bfdd_debug_flags,
	        .caps = bfdd_caps,
	        .methods = bfdd_ctl_methods,
	        .n_methods = bfdd_ctl_n_methods,
	        .init = bfdd_init,
	        .shutdown = bfdd_shutdown,
	        .cfg = &bfdd_cfg_ops,
	};

	return daemon_main(&desc, argc, argv);
}
