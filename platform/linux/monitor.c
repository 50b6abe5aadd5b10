/*
 * Change notifications: a lib/nl monitor whose libnl objects are turned into
 * plat structs. Links are remembered by ifindex so that each report says
 * what changed (admin, oper, MTU, ...); that table is swept on every resync,
 * like the consumer's own state, so a renamed or recreated ifindex is never
 * described from stale data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "platform/linux/linux.h"

struct mon_link {
	bool stale;
	struct plat_link l;
};

struct lp_monitor {
	struct nl_monitor *nm;
	struct plat_monitor_cbs cbs;
	void *arg;
	struct mon_link *links; /* sorted by ifindex */
	size_t n, cap;
};

#define LINK_CHG_ALL                                                                               \
	(PLAT_LINK_CHG_ADDED | PLAT_LINK_CHG_ADMIN | PLAT_LINK_CHG_OPER | PLAT_LINK_CHG_MTU |      \
	 PLAT_LINK_CHG_NAME | PLAT_LINK_CHG_ALIAS | PLAT_LINK_CHG_MASTER | PLAT_LINK_CHG_MAC)

/* Index of ifindex in the table, or of where it would go (*found false). */
static size_t link_find(const struct lp_monitor *m, int ifindex, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->links[mid].l.ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && m->links[lo].l.ifindex == ifindex;
	return lo;
}

static unsigned link_diff(const struct plat_link *a, const struct plat_link *b)
{
	unsigned c = 0;

	if (a->admin_up != b->admin_up)
		c |= PLAT_LINK_CHG_ADMIN;
	if (a->oper != b->oper || a->carrier != b->carrier)
		c |= PLAT_LINK_CHG_OPER;
	if (a->mtu != b->mtu)
		c |= PLAT_LINK_CHG_MTU;
	if (strcmp(a->name, b->name) != 0)
		c |= PLAT_LINK_CHG_NAME;
	if (strcmp(a->alias, b->alias) != 0)
		c |= PLAT_LINK_CHG_ALIAS;
	if (a->master != b->master)
		c |= PLAT_LINK_CHG_MASTER;
	if (a->has_mac != b->has_mac || memcmp(a->mac, b->mac, sizeof(a->mac)) != 0)
		c |= PLAT_LINK_CHG_MAC;
	return c;
}

/* Records l; returns its change bits. */
static unsigned link_update(struct lp_monitor *m, const struct plat_link *l)
{
	bool found;
	size_t i = link_find(m, l->ifindex, &found);
	unsigned c;

	if (found) {
		c = link_diff(&m->links[i].l, l);
	} else {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 32;
			struct mon_link *nl = realloc(m->links, cap * sizeof(*nl));

			/* Without memory the link is reported but not remembered. */
			if (!nl)
				return LINK_CHG_ALL;
			m->links = nl;
			m->cap = cap;
		}
		memmove(&m->links[i + 1], &m->links[i], (m->n - i) * sizeof(*m->links));
		m->n++;
		c = LINK_CHG_ALL;
	}
	m->links[i].l = *l;
	m->links[i].stale = false;
	return c;
}

static void link_forget(struct lp_monitor *m, int ifindex)
{
	bool found;
	size_t i = link_find(m, ifindex, &found);

	if (!found)
		return;
	memmove(&m->links[i], &m->links[i + 1], (m->n - i - 1) * sizeof(*m->links));
	m->n--;
}

static void mon_begin(void *arg)
{
	struct lp_monitor *m = arg;

	for (size_t i = 0; i < m->n; i++)
		m->links[i].stale = true;
	if (m->cbs.resync_begin)
		m->cbs.resync_begin(m->arg);
}

static void mon_end(void *arg)
{
	struct lp_monitor *m = arg;
	size_t j = 0;

	for (size_t i = 0; i < m->n; i++)
		if (!m->links[i].stale)
			m->links[j++] = m->links[i];
	m->n = j;
	if (m->cbs.resync_end)
		m->cbs.resync_end(m->arg);
}

static void mon_link(struct lp_monitor *m, enum nl_action action, struct rtnl_link *nl)
{
	struct plat_link l;
	unsigned c;

	if (plat_linux_link_from_nl(nl, &l) < 0)
		return;
	if (action == NL_ACTION_DEL) {
		link_forget(m, l.ifindex);
		if (m->cbs.link)
			m->cbs.link(m->arg, PLAT_EV_DEL, &l, 0);
		return;
	}
	c = link_update(m, &l);
	if (m->cbs.link)
		m->cbs.link(m->arg, PLAT_EV_NEW, &l, c);
}

static void mon_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct lp_monitor *m = arg;
	enum plat_ev ev = action == NL_ACTION_NEW ? PLAT_EV_NEW : PLAT_EV_DEL;

	switch (type) {
	case NL_OBJ_BRPORT: /* not subscribed */
		break;
	case NL_OBJ_LINK:
		mon_link(m, action, (struct rtnl_link *)obj);
		break;
	case NL_OBJ_ADDR4:
	case NL_OBJ_ADDR6: {
		struct plat_addr a;

		if (m->cbs.addr && plat_linux_addr_from_nl((struct rtnl_addr *)obj, &a) == 0)
			m->cbs.addr(m->arg, ev, &a);
		break;
	}
	case NL_OBJ_ROUTE4:
	case NL_OBJ_ROUTE6: {
		struct plat_route r;

		if (m->cbs.route && plat_linux_route_from_nl((struct rtnl_route *)obj, &r) == 0)
			m->cbs.route(m->arg, ev, &r);
		break;
	}
	case NL_OBJ_NEIGH: {
		struct plat_neigh n;

		if (m->cbs.neigh && plat_linux_neigh_from_nl((struct rtnl_neigh *)obj, &n) == 0)
			m->cbs.neigh(m->arg, ev, &n);
		break;
	}
	}
}

static unsigned watch_types(unsigned watch)
{
	unsigned t = 0;

	if (watch & PLAT_WATCH_LINK)
		t |= NL_OBJ_LINK;
	if (watch & PLAT_WATCH_ADDR)
		t |= NL_OBJ_ADDR4 | NL_OBJ_ADDR6;
	if (watch & PLAT_WATCH_ROUTE)
		t |= NL_OBJ_ROUTE4 | NL_OBJ_ROUTE6;
	if (watch & PLAT_WATCH_NEIGH)
		t |= NL_OBJ_NEIGH;
	return t;
}

static struct lp_monitor *mon_alloc(const struct plat_monitor_cbs *cbs, void *arg)
{
	struct lp_monitor *m = calloc(1, sizeof(*m));

	if (m) {
		m->cbs = *cbs;
		m->arg = arg;
	}
	return m;
}

static const struct nl_monitor_cbs nl_cbs = {
        .obj = mon_obj,
        .resync_begin = mon_begin,
        .resync_end = mon_end,
};

void *lp_monitor_new(void *priv, struct event_base *base, unsigned watch,
                     const struct plat_monitor_cbs *cbs, void *arg)
{
	struct lp_monitor *m = mon_alloc(cbs, arg);

	if (!m)
		return NULL;
	if (!(m->nm = nl_monitor_new(base, watch_types(watch), &nl_cbs, m))) {
		free(m);
		return NULL;
	}
	return m;
}

void *plat_linux_monitor_new_io(unsigned watch, const struct nl_monitor_io *io,
                                const struct plat_monitor_cbs *cbs, void *arg)
{
	struct lp_monitor *m = mon_alloc(cbs, arg);

	if (!m)
		return NULL;
	if (!(m->nm = nl_monitor_new_io(watch_types(watch), io, &nl_cbs, m))) {
		free(m);
		return NULL;
	}
	return m;
}

struct nl_monitor *plat_linux_monitor_nl(void *mon)
{
	return ((struct lp_monitor *)mon)->nm;
}

int lp_monitor_start(void *mon)
{
	struct lp_monitor *m = mon;

	return nl_monitor_start(m->nm);
}

void lp_monitor_free(void *mon)
{
	struct lp_monitor *m = mon;

	if (!m)
		return;
	nl_monitor_free(m->nm);
	free(m->links);
	free(m);
}
