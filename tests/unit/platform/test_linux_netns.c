/*
 * The linux platform back-end against the real kernel, in a private network
 * namespace made with unshare(CLONE_NEWNET): it disappears with the process,
 * so nothing needs cleaning up. Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN);
 * otherwise every test is skipped with a message saying so.
 *
 * Each step checks the kernel's state through the platform API (read back)
 * and that the monitor reported the change.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/nl.h"
#include "platform/platform.h"

#define PROTO_TEST 186

enum rec_kind { REC_LINK, REC_ADDR, REC_ROUTE, REC_NEIGH };

struct rec_ev {
	enum rec_kind kind;
	enum plat_ev ev;
	unsigned changes;
	struct plat_link link;
	struct plat_addr addr;
	struct plat_route route;
	struct plat_neigh neigh;
};

struct rec {
	struct rec_ev *evs;
	size_t n, cap;
	int begins, ends;
	size_t routes_in_resync; /* routes with PROTO_TEST seen since the last begin */
	bool in_resync;
};

static struct rec rec;
static struct plat *plat;
static struct event_base *base;
static struct plat_monitor *mon;
static const char *skip_reason;

static struct rec_ev *rec_add(enum rec_kind k, enum plat_ev ev)
{
	if (rec.n == rec.cap) {
		rec.cap = rec.cap ? rec.cap * 2 : 256;
		rec.evs = realloc(rec.evs, rec.cap * sizeof(*rec.evs));
		assert_non_null(rec.evs);
	}
	memset(&rec.evs[rec.n], 0, sizeof(rec.evs[0]));
	rec.evs[rec.n].kind = k;
	rec.evs[rec.n].ev = ev;
	return &rec.evs[rec.n++];
}

static void on_begin(void *arg)
{
	rec.begins++;
	rec.in_resync = true;
	rec.routes_in_resync = 0;
}

static void on_end(void *arg)
{
	rec.ends++;
	rec.in_resync = false;
}

static void on_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	struct rec_ev *e = rec_add(REC_LINK, ev);

	e->link = *l;
	e->changes = changes;
}

static void on_addr(void *arg, enum plat_ev ev, const struct plat_addr *a)
{
	rec_add(REC_ADDR, ev)->addr = *a;
}

static void on_route(void *arg, enum plat_ev ev, const struct plat_route *r)
{
	if (rec.in_resync && r->protocol == PROTO_TEST)
		rec.routes_in_resync++;
	/* The overflow test floods routes; only keep the interesting ones. */
	if (r->dst.len == 16 && r->dst.ip.family == AF_INET && r->dst.ip.bytes[0] == 172)
		return;
	rec_add(REC_ROUTE, ev)->route = *r;
}

static void on_neigh(void *arg, enum plat_ev ev, const struct plat_neigh *n)
{
	rec_add(REC_NEIGH, ev)->neigh = *n;
}

static const struct plat_monitor_cbs cbs = {
        .resync_begin = on_begin,
        .resync_end = on_end,
        .link = on_link,
        .addr = on_addr,
        .route = on_route,
        .neigh = on_neigh,
};

typedef bool (*match_fn)(const struct rec_ev *e, const void *want);

/* Runs the event loop until an event matches (bounded: 3 s). */
static bool wait_for(match_fn fn, const void *want)
{
	for (int i = 0; i < 300; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		for (size_t j = 0; j < rec.n; j++)
			if (fn(&rec.evs[j], want))
				return true;
		usleep(10000);
	}
	return false;
}

struct want_link {
	const char *name;
	enum plat_ev ev;
	unsigned changes;
};

static bool match_link(const struct rec_ev *e, const void *w)
{
	const struct want_link *wl = w;

	return e->kind == REC_LINK && e->ev == wl->ev && strcmp(e->link.name, wl->name) == 0 &&
	       (e->changes & wl->changes) == wl->changes;
}

static bool wait_link(const char *name, enum plat_ev ev, unsigned changes)
{
	struct want_link w = {name, ev, changes};

	return wait_for(match_link, &w);
}

struct want_addr {
	enum plat_ev ev;
	const char *prefix;
};

static bool match_addr(const struct rec_ev *e, const void *w)
{
	const struct want_addr *wa = w;
	char buf[64];

	return e->kind == REC_ADDR && e->ev == wa->ev &&
	       strcmp(plat_prefix_str(&e->addr.prefix, buf, sizeof(buf)), wa->prefix) == 0;
}

struct want_route {
	enum plat_ev ev;
	const char *dst;
	size_t n_nh;
};

static bool match_route(const struct rec_ev *e, const void *w)
{
	const struct want_route *wr = w;
	char buf[64];

	return e->kind == REC_ROUTE && e->ev == wr->ev && e->route.protocol == PROTO_TEST &&
	       strcmp(plat_prefix_str(&e->route.dst, buf, sizeof(buf)), wr->dst) == 0 &&
	       (wr->ev == PLAT_EV_DEL || e->route.n_nh == wr->n_nh);
}

static bool match_neigh(const struct rec_ev *e, const void *w)
{
	const struct plat_ip *ip = w;

	return e->kind == REC_NEIGH && e->ev == PLAT_EV_NEW && plat_ip_equal(&e->neigh.ip, ip);
}

static void rec_clear(void)
{
	rec.n = 0;
}

static int get_index(const char *name)
{
	struct plat_link l;

	assert_int_equal(plat_link_get_by_name(plat, name, &l), 0);
	return l.ifindex;
}

static int group_setup(void **state)
{
	log_init("test_linux_netns", true, false);
	if (geteuid() != 0) {
		skip_reason = "needs root: unshare(CLONE_NEWNET) and netlink writes need "
		              "CAP_SYS_ADMIN / CAP_NET_ADMIN";
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		skip_reason = "unshare(CLONE_NEWNET) failed; needs root in a netns-capable kernel";
		return 0;
	}
	plat = plat_open("linux");
	base = ev_base_new();
	if (!plat || !base)
		return -1;
	mon = plat_monitor_new(
	        plat, base, PLAT_WATCH_LINK | PLAT_WATCH_ADDR | PLAT_WATCH_ROUTE | PLAT_WATCH_NEIGH,
	        &cbs, NULL);
	return mon ? 0 : -1;
}

static int group_teardown(void **state)
{
	plat_monitor_free(mon);
	plat_close(plat);
	if (base)
		event_base_free(base);
	free(rec.evs);
	return 0;
}

#define NEED_ROOT()                                                                                \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			print_message("skipped: %s\n", skip_reason);                               \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void test_start_and_lo(void **state)
{
	struct plat_link lo;

	NEED_ROOT();
	assert_int_equal(plat_monitor_start(mon), 0);
	/* The initial dump is a resync: begin, lo as NEW + ADDED, end. */
	assert_int_equal(rec.begins, 1);
	assert_int_equal(rec.ends, 1);
	assert_true(wait_link("lo", PLAT_EV_NEW, PLAT_LINK_CHG_ADDED));
	rec_clear();
	assert_int_equal(plat_link_get_by_name(plat, "lo", &lo), 0);
	assert_false(lo.admin_up);
	assert_int_equal(plat_link_set_admin(plat, lo.ifindex, true), 0);
	assert_true(wait_link("lo", PLAT_EV_NEW, PLAT_LINK_CHG_ADMIN));
	assert_int_equal(plat_link_get(plat, lo.ifindex, &lo), 0);
	assert_true(lo.admin_up);
	assert_int_equal(plat_link_get_by_name(plat, "nosuch0", &lo), -ENODEV);
}

static void test_links(void **state)
{
	struct plat_link v0, br;

	NEED_ROOT();
	rec_clear();
	assert_int_equal(plat_link_add_veth(plat, "v0", "v1"), 0);
	assert_int_equal(plat_link_add_veth(plat, "v2", "v3"), 0);
	assert_int_equal(plat_link_add_bridge(plat, "br0"), 0);
	assert_int_equal(plat_link_add_bridge(plat, "br0"), -EEXIST);
	assert_true(wait_link("v0", PLAT_EV_NEW, PLAT_LINK_CHG_ADDED));
	assert_true(wait_link("v1", PLAT_EV_NEW, PLAT_LINK_CHG_ADDED));
	assert_true(wait_link("br0", PLAT_EV_NEW, PLAT_LINK_CHG_ADDED));

	assert_int_equal(plat_link_get_by_name(plat, "v0", &v0), 0);
	assert_string_equal(v0.kind, "veth");
	assert_true(v0.has_mac);
	assert_int_equal(v0.link, get_index("v1"));
	assert_int_equal(plat_link_get_by_name(plat, "br0", &br), 0);
	assert_string_equal(br.kind, "bridge");

	rec_clear();
	assert_int_equal(plat_link_set_mtu(plat, v0.ifindex, 1400), 0);
	assert_true(wait_link("v0", PLAT_EV_NEW, PLAT_LINK_CHG_MTU));
	assert_int_equal(plat_link_set_mtu(plat, v0.ifindex, 10), -EINVAL);
	assert_int_equal(plat_link_get(plat, v0.ifindex, &v0), 0);
	assert_int_equal(v0.mtu, 1400);

	rec_clear();
	assert_int_equal(plat_link_set_admin(plat, v0.ifindex, true), 0);
	assert_int_equal(plat_link_set_admin(plat, get_index("v1"), true), 0);
	assert_int_equal(plat_link_set_admin(plat, get_index("v2"), true), 0);
	assert_int_equal(plat_link_set_admin(plat, get_index("v3"), true), 0);
	assert_int_equal(plat_link_set_admin(plat, br.ifindex, true), 0);
	assert_true(wait_link("v0", PLAT_EV_NEW, PLAT_LINK_CHG_ADMIN));
	/* Both ends up: the veth gets carrier and goes oper up. */
	assert_true(wait_link("v1", PLAT_EV_NEW, PLAT_LINK_CHG_OPER));
	assert_int_equal(plat_link_get(plat, v0.ifindex, &v0), 0);
	assert_true(v0.admin_up);
	assert_true(v0.carrier);
	assert_int_equal(v0.oper, PLAT_OPER_UP);
	assert_string_equal(plat_oper_name(v0.oper), "up");

	/* The kernel notifies an alias change only on an up link (netdev_state_change()). */
	rec_clear();
	assert_int_equal(plat_link_set_alias(plat, v0.ifindex, "uplink to core"), 0);
	assert_true(wait_link("v0", PLAT_EV_NEW, PLAT_LINK_CHG_ALIAS));
	assert_int_equal(plat_link_get(plat, v0.ifindex, &v0), 0);
	assert_string_equal(v0.alias, "uplink to core");
}

static int count_addr(void *arg, const struct plat_addr *a)
{
	const char *want = ((const char **)arg)[0];
	char buf[64];

	if (strcmp(plat_prefix_str(&a->prefix, buf, sizeof(buf)), want) == 0)
		(*(int *)((const char **)arg)[1])++;
	return 0;
}

static int addr_present(const char *prefix)
{
	int n = 0;
	const void *arg[2] = {prefix, &n};

	assert_int_equal(plat_addr_list(plat, 0, count_addr, arg), 0);
	return n;
}

static void test_addresses(void **state)
{
	struct plat_addr a4 = {0}, a6 = {0}, b4 = {0};
	struct want_addr w4 = {PLAT_EV_NEW, "10.1.0.1/24"}, w6 = {PLAT_EV_NEW, "2001:db8:1::1/64"};
	struct want_addr d4 = {PLAT_EV_DEL, "10.1.0.1/24"};

	NEED_ROOT();
	rec_clear();
	a4.ifindex = a6.ifindex = get_index("v0");
	b4.ifindex = get_index("v1");
	assert_int_equal(plat_prefix_parse("10.1.0.1/24", &a4.prefix), 0);
	assert_int_equal(plat_prefix_parse("2001:db8:1::1/64", &a6.prefix), 0);
	assert_int_equal(plat_prefix_parse("10.2.0.1/24", &b4.prefix), 0);
	assert_int_equal(plat_addr_add(plat, &a4), 0);
	assert_int_equal(plat_addr_add(plat, &a6), 0);
	assert_int_equal(plat_addr_add(plat, &b4), 0);
	assert_int_equal(plat_addr_add(plat, &a4), -EEXIST);
	assert_true(wait_for(match_addr, &w4));
	assert_true(wait_for(match_addr, &w6));
	assert_int_equal(addr_present("10.1.0.1/24"), 1);
	assert_int_equal(addr_present("2001:db8:1::1/64"), 1);

	assert_int_equal(plat_addr_del(plat, &a6), 0);
	assert_int_equal(addr_present("2001:db8:1::1/64"), 0);
	assert_int_equal(plat_addr_del(plat, &a4), 0);
	assert_true(wait_for(match_addr, &d4));
	assert_int_equal(addr_present("10.1.0.1/24"), 0);
	assert_int_equal(plat_addr_del(plat, &a4), -EADDRNOTAVAIL);
	/* Back for the route tests. */
	assert_int_equal(plat_addr_add(plat, &a4), 0);
}

struct find_route {
	const char *dst;
	struct plat_route found;
	int n;
};

static int find_route_cb(void *arg, const struct plat_route *r)
{
	struct find_route *f = arg;
	char buf[64];

	if (r->protocol == PROTO_TEST &&
	    strcmp(plat_prefix_str(&r->dst, buf, sizeof(buf)), f->dst) == 0) {
		f->found = *r;
		f->n++;
	}
	return 0;
}

static void test_routes(void **state)
{
	struct plat_route r = {0};
	struct find_route f = {.dst = "10.9.0.0/16"};
	struct want_route w = {PLAT_EV_NEW, "10.9.0.0/16", 2};
	struct want_route wd = {PLAT_EV_DEL, "10.9.0.0/16", 0};
	int v0, v1;
	uint8_t seen = 0;

	NEED_ROOT();
	v0 = get_index("v0");
	v1 = get_index("v1");
	rec_clear();
	assert_int_equal(plat_prefix_parse("10.9.0.0/16", &r.dst), 0);
	r.protocol = PROTO_TEST;
	r.priority = 20;
	r.n_nh = 2;
	assert_int_equal(plat_ip_parse("10.1.0.2", &r.nh[0].gw), 0);
	r.nh[0].ifindex = v0;
	r.nh[0].weight = 1;
	assert_int_equal(plat_ip_parse("10.2.0.2", &r.nh[1].gw), 0);
	r.nh[1].ifindex = v1;
	r.nh[1].weight = 3;
	assert_int_equal(plat_route_add(plat, &r, false), 0);
	assert_int_equal(plat_route_add(plat, &r, false), -EEXIST);
	assert_true(wait_for(match_route, &w));

	assert_int_equal(plat_route_list(plat, AF_INET, find_route_cb, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.found.n_nh, 2);
	assert_int_equal(f.found.priority, 20);
	for (size_t i = 0; i < 2; i++) {
		char gw[64];

		plat_ip_str(&f.found.nh[i].gw, gw, sizeof(gw));
		if (strcmp(gw, "10.1.0.2") == 0 && f.found.nh[i].ifindex == v0 &&
		    f.found.nh[i].weight == 1)
			seen |= 1;
		if (strcmp(gw, "10.2.0.2") == 0 && f.found.nh[i].ifindex == v1 &&
		    f.found.nh[i].weight == 3)
			seen |= 2;
	}
	assert_int_equal(seen, 3);

	/* Replace with a single path. */
	r.n_nh = 1;
	assert_int_equal(plat_route_add(plat, &r, true), 0);
	f.n = 0;
	assert_int_equal(plat_route_list(plat, AF_INET, find_route_cb, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.found.n_nh, 1);

	/* IPv6 ECMP over link-local-free global next hops. */
	{
		struct plat_addr a6 = {.ifindex = v1};
		struct plat_route r6 = {.protocol = PROTO_TEST, .n_nh = 2};
		struct want_route w6 = {PLAT_EV_NEW, "2001:db8:99::/48", 2};

		assert_int_equal(plat_prefix_parse("2001:db8:2::1/64", &a6.prefix), 0);
		assert_int_equal(plat_addr_add(plat, &a6), 0);
		assert_int_equal(plat_prefix_parse("2001:db8:99::/48", &r6.dst), 0);
		assert_int_equal(plat_ip_parse("2001:db8:2::2", &r6.nh[0].gw), 0);
		assert_int_equal(plat_ip_parse("2001:db8:2::3", &r6.nh[1].gw), 0);
		r6.nh[0].ifindex = r6.nh[1].ifindex = v1;
		r6.nh[0].onlink = r6.nh[1].onlink = true;
		assert_int_equal(plat_route_add(plat, &r6, false), 0);
		assert_true(wait_for(match_route, &w6));
		f = (struct find_route){.dst = "2001:db8:99::/48"};
		assert_int_equal(plat_route_list(plat, AF_INET6, find_route_cb, &f), 0);
		assert_int_equal(f.n, 1);
		assert_int_equal(f.found.n_nh, 2);
		assert_int_equal(plat_route_del(plat, &r6), 0);
	}

	assert_int_equal(plat_route_del(plat, &r), 0);
	assert_true(wait_for(match_route, &wd));
	assert_int_equal(plat_route_del(plat, &r), -ESRCH);
}

static void test_bridge(void **state)
{
	struct plat_link v2;
	struct plat_brport_flags fl;
	struct plat_bridge_vlan vl = {.vid = 10, .pvid = true, .untagged = true};
	int br, err;

	NEED_ROOT();
	br = get_index("br0");
	rec_clear();
	assert_int_equal(plat_bridge_enslave(plat, get_index("v2"), br), 0);
	assert_true(wait_link("v2", PLAT_EV_NEW, PLAT_LINK_CHG_MASTER));
	assert_int_equal(plat_link_get_by_name(plat, "v2", &v2), 0);
	assert_int_equal(v2.master, br);
	assert_true(v2.is_bridge_port);

	plat_brport_flags_init(&fl);
	fl.learning = PLAT_FLAG_OFF;
	fl.unicast_flood = PLAT_FLAG_OFF;
	assert_int_equal(plat_bridge_port_flags(plat, v2.ifindex, &fl), 0);
	/* 802.1X lock (Linux 5.18+) then authorize. */
	assert_int_equal(plat_port_authorize(plat, v2.ifindex, true, false), 0);
	assert_int_equal(plat_port_authorize(plat, v2.ifindex, false, false), 0);
	/* Not a bridge port: the kernel refuses. */
	assert_true(plat_port_authorize(plat, get_index("v0"), true, false) < 0);
	/*
	 * Port VLANs need bridge VLAN filtering, which the test kernels lack
	 * (DESIGN.md §4): either it works, or the kernel says it is unsupported.
	 */
	err = plat_bridge_vlan_add(plat, v2.ifindex, &vl, 1, false);
	if (err < 0)
		print_message("bridge vlan add: %s (%s)\n", strerror(-err), plat_errmsg(plat));
	assert_true(err == 0 || err == -EOPNOTSUPP || err == -EINVAL);

	rec_clear();
	assert_int_equal(plat_bridge_enslave(plat, v2.ifindex, 0), 0);
	assert_true(wait_link("v2", PLAT_EV_NEW, PLAT_LINK_CHG_MASTER));
	assert_int_equal(plat_link_get(plat, v2.ifindex, &v2), 0);
	assert_int_equal(v2.master, 0);
}

static void test_stats_and_neigh(void **state)
{
	struct plat_link v0, v1;
	struct plat_neigh n = {0};
	struct sockaddr_ll sll = {0};
	uint8_t frame[60];
	int fd;

	NEED_ROOT();
	assert_int_equal(plat_link_get_by_name(plat, "v0", &v0), 0);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(fd >= 0);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = v0.ifindex;
	sll.sll_halen = ETH_ALEN;
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6); /* broadcast */
	memcpy(frame + 6, v0.mac, 6);
	frame[12] = 0x88; /* local experimental ethertype 0x88b5 (IEEE 802) */
	frame[13] = 0xb5;
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		        sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll, sizeof(sll)),
		        sizeof(frame));
	close(fd);
	assert_int_equal(plat_link_get(plat, v0.ifindex, &v0), 0);
	assert_int_equal(plat_link_get_by_name(plat, "v1", &v1), 0);
	assert_true(v0.stats.tx_packets >= 5);
	assert_true(v0.stats.tx_bytes >= 5 * sizeof(frame));
	assert_true(v1.stats.rx_packets >= 5);
	assert_true(v1.stats.rx_bytes >= 5 * sizeof(frame));
	assert_true(v0.stats.carrier_changes >= 1);

	rec_clear();
	n.ifindex = v0.ifindex;
	assert_int_equal(plat_ip_parse("10.1.0.2", &n.ip), 0);
	memcpy(n.lladdr, "\x02\x00\x00\x00\x00\x42", 6);
	n.has_lladdr = true;
	assert_int_equal(plat_neigh_set(plat, &n), 0);
	n.lladdr[5] = 0x43;
	assert_int_equal(plat_neigh_set(plat, &n), 0); /* replace */
	assert_true(wait_for(match_neigh, &n.ip));
	{
		size_t i;

		for (i = rec.n; i-- > 0;)
			if (rec.evs[i].kind == REC_NEIGH)
				break;
		assert_int_equal(rec.evs[i].neigh.lladdr[5], 0x43);
		assert_int_equal(rec.evs[i].neigh.state, NUD_PERMANENT);
	}
	assert_int_equal(plat_neigh_del(plat, &n), 0);
}

struct batch_errs {
	int n;
	size_t index;
	int err;
};

static void batch_err(void *arg, size_t index, int err, const char *msg)
{
	struct batch_errs *b = arg;

	b->n++;
	b->index = index;
	b->err = err;
}

static int count_proto(void *arg, const struct plat_route *r)
{
	if (r->protocol == PROTO_TEST)
		(*(size_t *)arg)++;
	return 0;
}

/*
 * Batched install of many routes without reading the monitor overflows its
 * socket (with the 8 MiB buffer it takes tens of thousands); the monitor
 * must then resync and report exactly the installed set.
 */
static void test_batch_and_overflow(void **state)
{
	enum { N = 60000 };
	struct batch_errs be = {0};
	struct plat_route r = {.protocol = PROTO_TEST, .n_nh = 1};
	size_t listed = 0;
	int v0, begins;
	uint64_t t0, t1;

	NEED_ROOT();
	v0 = get_index("v0");
	rec_clear();
	begins = rec.begins;
	r.nh[0].ifindex = v0;
	assert_int_equal(plat_ip_parse("10.1.0.2", &r.nh[0].gw), 0);
	t0 = mono_us();
	assert_int_equal(plat_batch_begin(plat), 0);
	assert_int_equal(plat_batch_begin(plat), -EBUSY);
	for (int i = 0; i < N; i++) {
		r.dst.ip.family = AF_INET;
		r.dst.ip.bytes[0] = 172;
		r.dst.ip.bytes[1] = (uint8_t)(16 + i / 65536);
		r.dst.ip.bytes[2] = (uint8_t)(i >> 8);
		r.dst.ip.bytes[3] = (uint8_t)i;
		r.dst.len = 32;
		assert_int_equal(plat_route_add(plat, &r, false), 0);
	}
	/* The same route twice: one failure, reported by its queue index. */
	assert_int_equal(plat_route_add(plat, &r, false), 0);
	assert_int_equal(plat_batch_commit(plat, batch_err, &be), 1);
	t1 = mono_us();
	assert_int_equal(be.n, 1);
	assert_int_equal(be.index, N);
	assert_int_equal(be.err, -EEXIST);
	print_message("batched install: %d routes in %.1f ms (%.0f routes/s)\n", N,
	              (double)(t1 - t0) / 1000, N / ((double)(t1 - t0) / 1e6));

	assert_int_equal(plat_route_list(plat, AF_INET, count_proto, &listed), 0);
	assert_int_equal(listed, N);

	/* Let the monitor catch up: it must have overflowed and resynced. */
	for (int i = 0; i < 100 && rec.begins == begins; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	for (int i = 0; i < 50; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	print_message("monitor: %d resync(s) after the flood, %zu test routes in the last one\n",
	              rec.begins - begins, rec.routes_in_resync);
	assert_true(rec.begins > begins);
	assert_int_equal(rec.begins, rec.ends);
	assert_int_equal(rec.routes_in_resync, N);
}

static void test_link_del(void **state)
{
	NEED_ROOT();
	rec_clear();
	assert_int_equal(plat_link_del(plat, get_index("v2")), 0);
	/* The peer goes with it. */
	assert_true(wait_link("v2", PLAT_EV_DEL, 0));
	assert_true(wait_link("v3", PLAT_EV_DEL, 0));
	assert_int_equal(plat_link_del(plat, get_index("br0")), 0);
	assert_true(wait_link("br0", PLAT_EV_DEL, 0));
	assert_int_equal(plat_link_del(plat, 9999), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_start_and_lo),
	        cmocka_unit_test(test_links),
	        cmocka_unit_test(test_addresses),
	        cmocka_unit_test(test_routes),
	        cmocka_unit_test(test_bridge),
	        cmocka_unit_test(test_stats_and_neigh),
	        cmocka_unit_test(test_batch_and_overflow),
	        cmocka_unit_test(test_link_del),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
