/*
 * vland's pure pieces besides the model: port.auth requests checked against
 * the model (auth.c), the auth table (replace, remove, a port's removal
 * sweeping its MACs, pruning after a config change), the dynamic VLAN a port
 * runs in, the wanted OVS ports (sw.c, IRBs included), and the fdb/show
 * parser (fdb.c) on vswitchd's text, good and malformed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemons/vland/vland.h"

static const char cfg_text[] =
        "{\"keel-vlans:vlans\":{\"vlan\":[{\"name\":\"v10\",\"vlan-id\":10,\"l3-interface\":"
        "\"irb.10\"},{\"name\":\"v20\",\"vlan-id\":20},{\"name\":\"guest\",\"vlan-id\":300}]},"
        "\"keel-interfaces:interfaces\":{\"interface\":["
        "{\"name\":\"eth1\",\"unit\":[{\"name\":0,\"family\":{\"keel-vlans:ethernet-switching\":"
        "{\"interface-mode\":\"access\",\"vlan\":{\"members\":[\"v10\"]}}}}]},"
        "{\"name\":\"eth2\",\"native-vlan-id\":20,\"unit\":[{\"name\":0,\"family\":{\"keel-vlans:"
        "ethernet-switching\":{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v10\"]}}}}]},"
        "{\"name\":\"irb\",\"unit\":[{\"name\":10,\"family\":{\"inet\":{\"address\":[{\"name\":"
        "\"10.0.10.1/24\"}]},\"inet6\":{\"address\":[{\"name\":\"2001:db8::1/64\"}]}}}]}]}}";

static struct vlan_model model;

static int setup(void **state)
{
	struct json_object *cfg = json_tokener_parse(cfg_text);
	char err[256];

	(void)state;
	assert_non_null(cfg);
	if (vlan_model_parse(cfg, &model, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	json_object_put(cfg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlan_model_free(&model);
	return 0;
}

static void expect_refused(const char *ifn, const char *mac, uint32_t st, const char *vlan,
                           const char *needle)
{
	struct vland_auth e;
	char err[256];

	assert_int_equal(vland_auth_parse(&model, ifn, mac, st, vlan, &e, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_parse(void **state)
{
	struct vland_auth e;
	char err[256];

	(void)state;
	assert_int_equal(vland_auth_parse(&model, "eth1", "", 1, "", &e, err, sizeof(err)), 0);
	assert_false(e.has_mac);
	assert_int_equal(e.state, VLAND_AUTH_UNAUTHORIZED);
	assert_int_equal(e.vlan, 0);
	assert_int_equal(
	        vland_auth_parse(&model, "eth1", "02:00:00:00:00:0a", 2, "guest", &e, err, 256), 0);
	assert_true(e.has_mac);
	assert_int_equal(e.mac[5], 0x0a);
	assert_int_equal(e.vlan, 300);
	/* A numeric id works as well as a name (Junos accepts both). */
	assert_int_equal(vland_auth_parse(&model, "eth1", "", 2, "20", &e, err, 256), 0);
	assert_int_equal(e.vlan, 20);

	expect_refused("eth7", "", 1, "", "not a switch port");
	expect_refused("irb", "", 1, "", "not a switch port");
	expect_refused("eth1", "02:00:00:00:00:0A", 2, "", "lowercase");
	expect_refused("eth1", "02:00:00:00:00", 2, "", "not aa:bb");
	expect_refused("eth1", "01:00:5e:00:00:01", 2, "", "group address");
	expect_refused("eth1", "", 3, "", "state 3");
	expect_refused("eth1", "", 2, "v99", "no such VLAN");
	expect_refused("eth1", "", 2, "4095", "no such VLAN");
	expect_refused("eth2", "", 2, "guest", "needs an access port");
}

static struct vland_auth mk(const char *port, const char *mac, int st, const char *vlan)
{
	struct vland_auth e;
	char err[256];

	if (vland_auth_parse(&model, port, mac, (uint32_t)st, vlan, &e, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return e;
}

static void test_table(void **state)
{
	struct vland_auths t = {0};
	const struct vlan_port *eth1 = vlan_model_find_port(&model, "eth1");
	struct vland_auth e;
	uint8_t m1[6] = {2, 0, 0, 0, 0, 1};

	(void)state;
	assert_int_equal(vland_port_vlan(&t, eth1), 10);
	e = mk("eth1", "", 1, "");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	e = mk("eth1", "02:00:00:00:00:01", 2, "guest");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	e = mk("eth1", "02:00:00:00:00:02", 1, "");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	assert_int_equal(t.n, 3);
	/* The first authorized MAC's VLAN moves the access port. */
	assert_int_equal(vland_port_vlan(&t, eth1), 300);
	/* Replacing keeps one entry. */
	e = mk("eth1", "02:00:00:00:00:01", 2, "v20");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(vland_auths_find(&t, "eth1", m1)->vlan, 20);
	assert_int_equal(vland_port_vlan(&t, eth1), 20);
	/* The MAC's session ends: back to the configured VLAN. */
	e = mk("eth1", "02:00:00:00:00:01", 0, "");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	assert_int_equal(t.n, 2);
	assert_null(vland_auths_find(&t, "eth1", m1));
	assert_int_equal(vland_port_vlan(&t, eth1), 10);
	/* A port-level dynamic VLAN wins over MACs; port state 0 sweeps it all. */
	e = mk("eth1", "", 2, "guest");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	assert_int_equal(vland_port_vlan(&t, eth1), 300);
	e = mk("eth1", "", 0, "");
	assert_int_equal(vland_auths_set(&t, &e), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(vland_port_vlan(&t, eth1), 10);
	vland_auths_free(&t);
}

/* Multiple supplicants on one access port: every authorized MAC must need
 * the same VLAN (its own dynamic one, else the port's v10). */
static void test_vlan_conflict(void **state)
{
	struct vland_auths t = {0};
	struct vland_auth a = mk("eth1", "02:00:00:00:00:01", 2, "");
	struct vland_auth b = mk("eth1", "02:00:00:00:00:02", 2, "v20");
	struct vland_auth c = mk("eth1", "02:00:00:00:00:03", 2, "10");
	struct vland_auth d = mk("eth1", "02:00:00:00:00:04", 1, "");
	char err[256];

	(void)state;
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &a, err, sizeof(err)), 0);
	assert_int_equal(vland_auths_set(&t, &a), 0);
	/* b needs v20 while a runs in v10 */
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "VLAN 20 for 02:00:00:00:00:02 differs from VLAN 10"));
	/* c asks for 10 explicitly, d is not authorized: both fine */
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &c, err, sizeof(err)), 0);
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &d, err, sizeof(err)), 0);
	/* a itself moving to v20 (the only MAC): fine */
	a.vlan = 20;
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &a, err, sizeof(err)), 0);
	/* once a is gone, b fits */
	a.state = VLAND_AUTH_UNCONTROLLED;
	assert_int_equal(vland_auths_set(&t, &a), 0);
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &b, err, sizeof(err)), 0);
	vland_auths_free(&t);
}

/* With a back-end that tags per MAC (OVS): no refusal; the port splits
 * once its authorized MACs need two VLANs, and the want set then holds the
 * patch end (a trunk of those VLANs) instead of the port. */
static void test_per_mac_vlans(void **state)
{
	struct vland_auths t = {.per_mac_vlans = true};
	struct vland_auth a = mk("eth1", "02:00:00:00:00:01", 2, "");
	struct vland_auth b = mk("eth1", "02:00:00:00:00:02", 2, "v20");
	struct vland_auth d = mk("eth1", "02:00:00:00:00:04", 1, "guest");
	const struct vlan_port *p = vlan_model_find_port(&model, "eth1");
	struct vland_split_names nm;
	struct ovs_vlan_set vs;
	struct ovs_port_want *w;
	char err[256];
	size_t n;

	(void)state;
	assert_non_null(p);
	assert_int_equal(vland_auths_set(&t, &a), 0);
	assert_int_equal(vland_auths_set(&t, &d), 0);
	/* one VLAN (an unauthorized MAC's does not count): no split */
	assert_int_equal(vland_port_mac_vlans(&t, p, NULL), 1);
	assert_false(vland_port_split(&t, p));
	assert_int_equal(vland_auth_vlan_conflict(&t, &model, &b, err, sizeof(err)), 0);
	assert_int_equal(vland_auths_set(&t, &b), 0);
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(vland_port_mac_vlans(&t, p, &vs), 2);
	assert_true(ovs_vlan_set_has(&vs, 10) && ovs_vlan_set_has(&vs, 20));
	assert_false(ovs_vlan_set_has(&vs, 300));
	assert_true(vland_port_split(&t, p));
	assert_int_equal(vland_mac_vlan(&b, p), 20);
	assert_int_equal(vland_mac_vlan(&a, p), 10);
	/* the Linux back-end refuses the same request */
	t.per_mac_vlans = false;
	assert_false(vland_port_split(&t, p));
	t.per_mac_vlans = true;

	assert_int_equal(vland_want_build(&model, &t, &w, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(w[0].name, "kq-eth1");
	assert_string_equal(w[0].type, "patch");
	assert_string_equal(w[0].peer, "kr-eth1");
	assert_int_equal(w[0].vlan.mode, OVS_VLAN_MODE_TRUNK);
	assert_int_equal(w[0].vlan.tag, 0);
	assert_int_equal(ovs_vlan_set_count(&w[0].vlan.trunks), 2);
	assert_true(ovs_vlan_set_has(&w[0].vlan.trunks, 20));
	assert_string_equal(w[1].name, "eth2");
	free(w);

	vland_split_names("eth1", &nm);
	assert_string_equal(nm.bridge, "kp-eth1");
	assert_string_equal(nm.patch_sw, "kq-eth1");
	assert_string_equal(nm.patch_kp, "kr-eth1");
	/* a name whose bridge would not fit IFNAMSIZ gets a stable hash */
	vland_split_names("enp0s31f6abcdef", &nm);
	assert_int_equal(strlen(nm.bridge), 11);
	assert_memory_equal(nm.bridge, "kp-", 3);
	{
		struct vland_split_names again;

		vland_split_names("enp0s31f6abcdef", &again);
		assert_string_equal(nm.bridge, again.bridge);
		vland_split_names("enp0s31f6abcdeg", &again);
		assert_string_not_equal(nm.bridge, again.bridge);
	}
	/* revoking b: one VLAN again, the port comes back */
	b.state = VLAND_AUTH_UNCONTROLLED;
	assert_int_equal(vland_auths_set(&t, &b), 0);
	assert_false(vland_port_split(&t, p));
	vland_auths_free(&t);
}

static void test_prune(void **state)
{
	struct vland_auths t = {0};
	struct vland_auth e;
	struct vlan_model m2;
	struct json_object *cfg;
	char err[256];

	(void)state;
	e = mk("eth1", "", 2, "guest");
	vland_auths_set(&t, &e);
	e = mk("eth2", "", 1, "");
	vland_auths_set(&t, &e);
	/* The same config without VLAN guest and without eth2. */
	cfg = json_tokener_parse(
	        "{\"vlans\":{\"vlan\":[{\"name\":\"v10\",\"vlan-id\":10}]},\"interfaces\":{"
	        "\"interface\":[{\"name\":\"eth1\",\"unit\":[{\"name\":0,\"family\":{\"ethernet-"
	        "switching\":{\"vlan\":{\"members\":[\"v10\"]}}}}]}]}}");
	assert_int_equal(vlan_model_parse(cfg, &m2, err, sizeof(err)), 0);
	json_object_put(cfg);
	assert_int_equal(vland_auths_prune(&t, &model), 0);
	assert_int_equal(vland_auths_prune(&t, &m2), 2);
	assert_int_equal(t.n, 0);
	vlan_model_free(&m2);
	vland_auths_free(&t);
}

static void test_want(void **state)
{
	struct vland_auths t = {0};
	struct ovs_port_want *w;
	struct vland_auth e;
	size_t n;

	(void)state;
	assert_int_equal(model.n_irbs, 1);
	assert_string_equal(model.irbs[0].name, "irb.10");
	assert_int_equal(model.irbs[0].n_addrs, 2);
	assert_string_equal(model.irbs[0].addrs[1], "2001:db8::1/64");
	e = mk("eth1", "", 2, "guest");
	vland_auths_set(&t, &e);
	assert_int_equal(vland_want_build(&model, &t, &w, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(w[0].name, "eth1");
	assert_null(w[0].type);
	assert_int_equal(w[0].vlan.tag, 300);
	assert_int_equal(w[0].vlan.mode, OVS_VLAN_MODE_ACCESS);
	assert_string_equal(w[1].name, "eth2");
	assert_int_equal(w[1].vlan.mode, OVS_VLAN_MODE_NATIVE_UNTAGGED);
	assert_int_equal(w[1].vlan.tag, 20);
	assert_true(ovs_vlan_set_has(&w[1].vlan.trunks, 10));
	assert_string_equal(w[2].name, "irb.10");
	assert_string_equal(w[2].type, "internal");
	assert_int_equal(w[2].vlan.tag, 10);
	free(w);
	vland_auths_free(&t);
}

static int collect(void *arg, const struct vland_fdb_entry *e)
{
	struct vland_fdb_entry *out = arg;
	size_t i = 0;

	while (out[i].vlan || out[i].ofport)
		i++;
	if (i >= 7)
		return -ENOSPC;
	out[i] = *e;
	return 0;
}

#define HDR " port  VLAN  MAC                Age\n"

static void test_fdb(void **state)
{
	struct vland_fdb_entry e[8];

	(void)state;
	memset(e, 0, sizeof(e));
	assert_int_equal(vland_fdb_parse(" port  VLAN  MAC                Age\n"
	                                 "    4    10  02:00:00:00:00:01    3\n"
	                                 "LOCAL    20  AA:BB:CC:DD:EE:FF    0\n"
	                                 "    5    30  02:00:00:00:00:05  static\n",
	                                 collect, e),
	                 0);
	assert_int_equal(e[0].ofport, 4);
	assert_int_equal(e[0].vlan, 10);
	assert_int_equal(e[0].mac[5], 1);
	assert_int_equal(e[0].age, 3);
	assert_int_equal(e[1].ofport, -2);
	assert_int_equal(e[1].mac[0], 0xaa);
	assert_true(e[2].is_static);
	assert_int_equal(e[3].vlan, 0);

	memset(e, 0, sizeof(e));
	assert_int_equal(vland_fdb_parse(" port  VLAN  MAC                Age\n", collect, e), 0);
	assert_int_equal(vland_fdb_parse("", collect, e), 0);
	assert_int_equal(e[0].vlan, 0);
	/* A row without a header line is a row. */
	memset(e, 0, sizeof(e));
	assert_int_equal(vland_fdb_parse("    7    10  02:00:00:00:00:01    3\n", collect, e), 0);
	assert_int_equal(e[0].ofport, 7);
	/* Malformed rows. */
	assert_int_equal(vland_fdb_parse(HDR "    1  4096  02:00:00:00:00:01  3\n", collect, e),
	                 -EPROTO);
	assert_int_equal(vland_fdb_parse(HDR "    1  10  02:00:00:00:00  3\n", collect, e),
	                 -EPROTO);
	assert_int_equal(vland_fdb_parse(HDR "    1  10  02:00:00:00:00:01\n", collect, e),
	                 -EPROTO);
	assert_int_equal(vland_fdb_parse(HDR "    1  10  02:00:00:00:00:01  3 x\n", collect, e),
	                 -EPROTO);
	assert_int_equal(vland_fdb_parse(HDR "   -1  10  02:00:00:00:00:01  3\n", collect, e),
	                 -EPROTO);
	assert_int_equal(vland_fdb_parse(HDR "    1  10  02:00:00:00:00:01  -3\n", collect, e),
	                 -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),         cmocka_unit_test(test_table),
	        cmocka_unit_test(test_prune),         cmocka_unit_test(test_want),
	        cmocka_unit_test(test_vlan_conflict), cmocka_unit_test(test_per_mac_vlans),
	        cmocka_unit_test(test_fdb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
