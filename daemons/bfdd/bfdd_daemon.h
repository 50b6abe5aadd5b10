/*
 * bfdd the daemon: the types around the pure protocol core of bfdd.h.
 *
 *   main.c      start-up (skeleton hooks, capabilities, file limit)
 *   io.c        RFC 5881 / 5883 transport: receive sockets (recvmmsg), per-session send
 *               sockets, TTL rules; the timer wheel on the event loop; struct bfd_out handling
 *   io_echo.c   the echo function's packets (RFC 5881 §4): AF_PACKET out to the peer's MAC,
 *               back in through a filtered AF_PACKET socket
 *   wheel.c     the hashed timer wheel (wheel.h, pure)
 *   sessions.c  the session table: by discriminator, by (peer, local, interface, multihop);
 *               clients and their parameters; effective parameters; create / delete
 *   config.c    `protocols bfd` + `security authentication-key-chains`: parse (pure), apply
 *               as a diff
 *   ctl.c       show / clear / session.add / session.delete, the "bfd.session" event
 *   sensors.c   session state on change and counters on the telemetry bus
 */
#ifndef KEEL_BFDD_DAEMON_H
#define KEEL_BFDD_DAEMON_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemons/bfdd/bfdd.h"
#include "daemons/bfdd/wheel.h"
#include "lib/cfg.h"
#include "lib/ctl.h"
#include "lib/ev.h"

#define BFDD_NAME_MAX      64
#define BFDD_CLIENT_CONFIG "config"               /* the client name of `protocols bfd session` */
#define BFDD_HASH          4096                   /* buckets of each session hash */
#define BFDD_RX_BATCH      64                     /* recvmmsg vector */
#define BFDD_TX_BATCH      128                    /* sendmmsg vector of the raw send paths (io.c) */
#define BFDD_TX_PKT        (40 + 8 + BFD_PKT_MAX) /* IPv6 (or IPv4) header, UDP header, BFD */
#define BFDD_RAW_MAX       32    /* raw send sockets: per family, unbound + one per interface */
#define BFDD_SPORT_MIN     49152 /* RFC 5881 §4 source port range */
#define BFDD_SPORT_MAX     65535
#define BFDD_MH_MIN_TTL_DEF                                                                        \
	1 /* multihop: no TTL floor unless asked (RFC 5883 §5: auth covers it) */
#define BFDD_SAMPLE_MS   10000 /* counters to the bus */
#define BFDD_LATE_US     2000  /* a timer wake-up this late reads the sockets first */
#define BFDD_WAKE_MIN_US 1000  /* timer wake-ups at most every 1 ms (io.c, bfdd_arm) */
#define BFDD_RX_POLL_US  2000  /* next deadline this close: read receive sockets on wheel runs */

struct daemon;
struct sensor_bus;

/* An address of either family; v4 in the first 4 bytes. af 0: unset. */
struct bfdd_ip {
	uint8_t af; /* AF_INET, AF_INET6, 0 */
	uint8_t a[16];
};

struct bfdd_key {
	struct bfdd_ip peer;
	struct bfdd_ip local;     /* af 0: any */
	char ifname[IF_NAMESIZE]; /* "": not bound */
	bool multihop;
};

/* What one client asks for; times in µs. */
struct bfdd_params {
	uint32_t tx_us, rx_us;
	uint8_t mult;
	uint8_t min_ttl;   /* multihop receive floor */
	uint8_t auth_type; /* enum bfd_auth_type; NONE: no authentication */
	bool admin_down;   /* `disable` (config only) */
	uint32_t echo_us;  /* echo-interval: our echo rate and the Required Min Echo RX we
	                    * advertise; 0: no echo (single-hop IPv4 only, io_echo.c) */
	uint32_t tx_thresh_us, dt_thresh_us; /* Junos transmit-interval / detection-time
	                                      * threshold; 0: none */
	char key_chain[BFDD_NAME_MAX];
};

/* One key chain of `security authentication-key-chains`. */
struct bfdd_chain {
	char name[BFDD_NAME_MAX];
	uint8_t n_keys;
	uint8_t tx_key;    /* index: the key with the latest start-time that has come */
	uint8_t rx_keys;   /* bit i: keys[i] accepted on receive now (bfdd_chain_rx_keys) */
	int64_t tolerance; /* seconds of clock skew tolerated around a start-time (Junos) */
	struct bfd_auth_key keys[BFD_AUTH_MAX_KEYS];
	int64_t start[BFD_AUTH_MAX_KEYS]; /* start-time, seconds since the epoch; 0: always */
};

struct bfdd_conf_sess {
	struct bfdd_key key;
	struct bfdd_params p;
};

/* The parsed config (config.c). */
struct bfdd_conf {
	struct bfdd_conf_sess *sess;
	size_t n_sess;
	struct bfdd_chain *chains;
	size_t n_chains;
};

/* A client's claim on a session. conn_id 0 with name "config" is the configuration. */
struct bfdd_client {
	struct bfdd_client *next;
	uint64_t conn_id;
	char name[BFDD_NAME_MAX];
	uint32_t refs;
	struct bfdd_params p;
};

struct bfdd;

/* struct bfdd_sess.thresh */
enum bfdd_thresh {
	BFDD_THRESH_TX = 1 << 0, /* negotiated transmit interval > transmit-interval threshold */
	BFDD_THRESH_DETECT = 1 << 1, /* detection time > detection-time threshold */
};

struct bfdd_sess {
	struct bfd_session s; /* the RFC 5880 core */
	struct bfdd *b;
	struct bfdd_key key;
	struct bfdd_sess *disc_next, *peer_next; /* hash chains */
	struct bfdd_sess *prev, *next;           /* the list, for show in creation order */
	struct wheel_timer t_tx, t_detect, t_echo;
	struct wheel_timer t_hold; /* deleted: AdminDown held until this fires (dying) */
	struct bfdd_client *clients;
	struct bfdd_params eff; /* effective parameters in use */
	struct bfd_auth *auth;  /* owned; NULL: none */
	int ifindex;            /* 0: unbound or unresolved */
	int fd;                 /* send socket, -1 until it could be opened */
	uint16_t sport;
	uint8_t raw;      /* 1 + index into bfdd.raw of the raw send socket; 0: own socket */
	uint32_t src4;    /* IPv4 source in network order, for the raw path's headers */
	uint8_t src6[16]; /* IPv6 source, for the raw path's headers */
	/* counters */
	uint64_t tx, rx, dropped, tx_errors;
	uint64_t drops[BFD_DROP_COUNT];
	uint64_t up_transitions, fail_transitions, tx_interval_changes;
	uint64_t last_change_ms, up_since_ms; /* wall clock */
	uint32_t last_tx_interval;
	/* echo (io_echo.c) */
	uint32_t echo_cookie, echo_seq;
	int echo_ifindex;    /* where echo packets leave: bound interface or control arrival */
	uint8_t peer_mac[6]; /* the peer's MAC from the neighbour table (ARP / ND) */
	bool mac_ok;         /* peer_mac is valid */
	bool echo_loop;      /* our interface forwards: we advertise Required Min Echo RX */
	bool dying;          /* no client left: AdminDown for a Detection Time (§6.8.16) */
	uint8_t thresh;      /* enum bfdd_thresh bits: a threshold currently exceeded */
	uint64_t echo_tx, echo_rx, echo_tx_errors, echo_rtt_us;
	uint64_t tx_thresh_events, dt_thresh_events; /* times a threshold was crossed upwards */
	bool sens_queued; /* a state sensor update is pending (sensors.c) */
};

struct bfdd;

struct bfdd_rxsock {
	struct bfdd *owner;
	int fd;
	int af;
	bool multihop;
	struct event *ev;
};

/* A raw send socket (IPPROTO_RAW, IPv4 or IPv6: headers built here), ifindex 0: not
 * bound. */
struct bfdd_raw {
	int af;
	int ifindex;
	int fd;
};

/* Packets of one family built during one batch of work, sent with one sendmmsg (io.c). */
struct bfdd_txq {
	unsigned n;
	int fd; /* the raw socket they leave by */
	uint32_t disc[BFDD_TX_BATCH];
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} dst[BFDD_TX_BATCH];
	uint16_t len[BFDD_TX_BATCH];
	uint8_t pkt[BFDD_TX_BATCH][BFDD_TX_PKT];
};

struct bfdd {
	struct daemon *d;
	struct event_base *base;
	struct wheel wheel;
	struct timer wheel_timer; /* one libevent timer at the wheel's next deadline */
	uint64_t armed_at;
	uint64_t last_run_us;      /* when the wheel last ran (coalescing) */
	bool rx_polling;           /* receive sockets read on wheel runs, not watched (io.c) */
	struct timer housekeeping; /* 1 s: reopen send sockets that failed, resolve interfaces */
	struct bfdd_rxsock rx[4];
	struct bfdd_sess *by_disc[BFDD_HASH];
	struct bfdd_sess *by_peer[BFDD_HASH];
	struct bfdd_sess *head, *tail;
	uint32_t n_sess;
	uint16_t next_port;
	struct bfdd_raw raw[BFDD_RAW_MAX];
	unsigned n_raw;
	struct bfdd_txq txq, txq6; /* IPv4, IPv6 */
	struct bfdd_conf conf;     /* last applied */
	/* counters */
	uint64_t drops[BFD_DROP_COUNT]; /* every drop, by reason */
	uint64_t rx_packets, rx_batches, timer_runs, late_wakeups, tx_batches;
	/* echo (io_echo.c): opened when the first session wants echo */
	int echo_tx_fd, echo_rx_fd, echo_rx6_fd; /* rx: ETH_P_IP, ETH_P_IPV6 */
	struct event *echo_ev, *echo_ev6;
	uint64_t echo_rx_packets, echo_foreign; /* seen on 3785; not ours (the peer's, forged) */
	struct timer key_timer;                 /* the next key-chain start-time (config.c) */
	/* telemetry */
	struct sensor_bus *bus;
	struct timer sample;
	struct timer sens_flush; /* state changes published on the next loop turn */
	uint32_t *sens_pending;  /* their discriminators */
	size_t sens_n, sens_cap;
};

/* ---------------------------------------------------------------- io.c */
int bfdd_io_start(struct bfdd *b);
void bfdd_io_stop(struct bfdd *b);
/* Opens (or reopens) a session's send socket; 0, or -1 (retried by housekeeping). */
int bfdd_io_sess_open(struct bfdd_sess *x);
void bfdd_io_sess_close(struct bfdd_sess *x);
void bfdd_io_send(struct bfdd_sess *x);
/* Sends the queued raw IPv4 packets (bfdd_arm does, after every batch of work). */
void bfdd_io_flush(struct bfdd *b);
/* Acts on what the core said: send, state change, deadlines. */
void bfdd_out(struct bfdd_sess *x, const struct bfd_out *o);
/* Re-arms the libevent timer at the wheel's earliest deadline (call after changes). */
void bfdd_arm(struct bfdd *b);
/* The per-packet work after recvmmsg, split out for tests: decode, find, check, rx. */
struct bfdd_rxinfo {
	struct bfdd_ip src, dst;
	int ifindex;
	int ttl; /* -1: unknown */
	bool multihop;
};
void bfdd_io_input(struct bfdd *b, const uint8_t *buf, size_t len, const struct bfdd_rxinfo *ri,
                   uint64_t now_us);

/* ---------------------------------------------------------------- io_echo.c */
/* Opens the echo sockets once (CAP_NET_RAW); 0 or -1. */
int bfdd_echo_open(struct bfdd *b);
void bfdd_echo_close(struct bfdd *b);
/* Sends one echo packet of x's (BFD_OUT_SEND_ECHO). */
void bfdd_echo_send(struct bfdd_sess *x);
/* Whether the kernel would loop the peer's echo packets back: forwarding of x's family on
 * x's interface (or on all, unbound). */
bool bfdd_echo_loops(const struct bfdd_sess *x);
/* Looks the peer's MAC up in the neighbour table (housekeeping and before sending). */
void bfdd_echo_resolve(struct bfdd_sess *x);
/* The echo part of a received frame (split out for tests): IPv4 or IPv6 packet in, session
 * refreshed. */
void bfdd_echo_input(struct bfdd *b, const uint8_t *pkt, size_t len, int ifindex, uint64_t now_us);

/* ---------------------------------------------------------------- sessions.c */
void bfdd_sessions_init(struct bfdd *b);
void bfdd_sessions_free(struct bfdd *b);
struct bfdd_sess *bfdd_sess_by_disc(struct bfdd *b, uint32_t disc);
struct bfdd_sess *bfdd_sess_by_key(struct bfdd *b, const struct bfdd_key *k);
/* Demultiplexes a packet without Your Discriminator (RFC 5880 §6.3, 5881 §3, 5883 §4). */
struct bfdd_sess *bfdd_sess_match(struct bfdd *b, const struct bfdd_rxinfo *ri);
/*
 * Adds (or adds a reference to) client (conn_id, name)'s claim on the session with key k,
 * creating the session when it is new; the client's parameters replace its previous ones.
 * Returns the session or NULL with err.
 */
struct bfdd_sess *bfdd_sess_ref(struct bfdd *b, const struct bfdd_key *k, uint64_t conn_id,
                                const char *name, const struct bfdd_params *p, char *err,
                                size_t errlen);
/* Drops one reference (all with all_refs); the session goes when no client is left.
 * 0, or -1 when the client held none. */
int bfdd_sess_unref(struct bfdd *b, struct bfdd_sess *x, uint64_t conn_id, const char *name,
                    bool all_refs);
/* Drops every claim of a connection (it closed). */
void bfdd_sess_drop_conn(struct bfdd *b, uint64_t conn_id);
/* Recomputes effective parameters (after a client or key-chain change) and applies a
 * difference to the core: a poll sequence for intervals, never a flap. */
int bfdd_sess_update(struct bfdd_sess *x, char *err, size_t errlen);
/* Junos `clear bfd session`: AdminDown then Down again at once. */
void bfdd_sess_clear(struct bfdd_sess *x);
void bfdd_sess_state_changed(struct bfdd_sess *x, uint8_t from, uint8_t to);
/* After a change of the negotiated values: thresholds crossed are logged, counted and
 * published (bfd.session event, sensor). */
void bfdd_sess_thresholds(struct bfdd_sess *x);
/* The forwarding sysctl changed: advertise Required Min Echo RX or stop (no flap). */
void bfdd_sess_echo_recheck(struct bfdd_sess *x);
unsigned bfdd_sess_n_clients(const struct bfdd_sess *x);
/* Effective parameters from the client list (pure). */
void bfdd_params_effective(const struct bfdd_client *list, struct bfdd_params *out);
/*
 * Junos transmit-interval threshold / detection-time threshold (pure): compares the
 * negotiated values with the thresholds (0: none) and updates *bits (enum bfdd_thresh).
 * Returns the bits that went from clear to set (crossed upwards, to be logged and counted);
 * *cleared gets the ones that went back.
 */
uint8_t bfdd_thresh_eval(uint8_t *bits, uint32_t tx_us, uint64_t detect_us, uint32_t tx_thresh_us,
                         uint32_t dt_thresh_us, uint8_t *cleared);

/* ---------------------------------------------------------------- config.c */
int bfdd_conf_parse(struct json_object *cfg, struct bfdd_conf *out, char *err, size_t errlen);
void bfdd_conf_free(struct bfdd_conf *c);
const struct bfdd_chain *bfdd_conf_chain(const struct bfdd_conf *c, const char *name);
/* The transmit key at time now: the one with the latest start-time not after now (the
 * first key while none has started), and the receive set (bfdd_chain_rx_keys). Returns
 * whether either changed. */
bool bfdd_chain_select(struct bfdd_chain *ch, int64_t now);
/*
 * The keys accepted on receive at time now (bit i: keys[i]), with the chain's tolerance:
 * a key from tolerance seconds before its start-time (the peer's clock may run ahead) until
 * tolerance seconds after the next key's start-time (the peer's may lag). Keys without a
 * start-time start at once. The transmit key is always in the set.
 */
uint8_t bfdd_chain_rx_keys(const struct bfdd_chain *ch, int64_t now);
/* The next time after now at which a transmit key or a receive set changes in any chain
 * (a start-time, or one tolerance before or after it); 0 when none is in the future. */
int64_t bfdd_conf_next_start(const struct bfdd_conf *c, int64_t now);
/* Builds an authentication for algorithm type with chain (0, or -1 with err: unknown chain,
 * a key too long for the algorithm, too many keys). */
int bfdd_auth_build(const struct bfdd_conf *c, uint8_t type, const char *chain,
                    struct bfd_auth *out, char *err, size_t errlen);
/* "keyed-sha-1" -> BFD_AUTH_KEYED_SHA1; -1 when unknown. */
int bfdd_auth_type_parse(const char *s);
int bfdd_ip_parse(const char *s, struct bfdd_ip *out);
const char *bfdd_ip_str(const struct bfdd_ip *ip, char *buf, size_t len);
bool bfdd_ip_eq(const struct bfdd_ip *a, const struct bfdd_ip *b);
bool bfdd_key_eq(const struct bfdd_key *a, const struct bfdd_key *b);
extern const struct cfg_ops bfdd_cfg_ops;

/* ---------------------------------------------------------------- ctl.c */
extern const struct ctl_method bfdd_ctl_methods[];
extern const size_t bfdd_ctl_n_methods;
void bfdd_ctl_start(struct bfdd *b);
void bfdd_ctl_event(struct bfdd_sess *x, uint8_t from, bool deleted);

/* ---------------------------------------------------------------- sensors.c */
void bfdd_sensors_start(struct bfdd *b);
void bfdd_sensors_stop(struct bfdd *b);
void bfdd_sensors_state(struct bfdd_sess *x);

#endif
