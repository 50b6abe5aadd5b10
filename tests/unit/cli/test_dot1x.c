/*
 * show dot1x interface [brief|detail] and show dot1x statistics (daemons/cli/op_dot1x.c):
 * canned JSON as dot1xd's replies turn into it (lib/pbjson names) against the Junos layouts
 * of shared/notes/dot1x-vlan.md §6: one row per supplicant, a port without one as
 * Connecting, upper-case MACs, the detail block with and without a guest VLAN, the
 * reauthentication lines only for an authorized supplicant, the statistics and RADIUS table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "daemons/cli/op_dot1x.h"

static struct cli test_cli = {.user = "alice", .host = "sw1", .timeout_ms = 2000};

static const char ifs_json[] =
        "{\"dot1x-interface-information\":{\"interface\":["
        "{\"name\":\"ge-0-0-16\",\"role\":\"Authenticator\",\"admin-state\":\"Auto\","
        "\"supplicant-mode\":\"Single\",\"retries\":3,\"quiet-period\":60,"
        "\"transmit-period\":30,\"mac-radius\":true,\"mac-radius-restrict\":false,"
        "\"reauthentication\":true,\"reauth-interval\":3600,\"supplicant-timeout\":30,"
        "\"server-timeout\":30,\"maximum-requests\":2,\"guest-vlan\":\"\",\"link\":\"up\","
        "\"supplicants\":[{\"mac\":\"00:30:48:8c:66:bd\",\"user\":\"user5\","
        "\"state\":\"Authenticated\",\"method\":\"Radius\",\"vlan\":\"vo11\","
        "\"reauth-interval\":60,\"reauth-due\":50,\"session-time\":10,"
        "\"pae-state\":\"AUTHENTICATED\",\"backend-state\":\"IDLE\",\"authorized\":true}]},"
        "{\"name\":\"eth2\",\"role\":\"Authenticator\",\"admin-state\":\"Auto\","
        "\"supplicant-mode\":\"Multiple\",\"retries\":3,\"quiet-period\":5,"
        "\"transmit-period\":2,\"mac-radius\":false,\"mac-radius-restrict\":false,"
        "\"reauthentication\":false,\"reauth-interval\":3600,\"supplicant-timeout\":30,"
        "\"server-timeout\":30,\"maximum-requests\":2,\"guest-vlan\":\"guests\","
        "\"link\":\"up\",\"supplicants\":[]},"
        "{\"name\":\"eth3\",\"role\":\"Authenticator\",\"admin-state\":\"Auto\","
        "\"supplicant-mode\":\"Multiple\",\"retries\":3,\"quiet-period\":5,"
        "\"transmit-period\":2,\"mac-radius\":false,\"mac-radius-restrict\":false,"
        "\"reauthentication\":false,\"reauth-interval\":3600,\"supplicant-timeout\":30,"
        "\"server-timeout\":30,\"maximum-requests\":2,\"guest-vlan\":\"\",\"link\":\"up\","
        "\"supplicants\":["
        "{\"mac\":\"02:00:00:00:00:01\",\"user\":\"bob\",\"state\":\"Held\","
        "\"method\":\"None\",\"vlan\":\"\",\"reauth-interval\":0,\"reauth-due\":-1,"
        "\"authorized\":false},"
        "{\"mac\":\"02:00:00:00:00:02\",\"user\":\"020000000002\",\"state\":\"Authenticated\","
        "\"method\":\"Mac Radius\",\"vlan\":\"200\",\"reauth-interval\":0,\"reauth-due\":-1,"
        "\"authorized\":true}]}]}}";

static const char golden_brief[] =
        "802.1X Information:\n"
        "Interface     Role           State          MAC address          User\n"
        "ge-0-0-16     Authenticator  Authenticated  00:30:48:8C:66:BD    user5\n"
        "eth2          Authenticator  Connecting\n"
        "eth3          Authenticator  Held           02:00:00:00:00:01    bob\n"
        "eth3          Authenticator  Authenticated  02:00:00:00:00:02    020000000002\n";

static const char golden_detail[] = "ge-0-0-16\n"
                                    "  Role: Authenticator\n"
                                    "  Administrative state: Auto\n"
                                    "  Supplicant mode: Single\n"
                                    "  Number of retries: 3\n"
                                    "  Quiet period: 60 seconds\n"
                                    "  Transmit period: 30 seconds\n"
                                    "  Mac Radius: Enabled\n"
                                    "  Mac Radius Restrict: Disabled\n"
                                    "  Reauthentication: Enabled\n"
                                    "  Configured Reauthentication interval: 3600 seconds\n"
                                    "  Supplicant timeout: 30 seconds\n"
                                    "  Server timeout: 30 seconds\n"
                                    "  Maximum EAPOL requests: 2\n"
                                    "  Guest VLAN member: <not configured>\n"
                                    "  Number of connected supplicants: 1\n"
                                    "    Supplicant: user5, 00:30:48:8C:66:BD\n"
                                    "      Operational state: Authenticated\n"
                                    "      Authentication method: Radius\n"
                                    "      Authenticated VLAN: vo11\n"
                                    "      Session Reauth interval: 60 seconds\n"
                                    "      Reauthentication due in 50 seconds\n";

static const char golden_detail_eth3[] = "eth3\n"
                                         "  Role: Authenticator\n"
                                         "  Administrative state: Auto\n"
                                         "  Supplicant mode: Multiple\n"
                                         "  Number of retries: 3\n"
                                         "  Quiet period: 5 seconds\n"
                                         "  Transmit period: 2 seconds\n"
                                         "  Mac Radius: Disabled\n"
                                         "  Mac Radius Restrict: Disabled\n"
                                         "  Reauthentication: Disabled\n"
                                         "  Configured Reauthentication interval: 3600 seconds\n"
                                         "  Supplicant timeout: 30 seconds\n"
                                         "  Server timeout: 30 seconds\n"
                                         "  Maximum EAPOL requests: 2\n"
                                         "  Guest VLAN member: <not configured>\n"
                                         "  Number of connected supplicants: 2\n"
                                         "    Supplicant: bob, 02:00:00:00:00:01\n"
                                         "      Operational state: Held\n"
                                         "    Supplicant: 020000000002, 02:00:00:00:00:02\n"
                                         "      Operational state: Authenticated\n"
                                         "      Authentication method: Mac Radius\n"
                                         "      Authenticated VLAN: 200\n";

static const char stats_json[] =
        "{\"dot1x-statistics-information\":{\"interface\":["
        "{\"name\":\"eth1\",\"eapol-frames-rx\":12,\"eapol-frames-tx\":9,"
        "\"eapol-start-rx\":2,\"eapol-logoff-rx\":1,\"eapol-resp-id-rx\":3,"
        "\"eapol-resp-rx\":6,\"eapol-req-id-tx\":4,\"eapol-req-tx\":5,\"invalid-rx\":0,"
        "\"length-error-rx\":0,\"ignored-rx\":0,\"auth-success\":2,\"auth-fail\":1}],"
        "\"radius\":{\"servers\":[{\"address\":\"127.0.0.1\",\"port\":1812,"
        "\"accounting\":false,\"state\":\"up\",\"requests\":9,\"retransmissions\":0,"
        "\"accepts\":2,\"rejects\":1,\"challenges\":6,\"timeouts\":0,\"dropped\":3,"
        "\"rtt-avg-us\":900}],\"in-flight\":0,\"dropped\":3,\"coa\":1,\"disconnects\":0}}}";

static const char golden_stats[] =
        "802.1X Statistics:\n"
        "Interface: eth1\n"
        "  TxReqId = 4          TxReq = 5          TxTotal = 9\n"
        "  RxStart = 2          RxLogoff = 1       RxRespId = 3\n"
        "  RxResp = 6           RxInvalid = 0      RxLenErr = 0\n"
        "  RxTotal = 12         AuthSuccess = 2    AuthFail = 1\n"
        "  RxKernelDrops = 0    RxSessLimit = 0    Sessions = 0\n"
        "\n"
        "RADIUS servers:\n"
        "Server            Port   State  Requests  Retrans  Accepts  Rejects  Challenges Timeouts  "
        "Dropped\n"
        "127.0.0.1         1812   up     9         0        2        1        6          0         "
        "3\n"
        "Requests in flight: 0, replies dropped: 3, CoA: 1, Disconnect: 0\n";

static char *render(const char *json, const struct cli_argv *av, bool stats)
{
	static char buf[8192];
	struct json_object *o = json_tokener_parse(json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	if (stats)
		cli_render_dot1x_statistics(&test_cli, av, o, f);
	else
		cli_render_dot1x_interfaces(&test_cli, av, o, f);
	fclose(f);
	json_object_put(o);
	return buf;
}

static void test_brief(void **state)
{
	struct cli_argv av = {0};

	(void)state;
	assert_string_equal(render(ifs_json, &av, false), golden_brief);
}

static void test_detail(void **state)
{
	static const struct cli_node detail = {.name = "detail"};
	struct cli_argv av = {.n = 1, .node = {&detail}, .word = {"detail"}};
	char *out = render(ifs_json, &av, false);
	const char *eth2 = strstr(out, "\neth2\n");
	const char *eth3 = strstr(out, "\neth3\n");

	(void)state;
	assert_non_null(eth2);
	assert_non_null(eth3);
	assert_memory_equal(out, golden_detail, strlen(golden_detail));
	assert_non_null(strstr(eth2, "  Guest VLAN member: guests\n"
	                             "  Number of connected supplicants: 0\n"));
	assert_string_equal(eth3 + 1, golden_detail_eth3);
}

static void test_statistics(void **state)
{
	struct cli_argv av = {0};

	(void)state;
	assert_string_equal(render(stats_json, &av, true), golden_stats);
}

static void test_empty(void **state)
{
	struct cli_argv av = {0};

	(void)state;
	assert_string_equal(
	        render("{\"dot1x-interface-information\":{\"interface\":[]}}", &av, false),
	        "802.1X Information:\n"
	        "Interface     Role           State          MAC address          User\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_brief),
	        cmocka_unit_test(test_detail),
	        cmocka_unit_test(test_statistics),
	        cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
