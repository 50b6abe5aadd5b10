/*
 * Fuzz target: the OVSDB client's receive path on arbitrary bytes. The first
 * byte picks a split point, so messages straddling reads are exercised; each
 * message goes through classification and, as the connection does, update
 * notifications and replies go into the cache and the VLAN-column readers,
 * and a reconcile transaction is built from whatever the cache holds.
 * Invariants: the same bytes give the same messages whole or split, and a
 * port read back from the cache reconciles to itself with nothing to write.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/ovs/ovsdb.h"

struct ctx {
	struct ovsdb_cache cache;
	size_t n;
	uint32_t hash;
};

static int on_msg(void *arg, struct json_object *o)
{
	struct ctx *c = arg;
	struct ovsdb_msg m;
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int64_t id, next_cfg;

	c->n++;
	for (; *s; s++)
		c->hash = c->hash * 31 + (uint8_t)*s;
	if (ovsdb_msg_decode(o, &m) < 0)
		return 0;
	if (m.kind == OVSDB_MSG_REQUEST) {
		json_object_put(ovsdb_echo_reply(&m));
	} else if (m.kind == OVSDB_MSG_NOTIFY) {
		if (json_object_array_length(m.params) == 2)
			ovsdb_cache_update(&c->cache, json_object_array_get_idx(m.params, 1));
	} else {
		ovsdb_msg_id(&m, &id);
		ovs_txn_next_cfg(m.result, &next_cfg);
		if (m.result && json_object_is_type(m.result, json_type_object))
			ovsdb_cache_update(&c->cache, m.result);
	}
	return 0;
}

static void check_ports(struct ctx *c)
{
	struct json_object *rows;

	if (!json_object_object_get_ex(c->cache.tables, "Port", &rows))
		return;
	json_object_object_foreach(rows, uuid, row)
	{
		struct ovs_port_vlan have;
		struct json_object *name, *ops = NULL;
		const char *n;

		(void)uuid;
		if (ovs_port_vlan_from_row(row, &have) < 0)
			continue;
		if (!json_object_object_get_ex(row, "name", &name) || !(n = ovsdb_str(name)))
			continue;
		/* ovsdb_cache_find may pick another row of the same name; only a
		 * unique name must reconcile to nothing. */
		if (ovsdb_cache_find(&c->cache, "Port", "name", n, NULL) != row)
			continue;
		if (ovs_txn_port_vlans(&c->cache, "00000000-0000-0000-0000-000000000000", 1, &n,
		                       &have, &ops) != 0 ||
		    ops)
			abort();
	}
}

static void run(const uint8_t *data, size_t size, size_t cut, struct ctx *c, int *r1, int *r2)
{
	struct ovsdb_stream s;

	memset(c, 0, sizeof(*c));
	ovsdb_cache_init(&c->cache);
	if (ovsdb_stream_init(&s) < 0)
		abort();
	*r1 = ovsdb_stream_feed(&s, (const char *)data, cut, on_msg, c);
	*r2 = *r1 ? *r1 : ovsdb_stream_feed(&s, (const char *)data + cut, size - cut, on_msg, c);
	ovsdb_stream_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx whole, split;
	size_t cut;
	int a1, a2, b1, b2;

	if (size < 1)
		return 0;
	cut = size > 1 ? data[0] % size : 0;
	data++;
	size--;
	if (cut > size)
		cut = size;
	run(data, size, size, &whole, &a1, &a2);
	run(data, size, cut, &split, &b1, &b2);
	/* Splitting the bytes must not change what is extracted, except that
	 * an error stops extraction at the same message either way. */
	if ((a1 || a2) != (b1 || b2))
		abort();
	if (!(a1 || a2) && (whole.n != split.n || whole.hash != split.hash))
		abort();
	check_ports(&whole);
	ovsdb_cache_free(&whole.cache);
	ovsdb_cache_free(&split.cache);
	return 0;
}
