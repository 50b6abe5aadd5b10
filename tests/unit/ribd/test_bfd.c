/*
 * BFD-tracked static routes (daemons/ribd/bfd.c + config.c + the rib.c hook)
 * against a fake bfdd on a ctl socket in a temp dir (session.add /
 * session.delete, "bfd.session" events):
 *   - config: bfd-liveness-detection on the route (its next-hop addresses)
 *     and on a qualified-next-hop, entries shared per gateway and parameters,
 *     bad values refused;
 *   - a tracked next hop is unusable until its session is Up (bfdd not reached,
 *     Down, Init), usable while Up, withdrawn on Down, and the floating static
 *     (a qualified-next-hop at preference 7) takes over meanwhile;
 *   - one session per peer, claimed once, released when unconfigured, the
 *     params changed in place; bfdd restarting: unusable, claimed again, back;
 *   - holddown-interval delays use after Up;
 *   - 10k routes sharing one tracked next hop: time from the Down event to the
 *     RIB having reported every withdrawal (printed; bounded loosely).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/ribd/bfd.h"
#include "daemons/ribd/fib.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/proto/bfdd.pb-c.h"

/* ------------------------------------------------------------ fake bfdd */

struct fake {
	struct event_base *base;
	struct ctl_server *srv;
	char dir[64], path[96];
	int adds, deletes;
	uint32_t last_min_tx, last_echo;
	bool last_multihop;
	char last_local[64];
	char last_peer[64];
	const char *state; /* what session.add answers */
};

static struct fake fake;

static void fake_add(struct ctl_req *req, void *arg)
{
	Keel__Bfdd__SessionRequest *q =
	        keel__bfdd__session_request__unpack(NULL, req->payload_len, req->payload);
	Keel__Bfdd__Session s = KEEL__BFDD__SESSION__INIT;

	(void)arg;
	assert_non_null(q);
	assert_string_equal(q->client, RIBD_BFD_CLIENT);
	fake.adds++;
	fake.last_min_tx = q->min_tx_ms;
	fake.last_echo = q->echo_interval_ms;
	snprintf(fake.last_peer, sizeof(fake.last_peer), "%s", q->key->peer);
	snprintf(fake.last_local, sizeof(fake.last_local), "%s", q->key->local_address);
	fake.last_multihop = q->key->multihop;
	s.key = q->key;
	s.state = (char *)fake.state;
	ctl_reply(req, &s.base);
	ctl_end(req);
	keel__bfdd__session_request__free_unpacked(q, NULL);
}

static void fake_delete(struct ctl_req *req, void *arg)
{
	(void)arg;
	fake.deletes++;
	ctl_end(req);
}

static const struct ctl_method fake_methods[] = {
        {.name = "session.add", .fn = fake_add},
        {.name = "session.delete", .fn = fake_delete},
};

static void fake_open(void)
{
	fake.srv = ctl_server_open_path(fake.base, fake.path, fake_methods, 2, NULL);
	assert_non_null(fake.srv);
}

static void fake_event(const char *peer, const char *state)
{
	Keel__Bfdd__Session s = KEEL__BFDD__SESSION__INIT;
	Keel__Bfdd__SessionKey k = KEEL__BFDD__SESSION_KEY__INIT;

	k.peer = (char *)peer;
	k.local_address = "";
	k.interface = "";
	s.key = &k;
	s.state = (char *)state;
	ctl_server_publish(fake.srv, "bfd.session", &s.base);
}

/* Runs the loop until cond() or 3 s; without cond, for 100 ms. */
static bool spin(bool (*cond)(void *), void *arg)
{
	uint64_t end = mono_ms() + (cond ? 3000 : 100);

	while (mono_ms() < end) {
		if (cond && cond(arg))
			return true;
		event_base_loop(fake.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return cond ? cond(arg) : true;
}

/* ------------------------------------------------------------ ribd side */

struct world {
	struct rib *rib;
	struct fib *fib; /* the daemon's change callback (no kernel: fib_new(NULL)) */
	struct ribd_bfd *bfd;
	struct ribd_conf conf;
	size_t changes;
	bool kicked;
};

static void on_change(void *arg, const struct rib_dest *d)
{
	struct world *w = arg;

	w->changes++;
	if (w->fib)
		fib_rib_changed(w->fib, d);
}

static void on_kick(void *arg)
{
	struct world *w = arg;

	w->kicked = true;
}

static int ifindex_none(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return 0;
}

static int parse(const char *json, struct ribd_conf *c, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	assert_non_null(o);
	rc = ribd_conf_parse(o, ifindex_none, NULL, c, err, errlen);
	json_object_put(o);
	return rc;
}

static void apply(struct world *w, const char *json)
{
	struct ribd_conf c;
	char err[256] = "";

	assert_int_equal(parse(json, &c, err, sizeof(err)), 0);
	assert_int_equal(ribd_bfd_conf_bind(w->bfd, &c), 0);
	ribd_conf_apply(w->rib, &w->conf, &c);
	ribd_bfd_conf_done(w->bfd, &c);
	ribd_conf_free(&w->conf);
	w->conf = c;
	rib_run(w->rib);
}

static struct plat_prefix P(const char *s) {
	struct plat_prefix p;

	assert_int_equal(plat_prefix_parse(s, &p), 0);
	return p;
}

/* The active route's preference at prefix s, or -1. */
static long
active_pref(struct world *w, const char *s)
{
	struct plat_prefix p = P(s);
	const struct rib_dest *d = rib_exact(w->rib, &p);

	return d && d->active ? (long)rib_dest_best(d)->pref : -1;
}

static void setup_world(struct world *w)
{
	int ifindex = 2;
	struct plat_prefix a = P("10.99.0.1/24");

	memset(w, 0, sizeof(*w));
	w->rib = rib_new(on_change, w);
	assert_non_null(w->rib);
	w->bfd = ribd_bfd_new(fake.base, w->rib, on_kick, w);
	assert_non_null(w->bfd);
	/* eth0 10.99.0.1/24 up: 10.99.0.2 is a connected gateway */
	assert_int_equal(rib_link_set(w->rib, ifindex, true), 0);
	assert_int_equal(rib_addr_add(w->rib, ifindex, &a), 0);
	rib_run(w->rib);
}

static void teardown_world(struct world *w)
{
	ribd_bfd_free(w->bfd);
	ribd_conf_free(&w->conf);
	rib_free(w->rib);
}

static int group_setup(void **state)
{
	(void)state;
	fake.base = event_base_new();
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/test_bfd.XXXXXX");
	assert_non_null(mkdtemp(fake.dir));
	snprintf(fake.path, sizeof(fake.path), "%s/bfdd.ctl", fake.dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(fake.path);
	rmdir(fake.dir);
	event_base_free(fake.base);
	return 0;
}

#define ROUTES_HEAD "{\"routing-options\":{\"static\":{\"route\":["
#define ROUTES_TAIL "]}}}"
#define BFD100      "\"bfd-liveness-detection\":{\"minimum-interval\":100,\"multiplier\":3}"

/* ------------------------------------------------------------ config */

static void test_config_parse(void **state)
{
	struct ribd_conf c;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	        parse(ROUTES_HEAD
	              "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\",\"10.99.0.3\"]," BFD100
	              "},"
	              "{\"name\":\"10.2.0.0/16\",\"next-hop\":[\"10.99.0.2\"]," BFD100 "},"
	              "{\"name\":\"10.3.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	              "\"qualified-next-hop\":[{\"name\":\"10.99.0.4\",\"preference\":7,"
	              "\"bfd-liveness-detection\":{\"minimum-receive-interval\":50,"
	              "\"transmit-interval\":{\"minimum-interval\":70},\"multiplier\":5,"
	              "\"neighbor\":\"10.99.0.40\",\"local-address\":\"10.99.0.1\","
	              "\"holddown-interval\":2000,\"echo-interval\":50}}]}" ROUTES_TAIL,
	              &c, err, sizeof(err)),
	        0);
	assert_int_equal(c.n, 4);
	/* 10.99.0.2 and .3 with the same timers, then the qualified one */
	assert_int_equal(c.n_bfd, 3);
	assert_int_equal(c.routes[0].nh[0].track, 1);
	assert_int_equal(c.routes[0].nh[1].track, 2);
	assert_int_equal(c.routes[1].nh[0].track, 1); /* shared with 10.1/16 */
	assert_int_equal(c.routes[2].nh[0].track, 0); /* no bfd on 10.3/16 itself */
	assert_int_equal(c.routes[3].pref, 7);
	assert_int_equal(c.routes[3].nh[0].track, 3);
	assert_int_equal(c.bfd[0].tx_ms, 100);
	assert_int_equal(c.bfd[0].rx_ms, 100);
	assert_int_equal(c.bfd[0].mult, 3);
	assert_int_equal(c.bfd[2].tx_ms, 70);
	assert_int_equal(c.bfd[2].rx_ms, 50);
	assert_int_equal(c.bfd[2].mult, 5);
	assert_int_equal(c.bfd[2].holddown_ms, 2000);
	assert_int_equal(c.bfd[2].echo_ms, 50);
	assert_int_equal(c.bfd[0].echo_ms, 0); /* not configured: no echo */
	assert_int_equal(c.bfd[2].peer.bytes[3], 40);
	assert_int_equal(c.bfd[2].local.family, AF_INET);
	ribd_conf_free(&c);

	/* inet6.0, thresholds */
	assert_int_equal(
	        parse("{\"routing-options\":{\"rib\":[{\"name\":\"inet6.0\",\"static\":{\"route\":["
	              "{\"name\":\"fd00:77::/64\",\"next-hop\":[\"fd00:99::2\"],"
	              "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	              "\"transmit-interval\":{\"threshold\":500},"
	              "\"detection-time\":{\"threshold\":1500}}}]}}]}}",
	              &c, err, sizeof(err)),
	        0);
	assert_int_equal(c.n_bfd, 1);
	assert_int_equal(c.bfd[0].peer.family, AF_INET6);
	assert_int_equal(c.bfd[0].tx_threshold_ms, 500);
	assert_int_equal(c.bfd[0].detect_threshold_ms, 1500);
	assert_int_equal(c.routes[0].nh[0].track, 1);
	ribd_conf_free(&c);

	/* no interval at all, multiplier 0, a neighbor of the other family */
	assert_int_equal(parse(ROUTES_HEAD
	                       "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                       "\"bfd-liveness-detection\":{\"multiplier\":3}}" ROUTES_TAIL,
	                       &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "bfd-liveness-detection"));
	assert_int_equal(parse(ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                                   "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                                   "\"multiplier\":0}}" ROUTES_TAIL,
	                       &c, err, sizeof(err)),
	                 -1);
	assert_int_equal(parse(ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                                   "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                                   "\"neighbor\":\"fd00::1\"}}" ROUTES_TAIL,
	                       &c, err, sizeof(err)),
	                 -1);
	/* echo-interval beyond bfdd's 255 s */
	assert_int_equal(parse(ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                                   "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                                   "\"echo-interval\":255001}}" ROUTES_TAIL,
	                       &c, err, sizeof(err)),
	                 -1);
}

/* ------------------------------------------------------------ tracking */

static bool adds_at_least_1(void *arg)
{
	(void)arg;
	return fake.adds >= 1;
}

static bool state_is(void *arg)
{
	struct world *w = arg;

	return strcmp(ribd_bfd_track_state(w->bfd, 1), fake.state) == 0;
}

static bool pref_is_5(void *arg)
{
	struct world *w = arg;

	rib_run(w->rib);
	return active_pref(w, "10.1.0.0/16") == 5;
}

static bool pref_is_7(void *arg)
{
	struct world *w = arg;

	rib_run(w->rib);
	return active_pref(w, "10.1.0.0/16") == 7;
}

static bool unreachable(void *arg)
{
	struct world *w = arg;

	return strcmp(ribd_bfd_track_state(w->bfd, 1), "Unreachable") == 0;
}

static const char FLOAT_CONF[] =
        ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"]," BFD100 ","
                    "\"qualified-next-hop\":[{\"name\":\"10.99.0.9\",\"preference\":7}]},"
                    "{\"name\":\"10.5.0.0/16\",\"next-hop\":[\"10.99.0.2\"]}" ROUTES_TAIL;

static void test_track_up_down(void **state)
{
	struct world w;

	(void)state;
	fake.adds = fake.deletes = 0;
	fake.state = "Down";
	setup_world(&w);
	/* bfdd not there yet: the tracked next hop is unusable, the floating
	 * static is active, the untracked route to the same gateway is not
	 * affected */
	assert_int_equal(ribd_bfd_connect(w.bfd, fake.path), 0);
	apply(&w, FLOAT_CONF);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 1), "Unreachable");
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 7);
	assert_int_equal(active_pref(&w, "10.5.0.0/16"), 5);

	/* bfdd comes: claimed once, Down: still the floating static */
	fake_open();
	assert_true(spin(adds_at_least_1, NULL));
	assert_true(spin(state_is, &w));
	assert_int_equal(fake.adds, 1);
	assert_string_equal(fake.last_peer, "10.99.0.2");
	assert_int_equal(fake.last_min_tx, 100);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 7);

	/* Init is not Up */
	fake_event("10.99.0.2", "Init");
	fake.state = "Init";
	assert_true(spin(state_is, &w));
	rib_run(w.rib);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 7);

	/* Up: the BFD next hop wins */
	w.kicked = false;
	fake_event("10.99.0.2", "Up");
	assert_true(spin(pref_is_5, &w));
	assert_true(w.kicked);
	/* another peer's event changes nothing */
	fake_event("10.99.0.77", "Down");
	spin(NULL, NULL);
	rib_run(w.rib);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 5);

	/* Down: withdrawn, floating static takes over; Up again: back */
	fake_event("10.99.0.2", "Down");
	assert_true(spin(pref_is_7, &w));
	fake_event("10.99.0.2", "AdminDown"); /* RFC 5882 §3.2: Down for a static route */
	spin(NULL, NULL);
	assert_true(pref_is_7(&w));
	fake_event("10.99.0.2", "Up");
	assert_true(spin(pref_is_5, &w));

	/* bfdd restarts: unusable while it is gone, claimed again, back when Up */
	ctl_server_close(fake.srv);
	assert_true(spin(unreachable, &w));
	assert_true(pref_is_7(&w));
	fake.adds = 0;
	fake.state = "Up";
	fake_open();
	assert_true(spin(adds_at_least_1, NULL));
	assert_true(spin(pref_is_5, &w));

	/* new timers: claimed again with them (and the extra claim dropped) */
	fake.adds = fake.deletes = 0;
	{
		char conf[sizeof(FLOAT_CONF) + 8];
		const char *at = strstr(FLOAT_CONF, "\"minimum-interval\":100");

		assert_non_null(at);
		snprintf(conf, sizeof(conf), "%.*s\"minimum-interval\":300%s",
		         (int)(at - FLOAT_CONF), FLOAT_CONF,
		         at + strlen("\"minimum-interval\":100"));
		apply(&w, conf);
	}
	assert_true(spin(adds_at_least_1, NULL));
	spin(NULL, NULL);
	assert_int_equal(fake.last_min_tx, 300);
	assert_int_equal(fake.deletes, 1);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 5); /* no flap */

	/* unconfigured: released */
	fake.deletes = 0;
	apply(&w,
	      ROUTES_HEAD "{\"name\":\"10.5.0.0/16\",\"next-hop\":[\"10.99.0.2\"]}" ROUTES_TAIL);
	spin(NULL, NULL);
	assert_int_equal(fake.deletes, 1);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), -1);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 1), "");

	teardown_world(&w);
	ctl_server_close(fake.srv);
}

static bool holddown_over(void *arg)
{
	struct world *w = arg;

	return strcmp(ribd_bfd_track_state(w->bfd, 1), "Up") == 0;
}

static void test_holddown(void **state)
{
	struct world w;
	uint64_t t0;

	(void)state;
	fake.adds = fake.deletes = 0;
	fake.state = "Down";
	setup_world(&w);
	fake_open();
	assert_int_equal(ribd_bfd_connect(w.bfd, fake.path), 0);
	apply(&w, ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                      "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                      "\"holddown-interval\":300}}" ROUTES_TAIL);
	assert_true(spin(adds_at_least_1, NULL));
	spin(NULL, NULL);
	fake_event("10.99.0.2", "Up");
	t0 = mono_ms();
	fake.state = "Holddown";
	assert_true(spin(state_is, &w));
	rib_run(w.rib);
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), -1);
	assert_true(spin(holddown_over, &w));
	assert_true(mono_ms() - t0 >= 290);
	assert_true(pref_is_5(&w) || spin(pref_is_5, &w));
	teardown_world(&w);
	ctl_server_close(fake.srv);
}

static bool grace_over(void *arg)
{
	struct world *w = arg;

	return strcmp(ribd_bfd_track_state(w->bfd, 1), "Restarting") != 0;
}

static bool adds_at_least_2(void *arg)
{
	(void)arg;
	return fake.adds >= 2;
}

/* local-address: a single-hop session to a connected gateway, multihop (RFC
 * 5883) to one that is not; the events are told apart by the flag. */
static void test_multihop(void **state)
{
	struct world w;
	struct plat_prefix p = P("10.200.0.0/16");
	struct rib_nh nh = {.ifindex = 2};
	struct rib_route_attr a = {.pref = 40, .n_nh = 1, .nh = &nh};

	(void)state;
	fake.adds = 0;
	fake.state = "Down";
	setup_world(&w);
	/* 10.200.0.2 is reached through a (kernel) route, not a connected subnet */
	assert_int_equal(rib_route_set(w.rib, &p, RIB_PROTO_KERNEL, 0, &a), 0);
	rib_run(w.rib);
	fake_open();
	assert_int_equal(ribd_bfd_connect(w.bfd, fake.path), 0);
	apply(&w,
	      ROUTES_HEAD "{\"name\":\"10.6.0.0/16\",\"next-hop\":[\"10.200.0.2\"],"
	                  "\"resolve\":[null],\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                  "\"local-address\":\"10.99.0.1\",\"echo-interval\":50}}" ROUTES_TAIL);
	assert_true(spin(adds_at_least_1, NULL));
	assert_true(spin(state_is, &w)); /* the add's answer: Down */
	assert_true(fake.last_multihop);
	assert_int_equal(fake.last_echo, 0); /* RFC 5883 §3: bfdd would refuse echo multihop */
	assert_string_equal(fake.last_local, "10.99.0.1");
	/* a single-hop event for the same addresses is not ours */
	ribd_bfd_session_state(w.bfd, "10.200.0.2", "10.99.0.1", "", false, "Up", false);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 1), "Down");
	ribd_bfd_session_state(w.bfd, "10.200.0.2", "10.99.0.1", "", true, "Up", false);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 1), "Up");
	rib_run(w.rib);
	assert_int_equal(active_pref(&w, "10.6.0.0/16"), 5);

	/* connected gateway with a local address: single hop */
	apply(&w, ROUTES_HEAD "{\"name\":\"10.7.0.0/16\",\"next-hop\":[\"10.99.0.2\"],"
	                      "\"bfd-liveness-detection\":{\"minimum-interval\":100,"
	                      "\"local-address\":\"10.99.0.1\",\"echo-interval\":50}}" ROUTES_TAIL);
	assert_true(spin(adds_at_least_2, NULL));
	assert_false(fake.last_multihop);
	assert_string_equal(fake.last_peer, "10.99.0.2");
	assert_int_equal(fake.last_echo, 50); /* single hop: echo asked for */
	teardown_world(&w);
	ctl_server_close(fake.srv);
}

/* Restart grace: usable while the session comes back, then the normal rule. */
static void test_restart_grace(void **state)
{
	struct world w;

	(void)state;
	fake.adds = 0;
	fake.state = "Down";
	setup_world(&w);
	fake_open();
	assert_int_equal(ribd_bfd_connect(w.bfd, fake.path), 0);
	ribd_bfd_set_grace(w.bfd, 300);
	apply(&w, FLOAT_CONF);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 1), "Restarting");
	assert_int_equal(active_pref(&w, "10.1.0.0/16"), 5);
	assert_true(spin(adds_at_least_1, NULL));
	spin(NULL, NULL); /* the fresh session says Down: still in grace */
	assert_true(pref_is_5(&w));
	/* a later commit gets no grace */
	apply(&w, ROUTES_HEAD "{\"name\":\"10.1.0.0/16\",\"next-hop\":[\"10.99.0.2\"]," BFD100 ","
	                      "\"qualified-next-hop\":[{\"name\":\"10.99.0.9\",\"preference\":7}]},"
	                      "{\"name\":\"10.8.0.0/16\",\"next-hop\":[\"10.99.0.8\"]," BFD100
	                      "}" ROUTES_TAIL);
	assert_string_equal(ribd_bfd_track_state(w.bfd, 2), "Down");
	assert_int_equal(active_pref(&w, "10.8.0.0/16"), -1);
	assert_true(spin(grace_over, &w));
	assert_true(spin(pref_is_7, &w)); /* never came Up: withdrawn */
	teardown_world(&w);

	/* the session comes Up within the grace: the route never moves */
	fake.adds = 0;
	setup_world(&w);
	assert_int_equal(ribd_bfd_connect(w.bfd, fake.path), 0);
	ribd_bfd_set_grace(w.bfd, 300);
	apply(&w, FLOAT_CONF);
	assert_true(spin(adds_at_least_1, NULL));
	fake_event("10.99.0.2", "Up");
	fake.state = "Up";
	assert_true(spin(state_is, &w));
	spin(NULL, NULL);
	spin(NULL, NULL);
	spin(NULL, NULL);
	assert_true(pref_is_5(&w));
	fake_event("10.99.0.2", "Down");
	assert_true(spin(pref_is_7, &w));
	teardown_world(&w);
	ctl_server_close(fake.srv);
}

/* 10k routes behind one tracked next hop: Down -> every route reported. */
static void test_withdraw_10k(void **state)
{
	enum { N = 10000 };
	struct world w;
	struct json_object *cfg, *ro, *st, *list;
	struct ribd_conf c;
	char err[256];
	uint64_t t0, us;

	(void)state;
	fake.adds = 0;
	fake.state = "Up";
	setup_world(&w);
	list = json_object_new_array();
	for (int i = 0; i < N; i++) {
		struct json_object *r = json_object_new_object(), *nh = json_object_new_array();
		struct json_object *b = json_object_new_object();
		char name[32];

		snprintf(name, sizeof(name), "10.%d.%d.0/24", i / 256, i % 256);
		json_object_object_add(r, "name", json_object_new_string(name));
		json_object_array_add(nh, json_object_new_string("10.99.0.2"));
		json_object_object_add(r, "next-hop", nh);
		json_object_object_add(b, "minimum-interval", json_object_new_int(100));
		json_object_object_add(r, "bfd-liveness-detection", b);
		json_object_array_add(list, r);
	}
	st = json_object_new_object();
	json_object_object_add(st, "route", list);
	ro = json_object_new_object();
	json_object_object_add(ro, "static", st);
	cfg = json_object_new_object();
	json_object_object_add(cfg, "routing-options", ro);
	assert_int_equal(ribd_conf_parse(cfg, ifindex_none, NULL, &c, err, sizeof(err)), 0);
	json_object_put(cfg);
	assert_int_equal(c.n_bfd, 1);
	assert_int_equal(ribd_bfd_conf_bind(w.bfd, &c), 0);
	ribd_conf_apply(w.rib, &w.conf, &c);
	ribd_bfd_conf_done(w.bfd, &c);
	w.conf = c;
	rib_run(w.rib);
	ribd_bfd_session_state(w.bfd, "10.99.0.2", "", "", false, "Up", false);
	rib_run(w.rib);
	assert_int_equal(active_pref(&w, "10.39.15.0/24"), 5);

	w.changes = 0;
	t0 = mono_us();
	ribd_bfd_session_state(w.bfd, "10.99.0.2", "", "", false, "Down", false);
	rib_run(w.rib);
	us = mono_us() - t0;
	assert_true(w.changes >= N);
	assert_int_equal(active_pref(&w, "10.39.15.0/24"), -1);
	printf("bfd Down -> %zu routes withdrawn in the RIB: %.3f ms\n", w.changes, us / 1000.0);

	/* The same through the FIB's change callback (queueing, no kernel). */
	w.fib = fib_new(NULL, 200);
	assert_non_null(w.fib);
	fib_attach(w.fib, w.rib);
	ribd_bfd_session_state(w.bfd, "10.99.0.2", "", "", false, "Up", false);
	rib_run(w.rib);
	w.changes = 0;
	t0 = mono_us();
	ribd_bfd_session_state(w.bfd, "10.99.0.2", "", "", false, "Down", false);
	rib_run(w.rib);
	printf("... with the FIB queueing them: %.3f ms\n", (mono_us() - t0) / 1000.0);
	assert_true(w.changes >= N);
	fib_free(w.fib);
	w.fib = NULL;
	/* The goal is 10 ms to the netlink batch (measured in ribd itself, see
	 * ribd_bfd_ran); here a loose bound that a loaded 2-core box keeps. */
	assert_true(us < 500000);
	teardown_world(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_config_parse), cmocka_unit_test(test_track_up_down),
	        cmocka_unit_test(test_holddown),     cmocka_unit_test(test_restart_grace),
	        cmocka_unit_test(test_multihop),     cmocka_unit_test(test_withdraw_10k),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
