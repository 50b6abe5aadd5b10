/*
 * Addresses: list (RTM_GETADDR dumps per family), add / delete.
 */
#include <errno.h>
#include <string.h>

#include <netlink/addr.h>

#include "platform/linux/linux.h"

int plat_linux_addr_from_nl(struct rtnl_addr *nl, struct plat_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_addr_get_ifindex(nl);
	if (lp_ip_from_nl(rtnl_addr_get_local(nl), &out->prefix.ip) < 0)
		return -EINVAL;
	out->prefix.len = (uint8_t)rtnl_addr_get_prefixlen(nl);
	out->scope = (uint8_t)rtnl_addr_get_scope(nl);
	out->flags = rtnl_addr_get_flags(nl);
	return 0;
}

int plat_linux_addr_msg(const struct plat_addr *a, bool add, struct nl_msg **out)
{
	unsigned max = a->prefix.ip.family == AF_INET ? 32 : 128;
	struct rtnl_addr *nl;
	struct nl_addr *local;
	int err;

	if (a->ifindex <= 0)
		return -ENODEV;
	if (a->prefix.len > max)
		return -EINVAL;
	if (!(local = lp_nladdr(&a->prefix.ip, a->prefix.len)))
		return -EINVAL;
	if (!(nl = rtnl_addr_alloc())) {
		nl_addr_put(local);
		return -ENOMEM;
	}
	rtnl_addr_set_ifindex(nl, a->ifindex);
	/* Sets IFA_LOCAL (and IFA_ADDRESS, no peer) and the prefix length. */
	err = rtnl_addr_set_local(nl, local);
	if (err == 0 && a->scope)
		rtnl_addr_set_scope(nl, a->scope);
	if (err == 0)
		err = add ? rtnl_addr_build_add_request(nl, NLM_F_EXCL, out)
		          : rtnl_addr_build_delete_request(nl, 0, out);
	nl_addr_put(local);
	rtnl_addr_put(nl);
	return err < 0 ? -EINVAL : 0;
}

struct addr_walk {
	plat_addr_fn fn;
	void *arg;
	int rc;
};

static void addr_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct addr_walk *w = arg;
	struct plat_addr a;

	if (w->rc || action != NL_ACTION_NEW || !(type & (NL_OBJ_ADDR4 | NL_OBJ_ADDR6)))
		return;
	if (plat_linux_addr_from_nl((struct rtnl_addr *)obj, &a) == 0)
		w->rc = w->fn(w->arg, &a);
}

int lp_addr_list(void *priv, int family, plat_addr_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct addr_walk w = {.fn = fn, .arg = arg};
	int err = 0;

	if (family != 0 && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (family != AF_INET6)
		err = nl_cmd_dump(lp->cmd, NL_OBJ_ADDR4, addr_obj, &w);
	if (err == 0 && w.rc == 0 && family != AF_INET)
		err = nl_cmd_dump(lp->cmd, NL_OBJ_ADDR6, addr_obj, &w);
	return err < 0 ? err : w.rc;
}

int lp_addr_add(void *priv, const struct plat_addr *a)
{
	struct nl_msg *msg;
	int err = plat_linux_addr_msg(a, true, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}

int lp_addr_del(void *priv, const struct plat_addr *a)
{
	struct nl_msg *msg;
	int err = plat_linux_addr_msg(a, false, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}
