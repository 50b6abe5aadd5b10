/*
 * ribd's control-socket methods (lib/proto/ribd.proto): "show.route",
 * "show.route.summary", "show.route.forwarding". Structured data only; the
 * CLI renders the Junos layouts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "daemons/ribd/ribd.h"
#include "lib/log.h"
#include "lib/proto/ribd.pb-c.h"

/* Storage for one NextHop and its strings. */
struct ribd_nh_msg {
	Keel__Ribd__NextHop msg;
	char bfd[16];
	char gw[64];
	char ifname[PLAT_IFNAMSIZ];
};

static void ribd_nh_fill(struct ribd *r, const struct rib_nh *nh, bool selected,
                         struct ribd_nh_msg *m)
{
	struct plat_link l;

	keel__ribd__next_hop__init(&m->msg);
	m->gw[0] = 0;
	m->ifname[0] = 0;
	if (nh->gw.family)
		plat_ip_str(&nh->gw, m->gw, sizeof(m->gw));
	if (nh->ifindex && plat_link_get(r->plat, nh->ifindex, &l) == 0)
		snprintf(m->ifname, sizeof(m->ifname), "%s", l.name);
	m->msg.gateway = m->gw;
	m->msg.interface = m->ifname;
	m->msg.ifindex = (uint32_t)(nh->ifindex > 0 ? nh->ifindex : 0);
	m->msg.selected = selected;
	snprintf(m->bfd, sizeof(m->bfd), "%s",
	         nh->track ? ribd_bfd_track_state(r->bfd, nh->track) : "");
	m->msg.bfd_state = m->bfd;
}

static const char *ribd_table_name(int family)
{
	return family == AF_INET ? "inet.0" : "inet6.0";
}

struct ribd_show {
	struct ribd *r;
	struct ctl_req *req;
	int64_t now;
	int rc;
	const char *protocol;           /* only routes of this protocol (any case) */
	bool hidden;                    /* only hidden routes */
	const struct plat_prefix *skip; /* `longer`: not the prefix itself */
};

static bool ribd_route_shown(const struct ribd_show *s, const struct rib_route *rt)
{
	if (s->hidden && rt->usable)
		return false;
	return !s->protocol || !*s->protocol ||
	       strcasecmp(s->protocol, rib_proto_name((enum rib_proto)rt->proto)) == 0;
}

/* Sends one Destination; the message and its parts live on the heap only
 * for the call. */
static int ribd_send_dest(void *arg, const struct rib_dest *d)
{
	struct ribd_show *s = arg;
	Keel__Ribd__Destination dm = KEEL__RIBD__DESTINATION__INIT;
	size_t n = 0, k = 0, nnh = 0, used = 0;
	Keel__Ribd__Route *routes, **rp;
	struct ribd_nh_msg *nhs;
	Keel__Ribd__NextHop **nhp;
	char pfx[64];

	if (s->skip && d->pfx.len == s->skip->len && plat_ip_equal(&d->pfx.ip, &s->skip->ip))
		return 0;
	for (const struct rib_route *rt = d->routes; rt; rt = rt->next) {
		if (!ribd_route_shown(s, rt))
			continue;
		size_t a, b;

		n++;
		rib_route_nh(rt, &a);
		rib_route_res(rt, &b);
		nnh += a + b;
	}
	if (!n)
		return 0;
	routes = calloc(n + 1, sizeof(*routes));
	rp = calloc(n + 1, sizeof(*rp));
	nhs = calloc(nnh + 1, sizeof(*nhs));
	nhp = calloc(nnh + 1, sizeof(*nhp));
	if (!routes || !rp || !nhs || !nhp) {
		s->rc = -ENOMEM;
		goto out;
	}
	dm.table = (char *)ribd_table_name(d->pfx.ip.family);
	dm.prefix = (char *)plat_prefix_str(&d->pfx, pfx, sizeof(pfx));
	for (const struct rib_route *rt = d->routes; rt; rt = rt->next) {
		Keel__Ribd__Route *m = &routes[k];
		const struct rib_nh *cfg, *res;
		size_t n_cfg, n_res;

		if (!ribd_route_shown(s, rt))
			continue;
		keel__ribd__route__init(m);
		m->protocol = (char *)rib_proto_name(rt->proto);
		m->preference = rt->pref;
		m->metric = rt->metric;
		m->active = rt == rib_dest_best(d);
		m->type = (char *)rib_type_name(rt->type);
		m->age = s->now > rt->since ? (uint64_t)(s->now - rt->since) : 0;
		m->resolve = rt->resolve;
		m->hidden = !rt->usable;
		m->configured = &nhp[used];
		cfg = rib_route_nh(rt, &n_cfg);
		res = rib_route_res(rt, &n_res);
		for (size_t i = 0; i < n_cfg; i++, used++) {
			ribd_nh_fill(s->r, &cfg[i], false, &nhs[used]);
			nhp[used] = &nhs[used].msg;
			m->n_configured++;
		}
		m->next_hops = &nhp[used];
		for (size_t i = 0; i < n_res; i++, used++) {
			ribd_nh_fill(s->r, &res[i], m->active, &nhs[used]);
			nhp[used] = &nhs[used].msg;
			m->n_next_hops++;
		}
		rp[k++] = m;
	}
	dm.routes = rp;
	dm.n_routes = n;
	if (ctl_reply(s->req, &dm.base) < 0)
		s->rc = -EIO;
out:
	free(routes);
	free(rp);
	free(nhs);
	free(nhp);
	return s->rc;
}

static bool ribd_table_match(const char *want, int family)
{
	return !want || !*want || strcmp(want, ribd_table_name(family)) == 0;
}

/*
 * show route [PREFIX [exact|longer]] [protocol P] [table T] [hidden]: an
 * address without a length is its longest match (Junos `show route
 * ADDRESS`), a prefix everything it covers, `exact` only itself, `longer`
 * only what it covers.
 */
static void ribd_show_route(struct ctl_req *req, void *arg)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	Keel__Ribd__ShowRoute *q = NULL;
	struct ribd_show s = {.r = r, .req = req, .now = (int64_t)(mono_ms() / 1000)};
	struct plat_prefix p;
	const char *table = NULL;
	int fams[2] = {AF_INET, AF_INET6};

	if (req->payload_len) {
		q = keel__ribd__show_route__unpack(NULL, req->payload_len, req->payload);
		if (!q) {
			ctl_error(req, CTL_ERR_INVALID, "show.route: bad request");
			return;
		}
		s.protocol = q->protocol;
		s.hidden = q->hidden;
		table = q->table;
		if (table && *table && strcmp(table, "inet.0") != 0 &&
		    strcmp(table, "inet6.0") != 0) {
			ctl_error(req, CTL_ERR_INVALID, "show.route: no table %s", table);
			goto done;
		}
	}
	if (q && q->prefix && *q->prefix) {
		bool has_len = strchr(q->prefix, '/') != NULL;

		if (plat_prefix_parse(q->prefix, &p) < 0) {
			ctl_error(req, CTL_ERR_INVALID, "show.route: bad prefix %s", q->prefix);
			goto done;
		}
		if (!ribd_table_match(table, p.ip.family)) {
			ctl_end(req);
			goto done;
		}
		if (!has_len && !q->exact && !q->longer) {
			const struct rib_dest *d = rib_lookup(r->rib, &p.ip);

			if (d)
				ribd_send_dest(&s, d);
		} else if (q->exact) {
			const struct rib_dest *d = rib_exact(r->rib, &p);

			if (d)
				ribd_send_dest(&s, d);
		} else {
			if (q->longer)
				s.skip = &p;
			rib_walk(r->rib, p.ip.family, &p, ribd_send_dest, &s);
		}
	} else {
		for (int i = 0; i < 2 && s.rc == 0; i++)
			if (ribd_table_match(table, fams[i]))
				rib_walk(r->rib, fams[i], NULL, ribd_send_dest, &s);
	}
	ctl_end(req);
done:
	if (q)
		keel__ribd__show_route__free_unpacked(q, NULL);
}

static void ribd_show_summary(struct ctl_req *req, void *arg)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	Keel__Ribd__RouteSummary sm = KEEL__RIBD__ROUTE_SUMMARY__INIT;
	Keel__Ribd__TableSummary t[2], *tp[2];
	Keel__Ribd__ProtocolCount pc[2][RIB_PROTO_COUNT], *pcp[2][RIB_PROTO_COUNT];
	int fams[2] = {AF_INET, AF_INET6};
	struct fib_stats fs;

	for (int i = 0; i < 2; i++) {
		struct rib_stats st;

		rib_stats(r->rib, fams[i], &st);
		keel__ribd__table_summary__init(&t[i]);
		t[i].name = (char *)ribd_table_name(fams[i]);
		t[i].destinations = (uint32_t)st.dests;
		t[i].routes = (uint32_t)st.routes;
		t[i].active = (uint32_t)st.active;
		t[i].hidden = (uint32_t)st.hidden;
		for (int k = 0; k < RIB_PROTO_COUNT; k++) {
			if (!st.routes_by_proto[k])
				continue;
			keel__ribd__protocol_count__init(&pc[i][k]);
			pc[i][k].name = (char *)rib_proto_name((enum rib_proto)k);
			pc[i][k].routes = (uint32_t)st.routes_by_proto[k];
			pc[i][k].active = (uint32_t)st.active_by_proto[k];
			pcp[i][t[i].n_protocols++] = &pc[i][k];
		}
		t[i].protocols = pcp[i];
		tp[i] = &t[i];
	}
	sm.tables = tp;
	sm.n_tables = 2;
	fib_get_stats(r->fib, &fs);
	sm.fib_routes = (uint32_t)fs.installed;
	sm.fib_errors = fs.errors;
	sm.fib_batches = fs.batches;
	sm.fib_adopted = fs.adopted;
	sm.fib_stale = (uint32_t)fs.stale;
	ctl_reply(req, &sm.base);
	ctl_end(req);
}

static int ribd_send_fib(void *arg, const struct rib_dest *e)
{
	struct ribd_show *s = arg;
	Keel__Ribd__FibEntry m = KEEL__RIBD__FIB_ENTRY__INIT;
	struct fib_route want;
	bool installed = e->fib_flags & FIB_F_INSTALLED, wanted = fib_want(e, &want);
	const struct fib_route *fr = installed ? &e->fib_have : &want;
	struct ribd_nh_msg nhs[RIB_MAX_NH];
	Keel__Ribd__NextHop *nhp[RIB_MAX_NH];
	char pfx[64];

	if (!installed && !wanted)
		return 0;
	m.table = (char *)ribd_table_name(e->pfx.ip.family);
	m.prefix = (char *)plat_prefix_str(&e->pfx, pfx, sizeof(pfx));
	m.type = (char *)rib_type_name(fr->type);
	m.metric = fr->priority;
	for (size_t i = 0; i < fr->n_nh && i < RIB_MAX_NH; i++) {
		ribd_nh_fill(s->r, &fr->nh[i], installed, &nhs[i]);
		nhp[i] = &nhs[i].msg;
	}
	m.next_hops = nhp;
	m.n_next_hops = fr->n_nh;
	m.installed = installed;
	m.stale = (e->fib_flags & FIB_F_STALE) != 0;
	m.failed = (e->fib_flags & FIB_F_FAILED) != 0;
	if (ctl_reply(s->req, &m.base) < 0)
		s->rc = -EIO;
	return s->rc;
}

static void ribd_show_forwarding(struct ctl_req *req, void *arg)
{
	struct ribd *r = ((struct daemon *)arg)->priv;
	struct ribd_show s = {.r = r, .req = req};

	if (fib_walk(r->fib, AF_INET, ribd_send_fib, &s) == 0)
		fib_walk(r->fib, AF_INET6, ribd_send_fib, &s);
	ctl_end(req);
}

const struct ctl_method ribd_ctl_methods[] = {
        {.name = "show.route",
         .fn = ribd_show_route,
         .help = "Routing tables (ShowRoute -> Destination*)"},
        {.name = "show.route.summary",
         .fn = ribd_show_summary,
         .help = "Route counts per table and protocol, FIB counters (-> RouteSummary)"},
        {.name = "show.route.forwarding",
         .fn = ribd_show_forwarding,
         .help = "Routes ribd holds in the kernel (-> FibEntry*)"},
};
const size_t ribd_ctl_n_methods = sizeof(ribd_ctl_methods) / sizeof(ribd_ctl_methods[0]);
