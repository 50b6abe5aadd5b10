/*
 * The OVSDB client without a real server: the stream splitter on split and
 * concatenated byte streams, message classification, request builders,
 * cache updates (RFC 7047 §4.1.6), VLAN column diffs and the reconcile
 * transactions, then the connection against a fake server on a unix socket
 * (monitor, echo, byte-split updates, transact + cur_cfg wait, reconnect
 * and re-monitor).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ev.h"
#include "platform/ovs/ovsdb.h"

#define ROOT "11111111-1111-1111-1111-111111111111"
#define BR0  "22222222-2222-2222-2222-222222222222"
#define P1   "33333333-3333-3333-3333-333333333333"
#define P2   "44444444-4444-4444-4444-444444444444"

/* ------------------------------------------------------------ stream */

struct collected {
	size_t n;
	char text[8][256];
};

static int collect(void *arg, struct json_object *msg)
{
	struct collected *c = arg;

	if (c->n < 8)
		snprintf(c->text[c->n], sizeof(c->text[0]), "%s",
		         json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
	c->n++;
	return 0;
}

static const char three[] =
        "{\"id\":1,\"result\":[{\"count\":1}],\"error\":null}"
        "{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}  \r\n"
        "{\"method\":\"update\",\"params\":[\"keel\",{\"s\":\"}{\"}],\"id\":null}\n";

static void check_three(const struct collected *c)
{
	assert_int_equal(c->n, 3);
	assert_string_equal(c->text[0], "{\"id\":1,\"result\":[{\"count\":1}],\"error\":null}");
	assert_string_equal(c->text[1], "{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}");
	assert_string_equal(
	        c->text[2],
	        "{\"method\":\"update\",\"params\":[\"keel\",{\"s\":\"}{\"}],\"id\":null}");
}

static void test_stream_split(void **state)
{
	struct ovsdb_stream s;
	struct collected c;
	size_t len = strlen(three);

	(void)state;
	/* All at once. */
	assert_int_equal(ovsdb_stream_init(&s), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ovsdb_stream_feed(&s, three, len, collect, &c), 0);
	check_three(&c);
	/* One byte at a time. */
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < len; i++)
		assert_int_equal(ovsdb_stream_feed(&s, three + i, 1, collect, &c), 0);
	check_three(&c);
	/* Every split point into two reads. */
	for (size_t cut = 0; cut <= len; cut++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(ovsdb_stream_feed(&s, three, cut, collect, &c), 0);
		assert_int_equal(ovsdb_stream_feed(&s, three + cut, len - cut, collect, &c), 0);
		check_three(&c);
	}
	ovsdb_stream_free(&s);
}

static int stop_at_first(void *arg, struct json_object *msg)
{
	(void)msg;
	(*(int *)arg)++;
	return 7;
}

static void expect_proto(const char *text)
{
	struct ovsdb_stream s;
	struct collected c = {0};

	assert_int_equal(ovsdb_stream_init(&s), 0);
	assert_int_equal(ovsdb_stream_feed(&s, text, strlen(text), collect, &c), -EPROTO);
	/* Sticky until reset: the stream cannot be resynchronised. */
	assert_int_equal(ovsdb_stream_feed(&s, "{}", 2, collect, &c), -EPROTO);
	ovsdb_stream_reset(&s);
	c.n = 0;
	assert_int_equal(ovsdb_stream_feed(&s, "{}", 2, collect, &c), 0);
	assert_int_equal(c.n, 1);
	ovsdb_stream_free(&s);
}

static void test_stream_errors(void **state)
{
	struct ovsdb_stream s;
	char deep[201];
	int calls = 0;

	(void)state;
	expect_proto("[1,2]");
	expect_proto("\"str\"");
	expect_proto("{\"a\":1}}");
	expect_proto("{\"a\":[1,]}"); /* no trailing commas */
	expect_proto("{\"a\":tru}");
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	deep[0] = '{';
	deep[1] = '"';
	deep[2] = 'a';
	deep[3] = '"';
	deep[4] = ':';
	expect_proto(deep); /* deeper than OVSDB_MAX_DEPTH */

	/* A callback's non-zero return stops the feed. */
	assert_int_equal(ovsdb_stream_init(&s), 0);
	assert_int_equal(ovsdb_stream_feed(&s, "{}{}", 4, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	ovsdb_stream_free(&s);
}

/* ------------------------------------------------------------ messages */

static void test_msg_decode(void **state)
{
	struct ovsdb_msg m;
	struct json_object *o;
	int64_t id;

	(void)state;
	o = json_tokener_parse("{\"id\":5,\"result\":{},\"error\":null}");
	assert_int_equal(ovsdb_msg_decode(o, &m), 0);
	assert_int_equal(m.kind, OVSDB_MSG_REPLY);
	assert_int_equal(ovsdb_msg_id(&m, &id), 0);
	assert_int_equal(id, 5);
	assert_null(m.error);
	json_object_put(o);

	o = json_tokener_parse("{\"id\":\"x\",\"result\":null,\"error\":\"boom\"}");
	assert_int_equal(ovsdb_msg_decode(o, &m), 0);
	assert_int_equal(m.kind, OVSDB_MSG_REPLY);
	assert_non_null(m.error);
	assert_int_equal(ovsdb_msg_id(&m, &id), -EPROTO); /* not one of ours */
	json_object_put(o);

	o = json_tokener_parse("{\"method\":\"echo\",\"params\":[1,\"a\"],\"id\":\"e1\"}");
	assert_int_equal(ovsdb_msg_decode(o, &m), 0);
	assert_int_equal(m.kind, OVSDB_MSG_REQUEST);
	{
		struct json_object *r = ovsdb_echo_reply(&m);

		assert_string_equal(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
		                    "{\"result\":[1,\"a\"],\"error\":null,\"id\":\"e1\"}");
		json_object_put(r);
	}
	json_object_put(o);

	o = json_tokener_parse("{\"method\":\"update\",\"params\":[],\"id\":null}");
	assert_int_equal(ovsdb_msg_decode(o, &m), 0);
	assert_int_equal(m.kind, OVSDB_MSG_NOTIFY);
	json_object_put(o);

	static const char *const bad[] = {
	        "{\"id\":1,\"result\":null,\"error\":null}", /* neither */
	        "{\"id\":1,\"result\":1,\"error\":2}",       /* both */
	        "{\"id\":1,\"result\":1}",                   /* no error member */
	        "{\"result\":1,\"error\":null}",             /* no id */
	        "{\"method\":5,\"params\":[]}",
	        "{\"method\":\"echo\",\"params\":{}}",
	        "{\"method\":\"echo\"}",
	        "{}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		assert_non_null(o);
		assert_int_equal(ovsdb_msg_decode(o, &m), -EPROTO);
		json_object_put(o);
	}
	assert_int_equal(ovsdb_msg_decode(NULL, &m), -EPROTO);
}

static void test_builders(void **state)
{
	static const char *const tables[] = {"Open_vSwitch", "Port"};
	static const char *const c1[] = {"cur_cfg", NULL};
	static const char *const c2[] = {"name", "tag", NULL};
	static const char *const *const cols[] = {c1, c2};
	struct json_object *p = ovsdb_monitor_params("Open_vSwitch", "m1", 2, tables, cols);
	struct json_object *r = ovsdb_request_new("monitor", p, 2);

	(void)state;
	assert_string_equal(
	        json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
	        "{\"method\":\"monitor\",\"params\":[\"Open_vSwitch\",\"m1\",{\"Open_vSwitch\":{"
	        "\"columns\":[\"cur_cfg\"],\"select\":{\"initial\":true,\"insert\":true,\"delete\":"
	        "true,\"modify\":true}},\"Port\":{\"columns\":[\"name\",\"tag\"],\"select\":{"
	        "\"initial\":true,\"insert\":true,\"delete\":true,\"modify\":true}}}],\"id\":2}");
	json_object_put(r);
}

static void test_values(void **state)
{
	struct json_object *o;
	int64_t x;

	(void)state;
	o = json_tokener_parse("[\"uuid\",\"" ROOT "\"]");
	assert_string_equal(ovsdb_uuid(o), ROOT);
	json_object_put(o);
	o = json_tokener_parse("[\"uuid\",\"short\"]");
	assert_null(ovsdb_uuid(o));
	json_object_put(o);
	o = json_tokener_parse("[\"set\",[7]]");
	assert_true(ovsdb_int(o, &x));
	assert_int_equal(x, 7);
	json_object_put(o);
	o = json_tokener_parse("[\"set\",[]]");
	assert_false(ovsdb_int(o, &x));
	assert_null(ovsdb_str(o));
	json_object_put(o);
	o = json_tokener_parse("[\"set\",[1,\"a\"]]");
	assert_int_equal(ovsdb_int_set_walk(o, NULL, NULL), -EPROTO);
	json_object_put(o);
	assert_int_equal(ovs_vlan_mode_parse("native-untagged", &(enum ovs_vlan_mode){0}), 0);
	assert_int_equal(ovs_vlan_mode_parse("", &(enum ovs_vlan_mode){0}), -EINVAL);
}

/* ------------------------------------------------------------ cache */

static const char initial[] =
        "{\"Open_vSwitch\":{\"" ROOT "\":{\"new\":{\"cur_cfg\":4,\"next_cfg\":4,"
        "\"bridges\":[\"uuid\",\"" BR0 "\"]}}},"
        "\"Bridge\":{\"" BR0 "\":{\"new\":{\"name\":\"br0\",\"ports\":[\"set\",[[\"uuid\",\"" P1
        "\"],[\"uuid\",\"" P2 "\"]]]}}},"
        "\"Port\":{\"" P1 "\":{\"new\":{\"name\":\"p1\",\"tag\":100,\"vlan_mode\":\"access\","
        "\"trunks\":[\"set\",[]]}},"
        "\"" P2 "\":{\"new\":{\"name\":\"p2\",\"tag\":[\"set\",[]],\"vlan_mode\":[\"set\",[]],"
        "\"trunks\":[\"set\",[10,20]]}}}}";

static void load(struct ovsdb_cache *c, const char *text)
{
	struct json_object *u = json_tokener_parse(text);

	assert_non_null(u);
	assert_int_equal(ovsdb_cache_update(c, u), 0);
	json_object_put(u);
}

static void test_cache(void **state)
{
	struct ovsdb_cache c;
	struct json_object *row, *bad;
	const char *uuid;
	struct ovs_port_vlan v;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, initial);
	assert_int_equal(ovsdb_cache_count(&c, "Port"), 2);
	row = ovsdb_cache_find(&c, "Port", "name", "p2", &uuid);
	assert_non_null(row);
	assert_string_equal(uuid, P2);
	assert_int_equal(ovs_port_vlan_from_row(row, &v), 0);
	assert_int_equal(v.tag, 0);
	assert_int_equal(v.mode, OVS_VLAN_MODE_NONE);
	assert_int_equal(ovs_vlan_set_count(&v.trunks), 2);
	assert_int_equal(ovs_port_vlan_from_row(ovsdb_cache_row(&c, "Port", P1), &v), 0);
	assert_int_equal(v.tag, 100);
	assert_int_equal(v.mode, OVS_VLAN_MODE_ACCESS);

	/* Modify (old + new: new holds every monitored column), then delete. */
	load(&c,
	     "{\"Port\":{\"" P1 "\":{\"old\":{\"tag\":100},\"new\":{\"name\":\"p1\",\"tag\":200,"
	     "\"vlan_mode\":\"access\",\"trunks\":[\"set\",[]]}}}}");
	assert_int_equal(ovs_port_vlan_from_row(ovsdb_cache_row(&c, "Port", P1), &v), 0);
	assert_int_equal(v.tag, 200);
	load(&c, "{\"Port\":{\"" P2 "\":{\"old\":{\"name\":\"p2\"}}}}");
	assert_null(ovsdb_cache_row(&c, "Port", P2));
	assert_int_equal(ovsdb_cache_count(&c, "Port"), 1);

	/* Malformed updates are refused. */
	static const char *const bads[] = {"[]", "{\"Port\":5}", "{\"Port\":{\"short\":{}}}",
	                                   "{\"Port\":{\"" P1 "\":{\"new\":5}}}"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		bad = json_tokener_parse(bads[i]);
		assert_int_equal(ovsdb_cache_update(&c, bad), -EPROTO);
		json_object_put(bad);
	}
	/* Bad column values. */
	bad = json_tokener_parse("{\"tag\":5000}");
	assert_int_equal(ovs_port_vlan_from_row(bad, &v), -EPROTO);
	json_object_put(bad);
	bad = json_tokener_parse("{\"vlan_mode\":\"hybrid\"}");
	assert_int_equal(ovs_port_vlan_from_row(bad, &v), -EPROTO);
	json_object_put(bad);
	bad = json_tokener_parse("{\"trunks\":[\"set\",[1,4096]]}");
	assert_int_equal(ovs_port_vlan_from_row(bad, &v), -EPROTO);
	json_object_put(bad);
	ovsdb_cache_clear(&c);
	assert_int_equal(ovsdb_cache_count(&c, "Port"), 0);
	ovsdb_cache_free(&c);
}

/* ------------------------------------------------------------ transactions */

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void test_txn_vlans(void **state)
{
	struct ovsdb_cache c;
	struct json_object *ops;
	struct ovs_port_vlan want[2];
	static const char *const names[] = {"p1", "p2"};
	static const char *const missing[] = {"p9"};

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, initial);

	/* Exactly the cached values: nothing to write. */
	memset(want, 0, sizeof(want));
	want[0].tag = 100;
	want[0].mode = OVS_VLAN_MODE_ACCESS;
	ovs_vlan_set_add(&want[1].trunks, 10);
	ovs_vlan_set_add(&want[1].trunks, 20);
	assert_int_equal(ovs_txn_port_vlans(&c, ROOT, 2, names, want, &ops), 0);
	assert_null(ops);

	/* p1 unchanged, p2 gets a native VLAN: only p2's tag and vlan_mode and
	 * trunks, in one transaction with the next_cfg bump. */
	want[1].tag = 30;
	want[1].mode = OVS_VLAN_MODE_NATIVE_UNTAGGED;
	ovs_vlan_set_add(&want[1].trunks, 30);
	assert_int_equal(ovs_txn_port_vlans(&c, ROOT, 2, names, want, &ops), 1);
	assert_string_equal(
	        plain(ops),
	        "[{\"op\":\"update\",\"table\":\"Port\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" P2
	        "\"]]],\"row\":{\"tag\":30,\"vlan_mode\":\"native-untagged\",\"trunks\":[\"set\",[10,"
	        "20,30]]}},{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\",\"==\",["
	        "\"uuid\",\"" ROOT
	        "\"]]],\"mutations\":[[\"next_cfg\",\"+=\",1]]},{\"op\":\"select\","
	        "\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" ROOT
	        "\"]]],\"columns\":[\"next_cfg\"]}]");
	json_object_put(ops);

	/* Back to access: trunks cleared to the empty set, tag set. */
	memset(&want[1], 0, sizeof(want[1]));
	want[1].tag = 5;
	want[1].mode = OVS_VLAN_MODE_ACCESS;
	assert_int_equal(ovs_txn_port_vlans(&c, ROOT, 2, names, want, &ops), 1);
	assert_non_null(strstr(plain(ops),
	                       "\"row\":{\"tag\":5,\"vlan_mode\":\"access\",\"trunks\":["
	                       "\"set\",[]]}"));
	json_object_put(ops);

	/* And the empty set for a removed tag / mode. */
	{
		struct ovs_port_vlan none;
		struct json_object *d;

		memset(&none, 0, sizeof(none));
		d = ovs_port_vlan_diff(&want[0], &none);
		assert_string_equal(plain(d), "{\"tag\":[\"set\",[]],\"vlan_mode\":[\"set\",[]]}");
		json_object_put(d);
	}

	assert_int_equal(ovs_txn_port_vlans(&c, ROOT, 1, missing, want, &ops), -ENOENT);
	assert_null(ops);
	ovsdb_cache_free(&c);
}

static void test_txn_ports(void **state)
{
	struct ovsdb_cache c;
	struct json_object *ops, *res;
	struct ovs_port_vlan v;
	int64_t next_cfg;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, initial);
	memset(&v, 0, sizeof(v));
	v.tag = 10;
	v.mode = OVS_VLAN_MODE_ACCESS;
	assert_int_equal(ovs_txn_port_add(&c, ROOT, "br0", "p3", &v, &ops), 0);
	assert_string_equal(
	        plain(ops),
	        "[{\"op\":\"insert\",\"table\":\"Interface\",\"row\":{\"name\":\"p3\"},\"uuid-name\":"
	        "\"newif\"},{\"op\":\"insert\",\"table\":\"Port\",\"row\":{\"name\":\"p3\","
	        "\"interfaces\":[\"named-uuid\",\"newif\"],\"tag\":10,\"vlan_mode\":\"access\"},"
	        "\"uuid-name\":\"newport\"},{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"_"
	        "uuid\",\"==\",[\"uuid\",\"" BR0
	        "\"]]],\"mutations\":[[\"ports\",\"insert\",[\"set\","
	        "[[\"named-uuid\",\"newport\"]]]]]},{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
	        "\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" ROOT
	        "\"]]],\"mutations\":[[\"next_cfg\","
	        "\"+=\",1]]},{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\",\"==\","
	        "[\"uuid\",\"" ROOT "\"]]],\"columns\":[\"next_cfg\"]}]");
	json_object_put(ops);
	assert_int_equal(ovs_txn_port_add(&c, ROOT, "br9", "p3", &v, &ops), -ENOENT);
	assert_int_equal(ovs_txn_port_add(&c, ROOT, "br0", "p1", &v, &ops), -EEXIST);

	assert_int_equal(ovs_txn_port_del(&c, ROOT, "p2", &ops), 0);
	assert_non_null(
	        strstr(plain(ops), "\"mutations\":[[\"ports\",\"delete\",[\"uuid\",\"" P2 "\"]]]"));
	json_object_put(ops);
	assert_int_equal(ovs_txn_port_del(&c, ROOT, "p9", &ops), -ENOENT);

	assert_int_equal(ovs_txn_bridge_add(&c, ROOT, "br0", &ops), -EEXIST);
	assert_int_equal(ovs_txn_bridge_add(&c, ROOT, "br1", &ops), 0);
	assert_non_null(strstr(plain(ops), "\"datapath_type\":\"netdev\""));
	assert_non_null(strstr(plain(ops), "\"type\":\"internal\""));
	assert_non_null(strstr(plain(ops), "[\"bridges\",\"insert\",[\"set\",[[\"named-uuid\","
	                                   "\"newbr\"]]]]"));
	json_object_put(ops);

	res = json_tokener_parse("[{\"count\":1},{\"count\":1},{\"rows\":[{\"next_cfg\":7}]}]");
	assert_true(ovs_txn_next_cfg(res, &next_cfg));
	assert_int_equal(next_cfg, 7);
	json_object_put(res);
	res = json_tokener_parse("[{\"count\":1}]");
	assert_false(ovs_txn_next_cfg(res, &next_cfg));
	json_object_put(res);
	ovsdb_cache_free(&c);
}

/* ------------------------------------------------------------ fake server */

struct fake {
	struct event_base *base;
	int lfd, fd;
	struct event *lev, *rev;
	struct ovsdb_stream s;
	int64_t cur_cfg, next_cfg;
	int monitors, transacts, echo_replies;
	bool split;  /* send updates one byte per write */
	bool hangup; /* close the connection after the next monitor reply */
	/* client side */
	int ready, updates, downs, done, done_err;
};

static void fake_send(struct fake *f, const char *text)
{
	size_t len = strlen(text);

	if (f->split) {
		/* Let the client read between bytes: 1-byte skbs fill a unix
		 * socket's buffer after a few hundred writes. */
		for (size_t i = 0; i < len; i++) {
			assert_int_equal(write(f->fd, text + i, 1), 1);
			event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		}
		return;
	}
	assert_int_equal(write(f->fd, text, len), (ssize_t)len);
}

static void fake_sendf(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fake_sendf(struct fake *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fake_send(f, buf);
}

static int fake_msg(void *arg, struct json_object *o)
{
	struct fake *f = arg;
	struct ovsdb_msg m;

	assert_int_equal(ovsdb_msg_decode(o, &m), 0);
	if (m.kind == OVSDB_MSG_REPLY) {
		/* Our echo's reply must carry our id and params. */
		assert_string_equal(json_object_get_string(m.id), "e7");
		assert_string_equal(plain(m.result), "[\"ping\"]");
		f->echo_replies++;
		return 0;
	}
	assert_int_equal(m.kind, OVSDB_MSG_REQUEST);
	if (!strcmp(m.method, "monitor")) {
		f->monitors++;
		assert_string_equal(json_object_get_string(json_object_array_get_idx(m.params, 0)),
		                    "Open_vSwitch");
		fake_sendf(f, "{\"id\":%s,\"error\":null,\"result\":%s}", plain(m.id), initial);
		if (f->hangup) {
			f->hangup = false;
			return 1;
		}
		/* The server's inactivity probe. */
		fake_send(f, "{\"method\":\"echo\",\"params\":[\"ping\"],\"id\":\"e7\"}");
		return 0;
	}
	if (!strcmp(m.method, "transact")) {
		f->transacts++;
		f->next_cfg++;
		fake_sendf(
		        f,
		        "{\"id\":%s,\"error\":null,\"result\":[{\"count\":1},{\"count\":1},{\"rows\":[{"
		        "\"next_cfg\":%lld}]}]}",
		        plain(m.id), (long long)f->next_cfg);
		return 0;
	}
	fail_msg("unexpected method %s", m.method);
	return 0;
}

static void fake_close(struct fake *f)
{
	if (f->rev)
		event_free(f->rev);
	f->rev = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)what;
	if (n <= 0) {
		fake_close(f);
		return;
	}
	if (ovsdb_stream_feed(&f->s, buf, (size_t)n, fake_msg, f) == 1)
		fake_close(f);
}

static void fake_accept(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;

	(void)what;
	fake_close(f);
	f->fd = accept(fd, NULL, NULL);
	assert_true(f->fd >= 0);
	ovsdb_stream_reset(&f->s);
	f->rev = event_new(f->base, f->fd, EV_READ | EV_PERSIST, fake_read, f);
	event_add(f->rev, NULL);
}

static void cl_ready(void *arg)
{
	((struct fake *)arg)->ready++;
}
static void cl_update(void *arg)
{
	((struct fake *)arg)->updates++;
}
static void cl_down(void *arg)
{
	((struct fake *)arg)->downs++;
}
static void cl_done(void *arg, int err)
{
	struct fake *f = arg;

	f->done++;
	f->done_err = err;
}

static const struct ovsdb_conn_ops cl_ops = {cl_ready, cl_update, cl_down};

/* Runs the loop until *flag reaches want (bounded: 2 s). */
static void run_until(struct fake *f, int *flag, int want)
{
	uint64_t end = mono_ms() + 2000;

	while (*flag < want && mono_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(*flag, want);
}

static void test_conn(void **state)
{
	struct fake f;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/ovsdbtestXXXXXX";
	struct ovsdb_conn *c;
	struct ovs_port_vlan want;
	const char *names[] = {"p1"};
	struct ovsdb_conn_stats st;
	uint64_t t0;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = -1;
	f.cur_cfg = f.next_cfg = 4;
	f.base = ev_base_new();
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/db.sock", dir);
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(f.lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f.lfd, 4), 0);
	f.lev = event_new(f.base, f.lfd, EV_READ | EV_PERSIST, fake_accept, &f);
	event_add(f.lev, NULL);
	assert_int_equal(ovsdb_stream_init(&f.s), 0);

	c = ovsdb_conn_open(f.base, sun.sun_path, &cl_ops, &f);
	assert_non_null(c);
	run_until(&f, &f.ready, 1);
	run_until(&f, &f.echo_replies, 1);
	assert_string_equal(ovsdb_conn_root(c), ROOT);
	assert_int_equal(ovsdb_cache_count(ovsdb_conn_cache(c), "Port"), 2);

	/* Reconcile p1 to tag 300: one transaction, then wait for cur_cfg. */
	memset(&want, 0, sizeof(want));
	want.tag = 300;
	want.mode = OVS_VLAN_MODE_ACCESS;
	assert_int_equal(ovs_port_set_vlans(c, 1, names, &want, cl_done, &f), 0);
	run_until(&f, &f.transacts, 1);
	/* Not applied yet: vswitchd (the fake) has not caught up. */
	for (int i = 0; i < 20; i++)
		event_base_loop(f.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(f.done, 0);
	/* The update arrives one byte per write. */
	f.split = true;
	fake_send(
	        &f,
	        "{\"method\":\"update\",\"id\":null,\"params\":[\"keel\",{\"Open_vSwitch\":{\"" ROOT
	        "\":{\"old\":{\"cur_cfg\":4},\"new\":{\"cur_cfg\":5,\"next_cfg\":5}}},\"Port\":{"
	        "\"" P1 "\":{\"old\":{\"tag\":100},\"new\":{\"name\":\"p1\",\"tag\":300,"
	        "\"vlan_mode\":\"access\",\"trunks\":[\"set\",[]]}}}}]}");
	f.split = false;
	run_until(&f, &f.done, 1);
	assert_int_equal(f.done_err, 0);
	assert_true(f.updates >= 1);
	/* The same reconcile again writes nothing. */
	assert_int_equal(ovs_port_set_vlans(c, 1, names, &want, cl_done, &f), 1);
	assert_int_equal(f.transacts, 1);

	/* A wait that never completes times out. */
	assert_int_equal(ovsdb_wait_cfg(c, 99, 50, cl_done, &f), 0);
	run_until(&f, &f.done, 2);
	assert_int_equal(f.done_err, -ETIMEDOUT);

	/* Server restart: the client notices, reconnects and re-monitors. A
	 * pending waiter fails with -ECONNRESET. */
	assert_int_equal(ovsdb_wait_cfg(c, 99, 5000, cl_done, &f), 0);
	t0 = mono_ms();
	fake_close(&f);
	run_until(&f, &f.downs, 1);
	assert_int_equal(f.done, 3);
	assert_int_equal(f.done_err, -ECONNRESET);
	assert_false(ovsdb_conn_is_ready(c));
	assert_int_equal(ovs_port_set_vlans(c, 1, names, &want, cl_done, &f), -ENOTCONN);
	run_until(&f, &f.ready, 2);
	assert_true(mono_ms() - t0 >= 100); /* backoff */
	assert_int_equal(f.monitors, 2);
	/* The cache was rebuilt from the new monitor reply (p1 back to 100). */
	{
		struct ovs_port_vlan have;

		assert_int_equal(
		        ovs_port_vlan_from_row(
		                ovsdb_cache_find(ovsdb_conn_cache(c), "Port", "name", "p1", NULL),
		                &have),
		        0);
		assert_int_equal(have.tag, 100);
	}
	/* A hang-up right after the monitor reply is survived too. */
	f.hangup = true;
	fake_close(&f);
	run_until(&f, &f.downs, 2);
	run_until(&f, &f.ready, 4);
	ovsdb_conn_get_stats(c, &st);
	assert_int_equal(st.reconnects, 3);
	assert_true(st.echoes >= 2);

	ovsdb_conn_close(c);
	fake_close(&f);
	event_free(f.lev);
	close(f.lfd);
	ovsdb_stream_free(&f.s);
	unlink(sun.sun_path);
	rmdir(dir);
	event_base_free(f.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stream_split), cmocka_unit_test(test_stream_errors),
	        cmocka_unit_test(test_msg_decode),   cmocka_unit_test(test_builders),
	        cmocka_unit_test(test_values),       cmocka_unit_test(test_cache),
	        cmocka_unit_test(test_txn_vlans),    cmocka_unit_test(test_txn_ports),
	        cmocka_unit_test(test_conn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
