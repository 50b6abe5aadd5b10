/*
 * dot1xd's control socket (lib/proto/dot1xd.proto): show.interface, show.statistics,
 * clear.interface. Structured data only; the CLI renders it (daemons/cli/op_dot1x.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/proto/dot1xd.pb-c.h"

#define D1X_CTL_MAX_SUPP 512 /* supplicants in one reply part at most */

static const char *d1x_mode_junos(enum d1x_mode m)
{
	switch (m) {
	case D1X_MODE_SINGLE_SECURE:
		return "Single-Secure";
	case D1X_MODE_MULTIPLE:
		return "Multiple";
	case D1X_MODE_SINGLE:
		break;
	}
	return "Single";
}

static char *d1x_ctl_filter(struct ctl_req *req)
{
	Keel__Dot1xd__ShowInterface *q;
	char *name = NULL;

	if (!req->payload_len)
		return strdup("");
	q = keel__dot1xd__show_interface__unpack(NULL, req->payload_len, req->payload);
	if (!q)
		return NULL;
	name = strdup(q->interface ? q->interface : "");
	keel__dot1xd__show_interface__free_unpacked(q, NULL);
	return name;
}

/* Supplicants on the port: the multiple-mode port instance (no MAC) is none. */
static uint32_t d1x_ctl_nsupp(const struct d1x_port *pt)
{
	if (pt->c.mode == D1X_MODE_MULTIPLE && pt->psess && !pt->psess->has_mac)
		return pt->nsess - 1;
	return pt->nsess;
}

/* A part stays well under CTL_MAX_FRAME (64 KiB) whatever the supplicants' names. */
#define D1X_CTL_PART_BYTES (48 * 1024)

struct d1x_ctl_supp {
	char mac[18];
	char user[D1X_USER_MAX];
};

static void d1x_ctl_supp_fill(Keel__Dot1xd__Supplicant *x, struct d1x_ctl_supp *buf,
                              const struct d1x_sess *s, uint64_t now)
{
	keel__dot1xd__supplicant__init(x);
	if (s->has_mac)
		snprintf(buf->mac, sizeof(buf->mac), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0],
		         s->mac[1], s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
	else
		buf->mac[0] = '\0';
	snprintf(buf->user, sizeof(buf->user), "%s", s->user);
	x->mac = buf->mac;
	x->user = buf->user;
	x->state = (char *)d1x_sess_state(s);
	x->method = (char *)d1x_method_name(s->method);
	x->vlan = (char *)d1x_sess_vlan(s);
	x->authorized = d1x_sess_authorized(s);
	x->reauth_interval = s->pae.t.reauth_enabled ? s->pae.t.reauth_period : 0;
	x->reauth_due =
	        s->pae.authorized && s->pae.t.reauth_enabled ? (int64_t)s->pae.reauth_when : -1;
	x->session_time =
	        x->authorized && s->authorized_at_ms ? (now - s->authorized_at_ms) / 1000 : 0;
	x->pae_state = (char *)pae_state_name(s->pae.pae_sm.state);
	x->backend_state = (char *)pae_be_state_name(s->pae.be_sm.state);
}

/* One port: its settings in the first part, supplicants spread over as many as needed. */
static int d1x_ctl_show_port(struct ctl_req *req, struct d1x_port *pt, uint64_t now)
{
	Keel__Dot1xd__Interface m = KEEL__DOT1XD__INTERFACE__INIT;
	Keel__Dot1xd__Supplicant *sv, **sp;
	struct d1x_ctl_supp *bufs;
	struct d1x_sess *s = TAILQ_FIRST(&pt->sessions);
	int rc = 0;

	m.name = pt->c.name;
	m.role = "Authenticator";
	m.admin_state = "Auto";
	m.supplicant_mode = (char *)d1x_mode_junos(pt->c.mode);
	m.retries = pt->c.t.reauth_max;
	m.quiet_period = pt->c.t.quiet_period;
	m.transmit_period = pt->c.t.tx_period;
	m.mac_radius = pt->c.mac_radius;
	m.mac_radius_restrict = pt->c.mac_restrict;
	m.reauthentication = pt->c.t.reauth_enabled;
	m.reauth_interval = pt->c.t.reauth_period;
	m.supplicant_timeout = pt->c.t.supp_timeout;
	m.server_timeout = pt->c.t.server_timeout;
	m.maximum_requests = pt->c.t.max_req;
	m.guest_vlan = pt->c.guest_vlan;
	m.link = pt->fd < 0 ? "absent" : pt->up ? "up" : "down";
	m.sessions = d1x_ctl_nsupp(pt);
	m.session_bytes = (uint32_t)d1x_sess_size();
	sv = calloc(D1X_CTL_MAX_SUPP, sizeof(*sv));
	sp = calloc(D1X_CTL_MAX_SUPP, sizeof(*sp));
	bufs = calloc(D1X_CTL_MAX_SUPP, sizeof(*bufs));
	if (!sv || !sp || !bufs) {
		free(sv), free(sp), free(bufs);
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		return -1;
	}
	do {
		size_t n = 0, bytes = 0;

		for (; s && n < D1X_CTL_MAX_SUPP && bytes < D1X_CTL_PART_BYTES;
		     s = TAILQ_NEXT(s, entry)) {
			/* The multiple-mode port instance is no supplicant. */
			if (!s->has_mac && pt->c.mode == D1X_MODE_MULTIPLE)
				continue;
			d1x_ctl_supp_fill(&sv[n], &bufs[n], s, now);
			bytes += keel__dot1xd__supplicant__get_packed_size(&sv[n]) + 4;
			sp[n] = &sv[n];
			n++;
		}
		m.supplicants = sp;
		m.n_supplicants = n;
		rc = ctl_reply(req, &m.base);
		/* The next parts: name and supplicants only. */
		Keel__Dot1xd__Interface next = KEEL__DOT1XD__INTERFACE__INIT;

		next.name = pt->c.name;
		next.continued = true;
		m = next;
	} while (rc >= 0 && s);
	free(sv), free(sp), free(bufs);
	return rc;
}

static void d1x_ctl_show(struct ctl_req *req, void *arg)
{
	struct dot1xd *dx = dot1xd_g;
	char *name = d1x_ctl_filter(req);
	struct d1x_port *pt;
	uint64_t now = mono_ms();

	(void)arg;
	if (!name) {
		ctl_error(req, CTL_ERR_INVALID, "bad request");
		return;
	}
	TAILQ_FOREACH(pt, &dx->ports, entry)
	{
		if (name[0] && strcmp(name, pt->c.name) != 0)
			continue;
		if (d1x_ctl_show_port(req, pt, now) < 0)
			break;
	}
	free(name);
}

static void d1x_ctl_counters(Keel__Dot1xd__Statistics *st, const struct pae_counters *c)
{
	st->eapol_frames_rx += c->eapol_rx;
	st->eapol_frames_tx += c->eapol_tx;
	st->eapol_start_rx += c->start_rx;
	st->eapol_logoff_rx += c->logoff_rx;
	st->eapol_resp_id_rx += c->resp_id_rx;
	st->eapol_resp_rx += c->resp_rx;
	st->eapol_req_id_tx += c->req_id_tx;
	st->eapol_req_tx += c->req_tx;
	st->auth_success += c->auth_success;
	st->auth_fail += c->auth_fail;
	st->auth_timeouts += c->auth_timeouts;
	st->auth_logoffs += c->auth_logoffs;
}

static void d1x_ctl_stats(struct ctl_req *req, void *arg)
{
	struct dot1xd *dx = dot1xd_g;
	char *name = d1x_ctl_filter(req);
	struct d1x_port *pt;

	(void)arg;
	if (!name) {
		ctl_error(req, CTL_ERR_INVALID, "bad request");
		return;
	}
	TAILQ_FOREACH(pt, &dx->ports, entry)
	{
		Keel__Dot1xd__StatisticsReply r = KEEL__DOT1XD__STATISTICS_REPLY__INIT;
		Keel__Dot1xd__Statistics st = KEEL__DOT1XD__STATISTICS__INIT;
		struct d1x_sess *s;

		if (name[0] && strcmp(name, pt->c.name) != 0)
			continue;
		st.name = pt->c.name;
		st.invalid_rx = pt->rx_invalid;
		st.length_error_rx = pt->rx_len_error;
		st.ignored_rx = pt->rx_ignored;
		st.kernel_drops_rx = d1x_port_kernel_drops(pt);
		st.session_limit_rx = pt->rx_sess_limit;
		st.sessions = d1x_ctl_nsupp(pt);
		/* the sessions already gone, then every live one */
		d1x_ctl_counters(&st, &pt->gone);
		TAILQ_FOREACH(s, &pt->sessions, entry)
		d1x_ctl_counters(&st, &s->pae.c);
		st.eapol_frames_rx += pt->rx_invalid + pt->rx_ignored;
		r.interface = &st;
		if (ctl_reply(req, &r.base) < 0) {
			free(name);
			return;
		}
	}
	free(name);

	Keel__Dot1xd__StatisticsReply r = KEEL__DOT1XD__STATISTICS_REPLY__INIT;
	Keel__Dot1xd__Radius rad = KEEL__DOT1XD__RADIUS__INIT;
	Keel__Dot1xd__RadiusServer sv[2 * RADCLIENT_MAX_SERVERS], *sp[2 * RADCLIENT_MAX_SERVERS];
	Keel__Dot1xd__DropCount dc[2 * RADCLIENT_MAX_SERVERS][RADCLIENT_DROP_COUNT];
	Keel__Dot1xd__DropCount *dp[2 * RADCLIENT_MAX_SERVERS][RADCLIENT_DROP_COUNT];
	char addrs[2 * RADCLIENT_MAX_SERVERS][RADCLIENT_ADDR_STR_LEN];
	size_t n = 0;

	if (dx->rc) {
		struct radclient_stats gs;

		radclient_stats(dx->rc, &gs);
		rad.in_flight = gs.in_flight;
		for (int i = 0; i < RADCLIENT_DROP_COUNT; i++)
			rad.dropped += gs.drops[i];
		for (size_t i = 0;
		     i < radclient_server_count(dx->rc) && n < 2 * RADCLIENT_MAX_SERVERS; i++) {
			struct radclient_server_stats ss;

			if (!radclient_server_stats(dx->rc, i, &ss))
				continue;
			keel__dot1xd__radius_server__init(&sv[n]);
			snprintf(addrs[n], sizeof(addrs[n]), "%s", ss.addr);
			sv[n].address = addrs[n];
			sv[n].port = ss.port;
			sv[n].accounting = ss.accounting;
			sv[n].state = ss.state == RADCLIENT_SERVER_DEAD ? "dead" : "up";
			sv[n].requests = ss.requests;
			sv[n].retransmissions = ss.retransmissions;
			sv[n].accepts = ss.accepts;
			sv[n].rejects = ss.rejects;
			sv[n].challenges = ss.challenges;
			sv[n].timeouts = ss.timeouts;
			for (int k = 0; k < RADCLIENT_DROP_COUNT; k++) {
				sv[n].dropped += ss.drops[k];
				if (!ss.drops[k])
					continue;
				keel__dot1xd__drop_count__init(&dc[n][sv[n].n_drops]);
				dc[n][sv[n].n_drops].reason = (char *)radclient_drop_name(k);
				dc[n][sv[n].n_drops].count = ss.drops[k];
				dp[n][sv[n].n_drops] = &dc[n][sv[n].n_drops];
				sv[n].n_drops++;
			}
			sv[n].drops = dp[n];
			sv[n].rtt_avg_us = ss.rtt_avg_us;
			sp[n] = &sv[n];
			n++;
		}
	}
	rad.servers = sp;
	rad.n_servers = n;
	rad.coa = dx->tot.coa;
	rad.disconnects = dx->tot.disconnects;
	rad.vland_connected = d1x_enforce_up(dx->enf);
	rad.vland_errors = d1x_enforce_errors(dx->enf);
	r.radius = &rad;
	ctl_reply(req, &r.base);
}

static void d1x_ctl_clear(struct ctl_req *req, void *arg)
{
	struct dot1xd *dx = dot1xd_g;
	Keel__Dot1xd__ClearReply r = KEEL__DOT1XD__CLEAR_REPLY__INIT;
	char *name = d1x_ctl_filter(req);
	struct d1x_port *pt;

	(void)arg;
	if (!name || !name[0]) {
		free(name);
		ctl_error(req, CTL_ERR_INVALID, "clear dot1x interface needs an interface");
		return;
	}
	pt = d1x_port_find(dx, name);
	if (!pt) {
		ctl_error(req, CTL_ERR_INVALID, "%s: not an 802.1X interface", name);
		free(name);
		return;
	}
	r.sessions = pt->nsess;
	log_info("dot1x %s: cleared by %u", name, (unsigned)req->uid);
	d1x_port_clear(pt);
	free(name);
	ctl_reply(req, &r.base);
}

const struct ctl_method dot1xd_ctl_methods[] = {
        {"show.interface", d1x_ctl_show, 0, "802.1X ports and supplicants"},
        {"show.statistics", d1x_ctl_stats, 0, "EAPOL and RADIUS counters"},
        {"clear.interface", d1x_ctl_clear, CTL_F_WRITE, "restart a port's sessions"},
};
const size_t dot1xd_ctl_n_methods = sizeof(dot1xd_ctl_methods) / sizeof(dot1xd_ctl_methods[0]);
