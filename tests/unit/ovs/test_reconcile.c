/*
 * ovs_txn_bridge_reconcile (ports.c) against monitor caches: a missing
 * bridge is created with its internal port and every wanted port in one
 * transaction; a bridge that already matches produces no transaction at all
 * (the zero-write re-apply); a stray port of our bridge is removed, a
 * missing one inserted (with Interface type for IRBs), a differing VLAN
 * column updated, and a port of the same name on another bridge left alone
 * and counted. ofport lookups both ways.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "platform/ovs/ovsdb.h"

#define ROOT "00000000-0000-0000-0000-000000000001"
#define BR   "00000000-0000-0000-0000-0000000000b0"
#define BR2  "00000000-0000-0000-0000-0000000000b2"
#define PBR  "00000000-0000-0000-0000-0000000000a0"
#define P1   "00000000-0000-0000-0000-0000000000a1"
#define P2   "00000000-0000-0000-0000-0000000000a2"
#define P9   "00000000-0000-0000-0000-0000000000a9"
#define I1   "00000000-0000-0000-0000-0000000000c1"

static const char with_bridge[] =
        "{\"Open_vSwitch\":{\"" ROOT "\":{\"new\":{\"cur_cfg\":4,\"next_cfg\":4}}},"
        "\"Bridge\":{\"" BR "\":{\"new\":{\"name\":\"keel0\",\"ports\":[\"set\",[[\"uuid\",\"" PBR
        "\"],[\"uuid\",\"" P1 "\"],[\"uuid\",\"" P2 "\"]]]}},"
        "\"" BR2 "\":{\"new\":{\"name\":\"other\",\"ports\":[\"uuid\",\"" P9 "\"]}}},"
        "\"Port\":{\"" PBR "\":{\"new\":{\"name\":\"keel0\",\"tag\":[\"set\",[]],"
        "\"vlan_mode\":[\"set\",[]],\"trunks\":[\"set\",[]]}},"
        "\"" P1 "\":{\"new\":{\"name\":\"p1\",\"tag\":10,\"vlan_mode\":\"access\","
        "\"trunks\":[\"set\",[]]}},"
        "\"" P2 "\":{\"new\":{\"name\":\"p2\",\"tag\":[\"set\",[]],\"vlan_mode\":\"trunk\","
        "\"trunks\":[\"set\",[10,20]]}},"
        "\"" P9 "\":{\"new\":{\"name\":\"p9\",\"tag\":[\"set\",[]],\"vlan_mode\":[\"set\",[]],"
        "\"trunks\":[\"set\",[]]}}},"
        "\"Interface\":{\"" I1 "\":{\"new\":{\"name\":\"p1\",\"ofport\":3}}}}";

static void load(struct ovsdb_cache *c, const char *text)
{
	struct json_object *u = json_tokener_parse(text);

	assert_non_null(u);
	assert_int_equal(ovsdb_cache_update(c, u), 0);
	json_object_put(u);
}

static void want_init(struct ovs_port_want *w)
{
	memset(w, 0, 3 * sizeof(*w));
	w[0].name = "p1";
	w[0].vlan.tag = 10;
	w[0].vlan.mode = OVS_VLAN_MODE_ACCESS;
	w[1].name = "p2";
	w[1].vlan.mode = OVS_VLAN_MODE_TRUNK;
	ovs_vlan_set_add(&w[1].vlan.trunks, 10);
	ovs_vlan_set_add(&w[1].vlan.trunks, 20);
	w[2].name = "irb.10";
	w[2].type = "internal";
	w[2].vlan.tag = 10;
	w[2].vlan.mode = OVS_VLAN_MODE_ACCESS;
}

static int count_ops(struct json_object *ops, const char *op, const char *table)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		struct json_object *o = json_object_array_get_idx(ops, i), *v, *t;

		if (json_object_object_get_ex(o, "op", &v) &&
		    !strcmp(json_object_get_string(v), op) &&
		    json_object_object_get_ex(o, "table", &t) &&
		    !strcmp(json_object_get_string(t), table))
			n++;
	}
	return n;
}

static void test_new_bridge(void **state)
{
	struct ovsdb_cache c;
	struct ovs_port_want w[3];
	struct json_object *ops;
	size_t skipped = 9;
	const char *text;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, "{\"Open_vSwitch\":{\"" ROOT "\":{\"new\":{\"cur_cfg\":1,\"next_cfg\":1}}}}");
	want_init(w);
	/* Bridge internal port + 3 ports. */
	assert_int_equal(
	        ovs_txn_bridge_reconcile(&c, ROOT, "keel0", "secure", 3, w, &ops, &skipped), 4);
	assert_int_equal(skipped, 0);
	assert_int_equal(count_ops(ops, "insert", "Interface"), 4);
	assert_int_equal(count_ops(ops, "insert", "Port"), 4);
	assert_int_equal(count_ops(ops, "insert", "Bridge"), 1);
	assert_int_equal(count_ops(ops, "mutate", "Open_vSwitch"), 2); /* bridges + next_cfg */
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"datapath_type\":\"netdev\""));
	assert_non_null(strstr(text, "\"fail_mode\":\"secure\""));
	assert_non_null(strstr(text, "\"type\":\"internal\""));
	assert_non_null(strstr(text, "\"vlan_mode\":\"trunk\""));
	assert_non_null(strstr(text, "[\"named-uuid\",\"p3\"]"));
	json_object_put(ops);
	ovsdb_cache_free(&c);
}

static void test_converged_writes_nothing(void **state)
{
	struct ovsdb_cache c;
	struct ovs_port_want w[3];
	struct json_object *ops = (struct json_object *)1;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, with_bridge);
	load(&c,
	     "{\"Bridge\":{\"" BR "\":{\"new\":{\"name\":\"keel0\",\"ports\":[\"set\",[[\"uuid\","
	     "\"" PBR "\"],[\"uuid\",\"" P1 "\"],[\"uuid\",\"" P2 "\"],[\"uuid\",\"00000000-0000-"
	     "0000-0000-0000000000a3\"]]]}}},\"Port\":{\"00000000-0000-0000-0000-0000000000a3\":{"
	     "\"new\":{\"name\":\"irb.10\",\"tag\":10,\"vlan_mode\":\"access\",\"trunks\":[\"set\","
	     "[]]}}}}");
	want_init(w);
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", NULL, 3, w, &ops, NULL), 0);
	assert_null(ops);
	ovsdb_cache_free(&c);
}

static void test_diff(void **state)
{
	struct ovsdb_cache c;
	struct ovs_port_want w[4];
	struct json_object *ops;
	size_t skipped = 0;
	const char *text;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, with_bridge);
	want_init(w);
	/* p1 moves to VLAN 20; p2 is no longer wanted; irb.10 is new; p9 is on
	 * another bridge. */
	w[0].vlan.tag = 20;
	w[1] = w[2];
	memset(&w[2], 0, sizeof(w[2]));
	w[2].name = "p9";
	w[2].vlan.tag = 30;
	w[2].vlan.mode = OVS_VLAN_MODE_ACCESS;
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", NULL, 3, w, &ops, &skipped),
	                 3);
	assert_int_equal(skipped, 1);
	assert_int_equal(count_ops(ops, "update", "Port"), 1);
	assert_int_equal(count_ops(ops, "insert", "Port"), 1);
	assert_int_equal(count_ops(ops, "mutate", "Bridge"), 2); /* delete p2, insert irb.10 */
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"delete\",[\"set\",[[\"uuid\",\"" P2 "\"]]]"));
	assert_null(strstr(text, P9));
	assert_null(strstr(text, PBR)); /* the bridge's own port stays */
	assert_non_null(strstr(text, "\"row\":{\"tag\":20}"));
	json_object_put(ops);
	ovsdb_cache_free(&c);
}

/* fail_mode: a bridge without it gets one update of the Bridge row (and
 * nothing else when the ports match); once the cache has it, nothing. */
static void test_fail_mode(void **state)
{
	struct ovsdb_cache c;
	struct ovs_port_want w[3];
	struct json_object *ops = NULL;
	const char *text;
	static const char ports_all[] =
	        "{\"Bridge\":{\"" BR
	        "\":{\"new\":{\"name\":\"keel0\",\"ports\":[\"set\",[[\"uuid\","
	        "\"" PBR "\"],[\"uuid\",\"" P1 "\"],[\"uuid\",\"" P2
	        "\"],[\"uuid\",\"00000000-0000-"
	        "0000-0000-0000000000a3\"]]]FM}}},\"Port\":{\"00000000-0000-0000-0000-0000000000a3\":{"
	        "\"new\":{\"name\":\"irb.10\",\"tag\":10,\"vlan_mode\":\"access\",\"trunks\":[\"set\","
	        "[]]}}}}";
	char buf[sizeof(ports_all) + 64];
	const char *fm = strstr(ports_all, "FM");

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, with_bridge);
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(fm - ports_all), ports_all, fm + 2);
	load(&c, buf);
	want_init(w);
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", "secure", 3, w, &ops, NULL),
	                 1);
	assert_int_equal(count_ops(ops, "update", "Bridge"), 1);
	assert_int_equal(count_ops(ops, "update", "Port"), 0);
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"row\":{\"fail_mode\":\"secure\"}"));
	json_object_put(ops);
	/* NULL leaves it alone */
	ops = NULL;
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", NULL, 3, w, &ops, NULL), 0);
	assert_null(ops);
	/* the monitor reports it: converged */
	snprintf(buf, sizeof(buf), "%.*s,\"fail_mode\":\"secure\"%s", (int)(fm - ports_all),
	         ports_all, fm + 2);
	load(&c, buf);
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", "secure", 3, w, &ops, NULL),
	                 0);
	assert_null(ops);
	/* back to standalone: the empty set */
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "keel0", "", 3, w, &ops, NULL), 1);
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"row\":{\"fail_mode\":[\"set\",[]]}"));
	json_object_put(ops);
	ovsdb_cache_free(&c);
}

/* del-br: one mutate of Open_vSwitch.bridges (the rows are garbage), then
 * the next_cfg bump; -ENOENT for a bridge that is not there. */
static void test_bridge_del(void **state)
{
	struct ovsdb_cache c;
	struct json_object *ops = NULL;
	const char *text;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, with_bridge);
	assert_int_equal(ovs_txn_bridge_del(&c, ROOT, "nope", &ops), -ENOENT);
	assert_null(ops);
	assert_int_equal(ovs_txn_bridge_del(&c, ROOT, "keel0", &ops), 0);
	assert_int_equal(json_object_array_length(ops), 3);
	assert_int_equal(count_ops(ops, "mutate", "Open_vSwitch"), 2);
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "[\"bridges\",\"delete\",[\"set\",[[\"uuid\",\"" BR "\"]]]]"));
	assert_null(strstr(text, BR2));
	json_object_put(ops);
	ovsdb_cache_free(&c);
}

static void test_ofport(void **state)
{
	struct ovsdb_cache c;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, with_bridge);
	assert_int_equal(ovs_iface_ofport(&c, "p1"), 3);
	assert_int_equal(ovs_iface_ofport(&c, "p2"), -1);
	assert_string_equal(ovs_iface_by_ofport(&c, 3), "p1");
	assert_null(ovs_iface_by_ofport(&c, 4));
	ovsdb_cache_free(&c);
}

static void test_patch_port(void **state)
{
	struct ovsdb_cache c;
	struct ovs_port_want w[2];
	struct json_object *ops;
	const char *text;

	(void)state;
	ovsdb_cache_init(&c);
	load(&c, "{\"Open_vSwitch\":{\"" ROOT "\":{\"new\":{\"cur_cfg\":1,\"next_cfg\":1}}}}");
	memset(w, 0, sizeof(w));
	w[0].name = "ge1";
	w[1].name = "kr-ge1";
	w[1].type = "patch";
	w[1].peer = "kq-ge1";
	w[1].vlan.mode = OVS_VLAN_MODE_TRUNK;
	ovs_vlan_set_add(&w[1].vlan.trunks, 10);
	assert_int_equal(ovs_txn_bridge_reconcile(&c, ROOT, "kp-ge1", "secure", 2, w, &ops, NULL),
	                 3);
	text = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"type\":\"patch\",\"options\":[\"map\",[[\"peer\","
	                             "\"kq-ge1\"]]]"));
	/* only the patch interface carries options */
	assert_null(strstr(strstr(text, "\"options\"") + 1, "\"options\""));
	json_object_put(ops);
	ovsdb_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_new_bridge), cmocka_unit_test(test_converged_writes_nothing),
	        cmocka_unit_test(test_diff),       cmocka_unit_test(test_fail_mode),
	        cmocka_unit_test(test_bridge_del), cmocka_unit_test(test_ofport),
	        cmocka_unit_test(test_patch_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
