/*
 * clusterd config parsing (daemons/clusterd/config.c): `chassis cluster` and the reth / fab
 * interfaces from mgd's RFC 7951 JSON into struct cl_conf, the defaults clusterd applies
 * (RG0 hold-down 300 s, others 1 s), what is refused, the engine's view, and the link-local
 * addresses io.c gives the control and fabric ports.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"

static struct json_object *j(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

/* Parses text; on failure prints the error and fails. */
static void parse_ok(const char *text, struct cl_conf *c)
{
	char err[256] = "";
	struct json_object *o = j(text);
	int rc = cl_conf_parse(o, c, err, sizeof(err));

	if (rc != 0)
		fail_msg("parse failed: %s", err);
	json_object_put(o);
}

/* Parses text expecting a refusal whose message contains `want`. */
static void parse_bad(const char *text, const char *want)
{
	char err[256] = "";
	struct cl_conf c;
	struct json_object *o = j(text);
	int rc = cl_conf_parse(o, &c, err, sizeof(err));

	json_object_put(o);
	if (rc == 0) {
		cl_conf_free(&c);
		fail_msg("accepted, expected an error containing '%s'", want);
	}
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
	/* A refused parse leaves an empty config behind (nothing to free, nothing half set). */
	assert_int_equal(c.n_groups, 0);
	assert_null(c.groups);
	assert_null(c.reths);
}

static const struct rg_group_cfg *group(const struct cl_conf *c, uint8_t id)
{
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

#define PRIO(rg, p0, p1)                                                                           \
	"{\"name\":" #rg ",\"node\":[{\"name\":0,\"priority\":" #p0                                \
	"},{\"name\":1,\"priority\":" #p1 "}]"

/* ------------------------------------------------------------ the full example */

static void test_full_example(void **state)
{
	struct cl_conf c;
	struct json_object *o = json_object_from_file("tests/conf/examples/valid-full.json");
	char err[256] = "";

	(void)state;
	assert_non_null(o);
	if (cl_conf_parse(o, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	json_object_put(o);

	assert_true(c.cluster);
	assert_int_equal(c.hb_interval_ms, 100);
	assert_int_equal(c.hb_threshold, 3);
	assert_true(c.control_link_recovery);
	assert_int_equal(c.reth_count, 2);
	assert_true(c.ctl_cfg[0] && c.ctl_cfg[1]);
	assert_string_equal(c.ctl_if[0], "ctl0");
	assert_string_equal(c.ctl_if[1], "ctl1");
	assert_string_equal(c.key, "cluster-heartbeat-key-0123456789");
	assert_int_equal(c.keylen, strlen("cluster-heartbeat-key-0123456789"));

	assert_int_equal(c.n_groups, 2);
	const struct rg_group_cfg *g0 = &c.groups[0], *g1 = &c.groups[1];
	assert_int_equal(g0->id, 0);
	assert_int_equal(g0->priority[0], 200);
	assert_int_equal(g0->priority[1], 100);
	assert_false(g0->preempt);
	assert_int_equal(g0->hold_down_s, 300);
	assert_int_equal(g1->id, 1);
	assert_true(g1->preempt);
	assert_int_equal(g1->preempt_delay_s, 5);
	assert_int_equal(g1->preempt_limit, 3);
	assert_int_equal(g1->preempt_period_s, 600);
	assert_int_equal(g1->garp_count, 8);
	assert_int_equal(g1->hold_down_s, 1);
	assert_int_equal(g1->n_ifmon, 2);
	assert_string_equal(g1->ifmon[0].name, "ge0");
	assert_int_equal(g1->ifmon[0].weight, 255);
	assert_string_equal(g1->ifmon[1].name, "ge1");
	assert_int_equal(g1->ifmon[1].weight, 128);
	assert_int_equal(g1->n_ipmon, 1);
	assert_int_equal(g1->ipmon[0].addr, inet_addr("198.51.100.1"));
	assert_int_equal(g1->ipmon[0].weight, 100);
	assert_int_equal(g1->ip_global_weight, 255);
	assert_int_equal(g1->ip_global_threshold, 100);
	/* ip-monitoring details for the pinger ride along, group by group */
	assert_int_equal(c.ipmon[1].rg, 1);
	assert_int_equal(c.ipmon[1].retry_interval_s, 2);
	assert_int_equal(c.ipmon[1].retry_count, 5);
	assert_int_equal(c.ipmon[1].n, 1);
	assert_string_equal(c.ipmon[1].t[0].interface, "reth0.0");
	assert_int_equal(c.ipmon[1].t[0].secondary, inet_addr("198.51.100.3"));
	assert_int_equal(c.ipmon[0].n, 0);

	const struct cl_reth_cfg *r = cl_conf_reth(&c, "reth0");
	assert_non_null(r);
	assert_int_equal(r->index, 0);
	assert_int_equal(r->rg, 1);
	assert_int_equal(r->minimum_links, 1);
	assert_int_equal(r->n_members, 2);
	assert_string_equal(r->members[0], "ge0");
	assert_string_equal(r->members[1], "ge1");
	assert_int_equal(r->n_addrs, 2);
	assert_int_equal(r->addrs[0].ip.family, AF_INET);
	assert_int_equal(r->addrs[0].len, 24);
	assert_int_equal(r->addrs[1].ip.family, AF_INET6);
	assert_int_equal(c.n_fab[0], 1);
	assert_string_equal(c.fab[0][0], "fabp0");
	assert_int_equal(c.n_fab[1], 1);

	/* The engine sees the same groups. */
	struct rg_cluster_cfg rc;
	cl_conf_rg(&c, &rc);
	assert_int_equal(rc.hb_interval_ms, 100);
	assert_int_equal(rc.hb_threshold, 3);
	assert_true(rc.control_link_recovery);
	assert_int_equal(rc.n_groups, 2);
	assert_ptr_equal(rc.groups, c.groups);
	cl_conf_free(&c);
}

/* Every valid example of the config golden set is accepted by clusterd's validation, which
 * runs the engine's own checks on a scratch engine (mgd calls it on every commit). */
static void test_valid_examples_validate(void **state)
{
	glob_t gl;
	char err[256];

	(void)state;
	assert_int_equal(glob("tests/conf/examples/valid-*.json", 0, NULL, &gl), 0);
	assert_true(gl.gl_pathc >= 1);
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		struct json_object *o = json_object_from_file(gl.gl_pathv[i]);
		assert_non_null(o);
		err[0] = '\0';
		if (cl_config_validate(NULL, o, err, sizeof(err)) != 0)
			fail_msg("%s: %s", gl.gl_pathv[i], err);
		json_object_put(o);
	}
	globfree(&gl);
}

/* ------------------------------------------------------------ defaults */

static void test_defaults(void **state)
{
	struct cl_conf c;

	(void)state;
	parse_ok(
	        "{\"keel-chassis:chassis\":{\"cluster\":{\"authentication-key\":\"0123456789abcdef\","
	        "\"control-link\":[{\"name\":0,\"interface\":\"em0\"}],"
	        "\"redundancy-group\":[" PRIO(2, 10, 20) "}," PRIO(0, 1, 2) "}]}}}",
	        &c);
	assert_true(c.cluster);
	assert_int_equal(c.hb_interval_ms, CL_HB_INTERVAL_DEF);
	assert_int_equal(c.hb_threshold, CL_HB_THRESH_DEF);
	assert_false(c.control_link_recovery);
	assert_true(c.ctl_cfg[0]);
	assert_false(c.ctl_cfg[1]);
	/* sorted by id */
	assert_int_equal(c.n_groups, 2);
	assert_int_equal(c.groups[0].id, 0);
	assert_int_equal(c.groups[1].id, 2);
	/* hold-down: RG0 300 s, others 1 s (its YANG has no default: it depends on the group) */
	assert_int_equal(group(&c, 0)->hold_down_s, CL_HOLD_DOWN_RG0);
	assert_int_equal(group(&c, 2)->hold_down_s, CL_HOLD_DOWN_RGX);
	assert_int_equal(group(&c, 2)->garp_count, CL_GARP_DEF);
	assert_int_equal(group(&c, 2)->ip_global_weight, 255);
	assert_int_equal(group(&c, 2)->ip_global_threshold, 0);
	assert_false(group(&c, 2)->preempt);
	assert_int_equal(c.n_reths, 0);
	cl_conf_free(&c);

	/* No chassis cluster at all: clustering config absent, the timers at their defaults. */
	parse_ok("{\"keel-interfaces:interfaces\":{\"interface\":[{\"name\":\"eth0\"}]}}", &c);
	assert_false(c.cluster);
	assert_int_equal(c.hb_interval_ms, CL_HB_INTERVAL_DEF);
	assert_int_equal(c.n_groups, 0);
	cl_conf_free(&c);
	parse_ok("{}", &c);
	assert_false(c.cluster);
	cl_conf_free(&c);
}

/* 64-bit YANG integers come as strings (RFC 7951 §6.1); a lenient reader takes both. */
static void test_numbers_as_strings(void **state)
{
	struct cl_conf c;

	(void)state;
	parse_ok("{\"chassis\":{\"cluster\":{\"heartbeat-interval\":\"10\","
	         "\"heartbeat-threshold\":\"8\",\"redundancy-group\":[{\"name\":\"1\","
	         "\"node\":[{\"name\":\"0\",\"priority\":\"254\"},{\"name\":1,\"priority\":1}],"
	         "\"hold-down-interval\":\"0\"}]}}}",
	         &c);
	assert_int_equal(c.hb_interval_ms, 10);
	assert_int_equal(c.hb_threshold, 8);
	assert_int_equal(c.groups[0].priority[0], 254);
	assert_int_equal(c.groups[0].priority[1], 1);
	assert_int_equal(c.groups[0].hold_down_s, 0);
	cl_conf_free(&c);
}

/* ------------------------------------------------------------ interfaces */

static void test_interfaces(void **state)
{
	struct cl_conf c;

	(void)state;
	/* Members listed before their reth, reths out of order, a vlan unit ignored. */
	parse_ok(
	        "{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(1, 100, 1) "}," PRIO(
	                2, 100, 1) "}]}},"
	                           "\"interfaces\":{\"interface\":["
	                           "{\"name\":\"ge1\",\"gigether-options\":{\"redundant-parent\":"
	                           "\"reth3\"}},"
	                           "{\"name\":\"reth3\",\"redundant-ether-options\":{\"redundancy-"
	                           "group\":2},"
	                           " \"unit\":[{\"name\":0,\"family\":{\"inet\":{\"address\":[{"
	                           "\"name\":\"10.3.0.1/24\"}]}}},"
	                           "  {\"name\":7,\"family\":{\"inet\":{\"address\":[{\"name\":"
	                           "\"10.7.0.1/24\"}]}}}]},"
	                           "{\"name\":\"reth0\",\"redundant-ether-options\":{\"redundancy-"
	                           "group\":1,\"minimum-links\":2}},"
	                           "{\"name\":\"ge0\",\"gigether-options\":{\"redundant-parent\":"
	                           "\"reth0\"}},"
	                           "{\"name\":\"fab1\",\"fabric-options\":{\"member-interfaces\":[{"
	                           "\"name\":\"fp1\"},{\"name\":\"fp2\"}]}},"
	                           "{\"name\":\"eth9\",\"unit\":[{\"name\":0}]}]}}",
	        &c);
	assert_int_equal(c.n_reths, 2);
	assert_string_equal(c.reths[0].name, "reth0");
	assert_int_equal(c.reths[0].minimum_links, 2);
	assert_int_equal(c.reths[0].n_members, 1);
	assert_string_equal(c.reths[0].members[0], "ge0");
	assert_string_equal(c.reths[1].name, "reth3");
	assert_int_equal(c.reths[1].index, 3);
	assert_int_equal(c.reths[1].rg, 2);
	assert_int_equal(c.reths[1].n_addrs, 1); /* unit 7 is not unit 0 */
	assert_string_equal(c.reths[1].members[0], "ge1");
	assert_int_equal(c.n_fab[0], 0);
	assert_int_equal(c.n_fab[1], 2);
	assert_string_equal(c.fab[1][1], "fp2");
	assert_null(cl_conf_reth(&c, "reth1"));
	cl_conf_free(&c);
}

/* ------------------------------------------------------------ refused */

static void test_refused(void **state)
{
	(void)state;
	parse_bad("{\"chassis\":{\"cluster\":{\"heartbeat-interval\":5}}}", "heartbeat-interval");
	parse_bad("{\"chassis\":{\"cluster\":{\"heartbeat-threshold\":9}}}", "heartbeat-threshold");
	parse_bad(
	        "{\"chassis\":{\"cluster\":{\"redundancy-group\":[{\"name\":1,\"node\":[{\"name\":"
	        "0,\"priority\":5}]}]}}}",
	        "priority for node 0 and node 1");
	parse_bad("{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(
	                  0, 1, 2) ",\"preempt\":{}}]}}}",
	          "preempt is not allowed on redundancy-group 0");
	parse_bad("{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(
	                  0, 1, 2) ",\"hold-down-interval\":"
	                           "299}]}}}",
	          "hold-down-interval");
	parse_bad("{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(1, 1, 255) "}]}}}",
	          "priority");
	parse_bad("{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(1, 1, 2) "}," PRIO(
	                  1, 3, 4) "}]}}}",
	          "repeated");
	parse_bad(
	        "{\"chassis\":{\"cluster\":{\"control-link\":[{\"name\":0,\"interface\":\"reth0\"}]}"
	        "}}",
	        "must be a physical port");
	parse_bad(
	        "{\"chassis\":{\"cluster\":{\"control-link\":[{\"name\":0,\"interface\":\"em0\"},{"
	        "\"name\":1,\"interface\":\"em0\"}]}}}",
	        "cannot share");
	parse_bad("{\"chassis\":{\"cluster\":{\"control-link\":[{\"name\":0,\"interface\":"
	          "\"a-very-long-interface-name\"}]}}}",
	          "not a Linux interface name");
	parse_bad("{\"interfaces\":{\"interface\":[{\"name\":\"fab0\",\"fabric-options\":{\"member-"
	          "interfaces\":[{\"name\":\"fab1\"}]}}]}}",
	          "must be a physical port");
	/* a reth whose group is not configured, a member of a reth that has no group */
	parse_bad(
	        "{\"interfaces\":{\"interface\":[{\"name\":\"reth0\",\"redundant-ether-options\":{"
	        "\"redundancy-group\":1}}]}}",
	        "redundancy-group 1 is not configured");
	parse_bad("{\"interfaces\":{\"interface\":[{\"name\":\"ge0\",\"gigether-options\":{"
	          "\"redundant-parent\":\"reth0\"}}]}}",
	          "no redundant-ether-options");
	parse_bad("{\"interfaces\":{\"interface\":[{\"name\":\"ge0\",\"gigether-options\":{"
	          "\"redundant-parent\":\"reth128\"}}]}}",
	          "reth index out of range");
	parse_bad(
	        "{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(
	                1, 1,
	                2) "}]}},"
	                   "\"interfaces\":{\"interface\":[{\"name\":\"reth0\",\"redundant-ether-options\":"
	                   "{\"redundancy-group\":1},\"unit\":[{\"name\":0,\"family\":{\"inet\":{\"address\":"
	                   "[{\"name\":\"2001:db8::1/64\"}]}}}]}]}}",
	        "bad address");
	parse_bad(
	        "{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(
	                1, 1,
	                2) ",\"ip-monitoring\":"
	                   "{\"family\":{\"inet\":{\"address\":[{\"name\":\"300.1.1.1\",\"weight\":1}]}}}}]}}}",
	        "bad address");
	parse_bad("{\"chassis\":{\"cluster\":{\"heartbeat-interval\":\"x\"}}}", "not a number");
	parse_bad("{\"chassis\":{\"cluster\":{\"heartbeat-interval\":-1}}}", "not a number");

	/* More interface monitors than the engine holds. */
	char buf[8192];
	size_t off = (size_t)snprintf(buf, sizeof(buf),
	                              "{\"chassis\":{\"cluster\":{\"redundancy-group\":[" PRIO(
	                                      1, 1, 2) ",\"interface-monitor\":[");
	for (int i = 0; i <= RG_MAX_IFMON; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		                        "%s{\"name\":\"ge%d\",\"weight\":1}", i ? "," : "", i);
	snprintf(buf + off, sizeof(buf) - off, "]}]}}}");
	parse_bad(buf, "interface-monitor entries");
}

/* ------------------------------------------------------------ link-local addresses */

static void test_link_addr(void **state)
{
	char s[INET_ADDRSTRLEN];
	struct in_addr a;

	(void)state;
	a = cl_link_addr(1, 0, 0);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof(s)), "169.254.1.1");
	a = cl_link_addr(1, 0, 1);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof(s)), "169.254.1.2");
	a = cl_link_addr(1, 1, 0);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof(s)), "169.254.1.5");
	a = cl_link_addr(255, CL_LL_SLOT_FABRIC, 1);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof(s)), "169.254.255.10");
	/* Each pair shares a /30 of its own: 0-3, 4-7, 8-11. */
	for (unsigned slot = 0; slot < 3; slot++) {
		uint32_t x = ntohl(cl_link_addr(7, slot, 0).s_addr);
		uint32_t y = ntohl(cl_link_addr(7, slot, 1).s_addr);
		assert_int_equal(x & ~3u, y & ~3u);
		assert_int_equal(x & ~3u, (169u << 24 | 254u << 16 | 7u << 8) + 4 * slot);
		assert_true((x & 3u) != 0 && (x & 3u) != 3 && (y & 3u) != 0 && (y & 3u) != 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_full_example), cmocka_unit_test(test_valid_examples_validate),
	        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_numbers_as_strings),
	        cmocka_unit_test(test_interfaces),   cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_link_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
