/*
 * telemetryd's sensor table: resource parsing, the bus-key matcher, schema
 * validation against keel's YANG modules, reporting-rate windows (newest value
 * wins, one export per period) and the export payloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/sensor.h"

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

static void test_path_parse(void **st)
{
	struct tm_path p;
	char err[128];

	(void)st;
	assert_int_equal(
	        tm_path_parse("/interfaces/interface[name='e[0]']/state/", &p, err, sizeof(err)),
	        0);
	assert_int_equal(p.n_elem, 3);
	assert_string_equal(p.elem[1].name, "interface");
	assert_int_equal(p.elem[1].n_keys, 1);
	assert_string_equal(p.elem[1].keys[0].name, "name");
	assert_string_equal(p.elem[1].keys[0].value, "e[0]");
	assert_int_equal(tm_path_parse("/keel-interfaces:interfaces", &p, err, sizeof(err)), 0);
	assert_string_equal(p.elem[0].module, "keel-interfaces");
	assert_string_equal(p.elem[0].name, "interfaces");
	assert_int_equal(tm_path_parse("interfaces", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/a//b", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/a[name=x", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/a[name]", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/a[n=x]junk", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/:a", &p, err, sizeof(err)), -1);
	assert_int_equal(tm_path_parse("/a[n=x][n=y]", &p, err, sizeof(err)), -1);
}

static void test_path_parse_bounds(void **st)
{
	char big[TM_PATH_MAX + 8];
	struct tm_path p;
	size_t i;

	(void)st;
	for (i = 0; i + 2 < sizeof(big); i += 2) {
		big[i] = '/';
		big[i + 1] = 'a';
	}
	big[i] = '\0';
	assert_int_equal(tm_path_parse(big, &p, NULL, 0), -1); /* too long */
	big[2 * (TM_PATH_MAX_ELEMS + 1)] = '\0';
	assert_int_equal(tm_path_parse(big, &p, NULL, 0), -1); /* too many elements */
	big[2 * TM_PATH_MAX_ELEMS] = '\0';
	assert_int_equal(tm_path_parse(big, &p, NULL, 0), 0);
}

static void test_match(void **st)
{
	struct tm_path any, one, leaf, other;

	(void)st;
	assert_int_equal(tm_path_parse("/interfaces/interface/state/counters/", &any, NULL, 0), 0);
	assert_int_equal(
	        tm_path_parse("/interfaces/interface[name=eth0]/state/counters", &one, NULL, 0), 0);
	assert_int_equal(tm_path_parse(IF_KEY, &leaf, NULL, 0), 0);
	assert_int_equal(tm_path_parse("/interfaces/interface/state/", &other, NULL, 0), 0);
	assert_true(tm_path_match_str(&any, IF_KEY));
	assert_true(tm_path_match_str(&any, "/interfaces/interface[name=eth1]/state/counters/x"));
	assert_true(tm_path_match_str(&one, IF_KEY));
	assert_true(tm_path_match_str(&one, "/interfaces/interface[name='eth0']/state/counters/a"));
	assert_false(tm_path_match_str(&one, "/interfaces/interface[name=eth1]/state/counters/a"));
	assert_false(tm_path_match_str(&one, "/interfaces/interface/state/counters/a"));
	assert_true(tm_path_match_str(&leaf, IF_KEY));
	assert_false(tm_path_match_str(&leaf, "/interfaces/interface[name=eth0]/state/counters/"
	                                      "in-octets-x"));
	assert_false(tm_path_match_str(&any, "/interfaces/interface[name=eth0]/state/mtu"));
	assert_true(tm_path_match_str(&other, "/interfaces/interface[name=eth0]/state/mtu"));
	/* a key shorter than the resource is above it, not in it */
	assert_false(tm_path_match_str(&any, "/interfaces/interface[name=eth0]/state"));
	/* element-wise, not string prefix */
	assert_false(tm_path_match_str(&other, "/interfaces/interface[name=eth0]/stateX/mtu"));
	assert_false(tm_path_match_str(&any, "garbage"));
}

static void test_schema(void **st)
{
	struct tm_path p;
	char err[256];
	static const char *const good[] = {
	        "/interfaces/interface/state/counters/",
	        "/interfaces/interface[name=eth0]/state/counters/in-octets",
	        "/keel-interfaces:interfaces/interface/state/",
	        "/interfaces/",
	};
	static const char *const bad[] = {
	        "/interfaces/interface/state/counterz/",
	        "/interfaces/interface[ifname=eth0]/state/",
	        "/interfaces/interface/state[name=x]/",
	        "/keel-system:interfaces/",
	        "/nosuch/",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(tm_path_parse(good[i], &p, err, sizeof(err)), 0);
		if (tm_schema_check(schema, &p, err, sizeof(err)))
			fail_msg("%s: %s", good[i], err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tm_path_parse(bad[i], &p, err, sizeof(err)), 0);
		err[0] = '\0';
		if (tm_schema_check(schema, &p, err, sizeof(err)) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static const char cfg_json[] =
        "{\"keel-services:services\":{\"analytics\":{"
        "\"streaming-server\":[{\"name\":\"col\",\"remote-address\":\"10.0.0.2\","
        "\"remote-port\":1883}],"
        "\"export-profile\":[{\"name\":\"mq\",\"reporting-rate\":5,\"format\":\"json\","
        "\"transport\":\"mqtt\",\"topic-prefix\":\"lab\"}],"
        "\"sensor\":[{\"name\":\"ifc\",\"resource\":\"/interfaces/interface/state/counters/\","
        "\"export-name\":\"mq\",\"server-name\":[\"col\"],\"reporting-rate\":1},"
        "{\"name\":\"eth1\",\"resource\":\"/interfaces/interface[name=eth1]/state/\","
        "\"export-name\":\"mq\"}]}}}";

static int table_from(const char *json, struct tm_table *t, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	assert_non_null(o);
	rc = tm_table_from_json(o, schema, t, err, errlen);
	json_object_put(o);
	return rc;
}

static void test_table(void **st)
{
	struct tm_table t;
	const struct tm_profile *p;
	struct tm_sensor *s;
	char err[256] = "";

	(void)st;
	if (table_from(cfg_json, &t, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(t.n_sensor, 2);
	p = tm_table_profile(&t, "mq");
	assert_non_null(p);
	assert_int_equal(p->transport, TM_TRANSPORT_MQTT);
	assert_int_equal(p->format, TM_FORMAT_JSON);
	assert_string_equal(p->topic_prefix, "lab");
	assert_int_equal(tm_table_server(&t, "col")->port, 1883);
	s = tm_table_sensor(&t, "ifc");
	assert_int_equal(s->rate_s, 1);
	assert_true(s->rate_from_sensor);
	assert_string_equal(s->server_name, "col");
	s = tm_table_sensor(&t, "eth1");
	assert_int_equal(s->rate_s, 5); /* the profile's */
	assert_false(s->rate_from_sensor);
	assert_true(s->sensor_id != tm_table_sensor(&t, "ifc")->sensor_id);
	tm_table_free(&t);

	/* empty config: empty table */
	assert_int_equal(table_from("{}", &t, err, sizeof(err)), 0);
	assert_int_equal(t.n_sensor, 0);
	tm_table_free(&t);
}

static void test_table_errors(void **st)
{
	struct tm_table t;
	char err[256] = "";

	(void)st;
	assert_int_equal(
	        table_from("{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":"
	                   "\"s\",\"resource\":\"/interfaces/bogus/\"}]}}}",
	                   &t, err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "sensor s"));
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(
	        table_from("{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":"
	                   "\"s\",\"resource\":\"/interfaces/\",\"export-name\":\"none\"}]}}}",
	                   &t, err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "export-profile none"));
	assert_int_equal(
	        table_from("{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":"
	                   "\"s\",\"resource\":\"/interfaces/\",\"reporting-rate\":99999}]}}}",
	                   &t, err, sizeof(err)),
	        -1);
	assert_int_equal(
	        table_from("{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":"
	                   "\"s\"}]}}}",
	                   &t, err, sizeof(err)),
	        -1);
}

static Keel__Sensor__SensorData *mkdata(const char *ifname, uint64_t octets, uint64_t ts)
{
	struct sensor_msg *m = sensor_msg_new("interfaces");
	Keel__Sensor__SensorData *d = NULL;
	uint8_t *buf;
	size_t len;

	assert_non_null(m);
	assert_int_equal(sensor_msg_addf_u64(
	                         m, octets,
	                         "/interfaces/interface[name=%s]/state/counters/in-octets", ifname),
	                 0);
	assert_int_equal(sensor_msg_addf_str(m, "UP",
	                                     "/interfaces/interface[name=%s]/state/"
	                                     "oper-status",
	                                     ifname),
	                 0);
	buf = sensor_msg_pack(m, "ifd", "n0", 1, ts, &len);
	assert_non_null(buf);
	assert_int_equal(sensor_msg_decode(buf, len, &d), SENSOR_ERR_NONE);
	free(buf);
	sensor_msg_free(m);
	return d;
}

static void test_window(void **st)
{
	struct tm_table t;
	struct tm_sensor *ifc, *e1;
	struct tm_window w;
	Keel__Sensor__SensorData *d;
	char err[256];

	(void)st;
	assert_int_equal(table_from(cfg_json, &t, err, sizeof(err)), 0);
	ifc = tm_table_sensor(&t, "ifc");
	e1 = tm_table_sensor(&t, "eth1");

	d = mkdata("eth0", 100, 1000);
	/* ifc takes the counter, not oper-status; eth1 takes nothing of eth0 */
	assert_int_equal(tm_table_feed(&t, d), 1);
	sensor_data_free(d);
	assert_false(tm_sensor_due(ifc, 1000)); /* not armed yet */
	tm_sensor_arm(ifc, 1000);
	d = mkdata("eth0", 250, 1500);
	assert_int_equal(tm_table_feed(&t, d), 1);
	sensor_data_free(d);
	d = mkdata("eth1", 7, 1500);
	assert_int_equal(tm_table_feed(&t, d), 3); /* ifc: counter; eth1: both */
	sensor_data_free(d);
	assert_int_equal(ifc->win.n, 2);
	assert_int_equal(e1->win.n, 2);
	assert_string_equal(ifc->components[0], "ifd");
	assert_false(tm_sensor_due(ifc, 1999));
	assert_true(tm_sensor_due(ifc, 2000));

	tm_sensor_take(ifc, 2000, &w);
	assert_int_equal(w.n, 2);
	/* newest value wins, sorted by key */
	assert_string_equal(w.e[0].kv.key, IF_KEY);
	assert_int_equal(w.e[0].kv.uint_value, 250);
	assert_int_equal(tm_window_find(&w, IF_KEY)->kv.uint_value, 250);
	assert_int_equal(ifc->win.n, 0);
	assert_false(tm_sensor_due(ifc, 2500));
	assert_int_equal(ifc->next_emit_ms, 3000);
	tm_window_free(&w);
	tm_table_free(&t);
}

static void test_window_rate0_and_carry(void **st)
{
	struct tm_table a, b;
	struct tm_sensor *s;
	Keel__Sensor__SensorData *d;
	char err[256];
	static const char zero[] =
	        "{\"keel-services:services\":{\"analytics\":{\"sensor\":[{\"name\":\"z\","
	        "\"resource\":\"/interfaces/\",\"reporting-rate\":0}]}}}";

	(void)st;
	assert_int_equal(table_from(zero, &a, err, sizeof(err)), 0);
	s = tm_table_sensor(&a, "z");
	assert_false(tm_sensor_due(s, 0));
	d = mkdata("eth0", 1, 1);
	assert_int_equal(tm_table_feed(&a, d), 2);
	sensor_data_free(d);
	assert_true(tm_sensor_due(s, 0)); /* rate 0: on every change */
	s->sent = 7;
	/* same sensor in a new commit keeps window and counters */
	assert_int_equal(table_from(zero, &b, err, sizeof(err)), 0);
	tm_table_carry(&a, &b);
	assert_int_equal(tm_table_sensor(&b, "z")->win.n, 2);
	assert_int_equal(tm_table_sensor(&b, "z")->sent, 7);
	assert_int_equal(a.sensor[0].win.n, 0);
	tm_table_free(&a);
	tm_table_free(&b);
}

static void test_export(void **st)
{
	struct tm_table t;
	struct tm_window w;
	Keel__Sensor__SensorData *d, *back = NULL;
	struct json_object *o, *v;
	uint8_t *buf;
	size_t len = 0;
	char err[256];
	char *txt;

	(void)st;
	assert_int_equal(table_from(cfg_json, &t, err, sizeof(err)), 0);
	d = mkdata("eth1", 42, 10);
	tm_table_feed(&t, d);
	sensor_data_free(d);
	tm_sensor_take(&t.sensor[1], 10, &w);

	buf = tm_export_json(&t.sensor[1], &w, "n0", 1234, &len);
	assert_non_null(buf);
	txt = strndup((char *)buf, len);
	o = json_tokener_parse(txt);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "sensor")), "eth1");
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "timestamp")), 1234);
	v = json_object_object_get(json_object_object_get(o, "values"),
	                           "/interfaces/interface[name=eth1]/state/counters/in-octets");
	assert_int_equal(json_object_get_int64(v), 42);
	v = json_object_object_get(json_object_object_get(o, "values"),
	                           "/interfaces/interface[name=eth1]/state/oper-status");
	assert_string_equal(json_object_get_string(v), "UP");
	json_object_put(o);
	free(txt);
	free(buf);

	buf = tm_export_gpb(&t.sensor[1], &w, "n0", 9, 1234, &len);
	assert_non_null(buf);
	assert_int_equal(sensor_msg_decode(buf, len, &back), SENSOR_ERR_NONE);
	assert_string_equal(back->sensor, "eth1");
	assert_string_equal(back->component, "telemetryd");
	assert_int_equal(back->sequence, 9);
	assert_int_equal(back->n_kv, 2);
	sensor_data_free(back);
	free(buf);
	tm_window_free(&w);
	tm_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path_parse), cmocka_unit_test(test_path_parse_bounds),
	        cmocka_unit_test(test_match),      cmocka_unit_test(test_schema),
	        cmocka_unit_test(test_table),      cmocka_unit_test(test_table_errors),
	        cmocka_unit_test(test_window),     cmocka_unit_test(test_window_rate0_and_carry),
	        cmocka_unit_test(test_export),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
