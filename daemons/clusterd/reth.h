/*
 * clusterd reth interfaces: redundant Ethernet parents with the cluster's virtual MAC.
 *
 *   reth.c   the reth table: one macvlan per reth on this node's child link, owning the
 *            virtual MAC; active (RG primary here) = admin up + addresses + GARP / NA bursts,
 *            inactive = admin down, no address, silent
 *   garp.c   Ethernet frame codecs (pure: bytes in, bytes out, no I/O): gratuitous ARP,
 *            unsolicited neighbour advertisement, ARP request / reply and ICMP echo for IP
 *            monitoring; plus garp_send() on an AF_PACKET socket
 *
 * How the daemon core drives it:
 *
 *     t = reth_table_new(plat, base);
 *     reth_table_update(t, cluster_id, cfgs, n, err, sizeof(err));  // every commit (a diff)
 *     // RG_ACT_PRIMARY: reth_table_set_rg(t, a.rg, true, a.garp_count);
 *     // RG_ACT_RELEASE: reth_table_set_rg(t, a.rg, false, 0);
 *     // healed dual primary / re-announce: reth_table_announce_rg(t, rg);
 *     reth_table_status(t, st, max);   // show chassis cluster interfaces
 *     reth_table_free(t);              // shutdown: every macvlan this table made is deleted
 *
 * The reth is a macvlan in private mode on the child link (see reth.c for why this mode).
 * Its MAC is 00:10:db:ff:XY:RR (DESIGN.md §3 Cluster; shared notes cluster.md §1): XY the
 * cluster id with its nibbles swapped, RR the reth index.
 */
#ifndef KEEL_CLUSTERD_RETH_H
#define KEEL_CLUSTERD_RETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "platform/platform.h"

#define RETH_MAX      128 /* reth0..reth127 (Junos reth-count up to 128) */
#define RETH_MAX_ADDR 16  /* addresses per reth (unit 0, inet + inet6) */
#define RETH_NAMSIZ   16  /* IFNAMSIZ */

/*
 * GARP pacing (shared notes cluster.md §6 gratuitous-arp-count, §12, keepalived's
 * vrrp_garp_master_delay/repeat): the first burst goes out at once on becoming primary, a
 * second identical burst RETH_GARP_REPEAT_MS later, because one burst may not move a switch's
 * MAC table or a host's cache (keepalived #166/#277/#1528). Inside a burst the count frames per
 * address go back to back ("at once", as Junos sends them); the burst is small (at most 16 per
 * address), below what switch broadcast limits act on (keepalived PR #108 is about
 * hundreds of VIPs).
 */
#define RETH_GARP_REPEAT_MS 1000
#define RETH_GARP_MAX       16  /* gratuitous-arp-count 1..16 */
#define RETH_GARP_DEF       4   /* its default (CL_GARP_DEF) */
#define RETH_MAX_RG         129 /* redundancy groups 0..128 (CL_MAX_RG) */

/* One reth as configured (what the core builds from the running config on every commit). */
struct reth_cfg {
	char name[RETH_NAMSIZ];  /* "reth0" */
	uint8_t index;           /* N of rethN: the RR octet of the MAC */
	uint8_t rg;              /* redundant-ether-options redundancy-group (1..128) */
	char child[RETH_NAMSIZ]; /* this node's child link (gigether-options redundant-parent);
	                          * "" = no child on this node: nothing is created */
	size_t n_addr;
	struct plat_prefix addr[RETH_MAX_ADDR]; /* unit 0 family inet / inet6 addresses */
};

/* One row of `show chassis cluster interfaces` (Redundant-ethernet Information) and more. */
struct reth_status {
	char name[RETH_NAMSIZ];
	char child[RETH_NAMSIZ];
	uint8_t index;
	uint8_t rg;
	uint8_t mac[6];
	bool present;    /* the macvlan exists in the kernel */
	bool active;     /* RG primary here: admin up with its addresses */
	bool up;         /* oper state up ("Status" column) */
	int ifindex;     /* 0 when not present */
	uint64_t garps;  /* gratuitous ARPs sent since it was created */
	uint64_t nas;    /* unsolicited NAs sent */
	uint64_t bursts; /* GARP/NA bursts sent */
	uint64_t errors; /* netlink or send failures */
};

struct reth;
struct reth_table;

/* The virtual MAC of reth `index` in cluster `cluster_id`: 00:10:db:ff:XY:RR. Pure. */
void reth_vmac(uint8_t cluster_id, uint8_t index, uint8_t mac[6]);

/* A table on this node. base drives the second GARP burst. NULL on failure (errno). */
struct reth_table *reth_table_new(struct plat *p, struct event_base *base);
/* Deletes every macvlan this table created, then frees it. */
void reth_table_free(struct reth_table *t);

/*
 * Applies the configured reths as a diff: a reth whose cfg did not change keeps its macvlan and
 * state (no flap); a changed child, index or cluster id recreates it; changed addresses are
 * added / removed in place (and announced when active); a reth no longer configured is deleted.
 * A new reth of an RG that is active here becomes active at once. A child link that does not
 * exist yet is retried on each call and on reth_table_refresh(). Returns 0, or -1 with err for
 * an invalid cfg (nothing applied): duplicate names, index > 127, name longer than IFNAMSIZ.
 */
int reth_table_update(struct reth_table *t, uint8_t cluster_id, const struct reth_cfg *cfg,
                      size_t n, char *err, size_t errlen);
/* Re-checks the kernel (child links that appeared, macvlans deleted under us) and repairs. */
void reth_table_refresh(struct reth_table *t);

/*
 * RG `rg` became primary here (active, with gratuitous-arp-count garp_count, 0 = default 4) or
 * not (inactive). Applies to every reth of the RG, also to ones configured later.
 * Returns 0 or the first -errno met (the others are still applied).
 */
int reth_table_set_rg(struct reth_table *t, uint8_t rg, bool active, unsigned garp_count);
/* Sends the GARP/NA bursts of every active reth of rg again (a healed dual primary). */
int reth_table_announce_rg(struct reth_table *t, uint8_t rg);

struct reth *reth_table_find(struct reth_table *t, const char *name);
/* Same as reth_table_set_rg for one reth. */
int reth_set_active(struct reth *r, bool active, unsigned garp_count);
/* Re-announce one active reth (two bursts, as on becoming primary); -EAGAIN when inactive. */
int reth_announce(struct reth *r);
void reth_get_status(const struct reth *r, struct reth_status *out);
/* The reth's first IPv4 address (network byte order) in the same subnet as `dst` if any, else
 * its first IPv4 address; 0 when it has none. For IP monitoring's source address. */
uint32_t reth_ipv4_source(const struct reth *r, uint32_t dst);

/* For ipmon: the reth's ifindex (0 = not present), virtual MAC, child link name, and whether
 * its RG is active here. */
int reth_ifindex(const struct reth *r);
const uint8_t *reth_mac(const struct reth *r);
const char *reth_child(const struct reth *r);
bool reth_is_active(const struct reth *r);

/* Fills up to max rows in configuration order; returns the number of reths. */
size_t reth_table_status(const struct reth_table *t, struct reth_status *out, size_t max);

/* ------------------------------------------------------------ garp.c: frame codecs (pure) */

#define GARP_ETH_HLEN  14
#define GARP_ARP_LEN   (GARP_ETH_HLEN + 28)      /* Ethernet + ARP for IPv4 */
#define GARP_NA_LEN    (GARP_ETH_HLEN + 40 + 32) /* Ethernet + IPv6 + NA with TLLA option */
#define GARP_FRAME_MAX 1514

/*
 * Gratuitous ARP, request form (RFC 5227 §3, RFC 826): broadcast, opcode 1, sender = target =
 * ip (network byte order), sender hardware = mac, target hardware 0. Returns the frame length
 * (GARP_ARP_LEN) or 0 when cap is too small.
 */
size_t garp_build_arp(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t ip);
/*
 * Unsolicited neighbour advertisement (RFC 4861 §7.2.6): from `target` to ff02::1, hop limit
 * 255, Override set, Solicited and Router clear, with the target link-layer address option.
 * Returns GARP_NA_LEN or 0.
 */
size_t garp_build_na(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t target[16]);
/* ARP request "who has tip, tell sip" from smac, broadcast. GARP_ARP_LEN or 0. */
size_t garp_build_arp_request(uint8_t *buf, size_t cap, const uint8_t smac[6], uint32_t sip,
                              uint32_t tip);
/*
 * Parses an ARP reply (opcode 2, Ethernet/IPv4) whose target protocol address is `my_ip`:
 * the sender's IP (network order) and MAC. 0, or -EINVAL for anything else or a short frame.
 */
int garp_parse_arp_reply(const uint8_t *buf, size_t len, uint32_t my_ip, uint32_t *sip,
                         uint8_t smac[6]);
/*
 * ICMP echo request (RFC 792) in IPv4 in Ethernet from smac/sip to dmac/dip with id, seq and
 * `payload_len` bytes of pattern; IP id = seq, TTL 64, DF. Returns the frame length or 0.
 */
size_t garp_build_echo(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                       uint32_t sip, uint32_t dip, uint16_t id, uint16_t seq, size_t payload_len);
/*
 * Parses an Ethernet frame holding an ICMP echo reply to `my_ip`: source IP, id, seq. Checks
 * the IPv4 header (version, IHL, total length, checksum, not a fragment) and the ICMP checksum.
 * 0, or -EINVAL.
 */
int garp_parse_echo_reply(const uint8_t *buf, size_t len, uint32_t my_ip, uint32_t *sip,
                          uint16_t *id, uint16_t *seq);
/* RFC 1071 Internet checksum over buf with a starting partial sum (host order). */
uint16_t garp_csum(const void *buf, size_t len, uint32_t sum);

/*
 * An AF_PACKET socket bound to ifindex (SOCK_RAW, ETH_P_ALL off: protocol 0, so it only
 * sends). -errno on failure. garp_send() writes one whole frame; 0 or -errno.
 */
int garp_socket(int ifindex);
int garp_send(int fd, int ifindex, const uint8_t *frame, size_t len);

#endif
