/*
 * bfdd's config parser (daemons/bfdd/config.c) on RFC 7951 JSON as mgd sends it: a full
 * example with a key chain, the interval rules (minimum-interval vs the two overrides),
 * defaults, every refusal (bad address, family mismatch, multihop with an interface or
 * without local-address, interval range, secret too long for the algorithm, unknown chain,
 * too many keys, a session twice), key start-times choosing the transmit key, the auth
 * build, and the effective parameters of several clients (config wins; else the most
 * demanding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd_daemon.h"

static int parse(const char *text, struct bfdd_conf *c, char *err, size_t errlen)
{
	struct json_object *j = json_tokener_parse(text);
	int rc;

	assert_non_null(j);
	err[0] = '\0';
	rc = bfdd_conf_parse(j, c, err, errlen);
	json_object_put(j);
	return rc;
}

#define KC(secret)                                                                                 \
	"\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{\"name\":"     \
	"\"kc\",\"key\":[{\"name\":7,\"secret\":\"" secret "\"}]}]}}"

static void test_full(void **state)
{
	struct bfdd_conf c;
	char err[256];
	const char *j =
	        "{\"keel-protocols:protocols\":{\"bfd\":{\"session\":["
	        "{\"name\":\"10.99.0.2\",\"interface\":\"eth0\",\"minimum-interval\":100,"
	        "\"multiplier\":5,\"authentication\":{\"algorithm\":\"meticulous-keyed-sha-1\","
	        "\"key-chain\":\"kc\"}},"
	        "{\"name\":\"fd00::2\",\"local-address\":\"fd00::1\",\"multihop\":[null],"
	        "\"minimum-receive-interval\":300,\"transmit-interval\":{\"minimum-interval\":"
	        "200},\"disable\":[null]}"
	        "]}}," KC("s3cret") "}";
	struct bfd_auth a;

	(void)state;
	assert_int_equal(parse(j, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_sess, 2);
	assert_int_equal(c.n_chains, 1);
	assert_int_equal(c.sess[0].key.peer.af, AF_INET);
	assert_string_equal(c.sess[0].key.ifname, "eth0");
	assert_false(c.sess[0].key.multihop);
	assert_int_equal(c.sess[0].p.tx_us, 100000);
	assert_int_equal(c.sess[0].p.rx_us, 100000);
	assert_int_equal(c.sess[0].p.mult, 5);
	assert_int_equal(c.sess[0].p.auth_type, BFD_AUTH_MET_KEYED_SHA1);
	assert_string_equal(c.sess[0].p.key_chain, "kc");
	assert_int_equal(c.sess[1].key.peer.af, AF_INET6);
	assert_true(c.sess[1].key.multihop);
	assert_int_equal(c.sess[1].p.tx_us, 200000);
	assert_int_equal(c.sess[1].p.rx_us, 300000);
	assert_int_equal(c.sess[1].p.mult, 3); /* default */
	assert_true(c.sess[1].p.admin_down);
	assert_int_equal(c.sess[1].p.auth_type, BFD_AUTH_NONE);
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_MD5, "kc", &a, err, sizeof(err)), 0);
	assert_int_equal(a.type, BFD_AUTH_KEYED_MD5);
	assert_int_equal(a.n_keys, 1);
	assert_int_equal(a.keys[0].id, 7);
	assert_int_equal(a.keys[0].len, 6);
	assert_memory_equal(a.keys[0].secret, "s3cret", 6);
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_MD5, "nope", &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not configured"));
	bfdd_conf_free(&c);
}

static void test_empty(void **state)
{
	struct bfdd_conf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("{}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_sess, 0);
	assert_int_equal(c.n_chains, 0);
	bfdd_conf_free(&c);
}

static void refuse(const char *sess, const char *extra, const char *why)
{
	char j[2048], err[256];
	struct bfdd_conf c;

	snprintf(j, sizeof(j), "{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[%s]}}%s%s}",
	         sess, extra ? "," : "", extra ? extra : "");
	assert_int_equal(parse(j, &c, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("%s: error '%s' does not say '%s'", sess, err, why);
}

static void test_minimum_ttl(void **state)
{
	struct bfdd_conf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":"
	                       "\"10.0.0.1\",\"local-address\":\"10.0.0.2\",\"multihop\":[null],"
	                       "\"minimum-ttl\":254,\"minimum-interval\":100},{\"name\":"
	                       "\"10.0.0.5\",\"local-address\":\"10.0.0.2\",\"multihop\":[null],"
	                       "\"minimum-interval\":100}]}}}",
	                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.n_sess, 2);
	for (size_t i = 0; i < c.n_sess; i++) /* 10.0.0.1 asked for 254; 10.0.0.5 has the default */
		assert_int_equal(c.sess[i].p.min_ttl,
		                 c.sess[i].key.peer.a[3] == 1 ? 254 : BFDD_MH_MIN_TTL_DEF);
	bfdd_conf_free(&c);
}

static void test_refusals(void **state)
{
	(void)state;
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"minimum-ttl\":254}", NULL,
	       "multihop only");
	refuse("{\"name\":\"10.0.0.300\",\"minimum-interval\":100}", NULL, "not an IP address");
	refuse("{\"name\":\"10.0.0.1\",\"local-address\":\"fd00::1\",\"minimum-interval\":100}",
	       NULL, "other family");
	refuse("{\"name\":\"10.0.0.1\",\"local-address\":\"10.0.0.2\",\"multihop\":[null],"
	       "\"interface\":\"eth0\",\"minimum-interval\":100}",
	       NULL, "not bound to an interface");
	refuse("{\"name\":\"10.0.0.1\",\"multihop\":[null],\"minimum-interval\":100}", NULL,
	       "needs local-address");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":0}", NULL, "1..255000");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":255001}", NULL, "1..255000");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-receive-interval\":100}", NULL,
	       "needs minimum-interval");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"multiplier\":0}", NULL,
	       "multiplier");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100},"
	       "{\"name\":\"10.0.0.1\",\"minimum-interval\":200}",
	       NULL, "configured twice");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"authentication\":{\"algorithm\":"
	       "\"keyed-md5\",\"key-chain\":\"nope\"}}",
	       NULL, "not configured");
	/* 17 bytes: fine for SHA1 (20), too long for MD5 and the simple password (16). */
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"authentication\":{\"algorithm\":"
	       "\"keyed-md5\",\"key-chain\":\"kc\"}}",
	       KC("0123456789abcdefg"), "at most 16");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"authentication\":{\"algorithm\":"
	       "\"simple-password\",\"key-chain\":\"kc\"}}",
	       KC("0123456789abcdefg"), "at most 16");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100}", KC("0123456789abcdefghijk"),
	       "longer than 20");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100,\"authentication\":{\"algorithm\":"
	       "\"keyed-md5\",\"key-chain\":\"kc\",\"loose-check\":[null]}}",
	       KC("s3cret"), "loose-check");
	refuse("{\"name\":\"10.0.0.1\",\"minimum-interval\":100}",
	       "\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{"
	       "\"name\":\"kc\",\"key\":[{\"name\":1,\"secret\":\"a\"},{\"name\":2,\"secret\":"
	       "\"b\"},{\"name\":3,\"secret\":\"c\"},{\"name\":4,\"secret\":\"d\"},{\"name\":5,"
	       "\"secret\":\"e\"}]}]}}",
	       "at most 4 keys");
}

static void test_sha1_20_bytes_ok(void **state)
{
	struct bfdd_conf c;
	char err[256];

	(void)state;
	assert_int_equal(
	        parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":\"10.0.0.1\","
	              "\"minimum-interval\":100,\"authentication\":{\"algorithm\":\"keyed-sha-1\","
	              "\"key-chain\":\"kc\"}}]}}," KC("0123456789abcdefghij") "}",
	              &c, err, sizeof(err)),
	        0);
	bfdd_conf_free(&c);
}

/* The transmit key is the one whose start-time came last; a future one is not used yet. */
static void test_start_time(void **state)
{
	struct bfdd_conf c;
	char err[256];
	const struct bfdd_chain *ch;

	(void)state;
	assert_int_equal(
	        parse("{\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{"
	              "\"name\":\"kc\",\"key\":["
	              "{\"name\":1,\"secret\":\"old\",\"start-time\":\"2001-01-01.00:00\"},"
	              "{\"name\":2,\"secret\":\"new\",\"start-time\":\"2020-06-01.12:30:15\"},"
	              "{\"name\":3,\"secret\":\"future\",\"start-time\":\"2999-01-01.00:00\"}"
	              "]}]}}}",
	              &c, err, sizeof(err)),
	        0);
	ch = bfdd_conf_chain(&c, "kc");
	assert_non_null(ch);
	assert_int_equal(ch->n_keys, 3);
	assert_int_equal(ch->keys[ch->tx_key].id, 2);
	bfdd_conf_free(&c);
	assert_int_equal(
	        parse("{\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{"
	              "\"name\":\"kc\",\"key\":[{\"name\":1,\"secret\":\"x\",\"start-time\":"
	              "\"yesterday\"}]}]}}}",
	              &c, err, sizeof(err)),
	        -1);
}

/* A future start-time becomes the transmit key by itself when its time comes (the daemon's
 * timer runs bfdd_chain_select at bfdd_conf_next_start): a fake clock walks through it. */
static void test_start_time_timer(void **state)
{
	struct bfdd_conf c = {0};
	struct bfdd_chain ch[2];
	int64_t now = 1000000;

	(void)state;
	memset(ch, 0, sizeof(ch));
	ch[0].n_keys = 3;
	ch[0].keys[0].id = 1;
	ch[0].start[0] = 0; /* always */
	ch[0].keys[1].id = 2;
	ch[0].start[1] = now + 60;
	ch[0].keys[2].id = 3;
	ch[0].start[2] = now + 3600;
	ch[1].n_keys = 1;
	ch[1].keys[0].id = 9;
	ch[1].start[0] = now + 30; /* a chain whose only key has not started: still key 9 */
	c.chains = ch;
	c.n_chains = 2;
	bfdd_chain_select(&ch[0], now); /* as parsing does: the receive set (tolerance 0 here) */
	bfdd_chain_select(&ch[1], now);
	assert_false(bfdd_chain_select(&ch[0], now));
	assert_int_equal(ch[0].keys[ch[0].tx_key].id, 1);
	assert_false(bfdd_chain_select(&ch[1], now));
	assert_int_equal(ch[1].tx_key, 0);
	/* The timer is armed for the earliest future start (any chain). */
	assert_int_equal(bfdd_conf_next_start(&c, now), now + 30);
	assert_int_equal(bfdd_conf_next_start(&c, now + 30), now + 60);
	/* Fires a second early (timer rounding): nothing yet; at the time: key 2, a change. */
	assert_false(bfdd_chain_select(&ch[0], now + 59));
	assert_true(bfdd_chain_select(&ch[0], now + 60));
	assert_int_equal(ch[0].keys[ch[0].tx_key].id, 2);
	assert_false(bfdd_chain_select(&ch[0], now + 61)); /* no change, no re-key */
	assert_int_equal(bfdd_conf_next_start(&c, now + 60), now + 3600);
	assert_true(bfdd_chain_select(&ch[0], now + 4000));
	assert_int_equal(ch[0].keys[ch[0].tx_key].id, 3);
	assert_int_equal(bfdd_conf_next_start(&c, now + 4000), 0); /* nothing left: no timer */
	/* A wall clock stepped back: the latest started key again. */
	assert_true(bfdd_chain_select(&ch[0], now + 100));
	assert_int_equal(ch[0].keys[ch[0].tx_key].id, 2);
}

/* A packet signed with key id and secret (keyed SHA1), checked against rx. */
static enum bfd_drop verify_key(const struct bfd_auth *rx, uint8_t id, const char *secret)
{
	struct bfd_auth tx;
	struct bfd_pkt p = {.version = BFD_VERSION,
	                    .state = BFD_STATE_DOWN,
	                    .detect_mult = 3,
	                    .my_disc = 7,
	                    .desired_min_tx = 1000000,
	                    .required_min_rx = 1000000};
	struct bfd_pkt d;
	uint8_t buf[BFD_PKT_MAX];
	size_t len;

	assert_int_equal(bfd_auth_init(&tx, BFD_AUTH_KEYED_SHA1), 0);
	assert_int_equal(bfd_auth_add_key(&tx, id, secret, strlen(secret)), 0);
	assert_int_equal(bfd_auth_fill(&tx, 100, &p), 0);
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(bfd_auth_sign(&tx, buf, len), 0);
	assert_int_equal(bfd_decode(buf, len, &d), BFD_DROP_NONE);
	return bfd_auth_verify(rx, NULL, 3, buf, &d);
}

/* Key-chain tolerance (Junos; RFC 8177 accept lifetimes) around a rollover at T with a fake
 * clock: the next key is accepted `tolerance` seconds early, the previous one that long
 * after; the daemon's timer fires at each edge; a packet with a key outside its window is
 * dropped as an unknown key id. */
static void test_key_tolerance(void **state)
{
	struct bfdd_conf c;
	struct bfd_auth a;
	struct bfdd_chain *ch;
	char err[256];
	struct tm tm;
	time_t t0 = 1800000000; /* a fixed instant; start-times are local time */
	int64_t T;
	char js[512], when[32];

	(void)state;
	localtime_r(&t0, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d.%H:%M:%S", &tm);
	snprintf(js, sizeof(js),
	         "{\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{"
	         "\"name\":\"kc\",\"tolerance\":600,\"key\":[{\"name\":1,\"secret\":\"old-key\"},"
	         "{\"name\":2,\"secret\":\"new-key\",\"start-time\":\"%s\"}]}]}}}",
	         when);
	assert_int_equal(parse(js, &c, err, sizeof(err)), 0);
	ch = &c.chains[0];
	T = ch->start[1];
	assert_int_equal(T, (int64_t)t0);
	assert_int_equal(ch->tolerance, 600);

	/* Long before: key 1 only, sent and accepted; key 2 refused even with a valid MAC. */
	bfdd_chain_select(ch, T - 601);
	assert_int_equal(ch->keys[ch->tx_key].id, 1);
	assert_int_equal(ch->rx_keys, 0x1);
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_SHA1, "kc", &a, err, sizeof(err)), 0);
	assert_int_equal(verify_key(&a, 1, "old-key"), BFD_DROP_NONE);
	assert_int_equal(verify_key(&a, 2, "new-key"), BFD_DROP_AUTH_KEY_ID);
	assert_int_equal(bfdd_conf_next_start(&c, T - 601), T - 600);
	/* tolerance early: a peer whose clock runs ahead already sends key 2. */
	assert_true(bfdd_chain_select(ch, T - 600));
	assert_int_equal(ch->keys[ch->tx_key].id, 1); /* we still send key 1 */
	assert_int_equal(ch->rx_keys, 0x3);
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_SHA1, "kc", &a, err, sizeof(err)), 0);
	assert_int_equal(verify_key(&a, 2, "new-key"), BFD_DROP_NONE);
	assert_int_equal(verify_key(&a, 2, "old-key"), BFD_DROP_AUTH_FAIL);
	assert_int_equal(bfdd_conf_next_start(&c, T - 600), T);
	/* The start-time: we send key 2, and still accept key 1 from a lagging peer. */
	assert_true(bfdd_chain_select(ch, T));
	assert_int_equal(ch->keys[ch->tx_key].id, 2);
	assert_int_equal(ch->rx_keys, 0x3);
	assert_int_equal(bfdd_conf_next_start(&c, T), T + 600);
	assert_false(bfdd_chain_select(ch, T + 599));
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_SHA1, "kc", &a, err, sizeof(err)), 0);
	assert_int_equal(verify_key(&a, 1, "old-key"), BFD_DROP_NONE);
	/* tolerance after: key 1 is gone. */
	assert_true(bfdd_chain_select(ch, T + 600));
	assert_int_equal(ch->rx_keys, 0x2);
	assert_int_equal(bfdd_auth_build(&c, BFD_AUTH_KEYED_SHA1, "kc", &a, err, sizeof(err)), 0);
	assert_int_equal(verify_key(&a, 1, "old-key"), BFD_DROP_AUTH_KEY_ID);
	assert_int_equal(verify_key(&a, 2, "new-key"), BFD_DROP_NONE);
	assert_int_equal(bfdd_conf_next_start(&c, T + 600), 0);
	/* A wall clock stepped far back: the transmit key (key 1 again) is always accepted. */
	assert_true(bfdd_chain_select(ch, T - 5000));
	assert_int_equal(ch->rx_keys, 0x1);
	bfdd_conf_free(&c);

	/* Without the leaf: the Junos default of 3600 s. Tolerance 0: exact switch-over. */
	snprintf(js, sizeof(js),
	         "{\"keel-security:security\":{\"authentication-key-chains\":{\"key-chain\":[{"
	         "\"name\":\"kc\",\"key\":[{\"name\":1,\"secret\":\"x\"}]},{\"name\":\"k0\","
	         "\"tolerance\":0,\"key\":[{\"name\":1,\"secret\":\"x\"},{\"name\":2,\"secret\":"
	         "\"y\",\"start-time\":\"%s\"}]}]}}}",
	         when);
	assert_int_equal(parse(js, &c, err, sizeof(err)), 0);
	assert_int_equal(bfdd_conf_chain(&c, "kc")->tolerance, 3600);
	ch = (struct bfdd_chain *)bfdd_conf_chain(&c, "k0");
	bfdd_chain_select(ch, T - 1);
	assert_int_equal(ch->rx_keys, 0x1);
	bfdd_chain_select(ch, T);
	assert_int_equal(ch->rx_keys, 0x2);
	bfdd_conf_free(&c);
}

/* echo-interval and the two Junos thresholds, and where echo is refused. */
static void test_echo_thresholds(void **state)
{
	struct bfdd_conf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":"
	                       "\"10.99.0.2\",\"interface\":\"eth0\",\"minimum-interval\":300,"
	                       "\"echo-interval\":50,\"transmit-interval\":{\"threshold\":400},"
	                       "\"detection-time\":{\"threshold\":1000}}]}}}",
	                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.sess[0].p.echo_us, 50000);
	assert_int_equal(c.sess[0].p.tx_thresh_us, 400000);
	assert_int_equal(c.sess[0].p.dt_thresh_us, 1000000);
	assert_int_equal(c.sess[0].p.tx_us, 300000); /* threshold is not an interval */
	bfdd_conf_free(&c);
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":"
	                       "\"fd00::2\",\"minimum-interval\":300,\"echo-interval\":50}]}}}",
	                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.sess[0].p.echo_us, 50000); /* IPv6 single hop too */
	bfdd_conf_free(&c);
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":"
	                       "\"10.0.0.2\",\"local-address\":\"10.0.0.1\",\"multihop\":[null],"
	                       "\"minimum-interval\":300,\"echo-interval\":50}]}}}",
	                       &c, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "echo-interval: single-hop sessions only"));
	assert_int_equal(parse("{\"keel-protocols:protocols\":{\"bfd\":{\"session\":[{\"name\":"
	                       "\"10.0.0.2\",\"minimum-interval\":300,\"echo-interval\":0}]}}}",
	                       &c, err, sizeof(err)),
	                 -1);
}

/* Threshold crossings: raised once when crossed upwards, cleared once when back. */
static void test_thresh_eval(void **state)
{
	uint8_t bits = 0, cleared;

	(void)state;
	/* No thresholds: nothing ever. */
	assert_int_equal(bfdd_thresh_eval(&bits, 5000000, 15000000, 0, 0, &cleared), 0);
	assert_int_equal(bits, 0);
	/* At the threshold is not above it. */
	assert_int_equal(bfdd_thresh_eval(&bits, 300000, 900000, 300000, 900000, &cleared), 0);
	assert_int_equal(cleared, 0);
	/* The peer slows down: both above. */
	assert_int_equal(bfdd_thresh_eval(&bits, 1000000, 3000000, 300000, 900000, &cleared),
	                 BFDD_THRESH_TX | BFDD_THRESH_DETECT);
	assert_int_equal(bits, BFDD_THRESH_TX | BFDD_THRESH_DETECT);
	/* Still above: no new crossing (logged and counted once). */
	assert_int_equal(bfdd_thresh_eval(&bits, 2000000, 6000000, 300000, 900000, &cleared), 0);
	assert_int_equal(cleared, 0);
	/* Only the detection time comes back (multiplier change). */
	assert_int_equal(bfdd_thresh_eval(&bits, 400000, 800000, 300000, 900000, &cleared), 0);
	assert_int_equal(cleared, BFDD_THRESH_DETECT);
	assert_int_equal(bits, BFDD_THRESH_TX);
	/* Session not Up (values 0): everything clears. */
	assert_int_equal(bfdd_thresh_eval(&bits, 0, 0, 300000, 900000, &cleared), 0);
	assert_int_equal(cleared, BFDD_THRESH_TX);
	assert_int_equal(bits, 0);
}

static void test_auth_names(void **state)
{
	(void)state;
	assert_int_equal(bfdd_auth_type_parse("simple-password"), BFD_AUTH_SIMPLE);
	assert_int_equal(bfdd_auth_type_parse("keyed-md5"), BFD_AUTH_KEYED_MD5);
	assert_int_equal(bfdd_auth_type_parse("meticulous-keyed-md5"), BFD_AUTH_MET_KEYED_MD5);
	assert_int_equal(bfdd_auth_type_parse("keyed-sha-1"), BFD_AUTH_KEYED_SHA1);
	assert_int_equal(bfdd_auth_type_parse("meticulous-keyed-sha-1"), BFD_AUTH_MET_KEYED_SHA1);
	assert_int_equal(bfdd_auth_type_parse("sha-256"), -1);
	assert_int_equal(bfdd_auth_type_parse(NULL), -1);
}

static void test_effective(void **state)
{
	struct bfdd_client cfg = {.conn_id = 0, .name = "config", .refs = 1};
	struct bfdd_client a = {.conn_id = 5, .name = "static", .refs = 2};
	struct bfdd_client b = {.conn_id = 6, .name = "cluster", .refs = 1};
	struct bfdd_params p;

	(void)state;
	a.p = (struct bfdd_params){.tx_us = 300000, .rx_us = 100000, .mult = 5, .min_ttl = 1};
	b.p = (struct bfdd_params){.tx_us = 50000,
	                           .rx_us = 200000,
	                           .mult = 3,
	                           .min_ttl = 254,
	                           .auth_type = BFD_AUTH_KEYED_MD5,
	                           .admin_down = true};
	memcpy(b.p.key_chain, "kc", 3);
	a.next = &b;
	bfdd_params_effective(&a, &p);
	assert_int_equal(p.tx_us, 50000);
	assert_int_equal(p.rx_us, 100000);
	assert_int_equal(p.mult, 3);
	assert_int_equal(p.min_ttl, 254);
	assert_int_equal(p.auth_type, BFD_AUTH_KEYED_MD5);
	assert_string_equal(p.key_chain, "kc");
	assert_false(p.admin_down); /* only the config disables */
	/* Echo and thresholds: the fastest echo, the tightest threshold, 0 = not asked for. */
	a.p.echo_us = 0;
	a.p.tx_thresh_us = 500000;
	b.p.echo_us = 50000;
	b.p.tx_thresh_us = 800000;
	b.p.dt_thresh_us = 2000000;
	bfdd_params_effective(&a, &p);
	assert_int_equal(p.echo_us, 50000);
	assert_int_equal(p.tx_thresh_us, 500000);
	assert_int_equal(p.dt_thresh_us, 2000000);
	/* The configuration decides when it holds the session. */
	cfg.p = (struct bfdd_params){.tx_us = 1000000, .rx_us = 1000000, .mult = 7};
	b.next = &cfg;
	bfdd_params_effective(&a, &p);
	assert_int_equal(p.tx_us, 1000000);
	assert_int_equal(p.mult, 7);
	assert_int_equal(p.auth_type, BFD_AUTH_NONE);
}

static void test_ip(void **state)
{
	struct bfdd_ip a, b;
	char buf[64];
	struct bfdd_key k1 = {0}, k2 = {0};

	(void)state;
	assert_int_equal(bfdd_ip_parse("10.1.2.3", &a), 0);
	assert_string_equal(bfdd_ip_str(&a, buf, sizeof(buf)), "10.1.2.3");
	assert_int_equal(bfdd_ip_parse("fe80::1", &b), 0);
	assert_string_equal(bfdd_ip_str(&b, buf, sizeof(buf)), "fe80::1");
	assert_false(bfdd_ip_eq(&a, &b));
	assert_int_equal(bfdd_ip_parse("fe80::1%eth0", &b), -1);
	k1.peer = k2.peer = a;
	assert_true(bfdd_key_eq(&k1, &k2));
	k2.multihop = true;
	assert_false(bfdd_key_eq(&k1, &k2));
	k2.multihop = false;
	memcpy(k2.ifname, "eth0", 5);
	assert_false(bfdd_key_eq(&k1, &k2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_full),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_minimum_ttl),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_sha1_20_bytes_ok),
	        cmocka_unit_test(test_start_time),
	        cmocka_unit_test(test_start_time_timer),
	        cmocka_unit_test(test_key_tolerance),
	        cmocka_unit_test(test_echo_thresholds),
	        cmocka_unit_test(test_thresh_eval),
	        cmocka_unit_test(test_auth_names),
	        cmocka_unit_test(test_effective),
	        cmocka_unit_test(test_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
