/*
 * ribd's own state: the RIB, the FIB, the platform monitor, the config.
 */
#ifndef KEEL_RIBD_H
#define KEEL_RIBD_H

#include "daemons/ribd/bfd.h"
#include "daemons/ribd/config.h"
#include "daemons/ribd/fib.h"
#include "daemons/ribd/rib.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "platform/platform.h"

struct ribd {
	struct daemon *d;
	struct plat *plat;
	struct plat_monitor *mon;
	struct rib *rib;
	struct fib *fib;
	struct ribd_conf conf;
	struct ribd_bfd *bfd;         /* BFD-tracked next hops (bfd.c) */
	struct ribd_sensors *sensors; /* telemetry (sensors.c) */
	struct timer run;             /* rib_run + fib_flush once per loop turn of changes */
	bool mon_loaded;              /* the monitor's first resync ended */
	bool conf_loaded;             /* the first config apply ran */
	bool in_resync;
};

extern const struct cfg_ops ribd_cfg_ops;
extern const struct ctl_method ribd_ctl_methods[];
extern const size_t ribd_ctl_n_methods;
extern const struct plat_monitor_cbs ribd_monitor_cbs;

/* sensors.c: route counts per table and protocol, FIB errors, BFD tracking. */
struct ribd_sensors *ribd_sensors_start(struct ribd *r);
void ribd_sensors_stop(struct ribd_sensors *s);
/* The table changed: publish soon (several changes make one message). */
void ribd_sensors_changed(struct ribd_sensors *s);

/* Stamps the RIB with the current time before a change (route ages). */
void ribd_clock(struct ribd *r);
/* Schedules a rib_run + fib_flush (and the start-up sweep when due). */
void ribd_kick(struct ribd *r);

#endif
