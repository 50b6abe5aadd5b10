/*
 * Telemetry publishing on the node's MQTT bus; see lib/sensor.h.
 *
 * The connection (non-blocking connects, reconnects with backoff, libevent
 * plumbing, keepalive) is lib/mqtt.c's; what is left here is what the bus
 * adds on top: names, sequence numbers, and the bound on unwritten output.
 *
 * Output-queue accounting: a QoS 0 PUBLISH triggers on_publish once its last
 * byte is written (lib/packet_mosq.c packet__write), and libmosquitto writes
 * packets in FIFO order, so a ring of message sizes popped from the front in
 * the `published` callback tracks exactly what is handed over but unwritten.
 * The size is pushed before mqtt_client_publish() because the publish may be
 * written, and the callback called, before mqtt_client_publish() returns.
 */
#include "lib/sensor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/mqtt.h"

/* ------------------------------------------------------------------ names */

bool sensor_name_valid(const char *name)
{
	size_t n = 0;

	if (!name)
		return false;
	for (; name[n]; n++) {
		char c = name[n];

		if (n >= SENSOR_MAX_NAME)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n > 0;
}

int sensor_topic(char *buf, size_t len, const char *component, const char *sensor)
{
	int n;

	if (!sensor_name_valid(component) || !sensor_name_valid(sensor))
		return -1;
	n = snprintf(buf, len, SENSOR_TOPIC_PREFIX "%s/%s", component, sensor);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int sensor_topic_parse(const char *topic, char *component, size_t clen, char *sensor, size_t slen)
{
	const size_t plen = sizeof(SENSOR_TOPIC_PREFIX) - 1;
	const char *c, *slash;
	size_t n;

	if (!topic || strncmp(topic, SENSOR_TOPIC_PREFIX, plen) != 0)
		return -1;
	c = topic + plen;
	slash = strchr(c, '/');
	if (!slash)
		return -1;
	n = (size_t)(slash - c);
	if (n == 0 || n >= clen || n > SENSOR_MAX_NAME)
		return -1;
	memcpy(component, c, n);
	component[n] = '\0';
	n = strlen(slash + 1);
	if (n >= slen)
		return -1;
	memcpy(sensor, slash + 1, n + 1);
	if (!sensor_name_valid(component) || !sensor_name_valid(sensor))
		return -1;
	return 0;
}

/*
 * RFC 3629 §4: well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * With `text`, C0 controls and DEL are refused too (keys are printable).
 */
static bool utf8_valid(const uint8_t *s, size_t len, bool text)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t need;
		uint32_t cp, min;

		if (c < 0x80) {
			if (text && (c < 0x20 || c == 0x7f))
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* An absolute OpenConfig-style path: "/a/b[k=v]/c". */
static bool sensor_key_valid(const char *key)
{
	size_t n = key ? strnlen(key, SENSOR_MAX_KEY + 1) : 0;

	return n > 0 && n <= SENSOR_MAX_KEY && key[0] == '/' &&
	       utf8_valid((const uint8_t *)key, n, true);
}

/* ---------------------------------------------------------------- builder */

struct sensor_msg {
	char sensor[SENSOR_MAX_NAME + 1];
	Keel__Sensor__KeyValue *kv;
	size_t n_kv, cap_kv;
	char **del;
	size_t n_del, cap_del;
	bool eom;
	uint64_t timestamp;
};

struct sensor_msg *sensor_msg_new(const char *sensor)
{
	struct sensor_msg *m;

	if (!sensor_name_valid(sensor))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	memcpy(m->sensor, sensor, strlen(sensor) + 1);
	return m;
}

static void sensor_kv_clear(Keel__Sensor__KeyValue *kv)
{
	free(kv->key);
	if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE)
		free(kv->str_value);
	else if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE)
		free(kv->bytes_value.data);
}

void sensor_msg_free(struct sensor_msg *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_kv; i++)
		sensor_kv_clear(&m->kv[i]);
	free(m->kv);
	for (size_t i = 0; i < m->n_del; i++)
		free(m->del[i]);
	free(m->del);
	free(m);
}

size_t sensor_msg_count(const struct sensor_msg *m)
{
	return m->n_kv;
}

void sensor_msg_set_eom(struct sensor_msg *m, bool eom)
{
	m->eom = eom;
}

void sensor_msg_set_timestamp(struct sensor_msg *m, uint64_t ms)
{
	m->timestamp = ms;
}

/* Appends a pair with the key set and no value yet; NULL when out of bounds. */
static Keel__Sensor__KeyValue *sensor_msg_slot(struct sensor_msg *m, const char *key)
{
	Keel__Sensor__KeyValue *kv;
	char *k;

	if (!sensor_key_valid(key) || m->n_kv >= SENSOR_MAX_KV)
		return NULL;
	if (m->n_kv == m->cap_kv) {
		size_t cap = m->cap_kv ? m->cap_kv * 2 : 16;
		Keel__Sensor__KeyValue *nkv;

		if (cap > SENSOR_MAX_KV)
			cap = SENSOR_MAX_KV;
		nkv = realloc(m->kv, cap * sizeof(*nkv));
		if (!nkv)
			return NULL;
		m->kv = nkv;
		m->cap_kv = cap;
	}
	k = strdup(key);
	if (!k)
		return NULL;
	kv = &m->kv[m->n_kv];
	keel__sensor__key_value__init(kv);
	kv->key = k;
	return kv;
}

int sensor_msg_add_u64(struct sensor_msg *m, const char *key, uint64_t v)
{
	Keel__Sensor__KeyValue *kv = sensor_msg_slot(m, key);

	if (!kv)
		return -1;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
	kv->uint_value = v;
	m->n_kv++;
	return 0;
}

int sensor_msg_add_i64(struct sensor_msg *m, const char *key, int64_t v)
{
	Keel__Sensor__KeyValue *kv = sensor_msg_slot(m, key);

	if (!kv)
		return -1;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE;
	kv->int_value = v;
	m->n_kv++;
	return 0;
}

int sensor_msg_add_double(struct sensor_msg *m, const char *key, double v)
{
	Keel__Sensor__KeyValue *kv = sensor_msg_slot(m, key);

	if (!kv)
		return -1;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE;
	kv->double_value = v;
	m->n_kv++;
	return 0;
}

int sensor_msg_add_bool(struct sensor_msg *m, const char *key, bool v)
{
	Keel__Sensor__KeyValue *kv = sensor_msg_slot(m, key);

	if (!kv)
		return -1;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE;
	kv->bool_value = v;
	m->n_kv++;
	return 0;
}

int sensor_msg_add_str(struct sensor_msg *m, const char *key, const char *v)
{
	size_t n = v ? strnlen(v, SENSOR_MAX_STR + 1) : SENSOR_MAX_STR + 1;
	Keel__Sensor__KeyValue *kv;
	char *s;

	/* protobuf string fields must be UTF-8 (proto3 language guide, "Scalar Value Types") */
	if (n > SENSOR_MAX_STR || !utf8_valid((const uint8_t *)v, n, false))
		return -1;
	kv = sensor_msg_slot(m, key);
	if (!kv)
		return -1;
	s = strdup(v);
	if (!s) {
		free(kv->key);
		return -1;
	}
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
	kv->str_value = s;
	m->n_kv++;
	return 0;
}

int sensor_msg_add_bytes(struct sensor_msg *m, const char *key, const void *v, size_t len)
{
	Keel__Sensor__KeyValue *kv;
	uint8_t *b;

	if (len > SENSOR_MAX_STR || (len && !v))
		return -1;
	kv = sensor_msg_slot(m, key);
	if (!kv)
		return -1;
	b = malloc(len ? len : 1);
	if (!b) {
		free(kv->key);
		return -1;
	}
	if (len)
		memcpy(b, v, len);
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE;
	kv->bytes_value.data = b;
	kv->bytes_value.len = len;
	m->n_kv++;
	return 0;
}

/* Formats a key; -1 when it does not fit SENSOR_MAX_KEY. */
static int sensor_vkey(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

#define SENSOR_ADDF(fn, add, type)                                                                 \
	int fn(struct sensor_msg *m, type v, const char *fmt, ...)                                 \
	{                                                                                          \
		char key[SENSOR_MAX_KEY + 1];                                                      \
		va_list ap;                                                                        \
		int rc;                                                                            \
                                                                                                   \
		va_start(ap, fmt);                                                                 \
		rc = sensor_vkey(key, sizeof(key), fmt, ap);                                       \
		va_end(ap);                                                                        \
		return rc < 0 ? -1 : add(m, key, v);                                               \
	}

SENSOR_ADDF(sensor_msg_addf_u64, sensor_msg_add_u64, uint64_t)
SENSOR_ADDF(sensor_msg_addf_i64, sensor_msg_add_i64, int64_t)
SENSOR_ADDF(sensor_msg_addf_double, sensor_msg_add_double, double)
SENSOR_ADDF(sensor_msg_addf_bool, sensor_msg_add_bool, bool)
SENSOR_ADDF(sensor_msg_addf_str, sensor_msg_add_str, const char *)

int sensor_msg_add_delete(struct sensor_msg *m, const char *path)
{
	char *p;

	if (!sensor_key_valid(path) || m->n_del >= SENSOR_MAX_DELETE)
		return -1;
	if (m->n_del == m->cap_del) {
		size_t cap = m->cap_del ? m->cap_del * 2 : 4;
		char **nd;

		if (cap > SENSOR_MAX_DELETE)
			cap = SENSOR_MAX_DELETE;
		nd = realloc(m->del, cap * sizeof(*nd));
		if (!nd)
			return -1;
		m->del = nd;
		m->cap_del = cap;
	}
	p = strdup(path);
	if (!p)
		return -1;
	m->del[m->n_del++] = p;
	return 0;
}

uint8_t *sensor_msg_pack(const struct sensor_msg *m, const char *component, const char *node,
                         uint64_t sequence, uint64_t timestamp_ms, size_t *len)
{
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	Keel__Sensor__KeyValue **ptrs = NULL;
	uint8_t *buf = NULL;
	size_t size;

	if (m->n_kv) {
		ptrs = calloc(m->n_kv, sizeof(*ptrs));
		if (!ptrs)
			return NULL;
		for (size_t i = 0; i < m->n_kv; i++)
			ptrs[i] = &m->kv[i];
	}
	d.component = (char *)component;
	d.node = (char *)node;
	d.sensor = (char *)m->sensor;
	d.sequence = sequence;
	d.timestamp = timestamp_ms;
	d.kv = ptrs;
	d.n_kv = m->n_kv;
	d.delete_paths = m->del;
	d.n_delete_paths = m->n_del;
	d.eom = m->eom;
	size = keel__sensor__sensor_data__get_packed_size(&d);
	if (size <= SENSOR_MAX_MSG) {
		buf = malloc(size ? size : 1);
		if (buf)
			*len = keel__sensor__sensor_data__pack(&d, buf);
	}
	free(ptrs);
	return buf;
}

/* ---------------------------------------------------------------- decoder */

const char *sensor_err_name(enum sensor_err e)
{
	switch (e) {
	case SENSOR_ERR_NONE:
		return "ok";
	case SENSOR_ERR_TOO_BIG:
		return "message too big";
	case SENSOR_ERR_MALFORMED:
		return "malformed message";
	case SENSOR_ERR_TOO_MANY:
		return "too many pairs";
	case SENSOR_ERR_BAD_NAME:
		return "bad component, node or sensor name";
	case SENSOR_ERR_BAD_KEY:
		return "bad key";
	case SENSOR_ERR_BAD_VALUE:
		return "bad value";
	}
	return "unknown";
}

/* Protocol Buffers encoding, "Base 128 Varints": at most 10 bytes. */
static int pb_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 10; i++) {
		if (*pos >= len)
			return -1;
		uint8_t b = buf[(*pos)++];

		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/*
 * Counts the repeated fields before protobuf-c allocates them: a 1 MiB payload
 * of empty KeyValues would otherwise cost ~25 MB before the count check.
 */
static enum sensor_err sensor_prescan(const uint8_t *buf, size_t len)
{
	size_t pos = 0, n_kv = 0, n_del = 0;

	while (pos < len) {
		uint64_t tag, v;

		if (pb_varint(buf, len, &pos, &tag) < 0 || (tag >> 3) == 0)
			return SENSOR_ERR_MALFORMED;
		switch (tag & 7) {
		case 0: /* varint */
			if (pb_varint(buf, len, &pos, &v) < 0)
				return SENSOR_ERR_MALFORMED;
			break;
		case 1: /* 64-bit */
			if (len - pos < 8)
				return SENSOR_ERR_MALFORMED;
			pos += 8;
			break;
		case 2: /* length-delimited */
			if (pb_varint(buf, len, &pos, &v) < 0 || v > len - pos)
				return SENSOR_ERR_MALFORMED;
			pos += (size_t)v;
			if ((tag >> 3) == 6 && ++n_kv > SENSOR_MAX_KV)
				return SENSOR_ERR_TOO_MANY;
			if ((tag >> 3) == 7 && ++n_del > SENSOR_MAX_DELETE)
				return SENSOR_ERR_TOO_MANY;
			break;
		case 5: /* 32-bit */
			if (len - pos < 4)
				return SENSOR_ERR_MALFORMED;
			pos += 4;
			break;
		default: /* groups (deprecated) and invalid wire types */
			return SENSOR_ERR_MALFORMED;
		}
	}
	return SENSOR_ERR_NONE;
}

static enum sensor_err sensor_check(const Keel__Sensor__SensorData *d)
{
	if (!sensor_name_valid(d->component) || !sensor_name_valid(d->node) ||
	    !sensor_name_valid(d->sensor))
		return SENSOR_ERR_BAD_NAME;
	for (size_t i = 0; i < d->n_kv; i++) {
		const Keel__Sensor__KeyValue *kv = d->kv[i];
		size_t n;

		if (!sensor_key_valid(kv->key))
			return SENSOR_ERR_BAD_KEY;
		switch (kv->value_case) {
		case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
		case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
		case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
		case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE:
			n = strnlen(kv->str_value, SENSOR_MAX_STR + 1);
			if (n > SENSOR_MAX_STR ||
			    !utf8_valid((const uint8_t *)kv->str_value, n, false))
				return SENSOR_ERR_BAD_VALUE;
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
			if (kv->bytes_value.len > SENSOR_MAX_STR)
				return SENSOR_ERR_BAD_VALUE;
			break;
		default:
			return SENSOR_ERR_BAD_VALUE;
		}
	}
	for (size_t i = 0; i < d->n_delete_paths; i++)
		if (!sensor_key_valid(d->delete_paths[i]))
			return SENSOR_ERR_BAD_KEY;
	return SENSOR_ERR_NONE;
}

enum sensor_err sensor_msg_decode(const uint8_t *buf, size_t len, Keel__Sensor__SensorData **out)
{
	Keel__Sensor__SensorData *d;
	enum sensor_err e;

	*out = NULL;
	if (len > SENSOR_MAX_MSG)
		return SENSOR_ERR_TOO_BIG;
	if (len && !buf)
		return SENSOR_ERR_MALFORMED;
	e = sensor_prescan(buf, len);
	if (e != SENSOR_ERR_NONE)
		return e;
	d = keel__sensor__sensor_data__unpack(NULL, len, buf);
	if (!d)
		return SENSOR_ERR_MALFORMED;
	e = sensor_check(d);
	if (e != SENSOR_ERR_NONE) {
		keel__sensor__sensor_data__free_unpacked(d, NULL);
		return e;
	}
	*out = d;
	return SENSOR_ERR_NONE;
}

void sensor_data_free(Keel__Sensor__SensorData *d)
{
	if (d)
		keel__sensor__sensor_data__free_unpacked(d, NULL);
}

/* -------------------------------------------------------------------- bus */

/* lib/sensor.h documents the bus's timing; lib/mqtt.c is what applies it */
_Static_assert(SENSOR_BUS_BACKOFF_MIN_MS == MQTT_BACKOFF_MIN_MS &&
                       SENSOR_BUS_BACKOFF_MAX_MS == MQTT_BACKOFF_MAX_MS &&
                       SENSOR_BUS_KEEPALIVE_S == MQTT_KEEPALIVE_S,
               "sensor.h and mqtt.h disagree on the bus timing");

struct sensor_bus {
	struct mqtt_client *c; /* connection, reconnects, event plumbing */
	char component[SENSOR_MAX_NAME + 1];
	char node[SENSOR_MAX_NAME + 1];
	uint32_t max_msgs, max_bytes;
	/* sizes of handed-over, unwritten messages, oldest at q_head */
	uint32_t q_size[SENSOR_BUS_QUEUE_CAP];
	uint32_t q_head, q_n, q_bytes;
	bool in_publish;  /* inside mqtt_client_publish(): its message is q's last */
	bool in_pub_lost; /* ... and the connection broke meanwhile */
	struct sensor_bus_stats st;
};

static void bus_queue_pop_back(struct sensor_bus *bus)
{
	if (bus->q_n == 0)
		return;
	bus->q_n--;
	bus->q_bytes -= bus->q_size[(bus->q_head + bus->q_n) % SENSOR_BUS_QUEUE_CAP];
}

static void bus_drop(struct sensor_bus *bus, uint64_t *counter, uint64_t n)
{
	*counter += n;
	bus->st.dropped += n;
}

static void bus_on_connected(void *arg)
{
	struct sensor_bus *bus = arg;

	bus->st.connects++;
	if (bus->st.connects > 1)
		bus->st.reconnects++;
}

/*
 * The connection is gone: libmosquitto discards its unwritten packets on the
 * next connect (lib/connect.c mosquitto__reconnect -> packet__cleanup_all),
 * so whatever is still queued is lost. A message whose publish is still
 * under way is left to sensor_publish(): lost if libmosquitto took it,
 * otherwise dropped for the reason the publish gives.
 */
static void bus_on_disconnected(void *arg)
{
	struct sensor_bus *bus = arg;

	if (bus->in_publish && bus->q_n > 0) {
		bus_queue_pop_back(bus);
		bus->in_pub_lost = true;
	}
	bus_drop(bus, &bus->st.dropped_lost, bus->q_n);
	bus->q_head = bus->q_n = bus->q_bytes = 0;
}

/* QoS 0: libmosquitto calls this once the PUBLISH's last byte is written. */
static void bus_on_published(void *arg, int mid)
{
	struct sensor_bus *bus = arg;

	if (bus->q_n > 0) {
		bus->q_bytes -= bus->q_size[bus->q_head];
		bus->q_head = (bus->q_head + 1) % SENSOR_BUS_QUEUE_CAP;
		bus->q_n--;
	}
	bus->st.written++;
}

static void bus_node_name(char *buf, size_t len)
{
	const char *env = getenv("KEEL_NODE_NAME");
	char host[256] = "";
	size_t n = 0;

	if (env && *env)
		snprintf(host, sizeof(host), "%s", env);
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	/* keep it a valid name: decoders refuse anything else */
	for (const char *p = host; *p && n + 1 < len && n < SENSOR_MAX_NAME; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';

		buf[n++] = ok ? c : '_';
	}
	if (n == 0 && len > 5) {
		memcpy(buf, "local", 5);
		n = 5;
	}
	buf[n] = '\0';
}

struct sensor_bus *sensor_bus_open(struct event_base *base, const char *component)
{
	static const struct mqtt_client_ops ops = {
	        .connected = bus_on_connected,
	        .disconnected = bus_on_disconnected,
	        .published = bus_on_published,
	};
	struct sensor_bus *bus;
	const char *env;
	const char *host = SENSOR_BUS_HOST;
	int port = SENSOR_BUS_PORT;
	char id[SENSOR_MAX_NAME + 32];

	if (!sensor_name_valid(component))
		return NULL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->max_msgs = SENSOR_BUS_QUEUE_MSGS;
	bus->max_bytes = SENSOR_BUS_QUEUE_BYTES;
	memcpy(bus->component, component, strlen(component) + 1);
	bus_node_name(bus->node, sizeof(bus->node));
	env = getenv("KEEL_BUS_HOST");
	if (env && *env)
		host = env;
	env = getenv("KEEL_BUS_PORT");
	if (env && *env) {
		char *end;
		long p = strtol(env, &end, 10);

		if (*end == '\0' && p > 0 && p <= 65535)
			port = (int)p;
		else
			log_warnx("sensor bus: ignoring KEEL_BUS_PORT=%s", env);
	}
	/* unique per broker: the broker drops the older of two equal client ids */
	snprintf(id, sizeof(id), "keel-%s-%ld", component, (long)getpid());
	/* MQTT 3.1.1 (libmosquitto's default: no prefer_v5): every consumer reads it */
	bus->c = mqtt_client_new(base, id, host, port, &ops, bus);
	if (!bus->c) {
		free(bus);
		return NULL;
	}
	return bus;
}

void sensor_bus_close(struct sensor_bus *bus)
{
	if (!bus)
		return;
	mqtt_client_free(bus->c);
	free(bus);
}

void sensor_bus_set_limits(struct sensor_bus *bus, uint32_t max_msgs, uint32_t max_bytes)
{
	if (max_msgs > SENSOR_BUS_QUEUE_CAP)
		max_msgs = SENSOR_BUS_QUEUE_CAP;
	bus->max_msgs = max_msgs ? max_msgs : 1;
	bus->max_bytes = max_bytes ? max_bytes : 1;
}

int sensor_publish(struct sensor_bus *bus, struct sensor_msg *m)
{
	char topic[SENSOR_MAX_TOPIC];
	uint64_t seq = ++bus->st.sequence;
	uint8_t *buf;
	size_t len = 0;
	int rc;

	if (!mqtt_client_connected(bus->c)) {
		bus_drop(bus, &bus->st.dropped_down, 1);
		sensor_msg_free(m);
		return -1;
	}
	buf = sensor_msg_pack(m, bus->component, bus->node, seq,
	                      m->timestamp ? m->timestamp : wall_ms(), &len);
	if (!buf || sensor_topic(topic, sizeof(topic), bus->component, m->sensor) < 0) {
		bus_drop(bus, &bus->st.dropped_error, 1);
		free(buf);
		sensor_msg_free(m);
		return -1;
	}
	sensor_msg_free(m);
	if (bus->q_n >= bus->max_msgs || (bus->q_n > 0 && bus->q_bytes + len > bus->max_bytes)) {
		bus_drop(bus, &bus->st.dropped_full, 1);
		free(buf);
		return -1;
	}
	/* pushed first: the published callback may run inside the publish */
	bus->q_size[(bus->q_head + bus->q_n) % SENSOR_BUS_QUEUE_CAP] = (uint32_t)len;
	bus->q_n++;
	bus->q_bytes += (uint32_t)len;
	bus->in_publish = true;
	bus->in_pub_lost = false;
	rc = mqtt_client_publish(bus->c, topic, buf, len, 0, false, NULL);
	bus->in_publish = false;
	free(buf);
	if (rc != 0) {
		if (!bus->in_pub_lost)
			bus_queue_pop_back(bus);
		bus_drop(bus,
		         mqtt_client_publish_down(bus->c) ? &bus->st.dropped_down
		                                          : &bus->st.dropped_error,
		         1);
		return -1;
	}
	bus->st.published++;
	if (bus->in_pub_lost)
		bus_drop(bus, &bus->st.dropped_lost, 1);
	return 0;
}

void sensor_bus_stats(const struct sensor_bus *bus, struct sensor_bus_stats *out)
{
	*out = bus->st;
	out->queued_msgs = bus->q_n;
	out->queued_bytes = bus->q_bytes;
	out->connected = mqtt_client_connected(bus->c);
}

bool sensor_bus_connected(const struct sensor_bus *bus)
{
	return mqtt_client_connected(bus->c);
}
