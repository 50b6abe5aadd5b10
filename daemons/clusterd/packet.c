/*
 * clusterd heartbeat / fabric-probe codec: bytes in, struct hb_pkt out, and back. Pure (no
 * I/O, no globals, no logging). Authentication (the auth TLV's HMAC and the anti-replay rule)
 * is auth.c; this file only parses the auth TLV and records where the HMAC sits.
 *
 * WIRE FORMAT, version 1 (DESIGN.md §3 Cluster; issue 4 item 2)
 *
 * Carried as the payload of raw IP protocol 250 (heartbeats, to 224.255.255.250 on control
 * link 0 and 239.255.255.251 on control link 1) and IP protocol 254 (fabric probes, unicast).
 * Every integer is unsigned, network byte order (big endian). A packet is a fixed 8-byte header
 * followed by TLVs; the largest packet keel sends is HB_PKT_MAX = 1158 bytes (129 RGs,
 * signed), so a heartbeat never fragments on a 1500-byte link.
 *
 *   Header
 *   off len field       value
 *     0   2 magic       0xdead
 *     2   1 version     1; any other value is rejected
 *     3   1 type        1 = control-link heartbeat, 2 = fabric probe
 *     4   1 cluster-id  1..255 (0 is rejected)
 *     5   1 node-id     0..1 of the sender
 *     6   2 length      bytes in the whole packet, header included; must equal the datagram
 *
 *   TLV:  u16 type, u16 length (of the value only), value
 *
 *   type name      length   value                                              presence
 *     1  TIME        16     u64 send time, sender's CLOCK_MONOTONIC in µs;     mandatory
 *                           u64 boot time, sender's start (wall clock, ms)
 *     2  SEQ          8     u64 sequence number, one space for the sender's    mandatory
 *                           heartbeats and probes (control-link failure rule)
 *     3  FLAGS        2     u16 HB_F_* (clusterd.h)                            default 0
 *     4  COLDSYNC     1     u8 0 not started, 1 in progress, 2 done, 3 failed  default 0
 *     5  LINK         1     u8 control link 0/1 the packet was sent on         default 0
 *     6  ECHO         8     u64 the receiver's session id as the sender last   default 0
 *                           verified it (0: none yet); see auth.c
 *     7  RG        2+n*e    u8 n (0..129), u8 e (entry size, >= 8), then n     mandatory in
 *                           entries: u8 RG id (0..128, no duplicates),         heartbeats,
 *                           u8 priority, u8 state (enum rg_state),             optional in
 *                           u8 weight, u16 monitor-failure bits (CL_MON_*),    probes
 *                           u8 flags (HB_RG_F_*), u8 reserved (0);
 *                           bytes 8..e-1 of an entry are skipped (later versions)
 *     8  AUTH        48     u64 session id (random per boot), u64 counter,     iff a key is
 *                           32-byte HMAC-SHA256                                configured
 *
 *   - AUTH is the last TLV: any byte after it is rejected. Its HMAC, keyed with the configured
 *     authentication-key bytes, covers every byte before the HMAC value: the header (with the
 *     final length), all TLVs, the AUTH TLV header, the session id and the counter.
 *   - A known TLV (1..8) with another length, or a second copy of it, is rejected; type 0 is
 *     rejected; unknown types (9..65535) are skipped, so later versions can add TLVs.
 *   - TLVs may come in any order (keel sends them in type order).
 *   - Enumerated values out of range (coldsync > 3, link > 1, RG state unknown) are rejected,
 *     as they would index tables on the receiver.
 *
 * Example (node1 of cluster 1, heartbeat on control link 0, one RG, no key): 8 + 20 + 12 + 6 +
 * 5 + 5 + 12 + 14 = 82 bytes:
 *   de ad 01 01 01 01 00 52 | 00 01 00 10 <8 send time> <8 boot time> | 00 02 00 08 <8 seq> |
 *   00 03 00 02 00 03 | 00 04 00 01 02 | 00 05 00 01 00 | 00 06 00 08 <8 echo> |
 *   00 07 00 0a 01 08 00 64 02 ff 00 00 00 00
 */
#include <string.h>

#include "daemons/clusterd/clusterd.h"
#include "lib/buf.h"

static const char *const hb_err_names[HB_ERR_COUNT] = {
        [HB_OK] = "ok",
        [HB_ERR_SHORT] = "truncated",
        [HB_ERR_LENGTH] = "bad length",
        [HB_ERR_MAGIC] = "bad magic",
        [HB_ERR_VERSION] = "bad version",
        [HB_ERR_TYPE] = "bad packet type",
        [HB_ERR_HEADER] = "bad header",
        [HB_ERR_TLV] = "bad TLV",
        [HB_ERR_TLV_DUP] = "duplicate TLV",
        [HB_ERR_TLV_MISSING] = "missing TLV",
        [HB_ERR_AUTH_POS] = "data after auth TLV",
        [HB_ERR_RG] = "bad RG list",
        [HB_ERR_CLUSTER] = "cluster id mismatch",
        [HB_ERR_NODE] = "node id mismatch",
        [HB_ERR_AUTH_MISSING] = "missing authentication",
        [HB_ERR_AUTH_UNEXPECTED] = "unexpected authentication",
        [HB_ERR_HMAC] = "bad HMAC",
        [HB_ERR_REPLAY] = "replayed counter",
        [HB_ERR_SESSION] = "stale session",
        [HB_ERR_NOSPACE] = "no space",
        [HB_ERR_INVAL] = "invalid argument",
        [HB_ERR_CRYPTO] = "crypto failure",
};

const char *hb_err_name(enum hb_err e)
{
	return (unsigned)e < HB_ERR_COUNT && hb_err_names[e] ? hb_err_names[e] : "?";
}

static bool hb_type_ok(uint8_t t)
{
	return t == HB_TYPE_CONTROL || t == HB_TYPE_FABRIC;
}

/* A set of RG ids 0..128 (duplicate detection). */
struct hb_rgset {
	uint64_t w[(CL_MAX_RG + 63) / 64];
};

/* False if id was already in the set. */
static bool hb_rgset_add(struct hb_rgset *s, uint8_t id)
{
	uint64_t bit = UINT64_C(1) << (id % 64);

	if (s->w[id / 64] & bit)
		return false;
	s->w[id / 64] |= bit;
	return true;
}

/* Value checks shared by encode and decode, so that whatever encodes also decodes. */
static enum hb_err hb_rg_check(const struct hb_rg *rg, size_t n)
{
	struct hb_rgset set = {{0}};

	if (n > CL_MAX_RG)
		return HB_ERR_RG;
	for (size_t i = 0; i < n; i++) {
		if (rg[i].id >= CL_MAX_RG || rg[i].state >= RG_STATE_COUNT ||
		    !hb_rgset_add(&set, rg[i].id))
			return HB_ERR_RG;
	}
	return HB_OK;
}

static void hb_tlv_hdr(struct wbuf *w, enum hb_tlv type, size_t len)
{
	wbuf_u16(w, (uint16_t)type);
	wbuf_u16(w, (uint16_t)len);
}

enum hb_err hb_encode(const struct hb_pkt *p, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct wbuf w;

	*out_len = 0;
	if (!hb_type_ok(p->type) || p->cluster_id == 0 || p->node_id >= CL_NODES || p->link > 1 ||
	    p->coldsync > CL_CS_FAILED)
		return HB_ERR_INVAL;
	if (hb_rg_check(p->rg, p->n_rg) != HB_OK)
		return HB_ERR_INVAL;

	wbuf_init(&w, buf, cap);
	wbuf_u16(&w, HB_MAGIC);
	wbuf_u8(&w, HB_VERSION);
	wbuf_u8(&w, p->type);
	wbuf_u8(&w, p->cluster_id);
	wbuf_u8(&w, p->node_id);
	wbuf_u16(&w, 0); /* length, patched below */

	hb_tlv_hdr(&w, HB_TLV_TIME, 16);
	wbuf_u64(&w, p->send_time_us);
	wbuf_u64(&w, p->boot_time_ms);
	hb_tlv_hdr(&w, HB_TLV_SEQ, 8);
	wbuf_u64(&w, p->seq);
	hb_tlv_hdr(&w, HB_TLV_FLAGS, 2);
	wbuf_u16(&w, p->flags);
	hb_tlv_hdr(&w, HB_TLV_COLDSYNC, 1);
	wbuf_u8(&w, p->coldsync);
	hb_tlv_hdr(&w, HB_TLV_LINK, 1);
	wbuf_u8(&w, p->link);
	hb_tlv_hdr(&w, HB_TLV_ECHO, 8);
	wbuf_u64(&w, p->echo_session);
	/* A probe only needs the sequence number; a heartbeat always says which RGs it has. */
	if (p->type == HB_TYPE_CONTROL || p->n_rg > 0) {
		hb_tlv_hdr(&w, HB_TLV_RG, 2 + (size_t)p->n_rg * HB_RG_ENTRY_LEN);
		wbuf_u8(&w, p->n_rg);
		wbuf_u8(&w, HB_RG_ENTRY_LEN);
		/* One bounds check for the whole list: up to 129 entries per packet, per tick. */
		uint8_t *e = wbuf_reserve(&w, (size_t)p->n_rg * HB_RG_ENTRY_LEN);

		for (size_t i = 0; e && i < p->n_rg; i++, e += HB_RG_ENTRY_LEN) {
			const struct hb_rg *rg = &p->rg[i];

			e[0] = rg->id;
			e[1] = rg->priority;
			e[2] = rg->state;
			e[3] = rg->weight;
			e[4] = (uint8_t)(rg->mon_fail >> 8);
			e[5] = (uint8_t)rg->mon_fail;
			e[6] = rg->flags;
			e[7] = 0; /* reserved */
		}
	}
	if (!wbuf_ok(&w))
		return HB_ERR_NOSPACE;
	wbuf_put16(&w, 6, (uint16_t)wbuf_len(&w));
	*out_len = wbuf_len(&w);
	return HB_OK;
}

static enum hb_err hb_decode_rg(struct rbuf *v, struct hb_pkt *out)
{
	const uint8_t *e;
	uint8_t n, esz;

	rbuf_u8(v, &n);
	rbuf_u8(v, &esz);
	if (!rbuf_ok(v) || esz < HB_RG_ENTRY_LEN)
		return HB_ERR_TLV;
	if (n > CL_MAX_RG)
		return HB_ERR_RG;
	if (rbuf_left(v) != (size_t)n * esz)
		return HB_ERR_TLV;
	e = rbuf_ptr(v, (size_t)n * esz);
	if (!e)
		return HB_ERR_TLV;
	for (size_t i = 0; i < n; i++, e += esz) {
		struct hb_rg *rg = &out->rg[i];

		rg->id = e[0];
		rg->priority = e[1];
		rg->state = e[2];
		rg->weight = e[3];
		rg->mon_fail = (uint16_t)(e[4] << 8 | e[5]);
		rg->flags = e[6];
		/* e[7] reserved; bytes 8..esz-1 are fields of a later version */
	}
	out->n_rg = n;
	return hb_rg_check(out->rg, n);
}

/* The value length each fixed-size TLV must have (0: variable). */
static const uint16_t hb_tlv_len[HB_TLV_MAX + 1] = {
        [HB_TLV_TIME] = 16, [HB_TLV_SEQ] = 8,  [HB_TLV_FLAGS] = 2,          [HB_TLV_COLDSYNC] = 1,
        [HB_TLV_LINK] = 1,  [HB_TLV_ECHO] = 8, [HB_TLV_AUTH] = HB_AUTH_LEN,
};

static enum hb_err hb_decode_tlv(uint16_t type, struct rbuf *v, struct hb_pkt *out, size_t voff)
{
	if (hb_tlv_len[type] && rbuf_left(v) != hb_tlv_len[type])
		return HB_ERR_TLV;
	switch ((enum hb_tlv)type) {
	case HB_TLV_TIME:
		rbuf_u64(v, &out->send_time_us);
		rbuf_u64(v, &out->boot_time_ms);
		break;
	case HB_TLV_SEQ:
		rbuf_u64(v, &out->seq);
		break;
	case HB_TLV_FLAGS:
		rbuf_u16(v, &out->flags);
		break;
	case HB_TLV_COLDSYNC:
		rbuf_u8(v, &out->coldsync);
		if (out->coldsync > CL_CS_FAILED)
			return HB_ERR_TLV;
		break;
	case HB_TLV_LINK:
		rbuf_u8(v, &out->link);
		if (out->link > 1)
			return HB_ERR_TLV;
		break;
	case HB_TLV_ECHO:
		rbuf_u64(v, &out->echo_session);
		break;
	case HB_TLV_RG:
		return hb_decode_rg(v, out);
	case HB_TLV_AUTH:
		rbuf_u64(v, &out->session_id);
		rbuf_u64(v, &out->counter);
		rbuf_bytes(v, out->hmac, HB_HMAC_LEN);
		out->has_hmac = true;
		out->hmac_off = voff + 16;
		break;
	}
	return rbuf_ok(v) ? HB_OK : HB_ERR_TLV;
}

enum hb_err hb_decode(const uint8_t *buf, size_t len, struct hb_pkt *out)
{
	struct rbuf r;
	uint16_t magic, total;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (len < HB_HDR_LEN)
		return HB_ERR_SHORT;
	if (len > UINT16_MAX)
		return HB_ERR_LENGTH;
	rbuf_init(&r, buf, len);
	rbuf_u16(&r, &magic);
	rbuf_u8(&r, &out->version);
	rbuf_u8(&r, &out->type);
	rbuf_u8(&r, &out->cluster_id);
	rbuf_u8(&r, &out->node_id);
	rbuf_u16(&r, &total);
	if (magic != HB_MAGIC)
		return HB_ERR_MAGIC;
	if (out->version != HB_VERSION)
		return HB_ERR_VERSION;
	if (!hb_type_ok(out->type))
		return HB_ERR_TYPE;
	if (out->cluster_id == 0 || out->node_id >= CL_NODES)
		return HB_ERR_HEADER;
	/* The length field makes a datagram cut short (or padded) visible before any TLV. */
	if (total > len)
		return HB_ERR_SHORT;
	if (total != len)
		return HB_ERR_LENGTH;

	while (rbuf_left(&r) > 0) {
		uint16_t type, vlen;
		struct rbuf v;
		size_t voff;
		enum hb_err e;

		if (seen & (1u << HB_TLV_AUTH))
			return HB_ERR_AUTH_POS;
		rbuf_u16(&r, &type);
		rbuf_u16(&r, &vlen);
		voff = r.off;
		if (!rbuf_sub(&r, vlen, &v))
			return HB_ERR_SHORT;
		if (type == 0)
			return HB_ERR_TLV;
		if (type > HB_TLV_MAX)
			continue; /* forward compatibility: skip what a later version added */
		if (seen & (1u << type))
			return HB_ERR_TLV_DUP;
		seen |= 1u << type;
		e = hb_decode_tlv(type, &v, out, voff);
		if (e != HB_OK)
			return e;
	}
	if (!(seen & (1u << HB_TLV_TIME)) || !(seen & (1u << HB_TLV_SEQ)) ||
	    (out->type == HB_TYPE_CONTROL && !(seen & (1u << HB_TLV_RG))))
		return HB_ERR_TLV_MISSING;
	return HB_OK;
}

enum hb_err hb_check_origin(const struct hb_pkt *p, uint8_t cluster_id, uint8_t self_node)
{
	if (p->cluster_id != cluster_id)
		return HB_ERR_CLUSTER;
	/* Two nodes: anything not from the other one is our own packet looped back, or a
	 * misconfigured third node. */
	if (p->node_id == self_node)
		return HB_ERR_NODE;
	return HB_OK;
}
