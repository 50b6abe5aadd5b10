/*
 * The linux back-end without root: the exact bytes of the hand-built
 * AF_BRIDGE requests (port VLANs, port flags, the 802.1X lock), the libnl-
 * built requests parsed back into plat structs, the plat monitor's change
 * bits and resync sweep over a fake lib/nl socket, and the back-end-neutral
 * helpers (address parsing, dispatch, unknown back-ends).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "lib/log.h"
#include "lib/nl.h"
#include "platform/linux/linux.h"
#include "platform/platform.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the expected netlink bytes below are little-endian (netlink uses host order)"
#endif

static void assert_msg_bytes(struct nl_msg *msg, const uint8_t *want, size_t len)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);

	assert_int_equal(h->nlmsg_len, len);
	assert_memory_equal(h, want, len);
}

/* ------------------------------------------------------------ bridge VLANs */

static void test_vlan_access_port(void **state)
{
	/* bridge vlan add dev <5> vid 10 pvid untagged master */
	static const uint8_t want[] = {
	        0x34, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, /* len 52, RTM_SETLINK, flags 0 */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq, pid: filled at send */
	        0x07, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* AF_BRIDGE, ifindex 5 */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ifi_flags, ifi_change */
	        0x14, 0x00, 0x1a, 0x80,                         /* IFLA_AF_SPEC | NLA_F_NESTED */
	        0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* IFLA_BRIDGE_FLAGS = MASTER */
	        0x08, 0x00, 0x02, 0x00, 0x06, 0x00, 0x0a, 0x00, /* VLAN_INFO {PVID|UNTAGGED, 10} */
	};
	struct plat_bridge_vlan v = {.vid = 10, .pvid = true, .untagged = true};
	struct nl_msg *msg;

	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), 0);
	assert_msg_bytes(msg, want, sizeof(want));
	nlmsg_free(msg);
}

static void test_vlan_trunk_range_self(void **state)
{
	/* bridge vlan add dev <9> vid 1-4094 self; then vid 100 tagged */
	static const uint8_t want[] = {
	        0x3c, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c,
	        0x00, 0x1a, 0x80, 0x06, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* FLAGS = SELF */
	        0x08, 0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, /* {RANGE_BEGIN, 1} */
	        0x08, 0x00, 0x02, 0x00, 0x10, 0x00, 0xfe, 0x0f, /* {RANGE_END, 4094} */
	};
	struct plat_bridge_vlan v = {.vid = 1, .vid_end = 4094};
	struct nl_msg *msg;

	assert_int_equal(plat_linux_bridge_vlan_msg(9, &v, 1, true, true, &msg), 0);
	assert_msg_bytes(msg, want, sizeof(want));
	nlmsg_free(msg);
}

static void test_vlan_delete(void **state)
{
	/* Delete names the VIDs only: PVID / untagged are not sent. */
	static const uint8_t want[] = {
	        0x3c, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, /* RTM_DELLINK */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
	        0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x1c, 0x00, 0x1a, 0x80, 0x06, 0x00, 0x00, 0x00, 0x01,
	        0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, /* {0, 1} */
	        0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x14, 0x00,                   /* {0, 20} */
	};
	struct plat_bridge_vlan v[2] = {{.vid = 1, .pvid = true, .untagged = true}, {.vid = 20}};
	struct nl_msg *msg;

	assert_int_equal(plat_linux_bridge_vlan_msg(5, v, 2, false, false, &msg), 0);
	assert_msg_bytes(msg, want, sizeof(want));
	nlmsg_free(msg);
}

static void test_vlan_rejects(void **state)
{
	struct plat_bridge_vlan v = {.vid = 0};
	struct nl_msg *msg = NULL;

	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), -EINVAL);
	v.vid = 4095;
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), -EINVAL);
	/* The kernel refuses PVID on a range; so do we, before sending. */
	v = (struct plat_bridge_vlan){.vid = 10, .vid_end = 20, .pvid = true};
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), -EINVAL);
	v = (struct plat_bridge_vlan){.vid = 20, .vid_end = 10};
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), -EINVAL);
	v = (struct plat_bridge_vlan){.vid = 20, .vid_end = 4095};
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), -EINVAL);
	v = (struct plat_bridge_vlan){.vid = 20};
	assert_int_equal(plat_linux_bridge_vlan_msg(0, &v, 1, true, false, &msg), -ENODEV);
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 0, true, false, &msg), -EINVAL);
	assert_null(msg);
	/* vid_end == vid is a single VLAN, so PVID is fine. */
	v = (struct plat_bridge_vlan){.vid = 20, .vid_end = 20, .pvid = true};
	assert_int_equal(plat_linux_bridge_vlan_msg(5, &v, 1, true, false, &msg), 0);
	nlmsg_free(msg);
}

/* ------------------------------------------------------------ port flags / 802.1X */

static void test_brport_flags(void **state)
{
	static const uint8_t want[] =
	        {
	                0x34, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00,
	                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
	                0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                0x00, 0x00, 0x14, 0x00, 0x0c, 0x80, /* IFLA_PROTINFO | NLA_F_NESTED */
	                0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, /* LEARNING = 0 */
	                0x05, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x00, /* BCAST_FLOOD = 1 */
	        };
	struct plat_brport_flags f;
	struct nl_msg *msg = NULL;

	plat_brport_flags_init(&f);
	assert_int_equal(plat_linux_brport_flags_msg(5, &f, &msg), -EINVAL); /* nothing to do */
	f.learning = PLAT_FLAG_OFF;
	f.bcast_flood = PLAT_FLAG_ON;
	assert_int_equal(plat_linux_brport_flags_msg(5, &f, &msg), 0);
	assert_msg_bytes(msg, want, sizeof(want));
	nlmsg_free(msg);
	f.mab = (enum plat_flag)7;
	assert_int_equal(plat_linux_brport_flags_msg(5, &f, &msg), -EINVAL);
}

static void test_port_lock(void **state)
{
	static const uint8_t want_mab[] = {
	        0x3c, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x0c, 0x80,
	        0x05, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, /* LEARNING = 1 (MAB needs it) */
	        0x05, 0x00, 0x27, 0x00, 0x01, 0x00, 0x00, 0x00, /* LOCKED (39) = 1 */
	        0x05, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x00, /* MAB (40) = 1 */
	};
	static const uint8_t want_open[] = {
	        0x34, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
	        0x00, 0x0c, 0x80, 0x05, 0x00, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, /* LOCKED = 0 */
	        0x05, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00,                   /* MAB = 0 */
	};
	struct nl_msg *msg;

	assert_int_equal(IFLA_BRPORT_MAB, 40);
	assert_int_equal(plat_linux_port_lock_msg(3, true, true, &msg), 0);
	assert_msg_bytes(msg, want_mab, sizeof(want_mab));
	nlmsg_free(msg);
	assert_int_equal(plat_linux_port_lock_msg(3, false, false, &msg), 0);
	assert_msg_bytes(msg, want_open, sizeof(want_open));
	nlmsg_free(msg);
	assert_int_equal(plat_linux_port_lock_msg(0, true, false, &msg), -ENODEV);
}

/* ------------------------------------------------------------ builders -> parsers */

struct got {
	enum nl_obj_type type;
	enum nl_action action;
	struct plat_addr addr;
	struct plat_route route;
	struct plat_neigh neigh;
	int rc;
};

static void got_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct got *g = arg;

	g->type = type;
	g->action = action;
	if (type & (NL_OBJ_ADDR4 | NL_OBJ_ADDR6))
		g->rc = plat_linux_addr_from_nl((struct rtnl_addr *)obj, &g->addr);
	else if (type & (NL_OBJ_ROUTE4 | NL_OBJ_ROUTE6))
		g->rc = plat_linux_route_from_nl((struct rtnl_route *)obj, &g->route);
	else if (type == NL_OBJ_NEIGH)
		g->rc = plat_linux_neigh_from_nl((struct rtnl_neigh *)obj, &g->neigh);
}

static void test_addr_round_trip(void **state)
{
	struct plat_addr a = {.ifindex = 4};
	struct got g = {0};
	struct nl_msg *msg;
	char buf[64];

	assert_int_equal(plat_prefix_parse("2001:db8:7::1/56", &a.prefix), 0);
	assert_int_equal(plat_linux_addr_msg(&a, true, &msg), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_NEWADDR);
	assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_EXCL);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	nlmsg_free(msg);
	assert_int_equal(g.type, NL_OBJ_ADDR6);
	assert_int_equal(g.addr.ifindex, 4);
	assert_string_equal(plat_prefix_str(&g.addr.prefix, buf, sizeof(buf)), "2001:db8:7::1/56");

	assert_int_equal(plat_linux_addr_msg(&a, false, &msg), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_DELADDR);
	nlmsg_free(msg);
	a.prefix.len = 129;
	assert_int_equal(plat_linux_addr_msg(&a, true, &msg), -EINVAL);
	a.ifindex = 0;
	assert_int_equal(plat_linux_addr_msg(&a, true, &msg), -ENODEV);
}

static void test_route_round_trip(void **state)
{
	struct plat_route r = {.protocol = 99, .priority = 20, .table = 100, .n_nh = 3};
	struct got g = {0};
	struct nl_msg *msg;
	char buf[64];

	assert_int_equal(plat_prefix_parse("198.51.100.0/24", &r.dst), 0);
	for (int i = 0; i < 3; i++) {
		char gw[32];

		snprintf(gw, sizeof(gw), "192.0.2.%d", i + 1);
		assert_int_equal(plat_ip_parse(gw, &r.nh[i].gw), 0);
		r.nh[i].ifindex = 10 + i;
		r.nh[i].weight = (uint8_t)(i + 1);
	}
	r.nh[2].onlink = true;
	assert_int_equal(plat_linux_route_msg(&r, true, true, &msg), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_NEWROUTE);
	assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_REPLACE);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	nlmsg_free(msg);
	assert_int_equal(g.type, NL_OBJ_ROUTE4);
	assert_string_equal(plat_prefix_str(&g.route.dst, buf, sizeof(buf)), "198.51.100.0/24");
	assert_int_equal(g.route.protocol, 99);
	assert_int_equal(g.route.priority, 20);
	assert_int_equal(g.route.table, 100);
	assert_int_equal(g.route.n_nh, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(plat_ip_equal(&g.route.nh[i].gw, &r.nh[i].gw));
		assert_int_equal(g.route.nh[i].ifindex, 10 + i);
		assert_int_equal(g.route.nh[i].weight, i + 1);
		assert_int_equal(g.route.nh[i].onlink, i == 2);
	}

	/* Delete: no next hops, scope "any" so the kernel matches whatever it has. */
	assert_int_equal(plat_linux_route_msg(&r, false, false, &msg), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_DELROUTE);
	assert_int_equal(((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_scope, RT_SCOPE_NOWHERE);
	memset(&g, 0, sizeof(g));
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	assert_int_equal(g.action, NL_ACTION_DEL);
	assert_int_equal(g.route.n_nh, 0);
	nlmsg_free(msg);

	r.n_nh = PLAT_MAX_NEXTHOPS + 1;
	assert_int_equal(plat_linux_route_msg(&r, true, false, &msg), -E2BIG);
	r.n_nh = 1;
	r.dst.len = 33;
	assert_int_equal(plat_linux_route_msg(&r, true, false, &msg), -EINVAL);
}

static void test_route_default_v6(void **state)
{
	struct plat_route r = {.n_nh = 1};
	struct got g = {0};
	struct nl_msg *msg;
	char buf[64];

	assert_int_equal(plat_prefix_parse("::/0", &r.dst), 0);
	assert_int_equal(plat_ip_parse("fe80::1", &r.nh[0].gw), 0);
	r.nh[0].ifindex = 2;
	assert_int_equal(plat_linux_route_msg(&r, true, false, &msg), 0);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	nlmsg_free(msg);
	assert_int_equal(g.type, NL_OBJ_ROUTE6);
	assert_string_equal(plat_prefix_str(&g.route.dst, buf, sizeof(buf)), "::/0");
	assert_int_equal(g.route.protocol, RTPROT_STATIC);
	assert_int_equal(g.route.n_nh, 1);
	assert_string_equal(plat_ip_str(&g.route.nh[0].gw, buf, sizeof(buf)), "fe80::1");
}

static void test_neigh_round_trip(void **state)
{
	struct plat_neigh n = {.ifindex = 6, .has_lladdr = true};
	struct got g = {0};
	struct nl_msg *msg;

	assert_int_equal(plat_ip_parse("192.0.2.77", &n.ip), 0);
	memcpy(n.lladdr, "\x02\x10\xdb\xff\x10\x01", 6);
	assert_int_equal(plat_linux_neigh_msg(&n, true, &msg), 0);
	assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_REPLACE);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	nlmsg_free(msg);
	assert_int_equal(g.type, NL_OBJ_NEIGH);
	assert_true(plat_ip_equal(&g.neigh.ip, &n.ip));
	assert_memory_equal(g.neigh.lladdr, n.lladdr, 6);
	assert_int_equal(g.neigh.state, NUD_PERMANENT);

	/* An FDB entry: family AF_BRIDGE, MAC only. */
	n.ip.family = AF_BRIDGE;
	n.flags = NTF_MASTER;
	memset(&g, 0, sizeof(g));
	assert_int_equal(plat_linux_neigh_msg(&n, true, &msg), 0);
	assert_int_equal(((struct ndmsg *)nlmsg_data(nlmsg_hdr(msg)))->ndm_family, AF_BRIDGE);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(msg), got_obj, &g), 0);
	nlmsg_free(msg);
	assert_int_equal(g.neigh.ip.family, AF_BRIDGE);
	assert_int_equal(g.neigh.flags, NTF_MASTER);
	n.has_lladdr = false;
	assert_int_equal(plat_linux_neigh_msg(&n, true, &msg), -EINVAL);
	n.ip.family = 99;
	assert_int_equal(plat_linux_neigh_msg(&n, true, &msg), -EAFNOSUPPORT);
}

/* ------------------------------------------------------------ plat monitor */

struct fake {
	uint8_t q[8][2048];
	size_t qlen[8];
	int qerr[8];
	int head, tail;
	struct nl_msg *dump_links[4]; /* what a link dump returns */
	int ndump;
};

static ssize_t fake_recv(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;
	int i;

	if (f->head == f->tail)
		return -EAGAIN;
	i = f->head++;
	if (f->qerr[i])
		return f->qerr[i];
	memcpy(buf, f->q[i], f->qlen[i]);
	return (ssize_t)f->qlen[i];
}

static int fake_dump(void *ctx, enum nl_obj_type type, nl_obj_fn fn, void *arg)
{
	struct fake *f = ctx;

	if (type != NL_OBJ_LINK)
		return 0;
	for (int i = 0; i < f->ndump; i++)
		nl_parse_msg(nlmsg_hdr(f->dump_links[i]), fn, arg);
	return 0;
}

static struct nl_msg *link_msg(int ifindex, const char *name, unsigned flags, uint32_t mtu,
                               int type)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = ifindex,
	                        .ifi_flags = flags,
	                        .ifi_change = 0xffffffff};
	struct nl_msg *m = nlmsg_alloc_simple(type, 0);

	assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_string(m, IFLA_IFNAME, name), 0);
	assert_int_equal(nla_put_u32(m, IFLA_MTU, mtu), 0);
	assert_int_equal(nla_put_u8(m, IFLA_OPERSTATE, (flags & IFF_LOWER_UP) ? 6 : 2), 0);
	return m;
}

static void push(struct fake *f, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	memcpy(f->q[f->tail], h, h->nlmsg_len);
	f->qlen[f->tail] = h->nlmsg_len;
	f->qerr[f->tail++] = 0;
	nlmsg_free(m);
}

struct lrec {
	char log[2048];
};

static void lr_add(struct lrec *r, const char *w)
{
	size_t n = strlen(r->log);

	snprintf(r->log + n, sizeof(r->log) - n, "%s%s", n ? " " : "", w);
}

static void lr_begin(void *arg)
{
	lr_add(arg, "begin");
}

static void lr_end(void *arg)
{
	lr_add(arg, "end");
}

static void lr_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	char w[64];

	snprintf(w, sizeof(w), "%s:%s:%x", ev == PLAT_EV_NEW ? "new" : "del", l->name, changes);
	lr_add(arg, w);
}

static void test_plat_monitor_changes(void **state)
{
	struct fake f = {0};
	struct lrec r = {0};
	struct nl_monitor_io io = {.recv = fake_recv, .dump = fake_dump, .ctx = &f};
	struct plat_monitor_cbs cbs = {
	        .resync_begin = lr_begin, .resync_end = lr_end, .link = lr_link};
	void *m;
	char want[256];

	f.dump_links[f.ndump++] = link_msg(2, "eth0", IFF_UP, 1500, RTM_NEWLINK);
	f.dump_links[f.ndump++] = link_msg(3, "eth1", 0, 1500, RTM_NEWLINK);
	m = plat_linux_monitor_new_io(PLAT_WATCH_LINK, &io, &cbs, &r);
	assert_non_null(m);
	assert_int_equal(lp_monitor_start(m), 0);
	snprintf(want, sizeof(want), "begin new:eth0:%x new:eth1:%x end", 0xff, 0xff);
	assert_string_equal(r.log, want);

	/* Carrier comes up on eth0, eth1 changes MTU, then eth1 goes away. */
	memset(&r, 0, sizeof(r));
	push(&f, link_msg(2, "eth0", IFF_UP | IFF_LOWER_UP, 1500, RTM_NEWLINK));
	push(&f, link_msg(3, "eth1", 0, 9000, RTM_NEWLINK));
	push(&f, link_msg(2, "eth0", IFF_UP | IFF_LOWER_UP, 1500, RTM_NEWLINK)); /* no change */
	push(&f, link_msg(3, "eth1", 0, 9000, RTM_DELLINK));
	assert_int_equal(nl_monitor_poll(plat_linux_monitor_nl(m), 0), 4);
	snprintf(want, sizeof(want), "new:eth0:%x new:eth1:%x new:eth0:0 del:eth1:0",
	         PLAT_LINK_CHG_OPER, PLAT_LINK_CHG_MTU);
	assert_string_equal(r.log, want);

	/*
	 * Overflow. The dump still lists eth1 (ifindex 3) under a new name: the
	 * monitor had forgotten it, so it is ADDED again; eth0 is unchanged.
	 */
	memset(&r, 0, sizeof(r));
	nlmsg_free(f.dump_links[1]);
	f.dump_links[1] = link_msg(3, "eth9", 0, 1500, RTM_NEWLINK);
	nlmsg_free(f.dump_links[0]);
	f.dump_links[0] = link_msg(2, "eth0", IFF_UP | IFF_LOWER_UP, 1500, RTM_NEWLINK);
	f.qerr[f.tail++] = -ENOBUFS;
	assert_true(nl_monitor_poll(plat_linux_monitor_nl(m), 0) >= 1);
	snprintf(want, sizeof(want), "begin new:eth0:0 new:eth9:%x end", 0xff);
	assert_string_equal(r.log, want);

	/* Swept: eth0 gone from the next dump, so a later eth0 report is ADDED. */
	memset(&r, 0, sizeof(r));
	f.ndump = 1;
	nlmsg_free(f.dump_links[0]);
	f.dump_links[0] = f.dump_links[1];
	f.dump_links[1] = NULL;
	f.qerr[f.tail++] = -ENOBUFS;
	push(&f, link_msg(2, "eth0", IFF_UP, 1500, RTM_NEWLINK)); /* drained with the overflow */
	nl_monitor_poll(plat_linux_monitor_nl(m), 0);
	push(&f, link_msg(2, "eth0", IFF_UP, 1500, RTM_NEWLINK));
	nl_monitor_poll(plat_linux_monitor_nl(m), 0);
	snprintf(want, sizeof(want), "begin new:eth9:0 end new:eth0:%x", 0xff);
	assert_string_equal(r.log, want);

	nlmsg_free(f.dump_links[0]);
	lp_monitor_free(m);
}

/* ------------------------------------------------------------ neutral helpers */

static void test_ip_helpers(void **state)
{
	struct plat_prefix p;
	struct plat_ip a, b;
	char buf[64];

	assert_int_equal(plat_prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(p.ip.family, AF_INET);
	assert_int_equal(p.len, 8);
	assert_int_equal(plat_prefix_parse("10.0.0.1", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(plat_prefix_parse("2001:db8::/129", &p), -EINVAL);
	assert_int_equal(plat_prefix_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(plat_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
	assert_int_equal(plat_prefix_parse("10.0.0.0/8x", &p), -EINVAL);
	assert_int_equal(plat_prefix_parse("/8", &p), -EINVAL);
	assert_int_equal(plat_prefix_parse("banana/8", &p), -EINVAL);
	assert_int_equal(plat_ip_parse("2001:db8::1", &a), 0);
	assert_int_equal(plat_ip_parse("2001:db8:0::1", &b), 0);
	assert_true(plat_ip_equal(&a, &b));
	assert_string_equal(plat_ip_str(&a, buf, sizeof(buf)), "2001:db8::1");
	a.family = 0;
	assert_false(plat_ip_equal(&a, &b));
	assert_string_equal(plat_ip_str(&a, buf, sizeof(buf)), "-");
	assert_string_equal(plat_oper_name(PLAT_OPER_LOWERLAYERDOWN), "lowerlayerdown");
	assert_string_equal(plat_oper_name((enum plat_oper)42), "?");
}

static void test_dispatch(void **state)
{
	static const struct plat_ops empty = {.name = "empty"};
	struct plat *p = plat_open_ops(&empty);
	struct plat_link l;
	struct plat_addr a = {0};

	assert_non_null(p);
	assert_string_equal(plat_name(p), "empty");
	assert_string_equal(plat_errmsg(p), "");
	/* What a back-end lacks is -EOPNOTSUPP, never a crash. */
	assert_int_equal(plat_link_get(p, 1, &l), -EOPNOTSUPP);
	assert_int_equal(plat_addr_add(p, &a), -EOPNOTSUPP);
	assert_int_equal(plat_batch_begin(p), -EOPNOTSUPP);
	assert_null(
	        plat_monitor_new(p, NULL, PLAT_WATCH_LINK, &(struct plat_monitor_cbs){0}, NULL));
	/* Argument checks before the back-end. */
	assert_int_equal(plat_link_get(p, 0, &l), -ENODEV);
	assert_int_equal(plat_link_get_by_name(p, "0123456789abcdef", &l), -ENODEV);
	assert_int_equal(plat_link_add_veth(p, "a", ""), -EINVAL);
	plat_close(p);

	errno = 0;
	assert_null(plat_open("nosuch"));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(platform_linux_ops()->name, "linux");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vlan_access_port),
	        cmocka_unit_test(test_vlan_trunk_range_self),
	        cmocka_unit_test(test_vlan_delete),
	        cmocka_unit_test(test_vlan_rejects),
	        cmocka_unit_test(test_brport_flags),
	        cmocka_unit_test(test_port_lock),
	        cmocka_unit_test(test_addr_round_trip),
	        cmocka_unit_test(test_route_round_trip),
	        cmocka_unit_test(test_route_default_v6),
	        cmocka_unit_test(test_neigh_round_trip),
	        cmocka_unit_test(test_plat_monitor_changes),
	        cmocka_unit_test(test_ip_helpers),
	        cmocka_unit_test(test_dispatch),
	};

	log_init("test_linux_msg", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
