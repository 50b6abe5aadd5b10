/*
 * The switch on the Linux bridge (keel-node --dataplane linux): the same
 * model as sw.c applies to Open vSwitch, through the platform API
 * (platform/platform.h: plat_bridge_vlan_filtering, plat_bridge_vlan_add /
 * _del, plat_vlan_dev_add, plat_fdb_list), so it runs against any plat
 * back-end and is unit-tested against a fake one.
 *
 * With VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING) there is one
 * VLAN-aware bridge, VLAND_BRIDGE, default_pvid 0 (a new port is in no VLAN
 * until vland says so; notes §10):
 *   access port A in VLAN N     -> {N, PVID, untagged}
 *   trunk members M             -> {M} tagged (runs as ranges)
 *   trunk native-vlan-id N      -> {N, PVID, untagged}
 *   IRB irb.N                   -> bridge self VLAN {N} + 802.1Q device
 *                                  "irb.N" on the bridge (CONFIG_VLAN_8021Q)
 * Only ports whose VLAN set changed get calls (the applied set is kept per
 * port), so re-applying an unchanged config sends nothing.
 *
 * Without VLAN filtering (this project's test kernels) VLANs can still be
 * kept apart for untagged traffic the classic way, one plain bridge per
 * VLAN: VLAND_BRIDGE_PFX<N> ("keel10") holds the access ports of VLAN N and
 * the trunks whose native VLAN is N; tagged trunk membership and IRBs
 * cannot be done and are reported (vland_lx.error, naming the kernel
 * option), and the daemon keeps switching what it can. The MAC table comes
 * from each bridge's FDB dump, which works on any bridge.
 *
 * 802.1X on this back-end: an unauthorized port is a "locked" bridge port
 * (IFLA_BRPORT_LOCKED, Linux 5.18), which passes EAPOL up and forwards only
 * sources with an FDB entry on the port: what it learned while open is
 * flushed on locking, and each authorized MAC (multiple-supplicant mode)
 * gets a static entry. On the VLAN-aware bridge that entry would need its
 * VLAN (NDA_VLAN), which struct plat_neigh cannot carry yet: per-MAC
 * admission is reported as not done there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <linux/neighbour.h>

#include "daemons/vland/vland_lx.h"
#include "lib/log.h"

static int vland_lx_vlan_cmp(const struct plat_bridge_vlan *a, size_t na,
                             const struct plat_bridge_vlan *b, size_t nb)
{
	if (na != nb)
		return 1;
	for (size_t i = 0; i < na; i++)
		if (a[i].vid != b[i].vid || a[i].vid_end != b[i].vid_end ||
		    a[i].pvid != b[i].pvid || a[i].untagged != b[i].untagged)
			return 1;
	return 0;
}

size_t vland_lx_port_vlans(const struct vlan_port *p, uint16_t access, struct plat_bridge_vlan *out,
                           size_t cap)
{
	size_t n = 0;

	if (p->mode == VLAN_PORT_MODE_ACCESS) {
		if (cap && access)
			out[n++] = (struct plat_bridge_vlan){
			        .vid = access, .pvid = true, .untagged = true};
		return n;
	}
	if (p->native && n < cap)
		out[n++] =
		        (struct plat_bridge_vlan){.vid = p->native, .pvid = true, .untagged = true};
	/* Runs of tagged members as RANGE_BEGIN/END pairs (if_bridge.h): a
	 * 1-4094 trunk is one entry, not 4094. */
	for (uint32_t v = VLAN_ID_MIN; v <= VLAN_ID_MAX && n < cap; v++) {
		uint32_t e = v;

		if (!ovs_vlan_set_has(&p->vlans, (uint16_t)v) || v == p->native)
			continue;
		while (e + 1 <= VLAN_ID_MAX && ovs_vlan_set_has(&p->vlans, (uint16_t)(e + 1)) &&
		       e + 1 != p->native)
			e++;
		out[n++] = (struct plat_bridge_vlan){.vid = (uint16_t)v,
		                                     .vid_end = e > v ? (uint16_t)e : 0};
		v = e;
	}
	return n;
}

static struct vland_lx_port *vland_lx_port_get(struct vland_lx *lx, const char *name, bool add)
{
	struct vland_lx_port *g;

	for (size_t i = 0; i < lx->n_ports; i++)
		if (!strcmp(lx->ports[i].name, name))
			return &lx->ports[i];
	if (!add)
		return NULL;
	g = reallocarray(lx->ports, lx->n_ports + 1, sizeof(*g));
	if (!g)
		return NULL;
	lx->ports = g;
	g = &lx->ports[lx->n_ports++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return g;
}

static void vland_lx_port_drop(struct vland_lx *lx, size_t i)
{
	free(lx->ports[i].vlans);
	free(lx->ports[i].macs);
	memmove(&lx->ports[i], &lx->ports[i + 1], (lx->n_ports - i - 1) * sizeof(*lx->ports));
	lx->n_ports--;
}

/* Records why something is not programmed; the first reason per apply is
 * kept (show vlans, status) and each distinct one is logged once. */
static void vland_lx_fail(struct vland_lx *lx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void vland_lx_fail(struct vland_lx *lx, const char *fmt, ...)
{
	char buf[sizeof(lx->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!lx->error[0])
		snprintf(lx->error, sizeof(lx->error), "%s", buf);
	/* logged once while it lasts: lx->logged holds the reasons already
	 * logged, one per line, until an apply has none */
	if (!strstr(lx->logged, buf)) {
		size_t used = strlen(lx->logged);

		log_warnx("linux bridge: %s", buf);
		if (used + strlen(buf) + 2 < sizeof(lx->logged))
			snprintf(lx->logged + used, sizeof(lx->logged) - used, "%s\n", buf);
	}
}

/* The bridge `name` (created, admin up, when missing). ifindex or -errno. */
static int vland_lx_bridge(struct plat *p, const char *name)
{
	struct plat_link l;
	int r;

	if (plat_link_get_by_name(p, name, &l) < 0) {
		if ((r = plat_link_add_bridge(p, name)) < 0 && r != -EEXIST)
			return r;
		if ((r = plat_link_get_by_name(p, name, &l)) < 0)
			return r;
	}
	if (!l.admin_up && (r = plat_link_set_admin(p, l.ifindex, true)) < 0)
		return r;
	return l.ifindex;
}

static void vland_lx_bridge_del(struct plat *p, const char *name)
{
	struct plat_link l;

	if (plat_link_get_by_name(p, name, &l) == 0 && !strcmp(l.kind, "bridge"))
		plat_link_del(p, l.ifindex);
}

static int vland_lx_enslave(struct plat *p, struct vland_lx_port *g, const struct plat_link *l,
                            int br)
{
	int r;

	if (l->master == br)
		return 0;
	r = plat_bridge_enslave(p, l->ifindex, br);
	if (r < 0) {
		log_warnx("linux bridge: %s: enslave: %s", l->name, strerror(-r));
		return r;
	}
	/* a new bridge port: default flags (unlocked), no VLANs (default_pvid 0),
	 * no FDB entries (they went with the old bridge port) */
	g->n_macs = 0;
	g->stale = false;
	g->locked = false;
	g->vlans_done = false;
	return 0;
}

/* 802.1X: unauthorized = locked (only EAPOL goes up, notes §3). */
static bool vland_lx_mac_has(const struct vland_lx_port *g, const uint8_t *mac)
{
	for (size_t i = 0; i < g->n_macs; i++)
		if (!memcmp(g->macs[i], mac, 6))
			return true;
	return false;
}

/* A static FDB entry for mac on the port ("bridge fdb add MAC dev P master
 * static"): on a locked port the kernel forwards only sources that have
 * one pointing at the port (br_handle_frame_finish, Linux 5.18). */
static int vland_lx_fdb_set(struct plat *p, const struct plat_link *l, const uint8_t *mac, bool add)
{
	struct plat_neigh n = {.ifindex = l->ifindex,
	                       .ip = {.family = AF_BRIDGE},
	                       .has_lladdr = true,
	                       .state = NUD_NOARP,
	                       .flags = NTF_MASTER};

	memcpy(n.lladdr, mac, 6);
	return add ? plat_neigh_set(p, &n) : plat_neigh_del(p, &n);
}

/* Multiple-supplicant mode: each authorized MAC of a locked port gets its
 * FDB entry, a revoked one loses it. Only on plain bridges: a VLAN-aware
 * bridge matches the entry's VLAN too, which plat_neigh cannot carry. */
static void vland_lx_macs(struct vland_lx *lx, struct plat *p, const struct vland_auths *t,
                          struct vland_lx_port *g, const struct plat_link *l)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n_macs; i++) {
		const struct vland_auth *e = vland_auths_find(t, g->name, g->macs[i]);

		if (g->locked && e && e->state == VLAND_AUTH_AUTHORIZED) {
			memmove(g->macs[k++], g->macs[i], 6);
			continue;
		}
		vland_lx_fdb_set(p, l, g->macs[i], false);
	}
	g->n_macs = k;
	if (!g->locked)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const struct vland_auth *e = &t->a[i];
		uint8_t(*m)[6];
		int r;

		if (!e->has_mac || e->state != VLAND_AUTH_AUTHORIZED || strcmp(e->port, g->name) ||
		    vland_lx_mac_has(g, e->mac))
			continue;
		if (lx->filtering == 1) {
			vland_lx_fail(lx,
			              "%s: per-MAC admission is not done on the VLAN-aware bridge "
			              "(the FDB entry would need its VLAN)",
			              g->name);
			return;
		}
		if ((r = vland_lx_fdb_set(p, l, e->mac, true)) < 0) {
			vland_lx_fail(lx, "%s: FDB entry: %s", g->name, strerror(-r));
			continue;
		}
		if (!(m = reallocarray(g->macs, g->n_macs + 1, sizeof(*m))))
			continue;
		g->macs = m;
		memcpy(g->macs[g->n_macs++], e->mac, 6);
	}
}

struct vland_lx_learned {
	int port;
	size_t n;
	uint8_t macs[256][6];
};

static int vland_lx_learned_one(void *arg, const struct plat_fdb *f)
{
	struct vland_lx_learned *w = arg;

	if (f->ifindex == w->port && !(f->state & (NUD_PERMANENT | NUD_NOARP)) &&
	    w->n < sizeof(w->macs) / sizeof(w->macs[0]))
		memcpy(w->macs[w->n++], f->mac, 6);
	return 0;
}

/* A locked port forwards a source that has an FDB entry on it, learned ones
 * included (br_handle_frame_finish): what the port learned while open must
 * go, or its hosts would keep passing until the entries age out. */
static void vland_lx_flush_learned(struct plat *p, const struct plat_link *l)
{
	struct vland_lx_learned *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	w->port = l->ifindex;
	if (l->master && plat_fdb_list(p, l->master, vland_lx_learned_one, w) == 0)
		for (size_t i = 0; i < w->n; i++)
			vland_lx_fdb_set(p, l, w->macs[i], false);
	free(w);
}

static void vland_lx_auth(struct vland_lx *lx, struct plat *p, const struct vland_auths *t,
                          struct vland_lx_port *g, const struct plat_link *l)
{
	const struct vland_auth *e = vland_auths_find(t, g->name, NULL);
	int want = e && e->state == VLAND_AUTH_UNAUTHORIZED;
	int r;

	if (g->locked != want) {
		r = plat_port_authorize(p, l->ifindex, want, false);
		if (r < 0) {
			vland_lx_fail(lx, "%s: port lock: %s%s%s", g->name, strerror(-r),
			              plat_errmsg(p)[0] ? ": " : "", plat_errmsg(p));
			return;
		}
		g->locked = want;
		if (want)
			vland_lx_flush_learned(p, l);
	}
	vland_lx_macs(lx, p, t, g, l);
}

/* The VLAN set of a port on the VLAN-aware bridge: delete what was there
 * (PVID moves need it), add the new set. */
static int vland_lx_set_vlans(struct vland_lx *lx, struct plat *p, struct vland_lx_port *g,
                              const struct plat_link *l, const struct plat_bridge_vlan *want,
                              size_t n)
{
	struct plat_bridge_vlan *copy;
	int r;

	if (g->stale) {
		/* adopted: whatever VLANs an earlier vland left go first (the
		 * kernel skips VIDs of the range the port is not in) */
		struct plat_bridge_vlan all = {.vid = VLAN_ID_MIN, .vid_end = VLAN_ID_MAX};

		if ((r = plat_bridge_vlan_del(p, l->ifindex, &all, 1, false)) < 0 && r != -ENOENT) {
			vland_lx_fail(lx, "%s: VLAN delete: %s", g->name, strerror(-r));
			return r;
		}
		g->stale = false;
		g->vlans_done = true;
		g->n_vlans = 0;
	}
	if (g->vlans_done && !vland_lx_vlan_cmp(g->vlans, g->n_vlans, want, n))
		return 0;
	if (g->vlans_done && g->n_vlans &&
	    (r = plat_bridge_vlan_del(p, l->ifindex, g->vlans, g->n_vlans, false)) < 0 &&
	    r != -ENOENT) {
		vland_lx_fail(lx, "%s: VLAN delete: %s", g->name, strerror(-r));
		return r;
	}
	g->vlans_done = false;
	g->n_vlans = 0;
	if (n && (r = plat_bridge_vlan_add(p, l->ifindex, want, n, false)) < 0) {
		vland_lx_fail(lx, "%s: VLANs: %s%s%s", g->name, strerror(-r),
		              plat_errmsg(p)[0] ? ": " : "", plat_errmsg(p));
		return r;
	}
	copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, want, n * sizeof(*copy));
	free(g->vlans);
	g->vlans = copy;
	g->n_vlans = n;
	g->vlans_done = true;
	return 0;
}

/* IRB irb.N on the VLAN-aware bridge: the bridge itself is a tagged member
 * of N (self), and an 802.1Q device on it carries the addresses. */
static int vland_lx_irbs(struct vland_lx *lx, struct plat *p, const struct vlan_model *m, int br)
{
	int rc = 0;

	for (size_t i = 0; i < m->n_irbs; i++) {
		const struct vlan_irb *irb = &m->irbs[i];
		struct plat_bridge_vlan sv = {.vid = irb->vlan_id};
		struct plat_link l;
		int r;

		if (!ovs_vlan_set_has(&lx->self_done, irb->vlan_id)) {
			if ((r = plat_bridge_vlan_add(p, br, &sv, 1, true)) < 0) {
				vland_lx_fail(lx, "%s: bridge VLAN %u: %s", irb->name, irb->vlan_id,
				              strerror(-r));
				rc = r;
				continue;
			}
			ovs_vlan_set_add(&lx->self_done, irb->vlan_id);
		}
		if (plat_link_get_by_name(p, irb->name, &l) == 0)
			continue;
		r = plat_vlan_dev_add(p, irb->name, br, irb->vlan_id);
		if (r < 0 && r != -EEXIST) {
			vland_lx_fail(lx, "%s: %s%s%s", irb->name, strerror(-r),
			              plat_errmsg(p)[0] ? ": " : "", plat_errmsg(p));
			rc = r;
		}
	}
	/* self VLANs of IRBs the config dropped (their devices go with the
	 * bridge's VLAN: delete them too) */
	for (uint32_t vid = VLAN_ID_MIN; vid <= VLAN_ID_MAX; vid++) {
		struct plat_bridge_vlan sv = {.vid = (uint16_t)vid};
		bool keep = false;
		char name[VLAN_IFNAMSIZ + 8];
		struct plat_link l;

		if (!ovs_vlan_set_has(&lx->self_done, (uint16_t)vid))
			continue;
		for (size_t i = 0; i < m->n_irbs && !keep; i++)
			keep = m->irbs[i].vlan_id == vid;
		if (keep)
			continue;
		snprintf(name, sizeof(name), "irb.%u", vid);
		if (plat_link_get_by_name(p, name, &l) == 0 && !strcmp(l.kind, "vlan"))
			plat_link_del(p, l.ifindex);
		plat_bridge_vlan_del(p, br, &sv, 1, true);
		lx->self_done.bits[vid >> 3] &= (uint8_t) ~(1u << (vid & 7));
	}
	return rc;
}

/* The bridge a port belongs to in plain-bridge mode: its access VLAN's, or
 * a trunk's native VLAN's; 0 = none (a trunk without native VLAN). */
static uint16_t vland_lx_plain_vlan(const struct vlan_port *p, uint16_t access)
{
	return p->mode == VLAN_PORT_MODE_ACCESS ? access : p->native;
}

void vland_lx_bridge_name(uint16_t vid, char *buf, size_t len)
{
	if (vid)
		snprintf(buf, len, "%s%u", VLAND_BRIDGE_PFX, vid);
	else
		snprintf(buf, len, "%s", VLAND_BRIDGE);
}

/* Releases every port vland enslaved and deletes its bridges. */
static void vland_lx_clear(struct vland_lx *lx, struct plat *p)
{
	while (lx->n_ports) {
		struct vland_lx_port *g = &lx->ports[lx->n_ports - 1];
		struct plat_link l;

		if (plat_link_get_by_name(p, g->name, &l) == 0) {
			if (g->locked)
				plat_port_authorize(p, l.ifindex, false, false);
			if (l.master)
				plat_bridge_enslave(p, l.ifindex, 0);
		}
		vland_lx_port_drop(lx, lx->n_ports - 1);
	}
	for (uint32_t vid = VLAN_ID_MIN; vid <= VLAN_ID_MAX; vid++) {
		char name[VLAN_IFNAMSIZ + 8];

		if (!ovs_vlan_set_has(&lx->bridges, (uint16_t)vid))
			continue;
		vland_lx_bridge_name((uint16_t)vid, name, sizeof(name));
		vland_lx_bridge_del(p, name);
	}
	memset(&lx->bridges, 0, sizeof(lx->bridges));
	memset(&lx->self_done, 0, sizeof(lx->self_done));
	if (lx->have_main) {
		vland_lx_bridge_del(p, VLAND_BRIDGE); /* takes the IRB devices with it */
		lx->have_main = false;
	}
}

/* "keel0" -> 0, "keel<N>" (N 1..4094, no leading zero) -> N, else -1. */
static int vland_lx_bridge_vid(const char *name)
{
	size_t pl = strlen(VLAND_BRIDGE_PFX);
	unsigned long x;
	char *end;

	if (!strcmp(name, VLAND_BRIDGE))
		return 0;
	if (strncmp(name, VLAND_BRIDGE_PFX, pl) || name[pl] < '1' || name[pl] > '9')
		return -1;
	x = strtoul(name + pl, &end, 10);
	return *end || x > VLAN_ID_MAX ? -1 : (int)x;
}

struct vland_lx_adopt {
	struct vland_lx *lx;
	int br[64]; /* ifindexes of vland's bridges found */
	size_t n_br;
};

static int vland_lx_adopt_bridge(void *arg, const struct plat_link *l)
{
	struct vland_lx_adopt *a = arg;
	int vid;

	if (strcmp(l->kind, "bridge") || (vid = vland_lx_bridge_vid(l->name)) < 0)
		return 0;
	if (vid)
		ovs_vlan_set_add(&a->lx->bridges, (uint16_t)vid);
	else
		a->lx->have_main = true;
	if (a->n_br < sizeof(a->br) / sizeof(a->br[0]))
		a->br[a->n_br++] = l->ifindex;
	return 0;
}

static int vland_lx_adopt_port(void *arg, const struct plat_link *l)
{
	struct vland_lx_adopt *a = arg;

	for (size_t i = 0; i < a->n_br; i++)
		if (l->master == a->br[i]) {
			struct vland_lx_port *g = vland_lx_port_get(a->lx, l->name, true);

			if (g)
				g->stale = true;
			break;
		}
	return 0;
}

/* A restarted vland takes over what an earlier one left (its bridges and
 * their ports), so that what the config no longer has is removed. */
static void vland_lx_adopt(struct vland_lx *lx, struct plat *p)
{
	struct vland_lx_adopt a = {.lx = lx};

	lx->adopted = true;
	if (plat_link_list(p, vland_lx_adopt_bridge, &a) < 0 || !a.n_br)
		return;
	plat_link_list(p, vland_lx_adopt_port, &a);
}

int vland_lx_apply(struct vland_lx *lx, struct plat *p, const struct vlan_model *m,
                   const struct vland_auths *t)
{
	struct plat_bridge_vlan *want = NULL;
	struct ovs_vlan_set used;
	int br = 0, rc = 0, r;

	lx->error[0] = 0;
	if (!lx->adopted)
		vland_lx_adopt(lx, p);
	if (!m->n_ports && !m->n_vlans) {
		vland_lx_clear(lx, p);
		lx->filtering = -1; /* probe again with the next switch config */
		return 0;
	}
	if (lx->filtering != 0) {
		if ((br = vland_lx_bridge(p, VLAND_BRIDGE)) < 0) {
			vland_lx_fail(lx, "bridge %s: %s", VLAND_BRIDGE, strerror(-br));
			return br;
		}
		lx->have_main = true;
	}
	if (lx->filtering < 0) {
		/* default_pvid 0: a port is in no VLAN until vland puts it in
		 * one (notes §10). */
		r = plat_bridge_vlan_filtering(p, br, true, 0);
		if (r == -EOPNOTSUPP) {
			lx->filtering = 0;
			snprintf(lx->nofilter, sizeof(lx->nofilter), "%s",
			         plat_errmsg(p)[0]
			                 ? plat_errmsg(p)
			                 : "bridge VLAN filtering is not available in this "
			                   "kernel (CONFIG_BRIDGE_VLAN_FILTERING)");
			log_warnx(
			        "linux bridge: %s: VLANs are kept apart with one plain bridge per "
			        "VLAN (%sN); tagged trunk members and IRBs are not switched",
			        lx->nofilter, VLAND_BRIDGE_PFX);
			/* keel0 has nothing to do then */
			vland_lx_bridge_del(p, VLAND_BRIDGE);
			lx->have_main = false;
		} else if (r < 0) {
			vland_lx_fail(lx, "bridge %s: vlan_filtering: %s", VLAND_BRIDGE,
			              strerror(-r));
			return r;
		} else {
			lx->filtering = 1;
			log_info("linux bridge %s: VLAN filtering on", VLAND_BRIDGE);
		}
	}
	memset(&used, 0, sizeof(used));
	want = calloc(VLAN_ID_MAX + 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct vlan_port *mp = &m->ports[i];
		uint16_t access = vland_port_vlan(t, mp);
		struct vland_lx_port *g;
		struct plat_link l;
		size_t n;
		int pbr = br;

		if (plat_link_get_by_name(p, mp->name, &l) < 0) {
			rc = -EAGAIN; /* not there yet (ifd, the testbed): retried */
			continue;
		}
		if (!(g = vland_lx_port_get(lx, mp->name, true))) {
			rc = -ENOMEM;
			continue;
		}
		if (!lx->filtering) {
			uint16_t vid = vland_lx_plain_vlan(mp, access);
			char name[VLAN_IFNAMSIZ + 8];

			if (mp->mode == VLAN_PORT_MODE_TRUNK &&
			    ovs_vlan_set_count(&mp->vlans) > (mp->native ? 1u : 0u))
				vland_lx_fail(lx, "%s: tagged trunk members not switched: %s",
				              mp->name, lx->nofilter);
			if (!vid) {
				if (l.master && g->bridge)
					plat_bridge_enslave(p, l.ifindex, 0);
				g->bridge = 0;
				continue;
			}
			vland_lx_bridge_name(vid, name, sizeof(name));
			if ((pbr = vland_lx_bridge(p, name)) < 0) {
				vland_lx_fail(lx, "bridge %s: %s", name, strerror(-pbr));
				rc = pbr;
				continue;
			}
			ovs_vlan_set_add(&used, vid);
			ovs_vlan_set_add(&lx->bridges, vid);
			if (vland_lx_enslave(p, g, &l, pbr) == 0)
				g->bridge = vid;
			vland_lx_auth(lx, p, t, g, &l);
			continue;
		}
		if ((r = vland_lx_enslave(p, g, &l, pbr)) < 0) {
			rc = r;
			continue;
		}
		vland_lx_auth(lx, p, t, g, &l);
		n = vland_lx_port_vlans(mp, access, want, VLAN_ID_MAX + 1);
		if ((r = vland_lx_set_vlans(lx, p, g, &l, want, n)) < 0)
			rc = r == -EOPNOTSUPP ? rc : r;
	}
	free(want);
	/* Ports the config dropped go back to being plain interfaces. */
	for (size_t i = lx->n_ports; i-- > 0;) {
		struct plat_link l;

		if (vlan_model_find_port(m, lx->ports[i].name))
			continue;
		if (plat_link_get_by_name(p, lx->ports[i].name, &l) == 0) {
			if (lx->ports[i].locked)
				plat_port_authorize(p, l.ifindex, false, false);
			if (l.master)
				plat_bridge_enslave(p, l.ifindex, 0);
		}
		vland_lx_port_drop(lx, i);
	}
	if (lx->filtering) {
		if ((r = vland_lx_irbs(lx, p, m, br)) < 0 && r != -EOPNOTSUPP)
			rc = rc ? rc : r;
	} else {
		for (size_t i = 0; i < m->n_irbs; i++)
			vland_lx_fail(lx, "%s: not created: %s", m->irbs[i].name, lx->nofilter);
		for (uint32_t vid = VLAN_ID_MIN; vid <= VLAN_ID_MAX; vid++) {
			char name[VLAN_IFNAMSIZ + 8];

			if (!ovs_vlan_set_has(&lx->bridges, (uint16_t)vid) ||
			    ovs_vlan_set_has(&used, (uint16_t)vid))
				continue;
			vland_lx_bridge_name((uint16_t)vid, name, sizeof(name));
			vland_lx_bridge_del(p, name);
			lx->bridges.bits[vid >> 3] &= (uint8_t) ~(1u << (vid & 7));
		}
	}
	if (!lx->error[0])
		lx->logged[0] = 0; /* all done: a reason that comes back is news */
	return rc;
}

void vland_lx_init(struct vland_lx *lx)
{
	memset(lx, 0, sizeof(*lx));
	lx->filtering = -1;
}

void vland_lx_free(struct vland_lx *lx)
{
	while (lx->n_ports)
		vland_lx_port_drop(lx, lx->n_ports - 1);
	free(lx->ports);
	lx->ports = NULL;
}

/* ------------------------------------------------------------ MAC table */

struct vland_lx_fdb_walk {
	struct plat *p;
	int bridge;
	uint16_t vlan; /* plain-bridge mode: the bridge's VLAN */
	int (*fn)(void *arg, const struct vland_fdb_entry *e);
	void *arg;
};

static int vland_lx_fdb_one(void *arg, const struct plat_fdb *f)
{
	struct vland_lx_fdb_walk *w = arg;
	struct vland_fdb_entry e;
	struct plat_link l;

	/* The bridge's and ports' own addresses (NUD_PERMANENT, "local")
	 * are not learned MACs; entries of other bridges are not ours. */
	if (f->ifindex == w->bridge || (f->master && f->master != w->bridge) ||
	    (f->state & NUD_PERMANENT))
		return 0;
	if (plat_link_get(w->p, f->ifindex, &l) < 0 || l.master != w->bridge)
		return 0;
	memset(&e, 0, sizeof(e));
	e.ofport = -1;
	snprintf(e.port_name, sizeof(e.port_name), "%s", l.name);
	e.vlan = f->vlan ? f->vlan : w->vlan;
	memcpy(e.mac, f->mac, sizeof(e.mac));
	e.is_static = (f->state & NUD_NOARP) != 0;
	return w->fn(w->arg, &e);
}

int vland_lx_fdb(const struct vland_lx *lx, struct plat *p,
                 int (*fn)(void *arg, const struct vland_fdb_entry *e), void *arg)
{
	struct vland_lx_fdb_walk w = {.p = p, .fn = fn, .arg = arg};
	struct plat_link l;
	int r;

	if (lx->have_main) {
		if (plat_link_get_by_name(p, VLAND_BRIDGE, &l) < 0)
			return 0;
		w.bridge = l.ifindex;
		return plat_fdb_list(p, l.ifindex, vland_lx_fdb_one, &w);
	}
	for (uint32_t vid = VLAN_ID_MIN; vid <= VLAN_ID_MAX; vid++) {
		char name[VLAN_IFNAMSIZ + 8];

		if (!ovs_vlan_set_has(&lx->bridges, (uint16_t)vid))
			continue;
		vland_lx_bridge_name((uint16_t)vid, name, sizeof(name));
		if (plat_link_get_by_name(p, name, &l) < 0)
			continue;
		w.bridge = l.ifindex;
		w.vlan = (uint16_t)vid;
		if ((r = plat_fdb_list(p, l.ifindex, vland_lx_fdb_one, &w)) != 0)
			return r;
	}
	return 0;
}
