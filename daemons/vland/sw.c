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
	struct ovs_port_want *w = calloc(m->n_ports + m->n_irbs + 1, sizeof(*w));
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ports; i++, k++) {
		const struct vlan_port *p = &m->ports[i];

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

#ifdef VLAND_HAVE_OF
/* Sends only what changed since the last push (per entry: the ofport and
 * state it was set with), so a reconcile that found nothing to do sends
 * nothing either. Setting a port OPEN makes the OpenFlow module forget the
 * port's MAC admissions, so every MAC of a port whose state was set is sent
 * again. A per-MAC dynamic VLAN is the port's OVSDB tag (vland_port_vlan):
 * openflow.h refuses VLANs per MAC, so MACs are admitted with vlan 0. */
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
		int64_t ofport = ovs_iface_ofport(c, name);

		if (ofport > 0 && !e)
			ovs_of_port_set(v->of, (uint32_t)ofport, OVS_OF_PORT_OPEN);
	}
	/* A port that got another ofport (re-created, e.g. after a database
	 * restart) first gives the old number back: another port may have it
	 * now. All releases go before any set. */
	for (size_t i = 0; i < v->auths.n; i++) {
		struct vland_auth *e = &v->auths.a[i];
		int64_t ofport = ovs_iface_ofport(c, e->port);

		if (e->ofport_done <= 0 || e->ofport_done == ofport)
			continue;
		vland_auth_forget(v, e);
		e->ofport_done = -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < v->auths.n; i++) {
			struct vland_auth *e = &v->auths.a[i];
			int64_t ofport = ovs_iface_ofport(c, e->port);
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

static void vland_of_close(struct vland *v)
{
	if (v->of)
		ovs_of_free(v->of);
	v->of = NULL;
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
