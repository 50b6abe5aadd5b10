/*
 * The Patricia trie (daemons/ribd/lpm.c) against a naive reference: a hash
 * table per prefix length, looked up from the longest length down (the
 * scheme of Linux's pre-2.6.39 fib_hash). Random inserts and deletes of
 * 100k IPv4 and 20k IPv6 prefixes are mirrored in both and every answer is
 * compared: exact, longest match, all covering matches, ordered walks.
 *
 * The micro-benchmark at the end prints ns per lookup of the trie beside the
 * reference's, measured in the same run on the same addresses. The anchor is
 * the naive reference, not the kernel (`ip route get` costs a syscall and a
 * netlink round trip, which says nothing about the data structure).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemons/ribd/lpm.h"

/* ------------------------------------------------------------ reference */

#define REF_CAP (1u << 20)

struct ref_ent {
	uint8_t key[16];
	uint8_t plen;
	uint8_t state; /* 0 empty, 1 used, 2 deleted */
	void *value;
};

struct ref {
	struct ref_ent *tab;
	unsigned bytes;
	size_t count;
	size_t per_len[129];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void mask(uint8_t *dst, const uint8_t *src, unsigned plen, unsigned bytes)
{
	memset(dst, 0, 16);
	for (unsigned i = 0; i < bytes; i++) {
		if (plen >= 8 * (i + 1))
			dst[i] = src[i];
		else if (plen > 8 * i)
			dst[i] = src[i] & (uint8_t)(0xff << (8 - (plen - 8 * i)));
	}
}

static uint32_t ref_hash(const uint8_t *key, unsigned plen)
{
	uint32_t h = 2166136261u ^ plen;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static struct ref_ent *ref_slot(struct ref *r, const uint8_t *addr, unsigned plen, bool add)
{
	uint8_t key[16];
	uint32_t i;
	struct ref_ent *tomb = NULL;

	mask(key, addr, plen, r->bytes);
	for (i = ref_hash(key, plen) & (REF_CAP - 1);; i = (i + 1) & (REF_CAP - 1)) {
		struct ref_ent *e = &r->tab[i];

		if (e->state == 0) {
			if (!add)
				return NULL;
			e = tomb ? tomb : e;
			memcpy(e->key, key, 16);
			e->plen = (uint8_t)plen;
			e->value = NULL;
			return e;
		}
		if (e->state == 2) {
			if (!tomb)
				tomb = e;
			continue;
		}
		if (e->plen == plen && memcmp(e->key, key, 16) == 0)
			return e;
	}
}

static void *ref_exact(struct ref *r, const uint8_t *addr, unsigned plen)
{
	struct ref_ent *e = ref_slot(r, addr, plen, false);

	return e ? e->value : NULL;
}

static void *ref_lookup(struct ref *r, const uint8_t *addr, unsigned from, unsigned *plen)
{
	for (int l = (int)from; l >= 0; l--) {
		void *v;

		if (!r->per_len[l])
			continue;
		v = ref_exact(r, addr, (unsigned)l);
		if (v) {
			*plen = (unsigned)l;
			return v;
		}
	}
	return NULL;
}

static void ref_insert(struct ref *r, const uint8_t *addr, unsigned plen, void *v)
{
	struct ref_ent *e = ref_slot(r, addr, plen, true);

	if (e->state != 1) {
		e->state = 1;
		r->count++;
		r->per_len[plen]++;
	}
	e->value = v;
}

static void ref_delete(struct ref *r, const uint8_t *addr, unsigned plen)
{
	struct ref_ent *e = ref_slot(r, addr, plen, false);

	if (e) {
		e->state = 2;
		e->value = NULL;
		r->count--;
		r->per_len[plen]--;
	}
}

/* ------------------------------------------------------------ workload */

struct pfx {
	uint8_t addr[16];
	unsigned plen;
};

/* Prefixes share a few top bytes so the trie has depth and branch points. */
static void random_prefix(struct pfx *p, unsigned bits)
{
	uint64_t a = rng(), b = rng();

	memset(p, 0, sizeof(*p));
	memcpy(p->addr, &a, 8);
	memcpy(p->addr + 8, &b, 8);
	p->addr[0] = (uint8_t)(10 + (a >> 60));
	if (bits == 32) {
		unsigned r = (unsigned)(b % 100);

		p->plen = r < 50 ? 24 : r < 60 ? 32 : 8 + (unsigned)(rng() % 25);
	} else {
		p->addr[1] = 0x0d;
		p->plen = (unsigned)(rng() % 100) < 50 ? 48 + 16 * (unsigned)(rng() % 3)
		                                       : (unsigned)(rng() % 129);
	}
}

static void *val(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

struct walk_ctx {
	struct ref *r;
	size_t n;
	uint8_t last[16];
	unsigned last_plen;
	unsigned bytes;
};

static int walk_check(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct walk_ctx *w = arg;
	int c;

	assert_ptr_equal(ref_exact(w->r, addr, plen), value);
	if (w->n) {
		/* Address order, a covering prefix before what it covers. */
		c = memcmp(w->last, addr, w->bytes);
		assert_true(c < 0 || (c == 0 && w->last_plen < plen));
	}
	memcpy(w->last, addr, 16);
	w->last_plen = plen;
	w->n++;
	return 0;
}

static void check_lookups(struct lpm *t, struct ref *r, struct pfx *live, size_t nlive,
                          unsigned bits, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		uint8_t a[16];
		unsigned pl_t = 999, pl_r = 999;
		struct pfx *p = &live[rng() % nlive];
		void *m[129];
		unsigned ml[129];
		size_t nm;

		/* Half the addresses inside a stored prefix, half anywhere. */
		memcpy(a, p->addr, 16);
		for (unsigned b = p->plen; b < bits; b++)
			if (rng() & 1)
				a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		if (i & 1) {
			uint64_t x = rng();
			memcpy(a, &x, 8);
		}
		assert_ptr_equal(lpm_lookup(t, a, &pl_t), ref_lookup(r, a, bits, &pl_r));
		if (pl_r != 999)
			assert_int_equal(pl_t, pl_r);
		assert_ptr_equal(lpm_exact(t, p->addr, p->plen), ref_exact(r, p->addr, p->plen));
		/* Every covering prefix, longest first. */
		nm = lpm_matches(t, a, bits, m, ml, 129);
		for (size_t k = 0; k < nm; k++) {
			unsigned l = 999;

			assert_ptr_equal(m[k], ref_lookup(r, a, k ? ml[k - 1] - 1 : bits, &l));
			assert_int_equal(ml[k], l);
		}
		/* ...and nothing shorter beyond the last one. */
		if (nm == 0 || ml[nm - 1] > 0) {
			unsigned l;

			assert_null(ref_lookup(r, a, nm ? ml[nm - 1] - 1 : bits, &l));
		}
	}
}

static void random_vs_reference(unsigned bits, size_t n, size_t ops)
{
	struct lpm *t = lpm_new(bits);
	struct ref r = {.tab = calloc(REF_CAP, sizeof(struct ref_ent)), .bytes = bits / 8};
	struct pfx *live = calloc(n + ops, sizeof(*live));
	size_t nlive = 0, next = 0, empty;
	int err;

	assert_non_null(t);
	assert_non_null(r.tab);
	assert_non_null(live);
	empty = lpm_memory(t);
	for (size_t i = 0; i < n; i++) {
		struct pfx p;
		void *old, *want;

		random_prefix(&p, bits);
		want = ref_exact(&r, p.addr, p.plen);
		old = lpm_insert(t, p.addr, p.plen, val(next), &err);
		assert_int_equal(err, 0);
		assert_ptr_equal(old, want);
		ref_insert(&r, p.addr, p.plen, val(next++));
		if (!want)
			live[nlive++] = p;
	}
	assert_int_equal(lpm_count(t), r.count);
	check_lookups(t, &r, live, nlive, bits, 20000);

	for (size_t i = 0; i < ops; i++) {
		if (rng() & 1) {
			struct pfx p;

			random_prefix(&p, bits);
			bool had = ref_exact(&r, p.addr, p.plen) != NULL;
			lpm_insert(t, p.addr, p.plen, val(next), &err);
			assert_int_equal(err, 0);
			ref_insert(&r, p.addr, p.plen, val(next++));
			if (!had)
				live[nlive++] = p;
		} else if (nlive) {
			size_t k = rng() % nlive;

			assert_ptr_equal(lpm_delete(t, live[k].addr, live[k].plen),
			                 ref_exact(&r, live[k].addr, live[k].plen));
			ref_delete(&r, live[k].addr, live[k].plen);
			assert_null(lpm_delete(t, live[k].addr, live[k].plen));
			live[k] = live[--nlive];
		}
		if (i % 20000 == 0 && nlive)
			check_lookups(t, &r, live, nlive, bits, 2000);
	}
	assert_int_equal(lpm_count(t), r.count);

	struct walk_ctx w = {.r = &r, .bytes = bits / 8};
	assert_int_equal(lpm_walk(t, NULL, 0, walk_check, &w), 0);
	assert_int_equal(w.n, r.count);

	/* Sub-tree walk: every prefix reported lies inside the asked one. */
	for (int i = 0; i < 200; i++) {
		struct pfx *p = &live[rng() % nlive];
		struct walk_ctx s = {.r = &r, .bytes = bits / 8};
		size_t want = 0;

		assert_int_equal(lpm_walk(t, p->addr, p->plen, walk_check, &s), 0);
		for (size_t k = 0; k < nlive; k++) {
			uint8_t m1[16], m2[16];

			if (live[k].plen < p->plen)
				continue;
			mask(m1, live[k].addr, p->plen, bits / 8);
			mask(m2, p->addr, p->plen, bits / 8);
			want += memcmp(m1, m2, 16) == 0;
		}
		assert_int_equal(s.n, want);
	}

	while (nlive) {
		nlive--;
		assert_non_null(lpm_delete(t, live[nlive].addr, live[nlive].plen));
	}
	assert_int_equal(lpm_count(t), 0);
	/* No glue node left behind. */
	assert_int_equal(lpm_memory(t), empty);
	lpm_free(t);
	free(live);
	free(r.tab);
}

static void test_ipv4_random(void **state)
{
	(void)state;
	random_vs_reference(32, 100000, 200000);
}

static void test_ipv6_random(void **state)
{
	(void)state;
	random_vs_reference(128, 20000, 40000);
}

static void test_edges(void **state)
{
	struct lpm *t = lpm_new(32);
	uint8_t zero[4] = {0}, a[4] = {10, 1, 2, 3}, b[4] = {10, 1, 2, 0};
	unsigned pl = 99;
	int err;
	void *m[4];

	(void)state;
	assert_null(lpm_new(33));
	assert_null(lpm_lookup(t, a, &pl));
	assert_null(lpm_insert(t, a, 33, val(1), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(lpm_insert(t, a, 8, NULL, &err));
	assert_int_equal(err, -EINVAL);
	/* Default route and a host route. */
	assert_null(lpm_insert(t, zero, 0, val(0), &err));
	assert_null(lpm_insert(t, a, 32, val(32), &err));
	assert_ptr_equal(lpm_lookup(t, b, &pl), val(0));
	assert_int_equal(pl, 0);
	assert_ptr_equal(lpm_lookup(t, a, &pl), val(32));
	assert_int_equal(pl, 32);
	/* Bits past the length are ignored. */
	assert_null(lpm_insert(t, a, 24, val(24), &err));
	assert_ptr_equal(lpm_exact(t, b, 24), val(24));
	assert_ptr_equal(lpm_insert(t, b, 24, val(25), &err), val(24));
	assert_int_equal(lpm_matches(t, a, 32, m, NULL, 4), 3);
	assert_ptr_equal(m[0], val(32));
	assert_ptr_equal(m[1], val(25));
	assert_ptr_equal(m[2], val(0));
	/* matches of a prefix include the prefix itself, not longer ones. */
	assert_int_equal(lpm_matches(t, a, 24, m, NULL, 1), 2);
	assert_ptr_equal(m[0], val(25));
	assert_ptr_equal(lpm_delete(t, zero, 0), val(0));
	assert_null(lpm_lookup(t, (uint8_t[]){11, 0, 0, 0}, &pl));
	lpm_free(t);
	lpm_free(NULL);
}

/* ------------------------------------------------------------ benchmark */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void test_bench(void **state)
{
	enum { N = 100000, Q = 1000000 };
	struct lpm *t = lpm_new(32);
	struct ref r = {.tab = calloc(REF_CAP, sizeof(struct ref_ent)), .bytes = 4};
	struct pfx *p = calloc(N, sizeof(*p));
	uint8_t(*q)[16] = calloc(Q, 16);
	uintptr_t sum_t = 0, sum_r = 0;
	double t0, t1, t2;
	int err;

	(void)state;
	assert_true(t && r.tab && p && q);
	for (size_t i = 0; i < N; i++) {
		random_prefix(&p[i], 32);
		lpm_insert(t, p[i].addr, p[i].plen, val(i), &err);
		ref_insert(&r, p[i].addr, p[i].plen, val(i));
	}
	for (size_t i = 0; i < Q; i++) {
		uint32_t x = (uint32_t)rng();

		memcpy(q[i], p[rng() % N].addr, 4);
		if (i & 1)
			memcpy(q[i] + 2, &x, 2);
	}
	t0 = now_ns();
	for (size_t i = 0; i < Q; i++) {
		unsigned pl;
		sum_t += (uintptr_t)lpm_lookup(t, q[i], &pl);
	}
	t1 = now_ns();
	for (size_t i = 0; i < Q; i++) {
		unsigned pl;
		sum_r += (uintptr_t)ref_lookup(&r, q[i], 32, &pl);
	}
	t2 = now_ns();
	/* Both saw the same answers (a cheap whole-run check). */
	assert_int_equal(sum_t, sum_r);
	printf("# lpm bench: %zu IPv4 prefixes, %d lookups\n", lpm_count(t), Q);
	printf("#   patricia trie          %7.1f ns/lookup, %5.1f B/prefix\n", (t1 - t0) / Q,
	       (double)lpm_memory(t) / (double)lpm_count(t));
	printf("#   anchor: hash per length %6.1f ns/lookup (naive reference, same run)\n",
	       (t2 - t1) / Q);
	printf("#   ratio trie/anchor       %6.2f\n", (t1 - t0) / (t2 - t1));
	lpm_free(t);
	free(r.tab);
	free(p);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_edges),
	        cmocka_unit_test(test_ipv4_random),
	        cmocka_unit_test(test_ipv6_random),
	        cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
