/*
 * telemetryd's gNMI server (gNMI 0.10.0 over the gRPC core C API).
 *
 *   gnmi_path.c    gNMI Path <-> keel path patterns and strings, wildcard match,
 *                  schema check, TypedValue encodings (pure)
 *   gnmi_queue.c   the per-subscription coalescing queue (pure)
 *   gnmi_cache.c   the latest value of every bus key (pure)
 *   gnmi_sub.c     SubscriptionList / GetRequest checks (pure)
 *   gnmi_config.c  `system services extension-service ... grpc` and users (pure)
 *   gnmi_server.c  gRPC server: completion-queue thread, calls on the loop thread
 *   gnmi_rpc.c     Capabilities, Get, Subscribe state on the loop thread
 */
#ifndef KEEL_TELEMETRYD_GNMI_H
#define KEEL_TELEMETRYD_GNMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/proto/gnmi.pb-c.h"
#include "lib/proto/sensor.pb-c.h"

#define GNMI_VERSION       "0.10.0"
#define GNMI_PORT_DEFAULT  32767
#define GNMI_CACHE_MAX     65536          /* distinct bus keys remembered */
#define GNMI_QUEUE_MAX     GNMI_CACHE_MAX /* coalesced per key: never more than the cache */
#define GNMI_MAX_SUBS      64             /* subscriptions in one SubscriptionList */
#define GNMI_MAX_GET_PATHS 64
#define GNMI_SAMPLE_MIN_NS 100000000ull      /* 100 ms: fastest SAMPLE */
#define GNMI_SAMPLE_MAX_NS 86400000000000ull /* one day */
#define GNMI_BUNDLE_MAX    64                /* updates per Notification */
#define GNMI_STALL_MS      10000 /* a write not accepted for this long: RESOURCE_EXHAUSTED */
#define GNMI_MAX_MSG       (4 * 1024 * 1024)  /* largest request accepted */
#define GNMI_OUT_MAX       (32 * 1024 * 1024) /* dumps + deletes waiting per call */

/* grpc_status_code values (grpc/impl/codegen/status.h), kept here so the pure
 * parts do not need gRPC headers. */
enum gnmi_status {
	GNMI_STATUS_OK = 0,
	GNMI_STATUS_CANCELLED = 1,
	GNMI_STATUS_INVALID_ARGUMENT = 3,
	GNMI_STATUS_NOT_FOUND = 5,
	GNMI_STATUS_PERMISSION_DENIED = 7,
	GNMI_STATUS_RESOURCE_EXHAUSTED = 8,
	GNMI_STATUS_UNIMPLEMENTED = 12,
	GNMI_STATUS_INTERNAL = 13,
	GNMI_STATUS_UNAVAILABLE = 14,
	GNMI_STATUS_UNAUTHENTICATED = 16,
};

/* ---- paths (gnmi_path.c, pure) */

/*
 * A request path as a keel path pattern: element name "*" matches one level,
 * "..." any number of levels (zero included), a key value "*" or a missing
 * key matches every list entry.
 */
struct gnmi_pat {
	struct tm_path p;
	bool wild; /* holds "*", "..." or a "*" key */
};

/*
 * prefix + path -> pattern (gNMI spec §2.4.1: the concatenation is absolute).
 * Refuses (INVALID_ARGUMENT) empty names or key names, the deprecated
 * `element` field, a target or origin inside path (they belong in prefix),
 * oversized paths; an origin other than "", "openconfig" or "keel" is
 * UNIMPLEMENTED. Either argument may be NULL. Returns a gnmi_status.
 */
int gnmi_path_join(const Gnmi__Path *prefix, const Gnmi__Path *path, struct gnmi_pat *out,
                   char *err, size_t errlen);
/* True when key (a concrete bus key) lies at or below pattern pat. */
bool gnmi_path_match(const struct gnmi_pat *pat, const struct tm_path *key);
/*
 * Checks a pattern against the YANG schema up to its first wildcard element
 * ("*" keys dropped): INVALID_ARGUMENT with a message for a path that names
 * no schema node or a key that is not one. sc NULL: no check.
 */
int gnmi_path_check(struct tm_schema *sc, const struct gnmi_pat *pat, char *err, size_t errlen);
/* String form, keys in name order, ']' and '\' escaped in values (§2.2.2). -1 if it does not fit.
 */
int gnmi_path_to_str(const struct tm_path *p, char *buf, size_t len);
/*
 * Fills out->elem with copies of elements [from, p->n_elem) of p (malloc'd;
 * free with gnmi_path_clear). -1 on out of memory.
 */
int gnmi_path_from_tm(const struct tm_path *p, unsigned from, Gnmi__Path *out);
void gnmi_path_clear(Gnmi__Path *p);
/*
 * True when the first n elements of key equal elements of pfx exactly (same
 * names, same key sets and values): the update can be sent relative to pfx.
 */
bool gnmi_path_has_prefix(const struct tm_path *key, const struct tm_path *pfx);
/*
 * How many leading elements of the concrete key a request prefix pattern
 * matches element by element ("*" names, "*" or missing keys), stopping at
 * its first "..." (whose depth the key does not tell): the part of the
 * prefix a Notification can echo for this key, instantiated from the key.
 */
unsigned gnmi_prefix_depth(const struct gnmi_pat *pfx, const struct tm_path *key);
/* Leading elements of a and b that are equal (names, key sets and values), at most max. */
unsigned gnmi_path_common(const struct tm_path *a, const struct tm_path *b, unsigned max);
/*
 * What the canonical form (gnmi_key_canon) of every bus key matching pat
 * starts with: its first element's name ("" when that is a wildcard).
 * Returns its length, -1 if it does not fit (the caller then scans
 * everything).
 */
int gnmi_pat_stem(const struct gnmi_pat *pat, char *buf, size_t len);
/* A key without its leading '/' and without a "module:" prefix on its first element. */
const char *gnmi_key_canon(const char *key);
/*
 * String tests before the parse: false when key cannot match pat (an element
 * name differs, or an element lacks one of pat's concrete predicates: "[k=v]"
 * anywhere in its predicate run, whatever their order, or the key ends above
 * pat). true: maybe, gnmi_path_match decides.
 */
bool gnmi_pat_may_match(const struct gnmi_pat *pat, const char *key);

/* ---- values (gnmi_path.c, pure) */

/*
 * One bus value as a TypedValue in the given encoding: PROTO scalars, or
 * JSON / JSON_IETF text in json_val / json_ietf_val (RFC 7951 §6.1: 64-bit
 * integers as strings). Text goes to buf (len bytes), which must outlive tv.
 * -1 when the value is unset or does not fit.
 */
int gnmi_value_set(Gnmi__TypedValue *tv, const Keel__Sensor__KeyValue *kv, Gnmi__Encoding enc,
                   char *buf, size_t len);
bool gnmi_kv_equal(const Keel__Sensor__KeyValue *a, const Keel__Sensor__KeyValue *b);

/* ---- the coalescing queue (gnmi_queue.c, pure) */

enum gnmi_lane {
	GNMI_LANE_EVENT = 0, /* ON_CHANGE and heartbeats of state: sent first */
	GNMI_LANE_SAMPLE,    /* SAMPLE: counters */
	GNMI_LANE_N,
};

struct gnmi_qent {
	Keel__Sensor__KeyValue kv; /* kv.key is the path */
	uint64_t ts_ms;
	uint32_t duplicates; /* older values of this path replaced before they went out */
	uint8_t lane;
	int hnext;      /* hash chain */
	int prev, next; /* lane FIFO, or the free list (next) */
};

#define GNMI_QUEUE_BUCKETS 4096

struct gnmi_queue {
	struct gnmi_qent *e;
	size_t cap, max, n;
	int free_head;
	int head[GNMI_LANE_N], tail[GNMI_LANE_N];
	int bucket[GNMI_QUEUE_BUCKETS];
	uint64_t coalesced; /* values replaced by newer ones (sum of duplicates) */
	uint64_t refused;   /* new paths refused at max */
};

void gnmi_queue_init(struct gnmi_queue *q, size_t max);
void gnmi_queue_free(struct gnmi_queue *q);
/*
 * Queues the newest value of kv->key: a path already queued keeps its place
 * and takes the new value (duplicates + 1); an event for a path queued in the
 * sample lane moves it to the event lane. 0 queued, 1 coalesced, -1 refused
 * (full or out of memory).
 */
int gnmi_queue_put(struct gnmi_queue *q, const Keel__Sensor__KeyValue *kv, uint64_t ts_ms,
                   enum gnmi_lane lane);
/* Takes the oldest entry of the event lane, else of the sample lane. false when empty. */
bool gnmi_queue_pop(struct gnmi_queue *q, struct gnmi_qent *out);
/* Peeks at the lane and timestamp of the entry gnmi_queue_pop would return. */
bool gnmi_queue_peek(const struct gnmi_queue *q, uint64_t *ts_ms, enum gnmi_lane *lane);
/* Frees what gnmi_queue_pop handed out. */
void gnmi_qent_clear(struct gnmi_qent *e);

/* ---- the latest-value cache (gnmi_cache.c, pure) */

struct gnmi_centry {
	Keel__Sensor__KeyValue kv;
	uint64_t ts_ms;
	uint64_t changed; /* cache sequence number of the last value change */
	int hnext;
	bool live;
};

#define GNMI_CACHE_BUCKETS 8192

struct gnmi_cache {
	struct gnmi_centry *e;
	size_t n, cap, live;
	int bucket[GNMI_CACHE_BUCKETS];
	/* slots in key order (live or not: a deleted key keeps its slot and
	 * string); sorted again lazily when a new key took a new slot */
	int *order;
	size_t n_order;
	bool order_dirty;
	uint64_t seq;     /* bumped on every value change */
	uint64_t refused; /* new keys refused at GNMI_CACHE_MAX */
};

void gnmi_cache_init(struct gnmi_cache *c);
void gnmi_cache_free(struct gnmi_cache *c);
/* Stores the newest value; *changed when it differs from the stored one (or is new). NULL on
 * refusal. */
struct gnmi_centry *gnmi_cache_put(struct gnmi_cache *c, const Keel__Sensor__KeyValue *kv,
                                   uint64_t ts_ms, bool *changed);
struct gnmi_centry *gnmi_cache_find(struct gnmi_cache *c, const char *key);
/* Forgets every key at or below path (a bus delete); returns how many. */
size_t gnmi_cache_delete(struct gnmi_cache *c, const char *path);
/*
 * The slots whose canonical key (gnmi_key_canon) starts with stem (see
 * gnmi_pat_stem), in that order:
 * *idx points at the first (valid until the next gnmi_cache_put or _range),
 * returns how many; entries may be deleted ones (check live). SAMPLE ticks,
 * dumps and Get read only the subscribed subtree this way. On out of memory
 * *idx is NULL and the return is the number of slots: scan c->e in full.
 */
size_t gnmi_cache_range(struct gnmi_cache *c, const char *stem, const int **idx);

/* ---- requests (gnmi_sub.c, pure) */

#define GNMI_STEM_MAX 256

struct gnmi_sub {
	struct gnmi_pat pat;
	char stem[GNMI_STEM_MAX]; /* gnmi_pat_stem ("" when it does not fit) */
	Gnmi__SubscriptionMode mode;
	uint64_t sample_ns;    /* SAMPLE */
	uint64_t heartbeat_ns; /* 0: none */
	bool suppress_redundant;
	/* run time (gnmi_rpc.c) */
	uint64_t next_sample_ms, next_heartbeat_ms;
	uint64_t sampled_seq; /* cache seq at the last sample (suppress_redundant) */
};

struct gnmi_sublist {
	struct gnmi_sub *sub;
	size_t n;
	Gnmi__SubscriptionList__Mode mode;
	Gnmi__Encoding encoding;
	bool updates_only;
	char target[TM_NAME_MAX * 2]; /* echoed in every response prefix */
	bool has_target;
	/* the request's origin ("" none): the prefix's, else the one every
	 * subscription path names; echoed in every response prefix */
	char origin[TM_NAME_MAX];
	/* the request prefix as given ("*", "...", missing keys allowed); a
	 * response echoes it instantiated from the data (gnmi_prefix_depth) */
	struct gnmi_pat prefix;
	bool prefix_echo;
};

/*
 * Checks a SubscriptionList (gNMI spec §3.5.1) and builds the subscriptions:
 * at least one subscription, known modes, every path valid in the schema,
 * sample_interval 0 (-> GNMI_SAMPLE_MIN_NS) or within [GNMI_SAMPLE_MIN_NS,
 * GNMI_SAMPLE_MAX_NS] for SAMPLE, none for TARGET_DEFINED/ON_CHANGE,
 * heartbeat within range, encoding PROTO/JSON/JSON_IETF, no use_models
 * filtering (UNIMPLEMENTED). A path unknown to the schema is still valid
 * when `known` (may be NULL) holds data below it: a daemon publishes state
 * keel's YANG does not model yet. Returns a gnmi_status; free with
 * gnmi_sublist_free.
 */
int gnmi_sublist_parse(const Gnmi__SubscriptionList *l, struct tm_schema *sc,
                       const struct gnmi_cache *known, struct gnmi_sublist *out, char *err,
                       size_t errlen);
void gnmi_sublist_free(struct gnmi_sublist *l);

struct gnmi_get {
	struct gnmi_pat *pat;
	size_t n;
	Gnmi__Encoding encoding;
	char target[TM_NAME_MAX * 2];
	bool has_target;
	char origin[TM_NAME_MAX]; /* as in gnmi_sublist */
};

/* The same for a GetRequest (§3.3.1). CONFIG data is UNIMPLEMENTED (keel serves state). */
int gnmi_get_parse(const Gnmi__GetRequest *r, struct tm_schema *sc, const struct gnmi_cache *known,
                   struct gnmi_get *out, char *err, size_t errlen);
void gnmi_get_free(struct gnmi_get *g);

/* Encodings keel serves. */
bool gnmi_encoding_ok(Gnmi__Encoding e);
/* "JSON", "GPB" (PROTO), "JSON_IETF", ... for `show agent sensors`. */
const char *gnmi_encoding_name(Gnmi__Encoding e);
/* "once", "poll", or the STREAM subscription's "sample" / "on-change" / "target-defined". */
const char *gnmi_mode_name(Gnmi__SubscriptionList__Mode lm, Gnmi__SubscriptionMode m);

/* ---- config (gnmi_config.c, pure) */

enum gnmi_client_cert {
	GNMI_CLIENT_CERT_NONE = 0,
	GNMI_CLIENT_CERT_REQUEST,
	GNMI_CLIENT_CERT_REQUEST_VERIFY,
	GNMI_CLIENT_CERT_REQUIRE,
	GNMI_CLIENT_CERT_REQUIRE_VERIFY,
};

#define GNMI_MAX_USERS 64

struct gnmi_user {
	char name[TM_NAME_MAX + 1];
	char hash[256]; /* crypt(3) string, "" when the user has none */
	bool unauthorized;
};

struct gnmi_cfg {
	bool enabled;
	bool ssl;
	char address[64];
	uint16_t port;
	char local_cert[TM_NAME_MAX + 1];
	char ca[TM_NAME_MAX + 1];
	enum gnmi_client_cert client_cert;
	unsigned max_connections;
	bool skip_auth;
	struct gnmi_user users[GNMI_MAX_USERS];
	size_t n_users;
};

/* From the RFC 7951 config (the object holding "keel-system:system"). -1 with a message. */
int gnmi_cfg_from_json(struct json_object *cfg, struct gnmi_cfg *out, char *err, size_t errlen);
/* True when the listener must be rebuilt to go from a to b (users alone do not). */
bool gnmi_cfg_listener_differs(const struct gnmi_cfg *a, const struct gnmi_cfg *b);
/*
 * Username/password metadata against the configured users: OK, or
 * UNAUTHENTICATED (no or wrong credentials, no users configured) /
 * PERMISSION_DENIED (class unauthorized). skip-authentication: always OK.
 */
int gnmi_auth_check(const struct gnmi_cfg *c, const char *user, const char *password);

/* ---- the server (gnmi_server.c + gnmi_rpc.c) */

struct gnmi;
struct event_base;

struct gnmi_stats {
	uint64_t calls, active, updates, duplicates, exhausted, refused;
	uint64_t cache_keys;
	bool listening;
	uint16_t port;
};

/*
 * The value cache, no listener yet. It is fed by gnmi_bus_deliver, which the
 * daemon registers on its one bus connection (tm_bus_consumer_add) at
 * start-up: state published once (cluster RG changes) must be cached before
 * gNMI is enabled.
 */
struct gnmi *gnmi_new(struct event_base *base, struct tm_schema *sc);
/* A tm_bus_fn: one decoded bus message into the cache and the live streams (arg: the gnmi). */
void gnmi_bus_deliver(void *arg, const Keel__Sensor__SensorData *d);
void gnmi_free(struct gnmi *g);
/* Starts, restarts or stops the listener for config c (not enabled: stops). -1 with a message. */
int gnmi_configure(struct gnmi *g, const struct gnmi_cfg *c, char *err, size_t errlen);
void gnmi_stats(const struct gnmi *g, struct gnmi_stats *out);

/* One subscription of a live Subscribe RPC (for `show agent sensors`). */
struct gnmi_sub_info {
	uint32_t call_id; /* per daemon run, from 1: Junos' subscription id */
	unsigned index;   /* position in the SubscriptionList, from 1 */
	char peer[96];    /* gRPC peer, "ipv4:10.77.0.2:51234" */
	char path[TM_PATH_MAX + 1];
	Gnmi__SubscriptionList__Mode list_mode;
	Gnmi__SubscriptionMode mode;
	Gnmi__Encoding encoding;
	uint64_t sample_ms, heartbeat_ms;
	uint64_t updates, duplicates; /* of the whole RPC */
	size_t queued;                /* paths waiting in its coalescing queue */
};

typedef void (*gnmi_sub_fn)(void *arg, const struct gnmi_sub_info *s);
/* Calls fn for every subscription of every live Subscribe RPC; returns how many. */
size_t gnmi_subscriptions(const struct gnmi *g, gnmi_sub_fn fn, void *arg);

/*
 * A Get on state the ctl-socket proxy reads (proxy.h) may find nobody
 * polling it. fn starts a one-shot poll of each proxy rule path p covers that
 * has no fresh value and names the bus component its answer comes from
 * ("<daemon>-proxy") in comp[0..max); returns how many (0: the cache is
 * current, answer now). The Get then waits, GNMI_GET_POLL_MS at most, for a
 * message with eom from each, and ends UNAVAILABLE when one does not come.
 */
#define GNMI_GET_POLL_MS  1000
#define GNMI_GET_WAIT_MAX 4
#define GNMI_COMP_MAX     64
typedef size_t (*gnmi_get_poll_fn)(void *arg, const struct tm_path *p, char (*comp)[GNMI_COMP_MAX],
                                   size_t max);
void gnmi_set_get_poll(struct gnmi *g, gnmi_get_poll_fn fn, void *arg);
/* A poll waiting Gets depend on failed: each Get waiting for comp ends UNAVAILABLE with msg. */
void gnmi_get_poll_failed(struct gnmi *g, const char *comp, const char *msg);

#endif
