/*
 * The ctl-socket proxy (Junos xmlproxyd's role, DESIGN.md §3 "Telemetry"):
 * state a daemon does not publish on the bus natively is read from its
 * control socket at the reporting rate of the sensors and gNMI subscriptions
 * that want it, flattened into key/value pairs by protobuf-c reflection and
 * published on the node's bus as component "<daemon>-proxy", so the sensor
 * windows, MQTT export and the gNMI cache all see it like native data.
 */
#ifndef KEEL_TELEMETRYD_PROXY_H
#define KEEL_TELEMETRYD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "lib/sensor.h"

#define TM_PROXY_TICK_MS   100  /* scheduling granularity */
#define TM_PROXY_CHANGE_MS 1000 /* poll period for on-change wanters (rate 0, ON_CHANGE) */
#define TM_PROXY_DEPTH     8    /* nesting bound of the reflection walk */

/*
 * How one field of one message type becomes path elements. Fields without an
 * entry keep their proto name with '_' -> '-' (Junos style); a repeated
 * message without an entry becomes a list keyed by its position ("[index=N]").
 */
enum tm_proxy_how {
	TM_PROXY_HOW_NAME = 0, /* leaf, container or list named `name` */
	TM_PROXY_HOW_SKIP,     /* not exported (natively published, or internal) */
	TM_PROXY_HOW_FLATTEN,  /* a submessage whose fields go into the parent */
};

struct tm_proxy_name {
	const char *msg;   /* full proto name of the containing message: "keel.ribd.TableSummary" */
	const char *field; /* proto field name */
	enum tm_proxy_how how;
	const char *name;      /* HOW_NAME: the path element */
	const char *key_field; /* repeated message: the element's field holding the key */
	const char *key_name;  /* ...and the list key's name in the path */
	bool key_lower;        /* key value lowercased (YANG enum spelling: "Static" -> "static") */
};

struct tm_proxy_rule {
	const char *daemon; /* ctl socket name */
	const char *method; /* called without a request payload */
	const ProtobufCMessageDescriptor *reply;
	const char *root;   /* every key starts here */
	const char *sensor; /* bus sensor name (topic keel/<daemon>-proxy/<sensor>) */
	const struct tm_proxy_name *names;
	size_t n_names;
};

extern const struct tm_proxy_rule tm_proxy_rules[];
extern const size_t tm_proxy_n_rules;

/*
 * Adds the pairs of one reply part to m (pure: no I/O). *hash (FNV-1a,
 * caller-seeded) is folded over every key and value, so the caller can tell an
 * unchanged reply. Returns the number of pairs added, -1 when m refused one
 * (full) or a path overflowed SENSOR_MAX_KEY.
 */
int tm_proxy_flatten(const struct tm_proxy_rule *r, const ProtobufCMessage *part,
                     struct sensor_msg *m, uint64_t *hash);
/* True when a sensor resource or subscription path p overlaps rule r's root (by element names). */
struct tm_path;
bool tm_proxy_wants(const struct tm_proxy_rule *r, const struct tm_path *p);

/* ---- run time */

struct telemetryd;
struct tm_proxy;

/* Where finished messages go; default: sensor_publish() on the source's bus. Consumes m. */
typedef void (*tm_proxy_sink_fn)(void *arg, const struct tm_proxy_rule *r, struct sensor_msg *m);

struct tm_proxy_stats {
	uint32_t period_ms; /* 0: nobody wants it, no poll */
	bool connected;
	uint64_t polls, replies, errors, published, unchanged;
	uint64_t last_poll_ms; /* wall clock (ms since the epoch) of the last poll sent, 0: never */
};

/* Starts the scheduling tick on t's loop; sources connect only while wanted. NULL on ENOMEM. */
struct tm_proxy *tm_proxy_new(struct telemetryd *t);
void tm_proxy_free(struct tm_proxy *p);
void tm_proxy_set_sink(struct tm_proxy *p, tm_proxy_sink_fn fn, void *arg);
/* Stats of rule i (index into tm_proxy_rules); -1 when out of range. */
int tm_proxy_stats(const struct tm_proxy *p, size_t i, struct tm_proxy_stats *out);

#endif
