/*
 * Pure codec for keel.ctl.Frame (lib/proto/ctl.proto): bytes in, struct out.
 *
 * Decoding is done by hand over a bounds-checked reader instead of
 * keel__ctl__frame__unpack() so that it allocates nothing, leaves `payload`
 * pointing into the caller's buffer, and applies the ctl rules (kind range,
 * method charset and length, error length) in the same pass. It follows the
 * protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
 * as protobuf-c 1.4 reads it: last value wins for repeated scalars, unknown
 * fields are skipped, groups are refused. tests/fuzz/fuzz_ctl_frame.c checks
 * that every frame accepted here is also accepted by protobuf-c with the same
 * fields. Encoding uses protobuf-c's packer.
 */
#include "lib/ctl.h"

#include <string.h>

enum pb_wire {
	PB_WIRE_VARINT = 0,
	PB_WIRE_FIXED64 = 1,
	PB_WIRE_LEN = 2,
	PB_WIRE_SGROUP = 3,
	PB_WIRE_EGROUP = 4,
	PB_WIRE_FIXED32 = 5,
};

enum frame_field {
	FRAME_FIELD_ID = 1,
	FRAME_FIELD_KIND = 2,
	FRAME_FIELD_METHOD = 3,
	FRAME_FIELD_PAYLOAD = 4,
	FRAME_FIELD_CODE = 5,
	FRAME_FIELD_ERROR = 6,
};

struct pb_reader {
	const uint8_t *p;
	const uint8_t *end;
};

/* A varint of at most max_bytes bytes (10 for values, 5 for tags and length
 * prefixes, as protobuf-c reads them). */
static int pb_varint(struct pb_reader *r, unsigned max_bytes, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < max_bytes; i++) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;

		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int pb_skip(struct pb_reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	r->p += n;
	return 0;
}

static int pb_bytes(struct pb_reader *r, const uint8_t **data, size_t *len)
{
	uint64_t n;

	if (pb_varint(r, 5, &n) < 0 || n > (uint64_t)(r->end - r->p))
		return -1;
	*data = r->p;
	*len = (size_t)n;
	r->p += n;
	return 0;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '*' || c == '-';
}

static bool name_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > CTL_MAX_METHOD)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

bool ctl_name_valid(const char *name)
{
	return name && name_valid_n(name, strnlen(name, CTL_MAX_METHOD + 1));
}

bool ctl_topic_pattern_valid(const char *pattern)
{
	if (!ctl_name_valid(pattern))
		return false;
	const char *star = strchr(pattern, '*');

	return !star || star[1] == '\0';
}

bool ctl_topic_match(const char *pattern, const char *topic)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, topic, n - 1) == 0;
	return strcmp(pattern, topic) == 0;
}

static bool kind_valid(uint64_t k)
{
	/* proto3 enums are open; protobuf-c keeps the low 32 bits as int32. */
	uint32_t v = (uint32_t)k;

	return v <= (uint32_t)CTL_FRAME_EVENT;
}

static int frame_parse(const uint8_t *buf, size_t len, struct ctl_frame *out)
{
	struct pb_reader r = {buf, buf + len};

	while (r.p < r.end) {
		uint64_t key, v;
		const uint8_t *data;
		size_t n;

		if (pb_varint(&r, 5, &key) < 0 || key > UINT32_MAX || (key >> 3) == 0)
			return CTL_ERR_MALFORMED;
		unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);

		switch (field) {
		case FRAME_FIELD_ID:
		case FRAME_FIELD_KIND:
		case FRAME_FIELD_CODE:
			if (wire != PB_WIRE_VARINT || pb_varint(&r, 10, &v) < 0)
				return CTL_ERR_MALFORMED;
			if (field == FRAME_FIELD_ID) {
				out->id = (uint32_t)v;
			} else if (field == FRAME_FIELD_CODE) {
				out->code = (uint32_t)v;
			} else {
				if (!kind_valid(v))
					return CTL_ERR_MALFORMED;
				out->kind = (enum ctl_frame_kind)(uint32_t)v;
			}
			break;
		case FRAME_FIELD_METHOD:
			if (wire != PB_WIRE_LEN || pb_bytes(&r, &data, &n) < 0)
				return CTL_ERR_MALFORMED;
			/* an empty string is the proto3 default: "no method" */
			if (n > 0 && !name_valid_n((const char *)data, n))
				return CTL_ERR_MALFORMED;
			memcpy(out->method, data, n);
			out->method[n] = '\0';
			break;
		case FRAME_FIELD_PAYLOAD:
			if (wire != PB_WIRE_LEN || pb_bytes(&r, &data, &n) < 0)
				return CTL_ERR_MALFORMED;
			out->payload = n ? data : NULL;
			out->payload_len = n;
			break;
		case FRAME_FIELD_ERROR:
			if (wire != PB_WIRE_LEN || pb_bytes(&r, &data, &n) < 0)
				return CTL_ERR_MALFORMED;
			/* a C string cannot carry NUL; a peer that sends one is broken */
			if (n > CTL_MAX_ERROR || memchr(data, '\0', n))
				return CTL_ERR_MALFORMED;
			memcpy(out->error, data, n);
			out->error[n] = '\0';
			break;
		default:
			/* unknown field: skip it by its wire type */
			switch (wire) {
			case PB_WIRE_VARINT:
				if (pb_varint(&r, 10, &v) < 0)
					return CTL_ERR_MALFORMED;
				break;
			case PB_WIRE_FIXED64:
				if (pb_skip(&r, 8) < 0)
					return CTL_ERR_MALFORMED;
				break;
			case PB_WIRE_LEN:
				if (pb_bytes(&r, &data, &n) < 0)
					return CTL_ERR_MALFORMED;
				break;
			case PB_WIRE_FIXED32:
				if (pb_skip(&r, 4) < 0)
					return CTL_ERR_MALFORMED;
				break;
			default: /* groups and reserved wire types */
				return CTL_ERR_MALFORMED;
			}
		}
	}
	return 0;
}

int ctl_frame_decode(const uint8_t *buf, size_t len, struct ctl_frame *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = CTL_FRAME_REQUEST;
	if (!buf && len)
		return CTL_ERR_MALFORMED;
	if (len > CTL_MAX_FRAME) {
		/* Only to learn the id for the ERROR reply: protobuf-c writes field 1
		 * first, so it precedes the payload that made the frame too big. */
		frame_parse(buf, len, out);
		return CTL_ERR_TOO_BIG;
	}
	rc = frame_parse(buf, len, out);
	if (rc)
		return rc;
	if ((out->kind == CTL_FRAME_REQUEST || out->kind == CTL_FRAME_EVENT) && !out->method[0])
		return CTL_ERR_MALFORMED;
	return 0;
}

ssize_t ctl_frame_encode(const struct ctl_frame *f, uint8_t *buf, size_t len)
{
	Keel__Ctl__Frame m = KEEL__CTL__FRAME__INIT;
	size_t mlen = strnlen(f->method, sizeof(f->method));
	size_t need;

	/* Never emit what ctl_frame_decode() would refuse. */
	if (!kind_valid((uint64_t)f->kind) || mlen > CTL_MAX_METHOD ||
	    strnlen(f->error, sizeof(f->error)) > CTL_MAX_ERROR)
		return -1;
	if (mlen ? !name_valid_n(f->method, mlen)
	         : (f->kind == CTL_FRAME_REQUEST || f->kind == CTL_FRAME_EVENT))
		return -1;
	if (f->payload_len && !f->payload)
		return -1;
	m.id = f->id;
	m.kind = (Keel__Ctl__FrameKind)f->kind;
	m.method = (char *)f->method;
	m.payload.data = (uint8_t *)f->payload;
	m.payload.len = f->payload_len;
	m.code = f->code;
	m.error = (char *)f->error;
	need = keel__ctl__frame__get_packed_size(&m);
	if (need > len || need > CTL_MAX_FRAME)
		return -1;
	return (ssize_t)keel__ctl__frame__pack(&m, buf);
}

const char *ctl_frame_kind_name(enum ctl_frame_kind k)
{
	switch (k) {
	case CTL_FRAME_REQUEST:
		return "request";
	case CTL_FRAME_REPLY:
		return "reply";
	case CTL_FRAME_END:
		return "end";
	case CTL_FRAME_ERROR:
		return "error";
	case CTL_FRAME_EVENT:
		return "event";
	}
	return "unknown";
}

const char *ctl_err_name(int code)
{
	switch (code) {
	case CTL_ERR_NONE:
		return "ok";
	case CTL_ERR_MALFORMED:
		return "malformed";
	case CTL_ERR_TOO_BIG:
		return "too-big";
	case CTL_ERR_NO_METHOD:
		return "no-method";
	case CTL_ERR_DENIED:
		return "denied";
	case CTL_ERR_INVALID:
		return "invalid";
	case CTL_ERR_FAILED:
		return "failed";
	case CTL_ERR_BUSY:
		return "busy";
	}
	return code < 0 ? "io-error" : "unknown";
}
