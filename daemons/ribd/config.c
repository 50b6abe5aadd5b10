/*
 * routing-options -> RIB static routes (see config.h).
 *
 * Junos semantics: `preference` is the route's (default 5);
 * `qualified-next-hop ADDR preference N` makes a second route to the same
 * prefix at N, used while the better one is unusable; `discard` is a
 * blackhole, `reject` an unreachable route; `resolve` allows recursive
 * gateways; `bfd-liveness-detection` (on the route: its next-hop addresses;
 * on a qualified-next-hop: that one) makes the next hop usable only while
 * its BFD session is Up (bfd.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/config.h"
#include "lib/cfg.h"
#include "lib/log.h"

#define RIBD_PREF_STATIC 5

void ribd_conf_free(struct ribd_conf *c)
{
	free(c->routes);
	free(c->idx);
	free(c->bfd);
	memset(c, 0, sizeof(*c));
}

static uint32_t ribd_key_hash(const struct plat_prefix *p, uint32_t pref)
{
	uint32_t h = 2166136261u;

	h = (h ^ p->ip.family) * 16777619u;
	h = (h ^ p->len) * 16777619u;
	for (size_t i = 0; i < sizeof(p->ip.bytes); i++)
		h = (h ^ p->ip.bytes[i]) * 16777619u;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((pref >> (8 * i)) & 0xff)) * 16777619u;
	return h;
}

static bool ribd_key_eq(const struct ribd_static *s, const struct plat_prefix *p, uint32_t pref)
{
	return s->pref == pref && s->pfx.len == p->len && plat_ip_equal(&s->pfx.ip, &p->ip);
}

/* The route with this key, or NULL; *slot gets where it is or would go. */
static struct ribd_static *ribd_find(const struct ribd_conf *c, const struct plat_prefix *p,
                                     uint32_t pref, size_t *slot)
{
	if (!c || !c->idx_cap)
		return NULL;
	size_t mask = c->idx_cap - 1;

	for (size_t i = ribd_key_hash(p, pref) & mask;; i = (i + 1) & mask) {
		if (slot)
			*slot = i;
		if (!c->idx[i])
			return NULL;
		if (ribd_key_eq(&c->routes[c->idx[i] - 1], p, pref))
			return &c->routes[c->idx[i] - 1];
	}
}

static int ribd_index_grow(struct ribd_conf *c)
{
	size_t cap = c->idx_cap ? c->idx_cap * 2 : 64;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	free(c->idx);
	c->idx = idx;
	c->idx_cap = cap;
	for (size_t r = 0; r < c->n; r++) {
		size_t slot = 0;

		ribd_find(c, &c->routes[r].pfx, c->routes[r].pref, &slot);
		c->idx[slot] = (uint32_t)(r + 1);
	}
	return 0;
}

static void ribd_mask(struct plat_prefix *p)
{
	for (unsigned i = p->len; i < 128; i++)
		p->ip.bytes[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

/* uint32 leaves are JSON numbers in RFC 7951 §6.1; accept a string too. */
static int ribd_get_u32(struct json_object *o, const char *name, uint32_t def, uint32_t *out)
{
	struct json_object *v = cfg_get(o, name);
	long long x;
	char *end;

	if (!v) {
		*out = def;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		errno = 0;
		x = strtoll(json_object_get_string(v), &end, 10);
		if (errno || *end)
			return -1;
	} else {
		return -1;
	}
	if (x < 0 || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static struct ribd_static *ribd_group(struct ribd_conf *c, const struct plat_prefix *p,
                                      uint32_t pref, uint32_t metric, bool resolve)
{
	struct ribd_static *s = ribd_find(c, p, pref, NULL);
	size_t slot = 0;

	if (s)
		return s;
	if ((c->n + 1) * 2 > c->idx_cap && ribd_index_grow(c) < 0)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		s = reallocarray(c->routes, cap, sizeof(*s));
		if (!s)
			return NULL;
		c->routes = s;
		c->cap = cap;
	}
	ribd_find(c, p, pref, &slot);
	c->idx[slot] = (uint32_t)(c->n + 1);
	s = &c->routes[c->n++];
	memset(s, 0, sizeof(*s));
	s->pfx = *p;
	s->pref = pref;
	s->metric = metric;
	s->resolve = resolve;
	s->type = RIB_TYPE_UNICAST;
	return s;
}

/* The keel-protocols bfd-timers grouping; 0, or -1 with err set. */
static int ribd_bfd_parse(struct json_object *b, const struct plat_ip *gw, const char *name,
                          struct ribd_bfd_cfg *out, char *err, size_t errlen)
{
	struct json_object *tx = cfg_get(b, "transmit-interval"),
	                   *auth = cfg_get(b, "authentication");
	struct json_object *det = cfg_get(b, "detection-time");
	const char *s;
	uint32_t min;

	memset(out, 0, sizeof(*out));
	out->peer = *gw;
	if (ribd_get_u32(b, "minimum-interval", 0, &min) < 0 ||
	    ribd_get_u32(b, "minimum-receive-interval", min, &out->rx_ms) < 0 ||
	    ribd_get_u32(tx, "minimum-interval", min, &out->tx_ms) < 0 ||
	    ribd_get_u32(b, "multiplier", 3, &out->mult) < 0 ||
	    ribd_get_u32(b, "holddown-interval", 0, &out->holddown_ms) < 0 ||
	    ribd_get_u32(tx, "threshold", 0, &out->tx_threshold_ms) < 0 ||
	    ribd_get_u32(det, "threshold", 0, &out->detect_threshold_ms) < 0 ||
	    ribd_get_u32(b, "echo-interval", 0, &out->echo_ms) < 0)
		goto bad;
	/* The YANG's must already demands the intervals; bfdd's limits (bfdd.proto). */
	if (!out->tx_ms || !out->rx_ms || out->tx_ms > 255000 || out->rx_ms > 255000 ||
	    !out->mult || out->mult > 255 || out->holddown_ms > 255000 || out->echo_ms > 255000)
		goto bad;
	if ((s = cfg_get_str(b, "neighbor")) &&
	    (plat_ip_parse(s, &out->peer) < 0 || out->peer.family != gw->family))
		goto bad;
	if ((s = cfg_get_str(b, "local-address")) &&
	    (plat_ip_parse(s, &out->local) < 0 || out->local.family != gw->family))
		goto bad;
	if (auth) {
		const char *alg = cfg_get_str(auth, "algorithm"),
		           *kc = cfg_get_str(auth, "key-chain");

		if (!alg || !kc || strlen(alg) >= sizeof(out->auth_algorithm) ||
		    strlen(kc) >= sizeof(out->key_chain))
			goto bad;
		memcpy(out->auth_algorithm, alg, strlen(alg) + 1);
		memcpy(out->key_chain, kc, strlen(kc) + 1);
	}
	return 0;
bad:
	snprintf(err, errlen, "route %s: bad bfd-liveness-detection", name);
	return -1;
}

/* The track value (index + 1) of an entry equal to b, added if new. Entries
 * are few (one per gateway and parameter set), so a scan from the most recent
 * one is enough: routes sharing a gateway hit at once. */
static uint16_t ribd_bfd_add(struct ribd_conf *c, const struct ribd_bfd_cfg *b)
{
	for (size_t i = c->n_bfd; i-- > 0;)
		if (memcmp(&c->bfd[i], b, sizeof(*b)) == 0)
			return (uint16_t)(i + 1);
	if (c->n_bfd == RIBD_BFD_MAX)
		return 0;
	if (c->n_bfd == c->cap_bfd) {
		size_t cap = c->cap_bfd ? c->cap_bfd * 2 : 8;
		struct ribd_bfd_cfg *p = reallocarray(c->bfd, cap, sizeof(*p));

		if (!p)
			return 0;
		c->bfd = p;
		c->cap_bfd = cap;
	}
	c->bfd[c->n_bfd++] = *b;
	return (uint16_t)c->n_bfd;
}

/* Sets nh->track from a bfd-liveness-detection container (absent: untracked). */
static int ribd_nh_track(struct ribd_conf *c, struct json_object *bfd, struct rib_nh *nh,
                         const char *name, char *err, size_t errlen)
{
	struct ribd_bfd_cfg b;

	if (!bfd || !nh->gw.family)
		return 0; /* an interface next hop has no address to run BFD to */
	if (ribd_bfd_parse(bfd, &nh->gw, name, &b, err, errlen) < 0)
		return -1;
	nh->track = ribd_bfd_add(c, &b);
	if (!nh->track) {
		snprintf(err, errlen, "route %s: too many bfd-liveness-detection sessions", name);
		return -1;
	}
	return 0;
}

/* A next hop: an address, or an interface name. */
static int ribd_nh_parse(const char *s, const char *ifname, int family, ribd_ifindex_fn ifindex,
                         void *arg, struct rib_nh *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (plat_ip_parse(s, &out->gw) == 0) {
		if (out->gw.family != family) {
			snprintf(err, errlen, "next-hop %s: wrong address family", s);
			return -1;
		}
	} else {
		ifname = s;
	}
	if (ifname) {
		out->ifindex = ifindex ? ifindex(arg, ifname) : 0;
		if (out->ifindex <= 0)
			return 1; /* absent interface: this next hop is unusable for now */
	}
	return 0;
}

static int ribd_nh_add(struct ribd_static *g, const struct rib_nh *nh, char *err, size_t errlen)
{
	char pfx[64];

	for (size_t i = 0; i < g->n_nh; i++)
		if (g->nh[i].ifindex == nh->ifindex && plat_ip_equal(&g->nh[i].gw, &nh->gw))
			return 0;
	if (g->n_nh == RIB_MAX_NH) {
		snprintf(err, errlen, "route %s: more than %d next hops",
		         plat_prefix_str(&g->pfx, pfx, sizeof(pfx)), RIB_MAX_NH);
		return -1;
	}
	g->nh[g->n_nh++] = *nh;
	return 0;
}

static int ribd_route_parse(struct json_object *o, int family, ribd_ifindex_fn ifindex, void *arg,
                            struct ribd_conf *c, char *err, size_t errlen)
{
	const char *name = cfg_get_str(o, "name");
	struct json_object *nhs = cfg_get(o, "next-hop"), *qnhs = cfg_get(o, "qualified-next-hop");
	struct json_object *bfd = cfg_get(o, "bfd-liveness-detection");
	bool discard = cfg_get_bool(o, "discard"), reject = cfg_get_bool(o, "reject");
	bool resolve = cfg_get_bool(o, "resolve");
	struct plat_prefix p;
	uint32_t pref, metric;
	struct ribd_static *g;
	struct rib_nh nh;

	if (!name || plat_prefix_parse(name, &p) < 0 || p.ip.family != family) {
		snprintf(err, errlen, "routing-options static route %s: bad prefix",
		         name ? name : "(none)");
		return -1;
	}
	ribd_mask(&p);
	if (ribd_get_u32(o, "preference", RIBD_PREF_STATIC, &pref) < 0 ||
	    ribd_get_u32(o, "metric", 0, &metric) < 0) {
		snprintf(err, errlen, "route %s: bad preference or metric", name);
		return -1;
	}
	if (discard || reject || nhs) {
		g = ribd_group(c, &p, pref, metric, resolve);
		if (!g)
			goto nomem;
		if (discard || reject) {
			g->type = discard ? RIB_TYPE_DISCARD : RIB_TYPE_REJECT;
			return 0;
		}
	}
	for (size_t i = 0;
	     nhs && json_object_is_type(nhs, json_type_array) && i < json_object_array_length(nhs);
	     i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(nhs, i));
		int rc = s ? ribd_nh_parse(s, NULL, family, ifindex, arg, &nh, err, errlen) : -1;

		if (rc < 0) {
			if (!s)
				snprintf(err, errlen, "route %s: bad next-hop", name);
			return -1;
		}
		if (rc == 0 && ribd_nh_track(c, bfd, &nh, name, err, errlen) < 0)
			return -1;
		g = ribd_group(c, &p, pref, metric, resolve);
		if (!g)
			goto nomem;
		if (rc == 0 && ribd_nh_add(g, &nh, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; qnhs && json_object_is_type(qnhs, json_type_array) &&
	                   i < json_object_array_length(qnhs);
	     i++) {
		struct json_object *q = json_object_array_get_idx(qnhs, i);
		const char *s = cfg_get_str(q, "name");
		uint32_t qpref, qmetric;
		int rc;

		if (!s || ribd_get_u32(q, "preference", pref, &qpref) < 0 ||
		    ribd_get_u32(q, "metric", metric, &qmetric) < 0) {
			snprintf(err, errlen, "route %s: bad qualified-next-hop", name);
			return -1;
		}
		rc = ribd_nh_parse(s, cfg_get_str(q, "interface"), family, ifindex, arg, &nh, err,
		                   errlen);
		if (rc < 0 || (rc == 0 && ribd_nh_track(c, cfg_get(q, "bfd-liveness-detection"),
		                                        &nh, name, err, errlen) < 0))
			return -1;
		g = ribd_group(c, &p, qpref, qmetric, resolve);
		if (!g)
			goto nomem;
		if (rc == 0 && ribd_nh_add(g, &nh, err, errlen) < 0)
			return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "route %s: out of memory", name);
	return -1;
}

static int ribd_static_parse(struct json_object *st, int family, ribd_ifindex_fn ifindex, void *arg,
                             struct ribd_conf *c, char *err, size_t errlen)
{
	struct json_object *list = st ? cfg_get(st, "route") : NULL;

	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "routing-options static route: not a list");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (ribd_route_parse(json_object_array_get_idx(list, i), family, ifindex, arg, c,
		                     err, errlen) < 0)
			return -1;
	return 0;
}

int ribd_conf_parse(struct json_object *cfg, ribd_ifindex_fn ifindex, void *arg,
                    struct ribd_conf *out, char *err, size_t errlen)
{
	struct json_object *ro = cfg ? cfg_get(cfg, "routing-options") : NULL, *ribs;

	memset(out, 0, sizeof(*out));
	if (!ro)
		return 0;
	if (ribd_static_parse(cfg_get(ro, "static"), AF_INET, ifindex, arg, out, err, errlen) < 0)
		goto fail;
	ribs = cfg_get(ro, "rib");
	for (size_t i = 0; ribs && json_object_is_type(ribs, json_type_array) &&
	                   i < json_object_array_length(ribs);
	     i++) {
		struct json_object *rib = json_object_array_get_idx(ribs, i);
		const char *name = cfg_get_str(rib, "name");

		if (!name || strcmp(name, "inet6.0") != 0) {
			snprintf(err, errlen, "routing-options rib %s: unknown table",
			         name ? name : "(none)");
			goto fail;
		}
		if (ribd_static_parse(cfg_get(rib, "static"), AF_INET6, ifindex, arg, out, err,
		                      errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	ribd_conf_free(out);
	return -1;
}

static bool ribd_conf_has(const struct ribd_conf *c, const struct ribd_static *s)
{
	return ribd_find(c, &s->pfx, s->pref, NULL) != NULL;
}

int ribd_conf_apply(struct rib *rib, const struct ribd_conf *old, const struct ribd_conf *new)
{
	int errors = 0;
	char pfx[64];

	for (size_t i = 0; old && i < old->n; i++)
		if (!ribd_conf_has(new, &old->routes[i]))
			rib_route_unset(rib, &old->routes[i].pfx, RIB_PROTO_STATIC,
			                old->routes[i].pref);
	for (size_t i = 0; i < new->n; i++) {
		const struct ribd_static *s = &new->routes[i];
		struct rib_route_attr a = {.type = s->type,
		                           .pref = s->pref,
		                           .metric = s->metric,
		                           .resolve = s->resolve,
		                           .n_nh = s->n_nh,
		                           .nh = s->nh};
		int rc = rib_route_set(rib, &s->pfx, RIB_PROTO_STATIC, s->pref, &a);

		if (rc < 0) {
			log_warnx("static route %s: %s", plat_prefix_str(&s->pfx, pfx, sizeof(pfx)),
			          strerror(-rc));
			errors++;
		}
	}
	return errors;
}
