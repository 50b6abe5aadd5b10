/*
 * vland's control-socket methods (lib/proto/vland.proto): "port.auth" for
 * dot1xd, and the structured data behind `show vlans`, `show
 * ethernet-switching table|interface`. The MAC table comes from
 * ovs-vswitchd (fdb.c), so the two shows that need it answer
 * asynchronously (ctl_req_defer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/vland/vland_daemon.h"
#include "lib/log.h"
#include "lib/proto/vland.pb-c.h"

static struct vland *vland_of(void *arg)
{
	return ((struct daemon *)arg)->priv;
}

/* ------------------------------------------------------------ port.auth */

static void vland_auth_reply(struct ctl_req *req, const char *error)
{
	Keel__Vland__PortAuthReply r = KEEL__VLAND__PORT_AUTH_REPLY__INIT;

	r.ok = !error;
	r.error = (char *)(error ? error : "");
	ctl_reply(req, &r.base);
	ctl_end(req);
}

struct vland_auth_wait {
	struct ctl_req *req; /* deferred copy */
	Keel__Vland__PortAuth *m;
};

static void vland_port_auth_do(struct vland *v, struct ctl_req *req, const Keel__Vland__PortAuth *m)
{
	struct vland_auth e;
	char err[256];
	int r;

	if (vland_auth_parse(&v->model, m->interface, m->mac, m->state, m->vlan, &e, err,
	                     sizeof(err)) < 0) {
		vland_auth_reply(req, err);
		return;
	}
	/* Refused, not silently merged: the MAC would land in another MAC's
	 * VLAN. dot1xd keeps it unauthorized and retries later (enforce.c). */
	if (vland_auth_vlan_conflict(&v->auths, &v->model, &e, err, sizeof(err)) < 0) {
		log_warnx("port.auth: %s", err);
		vland_auth_reply(req, err);
		return;
	}
	/* Entries about to go take their admission flows with them. */
	for (size_t i = 0; e.state == VLAND_AUTH_UNCONTROLLED && i < v->auths.n; i++) {
		const struct vland_auth *x = &v->auths.a[i];

		if (!strcmp(x->port, e.port) &&
		    (!e.has_mac || (x->has_mac && !memcmp(x->mac, e.mac, 6))))
			vland_auth_forget(v, x);
	}
	r = vland_auths_set(&v->auths, &e);
	if (r < 0) {
		snprintf(err, sizeof(err), "port.auth: %s", strerror(-r));
		vland_auth_reply(req, err);
		return;
	}
	log_info("port.auth %s%s%s %s vlan %u", e.port, e.has_mac ? " mac " : "",
	         e.has_mac ? m->mac : "", vland_auth_state_name(e.state), e.vlan);
	/* Dynamic VLANs are OVSDB tags (reconcile); admission is OpenFlow. */
	vland_sync(v);
	vland_auth_push(v);
	vland_auth_reply(req, NULL);
}

static void vland_port_auth(struct ctl_req *req, void *arg)
{
	struct vland *v = vland_of(arg);
	Keel__Vland__PortAuth *m;
	struct vland_auth_wait *w;
	struct ctl_req *copy;

	m = keel__vland__port_auth__unpack(NULL, req->payload_len, req->payload);
	if (!m) {
		ctl_error(req, CTL_ERR_MALFORMED, "PortAuth expected");
		return;
	}
	if (v->configured) {
		vland_port_auth_do(v, req, m);
		keel__vland__port_auth__free_unpacked(m, NULL);
		return;
	}
	/* Before the first config every port is unknown: answer once it is in. */
	if (v->n_waiting >= VLAND_MAX_WAITING) {
		keel__vland__port_auth__free_unpacked(m, NULL);
		ctl_error(req, CTL_ERR_BUSY, "vland is waiting for its configuration");
		return;
	}
	w = reallocarray(v->waiting, v->n_waiting + 1, sizeof(*w));
	if (!w) {
		keel__vland__port_auth__free_unpacked(m, NULL);
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		return;
	}
	v->waiting = w;
	copy = ctl_req_defer(req);
	if (!copy) {
		keel__vland__port_auth__free_unpacked(m, NULL);
		return;
	}
	w[v->n_waiting].req = copy;
	w[v->n_waiting].m = m;
	v->n_waiting++;
}

void vland_auth_flush(struct vland *v)
{
	for (size_t i = 0; i < v->n_waiting; i++) {
		vland_port_auth_do(v, v->waiting[i].req, v->waiting[i].m);
		keel__vland__port_auth__free_unpacked(v->waiting[i].m, NULL);
	}
	free(v->waiting);
	v->waiting = NULL;
	v->n_waiting = 0;
}

void vland_auth_drop(struct vland *v)
{
	for (size_t i = 0; i < v->n_waiting; i++) {
		ctl_error(v->waiting[i].req, CTL_ERR_BUSY, "vland is stopping");
		keel__vland__port_auth__free_unpacked(v->waiting[i].m, NULL);
	}
	free(v->waiting);
	v->waiting = NULL;
	v->n_waiting = 0;
}

/* ------------------------------------------------------------ helpers */

static bool vland_port_up(struct vland *v, const char *name)
{
	struct plat_link l;

	return v->plat && plat_link_get_by_name(v->plat, name, &l) == 0 && l.admin_up &&
	       (l.carrier || l.oper == PLAT_OPER_UP);
}

static void vland_mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *vland_fdb_ifname(struct vland *v, const struct vland_fdb_entry *e)
{
	const char *n = NULL;

	if (e->ofport == -2)
		return VLAND_BRIDGE;
	if (e->ofport == -1)
		return e->port_name;
	if (v->ovs)
		n = ovs_iface_by_ofport(ovsdb_conn_cache(v->ovs), e->ofport);
	return n ? n : "?";
}

/* Whether port p (its access VLAN now cur, dynamic or configured) carries
 * VLAN id, and *tagged when it does so tagged (a trunk, not as its native). */
static bool vland_port_in_vlan(const struct vlan_port *p, uint16_t cur, uint16_t id, bool *tagged)
{
	if (p->mode == VLAN_PORT_MODE_ACCESS) {
		*tagged = false;
		return cur == id;
	}
	*tagged = p->native != id;
	return ovs_vlan_set_has(&p->vlans, id) || p->native == id;
}

/* ------------------------------------------------------------ show.vlans */

struct vland_show {
	struct vland *v;
	struct ctl_req *req;
	char name[VLAN_NAMESIZ + 8];
};

static struct vland_show *vland_show_new(struct ctl_req *req, struct vland *v, const char *name)
{
	struct vland_show *s = calloc(1, sizeof(*s));

	if (!s) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		return NULL;
	}
	s->v = v;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	s->req = ctl_req_defer(req);
	if (!s->req) {
		free(s);
		return NULL;
	}
	return s;
}

/* What the Linux bridge without VLAN filtering cannot do for VLAN d: its
 * tagged trunk members and its IRB. "" = nothing missing. */
static const char *vland_vlan_error(const struct vland *v, const struct vlan_def *d, char *buf,
                                    size_t len)
{
	const struct vlan_model *m = &v->model;
	bool tagged = false;

	if (v->dp != VLAND_DP_LINUX || v->lx.filtering != 0)
		return "";
	for (size_t j = 0; j < m->n_ports && !tagged; j++)
		tagged = m->ports[j].mode == VLAN_PORT_MODE_TRUNK &&
		         ovs_vlan_set_has(&m->ports[j].vlans, d->id) && m->ports[j].native != d->id;
	if (!tagged && !d->l3_interface[0])
		return "";
	snprintf(buf, len, "%s%s%s not switched: %s", tagged ? "tagged members" : "",
	         tagged && d->l3_interface[0] ? " and " : "",
	         d->l3_interface[0] ? d->l3_interface : "", v->lx.nofilter);
	return buf;
}

static void vland_vlans_done(void *arg, const struct vland_fdb_entry *fdb, size_t nfdb, int err)
{
	struct vland_show *s = arg;
	struct vland *v = s->v;
	const struct vlan_model *m = &v->model;

	if (err)
		log_debug("show vlans: MAC table unavailable: %s", strerror(-err));
	for (size_t i = 0; i < m->n_vlans; i++) {
		const struct vlan_def *d = &m->vlans[i];
		Keel__Vland__Vlan msg = KEEL__VLAND__VLAN__INIT;
		Keel__Vland__VlanMember *mem, **mp;
		char err_buf[sizeof(v->lx.nofilter) + 64];
		size_t k = 0;

		if (s->name[0] && strcmp(s->name, d->name))
			continue;
		mem = calloc(m->n_ports + 1, sizeof(*mem));
		mp = calloc(m->n_ports + 1, sizeof(*mp));
		if (!mem || !mp) {
			free(mem);
			free(mp);
			break;
		}
		for (size_t j = 0; j < m->n_ports; j++) {
			const struct vlan_port *p = &m->ports[j];
			uint16_t cur = vland_port_vlan(&v->auths, p);
			bool tagged;

			if (!vland_port_in_vlan(p, cur, d->id, &tagged))
				continue;
			keel__vland__vlan_member__init(&mem[k]);
			mem[k].interface = (char *)p->name;
			mem[k].tagged = tagged;
			mem[k].mode = (char *)vlan_port_mode_name(p->mode);
			mem[k].up = vland_port_up(v, p->name);
			mem[k].dynamic = p->mode == VLAN_PORT_MODE_ACCESS && cur != p->access;
			mp[k] = &mem[k];
			k++;
		}
		msg.name = (char *)d->name;
		msg.id = d->id;
		msg.description = (char *)d->description;
		msg.l3_interface = (char *)d->l3_interface;
		msg.members = mp;
		msg.n_members = k;
		msg.error = (char *)vland_vlan_error(v, d, err_buf, sizeof(err_buf));
		for (size_t j = 0; j < nfdb; j++)
			if (fdb[j].vlan == d->id)
				msg.mac_count++;
		ctl_reply(s->req, &msg.base);
		free(mem);
		free(mp);
	}
	if (s->name[0] && !vlan_model_find_name(m, s->name))
		ctl_error(s->req, CTL_ERR_INVALID, "vlan %s: not configured", s->name);
	else
		ctl_end(s->req);
	free(s);
}

static void vland_show_vlans(struct ctl_req *req, void *arg)
{
	struct vland *v = vland_of(arg);
	Keel__Vland__ShowVlans *m = NULL;
	struct vland_show *s;

	if (req->payload_len) {
		m = keel__vland__show_vlans__unpack(NULL, req->payload_len, req->payload);
		if (!m) {
			ctl_error(req, CTL_ERR_MALFORMED, "ShowVlans expected");
			return;
		}
	}
	s = vland_show_new(req, v, m ? m->name : "");
	if (m)
		keel__vland__show_vlans__free_unpacked(m, NULL);
	if (s)
		vland_fdb_fetch(v, vland_vlans_done, s);
}

/* ------------------------------------------------------------ MAC table */

static int vland_fdb_cmp(const void *a, const void *b)
{
	const struct vland_fdb_entry *x = a, *y = b;

	if (x->vlan != y->vlan)
		return (int)x->vlan - (int)y->vlan;
	return memcmp(x->mac, y->mac, 6);
}

static void vland_table_done(void *arg, const struct vland_fdb_entry *fdb, size_t nfdb, int err)
{
	struct vland_show *s = arg;
	struct vland_fdb_entry *sorted = NULL;
	struct vland *v = s->v;
	const struct vlan_def *want = s->name[0] ? vlan_model_find_name(&v->model, s->name) : NULL;

	if (err) {
		ctl_error(s->req, CTL_ERR_FAILED, "MAC table from ovs-vswitchd: %s",
		          strerror(-err));
		free(s);
		return;
	}
	if (s->name[0] && !want) {
		ctl_error(s->req, CTL_ERR_INVALID, "vlan %s: not configured", s->name);
		free(s);
		return;
	}
	/* Junos lists the table by VLAN, then MAC; vswitchd's order is its hash. */
	sorted = nfdb ? malloc(nfdb * sizeof(*sorted)) : NULL;
	if (sorted) {
		memcpy(sorted, fdb, nfdb * sizeof(*sorted));
		qsort(sorted, nfdb, sizeof(*sorted), vland_fdb_cmp);
		fdb = sorted;
	}
	for (size_t i = 0; i < nfdb; i++) {
		Keel__Vland__MacEntry e = KEEL__VLAND__MAC_ENTRY__INIT;
		const struct vlan_def *d = vlan_model_find_id(&v->model, fdb[i].vlan);
		char mac[18];

		if (want && fdb[i].vlan != want->id)
			continue;
		vland_mac_str(fdb[i].mac, mac, sizeof(mac));
		e.vlan = (char *)(d ? d->name : "");
		e.vlan_id = fdb[i].vlan;
		e.mac = mac;
		e.interface = (char *)vland_fdb_ifname(v, &fdb[i]);
		e.age = fdb[i].age;
		e.dynamic = !fdb[i].is_static;
		if (ctl_reply(s->req, &e.base) < 0)
			break;
	}
	ctl_end(s->req);
	free(sorted);
	free(s);
}

static void vland_show_table(struct ctl_req *req, void *arg)
{
	struct vland *v = vland_of(arg);
	Keel__Vland__ShowMacTable *m = NULL;
	struct vland_show *s;

	if (req->payload_len) {
		m = keel__vland__show_mac_table__unpack(NULL, req->payload_len, req->payload);
		if (!m) {
			ctl_error(req, CTL_ERR_MALFORMED, "ShowMacTable expected");
			return;
		}
	}
	s = vland_show_new(req, v, m ? m->vlan : "");
	if (m)
		keel__vland__show_mac_table__free_unpacked(m, NULL);
	if (s)
		vland_fdb_fetch(v, vland_table_done, s);
}

/* ------------------------------------------------------------ switch ports */

static void vland_show_interface(struct ctl_req *req, void *arg)
{
	struct vland *v = vland_of(arg);
	Keel__Vland__ShowSwitchPort *q = NULL;
	const struct vlan_model *m = &v->model;
	const char *want = "";
	bool found = false;

	if (req->payload_len) {
		q = keel__vland__show_switch_port__unpack(NULL, req->payload_len, req->payload);
		if (!q) {
			ctl_error(req, CTL_ERR_MALFORMED, "ShowSwitchPort expected");
			return;
		}
		want = q->interface;
	}
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct vlan_port *p = &m->ports[i];
		const struct vland_auth *pe = vland_auths_find(&v->auths, p->name, NULL);
		Keel__Vland__SwitchPort sp = KEEL__VLAND__SWITCH_PORT__INIT;
		Keel__Vland__PortVlan *pv = calloc(m->n_vlans + 1, sizeof(*pv));
		Keel__Vland__PortVlan **pp = calloc(m->n_vlans + 1, sizeof(*pp));
		uint16_t cur = vland_port_vlan(&v->auths, p);
		const struct vlan_def *dyn = NULL;
		size_t k = 0;
		int64_t ofport = -1;

		if (*want && strcmp(want, p->name)) {
			free(pv);
			free(pp);
			continue;
		}
		found = true;
		if (!pv || !pp) {
			free(pv);
			free(pp);
			break;
		}
		for (size_t j = 0; j < m->n_vlans; j++) {
			const struct vlan_def *d = &m->vlans[j];
			bool tagged;

			if (!vland_port_in_vlan(p, cur, d->id, &tagged))
				continue;
			keel__vland__port_vlan__init(&pv[k]);
			pv[k].name = (char *)d->name;
			pv[k].id = d->id;
			pv[k].tagged = tagged;
			pp[k] = &pv[k];
			k++;
		}
		if (p->mode == VLAN_PORT_MODE_ACCESS && cur != p->access)
			dyn = vlan_model_find_id(m, cur);
		if (v->ovs)
			ofport = ovs_iface_ofport(ovsdb_conn_cache(v->ovs), p->name);
		sp.interface = (char *)p->name;
		sp.mode = (char *)vlan_port_mode_name(p->mode);
		sp.native_vlan = p->native;
		sp.up = vland_port_up(v, p->name);
		sp.vlans = pp;
		sp.n_vlans = k;
		sp.auth_state = pe ? pe->state : 0;
		sp.dynamic_vlan = (char *)(dyn ? dyn->name : "");
		sp.ofport = ofport > 0 ? (uint32_t)ofport : 0;
		ctl_reply(req, &sp.base);
		free(pv);
		free(pp);
	}
	if (*want && !found)
		ctl_error(req, CTL_ERR_INVALID, "interface %s: not a switch port", want);
	else
		ctl_end(req);
	if (q)
		keel__vland__show_switch_port__free_unpacked(q, NULL);
}

static void vland_show_status(struct ctl_req *req, void *arg)
{
	struct vland *v = vland_of(arg);
	Keel__Vland__VlandStatus st = KEEL__VLAND__VLAND_STATUS__INIT;
	struct ovsdb_conn_stats cs;

	memset(&cs, 0, sizeof(cs));
	if (v->ovs)
		ovsdb_conn_get_stats(v->ovs, &cs);
	st.ovs_connected = v->ovs && ovsdb_conn_is_ready(v->ovs);
	st.ovsdb_socket = (char *)(v->dp == VLAND_DP_OVS ? v->db_sock : "");
	st.bridge = (char *)(v->ovs || v->lx.have_main                         ? VLAND_BRIDGE
	                     : v->dp == VLAND_DP_LINUX && v->lx.filtering == 0 ? VLAND_BRIDGE_PFX
	                             "<vlan-id>"
	                                                                       : "");
	st.dataplane = (char *)vland_dp_name(v->dp);
	st.vlan_filtering = v->dp == VLAND_DP_LINUX && v->lx.filtering == 1;
	st.converged = v->converged;
	st.transactions = v->txns;
	st.reconnects = cs.reconnects;
	st.last_error = v->last_error;
	st.ports = (uint32_t)v->model.n_ports;
	st.vlans = (uint32_t)v->model.n_vlans;
	st.reconciles = v->reconciles;
	ctl_reply(req, &st.base);
	ctl_end(req);
}

const struct ctl_method vland_ctl_methods[] = {
        {.name = "port.auth",
         .fn = vland_port_auth,
         .flags = CTL_F_WRITE,
         .help = "802.1X port/MAC authorization and dynamic VLAN (PortAuth -> PortAuthReply)"},
        {.name = "show.vlans",
         .fn = vland_show_vlans,
         .help = "VLANs and their members (ShowVlans -> Vlan*)"},
        {.name = "show.ethernet-switching.table",
         .fn = vland_show_table,
         .help = "MAC table from ovs-vswitchd (ShowMacTable -> MacEntry*)"},
        {.name = "show.ethernet-switching.interface",
         .fn = vland_show_interface,
         .help = "Switch ports (ShowSwitchPort -> SwitchPort*)"},
        {.name = "show.vland.status",
         .fn = vland_show_status,
         .help = "OVS connection and reconcile state (-> VlandStatus)"},
};
const size_t vland_ctl_n_methods = sizeof(vland_ctl_methods) / sizeof(vland_ctl_methods[0]);
