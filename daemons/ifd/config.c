/*
 * The `interfaces` configuration, applied to the kernel as a diff (Junos
 * dcd's job; DESIGN.md §3 "Config", STYLE.md "A daemon applies a diff").
 *
 * Three steps, the middle one pure so that it is unit-tested without a
 * kernel:
 *   ifd_conf_parse()   RFC 7951 JSON -> struct ifd_conf (what is wanted)
 *   ifd_plan_build()   (old conf, new conf, kernel state) -> actions
 *   ifd_plan_exec()    actions -> platform API, in one netlink batch
 *
 * What ifd manages per interface: description (ifalias), mtu, disable
 * (admin state) and the family inet / inet6 addresses of unit 0. Other
 * units carry a vlan-id (802.1Q sub-interfaces, vland's), family
 * ethernet-switching is vland's, and reth*, fab* and irb are clusterd's and
 * vland's own interfaces: ifd leaves all of those alone.
 *
 * Diff rules: on commit only what the config changed is touched; an
 * address in both the old and the new config is never removed and re-added;
 * an address the config never held (IPv6 link-local, one added by hand) is
 * never removed. An interface missing from the kernel is not an error (Junos
 * accepts config for absent hardware): its config is applied when the link
 * appears, and after a monitor resync the whole wanted state is asserted
 * again; both write nothing when the kernel already matches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ifd/ifd.h"
#include "lib/cfg.h"
#include "lib/log.h"

/* RFC 8200 §5: IPv6 needs a link MTU of at least 1280; Linux disables IPv6
 * on (and removes every IPv6 address from) a device with a lower MTU. */
#define IFD_IPV6_MIN_MTU 1280

static const char *const ifd_act_names[] = {
        [IFD_ACT_ADDR_DEL] = "address delete", [IFD_ACT_MTU] = "mtu",
        [IFD_ACT_ALIAS] = "description",       [IFD_ACT_ADDR_ADD] = "address add",
        [IFD_ACT_ADMIN] = "admin state",
};

const char *ifd_act_type_name(enum ifd_act_type t)
{
	if ((unsigned)t < sizeof(ifd_act_names) / sizeof(ifd_act_names[0]) && ifd_act_names[t])
		return ifd_act_names[t];
	return "?";
}

bool ifd_config_owned(const char *name)
{
	size_t i;

	if (strcmp(name, "irb") == 0)
		return false;
	/* rethN belongs to clusterd, fabN to clusterd (fabric), as in the YANG. */
	if (strncmp(name, "reth", 4) == 0)
		i = 4;
	else if (strncmp(name, "fab", 3) == 0)
		i = 3;
	else
		return true;
	if (!name[i])
		return true;
	for (; name[i]; i++)
		if (name[i] < '0' || name[i] > '9')
			return true;
	return false;
}

/* ------------------------------------------------------------ parsing */

void ifd_conf_free(struct ifd_conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ifs[i].addrs);
	free(c->ifs);
	c->ifs = NULL;
	c->n = 0;
}

const struct ifd_want *ifd_conf_find(const struct ifd_conf *c, const char *name)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->ifs[i].name, name) == 0)
			return &c->ifs[i];
	return NULL;
}

static bool ifd_unit_is_zero(struct json_object *unit)
{
	struct json_object *name = cfg_get(unit, "name");

	/* unit-number is a uint32: a JSON number in RFC 7951 §6.1; accept the
	 * string form too, as a lenient reader. */
	if (!name)
		return false;
	if (json_object_is_type(name, json_type_int))
		return json_object_get_int64(name) == 0;
	if (json_object_is_type(name, json_type_string))
		return strcmp(json_object_get_string(name), "0") == 0;
	return false;
}

static int ifd_want_addrs(struct ifd_want *w, struct json_object *fam, int af, char *err,
                          size_t errlen)
{
	struct json_object *list = fam ? cfg_get(fam, "address") : NULL;
	size_t n;

	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "interfaces %s unit 0 family %s address: not a list", w->name,
		         af == AF_INET ? "inet" : "inet6");
		return -1;
	}
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		const char *s = cfg_get_str(json_object_array_get_idx(list, i), "name");
		struct plat_prefix p;
		struct plat_prefix *grown;

		if (!s || plat_prefix_parse(s, &p) < 0 || p.ip.family != af) {
			snprintf(
			        err, errlen,
			        "interfaces %s unit 0 family %s address %s: not an %s address/length",
			        w->name, af == AF_INET ? "inet" : "inet6", s ? s : "(none)",
			        af == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
		grown = reallocarray(w->addrs, w->n_addrs + 1, sizeof(*grown));
		if (!grown) {
			snprintf(err, errlen, "interfaces %s: out of memory", w->name);
			return -1;
		}
		w->addrs = grown;
		w->addrs[w->n_addrs++] = p;
	}
	return 0;
}

static int ifd_want_parse(struct json_object *o, struct ifd_want *w, char *err, size_t errlen)
{
	const char *name = cfg_get_str(o, "name");
	const char *desc = cfg_get_str(o, "description");
	struct json_object *mtu = cfg_get(o, "mtu");
	struct json_object *units = cfg_get(o, "unit");
	bool has_inet6 = false;

	if (!name || !*name || strlen(name) >= sizeof(w->name)) {
		snprintf(err, errlen,
		         "interfaces %s: not a Linux interface name (at most %d characters)",
		         name ? name : "(none)", PLAT_IFNAMSIZ - 1);
		return -1;
	}
	memcpy(w->name, name, strlen(name) + 1);
	if (desc) {
		/* The YANG allows 900 characters (Junos); Linux keeps IFALIASZ - 1. */
		if (strlen(desc) >= sizeof(w->desc)) {
			snprintf(
			        err, errlen,
			        "interfaces %s description: %zu bytes, Linux keeps at most %d (IFALIASZ)",
			        name, strlen(desc), PLAT_ALIASSIZ - 1);
			return -1;
		}
		memcpy(w->desc, desc, strlen(desc) + 1);
		w->has_desc = true;
	}
	w->disable = cfg_get_bool(o, "disable");
	if (mtu) {
		int64_t v = json_object_get_int64(mtu);

		if (!json_object_is_type(mtu, json_type_int) || v < 68 || v > 65535) {
			snprintf(err, errlen, "interfaces %s mtu: not in 68..65535", name);
			return -1;
		}
		w->mtu = (uint32_t)v;
	}
	if (units && json_object_is_type(units, json_type_array)) {
		size_t n = json_object_array_length(units);

		for (size_t i = 0; i < n; i++) {
			struct json_object *u = json_object_array_get_idx(units, i);
			struct json_object *fam = cfg_get(u, "family");
			struct json_object *inet6 = fam ? cfg_get(fam, "inet6") : NULL;

			if (!ifd_unit_is_zero(u))
				continue; /* vlan-id units: 802.1Q sub-interfaces, not ifd's */
			if (ifd_want_addrs(w, fam ? cfg_get(fam, "inet") : NULL, AF_INET, err,
			                   errlen) < 0 ||
			    ifd_want_addrs(w, inet6, AF_INET6, err, errlen) < 0)
				return -1;
			has_inet6 = inet6 != NULL;
		}
	}
	if (has_inet6 && w->mtu && w->mtu < IFD_IPV6_MIN_MTU) {
		snprintf(
		        err, errlen,
		        "interfaces %s mtu %u: family inet6 needs at least %d (RFC 8200 section 5)",
		        name, w->mtu, IFD_IPV6_MIN_MTU);
		return -1;
	}
	return 0;
}

int ifd_conf_parse(struct json_object *cfg, struct ifd_conf *out, char *err, size_t errlen)
{
	struct json_object *top, *list;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!cfg)
		return 0;
	/* Accept the whole tree, {"keel-interfaces:interfaces": {...}}, or the
	 * container itself, {"interface": [...]}. */
	top = cfg_get(cfg, "interfaces");
	if (!top)
		top = cfg;
	list = cfg_get(top, "interface");
	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "interfaces: 'interface' is not a list");
		return -1;
	}
	n = json_object_array_length(list);
	out->ifs = calloc(n ? n : 1, sizeof(*out->ifs));
	if (!out->ifs) {
		snprintf(err, errlen, "interfaces: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct ifd_want w = {0};

		if (ifd_want_parse(json_object_array_get_idx(list, i), &w, err, errlen) < 0) {
			free(w.addrs);
			ifd_conf_free(out);
			return -1;
		}
		if (!ifd_config_owned(w.name)) {
			free(w.addrs);
			continue;
		}
		out->ifs[out->n++] = w;
	}
	return 0;
}

/* ------------------------------------------------------------ the plan */

void ifd_plan_free(struct ifd_plan *p)
{
	free(p->acts);
	memset(p, 0, sizeof(*p));
}

static struct ifd_act *ifd_plan_push(struct ifd_plan *p, enum ifd_act_type type,
                                     const struct plat_link *l)
{
	struct ifd_act *a;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct ifd_act *n = reallocarray(p->acts, cap, sizeof(*n));

		if (!n)
			return NULL;
		p->acts = n;
		p->cap = cap;
	}
	a = &p->acts[p->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->ifindex = l->ifindex;
	memcpy(a->ifname, l->name, sizeof(a->ifname));
	return a;
}

static bool ifd_prefix_eq(const struct plat_prefix *a, const struct plat_prefix *b)
{
	return a->len == b->len && plat_ip_equal(&a->ip, &b->ip);
}

static bool ifd_want_has(const struct ifd_want *w, const struct plat_prefix *p)
{
	for (size_t i = 0; w && i < w->n_addrs; i++)
		if (ifd_prefix_eq(&w->addrs[i], p))
			return true;
	return false;
}

static bool ifd_kernel_has(const struct ifd_kstate *k, int ifindex, const struct plat_prefix *p)
{
	for (size_t i = 0; i < k->n_addrs; i++)
		if (k->addrs[i].ifindex == ifindex && ifd_prefix_eq(&k->addrs[i].prefix, p))
			return true;
	return false;
}

static const struct plat_link *ifd_kernel_link(const struct ifd_kstate *k, const char *name)
{
	for (size_t i = 0; i < k->n_links; i++)
		if (strcmp(k->links[i].name, name) == 0)
			return &k->links[i];
	return NULL;
}

/* Actions for one interface. `o` is what the previous apply wanted, NULL
 * when it was not configured then or when everything in `n` is asserted
 * again (link appeared, resync); `n` is NULL when it left the config. */
static int ifd_plan_iface(const struct ifd_want *o, const struct ifd_want *n,
                          const struct plat_link *l, const struct ifd_kstate *k, struct ifd_plan *p)
{
	struct ifd_act *a;
	bool fresh = !o; /* every wanted attribute counts as changed */
	bool up_now;

	/* Removed managed addresses first, so that a changed prefix length
	 * (one IPv6 address, two lengths) can be re-added. Only addresses the
	 * previous config held: the kernel's own (link-local) and those added
	 * by hand are not ifd's to remove. */
	for (size_t i = 0; o && i < o->n_addrs; i++) {
		if (ifd_want_has(n, &o->addrs[i]) || !ifd_kernel_has(k, l->ifindex, &o->addrs[i]))
			continue;
		if (!(a = ifd_plan_push(p, IFD_ACT_ADDR_DEL, l)))
			return -1;
		a->prefix = o->addrs[i];
	}
	if (!n) {
		/* The interface left the config: drop what ifd put there that is
		 * not hardware state. MTU and admin state stay as they are, as a
		 * Junos box keeps a port's last state rather than guessing a
		 * default; the operator sets them by hand or in config. The
		 * description is cleared only if it is still the one ifd set. */
		if (o && o->has_desc && strcmp(l->alias, o->desc) == 0) {
			if (!(a = ifd_plan_push(p, IFD_ACT_ALIAS, l)))
				return -1;
			memcpy(a->old_alias, l->alias, sizeof(a->old_alias));
		}
		return 0;
	}
	/* mtu: unset leaves the kernel's value alone (see the YANG). */
	if (n->mtu && (fresh || o->mtu != n->mtu) && l->mtu != n->mtu) {
		if (!(a = ifd_plan_push(p, IFD_ACT_MTU, l)))
			return -1;
		a->mtu = n->mtu;
		a->old_mtu = l->mtu;
	}
	if (n->has_desc) {
		if ((fresh || !o->has_desc || strcmp(o->desc, n->desc) != 0) &&
		    strcmp(l->alias, n->desc) != 0) {
			if (!(a = ifd_plan_push(p, IFD_ACT_ALIAS, l)))
				return -1;
			memcpy(a->alias, n->desc, sizeof(a->alias));
			memcpy(a->old_alias, l->alias, sizeof(a->old_alias));
		}
	} else if (o && o->has_desc && strcmp(l->alias, o->desc) == 0) {
		if (!(a = ifd_plan_push(p, IFD_ACT_ALIAS, l)))
			return -1;
		memcpy(a->old_alias, l->alias, sizeof(a->old_alias));
	}
	/* Linux flushes a link's IPv6 addresses when it goes admin down
	 * (net.ipv6.conf.*.keep_addr_on_down = 0, the default), so a link
	 * that comes up gets all of its addresses asserted, not just the
	 * changed ones. */
	up_now = !n->disable && !l->admin_up;
	for (size_t i = 0; i < n->n_addrs; i++) {
		if (!fresh && !up_now && ifd_want_has(o, &n->addrs[i]))
			continue; /* unchanged by the commit: never touched */
		if (ifd_kernel_has(k, l->ifindex, &n->addrs[i]))
			continue;
		if (!(a = ifd_plan_push(p, IFD_ACT_ADDR_ADD, l)))
			return -1;
		a->prefix = n->addrs[i];
	}
	/* Configured without `disable` means up (Junos). Last, so that the
	 * link comes up with its MTU and addresses in place. */
	if ((fresh || o->disable != n->disable) && l->admin_up == n->disable) {
		if (!(a = ifd_plan_push(p, IFD_ACT_ADMIN, l)))
			return -1;
		a->up = !n->disable;
	}
	return 0;
}

int ifd_plan_build(const struct ifd_conf *old, const struct ifd_conf *cur,
                   const struct ifd_kstate *k, const char *only, struct ifd_plan *p)
{
	/* Interfaces in the new config, then those only in the old one. */
	for (size_t i = 0; cur && i < cur->n; i++) {
		const struct ifd_want *n = &cur->ifs[i];
		const struct plat_link *l;

		if (only && strcmp(only, n->name) != 0)
			continue;
		/* Absent from the kernel: applied when the link appears. */
		if (!(l = ifd_kernel_link(k, n->name)))
			continue;
		if (ifd_plan_iface(ifd_conf_find(old, n->name), n, l, k, p) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; old && i < old->n; i++) {
		const struct ifd_want *o = &old->ifs[i];
		const struct plat_link *l;

		if ((only && strcmp(only, o->name) != 0) || ifd_conf_find(cur, o->name))
			continue;
		if (!(l = ifd_kernel_link(k, o->name)))
			continue;
		if (ifd_plan_iface(o, NULL, l, k, p) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------ kernel state */

void ifd_kstate_free(struct ifd_kstate *k)
{
	free(k->links);
	free(k->addrs);
	memset(k, 0, sizeof(*k));
}

static int ifd_kstate_add_link(struct plat *plat, struct ifd_kstate *k, const char *name)
{
	struct plat_link l, *grown;
	int rc;

	if (ifd_kernel_link(k, name))
		return 0;
	rc = plat_link_get_by_name(plat, name, &l);
	if (rc == -ENODEV)
		return 0;
	if (rc < 0)
		return rc;
	grown = reallocarray(k->links, k->n_links + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	k->links = grown;
	k->links[k->n_links++] = l;
	return 0;
}

static int ifd_kstate_add_addr(void *arg, const struct plat_addr *a)
{
	struct ifd_kstate *k = arg;
	struct plat_addr *grown;
	size_t i;

	for (i = 0; i < k->n_links; i++)
		if (k->links[i].ifindex == a->ifindex)
			break;
	if (i == k->n_links)
		return 0;
	grown = reallocarray(k->addrs, k->n_addrs + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	k->addrs = grown;
	k->addrs[k->n_addrs++] = *a;
	return 0;
}

int ifd_kstate_load(struct plat *plat, const struct ifd_conf *old, const struct ifd_conf *cur,
                    const char *only, struct ifd_kstate *k)
{
	const struct ifd_conf *confs[2] = {old, cur};
	int rc = 0;

	memset(k, 0, sizeof(*k));
	for (size_t c = 0; c < 2 && rc == 0; c++)
		for (size_t i = 0; confs[c] && i < confs[c]->n && rc == 0; i++)
			if (!only || strcmp(only, confs[c]->ifs[i].name) == 0)
				rc = ifd_kstate_add_link(plat, k, confs[c]->ifs[i].name);
	if (rc == 0 && k->n_links)
		rc = plat_addr_list(plat, 0, ifd_kstate_add_addr, k);
	if (rc != 0) {
		ifd_kstate_free(k);
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------ execution */

struct ifd_exec {
	const struct ifd_plan *plan;
	int *errs; /* per action, 0 = done */
	char (*msgs)[128];
};

static void ifd_exec_err(void *arg, size_t index, int err, const char *errmsg)
{
	struct ifd_exec *x = arg;

	if (index >= x->plan->n)
		return;
	x->errs[index] = err;
	snprintf(x->msgs[index], sizeof(x->msgs[index]), "%s", errmsg ? errmsg : "");
}

static int ifd_act_do(struct plat *plat, const struct ifd_act *a)
{
	struct plat_addr pa = {.ifindex = a->ifindex, .prefix = a->prefix};

	switch (a->type) {
	case IFD_ACT_ADDR_DEL:
		return plat_addr_del(plat, &pa);
	case IFD_ACT_MTU:
		return plat_link_set_mtu(plat, a->ifindex, a->mtu);
	case IFD_ACT_ALIAS:
		return plat_link_set_alias(plat, a->ifindex, a->alias);
	case IFD_ACT_ADDR_ADD:
		return plat_addr_add(plat, &pa);
	case IFD_ACT_ADMIN:
		return plat_link_set_admin(plat, a->ifindex, a->up);
	}
	return -EINVAL;
}

/* Already as wanted: a race with someone else, not a failure. */
static bool ifd_act_err_benign(const struct ifd_act *a, int err)
{
	return (a->type == IFD_ACT_ADDR_ADD && err == -EEXIST) ||
	       (a->type == IFD_ACT_ADDR_DEL && err == -EADDRNOTAVAIL);
}

static void ifd_act_log(const struct ifd_act *a)
{
	char buf[INET6_ADDRSTRLEN + 4];

	switch (a->type) {
	case IFD_ACT_ADDR_DEL:
	case IFD_ACT_ADDR_ADD:
		log_info("%s: address %s %s", a->ifname,
		         plat_prefix_str(&a->prefix, buf, sizeof(buf)),
		         a->type == IFD_ACT_ADDR_ADD ? "added" : "removed");
		break;
	case IFD_ACT_MTU:
		log_info("%s: mtu %u -> %u", a->ifname, a->old_mtu, a->mtu);
		break;
	case IFD_ACT_ALIAS:
		log_info("%s: description \"%s\" -> \"%s\"", a->ifname, a->old_alias, a->alias);
		break;
	case IFD_ACT_ADMIN:
		log_info("%s: admin %s", a->ifname, a->up ? "up" : "down (disable)");
		break;
	}
}

static void ifd_act_describe(const struct ifd_act *a, char *buf, size_t len)
{
	char p[INET6_ADDRSTRLEN + 4];

	switch (a->type) {
	case IFD_ACT_ADDR_DEL:
	case IFD_ACT_ADDR_ADD:
		snprintf(buf, len, "%s %s", ifd_act_type_name(a->type),
		         plat_prefix_str(&a->prefix, p, sizeof(p)));
		break;
	case IFD_ACT_MTU:
		snprintf(buf, len, "mtu %u", a->mtu);
		break;
	case IFD_ACT_ALIAS:
		snprintf(buf, len, "description");
		break;
	case IFD_ACT_ADMIN:
		snprintf(buf, len, "admin %s", a->up ? "up" : "down");
		break;
	}
}

int ifd_plan_exec(struct plat *plat, const struct ifd_plan *plan, char *err, size_t errlen)
{
	struct ifd_exec x = {.plan = plan};
	size_t used = 0, failed = 0;
	bool batched;
	int rc = 0;

	if (errlen)
		err[0] = '\0';
	if (!plan->n)
		return 0;
	x.errs = calloc(plan->n, sizeof(*x.errs));
	x.msgs = calloc(plan->n, sizeof(*x.msgs));
	if (!x.errs || !x.msgs) {
		snprintf(err, errlen, "interfaces: out of memory");
		rc = -1;
		goto out;
	}
	/* One batch: the writes go out together and their acks come back in
	 * bulk; a failure of one does not stop the others. */
	batched = plat_batch_begin(plat) == 0;
	for (size_t i = 0; i < plan->n; i++) {
		int e = ifd_act_do(plat, &plan->acts[i]);

		if (e < 0) {
			x.errs[i] = e;
			snprintf(x.msgs[i], sizeof(x.msgs[i]), "%s",
			         batched ? "" : plat_errmsg(plat));
		}
	}
	if (batched) {
		int n = plat_batch_commit(plat, ifd_exec_err, &x);

		if (n < 0) {
			snprintf(err, errlen, "interfaces: netlink: %s", strerror(-n));
			rc = -1;
			goto out;
		}
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct ifd_act *a = &plan->acts[i];
		char what[64];
		int w;

		if (!x.errs[i]) {
			ifd_act_log(a);
			continue;
		}
		if (ifd_act_err_benign(a, x.errs[i])) {
			log_debug("%s: %s: already done", a->ifname, ifd_act_type_name(a->type));
			continue;
		}
		failed++;
		ifd_act_describe(a, what, sizeof(what));
		log_warnx("%s: %s: %s%s%s", a->ifname, what, strerror(-x.errs[i]),
		          x.msgs[i][0] ? ": " : "", x.msgs[i]);
		if (used >= errlen)
			continue;
		w = snprintf(err + used, errlen - used, "%sinterfaces %s %s: %s%s%s",
		             used ? "; " : "", a->ifname, what, strerror(-x.errs[i]),
		             x.msgs[i][0] ? ": " : "", x.msgs[i]);
		if (w > 0)
			used += (size_t)w;
	}
	rc = failed ? -1 : 0;
out:
	free(x.errs);
	free(x.msgs);
	return rc;
}

/* ------------------------------------------------------------ the daemon */

static int ifd_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct ifd_conf c;

	(void)arg;
	if (ifd_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	ifd_conf_free(&c);
	return 0;
}

/* Plans (old -> cur) against the kernel as it is now, and executes. */
static int ifd_config_run(struct ifd *ifd, const struct ifd_conf *old, const struct ifd_conf *cur,
                          const char *only, char *err, size_t errlen)
{
	struct ifd_kstate k;
	struct ifd_plan plan = {0};
	int rc = ifd_kstate_load(ifd->plat, old, cur, only, &k);

	if (rc < 0) {
		snprintf(err, errlen, "interfaces: cannot read the kernel's links: %s",
		         strerror(-rc));
		return -1;
	}
	rc = ifd_plan_build(old, cur, &k, only, &plan);
	if (rc < 0)
		snprintf(err, errlen, "interfaces: out of memory");
	else
		rc = ifd_plan_exec(ifd->plat, &plan, err, errlen);
	ifd_plan_free(&plan);
	ifd_kstate_free(&k);
	return rc;
}

static int ifd_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                         size_t errlen)
{
	struct ifd *ifd = arg; /* lib/daemon.c passes d->priv */
	struct ifd_conf o, n;
	int rc;

	if (ifd_conf_parse(cfg, &n, err, errlen) < 0)
		return -1;
	/* The previous config was applied, so it parses; if it somehow does
	 * not, assert the new one in full rather than guess a diff. */
	if (ifd_conf_parse(old, &o, err, errlen) < 0) {
		log_warnx("interfaces: previous config unreadable (%s); applying in full", err);
		rc = ifd_config_run(ifd, NULL, &n, NULL, err, errlen);
	} else {
		rc = ifd_config_run(ifd, &o, &n, NULL, err, errlen);
		ifd_conf_free(&o);
	}
	/* What is wanted now, whatever part of it failed: a link that appears
	 * or a resync applies it again. */
	ifd_conf_free(&ifd->conf);
	ifd->conf = n;
	ifd->have_conf = true;
	return rc;
}

void ifd_config_reapply(struct ifd *ifd, const char *name)
{
	char err[512];

	if (!ifd->have_conf || (name && !ifd_conf_find(&ifd->conf, name)))
		return;
	if (ifd_config_run(ifd, NULL, &ifd->conf, name, err, sizeof(err)) < 0)
		log_warnx("re-applying the interfaces config: %s", err);
}

void ifd_config_free(struct ifd *ifd)
{
	ifd_conf_free(&ifd->conf);
	ifd->have_conf = false;
}

const struct cfg_ops ifd_cfg_ops = {
        .validate = ifd_cfg_validate,
        .apply = ifd_cfg_apply,
};
