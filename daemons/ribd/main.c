/*
 * ribd — the routing table daemon (the RIB part of Junos rpd).
 *
 *   main.c     start-up: platform, monitor, RIB, FIB, config glue, the run timer
 *   ribd.h     the daemon's state
 *   lpm.c      Patricia trie: longest-prefix match for the RIB (and gateways)
 *   rib.c      routes per destination, preference, next-hop resolution, ECMP
 *   fib.c      the kernel's main table kept in step, batched; restart without flap;
 *              its per-prefix state sits in the RIB's destinations (48 B each)
 *   config.c   routing-options -> static routes, applied as a diff
 *   bfd.c      BFD-tracked next hops: sessions claimed from bfdd, routes re-evaluated
 *   sensors.c  route counts, FIB errors and BFD tracking on the telemetry bus
 *   kernel.c   the platform monitor -> links, addresses, kernel routes
 *   ctl.c      "show.route", "show.route.summary", "show.route.forwarding"
 *   api.c      the bulk route API ("route.*"), its own table on the ctl socket
 *
 * Changes from the monitor and the config only touch the RIB; a zero-delay
 * timer then runs next-hop resolution and sends the FIB changes in one
 * batch, once per loop turn however many changes came in.
 *
 * Restart: keel's routes already in the kernel (protocol 200, FIB_RTPROT) are stale
 * until the config has been applied and the monitor's first resync (links,
 * addresses, routes) has ended; routes wanted unchanged are adopted without
 * touching the kernel, and only the leftovers are swept then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <time.h>

#include "daemons/ribd/api.h"
#include "daemons/ribd/ribd.h"
#include "lib/cfg.h"
#include "lib/log.h"

/* BFD-tracked next hops stay usable this long after a restart while their
 * sessions, dropped by bfdd with our old connection, come Up again (a new
 * session needs a few 1 s slow-start packets, RFC 5880 §6.8.3). */
#define RIBD_BFD_GRACE_MS 5000

static const char *const ribd_debug_flags[] = {"rib", "fib", NULL};
static const int ribd_caps[] = {CAP_NET_ADMIN, -1};

static void ribd_run(void *arg)
{
	struct ribd *r = arg;
	uint64_t start = mono_us(), rib_done;
	int n;

	ribd_clock(r);
	rib_run(r->rib);
	rib_done = mono_us();
	fib_flush(r->fib);
	ribd_bfd_ran(r->bfd, start, rib_done);
	ribd_sensors_changed(r->sensors);
	if (!fib_swept(r->fib) && r->mon_loaded && r->conf_loaded) {
		n = fib_sweep(r->fib);
		log_info("start-up sweep: %d stale route%s removed", n, n == 1 ? "" : "s");
	}
}

void ribd_clock(struct ribd *r)
{
	rib_set_time(r->rib, (int64_t)(mono_ms() / 1000));
}

void ribd_kick(struct ribd *r)
{
	if (!timer_pending(&r->run))
		timer_add_ms(&r->run, 0);
}

static void ribd_kick_cb(void *arg)
{
	ribd_kick(arg);
}

static int ribd_ifindex(void *arg, const char *name)
{
	struct ribd *r = arg;
	struct plat_link l;

	return plat_link_get_by_name(r->plat, name, &l) == 0 ? l.ifindex : 0;
}

static int ribd_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct ribd *r = arg;
	struct ribd_conf c;

	if (ribd_conf_parse(cfg, ribd_ifindex, r, &c, err, errlen) < 0)
		return -1;
	ribd_conf_free(&c);
	return 0;
}

static int ribd_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                          size_t errlen)
{
	struct ribd *r = arg;
	struct ribd_conf c;

	(void)old;
	if (ribd_conf_parse(cfg, ribd_ifindex, r, &c, err, errlen) < 0)
		return -1;
	if (!r->conf_loaded) {
		struct fib_stats fs;

		/* Our routes in the kernel (or not known yet): a restart. */
		fib_get_stats(r->fib, &fs);
		if (fs.stale || !r->mon_loaded)
			ribd_bfd_set_grace(r->bfd, RIBD_BFD_GRACE_MS);
	}
	if (ribd_bfd_conf_bind(r->bfd, &c) < 0) {
		snprintf(err, errlen, "bfd-liveness-detection: out of memory or sessions");
		ribd_conf_free(&c);
		return -1;
	}
	ribd_clock(r);
	ribd_conf_apply(r->rib, &r->conf, &c);
	ribd_bfd_conf_done(r->bfd, &c);
	ribd_conf_free(&r->conf);
	r->conf = c;
	r->conf_loaded = true;
	ribd_kick(r);
	return 0;
}

const struct cfg_ops ribd_cfg_ops = {
        .validate = ribd_cfg_validate,
        .apply = ribd_cfg_apply,
};

static int ribd_init(struct daemon *d)
{
	struct ribd *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	d->priv = r;
	r->d = d;
	timer_init(&r->run, d->base, ribd_run, r);
	r->plat = plat_open("linux");
	if (!r->plat) {
		log_warn("cannot open the linux platform");
		return -1;
	}
	r->fib = fib_new(r->plat, FIB_RTPROT);
	r->rib = r->fib ? rib_new(fib_rib_changed, r->fib) : NULL;
	if (r->rib)
		fib_attach(r->fib, r->rib);
	if (!r->rib) {
		log_warnx("out of memory");
		return -1;
	}
	r->bfd = ribd_bfd_new(d->base, r->rib, ribd_kick_cb, r);
	if (!r->bfd || ribd_bfd_connect(r->bfd, NULL) < 0) {
		log_warnx("out of memory");
		return -1;
	}
	if (ribd_api_register(d->ctl) < 0) {
		log_warnx("cannot add the route API to the control socket");
		return -1;
	}
	r->sensors = ribd_sensors_start(r);
	ribd_clock(r);
	r->mon = plat_monitor_new(r->plat, d->base,
	                          PLAT_WATCH_LINK | PLAT_WATCH_ADDR | PLAT_WATCH_ROUTE,
	                          &ribd_monitor_cbs, r);
	if (!r->mon || plat_monitor_start(r->mon) != 0) {
		log_warnx("cannot start the route monitor: %s", plat_errmsg(r->plat));
		return -1;
	}
	return 0;
}

static void ribd_shutdown(struct daemon *d)
{
	struct ribd *r = d->priv;

	if (!r)
		return;
	timer_del(&r->run);
	ribd_sensors_stop(r->sensors);
	/* Our claims at bfdd go with the connection. */
	ribd_bfd_free(r->bfd);
	if (r->mon)
		plat_monitor_free(r->mon);
	/* Routes stay in the kernel: a restart adopts them (no flap). */
	rib_free(r->rib);
	fib_free(r->fib);
	if (r->plat)
		plat_close(r->plat);
	ribd_conf_free(&r->conf);
	free(r);
	d->priv = NULL;
}

static const struct daemon_desc ribd_desc = {
        .name = "ribd",
        .debug_flags = ribd_debug_flags,
        .caps = ribd_caps,
        .methods = ribd_ctl_methods,
        .init = ribd_init,
        .shutdown = ribd_shutdown,
        .cfg = &ribd_cfg_ops,
};

int main(int argc, char **argv)
{
	struct daemon_desc desc = ribd_desc;

	desc.n_methods = ribd_ctl_n_methods;
	return daemon_main(&desc, argc, argv);
}
