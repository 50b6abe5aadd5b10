/*
 * mgd's control-socket methods (lib/proto/mgd.proto).
 *
 * Every handler decodes and bounds its request, computes the whole answer,
 * and only then replies: a reply can close the connection (slow peer), and
 * the close hook frees the connection's session, so nothing touches a
 * session after the first ctl_reply().
 *
 *   ctl.c         sessions (open/close), edits, load, rollback, show, compare
 *   ctl_commit.c  commit, complete, history, status, config.get, the table
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/proto/mgd.pb-c.h"

#define MGD_MAX_LINES  100000
#define MGD_TEXT_CHUNK (CTL_MAX_FRAME - 512)

struct mgd *mgd_of(void *arg)
{
	struct daemon *d = arg;

	return d->priv;
}

/* ---------------------------------------------------------------- helpers */

/* Splits a line into words: blanks separate, "double quotes" group (with \"
 * and \\ escapes), as the Junos CLI reads `set ... description "a b"`. */
static int mgd_split_words(const char *line, char ***out, size_t *n_out, char *err, size_t errlen)
{
	char **w = NULL;
	size_t n = 0;
	const char *p = line;

	*out = NULL;
	*n_out = 0;
	for (;;) {
		char *word, *q;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		if (n >= MGD_MAX_WORDS) {
			snprintf(err, errlen, "syntax error: more than %d words", MGD_MAX_WORDS);
			goto fail;
		}
		word = malloc(strlen(p) + 1);
		if (!word)
			goto oom;
		q = word;
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*q++ = *p++;
			}
			if (*p != '"') {
				free(word);
				snprintf(err, errlen, "syntax error: unterminated quoted string");
				goto fail;
			}
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				*q++ = *p++;
		}
		*q = '\0';
		char **nw = realloc(w, (n + 1) * sizeof(*w));

		if (!nw) {
			free(word);
			goto oom;
		}
		w = nw;
		w[n++] = word;
	}
	*out = w;
	*n_out = n;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return -1;
}

static void mgd_free_words(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

void mgd_user_name(const struct ctl_req *req, const char *given, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pbuf[1024];

	/* Only root may speak for another user (the CLI run through sudo). */
	if (given && *given && req->uid == 0 && strlen(given) < len) {
		snprintf(buf, len, "%s", given);
		return;
	}
	if (getpwuid_r(req->uid, &pw, pbuf, sizeof(pbuf), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "uid%u", (unsigned)req->uid);
}

/* The session a request names: its id, or 0 for the connection's own.
 * With create, a connection without one gets a shared session. NULL with the
 * request answered when the id is not this connection's. *s may be NULL for a
 * read-only request without session (it then reads the shared candidate). */
int mgd_req_session(struct mgd *m, struct ctl_req *req, uint32_t id, bool create,
                    struct mgd_session **out)
{
	struct mgd_session *s = mgd_session_by_conn(m, req->conn_id);
	char err[MGD_ERR_LEN], user[MGD_MAX_USER];

	*out = NULL;
	if (id && (!s || s->id != id)) {
		ctl_error(req, CTL_ERR_INVALID,
		          "configuration session %u is not open on this connection", id);
		return -1;
	}
	if (!s && create) {
		if (!req->may_write) {
			ctl_error(req, CTL_ERR_DENIED,
			          "permission denied: configuration is read-only");
			return -1;
		}
		mgd_user_name(req, NULL, user, sizeof(user));
		s = mgd_session_open(m, req->conn_id, MGD_SESSION_SHARED, user, err, sizeof(err));
		if (!s) {
			ctl_error(req, CTL_ERR_BUSY, "%s", err);
			return -1;
		}
	}
	*out = s;
	return 0;
}

bool mgd_words_ok(char **w, size_t n)
{
	if (n > MGD_MAX_WORDS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!w[i])
			return false;
	return true;
}

/* Sends text as Text parts of at most MGD_TEXT_CHUNK bytes, cut at a line
 * end where possible and never inside a UTF-8 sequence. */
void mgd_reply_text(struct ctl_req *req, const char *text)
{
	size_t len = strlen(text), off = 0;
	char *chunk = malloc(MGD_TEXT_CHUNK + 1);

	if (!chunk) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		return;
	}
	do {
		Keel__Mgd__Text t = KEEL__MGD__TEXT__INIT;
		size_t n = len - off;

		if (n > MGD_TEXT_CHUNK) {
			size_t cut = MGD_TEXT_CHUNK;

			while (cut > MGD_TEXT_CHUNK / 2 && text[off + cut - 1] != '\n')
				cut--;
			if (text[off + cut - 1] != '\n') {
				cut = MGD_TEXT_CHUNK;
				while (cut > 0 && ((unsigned char)text[off + cut] & 0xc0) == 0x80)
					cut--;
			}
			n = cut;
		}
		memcpy(chunk, text + off, n);
		chunk[n] = '\0';
		t.text = chunk;
		if (ctl_reply(req, &t.base) < 0)
			break;
		off += n;
	} while (off < len);
	free(chunk);
}

/* ---------------------------------------------------------------- sessions */

void mgd_open_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	Keel__Mgd__OpenReply r = KEEL__MGD__OPEN_REPLY__INIT;
	char err[MGD_ERR_LEN], user[MGD_MAX_USER];
	char *warnings[MGD_MAX_SESSIONS + 1];
	char wbuf[MGD_MAX_SESSIONS + 1][MGD_MAX_USER + 64];
	Keel__Mgd__Open *o;
	struct mgd_session *s, *x;
	size_t nw = 0;

	o = keel__mgd__open__unpack(NULL, req->payload_len, req->payload);
	if (!o) {
		ctl_error(req, CTL_ERR_INVALID, "config.open: payload is not an Open");
		return;
	}
	if (o->mode > KEEL__MGD__SESSION_MODE__SESSION_EXCLUSIVE) {
		keel__mgd__open__free_unpacked(o, NULL);
		ctl_error(req, CTL_ERR_INVALID, "config.open: unknown session mode");
		return;
	}
	mgd_user_name(req, o->user, user, sizeof(user));
	mgd_session_close(m, mgd_session_by_conn(m, req->conn_id));
	s = mgd_session_open(m, req->conn_id, (enum mgd_session_mode)o->mode, user, err,
	                     sizeof(err));
	keel__mgd__open__free_unpacked(o, NULL);
	if (!s) {
		ctl_error(req, CTL_ERR_BUSY, "error: %s", err);
		return;
	}
	LIST_FOREACH(x, &m->sessions, entry)
	{
		if (x == s || nw >= MGD_MAX_SESSIONS)
			continue;
		snprintf(wbuf[nw], sizeof(wbuf[nw]), "User %s is editing the configuration (%s)",
		         x->user, mgd_session_mode_name(x->mode));
		warnings[nw] = wbuf[nw];
		nw++;
	}
	r.session = s->id;
	r.modified = !conf_equal(mgd_session_candidate(m, s), m->running);
	if (r.modified && s->mode != MGD_SESSION_PRIVATE) {
		snprintf(wbuf[nw], sizeof(wbuf[nw]),
		         "The configuration has been changed but not committed");
		warnings[nw] = wbuf[nw];
		nw++;
	}
	r.warnings = warnings;
	r.n_warnings = nw;
	ctl_reply(req, &r.base);
}

void mgd_close_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);

	mgd_session_close(m, mgd_session_by_conn(m, req->conn_id));
}

void mgd_ctl_conn_closed(uint64_t conn_id, void *arg)
{
	struct mgd *m = arg;

	mgd_session_close(m, mgd_session_by_conn(m, conn_id));
}

/* ---------------------------------------------------------------- edits */

/* Whether s may change its candidate; answers the request when not. */
static bool mgd_may_edit(struct mgd *m, struct ctl_req *req, struct mgd_session *s)
{
	char buf[MGD_ERR_LEN];

	if (s->mode != MGD_SESSION_PRIVATE && mgd_session_locked(m, s, buf, sizeof(buf))) {
		ctl_error(req, CTL_ERR_BUSY, "error: %s", buf);
		return false;
	}
	return true;
}

struct mgd_edit_reply {
	Keel__Mgd__EditReply r;
	Keel__Mgd__LineError **errs;
	size_t n;
};

static int mgd_edit_error(struct mgd_edit_reply *er, uint32_t line, const char *msg,
                          const char *path)
{
	Keel__Mgd__LineError *e = calloc(1, sizeof(*e));
	Keel__Mgd__LineError **ne = realloc(er->errs, (er->n + 1) * sizeof(*ne));

	if (!e || !ne) {
		free(e);
		if (ne)
			er->errs = ne;
		return -1;
	}
	er->errs = ne;
	keel__mgd__line_error__init(e);
	e->line = line;
	e->message = strdup(msg);
	e->path = strdup(path ? path : "");
	if (!e->message || !e->path) {
		free(e->message);
		free(e->path);
		free(e);
		return -1;
	}
	er->errs[er->n++] = e;
	return 0;
}

static void mgd_edit_reply_send(struct ctl_req *req, struct mgd_edit_reply *er)
{
	er->r.errors = er->errs;
	er->r.n_errors = er->n;
	ctl_reply(req, &er->r.base);
	for (size_t i = 0; i < er->n; i++) {
		free(er->errs[i]->message);
		free(er->errs[i]->path);
		free(er->errs[i]);
	}
	free(er->errs);
}

static char *mgd_join(char **w, size_t n)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(w[i]);

		if (i)
			*p++ = ' ';
		memcpy(p, w[i], l);
		p += l;
		*p = '\0';
	}
	return out;
}

void mgd_edit_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	struct mgd_edit_reply er = {.r = KEEL__MGD__EDIT_REPLY__INIT};
	char **canon = NULL;
	size_t n_canon = 0;
	Keel__Mgd__Edit *e;
	struct mgd_session *s;
	struct conf *c;

	e = keel__mgd__edit__unpack(NULL, req->payload_len, req->payload);
	if (!e) {
		ctl_error(req, CTL_ERR_INVALID, "config.edit: payload is not an Edit");
		return;
	}
	if (!mgd_words_ok(e->path, e->n_path) || e->n_lines > MGD_MAX_LINES) {
		ctl_error(req, CTL_ERR_INVALID, "config.edit: too many words or lines");
		goto out;
	}
	if (mgd_req_session(m, req, e->session, true, &s) < 0 || !mgd_may_edit(m, req, s))
		goto out;
	c = mgd_session_candidate(m, s);
	for (size_t i = 0; i < e->n_lines; i++) {
		char err[MGD_ERR_LEN] = "";
		const char *const *path = (const char *const *)e->path;
		char **w;
		size_t n;
		int rc = -1;

		if (mgd_split_words(e->lines[i], &w, &n, err, sizeof(err)) < 0) {
			mgd_edit_error(&er, (uint32_t)i + 1, err, NULL);
			continue;
		}
		if (n == 0) {
			mgd_free_words(w, n);
			continue;
		}
		const char *const *args = (const char *const *)w + 1;

		if (strcmp(w[0], "set") == 0)
			rc = conf_set(c, path, e->n_path, args, n - 1, err, sizeof(err));
		else if (strcmp(w[0], "delete") == 0)
			rc = conf_delete(c, path, e->n_path, args, n - 1, err, sizeof(err));
		else if (strcmp(w[0], "activate") == 0 || strcmp(w[0], "deactivate") == 0)
			rc = conf_activate(c, path, e->n_path, args, n - 1, w[0][0] == 'a', err,
			                   sizeof(err));
		else if (strcmp(w[0], "edit") == 0) {
			char **full = calloc(e->n_path + n, sizeof(*full));

			if (full) {
				/* memcpy from NULL is undefined even for 0 bytes (top level). */
				if (e->n_path)
					memcpy(full, e->path, e->n_path * sizeof(*full));
				if (n > 1)
					memcpy(full + e->n_path, w + 1, (n - 1) * sizeof(*full));
				if (canon)
					mgd_free_words(canon, n_canon);
				canon = NULL;
				n_canon = 0;
				rc = conf_resolve_path(c, (const char *const *)full,
				                       e->n_path + n - 1, &canon, &n_canon, err,
				                       sizeof(err));
				free(full);
			} else {
				snprintf(err, sizeof(err), "out of memory");
			}
		} else
			snprintf(
			        err, sizeof(err),
			        "syntax error, expecting set, delete, activate, deactivate or edit: %s",
			        w[0]);
		if (rc == 0) {
			er.r.applied++;
		} else {
			char *p = mgd_join(w + 1, n - 1);

			mgd_edit_error(&er, (uint32_t)i + 1, err[0] ? err : "syntax error", p);
			free(p);
		}
		mgd_free_words(w, n);
	}
	er.r.path = canon;
	er.r.n_path = n_canon;
	mgd_edit_reply_send(req, &er);
out:
	if (canon)
		mgd_free_words(canon, n_canon);
	keel__mgd__edit__free_unpacked(e, NULL);
}

void mgd_load_handler(struct ctl_req *req, void *arg)
{
	static const enum conf_load modes[] = {
	        [KEEL__MGD__LOAD_MODE__LOAD_MERGE] = CONF_LOAD_MERGE,
	        [KEEL__MGD__LOAD_MODE__LOAD_OVERRIDE] = CONF_LOAD_OVERRIDE,
	        [KEEL__MGD__LOAD_MODE__LOAD_SET] = CONF_LOAD_SET,
	        [KEEL__MGD__LOAD_MODE__LOAD_REPLACE] = CONF_LOAD_REPLACE,
	};
	struct mgd *m = mgd_of(arg);
	struct mgd_edit_reply er = {.r = KEEL__MGD__EDIT_REPLY__INIT};
	char err[MGD_ERR_LEN] = "";
	struct mgd_session *s;
	Keel__Mgd__Load *l;
	size_t tl;
	char *text;
	int line = 0;

	l = keel__mgd__load__unpack(NULL, req->payload_len, req->payload);
	if (!l) {
		ctl_error(req, CTL_ERR_INVALID, "config.load: payload is not a Load");
		return;
	}
	if ((unsigned)l->mode >= sizeof(modes) / sizeof(modes[0]) ||
	    !mgd_words_ok(l->path, l->n_path)) {
		ctl_error(req, CTL_ERR_INVALID, "config.load: bad mode or path");
		goto out;
	}
	if (mgd_req_session(m, req, l->session, true, &s) < 0 || !mgd_may_edit(m, req, s))
		goto out;
	tl = strlen(l->text ? l->text : "");
	if (s->load_len + tl > MGD_MAX_LOAD) {
		free(s->load);
		s->load = NULL;
		s->load_len = 0;
		ctl_error(req, CTL_ERR_TOO_BIG, "config.load: text larger than %u bytes",
		          MGD_MAX_LOAD);
		goto out;
	}
	text = realloc(s->load, s->load_len + tl + 1);
	if (!text) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		goto out;
	}
	memcpy(text + s->load_len, l->text ? l->text : "", tl);
	text[s->load_len + tl] = '\0';
	if (l->more) {
		s->load = text;
		s->load_len += tl;
		mgd_edit_reply_send(req, &er);
		goto out;
	}
	s->load = NULL;
	s->load_len = 0;
	if (conf_load(mgd_session_candidate(m, s), modes[l->mode], text,
	              (const char *const *)l->path, l->n_path, &line, err, sizeof(err)) < 0)
		mgd_edit_error(&er, line > 0 ? (uint32_t)line : 0, err[0] ? err : "load failed",
		               NULL);
	else
		er.r.applied = 1;
	free(text);
	mgd_edit_reply_send(req, &er);
out:
	keel__mgd__load__free_unpacked(l, NULL);
}

void mgd_rollback_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	struct mgd_edit_reply er = {.r = KEEL__MGD__EDIT_REPLY__INIT};
	char err[MGD_ERR_LEN] = "";
	struct mgd_session *s;
	Keel__Mgd__Rollback *r;
	struct conf *c;

	r = keel__mgd__rollback__unpack(NULL, req->payload_len, req->payload);
	if (!r) {
		ctl_error(req, CTL_ERR_INVALID, "config.rollback: payload is not a Rollback");
		return;
	}
	if (mgd_req_session(m, req, r->session, true, &s) < 0 || !mgd_may_edit(m, req, s))
		goto out;
	c = mgd_rollback_load(m, r->number, err, sizeof(err));
	if (!c) {
		mgd_edit_error(&er, 0, err, NULL);
	} else if (s->mode == MGD_SESSION_PRIVATE) {
		mgd_conf_free(s->priv);
		s->priv = c;
		er.r.applied = 1;
	} else {
		mgd_conf_free(m->shared);
		m->shared = c;
		er.r.applied = 1;
	}
	mgd_edit_reply_send(req, &er);
out:
	keel__mgd__rollback__free_unpacked(r, NULL);
}

/* ---------------------------------------------------------------- show */

/* The config a Show/Compare names; *owned says whether the caller frees it. */
static const struct conf *mgd_pick(struct mgd *m, struct mgd_session *s, int ds, uint32_t n,
                                   bool *owned, char *err, size_t errlen)
{
	*owned = false;
	switch (ds) {
	case KEEL__MGD__DATASTORE__DS_CANDIDATE:
		return mgd_session_candidate(m, s);
	case KEEL__MGD__DATASTORE__DS_RUNNING:
		return m->running;
	case KEEL__MGD__DATASTORE__DS_ROLLBACK:
		if (n == 0)
			return m->running;
		*owned = true;
		return mgd_rollback_load(m, n, err, errlen);
	}
	snprintf(err, errlen, "unknown datastore %d", ds);
	return NULL;
}

void mgd_show_handler(struct ctl_req *req, void *arg)
{
	static const enum conf_fmt fmts[] = {
	        [KEEL__MGD__FORMAT__FORMAT_TEXT] = CONF_FMT_TEXT,
	        [KEEL__MGD__FORMAT__FORMAT_SET] = CONF_FMT_SET,
	        [KEEL__MGD__FORMAT__FORMAT_JSON] = CONF_FMT_JSON,
	};
	struct mgd *m = mgd_of(arg);
	char err[MGD_ERR_LEN] = "";
	const struct conf *c;
	struct mgd_session *s;
	Keel__Mgd__Show *sh;
	char *out = NULL;
	bool owned, cacheable;
	int rc;

	sh = keel__mgd__show__unpack(NULL, req->payload_len, req->payload);
	if (!sh) {
		ctl_error(req, CTL_ERR_INVALID, "config.show: payload is not a Show");
		return;
	}
	if ((unsigned)sh->format >= sizeof(fmts) / sizeof(fmts[0]) ||
	    !mgd_words_ok(sh->path, sh->n_path)) {
		ctl_error(req, CTL_ERR_INVALID, "config.show: bad format or path");
		goto out;
	}
	if (mgd_req_session(m, req, sh->session, false, &s) < 0)
		goto out;
	cacheable = sh->ds == KEEL__MGD__DATASTORE__DS_RUNNING && sh->n_path == 0 &&
	            sh->format == KEEL__MGD__FORMAT__FORMAT_TEXT && !sh->inheritance;
	if (cacheable && m->show_cache && m->show_cache_gen == m->generation) {
		mgd_reply_text(req, m->show_cache);
		goto out;
	}
	c = mgd_pick(m, s, sh->ds, sh->rollback, &owned, err, sizeof(err));
	if (!c) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
		goto out;
	}
	rc = conf_print(c, (const char *const *)sh->path, sh->n_path, fmts[sh->format],
	                sh->inheritance, &out, err, sizeof(err));
	if (rc < 0 || (rc > 0 && sh->ds == KEEL__MGD__DATASTORE__DS_CANDIDATE)) {
		/* Junos: `show configuration bogus` (running, rollback) prints
		 * nothing; the candidate's `show bogus` is a syntax error. */
		ctl_error(req, CTL_ERR_INVALID, "%s", err[0] ? err : "cannot print");
	} else {
		if (cacheable) {
			free(m->show_cache);
			m->show_cache = strdup(out);
			m->show_cache_gen = m->generation;
		}
		mgd_reply_text(req, out);
	}
	if (owned)
		mgd_conf_free((struct conf *)c);
	free(out);
out:
	keel__mgd__show__free_unpacked(sh, NULL);
}

void mgd_compare_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	char err[MGD_ERR_LEN] = "";
	const struct conf *old, *new_c;
	struct mgd_session *s;
	Keel__Mgd__Compare *cm;
	char *out = NULL;
	bool owned, new_owned;

	cm = keel__mgd__compare__unpack(NULL, req->payload_len, req->payload);
	if (!cm) {
		ctl_error(req, CTL_ERR_INVALID, "config.compare: payload is not a Compare");
		return;
	}
	if (!mgd_words_ok(cm->path, cm->n_path) ||
	    cm->against == KEEL__MGD__DATASTORE__DS_CANDIDATE) {
		ctl_error(req, CTL_ERR_INVALID, "config.compare: bad datastore or path");
		goto out;
	}
	if (mgd_req_session(m, req, cm->session, false, &s) < 0)
		goto out;
	old = mgd_pick(m, s, cm->against, cm->rollback, &owned, err, sizeof(err));
	if (!old) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
		goto out;
	}
	new_c = mgd_pick(m, s, cm->new_ds, cm->new_rollback, &new_owned, err, sizeof(err));
	if (!new_c) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
	} else if (conf_diff(old, new_c, (const char *const *)cm->path, cm->n_path, &out, err,
	                     sizeof(err)) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err[0] ? err : "cannot compare");
	} else {
		mgd_reply_text(req, out);
	}
	if (new_c && new_owned)
		mgd_conf_free((struct conf *)new_c);
	if (owned)
		mgd_conf_free((struct conf *)old);
	free(out);
out:
	keel__mgd__compare__free_unpacked(cm, NULL);
}
