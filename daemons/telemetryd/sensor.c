/*
 * The sensor table (pure: config JSON in, table out; bus pairs in, export
 * windows out; no I/O).
 *
 * Resources are parsed once at provisioning into element arrays, so matching a
 * bus key is an element-by-element compare without libyang (telemetry.md §9:
 * schema lookups per update would cost a large share of a core). A window keeps
 * the newest value per key (a hash of key -> entry) until the sensor's
 * reporting-rate has passed since the window opened, then the exporter takes
 * the whole window at once: Junos' reporting-interval semantics, and a slow
 * bus sample rate never multiplies export traffic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/cfg.h"
#include "lib/sensor.h"

void tm_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *tm_format_name(enum tm_format f)
{
	switch (f) {
	case TM_FORMAT_GPB:
		return "gpb";
	case TM_FORMAT_GPB_SDM:
		return "gpb-sdm";
	case TM_FORMAT_JSON:
		return "json";
	}
	return "?";
}

const char *tm_transport_name(enum tm_transport t)
{
	switch (t) {
	case TM_TRANSPORT_UDP:
		return "udp";
	case TM_TRANSPORT_GRPC:
		return "grpc";
	case TM_TRANSPORT_MQTT:
		return "mqtt";
	}
	return "?";
}

/* ------------------------------------------------------------------ paths */

static int tm_copy(char *dst, size_t dlen, const char *src, size_t n)
{
	if (n >= dlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* One predicate "k=v" between s and e (brackets excluded). */
static int tm_path_pred(struct tm_path_elem *el, const char *s, const char *e, char *err,
                        size_t errlen)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	const char *v;
	size_t vn;
	struct tm_path_key *k;

	if (!eq || eq == s) {
		tm_errf(err, errlen, "predicate of %s is not key=value", el->name);
		return -1;
	}
	if (el->n_keys >= TM_PATH_MAX_KEYS) {
		tm_errf(err, errlen, "too many predicates on %s", el->name);
		return -1;
	}
	k = &el->keys[el->n_keys];
	if (tm_copy(k->name, sizeof(k->name), s, (size_t)(eq - s))) {
		tm_errf(err, errlen, "predicate of %s too long", el->name);
		return -1;
	}
	/* a key given twice has no single value to match */
	for (unsigned i = 0; i < el->n_keys; i++)
		if (!strcmp(el->keys[i].name, k->name)) {
			tm_errf(err, errlen, "key %s given twice on %s", k->name, el->name);
			return -1;
		}
	v = eq + 1;
	vn = (size_t)(e - v);
	/* XPath quotes (gNMI and libyang style) are accepted and dropped. */
	if (vn >= 2 && (v[0] == '\'' || v[0] == '"') && v[vn - 1] == v[0]) {
		v++;
		vn -= 2;
	}
	if (tm_copy(k->value, sizeof(k->value), v, vn)) {
		tm_errf(err, errlen, "predicate of %s too long", el->name);
		return -1;
	}
	el->n_keys++;
	return 0;
}

int tm_path_parse(const char *s, struct tm_path *out, char *err, size_t errlen)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!s || s[0] != '/') {
		tm_errf(err, errlen, "path must start with '/'");
		return -1;
	}
	len = strnlen(s, TM_PATH_MAX + 1);
	if (len > TM_PATH_MAX) {
		tm_errf(err, errlen, "path longer than %d bytes", TM_PATH_MAX);
		return -1;
	}
	s++;
	while (*s) {
		struct tm_path_elem *el;
		const char *n = s, *colon;
		size_t nl;

		while (*s && *s != '/' && *s != '[')
			s++;
		nl = (size_t)(s - n);
		if (nl == 0) {
			tm_errf(err, errlen, "empty path element");
			return -1;
		}
		if (out->n_elem >= TM_PATH_MAX_ELEMS) {
			tm_errf(err, errlen, "more than %d path elements", TM_PATH_MAX_ELEMS);
			return -1;
		}
		el = &out->elem[out->n_elem++];
		colon = memchr(n, ':', nl);
		if (colon) {
			if (colon == n ||
			    tm_copy(el->module, sizeof(el->module), n, (size_t)(colon - n))) {
				tm_errf(err, errlen, "bad module prefix");
				return -1;
			}
			nl -= (size_t)(colon + 1 - n);
			n = colon + 1;
		}
		if (nl == 0 || tm_copy(el->name, sizeof(el->name), n, nl)) {
			tm_errf(err, errlen, "bad path element");
			return -1;
		}
		while (*s == '[') {
			const char *e = ++s;
			char q = 0;

			/* a quoted value may hold ']' */
			while (*e && (q || *e != ']')) {
				if (!q && (*e == '\'' || *e == '"'))
					q = *e;
				else if (q && *e == q)
					q = 0;
				e++;
			}
			if (*e != ']') {
				tm_errf(err, errlen, "unbalanced '[' after %s", el->name);
				return -1;
			}
			if (tm_path_pred(el, s, e, err, errlen))
				return -1;
			s = e + 1;
		}
		if (*s == '/')
			s++;
		else if (*s) {
			tm_errf(err, errlen, "junk after predicate of %s", el->name);
			return -1;
		}
	}
	return 0;
}

const char *tm_path_elem_key(const struct tm_path_elem *el, const char *name)
{
	unsigned i;

	for (i = 0; i < el->n_keys; i++)
		if (!strcmp(el->keys[i].name, name))
			return el->keys[i].value;
	return NULL;
}

bool tm_path_match(const struct tm_path *res, const struct tm_path *key)
{
	unsigned i, j;

	if (res->n_elem > key->n_elem)
		return false;
	for (i = 0; i < res->n_elem; i++) {
		const struct tm_path_elem *r = &res->elem[i], *k = &key->elem[i];

		if (strcmp(r->name, k->name))
			return false;
		for (j = 0; j < r->n_keys; j++) {
			const char *v = tm_path_elem_key(k, r->keys[j].name);

			if (!v || strcmp(v, r->keys[j].value))
				return false;
		}
	}
	return true;
}

bool tm_path_match_str(const struct tm_path *res, const char *key)
{
	struct tm_path k;

	if (tm_path_parse(key, &k, NULL, 0))
		return false;
	return tm_path_match(res, &k);
}

/* ------------------------------------------------------------------ windows */

static uint32_t tm_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

uint32_t tm_sensor_hash(const char *name)
{
	return tm_hash(name);
}

void tm_window_init(struct tm_window *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < TM_WINDOW_BUCKETS; i++)
		w->bucket[i] = -1;
}

void tm_kv_clear(Keel__Sensor__KeyValue *kv)
{
	free(kv->key);
	if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE)
		free(kv->str_value);
	else if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE)
		free(kv->bytes_value.data);
	keel__sensor__key_value__init(kv);
}

void tm_window_free(struct tm_window *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		tm_kv_clear(&w->e[i].kv);
	free(w->e);
	tm_window_init(w);
}

const struct tm_entry *tm_window_find(const struct tm_window *w, const char *key)
{
	int i = w->n ? w->bucket[tm_hash(key) % TM_WINDOW_BUCKETS] : -1;

	for (; i >= 0; i = w->e[i].next)
		if (!strcmp(w->e[i].kv.key, key))
			return &w->e[i];
	return NULL;
}

/* Copies the value of src into dst (dst's key untouched); -1 on out of memory. */
static int tm_kv_set_value(Keel__Sensor__KeyValue *dst, const Keel__Sensor__KeyValue *src)
{
	char *key = dst->key;

	if (dst->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE)
		free(dst->str_value);
	else if (dst->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE)
		free(dst->bytes_value.data);
	keel__sensor__key_value__init(dst);
	dst->key = key;
	dst->value_case = src->value_case;
	switch (src->value_case) {
	case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE:
		if (!(dst->str_value = strdup(src->str_value ? src->str_value : ""))) {
			dst->value_case = KEEL__SENSOR__KEY_VALUE__VALUE__NOT_SET;
			return -1;
		}
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
		dst->bytes_value.len = src->bytes_value.len;
		dst->bytes_value.data = malloc(src->bytes_value.len ? src->bytes_value.len : 1);
		if (!dst->bytes_value.data) {
			dst->value_case = KEEL__SENSOR__KEY_VALUE__VALUE__NOT_SET;
			return -1;
		}
		if (src->bytes_value.len)
			memcpy(dst->bytes_value.data, src->bytes_value.data, src->bytes_value.len);
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
		dst->double_value = src->double_value;
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
		dst->int_value = src->int_value;
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
		dst->uint_value = src->uint_value;
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
		dst->bool_value = src->bool_value;
		break;
	default:
		break;
	}
	return 0;
}

int tm_kv_copy(Keel__Sensor__KeyValue *dst, const Keel__Sensor__KeyValue *src)
{
	keel__sensor__key_value__init(dst);
	if (!(dst->key = strdup(src->key ? src->key : "")))
		return -1;
	if (tm_kv_set_value(dst, src)) {
		tm_kv_clear(dst);
		return -1;
	}
	return 0;
}

/* Newest value wins; -1 when the window is full or memory runs out. */
int tm_window_put(struct tm_window *w, const Keel__Sensor__KeyValue *kv, uint64_t ts)
{
	uint32_t b = tm_hash(kv->key) % TM_WINDOW_BUCKETS;
	struct tm_entry *e = (struct tm_entry *)tm_window_find(w, kv->key);

	if (!e) {
		if (w->n >= TM_WINDOW_MAX_KEYS) {
			w->overflow++;
			return -1;
		}
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 64;
			struct tm_entry *ne = realloc(w->e, cap * sizeof(*ne));

			if (!ne)
				return -1;
			w->e = ne;
			w->cap = cap;
		}
		e = &w->e[w->n];
		keel__sensor__key_value__init(&e->kv);
		if (!(e->kv.key = strdup(kv->key)))
			return -1;
		e->next = w->bucket[b];
		w->bucket[b] = (int)w->n;
		w->n++;
	}
	e->timestamp = ts;
	return tm_kv_set_value(&e->kv, kv);
}

static int tm_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tm_entry *)a)->kv.key, ((const struct tm_entry *)b)->kv.key);
}

/* ------------------------------------------------------------------ sensors */

static void tm_sensor_note_component(struct tm_sensor *s, const char *c)
{
	unsigned i;

	if (!c || !*c)
		return;
	for (i = 0; i < s->n_components; i++)
		if (!strcmp(s->components[i], c))
			return;
	if (s->n_components < TM_MAX_COMPONENTS)
		snprintf(s->components[s->n_components++], TM_NAME_MAX, "%s", c);
}

int tm_sensor_feed(struct tm_sensor *s, const char *component, const Keel__Sensor__KeyValue *kv,
                   uint64_t timestamp)
{
	struct tm_path k;

	if (!kv->key || tm_path_parse(kv->key, &k, NULL, 0) || !tm_path_match(&s->path, &k))
		return 0;
	if (tm_window_put(&s->win, kv, timestamp))
		return 0;
	tm_sensor_note_component(s, component);
	s->updates++;
	return 1;
}

size_t tm_table_feed(struct tm_table *t, const Keel__Sensor__SensorData *d)
{
	size_t i, j, n = 0;

	for (i = 0; i < d->n_kv; i++) {
		struct tm_path k;

		if (!d->kv[i]->key || tm_path_parse(d->kv[i]->key, &k, NULL, 0))
			continue;
		/* parse the key once, match it against every sensor */
		for (j = 0; j < t->n_sensor; j++) {
			struct tm_sensor *s = &t->sensor[j];

			if (!tm_path_match(&s->path, &k) ||
			    tm_window_put(&s->win, d->kv[i], d->timestamp))
				continue;
			tm_sensor_note_component(s, d->component);
			s->updates++;
			n++;
		}
	}
	return n;
}

void tm_sensor_arm(struct tm_sensor *s, uint64_t now_ms)
{
	if (!s->next_emit_ms)
		s->next_emit_ms = now_ms + (uint64_t)s->rate_s * 1000;
}

bool tm_sensor_due(const struct tm_sensor *s, uint64_t now_ms)
{
	if (!s->win.n)
		return false;
	if (s->rate_s == 0)
		return true;
	return s->next_emit_ms && now_ms >= s->next_emit_ms;
}

void tm_sensor_take(struct tm_sensor *s, uint64_t now_ms, struct tm_window *out)
{
	size_t i;

	*out = s->win;
	if (out->n > 1)
		qsort(out->e, out->n, sizeof(*out->e), tm_entry_cmp);
	/* hash chains are stale after the sort; the taken window is read by index,
	 * and tm_window_find on it rebuilds nothing, so rebuild the chains */
	for (i = 0; i < TM_WINDOW_BUCKETS; i++)
		out->bucket[i] = -1;
	for (i = 0; i < out->n; i++) {
		uint32_t b = tm_hash(out->e[i].kv.key) % TM_WINDOW_BUCKETS;

		out->e[i].next = out->bucket[b];
		out->bucket[b] = (int)i;
	}
	tm_window_init(&s->win);
	/* The next window is a full period from this export, so a steady source
	 * exports once per period whatever its own sample rate. */
	s->next_emit_ms = now_ms + (uint64_t)s->rate_s * 1000;
}

/* ------------------------------------------------------------------ table */

static int tm_str(struct json_object *o, const char *name, char *buf, size_t len, bool required,
                  char *err, size_t errlen, const char *what)
{
	const char *v = cfg_get_str(o, name);

	if (!v) {
		buf[0] = '\0';
		if (required) {
			tm_errf(err, errlen, "%s: %s missing", what, name);
			return -1;
		}
		return 0;
	}
	if (strlen(v) >= len) {
		tm_errf(err, errlen, "%s: %s too long", what, name);
		return -1;
	}
	snprintf(buf, len, "%s", v);
	return 0;
}

/* A uint32 leaf; RFC 7951 §6.1 writes it as a number. -1 if absent. */
static int64_t tm_u32(struct json_object *o, const char *name)
{
	struct json_object *v = cfg_get(o, name);

	if (!v)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		return x >= 0 && x <= UINT32_MAX ? x : -1;
	}
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		long long x = strtoll(json_object_get_string(v), &end, 10);

		return *end == '\0' && x >= 0 && x <= UINT32_MAX ? x : -1;
	}
	return -1;
}

static int tm_parse_server(struct json_object *o, struct tm_server *s, char *err, size_t errlen)
{
	int64_t port;

	if (tm_str(o, "name", s->name, sizeof(s->name), true, err, errlen, "streaming-server") ||
	    tm_str(o, "remote-address", s->address, sizeof(s->address), true, err, errlen, s->name))
		return -1;
	port = tm_u32(o, "remote-port");
	if (port < 1 || port > 65535) {
		tm_errf(err, errlen, "streaming-server %s: remote-port missing or invalid",
		        s->name);
		return -1;
	}
	s->port = (uint16_t)port;
	return 0;
}

static int tm_parse_profile(struct json_object *o, struct tm_profile *p, char *err, size_t errlen)
{
	const char *f, *t;
	int64_t rate, lport;

	if (tm_str(o, "name", p->name, sizeof(p->name), true, err, errlen, "export-profile") ||
	    tm_str(o, "topic-prefix", p->topic_prefix, sizeof(p->topic_prefix), false, err, errlen,
	           p->name))
		return -1;
	if (!p->topic_prefix[0])
		snprintf(p->topic_prefix, sizeof(p->topic_prefix), "keel");
	rate = tm_u32(o, "reporting-rate");
	p->reporting_rate = rate < 0 ? TM_RATE_DEFAULT_S : (uint32_t)rate;
	if (p->reporting_rate > TM_RATE_MAX_S) {
		tm_errf(err, errlen, "export-profile %s: reporting-rate over %d", p->name,
		        TM_RATE_MAX_S);
		return -1;
	}
	f = cfg_get_str(o, "format");
	if (!f || !strcmp(f, "gpb"))
		p->format = TM_FORMAT_GPB;
	else if (!strcmp(f, "gpb-sdm"))
		p->format = TM_FORMAT_GPB_SDM;
	else if (!strcmp(f, "json"))
		p->format = TM_FORMAT_JSON;
	else {
		tm_errf(err, errlen, "export-profile %s: unknown format %s", p->name, f);
		return -1;
	}
	t = cfg_get_str(o, "transport");
	if (!t || !strcmp(t, "udp"))
		p->transport = TM_TRANSPORT_UDP;
	else if (!strcmp(t, "grpc"))
		p->transport = TM_TRANSPORT_GRPC;
	else if (!strcmp(t, "mqtt"))
		p->transport = TM_TRANSPORT_MQTT;
	else {
		tm_errf(err, errlen, "export-profile %s: unknown transport %s", p->name, t);
		return -1;
	}
	if (tm_str(o, "local-address", p->local_address, sizeof(p->local_address), false, err,
	           errlen, p->name))
		return -1;
	lport = cfg_get(o, "local-port") ? tm_u32(o, "local-port") : 0;
	if (lport < 0 || lport > 65535) {
		tm_errf(err, errlen, "export-profile %s: local-port invalid", p->name);
		return -1;
	}
	p->local_port = (uint16_t)lport;
	/* the source of a UDP datagram is ours to choose; an MQTT or gRPC session
	 * is not bound here: refuse rather than ignore the knob */
	if ((p->local_address[0] || p->local_port) && p->transport != TM_TRANSPORT_UDP) {
		tm_errf(err, errlen,
		        "export-profile %s: local-address and local-port apply to transport udp "
		        "only (transport %s)",
		        p->name, tm_transport_name(p->transport));
		return -1;
	}
	return 0;
}

/*
 * A udp profile's local-address / local-port go to the servers its sensors
 * name (export.c binds one socket per server). Two profiles sending to one
 * server from different sources, or a source of the other address family,
 * are refused here rather than half applied.
 */
static int tm_bind_servers(struct tm_table *t, char *err, size_t errlen)
{
	bool *set = calloc(t->n_server ? t->n_server : 1, sizeof(*set));
	const char **by = calloc(t->n_server ? t->n_server : 1, sizeof(*by));
	int rc = -1;

	if (!set || !by) {
		tm_errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->n_sensor; i++) {
		const struct tm_sensor *s = &t->sensor[i];
		const struct tm_profile *p =
		        s->export_name[0] ? tm_table_profile(t, s->export_name) : NULL;

		if (!p || p->transport != TM_TRANSPORT_UDP)
			continue;
		for (unsigned k = 0; k < s->n_servers; k++) {
			size_t j;

			for (j = 0; j < t->n_server && strcmp(t->server[j].name, s->servers[k]);
			     j++)
				;
			if (j == t->n_server)
				continue;
			if (set[j] && (strcmp(t->server[j].local_address, p->local_address) ||
			               t->server[j].local_port != p->local_port)) {
				tm_errf(err, errlen,
				        "streaming-server %s: export-profiles %s and %s give "
				        "different local-address/local-port for its udp export",
				        t->server[j].name, by[j], p->name);
				goto out;
			}
			if (p->local_address[0] &&
			    !strchr(p->local_address, ':') != !strchr(t->server[j].address, ':')) {
				tm_errf(err, errlen,
				        "export-profile %s: local-address %s and streaming-server %s "
				        "(%s) are of different address families",
				        p->name, p->local_address, t->server[j].name,
				        t->server[j].address);
				goto out;
			}
			set[j] = true;
			by[j] = p->name;
			snprintf(t->server[j].local_address, sizeof(t->server[j].local_address),
			         "%s", p->local_address);
			t->server[j].local_port = p->local_port;
		}
	}
	rc = 0;
out:
	free(set);
	free(by);
	return rc;
}

static int tm_parse_sensor(struct json_object *o, const struct tm_table *t, struct tm_schema *sc,
                           struct tm_sensor *s, char *err, size_t errlen)
{
	struct json_object *srv;
	char perr[200];
	int64_t rate;
	const struct tm_profile *p = NULL;

	tm_window_init(&s->win);
	tm_window_init(&s->state);
	if (tm_str(o, "name", s->name, sizeof(s->name), true, err, errlen, "sensor") ||
	    tm_str(o, "resource", s->resource, sizeof(s->resource), true, err, errlen, s->name) ||
	    tm_str(o, "export-name", s->export_name, sizeof(s->export_name), false, err, errlen,
	           s->name))
		return -1;
	if (tm_path_parse(s->resource, &s->path, perr, sizeof(perr))) {
		tm_errf(err, errlen, "sensor %s: resource %s: %s", s->name, s->resource, perr);
		return -1;
	}
	if (sc && tm_schema_check(sc, &s->path, perr, sizeof(perr))) {
		tm_errf(err, errlen, "sensor %s: resource %s: %s", s->name, s->resource, perr);
		return -1;
	}
	srv = cfg_get(o, "server-name");
	for (size_t i = 0;
	     srv && json_object_is_type(srv, json_type_array) && i < json_object_array_length(srv);
	     i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(srv, i));

		if (!n || strlen(n) >= sizeof(s->server_name)) {
			tm_errf(err, errlen, "sensor %s: bad server-name", s->name);
			return -1;
		}
		if (s->n_servers == TM_MAX_SERVERS) {
			tm_errf(err, errlen, "sensor %s: more than %d server-names", s->name,
			        TM_MAX_SERVERS);
			return -1;
		}
		if (!tm_table_server(t, n)) {
			tm_errf(err, errlen, "sensor %s: no streaming-server %s", s->name, n);
			return -1;
		}
		snprintf(s->servers[s->n_servers++], sizeof(s->servers[0]), "%s", n);
	}
	if (s->n_servers)
		snprintf(s->server_name, sizeof(s->server_name), "%s", s->servers[0]);
	if (s->export_name[0] && !(p = tm_table_profile(t, s->export_name))) {
		tm_errf(err, errlen, "sensor %s: no export-profile %s", s->name, s->export_name);
		return -1;
	}
	/* Junos streams transport grpc to a streaming-server by gRPC dial-out; keel
	 * has none (collectors dial in over gNMI): refuse rather than export nothing */
	if (p && s->n_servers && p->transport == TM_TRANSPORT_GRPC) {
		tm_errf(err, errlen,
		        "sensor %s: export-profile %s: transport grpc to streaming-server %s "
		        "(gRPC dial-out) is not supported; gNMI collectors dial in (system services "
		        "extension-service request-response grpc)",
		        s->name, p->name, s->servers[0]);
		return -1;
	}
	rate = tm_u32(o, "reporting-rate");
	if (rate > TM_RATE_MAX_S) {
		tm_errf(err, errlen, "sensor %s: reporting-rate over %d", s->name, TM_RATE_MAX_S);
		return -1;
	}
	s->rate_from_sensor = rate >= 0;
	s->rate_s = rate >= 0 ? (uint32_t)rate : p ? p->reporting_rate : TM_RATE_DEFAULT_S;
	/* Junos shows a numeric sensor id; a hash of the name keeps it stable
	 * across restarts and commits. */
	s->sensor_id = tm_hash(s->name);
	return 0;
}

static struct json_object *tm_list(struct json_object *an, const char *name)
{
	struct json_object *l = an ? cfg_get(an, name) : NULL;

	return l && json_object_is_type(l, json_type_array) ? l : NULL;
}

int tm_table_from_json(struct json_object *cfg, struct tm_schema *sc, struct tm_table *out,
                       char *err, size_t errlen)
{
	struct json_object *svc = cfg ? cfg_get(cfg, "services") : NULL;
	struct json_object *an = svc ? cfg_get(svc, "analytics") : NULL;
	struct json_object *ls = tm_list(an, "streaming-server"),
	                   *lp = tm_list(an, "export-profile"), *lsn = tm_list(an, "sensor");
	size_t ns = ls ? json_object_array_length(ls) : 0,
	       np = lp ? json_object_array_length(lp) : 0,
	       nn = lsn ? json_object_array_length(lsn) : 0, i;

	memset(out, 0, sizeof(*out));
	out->server = calloc(ns ? ns : 1, sizeof(*out->server));
	out->profile = calloc(np ? np : 1, sizeof(*out->profile));
	out->sensor = calloc(nn ? nn : 1, sizeof(*out->sensor));
	if (!out->server || !out->profile || !out->sensor) {
		tm_errf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < ns; i++, out->n_server++)
		if (tm_parse_server(json_object_array_get_idx(ls, i), &out->server[i], err, errlen))
			goto fail;
	for (i = 0; i < np; i++, out->n_profile++)
		if (tm_parse_profile(json_object_array_get_idx(lp, i), &out->profile[i], err,
		                     errlen))
			goto fail;
	for (i = 0; i < nn; i++) {
		/* count first so that tm_table_free() frees a half-built window */
		out->n_sensor++;
		if (tm_parse_sensor(json_object_array_get_idx(lsn, i), out, sc, &out->sensor[i],
		                    err, errlen))
			goto fail;
	}
	if (tm_bind_servers(out, err, errlen))
		goto fail;
	return 0;
fail:
	tm_table_free(out);
	return -1;
}

void tm_table_free(struct tm_table *t)
{
	size_t i;

	for (i = 0; i < t->n_sensor; i++) {
		tm_window_free(&t->sensor[i].win);
		tm_window_free(&t->sensor[i].state);
	}
	free(t->sensor);
	free(t->profile);
	free(t->server);
	memset(t, 0, sizeof(*t));
}

struct tm_sensor *tm_table_sensor(struct tm_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_sensor; i++)
		if (!strcmp(t->sensor[i].name, name))
			return &t->sensor[i];
	return NULL;
}

const struct tm_profile *tm_table_profile(const struct tm_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_profile; i++)
		if (!strcmp(t->profile[i].name, name))
			return &t->profile[i];
	return NULL;
}

const struct tm_server *tm_table_server(const struct tm_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_server; i++)
		if (!strcmp(t->server[i].name, name))
			return &t->server[i];
	return NULL;
}

void tm_table_carry(struct tm_table *old, struct tm_table *new_t)
{
	size_t i;

	for (i = 0; i < new_t->n_sensor; i++) {
		struct tm_sensor *n = &new_t->sensor[i], *o = tm_table_sensor(old, n->name);

		if (!o || strcmp(o->resource, n->resource) || o->rate_s != n->rate_s)
			continue;
		tm_window_free(&n->win);
		n->win = o->win;
		tm_window_init(&o->win);
		tm_window_free(&n->state);
		n->state = o->state;
		tm_window_init(&o->state);
		n->next_emit_ms = o->next_emit_ms;
		memcpy(n->components, o->components, sizeof(n->components));
		n->n_components = o->n_components;
		n->updates = o->updates;
		n->sent = o->sent;
		n->dropped = o->dropped;
	}
}

/* ------------------------------------------------------------------ export payloads */

uint8_t *tm_export_json(const struct tm_sensor *s, const struct tm_window *w, const char *node,
                        uint64_t now_ms, size_t *len)
{
	struct json_object *o = json_object_new_object(), *vals = json_object_new_object();
	const char *txt;
	uint8_t *buf = NULL;
	size_t i, n;

	if (!o || !vals)
		goto out;
	json_object_object_add(o, "sensor", json_object_new_string(s->name));
	json_object_object_add(o, "node", json_object_new_string(node ? node : ""));
	json_object_object_add(o, "timestamp", json_object_new_uint64(now_ms));
	for (i = 0; i < w->n; i++) {
		const Keel__Sensor__KeyValue *kv = &w->e[i].kv;
		struct json_object *v = NULL;

		switch (kv->value_case) {
		case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
			v = json_object_new_double(kv->double_value);
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
			v = json_object_new_int64(kv->int_value);
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
			v = json_object_new_uint64(kv->uint_value);
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE:
			v = json_object_new_string(kv->str_value);
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
			v = json_object_new_boolean(kv->bool_value);
			break;
		case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
			/* bytes are rare on the bus; length-safe as a JSON string */
			v = json_object_new_string_len((const char *)kv->bytes_value.data,
			                               (int)kv->bytes_value.len);
			break;
		default:
			break;
		}
		json_object_object_add(vals, kv->key, v);
	}
	json_object_object_add(o, "values", vals);
	vals = NULL;
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = txt ? strlen(txt) : 0;
	if (!txt || n > SENSOR_MAX_MSG || !(buf = malloc(n ? n : 1)))
		goto out;
	memcpy(buf, txt, n);
	*len = n;
out:
	json_object_put(vals);
	json_object_put(o);
	return buf;
}

uint8_t *tm_export_gpb(const struct tm_sensor *s, const struct tm_window *w, const char *node,
                       uint64_t seq, uint64_t now_ms, size_t *len)
{
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	Keel__Sensor__KeyValue **kvs = calloc(w->n ? w->n : 1, sizeof(*kvs));
	uint8_t *buf = NULL;
	size_t i, n;

	if (!kvs)
		return NULL;
	for (i = 0; i < w->n; i++)
		kvs[i] = (Keel__Sensor__KeyValue *)&w->e[i].kv;
	d.component = (char *)"telemetryd";
	d.node = (char *)(node ? node : "");
	d.sensor = (char *)s->name;
	d.sequence = seq;
	d.timestamp = now_ms;
	d.n_kv = w->n;
	d.kv = kvs;
	d.eom = true;
	n = keel__sensor__sensor_data__get_packed_size(&d);
	if (n <= SENSOR_MAX_MSG && (buf = malloc(n ? n : 1)))
		*len = keel__sensor__sensor_data__pack(&d, buf);
	free(kvs);
	return buf;
}
