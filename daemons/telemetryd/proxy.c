/*
 * The ctl-socket proxy (Junos xmlproxyd): state that no daemon publishes on
 * the bus is read from the daemon's control socket and published on the bus
 * for it, so sensors, MQTT export and gNMI treat it like native data.
 *
 * Which state: the rule table below. Each rule names a daemon, a show method
 * (called without a request: "everything") and where its reply lands in the
 * tree: keel's YANG `state` containers (README of yang/), whose leaves use
 * OpenConfig names where one exists. What the daemon already publishes
 * natively (ribd's OpenConfig AFT summary, clusterd's link counters, bfdd's
 * /bfd tree) is skipped rather than published twice.
 *
 * How: protobuf-c reflection over the reply's descriptor, like lib/pbjson.c:
 * scalars become leaves, submessages containers (or are flattened into their
 * parent), repeated submessages list entries keyed by one of their fields.
 * So a new field in a daemon's reply shows up without a change here.
 *
 * When: a rule is polled only while a sensor resource or a gNMI subscription
 * overlaps its root: at the shortest wanted period (a sensor's reporting-rate,
 * a SAMPLE interval), or every TM_PROXY_CHANGE_MS for on-change wanters
 * (reporting-rate 0, ON_CHANGE, TARGET_DEFINED, ONCE, POLL), in which case an
 * unchanged reply is not published again. One request in flight per rule:
 * a slow daemon delays its own samples, never the loop.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemons/telemetryd/gnmi.h"
#include "daemons/telemetryd/proxy.h"
#include "daemons/telemetryd/telemetryd.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/pbjson.h"
#include "lib/proto/bfdd.pb-c.h"
#include "lib/proto/clusterd.pb-c.h"
#include "lib/proto/ribd.pb-c.h"

#define TM_PROXY_MAX_PARTS 64   /* reply parts held until the END (bfdd pages) */
#define TM_PROXY_WANT_MS   1000 /* how often wanters are recomputed */

/* ---- the rules */

static const struct tm_proxy_name tm_names_ribd[] = {
        /* yang/keel-routing-options.yang state/rib: OpenConfig-like "-routes" names */
        {"keel.ribd.RouteSummary", "tables", TM_PROXY_HOW_NAME, "rib", "name", "name", false},
        {"keel.ribd.TableSummary", "active", TM_PROXY_HOW_NAME, "active-routes", NULL, NULL, false},
        {"keel.ribd.TableSummary", "holddown", TM_PROXY_HOW_NAME, "holddown-routes", NULL, NULL,
         false},
        {"keel.ribd.TableSummary", "hidden", TM_PROXY_HOW_NAME, "hidden-routes", NULL, NULL, false},
        /* the YANG enum is lowercase, ribd's protocol names are Junos' ("Static") */
        {"keel.ribd.TableSummary", "protocols", TM_PROXY_HOW_NAME, "protocol", "name", "name",
         true},
        {"keel.ribd.ProtocolCount", "active", TM_PROXY_HOW_NAME, "active-routes", NULL, NULL,
         false},
};

static const struct tm_proxy_name tm_names_bfdd[] = {
        {"keel.bfdd.SessionPage", "sessions", TM_PROXY_HOW_NAME, "session", "local_discriminator",
         "local-discriminator", false},
        {"keel.bfdd.Session", "key", TM_PROXY_HOW_FLATTEN, NULL, NULL, NULL, false},
        {"keel.bfdd.SessionKey", "peer", TM_PROXY_HOW_NAME, "address", NULL, NULL, false},
        {"keel.bfdd.Session", "clients", TM_PROXY_HOW_NAME, "client", NULL, NULL, false},
        {"keel.bfdd.Session", "drops", TM_PROXY_HOW_NAME, "drop", "reason", "reason", false},
        {"keel.bfdd.Summary", "drops", TM_PROXY_HOW_NAME, "drop", "reason", "reason", false},
        /* event-only fields: always empty in a show reply */
        {"keel.bfdd.Session", "from_state", TM_PROXY_HOW_SKIP, NULL, NULL, NULL, false},
        {"keel.bfdd.Session", "deleted", TM_PROXY_HOW_SKIP, NULL, NULL, NULL, false},
};

static const struct tm_proxy_name tm_names_clusterd[] = {
        /* clusterd publishes its link counters natively (sensor cluster-links) */
        {"keel.clusterd.ClusterStatistics", "control", TM_PROXY_HOW_SKIP, NULL, NULL, NULL, false},
        {"keel.clusterd.ClusterStatistics", "fabric", TM_PROXY_HOW_SKIP, NULL, NULL, NULL, false},
        {"keel.clusterd.ClusterStatistics", "services", TM_PROXY_HOW_NAME, "sync-service", "name",
         "name", false},
};

#define TM_NAMES(a) a, sizeof(a) / sizeof(a[0])

const struct tm_proxy_rule tm_proxy_rules[] = {
        {"ribd", "show.route.summary", &keel__ribd__route_summary__descriptor,
         "/routing-options/state", "route-summary", TM_NAMES(tm_names_ribd)},
        {"bfdd", "show.sessions", &keel__bfdd__session_page__descriptor, "/protocols/bfd/state",
         "sessions", TM_NAMES(tm_names_bfdd)},
        {"clusterd", "show.statistics", &keel__clusterd__cluster_statistics__descriptor,
         "/chassis/state/cluster", "cluster-statistics", TM_NAMES(tm_names_clusterd)},
};
const size_t tm_proxy_n_rules = sizeof(tm_proxy_rules) / sizeof(tm_proxy_rules[0]);

/* ---- reflection (pure) */

struct tm_walk {
	const struct tm_proxy_rule *r;
	struct sensor_msg *m;
	uint64_t *hash;
	int n;
	bool fail;
	char path[SENSOR_MAX_KEY + 1];
};

static void tm_fnv(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	/* FNV-1a 64 */
	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 1099511628211ULL;
	}
}

static const struct tm_proxy_name *tm_proxy_lookup(const struct tm_proxy_rule *r, const char *msg,
                                                   const char *field)
{
	for (size_t i = 0; i < r->n_names; i++)
		if (!strcmp(r->names[i].msg, msg) && !strcmp(r->names[i].field, field))
			return &r->names[i];
	return NULL;
}

/* Appends to the walk's path; false (and the walk failed) when it does not fit. */
static bool tm_walk_append(struct tm_walk *w, size_t at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static bool tm_walk_append(struct tm_walk *w, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path + at, sizeof(w->path) - at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->path) - at) {
		w->fail = true;
		return false;
	}
	return true;
}

/* One scalar as text (list keys, repeated scalars). */
static void tm_scalar_str(const ProtobufCFieldDescriptor *fd, const void *v, char *buf, size_t len)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(buf, len, "%d", *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(buf, len, "%u", *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, len, "%lld", (long long)*(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		snprintf(buf, len, "%g", (double)*(const float *)v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		snprintf(buf, len, "%s", *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev =
		        protobuf_c_enum_descriptor_get_value(fd->descriptor, *(const int *)v);

		if (ev)
			snprintf(buf, len, "%s", ev->name);
		else
			snprintf(buf, len, "%d", *(const int *)v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		snprintf(buf, len, "%s", *(char *const *)v ? *(char *const *)v : "");
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* Emits one scalar leaf at w->path. */
static void tm_walk_leaf(struct tm_walk *w, const ProtobufCFieldDescriptor *fd, const void *v)
{
	const char *key = w->path;
	int rc;

	tm_fnv(w->hash, key, strlen(key) + 1);
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		rc = sensor_msg_add_i64(w->m, key, *(const int32_t *)v);
		tm_fnv(w->hash, v, 4);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		rc = sensor_msg_add_u64(w->m, key, *(const uint32_t *)v);
		tm_fnv(w->hash, v, 4);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		rc = sensor_msg_add_i64(w->m, key, *(const int64_t *)v);
		tm_fnv(w->hash, v, 8);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		rc = sensor_msg_add_u64(w->m, key, *(const uint64_t *)v);
		tm_fnv(w->hash, v, 8);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		rc = sensor_msg_add_double(w->m, key, *(const float *)v);
		tm_fnv(w->hash, v, 4);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		rc = sensor_msg_add_double(w->m, key, *(const double *)v);
		tm_fnv(w->hash, v, 8);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		rc = sensor_msg_add_bool(w->m, key, *(const protobuf_c_boolean *)v);
		tm_fnv(w->hash, v, sizeof(protobuf_c_boolean));
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = v;

		rc = sensor_msg_add_bytes(w->m, key, bd->data, bd->len);
		tm_fnv(w->hash, bd->data, bd->len);
		break;
	}
	default: { /* enum, string */
		char s[SENSOR_MAX_STR];

		tm_scalar_str(fd, v, s, sizeof(s));
		rc = sensor_msg_add_str(w->m, key, s);
		tm_fnv(w->hash, s, strlen(s));
		break;
	}
	}
	if (rc) {
		w->fail = true;
		return;
	}
	w->n++;
}

/* Repeated scalars (a leaf-list) as one comma-separated string leaf. */
static void tm_walk_leaflist(struct tm_walk *w, const ProtobufCFieldDescriptor *fd, const char *arr,
                             size_t n)
{
	char s[SENSOR_MAX_STR] = "", one[256];
	size_t used = 0;

	for (size_t k = 0; k < n && fd->type != PROTOBUF_C_TYPE_BYTES; k++) {
		tm_scalar_str(fd, arr + k * pbjson_elem_size(fd), one, sizeof(one));
		int c = snprintf(s + used, sizeof(s) - used, "%s%s", k ? "," : "", one);

		if (c < 0 || (size_t)c >= sizeof(s) - used)
			break; /* a longer list is cut at the string bound */
		used += (size_t)c;
	}
	if (sensor_msg_add_str(w->m, w->path, s)) {
		w->fail = true;
		return;
	}
	tm_fnv(w->hash, w->path, strlen(w->path) + 1);
	tm_fnv(w->hash, s, used);
	w->n++;
}

static void tm_walk_msg(struct tm_walk *w, const ProtobufCMessage *msg, size_t plen,
                        unsigned depth);

/* The key of one list entry: the named field's value, else the position. */
static void tm_walk_entry(struct tm_walk *w, const struct tm_proxy_name *nm, const char *elem,
                          const ProtobufCMessage *sub, size_t k, size_t plen, unsigned depth)
{
	const ProtobufCFieldDescriptor *kf = NULL;
	char key[128];

	if (nm && nm->key_field)
		kf = protobuf_c_message_descriptor_get_field_by_name(sub->descriptor,
		                                                     nm->key_field);
	if (kf && kf->label != PROTOBUF_C_LABEL_REPEATED && kf->type != PROTOBUF_C_TYPE_MESSAGE &&
	    kf->type != PROTOBUF_C_TYPE_BYTES)
		tm_scalar_str(kf, (const char *)sub + kf->offset, key, sizeof(key));
	else
		snprintf(key, sizeof(key), "%zu", k);
	if (nm && nm->key_lower)
		for (char *c = key; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	/* a key value must not end the predicate early (gNMI path strings escape only
	 * ']' and '\', which tm_path_parse does not read) */
	if (!key[0] || strpbrk(key, "]\\"))
		return;
	if (tm_walk_append(w, plen, "/%s[%s=%s]", elem, kf ? nm->key_name : "index", key))
		tm_walk_msg(w, sub, strlen(w->path), depth + 1);
}

static void tm_walk_msg(struct tm_walk *w, const ProtobufCMessage *msg, size_t plen, unsigned depth)
{
	const ProtobufCMessageDescriptor *md = msg->descriptor;
	const char *base = (const char *)msg;

	if (depth > TM_PROXY_DEPTH)
		return;
	for (unsigned i = 0; i < md->n_fields && !w->fail; i++) {
		const ProtobufCFieldDescriptor *fd = &md->fields[i];
		const struct tm_proxy_name *nm = tm_proxy_lookup(w->r, md->name, fd->name);
		const void *field = base + fd->offset;
		char elem[TM_NAME_MAX];

		if (nm && nm->how == TM_PROXY_HOW_SKIP)
			continue;
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
			continue;
		if (nm && nm->name)
			snprintf(elem, sizeof(elem), "%s", nm->name);
		else
			pbjson_key(fd->name, elem, sizeof(elem));
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(const char *const *)field;

			if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				for (size_t k = 0; k < n && !w->fail; k++)
					tm_walk_entry(w, nm, elem,
					              ((ProtobufCMessage *const *)arr)[k], k, plen,
					              depth);
			} else if (tm_walk_append(w, plen, "/%s", elem)) {
				tm_walk_leaflist(w, fd, arr, n);
			}
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)field;

			if (!sub)
				continue;
			if (nm && nm->how == TM_PROXY_HOW_FLATTEN) {
				w->path[plen] = '\0';
				tm_walk_msg(w, sub, plen, depth + 1);
			} else if (tm_walk_append(w, plen, "/%s", elem)) {
				tm_walk_msg(w, sub, strlen(w->path), depth + 1);
			}
		} else {
			/* proto2-style presence (proto3 `optional`): unset is absent */
			if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset &&
			    fd->type != PROTOBUF_C_TYPE_STRING &&
			    !*(const protobuf_c_boolean *)(base + fd->quantifier_offset))
				continue;
			if (tm_walk_append(w, plen, "/%s", elem))
				tm_walk_leaf(w, fd, field);
		}
		w->path[plen] = '\0';
	}
}

int tm_proxy_flatten(const struct tm_proxy_rule *r, const ProtobufCMessage *part,
                     struct sensor_msg *m, uint64_t *hash)
{
	struct tm_walk w = {.r = r, .m = m, .hash = hash};
	size_t rl = strlen(r->root);

	if (rl >= sizeof(w.path))
		return -1;
	memcpy(w.path, r->root, rl + 1);
	tm_walk_msg(&w, part, rl, 0);
	return w.fail ? -1 : w.n;
}

bool tm_proxy_wants(const struct tm_proxy_rule *r, const struct tm_path *p)
{
	struct tm_path root;
	unsigned n;

	if (tm_path_parse(r->root, &root, NULL, 0))
		return false;
	n = p->n_elem < root.n_elem ? p->n_elem : root.n_elem;
	/* one is a prefix of the other: the root's subtree and the path's meet
	 * (predicates of p narrow below the root, checked when the data arrives) */
	for (unsigned i = 0; i < n; i++)
		if (strcmp(p->elem[i].name, root.elem[i].name))
			return false;
	return true;
}

/* ---- run time */

struct tm_proxy_src {
	struct tm_proxy *p;
	const struct tm_proxy_rule *r;
	struct ctl_aclient *ac;
	struct sensor_bus *bus;
	uint32_t sample_ms;          /* shortest sampled period wanted, 0: none */
	bool change;                 /* an on-change wanter */
	uint64_t want_sig, prev_sig; /* who wants it: a new wanter gets the current value */
	uint64_t next_ms, last_pub_ms, last_hash;
	bool have_hash, inflight, bad;
	bool once;             /* a gNMI Get asked for one poll: do it as soon as connected */
	uint64_t once_till_ms; /* ...and keep the sockets until then (GNMI_GET_POLL_MS) */
	struct sensor_msg *parts[TM_PROXY_MAX_PARTS];
	size_t n_parts;
	uint64_t hash;
	struct tm_proxy_stats st;
};

struct tm_proxy {
	struct telemetryd *t;
	struct event *tick;
	uint64_t next_want_ms;
	tm_proxy_sink_fn sink;
	void *sink_arg;
	struct tm_proxy_src *src; /* tm_proxy_n_rules */
};

static void tm_proxy_drop_parts(struct tm_proxy_src *s)
{
	for (size_t i = 0; i < s->n_parts; i++)
		sensor_msg_free(s->parts[i]);
	s->n_parts = 0;
}

static void tm_proxy_publish(void *arg, const struct tm_proxy_rule *r, struct sensor_msg *m)
{
	struct tm_proxy_src *s = arg;

	(void)r;
	sensor_publish(s->bus, m);
}

/* A gNMI Get waiting for this source's poll learns that none is coming. */
static void tm_proxy_get_failed(struct tm_proxy_src *s, const char *why)
{
	char comp[GNMI_COMP_MAX], msg[256];

	if (!s->once_till_ms || !s->p->t->gnmi)
		return;
	snprintf(comp, sizeof(comp), "%s-proxy", s->r->daemon);
	snprintf(msg, sizeof(msg), "%s %s: %s", s->r->daemon, s->r->method, why);
	s->once = false;
	gnmi_get_poll_failed(s->p->t->gnmi, comp, msg);
}

static void tm_proxy_reply(int status, bool done, const uint8_t *payload, size_t len,
                           const char *error, void *arg)
{
	struct tm_proxy_src *s = arg;
	uint64_t now;
	bool changed;

	if (!done) {
		ProtobufCMessage *msg;
		struct sensor_msg *m;

		if (s->bad || s->n_parts >= TM_PROXY_MAX_PARTS) {
			s->bad = true;
			return;
		}
		msg = protobuf_c_message_unpack(s->r->reply, NULL, len, payload);
		m = msg ? sensor_msg_new(s->r->sensor) : NULL;
		if (!m || tm_proxy_flatten(s->r, msg, m, &s->hash) < 0) {
			sensor_msg_free(m);
			s->bad = true;
		} else {
			s->parts[s->n_parts++] = m;
		}
		if (msg)
			protobuf_c_message_free_unpacked(msg, NULL);
		return;
	}
	s->inflight = false;
	if (status || s->bad || !s->n_parts) {
		s->st.errors++;
		if (status > 0)
			log_debug("proxy %s %s: %s", s->r->daemon, s->r->method,
			          error ? error : ctl_err_name(status));
		tm_proxy_get_failed(s, status > 0 && error ? error : "no usable answer");
		goto out;
	}
	s->st.replies++;
	now = mono_ms();
	changed = !s->have_hash || s->hash != s->last_hash;
	/* on-change wanters alone: an unchanged reply is not news; a sampled
	 * wanter gets every period's value (its window must not stay empty) */
	if (!changed && (!s->sample_ms || now - s->last_pub_ms + TM_PROXY_TICK_MS < s->sample_ms)) {
		s->st.unchanged++;
		goto out;
	}
	s->have_hash = true;
	s->last_hash = s->hash;
	s->last_pub_ms = now;
	sensor_msg_set_eom(s->parts[s->n_parts - 1], true);
	for (size_t i = 0; i < s->n_parts; i++) {
		struct sensor_msg *m = s->parts[i];

		s->parts[i] = NULL;
		if (s->p->sink)
			s->p->sink(s->p->sink_arg, s->r, m);
		else
			tm_proxy_publish(s, s->r, m);
	}
	s->n_parts = 0;
	s->st.published++;
out:
	tm_proxy_drop_parts(s);
}

static void tm_proxy_poll(struct tm_proxy_src *s, uint64_t now)
{
	uint32_t period = s->sample_ms;

	if (s->change && (!period || period > TM_PROXY_CHANGE_MS))
		period = TM_PROXY_CHANGE_MS;
	s->st.period_ms = period;
	if (s->once && now >= s->once_till_ms) {
		/* the Get has given up (gnmi_rpc_tick answers it UNAVAILABLE) */
		s->once = false;
		log_debug("proxy %s %s: no poll for a Get in time", s->r->daemon, s->r->method);
	}
	if ((!period && !s->once) || !s->ac || !ctl_aclient_up(s->ac) || s->inflight ||
	    (now < s->next_ms && !s->once))
		return;
	/* a Get's answer travels over the bus: publishing before it is connected loses it */
	if (s->once && !s->p->sink && (!s->bus || !sensor_bus_connected(s->bus)))
		return;
	s->once = false;
	s->next_ms = now + period;
	s->hash = 14695981039346656037ULL; /* FNV offset basis */
	s->bad = false;
	tm_proxy_drop_parts(s);
	if (ctl_acall(s->ac, s->r->method, NULL, tm_proxy_reply, s) == 0) {
		s->inflight = true;
		s->st.polls++;
		s->st.last_poll_ms = wall_ms();
	}
}

static void tm_proxy_want(struct tm_proxy_src *s, uint32_t period_ms, bool change, const void *who,
                          size_t wlen)
{
	tm_fnv(&s->want_sig, who, wlen);
	tm_fnv(&s->want_sig, &period_ms, sizeof(period_ms));
	if (change)
		s->change = true;
	else if (!s->sample_ms || period_ms < s->sample_ms)
		s->sample_ms = period_ms;
}

static void tm_proxy_gnmi_sub(void *arg, const struct gnmi_sub_info *si)
{
	struct tm_proxy *p = arg;
	struct tm_path path;

	if (tm_path_parse(si->path, &path, NULL, 0))
		return;
	for (size_t i = 0; i < tm_proxy_n_rules; i++) {
		if (!tm_proxy_wants(&tm_proxy_rules[i], &path))
			continue;
		if (si->list_mode == GNMI__SUBSCRIPTION_LIST__MODE__STREAM &&
		    si->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE && si->sample_ms)
			tm_proxy_want(&p->src[i], (uint32_t)si->sample_ms, false, &si->call_id,
			              sizeof(si->call_id));
		else
			tm_proxy_want(&p->src[i], 0, true, &si->call_id, sizeof(si->call_id));
	}
}

/* Connect only while wanted: no socket to a daemon nobody asks about. */
static void tm_proxy_open(struct tm_proxy_src *s)
{
	struct telemetryd *t = s->p->t;
	char comp[SENSOR_MAX_NAME + 1];

	if (!s->ac)
		s->ac = ctl_aclient_open(t->d->base, s->r->daemon, NULL, NULL);
	snprintf(comp, sizeof(comp), "%s-proxy", s->r->daemon);
	if (!s->bus && !s->p->sink)
		s->bus = sensor_bus_open(t->d->base, comp);
	s->next_ms = 0;
	s->have_hash = false;
}

/*
 * gnmi_get_poll_fn: a Get on path p. A rule polled at least every second for a
 * sensor or subscription has its current value in the gNMI cache already;
 * any other rule p covers gets one poll now, published even when unchanged,
 * and the Get waits for it.
 */
static size_t tm_proxy_get_poll(void *arg, const struct tm_path *path, char (*comp)[GNMI_COMP_MAX],
                                size_t max)
{
	struct tm_proxy *p = arg;
	uint64_t now = mono_ms();
	size_t n = 0;

	for (size_t i = 0; i < tm_proxy_n_rules && n < max; i++) {
		struct tm_proxy_src *s = &p->src[i];

		if (!tm_proxy_wants(s->r, path))
			continue;
		if (s->st.period_ms && s->st.period_ms <= TM_PROXY_CHANGE_MS && s->have_hash &&
		    s->ac && ctl_aclient_up(s->ac))
			continue;
		if (!s->ac || (!s->bus && !p->sink))
			tm_proxy_open(s);
		s->have_hash = false; /* published even when unchanged: the Get waits for it */
		s->once = true;
		s->once_till_ms = now + GNMI_GET_POLL_MS;
		snprintf(comp[n++], GNMI_COMP_MAX, "%s-proxy", s->r->daemon);
		tm_proxy_poll(s, now); /* at once when connected already */
	}
	return n;
}

/* Who wants what: sensors (reporting-rate) and gNMI subscriptions. */
static void tm_proxy_recompute(struct tm_proxy *p)
{
	struct telemetryd *t = p->t;

	for (size_t i = 0; i < tm_proxy_n_rules; i++) {
		p->src[i].sample_ms = 0;
		p->src[i].change = false;
		p->src[i].want_sig = 14695981039346656037ULL;
	}
	for (size_t j = 0; j < t->table.n_sensor; j++) {
		const struct tm_sensor *sn = &t->table.sensor[j];

		for (size_t i = 0; i < tm_proxy_n_rules; i++)
			if (tm_proxy_wants(&tm_proxy_rules[i], &sn->path))
				tm_proxy_want(&p->src[i], sn->rate_s * 1000, sn->rate_s == 0,
				              sn->name, strlen(sn->name));
	}
	if (t->gnmi)
		gnmi_subscriptions(t->gnmi, tm_proxy_gnmi_sub, p);
	for (size_t i = 0; i < tm_proxy_n_rules; i++) {
		struct tm_proxy_src *s = &p->src[i];
		bool wanted = s->sample_ms || s->change;

		/* a new sensor or subscription gets the current value, changed or not */
		if (s->want_sig != s->prev_sig)
			s->have_hash = false;
		s->prev_sig = s->want_sig;
		if (wanted && !s->ac) {
			tm_proxy_open(s);
			log_info("proxy: polling %s %s for %s", s->r->daemon, s->r->method,
			         s->r->root);
		} else if (!wanted && s->ac && mono_ms() >= s->once_till_ms) {
			ctl_aclient_close(s->ac); /* an answer in flight reports -1 here */
			s->ac = NULL;
			s->inflight = false;
			sensor_bus_close(s->bus);
			s->bus = NULL;
			s->st.period_ms = 0;
			log_info("proxy: %s %s no longer wanted", s->r->daemon, s->r->method);
		}
	}
}

static void tm_proxy_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tm_proxy *p = arg;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	if (now >= p->next_want_ms) {
		tm_proxy_recompute(p);
		p->next_want_ms = now + TM_PROXY_WANT_MS;
	}
	for (size_t i = 0; i < tm_proxy_n_rules; i++)
		tm_proxy_poll(&p->src[i], now);
}

struct tm_proxy *tm_proxy_new(struct telemetryd *t)
{
	struct tm_proxy *p = calloc(1, sizeof(*p));
	struct timeval tv = {0, TM_PROXY_TICK_MS * 1000};

	if (!p)
		return NULL;
	p->t = t;
	p->src = calloc(tm_proxy_n_rules, sizeof(*p->src));
	p->tick = event_new(t->d->base, -1, EV_PERSIST, tm_proxy_tick, p);
	if (!p->src || !p->tick) {
		tm_proxy_free(p);
		return NULL;
	}
	for (size_t i = 0; i < tm_proxy_n_rules; i++) {
		p->src[i].p = p;
		p->src[i].r = &tm_proxy_rules[i];
	}
	if (t->gnmi)
		gnmi_set_get_poll(t->gnmi, tm_proxy_get_poll, p);
	event_add(p->tick, &tv);
	return p;
}

void tm_proxy_free(struct tm_proxy *p)
{
	if (!p)
		return;
	if (p->t && p->t->gnmi)
		gnmi_set_get_poll(p->t->gnmi, NULL, NULL);
	if (p->tick)
		event_free(p->tick);
	for (size_t i = 0; p->src && i < tm_proxy_n_rules; i++) {
		ctl_aclient_close(p->src[i].ac);
		sensor_bus_close(p->src[i].bus);
		tm_proxy_drop_parts(&p->src[i]);
	}
	free(p->src);
	free(p);
}

void tm_proxy_set_sink(struct tm_proxy *p, tm_proxy_sink_fn fn, void *arg)
{
	p->sink = fn;
	p->sink_arg = arg;
}

int tm_proxy_stats(const struct tm_proxy *p, size_t i, struct tm_proxy_stats *out)
{
	if (i >= tm_proxy_n_rules)
		return -1;
	*out = p->src[i].st;
	out->connected = p->src[i].ac && ctl_aclient_up(p->src[i].ac);
	return 0;
}
