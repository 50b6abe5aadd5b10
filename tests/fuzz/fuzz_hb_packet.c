/*
 * Fuzz target: hb_decode() and hb_verify() (daemons/clusterd/packet.c, auth.c), what clusterd
 * runs on every datagram from a control link or the fabric. Checks, for every input:
 *   - a decoded packet holds only in-range fields (the RG list, enums, the HMAC offset);
 *   - whatever decodes re-encodes, and the re-encoding decodes to the same packet;
 *   - hb_verify with a fixed key accepts a packet at most once, never changes the replay
 *     state when it refuses, and without a key accepts exactly the unsigned packets;
 *   - the re-encoded packet, signed with the input's session id and counter, verifies once
 *     and is then refused as a replay.
 * The signed seeds in the corpus use FUZZ_KEY, so the accepting paths are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/clusterd.h"

#define FUZZ_KEY "keel-fuzz-key"

static struct hb_auth fuzz_keyed, fuzz_nokey;

static void fuzz_init(void)
{
	static int done;

	if (done)
		return;
	if (hb_auth_init(&fuzz_keyed, FUZZ_KEY, strlen(FUZZ_KEY), 0x5e55) != HB_OK ||
	    hb_auth_init(&fuzz_nokey, NULL, 0, 0x5e56) != HB_OK)
		abort();
	done = 1;
}

static void check_fields(const struct hb_pkt *p, size_t size)
{
	uint8_t seen[CL_MAX_RG] = {0};

	if ((p->type != HB_TYPE_CONTROL && p->type != HB_TYPE_FABRIC) || p->cluster_id == 0 ||
	    p->node_id >= CL_NODES || p->link > 1 || p->coldsync > CL_CS_FAILED ||
	    p->n_rg > CL_MAX_RG || p->version != HB_VERSION)
		abort();
	for (unsigned i = 0; i < p->n_rg; i++) {
		if (p->rg[i].id >= CL_MAX_RG || seen[p->rg[i].id]++ ||
		    p->rg[i].state >= RG_STATE_COUNT)
			abort();
	}
	if (p->has_hmac && p->hmac_off + HB_HMAC_LEN != size)
		abort();
}

static void check_same(const struct hb_pkt *a, const struct hb_pkt *b)
{
	if (a->type != b->type || a->cluster_id != b->cluster_id || a->node_id != b->node_id ||
	    a->link != b->link || a->coldsync != b->coldsync || a->flags != b->flags ||
	    a->seq != b->seq || a->send_time_us != b->send_time_us ||
	    a->boot_time_ms != b->boot_time_ms || a->echo_session != b->echo_session ||
	    a->n_rg != b->n_rg)
		abort();
	for (unsigned i = 0; i < a->n_rg; i++)
		if (a->rg[i].id != b->rg[i].id || a->rg[i].priority != b->rg[i].priority ||
		    a->rg[i].state != b->rg[i].state || a->rg[i].weight != b->rg[i].weight ||
		    a->rg[i].mon_fail != b->rg[i].mon_fail || a->rg[i].flags != b->rg[i].flags)
			abort();
}

/* The input as received: verify twice against a fresh replay state. */
static void check_verify(const uint8_t *data, size_t size, const struct hb_pkt *p)
{
	struct hb_replay r, before;
	enum hb_err e;
	bool live;

	memset(&r, 0, sizeof(r));
	e = hb_verify(&fuzz_keyed, &r, data, size, p, &live);
	if (e != HB_OK) {
		if (r.valid || live)
			abort();
	} else {
		if (!p->has_hmac || !r.valid || r.top != p->counter ||
		    r.session_id != p->session_id)
			abort();
		before = r;
		if (hb_verify(&fuzz_keyed, &r, data, size, p, &live) != HB_ERR_REPLAY ||
		    memcmp(&r, &before, sizeof(r)) != 0)
			abort();
	}
	memset(&r, 0, sizeof(r));
	e = hb_verify(&fuzz_nokey, &r, data, size, p, &live);
	if ((e == HB_OK) == p->has_hmac || (e == HB_OK) != live || r.valid)
		abort();
}

/* Re-encode, decode again, and (if the input was signed) re-sign with its session/counter. */
static void check_reencode(const struct hb_pkt *p)
{
	static uint8_t buf[HB_PKT_MAX];
	static struct hb_pkt q;
	struct hb_replay r;
	size_t n;

	if (hb_encode(p, buf, sizeof(buf), &n) != HB_OK)
		abort();
	if (hb_decode(buf, n, &q) != HB_OK || q.has_hmac)
		abort();
	check_same(p, &q);
	if (!p->has_hmac || p->counter == 0)
		return;
	struct hb_auth a = fuzz_keyed;

	a.session_id = p->session_id ? p->session_id : 1;
	a.counter = p->counter - 1;
	if (hb_sign(&a, buf, n, sizeof(buf), &n) != HB_OK)
		abort();
	if (hb_decode(buf, n, &q) != HB_OK || !q.has_hmac || q.counter != p->counter)
		abort();
	check_same(p, &q);
	memset(&r, 0, sizeof(r));
	if (hb_verify(&fuzz_keyed, &r, buf, n, &q, NULL) != HB_OK ||
	    hb_verify(&fuzz_keyed, &r, buf, n, &q, NULL) != HB_ERR_REPLAY)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hb_pkt p;

	fuzz_init();
	if (hb_decode(data, size, &p) != HB_OK)
		return 0;
	check_fields(&p, size);
	check_verify(data, size, &p);
	check_reencode(&p);
	return 0;
}
