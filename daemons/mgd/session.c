/*
 * Configuration sessions, one per ctl connection (mgd.proto "config.open").
 *
 * Junos semantics, kept small:
 *   shared     edits the one shared candidate; it persists across sessions
 *              and keeps uncommitted changes when its editors leave.
 *   exclusive  edits the shared candidate and holds a lock: nobody else may
 *              edit it or commit. Leaving without commit discards the
 *              uncommitted changes (as `configure exclusive` does).
 *   private    edits its own copy of running taken at open. Refused while the
 *              shared candidate has uncommitted changes (Junos: "shared
 *              configuration database modified"). Its commit is refused when
 *              running changed since the copy was taken; there is no merge,
 *              the message says to re-enter configuration mode.
 * A session ends when its connection closes (ctl_server_on_close).
 * On the RG0 secondary of a chassis cluster no session opens (sync.c names the primary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"

const char *mgd_session_mode_name(enum mgd_session_mode mode)
{
	switch (mode) {
	case MGD_SESSION_SHARED:
		return "shared";
	case MGD_SESSION_PRIVATE:
		return "private";
	case MGD_SESSION_EXCLUSIVE:
		return "exclusive";
	}
	return "?";
}

struct mgd_session *mgd_session_by_conn(struct mgd *m, uint64_t conn_id)
{
	struct mgd_session *s;

	LIST_FOREACH(s, &m->sessions, entry)
	if (s->conn_id == conn_id)
		return s;
	return NULL;
}

struct mgd_session *mgd_session_open(struct mgd *m, uint64_t conn_id, enum mgd_session_mode mode,
                                     const char *user, char *err, size_t errlen)
{
	struct mgd_session *s;

	if (mgd_sync_refused(m, err, errlen))
		return NULL;
	if (m->n_sessions >= MGD_MAX_SESSIONS) {
		snprintf(err, errlen, "too many configuration sessions (%d)", MGD_MAX_SESSIONS);
		return NULL;
	}
	if (mode != MGD_SESSION_SHARED && mode != MGD_SESSION_PRIVATE &&
	    mode != MGD_SESSION_EXCLUSIVE) {
		snprintf(err, errlen, "unknown session mode %d", (int)mode);
		return NULL;
	}
	if (mode == MGD_SESSION_EXCLUSIVE && m->exclusive) {
		snprintf(err, errlen,
		         "configuration database locked by: %s (exclusive); "
		         "use 'configure private' or try later",
		         m->exclusive->user);
		return NULL;
	}
	if (mode == MGD_SESSION_PRIVATE && !conf_equal(m->shared, m->running)) {
		snprintf(err, errlen,
		         "shared configuration database modified; "
		         "commit or roll back the shared candidate first");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mode == MGD_SESSION_PRIVATE) {
		s->priv = conf_dup(m->running);
		if (!s->priv) {
			free(s);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		s->base_gen = m->generation;
	}
	/* ids are never 0: 0 means "the connection's session" on the wire */
	if (++m->next_session == 0)
		m->next_session = 1;
	s->id = m->next_session;
	s->conn_id = conn_id;
	s->mode = mode;
	snprintf(s->user, sizeof(s->user), "%s", user && *user ? user : "unknown");
	LIST_INSERT_HEAD(&m->sessions, s, entry);
	m->n_sessions++;
	if (mode == MGD_SESSION_EXCLUSIVE)
		m->exclusive = s;
	log_info("user %s entered configuration mode (%s, session %u)", s->user,
	         mgd_session_mode_name(mode), s->id);
	return s;
}

void mgd_session_close(struct mgd *m, struct mgd_session *s)
{
	if (!s)
		return;
	if (m->exclusive == s) {
		m->exclusive = NULL;
		if (!conf_equal(m->shared, m->running)) {
			struct conf *fresh = conf_dup(m->running);

			if (fresh) {
				mgd_conf_free(m->shared);
				m->shared = fresh;
				log_info(
				        "user %s left exclusive mode: uncommitted changes discarded",
				        s->user);
			}
		}
	}
	LIST_REMOVE(s, entry);
	m->n_sessions--;
	log_info("user %s left configuration mode (session %u)", s->user, s->id);
	mgd_conf_free(s->priv);
	free(s->load);
	free(s);
}

struct conf *mgd_session_candidate(struct mgd *m, struct mgd_session *s)
{
	if (s && s->mode == MGD_SESSION_PRIVATE)
		return s->priv;
	return m->shared;
}

const char *mgd_session_locked(struct mgd *m, const struct mgd_session *s, char *buf, size_t len)
{
	if (m->exclusive && m->exclusive != s) {
		snprintf(buf, len, "configuration database locked by: %s (exclusive)",
		         m->exclusive->user);
		return buf;
	}
	return NULL;
}
