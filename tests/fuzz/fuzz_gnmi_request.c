/*
 * gNMI requests as telemetryd receives them from a collector: the first byte
 * picks SubscribeRequest or GetRequest, the rest is the protobuf message.
 * Unpacked with protoc-c, then checked by gnmi_sublist_parse /
 * gnmi_get_parse (no schema, a small cache of known keys); every accepted
 * pattern is matched against a few bus keys (the string prefilter and stem
 * must never drop a key the matcher takes: abort) and printed in its
 * string form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Bus keys every accepted pattern is tried on: list entries with and without
 * predicates, several keys in one run, quoted values (one holding ']'), a
 * module prefix, a trailing '/'. */
static const char *const fz_keys[] = {
        "/interfaces/interface[name=eth0]/state/counters/in-octets",
        "/bfd/interfaces/interface[id=eth0]/peers/peer[local-discriminator=1]/state/session-state",
        "/access/radius-servers/radius-server[name='a]b'][port=1812]/state/x",
        "/keel-interfaces:interfaces/interface[name=\"eth1\"]/state/mtu/",
        "/chassis/state/cluster/redundancy-group[name=1]/node[name=0]/status",
        "/fdb/state/mac-table-size",
};

static struct tm_path *fz_parsed[sizeof(fz_keys) / sizeof(fz_keys[0])];

static void fz_pat(const struct gnmi_pat *p)
{
	char s[TM_PATH_MAX * 2];
	Gnmi__Path gp = GNMI__PATH__INIT;

	for (size_t i = 0; i < sizeof(fz_keys) / sizeof(fz_keys[0]); i++) {
		const struct tm_path *key = fz_parsed[i];
		int sl;

		/* the string prefilter and the stem never lose a key the matcher takes */
		if (gnmi_path_match(p, key)) {
			if (!gnmi_pat_may_match(p, fz_keys[i]))
				abort();
			sl = gnmi_pat_stem(p, s, sizeof(s));
			if (sl > 0 && strncmp(gnmi_key_canon(fz_keys[i]), s, (size_t)sl))
				abort();
		}
		if (gnmi_prefix_depth(p, key) > p->p.n_elem)
			abort();
	}
	(void)gnmi_path_to_str(&p->p, s, sizeof(s));
	if (!gnmi_path_from_tm(&p->p, p->p.n_elem / 2, &gp))
		gnmi_path_clear(&gp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	if (!fz_parsed[0])
		for (size_t i = 0; i < sizeof(fz_keys) / sizeof(fz_keys[0]); i++) {
			fz_parsed[i] = malloc(sizeof(*fz_parsed[i]));
			if (!fz_parsed[i] || tm_path_parse(fz_keys[i], fz_parsed[i], NULL, 0))
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
				fz_pat(&l.sub[i].pat);
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
				fz_pat(&g.pat[i]);
			gnmi_get_free(&g);
		}
		gnmi__get_request__free_unpacked(r, NULL);
	}
	return 0;
}
