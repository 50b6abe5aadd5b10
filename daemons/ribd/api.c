/*
 * The bulk route API (see api.h and lib/proto/ribd.proto).
 *
 * A client is a name; its routes are RIB routes of protocol API whose key
 * is the client's number, so several clients may hold the same prefix and
 * the usual preference rules pick one. Routes outlive the connection that
 * added them (a one-shot loader is a normal client) and go when the client
 * deletes or flushes them. They are not kept across a ribd restart: the
 * kernel copies stay until the start-up sweep and a client that re-adds
 * them before it gets them adopted without a kernel change.
 *
 * A request is applied to the RIB, resolved (only the next-hop groups it
 * touched) and flushed to the kernel before the reply, so END means the
 * kernel has the routes: a client measuring its own load measures the
 * whole path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/api.h"
#include "daemons/ribd/nhobj.h"
#include "daemons/ribd/ribd.h"
#include "lib/log.h"
#include "lib/proto/ribd.pb-c.h"

#define API_NAME_MAX    32
#define API_MAX_LOOKUPS 50000000u
#define API_MAX_SETS    4096

struct api_client {
	char name[API_NAME_MAX + 1];
	uint32_t id; /* the RIB key of its routes */
	uint32_t routes;
};

/* ribd has one API; its clients live as long as the daemon. */
static struct {
	struct api_client *c;
	size_t n, cap;
	uint32_t next_id;
} api;

struct api_set {
	enum rib_type type;
	bool resolve;
	size_t n;
	struct rib_nh nh[RIB_MAX_NH];
};

static bool api_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > API_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static struct api_client *api_client_find(const char *name, bool create)
{
	for (size_t i = 0; i < api.n; i++)
		if (strcmp(api.c[i].name, name) == 0)
			return &api.c[i];
	if (!create)
		return NULL;
	if (api.n == api.cap) {
		size_t cap = api.cap ? 2 * api.cap : 8;
		struct api_client *c = realloc(api.c, cap * sizeof(*c));

		if (!c)
			return NULL;
		api.c = c;
		api.cap = cap;
	}
	memset(&api.c[api.n], 0, sizeof(api.c[0]));
	snprintf(api.c[api.n].name, sizeof(api.c[0].name), "%s", name);
	api.c[api.n].id = ++api.next_id;
	return &api.c[api.n++];
}

static void api_client_drop(struct api_client *c)
{
	size_t i = (size_t)(c - api.c);

	api.c[i] = api.c[--api.n];
}

static int api_set_parse(struct ribd *r, const Keel__Ribd__ApiNextHopSet *m, struct api_set *out,
                         char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->resolve = m->resolve;
	if (!m->type || !*m->type || strcmp(m->type, "unicast") == 0)
		out->type = RIB_TYPE_UNICAST;
	else if (strcmp(m->type, "discard") == 0)
		out->type = RIB_TYPE_DISCARD;
	else if (strcmp(m->type, "reject") == 0)
		out->type = RIB_TYPE_REJECT;
	else {
		snprintf(err, errlen, "unknown type \"%.32s\"", m->type);
		return -1;
	}
	if (m->n_next_hops > RIB_MAX_NH) {
		snprintf(err, errlen, "more than %d next hops", RIB_MAX_NH);
		return -1;
	}
	if (out->type != RIB_TYPE_UNICAST)
		return 0;
	if (m->n_next_hops == 0) {
		snprintf(err, errlen, "a unicast next-hop set needs next hops");
		return -1;
	}
	for (size_t i = 0; i < m->n_next_hops; i++) {
		const Keel__Ribd__ApiNextHop *h = m->next_hops[i];
		struct rib_nh *nh = &out->nh[out->n];
		struct plat_link l;

		memset(nh, 0, sizeof(*nh));
		if (h->gateway && *h->gateway && plat_ip_parse(h->gateway, &nh->gw) < 0) {
			snprintf(err, errlen, "bad gateway \"%.64s\"", h->gateway);
			return -1;
		}
		if (h->interface && *h->interface) {
			if (plat_link_get_by_name(r->plat, h->interface, &l) < 0) {
				snprintf(err, errlen, "unknown interface \"%.32s\"", h->interface);
				return -1;
			}
			nh->ifindex = l.ifindex;
		}
		if (!nh->gw.family && !nh->ifindex) {
			snprintf(err, errlen, "a next hop needs a gateway or an interface");
			return -1;
		}
		out->n++;
	}
	return 0;
}

struct api_result {
	uint32_t done, failed;
	char first[160];
};

static void api_fail(struct api_result *res, const struct plat_prefix *p, const char *why)
{
	char buf[64];

	if (!res->failed++)
		snprintf(res->first, sizeof(res->first), "%s: %s",
		         plat_prefix_str(p, buf, sizeof(buf)), why);
}

/* One route of the batch: set (add) or unset (delete). */
static void api_one(struct ribd *r, struct api_client *c, const struct plat_prefix *p,
                    const struct api_set *s, uint32_t pref, uint32_t metric, bool add,
                    struct api_result *res)
{
	struct rib_mem before, after;
	int rc;

	rib_memory(r->rib, &before);
	if (add) {
		struct rib_route_attr a = {.type = s->type,
		                           .pref = pref,
		                           .metric = metric,
		                           .resolve = s->resolve,
		                           .n_nh = s->n,
		                           .nh = s->nh};

		rc = rib_route_set(r->rib, p, RIB_PROTO_API, c->id, &a);
	} else {
		rc = rib_route_unset(r->rib, p, RIB_PROTO_API, c->id);
	}
	if (rc < 0) {
		api_fail(res, p, rc == -ENOENT ? "no such route" : strerror(-rc));
		return;
	}
	rib_memory(r->rib, &after);
	if (after.routes > before.routes)
		c->routes++;
	else if (after.routes < before.routes)
		c->routes--;
	res->done++;
}

static void api_reply(struct ctl_req *req, const struct api_result *res, const struct api_client *c,
                      int fib_failed)
{
	Keel__Ribd__RouteBatchResult m = KEEL__RIBD__ROUTE_BATCH_RESULT__INIT;

	m.done = res->done;
	m.failed = res->failed;
	m.first_error = (char *)res->first;
	m.client_routes = c ? c->routes : 0;
	m.fib_failed = fib_failed > 0 ? (uint32_t)fib_failed : 0;
	ctl_reply(req, &m.base);
	ctl_end(req);
}

/* Applies the changes now: resolution of what they touched, one FIB batch. */
static int api_commit(struct ribd *r)
{
	ribd_clock(r);
	rib_run(r->rib);
	return fib_flush(r->fib);
}

static void api_batch(struct ctl_req *req, void *arg, bool add)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	Keel__Ribd__RouteBatch *b;
	struct api_set *sets = NULL;
	struct api_result res = {0};
	struct api_client *c;
	uint32_t pref, metric;
	char err[160];
	int fib_failed;

	b = keel__ribd__route_batch__unpack(NULL, req->payload_len, req->payload);
	if (!b) {
		ctl_error(req, CTL_ERR_INVALID, "route batch: undecodable");
		return;
	}
	if (!api_name_ok(b->client)) {
		ctl_error(req, CTL_ERR_INVALID, "client: 1-%d characters of [A-Za-z0-9._-]",
		          API_NAME_MAX);
		goto out;
	}
	if (b->v4_length.len != b->n_v4_prefix ||
	    (b->n_v4_nh_set && b->n_v4_nh_set != b->n_v4_prefix) ||
	    b->v6_prefix.len != 16 * b->v6_length.len ||
	    (b->n_v6_nh_set && b->n_v6_nh_set != b->v6_length.len)) {
		ctl_error(req, CTL_ERR_INVALID, "route arrays of different lengths");
		goto out;
	}
	if (add && (b->n_nh_sets == 0 || b->n_nh_sets > API_MAX_SETS)) {
		ctl_error(req, CTL_ERR_INVALID, "route.add needs 1-%d next-hop sets", API_MAX_SETS);
		goto out;
	}
	c = api_client_find(b->client, add);
	if (!c) {
		if (add)
			ctl_error(req, CTL_ERR_FAILED, "out of memory");
		else
			ctl_error(req, CTL_ERR_INVALID, "no client \"%s\"", b->client);
		goto out;
	}
	sets = calloc(b->n_nh_sets + 1, sizeof(*sets));
	if (!sets) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; add && i < b->n_nh_sets; i++)
		if (api_set_parse(r, b->nh_sets[i], &sets[i], err, sizeof(err)) < 0) {
			ctl_error(req, CTL_ERR_INVALID, "next-hop set %zu: %s", i, err);
			goto out;
		}
	pref = b->preference ? b->preference : rib_proto_pref(RIB_PROTO_API);
	metric = b->metric;
	ribd_clock(r);
	for (size_t i = 0; i < b->n_v4_prefix; i++) {
		struct plat_prefix p = {.ip.family = AF_INET, .len = b->v4_length.data[i]};
		uint32_t v = b->v4_prefix[i], si = b->n_v4_nh_set ? b->v4_nh_set[i] : 0;

		p.ip.bytes[0] = (uint8_t)(v >> 24);
		p.ip.bytes[1] = (uint8_t)(v >> 16);
		p.ip.bytes[2] = (uint8_t)(v >> 8);
		p.ip.bytes[3] = (uint8_t)v;
		if (p.len > 32 || (add && si >= b->n_nh_sets)) {
			api_fail(&res, &p, p.len > 32 ? "bad length" : "no such next-hop set");
			continue;
		}
		api_one(r, c, &p, &sets[si], pref, metric, add, &res);
	}
	for (size_t i = 0; i < b->v6_length.len; i++) {
		struct plat_prefix p = {.ip.family = AF_INET6, .len = b->v6_length.data[i]};
		uint32_t si = b->n_v6_nh_set ? b->v6_nh_set[i] : 0;

		memcpy(p.ip.bytes, b->v6_prefix.data + 16 * i, 16);
		if (p.len > 128 || (add && si >= b->n_nh_sets)) {
			api_fail(&res, &p, p.len > 128 ? "bad length" : "no such next-hop set");
			continue;
		}
		api_one(r, c, &p, &sets[si], pref, metric, add, &res);
	}
	fib_failed = api_commit(r);
	api_reply(req, &res, c, fib_failed);
	if (!add && c->routes == 0)
		api_client_drop(c);
out:
	free(sets);
	keel__ribd__route_batch__free_unpacked(b, NULL);
}

static void ribd_api_add(struct ctl_req *req, void *arg)
{
	api_batch(req, arg, true);
}

static void ribd_api_delete(struct ctl_req *req, void *arg)
{
	api_batch(req, arg, false);
}

struct api_collect {
	uint32_t id;
	struct plat_prefix *p;
	size_t n, cap;
};

static int api_collect_one(void *arg, const struct rib_dest *d)
{
	struct api_collect *a = arg;

	for (const struct rib_route *rt = d->routes; rt; rt = rt->next) {
		if (rt->proto != RIB_PROTO_API || rt->key != a->id)
			continue;
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 1024;
			struct plat_prefix *p = realloc(a->p, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			a->p = p;
			a->cap = cap;
		}
		a->p[a->n++] = d->pfx;
		break;
	}
	return 0;
}

static void ribd_api_flush(struct ctl_req *req, void *arg)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	Keel__Ribd__RouteFlush *m;
	struct api_result res = {0};
	struct api_collect col = {0};
	struct api_client *c;
	int fib_failed;

	m = keel__ribd__route_flush__unpack(NULL, req->payload_len, req->payload);
	if (!m) {
		ctl_error(req, CTL_ERR_INVALID, "route.flush: undecodable");
		return;
	}
	c = api_name_ok(m->client) ? api_client_find(m->client, false) : NULL;
	if (!c) {
		/* Nothing to flush is not an error: flushing is idempotent. */
		api_reply(req, &res, NULL, 0);
		goto out;
	}
	col.id = c->id;
	if (rib_walk(r->rib, AF_INET, NULL, api_collect_one, &col) < 0 ||
	    rib_walk(r->rib, AF_INET6, NULL, api_collect_one, &col) < 0) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		goto out;
	}
	ribd_clock(r);
	for (size_t i = 0; i < col.n; i++)
		if (rib_route_unset(r->rib, &col.p[i], RIB_PROTO_API, c->id) == 0)
			res.done++;
	c->routes = 0;
	fib_failed = api_commit(r);
	api_reply(req, &res, c, fib_failed);
	api_client_drop(c);
out:
	free(col.p);
	keel__ribd__route_flush__free_unpacked(m, NULL);
}

static void ribd_api_clients(struct ctl_req *req, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < api.n; i++) {
		Keel__Ribd__ApiClient m = KEEL__RIBD__API_CLIENT__INIT;

		m.name = api.c[i].name;
		m.routes = api.c[i].routes;
		if (ctl_reply(req, &m.base) < 0)
			break;
	}
	ctl_end(req);
}

struct api_v4 {
	uint32_t *addr;
	uint8_t *len;
	size_t n, cap;
};

static int api_v4_one(void *arg, const struct rib_dest *d)
{
	struct api_v4 *v = arg;

	if (!d->active)
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 4096;
		uint32_t *a = realloc(v->addr, cap * sizeof(*a));
		uint8_t *l;

		if (!a)
			return -ENOMEM;
		v->addr = a;
		l = realloc(v->len, cap);
		if (!l)
			return -ENOMEM;
		v->len = l;
		v->cap = cap;
	}
	v->addr[v->n] = (uint32_t)d->pfx.ip.bytes[0] << 24 | (uint32_t)d->pfx.ip.bytes[1] << 16 |
	                (uint32_t)d->pfx.ip.bytes[2] << 8 | d->pfx.ip.bytes[3];
	v->len[v->n++] = d->pfx.len;
	return 0;
}

/*
 * Looks up addresses inside the installed prefixes (a random prefix, a
 * random host in it), as forwarded traffic would; the addresses are made
 * before the clock starts.
 */
static void ribd_api_lookup_bench(struct ctl_req *req, void *arg)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	Keel__Ribd__LookupBench *m;
	Keel__Ribd__LookupBenchResult out = KEEL__RIBD__LOOKUP_BENCH_RESULT__INIT;
	struct api_v4 v = {0};
	struct rib_mem mem;
	uint32_t n, *addrs = NULL;
	uint64_t x = 0x9e3779b97f4a7c15ull, t0, matched = 0;

	m = keel__ribd__lookup_bench__unpack(NULL, req->payload_len, req->payload);
	if (!m) {
		ctl_error(req, CTL_ERR_INVALID, "route.lookup-bench: undecodable");
		return;
	}
	n = m->lookups ? m->lookups : 1000000;
	if (n > API_MAX_LOOKUPS)
		n = API_MAX_LOOKUPS;
	keel__ribd__lookup_bench__free_unpacked(m, NULL);
	if (rib_walk(r->rib, AF_INET, NULL, api_v4_one, &v) < 0 || !v.n ||
	    !(addrs = malloc((size_t)n * sizeof(*addrs)))) {
		ctl_error(req, CTL_ERR_FAILED, v.n ? "out of memory" : "no IPv4 routes");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		size_t k;
		uint32_t host;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (size_t)(x % v.n);
		host = v.len[k] >= 32 ? 0 : (uint32_t)(x >> 32) & (0xffffffffu >> v.len[k]);
		addrs[i] = v.addr[k] | host;
	}
	t0 = mono_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint8_t a[4] = {(uint8_t)(addrs[i] >> 24), (uint8_t)(addrs[i] >> 16),
		                (uint8_t)(addrs[i] >> 8), (uint8_t)addrs[i]};

		matched += rib_lookup4(r->rib, a) != NULL;
	}
	out.nanoseconds = mono_ns() - t0;
	out.lookups = n;
	out.matched = matched;
	rib_memory(r->rib, &mem);
	out.prefixes = v.n;
	out.rib_bytes = mem.bytes + fib_memory(r->fib) + nhset_memory();
	ctl_reply(req, &out.base);
	ctl_end(req);
out:
	free(addrs);
	free(v.addr);
	free(v.len);
}

static const struct ctl_method ribd_api_methods[] = {
        {.name = "route.add",
         .fn = ribd_api_add,
         .flags = CTL_F_WRITE,
         .help = "Add or replace a client's routes (RouteBatch -> RouteBatchResult)"},
        {.name = "route.delete",
         .fn = ribd_api_delete,
         .flags = CTL_F_WRITE,
         .help = "Delete a client's routes (RouteBatch -> RouteBatchResult)"},
        {.name = "route.flush",
         .fn = ribd_api_flush,
         .flags = CTL_F_WRITE,
         .help = "Delete every route of a client (RouteFlush -> RouteBatchResult)"},
        {.name = "route.clients",
         .fn = ribd_api_clients,
         .help = "API clients and their route counts (-> ApiClient*)"},
        {.name = "route.lookup-bench",
         .fn = ribd_api_lookup_bench,
         .help = "Time LPM lookups on inet.0 (LookupBench -> LookupBenchResult)"},
};

int ribd_api_register(struct ctl_server *srv)
{
	return ctl_server_add_methods(srv, ribd_api_methods,
	                              sizeof(ribd_api_methods) / sizeof(ribd_api_methods[0]));
}
