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
	        cmocka_unit_test(test_render_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
