/*
 * Open vSwitch back-end: an OVSDB (RFC 7047) JSON-RPC client.
 *
 * Layers, bottom up (all but the last are pure: bytes/JSON in, JSON/struct
 * out, no I/O, so they are unit-tested and fuzzed):
 *   - ovsdb_stream: splits a byte stream into JSON messages. OVSDB has no
 *     framing: messages are concatenated JSON texts (RFC 7047 §4), so an
 *     incremental json-c tokener is fed whatever read() returned.
 *   - ovsdb_msg: classifies a message as reply / request / notification
 *     (JSON-RPC 1.0 as RFC 7047 §4 profiles it).
 *   - builders: "transact", "monitor", "echo" reply.
 *   - ovsdb_cache: the monitored tables, kept up to date from "update"
 *     notifications (RFC 7047 §4.1.6): {table: {uuid: {column: value}}}.
 *   - ovsdb_conn: the connection on a libevent base: id matching, echo,
 *     monitor, transact, wait-until-applied (cur_cfg >= next_cfg, as
 *     ovs-vsctl waits), reconnect with backoff and re-monitor.
 * ports.c: switch-port VLAN columns as an idempotent reconcile.
 */
#ifndef KEEL_OVSDB_H
#define KEEL_OVSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#define OVSDB_DB          "Open_vSwitch"
#define OVSDB_MAX_MSG     (16u << 20) /* bytes in one JSON message */
#define OVSDB_MAX_DEPTH   64
#define OVSDB_UUID_STRLEN 37 /* 36 + NUL */

/* ------------------------------------------------------------ stream */

struct ovsdb_stream {
	struct json_tokener *tok;
	size_t msg_bytes; /* bytes fed to the message being parsed */
	bool failed;      /* sticky: the byte stream cannot be resynchronised */
};

/* Called per complete message (an object; ownership stays with the stream:
 * take a reference with json_object_get() to keep it). Non-zero stops the
 * feed and is returned. */
typedef int (*ovsdb_msg_fn)(void *arg, struct json_object *msg);

int ovsdb_stream_init(struct ovsdb_stream *s);
void ovsdb_stream_free(struct ovsdb_stream *s);
/* Feeds len bytes. 0, a callback's non-zero value, or -EPROTO (bad JSON, a
 * top-level value that is not an object, deeper than OVSDB_MAX_DEPTH or
 * longer than OVSDB_MAX_MSG); after -EPROTO every feed fails until reset. */
int ovsdb_stream_feed(struct ovsdb_stream *s, const char *buf, size_t len, ovsdb_msg_fn fn,
                      void *arg);
void ovsdb_stream_reset(struct ovsdb_stream *s);

/* ------------------------------------------------------------ messages */

enum ovsdb_msg_kind {
	OVSDB_MSG_REPLY = 0,   /* result, error, id */
	OVSDB_MSG_REQUEST = 1, /* method, params, id (non-null) */
	OVSDB_MSG_NOTIFY = 2,  /* method, params, id null */
};

struct ovsdb_msg {
	enum ovsdb_msg_kind kind;
	const char *method;         /* request / notify */
	struct json_object *params; /* array (request / notify) */
	struct json_object *id;     /* reply / request; NULL for notify */
	struct json_object *result; /* reply; NULL when error */
	struct json_object *error;  /* reply; NULL when null */
};

/* Classifies `o` (borrowed pointers into it). 0 or -EPROTO. */
int ovsdb_msg_decode(struct json_object *o, struct ovsdb_msg *out);
/* The integer id of a reply (we send integers only). -EPROTO otherwise. */
int ovsdb_msg_id(const struct ovsdb_msg *m, int64_t *id);

/* {"method":M,"params":P,"id":ID}; takes ownership of params. */
struct json_object *ovsdb_request_new(const char *method, struct json_object *params, int64_t id);
/* The reply to {"method":"echo"} (RFC 7047 §4.1.11): result = params, same id. */
struct json_object *ovsdb_echo_reply(const struct ovsdb_msg *req);
/* params of "monitor" (RFC 7047 §4.1.5) for db, a monitor id, and per table a
 * NULL-terminated column list: tables[i], columns[i]. */
struct json_object *ovsdb_monitor_params(const char *db, const char *monitor_id, size_t n,
                                         const char *const *tables,
                                         const char *const *const *columns);

/* ------------------------------------------------------------ values */

/* ["uuid","…"] -> its text (36 chars). NULL if not a uuid. */
const char *ovsdb_uuid(struct json_object *v);
/* An integer atom or a one-element set. */
bool ovsdb_int(struct json_object *v, int64_t *out);
/* A string atom; NULL for the empty set. */
const char *ovsdb_str(struct json_object *v);
/* Set of integers (bare atom or ["set",[…]]): calls fn per element; -EPROTO
 * on anything else. */
int ovsdb_int_set_walk(struct json_object *v, void (*fn)(void *arg, int64_t x), void *arg);
/* ["set",[]] */
struct json_object *ovsdb_empty_set(void);
/* ["named-uuid", name] / ["uuid", uuid] */
struct json_object *ovsdb_named_uuid(const char *name);
struct json_object *ovsdb_uuid_new(const char *uuid);

/* ------------------------------------------------------------ cache */

struct ovsdb_cache {
	struct json_object *tables; /* {table: {uuid: {column: value}}} */
};

void ovsdb_cache_init(struct ovsdb_cache *c);
void ovsdb_cache_clear(struct ovsdb_cache *c);
void ovsdb_cache_free(struct ovsdb_cache *c);
/* Applies <table-updates> (the monitor reply's result or the second element
 * of an "update" notification's params). 0 or -EPROTO (cache unchanged
 * only for a malformed top level; rows before a bad row stay applied). */
int ovsdb_cache_update(struct ovsdb_cache *c, struct json_object *updates);
struct json_object *ovsdb_cache_row(const struct ovsdb_cache *c, const char *table,
                                    const char *uuid);
/* First row of table whose string column col equals val; its uuid in *uuid. */
struct json_object *ovsdb_cache_find(const struct ovsdb_cache *c, const char *table,
                                     const char *col, const char *val, const char **uuid);
size_t ovsdb_cache_count(const struct ovsdb_cache *c, const char *table);

/* ------------------------------------------------------------ VLAN columns */

/* A set of VLAN IDs 0..4095 as a bitmap. */
struct ovs_vlan_set {
	uint8_t bits[4096 / 8];
};
static inline void ovs_vlan_set_add(struct ovs_vlan_set *s, uint16_t v)
{
	s->bits[(v & 4095) >> 3] |= (uint8_t)(1u << (v & 7));
}
static inline bool ovs_vlan_set_has(const struct ovs_vlan_set *s, uint16_t v)
{
	return s->bits[(v & 4095) >> 3] & (1u << (v & 7));
}
size_t ovs_vlan_set_count(const struct ovs_vlan_set *s);

/* Port.vlan_mode (ovs-vswitchd.conf.db(5)); NONE = the empty set. */
enum ovs_vlan_mode {
	OVS_VLAN_MODE_NONE = 0,
	OVS_VLAN_MODE_ACCESS,
	OVS_VLAN_MODE_TRUNK,
	OVS_VLAN_MODE_NATIVE_TAGGED,
	OVS_VLAN_MODE_NATIVE_UNTAGGED,
};
const char *ovs_vlan_mode_name(enum ovs_vlan_mode m); /* "" for NONE */
int ovs_vlan_mode_parse(const char *s, enum ovs_vlan_mode *out);

/* The VLAN columns of one Port row. */
struct ovs_port_vlan {
	uint16_t tag; /* 0 = empty set (OVS allows tag 0; keel never writes it) */
	enum ovs_vlan_mode mode;
	struct ovs_vlan_set trunks; /* empty = all VLANs (OVS rule) */
};

/* Reads tag/vlan_mode/trunks of a cached Port row. 0 or -EPROTO. */
int ovs_port_vlan_from_row(struct json_object *row, struct ovs_port_vlan *out);
/* The "row" object of an "update" op that turns `have` into `want`, holding
 * only the differing columns; NULL when nothing differs. */
struct json_object *ovs_port_vlan_diff(const struct ovs_port_vlan *have,
                                       const struct ovs_port_vlan *want);

/* ------------------------------------------------------------ connection */

struct ovsdb_conn;

struct ovsdb_conn_ops {
	/* Connected and the monitor's initial contents are in the cache (also
	 * after every reconnect: re-apply wanted state then). */
	void (*ready)(void *arg);
	/* An "update" notification changed the cache. */
	void (*update)(void *arg);
	/* The connection was lost; a reconnect is scheduled. */
	void (*down)(void *arg);
};

/* A reply: err 0 with result or error (the RPC's own error), or err < 0 when
 * the connection was lost before the reply (-ECONNRESET). */
typedef void (*ovsdb_reply_fn)(void *arg, int err, struct json_object *result,
                               struct json_object *error);
typedef void (*ovsdb_done_fn)(void *arg, int err);

/* Connects to unix socket `path` (non-blocking), monitors Open_vSwitch
 * (cur_cfg, next_cfg, bridges), Bridge (name, ports, datapath_type, fail_mode), Port
 * (name, interfaces, tag, trunks, vlan_mode) and Interface (name, type,
 * ofport), and reconnects with backoff (100 ms doubling to 5 s, restarting at 100 ms after
 * a link that was up for 5 s) until
 * closed. */
/* Callbacks (ops, reply and done functions) must not call ovsdb_conn_close();
 * defer that to a timer. */
struct ovsdb_conn *ovsdb_conn_open(struct event_base *base, const char *path,
                                   const struct ovsdb_conn_ops *ops, void *arg);
void ovsdb_conn_close(struct ovsdb_conn *c);
bool ovsdb_conn_is_ready(const struct ovsdb_conn *c);
const struct ovsdb_cache *ovsdb_conn_cache(const struct ovsdb_conn *c);
/* The root Open_vSwitch row's uuid, NULL before the first monitor reply. */
const char *ovsdb_conn_root(const struct ovsdb_conn *c);
/* Sends a request; fn (may be NULL) gets the reply. Takes params. 0 or -errno. */
int ovsdb_conn_call(struct ovsdb_conn *c, const char *method, struct json_object *params,
                    ovsdb_reply_fn fn, void *arg);
/* "transact" on Open_vSwitch with the ops array (taken). */
int ovsdb_transact(struct ovsdb_conn *c, struct json_object *ops, ovsdb_reply_fn fn, void *arg);
/* fn(arg, 0) once the cached Open_vSwitch.cur_cfg >= next_cfg (vswitchd has
 * applied that configuration), -ETIMEDOUT after timeout_ms, -ECONNRESET if
 * the connection drops first. */
int ovsdb_wait_cfg(struct ovsdb_conn *c, int64_t next_cfg, uint32_t timeout_ms, ovsdb_done_fn fn,
                   void *arg);
/* Counters for tests and "show": messages in/out, transactions, reconnects. */
struct ovsdb_conn_stats {
	uint64_t msgs_in, msgs_out, transacts, echoes, reconnects, updates;
};
void ovsdb_conn_get_stats(const struct ovsdb_conn *c, struct ovsdb_conn_stats *out);

/* ------------------------------------------------------------ ports (ports.c) */

/* The ops for one transaction that makes each named Port's VLAN columns
 * equal to want[i], writing only what differs, then bumps next_cfg and
 * selects it (RFC 7047 §5.2 update/mutate/select). Returns the number of
 * ports that differ (0: *ops is NULL, nothing to write), -ENOENT if a port
 * is not in the cache, -EPROTO if its row is unreadable. */
int ovs_txn_port_vlans(const struct ovsdb_cache *c, const char *root, size_t n,
                       const char *const *names, const struct ovs_port_vlan *want,
                       struct json_object **ops);
/* Ops that add port `name` (a system interface of that name) to `bridge`
 * with VLAN columns `want` (NULL: none). -ENOENT no such bridge, -EEXIST. */
int ovs_txn_port_add(const struct ovsdb_cache *c, const char *root, const char *bridge,
                     const char *name, const struct ovs_port_vlan *want, struct json_object **ops);
/* Ops that remove port `name` from its bridge. -ENOENT if absent. */
int ovs_txn_port_del(const struct ovsdb_cache *c, const char *root, const char *name,
                     struct json_object **ops);
/* Ops that create bridge `name` (datapath_type netdev: the userspace
 * datapath, notes §9) with its internal port. -EEXIST. */
int ovs_txn_bridge_add(const struct ovsdb_cache *c, const char *root, const char *name,
                       struct json_object **ops);
/* The next_cfg a transaction built above returned (its last "select"). */
bool ovs_txn_next_cfg(struct json_object *result, int64_t *next_cfg);

/* Run a transaction built above on the connection and call fn once
 * vswitchd applied it (or failed). Each returns 1 when there was nothing to
 * write (fn is not called), 0 when fn will be called, or -errno. */
int ovs_port_set_vlans(struct ovsdb_conn *c, size_t n, const char *const *names,
                       const struct ovs_port_vlan *want, ovsdb_done_fn fn, void *arg);
int ovs_port_add(struct ovsdb_conn *c, const char *bridge, const char *name,
                 const struct ovs_port_vlan *want, ovsdb_done_fn fn, void *arg);
int ovs_port_del(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg);
int ovs_bridge_add(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg);

/* One wanted port of a bridge (ovs_txn_bridge_reconcile). */
struct ovs_port_want {
	const char *name;
	const char *type; /* Interface.type: NULL = a system device, "internal", "patch" */
	const char *peer; /* "patch": options:peer, the other end's name (else NULL) */
	struct ovs_port_vlan vlan;
};

/* One transaction that makes `bridge` exist (datapath netdev, with its own
 * internal port, and Bridge.fail_mode = fail_mode unless that is NULL; ""
 * = the empty set, vswitchd's standalone default) and hold exactly the ports in want[] with their
 * VLAN columns: missing ports are inserted, ports of this bridge that are not wanted are removed,
 * differing VLAN columns are updated; nothing else is written. A wanted port that exists on another
 * bridge is left alone and counted in *skipped (may be NULL). Returns the number of changes (0:
 * *ops is NULL, nothing to write). Interface.type of an existing port is not changed. */
int ovs_txn_bridge_reconcile(const struct ovsdb_cache *c, const char *root, const char *bridge,
                             const char *fail_mode, size_t n, const struct ovs_port_want *want,
                             struct json_object **ops, size_t *skipped);
/* Runs it on the connection: 1 = nothing to write (fn not called), 0 = fn
 * will be called once vswitchd applied it, or -errno. */
int ovs_bridge_reconcile(struct ovsdb_conn *c, const char *bridge, const char *fail_mode, size_t n,
                         const struct ovs_port_want *want, ovsdb_done_fn fn, void *arg,
                         size_t *skipped);
/* Ops that remove bridge `name` with all its ports (ovs-vsctl del-br).
 * -ENOENT when it is not there. ovs_bridge_del runs them: 1 = no such
 * bridge (fn not called), 0 = fn will be called once applied, or -errno. */
int ovs_txn_bridge_del(const struct ovsdb_cache *c, const char *root, const char *name,
                       struct json_object **ops);
int ovs_bridge_del(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg);
/* Interface.ofport of the named interface (-1: unknown, not yet assigned,
 * or failed) and the reverse lookup (NULL: none). */
int64_t ovs_iface_ofport(const struct ovsdb_cache *c, const char *name);
/* Port `port` is one of bridge `bridge`'s ports in the cache (OpenFlow port
 * numbers are per bridge: an ofport means something only on its bridge). */
bool ovs_port_on_bridge(const struct ovsdb_cache *c, const char *bridge, const char *port);
const char *ovs_iface_by_ofport(const struct ovsdb_cache *c, int64_t ofport);

#endif
