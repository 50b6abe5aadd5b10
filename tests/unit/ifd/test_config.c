/*
 * ifd's `interfaces` config: parsing (RFC 7951 JSON -> ifd_conf), the pure
 * plan (old, new, kernel) -> actions, and, in a private network namespace
 * when run as root, its execution against the real kernel.
 *
 * The kernel side is given as plat structs, so each diff rule is checked
 * without a kernel: only what the commit changed is touched, an address in
 * both configs is never removed and re-added, an address the config never
 * held is never removed, a removed interface loses its addresses and
 * description but keeps MTU and admin state, an absent interface is
 * applied when it appears, and a matching kernel gets an empty plan.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/ifd/ifd.h"

/* ------------------------------------------------------------ helpers */

static void conf_from(const char *json, struct ifd_conf *c)
{
	struct json_object *o = json_tokener_parse(json);
	char err[256] = "";

	assert_non_null(o);
	if (ifd_conf_parse(o, c, err, sizeof(err)) < 0)
		fail_msg("parse failed: %s", err);
	json_object_put(o);
}

static int conf_err(const char *json, char *err, size_t len)
{
	struct json_object *o = json_tokener_parse(json);
	struct ifd_conf c;
	int rc;

	assert_non_null(o);
	err[0] = '\0';
	rc = ifd_conf_parse(o, &c, err, len);
	if (rc == 0)
		ifd_conf_free(&c);
	json_object_put(o);
	return rc;
}

/* A kernel of up to 8 links and 16 addresses. */
struct kernel {
	struct plat_link links[8];
	struct plat_addr addrs[16];
	struct ifd_kstate k;
};

static struct plat_link *k_link(struct kernel *kn, const char *name, int ifindex, bool up,
                                uint32_t mtu, const char *alias)
{
	struct plat_link *l = &kn->links[kn->k.n_links++];

	assert_true(kn->k.n_links <= 8);
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->ifindex = ifindex;
	l->admin_up = up;
	l->mtu = mtu;
	snprintf(l->alias, sizeof(l->alias), "%s", alias);
	kn->k.links = kn->links;
	return l;
}

static void k_addr(struct kernel *kn, int ifindex, const char *prefix)
{
	struct plat_addr *a = &kn->addrs[kn->k.n_addrs++];

	assert_true(kn->k.n_addrs <= 16);
	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	assert_int_equal(plat_prefix_parse(prefix, &a->prefix), 0);
	kn->k.addrs = kn->addrs;
}

static void k_init(struct kernel *kn)
{
	memset(kn, 0, sizeof(*kn));
}

/* The plan as one line per action, for exact comparisons. */
static const char *plan_str(const struct ifd_plan *p)
{
	static char out[2048];
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		const struct ifd_act *a = &p->acts[i];
		char buf[INET6_ADDRSTRLEN + 4];
		int w = 0;

		switch (a->type) {
		case IFD_ACT_ADDR_DEL:
			w = snprintf(out + used, sizeof(out) - used, "%s del %s\n", a->ifname,
			             plat_prefix_str(&a->prefix, buf, sizeof(buf)));
			break;
		case IFD_ACT_ADDR_ADD:
			w = snprintf(out + used, sizeof(out) - used, "%s add %s\n", a->ifname,
			             plat_prefix_str(&a->prefix, buf, sizeof(buf)));
			break;
		case IFD_ACT_MTU:
			w = snprintf(out + used, sizeof(out) - used, "%s mtu %u\n", a->ifname,
			             a->mtu);
			break;
		case IFD_ACT_ALIAS:
			w = snprintf(out + used, sizeof(out) - used, "%s alias '%s'\n", a->ifname,
			             a->alias);
			break;
		case IFD_ACT_ADMIN:
			w = snprintf(out + used, sizeof(out) - used, "%s admin %s\n", a->ifname,
			             a->up ? "up" : "down");
			break;
		}
		assert_true(w > 0 && (size_t)w < sizeof(out) - used);
		used += (size_t)w;
	}
	return out;
}

/* Plans old -> new (old NULL: assert everything) and compares. */
static void expect_plan(const char *old_json, const char *new_json, struct kernel *kn,
                        const char *only, const char *want)
{
	struct ifd_conf o, n;
	struct ifd_plan p = {0};

	if (old_json)
		conf_from(old_json, &o);
	conf_from(new_json, &n);
	assert_int_equal(ifd_plan_build(old_json ? &o : NULL, &n, &kn->k, only, &p), 0);
	assert_string_equal(plan_str(&p), want);
	ifd_plan_free(&p);
	if (old_json)
		ifd_conf_free(&o);
	ifd_conf_free(&n);
}

#define IFS(body) "{\"keel-interfaces:interfaces\": {\"interface\": [" body "]}}"
#define EMPTY     "{}"

/* eth1 as the examples configure it. */
#define ETH1_FULL                                                                                  \
	"{\"name\": \"eth1\", \"description\": \"uplink\", \"mtu\": 9000, \"unit\": [{\"name\": "  \
	"0, \"family\": {\"inet\": {\"address\": [{\"name\": \"10.0.0.1/24\"}]}, \"inet6\": "      \
	"{\"address\": [{\"name\": \"2001:db8::1/64\"}]}}}]}"

/* ------------------------------------------------------------ parsing */

static void test_parse_full_example(void **state)
{
	FILE *f = fopen("tests/conf/examples/valid-full.json", "r");
	struct json_object *o;
	struct ifd_conf c;
	const struct ifd_want *w;
	char err[256];

	if (!f) {
		print_message("skipped: run from the repository root\n");
		skip();
	}
	fclose(f);
	o = json_object_from_file("tests/conf/examples/valid-full.json");
	assert_non_null(o);
	assert_int_equal(ifd_conf_parse(o, &c, err, sizeof(err)), 0);
	json_object_put(o);
	/* reth0, fab0, fab1, irb are clusterd's and vland's */
	assert_null(ifd_conf_find(&c, "reth0"));
	assert_null(ifd_conf_find(&c, "fab0"));
	assert_null(ifd_conf_find(&c, "irb"));
	assert_non_null(w = ifd_conf_find(&c, "ge0"));
	assert_true(w->has_desc);
	assert_string_equal(w->desc, "reth0 member on node0");
	assert_non_null(w = ifd_conf_find(&c, "eth1"));
	assert_int_equal(w->mtu, 1500);
	assert_int_equal(w->n_addrs, 0); /* ethernet-switching: no addresses */
	assert_false(w->disable);
	/* eth3: unit 0's address only; unit 301 is an 802.1Q sub-interface */
	assert_non_null(w = ifd_conf_find(&c, "eth3"));
	assert_int_equal(w->n_addrs, 1);
	assert_non_null(w = ifd_conf_find(&c, "kna0"));
	assert_int_equal(w->n_addrs, 1);
	ifd_conf_free(&c);
}

static void test_parse_fields(void **state)
{
	struct ifd_conf c;
	const struct ifd_want *w;
	char buf[INET6_ADDRSTRLEN + 4];

	conf_from(IFS("{\"name\": \"eth2\", \"disable\": [null], \"unit\": [{\"name\": 0, "
	              "\"family\": {\"inet\": {\"address\": [{\"name\": \"192.0.2.1/24\", "
	              "\"primary\": [null]}, {\"name\": \"198.51.100.7/32\"}]}}}]}"),
	          &c);
	assert_int_equal(c.n, 1);
	w = &c.ifs[0];
	assert_string_equal(w->name, "eth2");
	assert_true(w->disable);
	assert_false(w->has_desc);
	assert_int_equal(w->mtu, 0);
	assert_int_equal(w->n_addrs, 2);
	/* host bits kept: an interface address, not a route prefix */
	assert_string_equal(plat_prefix_str(&w->addrs[0], buf, sizeof(buf)), "192.0.2.1/24");
	assert_string_equal(plat_prefix_str(&w->addrs[1], buf, sizeof(buf)), "198.51.100.7/32");
	ifd_conf_free(&c);

	/* the bare container, and a config without interfaces */
	conf_from("{\"interface\": [{\"name\": \"eth0\", \"mtu\": 1400}]}", &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ifs[0].mtu, 1400);
	ifd_conf_free(&c);
	conf_from("{\"keel-system:system\": {\"host-name\": \"r1\"}}", &c);
	assert_int_equal(c.n, 0);
	ifd_conf_free(&c);
}

static void test_parse_rejects(void **state)
{
	char err[256], json[1024], desc[300];

	/* IFALIASZ: the kernel keeps 255 bytes of a description */
	memset(desc, 'x', 256);
	desc[256] = '\0';
	snprintf(json, sizeof(json), IFS("{\"name\": \"eth1\", \"description\": \"%s\"}"), desc);
	assert_int_equal(conf_err(json, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "interfaces eth1 description"));
	desc[255] = '\0';
	snprintf(json, sizeof(json), IFS("{\"name\": \"eth1\", \"description\": \"%s\"}"), desc);
	assert_int_equal(conf_err(json, err, sizeof(err)), 0);

	/* RFC 8200 §5: IPv6 on a link below 1280 cannot work */
	assert_int_equal(
	        conf_err(IFS("{\"name\": \"eth1\", \"mtu\": 1000, \"unit\": [{\"name\": 0, "
	                     "\"family\": {\"inet6\": {}}}]}"),
	                 err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "interfaces eth1 mtu 1000"));
	assert_int_equal(
	        conf_err(IFS("{\"name\": \"eth1\", \"mtu\": 1000, \"unit\": [{\"name\": 0, "
	                     "\"family\": {\"inet\": {}}}]}"),
	                 err, sizeof(err)),
	        0);

	assert_int_equal(
	        conf_err(IFS("{\"name\": \"eth1\", \"unit\": [{\"name\": 0, \"family\": "
	                     "{\"inet\": {\"address\": [{\"name\": \"2001:db8::1/64\"}]}}}]}"),
	                 err, sizeof(err)),
	        -1);
	assert_non_null(strstr(err, "interfaces eth1 unit 0 family inet address 2001:db8::1/64"));
	assert_int_equal(
	        conf_err(IFS("{\"name\": \"eth1\", \"unit\": [{\"name\": 0, \"family\": "
	                     "{\"inet\": {\"address\": [{\"name\": \"10.0.0.1/33\"}]}}}]}"),
	                 err, sizeof(err)),
	        -1);
	assert_int_equal(conf_err(IFS("{\"name\": \"a-name-of-16-chr\"}"), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a-name-of-16-chr"));
	assert_int_equal(conf_err(IFS("{\"name\": \"eth1\", \"mtu\": 20}"), err, sizeof(err)), -1);
	assert_int_equal(conf_err(IFS("{\"name\": \"eth1\", \"mtu\": \"big\"}"), err, sizeof(err)),
	                 -1);
	assert_int_equal(conf_err("{\"interfaces\": {\"interface\": 7}}", err, sizeof(err)), -1);
}

static void test_owned(void **state)
{
	assert_false(ifd_config_owned("reth0"));
	assert_false(ifd_config_owned("reth12"));
	assert_false(ifd_config_owned("fab0"));
	assert_false(ifd_config_owned("fab1"));
	assert_false(ifd_config_owned("irb"));
	assert_true(ifd_config_owned("eth0"));
	assert_true(ifd_config_owned("rethink"));
	assert_true(ifd_config_owned("reth"));
	assert_true(ifd_config_owned("fabp0"));
	assert_true(ifd_config_owned("irb0"));
	assert_true(ifd_config_owned("lo"));
}

/* ------------------------------------------------------------ plans */

static void test_plan_fresh(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, false, 1500, "");
	k_addr(&kn, 3, "fe80::1/64");
	/* first apply (old = {}): everything, in order, link-local untouched */
	expect_plan(EMPTY, IFS(ETH1_FULL), &kn, NULL,
	            "eth1 mtu 9000\n"
	            "eth1 alias 'uplink'\n"
	            "eth1 add 10.0.0.1/24\n"
	            "eth1 add 2001:db8::1/64\n"
	            "eth1 admin up\n");
}

static void test_plan_idempotent(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 9000, "uplink");
	k_addr(&kn, 3, "10.0.0.1/24");
	k_addr(&kn, 3, "2001:db8::1/64");
	k_addr(&kn, 3, "fe80::1/64");
	/* the kernel matches: nothing, whether diffing or asserting all */
	expect_plan(IFS(ETH1_FULL), IFS(ETH1_FULL), &kn, NULL, "");
	expect_plan(EMPTY, IFS(ETH1_FULL), &kn, NULL, "");
	expect_plan(NULL, IFS(ETH1_FULL), &kn, NULL, "");
	expect_plan(NULL, IFS(ETH1_FULL), &kn, "eth1", "");
}

static void test_plan_mtu(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "");
	expect_plan(IFS("{\"name\": \"eth1\", \"mtu\": 1500}"),
	            IFS("{\"name\": \"eth1\", \"mtu\": 9000}"), &kn, NULL, "eth1 mtu 9000\n");
	expect_plan(IFS("{\"name\": \"eth1\"}"), IFS("{\"name\": \"eth1\", \"mtu\": 1400}"), &kn,
	            NULL, "eth1 mtu 1400\n");
	/* unset: the kernel's value is left alone */
	expect_plan(IFS("{\"name\": \"eth1\", \"mtu\": 9000}"), IFS("{\"name\": \"eth1\"}"), &kn,
	            NULL, "");
	/* unchanged by the commit: a hand-set MTU is not reverted on commit */
	expect_plan(IFS("{\"name\": \"eth1\", \"mtu\": 9000}"),
	            IFS("{\"name\": \"eth1\", \"mtu\": 9000, \"description\": \"x\"}"), &kn, NULL,
	            "eth1 alias 'x'\n");
	/* ...but it is when the wanted state is asserted (resync, link back) */
	expect_plan(NULL, IFS("{\"name\": \"eth1\", \"mtu\": 9000}"), &kn, NULL, "eth1 mtu 9000\n");
}

static void test_plan_description(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "old text");
	expect_plan(IFS("{\"name\": \"eth1\", \"description\": \"old text\"}"),
	            IFS("{\"name\": \"eth1\", \"description\": \"new text\"}"), &kn, NULL,
	            "eth1 alias 'new text'\n");
	expect_plan(IFS("{\"name\": \"eth1\"}"),
	            IFS("{\"name\": \"eth1\", \"description\": \"new text\"}"), &kn, NULL,
	            "eth1 alias 'new text'\n");
	/* removed from the config: cleared, as it is still ifd's text */
	expect_plan(IFS("{\"name\": \"eth1\", \"description\": \"old text\"}"),
	            IFS("{\"name\": \"eth1\"}"), &kn, NULL, "eth1 alias ''\n");
	/* ...but someone else's text (changed by hand since) stays */
	expect_plan(IFS("{\"name\": \"eth1\", \"description\": \"ifd text\"}"),
	            IFS("{\"name\": \"eth1\"}"), &kn, NULL, "");
	/* never configured: never touched, even when asserting all */
	expect_plan(NULL, IFS("{\"name\": \"eth1\"}"), &kn, NULL, "");
}

static void test_plan_disable(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "");
	k_link(&kn, "eth2", 4, false, 1500, "");
	expect_plan(IFS("{\"name\": \"eth1\"}"), IFS("{\"name\": \"eth1\", \"disable\": [null]}"),
	            &kn, NULL, "eth1 admin down\n");
	expect_plan(IFS("{\"name\": \"eth2\", \"disable\": [null]}"), IFS("{\"name\": \"eth2\"}"),
	            &kn, NULL, "eth2 admin up\n");
	/* configured without disable means up */
	expect_plan(EMPTY, IFS("{\"name\": \"eth2\"}"), &kn, NULL, "eth2 admin up\n");
	/* Linux flushed eth2's IPv6 address when it went down: enabling it
	 * puts the address back although the commit did not change it */
	expect_plan(
	        IFS("{\"name\": \"eth2\", \"disable\": [null], \"unit\": [{\"name\": 0, "
	            "\"family\": {\"inet6\": {\"address\": [{\"name\": \"2001:db8::1/64\"}]}}}]}"),
	        IFS("{\"name\": \"eth2\", \"unit\": [{\"name\": 0, \"family\": {\"inet6\": "
	            "{\"address\": [{\"name\": \"2001:db8::1/64\"}]}}}]}"),
	        &kn, NULL, "eth2 add 2001:db8::1/64\neth2 admin up\n");
	/* already as wanted */
	expect_plan(EMPTY, IFS("{\"name\": \"eth1\"}, {\"name\": \"eth2\", \"disable\": [null]}"),
	            &kn, NULL, "");
}

#define ETH1_ADDRS(a, b)                                                                           \
	IFS("{\"name\": \"eth1\", \"unit\": [{\"name\": 0, \"family\": {\"inet\": {\"address\": "  \
	    "[{\"name\": \"" a "\"}, {\"name\": \"" b "\"}]}}}]}")

static void test_plan_address_change(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "");
	k_addr(&kn, 3, "10.0.0.1/24");
	k_addr(&kn, 3, "10.0.1.1/24");
	k_addr(&kn, 3, "fe80::1/64");
	/* one address replaced: the other one is never touched */
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"),
	            ETH1_ADDRS("10.0.0.1/24", "10.0.2.1/24"), &kn, NULL,
	            "eth1 del 10.0.1.1/24\n"
	            "eth1 add 10.0.2.1/24\n");
	/* same address, new length: removed first, then added */
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"),
	            ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/16"), &kn, NULL,
	            "eth1 del 10.0.1.1/24\n"
	            "eth1 add 10.0.1.1/16\n");
	/* removed from the config but already gone from the kernel: nothing */
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.9.1/24"),
	            ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"), &kn, NULL, "");
}

static void test_plan_unchanged_never_touched(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "");
	/* 10.0.0.1 in both configs but deleted by hand: a commit of something
	 * else does not put it back (only the diff is applied) ... */
	k_addr(&kn, 3, "10.0.1.1/24");
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"),
	            ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"), &kn, NULL, "");
	/* ... a resync or the link coming back does */
	expect_plan(NULL, ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"), &kn, NULL,
	            "eth1 add 10.0.0.1/24\n");
}

static void test_plan_unmanaged_left_alone(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 1500, "by hand");
	k_addr(&kn, 3, "10.0.0.1/24");
	k_addr(&kn, 3, "192.0.2.9/24"); /* ip addr add by hand */
	k_addr(&kn, 3, "fe80::1/64");   /* the kernel's link-local */
	k_addr(&kn, 3, "2001:db8::99/64");
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"),
	            ETH1_ADDRS("10.0.0.1/24", "10.0.2.1/24"), &kn, NULL, "eth1 add 10.0.2.1/24\n");
	expect_plan(NULL, ETH1_ADDRS("10.0.0.1/24", "10.0.2.1/24"), &kn, NULL,
	            "eth1 add 10.0.2.1/24\n");
	/* the interface leaves the config: only its own address goes */
	expect_plan(ETH1_ADDRS("10.0.0.1/24", "10.0.1.1/24"), EMPTY, &kn, NULL,
	            "eth1 del 10.0.0.1/24\n");
}

static void test_plan_interface_removed(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, false, 9000, "uplink");
	k_addr(&kn, 3, "10.0.0.1/24");
	k_addr(&kn, 3, "2001:db8::1/64");
	k_addr(&kn, 3, "fe80::1/64");
	k_link(&kn, "eth2", 4, true, 1500, "");
	/* addresses and description go; MTU 9000 and admin down stay */
	expect_plan(IFS(ETH1_FULL ", {\"name\": \"eth2\"}"), IFS("{\"name\": \"eth2\"}"), &kn, NULL,
	            "eth1 del 10.0.0.1/24\n"
	            "eth1 del 2001:db8::1/64\n"
	            "eth1 alias ''\n");
	/* the whole interfaces tree deleted */
	expect_plan(IFS(ETH1_FULL), EMPTY, &kn, NULL,
	            "eth1 del 10.0.0.1/24\n"
	            "eth1 del 2001:db8::1/64\n"
	            "eth1 alias ''\n");
}

static void test_plan_absent_interface(void **state)
{
	struct kernel kn;
	const char *cfg = IFS(ETH1_FULL ", {\"name\": \"eth9\", \"mtu\": 1400}");

	k_init(&kn);
	k_link(&kn, "eth1", 3, true, 9000, "uplink");
	k_addr(&kn, 3, "10.0.0.1/24");
	k_addr(&kn, 3, "2001:db8::1/64");
	/* eth9 is not there: no action, no error */
	expect_plan(EMPTY, cfg, &kn, NULL, "");
	/* it appears: its config, and only its, is applied */
	k_link(&kn, "eth9", 12, false, 1500, "");
	expect_plan(NULL, cfg, &kn, "eth9", "eth9 mtu 1400\neth9 admin up\n");
	/* a removed interface that is gone from the kernel: nothing either */
	k_init(&kn);
	expect_plan(cfg, EMPTY, &kn, NULL, "");
}

static void test_plan_only_and_skipped(void **state)
{
	struct kernel kn;

	k_init(&kn);
	k_link(&kn, "eth1", 3, false, 1500, "");
	k_link(&kn, "eth2", 4, false, 1500, "");
	k_link(&kn, "reth0", 5, false, 1500, "");
	k_link(&kn, "irb", 6, false, 1500, "");
	expect_plan(NULL, IFS("{\"name\": \"eth1\"}, {\"name\": \"eth2\"}"), &kn, "eth2",
	            "eth2 admin up\n");
	expect_plan(NULL, IFS("{\"name\": \"eth1\"}, {\"name\": \"eth2\"}"), &kn, "eth7", "");
	/* reth0 and irb are clusterd's and vland's even with addresses */
	expect_plan(EMPTY,
	            IFS("{\"name\": \"irb\", \"unit\": [{\"name\": 0, \"family\": {\"inet\": "
	                "{\"address\": [{\"name\": \"10.9.0.1/24\"}]}}}]}, {\"name\": \"reth0\", "
	                "\"description\": \"x\"}"),
	            &kn, NULL, "");
	/* only unit 0 carries ifd's addresses */
	expect_plan(EMPTY,
	            IFS("{\"name\": \"eth1\", \"vlan-tagging\": [null], \"unit\": [{\"name\": 7, "
	                "\"vlan-id\": 7, \"family\": {\"inet\": {\"address\": [{\"name\": "
	                "\"10.7.0.1/24\"}]}}}]}"),
	            &kn, NULL, "eth1 admin up\n");
}

/* ------------------------------------------------------------ the kernel */

static const char *skip_reason;
static struct plat *plat;

static int netns_setup(void **state)
{
	if (geteuid() != 0) {
		skip_reason = "needs root (unshare(CLONE_NEWNET), netlink writes)";
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		skip_reason = "unshare(CLONE_NEWNET) failed";
		return 0;
	}
	plat = plat_open("linux");
	if (!plat)
		skip_reason = "cannot open the linux platform";
	else if (plat_link_add_veth(plat, "cfg0", "cfg1") < 0)
		skip_reason = "cannot create a veth pair (no veth module?)";
	return 0;
}

static int netns_teardown(void **state)
{
	if (plat)
		plat_close(plat);
	return 0;
}

/* Plans old -> cur against the real kernel; returns the number of actions
 * and executes them when `exec`. */
static size_t kernel_step(const struct ifd_conf *old, const struct ifd_conf *cur, bool exec)
{
	struct ifd_kstate k;
	struct ifd_plan p = {0};
	char err[512];
	size_t n;

	assert_int_equal(ifd_kstate_load(plat, old, cur, NULL, &k), 0);
	assert_int_equal(ifd_plan_build(old, cur, &k, NULL, &p), 0);
	if (exec && ifd_plan_exec(plat, &p, err, sizeof(err)) < 0)
		fail_msg("exec: %s", err);
	n = p.n;
	ifd_plan_free(&p);
	ifd_kstate_free(&k);
	return n;
}

struct find_addr {
	int ifindex;
	struct plat_prefix p;
	bool found;
};

static int find_addr_cb(void *arg, const struct plat_addr *a)
{
	struct find_addr *f = arg;

	if (a->ifindex == f->ifindex && a->prefix.len == f->p.len &&
	    plat_ip_equal(&a->prefix.ip, &f->p.ip))
		f->found = true;
	return 0;
}

static bool kernel_has(const char *ifname, const char *prefix)
{
	struct find_addr f = {.ifindex = (int)if_nametoindex(ifname)};

	assert_int_equal(plat_prefix_parse(prefix, &f.p), 0);
	assert_int_equal(plat_addr_list(plat, 0, find_addr_cb, &f), 0);
	return f.found;
}

#define NEED_NETNS()                                                                               \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			print_message("skipped: %s\n", skip_reason);                               \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void test_kernel_apply(void **state)
{
	struct ifd_conf c0, c1, c1b, c2, c3;
	struct plat_link l;

	NEED_NETNS();
	conf_from(EMPTY, &c0);
	conf_from(IFS("{\"name\": \"cfg0\", \"description\": \"to cfg1\", \"mtu\": 1400, \"unit\": "
	              "[{\"name\": 0, \"family\": {\"inet\": {\"address\": [{\"name\": "
	              "\"10.77.0.1/24\"}, {\"name\": \"10.77.1.1/24\"}]}, \"inet6\": {\"address\": "
	              "[{\"name\": \"2001:db8:77::1/64\"}]}}}]}, {\"name\": \"absent0\"}"),
	          &c1);
	assert_int_equal(kernel_step(&c0, &c1, true), 6);
	assert_int_equal(plat_link_get_by_name(plat, "cfg0", &l), 0);
	assert_true(l.admin_up);
	assert_int_equal(l.mtu, 1400);
	assert_string_equal(l.alias, "to cfg1");
	assert_true(kernel_has("cfg0", "10.77.0.1/24"));
	assert_true(kernel_has("cfg0", "10.77.1.1/24"));
	assert_true(kernel_has("cfg0", "2001:db8:77::1/64"));
	/* idempotent: the kernel matches, nothing to write */
	assert_int_equal(kernel_step(&c1, &c1, false), 0);
	assert_int_equal(kernel_step(NULL, &c1, false), 0);

	/* change one address, disable: the kept address is not in the plan */
	conf_from(
	        IFS("{\"name\": \"cfg0\", \"description\": \"to cfg1\", \"disable\": [null], "
	            "\"mtu\": 1400, \"unit\": [{\"name\": 0, \"family\": {\"inet\": {\"address\": "
	            "[{\"name\": \"10.77.0.1/24\"}, {\"name\": \"10.77.2.1/24\"}]}, \"inet6\": "
	            "{\"address\": [{\"name\": \"2001:db8:77::1/64\"}]}}}]}"),
	        &c2);
	assert_int_equal(kernel_step(&c1, &c2, true), 3);
	conf_from(IFS("{\"name\": \"cfg0\", \"description\": \"to cfg1\", \"mtu\": 1400, "
	              "\"unit\": [{\"name\": 0, \"family\": {\"inet\": {\"address\": [{\"name\": "
	              "\"10.77.0.1/24\"}, {\"name\": \"10.77.2.1/24\"}]}, \"inet6\": {\"address\": "
	              "[{\"name\": \"2001:db8:77::1/64\"}]}}}]}"),
	          &c1b);
	assert_true(kernel_has("cfg0", "10.77.0.1/24"));
	assert_false(kernel_has("cfg0", "10.77.1.1/24"));
	assert_true(kernel_has("cfg0", "10.77.2.1/24"));
	assert_int_equal(plat_link_get_by_name(plat, "cfg0", &l), 0);
	assert_false(l.admin_up);
	/* Linux flushed the IPv6 address with admin down ... */
	assert_false(kernel_has("cfg0", "2001:db8:77::1/64"));
	/* ... so enabling the link again puts it back, though unchanged */
	assert_int_equal(kernel_step(&c2, &c1b, true), 2);
	assert_true(kernel_has("cfg0", "2001:db8:77::1/64"));
	assert_true(kernel_has("cfg0", "10.77.0.1/24"));
	assert_int_equal(kernel_step(&c1b, &c1b, false), 0);
	assert_int_equal(kernel_step(NULL, &c1b, false), 0);

	/* an address added by hand survives the interface leaving the config */
	struct plat_addr hand = {.ifindex = l.ifindex};
	assert_int_equal(plat_prefix_parse("192.0.2.50/24", &hand.prefix), 0);
	assert_int_equal(plat_addr_add(plat, &hand), 0);
	conf_from(EMPTY, &c3);
	assert_int_equal(kernel_step(&c1b, &c3, true), 4);
	assert_int_equal(plat_link_get_by_name(plat, "cfg0", &l), 0);
	assert_string_equal(l.alias, "");
	assert_int_equal(l.mtu, 1400); /* left as it was */
	assert_true(l.admin_up);       /* likewise */
	assert_false(kernel_has("cfg0", "10.77.0.1/24"));
	assert_false(kernel_has("cfg0", "10.77.2.1/24"));
	assert_false(kernel_has("cfg0", "2001:db8:77::1/64"));
	assert_true(kernel_has("cfg0", "192.0.2.50/24"));
	ifd_conf_free(&c0);
	ifd_conf_free(&c1);
	ifd_conf_free(&c1b);
	ifd_conf_free(&c2);
	ifd_conf_free(&c3);
}

static void test_kernel_errors_name_the_interface(void **state)
{
	struct ifd_plan p = {0};
	struct ifd_act acts[2];
	struct plat_link l;
	char err[512];

	NEED_NETNS();
	assert_int_equal(plat_link_get_by_name(plat, "cfg1", &l), 0);
	memset(acts, 0, sizeof(acts));
	/* the link went away between plan and execution */
	acts[0].type = IFD_ACT_MTU;
	acts[0].ifindex = 99999;
	acts[0].mtu = 1400;
	snprintf(acts[0].ifname, sizeof(acts[0].ifname), "gone0");
	/* a good action in the same batch still happens */
	acts[1].type = IFD_ACT_ADDR_ADD;
	acts[1].ifindex = l.ifindex;
	snprintf(acts[1].ifname, sizeof(acts[1].ifname), "cfg1");
	assert_int_equal(plat_prefix_parse("10.88.0.1/24", &acts[1].prefix), 0);
	p.acts = acts;
	p.n = 2;
	assert_int_equal(ifd_plan_exec(plat, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "interfaces gone0 mtu 1400: "));
	assert_null(strstr(err, "cfg1"));
	assert_true(kernel_has("cfg1", "10.88.0.1/24"));
	/* adding it again races benignly (-EEXIST is "already done") */
	p.acts = &acts[1];
	p.n = 1;
	assert_int_equal(ifd_plan_exec(plat, &p, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	        cmocka_unit_test(test_parse_full_example),
	        cmocka_unit_test(test_parse_fields),
	        cmocka_unit_test(test_parse_rejects),
	        cmocka_unit_test(test_owned),
	        cmocka_unit_test(test_plan_fresh),
	        cmocka_unit_test(test_plan_idempotent),
	        cmocka_unit_test(test_plan_mtu),
	        cmocka_unit_test(test_plan_description),
	        cmocka_unit_test(test_plan_disable),
	        cmocka_unit_test(test_plan_address_change),
	        cmocka_unit_test(test_plan_unchanged_never_touched),
	        cmocka_unit_test(test_plan_unmanaged_left_alone),
	        cmocka_unit_test(test_plan_interface_removed),
	        cmocka_unit_test(test_plan_absent_interface),
	        cmocka_unit_test(test_plan_only_and_skipped),
	};
	const struct CMUnitTest kernel[] = {
	        cmocka_unit_test(test_kernel_apply),
	        cmocka_unit_test(test_kernel_errors_name_the_interface),
	};
	int rc = cmocka_run_group_tests_name("ifd config (pure)", pure, NULL, NULL);

	return rc | cmocka_run_group_tests_name("ifd config (kernel)", kernel, netns_setup,
	                                        netns_teardown);
}
