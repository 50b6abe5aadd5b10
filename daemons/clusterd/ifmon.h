/*
 * clusterd interface monitoring (Junos `redundancy-group N interface-monitor IF weight W`).
 *
 * Watches the monitored links through the platform change monitor and reports each link's
 * up/down to a callback, which the core forwards to rg_engine_if_state(). "Up" is the link's
 * operational state: admin up, carrier, and oper up (or unknown, which drivers without
 * operstate support report); an absent interface counts as down (shared notes cluster.md §5:
 * a failed monitored object subtracts its weight).
 *
 *     m = ifmon_new(plat, base, on_if, core);   // on_if(core, "eth1", false) ...
 *     ifmon_update(m, cfgs, n);                 // every commit
 *     ifmon_start(m);                           // once: initial resync, then events
 *     ifmon_status(m, rows, max);               // "Interface Monitoring:" section
 *
 * The callback fires once per monitored name with its first known state after
 * ifmon_start() (and for a name added by ifmon_update() after that), then on every change.
 * A name monitored by several RGs is reported once per change (the engine matches by name).
 */
#ifndef KEEL_CLUSTERD_IFMON_H
#define KEEL_CLUSTERD_IFMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "platform/platform.h"

#define IFMON_MAX 512 /* monitored (rg, interface) pairs */

struct ifmon_cfg {
	char name[PLAT_IFNAMSIZ];
	uint8_t weight;
	uint8_t rg;
};

struct ifmon_status {
	char name[PLAT_IFNAMSIZ];
	uint8_t weight;
	uint8_t rg;
	bool present;   /* the link exists */
	bool phys_up;   /* "Physical" column: oper state up */
	bool mon_up;    /* "Monitored" column: what the engine was told */
	uint64_t downs; /* up -> down transitions seen */
};

typedef void (*ifmon_fn)(void *arg, const char *ifname, bool up);

struct ifmon;

/*
 * base NULL: no kernel monitor (tests feed ifmon_link() by hand). NULL on failure (errno).
 */
struct ifmon *ifmon_new(struct plat *p, struct event_base *base, ifmon_fn fn, void *arg);
void ifmon_free(struct ifmon *m);
/* Replaces the monitored set (a diff: an unchanged name keeps its state, no report). 0 or
 * -EINVAL (more than IFMON_MAX, empty name). */
int ifmon_update(struct ifmon *m, const struct ifmon_cfg *cfg, size_t n);
/* Starts the platform monitor (initial resync). 0 or -errno. */
int ifmon_start(struct ifmon *m);
/* Feeds one link report (what the platform monitor calls; tests call it directly). */
void ifmon_link(struct ifmon *m, enum plat_ev ev, const struct plat_link *l);
/* A resync: links not reported between begin and end are gone (down). */
void ifmon_resync_begin(struct ifmon *m);
void ifmon_resync_end(struct ifmon *m);
/* Current state of one name: 1 up, 0 down, -1 not monitored. */
int ifmon_state(const struct ifmon *m, const char *name);
/* Rows in configuration order; returns the number of rows. */
size_t ifmon_status(const struct ifmon *m, struct ifmon_status *out, size_t max);
/* The up/down rule on one link (pure). */
bool ifmon_link_up(const struct plat_link *l);

#endif
