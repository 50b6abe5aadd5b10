/*
 * Next-hop sets and the kernel's nexthop objects.
 *
 *  - nhset: interned, reference-counted, immutable arrays of rib_nh. Every
 *    route's configured and resolved next hops, and the FIB's installed and
 *    wanted ones, point into one of these, so a million routes through one
 *    gateway share one copy, compare by pointer, resolve once (rib.c) and
 *    use one kernel nexthop object (fib.c).
 *  - Pure encoders of the rtnetlink requests the FIB sends (RTM_NEWNEXTHOP,
 *    RTM_DELNEXTHOP, RTM_NEWROUTE / RTM_DELROUTE with RTA_NH_ID or inline
 *    RTA_GATEWAY / RTA_MULTIPATH) and a parser of RTM_NEWNEXTHOP dumps.
 *    libnl 3.7 has no nexthop API (notes §11.4), so these are built by hand;
 *    layouts from include/uapi/linux/nexthop.h and rtnetlink.h.
 *  - nlw: a NETLINK_ROUTE socket that sends many requests per sendmsg and
 *    reads the answers in bulk: only the last request of a datagram asks for
 *    an ack, failures come back as NLMSG_ERROR anyway (netlink(7)), so a
 *    datagram costs one ack instead of one per request.
 */
#ifndef KEEL_RIBD_NHOBJ_H
#define KEEL_RIBD_NHOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemons/ribd/rib.h"

/* Kernel nexthop ids keel owns: 0x6b000000-0x6bffffff ('k'). Objects of
 * FIB_RTPROT in this range are ours; a restart adopts or sweeps them. */
#define NHOBJ_ID_BASE 0x6b000000u
#define NHOBJ_ID_LAST 0x6bffffffu

/* ------------------------------------------------------------ sets */

enum nhset_kstate {
	NHSET_K_NONE,  /* no kernel object */
	NHSET_K_IN,    /* the kernel holds object kid */
	NHSET_K_STALE, /* found at start (kid), not yet used again */
};

struct nhset {
	struct nhset *hnext; /* hash chain */
	struct nhset *lnext; /* scratch list (fib.c) */
	uint32_t hash;
	uint32_t refs;
	/* Kernel object state, used by the FIB only. */
	uint32_t kid;
	uint32_t krefs; /* installed FIB routes and groups using the object */
	uint32_t kdrop; /* fib_flush: installed routes leaving it in this flush */
	uint32_t kput;  /* fib_flush: references to drop once the batch is done */
	uint8_t kstate; /* enum nhset_kstate */
	bool kgone;     /* its device went down: the kernel flushed it (a single) or
	                 * dropped a member (a group: re-sent before reuse) */
	bool kjoin;     /* fib_flush: a route starts using it in this flush */
	bool kbulk;     /* fib_flush: every user leaves; deleting it withdraws them */
	uint8_t n;
	struct rib_nh nh[];
};

/*
 * Returns the interned copy of nh[0..n) (one more reference), or NULL for
 * n == 0 or out of memory (*err = -ENOMEM then, else 0). The order matters:
 * callers sort first when the order carries no meaning.
 */
const struct rib_nh *nhset_get(const struct rib_nh *nh, size_t n, int *err);
/* Another reference to an interned array (NULL is fine). */
const struct rib_nh *nhset_ref(const struct rib_nh *nh);
/* Drops one reference (NULL is fine). */
void nhset_put(const struct rib_nh *nh);
/* The set an interned array belongs to. */
struct nhset *nhset_of(const struct rib_nh *nh);
/* Sets alive, and their bytes (memory accounting). */
size_t nhset_count(void);
size_t nhset_memory(void);
/* Calls fn for every set (no changes to the table meanwhile). */
void nhset_foreach(void (*fn)(void *arg, struct nhset *s), void *arg);

/* ------------------------------------------------------------ codecs */

/* What the FIB asks for: one route, to be sent with a nexthop id or inline. */
struct nhobj_route {
	const struct plat_prefix *pfx;
	uint8_t protocol;
	uint8_t type; /* RTN_* */
	uint32_t priority;
	uint32_t nhid; /* nonzero: RTA_NH_ID, nh ignored */
	size_t n_nh;
	const struct rib_nh *nh;
};

/*
 * Each writes one complete request (header included) into buf and returns
 * its length, or -ENOSPC when it does not fit in cap. flags are NLM_F_*
 * (NLM_F_REQUEST is always set). Pure.
 */
ssize_t nhobj_enc_route(uint8_t *buf, size_t cap, uint16_t msgtype, uint16_t flags, uint32_t seq,
                        const struct nhobj_route *r);
/* A single nexthop: gateway (family 0: none) out of ifindex. */
ssize_t nhobj_enc_nexthop(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                          uint8_t protocol, const struct rib_nh *nh);
/* A blackhole nexthop (the start-up probe). */
ssize_t nhobj_enc_blackhole(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                            uint8_t protocol);
/* A multipath group of existing nexthops, each weight 1. */
ssize_t nhobj_enc_group(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                        uint8_t protocol, const uint32_t *ids, size_t n);
ssize_t nhobj_enc_delnexthop(uint8_t *buf, size_t cap, uint32_t seq, uint32_t id);
/* RTM_GETNEXTHOP dump request. */
ssize_t nhobj_enc_dump(uint8_t *buf, size_t cap, uint32_t seq);

/* A nexthop object as the kernel reports it. */
struct nhobj_kern {
	uint32_t id;
	uint8_t protocol;
	uint8_t family;
	bool blackhole;
	bool is_group;
	struct rib_nh nh; /* single: gateway (family 0 if none) and ifindex */
	size_t n_group;   /* group members, up to RIB_MAX_NH */
	uint32_t group[RIB_MAX_NH];
};

/* Parses one RTM_NEWNEXTHOP message (header included, len bytes). 0, or
 * -EINVAL when it is malformed or not a nexthop message. Pure. */
int nhobj_parse(const uint8_t *buf, size_t len, struct nhobj_kern *out);

/* ------------------------------------------------------------ socket */

/* Called for each failed request of a batch, by its index in the batch. */
typedef void (*nlw_err_fn)(void *arg, size_t index, int err, const char *msg);

struct nlw;

/* Opens a NETLINK_ROUTE socket with large buffers. NULL (errno) on failure. */
struct nlw *nlw_open(void);
void nlw_close(struct nlw *w);
/*
 * Reserves room for the next request of the batch (at most `len` bytes)
 * and returns where to encode it, with *seq its sequence number; then
 * nlw_push(w, used) takes it. The batch is sent in datagrams of up to
 * NLW_DGRAM bytes as it fills, so a batch has no size limit.
 */
uint8_t *nlw_reserve(struct nlw *w, size_t len, uint32_t *seq);
int nlw_push(struct nlw *w, size_t used);
/* Sends what is left and waits for every answer; failures go to fn. Returns
 * the number of failed requests, or -errno when the socket failed (then the
 * outcome of requests without an answer is unknown). Starts a new batch. */
int nlw_commit(struct nlw *w, nlw_err_fn fn, void *arg);
/* Requests queued in the current batch so far. */
size_t nlw_pending(const struct nlw *w);
/* Dumps nexthop objects; fn gets each parsed one. 0 or -errno. */
int nlw_dump_nexthops(struct nlw *w, void (*fn)(void *arg, const struct nhobj_kern *k), void *arg);
/* Counters. */
uint64_t nlw_datagrams(const struct nlw *w);

#define NLW_DGRAM (256 * 1024)

#endif
