/*
 * mgd/conf: the Junos syntax engine. set/delete/activate round trips,
 * curly <-> set <-> curly, every edit error path, groups + apply-groups +
 * ${node}, inactive, choice exclusivity, leaf-lists, secrets, canonical
 * values, validation messages, load modes, diff, completion, JSON subtrees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/mgd/conf.h"

static struct conf_ctx *cx;

static const char *yang_dir(void)
{
	const char *d = getenv("KEEL_YANG_DIR");

	return d ? d : "yang";
}

static int setup(void **state)
{
	char err[CONF_ERR_LEN];

	cx = conf_ctx_new(yang_dir(), err, sizeof(err));
	if (!cx)
		fprintf(stderr, "conf_ctx_new: %s\n", err);
	return cx ? 0 : -1;
}

static int teardown(void **state)
{
	conf_ctx_free(cx);
	return 0;
}

/* Splits a line into words on spaces (tests use no quoted words here). */
static size_t split(char *line, const char **w, size_t max)
{
	size_t n = 0;
	char *save, *t;

	for (t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return n;
}

/* Runs one CLI line ("set ...", "delete ...", "deactivate ...") at the top. */
static int run(struct conf *c, const char *line, char *err)
{
	char buf[1024];
	const char *w[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = split(buf, w, 64);
	err[0] = '\0';
	if (!strcmp(w[0], "set"))
		return conf_set(c, NULL, 0, w + 1, n - 1, err, CONF_ERR_LEN);
	if (!strcmp(w[0], "delete"))
		return conf_delete(c, NULL, 0, w + 1, n - 1, err, CONF_ERR_LEN);
	if (!strcmp(w[0], "activate") || !strcmp(w[0], "deactivate"))
		return conf_activate(c, NULL, 0, w + 1, n - 1, w[0][0] == 'a', err, CONF_ERR_LEN);
	return -1;
}

static void ok(struct conf *c, const char *line)
{
	char err[CONF_ERR_LEN];

	if (run(c, line, err))
		fail_msg("'%s' failed: %s", line, err);
}

static void bad(struct conf *c, const char *line, const char *expect)
{
	char err[CONF_ERR_LEN];

	assert_int_equal(run(c, line, err), -1);
	if (!strstr(err, expect))
		fail_msg("'%s': got '%s', expected '%s'", line, err, expect);
}

static char *show(const struct conf *c, enum conf_fmt fmt)
{
	char err[CONF_ERR_LEN], *out = NULL;

	assert_int_equal(conf_print(c, NULL, 0, fmt, false, &out, err, sizeof(err)), 0);
	return out;
}

static void expect_text(const struct conf *c, enum conf_fmt fmt, const char *want)
{
	char *got = show(c, fmt);

	if (strcmp(got, want))
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static struct conf *load(const char *text, enum conf_load mode)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN];
	int line;

	if (conf_load(c, mode, text, NULL, 0, &line, err, sizeof(err)))
		fail_msg("load failed at line %d: %s", line, err);
	return c;
}

static void test_set_and_print(void **state)
{
	struct conf *c = conf_new(cx);

	ok(c, "set system host-name r1");
	ok(c, "set interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(c, "set interfaces eth1 description uplink");
	ok(c, "set vlans v10 vlan-id 10");
	ok(c, "set interfaces eth1 unit 0 family inet6");
	expect_text(c, CONF_FMT_TEXT,
	            "system {\n"
	            "    host-name r1;\n"
	            "}\n"
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        description uplink;\n"
	            "        unit 0 {\n"
	            "            family inet {\n"
	            "                address 10.0.0.1/24;\n"
	            "            }\n"
	            "            family inet6;\n"
	            "        }\n"
	            "    }\n"
	            "}\n"
	            "vlans {\n"
	            "    v10 {\n"
	            "        vlan-id 10;\n"
	            "    }\n"
	            "}\n");
	expect_text(c, CONF_FMT_SET,
	            "set system host-name r1\n"
	            "set interfaces eth1 description uplink\n"
	            "set interfaces eth1 unit 0 family inet address 10.0.0.1/24\n"
	            "set interfaces eth1 unit 0 family inet6\n"
	            "set vlans v10 vlan-id 10\n");
	/* A leaf set twice keeps the last value. */
	ok(c, "set system host-name r2");
	expect_text(c, CONF_FMT_SET,
	            "set system host-name r2\n"
	            "set interfaces eth1 description uplink\n"
	            "set interfaces eth1 unit 0 family inet address 10.0.0.1/24\n"
	            "set interfaces eth1 unit 0 family inet6\n"
	            "set vlans v10 vlan-id 10\n");
	conf_free(c);
}

static void test_edit_level_and_abbrev(void **state)
{
	struct conf *c = conf_new(cx);
	const char *path[] = {"interfaces", "eth1", "unit", "0"};
	const char *w1[] = {"family", "inet", "address", "10.0.0.1/24"};
	const char *abbr[] = {"int", "eth2", "desc", "x"};
	char err[CONF_ERR_LEN], **canon;
	size_t n;

	assert_int_equal(conf_set(c, path, 4, w1, 4, err, sizeof(err)), 0);
	assert_int_equal(conf_set(c, NULL, 0, abbr, 4, err, sizeof(err)), 0);
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 unit 0 family inet address 10.0.0.1/24\n"
	            "set interfaces eth2 description x\n");
	{
		const char *p[] = {"rout", "stat", "route", "10.1.2.3/8"};

		assert_int_equal(conf_resolve_path(c, p, 4, &canon, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 4);
		assert_string_equal(canon[0], "routing-options");
		assert_string_equal(canon[1], "static");
		assert_string_equal(canon[3], "10.0.0.0/8");
		for (size_t i = 0; i < n; i++)
			free(canon[i]);
		free(canon);
	}
	{
		const char *p[] = {"system", "host-name"};

		assert_int_equal(conf_resolve_path(c, p, 2, &canon, &n, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not a container"));
	}
	conf_free(c);
}

static void test_set_errors(void **state)
{
	struct conf *c = conf_new(cx);
	char *before, *after;

	ok(c, "set system host-name r1");
	before = show(c, CONF_FMT_SET);
	bad(c, "set vlans v10 vlan-id 5000", "invalid value '5000' for vlan-id: range 1..4094");
	bad(c, "set interfaces eth1 mtu 10", "invalid value '10' for mtu: range 68..65535");
	bad(c, "set interfaces eth1 bogus 1", "syntax error at 'bogus'");
	bad(c, "set interfaces", "syntax error, expecting <statement>");
	bad(c, "set interfaces eth1 unit", "syntax error, expecting <unit-number>");
	bad(c, "set vlans v10 vlan-id", "syntax error, expecting <vlan-id>");
	bad(c, "set interfaces eth.1", "An interface name is a Linux name");
	bad(c, "set interfaces eth1 d x", "'d' is ambiguous");
	bad(c, "set interfaces eth1 unit 0 family", "syntax error, expecting <statement>");
	bad(c, "set routing-options static route 10.0.0.0/33 discard", "invalid value");
	bad(c, "set protocols bfd session 10.0.0.1 authentication algorithm sha-256",
	    "invalid value 'sha-256' for algorithm");
	bad(c, "set interfaces eth2 unit 0 family ethernet-switching vlan members [ a b",
	    "expecting ']'");
	/* All or nothing: the half-valid line above created no eth2. */
	bad(c, "set interfaces eth3 mtu 1500 description", "expecting <description>");
	after = show(c, CONF_FMT_SET);
	assert_string_equal(before, after);
	free(before);
	free(after);
	conf_free(c);
}

static void test_delete(void **state)
{
	struct conf *c = conf_new(cx);

	ok(c, "set interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(c, "set interfaces eth1 mtu 1500");
	ok(c, "set vlans v10 vlan-id 10");
	ok(c, "set vlans v20 vlan-id 20");
	ok(c, "set interfaces eth2 unit 0 family ethernet-switching vlan members [ v10 v20 ]");
	ok(c, "delete interfaces eth2 unit 0 family ethernet-switching vlan members v10");
	bad(c, "delete interfaces eth2 unit 0 family ethernet-switching vlan members v30",
	    "warning: statement not found");
	bad(c, "delete interfaces eth9", "warning: statement not found");
	bad(c, "delete system host-name", "warning: statement not found");
	ok(c, "delete interfaces eth1 mtu");
	/* The last address goes with its empty family container; inet stays (presence). */
	ok(c, "delete interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 unit 0 family inet\n"
	            "set interfaces eth2 unit 0 family ethernet-switching vlan members v20\n"
	            "set vlans v10 vlan-id 10\n"
	            "set vlans v20 vlan-id 20\n");
	ok(c, "delete vlans");
	ok(c, "delete interfaces eth1");
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth2 unit 0 family ethernet-switching vlan members v20\n");
	ok(c, "delete interfaces eth2 unit 0 family ethernet-switching vlan members");
	/* vlan went with its last member; ethernet-switching is a presence container */
	expect_text(c, CONF_FMT_SET, "set interfaces eth2 unit 0 family ethernet-switching\n");
	conf_free(c);
}

static void test_inactive(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN], *json = NULL;
	struct lyd_node *tree = NULL;
	const char *paths[] = {"/keel-interfaces:interfaces"};

	ok(c, "set interfaces eth1 mtu 1500");
	ok(c, "set interfaces eth2 mtu 9000");
	ok(c, "set interfaces eth2 unit 0 family inet address 10.0.0.1/24");
	ok(c, "deactivate interfaces eth2");
	ok(c, "deactivate interfaces eth1 mtu");
	bad(c, "deactivate interfaces eth3", "warning: statement not found");
	expect_text(c, CONF_FMT_TEXT,
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        inactive: mtu 1500;\n"
	            "    }\n"
	            "    inactive: eth2 {\n"
	            "        mtu 9000;\n"
	            "        unit 0 {\n"
	            "            family inet {\n"
	            "                address 10.0.0.1/24;\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "}\n");
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 mtu 1500\n"
	            "deactivate interfaces eth1 mtu\n"
	            "set interfaces eth2 mtu 9000\n"
	            "set interfaces eth2 unit 0 family inet address 10.0.0.1/24\n"
	            "deactivate interfaces eth2\n");
	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths, 1, &json, err, sizeof(err)), 0);
	assert_null(strstr(json, "eth2"));
	assert_null(strstr(json, "1500"));
	assert_non_null(strstr(json, "\"eth1\""));
	free(json);
	lyd_free_all(tree);
	ok(c, "activate interfaces eth2");
	ok(c, "activate interfaces eth1 mtu");
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 mtu 1500\n"
	            "set interfaces eth2 mtu 9000\n"
	            "set interfaces eth2 unit 0 family inet address 10.0.0.1/24\n");
	conf_free(c);
}

static void test_choice(void **state)
{
	struct conf *c = conf_new(cx);

	ok(c, "set routing-options static route 10.1.0.0/16 next-hop 10.0.0.2");
	ok(c, "set routing-options static route 10.1.0.0/16 qualified-next-hop 10.0.0.3");
	ok(c, "set routing-options static route 10.1.0.0/16 preference 7");
	ok(c, "set routing-options static route 10.1.0.0/16 discard");
	expect_text(c, CONF_FMT_SET,
	            "set routing-options static route 10.1.0.0/16 discard\n"
	            "set routing-options static route 10.1.0.0/16 preference 7\n");
	ok(c, "set routing-options static route 10.1.0.0/16 reject");
	ok(c, "set protocols dot1x authenticator interface eth1 no-reauthentication");
	ok(c, "set protocols dot1x authenticator interface eth1 reauthentication 600");
	ok(c, "set system syslog file messages contents any notice");
	ok(c, "set system syslog file messages contents any info");
	expect_text(c, CONF_FMT_SET,
	            "set system syslog file messages any info\n"
	            "set routing-options static route 10.1.0.0/16 reject\n"
	            "set routing-options static route 10.1.0.0/16 preference 7\n"
	            "set protocols dot1x authenticator interface eth1 reauthentication 600\n");
	conf_free(c);
}

static void test_leaf_list(void **state)
{
	struct conf *c = conf_new(cx);

	ok(c, "set vlans v10 vlan-id 10");
	ok(c, "set interfaces eth1 unit 0 family ethernet-switching vlan members v10");
	expect_text(c, CONF_FMT_TEXT,
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        unit 0 {\n"
	            "            family ethernet-switching {\n"
	            "                vlan {\n"
	            "                    members v10;\n"
	            "                }\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "}\n"
	            "vlans {\n"
	            "    v10 {\n"
	            "        vlan-id 10;\n"
	            "    }\n"
	            "}\n");
	ok(c, "set interfaces eth1 unit 0 family ethernet-switching vlan members [ 20 100-200 ]");
	ok(c, "set interfaces eth1 unit 0 family ethernet-switching vlan members v10");
	ok(c, "set access profile p authentication-order radius");
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 unit 0 family ethernet-switching vlan members v10\n"
	            "set interfaces eth1 unit 0 family ethernet-switching vlan members 20\n"
	            "set interfaces eth1 unit 0 family ethernet-switching vlan members 100-200\n"
	            "set access profile p authentication-order radius\n"
	            "set vlans v10 vlan-id 10\n");
	{
		char *t = show(c, CONF_FMT_TEXT);

		assert_non_null(strstr(t, "members [ v10 20 100-200 ];\n"));
		free(t);
	}
	conf_free(c);
}

static void test_canonical_and_quoting(void **state)
{
	struct conf *c = conf_new(cx);
	const char *w[] = {"interfaces", "eth1", "description", "core link; \"A\" #1"};
	char err[CONF_ERR_LEN];
	struct conf *back;
	char *text;

	ok(c, "set routing-options static route 10.1.2.3/8 discard");
	ok(c, "set interfaces eth1 unit 0 family inet address 10.1.2.3/8");
	ok(c, "set routing-options rib inet6.0 static route 2001:DB8::1/48 discard");
	assert_int_equal(conf_set(c, NULL, 0, w, 4, err, sizeof(err)), 0);
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 description \"core link; \\\"A\\\" #1\"\n"
	            "set interfaces eth1 unit 0 family inet address 10.1.2.3/8\n"
	            "set routing-options static route 10.0.0.0/8 discard\n"
	            "set routing-options rib inet6.0 static route 2001:db8::/48 discard\n");
	/* The quoted form reads back to the same value. */
	text = show(c, CONF_FMT_TEXT);
	back = load(text, CONF_LOAD_OVERRIDE);
	assert_true(conf_equal(c, back));
	free(text);
	conf_free(back);
	conf_free(c);
}

static void test_secrets(void **state)
{
	struct conf *c = conf_new(cx), *back;
	char *ser = NULL, *json = NULL, err[CONF_ERR_LEN];

	ok(c, "set access radius-server 10.0.0.9 secret s3cr3t");
	expect_text(c, CONF_FMT_TEXT,
	            "access {\n"
	            "    radius-server 10.0.0.9 {\n"
	            "        secret \"<secret>\"; ## SECRET-DATA\n"
	            "    }\n"
	            "}\n");
	expect_text(c, CONF_FMT_SET, "set access radius-server 10.0.0.9 secret \"<secret>\"\n");
	assert_int_equal(conf_print(c, NULL, 0, CONF_FMT_JSON, false, &json, err, sizeof(err)), 0);
	assert_null(strstr(json, "s3cr3t"));
	assert_non_null(strstr(json, "<secret>"));
	assert_int_equal(conf_serialize(c, &ser), 0);
	assert_non_null(strstr(ser, "secret s3cr3t;"));
	back = conf_parse(cx, ser, err, sizeof(err));
	assert_non_null(back);
	assert_true(conf_equal(c, back));
	free(ser);
	free(json);
	conf_free(back);
	conf_free(c);
}

static const char full_curly[] = "/* a realistic config */\n"
                                 "system {\n"
                                 "    host-name fw-a;   # the node's name\n"
                                 "    syslog {\n"
                                 "        file messages {\n"
                                 "            contents any {\n"
                                 "                notice;\n"
                                 "            }\n"
                                 "        }\n"
                                 "    }\n"
                                 "}\n"
                                 "chassis {\n"
                                 "    cluster {\n"
                                 "        reth-count 2;\n"
                                 "        redundancy-group 1 {\n"
                                 "            node 0 priority 200;\n"
                                 "            node 1 priority 100;\n"
                                 "            preempt;\n"
                                 "        }\n"
                                 "    }\n"
                                 "}\n"
                                 "interfaces {\n"
                                 "    eth1 {\n"
                                 "        unit 0 {\n"
                                 "            family {\n"
                                 "                inet {\n"
                                 "                    address 10.0.0.1/24 {\n"
                                 "                        primary;\n"
                                 "                    }\n"
                                 "                }\n"
                                 "            }\n"
                                 "        }\n"
                                 "    }\n"
                                 "    inactive: eth2 {\n"
                                 "        mtu 9000;\n"
                                 "    }\n"
                                 "}\n"
                                 "routing-options {\n"
                                 "    static {\n"
                                 "        route 0.0.0.0/0 next-hop 10.0.0.254;\n"
                                 "        route 10.9.0.0/16 discard;\n"
                                 "    }\n"
                                 "}\n"
                                 "vlans {\n"
                                 "    v10 {\n"
                                 "        vlan-id 10;\n"
                                 "    }\n"
                                 "}\n";

static void test_round_trip(void **state)
{
	struct conf *a = load(full_curly, CONF_LOAD_OVERRIDE), *b, *c2;
	char *text = show(a, CONF_FMT_TEXT), *set = show(a, CONF_FMT_SET), *text2, *ser = NULL;

	/* curly -> set -> curly */
	b = load(set, CONF_LOAD_SET);
	text2 = show(b, CONF_FMT_TEXT);
	assert_string_equal(text, text2);
	assert_true(conf_equal(a, b));
	/* display -> load -> display is a fixed point */
	assert_int_equal(conf_serialize(a, &ser), 0);
	c2 = load(ser, CONF_LOAD_OVERRIDE);
	assert_true(conf_equal(a, c2));
	assert_non_null(strstr(text, "    inactive: eth2 {\n"));
	assert_non_null(strstr(text, "            node 0 priority 200;\n"));
	assert_non_null(strstr(set, "deactivate interfaces eth2\n"));
	assert_non_null(strstr(set, "set chassis cluster redundancy-group 1 preempt\n"));
	assert_non_null(strstr(set, "set routing-options static route 0.0.0.0/0 next-hop "
	                            "10.0.0.254\n"));
	free(text);
	free(text2);
	free(set);
	free(ser);
	conf_free(a);
	conf_free(b);
	conf_free(c2);
}

static void test_load_modes(void **state)
{
	struct conf *c = load("system { host-name a; domain-name x.net; }\n"
	                      "vlans { v1 { vlan-id 1; } }\n",
	                      CONF_LOAD_OVERRIDE);
	char err[CONF_ERR_LEN], *before = show(c, CONF_FMT_SET);
	int line;

	/* Errors leave the config untouched and name the line. */
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "system {\n host-name b;\n bogus 1;\n}\n",
	                           NULL, 0, &line, err, sizeof(err)),
	                 -1);
	assert_int_equal(line, 3);
	assert_non_null(strstr(err, "syntax error at 'bogus'"));
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "system {\n host-name b;\n", NULL, 0, &line,
	                           err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "missing '}'"));
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "system { host-name b }\n", NULL, 0, &line,
	                           err, sizeof(err)),
	                 -1);
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "}\n", NULL, 0, &line, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "unexpected '}'"));
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "system { host-name \"b;\n", NULL, 0, &line,
	                           err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "unterminated quoted string"));
	assert_int_equal(conf_load(c, CONF_LOAD_SET,
	                           "set system host-name b\nset vlans v1 vlan-id 0\n", NULL, 0,
	                           &line, err, sizeof(err)),
	                 -1);
	assert_int_equal(line, 2);
	{
		char *after = show(c, CONF_FMT_SET);

		assert_string_equal(before, after);
		free(after);
	}
	/* merge */
	assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "system { host-name b; }", NULL, 0, &line,
	                           err, sizeof(err)),
	                 0);
	expect_text(
	        c, CONF_FMT_SET,
	        "set system host-name b\nset system domain-name x.net\nset vlans v1 vlan-id 1\n");
	/* replace: the tagged subtree replaces its counterpart */
	assert_int_equal(conf_load(c, CONF_LOAD_REPLACE, "replace: system { host-name c; }", NULL,
	                           0, &line, err, sizeof(err)),
	                 0);
	expect_text(c, CONF_FMT_SET, "set system host-name c\nset vlans v1 vlan-id 1\n");
	/* relative to an edit level */
	{
		const char *p[] = {"vlans", "v1"};

		assert_int_equal(conf_load(c, CONF_LOAD_MERGE, "description \"first vlan\";", p, 2,
		                           &line, err, sizeof(err)),
		                 0);
		assert_int_equal(conf_load(c, CONF_LOAD_SET, "set vlan-id 2\n", p, 2, &line, err,
		                           sizeof(err)),
		                 0);
	}
	expect_text(c, CONF_FMT_SET,
	            "set system host-name c\nset vlans v1 vlan-id 2\n"
	            "set vlans v1 description \"first vlan\"\n");
	/* set text with edit/top, comments and deactivate */
	assert_int_equal(conf_load(c, CONF_LOAD_SET,
	                           "# comment\n\nedit interfaces eth1\nset mtu 1500\ntop\n"
	                           "deactivate vlans v1\n",
	                           NULL, 0, &line, err, sizeof(err)),
	                 0);
	expect_text(c, CONF_FMT_SET,
	            "set system host-name c\nset interfaces eth1 mtu 1500\nset vlans v1 vlan-id 2\n"
	            "set vlans v1 description \"first vlan\"\ndeactivate vlans v1\n");
	/* override */
	assert_int_equal(conf_load(c, CONF_LOAD_OVERRIDE, "vlans { v9 { vlan-id 9; } }", NULL, 0,
	                           &line, err, sizeof(err)),
	                 0);
	expect_text(c, CONF_FMT_SET, "set vlans v9 vlan-id 9\n");
	free(before);
	conf_free(c);
}

static void test_groups(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN], *json = NULL, *out = NULL;
	struct lyd_node *tree = NULL;
	const char *paths[] = {"/keel-interfaces:interfaces", "/keel-system:system"};

	ok(c, "set groups jumbo interfaces eth1 mtu 9000");
	ok(c, "set groups jumbo interfaces eth1 description from-group");
	ok(c, "set groups jumbo interfaces eth2 mtu 9000");
	ok(c, "set groups node0 system host-name fw-a");
	ok(c, "set groups node1 system host-name fw-b");
	ok(c, "set apply-groups jumbo");
	ok(c, "set apply-groups ${node}");
	ok(c, "set interfaces eth1 mtu 1500");
	ok(c, "set interfaces eth3 apply-groups deep");
	ok(c, "set groups deep interfaces eth3 mtu 1400");
	ok(c, "set groups deep2 interfaces eth3 mtu 1300");
	ok(c, "set interfaces eth3 apply-groups deep2");
	expect_text(c, CONF_FMT_TEXT,
	            "groups {\n"
	            "    jumbo {\n"
	            "        interfaces {\n"
	            "            eth1 {\n"
	            "                description from-group;\n"
	            "                mtu 9000;\n"
	            "            }\n"
	            "            eth2 {\n"
	            "                mtu 9000;\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "    node0 {\n"
	            "        system {\n"
	            "            host-name fw-a;\n"
	            "        }\n"
	            "    }\n"
	            "    node1 {\n"
	            "        system {\n"
	            "            host-name fw-b;\n"
	            "        }\n"
	            "    }\n"
	            "    deep {\n"
	            "        interfaces {\n"
	            "            eth3 {\n"
	            "                mtu 1400;\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "    deep2 {\n"
	            "        interfaces {\n"
	            "            eth3 {\n"
	            "                mtu 1300;\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "}\n"
	            "apply-groups [ jumbo \"${node}\" ];\n"
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        mtu 1500;\n"
	            "    }\n"
	            "    eth3 {\n"
	            "        apply-groups [ deep deep2 ];\n"
	            "    }\n"
	            "}\n");
	conf_ctx_set_node(cx, "node1");
	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths, 2, &json, err, sizeof(err)), 0);
	/* explicit wins (eth1 1500), inherited fills (description, eth2), ${node}
	 * picks node1, the deeper / first-listed group wins (eth3 1400). */
	assert_non_null(strstr(json, "\"name\": \"eth1\",\n        \"description\": \"from-group\","
	                             "\n        \"mtu\": 1500"));
	assert_non_null(strstr(json, "\"name\": \"eth2\",\n        \"mtu\": 9000"));
	assert_non_null(strstr(json, "\"name\": \"eth3\",\n        \"mtu\": 1400"));
	assert_non_null(strstr(json, "\"host-name\": \"fw-b\""));
	free(json);
	lyd_free_all(tree);
	/* | display inheritance */
	assert_int_equal(conf_print(c, NULL, 0, CONF_FMT_TEXT, true, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "    ##\n"
	                            "    ## 'eth2' was inherited from group 'jumbo'\n"
	                            "    ##\n"
	                            "    eth2 {\n"));
	assert_null(strstr(out, "groups {"));
	free(out);
	/* no node identity: ${node} applies nothing */
	conf_ctx_set_node(cx, NULL);
	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths + 1, 1, &json, err, sizeof(err)), 0);
	assert_null(strstr(json, "fw-"));
	free(json);
	lyd_free_all(tree);
	/* deactivated group applies nothing; undefined group is an error */
	ok(c, "deactivate groups jumbo");
	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths, 1, &json, err, sizeof(err)), 0);
	assert_null(strstr(json, "eth2"));
	free(json);
	lyd_free_all(tree);
	ok(c, "set interfaces eth1 apply-groups nope");
	assert_int_equal(conf_validate(c, err, sizeof(err)), -1);
	assert_string_equal(err, "[edit interfaces eth1] 'apply-groups nope': group not defined");
	ok(c, "delete interfaces eth1 apply-groups nope");
	ok(c, "delete groups deep2");
	bad(c, "delete groups deep2", "warning: statement not found");
	bad(c, "set groups deep apply-groups x", "not allowed at the top of a group");
	expect_text(c, CONF_FMT_SET,
	            "set groups jumbo interfaces eth1 description from-group\n"
	            "set groups jumbo interfaces eth1 mtu 9000\n"
	            "set groups jumbo interfaces eth2 mtu 9000\n"
	            "deactivate groups jumbo\n"
	            "set groups node0 system host-name fw-a\n"
	            "set groups node1 system host-name fw-b\n"
	            "set groups deep interfaces eth3 mtu 1400\n"
	            "set apply-groups jumbo\n"
	            "set apply-groups \"${node}\"\n"
	            "set interfaces eth1 mtu 1500\n"
	            "set interfaces eth3 apply-groups deep\n"
	            "set interfaces eth3 apply-groups deep2\n");
	conf_free(c);
}

static void test_validation_messages(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN];

	ok(c, "set access radius-server 10.0.0.9 port 1812");
	assert_int_equal(conf_validate(c, err, sizeof(err)), -1);
	assert_string_equal(err, "[edit access radius-server 10.0.0.9] 'secret': Mandatory node "
	                         "\"secret\" instance does not exist");
	ok(c, "set access radius-server 10.0.0.9 secret x");
	assert_int_equal(conf_validate(c, err, sizeof(err)), 0);
	ok(c, "set interfaces eth1 gigether-options redundant-parent eth2");
	ok(c, "set interfaces eth2");
	assert_int_equal(conf_validate(c, err, sizeof(err)), -1);
	assert_string_equal(err, "[edit interfaces eth1 gigether-options] 'redundant-parent eth2': "
	                         "redundant-parent must be a reth interface");
	ok(c, "delete interfaces");
	ok(c, "set interfaces eth1 unit 0 family ethernet-switching vlan members v10");
	assert_int_equal(conf_validate(c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[edit interfaces eth1 unit 0 family ethernet-switching vlan] "
	                            "'members v10': "));
	/* the inactive statement is not validated */
	ok(c, "deactivate interfaces eth1");
	assert_int_equal(conf_validate(c, err, sizeof(err)), 0);
	conf_free(c);
}

static void test_diff(void **state)
{
	struct conf *a = conf_new(cx), *b;
	char err[CONF_ERR_LEN], *out = NULL;

	ok(a, "set system host-name r1");
	ok(a, "set interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(a, "set vlans v20 vlan-id 20");
	b = conf_dup(a);
	assert_int_equal(conf_diff(a, b, NULL, 0, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "");
	free(out);
	ok(b, "set system host-name r2");
	ok(b, "delete interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(b, "set interfaces eth1 unit 0 family inet address 10.0.0.2/24");
	ok(b, "set vlans v10 vlan-id 10");
	ok(b, "deactivate vlans v20");
	assert_int_equal(conf_diff(a, b, NULL, 0, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "[edit system]\n"
	                         "-   host-name r1;\n"
	                         "+   host-name r2;\n"
	                         "[edit interfaces eth1 unit 0 family inet]\n"
	                         "-   address 10.0.0.1/24;\n"
	                         "+   address 10.0.0.2/24;\n"
	                         "[edit vlans]\n"
	                         "!   inactive: v20 { ... }\n"
	                         "+   v10 {\n"
	                         "+       vlan-id 10;\n"
	                         "+   }\n");
	free(out);
	{
		const char *p[] = {"interfaces", "eth1"}, *pv[] = {"vlans", "v10"};

		assert_int_equal(conf_diff(a, b, p, 2, &out, err, sizeof(err)), 0);
		assert_string_equal(out, "[edit interfaces eth1 unit 0 family inet]\n"
		                         "-   address 10.0.0.1/24;\n"
		                         "+   address 10.0.0.2/24;\n");
		free(out);
		assert_int_equal(conf_diff(a, b, pv, 2, &out, err, sizeof(err)), 0);
		assert_string_equal(out, "[edit vlans]\n"
		                         "+   v10 {\n"
		                         "+       vlan-id 10;\n"
		                         "+   }\n");
		free(out);
	}
	ok(b, "set routing-options static route 10.0.0.0/8 next-hop [ 1.1.1.1 2.2.2.2 ]");
	ok(b, "delete system");
	ok(b, "delete vlans v20");
	ok(b, "delete vlans v10");
	ok(b, "delete interfaces");
	assert_int_equal(conf_diff(a, b, NULL, 0, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "[edit]\n"
	                         "-   system {\n"
	                         "-       host-name r1;\n"
	                         "-   }\n"
	                         "-   interfaces {\n"
	                         "-       eth1 {\n"
	                         "-           unit 0 {\n"
	                         "-               family inet {\n"
	                         "-                   address 10.0.0.1/24;\n"
	                         "-               }\n"
	                         "-           }\n"
	                         "-       }\n"
	                         "-   }\n"
	                         "+   routing-options {\n"
	                         "+       static {\n"
	                         "+           route 10.0.0.0/8 next-hop [ 1.1.1.1 2.2.2.2 ];\n"
	                         "+       }\n"
	                         "+   }\n"
	                         "-   vlans {\n"
	                         "-       v20 {\n"
	                         "-           vlan-id 20;\n"
	                         "-       }\n"
	                         "-   }\n");
	free(out);
	conf_free(a);
	conf_free(b);
}

/* Display -> load -> display is a fixed point, and the config survives it. */
static void expect_reload(const struct conf *c)
{
	char *text = NULL, *again;
	struct conf *r;

	assert_int_equal(conf_serialize(c, &text), 0);
	r = load(text, CONF_LOAD_OVERRIDE);
	assert_true(conf_equal(c, r));
	again = show(r, CONF_FMT_TEXT);
	free(text);
	text = show(c, CONF_FMT_TEXT);
	assert_string_equal(text, again);
	free(text);
	free(again);
	conf_free(r);
}

static void diff_is(const struct conf *a, const struct conf *b, const char *const *path, size_t n,
                    const char *want)
{
	char err[CONF_ERR_LEN], *out = NULL;

	assert_int_equal(conf_diff(a, b, path, n, &out, err, sizeof(err)), 0);
	if (strcmp(out, want))
		fail_msg("diff got:\n%s\nwant:\n%s", out, want);
	free(out);
}

/* kt:flatten: `family inet {` on one line; the nested form still loads. */
static void test_flatten(void **state)
{
	struct conf *c = conf_new(cx), *nested, *flat, *b;
	const char *p_inet6[] = {"interfaces", "eth1", "unit", "0", "family", "inet6"};
	const char *p_fam[] = {"interfaces", "eth1", "unit", "0", "family"};

	ok(c, "set vlans v10 vlan-id 10");
	ok(c, "set interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(c, "set interfaces eth1 unit 0 family inet6 address 2001:db8::1/64");
	ok(c, "set interfaces eth2 unit 0 family ethernet-switching vlan members v10");
	expect_text(c, CONF_FMT_TEXT,
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        unit 0 {\n"
	            "            family inet {\n"
	            "                address 10.0.0.1/24;\n"
	            "            }\n"
	            "            family inet6 {\n"
	            "                address 2001:db8::1/64;\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "    eth2 {\n"
	            "        unit 0 {\n"
	            "            family ethernet-switching {\n"
	            "                vlan {\n"
	            "                    members v10;\n"
	            "                }\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "}\n"
	            "vlans {\n"
	            "    v10 {\n"
	            "        vlan-id 10;\n"
	            "    }\n"
	            "}\n");
	/* set lines keep every keyword */
	expect_text(c, CONF_FMT_SET,
	            "set interfaces eth1 unit 0 family inet address 10.0.0.1/24\n"
	            "set interfaces eth1 unit 0 family inet6 address 2001:db8::1/64\n"
	            "set interfaces eth2 unit 0 family ethernet-switching vlan members v10\n"
	            "set vlans v10 vlan-id 10\n");
	/* both curly forms load to the same config */
	flat = load("interfaces { eth1 { unit 0 { family inet { address 10.0.0.1/24; }\n"
	            "family inet6 { address 2001:db8::1/64; } } }\n"
	            "eth2 { unit 0 { family ethernet-switching { vlan { members v10; } } } } }\n"
	            "vlans { v10 { vlan-id 10; } }\n",
	            CONF_LOAD_OVERRIDE);
	nested = load(
	        "interfaces { eth1 { unit 0 { family { inet { address 10.0.0.1/24; }\n"
	        "inet6 { address 2001:db8::1/64; } } } }\n"
	        "eth2 { unit 0 { family { ethernet-switching { vlan { members v10; } } } } } }\n"
	        "vlans { v10 { vlan-id 10; } }\n",
	        CONF_LOAD_OVERRIDE);
	assert_true(conf_equal(c, flat));
	assert_true(conf_equal(c, nested));
	expect_reload(c);

	/* diff headers name the family, added families are `family X` statements */
	b = conf_dup(c);
	ok(b, "delete interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(b, "set interfaces eth1 unit 0 family inet address 10.0.0.2/24");
	ok(b, "delete interfaces eth1 unit 0 family inet6");
	ok(b, "set interfaces eth3 unit 0 family inet");
	diff_is(c, b, NULL, 0,
	        "[edit interfaces eth1 unit 0 family inet]\n"
	        "-   address 10.0.0.1/24;\n"
	        "+   address 10.0.0.2/24;\n"
	        "[edit interfaces eth1 unit 0]\n"
	        "-   family inet6 {\n"
	        "-       address 2001:db8::1/64;\n"
	        "-   }\n"
	        "[edit interfaces]\n"
	        "+   eth3 {\n"
	        "+       unit 0 {\n"
	        "+           family inet;\n"
	        "+       }\n"
	        "+   }\n");
	/* below a path: the target's statement at its parent's level */
	diff_is(c, b, p_inet6, 6,
	        "[edit interfaces eth1 unit 0]\n"
	        "-   family inet6 {\n"
	        "-       address 2001:db8::1/64;\n"
	        "-   }\n");
	diff_is(c, b, p_fam, 5,
	        "[edit interfaces eth1 unit 0 family inet]\n"
	        "-   address 10.0.0.1/24;\n"
	        "+   address 10.0.0.2/24;\n"
	        "[edit interfaces eth1 unit 0]\n"
	        "-   family inet6 {\n"
	        "-       address 2001:db8::1/64;\n"
	        "-   }\n");
	conf_free(b);

	/* inactive: on a family, and on the family container itself (nested) */
	ok(c, "deactivate interfaces eth1 unit 0 family inet6");
	ok(c, "deactivate interfaces eth2 unit 0 family");
	{
		char *t = show(c, CONF_FMT_TEXT);

		assert_non_null(strstr(t, "            family inet {\n"
		                          "                address 10.0.0.1/24;\n"
		                          "            }\n"
		                          "            inactive: family inet6 {\n"));
		assert_non_null(strstr(t, "            inactive: family {\n"
		                          "                ethernet-switching {\n"));
		free(t);
	}
	expect_reload(c);
	b = conf_dup(c);
	ok(b, "activate interfaces eth1 unit 0 family inet6");
	diff_is(c, b, NULL, 0,
	        "[edit interfaces eth1 unit 0]\n"
	        "!   active: family inet6 { ... }\n");
	conf_free(b);
	conf_free(flat);
	conf_free(nested);
	conf_free(c);
}

/* kt:oneliner: one statement besides the key is one line, more is a block. */
static void test_oneliner(void **state)
{
	struct conf *c = conf_new(cx), *b, *l;
	const char *p_route[] = {"routing-options", "static", "route", "10.0.0.0/8"};

	ok(c, "set chassis cluster redundancy-group 1 node 0 priority 200");
	ok(c, "set chassis cluster redundancy-group 1 node 1 priority 100");
	ok(c, "set chassis cluster redundancy-group 1 interface-monitor ge0 weight 255");
	ok(c,
	   "set chassis cluster redundancy-group 1 ip-monitoring family inet 10.1.1.1 weight 100");
	ok(c, "set routing-options static route 10.0.0.0/8 next-hop 192.0.2.1");
	ok(c, "set routing-options static route 10.9.0.0/16 discard");
	ok(c, "set routing-options static route 10.8.0.0/16 next-hop [ 192.0.2.1 192.0.2.2 ]");
	ok(c, "set routing-options static route 10.7.0.0/16 next-hop 192.0.2.1");
	ok(c, "set routing-options static route 10.7.0.0/16 preference 7");
	/* a list without the mark stays a block */
	ok(c, "set interfaces eth1 description x");
	expect_text(c, CONF_FMT_TEXT,
	            "chassis {\n"
	            "    cluster {\n"
	            "        redundancy-group 1 {\n"
	            "            node 0 priority 200;\n"
	            "            node 1 priority 100;\n"
	            "            interface-monitor ge0 weight 255;\n"
	            "            ip-monitoring {\n"
	            "                family {\n"
	            "                    inet {\n"
	            "                        10.1.1.1 weight 100;\n"
	            "                    }\n"
	            "                }\n"
	            "            }\n"
	            "        }\n"
	            "    }\n"
	            "}\n"
	            "interfaces {\n"
	            "    eth1 {\n"
	            "        description x;\n"
	            "    }\n"
	            "}\n"
	            "routing-options {\n"
	            "    static {\n"
	            "        route 10.0.0.0/8 next-hop 192.0.2.1;\n"
	            "        route 10.9.0.0/16 discard;\n"
	            "        route 10.8.0.0/16 next-hop [ 192.0.2.1 192.0.2.2 ];\n"
	            "        route 10.7.0.0/16 {\n"
	            "            next-hop 192.0.2.1;\n"
	            "            preference 7;\n"
	            "        }\n"
	            "    }\n"
	            "}\n");
	expect_text(c, CONF_FMT_SET,
	            "set chassis cluster redundancy-group 1 node 0 priority 200\n"
	            "set chassis cluster redundancy-group 1 node 1 priority 100\n"
	            "set chassis cluster redundancy-group 1 interface-monitor ge0 weight 255\n"
	            "set chassis cluster redundancy-group 1 ip-monitoring family inet 10.1.1.1 "
	            "weight 100\n"
	            "set interfaces eth1 description x\n"
	            "set routing-options static route 10.0.0.0/8 next-hop 192.0.2.1\n"
	            "set routing-options static route 10.9.0.0/16 discard\n"
	            "set routing-options static route 10.8.0.0/16 next-hop 192.0.2.1\n"
	            "set routing-options static route 10.8.0.0/16 next-hop 192.0.2.2\n"
	            "set routing-options static route 10.7.0.0/16 next-hop 192.0.2.1\n"
	            "set routing-options static route 10.7.0.0/16 preference 7\n");
	expect_reload(c);
	/* the loader takes both forms */
	l = load("routing-options { static { route 10.0.0.0/8 next-hop 192.0.2.1;\n"
	         "route 10.9.0.0/16 { discard; } } }\n",
	         CONF_LOAD_OVERRIDE);
	expect_text(l, CONF_FMT_SET,
	            "set routing-options static route 10.0.0.0/8 next-hop 192.0.2.1\n"
	            "set routing-options static route 10.9.0.0/16 discard\n");
	conf_free(l);

	/* inactive: belongs to the entry on its one line, and to the leaf in a block */
	ok(c, "deactivate chassis cluster redundancy-group 1 node 1");
	ok(c, "deactivate routing-options static route 10.0.0.0/8 next-hop");
	{
		char *t = show(c, CONF_FMT_TEXT);

		assert_non_null(strstr(t, "            inactive: node 1 priority 100;\n"));
		assert_non_null(strstr(t, "        route 10.0.0.0/8 {\n"
		                          "            inactive: next-hop 192.0.2.1;\n"
		                          "        }\n"));
		free(t);
	}
	expect_reload(c);
	l = load("chassis { cluster { redundancy-group 1 { inactive: node 0 priority 5; } } }\n",
	         CONF_LOAD_OVERRIDE);
	expect_text(l, CONF_FMT_SET,
	            "set chassis cluster redundancy-group 1 node 0 priority 5\n"
	            "deactivate chassis cluster redundancy-group 1 node 0\n");
	conf_free(l);
	ok(c, "activate chassis cluster redundancy-group 1 node 1");
	ok(c, "activate routing-options static route 10.0.0.0/8 next-hop");

	/* a oneliner changes as a whole line; a block still descends */
	b = conf_dup(c);
	ok(b, "set chassis cluster redundancy-group 1 node 0 priority 150");
	ok(b, "set routing-options static route 10.7.0.0/16 preference 9");
	ok(b, "set routing-options static route 10.9.0.0/16 preference 9");
	diff_is(c, b, NULL, 0,
	        "[edit chassis cluster redundancy-group 1]\n"
	        "-   node 0 priority 200;\n"
	        "+   node 0 priority 150;\n"
	        "[edit routing-options static]\n"
	        "-   route 10.9.0.0/16 discard;\n"
	        "+   route 10.9.0.0/16 {\n"
	        "+       discard;\n"
	        "+       preference 9;\n"
	        "+   }\n"
	        "[edit routing-options static route 10.7.0.0/16]\n"
	        "-   preference 7;\n"
	        "+   preference 9;\n");
	conf_free(b);
	b = conf_dup(c);
	ok(b, "set routing-options static route 10.0.0.0/8 next-hop 192.0.2.9");
	diff_is(c, b, p_route, 4,
	        "[edit routing-options static]\n"
	        "-   route 10.0.0.0/8 next-hop 192.0.2.1;\n"
	        "+   route 10.0.0.0/8 next-hop [ 192.0.2.1 192.0.2.9 ];\n");
	conf_free(b);
	conf_free(c);
}

/* syslog contents is kt:implicit-keyword: `file messages any notice`. */
static void test_syslog_contents(void **state)
{
	struct conf *c = conf_new(cx), *old;

	ok(c, "set system syslog file messages any notice");
	ok(c, "set system syslog file messages authorization info");
	ok(c, "set system syslog host 192.0.2.50 port 514");
	ok(c, "set system syslog host 192.0.2.50 daemon warning");
	/* the list's own keyword, as configs saved before spelled it */
	ok(c, "set system syslog file messages contents authorization any");
	bad(c, "set system syslog file messages bogus notice",
	    "invalid value 'bogus' for contents");
	expect_text(c, CONF_FMT_TEXT,
	            "system {\n"
	            "    syslog {\n"
	            "        file messages {\n"
	            "            any notice;\n"
	            "            authorization any;\n"
	            "        }\n"
	            "        host 192.0.2.50 {\n"
	            "            port 514;\n"
	            "            daemon warning;\n"
	            "        }\n"
	            "    }\n"
	            "}\n");
	expect_text(c, CONF_FMT_SET,
	            "set system syslog file messages any notice\n"
	            "set system syslog file messages authorization any\n"
	            "set system syslog host 192.0.2.50 port 514\n"
	            "set system syslog host 192.0.2.50 daemon warning\n");
	expect_reload(c);
	old = load("system { syslog { file messages { contents any { notice; }\n"
	           "contents authorization { any; } }\n"
	           "host 192.0.2.50 { port 514; contents daemon { warning; } } } }\n",
	           CONF_LOAD_OVERRIDE);
	assert_true(conf_equal(c, old));
	conf_free(old);
	conf_free(c);
}

/* A list key is named after its list in errors, never "name". */
static void test_key_errors(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN], *out = NULL;
	const char *bogus[] = {"interfaces", "eth1", "bogus"};

	bad(c, "set interfaces eth1 unit 0 family inet address 300.1.1.1/24",
	    "invalid value '300.1.1.1/24' for address: ");
	bad(c, "set interfaces eth.1 mtu 1500", "invalid value 'eth.1' for interface: ");
	bad(c, "set vlans 1abc vlan-id 5", "invalid value '1abc' for vlan: ");
	bad(c, "set interfaces eth1 unit 99999", "invalid value '99999' for unit: range 0..16385");
	bad(c, "set routing-options static route 10.0.0.0/33 discard",
	    "invalid value '10.0.0.0/33' for route: ");
	bad(c, "set system syslog file messages emerg notice", "for contents: ");
	/* a leaf that is not a key keeps its own name */
	bad(c, "set vlans v10 vlan-id 5000", "invalid value '5000' for vlan-id: range 1..4094");

	/* a path that names nothing prints nothing (rc 1 says why) */
	ok(c, "set interfaces eth1 mtu 1500");
	assert_int_equal(conf_print(c, bogus, 3, CONF_FMT_TEXT, false, &out, err, sizeof(err)), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "bogus"));
	free(out);
	assert_int_equal(conf_print(c, bogus, 3, CONF_FMT_JSON, false, &out, err, sizeof(err)), 1);
	assert_string_equal(out, "{}\n");
	free(out);
	conf_free(c);
}

/* | display inheritance: a family from a group is marked on its own line. */
static void test_flatten_inherit(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN], *out = NULL;

	ok(c, "set groups g interfaces eth1 unit 0 family inet address 10.0.0.1/24");
	ok(c, "set groups g routing-options static route 10.0.0.0/8 preference 9");
	ok(c, "set interfaces eth1 unit 0 description local");
	ok(c, "set routing-options static route 10.0.0.0/8 next-hop 192.0.2.1");
	ok(c, "set apply-groups g");
	assert_int_equal(conf_print(c, NULL, 0, CONF_FMT_TEXT, true, &out, err, sizeof(err)), 0);
	if (!strstr(out, "        unit 0 {\n"
	                 "            description local;\n"
	                 "            ##\n"
	                 "            ## 'inet' was inherited from group 'g'\n"
	                 "            ##\n"
	                 "            family inet {\n"
	                 "                address 10.0.0.1/24;\n"
	                 "            }\n"))
		fail_msg("%s", out);
	/* a statement from the group keeps its comment: the entry is a block */
	if (!strstr(out, "        route 10.0.0.0/8 {\n"
	                 "            next-hop 192.0.2.1;\n"
	                 "            ##\n"
	                 "            ## '9' was inherited from group 'g'\n"
	                 "            ##\n"
	                 "            preference 9;\n"
	                 "        }\n"))
		fail_msg("%s", out);
	free(out);
	conf_free(c);
}

struct choices {
	char buf[8192];
};

static void collect(void *arg, const char *word, const char *help, bool value, bool container)
{
	struct choices *ch = arg;
	size_t n = strlen(ch->buf);

	snprintf(ch->buf + n, sizeof(ch->buf) - n, "%s%s|%s\n", value ? "=" : "", word, help);
}

static char *complete(const struct conf *c, const char *verb, const char *line)
{
	static struct choices ch;
	char buf[512];
	const char *w[32];
	size_t n = 0;

	ch.buf[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", line);
	if (*buf)
		n = split(buf, w, 32);
	assert_int_equal(conf_complete(c, verb, NULL, 0, w, n, collect, &ch), 0);
	return ch.buf;
}

static void test_complete(void **state)
{
	struct conf *c = conf_new(cx);
	char *r;

	ok(c, "set interfaces eth1 mtu 1500");
	ok(c, "set interfaces eth7 mtu 1500");
	ok(c, "set vlans v10 vlan-id 10");
	r = complete(c, "set", "");
	assert_non_null(strstr(r, "groups|Configuration groups\n"));
	assert_non_null(strstr(r, "interfaces|Interface configuration (Junos 'interfaces')\n"));
	assert_non_null(strstr(r, "system|"));
	assert_non_null(strstr(r, "vlans|"));
	r = complete(c, "set", "interfaces");
	assert_non_null(strstr(r, "=<interface-name>|One interface, named as in Linux: "
	                          "'interfaces eth1 ...'\n"));
	assert_non_null(strstr(r, "eth1|"));
	assert_non_null(strstr(r, "eth7|"));
	r = complete(c, "set", "vlans v10 vlan-id");
	assert_non_null(
	        strstr(r, "=<vlan-id>|802.1Q VLAN ID 1..4094, unique among VLANs (1..4094)\n"));
	r = complete(c, "set", "interfaces eth1 unit 0 family ethernet-switching interface-mode");
	assert_non_null(strstr(r, "access|"));
	assert_non_null(strstr(r, "trunk|"));
	assert_null(strstr(r, "=<"));
	r = complete(c, "set", "interfaces eth1 unit 0 family ethernet-switching vlan members");
	assert_non_null(strstr(r, "[|"));
	assert_non_null(strstr(r, "all|"));
	r = complete(c, "delete", "");
	assert_non_null(strstr(r, "interfaces|"));
	assert_non_null(strstr(r, "vlans|"));
	assert_null(strstr(r, "system|"));
	r = complete(c, "delete", "interfaces eth1");
	assert_non_null(strstr(r, "mtu|"));
	assert_null(strstr(r, "description|"));
	r = complete(c, "delete", "interfaces");
	assert_null(strstr(r, "=<interface-name>"));
	assert_non_null(strstr(r, "eth7|"));
	r = complete(c, "edit", "interfaces eth1");
	assert_null(strstr(r, "mtu|"));
	assert_non_null(strstr(r, "unit|"));
	r = complete(c, "set", "chassis cluster redundancy-group 1 ip-monitoring family inet");
	assert_non_null(strstr(r, "=<ipv4-address-no-zone>|"));
	r = complete(c, "set", "routing-options static route 10.0.0.0/8");
	assert_non_null(strstr(r, "next-hop|"));
	assert_non_null(strstr(r, "discard|"));
	assert_non_null(strstr(r, "qualified-next-hop|"));
	/* an enum key (implicit syslog contents) offers its values, no placeholder */
	r = complete(c, "set", "system syslog file messages");
	assert_non_null(strstr(r, "any|All facilities\n"));
	assert_non_null(strstr(r, "daemon|The keel daemons\n"));
	assert_null(strstr(r, "=<"));
	r = complete(c, "set", "system syslog file messages daemon");
	assert_non_null(strstr(r, "notice|Notice and above\n"));
	r = complete(c, "set", "routing-options rib");
	assert_non_null(strstr(r, "inet6.0|"));
	assert_int_equal(conf_complete(c, "set", NULL, 0, (const char *[]){"bogus"}, 1, collect,
	                               &(struct choices){0}),
	                 -1);
	conf_free(c);
}

static void test_subtree_json(void **state)
{
	struct conf *c = conf_new(cx);
	char err[CONF_ERR_LEN], *json = NULL;
	struct lyd_node *tree = NULL;
	const char *paths[] = {"/keel-vlans:vlans", "/keel-access:access"};

	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths, 2, &json, err, sizeof(err)), 0);
	assert_string_equal(json, "{}");
	free(json);
	lyd_free_all(tree);
	ok(c, "set vlans v10 vlan-id 10");
	ok(c, "set system host-name r1");
	ok(c, "set access radius-server 10.0.0.9 secret s");
	assert_int_equal(conf_expand(c, &tree, err, sizeof(err)), 0);
	assert_int_equal(conf_subtree_json(tree, paths, 2, &json, err, sizeof(err)), 0);
	assert_non_null(strstr(json, "\"keel-vlans:vlans\""));
	assert_non_null(strstr(json, "\"secret\": \"s\"")); /* daemons get the real value */
	assert_non_null(strstr(json, "\"port\": 1812"));    /* defaults are included */
	assert_null(strstr(json, "host-name"));
	free(json);
	lyd_free_all(tree);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_and_print),
	        cmocka_unit_test(test_edit_level_and_abbrev),
	        cmocka_unit_test(test_set_errors),
	        cmocka_unit_test(test_delete),
	        cmocka_unit_test(test_inactive),
	        cmocka_unit_test(test_choice),
	        cmocka_unit_test(test_leaf_list),
	        cmocka_unit_test(test_canonical_and_quoting),
	        cmocka_unit_test(test_secrets),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_load_modes),
	        cmocka_unit_test(test_groups),
	        cmocka_unit_test(test_validation_messages),
	        cmocka_unit_test(test_diff),
	        cmocka_unit_test(test_flatten),
	        cmocka_unit_test(test_oneliner),
	        cmocka_unit_test(test_syslog_contents),
	        cmocka_unit_test(test_key_errors),
	        cmocka_unit_test(test_flatten_inherit),
	        cmocka_unit_test(test_complete),
	        cmocka_unit_test(test_subtree_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
