/*
 * OpenFlow 1.3 codec: the handful of messages keel's port authorization
 * needs, encoded and decoded by hand over a bounds-checked reader/writer.
 * Layouts and constants are those of the OpenFlow Switch Specification
 * 1.3.5 (ONF TS-023), section 7 ("The OpenFlow Protocol"); every multi-octet
 * field is in network byte order (§7.1). Pure: no I/O, no globals.
 */
#include <errno.h>
#include <string.h>

#include "platform/ovs/openflow.h"

/* §7.1.1 */
#define OFP_HDR 8
/* §7.2.2.1 ofp_match type OFPMT_OXM, §7.2.3.2 OXM class OPENFLOW_BASIC */
#define OFPMT_OXM          1
#define OFPXMC_OPENFLOW    0x8000
#define OFPXMT_IN_PORT     0
#define OFPXMT_ETH_DST     3
#define OFPXMT_ETH_SRC     4
#define OFPXMT_VLAN_VID    6
#define OFPIT_APPLY_ACTION 4
#define OFPAT_OUTPUT       0
#define OFPCML_NO_BUFFER   0xffff
#define OFP_NO_BUFFER      0xffffffffu
#define OFPG_ANY           0xffffffffu
/* §7.3.5.1 multipart type OFPMP_PORT_DESC */
#define OFPMP_PORT_DESC 13
/* §7.2.1 sizeof(struct ofp_port) */
#define OFP_PORT_LEN 64
/* §7.5.1 hello element OFPHET_VERSIONBITMAP */
#define OFPHET_VERSIONBITMAP 1

struct wr {
	uint8_t *p;
	size_t cap, len;
	bool err;
};

static void wr_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void wr_zero(struct wr *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return;
	}
	memset(w->p + w->len, 0, n);
	w->len += n;
}

static void wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	wr_bytes(w, b, 2);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	wr_bytes(w, b, 4);
}

static void wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

static void wr_put_u16_at(struct wr *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->len)
		return;
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)v;
}

static void wr_hdr(struct wr *w, uint8_t type, uint32_t xid)
{
	wr_u8(w, OVS_OF_VERSION);
	wr_u8(w, type);
	wr_u16(w, 0); /* patched by wr_done */
	wr_u32(w, xid);
}

static int wr_done(struct wr *w)
{
	if (w->err || w->len > OVS_OF_MAX_MSG)
		return -ENOSPC;
	wr_put_u16_at(w, 2, (uint16_t)w->len);
	return (int)w->len;
}

static uint16_t rd_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ovs_of_encode_hello(uint8_t *out, size_t cap, uint32_t xid, uint32_t bitmap)
{
	struct wr w = {.p = out, .cap = cap};

	wr_hdr(&w, OVS_OF_T_HELLO, xid);
	/* §7.5.1: one VERSIONBITMAP element (4 + 4 octets, already 8-aligned) */
	wr_u16(&w, OFPHET_VERSIONBITMAP);
	wr_u16(&w, 8);
	wr_u32(&w, bitmap);
	return wr_done(&w);
}

int ovs_of_encode_echo(uint8_t *out, size_t cap, uint8_t type, uint32_t xid, const uint8_t *data,
                       size_t data_len)
{
	struct wr w = {.p = out, .cap = cap};

	if (type != OVS_OF_T_ECHO_REQUEST && type != OVS_OF_T_ECHO_REPLY)
		return -EINVAL;
	wr_hdr(&w, type, xid);
	wr_bytes(&w, data, data_len);
	return wr_done(&w);
}

int ovs_of_encode_barrier(uint8_t *out, size_t cap, uint32_t xid)
{
	struct wr w = {.p = out, .cap = cap};

	wr_hdr(&w, OVS_OF_T_BARRIER_REQUEST, xid);
	return wr_done(&w);
}

int ovs_of_encode_port_desc_request(uint8_t *out, size_t cap, uint32_t xid)
{
	struct wr w = {.p = out, .cap = cap};

	/* §7.3.5 ofp_multipart_request: type, flags, pad[4]; PORT_DESC has no body */
	wr_hdr(&w, OVS_OF_T_MULTIPART_REQUEST, xid);
	wr_u16(&w, OFPMP_PORT_DESC);
	wr_u16(&w, 0);
	wr_zero(&w, 4);
	return wr_done(&w);
}

static void wr_oxm(struct wr *w, uint8_t field, const void *val, uint8_t len)
{
	/* §7.2.3.2: class(16) | field(7) hasmask(1) | length(8), then the value */
	wr_u16(w, OFPXMC_OPENFLOW);
	wr_u8(w, (uint8_t)(field << 1));
	wr_u8(w, len);
	wr_bytes(w, val, len);
}

/* One §7.2.5 action; every one is a multiple of 8 octets long. */
static int wr_action(struct wr *w, const struct ovs_of_action *a)
{
	switch (a->type) {
	case OVS_OF_ACT_OUTPUT:
		/* ofp_action_output: type, len 16, port, max_len, pad[6] */
		wr_u16(w, OFPAT_OUTPUT);
		wr_u16(w, 16);
		wr_u32(w, a->arg);
		wr_u16(w, OFPCML_NO_BUFFER);
		wr_zero(w, 6);
		return 0;
	case OVS_OF_ACT_PUSH_VLAN:
		/* ofp_action_push: type, len 8, ethertype, pad[2] */
		if (a->arg != 0x8100 && a->arg != 0x88a8)
			return -EINVAL;
		wr_u16(w, OVS_OF_ACT_PUSH_VLAN);
		wr_u16(w, 8);
		wr_u16(w, (uint16_t)a->arg);
		wr_zero(w, 2);
		return 0;
	case OVS_OF_ACT_POP_VLAN:
		/* ofp_action_header: type, len 8, pad[4] */
		wr_u16(w, OVS_OF_ACT_POP_VLAN);
		wr_u16(w, 8);
		wr_zero(w, 4);
		return 0;
	case OVS_OF_ACT_SET_VLAN_VID: {
		/* ofp_action_set_field: type, len 16, OXM VLAN_VID (4 + 2), pad
		 * to 8 (§7.2.5); the value carries OFPVID_PRESENT (§7.2.3.8) */
		uint16_t vid = (uint16_t)(OVS_OF_VID_PRESENT | a->arg);
		uint8_t v[2] = {(uint8_t)(vid >> 8), (uint8_t)vid};

		if (a->arg < 1 || a->arg > 4094)
			return -EINVAL;
		wr_u16(w, OVS_OF_ACT_SET_VLAN_VID);
		wr_u16(w, 16);
		wr_oxm(w, OFPXMT_VLAN_VID, v, 2);
		wr_zero(w, 6);
		return 0;
	}
	}
	return -EINVAL;
}

int ovs_of_encode_flow_mod(uint8_t *out, size_t cap, uint32_t xid, const struct ovs_of_flow *f)
{
	struct wr w = {.p = out, .cap = cap};
	size_t match_at, match_len, pad;

	if (f->cmd != OVS_OF_FC_ADD && f->cmd != OVS_OF_FC_DELETE &&
	    f->cmd != OVS_OF_FC_DELETE_STRICT)
		return -EINVAL;
	/* §7.3.4.1 ofp_flow_mod */
	wr_hdr(&w, OVS_OF_T_FLOW_MOD, xid);
	wr_u64(&w, f->cookie);
	wr_u64(&w, f->cmd == OVS_OF_FC_ADD ? 0 : f->cookie_mask); /* ignored for ADD */
	wr_u8(&w, f->table);
	wr_u8(&w, (uint8_t)f->cmd);
	wr_u16(&w, 0); /* idle_timeout */
	wr_u16(&w, 0); /* hard_timeout */
	wr_u16(&w, f->priority);
	wr_u32(&w, OFP_NO_BUFFER);
	wr_u32(&w, OVS_OF_PORT_ANY); /* out_port: no filter on delete */
	wr_u32(&w, OFPG_ANY);
	wr_u16(&w, f->cmd == OVS_OF_FC_ADD ? f->flags : 0);
	wr_zero(&w, 2);

	/* §7.2.2.1 ofp_match: type, length (without padding), OXMs, pad to 8 */
	match_at = w.len;
	wr_u16(&w, OFPMT_OXM);
	wr_u16(&w, 0);
	if (f->has_in_port) {
		uint8_t v[4] = {(uint8_t)(f->in_port >> 24), (uint8_t)(f->in_port >> 16),
		                (uint8_t)(f->in_port >> 8), (uint8_t)f->in_port};

		wr_oxm(&w, OFPXMT_IN_PORT, v, 4);
	}
	if (f->has_dl_dst && f->has_dl_dst_mask) {
		uint8_t v[12];

		/* §7.2.3.2: with hasmask the payload is value then mask */
		memcpy(v, f->dl_dst, 6);
		memcpy(v + 6, f->dl_dst_mask, 6);
		wr_u16(&w, OFPXMC_OPENFLOW);
		wr_u8(&w, (uint8_t)(OFPXMT_ETH_DST << 1 | 1));
		wr_u8(&w, 12);
		wr_bytes(&w, v, 12);
	} else if (f->has_dl_dst) {
		wr_oxm(&w, OFPXMT_ETH_DST, f->dl_dst, 6);
	}
	if (f->has_dl_src)
		wr_oxm(&w, OFPXMT_ETH_SRC, f->dl_src, 6);
	if (f->has_vlan_vid) {
		uint8_t v[2] = {(uint8_t)(f->vlan_vid >> 8), (uint8_t)f->vlan_vid};

		wr_oxm(&w, OFPXMT_VLAN_VID, v, 2);
	}
	match_len = w.len - match_at;
	wr_put_u16_at(&w, match_at + 2, (uint16_t)match_len);
	pad = (8 - match_len % 8) % 8;
	wr_zero(&w, pad);

	/* §7.2.4 instructions; none = drop (§5.10: an empty action set drops) */
	if (f->cmd == OVS_OF_FC_ADD && !f->normal && f->n_actions) {
		size_t ins_at = w.len;

		if (f->n_actions > OVS_OF_MAX_ACTIONS)
			return -EINVAL;
		wr_u16(&w, OFPIT_APPLY_ACTION);
		wr_u16(&w, 0); /* patched below */
		wr_zero(&w, 4);
		for (size_t i = 0; i < f->n_actions; i++)
			if (wr_action(&w, &f->actions[i]) < 0)
				return -EINVAL;
		wr_put_u16_at(&w, ins_at + 2, (uint16_t)(w.len - ins_at));
	} else if (f->cmd == OVS_OF_FC_ADD && f->normal) {
		/* ofp_instruction_actions: type, len, pad[4], then one
		 * ofp_action_output (§7.2.5): type, len 16, port, max_len, pad[6] */
		wr_u16(&w, OFPIT_APPLY_ACTION);
		wr_u16(&w, 8 + 16);
		wr_zero(&w, 4);
		wr_u16(&w, OFPAT_OUTPUT);
		wr_u16(&w, 16);
		wr_u32(&w, OVS_OF_PORT_NORMAL);
		wr_u16(&w, OFPCML_NO_BUFFER);
		wr_zero(&w, 6);
	}
	return wr_done(&w);
}

int ovs_of_encode_port_mod(uint8_t *out, size_t cap, uint32_t xid, uint32_t port_no,
                           const uint8_t hw_addr[6], uint32_t config, uint32_t mask)
{
	struct wr w = {.p = out, .cap = cap};

	/* §7.3.4.3 ofp_port_mod: port_no, pad[4], hw_addr, pad2[2], config,
	 * mask, advertise (0 = leave unchanged), pad3[4] */
	wr_hdr(&w, OVS_OF_T_PORT_MOD, xid);
	wr_u32(&w, port_no);
	wr_zero(&w, 4);
	wr_bytes(&w, hw_addr, 6);
	wr_zero(&w, 2);
	wr_u32(&w, config);
	wr_u32(&w, mask);
	wr_u32(&w, 0);
	wr_zero(&w, 4);
	return wr_done(&w);
}

int ovs_of_encode_set_config(uint8_t *out, size_t cap, uint32_t xid, uint16_t flags,
                             uint16_t miss_send_len)
{
	struct wr w = {.p = out, .cap = cap};

	wr_hdr(&w, OVS_OF_T_SET_CONFIG, xid);
	wr_u16(&w, flags);
	wr_u16(&w, miss_send_len);
	return wr_done(&w);
}

int ovs_of_encode_error(uint8_t *out, size_t cap, uint32_t xid, uint16_t type, uint16_t code,
                        const uint8_t *data, size_t data_len)
{
	struct wr w = {.p = out, .cap = cap};

	/* §7.4.4 ofp_error_msg */
	wr_hdr(&w, OVS_OF_T_ERROR, xid);
	wr_u16(&w, type);
	wr_u16(&w, code);
	wr_bytes(&w, data, data_len);
	return wr_done(&w);
}

static void decode_port(const uint8_t *p, struct ovs_of_port_desc *d)
{
	/* §7.2.1 ofp_port: port_no, pad[4], hw_addr[6], pad2[2], name[16],
	 * config, state, curr, advertised, supported, peer, curr/max_speed */
	d->port_no = rd_u32(p);
	memcpy(d->hw_addr, p + 8, 6);
	memcpy(d->name, p + 16, 16);
	d->name[16] = 0;
	d->config = rd_u32(p + 32);
	d->state = rd_u32(p + 36);
}

static uint64_t rd_u64(const uint8_t *p)
{
	return (uint64_t)rd_u32(p) << 32 | rd_u32(p + 4);
}

/* §7.2.2.1 ofp_match (OXM) at b, at most len octets; fills the fields keel
 * uses. Returns the match's padded length, or -EPROTO. */
static int decode_match(const uint8_t *b, size_t len, struct ovs_of_flow *f, bool *other)
{
	size_t mlen, off = 4;

	if (len < 4 || rd_u16(b) != OFPMT_OXM)
		return -EPROTO;
	mlen = rd_u16(b + 2);
	if (mlen < 4 || mlen > len)
		return -EPROTO;
	while (off < mlen) {
		uint16_t cls;
		uint8_t field, olen;
		const uint8_t *v;

		/* §7.2.3.2 OXM TLV header: class, field|hasmask, length */
		if (mlen - off < 4)
			return -EPROTO;
		cls = rd_u16(b + off);
		field = b[off + 2] >> 1;
		olen = b[off + 3];
		v = b + off + 4;
		if (olen > mlen - off - 4)
			return -EPROTO;
		if (cls == OFPXMC_OPENFLOW && (b[off + 2] & 1) && field == OFPXMT_ETH_DST &&
		    olen == 12) {
			f->has_dl_dst = f->has_dl_dst_mask = true;
			memcpy(f->dl_dst, v, 6);
			memcpy(f->dl_dst_mask, v + 6, 6);
		} else if (cls != OFPXMC_OPENFLOW || (b[off + 2] & 1))
			*other = true;
		else if (field == OFPXMT_IN_PORT && olen == 4) {
			f->has_in_port = true;
			f->in_port = rd_u32(v);
		} else if (field == OFPXMT_ETH_DST && olen == 6) {
			f->has_dl_dst = true;
			memcpy(f->dl_dst, v, 6);
		} else if (field == OFPXMT_ETH_SRC && olen == 6) {
			f->has_dl_src = true;
			memcpy(f->dl_src, v, 6);
		} else if (field == OFPXMT_VLAN_VID && olen == 2) {
			f->has_vlan_vid = true;
			f->vlan_vid = rd_u16(v);
		} else {
			*other = true;
		}
		off += 4 + (size_t)olen;
	}
	/* the padding to 8 may be absent only at the very end */
	return (int)((mlen + 7) / 8 * 8 < len ? (mlen + 7) / 8 * 8 : len);
}

static int decode_hello(const uint8_t *b, size_t len, struct ovs_of_msg *m)
{
	size_t off = 0;

	/* §7.5.1: elements are TLVs padded to 8; unknown types are skipped */
	while (len - off >= 4) {
		uint16_t type = rd_u16(b + off), elen = rd_u16(b + off + 2);
		size_t padded = ((size_t)elen + 7) / 8 * 8;

		if (elen < 4 || elen > len - off)
			return -EPROTO;
		if (type == OFPHET_VERSIONBITMAP) {
			if (elen < 8)
				return -EPROTO;
			/* only the first bitmap word (versions 0..31) matters to us */
			m->u.hello.bitmap = rd_u32(b + off + 4);
		}
		/* the last element's padding may be cut off by the message end */
		off += padded < len - off ? padded : len - off;
	}
	return 0;
}

int ovs_of_decode(const uint8_t *buf, size_t len, struct ovs_of_msg *m)
{
	const uint8_t *b;
	size_t blen;
	uint16_t mlen;

	if (len < OFP_HDR)
		return 0;
	mlen = rd_u16(buf + 2);
	if (mlen < OFP_HDR)
		return -EPROTO;
	if (len < mlen)
		return 0;
	memset(m, 0, sizeof(*m));
	m->version = buf[0];
	m->type = buf[1];
	m->length = mlen;
	m->xid = rd_u32(buf + 4);
	b = buf + OFP_HDR;
	blen = mlen - OFP_HDR;

	/* §6.3.1: HELLO must parse in any version; for everything else we
	 * only understand 1.3 bodies, and ERROR's first two fields are the
	 * same in every version. */
	if (m->type == OVS_OF_T_HELLO)
		return decode_hello(b, blen, m) < 0 ? -EPROTO : mlen;
	if (m->type == OVS_OF_T_ERROR) {
		if (blen < 4)
			return -EPROTO;
		m->u.error.type = rd_u16(b);
		m->u.error.code = rd_u16(b + 2);
		m->u.error.data = b + 4;
		m->u.error.data_len = blen - 4;
		return mlen;
	}
	if (m->version != OVS_OF_VERSION)
		return mlen;
	switch (m->type) {
	case OVS_OF_T_ECHO_REQUEST:
	case OVS_OF_T_ECHO_REPLY:
		m->u.echo.data = b;
		m->u.echo.data_len = blen;
		break;
	case OVS_OF_T_PORT_STATUS:
		/* §7.4.3: reason, pad[7], ofp_port */
		if (blen != 8 + OFP_PORT_LEN)
			return -EPROTO;
		m->u.port_status.reason = b[0];
		decode_port(b + 8, &m->u.port_status.desc);
		break;
	case OVS_OF_T_FLOW_REMOVED:
		/* §7.4.2: cookie, priority, reason, table_id, duration_sec,
		 * duration_nsec, idle_timeout, hard_timeout, packet_count,
		 * byte_count (40 octets), then the match */
		if (blen < 40 + 4)
			return -EPROTO;
		m->u.flow_removed.flow.cookie = rd_u64(b);
		m->u.flow_removed.flow.priority = rd_u16(b + 8);
		m->u.flow_removed.reason = b[10];
		m->u.flow_removed.flow.table = b[11];
		if (decode_match(b + 40, blen - 40, &m->u.flow_removed.flow,
		                 &m->u.flow_removed.other_fields) < 0)
			return -EPROTO;
		break;
	case OVS_OF_T_MULTIPART_REPLY:
		/* §7.3.5: type, flags, pad[4], body */
		if (blen < 8)
			return -EPROTO;
		m->u.multipart.type = rd_u16(b);
		m->u.multipart.flags = rd_u16(b + 2);
		m->u.multipart.body = b + 8;
		m->u.multipart.body_len = blen - 8;
		if (m->u.multipart.type == OFPMP_PORT_DESC) {
			if (m->u.multipart.body_len % OFP_PORT_LEN)
				return -EPROTO;
			m->u.multipart.n_ports = m->u.multipart.body_len / OFP_PORT_LEN;
		}
		break;
	default:
		break;
	}
	return mlen;
}

int ovs_of_port_desc_at(const struct ovs_of_msg *m, size_t i, struct ovs_of_port_desc *out)
{
	if (m->type != OVS_OF_T_MULTIPART_REPLY || m->u.multipart.type != OFPMP_PORT_DESC ||
	    i >= m->u.multipart.n_ports)
		return -EINVAL;
	decode_port(m->u.multipart.body + i * OFP_PORT_LEN, out);
	return 0;
}

int ovs_of_negotiate(uint32_t ours, const struct ovs_of_msg *peer)
{
	uint32_t common;
	int v;

	/* §6.3.1: with bitmaps on both sides the highest common bit wins;
	 * without one the negotiated version is min(ours, theirs). */
	if (peer->type != OVS_OF_T_HELLO)
		return -1;
	if (peer->u.hello.bitmap)
		common = ours & peer->u.hello.bitmap;
	else
		common = ours & (peer->version >= 31 ? 0xffffffffu : (2u << peer->version) - 1);
	for (v = 31; v >= 0; v--)
		if (common & (1u << v))
			return v;
	return -1;
}

const char *ovs_of_type_name(uint8_t type)
{
	static const char *const names[] = {
	        [OVS_OF_T_HELLO] = "HELLO",
	        [OVS_OF_T_ERROR] = "ERROR",
	        [OVS_OF_T_ECHO_REQUEST] = "ECHO_REQUEST",
	        [OVS_OF_T_ECHO_REPLY] = "ECHO_REPLY",
	        [OVS_OF_T_EXPERIMENTER] = "EXPERIMENTER",
	        [OVS_OF_T_FEATURES_REQUEST] = "FEATURES_REQUEST",
	        [OVS_OF_T_FEATURES_REPLY] = "FEATURES_REPLY",
	        [OVS_OF_T_SET_CONFIG] = "SET_CONFIG",
	        [OVS_OF_T_PACKET_IN] = "PACKET_IN",
	        [OVS_OF_T_FLOW_REMOVED] = "FLOW_REMOVED",
	        [OVS_OF_T_PORT_STATUS] = "PORT_STATUS",
	        [OVS_OF_T_FLOW_MOD] = "FLOW_MOD",
	        [OVS_OF_T_PORT_MOD] = "PORT_MOD",
	        [OVS_OF_T_MULTIPART_REQUEST] = "MULTIPART_REQUEST",
	        [OVS_OF_T_MULTIPART_REPLY] = "MULTIPART_REPLY",
	        [OVS_OF_T_BARRIER_REQUEST] = "BARRIER_REQUEST",
	        [OVS_OF_T_BARRIER_REPLY] = "BARRIER_REPLY",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "UNKNOWN";
}
