/*
 * RADIUS client transport (daemons/dot1xd/radclient.c) against fake RADIUS servers on
 * 127.0.0.1 in the same event loop: the happy path, retransmission with backoff (same bytes),
 * failover and dead marking with revert, Status-Server revival, every kind of forged or broken
 * reply (dropped, counted, the request fails over), the Identifier pool (exhaustion, queueing,
 * reuse), 1000 requests in flight, the per-server window, cancel, accounting,
 * reconfiguration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/dot1xd/radclient.h"
#include "daemons/dot1xd/radclient_priv.h"
#include "lib/crypto.h"
#include "lib/ev.h"

#define SECRET "testing123"

enum fake_mode {
	FAKE_ACCEPT,  /* Accept with VLAN 100, M-A first */
	FAKE_REJECT,  /* Reject with M-A */
	FAKE_SILENT,  /* never answers */
	FAKE_BROKEN,  /* answers each datagram with every broken variant */
	FAKE_HOLD,    /* keeps requests until fake_release() */
	FAKE_NOMA_OK, /* FreeRADIUS 3.2.1 PAP style: Accept without M-A */
};

#define FAKE_MAX_RX 2048

struct fake {
	int fd;
	uint16_t port;
	struct event ev;
	enum fake_mode mode;
	int drop_first; /* ignore this many datagrams first */
	int rx;
	uint64_t rx_ms[FAKE_MAX_RX];
	uint8_t first[RADIUS_MAX_LEN]; /* the first datagram, to compare retransmissions */
	size_t first_len;
	int identical; /* datagrams byte-identical to the first */
	int status_server;
	/* FAKE_HOLD */
	struct held {
		struct sockaddr_in from;
		uint8_t buf[RADIUS_MAX_LEN];
		size_t len;
	} * held;
	int nheld;
	int max_held; /* high-water mark */
};

static struct event_base *base;

/* ------------------------------------------------------------- fake server */

static void resign(uint8_t *buf, size_t len, const uint8_t req_auth[16])
{
	uint8_t md[32];
	size_t n = sizeof(md);

	memcpy(buf + 4, req_auth, 16);
	struct iovec iov[2] = {{buf, len}, {(void *)SECRET, strlen(SECRET)}};
	assert_int_equal(crypto_digestv(CRYPTO_MD_MD5, iov, 2, md, &n), 0);
	memcpy(buf + 4, md, 16);
}

/* A reply the way a correct server builds it, then optionally damaged. */
static size_t build_reply(const struct radius_pkt *req, uint8_t code, int variant, uint8_t *out)
{
	struct radius_msg m;
	size_t len = 0;
	static const uint8_t tt[] = {0, 0, 0, RADIUS_TUNNEL_TYPE_VLAN};
	static const uint8_t tm[] = {0, 0, 0, RADIUS_TUNNEL_MEDIUM_802};
	bool with_ma = variant != 1;

	radius_msg_begin(&m, out, RADIUS_MAX_LEN, code,
	                 variant == 6 ? (uint8_t)(req->id + 1) : req->id, NULL, with_ma);
	if (code == RADIUS_CODE_ACCESS_ACCEPT) {
		radius_msg_attr(&m, RADIUS_ATTR_TUNNEL_TYPE, tt, 4);
		radius_msg_attr(&m, RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, tm, 4);
		radius_msg_attr_str(&m, RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "100");
	}
	if (variant == 3) {
		radius_msg_attr_u32(&m, RADIUS_ATTR_SESSION_TIMEOUT, 60);
		radius_msg_attr_u32(&m, RADIUS_ATTR_SESSION_TIMEOUT, 70);
	}
	if (variant == 5)
		radius_msg_attr_str(&m, RADIUS_ATTR_PROXY_STATE, "ps");
	assert_int_equal(radius_msg_finish(&m, SECRET, strlen(SECRET), req->auth, &len), RADIUS_OK);
	if (variant == 2) {
		/* A wrong M-A under a Response Authenticator that is right for the bytes sent. */
		out[RADIUS_HDR_LEN + 2] ^= 0x01;
		resign(out, len, req->auth);
	}
	if (variant == 4)
		out[4] ^= 0x80; /* M-A fine, Response Authenticator wrong */
	return len;
}

/*
 * Variants: 0 good, 1 no M-A, 2 bad M-A, 3 duplicate Session-Timeout, 4 bad Response
 * Authenticator, 5 Proxy-State, 6 another Identifier, 7 truncated.
 */
static void fake_answer(struct fake *f, const struct sockaddr_in *from, const uint8_t *buf,
                        size_t len)
{
	struct radius_pkt req;
	uint8_t out[RADIUS_MAX_LEN];
	size_t n;

	assert_int_equal(radius_decode(buf, len, &req), RADIUS_OK);
	/* keel's requests carry M-A first and it verifies (BlastRADIUS). */
	assert_true(req.ma_off != 0);
	assert_int_equal(req.ma_index, 0);
	uint8_t code = RADIUS_CODE_ACCESS_ACCEPT;

	if (req.code == RADIUS_CODE_ACCOUNTING_REQUEST) {
		assert_int_equal(radius_verify_request_auth(&req, SECRET, strlen(SECRET)),
		                 RADIUS_OK);
		code = RADIUS_CODE_ACCOUNTING_RESPONSE;
	} else {
		assert_int_equal(radius_verify_ma(&req, req.auth, SECRET, strlen(SECRET)),
		                 RADIUS_OK);
		if (req.code == RADIUS_CODE_STATUS_SERVER) {
			f->status_server++;
			/* FreeRADIUS 3.2.1: a bare Access-Accept, no M-A (verified). */
			n = build_reply(&req, RADIUS_CODE_ACCESS_ACCEPT, 1, out);
			sendto(f->fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from));
			return;
		} else if (f->mode == FAKE_REJECT)
			code = RADIUS_CODE_ACCESS_REJECT;
	}
	if (f->mode == FAKE_BROKEN) {
		for (int v = 1; v <= 7; v++) {
			n = build_reply(&req, code, v, out);
			if (v == 7)
				n = 19;
			sendto(f->fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from));
		}
		return;
	}
	n = build_reply(&req, code, f->mode == FAKE_NOMA_OK ? 1 : 0, out);
	sendto(f->fd, out, n, 0, (const struct sockaddr *)from, sizeof(*from));
}

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	uint8_t buf[RADIUS_MAX_LEN];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
		if (f->rx < FAKE_MAX_RX)
			f->rx_ms[f->rx] = mono_ms();
		f->rx++;
		if (f->first_len == 0) {
			memcpy(f->first, buf, (size_t)n);
			f->first_len = (size_t)n;
		}
		if ((size_t)n == f->first_len && memcmp(buf, f->first, (size_t)n) == 0)
			f->identical++;
		if (f->drop_first > 0) {
			f->drop_first--;
			continue;
		}
		switch (f->mode) {
		case FAKE_SILENT:
			break;
		case FAKE_HOLD:
			assert_true(f->nheld < 4096);
			f->held[f->nheld].from = from;
			memcpy(f->held[f->nheld].buf, buf, (size_t)n);
			f->held[f->nheld].len = (size_t)n;
			f->nheld++;
			if (f->nheld > f->max_held)
				f->max_held = f->nheld;
			break;
		default:
			fake_answer(f, &from, buf, (size_t)n);
		}
		fl = sizeof(from);
	}
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int buf = 4 << 20;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->fd >= 0);
	setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	f->held = calloc(4096, sizeof(*f->held));
	assert_non_null(f->held);
	event_assign(&f->ev, base, f->fd, EV_READ | EV_PERSIST, fake_read, f);
	event_add(&f->ev, NULL);
}

static void fake_release(struct fake *f)
{
	for (int i = 0; i < f->nheld; i++) {
		struct held *h = &f->held[i];

		fake_answer(f, &h->from, h->buf, h->len);
	}
	f->nheld = 0;
}

static void fake_stop(struct fake *f)
{
	event_del(&f->ev);
	close(f->fd);
	free(f->held);
}

/* ----------------------------------------------------------------- client */

struct result {
	int calls;
	enum radclient_result res;
	uint8_t code;
	int server;
	uint32_t transmissions;
	uint16_t vid;
};

static void done_cb(struct radclient_req *req, const struct radclient_done *d, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->res = d->result;
	r->code = d->code;
	r->server = d->server;
	r->transmissions = d->transmissions;
	if (d->reply)
		r->vid = d->reply->vlan.vid;
}

static void server_cfg(struct radclient_server_cfg *s, const struct fake *f, uint32_t timeout_ms,
                       uint32_t retry)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
	s->port = f->port;
	snprintf(s->secret, sizeof(s->secret), SECRET);
	s->timeout_ms = timeout_ms;
	s->retry = retry;
}

static struct radius_access_req mab_req(const char *user)
{
	struct radius_access_req r = {0};

	r.user_name = (const uint8_t *)user;
	r.user_name_len = strlen(user);
	r.password = (const uint8_t *)user;
	r.password_len = strlen(user);
	r.service_type = RADIUS_SERVICE_TYPE_CALL_CHECK;
	r.nas_identifier = "sw1";
	r.nas_port_id = "ge-0/0/1";
	return r;
}

/* Runs the loop until *cond is reached or the deadline passes. */
static void run_until(const int *counter, int want, uint64_t max_ms)
{
	uint64_t end = mono_ms() + max_ms;

	while (*counter < want && mono_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
}

static void run_for(uint64_t ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static int setup(void **state)
{
	base = ev_base_new();
	return base ? 0 : -1;
}

static int teardown(void **state)
{
	event_base_free(base);
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_accept(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	struct result r = {0};
	char user[] = "001122334455";

	fake_start(&f, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &f, 1000, 2);
	/* Junos source-address: the pool's sockets are bound to it. */
	snprintf(cfg.auth[0].source, sizeof(cfg.auth[0].source), "127.0.0.1");
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);

	assert_non_null(rc);
	struct radius_access_req q = mab_req(user);

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	/* The request was copied: the caller's buffer may change right away. */
	memset(user, 'X', sizeof(user) - 1);
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.code, RADIUS_CODE_ACCESS_ACCEPT);
	assert_int_equal(r.vid, 100);
	assert_int_equal(r.server, 0);

	/* The server saw the original user name, hidden password unhides to it. */
	struct radius_pkt p;
	struct radius_attr_iter it;
	uint8_t t, l;
	const uint8_t *v;
	bool saw_user = false, saw_pw = false;

	assert_int_equal(radius_decode(f.first, f.first_len, &p), RADIUS_OK);
	radius_attr_iter_init(&it, &p);
	while (radius_attr_next(&it, &t, &v, &l)) {
		if (t == RADIUS_ATTR_USER_NAME) {
			assert_memory_equal(v, "001122334455", 12);
			saw_user = true;
		}
		if (t == RADIUS_ATTR_USER_PASSWORD) {
			uint8_t pw[128];
			size_t pwl;

			assert_int_equal(radius_password_unhide(SECRET, strlen(SECRET), p.auth, v,
			                                        l, pw, &pwl),
			                 RADIUS_OK);
			assert_memory_equal(pw, "001122334455", 12);
			saw_pw = true;
		}
	}
	assert_true(saw_user && saw_pw);

	struct radclient_stats st;
	struct radclient_server_stats ss;

	radclient_stats(rc, &st);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.completed[RADCLIENT_RESULT_REPLY], 1);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(radclient_server_count(rc), 1);
	assert_true(radclient_server_stats(rc, 0, &ss));
	assert_int_equal(ss.accepts, 1);
	assert_int_equal(ss.requests, 1);
	assert_int_equal(ss.retransmissions, 0);
	assert_int_equal(ss.pending, 0);
	assert_int_equal(ss.state, RADCLIENT_SERVER_UP);
	assert_false(radclient_server_stats(rc, 1, &ss));

	/* A Reject is a reply too. */
	f.mode = FAKE_REJECT;
	r.calls = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.code, RADIUS_CODE_ACCESS_REJECT);

	/* FreeRADIUS 3.2.1's PAP Accept without M-A is refused (BlastRADIUS). */
	f.mode = FAKE_NOMA_OK;
	r.calls = 0;
	cfg.auth[0].timeout_ms = 50;
	cfg.auth[0].retry = 1;
	assert_int_equal(radclient_configure(rc, &cfg), 0);
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.res, RADCLIENT_RESULT_TIMEOUT);
	radclient_stats(rc, &st);
	assert_int_equal(st.drops[RADCLIENT_DROP_NO_MA], 2);

	radclient_free(rc);
	fake_stop(&f);
}

/* Replies the kernel drops on a full socket are counted (they would look like timeouts). */
static void test_kernel_drops(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	struct result r = {0};
	struct sockaddr_in to;
	socklen_t tl = sizeof(to);
	uint8_t junk[1400] = {0};
	int small = 1, tx, fd;

	(void)state;
	fake_start(&f, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &f, 1000, 2);
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);

	assert_non_null(rc);
	assert_int_equal(radclient_kernel_drops(rc), 0);
	struct radius_access_req q = mab_req("001122334455");

	/* the request opens the pool's sockets; the loop does not run, nothing is read */
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	assert_true(rc->npools >= 1 && rc->pools[0]->nsocks >= 1);
	fd = rc->pools[0]->socks[0].fd;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&to, &tl), 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(tx >= 0);
	for (int i = 0; i < 64; i++)
		sendto(tx, junk, sizeof(junk), 0, (struct sockaddr *)&to, sizeof(to));
	close(tx);
	assert_true(radclient_kernel_drops(rc) > 0);
	radclient_free(rc);
	fake_stop(&f);
}

static void test_retransmit_backoff(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&f, FAKE_ACCEPT);
	f.drop_first = 3;
	server_cfg(&cfg.auth[0], &f, 100, 10); /* budget 1.1 s: room for 100+200+400 */
	cfg.n_auth = 1;
	cfg.backoff_max_ms = 10000;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 5000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.transmissions, 4);
	assert_int_equal(f.rx, 4);
	/* RFC 5080 §2.2.1: retransmissions are the same datagram (Identifier, authenticator). */
	assert_int_equal(f.identical, 4);
	/*
	 * Backoff: the waits double, 100 -> 200 -> 400 ms (jitter +-12.5%). Lower bounds only:
	 * a loaded machine makes timers late, never early.
	 */
	uint64_t g1 = f.rx_ms[1] - f.rx_ms[0], g2 = f.rx_ms[2] - f.rx_ms[1],
	         g3 = f.rx_ms[3] - f.rx_ms[2];

	assert_true(g1 >= 85);
	assert_true(g2 >= 170);
	assert_true(g3 >= 340);

	struct radclient_server_stats ss;

	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.requests, 1);
	assert_int_equal(ss.retransmissions, 3);
	assert_int_equal(ss.state, RADCLIENT_SERVER_UP);
	radclient_free(rc);
	fake_stop(&f);
}

static void test_failover_dead_revert(void **state)
{
	struct fake a, b;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_SILENT);
	fake_start(&b, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &a, 50, 1);
	server_cfg(&cfg.auth[1], &b, 50, 1);
	cfg.n_auth = 2;
	cfg.revert_interval_s = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.server, 1);
	assert_int_equal(a.rx, 2); /* first transmission + 1 retry */
	assert_int_equal(b.rx, 1);
	/* The second server got a differently signed request (new authenticator). */
	assert_memory_not_equal(a.first + 4, b.first + 4, 16);

	struct radclient_server_stats sa;

	radclient_server_stats(rc, 0, &sa);
	assert_int_equal(sa.state, RADCLIENT_SERVER_DEAD);
	assert_int_equal(sa.timeouts, 1);
	assert_int_equal(sa.dead_marks, 1);

	/* While dead, requests go straight to the second server. */
	r.calls = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.server, 1);
	assert_int_equal(a.rx, 2);

	/* Junos revert-interval: after it the first server is asked again. */
	for (int i = 0; i < 250 && sa.state == RADCLIENT_SERVER_DEAD; i++) {
		run_for(20);
		radclient_server_stats(rc, 0, &sa);
	}
	assert_int_equal(sa.state, RADCLIENT_SERVER_UP);
	a.mode = FAKE_ACCEPT;
	r.calls = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.server, 0);
	assert_int_equal(a.rx, 3);

	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&b);
}

static void test_all_dead(void **state)
{
	struct fake a, b;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_SILENT);
	fake_start(&b, FAKE_SILENT);
	server_cfg(&cfg.auth[0], &a, 40, 1);
	server_cfg(&cfg.auth[1], &b, 40, 2);
	cfg.n_auth = 2;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	uint64_t t0 = mono_ms();

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.res, RADCLIENT_RESULT_TIMEOUT);
	/*
	 * a: 40 ms, 1 retry -> sent at 0 and ~40 ms, gone at its budget of 80 ms (Junos timeout
	 * x (retry + 1)). b: 40 ms, 2 retries, budget 120 ms: sent at 0 and ~40 ms; the doubled
	 * wait (80 ms +-1/8) ends at or just before the budget, so a third datagram may or may
	 * not fit; gone at 120 ms either way.
	 */
	assert_int_equal(a.rx, 2);
	assert_true(b.rx == 2 || b.rx == 3);
	assert_int_equal(r.transmissions, a.rx + b.rx);
	assert_true(mono_ms() - t0 >= 195);

	/* Both dead: server-fail at once, but from the loop, not inside the call. */
	r.calls = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	assert_int_equal(r.calls, 0);
	run_until(&r.calls, 1, 1000);
	assert_int_equal(r.res, RADCLIENT_RESULT_ALL_DEAD);
	assert_int_equal(r.transmissions, 0);

	/* No server at all behaves the same. */
	struct radclient *rc2 = radclient_new(base, NULL);

	r.calls = 0;
	assert_non_null(radclient_access(rc2, &q, done_cb, &r));
	run_until(&r.calls, 1, 1000);
	assert_int_equal(r.res, RADCLIENT_RESULT_ALL_DEAD);
	radclient_free(rc2);

	/* The servers go away (NULL config) under a pending request: it ends as server-fail. */
	struct fake h;

	fake_start(&h, FAKE_HOLD);
	server_cfg(&cfg.auth[0], &h, 5000, 1);
	cfg.n_auth = 1;
	assert_int_equal(radclient_configure(rc, &cfg), 0);
	r.calls = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&h.nheld, 1, 2000);
	assert_int_equal(radclient_configure(rc, NULL), 0);
	assert_int_equal(radclient_server_count(rc), 0);
	run_until(&r.calls, 1, 1000);
	assert_int_equal(r.res, RADCLIENT_RESULT_ALL_DEAD);
	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&b);
	fake_stop(&h);
}

static void test_status_server(void **state)
{
	struct fake a, b;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_SILENT);
	fake_start(&b, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &a, 40, 1);
	server_cfg(&cfg.auth[1], &b, 40, 1);
	cfg.n_auth = 2;
	cfg.revert_interval_s = 600; /* only a probe answer can revive it in this test */
	cfg.status_server = true;
	cfg.probe_interval_ms = 100;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	assert_int_equal(r.server, 1);
	struct radclient_server_stats sa;

	radclient_server_stats(rc, 0, &sa);
	assert_int_equal(sa.state, RADCLIENT_SERVER_DEAD);
	a.mode = FAKE_ACCEPT;
	for (int i = 0; i < 100 && sa.state == RADCLIENT_SERVER_DEAD; i++) {
		run_for(20);
		radclient_server_stats(rc, 0, &sa);
	}
	assert_int_equal(sa.state, RADCLIENT_SERVER_UP);
	assert_true(a.status_server >= 1);
	assert_true(sa.probes >= 1);
	assert_int_equal(sa.probe_answers, 1);
	assert_int_equal(sa.accepts, 0); /* probe answers are not Access-Accepts of users */
	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&b);
}

static void test_broken_replies(void **state)
{
	struct fake a, b;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_BROKEN);
	fake_start(&b, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &a, 100, 1);
	server_cfg(&cfg.auth[1], &b, 100, 1);
	cfg.n_auth = 2;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&r.calls, 1, 3000);
	/* Nothing from the first server was believed: the second answered. */
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.server, 1);
	assert_int_equal(a.rx, 2);

	struct radclient_stats st;
	struct radclient_server_stats sa;

	radclient_stats(rc, &st);
	radclient_server_stats(rc, 0, &sa);
	assert_int_equal(sa.drops[RADCLIENT_DROP_NO_MA], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_BAD_MA], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_DUPLICATE], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_BAD_AUTH], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_PROXY_STATE], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_UNKNOWN_ID], 2);
	assert_int_equal(sa.drops[RADCLIENT_DROP_MALFORMED], 2);
	assert_int_equal(sa.accepts, 0);
	/* Forged answers do not prove the server alive. */
	assert_int_equal(sa.state, RADCLIENT_SERVER_DEAD);
	for (int d = 0; d < RADCLIENT_DROP_COUNT; d++)
		assert_int_equal(st.drops[d], sa.drops[d]);

	/* clear network-access aaa statistics */
	radclient_stats_clear(rc);
	radclient_stats(rc, &st);
	assert_int_equal(st.drops[RADCLIENT_DROP_NO_MA], 0);
	radclient_server_stats(rc, 0, &sa);
	assert_int_equal(sa.drops[RADCLIENT_DROP_NO_MA], 0);
	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&b);
}

static void test_wrong_source(void **state)
{
	struct fake a, stranger;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_HOLD);
	fake_start(&stranger, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &a, 300, 1);
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	run_until(&a.nheld, 1, 2000);
	/* The stranger answers the held request correctly signed, from its own port. */
	fake_answer(&stranger, &a.held[0].from, a.held[0].buf, a.held[0].len);
	run_for(50);
	assert_int_equal(r.calls, 0);
	struct radclient_stats st;

	radclient_stats(rc, &st);
	assert_int_equal(st.drops[RADCLIENT_DROP_WRONG_SOURCE], 1);
	fake_release(&a);
	run_until(&r.calls, 1, 2000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&stranger);
}

static int n_done;

static void count_cb(struct radclient_req *req, const struct radclient_done *d, void *arg)
{
	if (d->result == RADCLIENT_RESULT_REPLY && d->code == RADIUS_CODE_ACCESS_ACCEPT)
		n_done++;
}

/* Distinct (source port, Identifier) pairs among the held requests. */
static int distinct_slots(const struct fake *f, int *nports)
{
	static uint8_t seen[65536][32];
	uint16_t ports[64];
	int np = 0, n = 0;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < f->nheld; i++) {
		uint16_t port = ntohs(f->held[i].from.sin_port);
		uint8_t id = f->held[i].buf[1];
		int k;

		if (!(seen[port][id / 8] & (1u << (id % 8)))) {
			seen[port][id / 8] |= (uint8_t)(1u << (id % 8));
			n++;
		}
		for (k = 0; k < np && ports[k] != port; k++)
			;
		if (k == np && np < 64)
			ports[np++] = port;
	}
	*nports = np;
	return n;
}

static void test_pool_exhaustion(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	int nports;

	fake_start(&f, FAKE_HOLD);
	server_cfg(&cfg.auth[0], &f, 5000, 1);
	cfg.auth[0].max_outstanding = UINT32_MAX; /* the pool is the limit here */
	cfg.n_auth = 1;
	cfg.nsockets = 1; /* 256 Identifiers */
	cfg.max_queued = 100;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	n_done = 0;
	for (int i = 0; i < 300; i++)
		assert_non_null(radclient_access(rc, &q, count_cb, NULL));
	struct radclient_stats st;

	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 256);
	assert_int_equal(st.queued, 44);
	assert_int_equal(st.slots, 256);
	assert_int_equal(st.queued_total, 44);
	/* The queue is bounded. */
	for (int i = 0; i < 56; i++)
		assert_non_null(radclient_access(rc, &q, count_cb, NULL));
	assert_null(radclient_access(rc, &q, count_cb, NULL));
	radclient_stats(rc, &st);
	assert_int_equal(st.queue_full, 1);

	run_until(&f.nheld, 256, 3000);
	run_for(20);
	assert_int_equal(f.nheld, 256);
	assert_int_equal(distinct_slots(&f, &nports), 256);
	assert_int_equal(nports, 1);

	/* Answers free Identifiers; the queued requests take them (reuse). */
	fake_release(&f);
	run_until(&f.nheld, 100, 3000);
	assert_int_equal(f.nheld, 100);
	fake_release(&f);
	run_until(&n_done, 356, 3000);
	assert_int_equal(n_done, 356);
	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.completed[RADCLIENT_RESULT_REPLY], 356);
	radclient_free(rc);
	fake_stop(&f);
}

static void test_1000_in_flight(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	int nports;

	fake_start(&f, FAKE_HOLD);
	server_cfg(&cfg.auth[0], &f, 10000, 1);
	cfg.auth[0].max_outstanding = 1000;
	cfg.n_auth = 1;
	cfg.nsockets = 4;
	struct radclient *rc = radclient_new(base, &cfg);
	uint64_t t0 = mono_us();

	n_done = 0;
	for (int i = 0; i < 1000; i++) {
		char user[16];

		snprintf(user, sizeof(user), "u%d", i);
		struct radius_access_req q = mab_req(user);

		assert_non_null(radclient_access(rc, &q, count_cb, NULL));
	}
	struct radclient_stats st;

	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 1000);
	assert_int_equal(st.queued, 0);
	run_until(&f.nheld, 1000, 5000);
	assert_int_equal(f.nheld, 1000);
	assert_int_equal(distinct_slots(&f, &nports), 1000);
	assert_int_equal(nports, 4);
	fake_release(&f);
	run_until(&n_done, 1000, 5000);
	assert_int_equal(n_done, 1000);
	print_message("1000 in flight, all answered in %.1f ms (retransmissions: %s)\n",
	              (double)(mono_us() - t0) / 1000.0, f.rx == 1000 ? "none" : "some");
	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 0);
	radclient_free(rc);
	fake_stop(&f);
}

static void test_window(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	struct radclient_req *h[50];

	fake_start(&f, FAKE_HOLD);
	server_cfg(&cfg.auth[0], &f, 5000, 1);
	cfg.auth[0].max_outstanding = 10;
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	n_done = 0;
	for (int i = 0; i < 50; i++)
		assert_non_null(h[i] = radclient_access(rc, &q, count_cb, NULL));
	struct radclient_server_stats ss;
	struct radclient_stats st;

	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.outstanding, 10);
	assert_int_equal(ss.waiting, 40);
	assert_int_equal(ss.max_outstanding, 10);
	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 10);
	assert_int_equal(st.queued, 40);
	/* Cancelling a waiting request and an outstanding one: the next in line goes out. */
	radclient_cancel(h[49]);
	radclient_cancel(h[0]);
	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.outstanding, 10);
	assert_int_equal(ss.waiting, 38);
	run_until(&f.nheld, 11, 2000);
	run_for(20);
	/* h[0] left before it was cancelled; h[10] took its place in the window. */
	assert_int_equal(f.nheld, 11);
	f.max_held = 0;
	/* Answers let the waiting ones out, never more than 10 at the server at once. */
	for (int round = 0; round < 50 && n_done < 48; round++) {
		fake_release(&f);
		run_for(20);
		assert_true(f.nheld <= 10);
	}
	assert_int_equal(n_done, 48);
	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.outstanding, 0);
	assert_int_equal(ss.waiting, 0);
	assert_int_equal(f.max_held, 10);
	radclient_stats(rc, &st);
	assert_int_equal(st.drops[RADCLIENT_DROP_UNKNOWN_ID], 1); /* the answer to h[0] */
	radclient_free(rc);
	fake_stop(&f);
}

static void test_cancel(void **state)
{
	struct fake f;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&f, FAKE_HOLD);
	server_cfg(&cfg.auth[0], &f, 5000, 1);
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");
	struct radclient_req *h = radclient_access(rc, &q, done_cb, &r);

	assert_non_null(h);
	run_until(&f.nheld, 1, 2000);
	radclient_cancel(h);
	struct radclient_stats st;

	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.cancelled, 1);
	fake_release(&f);
	run_for(50);
	assert_int_equal(r.calls, 0);
	radclient_stats(rc, &st);
	assert_int_equal(st.drops[RADCLIENT_DROP_UNKNOWN_ID], 1);
	radclient_free(rc);
	fake_stop(&f);
}

static void test_accounting(void **state)
{
	struct fake auth, acct;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&auth, FAKE_SILENT);
	fake_start(&acct, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &auth, 1000, 1);
	cfg.n_auth = 1;
	server_cfg(&cfg.acct[0], &acct, 1000, 1);
	cfg.n_acct = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_bytes cls = {.len = 2, .val = "c1"};
	struct radius_acct_req a = {
	        .status_type = RADIUS_ACCT_STOP,
	        .session_id = "s-1",
	        .user_name = (const uint8_t *)"bob",
	        .user_name_len = 3,
	        .class_ = &cls,
	        .nclass = 1,
	        .session_time = 60,
	        .terminate_cause = RADIUS_TERM_USER_REQUEST,
	};

	assert_non_null(radclient_acct(rc, &a, done_cb, &r));
	run_until(&r.calls, 1, 2000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(r.code, RADIUS_CODE_ACCOUNTING_RESPONSE);
	assert_int_equal(auth.rx, 0);
	assert_int_equal(acct.rx, 1);
	struct radclient_server_stats ss;

	assert_int_equal(radclient_server_count(rc), 2);
	radclient_server_stats(rc, 1, &ss);
	assert_true(ss.accounting);
	assert_int_equal(ss.acct_responses, 1);

	/* Bad arguments are refused synchronously, without a callback. */
	a.session_id = NULL;
	assert_null(radclient_acct(rc, &a, done_cb, &r));
	struct radius_access_req bad = {0};

	assert_null(radclient_access(rc, &bad, done_cb, &r));
	radclient_free(rc);
	fake_stop(&auth);
	fake_stop(&acct);
}

static void test_reconfigure(void **state)
{
	struct fake a, b;
	struct radclient_cfg cfg = {0};
	struct result r = {0};

	fake_start(&a, FAKE_HOLD);
	fake_start(&b, FAKE_ACCEPT);
	server_cfg(&cfg.auth[0], &a, 5000, 1);
	cfg.auth[0].max_outstanding = 1;
	cfg.n_auth = 1;
	struct radclient *rc = radclient_new(base, &cfg);
	struct radius_access_req q = mab_req("bob");

	/* One at the server, two waiting for its window. */
	n_done = 0;
	assert_non_null(radclient_access(rc, &q, done_cb, &r));
	assert_non_null(radclient_access(rc, &q, count_cb, NULL));
	assert_non_null(radclient_access(rc, &q, count_cb, NULL));
	run_until(&a.nheld, 1, 2000);
	/* Replace the server: every pending request restarts on the new one. */
	server_cfg(&cfg.auth[0], &b, 5000, 1);
	assert_int_equal(radclient_configure(rc, &cfg), 0);
	run_until(&r.calls, 1, 2000);
	run_until(&n_done, 2, 2000);
	assert_int_equal(r.res, RADCLIENT_RESULT_REPLY);
	assert_int_equal(n_done, 2);
	assert_int_equal(b.rx, 3);
	assert_int_equal(a.nheld, 1);
	struct radclient_server_stats ss;
	struct radclient_stats st;

	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.outstanding, 0);
	assert_int_equal(ss.pending, 0);
	assert_int_equal(ss.waiting, 0);
	radclient_stats(rc, &st);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.queued, 0);

	/* Same server again: state and counters stay. */
	assert_int_equal(radclient_configure(rc, &cfg), 0);

	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.accepts, 3);
	/* A source address of another family, or a bad address, is refused and changes nothing. */
	snprintf(cfg.auth[0].source, sizeof(cfg.auth[0].source), "::1");
	assert_int_equal(radclient_configure(rc, &cfg), -1);
	cfg.auth[0].source[0] = '\0';
	snprintf(cfg.auth[0].addr, sizeof(cfg.auth[0].addr), "not-an-ip");
	assert_int_equal(radclient_configure(rc, &cfg), -1);
	radclient_server_stats(rc, 0, &ss);
	assert_int_equal(ss.port, b.port);
	radclient_free(rc);
	fake_stop(&a);
	fake_stop(&b);
}

static void test_names(void **state)
{
	for (int d = 0; d < RADCLIENT_DROP_COUNT; d++)
		assert_string_not_equal(radclient_drop_name(d), "?");
	for (int d = 0; d < RADCLIENT_RESULT_COUNT; d++)
		assert_string_not_equal(radclient_result_name(d), "?");
	assert_string_equal(radclient_drop_name(RADCLIENT_DROP_COUNT), "?");
	assert_string_equal(radclient_server_state_name(RADCLIENT_SERVER_DEAD), "dead");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kernel_drops, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retransmit_backoff, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failover_dead_revert, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_all_dead, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_server, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_broken_replies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_source, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_exhaustion, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_1000_in_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_accounting, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reconfigure, setup, teardown),
	        cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
