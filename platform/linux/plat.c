/*
 * The back-end-neutral half of platform.h: choosing a back-end by name,
 * dispatching through its plat_ops, and the address helpers. It lives in
 * platform/linux/ only because the build compiles only platform/<dir>/ sources; it
 * does not depend on Linux specifics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

/* Linked in only by programs that use the OVS back-end. */
const struct plat_ops *platform_ovs_ops(void) __attribute__((weak));

struct plat {
	const struct plat_ops *ops;
	void *priv;
};

struct plat_monitor {
	const struct plat_ops *ops;
	void *impl;
};

struct plat *plat_open_ops(const struct plat_ops *ops)
{
	struct plat *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	p->ops = ops;
	if (ops->open && (err = ops->open(p, &p->priv)) < 0) {
		free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

struct plat *plat_open(const char *name)
{
	const struct plat_ops *ops = NULL;

	if (!name || strcmp(name, "linux") == 0)
		ops = platform_linux_ops();
	else if (strcmp(name, "ovs") == 0 && platform_ovs_ops)
		ops = platform_ovs_ops();
	if (!ops) {
		errno = ENOENT;
		return NULL;
	}
	return plat_open_ops(ops);
}

void plat_close(struct plat *p)
{
	if (!p)
		return;
	if (p->ops->close)
		p->ops->close(p->priv);
	free(p);
}

const char *plat_name(const struct plat *p)
{
	return p->ops->name;
}

const char *plat_errmsg(const struct plat *p)
{
	return p->ops->errmsg ? p->ops->errmsg(p->priv) : "";
}

#define DISPATCH(p, op, ...) ((p)->ops->op ? (p)->ops->op((p)->priv, __VA_ARGS__) : -EOPNOTSUPP)

int plat_batch_begin(struct plat *p)
{
	return p->ops->batch_begin ? p->ops->batch_begin(p->priv) : -EOPNOTSUPP;
}

int plat_batch_commit(struct plat *p, plat_batch_err_fn fn, void *arg)
{
	return DISPATCH(p, batch_commit, fn, arg);
}

int plat_link_list(struct plat *p, plat_link_fn fn, void *arg)
{
	return DISPATCH(p, link_list, fn, arg);
}

int plat_link_get(struct plat *p, int ifindex, struct plat_link *out)
{
	if (ifindex <= 0)
		return -ENODEV;
	return DISPATCH(p, link_get, ifindex, NULL, out);
}

int plat_link_get_by_name(struct plat *p, const char *name, struct plat_link *out)
{
	if (!name || !name[0] || strlen(name) >= PLAT_IFNAMSIZ)
		return -ENODEV;
	return DISPATCH(p, link_get, 0, name, out);
}

int plat_link_set_admin(struct plat *p, int ifindex, bool up)
{
	return DISPATCH(p, link_set_admin, ifindex, up);
}

int plat_link_set_mtu(struct plat *p, int ifindex, uint32_t mtu)
{
	return DISPATCH(p, link_set_mtu, ifindex, mtu);
}

int plat_link_set_alias(struct plat *p, int ifindex, const char *alias)
{
	if (strlen(alias) >= PLAT_ALIASSIZ)
		return -ENAMETOOLONG;
	return DISPATCH(p, link_set_alias, ifindex, alias);
}

static int name_ok(const char *name)
{
	return name && name[0] && strlen(name) < PLAT_IFNAMSIZ;
}

int plat_link_add_veth(struct plat *p, const char *name, const char *peer)
{
	if (!name_ok(name) || !name_ok(peer))
		return -EINVAL;
	return DISPATCH(p, link_add_veth, name, peer);
}

int plat_link_add_bridge(struct plat *p, const char *name)
{
	if (!name_ok(name))
		return -EINVAL;
	return DISPATCH(p, link_add_bridge, name);
}

int plat_link_del(struct plat *p, int ifindex)
{
	return DISPATCH(p, link_del, ifindex);
}

int plat_addr_list(struct plat *p, int family, plat_addr_fn fn, void *arg)
{
	return DISPATCH(p, addr_list, family, fn, arg);
}

int plat_addr_add(struct plat *p, const struct plat_addr *a)
{
	return DISPATCH(p, addr_add, a);
}

int plat_addr_del(struct plat *p, const struct plat_addr *a)
{
	return DISPATCH(p, addr_del, a);
}

int plat_route_list(struct plat *p, int family, plat_route_fn fn, void *arg)
{
	return DISPATCH(p, route_list, family, fn, arg);
}

int plat_route_add(struct plat *p, const struct plat_route *r, bool replace)
{
	return DISPATCH(p, route_add, r, replace);
}

int plat_route_del(struct plat *p, const struct plat_route *r)
{
	return DISPATCH(p, route_del, r);
}

int plat_neigh_list(struct plat *p, int family, plat_neigh_fn fn, void *arg)
{
	return DISPATCH(p, neigh_list, family, fn, arg);
}

int plat_neigh_set(struct plat *p, const struct plat_neigh *n)
{
	return DISPATCH(p, neigh_set, n);
}

int plat_neigh_del(struct plat *p, const struct plat_neigh *n)
{
	return DISPATCH(p, neigh_del, n);
}

int plat_bridge_enslave(struct plat *p, int port, int bridge)
{
	return DISPATCH(p, bridge_enslave, port, bridge);
}

int plat_bridge_port_flags(struct plat *p, int port, const struct plat_brport_flags *f)
{
	return DISPATCH(p, bridge_port_flags, port, f);
}

int plat_bridge_vlan_add(struct plat *p, int port, const struct plat_bridge_vlan *v, size_t n,
                         bool self)
{
	return DISPATCH(p, bridge_vlan_add, port, v, n, self);
}

int plat_bridge_vlan_del(struct plat *p, int port, const struct plat_bridge_vlan *v, size_t n,
                         bool self)
{
	return DISPATCH(p, bridge_vlan_del, port, v, n, self);
}

int plat_port_authorize(struct plat *p, int port, bool locked, bool mab)
{
	return DISPATCH(p, port_authorize, port, locked, mab);
}

int plat_bridge_vlan_filtering(struct plat *p, int bridge, bool on, int default_pvid)
{
	return DISPATCH(p, bridge_vlan_filtering, bridge, on, default_pvid);
}

int plat_vlan_dev_add(struct plat *p, const char *name, int lower, uint16_t vid)
{
	return DISPATCH(p, vlan_dev_add, name, lower, vid);
}

int plat_fdb_list(struct plat *p, int bridge, plat_fdb_fn fn, void *arg)
{
	return DISPATCH(p, fdb_list, bridge, fn, arg);
}

struct plat_monitor *plat_monitor_new(struct plat *p, struct event_base *base, unsigned watch,
                                      const struct plat_monitor_cbs *cbs, void *arg)
{
	struct plat_monitor *m;

	if (!p->ops->monitor_new) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m))))
		return NULL;
	m->ops = p->ops;
	if (!(m->impl = p->ops->monitor_new(p->priv, base, watch, cbs, arg))) {
		free(m);
		return NULL;
	}
	return m;
}

int plat_monitor_start(struct plat_monitor *m)
{
	return m->ops->monitor_start ? m->ops->monitor_start(m->impl) : -EOPNOTSUPP;
}

void plat_monitor_free(struct plat_monitor *m)
{
	if (!m)
		return;
	if (m->ops->monitor_free)
		m->ops->monitor_free(m->impl);
	free(m);
}

void plat_brport_flags_init(struct plat_brport_flags *f)
{
	f->learning = f->unicast_flood = f->mcast_flood = f->bcast_flood = PLAT_FLAG_KEEP;
	f->locked = f->mab = PLAT_FLAG_KEEP;
}

const char *plat_oper_name(enum plat_oper o)
{
	static const char *const names[] = {
	        "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up",
	};

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* ------------------------------------------------------------ addresses */

int plat_ip_parse(const char *s, struct plat_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int plat_prefix_parse(const char *s, struct plat_prefix *out)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (plat_ip_parse(addr, &out->ip) < 0)
		return -EINVAL;
	max = out->ip.family == AF_INET ? 32 : 128;
	out->len = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long l;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		l = strtoul(slash + 1, &end, 10);
		if (*end || l > max)
			return -EINVAL;
		out->len = (uint8_t)l;
	}
	return 0;
}

const char *plat_ip_str(const struct plat_ip *ip, char *buf, size_t len)
{
	if (!len)
		return buf;
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

const char *plat_prefix_str(const struct plat_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", plat_ip_str(&p->ip, a, sizeof(a)), p->len);
	return buf;
}

bool plat_ip_equal(const struct plat_ip *a, const struct plat_ip *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}
