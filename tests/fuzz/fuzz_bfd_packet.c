/*
 * Fuzz target: bfd_decode() and bfd_auth_verify() (daemons/bfdd/packet.c, auth.c), what
 * bfdd runs on every datagram to ports 3784/4784, then the session's own checks and
 * reception (session.c). Checks, for every input:
 *   - a drop reason is one of the codec's; an accepted packet has in-range fields, a Length
 *     within the input and the A bit / auth section consistent;
 *   - whatever decodes re-encodes to the same bytes (the ignored Reserved byte aside) and
 *     decodes to the same packet;
 *   - verification against each of the five types with fixed keys (and none) never changes
 *     the sequence state, accepts only its own type, and after a commit a meticulous type
 *     refuses the same packet while a keyed one takes it again;
 *   - the re-encoded packet signed with the matching fixed key verifies;
 *   - a fresh session fed the packet keeps its invariants (state range, discriminators,
 *     deadlines), and a packet it refuses leaves it byte for byte unchanged.
 * The authenticated seeds in the corpus use these keys (key id 1), so accepting paths run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/bfdd/bfdd.h"

static const char *const fuzz_keys[BFD_AUTH_TYPE_COUNT] = {
        [BFD_AUTH_SIMPLE] = "fuzz-simple",           [BFD_AUTH_KEYED_MD5] = "fuzz-md5",
        [BFD_AUTH_MET_KEYED_MD5] = "fuzz-met-md5",   [BFD_AUTH_KEYED_SHA1] = "fuzz-sha1",
        [BFD_AUTH_MET_KEYED_SHA1] = "fuzz-met-sha1",
};

static struct bfd_auth fuzz_auth[BFD_AUTH_TYPE_COUNT];

static void fuzz_init(void)
{
	static int done;

	if (done)
		return;
	for (int t = BFD_AUTH_SIMPLE; t < BFD_AUTH_TYPE_COUNT; t++)
		if (bfd_auth_init(&fuzz_auth[t], (enum bfd_auth_type)t) != 0 ||
		    bfd_auth_add_key(&fuzz_auth[t], 1, fuzz_keys[t], strlen(fuzz_keys[t])) != 0)
			abort();
	done = 1;
}

static void check_fields(const struct bfd_pkt *p, size_t size)
{
	bool a = p->flags & BFD_FLAG_AUTH;

	if (p->version != BFD_VERSION || p->state >= BFD_STATE_COUNT || p->diag > 31 ||
	    (p->flags & ~0x3f) || (p->flags & BFD_FLAG_MULTIPOINT) || p->detect_mult == 0 ||
	    p->my_disc == 0 || p->length > size || p->length < BFD_HDR_LEN)
		abort();
	if ((p->flags & BFD_FLAG_POLL) && (p->flags & BFD_FLAG_FINAL))
		abort();
	if (p->your_disc == 0 && p->state != BFD_STATE_DOWN && p->state != BFD_STATE_ADMIN_DOWN)
		abort();
	if (!a && p->length != BFD_HDR_LEN)
		abort();
	if (a && (p->auth_type == BFD_AUTH_NONE || p->auth_type >= BFD_AUTH_TYPE_COUNT ||
	          p->length != BFD_HDR_LEN + p->auth_len ||
	          p->auth_len != bfd_auth_section_len(p->auth_type, p->auth_data_len) ||
	          p->auth_data_len > BFD_AUTH_DATA_MAX))
		abort();
}

static bool same(const struct bfd_pkt *a, const struct bfd_pkt *b)
{
	return a->version == b->version && a->diag == b->diag && a->state == b->state &&
	       a->flags == b->flags && a->detect_mult == b->detect_mult && a->length == b->length &&
	       a->my_disc == b->my_disc && a->your_disc == b->your_disc &&
	       a->desired_min_tx == b->desired_min_tx && a->required_min_rx == b->required_min_rx &&
	       a->required_min_echo_rx == b->required_min_echo_rx && a->auth_type == b->auth_type &&
	       a->auth_len == b->auth_len && a->auth_key_id == b->auth_key_id &&
	       a->auth_data_len == b->auth_data_len && a->auth_seq == b->auth_seq &&
	       memcmp(a->auth_data, b->auth_data, sizeof(a->auth_data)) == 0;
}

static void check_reencode(const uint8_t *data, const struct bfd_pkt *p)
{
	uint8_t buf[BFD_PKT_MAX], want[BFD_PKT_MAX];
	struct bfd_pkt q;
	size_t n;

	if (bfd_encode(p, buf, sizeof(buf), &n) != 0 || n != p->length)
		abort();
	memcpy(want, data, n);
	if ((p->flags & BFD_FLAG_AUTH) && bfd_auth_has_seq((enum bfd_auth_type)p->auth_type))
		want[27] = 0; /* Reserved: sent as 0, ignored on receipt */
	if (memcmp(buf, want, n) != 0)
		abort();
	if (bfd_decode(buf, n, &q) != BFD_DROP_NONE || !same(&q, p))
		abort();
}

/* Verification against every configuration; signing the packet anew with the matching key. */
static void check_auth(const uint8_t *data, const struct bfd_pkt *p)
{
	for (int t = BFD_AUTH_NONE; t < BFD_AUTH_TYPE_COUNT; t++) {
		const struct bfd_auth *a = t ? &fuzz_auth[t] : NULL;
		struct bfd_auth_rx rx = {.seq = p->auth_seq - 1, .known = (p->auth_seq & 1)};
		struct bfd_auth_rx before = rx;
		enum bfd_drop d = bfd_auth_verify(a, &rx, 3, data, p);

		if (memcmp(&rx, &before, sizeof(rx)) != 0)
			abort();
		if (d == BFD_DROP_NONE) {
			bool has = p->flags & BFD_FLAG_AUTH;

			if (has != (a != NULL) || (a && p->auth_type != t))
				abort();
			bfd_auth_rx_commit(&rx, p);
			d = bfd_auth_verify(a, &rx, 3, data, p);
			if (a &&
			    bfd_auth_is_meticulous((enum bfd_auth_type)t) != (d != BFD_DROP_NONE))
				abort();
			if (a && bfd_auth_has_seq((enum bfd_auth_type)t) &&
			    (!rx.known || rx.seq != p->auth_seq))
				abort();
		} else if (d >= BFD_DROP_COUNT || d < BFD_DROP_NO_SESSION) {
			abort();
		}
	}
	if (!(p->flags & BFD_FLAG_AUTH))
		return;

	/* Sign the same content with the fixed key of its type: it must verify. */
	const struct bfd_auth *a = &fuzz_auth[p->auth_type];
	struct bfd_auth_rx rx = {0};
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt q = *p, r;
	size_t n;

	q.flags &= (uint8_t)~BFD_FLAG_AUTH;
	if (bfd_auth_fill(a, p->auth_seq, &q) != 0 || bfd_encode(&q, buf, sizeof(buf), &n) != 0 ||
	    bfd_auth_sign(a, buf, n) != 0 || bfd_decode(buf, n, &r) != BFD_DROP_NONE ||
	    bfd_auth_verify(a, &rx, 1, buf, &r) != BFD_DROP_NONE)
		abort();
}

static void check_session(const uint8_t *data, const struct bfd_pkt *p)
{
	struct bfd_session_cfg cfg = {.desired_min_tx = 100000,
	                              .required_min_rx = 100000,
	                              .detect_mult = 3,
	                              .echo_tx = 50000,
	                              .passive = p->diag & 1};
	static struct bfd_session s, before;
	struct bfd_out o;
	uint64_t at;
	struct bfd_rx ok;
	enum bfd_drop d;

	/* The key of the packet's own type half the time, so both outcomes are reached. */
	if ((p->flags & BFD_FLAG_AUTH) && !(p->my_disc & 1))
		cfg.auth = &fuzz_auth[p->auth_type];
	if (bfd_session_init(&s, &cfg, p->your_disc ? p->your_disc : 77, p->my_disc, p->diag & 2,
	                     1000000, &o) != 0)
		abort();
	memcpy(&before, &s, sizeof(s));
	d = bfd_session_check(&s, data, p, &ok);
	if (d != BFD_DROP_NONE) {
		if (ok.s || memcmp(&before, &s, sizeof(s)) != 0)
			abort();
		return;
	}
	bfd_session_rx(&s, &ok, 2000000, &o);
	if (s.fsm.state < 0 || s.fsm.state >= BFD_STATE_COUNT || s.remote_disc != p->my_disc ||
	    o.to != s.fsm.state || o.detect_at_us != s.detect_at_us ||
	    ((s.fsm.state == BFD_STATE_INIT || s.fsm.state == BFD_STATE_UP) &&
	     s.detect_at_us <= 2000000))
		abort();
	/* The timer fires at the control Detection Time at the latest: the next deadline may be an
	 * echo deadline, and while echo only probes (bfdd's dampening) that one ends nothing. */
	at = s.detect_at_us ? s.detect_at_us : 3000000;
	if ((s.flags & BFD_SF_RX_SEEN) && s.last_rx_us + bfd_session_detect_time(&s) > at)
		at = s.last_rx_us + bfd_session_detect_time(&s);
	bfd_session_detect_timer(&s, at, &o);
	if (s.fsm.state == BFD_STATE_UP || s.fsm.state == BFD_STATE_INIT)
		abort(); /* a Detection Time without packets always ends Init and Up */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_pkt p;
	enum bfd_drop d;

	fuzz_init();
	d = bfd_decode(data, size, &p);
	if (d != BFD_DROP_NONE) {
		if (d >= BFD_DROP_NO_SESSION)
			abort(); /* the codec has its own reasons only */
		return 0;
	}
	check_fields(&p, size);
	check_reencode(data, &p);
	check_auth(data, &p);
	check_session(data, &p);
	return 0;
}
