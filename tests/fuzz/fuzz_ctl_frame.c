/*
 * Fuzz target for the ctl frame codec (lib/ctl_frame.c).
 *
 * For every input: ctl_frame_decode() must not crash and must leave the
 * strings terminated. For a frame it accepts:
 *  - protobuf-c must accept the same bytes and see the same fields (the
 *    hand-written decoder must not be more lenient than the reference);
 *  - encode -> decode must give back the same frame, and the encoding must be
 *    stable (encode(decode(encode(f))) == encode(f)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl.h"

static void check_same(const struct ctl_frame *a, const struct ctl_frame *b)
{
	if (a->id != b->id || a->kind != b->kind || strcmp(a->method, b->method) != 0 ||
	    a->payload_len != b->payload_len || a->code != b->code ||
	    strcmp(a->error, b->error) != 0 ||
	    (a->payload_len && memcmp(a->payload, b->payload, a->payload_len) != 0))
		abort();
}

static void check_protobuf_c(const uint8_t *data, size_t size, const struct ctl_frame *f)
{
	Keel__Ctl__Frame *m = keel__ctl__frame__unpack(NULL, size, data);

	if (!m)
		abort();
	if (m->id != f->id || (uint32_t)m->kind != (uint32_t)f->kind ||
	    strcmp(m->method, f->method) != 0 || m->payload.len != f->payload_len ||
	    (f->payload_len && memcmp(m->payload.data, f->payload, f->payload_len) != 0) ||
	    m->code != f->code || strcmp(m->error, f->error) != 0)
		abort();
	keel__ctl__frame__free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[CTL_MAX_FRAME], enc2[CTL_MAX_FRAME];
	struct ctl_frame f, g, h;
	ssize_t n, n2;
	int rc;

	rc = ctl_frame_decode(data, size, &f);
	if (strnlen(f.method, sizeof(f.method)) > CTL_MAX_METHOD ||
	    strnlen(f.error, sizeof(f.error)) > CTL_MAX_ERROR)
		abort();
	if (rc != 0) {
		if (rc != CTL_ERR_MALFORMED && rc != CTL_ERR_TOO_BIG)
			abort();
		if (rc == CTL_ERR_TOO_BIG && size <= CTL_MAX_FRAME)
			abort();
		return 0;
	}
	if (size > CTL_MAX_FRAME)
		abort();
	check_protobuf_c(data, size, &f);
	/* canonical re-encoding is never longer than the input: protobuf-c omits
	 * defaults and duplicates, so it always fits */
	n = ctl_frame_encode(&f, enc, sizeof(enc));
	if (n < 0)
		abort();
	if (ctl_frame_decode(enc, (size_t)n, &g) != 0)
		abort();
	check_same(&f, &g);
	n2 = ctl_frame_encode(&g, enc2, sizeof(enc2));
	if (n2 != n || memcmp(enc, enc2, (size_t)n) != 0)
		abort();
	if (ctl_frame_decode(enc2, (size_t)n2, &h) != 0)
		abort();
	check_same(&g, &h);
	return 0;
}
