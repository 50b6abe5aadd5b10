/*
 * IEEE 802.1X-2004 authenticator machines (see pae.h). Clause numbers refer to
 * IEEE Std 802.1X-2004; the retransmission in REQUEST is 802.1X-2001 §8.5.8's.
 */
#include "daemons/dot1xd/pae.h"

#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd.h"
#include "lib/log.h"

/* Three machines feed each other's variables; they settle in a few rounds. */
#define PAE_MAX_ROUNDS 16

static const char *const pae_state_names[PAE_STATE_COUNT] = {
        "INITIALIZE",    "DISCONNECTED", "RESTART", "CONNECTING", "AUTHENTICATING",
        "AUTHENTICATED", "ABORTING",     "HELD",    "FORCE_AUTH", "FORCE_UNAUTH",
};

static const char *const pae_be_state_names[PAE_BE_STATE_COUNT] = {
        "INITIALIZE", "IDLE", "REQUEST", "RESPONSE", "IGNORE", "FAIL", "TIMEOUT", "SUCCESS",
};

static const char *const pae_ra_state_names[PAE_RA_STATE_COUNT] = {"INITIALIZE", "REAUTHENTICATE"};

const char *pae_state_name(enum pae_state s)
{
	return (unsigned)s < PAE_STATE_COUNT ? pae_state_names[s] : "?";
}

const char *pae_be_state_name(enum pae_be_state s)
{
	return (unsigned)s < PAE_BE_STATE_COUNT ? pae_be_state_names[s] : "?";
}

void pae_timers_default(struct pae_timers *t)
{
	t->tx_period = 30;
	t->supp_timeout = 30;
	t->server_timeout = 30;
	t->max_req = 2;
	t->quiet_period = 60;
	t->reauth_max = 3;
	t->reauth_period = 3600;
	t->reauth_enabled = true;
}

static void pae_label(const void *obj, char *buf, size_t len)
{
	const struct pae *p = obj;

	strncpy(buf, p->label, len - 1);
	buf[len - 1] = '\0';
}

static void pae_set_status(struct pae *p, bool authorized)
{
	if (p->authorized && !authorized)
		p->events |= PAE_EV_UNAUTHORIZED;
	p->authorized = authorized;
}

static void pae_tx(struct pae *p, const uint8_t *eap, size_t len)
{
	p->c.eapol_tx++;
	if (p->ops->tx_eap)
		p->ops->tx_eap(p, eap, len);
}

/* txCannedSuccess / txCannedFail (8.2.4.1.3): a bare EAP Success/Failure. */
static void pae_tx_canned(struct pae *p, uint8_t code)
{
	uint8_t buf[EAP_HDR_LEN];
	size_t n;

	p->last_id++;
	if (eap_encode(code, p->last_id, 0, NULL, 0, buf, sizeof(buf), &n) == EAP_OK)
		pae_tx(p, buf, n);
}

/*
 * The EAP layer's restart (RFC 4137 §4.1 INITIALIZE then IDENTITY): a fresh
 * Request/Identity becomes the pending request, and whatever the server knew is dropped.
 */
/* A copy of len bytes in *buf, reallocated to fit; false (and nothing kept) without memory. */
static bool pae_keep(uint8_t **buf, size_t *buf_len, const uint8_t *data, size_t len)
{
	uint8_t *n;

	*buf_len = 0;
	if (len == 0)
		return true;
	n = realloc(*buf, len);
	if (!n)
		return false;
	memcpy(n, data, len);
	*buf = n;
	*buf_len = len;
	return true;
}

void pae_free(struct pae *p)
{
	free(p->req);
	free(p->resp);
	p->req = p->resp = NULL;
	p->req_len = p->resp_len = 0;
}

static void pae_eap_restart(struct pae *p)
{
	uint8_t id_req[EAP_HDR_LEN + 1];
	size_t n = 0;

	if (p->ops->aaa_abort)
		p->ops->aaa_abort(p);
	p->last_id++;
	if (eap_encode(EAP_CODE_REQUEST, p->last_id, EAP_TYPE_IDENTITY, NULL, 0, id_req,
	               sizeof(id_req), &n) != EAP_OK)
		n = 0;
	pae_keep(&p->req, &p->req_len, id_req, n);
	p->req_identity = true;
	p->heard = false;
	p->server_failed = false;
	p->eap_success = p->eap_fail = false;
	p->eap_req = true;
	p->eap_restart = false;
}

/* ------------------------------------------------ authenticator PAE (8.2.4) */

static void pae_enter(void *obj, int state)
{
	struct pae *p = obj;

	switch ((enum pae_state)state) {
	case PAE_STATE_INITIALIZE:
		p->port_mode = PAE_CTRL_AUTO;
		/* A disabled or re-initialised port carries no authorization (8.2.4 via §6.4). */
		pae_set_status(p, false);
		break;
	case PAE_STATE_DISCONNECTED:
		pae_set_status(p, false);
		p->reauth_count = 0;
		p->eapol_logoff = false;
		break;
	case PAE_STATE_RESTART:
		p->eap_restart = true;
		/* The EAP layer answers eapRestart at once (pass-through, RFC 4137 §4.1). */
		pae_eap_restart(p);
		break;
	case PAE_STATE_CONNECTING:
		p->eapol_start = false;
		p->reauthenticate = false;
		p->reauth_count++;
		p->c.enters_connecting++;
		break;
	case PAE_STATE_AUTHENTICATING:
		p->eapol_start = false;
		p->auth_success = p->auth_fail = p->auth_timeout = false;
		p->auth_start = true;
		p->c.enters_authenticating++;
		break;
	case PAE_STATE_AUTHENTICATED:
		pae_set_status(p, true);
		p->reauth_count = 0;
		p->c.auth_success++;
		p->events |= PAE_EV_AUTHORIZED;
		break;
	case PAE_STATE_ABORTING:
		p->auth_abort = true;
		break;
	case PAE_STATE_HELD:
		pae_set_status(p, false);
		p->quiet_while = p->t.quiet_period;
		p->eapol_logoff = false;
		p->c.auth_fail++;
		p->events |= PAE_EV_FAIL;
		break;
	case PAE_STATE_FORCE_AUTH:
		pae_set_status(p, true);
		p->port_mode = PAE_CTRL_FORCE_AUTH;
		p->eapol_start = false;
		pae_tx_canned(p, EAP_CODE_SUCCESS);
		p->events |= PAE_EV_AUTHORIZED;
		break;
	case PAE_STATE_FORCE_UNAUTH:
		pae_set_status(p, false);
		p->port_mode = PAE_CTRL_FORCE_UNAUTH;
		p->eapol_start = false;
		pae_tx_canned(p, EAP_CODE_FAILURE);
		break;
	case PAE_STATE_COUNT:
		break;
	}
}

static int pae_step(void *obj, int state)
{
	struct pae *p = obj;

	/* Global transitions (Figure 8-3), ahead of every state's own arcs. */
	if ((p->port_control == PAE_CTRL_AUTO && p->port_mode != p->port_control) ||
	    p->initialize || !p->port_enabled)
		return PAE_STATE_INITIALIZE;
	if (p->port_control == PAE_CTRL_FORCE_AUTH && p->port_mode != p->port_control)
		return PAE_STATE_FORCE_AUTH;
	if (p->port_control == PAE_CTRL_FORCE_UNAUTH && p->port_mode != p->port_control)
		return PAE_STATE_FORCE_UNAUTH;

	switch ((enum pae_state)state) {
	case PAE_STATE_INITIALIZE:
		return PAE_STATE_DISCONNECTED;
	case PAE_STATE_DISCONNECTED:
		return p->logoff_removes && (p->events & PAE_EV_LOGOFF) ? state : PAE_STATE_RESTART;
	case PAE_STATE_RESTART:
		return p->eap_restart ? state : PAE_STATE_CONNECTING;
	case PAE_STATE_CONNECTING:
		if (p->eapol_logoff || p->reauth_count > p->t.reauth_max) {
			if (p->eapol_logoff)
				p->events |= PAE_EV_LOGOFF;
			return PAE_STATE_DISCONNECTED;
		}
		if ((p->eap_req && p->reauth_count <= p->t.reauth_max) || p->eap_success ||
		    p->eap_fail)
			return PAE_STATE_AUTHENTICATING;
		return state;
	case PAE_STATE_AUTHENTICATING:
		if (p->auth_success)
			return PAE_STATE_AUTHENTICATED;
		if (p->auth_fail)
			return PAE_STATE_HELD;
		if (p->eapol_start || p->eapol_logoff || p->auth_timeout)
			return PAE_STATE_ABORTING;
		return state;
	case PAE_STATE_AUTHENTICATED:
		if (p->eapol_logoff) {
			p->events |= PAE_EV_LOGOFF;
			return PAE_STATE_DISCONNECTED;
		}
		if (p->eapol_start || p->reauthenticate) {
			if (p->reauthenticate) {
				p->c.auth_reauths++;
				p->events |= PAE_EV_REAUTH;
			}
			return PAE_STATE_RESTART;
		}
		return state;
	case PAE_STATE_ABORTING:
		if (p->auth_abort)
			return state;
		if (p->eapol_logoff) {
			p->events |= PAE_EV_LOGOFF;
			return PAE_STATE_DISCONNECTED;
		}
		return PAE_STATE_RESTART;
	case PAE_STATE_HELD:
		return p->quiet_while == 0 ? PAE_STATE_RESTART : state;
	case PAE_STATE_FORCE_AUTH:
		/* The diagram's self-loop on eapolStart re-runs the entry actions. */
		if (p->eapol_start)
			pae_enter(p, state);
		return state;
	case PAE_STATE_FORCE_UNAUTH:
		if (p->eapol_start)
			pae_enter(p, state);
		return state;
	case PAE_STATE_COUNT:
		break;
	}
	return state;
}

/* ----------------------------------------- backend authentication (8.2.9) */

static void pae_tx_req(struct pae *p)
{
	if (!p->req_len)
		return;
	if (p->req_identity)
		p->c.req_id_tx++;
	else
		p->c.req_tx++;
	p->last_id = p->req[1];
	pae_tx(p, p->req, p->req_len);
}

static void pae_be_enter(void *obj, int state)
{
	struct pae *p = obj;

	switch ((enum pae_be_state)state) {
	case PAE_BE_STATE_INITIALIZE:
		if (p->ops->aaa_abort)
			p->ops->aaa_abort(p);
		p->eap_no_req = false;
		p->auth_abort = false;
		break;
	case PAE_BE_STATE_IDLE:
		p->auth_start = false;
		p->req_count = 0;
		break;
	case PAE_BE_STATE_REQUEST:
		p->eapol_eap = false;
		pae_tx_req(p);
		p->eap_req = false;
		/* 802.1X-2001 §8.5.8: txPeriod paces Request/Identity, suppTimeout the rest. */
		p->a_while = p->req_identity ? p->t.tx_period : p->t.supp_timeout;
		p->req_count++;
		break;
	case PAE_BE_STATE_RESPONSE:
		p->auth_timeout = false;
		p->eapol_eap = false;
		p->eap_no_req = false;
		p->a_while = p->t.server_timeout;
		p->req_count = 0;
		p->req_identity = false;
		if (p->ops->aaa_send)
			p->ops->aaa_send(p, p->resp, p->resp_len);
		break;
	case PAE_BE_STATE_IGNORE:
		p->eap_no_req = false;
		break;
	case PAE_BE_STATE_FAIL:
		if (p->req_len)
			pae_tx_req(p);
		else
			pae_tx_canned(p, EAP_CODE_FAILURE);
		p->eap_fail = false;
		p->eap_req = false;
		p->auth_fail = true;
		break;
	case PAE_BE_STATE_TIMEOUT:
		p->auth_timeout = true;
		p->c.auth_timeouts++;
		if (p->server_failed) {
			p->c.server_timeouts++;
			p->events |= PAE_EV_SERVER_TIMEOUT;
		} else if (!p->heard) {
			p->events |= PAE_EV_SUPP_SILENT;
		} else {
			p->events |= PAE_EV_SUPP_TIMEOUT;
		}
		break;
	case PAE_BE_STATE_SUCCESS:
		if (p->req_len)
			pae_tx_req(p);
		else
			pae_tx_canned(p, EAP_CODE_SUCCESS);
		p->eap_success = false;
		p->eap_req = false;
		p->auth_success = true;
		break;
	case PAE_BE_STATE_COUNT:
		break;
	}
}

static int pae_be_step(void *obj, int state)
{
	struct pae *p = obj;

	if (p->port_control != PAE_CTRL_AUTO || p->initialize || p->auth_abort)
		return PAE_BE_STATE_INITIALIZE;

	switch ((enum pae_be_state)state) {
	case PAE_BE_STATE_INITIALIZE:
		return PAE_BE_STATE_IDLE;
	case PAE_BE_STATE_IDLE:
		if (!p->auth_start)
			return state;
		if (p->eap_req)
			return PAE_BE_STATE_REQUEST;
		if (p->eap_success)
			return PAE_BE_STATE_SUCCESS;
		if (p->eap_fail)
			return PAE_BE_STATE_FAIL;
		return state;
	case PAE_BE_STATE_REQUEST:
		if (p->eapol_eap)
			return PAE_BE_STATE_RESPONSE;
		if (p->a_while == 0) {
			if (p->req_count >= p->t.max_req)
				return PAE_BE_STATE_TIMEOUT;
			/* Retransmission: the diagram's REQUEST self-loop. */
			pae_be_enter(p, state);
		}
		return state;
	case PAE_BE_STATE_RESPONSE:
		if (p->eap_no_req)
			return PAE_BE_STATE_IGNORE;
		if (p->eap_req)
			return PAE_BE_STATE_REQUEST;
		if (p->eap_fail)
			return PAE_BE_STATE_FAIL;
		if (p->eap_success)
			return PAE_BE_STATE_SUCCESS;
		if (p->a_while == 0) {
			/* aWhile ran out on the server: server-fail, like an explicit failure. */
			p->server_failed = true;
			return PAE_BE_STATE_TIMEOUT;
		}
		return state;
	case PAE_BE_STATE_IGNORE:
		if (p->eapol_eap)
			return PAE_BE_STATE_RESPONSE;
		if (p->eap_req)
			return PAE_BE_STATE_REQUEST;
		if (p->a_while == 0)
			return PAE_BE_STATE_TIMEOUT;
		return state;
	case PAE_BE_STATE_FAIL:
	case PAE_BE_STATE_TIMEOUT:
	case PAE_BE_STATE_SUCCESS:
		return PAE_BE_STATE_IDLE;
	case PAE_BE_STATE_COUNT:
		break;
	}
	return state;
}

/* ------------------------------------------ reauthentication timer (8.2.8) */

static void pae_ra_enter(void *obj, int state)
{
	struct pae *p = obj;

	if (state == PAE_RA_STATE_INITIALIZE)
		p->reauth_when = p->t.reauth_period;
	else
		p->reauthenticate = true;
}

static int pae_ra_step(void *obj, int state)
{
	struct pae *p = obj;

	if (p->port_control != PAE_CTRL_AUTO || p->initialize || !p->authorized ||
	    !p->t.reauth_enabled) {
		/* The global arc holds the machine in INITIALIZE, re-running its entry. */
		if (state == PAE_RA_STATE_INITIALIZE)
			p->reauth_when = p->t.reauth_period;
		return PAE_RA_STATE_INITIALIZE;
	}
	if (state == PAE_RA_STATE_INITIALIZE)
		return p->reauth_when == 0 ? PAE_RA_STATE_REAUTHENTICATE : state;
	return PAE_RA_STATE_INITIALIZE;
}

static const struct sm_def pae_def = {
        .name = "auth_pae",
        .state_names = pae_state_names,
        .n_states = PAE_STATE_COUNT,
        .enter = pae_enter,
        .step = pae_step,
        .debug_bit = 1,
        .label = pae_label,
};

static const struct sm_def pae_be_def = {
        .name = "backend",
        .state_names = pae_be_state_names,
        .n_states = PAE_BE_STATE_COUNT,
        .enter = pae_be_enter,
        .step = pae_be_step,
        .debug_bit = 1,
        .label = pae_label,
};

static const struct sm_def pae_ra_def = {
        .name = "reauth",
        .state_names = pae_ra_state_names,
        .n_states = PAE_RA_STATE_COUNT,
        .enter = pae_ra_enter,
        .step = pae_ra_step,
        .debug_bit = 1,
        .label = pae_label,
};

/* ------------------------------------------------------------- interface */

void pae_init(struct pae *p, const struct pae_ops *ops, void *arg, const struct pae_timers *t,
              enum pae_port_control ctrl, bool port_enabled)
{
	char label[sizeof(p->label)];

	memcpy(label, p->label, sizeof(label));
	memset(p, 0, offsetof(struct pae, label));
	p->ops = ops;
	p->arg = arg;
	p->t = *t;
	p->port_control = ctrl;
	p->port_enabled = port_enabled;
	p->initialize = true;
	sm_init(&pae_def, &p->pae_sm, p, PAE_STATE_INITIALIZE);
	sm_init(&pae_be_def, &p->be_sm, p, PAE_BE_STATE_INITIALIZE);
	sm_init(&pae_ra_def, &p->ra_sm, p, PAE_RA_STATE_INITIALIZE);
	p->initialize = false;
	pae_run(p);
}

void pae_run(struct pae *p)
{
	for (int round = 0; round < PAE_MAX_ROUNDS; round++) {
		int n = 0, r;

		/* Backend first: its INITIALIZE -> IDLE must not clear the authStart the PAE sets.
		 */
		r = sm_run(&pae_be_def, &p->be_sm, p);
		n += r > 0 ? r : 0;
		r = sm_run(&pae_def, &p->pae_sm, p);
		n += r > 0 ? r : 0;
		r = sm_run(&pae_ra_def, &p->ra_sm, p);
		n += r > 0 ? r : 0;
		if (n == 0)
			return;
	}
	log_warnx("dot1x %s: machines not stable after %d rounds", p->label, PAE_MAX_ROUNDS);
}

void pae_tick(struct pae *p)
{
	/* 8.2.3: each timer counts down to zero once a second. */
	if (p->a_while)
		p->a_while--;
	if (p->quiet_while)
		p->quiet_while--;
	if (p->reauth_when)
		p->reauth_when--;
	pae_run(p);
}

void pae_rx_start(struct pae *p)
{
	p->c.eapol_rx++;
	p->c.start_rx++;
	p->heard = true;
	p->eapol_start = true;
	pae_run(p);
}

void pae_rx_logoff(struct pae *p)
{
	p->c.eapol_rx++;
	p->c.logoff_rx++;
	p->eapol_logoff = true;
	p->c.auth_logoffs++;
	pae_run(p);
}

void pae_rx_eap(struct pae *p, const uint8_t *eap, size_t len)
{
	struct eap_pkt e;

	p->c.eapol_rx++;
	p->heard = true;
	if (eap_decode(eap, len, &e) != EAP_OK || e.code != EAP_CODE_RESPONSE)
		return;
	/* RFC 3748 §4.1: a response must carry the outstanding request's Identifier. */
	if (e.id != p->last_id ||
	    (p->be_sm.state != PAE_BE_STATE_REQUEST && p->be_sm.state != PAE_BE_STATE_IGNORE)) {
		p->c.resp_bad_id++;
		return;
	}
	if (e.length > PAE_EAP_MAX || !pae_keep(&p->resp, &p->resp_len, eap, e.length))
		return;
	if (e.type == EAP_TYPE_IDENTITY)
		p->c.resp_id_rx++;
	else
		p->c.resp_rx++;
	p->eapol_eap = true;
	pae_run(p);
}

static void pae_set_req(struct pae *p, const uint8_t *eap, size_t len)
{
	if (len > PAE_EAP_MAX || len < EAP_HDR_LEN)
		len = 0;
	pae_keep(&p->req, &p->req_len, eap, len);
	p->req_identity = false;
}

void pae_aaa_challenge(struct pae *p, const uint8_t *eap, size_t len)
{
	if (p->be_sm.state != PAE_BE_STATE_RESPONSE && p->be_sm.state != PAE_BE_STATE_IGNORE)
		return;
	pae_set_req(p, eap, len);
	if (p->req_len)
		p->eap_req = true;
	else
		p->eap_no_req = true; /* a Challenge without EAP: nothing to relay */
	pae_run(p);
}

void pae_aaa_accept(struct pae *p, const uint8_t *eap, size_t len)
{
	if (p->be_sm.state != PAE_BE_STATE_RESPONSE && p->be_sm.state != PAE_BE_STATE_IGNORE)
		return;
	pae_set_req(p, eap, len);
	p->eap_success = true;
	pae_run(p);
}

void pae_aaa_reject(struct pae *p, const uint8_t *eap, size_t len)
{
	if (p->be_sm.state != PAE_BE_STATE_RESPONSE && p->be_sm.state != PAE_BE_STATE_IGNORE)
		return;
	pae_set_req(p, eap, len);
	p->eap_fail = true;
	pae_run(p);
}

void pae_aaa_fail(struct pae *p)
{
	if (p->be_sm.state != PAE_BE_STATE_RESPONSE && p->be_sm.state != PAE_BE_STATE_IGNORE)
		return;
	p->server_failed = true;
	p->a_while = 0;
	pae_run(p);
}

void pae_set_port_enabled(struct pae *p, bool up)
{
	p->port_enabled = up;
	pae_run(p);
}

void pae_set_port_control(struct pae *p, enum pae_port_control c)
{
	p->port_control = c;
	pae_run(p);
}

void pae_reinit(struct pae *p)
{
	p->initialize = true;
	pae_run(p);
	p->initialize = false;
	pae_run(p);
}

void pae_reauth_now(struct pae *p)
{
	p->reauthenticate = true;
	pae_run(p);
}

void pae_set_reauth_period(struct pae *p, uint32_t seconds)
{
	p->t.reauth_period = seconds;
	p->t.reauth_enabled = seconds > 0;
	p->reauth_when = seconds;
}

const char *pae_junos_state(const struct pae *p)
{
	switch ((enum pae_state)p->pae_sm.state) {
	case PAE_STATE_AUTHENTICATING:
	case PAE_STATE_ABORTING:
		return "Authenticating";
	case PAE_STATE_AUTHENTICATED:
		return "Authenticated";
	case PAE_STATE_HELD:
		return "Held";
	case PAE_STATE_FORCE_AUTH:
		return "Force Authorized";
	case PAE_STATE_FORCE_UNAUTH:
		return "Force Unauthorized";
	case PAE_STATE_INITIALIZE:
		return "Initialize";
	case PAE_STATE_DISCONNECTED:
	case PAE_STATE_RESTART:
	case PAE_STATE_CONNECTING:
	case PAE_STATE_COUNT:
		break;
	}
	return "Connecting";
}
