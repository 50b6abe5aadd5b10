/*
 * Switch ports on Open vSwitch: transactions built from the monitor cache
 * (pure, tested without a server) and their execution on a connection.
 *
 * VLAN columns are reconciled, not set: the wanted values are compared with
 * the cached row and only differing columns are written, all ports in one
 * transaction, so re-applying an unchanged config sends nothing and never
 * makes vswitchd reconfigure (which would flush learned MACs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/ovs/ovsdb.h"

#define OVS_APPLY_TIMEOUT_MS 10000

static struct json_object *ovs_where_eq(const char *col, struct json_object *val)
{
	struct json_object *w = json_object_new_array();
	struct json_object *c = json_object_new_array();

	json_object_array_add(c, json_object_new_string(col));
	json_object_array_add(c, json_object_new_string("=="));
	json_object_array_add(c, val);
	json_object_array_add(w, c);
	return w;
}

static struct json_object *ovs_op(const char *op, const char *table)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "table", json_object_new_string(table));
	return o;
}

/* Ask vswitchd to reconfigure and learn the target next_cfg (the way
 * ovs-vsctl does it): mutate next_cfg += 1, then select it. */
static void ovs_add_cfg_bump(struct json_object *ops, const char *root)
{
	struct json_object *m = ovs_op("mutate", "Open_vSwitch");
	struct json_object *muts = json_object_new_array();
	struct json_object *mu = json_object_new_array();
	struct json_object *s = ovs_op("select", "Open_vSwitch");
	struct json_object *cols = json_object_new_array();

	json_object_object_add(m, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(root)));
	json_object_array_add(mu, json_object_new_string("next_cfg"));
	json_object_array_add(mu, json_object_new_string("+="));
	json_object_array_add(mu, json_object_new_int(1));
	json_object_array_add(muts, mu);
	json_object_object_add(m, "mutations", muts);
	json_object_array_add(ops, m);

	json_object_object_add(s, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(root)));
	json_object_array_add(cols, json_object_new_string("next_cfg"));
	json_object_object_add(s, "columns", cols);
	json_object_array_add(ops, s);
}

bool ovs_txn_next_cfg(struct json_object *result, int64_t *next_cfg)
{
	struct json_object *last, *rows, *v;
	size_t n;

	if (!result || !json_object_is_type(result, json_type_array))
		return false;
	n = json_object_array_length(result);
	if (!n)
		return false;
	last = json_object_array_get_idx(result, n - 1);
	if (!last || !json_object_object_get_ex(last, "rows", &rows) ||
	    !json_object_is_type(rows, json_type_array) || json_object_array_length(rows) != 1 ||
	    !json_object_object_get_ex(json_object_array_get_idx(rows, 0), "next_cfg", &v))
		return false;
	return ovsdb_int(v, next_cfg);
}

int ovs_txn_port_vlans(const struct ovsdb_cache *c, const char *root, size_t n,
                       const char *const *names, const struct ovs_port_vlan *want,
                       struct json_object **ops)
{
	struct json_object *a = NULL;
	int changed = 0;

	*ops = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *uuid;
		struct json_object *row = ovsdb_cache_find(c, "Port", "name", names[i], &uuid);
		struct ovs_port_vlan have;
		struct json_object *diff, *op;

		if (!row) {
			json_object_put(a);
			return -ENOENT;
		}
		if (ovs_port_vlan_from_row(row, &have) < 0) {
			json_object_put(a);
			return -EPROTO;
		}
		diff = ovs_port_vlan_diff(&have, &want[i]);
		if (!diff)
			continue;
		if (!a)
			a = json_object_new_array();
		op = ovs_op("update", "Port");
		json_object_object_add(op, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(uuid)));
		json_object_object_add(op, "row", diff);
		json_object_array_add(a, op);
		changed++;
	}
	if (!changed)
		return 0;
	ovs_add_cfg_bump(a, root);
	*ops = a;
	return changed;
}

static void ovs_set_vlan_cols(struct json_object *row, const struct ovs_port_vlan *want)
{
	struct ovs_port_vlan none;
	struct json_object *d;

	memset(&none, 0, sizeof(none));
	d = want ? ovs_port_vlan_diff(&none, want) : NULL;
	if (!d)
		return;
	json_object_object_foreach(d, k, v) json_object_object_add(row, k, json_object_get(v));
	json_object_put(d);
}

/* Insert Interface + Port (named uuids) and add the Port to the bridge's
 * ports set: RFC 7047 §5.2.1 insert, §5.2.4 mutate "insert". */
static void ovs_add_port_ops(struct json_object *ops, struct json_object *bridge_where,
                             const char *name, const char *if_type,
                             const struct ovs_port_vlan *want)
{
	struct json_object *ins_if = ovs_op("insert", "Interface");
	struct json_object *if_row = json_object_new_object();
	struct json_object *ins_p = ovs_op("insert", "Port");
	struct json_object *p_row = json_object_new_object();
	struct json_object *mu = ovs_op("mutate", "Bridge");
	struct json_object *muts = json_object_new_array();
	struct json_object *m = json_object_new_array();
	struct json_object *set = json_object_new_array();
	struct json_object *elems = json_object_new_array();

	json_object_object_add(if_row, "name", json_object_new_string(name));
	if (if_type)
		json_object_object_add(if_row, "type", json_object_new_string(if_type));
	json_object_object_add(ins_if, "row", if_row);
	json_object_object_add(ins_if, "uuid-name", json_object_new_string("newif"));
	json_object_array_add(ops, ins_if);

	json_object_object_add(p_row, "name", json_object_new_string(name));
	json_object_object_add(p_row, "interfaces", ovsdb_named_uuid("newif"));
	ovs_set_vlan_cols(p_row, want);
	json_object_object_add(ins_p, "row", p_row);
	json_object_object_add(ins_p, "uuid-name", json_object_new_string("newport"));
	json_object_array_add(ops, ins_p);

	json_object_object_add(mu, "where", bridge_where);
	json_object_array_add(elems, ovsdb_named_uuid("newport"));
	json_object_array_add(set, json_object_new_string("set"));
	json_object_array_add(set, elems);
	json_object_array_add(m, json_object_new_string("ports"));
	json_object_array_add(m, json_object_new_string("insert"));
	json_object_array_add(m, set);
	json_object_array_add(muts, m);
	json_object_object_add(mu, "mutations", muts);
	json_object_array_add(ops, mu);
}

int ovs_txn_port_add(const struct ovsdb_cache *c, const char *root, const char *bridge,
                     const char *name, const struct ovs_port_vlan *want, struct json_object **ops)
{
	const char *br_uuid;

	*ops = NULL;
	if (!ovsdb_cache_find(c, "Bridge", "name", bridge, &br_uuid))
		return -ENOENT;
	if (ovsdb_cache_find(c, "Port", "name", name, NULL))
		return -EEXIST;
	*ops = json_object_new_array();
	ovs_add_port_ops(*ops, ovs_where_eq("_uuid", ovsdb_uuid_new(br_uuid)), name, NULL, want);
	ovs_add_cfg_bump(*ops, root);
	return 0;
}

int ovs_txn_port_del(const struct ovsdb_cache *c, const char *root, const char *name,
                     struct json_object **ops)
{
	const char *p_uuid;
	struct json_object *rows;

	*ops = NULL;
	if (!ovsdb_cache_find(c, "Port", "name", name, &p_uuid))
		return -ENOENT;
	if (!json_object_object_get_ex(c->tables, "Bridge", &rows))
		return -ENOENT;
	/* Removing the reference is enough: Port and Interface are not root
	 * tables, so the server garbage-collects them (RFC 7047 §3.2). */
	json_object_object_foreach(rows, br_uuid, br)
	{
		struct json_object *ports, *e;
		bool has = false;

		if (!json_object_object_get_ex(br, "ports", &ports))
			continue;
		if (ovsdb_uuid(ports)) {
			has = !strcmp(ovsdb_uuid(ports), p_uuid);
		} else if (json_object_is_type(ports, json_type_array) &&
		           json_object_array_length(ports) == 2 &&
		           (e = json_object_array_get_idx(ports, 1)) &&
		           json_object_is_type(e, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(e); i++) {
				const char *u = ovsdb_uuid(json_object_array_get_idx(e, i));

				if (u && !strcmp(u, p_uuid))
					has = true;
			}
		}
		if (has) {
			struct json_object *mu = ovs_op("mutate", "Bridge");
			struct json_object *muts = json_object_new_array();
			struct json_object *m = json_object_new_array();

			json_object_object_add(mu, "where",
			                       ovs_where_eq("_uuid", ovsdb_uuid_new(br_uuid)));
			json_object_array_add(m, json_object_new_string("ports"));
			json_object_array_add(m, json_object_new_string("delete"));
			json_object_array_add(m, ovsdb_uuid_new(p_uuid));
			json_object_array_add(muts, m);
			json_object_object_add(mu, "mutations", muts);
			*ops = json_object_new_array();
			json_object_array_add(*ops, mu);
			ovs_add_cfg_bump(*ops, root);
			return 0;
		}
	}
	return -ENOENT;
}

int ovs_txn_bridge_add(const struct ovsdb_cache *c, const char *root, const char *name,
                       struct json_object **ops)
{
	struct json_object *ins, *row, *mu, *muts, *m, *set, *elems;
	struct json_object *a;

	*ops = NULL;
	if (ovsdb_cache_find(c, "Bridge", "name", name, NULL))
		return -EEXIST;
	a = json_object_new_array();
	/* Like ovs-vsctl add-br: a bridge carries an internal port of its own
	 * name; datapath_type netdev since the kernel datapath is absent. */
	ins = ovs_op("insert", "Bridge");
	row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(name));
	json_object_object_add(row, "datapath_type", json_object_new_string("netdev"));
	json_object_object_add(row, "ports", ovsdb_named_uuid("newport"));
	json_object_object_add(ins, "row", row);
	json_object_object_add(ins, "uuid-name", json_object_new_string("newbr"));

	/* Port/Interface inserts first, then the Bridge that names them; the
	 * mutate of Bridge.ports is not needed for a new bridge. */
	{
		struct json_object *tmp = json_object_new_array();

		ovs_add_port_ops(tmp, ovs_where_eq("name", json_object_new_string(name)), name,
		                 "internal", NULL);
		json_object_array_add(a, json_object_get(json_object_array_get_idx(tmp, 0)));
		json_object_array_add(a, json_object_get(json_object_array_get_idx(tmp, 1)));
		json_object_put(tmp);
	}
	json_object_array_add(a, ins);

	mu = ovs_op("mutate", "Open_vSwitch");
	muts = json_object_new_array();
	m = json_object_new_array();
	set = json_object_new_array();
	elems = json_object_new_array();
	json_object_object_add(mu, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(root)));
	json_object_array_add(elems, ovsdb_named_uuid("newbr"));
	json_object_array_add(set, json_object_new_string("set"));
	json_object_array_add(set, elems);
	json_object_array_add(m, json_object_new_string("bridges"));
	json_object_array_add(m, json_object_new_string("insert"));
	json_object_array_add(m, set);
	json_object_array_add(muts, m);
	json_object_object_add(mu, "mutations", muts);
	json_object_array_add(a, mu);
	ovs_add_cfg_bump(a, root);
	*ops = a;
	return 0;
}

/* ------------------------------------------------------------ execution */

struct ovs_job {
	struct ovsdb_conn *conn;
	ovsdb_done_fn fn;
	void *arg;
};

/* RFC 7047 §4.1.3: the result array has one element per op; a failed op
 * carries "error", and a trailing extra element may report a commit
 * failure. */
static int ovs_txn_error(struct json_object *result)
{
	size_t n = json_object_array_length(result);

	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(result, i), *e;

		if (r && json_object_object_get_ex(r, "error", &e) && e)
			return -EIO;
	}
	return 0;
}

static void ovs_job_reply(void *arg, int err, struct json_object *result, struct json_object *error)
{
	struct ovs_job *j = arg;
	int64_t next_cfg;

	if (!err && (error || !result || !json_object_is_type(result, json_type_array)))
		err = -EIO;
	if (!err)
		err = ovs_txn_error(result);
	if (!err && !ovs_txn_next_cfg(result, &next_cfg))
		err = -EPROTO;
	if (!err)
		err = ovsdb_wait_cfg(j->conn, next_cfg, OVS_APPLY_TIMEOUT_MS, j->fn, j->arg);
	if (err)
		j->fn(j->arg, err);
	free(j);
}

static int ovs_job_run(struct ovsdb_conn *c, struct json_object *ops, ovsdb_done_fn fn, void *arg)
{
	struct ovs_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j) {
		json_object_put(ops);
		return -ENOMEM;
	}
	j->conn = c;
	j->fn = fn;
	j->arg = arg;
	r = ovsdb_transact(c, ops, ovs_job_reply, j);
	if (r < 0)
		free(j);
	return r;
}

/* 0 when c can take a transaction; -ENOTCONN while it is not connected and
 * monitoring, -ENODEV when the database has no Open_vSwitch row (ovs-vsctl
 * init not run). */
static int ovs_conn_usable(struct ovsdb_conn *c)
{
	if (!ovsdb_conn_is_ready(c))
		return -ENOTCONN;
	if (!ovsdb_conn_root(c))
		return -ENODEV;
	return 0;
}

int ovs_port_set_vlans(struct ovsdb_conn *c, size_t n, const char *const *names,
                       const struct ovs_port_vlan *want, ovsdb_done_fn fn, void *arg)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_port_vlans(ovsdb_conn_cache(c), ovsdb_conn_root(c), n, names, want, &ops);
	if (r <= 0)
		return r < 0 ? r : 1;
	return ovs_job_run(c, ops, fn, arg);
}

int ovs_port_add(struct ovsdb_conn *c, const char *bridge, const char *name,
                 const struct ovs_port_vlan *want, ovsdb_done_fn fn, void *arg)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_port_add(ovsdb_conn_cache(c), ovsdb_conn_root(c), bridge, name, want, &ops);
	return r < 0 ? r : ovs_job_run(c, ops, fn, arg);
}

int ovs_port_del(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_port_del(ovsdb_conn_cache(c), ovsdb_conn_root(c), name, &ops);
	return r < 0 ? r : ovs_job_run(c, ops, fn, arg);
}

int ovs_bridge_add(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_bridge_add(ovsdb_conn_cache(c), ovsdb_conn_root(c), name, &ops);
	return r < 0 ? r : ovs_job_run(c, ops, fn, arg);
}

/* ------------------------------------------------------------ whole bridge */

/* Calls fn for every uuid in a set-of-uuid column (bare atom or
 * ["set",[…]], RFC 7047 §5.1). */
static void ovs_uuid_set_walk(struct json_object *v, void (*fn)(void *arg, const char *uuid),
                              void *arg)
{
	struct json_object *e;

	if (!v)
		return;
	if (ovsdb_uuid(v)) {
		fn(arg, ovsdb_uuid(v));
		return;
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return;
	e = json_object_array_get_idx(v, 1);
	if (!e || !json_object_is_type(e, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(e); i++) {
		const char *u = ovsdb_uuid(json_object_array_get_idx(e, i));

		if (u)
			fn(arg, u);
	}
}

struct ovs_rec_walk {
	const struct ovsdb_cache *c;
	const char *bridge;
	size_t n;
	const struct ovs_port_want *want;
	struct json_object *del; /* uuids of our bridge's ports nobody wants */
};

static void ovs_rec_port(void *arg, const char *uuid)
{
	struct ovs_rec_walk *w = arg;
	struct json_object *row = ovsdb_cache_row(w->c, "Port", uuid), *v;
	const char *name;

	if (!row || !json_object_object_get_ex(row, "name", &v) || !(name = ovsdb_str(v)))
		return;
	/* The bridge's own internal port stays (ovs-vsctl add-br creates it). */
	if (!strcmp(name, w->bridge))
		return;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->want[i].name, name))
			return;
	json_object_array_add(w->del, ovsdb_uuid_new(uuid));
}

static struct json_object *ovs_set_of(struct json_object *elems)
{
	struct json_object *set = json_object_new_array();

	json_object_array_add(set, json_object_new_string("set"));
	json_object_array_add(set, elems);
	return set;
}

static struct json_object *ovs_mutation(const char *col, const char *mutator,
                                        struct json_object *val)
{
	struct json_object *muts = json_object_new_array();
	struct json_object *m = json_object_new_array();

	json_object_array_add(m, json_object_new_string(col));
	json_object_array_add(m, json_object_new_string(mutator));
	json_object_array_add(m, val);
	json_object_array_add(muts, m);
	return muts;
}

/* Insert Interface + Port for want (named uuids "iK" / "pK"). */
static void ovs_rec_insert(struct json_object *ops, size_t k, const char *name, const char *type,
                           const char *peer, const struct ovs_port_vlan *vlan)
{
	struct json_object *ins_if = ovs_op("insert", "Interface");
	struct json_object *if_row = json_object_new_object();
	struct json_object *ins_p = ovs_op("insert", "Port");
	struct json_object *p_row = json_object_new_object();
	char iname[24], pname[24];

	snprintf(iname, sizeof(iname), "i%zu", k);
	snprintf(pname, sizeof(pname), "p%zu", k);
	json_object_object_add(if_row, "name", json_object_new_string(name));
	if (type)
		json_object_object_add(if_row, "type", json_object_new_string(type));
	if (peer) {
		/* ovs-vswitchd.conf.db(5) Interface options:peer of a patch
		 * port; RFC 7047 §5.1 map ["map", [[key, value]]] */
		struct json_object *map = json_object_new_array();
		struct json_object *pairs = json_object_new_array();
		struct json_object *kv = json_object_new_array();

		json_object_array_add(kv, json_object_new_string("peer"));
		json_object_array_add(kv, json_object_new_string(peer));
		json_object_array_add(pairs, kv);
		json_object_array_add(map, json_object_new_string("map"));
		json_object_array_add(map, pairs);
		json_object_object_add(if_row, "options", map);
	}
	json_object_object_add(ins_if, "row", if_row);
	json_object_object_add(ins_if, "uuid-name", json_object_new_string(iname));
	json_object_array_add(ops, ins_if);

	json_object_object_add(p_row, "name", json_object_new_string(name));
	json_object_object_add(p_row, "interfaces", ovsdb_named_uuid(iname));
	ovs_set_vlan_cols(p_row, vlan);
	json_object_object_add(ins_p, "row", p_row);
	json_object_object_add(ins_p, "uuid-name", json_object_new_string(pname));
	json_object_array_add(ops, ins_p);
}

/* Bridge.fail_mode as cached: "" for the empty set (vswitchd's default,
 * standalone). */
static const char *ovs_bridge_fail_mode(struct json_object *br_row)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(br_row, "fail_mode", &v) || !(s = ovsdb_str(v)))
		return "";
	return s;
}

int ovs_txn_bridge_reconcile(const struct ovsdb_cache *c, const char *root, const char *bridge,
                             const char *fail_mode, size_t n, const struct ovs_port_want *want,
                             struct json_object **ops, size_t *skipped)
{
	struct json_object *a = json_object_new_array();
	struct json_object *br_row, *ports = NULL, *new_ports = json_object_new_array();
	const char *br_uuid = NULL;
	int changes = 0;
	size_t k = 0;

	*ops = NULL;
	if (skipped)
		*skipped = 0;
	br_row = ovsdb_cache_find(c, "Bridge", "name", bridge, &br_uuid);
	if (!br_row) {
		/* New bridge: its internal port, then every wanted port, then the
		 * Bridge naming them all (as ovs_txn_bridge_add, netdev datapath). */
		struct json_object *ins = ovs_op("insert", "Bridge");
		struct json_object *row = json_object_new_object();

		ovs_rec_insert(a, k, bridge, "internal", NULL, NULL);
		json_object_array_add(new_ports, ovsdb_named_uuid("p0"));
		k++;
		for (size_t i = 0; i < n; i++) {
			if (ovsdb_cache_find(c, "Port", "name", want[i].name, NULL)) {
				if (skipped)
					(*skipped)++; /* on another bridge: not ours */
				continue;
			}
			char pname[24];

			ovs_rec_insert(a, k, want[i].name, want[i].type, want[i].peer,
			               &want[i].vlan);
			snprintf(pname, sizeof(pname), "p%zu", k++);
			json_object_array_add(new_ports, ovsdb_named_uuid(pname));
		}
		json_object_object_add(row, "name", json_object_new_string(bridge));
		json_object_object_add(row, "datapath_type", json_object_new_string("netdev"));
		if (fail_mode && *fail_mode)
			json_object_object_add(row, "fail_mode", json_object_new_string(fail_mode));
		json_object_object_add(row, "ports", ovs_set_of(new_ports));
		json_object_object_add(ins, "row", row);
		json_object_object_add(ins, "uuid-name", json_object_new_string("newbr"));
		json_object_array_add(a, ins);
		{
			struct json_object *mu = ovs_op("mutate", "Open_vSwitch");
			struct json_object *el = json_object_new_array();

			json_object_object_add(mu, "where",
			                       ovs_where_eq("_uuid", ovsdb_uuid_new(root)));
			json_object_array_add(el, ovsdb_named_uuid("newbr"));
			json_object_object_add(mu, "mutations",
			                       ovs_mutation("bridges", "insert", ovs_set_of(el)));
			json_object_array_add(a, mu);
		}
		ovs_add_cfg_bump(a, root);
		*ops = a;
		return (int)k;
	}

	/* ovs-vswitchd.conf.db(5) Bridge fail_mode: "secure" starts an empty
	 * flow table (no default NORMAL) on every vswitchd (re)start. Changing it
	 * flushes the table; the OpenFlow side re-installs keel's flows. */
	if (fail_mode && strcmp(ovs_bridge_fail_mode(br_row), fail_mode)) {
		struct json_object *op = ovs_op("update", "Bridge");
		struct json_object *row = json_object_new_object();

		json_object_object_add(row, "fail_mode",
		                       *fail_mode ? json_object_new_string(fail_mode)
		                                  : ovs_set_of(json_object_new_array()));
		json_object_object_add(op, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(br_uuid)));
		json_object_object_add(op, "row", row);
		json_object_array_add(a, op);
		changes++;
	}

	json_object_object_get_ex(br_row, "ports", &ports);
	{
		struct ovs_rec_walk w = {.c = c,
		                         .bridge = bridge,
		                         .n = n,
		                         .want = want,
		                         .del = json_object_new_array()};

		ovs_uuid_set_walk(ports, ovs_rec_port, &w);
		if (json_object_array_length(w.del)) {
			/* RFC 7047 §5.2.4 mutate "delete"; Port and Interface rows go
			 * with the last reference (not root tables). */
			struct json_object *mu = ovs_op("mutate", "Bridge");

			changes += (int)json_object_array_length(w.del);
			json_object_object_add(mu, "where",
			                       ovs_where_eq("_uuid", ovsdb_uuid_new(br_uuid)));
			json_object_object_add(mu, "mutations",
			                       ovs_mutation("ports", "delete", ovs_set_of(w.del)));
			json_object_array_add(a, mu);
		} else {
			json_object_put(w.del);
		}
	}

	for (size_t i = 0; i < n; i++) {
		const char *p_uuid;
		struct json_object *row =
		        ovsdb_cache_find(c, "Port", "name", want[i].name, &p_uuid);
		struct ovs_port_vlan have;
		struct json_object *diff, *op;
		bool mine = false;

		if (!row) {
			char pname[24];

			ovs_rec_insert(a, k, want[i].name, want[i].type, want[i].peer,
			               &want[i].vlan);
			snprintf(pname, sizeof(pname), "p%zu", k++);
			json_object_array_add(new_ports, ovsdb_named_uuid(pname));
			changes++;
			continue;
		}
		/* A port of that name on another bridge belongs to someone else. */
		if (ports) {
			struct json_object *e;

			if (ovsdb_uuid(ports))
				mine = !strcmp(ovsdb_uuid(ports), p_uuid);
			else if (json_object_is_type(ports, json_type_array) &&
			         (e = json_object_array_get_idx(ports, 1)) &&
			         json_object_is_type(e, json_type_array))
				for (size_t j = 0; j < json_object_array_length(e) && !mine; j++) {
					const char *u = ovsdb_uuid(json_object_array_get_idx(e, j));

					mine = u && !strcmp(u, p_uuid);
				}
		}
		if (!mine) {
			if (skipped)
				(*skipped)++;
			continue;
		}
		if (ovs_port_vlan_from_row(row, &have) < 0)
			continue;
		diff = ovs_port_vlan_diff(&have, &want[i].vlan);
		if (!diff)
			continue;
		op = ovs_op("update", "Port");
		json_object_object_add(op, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(p_uuid)));
		json_object_object_add(op, "row", diff);
		json_object_array_add(a, op);
		changes++;
	}
	if (json_object_array_length(new_ports)) {
		struct json_object *mu = ovs_op("mutate", "Bridge");

		json_object_object_add(mu, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(br_uuid)));
		json_object_object_add(mu, "mutations",
		                       ovs_mutation("ports", "insert", ovs_set_of(new_ports)));
		json_object_array_add(a, mu);
	} else {
		json_object_put(new_ports);
	}
	if (!changes) {
		json_object_put(a);
		return 0;
	}
	ovs_add_cfg_bump(a, root);
	*ops = a;
	return changes;
}

int ovs_bridge_reconcile(struct ovsdb_conn *c, const char *bridge, const char *fail_mode, size_t n,
                         const struct ovs_port_want *want, ovsdb_done_fn fn, void *arg,
                         size_t *skipped)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_bridge_reconcile(ovsdb_conn_cache(c), ovsdb_conn_root(c), bridge, fail_mode, n,
	                             want, &ops, skipped);
	if (r <= 0)
		return r < 0 ? r : 1;
	return ovs_job_run(c, ops, fn, arg);
}

int ovs_txn_bridge_del(const struct ovsdb_cache *c, const char *root, const char *name,
                       struct json_object **ops)
{
	struct json_object *a, *mu, *el = json_object_new_array();
	const char *br_uuid = NULL;

	*ops = NULL;
	if (!ovsdb_cache_find(c, "Bridge", "name", name, &br_uuid) || !br_uuid) {
		json_object_put(el);
		return -ENOENT;
	}
	/* Bridge is not a root table (vswitch.ovsschema): dropping the last
	 * reference, Open_vSwitch.bridges, garbage-collects the row and with it
	 * its Port and Interface rows (RFC 7047 §3.2 isRoot), as ovs-vsctl
	 * del-br does. */
	a = json_object_new_array();
	mu = ovs_op("mutate", "Open_vSwitch");
	json_object_object_add(mu, "where", ovs_where_eq("_uuid", ovsdb_uuid_new(root)));
	json_object_array_add(el, ovsdb_uuid_new(br_uuid));
	json_object_object_add(mu, "mutations", ovs_mutation("bridges", "delete", ovs_set_of(el)));
	json_object_array_add(a, mu);
	ovs_add_cfg_bump(a, root);
	*ops = a;
	return 0;
}

int ovs_bridge_del(struct ovsdb_conn *c, const char *name, ovsdb_done_fn fn, void *arg)
{
	struct json_object *ops;
	int r;

	if ((r = ovs_conn_usable(c)) < 0)
		return r;
	r = ovs_txn_bridge_del(ovsdb_conn_cache(c), ovsdb_conn_root(c), name, &ops);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return r;
	return ovs_job_run(c, ops, fn, arg);
}

int64_t ovs_iface_ofport(const struct ovsdb_cache *c, const char *name)
{
	struct json_object *row = ovsdb_cache_find(c, "Interface", "name", name, NULL), *v;
	int64_t x;

	if (!row || !json_object_object_get_ex(row, "ofport", &v) || !ovsdb_int(v, &x))
		return -1;
	return x;
}

const char *ovs_iface_by_ofport(const struct ovsdb_cache *c, int64_t ofport)
{
	struct json_object *rows;

	if (!c->tables || !json_object_object_get_ex(c->tables, "Interface", &rows))
		return NULL;
	json_object_object_foreach(rows, id, row)
	{
		struct json_object *v;
		int64_t x;

		(void)id;
		if (json_object_object_get_ex(row, "ofport", &v) && ovsdb_int(v, &x) &&
		    x == ofport && json_object_object_get_ex(row, "name", &v))
			return ovsdb_str(v);
	}
	return NULL;
}

struct ovs_on_bridge {
	const char *uuid;
	bool found;
};

static void ovs_on_bridge_cb(void *arg, const char *uuid)
{
	struct ovs_on_bridge *o = arg;

	if (!strcmp(uuid, o->uuid))
		o->found = true;
}

bool ovs_port_on_bridge(const struct ovsdb_cache *c, const char *bridge, const char *port)
{
	struct json_object *br = ovsdb_cache_find(c, "Bridge", "name", bridge, NULL), *ports;
	struct ovs_on_bridge o = {0};

	if (!br || !ovsdb_cache_find(c, "Port", "name", port, &o.uuid) || !o.uuid ||
	    !json_object_object_get_ex(br, "ports", &ports))
		return false;
	ovs_uuid_set_walk(ports, ovs_on_bridge_cb, &o);
	return o.found;
}
