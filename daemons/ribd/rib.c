/*
 * The RIB (see rib.h).
 *
 * Destinations live in one Patricia trie per family (lpm.c). Each keeps
 * its routes sorted best first (usable, preference, protocol, metric, key),
 * so the active route is the head when it is usable.
 *
 * Next-hop resolution follows what FRR's zebra does in nexthop_active
 * (notes §11.1), with Junos semantics: a static gateway must lie on a
 * directly connected subnet, unless the route says `resolve`, in which case
 * the longest-matching active route is used and its resolved next hops are
 * inherited. Resolution never goes through the route's own destination nor
 * through the default route, and a gateway that is one of our own
 * addresses (a Local route) does not resolve.
 *
 * Resolution is incremental. Routes with the same configured next-hop set
 * and the same rules form a group (struct rib_grp) that is resolved once
 * for all its members. A group's answer can only change when (a) a
 * destination covering one of its gateways changes its active route or
 * that route's next hops, (b) a link of one of its interface next hops
 * changes, or (c) a tracked next hop (BFD) changes. For (a) every gateway
 * in use sits in a gateway trie; a destination that changes walks the
 * gateways inside its own prefix and queues their groups; (b) and (c) queue
 * the groups naming the link or track. rib_run() resolves only the queued
 * groups, repeating while answers change (bounded: a resolution loop
 * settles or stops after RIB_RESOLVE_ROUNDS rounds). A million routes
 * through one gateway thus cost one resolution, and adding a route costs a
 * trie insert, a group lookup and a walk of the (small) gateway trie.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/lpm.h"
#include "daemons/ribd/nhobj.h"
#include "daemons/ribd/rib.h"
#include "lib/log.h"

#define RIB_RESOLVE_ROUNDS 16
/* Change array capacity kept between runs (128 KiB). */
#define RIB_DIRTY_KEEP 16384

struct rib_link {
	int ifindex;
	bool up;
	uint32_t gen;
};

struct rib_addr {
	int ifindex;
	struct plat_prefix p;
	uint32_t gen;
};

/* Resolution rules of a group (part of its identity). */
enum rib_grp_flag {
	RIB_GRP_GW = 1 << 0,      /* gateways resolve through the RIB (static, API) */
	RIB_GRP_RESOLVE = 1 << 1, /* ... through any route, not just connected ones */
};

struct rib_grp {
	struct rib_grp *hnext; /* in the group hash */
	struct rib_grp *qnext; /* in the resolution queue */
	const struct rib_nh *cfg;
	const struct rib_dest *self; /* a member's own destination covers a gateway */
	const struct rib_nh *res;
	struct rib_route *members;
	uint32_t hash, n_members;
	uint8_t n_cfg, n_res, flags;
	bool usable, queued, has_if;
};

/* Groups using one gateway address (the gateway trie's values). */
struct rib_gwent {
	size_t n, cap;
	struct rib_grp **g;
};

struct rib {
	struct lpm *t4, *t6;
	struct lpm *gw4, *gw6; /* gateways in use -> rib_gwent */
	rib_change_fn fn;
	void *arg;
	int64_t now;
	struct rib_grp **grps; /* hash of groups */
	size_t grp_cap, n_grps;
	struct rib_grp *queue; /* groups to resolve */
	/* Destinations for the change callback: an array, so that a destination
	 * carries no list link (8 bytes a route). */
	struct rib_dest **dirty;
	size_t n_dirty, cap_dirty;
	struct lpm_pool dest_pool, route_pool;
	size_t n_dests, n_routes, gw_bytes;
	uint32_t gen; /* current resync generation */
	struct rib_link *links;
	size_t n_links, cap_links;
	struct rib_addr *addrs;
	size_t n_addrs, cap_addrs;
	rib_nh_usable_fn nh_usable; /* tracked next hops (BFD) */
	void *nh_usable_arg;
};

static const char *const rib_proto_names[RIB_PROTO_COUNT] = {
        [RIB_PROTO_DIRECT] = "Direct", [RIB_PROTO_LOCAL] = "Local", [RIB_PROTO_STATIC] = "Static",
        [RIB_PROTO_KERNEL] = "Kernel", [RIB_PROTO_API] = "API",
};

/* Junos route preferences (notes §11.2); API routes sit between static (5)
 * and kernel (40), like FRR's sharp/table routes between static and IGPs. */
static const uint32_t rib_proto_prefs[RIB_PROTO_COUNT] = {
        [RIB_PROTO_DIRECT] = 0,  [RIB_PROTO_LOCAL] = 0, [RIB_PROTO_STATIC] = 5,
        [RIB_PROTO_KERNEL] = 40, [RIB_PROTO_API] = 20,
};

const char *rib_proto_name(enum rib_proto p)
{
	return (unsigned)p < RIB_PROTO_COUNT ? rib_proto_names[p] : "?";
}

uint32_t rib_proto_pref(enum rib_proto p)
{
	return (unsigned)p < RIB_PROTO_COUNT ? rib_proto_prefs[p] : UINT32_MAX;
}

const char *rib_type_name(enum rib_type t)
{
	switch (t) {
	case RIB_TYPE_UNICAST:
		return "unicast";
	case RIB_TYPE_DISCARD:
		return "discard";
	case RIB_TYPE_REJECT:
		return "reject";
	}
	return "?";
}

/* ------------------------------------------------------------ helpers */

static unsigned rib_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static struct lpm *rib_tree(const struct rib *r, int family)
{
	return family == AF_INET ? r->t4 : family == AF_INET6 ? r->t6 : NULL;
}

static struct lpm *rib_gwtree(const struct rib *r, int family)
{
	return family == AF_INET ? r->gw4 : family == AF_INET6 ? r->gw6 : NULL;
}

static bool rib_nh_equal(const struct rib_nh *a, const struct rib_nh *b)
{
	return a->ifindex == b->ifindex && plat_ip_equal(&a->gw, &b->gw);
}

static int rib_nh_cmp(const struct rib_nh *a, const struct rib_nh *b)
{
	int c;

	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->gw.family != b->gw.family)
		return a->gw.family < b->gw.family ? -1 : 1;
	c = memcmp(a->gw.bytes, b->gw.bytes, sizeof(a->gw.bytes));
	return c;
}

static bool rib_link_up(const struct rib *r, int ifindex)
{
	for (size_t i = 0; i < r->n_links; i++)
		if (r->links[i].ifindex == ifindex)
			return r->links[i].up;
	return false;
}

/* Does prefix p contain address a? */
static bool rib_prefix_has(const struct plat_prefix *p, const struct plat_ip *a)
{
	if (p->ip.family != a->family)
		return false;
	for (unsigned i = 0; i < p->len; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if ((p->ip.bytes[i / 8] & m) != (a->bytes[i / 8] & m))
			return false;
	}
	return true;
}

static void rib_mark(struct rib *r, struct rib_dest *d)
{
	if (d->dirty)
		return;
	if (r->n_dirty == r->cap_dirty) {
		size_t cap = r->cap_dirty ? 2 * r->cap_dirty : 1024;
		struct rib_dest **p = realloc(r->dirty, cap * sizeof(*p));

		if (!p) {
			log_warnx("rib: out of memory queueing a change");
			return;
		}
		r->dirty = p;
		r->cap_dirty = cap;
	}
	d->dirty = true;
	r->dirty[r->n_dirty++] = d;
}

static int rib_route_cmp(const struct rib_route *a, const struct rib_route *b)
{
	if (a->usable != b->usable)
		return a->usable ? -1 : 1;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->metric != b->metric)
		return a->metric < b->metric ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return 0;
}

static void rib_grp_queue(struct rib *r, struct rib_grp *g)
{
	if (g->queued)
		return;
	g->queued = true;
	g->qnext = r->queue;
	r->queue = g;
}

static int rib_gw_queue_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib *r = arg;
	struct rib_gwent *e = value;

	(void)addr;
	(void)plen;
	for (size_t i = 0; i < e->n; i++)
		rib_grp_queue(r, e->g[i]);
	return 0;
}

/* d's active route or its next hops changed: groups whose gateways d covers
 * may resolve differently now. */
static void rib_dest_moved(struct rib *r, const struct rib_dest *d)
{
	struct lpm *t = rib_gwtree(r, d->pfx.ip.family);

	if (t && lpm_count(t))
		lpm_walk(t, d->pfx.ip.bytes, d->pfx.len, rib_gw_queue_one, r);
}

/*
 * Re-sorts d's routes and picks the active one. `touched` is a route whose
 * next hops may have changed: if it is or was active the FIB must hear.
 */
static void rib_select(struct rib *r, struct rib_dest *d, const struct rib_route *touched)
{
	struct rib_route *sorted = NULL, *rt, *next, **pp, *best;
	/* Callers keep the old head in place until here (rib_route_set adds
	 * behind it), so it tells what was active. */
	struct rib_route *old = rib_dest_best(d);

	if (d->routes && !d->routes->next) {
		sorted = d->routes; /* the common case: one route */
	} else {
		for (rt = d->routes; rt; rt = next) {
			next = rt->next;
			for (pp = &sorted; *pp && rib_route_cmp(*pp, rt) <= 0; pp = &(*pp)->next)
				;
			rt->next = *pp;
			*pp = rt;
		}
	}
	d->routes = sorted;
	best = sorted && sorted->usable ? sorted : NULL;
	if (best != old || (touched && touched == best)) {
		if (best && best != old)
			best->since = (uint32_t)r->now;
		d->active = best != NULL;
		rib_mark(r, d);
		rib_dest_moved(r, d);
	}
	if (!d->routes)
		rib_mark(r, d); /* freed in rib_run */
}

/* ------------------------------------------------------------ resolution */

static size_t rib_res_add(struct rib_nh *res, size_t n, const struct rib_nh *nh)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rib_nh_equal(&res[i], nh))
			return n;
	if (n == RIB_MAX_NH)
		return n; /* the kernel takes no more paths */
	res[n].gw = nh->gw;
	res[n].ifindex = nh->ifindex;
	res[n].track = 0;
	return n + 1;
}

/* Resolves one gateway of group g through the RIB; appends to res. */
static size_t rib_resolve_gw(const struct rib *r, const struct rib_grp *g, const struct plat_ip *gw,
                             struct rib_nh *res, size_t n)
{
	struct lpm *t = rib_tree(r, gw->family);
	void *m[129];
	unsigned plens[129];
	const struct rib_nh *bres;
	size_t nm, nb;

	if (!t)
		return n;
	nm = lpm_matches(t, gw->bytes, lpm_maxbits(t), m, plens, 129);
	for (size_t i = 0; i < nm && i < 129; i++) {
		const struct rib_dest *d = m[i];
		const struct rib_route *b = rib_dest_best(d);

		if (d == g->self || plens[i] == 0 || !b)
			continue;
		if (b->proto == RIB_PROTO_DIRECT) {
			size_t nn;
			const struct rib_nh *dn = rib_route_nh(b, &nn);
			struct rib_nh nh = {.gw = *gw, .ifindex = nn ? dn[0].ifindex : 0};

			return nn ? rib_res_add(res, n, &nh) : n;
		}
		if (b->proto == RIB_PROTO_LOCAL)
			return n; /* our own address is no gateway */
		if (!(g->flags & RIB_GRP_RESOLVE))
			continue; /* only a connected subnet will do */
		if (b->type != RIB_TYPE_UNICAST)
			return n;
		bres = rib_route_res(b, &nb);
		for (size_t k = 0; k < nb; k++)
			n = rib_res_add(res, n, &bres[k]);
		return n;
	}
	return n;
}

/* Recomputes g's resolved next hops; returns whether they (or usability)
 * changed. */
static bool rib_grp_resolve(struct rib *r, struct rib_grp *g)
{
	struct rib_nh res[RIB_MAX_NH];
	const struct rib_nh *set;
	size_t n = 0;
	int err;

	for (size_t i = 0; i < g->n_cfg; i++) {
		const struct rib_nh *nh = &g->cfg[i];

		if (nh->track && r->nh_usable && !r->nh_usable(r->nh_usable_arg, nh->track))
			continue;
		if (nh->ifindex) {
			if (rib_link_up(r, nh->ifindex))
				n = rib_res_add(res, n, nh);
		} else if (nh->gw.family && (g->flags & RIB_GRP_GW)) {
			n = rib_resolve_gw(r, g, &nh->gw, res, n);
		}
	}
	/* Sorted, so equal sets are one interned set and the FIB order is stable. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && rib_nh_cmp(&res[k - 1], &res[k]) > 0; k--) {
			struct rib_nh tmp = res[k];

			res[k] = res[k - 1];
			res[k - 1] = tmp;
		}
	set = nhset_get(res, n, &err);
	if (err) {
		log_warnx("rib: out of memory resolving next hops");
		n = 0;
	}
	if (set == g->res && (n > 0) == g->usable) {
		nhset_put(set);
		return false;
	}
	nhset_put(g->res);
	g->res = set;
	g->n_res = (uint8_t)n;
	g->usable = n > 0;
	return true;
}

/* Copies g's answer into each member and re-selects their destinations. */
static void rib_grp_apply(struct rib *r, struct rib_grp *g)
{
	for (struct rib_route *rt = g->members; rt; rt = rt->g_next) {
		rt->usable = g->usable;
		rt->since = (uint32_t)r->now;
		rib_select(r, rt->dest, rt);
	}
}

static uint32_t rib_grp_hash(const struct rib_nh *cfg, uint8_t flags, const struct rib_dest *self)
{
	uintptr_t h = (uintptr_t)cfg * 0x9e3779b97f4a7c15ull;

	h ^= (uintptr_t)self * 0xc2b2ae3d27d4eb4full;
	h ^= flags;
	return (uint32_t)(h ^ (h >> 32));
}

static int rib_grp_grow(struct rib *r)
{
	size_t cap = r->grp_cap ? 2 * r->grp_cap : 64;
	struct rib_grp **t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < r->grp_cap; i++) {
		struct rib_grp *g, *next;

		for (g = r->grps[i]; g; g = next) {
			next = g->hnext;
			g->hnext = t[g->hash & (cap - 1)];
			t[g->hash & (cap - 1)] = g;
		}
	}
	free(r->grps);
	r->grps = t;
	r->grp_cap = cap;
	return 0;
}

static int rib_gw_register(struct rib *r, struct rib_grp *g, const struct plat_ip *gw)
{
	struct lpm *t = rib_gwtree(r, gw->family);
	struct rib_gwent *e;
	int err;

	if (!t)
		return -EINVAL;
	e = lpm_exact(t, gw->bytes, lpm_maxbits(t));
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		lpm_insert(t, gw->bytes, lpm_maxbits(t), e, &err);
		if (err) {
			free(e);
			return err;
		}
		r->gw_bytes += sizeof(*e);
	}
	for (size_t i = 0; i < e->n; i++)
		if (e->g[i] == g)
			return 0; /* the same gateway twice in one set */
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 2;
		struct rib_grp **p = realloc(e->g, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->gw_bytes += (cap - e->cap) * sizeof(*p);
		e->g = p;
		e->cap = cap;
	}
	e->g[e->n++] = g;
	return 0;
}

static void rib_gw_unregister(struct rib *r, struct rib_grp *g, const struct plat_ip *gw)
{
	struct lpm *t = rib_gwtree(r, gw->family);
	struct rib_gwent *e = t ? lpm_exact(t, gw->bytes, lpm_maxbits(t)) : NULL;

	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->g[i] == g) {
			e->g[i] = e->g[--e->n];
			break;
		}
	if (e->n)
		return;
	lpm_delete(t, gw->bytes, lpm_maxbits(t));
	r->gw_bytes -= sizeof(*e) + e->cap * sizeof(e->g[0]);
	free(e->g);
	free(e);
}

static void rib_grp_free(struct rib *r, struct rib_grp *g)
{
	struct rib_grp **pp;

	for (pp = &r->grps[g->hash & (r->grp_cap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	for (size_t i = 0; (g->flags & RIB_GRP_GW) && i < g->n_cfg; i++)
		if (g->cfg[i].gw.family && !g->cfg[i].ifindex)
			rib_gw_unregister(r, g, &g->cfg[i].gw);
	nhset_put(g->cfg);
	nhset_put(g->res);
	r->n_grps--;
	free(g);
}

/* Finds or makes the group; a new one is resolved at once. Takes over the
 * caller's reference on cfg. */
static struct rib_grp *rib_grp_get(struct rib *r, const struct rib_nh *cfg, size_t n_cfg,
                                   uint8_t flags, const struct rib_dest *self)
{
	uint32_t h = rib_grp_hash(cfg, flags, self);
	struct rib_grp *g;

	if (r->grp_cap)
		for (g = r->grps[h & (r->grp_cap - 1)]; g; g = g->hnext)
			if (g->cfg == cfg && g->flags == flags && g->self == self) {
				nhset_put(cfg);
				return g;
			}
	if (r->n_grps >= r->grp_cap / 2 && rib_grp_grow(r) < 0)
		goto nomem;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto nomem;
	g->cfg = cfg;
	g->n_cfg = (uint8_t)n_cfg;
	g->flags = flags;
	g->self = self;
	g->hash = h;
	g->hnext = r->grps[h & (r->grp_cap - 1)];
	r->grps[h & (r->grp_cap - 1)] = g;
	r->n_grps++;
	for (size_t i = 0; i < n_cfg; i++) {
		if (cfg[i].ifindex)
			g->has_if = true;
		else if ((flags & RIB_GRP_GW) && cfg[i].gw.family &&
		         rib_gw_register(r, g, &cfg[i].gw) < 0) {
			rib_grp_free(r, g);
			return NULL;
		}
	}
	rib_grp_resolve(r, g);
	return g;
nomem:
	nhset_put(cfg);
	return NULL;
}

static void rib_grp_join(struct rib_grp *g, struct rib_route *rt)
{
	rt->grp = g;
	rt->g_prev = NULL;
	rt->g_next = g->members;
	if (g->members)
		g->members->g_prev = rt;
	g->members = rt;
	g->n_members++;
	rt->usable = g->usable;
}

static void rib_grp_leave(struct rib *r, struct rib_route *rt)
{
	struct rib_grp *g = rt->grp;

	if (!g)
		return;
	if (rt->g_prev)
		rt->g_prev->g_next = rt->g_next;
	else
		g->members = rt->g_next;
	if (rt->g_next)
		rt->g_next->g_prev = rt->g_prev;
	rt->g_prev = rt->g_next = NULL;
	rt->grp = NULL;
	if (--g->n_members == 0 && !g->queued)
		rib_grp_free(r, g);
}

/* ------------------------------------------------------------ routes */

struct rib *rib_new(rib_change_fn fn, void *arg)
{
	struct rib *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->t4 = lpm_new(32);
	r->t6 = lpm_new(128);
	r->gw4 = lpm_new(32);
	r->gw6 = lpm_new(128);
	if (!r->t4 || !r->t6 || !r->gw4 || !r->gw6) {
		lpm_free(r->t4);
		lpm_free(r->t6);
		lpm_free(r->gw4);
		lpm_free(r->gw6);
		free(r);
		return NULL;
	}
	r->fn = fn;
	r->arg = arg;
	r->dest_pool.size = sizeof(struct rib_dest);
	r->route_pool.size = sizeof(struct rib_route);
	return r;
}

static void rib_route_free(struct rib *r, struct rib_route *rt)
{
	rib_grp_leave(r, rt);
	lpm_pool_put(&r->route_pool, rt);
	r->n_routes--;
}

static int rib_free_dest(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib *r = arg;
	struct rib_dest *d = value;
	struct rib_route *rt, *next;

	(void)addr;
	(void)plen;
	for (rt = d->routes; rt; rt = next) {
		next = rt->next;
		rib_route_free(r, rt);
	}
	nhset_put(d->fib_have.nh); /* the FIB's reference on what is in the kernel */
	return 0;                  /* the pool goes as a whole */
}

void rib_free(struct rib *r)
{
	struct rib_grp *g;

	if (!r)
		return;
	/* Queued groups without members outlive their last route until dequeued. */
	while ((g = r->queue)) {
		r->queue = g->qnext;
		g->queued = false;
		if (!g->n_members)
			rib_grp_free(r, g);
	}
	lpm_walk(r->t4, NULL, 0, rib_free_dest, r);
	lpm_walk(r->t6, NULL, 0, rib_free_dest, r);
	lpm_free(r->t4);
	lpm_free(r->t6);
	lpm_free(r->gw4);
	lpm_free(r->gw6);
	lpm_pool_drain(&r->dest_pool);
	lpm_pool_drain(&r->route_pool);
	free(r->grps);
	free(r->dirty);
	free(r->links);
	free(r->addrs);
	free(r);
}

void rib_set_time(struct rib *r, int64_t now)
{
	r->now = now;
}

static bool rib_prefix_ok(const struct plat_prefix *p)
{
	unsigned bits = rib_bits(p->ip.family);

	return bits && p->len <= bits;
}

static struct rib_dest *rib_dest_get(struct rib *r, const struct plat_prefix *p, bool create)
{
	struct lpm *t = rib_tree(r, p->ip.family);
	struct rib_dest *d = lpm_exact(t, p->ip.bytes, p->len);
	int err;

	if (d || !create)
		return d;
	d = lpm_pool_get(&r->dest_pool);
	if (!d)
		return NULL;
	d->pfx.ip.family = p->ip.family;
	d->pfx.len = p->len;
	for (unsigned i = 0; i < p->len / 8; i++)
		d->pfx.ip.bytes[i] = p->ip.bytes[i];
	if (p->len % 8)
		d->pfx.ip.bytes[p->len / 8] =
		        p->ip.bytes[p->len / 8] & (uint8_t)(0xff << (8 - p->len % 8));
	lpm_insert(t, d->pfx.ip.bytes, d->pfx.len, d, &err);
	if (err) {
		lpm_pool_put(&r->dest_pool, d);
		return NULL;
	}
	r->n_dests++;
	return d;
}

static bool rib_attr_same(const struct rib_route *rt, const struct rib_route_attr *a)
{
	size_t n;
	const struct rib_nh *nh = rib_route_nh(rt, &n);

	if (rt->type != a->type || rt->pref != a->pref || rt->metric != a->metric ||
	    rt->resolve != a->resolve)
		return false;
	if (rt->type != RIB_TYPE_UNICAST)
		return true; /* the next hops of discard and reject are not kept */
	if (n != a->n_nh)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!rib_nh_equal(&nh[i], &a->nh[i]) ||
		    (rt->proto == RIB_PROTO_STATIC && nh[i].track != a->nh[i].track))
			return false;
	return true;
}

const struct rib_nh *rib_route_nh(const struct rib_route *rt, size_t *n)
{
	*n = rt->grp ? rt->grp->n_cfg : 0;
	return rt->grp ? rt->grp->cfg : NULL;
}

const struct rib_nh *rib_route_res(const struct rib_route *rt, size_t *n)
{
	*n = rt->grp ? rt->grp->n_res : 0;
	return rt->grp ? rt->grp->res : NULL;
}

/* Puts rt into the group for its next hops (the set nh of n, whose reference
 * it takes over) and rules. */
static int rib_route_group(struct rib *r, struct rib_route *rt, const struct rib_nh *nh, size_t n)
{
	const struct rib_dest *self = NULL;
	struct rib_grp *g;
	uint8_t flags = 0;

	if (rt->type != RIB_TYPE_UNICAST || !n) {
		nhset_put(nh);
		rt->usable = rt->type != RIB_TYPE_UNICAST;
		return 0;
	}
	if (rt->proto == RIB_PROTO_STATIC || rt->proto == RIB_PROTO_API)
		flags |= RIB_GRP_GW;
	if (rt->resolve)
		flags |= RIB_GRP_RESOLVE;
	/* Resolution skips the route's own destination: a route covering its own
	 * gateway gets a group of its own. */
	for (size_t i = 0; (flags & RIB_GRP_GW) && i < n; i++)
		if (!nh[i].ifindex && rib_prefix_has(&rt->dest->pfx, &nh[i].gw))
			self = rt->dest;
	g = rib_grp_get(r, nh, n, flags, self);
	if (!g) {
		rt->usable = false;
		return -ENOMEM;
	}
	rib_grp_join(g, rt);
	return 0;
}

int rib_route_set(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key,
                  const struct rib_route_attr *a)
{
	struct rib_nh nh[RIB_MAX_NH];
	const struct rib_nh *set;
	struct rib_dest *d;
	struct rib_route *rt;
	int err;

	if (!rib_prefix_ok(p) || (unsigned)proto >= RIB_PROTO_COUNT || a->n_nh > RIB_MAX_NH ||
	    (a->n_nh && !a->nh) || (unsigned)a->type > RIB_TYPE_REJECT)
		return -EINVAL;
	for (size_t i = 0; i < a->n_nh; i++)
		if ((a->nh[i].gw.family && a->nh[i].gw.family != AF_INET &&
		     a->nh[i].gw.family != AF_INET6) ||
		    (!a->nh[i].gw.family && !a->nh[i].ifindex))
			return -EINVAL;
	d = rib_dest_get(r, p, true);
	if (!d)
		return -ENOMEM;
	for (rt = d->routes; rt; rt = rt->next)
		if (rt->proto == proto && rt->key == key)
			break;
	if (rt && rib_attr_same(rt, a)) {
		rt->gen = r->gen;
		return 0; /* a re-add of what is there: nothing moves */
	}
	for (size_t i = 0; i < a->n_nh; i++) {
		nh[i].gw = a->nh[i].gw;
		nh[i].ifindex = a->nh[i].ifindex;
		/* only static next hops are tracked */
		nh[i].track = proto == RIB_PROTO_STATIC ? a->nh[i].track : 0;
	}
	set = nhset_get(nh, a->n_nh, &err);
	if (err)
		goto nomem;
	if (!rt) {
		rt = lpm_pool_get(&r->route_pool);
		if (!rt) {
			nhset_put(set);
			goto nomem;
		}
		r->n_routes++;
		rt->dest = d;
		rt->proto = (uint8_t)proto;
		rt->key = key;
		/* Behind the head: rib_select tells a change of the active route
		 * by the head. */
		if (d->routes) {
			rt->next = d->routes->next;
			d->routes->next = rt;
		} else {
			rt->next = NULL;
			d->routes = rt;
		}
	} else {
		rib_grp_leave(r, rt);
	}
	rt->type = (uint8_t)a->type;
	rt->pref = a->pref;
	rt->metric = a->metric;
	rt->resolve = a->resolve;
	rt->since = (uint32_t)r->now;
	rt->gen = r->gen;
	if (rib_route_group(r, rt, set, a->n_nh) < 0)
		log_warnx("rib: out of memory grouping next hops");
	/* Force the FIB to hear about a changed route even if it resolves the same. */
	rib_select(r, d, rt);
	/* Even an inactive route matters to the FIB (another program's route). */
	rib_mark(r, d);
	return 0;
nomem:
	if (!d->routes)
		rib_mark(r, d);
	return -ENOMEM;
}

int rib_route_unset(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key)
{
	struct rib_dest *d;
	struct rib_route **pp, *rt;

	if (!rib_prefix_ok(p))
		return -EINVAL;
	d = rib_dest_get(r, p, false);
	if (!d)
		return -ENOENT;
	for (pp = &d->routes; (rt = *pp); pp = &rt->next)
		if (rt->proto == proto && rt->key == key)
			break;
	if (!rt)
		return -ENOENT;
	if (rib_dest_best(d) == rt)
		d->active = false; /* rib_select sees a change */
	*pp = rt->next;
	rib_route_free(r, rt);
	rib_select(r, d, NULL);
	rib_mark(r, d);
	/* The old active route may have been a resolver. */
	rib_dest_moved(r, d);
	return 0;
}

void rib_set_nh_usable(struct rib *r, rib_nh_usable_fn fn, void *arg)
{
	r->nh_usable = fn;
	r->nh_usable_arg = arg;
}

int rib_route_reeval(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key)
{
	struct rib_dest *d = rib_prefix_ok(p) ? rib_dest_get(r, p, false) : NULL;
	struct rib_route *rt;

	for (rt = d ? d->routes : NULL; rt; rt = rt->next)
		if (rt->proto == proto && rt->key == key)
			break;
	if (!rt)
		return -ENOENT;
	/* The whole group follows at once (its other members' calls are no-ops);
	 * routes resolving through them follow in rib_run. */
	if (rt->grp && rib_grp_resolve(r, rt->grp))
		rib_grp_apply(r, rt->grp);
	return 0;
}

void rib_track_changed(struct rib *r, uint16_t track)
{
	for (size_t i = 0; track && i < r->grp_cap; i++)
		for (struct rib_grp *g = r->grps[i]; g; g = g->hnext)
			for (size_t k = 0; k < g->n_cfg; k++)
				if (g->cfg[k].track == track) {
					rib_grp_queue(r, g);
					break;
				}
}

/* ------------------------------------------------------------ connected */

static void rib_host_prefix(const struct plat_prefix *addr, struct plat_prefix *host)
{
	*host = *addr;
	host->len = (uint8_t)rib_bits(addr->ip.family);
}

/* Sets or clears the Direct and Local routes of one interface's addresses. */
static void rib_connected_sync(struct rib *r, int ifindex)
{
	bool up = rib_link_up(r, ifindex);

	for (size_t i = 0; i < r->n_addrs; i++) {
		const struct rib_addr *ad = &r->addrs[i];
		struct rib_nh nh = {.ifindex = ifindex};
		struct rib_route_attr a = {.n_nh = 1, .nh = &nh};
		struct plat_prefix host;

		if (ad->ifindex != ifindex)
			continue;
		rib_host_prefix(&ad->p, &host);
		if (up) {
			a.pref = rib_proto_pref(RIB_PROTO_DIRECT);
			rib_route_set(r, &ad->p, RIB_PROTO_DIRECT, (uint32_t)ifindex, &a);
			a.pref = rib_proto_pref(RIB_PROTO_LOCAL);
			rib_route_set(r, &host, RIB_PROTO_LOCAL, (uint32_t)ifindex, &a);
		} else {
			rib_route_unset(r, &ad->p, RIB_PROTO_DIRECT, (uint32_t)ifindex);
			rib_route_unset(r, &host, RIB_PROTO_LOCAL, (uint32_t)ifindex);
		}
	}
}

int rib_link_set(struct rib *r, int ifindex, bool up)
{
	size_t i;

	for (i = 0; i < r->n_links; i++)
		if (r->links[i].ifindex == ifindex)
			break;
	if (i == r->n_links) {
		if (r->n_links == r->cap_links) {
			size_t cap = r->cap_links ? 2 * r->cap_links : 16;
			struct rib_link *l = realloc(r->links, cap * sizeof(*l));

			if (!l)
				return -ENOMEM;
			r->links = l;
			r->cap_links = cap;
		}
		r->links[r->n_links++] = (struct rib_link){.ifindex = ifindex, .up = !up};
	}
	r->links[i].gen = r->gen;
	if (r->links[i].up == up)
		return 0;
	r->links[i].up = up;
	rib_connected_sync(r, ifindex);
	/* Interface next hops (and gateways through the link's subnets, which
	 * follow from the direct routes just changed). */
	for (size_t k = 0; k < r->grp_cap; k++)
		for (struct rib_grp *g = r->grps[k]; g; g = g->hnext)
			if (g->has_if)
				rib_grp_queue(r, g);
	return 0;
}

void rib_link_del(struct rib *r, int ifindex)
{
	rib_link_set(r, ifindex, false);
	for (size_t i = 0; i < r->n_links; i++)
		if (r->links[i].ifindex == ifindex) {
			r->links[i] = r->links[--r->n_links];
			break;
		}
}

static bool rib_addr_same(const struct rib_addr *a, int ifindex, const struct plat_prefix *p)
{
	return a->ifindex == ifindex && a->p.len == p->len && plat_ip_equal(&a->p.ip, &p->ip);
}

int rib_addr_add(struct rib *r, int ifindex, const struct plat_prefix *addr)
{
	if (!rib_prefix_ok(addr) || ifindex <= 0)
		return -EINVAL;
	for (size_t i = 0; i < r->n_addrs; i++)
		if (rib_addr_same(&r->addrs[i], ifindex, addr)) {
			r->addrs[i].gen = r->gen;
			return 0;
		}
	if (r->n_addrs == r->cap_addrs) {
		size_t cap = r->cap_addrs ? 2 * r->cap_addrs : 16;
		struct rib_addr *a = realloc(r->addrs, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		r->addrs = a;
		r->cap_addrs = cap;
	}
	r->addrs[r->n_addrs++] = (struct rib_addr){.ifindex = ifindex, .p = *addr, .gen = r->gen};
	rib_connected_sync(r, ifindex);
	return 0;
}

void rib_addr_del(struct rib *r, int ifindex, const struct plat_prefix *addr)
{
	struct plat_prefix host;

	for (size_t i = 0; i < r->n_addrs; i++) {
		if (!rib_addr_same(&r->addrs[i], ifindex, addr))
			continue;
		r->addrs[i] = r->addrs[--r->n_addrs];
		rib_host_prefix(addr, &host);
		rib_route_unset(r, addr, RIB_PROTO_DIRECT, (uint32_t)ifindex);
		rib_route_unset(r, &host, RIB_PROTO_LOCAL, (uint32_t)ifindex);
		/* Another address of the interface may cover the same subnet. */
		rib_connected_sync(r, ifindex);
		return;
	}
}

/* ------------------------------------------------------------ resync */

void rib_resync_begin(struct rib *r)
{
	r->gen++;
}

struct rib_stale {
	struct rib_dest **dests;
	size_t n, cap;
	uint32_t gen;
};

static int rib_collect_stale(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib_stale *s = arg;
	struct rib_dest *d = value;

	(void)addr;
	(void)plen;
	for (const struct rib_route *rt = d->routes; rt; rt = rt->next) {
		if (rt->proto != RIB_PROTO_KERNEL || rt->gen == s->gen)
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			struct rib_dest **p = realloc(s->dests, cap * sizeof(*p));

			if (!p)
				return -1;
			s->dests = p;
			s->cap = cap;
		}
		s->dests[s->n++] = d;
		break;
	}
	return 0;
}

void rib_resync_end(struct rib *r)
{
	struct rib_stale s = {.gen = r->gen};
	struct lpm *trees[2] = {r->t4, r->t6};

	/* Kernel routes: collected first, the walk must not see the trie change. */
	for (int t = 0; t < 2; t++) {
		s.n = 0;
		if (lpm_walk(trees[t], NULL, 0, rib_collect_stale, &s) < 0)
			log_warnx("rib: out of memory sweeping kernel routes");
		for (size_t i = 0; i < s.n; i++) {
			struct rib_dest *d = s.dests[i];
			struct rib_route *rt;

			/* Unsetting re-sorts the list: look again from the head each time. */
			do {
				for (rt = d->routes; rt; rt = rt->next)
					if (rt->proto == RIB_PROTO_KERNEL && rt->gen != s.gen)
						break;
				if (rt)
					rib_route_unset(r, &d->pfx, RIB_PROTO_KERNEL, rt->key);
			} while (rt);
		}
	}
	free(s.dests);
	for (size_t i = 0; i < r->n_addrs;) {
		if (r->addrs[i].gen != r->gen) {
			struct rib_addr gone = r->addrs[i];

			rib_addr_del(r, gone.ifindex, &gone.p); /* moves the last one here */
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < r->n_links;) {
		if (r->links[i].gen != r->gen) {
			rib_link_del(r, r->links[i].ifindex);
			continue;
		}
		i++;
	}
}

/* ------------------------------------------------------------ run */

void rib_run(struct rib *r)
{
	struct rib_dest *d;
	struct rib_grp *g;
	int round;

	for (round = 0; r->queue && round < RIB_RESOLVE_ROUNDS; round++) {
		struct rib_grp *batch = r->queue;

		/* One round: what this round's changes queue runs in the next. */
		r->queue = NULL;
		while ((g = batch)) {
			batch = g->qnext;
			g->queued = false;
			if (!g->n_members)
				rib_grp_free(r, g);
			else if (rib_grp_resolve(r, g))
				rib_grp_apply(r, g);
		}
	}
	if (r->queue) {
		log_warnx("rib: next-hop resolution did not settle in %d rounds (a loop?)",
		          RIB_RESOLVE_ROUNDS);
		while ((g = r->queue)) {
			r->queue = g->qnext;
			g->queued = false;
			if (!g->n_members)
				rib_grp_free(r, g);
		}
	}
	/* The callback may mark more: n_dirty is read each time. */
	for (size_t i = 0; i < r->n_dirty; i++) {
		d = r->dirty[i];
		d->dirty = false;
		if (r->fn)
			r->fn(r->arg, d);
		rib_dest_release(r, d);
	}
	r->n_dirty = 0;
	if (r->cap_dirty > RIB_DIRTY_KEEP) {
		/* A big burst leaves no big array behind. */
		free(r->dirty);
		r->dirty = NULL;
		r->cap_dirty = 0;
	}
}

void rib_dest_release(struct rib *r, struct rib_dest *d)
{
	if (d->routes || d->dirty || (d->fib_flags & FIB_F_HOLD))
		return;
	lpm_delete(rib_tree(r, d->pfx.ip.family), d->pfx.ip.bytes, d->pfx.len);
	nhset_put(d->fib_have.nh);
	lpm_pool_put(&r->dest_pool, d);
	r->n_dests--;
}

struct rib_dest *rib_dest_find(struct rib *r, const struct plat_prefix *p, bool create)
{
	return rib_prefix_ok(p) ? rib_dest_get(r, p, create) : NULL;
}

struct rib_dest_walk_ctx {
	rib_dest_fn fn;
	void *arg;
};

static int rib_dest_walk_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib_dest_walk_ctx *w = arg;

	(void)addr;
	(void)plen;
	return w->fn(w->arg, value);
}

int rib_dest_walk(const struct rib *r, int family, rib_dest_fn fn, void *arg)
{
	struct lpm *t = rib_tree(r, family);
	struct rib_dest_walk_ctx w = {.fn = fn, .arg = arg};

	return t ? lpm_walk(t, NULL, 0, rib_dest_walk_one, &w) : -EINVAL;
}

/* ------------------------------------------------------------ lookups */

const struct rib_dest *rib_exact(const struct rib *r, const struct plat_prefix *p)
{
	const struct rib_dest *d;

	if (!rib_prefix_ok(p))
		return NULL;
	d = lpm_exact(rib_tree(r, p->ip.family), p->ip.bytes, p->len);
	return d && d->routes ? d : NULL;
}

const struct rib_dest *rib_lookup(const struct rib *r, const struct plat_ip *ip)
{
	struct lpm *t = rib_tree(r, ip->family);
	void *m[129];
	size_t nm;

	if (!t)
		return NULL;
	nm = lpm_matches(t, ip->bytes, lpm_maxbits(t), m, NULL, 129);
	for (size_t i = 0; i < nm && i < 129; i++) {
		const struct rib_dest *d = m[i];

		if (d->active)
			return d;
	}
	return NULL;
}

struct rib_walk_ctx {
	rib_walk_fn fn;
	void *arg;
};

static int rib_walk_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib_walk_ctx *w = arg;
	const struct rib_dest *d = value;

	(void)addr;
	(void)plen;
	return d->routes ? w->fn(w->arg, d) : 0;
}

int rib_walk(const struct rib *r, int family, const struct plat_prefix *p, rib_walk_fn fn,
             void *arg)
{
	struct lpm *t = rib_tree(r, family);
	struct rib_walk_ctx w = {.fn = fn, .arg = arg};

	if (!t || (p && p->ip.family != family))
		return -EINVAL;
	return lpm_walk(t, p ? p->ip.bytes : NULL, p ? p->len : 0, rib_walk_one, &w);
}

static int rib_stats_one(void *arg, const struct rib_dest *d)
{
	struct rib_stats *s = arg;

	s->dests++;
	for (const struct rib_route *rt = d->routes; rt; rt = rt->next) {
		s->routes++;
		s->routes_by_proto[rt->proto]++;
		if (rt == rib_dest_best(d)) {
			s->active++;
			s->active_by_proto[rt->proto]++;
		}
		if (!rt->usable)
			s->hidden++;
	}
	return 0;
}

void rib_stats(const struct rib *r, int family, struct rib_stats *out)
{
	memset(out, 0, sizeof(*out));
	rib_walk(r, family, NULL, rib_stats_one, out);
}

void rib_memory(const struct rib *r, struct rib_mem *out)
{
	out->dests = r->n_dests;
	out->routes = r->n_routes;
	out->groups = r->n_grps;
	out->bytes = sizeof(*r) + lpm_memory(r->t4) + lpm_memory(r->t6) + lpm_memory(r->gw4) +
	             lpm_memory(r->gw6) + r->gw_bytes + r->n_dests * sizeof(struct rib_dest) +
	             r->n_routes * sizeof(struct rib_route) + r->n_grps * sizeof(struct rib_grp) +
	             r->grp_cap * sizeof(r->grps[0]) + r->cap_links * sizeof(r->links[0]) +
	             r->cap_dirty * sizeof(r->dirty[0]) + r->cap_addrs * sizeof(r->addrs[0]);
}

const void *rib_lookup4(const struct rib *r, const uint8_t addr[4])
{
	return lpm_lookup(r->t4, addr, NULL);
}
