/*
 * Routes: list (RTM_GETROUTE dumps per family), add / replace / delete with
 * a protocol number and ECMP next hops (RTA_MULTIPATH, built by libnl).
 */
#include <errno.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/route/nexthop.h>

#include "platform/linux/linux.h"

/*
 * The kernel's weight is rtnh_hops + 1 (rtnetlink(7), "ip route ... weight");
 * libnl passes rtnh_hops through as its "weight" unchanged.
 */
static uint8_t weight_to_hops(uint8_t w)
{
	return w ? (uint8_t)(w - 1) : 0;
}

int plat_linux_route_from_nl(struct rtnl_route *nl, struct plat_route *out)
{
	struct nl_addr *dst = rtnl_route_get_dst(nl);
	int fam = rtnl_route_get_family(nl);
	int n;

	memset(out, 0, sizeof(*out));
	if (fam != AF_INET && fam != AF_INET6)
		return -EINVAL;
	/* The default route has no RTA_DST: libnl gives an empty address. */
	if (!dst || nl_addr_get_len(dst) == 0) {
		out->dst.ip.family = (uint8_t)fam;
	} else if (lp_ip_from_nl(dst, &out->dst.ip) < 0) {
		return -EINVAL;
	}
	out->dst.len = dst ? (uint8_t)nl_addr_get_prefixlen(dst) : 0;
	out->table = rtnl_route_get_table(nl);
	out->protocol = rtnl_route_get_protocol(nl);
	out->type = rtnl_route_get_type(nl);
	out->scope = rtnl_route_get_scope(nl);
	out->priority = rtnl_route_get_priority(nl);
	n = rtnl_route_get_nnexthops(nl);
	for (int i = 0; i < n && out->n_nh < PLAT_MAX_NEXTHOPS; i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(nl, i);
		struct plat_nexthop *p = &out->nh[out->n_nh++];
		struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);

		if (!gw)
			gw = rtnl_route_nh_get_via(nh);
		if (gw)
			lp_ip_from_nl(gw, &p->gw);
		p->ifindex = rtnl_route_nh_get_ifindex(nh);
		p->weight = (uint8_t)(rtnl_route_nh_get_weight(nh) + 1);
		p->onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
	}
	return 0;
}

static int add_nexthop(struct rtnl_route *r, const struct plat_nexthop *p, int family)
{
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *gw = NULL;

	if (!nh)
		return -ENOMEM;
	if (p->gw.family) {
		if (!(gw = lp_nladdr(&p->gw, -1))) {
			rtnl_route_nh_free(nh);
			return -EINVAL;
		}
		/* RFC 5549-style IPv4 over an IPv6 next hop needs RTA_VIA. */
		if (p->gw.family == family)
			rtnl_route_nh_set_gateway(nh, gw);
		else
			rtnl_route_nh_set_via(nh, gw);
		nl_addr_put(gw);
	}
	if (p->ifindex > 0)
		rtnl_route_nh_set_ifindex(nh, p->ifindex);
	if (p->weight)
		rtnl_route_nh_set_weight(nh, weight_to_hops(p->weight));
	if (p->onlink)
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	rtnl_route_add_nexthop(r, nh);
	return 0;
}

int plat_linux_route_msg(const struct plat_route *rt, bool add, bool replace, struct nl_msg **out)
{
	int fam = rt->dst.ip.family;
	struct rtnl_route *r;
	struct nl_addr *dst;
	int err = 0;

	if ((fam != AF_INET && fam != AF_INET6) || rt->dst.len > (fam == AF_INET ? 32 : 128))
		return -EINVAL;
	if (rt->n_nh > PLAT_MAX_NEXTHOPS)
		return -E2BIG;
	if (!(dst = lp_nladdr(&rt->dst.ip, rt->dst.len)))
		return -EINVAL;
	if (!(r = rtnl_route_alloc())) {
		nl_addr_put(dst);
		return -ENOMEM;
	}
	rtnl_route_set_family(r, (uint8_t)fam);
	rtnl_route_set_dst(r, dst);
	nl_addr_put(dst);
	rtnl_route_set_table(r, rt->table ? rt->table : RT_TABLE_MAIN);
	rtnl_route_set_type(r, rt->type ? rt->type : RTN_UNICAST);
	rtnl_route_set_priority(r, rt->priority);
	if (add) {
		rtnl_route_set_protocol(r, rt->protocol ? rt->protocol : RTPROT_STATIC);
		/* Left unset, libnl picks link scope without gateways, else universe. */
		if (rt->scope)
			rtnl_route_set_scope(r, rt->scope);
		for (size_t i = 0; i < rt->n_nh && err == 0; i++)
			err = add_nexthop(r, &rt->nh[i], fam);
		if (err == 0 &&
		    rtnl_route_build_add_request(
		            r, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), out) < 0)
			err = -EINVAL;
	} else {
		/* Protocol 0 matches any (fib_table_delete()); next hops are not matched. */
		rtnl_route_set_protocol(r, rt->protocol);
		rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
		if (rtnl_route_build_del_request(r, 0, out) < 0)
			err = -EINVAL;
	}
	rtnl_route_put(r);
	return err;
}

struct route_walk {
	plat_route_fn fn;
	void *arg;
	int rc;
};

static void route_obj(void *arg, enum nl_obj_type type, enum nl_action action,
                      struct nl_object *obj)
{
	struct route_walk *w = arg;
	struct plat_route r;

	if (w->rc || action != NL_ACTION_NEW || !(type & (NL_OBJ_ROUTE4 | NL_OBJ_ROUTE6)))
		return;
	if (plat_linux_route_from_nl((struct rtnl_route *)obj, &r) == 0)
		w->rc = w->fn(w->arg, &r);
}

int lp_route_list(void *priv, int family, plat_route_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct route_walk w = {.fn = fn, .arg = arg};
	int err = 0;

	if (family != 0 && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (family != AF_INET6)
		err = nl_cmd_dump(lp->cmd, NL_OBJ_ROUTE4, route_obj, &w);
	if (err == 0 && w.rc == 0 && family != AF_INET)
		err = nl_cmd_dump(lp->cmd, NL_OBJ_ROUTE6, route_obj, &w);
	return err < 0 ? err : w.rc;
}

int lp_route_add(void *priv, const struct plat_route *r, bool replace)
{
	struct nl_msg *msg;
	int err = plat_linux_route_msg(r, true, replace, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}

int lp_route_del(void *priv, const struct plat_route *r)
{
	struct nl_msg *msg;
	int err = plat_linux_route_msg(r, false, false, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}
