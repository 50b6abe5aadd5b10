/*
 * The FIB: keeps the kernel's main table in step with the RIB's active
 * routes, in batches: its own NETLINK_ROUTE socket (nhobj.c) sends
 * thousands of requests per sendmsg and reads one ack per datagram.
 *
 * ribd's routes carry rtm_protocol FIB_RTPROT (200: not 186, which is RTPROT_BGP and FRR bgpd's,
 * nor 187-197, FRR's other daemons (rt_protos.d/frr.conf)), so they are told apart from every
 * other program's. Only routes of protocols the kernel does not already hold
 * are installed: static (and later ones); direct and local routes are the
 * kernel's own, kernel routes belong to someone else. A destination that also
 * has a route from another program is left to that program (replacing it
 * would touch a route we must never touch).
 *
 * Restart without flap: routes of FIB_RTPROT already in the kernel are
 * recorded as stale (fib_kernel_seen), kept while config and interfaces
 * load, adopted as they are when the RIB wants them unchanged (no kernel
 * operation at all), replaced when it wants them changed, and only the ones
 * still stale at fib_sweep() are deleted. Nexthop objects of ours (ids in
 * NHOBJ_ID_BASE..NHOBJ_ID_LAST, protocol FIB_RTPROT) are loaded at start,
 * reused by content (so an adopted route keeps its object) and the unused
 * ones swept with the routes.
 *
 * Next hops (fib_mode): shared kernel nexthop objects when the kernel takes
 * them (probed at start): one object per resolved next-hop set, a group of
 * singles for ECMP, routes pointing at it with RTA_NH_ID, so a million routes
 * through one gateway are one object and withdrawing them all is one
 * RTM_DELNEXTHOP; otherwise inline RTA_GATEWAY / RTA_MULTIPATH.
 */
#ifndef KEEL_RIBD_FIB_H
#define KEEL_RIBD_FIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/ribd/rib.h"
#include "platform/platform.h"

#define FIB_RTPROT 200

/* One route as the FIB holds it (installed or wanted). */
struct fib_route {
	const struct rib_nh *nh; /* an interned set (nhobj.h), sorted like the RIB's */
	uint32_t priority;       /* kernel metric: the route's preference (the YANG says so) */
	uint8_t type;            /* enum rib_type */
	uint8_t n_nh;
};

/* Laid out to take 80 bytes: a FIB of a million routes is 80 MB of these. */
struct fib_entry {
	struct plat_prefix pfx;
	bool installed, wanted, stale, queued, failed;
	bool have_obj;         /* the kernel route uses have.nh's nexthop object */
	uint32_t gen;          /* resync generation that last saw it in the kernel */
	struct fib_route have; /* in the kernel (valid if installed) */
	struct fib_route want; /* valid if wanted */
	struct fib_entry *queue_next;
	struct fib_entry *hnext; /* in the FIB's hash of prefixes */
};

struct fib_stats {
	size_t installed, stale, queued;
	uint64_t adds, replaces, deletes, adopted, errors, batches;
	uint64_t nh_adds, nh_deletes, datagrams, bulk_withdrawn;
};

/* How routes reach the kernel (decided at fib_new by probing). */
enum fib_mode {
	FIB_MODE_PLAT,   /* through the platform layer (a non-Linux platform, tests) */
	FIB_MODE_INLINE, /* own netlink socket, next hops inline (RTA_MULTIPATH) */
	FIB_MODE_NHOBJ,  /* own netlink socket, shared kernel nexthop objects (RTA_NH_ID) */
};
const char *fib_mode_name(enum fib_mode m);

struct fib;

/*
 * protocol: the rtm_protocol to install with and to recognise as ours.
 * With the "linux" platform the FIB opens its own netlink socket, probes
 * whether the kernel takes nexthop objects (a blackhole object in keel's id
 * range, added and deleted) and loads the objects of ours already there
 * (a restart adopts them like routes). KEEL_RIBD_NHOBJ=0 in the environment
 * forces inline next hops.
 */
struct fib *fib_new(struct plat *p, uint8_t protocol);
enum fib_mode fib_mode(const struct fib *f);
/* A link went down: the kernel has flushed nexthop objects (and the routes
 * using them) through it; later deletes of those routes are not sent. */
void fib_link_down(struct fib *f, int ifindex);
/* Bytes held by the FIB's entries and tries (not the shared next-hop sets). */
size_t fib_memory(const struct fib *f);
void fib_free(struct fib *f);

/* A kernel route of ours found at start or reported by the monitor. */
void fib_kernel_seen(struct fib *f, const struct plat_route *r);
/* One of ours vanished from the kernel (someone deleted it, or its
 * interface went down): reinstalled at the next flush if still wanted. */
void fib_kernel_gone(struct fib *f, const struct plat_route *r);
/* Resync after lost notifications: fib_kernel_seen is called for each of
 * our routes in between; an installed route not seen is reinstalled. */
void fib_resync_begin(struct fib *f);
void fib_resync_end(struct fib *f);
/* The RIB's change callback (rib_change_fn): queues the destination. */
void fib_rib_changed(void *arg, const struct rib_dest *d);
/* Sends every queued change in one batch. Returns the failures (>= 0) or -errno. */
int fib_flush(struct fib *f);
/* Deletes the stale routes nobody re-added since start. Returns how many. */
int fib_sweep(struct fib *f);
bool fib_swept(const struct fib *f);

/* Entries of one family in prefix order (installed or wanted). */
typedef int (*fib_walk_fn)(void *arg, const struct fib_entry *e);
int fib_walk(const struct fib *f, int family, fib_walk_fn fn, void *arg);
void fib_get_stats(const struct fib *f, struct fib_stats *out);

/* The plat_route for a FIB route (pure; exported for the tests). */
void fib_to_plat(const struct plat_prefix *pfx, const struct fib_route *r, uint8_t protocol,
                 struct plat_route *out);

#endif
