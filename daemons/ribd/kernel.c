/*
 * The platform monitor feeding the RIB and the FIB: links and addresses
 * give direct and local routes, routes of other programs in the main table
 * become Kernel routes (shown, never touched), and ribd's own routes
 * (FIB_RTPROT) tell the FIB what the kernel already holds, which is how a
 * restart adopts them instead of re-adding them.
 */
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "daemons/ribd/ribd.h"
#include "lib/log.h"

static bool ribd_link_usable(const struct plat_link *l)
{
	/* As ifd reports oper state: UNKNOWN with carrier counts as up (veth, lo). */
	return l->admin_up &&
	       (l->oper == PLAT_OPER_UP || (l->oper == PLAT_OPER_UNKNOWN && l->carrier));
}

static void ribd_mon_resync_begin(void *arg)
{
	struct ribd *r = arg;

	r->in_resync = true;
	rib_resync_begin(r->rib);
	fib_resync_begin(r->fib);
}

static void ribd_mon_resync_end(void *arg)
{
	struct ribd *r = arg;

	r->in_resync = false;
	/* What was not reported again is gone (see plat_monitor_cbs). */
	rib_resync_end(r->rib);
	fib_resync_end(r->fib);
	if (!r->mon_loaded)
		log_info("kernel state loaded");
	r->mon_loaded = true;
	ribd_kick(r);
}

static void ribd_mon_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	struct ribd *r = arg;

	ribd_clock(r);
	(void)changes;
	/* The kernel flushes nexthop objects of a link going down (and the
	 * routes over them) by itself: the FIB must not count on them. */
	if (ev == PLAT_EV_DEL || !ribd_link_usable(l))
		fib_link_down(r->fib, l->ifindex);
	if (ev == PLAT_EV_DEL)
		rib_link_del(r->rib, l->ifindex);
	else
		rib_link_set(r->rib, l->ifindex, ribd_link_usable(l));
	ribd_kick(r);
}

static void ribd_mon_addr(void *arg, enum plat_ev ev, const struct plat_addr *a)
{
	struct ribd *r = arg;

	ribd_clock(r);
	if (ev == PLAT_EV_DEL)
		rib_addr_del(r->rib, a->ifindex, &a->prefix);
	else
		rib_addr_add(r->rib, a->ifindex, &a->prefix);
	ribd_kick(r);
}

/* Another program's route that belongs in inet.0 / inet6.0 as Kernel. */
static bool ribd_route_foreign(const struct plat_route *rt)
{
	if (rt->table != 0 && rt->table != RT_TABLE_MAIN)
		return false;
	/* RTPROT_KERNEL routes are the kernel's connected routes: ours are Direct. */
	if (rt->protocol == RTPROT_KERNEL || rt->protocol == FIB_RTPROT)
		return false;
	return rt->type == 0 || rt->type == RTN_UNICAST || rt->type == RTN_BLACKHOLE ||
	       rt->type == RTN_UNREACHABLE || rt->type == RTN_PROHIBIT;
}

static void ribd_mon_route(void *arg, enum plat_ev ev, const struct plat_route *rt)
{
	struct ribd *r = arg;
	struct rib_nh nh[RIB_MAX_NH];
	struct rib_route_attr a = {.pref = rib_proto_pref(RIB_PROTO_KERNEL), .nh = nh};

	if (rt->protocol == FIB_RTPROT) {
		if (ev == PLAT_EV_DEL)
			fib_kernel_gone(r->fib, rt);
		else
			fib_kernel_seen(r->fib, rt);
		ribd_kick(r);
		return;
	}
	if (!ribd_route_foreign(rt))
		return;
	ribd_clock(r);
	if (ev == PLAT_EV_DEL) {
		rib_route_unset(r->rib, &rt->dst, RIB_PROTO_KERNEL, rt->priority);
	} else {
		if (rt->type == RTN_BLACKHOLE)
			a.type = RIB_TYPE_DISCARD;
		else if (rt->type == RTN_UNREACHABLE || rt->type == RTN_PROHIBIT)
			a.type = RIB_TYPE_REJECT;
		for (size_t i = 0; a.type == RIB_TYPE_UNICAST && i < rt->n_nh && i < RIB_MAX_NH;
		     i++) {
			nh[a.n_nh].gw = rt->nh[i].gw;
			nh[a.n_nh].ifindex = rt->nh[i].ifindex;
			/* A next hop of the other family (RTA_VIA) or none at all is shown as
			 * given. */
			if (nh[a.n_nh].gw.family || nh[a.n_nh].ifindex)
				a.n_nh++;
		}
		a.metric = rt->priority;
		if (rib_route_set(r->rib, &rt->dst, RIB_PROTO_KERNEL, rt->priority, &a) < 0)
			log_debug("kernel route ignored");
	}
	ribd_kick(r);
}

const struct plat_monitor_cbs ribd_monitor_cbs = {
        .resync_begin = ribd_mon_resync_begin,
        .resync_end = ribd_mon_resync_end,
        .link = ribd_mon_link,
        .addr = ribd_mon_addr,
        .route = ribd_mon_route,
};
