/*
 * mgd's state at start-up: YANG context, the running config from disk, the
 * shared candidate, and each daemon's subtree of running (what config.get
 * answers and what the next commit compares against).
 *
 * A running file that does not parse or validate stops mgd from starting
 * rather than being replaced by an empty config: the next commit would
 * otherwise overwrite the operator's file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "platform/chassis/chassis.h"

int mgd_peer_json_refresh(struct mgd *m, char *err, size_t errlen)
{
	struct lyd_node *tree = NULL;
	char **json;

	if (conf_expand(m->running, &tree, err, errlen) < 0)
		return -1;
	json = calloc(mgd_n_peers, sizeof(*json));
	if (!json) {
		lyd_free_all(tree);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < mgd_n_peers; i++) {
		json[i] = mgd_peer_json(&mgd_peers[i], tree, err, errlen);
		if (!json[i]) {
			for (size_t j = 0; j < i; j++)
				free(json[j]);
			free(json);
			lyd_free_all(tree);
			return -1;
		}
	}
	lyd_free_all(tree);
	if (m->peer_json) {
		for (size_t i = 0; i < mgd_n_peers; i++)
			free(m->peer_json[i]);
		free(m->peer_json);
	}
	m->peer_json = json;
	return 0;
}

/* apply-groups "${node}" names node0/node1 on a cluster member. */
static void mgd_set_node(struct mgd *m)
{
	struct chassis_id id;
	char why[256];
	char node[8];

	if (chassis_id_read(&id, why, sizeof(why)) == 0 && chassis_clustered(&id)) {
		snprintf(node, sizeof(node), "node%u", (unsigned)id.node_id);
		conf_ctx_set_node(m->cx, node);
		log_info("cluster member %s: apply-groups ${node} expands to it", node);
	}
}

int mgd_state_init(struct mgd *m, struct daemon *d, const char *yang_dir, char *err, size_t errlen)
{
	struct mgd_commit_info info;
	char cerr[MGD_ERR_LEN] = "";
	char *text;

	memset(m, 0, sizeof(*m));
	m->d = d;
	LIST_INIT(&m->sessions);
	m->cx = conf_ctx_new(yang_dir, cerr, sizeof(cerr));
	if (!m->cx) {
		snprintf(err, errlen, "YANG modules in %s: %s", yang_dir, cerr);
		return -1;
	}
	mgd_set_node(m);
	if (mgd_store_init(&m->st) < 0) {
		snprintf(err, errlen, "cannot create the config directories: %s", strerror(errno));
		goto fail;
	}
	if (mgd_store_repair(&m->st) < 0)
		log_warn("cannot repair the rollback files in %s", m->st.rbdir);
	text = mgd_file_read(m->st.running, &m->running_len);
	if (!text && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", m->st.running, strerror(errno));
		goto fail;
	}
	if (text) {
		m->running = conf_parse(m->cx, mgd_header_parse(text, &info), cerr, sizeof(cerr));
		if (!m->running) {
			free(text);
			snprintf(err, errlen, "%s: %s", m->st.running, cerr);
			goto fail;
		}
		m->running_text = text;
		m->generation = info.generation ? info.generation : 1;
	} else {
		m->running = conf_new(m->cx);
		m->running_len = 0;
	}
	m->shared = m->running ? conf_dup(m->running) : NULL;
	if (!m->running || !m->shared) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (mgd_peer_json_refresh(m, cerr, sizeof(cerr)) < 0) {
		snprintf(err, errlen, "%s: %s", m->st.running, cerr);
		goto fail;
	}
	return 0;
fail:
	mgd_state_free(m);
	return -1;
}

void mgd_state_free(struct mgd *m)
{
	struct mgd_session *s;

	while ((s = LIST_FIRST(&m->sessions)))
		mgd_session_close(m, s);
	if (m->peer_json) {
		for (size_t i = 0; i < mgd_n_peers; i++)
			free(m->peer_json[i]);
		free(m->peer_json);
		m->peer_json = NULL;
	}
	mgd_conf_free(m->shared);
	mgd_conf_free(m->running);
	m->shared = m->running = NULL;
	free(m->running_text);
	m->running_text = NULL;
	free(m->show_cache);
	m->show_cache = NULL;
	if (m->cx)
		conf_ctx_free(m->cx);
	m->cx = NULL;
}
