/*
 * reth interfaces on this node (reth.h has the API and the model).
 *
 * Realization, chosen by experiment on the test kernel (veth lower devices):
 *  - macvlan mode private on the child link, created with the virtual MAC. passthru does
 *    not work for us: the macvlan takes the lower device's MAC and ignores the one asked
 *    for, and changing it would rewrite the child's MAC. private keeps the child's own MAC
 *    and puts the virtual MAC on the reth; it also keeps two macvlans on one lower from
 *    talking to each other, which we never want.
 *  - The child carries no layer 3 (Junos: a reth child is a member, not an interface of its
 *    own): IPv6 off on it (no link-local, so no DAD / RS / MLD from the child MAC) and
 *    arp_ignore 8 (never answer ARP). Without the latter the child answers ARP for the reth's
 *    addresses with its own MAC (arp_ignore 0 answers for any local address on any
 *    interface), and hosts would learn the node's physical MAC instead of the virtual one;
 *    seen in the experiment. The previous values are restored when the reth goes away.
 *  - IPv6 DAD off on the reth (accept_dad 0): both nodes own the same addresses by design,
 *    and a tentative address would delay the first NA and traffic by ~1 s after failover.
 *  - Inactive = admin down and every address removed: a down macvlan neither receives nor
 *    sends (the root test proves it on the wire).
 *
 * A reth named rethN that already exists as a macvlan on the right child with the right MAC
 * (clusterd restarted) is adopted, inactive until the engine's next action says primary: the
 * node may have been declared lost meanwhile and the peer may own the group now. Adopted
 * reths are deleted at shutdown like created ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <sys/socket.h>

#include "daemons/clusterd/reth.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/nl.h"

struct reth {
	struct reth_table *t;
	struct reth_cfg cfg;
	uint8_t mac[6];
	int ifindex; /* 0: not realized (no child link yet, or it failed) */
	bool active;
	unsigned garp_count;
	struct timer repeat; /* the second burst */
	bool repeat_init;
	/* child link sysctls we changed, to restore */
	bool child_tuned;
	char child_tuned_name[RETH_NAMSIZ];
	char old_arp_ignore[16], old_disable_ipv6[16];
	struct reth_status st; /* counters */
};

struct reth_table {
	struct plat *p;
	struct event_base *base;
	struct nl_cmd *nl;
	uint8_t cluster_id;
	size_t n;
	struct reth *r[RETH_MAX];
	bool rg_active[RETH_MAX_RG];
	uint8_t rg_garp[RETH_MAX_RG];
};

void reth_vmac(uint8_t cluster_id, uint8_t index, uint8_t mac[6])
{
	/* DESIGN.md §3 Cluster, notes cluster.md §1 (12.1X45 and later): octet 5 is the cluster
	 * id with its nibbles swapped; cluster 1 reth0 -> 00:10:db:ff:10:00. */
	mac[0] = 0x00;
	mac[1] = 0x10;
	mac[2] = 0xdb;
	mac[3] = 0xff;
	mac[4] = (uint8_t)((cluster_id << 4) | (cluster_id >> 4));
	mac[5] = index;
}

/* ------------------------------------------------------------ sysctls */

static void sysctl_path(char *buf, size_t len, const char *fam, const char *ifname,
                        const char *knob)
{
	char name[RETH_NAMSIZ];

	/* a dot in an interface name is a slash in /proc/sys (sysctl.d(5)) */
	snprintf(name, sizeof(name), "%s", ifname);
	for (char *c = name; *c; c++)
		if (*c == '.')
			*c = '/';
	snprintf(buf, len, "/proc/sys/net/%s/conf/%s/%s", fam, name, knob);
}

static int sysctl_rw(const char *fam, const char *ifname, const char *knob, char *old,
                     size_t oldlen, const char *val)
{
	char path[160];
	int fd, e;
	ssize_t n;

	sysctl_path(path, sizeof(path), fam, ifname, knob);
	if (old) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, old, oldlen - 1);
		e = errno;
		close(fd);
		if (n < 0)
			return -e;
		old[n] = 0;
		old[strcspn(old, "\n")] = 0;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	return n < 0 ? -e : 0;
}

static void child_tune(struct reth *r)
{
	int e;

	if (r->child_tuned)
		return;
	e = sysctl_rw("ipv4", r->cfg.child, "arp_ignore", r->old_arp_ignore,
	              sizeof(r->old_arp_ignore), "8");
	if (e < 0) {
		log_warnx("reth %s: child %s arp_ignore: %s", r->cfg.name, r->cfg.child,
		          strerror(-e));
		return;
	}
	e = sysctl_rw("ipv6", r->cfg.child, "disable_ipv6", r->old_disable_ipv6,
	              sizeof(r->old_disable_ipv6), "1");
	if (e < 0) /* a kernel without IPv6: nothing to silence */
		snprintf(r->old_disable_ipv6, sizeof(r->old_disable_ipv6), "%s", "");
	r->child_tuned = true;
	snprintf(r->child_tuned_name, sizeof(r->child_tuned_name), "%s", r->cfg.child);
}

static void child_restore(struct reth *r)
{
	if (!r->child_tuned)
		return;
	/* the child may be gone (ENOENT): nothing to restore then */
	sysctl_rw("ipv4", r->child_tuned_name, "arp_ignore", NULL, 0, r->old_arp_ignore);
	if (r->old_disable_ipv6[0])
		sysctl_rw("ipv6", r->child_tuned_name, "disable_ipv6", NULL, 0,
		          r->old_disable_ipv6);
	r->child_tuned = false;
}

/* ------------------------------------------------------------ kernel objects */

static int macvlan_create(struct reth *r, int lower)
{
	struct rtnl_link *l = rtnl_link_macvlan_alloc();
	struct nl_addr *a = NULL;
	struct nl_msg *msg = NULL;
	int e;

	if (!l)
		return -ENOMEM;
	a = nl_addr_build(AF_LLC, r->mac, sizeof(r->mac));
	if (!a) {
		e = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(l, r->cfg.name);
	rtnl_link_set_link(l, lower);
	rtnl_link_set_addr(l, a);
	if (rtnl_link_macvlan_set_mode(l, MACVLAN_MODE_PRIVATE) < 0 ||
	    rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg) < 0) {
		e = -ENOMEM;
		goto out;
	}
	e = nl_cmd_exchange(r->t->nl, msg, NULL, NULL);
	if (e < 0)
		log_warnx("reth %s: create macvlan: %s %s", r->cfg.name, strerror(-e),
		          nl_cmd_errmsg(r->t->nl));
out:
	if (msg)
		nlmsg_free(msg);
	nl_addr_put(a);
	rtnl_link_put(l);
	return e;
}

struct addr_walk {
	int ifindex;
	size_t n;
	struct plat_addr a[RETH_MAX_ADDR * 2 + 8];
};

static int addr_collect(void *arg, const struct plat_addr *a)
{
	struct addr_walk *w = arg;

	if (a->ifindex != w->ifindex || w->n == sizeof(w->a) / sizeof(w->a[0]))
		return 0;
	w->a[w->n++] = *a;
	return 0;
}

static bool prefix_equal(const struct plat_prefix *a, const struct plat_prefix *b)
{
	return a->len == b->len && plat_ip_equal(&a->ip, &b->ip);
}

static bool is_ll6(const struct plat_prefix *p)
{
	return p->ip.family == AF_INET6 && p->ip.bytes[0] == 0xfe &&
	       (p->ip.bytes[1] & 0xc0) == 0x80;
}

/*
 * Makes the kernel's addresses on the reth the configured ones (want = true) or none (false).
 * The kernel's own IPv6 link-local stays while active: it comes and goes with the link.
 */
static int addrs_sync(struct reth *r, bool want)
{
	struct addr_walk w = {.ifindex = r->ifindex};
	int rc = 0, e;

	e = plat_addr_list(r->t->p, 0, addr_collect, &w);
	if (e < 0)
		return e;
	for (size_t i = 0; i < w.n; i++) {
		bool keep = false;
		if (want) {
			keep = is_ll6(&w.a[i].prefix);
			for (size_t j = 0; j < r->cfg.n_addr && !keep; j++)
				keep = prefix_equal(&w.a[i].prefix, &r->cfg.addr[j]);
		}
		if (keep)
			continue;
		e = plat_addr_del(r->t->p, &w.a[i]);
		if (e < 0 && e != -EADDRNOTAVAIL && !rc)
			rc = e;
	}
	if (!want)
		return rc;
	for (size_t j = 0; j < r->cfg.n_addr; j++) {
		bool have = false;
		struct plat_addr a = {.ifindex = r->ifindex, .prefix = r->cfg.addr[j]};
		for (size_t i = 0; i < w.n && !have; i++)
			have = prefix_equal(&w.a[i].prefix, &r->cfg.addr[j]);
		if (have)
			continue;
		e = plat_addr_add(r->t->p, &a);
		if (e < 0 && e != -EEXIST) {
			char s[INET6_ADDRSTRLEN + 4];
			log_warnx("reth %s: add %s: %s %s", r->cfg.name,
			          plat_prefix_str(&a.prefix, s, sizeof(s)), strerror(-e),
			          plat_errmsg(r->t->p));
			if (!rc)
				rc = e;
		}
	}
	return rc;
}

/* ------------------------------------------------------------ GARP / NA bursts */

static void ll6_from_mac(const uint8_t mac[6], uint8_t out[16])
{
	/* RFC 4291 §2.5.1 / Appendix A: modified EUI-64 (universal/local bit inverted) */
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

static int burst(struct reth *r)
{
	uint8_t f[GARP_FRAME_MAX];
	unsigned count = r->garp_count ? r->garp_count : RETH_GARP_DEF;
	bool any6 = false;
	int fd, rc = 0;

	if (!r->active || r->ifindex <= 0)
		return -EAGAIN;
	fd = garp_socket(r->ifindex);
	if (fd < 0) {
		log_warnx("reth %s: packet socket: %s", r->cfg.name, strerror(-fd));
		r->st.errors++;
		return fd;
	}
	for (unsigned k = 0; k < count; k++) {
		for (size_t i = 0; i < r->cfg.n_addr; i++) {
			const struct plat_ip *ip = &r->cfg.addr[i].ip;
			size_t n;
			int e;
			if (ip->family == AF_INET) {
				uint32_t a;
				memcpy(&a, ip->bytes, 4);
				n = garp_build_arp(f, sizeof(f), r->mac, a);
			} else {
				any6 = true;
				n = garp_build_na(f, sizeof(f), r->mac, ip->bytes);
			}
			e = garp_send(fd, r->ifindex, f, n);
			if (e < 0) {
				r->st.errors++;
				if (!rc)
					rc = e;
			} else if (ip->family == AF_INET) {
				r->st.garps++;
			} else {
				r->st.nas++;
			}
		}
		/* hosts that route via the reth's link-local (router advertisements) cache it too
		 */
		if (any6) {
			uint8_t ll[16];
			ll6_from_mac(r->mac, ll);
			if (garp_send(fd, r->ifindex, f, garp_build_na(f, sizeof(f), r->mac, ll)) ==
			    0)
				r->st.nas++;
			else
				r->st.errors++;
		}
	}
	close(fd);
	r->st.bursts++;
	if (rc < 0)
		log_warnx("reth %s: GARP burst: %s", r->cfg.name, strerror(-rc));
	return rc;
}

static void repeat_cb(void *arg)
{
	burst(arg);
}

static int announce(struct reth *r)
{
	int rc = burst(r);

	if (rc != -EAGAIN && r->repeat_init)
		timer_add_ms(&r->repeat, RETH_GARP_REPEAT_MS);
	return rc;
}

/* ------------------------------------------------------------ state */

/* Brings the kernel in line with r->active. */
static int apply(struct reth *r, bool announce_now)
{
	int rc = 0, e;

	if (r->ifindex <= 0)
		return -ENODEV;
	if (r->active) {
		e = plat_link_set_admin(r->t->p, r->ifindex, true);
		if (e < 0)
			rc = e;
		e = addrs_sync(r, true);
		if (e < 0 && !rc)
			rc = e;
		if (announce_now)
			announce(r);
	} else {
		if (r->repeat_init)
			timer_del(&r->repeat);
		/* down first: nothing leaves while the addresses go */
		e = plat_link_set_admin(r->t->p, r->ifindex, false);
		if (e < 0)
			rc = e;
		e = addrs_sync(r, false);
		if (e < 0 && !rc)
			rc = e;
	}
	if (rc < 0)
		r->st.errors++;
	return rc;
}

/* Creates or adopts the macvlan; then applies the state. 0, or -errno (-ENODEV: no child). */
static int realize(struct reth *r)
{
	struct plat_link child, cur;
	int e;

	if (r->ifindex > 0) {
		/* still there, and still the same object? (deleted with its child, re-created) */
		if (plat_link_get(r->t->p, r->ifindex, &cur) == 0 && !strcmp(cur.name, r->cfg.name))
			return 0;
		r->ifindex = 0;
	}
	if (!r->cfg.child[0])
		return 0;
	e = plat_link_get_by_name(r->t->p, r->cfg.child, &child);
	if (e < 0)
		return e;
	e = plat_link_get_by_name(r->t->p, r->cfg.name, &cur);
	if (e == 0) {
		if (!strcmp(cur.kind, "macvlan") && cur.link == child.ifindex && cur.has_mac &&
		    !memcmp(cur.mac, r->mac, 6)) {
			r->ifindex = cur.ifindex;
			/*
			 * Restarted daemon: the macvlan stays (no re-creation), but it serves only
			 * once the engine says primary again. Inheriting its admin state kept a
			 * reth left up by a killed clusterd active next to a peer that had taken
			 * the group over (tests/topo/test_cluster_split.py); the fence (fence.h)
			 * normally downs it first anyway.
			 */
			log_info("reth %s: adopted existing macvlan on %s", r->cfg.name,
			         r->cfg.child);
		} else if (!strcmp(cur.kind, "macvlan")) {
			plat_link_del(r->t->p, cur.ifindex);
		} else {
			log_warnx("reth %s: a %s link of that name exists; not touching it",
			          r->cfg.name, cur.kind[0] ? cur.kind : "physical");
			return -EEXIST;
		}
	}
	if (r->ifindex <= 0) {
		e = macvlan_create(r, child.ifindex);
		if (e < 0)
			return e;
		e = plat_link_get_by_name(r->t->p, r->cfg.name, &cur);
		if (e < 0)
			return e;
		r->ifindex = cur.ifindex;
		log_info("reth %s: macvlan on %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", r->cfg.name,
		         r->cfg.child, r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4],
		         r->mac[5]);
	}
	if (sysctl_rw("ipv6", r->cfg.name, "accept_dad", NULL, 0, "0") < 0)
		log_debug("reth %s: accept_dad not set (no IPv6?)", r->cfg.name);
	child_tune(r);
	/* the reth's carrier follows its lower device's */
	if (!child.admin_up)
		plat_link_set_admin(r->t->p, child.ifindex, true);
	return apply(r, r->active);
}

static void unrealize(struct reth *r)
{
	if (r->repeat_init)
		timer_del(&r->repeat);
	if (r->ifindex > 0) {
		struct plat_link cur;
		if (plat_link_get(r->t->p, r->ifindex, &cur) == 0 &&
		    !strcmp(cur.name, r->cfg.name) && !strcmp(cur.kind, "macvlan"))
			plat_link_del(r->t->p, r->ifindex);
		r->ifindex = 0;
	}
	child_restore(r);
}

static void reth_free(struct reth *r)
{
	unrealize(r);
	free(r);
}

struct reth_table *reth_table_new(struct plat *p, struct event_base *base)
{
	struct reth_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->p = p;
	t->base = base;
	t->nl = nl_cmd_open();
	if (!t->nl) {
		int e = errno;
		free(t);
		errno = e;
		return NULL;
	}
	return t;
}

void reth_table_free(struct reth_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		reth_free(t->r[i]);
	nl_cmd_close(t->nl);
	free(t);
}

static bool name_ok(const char *s)
{
	size_t n = strnlen(s, RETH_NAMSIZ);
	return n > 0 && n < RETH_NAMSIZ && !strchr(s, '/') && !strchr(s, ' ');
}

static int validate(uint8_t cluster_id, const struct reth_cfg *cfg, size_t n, char *err,
                    size_t errlen)
{
	if (cluster_id == 0) {
		snprintf(err, errlen, "cluster-id 0: clustering is disabled");
		return -1;
	}
	if (n > RETH_MAX) {
		snprintf(err, errlen, "more than %d reth interfaces", RETH_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct reth_cfg *c = &cfg[i];
		if (!name_ok(c->name) || (c->child[0] && !name_ok(c->child))) {
			snprintf(err, errlen, "reth %zu: bad interface name", i);
			return -1;
		}
		if (c->index >= RETH_MAX || c->rg >= RETH_MAX_RG || c->n_addr > RETH_MAX_ADDR) {
			snprintf(err, errlen,
			         "%s: index, redundancy group or address count out of range",
			         c->name);
			return -1;
		}
		for (size_t k = 0; k < c->n_addr; k++)
			if (c->addr[k].ip.family != AF_INET && c->addr[k].ip.family != AF_INET6) {
				snprintf(err, errlen, "%s: address %zu has no family", c->name, k);
				return -1;
			}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(cfg[j].name, c->name) || cfg[j].index == c->index) {
				snprintf(err, errlen, "%s: configured twice (name or index)",
				         c->name);
				return -1;
			}
			if (c->child[0] && !strcmp(cfg[j].child, c->child)) {
				snprintf(err, errlen, "%s: child %s already belongs to %s", c->name,
				         c->child, cfg[j].name);
				return -1;
			}
		}
	}
	return 0;
}

static bool addrs_equal(const struct reth_cfg *a, const struct reth_cfg *b)
{
	if (a->n_addr != b->n_addr)
		return false;
	for (size_t i = 0; i < a->n_addr; i++)
		if (!prefix_equal(&a->addr[i], &b->addr[i]))
			return false;
	return true;
}

static struct reth *reth_new(struct reth_table *t, const struct reth_cfg *c)
{
	struct reth *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->t = t;
	r->cfg = *c;
	reth_vmac(t->cluster_id, c->index, r->mac);
	r->active = t->rg_active[c->rg];
	r->garp_count = t->rg_garp[c->rg];
	if (t->base) {
		timer_init(&r->repeat, t->base, repeat_cb, r);
		r->repeat_init = true;
	}
	return r;
}

int reth_table_update(struct reth_table *t, uint8_t cluster_id, const struct reth_cfg *cfg,
                      size_t n, char *err, size_t errlen)
{
	struct reth *next[RETH_MAX];
	bool used[RETH_MAX] = {false}, fresh[RETH_MAX] = {false};

	if (validate(cluster_id, cfg, n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct reth_cfg *c = &cfg[i];
		struct reth *r = NULL;
		for (size_t j = 0; j < t->n && !r; j++)
			if (!used[j] && !strcmp(t->r[j]->cfg.name, c->name)) {
				r = t->r[j];
				used[j] = true;
			}
		if (r && (cluster_id != t->cluster_id || r->cfg.index != c->index ||
		          strcmp(r->cfg.child, c->child))) {
			/* a new MAC or another lower device: a different macvlan */
			unrealize(r);
			r->cfg = *c;
			reth_vmac(cluster_id, c->index, r->mac);
		} else if (r && !addrs_equal(&r->cfg, c)) {
			r->cfg = *c;
			if (r->active && r->ifindex > 0) {
				addrs_sync(r, true);
				announce(r);
			}
		} else if (r) {
			r->cfg = *c; /* only the RG may differ */
		}
		if (!r) {
			/* cluster_id below is the new one: reth_new reads t->cluster_id */
			uint8_t old = t->cluster_id;
			t->cluster_id = cluster_id;
			r = reth_new(t, c);
			t->cluster_id = old;
			if (!r) {
				/* nothing is realized before the loop ends: fresh ones just go */
				for (size_t k = 0; k < i; k++)
					if (fresh[k])
						free(next[k]);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			fresh[i] = true;
		}
		next[i] = r;
	}
	for (size_t j = 0; j < t->n; j++)
		if (!used[j])
			reth_free(t->r[j]);
	t->cluster_id = cluster_id;
	memcpy(t->r, next, n * sizeof(next[0]));
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		struct reth *r = t->r[i];
		bool want = t->rg_active[r->cfg.rg];
		if (r->ifindex > 0 && r->active != want) {
			r->active = want;
			r->garp_count = t->rg_garp[r->cfg.rg];
			apply(r, want);
		} else if (r->ifindex <= 0) {
			r->active = want;
			r->garp_count = t->rg_garp[r->cfg.rg];
			realize(r);
		}
	}
	return 0;
}

void reth_table_refresh(struct reth_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		realize(t->r[i]);
}

int reth_set_active(struct reth *r, bool active, unsigned garp_count)
{
	bool was = r->active;

	r->garp_count = garp_count > RETH_GARP_MAX ? RETH_GARP_MAX : garp_count;
	r->active = active;
	if (r->ifindex <= 0) {
		int e = realize(r);
		return e < 0 ? e : 0;
	}
	/* already primary: re-assert the kernel state, but a repeated PRIMARY is no new burst */
	return apply(r, active && !was);
}

int reth_table_set_rg(struct reth_table *t, uint8_t rg, bool active, unsigned garp_count)
{
	int rc = 0;

	if (rg >= RETH_MAX_RG)
		return -EINVAL;
	t->rg_active[rg] = active;
	t->rg_garp[rg] = (uint8_t)(garp_count > RETH_GARP_MAX ? RETH_GARP_MAX : garp_count);
	for (size_t i = 0; i < t->n; i++) {
		if (t->r[i]->cfg.rg != rg)
			continue;
		int e = reth_set_active(t->r[i], active, garp_count);
		if (e < 0 && !rc)
			rc = e;
	}
	return rc;
}

int reth_announce(struct reth *r)
{
	if (!r->active || r->ifindex <= 0)
		return -EAGAIN;
	return announce(r);
}

int reth_table_announce_rg(struct reth_table *t, uint8_t rg)
{
	int rc = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->r[i]->cfg.rg != rg || !t->r[i]->active)
			continue;
		int e = reth_announce(t->r[i]);
		if (e < 0 && !rc)
			rc = e;
	}
	return rc;
}

struct reth *reth_table_find(struct reth_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->r[i]->cfg.name, name))
			return t->r[i];
	return NULL;
}

void reth_get_status(const struct reth *r, struct reth_status *out)
{
	struct plat_link l;

	*out = r->st;
	snprintf(out->name, sizeof(out->name), "%s", r->cfg.name);
	snprintf(out->child, sizeof(out->child), "%s", r->cfg.child);
	out->index = r->cfg.index;
	out->rg = r->cfg.rg;
	memcpy(out->mac, r->mac, 6);
	out->active = r->active;
	out->ifindex = r->ifindex;
	out->present = false;
	out->up = false;
	if (r->ifindex > 0 && plat_link_get(r->t->p, r->ifindex, &l) == 0) {
		out->present = true;
		out->up = l.admin_up && l.carrier &&
		          (l.oper == PLAT_OPER_UP || l.oper == PLAT_OPER_UNKNOWN);
	}
}

uint32_t reth_ipv4_source(const struct reth *r, uint32_t dst)
{
	uint32_t first = 0;

	for (size_t i = 0; i < r->cfg.n_addr; i++) {
		const struct plat_prefix *p = &r->cfg.addr[i];
		uint32_t a, mask;
		if (p->ip.family != AF_INET)
			continue;
		memcpy(&a, p->ip.bytes, 4);
		if (!first)
			first = a;
		mask = p->len ? htonl(~0u << (32 - p->len)) : 0;
		if (((a ^ dst) & mask) == 0)
			return a;
	}
	return first;
}

size_t reth_table_status(const struct reth_table *t, struct reth_status *out, size_t max)
{
	for (size_t i = 0; i < t->n && i < max; i++)
		reth_get_status(t->r[i], &out[i]);
	return t->n;
}

int reth_ifindex(const struct reth *r)
{
	return r->ifindex;
}

const uint8_t *reth_mac(const struct reth *r)
{
	return r->mac;
}

const char *reth_child(const struct reth *r)
{
	return r->cfg.child;
}

bool reth_is_active(const struct reth *r)
{
	return r->active;
}
