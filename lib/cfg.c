/*
 * The daemon side of mgd's two-phase commit (lib/cfg.h, DESIGN.md §3).
 *
 * Two directions share one struct cfg:
 *   - mgd calls us: "config.validate" runs ops->validate on the proposed
 *     subtree and answers END or an ERROR whose text names the path;
 *     "config.apply" runs ops->apply(old, new) and remembers new.
 *   - we call mgd: "config.get" at start, whenever the connection to mgd comes
 *     (back) up, on SIGHUP (cfg_reload) and when a "config.committed" event
 *     announces a generation we have not seen. The reply may come in several
 *     DaemonConfig parts whose json fields are concatenated (mgd.proto).
 * The applied JSON is kept as text too, so a fetch that brings the same
 * subtree only moves the generation and never re-applies (no flaps).
 *
 * Large requests from mgd carry json_file instead of json: the file is read
 * here, bounded by CFG_MAX_JSON.
 */
#include "lib/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proto/mgd.pb-c.h"

#define CFG_MAX_JSON (64u * 1024 * 1024)
#define CFG_RETRY_MS 1000
#define CFG_ERR_LEN  CTL_MAX_ERROR

struct cfg {
	struct daemon *d;
	const struct cfg_ops *ops;
	void *arg;
	struct ctl_aclient *ac;
	struct json_object *cur; /* applied config, {} at start */
	char *cur_text;          /* its JSON text as received, to spot no-op fetches */
	uint64_t gen;
	struct timer retry;
	bool fetching;
	bool refetch; /* another fetch was asked for while one was running */
	bool closing;
	/* the config.get reply being assembled */
	char *buf;
	size_t len, cap;
	uint64_t fetch_gen;
	bool fetch_bad;
};

/* ---------------------------------------------------------------- helpers */

struct json_object *cfg_get(struct json_object *o, const char *name)
{
	struct json_object *v = NULL;

	if (!o || !name || !json_object_is_type(o, json_type_object))
		return NULL;
	if (json_object_object_get_ex(o, name, &v))
		return v;
	/* RFC 7951 §4: a member is "module:name" where its module differs
	 * from its parent's; callers name it without the prefix. */
	json_object_object_foreach(o, key, val)
	{
		const char *colon = strchr(key, ':');

		if (colon && strcmp(colon + 1, name) == 0)
			return val;
	}
	return NULL;
}

const char *cfg_get_str(struct json_object *o, const char *name)
{
	struct json_object *v = cfg_get(o, name);

	if (!v || json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

bool cfg_get_bool(struct json_object *o, const char *name)
{
	struct json_object *v = cfg_get(o, name);

	if (!v)
		return false;
	/* RFC 7951 §6.9: an empty leaf is [null] */
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 1 &&
		       json_object_is_type(json_object_array_get_idx(v, 0), json_type_null);
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return json_object_is_type(v, json_type_object); /* a presence container */
}

uint64_t cfg_generation(const struct cfg *c)
{
	return c ? c->gen : 0;
}

struct json_object *cfg_current(const struct cfg *c)
{
	return c ? c->cur : NULL;
}

/* Parses JSON text that must be an object; "" counts as {}. */
static struct json_object *cfg_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len == 0)
		return json_object_new_object();
	if (len > CFG_MAX_JSON || len > INT32_MAX) {
		snprintf(err, errlen, "configuration of %zu bytes is too large", len);
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "configuration is not valid JSON: %s",
		         json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "configuration is not a JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Reads the file a large request names. Only a regular file below our run
 * directory is accepted: the path comes from the wire. */
static char *cfg_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd;

	if (keel_path(dir, sizeof(dir), KEEL_DIR_RUN, "") < 0 ||
	    strncmp(path, dir, strlen(dir)) != 0 || strstr(path, "/../")) {
		snprintf(err, errlen, "json_file %s is not in %s", path, dir);
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > CFG_MAX_JSON) {
		snprintf(err, errlen, "json_file %s: %s", path,
		         fd < 0 ? strerror(errno) : "not a regular file of sane size");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf || n != (size_t)st.st_size) {
		snprintf(err, errlen, "json_file %s: short read", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The text of a DaemonConfig request: json, or the file it points to. *text
 * is malloc'd. */
static int cfg_msg_text(const Keel__Mgd__DaemonConfig *m, char **text, size_t *len, char *err,
                        size_t errlen)
{
	if (m->json_file && *m->json_file) {
		*text = cfg_read_file(m->json_file, len, err, errlen);
		return *text ? 0 : -1;
	}
	*len = m->json ? strlen(m->json) : 0;
	*text = strndup(m->json ? m->json : "", *len);
	if (!*text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Applies text as the new config unless it is what we have. Takes text. */
static int cfg_apply_text(struct cfg *c, char *text, size_t len, uint64_t gen, char *err,
                          size_t errlen)
{
	struct json_object *o;

	if (c->cur_text && strcmp(c->cur_text, text) == 0) {
		free(text);
		if (gen > c->gen)
			c->gen = gen;
		return 0;
	}
	o = cfg_parse(text, len, err, errlen);
	if (!o) {
		free(text);
		return -1;
	}
	err[0] = '\0';
	if (c->ops->apply && c->ops->apply(c->arg, c->cur, o, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "apply failed");
		log_warnx("config generation %llu: %s", (unsigned long long)gen, err);
		/* What was applied is unknown in part; keep the new text as the
		 * reference so the next diff starts from what we tried. */
	} else {
		log_info("config generation %llu applied", (unsigned long long)gen);
		err[0] = '\0';
	}
	json_object_put(c->cur);
	c->cur = o;
	free(c->cur_text);
	c->cur_text = text;
	if (gen > c->gen || gen == 0)
		c->gen = gen;
	return err[0] ? -1 : 0;
}

/* ---------------------------------------------------------------- mgd calls us */

static struct cfg *cfg_of(struct ctl_req *req, void *arg)
{
	struct daemon *d = arg;

	if (!d || !d->cfg) {
		ctl_error(req, CTL_ERR_BUSY, "%s: configuration client not started yet",
		          req->method);
		return NULL;
	}
	return d->cfg;
}

static Keel__Mgd__DaemonConfig *cfg_decode(struct ctl_req *req)
{
	Keel__Mgd__DaemonConfig *m;

	m = keel__mgd__daemon_config__unpack(NULL, req->payload_len, req->payload);
	if (!m)
		ctl_error(req, CTL_ERR_INVALID, "%s: payload is not a DaemonConfig", req->method);
	return m;
}

static void cfg_validate_handler(struct ctl_req *req, void *arg)
{
	struct cfg *c = cfg_of(req, arg);
	Keel__Mgd__DaemonConfig *m;
	struct json_object *o = NULL;
	char err[CFG_ERR_LEN] = "";
	char *text = NULL;
	size_t len = 0;

	if (!c || !(m = cfg_decode(req)))
		return;
	if (cfg_msg_text(m, &text, &len, err, sizeof(err)) < 0 ||
	    !(o = cfg_parse(text, len, err, sizeof(err)))) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
	} else if (c->ops->validate && c->ops->validate(c->arg, o, err, sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err[0] ? err : "configuration refused");
	} else {
		ctl_end(req);
	}
	json_object_put(o);
	free(text);
	keel__mgd__daemon_config__free_unpacked(m, NULL);
}

static void cfg_apply_handler(struct ctl_req *req, void *arg)
{
	struct cfg *c = cfg_of(req, arg);
	Keel__Mgd__DaemonConfig *m;
	char err[CFG_ERR_LEN] = "";
	char *text = NULL;
	size_t len = 0;

	if (!c || !(m = cfg_decode(req)))
		return;
	if (m->check_only) {
		ctl_error(req, CTL_ERR_INVALID, "config.apply with check_only set");
	} else if (m->generation && m->generation < c->gen) {
		ctl_error(req, CTL_ERR_INVALID, "generation %llu is older than the applied %llu",
		          (unsigned long long)m->generation, (unsigned long long)c->gen);
	} else if (cfg_msg_text(m, &text, &len, err, sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
	} else if (cfg_apply_text(c, text, len, m->generation, err, sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_FAILED, "%s", err);
	} else {
		ctl_end(req);
	}
	keel__mgd__daemon_config__free_unpacked(m, NULL);
}

const struct ctl_method cfg_ctl_methods[] = {
        {"config.validate", cfg_validate_handler, CTL_F_WRITE,
         "check a proposed configuration subtree (mgd's commit, phase 1)"},
        {"config.apply", cfg_apply_handler, CTL_F_WRITE,
         "apply a committed configuration subtree (mgd's commit, phase 2)"},
};
const size_t cfg_ctl_n_methods = sizeof(cfg_ctl_methods) / sizeof(cfg_ctl_methods[0]);

/* ---------------------------------------------------------------- we call mgd */

static void cfg_fetch(struct cfg *c);

static void cfg_retry_cb(void *arg)
{
	cfg_fetch(arg);
}

static void cfg_fetch_done(struct cfg *c, bool ok)
{
	c->fetching = false;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	if (c->refetch) {
		c->refetch = false;
		cfg_fetch(c);
	} else if (!ok && ctl_aclient_up(c->ac)) {
		timer_add_ms(&c->retry, CFG_RETRY_MS);
	}
}

static void cfg_got(int status, bool done, const uint8_t *payload, size_t len, const char *error,
                    void *arg)
{
	struct cfg *c = arg;
	char err[CFG_ERR_LEN];

	if (c->closing)
		return;
	if (!done) {
		Keel__Mgd__DaemonConfig *m = keel__mgd__daemon_config__unpack(NULL, len, payload);
		size_t n = m && m->json ? strlen(m->json) : 0;

		if (!m || c->fetch_bad || c->len + n + 1 > CFG_MAX_JSON) {
			c->fetch_bad = true;
		} else {
			if (c->len + n + 1 > c->cap) {
				size_t cap = (c->len + n + 1) * 2;
				char *nb = realloc(c->buf, cap);

				if (!nb)
					c->fetch_bad = true;
				else {
					c->buf = nb;
					c->cap = cap;
				}
			}
			if (!c->fetch_bad) {
				memcpy(c->buf + c->len, m->json ? m->json : "", n);
				c->len += n;
				c->buf[c->len] = '\0';
				c->fetch_gen = m->generation;
			}
		}
		if (m)
			keel__mgd__daemon_config__free_unpacked(m, NULL);
		return;
	}
	if (status != 0 || c->fetch_bad) {
		log_warnx("config.get from mgd failed: %s",
		          c->fetch_bad ? "malformed or oversized reply"
		                       : (status < 0 ? "connection lost" : error));
		cfg_fetch_done(c, false);
		return;
	}
	char *text = c->buf ? c->buf : strdup("");

	c->buf = NULL;
	if (text)
		cfg_apply_text(c, text, strlen(text), c->fetch_gen, err, sizeof(err));
	cfg_fetch_done(c, text != NULL);
}

static void cfg_fetch(struct cfg *c)
{
	Keel__Mgd__GetConfig g = KEEL__MGD__GET_CONFIG__INIT;

	if (c->fetching) {
		c->refetch = true;
		return;
	}
	timer_del(&c->retry);
	if (!ctl_aclient_up(c->ac))
		return; /* the state callback fetches when mgd comes up */
	g.daemon = (char *)c->d->desc->name;
	c->fetch_bad = false;
	c->fetch_gen = 0;
	if (ctl_acall(c->ac, "config.get", &g.base, cfg_got, c) < 0) {
		timer_add_ms(&c->retry, CFG_RETRY_MS);
		return;
	}
	c->fetching = true;
}

static void cfg_state(bool up, void *arg)
{
	struct cfg *c = arg;

	if (up && !c->closing)
		cfg_fetch(c);
}

static void cfg_committed(const char *topic, const uint8_t *payload, size_t len, void *arg)
{
	struct cfg *c = arg;
	Keel__Mgd__DaemonConfig *m = keel__mgd__daemon_config__unpack(NULL, len, payload);

	if (!m)
		return;
	if (m->generation > c->gen)
		cfg_fetch(c);
	keel__mgd__daemon_config__free_unpacked(m, NULL);
}

struct cfg *cfg_open(struct daemon *d, const struct cfg_ops *ops, void *arg)
{
	struct cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->d = d;
	c->ops = ops;
	c->arg = arg;
	c->cur = json_object_new_object();
	timer_init(&c->retry, d->base, cfg_retry_cb, c);
	c->ac = ctl_aclient_open(d->base, "mgd", cfg_state, c);
	if (!c->cur || !c->ac || ctl_asubscribe(c->ac, "config.committed", cfg_committed, c) < 0) {
		cfg_close(c);
		return NULL;
	}
	return c;
}

void cfg_reload(struct cfg *c)
{
	if (c)
		cfg_fetch(c);
}

void cfg_close(struct cfg *c)
{
	if (!c)
		return;
	c->closing = true;
	timer_del(&c->retry);
	if (c->ac)
		ctl_aclient_close(c->ac);
	json_object_put(c->cur);
	free(c->cur_text);
	free(c->buf);
	free(c);
}
