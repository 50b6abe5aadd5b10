/*
 * bfdd's session table around the core (daemons/bfdd/sessions.c, io.c's input path): a
 * session brought Up by a simulated peer (the core of tests/unit/bfdd/test_session.c's kind,
 * fed through bfdd_io_input), then deleted: RFC 5880 §6.8.16 / RFC 5882 §8 — it stays,
 * AdminDown with diag 7, for the peer's Detection Time, the peer reads AdminDown (diag 3,
 * not 1), and only then is it freed; a client that asks for it meanwhile gets the same
 * session (same discriminator) back. Echo (io_echo.c's input): once Up with a peer that
 * loops echo, only our own echo packets, forwarded once (TTL 254), with the session's
 * address, port and cookie, refresh the echo detection time. The peer is 127.0.0.2:
 * whatever the session sockets send stays on the loopback.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd_daemon.h"

struct rig {
	struct bfdd *b;
	struct bfd_session p; /* the peer */
	struct bfdd_key k;
	struct bfdd_params prm;
};

static void rig_init(struct rig *r)
{
	struct bfd_session_cfg pc = {
	        .desired_min_tx = 100000, .required_min_rx = 100000, .detect_mult = 3};
	struct bfd_out o;

	memset(r, 0, sizeof(*r));
	r->b = calloc(1, sizeof(*r->b));
	assert_non_null(r->b);
	for (int i = 0; i < 4; i++)
		r->b->rx[i].fd = -1;
	r->b->echo_tx_fd = r->b->echo_rx_fd = -1;
	r->b->next_port = BFDD_SPORT_MIN;
	bfdd_sessions_init(r->b);
	wheel_init(&r->b->wheel, mono_us());
	assert_int_equal(bfdd_ip_parse("127.0.0.2", &r->k.peer), 0);
	r->prm = (struct bfdd_params){.tx_us = 100000, .rx_us = 100000, .mult = 3, .min_ttl = 1};
	assert_int_equal(bfd_session_init(&r->p, &pc, 0x5eed5eed, 42, false, mono_us(), &o), 0);
}

static void rig_free(struct rig *r)
{
	bfdd_sessions_free(r->b);
	r->b->txq.n = r->b->txq6.n = 0; /* nothing is sent */
	for (unsigned i = 0; i < r->b->n_raw; i++)
		close(r->b->raw[i].fd);
	free(r->b);
}

/* The peer's packet to the daemon, through the real input path. */
static void peer_to_daemon(struct rig *r)
{
	struct bfdd_rxinfo ri = {.ttl = 255, .ifindex = 0};
	uint8_t buf[BFD_PKT_MAX];
	size_t len;

	assert_int_equal(bfdd_ip_parse("127.0.0.2", &ri.src), 0);
	assert_int_equal(bfdd_ip_parse("127.0.0.1", &ri.dst), 0);
	assert_int_equal(bfd_session_build(&r->p, buf, sizeof(buf), &len), 0);
	bfdd_io_input(r->b, buf, len, &ri, mono_us());
}

/* The daemon's session's packet to the peer (what its socket would carry). */
static void daemon_to_peer(struct rig *r, struct bfdd_sess *x)
{
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt pk;
	struct bfd_rx ok;
	struct bfd_out o;
	size_t len;

	assert_int_equal(bfd_session_build(&x->s, buf, sizeof(buf), &len), 0);
	assert_int_equal(bfd_decode(buf, len, &pk), BFD_DROP_NONE);
	assert_int_equal(bfd_session_check(&r->p, buf, &pk, &ok), BFD_DROP_NONE);
	bfd_session_rx(&r->p, &ok, mono_us(), &o);
}

static struct bfdd_sess *rig_up(struct rig *r)
{
	char err[128];
	struct bfdd_sess *x = bfdd_sess_ref(r->b, &r->k, 7, "static", &r->prm, err, sizeof(err));

	assert_non_null(x);
	peer_to_daemon(r); /* Down, by addresses: Down -> Init */
	assert_int_equal(bfd_session_state(&x->s), BFD_STATE_INIT);
	daemon_to_peer(r, x); /* Init: the peer goes Up */
	assert_int_equal(bfd_session_state(&r->p), BFD_STATE_UP);
	peer_to_daemon(r); /* Up: Init -> Up */
	assert_int_equal(bfd_session_state(&x->s), BFD_STATE_UP);
	return x;
}

static void test_delete_holds_admin_down(void **state)
{
	struct rig r;
	struct bfdd_sess *x;
	uint32_t disc;
	uint64_t hold_at, t0;

	(void)state;
	rig_init(&r);
	x = rig_up(&r);
	disc = x->s.local_disc;
	t0 = mono_us();
	assert_int_equal(bfdd_sess_unref(r.b, x, 7, "static", false), 0);
	/* Still there, AdminDown (diag 7), no client, freed by a timer. */
	assert_ptr_equal(bfdd_sess_by_disc(r.b, disc), x);
	assert_true(x->dying);
	assert_null(x->clients);
	assert_int_equal(bfd_session_state(&x->s), BFD_STATE_ADMIN_DOWN);
	assert_int_equal(x->s.local_diag, BFD_DIAG_ADMIN_DOWN);
	assert_true(wheel_pending(&x->t_hold));
	hold_at = x->t_hold.at;
	/* At least the peer's Detection Time (3 x 100 ms) and two AdminDown intervals (1 s). */
	assert_true(hold_at >= t0 + 2 * BFD_SLOW_TX_US);
	/* The peer reads AdminDown: Down with diag 3, remote diag 7 — not a failure. */
	daemon_to_peer(&r, x);
	assert_int_equal(bfd_session_state(&r.p), BFD_STATE_DOWN);
	assert_int_equal(r.p.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(r.p.remote_diag, BFD_DIAG_ADMIN_DOWN);
	/* The session goes only when the hold ends. */
	wheel_run(&r.b->wheel, hold_at - 1);
	assert_ptr_equal(bfdd_sess_by_disc(r.b, disc), x);
	wheel_run(&r.b->wheel, hold_at);
	assert_null(bfdd_sess_by_disc(r.b, disc));
	assert_null(bfdd_sess_by_key(r.b, &r.k));
	assert_int_equal(r.b->n_sess, 0);
	rig_free(&r);
}

static void test_revive_during_hold(void **state)
{
	struct rig r;
	struct bfdd_sess *x, *y;
	uint32_t disc;
	char err[128];

	(void)state;
	rig_init(&r);
	x = rig_up(&r);
	disc = x->s.local_disc;
	assert_int_equal(bfdd_sess_unref(r.b, x, 7, "static", false), 0);
	assert_true(x->dying);
	/* Unknown claims on a dying session are refused like on any other. */
	assert_int_equal(bfdd_sess_unref(r.b, x, 7, "static", false), -1);
	y = bfdd_sess_ref(r.b, &r.k, 8, "cluster", &r.prm, err, sizeof(err));
	assert_ptr_equal(y, x);
	assert_int_equal(y->s.local_disc, disc);
	assert_false(y->dying);
	assert_false(wheel_pending(&y->t_hold));
	assert_int_equal(bfd_session_state(&y->s), BFD_STATE_DOWN); /* out of AdminDown */
	assert_int_equal(bfdd_sess_n_clients(y), 1);
	rig_free(&r);
}

/* A session the peer never answered has nobody to tell: it goes at once. */
static void test_delete_unknown_peer_at_once(void **state)
{
	struct rig r;
	struct bfdd_sess *x;
	char err[128];

	(void)state;
	rig_init(&r);
	x = bfdd_sess_ref(r.b, &r.k, 7, "static", &r.prm, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(bfdd_sess_unref(r.b, x, 7, "static", false), 0);
	assert_null(bfdd_sess_by_key(r.b, &r.k));
	rig_free(&r);
}

/* An echo packet as the peer's forwarding returns it. */
static size_t echo_frame(const struct bfdd_sess *x, uint32_t cookie, uint8_t ttl, uint8_t *buf,
                         size_t cap)
{
	struct bfd_echo e = {.disc = x->s.local_disc, .cookie = cookie, .seq = 1, .tx_us = 1};
	struct bfd_ip4_udp h = {.src = x->src4,
	                        .dst = x->src4,
	                        .sport = x->sport,
	                        .dport = BFD_PORT_ECHO,
	                        .ttl = ttl};
	uint8_t pl[BFD_ECHO_LEN];

	bfd_echo_encode(&e, pl, sizeof(pl));
	return bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, cap);
}

static void test_echo_input(void **state)
{
	struct bfd_session_cfg pc = {.desired_min_tx = 100000,
	                             .required_min_rx = 100000,
	                             .required_min_echo_rx = 50000,
	                             .detect_mult = 3};
	struct rig r;
	struct bfdd_sess *x;
	struct bfd_out o;
	uint8_t buf[128];
	uint64_t det;
	size_t n;

	(void)state;
	rig_init(&r);
	/* Stand-ins for the packet sockets (opening them needs CAP_NET_RAW; nothing is sent). */
	r.b->echo_tx_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	r.b->echo_rx_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(r.b->echo_tx_fd >= 0 && r.b->echo_rx_fd >= 0);
	assert_int_equal(bfd_session_configure(&r.p, &pc, mono_us(), &o), 0);
	r.prm.echo_us = 50000;
	x = rig_up(&r);
	assert_true(x->s.flags & BFD_SF_ECHO);
	assert_int_equal(bfd_session_echo_interval(&x->s), 50000);
	assert_int_not_equal(x->src4, 0);
	det = x->s.echo_detect_us;
	/* Not ours: never forwarded (TTL 255), a wrong cookie, someone else's discriminator. */
	n = echo_frame(x, x->echo_cookie, BFD_ECHO_TTL, buf, sizeof(buf));
	bfdd_echo_input(r.b, buf, n, 0, det - 1000);
	n = echo_frame(x, x->echo_cookie ^ 1, BFD_ECHO_RX_TTL, buf, sizeof(buf));
	bfdd_echo_input(r.b, buf, n, 0, det - 1000);
	assert_int_equal(r.b->echo_foreign, 2);
	assert_int_equal(x->echo_rx, 0);
	assert_int_equal(x->s.echo_detect_us, det);
	/* Ours, back through the peer: the echo detection time starts again from now. */
	n = echo_frame(x, x->echo_cookie, BFD_ECHO_RX_TTL, buf, sizeof(buf));
	bfdd_echo_input(r.b, buf, n, 0, det - 1000);
	assert_int_equal(x->echo_rx, 1);
	assert_int_equal(x->s.echo_detect_us, det - 1000 + 3 * 50000);
	assert_int_equal(x->echo_rtt_us, det - 1000 - 1);
	/* With echo running, control RequiredMinRx goes to 1 s (RFC 5880 §6.8.3), once the
	 * poll of the Up transition has its Final. */
	assert_true(x->s.flags & BFD_SF_POLL);
	daemon_to_peer(&r, x); /* P */
	peer_to_daemon(&r);    /* F */
	assert_int_equal(x->s.adv_rx, BFD_ECHO_CTL_RX_US);
	bfdd_echo_close(r.b);
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_delete_holds_admin_down),
	        cmocka_unit_test(test_revive_during_hold),
	        cmocka_unit_test(test_delete_unknown_peer_at_once),
	        cmocka_unit_test(test_echo_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
