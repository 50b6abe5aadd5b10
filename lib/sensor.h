/*
 * Telemetry publishing on the node's MQTT bus (DESIGN.md §3 "Telemetry").
 *
 * A daemon opens one bus on its event loop, builds messages of OpenConfig-style
 * key/value pairs and publishes them; telemetryd decodes them:
 *
 *   bus = sensor_bus_open(d->base, "ifd");
 *   m = sensor_msg_new("interfaces");
 *   sensor_msg_addf_u64(m, st.rx_bytes, "/interfaces/interface[name=%s]/state/counters/in-octets",
 * ifname); sensor_publish(bus, m);            (always consumes m)
 *
 * The bus is a libmosquitto client on 127.0.0.1:51883 (KEEL_BUS_HOST and
 * KEEL_BUS_PORT override) driven entirely from the caller's libevent loop: no
 * thread, no blocking call. Connects are non-blocking and retried with
 * exponential backoff (250 ms .. 10 s). The control plane never depends on the
 * bus: while it is down, sensor_publish() drops the message and counts it, and
 * at most `max_msgs` messages / `max_bytes` bytes wait in libmosquitto's
 * output queue (over that, drop and count), so a stuck broker costs bounded
 * memory. Messages go out at QoS 0 on "keel/<component>/<sensor>", stamped
 * with the node name ($KEEL_NODE_NAME, set by keel-node; else the host name),
 * a per-bus sequence number (+1 for every message, dropped ones included,
 * so consumers see drops as gaps) and the wall-clock time in ms.
 *
 * The decoder is pure (bytes in, message out, no I/O) and bounded; it is what
 * consumers call on every payload read from the bus (fuzzed in
 * tests/fuzz/fuzz_sensor_msg.c).
 */
#ifndef KEEL_SENSOR_H
#define KEEL_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "lib/proto/sensor.pb-c.h"

#define SENSOR_BUS_HOST           "127.0.0.1"
#define SENSOR_BUS_PORT           51883
#define SENSOR_TOPIC_PREFIX       "keel/"
#define SENSOR_TOPIC_ALL          "keel/#"
#define SENSOR_MAX_NAME           64 /* component, node, sensor names */
#define SENSOR_MAX_TOPIC          (sizeof(SENSOR_TOPIC_PREFIX) + 2 * SENSOR_MAX_NAME + 1)
#define SENSOR_MAX_KEY            512           /* one path */
#define SENSOR_MAX_KV             4096          /* pairs per message */
#define SENSOR_MAX_DELETE         1024          /* delete paths per message */
#define SENSOR_MAX_STR            4096          /* string / bytes value */
#define SENSOR_MAX_MSG            (1024 * 1024) /* encoded message */
#define SENSOR_BUS_QUEUE_MSGS     256           /* default bound on unwritten messages */
#define SENSOR_BUS_QUEUE_BYTES    (1024 * 1024) /* default bound on unwritten bytes */
#define SENSOR_BUS_QUEUE_CAP      4096          /* largest settable max_msgs */
#define SENSOR_BUS_BACKOFF_MIN_MS 250
#define SENSOR_BUS_BACKOFF_MAX_MS 10000
#define SENSOR_BUS_KEEPALIVE_S    10

/* ---- message builder */

struct sensor_msg;

/* NULL when the name is empty, too long or not [A-Za-z0-9_.-]+ (it is a topic level). */
struct sensor_msg *sensor_msg_new(const char *sensor);
void sensor_msg_free(struct sensor_msg *m);
/*
 * Add one pair. -1 (and nothing added) when the key is not an absolute path
 * of at most SENSOR_MAX_KEY bytes, a string is longer than SENSOR_MAX_STR, the
 * message already holds SENSOR_MAX_KV pairs, or memory runs out.
 */
int sensor_msg_add_u64(struct sensor_msg *m, const char *key, uint64_t v);
int sensor_msg_add_i64(struct sensor_msg *m, const char *key, int64_t v);
int sensor_msg_add_double(struct sensor_msg *m, const char *key, double v);
int sensor_msg_add_bool(struct sensor_msg *m, const char *key, bool v);
int sensor_msg_add_str(struct sensor_msg *m, const char *key, const char *v);
int sensor_msg_add_bytes(struct sensor_msg *m, const char *key, const void *v, size_t len);
/* The same with a printf-style key. */
int sensor_msg_addf_u64(struct sensor_msg *m, uint64_t v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int sensor_msg_addf_i64(struct sensor_msg *m, int64_t v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int sensor_msg_addf_double(struct sensor_msg *m, double v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int sensor_msg_addf_bool(struct sensor_msg *m, bool v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int sensor_msg_addf_str(struct sensor_msg *m, const char *v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A path (or subtree) that no longer exists (gNMI delete). */
int sensor_msg_add_delete(struct sensor_msg *m, const char *path);
/* Marks the last message of a sample split over several messages. */
void sensor_msg_set_eom(struct sensor_msg *m, bool eom);
/* Overrides the collection time (ms since the epoch); default: publish time. */
void sensor_msg_set_timestamp(struct sensor_msg *m, uint64_t ms);
size_t sensor_msg_count(const struct sensor_msg *m);

/*
 * Packs a message as the bus would carry it (component, node, sequence as
 * given). Returns a malloc'd buffer and its length, NULL when it would exceed
 * SENSOR_MAX_MSG. Used by sensor_publish() and by tests.
 */
uint8_t *sensor_msg_pack(const struct sensor_msg *m, const char *component, const char *node,
                         uint64_t sequence, uint64_t timestamp_ms, size_t *len);

/* ---- the bus */

struct sensor_bus;

struct sensor_bus_stats {
	uint64_t published;     /* handed to libmosquitto */
	uint64_t written;       /* fully written to the broker's socket */
	uint64_t dropped;       /* sum of the dropped_* below */
	uint64_t dropped_down;  /* bus not connected */
	uint64_t dropped_full;  /* output queue over its bound */
	uint64_t dropped_lost;  /* queued but unwritten when the connection broke */
	uint64_t dropped_error; /* too big to encode, or refused by libmosquitto */
	uint64_t connects;      /* successful CONNACKs */
	uint64_t reconnects;    /* CONNACKs after the first */
	uint64_t sequence;      /* last sequence number stamped */
	uint32_t queued_msgs;   /* handed over, not yet written */
	uint32_t queued_bytes;
	bool connected;
};

/*
 * Starts connecting (non-blocking) and returns at once; NULL only on a bad
 * component name or out of memory. Sets SIGPIPE to SIG_IGN if it is SIG_DFL,
 * because a write to a broker that just died must not kill the daemon.
 */
struct sensor_bus *sensor_bus_open(struct event_base *base, const char *component);
/* Disconnects (best effort, non-blocking) and frees; NULL is fine. */
void sensor_bus_close(struct sensor_bus *bus);
/* Bounds on messages handed to libmosquitto but not yet written (max_msgs <= SENSOR_BUS_QUEUE_CAP).
 */
void sensor_bus_set_limits(struct sensor_bus *bus, uint32_t max_msgs, uint32_t max_bytes);
/*
 * Stamps sequence and time, packs and publishes m at QoS 0 on
 * "keel/<component>/<sensor>", and frees m in every case. 0 when handed to
 * libmosquitto, -1 when dropped (counted in the stats). Never blocks.
 */
int sensor_publish(struct sensor_bus *bus, struct sensor_msg *m);
void sensor_bus_stats(const struct sensor_bus *bus, struct sensor_bus_stats *out);
bool sensor_bus_connected(const struct sensor_bus *bus);

/* ---- topics and the decoder (pure) */

/* "keel/<component>/<sensor>" into buf; -1 when a name is invalid or buf too small. */
int sensor_topic(char *buf, size_t len, const char *component, const char *sensor);
/* Splits a bus topic; -1 unless it is exactly keel/<valid name>/<valid name>. */
int sensor_topic_parse(const char *topic, char *component, size_t clen, char *sensor, size_t slen);
/* True for [A-Za-z0-9_.-]{1,SENSOR_MAX_NAME}. */
bool sensor_name_valid(const char *name);

enum sensor_err {
	SENSOR_ERR_NONE = 0,
	SENSOR_ERR_TOO_BIG,   /* over SENSOR_MAX_MSG */
	SENSOR_ERR_MALFORMED, /* not a protobuf SensorData */
	SENSOR_ERR_TOO_MANY,  /* more than SENSOR_MAX_KV pairs or SENSOR_MAX_DELETE deletes */
	SENSOR_ERR_BAD_NAME,  /* component / node / sensor missing or invalid */
	SENSOR_ERR_BAD_KEY,   /* key not an absolute path, too long, or not UTF-8 text */
	SENSOR_ERR_BAD_VALUE, /* pair without a value, or a string / bytes value too long */
};

const char *sensor_err_name(enum sensor_err e);

/*
 * Decodes and checks one bus payload. On SENSOR_ERR_NONE *out holds the
 * message (free it with sensor_data_free()); otherwise *out is NULL.
 * Every field a consumer reads is within the SENSOR_MAX_* bounds.
 */
enum sensor_err sensor_msg_decode(const uint8_t *buf, size_t len, Keel__Sensor__SensorData **out);
void sensor_data_free(Keel__Sensor__SensorData *d);

#endif
