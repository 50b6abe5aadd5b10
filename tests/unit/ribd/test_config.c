/*
 * ribd's routing-options config (daemons/ribd/config.c): RFC 7951 JSON ->
 * RIB static routes (preference default 5, qualified next hops at their own
 * preference as floating statics, discard, reject, resolve, inet6.0,
 * interface next hops), refusals, and the diff apply: an unchanged route
 * causes no RIB change, a removed one is withdrawn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemons/ribd/config.h"

static int fake_ifindex(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "eth1") == 0 ? 2 : strcmp(name, "eth2") == 0 ? 3 : 0;
}

static int parse(const char *json, struct ribd_conf *c, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	assert_non_null(o);
	rc = ribd_conf_parse(o, fake_ifindex, NULL, c, err, errlen);
	json_object_put(o);
	return rc;
}

static const struct ribd_static *find(const struct ribd_conf *c, const char *pfx, uint32_t pref)
{
	struct plat_prefix p;

	assert_int_equal(plat_prefix_parse(pfx, &p), 0);
	for (size_t i = 0; i < c->n; i++)
		if (c->routes[i].pref == pref && c->routes[i].pfx.len == p.len &&
		    plat_ip_equal(&c->routes[i].pfx.ip, &p.ip))
			return &c->routes[i];
	return NULL;
}

static const char *CONF1 =
        "{\"keel-routing-options:routing-options\":{"
        "\"static\":{\"route\":["
        "{\"name\":\"10.0.0.0/8\",\"next-hop\":[\"192.168.12.2\",\"192.168.13.2\"]},"
        "{\"name\":\"172.16.1.77/16\",\"next-hop\":[\"10.9.1.1\"],\"resolve\":[null],"
        "\"preference\":20,\"metric\":3},"
        "{\"name\":\"172.20.0.0/16\",\"next-hop\":[\"192.168.12.2\"],"
        "\"qualified-next-hop\":[{\"name\":\"192.168.13.2\",\"preference\":7},"
        "{\"name\":\"192.168.14.2\"},{\"name\":\"eth2\"},{\"name\":\"eth9\"}]},"
        "{\"name\":\"192.0.2.0/24\",\"discard\":[null]},"
        "{\"name\":\"198.51.100.0/24\",\"reject\":[null],\"preference\":\"9\"}]},"
        "\"rib\":[{\"name\":\"inet6.0\",\"static\":{\"route\":["
        "{\"name\":\"2001:db8:99::/48\",\"next-hop\":[\"2001:db8:12::2\"]},"
        "{\"name\":\"2001:db8:aa::/48\",\"qualified-next-hop\":"
        "[{\"name\":\"fe80::1\",\"interface\":\"eth1\"}]}]}}]}}";

static void test_parse(void **state)
{
	struct ribd_conf c;
	char err[256] = "";
	const struct ribd_static *s;
	char ip[64];

	(void)state;
	assert_int_equal(parse(CONF1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 8);

	s = find(&c, "10.0.0.0/8", 5);
	assert_non_null(s);
	assert_int_equal(s->type, RIB_TYPE_UNICAST);
	assert_int_equal(s->n_nh, 2);
	assert_false(s->resolve);

	/* Host bits cleared, preference and metric kept. */
	s = find(&c, "172.16.0.0/16", 20);
	assert_non_null(s);
	assert_true(s->resolve);
	assert_int_equal(s->metric, 3);
	assert_string_equal(plat_ip_str(&s->nh[0].gw, ip, sizeof(ip)), "10.9.1.1");

	/* Floating static: a route at 7; the rest join the ECMP set at 5;
	 * an absent interface (eth9) is dropped. */
	s = find(&c, "172.20.0.0/16", 5);
	assert_non_null(s);
	assert_int_equal(s->n_nh, 3);
	assert_int_equal(s->nh[2].ifindex, 3);
	assert_int_equal(s->nh[2].gw.family, 0);
	s = find(&c, "172.20.0.0/16", 7);
	assert_non_null(s);
	assert_int_equal(s->n_nh, 1);

	assert_int_equal(find(&c, "192.0.2.0/24", 5)->type, RIB_TYPE_DISCARD);
	assert_int_equal(find(&c, "198.51.100.0/24", 9)->type, RIB_TYPE_REJECT);

	s = find(&c, "2001:db8:aa::/48", 5);
	assert_non_null(s);
	assert_int_equal(s->nh[0].ifindex, 2);
	assert_int_equal(s->nh[0].gw.family, AF_INET6);
	assert_non_null(find(&c, "2001:db8:99::/48", 5));
	ribd_conf_free(&c);

	/* Empty config, no routing-options. */
	assert_int_equal(parse("{}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
}

static void test_refused(void **state)
{
	struct ribd_conf c;
	char err[256];
	static const char *const bad[] = {
	        "{\"routing-options\":{\"static\":{\"route\":[{\"name\":\"10.0.0.0/33\","
	        "\"discard\":[null]}]}}}",
	        "{\"routing-options\":{\"static\":{\"route\":[{\"name\":\"2001:db8::/32\","
	        "\"discard\":[null]}]}}}",
	        "{\"routing-options\":{\"static\":{\"route\":[{\"name\":\"10.0.0.0/8\","
	        "\"next-hop\":[\"2001:db8::1\"]}]}}}",
	        "{\"routing-options\":{\"static\":{\"route\":[{\"name\":\"10.0.0.0/8\","
	        "\"preference\":-1,\"discard\":[null]}]}}}",
	        "{\"routing-options\":{\"rib\":[{\"name\":\"inet.3\"}]}}",
	        "{\"routing-options\":{\"static\":{\"route\":{}}}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(parse(bad[i], &c, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
		assert_null(c.routes);
	}
}

static int changes;

static void on_change(void *arg, const struct rib_dest *d)
{
	(void)arg;
	(void)d;
	changes++;
}

static void test_apply_diff(void **state)
{
	struct rib *rib = rib_new(on_change, NULL);
	struct ribd_conf a, b;
	char err[256];
	struct plat_prefix p;

	(void)state;
	assert_int_equal(parse(CONF1, &a, err, sizeof(err)), 0);
	assert_int_equal(ribd_conf_apply(rib, NULL, &a), 0);
	rib_run(rib);
	assert_int_equal(changes, 7); /* 7 destinations */

	/* The same config again: nothing moves. */
	changes = 0;
	assert_int_equal(ribd_conf_apply(rib, &a, &a), 0);
	rib_run(rib);
	assert_int_equal(changes, 0);

	/* Drop the floating next hop and the discard route only. */
	assert_int_equal(
	        parse("{\"routing-options\":{\"static\":{\"route\":["
	              "{\"name\":\"10.0.0.0/8\",\"next-hop\":[\"192.168.12.2\",\"192.168.13.2\"]},"
	              "{\"name\":\"172.16.0.0/16\",\"next-hop\":[\"10.9.1.1\"],\"resolve\":[null],"
	              "\"preference\":20,\"metric\":3},"
	              "{\"name\":\"172.20.0.0/16\",\"next-hop\":[\"192.168.12.2\"],"
	              "\"qualified-next-hop\":[{\"name\":\"192.168.14.2\"},{\"name\":\"eth2\"}]},"
	              "{\"name\":\"198.51.100.0/24\",\"reject\":[null],\"preference\":9}]},"
	              "\"rib\":[{\"name\":\"inet6.0\",\"static\":{\"route\":["
	              "{\"name\":\"2001:db8:99::/48\",\"next-hop\":[\"2001:db8:12::2\"]},"
	              "{\"name\":\"2001:db8:aa::/48\",\"qualified-next-hop\":"
	              "[{\"name\":\"fe80::1\",\"interface\":\"eth1\"}]}]}}]}}",
	              &b, err, sizeof(err)),
	        0);
	changes = 0;
	assert_int_equal(ribd_conf_apply(rib, &a, &b), 0);
	rib_run(rib);
	assert_int_equal(changes, 2);
	assert_int_equal(plat_prefix_parse("192.0.2.0/24", &p), 0);
	assert_null(rib_exact(rib, &p));
	assert_int_equal(plat_prefix_parse("172.20.0.0/16", &p), 0);
	assert_non_null(rib_exact(rib, &p));
	assert_null(rib_exact(rib, &p)->routes->next);
	ribd_conf_free(&a);
	ribd_conf_free(&b);
	rib_free(rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_apply_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
