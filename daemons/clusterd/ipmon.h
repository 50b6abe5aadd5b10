/*
 * clusterd IP monitoring (Junos `redundancy-group N ip-monitoring`, shared notes cluster.md §5).
 *
 * Per RG, a list of IPv4 targets, each with a weight, the interface to ping through (rethX.Y)
 * and the secondary-ip-address. Every retry-interval seconds each target gets one ICMP echo:
 *  - on the RG's primary node from the reth (its virtual MAC, its address in the target's
 *    subnet),
 *  - on the other node from the reth's child link (its own MAC) with secondary-ip-address as
 *    the source, because there the reth is down and holds no address.
 * The frames are built and read on an AF_PACKET socket (garp.c codecs), with our own ARP for
 * the target, so that the secondary needs no address on the child and the kernel's routing
 * never picks the source. A target is unreachable after retry-count consecutive probes without
 * a reply, reachable again after one reply; every change goes to the callback, which the core
 * forwards to rg_engine_ip_state(). The weights and the failover rule are the engine's.
 *
 *     m = ipmon_new(base, reths, on_ip, core);     // reths: the reth table (reth.h)
 *     ipmon_update(m, cfgs, n, err, sizeof(err));  // every commit (a diff)
 *     ipmon_set_role(m, rg, primary);              // on RG_ACT_PRIMARY / RG_ACT_RELEASE
 *     ipmon_status(m, rows, max);                  // show chassis cluster ip-monitoring status
 */
#ifndef KEEL_CLUSTERD_IPMON_H
#define KEEL_CLUSTERD_IPMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "daemons/clusterd/reth.h"
#include "daemons/clusterd/rg.h"

#define IPMON_RETRY_INTERVAL_DEF 1  /* s, 1..30 */
#define IPMON_RETRY_COUNT_DEF    5  /* 5..15 */
#define IPMON_MAX_RG             32 /* RGs with ip-monitoring */

struct ipmon_target_cfg {
	uint32_t addr; /* IPv4, network byte order */
	uint8_t weight;
	char iface[RETH_NAMSIZ]; /* "reth0" or "reth0.0" (unit 0 only) */
	uint32_t secondary_ip;   /* secondary-ip-address, network byte order; 0 = none: the
	                          * secondary does not probe this target (state stays Unknown) */
};

struct ipmon_rg_cfg {
	uint8_t rg;
	uint32_t retry_interval_s; /* 0 = default 1 */
	uint8_t retry_count;       /* 0 = default 5 */
	uint8_t n_target;
	struct ipmon_target_cfg target[RG_MAX_IPMON];
};

/* The reachability counter of one target (pure; unit-tested). */
struct ipmon_counter {
	enum rg_ip_state state;
	unsigned fails; /* consecutive probes without a reply */
};

/*
 * One probe's outcome: replied = a reply came before the next probe was due. Unreachable after
 * retry_count consecutive failures (also from Unknown), reachable after one reply. Returns true
 * when c->state changed.
 */
bool ipmon_counter_step(struct ipmon_counter *c, bool replied, unsigned retry_count);

struct ipmon_status {
	uint8_t rg;
	uint32_t addr;
	uint8_t weight;
	char iface[RETH_NAMSIZ];
	uint32_t secondary_ip;
	enum rg_ip_state state;
	bool primary_role; /* probing as the RG's primary (from the reth address) */
	uint32_t source;   /* source address in use, 0 = none (not probing) */
	unsigned fails;    /* current consecutive failures */
	uint64_t sent, replies;
	double last_rtt_ms; /* of the last reply, 0 if none */
};

typedef void (*ipmon_fn)(void *arg, uint8_t rg, uint32_t addr, enum rg_ip_state st);

struct ipmon;

struct ipmon *ipmon_new(struct event_base *base, struct reth_table *reths, ipmon_fn fn, void *arg);
void ipmon_free(struct ipmon *m);
/*
 * Replaces the configuration as a diff: a target that stays keeps its counter and state;
 * changed retry settings apply from the next probe. 0, or -1 with err (nothing applied).
 */
int ipmon_update(struct ipmon *m, const struct ipmon_rg_cfg *cfg, size_t n, char *err,
                 size_t errlen);
/* The RG's role here; a change re-resolves the targets' MACs and restarts probing at once. */
void ipmon_set_role(struct ipmon *m, uint8_t rg, bool primary);
/* Rows per target, by RG then configuration order; returns the number of targets. */
size_t ipmon_status(const struct ipmon *m, struct ipmon_status *out, size_t max);
const char *ipmon_state_name(enum rg_ip_state st); /* "Reachable", "Unreachable", "Unknown" */

#endif
