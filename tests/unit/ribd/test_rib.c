/*
 * The RIB (daemons/ribd/rib.c): connected routes follow addresses and link
 * state, Junos preferences and deterministic tie-breaks pick the active
 * route, static gateways resolve on connected subnets or, with `resolve`,
 * recursively through any route, and are re-resolved when what they
 * resolve through changes; ECMP; floating statics; discard/reject; the
 * change callback fires exactly when the FIB must hear.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemons/ribd/rib.h"

/* ------------------------------------------------------------ helpers */

struct change {
	char pfx[64];
	int proto; /* -1: no active route */
	size_t n_res;
};

struct rec {
	struct change c[64];
	size_t n;
};

static void on_change(void *arg, const struct rib_dest *d)
{
	struct rec *r = arg;
	struct change *c;

	/* Bulk tests overflow the record; they only count. */
	if (r->n++ >= 64)
		return;
	c = &r->c[r->n - 1];
	plat_prefix_str(&d->pfx, c->pfx, sizeof(c->pfx));
	c->proto = d->active ? (int)rib_dest_best(d)->proto : -1;
	c->n_res = 0;
	if (d->active)
		rib_route_res(rib_dest_best(d), &c->n_res);
}

/* The change recorded for prefix s, or NULL. */
static const struct change *changed(const struct rec *r, const char *s)
{
	for (size_t i = 0; i < r->n && i < 64; i++)
		if (strcmp(r->c[i].pfx, s) == 0)
			return &r->c[i];
	return NULL;
}

static struct plat_prefix P(const char *s) {
	struct plat_prefix p;

	assert_int_equal(plat_prefix_parse(s, &p), 0);
	return p;
}

static struct rib_nh
GW(const char *s) {
	struct rib_nh nh = {0};

	assert_int_equal(plat_ip_parse(s, &nh.gw), 0);
	return nh;
}

static int
add_static(struct rib *r, const char *pfx, uint32_t pref, bool resolve, size_t n,
           const char *const *gws)
{
	struct rib_nh nh[8];
	struct rib_route_attr a = {.pref = pref, .resolve = resolve, .n_nh = n, .nh = nh};
	struct plat_prefix p = P(pfx);

	for (size_t i = 0; i < n; i++)
		nh[i] = GW(gws[i]);
	return rib_route_set(r, &p, RIB_PROTO_STATIC, pref, &a);
}

static void del_static(struct rib *r, const char *pfx, uint32_t pref)
{
	struct plat_prefix p = P(pfx);

	assert_int_equal(rib_route_unset(r, &p, RIB_PROTO_STATIC, pref), 0);
}

static void addr(struct rib *r, int ifindex, const char *s)
{
	struct plat_prefix p = P(s);

	assert_int_equal(rib_addr_add(r, ifindex, &p), 0);
}

static const struct rib_route *active(const struct rib *r, const char *pfx)
{
	struct plat_prefix p = P(pfx);
	const struct rib_dest *d = rib_exact(r, &p);

	return d ? rib_dest_best(d) : NULL;
}

static const char *res_str(const struct rib_route *rt, size_t i, char *buf, size_t len)
{
	char ip[64];
	size_t n;
	const struct rib_nh *res = rib_route_res(rt, &n);

	assert_true(i < n);
	snprintf(buf, len, "%s@%d",
	         res[i].gw.family ? plat_ip_str(&res[i].gw, ip, sizeof(ip)) : "-", res[i].ifindex);
	return buf;
}

static void assert_res(const struct rib *r, const char *pfx, const char *want)
{
	const struct rib_route *rt = active(r, pfx);
	char got[512] = "", one[96];

	assert_non_null(rt);
	size_t n_res;

	rib_route_res(rt, &n_res);
	for (size_t i = 0; i < n_res; i++) {
		if (i)
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
		strncat(got, res_str(rt, i, one, sizeof(one)), sizeof(got) - strlen(got) - 1);
	}
	assert_string_equal(got, want);
}

/* Two routers' worth: eth1 (2) 192.168.12.1/24, eth2 (3) 192.168.13.1/24. */
static struct rib *setup(struct rec *rec)
{
	struct rib *r = rib_new(on_change, rec);

	memset(rec, 0, sizeof(*rec));
	assert_non_null(r);
	assert_int_equal(rib_link_set(r, 2, true), 0);
	assert_int_equal(rib_link_set(r, 3, true), 0);
	addr(r, 2, "192.168.12.1/24");
	addr(r, 3, "192.168.13.1/24");
	rib_run(r);
	rec->n = 0;
	return r;
}

/* ------------------------------------------------------------ tests */

static void test_connected(void **state)
{
	struct rec rec = {0};
	struct rib *r = rib_new(on_change, &rec);
	struct plat_prefix a = P("10.1.1.5/24");
	const struct rib_route *rt;

	(void)state;
	/* An address on an unknown (so down) link gives nothing. */
	assert_int_equal(rib_addr_add(r, 7, &a), 0);
	rib_run(r);
	assert_int_equal(rec.n, 0);
	assert_null(active(r, "10.1.1.0/24"));

	rib_link_set(r, 7, true);
	rib_run(r);
	rt = active(r, "10.1.1.0/24");
	assert_non_null(rt);
	assert_int_equal(rt->proto, RIB_PROTO_DIRECT);
	assert_int_equal(rt->pref, 0);
	assert_res(r, "10.1.1.0/24", "-@7");
	rt = active(r, "10.1.1.5/32");
	assert_non_null(rt);
	assert_int_equal(rt->proto, RIB_PROTO_LOCAL);
	assert_non_null(changed(&rec, "10.1.1.0/24"));
	assert_non_null(changed(&rec, "10.1.1.5/32"));

	/* Link down withdraws both; the callback sees no active route. */
	rec.n = 0;
	rib_link_set(r, 7, false);
	rib_run(r);
	assert_int_equal(changed(&rec, "10.1.1.0/24")->proto, -1);
	assert_int_equal(changed(&rec, "10.1.1.5/32")->proto, -1);
	assert_null(active(r, "10.1.1.0/24"));

	/* Two addresses in one subnet: removing one keeps the Direct route. */
	rib_link_set(r, 7, true);
	addr(r, 7, "10.1.1.6/24");
	rib_run(r);
	rib_addr_del(r, 7, &a);
	rib_run(r);
	assert_non_null(active(r, "10.1.1.0/24"));
	assert_null(active(r, "10.1.1.5/32"));
	assert_non_null(active(r, "10.1.1.6/32"));
	rib_free(r);
}

static void test_static_connected_gateway(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	const char *gw[] = {"192.168.12.2"}, *far[] = {"10.9.9.9"}, *self[] = {"192.168.12.1"};

	(void)state;
	assert_int_equal(add_static(r, "10.0.0.0/8", 5, false, 1, gw), 0);
	rib_run(r);
	assert_int_equal(active(r, "10.0.0.0/8")->proto, RIB_PROTO_STATIC);
	assert_res(r, "10.0.0.0/8", "192.168.12.2@2");
	assert_int_equal(changed(&rec, "10.0.0.0/8")->n_res, 1);

	/* A gateway on no connected subnet, or our own address: hidden. */
	assert_int_equal(add_static(r, "172.16.0.0/12", 5, false, 1, far), 0);
	assert_int_equal(add_static(r, "172.31.0.0/16", 5, true, 1, self), 0);
	rib_run(r);
	assert_null(active(r, "172.16.0.0/12"));
	assert_null(active(r, "172.31.0.0/16"));
	struct rib_stats s;
	rib_stats(r, AF_INET, &s);
	assert_int_equal(s.routes_by_proto[RIB_PROTO_STATIC], 3);
	assert_int_equal(s.active_by_proto[RIB_PROTO_STATIC], 1);
	assert_int_equal(s.hidden, 2);
	assert_int_equal(s.routes_by_proto[RIB_PROTO_DIRECT], 2);
	assert_int_equal(s.routes_by_proto[RIB_PROTO_LOCAL], 2);

	/* The same route again changes nothing. */
	rec.n = 0;
	assert_int_equal(add_static(r, "10.0.0.0/8", 5, false, 1, gw), 0);
	rib_run(r);
	assert_int_equal(rec.n, 0);

	/* Interface down: the gateway is gone, so is the route. */
	rib_link_set(r, 2, false);
	rib_run(r);
	assert_int_equal(changed(&rec, "10.0.0.0/8")->proto, -1);
	assert_null(active(r, "10.0.0.0/8"));
	rec.n = 0;
	rib_link_set(r, 2, true);
	rib_run(r);
	assert_res(r, "10.0.0.0/8", "192.168.12.2@2");
	assert_int_equal(changed(&rec, "10.0.0.0/8")->proto, RIB_PROTO_STATIC);
	rib_free(r);
}

static void test_recursive(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	const char *gw12[] = {"192.168.12.2"}, *gw13[] = {"192.168.13.2"}, *via[] = {"10.9.1.1"},
	           *via2[] = {"172.16.5.5"};

	(void)state;
	add_static(r, "10.9.0.0/16", 5, false, 1, gw12);
	add_static(r, "172.16.0.0/16", 5, true, 1, via);
	/* Two levels deep, added before what it resolves through is usable. */
	add_static(r, "198.51.100.0/24", 5, true, 1, via2);
	rib_run(r);
	assert_res(r, "172.16.0.0/16", "192.168.12.2@2");
	assert_res(r, "198.51.100.0/24", "192.168.12.2@2");

	/* Without resolve, only a connected subnet counts. */
	add_static(r, "203.0.113.0/24", 5, false, 1, via);
	rib_run(r);
	assert_null(active(r, "203.0.113.0/24"));

	/* The underlying route moves: everything above follows. */
	rec.n = 0;
	add_static(r, "10.9.0.0/16", 5, false, 1, gw13);
	rib_run(r);
	assert_res(r, "172.16.0.0/16", "192.168.13.2@3");
	assert_res(r, "198.51.100.0/24", "192.168.13.2@3");
	assert_non_null(changed(&rec, "172.16.0.0/16"));
	assert_non_null(changed(&rec, "198.51.100.0/24"));

	/* A more specific route takes over the resolution. */
	add_static(r, "10.9.1.0/24", 5, false, 1, gw12);
	rib_run(r);
	assert_res(r, "172.16.0.0/16", "192.168.12.2@2");

	/* ... and the underlying routes go away: unresolved. */
	del_static(r, "10.9.1.0/24", 5);
	del_static(r, "10.9.0.0/16", 5);
	rec.n = 0;
	rib_run(r);
	assert_null(active(r, "172.16.0.0/16"));
	assert_null(active(r, "198.51.100.0/24"));
	assert_int_equal(changed(&rec, "172.16.0.0/16")->proto, -1);
	assert_int_equal(changed(&rec, "198.51.100.0/24")->proto, -1);
	rib_free(r);
}

static void test_resolution_limits(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	const char *gw12[] = {"192.168.12.2"}, *a[] = {"10.2.0.1"}, *b[] = {"10.1.0.1"},
	           *far[] = {"8.8.8.8"}, *own[] = {"10.7.0.1"};

	(void)state;
	/* Mutual recursion settles unresolved. */
	add_static(r, "10.1.0.0/16", 5, true, 1, a);
	add_static(r, "10.2.0.0/16", 5, true, 1, b);
	rib_run(r);
	assert_null(active(r, "10.1.0.0/16"));
	assert_null(active(r, "10.2.0.0/16"));
	/* The default route is no resolver (zebra's resolve-via-default off). */
	add_static(r, "0.0.0.0/0", 5, false, 1, gw12);
	add_static(r, "100.64.0.0/10", 5, true, 1, far);
	rib_run(r);
	assert_non_null(active(r, "0.0.0.0/0"));
	assert_null(active(r, "100.64.0.0/10"));
	/* Nor is the route itself. */
	add_static(r, "10.7.0.0/16", 5, true, 1, own);
	rib_run(r);
	assert_null(active(r, "10.7.0.0/16"));
	rib_free(r);
}

static void test_ecmp_and_floating(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	const char *two[] = {"192.168.13.2", "192.168.12.2"}, *gw12[] = {"192.168.12.2"},
	           *gw13[] = {"192.168.13.2"};
	const struct rib_route *rt;

	(void)state;
	add_static(r, "10.0.0.0/8", 5, false, 2, two);
	rib_run(r);
	/* Sorted by interface, whatever the config order. */
	assert_res(r, "10.0.0.0/8", "192.168.12.2@2 192.168.13.2@3");
	assert_int_equal(changed(&rec, "10.0.0.0/8")->n_res, 2);
	rec.n = 0;
	rib_link_set(r, 3, false);
	rib_run(r);
	assert_res(r, "10.0.0.0/8", "192.168.12.2@2");
	assert_int_equal(changed(&rec, "10.0.0.0/8")->n_res, 1);

	/* Floating static: preference 5 via eth1, qualified 7 via eth2. */
	rib_link_set(r, 3, true);
	add_static(r, "172.20.0.0/16", 5, false, 1, gw12);
	add_static(r, "172.20.0.0/16", 7, false, 1, gw13);
	rib_run(r);
	rt = active(r, "172.20.0.0/16");
	assert_int_equal(rt->pref, 5);
	rib_link_set(r, 2, false);
	rib_run(r);
	rt = active(r, "172.20.0.0/16");
	assert_int_equal(rt->pref, 7);
	assert_res(r, "172.20.0.0/16", "192.168.13.2@3");
	rib_link_set(r, 2, true);
	rib_run(r);
	assert_int_equal(active(r, "172.20.0.0/16")->pref, 5);
	rib_free(r);
}

static void test_preference_and_types(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	struct plat_prefix p = P("10.5.0.0/16");
	struct rib_nh knh = {.ifindex = 2};
	struct rib_route_attr kernel = {
	        .pref = rib_proto_pref(RIB_PROTO_KERNEL), .n_nh = 1, .nh = &knh};
	struct rib_route_attr discard = {.type = RIB_TYPE_DISCARD, .pref = 5};
	struct rib_route_attr reject = {.type = RIB_TYPE_REJECT, .pref = 5};
	struct rib_route_attr bad = {.pref = 5, .n_nh = 1, .nh = &(struct rib_nh){.ifindex = 0}};
	const char *gw[] = {"192.168.12.2"};

	(void)state;
	assert_string_equal(rib_proto_name(RIB_PROTO_STATIC), "Static");
	assert_int_equal(rib_proto_pref(RIB_PROTO_DIRECT), 0);
	assert_int_equal(rib_proto_pref(RIB_PROTO_LOCAL), 0);
	assert_int_equal(rib_proto_pref(RIB_PROTO_STATIC), 5);
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 5, &bad), -EINVAL);

	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_KERNEL, 0, &kernel), 0);
	rib_run(r);
	assert_int_equal(active(r, "10.5.0.0/16")->proto, RIB_PROTO_KERNEL);
	add_static(r, "10.5.0.0/16", 5, false, 1, gw);
	rib_run(r);
	assert_int_equal(active(r, "10.5.0.0/16")->proto, RIB_PROTO_STATIC);
	/* A static route at preference 50 loses to the kernel route (40). */
	del_static(r, "10.5.0.0/16", 5);
	add_static(r, "10.5.0.0/16", 50, false, 1, gw);
	rib_run(r);
	assert_int_equal(active(r, "10.5.0.0/16")->proto, RIB_PROTO_KERNEL);

	/* Discard and reject need no next hop. */
	p = P("192.0.2.0/24");
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 5, &discard), 0);
	p = P("198.18.0.0/15");
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 5, &reject), 0);
	rib_run(r);
	assert_int_equal(active(r, "192.0.2.0/24")->type, RIB_TYPE_DISCARD);
	assert_int_equal(active(r, "198.18.0.0/15")->type, RIB_TYPE_REJECT);
	/* A gateway resolving through a black hole is unusable. */
	const char *bh[] = {"192.0.2.1"};
	add_static(r, "10.6.0.0/16", 5, true, 1, bh);
	rib_run(r);
	assert_null(active(r, "10.6.0.0/16"));

	/* Equal preference: the lower interface wins, whatever came first. */
	struct rib *r2 = rib_new(NULL, NULL);
	rib_link_set(r2, 9, true);
	rib_link_set(r2, 4, true);
	addr(r2, 9, "10.10.0.1/24");
	addr(r2, 4, "10.10.0.2/24");
	rib_run(r2);
	assert_res(r2, "10.10.0.0/24", "-@4");
	/* Longest match for `show route ADDRESS`. */
	struct plat_ip ip;
	plat_ip_parse("10.10.0.77", &ip);
	assert_int_equal(rib_lookup(r2, &ip)->pfx.len, 24);
	rib_free(r2);
	rib_free(r);
}

static void test_ipv6(void **state)
{
	struct rec rec = {0};
	struct rib *r = rib_new(on_change, &rec);
	const char *gw[] = {"2001:db8:12::2"}, *rec_gw[] = {"2001:db8:99::1"};

	(void)state;
	rib_link_set(r, 2, true);
	addr(r, 2, "2001:db8:12::1/64");
	add_static(r, "2001:db8:99::/48", 5, false, 1, gw);
	add_static(r, "2001:db8:aa::/48", 5, true, 1, rec_gw);
	rib_run(r);
	assert_int_equal(active(r, "2001:db8:12::/64")->proto, RIB_PROTO_DIRECT);
	assert_int_equal(active(r, "2001:db8:12::1/128")->proto, RIB_PROTO_LOCAL);
	assert_res(r, "2001:db8:aa::/48", "2001:db8:12::2@2");
	struct rib_stats s;
	rib_stats(r, AF_INET6, &s);
	assert_int_equal(s.dests, 4);
	rib_stats(r, AF_INET, &s);
	assert_int_equal(s.dests, 0);
	rib_free(r);
}

/* Many statics through one gateway: all follow its interface. */
static void test_many(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	const char *gw[] = {"192.168.12.2"};
	struct rib_stats s;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		char pfx[32];

		snprintf(pfx, sizeof(pfx), "10.%d.%d.0/24", i / 256, i % 256);
		assert_int_equal(add_static(r, pfx, 5, false, 1, gw), 0);
	}
	rib_run(r);
	rib_stats(r, AF_INET, &s);
	assert_int_equal(s.active_by_proto[RIB_PROTO_STATIC], 5000);
	/* One report per destination, however many resolution rounds. */
	assert_int_equal(rec.n, 5000);
	rec.n = 0;
	rib_link_set(r, 2, false);
	rib_run(r);
	assert_int_equal(rec.n, 5000 + 2);
	rib_stats(r, AF_INET, &s);
	assert_int_equal(s.active_by_proto[RIB_PROTO_STATIC], 0);
	assert_int_equal(s.hidden, 5000);
	rib_free(r);
}

/* A monitor resync: what is reported again stays untouched, the rest goes. */
static void test_resync(void **state)
{
	struct rec rec;
	struct rib *r = setup(&rec);
	struct plat_prefix k1 = P("10.5.0.0/16"), k2 = P("10.6.0.0/16");
	struct plat_prefix a12 = P("192.168.12.1/24");
	struct rib_nh knh = {.ifindex = 2};
	struct rib_route_attr k = {.pref = 40, .n_nh = 1, .nh = &knh};
	const char *gw[] = {"192.168.13.2"};

	(void)state;
	rib_route_set(r, &k1, RIB_PROTO_KERNEL, 0, &k);
	rib_route_set(r, &k2, RIB_PROTO_KERNEL, 0, &k);
	add_static(r, "172.16.0.0/16", 5, false, 1, gw);
	rib_run(r);
	rec.n = 0;

	/* Lost: k2, eth2 (3) and its address. */
	rib_resync_begin(r);
	rib_link_set(r, 2, true);
	rib_addr_add(r, 2, &a12);
	rib_route_set(r, &k1, RIB_PROTO_KERNEL, 0, &k);
	rib_resync_end(r);
	rib_run(r);
	assert_non_null(active(r, "10.5.0.0/16"));
	assert_null(active(r, "10.6.0.0/16"));
	assert_null(active(r, "192.168.13.0/24"));
	assert_non_null(active(r, "192.168.12.0/24"));
	/* The static route stays configured, hidden without its interface. */
	struct rib_stats s;
	rib_stats(r, AF_INET, &s);
	assert_int_equal(s.routes_by_proto[RIB_PROTO_STATIC], 1);
	assert_null(active(r, "172.16.0.0/16"));
	/* Nothing re-reported moved. */
	assert_null(changed(&rec, "10.5.0.0/16"));
	assert_null(changed(&rec, "192.168.12.0/24"));
	assert_non_null(changed(&rec, "10.6.0.0/16"));
	assert_non_null(changed(&rec, "192.168.13.1/32"));

	/* An interrupted resync, then a full one: nothing is lost. */
	rib_resync_begin(r);
	rib_resync_begin(r);
	rib_link_set(r, 2, true);
	rib_addr_add(r, 2, &a12);
	rib_route_set(r, &k1, RIB_PROTO_KERNEL, 0, &k);
	rib_resync_end(r);
	rib_run(r);
	assert_non_null(active(r, "10.5.0.0/16"));
	assert_non_null(active(r, "192.168.12.1/32"));
	rib_free(r);
}

/*
 * What a route costs (tests/bench/bench_route.py measures it; goal <= 200
 * bytes a route with the trie): a destination carries the FIB's state too,
 * a route reads its next hops from its group. Growing either is a decision,
 * not an accident.
 */
static void test_sizes(void **state)
{
	(void)state;
	if (sizeof(void *) != 8)
		skip();
	assert_int_equal(sizeof(struct rib_dest), 48);
	assert_int_equal(sizeof(struct rib_route), 64);
}

/* The active route is the head of the sorted list: every change of it is
 * reported, also when another usable route takes over. */
static void test_active_changes(void **state)
{
	struct rec rec = {0};
	struct rib *r = rib_new(on_change, &rec);
	struct plat_prefix a = P("192.168.1.1/24"), p = P("10.0.0.0/8");
	struct rib_nh nh = {.gw.family = AF_INET};
	struct rib_route_attr at = {.pref = 5, .n_nh = 1, .nh = &nh};

	(void)state;
	assert_int_equal(plat_ip_parse("192.168.1.2", &nh.gw), 0);
	rib_link_set(r, 2, true);
	rib_addr_add(r, 2, &a);
	rib_run(r);
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 5, &at), 0);
	rib_run(r);
	assert_non_null(active(r, "10.0.0.0/8"));
	assert_int_equal(active(r, "10.0.0.0/8")->pref, 5);
	/* A better one added behind the head is still seen. */
	at.pref = 3;
	rec.n = 0;
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 3, &at), 0);
	rib_run(r);
	assert_non_null(changed(&rec, "10.0.0.0/8"));
	assert_int_equal(active(r, "10.0.0.0/8")->pref, 3);
	/* A worse one changes nothing the FIB cares about but is listed. */
	at.pref = 9;
	assert_int_equal(rib_route_set(r, &p, RIB_PROTO_STATIC, 9, &at), 0);
	rib_run(r);
	assert_int_equal(active(r, "10.0.0.0/8")->pref, 3);
	/* Removing the active one hands over to the next. */
	rec.n = 0;
	assert_int_equal(rib_route_unset(r, &p, RIB_PROTO_STATIC, 3), 0);
	rib_run(r);
	assert_non_null(changed(&rec, "10.0.0.0/8"));
	assert_int_equal(active(r, "10.0.0.0/8")->pref, 5);
	assert_int_equal(rib_route_unset(r, &p, RIB_PROTO_STATIC, 5), 0);
	assert_int_equal(rib_route_unset(r, &p, RIB_PROTO_STATIC, 9), 0);
	rec.n = 0;
	rib_run(r);
	assert_null(active(r, "10.0.0.0/8"));
	assert_null(rib_exact(r, &p));
	rib_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_connected),
	        cmocka_unit_test(test_static_connected_gateway),
	        cmocka_unit_test(test_recursive),
	        cmocka_unit_test(test_resolution_limits),
	        cmocka_unit_test(test_ecmp_and_floating),
	        cmocka_unit_test(test_preference_and_types),
	        cmocka_unit_test(test_ipv6),
	        cmocka_unit_test(test_many),
	        cmocka_unit_test(test_resync),
	        cmocka_unit_test(test_sizes),
	        cmocka_unit_test(test_active_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
