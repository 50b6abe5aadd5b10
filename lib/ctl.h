/*
 * Control sockets (DESIGN.md §3): $KEEL_ROOT/run/keel/<daemon>.ctl,
 * AF_UNIX SOCK_SEQPACKET, mode 0660 (group "keel" when that group exists).
 *
 * One keel.ctl.Frame (lib/proto/ctl.proto) per datagram, at most
 * CTL_MAX_FRAME bytes. A request is answered by zero or more REPLY frames
 * and exactly one END or ERROR frame with the request's id. A malformed or
 * oversized frame is answered with an ERROR (id 0 when the id is unknown);
 * it never closes the daemon's loop or stalls other clients.
 *
 * Server side: a daemon registers a method table. The methods "daemon.info",
 * "debug.set", "methods", "subscribe" and "unsubscribe" are built in.
 * SO_PEERCRED decides what a peer may do: uid 0, the daemon's own uid and
 * members of group "keel" may call every method; any other peer that can
 * reach the socket only methods without CTL_F_WRITE.
 *
 * Events: ctl_server_publish(srv, topic, msg) sends an EVENT frame to every
 * connection subscribed to that topic (exact, or a prefix ending in '*').
 * Output to a slow peer is queued up to CTL_MAX_QUEUE bytes; past that the
 * peer is dropped, so one stuck client never blocks the daemon.
 *
 * Client side: blocking (the CLI, tests) and asynchronous on libevent (daemons
 * following each other: ribd <- bfdd, vland <- dot1xd, everyone <- clusterd),
 * the latter reconnecting with backoff and re-subscribing by itself.
 */
#ifndef KEEL_CTL_H
#define KEEL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <protobuf-c/protobuf-c.h>

#include "lib/proto/ctl.pb-c.h"

#define CTL_MAX_FRAME    (64 * 1024)
#define CTL_MAX_METHOD   64
#define CTL_MAX_ERROR    512
#define CTL_MAX_QUEUE    (4 * 1024 * 1024)
#define CTL_MAX_CLIENTS  256
#define CTL_MAX_INFLIGHT 64 /* deferred requests per connection */
#define CTL_MAX_TOPICS   64 /* subscriptions per connection */

/* ---- pure frame codec (no I/O; fuzzed in tests/fuzz/fuzz_ctl_frame.c) */

enum ctl_frame_kind {
	CTL_FRAME_REQUEST = KEEL__CTL__FRAME_KIND__FRAME_REQUEST,
	CTL_FRAME_REPLY = KEEL__CTL__FRAME_KIND__FRAME_REPLY,
	CTL_FRAME_END = KEEL__CTL__FRAME_KIND__FRAME_END,
	CTL_FRAME_ERROR = KEEL__CTL__FRAME_KIND__FRAME_ERROR,
	CTL_FRAME_EVENT = KEEL__CTL__FRAME_KIND__FRAME_EVENT,
};

enum ctl_err {
	CTL_ERR_NONE = KEEL__CTL__CTL_ERR__CTL_OK,
	CTL_ERR_MALFORMED = KEEL__CTL__CTL_ERR__CTL_ERR_MALFORMED,
	CTL_ERR_TOO_BIG = KEEL__CTL__CTL_ERR__CTL_ERR_TOO_BIG,
	CTL_ERR_NO_METHOD = KEEL__CTL__CTL_ERR__CTL_ERR_NO_METHOD,
	CTL_ERR_DENIED = KEEL__CTL__CTL_ERR__CTL_ERR_DENIED,
	CTL_ERR_INVALID = KEEL__CTL__CTL_ERR__CTL_ERR_INVALID,
	CTL_ERR_FAILED = KEEL__CTL__CTL_ERR__CTL_ERR_FAILED,
	CTL_ERR_BUSY = KEEL__CTL__CTL_ERR__CTL_ERR_BUSY,
};

/* A decoded frame. Pointers point into the decoder's input buffer or into
 * `method`/`error` copies held inside the struct; valid while buf lives. */
struct ctl_frame {
	uint32_t id;
	enum ctl_frame_kind kind;
	char method[CTL_MAX_METHOD + 1];
	const uint8_t *payload;
	size_t payload_len;
	uint32_t code;
	char error[CTL_MAX_ERROR + 1];
};

/* Returns 0, or a CTL_ERR_* (MALFORMED, TOO_BIG) with out->id set when known.
 * Rejects: len > CTL_MAX_FRAME, undecodable protobuf, unknown kind, a method
 * name that is empty (on REQUEST/EVENT), too long, or not [a-z0-9._*-],
 * an error text that is too long. */
int ctl_frame_decode(const uint8_t *buf, size_t len, struct ctl_frame *out);
/* Encodes into buf; returns the length or -1 when it does not fit in len. */
ssize_t ctl_frame_encode(const struct ctl_frame *f, uint8_t *buf, size_t len);
const char *ctl_frame_kind_name(enum ctl_frame_kind k);
const char *ctl_err_name(int code);
/* A method or topic name: 1..CTL_MAX_METHOD characters of [a-z0-9._*-]. */
bool ctl_name_valid(const char *name);
/* A subscription pattern: a valid name whose only '*' is its last character
 * (prefix match), or a name without '*' (exact match). */
bool ctl_topic_pattern_valid(const char *pattern);
bool ctl_topic_match(const char *pattern, const char *topic);

/* ---- server */

struct ctl_server;
struct ctl_conn;

struct ctl_req {
	struct ctl_server *srv;
	struct ctl_conn *conn;
	uint32_t id;
	const char *method;
	const uint8_t *payload;
	size_t payload_len;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint64_t conn_id; /* stable per connection, never reused by this server */
	bool may_write;
	bool deferred; /* set by ctl_req_defer() */
	/* private to lib/ctl.c */
	bool priv_done; /* END or ERROR sent (or dropped) */
	bool priv_copy; /* heap copy made by ctl_req_defer() */
};

typedef void (*ctl_handler_fn)(struct ctl_req *req, void *arg);

#define CTL_F_WRITE 0x1 /* changes state: needs a privileged peer */

struct ctl_method {
	const char *name;
	ctl_handler_fn fn;
	unsigned flags;
	const char *help;
};

/* Opens $KEEL_ROOT/run/keel/<name>.ctl (removing a stale socket first).
 * `methods` must outlive the server. NULL on failure (logged). */
struct ctl_server *ctl_server_open(struct event_base *base, const char *name,
                                   const struct ctl_method *methods, size_t n_methods, void *arg);
/* Same on an explicit path (tests). */
struct ctl_server *ctl_server_open_path(struct event_base *base, const char *path,
                                        const struct ctl_method *methods, size_t n_methods,
                                        void *arg);
/* Closes every connection and removes the socket file (only if it is still
 * ours). Not from inside a handler. Deferred copies stay valid to end. */
void ctl_server_close(struct ctl_server *srv);
/* Appends another method table to the lookup (lib/cfg's "config.*" methods,
 * a daemon module's own, e.g. ribd's bulk route API), up to 8 per server;
 * same rules as the main table, no name may repeat across the built-in, the
 * main and the added tables. `methods` must outlive the server. -1 when the
 * tables are full or a name is bad/duplicated. */
int ctl_server_add_methods(struct ctl_server *srv, const struct ctl_method *methods, size_t n);
/* Called once per connection when it closes (peer gone, dropped, or server
 * closing), with the conn_id its requests carried. It runs synchronously inside
 * the close, which may happen inside a ctl_reply() of a handler for that very
 * connection: a handler must not use per-connection state after replying. */
typedef void (*ctl_close_fn)(uint64_t conn_id, void *arg);
void ctl_server_on_close(struct ctl_server *srv, ctl_close_fn fn, void *arg);
/* Hook for daemon.info: lets lib/daemon.c fill the generic fields. */
typedef void (*ctl_info_fn)(Keel__Ctl__DaemonInfo *info, void *arg);
void ctl_server_set_info(struct ctl_server *srv, ctl_info_fn fn, void *arg);
unsigned ctl_server_clients(const struct ctl_server *srv);
uint64_t ctl_server_requests(const struct ctl_server *srv);
uint64_t ctl_server_errors(const struct ctl_server *srv);

/* Answering. Inside a handler, the request is finished when the handler
 * returns unless it called ctl_end/ctl_error (then it is finished already)
 * or ctl_req_defer (then the caller must finish the returned copy later).
 * A handler that returns without answering gets an END sent for it.
 * Replies are queued per connection up to CTL_MAX_QUEUE bytes beyond what the
 * socket holds; a handler that produces more in one go gets its peer dropped.
 * ctl_reply* return -1 with EMSGSIZE when one part exceeds CTL_MAX_FRAME,
 * ENOTCONN when the peer is gone (stop producing then). */
int ctl_reply(struct ctl_req *req, const ProtobufCMessage *msg);
int ctl_reply_raw(struct ctl_req *req, const uint8_t *payload, size_t len);
int ctl_end(struct ctl_req *req);
int ctl_error(struct ctl_req *req, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Keep a request open past the handler: returns a heap copy (payload not
 * kept) that must be ended with ctl_end/ctl_error, which frees it. If the
 * client (or the whole server) goes away first, those calls are silently
 * dropped (the copy is still freed; ctl_reply returns -1 with ENOTCONN; do not
 * use copy->srv then). NULL if the connection already has CTL_MAX_INFLIGHT;
 * the request has then been answered with CTL_ERR_BUSY, so the handler only
 * returns. */
struct ctl_req *ctl_req_defer(struct ctl_req *req);

/* Sends an EVENT frame to every subscriber of topic. Returns the number of
 * connections it was queued to. */
int ctl_server_publish(struct ctl_server *srv, const char *topic, const ProtobufCMessage *msg);
bool ctl_server_has_subscribers(const struct ctl_server *srv, const char *topic);

/* ---- blocking client (CLI, tests) */

struct ctl_client;

/* Connects to $KEEL_ROOT/run/keel/<name>.ctl. NULL on failure with errno. */
struct ctl_client *ctl_client_connect(const char *name);
struct ctl_client *ctl_client_connect_path(const char *path);
void ctl_client_close(struct ctl_client *c);
int ctl_client_fd(const struct ctl_client *c);

/* Called once per REPLY frame; return non-zero to stop reading parts (the rest
 * of the reply is still drained). */
typedef int (*ctl_part_fn)(const uint8_t *payload, size_t len, void *arg);

/* Sends a request and reads its reply parts until END/ERROR or timeout.
 * Returns 0 on END; otherwise a CTL_ERR_* (error text in errbuf), or -1 on
 * I/O error / timeout (errno set, ETIMEDOUT for a timeout). EVENT frames that
 * arrive meanwhile go to the event callback if one is set. */
int ctl_call(struct ctl_client *c, const char *method, const ProtobufCMessage *req,
             ctl_part_fn part, void *arg, int timeout_ms, char *errbuf, size_t errlen);
int ctl_call_raw(struct ctl_client *c, const char *method, const uint8_t *payload, size_t len,
                 ctl_part_fn part, void *arg, int timeout_ms, char *errbuf, size_t errlen);

typedef void (*ctl_event_fn)(const char *topic, const uint8_t *payload, size_t len, void *arg);
void ctl_client_on_event(struct ctl_client *c, ctl_event_fn fn, void *arg);
/* Blocking subscribe (sends "subscribe", waits for END). */
int ctl_client_subscribe(struct ctl_client *c, const char *const *topics, size_t n, int timeout_ms);
/* Waits up to timeout_ms for one EVENT frame and delivers it. 1 = delivered,
 * 0 = timeout, -1 = error. */
int ctl_client_poll_event(struct ctl_client *c, int timeout_ms);

/* ---- asynchronous client on libevent (daemons) */

struct ctl_aclient;

/* Called for each REPLY part, then once with done = true and the final status
 * (0 for END, CTL_ERR_* for ERROR with its text, -1 when the connection went
 * away before the answer). */
typedef void (*ctl_areply_fn)(int status, bool done, const uint8_t *payload, size_t len,
                              const char *error, void *arg);
/* Called with up = true each time the connection is (re)established (after
 * subscriptions were renewed) and up = false when it is lost. */
typedef void (*ctl_astate_fn)(bool up, void *arg);

/* Connects to daemon `name` and keeps connecting, with backoff from 100 ms to
 * 5 s, whenever the connection is down. Never blocks. */
struct ctl_aclient *ctl_aclient_open(struct event_base *base, const char *name, ctl_astate_fn state,
                                     void *arg);
struct ctl_aclient *ctl_aclient_open_path(struct event_base *base, const char *path,
                                          ctl_astate_fn state, void *arg);
void ctl_aclient_close(struct ctl_aclient *ac);
bool ctl_aclient_up(const struct ctl_aclient *ac);
/* Queues a request; fails with -1 (errno ENOTCONN) when down. */
int ctl_acall(struct ctl_aclient *ac, const char *method, const ProtobufCMessage *req,
              ctl_areply_fn fn, void *arg);
/* Adds a subscription that is kept across reconnects. */
int ctl_asubscribe(struct ctl_aclient *ac, const char *topic, ctl_event_fn fn, void *arg);

#endif
