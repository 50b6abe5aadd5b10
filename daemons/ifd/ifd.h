/*
 * ifd — interfaces daemon (Junos dcd's role). Its own types.
 */
#ifndef KEEL_IFD_H
#define KEEL_IFD_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/sensor.h"
#include "platform/platform.h"

#define IFD_SAMPLE_MS_DEFAULT 10000 /* counters to the bus every 10 s */

struct ifd_addr {
	struct plat_prefix prefix;
	uint8_t scope;
	bool seen; /* resync mark */
};

/* What ifd knows of one link beyond what the kernel reports at any moment:
 * its addresses (kept current by the monitor), and its flap history. */
struct ifd_iface {
	int ifindex;
	char name[PLAT_IFNAMSIZ];
	bool admin_up;
	bool oper_up;
	bool seen;               /* resync mark */
	uint64_t last_change_ms; /* wall clock, 0 = none seen */
	uint64_t flaps;
	struct ifd_addr *addrs;
	size_t n_addrs, cap_addrs;
};

struct ifd {
	struct daemon *d;
	struct plat *plat;
	struct plat_monitor *mon;
	struct sensor_bus *bus;
	struct timer sample;
	uint64_t sample_ms;
	bool resyncing;
	struct ifd_iface *ifs;
	size_t n_ifs, cap_ifs;
};

/* iface.c: the table the monitor keeps current */
struct ifd_iface *ifd_iface_find(struct ifd *ifd, int ifindex);
struct ifd_iface *ifd_iface_find_name(struct ifd *ifd, const char *name);
extern const struct plat_monitor_cbs ifd_monitor_cbs;
void ifd_iface_free_all(struct ifd *ifd);

/* ctl.c */
extern const struct ctl_method ifd_ctl_methods[];
extern const size_t ifd_ctl_n_methods;
/* Tells subscribers of "interface.link" about a link (deleted = it is gone). */
void ifd_ctl_link_event(struct ifd *ifd, const struct plat_link *l, bool deleted);

/* sensors.c */
void ifd_sensors_start(struct ifd *ifd);
void ifd_sensors_link_changed(struct ifd *ifd, const struct plat_link *l);
void ifd_sensors_stop(struct ifd *ifd);

#endif
