/*
 * Commit (DESIGN.md §3 "Config"; Junos `commit`, `commit check`,
 * `commit confirmed N`, `commit comment`), rollbacks and history.
 *
 *   1. libyang validates the whole candidate (conf_expand: groups applied,
 *      inactive removed, defaults, must/when/leafref).
 *   2. each running daemon whose subtree JSON changed validates its part
 *      ("config.validate"); one refusal aborts the commit with its message.
 *      `commit check` stops here.
 *   3. the files: rollbacks shift, running is replaced atomically (store.c).
 *   4. the affected daemons apply ("config.apply"), then the
 *      "config.committed" event tells everyone the new generation.
 *
 * commit confirmed N: the deadline is kept in the state dir, so a restarted
 * mgd still rolls back (Junos does too). Any later commit or commit check
 * confirms. The automatic rollback is a commit of rollback 1 with client
 * "confirmed-rollback".
 *
 * Chassis cluster (sync.c): on the RG0 secondary only the primary's configuration is
 * committed (client "peer-sync"); on the primary every commit is pushed to the peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/proto/mgd.pb-c.h"

static void mgd_confirm_cancel(struct mgd *m)
{
	if (!m->confirm_deadline)
		return;
	timer_del(&m->confirm_timer);
	m->confirm_deadline = 0;
	m->confirm_minutes = 0;
	if (mgd_store_confirm_set(&m->st, 0, 0) < 0)
		log_warn("cannot clear %s", m->st.confirm);
	log_info("commit confirmed: confirmed");
}

static void mgd_publish_committed(struct mgd *m)
{
	Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;

	dc.generation = m->generation;
	if (m->d && m->d->ctl)
		ctl_server_publish(m->d->ctl, "config.committed", &dc.base);
}

static void mgd_free_jsons(char **j)
{
	if (!j)
		return;
	for (size_t i = 0; i < mgd_n_peers; i++)
		free(j[i]);
	free(j);
}

int mgd_commit(struct mgd *m, struct conf *cand, const struct mgd_commit_req *r, char *msg,
               size_t msglen, char *err, size_t errlen)
{
	struct mgd_commit_info info = {0};
	struct lyd_node *tree = NULL;
	char **json = NULL;
	bool *affected = NULL;
	char *body = NULL, *text = NULL;
	struct conf *newrun = NULL;
	size_t len = 0;
	char warn[MGD_ERR_LEN + 16] = "";
	int rc = -1;

	msg[0] = '\0';
	/* The RG0 secondary takes its configuration from the primary only (sync.c). */
	if (!r->peer_sync && mgd_sync_refused(m, err, errlen))
		return -1;
	if (conf_expand(cand, &tree, err, errlen) < 0)
		goto out;
	json = calloc(mgd_n_peers, sizeof(*json));
	affected = calloc(mgd_n_peers, sizeof(*affected));
	if (!json || !affected) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < mgd_n_peers; i++) {
		json[i] = mgd_peer_json(&mgd_peers[i], tree, err, errlen);
		if (!json[i])
			goto out;
		affected[i] = !m->peer_json[i] || strcmp(json[i], m->peer_json[i]) != 0;
	}
	for (size_t i = 0; i < mgd_n_peers; i++) {
		char perr[MGD_ERR_LEN];

		if (!affected[i])
			continue;
		if (mgd_peer_call(&mgd_peers[i], "config.validate", m->generation + 1, json[i],
		                  r->check, perr, sizeof(perr)) < 0) {
			snprintf(err, errlen, "%s", perr);
			goto out;
		}
	}
	if (r->check) {
		/* Junos: commit check also confirms a pending commit confirmed */
		mgd_confirm_cancel(m);
		snprintf(msg, msglen, "configuration check succeeds");
		rc = 0;
		goto out;
	}

	if (conf_serialize(cand, &body) < 0 || !(newrun = conf_dup(cand))) {
		snprintf(err, errlen, "cannot serialize the configuration");
		goto out;
	}
	info.time = (uint64_t)time(NULL);
	info.generation = m->generation + 1;
	snprintf(info.user, sizeof(info.user), "%s", r->user ? r->user : "");
	snprintf(info.client, sizeof(info.client), "%s",
	         r->client && *r->client ? r->client : "cli");
	snprintf(info.comment, sizeof(info.comment), "%s", r->comment ? r->comment : "");
	info.confirmed = r->confirm_minutes > 0;
	text = mgd_header_make(&info, body, &len);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (mgd_store_commit(&m->st, m->running_text, m->running_len, text, len) < 0) {
		snprintf(err, errlen, "cannot write the configuration: %s", strerror(errno));
		goto out;
	}

	/* Running changed on disk: from here on the commit has happened. A shared
	 * candidate nobody had touched follows the new running config. */
	if (m->shared != cand && conf_equal(m->shared, m->running)) {
		struct conf *fresh = conf_dup(newrun);

		if (fresh) {
			mgd_conf_free(m->shared);
			m->shared = fresh;
		}
	}
	mgd_conf_free(m->running);
	m->running = newrun;
	newrun = NULL;
	free(m->running_text);
	m->running_text = text;
	m->running_len = len;
	text = NULL;
	m->generation = info.generation;
	mgd_free_jsons(m->peer_json);
	m->peer_json = json;
	json = NULL;
	log_info("commit by %s via %s: generation %llu%s%s", info.user, info.client,
	         (unsigned long long)m->generation, info.comment[0] ? ", comment: " : "",
	         info.comment);

	for (size_t i = 0; i < mgd_n_peers; i++) {
		char perr[MGD_ERR_LEN];

		if (affected[i] && mgd_peer_call(&mgd_peers[i], "config.apply", m->generation,
		                                 m->peer_json[i], false, perr, sizeof(perr)) < 0) {
			log_warnx("apply: %s", perr);
			snprintf(warn, sizeof(warn), "warning: %s\n", perr);
		}
	}
	mgd_publish_committed(m);
	if (!r->peer_sync)
		mgd_sync_committed(m);

	mgd_confirm_cancel(m);
	if (r->confirm_minutes) {
		uint64_t deadline = (uint64_t)time(NULL) + (uint64_t)r->confirm_minutes * 60;

		m->confirm_deadline = deadline;
		m->confirm_minutes = r->confirm_minutes;
		if (mgd_store_confirm_set(&m->st, deadline, r->confirm_minutes) < 0)
			log_warn("cannot record the commit-confirmed deadline in %s",
			         m->st.confirm);
		timer_add_ms(&m->confirm_timer, (uint64_t)r->confirm_minutes * 60 * 1000);
		snprintf(msg, msglen,
		         "%scommit confirmed will be automatically rolled back in %u minutes "
		         "unless confirmed\ncommit complete",
		         warn, r->confirm_minutes);
	} else {
		snprintf(msg, msglen, "%scommit complete", warn);
	}
	rc = 0;
out:
	lyd_free_all(tree);
	mgd_free_jsons(json);
	free(affected);
	free(body);
	free(text);
	mgd_conf_free(newrun);
	return rc;
}

struct conf *mgd_rollback_load(struct mgd *m, unsigned n, char *err, size_t errlen)
{
	struct mgd_commit_info info;
	char path[4096];
	struct conf *c;
	char *text;

	if (n == 0) {
		c = conf_dup(m->running);
		if (!c)
			snprintf(err, errlen, "out of memory");
		return c;
	}
	if (n > MGD_MAX_ROLLBACK || mgd_store_path(&m->st, n, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "rollback %u: out of range 0..%d", n, MGD_MAX_ROLLBACK);
		return NULL;
	}
	text = mgd_file_read(path, NULL);
	if (!text) {
		snprintf(err, errlen, "rollback %u: %s", n,
		         errno == ENOENT ? "no such rollback" : strerror(errno));
		return NULL;
	}
	c = conf_parse(m->cx, mgd_header_parse(text, &info), err, errlen);
	free(text);
	return c;
}

/* Reads the header of one config file: its first lines only. */
static int mgd_header_read(const char *path, struct mgd_commit_info *info)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	mgd_header_parse(buf, info);
	if (!info->time)
		info->time = (uint64_t)st.st_mtime;
	return 0;
}

size_t mgd_history(struct mgd *m, struct mgd_commit_info *out, size_t max)
{
	char path[4096];
	size_t k = 0;

	for (unsigned n = 0; n <= MGD_MAX_ROLLBACK && k < max; n++) {
		if (mgd_store_path(&m->st, n, path, sizeof(path)) < 0 ||
		    mgd_header_read(path, &out[k]) < 0)
			continue;
		/* the index is n, not k: "rollback n" must name this entry */
		out[k].index = n;
		k++;
	}
	return k;
}

static void mgd_confirm_fire(void *arg)
{
	struct mgd *m = arg;
	struct mgd_commit_req r = {
	        .user = "root",
	        .client = "confirmed-rollback",
	        .comment = "commit confirmed was not confirmed: rolled back",
	};
	char msg[MGD_ERR_LEN], err[MGD_ERR_LEN] = "out of memory", path[4096];
	struct conf *prev;

	m->confirm_deadline = 0;
	/* no rollback 1: the confirmed commit was the first, before it the
	 * configuration was empty */
	if (mgd_store_path(&m->st, 1, path, sizeof(path)) == 0 && access(path, F_OK) < 0 &&
	    errno == ENOENT)
		prev = conf_new(m->cx);
	else
		prev = mgd_rollback_load(m, 1, err, sizeof(err));
	if (!prev) {
		log_warnx("commit confirmed: cannot roll back: %s", err);
		mgd_store_confirm_set(&m->st, 0, 0);
		return;
	}
	if (mgd_commit(m, prev, &r, msg, sizeof(msg), err, sizeof(err)) < 0)
		log_warnx("commit confirmed: rollback failed: %s", err);
	else
		log_info("commit confirmed: not confirmed in time, rolled back to rollback 1");
	mgd_store_confirm_set(&m->st, 0, 0);
	mgd_conf_free(prev);
}

void mgd_confirm_restore(struct mgd *m)
{
	unsigned minutes = 0;
	uint64_t deadline = mgd_store_confirm_get(&m->st, &minutes);
	uint64_t now = (uint64_t)time(NULL);

	timer_init(&m->confirm_timer, m->d->base, mgd_confirm_fire, m);
	if (!deadline)
		return;
	m->confirm_deadline = deadline;
	m->confirm_minutes = minutes;
	log_info("commit confirmed pending from before the restart: rollback in %llu s",
	         (unsigned long long)(deadline > now ? deadline - now : 0));
	timer_add_ms(&m->confirm_timer, deadline > now ? (deadline - now) * 1000 : 0);
}
