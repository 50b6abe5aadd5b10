/*
 * Longest-prefix match: a path-compressed binary trie (Patricia) over
 * IPv4 or IPv6 prefixes. Pure data structure: no I/O, no globals.
 *
 * Each node holds a prefix; a node without a value is glue where two
 * prefixes branch. A key of N bits needs at most one node per stored prefix
 * plus one glue node per branch point, so memory is O(prefixes).
 */
#ifndef KEEL_RIBD_LPM_H
#define KEEL_RIBD_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lpm;

/* maxbits: 32 (IPv4) or 128 (IPv6). NULL on allocation failure. */
struct lpm *lpm_new(unsigned maxbits);
/* Frees every node; the values are the caller's. */
void lpm_free(struct lpm *t);
unsigned lpm_maxbits(const struct lpm *t);
size_t lpm_count(const struct lpm *t);
/* Bytes held by the trie's nodes in use and its lookup table. Nodes come
 * from blocks that the trie keeps for reuse until lpm_free. */
size_t lpm_memory(const struct lpm *t);

/*
 * Stores value (non-NULL) under addr/plen (addr bits past plen are ignored).
 * Returns the value it replaced, or NULL if the prefix was new. *err = -ENOMEM
 * or -EINVAL (plen > maxbits, value NULL), else 0.
 */
void *lpm_insert(struct lpm *t, const uint8_t *addr, unsigned plen, void *value, int *err);
/* Removes addr/plen; returns its value, NULL if absent. */
void *lpm_delete(struct lpm *t, const uint8_t *addr, unsigned plen);
/* The value stored under exactly addr/plen, or NULL. */
void *lpm_exact(const struct lpm *t, const uint8_t *addr, unsigned plen);
/* Longest stored prefix covering addr (a full maxbits address); *plen = its length. */
void *lpm_lookup(const struct lpm *t, const uint8_t *addr, unsigned *plen);
/*
 * Every stored prefix covering addr/plen (itself included), longest first:
 * up to max values into out[] (and their lengths into plens[] if non-NULL).
 * Returns how many it found (may exceed max). Recursive next-hop resolution
 * walks these to skip routes that cannot resolve.
 */
size_t lpm_matches(const struct lpm *t, const uint8_t *addr, unsigned plen, void **out,
                   unsigned *plens, size_t max);

/*
 * Calls fn for every stored prefix inside addr/plen (plen 0 = all), in
 * address order, shorter prefix first. fn returns non-zero to stop; that
 * value is returned. fn must not modify the trie.
 */
typedef int (*lpm_walk_fn)(void *arg, const uint8_t *addr, unsigned plen, void *value);
int lpm_walk(const struct lpm *t, const uint8_t *addr, unsigned plen, lpm_walk_fn fn, void *arg);

/*
 * Fixed-size object pool (the trie's nodes, and the RIB's destinations,
 * which hold the FIB's state too, and routes): objects are carved from 64 KiB blocks
 * and recycled through a free list, so a million small objects carry no
 * allocator header each. Memory returns to the system at lpm_pool_drain.
 */
struct lpm_pool {
	size_t size; /* object size, set before the first get */
	void *free;
	void *blocks;
	size_t block_used, in_use, bytes;
};

/* A zeroed object, or NULL. */
void *lpm_pool_get(struct lpm_pool *p);
void lpm_pool_put(struct lpm_pool *p, void *obj);
/* Frees every block (every object of the pool at once). */
void lpm_pool_drain(struct lpm_pool *p);

#endif
