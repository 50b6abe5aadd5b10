/*
 * The FIB (daemons/ribd/fib.c) over a fake platform that records route
 * operations: only static routes are installed, with keel's protocol and
 * NLM_F_REPLACE, ECMP as one multipath route, withdrawals delete; a route of
 * another program is never touched; and the restart rules: routes of ours
 * found in the kernel are adopted without any kernel operation when the RIB
 * wants them unchanged, replaced when it wants them changed, kept while
 * unwanted before the sweep, and only the leftovers are swept.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemons/ribd/fib.h"
#include "daemons/ribd/rib.h"

/* ------------------------------------------------------------ fake platform */

static char ops_log[64][256];
static size_t n_ops;
static char fail_prefix[64];

static void log_route(const char *verb, const struct plat_route *r, bool replace)
{
	char buf[256], pfx[64], ip[64];
	size_t off;

	assert_true(n_ops < 64);
	off = (size_t)snprintf(buf, sizeof(buf), "%s %s proto %u type %u metric %u%s", verb,
	                       plat_prefix_str(&r->dst, pfx, sizeof(pfx)), r->protocol, r->type,
	                       r->priority, replace ? " replace" : "");
	for (size_t i = 0; i < r->n_nh && off < sizeof(buf); i++)
		off += (size_t)snprintf(
		        buf + off, sizeof(buf) - off, " %s@%d",
		        r->nh[i].gw.family ? plat_ip_str(&r->nh[i].gw, ip, sizeof(ip)) : "-",
		        r->nh[i].ifindex);
	snprintf(ops_log[n_ops++], sizeof(ops_log[0]), "%s", buf);
}

static int fake_route_add(void *priv, const struct plat_route *r, bool replace)
{
	char pfx[64];

	(void)priv;
	log_route("add", r, replace);
	if (strcmp(plat_prefix_str(&r->dst, pfx, sizeof(pfx)), fail_prefix) == 0)
		return -ENETUNREACH;
	return 0;
}

static int fake_route_del(void *priv, const struct plat_route *r)
{
	(void)priv;
	log_route("del", r, false);
	return 0;
}

static int fake_open(struct plat *p, void **priv)
{
	(void)p;
	*priv = NULL;
	return 0;
}

static const struct plat_ops fake_ops = {
        .name = "fake",
        .open = fake_open,
        .route_add = fake_route_add,
        .route_del = fake_route_del,
};

/* ------------------------------------------------------------ helpers */

struct node {
	struct plat *plat;
	struct fib *fib;
	struct rib *rib;
};

static struct plat_prefix P(const char *s) {
	struct plat_prefix p;

	assert_int_equal(plat_prefix_parse(s, &p), 0);
	return p;
}

static void
node_up(struct node *n)
{
	struct plat_prefix a = P("192.168.12.1/24"), b = P("192.168.13.1/24");

	n_ops = 0;
	fail_prefix[0] = 0;
	if (!n->plat)
		n->plat = plat_open_ops(&fake_ops);
	assert_non_null(n->plat);
	n->fib = fib_new(n->plat, FIB_RTPROT);
	n->rib = rib_new(fib_rib_changed, n->fib);
	assert_non_null(n->fib);
	assert_non_null(n->rib);
	fib_attach(n->fib, n->rib);
	rib_link_set(n->rib, 2, true);
	rib_link_set(n->rib, 3, true);
	rib_addr_add(n->rib, 2, &a);
	rib_addr_add(n->rib, 3, &b);
}

static void node_down(struct node *n)
{
	rib_free(n->rib);
	fib_free(n->fib);
	n->rib = NULL;
	n->fib = NULL;
}

static void set_static(struct node *n, const char *pfx, enum rib_type type, size_t ngw, ...)
{
	struct rib_nh nh[4] = {0};
	struct rib_route_attr a = {.type = type, .pref = 5, .n_nh = ngw, .nh = nh};
	struct plat_prefix p = P(pfx);
	va_list ap;

	va_start(ap, ngw);
	for (size_t i = 0; i < ngw; i++)
		assert_int_equal(plat_ip_parse(va_arg(ap, const char *), &nh[i].gw), 0);
	va_end(ap);
	assert_int_equal(rib_route_set(n->rib, &p, RIB_PROTO_STATIC, 5, &a), 0);
}

static void commit(struct node *n)
{
	n_ops = 0;
	rib_run(n->rib);
	assert_true(fib_flush(n->fib) >= 0);
}

static void assert_ops(const char *const *want, size_t nwant)
{
	if (n_ops != nwant)
		for (size_t i = 0; i < n_ops; i++)
			print_message("  op: %s\n", ops_log[i]);
	assert_int_equal(n_ops, nwant);
	/* Order within a batch is not part of the contract. */
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;

		for (size_t k = 0; k < n_ops; k++)
			found |= strcmp(ops_log[k], want[i]) == 0;
		if (!found)
			fail_msg("missing op: %s", want[i]);
	}
}

static struct plat_route kroute(const char *pfx, uint8_t proto, const char *gw, int ifindex)
{
	struct plat_route r = {
	        .dst = P(pfx), .protocol = proto, .type = RTN_UNICAST, .priority = 5, .n_nh = 1};

	if (gw)
		assert_int_equal(plat_ip_parse(gw, &r.nh[0].gw), 0);
	r.nh[0].ifindex = ifindex;
	return r;
}

/* ------------------------------------------------------------ tests */

static void test_install(void **state)
{
	struct node n = {0};
	struct fib_stats st;

	(void)state;
	node_up(&n);
	commit(&n);
	/* Direct and local routes are the kernel's own. */
	assert_ops(NULL, 0);

	set_static(&n, "10.0.0.0/8", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	commit(&n);
	assert_ops(
	        (const char *[]){"add 10.0.0.0/8 proto 200 type 1 metric 5 replace 192.168.12.2@2"},
	        1);

	set_static(&n, "10.0.0.0/8", RIB_TYPE_UNICAST, 2, "192.168.13.2", "192.168.12.2");
	commit(&n);
	assert_ops(
	        (const char *[]){"add 10.0.0.0/8 proto 200 type 1 metric 5 replace 192.168.12.2@2 "
	                         "192.168.13.2@3"},
	        1);

	set_static(&n, "192.0.2.0/24", RIB_TYPE_DISCARD, 0);
	set_static(&n, "198.51.100.0/24", RIB_TYPE_REJECT, 0);
	commit(&n);
	assert_ops((const char *[]){"add 192.0.2.0/24 proto 200 type 6 metric 5 replace",
	                            "add 198.51.100.0/24 proto 200 type 7 metric 5 replace"},
	           2);

	/* A new preference is a new kernel metric: the old route goes first. */
	struct rib_route_attr p7 = {.type = RIB_TYPE_DISCARD, .pref = 7};
	struct plat_prefix bh = P("192.0.2.0/24");
	rib_route_unset(n.rib, &bh, RIB_PROTO_STATIC, 5);
	assert_int_equal(rib_route_set(n.rib, &bh, RIB_PROTO_STATIC, 7, &p7), 0);
	commit(&n);
	assert_int_equal(n_ops, 2);
	assert_string_equal(ops_log[0], "del 192.0.2.0/24 proto 200 type 6 metric 5");
	assert_string_equal(ops_log[1], "add 192.0.2.0/24 proto 200 type 6 metric 7 replace");

	/* Interface down: the route loses a path; then all of them. */
	rib_link_set(n.rib, 3, false);
	commit(&n);
	assert_ops(
	        (const char *[]){"add 10.0.0.0/8 proto 200 type 1 metric 5 replace 192.168.12.2@2"},
	        1);
	rib_link_set(n.rib, 2, false);
	commit(&n);
	assert_ops((const char *[]){"del 10.0.0.0/8 proto 200 type 1 metric 5 192.168.12.2@2"}, 1);

	/* Deleted behind our back while wanted: reinstalled. */
	struct plat_route gone = {.dst = P("192.0.2.0/24"), .protocol = FIB_RTPROT};
	n_ops = 0;
	fib_kernel_gone(n.fib, &gone);
	assert_int_equal(fib_flush(n.fib), 0);
	assert_int_equal(n_ops, 1);
	assert_string_equal(ops_log[0], "add 192.0.2.0/24 proto 200 type 6 metric 7 replace");

	/* A failure is counted and the entry not taken as installed. */
	rib_link_set(n.rib, 2, true);
	snprintf(fail_prefix, sizeof(fail_prefix), "10.0.0.0/8");
	n_ops = 0;
	rib_run(n.rib);
	assert_int_equal(fib_flush(n.fib), 1);
	fib_get_stats(n.fib, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.installed, 2);
	node_down(&n);
	plat_close(n.plat);
}

static void test_foreign_route(void **state)
{
	struct node n = {0};
	struct rib_nh knh = {.ifindex = 3};
	struct rib_route_attr k = {.pref = 40, .n_nh = 1, .nh = &knh};
	struct plat_prefix p = P("10.5.0.0/16");

	(void)state;
	node_up(&n);
	set_static(&n, "10.5.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	commit(&n);
	assert_int_equal(n_ops, 1);
	/* Another program's route appears: ours steps aside, theirs stays. */
	rib_route_set(n.rib, &p, RIB_PROTO_KERNEL, 0, &k);
	commit(&n);
	assert_ops((const char *[]){"del 10.5.0.0/16 proto 200 type 1 metric 5 192.168.12.2@2"}, 1);
	/* Foreign routes seen in the kernel are not ours to adopt or sweep. */
	struct plat_route fr = kroute("10.5.0.0/16", RTPROT_BOOT, NULL, 3);
	fib_kernel_seen(n.fib, &fr);
	n_ops = 0;
	assert_int_equal(fib_sweep(n.fib), 0);
	assert_int_equal(n_ops, 0);
	node_down(&n);
	plat_close(n.plat);
}

static void test_restart(void **state)
{
	struct node n = {0};
	struct fib_stats st;
	struct plat_route keep = kroute("10.1.0.0/16", FIB_RTPROT, "192.168.12.2", 2),
	                  moved = kroute("10.2.0.0/16", FIB_RTPROT, "192.168.12.2", 2),
	                  old = kroute("10.3.0.0/16", FIB_RTPROT, "192.168.12.2", 2),
	                  boot = kroute("10.4.0.0/16", RTPROT_BOOT, "192.168.12.2", 2);

	(void)state;
	node_up(&n);
	/* What the monitor's first resync reports. */
	fib_kernel_seen(n.fib, &keep);
	fib_kernel_seen(n.fib, &moved);
	fib_kernel_seen(n.fib, &old);
	fib_kernel_seen(n.fib, &boot);
	fib_get_stats(n.fib, &st);
	assert_int_equal(st.stale, 3);
	assert_int_equal(st.installed, 3);

	/* Interfaces load first: nothing static yet, and nothing is deleted. */
	commit(&n);
	assert_ops(NULL, 0);

	/* Config loads: the same route is adopted silently, a changed one replaced. */
	set_static(&n, "10.1.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	set_static(&n, "10.2.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.13.2");
	commit(&n);
	assert_ops(
	        (const char *[]){
	                "add 10.2.0.0/16 proto 200 type 1 metric 5 replace 192.168.13.2@3"},
	        1);
	fib_get_stats(n.fib, &st);
	assert_int_equal(st.adopted, 1);
	assert_int_equal(st.stale, 1);

	/* A stale route the RIB reports unwanted before the sweep is kept. */
	set_static(&n, "10.3.0.0/16", RIB_TYPE_UNICAST, 1, "203.0.113.1");
	commit(&n);
	assert_ops(NULL, 0);

	/* The sweep removes only what nobody re-added. */
	n_ops = 0;
	assert_int_equal(fib_sweep(n.fib), 1);
	assert_ops((const char *[]){"del 10.3.0.0/16 proto 200 type 1 metric 5 192.168.12.2@2"}, 1);
	assert_true(fib_swept(n.fib));
	fib_get_stats(n.fib, &st);
	assert_int_equal(st.stale, 0);
	assert_int_equal(st.installed, 2);

	/* Our own add echoed by the monitor changes nothing. */
	struct plat_route echo = kroute("10.2.0.0/16", FIB_RTPROT, "192.168.13.2", 3);
	fib_kernel_seen(n.fib, &echo);
	n_ops = 0;
	assert_int_equal(fib_flush(n.fib), 0);
	assert_int_equal(n_ops, 0);

	/* A route of ours nobody wants, appearing after the sweep, goes. */
	struct plat_route stray = kroute("10.9.0.0/16", FIB_RTPROT, "192.168.12.9", 2);
	fib_kernel_seen(n.fib, &stray);
	n_ops = 0;
	assert_int_equal(fib_flush(n.fib), 0);
	assert_ops((const char *[]){"del 10.9.0.0/16 proto 200 type 1 metric 5 192.168.12.9@2"}, 1);
	node_down(&n);
	plat_close(n.plat);
}

/* A monitor resync: an installed route the dump no longer holds is put back. */
static void test_resync(void **state)
{
	struct node n = {0};
	struct plat_route k1 = kroute("10.1.0.0/16", FIB_RTPROT, "192.168.12.2", 2);

	(void)state;
	node_up(&n);
	set_static(&n, "10.1.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	set_static(&n, "10.2.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	commit(&n);
	assert_int_equal(n_ops, 2);
	n_ops = 0;
	fib_resync_begin(n.fib);
	fib_kernel_seen(n.fib, &k1);
	fib_resync_end(n.fib);
	assert_int_equal(fib_flush(n.fib), 0);
	assert_ops(
	        (const char *[]){
	                "add 10.2.0.0/16 proto 200 type 1 metric 5 replace 192.168.12.2@2"},
	        1);
	node_down(&n);
	plat_close(n.plat);
}

static int count_fib(void *arg, const struct rib_dest *d)
{
	(void)d;
	(*(size_t *)arg)++;
	return 0;
}

static size_t fib_count(const struct fib *f)
{
	size_t n = 0;

	assert_int_equal(fib_walk(f, AF_INET, count_fib, &n), 0);
	return n;
}

static size_t rib_dests(const struct rib *r)
{
	struct rib_mem m;

	rib_memory(r, &m);
	return m.dests;
}

/*
 * The FIB keeps its state in the RIB's destinations: a route of ours in the
 * kernel that the RIB does not have holds a destination without routes
 * (invisible to RIB lookups), and every destination the FIB is done with
 * goes away again.
 */
static void test_held_destinations(void **state)
{
	struct node n = {0};
	struct plat_route stale = kroute("10.7.0.0/16", FIB_RTPROT, "192.168.12.2", 2);
	struct plat_prefix p7 = P("10.7.0.0/16"), p8 = P("10.8.0.0/16");
	size_t d0;

	(void)state;
	node_up(&n);
	commit(&n);
	d0 = rib_dests(n.rib);
	assert_int_equal(fib_count(n.fib), 0);

	fib_kernel_seen(n.fib, &stale);
	assert_int_equal(rib_dests(n.rib), d0 + 1);
	assert_null(rib_exact(n.rib, &p7));
	assert_int_equal(fib_count(n.fib), 1);
	/* The RIB's own changes around it leave it alone until the sweep. */
	commit(&n);
	assert_ops(NULL, 0);
	assert_int_equal(rib_dests(n.rib), d0 + 1);
	n_ops = 0;
	assert_int_equal(fib_sweep(n.fib), 1);
	assert_ops((const char *[]){"del 10.7.0.0/16 proto 200 type 1 metric 5 192.168.12.2@2"}, 1);
	assert_int_equal(rib_dests(n.rib), d0);
	assert_int_equal(fib_count(n.fib), 0);

	/* A route the RIB drops is deleted from the kernel, then forgotten. */
	set_static(&n, "10.8.0.0/16", RIB_TYPE_UNICAST, 1, "192.168.12.2");
	commit(&n);
	assert_int_equal(n_ops, 1);
	assert_int_equal(fib_count(n.fib), 1);
	assert_int_equal(rib_route_unset(n.rib, &p8, RIB_PROTO_STATIC, 5), 0);
	commit(&n);
	assert_ops((const char *[]){"del 10.8.0.0/16 proto 200 type 1 metric 5 192.168.12.2@2"}, 1);
	assert_int_equal(rib_dests(n.rib), d0);
	assert_int_equal(fib_count(n.fib), 0);

	node_down(&n);
	plat_close(n.plat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_install),           cmocka_unit_test(test_foreign_route),
	        cmocka_unit_test(test_restart),           cmocka_unit_test(test_resync),
	        cmocka_unit_test(test_held_destinations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
