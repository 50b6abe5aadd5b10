/*
 * Links: list / get (RTM_GETLINK), admin state, MTU, alias (RTM_NEWLINK
 * change requests built by libnl), veth and bridge creation, deletion.
 */
#include <errno.h>
#include <linux/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>
#include <netlink/addr.h>
#include <netlink/route/link/veth.h>

#include "platform/linux/linux.h"

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

int plat_linux_link_from_nl(struct rtnl_link *nl, struct plat_link *out)
{
	struct nl_addr *mac = rtnl_link_get_addr(nl);
	const char *slave = rtnl_link_get_slave_type(nl);
	uint32_t cc = 0;

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(nl);
	if (out->ifindex <= 0 || !rtnl_link_get_name(nl))
		return -EINVAL;
	copy_str(out->name, sizeof(out->name), rtnl_link_get_name(nl));
	copy_str(out->kind, sizeof(out->kind), rtnl_link_get_type(nl));
	copy_str(out->alias, sizeof(out->alias), rtnl_link_get_ifalias(nl));
	out->flags = rtnl_link_get_flags(nl);
	out->admin_up = (out->flags & IFF_UP) != 0;
	out->carrier = (out->flags & IFF_LOWER_UP) != 0;
	out->oper = (enum plat_oper)rtnl_link_get_operstate(nl);
	if (out->oper > PLAT_OPER_UP)
		out->oper = PLAT_OPER_UNKNOWN;
	out->mtu = rtnl_link_get_mtu(nl);
	if (mac && nl_addr_get_len(mac) == sizeof(out->mac)) {
		memcpy(out->mac, nl_addr_get_binary_addr(mac), sizeof(out->mac));
		out->has_mac = true;
	}
	out->master = rtnl_link_get_master(nl);
	out->link = rtnl_link_get_link(nl);
	out->is_bridge_port = slave && strcmp(slave, "bridge") == 0;
	out->stats.rx_bytes = rtnl_link_get_stat(nl, RTNL_LINK_RX_BYTES);
	out->stats.tx_bytes = rtnl_link_get_stat(nl, RTNL_LINK_TX_BYTES);
	out->stats.rx_packets = rtnl_link_get_stat(nl, RTNL_LINK_RX_PACKETS);
	out->stats.tx_packets = rtnl_link_get_stat(nl, RTNL_LINK_TX_PACKETS);
	out->stats.rx_errors = rtnl_link_get_stat(nl, RTNL_LINK_RX_ERRORS);
	out->stats.tx_errors = rtnl_link_get_stat(nl, RTNL_LINK_TX_ERRORS);
	out->stats.rx_dropped = rtnl_link_get_stat(nl, RTNL_LINK_RX_DROPPED);
	out->stats.tx_dropped = rtnl_link_get_stat(nl, RTNL_LINK_TX_DROPPED);
	out->stats.multicast = rtnl_link_get_stat(nl, RTNL_LINK_MULTICAST);
	if (rtnl_link_get_carrier_changes(nl, &cc) == 0)
		out->stats.carrier_changes = cc;
	return 0;
}

struct link_walk {
	plat_link_fn fn;
	void *arg;
	int rc;
	struct plat_link *one; /* link_get: where the answer goes */
	int found;
};

static void link_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct link_walk *w = arg;
	struct rtnl_link *nl = (struct rtnl_link *)obj;
	struct plat_link l;

	/* NL_OBJ_BRPORT copies describe bridge-port state, not the link. */
	if (type != NL_OBJ_LINK || action != NL_ACTION_NEW || w->rc)
		return;
	if (plat_linux_link_from_nl(nl, w->one ? w->one : &l) < 0)
		return;
	if (w->one)
		w->found = 1;
	else
		w->rc = w->fn(w->arg, &l);
}

int lp_link_list(void *priv, plat_link_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct link_walk w = {.fn = fn, .arg = arg};
	int err = nl_cmd_dump(lp->cmd, NL_OBJ_LINK, link_obj, &w);

	return err < 0 ? err : w.rc;
}

int lp_link_get(void *priv, int ifindex, const char *name, struct plat_link *out)
{
	struct link_walk w = {.one = out};
	struct nl_msg *msg;
	int err;

	if ((err = rtnl_link_build_get_request(ifindex, name, &msg)) < 0)
		return -ENOMEM;
	err = lp_exchange(priv, msg, link_obj, &w);
	if (err < 0)
		return err;
	return w.found ? 0 : -ENODEV;
}

/* Sends an RTM_NEWLINK change of ifindex described by `changes`; consumes it. */
static int link_change(struct lp *lp, int ifindex, struct rtnl_link *changes)
{
	struct rtnl_link *orig = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;

	if (orig && ifindex > 0) {
		rtnl_link_set_ifindex(orig, ifindex);
		err = rtnl_link_build_change_request(orig, changes, 0, &msg) < 0 ? -EINVAL : 0;
	} else if (ifindex <= 0) {
		err = -ENODEV;
	}
	if (orig)
		rtnl_link_put(orig);
	rtnl_link_put(changes);
	return err < 0 ? err : lp_request(lp, msg);
}

int lp_link_set_admin(void *priv, int ifindex, bool up)
{
	struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return -ENOMEM;
	/* ifi_change = IFF_UP: no other flag is touched. */
	if (up)
		rtnl_link_set_flags(c, IFF_UP);
	else
		rtnl_link_unset_flags(c, IFF_UP);
	return link_change(priv, ifindex, c);
}

int lp_link_set_mtu(void *priv, int ifindex, uint32_t mtu)
{
	struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return -ENOMEM;
	rtnl_link_set_mtu(c, mtu);
	return link_change(priv, ifindex, c);
}

int lp_link_set_alias(void *priv, int ifindex, const char *alias)
{
	struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return -ENOMEM;
	/* An empty IFLA_IFALIAS removes the alias (dev_set_alias()). */
	rtnl_link_set_ifalias(c, alias);
	return link_change(priv, ifindex, c);
}

int lp_bridge_enslave(void *priv, int port, int bridge)
{
	struct rtnl_link *c = rtnl_link_alloc();

	if (!c)
		return -ENOMEM;
	/* IFLA_MASTER 0 releases the port. */
	rtnl_link_set_master(c, bridge);
	return link_change(priv, port, c);
}

static int link_add(struct lp *lp, struct rtnl_link *link)
{
	struct nl_msg *msg;
	int err = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, &msg);

	rtnl_link_put(link);
	if (err < 0)
		return -EINVAL;
	return lp_request(lp, msg);
}

int lp_link_add_veth(void *priv, const char *name, const char *peer)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	struct rtnl_link *p;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	p = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(p, peer);
	rtnl_link_put(p);
	return link_add(priv, link);
}

int lp_link_add_bridge(void *priv, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	if (rtnl_link_set_type(link, "bridge") < 0) {
		rtnl_link_put(link);
		return -EOPNOTSUPP;
	}
	return link_add(priv, link);
}

int lp_link_del(void *priv, int ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();
	struct nl_msg *msg;
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_ifindex(link, ifindex);
	err = rtnl_link_build_delete_request(link, &msg);
	rtnl_link_put(link);
	if (err < 0)
		return -EINVAL;
	return lp_request(priv, msg);
}
