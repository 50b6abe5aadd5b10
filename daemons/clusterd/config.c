/*
 * clusterd's configuration: `chassis cluster` (yang/keel-chassis.yang) and the cluster's own
 * interfaces (yang/keel-interfaces.yang): `rethN redundant-ether-options redundancy-group G`,
 * the members `gigether-options redundant-parent rethN`, and `fab0|fab1 fabric-options
 * member-interfaces IF` (fab0 is node 0's fabric, fab1 node 1's).
 *
 * mgd hands over RFC 7951 JSON with groups expanded (`groups node0/node1` + `apply-groups
 * "${node}"` already resolved for this node), so the member names here are this node's.
 *
 *   cl_conf_parse()       JSON -> struct cl_conf (pure; tests/unit/clusterd/test_config.c)
 *   cl_config_validate()  parse + the engine's own checks on a scratch engine: refuses only
 *                         what can never work (an absent interface is fine, Junos accepts
 *                         config for absent hardware)
 *   cl_config_change()    applies the difference: the engine keeps the state of every group
 *                         that stays (no flap on an unrelated commit), changed timers re-arm,
 *                         a changed link reopens only that socket, a new key re-keys without
 *                         a new session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"

_Static_assert(CL_MAX_IPMON == RG_MAX_IPMON, "ip-monitoring bounds differ");
_Static_assert(CL_DEBUG_FSM == RG_DEBUG_FSM, "the fsm debug flag differs");

/* ------------------------------------------------------------ JSON helpers */

/* A YANG integer leaf: a JSON number, or a string for 64-bit types (RFC 7951 §6.1). */
static int cl_json_uint(struct json_object *o, const char *name, uint64_t min, uint64_t max,
                        uint64_t def, uint64_t *out, const char *path, char *err, size_t errlen)
{
	struct json_object *v = cfg_get(o, name);
	uint64_t x;

	if (!v) {
		*out = def;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i < 0)
			goto bad;
		x = (uint64_t)i;
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;
		errno = 0;
		x = strtoull(s, &end, 10);
		if (errno || end == s || *end || *s == '-')
			goto bad;
	} else {
		goto bad;
	}
	if (x < min || x > max)
		goto bad;
	*out = x;
	return 0;
bad:
	snprintf(err, errlen, "%s %s: not a number in %llu..%llu", path, name,
	         (unsigned long long)min, (unsigned long long)max);
	return -1;
}

static struct json_object *cl_json_list(struct json_object *o, const char *name)
{
	struct json_object *l = cfg_get(o, name);

	return l && json_object_is_type(l, json_type_array) ? l : NULL;
}

static int cl_ifname(char *dst, const char *name, const char *what, char *err, size_t errlen)
{
	if (!name || !*name || strlen(name) >= CL_IFNAMSIZ) {
		snprintf(err, errlen, "%s %s: not a Linux interface name (at most %d characters)",
		         what, name ? name : "(none)", CL_IFNAMSIZ - 1);
		return -1;
	}
	memcpy(dst, name, strlen(name) + 1);
	return 0;
}

/* "reth12" -> 12; "fab1" with prefix "fab" -> 1; -1 for anything else. */
static int cl_if_index(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	long v = 0;

	if (strncmp(name, prefix, pl) != 0 || !name[pl] || strlen(name + pl) > 3)
		return -1;
	for (const char *p = name + pl; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}

static bool cl_if_special(const char *name)
{
	return cl_if_index(name, "reth") >= 0 || cl_if_index(name, "fab") >= 0 ||
	       strcmp(name, "irb") == 0;
}

/* ------------------------------------------------------------ chassis cluster */

static int cl_parse_ipmon(struct json_object *ipm, struct rg_group_cfg *g, struct cl_ipmon_cfg *x,
                          const char *path, char *err, size_t errlen)
{
	uint64_t v;
	struct json_object *fam = cfg_get(ipm, "family");
	struct json_object *list = cl_json_list(fam ? cfg_get(fam, "inet") : NULL, "address");

	if (cl_json_uint(ipm, "global-weight", 0, 255, 255, &v, path, err, errlen) < 0)
		return -1;
	g->ip_global_weight = (uint8_t)v;
	if (cl_json_uint(ipm, "global-threshold", 0, 255, 0, &v, path, err, errlen) < 0)
		return -1;
	g->ip_global_threshold = (uint8_t)v;
	if (cl_json_uint(ipm, "retry-interval", 1, 30, 1, &v, path, err, errlen) < 0)
		return -1;
	x->retry_interval_s = (uint32_t)v;
	if (cl_json_uint(ipm, "retry-count", 5, 15, 5, &v, path, err, errlen) < 0)
		return -1;
	x->retry_count = (uint8_t)v;
	if (!list)
		return 0;
	size_t n = json_object_array_length(list);
	if (n > CL_MAX_IPMON) {
		snprintf(err, errlen, "%s ip-monitoring: %zu targets, at most %d", path, n,
		         CL_MAX_IPMON);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(list, i);
		struct cl_ipmon_target *t = &x->t[i];
		const char *addr = cfg_get_str(a, "name");
		const char *sec = cfg_get_str(a, "secondary-ip-address");
		const char *ifn = cfg_get_str(a, "interface");
		struct in_addr ia, is = {0};

		if (!addr || inet_pton(AF_INET, addr, &ia) != 1 ||
		    (sec && inet_pton(AF_INET, sec, &is) != 1)) {
			snprintf(err, errlen, "%s ip-monitoring family inet %s: bad address", path,
			         addr ? addr : "(none)");
			return -1;
		}
		if (cl_json_uint(a, "weight", 0, 255, 0, &v, path, err, errlen) < 0)
			return -1;
		if (ifn && strlen(ifn) >= sizeof(t->interface)) {
			snprintf(err, errlen, "%s ip-monitoring family inet %s interface: too long",
			         path, addr);
			return -1;
		}
		t->addr = ia.s_addr;
		t->secondary = is.s_addr;
		t->weight = (uint8_t)v;
		if (ifn)
			memcpy(t->interface, ifn, strlen(ifn) + 1);
		g->ipmon[i].addr = ia.s_addr;
		g->ipmon[i].weight = (uint8_t)v;
	}
	g->n_ipmon = (uint8_t)n;
	x->n = (uint8_t)n;
	return 0;
}

static int cl_parse_group(struct json_object *o, struct rg_group_cfg *g, struct cl_ipmon_cfg *x,
                          char *err, size_t errlen)
{
	char path[64];
	uint64_t v;
	struct json_object *nodes = cl_json_list(o, "node");
	struct json_object *pre = cfg_get(o, "preempt");
	struct json_object *ifm = cl_json_list(o, "interface-monitor");
	struct json_object *ipm = cfg_get(o, "ip-monitoring");
	bool have[CL_NODES] = {false};

	memset(g, 0, sizeof(*g));
	memset(x, 0, sizeof(*x));
	if (cl_json_uint(o, "name", 0, CL_MAX_RG - 1, 0, &v, "chassis cluster redundancy-group",
	                 err, errlen) < 0 ||
	    !cfg_get(o, "name")) {
		if (!err[0])
			snprintf(err, errlen, "chassis cluster redundancy-group: no name");
		return -1;
	}
	g->id = (uint8_t)v;
	x->rg = g->id;
	snprintf(path, sizeof(path), "chassis cluster redundancy-group %u", g->id);

	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		uint64_t id, prio;
		if (cl_json_uint(n, "name", 0, CL_NODES - 1, 0, &id, path, err, errlen) < 0 ||
		    cl_json_uint(n, "priority", CL_PRIORITY_MIN, CL_PRIORITY_MAX, 0, &prio, path,
		                 err, errlen) < 0)
			return -1;
		if (!cfg_get(n, "priority")) {
			snprintf(err, errlen, "%s node %u: no priority", path, (unsigned)id);
			return -1;
		}
		g->priority[id] = (uint8_t)prio;
		have[id] = true;
	}
	if (!have[0] || !have[1]) {
		/* YANG says so too (count(node) = 2); an election without it cannot work. */
		snprintf(err, errlen, "%s: needs a priority for node 0 and node 1", path);
		return -1;
	}
	if (pre) {
		if (g->id == 0) {
			snprintf(err, errlen, "%s: preempt is not allowed on redundancy-group 0",
			         path);
			return -1;
		}
		g->preempt = true;
		if (cl_json_uint(pre, "delay", 1, 21600, 1, &v, path, err, errlen) < 0)
			return -1;
		g->preempt_delay_s = (uint32_t)v;
		if (cl_json_uint(pre, "limit", 0, 50, 0, &v, path, err, errlen) < 0)
			return -1;
		g->preempt_limit = (uint8_t)v;
		if (cl_json_uint(pre, "period", 0, 1400, 0, &v, path, err, errlen) < 0)
			return -1;
		g->preempt_period_s = (uint32_t)v;
	}
	if (cl_json_uint(o, "gratuitous-arp-count", 1, 16, CL_GARP_DEF, &v, path, err, errlen) < 0)
		return -1;
	g->garp_count = (uint8_t)v;
	/* The YANG default depends on the group, so it is applied here: RG0 300 s, others 1 s
	 * (chassis-edit-hold-down-interval.html, notes §6). */
	if (cl_json_uint(o, "hold-down-interval", g->id == 0 ? CL_HOLD_DOWN_RG0 : 0, 1800,
	                 g->id == 0 ? CL_HOLD_DOWN_RG0 : CL_HOLD_DOWN_RGX, &v, path, err,
	                 errlen) < 0)
		return -1;
	g->hold_down_s = (int32_t)v;

	if (ifm) {
		size_t n = json_object_array_length(ifm);
		if (n > RG_MAX_IFMON) {
			snprintf(err, errlen, "%s: %zu interface-monitor entries, at most %d", path,
			         n, RG_MAX_IFMON);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			struct json_object *m = json_object_array_get_idx(ifm, i);
			char what[96];
			snprintf(what, sizeof(what), "%s interface-monitor", path);
			if (cl_ifname(g->ifmon[i].name, cfg_get_str(m, "name"), what, err, errlen) <
			            0 ||
			    cl_json_uint(m, "weight", 0, 255, 0, &v, what, err, errlen) < 0)
				return -1;
			g->ifmon[i].weight = (uint8_t)v;
		}
		g->n_ifmon = (uint8_t)n;
	}
	g->ip_global_weight = 255; /* YANG defaults, for a group without ip-monitoring */
	if (ipm && cl_parse_ipmon(ipm, g, x, path, err, errlen) < 0)
		return -1;
	return 0;
}

static int cl_group_cmp(const void *a, const void *b)
{
	return (int)((const struct rg_group_cfg *)a)->id -
	       (int)((const struct rg_group_cfg *)b)->id;
}

/* activeness-probe { dest-ip A; interval MS; retry-count N; } (keel-chassis.yang, active.h) */
static int cl_parse_active(struct json_object *ap, struct cl_conf *out, char *err, size_t errlen)
{
	const char *P = "chassis cluster activeness-probe";
	struct json_object *list = ap ? cl_json_list(ap, "dest-ip") : NULL;
	size_t n = list ? json_object_array_length(list) : 0;
	uint64_t v;

	if (!ap)
		return 0;
	if (n > sizeof(out->active_dest) / sizeof(out->active_dest[0])) {
		snprintf(err, errlen, "%s: %zu dest-ip, at most %zu", P, n,
		         sizeof(out->active_dest) / sizeof(out->active_dest[0]));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(list, i));
		struct in_addr a;
		if (!s || inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0) {
			snprintf(err, errlen, "%s dest-ip %s: not an IPv4 address", P,
			         s ? s : "(none)");
			return -1;
		}
		out->active_dest[i] = a.s_addr;
	}
	if (cl_json_uint(ap, "interval", 100, 10000, 1000, &v, P, err, errlen) < 0)
		return -1;
	out->active_interval_ms = (uint32_t)v;
	if (cl_json_uint(ap, "retry-count", 1, 10, 3, &v, P, err, errlen) < 0)
		return -1;
	out->active_retry = (uint8_t)v;
	out->n_active = (uint8_t)n;
	return 0;
}

static int cl_parse_cluster(struct json_object *c, struct cl_conf *out, char *err, size_t errlen)
{
	const char *P = "chassis cluster";
	uint64_t v;
	struct json_object *links = cl_json_list(c, "control-link");
	struct json_object *groups = cl_json_list(c, "redundancy-group");
	const char *key = cfg_get_str(c, "authentication-key");

	out->cluster = true;
	if (cl_json_uint(c, "heartbeat-interval", CL_HB_INTERVAL_MIN, CL_HB_INTERVAL_MAX,
	                 CL_HB_INTERVAL_DEF, &v, P, err, errlen) < 0)
		return -1;
	out->hb_interval_ms = (uint32_t)v;
	if (cl_json_uint(c, "heartbeat-threshold", CL_HB_THRESH_MIN, CL_HB_THRESH_MAX,
	                 CL_HB_THRESH_DEF, &v, P, err, errlen) < 0)
		return -1;
	out->hb_threshold = (uint8_t)v;
	out->control_link_recovery = cfg_get_bool(c, "control-link-recovery");
	if (cl_json_uint(c, "reth-count", 0, CL_MAX_RETH, 0, &v, P, err, errlen) < 0)
		return -1;
	out->reth_count = (uint8_t)v;
	if (cl_parse_active(cfg_get(c, "activeness-probe"), out, err, errlen) < 0)
		return -1;

	for (size_t i = 0; links && i < json_object_array_length(links); i++) {
		struct json_object *l = json_object_array_get_idx(links, i);
		const char *ifn = cfg_get_str(l, "interface");
		if (cl_json_uint(l, "name", 0, 1, 0, &v, "chassis cluster control-link", err,
		                 errlen) < 0)
			return -1;
		if (cl_ifname(out->ctl_if[v], ifn, "chassis cluster control-link interface", err,
		              errlen) < 0)
			return -1;
		if (cl_if_special(ifn)) {
			snprintf(err, errlen,
			         "chassis cluster control-link %u interface %s: must be a physical "
			         "port",
			         (unsigned)v, ifn);
			return -1;
		}
		out->ctl_cfg[v] = true;
	}
	if (out->ctl_cfg[0] && out->ctl_cfg[1] && strcmp(out->ctl_if[0], out->ctl_if[1]) == 0) {
		snprintf(err, errlen,
		         "chassis cluster control-link: links 0 and 1 cannot share interface %s",
		         out->ctl_if[0]);
		return -1;
	}
	if (key) {
		size_t kl = strlen(key);
		if (kl > CL_KEY_MAX) {
			snprintf(err, errlen, "%s authentication-key: longer than %d characters", P,
			         CL_KEY_MAX);
			return -1;
		}
		memcpy(out->key, key, kl + 1);
		out->keylen = kl;
	}

	size_t n = groups ? json_object_array_length(groups) : 0;
	if (n > CL_MAX_RG) {
		snprintf(err, errlen, "%s: %zu redundancy groups, at most %d", P, n, CL_MAX_RG);
		return -1;
	}
	if (n) {
		out->groups = calloc(n, sizeof(*out->groups));
		out->ipmon = calloc(n, sizeof(*out->ipmon));
		if (!out->groups || !out->ipmon) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (cl_parse_group(json_object_array_get_idx(groups, i), &out->groups[i],
		                   &out->ipmon[i], err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (out->groups[j].id == out->groups[i].id) {
				snprintf(err, errlen, "%s redundancy-group %u: repeated", P,
				         out->groups[i].id);
				return -1;
			}
		out->n_groups = i + 1;
	}
	/* Sort groups and their ip-monitoring details together (ids are unique). */
	if (n > 1) {
		struct cl_ipmon_cfg *x = calloc(n, sizeof(*x));
		if (!x) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		qsort(out->groups, n, sizeof(*out->groups), cl_group_cmp);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if (out->ipmon[j].rg == out->groups[i].id)
					x[i] = out->ipmon[j];
		free(out->ipmon);
		out->ipmon = x;
	}
	return 0;
}

/* ------------------------------------------------------------ interfaces */

static struct cl_reth_cfg *cl_reth_get(struct cl_conf *c, const char *name, char *err,
                                       size_t errlen)
{
	int idx = cl_if_index(name, "reth");

	for (size_t i = 0; i < c->n_reths; i++)
		if (strcmp(c->reths[i].name, name) == 0)
			return &c->reths[i];
	if (idx < 0 || idx >= CL_MAX_RETH) {
		snprintf(err, errlen, "interfaces %s: reth index out of range 0..%d", name,
		         CL_MAX_RETH - 1);
		return NULL;
	}
	if (!c->reths) {
		c->reths = calloc(CL_MAX_RETH, sizeof(*c->reths));
		if (!c->reths) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	struct cl_reth_cfg *r = &c->reths[c->n_reths++];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, strlen(name) + 1);
	r->index = (uint8_t)idx;
	r->minimum_links = 1;
	return r;
}

static int cl_reth_addrs(struct cl_reth_cfg *r, struct json_object *units, char *err, size_t errlen)
{
	for (size_t i = 0; units && i < json_object_array_length(units); i++) {
		struct json_object *u = json_object_array_get_idx(units, i);
		struct json_object *fam = cfg_get(u, "family");
		uint64_t unit;

		if (cl_json_uint(u, "name", 0, UINT32_MAX, 0, &unit, r->name, err, errlen) < 0)
			return -1;
		if (unit != 0)
			continue; /* vlan-tagged units are vland's */
		static const char *const fams[] = {"inet", "inet6"};
		for (size_t f = 0; f < 2; f++) {
			struct json_object *l =
			        cl_json_list(fam ? cfg_get(fam, fams[f]) : NULL, "address");
			for (size_t k = 0; l && k < json_object_array_length(l); k++) {
				const char *s =
				        cfg_get_str(json_object_array_get_idx(l, k), "name");
				struct plat_prefix p;
				if (!s || plat_prefix_parse(s, &p) < 0 ||
				    p.ip.family != (f ? AF_INET6 : AF_INET)) {
					snprintf(err, errlen,
					         "interfaces %s unit 0 family %s address %s: bad "
					         "address",
					         r->name, fams[f], s ? s : "(none)");
					return -1;
				}
				if (r->n_addrs == CL_MAX_RETH_ADDRS) {
					snprintf(err, errlen,
					         "interfaces %s: more than %d addresses", r->name,
					         CL_MAX_RETH_ADDRS);
					return -1;
				}
				r->addrs[r->n_addrs++] = p;
			}
		}
	}
	return 0;
}

static int cl_parse_interface(struct json_object *o, struct cl_conf *out, char *err, size_t errlen)
{
	const char *name = cfg_get_str(o, "name");
	struct json_object *reo = cfg_get(o, "redundant-ether-options");
	struct json_object *geo = cfg_get(o, "gigether-options");
	struct json_object *fo = cfg_get(o, "fabric-options");
	const char *parent = geo ? cfg_get_str(geo, "redundant-parent") : NULL;
	int fab = name ? cl_if_index(name, "fab") : -1;
	uint64_t v;

	if (!name)
		return 0;
	if (reo) {
		struct cl_reth_cfg *r = cl_reth_get(out, name, err, errlen);
		if (!r)
			return -1;
		if (cl_json_uint(reo, "redundancy-group", 1, CL_MAX_RG - 1, 0, &v, name, err,
		                 errlen) < 0)
			return -1;
		if (!cfg_get(reo, "redundancy-group")) {
			snprintf(err, errlen,
			         "interfaces %s: needs redundant-ether-options redundancy-group",
			         name);
			return -1;
		}
		r->rg = (uint8_t)v;
		if (cl_json_uint(reo, "minimum-links", 1, 8, 1, &v, name, err, errlen) < 0)
			return -1;
		r->minimum_links = (uint8_t)v;
		if (cl_reth_addrs(r, cl_json_list(o, "unit"), err, errlen) < 0)
			return -1;
	}
	if (parent) {
		struct cl_reth_cfg *r = cl_reth_get(out, parent, err, errlen);
		if (!r)
			return -1;
		if (r->n_members == CL_MAX_RETH_MEMBERS) {
			snprintf(err, errlen, "interfaces %s: more than %d members", parent,
			         CL_MAX_RETH_MEMBERS);
			return -1;
		}
		if (cl_ifname(r->members[r->n_members], name, "interfaces", err, errlen) < 0)
			return -1;
		r->n_members++;
	}
	if (fo && (fab == 0 || fab == 1)) {
		struct json_object *m = cl_json_list(fo, "member-interfaces");
		for (size_t i = 0; m && i < json_object_array_length(m); i++) {
			const char *mn = cfg_get_str(json_object_array_get_idx(m, i), "name");
			if (out->n_fab[fab] == CL_MAX_FAB_MEMBERS) {
				snprintf(err, errlen, "interfaces %s: more than %d members", name,
				         CL_MAX_FAB_MEMBERS);
				return -1;
			}
			if (cl_ifname(out->fab[fab][out->n_fab[fab]], mn,
			              "interfaces fabric-options member-interfaces", err,
			              errlen) < 0)
				return -1;
			if (cl_if_special(mn)) {
				snprintf(
				        err, errlen,
				        "interfaces %s fabric-options member-interfaces %s: must be "
				        "a physical port",
				        name, mn);
				return -1;
			}
			out->n_fab[fab]++;
		}
	}
	return 0;
}

static int cl_reth_cmp(const void *a, const void *b)
{
	return (int)((const struct cl_reth_cfg *)a)->index -
	       (int)((const struct cl_reth_cfg *)b)->index;
}

/* ------------------------------------------------------------ API */

void cl_conf_free(struct cl_conf *c)
{
	free(c->groups);
	free(c->ipmon);
	free(c->reths);
	memset(c, 0, sizeof(*c));
}

static void cl_conf_defaults(struct cl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->hb_interval_ms = CL_HB_INTERVAL_DEF;
	c->hb_threshold = CL_HB_THRESH_DEF;
}

int cl_conf_parse(struct json_object *cfg, struct cl_conf *out, char *err, size_t errlen)
{
	struct json_object *ch = cfg_get(cfg, "chassis");
	struct json_object *cluster = ch ? cfg_get(ch, "cluster") : NULL;
	struct json_object *ifs = cfg_get(cfg, "interfaces");
	struct json_object *list = ifs ? cl_json_list(ifs, "interface") : NULL;

	cl_conf_defaults(out);
	if (errlen)
		err[0] = '\0';
	if (cluster && cl_parse_cluster(cluster, out, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (cl_parse_interface(json_object_array_get_idx(list, i), out, err, errlen) < 0)
			goto fail;
	for (size_t i = 0; i < out->n_reths; i++) {
		const struct cl_reth_cfg *r = &out->reths[i];
		if (!r->rg) {
			snprintf(err, errlen,
			         "interfaces %s: a redundant-parent with no "
			         "redundant-ether-options redundancy-group",
			         r->name);
			goto fail;
		}
		bool found = false;
		for (size_t g = 0; g < out->n_groups; g++)
			found |= out->groups[g].id == r->rg;
		if (!found) {
			snprintf(
			        err, errlen,
			        "interfaces %s: redundancy-group %u is not configured under chassis "
			        "cluster",
			        r->name, r->rg);
			goto fail;
		}
	}
	if (out->n_reths > 1)
		qsort(out->reths, out->n_reths, sizeof(*out->reths), cl_reth_cmp);
	return 0;
fail:
	cl_conf_free(out);
	cl_conf_defaults(out);
	return -1;
}

void cl_conf_rg(const struct cl_conf *c, struct rg_cluster_cfg *out)
{
	memset(out, 0, sizeof(*out));
	out->hb_interval_ms = c->hb_interval_ms;
	out->hb_threshold = c->hb_threshold;
	out->control_link_recovery = c->control_link_recovery;
	out->activeness_probe = c->n_active > 0;
	out->boot_hold_ms = 0;
	out->n_groups = c->n_groups;
	out->groups = c->groups;
}

const struct cl_reth_cfg *cl_conf_reth(const struct cl_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_reths; i++)
		if (strcmp(c->reths[i].name, name) == 0)
			return &c->reths[i];
	return NULL;
}

/* ------------------------------------------------------------ daemon side */

int cl_config_validate(struct clusterd *cl, struct json_object *cfg, char *err, size_t errlen)
{
	struct cl_conf c;
	struct rg_cluster_cfg rc;
	struct rg_engine *scratch;
	int rc_ok;

	(void)cl;
	if (cl_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	/* The engine's own range checks, on a scratch engine, so validate and apply agree. */
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch) {
		cl_conf_free(&c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rg_engine_init(scratch, 0, 0);
	cl_conf_rg(&c, &rc);
	rc_ok = rg_engine_configure(scratch, &rc, 0, err, errlen);
	rg_engine_free(scratch);
	free(scratch);
	cl_conf_free(&c);
	return rc_ok;
}

static bool cl_fab_changed(const struct cl_conf *a, const struct cl_conf *b, uint8_t node)
{
	if (a->n_fab[node] != b->n_fab[node])
		return true;
	return memcmp(a->fab[node], b->fab[node], sizeof(a->fab[node])) != 0;
}

int cl_config_change(struct clusterd *cl, struct json_object *old, struct json_object *cfg,
                     char *err, size_t errlen)
{
	struct cl_conf c;
	struct cl_conf *o = &cl->conf;
	struct rg_cluster_cfg rc;
	uint64_t now = mono_ms();

	(void)old; /* the parsed previous config is cl->conf */
	if (cl_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	bool reboot = false;
	if (cl->enabled) {
		if (!cl->engine_booted && c.n_groups) {
			/*
			 * The boot hold (rg.c: no two primaries at a simultaneous start) counts
			 * from the engine's boot, and must start when we start sending, i.e.
			 * now that groups and links exist, not at process start: a config that
			 * arrives late would otherwise find the hold over before the first
			 * heartbeat went out.
			 */
			rg_engine_free(cl->engine);
			rg_engine_init(cl->engine, cl->id.node_id, now);
			cl->engine_booted = true;
			reboot = true;
		}
		cl_conf_rg(&c, &rc);
		if (rg_engine_configure(cl->engine, &rc, now, err, errlen) < 0) {
			cl_conf_free(&c);
			return -1;
		}
	}
	bool key = o->keylen != c.keylen || memcmp(o->key, c.key, c.keylen) != 0;
	bool timers = o->hb_interval_ms != c.hb_interval_ms;
	bool links = memcmp(o->ctl_if, c.ctl_if, sizeof(c.ctl_if)) != 0 ||
	             memcmp(o->ctl_cfg, c.ctl_cfg, sizeof(c.ctl_cfg)) != 0 ||
	             cl_fab_changed(o, &c, 0) || cl_fab_changed(o, &c, 1);

	cl_conf_free(o);
	*o = c;
	log_debugf(CL_DEBUG_CONFIG,
	           "config: cluster %s, %zu groups, %zu reths, interval %u ms x %u%s%s%s",
	           c.cluster ? "yes" : "no", c.n_groups, c.n_reths, c.hb_interval_ms,
	           c.hb_threshold, key ? ", new key" : "", timers ? ", new interval" : "",
	           links ? ", links changed" : "");
	if (!cl->enabled)
		return 0;
	if (key || !cl->auth.session_id) {
		/* Same session and counter: the peer's replay window must not see a restart. */
		uint64_t sid = cl->auth.session_id, ctr = cl->auth.counter;
		hb_auth_free(&cl->auth);
		if (hb_auth_init(&cl->auth, c.keylen ? c.key : NULL, c.keylen, sid) != HB_OK) {
			snprintf(err, errlen, "authentication-key: cannot set up HMAC-SHA256");
			return -1;
		}
		cl->auth.counter = ctr;
		if (key)
			log_info("heartbeat authentication %s",
			         c.keylen ? "key configured" : "off (no key)");
	}
	if (links || reboot)
		cl_io_reconcile(cl);
	if (timers || !cl->hb_timer.init)
		cl_io_rearm(cl);
	int rc_sub = cl_subsystems_apply(cl, err, errlen);
	cl_drain(cl);
	return rc_sub;
}

static int cl_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct clusterd *cl = arg; /* lib/daemon.c passes d->priv */

	return cl->pi->config_validate(cl, cfg, err, errlen);
}

static int cl_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                        size_t errlen)
{
	struct clusterd *cl = arg;

	return cl->pi->config_change(cl, old, cfg, err, errlen);
}

const struct cfg_ops cl_cfg_ops = {
        .validate = cl_cfg_validate,
        .apply = cl_cfg_apply,
};
