/*
 * What the gNMI RPCs do (gNMI spec 0.10.0), on the loop thread.
 *
 *   Capabilities  the YANG modules telemetryd validates against, JSON /
 *                 PROTO / JSON_IETF, "0.10.0" (§3.2)
 *   Get           latest values from the bus cache, one Notification per path;
 *                 a path with no data is NOT_FOUND (§3.3.4). A path the
 *                 ctl-socket proxy serves while nobody polls it first gets a
 *                 one-shot poll: the Get waits for its answer on the bus
 *                 (GNMI_GET_POLL_MS at most, then UNAVAILABLE)
 *   Set           UNIMPLEMENTED: configuration goes through mgd's commit
 *   Subscribe     ONCE: dump, sync_response, OK. POLL: dump + sync per poll.
 *                 STREAM: dump, sync, then per subscription ON_CHANGE (from
 *                 the bus as values change), SAMPLE (tick at sample_interval,
 *                 suppress_redundant), TARGET_DEFINED (= ON_CHANGE: the
 *                 publishing daemons already pick each leaf's cadence:
 *                 state on change, counters at their sample period),
 *                 heartbeat_interval; updates_only skips the dump (§3.5).
 *
 * Output of a stream: one-off messages (dumps, syncs, deletes) in order in
 * c->out, ahead of the coalescing queue that takes live updates (events
 * before samples, newest value per path wins). A write that core does not
 * accept for stall_ms ends the call with RESOURCE_EXHAUSTED (issue #9 item 4).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "daemons/telemetryd/gnmi_int.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"

struct gnmi_upd {
	const Keel__Sensor__KeyValue *kv;
	uint64_t ts_ms;
	uint32_t duplicates;
};

/* ------------------------------------------------------------------ notifications */

static void gnmi_notif_free(Gnmi__Notification *n)
{
	if (!n)
		return;
	if (n->prefix) {
		gnmi_path_clear(n->prefix);
		free(n->prefix->target);
		free(n->prefix->origin);
		free(n->prefix);
	}
	for (size_t i = 0; i < n->n_update; i++) {
		Gnmi__Update *u = n->update[i];

		if (!u)
			continue;
		if (u->path) {
			gnmi_path_clear(u->path);
			free(u->path);
		}
		if (u->val) {
			if (u->val->value_case == GNMI__TYPED_VALUE__VALUE_JSON_VAL)
				free(u->val->json_val.data);
			else if (u->val->value_case == GNMI__TYPED_VALUE__VALUE_JSON_IETF_VAL)
				free(u->val->json_ietf_val.data);
			free(u->val);
		}
		free(u);
	}
	free(n->update);
	for (size_t i = 0; i < n->n_delete_; i++) {
		gnmi_path_clear(n->delete_[i]);
		free(n->delete_[i]);
	}
	free(n->delete_);
	free(n);
}

static size_t gnmi_json_room(const Keel__Sensor__KeyValue *kv)
{
	size_t n = 64;

	if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE && kv->str_value)
		n += 6 * strlen(kv->str_value);
	else if (kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE)
		n += 6 * kv->bytes_value.len;
	return n;
}

/*
 * A Notification of n updates (one timestamp: the newest). target and origin
 * (NULL or "": none) go in the prefix. pfx non-NULL: the prefix carries its
 * elements and every update path is relative to it (the caller made sure
 * they all lie below it). Values borrowed from u[] (PROTO) must live until
 * the message is packed.
 */
static Gnmi__Notification *gnmi_notif_build(const struct gnmi_upd *u, size_t n, Gnmi__Encoding enc,
                                            const char *target, const char *origin,
                                            const struct tm_path *pfx)
{
	Gnmi__Notification *no = calloc(1, sizeof(*no));
	struct tm_path *tp = malloc(sizeof(*tp));
	uint64_t ts = 0;

	if (!no || !tp)
		goto fail;
	gnmi__notification__init(no);
	if (origin && !*origin)
		origin = NULL;
	if (target || origin || pfx) {
		if (!(no->prefix = malloc(sizeof(*no->prefix))))
			goto fail;
		gnmi__path__init(no->prefix);
		/* init points unset strings at protobuf-c's shared "" (never freed);
		 * NULL packs the same (proto3: empty is not sent) */
		no->prefix->target = NULL;
		no->prefix->origin = NULL;
		if (target && !(no->prefix->target = strdup(target)))
			goto fail;
		/* §2.2.2.1: the response names the origin the request used */
		if (origin && !(no->prefix->origin = strdup(origin)))
			goto fail;
		if (pfx && gnmi_path_from_tm(pfx, 0, no->prefix))
			goto fail;
	}
	no->update = calloc(n ? n : 1, sizeof(*no->update));
	if (!no->update)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		Gnmi__Update *up = calloc(1, sizeof(*up));
		char *jb = NULL;
		size_t jl = 0;

		if (!up)
			goto fail;
		gnmi__update__init(up);
		no->update[no->n_update++] = up;
		if (tm_path_parse(u[i].kv->key, tp, NULL, 0))
			goto fail;
		if (!(up->path = malloc(sizeof(*up->path))))
			goto fail;
		gnmi__path__init(up->path);
		if (gnmi_path_from_tm(tp, pfx ? pfx->n_elem : 0, up->path))
			goto fail;
		if (!(up->val = malloc(sizeof(*up->val))))
			goto fail;
		if (enc != GNMI__ENCODING__PROTO) {
			jl = gnmi_json_room(u[i].kv);
			if (!(jb = malloc(jl)))
				goto fail;
		}
		if (gnmi_value_set(up->val, u[i].kv, enc, jb, jl)) {
			free(jb);
			gnmi__typed_value__init(up->val);
			goto fail;
		}
		up->duplicates = u[i].duplicates;
		if (u[i].ts_ms > ts)
			ts = u[i].ts_ms;
	}
	/* gNMI timestamps are ns since the epoch; the bus carries ms */
	no->timestamp = (int64_t)(ts * 1000000ull);
	free(tp);
	return no;
fail:
	free(tp);
	gnmi_notif_free(no);
	return NULL;
}

static uint8_t *gnmi_pack_subresp(const Gnmi__SubscribeResponse *r, size_t *len)
{
	size_t n = gnmi__subscribe_response__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);

	if (buf)
		*len = gnmi__subscribe_response__pack(r, buf);
	return buf;
}

/* ------------------------------------------------------------------ stream output */

static void gnmi_out_push(struct gnmi_call *c, uint8_t *buf, size_t len)
{
	struct gnmi_msg *m = malloc(sizeof(*m));

	if (!m) {
		free(buf);
		return;
	}
	m->next = NULL;
	m->buf = buf;
	m->len = len;
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += len;
}

static void gnmi_out_sync(struct gnmi_call *c)
{
	Gnmi__SubscribeResponse r = GNMI__SUBSCRIBE_RESPONSE__INIT;
	uint8_t *buf;
	size_t len;

	r.response_case = GNMI__SUBSCRIBE_RESPONSE__RESPONSE_SYNC_RESPONSE;
	r.sync_response = true;
	if ((buf = gnmi_pack_subresp(&r, &len)))
		gnmi_out_push(c, buf, len);
}

static const char *gnmi_call_target(const struct gnmi_call *c)
{
	return c->sl.has_target ? c->sl.target : NULL;
}

/*
 * The prefix a Notification echoes. Returned paths hold no wildcards
 * (§2.2.2.1), so a request prefix with "*", "..." or missing keys is echoed
 * as the data instantiates it: the elements the request prefix matches in
 * the first update's key, cut back to what every update of the bundle
 * shares (their paths stay relative to it, §2.4.1). NULL: absolute paths.
 * scratch holds two paths.
 */
static const struct tm_path *gnmi_call_prefix(const struct gnmi_call *c, const struct gnmi_upd *u,
                                              size_t n, struct tm_path *scratch)
{
	struct tm_path *first = &scratch[0], *other = &scratch[1];
	unsigned depth;

	if (!c->sl.prefix_echo || !n || tm_path_parse(u[0].kv->key, first, NULL, 0))
		return NULL;
	depth = gnmi_prefix_depth(&c->sl.prefix, first);
	for (size_t i = 1; i < n && depth; i++) {
		if (tm_path_parse(u[i].kv->key, other, NULL, 0))
			return NULL;
		depth = gnmi_path_common(first, other, depth);
	}
	first->n_elem = depth;
	return depth ? first : NULL;
}

static uint8_t *gnmi_pack_updates(struct gnmi_call *c, const struct gnmi_upd *u, size_t n,
                                  struct tm_path *scratch, size_t *len)
{
	Gnmi__SubscribeResponse r = GNMI__SUBSCRIBE_RESPONSE__INIT;
	Gnmi__Notification *no = gnmi_notif_build(u, n, c->sl.encoding, gnmi_call_target(c),
	                                          c->sl.origin, gnmi_call_prefix(c, u, n, scratch));
	uint8_t *buf;

	if (!no)
		return NULL;
	r.response_case = GNMI__SUBSCRIBE_RESPONSE__RESPONSE_UPDATE;
	r.update = no;
	buf = gnmi_pack_subresp(&r, len);
	gnmi_notif_free(no);
	return buf;
}

/* String tests before the parse: can key match subscription s at all? */
static bool gnmi_sub_may(const struct gnmi_sub *s, const char *key)
{
	return gnmi_pat_may_match(&s->pat, key);
}

/* Does any subscription of c cover key? tp: scratch for the parse. */
static bool gnmi_call_wants(const struct gnmi_call *c, const char *key, struct tm_path *tp)
{
	bool parsed = false;

	for (size_t i = 0; i < c->sl.n; i++) {
		if (!gnmi_sub_may(&c->sl.sub[i], key))
			continue;
		if (!parsed && tm_path_parse(key, tp, NULL, 0))
			return false;
		parsed = true;
		if (gnmi_path_match(&c->sl.sub[i].pat, tp))
			return true;
	}
	return false;
}

/*
 * The string every key the call's subscriptions (those with want[j], or all
 * when want is NULL) can match starts with: the common part of their stems.
 */
static void gnmi_call_stem(const struct gnmi_call *c, const bool *want, char *buf, size_t len)
{
	bool first = true;

	buf[0] = '\0';
	for (size_t j = 0; j < c->sl.n; j++) {
		const char *st = c->sl.sub[j].stem;
		size_t k = 0;

		if (want && !want[j])
			continue;
		if (first) {
			snprintf(buf, len, "%s", st);
			first = false;
			continue;
		}
		while (buf[k] && buf[k] == st[k])
			k++;
		buf[k] = '\0';
	}
}

/* Slot k of a gnmi_cache_range answer (idx NULL: the whole cache). */
static const struct gnmi_centry *gnmi_slot(const struct gnmi *g, const int *idx, size_t k)
{
	return &g->cache.e[idx ? idx[k] : (int)k];
}

/* Every cached value the call subscribes to, in bundles of one timestamp, into c->out. */
static void gnmi_out_dump(struct gnmi *g, struct gnmi_call *c)
{
	struct gnmi_upd u[GNMI_BUNDLE_MAX];
	struct tm_path *tp = malloc(sizeof(*tp)), *scratch = malloc(2 * sizeof(*scratch));
	char stem[TM_PATH_MAX + 1];
	const int *idx;
	size_t n = 0, len, nr;
	uint8_t *buf;

	if (!tp || !scratch)
		goto out;
	gnmi_call_stem(c, NULL, stem, sizeof(stem));
	nr = gnmi_cache_range(&g->cache, stem, &idx);
	for (size_t i = 0; i <= nr; i++) {
		const struct gnmi_centry *e = i < nr ? gnmi_slot(g, idx, i) : NULL;
		bool flush = !e || n == GNMI_BUNDLE_MAX || (n && e->live && e->ts_ms != u[0].ts_ms);

		if (flush && n) {
			if ((buf = gnmi_pack_updates(c, u, n, scratch, &len)))
				gnmi_out_push(c, buf, len);
			c->sent_updates += n;
			n = 0;
		}
		if (!e || !e->live || !gnmi_call_wants(c, e->kv.key, tp))
			continue;
		u[n++] = (struct gnmi_upd){&e->kv, e->ts_ms, 0};
	}
out:
	free(tp);
	free(scratch);
}

bool gnmi_rpc_next(struct gnmi_call *c, uint8_t **buf, size_t *len)
{
	struct gnmi *g = c->srv->g;
	struct gnmi_qent q[GNMI_BUNDLE_MAX];
	struct gnmi_upd u[GNMI_BUNDLE_MAX];
	struct tm_path *scratch;
	size_t n = 0;
	uint64_t ts;
	enum gnmi_lane lane, l2;

	if (c->out_head) {
		struct gnmi_msg *m = c->out_head;

		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= m->len;
		*buf = m->buf;
		*len = m->len;
		free(m);
		return true;
	}
	if (!c->subscribed || !gnmi_queue_peek(&c->q, &ts, &lane))
		return false;
	/* one timestamp and one lane per Notification (§2.1: bundled updates share it) */
	while (n < GNMI_BUNDLE_MAX && gnmi_queue_peek(&c->q, NULL, &l2) && l2 == lane) {
		uint64_t t2;

		gnmi_queue_peek(&c->q, &t2, NULL);
		if (t2 != ts)
			break;
		gnmi_queue_pop(&c->q, &q[n]);
		u[n] = (struct gnmi_upd){&q[n].kv, q[n].ts_ms, q[n].duplicates};
		c->duplicates += q[n].duplicates;
		g->st.duplicates += q[n].duplicates;
		n++;
	}
	scratch = malloc(2 * sizeof(*scratch));
	*buf = scratch ? gnmi_pack_updates(c, u, n, scratch, len) : NULL;
	free(scratch);
	c->sent_updates += n;
	g->st.updates += n;
	for (size_t i = 0; i < n; i++)
		gnmi_qent_clear(&q[i]);
	/* an update that could not be packed is lost, the stream goes on */
	if (!*buf)
		return gnmi_rpc_next(c, buf, len);
	return true;
}

void gnmi_rpc_call_free(struct gnmi_call *c)
{
	while (c->out_head) {
		struct gnmi_msg *m = c->out_head;

		c->out_head = m->next;
		free(m->buf);
		free(m);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	gnmi_queue_free(&c->q);
	gnmi_sublist_free(&c->sl);
	if (c->get_rq)
		gnmi__get_request__free_unpacked(c->get_rq, NULL);
	c->get_rq = NULL;
	c->subscribed = false;
}

/* ------------------------------------------------------------------ RPCs */

static void gnmi_reply(struct gnmi_call *c, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);

	if (!buf) {
		gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "out of memory");
		return;
	}
	n = protobuf_c_message_pack(m, buf);
	gnmi_call_send(c, buf, n);
	free(buf);
	gnmi_call_finish(c, GNMI_STATUS_OK, "");
}

static void gnmi_capabilities(struct gnmi_call *c, const uint8_t *buf, size_t len)
{
	struct gnmi *g = c->srv->g;
	Gnmi__CapabilityRequest *rq = gnmi__capability_request__unpack(NULL, len, buf);
	Gnmi__CapabilityResponse r = GNMI__CAPABILITY_RESPONSE__INIT;
	Gnmi__Encoding enc[] = {GNMI__ENCODING__JSON, GNMI__ENCODING__PROTO,
	                        GNMI__ENCODING__JSON_IETF};
	Gnmi__ModelData *md = calloc(g->n_models ? g->n_models : 1, sizeof(*md));
	Gnmi__ModelData **mp = calloc(g->n_models ? g->n_models : 1, sizeof(*mp));

	if (!rq) {
		gnmi_call_finish(c, GNMI_STATUS_INVALID_ARGUMENT, "malformed CapabilityRequest");
		goto out;
	}
	if (!md || !mp) {
		gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < g->n_models; i++) {
		gnmi__model_data__init(&md[i]);
		md[i].name = g->models[i].name;
		md[i].organization = g->models[i].organization;
		md[i].version = g->models[i].version;
		mp[i] = &md[i];
	}
	r.n_supported_models = g->n_models;
	r.supported_models = mp;
	r.n_supported_encodings = sizeof(enc) / sizeof(enc[0]);
	r.supported_encodings = enc;
	r.gnmi_version = (char *)GNMI_VERSION;
	gnmi_reply(c, &r.base);
out:
	if (rq)
		gnmi__capability_request__free_unpacked(rq, NULL);
	free(md);
	free(mp);
}

static void gnmi_get_answer(struct gnmi_call *c, const Gnmi__GetRequest *rq)
{
	struct gnmi *g = c->srv->g;
	Gnmi__GetResponse r = GNMI__GET_RESPONSE__INIT;
	struct gnmi_get gr;
	struct gnmi_upd *u = NULL;
	struct tm_path *tp = malloc(sizeof(*tp));
	char err[TM_PATH_MAX + 64] = "";
	int rc;

	memset(&gr, 0, sizeof(gr));
	if (!tp) {
		gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "out of memory");
		goto out;
	}
	if ((rc = gnmi_get_parse(rq, g->sc, &g->cache, &gr, err, sizeof(err)))) {
		gnmi_call_finish(c, rc, err);
		goto out;
	}
	r.notification = calloc(gr.n, sizeof(*r.notification));
	u = calloc(g->cache.n ? g->cache.n : 1, sizeof(*u));
	if (!r.notification || !u) {
		gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t p = 0; p < gr.n; p++) {
		size_t n = 0, nr;
		char ps[TM_PATH_MAX + 1];
		const int *idx;

		if (gnmi_pat_stem(&gr.pat[p], ps, sizeof(ps)) < 0)
			ps[0] = '\0';
		nr = gnmi_cache_range(&g->cache, ps, &idx);
		for (size_t i = 0; i < nr; i++) {
			const struct gnmi_centry *e = gnmi_slot(g, idx, i);

			if (!gnmi_pat_may_match(&gr.pat[p], e->kv.key))
				continue;

			if (e->live && !tm_path_parse(e->kv.key, tp, NULL, 0) &&
			    gnmi_path_match(&gr.pat[p], tp))
				u[n++] = (struct gnmi_upd){&e->kv, e->ts_ms, 0};
		}
		if (!n) {
			/* §3.3.4: a path with no data is NOT_FOUND */
			if (gnmi_path_to_str(&gr.pat[p].p, ps, sizeof(ps)))
				snprintf(ps, sizeof(ps), "(path %zu)", p);
			snprintf(err, sizeof(err), "no data at %s", ps);
			gnmi_call_finish(c, GNMI_STATUS_NOT_FOUND, err);
			goto out;
		}
		r.notification[r.n_notification] = gnmi_notif_build(
		        u, n, gr.encoding, gr.has_target ? gr.target : NULL, gr.origin, NULL);
		if (!r.notification[r.n_notification]) {
			gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "cannot encode the values");
			goto out;
		}
		r.n_notification++;
	}
	gnmi_reply(c, &r.base);
out:
	for (size_t i = 0; i < r.n_notification; i++)
		gnmi_notif_free(r.notification[i]);
	free(r.notification);
	free(u);
	free(tp);
	gnmi_get_free(&gr);
}

/*
 * The proxy components a Get must hear from first: state read from a daemon's
 * ctl socket is in the cache only while someone polls it, so a Get covering a
 * proxy rule nobody polls asks for one poll and waits for its answer
 * (gnmi_get_poll_fn). 0: answer from the cache now (also for a bad request,
 * which gnmi_get_answer refuses).
 */
static size_t gnmi_get_polls(struct gnmi *g, struct gnmi_call *c, const Gnmi__GetRequest *rq)
{
	char comp[GNMI_GET_WAIT_MAX][GNMI_COMP_MAX];
	struct gnmi_get gr;
	char err[TM_PATH_MAX + 64];

	c->n_get_wait = 0;
	memset(&gr, 0, sizeof(gr));
	if (!g->get_poll || gnmi_get_parse(rq, g->sc, &g->cache, &gr, err, sizeof(err)))
		return 0;
	for (size_t p = 0; p < gr.n; p++) {
		size_t k = g->get_poll(g->get_poll_arg, &gr.pat[p].p, comp, GNMI_GET_WAIT_MAX);

		for (size_t i = 0; i < k; i++) {
			size_t j;

			for (j = 0; j < c->n_get_wait && strcmp(c->get_wait[j], comp[i]); j++)
				;
			if (j == c->n_get_wait && c->n_get_wait < GNMI_GET_WAIT_MAX) {
				memcpy(c->get_wait[c->n_get_wait], comp[i], GNMI_COMP_MAX);
				c->get_wait[c->n_get_wait++][GNMI_COMP_MAX - 1] = '\0';
			}
		}
	}
	gnmi_get_free(&gr);
	return c->n_get_wait;
}

static void gnmi_get(struct gnmi_call *c, const uint8_t *buf, size_t len)
{
	struct gnmi *g = c->srv->g;
	Gnmi__GetRequest *rq = gnmi__get_request__unpack(NULL, len, buf);

	if (!rq) {
		gnmi_call_finish(c, GNMI_STATUS_INVALID_ARGUMENT, "malformed GetRequest");
		return;
	}
	if (gnmi_get_polls(g, c, rq)) {
		/* answered from gnmi_rpc_bus when the polls' messages are in the cache,
		 * or UNAVAILABLE from gnmi_rpc_tick after GNMI_GET_POLL_MS */
		c->get_rq = rq;
		c->get_deadline_ms = mono_ms() + GNMI_GET_POLL_MS;
		return;
	}
	gnmi_get_answer(c, rq);
	gnmi__get_request__free_unpacked(rq, NULL);
}

/* Ends a waiting Get: answered from the cache (code OK) or with the error. */
static void gnmi_get_resume(struct gnmi_call *c, int code, const char *msg)
{
	Gnmi__GetRequest *rq = c->get_rq;

	c->get_rq = NULL;
	c->n_get_wait = 0;
	if (!c->dead && code == GNMI_STATUS_OK)
		gnmi_get_answer(c, rq);
	else if (!c->dead)
		gnmi_call_finish(c, code, msg);
	gnmi__get_request__free_unpacked(rq, NULL);
}

/* A message from comp with eom: Gets waiting for it go on when they wait for nothing else. */
static void gnmi_get_heard(struct gnmi *g, const char *comp, bool failed, const char *msg)
{
	for (struct gnmi_call *c = g->srv ? g->srv->calls : NULL, *next; c; c = next) {
		size_t j;

		next = c->next;
		if (!c->get_rq)
			continue;
		for (j = 0; j < c->n_get_wait && strcmp(c->get_wait[j], comp); j++)
			;
		if (j == c->n_get_wait)
			continue;
		if (failed) {
			gnmi_get_resume(c, GNMI_STATUS_UNAVAILABLE, msg);
			continue;
		}
		memmove(c->get_wait[j], c->get_wait[j + 1],
		        (c->n_get_wait - j - 1) * sizeof(c->get_wait[0]));
		if (!--c->n_get_wait)
			gnmi_get_resume(c, GNMI_STATUS_OK, NULL);
	}
}

void gnmi_set_get_poll(struct gnmi *g, gnmi_get_poll_fn fn, void *arg)
{
	g->get_poll = fn;
	g->get_poll_arg = arg;
}

void gnmi_get_poll_failed(struct gnmi *g, const char *comp, const char *msg)
{
	gnmi_get_heard(g, comp, true, msg);
}

static void gnmi_sub_arm(struct gnmi *g, struct gnmi_call *c, uint64_t now)
{
	for (size_t i = 0; i < c->sl.n; i++) {
		struct gnmi_sub *s = &c->sl.sub[i];

		s->sampled_seq = g->cache.seq;
		/* the initial dump counts as the first sample; updates_only waits a period */
		s->next_sample_ms = now + s->sample_ns / 1000000;
		s->next_heartbeat_ms = s->heartbeat_ns ? now + s->heartbeat_ns / 1000000 : 0;
	}
}

static void gnmi_log_sub_one(void *arg, const struct gnmi_sub_info *si)
{
	const struct gnmi_call *c = arg;

	if (si->call_id != c->id)
		return;
	log_info("gnmi: subscription %u from %s: %s %s %llu ms", si->call_id, si->peer, si->path,
	         gnmi_mode_name(si->list_mode, si->mode),
	         (unsigned long long)(si->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE
	                                      ? si->sample_ms
	                                      : si->heartbeat_ms));
}

static void gnmi_log_subscription(struct gnmi_call *c)
{
	gnmi_subscriptions(c->srv->g, gnmi_log_sub_one, c);
}

static void gnmi_subscribe(struct gnmi_call *c, const uint8_t *buf, size_t len)
{
	struct gnmi *g = c->srv->g;
	Gnmi__SubscribeRequest *rq = gnmi__subscribe_request__unpack(NULL, len, buf);
	char err[400] = "";
	int rc;

	if (!rq) {
		gnmi_call_finish(c, GNMI_STATUS_INVALID_ARGUMENT, "malformed SubscribeRequest");
		return;
	}
	if (!c->subscribed) {
		/* §3.5.1.1: the first request must be a SubscriptionList */
		if (rq->request_case != GNMI__SUBSCRIBE_REQUEST__REQUEST_SUBSCRIBE) {
			gnmi_call_finish(
			        c, GNMI_STATUS_INVALID_ARGUMENT,
			        "the first SubscribeRequest must carry a SubscriptionList");
			goto out;
		}
		if ((rc = gnmi_sublist_parse(rq->subscribe, g->sc, &g->cache, &c->sl, err,
		                             sizeof(err)))) {
			gnmi_call_finish(c, rc, err);
			goto out;
		}
		c->subscribed = true;
		gnmi_log_subscription(c);
		if (!c->sl.updates_only)
			gnmi_out_dump(g, c);
		gnmi_out_sync(c);
		gnmi_sub_arm(g, c, mono_ms());
		if (c->sl.mode == GNMI__SUBSCRIPTION_LIST__MODE__ONCE)
			gnmi_call_finish(c, GNMI_STATUS_OK, "");
		else
			gnmi_call_recv(c);
	} else if (rq->request_case == GNMI__SUBSCRIBE_REQUEST__REQUEST_POLL &&
	           c->sl.mode == GNMI__SUBSCRIPTION_LIST__MODE__POLL) {
		/* §3.5.1.5.3: every poll gets the full state and a sync; a client that
		 * polls faster than it reads is stopped before its dumps pile up */
		if (c->out_bytes > GNMI_OUT_MAX) {
			c->srv->g->st.exhausted++;
			gnmi_call_finish(c, GNMI_STATUS_RESOURCE_EXHAUSTED,
			                 "polls arrive faster than the collector reads");
			goto out;
		}
		if (!c->sl.updates_only)
			gnmi_out_dump(g, c);
		gnmi_out_sync(c);
		gnmi_call_recv(c);
	} else {
		/* §3.5.1.1: subscriptions are immutable; a poll is only for POLL */
		gnmi_call_finish(c, GNMI_STATUS_INVALID_ARGUMENT,
		                 rq->request_case == GNMI__SUBSCRIBE_REQUEST__REQUEST_POLL
		                         ? "poll on a subscription that is not POLL"
		                         : "a Subscribe RPC takes one SubscriptionList");
		goto out;
	}
	gnmi_call_pump(c);
out:
	gnmi__subscribe_request__free_unpacked(rq, NULL);
}

void gnmi_rpc_request(struct gnmi_call *c, const uint8_t *buf, size_t len)
{
	switch (c->m) {
	case GNMI_M_CAPABILITIES:
		gnmi_capabilities(c, buf, len);
		break;
	case GNMI_M_GET:
		gnmi_get(c, buf, len);
		break;
	case GNMI_M_SET:
		gnmi_call_finish(c, GNMI_STATUS_UNIMPLEMENTED,
		                 "Set is not supported: configure keel through mgd (cli)");
		break;
	case GNMI_M_SUBSCRIBE:
		gnmi_subscribe(c, buf, len);
		break;
	default:
		gnmi_call_finish(c, GNMI_STATUS_UNIMPLEMENTED, "unknown method");
		break;
	}
}

/* ------------------------------------------------------------------ bus and timers */

/* State (strings, booleans) is an event; numbers are counters or gauges. */
static enum gnmi_lane gnmi_kv_lane(const Keel__Sensor__KeyValue *kv)
{
	return kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE ||
	                       kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE
	               ? GNMI_LANE_EVENT
	               : GNMI_LANE_SAMPLE;
}

static bool gnmi_call_streams(const struct gnmi_call *c)
{
	return c->subscribed && !c->dead && !c->finish &&
	       c->sl.mode == GNMI__SUBSCRIPTION_LIST__MODE__STREAM;
}

static void gnmi_put(struct gnmi_call *c, const Keel__Sensor__KeyValue *kv, uint64_t ts,
                     enum gnmi_lane lane)
{
	if (gnmi_queue_put(&c->q, kv, ts, lane) < 0)
		c->srv->g->st.refused++;
}

static void gnmi_rpc_deletes(struct gnmi *g, const Keel__Sensor__SensorData *d, struct tm_path *tp)
{
	for (size_t i = 0; i < d->n_delete_paths; i++) {
		const char *p = d->delete_paths[i];

		if (!p || tm_path_parse(p, tp, NULL, 0))
			continue;
		gnmi_cache_delete(&g->cache, p);
		for (struct gnmi_call *c = g->srv ? g->srv->calls : NULL; c; c = c->next) {
			Gnmi__SubscribeResponse r = GNMI__SUBSCRIBE_RESPONSE__INIT;
			Gnmi__Notification *no;
			uint8_t *buf;
			size_t len;
			bool want = false;

			/* deletes wait in c->out: bounded like the queue (the stall
			 * bound ends a collector that stopped reading) */
			if (!gnmi_call_streams(c) || c->out_bytes > GNMI_OUT_MAX)
				continue;
			for (size_t j = 0; j < c->sl.n && !want; j++)
				want = c->sl.sub[j].mode != GNMI__SUBSCRIPTION_MODE__SAMPLE &&
				       (gnmi_path_match(&c->sl.sub[j].pat, tp) ||
				        tm_path_match(tp, &c->sl.sub[j].pat.p));
			if (!want ||
			    !(no = gnmi_notif_build(NULL, 0, c->sl.encoding, gnmi_call_target(c),
			                            c->sl.origin, NULL)))
				continue;
			/* §3.5.2.3: ON_CHANGE must report deletes */
			no->timestamp = (int64_t)(d->timestamp * 1000000ull);
			no->delete_ = calloc(1, sizeof(*no->delete_));
			if (no->delete_ && (no->delete_[0] = malloc(sizeof(Gnmi__Path)))) {
				gnmi__path__init(no->delete_[0]);
				no->n_delete_ = 1;
				if (!gnmi_path_from_tm(tp, 0, no->delete_[0])) {
					r.response_case = GNMI__SUBSCRIBE_RESPONSE__RESPONSE_UPDATE;
					r.update = no;
					if ((buf = gnmi_pack_subresp(&r, &len)))
						gnmi_out_push(c, buf, len);
				}
			}
			gnmi_notif_free(no);
		}
	}
}

void gnmi_rpc_bus(struct gnmi *g, const Keel__Sensor__SensorData *d)
{
	struct tm_path *tp = NULL;
	bool any = false;

	for (struct gnmi_call *c = g->srv ? g->srv->calls : NULL; c && !any; c = c->next)
		any = gnmi_call_streams(c);
	if (any && !(tp = malloc(sizeof(*tp))))
		any = false;
	for (size_t i = 0; i < d->n_kv; i++) {
		const Keel__Sensor__KeyValue *kv = d->kv[i];
		bool changed;

		if (!gnmi_cache_put(&g->cache, kv, d->timestamp, &changed) || !changed || !any ||
		    tm_path_parse(kv->key, tp, NULL, 0))
			continue;
		for (struct gnmi_call *c = g->srv->calls; c; c = c->next) {
			if (!gnmi_call_streams(c))
				continue;
			for (size_t j = 0; j < c->sl.n; j++) {
				const struct gnmi_sub *s = &c->sl.sub[j];

				if (s->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE ||
				    !gnmi_path_match(&s->pat, tp))
					continue;
				gnmi_put(c, kv, d->timestamp, gnmi_kv_lane(kv));
				break;
			}
		}
	}
	if (d->n_delete_paths && (tp || (tp = malloc(sizeof(*tp)))))
		gnmi_rpc_deletes(g, d, tp);
	free(tp);
	for (struct gnmi_call *c = g->srv ? g->srv->calls : NULL; c; c = c->next)
		if (gnmi_call_streams(c))
			gnmi_call_pump(c);
	/* the last part of a proxy poll is in the cache: Gets waiting for it answer */
	if (d->eom && d->component && d->component[0])
		gnmi_get_heard(g, d->component, false, NULL);
}

/* Which subscriptions of c are due now; full[i]: send every value, not only changes. */
static size_t gnmi_due(struct gnmi_call *c, uint64_t now, bool *due, bool *full)
{
	size_t n = 0;

	for (size_t i = 0; i < c->sl.n; i++) {
		struct gnmi_sub *s = &c->sl.sub[i];
		bool hb = s->heartbeat_ns && now >= s->next_heartbeat_ms;

		due[i] = full[i] = false;
		if (s->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE && now >= s->next_sample_ms) {
			due[i] = true;
			/* §3.5.1.5.2: suppress_redundant still sends all at each heartbeat */
			full[i] = !s->suppress_redundant || hb;
			s->next_sample_ms += s->sample_ns / 1000000;
			if (s->next_sample_ms <= now)
				s->next_sample_ms = now + s->sample_ns / 1000000;
		} else if (s->mode != GNMI__SUBSCRIPTION_MODE__SAMPLE && hb) {
			due[i] = full[i] = true;
		}
		if (hb)
			s->next_heartbeat_ms = now + s->heartbeat_ns / 1000000;
		n += due[i];
	}
	return n;
}

static void gnmi_tick_call(struct gnmi *g, struct gnmi_call *c, uint64_t now, struct tm_path *tp)
{
	bool due[GNMI_MAX_SUBS], full[GNMI_MAX_SUBS];
	char stem[TM_PATH_MAX + 1];
	const int *idx;
	size_t nr;

	if (!gnmi_due(c, now, due, full))
		return;
	/* only the subtree the due subscriptions cover, not the whole cache */
	gnmi_call_stem(c, due, stem, sizeof(stem));
	nr = gnmi_cache_range(&g->cache, stem, &idx);
	for (size_t i = 0; i < nr; i++) {
		const struct gnmi_centry *e = gnmi_slot(g, idx, i);
		bool parsed = false;

		if (!e->live)
			continue;
		for (size_t j = 0; j < c->sl.n; j++) {
			const struct gnmi_sub *s = &c->sl.sub[j];

			if (!due[j] || (!full[j] && e->changed <= s->sampled_seq) ||
			    !gnmi_sub_may(s, e->kv.key))
				continue;
			if (!parsed && tm_path_parse(e->kv.key, tp, NULL, 0))
				break;
			parsed = true;
			if (!gnmi_path_match(&s->pat, tp))
				continue;
			gnmi_put(c, &e->kv, e->ts_ms,
			         s->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE ? GNMI_LANE_SAMPLE
			                                                    : gnmi_kv_lane(&e->kv));
			break;
		}
	}
	for (size_t j = 0; j < c->sl.n; j++)
		if (due[j])
			c->sl.sub[j].sampled_seq = g->cache.seq;
}

void gnmi_rpc_tick(struct gnmi *g, uint64_t now_ms)
{
	struct tm_path *tp;

	if (!g->srv || !g->srv->calls)
		return;
	if (!(tp = malloc(sizeof(*tp))))
		return;
	for (struct gnmi_call *c = g->srv->calls; c; c = c->next) {
		if (c->get_rq && now_ms >= c->get_deadline_ms) {
			char msg[GNMI_COMP_MAX + 64];

			snprintf(msg, sizeof(msg), "no answer from %s within %d ms", c->get_wait[0],
			         GNMI_GET_POLL_MS);
			gnmi_get_resume(c, GNMI_STATUS_UNAVAILABLE, msg);
			continue;
		}
		if (!c->subscribed || c->dead)
			continue;
		/* a collector that stopped reading: bounded wait, then let it go */
		if (c->sending && now_ms - c->send_started_ms > g->stall_ms) {
			log_info("gnmi: Subscribe stalled for %llu ms with %zu paths queued: "
			         "RESOURCE_EXHAUSTED",
			         (unsigned long long)(now_ms - c->send_started_ms), c->q.n);
			g->st.exhausted++;
			gnmi_call_cancel(c, GNMI_STATUS_RESOURCE_EXHAUSTED,
			                 "collector stopped reading (stall bound)");
			continue;
		}
		if (!gnmi_call_streams(c))
			continue;
		gnmi_tick_call(g, c, now_ms, tp);
		gnmi_call_pump(c);
	}
	free(tp);
}

/* ------------------------------------------------------------------ models */

static char *gnmi_strdup0(const char *s)
{
	return strdup(s ? s : "");
}

int gnmi_models_load(struct gnmi *g)
{
	char dir[4096];
	struct ly_ctx *ly = NULL;
	const struct lys_module *mod;
	uint32_t idx = 0;
	DIR *dp;
	struct dirent *de;

	g->models_loaded = true;
	if (keel_yang_dir(dir, sizeof(dir)) < 0 || ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY, &ly))
		return -1;
	if (!(dp = opendir(dir))) {
		ly_ctx_destroy(ly);
		return -1;
	}
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		char name[256];
		const char *at;

		if (n < 6 || strcmp(de->d_name + n - 5, ".yang") || n - 5 >= sizeof(name))
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if ((at = strchr(name, '@')))
			name[at - name] = '\0';
		ly_ctx_load_module(ly, name, NULL, NULL);
	}
	closedir(dp);
	while ((mod = ly_ctx_get_module_iter(ly, &idx))) {
		struct gnmi_model *nm;

		/* the models a collector can subscribe to: implemented ones with data */
		if (!mod->implemented || !strncmp(mod->name, "ietf-", 5) ||
		    !strcmp(mod->name, "yang") || !strncmp(mod->name, "ietf", 4))
			continue;
		nm = realloc(g->models, (g->n_models + 1) * sizeof(*nm));
		if (!nm)
			break;
		g->models = nm;
		nm = &g->models[g->n_models++];
		nm->name = gnmi_strdup0(mod->name);
		nm->organization = gnmi_strdup0(mod->org);
		nm->version = gnmi_strdup0(mod->revision);
	}
	ly_ctx_destroy(ly);
	return 0;
}
