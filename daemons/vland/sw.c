/*
 * The switch on Open vSwitch: the model (plus dynamic VLANs) -> the ports of
 * bridge VLAND_BRIDGE, reconciled in one OVSDB transaction; IRB addresses
 * on the internal ports; 802.1X admission as OpenFlow flows.
 *
 * Reconcile, never replay: vland_reconcile() compares what it wants with
 * the monitor cache (platform/ovs ports.c) and writes only the difference,
 * one transaction at a time, waiting until vswitchd has applied it
 * (cur_cfg >= next_cfg). It runs after a config apply, a port.auth change,
 * every monitor update (someone else edited OVS), and every (re)connect, so
 * an ovsdb-server restart reconverges by itself; an unchanged config writes
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "daemons/vland/vland_daemon.h"
#include "lib/log.h"
#include "lib/paths.h"

#if defined(__has_include)
#if __has_include("platform/ovs/openflow.h")
#include "platform/ovs/openflow.h"
#define VLAND_HAVE_OF 1
#endif
#endif

int vland_want_build(const struct vlan_model *m, const struct vland_auths *t,
                     struct ovs_port_want **out, size_t *n)
{
	size_t cnt = m->n_ports + m->n_irbs + 1;
	/* one allocation: the wants, then the split ports' patch names */
	struct ovs_port_want *w = calloc(cnt, sizeof(*w) + sizeof(struct vland_split_names));
	struct vland_split_names *names = (struct vland_split_names *)(void *)(w + cnt);
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ports; i++, k++) {
		const struct vlan_port *p = &m->ports[i];

		if (vland_port_split(t, p)) {
			/* the port lives on its own bridge; VLAND_BRIDGE has the
			 * patch end, a trunk of the VLANs its MACs use */
			vland_split_names(p->name, &names[k]);
			w[k].name = names[k].patch_sw;
			w[k].type = "patch";
			w[k].peer = names[k].patch_kp;
			w[k].vlan.mode = OVS_VLAN_MODE_TRUNK;
			vland_port_mac_vlans(t, p, &w[k].vlan.trunks);
			continue;
		}
		w[k].name = p->name;
		vlan_port_to_ovs(p, &w[k].vlan);
		if (p->mode == VLAN_PORT_MODE_ACCESS)
			w[k].vlan.tag = vland_port_vlan(t, p);
	}
	/* An IRB is an access port of its VLAN on the bridge's side: frames of
	 * that VLAN reach the router untagged (ovs-vswitchd.conf.db(5) Port
	 * "tag" on an internal interface). */
	for (size_t i = 0; i < m->n_irbs; i++, k++) {
		w[k].name = m->irbs[i].name;
		w[k].type = "internal";
		w[k].vlan.tag = m->irbs[i].vlan_id;
		w[k].vlan.mode = OVS_VLAN_MODE_ACCESS;
	}
	*out = w;
	*n = k;
	return 0;
}

/* ------------------------------------------------------------ IRB addresses */

static bool vland_irb_has(const struct vlan_irb *r, const char *a)
{
	for (size_t i = 0; r && i < r->n_addrs; i++)
		if (!strcmp(r->addrs[i], a))
			return true;
	return false;
}

static int vland_addr(struct vland *v, int ifindex, const char *s, bool add)
{
	struct plat_addr a;
	int r;

	memset(&a, 0, sizeof(a));
	a.ifindex = ifindex;
	if (plat_prefix_parse(s, &a.prefix) < 0)
		return -EINVAL;
	r = add ? plat_addr_add(v->plat, &a) : plat_addr_del(v->plat, &a);
	if (r == -EEXIST || (!add && (r == -EADDRNOTAVAIL || r == -ENODEV)))
		r = 0;
	if (r < 0)
		log_warnx("address %s %s: %s", add ? "add" : "delete", s, strerror(-r));
	return r;
}

/* Puts the model's IRB addresses on the internal ports vswitchd created
 * and removes those vland put on earlier that the config no longer has. 0,
 * or -EAGAIN when a device is not there yet. */
static int vland_irb_apply(struct vland *v)
{
	const struct vlan_model *m = &v->model;
	struct vlan_irb *done;
	int rc = 0;

	if (!v->plat)
		return 0;
	for (size_t i = 0; i < v->n_irb_done; i++) {
		const struct vlan_irb *old = &v->irb_done[i];
		const struct vlan_irb *now = vlan_model_find_irb(m, old->name);
		struct plat_link l;

		if (!now || plat_link_get_by_name(v->plat, old->name, &l) < 0)
			continue; /* the port went, its addresses with it */
		for (size_t a = 0; a < old->n_addrs; a++)
			if (!vland_irb_has(now, old->addrs[a]))
				vland_addr(v, l.ifindex, old->addrs[a], false);
	}
	for (size_t i = 0; i < m->n_irbs; i++) {
		const struct vlan_irb *r = &m->irbs[i];
		struct plat_link l;

		if (plat_link_get_by_name(v->plat, r->name, &l) < 0) {
			rc = -EAGAIN;
			continue;
		}
		if (!l.admin_up && plat_link_set_admin(v->plat, l.ifindex, true) < 0)
			log_warnx("%s: cannot set it up", r->name);
		/* Always asserted (EEXIST is success): an internal port that
		 * vswitchd re-created has lost them. */
		for (size_t a = 0; a < r->n_addrs; a++)
			vland_addr(v, l.ifindex, r->addrs[a], true);
	}
	done = calloc(m->n_irbs + 1, sizeof(*done));
	if (done) {
		memcpy(done, m->irbs, m->n_irbs * sizeof(*done));
		free(v->irb_done);
		v->irb_done = done;
		v->n_irb_done = m->n_irbs;
	}
	return rc;
}

/* ------------------------------------------------------------ OpenFlow */

static void vland_txn_done(void *arg, int err);

#ifdef VLAND_HAVE_OF
/* The OpenFlow port of `name` on VLAND_BRIDGE; -1 when it is not there
 * (not yet, or moved to its own bridge: ofports are per bridge). */
static int64_t vland_sw_ofport(const struct ovsdb_cache *c, const char *name)
{
	if (!ovs_port_on_bridge(c, VLAND_BRIDGE, name))
		return -1;
	return ovs_iface_ofport(c, name);
}

static void vland_split_push(struct vland *v);

/* Sends only what changed since the last push (per entry: the ofport and
 * state it was set with), so a reconcile that found nothing to do sends
 * nothing either. Setting a port OPEN makes the OpenFlow module forget the
 * port's MAC admissions, so every MAC of a port whose state was set is sent
 * again. A dynamic VLAN shared by a port's MACs is the port's OVSDB tag
 * (vland_port_vlan), so MACs are admitted with vlan 0; a port whose MACs
 * need several VLANs is on its own bridge (vland_split_push), not here. */
void vland_auth_push(struct vland *v)
{
	const struct ovsdb_cache *c;
	char mgmt[VLAND_PATHSIZ + 32];

	if (!v->ovs || !ovsdb_conn_is_ready(v->ovs))
		return;
	c = ovsdb_conn_cache(v->ovs);
	if (!v->of) {
		if (!ovsdb_cache_find(c, "Bridge", "name", VLAND_BRIDGE, NULL))
			return;
		/* vswitchd's per-bridge OpenFlow management socket (notes §9). */
		snprintf(mgmt, sizeof(mgmt), "%s/%s.mgmt", v->rundir, VLAND_BRIDGE);
		v->of = ovs_of_new(v->d->base, mgmt);
		if (!v->of) {
			log_warnx("openflow %s: cannot open", mgmt);
			return;
		}
		/* The bridge is fail_mode=secure (vland_reconcile): its table
		 * starts empty on every vswitchd start, so no port forwards
		 * before keel has put its blocks back; this flow is the
		 * forwarding, installed after them (openflow.h). */
		ovs_of_set_default_normal(v->of, true);
		log_info("forwarding and 802.1X admission through OpenFlow on %s", mgmt);
	}
	/* Ports that are not 802.1X-controlled are OPEN: one managed before
	 * (by an earlier vland, or under another name with the same ofport)
	 * may still carry NO_FWD. */
	for (size_t i = 0; i < v->model.n_ports + v->model.n_irbs; i++) {
		const char *name = i < v->model.n_ports ? v->model.ports[i].name
		                                        : v->model.irbs[i - v->model.n_ports].name;
		const struct vland_auth *e = vland_auths_find(&v->auths, name, NULL);
		int64_t ofport = vland_sw_ofport(c, name);

		if (ofport > 0 && !e)
			ovs_of_port_set(v->of, (uint32_t)ofport, OVS_OF_PORT_OPEN);
	}
	/* A port that got another ofport (re-created, e.g. after a database
	 * restart) first gives the old number back: another port may have it
	 * now. All releases go before any set. */
	for (size_t i = 0; i < v->auths.n; i++) {
		struct vland_auth *e = &v->auths.a[i];
		int64_t ofport = vland_sw_ofport(c, e->port);

		if (e->ofport_done <= 0 || e->ofport_done == ofport)
			continue;
		vland_auth_forget(v, e);
		e->ofport_done = -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < v->auths.n; i++) {
			struct vland_auth *e = &v->auths.a[i];
			int64_t ofport = vland_sw_ofport(c, e->port);
			int want, r;

			if (ofport <= 0 || e->has_mac != (pass == 1))
				continue;
			if (!e->has_mac) {
				want = e->state == VLAND_AUTH_UNAUTHORIZED ? OVS_OF_PORT_EAPOL_ONLY
				                                           : OVS_OF_PORT_OPEN;
				if (e->ofport_done == ofport && e->of_state_done == want)
					continue;
				r = ovs_of_port_set(v->of, (uint32_t)ofport,
				                    (enum ovs_of_port_auth)want);
				/* its MACs go again */
				for (size_t k = 0; k < v->auths.n; k++)
					if (v->auths.a[k].has_mac &&
					    !strcmp(v->auths.a[k].port, e->port))
						v->auths.a[k].ofport_done = -1;
			} else {
				want = e->state == VLAND_AUTH_AUTHORIZED;
				if (e->ofport_done == ofport && e->of_state_done == want)
					continue;
				/* A port about to move to its own bridge (MACs in
				 * several VLANs): a new MAC waits for that bridge
				 * rather than joining the port's current VLAN. */
				if (want &&
				    vland_port_split(&v->auths,
				                     vlan_model_find_port(&v->model, e->port)))
					continue;
				r = ovs_of_mac_set(v->of, (uint32_t)ofport, e->mac, want, 0);
			}
			if (r < 0) {
				log_warnx("openflow %s: %s", e->port, strerror(-r));
				continue;
			}
			e->ofport_done = ofport;
			e->of_state_done = want;
		}
	}
	vland_split_push(v);
}

void vland_auth_forget(struct vland *v, const struct vland_auth *e)
{
	if (!v->of || e->ofport_done <= 0)
		return;
	if (e->has_mac)
		ovs_of_mac_set(v->of, (uint32_t)e->ofport_done, e->mac, false, 0);
	else
		ovs_of_port_set(v->of, (uint32_t)e->ofport_done, OVS_OF_PORT_OPEN);
}

/* ------------------------------------------------------------ per-MAC VLANs */

/* The program of a split port's bridge (fail_mode=secure: nothing else
 * forwards), per authorized MAC M of VLAN V (vland_mac_vlan):
 *   in_port=PORT, untagged, dl_src=M -> push_vlan, vlan_vid=V, output PATCH
 *   in_port=PATCH, vlan V, dl_dst=M  -> pop_vlan, output PORT
 * and per VLAN V in use
 *   in_port=PATCH, vlan V, dl_dst=group -> pop_vlan, output PORT
 * so every host behind the port is in its own MAC's VLAN both ways, and
 * VLAND_BRIDGE's NORMAL switches the tagged frames on the patch trunk. A
 * source that is not admitted matches nothing and is dropped; EAPOL still
 * reaches dot1xd's packet socket on the port's device. Tagged frames from
 * the host match nothing either (an access port takes untagged frames). */
static size_t vland_split_flows(const struct vland *v, const struct vlan_port *p, uint32_t port,
                                uint32_t patch, struct ovs_of_flow *f, size_t cap)
{
	static const uint8_t group[6] = {1, 0, 0, 0, 0, 0};
	struct ovs_vlan_set vs;
	size_t n = 0;

	memset(&vs, 0, sizeof(vs));
	vland_port_mac_vlans(&v->auths, p, &vs);
	for (size_t i = 0; i < v->auths.n && n + 2 <= cap; i++) {
		const struct vland_auth *e = &v->auths.a[i];
		uint16_t id;

		if (!e->has_mac || e->state != VLAND_AUTH_AUTHORIZED || strcmp(e->port, p->name))
			continue;
		id = vland_mac_vlan(e, p);
		memset(&f[n], 0, sizeof(f[n]));
		f[n].priority = 200;
		f[n].has_in_port = true;
		f[n].in_port = port;
		f[n].has_vlan_vid = true;
		f[n].vlan_vid = OVS_OF_VID_NONE;
		f[n].has_dl_src = true;
		memcpy(f[n].dl_src, e->mac, 6);
		f[n].n_actions = 3;
		f[n].actions[0] = (struct ovs_of_action){OVS_OF_ACT_PUSH_VLAN, 0x8100};
		f[n].actions[1] = (struct ovs_of_action){OVS_OF_ACT_SET_VLAN_VID, id};
		f[n].actions[2] = (struct ovs_of_action){OVS_OF_ACT_OUTPUT, patch};
		n++;
		memset(&f[n], 0, sizeof(f[n]));
		f[n].priority = 200;
		f[n].has_in_port = true;
		f[n].in_port = patch;
		f[n].has_vlan_vid = true;
		f[n].vlan_vid = (uint16_t)(OVS_OF_VID_PRESENT | id);
		f[n].has_dl_dst = true;
		memcpy(f[n].dl_dst, e->mac, 6);
		f[n].n_actions = 2;
		f[n].actions[0] = (struct ovs_of_action){OVS_OF_ACT_POP_VLAN, 0};
		f[n].actions[1] = (struct ovs_of_action){OVS_OF_ACT_OUTPUT, port};
		n++;
	}
	for (uint16_t id = VLAN_ID_MIN; id <= VLAN_ID_MAX && n < cap; id++) {
		if (!ovs_vlan_set_has(&vs, id))
			continue;
		memset(&f[n], 0, sizeof(f[n]));
		f[n].priority = 100;
		f[n].has_in_port = true;
		f[n].in_port = patch;
		f[n].has_vlan_vid = true;
		f[n].vlan_vid = (uint16_t)(OVS_OF_VID_PRESENT | id);
		f[n].has_dl_dst = true;
		f[n].has_dl_dst_mask = true;
		memcpy(f[n].dl_dst, group, 6);
		memcpy(f[n].dl_dst_mask, group, 6);
		f[n].n_actions = 2;
		f[n].actions[0] = (struct ovs_of_action){OVS_OF_ACT_POP_VLAN, 0};
		f[n].actions[1] = (struct ovs_of_action){OVS_OF_ACT_OUTPUT, port};
		n++;
	}
	return n;
}

static void vland_kp_remove(struct vland *v, size_t i)
{
	ovs_of_free(v->kp[i].of);
	v->kp[i] = v->kp[--v->n_kp];
}

static struct vland_kp *vland_kp_get(struct vland *v, const char *bridge, const char *port)
{
	char mgmt[VLAND_PATHSIZ + 32];
	struct vland_kp *grown;

	for (size_t i = 0; i < v->n_kp; i++)
		if (!strcmp(v->kp[i].bridge, bridge))
			return &v->kp[i];
	grown = reallocarray(v->kp, v->n_kp + 1, sizeof(*v->kp));
	if (!grown)
		return NULL;
	v->kp = grown;
	snprintf(mgmt, sizeof(mgmt), "%s/%s.mgmt", v->rundir, bridge);
	grown = &v->kp[v->n_kp];
	memset(grown, 0, sizeof(*grown));
	grown->of = ovs_of_new(v->d->base, mgmt);
	if (!grown->of)
		return NULL;
	snprintf(grown->bridge, sizeof(grown->bridge), "%s", bridge);
	snprintf(grown->port, sizeof(grown->port), "%s", port);
	v->n_kp++;
	log_info("%s: per-MAC VLANs through bridge %s (OpenFlow %s)", port, bridge, mgmt);
	return grown;
}

/* Keeps one OpenFlow connection per split port's bridge (once the bridge
 * and both its ports are in OVS) with that port's program; closes those of
 * ports that are no longer split. */
static void vland_split_push(struct vland *v)
{
	const struct ovsdb_cache *c = ovsdb_conn_cache(v->ovs);

	for (size_t i = 0; i < v->n_kp; i++) {
		const struct vlan_port *p = vlan_model_find_port(&v->model, v->kp[i].port);

		if (!p || !vland_port_split(&v->auths, p)) {
			log_info("%s: back to one VLAN, bridge %s released", v->kp[i].port,
			         v->kp[i].bridge);
			vland_kp_remove(v, i--);
		}
	}
	for (size_t i = 0; i < v->model.n_ports; i++) {
		const struct vlan_port *p = &v->model.ports[i];
		struct vland_split_names nm;
		struct vland_kp *k;
		struct ovs_of_flow *f;
		struct ovs_vlan_set vs;
		int64_t port, patch;
		size_t cap, n;
		int r;

		if (!vland_port_split(&v->auths, p))
			continue;
		vland_split_names(p->name, &nm);
		if (!ovs_port_on_bridge(c, nm.bridge, p->name) ||
		    !ovs_port_on_bridge(c, nm.bridge, nm.patch_kp))
			continue; /* the reconcile has not moved it yet */
		port = ovs_iface_ofport(c, p->name);
		patch = ovs_iface_ofport(c, nm.patch_kp);
		if (port <= 0 || patch <= 0)
			continue;
		k = vland_kp_get(v, nm.bridge, p->name);
		if (!k) {
			log_warnx("%s: cannot open OpenFlow on %s", p->name, nm.bridge);
			continue;
		}
		memset(&vs, 0, sizeof(vs));
		cap = 2 * v->auths.n + vland_port_mac_vlans(&v->auths, p, &vs);
		f = calloc(cap, sizeof(*f));
		if (!f)
			continue;
		n = vland_split_flows(v, p, (uint32_t)port, (uint32_t)patch, f, cap);
		r = ovs_of_flows_set(k->of, f, n);
		free(f);
		if (r < 0)
			log_warnx("openflow %s: %s", nm.bridge, strerror(-r));
	}
}

/* Bridges named VLAND_SPLIT_PFX* that no split port wants go first: their
 * port returns to VLAND_BRIDGE only once it is free. 0 = a deletion is
 * under way (vland_txn_done follows), 1 = none to delete, or -errno. */
static int vland_split_gc(struct vland *v)
{
	const struct ovsdb_cache *c = ovsdb_conn_cache(v->ovs);
	struct json_object *brs;

	if (!c->tables || !json_object_object_get_ex(c->tables, "Bridge", &brs))
		return 1;
	json_object_object_foreach(brs, uuid, row)
	{
		struct json_object *nv;
		const char *name;
		bool wanted = false;
		int r;

		(void)uuid;
		if (!json_object_object_get_ex(row, "name", &nv) || !(name = ovsdb_str(nv)) ||
		    strncmp(name, VLAND_SPLIT_PFX, strlen(VLAND_SPLIT_PFX)))
			continue;
		for (size_t i = 0; i < v->model.n_ports && !wanted; i++) {
			struct vland_split_names nm;

			vland_split_names(v->model.ports[i].name, &nm);
			wanted = !strcmp(nm.bridge, name) &&
			         vland_port_split(&v->auths, &v->model.ports[i]);
		}
		if (wanted)
			continue;
		for (size_t i = 0; i < v->n_kp; i++)
			if (!strcmp(v->kp[i].bridge, name))
				vland_kp_remove(v, i--);
		r = ovs_bridge_del(v->ovs, name, vland_txn_done, v);
		if (r != 1) {
			if (r == 0)
				log_info("per-MAC VLAN bridge %s no longer needed: deleted", name);
			return r;
		}
	}
	return 1;
}

/* Each split port's bridge holds exactly the port and its patch end. 0 = a
 * transaction is under way, 1 = all in place, or -errno. */
static int vland_split_reconcile(struct vland *v)
{
	for (size_t i = 0; i < v->model.n_ports; i++) {
		const struct vlan_port *p = &v->model.ports[i];
		struct vland_split_names nm;
		struct ovs_port_want w[2];
		size_t skipped = 0;
		int r;

		if (!vland_port_split(&v->auths, p))
			continue;
		vland_split_names(p->name, &nm);
		memset(w, 0, sizeof(w));
		w[0].name = p->name;
		w[1].name = nm.patch_kp;
		w[1].type = "patch";
		w[1].peer = nm.patch_sw;
		r = ovs_bridge_reconcile(v->ovs, nm.bridge, "secure", 2, w, vland_txn_done, v,
		                         &skipped);
		if (r != 1)
			return r;
	}
	return 1;
}

static void vland_of_close(struct vland *v)
{
	if (v->of)
		ovs_of_free(v->of);
	v->of = NULL;
	while (v->n_kp)
		vland_kp_remove(v, 0);
	free(v->kp);
	v->kp = NULL;
}
#else
/* platform/ovs/openflow.h is not in this tree yet: the auth table is kept,
 * shown, and drives dynamic VLANs (OVSDB tags); admission flows are
 * installed once the OpenFlow module is built in. */
void vland_auth_push(struct vland *v)
{
	(void)v;
}

void vland_auth_forget(struct vland *v, const struct vland_auth *e)
{
	(void)v;
	(void)e;
}

static void vland_of_close(struct vland *v)
{
	(void)v;
}

static int vland_split_gc(struct vland *v)
{
	(void)v;
	return 1;
}

static int vland_split_reconcile(struct vland *v)
{
	(void)v;
	return 1;
}
#endif

/* ------------------------------------------------------------ reconcile */

static void vland_reconcile(struct vland *v);

static void vland_txn_done(void *arg, int err)
{
	struct vland *v = arg;

	v->busy = false;
	if (err) {
		snprintf(v->last_error, sizeof(v->last_error), "OVSDB transaction: %s",
		         strerror(-err));
		log_warnx("%s", v->last_error);
		if (!timer_pending(&v->retry))
			timer_add_ms(&v->retry, VLAND_RETRY_MS);
		return;
	}
	/* Run again: it finds nothing to write (converged), or what changed
	 * meanwhile. */
	vland_sync(v);
}

/* The switch config went away entirely: keel0 goes with all its ports (a
 * bridge left behind would keep switching the interfaces, now plain
 * interfaces again, on its own), then the OVS connection, as on a node that
 * never had a switch. Runs from the kick timer, never from an OVSDB
 * callback, so closing the connection here is allowed. */
static void vland_teardown(struct vland *v)
{
	int r;

	v->reconciles++;
	vland_of_close(v);
	/* per-port bridges first (the model has no ports: none is wanted) */
	r = vland_split_gc(v);
	if (r == 0) {
		v->busy = true;
		v->converged = false;
		v->txns++;
		return;
	}
	if (ovsdb_cache_find(ovsdb_conn_cache(v->ovs), "Bridge", "name", VLAND_BRIDGE, NULL)) {
		r = ovs_bridge_del(v->ovs, VLAND_BRIDGE, vland_txn_done, v);
		if (r == 0) {
			v->busy = true;
			v->converged = false;
			v->txns++;
			log_info("switch config removed: deleting OVS bridge %s", VLAND_BRIDGE);
			return;
		}
		if (r < 0) {
			snprintf(v->last_error, sizeof(v->last_error), "delete %s: %s",
			         VLAND_BRIDGE, strerror(-r));
			log_warnx("%s", v->last_error);
			if (!timer_pending(&v->retry))
				timer_add_ms(&v->retry, VLAND_RETRY_MS);
			return;
		}
	}
	log_info("no switch config: OVS bridge %s is gone, connection closed", VLAND_BRIDGE);
	ovsdb_conn_close(v->ovs);
	v->ovs = NULL;
	v->converged = false;
	v->skipped = 0;
	v->last_error[0] = 0;
	free(v->irb_done);
	v->irb_done = NULL;
	v->n_irb_done = 0;
	vland_sensors_kick(v);
}

const char *vland_dp_name(enum vland_dp d)
{
	return d == VLAND_DP_LINUX ? "linux" : "ovs";
}

/* The Linux bridge back-end (lnx.c): apply, then IRB addresses where the
 * kernel could make the IRB devices. What the kernel cannot do is kept in
 * last_error (show.vland.status) and is not retried; a port device that is
 * not there yet is. */
static void vland_lx_run(struct vland *v)
{
	bool was = v->converged;
	int r;

	if (!v->plat) {
		snprintf(v->last_error, sizeof(v->last_error),
		         "linux data plane: the platform could not be opened");
		return;
	}
	v->reconciles++;
	r = vland_lx_apply(&v->lx, v->plat, &v->model, &v->auths);
	if (r == 0 && v->lx.filtering == 1 && vland_irb_apply(v) < 0)
		r = -EAGAIN;
	v->converged = r == 0;
	if (v->lx.error[0])
		snprintf(v->last_error, sizeof(v->last_error), "%s", v->lx.error);
	else if (r < 0)
		snprintf(v->last_error, sizeof(v->last_error), "linux bridge: %s", strerror(-r));
	else
		v->last_error[0] = 0;
	if (r < 0 && !timer_pending(&v->retry))
		timer_add_ms(&v->retry, VLAND_RETRY_MS);
	if (v->converged && !was) {
		log_info("linux bridge converged: %zu ports, %zu VLANs, %zu IRBs", v->model.n_ports,
		         v->model.n_vlans, v->model.n_irbs);
		vland_sensors_kick(v);
	}
}

/* "secure" needs vland's OpenFlow connection for any forwarding at all: a
 * management socket path that cannot be connected to (longer than
 * sun_path) would leave the bridge dead, so such a bridge stays
 * standalone (and without 802.1X admission, which needs the same socket). */
static const char *vland_fail_mode(struct vland *v)
{
	struct sockaddr_un sa;
	static bool warned;

	if (strlen(v->rundir) + sizeof("/" VLAND_BRIDGE ".mgmt") <= sizeof(sa.sun_path))
		return "secure";
	if (!warned)
		log_warnx("OpenFlow socket %s/%s.mgmt: longer than a unix socket path; bridge %s "
		          "stays fail_mode standalone, no 802.1X admission",
		          v->rundir, VLAND_BRIDGE, VLAND_BRIDGE);
	warned = true;
	return "";
}

static void vland_reconcile(struct vland *v)
{
	struct ovs_port_want *w;
	size_t n, skipped = 0;
	int r;

	v->dirty = false;
	if (v->dp == VLAND_DP_LINUX) {
		vland_lx_run(v);
		return;
	}
	if (!v->ovs || !ovsdb_conn_is_ready(v->ovs))
		return;
	if (v->busy) {
		v->dirty = true;
		return;
	}
	if (!v->model.n_ports && !v->model.n_vlans) {
		vland_teardown(v);
		return;
	}
	/* Per-MAC VLANs: a port leaves its own bridge before VLAND_BRIDGE
	 * takes it back, and joins its own bridge after VLAND_BRIDGE let it go
	 * (a port on another bridge is left alone, ovsdb.h). */
	r = vland_split_gc(v);
	if (r <= 0)
		goto started;
	if (vland_want_build(&v->model, &v->auths, &w, &n) < 0)
		return;
	v->reconciles++;
	/* fail_mode=secure: while ovs-vswitchd restarts, the bridge forwards
	 * nothing until vland's OpenFlow connection has re-installed the
	 * 802.1X blocks and then the NORMAL flow (notes §9, openflow.h), so an
	 * unauthorized port is never open. */
	r = ovs_bridge_reconcile(v->ovs, VLAND_BRIDGE, vland_fail_mode(v), n, w, vland_txn_done, v,
	                         &skipped);
	free(w);
	if (skipped != v->skipped && skipped)
		log_warnx("%zu switch port%s already on another OVS bridge: left alone", skipped,
		          skipped == 1 ? "" : "s");
	v->skipped = skipped;
	if (r == 1)
		r = vland_split_reconcile(v);
started:
	if (r == 0) {
		v->busy = true;
		v->converged = false;
		v->txns++;
		log_debug("reconcile: transaction %llu sent", (unsigned long long)v->txns);
		return;
	}
	if (r < 0) {
		v->converged = false;
		snprintf(v->last_error, sizeof(v->last_error), "reconcile: %s", strerror(-r));
		log_warnx("%s", v->last_error);
		if (!timer_pending(&v->retry))
			timer_add_ms(&v->retry, VLAND_RETRY_MS);
		return;
	}
	if (!v->converged) {
		log_info("OVS bridge %s converged: %zu ports, %zu VLANs, %zu IRBs", VLAND_BRIDGE,
		         v->model.n_ports, v->model.n_vlans, v->model.n_irbs);
		vland_sensors_kick(v);
	}
	v->converged = true;
	if (vland_irb_apply(v) < 0 && !timer_pending(&v->retry))
		timer_add_ms(&v->retry, VLAND_RETRY_MS);
	vland_auth_push(v);
}

static void vland_kick_cb(void *arg)
{
	vland_reconcile(arg);
}

void vland_sync(struct vland *v)
{
	if (!timer_pending(&v->kick))
		timer_add_ms(&v->kick, 0);
}

static void vland_ovs_ready(void *arg)
{
	struct vland *v = arg;

	log_info("OVS %s: connected", v->db_sock);
	v->converged = false;
	vland_sync(v);
}

static void vland_ovs_update(void *arg)
{
	vland_sync(arg);
}

static void vland_ovs_down(void *arg)
{
	struct vland *v = arg;

	/* The transaction callback gets -ECONNRESET; reconcile after "ready". */
	v->converged = false;
}

static const struct ovsdb_conn_ops vland_ovs_ops = {
        .ready = vland_ovs_ready,
        .update = vland_ovs_update,
        .down = vland_ovs_down,
};

void vland_ovs_open(struct vland *v)
{
	if (v->dp != VLAND_DP_OVS || v->ovs || (!v->model.n_ports && !v->model.n_vlans))
		return;
	log_info("switch config present: using Open vSwitch at %s", v->db_sock);
	v->ovs = ovsdb_conn_open(v->d->base, v->db_sock, &vland_ovs_ops, v);
	if (!v->ovs)
		log_warnx("OVS %s: cannot open a connection", v->db_sock);
}

static void vland_retry_cb(void *arg)
{
	vland_sync(arg);
}

void vland_sw_init(struct vland *v)
{
	const char *rd = getenv("OVS_RUNDIR");

	/* OVS moves a port with MACs in several VLANs to a bridge of its own
	 * (vland_split_push); the Linux bridge back-end cannot. */
	v->auths.per_mac_vlans = v->dp == VLAND_DP_OVS;
	/* keel-node exports OVS_RUNDIR for --dataplane ovs; otherwise the
	 * node's root holds it where keel-node would put it. */
	if (rd && *rd)
		snprintf(v->rundir, sizeof(v->rundir), "%s", rd);
	else
		snprintf(v->rundir, sizeof(v->rundir), "%s/run/openvswitch", keel_root());
	snprintf(v->db_sock, sizeof(v->db_sock), "%s/db.sock", v->rundir);
	vland_lx_init(&v->lx);
	timer_init(&v->kick, v->d->base, vland_kick_cb, v);
	timer_init(&v->retry, v->d->base, vland_retry_cb, v);
}

void vland_sw_close(struct vland *v)
{
	timer_del(&v->kick);
	timer_del(&v->retry);
	vland_of_close(v);
	vland_lx_free(&v->lx);
	/* The bridge stays as it is: a restarted vland adopts it without a
	 * write (no flap). */
	if (v->ovs)
		ovsdb_conn_close(v->ovs);
	v->ovs = NULL;
	free(v->irb_done);
	v->irb_done = NULL;
	v->n_irb_done = 0;
}
