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
 * addresses (a Local route) does not resolve. Because a route's resolution
 * depends on others, rib_run() repeats it until nothing changes (bounded:
 * a resolution loop settles unresolved or stops after RIB_RESOLVE_ROUNDS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/lpm.h"
#include "daemons/ribd/rib.h"
#include "lib/log.h"

#define RIB_RESOLVE_ROUNDS 16

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

struct rib {
	struct lpm *t4, *t6;
	rib_change_fn fn;
	void *arg;
	int64_t now;
	struct rib_route *track; /* static and kernel routes: re-resolved in rib_run */
	struct rib_dest *dirty;
	bool need_resolve;
	uint32_t gen; /* current resync generation */
	struct rib_link *links;
	size_t n_links, cap_links;
	struct rib_addr *addrs;
	size_t n_addrs, cap_addrs;
	rib_nh_usable_fn nh_usable; /* tracked next hops (BFD) */
	void *nh_usable_arg;
};

static const char *const rib_proto_names[RIB_PROTO_COUNT] = {
        [RIB_PROTO_DIRECT] = "Direct",
        [RIB_PROTO_LOCAL] = "Local",
        [RIB_PROTO_STATIC] = "Static",
        [RIB_PROTO_KERNEL] = "Kernel",
};

/* Junos route preferences (notes §11.2). */
static const uint32_t rib_proto_prefs[RIB_PROTO_COUNT] = {
        [RIB_PROTO_DIRECT] = 0,
        [RIB_PROTO_LOCAL] = 0,
        [RIB_PROTO_STATIC] = 5,
        [RIB_PROTO_KERNEL] = 40,
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

static void rib_mark(struct rib *r, struct rib_dest *d)
{
	if (d->dirty)
		return;
	d->dirty = true;
	d->dirty_next = r->dirty;
	r->dirty = d;
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

/*
 * Re-sorts d's routes and picks the active one. `touched` is a route whose
 * next hops may have changed: if it is or was active the FIB must hear.
 */
static void rib_select(struct rib *r, struct rib_dest *d, const struct rib_route *touched)
{
	struct rib_route *sorted = NULL, *rt, *next, **pp, *best;

	for (rt = d->routes; rt; rt = next) {
		next = rt->next;
		for (pp = &sorted; *pp && rib_route_cmp(*pp, rt) <= 0; pp = &(*pp)->next)
			;
		rt->next = *pp;
		*pp = rt;
	}
	d->routes = sorted;
	best = sorted && sorted->usable ? sorted : NULL;
	if (best != d->best || (touched && touched == best)) {
		if (best && best != d->best)
			best->since = r->now;
		d->best = best;
		rib_mark(r, d);
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
	res[n] = *nh;
	return n + 1;
}

/* Resolves one gateway through the RIB; appends to res. */
static size_t rib_resolve_gw(const struct rib *r, const struct rib_route *rt,
                             const struct plat_ip *gw, struct rib_nh *res, size_t n)
{
	struct lpm *t = rib_tree(r, gw->family);
	void *m[129];
	unsigned plens[129];
	size_t nm;

	if (!t)
		return n;
	nm = lpm_matches(t, gw->bytes, lpm_maxbits(t), m, plens, 129);
	for (size_t i = 0; i < nm && i < 129; i++) {
		const struct rib_dest *d = m[i];
		const struct rib_route *b = d->best;

		if (d == rt->dest || plens[i] == 0 || !b)
			continue;
		if (b->proto == RIB_PROTO_DIRECT) {
			struct rib_nh nh = {.gw = *gw, .ifindex = b->nh[0].ifindex};

			return rib_res_add(res, n, &nh);
		}
		if (b->proto == RIB_PROTO_LOCAL)
			return n; /* our own address is no gateway */
		if (!rt->resolve)
			continue; /* only a connected subnet will do */
		if (b->type != RIB_TYPE_UNICAST)
			return n;
		for (size_t k = 0; k < b->n_res; k++)
			n = rib_res_add(res, n, &b->res[k]);
		return n;
	}
	return n;
}

/* Recomputes rt->res; returns whether it (or usability) changed. */
static bool rib_resolve(struct rib *r, struct rib_route *rt)
{
	struct rib_nh res[RIB_MAX_NH];
	size_t n = 0;
	bool usable, changed;

	if (rt->type == RIB_TYPE_UNICAST) {
		for (size_t i = 0; i < rt->n_nh; i++) {
			const struct rib_nh *nh = &rt->nh[i];

			if (nh->track && rt->proto == RIB_PROTO_STATIC && r->nh_usable &&
			    !r->nh_usable(r->nh_usable_arg, nh->track))
				continue;
			if (nh->ifindex) {
				if (rib_link_up(r, nh->ifindex))
					n = rib_res_add(res, n, nh);
			} else if (nh->gw.family && rt->proto == RIB_PROTO_STATIC) {
				n = rib_resolve_gw(r, rt, &nh->gw, res, n);
			}
		}
	}
	/* Sorted, so equal sets compare equal and the FIB order is stable. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && rib_nh_cmp(&res[k - 1], &res[k]) > 0; k--) {
			struct rib_nh tmp = res[k];

			res[k] = res[k - 1];
			res[k - 1] = tmp;
		}
	usable = rt->type != RIB_TYPE_UNICAST || n > 0;
	changed = usable != rt->usable || n != rt->n_res;
	for (size_t i = 0; !changed && i < n; i++)
		changed = !rib_nh_equal(&res[i], &rt->res[i]);
	if (!changed)
		return false;
	if (n) {
		struct rib_nh *p = realloc(rt->res, n * sizeof(*p));

		if (!p) {
			log_warnx("rib: out of memory resolving next hops");
			n = 0;
			usable = rt->type != RIB_TYPE_UNICAST;
		} else {
			rt->res = p;
			memcpy(rt->res, res, n * sizeof(*p));
		}
	}
	rt->n_res = (uint8_t)n;
	rt->usable = usable;
	rt->since = r->now;
	return true;
}

/* ------------------------------------------------------------ routes */

struct rib *rib_new(rib_change_fn fn, void *arg)
{
	struct rib *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->t4 = lpm_new(32);
	r->t6 = lpm_new(128);
	if (!r->t4 || !r->t6) {
		lpm_free(r->t4);
		lpm_free(r->t6);
		free(r);
		return NULL;
	}
	r->fn = fn;
	r->arg = arg;
	return r;
}

static void rib_route_free(struct rib_route *rt)
{
	free(rt->nh);
	free(rt->res);
	free(rt);
}

static int rib_free_dest(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct rib_dest *d = value;
	struct rib_route *rt, *next;

	(void)arg;
	(void)addr;
	(void)plen;
	for (rt = d->routes; rt; rt = next) {
		next = rt->next;
		rib_route_free(rt);
	}
	free(d);
	return 0;
}

void rib_free(struct rib *r)
{
	if (!r)
		return;
	lpm_walk(r->t4, NULL, 0, rib_free_dest, NULL);
	lpm_walk(r->t6, NULL, 0, rib_free_dest, NULL);
	lpm_free(r->t4);
	lpm_free(r->t6);
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
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->pfx.ip.family = p->ip.family;
	d->pfx.len = p->len;
	for (unsigned i = 0; i < p->len; i++)
		if (p->ip.bytes[i / 8] & (0x80 >> (i % 8)))
			d->pfx.ip.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	lpm_insert(t, d->pfx.ip.bytes, d->pfx.len, d, &err);
	if (err) {
		free(d);
		return NULL;
	}
	return d;
}

static void rib_track(struct rib *r, struct rib_route *rt)
{
	rt->track_prev = NULL;
	rt->track_next = r->track;
	if (r->track)
		r->track->track_prev = rt;
	r->track = rt;
}

static void rib_untrack(struct rib *r, struct rib_route *rt)
{
	if (rt->track_prev)
		rt->track_prev->track_next = rt->track_next;
	else if (r->track == rt)
		r->track = rt->track_next;
	if (rt->track_next)
		rt->track_next->track_prev = rt->track_prev;
	rt->track_prev = rt->track_next = NULL;
}

static bool rib_attr_same(const struct rib_route *rt, const struct rib_route_attr *a)
{
	if (rt->type != a->type || rt->pref != a->pref || rt->metric != a->metric ||
	    rt->resolve != a->resolve || rt->n_nh != a->n_nh)
		return false;
	for (size_t i = 0; i < a->n_nh; i++)
		if (!rib_nh_equal(&rt->nh[i], &a->nh[i]) ||
		    (rt->proto == RIB_PROTO_STATIC && rt->nh[i].track != a->nh[i].track))
			return false;
	return true;
}

int rib_route_set(struct rib *r, const struct plat_prefix *p, enum rib_proto proto, uint32_t key,
                  const struct rib_route_attr *a)
{
	struct rib_dest *d;
	struct rib_route *rt;
	struct rib_nh *nh = NULL;

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
	if (a->n_nh) {
		nh = malloc(a->n_nh * sizeof(*nh));
		if (!nh)
			goto nomem;
		memcpy(nh, a->nh, a->n_nh * sizeof(*nh));
		for (size_t i = 0; proto != RIB_PROTO_STATIC && i < a->n_nh; i++)
			nh[i].track = 0; /* only static next hops are tracked */
	}
	if (!rt) {
		rt = calloc(1, sizeof(*rt));
		if (!rt)
			goto nomem;
		rt->dest = d;
		rt->proto = proto;
		rt->key = key;
		rt->next = d->routes;
		d->routes = rt;
		if (proto == RIB_PROTO_STATIC || proto == RIB_PROTO_KERNEL)
			rib_track(r, rt);
	}
	free(rt->nh);
	rt->nh = nh;
	rt->n_nh = (uint8_t)a->n_nh;
	rt->type = a->type;
	rt->pref = a->pref;
	rt->metric = a->metric;
	rt->resolve = a->resolve;
	rt->since = r->now;
	rt->gen = r->gen;
	/* Force the FIB to hear about a changed route even if it resolves the same. */
	rt->usable = false;
	rt->n_res = 0;
	rib_resolve(r, rt);
	rib_select(r, d, rt);
	/* Even an inactive route matters to the FIB (another program's route). */
	rib_mark(r, d);
	r->need_resolve = true;
	return 0;
nomem:
	free(nh);
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
	*pp = rt->next;
	rib_untrack(r, rt);
	if (d->best == rt)
		d->best = NULL; /* rib_select sees a change */
	rib_route_free(rt);
	rib_select(r, d, NULL);
	rib_mark(r, d);
	r->need_resolve = true;
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
	if (rib_resolve(r, rt)) {
		rib_select(r, d, rt);
		r->need_resolve = true; /* routes resolving through this one follow */
	}
	return 0;
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
	r->need_resolve = true;
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
	int round;

	for (round = 0; r->need_resolve && round < RIB_RESOLVE_ROUNDS; round++) {
		bool changed = false;

		for (struct rib_route *rt = r->track; rt; rt = rt->track_next)
			if (rib_resolve(r, rt)) {
				rib_select(r, rt->dest, rt);
				changed = true;
			}
		if (!changed)
			r->need_resolve = false;
	}
	if (r->need_resolve) {
		log_warnx("rib: next-hop resolution did not settle in %d rounds (a loop?)",
		          RIB_RESOLVE_ROUNDS);
		r->need_resolve = false;
	}
	while ((d = r->dirty)) {
		r->dirty = d->dirty_next;
		d->dirty = false;
		if (r->fn)
			r->fn(r->arg, d);
		if (!d->routes) {
			lpm_delete(rib_tree(r, d->pfx.ip.family), d->pfx.ip.bytes, d->pfx.len);
			free(d);
		}
	}
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

		if (d->best)
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
		if (rt == d->best) {
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
