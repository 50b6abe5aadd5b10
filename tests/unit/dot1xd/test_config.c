/*
 * dot1xd's config parser (daemons/dot1xd/config.c, d1x_conf_parse): Junos defaults,
 * every per-port knob, `interface all` expanded to the switch ports without their own entry,
 * the access profile's servers (explicit list or every radius-server), statics, and the
 * refusals (no profile, unknown profile, bad MAC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/das.h"
#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"

#define SWITCHPORT(n)                                                                              \
	"{\"name\":\"" n "\",\"unit\":[{\"name\":0,\"family\":{\"keel-vlans:ethernet-switching\":" \
	"{\"interface-mode\":\"access\"}}}]}"

static const char full[] =
        "{\"keel-system:system\":{\"host-name\":\"sw1\"},"
        "\"keel-interfaces:interfaces\":{\"interface\":[" SWITCHPORT("p1") "," SWITCHPORT("p2") "," SWITCHPORT(
                "p3") ",{\"name\":\"eth0\",\"unit\":[{\"name\":0,"
                      "\"family\":{\"inet\":{}}}]}]},"
                      "\"keel-access:access\":{\"radius-server\":["
                      "{\"name\":\"10.0.0.9\",\"secret\":\"s1\",\"port\":1645,\"timeout\":2,\"retry\":4},"
                      "{\"name\":\"10.0.0.10\",\"secret\":\"s2\",\"accounting-port\":1646}],"
                      "\"profile\":[{\"name\":\"p\",\"radius\":{\"authentication-server\":[\"10.0.0.10\","
                      "\"10.0.0.9\"],\"accounting-server\":[\"10.0.0.10\"]}}]},"
                      "\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
                      "\"authentication-profile-name\":\"p\",\"interface\":["
                      "{\"name\":\"p1\",\"supplicant\":\"multiple\",\"transmit-period\":5,"
                      "\"supplicant-timeout\":6,\"server-timeout\":7,\"maximum-requests\":3,\"retries\":4,"
                      "\"quiet-period\":8,\"no-reauthentication\":[null],"
                      "\"mac-radius\":{\"restrict\":[null],\"authentication-protocol\":\"pap\"},"
                      "\"guest-vlan\":\"guests\",\"server-reject-vlan\":[{\"name\":\"rej\","
                      "\"eapol-block\":[null],\"block-interval\":300}],"
                      "\"server-fail\":{\"vlan-name\":\"fail\"}},"
                      "{\"name\":\"all\",\"supplicant\":\"single-secure\",\"reauthentication\":600,"
                      "\"server-fail\":{\"use-cache\":[null]}}],"
                      "\"static\":[{\"name\":\"02:00:00:00:00:09\",\"vlan-assignment\":\"v9\","
                      "\"interface\":\"p2\"}]}}}}";

static struct d1x_if_conf *find(struct d1x_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_ifs; i++)
		if (strcmp(c->ifs[i].name, name) == 0)
			return &c->ifs[i];
	return NULL;
}

static int parse(const char *json, struct d1x_conf *c, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	assert_non_null(o);
	rc = d1x_conf_parse(o, c, err, errlen);
	json_object_put(o);
	return rc;
}

static void test_full(void **state)
{
	struct d1x_conf c;
	char err[256] = "";
	struct d1x_if_conf *p1, *p2;

	(void)state;
	assert_int_equal(parse(full, &c, err, sizeof(err)), 0);
	/* p1 explicit; p2, p3 from `all`; eth0 is no switch port. */
	assert_int_equal(c.n_ifs, 3);
	assert_null(find(&c, "eth0"));
	p1 = find(&c, "p1");
	p2 = find(&c, "p2");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_non_null(find(&c, "p3"));
	assert_int_equal(p1->mode, D1X_MODE_MULTIPLE);
	assert_int_equal(p1->t.tx_period, 5);
	assert_int_equal(p1->t.supp_timeout, 6);
	assert_int_equal(p1->t.server_timeout, 7);
	assert_int_equal(p1->t.max_req, 3);
	assert_int_equal(p1->t.reauth_max, 4);
	assert_int_equal(p1->t.quiet_period, 8);
	assert_false(p1->t.reauth_enabled);
	assert_true(p1->mac_radius && p1->mac_restrict && p1->mac_pap);
	assert_string_equal(p1->guest_vlan, "guests");
	assert_string_equal(p1->reject_vlan, "rej");
	assert_true(p1->eapol_block);
	assert_int_equal(p1->block_interval, 300);
	assert_int_equal(p1->fail, D1X_FAIL_VLAN);
	assert_string_equal(p1->fail_vlan, "fail");
	/* `all`: its own knobs, Junos defaults for the rest. */
	assert_int_equal(p2->mode, D1X_MODE_SINGLE_SECURE);
	assert_true(p2->t.reauth_enabled);
	assert_int_equal(p2->t.reauth_period, 600);
	assert_int_equal(p2->t.tx_period, 30);
	assert_int_equal(p2->t.max_req, 2);
	assert_int_equal(p2->t.reauth_max, 3);
	assert_int_equal(p2->t.quiet_period, 60);
	assert_int_equal(p2->fail, D1X_FAIL_USE_CACHE);
	assert_false(p2->mac_radius);
	/* Servers in the profile's order, with their own ports and timers. */
	assert_int_equal(c.rad->n_auth, 2);
	assert_string_equal(c.rad->auth[0].addr, "10.0.0.10");
	assert_int_equal(c.rad->auth[0].port, 1812);
	assert_string_equal(c.rad->auth[1].addr, "10.0.0.9");
	assert_int_equal(c.rad->auth[1].port, 1645);
	assert_string_equal(c.rad->auth[1].secret, "s1");
	assert_int_equal(c.rad->auth[1].timeout_ms, 2000);
	assert_int_equal(c.rad->auth[1].retry, 4);
	assert_int_equal(c.rad->n_acct, 1);
	assert_int_equal(c.rad->acct[0].port, 1646);
	assert_string_equal(c.nas_id, "sw1");
	assert_int_equal(c.n_statics, 1);
	assert_string_equal(c.statics[0].vlan, "v9");
	assert_string_equal(c.statics[0].ifname, "p2");
	assert_int_equal(c.statics[0].mac[5], 9);
	d1x_conf_free(&c);
}

static void test_defaults_and_every_server(void **state)
{
	struct d1x_conf c;
	char err[256] = "";
	const char *json =
	        "{\"keel-access:access\":{\"radius-server\":[{\"name\":\"127.0.0.1\","
	        "\"secret\":\"x\"},{\"name\":\"127.0.0.2\",\"secret\":\"y\"}],"
	        "\"profile\":[{\"name\":\"p\"}]},"
	        "\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
	        "\"authentication-profile-name\":\"p\",\"interface\":[{\"name\":\"eth1\"}]}}}}";

	(void)state;
	assert_int_equal(parse(json, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_ifs, 1);
	assert_int_equal(c.ifs[0].mode, D1X_MODE_SINGLE);
	assert_int_equal(c.ifs[0].fail, D1X_FAIL_DENY);
	assert_int_equal(c.ifs[0].t.reauth_period, 3600);
	assert_true(c.ifs[0].t.reauth_enabled);
	assert_int_equal(c.ifs[0].t.supp_timeout, 30);
	assert_int_equal(c.ifs[0].t.server_timeout, 30);
	/* No authentication-server list: every radius-server. */
	assert_int_equal(c.rad->n_auth, 2);
	assert_int_equal(c.rad->n_acct, 0);
	assert_string_equal(c.nas_id, "keel");
	d1x_conf_free(&c);
}

static void test_empty_idles(void **state)
{
	struct d1x_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("{}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_ifs, 0);
	assert_int_equal(c.rad->n_auth, 0);
	d1x_conf_free(&c);
}

/* access radius-disconnect(-port), radius options revert-interval, max-outstanding-requests */
static const char radius_knobs[] = "{\"keel-interfaces:interfaces\":{\"interface\":[" SWITCHPORT(
        "p1") "]},"
              "\"keel-access:access\":{\"radius-server\":[{\"name\":\"10.0.0.9\",\"secret\":\"s1\","
              "\"max-outstanding-requests\":500,\"source-address\":\"10.0.0.1\"}],"
              "\"radius-disconnect-port\":3800,\"radius-disconnect\":[{\"name\":\"10.0.0.20\","
              "\"secret\":\"das1\"},{\"name\":\"2001:db8::20\",\"secret\":\"das2\"}],"
              "\"profile\":[{\"name\":\"p\",\"radius\":{\"options\":{\"revert-interval\":15}}}]},"
              "\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
              "\"authentication-profile-name\":\"p\",\"interface\":[{\"name\":\"p1\"}]}}}}";

static void test_radius_knobs(void **state)
{
	struct d1x_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(radius_knobs, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rad->n_auth, 1);
	assert_int_equal(c.rad->auth[0].max_outstanding, 500);
	assert_string_equal(c.rad->auth[0].source, "10.0.0.1");
	assert_int_equal(c.rad->revert_interval_s, 15);
	assert_non_null(c.das);
	assert_int_equal(c.das->port, 3800);
	assert_int_equal(c.das->n_clients, 2);
	assert_string_equal(c.das->clients[0].addr, "10.0.0.20");
	assert_string_equal(c.das->clients[0].secret, "das1");
	assert_string_equal(c.das->clients[1].addr, "2001:db8::20");
	d1x_conf_free(&c);
	/* Without them: radclient's defaults, port 3799, no own DAS clients. */
	assert_int_equal(parse(full, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rad->revert_interval_s, 0);
	assert_int_equal(c.rad->auth[0].max_outstanding, 0);
	assert_int_equal(c.das->port, 0);
	assert_int_equal(c.das->n_clients, 0);
	d1x_conf_free(&c);
}

static void test_refusals(void **state)
{
	struct d1x_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
	                       "\"interface\":[{\"name\":\"eth1\"}]}}}}",
	                       &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "authentication-profile-name"));
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
	                       "\"authentication-profile-name\":\"nope\","
	                       "\"interface\":[{\"name\":\"eth1\"}]}}}}",
	                       &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"dot1x\":{\"authenticator\":{"
	                       "\"static\":[{\"name\":\"zz:00\"}]}}}}",
	                       &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "not a MAC"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_full),
	        cmocka_unit_test(test_defaults_and_every_server),
	        cmocka_unit_test(test_empty_idles),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_radius_knobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
