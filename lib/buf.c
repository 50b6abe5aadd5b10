/*
 * Bounded reader/writer: the out-of-line part (see buf.h for the contract).
 */
#include "lib/buf.h"

#include <string.h>

/*
 * A NULL buffer of length 0 is replaced by a one-byte dummy so that pointer
 * arithmetic (p + off, even with off == 0) is always defined and rbuf_ptr(r, 0)
 * can return a non-NULL pointer. Nothing is ever read from or written to it:
 * every access is bounded by len/cap == 0.
 */
static uint8_t buf_empty[1];

void rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p ? p : buf_empty;
	r->len = p ? len : 0;
	r->off = 0;
	r->err = false;
}

bool rbuf_bytes(struct rbuf *r, void *dst, size_t n)
{
	if (!rbuf_need(r, n))
		return false;
	if (n)
		memcpy(dst, r->p + r->off, n);
	r->off += n;
	return true;
}

const uint8_t *rbuf_ptr(struct rbuf *r, size_t n)
{
	if (!rbuf_need(r, n))
		return NULL;
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

bool rbuf_skip(struct rbuf *r, size_t n)
{
	if (!rbuf_need(r, n))
		return false;
	r->off += n;
	return true;
}

bool rbuf_sub(struct rbuf *r, size_t n, struct rbuf *sub)
{
	const uint8_t *q = rbuf_ptr(r, n);

	if (!q) {
		rbuf_init(sub, NULL, 0);
		sub->err = true;
		return false;
	}
	sub->p = q;
	sub->len = n;
	sub->off = 0;
	sub->err = false;
	return true;
}

void wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p ? p : buf_empty;
	w->cap = p ? cap : 0;
	w->off = 0;
	w->err = false;
}

bool wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (!wbuf_need(w, n))
		return false;
	if (n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
	return true;
}

bool wbuf_zero(struct wbuf *w, size_t n)
{
	return wbuf_reserve(w, n) != NULL;
}

uint8_t *wbuf_reserve(struct wbuf *w, size_t n)
{
	if (!wbuf_need(w, n))
		return NULL;
	uint8_t *q = w->p + w->off;
	/* Zeroed so that a field the caller forgets to fill never leaks old buffer contents. */
	if (n)
		memset(q, 0, n);
	w->off += n;
	return q;
}

bool wbuf_put16(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off > w->off || w->off - off < 2) {
		w->err = true;
		return false;
	}
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
	return true;
}

bool wbuf_put32(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off > w->off || w->off - off < 4) {
		w->err = true;
		return false;
	}
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
	return true;
}
