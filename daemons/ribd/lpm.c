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
/* Nodes come from blocks of this many bytes, recycled through a free list:
 * no per-node allocator overhead, and nodes made together sit together. */
#define LPM_BLOCK (64 * 1024)
/* The lookup front table: one slot per value of the first LPM_FRONT_BITS
 * bits, holding the deepest node that covers the whole slot. */
#define LPM_FRONT_BITS 16
#define LPM_FRONT_MIN  4096 /* below this many prefixes the walk is short anyway */
#define LPM_SUB_MIN    64   /* prefixes under a slot that earn it a second level */

/* The key is as long as the family's addresses (4 or 16 bytes): an IPv4
 * node takes 32 bytes. */
struct lpm_node {
	struct lpm_node *child[2];
	void *value;
	uint8_t plen;
	uint8_t key[];
};

struct lpm_block {
	struct lpm_block *next;
	max_align_t data[];
};

struct lpm_front {
	const struct lpm_node *start; /* where a lookup continues (NULL: nothing deeper) */
	void *best;                   /* longest value at or above it */
	uint8_t best_plen;
	struct lpm_front *sub; /* a slot with many prefixes: one entry per next byte */
};

struct lpm {
	struct lpm_node *root;
	unsigned maxbits;
	size_t count;            /* prefixes with a value */
	size_t nodes;            /* including glue */
	struct lpm_pool pool;    /* the nodes */
	struct lpm_front *front; /* built on the first lookup after a change at the top */
	size_t n_subs;
	bool front_dirty;
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

static void lpm_mask(uint8_t *dst, const uint8_t *src, unsigned plen, size_t keylen)
{
	unsigned full = plen >> 3, rest = plen & 7;

	memset(dst, 0, keylen);
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
	if (t) {
		t->maxbits = maxbits;
		t->pool.size = offsetof(struct lpm_node, key) + maxbits / 8;
	}
	return t;
}

static void lpm_front_free(struct lpm *t)
{
	for (size_t s = 0; t->front && s < ((size_t)1 << LPM_FRONT_BITS); s++)
		free(t->front[s].sub);
	free(t->front);
	t->front = NULL;
	t->n_subs = 0;
	t->front_dirty = false;
}

void lpm_free(struct lpm *t)
{
	if (!t)
		return;
	lpm_pool_drain(&t->pool);
	lpm_front_free(t);
	free(t);
}

void *lpm_pool_get(struct lpm_pool *p)
{
	size_t size = (p->size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	void *obj = p->free;

	if (obj) {
		memcpy(&p->free, obj, sizeof(void *));
	} else {
		struct lpm_block *b = p->blocks;

		if (!b || p->block_used + size > LPM_BLOCK - sizeof(*b)) {
			b = malloc(LPM_BLOCK);
			if (!b)
				return NULL;
			b->next = p->blocks;
			p->blocks = b;
			p->block_used = 0;
			p->bytes += LPM_BLOCK;
		}
		obj = (uint8_t *)b->data + p->block_used;
		p->block_used += size;
	}
	memset(obj, 0, p->size);
	p->in_use++;
	return obj;
}

void lpm_pool_put(struct lpm_pool *p, void *obj)
{
	if (!obj)
		return;
	memcpy(obj, &p->free, sizeof(void *));
	p->free = obj;
	p->in_use--;
}

void lpm_pool_drain(struct lpm_pool *p)
{
	struct lpm_block *b = p->blocks, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	p->blocks = p->free = NULL;
	p->block_used = p->in_use = p->bytes = 0;
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
	/* Nodes in use (freed ones are recycled by this trie, see lpm.h). */
	return sizeof(*t) + t->nodes * t->pool.size +
	       (t->front ? ((size_t)1 << LPM_FRONT_BITS) * sizeof(*t->front) : 0) +
	       t->n_subs * 256 * sizeof(*t->front);
}

/* A change at or above the front table's depth invalidates it. */
static void lpm_touch(struct lpm *t, unsigned plen)
{
	if (t->front && plen <= LPM_FRONT_BITS + 8)
		t->front_dirty = true;
}

static struct lpm_node *lpm_node_new(struct lpm *t, const uint8_t *key, unsigned plen)
{
	struct lpm_node *n = lpm_pool_get(&t->pool);

	if (!n)
		return NULL;
	lpm_mask(n->key, key, plen, t->maxbits / 8);
	n->plen = (uint8_t)plen;
	t->nodes++;
	lpm_touch(t, plen);
	return n;
}

static void lpm_node_free(struct lpm *t, struct lpm_node *n)
{
	lpm_touch(t, n->plen);
	lpm_pool_put(&t->pool, n);
	t->nodes--;
}

void *lpm_insert(struct lpm *t, const uint8_t *addr, unsigned plen, void *value, int *err)
{
	struct lpm_node *n = t->root, **link = &t->root, *leaf, *glue;
	uint8_t key[LPM_KEYLEN];
	unsigned cl;

	*err = 0;
	if (plen > t->maxbits || !value) {
		*err = -EINVAL;
		return NULL;
	}
	lpm_mask(key, addr, plen, LPM_KEYLEN);
	while (n && n->plen <= plen && lpm_covers(n, key)) {
		if (n->plen == plen) {
			void *old = n->value;

			n->value = value;
			if (!old)
				t->count++;
			lpm_touch(t, plen);
			return old;
		}
		link = &n->child[lpm_bit(key, n->plen)];
		n = *link;
	}
	leaf = lpm_node_new(t, key, plen);
	if (!leaf) {
		*err = -ENOMEM;
		return NULL;
	}
	leaf->value = value;
	t->count++;
	if (!n) {
		*link = leaf;
		return NULL;
	}
	/* n diverges from key or is longer: branch where they part. */
	cl = lpm_common(n->key, key, n->plen < plen ? n->plen : plen);
	if (cl == plen) {
		/* The new prefix covers n: it takes n's place, n below it. */
		leaf->child[lpm_bit(n->key, plen)] = n;
		*link = leaf;
		return NULL;
	}
	glue = lpm_node_new(t, key, cl);
	if (!glue) {
		lpm_node_free(t, leaf);
		t->count--;
		*err = -ENOMEM;
		return NULL;
	}
	glue->child[lpm_bit(key, cl)] = leaf;
	glue->child[lpm_bit(n->key, cl)] = n;
	*link = glue;
	return NULL;
}

/* Finds addr/plen's node (with a value) and the links to it and to its parent. */
static struct lpm_node *lpm_find(const struct lpm *t, const uint8_t *addr, unsigned plen,
                                 struct lpm_node ***link, struct lpm_node ***plink)
{
	struct lpm_node *n = t->root, **l = (struct lpm_node **)&t->root, **pl = NULL;
	uint8_t key[LPM_KEYLEN];

	if (plen > t->maxbits)
		return NULL;
	lpm_mask(key, addr, plen, LPM_KEYLEN);
	while (n && n->plen <= plen && lpm_covers(n, key)) {
		if (n->plen == plen) {
			if (link)
				*link = l;
			if (plink)
				*plink = pl;
			return n->value ? n : NULL;
		}
		pl = l;
		l = &n->child[lpm_bit(key, n->plen)];
		n = *l;
	}
	return NULL;
}

void *lpm_exact(const struct lpm *t, const uint8_t *addr, unsigned plen)
{
	struct lpm_node *n = lpm_find(t, addr, plen, NULL, NULL);

	return n ? n->value : NULL;
}

void *lpm_delete(struct lpm *t, const uint8_t *addr, unsigned plen)
{
	struct lpm_node **link, **plink, *n = lpm_find(t, addr, plen, &link, &plink), *p, *c;
	void *value;

	if (!n)
		return NULL;
	value = n->value;
	n->value = NULL;
	t->count--;
	lpm_touch(t, n->plen);
	if (t->front && t->count < LPM_FRONT_MIN / 2)
		lpm_front_free(t); /* small again: the walk is short */
	if (n->child[0] && n->child[1])
		return value; /* stays as glue */
	c = n->child[0] ? n->child[0] : n->child[1];
	*link = c;
	lpm_node_free(t, n);
	/* A glue parent left with one child is no longer a branch point. */
	if (!c && plink && (p = *plink) && !p->value) {
		*plink = p->child[0] ? p->child[0] : p->child[1];
		lpm_node_free(t, p);
	}
	return value;
}

/* Where a lookup of any address starting with key's first `depth` bits can
 * go on from (n: the node to start at), and the longest value met above that
 * point (f->best as given covers what lies above n). Above that depth the
 * path is the same for every such address. */
static void lpm_front_walk(const struct lpm_node *n, const uint8_t *key, unsigned depth,
                           struct lpm_front *f)
{
	f->start = NULL;
	while (n) {
		if (n->plen >= depth) {
			/* Every longer prefix of the slot is in n's subtree, if n is
			 * in the slot at all. */
			if (lpm_common(n->key, key, depth) == depth)
				f->start = n;
			return;
		}
		if (!lpm_covers(n, key))
			return;
		if (n->value) {
			f->best = n->value;
			f->best_plen = n->plen;
		}
		n = n->child[lpm_bit(key, n->plen)];
	}
}

/* Prefixes in n's subtree, counting up to limit. */
static size_t lpm_subtree_count(const struct lpm_node *n, size_t limit)
{
	size_t c = 0;

	while (n && c < limit) {
		c += n->value != NULL;
		if (n->child[0])
			c += lpm_subtree_count(n->child[0], limit - c);
		n = n->child[1];
	}
	return c;
}

static void lpm_front_build(struct lpm *t)
{
	size_t slots = (size_t)1 << LPM_FRONT_BITS;

	lpm_front_free(t);
	t->front = calloc(slots, sizeof(*t->front));
	if (!t->front)
		return;
	for (uint32_t s = 0; s < slots; s++) {
		struct lpm_front *f = &t->front[s];
		uint8_t key[LPM_KEYLEN] = {(uint8_t)(s >> 8), (uint8_t)s};

		lpm_front_walk(t->root, key, LPM_FRONT_BITS, f);
		/* A crowded slot gets a second level: one more byte of the address
		 * decided by an index instead of up to eight node visits. */
		if (!f->start || lpm_subtree_count(f->start, LPM_SUB_MIN) < LPM_SUB_MIN)
			continue;
		f->sub = calloc(256, sizeof(*f->sub));
		if (!f->sub)
			continue;
		t->n_subs++;
		for (unsigned b = 0; b < 256; b++) {
			key[2] = (uint8_t)b;
			f->sub[b].best = f->best;
			f->sub[b].best_plen = f->best_plen;
			lpm_front_walk(f->start, key, LPM_FRONT_BITS + 8, &f->sub[b]);
		}
	}
	t->front_dirty = false;
}

void *lpm_lookup(const struct lpm *t, const uint8_t *addr, unsigned *plen)
{
	const struct lpm_node *n = t->root, *best = NULL;
	void *bestv = NULL;
	unsigned bestp = 0;

	/* The front table skips the first levels; it is rebuilt lazily after a
	 * change near the root (lookups are const for callers: the rebuild is
	 * an internal cache). */
	if (t->count > LPM_FRONT_MIN && (!t->front || t->front_dirty))
		lpm_front_build((struct lpm *)t);
	if (t->front && !t->front_dirty) {
		const struct lpm_front *f = &t->front[(uint32_t)addr[0] << 8 | addr[1]];

		if (f->sub)
			f = &f->sub[addr[2]];
		bestv = f->best;
		bestp = f->best_plen;
		n = f->start;
	}
	while (n && lpm_covers(n, addr)) {
		if (n->value)
			best = n;
		if (n->plen >= t->maxbits)
			break;
		n = n->child[lpm_bit(addr, n->plen)];
	}
	if (best) {
		bestv = best->value;
		bestp = best->plen;
	}
	if (!bestv)
		return NULL;
	if (plen)
		*plen = bestp;
	return bestv;
}

size_t lpm_matches(const struct lpm *t, const uint8_t *addr, unsigned plen, void **out,
                   unsigned *plens, size_t max)
{
	const struct lpm_node *n = t->root, *path[129];
	uint8_t key[LPM_KEYLEN];
	size_t depth = 0, found = 0;

	if (plen > t->maxbits)
		return 0;
	lpm_mask(key, addr, plen, LPM_KEYLEN);
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
		if (n->value) {
			uint8_t key[LPM_KEYLEN] = {0};

			/* Callers get a full-size key whatever the family. */
			memcpy(key, n->key, (n->plen + 7u) / 8);
			if ((rc = fn(arg, key, n->plen, n->value)) != 0)
				return rc;
		}
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
	lpm_mask(key, addr, plen, LPM_KEYLEN);
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
