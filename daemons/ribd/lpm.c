/*
 * Patricia trie for longest-prefix match (see lpm.h).
 *
 * Invariants: a child's prefix is strictly longer than its parent's and
 * extends it; child[b] holds prefixes whose bit at the parent's length is b;
 * a glue node (no value) always has two children, so the trie never holds
 * more than 2n - 1 nodes for n prefixes. Keys are stored masked to their
 * length, which lets prefix comparison be a memcmp of whole bytes plus one
 * masked byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ribd/lpm.h"

#define LPM_KEYLEN 16

struct lpm_node {
	struct lpm_node *child[2];
	struct lpm_node *parent;
	void *value;
	uint8_t key[LPM_KEYLEN];
	uint8_t plen;
};

struct lpm {
	struct lpm_node *root;
	unsigned maxbits;
	size_t count; /* prefixes with a value */
	size_t nodes; /* including glue */
};

static inline unsigned lpm_bit(const uint8_t *key, unsigned i)
{
	return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

/* Does key (at least plen bits meaningful) start with node's prefix? */
static inline bool lpm_covers(const struct lpm_node *n, const uint8_t *key)
{
	unsigned full = n->plen >> 3, rest = n->plen & 7;

	if (full && memcmp(n->key, key, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (key[full] & mask) == n->key[full];
	}
	return true;
}

/* Number of leading bits a and b share, at most max. */
static unsigned lpm_common(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned i = 0;

	while (i + 8 <= max && a[i >> 3] == b[i >> 3])
		i += 8;
	while (i < max && lpm_bit(a, i) == lpm_bit(b, i))
		i++;
	return i;
}

static void lpm_mask(uint8_t *dst, const uint8_t *src, unsigned plen)
{
	unsigned full = plen >> 3, rest = plen & 7;

	memset(dst, 0, LPM_KEYLEN);
	memcpy(dst, src, full);
	if (rest)
		dst[full] = src[full] & (uint8_t)(0xff << (8 - rest));
}

struct lpm *lpm_new(unsigned maxbits)
{
	struct lpm *t;

	if (maxbits != 32 && maxbits != 128)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->maxbits = maxbits;
	return t;
}

void lpm_free(struct lpm *t)
{
	struct lpm_node *n, *p;

	if (!t)
		return;
	/* Post-order without recursion: descend, free leaves, climb. */
	n = t->root;
	while (n) {
		if (n->child[0]) {
			n = n->child[0];
		} else if (n->child[1]) {
			n = n->child[1];
		} else {
			p = n->parent;
			if (p)
				p->child[p->child[0] == n ? 0 : 1] = NULL;
			free(n);
			n = p;
		}
	}
	free(t);
}

unsigned lpm_maxbits(const struct lpm *t)
{
	return t->maxbits;
}

size_t lpm_count(const struct lpm *t)
{
	return t->count;
}

size_t lpm_memory(const struct lpm *t)
{
	return sizeof(*t) + t->nodes * sizeof(struct lpm_node);
}

/* Puts n where old was (under old's parent, or as the root). */
static void lpm_replace_link(struct lpm *t, struct lpm_node *old, struct lpm_node *n)
{
	struct lpm_node *p = old->parent;

	if (!p)
		t->root = n;
	else
		p->child[p->child[0] == old ? 0 : 1] = n;
	if (n)
		n->parent = p;
}

static struct lpm_node *lpm_node_new(struct lpm *t, const uint8_t *key, unsigned plen)
{
	struct lpm_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	lpm_mask(n->key, key, plen);
	n->plen = (uint8_t)plen;
	t->nodes++;
	return n;
}

void *lpm_insert(struct lpm *t, const uint8_t *addr, unsigned plen, void *value, int *err)
{
	struct lpm_node *n = t->root, *parent = NULL, *leaf, *glue;
	uint8_t key[LPM_KEYLEN];
	unsigned cl;

	*err = 0;
	if (plen > t->maxbits || !value) {
		*err = -EINVAL;
		return NULL;
	}
	lpm_mask(key, addr, plen);
	while (n && n->plen <= plen && lpm_covers(n, key)) {
		if (n->plen == plen) {
			void *old = n->value;

			n->value = value;
			if (!old)
				t->count++;
			return old;
		}
		parent = n;
		n = n->child[lpm_bit(key, n->plen)];
	}
	leaf = lpm_node_new(t, key, plen);
	if (!leaf) {
		*err = -ENOMEM;
		return NULL;
	}
	leaf->value = value;
	if (!n) {
		leaf->parent = parent;
		if (parent)
			parent->child[lpm_bit(key, parent->plen)] = leaf;
		else
			t->root = leaf;
		t->count++;
		return NULL;
	}
	/* n diverges from key or is longer: branch where they part. */
	cl = lpm_common(n->key, key, n->plen < plen ? n->plen : plen);
	if (cl == plen) {
		/* The new prefix covers n: it becomes n's parent. */
		lpm_replace_link(t, n, leaf);
		leaf->child[lpm_bit(n->key, plen)] = n;
		n->parent = leaf;
		t->count++;
		return NULL;
	}
	glue = lpm_node_new(t, key, cl);
	if (!glue) {
		free(leaf);
		t->nodes--;
		*err = -ENOMEM;
		return NULL;
	}
	lpm_replace_link(t, n, glue);
	glue->child[lpm_bit(key, cl)] = leaf;
	glue->child[lpm_bit(n->key, cl)] = n;
	leaf->parent = glue;
	n->parent = glue;
	t->count++;
	return NULL;
}

static struct lpm_node *lpm_find(const struct lpm *t, const uint8_t *addr, unsigned plen)
{
	struct lpm_node *n = t->root;
	uint8_t key[LPM_KEYLEN];

	if (plen > t->maxbits)
		return NULL;
	lpm_mask(key, addr, plen);
	while (n && n->plen <= plen && lpm_covers(n, key)) {
		if (n->plen == plen)
			return n->value ? n : NULL;
		n = n->child[lpm_bit(key, n->plen)];
	}
	return NULL;
}

void *lpm_exact(const struct lpm *t, const uint8_t *addr, unsigned plen)
{
	struct lpm_node *n = lpm_find(t, addr, plen);

	return n ? n->value : NULL;
}

void *lpm_delete(struct lpm *t, const uint8_t *addr, unsigned plen)
{
	struct lpm_node *n = lpm_find(t, addr, plen), *p, *c;
	void *value;

	if (!n)
		return NULL;
	value = n->value;
	n->value = NULL;
	t->count--;
	if (n->child[0] && n->child[1])
		return value; /* stays as glue */
	c = n->child[0] ? n->child[0] : n->child[1];
	p = n->parent;
	lpm_replace_link(t, n, c);
	free(n);
	t->nodes--;
	/* A glue parent left with one child is no longer a branch point. */
	if (!c && p && !p->value) {
		c = p->child[0] ? p->child[0] : p->child[1];
		lpm_replace_link(t, p, c);
		free(p);
		t->nodes--;
	}
	return value;
}

void *lpm_lookup(const struct lpm *t, const uint8_t *addr, unsigned *plen)
{
	const struct lpm_node *n = t->root, *best = NULL;

	while (n && lpm_covers(n, addr)) {
		if (n->value)
			best = n;
		if (n->plen >= t->maxbits)
			break;
		n = n->child[lpm_bit(addr, n->plen)];
	}
	if (!best)
		return NULL;
	if (plen)
		*plen = best->plen;
	return best->value;
}

size_t lpm_matches(const struct lpm *t, const uint8_t *addr, unsigned plen, void **out,
                   unsigned *plens, size_t max)
{
	const struct lpm_node *n = t->root, *path[129];
	uint8_t key[LPM_KEYLEN];
	size_t depth = 0, found = 0;

	if (plen > t->maxbits)
		return 0;
	lpm_mask(key, addr, plen);
	while (n && n->plen <= plen && lpm_covers(n, key)) {
		if (n->value)
			path[depth++] = n;
		if (n->plen == plen)
			break;
		n = n->child[lpm_bit(key, n->plen)];
	}
	while (depth--) {
		if (found < max) {
			out[found] = path[depth]->value;
			if (plens)
				plens[found] = path[depth]->plen;
		}
		found++;
	}
	return found;
}

static int lpm_walk_node(const struct lpm_node *n, lpm_walk_fn fn, void *arg)
{
	int rc;

	/* Depth is bounded by maxbits + 1 (every child is strictly longer). */
	while (n) {
		if (n->value && (rc = fn(arg, n->key, n->plen, n->value)) != 0)
			return rc;
		if (n->child[0] && (rc = lpm_walk_node(n->child[0], fn, arg)) != 0)
			return rc;
		n = n->child[1];
	}
	return 0;
}

int lpm_walk(const struct lpm *t, const uint8_t *addr, unsigned plen, lpm_walk_fn fn, void *arg)
{
	const struct lpm_node *n = t->root;
	uint8_t key[LPM_KEYLEN];

	if (plen > t->maxbits)
		return -EINVAL;
	if (plen == 0)
		return lpm_walk_node(n, fn, arg);
	lpm_mask(key, addr, plen);
	/* Find the first node at or below addr/plen; its subtree is the answer. */
	while (n && n->plen < plen) {
		if (!lpm_covers(n, key))
			return 0;
		n = n->child[lpm_bit(key, n->plen)];
	}
	if (!n || lpm_common(n->key, key, plen) < plen)
		return 0;
	return lpm_walk_node(n, fn, arg);
}
