/*
 * 802.1X-2004 authenticator machines (daemons/dot1xd/pae.c) against a fake supplicant and a
 * fake server: the clock is pae_tick(), the transport records what the machines send.
 * Success, Reject -> HELD -> quiet period -> Request/Identity again, silent supplicant
 * (maximum-requests x transmit-period), supplicant timeout mid-exchange, server timeout
 * (server-fail), logoff, periodic reauthentication, forced port control, stale responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/dot1xd.h"
#include "daemons/dot1xd/pae.h"

struct fake {
	int tx;           /* EAP packets sent to the supplicant */
	uint8_t last[64]; /* the last one (header + a little) */
	size_t last_len;
	int aaa; /* responses sent to the server */
	uint8_t aaa_last[64];
	int aborts;
};

static struct fake fk;

static void fk_tx(struct pae *p, const uint8_t *eap, size_t len)
{
	(void)p;
	fk.tx++;
	fk.last_len = len < sizeof(fk.last) ? len : sizeof(fk.last);
	memcpy(fk.last, eap, fk.last_len);
}

static void fk_aaa(struct pae *p, const uint8_t *eap, size_t len)
{
	(void)p;
	fk.aaa++;
	memcpy(fk.aaa_last, eap, len < sizeof(fk.aaa_last) ? len : sizeof(fk.aaa_last));
}

static void fk_abort(struct pae *p)
{
	(void)p;
	fk.aborts++;
}

static const struct pae_ops fk_ops = {.tx_eap = fk_tx, .aaa_send = fk_aaa, .aaa_abort = fk_abort};

static struct pae *new_pae(struct pae *p, const struct pae_timers *t)
{
	memset(&fk, 0, sizeof(fk));
	memset(p, 0, sizeof(*p));
	pae_init(p, &fk_ops, NULL, t, PAE_CTRL_AUTO, true);
	return p;
}

static void ticks(struct pae *p, int n)
{
	for (int i = 0; i < n; i++)
		pae_tick(p);
}

/* The supplicant answers the last request with a Response of `type`. */
static void answer(struct pae *p, uint8_t type)
{
	uint8_t buf[32];
	size_t n;

	assert_int_equal(eap_encode(EAP_CODE_RESPONSE, fk.last[1], type, (const uint8_t *)"bob", 3,
	                            buf, sizeof(buf), &n),
	                 EAP_OK);
	pae_rx_eap(p, buf, n);
}

static void server_eap(uint8_t code, uint8_t id, uint8_t *buf, size_t *n)
{
	assert_int_equal(
	        eap_encode(code, id, EAP_TYPE_MD5, (const uint8_t *)"\x01x", 2, buf, 32, n),
	        EAP_OK);
}

static void test_success(void **state)
{
	struct pae_timers t;
	struct pae p;
	uint8_t eap[32];
	size_t n;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	/* Straight to CONNECTING -> AUTHENTICATING with a Request/Identity out. */
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_int_equal(p.be_sm.state, PAE_BE_STATE_REQUEST);
	assert_int_equal(fk.tx, 1);
	assert_int_equal(fk.last[0], EAP_CODE_REQUEST);
	assert_int_equal(fk.last[4], EAP_TYPE_IDENTITY);
	assert_false(p.authorized);
	answer(&p, EAP_TYPE_IDENTITY);
	assert_int_equal(p.be_sm.state, PAE_BE_STATE_RESPONSE);
	assert_int_equal(fk.aaa, 1);
	assert_int_equal(fk.aaa_last[4], EAP_TYPE_IDENTITY);
	/* Challenge relayed, answered, relayed back. */
	server_eap(EAP_CODE_REQUEST, 7, eap, &n);
	pae_aaa_challenge(&p, eap, n);
	assert_int_equal(p.be_sm.state, PAE_BE_STATE_REQUEST);
	assert_int_equal(fk.tx, 2);
	assert_int_equal(fk.last[1], 7);
	answer(&p, EAP_TYPE_MD5);
	assert_int_equal(fk.aaa, 2);
	assert_int_equal(fk.aaa_last[1], 7);
	eap_encode(EAP_CODE_SUCCESS, 7, 0, NULL, 0, eap, sizeof(eap), &n);
	p.events = 0;
	pae_aaa_accept(&p, eap, n);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATED);
	assert_true(p.authorized);
	assert_true(p.events & PAE_EV_AUTHORIZED);
	assert_int_equal(fk.tx, 3);
	assert_int_equal(fk.last[0], EAP_CODE_SUCCESS);
	assert_int_equal(p.c.auth_success, 1);
	pae_free(&p);
}

static void test_reject_held_quiet(void **state)
{
	struct pae_timers t;
	struct pae p;
	uint8_t eap[8];
	size_t n;

	(void)state;
	pae_timers_default(&t);
	t.quiet_period = 5;
	new_pae(&p, &t);
	answer(&p, EAP_TYPE_IDENTITY);
	eap_encode(EAP_CODE_FAILURE, 2, 0, NULL, 0, eap, sizeof(eap), &n);
	pae_aaa_reject(&p, eap, n);
	assert_int_equal(p.pae_sm.state, PAE_STATE_HELD);
	assert_true(p.events & PAE_EV_FAIL);
	assert_false(p.authorized);
	assert_int_equal(fk.last[0], EAP_CODE_FAILURE);
	int tx = fk.tx;
	/* Quiet: nothing is sent and Start is ignored until quietWhile runs out. */
	pae_rx_start(&p);
	ticks(&p, 4);
	assert_int_equal(p.pae_sm.state, PAE_STATE_HELD);
	assert_int_equal(fk.tx, tx);
	ticks(&p, 1);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_int_equal(fk.tx, tx + 1);
	assert_int_equal(fk.last[4], EAP_TYPE_IDENTITY);
	pae_free(&p);
}

static void test_silent_supplicant(void **state)
{
	struct pae_timers t;
	struct pae p;

	(void)state;
	pae_timers_default(&t);
	t.tx_period = 3;
	t.max_req = 2;
	new_pae(&p, &t);
	assert_int_equal(fk.tx, 1);
	ticks(&p, 3);
	/* Retransmitted once after transmit-period... */
	assert_int_equal(fk.tx, 2);
	assert_int_equal(p.events & PAE_EV_SUPP_SILENT, 0);
	ticks(&p, 2);
	assert_int_equal(p.events & PAE_EV_SUPP_SILENT, 0);
	/* ...then after maximum-requests x transmit-period the host counts as silent. */
	ticks(&p, 1);
	assert_true(p.events & PAE_EV_SUPP_SILENT);
	assert_int_equal(p.c.auth_timeouts, 1);
	/* and the PAE starts over (ABORTING -> RESTART): a fresh Request/Identity. */
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_int_equal(fk.tx, 3);
	/* After `retries` failed rounds the PAE passes DISCONNECTED and keeps trying. */
	ticks(&p, 6 * 4);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_true(p.c.enters_connecting >= 4);
	assert_false(p.authorized);
	pae_free(&p);
}

static void test_supplicant_timeout(void **state)
{
	struct pae_timers t;
	struct pae p;
	uint8_t eap[32];
	size_t n;

	(void)state;
	pae_timers_default(&t);
	t.supp_timeout = 2;
	t.max_req = 1;
	new_pae(&p, &t);
	answer(&p, EAP_TYPE_IDENTITY);
	server_eap(EAP_CODE_REQUEST, 9, eap, &n);
	pae_aaa_challenge(&p, eap, n);
	p.events = 0;
	int aborts = fk.aborts;
	ticks(&p, 2);
	assert_true(p.events & PAE_EV_SUPP_TIMEOUT);
	assert_int_equal(p.events & PAE_EV_SUPP_SILENT, 0);
	assert_true(fk.aborts > aborts); /* the server exchange is dropped */
	pae_free(&p);
}

static void test_server_timeout_and_fail(void **state)
{
	struct pae_timers t;
	struct pae p;

	(void)state;
	pae_timers_default(&t);
	t.server_timeout = 4;
	new_pae(&p, &t);
	answer(&p, EAP_TYPE_IDENTITY);
	ticks(&p, 3);
	assert_int_equal(p.be_sm.state, PAE_BE_STATE_RESPONSE);
	ticks(&p, 1);
	assert_true(p.events & PAE_EV_SERVER_TIMEOUT);
	assert_int_equal(p.c.server_timeouts, 1);
	/* The RADIUS client giving up ends the wait at once. */
	p.events = 0;
	answer(&p, EAP_TYPE_IDENTITY);
	assert_int_equal(p.be_sm.state, PAE_BE_STATE_RESPONSE);
	pae_aaa_fail(&p);
	assert_true(p.events & PAE_EV_SERVER_TIMEOUT);
	assert_false(p.authorized);
	pae_free(&p);
}

static void authenticate(struct pae *p)
{
	uint8_t eap[8];
	size_t n;

	answer(p, EAP_TYPE_IDENTITY);
	eap_encode(EAP_CODE_SUCCESS, fk.last[1], 0, NULL, 0, eap, sizeof(eap), &n);
	pae_aaa_accept(p, eap, n);
	assert_true(p->authorized);
}

static void test_logoff(void **state)
{
	struct pae_timers t;
	struct pae p;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	authenticate(&p);
	p.events = 0;
	pae_rx_logoff(&p);
	assert_false(p.authorized);
	assert_true(p.events & PAE_EV_LOGOFF);
	assert_true(p.events & PAE_EV_UNAUTHORIZED);
	/* DISCONNECTED -> RESTART: the port asks again. */
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_int_equal(fk.last[4], EAP_TYPE_IDENTITY);
	pae_free(&p);
}

/* A host the owner removes on Logoff (multiple-supplicant ports) is not asked for its identity
 * again: the request would only re-create the session it just ended. */
static void test_logoff_removes(void **state)
{
	struct pae_timers t;
	struct pae p;
	int sent;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	authenticate(&p);
	sent = fk.tx;
	p.events = 0;
	p.logoff_removes = true;
	pae_rx_logoff(&p);
	assert_false(p.authorized);
	assert_true(p.events & PAE_EV_LOGOFF);
	assert_int_equal(p.pae_sm.state, PAE_STATE_DISCONNECTED);
	assert_int_equal(fk.tx, sent);
	pae_free(&p);
}

static void test_reauth(void **state)
{
	struct pae_timers t;
	struct pae p;

	(void)state;
	pae_timers_default(&t);
	t.reauth_period = 10;
	new_pae(&p, &t);
	ticks(&p, 2); /* time unauthorized does not count */
	authenticate(&p);
	int tx = fk.tx;
	ticks(&p, 9);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATED);
	p.events = 0;
	ticks(&p, 1);
	assert_true(p.events & PAE_EV_REAUTH);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	/* Still authorized while it reauthenticates (802.1X-2004 8.2.4). */
	assert_true(p.authorized);
	assert_int_equal(fk.tx, tx + 1);
	authenticate(&p);
	assert_int_equal(p.c.auth_reauths, 1);
	/* A RADIUS Session-Timeout shortens it; no-reauthentication stops it. */
	pae_set_reauth_period(&p, 3);
	p.events = 0;
	ticks(&p, 3);
	assert_true(p.events & PAE_EV_REAUTH);
	authenticate(&p);
	pae_set_reauth_period(&p, 0);
	p.events = 0;
	ticks(&p, 100);
	assert_int_equal(p.events & PAE_EV_REAUTH, 0);
	pae_free(&p);
}

static void test_reauth_fail_unauthorizes(void **state)
{
	struct pae_timers t;
	struct pae p;
	uint8_t eap[8];
	size_t n;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	authenticate(&p);
	pae_reauth_now(&p);
	answer(&p, EAP_TYPE_IDENTITY);
	eap_encode(EAP_CODE_FAILURE, fk.last[1], 0, NULL, 0, eap, sizeof(eap), &n);
	p.events = 0;
	pae_aaa_reject(&p, eap, n);
	assert_false(p.authorized);
	assert_true(p.events & PAE_EV_UNAUTHORIZED);
	assert_int_equal(p.pae_sm.state, PAE_STATE_HELD);
	pae_free(&p);
}

static void test_force(void **state)
{
	struct pae_timers t;
	struct pae p;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	pae_set_port_control(&p, PAE_CTRL_FORCE_AUTH);
	assert_int_equal(p.pae_sm.state, PAE_STATE_FORCE_AUTH);
	assert_true(p.authorized);
	assert_int_equal(fk.last[0], EAP_CODE_SUCCESS);
	int tx = fk.tx;
	pae_rx_start(&p); /* Start -> canned Success again */
	assert_int_equal(fk.tx, tx + 1);
	assert_int_equal(fk.last[0], EAP_CODE_SUCCESS);
	pae_set_port_control(&p, PAE_CTRL_FORCE_UNAUTH);
	assert_false(p.authorized);
	assert_int_equal(fk.last[0], EAP_CODE_FAILURE);
	pae_rx_start(&p);
	assert_int_equal(fk.last[0], EAP_CODE_FAILURE);
	pae_set_port_control(&p, PAE_CTRL_AUTO);
	assert_int_equal(p.pae_sm.state, PAE_STATE_AUTHENTICATING);
	assert_int_equal(fk.last[4], EAP_TYPE_IDENTITY);
	/* Link down: INITIALIZE, unauthorized. */
	authenticate(&p);
	pae_set_port_enabled(&p, false);
	assert_int_equal(p.pae_sm.state, PAE_STATE_INITIALIZE);
	assert_false(p.authorized);
	pae_free(&p);
}

static void test_stale_response(void **state)
{
	struct pae_timers t;
	struct pae p;
	uint8_t buf[16];
	size_t n;

	(void)state;
	pae_timers_default(&t);
	new_pae(&p, &t);
	eap_encode(EAP_CODE_RESPONSE, (uint8_t)(fk.last[1] + 1), EAP_TYPE_IDENTITY, NULL, 0, buf,
	           sizeof(buf), &n);
	pae_rx_eap(&p, buf, n);
	assert_int_equal(fk.aaa, 0);
	assert_int_equal(p.c.resp_bad_id, 1);
	/* A truncated packet is ignored too. */
	pae_rx_eap(&p, buf, 3);
	assert_int_equal(fk.aaa, 0);
	/* A server answer when nothing is outstanding changes nothing. */
	pae_aaa_accept(&p, NULL, 0);
	assert_false(p.authorized);
	pae_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_success),
	        cmocka_unit_test(test_reject_held_quiet),
	        cmocka_unit_test(test_silent_supplicant),
	        cmocka_unit_test(test_supplicant_timeout),
	        cmocka_unit_test(test_server_timeout_and_fail),
	        cmocka_unit_test(test_logoff),
	        cmocka_unit_test(test_logoff_removes),
	        cmocka_unit_test(test_reauth),
	        cmocka_unit_test(test_reauth_fail_unauthorizes),
	        cmocka_unit_test(test_force),
	        cmocka_unit_test(test_stale_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
