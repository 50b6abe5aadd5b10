/*
 * One BFD session (RFC 5880 §6): reception after the checks (§6.8.6), timer negotiation
 * (§6.8.2-6.8.4), transmission and jitter (§6.8.7), the Poll Sequence (§6.5, §6.8.3),
 * detection (§6.8.4), echo bookkeeping (§6.4, §6.8.9) and administrative control (§6.8.16).
 *
 * Pure: no clock, no socket, no allocation. Every entry point takes now_us and fills a
 * struct bfd_out saying what the I/O layer does next: send a control packet now, send an
 * echo packet now, tell clients about a state change, and three absolute deadlines (next
 * control packet, next echo packet, next detection event) for the daemon's timer wheel.
 *
 * Timer values. cfg_* is what the client configured; adv_* is what packets carry
 * (bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval); act_* is what this end acts on.
 * They differ only while a Poll Sequence runs in Up (§6.8.3): a higher DesiredMinTx is
 * advertised at once but used for sending only after the peer's Final; a lower
 * RequiredMinRx is advertised at once but the Detection Time keeps the old value until the
 * Final. Lower tx / higher rx are safe and take effect at once. Outside Init and Up nobody
 * depends on our values, so they apply at once without a poll; in Init and Up every change
 * of adv_* starts a poll (§6.8.3 "MUST be initiated"). A change that arrives while a poll
 * runs waits for it to end and then starts the next one: the values a Final acknowledges
 * are always the ones the Poll carried.
 *
 * Detection deadlines share one wheel slot (detect_at): in Init/Up the §6.8.4 Detection
 * Time; after it (or in Down with the peer known) the §6.8.1 expiry of the peer's state
 * (bfd.RemoteDiscr back to 0, §6.8.18 RemoteMinRx back to 1); at twice the Detection Time
 * the §6.8.1 reset of bfd.AuthSeqKnown; and the echo detection deadline, whichever is first.
 *
 * Echo (§6.4, §6.8.9): while it runs, the control packets are only a backstop, so the
 * RequiredMinRx we advertise is raised to at least BFD_ECHO_CTL_RX_US (§6.8.3 "SHOULD ... not
 * less than one second"); raising it and lowering it again when echo stops go through the
 * same Poll Sequence rules as any configured change.
 *
 * Echo dampening. Echo and control test different paths: the peer's forwarding plane and
 * its BFD. When only echo fails (a filter on UDP 3785, a forwarding problem), §6.8.5 takes
 * the session Down with diag 2, but the control path still works and brings it straight
 * back Up; if echo then ran as before it would fail again within its detection time and
 * the session would flap every few hundred milliseconds until the echo path healed. So echo
 * has two modes. Probing (BFD_SF_ECHO without BFD_SF_ECHO_ARMED): echo packets go out at the
 * echo rate (§6.8.9 "MAY be transmitted" while Up), their loss is noted but takes nothing
 * down, and the control packets stay the detector at the configured RequiredMinRx (the
 * §6.8.3 one-second relaxation is for echo that is relied on). Armed: as before. Echo starts
 * probing on every Up and is armed once it has come back without a gap (no echo detection
 * time without one) for the hold-down: 0 before any failure (armed on the first echo back),
 * then 1 s after the first failure, doubling with each further one up to 32 s. Echo that
 * stays armed for 2 minutes clears the count. The hold-down (not a plain timer before
 * re-enabling) is what keeps it to one Down event: echo that still does not work is never
 * relied on again, however long the problem lasts; the backoff quiets a path that works
 * intermittently. RFC 5882 §3.1 allows hiding such flaps from clients; we avoid them at the
 * source instead, so that the peer sees no flap either. (Neither FRR 8.4 nor BIRD dampen;
 * BIRD has no echo.)
 *
 * Not implemented: Demand mode (see bfdd.h).
 */
#include <string.h>

#include "daemons/bfdd/bfdd.h"

static uint32_t u32_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t u32_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* xorshift32: jitter needs spread, not secrecy; the seed comes from crypto_random. */
static uint32_t bfd_rand(struct bfd_session *s)
{
	uint32_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->rng = x;
	return x;
}

/* Jitter: cut a random min_pct..25 % off interval. */
static uint32_t bfd_jitter_pct(struct bfd_session *s, uint32_t interval, uint32_t min_pct)
{
	uint64_t max_cut = interval / 4;                              /* never below 75 % */
	uint64_t min_cut = ((uint64_t)interval * min_pct + 99) / 100; /* never above 100-min % */
	uint64_t r = bfd_rand(s) >> 16;                               /* 0..65535 */
	uint64_t cut;

	if (min_cut > max_cut)
		min_cut = max_cut;
	cut = min_cut + (max_cut - min_cut) * r / 65536;
	return interval - cut > 0 ? (uint32_t)(interval - cut) : 1;
}

uint32_t bfd_session_jitter(struct bfd_session *s, uint32_t interval)
{
	/* §6.8.7: 0-25 % less; with bfd.DetectMult 1 at least 10 % less (75-90 %). */
	return bfd_jitter_pct(s, interval, s->detect_mult == 1 ? 10 : 0);
}

uint32_t bfd_session_tx_interval(const struct bfd_session *s)
{
	return u32_max(s->act_tx, s->remote_min_rx); /* §6.8.7 */
}

uint64_t bfd_session_detect_time(const struct bfd_session *s)
{
	/* §6.8.4, asynchronous mode: the remote's multiplier, the slower of the two rates. */
	uint64_t t = (uint64_t)s->remote_mult * u32_max(s->act_rx, s->remote_min_tx);

	return t ? t : 1;
}

uint32_t bfd_session_echo_interval(const struct bfd_session *s)
{
	return (s->flags & BFD_SF_ECHO) ? u32_max(s->cfg_echo_tx, s->remote_min_echo_rx) : 0;
}

uint64_t bfd_session_echo_holddown(const struct bfd_session *s)
{
	if (s->echo_fails == 0)
		return 0;
	if (s->echo_fails > 16) /* far past the cap; keeps the shift small */
		return BFD_ECHO_HOLD_MAX_US;
	uint64_t h = BFD_ECHO_HOLD_BASE_US << (s->echo_fails - 1);

	return h < BFD_ECHO_HOLD_MAX_US ? h : BFD_ECHO_HOLD_MAX_US;
}

/* Our echo packets are our own: their detection uses our multiplier and our echo rate. */
static uint64_t bfd_echo_detect_time(const struct bfd_session *s)
{
	return (uint64_t)s->detect_mult * bfd_session_echo_interval(s);
}

static bool bfd_engaged(const struct bfd_session *s)
{
	return s->fsm.state == BFD_STATE_INIT || s->fsm.state == BFD_STATE_UP;
}

/* §6.8.7: when periodic control packets may be sent at all. */
static bool bfd_may_tx(const struct bfd_session *s)
{
	if (s->remote_min_rx == 0) /* "MUST NOT periodically transmit" */
		return false;
	if (s->passive && s->remote_disc == 0) /* passive role: wait for the peer */
		return false;
	return true;
}

/*
 * Next periodic packet. force: from now (after a packet went out, or a state change).
 * Otherwise the pending deadline stays unless it lies beyond one full new interval from now
 * (the interval got shorter): drawing fresh jitter on every call would pull the deadline in
 * a little each time and bias the rate upwards.
 */
static void bfd_schedule_tx(struct bfd_session *s, uint64_t now, bool force)
{
	uint32_t interval;

	if (!bfd_may_tx(s)) {
		s->tx_at_us = 0;
		return;
	}
	interval = bfd_session_tx_interval(s);
	if (force || s->tx_at_us == 0 || s->tx_at_us > now + interval)
		s->tx_at_us = now + bfd_session_jitter(s, interval);
}

/* §6.8.9: echo runs while Up, single hop, when we want it and the peer loops it. */
static void bfd_apply_timers(struct bfd_session *s);

static bool bfd_echo_wanted(const struct bfd_session *s)
{
	return s->fsm.state == BFD_STATE_UP && s->cfg_echo_tx && !s->multihop &&
	       s->remote_min_echo_rx;
}

/* (Re)starts the echo packets and their detection deadline. */
static void bfd_echo_start(struct bfd_session *s, uint64_t now)
{
	s->flags |= BFD_SF_ECHO;
	s->echo_tx_at_us = now + bfd_jitter_pct(s, bfd_session_echo_interval(s), 0);
	s->echo_detect_us = now + bfd_echo_detect_time(s);
}

static void bfd_update_echo(struct bfd_session *s, uint64_t now)
{
	bool want = bfd_echo_wanted(s);

	if (want && !(s->flags & BFD_SF_ECHO)) {
		bfd_echo_start(s, now); /* probing until echo comes back (dampening, above) */
		s->echo_ok_since = 0;
	} else if (!want && (s->flags & BFD_SF_ECHO)) {
		s->flags &= (uint8_t) ~(BFD_SF_ECHO | BFD_SF_ECHO_ARMED);
		s->echo_tx_at_us = 0;
		s->echo_detect_us = 0;
		s->echo_ok_since = 0;
	} else {
		return;
	}
	bfd_apply_timers(s); /* the control RequiredMinRx follows echo (§6.8.3) */
}

static void bfd_update_detect(struct bfd_session *s)
{
	uint64_t at = 0;

	if (s->flags & BFD_SF_RX_SEEN) {
		uint64_t dt = bfd_session_detect_time(s);

		if (bfd_engaged(s) || s->remote_disc != 0)
			at = s->last_rx_us + dt;
		else if (s->rcv.known)
			at = s->last_rx_us + 2 * dt;
	}
	if ((s->flags & BFD_SF_ECHO) && s->echo_detect_us && (!at || s->echo_detect_us < at))
		at = s->echo_detect_us;
	s->detect_at_us = at;
}

/*
 * Brings adv_* / act_* in line with the configuration and the state (§6.8.3), starting a
 * Poll Sequence where one is due. See the top of the file for the rules.
 */
static void bfd_apply_timers(struct bfd_session *s)
{
	uint32_t tx = s->fsm.state == BFD_STATE_UP ? s->cfg_tx : u32_max(s->cfg_tx, BFD_SLOW_TX_US);
	uint32_t rx = s->cfg_rx;

	if (s->flags & BFD_SF_ECHO_ARMED)
		rx = u32_max(rx, BFD_ECHO_CTL_RX_US); /* §6.8.3 */
	if (!bfd_engaged(s)) {
		s->flags &= (uint8_t)~BFD_SF_POLL;
		s->adv_tx = s->act_tx = tx;
		s->adv_rx = s->act_rx = rx;
		return;
	}
	if ((s->flags & BFD_SF_POLL) || (tx == s->adv_tx && rx == s->adv_rx))
		return;
	if (s->fsm.state == BFD_STATE_UP) {
		s->act_tx = u32_min(s->adv_tx, tx);
		s->act_rx = u32_max(s->adv_rx, rx);
	} else {
		s->act_tx = tx;
		s->act_rx = rx;
	}
	s->adv_tx = tx;
	s->adv_rx = rx;
	s->flags |= BFD_SF_POLL;
}

/* Deadlines and echo after any change; tx is pulled in when the interval got shorter. */
static void bfd_refresh(struct bfd_session *s, uint64_t now)
{
	bfd_update_echo(s, now);
	bfd_schedule_tx(s, now, false);
	bfd_update_detect(s);
}

static void bfd_out_begin(const struct bfd_session *s, struct bfd_out *out)
{
	memset(out, 0, sizeof(*out));
	out->from = (uint8_t)s->fsm.state;
	out->tx_at_us = s->tx_at_us;
	out->echo_tx_at_us = s->echo_tx_at_us;
	out->detect_at_us = s->detect_at_us;
}

static void bfd_out_end(const struct bfd_session *s, struct bfd_out *out)
{
	if (out->tx_at_us != s->tx_at_us || out->echo_tx_at_us != s->echo_tx_at_us ||
	    out->detect_at_us != s->detect_at_us)
		out->what |= BFD_OUT_TIMERS;
	out->tx_at_us = s->tx_at_us;
	out->echo_tx_at_us = s->echo_tx_at_us;
	out->detect_at_us = s->detect_at_us;
	out->to = (uint8_t)s->fsm.state;
	out->diag = s->local_diag;
	if (out->to != out->from)
		out->what |= BFD_OUT_STATE;
	/* §6.8.7: a passive session never speaks to a peer it does not know (any more). */
	if (s->passive && s->remote_disc == 0)
		out->what &= (uint8_t)~BFD_OUT_SEND;
}

/*
 * After a state change: timers follow the state (slow when not Up), a poll may start, and
 * the new state goes out at once. Waiting for the next periodic packet would be wrong after
 * leaving Up: our rate just dropped to 1 s while the peer still times us with the fast
 * Detection Time, so it would declare us dead (diag 1) before hearing our Down or AdminDown
 * (diag 3 is the truth). Into Up it saves an interval of the handshake. FRR and BIRD send
 * on state changes too.
 */
static void bfd_after_event(struct bfd_session *s, int from, uint64_t now, struct bfd_out *out)
{
	if (s->fsm.state == from)
		return;
	bfd_apply_timers(s);
	bfd_schedule_tx(s, now, true);
	out->what |= BFD_OUT_SEND;
}

static void bfd_event(struct bfd_session *s, enum bfd_event ev, uint64_t now, struct bfd_out *out)
{
	int from = s->fsm.state;

	bfd_session_fsm(s, ev);
	bfd_after_event(s, from, now, out);
}

static bool bfd_cfg_valid(const struct bfd_session_cfg *cfg)
{
	return cfg->desired_min_tx >= 1 && cfg->required_min_rx >= 1 && cfg->detect_mult >= 1 &&
	       (!cfg->auth || (cfg->auth->type > BFD_AUTH_NONE &&
	                       cfg->auth->type < BFD_AUTH_TYPE_COUNT && cfg->auth->n_keys > 0));
}

static void bfd_take_cfg(struct bfd_session *s, const struct bfd_session_cfg *cfg)
{
	s->cfg_tx = cfg->desired_min_tx;
	s->cfg_rx = cfg->required_min_rx;
	s->cfg_echo_rx = cfg->multihop ? 0 : cfg->required_min_echo_rx; /* RFC 5883 §3 */
	s->cfg_echo_tx = cfg->multihop ? 0 : cfg->echo_tx;
	s->detect_mult = cfg->detect_mult; /* no poll needed (§6.8.3 lists only the intervals) */
	s->passive = cfg->passive;
	s->multihop = cfg->multihop;
	if (cfg->auth != s->auth) {
		/* Another algorithm: the old sequence space means nothing. Other keys of the same
		 * algorithm (a key-chain rollover, its tolerance steps) keep it: bfd.RcvAuthSeq is
		 * the session's, not a key's (§6.8.1), and forgetting it at every rollover step
		 * would let a replayed packet in. */
		if (!cfg->auth || !s->auth || cfg->auth->type != s->auth->type) {
			s->rcv.known = false;
			s->flags &= (uint8_t)~BFD_SF_TX_SIG;
		}
		s->auth = cfg->auth;
	}
}

int bfd_session_init(struct bfd_session *s, const struct bfd_session_cfg *cfg, uint32_t local_disc,
                     uint64_t rnd, bool admin_down, uint64_t now_us, struct bfd_out *out)
{
	if (!bfd_cfg_valid(cfg) || local_disc == 0)
		return -1;
	memset(s, 0, sizeof(*s));
	fsm_inst_init(&bfd_fsm_def, &s->fsm, admin_down ? BFD_STATE_ADMIN_DOWN : BFD_STATE_DOWN,
	              NULL);
	bfd_out_begin(s, out);
	bfd_take_cfg(s, cfg);
	/* §6.8.1 initial values. */
	s->local_disc = local_disc;
	s->remote_state = BFD_STATE_DOWN;
	s->remote_min_rx = 1;
	s->local_diag = admin_down ? BFD_DIAG_ADMIN_DOWN : BFD_DIAG_NONE;
	s->xmit_seq = (uint32_t)(rnd >> 32);
	s->rng = (uint32_t)rnd ? (uint32_t)rnd : 0x9e3779b9u; /* xorshift never leaves 0 */
	bfd_apply_timers(s);
	bfd_refresh(s, now_us);
	bfd_out_end(s, out);
	return 0;
}

int bfd_session_configure(struct bfd_session *s, const struct bfd_session_cfg *cfg, uint64_t now_us,
                          struct bfd_out *out)
{
	bfd_out_begin(s, out);
	if (!bfd_cfg_valid(cfg)) {
		bfd_out_end(s, out);
		return -1;
	}
	bfd_take_cfg(s, cfg);
	/* Echo settings may have changed: restart its bookkeeping with the new interval, before
	 * the timers, which depend on whether echo runs (a restart must not look like a stop). */
	if ((s->flags & BFD_SF_ECHO) && bfd_echo_wanted(s))
		bfd_echo_start(s, now_us); /* armed or probing as before: the path is the same */
	bfd_apply_timers(s);
	bfd_refresh(s, now_us);
	bfd_out_end(s, out);
	return 0;
}

void bfd_session_admin_down(struct bfd_session *s, enum bfd_diag diag, uint64_t now_us,
                            struct bfd_out *out)
{
	int from = s->fsm.state;

	bfd_out_begin(s, out);
	bfd_session_fsm_admin_down(s, diag);
	bfd_after_event(s, from, now_us, out);
	bfd_refresh(s, now_us); /* §6.8.16: echo ceases (it only runs in Up) */
	bfd_out_end(s, out);
}

void bfd_session_admin_up(struct bfd_session *s, uint64_t now_us, struct bfd_out *out)
{
	bfd_out_begin(s, out);
	bfd_event(s, BFD_EVT_ADMIN_UP, now_us, out);
	bfd_refresh(s, now_us);
	bfd_out_end(s, out);
}

enum bfd_drop bfd_session_check(const struct bfd_session *s, const uint8_t *buf,
                                const struct bfd_pkt *p, struct bfd_rx *ok)
{
	enum bfd_drop d;

	ok->s = NULL;
	ok->pkt = NULL;
	/* §6.8.6: the daemon demultiplexed on Your Discriminator; a mismatch here is its bug or
	 * an address-demultiplexed packet (Your Discriminator 0) for another session. */
	if (p->your_disc != 0 && p->your_disc != s->local_disc)
		return BFD_DROP_NO_SESSION;
	/* §6.8.6: A bit against the configuration, then §6.7 authentication. */
	d = bfd_auth_verify(s->auth, &s->rcv, s->detect_mult, buf, p);
	if (d != BFD_DROP_NONE)
		return d;
	ok->s = s;
	ok->pkt = p;
	return BFD_DROP_NONE;
}

static enum bfd_event bfd_rx_event(uint8_t state)
{
	switch (state) {
	case BFD_STATE_ADMIN_DOWN:
		return BFD_EVT_RX_ADMIN_DOWN;
	case BFD_STATE_DOWN:
		return BFD_EVT_RX_DOWN;
	case BFD_STATE_INIT:
		return BFD_EVT_RX_INIT;
	default:
		return BFD_EVT_RX_UP;
	}
}

void bfd_session_rx(struct bfd_session *s, const struct bfd_rx *ok, uint64_t now_us,
                    struct bfd_out *out)
{
	const struct bfd_pkt *p = ok ? ok->pkt : NULL;
	bool poll_ended = false, admin_down;

	bfd_out_begin(s, out);
	if (!p || ok->s != s) {
		bfd_out_end(s, out);
		return;
	}
	admin_down = s->fsm.state == BFD_STATE_ADMIN_DOWN;
	/* §6.8.6 after the checks, in order. */
	bfd_auth_rx_commit(&s->rcv, p);
	s->remote_disc = p->my_disc;
	s->remote_state = p->state;
	s->remote_diag = p->diag;
	s->remote_mult = p->detect_mult;
	if (p->flags & BFD_FLAG_DEMAND)
		s->flags |= BFD_SF_REMOTE_DEMAND;
	else
		s->flags &= (uint8_t)~BFD_SF_REMOTE_DEMAND;
	s->remote_min_rx = p->required_min_rx; /* honoured at once, also when lower (§6.8.3) */
	s->remote_min_tx = p->desired_min_tx;
	s->remote_min_echo_rx = p->required_min_echo_rx; /* 0: echo ceases (bfd_update_echo) */
	s->last_rx_us = now_us;
	s->flags |= BFD_SF_RX_SEEN;
	if ((s->flags & BFD_SF_POLL) && (p->flags & BFD_FLAG_FINAL)) {
		/* §6.5: the first Final ends the sequence; the new values now apply. */
		s->flags &= (uint8_t)~BFD_SF_POLL;
		s->act_tx = s->adv_tx;
		s->act_rx = s->adv_rx;
		poll_ended = true;
	}
	bfd_event(s, bfd_rx_event(p->state), now_us, out); /* AdminDown rows discard */
	if (poll_ended)
		bfd_apply_timers(s); /* a change made during the poll starts the next one */
	if ((p->flags & BFD_FLAG_POLL) && !admin_down) {
		/* §6.8.6: answer a Poll with a Final now, outside the periodic schedule. */
		s->flags |= BFD_SF_FINAL_DUE;
		out->what |= BFD_OUT_SEND;
	}
	bfd_refresh(s, now_us);
	bfd_out_end(s, out);
}

void bfd_session_tx_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out)
{
	bfd_out_begin(s, out);
	if (s->tx_at_us != 0 && now_us >= s->tx_at_us) {
		out->what |= BFD_OUT_SEND;
		bfd_schedule_tx(s, now_us, true);
	}
	bfd_out_end(s, out);
}

/* §6.8.1 / §6.8.18: a Detection Time without packets forgets the peer's state. */
static void bfd_forget_remote(struct bfd_session *s)
{
	s->remote_disc = 0;
	s->remote_state = BFD_STATE_DOWN;
	s->remote_min_rx = 1;
	s->remote_min_echo_rx = 0;
	s->flags &= (uint8_t)~BFD_SF_REMOTE_DEMAND;
}

void bfd_session_detect_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out)
{
	bfd_out_begin(s, out);
	if ((s->flags & BFD_SF_ECHO) && s->echo_detect_us && now_us >= s->echo_detect_us) {
		if ((s->flags & BFD_SF_ECHO_ARMED) && s->fsm.state == BFD_STATE_UP) {
			/* Dampening: count the failure (forgiven after a long good run). */
			if (s->echo_ok_since && now_us - s->echo_ok_since >= BFD_ECHO_FORGIVE_US)
				s->echo_fails = 0;
			if (s->echo_fails < UINT8_MAX)
				s->echo_fails++;
			bfd_event(s, BFD_EVT_ECHO_TIMEOUT, now_us, out); /* §6.8.5, diag 2 */
		} else {
			/* Probing: the run of echoes back is broken; the next one starts anew. */
			s->echo_ok_since = 0;
			s->echo_detect_us = 0;
		}
	}
	if (s->flags & BFD_SF_RX_SEEN) {
		uint64_t dt = bfd_session_detect_time(s);

		if (now_us >= s->last_rx_us + dt) {
			if (bfd_engaged(s))
				bfd_event(s, BFD_EVT_DETECT_TIMEOUT, now_us,
				          out); /* §6.8.4, diag 1 */
			if (s->remote_disc != 0)
				bfd_forget_remote(s);
		}
		if (s->rcv.known && now_us >= s->last_rx_us + 2 * dt)
			s->rcv.known = false; /* §6.8.1 bfd.AuthSeqKnown */
	}
	bfd_refresh(s, now_us);
	bfd_out_end(s, out);
}

void bfd_session_echo_timer(struct bfd_session *s, uint64_t now_us, struct bfd_out *out)
{
	bfd_out_begin(s, out);
	if ((s->flags & BFD_SF_ECHO) && s->echo_tx_at_us && now_us >= s->echo_tx_at_us) {
		out->what |= BFD_OUT_SEND_ECHO;
		/* §6.8.9: echo MAY be jittered like control packets; 75-100 % always. */
		s->echo_tx_at_us = now_us + bfd_jitter_pct(s, bfd_session_echo_interval(s), 0);
	}
	bfd_out_end(s, out);
}

void bfd_session_echo_rx(struct bfd_session *s, uint64_t now_us, struct bfd_out *out)
{
	bfd_out_begin(s, out);
	if (s->flags & BFD_SF_ECHO) {
		s->echo_detect_us = now_us + bfd_echo_detect_time(s);
		if (!s->echo_ok_since)
			s->echo_ok_since = now_us;
		if (!(s->flags & BFD_SF_ECHO_ARMED) &&
		    now_us - s->echo_ok_since >= bfd_session_echo_holddown(s)) {
			/* Trusted again: control may slow down to the backstop rate (§6.8.3). */
			s->flags |= BFD_SF_ECHO_ARMED;
			bfd_apply_timers(s);
			bfd_schedule_tx(s, now_us, false);
		}
		bfd_update_detect(s);
	}
	bfd_out_end(s, out);
}

void bfd_session_peek(const struct bfd_session *s, struct bfd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->version = BFD_VERSION;
	p->diag = s->local_diag;
	p->state = (uint8_t)s->fsm.state;
	/* §6.5 / §6.8.7: F answers a Poll; P rides on the others; never both. */
	if (s->flags & BFD_SF_FINAL_DUE)
		p->flags |= BFD_FLAG_FINAL;
	else if (s->flags & BFD_SF_POLL)
		p->flags |= BFD_FLAG_POLL;
	p->detect_mult = s->detect_mult;
	p->my_disc = s->local_disc;
	p->your_disc = s->remote_disc;
	p->desired_min_tx = s->adv_tx;
	p->required_min_rx = s->adv_rx;
	p->required_min_echo_rx = s->cfg_echo_rx;
}

/* A fingerprint of what a packet says (keyed sequence numbers step when it changes). */
static uint32_t bfd_pkt_sig(const struct bfd_pkt *p)
{
	const uint32_t v[] = {
	        (uint32_t)p->diag << 24 | (uint32_t)p->state << 16 | (uint32_t)p->flags << 8 |
	                p->detect_mult,
	        p->my_disc,
	        p->your_disc,
	        p->desired_min_tx,
	        p->required_min_rx,
	        p->required_min_echo_rx,
	};
	uint32_t h = 2166136261u; /* FNV-1a over the words */

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int b = 0; b < 32; b += 8) {
			h ^= (v[i] >> b) & 0xff;
			h *= 16777619u;
		}
	return h;
}

int bfd_session_build(struct bfd_session *s, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct bfd_pkt p;

	bfd_session_peek(s, &p);
	s->flags &= (uint8_t)~BFD_SF_FINAL_DUE;
	if (s->auth) {
		enum bfd_auth_type t = (enum bfd_auth_type)s->auth->type;
		uint32_t sig = bfd_pkt_sig(&p);

		/* §6.7.3/§6.7.4: meticulous every packet; keyed on content change (auth.c). */
		if (bfd_auth_is_meticulous(t) || ((s->flags & BFD_SF_TX_SIG) && sig != s->tx_sig))
			s->xmit_seq++;
		s->tx_sig = sig;
		s->flags |= BFD_SF_TX_SIG;
		if (bfd_auth_fill(s->auth, s->xmit_seq, &p) != 0)
			return -1;
	}
	if (bfd_encode(&p, buf, cap, out_len) != 0)
		return -1;
	if (s->auth && bfd_auth_sign(s->auth, buf, *out_len) != 0)
		return -1;
	return 0;
}
