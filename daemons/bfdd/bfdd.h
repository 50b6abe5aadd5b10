/*
 * bfdd — BFD (RFC 5880 / 5881 / 5883), the Junos bfdd. Shared types.
 *
 *   packet.c   control packet codec (RFC 5880 §4.1-4.4) with every §6.8.6 receive check that
 *              needs no session state; pure, fuzzed (tests/fuzz/fuzz_bfd_packet.c)
 *   echo.c     echo packet payload and its IPv4/UDP headers (pure, fuzzed: fuzz_bfd_echo.c)
 *   auth.c     the five authentication types and the §6.7 sequence-number rules (pure)
 *   fsm.c      the session state machine table (lib/fsm.h), §6.8.6's state table
 *   session.c  one session: §6.8.6 reception, timer negotiation (§6.8.2-6.8.4), jitter
 *              (§6.8.7), poll/final (§6.5), detection, echo bookkeeping (§6.4, §6.8.9).
 *              Pure: time comes in as now_us, what to do goes out in struct bfd_out; the
 *              daemon's timer wheel and sockets drive it.
 *
 * Demand mode (§6.6) is not implemented: keel never sets D, and a peer's D bit is recorded
 * (bfd.RemoteDemandMode) but periodic transmission continues, which §6.8.7 permits only when
 * the peer is not in demand mode — RFC 5880 makes demand optional and none of the interop
 * peers (FRR 8.4, BIRD 2) sends D. Issue 5 allows leaving it out when noted: this is the note.
 *
 * Every interval on the wire and in these structs is in microseconds, as RFC 5880 carries it.
 */
#ifndef KEEL_BFDD_H
#define KEEL_BFDD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fsm.h"

#define BFD_VERSION         1
#define BFD_PORT_SINGLEHOP  3784 /* RFC 5881 §4 */
#define BFD_PORT_ECHO       3785 /* RFC 5881 §4 */
#define BFD_PORT_MULTIHOP   4784 /* RFC 5883 §5 */
#define BFD_HDR_LEN         24   /* mandatory section */
#define BFD_AUTH_HDR_LEN    2    /* Auth Type + Auth Len: a set A bit needs Length >= 26 */
#define BFD_PKT_MAX         52   /* 24 + keyed SHA1's 28: the largest packet keel sends or takes */
#define BFD_SLOW_TX_US      1000000u /* §6.8.3: DesiredMinTx >= 1 s while not Up */
#define BFD_DETECT_MULT_DEF 3
/* §6.8.3: with the echo function active, bfd.RequiredMinRxInterval SHOULD be >= 1 s. */
#define BFD_ECHO_CTL_RX_US 1000000u
/*
 * Echo dampening (session.c): after an echo failure, echo packets keep going out as probes
 * but their loss takes nothing down until they have come back without a gap for a hold-down
 * of BFD_ECHO_HOLD_BASE_US << (failures - 1), at most BFD_ECHO_HOLD_MAX_US; echo that then
 * works for BFD_ECHO_FORGIVE_US without failing clears the failure count.
 */
#define BFD_ECHO_HOLD_BASE_US 1000000ull
#define BFD_ECHO_HOLD_MAX_US  32000000ull
#define BFD_ECHO_FORGIVE_US   120000000ull

/* Debug flag bits for log_debugf(); main.c names them in this order. */
#define BFDD_DEBUG_FSM    (1u << 0)
#define BFDD_DEBUG_PACKET (1u << 1)

/* §4.1 State field (and bfd.SessionState). */
enum bfd_state {
	BFD_STATE_ADMIN_DOWN = 0,
	BFD_STATE_DOWN = 1,
	BFD_STATE_INIT = 2,
	BFD_STATE_UP = 3,
	BFD_STATE_COUNT,
};

/* §4.1 Diagnostic codes. */
enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_DETECT_EXPIRED = 1,
	BFD_DIAG_ECHO_FAILED = 2,
	BFD_DIAG_NEIGHBOR_DOWN = 3,
	BFD_DIAG_FWD_PLANE_RESET = 4,
	BFD_DIAG_PATH_DOWN = 5,
	BFD_DIAG_CONCAT_PATH_DOWN = 6,
	BFD_DIAG_ADMIN_DOWN = 7,
	BFD_DIAG_REV_CONCAT_PATH_DOWN = 8,
	BFD_DIAG_COUNT,
};

/* §4.1 Auth Type; BFD_AUTH_NONE is "no A bit". */
enum bfd_auth_type {
	BFD_AUTH_NONE = 0,
	BFD_AUTH_SIMPLE = 1,
	BFD_AUTH_KEYED_MD5 = 2,
	BFD_AUTH_MET_KEYED_MD5 = 3,
	BFD_AUTH_KEYED_SHA1 = 4,
	BFD_AUTH_MET_KEYED_SHA1 = 5,
	BFD_AUTH_TYPE_COUNT,
};

/* Byte 1 of the header below the state: P F C A D M. */
enum bfd_flag {
	BFD_FLAG_POLL = 0x20,
	BFD_FLAG_FINAL = 0x10,
	BFD_FLAG_CPI = 0x08, /* control plane independent */
	BFD_FLAG_AUTH = 0x04,
	BFD_FLAG_DEMAND = 0x02,
	BFD_FLAG_MULTIPOINT = 0x01,
};

/*
 * Why a received packet was dropped, one counter each. The codec returns the first block
 * (stateless §6.8.6 checks, in the RFC's order), bfd_session_check() the second, the
 * transport (io.c) the third.
 */
enum bfd_drop {
	BFD_DROP_NONE = 0,        /* accepted */
	BFD_DROP_TRUNCATED,       /* fewer than 4 bytes: not even the Length field */
	BFD_DROP_VERSION,         /* Vers != 1 */
	BFD_DROP_LENGTH,          /* Length < 24, or < 26 with A set */
	BFD_DROP_LENGTH_PAYLOAD,  /* Length > UDP payload */
	BFD_DROP_MULT_ZERO,       /* Detect Mult == 0 */
	BFD_DROP_MULTIPOINT,      /* M set */
	BFD_DROP_MY_DISC_ZERO,    /* My Discriminator == 0 */
	BFD_DROP_YOUR_DISC_ZERO,  /* Your Discriminator == 0 while State is Init or Up */
	BFD_DROP_POLL_FINAL,      /* P and F both set (§6.5 MUST NOT) */
	BFD_DROP_AUTH_LEN,        /* auth section length inconsistent with A, Length or type */
	BFD_DROP_AUTH_TYPE,       /* Auth Type 0 or > 5 */
	BFD_DROP_NO_SESSION,      /* Your Discriminator matches no session */
	BFD_DROP_AUTH_MISSING,    /* A clear, authentication configured */
	BFD_DROP_AUTH_UNEXPECTED, /* A set, no authentication configured */
	BFD_DROP_AUTH_MISMATCH,   /* Auth Type differs from the configured one */
	BFD_DROP_AUTH_KEY_ID,     /* no configured key with that Key ID */
	BFD_DROP_AUTH_SEQ,        /* sequence number outside the §6.7.3/6.7.4 window (replay) */
	BFD_DROP_AUTH_FAIL,       /* wrong password or digest */
	BFD_DROP_TTL,             /* RFC 5881 §5 / 5883 §5 TTL rules (io.c) */
	BFD_DROP_COUNT,
};

const char *bfd_state_name(enum bfd_state s); /* Junos: "AdminDown", "Down", "Init", "Up" */
const char *bfd_diag_name(enum bfd_diag d);
const char *bfd_drop_name(enum bfd_drop d);
const char *bfd_auth_type_name(enum bfd_auth_type t); /* Junos: "keyed-sha-1", ... */

/* ---------------------------------------------------------------- packet.c */

#define BFD_AUTH_DATA_MAX 20 /* SHA1 digest; a simple password is 1..16 bytes */

/* A decoded control packet (or one to encode). */
struct bfd_pkt {
	uint8_t version; /* decode only: always 1 after a successful decode */
	uint8_t diag;    /* enum bfd_diag (0..31 on the wire; unknown codes are kept) */
	uint8_t state;   /* enum bfd_state */
	uint8_t flags;   /* enum bfd_flag bits */
	uint8_t detect_mult;
	uint8_t length; /* decode: the Length field; encode: computed, this is ignored */
	uint32_t my_disc;
	uint32_t your_disc;
	uint32_t desired_min_tx;
	uint32_t required_min_rx;
	uint32_t required_min_echo_rx;
	/* Authentication section: meaningful when flags has BFD_FLAG_AUTH. */
	uint8_t auth_type; /* enum bfd_auth_type */
	uint8_t auth_len;  /* the Auth Len field (decode); computed on encode */
	uint8_t auth_key_id;
	uint8_t auth_data_len; /* password length (simple) or digest length (16 / 20) */
	uint32_t auth_seq;     /* keyed types only */
	uint8_t auth_data[BFD_AUTH_DATA_MAX]; /* password, or digest as received / to send */
};

/*
 * Decodes the first packet in buf (len = the UDP payload) with the §6.8.6 checks that need
 * no session, in the RFC's order. Bytes after Length are ignored (§6.8.6 only requires
 * Length <= payload). Returns BFD_DROP_NONE or the reason; *out is unspecified on a drop.
 */
enum bfd_drop bfd_decode(const uint8_t *buf, size_t len, struct bfd_pkt *out);
/*
 * Encodes p into buf (cap >= 24 + auth section). Refuses (-1) what bfd_decode would drop,
 * so whatever keel sends decodes: mult 0, discriminator 0, M set, P with F, bad auth
 * section. The digest field of the keyed types is written from p->auth_data; bfd_auth_sign()
 * replaces it. Returns 0 and the length in *out_len.
 */
int bfd_encode(const struct bfd_pkt *p, uint8_t *buf, size_t cap, size_t *out_len);
/* The Auth Len a type carries: 3 + password length for simple, 24 MD5, 28 SHA1; 0 unknown. */
size_t bfd_auth_section_len(enum bfd_auth_type t, size_t password_len);

/* ---------------------------------------------------------------- echo.c */

#define BFD_ECHO_LEN    24 /* keel's echo payload (echo.c) */
#define BFD_ECHO_TTL    255
#define BFD_ECHO_RX_TTL 254 /* what comes back after the peer's one forwarding hop */
#define IPPROTO_UDP_NUM 17

/* An echo packet's payload (format: echo.c). */
struct bfd_echo {
	uint32_t disc;
	uint32_t cookie;
	uint32_t seq;
	uint64_t tx_us;
};

/* The IPv4 and UDP header fields of an echo packet; addresses in network order. */
struct bfd_ip4_udp {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t ttl, tos;
};

/* The IPv6 and UDP header fields of an echo packet. */
struct bfd_ip6_udp {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t hlim, tclass;
};

/* Encodes e into buf; returns BFD_ECHO_LEN, or 0 when cap is too small. */
size_t bfd_echo_encode(const struct bfd_echo *e, uint8_t *buf, size_t cap);
/* 0, or -1 when buf is not one of keel's echo payloads (length, magic, discriminator 0). */
int bfd_echo_decode(const uint8_t *buf, size_t len, struct bfd_echo *out);
/* IPv4 header (checksum computed, DF, no options) + UDP header (checksum) + payload into buf.
 * Returns the total length, 0 when it does not fit. */
size_t bfd_ip4_udp_encode(const struct bfd_ip4_udp *h, const uint8_t *payload, size_t plen,
                          uint8_t *buf, size_t cap);
/* Parses an IPv4 packet carrying UDP (no fragments, checksums valid, lengths consistent);
 * *payload points into buf. 0 or -1. */
int bfd_ip4_udp_decode(const uint8_t *buf, size_t len, struct bfd_ip4_udp *out,
                       const uint8_t **payload, size_t *plen);
/* The same for IPv6 (RFC 8200): no extension headers, the UDP checksum is mandatory. */
size_t bfd_ip6_udp_encode(const struct bfd_ip6_udp *h, const uint8_t *payload, size_t plen,
                          uint8_t *buf, size_t cap);
int bfd_ip6_udp_decode(const uint8_t *buf, size_t len, struct bfd_ip6_udp *out,
                       const uint8_t **payload, size_t *plen);

/* ---------------------------------------------------------------- auth.c */

#define BFD_AUTH_SECRET_MAX 20 /* SHA1 keys; MD5 keys and simple passwords are <= 16 */
#define BFD_AUTH_MAX_KEYS   4  /* keys of one key chain live at once (rollover) */

struct bfd_auth_key {
	uint8_t id;
	uint8_t len;
	uint8_t secret[BFD_AUTH_SECRET_MAX];
};

/*
 * One authentication configuration (algorithm + key chain), shared by every session that
 * uses it (4000 sessions, a handful of chains): the session holds a pointer. Sent packets
 * use keys[tx_key]; received packets may use any key of the chain in rx_keys, by Key ID
 * (§6.7.2-6.7.4).
 */
struct bfd_auth {
	uint8_t type; /* enum bfd_auth_type, not NONE */
	uint8_t n_keys;
	uint8_t tx_key;  /* index into keys */
	uint8_t rx_keys; /* bit i: keys[i] accepted on receive (key-chain tolerance, config.c);
	                  * bfd_auth_add_key sets the key's bit */
	struct bfd_auth_key keys[BFD_AUTH_MAX_KEYS];
};

/* Receive-side sequence state of one session (bfd.RcvAuthSeq, bfd.AuthSeqKnown). */
struct bfd_auth_rx {
	uint32_t seq;
	bool known;
};

int bfd_auth_init(struct bfd_auth *a, enum bfd_auth_type type);
/*
 * Adds a key (or replaces the secret of an existing id). Lengths: simple password 1..16,
 * MD5 1..16, SHA1 1..20 (§6.7.2-6.7.4); -1 otherwise or when the chain is full. The first
 * key added is the transmit key.
 */
int bfd_auth_add_key(struct bfd_auth *a, uint8_t id, const void *secret, size_t len);
int bfd_auth_set_tx_key(struct bfd_auth *a, uint8_t id);
bool bfd_auth_is_meticulous(enum bfd_auth_type t);
bool bfd_auth_has_seq(enum bfd_auth_type t); /* the four keyed types */
/*
 * §6.7.3 / §6.7.4 receive window, 32-bit circular: keyed accepts seq in [last, last +
 * window], meticulous in [last + 1, last + window]. Anything goes while !known.
 */
bool bfd_auth_seq_ok(enum bfd_auth_type t, const struct bfd_auth_rx *rx, uint32_t seq,
                     uint32_t window);
/*
 * Authenticates a decoded packet (buf, p->length bytes, as received) against a (NULL: no
 * authentication configured). Never modifies anything: the caller commits the sequence
 * number (bfd_auth_rx_commit) only after BFD_DROP_NONE. local_mult widens the window to
 * 3 x max(local, received Detect Mult): RFC 5880 says "Detect Mult" without saying whose,
 * BIRD uses its own; the larger accepts every peer either reading admits.
 */
enum bfd_drop bfd_auth_verify(const struct bfd_auth *a, const struct bfd_auth_rx *rx,
                              uint8_t local_mult, const uint8_t *buf, const struct bfd_pkt *p);
void bfd_auth_rx_commit(struct bfd_auth_rx *rx, const struct bfd_pkt *p);
/* Fills p's authentication section for sending with keys[tx_key] and sequence seq. */
int bfd_auth_fill(const struct bfd_auth *a, uint32_t seq, struct bfd_pkt *p);
/*
 * Keyed types: puts the key (zero padded to 16 / 20 bytes) in the digest field of the
 * encoded packet, hashes the whole packet and writes the digest there (§6.7.3, §6.7.4).
 * Simple password: nothing to do. 0 or -1.
 */
int bfd_auth_sign(const struct bfd_auth *a, uint8_t *buf, size_t len);

/* ---------------------------------------------------------------- fsm.c */

enum bfd_event {
	BFD_EVT_RX_ADMIN_DOWN, /* accepted packet, State AdminDown */
	BFD_EVT_RX_DOWN,
	BFD_EVT_RX_INIT,
	BFD_EVT_RX_UP,
	BFD_EVT_DETECT_TIMEOUT, /* §6.8.4: no packet for a Detection Time */
	BFD_EVT_ECHO_TIMEOUT,   /* §6.8.5: echo packets stopped coming back */
	BFD_EVT_ADMIN_UP,       /* §6.8.16 */
	BFD_EVT_ADMIN_DOWN,
	BFD_EVT_COUNT,
};

struct bfd_session;
extern const struct fsm_def bfd_fsm_def;
/* The one entry point into the table; returns the new state or -1 (unexpected). */
int bfd_session_fsm(struct bfd_session *s, enum bfd_event ev);
/* BFD_EVT_ADMIN_DOWN with the diagnostic to report (§6.8.16: Admin Down or Path Down). */
int bfd_session_fsm_admin_down(struct bfd_session *s, enum bfd_diag diag);

/* ---------------------------------------------------------------- session.c */

/* What a client asks for (Junos: minimum-interval, minimum-receive-interval, ...). */
struct bfd_session_cfg {
	uint32_t desired_min_tx;       /* µs, >= 1 */
	uint32_t required_min_rx;      /* µs, >= 1 */
	uint32_t required_min_echo_rx; /* µs we advertise for looping the peer's echo; 0: don't */
	uint32_t echo_tx;              /* µs, our echo function; 0: off (always off multihop) */
	uint8_t detect_mult;           /* >= 1 */
	bool passive;                  /* §6.1 passive role: silent until the peer speaks */
	bool multihop;                 /* RFC 5883: no echo (§3) */
	const struct bfd_auth *auth;   /* NULL: none; owned by the daemon, must outlive use */
};

/* struct bfd_session.flags */
enum bfd_sflag {
	BFD_SF_POLL = 1 << 0,          /* a Poll Sequence is being transmitted (§6.5) */
	BFD_SF_FINAL_DUE = 1 << 1,     /* a packet with F owed to the peer */
	BFD_SF_RX_SEEN = 1 << 2,       /* last_rx_us is valid */
	BFD_SF_ECHO = 1 << 3,          /* echo packets are sent (§6.8.9): armed or probing */
	BFD_SF_REMOTE_DEMAND = 1 << 4, /* bfd.RemoteDemandMode */
	BFD_SF_TX_SIG = 1 << 5,        /* tx_sig holds the last sent content */
	BFD_SF_ECHO_ARMED = 1 << 6,    /* echo trusted: its loss takes the session Down (§6.8.5) */
};

/*
 * One session, 224 bytes on x86-64, no pointers to per-session allocations: 4000 of them fit in
 * 1 MB and the hot paths (rx, tx, timers) touch only this struct and the shared auth.
 * Field names follow RFC 5880 §6.8.1 where one exists.
 */
struct bfd_session {
	struct fsm_inst fsm; /* bfd.SessionState is fsm.state */
	const struct bfd_auth *auth;
	uint64_t last_rx_us;     /* last accepted control packet */
	uint64_t tx_at_us;       /* next periodic control packet; 0: none */
	uint64_t echo_tx_at_us;  /* next echo packet; 0: none */
	uint64_t echo_detect_us; /* echo detection deadline; 0: none */
	uint64_t detect_at_us;   /* next detection-related deadline; 0: none */
	uint64_t echo_ok_since;  /* first echo of the current gap-free run back; 0: none */
	uint32_t local_disc;     /* bfd.LocalDiscr */
	uint32_t remote_disc;    /* bfd.RemoteDiscr */
	uint32_t cfg_tx, cfg_rx, cfg_echo_rx, cfg_echo_tx; /* configured */
	uint32_t adv_tx; /* bfd.DesiredMinTxInterval as sent (>= 1 s while not Up) */
	uint32_t adv_rx; /* bfd.RequiredMinRxInterval as sent */
	uint32_t act_tx; /* the value the transmit interval uses (old one during a poll, §6.8.3) */
	uint32_t act_rx; /* the value the Detection Time uses (old one during a poll, §6.8.3) */
	uint32_t remote_min_tx;      /* last received Desired Min TX */
	uint32_t remote_min_rx;      /* bfd.RemoteMinRxInterval (1 until heard, §6.8.1) */
	uint32_t remote_min_echo_rx; /* last received Required Min Echo RX */
	uint32_t xmit_seq;           /* bfd.XmitAuthSeq */
	struct bfd_auth_rx rcv;      /* bfd.RcvAuthSeq, bfd.AuthSeqKnown */
	uint32_t rng;                /* xorshift32 state for jitter */
	uint32_t tx_sig;             /* content of the last sent packet (keyed seq increments) */
	uint8_t detect_mult;         /* bfd.DetectMult */
	uint8_t remote_mult;
	uint8_t local_diag; /* bfd.LocalDiag */
	uint8_t remote_diag;
	uint8_t remote_state; /* bfd.RemoteSessionState */
	uint8_t flags;        /* enum bfd_sflag */
	uint8_t echo_fails;   /* echo failures not yet forgiven (dampening, session.c) */
	bool passive, multihop;
};

/* What the I/O layer must do after a call. */
enum bfd_out_what {
	BFD_OUT_SEND = 1 << 0,      /* build (bfd_session_build) and send a control packet now */
	BFD_OUT_SEND_ECHO = 1 << 1, /* send an echo packet now (format: io.c's) */
	BFD_OUT_STATE = 1 << 2,     /* the state changed: from -> to, diag; tell clients */
	BFD_OUT_TIMERS = 1 << 3,    /* a deadline below changed: re-arm the wheel */
};

struct bfd_out {
	uint8_t what;     /* enum bfd_out_what bits */
	uint8_t from, to; /* enum bfd_state, with BFD_OUT_STATE */
	uint8_t diag;     /* bfd.LocalDiag after the call */
	/* Absolute deadlines, 0 = none. Calling the matching function earlier is harmless. */
	uint64_t tx_at_us;      /* -> bfd_session_tx_timer() */
	uint64_t echo_tx_at_us; /* -> bfd_session_echo_timer() */
	uint64_t detect_at_us;  /* -> bfd_session_detect_timer() (control and echo detection) */
};

/*
 * Proof that a packet passed every check for one session: only bfd_session_check() fills
 * it and bfd_session_rx() takes nothing else, so a packet that failed authentication has
 * no way to reach the session state.
 */
struct bfd_rx {
	const struct bfd_session *s;
	const struct bfd_pkt *pkt;
};

/*
 * Starts a session in Down (AdminDown when admin_down). local_disc comes from the daemon's
 * allocator (random, nonzero, unique: §6.8.1); rnd from crypto_random: its low half seeds
 * the jitter generator, its high half is the initial bfd.XmitAuthSeq (§6.8.1: random).
 * -1 when cfg is invalid (interval 0, mult 0) or local_disc is 0.
 */
int bfd_session_init(struct bfd_session *s, const struct bfd_session_cfg *cfg, uint32_t local_disc,
                     uint64_t rnd, bool admin_down, uint64_t now_us, struct bfd_out *out);
/*
 * Applies a changed configuration without a flap: new intervals go through a Poll
 * Sequence while Init/Up (§6.8.3), the multiplier and echo settings apply at once.
 */
int bfd_session_configure(struct bfd_session *s, const struct bfd_session_cfg *cfg, uint64_t now_us,
                          struct bfd_out *out);
/* §6.8.16. diag: BFD_DIAG_ADMIN_DOWN, or BFD_DIAG_PATH_DOWN when the path failed. */
void bfd_session_admin_down(struct bfd_session *s, enum bfd_diag diag, uint64_t now_us,
                            struct bfd_out *out);
void bfd_session_admin_up(struct bfd_session *s, uint64_t now_us, struct bfd_out *out);

/*
 * The session-dependent §6.8.6 checks on a decoded packet: discriminator, A bit against
 * the configuration, authentication (with the replay window). Reads s, changes nothing.
 * BFD_DROP_NONE fills *ok for bfd_session_rx().
 */
enum bfd_drop bfd_session_check(const struct bfd_session *s, const uint8_t *buf,
                                const struct bfd_pkt *p, struct bfd_rx *ok);
/* The rest of §6.8.6: store the peer's values, poll/final, timers, the state machine. */
void bfd_session_rx(struct bfd_session *s, const struct bfd_rx *ok, uint64_t now_us,
                    struct bfd_out *out);

/* Timer callbacks; each checks its deadline against now_us, so a stale wheel entry is a no-op. */
void bfd_session_tx_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out);
void bfd_session_detect_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out);
void bfd_session_echo_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out);
/* One of our echo packets came back (RFC 5881 §4): refresh the echo detection time. */
void bfd_session_echo_rx(struct bfd_session *s, uint64_t now_us, struct bfd_out *out);

/*
 * Builds the control packet to send now (§6.8.7): P while polling, F when one is owed (never
 * both), the authentication section with bfd.XmitAuthSeq advanced per the type (meticulous:
 * every packet; keyed: whenever the content differs from the previous packet). Encodes and
 * signs into buf (cap >= BFD_PKT_MAX). 0 or -1 (crypto failure).
 */
int bfd_session_build(struct bfd_session *s, uint8_t *buf, size_t cap, size_t *out_len);
/* The same, without encoding (tests, show commands); advances nothing. */
void bfd_session_peek(const struct bfd_session *s, struct bfd_pkt *p);

/* Derived values for show commands and tests. */
static inline enum bfd_state bfd_session_state(const struct bfd_session *s)
{
	return (enum bfd_state)s->fsm.state;
}
/* max(bfd.DesiredMinTxInterval in effect, bfd.RemoteMinRxInterval) (§6.8.7), before jitter. */
uint32_t bfd_session_tx_interval(const struct bfd_session *s);
/* §6.8.4 asynchronous mode: remote Detect Mult x max(RequiredMinRx in effect, remote tx). */
uint64_t bfd_session_detect_time(const struct bfd_session *s);
/* max(our echo tx, the peer's Required Min Echo RX) while echo is active, else 0. */
uint32_t bfd_session_echo_interval(const struct bfd_session *s);
/* How long echo must come back without a gap before it is armed again: 0 before any
 * failure, then 1 s, 2 s, 4 s ... 32 s (dampening, session.c). */
uint64_t bfd_session_echo_holddown(const struct bfd_session *s);
static inline bool bfd_session_echo_armed(const struct bfd_session *s)
{
	return (s->flags & BFD_SF_ECHO_ARMED) != 0;
}
/* §6.8.7 jitter applied to interval: 75-100 %, 75-90 % when bfd.DetectMult is 1. */
uint32_t bfd_session_jitter(struct bfd_session *s, uint32_t interval);

#endif
