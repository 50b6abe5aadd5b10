/*
 * vland's VLAN model: config JSON -> validated model -> OVS Port columns.
 * Good configs (access, trunk by name/ID/range/all, native VLAN), and each
 * rejection reason (duplicate IDs, unknown members, access port rules,
 * malformed ranges, a trunk that resolves to nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemons/vland/vland.h"

#define VLANS                                                                                                                    \
	"\"keel-vlans:vlans\":{\"vlan\":[{\"name\":\"v10\",\"vlan-id\":10},"                                                     \
	"{\"name\":\"v20\",\"vlan-id\":20,\"l3-interface\":\"irb.20\",\"description\":\"d\"},{\"name\":\"v30\",\"vlan-id\":30}," \
	"{\"name\":\"v4094\",\"vlan-id\":4094}]}"

/* One interface NAME with unit 0 family ethernet-switching ES, and EXTRA
 * members of the interface (e.g. native-vlan-id). */
#define IFC(name, es, extra)                                                                       \
	"{\"name\":\"" name "\",\"unit\":[{\"name\":0,\"family\":{\"keel-vlans:ethernet-"          \
	"switching\":" es "}}]" extra "}"

static int parse(const char *text, struct vlan_model *m, char *err, size_t errlen)
{
	struct json_object *cfg = json_tokener_parse(text);
	int r;

	assert_non_null(cfg);
	r = vlan_model_parse(cfg, m, err, errlen);
	json_object_put(cfg);
	return r;
}

static void expect_error(const char *text, const char *needle)
{
	struct vlan_model m;
	char err[256];

	assert_int_equal(parse(text, &m, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	assert_int_equal(m.n_ports, 0);
	assert_null(m.vlans);
}

static void test_empty(void **state)
{
	struct vlan_model m;
	char err[128];

	(void)state;
	assert_int_equal(parse("{}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n_vlans, 0);
	assert_int_equal(m.n_ports, 0);
	assert_null(vlan_model_find_id(&m, 10));
	vlan_model_free(&m);
}

static void test_access_and_trunks(void **state)
{
	const char *cfg = "{" VLANS ",\"keel-interfaces:interfaces\":{\"interface\":[" IFC(
	        "p1", "{\"interface-mode\":\"access\",\"vlan\":{\"members\":[\"v20\"]}}",
	        "") "," IFC("p2", "{\"vlan\":{\"members\":[10]}}",
	                    "") "," IFC("p3",
	                                "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v10\",\"25-4094\"]}}",
	                                "") "," IFC("p4",
	                                            "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v30\"]}}",
	                                            ",\"keel-vlans:native-vlan-id\":10") "," IFC("p5",
	                                                                                         "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"all\"]}}",
	                                                                                         "") ","
	                                                                                             "{\"name\":\"eth0\",\"unit\":[{\"name\":0,\"family\":{\"inet\":{}}}]}"
	                                                                                             "]}}";
	struct vlan_model m;
	struct ovs_port_vlan o;
	const struct vlan_port *p;
	char err[256];

	(void)state;
	assert_int_equal(parse(cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(m.n_vlans, 4);
	assert_int_equal(m.n_ports, 5); /* eth0 is not a switch port */
	assert_string_equal(vlan_model_find_id(&m, 4094)->name, "v4094");
	assert_int_equal(vlan_model_find_name(&m, "v30")->id, 30);
	assert_string_equal(vlan_model_find_id(&m, 20)->l3_interface, "irb.20");
	assert_string_equal(vlan_model_find_id(&m, 20)->description, "d");
	assert_string_equal(vlan_model_find_id(&m, 10)->l3_interface, "");

	p = vlan_model_find_port(&m, "p1");
	assert_non_null(p);
	assert_int_equal(p->mode, VLAN_PORT_MODE_ACCESS);
	vlan_port_to_ovs(p, &o);
	assert_int_equal(o.tag, 20);
	assert_int_equal(o.mode, OVS_VLAN_MODE_ACCESS);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 0);

	/* Default interface-mode is access; a member by ID. */
	vlan_port_to_ovs(vlan_model_find_port(&m, "p2"), &o);
	assert_int_equal(o.tag, 10);
	assert_int_equal(o.mode, OVS_VLAN_MODE_ACCESS);

	/* Range: only configured VLANs inside it (30, 4094), not 25..4094. */
	vlan_port_to_ovs(vlan_model_find_port(&m, "p3"), &o);
	assert_int_equal(o.tag, 0);
	assert_int_equal(o.mode, OVS_VLAN_MODE_TRUNK);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 3);
	assert_true(ovs_vlan_set_has(&o.trunks, 10));
	assert_true(ovs_vlan_set_has(&o.trunks, 30));
	assert_true(ovs_vlan_set_has(&o.trunks, 4094));
	assert_false(ovs_vlan_set_has(&o.trunks, 20));

	/* Native VLAN: native-untagged, tag = native, trunks include it. */
	vlan_port_to_ovs(vlan_model_find_port(&m, "p4"), &o);
	assert_int_equal(o.tag, 10);
	assert_int_equal(o.mode, OVS_VLAN_MODE_NATIVE_UNTAGGED);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 2);
	assert_true(ovs_vlan_set_has(&o.trunks, 10));
	assert_true(ovs_vlan_set_has(&o.trunks, 30));

	vlan_port_to_ovs(vlan_model_find_port(&m, "p5"), &o);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 4);
	assert_int_equal(o.mode, OVS_VLAN_MODE_TRUNK);
	vlan_model_free(&m);
}

static void test_vlan_errors(void **state)
{
	(void)state;
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":10},"
	             "{\"name\":\"b\",\"vlan-id\":10}]}}",
	             "already used by VLAN a");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":0}]}}", "not in 1..4094");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":4095}]}}",
	             "not in 1..4094");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\"}]}}", "vlan-id: missing");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":1},"
	             "{\"name\":\"a\",\"vlan-id\":2}]}}",
	             "defined twice");
	expect_error("[]", "not an object");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":1,\"l3-interface\":"
	             "\"ge-0.1\"}]}}",
	             "not an irb unit");
	expect_error("{\"vlans\":{\"vlan\":[{\"name\":\"a\",\"vlan-id\":1,\"l3-interface\":"
	             "\"irb.1\"},{\"name\":\"b\",\"vlan-id\":2,\"l3-interface\":\"irb.1\"}]}}",
	             "already used by VLAN a");
}

static void test_port_errors(void **state)
{
	(void)state;
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[\"v10\",\"v20\"]}}", "") "]}}",
	             "exactly one VLAN (has 2)");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC("p1", "{}", "") "]}}",
	             "exactly one VLAN (has 0)");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[\"all\"]}}", "") "]}}",
	             "cannot use 'all'");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[\"5-30\"]}}", "") "]}}",
	             "VLAN range");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[\"v99\"]}}", "") "]}}",
	             "v99: no such VLAN");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[11]}}", "") "]}}",
	             "no such VLAN");
	expect_error(
	        "{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                "p1", "{\"vlan\":{\"members\":[\"v10\"]}}", ",\"native-vlan-id\":10") "]}}",
	        "needs interface-mode trunk");
	/* Ranges: LOW < HIGH <= 4094, digits only. */
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1",
	                     "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"30-10\"]}}",
	                     "") "]}}",
	             "LOW-HIGH");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1",
	                     "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"1-4095\"]}}",
	                     "") "]}}",
	             "LOW-HIGH");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1",
	                     "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"1-x\"]}}",
	                     "") "]}}",
	             "LOW-HIGH");
	/* A range with no configured VLAN inside: OVS would read [] as "all". */
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1",
	                     "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"100-200\"]}}",
	                     "") "]}}",
	             "resolves to no configured VLAN");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1",
	                     "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v10\"]}}",
	                     ",\"native-vlan-id\":99") "]}}",
	             "not the ID of a configured VLAN");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"interface-mode\":\"hybrid\"}", "") "]}}",
	             "unknown");
	expect_error("{" VLANS
	             ",\"interfaces\":{\"interface\":[{\"name\":\"p1\",\"unit\":[{\"name\":"
	             "1,\"family\":{\"ethernet-switching\":{}}}]}]}}",
	             "unit 0 only");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[{\"name\":\"p1\","
	             "\"native-vlan-id\":10}]}}",
	             "needs unit 0 family");
	expect_error("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                     "p1", "{\"vlan\":{\"members\":[\"v10\"]}}",
	                     "") "," IFC("p1", "{\"vlan\":{\"members\":[\"v10\"]}}", "") "]}}",
	             "configured twice");
}

/* The native VLAN alone is enough for a trunk; members may be given twice. */
static void test_native_only(void **state)
{
	struct vlan_model m;
	struct ovs_port_vlan o;
	char err[256];

	(void)state;
	assert_int_equal(
	        parse("{" VLANS ",\"interfaces\":{\"interface\":[" IFC(
	                      "p1", "{\"interface-mode\":\"trunk\"}",
	                      ",\"native-vlan-id\":\"20\"") "," IFC("p2",
	                                                            "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v10\","
	                                                            "10,\"1-15\"]}}",
	                                                            "") "]}}",
	              &m, err, sizeof(err)),
	        0);
	vlan_port_to_ovs(vlan_model_find_port(&m, "p1"), &o);
	assert_int_equal(o.tag, 20);
	assert_int_equal(o.mode, OVS_VLAN_MODE_NATIVE_UNTAGGED);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 1);
	vlan_port_to_ovs(vlan_model_find_port(&m, "p2"), &o);
	assert_int_equal(ovs_vlan_set_count(&o.trunks), 1);
	assert_string_equal(vlan_port_mode_name(vlan_model_find_port(&m, "p2")->mode), "trunk");
	vlan_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_empty),       cmocka_unit_test(test_access_and_trunks),
	        cmocka_unit_test(test_vlan_errors), cmocka_unit_test(test_port_errors),
	        cmocka_unit_test(test_native_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
