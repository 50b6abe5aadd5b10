/*
 * show route: the Junos layout (shared/notes/bfd-routing.md §11.3) rendered
 * from canned JSON as ribd's "show.route" and "show.route.summary" give it
 * through lib/pbjson, compared with golden text: the table header with its
 * counts, `*` on the active route, `>` on next hops in the FIB, Local and
 * Discard lines, a second (inactive) route under the same prefix, a hidden
 * route left out, Junos ages, a long IPv6 prefix on a line of its own, and
 * the detail form; terse (one line per route, the Junos columns), hidden
 * (only the hidden routes, "Unusable"), extensive (configured next hops, the
 * BFD state of a tracked next hop) and show route summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "daemons/cli/op_route.h"

static struct cli test_cli = {.user = "alice", .host = "r1", .timeout_ms = 2000};

#define NH(gw, ifn, sel)                                                                           \
	"{\"gateway\":\"" gw "\",\"interface\":\"" ifn "\",\"ifindex\":2,\"selected\":" sel "}"

static const char route_json[] =
        "{\"route-information\":{\"summary\":{\"tables\":["
        "{\"name\":\"inet.0\",\"destinations\":4,\"routes\":6,\"active\":4,\"holddown\":0,"
        "\"hidden\":1,\"protocols\":[]},"
        "{\"name\":\"inet6.0\",\"destinations\":1,\"routes\":1,\"active\":1,\"holddown\":0,"
        "\"hidden\":0,\"protocols\":[]}],\"fib-routes\":3},"
        "\"destinations\":["
        "{\"table\":\"inet.0\",\"prefix\":\"0.0.0.0/0\",\"routes\":["
        "{\"protocol\":\"Static\",\"preference\":5,\"metric\":10,\"active\":true,"
        "\"type\":\"unicast\",\"age\":88,\"resolve\":false,\"configured\":[],\"next-hops\":[" NH("1.1.1.1", "eth0", "true") "," NH(
                "1.1.1.2", "eth0",
                "true") "],\"hidden\":false},"
                        "{\"protocol\":\"Static\",\"preference\":7,\"metric\":0,\"active\":false,"
                        "\"type\":\"unicast\",\"age\":1713,\"resolve\":false,\"configured\":[],\"next-hops\":[" NH(
                                "10.10.120.1", "eth1",
                                "false") "],\"hidden\":false},"
                                         "{\"protocol\":\"Static\",\"preference\":9,\"metric\":0,\"active\":false,"
                                         "\"type\":\"unicast\",\"age\":5,\"resolve\":false,\"configured\":[],\"next-hops\":[],"
                                         "\"hidden\":true}]},"
                                         "{\"table\":\"inet.0\",\"prefix\":\"10.10.120.0/24\",\"routes\":["
                                         "{\"protocol\":\"Direct\",\"preference\":0,\"metric\":0,\"active\":true,"
                                         "\"type\":\"unicast\",\"age\":1713,\"next-hops\":[" NH(
                                                 "", "eth1",
                                                 "true") "]}]},"
                                                         "{\"table\":\"inet.0\",\"prefix\":\"10.10.120.43/32\",\"routes\":["
                                                         "{\"protocol\":\"Local\",\"preference\":0,\"metric\":0,\"active\":true,"
                                                         "\"type\":\"unicast\",\"age\":1713,\"next-hops\":[" NH(
                                                                 "", "eth1",
                                                                 "true") "]}]},"
                                                                         "{\"table\":\"inet.0\",\"prefix\":\"198.51.100.0/24\",\"routes\":["
                                                                         "{\"protocol\":\"Static\",\"preference\":5,\"metric\":0,\"active\":true,"
                                                                         "\"type\":\"discard\",\"age\":1483953,\"next-hops\":[]}]},"
                                                                         "{\"table\":\"inet6.0\",\"prefix\":\"2001:db8:1234:5678::/64\",\"routes\":["
                                                                         "{\"protocol\":\"Static\",\"preference\":5,\"metric\":0,\"active\":true,"
                                                                         "\"type\":\"unicast\",\"age\":174844,\"resolve\":true,\"configured\":[" NH(
                                                                                 "2001:db8::99", "",
                                                                                 "false") "],\"next-hops\":[" NH("fe80::1",
                                                                                                                 "eth2",
                                                                                                                 "true") "]}]}]}}";

static const char golden[] = "inet.0: 4 destinations, 6 routes (4 active, 0 holddown, 1 hidden)\n"
                             "+ = Active Route, - = Last Active, * = Both\n"
                             "\n"
                             "0.0.0.0/0          *[Static/5] 00:01:28, metric 10\n"
                             "                    > to 1.1.1.1 via eth0\n"
                             "                    > to 1.1.1.2 via eth0\n"
                             "                    [Static/7] 00:28:33\n"
                             "                      to 10.10.120.1 via eth1\n"
                             "10.10.120.0/24     *[Direct/0] 00:28:33\n"
                             "                    > via eth1\n"
                             "10.10.120.43/32    *[Local/0] 00:28:33\n"
                             "                      Local via eth1\n"
                             "198.51.100.0/24    *[Static/5] 2w3d 04:12:33\n"
                             "                       Discard\n"
                             "\n"
                             "inet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n"
                             "+ = Active Route, - = Last Active, * = Both\n"
                             "\n"
                             "2001:db8:1234:5678::/64\n"
                             "                   *[Static/5] 2d 00:34:04\n"
                             "                    > to fe80::1 via eth2\n";

static const char golden_detail_v6[] =
        "inet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n"
        "+ = Active Route, - = Last Active, * = Both\n"
        "\n"
        "2001:db8:1234:5678::/64 (1 entry)\n"
        "        *Static Preference: 5\n"
        "                Next hop type: Router\n"
        "                Next hop: fe80::1 via eth2, selected\n"
        "                Protocol next hop: 2001:db8::99\n"
        "                State: <Active>\n"
        "                Age: 2d 00:34:04 \tMetric: 0\n";

static char *render(const char *json, const struct cli_argv *av)
{
	static char buf[8192];
	struct json_object *o = json_tokener_parse(json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	cli_render_route(&test_cli, av, o, f);
	fclose(f);
	json_object_put(o);
	return buf;
}

static void test_render_route(void **state)
{
	struct cli_argv av = {0};

	(void)state;
	assert_string_equal(render(route_json, &av), golden);
}

static void test_render_detail(void **state)
{
	static const struct cli_node detail = {.name = "detail"};
	struct cli_argv av = {.n = 1, .node = {&detail}, .word = {"detail"}};
	char *out = render(route_json, &av);
	const char *v6 = strstr(out, "inet6.0:");

	(void)state;
	assert_non_null(v6);
	assert_string_equal(v6, golden_detail_v6);
	assert_non_null(strstr(out, "        *Static Preference: 5\n"
	                            "                Next hop type: Router\n"
	                            "                Next hop: 1.1.1.1 via eth0, selected\n"));
	/* The detail form lists hidden routes too. */
	assert_non_null(strstr(out, "State: <Hidden>"));
}

static void test_render_nothing(void **state)
{
	struct cli_argv av = {0};

	(void)state;
	/* No match: no table header at all. */
	assert_string_equal(render("{\"route-information\":{\"summary\":{\"tables\":[{\"name\":"
	                           "\"inet.0\",\"destinations\":4}]},\"destinations\":[]}}",
	                           &av),
	                    "");
}

static char *render_opts(const char *json, const char *const *words, int n)
{
	static struct cli_node nodes[CLI_MAX_WORDS];
	struct cli_argv av = {.n = n};

	for (int i = 0; i < n; i++) {
		nodes[i] = (struct cli_node){.name = words[i]};
		av.node[i] = &nodes[i];
		av.word[i] = words[i];
	}
	return render(json, &av);
}

static const char golden_terse[] =
        "inet.0: 4 destinations, 6 routes (4 active, 0 holddown, 1 hidden)\n"
        "+ = Active Route, - = Last Active, * = Both\n"
        "\n"
        "A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path\n"
        "* ? 0.0.0.0/0          S   5         10            >1.1.1.1\n"
        "                                                   >1.1.1.2\n"
        "                       S   7                        10.10.120.1\n"
        "* ? 10.10.120.0/24     D   0                       >eth1\n"
        "* ? 10.10.120.43/32    L   0                        Local\n"
        "* ? 198.51.100.0/24    S   5                        Discard\n"
        "\n"
        "inet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n"
        "+ = Active Route, - = Last Active, * = Both\n"
        "\n"
        "A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path\n"
        "* ? 2001:db8:1234:5678::/64 S   5                       >fe80::1\n";

static void test_render_terse(void **state)
{
	static const char *const w[] = {"terse"};

	(void)state;
	assert_string_equal(render_opts(route_json, w, 1), golden_terse);
}

/* What ribd sends for `show route hidden`: only the hidden routes. */
static const char hidden_json[] =
        "{\"route-information\":{\"summary\":{\"tables\":["
        "{\"name\":\"inet.0\",\"destinations\":3,\"routes\":4,\"active\":2,\"holddown\":0,"
        "\"hidden\":2}]},"
        "\"destinations\":["
        "{\"table\":\"inet.0\",\"prefix\":\"198.51.100.0/24\",\"routes\":["
        "{\"protocol\":\"Static\",\"preference\":5,\"active\":false,\"type\":\"unicast\","
        "\"age\":3,\"configured\":[{\"gateway\":\"10.99.0.2\",\"interface\":\"\","
        "\"bfd-state\":\"Down\"}],\"next-hops\":[],\"hidden\":true}]},"
        "{\"table\":\"inet.0\",\"prefix\":\"203.0.113.0/24\",\"routes\":["
        "{\"protocol\":\"Static\",\"preference\":5,\"active\":false,\"type\":\"unicast\","
        "\"age\":61,\"configured\":[{\"gateway\":\"10.77.7.7\",\"interface\":\"\"}],"
        "\"next-hops\":[],\"hidden\":true}]}]}}";

static const char golden_hidden[] =
        "inet.0: 3 destinations, 4 routes (2 active, 0 holddown, 2 hidden)\n"
        "+ = Active Route, - = Last Active, * = Both\n"
        "\n"
        "198.51.100.0/24     [Static/5] 00:00:03\n"
        "                       Unusable\n"
        "203.0.113.0/24      [Static/5] 00:01:01\n"
        "                       Unusable\n";

static const char golden_hidden_extensive[] =
        "inet.0: 3 destinations, 4 routes (2 active, 0 holddown, 2 hidden)\n"
        "+ = Active Route, - = Last Active, * = Both\n"
        "\n"
        "198.51.100.0/24 (1 entry)\n"
        "         Static Preference: 5\n"
        "                Next hop type: Router\n"
        "                BFD: 10.99.0.2 Down\n"
        "                State: <Hidden>\n"
        "                Age: 00:00:03 \tMetric: 0\n"
        "                Configured next hop: 10.99.0.2 \n"
        "                Task: Static\n"
        "                Announcement bits (1): 0-KRT \n"
        "203.0.113.0/24 (1 entry)\n"
        "         Static Preference: 5\n"
        "                Next hop type: Router\n"
        "                State: <Hidden>\n"
        "                Age: 00:01:01 \tMetric: 0\n"
        "                Configured next hop: 10.77.7.7 \n"
        "                Task: Static\n"
        "                Announcement bits (1): 0-KRT \n";

static void test_render_hidden(void **state)
{
	static const char *const w[] = {"hidden"};
	static const char *const wx[] = {"hidden", "extensive"};
	static const char *const wt[] = {"hidden", "terse"};
	char *out;

	(void)state;
	assert_string_equal(render_opts(hidden_json, w, 1), golden_hidden);
	assert_string_equal(render_opts(hidden_json, wx, 2), golden_hidden_extensive);
	out = render_opts(hidden_json, wt, 2);
	assert_non_null(
	        strstr(out, "  ? 198.51.100.0/24    S   5                        Unusable\n"));
	/* without `hidden` the same data lists nothing but the header */
	assert_null(strstr(render_opts(hidden_json, NULL, 0), "198.51.100.0/24"));
}

static const char summary_json[] =
        "{\"route-summary-information\":{\"tables\":["
        "{\"name\":\"inet.0\",\"destinations\":28,\"routes\":36,\"active\":28,"
        "\"holddown\":0,\"hidden\":0,\"protocols\":["
        "{\"name\":\"Direct\",\"routes\":4,\"active\":4},"
        "{\"name\":\"Local\",\"routes\":3,\"active\":3},"
        "{\"name\":\"Static\",\"routes\":14,\"active\":14},"
        "{\"name\":\"Kernel\",\"routes\":15,\"active\":7}]},"
        "{\"name\":\"inet6.0\",\"destinations\":0,\"routes\":0,\"active\":0,"
        "\"holddown\":0,\"hidden\":0,\"protocols\":[]}],"
        "\"fib-routes\":21,\"fib-errors\":2,\"fib-stale\":0}}";

static const char golden_summary[] =
        "inet.0: 28 destinations, 36 routes (28 active, 0 holddown, 0 hidden)\n"
        "              Direct:      4 routes,      4 active\n"
        "               Local:      3 routes,      3 active\n"
        "              Static:     14 routes,     14 active\n"
        "              Kernel:     15 routes,      7 active\n"
        "\n"
        "inet6.0: 0 destinations, 0 routes (0 active, 0 holddown, 0 hidden)\n"
        "\n"
        "FIB: 21 routes installed, 0 stale, 2 errors\n";

static void test_render_summary(void **state)
{
	static char buf[4096];
	struct cli_argv av = {0};
	struct json_object *o = json_tokener_parse(summary_json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	cli_render_route_summary(&test_cli, &av, o, f);
	fclose(f);
	json_object_put(o);
	assert_string_equal(buf, golden_summary);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_render_route),   cmocka_unit_test(test_render_detail),
	        cmocka_unit_test(test_render_nothing), cmocka_unit_test(test_render_terse),
	        cmocka_unit_test(test_render_hidden),  cmocka_unit_test(test_render_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
