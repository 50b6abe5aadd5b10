/*
 * telemetryd's own types: the sensor table provisioned from `services
 * analytics` (sensor.c, pure), the YANG schema check of sensor resources
 * (schema.c), the bus subscription (bus.c) and the MQTT export (export.c).
 */
#ifndef KEEL_TELEMETRYD_H
#define KEEL_TELEMETRYD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/cfg.h"
#include "lib/ctl.h"
#include "lib/proto/sensor.pb-c.h"

#define TM_NAME_MAX         64
#define TM_PATH_MAX         1024 /* keel-services resource length "1..1024" */
#define TM_PATH_MAX_ELEMS   32
#define TM_PATH_MAX_KEYS    4   /* predicates per element */
#define TM_TOPIC_PREFIX_MAX 129 /* keel-services topic-prefix "1..128" */
#define TM_RATE_DEFAULT_S   30  /* no sensor or profile rate: Junos' usual export interval */
#define TM_RATE_MAX_S       3600
#define TM_WINDOW_MAX_KEYS  16384 /* latest values held per sensor between exports */
#define TM_WINDOW_BUCKETS   1024
#define TM_MAX_COMPONENTS   8 /* producing daemons remembered per sensor */
#define TM_MAX_SERVERS      8 /* server-names per sensor */

/* ---- paths (pure) */

struct tm_path_key {
	char name[TM_NAME_MAX];
	char value[TM_NAME_MAX * 2];
};

struct tm_path_elem {
	char name[TM_NAME_MAX];   /* without a "module:" prefix */
	char module[TM_NAME_MAX]; /* the prefix if one was given, else "" */
	struct tm_path_key keys[TM_PATH_MAX_KEYS];
	unsigned n_keys;
};

struct tm_path {
	struct tm_path_elem elem[TM_PATH_MAX_ELEMS];
	unsigned n_elem;
};

/*
 * Parses "/a/b[k=v]/c/" (trailing '/' allowed, values optionally quoted with
 * ' or ", module prefixes allowed on any element). -1 with a message on a
 * relative, empty-element, unbalanced or oversized path.
 */
int tm_path_parse(const char *s, struct tm_path *out, char *err, size_t errlen);
/* Writes an error message for the err/errlen out-parameters every parser here takes;
 * nothing when err is NULL. */
void tm_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * True when `key` (a bus key, one leaf) lies at or below `res`: element names
 * equal, and every predicate of `res` present with the same value in `key`
 * (an element of `res` without predicates matches every list entry).
 */
bool tm_path_match(const struct tm_path *res, const struct tm_path *key);
/* The same on a key string; false for a key that does not parse. */
bool tm_path_match_str(const struct tm_path *res, const char *key);
/* The value of el's predicate `name`, NULL when el has none. */
const char *tm_path_elem_key(const struct tm_path_elem *el, const char *name);

/* ---- schema (schema.c, libyang) */

struct tm_schema;

/* Loads every *.yang in dir once (mgd's module set). NULL with a message. */
struct tm_schema *tm_schema_open(const char *yang_dir, char *err, size_t errlen);
void tm_schema_close(struct tm_schema *sc);
/*
 * 0 when every element of p names a schema node below the previous one (any
 * module, so augments resolve too; a "module:" prefix must match), and every
 * predicate sits on a list and names one of its keys. -1 with a message.
 */
int tm_schema_check(struct tm_schema *sc, const struct tm_path *p, char *err, size_t errlen);

/* ---- the sensor table (sensor.c, pure) */

enum tm_format {
	TM_FORMAT_GPB = 0,
	TM_FORMAT_GPB_SDM,
	TM_FORMAT_JSON,
};

enum tm_transport {
	TM_TRANSPORT_UDP = 0,
	TM_TRANSPORT_GRPC,
	TM_TRANSPORT_MQTT,
};

const char *tm_format_name(enum tm_format f);
const char *tm_transport_name(enum tm_transport t);

struct tm_server {
	char name[TM_NAME_MAX];
	char address[TM_NAME_MAX];
	uint16_t port;
	/* UDP source the exports to this server leave from: the local-address /
	 * local-port of the udp export-profiles naming it ("" / 0: the kernel's
	 * choice); one socket per server, so those profiles must agree */
	char local_address[TM_NAME_MAX];
	uint16_t local_port;
};

struct tm_profile {
	char name[TM_NAME_MAX];
	uint32_t reporting_rate;
	enum tm_format format;
	enum tm_transport transport;
	char topic_prefix[TM_TOPIC_PREFIX_MAX];
	char local_address[TM_NAME_MAX]; /* "" when not configured */
	uint16_t local_port;             /* 0 when not configured */
};

struct tm_entry {
	Keel__Sensor__KeyValue kv; /* deep copy, key and strings owned */
	uint64_t timestamp;        /* ms, from the SensorData it came in */
	int next;                  /* hash chain, -1 ends */
};

/* The latest value per key since the last export. */
struct tm_window {
	struct tm_entry *e;
	size_t n, cap;
	int bucket[TM_WINDOW_BUCKETS];
	uint64_t overflow; /* new keys refused at TM_WINDOW_MAX_KEYS */
};

struct tm_sensor {
	char name[TM_NAME_MAX];
	char resource[TM_PATH_MAX + 1];
	struct tm_path path;
	char export_name[TM_NAME_MAX];             /* "" when none */
	char server_name[TM_NAME_MAX];             /* first server-name, "" when none */
	char servers[TM_MAX_SERVERS][TM_NAME_MAX]; /* every server-name, config order */
	unsigned n_servers;
	uint32_t sensor_id; /* stable hash of the name */
	uint32_t rate_s;    /* in force: sensor's, else profile's, else default */
	bool rate_from_sensor;
	struct tm_window win;
	struct tm_window state; /* reporting-rate 0: each key's last value (export.c) */
	uint64_t next_emit_ms;  /* 0: not started */
	char components[TM_MAX_COMPONENTS][TM_NAME_MAX];
	unsigned n_components;
	uint64_t updates; /* pairs matched */
	uint64_t sent;    /* messages exported */
	uint64_t dropped; /* messages the exporter refused */
};

struct tm_table {
	struct tm_sensor *sensor;
	size_t n_sensor;
	struct tm_profile *profile;
	size_t n_profile;
	struct tm_server *server;
	size_t n_server;
};

/*
 * Builds the table from the RFC 7951 config (the object holding
 * "keel-services:services", or {}); every resource is parsed and, when sc is
 * not NULL, checked against the schema. -1 with a message naming the sensor.
 */
int tm_table_from_json(struct json_object *cfg, struct tm_schema *sc, struct tm_table *out,
                       char *err, size_t errlen);
void tm_table_free(struct tm_table *t);
struct tm_sensor *tm_table_sensor(struct tm_table *t, const char *name);
const struct tm_profile *tm_table_profile(const struct tm_table *t, const char *name);
const struct tm_server *tm_table_server(const struct tm_table *t, const char *name);
/*
 * Moves window contents, counters and timers of sensors whose name, resource
 * and rate are unchanged from old into new (a commit that did not touch a
 * sensor does not reset it).
 */
void tm_table_carry(struct tm_table *old, struct tm_table *new_t);

/*
 * Offers one decoded bus message to every sensor; returns the number of
 * pairs stored (a pair stored by two sensors counts twice).
 */
size_t tm_table_feed(struct tm_table *t, const Keel__Sensor__SensorData *d);
/* Junos' Sensor-id: a stable hash of the sensor name. */
uint32_t tm_sensor_hash(const char *name);
/* Stores one pair in s if it matches s's resource; 1 stored, 0 not. */
int tm_sensor_feed(struct tm_sensor *s, const char *component, const Keel__Sensor__KeyValue *kv,
                   uint64_t timestamp);
/*
 * True when s should export now: something is pending and rate 0, or the
 * window of rate_s seconds that started at the first pending value is over.
 */
bool tm_sensor_due(const struct tm_sensor *s, uint64_t now_ms);
/* Starts the window at now (first pair after an export). */
void tm_sensor_arm(struct tm_sensor *s, uint64_t now_ms);
/*
 * Moves the pending pairs out (sorted by key, so exports are stable) into
 * *out; the caller frees with tm_window_free(). Resets the window and sets the
 * next deadline to now + rate.
 */
void tm_sensor_take(struct tm_sensor *s, uint64_t now_ms, struct tm_window *out);
void tm_window_init(struct tm_window *w);
void tm_window_free(struct tm_window *w);
/* The latest stored pair for key, NULL if none. */
const struct tm_entry *tm_window_find(const struct tm_window *w, const char *key);
/* Stores (or replaces) the value of kv's key; -1 when full (TM_WINDOW_MAX_KEYS) or OOM. */
int tm_window_put(struct tm_window *w, const Keel__Sensor__KeyValue *kv, uint64_t ts);
/* Deep copy of a bus pair (key and value) into dst; -1 on out of memory (dst then empty). */
int tm_kv_copy(Keel__Sensor__KeyValue *dst, const Keel__Sensor__KeyValue *src);
/* Frees what a pair owns and leaves it empty. */
void tm_kv_clear(Keel__Sensor__KeyValue *kv);

/*
 * Export payloads (pure). JSON: {"sensor":..,"node":..,"timestamp":ms,
 * "values":{key:value,...}}. GPB: a keel.sensor.SensorData with component
 * "telemetryd", sensor = the sensor name, and the pairs. malloc'd, *len set;
 * NULL on out of memory or over SENSOR_MAX_MSG.
 */
uint8_t *tm_export_json(const struct tm_sensor *s, const struct tm_window *w, const char *node,
                        uint64_t now_ms, size_t *len);
uint8_t *tm_export_gpb(const struct tm_sensor *s, const struct tm_window *w, const char *node,
                       uint64_t seq, uint64_t now_ms, size_t *len);

/* ---- publishers on the bus: sequence gaps (bus.c, pure part) */

#define TM_MAX_PUBS 128

struct tm_pub {
	char node[TM_NAME_MAX];
	char component[TM_NAME_MAX];
	uint64_t last_seq;
	uint64_t msgs;
	uint64_t lost;     /* sequence numbers skipped (lib/sensor.h: drops show as gaps) */
	uint64_t restarts; /* sequence went backwards: the publisher restarted */
};

struct tm_pubs {
	struct tm_pub p[TM_MAX_PUBS];
	size_t n;
	uint64_t untracked; /* messages from publishers over TM_MAX_PUBS */
};

/* Counts one message of node/component with seq; returns how many were lost before it. */
uint64_t tm_pubs_account(struct tm_pubs *t, const char *node, const char *component, uint64_t seq);

/* ---- the bus subscriber (bus.c) */

struct event_base;
struct tm_bus;

struct tm_bus_stats {
	uint64_t msgs; /* decoded */
	uint64_t bad;  /* refused by sensor_msg_decode */
	uint64_t lost; /* sum of the publishers' gaps */
	uint64_t connects;
	bool connected;
};

typedef void (*tm_bus_fn)(void *arg, const Keel__Sensor__SensorData *d);

#define TM_BUS_MAX_CONSUMERS 8

/*
 * Subscribes to keel/# on the node's bus (KEEL_BUS_HOST / KEEL_BUS_PORT
 * override) with one connection; fn (may be NULL) is the first consumer.
 */
struct tm_bus *tm_bus_open(struct event_base *base, tm_bus_fn fn, void *arg);
/*
 * Every decoded message goes to each consumer, in the order they were added,
 * decoded once (the gNMI cache and the sensor table share the connection).
 * -1 when TM_BUS_MAX_CONSUMERS are registered.
 */
int tm_bus_consumer_add(struct tm_bus *b, tm_bus_fn fn, void *arg);
void tm_bus_consumer_del(struct tm_bus *b, tm_bus_fn fn, void *arg);
/* Hands one decoded message to the consumers and counts it (what a bus message does). */
void tm_bus_dispatch(struct tm_bus *b, const Keel__Sensor__SensorData *d);
void tm_bus_close(struct tm_bus *b);
void tm_bus_stats(const struct tm_bus *b, struct tm_bus_stats *out);
const struct tm_pubs *tm_bus_pubs(const struct tm_bus *b);

/* ---- MQTT export to an external broker (export.c) */

#define TM_EXPORT_QUEUE_MSGS 256 /* handed to libmosquitto, not yet written */

struct tm_exporter;

struct tm_exporter_stats {
	uint64_t sent;
	uint64_t dropped;
	uint32_t queued;
	uint64_t connects;
	bool connected;
};

#define TM_EXPORT_UDP_MAX 65507 /* one IPv4 UDP datagram */

/* transports: (1 << TM_TRANSPORT_MQTT) | (1 << TM_TRANSPORT_UDP), what the profiles need */
struct tm_exporter *tm_exporter_new(struct event_base *base, const struct tm_server *srv,
                                    unsigned transports);
void tm_exporter_free(struct tm_exporter *x);
bool tm_exporter_same(const struct tm_exporter *x, const struct tm_server *srv,
                      unsigned transports);
/*
 * Never blocks: 0 handed over, -1 dropped (down, queue full, refused). MQTT:
 * QoS 0, expiry_s (0 = none) and content_type (NULL = none) as MQTT v5
 * properties when the broker speaks v5, retain as given. UDP: one datagram
 * (topic, expiry, content type unused).
 */
int tm_exporter_send(struct tm_exporter *x, enum tm_transport tr, const char *topic,
                     const uint8_t *buf, size_t len, uint32_t expiry_s, const char *content_type,
                     bool retain);
void tm_exporter_stats(const struct tm_exporter *x, struct tm_exporter_stats *out);
/* Merges a window into s->state (reporting-rate 0 sensors); -1 when keys were refused. */
int tm_export_state_merge(struct tm_sensor *s, const struct tm_window *w);
/* Removes every key at or below path from w; returns how many went (0 for a bad path). */
size_t tm_window_delete(struct tm_window *w, const char *path);

/* ---- the daemon (agent.c, config.c, ctl.c) */

#define TM_TICK_MS 100 /* window check period: export jitter bound */

struct gnmi;
struct tm_proxy;

struct telemetryd {
	struct daemon *d;
	struct gnmi *gnmi;        /* gnmi.h: cache from start-up, listener when configured */
	struct tm_proxy *proxy;   /* proxy.h: ctl-socket reads for state not on the bus */
	struct tm_schema *schema; /* NULL when the modules failed to load */
	struct tm_table table;
	struct tm_bus *bus;
	struct tm_exporter **exp; /* parallel to table.server, NULL where unused */
	struct event *tick;
	char node[TM_NAME_MAX];
	uint64_t seq; /* GPB export sequence */
};

struct telemetryd;
/*
 * Sends a taken window of s to each of its streaming servers in its profile's
 * format and transport (export.c): sampled sensors as is, rate 0 sensors
 * their whole state, retained. Counts s->sent / s->dropped per message.
 */
void tm_export_window(struct telemetryd *t, struct tm_sensor *s, const struct tm_window *w);
/*
 * A bus message's delete_paths: the deleted keys leave every sensor's pending
 * window and the state of reporting-rate 0 sensors, whose state is then
 * exported again (retained), so a late MQTT subscriber does not see keys that
 * are gone. Returns the number of keys removed.
 */
size_t tm_export_deletes(struct telemetryd *t, const Keel__Sensor__SensorData *d);

/* Starts the bus subscription and the export tick; -1 on out of memory. */
int tm_agent_start(struct telemetryd *t);
void tm_agent_stop(struct telemetryd *t);
/* Installs a new table (carries unchanged sensors, reconnects only changed servers). */
void tm_agent_install(struct telemetryd *t, struct tm_table *nt);
/* The exporter serving a sensor, NULL when it has none (no mqtt profile or server). */
struct tm_exporter *tm_agent_exporter(struct telemetryd *t, const struct tm_sensor *s);

extern const struct cfg_ops tm_cfg_ops;
extern const struct ctl_method tm_ctl_methods[];
extern const size_t tm_ctl_n_methods;

#endif
