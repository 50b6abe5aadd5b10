/*
 * Neighbours: ARP / ND entries and bridge FDB entries (family AF_BRIDGE):
 * list, add-or-replace, delete.
 */
#include <errno.h>
#include <string.h>

#include <linux/neighbour.h>
#include <netlink/addr.h>

#include "platform/linux/linux.h"

int plat_linux_neigh_from_nl(struct rtnl_neigh *nl, struct plat_neigh *out)
{
	struct nl_addr *ll = rtnl_neigh_get_lladdr(nl);
	int fam = rtnl_neigh_get_family(nl);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_neigh_get_ifindex(nl);
	if (fam == AF_INET || fam == AF_INET6) {
		if (lp_ip_from_nl(rtnl_neigh_get_dst(nl), &out->ip) < 0)
			return -EINVAL;
	} else if (fam == AF_BRIDGE) {
		out->ip.family = AF_BRIDGE;
	} else {
		return -EINVAL;
	}
	if (ll && nl_addr_get_len(ll) == sizeof(out->lladdr)) {
		memcpy(out->lladdr, nl_addr_get_binary_addr(ll), sizeof(out->lladdr));
		out->has_lladdr = true;
	}
	out->state = (uint16_t)rtnl_neigh_get_state(nl);
	out->flags = (uint8_t)rtnl_neigh_get_flags(nl);
	return 0;
}

int plat_linux_neigh_msg(const struct plat_neigh *n, bool add, struct nl_msg **out)
{
	struct rtnl_neigh *nl;
	int err = 0;

	if (n->ifindex <= 0)
		return -ENODEV;
	if (n->ip.family != AF_INET && n->ip.family != AF_INET6 && n->ip.family != AF_BRIDGE)
		return -EAFNOSUPPORT;
	/* An FDB entry is nothing but its MAC. */
	if (n->ip.family == AF_BRIDGE && !n->has_lladdr)
		return -EINVAL;
	if (!(nl = rtnl_neigh_alloc()))
		return -ENOMEM;
	rtnl_neigh_set_ifindex(nl, n->ifindex);
	rtnl_neigh_set_family(nl, n->ip.family);
	if (n->ip.family != AF_BRIDGE) {
		struct nl_addr *dst = lp_nladdr(&n->ip, -1);

		if (!dst) {
			rtnl_neigh_put(nl);
			return -ENOMEM;
		}
		rtnl_neigh_set_dst(nl, dst);
		nl_addr_put(dst);
	}
	if (n->has_lladdr) {
		struct nl_addr *ll = nl_addr_build(AF_LLC, n->lladdr, sizeof(n->lladdr));

		if (!ll) {
			rtnl_neigh_put(nl);
			return -ENOMEM;
		}
		rtnl_neigh_set_lladdr(nl, ll);
		nl_addr_put(ll);
	}
	if (add) {
		rtnl_neigh_set_state(nl, n->state ? n->state : NUD_PERMANENT);
		if (n->flags)
			rtnl_neigh_set_flags(nl, n->flags);
		if (rtnl_neigh_build_add_request(nl, NLM_F_CREATE | NLM_F_REPLACE, out) < 0)
			err = -EINVAL;
	} else {
		if (n->flags)
			rtnl_neigh_set_flags(nl, n->flags);
		if (rtnl_neigh_build_delete_request(nl, 0, out) < 0)
			err = -EINVAL;
	}
	rtnl_neigh_put(nl);
	return err;
}

struct neigh_walk {
	plat_neigh_fn fn;
	void *arg;
	int family;
	int rc;
};

static void neigh_obj(void *arg, enum nl_obj_type type, enum nl_action action,
                      struct nl_object *obj)
{
	struct neigh_walk *w = arg;
	struct plat_neigh n;

	if (w->rc || action != NL_ACTION_NEW || type != NL_OBJ_NEIGH)
		return;
	if (plat_linux_neigh_from_nl((struct rtnl_neigh *)obj, &n) < 0)
		return;
	if (w->family && n.ip.family != w->family)
		return;
	w->rc = w->fn(w->arg, &n);
}

int lp_neigh_list(void *priv, int family, plat_neigh_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct neigh_walk w = {.fn = fn, .arg = arg, .family = family};
	int err = nl_cmd_dump(lp->cmd, NL_OBJ_NEIGH, neigh_obj, &w);

	return err < 0 ? err : w.rc;
}

int lp_neigh_set(void *priv, const struct plat_neigh *n)
{
	struct nl_msg *msg;
	int err = plat_linux_neigh_msg(n, true, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}

int lp_neigh_del(void *priv, const struct plat_neigh *n)
{
	struct nl_msg *msg;
	int err = plat_linux_neigh_msg(n, false, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}
