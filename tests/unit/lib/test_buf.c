/*
 * lib/buf: every width in both directions, exact fit, off-by-one overrun,
 * sticky errors, sub-reader bounds, reserve and back-patch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

static const uint8_t pattern[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                  0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0};

static void test_read_widths(void **state)
{
	struct rbuf r;
	uint8_t v8;
	uint16_t v16;
	uint32_t v24, v32;
	uint64_t v64;

	rbuf_init(&r, pattern, sizeof(pattern));
	assert_true(rbuf_u8(&r, &v8));
	assert_int_equal(v8, 0x01);
	assert_true(rbuf_u16(&r, &v16));
	assert_int_equal(v16, 0x0203);
	assert_true(rbuf_u24(&r, &v24));
	assert_int_equal(v24, 0x040506);
	assert_true(rbuf_u32(&r, &v32));
	assert_int_equal(v32, 0x0708899a);
	assert_int_equal(rbuf_left(&r), 6);
	assert_true(rbuf_skip(&r, 4));
	assert_true(rbuf_u16(&r, &v16));
	assert_int_equal(v16, 0xeff0);
	assert_int_equal(rbuf_left(&r), 0);
	/* u64 over the bytes with the high bit set, so no sign extension slips in. */
	rbuf_init(&r, pattern + 8, 8);
	assert_true(rbuf_u64(&r, &v64));
	assert_true(v64 == 0x899aabbccddeeff0ull);
	assert_int_equal(rbuf_left(&r), 0);
	assert_true(rbuf_ok(&r));
}

static void test_read_u32_exact(void **state)
{
	struct rbuf r;
	uint32_t v;

	rbuf_init(&r, pattern + 7, 4);
	assert_true(rbuf_u32(&r, &v));
	assert_int_equal(v, 0x08899aab);
	assert_int_equal(rbuf_left(&r), 0);
	assert_true(rbuf_ok(&r));
}

/* Each width reading exactly to the end succeeds; one byte short fails and sets err. */
static void test_read_exact_fit_and_overrun(void **state)
{
	struct rbuf r;
	uint8_t v8 = 0xff;
	uint16_t v16 = 0xffff;
	uint32_t v32 = 0xffffffff;
	uint64_t v64 = 1;

	rbuf_init(&r, pattern, 1);
	assert_true(rbuf_u8(&r, &v8));
	assert_false(rbuf_u8(&r, &v8));
	assert_int_equal(v8, 0);
	assert_false(rbuf_ok(&r));

	rbuf_init(&r, pattern, 2);
	assert_true(rbuf_u16(&r, &v16));
	assert_true(rbuf_ok(&r));
	rbuf_init(&r, pattern, 1);
	assert_false(rbuf_u16(&r, &v16));
	assert_int_equal(v16, 0);
	assert_int_equal(r.off, 0);
	assert_false(rbuf_ok(&r));

	rbuf_init(&r, pattern, 3);
	assert_true(rbuf_u24(&r, &v32));
	assert_int_equal(v32, 0x010203);
	rbuf_init(&r, pattern, 2);
	assert_false(rbuf_u24(&r, &v32));
	assert_int_equal(v32, 0);
	assert_false(rbuf_ok(&r));

	rbuf_init(&r, pattern, 4);
	assert_true(rbuf_u32(&r, &v32));
	rbuf_init(&r, pattern, 3);
	v32 = 7;
	assert_false(rbuf_u32(&r, &v32));
	assert_int_equal(v32, 0);
	assert_int_equal(r.off, 0);

	rbuf_init(&r, pattern, 8);
	assert_true(rbuf_u64(&r, &v64));
	assert_true(v64 == 0x0102030405060708ull);
	rbuf_init(&r, pattern, 7);
	assert_false(rbuf_u64(&r, &v64));
	assert_true(v64 == 0);
	assert_false(rbuf_ok(&r));
}

/* After one overrun nothing else succeeds, even a read that would fit. */
static void test_read_sticky(void **state)
{
	struct rbuf r;
	uint8_t v8;
	uint32_t v32;
	uint64_t v64;
	uint8_t out[2] = {0xee, 0xee};

	rbuf_init(&r, pattern, 5);
	assert_true(rbuf_u8(&r, &v8));
	assert_false(rbuf_u64(&r, &v64));
	assert_int_equal(r.off, 1);
	assert_false(rbuf_u8(&r, &v8));
	assert_false(rbuf_u32(&r, &v32));
	assert_false(rbuf_bytes(&r, out, 1));
	assert_int_equal(out[0], 0xee);
	assert_null(rbuf_ptr(&r, 0));
	assert_false(rbuf_skip(&r, 0));
	assert_int_equal(rbuf_left(&r), 0);
	assert_false(rbuf_ok(&r));
}

static void test_read_bytes_ptr_skip(void **state)
{
	struct rbuf r;
	uint8_t out[4];
	const uint8_t *q;

	rbuf_init(&r, pattern, sizeof(pattern));
	assert_true(rbuf_bytes(&r, out, 4));
	assert_memory_equal(out, pattern, 4);
	q = rbuf_ptr(&r, 4);
	assert_ptr_equal(q, pattern + 4);
	assert_true(rbuf_skip(&r, 7));
	assert_int_equal(rbuf_left(&r), 1);
	/* Zero-length borrow at the end is fine and non-NULL. */
	q = rbuf_ptr(&r, 0);
	assert_ptr_equal(q, pattern + 15);
	assert_false(rbuf_skip(&r, 2));
	assert_false(rbuf_ok(&r));

	rbuf_init(&r, pattern, 3);
	assert_null(rbuf_ptr(&r, 4));
	assert_int_equal(r.off, 0);

	/* SIZE_MAX must not wrap the bounds check. */
	rbuf_init(&r, pattern, 3);
	assert_true(rbuf_skip(&r, 1));
	assert_false(rbuf_skip(&r, SIZE_MAX));
	assert_int_equal(r.off, 1);
}

static void test_read_empty(void **state)
{
	struct rbuf r;
	uint8_t v;

	rbuf_init(&r, NULL, 0);
	assert_int_equal(rbuf_left(&r), 0);
	assert_non_null(rbuf_ptr(&r, 0));
	assert_true(rbuf_ok(&r));
	assert_false(rbuf_u8(&r, &v));
	assert_false(rbuf_ok(&r));
}

static void test_sub_reader(void **state)
{
	/* type 1, len 3, value 0xaa 0xbb 0xcc, then type 2, len 0 */
	static const uint8_t tlv[] = {0x01, 0x03, 0xaa, 0xbb, 0xcc, 0x02, 0x00};
	struct rbuf r, sub;
	uint8_t t, l, v;
	uint16_t v16;

	rbuf_init(&r, tlv, sizeof(tlv));
	assert_true(rbuf_u8(&r, &t));
	assert_true(rbuf_u8(&r, &l));
	assert_true(rbuf_sub(&r, l, &sub));
	assert_int_equal(rbuf_left(&sub), 3);
	assert_int_equal(r.off, 5);
	assert_true(rbuf_u16(&sub, &v16));
	assert_int_equal(v16, 0xaabb);
	/* The sub-reader stops at its own end although the parent has more bytes. */
	assert_false(rbuf_u16(&sub, &v16));
	assert_false(rbuf_ok(&sub));
	/* ...and its overrun does not poison the parent. */
	assert_true(rbuf_ok(&r));
	assert_true(rbuf_u8(&r, &t));
	assert_int_equal(t, 2);
	assert_true(rbuf_u8(&r, &l));
	assert_true(rbuf_sub(&r, l, &sub));
	assert_int_equal(rbuf_left(&sub), 0);
	assert_false(rbuf_u8(&sub, &v));
	assert_true(rbuf_ok(&r));

	/* A length that runs past the parent fails; the sub-reader is empty and in error. */
	rbuf_init(&r, tlv, sizeof(tlv));
	assert_true(rbuf_skip(&r, 2));
	assert_false(rbuf_sub(&r, 6, &sub));
	assert_false(rbuf_ok(&r));
	assert_false(rbuf_ok(&sub));
	assert_int_equal(rbuf_left(&sub), 0);
	assert_false(rbuf_u8(&sub, &v));

	/* Exact fit. */
	rbuf_init(&r, tlv, sizeof(tlv));
	assert_true(rbuf_skip(&r, 2));
	assert_true(rbuf_sub(&r, 5, &sub));
	assert_int_equal(rbuf_left(&r), 0);
	assert_true(rbuf_ok(&r));
}

static void test_write_widths(void **state)
{
	uint8_t b[18];
	struct wbuf w;
	static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x89,
	                               0x9a, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0};

	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_u8(&w, 0x01));
	assert_true(wbuf_u16(&w, 0x0203));
	assert_true(wbuf_u24(&w, 0x040506));
	assert_true(wbuf_u32(&w, 0x0708899a));
	assert_true(wbuf_u64(&w, 0x899aabbccddeeff0ull));
	assert_int_equal(wbuf_len(&w), sizeof(b));
	assert_int_equal(wbuf_left(&w), 0);
	assert_true(wbuf_ok(&w));
	assert_memory_equal(b, want, sizeof(want));

	/* Round trip through the reader. */
	struct rbuf r;
	uint8_t v8;
	uint16_t v16;
	uint32_t v24, v32;
	uint64_t v64;
	rbuf_init(&r, b, wbuf_len(&w));
	rbuf_u8(&r, &v8);
	rbuf_u16(&r, &v16);
	rbuf_u24(&r, &v24);
	rbuf_u32(&r, &v32);
	rbuf_u64(&r, &v64);
	assert_true(rbuf_ok(&r));
	assert_int_equal(v8, 0x01);
	assert_int_equal(v16, 0x0203);
	assert_int_equal(v24, 0x040506);
	assert_int_equal(v32, 0x0708899a);
	assert_true(v64 == 0x899aabbccddeeff0ull);
}

static void test_write_exact_fit_and_overrun(void **state)
{
	uint8_t b[9];
	struct wbuf w;
	static const size_t widths[] = {1, 2, 3, 4, 8};

	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		size_t n = widths[i];
		for (int fit = 0; fit <= 1; fit++) {
			size_t cap = fit ? n : n - 1;
			bool ok;

			memset(b, 0x5a, sizeof(b));
			wbuf_init(&w, b, cap);
			switch (n) {
			case 1:
				ok = wbuf_u8(&w, 0xff);
				break;
			case 2:
				ok = wbuf_u16(&w, 0xffff);
				break;
			case 3:
				ok = wbuf_u24(&w, 0xffffff);
				break;
			case 4:
				ok = wbuf_u32(&w, 0xffffffff);
				break;
			default:
				ok = wbuf_u64(&w, UINT64_MAX);
				break;
			}
			assert_int_equal(ok, fit);
			assert_int_equal(wbuf_ok(&w), fit);
			assert_int_equal(wbuf_len(&w), fit ? n : 0);
			/* A failed write touches nothing, not even the bytes that would have fit.
			 */
			for (size_t k = 0; k < sizeof(b); k++)
				assert_int_equal(b[k], (fit && k < n) ? 0xff : 0x5a);
		}
	}
}

static void test_write_u24_range(void **state)
{
	uint8_t b[8];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	assert_false(wbuf_u24(&w, 0x1000000));
	assert_false(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 0);
}

static void test_write_sticky(void **state)
{
	uint8_t b[4];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_u16(&w, 1));
	assert_false(wbuf_u32(&w, 2));
	assert_false(wbuf_ok(&w));
	/* Would fit, but the writer is already in error. */
	assert_false(wbuf_u8(&w, 3));
	assert_false(wbuf_bytes(&w, "x", 1));
	assert_false(wbuf_zero(&w, 0));
	assert_null(wbuf_reserve(&w, 0));
	assert_false(wbuf_put16(&w, 0, 9));
	assert_int_equal(wbuf_len(&w), 2);
	assert_int_equal(wbuf_left(&w), 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 1);
}

static void test_write_bytes_zero(void **state)
{
	uint8_t b[8];
	struct wbuf w;

	memset(b, 0xee, sizeof(b));
	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_bytes(&w, "abc", 3));
	assert_true(wbuf_zero(&w, 2));
	assert_true(wbuf_bytes(&w, NULL, 0));
	assert_true(wbuf_bytes(&w, "de", 2));
	assert_memory_equal(b, "abc\0\0de", 7);
	assert_int_equal(b[7], 0xee);
	assert_false(wbuf_bytes(&w, "fg", 2));
	assert_int_equal(b[7], 0xee);
	assert_int_equal(wbuf_len(&w), 7);

	wbuf_init(&w, b, sizeof(b));
	assert_false(wbuf_zero(&w, SIZE_MAX));
	assert_int_equal(wbuf_len(&w), 0);

	wbuf_init(&w, NULL, 0);
	assert_true(wbuf_bytes(&w, NULL, 0));
	assert_false(wbuf_u8(&w, 1));
}

/* The pattern of every authenticated packet: reserve the length and MAC, fill them last. */
static void test_reserve_backpatch(void **state)
{
	uint8_t b[16];
	struct wbuf w;

	memset(b, 0xee, sizeof(b));
	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_u8(&w, 0x20));
	size_t len_off = wbuf_len(&w);
	assert_true(wbuf_u16(&w, 0));
	uint8_t *mac = wbuf_reserve(&w, 4);
	assert_non_null(mac);
	assert_ptr_equal(mac, b + 3);
	assert_memory_equal(mac, "\0\0\0\0", 4);
	assert_true(wbuf_bytes(&w, "payload", 7));
	assert_true(wbuf_put16(&w, len_off, (uint16_t)wbuf_len(&w)));
	memcpy(mac, "\xde\xad\xbe\xef", 4);
	assert_true(wbuf_put32(&w, 10, 0x01020304)); /* last 4 bytes written: exact fit */
	assert_true(wbuf_ok(&w));
	assert_int_equal(wbuf_len(&w), 14);
	assert_memory_equal(b,
	                    "\x20\x00\x0e\xde\xad\xbe\xef"
	                    "pay\x01\x02\x03\x04",
	                    14);
	assert_int_equal(b[14], 0xee);

	/* Patching past what was written is refused (off-by-one at the end). */
	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_zero(&w, 5));
	assert_true(wbuf_put32(&w, 1, 1));
	assert_false(wbuf_put32(&w, 2, 1));
	assert_false(wbuf_ok(&w));
	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_zero(&w, 3));
	assert_true(wbuf_put16(&w, 1, 1));
	assert_false(wbuf_put16(&w, 2, 1));
	wbuf_init(&w, b, sizeof(b));
	assert_true(wbuf_zero(&w, 3));
	assert_false(wbuf_put16(&w, SIZE_MAX, 1));

	/* Reserve beyond capacity: NULL, nothing advanced. */
	wbuf_init(&w, b, 4);
	assert_non_null(wbuf_reserve(&w, 2));
	assert_null(wbuf_reserve(&w, 3));
	assert_int_equal(wbuf_len(&w), 2);
	assert_false(wbuf_ok(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read_widths),
	        cmocka_unit_test(test_read_u32_exact),
	        cmocka_unit_test(test_read_exact_fit_and_overrun),
	        cmocka_unit_test(test_read_sticky),
	        cmocka_unit_test(test_read_bytes_ptr_skip),
	        cmocka_unit_test(test_read_empty),
	        cmocka_unit_test(test_sub_reader),
	        cmocka_unit_test(test_write_widths),
	        cmocka_unit_test(test_write_exact_fit_and_overrun),
	        cmocka_unit_test(test_write_u24_range),
	        cmocka_unit_test(test_write_sticky),
	        cmocka_unit_test(test_write_bytes_zero),
	        cmocka_unit_test(test_reserve_backpatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
