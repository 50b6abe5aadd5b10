/*
 * radclient — the RADIUS client transport of dot1xd on libevent (issue 8 item 3).
 *
 * The daemon hands in what to ask (struct radius_access_req / radius_acct_req from dot1xd.h,
 * without id and authenticator); radclient picks the server, the (socket, Identifier) slot and
 * the authenticator, encodes with radius.c, retransmits, fails over, verifies the reply and
 * calls back exactly once per request (or never, after radclient_cancel()).
 *
 * Servers (Junos `access radius-server`, `access profile P radius authentication-server`):
 *   - tried in configured order; a new request goes to the first server that is not dead;
 *   - each transmission waits `timeout_ms`, doubling per retransmission up to
 *     `backoff_max_ms` (RFC 5080 §2.2.1 MRT), with jitter of up to 1/8; retransmissions reuse
 *     the Identifier and authenticator byte for byte (RFC 5080 §2.2.1);
 *   - a server gets `timeout_ms` x (`retry` + 1) in all (Junos' failover time, RFC 5080 MRD):
 *     the last wait is cut to it, so with doubling fewer than `retry` retransmissions may go
 *     out (defaults 3 s / 3: sent at 0, 3 and 9 s, next server at 12 s, as on Junos);
 *   - after that without a valid answer the request moves to the next server (new
 *     authenticator, new signatures) and the server that stayed silent is marked dead when
 *     it produced no valid reply since this request was first sent to it;
 *   - a dead server is skipped for `revert_interval_s` (Junos `revert-interval`, default 60)
 *     and then tried again; with `status_server` a dead server is probed with Status-Server
 *     (RFC 5997) every `probe_interval_ms` and revived by the first valid answer;
 *   - when every server is dead (or the list is empty) a request fails at once with
 *     RADCLIENT_RESULT_ALL_DEAD: the daemon's server-fail action.
 *
 * Window: at most `max_outstanding` requests are in flight to one server (default 128); the
 * rest wait in order, so a burst is not lost in the server's socket buffer.
 *
 * Identifier pool: `nsockets` UDP sockets per address family, each with its own source port
 * and 256 Identifiers (RFC 2865 §3: the Identifier space is per source port), so up to
 * 256 * nsockets requests are in flight; more wait in a FIFO (up to `max_queued`) and are
 * sent as slots free. Identifiers rotate so a freed one is reused last. A reply is matched
 * by (socket, Identifier), must come from the server the request was last sent to and is
 * then verified by radius.c: Message-Authenticator required and checked first, Response
 * Authenticator, duplicates, Proxy-State (BlastRADIUS, CVE-2024-3596). Every dropped
 * datagram is counted under one enum radclient_drop reason, per server where the source is
 * a known server, else globally.
 *
 * Single-threaded: every call, and every callback, runs on the daemon's event base.
 */
#ifndef KEEL_DOT1XD_RADCLIENT_H
#define KEEL_DOT1XD_RADCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <event2/event.h>

#include "daemons/dot1xd/dot1xd.h"

#define RADCLIENT_MAX_SERVERS  8
#define RADCLIENT_MAX_SOCKETS  64 /* per address family: 16384 Identifiers */
#define RADCLIENT_ADDR_STR_LEN 46 /* INET6_ADDRSTRLEN */
#define RADCLIENT_SECRET_MAX   128

/* Defaults: Junos `access radius-server` (timeout 3, retry 3) and `revert-interval` 60. */
#define RADCLIENT_DEF_TIMEOUT_MS        3000
#define RADCLIENT_DEF_RETRY             3
#define RADCLIENT_DEF_BACKOFF_MAX_MS    16000 /* RFC 5080 §2.2.1 MRT */
#define RADCLIENT_DEF_REVERT_S          60
#define RADCLIENT_DEF_NSOCKETS          4
#define RADCLIENT_DEF_MAX_QUEUED        65536
#define RADCLIENT_DEF_PROBE_INTERVAL_MS 10000
#define RADCLIENT_DEF_MAX_OUTSTANDING   128

struct radclient_server_cfg {
	char addr[RADCLIENT_ADDR_STR_LEN]; /* numeric IPv4 or IPv6 address */
	uint16_t port;                     /* 0 = 1812 (auth list) / 1813 (acct list) */
	char secret[RADCLIENT_SECRET_MAX + 1];
	uint32_t timeout_ms; /* first wait; 0 = RADCLIENT_DEF_TIMEOUT_MS */
	uint32_t retry;      /* retransmissions on this server; 0 = RADCLIENT_DEF_RETRY */
	/* requests in flight to it at once, more wait in order (0 = default, UINT32_MAX = no
	 * limit; FreeRADIUS's `max_outstanding` for home servers) */
	uint32_t max_outstanding;
	char source[RADCLIENT_ADDR_STR_LEN]; /* source address; "" = chosen by the kernel */
};

struct radclient_cfg {
	struct radclient_server_cfg auth[RADCLIENT_MAX_SERVERS]; /* in order of preference */
	size_t n_auth;
	struct radclient_server_cfg acct[RADCLIENT_MAX_SERVERS]; /* none = no accounting */
	size_t n_acct;
	uint32_t revert_interval_s; /* 0 = RADCLIENT_DEF_REVERT_S */
	uint32_t backoff_max_ms;    /* 0 = RADCLIENT_DEF_BACKOFF_MAX_MS (never below timeout) */
	uint32_t nsockets;          /* per address family, 1..64; 0 = RADCLIENT_DEF_NSOCKETS */
	uint32_t max_queued;        /* requests waiting for a free Identifier; 0 = default */
	bool status_server;         /* probe dead servers with Status-Server (RFC 5997) */
	uint32_t probe_interval_ms; /* 0 = RADCLIENT_DEF_PROBE_INTERVAL_MS */
	char nas_identifier[RADIUS_ATTR_MAX + 1]; /* for Status-Server; "" = omit */
};

/* How a request ended; the callback gets a reply only with RADCLIENT_RESULT_REPLY. */
enum radclient_result {
	RADCLIENT_RESULT_REPLY,    /* verified Accept/Reject/Challenge or Accounting-Response */
	RADCLIENT_RESULT_TIMEOUT,  /* every usable server tried with all retries, no valid reply */
	RADCLIENT_RESULT_ALL_DEAD, /* no server configured or all marked dead: server-fail */
	RADCLIENT_RESULT_ERROR,    /* the request could not be encoded or sent (logged) */
	RADCLIENT_RESULT_COUNT,
};

/* Why a received datagram was dropped (counters, `show network-access aaa statistics`). */
enum radclient_drop {
	RADCLIENT_DROP_MALFORMED,    /* radius_decode failed, or an attribute value is bad */
	RADCLIENT_DROP_UNKNOWN_ID,   /* no request pending on that (socket, Identifier) */
	RADCLIENT_DROP_WRONG_SOURCE, /* pending, but from another address/port than asked */
	RADCLIENT_DROP_CODE,         /* a code that does not answer the request */
	RADCLIENT_DROP_NO_MA,        /* Message-Authenticator missing (BlastRADIUS) */
	RADCLIENT_DROP_BAD_MA,       /* Message-Authenticator wrong or of the wrong length */
	RADCLIENT_DROP_BAD_AUTH,     /* Response Authenticator wrong */
	RADCLIENT_DROP_DUPLICATE,    /* an attribute allowed once came twice */
	RADCLIENT_DROP_PROXY_STATE,  /* Proxy-State in a reply (keel sends none) */
	RADCLIENT_DROP_COUNT,
};

enum radclient_server_state {
	RADCLIENT_SERVER_UP,   /* answering, or not asked yet */
	RADCLIENT_SERVER_DEAD, /* silent: skipped until revert or a Status-Server answer */
};

struct radclient_server_stats {
	char addr[RADCLIENT_ADDR_STR_LEN];
	uint16_t port;
	bool accounting; /* from the acct list */
	enum radclient_server_state state;
	uint32_t dead_for_s; /* seconds since it was marked dead (state DEAD) */
	uint64_t requests;   /* first transmissions to this server */
	uint64_t retransmissions;
	uint64_t accepts, rejects, challenges, acct_responses;
	uint64_t timeouts;              /* requests that gave up on this server */
	uint64_t dead_marks;            /* times it was marked dead */
	uint64_t probes, probe_answers; /* Status-Server */
	uint64_t drops[RADCLIENT_DROP_COUNT];
	uint32_t pending;     /* requests on this server now (transmitted or waiting for a slot) */
	uint32_t outstanding; /* transmitted and not yet answered or given up */
	uint32_t max_outstanding;
	uint32_t waiting;     /* held back by max_outstanding */
	uint32_t rtt_last_us; /* round-trip time of the last valid answer */
	uint32_t rtt_avg_us;  /* exponential moving average (1/8) */
};

struct radclient_stats {
	uint64_t requests; /* radclient_access/acct calls accepted */
	uint64_t completed[RADCLIENT_RESULT_COUNT];
	uint64_t cancelled;
	uint64_t queued_total;                /* requests that had to wait for an Identifier */
	uint64_t queue_full;                  /* refused: max_queued waiting already */
	uint64_t drops[RADCLIENT_DROP_COUNT]; /* sum over servers + unknown sources */
	uint64_t send_errors;                 /* sendto failures (the timer retransmits) */
	uint32_t in_flight;                   /* holding a (socket, Identifier) slot */
	uint32_t queued;                      /* waiting for one, or for a server's window */
	uint32_t slots;                       /* 256 * open sockets */
};

/* The outcome handed to the callback; pointers valid only during the call. */
struct radclient_done {
	enum radclient_result result;
	const struct radius_reply *reply; /* RADCLIENT_RESULT_REPLY on an access request */
	uint8_t code;                     /* reply code (also for accounting) */
	int server;                       /* index in cfg.auth / cfg.acct that answered, else -1 */
	uint32_t rtt_us;                  /* first transmission to the answering server -> reply */
	uint32_t transmissions;           /* datagrams sent for this request, all servers */
};

struct radclient;
struct radclient_req;

/*
 * Called exactly once per request unless cancelled first; the request is freed right after,
 * so drop the handle. The callback may start new requests and cancel other ones.
 */
typedef void (*radclient_cb)(struct radclient_req *req, const struct radclient_done *done,
                             void *arg);

/* Sockets are opened lazily per family. NULL (logged) on a bad address in cfg. */
struct radclient *radclient_new(struct event_base *base, const struct radclient_cfg *cfg);
/*
 * New server lists: servers equal in (addr, port, secret, source) keep their state and
 * counters; requests waiting for a removed server restart on the new list (with none
 * left, they end with RADCLIENT_RESULT_ALL_DEAD: their callbacks run inside this call).
 * cfg NULL = no servers (also for _new).
 * -1 (logged, nothing changed) on a bad address.
 */
int radclient_configure(struct radclient *rc, const struct radclient_cfg *cfg);
/* Frees every pending request without calling back. */
void radclient_free(struct radclient *rc);

/*
 * An Access-Request: everything but id and auth is taken from *r, copied (the caller's
 * buffers may go away after the call). Message-Authenticator goes first (radius.c).
 * Returns the handle, or NULL when refused (queue full, bad arguments: counted/logged, no
 * callback). With no usable server the callback runs from the event loop, never inside this
 * call.
 */
struct radclient_req *radclient_access(struct radclient *rc, const struct radius_access_req *r,
                                       radclient_cb cb, void *arg);
/* An Accounting-Request (Start/Interim/Stop) to the accounting servers, same rules. */
struct radclient_req *radclient_acct(struct radclient *rc, const struct radius_acct_req *r,
                                     radclient_cb cb, void *arg);
/* The session is gone: forget the request, free its slot; no callback. */
void radclient_cancel(struct radclient_req *req);

void radclient_stats(const struct radclient *rc, struct radclient_stats *out);
/*
 * Replies the kernel dropped on the client's sockets before radclient read
 * them (receive buffer full: SO_MEMINFO SK_MEMINFO_DROPS, summed over the
 * open sockets, so counted since they opened). A reply lost there looks like
 * a server timeout; this tells the two apart.
 */
uint64_t radclient_kernel_drops(const struct radclient *rc);
/* Per server: auth servers first (index i), then acct servers (n_auth + j). */
size_t radclient_server_count(const struct radclient *rc);
bool radclient_server_stats(const struct radclient *rc, size_t i,
                            struct radclient_server_stats *out);
/* `clear network-access aaa statistics`: counters to zero, state kept. */
void radclient_stats_clear(struct radclient *rc);

const char *radclient_result_name(enum radclient_result r);
const char *radclient_drop_name(enum radclient_drop d);
const char *radclient_server_state_name(enum radclient_server_state s);
/* A numeric IPv4 or IPv6 address and port as a socket address (the DAS listener uses it
 * too); -1 when s is neither. */
int radclient_parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

#endif
