/*
 * mgd's control-socket methods, second half (see ctl.c): commit, completion,
 * history, status, the daemons' config.get, and the method table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/proto/mgd.pb-c.h"

#define MGD_MAX_CHOICES 2000
#define MGD_MAX_CONFIRM 65535 /* Junos: commit confirmed 1..65535 minutes */
#define MGD_JSON_CHUNK  (CTL_MAX_FRAME - 512)

static void mgd_commit_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	Keel__Mgd__CommitReply r = KEEL__MGD__COMMIT_REPLY__INIT;
	Keel__Mgd__LineError le = KEEL__MGD__LINE_ERROR__INIT;
	Keel__Mgd__LineError *lep[1] = {&le};
	char msg[MGD_ERR_LEN * 2] = "", err[MGD_ERR_LEN] = "", user[MGD_MAX_USER];
	struct mgd_commit_req cr = {0};
	struct mgd_session *s;
	Keel__Mgd__Commit *c;

	c = keel__mgd__commit__unpack(NULL, req->payload_len, req->payload);
	if (!c) {
		ctl_error(req, CTL_ERR_INVALID, "config.commit: payload is not a Commit");
		return;
	}
	if (c->confirmed_minutes > MGD_MAX_CONFIRM || strlen(c->comment) >= MGD_MAX_COMMENT ||
	    strlen(c->client) >= MGD_MAX_CLIENT || (c->check && c->confirmed_minutes)) {
		ctl_error(req, CTL_ERR_INVALID,
		          "config.commit: confirmed 1..%d minutes, comment < %d bytes, client < %d "
		          "bytes, not with check",
		          MGD_MAX_CONFIRM, MGD_MAX_COMMENT, MGD_MAX_CLIENT);
		goto out;
	}
	if (mgd_req_session(m, req, c->session, true, &s) < 0)
		goto out;
	snprintf(user, sizeof(user), "%s", s->user);
	cr.user = user;
	cr.client = c->client;
	cr.comment = c->comment;
	cr.check = c->check;
	cr.confirm_minutes = c->confirmed_minutes;
	if (mgd_session_locked(m, s, err, sizeof(err))) {
		/* err holds the reason */
	} else if (s->mode == MGD_SESSION_PRIVATE && s->base_gen != m->generation) {
		snprintf(err, sizeof(err),
		         "configuration database modified: the running configuration changed "
		         "since this private session began; leave configuration mode and enter "
		         "'configure private' again");
	} else if (mgd_commit(m, mgd_session_candidate(m, s), &cr, msg, sizeof(msg), err,
	                      sizeof(err)) == 0) {
		err[0] = '\0';
		r.ok = true;
		r.confirm_minutes = c->confirmed_minutes;
		if (s->mode == MGD_SESSION_PRIVATE)
			s->base_gen = m->generation;
		if (c->and_quit && !c->check)
			mgd_session_close(m, s);
	}
	if (!r.ok) {
		le.message = err;
		le.path = "";
		r.errors = lep;
		r.n_errors = 1;
		snprintf(msg, sizeof(msg), "error: %s",
		         c->check ? "configuration check-out failed" : "commit failed");
	}
	r.message = msg;
	ctl_reply(req, &r.base);
out:
	keel__mgd__commit__free_unpacked(c, NULL);
}

/* ---------------------------------------------------------------- complete */

struct mgd_choices {
	const char *partial;
	Keel__Mgd__Choice *v;
	size_t n, cap;
	bool oom;
};

static void mgd_choice(void *arg, const char *word, const char *help, bool value, bool container)
{
	struct mgd_choices *cs = arg;
	Keel__Mgd__Choice *ch;

	/* A placeholder (<name>) matches anything being typed; keywords by prefix. */
	if (cs->oom || cs->n >= MGD_MAX_CHOICES ||
	    (!value && strncmp(word, cs->partial, strlen(cs->partial)) != 0))
		return;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 32;
		Keel__Mgd__Choice *nv = realloc(cs->v, cap * sizeof(*nv));

		if (!nv) {
			cs->oom = true;
			return;
		}
		cs->v = nv;
		cs->cap = cap;
	}
	ch = &cs->v[cs->n];
	keel__mgd__choice__init(ch);
	ch->word = strdup(word ? word : "");
	ch->help = strdup(help ? help : "");
	if (!ch->word || !ch->help) {
		free(ch->word);
		free(ch->help);
		cs->oom = true;
		return;
	}
	ch->value = value;
	ch->container = container;
	cs->n++;
}

static void mgd_complete_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	struct mgd_choices cs = {0};
	struct mgd_session *s;
	Keel__Mgd__Complete *c;

	c = keel__mgd__complete__unpack(NULL, req->payload_len, req->payload);
	if (!c) {
		ctl_error(req, CTL_ERR_INVALID, "config.complete: payload is not a Complete");
		return;
	}
	if (!mgd_words_ok(c->path, c->n_path) || !mgd_words_ok(c->words, c->n_words)) {
		ctl_error(req, CTL_ERR_INVALID, "config.complete: too many words");
		goto out;
	}
	if (mgd_req_session(m, req, c->session, false, &s) < 0)
		goto out;
	cs.partial = c->partial ? c->partial : "";
	if (conf_complete(mgd_session_candidate(m, s), *c->verb ? c->verb : "set",
	                  (const char *const *)c->path, c->n_path, (const char *const *)c->words,
	                  c->n_words, mgd_choice, &cs) < 0 ||
	    cs.oom) {
		ctl_error(req, CTL_ERR_INVALID, "config.complete: nothing can follow here");
	} else {
		for (size_t i = 0; i < cs.n; i++)
			if (ctl_reply(req, &cs.v[i].base) < 0)
				break;
	}
	for (size_t i = 0; i < cs.n; i++) {
		free(cs.v[i].word);
		free(cs.v[i].help);
	}
	free(cs.v);
out:
	keel__mgd__complete__free_unpacked(c, NULL);
}

/* ---------------------------------------------------------------- info */

static void mgd_history_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	struct mgd_commit_info h[MGD_MAX_ROLLBACK + 1];
	size_t n = mgd_history(m, h, MGD_MAX_ROLLBACK + 1);

	for (size_t i = 0; i < n; i++) {
		Keel__Mgd__CommitInfo ci = KEEL__MGD__COMMIT_INFO__INIT;

		ci.index = h[i].index;
		ci.time = h[i].time;
		ci.user = h[i].user;
		ci.client = h[i].client;
		ci.comment = h[i].comment;
		ci.confirmed = h[i].confirmed;
		if (ctl_reply(req, &ci.base) < 0)
			return;
	}
}

static void mgd_status_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	Keel__Mgd__Status st = KEEL__MGD__STATUS__INIT;
	char *ed[MGD_MAX_SESSIONS];
	char buf[MGD_MAX_SESSIONS][MGD_MAX_USER + 16];
	struct mgd_session *s;
	uint64_t now = (uint64_t)time(NULL);
	size_t n = 0;

	LIST_FOREACH(s, &m->sessions, entry)
	{
		if (n >= MGD_MAX_SESSIONS)
			break;
		snprintf(buf[n], sizeof(buf[n]), "%s (%s)", s->user,
		         mgd_session_mode_name(s->mode));
		ed[n] = buf[n];
		n++;
	}
	st.editors = ed;
	st.n_editors = n;
	st.exclusive_locked = m->exclusive != NULL;
	if (m->confirm_deadline)
		st.confirm_pending_seconds =
		        m->confirm_deadline > now ? (uint32_t)(m->confirm_deadline - now) : 0;
	st.generation = m->generation;
	ctl_reply(req, &st.base);
}

/* A daemon's subtree of running, in parts of at most one frame. */
static void mgd_get_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	const struct mgd_peer *p;
	Keel__Mgd__GetConfig *g;
	const char *json;
	size_t len, off = 0;
	char *chunk;

	g = keel__mgd__get_config__unpack(NULL, req->payload_len, req->payload);
	if (!g) {
		ctl_error(req, CTL_ERR_INVALID, "config.get: payload is not a GetConfig");
		return;
	}
	p = mgd_peer_find(g->daemon);
	if (!p) {
		ctl_error(req, CTL_ERR_INVALID, "config.get: no config subtree for daemon '%s'",
		          g->daemon);
		goto out;
	}
	json = m->peer_json[p - mgd_peers] ? m->peer_json[p - mgd_peers] : "{}";
	len = strlen(json);
	chunk = malloc(MGD_JSON_CHUNK + 1);
	if (!chunk) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		goto out;
	}
	do {
		Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;
		size_t n = len - off;

		if (n > MGD_JSON_CHUNK) {
			n = MGD_JSON_CHUNK;
			while (n > 0 && ((unsigned char)json[off + n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(chunk, json + off, n);
		chunk[n] = '\0';
		dc.generation = m->generation;
		dc.json = chunk;
		if (ctl_reply(req, &dc.base) < 0)
			break;
		off += n;
	} while (off < len);
	free(chunk);
out:
	keel__mgd__get_config__free_unpacked(g, NULL);
}

const struct ctl_method mgd_ctl_methods[] = {
        {"config.open", mgd_open_handler, CTL_F_WRITE,
         "enter configuration mode (shared, private, exclusive)"},
        {"config.close", mgd_close_handler, CTL_F_WRITE,
         "leave configuration mode (the connection's session)"},
        {"config.edit", mgd_edit_handler, CTL_F_WRITE, "set / delete / activate / deactivate"},
        {"config.load", mgd_load_handler, CTL_F_WRITE, "load merge|override|set|replace"},
        {"config.rollback", mgd_rollback_handler, CTL_F_WRITE, "candidate := rollback N"},
        {"config.show", mgd_show_handler, 0, "show configuration"},
        {"config.compare", mgd_compare_handler, 0, "show | compare [rollback N]"},
        {"config.commit", mgd_commit_handler, CTL_F_WRITE,
         "commit [check | confirmed N | comment | and-quit]"},
        {"config.complete", mgd_complete_handler, 0, "completion in configuration mode"},
        {"config.history", mgd_history_handler, 0, "show system commit"},
        {"config.status", mgd_status_handler, 0, "editors, lock, pending commit confirmed"},
        {"config.get", mgd_get_handler, CTL_F_WRITE, "a daemon's config subtree (JSON)"},
        {"cluster.snapshot", mgd_sync_snapshot_handler, CTL_F_WRITE,
         "the running configuration for the cluster peer (clusterd, raw text parts)"},
        {"cluster.receive", mgd_sync_receive_handler, CTL_F_WRITE,
         "the cluster peer's configuration, chunked (clusterd SyncChunk): commit it"},
};
const size_t mgd_ctl_n_methods = sizeof(mgd_ctl_methods) / sizeof(mgd_ctl_methods[0]);
