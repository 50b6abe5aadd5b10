/*
 * Bounded reader and writer for wire codecs (STYLE.md "Wire formats").
 *
 * Every multi-byte integer is in network byte order. Every read or write is
 * checked against the buffer's bounds; on overrun the call returns false (or
 * NULL), leaves the position where it was and sets the sticky `err` flag. Once
 * `err` is set every later call fails too, so a codec may either check each
 * call or read a whole header and check rbuf_ok()/wbuf_ok() once at the end
 * without ever acting on a half-read field.
 *
 *	struct rbuf r;
 *	rbuf_init(&r, pkt, len);
 *	rbuf_u8(&r, &vers);
 *	rbuf_u16(&r, &tlv_len);
 *	struct rbuf val;
 *	rbuf_sub(&r, tlv_len, &val);	// a reader over the TLV value only
 *	if (!rbuf_ok(&r)) return -1;
 *
 * Writers reserve room for fields they fill later (a length, a checksum, an
 * HMAC) with wbuf_reserve() or back-patch with wbuf_put16()/wbuf_put32().
 *
 * The fixed-width accessors are static inline: codecs call them per field on
 * every packet.
 */
#ifndef KEEL_BUF_H
#define KEEL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbuf {
	const uint8_t *p;
	size_t len; /* bytes in p */
	size_t off; /* next byte to read; off <= len always */
	bool err;   /* sticky: an earlier call overran */
};

struct wbuf {
	uint8_t *p;
	size_t cap; /* bytes available at p */
	size_t off; /* bytes written; off <= cap always */
	bool err;   /* sticky: an earlier call overran */
};

/* ---------------------------------------------------------------- reader */

/* p may be NULL when len is 0. */
void rbuf_init(struct rbuf *r, const void *p, size_t len);

static inline size_t rbuf_left(const struct rbuf *r)
{
	return r->err ? 0 : r->len - r->off;
}

static inline bool rbuf_ok(const struct rbuf *r)
{
	return !r->err;
}

/* True when n more bytes can be read; otherwise sets the sticky error. */
static inline bool rbuf_need(struct rbuf *r, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = true;
		return false;
	}
	return true;
}

/* The integer readers store 0 in *v on failure, so a caller never sees stack garbage. */
static inline bool rbuf_u8(struct rbuf *r, uint8_t *v)
{
	if (!rbuf_need(r, 1)) {
		*v = 0;
		return false;
	}
	*v = r->p[r->off++];
	return true;
}

static inline bool rbuf_u16(struct rbuf *r, uint16_t *v)
{
	if (!rbuf_need(r, 2)) {
		*v = 0;
		return false;
	}
	const uint8_t *b = r->p + r->off;
	*v = (uint16_t)((uint16_t)b[0] << 8 | b[1]);
	r->off += 2;
	return true;
}

static inline bool rbuf_u24(struct rbuf *r, uint32_t *v)
{
	if (!rbuf_need(r, 3)) {
		*v = 0;
		return false;
	}
	const uint8_t *b = r->p + r->off;
	*v = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	r->off += 3;
	return true;
}

static inline bool rbuf_u32(struct rbuf *r, uint32_t *v)
{
	if (!rbuf_need(r, 4)) {
		*v = 0;
		return false;
	}
	const uint8_t *b = r->p + r->off;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	r->off += 4;
	return true;
}

static inline bool rbuf_u64(struct rbuf *r, uint64_t *v)
{
	if (!rbuf_need(r, 8)) {
		*v = 0;
		return false;
	}
	const uint8_t *b = r->p + r->off;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	*v = x;
	r->off += 8;
	return true;
}

/* Copies the next n bytes into dst (dst untouched on failure). */
bool rbuf_bytes(struct rbuf *r, void *dst, size_t n);
/* Borrows the next n bytes (valid while the underlying buffer is) and advances; NULL on overrun. */
const uint8_t *rbuf_ptr(struct rbuf *r, size_t n);
bool rbuf_skip(struct rbuf *r, size_t n);
/*
 * Initialises *sub as a reader over the next n bytes and advances r past them.
 * An overrun in sub never touches r; on failure *sub is an empty reader with
 * its error set.
 */
bool rbuf_sub(struct rbuf *r, size_t n, struct rbuf *sub);

/* ---------------------------------------------------------------- writer */

/* p may be NULL when cap is 0. */
void wbuf_init(struct wbuf *w, void *p, size_t cap);

static inline size_t wbuf_len(const struct wbuf *w)
{
	return w->off;
}

static inline size_t wbuf_left(const struct wbuf *w)
{
	return w->err ? 0 : w->cap - w->off;
}

static inline bool wbuf_ok(const struct wbuf *w)
{
	return !w->err;
}

/* True when n more bytes fit; otherwise sets the sticky error. */
static inline bool wbuf_need(struct wbuf *w, size_t n)
{
	if (w->err || n > w->cap - w->off) {
		w->err = true;
		return false;
	}
	return true;
}

static inline bool wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (!wbuf_need(w, 1))
		return false;
	w->p[w->off++] = v;
	return true;
}

static inline bool wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (!wbuf_need(w, 2))
		return false;
	uint8_t *b = w->p + w->off;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	w->off += 2;
	return true;
}

/* A value above 0xffffff does not fit in 24 bits: that is an error, not a silent truncation. */
static inline bool wbuf_u24(struct wbuf *w, uint32_t v)
{
	if (v > 0xffffffu) {
		w->err = true;
		return false;
	}
	if (!wbuf_need(w, 3))
		return false;
	uint8_t *b = w->p + w->off;
	b[0] = (uint8_t)(v >> 16);
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)v;
	w->off += 3;
	return true;
}

static inline bool wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (!wbuf_need(w, 4))
		return false;
	uint8_t *b = w->p + w->off;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	w->off += 4;
	return true;
}

static inline bool wbuf_u64(struct wbuf *w, uint64_t v)
{
	if (!wbuf_need(w, 8))
		return false;
	uint8_t *b = w->p + w->off;
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	w->off += 8;
	return true;
}

bool wbuf_bytes(struct wbuf *w, const void *src, size_t n);
/* Appends n zero bytes (padding, reserved fields). */
bool wbuf_zero(struct wbuf *w, size_t n);
/*
 * Appends n zero bytes and returns a pointer to them, to be filled later (a
 * length, a checksum, an HMAC); NULL on overrun. The pointer stays valid as
 * long as the buffer does.
 */
uint8_t *wbuf_reserve(struct wbuf *w, size_t n);
/*
 * Back-patch a 16/32-bit value at offset off of what has been written so far
 * (off + width <= wbuf_len()). Writing past wbuf_len() is an error: it would
 * patch bytes the length does not cover.
 */
bool wbuf_put16(struct wbuf *w, size_t off, uint16_t v);
bool wbuf_put32(struct wbuf *w, size_t off, uint32_t v);

#endif
