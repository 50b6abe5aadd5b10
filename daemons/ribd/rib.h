/*
 * The routing information base: inet.0 and inet6.0, routes per destination
 * from several protocols, best-path selection by Junos preference, next-hop
 * resolution (connected gateways, recursive through any route with
 * `resolve`), ECMP. Pure logic: interface and address state come in as
 * calls, FIB changes go out through a callback; no I/O.
 *
 * Mutations select the best route of the touched destination at once;
 * next-hop resolution, which may depend on any other route, runs in
 * rib_run(), which the daemon calls once per batch of changes (an event
 * loop turn). rib_run() then reports each destination whose active route,
 * its resolved next hops, or its set of routes changed.
 */
#ifndef KEEL_RIBD_RIB_H
#define KEEL_RIBD_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"

#define RIB_MAX_NH PLAT_MAX_NEXTHOPS

/* In tie-break order: at equal preference the lower protocol wins. */
enum rib_proto {
	RIB_PROTO_DIRECT,
	RIB_PROTO_LOCAL,
	RIB_PROTO_STATIC,
	RIB_PROTO_KERNEL,
	RIB_PROTO_API, /* other programs through the bulk route API (api.c) */
	RIB_PROTO_COUNT,
};

enum rib_type {
	RIB_TYPE_UNICAST, /* forward to the next hops */
	RIB_TYPE_DISCARD, /* drop silently (RTN_BLACKHOLE) */
	RIB_TYPE_REJECT,  /* drop with ICMP unreachable (RTN_UNREACHABLE) */
};

/* "Direct", "Local", "Static", "Kernel" as Junos prints them. */
const char *rib_proto_name(enum rib_proto p);
const char *rib_type_name(enum rib_type t);
/* Junos default preferences (notes §11.2): direct 0, local 0, static 5, kernel 40;
 * API routes 20 unless the client says otherwise. */
uint32_t rib_proto_pref(enum rib_proto p);

/* A next hop as configured or learned. */
struct rib_nh {
	struct plat_ip gw; /* family 0: an interface route (ifindex set) */
	uint16_t track;    /* static: nonzero = usable only while rib_nh_usable_fn says so (BFD);
	                    * sits in padding, costs no memory */
	int ifindex;       /* 0: found by resolving gw */
};

struct rib_route_attr {
	enum rib_type type;
	uint32_t pref;
	uint32_t metric;
	bool resolve; /* static: the gateway may resolve through any route */
	size_t n_nh;
	const struct rib_nh *nh;
};

struct rib_dest;
struct rib_grp;

/*
 * Routes with the same configured next hops and resolution rules share a
 * resolution group (rib.c): it is resolved once for all of them, and only
 * when something it depends on changed. The group holds the configured and
 * the resolved next hops (interned sets, nhobj.h) for all its members, so a
 * route is 64 bytes: read its next hops with rib_route_nh / rib_route_res.
 */
struct rib_route {
	struct rib_route *next; /* in the destination's list */
	struct rib_dest *dest;
	struct rib_route *g_prev, *g_next; /* members of grp */
	struct rib_grp *grp; /* NULL: nothing to resolve (discard, reject, no next hop) */
	uint32_t since;      /* rib time (seconds) of the last change */
	uint32_t key;        /* distinguishes routes of one protocol: see rib_route_set */
	uint32_t pref, metric;
	uint32_t gen;  /* resync generation that last reported it (rib_resync_*) */
	uint8_t proto; /* enum rib_proto */
	uint8_t type;  /* enum rib_type */
	bool resolve;
	bool usable; /* has a resolved next hop (or is discard/reject) */
};

/* The route's configured next hops (*n of them; NULL and 0 without a group). */
const struct rib_nh *rib_route_nh(const struct rib_route *rt, size_t *n);
/* Its resolved next hops: what goes into the FIB, sorted, each with gw (or
 * family 0) and an ifindex. */
const struct rib_nh *rib_route_res(const struct rib_route *rt, size_t *n);

/* A route as the FIB holds it (fib.c). */
struct fib_route {
	const struct rib_nh *nh; /* an interned set (nhobj.h), sorted like the RIB's */
	uint32_t priority;       /* kernel metric: the route's preference (the YANG says so) */
	uint8_t type;            /* enum rib_type */
	uint8_t n_nh;
};

/* The FIB's state of a destination (fib.c), kept in the destination itself
 * so that a route in the kernel costs no second prefix, hash or trie. */
enum fib_flag {
	FIB_F_INSTALLED = 1 << 0, /* fib_have is in the kernel */
	FIB_F_STALE = 1 << 1,     /* found in the kernel at start, not re-added yet */
	FIB_F_QUEUED = 1 << 2,    /* on the FIB's queue */
	FIB_F_FAILED = 1 << 3,    /* the last install failed */
	FIB_F_HAVE_OBJ = 1 << 4,  /* the kernel route uses fib_have.nh's nexthop object */
	FIB_F_SEEN = 1 << 5,      /* reported by the kernel during a resync */
};
/* A destination the FIB still needs outlives its last route. */
#define FIB_F_HOLD (FIB_F_INSTALLED | FIB_F_STALE | FIB_F_QUEUED)

/* 48 bytes: the RIB's and the FIB's state of one prefix. */
struct rib_dest {
	struct plat_prefix pfx;
	bool dirty;                /* queued for the change callback */
	bool active;               /* the head of routes is the active route */
	uint8_t fib_flags;         /* enum fib_flag */
	struct rib_route *routes;  /* sorted: best candidate first */
	struct fib_route fib_have; /* in the kernel (valid if FIB_F_INSTALLED) */
};

/* The active route, NULL if none is usable. */
static inline struct rib_route *rib_dest_best(const struct rib_dest *d)
{
	return d->active ? d->routes : NULL;
}

/* Called from rib_run for each destination whose FIB-relevant state changed
 * (rib_dest_best(d) is the new active route or NULL). d is freed after it
 * returns if it has no routes left and the FIB does not hold it (FIB_F_HOLD). */
typedef void (*rib_change_fn)(void *arg, const struct rib_dest *d);

struct rib;

struct rib *rib_new(rib_change_fn fn, void *arg);
void rib_free(struct rib *r);
/* Seconds on the caller's clock (monotonic: 32 bits hold 136 years), stamped on
 * routes as they change. */
void rib_set_time(struct rib *r, int64_t now);

/*
 * Adds or replaces the route of `proto` with `key` at prefix p (host bits
 * are cleared). key: the ifindex for direct/local routes, the preference
 * for static routes (each preference of a prefix is its own route, as Junos
 * shows a qualified-next-hop with its own preference), the metric for kernel
 * routes. Setting identical attributes changes nothing. 0, -EINVAL or -ENOMEM.
 */
int rib_route_set(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key,
                  const struct rib_route_attr *a);
/* Removes it; 0, or -ENOENT. */
int rib_route_unset(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key);

/*
 * Tracked next hops (BFD-tracked statics, daemons/ribd/bfd.c): a static
 * route's configured next hop with a nonzero `track` is used only while
 * fn(arg, track) is true. When that answer changes, the tracker calls
 * rib_route_reeval for each route using the next hop (it keeps that index),
 * so a session going down costs only its own routes.
 */
typedef bool (*rib_nh_usable_fn)(void *arg, uint16_t track);
void rib_set_nh_usable(struct rib *r, rib_nh_usable_fn fn, void *arg);
/* Re-resolves one route at once and re-selects its destination; 0 or -ENOENT. */
int rib_route_reeval(struct rib *r, const struct plat_prefix *p, enum rib_proto proto,
                     uint32_t key);

/* Every route whose next hop carries this track id is re-resolved at the
 * next rib_run (one call per BFD session change instead of one per route). */
void rib_track_changed(struct rib *r, uint16_t track);

/* Interface state: a link that is down (or unknown) carries no direct or
 * local routes and no next hops. */
int rib_link_set(struct rib *r, int ifindex, bool up);
void rib_link_del(struct rib *r, int ifindex);
/* An interface address (a local address with its prefix length): gives a
 * Direct route to the subnet and a Local route to the address. */
int rib_addr_add(struct rib *r, int ifindex, const struct plat_prefix *addr);
void rib_addr_del(struct rib *r, int ifindex, const struct plat_prefix *addr);

/*
 * Resync after lost notifications (the monitor's mark and sweep): between
 * rib_resync_begin and rib_resync_end every link, address and kernel route
 * still there is reported again; rib_resync_end removes those that were not.
 * Static routes (config) are not touched.
 */
void rib_resync_begin(struct rib *r);
void rib_resync_end(struct rib *r);

/* Resolves next hops until nothing changes, then reports the changes. */
void rib_run(struct rib *r);

/* Lookups (family AF_INET or AF_INET6). */
const struct rib_dest *rib_exact(const struct rib *r, const struct plat_prefix *p);
/* Longest-matching destination with an active route. */
const struct rib_dest *rib_lookup(const struct rib *r, const struct plat_ip *ip);
/* Destinations inside p (p NULL or length 0: the whole table), in order. */
typedef int (*rib_walk_fn)(void *arg, const struct rib_dest *d);
int rib_walk(const struct rib *r, int family, const struct plat_prefix *p, rib_walk_fn fn,
             void *arg);

/*
 * The FIB keeps its state in the destinations: it finds or makes one for a
 * prefix (a route of ours in the kernel that the RIB does not have yet), gives
 * back one it no longer holds (freed if it has no routes), and walks them all,
 * those without routes included, in prefix order (fn may change only the
 * fib_* fields).
 */
struct rib_dest *rib_dest_find(struct rib *r, const struct plat_prefix *p, bool create);
void rib_dest_release(struct rib *r, struct rib_dest *d);
typedef int (*rib_dest_fn)(void *arg, struct rib_dest *d);
int rib_dest_walk(const struct rib *r, int family, rib_dest_fn fn, void *arg);

struct rib_stats {
	size_t dests, routes, active, hidden; /* hidden: not usable */
	size_t routes_by_proto[RIB_PROTO_COUNT], active_by_proto[RIB_PROTO_COUNT];
};
void rib_stats(const struct rib *r, int family, struct rib_stats *out);

/* Bytes the RIB holds (tries, destinations, routes, groups; not the shared
 * next-hop sets), and its counts. */
struct rib_mem {
	size_t bytes, dests, routes, groups;
};
void rib_memory(const struct rib *r, struct rib_mem *out);
/* Longest-prefix lookup of one IPv4 address on the inet.0 trie (benchmarks). */
const void *rib_lookup4(const struct rib *r, const uint8_t addr[4]);

#endif
