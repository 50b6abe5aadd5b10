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
/* The RIB whose destinations hold the FIB's state (rib.h: struct rib_dest,
 * fib_*): a route in the kernel costs no second prefix or index. Call before
 * the first change; the RIB outlives the FIB's use of it. */
void fib_attach(struct fib *f, struct rib *r);
enum fib_mode fib_mode(const struct fib *f);
/* A link went down: the kernel has flushed nexthop objects (and the routes
 * using them) through it; later deletes of those routes are not sent. */
void fib_link_down(struct fib *f, int ifindex);
/* Bytes the FIB holds itself (its per-prefix state is in the RIB's destinations). */
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

/* What the FIB wants in the kernel for d (from its active route): true and
 * *out, or false (nothing of ours). out->nh is the RIB's, not referenced. */
bool fib_want(const struct rib_dest *d, struct fib_route *out);
/* Destinations of one family in prefix order that are installed or wanted. */
typedef int (*fib_walk_fn)(void *arg, const struct rib_dest *d);
int fib_walk(const struct fib *f, int family, fib_walk_fn fn, void *arg);
void fib_get_stats(const struct fib *f, struct fib_stats *out);

/* The plat_route for a FIB route (pure; exported for the tests). */
void fib_to_plat(const struct plat_prefix *pfx, const struct fib_route *r, uint8_t protocol,
                 struct plat_route *out);

#endif
