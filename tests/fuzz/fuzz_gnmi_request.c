/*
 * gNMI requests as telemetryd receives them from a collector: the first byte
 * picks SubscribeRequest or GetRequest, the rest is the protobuf message.
 * Unpacked with protoc-c, then checked by gnmi_sublist_parse /
 * gnmi_get_parse (no schema, a small cache of known keys); every accepted
 * pattern is matched against a key and printed in its string form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemons/telemetryd/gnmi.h"

static struct gnmi_cache *fz_cache(void)
{
	static struct gnmi_cache *c;
	Keel__Sensor__KeyValue kv = KEEL__SENSOR__KEY_VALUE__INIT;
	bool changed;

	if (c)
		return c;
	if (!(c = malloc(sizeof(*c))))
		return NULL;
	gnmi_cache_init(c);
	kv.key = (char *)"/bfd/interfaces/interface[id=eth0]/peers/peer[local-discriminator=1]/"
	                 "state/session-state";
	kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
	kv.str_value = (char *)"UP";
	gnmi_cache_put(c, &kv, 1, &changed);
	return c;
}

static void fz_pat(const struct gnmi_pat *p, const struct tm_path *key)
{
	char s[TM_PATH_MAX * 2];
	Gnmi__Path gp = GNMI__PATH__INIT;

	(void)gnmi_path_match(p, key);
	(void)gnmi_path_to_str(&p->p, s, sizeof(s));
	if (!gnmi_path_from_tm(&p->p, p->p.n_elem / 2, &gp))
		gnmi_path_clear(&gp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tm_path *key;
	char err[512];

	if (!key) {
		key = malloc(sizeof(*key));
		if (!key ||
		    tm_path_parse("/interfaces/interface[name=eth0]/state/counters/in-octets", key,
		                  NULL, 0))
			abort();
	}
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		Gnmi__SubscribeRequest *r =
		        gnmi__subscribe_request__unpack(NULL, size - 1, data + 1);
		struct gnmi_sublist l;

		if (!r)
			return 0;
		if (r->request_case == GNMI__SUBSCRIBE_REQUEST__REQUEST_SUBSCRIBE &&
		    gnmi_sublist_parse(r->subscribe, NULL, fz_cache(), &l, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < l.n; i++)
				fz_pat(&l.sub[i].pat, key);
			gnmi_sublist_free(&l);
		}
		gnmi__subscribe_request__free_unpacked(r, NULL);
	} else {
		Gnmi__GetRequest *r = gnmi__get_request__unpack(NULL, size - 1, data + 1);
		struct gnmi_get g;

		if (!r)
			return 0;
		if (gnmi_get_parse(r, NULL, fz_cache(), &g, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < g.n; i++)
				fz_pat(&g.pat[i], key);
			gnmi_get_free(&g);
		}
		gnmi__get_request__free_unpacked(r, NULL);
	}
	return 0;
}
