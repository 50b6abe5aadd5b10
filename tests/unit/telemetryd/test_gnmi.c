/*
 * telemetryd's gNMI pure parts: gNMI Path <-> keel path patterns (wildcards,
 * prefix join, string form), schema checks, TypedValue encodings, the
 * coalescing queue (newest wins, duplicates, event lane first, bound), the
 * value cache, SubscriptionList / GetRequest checks and status codes, the
 * grpc config and username/password checks.
 */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/telemetryd/gnmi.h"

#define IF_KEY "/interfaces/interface[name=eth0]/state/counters/in-octets"

static struct tm_schema *schema;

static int setup(void **st)
{
	char err[256] = "";

	(void)st;
	schema = tm_schema_open("yang", err, sizeof(err));
	if (!schema)
		fail_msg("schema: %s", err);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	tm_schema_close(schema);
	return 0;
}

/* ---- a tiny gNMI Path builder: "a/b[k=v]/c" */

/* Room past TM_PATH_MAX_ELEMS: the "too deep" test builds one element more than it. */
#define TPATH_MAX (TM_PATH_MAX_ELEMS + 8)

struct tpath {
	Gnmi__Path p;
	Gnmi__PathElem *pe[TPATH_MAX];
	Gnmi__PathElem e[TPATH_MAX];
	Gnmi__PathElem__KeyEntry *kp[TPATH_MAX][4];
	Gnmi__PathElem__KeyEntry k[TPATH_MAX][4];
	char buf[512];
};

static Gnmi__Path *tpath(struct tpath *t, const char *s)
{
	char *save = NULL, *tok;

	gnmi__path__init(&t->p);
	snprintf(t->buf, sizeof(t->buf), "%s", s);
	t->p.elem = t->pe;
	for (tok = strtok_r(t->buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t i = t->p.n_elem++;
		char *br = strchr(tok, '[');

		assert_true(i < TPATH_MAX);

		gnmi__path_elem__init(&t->e[i]);
		t->pe[i] = &t->e[i];
		t->e[i].key = t->kp[i];
		while (br) {
			char *eq = strchr(br, '='), *end = strchr(br, ']');
			size_t j = t->e[i].n_key++;

			*br = *eq = *end = '\0';
			gnmi__path_elem__key_entry__init(&t->k[i][j]);
			t->k[i][j].key = br + 1;
			t->k[i][j].value = eq + 1;
			t->kp[i][j] = &t->k[i][j];
			br = end[1] == '[' ? end + 1 : NULL;
		}
		t->e[i].name = tok;
	}
	return &t->p;
}

static struct gnmi_pat pat;
static struct tm_path tkey;

static int join(const char *prefix, const char *path)
{
	struct tpath a, b;
	char err[256];

	return gnmi_path_join(prefix ? tpath(&a, prefix) : NULL, path ? tpath(&b, path) : NULL,
	                      &pat, err, sizeof(err));
}

static bool match(const char *k)
{
	assert_int_equal(tm_path_parse(k, &tkey, NULL, 0), 0);
	return gnmi_path_match(&pat, &tkey);
}

static void test_path_join_and_match(void **st)
{
	char s[512];

	(void)st;
	assert_int_equal(join("interfaces/interface[name=eth0]", "state/counters"), 0);
	assert_int_equal(pat.p.n_elem, 4);
	assert_false(pat.wild);
	assert_true(match(IF_KEY));
	assert_true(match("/interfaces/interface[name=eth0]/state/counters"));
	assert_false(match("/interfaces/interface[name=eth1]/state/counters/in-octets"));
	assert_false(match("/interfaces/interface[name=eth0]/state"));
	assert_int_equal(gnmi_path_to_str(&pat.p, s, sizeof(s)), 0);
	assert_string_equal(s, "/interfaces/interface[name=eth0]/state/counters");

	/* a missing key and a "*" key match every entry */
	assert_int_equal(join(NULL, "interfaces/interface/state"), 0);
	assert_true(match(IF_KEY));
	assert_int_equal(join(NULL, "interfaces/interface[name=*]/state"), 0);
	assert_true(pat.wild);
	assert_true(match(IF_KEY));
	/* "*" is one level, "..." any depth (zero included) */
	assert_int_equal(join(NULL, "interfaces/*/state/counters/in-octets"), 0);
	assert_true(match(IF_KEY));
	assert_int_equal(join(NULL, "interfaces/*/counters"), 0);
	assert_false(match(IF_KEY));
	assert_int_equal(join(NULL, "interfaces/.../in-octets"), 0);
	assert_true(match(IF_KEY));
	assert_false(match("/interfaces/interface[name=eth0]/state/counters/out-octets"));
	assert_int_equal(join(NULL, ".../counters"), 0);
	assert_true(match(IF_KEY));
	assert_int_equal(join("interfaces", "..."), 0);
	assert_true(match(IF_KEY));
	/* the root selects everything */
	assert_int_equal(join(NULL, NULL), 0);
	assert_int_equal(pat.p.n_elem, 0);
	assert_true(match(IF_KEY));
	/* collectors' module prefixes are accepted */
	assert_int_equal(join(NULL, "keel-interfaces:interfaces/interface"), 0);
	assert_string_equal(pat.p.elem[0].module, "keel-interfaces");
	assert_true(match(IF_KEY));
}

static void test_path_join_errors(void **st)
{
	struct tpath a, b;
	char err[256];

	(void)st;
	assert_int_equal(join(NULL, "interfaces/*[name=x]"), GNMI_STATUS_INVALID_ARGUMENT);
	assert_int_equal(join(NULL, "interfaces/interface[=x]"), GNMI_STATUS_INVALID_ARGUMENT);
	assert_int_equal(join(NULL, ":x"), GNMI_STATUS_INVALID_ARGUMENT);
	/* origin: keel's and openconfig are served; others are valid but unsupported */
	tpath(&b, "interfaces");
	b.p.origin = (char *)"openconfig";
	assert_int_equal(gnmi_path_join(NULL, &b.p, &pat, err, sizeof(err)), 0);
	b.p.origin = (char *)"rfc7951";
	assert_int_equal(gnmi_path_join(NULL, &b.p, &pat, err, sizeof(err)),
	                 GNMI_STATUS_UNIMPLEMENTED);
	/* origin in both prefix and path; target inside a path */
	tpath(&a, "interfaces");
	a.p.origin = (char *)"openconfig";
	b.p.origin = (char *)"openconfig";
	assert_int_equal(gnmi_path_join(&a.p, &b.p, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	b.p.origin = NULL;
	b.p.target = (char *)"dev";
	assert_int_equal(gnmi_path_join(&a.p, &b.p, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "target"));
	/* the deprecated string elements */
	{
		char *els[] = {(char *)"interfaces"};

		tpath(&b, "");
		b.p.n_element = 1;
		b.p.element = els;
		assert_int_equal(gnmi_path_join(NULL, &b.p, &pat, err, sizeof(err)),
		                 GNMI_STATUS_INVALID_ARGUMENT);
	}
	/* too deep */
	{
		char deep[512];
		size_t n = 0;

		for (int i = 0; i < TM_PATH_MAX_ELEMS + 1; i++) {
			memcpy(deep + n, "a/", 2);
			n += 2;
		}
		deep[n] = '\0';
		assert_int_equal(join(NULL, deep), GNMI_STATUS_INVALID_ARGUMENT);
	}
}

static void test_path_schema(void **st)
{
	char err[256] = "";

	(void)st;
	assert_int_equal(join(NULL, "interfaces/interface[name=eth0]/state/counters"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)), 0);
	assert_int_equal(join(NULL, "interfaces/interface/nosuch"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "nosuch"));
	/* a key that is not the list's key */
	assert_int_equal(join(NULL, "interfaces/interface[color=red]/state"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	/* checked up to the first wildcard */
	assert_int_equal(join(NULL, "interfaces/*/anything"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)), 0);
	assert_int_equal(join(NULL, "nosuch/*"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_int_equal(join(NULL, NULL), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)), 0);
	/* module prefixes: keel's own must match, OpenConfig's name the same nodes */
	assert_int_equal(join(NULL, "keel-interfaces:interfaces/interface"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)), 0);
	assert_int_equal(join(NULL, "keel-system:interfaces/interface"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_int_equal(join(NULL, "openconfig-interfaces:interfaces/interface/state"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)), 0);
}

static void test_path_strings_and_from_tm(void **st)
{
	struct tm_path *p = calloc(1, sizeof(*p));
	Gnmi__Path gp = GNMI__PATH__INIT;
	char s[256];

	(void)st;
	/* keys sorted by name; ']' and '\' escaped */
	p->n_elem = 1;
	snprintf(p->elem[0].name, TM_NAME_MAX, "protocol");
	p->elem[0].n_keys = 2;
	snprintf(p->elem[0].keys[0].name, TM_NAME_MAX, "name");
	snprintf(p->elem[0].keys[0].value, TM_NAME_MAX, "a]b\\c");
	snprintf(p->elem[0].keys[1].name, TM_NAME_MAX, "identifier");
	snprintf(p->elem[0].keys[1].value, TM_NAME_MAX, "BGP");
	assert_int_equal(gnmi_path_to_str(p, s, sizeof(s)), 0);
	assert_string_equal(s, "/protocol[identifier=BGP][name=a\\]b\\\\c]");
	assert_int_equal(gnmi_path_to_str(p, s, 10), -1);

	assert_int_equal(tm_path_parse(IF_KEY, p, NULL, 0), 0);
	assert_int_equal(gnmi_path_from_tm(p, 2, &gp), 0);
	assert_int_equal(gp.n_elem, 3);
	assert_string_equal(gp.elem[0]->name, "state");
	assert_string_equal(gp.elem[2]->name, "in-octets");
	gnmi_path_clear(&gp);
	assert_int_equal(gnmi_path_from_tm(p, 0, &gp), 0);
	assert_int_equal(gp.elem[1]->n_key, 1);
	assert_string_equal(gp.elem[1]->key[0]->key, "name");
	assert_string_equal(gp.elem[1]->key[0]->value, "eth0");
	gnmi_path_clear(&gp);

	/* has_prefix: exact names and key sets */
	{
		struct tm_path *q = calloc(1, sizeof(*q));

		assert_int_equal(tm_path_parse("/interfaces/interface[name=eth0]", q, NULL, 0), 0);
		assert_true(gnmi_path_has_prefix(p, q));
		assert_int_equal(tm_path_parse("/interfaces/interface", q, NULL, 0), 0);
		assert_false(gnmi_path_has_prefix(p, q));
		assert_int_equal(tm_path_parse("/interfaces/interface[name=eth1]", q, NULL, 0), 0);
		assert_false(gnmi_path_has_prefix(p, q));
		free(q);
	}
	free(p);
}

static void test_values(void **st)
{
	Keel__Sensor__KeyValue kv = KEEL__SENSOR__KEY_VALUE__INIT;
	Gnmi__TypedValue tv;
	char buf[64];

	(void)st;
	kv.key = (char *)IF_KEY;
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
	kv.uint_value = 18446744073709551615ull;
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__PROTO, NULL, 0), 0);
	assert_int_equal(tv.value_case, GNMI__TYPED_VALUE__VALUE_UINT_VAL);
	assert_true(tv.uint_val == 18446744073709551615ull);
	/* RFC 7951 §6.1: 64-bit numbers are strings in JSON_IETF */
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__JSON_IETF, buf, sizeof(buf)), 0);
	assert_int_equal(tv.value_case, GNMI__TYPED_VALUE__VALUE_JSON_IETF_VAL);
	assert_int_equal(tv.json_ietf_val.len, strlen("\"18446744073709551615\""));
	assert_memory_equal(tv.json_ietf_val.data, "\"18446744073709551615\"",
	                    tv.json_ietf_val.len);
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
	kv.str_value = (char *)"UP \"x\"\n";
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__JSON, buf, sizeof(buf)), 0);
	assert_int_equal(tv.value_case, GNMI__TYPED_VALUE__VALUE_JSON_VAL);
	assert_memory_equal(tv.json_val.data, "\"UP \\\"x\\\"\\u000a\"", tv.json_val.len);
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__PROTO, NULL, 0), 0);
	assert_string_equal(tv.string_val, "UP \"x\"\n");
	/* too small a buffer, unsupported encodings and unset values fail */
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__JSON, buf, 4), -1);
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__ASCII, buf, sizeof(buf)), -1);
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE;
	kv.bool_value = true;
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__JSON_IETF, buf, sizeof(buf)), 0);
	assert_memory_equal(tv.json_ietf_val.data, "true", 4);
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE;
	kv.int_value = -5;
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__PROTO, NULL, 0), 0);
	assert_true(tv.int_val == -5);
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE;
	kv.double_value = 0.5;
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__PROTO, NULL, 0), 0);
	assert_int_equal(tv.value_case, GNMI__TYPED_VALUE__VALUE_DOUBLE_VAL);
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE__NOT_SET;
	assert_int_equal(gnmi_value_set(&tv, &kv, GNMI__ENCODING__PROTO, NULL, 0), -1);
}

static Keel__Sensor__KeyValue *kvu(Keel__Sensor__KeyValue *kv, const char *key, uint64_t v)
{
	keel__sensor__key_value__init(kv);
	kv->key = (char *)key;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
	kv->uint_value = v;
	return kv;
}

static Keel__Sensor__KeyValue *kvs(Keel__Sensor__KeyValue *kv, const char *key, const char *v)
{
	keel__sensor__key_value__init(kv);
	kv->key = (char *)key;
	kv->value_case = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
	kv->str_value = (char *)v;
	return kv;
}

static void test_queue(void **st)
{
	struct gnmi_queue *q = malloc(sizeof(*q));
	Keel__Sensor__KeyValue kv;
	struct gnmi_qent e;
	enum gnmi_lane lane;
	uint64_t ts;

	(void)st;
	gnmi_queue_init(q, 3);
	assert_false(gnmi_queue_pop(q, &e));
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/a", 1), 10, GNMI_LANE_SAMPLE), 0);
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/b", 1), 10, GNMI_LANE_SAMPLE), 0);
	/* newest wins in place, counted */
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/a", 2), 11, GNMI_LANE_SAMPLE), 1);
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/a", 3), 12, GNMI_LANE_SAMPLE), 1);
	assert_int_equal(q->n, 2);
	/* an event goes ahead of the counters */
	assert_int_equal(gnmi_queue_put(q, kvs(&kv, "/s", "UP"), 13, GNMI_LANE_EVENT), 0);
	/* the bound: a fourth distinct path is refused, an existing one still coalesces */
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/d", 1), 14, GNMI_LANE_SAMPLE), -1);
	assert_int_equal(q->refused, 1);
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/b", 7), 15, GNMI_LANE_SAMPLE), 1);
	assert_true(gnmi_queue_peek(q, &ts, &lane));
	assert_int_equal(lane, GNMI_LANE_EVENT);
	assert_true(gnmi_queue_pop(q, &e));
	assert_string_equal(e.kv.key, "/s");
	assert_string_equal(e.kv.str_value, "UP");
	gnmi_qent_clear(&e);
	assert_true(gnmi_queue_pop(q, &e));
	assert_string_equal(e.kv.key, "/a");
	assert_true(e.kv.uint_value == 3 && e.duplicates == 2 && e.ts_ms == 12);
	gnmi_qent_clear(&e);
	/* a counter moved to the event lane by an event for the same path */
	assert_int_equal(gnmi_queue_put(q, kvu(&kv, "/c", 1), 16, GNMI_LANE_SAMPLE), 0);
	assert_int_equal(gnmi_queue_put(q, kvs(&kv, "/c", "x"), 17, GNMI_LANE_EVENT), 1);
	assert_true(gnmi_queue_pop(q, &e));
	assert_string_equal(e.kv.key, "/c");
	assert_int_equal(e.lane, GNMI_LANE_EVENT);
	gnmi_qent_clear(&e);
	assert_true(gnmi_queue_pop(q, &e));
	assert_string_equal(e.kv.key, "/b");
	assert_true(e.kv.uint_value == 7 && e.duplicates == 1);
	gnmi_qent_clear(&e);
	assert_false(gnmi_queue_pop(q, &e));
	assert_int_equal(q->n, 0);
	assert_int_equal(q->coalesced, 4);
	/* freed slots are reused: many puts and pops stay within the bound */
	for (int i = 0; i < 1000; i++) {
		char k[16];

		snprintf(k, sizeof(k), "/k%d", i % 5);
		gnmi_queue_put(q, kvu(&kv, k, (uint64_t)i), (uint64_t)i, GNMI_LANE_SAMPLE);
		if (i % 2 && gnmi_queue_pop(q, &e))
			gnmi_qent_clear(&e);
	}
	assert_true(q->n <= 3 && q->cap <= 3);
	gnmi_queue_free(q);
	free(q);
}

static void test_cache(void **st)
{
	struct gnmi_cache *c = malloc(sizeof(*c));
	Keel__Sensor__KeyValue kv;
	struct gnmi_centry *e;
	bool changed;
	uint64_t seq;

	(void)st;
	gnmi_cache_init(c);
	e = gnmi_cache_put(c, kvu(&kv, IF_KEY, 5), 100, &changed);
	assert_non_null(e);
	assert_true(changed);
	seq = e->changed;
	/* the same value again: newer timestamp, no change */
	e = gnmi_cache_put(c, kvu(&kv, IF_KEY, 5), 200, &changed);
	assert_false(changed);
	assert_true(e->ts_ms == 200 && e->changed == seq);
	e = gnmi_cache_put(c, kvu(&kv, IF_KEY, 6), 300, &changed);
	assert_true(changed && e->changed > seq);
	gnmi_cache_put(c, kvs(&kv, "/interfaces/interface[name=eth0]/state/oper-status", "UP"), 300,
	               &changed);
	gnmi_cache_put(c, kvu(&kv, "/interfaces/interface[name=eth1]/state/mtu", 1500), 300,
	               &changed);
	assert_int_equal(c->live, 3);
	/* a bus delete drops the subtree; the key comes back in its slot */
	assert_int_equal(gnmi_cache_delete(c, "/interfaces/interface[name=eth0]"), 2);
	assert_int_equal(c->live, 1);
	assert_null(gnmi_cache_find(c, IF_KEY));
	assert_non_null(gnmi_cache_find(c, "/interfaces/interface[name=eth1]/state/mtu"));
	e = gnmi_cache_put(c, kvu(&kv, IF_KEY, 6), 400, &changed);
	assert_true(changed);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->live, 2);
	/* unset values are not stored */
	keel__sensor__key_value__init(&kv);
	kv.key = (char *)"/x";
	assert_null(gnmi_cache_put(c, &kv, 1, &changed));
	gnmi_cache_free(c);
	free(c);
}

/* ---- SubscriptionList / GetRequest */

static Gnmi__Subscription subs[4];
static Gnmi__Subscription *subp[4];
static struct tpath sp[4];

static void sl_init(Gnmi__SubscriptionList *l, size_t n, const char *const *paths)
{
	gnmi__subscription_list__init(l);
	for (size_t i = 0; i < n; i++) {
		gnmi__subscription__init(&subs[i]);
		subs[i].path = tpath(&sp[i], paths[i]);
		subp[i] = &subs[i];
	}
	l->subscription = subp;
	l->n_subscription = n;
}

static void test_sublist(void **st)
{
	static const char *const paths[] = {"interfaces/interface[name=eth0]/state/counters",
	                                    "chassis/state/cluster"};
	Gnmi__SubscriptionList l;
	struct gnmi_sublist out;
	struct tpath pfx;
	char err[400];

	(void)st;
	sl_init(&l, 2, paths);
	subs[0].mode = GNMI__SUBSCRIPTION_MODE__SAMPLE;
	subs[0].sample_interval = 1000000000ull;
	subs[1].mode = GNMI__SUBSCRIPTION_MODE__ON_CHANGE;
	subs[1].heartbeat_interval = 5000000000ull;
	l.encoding = GNMI__ENCODING__PROTO;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 2);
	assert_true(out.sub[0].sample_ns == 1000000000ull);
	assert_true(out.sub[1].heartbeat_ns == 5000000000ull);
	assert_false(out.has_target);
	gnmi_sublist_free(&out);

	/* sample_interval 0: the fastest the target does */
	subs[0].sample_interval = 0;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_true(out.sub[0].sample_ns == GNMI_SAMPLE_MIN_NS);
	gnmi_sublist_free(&out);
	/* too fast, and an interval on ON_CHANGE */
	subs[0].sample_interval = 1000;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "sample_interval"));
	subs[0].sample_interval = 1000000000ull;
	subs[1].sample_interval = 1000000000ull;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	subs[1].sample_interval = 0;
	/* ...but ONCE ignores per-subscription intervals */
	l.mode = GNMI__SUBSCRIPTION_LIST__MODE__ONCE;
	subs[0].sample_interval = 5;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	gnmi_sublist_free(&out);
	l.mode = GNMI__SUBSCRIPTION_LIST__MODE__STREAM;
	subs[0].sample_interval = 1000000000ull;
	/* bad heartbeat, bad path, unknown mode, no subscriptions */
	subs[1].heartbeat_interval = 10;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	subs[1].heartbeat_interval = 0;
	subs[1].path = tpath(&sp[1], "chassis/nosuch");
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "subscription 1"));
	subs[1].path = tpath(&sp[1], "chassis");
	subs[1].mode = 7;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	subs[1].mode = GNMI__SUBSCRIPTION_MODE__TARGET_DEFINED;
	l.mode = 9;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	l.mode = GNMI__SUBSCRIPTION_LIST__MODE__POLL;
	l.n_subscription = 0;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	l.n_subscription = 2;
	/* encodings: ASCII is valid but not served; 42 is no encoding */
	l.encoding = GNMI__ENCODING__ASCII;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_UNIMPLEMENTED);
	l.encoding = 42;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	l.encoding = GNMI__ENCODING__JSON_IETF;
	/* prefix + target: echoed; paths are relative to the prefix */
	l.prefix = tpath(&pfx, "interfaces/interface[name=eth0]");
	l.prefix->target = (char *)"solo";
	subs[0].path = tpath(&sp[0], "state/counters");
	subs[1].path = tpath(&sp[1], "state/oper-status");
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_true(out.has_target && out.prefix_echo);
	assert_string_equal(out.target, "solo");
	assert_int_equal(out.sub[0].pat.p.n_elem, 4);
	assert_int_equal(tm_path_parse(IF_KEY, &tkey, NULL, 0), 0);
	assert_true(gnmi_path_match(&out.sub[0].pat, &tkey));
	assert_false(gnmi_path_match(&out.sub[1].pat, &tkey));
	gnmi_sublist_free(&out);
	/* use_models filtering is not implemented */
	{
		Gnmi__ModelData md = GNMI__MODEL_DATA__INIT, *mdp = &md;

		l.n_use_models = 1;
		l.use_models = &mdp;
		assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)),
		                 GNMI_STATUS_UNIMPLEMENTED);
		l.n_use_models = 0;
	}
	assert_int_equal(gnmi_sublist_parse(NULL, schema, NULL, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
}

static void test_get(void **st)
{
	Gnmi__GetRequest r = GNMI__GET_REQUEST__INIT;
	Gnmi__Path *pp[2];
	struct tpath a, b;
	struct gnmi_get g;
	char err[400];

	(void)st;
	/* no path: the root */
	assert_int_equal(gnmi_get_parse(&r, schema, NULL, &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.pat[0].p.n_elem, 0);
	gnmi_get_free(&g);
	pp[0] = tpath(&a, "interfaces/interface[name=eth0]/state/counters");
	pp[1] = tpath(&b, "chassis/state");
	r.path = pp;
	r.n_path = 2;
	r.encoding = GNMI__ENCODING__JSON_IETF;
	assert_int_equal(gnmi_get_parse(&r, schema, NULL, &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 2);
	gnmi_get_free(&g);
	r.type = GNMI__GET_REQUEST__DATA_TYPE__CONFIG;
	assert_int_equal(gnmi_get_parse(&r, schema, NULL, &g, err, sizeof(err)),
	                 GNMI_STATUS_UNIMPLEMENTED);
	r.type = GNMI__GET_REQUEST__DATA_TYPE__STATE;
	pp[1] = tpath(&b, "nosuch");
	assert_int_equal(gnmi_get_parse(&r, schema, NULL, &g, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_non_null(strstr(err, "path 1"));
	r.encoding = GNMI__ENCODING__BYTES;
	assert_int_equal(gnmi_get_parse(&r, schema, NULL, &g, err, sizeof(err)),
	                 GNMI_STATUS_UNIMPLEMENTED);
}

/* State a daemon publishes but no YANG module models yet (/bfd) is valid once it is on the bus. */
static void test_known_paths(void **st)
{
	static const char *const paths[] = {"fdb/state"};
	struct gnmi_cache *c = malloc(sizeof(*c));
	Gnmi__SubscriptionList l;
	Keel__Sensor__KeyValue kv;
	struct gnmi_sublist out;
	char err[400];
	bool changed;

	(void)st;
	gnmi_cache_init(c);
	sl_init(&l, 1, paths);
	subs[0].mode = GNMI__SUBSCRIPTION_MODE__ON_CHANGE;
	/* vland's /fdb has no YANG model: refused until its data is on the bus */
	assert_int_equal(gnmi_sublist_parse(&l, schema, c, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	gnmi_cache_put(c, kvu(&kv, "/fdb/state/mac-table-size", 3), 1, &changed);
	assert_int_equal(gnmi_sublist_parse(&l, schema, c, &out, err, sizeof(err)), 0);
	gnmi_sublist_free(&out);
	/* a typo is still refused */
	subs[0].path = tpath(&sp[0], "fdb/statez");
	assert_int_equal(gnmi_sublist_parse(&l, schema, c, &out, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	gnmi_cache_free(c);
	free(c);
}

/* Every leaf bfdd publishes (daemons/bfdd/sensors.c) is in keel-protocols' /bfd model: BFD
 * paths are valid with nothing on the bus yet, and wrong ones are refused. */
static void test_bfd_model(void **st)
{
	static const char *const leaves[] = {
	        "session-state",
	        "remote-session-state",
	        "remote-address",
	        "local-address",
	        "local-discriminator",
	        "remote-discriminator",
	        "local-diagnostic-code",
	        "remote-diagnostic-code",
	        "remote-minimum-receive-interval",
	        "demand-mode-requested",
	        "up-transitions",
	        "failure-transitions",
	        "last-state-change",
	        "echo/active",
	        "keel-transmit-interval-threshold-exceeded",
	        "keel-detection-time-threshold-exceeded",
	        "async/transmitted-packets",
	        "async/received-packets",
	        "async/dropped-packets",
	        "echo/transmitted-packets",
	        "echo/received-packets",
	};
	static const char *const paths[] = {"bfd/interfaces/interface[id=eth0]/peers"};
	Gnmi__SubscriptionList l;
	struct gnmi_sublist out;
	char p[256], err[400];

	(void)st;
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		snprintf(p, sizeof(p),
		         "bfd/interfaces/interface[id=multihop]/peers/peer[local-discriminator=7]/"
		         "state/%s",
		         leaves[i]);
		assert_int_equal(join(NULL, p), 0);
		if (gnmi_path_check(schema, &pat, err, sizeof(err)))
			fail_msg("%s: %s", p, err);
	}
	assert_int_equal(join(NULL, "bfd/interfaces/interface/peers/peer/state/bogus"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	assert_int_equal(join(NULL, "bfd/interfaces/interface[name=eth0]"), 0);
	assert_int_equal(gnmi_path_check(schema, &pat, err, sizeof(err)),
	                 GNMI_STATUS_INVALID_ARGUMENT);
	/* no cache at all: the ON_CHANGE subscription of test_gnmi_bfd.py is valid at once */
	sl_init(&l, 1, paths);
	subs[0].mode = GNMI__SUBSCRIPTION_MODE__ON_CHANGE;
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	gnmi_sublist_free(&out);
}

/* ---- config and authentication */

static struct json_object *cfg_of(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static void test_cfg(void **st)
{
	struct gnmi_cfg c, d;
	struct json_object *o;
	char err[256];

	(void)st;
	o = cfg_of("{}");
	assert_int_equal(gnmi_cfg_from_json(o, &c, err, sizeof(err)), 0);
	assert_false(c.enabled);
	json_object_put(o);

	o = cfg_of("{\"keel-system:system\":{\"services\":{\"extension-service\":{"
	           "\"request-response\":{\"grpc\":{\"clear-text\":{\"address\":\"0.0.0.0\","
	           "\"port\":32767},\"max-connections\":5}}}}}}");
	assert_int_equal(gnmi_cfg_from_json(o, &c, err, sizeof(err)), 0);
	assert_true(c.enabled && !c.ssl && c.port == 32767 && !c.skip_auth);
	assert_string_equal(c.address, "0.0.0.0");
	json_object_put(o);

	o = cfg_of("{\"keel-system:system\":{\"services\":{\"extension-service\":{"
	           "\"request-response\":{\"grpc\":{\"ssl\":{\"port\":50051,"
	           "\"local-certificate\":\"srv\",\"mutual-authentication\":{"
	           "\"certificate-authority\":\"ca\",\"client-certificate-request\":"
	           "\"require-certificate-and-verify\"}},\"skip-authentication\":[null]}}}},"
	           "\"login\":{\"user\":[{\"name\":\"ops\",\"class\":\"read-only\","
	           "\"authentication\":{\"encrypted-password\":\"$6$x$y\"}}]}}}");
	assert_int_equal(gnmi_cfg_from_json(o, &d, err, sizeof(err)), 0);
	assert_true(d.enabled && d.ssl && d.port == 50051 && d.skip_auth);
	assert_string_equal(d.local_cert, "srv");
	assert_string_equal(d.ca, "ca");
	assert_int_equal(d.client_cert, GNMI_CLIENT_CERT_REQUIRE_VERIFY);
	assert_int_equal(d.n_users, 1);
	assert_string_equal(d.users[0].hash, "$6$x$y");
	assert_true(gnmi_cfg_listener_differs(&c, &d));
	/* users alone do not restart the listener */
	c = d;
	c.n_users = 0;
	c.skip_auth = false;
	assert_false(gnmi_cfg_listener_differs(&c, &d));
	json_object_put(o);

	/* verifying without a CA; neither transport */
	o = cfg_of("{\"keel-system:system\":{\"services\":{\"extension-service\":{"
	           "\"request-response\":{\"grpc\":{\"ssl\":{\"local-certificate\":\"srv\","
	           "\"mutual-authentication\":{\"client-certificate-request\":"
	           "\"request-certificate-and-verify\"}}}}}}}}");
	assert_int_equal(gnmi_cfg_from_json(o, &c, err, sizeof(err)), -1);
	json_object_put(o);
	o = cfg_of("{\"keel-system:system\":{\"services\":{\"extension-service\":{"
	           "\"request-response\":{\"grpc\":{}}}}}}");
	assert_int_equal(gnmi_cfg_from_json(o, &c, err, sizeof(err)), -1);
	json_object_put(o);
}

static void test_auth(void **st)
{
	struct gnmi_cfg c;
	struct crypt_data cd;
	const char *h;

	(void)st;
	memset(&c, 0, sizeof(c));
	/* closed by default: no users, nobody gets in */
	assert_int_equal(gnmi_auth_check(&c, "ops", "pw"), GNMI_STATUS_UNAUTHENTICATED);
	memset(&cd, 0, sizeof(cd));
	h = crypt_r("s3cret", "$5$saltsalt$", &cd);
	assert_non_null(h);
	c.n_users = 3;
	snprintf(c.users[0].name, sizeof(c.users[0].name), "ops");
	snprintf(c.users[0].hash, sizeof(c.users[0].hash), "%s", h);
	snprintf(c.users[1].name, sizeof(c.users[1].name), "nopw");
	snprintf(c.users[2].name, sizeof(c.users[2].name), "guest");
	snprintf(c.users[2].hash, sizeof(c.users[2].hash), "%s", h);
	c.users[2].unauthorized = true;
	assert_int_equal(gnmi_auth_check(&c, "ops", "s3cret"), GNMI_STATUS_OK);
	assert_int_equal(gnmi_auth_check(&c, "ops", "wrong"), GNMI_STATUS_UNAUTHENTICATED);
	assert_int_equal(gnmi_auth_check(&c, "ops", NULL), GNMI_STATUS_UNAUTHENTICATED);
	assert_int_equal(gnmi_auth_check(&c, NULL, "s3cret"), GNMI_STATUS_UNAUTHENTICATED);
	assert_int_equal(gnmi_auth_check(&c, "nopw", ""), GNMI_STATUS_UNAUTHENTICATED);
	assert_int_equal(gnmi_auth_check(&c, "who", "s3cret"), GNMI_STATUS_UNAUTHENTICATED);
	assert_int_equal(gnmi_auth_check(&c, "guest", "s3cret"), GNMI_STATUS_PERMISSION_DENIED);
	c.skip_auth = true;
	assert_int_equal(gnmi_auth_check(&c, NULL, NULL), GNMI_STATUS_OK);
}

/* ---- response prefixes (§2.2.2.1, §2.4.1) and origins */

static unsigned depth_of(const char *prefix, const char *key)
{
	assert_int_equal(join(prefix, NULL), 0);
	assert_int_equal(tm_path_parse(key, &tkey, NULL, 0), 0);
	return gnmi_prefix_depth(&pat, &tkey);
}

static void test_prefix_echo(void **st)
{
	static struct tm_path a, b;

	(void)st;
	/* a concrete prefix: all of it */
	assert_int_equal(depth_of("interfaces/interface[name=eth0]", IF_KEY), 2);
	/* "*" key, missing key, "*" element: instantiated from the key, never echoed as "*" */
	assert_int_equal(depth_of("interfaces/interface[name=*]/state", IF_KEY), 3);
	assert_int_equal(depth_of("interfaces/interface/state/counters", IF_KEY), 4);
	assert_int_equal(depth_of("*/interface[name=eth0]", IF_KEY), 2);
	/* "...": its depth is unknown, the echo stops before it */
	assert_int_equal(depth_of("interfaces/.../counters", IF_KEY), 1);
	assert_int_equal(depth_of(".../counters", IF_KEY), 0);
	/* a bundle over two interfaces shares only /interfaces */
	assert_int_equal(tm_path_parse(IF_KEY, &a, NULL, 0), 0);
	assert_int_equal(tm_path_parse("/interfaces/interface[name=eth1]/state/counters/in-octets",
	                               &b, NULL, 0),
	                 0);
	assert_int_equal(gnmi_path_common(&a, &b, 3), 1);
	assert_int_equal(gnmi_path_common(&a, &a, 3), 3);
	assert_int_equal(gnmi_path_common(&a, &a, 99), a.n_elem);
	assert_int_equal(
	        tm_path_parse("/interfaces/interface[name=eth0]/state/oper-status", &b, NULL, 0),
	        0);
	assert_int_equal(gnmi_path_common(&a, &b, 4), 3);
}

static void test_stem_and_range(void **st)
{
	struct gnmi_cache *c = malloc(sizeof(*c));
	static const char *const keys[] = {
	        "/interfaces/interface[name=eth1]/state/mtu",
	        IF_KEY,
	        "/bfd/interfaces/interface[id=eth0]/peers/peer[local-discriminator=1]/state/"
	        "session-state",
	        "/interfaces/interface[name=eth0]/state/oper-status",
	        "/system/memory/state/used",
	        "/interfaces-x/y",
	};
	Keel__Sensor__KeyValue kv;
	char stem[256];
	const int *idx;
	size_t n;
	bool changed;

	(void)st;
	/* the first name only: below it a key may carry predicates the pattern leaves out */
	assert_int_equal(join("interfaces/interface[name=eth0]/state", NULL), 0);
	assert_int_equal(gnmi_pat_stem(&pat, stem, sizeof(stem)), 10);
	assert_string_equal(stem, "interfaces");
	assert_int_equal(join("*/memory", NULL), 0);
	assert_int_equal(gnmi_pat_stem(&pat, stem, sizeof(stem)), 0);
	assert_string_equal(stem, "");
	assert_int_equal(join("system/.../used", NULL), 0);
	gnmi_pat_stem(&pat, stem, sizeof(stem));
	assert_string_equal(stem, "system");
	assert_int_equal(gnmi_pat_stem(&pat, stem, 4), -1);
	assert_string_equal(gnmi_key_canon("/keel-system:system/memory"), "system/memory");
	assert_string_equal(gnmi_key_canon("/system/a:b"), "system/a:b");

	/* string tests before the parse */
	assert_true(gnmi_pat_may_match(&pat, "/system/memory/state/used"));
	assert_false(gnmi_pat_may_match(&pat, "/systems/memory"));
	assert_int_equal(join("interfaces/interface/state/counters", NULL), 0);
	assert_true(gnmi_pat_may_match(&pat, IF_KEY)); /* a missing key: any entry */
	assert_false(gnmi_pat_may_match(&pat, "/interfaces/interface[name=eth0]/state/mtu"));
	assert_false(gnmi_pat_may_match(&pat, "/interfaces/interface[name=eth0]/state"));
	assert_int_equal(join("interfaces/interface[name=eth0]/state", NULL), 0);
	assert_true(gnmi_pat_may_match(&pat, IF_KEY));
	assert_false(gnmi_pat_may_match(&pat, "/interfaces/interface[name=eth01]/state/mtu"));
	assert_false(gnmi_pat_may_match(&pat, "/interfaces/interface/state/mtu"));
	assert_int_equal(join("interfaces/interface[name=*]/*/counters", NULL), 0);
	assert_true(gnmi_pat_may_match(&pat, IF_KEY));
	/* a concrete predicate anywhere in the run, whatever the order */
	assert_int_equal(join("access/radius-servers/radius-server[port=1812]/state", NULL), 0);
	assert_true(gnmi_pat_may_match(
	        &pat, "/access/radius-servers/radius-server[name=r1][port=1812]/state/x"));
	assert_true(gnmi_pat_may_match(
	        &pat, "/access/radius-servers/radius-server[name='a]/b'][port=1812]/state/x"));
	/* quoted values are left to the parser; a module prefix is not part of the name */
	assert_true(gnmi_pat_may_match(
	        &pat, "/access/radius-servers/radius-server[name=r1][port='1812']/state/x"));
	assert_true(gnmi_pat_may_match(
	        &pat, "/keel-access:access/radius-servers/radius-server[port=1812]/state"));
	assert_false(gnmi_pat_may_match(
	        &pat, "/access/radius-servers/radius-server[name=r1][port=1813]/state/x"));
	assert_false(gnmi_pat_may_match(&pat, "/access/radius-servers/radius-serverx[port=1812]"));

	gnmi_cache_init(c);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(gnmi_cache_put(c, kvu(&kv, keys[i], i), 1, &changed));
	n = gnmi_cache_range(c, "interfaces/interface", &idx);
	assert_non_null(idx);
	assert_int_equal(n, 3);
	/* key order: eth0 in-octets, eth0 oper-status, eth1 mtu */
	assert_string_equal(c->e[idx[0]].kv.key, IF_KEY);
	assert_string_equal(c->e[idx[2]].kv.key, keys[0]);
	assert_int_equal(gnmi_cache_range(c, "system", &idx), 1);
	assert_int_equal(gnmi_cache_range(c, "nothing", &idx), 0);
	assert_int_equal(gnmi_cache_range(c, "", &idx), 6);
	/* a new key re-sorts; a deleted one keeps its slot (callers check live) */
	gnmi_cache_put(c, kvu(&kv, "/interfaces/interface[name=eth0]/state/mtu", 9), 2, &changed);
	assert_int_equal(gnmi_cache_range(c, "interfaces/interface", &idx), 4);
	assert_int_equal(gnmi_cache_delete(c, "/system"), 1);
	assert_int_equal(gnmi_cache_range(c, "system", &idx), 1);
	assert_false(c->e[idx[0]].live);
	/* a module prefix on the first element sorts with the plain name */
	gnmi_cache_put(c, kvu(&kv, "/keel-vlans:vlans/vlan[vlan-id=1]/x", 1), 3, &changed);
	gnmi_cache_put(c, kvu(&kv, "/vlans/vlan[vlan-id=2]/x", 1), 3, &changed);
	assert_int_equal(gnmi_cache_range(c, "vlans", &idx), 2);
	gnmi_cache_free(c);
	free(c);
}

static void test_origin(void **st)
{
	static const char *const paths[] = {"interfaces/interface[name=eth0]/state/counters",
	                                    "interfaces/interface[name=eth0]/state/oper-status"};
	Gnmi__SubscriptionList l;
	Gnmi__GetRequest gr = GNMI__GET_REQUEST__INIT;
	struct gnmi_sublist out;
	struct gnmi_get g;
	struct tpath pfx;
	char err[400];

	(void)st;
	sl_init(&l, 2, paths);
	l.encoding = GNMI__ENCODING__PROTO;
	/* none given: none echoed */
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out.origin, "");
	assert_false(out.prefix_echo);
	gnmi_sublist_free(&out);
	/* in the prefix, with a wildcard prefix: both kept for the echo */
	l.prefix = tpath(&pfx, "interfaces/interface[name=*]");
	l.prefix->origin = (char *)"openconfig";
	subs[0].path = tpath(&sp[0], "state/counters");
	subs[1].path = tpath(&sp[1], "state/oper-status");
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out.origin, "openconfig");
	assert_true(out.prefix_echo && out.prefix.wild);
	assert_int_equal(tm_path_parse(IF_KEY, &tkey, NULL, 0), 0);
	assert_int_equal(gnmi_prefix_depth(&out.prefix, &tkey), 2);
	gnmi_sublist_free(&out);
	/* in every path alike: echoed; differing: none */
	l.prefix = NULL;
	sl_init(&l, 2, paths);
	sp[0].p.origin = (char *)"openconfig";
	sp[1].p.origin = (char *)"openconfig";
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out.origin, "openconfig");
	gnmi_sublist_free(&out);
	sp[1].p.origin = (char *)"keel";
	assert_int_equal(gnmi_sublist_parse(&l, schema, NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out.origin, "");
	gnmi_sublist_free(&out);
	/* Get: the prefix's origin */
	gr.prefix = tpath(&pfx, "interfaces");
	gr.prefix->origin = (char *)"openconfig";
	assert_int_equal(gnmi_get_parse(&gr, schema, NULL, &g, err, sizeof(err)), 0);
	assert_string_equal(g.origin, "openconfig");
	gnmi_get_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path_join_and_match),
	        cmocka_unit_test(test_path_join_errors),
	        cmocka_unit_test(test_path_schema),
	        cmocka_unit_test(test_path_strings_and_from_tm),
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_queue),
	        cmocka_unit_test(test_cache),
	        cmocka_unit_test(test_sublist),
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_known_paths),
	        cmocka_unit_test(test_bfd_model),
	        cmocka_unit_test(test_prefix_echo),
	        cmocka_unit_test(test_stem_and_range),
	        cmocka_unit_test(test_origin),
	        cmocka_unit_test(test_cfg),
	        cmocka_unit_test(test_auth),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
