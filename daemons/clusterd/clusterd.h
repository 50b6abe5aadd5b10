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

#endif
