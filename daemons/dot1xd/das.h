/*
 * das — the RFC 5176 Dynamic Authorization server of dot1xd (CoA-Request, Disconnect-Request
 * on UDP 3799; Junos `access radius-disconnect-port`, `access radius-disconnect CLIENT
 * secret S`).
 *
 * A datagram is accepted only from a configured client address and only when:
 *   - it decodes and is a CoA-Request (43) or Disconnect-Request (40);
 *   - its Request Authenticator (MD5 over 16 zero octets, RFC 5176 §3.1) and, when present or
 *     required, its Message-Authenticator verify with that client's secret (radius.c);
 *   - its Event-Timestamp is within `time_window_s` of the local clock (RFC 5176 §3.4; hostapd
 *     radius_das_time_window 300), and is present at all when `require_event_timestamp`;
 *   - it is not a copy of one answered within the window: (client, Identifier,
 *     Authenticator) is cached with the response, and a copy is answered from the cache
 *     without running the action again (a retransmission gets its answer, a replay changes
 *     nothing; RFC 5080 §2.2.2).
 * Everything else is dropped silently and counted (RFC 5176 §3: no NAK for a bad
 * authenticator). The daemon's callback identifies the session and acts; its return value
 * is the Error-Cause (RFC 5176 §3.6): 0 sends the ACK, anything else the NAK carrying it.
 */
#ifndef KEEL_DOT1XD_DAS_H
#define KEEL_DOT1XD_DAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <event2/event.h>

#include "daemons/dot1xd/dot1xd.h"

#define DAS_MAX_CLIENTS  16
#define DAS_ADDR_STR_LEN 46
#define DAS_SECRET_MAX   128
#define DAS_DEF_WINDOW_S 300 /* hostapd radius_das_time_window */
#define DAS_CACHE_MAX    1024
#define DAS_REPLY_MAX    64 /* header + M-A + Error-Cause = 44 */

/* RFC 5176 §3.6 Error-Cause values the daemon returns. */
enum das_error_cause {
	DAS_ERROR_NONE = 0, /* ACK */
	DAS_ERROR_RESIDUAL_REMOVED = 201,
	DAS_ERROR_INVALID_EAP = 202,
	DAS_ERROR_UNSUPPORTED_ATTRIBUTE = 401,
	DAS_ERROR_MISSING_ATTRIBUTE = 402,
	DAS_ERROR_NAS_ID_MISMATCH = 403,
	DAS_ERROR_INVALID_REQUEST = 404,
	DAS_ERROR_UNSUPPORTED_SERVICE = 405,
	DAS_ERROR_UNSUPPORTED_EXTENSION = 406,
	DAS_ERROR_INVALID_ATTRIBUTE_VALUE = 407,
	DAS_ERROR_ADMIN_PROHIBITED = 501,
	DAS_ERROR_NOT_ROUTABLE = 502,
	DAS_ERROR_SESSION_NOT_FOUND = 503,
	DAS_ERROR_NOT_REMOVABLE = 504,
	DAS_ERROR_PROXY_ERROR = 505,
	DAS_ERROR_RESOURCES_UNAVAILABLE = 506,
	DAS_ERROR_REQUEST_INITIATED = 507,
	DAS_ERROR_MULTIPLE_SESSIONS = 508,
};

struct das_client_cfg {
	char addr[DAS_ADDR_STR_LEN]; /* numeric IPv4 or IPv6 source address of the DAC */
	char secret[DAS_SECRET_MAX + 1];
};

struct das_cfg {
	char listen[DAS_ADDR_STR_LEN]; /* "" = 0.0.0.0; "::" takes IPv4 and IPv6 clients */
	uint16_t port;                 /* 0 = 3799 (RFC 5176 §3) */
	bool ephemeral_port;           /* tests: bind port 0, read it with das_port() */
	struct das_client_cfg clients[DAS_MAX_CLIENTS];
	size_t n_clients;
	uint32_t time_window_s;       /* 0 = DAS_DEF_WINDOW_S */
	bool require_event_timestamp; /* drop requests without one */
	bool require_ma;              /* drop requests without Message-Authenticator */
};

enum das_drop {
	DAS_DROP_UNKNOWN_CLIENT, /* source address not configured */
	DAS_DROP_MALFORMED,      /* radius_decode / attribute value failed */
	DAS_DROP_CODE,           /* not a CoA-Request or Disconnect-Request */
	DAS_DROP_BAD_AUTH,       /* Request Authenticator wrong */
	DAS_DROP_BAD_MA,         /* Message-Authenticator wrong */
	DAS_DROP_NO_MA,          /* missing while required */
	DAS_DROP_NO_TIMESTAMP,   /* missing while required */
	DAS_DROP_STALE,          /* Event-Timestamp outside the window (replay) */
	DAS_DROP_COUNT,
};

struct das_stats {
	uint64_t coa_requests, disconnect_requests; /* accepted, handed to the callback */
	uint64_t coa_acks, coa_naks, disconnect_acks, disconnect_naks;
	uint64_t duplicates; /* answered from the cache, action not repeated */
	uint64_t drops[DAS_DROP_COUNT];
};

struct das;

/*
 * The daemon's handler: find the session (User-Name, Calling-Station-Id, NAS-Port-Id,
 * Acct-Session-Id in *req), act (CoA: req->vlan, session_timeout; Disconnect: end it) and
 * return 0 (ACK) or an enum das_error_cause (NAK). client is the index in cfg.clients.
 */
typedef uint32_t (*das_cb)(const struct radius_das_req *req, size_t client, void *arg);

/* Binds the socket; NULL (logged) on a bad address or bind failure. */
struct das *das_new(struct event_base *base, const struct das_cfg *cfg, das_cb cb, void *arg);
/* New clients/window; rebinds only when listen/port change. -1 (logged, unchanged) on error. */
int das_configure(struct das *d, const struct das_cfg *cfg);
void das_free(struct das *d);
/*
 * One datagram as if it came from `from` (the socket path and the fuzz target use it):
 * checks, callback, counters, cache. Returns the length of the answer written to out (cap
 * >= DAS_REPLY_MAX), 0 when the datagram is dropped.
 */
size_t das_input(struct das *d, const uint8_t *buf, size_t len, const struct sockaddr *from,
                 uint8_t *out, size_t cap);
/* The bound UDP port. */
uint16_t das_port(const struct das *d);
void das_stats(const struct das *d, struct das_stats *out);
void das_stats_clear(struct das *d);
const char *das_drop_name(enum das_drop d);

#endif
