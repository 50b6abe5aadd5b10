/*
 * Pure ctl frame codec (lib/ctl_frame.c): good, truncated, oversized and
 * malformed frames, and the name/topic helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ctl.h"

static struct ctl_frame frame_make(uint32_t id, enum ctl_frame_kind kind, const char *method,
                                   const void *payload, size_t len)
{
	struct ctl_frame f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.kind = kind;
	snprintf(f.method, sizeof(f.method), "%s", method);
	f.payload = payload;
	f.payload_len = len;
	return f;
}

static void test_round_trip_every_kind(void **state)
{
	static const enum ctl_frame_kind kinds[] = {CTL_FRAME_REQUEST, CTL_FRAME_REPLY,
	                                            CTL_FRAME_END, CTL_FRAME_ERROR,
	                                            CTL_FRAME_EVENT};
	const uint8_t payload[] = {0x0a, 0x03, 'a', 'b', 'c', 0x00, 0xff};
	uint8_t buf[256];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct ctl_frame f = frame_make(0xfffffff0u + (uint32_t)i, kinds[i],
		                                "bfd.session-x_1", payload, sizeof(payload)),
		                 d;
		ssize_t n;

		if (kinds[i] == CTL_FRAME_ERROR) {
			f.code = CTL_ERR_INVALID;
			snprintf(f.error, sizeof(f.error), "bad flag 'x' — ünïcode");
		}
		n = ctl_frame_encode(&f, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(ctl_frame_decode(buf, (size_t)n, &d), 0);
		assert_int_equal(d.id, f.id);
		assert_int_equal(d.kind, kinds[i]);
		assert_string_equal(d.method, "bfd.session-x_1");
		assert_int_equal(d.payload_len, sizeof(payload));
		/* zero copy: the payload points into the input */
		assert_true(d.payload >= buf && d.payload + d.payload_len <= buf + n);
		assert_memory_equal(d.payload, payload, sizeof(payload));
		assert_int_equal(d.code, f.code);
		assert_string_equal(d.error, f.error);
	}
}

static void test_minimal_frames(void **state)
{
	struct ctl_frame f = frame_make(0, CTL_FRAME_END, "", NULL, 0), d;
	uint8_t buf[64];
	ssize_t n = ctl_frame_encode(&f, buf, sizeof(buf));

	/* proto3 omits defaults: END id 0 is kind (2 bytes) only */
	assert_int_equal(n, 2);
	assert_int_equal(ctl_frame_decode(buf, (size_t)n, &d), 0);
	assert_int_equal(d.kind, CTL_FRAME_END);
	assert_null(d.payload);
	assert_int_equal(d.payload_len, 0);
	/* a REQUEST with a method, nothing else */
	const uint8_t req[] = {0x1a, 0x07, 'm', 'e', 't', 'h', 'o', 'd', 's'};

	assert_int_equal(ctl_frame_decode(req, sizeof(req), &d), 0);
	assert_int_equal(d.kind, CTL_FRAME_REQUEST);
	assert_string_equal(d.method, "methods");
	assert_int_equal(d.id, 0);
}

static void test_empty_and_null(void **state)
{
	struct ctl_frame d;

	/* an empty frame is a REQUEST without a method */
	assert_int_equal(ctl_frame_decode((const uint8_t *)"", 0, &d), CTL_ERR_MALFORMED);
	assert_int_equal(ctl_frame_decode(NULL, 0, &d), CTL_ERR_MALFORMED);
	assert_int_equal(ctl_frame_decode(NULL, 5, &d), CTL_ERR_MALFORMED);
}

static void test_truncated(void **state)
{
	uint8_t payload[300], buf[512];
	struct ctl_frame f, d;
	ssize_t n;

	memset(payload, 0x5a, sizeof(payload));
	f = frame_make(123456, CTL_FRAME_REQUEST, "show.route", payload, sizeof(payload));
	n = ctl_frame_encode(&f, buf, sizeof(buf));
	assert_true(n > (ssize_t)sizeof(payload));
	/* every prefix that cuts into the payload (the last field) is malformed;
	 * protobuf has no end marker, so a cut at a field boundary is a shorter
	 * valid frame, which must still decode to the fields seen so far */
	size_t payload_start = (size_t)n - sizeof(payload);

	for (size_t len = 0; len < (size_t)n; len++) {
		int rc = ctl_frame_decode(buf, len, &d);

		if (len > payload_start - 3 && len < (size_t)n)
			assert_int_equal(rc, CTL_ERR_MALFORMED);
		if (rc == 0)
			assert_int_equal(d.kind, CTL_FRAME_REQUEST);
	}
	/* a method cut short */
	const uint8_t cut[] = {0x08, 0x01, 0x1a, 0x07, 'm', 'e', 't'};

	assert_int_equal(ctl_frame_decode(cut, sizeof(cut), &d), CTL_ERR_MALFORMED);
	assert_int_equal(d.id, 1); /* seen before the damage */
	/* a varint cut short */
	const uint8_t cutv[] = {0x08, 0xff, 0xff};

	assert_int_equal(ctl_frame_decode(cutv, sizeof(cutv), &d), CTL_ERR_MALFORMED);
}

static void test_oversized(void **state)
{
	size_t plen = CTL_MAX_FRAME + 100;
	uint8_t *payload = calloc(1, plen), *buf = malloc(plen + 64);
	Keel__Ctl__Frame m = KEEL__CTL__FRAME__INIT;
	struct ctl_frame d, f;
	size_t n;

	assert_non_null(payload);
	assert_non_null(buf);
	m.id = 77;
	m.method = "big";
	m.payload.data = payload;
	m.payload.len = plen;
	n = keel__ctl__frame__pack(&m, buf);
	assert_true(n > CTL_MAX_FRAME);
	/* whole, and as the server sees it (CTL_MAX_FRAME + 1 bytes kept) */
	assert_int_equal(ctl_frame_decode(buf, n, &d), CTL_ERR_TOO_BIG);
	assert_int_equal(d.id, 77);
	assert_int_equal(ctl_frame_decode(buf, CTL_MAX_FRAME + 1, &d), CTL_ERR_TOO_BIG);
	assert_int_equal(d.id, 77);
	/* the encoder refuses to build one */
	f = frame_make(1, CTL_FRAME_REPLY, "", payload, CTL_MAX_FRAME);
	assert_int_equal(ctl_frame_encode(&f, buf, plen + 64), -1);
	/* exactly at the limit is fine */
	f.payload_len = CTL_MAX_FRAME - 16;
	ssize_t e = ctl_frame_encode(&f, buf, plen + 64);

	assert_true(e > 0 && e <= CTL_MAX_FRAME);
	assert_int_equal(ctl_frame_decode(buf, (size_t)e, &d), 0);
	assert_int_equal(d.payload_len, CTL_MAX_FRAME - 16);
	free(payload);
	free(buf);
}

struct bad_case {
	const char *what;
	uint8_t bytes[96];
	size_t len;
};

static void test_malformed(void **state)
{
	static const struct bad_case cases[] = {
	        {"kind 5", {0x10, 0x05, 0x1a, 0x01, 'a'}, 5},
	        {"kind huge", {0x10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1a, 0x01, 'a'}, 9},
	        {"method upper case", {0x1a, 0x03, 'A', 'b', 'c'}, 5},
	        {"method space", {0x1a, 0x03, 'a', ' ', 'c'}, 5},
	        {"method slash", {0x1a, 0x03, 'a', '/', 'c'}, 5},
	        {"method NUL", {0x1a, 0x03, 'a', 0, 'c'}, 5},
	        {"method high byte", {0x1a, 0x02, 'a', 0xc3}, 4},
	        {"request without method", {0x08, 0x05}, 2},
	        {"event without method", {0x10, 0x04}, 2},
	        {"error with NUL", {0x10, 0x03, 0x32, 0x03, 'a', 0, 'b'}, 7},
	        {"id as bytes", {0x0a, 0x01, 0x01, 0x1a, 0x01, 'a'}, 6},
	        {"method as varint", {0x18, 0x01}, 2},
	        {"payload as fixed32", {0x25, 1, 2, 3, 4, 0x1a, 0x01, 'a'}, 8},
	        {"field 0", {0x00, 0x01, 0x1a, 0x01, 'a'}, 5},
	        {"start group", {0x1a, 0x01, 'a', 0x7b}, 4},
	        {"end group", {0x1a, 0x01, 'a', 0x7c}, 4},
	        {"wire type 6", {0x1a, 0x01, 'a', 0x7e, 0x00}, 5},
	        {"wire type 7", {0x1a, 0x01, 'a', 0x7f, 0x00}, 5},
	        {"varint of 11 bytes",
	         {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a,
	          0x01, 'a'},
	         15},
	        {"tag of 6 bytes", {0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x1a, 0x01, 'a'}, 10},
	        {"tag above 32 bits", {0xf8, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x1a, 0x01, 'a'}, 9},
	        {"length past the end", {0x1a, 0x05, 'a', 'b'}, 4},
	        {"length prefix of 6 bytes", {0x1a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00}, 7},
	        {"length of 4 GB", {0x22, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1a, 0x01, 'a'}, 9},
	        {"unknown fixed64 cut", {0x1a, 0x01, 'a', 0x79, 1, 2, 3}, 7},
	        {"unknown fixed32 cut", {0x1a, 0x01, 'a', 0x7d, 1, 2}, 6},
	};
	struct ctl_frame d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ctl_frame_decode(cases[i].bytes, cases[i].len, &d);

		if (rc != CTL_ERR_MALFORMED)
			fail_msg("%s: got %d", cases[i].what, rc);
	}
}

static void test_length_limits(void **state)
{
	uint8_t buf[1024];
	struct ctl_frame d;
	size_t n = 0;

	/* method of CTL_MAX_METHOD characters: ok; one more: malformed */
	buf[n++] = 0x1a;
	buf[n++] = CTL_MAX_METHOD;
	memset(buf + n, 'm', CTL_MAX_METHOD);
	n += CTL_MAX_METHOD;
	assert_int_equal(ctl_frame_decode(buf, n, &d), 0);
	assert_int_equal(strlen(d.method), CTL_MAX_METHOD);
	n = 0;
	buf[n++] = 0x1a;
	buf[n++] = CTL_MAX_METHOD + 1;
	memset(buf + n, 'm', CTL_MAX_METHOD + 1);
	n += CTL_MAX_METHOD + 1;
	assert_int_equal(ctl_frame_decode(buf, n, &d), CTL_ERR_MALFORMED);

	/* error text of CTL_MAX_ERROR bytes: ok; one more: malformed */
	for (size_t extra = 0; extra < 2; extra++) {
		size_t elen = CTL_MAX_ERROR + extra;

		n = 0;
		buf[n++] = 0x10;
		buf[n++] = CTL_FRAME_ERROR;
		buf[n++] = 0x32;
		buf[n++] = (uint8_t)(0x80 | (elen & 0x7f));
		buf[n++] = (uint8_t)(elen >> 7);
		memset(buf + n, 'e', elen);
		n += elen;
		assert_int_equal(ctl_frame_decode(buf, n, &d), extra ? CTL_ERR_MALFORMED : 0);
	}
	assert_int_equal(strlen(d.error), 0); /* cleared on failure */
}

static void test_unknown_fields_and_last_wins(void **state)
{
	const uint8_t buf[] = {
	        0x08, 0x01,                                  /* id 1 */
	        0x78, 0x96, 0x01,                            /* field 15 varint */
	        0x79, 1,    2,    3,    4,    5,    6, 7, 8, /* field 15 fixed64 */
	        0x7a, 0x02, 'z',  'z',                       /* field 15 bytes */
	        0x7d, 1,    2,    3,    4,                   /* field 15 fixed32 */
	        0x1a, 0x01, 'a',                             /* method "a" */
	        0x08, 0x82, 0x80, 0x80, 0x80, 0x10,          /* id again: 2 (+bit 32 dropped) */
	        0x1a, 0x02, 'b',  'c',                       /* method "bc" wins */
	        0x10, 0x01,                                  /* REPLY */
	        0x28, 0x07,                                  /* code 7 */
	        0x80, 0x80, 0x04, 0x00,                      /* field 8192 varint */
	};
	struct ctl_frame d;

	assert_int_equal(ctl_frame_decode(buf, sizeof(buf), &d), 0);
	assert_int_equal(d.id, 2);
	assert_string_equal(d.method, "bc");
	assert_int_equal(d.kind, CTL_FRAME_REPLY);
	assert_int_equal(d.code, 7);
}

static void test_encode_refuses(void **state)
{
	uint8_t buf[128];
	struct ctl_frame f;

	f = frame_make(1, CTL_FRAME_REQUEST, "", NULL, 0);
	assert_int_equal(ctl_frame_encode(&f, buf, sizeof(buf)), -1);
	f = frame_make(1, CTL_FRAME_EVENT, "", NULL, 0);
	assert_int_equal(ctl_frame_encode(&f, buf, sizeof(buf)), -1);
	f = frame_make(1, CTL_FRAME_REQUEST, "Upper", NULL, 0);
	assert_int_equal(ctl_frame_encode(&f, buf, sizeof(buf)), -1);
	f = frame_make(1, (enum ctl_frame_kind)9, "x", NULL, 0);
	assert_int_equal(ctl_frame_encode(&f, buf, sizeof(buf)), -1);
	f = frame_make(1, CTL_FRAME_REPLY, "", NULL, 4);
	assert_int_equal(ctl_frame_encode(&f, buf, sizeof(buf)), -1);
	/* does not fit the caller's buffer */
	f = frame_make(1, CTL_FRAME_REQUEST, "daemon.info", NULL, 0);
	assert_int_equal(ctl_frame_encode(&f, buf, 5), -1);
	assert_true(ctl_frame_encode(&f, buf, sizeof(buf)) > 5);
}

static void test_names(void **state)
{
	char long_name[CTL_MAX_METHOD + 2];

	assert_true(ctl_name_valid("daemon.info"));
	assert_true(ctl_name_valid("a-b_c.9*"));
	assert_false(ctl_name_valid(""));
	assert_false(ctl_name_valid(NULL));
	assert_false(ctl_name_valid("Show"));
	assert_false(ctl_name_valid("a b"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(ctl_name_valid(long_name));
	long_name[CTL_MAX_METHOD] = '\0';
	assert_true(ctl_name_valid(long_name));

	assert_true(ctl_topic_pattern_valid("bfd.session"));
	assert_true(ctl_topic_pattern_valid("bfd.*"));
	assert_true(ctl_topic_pattern_valid("*"));
	assert_false(ctl_topic_pattern_valid("bfd.*.up"));
	assert_false(ctl_topic_pattern_valid("**"));

	assert_true(ctl_topic_match("bfd.session", "bfd.session"));
	assert_false(ctl_topic_match("bfd.session", "bfd.session2"));
	assert_false(ctl_topic_match("bfd.session", "bfd"));
	assert_true(ctl_topic_match("bfd.*", "bfd.session"));
	assert_true(ctl_topic_match("bfd.*", "bfd."));
	assert_false(ctl_topic_match("bfd.*", "bfd"));
	assert_false(ctl_topic_match("bfd.*", "ribd.route"));
	assert_true(ctl_topic_match("*", "anything"));

	assert_string_equal(ctl_err_name(CTL_ERR_DENIED), "denied");
	assert_string_equal(ctl_err_name(CTL_ERR_BUSY), "busy");
	assert_string_equal(ctl_err_name(-1), "io-error");
	assert_string_equal(ctl_err_name(99), "unknown");
	assert_string_equal(ctl_frame_kind_name(CTL_FRAME_EVENT), "event");
	assert_string_equal(ctl_frame_kind_name((enum ctl_frame_kind)42), "unknown");
}

/* protobuf-c must read what ctl_frame_encode() writes (other peers use it). */
static void test_protobuf_c_agrees(void **state)
{
	const uint8_t payload[] = {1, 2, 3};
	struct ctl_frame f = frame_make(99, CTL_FRAME_ERROR, "x.y", payload, sizeof(payload));
	Keel__Ctl__Frame *m;
	uint8_t buf[128];
	ssize_t n;

	f.code = CTL_ERR_DENIED;
	snprintf(f.error, sizeof(f.error), "denied");
	n = ctl_frame_encode(&f, buf, sizeof(buf));
	assert_true(n > 0);
	m = keel__ctl__frame__unpack(NULL, (size_t)n, buf);
	assert_non_null(m);
	assert_int_equal(m->id, 99);
	assert_int_equal(m->kind, KEEL__CTL__FRAME_KIND__FRAME_ERROR);
	assert_string_equal(m->method, "x.y");
	assert_int_equal(m->payload.len, 3);
	assert_int_equal(m->code, CTL_ERR_DENIED);
	assert_string_equal(m->error, "denied");
	keel__ctl__frame__free_unpacked(m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip_every_kind),
	        cmocka_unit_test(test_minimal_frames),
	        cmocka_unit_test(test_empty_and_null),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_oversized),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_length_limits),
	        cmocka_unit_test(test_unknown_fields_and_last_wins),
	        cmocka_unit_test(test_encode_refuses),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_protobuf_c_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
