/*
 * The IEEE 802.1X-2004 authenticator machines of one supplicant (clause 8.2): the
 * authenticator PAE (8.2.4), the backend authentication machine (8.2.9) and the
 * reauthentication timer (8.2.8), written entry/step with lib/sm so each state can be held
 * against the standard's diagram.
 *
 * Pure: no sockets, no clock. Frames and RADIUS answers arrive as pae_rx_* / pae_aaa_*
 * calls; the port timers machine (8.2.3) is pae_tick(), called once a second. What the
 * machines want done goes out through struct pae_ops (send an EAP packet to the supplicant,
 * send a response to the server, abort the server exchange), and what happened is left in
 * p->events for the caller to act on after the call returns (policy: guest VLAN, server-fail,
 * reject VLAN, accounting), so nothing re-enters the machines.
 *
 * Pass-through (RFC 3748 §2.3 / RFC 3579): the machines originate only Request/Identity and
 * canned Success/Failure; every other request comes from the server. Retransmission of
 * requests to the supplicant follows 802.1X-2001's backend (transmit-period for
 * Request/Identity, supplicant-timeout for the rest, maximum-requests times), which is what
 * the Junos knobs name.
 */
#ifndef KEEL_DOT1XD_PAE_H
#define KEEL_DOT1XD_PAE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sm.h"

/* EAP packets relayed in one EAPOL frame: Framed-MTU 1500 is what keel promises. */
#define PAE_EAP_MAX 1500

enum pae_state {
	PAE_STATE_INITIALIZE,
	PAE_STATE_DISCONNECTED,
	PAE_STATE_RESTART,
	PAE_STATE_CONNECTING,
	PAE_STATE_AUTHENTICATING,
	PAE_STATE_AUTHENTICATED,
	PAE_STATE_ABORTING,
	PAE_STATE_HELD,
	PAE_STATE_FORCE_AUTH,
	PAE_STATE_FORCE_UNAUTH,
	PAE_STATE_COUNT,
};

enum pae_be_state {
	PAE_BE_STATE_INITIALIZE,
	PAE_BE_STATE_IDLE,
	PAE_BE_STATE_REQUEST,
	PAE_BE_STATE_RESPONSE,
	PAE_BE_STATE_IGNORE,
	PAE_BE_STATE_FAIL,
	PAE_BE_STATE_TIMEOUT,
	PAE_BE_STATE_SUCCESS,
	PAE_BE_STATE_COUNT,
};

enum pae_ra_state {
	PAE_RA_STATE_INITIALIZE,
	PAE_RA_STATE_REAUTHENTICATE,
	PAE_RA_STATE_COUNT,
};

enum pae_port_control {
	PAE_CTRL_AUTO,
	PAE_CTRL_FORCE_AUTH,
	PAE_CTRL_FORCE_UNAUTH,
};

/* What happened during a call; the caller reads and clears p->events. */
enum pae_event {
	PAE_EV_AUTHORIZED = 1 << 0,     /* entered AUTHENTICATED (or FORCE_AUTH) */
	PAE_EV_UNAUTHORIZED = 1 << 1,   /* port status went from authorized to unauthorized */
	PAE_EV_FAIL = 1 << 2,           /* entered HELD: the server rejected */
	PAE_EV_SUPP_SILENT = 1 << 3,    /* maximum-requests Request/Identity unanswered */
	PAE_EV_SUPP_TIMEOUT = 1 << 4,   /* the supplicant stopped answering mid-exchange */
	PAE_EV_SERVER_TIMEOUT = 1 << 5, /* no server answered (server-fail) */
	PAE_EV_LOGOFF = 1 << 6,         /* EAPOL-Logoff took the session down */
	PAE_EV_REAUTH = 1 << 7,         /* reauthentication started */
};

/* Junos names (protocols dot1x authenticator interface) and defaults, in seconds. */
struct pae_timers {
	uint32_t tx_period;      /* transmit-period 30 */
	uint32_t supp_timeout;   /* supplicant-timeout 30 */
	uint32_t server_timeout; /* server-timeout 30 */
	uint32_t max_req;        /* maximum-requests 2 */
	uint32_t quiet_period;   /* quiet-period 60 */
	uint32_t reauth_max;     /* retries 3 */
	uint32_t reauth_period;  /* reauthentication 3600 */
	bool reauth_enabled;     /* false with no-reauthentication */
};

struct pae;

struct pae_ops {
	/* An EAP packet (request, Success, Failure) for the supplicant. */
	void (*tx_eap)(struct pae *p, const uint8_t *eap, size_t len);
	/* The supplicant's response for the server (sendRespToServer()). */
	void (*aaa_send)(struct pae *p, const uint8_t *eap, size_t len);
	/* abortAuth(): forget the server exchange in progress. */
	void (*aaa_abort)(struct pae *p);
};

struct pae_counters {
	uint64_t eapol_rx, eapol_tx, start_rx, logoff_rx, resp_id_rx, resp_rx, req_id_tx, req_tx;
	uint64_t resp_bad_id; /* responses whose Identifier is not the outstanding request's */
	uint64_t enters_connecting, enters_authenticating, auth_success, auth_fail;
	uint64_t auth_timeouts, auth_reauths, auth_logoffs, server_timeouts;
};

struct pae {
	const struct pae_ops *ops;
	void *arg; /* the caller's (session) */
	struct pae_timers t;
	enum pae_port_control port_control;
	bool port_enabled;
	bool initialize;
	/* The owner removes this instance after a Logoff (multiple-supplicant hosts): the
	 * machine stays in DISCONNECTED instead of asking the host that just left for its
	 * identity again. */
	bool logoff_removes;

	/* 802.1X-2004 §8.2.2 variables */
	enum pae_port_control port_mode;
	bool authorized; /* authPortStatus */
	bool eapol_start, eapol_logoff, eapol_eap;
	bool reauthenticate, eap_restart, eap_req, eap_no_req, eap_success, eap_fail;
	bool auth_start, auth_abort, auth_success, auth_fail, auth_timeout;
	uint32_t reauth_count, req_count;
	uint32_t a_while, quiet_while, reauth_when; /* seconds, decremented by pae_tick() */

	/* pass-through EAP layer */
	bool heard;         /* an EAPOL frame came from the supplicant since RESTART */
	bool req_identity;  /* the outstanding request is our Request/Identity */
	bool server_failed; /* pae_aaa_fail(): the RESPONSE timeout was the server's */
	uint8_t last_id;    /* Identifier of the last request sent */
	/* On the heap, each sized to its packet (at most PAE_EAP_MAX): thousands of held
	 * EAP-MD5 sessions keep a few dozen bytes each here, not 3 KB. */
	uint8_t *req; /* the pending request (retransmitted as is) */
	size_t req_len;
	uint8_t *resp; /* the supplicant's last response, for the server */
	size_t resp_len;

	uint32_t events; /* enum pae_event bits since the caller last cleared them */
	struct pae_counters c;
	struct sm_inst pae_sm, be_sm, ra_sm;
	char label[40]; /* for log lines: "eth1 02:00:00:00:00:01" */
};

void pae_init(struct pae *p, const struct pae_ops *ops, void *arg, const struct pae_timers *t,
              enum pae_port_control ctrl, bool port_enabled);
/* Frees what pae_init and the exchanges allocated; pae_init may follow. */
void pae_free(struct pae *p);
/* The Junos defaults. */
void pae_timers_default(struct pae_timers *t);
/* Runs the three machines until none moves (bounded). */
void pae_run(struct pae *p);
/* Port timers machine (8.2.3): one second passed. */
void pae_tick(struct pae *p);

void pae_rx_start(struct pae *p);
void pae_rx_logoff(struct pae *p);
/* An EAP packet from the supplicant (only Responses matter). */
void pae_rx_eap(struct pae *p, const uint8_t *eap, size_t len);

/* The server's answers, EAP packet included (may be empty for Accept/Reject). */
void pae_aaa_challenge(struct pae *p, const uint8_t *eap, size_t len);
void pae_aaa_accept(struct pae *p, const uint8_t *eap, size_t len);
void pae_aaa_reject(struct pae *p, const uint8_t *eap, size_t len);
/* No server answered: the backend times out now (server-fail). */
void pae_aaa_fail(struct pae *p);

void pae_set_port_enabled(struct pae *p, bool up);
void pae_set_port_control(struct pae *p, enum pae_port_control c);
/* `clear dot1x interface`, a new config: start over from INITIALIZE. */
void pae_reinit(struct pae *p);
/* Reauthenticate now (Session-Timeout with Termination-Action RADIUS-Request, CoA). */
void pae_reauth_now(struct pae *p);
/* A RADIUS Session-Timeout for this session's reauthentication period. */
void pae_set_reauth_period(struct pae *p, uint32_t seconds);

const char *pae_state_name(enum pae_state s);
const char *pae_be_state_name(enum pae_be_state s);
/* Junos "State": Connecting, Authenticating, Authenticated, Held, ... */
const char *pae_junos_state(const struct pae *p);

#endif
