/*
 * clusterd — the chassis-cluster daemon (Junos jsrpd). Shared types.
 *
 *   packet.c   heartbeat / fabric-probe codec (pure, fuzzed); wire format at its top
 *   auth.c     heartbeat HMAC signing, verification, anti-replay (pure)
 *   rg.c       redundancy groups: election, weights, timers (pure logic:
 *              time and peer information come in as arguments)
 *   fsm.c      the RG state machine table (lib/fsm.h)
 *
 * Node identity comes from the chassis EEPROM (platform/chassis/chassis.h).
 * The shared notes' cluster.md holds the Junos facts this follows.
 */
#ifndef KEEL_CLUSTERD_H
#define KEEL_CLUSTERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_MAX_RG          129 /* redundancy groups 0..128; 0 = control plane */
#define CL_NODES           2
#define CL_WEIGHT_FULL     255 /* every RG starts at threshold 255 */
#define CL_PRIORITY_MIN    1
#define CL_PRIORITY_MAX    254
#define CL_HB_INTERVAL_DEF 1000 /* ms */
#define CL_HB_INTERVAL_MIN 10   /* ms; keel extension below Junos' 1000 */
#define CL_HB_INTERVAL_MAX 2000
#define CL_HB_THRESH_DEF   3
#define CL_HB_THRESH_MIN   3
#define CL_HB_THRESH_MAX   8
#define CL_GARP_DEF        4
#define CL_HOLD_DOWN_RG0   300 /* s */
#define CL_HOLD_DOWN_RGX   1   /* s */
#define CL_TCP_PORT        62845
#define CL_PROTO_CONTROL   250 /* IP protocol of heartbeats */
#define CL_PROTO_FABRIC    254 /* IP protocol of fabric probes */
#define CL_MCAST_CTL0      "224.255.255.250"
#define CL_MCAST_CTL1      "239.255.255.251"

/* Local RG states (the "Status" column for this node). */
enum rg_state {
	RG_STATE_HOLD, /* boot-time hold, before the first election */
	RG_STATE_SECONDARY,
	RG_STATE_PRIMARY,
	RG_STATE_SECONDARY_HOLD, /* old primary, until hold-down-interval expires */
	RG_STATE_INELIGIBLE,     /* may not become primary (weight 0, control link lost) */
	RG_STATE_DISABLED,       /* out of service (control link failure on the secondary) */
	RG_STATE_COUNT,
};

/* How the peer looks from here (its Status column adds these). */
enum rg_peer_state {
	RG_PEER_UNKNOWN, /* nothing heard yet: "unavailable" */
	RG_PEER_ALIVE,   /* heartbeats within the threshold: its advertised state counts */
	RG_PEER_LOST,    /* threshold heartbeats missed: "lost" */
};

/* Monitor-failure codes (Junos "Monitor-failures" column), as bits. */
enum cl_mon {
	CL_MON_CS = 1 << 0, /* Cold Sync */
	CL_MON_FL = 1 << 1, /* Fabric Connection */
	CL_MON_IF = 1 << 2, /* Interface */
	CL_MON_IP = 1 << 3, /* IP */
	CL_MON_CF = 1 << 4, /* Config Sync */
	CL_MON_CL = 1 << 5, /* Control link (keel: both control links down) */
	CL_MON_RE = 1 << 6, /* Relinquish (manual) */
	CL_MON_COUNT_BITS = 7,
};

/* Coldsync state of a node as advertised. */
enum cl_coldsync {
	CL_CS_NOT_STARTED,
	CL_CS_IN_PROGRESS,
	CL_CS_DONE,
	CL_CS_FAILED,
};

/* ------------------------------------------------------------------------------------------
 * Heartbeat / fabric-probe codec: packet.c (encode, decode; the wire format is documented at
 * the top of packet.c) and auth.c (HMAC-SHA256 signing, verification, anti-replay). All pure:
 * no I/O, no globals, no logging; every function returns an enum hb_err.
 *
 * Send:    hb_encode(&pkt, buf, sizeof(buf), &n);  hb_sign(&auth, buf, n, sizeof(buf), &n);
 * Receive: hb_decode(buf, n, &pkt);  hb_check_origin(&pkt, cluster_id, self_node);
 *          hb_verify(&auth, &peer_replay, buf, n, &pkt, &live);
 * Count every non-HB_OK result per enum hb_err; refresh the peer's liveness only when
 * hb_verify() returned HB_OK and set live (DESIGN.md §3 Cluster: a forged or replayed packet
 * never refreshes liveness).
 */

/* One RG as a node advertises it in every heartbeat. */
struct hb_rg {
	uint8_t id;        /* 0..128 */
	uint8_t priority;  /* 1..254 configured for the sender */
	uint8_t state;     /* enum rg_state of the sender */
	uint8_t weight;    /* current threshold weight 0..255 */
	uint16_t mon_fail; /* enum cl_mon bits */
	uint8_t flags;     /* HB_RG_F_* */
	uint8_t reserved;  /* sent as 0, ignored on receive */
};

#define HB_RG_F_MANUAL  0x01 /* primary by manual failover */
#define HB_RG_F_PREEMPT 0x02 /* preempt configured */
#define HB_RG_F_RESET   0x04 /* sender reset the manual failover that made the receiver primary */

enum hb_type {
	HB_TYPE_CONTROL = 1, /* heartbeat on a control link */
	HB_TYPE_FABRIC = 2,  /* probe on the fabric link */
};

#define HB_MAGIC    0xdead
#define HB_VERSION  1
#define HB_HMAC_LEN 32
#define HB_HDR_LEN  8    /* fixed header */
#define HB_PKT_MAX  1158 /* the largest packet hb_encode + hb_sign produce (129 RGs, signed) */

/* TLV types (packet.c's header comment is the spec). */
enum hb_tlv {
	HB_TLV_TIME = 1,     /* send_time_us u64, boot_time_ms u64 */
	HB_TLV_SEQ = 2,      /* u64 */
	HB_TLV_FLAGS = 3,    /* u16 HB_F_* */
	HB_TLV_COLDSYNC = 4, /* u8 enum cl_coldsync */
	HB_TLV_LINK = 5,     /* u8 control link 0/1 */
	HB_TLV_ECHO = 6,     /* u64 the receiver's session id */
	HB_TLV_RG = 7,       /* u8 count, u8 entry size, entries */
	HB_TLV_AUTH = 8,     /* u64 session id, u64 counter, HMAC-SHA256; always last */
	HB_TLV_MAX = HB_TLV_AUTH,
};

#define HB_TLV_HDR_LEN  4                     /* u16 type, u16 value length */
#define HB_RG_ENTRY_LEN 8                     /* struct hb_rg on the wire (version 1) */
#define HB_AUTH_LEN     (8 + 8 + HB_HMAC_LEN) /* HB_TLV_AUTH value */

/* A decoded heartbeat / probe. */
struct hb_pkt {
	uint8_t type; /* enum hb_type */
	uint8_t version;
	uint8_t cluster_id;    /* 1..255 */
	uint8_t node_id;       /* 0..1 */
	uint8_t link;          /* control link 0/1 it was sent on; 0 for fabric */
	uint8_t coldsync;      /* enum cl_coldsync of the sender */
	uint16_t flags;        /* HB_F_* */
	uint64_t seq;          /* shared by heartbeats and probes of one sender */
	uint64_t send_time_us; /* sender's CLOCK_MONOTONIC, for RTT/jitter stats only */
	uint64_t boot_time_ms; /* sender's start time (wall ms): tells a restart; must grow per boot
	                        */
	uint64_t echo_session; /* the receiver's session id as the sender last verified it; 0: none
	                        */
	uint64_t session_id;   /* per-boot random (decode: from the auth TLV; 0 when unsigned) */
	uint64_t counter;      /* 64-bit authenticated counter (anti-replay) */
	uint8_t n_rg;
	struct hb_rg rg[CL_MAX_RG];
	bool has_hmac;
	uint8_t hmac[HB_HMAC_LEN];
	size_t hmac_off; /* decode: offset of the HMAC value (what it covers ends here) */
};

#define HB_F_CTL0_UP   0x0001 /* sender hears us on control link 0 */
#define HB_F_CTL1_UP   0x0002 /* ... on control link 1 */
#define HB_F_FAB_UP    0x0004 /* sender hears our probes */
#define HB_F_DISABLED  0x0008 /* sender is disabled (control-link failure) */
#define HB_F_ACTIVE_OK 0x0010 /* sender reaches its activeness probe */

/* Why a packet was not accepted (count per value), or why encoding failed. */
enum hb_err {
	HB_OK = 0,
	HB_ERR_SHORT,           /* truncated: shorter than the header, or a TLV runs past the end */
	HB_ERR_LENGTH,          /* header total length != datagram length (or > 65535) */
	HB_ERR_MAGIC,           /* not 0xdead */
	HB_ERR_VERSION,         /* not HB_VERSION */
	HB_ERR_TYPE,            /* packet type neither control nor fabric */
	HB_ERR_HEADER,          /* cluster id 0 or node id > 1 */
	HB_ERR_TLV,             /* known TLV with a wrong length or value, or TLV type 0 */
	HB_ERR_TLV_DUP,         /* a known TLV twice */
	HB_ERR_TLV_MISSING,     /* a mandatory TLV absent */
	HB_ERR_AUTH_POS,        /* bytes after the auth TLV (it must be last) */
	HB_ERR_RG,              /* RG list: id > 128, duplicate id, > 129 RGs, unknown state */
	HB_ERR_CLUSTER,         /* hb_check_origin: another cluster's packet */
	HB_ERR_NODE,            /* hb_check_origin: not from the peer (our own looped back) */
	HB_ERR_AUTH_MISSING,    /* we have a key, the packet is unsigned */
	HB_ERR_AUTH_UNEXPECTED, /* the packet is signed, we have no key */
	HB_ERR_HMAC,            /* wrong HMAC: other key, altered or forged */
	HB_ERR_REPLAY,          /* counter seen before or below the replay window */
	HB_ERR_SESSION, /* another session whose boot time is not newer: an old one replayed */
	HB_ERR_NOSPACE, /* encode/sign: output buffer too small */
	HB_ERR_INVAL,   /* encode/sign: invalid struct or arguments */
	HB_ERR_CRYPTO,  /* the HMAC computation failed */
	HB_ERR_COUNT,
};

/* This node's side of authentication: key, per-boot session id, send counter. */
struct hb_auth {
	struct crypto_hmac_ctx *hmac; /* keyed once (lib/crypto.h); NULL: no authentication-key */
	uint64_t session_id;          /* random per boot, never 0 */
	uint64_t counter;             /* last counter signed; the next packet carries counter + 1 */
};

/* Counters this far below the highest one seen may still arrive once (reordering between the
 * two control links and the fabric, which share one counter). */
#define HB_REPLAY_WINDOW 64

/* What this node remembers of one peer for anti-replay; zero-initialise, the caller owns it. */
struct hb_replay {
	bool valid;            /* a signed packet of the peer was accepted */
	bool fresh;            /* the session echoed our session id: it is newer than our boot */
	uint64_t session_id;   /* the peer's current session */
	uint64_t boot_time_ms; /* and its boot time */
	uint64_t top;          /* highest counter accepted in that session */
	uint64_t seen;         /* bit i set: counter top - i accepted */
	uint64_t fresh_from;   /* counter of the first packet that echoed our session id */
};

struct crypto_hmac_ctx;

const char *hb_err_name(enum hb_err e);
/* Unsigned packet into buf; *out_len its length. Validates p as hb_decode would. */
enum hb_err hb_encode(const struct hb_pkt *p, uint8_t *buf, size_t cap, size_t *out_len);
/* Parses and checks the format (not the HMAC: that is hb_verify). out is zeroed first. */
enum hb_err hb_decode(const uint8_t *buf, size_t len, struct hb_pkt *out);
/* The caller's identity checks, as a counted reason: our cluster, and from the other node. */
enum hb_err hb_check_origin(const struct hb_pkt *p, uint8_t cluster_id, uint8_t self_node);

/* key NULL / keylen 0: no authentication. session_id from crypto_random_u64(), not 0. */
enum hb_err hb_auth_init(struct hb_auth *a, const void *key, size_t keylen, uint64_t session_id);
void hb_auth_free(struct hb_auth *a);
/*
 * Appends the auth TLV to the hb_encode() output buf[0..len) (cap bytes available) with the
 * next counter and the HMAC; *out_len is the new length. Without a key: nothing appended.
 */
enum hb_err hb_sign(struct hb_auth *a, uint8_t *buf, size_t len, size_t cap, size_t *out_len);
/*
 * buf/len and p: a datagram and what hb_decode made of it. Checks the HMAC (constant time) and
 * the anti-replay rule (auth.c) against r, which changes only when HB_OK is returned. *live
 * (may be NULL): the packet proves the peer alive now, not only authentic (see auth.c).
 */
enum hb_err hb_verify(const struct hb_auth *a, struct hb_replay *r, const uint8_t *buf, size_t len,
                      const struct hb_pkt *p, bool *live);
/* What to put in hb_pkt.echo_session of our next packets to this peer. */
uint64_t hb_replay_echo(const struct hb_replay *r);

const char *rg_state_name(enum rg_state s);
/* Junos two-letter codes for the set bits, comma-separated ("CS,IF"), "None" when 0. */
const char *cl_mon_codes(uint16_t bits, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------
 * The daemon: main.c (start-up, the two op tables), cluster.c (the glue object: engine,
 * links, actions), io.c (sockets, timers), config.c, ctl.c, coldsync.c, sensors.c.
 * The RG engine (rg.h) is reached through a pointer, so this header does not need rg.h
 * (rg.h includes this file).
 */
#include <netinet/in.h>

#include "lib/cfg.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "platform/chassis/chassis.h"
#include "platform/platform.h"

struct daemon;
struct json_object;
struct rg_engine;
struct rg_group_cfg;
struct rg_cluster_cfg;
struct rg_action;
struct sensor_bus;
struct reth_table;
struct ifmon;
struct ipmon;
struct active;

/* Debug flags (-D), bit i = 1 << i; "fsm" must stay RG_DEBUG_FSM (rg.h). */
#define CL_DEBUG_FSM        0x01
#define CL_DEBUG_IO         0x02
#define CL_DEBUG_CTL        0x04
#define CL_DEBUG_CONFIG     0x08

#define CL_IFNAMSIZ         16
#define CL_MAX_FAB_MEMBERS  8
#define CL_MAX_RETH         128
#define CL_MAX_RETH_MEMBERS 8
#define CL_MAX_RETH_ADDRS   16
#define CL_MAX_IPMON        64 /* == RG_MAX_IPMON (checked in config.c) */
#define CL_KEY_MAX          256
#define CL_MAX_PARTICIPANTS 32
#define CL_PART_NAME_LEN    32
#define CL_SENSOR_MS        10000 /* link statistics on the bus */

/*
 * Link-local IPv4 addresses clusterd gives the control and fabric ports (keel's choice;
 * README "Chassis cluster"): the testbed and a fresh box have none, raw IP needs a source, and
 * fabric probes are unicast. 169.254.<cluster-id>.<4 * slot + node + 1>/30, slot 0 and 1 the
 * control links, 2 the fabric: three point-to-point /30s per cluster, unique per cluster id.
 */
#define CL_LL_SLOT_FABRIC 2

enum cl_link_kind {
	CL_LINK_CONTROL,
	CL_LINK_FABRIC,
};

struct cl_link_stats {
	uint64_t sent, received; /* accepted from the peer */
	uint64_t errors;         /* every packet dropped before the engine */
	uint64_t auth_failures;  /* HB_ERR_HMAC / _AUTH_MISSING / _AUTH_UNEXPECTED */
	uint64_t replays;        /* HB_ERR_REPLAY / _SESSION */
	uint64_t duplicates;     /* same sequence number already taken from the other link */
	uint64_t not_live;       /* authentic, but the peer has not echoed our session yet */
	uint64_t send_errors;
	uint64_t slips; /* send ticks later than half an interval */
	uint64_t last_seq_sent, last_seq_received;
	uint64_t err[HB_ERR_COUNT]; /* drops by reason */
};

/* One control link or the fabric link: a raw socket bound to its device. */
struct cl_link {
	struct clusterd *cl;
	enum cl_link_kind kind;
	unsigned index;           /* control link 0/1; 0 for the fabric */
	char ifname[CL_IFNAMSIZ]; /* configured device, "" = not configured */
	int ifindex;              /* of the open socket, 0 = closed */
	int fd;
	struct event *ev;
	bool phys_up;         /* admin up and carrier */
	struct in_addr local; /* our link-local source */
	struct in_addr dst;   /* multicast group (control) or the peer's address (fabric) */
	struct cl_link_stats st;
};

struct cl_reth_cfg {
	char name[CL_IFNAMSIZ];
	uint8_t index; /* N of rethN */
	uint8_t rg;    /* 1..128 */
	uint8_t minimum_links;
	uint8_t n_members; /* child links named in the config (this node's, after groups) */
	char members[CL_MAX_RETH_MEMBERS][CL_IFNAMSIZ];
	uint8_t n_addrs; /* unit 0, family inet and inet6 */
	struct plat_prefix addrs[CL_MAX_RETH_ADDRS];
};

/* ip-monitoring details the engine does not need (for the pinger, ipmon.c). */
struct cl_ipmon_target {
	uint32_t addr; /* network byte order */
	uint8_t weight;
	char interface[CL_IFNAMSIZ + 11]; /* rethX.Y */
	uint32_t secondary;               /* secondary-ip-address, network byte order */
};

struct cl_ipmon_cfg {
	uint8_t rg;
	uint32_t retry_interval_s;
	uint8_t retry_count;
	uint8_t n;
	struct cl_ipmon_target t[CL_MAX_IPMON];
};

/* The clusterd part of the configuration (config.c parses it from mgd's JSON). */
struct cl_conf {
	bool cluster; /* `chassis cluster` present */
	uint32_t hb_interval_ms;
	uint8_t hb_threshold;
	bool control_link_recovery;
	uint8_t reth_count;
	bool ctl_cfg[2];
	char ctl_if[2][CL_IFNAMSIZ];
	uint8_t n_fab[CL_NODES]; /* fab0: node 0's fabric members, fab1: node 1's */
	char fab[CL_NODES][CL_MAX_FAB_MEMBERS][CL_IFNAMSIZ];
	char key[CL_KEY_MAX + 1];
	size_t keylen;
	size_t n_groups;
	struct rg_group_cfg *groups; /* sorted by id */
	struct cl_ipmon_cfg *ipmon;  /* parallel to groups */
	size_t n_reths;
	struct cl_reth_cfg *reths; /* sorted by index */
	/* activeness-probe (active.h); n_active 0: none */
	uint8_t n_active;
	uint32_t active_dest[4]; /* network byte order; ACTIVE_MAX_DEST */
	uint32_t active_interval_ms;
	uint8_t active_retry;
};

/* Coldsync participant states (the bitmap clusterd keeps per participant). */
enum cl_part_state {
	CL_PART_PREREQ, /* registered, waiting for a primary to sync from */
	CL_PART_IN_PROGRESS,
	CL_PART_DONE,
	CL_PART_FAILED,
	CL_PART_COUNT,
};

struct cl_participant {
	char name[CL_PART_NAME_LEN];
	uint8_t state;           /* enum cl_part_state */
	bool bulk;               /* clusterd relays its data between the nodes (relay.c) */
	uint64_t sent, received; /* transfers to / from the peer ("Services Synchronized") */
};

struct cl_cs {
	size_t n;
	struct cl_participant p[CL_MAX_PARTICIPANTS];
	uint8_t state; /* enum cl_coldsync, fed to the engine as the CS monitor */
	char path[512];
	char boot_id[40]; /* the kernel's boot id: a reboot forgets the bitmap */
};

/* LEDs (log only: Linux boxes have none; `show chassis cluster information` shows it). */
enum cl_led {
	CL_LED_OFF,
	CL_LED_GREEN, /* healthy member */
	CL_LED_AMBER, /* peer lost, monitor failure, ineligible */
	CL_LED_RED,   /* disabled */
};

struct clusterd;

/* Platform-dependent operations (main.c: the linux table). */
struct cl_pd_ops {
	const char *name;
	int (*link_get)(struct clusterd *cl, const char *ifname, struct plat_link *out);
	int (*link_set)(struct clusterd *cl, int ifindex, bool up);
	int (*addr_add)(struct clusterd *cl, int ifindex, const struct plat_prefix *p);
	int (*eeprom_read)(struct chassis_id *id, char *why, size_t whylen);
	int (*eeprom_write)(const struct chassis_id *id, char *why, size_t whylen);
	void (*led_set)(struct clusterd *cl, enum cl_led led, const char *reason);
};

/* Platform-independent operations (cluster.c / config.c implement them). */
struct cl_pi_ops {
	int (*config_validate)(struct clusterd *cl, struct json_object *cfg, char *err,
	                       size_t errlen);
	int (*config_change)(struct clusterd *cl, struct json_object *old, struct json_object *cfg,
	                     char *err, size_t errlen);
	void (*failover)(struct clusterd *cl, const struct rg_action *a);
	void (*if_msg)(struct clusterd *cl, enum plat_ev ev, const struct plat_link *l,
	               unsigned changes);
};

struct clusterd {
	struct daemon *d;
	const struct cl_pd_ops *pd;
	const struct cl_pi_ops *pi;
	struct chassis_id id;
	bool enabled; /* cluster id != 0 */
	char id_error[128];
	struct plat *plat;
	struct plat_monitor *mon;
	struct rg_engine *engine;
	bool engine_booted; /* boot hold restarted when the first groups were configured */
	struct cl_conf conf;
	struct reth_table *reths; /* reth.c (K2) */
	struct ifmon *ifmon;      /* ifmon.c */
	struct ipmon *ipmon;      /* ipmon.c */
	struct active *active;    /* active.c: the activeness probe */
	bool draining;

	struct hb_auth auth;
	struct hb_replay replay;
	uint64_t boot_time_ms; /* grows across restarts (io.c, the boot file) */
	uint64_t seq;          /* shared by heartbeats and probes */
	struct cl_link ctl[2];
	struct cl_link fab;
	struct timer hb_timer;
	struct timer detect_timer;
	uint64_t next_tick_us;
	uint64_t probes_dropped_ctl_down;

	uint8_t peer_seen;     /* enum rg_peer_state last announced */
	uint8_t peer_rg0;      /* the peer's RG0 state last announced (role changes) */
	bool peer_disabled;    /* HB_F_DISABLED last announced */
	bool disabled_seen;    /* this node's node_disabled last announced */
	uint64_t peer_boot_ms; /* the peer's boot time (wall) from its packets */
	enum cl_led led;
	const char *led_reason;

	struct cl_cs cs;
	struct cl_relay *relay; /* the TLS channel to the peer and the bulk relay (relay.c) */
	struct sensor_bus *bus;
	struct timer sensor_timer;
};

/* cluster.c */
extern const struct cl_pi_ops cl_pi_ops;
int cl_start(struct clusterd *cl);
void cl_stop(struct clusterd *cl);
/* After every engine input: actions to reths / events / log, peer and node changes. */
void cl_drain(struct clusterd *cl);
/* SIGWINCH: announce the current state again (events, sensors, reths). */
void cl_announce(struct clusterd *cl);
const char *cl_peer_state_name(uint8_t st);
/* The config's reths, interface monitors and IP targets to reth.c, ifmon.c, ipmon.c. */
int cl_subsystems_apply(struct clusterd *cl, char *err, size_t errlen);
/* RgNode.status of node `node` for group `rg`: this node's state, the peer's advertised
 * state, "lost" or "unavailable". */
const char *cl_node_status(const struct clusterd *cl, uint8_t rg, uint8_t node);

/* io.c */
/* 169.254.<cluster>.<4 * slot + node + 1>; slot 0/1 control links, 2 fabric. */
struct in_addr cl_link_addr(uint8_t cluster_id, unsigned slot, uint8_t node);
/* Opens, reopens or closes each link's socket to match the config and the devices. */
void cl_io_reconcile(struct clusterd *cl);
void cl_io_link_event(struct clusterd *cl, enum plat_ev ev, const struct plat_link *l);
/* After a monitor resync: every open socket still on the device of its name? */
void cl_io_verify(struct clusterd *cl);
void cl_io_close_all(struct clusterd *cl);
/* (Re)arms the heartbeat timer for the configured interval. */
void cl_io_rearm(struct clusterd *cl);
void cl_io_clear_stats(struct clusterd *cl);
/* max(now, last + 1) kept in $KEEL_ROOT/var/lib/keel/clusterd.boot (auth.c's rule). */
uint64_t cl_io_boot_time(void);

/* config.c */
extern const struct cfg_ops cl_cfg_ops;
int cl_conf_parse(struct json_object *cfg, struct cl_conf *out, char *err, size_t errlen);
void cl_conf_free(struct cl_conf *c);
/* The engine's view of c (groups point into c). */
void cl_conf_rg(const struct cl_conf *c, struct rg_cluster_cfg *out);
const struct cl_reth_cfg *cl_conf_reth(const struct cl_conf *c, const char *name);
int cl_config_validate(struct clusterd *cl, struct json_object *cfg, char *err, size_t errlen);
int cl_config_change(struct clusterd *cl, struct json_object *old, struct json_object *cfg,
                     char *err, size_t errlen);

/* ctl.c */
extern const struct ctl_method cl_ctl_methods[];
extern const size_t cl_ctl_n_methods;
void cl_ctl_rg_event(struct clusterd *cl, const struct rg_action *a);
void cl_ctl_peer_event(struct clusterd *cl, const char *state);
/* "coldsync.start" to the participants' subscriptions. */
void cl_ctl_coldsync_start(struct clusterd *cl, const char *participant);

/* coldsync.c */
void cl_cs_init(struct cl_cs *cs, const char *path, const char *boot_id);
int cl_cs_load(struct cl_cs *cs);
int cl_cs_save(const struct cl_cs *cs);
/* 0, or -1 with err (table full, bad name). Re-registering keeps the state. */
int cl_cs_register(struct cl_cs *cs, const char *name, char *err, size_t errlen);
int cl_cs_done(struct cl_cs *cs, const char *name, bool ok, char *err, size_t errlen);
/* Every PREREQ participant starts; returns how many. */
size_t cl_cs_start(struct cl_cs *cs);
/* Back to PREREQ (rejoin after a control-link recovery). */
void cl_cs_reset(struct cl_cs *cs);
/* Everything done (or no participant): nothing to sync, we are the source. */
void cl_cs_complete(struct cl_cs *cs);
/* The node's enum cl_coldsync from the bitmap. */
uint8_t cl_cs_state(const struct cl_cs *cs);
/* The CS monitor weight: 255 until every participant is done, 0 after. */
uint8_t cl_cs_weight(const struct cl_cs *cs);
const char *cl_part_state_name(uint8_t st);
const char *cl_coldsync_name(uint8_t st);
/* Daemon glue: start when joining a primary peer, feed the engine, publish. */
void cl_coldsync_update(struct clusterd *cl);
struct cl_participant *cl_cs_find(struct cl_cs *cs, const char *name);

/* relay.c: the TLS channel to the peer's clusterd (sync.h) and the bulk participants' data
 * over it. The RG0 primary listens on TCP 62845 on its control-link addresses; the other
 * node connects while the peer is alive and RG0 primary. */
struct cl_relay_info {
	const char *state; /* "up", "connecting", "listening", "down" */
	const char *role;  /* "server", "client", "" */
	char cipher[64];
	char local[32], peer[32];
	uint64_t established, handshake_failures, protocol_errors, connect_failures;
	uint64_t frames_sent, frames_received, bytes_sent, bytes_received;
	bool keyed;
};
int cl_relay_start(struct clusterd *cl);
void cl_relay_stop(struct clusterd *cl);
/* After every drain: listen, connect or close to match the roles; request snapshots. */
void cl_relay_update(struct clusterd *cl);
/* A bulk participant registered (again): its ctl client. */
void cl_relay_participant(struct clusterd *cl, const char *name);
/* sync.notify: push the participant's state to the peer (now, or when the channel is up). */
int cl_relay_notify(struct clusterd *cl, const char *name, char *err, size_t errlen);
void cl_relay_get_info(const struct clusterd *cl, struct cl_relay_info *out);
bool cl_relay_up(const struct clusterd *cl);

/* sensors.c */
void cl_sensors_start(struct clusterd *cl);
void cl_sensors_state(struct clusterd *cl);
void cl_sensors_stop(struct clusterd *cl);

#endif
