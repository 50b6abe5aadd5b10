/*
 * One supplicant session around its PAE (pae.c): EAP pass-through to RADIUS (RFC 3579,
 * RFC 3580 attributes), the Junos policies on top of the 802.1X result, enforcement through
 * vland and accounting.
 *
 * Access is the PAE's authorization or an "overlay" granted by policy:
 *   - MAC RADIUS (mac-radius): a host that stays silent for maximum-requests x
 *     transmit-period (or any host with `restrict`) is asked for by its MAC;
 *   - guest-vlan: a silent host that MAC RADIUS did not admit;
 *   - server-reject-vlan: a rejected supplicant (eapol-block ignores its EAPOL for a while);
 *   - server-fail deny | permit | use-cache | vlan-name: no server answered;
 *   - static: MACs in `authenticator static`.
 * An 802.1X success replaces any overlay; logoff, Disconnect and `clear` end both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/das.h"
#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"
#include "lib/crypto.h"
#include "lib/log.h"

static const uint8_t d1x_pae_group[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03};

/* Seconds a session waits after a server failure before it asks the server again. */
#define D1X_SERVER_HOLD_MIN_S 5

static uint64_t d1x_now_ms(void)
{
	return mono_ms();
}

static const char *d1x_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
	return buf;
}

/* What every unset session string points at: nothing allocated until a name comes. */
static char d1x_str_empty[1];

int d1x_str_set(char **dst, const char *src, size_t len)
{
	char *n = d1x_str_empty;
	int rc = 0;

	if (src && len) {
		len = strnlen(src, len);
		if (len && !(n = malloc(len + 1))) {
			n = d1x_str_empty;
			rc = -1;
		} else if (len) {
			memcpy(n, src, len);
			n[len] = '\0';
		}
	}
	/* copied before the free: src may be *dst itself */
	d1x_str_free(dst);
	*dst = n;
	return rc;
}

void d1x_str_free(char **dst)
{
	if (*dst && *dst != d1x_str_empty)
		free(*dst);
	*dst = d1x_str_empty;
}

/* RADIUS State (RFC 2865 §5.24) kept for the next request; none when the reply had none. */
static void d1x_state_keep(struct radius_bytes **dst, const struct radius_bytes *src)
{
	if (!src->len) {
		free(*dst);
		*dst = NULL;
		return;
	}
	if (!*dst && !(*dst = malloc(sizeof(**dst))))
		return; /* the next request goes without State; the server restarts the dialogue */
	**dst = *src;
}

static void d1x_state_clear(struct radius_bytes **st)
{
	free(*st);
	*st = NULL;
}

/* Junos removes a logged-off supplicant of a multiple-mode port from its table at once; its
 * next Start makes a new session. The port's own instance and static bypass stay. */
bool d1x_sess_logoff_removes(const struct d1x_sess *s)
{
	return s->port->c.mode == D1X_MODE_MULTIPLE && !s->port_sess &&
	       s->method != D1X_METHOD_STATIC;
}

bool d1x_sess_authorized(const struct d1x_sess *s)
{
	return s->pae.authorized || s->overlay;
}

const char *d1x_sess_vlan(const struct d1x_sess *s)
{
	if (s->pae.authorized && s->method == D1X_METHOD_RADIUS)
		return s->auth_vlan;
	return s->overlay ? s->overlay_vlan : "";
}

const char *d1x_sess_state(const struct d1x_sess *s)
{
	if (s->overlay && !s->pae.authorized)
		return "Authenticated";
	/* Paused after a server failure: Junos shows the port Held. */
	if (s->hold_until_ms)
		return "Held";
	return pae_junos_state(&s->pae);
}

/* ------------------------------------------------------------ enforcement */

void d1x_sess_enforce(struct d1x_sess *s)
{
	struct dot1xd *dx = s->port->dx;
	uint32_t st = d1x_sess_authorized(s) ? 2 : 1;

	if (!dx->enf)
		return;
	if (s->port->c.mode == D1X_MODE_SINGLE) {
		d1x_enforce_set(dx->enf, s->port->c.name, NULL, st, d1x_sess_vlan(s));
		return;
	}
	if (s->has_mac)
		d1x_enforce_set(dx->enf, s->port->c.name, s->mac, st, d1x_sess_vlan(s));
}

/* ------------------------------------------------------------- accounting */

static void d1x_acct_done(struct radclient_req *req, const struct radclient_done *done, void *arg)
{
	(void)req;
	(void)arg;
	if (done->result != RADCLIENT_RESULT_REPLY)
		log_debugf(D1X_DEBUG_RADIUS, "dot1x: accounting request: %s",
		           radclient_result_name(done->result));
}

/* The port's traffic since its single host's accounting Start: octets and packets from the
 * supplicant (Acct-Input: received on the port) and to it (Output). Multiple mode shares
 * the port among hosts and counts nothing per MAC, so it sends none. */
static void d1x_acct_traffic(struct d1x_sess *s, uint8_t status, struct radius_acct_req *r)
{
	struct d1x_port *pt = s->port;
	struct plat_link l;

	if (pt->c.mode == D1X_MODE_MULTIPLE || !pt->dx->plat ||
	    plat_link_get(pt->dx->plat, pt->ifindex, &l) < 0) {
		pt->acct_base_valid = false;
		return;
	}
	if (status == RADIUS_ACCT_START) {
		pt->acct_base = l.stats;
		pt->acct_base_valid = true;
		return;
	}
	/* Counters that went backwards belong to a re-created interface: count from zero. */
	if (!pt->acct_base_valid || l.stats.rx_bytes < pt->acct_base.rx_bytes ||
	    l.stats.tx_bytes < pt->acct_base.tx_bytes)
		memset(&pt->acct_base, 0, sizeof(pt->acct_base));
	r->has_traffic = true;
	r->in_octets = l.stats.rx_bytes - pt->acct_base.rx_bytes;
	r->out_octets = l.stats.tx_bytes - pt->acct_base.tx_bytes;
	r->in_packets = (uint32_t)(l.stats.rx_packets - pt->acct_base.rx_packets);
	r->out_packets = (uint32_t)(l.stats.tx_packets - pt->acct_base.tx_packets);
	if (status == RADIUS_ACCT_STOP)
		pt->acct_base_valid = false;
}

static void d1x_acct(struct d1x_sess *s, uint8_t status, uint32_t cause)
{
	struct dot1xd *dx = s->port->dx;
	struct radius_acct_req r;

	if (!dx->rc || !dx->conf.rad || dx->conf.rad->n_acct == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.status_type = status;
	r.session_id = s->acct_id;
	r.user_name = (const uint8_t *)s->user;
	r.user_name_len = strlen(s->user);
	r.nas_identifier = dx->conf.nas_id;
	r.has_nas_port = true;
	r.nas_port = (uint32_t)s->port->ifindex;
	r.nas_port_id = s->port->c.name;
	r.has_calling = s->has_mac;
	memcpy(r.calling_mac, s->mac, 6);
	r.has_called = true;
	memcpy(r.called_mac, s->port->mac, 6);
	r.class_ = s->class_;
	r.nclass = s->nclass;
	r.acct_authentic = 1;
	if (status == RADIUS_ACCT_STOP || status == RADIUS_ACCT_INTERIM)
		r.session_time = (uint32_t)((d1x_now_ms() - s->authorized_at_ms) / 1000);
	if (status == RADIUS_ACCT_STOP)
		r.terminate_cause = cause;
	r.event_timestamp = (uint32_t)(wall_ms() / 1000);
	if (!r.user_name_len)
		return;
	d1x_acct_traffic(s, status, &r);
	radclient_acct(dx->rc, &r, d1x_acct_done, NULL);
}

/* ------------------------------------------------------------- RADIUS glue */

static void d1x_access_req_fill(struct d1x_sess *s, struct radius_access_req *r)
{
	struct dot1xd *dx = s->port->dx;

	memset(r, 0, sizeof(*r));
	r->user_name = (const uint8_t *)s->user;
	r->user_name_len = strlen(s->user);
	r->service_type = RADIUS_SERVICE_TYPE_FRAMED;
	r->nas_identifier = dx->conf.nas_id;
	r->has_nas_port = true;
	r->nas_port = (uint32_t)s->port->ifindex;
	r->nas_port_id = s->port->c.name;
	r->has_calling = s->has_mac;
	memcpy(r->calling_mac, s->mac, 6);
	r->has_called = true;
	memcpy(r->called_mac, s->port->mac, 6);
	r->framed_mtu = RADIUS_FRAMED_MTU_ETHERNET;
	r->acct_session_id = s->acct_id;
}

static void d1x_keep_reply(struct d1x_sess *s, const struct radius_reply *rep)
{
	/* RFC 2869 §5.16: Acct-Interim-Interval; RFC 3580 §3.14 asks for at least 60 s. */
	s->interim = rep->has_interim_interval ? rep->interim_interval : 0;
	if (s->interim && s->interim < 60)
		s->interim = 60;
	/* Class only when the server sent one: most sessions hold none (1 KB saved each). */
	free(s->class_);
	s->class_ = NULL;
	s->nclass = rep->nclass < RADIUS_CLASS_MAX ? rep->nclass : RADIUS_CLASS_MAX;
	if (s->nclass) {
		s->class_ = malloc(s->nclass * sizeof(s->class_[0]));
		if (s->class_)
			memcpy(s->class_, rep->class_, s->nclass * sizeof(s->class_[0]));
		else
			s->nclass = 0;
	}
	if (rep->has_user_name && rep->user_name.len < D1X_USER_MAX)
		/* RFC 2865 §5.1: the server may name the user for accounting. */
		d1x_str_set(&s->user, (const char *)rep->user_name.val, rep->user_name.len);
}

/* RFC 3580 §3.17: Session-Timeout with Termination-Action RADIUS-Request = reauth period. */
static void d1x_session_timeout(struct d1x_sess *s, const struct radius_reply *rep)
{
	const struct pae_timers *t = &s->port->c.t;

	s->session_timeout = 0;
	pae_set_reauth_period(&s->pae, t->reauth_enabled ? t->reauth_period : 0);
	if (!rep->has_session_timeout || rep->session_timeout == 0)
		return;
	if (rep->has_termination_action &&
	    rep->termination_action == RADIUS_TERMINATION_RADIUS_REQUEST)
		pae_set_reauth_period(&s->pae, rep->session_timeout);
	else
		s->session_timeout = rep->session_timeout;
}

static void d1x_access_done(struct radclient_req *req, const struct radclient_done *done, void *arg)
{
	struct d1x_sess *s = arg;
	const struct radius_reply *rep = done->reply;

	(void)req;
	s->req = NULL;
	if (done->result != RADCLIENT_RESULT_REPLY || !rep) {
		log_info("dot1x %s: no RADIUS answer (%s)", s->pae.label,
		         radclient_result_name(done->result));
		pae_aaa_fail(&s->pae);
		d1x_sess_after(s);
		return;
	}
	switch (rep->code) {
	case RADIUS_CODE_ACCESS_CHALLENGE:
		d1x_state_keep(&s->state, &rep->state);
		if (rep->has_session_timeout && rep->session_timeout > 0 &&
		    rep->session_timeout < s->pae.t.supp_timeout) {
			/* RFC 3580 §3.17: in a Challenge it is the supplicant timeout. */
			s->pae.t.supp_timeout = rep->session_timeout;
		}
		pae_aaa_challenge(&s->pae, rep->eap, rep->eap_len);
		break;
	case RADIUS_CODE_ACCESS_ACCEPT:
		d1x_state_clear(&s->state);
		d1x_keep_reply(s, rep);
		d1x_str_set(&s->auth_vlan, rep->vlan.name,
		            rep->vlan.present ? sizeof(rep->vlan.name) : 0);
		d1x_session_timeout(s, rep);
		s->pae.t.supp_timeout = s->port->c.t.supp_timeout;
		pae_aaa_accept(&s->pae, rep->eap, rep->eap_len);
		break;
	case RADIUS_CODE_ACCESS_REJECT:
		d1x_state_clear(&s->state);
		pae_aaa_reject(&s->pae, rep->eap, rep->eap_len);
		break;
	default:
		break;
	}
	d1x_sess_after(s);
}

static void d1x_none_accept(evutil_socket_t fd, short what, void *arg)
{
	struct d1x_sess *s = arg;

	(void)fd;
	(void)what;
	d1x_str_free(&s->auth_vlan);
	pae_aaa_accept(&s->pae, NULL, 0);
	d1x_sess_after(s);
}

static void d1x_aaa_abort(struct pae *p)
{
	struct d1x_sess *s = p->arg;

	if (s->req)
		radclient_cancel(s->req);
	s->req = NULL;
	d1x_state_clear(&s->state);
}

static void d1x_aaa_send(struct pae *p, const uint8_t *eap, size_t len)
{
	struct d1x_sess *s = p->arg;
	struct dot1xd *dx = s->port->dx;
	struct radius_access_req r;
	struct eap_pkt e;

	if (s->req)
		radclient_cancel(s->req);
	s->req = NULL;
	if (eap_decode(eap, len, &e) == EAP_OK && e.code == EAP_CODE_RESPONSE &&
	    e.type == EAP_TYPE_IDENTITY) {
		const uint8_t *id;
		size_t idlen;

		if (eap_identity_parse(&e, &id, &idlen) == EAP_OK)
			d1x_str_set(&s->user, (const char *)id,
			            idlen < D1X_USER_MAX ? idlen : D1X_USER_MAX - 1);
		d1x_state_clear(&s->state);
	}
	if (dx->conf.radius_none) {
		/* authentication-order none (lab use): accept from the loop, not re-entrantly. */
		event_base_once(dx->base, -1, EV_TIMEOUT, d1x_none_accept, s, NULL);
		return;
	}
	if (!dx->rc || !s->user[0]) {
		/* RADIUS unconfigured, or no name to ask with: the server "failed" at once. */
		s->pae.server_failed = true;
		s->pae.a_while = 0;
		return;
	}
	d1x_access_req_fill(s, &r);
	r.eap = eap;
	r.eap_len = len;
	r.state = s->state ? s->state->val : NULL;
	r.state_len = s->state ? s->state->len : 0;
	s->req = radclient_access(dx->rc, &r, d1x_access_done, s);
	if (!s->req) {
		s->pae.server_failed = true;
		s->pae.a_while = 0;
	}
}

static void d1x_tx_eap(struct pae *p, const uint8_t *eap, size_t len)
{
	struct d1x_sess *s = p->arg;
	/* Several supplicants on one port: reply unicast (notes §1). */
	const uint8_t *dst =
	        s->port->c.mode == D1X_MODE_MULTIPLE && s->has_mac ? s->mac : d1x_pae_group;

	d1x_port_send_eap(s->port, dst, eap, len);
}

const struct pae_ops d1x_pae_ops = {
        .tx_eap = d1x_tx_eap,
        .aaa_send = d1x_aaa_send,
        .aaa_abort = d1x_aaa_abort,
};

/* ------------------------------------------------------------- policies */

static void d1x_overlay(struct d1x_sess *s, enum d1x_method m, const char *vlan)
{
	s->overlay = true;
	s->method = m;
	d1x_str_set(&s->overlay_vlan, vlan, vlan ? D1X_VLAN_MAX - 1 : 0);
}

static void d1x_overlay_clear(struct d1x_sess *s)
{
	s->overlay = false;
	d1x_str_free(&s->overlay_vlan);
	if (!s->pae.authorized)
		s->method = D1X_METHOD_NONE;
}

static void d1x_guest(struct d1x_sess *s)
{
	const struct d1x_if_conf *c = &s->port->c;

	if (c->guest_vlan[0] && !s->overlay) {
		log_info("dot1x %s: silent host, guest VLAN %s", s->pae.label, c->guest_vlan);
		d1x_overlay(s, D1X_METHOD_GUEST, c->guest_vlan);
		s->port->dx->tot.guest++;
	}
}

static void d1x_server_fail(struct d1x_sess *s)
{
	const struct d1x_if_conf *c = &s->port->c;
	uint32_t hold = c->t.quiet_period > D1X_SERVER_HOLD_MIN_S ? c->t.quiet_period
	                                                          : D1X_SERVER_HOLD_MIN_S;

	s->port->dx->tot.server_fail++;
	switch (c->fail) {
	case D1X_FAIL_DENY:
		log_info("dot1x %s: RADIUS server failed, deny", s->pae.label);
		break;
	case D1X_FAIL_PERMIT:
		d1x_overlay(s, D1X_METHOD_SERVER_FAIL, "");
		break;
	case D1X_FAIL_USE_CACHE:
		if (s->cached)
			d1x_overlay(s, D1X_METHOD_SERVER_FAIL, s->cached_vlan);
		break;
	case D1X_FAIL_VLAN:
		d1x_overlay(s, D1X_METHOD_SERVER_FAIL, c->fail_vlan);
		break;
	}
	/*
	 * Asking again at once would loop EAPOL exchanges as fast as the supplicant answers
	 * while every server is dead: pause the PAE (port disabled for it) for quiet-period.
	 */
	s->hold_until_ms = d1x_now_ms() + (uint64_t)hold * 1000;
	pae_set_port_enabled(&s->pae, false);
}

static bool d1x_static_match(struct d1x_sess *s)
{
	const struct d1x_conf *c = &s->port->dx->conf;

	for (size_t i = 0; s->has_mac && i < c->n_statics; i++) {
		const struct d1x_static *st = &c->statics[i];

		if (memcmp(st->mac, s->mac, 6) == 0 &&
		    (!st->ifname[0] || strcmp(st->ifname, s->port->c.name) == 0)) {
			d1x_overlay(s, D1X_METHOD_STATIC, st->vlan);
			return true;
		}
	}
	return false;
}

/* -------------------------------------------------------- lldp-med-bypass */

/* An LLDP-MED endpoint (a phone) is admitted in the port's VLAN without authentication while
 * its LLDPDUs keep coming: until its TTL runs out, or at once when it says TTL 0. A host
 * that authenticates (802.1X or MAC RADIUS) keeps what that gave it. */
void d1x_sess_lldp_med(struct d1x_sess *s, uint16_t ttl)
{
	bool bypassed = s->overlay && s->method == D1X_METHOD_LLDP_MED;

	if (ttl == 0) {
		if (bypassed) {
			log_info("dot1x %s: LLDP-MED endpoint left (TTL 0)", s->pae.label);
			s->lldp_until_ms = 0;
			d1x_overlay_clear(s);
			d1x_sess_after(s);
		}
		return;
	}
	if (s->pae.authorized || (s->overlay && !bypassed))
		return;
	s->lldp_until_ms = d1x_now_ms() + (uint64_t)ttl * 1000;
	if (!bypassed) {
		log_info("dot1x %s: LLDP-MED endpoint, bypassing authentication for %u s",
		         s->pae.label, ttl);
		d1x_overlay(s, D1X_METHOD_LLDP_MED, "");
		d1x_sess_after(s);
	}
}

/* ------------------------------------------------------------- MAC RADIUS */

static void d1x_mab_user(const struct d1x_sess *s, char out[13])
{
	snprintf(out, 13, "%02x%02x%02x%02x%02x%02x", s->mac[0], s->mac[1], s->mac[2], s->mac[3],
	         s->mac[4], s->mac[5]);
}

static void d1x_mab_send(struct d1x_sess *s, const uint8_t *eap, size_t eap_len);

static void d1x_mab_done(struct radclient_req *req, const struct radclient_done *done, void *arg)
{
	struct d1x_sess *s = arg;
	const struct radius_reply *rep = done->reply;
	struct dot1xd *dx = s->port->dx;

	(void)req;
	s->mab_req = NULL;
	if (done->result != RADCLIENT_RESULT_REPLY || !rep) {
		d1x_server_fail(s);
		d1x_sess_after(s);
		return;
	}
	if (rep->code == RADIUS_CODE_ACCESS_CHALLENGE && !s->port->c.mac_pap) {
		/* EAP-MD5 with password = MAC (Junos MAC RADIUS default, RFC 3748 §5.4). */
		struct eap_pkt e;
		const uint8_t *val, *name;
		size_t vlen, nlen, n;
		uint8_t out[64], digest[16];
		char user[13];

		d1x_state_keep(&s->mab_state, &rep->state);
		d1x_mab_user(s, user);
		if (eap_decode(rep->eap, rep->eap_len, &e) == EAP_OK &&
		    eap_md5_parse(&e, &val, &vlen, &name, &nlen) == EAP_OK &&
		    eap_md5_response_value(e.id, user, strlen(user), val, vlen, digest) == 0 &&
		    eap_md5_encode(EAP_CODE_RESPONSE, e.id, digest, 16, (const uint8_t *)user,
		                   strlen(user), out, sizeof(out), &n) == EAP_OK) {
			d1x_mab_send(s, out, n);
			return;
		}
		if (eap_decode(rep->eap, rep->eap_len, &e) == EAP_OK &&
		    e.code == EAP_CODE_REQUEST && e.type != EAP_TYPE_MD5) {
			/* The server offers another method first: ask for MD5 (RFC 3748 §5.3.1). */
			const uint8_t md5 = EAP_TYPE_MD5;

			if (eap_nak_encode(e.id, &md5, 1, out, sizeof(out), &n) == EAP_OK) {
				d1x_mab_send(s, out, n);
				return;
			}
		}
		/* A challenge keel cannot answer is a reject. */
	}
	if (rep->code == RADIUS_CODE_ACCESS_ACCEPT) {
		log_info("dot1x %s: MAC RADIUS accepted%s%s", s->pae.label,
		         rep->vlan.present ? ", VLAN " : "",
		         rep->vlan.present ? rep->vlan.name : "");
		d1x_keep_reply(s, rep);
		d1x_overlay(s, D1X_METHOD_MAC_RADIUS, rep->vlan.present ? rep->vlan.name : "");
		dx->tot.mab_ok++;
	} else {
		log_info("dot1x %s: MAC RADIUS rejected", s->pae.label);
		dx->tot.mab_fail++;
		d1x_guest(s);
	}
	d1x_state_clear(&s->mab_state);
	d1x_sess_after(s);
}

static void d1x_mab_send(struct d1x_sess *s, const uint8_t *eap, size_t eap_len)
{
	struct dot1xd *dx = s->port->dx;
	struct radius_access_req r;
	char user[13];

	d1x_mab_user(s, user);
	d1x_access_req_fill(s, &r);
	r.user_name = (const uint8_t *)user;
	r.user_name_len = strlen(user);
	/* RFC 3580 §3.21 / Junos: MAC RADIUS is Call-Check. */
	r.service_type = RADIUS_SERVICE_TYPE_CALL_CHECK;
	if (eap) {
		r.eap = eap;
		r.eap_len = eap_len;
		r.state = s->mab_state ? s->mab_state->val : NULL;
		r.state_len = s->mab_state ? s->mab_state->len : 0;
	} else {
		r.password = (const uint8_t *)user;
		r.password_len = strlen(user);
	}
	s->mab_req = radclient_access(dx->rc, &r, d1x_mab_done, s);
}

void d1x_sess_mab_start(struct d1x_sess *s)
{
	struct dot1xd *dx = s->port->dx;
	char user[13];

	if (!s->has_mac || s->mab_req || !dx->rc)
		return;
	s->mab_tried = true;
	s->mab_at_ms = d1x_now_ms();
	d1x_state_clear(&s->mab_state);
	d1x_mab_user(s, user);
	if (!s->user[0] || s->method != D1X_METHOD_RADIUS)
		d1x_str_set(&s->user, user, strlen(user));
	log_info("dot1x %s: MAC RADIUS for %s", s->pae.label, user);
	if (s->port->c.mac_pap) {
		d1x_mab_send(s, NULL, 0);
	} else {
		uint8_t eap[32];
		size_t n;

		if (eap_encode(EAP_CODE_RESPONSE, 0, EAP_TYPE_IDENTITY, (const uint8_t *)user,
		               strlen(user), eap, sizeof(eap), &n) == EAP_OK)
			d1x_mab_send(s, eap, n);
	}
}

/* ------------------------------------------------------------- events */

static void d1x_sess_events(struct d1x_sess *s, uint32_t ev)
{
	const struct d1x_if_conf *c = &s->port->c;
	struct dot1xd *dx = s->port->dx;

	if (ev & PAE_EV_AUTHORIZED) {
		log_info("dot1x %s: %s authenticated%s%s", s->pae.label, s->user,
		         s->auth_vlan[0] ? ", VLAN " : "", s->auth_vlan);
		d1x_overlay_clear(s);
		s->method = D1X_METHOD_RADIUS;
		s->cached = true;
		d1x_str_set(&s->cached_vlan, s->auth_vlan, strlen(s->auth_vlan));
		s->block_until_ms = 0;
		dx->tot.auth_ok++;
	}
	if (ev & PAE_EV_FAIL) {
		log_info("dot1x %s: %s rejected", s->pae.label, s->user);
		dx->tot.auth_fail++;
		d1x_str_free(&s->auth_vlan);
		if (c->reject_vlan[0]) {
			d1x_overlay(s, D1X_METHOD_SERVER_REJECT, c->reject_vlan);
			if (c->eapol_block)
				s->block_until_ms =
				        d1x_now_ms() + (uint64_t)c->block_interval * 1000;
		} else if (s->overlay && s->method != D1X_METHOD_STATIC) {
			d1x_overlay_clear(s);
		}
		if (!s->overlay)
			s->method = D1X_METHOD_NONE;
	}
	if (ev & PAE_EV_SUPP_SILENT) {
		if (c->mac_radius && s->has_mac && !s->mab_req &&
		    !(s->overlay && s->method == D1X_METHOD_MAC_RADIUS))
			d1x_sess_mab_start(s);
		else if (!s->mab_req)
			d1x_guest(s);
	}
	if (ev & PAE_EV_SERVER_TIMEOUT)
		d1x_server_fail(s);
	if (ev & PAE_EV_LOGOFF) {
		log_info("dot1x %s: %s logged off", s->pae.label, s->user);
		dx->tot.logoffs++;
		if (d1x_sess_logoff_removes(s))
			s->gone = true;
		if (s->method != D1X_METHOD_STATIC)
			d1x_overlay_clear(s);
		d1x_str_free(&s->auth_vlan);
		s->method = s->overlay ? s->method : D1X_METHOD_NONE;
	}
	if ((ev & PAE_EV_UNAUTHORIZED) && !s->overlay) {
		d1x_str_free(&s->auth_vlan);
		s->method = D1X_METHOD_NONE;
	}
}

static uint32_t d1x_term_cause(uint32_t ev)
{
	if (ev & PAE_EV_LOGOFF)
		return RADIUS_TERM_USER_REQUEST;
	if (ev & PAE_EV_FAIL)
		return RADIUS_TERM_REAUTH_FAILURE;
	return RADIUS_TERM_PORT_REINIT;
}

/* Accounting, enforcement and sensors follow the session's access after any change. */
static void d1x_sess_sync(struct d1x_sess *s, uint32_t ev)
{
	bool before = s->was_authorized;
	bool now = d1x_sess_authorized(s);
	char mac[18];

	if (now && !before) {
		s->authorized_at_ms = d1x_now_ms();
		if (s->method == D1X_METHOD_RADIUS || s->method == D1X_METHOD_MAC_RADIUS) {
			d1x_acct(s, RADIUS_ACCT_START, 0);
			s->acct_started = true;
			s->interim_at_ms = s->authorized_at_ms;
		}
	} else if (!now && before && s->acct_started) {
		d1x_acct(s, RADIUS_ACCT_STOP, d1x_term_cause(ev));
		s->acct_started = false;
	}
	s->was_authorized = now;
	d1x_sess_enforce(s);
	d1x_sensors_sess(s->port->dx, s, false);
	if (s->logged_state != d1x_sess_state(s) || s->logged_method != s->method || ev)
		log_debugf(D1X_DEBUG_FSM, "dot1x %s %s: %s method %s vlan '%s'", s->port->c.name,
		           s->has_mac ? d1x_mac_str(s->mac, mac) : "-", d1x_sess_state(s),
		           d1x_method_name(s->method), d1x_sess_vlan(s));
	s->logged_state = d1x_sess_state(s);
	s->logged_method = s->method;
}

void d1x_sess_after(struct d1x_sess *s)
{
	/* Policy actions may move the PAE again (pause on server-fail): bounded re-runs. */
	for (int i = 0; i < 4; i++) {
		uint32_t ev = s->pae.events;

		s->pae.events = 0;
		d1x_sess_events(s, ev);
		d1x_sess_sync(s, ev);
		if (!s->pae.events)
			break;
	}
}

void d1x_sess_tick(struct d1x_sess *s, uint64_t now_ms)
{
	if (s->lldp_until_ms && now_ms >= s->lldp_until_ms) {
		s->lldp_until_ms = 0;
		if (s->overlay && s->method == D1X_METHOD_LLDP_MED) {
			log_info("dot1x %s: LLDP-MED endpoint's TTL ran out", s->pae.label);
			d1x_overlay_clear(s);
		}
	}
	if (s->hold_until_ms && now_ms >= s->hold_until_ms) {
		s->hold_until_ms = 0;
		pae_set_port_enabled(&s->pae, s->port->up);
	}
	if (s->session_timeout && s->pae.authorized &&
	    now_ms - s->authorized_at_ms >= (uint64_t)s->session_timeout * 1000) {
		/* RFC 3580 §3.17: Session-Timeout without RADIUS-Request ends the session. */
		log_info("dot1x %s: Session-Timeout", s->pae.label);
		s->session_timeout = 0;
		if (s->acct_started) {
			d1x_acct(s, RADIUS_ACCT_STOP, RADIUS_TERM_SESSION_TIMEOUT);
			s->acct_started = false;
		}
		pae_reinit(&s->pae);
	}
	if (s->acct_started && s->interim &&
	    now_ms - s->interim_at_ms >= (uint64_t)s->interim * 1000) {
		s->interim_at_ms = now_ms;
		d1x_acct(s, RADIUS_ACCT_INTERIM, 0);
	}
	pae_tick(&s->pae);
	d1x_sess_after(s);
}

struct d1x_sess *d1x_sess_new(struct d1x_port *pt, const uint8_t *mac, bool port_sess)
{
	struct dot1xd *dx = pt->dx;
	struct d1x_sess *s = calloc(1, sizeof(*s));
	char m[18];

	if (!s)
		return NULL;
	s->port = pt;
	s->port_sess = port_sess;
	d1x_str_free(&s->user); /* calloc's NULLs become "" */
	d1x_str_free(&s->overlay_vlan);
	d1x_str_free(&s->auth_vlan);
	d1x_str_free(&s->cached_vlan);
	if (mac) {
		s->has_mac = true;
		memcpy(s->mac, mac, 6);
	}
	snprintf(s->pae.label, sizeof(s->pae.label), "%s %s", pt->c.name,
	         mac ? d1x_mac_str(mac, m) : "port");
	snprintf(s->acct_id, sizeof(s->acct_id), "%08X-%08X", (uint32_t)(wall_ms() / 1000),
	         ++dx->acct_seq);
	s->last_seen_ms = d1x_now_ms();
	d1x_port_hash_add(pt, s);
	TAILQ_INSERT_TAIL(&pt->sessions, s, entry);
	pt->nsess++;
	pae_init(&s->pae, &d1x_pae_ops, s, &pt->c.t, PAE_CTRL_AUTO, pt->up);
	d1x_static_match(s);
	d1x_sess_after(s);
	return s;
}

void d1x_sess_bind(struct d1x_sess *s, const uint8_t mac[6])
{
	char m[18];

	if (s->has_mac && memcmp(s->mac, mac, 6) == 0)
		return;
	if (s->has_mac && s->port->c.mode != D1X_MODE_SINGLE && s->port->dx->enf)
		d1x_enforce_set(s->port->dx->enf, s->port->c.name, s->mac, 0, "");
	d1x_port_hash_del(s->port, s);
	s->has_mac = true;
	memcpy(s->mac, mac, 6);
	d1x_port_hash_add(s->port, s);
	s->mab_tried = false;
	snprintf(s->pae.label, sizeof(s->pae.label), "%s %s", s->port->c.name, d1x_mac_str(mac, m));
	if (s->overlay && s->method == D1X_METHOD_STATIC)
		d1x_overlay_clear(s);
	d1x_static_match(s);
	d1x_sess_after(s);
}

size_t d1x_sess_size(void)
{
	return sizeof(struct d1x_sess);
}

/* The port's statistics outlive the sessions they came from. */
static void d1x_counters_add(struct pae_counters *to, const struct pae_counters *c)
{
	to->eapol_rx += c->eapol_rx;
	to->eapol_tx += c->eapol_tx;
	to->start_rx += c->start_rx;
	to->logoff_rx += c->logoff_rx;
	to->resp_id_rx += c->resp_id_rx;
	to->resp_rx += c->resp_rx;
	to->req_id_tx += c->req_id_tx;
	to->req_tx += c->req_tx;
	to->resp_bad_id += c->resp_bad_id;
	to->enters_connecting += c->enters_connecting;
	to->enters_authenticating += c->enters_authenticating;
	to->auth_success += c->auth_success;
	to->auth_fail += c->auth_fail;
	to->auth_timeouts += c->auth_timeouts;
	to->auth_reauths += c->auth_reauths;
	to->auth_logoffs += c->auth_logoffs;
	to->server_timeouts += c->server_timeouts;
}

void d1x_sess_free(struct d1x_sess *s, uint32_t term_cause)
{
	struct d1x_port *pt = s->port;

	d1x_counters_add(&pt->gone, &s->pae.c);
	d1x_port_hash_del(pt, s);
	if (s->req)
		radclient_cancel(s->req);
	if (s->mab_req)
		radclient_cancel(s->mab_req);
	if (s->acct_started)
		d1x_acct(s, RADIUS_ACCT_STOP, term_cause);
	if (s->has_mac && pt->c.mode != D1X_MODE_SINGLE && pt->dx->enf)
		d1x_enforce_set(pt->dx->enf, pt->c.name, s->mac, 0, "");
	d1x_sensors_sess(pt->dx, s, true);
	TAILQ_REMOVE(&pt->sessions, s, entry);
	pt->nsess--;
	if (pt->psess == s)
		pt->psess = NULL;
	pae_free(&s->pae);
	free(s->class_);
	d1x_str_free(&s->user);
	d1x_str_free(&s->overlay_vlan);
	d1x_str_free(&s->auth_vlan);
	d1x_str_free(&s->cached_vlan);
	d1x_state_clear(&s->state);
	d1x_state_clear(&s->mab_state);
	free(s);
}

/* ------------------------------------------------------ RFC 5176 CoA / Disconnect */

static struct d1x_sess *d1x_das_find(struct dot1xd *dx, const struct radius_das_req *req,
                                     int *matches)
{
	struct d1x_sess *found = NULL;
	struct d1x_port *pt;
	struct d1x_sess *s;

	*matches = 0;
	TAILQ_FOREACH(pt, &dx->ports, entry)
	{
		if (req->has_nas_port_id &&
		    (req->nas_port_id.len != strlen(pt->c.name) ||
		     memcmp(req->nas_port_id.val, pt->c.name, req->nas_port_id.len) != 0))
			continue;
		/* Calling-Station-Id names one MAC: the port's hash finds it without a walk
		 * over thousands of sessions. */
		s = req->has_calling ? d1x_sess_find(pt, req->calling_mac)
		                     : TAILQ_FIRST(&pt->sessions);
		for (; s; s = req->has_calling ? NULL : TAILQ_NEXT(s, entry)) {
			if (!d1x_sess_authorized(s) && !s->pae.authorized)
				continue;
			if (req->has_calling &&
			    (!s->has_mac || memcmp(req->calling_mac, s->mac, 6)))
				continue;
			if (req->has_acct_session_id &&
			    (req->acct_session_id.len != strlen(s->acct_id) ||
			     memcmp(req->acct_session_id.val, s->acct_id,
			            req->acct_session_id.len)))
				continue;
			if (req->has_user_name &&
			    (req->user_name.len != strlen(s->user) ||
			     memcmp(req->user_name.val, s->user, req->user_name.len)))
				continue;
			found = s;
			(*matches)++;
		}
	}
	return found;
}

uint32_t d1x_das_cb(const struct radius_das_req *req, size_t client, void *arg)
{
	struct dot1xd *dx = arg;
	struct d1x_sess *s;
	int n;

	(void)client;
	if (!req->has_calling && !req->has_user_name && !req->has_acct_session_id)
		return DAS_ERROR_MISSING_ATTRIBUTE;
	if (req->unsupported_attr)
		return DAS_ERROR_UNSUPPORTED_ATTRIBUTE;
	s = d1x_das_find(dx, req, &n);
	if (!s)
		return DAS_ERROR_SESSION_NOT_FOUND;
	if (n > 1)
		return DAS_ERROR_MULTIPLE_SESSIONS;
	if (req->code == RADIUS_CODE_DISCONNECT_REQUEST) {
		log_info("dot1x %s: Disconnect-Request", s->pae.label);
		dx->tot.disconnects++;
		if (s->port->c.mac_radius && s->port->c.flap_on_disconnect) {
			d1x_port_flap(s->port); /* ends every session of the port (Admin-Reset) */
			return DAS_ERROR_NONE;
		}
		if (s->acct_started) {
			d1x_acct(s, RADIUS_ACCT_STOP, RADIUS_TERM_ADMIN_RESET);
			s->acct_started = false;
		}
		d1x_overlay_clear(s);
		d1x_str_free(&s->auth_vlan);
		/* The host's next frame may start MAC RADIUS again. */
		s->mab_tried = false;
		pae_reinit(&s->pae);
		s->pae.events |= PAE_EV_UNAUTHORIZED;
		d1x_sess_after(s);
		/* Junos: the session is removed; a multiple-mode host starts a new one. */
		if (s->port->c.mode == D1X_MODE_MULTIPLE && !s->port_sess &&
		    s->method != D1X_METHOD_STATIC)
			d1x_sess_free(s, RADIUS_TERM_ADMIN_RESET);
		return DAS_ERROR_NONE;
	}
	/* CoA-Request: a new VLAN and/or Session-Timeout for the running session. */
	log_info("dot1x %s: CoA-Request%s%s", s->pae.label, req->vlan.present ? ", VLAN " : "",
	         req->vlan.present ? req->vlan.name : "");
	dx->tot.coa++;
	if (req->vlan.present) {
		if (s->pae.authorized)
			d1x_str_set(&s->auth_vlan, req->vlan.name, sizeof(req->vlan.name));
		else
			d1x_str_set(&s->overlay_vlan, req->vlan.name, sizeof(req->vlan.name));
	}
	if (req->has_session_timeout) {
		if (req->has_termination_action &&
		    req->termination_action == RADIUS_TERMINATION_RADIUS_REQUEST)
			pae_set_reauth_period(&s->pae, req->session_timeout);
		else
			s->session_timeout = req->session_timeout;
	}
	d1x_sess_enforce(s);
	d1x_sensors_sess(dx, s, false);
	return DAS_ERROR_NONE;
}

/* RADIUS client and DAS from the profile: DAS clients are the profile's servers. */
void d1x_radius_configure(struct dot1xd *dx)
{
	struct radclient_cfg *rc = dx->conf.rad;
	struct das_cfg dc;

	if (!rc || rc->n_auth == 0) {
		/* Sessions hold handles into the client: it stays (idle) once created. */
		if (dx->rc)
			radclient_configure(dx->rc, rc);
	} else if (!dx->rc) {
		dx->rc = radclient_new(dx->base, rc);
	} else {
		radclient_configure(dx->rc, rc);
	}
	if (!rc || rc->n_auth == 0 || dx->conf.n_ifs == 0) {
		if (dx->das)
			das_free(dx->das);
		dx->das = NULL;
		return;
	}
	memset(&dc, 0, sizeof(dc));
	if (dx->conf.das)
		dc = *dx->conf.das;
	/* No `access radius-disconnect` client: the servers that authenticate may also end
	 * or change what they authorized (keel default). */
	bool from_servers = dc.n_clients == 0;

	for (size_t i = 0; from_servers && i < rc->n_auth && dc.n_clients < DAS_MAX_CLIENTS; i++) {
		snprintf(dc.clients[dc.n_clients].addr, sizeof(dc.clients[0].addr), "%s",
		         rc->auth[i].addr);
		snprintf(dc.clients[dc.n_clients].secret, sizeof(dc.clients[0].secret), "%s",
		         rc->auth[i].secret);
		dc.n_clients++;
	}
	if (dx->das)
		das_configure(dx->das, &dc);
	else
		dx->das = das_new(dx->base, &dc, d1x_das_cb, dx);
}
