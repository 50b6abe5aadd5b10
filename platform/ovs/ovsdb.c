/*
 * OVSDB (RFC 7047) codec: stream splitting, message classification,
 * request builders, value helpers and the monitor cache. No I/O here; the
 * connection lives in conn.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/ovs/ovsdb.h"

/* ------------------------------------------------------------ stream */

int ovsdb_stream_init(struct ovsdb_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->tok = json_tokener_new_ex(OVSDB_MAX_DEPTH);
	if (!s->tok)
		return -ENOMEM;
	/* Strict RFC 8259 JSON: json-c's lenient mode accepts single quotes and
	 * trailing commas, which no OVSDB server sends. Trailing characters are
	 * the next message. Not JSON_TOKENER_VALIDATE_UTF8: json-c 0.16 rejects
	 * a multi-byte character split across two reads (found by
	 * fuzz_ovsdb_stream), and strings are only compared, never interpreted. */
	json_tokener_set_flags(s->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return 0;
}

void ovsdb_stream_free(struct ovsdb_stream *s)
{
	if (s->tok)
		json_tokener_free(s->tok);
	memset(s, 0, sizeof(*s));
}

void ovsdb_stream_reset(struct ovsdb_stream *s)
{
	json_tokener_reset(s->tok);
	s->msg_bytes = 0;
	s->failed = false;
}

static bool ovsdb_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int ovsdb_stream_feed(struct ovsdb_stream *s, const char *buf, size_t len, ovsdb_msg_fn fn,
                      void *arg)
{
	if (s->failed)
		return -EPROTO;
	while (len) {
		struct json_object *o;
		enum json_tokener_error e;
		size_t used, chunk = len > (1u << 30) ? (1u << 30) : len;
		int r;

		/* Whitespace between messages: skipping it here keeps msg_bytes
		 * about one message and lets "{}\n" end cleanly. */
		if (s->msg_bytes == 0 && ovsdb_is_space(*buf)) {
			buf++;
			len--;
			continue;
		}
		/* RFC 7047 §4: every message is a JSON object. Refusing anything
		 * else at its first byte keeps json-c from waiting for the end of
		 * a top-level number, which without framing never comes. */
		if (s->msg_bytes == 0 && *buf != '{')
			goto fail;
		o = json_tokener_parse_ex(s->tok, buf, (int)chunk);
		e = json_tokener_get_error(s->tok);
		if (!o && e == json_tokener_continue) {
			s->msg_bytes += chunk;
			if (s->msg_bytes > OVSDB_MAX_MSG)
				goto fail;
			buf += chunk;
			len -= chunk;
			continue;
		}
		if (!o || e != json_tokener_success)
			goto fail;
		used = json_tokener_get_parse_end(s->tok);
		if (used > chunk || s->msg_bytes + used > OVSDB_MAX_MSG) {
			json_object_put(o);
			goto fail;
		}
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			goto fail;
		}
		buf += used;
		len -= used;
		json_tokener_reset(s->tok);
		s->msg_bytes = 0;
		r = fn ? fn(arg, o) : 0;
		json_object_put(o);
		if (r)
			return r;
	}
	return 0;
fail:
	s->failed = true;
	return -EPROTO;
}

/* ------------------------------------------------------------ messages */

int ovsdb_msg_decode(struct json_object *o, struct ovsdb_msg *out)
{
	struct json_object *method = NULL, *params = NULL, *id = NULL, *result = NULL,
	                   *error = NULL;
	bool has_id, has_result, has_error;

	memset(out, 0, sizeof(*out));
	if (!o || !json_object_is_type(o, json_type_object))
		return -EPROTO;
	json_object_object_get_ex(o, "method", &method);
	json_object_object_get_ex(o, "params", &params);
	has_id = json_object_object_get_ex(o, "id", &id);
	has_result = json_object_object_get_ex(o, "result", &result);
	has_error = json_object_object_get_ex(o, "error", &error);

	if (method) {
		if (!json_object_is_type(method, json_type_string) || !params ||
		    !json_object_is_type(params, json_type_array))
			return -EPROTO;
		out->method = json_object_get_string(method);
		out->params = params;
		out->id = id;
		/* JSON-RPC 1.0: a notification is a request whose id is null. */
		out->kind = id ? OVSDB_MSG_REQUEST : OVSDB_MSG_NOTIFY;
		(void)has_id;
		return 0;
	}
	/* A response has result, error and id (RFC 7047 §4); one of result and
	 * error is null. */
	if (!has_result || !has_error || !id)
		return -EPROTO;
	if ((result == NULL) == (error == NULL))
		return -EPROTO;
	out->kind = OVSDB_MSG_REPLY;
	out->id = id;
	out->result = result;
	out->error = error;
	return 0;
}

int ovsdb_msg_id(const struct ovsdb_msg *m, int64_t *id)
{
	if (!m->id || !json_object_is_type(m->id, json_type_int))
		return -EPROTO;
	*id = json_object_get_int64(m->id);
	return 0;
}

struct json_object *ovsdb_request_new(const char *method, struct json_object *params, int64_t id)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(params);
		return NULL;
	}
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", params ? params : json_object_new_array());
	json_object_object_add(o, "id", json_object_new_int64(id));
	return o;
}

struct json_object *ovsdb_echo_reply(const struct ovsdb_msg *req)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "result", json_object_get(req->params));
	json_object_object_add(o, "error", NULL);
	json_object_object_add(o, "id", json_object_get(req->id));
	return o;
}

struct json_object *ovsdb_monitor_params(const char *db, const char *monitor_id, size_t n,
                                         const char *const *tables,
                                         const char *const *const *columns)
{
	struct json_object *p = json_object_new_array();
	struct json_object *req = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_new_object();
		struct json_object *cols = json_object_new_array();
		struct json_object *sel = json_object_new_object();

		for (size_t j = 0; columns[i][j]; j++)
			json_object_array_add(cols, json_object_new_string(columns[i][j]));
		json_object_object_add(t, "columns", cols);
		/* Initial contents plus every change (RFC 7047 §4.1.5 defaults,
		 * spelled out). */
		json_object_object_add(sel, "initial", json_object_new_boolean(1));
		json_object_object_add(sel, "insert", json_object_new_boolean(1));
		json_object_object_add(sel, "delete", json_object_new_boolean(1));
		json_object_object_add(sel, "modify", json_object_new_boolean(1));
		json_object_object_add(t, "select", sel);
		json_object_object_add(req, tables[i], t);
	}
	json_object_array_add(p, json_object_new_string(db));
	json_object_array_add(p, json_object_new_string(monitor_id));
	json_object_array_add(p, req);
	return p;
}

/* ------------------------------------------------------------ values */

/* RFC 7047 §5.1: <uuid> is ["uuid", <string>] of 36 characters. */
const char *ovsdb_uuid(struct json_object *v)
{
	struct json_object *a, *b;
	const char *s;

	if (!v || !json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return NULL;
	a = json_object_array_get_idx(v, 0);
	b = json_object_array_get_idx(v, 1);
	if (!json_object_is_type(a, json_type_string) ||
	    strcmp(json_object_get_string(a), "uuid") || !json_object_is_type(b, json_type_string))
		return NULL;
	s = json_object_get_string(b);
	return strlen(s) == OVSDB_UUID_STRLEN - 1 ? s : NULL;
}

/* ["set", [..]] -> the inner array; NULL if v is not a set. */
static struct json_object *ovsdb_set_elems(struct json_object *v)
{
	struct json_object *a, *b;

	if (!v || !json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return NULL;
	a = json_object_array_get_idx(v, 0);
	b = json_object_array_get_idx(v, 1);
	if (!json_object_is_type(a, json_type_string) || strcmp(json_object_get_string(a), "set") ||
	    !json_object_is_type(b, json_type_array))
		return NULL;
	return b;
}

bool ovsdb_int(struct json_object *v, int64_t *out)
{
	struct json_object *e = ovsdb_set_elems(v);

	if (e) {
		if (json_object_array_length(e) != 1)
			return false;
		v = json_object_array_get_idx(e, 0);
	}
	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

const char *ovsdb_str(struct json_object *v)
{
	struct json_object *e = ovsdb_set_elems(v);

	if (e) {
		if (json_object_array_length(e) != 1)
			return NULL;
		v = json_object_array_get_idx(e, 0);
	}
	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int ovsdb_int_set_walk(struct json_object *v, void (*fn)(void *arg, int64_t x), void *arg)
{
	struct json_object *e = ovsdb_set_elems(v);
	size_t n;

	/* RFC 7047 §5.1: a one-element set may be sent as the bare atom. */
	if (!e) {
		if (!v || !json_object_is_type(v, json_type_int))
			return -EPROTO;
		fn(arg, json_object_get_int64(v));
		return 0;
	}
	n = json_object_array_length(e);
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(e, i), json_type_int))
			return -EPROTO;
	for (size_t i = 0; i < n; i++)
		fn(arg, json_object_get_int64(json_object_array_get_idx(e, i)));
	return 0;
}

static struct json_object *ovsdb_pair(const char *a, struct json_object *b)
{
	struct json_object *p = json_object_new_array();

	json_object_array_add(p, json_object_new_string(a));
	json_object_array_add(p, b);
	return p;
}

struct json_object *ovsdb_empty_set(void)
{
	return ovsdb_pair("set", json_object_new_array());
}

struct json_object *ovsdb_named_uuid(const char *name)
{
	return ovsdb_pair("named-uuid", json_object_new_string(name));
}

struct json_object *ovsdb_uuid_new(const char *uuid)
{
	return ovsdb_pair("uuid", json_object_new_string(uuid));
}

/* ------------------------------------------------------------ cache */

void ovsdb_cache_init(struct ovsdb_cache *c)
{
	c->tables = json_object_new_object();
}

void ovsdb_cache_clear(struct ovsdb_cache *c)
{
	json_object_put(c->tables);
	c->tables = json_object_new_object();
}

void ovsdb_cache_free(struct ovsdb_cache *c)
{
	json_object_put(c->tables);
	c->tables = NULL;
}

/* RFC 7047 §4.1.6 <row-update>: "old" only = deleted; "new" only =
 * inserted (or initial); both = modified, and "new" holds every monitored
 * column (plain "monitor", not monitor_cond's "modify" deltas). */
static int ovsdb_cache_row_update(struct json_object *rows, const char *uuid,
                                  struct json_object *ru)
{
	struct json_object *nw = NULL;

	if (!json_object_is_type(ru, json_type_object) || strlen(uuid) != OVSDB_UUID_STRLEN - 1)
		return -EPROTO;
	if (!json_object_object_get_ex(ru, "new", &nw) || !nw) {
		json_object_object_del(rows, uuid);
		return 0;
	}
	if (!json_object_is_type(nw, json_type_object))
		return -EPROTO;
	json_object_object_add(rows, uuid, json_object_get(nw));
	return 0;
}

int ovsdb_cache_update(struct ovsdb_cache *c, struct json_object *updates)
{
	if (!c->tables || !updates || !json_object_is_type(updates, json_type_object))
		return -EPROTO;
	json_object_object_foreach(updates, table, tu)
	{
		struct json_object *rows = NULL;

		if (!tu || !json_object_is_type(tu, json_type_object))
			return -EPROTO;
		if (!json_object_object_get_ex(c->tables, table, &rows)) {
			rows = json_object_new_object();
			if (!rows)
				return -ENOMEM;
			json_object_object_add(c->tables, table, rows);
		}
		json_object_object_foreach(tu, uuid, ru)
		{
			if (!ru || ovsdb_cache_row_update(rows, uuid, ru) < 0)
				return -EPROTO;
		}
	}
	return 0;
}

struct json_object *ovsdb_cache_row(const struct ovsdb_cache *c, const char *table,
                                    const char *uuid)
{
	struct json_object *rows, *row;

	if (!c->tables || !json_object_object_get_ex(c->tables, table, &rows))
		return NULL;
	return json_object_object_get_ex(rows, uuid, &row) ? row : NULL;
}

struct json_object *ovsdb_cache_find(const struct ovsdb_cache *c, const char *table,
                                     const char *col, const char *val, const char **uuid)
{
	struct json_object *rows;

	if (!c->tables || !json_object_object_get_ex(c->tables, table, &rows))
		return NULL;
	json_object_object_foreach(rows, id, row)
	{
		struct json_object *v;
		const char *s;

		if (json_object_object_get_ex(row, col, &v) && (s = ovsdb_str(v)) &&
		    !strcmp(s, val)) {
			if (uuid)
				*uuid = id;
			return row;
		}
	}
	return NULL;
}

size_t ovsdb_cache_count(const struct ovsdb_cache *c, const char *table)
{
	struct json_object *rows;

	if (!c->tables || !json_object_object_get_ex(c->tables, table, &rows))
		return 0;
	return (size_t)json_object_object_length(rows);
}

/* ------------------------------------------------------------ VLAN columns */

size_t ovs_vlan_set_count(const struct ovs_vlan_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(s->bits); i++)
		n += (size_t)__builtin_popcount(s->bits[i]);
	return n;
}

static const char *const ovs_vlan_mode_names[] = {
        [OVS_VLAN_MODE_NONE] = "",
        [OVS_VLAN_MODE_ACCESS] = "access",
        [OVS_VLAN_MODE_TRUNK] = "trunk",
        [OVS_VLAN_MODE_NATIVE_TAGGED] = "native-tagged",
        [OVS_VLAN_MODE_NATIVE_UNTAGGED] = "native-untagged",
};

const char *ovs_vlan_mode_name(enum ovs_vlan_mode m)
{
	if ((size_t)m >= sizeof(ovs_vlan_mode_names) / sizeof(ovs_vlan_mode_names[0]))
		return "?";
	return ovs_vlan_mode_names[m];
}

int ovs_vlan_mode_parse(const char *s, enum ovs_vlan_mode *out)
{
	for (size_t i = 1; i < sizeof(ovs_vlan_mode_names) / sizeof(ovs_vlan_mode_names[0]); i++)
		if (!strcmp(s, ovs_vlan_mode_names[i])) {
			*out = (enum ovs_vlan_mode)i;
			return 0;
		}
	return -EINVAL;
}

static void ovs_trunk_add(void *arg, int64_t x)
{
	int *bad = ((void **)arg)[1];

	if (x < 0 || x > 4095) {
		*bad = 1;
		return;
	}
	ovs_vlan_set_add(((void **)arg)[0], (uint16_t)x);
}

/* Port: tag integer 0..4095 optional; vlan_mode string optional; trunks set
 * of 0..4096 integers 0..4095 (ovs-vswitchd.conf.db(5)). */
int ovs_port_vlan_from_row(struct json_object *row, struct ovs_port_vlan *out)
{
	struct json_object *v;
	struct json_object *e;
	int64_t tag;
	int bad = 0;
	void *ctx[2] = {&out->trunks, &bad};

	memset(out, 0, sizeof(*out));
	if (!row || !json_object_is_type(row, json_type_object))
		return -EPROTO;
	if (json_object_object_get_ex(row, "tag", &v)) {
		e = ovsdb_set_elems(v);
		if (!(e && json_object_array_length(e) == 0)) {
			if (!ovsdb_int(v, &tag) || tag < 0 || tag > 4095)
				return -EPROTO;
			out->tag = (uint16_t)tag;
		}
	}
	if (json_object_object_get_ex(row, "vlan_mode", &v)) {
		e = ovsdb_set_elems(v);
		if (!(e && json_object_array_length(e) == 0)) {
			const char *s = ovsdb_str(v);

			if (!s || ovs_vlan_mode_parse(s, &out->mode) < 0)
				return -EPROTO;
		}
	}
	if (json_object_object_get_ex(row, "trunks", &v)) {
		if (ovsdb_int_set_walk(v, ovs_trunk_add, ctx) < 0 || bad)
			return -EPROTO;
	}
	return 0;
}

static struct json_object *ovs_trunks_json(const struct ovs_vlan_set *s)
{
	struct json_object *a = json_object_new_array();

	for (uint16_t v = 0; v < 4096; v++)
		if (ovs_vlan_set_has(s, v))
			json_object_array_add(a, json_object_new_int(v));
	/* Always the ["set",[…]] form: unambiguous for 0, 1 or many. */
	return ovsdb_pair("set", a);
}

struct json_object *ovs_port_vlan_diff(const struct ovs_port_vlan *have,
                                       const struct ovs_port_vlan *want)
{
	struct json_object *row = json_object_new_object();

	if (!row)
		return NULL;
	if (have->tag != want->tag)
		json_object_object_add(
		        row, "tag", want->tag ? json_object_new_int(want->tag) : ovsdb_empty_set());
	if (have->mode != want->mode)
		json_object_object_add(
		        row, "vlan_mode",
		        want->mode ? json_object_new_string(ovs_vlan_mode_name(want->mode))
		                   : ovsdb_empty_set());
	if (memcmp(&have->trunks, &want->trunks, sizeof(want->trunks)))
		json_object_object_add(row, "trunks", ovs_trunks_json(&want->trunks));
	if (json_object_object_length(row) == 0) {
		json_object_put(row);
		return NULL;
	}
	return row;
}
