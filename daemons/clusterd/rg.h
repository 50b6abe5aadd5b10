/*
 * clusterd redundancy groups: the RG engine (Junos jsrpd's RG logic).
 *
 *   elect.c   rg_elect(): who should be primary, from both nodes' facts (pure)
 *   fsm.c     the RG state machine: transition table, names, reasons, entry/exit actions
 *   rg.c      the engine: config diff, heartbeat intake, peer liveness, control-link
 *             failure rule, weights and monitors, manual failover, preempt, hold-down,
 *             history, and what to advertise
 *
 * The engine is pure logic: no sockets, no timers, no clock reads. Every input
 * carries `now_ms` (CLOCK_MONOTONIC milliseconds, shared notes cluster.md §12:
 * a wall-clock step must never look like peer loss). The daemon calls
 * rg_engine_tick() at least once per heartbeat interval, feeds it decoded and
 * authenticated packets and monitor changes, drains rg_engine_next_action()
 * after every call (take over reths + send GARPs, release reths, state-change
 * events for the log and subscribers), and fills its outgoing heartbeats with
 * rg_engine_advertise().
 *
 * Both nodes run the same engine. Safety rests on three rules (argued in full
 * above rg_eval() in rg.c): a node takes a group over from a live peer only
 * when the peer advertises that it is not primary and that it hears us; a
 * primary hands a group over only to a peer that advertises `secondary`; and
 * a node in boot hold becomes primary alone only if it heard nothing from the
 * peer for the whole hold.
 */
#ifndef KEEL_CLUSTERD_RG_H
#define KEEL_CLUSTERD_RG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/clusterd/clusterd.h"
#include "lib/fsm.h"

#define RG_HISTORY_LEN       32 /* events kept per RG for `show chassis cluster information` */
#define RG_MAX_IFMON         32 /* interface monitors per RG */
#define RG_MAX_IPMON         64 /* IP monitoring targets per RG (SRX5k maximum, notes §5) */
#define RG_IFNAME_LEN        16 /* IFNAMSIZ */
#define RG_CLR_GOOD_HB       3  /* control-link-recovery: consecutive good heartbeats (notes §3) */
#define RG_ACT_QUEUE_LEN     1024
#define RG_PREEMPT_DELAY_DEF 1    /* s, chassis-edit-preempt.html */
#define RG_DEBUG_FSM         0x01 /* log_debugf() bit for transitions ("fsm" flag) */

/* RG state-machine events: each names the rule that produces it (see the table in fsm.c). */
enum rg_event {
	RG_EVT_HOLD_EXPIRED,      /* boot hold ran out without a word from the peer */
	RG_EVT_PEER_SEEN,         /* first packet from the peer during boot hold */
	RG_EVT_PEER_ABSENT,       /* after hold: no peer ever heard, we are alone */
	RG_EVT_PEER_LOST,         /* control and fabric silent for threshold x interval */
	RG_EVT_PEER_DISABLED,     /* peer advertises HB_F_DISABLED (control-link failure) */
	RG_EVT_ELECT_WIN,         /* fresh election (no primary): we win on priority / node id */
	RG_EVT_ELECT_LOSE,        /* both primary (healed split): the peer wins, we step down */
	RG_EVT_PEER_WEIGHT_ZERO,  /* peer's weight hit 0: we take over */
	RG_EVT_WEIGHT_ZERO,       /* our weight hit 0 (or both 0 and the peer wins) */
	RG_EVT_WEIGHT_OK,         /* our weight is back above 0 */
	RG_EVT_MANUAL_TO_US,      /* manual failover to this node */
	RG_EVT_MANUAL_TO_PEER,    /* manual failover to the peer */
	RG_EVT_PREEMPT_DUE,       /* we preempt a lower-priority primary */
	RG_EVT_PREEMPTED,         /* a higher-priority peer preempts us (after preempt delay) */
	RG_EVT_HOLD_DOWN_EXPIRED, /* secondary-hold's hold-down-interval ran out */
	RG_EVT_ACTIVENESS_LOST,   /* peer lost and the activeness probe target unreachable */
	RG_EVT_CTL_LINK_FAILED,   /* control link cut, peer alive on fabric, we are the secondary */
	RG_EVT_DISABLE,           /* ineligible -> disabled after the control-link failure */
	RG_EVT_CTL_LINK_RECOVERED, /* control-link-recovery: 3 good heartbeats while disabled */
	RG_EVT_COUNT,
};

/* Why rg_elect() chose its node (most decisive rule first). */
enum rg_elect_reason {
	RG_ELECT_NONE,      /* no usable node */
	RG_ELECT_ALONE,     /* the other node is not alive */
	RG_ELECT_DISABLED,  /* the other node is disabled */
	RG_ELECT_WEIGHT,    /* only the winner has weight > 0 */
	RG_ELECT_BOTH_ZERO, /* both weights 0: the lower node id (Junos) */
	RG_ELECT_MANUAL,    /* manual failover target / the other relinquishes */
	RG_ELECT_INCUMBENT, /* a running primary stays primary */
	RG_ELECT_PREEMPT,   /* preempt: the higher priority takes over from the primary */
	RG_ELECT_PRIORITY,  /* higher priority */
	RG_ELECT_NODE_ID,   /* equal priority: the lower node id */
};

/* One node as the election sees it. */
struct rg_elect_node {
	uint8_t node_id;
	uint8_t priority;
	uint8_t weight;  /* effective threshold 0..255 */
	uint8_t state;   /* enum rg_state */
	bool alive;      /* heard within the threshold (always true for the local node) */
	bool disabled;   /* out of service after a control-link failure */
	bool manual;     /* target of a manual failover */
	bool relinquish; /* a manual failover asked this node to hand the group over */
};

struct rg_elect_in {
	struct rg_elect_node n[CL_NODES];
	bool preempt; /* preempt configured and allowed (never on RG0) */
};

/*
 * Which of in->n[0], in->n[1] should be primary: 0, 1, or -1 when neither
 * can be. Symmetric: swapping the two nodes swaps the answer. Pure.
 */
int rg_elect(const struct rg_elect_in *in, enum rg_elect_reason *why);
const char *rg_elect_reason_name(enum rg_elect_reason r);

/* ------------------------------------------------------------ configuration */

struct rg_ifmon_cfg {
	char name[RG_IFNAME_LEN];
	uint8_t weight;
};

struct rg_ipmon_cfg {
	uint32_t addr; /* IPv4, network byte order */
	uint8_t weight;
};

struct rg_group_cfg {
	uint8_t id;                 /* 0..128 */
	uint8_t priority[CL_NODES]; /* per node, 1..254 */
	bool preempt;               /* ignored on RG0 (YANG refuses it there) */
	uint32_t preempt_delay_s;   /* 0: the default, 1 s */
	uint8_t preempt_limit;      /* 0: no limit */
	uint32_t preempt_period_s;  /* window for the limit */
	int32_t hold_down_s;        /* -1: default, RG0 300 s, others 1 s (YANG has none) */
	uint8_t garp_count;         /* 0: the default, 4 */
	uint8_t n_ifmon;
	struct rg_ifmon_cfg ifmon[RG_MAX_IFMON];
	uint8_t ip_global_weight;    /* YANG default 255 */
	uint8_t ip_global_threshold; /* YANG default 0 */
	uint8_t n_ipmon;
	struct rg_ipmon_cfg ipmon[RG_MAX_IPMON];
};

struct rg_cluster_cfg {
	uint32_t hb_interval_ms; /* 10..2000 */
	uint8_t hb_threshold;    /* 3..8 */
	bool control_link_recovery;
	bool activeness_probe; /* an activeness-probe target is configured */
	uint32_t boot_hold_ms; /* 0: 2 x threshold x interval */
	size_t n_groups;
	const struct rg_group_cfg *groups;
};

/* ------------------------------------------------------------ outputs */

enum rg_act_type {
	RG_ACT_PRIMARY, /* take over the group's reths, send garp_count GARPs / NAs */
	RG_ACT_RELEASE, /* release the group's reths (no address, send nothing) */
	RG_ACT_STATE,   /* state change: log "from->to, reason: ..." and notify subscribers */
	RG_ACT_REJOIN,  /* node level: control link recovered, restart coldsync and rejoin */
};

struct rg_action {
	enum rg_act_type type;
	uint8_t rg;
	uint8_t garp_count;
	uint8_t from, to; /* enum rg_state, RG_ACT_STATE only */
	uint8_t event;    /* enum rg_event, RG_ACT_STATE only */
	uint64_t time_ms;
	const char *reason; /* static string */
};

struct rg_history_ent {
	uint64_t time_ms;
	uint8_t from, to, event;
	const char *reason; /* static string */
};

/* ------------------------------------------------------------ state */

enum rg_ip_state {
	RG_IP_UNKNOWN, /* not probed yet (Junos "Unknown") */
	RG_IP_REACHABLE,
	RG_IP_UNREACHABLE,
};

struct rg_engine;

/* One redundancy group on this node. Read it through rg_engine_group(); the engine owns it. */
struct rg {
	struct rg_engine *e;
	struct rg_group_cfg cfg;
	struct fsm_inst fsm;
	uint64_t pair_counts[RG_STATE_COUNT * RG_EVT_COUNT];

	uint8_t weight;    /* effective threshold, what we advertise and elect with */
	uint16_t mon_fail; /* enum cl_mon bits */
	bool if_down[RG_MAX_IFMON];
	uint8_t ip_state[RG_MAX_IPMON]; /* enum rg_ip_state */

	int manual_node;       /* node id holding a manual failover, -1: none */
	bool peer_manual_seen; /* the peer advertised HB_RG_F_MANUAL since manual_node = peer */
	bool reset_pending;    /* failover reset here: HB_RG_F_RESET until the peer drops MANUAL */
	bool peer_was_primary; /* the peer was primary since we last were (taker's reason) */
	uint64_t hold_down_until;
	uint64_t preempt_since; /* first time the preempt condition held; 0: not pending */
	unsigned preempt_count; /* preemptive failovers in the current window */
	uint64_t preempt_window_start;

	uint32_t failover_count;
	uint64_t last_change_ms;
	const char *last_reason;
	struct rg_history_ent hist[RG_HISTORY_LEN];
	unsigned hist_head, hist_n;
};

/* The peer as heard from here. */
struct rg_peer {
	enum rg_peer_state state;
	uint8_t node_id;
	bool ctl_ever[2], fab_ever;
	uint64_t last_ctl_ms[2]; /* last heartbeat accepted per control link */
	uint64_t last_fab_ms;    /* last fabric probe */
	uint64_t alive_since_ms; /* when it last became alive */
	uint64_t last_ctl_seq;   /* highest heartbeat sequence number seen */
	uint64_t last_fab_seq;   /* highest probe sequence number seen */
	uint64_t session_id;
	bool have_session;
	uint16_t flags; /* HB_F_* of its last packet */
	uint8_t coldsync;
	bool have_rg_list; /* a group list arrived in this peer session */
	bool rg_known[CL_MAX_RG];
	struct hb_rg rg[CL_MAX_RG]; /* by RG id */
	unsigned good_hb;           /* consecutive heartbeats while disabled */
	uint64_t good_hb_last_ms;
};

struct rg_engine_stats {
	uint64_t peer_losses;
	uint64_t ctl_link_failures;
	uint64_t peer_restarts;
	uint64_t hb_duplicates; /* a copy already received on the other control link */
	uint64_t hb_stale;      /* older sequence number than one already processed */
	uint64_t hb_ignored;    /* our own node id, bad link index */
	uint64_t actions_dropped;
};

struct rg_engine {
	uint8_t node_id;
	uint64_t now_ms; /* time of the call being processed (actions, history) */
	uint64_t boot_ms;
	uint32_t hb_interval_ms;
	uint8_t hb_threshold;
	bool control_link_recovery;
	bool activeness_cfg;
	uint32_t boot_hold_ms;

	bool ctl_phys_up[2];
	bool fab_phys_up;
	bool activeness_ok;
	uint8_t coldsync;   /* enum cl_coldsync */
	bool ctl_failed;    /* control link cut, peer alive on fabric */
	bool node_disabled; /* we are the secondary of a control-link failure */

	struct rg_peer peer;
	struct rg *rg[CL_MAX_RG];

	struct rg_action act[RG_ACT_QUEUE_LEN];
	unsigned act_head, act_n;
	struct rg_engine_stats stats;
};

/* ------------------------------------------------------------ API */

/* A fresh engine for node `node_id` (0/1), booting at now_ms. Default timers until configured. */
void rg_engine_init(struct rg_engine *e, uint8_t node_id, uint64_t now_ms);
void rg_engine_free(struct rg_engine *e);

/*
 * Applies a config as a diff: groups that stay keep their state and timers,
 * new groups start in hold (and leave it at once if the peer is already
 * heard), removed groups release their reths. Returns 0, or -1 with `err`
 * for an invalid config (nothing applied).
 */
int rg_engine_configure(struct rg_engine *e, const struct rg_cluster_cfg *cfg, uint64_t now_ms,
                        char *err, size_t errlen);

/*
 * A decoded, authenticated heartbeat (HB_TYPE_CONTROL, pkt->link 0/1) or
 * fabric probe (HB_TYPE_FABRIC) from the peer.
 */
void rg_engine_rx(struct rg_engine *e, const struct hb_pkt *pkt, uint64_t now_ms);

/* Timers: boot hold, peer loss, control-link failure, hold-down, preempt delay. */
void rg_engine_tick(struct rg_engine *e, uint64_t now_ms);

/* Monitors. */
void rg_engine_if_state(struct rg_engine *e, const char *ifname, bool up, uint64_t now_ms);
void rg_engine_ip_state(struct rg_engine *e, uint8_t rg, uint32_t addr, enum rg_ip_state st,
                        uint64_t now_ms);
void rg_engine_coldsync(struct rg_engine *e, enum cl_coldsync cs, uint64_t now_ms);
void rg_engine_ctl_link_state(struct rg_engine *e, unsigned link, bool up, uint64_t now_ms);
void rg_engine_fabric_state(struct rg_engine *e, bool up, uint64_t now_ms);
void rg_engine_activeness(struct rg_engine *e, bool reachable, uint64_t now_ms);

/*
 * `request chassis cluster failover redundancy-group N node M`. The daemon
 * applies it on both nodes (forwarding it over the control channel); a node
 * that only hears of it through the peer's heartbeat flags adopts it. Returns
 * 0, or -1 with a Junos-style message in `err`.
 */
int rg_engine_manual_failover(struct rg_engine *e, uint8_t rg, uint8_t node, uint64_t now_ms,
                              char *err, size_t errlen);
/* `request chassis cluster failover reset redundancy-group N`: clears manual and the preempt
 * count. */
int rg_engine_failover_reset(struct rg_engine *e, uint8_t rg, uint64_t now_ms, char *err,
                             size_t errlen);

/* Next pending action, oldest first; false when none. */
bool rg_engine_next_action(struct rg_engine *e, struct rg_action *out);

/* Fills flags, coldsync, n_rg and rg[] of an outgoing heartbeat or probe. */
void rg_engine_advertise(const struct rg_engine *e, uint64_t now_ms, struct hb_pkt *pkt);

const struct rg *rg_engine_group(const struct rg_engine *e, uint8_t id);
/* RG_STATE_COUNT when the group is not configured. */
enum rg_state rg_engine_state(const struct rg_engine *e, uint8_t id);
/* The peer's advertised view of a group, NULL when unknown. */
const struct hb_rg *rg_engine_peer_group(const struct rg_engine *e, uint8_t id);
/* Copies up to max history entries, oldest first; returns the number copied. */
size_t rg_history(const struct rg *g, struct rg_history_ent *out, size_t max);
/* True while control link `link` carries heartbeats from the peer. */
bool rg_engine_ctl_link_up(const struct rg_engine *e, unsigned link);
bool rg_engine_fabric_up(const struct rg_engine *e);
uint64_t rg_engine_detect_ms(const struct rg_engine *e);

/* ------------------------------------------------------------ fsm.c */

const char *rg_event_name(enum rg_event ev);
/* The Junos-style reason of a transition taken on `ev` ("Hold timer expired"). */
const char *rg_event_reason(enum rg_event ev);
/* Feeds one event to a group's state machine; returns the new state or -1 (unexpected). */
int rg_fsm(struct rg *g, enum rg_event ev);
/* Sets up g->fsm with the entry/exit actions. */
void rg_fsm_init(struct rg *g);
const struct fsm_def *rg_fsm_def(void);

/* rg.c, for fsm.c's entry/exit actions. */
void rg_push_action(struct rg_engine *e, enum rg_act_type type, const struct rg *g, uint8_t from,
                    uint8_t to, uint8_t event);
uint32_t rg_hold_down_ms(const struct rg *g);
uint8_t rg_garp_count(const struct rg *g);
void rg_preempt_note(struct rg *g, uint64_t now_ms);

#endif
