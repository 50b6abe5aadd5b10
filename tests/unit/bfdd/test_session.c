/*
 * bfdd sessions (daemons/bfdd/session.c, fsm.c), RFC 5880 §6: the full state table; two
 * sessions wired back to back through the real codec and authentication with a fake clock
 * (the harness below plays the daemon: it runs whichever deadline is next, builds and
 * delivers packets, can cut either direction): the three-way handshake, timer negotiation
 * numbers, detection, AdminDown, a peer restart, poll/final on interval changes without a
 * flap (faster, slower, a change during a poll), slow transmission when not Up, passive
 * role, jitter bounds, every authentication type end to end, replay and forged packets that
 * leave the session untouched, the AuthSeqKnown reset, and echo bookkeeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd.h"

#define MS 1000ull
#define S  1000000ull

/* ---------------------------------------------------------------- harness */

struct hist {
	uint8_t from, to, diag;
	uint64_t at;
};

struct node {
	struct bfd_session s;
	unsigned tx, tx_p, tx_f, echo_tx, drops[BFD_DROP_COUNT];
	bool echo_loop;
	uint8_t last[BFD_PKT_MAX];
	size_t last_len;
	uint64_t tx_times[256];
	unsigned n_tx_times;
	struct hist hist[64];
	unsigned n_hist;
};

struct net {
	struct node n[2];
	uint64_t now;
	bool cut[2]; /* cut[i]: what node i sends is lost */
};

static void handle(struct net *net, int i, const struct bfd_out *o);

static void deliver(struct net *net, int j, const uint8_t *buf, size_t len)
{
	struct node *n = &net->n[j];
	struct bfd_pkt p;
	struct bfd_rx ok;
	struct bfd_out o;
	enum bfd_drop d;

	d = bfd_decode(buf, len, &p);
	if (d == BFD_DROP_NONE)
		d = bfd_session_check(&n->s, buf, &p, &ok);
	if (d != BFD_DROP_NONE) {
		n->drops[d]++;
		return;
	}
	bfd_session_rx(&n->s, &ok, net->now, &o);
	handle(net, j, &o);
}

static void xmit(struct net *net, int i)
{
	struct node *n = &net->n[i];
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p;
	size_t len;

	assert_int_equal(bfd_session_build(&n->s, buf, sizeof(buf), &len), 0);
	/* What we send, we can decode: P and F never together, etc. */
	assert_int_equal(bfd_decode(buf, len, &p), BFD_DROP_NONE);
	n->tx++;
	n->tx_p += !!(p.flags & BFD_FLAG_POLL);
	n->tx_f += !!(p.flags & BFD_FLAG_FINAL);
	if (n->n_tx_times < 256)
		n->tx_times[n->n_tx_times++] = net->now;
	memcpy(n->last, buf, len);
	n->last_len = len;
	if (!net->cut[i])
		deliver(net, 1 - i, buf, len);
}

static void handle(struct net *net, int i, const struct bfd_out *o)
{
	struct node *n = &net->n[i];

	/* The deadlines reported are the session's. */
	assert_int_equal(o->tx_at_us, n->s.tx_at_us);
	assert_int_equal(o->detect_at_us, n->s.detect_at_us);
	assert_int_equal(o->echo_tx_at_us, n->s.echo_tx_at_us);
	assert_int_equal(o->to, bfd_session_state(&n->s));
	if (o->what & BFD_OUT_STATE) {
		assert_int_not_equal(o->from, o->to);
		assert_true(n->n_hist < 64);
		n->hist[n->n_hist++] = (struct hist){o->from, o->to, o->diag, net->now};
	}
	if (o->what & BFD_OUT_SEND)
		xmit(net, i);
	if (o->what & BFD_OUT_SEND_ECHO) {
		n->echo_tx++;
		if (n->echo_loop) {
			struct bfd_out e;

			bfd_session_echo_rx(&n->s, net->now, &e);
			handle(net, i, &e);
		}
	}
}

static struct bfd_session_cfg cfg_std(uint32_t tx_ms, uint32_t rx_ms, uint8_t mult)
{
	return (struct bfd_session_cfg){.desired_min_tx = tx_ms * 1000,
	                                .required_min_rx = rx_ms * 1000,
	                                .detect_mult = mult};
}

static void net_init(struct net *net, const struct bfd_session_cfg *a,
                     const struct bfd_session_cfg *b)
{
	struct bfd_out o;

	memset(net, 0, sizeof(*net));
	net->now = 1 * S;
	assert_int_equal(bfd_session_init(&net->n[0].s, a, 0xa1a1a1a1, 0x123456789abcdefull, false,
	                                  net->now, &o),
	                 0);
	assert_int_equal(bfd_session_init(&net->n[1].s, b, 0xb2b2b2b2, 0xfedcba987654321ull, false,
	                                  net->now, &o),
	                 0);
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Runs every deadline up to and including `until`, in time order. */
static void run_until(struct net *net, uint64_t until)
{
	for (;;) {
		uint64_t next = 0;

		for (int i = 0; i < 2; i++) {
			const struct bfd_session *s = &net->n[i].s;

			next = min_nz(next, s->tx_at_us);
			next = min_nz(next, s->echo_tx_at_us);
			next = min_nz(next, s->detect_at_us);
		}
		if (!next || next > until)
			break;
		assert_true(next >= net->now);
		net->now = next;
		for (int i = 0; i < 2; i++) {
			struct bfd_session *s = &net->n[i].s;
			struct bfd_out o;

			if (s->detect_at_us && s->detect_at_us <= net->now) {
				bfd_session_detect_timer(s, net->now, &o);
				handle(net, i, &o);
			}
			if (s->tx_at_us && s->tx_at_us <= net->now) {
				bfd_session_tx_timer(s, net->now, &o);
				handle(net, i, &o);
			}
			if (s->echo_tx_at_us && s->echo_tx_at_us <= net->now) {
				bfd_session_echo_timer(s, net->now, &o);
				handle(net, i, &o);
			}
		}
	}
	net->now = until;
}

static void run_for(struct net *net, uint64_t us)
{
	run_until(net, net->now + us);
}

/* The first Up -> Down change at or after history index `from`. */
static const struct hist *went_down(const struct node *n, unsigned from)
{
	for (unsigned i = from; i < n->n_hist; i++)
		if (n->hist[i].from == BFD_STATE_UP && n->hist[i].to == BFD_STATE_DOWN)
			return &n->hist[i];
	fail_msg("no Up -> Down change after %u", from);
	return NULL;
}

static bool both_up(const struct net *net)
{
	return bfd_session_state(&net->n[0].s) == BFD_STATE_UP &&
	       bfd_session_state(&net->n[1].s) == BFD_STATE_UP;
}

/* Runs until both are Up (and their polls are over), at most `limit`; returns the time. */
static uint64_t run_to_up(struct net *net, uint64_t limit)
{
	uint64_t start = net->now;

	while (net->now - start < limit) {
		run_for(net, 10 * MS);
		if (both_up(net) && !(net->n[0].s.flags & BFD_SF_POLL) &&
		    !(net->n[1].s.flags & BFD_SF_POLL))
			return net->now - start;
	}
	fail_msg("not Up within %llu us", (unsigned long long)limit);
	return 0;
}

/* ---------------------------------------------------------------- the table */

/* §6.8.6 / §6.8.4 / §6.8.16, written out from the RFC text, not from fsm.c. */
static void test_fsm_table(void **state)
{
	enum { NO = -1, KEEP = -2 };
	struct row {
		int next, diag;
	};
	/* [state][event] -> next state (NO: no row) and the diag after it (KEEP: unchanged). */
	static const struct row want[BFD_STATE_COUNT][BFD_EVT_COUNT] = {
	        [BFD_STATE_ADMIN_DOWN] =
	                {
	                        [BFD_EVT_RX_ADMIN_DOWN] = {BFD_STATE_ADMIN_DOWN, KEEP},
	                        [BFD_EVT_RX_DOWN] = {BFD_STATE_ADMIN_DOWN, KEEP},
	                        [BFD_EVT_RX_INIT] = {BFD_STATE_ADMIN_DOWN, KEEP},
	                        [BFD_EVT_RX_UP] = {BFD_STATE_ADMIN_DOWN, KEEP},
	                        [BFD_EVT_DETECT_TIMEOUT] = {NO, KEEP},
	                        [BFD_EVT_ECHO_TIMEOUT] = {NO, KEEP},
	                        [BFD_EVT_ADMIN_UP] = {BFD_STATE_DOWN, BFD_DIAG_NONE},
	                        [BFD_EVT_ADMIN_DOWN] = {BFD_STATE_ADMIN_DOWN, KEEP},
	                },
	        [BFD_STATE_DOWN] =
	                {
	                        [BFD_EVT_RX_ADMIN_DOWN] = {BFD_STATE_DOWN, KEEP},
	                        [BFD_EVT_RX_DOWN] = {BFD_STATE_INIT, BFD_DIAG_NONE},
	                        [BFD_EVT_RX_INIT] = {BFD_STATE_UP, BFD_DIAG_NONE},
	                        [BFD_EVT_RX_UP] = {BFD_STATE_DOWN, KEEP},
	                        [BFD_EVT_DETECT_TIMEOUT] = {NO, KEEP},
	                        [BFD_EVT_ECHO_TIMEOUT] = {NO, KEEP},
	                        [BFD_EVT_ADMIN_UP] = {BFD_STATE_DOWN, KEEP},
	                        [BFD_EVT_ADMIN_DOWN] = {BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN},
	                },
	        [BFD_STATE_INIT] =
	                {
	                        [BFD_EVT_RX_ADMIN_DOWN] = {BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	                        [BFD_EVT_RX_DOWN] = {BFD_STATE_INIT, KEEP},
	                        [BFD_EVT_RX_INIT] = {BFD_STATE_UP, BFD_DIAG_NONE},
	                        [BFD_EVT_RX_UP] = {BFD_STATE_UP, BFD_DIAG_NONE},
	                        [BFD_EVT_DETECT_TIMEOUT] = {BFD_STATE_DOWN,
	                                                    BFD_DIAG_DETECT_EXPIRED},
	                        [BFD_EVT_ECHO_TIMEOUT] = {NO, KEEP},
	                        [BFD_EVT_ADMIN_UP] = {BFD_STATE_INIT, KEEP},
	                        [BFD_EVT_ADMIN_DOWN] = {BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN},
	                },
	        [BFD_STATE_UP] =
	                {
	                        [BFD_EVT_RX_ADMIN_DOWN] = {BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	                        [BFD_EVT_RX_DOWN] = {BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	                        [BFD_EVT_RX_INIT] = {BFD_STATE_UP, KEEP},
	                        [BFD_EVT_RX_UP] = {BFD_STATE_UP, KEEP},
	                        [BFD_EVT_DETECT_TIMEOUT] = {BFD_STATE_DOWN,
	                                                    BFD_DIAG_DETECT_EXPIRED},
	                        [BFD_EVT_ECHO_TIMEOUT] = {BFD_STATE_DOWN, BFD_DIAG_ECHO_FAILED},
	                        [BFD_EVT_ADMIN_UP] = {BFD_STATE_UP, KEEP},
	                        [BFD_EVT_ADMIN_DOWN] = {BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN},
	                },
	};
	struct bfd_session_cfg cfg = cfg_std(300, 300, 3);

	assert_true(fsm_def_check(&bfd_fsm_def));
	for (int st = 0; st < BFD_STATE_COUNT; st++)
		for (int ev = 0; ev < BFD_EVT_COUNT; ev++) {
			struct bfd_session s;
			struct bfd_out o;
			int r;

			assert_int_equal(bfd_session_init(&s, &cfg, 7, 1, false, 0, &o), 0);
			s.fsm.state = st;
			s.local_diag = 0x1f; /* a marker: KEEP must leave it */
			r = bfd_session_fsm(&s, (enum bfd_event)ev);
			if (want[st][ev].next == NO) {
				assert_int_equal(r, -1);
				assert_int_equal(s.fsm.state, st);
			} else {
				assert_int_equal(r, want[st][ev].next);
				assert_int_equal(s.fsm.state, want[st][ev].next);
			}
			assert_int_equal(s.local_diag,
			                 want[st][ev].diag == KEEP ? 0x1f : want[st][ev].diag);
		}
}

static void test_init_invalid(void **state)
{
	struct bfd_session s;
	struct bfd_out o;
	struct bfd_session_cfg c = cfg_std(300, 300, 3);

	assert_int_equal(bfd_session_init(&s, &c, 0, 1, false, 0, &o), -1);
	c.detect_mult = 0;
	assert_int_equal(bfd_session_init(&s, &c, 1, 1, false, 0, &o), -1);
	c = cfg_std(0, 300, 3);
	assert_int_equal(bfd_session_init(&s, &c, 1, 1, false, 0, &o), -1);
	c = cfg_std(300, 0, 3);
	assert_int_equal(bfd_session_init(&s, &c, 1, 1, false, 0, &o), -1);
	c = cfg_std(300, 300, 3);
	assert_int_equal(bfd_session_init(&s, &c, 1, 1, true, 5, &o), 0);
	assert_int_equal(bfd_session_state(&s), BFD_STATE_ADMIN_DOWN);
	assert_int_equal(s.local_diag, BFD_DIAG_ADMIN_DOWN);
	assert_int_equal(bfd_session_configure(&s, &(struct bfd_session_cfg){0}, 5, &o), -1);
	assert_int_equal(s.cfg_tx, 300000); /* a refused configuration changes nothing */
}

/* ---------------------------------------------------------------- handshake and timers */

/* §6.2 three-way handshake; §6.8.3 slow rate while not Up; negotiated values once Up. */
static void test_handshake(void **state)
{
	struct bfd_session_cfg c = cfg_std(300, 300, 3);
	struct net net;
	struct bfd_pkt p;
	uint64_t t;

	net_init(&net, &c, &c);
	/* Not Up: 1 s advertised although 300 ms is configured. */
	bfd_session_peek(&net.n[0].s, &p);
	assert_int_equal(p.desired_min_tx, BFD_SLOW_TX_US);
	assert_int_equal(p.required_min_rx, 300000);
	assert_int_equal(p.your_disc, 0);
	assert_int_equal(p.state, BFD_STATE_DOWN);

	t = run_to_up(&net, 5 * S);
	assert_true(t <= 3 * S);
	for (int i = 0; i < 2; i++) {
		struct node *n = &net.n[i];

		/* Down -> Init -> Up or Down -> Up: no other transition. */
		assert_true(n->n_hist >= 1 && n->n_hist <= 2);
		assert_int_equal(n->hist[n->n_hist - 1].to, BFD_STATE_UP);
		assert_int_equal(n->hist[n->n_hist - 1].diag, BFD_DIAG_NONE);
		assert_int_equal(n->s.remote_disc, net.n[1 - i].s.local_disc);
		assert_int_equal(bfd_session_tx_interval(&n->s), 300000);
		assert_int_equal(bfd_session_detect_time(&n->s), 900000);
		/* Going Up changed DesiredMinTx (1 s -> 300 ms): a poll ran and was answered. */
		assert_true(n->tx_p >= 1);
		assert_true(net.n[1 - i].tx_f >= 1);
		bfd_session_peek(&n->s, &p);
		assert_int_equal(p.desired_min_tx, 300000);
	}
	run_for(&net, 60 * S);
	assert_true(both_up(&net));
	assert_true(net.n[0].n_hist <= 2 && net.n[1].n_hist <= 2);
}

/* §6.8.2-6.8.4 numbers with unlike parameters on the two ends. */
static void test_timer_negotiation(void **state)
{
	struct bfd_session_cfg a = cfg_std(100, 300, 3), b = cfg_std(200, 50, 5);
	struct net net;
	unsigned before;

	net_init(&net, &a, &b);
	run_to_up(&net, 5 * S);
	/* A sends at max(100, B's RequiredMinRx 50) = 100 ms, B at max(200, 300) = 300 ms. */
	assert_int_equal(bfd_session_tx_interval(&net.n[0].s), 100000);
	assert_int_equal(bfd_session_tx_interval(&net.n[1].s), 300000);
	/* A's Detection Time: B's mult 5 x max(A's rx 300, B's tx 200) = 1.5 s. */
	assert_int_equal(bfd_session_detect_time(&net.n[0].s), 1500000);
	/* B's: A's mult 3 x max(B's rx 50, A's tx 100) = 300 ms. */
	assert_int_equal(bfd_session_detect_time(&net.n[1].s), 300000);

	/* The real packet rate matches: 10 s at 100 ms x 87.5 % on average = 114 packets. */
	before = net.n[0].tx;
	run_for(&net, 10 * S);
	assert_in_range(net.n[0].tx - before, 105, 125);
	before = net.n[1].tx;
	run_for(&net, 30 * S);
	assert_in_range(net.n[1].tx - before, 105, 125); /* 30 s / (300 ms x 0.875) = 114 */
	assert_true(both_up(&net));
}

/* §6.8.7 jitter: 75-100 %, 75-90 % with DetectMult 1; spread over the whole range. */
static void test_jitter_bounds(void **state)
{
	for (uint8_t mult = 1; mult <= 3; mult += 2) {
		struct bfd_session_cfg c = cfg_std(300, 300, mult);
		struct bfd_session s;
		struct bfd_out o;
		uint64_t sum = 0;
		uint32_t lo = UINT32_MAX, hi = 0, top = mult == 1 ? 900000 : 1000000;
		const unsigned n = 200000;

		assert_int_equal(bfd_session_init(&s, &c, 9, 0x5eed, false, 0, &o), 0);
		for (unsigned i = 0; i < n; i++) {
			uint32_t j = bfd_session_jitter(&s, 1000000);

			lo = j < lo ? j : lo;
			hi = j > hi ? j : hi;
			sum += j;
		}
		assert_true(lo >= 750000);
		assert_true(hi <= top);
		assert_true(lo < 751000);
		assert_true(hi > top - 1000);
		assert_in_range(sum / n, (750000 + top) / 2 - 2000, (750000 + top) / 2 + 2000);
		/* Tiny intervals never become 0. */
		for (unsigned i = 0; i < 100; i++)
			assert_true(bfd_session_jitter(&s, 1) >= 1);
	}
}

/* §6.8.3: alone, a session sends at the slow rate (1 s with jitter) and never faster. */
static void test_slow_tx_alone(void **state)
{
	struct bfd_session_cfg c = cfg_std(10, 10, 3);
	struct net net;

	net_init(&net, &c, &c);
	net.cut[0] = net.cut[1] = true;
	run_for(&net, 30 * S);
	for (int i = 0; i < 2; i++) {
		struct node *n = &net.n[i];

		assert_in_range(n->tx, 30, 40);
		for (unsigned k = 1; k < n->n_tx_times; k++)
			assert_in_range(n->tx_times[k] - n->tx_times[k - 1], 750000, 1000000);
		assert_int_equal(bfd_session_state(&n->s), BFD_STATE_DOWN);
		assert_int_equal(n->n_hist, 0);
	}
}

/* §6.1 passive role: silent until the peer speaks, then a normal session. */
static void test_passive(void **state)
{
	struct bfd_session_cfg a = cfg_std(300, 300, 3), b = a;
	struct net net;

	a.passive = true;
	net_init(&net, &a, &b);
	assert_int_equal(net.n[0].s.tx_at_us, 0);
	net.cut[1] = true;
	run_for(&net, 5 * S);
	assert_int_equal(net.n[0].tx, 0);
	net.cut[1] = false;
	run_to_up(&net, 5 * S);
	assert_true(net.n[0].tx > 0);
}

/* §6.8.7: RequiredMinRx 0 from the peer stops periodic transmission, Polls still get Finals. */
static void test_remote_min_rx_zero(void **state)
{
	struct bfd_session_cfg c = cfg_std(300, 300, 3);
	struct bfd_session s;
	struct bfd_out o;
	struct bfd_pkt p = {.state = BFD_STATE_DOWN,
	                    .detect_mult = 3,
	                    .my_disc = 42,
	                    .desired_min_tx = 1000000,
	                    .required_min_rx = 0,
	                    .flags = BFD_FLAG_POLL};
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_rx ok;
	size_t n;

	assert_int_equal(bfd_session_init(&s, &c, 7, 3, false, 0, &o), 0);
	assert_true(s.tx_at_us != 0);
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), 0);
	assert_int_equal(bfd_session_check(&s, buf, &p, &ok), BFD_DROP_NONE);
	bfd_session_rx(&s, &ok, 10, &o);
	assert_int_equal(s.tx_at_us, 0);
	assert_int_equal(o.tx_at_us, 0);
	assert_true(o.what & BFD_OUT_TIMERS);
	assert_true(o.what & BFD_OUT_SEND); /* the Final */
	assert_int_equal(o.to, BFD_STATE_INIT);
	bfd_session_tx_timer(&s, 5 * S, &o);
	assert_false(o.what & BFD_OUT_SEND);
}

/* ---------------------------------------------------------------- failures */

/* §6.8.4: no packet for a Detection Time -> Down, diag 1, exactly at the deadline. */
static void test_detect_timeout(void **state)
{
	struct bfd_session_cfg c = cfg_std(50, 50, 3);
	struct net net;
	uint64_t last_rx;

	net_init(&net, &c, &c);
	run_to_up(&net, 5 * S);
	struct node *a = &net.n[0], *b = &net.n[1];
	unsigned ha = a->n_hist, hb = b->n_hist;
	const struct hist *h;

	net.cut[1] = true; /* B -> A lost */
	last_rx = a->s.last_rx_us;
	run_for(&net, 1 * S);
	h = went_down(a, ha);
	assert_int_equal(h->diag, BFD_DIAG_DETECT_EXPIRED);
	assert_int_equal(h->at - last_rx, 150000);
	/* §6.8.1: the peer's discriminator is forgotten after a Detection Time. */
	assert_int_equal(a->s.remote_disc, 0);
	/* B hears A's Down at once: "Neighbor Signaled Session Down", not its own timeout. */
	h = went_down(b, hb);
	assert_int_equal(h->diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(h->at, went_down(a, ha)->at);
	/* Back: both Up again, 1 s slow packets while Down/Init. */
	net.cut[1] = false;
	run_to_up(&net, 5 * S);
	assert_int_equal(a->s.remote_disc, b->s.local_disc);

	/* Both directions cut: each side times out on its own. */
	net.cut[0] = net.cut[1] = true;
	run_for(&net, 1 * S);
	assert_int_equal(bfd_session_state(&a->s), BFD_STATE_DOWN);
	assert_int_equal(bfd_session_state(&b->s), BFD_STATE_DOWN);
	assert_int_equal(a->s.local_diag, BFD_DIAG_DETECT_EXPIRED);
	assert_int_equal(b->s.local_diag, BFD_DIAG_DETECT_EXPIRED);
	/* Down: slow rate from the moment it went down. */
	assert_true(a->s.tx_at_us - net.now <= BFD_SLOW_TX_US);
	assert_int_equal(bfd_session_tx_interval(&a->s), BFD_SLOW_TX_US);
}

/* §6.8.16: AdminDown on one end; the other goes Down (diag 3) and stays there. */
static void test_admin_down(void **state)
{
	struct bfd_session_cfg c = cfg_std(100, 100, 3);
	struct net net;
	struct bfd_out o;
	struct node *a = &net.n[0], *b = &net.n[1];

	net_init(&net, &c, &c);
	run_to_up(&net, 5 * S);
	bfd_session_admin_down(&a->s, BFD_DIAG_ADMIN_DOWN, net.now, &o);
	handle(&net, 0, &o);
	assert_true(o.what & BFD_OUT_STATE);
	assert_int_equal(o.to, BFD_STATE_ADMIN_DOWN);
	assert_int_equal(o.diag, BFD_DIAG_ADMIN_DOWN);
	run_for(&net, 10 * S);
	assert_int_equal(bfd_session_state(&a->s), BFD_STATE_ADMIN_DOWN);
	assert_int_equal(bfd_session_state(&b->s), BFD_STATE_DOWN);
	assert_int_equal(b->s.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(b->s.remote_state, BFD_STATE_ADMIN_DOWN);
	/* AdminDown keeps sending (slowly) so the peer stays informed (§6.8.16 MAY). */
	assert_in_range(bfd_session_tx_interval(&a->s), BFD_SLOW_TX_US, BFD_SLOW_TX_US);
	/* Admin up: the handshake again. */
	bfd_session_admin_up(&a->s, net.now, &o);
	handle(&net, 0, &o);
	assert_int_equal(o.to, BFD_STATE_DOWN);
	assert_int_equal(o.diag, BFD_DIAG_NONE);
	run_to_up(&net, 5 * S);
	/* Path Down as the reason (§6.8.16 "MAY ... with the diagnostic Path Down"). */
	bfd_session_admin_down(&a->s, BFD_DIAG_PATH_DOWN, net.now, &o);
	assert_int_equal(o.diag, BFD_DIAG_PATH_DOWN);
}

/* The peer restarts with a new discriminator: Up -> Down (diag 3) -> Up with the new one. */
static void test_peer_reset(void **state)
{
	struct bfd_session_cfg c = cfg_std(100, 100, 3);
	struct net net;
	struct bfd_out o;
	struct node *a = &net.n[0], *b = &net.n[1];

	net_init(&net, &c, &c);
	run_to_up(&net, 5 * S);
	unsigned ha = a->n_hist;

	assert_int_equal(bfd_session_init(&b->s, &c, 0xc3c3c3c3, 99, false, net.now, &o), 0);
	xmit(&net, 1); /* its first packet arrives within A's Detection Time */
	run_for(&net, 2 * S);
	assert_int_equal(went_down(a, ha)->diag, BFD_DIAG_NEIGHBOR_DOWN);
	run_to_up(&net, 5 * S);
	assert_int_equal(a->s.remote_disc, 0xc3c3c3c3);
}

/* ---------------------------------------------------------------- poll / final */

/* §6.8.3: faster timers through a poll, no flap; a lower RequiredMinRx waits for the Final. */
static void test_poll_faster(void **state)
{
	struct bfd_session_cfg a = cfg_std(300, 300, 3), b = cfg_std(50, 300, 3);
	struct net net;
	struct bfd_out o;
	struct node *na = &net.n[0], *nb = &net.n[1];
	unsigned hist_a, hist_b, p0, f0;

	net_init(&net, &a, &b);
	run_to_up(&net, 5 * S);
	hist_a = na->n_hist;
	hist_b = nb->n_hist;
	p0 = na->tx_p;
	f0 = nb->tx_f;
	assert_int_equal(bfd_session_detect_time(&na->s), 900000); /* 3 x max(300, 50) */

	a.desired_min_tx = 50000;
	a.required_min_rx = 50000;
	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	handle(&net, 0, &o);
	assert_true(na->s.flags & BFD_SF_POLL);
	/* Faster tx applies at once (A now sends at max(50, B's rx 300) = 300 still). */
	assert_int_equal(na->s.act_tx, 50000);
	/* Lower rx waits: the Detection Time keeps 300 ms until the Final. */
	assert_int_equal(na->s.act_rx, 300000);
	assert_int_equal(bfd_session_detect_time(&na->s), 900000);

	run_for(&net, 2 * S);
	assert_false(na->s.flags & BFD_SF_POLL);
	assert_true(na->tx_p > p0);
	assert_true(nb->tx_f > f0);
	assert_int_equal(na->s.act_rx, 50000);
	assert_int_equal(bfd_session_detect_time(&na->s), 150000); /* 3 x max(50, 50) */
	/* B honoured A's lower RequiredMinRx at once: it sends at 50 ms now. */
	assert_int_equal(bfd_session_tx_interval(&nb->s), 50000);
	assert_int_equal(bfd_session_detect_time(&nb->s), 900000); /* 3 x max(300, 50) */
	assert_int_equal(na->n_hist, hist_a);
	assert_int_equal(nb->n_hist, hist_b);
	run_for(&net, 10 * S);
	assert_int_equal(na->n_hist, hist_a);
	assert_int_equal(nb->n_hist, hist_b);
}

/* §6.8.3: a higher DesiredMinTx is not used before the Final; the peer learns it first. */
static void test_poll_slower(void **state)
{
	struct bfd_session_cfg a = cfg_std(50, 50, 3), b = cfg_std(50, 10, 3);
	struct net net;
	struct bfd_out o;
	struct node *na = &net.n[0], *nb = &net.n[1];
	unsigned hist_a, hist_b;

	net_init(&net, &a, &b);
	run_to_up(&net, 5 * S);
	hist_a = na->n_hist;
	hist_b = nb->n_hist;
	a.desired_min_tx = 1000000;
	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	handle(&net, 0, &o);
	/* Advertised at once, used only after the poll. */
	assert_int_equal(na->s.adv_tx, 1000000);
	assert_int_equal(bfd_session_tx_interval(&na->s), 50000);
	/* Cut B -> A for a moment: the poll keeps going (P on every packet) until a Final. */
	net.cut[1] = true;
	run_for(&net, 100 * MS);
	assert_true(na->s.flags & BFD_SF_POLL);
	assert_int_equal(bfd_session_tx_interval(&na->s), 50000);
	/* B already uses A's new value: 3 x max(10, 1000) = 3 s. */
	assert_int_equal(bfd_session_detect_time(&nb->s), 3000000);
	net.cut[1] = false;
	run_for(&net, 200 * MS);
	assert_false(na->s.flags & BFD_SF_POLL);
	assert_int_equal(bfd_session_tx_interval(&na->s), 1000000);
	run_for(&net, 20 * S);
	assert_int_equal(na->n_hist, hist_a);
	assert_int_equal(nb->n_hist, hist_b);
	assert_true(both_up(&net));
}

/* A change during a poll waits for it, then runs its own poll: a Final always acknowledges
 * the values its Poll carried. */
static void test_poll_change_during_poll(void **state)
{
	struct bfd_session_cfg a = cfg_std(300, 300, 3), b = cfg_std(300, 10, 3);
	struct net net;
	struct bfd_out o;
	struct node *na = &net.n[0];
	unsigned hist_a;

	net_init(&net, &a, &b);
	run_to_up(&net, 5 * S);
	hist_a = na->n_hist;
	a.desired_min_tx = 100000;
	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	handle(&net, 0, &o);
	a.desired_min_tx = 200000;
	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	handle(&net, 0, &o);
	assert_int_equal(na->s.adv_tx, 100000); /* the first poll's value stays on the wire */
	run_for(&net, 3 * S);
	assert_false(na->s.flags & BFD_SF_POLL);
	assert_int_equal(na->s.adv_tx, 200000);
	assert_int_equal(na->s.act_tx, 200000);
	assert_int_equal(bfd_session_tx_interval(&na->s), 200000);
	assert_int_equal(na->n_hist, hist_a);
	/* A multiplier change needs no poll and applies at once. */
	a.detect_mult = 7;
	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	assert_false(na->s.flags & BFD_SF_POLL);
	run_for(&net, 1 * S);
	assert_int_equal(bfd_session_detect_time(&net.n[1].s), 7 * 200000);
}

/* ---------------------------------------------------------------- authentication */

static void auth_make(struct bfd_auth *a, enum bfd_auth_type t, const char *key)
{
	assert_int_equal(bfd_auth_init(a, t), 0);
	assert_int_equal(bfd_auth_add_key(a, 5, key, strlen(key)), 0);
}

/* Every type end to end; meticulous numbers step per packet, keyed ones on change only. */
static void test_auth_all_types_up(void **state)
{
	for (unsigned t = BFD_AUTH_SIMPLE; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		struct bfd_session_cfg c = cfg_std(100, 100, 3);
		struct bfd_auth auth;
		struct net net;
		uint32_t seq0;
		unsigned tx0;

		auth_make(&auth, t, "s3cret");
		c.auth = &auth;
		net_init(&net, &c, &c);
		run_to_up(&net, 5 * S);
		for (int i = 0; i < 2; i++)
			for (int d = 0; d < BFD_DROP_COUNT; d++)
				assert_int_equal(net.n[i].drops[d], 0);
		run_for(&net, 1 * S); /* past the packet that first dropped the P bit */
		seq0 = net.n[0].s.xmit_seq;
		tx0 = net.n[0].tx;
		run_for(&net, 2 * S);
		if (bfd_auth_is_meticulous(t))
			assert_int_equal(net.n[0].s.xmit_seq - seq0, net.n[0].tx - tx0);
		else if (bfd_auth_has_seq(t))
			assert_int_equal(net.n[0].s.xmit_seq, seq0); /* steady Up: same content */
		assert_true(net.n[1].s.rcv.known == bfd_auth_has_seq(t));
		assert_true(both_up(&net));
	}
}

/* Wrong key, wrong type, or auth on one side only: never Up, every packet counted. */
static void test_auth_mismatch_never_up(void **state)
{
	struct bfd_auth good, bad, other;
	struct bfd_session_cfg a = cfg_std(100, 100, 3), b = a;
	const struct bfd_auth *pairs[][2] = {{&good, &bad}, {&good, &other}, {&good, NULL}};
	const enum bfd_drop why[] = {BFD_DROP_AUTH_FAIL, BFD_DROP_AUTH_MISMATCH,
	                             BFD_DROP_AUTH_UNEXPECTED};

	auth_make(&good, BFD_AUTH_MET_KEYED_SHA1, "right");
	auth_make(&bad, BFD_AUTH_MET_KEYED_SHA1, "wrong");
	auth_make(&other, BFD_AUTH_KEYED_SHA1, "right");
	for (unsigned k = 0; k < 3; k++) {
		struct net net;

		a.auth = pairs[k][0];
		b.auth = pairs[k][1];
		net_init(&net, &a, &b);
		run_for(&net, 10 * S);
		assert_int_equal(net.n[0].n_hist, 0);
		assert_int_equal(bfd_session_state(&net.n[0].s), BFD_STATE_DOWN);
		assert_true(net.n[1].drops[why[k]] >= 9);
		assert_int_equal(net.n[1].s.remote_disc, 0);
		if (k == 2) /* A clear at A while A has a key */
			assert_true(net.n[0].drops[BFD_DROP_AUTH_MISSING] >= 9);
	}
}

/* A replayed or forged packet leaves every byte of the session as it was. */
static void test_auth_replay_untouched(void **state)
{
	struct bfd_session_cfg c = cfg_std(100, 100, 3);
	struct bfd_auth auth;
	struct net net;
	struct bfd_session before;
	uint8_t old[BFD_PKT_MAX];
	size_t old_len;
	struct bfd_pkt p;
	struct bfd_rx ok;

	auth_make(&auth, BFD_AUTH_MET_KEYED_MD5, "s3cret");
	c.auth = &auth;
	net_init(&net, &c, &c);
	run_to_up(&net, 5 * S);
	memcpy(old, net.n[0].last, net.n[0].last_len);
	old_len = net.n[0].last_len;
	run_for(&net, 1 * S);

	memcpy(&before, &net.n[1].s, sizeof(before));
	assert_int_equal(bfd_decode(old, old_len, &p), BFD_DROP_NONE);
	assert_int_equal(bfd_session_check(&net.n[1].s, old, &p, &ok), BFD_DROP_AUTH_SEQ);
	assert_null(ok.s);
	old[old_len - 1] ^= 0x80; /* forged digest */
	assert_int_equal(bfd_decode(old, old_len, &p), BFD_DROP_NONE);
	assert_int_not_equal(bfd_session_check(&net.n[1].s, old, &p, &ok), BFD_DROP_NONE);
	/* A token for another session is ignored too. */
	struct bfd_out o;
	struct bfd_rx forged = {.s = &net.n[0].s, .pkt = &p};

	bfd_session_rx(&net.n[1].s, &forged, net.now, &o);
	assert_int_equal(o.what, 0);
	assert_memory_equal(&before, &net.n[1].s, sizeof(before));

	/* Your Discriminator of another session. */
	p.your_disc = 12345;
	assert_int_equal(bfd_session_check(&net.n[1].s, old, &p, &ok), BFD_DROP_NO_SESSION);
}

/* §6.8.1: bfd.AuthSeqKnown resets after twice the Detection Time without packets. */
static void test_auth_seq_known_reset(void **state)
{
	struct bfd_session_cfg c = cfg_std(100, 100, 3);
	struct bfd_auth auth;
	struct net net;
	struct node *a = &net.n[0];
	uint64_t last, dt;

	auth_make(&auth, BFD_AUTH_KEYED_SHA1, "s3cret");
	c.auth = &auth;
	net_init(&net, &c, &c);
	run_to_up(&net, 5 * S);
	net.cut[1] = true;
	last = a->s.last_rx_us;
	dt = bfd_session_detect_time(&a->s);
	run_until(&net, last + dt);
	assert_int_equal(bfd_session_state(&a->s), BFD_STATE_DOWN);
	assert_true(a->s.rcv.known);
	run_until(&net, last + 2 * dt - 1);
	assert_true(a->s.rcv.known);
	run_until(&net, last + 2 * dt);
	assert_false(a->s.rcv.known);
	assert_int_equal(a->s.detect_at_us, 0); /* nothing left to time */
	net.cut[1] = false;
	run_to_up(&net, 5 * S);
}

/* ---------------------------------------------------------------- echo */

/* §6.4/§6.8.9: echo while Up when the peer loops it; its failure takes the session down. */
static void test_echo(void **state)
{
	struct bfd_session_cfg a = cfg_std(300, 300, 3), b = a;
	struct net net;
	struct bfd_out o;
	struct node *na = &net.n[0];
	unsigned e0;

	a.echo_tx = 50000;
	b.required_min_echo_rx = 100000;
	net_init(&net, &a, &b);
	assert_int_equal(bfd_session_echo_interval(&na->s), 0);
	na->echo_loop = true;
	run_to_up(&net, 5 * S);
	unsigned n_up = na->n_hist;

	assert_true(na->s.flags & BFD_SF_ECHO);
	assert_false(net.n[1].s.flags & BFD_SF_ECHO); /* A advertises no echo rx */
	assert_int_equal(bfd_session_echo_interval(&na->s), 100000);
	e0 = na->echo_tx;
	run_for(&net, 10 * S);
	assert_in_range(na->echo_tx - e0, 100, 130); /* 10 s / (100 ms x 0.875) = 114 */
	assert_true(both_up(&net));
	/* §6.8.3: with echo running, A asks for control packets at most once a second (a poll,
	 * no flap); B's detection of A is untouched, A's detection of B grows to 3 x 1 s. */
	struct bfd_pkt pk;

	bfd_session_peek(&na->s, &pk);
	assert_int_equal(pk.required_min_rx, BFD_ECHO_CTL_RX_US);
	assert_false(na->s.flags & BFD_SF_POLL);
	assert_int_equal(na->s.act_rx, BFD_ECHO_CTL_RX_US);
	assert_int_equal(bfd_session_tx_interval(&net.n[1].s), BFD_ECHO_CTL_RX_US);
	assert_int_equal(bfd_session_detect_time(&na->s), 3 * BFD_ECHO_CTL_RX_US);
	assert_int_equal(bfd_session_detect_time(&net.n[1].s), 900000);
	assert_int_equal(na->n_hist, n_up); /* no state change since Up */
	/* A configuration change that keeps echo keeps the slow control rate (no poll back to
	 * 300 ms and forth again). */
	unsigned p0 = na->tx_p;

	assert_int_equal(bfd_session_configure(&na->s, &a, net.now, &o), 0);
	handle(&net, 0, &o);
	run_for(&net, 2 * S);
	assert_int_equal(na->tx_p, p0);
	assert_int_equal(na->s.adv_rx, BFD_ECHO_CTL_RX_US);

	/* The echo path breaks: Down with "Echo Function Failed" mult x 100 ms after the last
	 * echo came back. The control path still works, so the handshake brings it back Up at
	 * once, with echo probing: still sent, not relied on (dampening). */
	unsigned h0 = na->n_hist, hb0 = net.n[1].n_hist;
	uint64_t last_echo = na->s.echo_detect_us - 300000;
	const struct hist *h;

	assert_true(bfd_session_echo_armed(&na->s));
	assert_int_equal(bfd_session_echo_holddown(&na->s), 0);
	na->echo_loop = false;
	run_for(&net, 400 * MS);
	h = went_down(na, h0);
	assert_int_equal(h->diag, BFD_DIAG_ECHO_FAILED);
	assert_int_equal(h->at - last_echo, 300000);
	assert_int_equal(went_down(&net.n[1], hb0)->diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(na->s.echo_fails, 1);
	run_to_up(&net, 5 * S);
	/* Echo still broken for 5 s: no second Down; echo probes, control is the detector again
	 * at the configured 300 ms (§6.8.3's 1 s is for echo that is relied on). */
	unsigned h1 = na->n_hist;

	e0 = na->echo_tx;
	run_for(&net, 5 * S);
	assert_int_equal(na->n_hist, h1);
	assert_true(both_up(&net));
	assert_true(na->s.flags & BFD_SF_ECHO);
	assert_false(bfd_session_echo_armed(&na->s));
	assert_true(na->echo_tx - e0 >= 40); /* probes keep going at the echo rate */
	assert_int_equal(na->s.adv_rx, 300000);
	assert_int_equal(bfd_session_detect_time(&na->s), 900000);
	assert_int_equal(bfd_session_echo_holddown(&na->s), BFD_ECHO_HOLD_BASE_US);
	/* The echo path heals: armed after 1 s of echoes back, not before (the first echo leaves
	 * up to one 100 ms interval after the heal, arming waits for the next one back). */
	uint64_t healed = net.now;

	na->echo_loop = true;
	while (!bfd_session_echo_armed(&na->s) && net.now - healed < 3 * S)
		run_for(&net, 10 * MS);
	assert_true(bfd_session_echo_armed(&na->s));
	assert_in_range(net.now - healed, BFD_ECHO_HOLD_BASE_US, BFD_ECHO_HOLD_BASE_US + 200 * MS);
	run_for(&net, 3 * S);
	assert_int_equal(na->s.adv_rx, BFD_ECHO_CTL_RX_US); /* relied on again: control slows */
	assert_int_equal(na->n_hist, h1);
	/* A probe run broken halfway starts the hold-down again; a second failure doubles it. */
	na->echo_loop = false;
	run_for(&net, 400 * MS);
	assert_int_equal(na->s.echo_fails, 2);
	run_to_up(&net, 5 * S);
	assert_int_equal(bfd_session_echo_holddown(&na->s), 2 * BFD_ECHO_HOLD_BASE_US);
	healed = net.now;
	na->echo_loop = true;
	run_for(&net, 1500 * MS);
	na->echo_loop = false; /* the run breaks after 1.5 s of 2 */
	run_for(&net, 1 * S);
	assert_false(bfd_session_echo_armed(&na->s));
	na->echo_loop = true;
	healed = net.now;
	while (!bfd_session_echo_armed(&na->s) && net.now - healed < 5 * S)
		run_for(&net, 10 * MS);
	assert_in_range(net.now - healed, 2 * BFD_ECHO_HOLD_BASE_US,
	                2 * BFD_ECHO_HOLD_BASE_US + 200 * MS);
	/* Echo that keeps working for 2 minutes is forgiven: its next failure counts as the
	 * first again. */
	run_for(&net, BFD_ECHO_FORGIVE_US);
	na->echo_loop = false;
	run_for(&net, 400 * MS);
	assert_int_equal(na->s.echo_fails, 1);
	na->echo_loop = true;
	run_to_up(&net, 5 * S);
	run_for(&net, 2 * S);
	assert_true(bfd_session_echo_armed(&na->s));

	/* The peer stops looping (Required Min Echo RX 0): echo ceases, the session stays. */
	na->echo_loop = true;
	run_to_up(&net, 5 * S);
	assert_true(na->s.flags & BFD_SF_ECHO);
	b.required_min_echo_rx = 0;
	assert_int_equal(bfd_session_configure(&net.n[1].s, &b, net.now, &o), 0);
	run_for(&net, 2 * S);
	assert_false(na->s.flags & BFD_SF_ECHO);
	assert_true(both_up(&net));
	/* Echo stopped: back to the configured 300 ms through a poll. */
	assert_int_equal(na->s.adv_rx, 300000);
	assert_int_equal(na->s.act_rx, 300000);
	assert_false(na->s.flags & BFD_SF_POLL);

	/* Never on multihop (RFC 5883 §3). */
	struct bfd_pkt p;

	a.multihop = b.multihop = true;
	b.required_min_echo_rx = 100000;
	net_init(&net, &a, &b);
	run_to_up(&net, 5 * S);
	assert_false(net.n[0].s.flags & BFD_SF_ECHO);
	bfd_session_peek(&net.n[1].s, &p);
	assert_int_equal(p.required_min_echo_rx, 0);
}

/* Timer callbacks before their deadline change nothing. */
static void test_stale_timers(void **state)
{
	struct bfd_session_cfg c = cfg_std(300, 300, 3);
	struct bfd_session s, before;
	struct bfd_out o;

	assert_int_equal(bfd_session_init(&s, &c, 7, 3, false, 0, &o), 0);
	assert_true(o.what & BFD_OUT_TIMERS);
	memcpy(&before, &s, sizeof(s));
	bfd_session_tx_timer(&s, s.tx_at_us - 1, &o);
	assert_int_equal(o.what, 0);
	bfd_session_detect_timer(&s, 10, &o);
	bfd_session_echo_timer(&s, 10, &o);
	bfd_session_echo_rx(&s, 10, &o);
	assert_int_equal(o.what, 0);
	assert_memory_equal(&before, &s, sizeof(s));
	bfd_session_tx_timer(&s, s.tx_at_us, &o);
	assert_true(o.what & BFD_OUT_SEND);
	assert_true(o.what & BFD_OUT_TIMERS);
}

/* The per-session footprint stays small for 4000+ sessions. */
static void test_footprint(void **state)
{
	assert_true(sizeof(struct bfd_session) <= 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fsm_table),
	        cmocka_unit_test(test_init_invalid),
	        cmocka_unit_test(test_handshake),
	        cmocka_unit_test(test_timer_negotiation),
	        cmocka_unit_test(test_jitter_bounds),
	        cmocka_unit_test(test_slow_tx_alone),
	        cmocka_unit_test(test_passive),
	        cmocka_unit_test(test_remote_min_rx_zero),
	        cmocka_unit_test(test_detect_timeout),
	        cmocka_unit_test(test_admin_down),
	        cmocka_unit_test(test_peer_reset),
	        cmocka_unit_test(test_poll_faster),
	        cmocka_unit_test(test_poll_slower),
	        cmocka_unit_test(test_poll_change_during_poll),
	        cmocka_unit_test(test_auth_all_types_up),
	        cmocka_unit_test(test_auth_mismatch_never_up),
	        cmocka_unit_test(test_auth_replay_untouched),
	        cmocka_unit_test(test_auth_seq_known_reset),
	        cmocka_unit_test(test_echo),
	        cmocka_unit_test(test_stale_timers),
	        cmocka_unit_test(test_footprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
