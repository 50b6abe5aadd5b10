/*
 * The linux back-end: its plat_ops table and the request plumbing every
 * object file shares (see linux.h for the file map).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/addr.h>

#include "platform/linux/bridge_vlan.h"
#include "platform/linux/linux.h"

static void copy_errmsg(struct lp *lp, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(lp->errmsg))
		n = sizeof(lp->errmsg) - 1;
	memcpy(lp->errmsg, msg, n);
	lp->errmsg[n] = '\0';
}

int lp_exchange(struct lp *lp, struct nl_msg *msg, nl_obj_fn fn, void *arg)
{
	int err = nl_cmd_exchange(lp->cmd, msg, fn, arg);

	copy_errmsg(lp, err < 0 ? nl_cmd_errmsg(lp->cmd) : "");
	nlmsg_free(msg);
	return err;
}

int lp_request(struct lp *lp, struct nl_msg *msg)
{
	int err;

	if (lp->batch) {
		err = nl_batch_add(lp->batch, msg);
		nlmsg_free(msg);
		return err < 0 ? err : 0;
	}
	return lp_exchange(lp, msg, NULL, NULL);
}

struct nl_addr *lp_nladdr(const struct plat_ip *ip, int prefixlen)
{
	struct nl_addr *a;

	if (ip->family != AF_INET && ip->family != AF_INET6)
		return NULL;
	a = nl_addr_build(ip->family, ip->bytes, ip->family == AF_INET ? 4 : 16);
	if (a && prefixlen >= 0)
		nl_addr_set_prefixlen(a, prefixlen);
	return a;
}

int lp_ip_from_nl(const struct nl_addr *a, struct plat_ip *out)
{
	int fam = a ? nl_addr_get_family(a) : 0;
	unsigned len = a ? nl_addr_get_len(a) : 0;

	memset(out, 0, sizeof(*out));
	if ((fam == AF_INET && len == 4) || (fam == AF_INET6 && len == 16)) {
		out->family = (uint8_t)fam;
		memcpy(out->bytes, nl_addr_get_binary_addr(a), len);
		return 0;
	}
	return -EINVAL;
}

static int lp_open(struct plat *p, void **priv)
{
	struct lp *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return -ENOMEM;
	if (!(lp->cmd = nl_cmd_open())) {
		int err = errno ? -errno : -EIO;

		free(lp);
		return err;
	}
	*priv = lp;
	return 0;
}

static void lp_close(void *priv)
{
	struct lp *lp = priv;

	nl_batch_free(lp->batch);
	nl_cmd_close(lp->cmd);
	free(lp);
}

static const char *lp_errmsg(void *priv)
{
	return ((struct lp *)priv)->errmsg;
}

static int lp_batch_begin(void *priv)
{
	struct lp *lp = priv;

	if (lp->batch)
		return -EBUSY;
	return (lp->batch = nl_batch_new()) ? 0 : -ENOMEM;
}

static int lp_batch_commit(void *priv, plat_batch_err_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct nl_batch *b = lp->batch;
	int rc;

	if (!b)
		return -EINVAL;
	lp->batch = NULL;
	rc = nl_cmd_batch(lp->cmd, b, fn, arg);
	copy_errmsg(lp, rc != 0 ? nl_cmd_errmsg(lp->cmd) : "");
	nl_batch_free(b);
	return rc;
}

/* ------------------------------------------------------------ bridge VLANs
 * bridge_vlan.c builds and sends these on a socket of its own (libnl 3.7
 * cannot); its text for a missing kernel option becomes plat_errmsg(). */

static int lp_bridge_vlan_filtering(void *priv, int bridge, bool on, int default_pvid)
{
	struct lp *lp = priv;

	return brvlan_filtering_set(bridge, on, default_pvid, lp->errmsg, sizeof(lp->errmsg));
}

static int lp_vlan_dev_add(void *priv, const char *name, int lower, uint16_t vid)
{
	struct lp *lp = priv;

	return brvlan_vlan_dev_add(name, lower, vid, lp->errmsg, sizeof(lp->errmsg));
}

struct lp_fdb_walk {
	plat_fdb_fn fn;
	void *arg;
	int stop; /* the first non-zero callback value; later entries are skipped */
};

static void lp_fdb_entry(void *arg, const struct brvlan_fdb *e)
{
	struct lp_fdb_walk *w = arg;
	struct plat_fdb f = {.ifindex = e->ifindex,
	                     .master = e->master,
	                     .vlan = e->vlan,
	                     .state = e->state,
	                     .flags = e->flags,
	                     .locked = (e->flags_ext & NTF_EXT_LOCKED) != 0};

	if (w->stop)
		return;
	memcpy(f.mac, e->mac, sizeof(f.mac));
	w->stop = w->fn(w->arg, &f);
}

static int lp_fdb_list(void *priv, int bridge, plat_fdb_fn fn, void *arg)
{
	struct lp *lp = priv;
	struct lp_fdb_walk w = {.fn = fn, .arg = arg};
	int r = brvlan_fdb_dump(bridge, lp_fdb_entry, &w, lp->errmsg, sizeof(lp->errmsg));

	return r < 0 ? r : w.stop;
}

static const struct plat_ops linux_ops = {
        .name = "linux",
        .open = lp_open,
        .close = lp_close,
        .errmsg = lp_errmsg,
        .batch_begin = lp_batch_begin,
        .batch_commit = lp_batch_commit,
        .link_list = lp_link_list,
        .link_get = lp_link_get,
        .link_set_admin = lp_link_set_admin,
        .link_set_mtu = lp_link_set_mtu,
        .link_set_alias = lp_link_set_alias,
        .link_add_veth = lp_link_add_veth,
        .link_add_bridge = lp_link_add_bridge,
        .link_del = lp_link_del,
        .addr_list = lp_addr_list,
        .addr_add = lp_addr_add,
        .addr_del = lp_addr_del,
        .route_list = lp_route_list,
        .route_add = lp_route_add,
        .route_del = lp_route_del,
        .neigh_list = lp_neigh_list,
        .neigh_set = lp_neigh_set,
        .neigh_del = lp_neigh_del,
        .bridge_enslave = lp_bridge_enslave,
        .bridge_port_flags = lp_bridge_port_flags,
        .bridge_vlan_add = lp_bridge_vlan_add,
        .bridge_vlan_del = lp_bridge_vlan_del,
        .port_authorize = lp_port_authorize,
        .bridge_vlan_filtering = lp_bridge_vlan_filtering,
        .vlan_dev_add = lp_vlan_dev_add,
        .fdb_list = lp_fdb_list,
        .monitor_new = lp_monitor_new,
        .monitor_start = lp_monitor_start,
        .monitor_free = lp_monitor_free,
};

const struct plat_ops *platform_linux_ops(void)
{
	return &linux_ops;
}
