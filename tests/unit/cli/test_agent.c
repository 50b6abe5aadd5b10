/*
 * show agent sensors: the Junos layout (shared/notes/telemetry.md §5, label
 * column 40 wide, a Profile Information block) rendered from canned JSON as
 * telemetryd's "show.sensors" gives it through lib/pbjson, compared with
 * golden text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "daemons/cli/op_agent.h"

static struct cli test_cli = {.user = "alice", .host = "r1", .timeout_ms = 2000};

static const char sensors_json[] =
        "{\"sensor-information\":[{\"name\":\"ifc\",\"resource\":"
        "\"/interfaces/interface/state/counters/\",\"version\":\"1.0\",\"sensor-id\":3143451993,"
        "\"subscription-id\":0,\"parent-sensor-name\":\"\",\"components\":[\"ifd\"],"
        "\"profile-name\":\"mq\",\"reporting-interval\":1,\"format\":\"json\","
        "\"transport\":\"mqtt\",\"server-name\":\"col\",\"server-address\":\"10.0.0.2\","
        "\"server-port\":1883,\"server-connected\":true,\"updates\":40,\"messages-sent\":4,"
        "\"messages-dropped\":1,\"pending\":2},"
        "{\"name\":\"local\",\"resource\":\"/interfaces/\",\"version\":\"1.0\","
        "\"sensor-id\":7,\"subscription-id\":1004,\"parent-sensor-name\":\"sensor_1004\","
        "\"components\":[],\"profile-name\":\"\",\"reporting-interval\":30,\"format\":\"\","
        "\"transport\":\"\",\"server-name\":\"\",\"server-address\":\"\",\"server-port\":0,"
        "\"server-connected\":false,\"updates\":0,\"messages-sent\":0,"
        "\"messages-dropped\":0,\"pending\":0}],"
        "\"bus-information\":{\"connected\":false,\"connects\":1,\"messages\":12,"
        "\"malformed\":1,\"lost\":3,\"publishers\":[]}}";

static const char golden[] =
        "Sensor Information :\n"
        "    Name                                    : ifc\n"
        "    Resource                                : /interfaces/interface/state/counters/\n"
        "    Version                                 : 1.0\n"
        "    Sensor-id                               : 3143451993\n"
        "    Component(s)                            : ifd\n"
        "    Profile Information :\n"
        "        Name                                : mq\n"
        "        Reporting-interval                  : 1\n"
        "        Format                              : JSON\n"
        "        Transport                           : mqtt\n"
        "    Server Information :\n"
        "        Name                                : col\n"
        "        Address                             : 10.0.0.2:1883\n"
        "        State                               : Connected\n"
        "    Updates                                 : 40\n"
        "    Messages-sent                           : 4\n"
        "    Messages-dropped                        : 1\n"
        "\n"
        "Sensor Information :\n"
        "    Name                                    : local\n"
        "    Resource                                : /interfaces/\n"
        "    Version                                 : 1.0\n"
        "    Sensor-id                               : 7\n"
        "    Subscription-ID                         : 1004\n"
        "    Parent-Sensor-Name                      : sensor_1004\n"
        "    Component(s)                            : \n"
        "    Profile Information :\n"
        "        Name                                : \n"
        "        Reporting-interval                  : 30\n"
        "        Format                              : \n"
        "    Updates                                 : 0\n"
        "    Messages-sent                           : 0\n"
        "    Messages-dropped                        : 0\n"
        "\n"
        "Bus Information :\n"
        "    State                                   : Not connected\n"
        "    Messages                                : 12\n"
        "    Malformed                               : 1\n"
        "    Lost (sequence gaps)                    : 3\n";

static void test_render_sensors(void **state)
{
	static char buf[8192];
	struct json_object *o = json_tokener_parse(sensors_json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	cli_render_agent_sensors(&test_cli, NULL, o, f);
	fclose(f);
	json_object_put(o);
	assert_string_equal(buf, golden);
}

/* A dial-in gNMI subscription as ctl.c reports it, and the server's counters. */
static const char gnmi_json[] =
        "{\"sensor-information\":[{\"name\":\"sensor_3_2\",\"resource\":"
        "\"/interfaces/interface[name=eth0]/state/counters\",\"version\":\"1.0\","
        "\"sensor-id\":123,\"subscription-id\":3,\"parent-sensor-name\":\"sensor_3\","
        "\"components\":[],\"profile-name\":\"export_3\",\"reporting-interval\":0,"
        "\"reporting-interval-ms\":500,\"heartbeat-interval-ms\":10000,\"format\":\"GPB\","
        "\"transport\":\"grpc\",\"server-name\":\"\",\"server-address\":\"\","
        "\"server-port\":0,\"subscriber\":\"10.77.0.2:51234\",\"mode\":\"sample\","
        "\"updates\":17,\"duplicates\":4,\"pending\":1},"
        "{\"name\":\"sensor_4_1\",\"resource\":\"/bfd\",\"version\":\"1.0\","
        "\"sensor-id\":9,\"subscription-id\":4,\"parent-sensor-name\":\"sensor_4\","
        "\"profile-name\":\"export_4\",\"reporting-interval\":0,\"format\":\"JSON_IETF\","
        "\"transport\":\"grpc\",\"subscriber\":\"[fd00::2]:40000\",\"mode\":\"on-change\","
        "\"updates\":2}],"
        "\"bus-information\":{\"connected\":true,\"connects\":1,\"messages\":5,"
        "\"malformed\":0,\"lost\":0},"
        "\"gnmi-information\":{\"listening\":true,\"port\":32767,\"calls\":6,\"active\":2,"
        "\"updates\":19,\"duplicates\":4,\"exhausted\":1,\"cache-keys\":250},"
        "\"proxy-information\":[{\"daemon\":\"ribd\",\"method\":\"show.route.summary\","
        "\"root\":\"/routing-options/state\",\"period-ms\":1000,\"connected\":true,"
        "\"polls\":42,\"replies\":41,\"errors\":1,\"published\":3,\"unchanged\":38,"
        "\"last-poll-ms\":1795935600250},"
        "{\"daemon\":\"bfdd\",\"method\":\"show.sessions\",\"root\":\"/protocols/bfd/state\","
        "\"period-ms\":0,\"connected\":false,\"polls\":0,\"replies\":0,\"errors\":0,"
        "\"published\":0,\"unchanged\":0,\"last-poll-ms\":0}]}";

static const char gnmi_golden[] =
        "Sensor Information :\n"
        "    Name                                    : sensor_3_2\n"
        "    Resource                                : /interfaces/interface[name=eth0]/state/counters\n"
        "    Version                                 : 1.0\n"
        "    Sensor-id                               : 123\n"
        "    Subscription-ID                         : 3\n"
        "    Parent-Sensor-Name                      : sensor_3\n"
        "    Component(s)                            : \n"
        "    Profile Information :\n"
        "        Name                                : export_3\n"
        "        Reporting-interval                  : 0.500\n"
        "        Format                              : GPB\n"
        "        Transport                           : grpc\n"
        "    Subscriber Information :\n"
        "        Address                             : 10.77.0.2:51234\n"
        "        Mode                                : sample\n"
        "        Heartbeat-interval                  : 10000 ms\n"
        "        Queued                              : 1\n"
        "        Coalesced                           : 4\n"
        "    Updates                                 : 17\n"
        "\n"
        "Sensor Information :\n"
        "    Name                                    : sensor_4_1\n"
        "    Resource                                : /bfd\n"
        "    Version                                 : 1.0\n"
        "    Sensor-id                               : 9\n"
        "    Subscription-ID                         : 4\n"
        "    Parent-Sensor-Name                      : sensor_4\n"
        "    Component(s)                            : \n"
        "    Profile Information :\n"
        "        Name                                : export_4\n"
        "        Reporting-interval                  : 0\n"
        "        Format                              : JSON_IETF\n"
        "        Transport                           : grpc\n"
        "    Subscriber Information :\n"
        "        Address                             : [fd00::2]:40000\n"
        "        Mode                                : on-change\n"
        "        Queued                              : 0\n"
        "        Coalesced                           : 0\n"
        "    Updates                                 : 2\n"
        "\n"
        "Bus Information :\n"
        "    State                                   : Connected\n"
        "    Messages                                : 5\n"
        "    Malformed                               : 0\n"
        "    Lost (sequence gaps)                    : 0\n"
        "\n"
        "gNMI Information :\n"
        "    State                                   : Listening on port 32767\n"
        "    Calls                                   : 6\n"
        "    Active calls                            : 2\n"
        "    Updates sent                            : 19\n"
        "    Coalesced                               : 4\n"
        "    Stalled collectors dropped              : 1\n"
        "    Cached paths                            : 250\n"
        "\n"
        "Proxy Information :\n"
        "    Source                       Period      Polls  Replies   Errors  Last poll\n"
        "    ribd show.route.summary      1000 ms        42       41        1  2026-11-29 "
        "07:00:00 UTC\n"
        "    bfdd show.sessions           idle            0        0        0  never\n";

static void test_render_gnmi(void **state)
{
	static char buf[8192];
	struct json_object *o = json_tokener_parse(gnmi_json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	cli_render_agent_sensors(&test_cli, NULL, o, f);
	fclose(f);
	json_object_put(o);
	assert_string_equal(buf, gnmi_golden);
}

static void test_render_empty(void **state)
{
	static char buf[1024];
	struct json_object *o = json_tokener_parse("{\"sensor-information\":[]}");
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	memset(buf, 0, sizeof(buf));
	cli_render_agent_sensors(&test_cli, NULL, o, f);
	fclose(f);
	json_object_put(o);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_render_sensors),
	        cmocka_unit_test(test_render_gnmi),
	        cmocka_unit_test(test_render_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
