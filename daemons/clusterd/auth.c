/*
 * clusterd heartbeat authentication: the auth TLV (packet.c documents its bytes), HMAC-SHA256
 * signing and verification, and the anti-replay rule. Pure: the key schedule lives in a
 * struct crypto_hmac_ctx keyed once per configured key (so a packet costs one HMAC run, not a
 * re-keying), the session id comes from the caller, the replay state is the caller's struct.
 *
 * Key configuration on the two nodes (DESIGN.md §3 Cluster: every heartbeat is authenticated
 * when a key is configured):
 *   both have the key          signed packets, verified, anti-replay applies;
 *   neither has a key          unsigned packets, accepted (no protection is possible);
 *   only one side has a key    each side rejects the other's packets and counts them:
 *                              HB_ERR_AUTH_MISSING on the keyed node, HB_ERR_AUTH_UNEXPECTED
 *                              on the other. Accepting them would let an unkeyed node be
 *                              driven by anyone, and a half-configured key must be visible.
 *                              A wrong key gives HB_ERR_HMAC on both sides.
 *
 * ANTI-REPLAY RULE (per peer, struct hb_replay). A sender picks a random 64-bit session id at
 * start and signs every packet (heartbeats on both control links and fabric probes alike) with
 * the next value of one 64-bit counter. Session id, counter, boot time and the echo are all
 * under the HMAC, so without the key nothing below can be steered. A packet whose HMAC is
 * right is accepted when
 *   1. nothing is known of the peer yet (first packet after our start), or
 *   2. it belongs to the known session and its counter was not accepted before: either above
 *      the highest counter seen, or at most HB_REPLAY_WINDOW - 1 below it and not yet seen
 *      (the three links reorder packets; the window is the IPsec one, RFC 4303 §3.4.3), or
 *   3. it carries another session id AND a boot time strictly newer than the known session's:
 *      the peer restarted. The window restarts at its counter.
 * Anything else is rejected (HB_ERR_REPLAY, HB_ERR_SESSION) and a rejected packet never
 * changes the state. The known session's boot time is the floor: an old session's packets
 * can never come back. The sender must therefore make boot_time_ms grow across its restarts
 * (a wall clock stepped back must not give an older value: keep max(now, last + 1)).
 *
 * LIVENESS needs more than rule 1: after our own restart, a recording of the peer's older
 * packets would pass it. So each node echoes the session id it last verified from the peer
 * (hb_replay_echo() into hb_pkt.echo_session), and a peer session counts as live only from
 * the first packet that echoes our current session id, which did not exist before our boot.
 * Packets of that session with a counter at or above that point prove the peer alive now
 * (*live); earlier ones are authentic and update the window (so that we learn and echo the
 * peer's session) but do not refresh liveness. Start-up or a peer restart therefore costs
 * one heartbeat exchange before the peer is seen alive.
 */
#include <string.h>
#include <sys/uio.h>

#include "daemons/clusterd/clusterd.h"
#include "lib/crypto.h"

enum hb_err hb_auth_init(struct hb_auth *a, const void *key, size_t keylen, uint64_t session_id)
{
	memset(a, 0, sizeof(*a));
	/* 0 is the echo of "no session known": a session must never look like it. */
	if (session_id == 0)
		return HB_ERR_INVAL;
	a->session_id = session_id;
	if (!key || keylen == 0)
		return HB_OK;
	a->hmac = crypto_hmac_ctx_new(CRYPTO_MD_SHA256, key, keylen);
	return a->hmac ? HB_OK : HB_ERR_CRYPTO;
}

void hb_auth_free(struct hb_auth *a)
{
	crypto_hmac_ctx_free(a->hmac);
	memset(a, 0, sizeof(*a));
}

static void hb_put_u64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static enum hb_err hb_mac(struct crypto_hmac_ctx *ctx, const uint8_t *buf, size_t len,
                          uint8_t mac[HB_HMAC_LEN])
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	size_t maclen = HB_HMAC_LEN;

	if (crypto_hmac_ctx_run(ctx, &iov, 1, mac, &maclen) != 0 || maclen != HB_HMAC_LEN)
		return HB_ERR_CRYPTO;
	return HB_OK;
}

enum hb_err hb_sign(struct hb_auth *a, uint8_t *buf, size_t len, size_t cap, size_t *out_len)
{
	size_t total = len + HB_TLV_HDR_LEN + HB_AUTH_LEN;
	uint8_t *t = buf + len;
	enum hb_err e;

	*out_len = 0;
	/* Only what hb_encode produced: a header whose length field says len. */
	if (len < HB_HDR_LEN || len > cap || ((size_t)buf[6] << 8 | buf[7]) != len)
		return HB_ERR_INVAL;
	if (!a->hmac) {
		*out_len = len;
		return HB_OK;
	}
	if (total > cap)
		return HB_ERR_NOSPACE;
	/* The counter never wraps inside a session: a wrapped value would be a replay. */
	if (total > UINT16_MAX || a->counter == UINT64_MAX)
		return HB_ERR_INVAL;

	t[0] = 0;
	t[1] = HB_TLV_AUTH;
	t[2] = 0;
	t[3] = HB_AUTH_LEN;
	hb_put_u64(t + 4, a->session_id);
	hb_put_u64(t + 12, a->counter + 1);
	buf[6] = (uint8_t)(total >> 8);
	buf[7] = (uint8_t)total;
	e = hb_mac(a->hmac, buf, total - HB_HMAC_LEN, buf + total - HB_HMAC_LEN);
	if (e != HB_OK) {
		buf[6] = (uint8_t)(len >> 8);
		buf[7] = (uint8_t)len;
		return e;
	}
	a->counter++;
	*out_len = total;
	return HB_OK;
}

/* Rules 1-3 above on a copy of the state; *n is the state to keep if the packet is accepted. */
static enum hb_err hb_replay_check(const struct hb_replay *r, const struct hb_pkt *p,
                                   struct hb_replay *n)
{
	uint64_t c = p->counter;

	*n = *r;
	if (r->valid && p->session_id == r->session_id) {
		/* A session id is one boot: the same id with another boot time is not ours to
		 * trust (only a broken sender produces it). */
		if (p->boot_time_ms != r->boot_time_ms)
			return HB_ERR_SESSION;
		if (c > r->top) {
			uint64_t shift = c - r->top;

			n->seen = shift >= HB_REPLAY_WINDOW ? 1 : r->seen << shift | 1;
			n->top = c;
			return HB_OK;
		}
		uint64_t d = r->top - c;

		if (d >= HB_REPLAY_WINDOW || (r->seen >> d & 1))
			return HB_ERR_REPLAY;
		n->seen |= UINT64_C(1) << d;
		return HB_OK;
	}
	if (r->valid && p->boot_time_ms <= r->boot_time_ms)
		return HB_ERR_SESSION;
	*n = (struct hb_replay){
	        .valid = true,
	        .session_id = p->session_id,
	        .boot_time_ms = p->boot_time_ms,
	        .top = c,
	        .seen = 1,
	};
	return HB_OK;
}

enum hb_err hb_verify(const struct hb_auth *a, struct hb_replay *r, const uint8_t *buf, size_t len,
                      const struct hb_pkt *p, bool *live)
{
	uint8_t mac[HB_HMAC_LEN];
	struct hb_replay n;
	enum hb_err e;

	if (live)
		*live = false;
	if (!a->hmac) {
		if (p->has_hmac)
			return HB_ERR_AUTH_UNEXPECTED;
		if (live)
			*live = true;
		return HB_OK;
	}
	if (!p->has_hmac)
		return HB_ERR_AUTH_MISSING;
	/* p must be what hb_decode made of exactly these bytes. */
	if (p->hmac_off < HB_HDR_LEN || p->hmac_off > len || len - p->hmac_off != HB_HMAC_LEN)
		return HB_ERR_INVAL;
	e = hb_mac(a->hmac, buf, p->hmac_off, mac);
	if (e != HB_OK)
		return e;
	if (!crypto_memeq(mac, buf + p->hmac_off, HB_HMAC_LEN))
		return HB_ERR_HMAC;
	e = hb_replay_check(r, p, &n);
	if (e != HB_OK)
		return e;
	if (!n.fresh && p->echo_session == a->session_id) {
		n.fresh = true;
		n.fresh_from = p->counter;
	}
	*r = n;
	if (live)
		*live = r->fresh && p->counter >= r->fresh_from;
	return HB_OK;
}

uint64_t hb_replay_echo(const struct hb_replay *r)
{
	return r->valid ? r->session_id : 0;
}
