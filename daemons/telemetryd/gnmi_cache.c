/*
 * The latest value of every bus key (pure): what Get answers, what a new
 * subscription's initial dump and every SAMPLE tick read. Each entry carries
 * the cache sequence number of its last value change, so SAMPLE with
 * suppress_redundant sends only leaves changed since its previous sample
 * without a per-subscription copy of the values. Bounded at GNMI_CACHE_MAX
 * keys; deleted keys free their slot for reuse. A key-ordered index of the
 * slots lets a reader visit only the keys under a path (gnmi_cache_range).
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/gnmi.h"

static uint32_t gnmi_c_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h % GNMI_CACHE_BUCKETS;
}

void gnmi_cache_init(struct gnmi_cache *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < GNMI_CACHE_BUCKETS; i++)
		c->bucket[i] = -1;
}

void gnmi_cache_free(struct gnmi_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		tm_kv_clear(&c->e[i].kv);
	free(c->e);
	free(c->order);
	gnmi_cache_init(c);
}

/* qsort has no context argument: the cache being sorted (loop thread only) */
static const struct gnmi_cache *gnmi_c_sorting;

static int gnmi_c_cmp(const void *a, const void *b)
{
	return strcmp(gnmi_key_canon(gnmi_c_sorting->e[*(const int *)a].kv.key),
	              gnmi_key_canon(gnmi_c_sorting->e[*(const int *)b].kv.key));
}

static int gnmi_c_order(struct gnmi_cache *c)
{
	if (!c->order_dirty && c->n_order == c->n)
		return 0;
	if (c->n > c->n_order) {
		int *no = realloc(c->order, c->n * sizeof(*no));

		if (!no)
			return -1;
		c->order = no;
	}
	/* new keys arrive in bursts (a publisher starting) and ticks come at
	 * most every GNMI_SAMPLE_MIN_NS: one sort per burst, not per key */
	for (size_t i = 0; i < c->n; i++)
		c->order[i] = (int)i;
	c->n_order = c->n;
	gnmi_c_sorting = c;
	qsort(c->order, c->n_order, sizeof(*c->order), gnmi_c_cmp);
	gnmi_c_sorting = NULL;
	c->order_dirty = false;
	return 0;
}

size_t gnmi_cache_range(struct gnmi_cache *c, const char *stem, const int **idx)
{
	size_t lo = 0, hi, sl = strlen(stem), first;

	if (gnmi_c_order(c)) {
		*idx = NULL;
		return c->n;
	}
	hi = c->n_order;
	/* lower bound of stem; every key starting with it follows contiguously
	 * (compared without '/' and module prefix: "/keel-interfaces:interfaces"
	 * sorts with "/interfaces") */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(gnmi_key_canon(c->e[c->order[mid]].kv.key), stem) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < c->n_order && !strncmp(gnmi_key_canon(c->e[c->order[lo]].kv.key), stem, sl))
		lo++;
	*idx = c->order ? c->order + first : NULL;
	if (!c->order) /* an empty cache */
		return 0;
	return lo - first;
}

struct gnmi_centry *gnmi_cache_find(struct gnmi_cache *c, const char *key)
{
	for (int i = c->n ? c->bucket[gnmi_c_hash(key)] : -1; i >= 0; i = c->e[i].hnext)
		if (c->e[i].live && !strcmp(c->e[i].kv.key, key))
			return &c->e[i];
	return NULL;
}

struct gnmi_centry *gnmi_cache_put(struct gnmi_cache *c, const Keel__Sensor__KeyValue *kv,
                                   uint64_t ts_ms, bool *changed)
{
	struct gnmi_centry *e;
	Keel__Sensor__KeyValue nkv;
	uint32_t b;
	int i, slot = -1;

	*changed = false;
	if (!kv->key || kv->value_case == KEEL__SENSOR__KEY_VALUE__VALUE__NOT_SET)
		return NULL;
	b = gnmi_c_hash(kv->key);
	for (i = c->n ? c->bucket[b] : -1; i >= 0; i = c->e[i].hnext) {
		if (!strcmp(c->e[i].kv.key, kv->key)) {
			if (c->e[i].live)
				break;
			slot = i; /* a deleted key comes back in its old slot */
		}
	}
	if (i >= 0) {
		e = &c->e[i];
		e->ts_ms = ts_ms;
		if (gnmi_kv_equal(&e->kv, kv))
			return e;
		if (tm_kv_copy(&nkv, kv))
			return NULL;
		tm_kv_clear(&e->kv);
		e->kv = nkv;
		e->changed = ++c->seq;
		*changed = true;
		return e;
	}
	if (slot < 0) {
		if (c->n >= GNMI_CACHE_MAX) {
			c->refused++;
			return NULL;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 256;
			struct gnmi_centry *ne = realloc(c->e, cap * sizeof(*ne));

			if (!ne)
				return NULL;
			c->e = ne;
			c->cap = cap;
		}
		if (tm_kv_copy(&nkv, kv))
			return NULL;
		slot = (int)c->n++;
		c->order_dirty = true;
		e = &c->e[slot];
		e->hnext = c->bucket[b];
		c->bucket[b] = slot;
	} else {
		if (tm_kv_copy(&nkv, kv))
			return NULL;
		e = &c->e[slot];
		tm_kv_clear(&e->kv);
	}
	e->kv = nkv;
	e->ts_ms = ts_ms;
	e->live = true;
	e->changed = ++c->seq;
	c->live++;
	*changed = true;
	return e;
}

size_t gnmi_cache_delete(struct gnmi_cache *c, const char *path)
{
	struct tm_path *p = malloc(sizeof(*p)), *k = malloc(sizeof(*k));
	size_t n = 0;

	if (!p || !k || tm_path_parse(path, p, NULL, 0))
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		struct gnmi_centry *e = &c->e[i];

		if (!e->live || tm_path_parse(e->kv.key, k, NULL, 0) || !tm_path_match(p, k))
			continue;
		/* the key string stays for the hash chain; the value goes */
		e->live = false;
		c->live--;
		n++;
	}
	if (n)
		c->seq++;
out:
	free(p);
	free(k);
	return n;
}
