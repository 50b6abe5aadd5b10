/*
 * The ctl-socket proxy (daemons/telemetryd/proxy.c): the reflection walk
 * that turns a daemon's show reply into bus pairs, and the poller against a
 * fake ribd control socket (KEEL_ROOT is a fresh temporary directory) driven
 * by sensors of a telemetryd table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "daemons/telemetryd/proxy.h"
#include "daemons/telemetryd/telemetryd.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/proto/bfdd.pb-c.h"
#include "lib/proto/clusterd.pb-c.h"
#include "lib/proto/ribd.pb-c.h"
#include "lib/sensor.h"

static char root_dir[128];

static const struct tm_proxy_rule *rule(const char *daemon)
{
	for (size_t i = 0; i < tm_proxy_n_rules; i++)
		if (!strcmp(tm_proxy_rules[i].daemon, daemon))
			return &tm_proxy_rules[i];
	fail_msg("no rule for %s", daemon);
	return NULL;
}

/* Packs m as the bus would and decodes it back: the pairs a consumer sees. */
static Keel__Sensor__SensorData *roundtrip(struct sensor_msg *m)
{
	Keel__Sensor__SensorData *d = NULL;
	size_t len;
	uint8_t *buf = sensor_msg_pack(m, "ribd-proxy", "n0", 1, 1000, &len);

	assert_non_null(buf);
	assert_int_equal(sensor_msg_decode(buf, len, &d), SENSOR_ERR_NONE);
	free(buf);
	return d;
}

static const Keel__Sensor__KeyValue *find(const Keel__Sensor__SensorData *d, const char *key)
{
	for (size_t i = 0; i < d->n_kv; i++)
		if (!strcmp(d->kv[i]->key, key))
			return d->kv[i];
	return NULL;
}

static uint64_t u64(const Keel__Sensor__SensorData *d, const char *key)
{
	const Keel__Sensor__KeyValue *kv = find(d, key);

	if (!kv)
		fail_msg("missing %s", key);
	assert_int_equal(kv->value_case, KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE);
	return kv->uint_value;
}

static const char *str(const Keel__Sensor__SensorData *d, const char *key)
{
	const Keel__Sensor__KeyValue *kv = find(d, key);

	if (!kv)
		fail_msg("missing %s", key);
	assert_int_equal(kv->value_case, KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE);
	return kv->str_value;
}

/* ---- a route summary as ribd builds it */

struct summary {
	Keel__Ribd__RouteSummary rs;
	Keel__Ribd__TableSummary t[2], *tp[2];
	Keel__Ribd__ProtocolCount pc[2], *pcp[2];
};

static void summary_init(struct summary *s, uint32_t statics)
{
	keel__ribd__route_summary__init(&s->rs);
	for (int i = 0; i < 2; i++) {
		keel__ribd__table_summary__init(&s->t[i]);
		s->tp[i] = &s->t[i];
		keel__ribd__protocol_count__init(&s->pc[i]);
		s->pcp[i] = &s->pc[i];
	}
	s->t[0].name = "inet.0";
	s->t[0].destinations = 9;
	s->t[0].routes = 10;
	s->t[0].active = 8;
	s->t[0].hidden = 1;
	s->pc[0].name = "Static";
	s->pc[0].routes = statics;
	s->pc[0].active = statics;
	s->pc[1].name = "Direct";
	s->pc[1].routes = 4;
	s->pc[1].active = 4;
	s->t[0].protocols = s->pcp;
	s->t[0].n_protocols = 2;
	s->t[1].name = "inet6.0";
	s->t[1].routes = 2;
	s->rs.tables = s->tp;
	s->rs.n_tables = 2;
	s->rs.fib_routes = 7;
}

static void test_flatten_ribd(void **state)
{
	struct summary s;
	struct sensor_msg *m = sensor_msg_new("route-summary");
	uint64_t h1 = 1, h2 = 1, h3 = 1;
	Keel__Sensor__SensorData *d;
	int n;

	(void)state;
	summary_init(&s, 3);
	n = tm_proxy_flatten(rule("ribd"), &s.rs.base, m, &h1);
	assert_true(n > 10);
	assert_int_equal((size_t)n, sensor_msg_count(m));
	d = roundtrip(m);
	/* keel-routing-options state/rib names, lowercase protocol enum */
	assert_int_equal(u64(d, "/routing-options/state/rib[name=inet.0]/active-routes"), 8);
	assert_int_equal(u64(d, "/routing-options/state/rib[name=inet.0]/hidden-routes"), 1);
	assert_int_equal(u64(d, "/routing-options/state/rib[name=inet.0]/destinations"), 9);
	assert_int_equal(
	        u64(d, "/routing-options/state/rib[name=inet.0]/protocol[name=static]/routes"), 3);
	assert_int_equal(
	        u64(d,
	            "/routing-options/state/rib[name=inet.0]/protocol[name=direct]/active-routes"),
	        4);
	assert_int_equal(u64(d, "/routing-options/state/rib[name=inet6.0]/routes"), 2);
	assert_string_equal(str(d, "/routing-options/state/rib[name=inet.0]/name"), "inet.0");
	/* unmapped fields keep their proto name, dashed; zero values are data */
	assert_int_equal(u64(d, "/routing-options/state/fib-routes"), 7);
	assert_int_equal(u64(d, "/routing-options/state/fib-errors"), 0);
	assert_null(find(d, "/routing-options/state/rib[name=inet.0]/active"));
	sensor_data_free(d);
	sensor_msg_free(m);

	/* the hash tells a changed reply from an unchanged one */
	m = sensor_msg_new("route-summary");
	tm_proxy_flatten(rule("ribd"), &s.rs.base, m, &h2);
	sensor_msg_free(m);
	assert_true(h1 == h2);
	summary_init(&s, 4);
	m = sensor_msg_new("route-summary");
	tm_proxy_flatten(rule("ribd"), &s.rs.base, m, &h3);
	sensor_msg_free(m);
	assert_true(h1 != h3);
}

static void test_flatten_bfdd(void **state)
{
	Keel__Bfdd__SessionPage page = KEEL__BFDD__SESSION_PAGE__INIT;
	Keel__Bfdd__Session s = KEEL__BFDD__SESSION__INIT, *sp = &s;
	Keel__Bfdd__SessionKey k = KEEL__BFDD__SESSION_KEY__INIT;
	Keel__Bfdd__DropCount dc = KEEL__BFDD__DROP_COUNT__INIT, *dcp = &dc;
	Keel__Bfdd__Summary sum = KEEL__BFDD__SUMMARY__INIT;
	char *clients[] = {"static", "cluster"};
	struct sensor_msg *m = sensor_msg_new("sessions");
	Keel__Sensor__SensorData *d;
	uint64_t h = 0;

	(void)state;
	k.peer = "10.0.0.2";
	k.interface = "eth0";
	s.key = &k;
	s.local_discriminator = 17;
	s.state = "Up";
	s.from_state = "Down";
	s.up_transitions = 2;
	s.clients = clients;
	s.n_clients = 2;
	dc.reason = "bad-ttl";
	dc.count = 5;
	s.drops = &dcp;
	s.n_drops = 1;
	page.sessions = &sp;
	page.n_sessions = 1;
	sum.sessions = 1;
	page.summary = &sum;
	assert_true(tm_proxy_flatten(rule("bfdd"), &page.base, m, &h) > 0);
	d = roundtrip(m);
#define S "/protocols/bfd/state/session[local-discriminator=17]"
	assert_string_equal(str(d, S "/state"), "Up");
	/* SessionKey is flattened into the session, peer named as in the YANG */
	assert_string_equal(str(d, S "/address"), "10.0.0.2");
	assert_string_equal(str(d, S "/interface"), "eth0");
	assert_int_equal(u64(d, S "/up-transitions"), 2);
	assert_string_equal(str(d, S "/client"), "static,cluster");
	assert_int_equal(u64(d, S "/drop[reason=bad-ttl]/count"), 5);
	assert_null(find(d, S "/from-state"));
	assert_null(find(d, S "/key/peer"));
#undef S
	assert_int_equal(u64(d, "/protocols/bfd/state/summary/sessions"), 1);
	sensor_data_free(d);
	sensor_msg_free(m);
}

static void test_flatten_clusterd(void **state)
{
	Keel__Clusterd__ClusterStatistics cs = KEEL__CLUSTERD__CLUSTER_STATISTICS__INIT;
	Keel__Clusterd__LinkStats ls = KEEL__CLUSTERD__LINK_STATS__INIT, *lsp = &ls;
	Keel__Clusterd__SyncService sv = KEEL__CLUSTERD__SYNC_SERVICE__INIT, *svp = &sv;
	struct sensor_msg *m = sensor_msg_new("cluster-statistics");
	Keel__Sensor__SensorData *d;
	uint64_t h = 0;

	(void)state;
	ls.interface = "ctl0";
	ls.sent = 100;
	cs.control = &lsp;
	cs.n_control = 1;
	sv.name = "Configuration";
	sv.sent = 3;
	cs.services = &svp;
	cs.n_services = 1;
	cs.probes_dropped_ctl_down = 6;
	assert_int_equal(tm_proxy_flatten(rule("clusterd"), &cs.base, m, &h), 4);
	d = roundtrip(m);
	assert_int_equal(u64(d, "/chassis/state/cluster/sync-service[name=Configuration]/sent"), 3);
	assert_int_equal(u64(d, "/chassis/state/cluster/probes-dropped-ctl-down"), 6);
	/* natively published by clusterd: skipped */
	for (size_t i = 0; i < d->n_kv; i++)
		assert_null(strstr(d->kv[i]->key, "control"));
	sensor_data_free(d);
	sensor_msg_free(m);
}

static void test_flatten_bad_key(void **state)
{
	struct summary s;
	struct sensor_msg *m = sensor_msg_new("route-summary");
	Keel__Sensor__SensorData *d;
	uint64_t h = 0;

	(void)state;
	summary_init(&s, 1);
	s.t[1].name = "in]et";          /* would end the predicate early: entry left out */
	s.t[0].protocols[1]->name = ""; /* an empty key: left out */
	assert_true(tm_proxy_flatten(rule("ribd"), &s.rs.base, m, &h) > 0);
	d = roundtrip(m);
	for (size_t i = 0; i < d->n_kv; i++) {
		assert_null(strstr(d->kv[i]->key, "in]et"));
		assert_null(strstr(d->kv[i]->key, "[name=]"));
	}
	assert_non_null(find(d, "/routing-options/state/rib[name=inet.0]/routes"));
	sensor_data_free(d);
	sensor_msg_free(m);
}

static void test_wants(void **state)
{
	const char *yes[] = {"/routing-options/state/rib[name=inet.0]/", "/routing-options/state/",
	                     "/routing-options",
	                     "/routing-options/state/rib/protocol[name=static]/routes"};
	const char *no[] = {"/routing-options/static", "/interfaces/interface/state",
	                    "/chassis/state"};
	struct tm_path p;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_int_equal(tm_path_parse(yes[i], &p, NULL, 0), 0);
		if (!tm_proxy_wants(rule("ribd"), &p))
			fail_msg("%s not wanted", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(tm_path_parse(no[i], &p, NULL, 0), 0);
		if (tm_proxy_wants(rule("ribd"), &p))
			fail_msg("%s wanted", no[i]);
	}
}

/* ---- the poller against a fake ribd */

struct fake {
	struct event_base *base;
	struct ctl_server *srv;
	int calls;
	uint32_t statics; /* grows per call when `grow` */
	bool grow, fail;
	Keel__Sensor__SensorData *got[8];
	int n_got;
};

static struct fake F;

static void fake_summary(struct ctl_req *req, void *arg)
{
	struct summary s;

	(void)arg;
	F.calls++;
	if (F.fail) {
		ctl_error(req, CTL_ERR_FAILED, "ribd is busy");
		return;
	}
	if (F.grow)
		F.statics++;
	summary_init(&s, F.statics);
	ctl_reply(req, &s.rs.base);
	ctl_end(req);
}

static const struct ctl_method fake_methods[] = {
        {.name = "show.route.summary", .fn = fake_summary},
};

static void sink(void *arg, const struct tm_proxy_rule *r, struct sensor_msg *m)
{
	(void)arg;
	assert_string_equal(r->daemon, "ribd");
	if (F.n_got < 8)
		F.got[F.n_got++] = roundtrip(m);
	sensor_msg_free(m);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void run_for(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *ev = evtimer_new(F.base, stop_loop, F.base);

	evtimer_add(ev, &tv);
	event_base_dispatch(F.base);
	event_free(ev);
}

static void table(struct telemetryd *t, const char *resource, int rate)
{
	char json[512], err[256] = "";
	struct json_object *o;

	snprintf(json, sizeof(json),
	         "{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":\"rt\","
	         "\"resource\":\"%s\",\"reporting-rate\":%d}]}}}",
	         resource, rate);
	o = json_tokener_parse(json);
	assert_non_null(o);
	tm_table_free(&t->table);
	if (tm_table_from_json(o, NULL, &t->table, err, sizeof(err)))
		fail_msg("%s", err);
	json_object_put(o);
}

static void fake_reset(void)
{
	for (int i = 0; i < F.n_got; i++)
		sensor_data_free(F.got[i]);
	F.n_got = 0;
	F.calls = 0;
}

static void test_poll(void **state)
{
	struct daemon d = {0};
	struct telemetryd t = {0};
	struct tm_proxy *p;
	struct tm_proxy_stats st;
	size_t ri = (size_t)(rule("ribd") - tm_proxy_rules);

	(void)state;
	memset(&F, 0, sizeof(F));
	F.base = ev_base_new();
	F.srv = ctl_server_open(F.base, "ribd", fake_methods, 1, NULL);
	assert_non_null(F.srv);
	d.base = F.base;
	t.d = &d;

	/* a sensor elsewhere in the tree: ribd is never asked */
	table(&t, "/interfaces/interface/state/counters/", 1);
	p = tm_proxy_new(&t);
	assert_non_null(p);
	tm_proxy_set_sink(p, sink, NULL);
	run_for(1300);
	assert_int_equal(F.calls, 0);
	assert_int_equal(tm_proxy_stats(p, ri, &st), 0);
	assert_int_equal(st.period_ms, 0);
	assert_false(st.connected);
	assert_int_equal(st.last_poll_ms, 0); /* never polled: `show agent sensors` says "never" */

	/* reporting-rate 1 on the route table: polled once a second, every sample
	 * published even when unchanged (a sampled sensor's window needs a value) */
	table(&t, "/routing-options/state/rib[name=inet.0]/", 1);
	F.statics = 5;
	run_for(4500);
	assert_true(F.calls >= 2);
	assert_true(F.n_got >= 2);
	assert_int_equal(
	        u64(F.got[0],
	            "/routing-options/state/rib[name=inet.0]/protocol[name=static]/routes"),
	        5);
	assert_int_equal(tm_proxy_stats(p, ri, &st), 0);
	assert_int_equal(st.period_ms, 1000);
	assert_true(st.connected);
	assert_int_equal(st.published, (uint64_t)F.n_got);
	/* the last poll is wall-clock time, within the 4.5 s just run */
	assert_true(st.last_poll_ms <= wall_ms() && st.last_poll_ms + 6000 > wall_ms());

	/* reporting-rate 0 (on change): an unchanged reply is not published again */
	fake_reset();
	table(&t, "/routing-options/state/", 0);
	run_for(1600);
	assert_true(F.n_got >= 1); /* a new wanter gets the current value, unchanged or not */
	fake_reset();
	tm_proxy_stats(p, ri, &st);
	uint64_t unchanged = st.unchanged;
	run_for(2600);
	assert_true(F.calls >= 2);
	assert_int_equal(F.n_got, 0);
	tm_proxy_stats(p, ri, &st);
	assert_true(st.unchanged >= unchanged + 2);
	/* ...a changed one is, with the new value */
	F.grow = true;
	run_for(2600); /* two 1 s polls with margin for a loaded machine */
	assert_true(F.n_got >= 2);
	assert_int_equal(
	        u64(F.got[F.n_got - 1],
	            "/routing-options/state/rib[name=inet.0]/protocol[name=static]/routes"),
	        F.statics);

	/* an error reply: counted, nothing published */
	fake_reset();
	F.fail = true;
	run_for(2500);
	assert_true(F.calls >= 1);
	assert_int_equal(F.n_got, 0);
	tm_proxy_stats(p, ri, &st);
	assert_true(st.errors >= 1);

	/* nobody wants it any more: disconnected */
	F.fail = false;
	tm_table_free(&t.table);
	run_for(1300);
	tm_proxy_stats(p, ri, &st);
	assert_int_equal(st.period_ms, 0);
	assert_false(st.connected);

	fake_reset();
	tm_proxy_free(p);
	ctl_server_close(F.srv);
	event_base_free(F.base);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/keel-proxy-XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	setenv("KEEL_ROOT", root_dir, 1);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_flatten_ribd),
	        cmocka_unit_test(test_flatten_bfdd),
	        cmocka_unit_test(test_flatten_clusterd),
	        cmocka_unit_test(test_flatten_bad_key),
	        cmocka_unit_test(test_wants),
	        cmocka_unit_test(test_poll),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
