/*
 * The latest value of every bus key (pure): what Get answers, what a new
 * subscription's initial dump and every SAMPLE tick read. Each entry carries
 * the cache sequence number of its last value change, so SAMPLE with
 * suppress_redundant sends only leaves changed since its previous sample
 * without a per-subscription copy of the values. Bounded at GNMI_CACHE_MAX
 * keys; deleted keys free their slot for reuse.
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
		gnmi_kv_clear(&c->e[i].kv);
	free(c->e);
	gnmi_cache_init(c);
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
		if (gnmi_kv_copy(&nkv, kv))
			return NULL;
		gnmi_kv_clear(&e->kv);
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
		if (gnmi_kv_copy(&nkv, kv))
			return NULL;
		slot = (int)c->n++;
		e = &c->e[slot];
		e->hnext = c->bucket[b];
		c->bucket[b] = slot;
	} else {
		if (gnmi_kv_copy(&nkv, kv))
			return NULL;
		e = &c->e[slot];
		gnmi_kv_clear(&e->kv);
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
