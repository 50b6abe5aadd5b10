/*
 * clusterd — the chassis-cluster daemon (Junos jsrpd). Shared types.
 *
 *   packet.c   heartbeat / fabric-probe codec (pure, fuzzed)
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

/* One RG as a node advertises it in every heartbeat. */
struct hb_rg {
	uint8_t id;        /* 0..128 */
	uint8_t priority;  /* 1..254 configured for the sender */
	uint8_t state;     /* enum rg_state of the sender */
	uint8_t weight;    /* current threshold weight 0..255 */
	uint16_t mon_fail; /* enum cl_mon bits */
	uint8_t flags;     /* HB_RG_F_* */
	uint8_t reserved;
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
	uint64_t boot_time_ms; /* sender's start time (wall ms): tells a restart */
	uint64_t session_id;   /* per-boot random */
	uint64_t counter;      /* 64-bit authenticated counter (anti-replay) */
	uint8_t n_rg;
	struct hb_rg rg[CL_MAX_RG];
	bool has_hmac;
	uint8_t hmac[HB_HMAC_LEN];
	size_t hmac_off; /* decode: offset of the HMAC TLV value (what it covers ends here) */
};

#define HB_F_CTL0_UP   0x0001 /* sender hears us on control link 0 */
#define HB_F_CTL1_UP   0x0002 /* ... on control link 1 */
#define HB_F_FAB_UP    0x0004 /* sender hears our probes */
#define HB_F_DISABLED  0x0008 /* sender is disabled (control-link failure) */
#define HB_F_ACTIVE_OK 0x0010 /* sender reaches its activeness probe */

const char *rg_state_name(enum rg_state s);
/* Junos two-letter codes for the set bits, comma-separated ("CS,IF"), "None" when 0. */
const char *cl_mon_codes(uint16_t bits, char *buf, size_t len);

#endif
