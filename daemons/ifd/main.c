/*
 * ifd — the interfaces daemon (Junos dcd's role).
 *
 *   main.c     start-up: platform, monitor, ctl methods, sensors
 *   ifd.h      types
 *   iface.c    the interface table kept current by the netlink monitor
 *   config.c   the `interfaces` config applied to the kernel as a diff:
 *              description, mtu, disable, unit 0 inet/inet6 addresses
 *   ctl.c      "show.interfaces" and the "interface.link" event
 *   sensors.c  interface counters and state on the node's telemetry bus
 *
 * The config comes from mgd through lib/cfg (validate, then apply with the
 * previous config, so only the difference is written). A configured link
 * that appears later, or any link after a monitor resync, gets its wanted
 * state again from iface.c.
 */
#include <stdlib.h>
#include <sys/capability.h>

#include "daemons/ifd/ifd.h"
#include "lib/log.h"

static const char *const ifd_debug_flags[] = {"monitor", "ctl", "sensor", NULL};
static const int ifd_caps[] = {CAP_NET_ADMIN, -1};

static int ifd_init(struct daemon *d)
{
	struct ifd *ifd = calloc(1, sizeof(*ifd));
	const char *rate = getenv("KEEL_IFD_SAMPLE_MS");

	if (!ifd)
		return -1;
	d->priv = ifd;
	ifd->d = d;
	ifd->sample_ms = rate && atoi(rate) > 0 ? (uint64_t)atoi(rate) : IFD_SAMPLE_MS_DEFAULT;
	ifd->plat = plat_open("linux");
	if (!ifd->plat) {
		log_warn("cannot open the linux platform");
		return -1;
	}
	ifd->mon = plat_monitor_new(ifd->plat, d->base, PLAT_WATCH_LINK | PLAT_WATCH_ADDR,
	                            &ifd_monitor_cbs, ifd);
	if (!ifd->mon || plat_monitor_start(ifd->mon) != 0) {
		log_warnx("cannot start the link monitor: %s", plat_errmsg(ifd->plat));
		return -1;
	}
	ifd_sensors_start(ifd);
	return 0;
}

static void ifd_shutdown(struct daemon *d)
{
	struct ifd *ifd = d->priv;

	if (!ifd)
		return;
	ifd_sensors_stop(ifd);
	if (ifd->mon)
		plat_monitor_free(ifd->mon);
	if (ifd->plat)
		plat_close(ifd->plat);
	ifd_iface_free_all(ifd);
	ifd_config_free(ifd);
	free(ifd);
	d->priv = NULL;
}

static const struct daemon_desc ifd_desc = {
        .name = "ifd",
        .debug_flags = ifd_debug_flags,
        .caps = ifd_caps,
        .methods = ifd_ctl_methods,
        .init = ifd_init,
        .shutdown = ifd_shutdown,
        .cfg = &ifd_cfg_ops,
};

int main(int argc, char **argv)
{
	struct daemon_desc desc = ifd_desc;

	desc.n_methods = ifd_ctl_n_methods;
	return daemon_main(&desc, argc, argv);
}
