/*
 * clusterd activeness probe (keel-chassis.yang `chassis cluster activeness-probe`; the Junos
 * Multinode HA idea, shared notes cluster.md §10.6).
 *
 * When a node loses its peer on every control link and on the fabric it cannot tell a dead
 * peer from a cut. Junos lets the survivor take over, so a cut gives two primaries. With an
 * activeness probe each node pings one to four dest-ip addresses from its own addresses
 * (kernel routing, not the reths: the secondary holds no reth address and must still be able
 * to prove itself when the primary really died); the engine lets a node take over alone, or
 * stay primary alone, only while a target answers (rg.c rg_may_act_alone). On a cut, the node
 * on the side of the probe target keeps or takes the groups and the other one stays secondary
 * and silent: at most one primary.
 *
 * Probing follows IP monitoring's counter (ipmon_counter_step): every `interval` ms one ICMP
 * echo per target; a target is unreachable after retry-count consecutive probes without a
 * reply, reachable after one reply. The node reaches its probe while any target is reachable.
 * Echo frames are garp.c's codecs (the fuzzed ICMP builder and parser).
 *
 *     a = active_new(base, on_change, arg);
 *     active_update(a, &cfg, err, sizeof(err));   // every commit; n == 0 stops probing
 *     active_reachable(a);                        // the verdict on_change last reported
 */
#ifndef KEEL_CLUSTERD_ACTIVE_H
#define KEEL_CLUSTERD_ACTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define ACTIVE_MAX_DEST     4    /* keel-chassis.yang: dest-ip max-elements */
#define ACTIVE_INTERVAL_DEF 1000 /* ms, YANG default; range 100..10000 */
#define ACTIVE_RETRY_DEF    3    /* YANG default; range 1..10 */

struct active_cfg {
	uint8_t n;                      /* 0: no activeness probe */
	uint32_t dest[ACTIVE_MAX_DEST]; /* IPv4, network byte order */
	uint32_t interval_ms;           /* 0: the default */
	uint8_t retry_count;            /* 0: the default */
};

/* Per-target row for show commands and logs. */
struct active_status {
	uint32_t dest;
	int state; /* enum rg_ip_state */
	unsigned fails;
	uint64_t sent, replies;
};

typedef void (*active_fn)(void *arg, bool reachable);

struct active;

struct active *active_new(struct event_base *base, active_fn fn, void *arg);
void active_free(struct active *a);
/*
 * Replaces the configuration: targets that stay keep their counters; probing starts at once for
 * a new configuration and stops (socket closed) for none. 0, or -1 with err (nothing applied).
 */
int active_update(struct active *a, const struct active_cfg *cfg, char *err, size_t errlen);
bool active_reachable(const struct active *a);
size_t active_status(const struct active *a, struct active_status *out, size_t max);
/* True when any of n target states is RG_IP_REACHABLE (the node reaches its probe). Pure. */
bool active_verdict(const int *states, size_t n);
/* The ICMP echo of probe (id, seq) to dest: writes the ICMP message into buf and returns its
 * length, 0 when cap is too small. Pure. */
size_t active_build_echo(uint8_t *buf, size_t cap, uint32_t dest, uint16_t id, uint16_t seq);
/* An IPv4 datagram as a raw ICMP socket returns it: 0 and the reply's source, id and seq when
 * it is a valid echo reply, -EINVAL otherwise. Pure. */
int active_parse_reply(const uint8_t *dgram, size_t len, uint32_t *src, uint16_t *id,
                       uint16_t *seq);

#endif
