/*
 * Config sync with the chassis-cluster peer (DESIGN.md §3 "Config": "On the RG0-primary
 * cluster node, a commit is synchronised to the peer"; notes cluster.md §8).
 *
 * mgd is clusterd's first bulk coldsync participant (lib/proto/clusterd.proto, "Bulk
 * participants"); it never talks to the peer itself, clusterd carries its data over the TLS
 * channel between the nodes:
 *
 *   register   at start and on every reconnect to clusterd: coldsync.register {mgd, bulk}
 *   snapshot   "cluster.snapshot": the running configuration text (conf_serialize), the
 *              whole tree with its groups, so the peer expands apply-groups "${node}" for
 *              itself
 *   receive    "cluster.receive": the peer's text, chunked; once whole it replaces the
 *              running configuration through the normal commit (libyang validation, the
 *              daemons' validate and apply, atomic write, a history entry with client
 *              "peer-sync"); an identical configuration is not committed again
 *   push       after every commit on the RG0 primary: sync.notify, and clusterd pulls a
 *              snapshot and pushes it to the peer
 *   role       from clusterd's show.status, asked again on every "rg.state" and
 *              "cluster.peer" event: while this node is RG0 secondary (secondary,
 *              secondary-hold, ineligible or disabled, with the peer RG0 primary),
 *              configuration mode is refused and names the primary (Junos keeps the
 *              configuration on the primary Routing Engine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/proto/clusterd.pb-c.h"
#include "platform/chassis/chassis.h"

#define MGD_SYNC_NAME  "mgd"
#define MGD_SYNC_CHUNK (CTL_MAX_FRAME - 512)

struct mgd_sync {
	struct mgd *m;
	struct ctl_aclient *ac;
	uint8_t node_id;
	bool status_pending; /* a show.status in flight */
	bool status_again;   /* an event arrived meanwhile: ask once more */
	/* the role as clusterd last said */
	bool primary;   /* this node is RG0 primary */
	bool secondary; /* RG0 secondary with the peer RG0 primary: refuse configuration */
	uint8_t primary_node;
	/* a cluster.receive transfer being assembled */
	char *rx;
	uint32_t rx_total, rx_len, rx_xfer;
	bool rx_active;
	uint64_t received, applied, refused;
};

/* ------------------------------------------------------------ role */

static bool mgd_sync_is_secondary_state(const char *st)
{
	static const char *const names[] = {"secondary", "secondary-hold", "ineligible",
	                                    "disabled"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(st, names[i]) == 0)
			return true;
	return false;
}

static void mgd_sync_status_reply(int status, bool done, const uint8_t *payload, size_t len,
                                  const char *error, void *arg);

static void mgd_sync_ask_status(struct mgd_sync *s)
{
	if (s->status_pending) {
		s->status_again = true;
		return;
	}
	if (ctl_acall(s->ac, "show.status", NULL, mgd_sync_status_reply, s) == 0)
		s->status_pending = true;
}

static void mgd_sync_status_reply(int status, bool done, const uint8_t *payload, size_t len,
                                  const char *error, void *arg)
{
	struct mgd_sync *s = arg;
	Keel__Clusterd__ClusterStatus *st;

	if (!done) {
		st = keel__clusterd__cluster_status__unpack(NULL, len, payload);
		if (!st)
			return;
		bool was = s->secondary;
		const char *peer0 = "";
		for (size_t i = 0; i < st->n_groups; i++) {
			if (st->groups[i]->id != 0)
				continue;
			for (size_t k = 0; k < st->groups[i]->n_nodes; k++)
				if (st->groups[i]->nodes[k]->node_id != st->node_id)
					peer0 = st->groups[i]->nodes[k]->status;
		}
		s->primary = st->cluster_id && strcmp(st->rg0_role, "primary") == 0;
		s->secondary = st->cluster_id && mgd_sync_is_secondary_state(st->rg0_role) &&
		               strcmp(peer0, "primary") == 0;
		s->primary_node = (uint8_t)(st->node_id ^ 1u);
		if (was != s->secondary)
			log_info("cluster: node%u is %s: configuration mode %s", st->node_id,
			         st->rg0_role,
			         s->secondary ? "refused (RG0 secondary)" : "allowed");
		keel__clusterd__cluster_status__free_unpacked(st, NULL);
		return;
	}
	s->status_pending = false;
	if (status != 0)
		log_debug("cluster: show.status: %s", error ? error : "no answer");
	if (s->status_again && status >= 0) {
		s->status_again = false;
		mgd_sync_ask_status(s);
	}
}

static void mgd_sync_event(const char *topic, const uint8_t *payload, size_t len, void *arg)
{
	struct mgd_sync *s = arg;

	(void)payload;
	(void)len;
	if (strcmp(topic, "coldsync.start") == 0) {
		log_info("cluster: coldsync started: the primary's configuration comes through "
		         "clusterd");
		return;
	}
	mgd_sync_ask_status(s);
}

static void mgd_sync_registered(int status, bool done, const uint8_t *payload, size_t len,
                                const char *error, void *arg)
{
	(void)payload;
	(void)len;
	(void)arg;
	if (done && status != 0)
		log_warnx("cluster: coldsync.register: %s", error ? error : "no answer");
}

static void mgd_sync_state(bool up, void *arg)
{
	struct mgd_sync *s = arg;
	Keel__Clusterd__ColdsyncRegister q = KEEL__CLUSTERD__COLDSYNC_REGISTER__INIT;

	if (!up)
		return; /* keep the last role: clusterd restarts without a failover */
	q.participant = (char *)MGD_SYNC_NAME;
	q.bulk = true;
	if (ctl_acall(s->ac, "coldsync.register", &q.base, mgd_sync_registered, s) < 0)
		log_warnx("cluster: cannot register with clusterd");
	s->status_pending = false;
	mgd_sync_ask_status(s);
}

const char *mgd_sync_refused(struct mgd *m, char *buf, size_t len)
{
	struct mgd_sync *s = m->sync;

	if (!s || !s->secondary)
		return NULL;
	snprintf(buf, len,
	         "configuration mode is not available on the secondary node of a chassis "
	         "cluster; configure the primary (node%u)",
	         s->primary_node);
	return buf;
}

/* ------------------------------------------------------------ push */

static void mgd_sync_notified(int status, bool done, const uint8_t *payload, size_t len,
                              const char *error, void *arg)
{
	(void)payload;
	(void)len;
	(void)arg;
	if (done && status != 0)
		log_warnx("cluster: config sync to the peer: %s", error ? error : "no answer");
}

void mgd_sync_committed(struct mgd *m)
{
	struct mgd_sync *s = m->sync;
	Keel__Clusterd__ColdsyncRegister q = KEEL__CLUSTERD__COLDSYNC_REGISTER__INIT;

	if (!s || !s->primary)
		return;
	q.participant = (char *)MGD_SYNC_NAME;
	if (ctl_acall(s->ac, "sync.notify", &q.base, mgd_sync_notified, s) < 0)
		log_warnx("cluster: clusterd not reachable: generation %llu is not synchronised "
		          "to the peer now (it is when clusterd is back and the peer asks)",
		          (unsigned long long)m->generation);
}

/* ------------------------------------------------------------ methods */

void mgd_sync_snapshot_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	char *text = NULL;
	size_t len, off = 0;

	if (conf_serialize(m->running, &text) < 0) {
		ctl_error(req, CTL_ERR_FAILED, "cannot serialize the running configuration");
		return;
	}
	len = strlen(text);
	do {
		size_t n = len - off < MGD_SYNC_CHUNK ? len - off : MGD_SYNC_CHUNK;
		if (ctl_reply_raw(req, (const uint8_t *)text + off, n) < 0)
			break;
		off += n;
	} while (off < len);
	log_info("cluster: running configuration (generation %llu, %zu bytes) handed to clusterd "
	         "for the peer",
	         (unsigned long long)m->generation, len);
	free(text);
}

static int mgd_sync_apply(struct mgd *m, const char *text, bool snapshot, char *err, size_t errlen)
{
	struct mgd_sync *s = m->sync;
	char msg[MGD_ERR_LEN * 2], comment[96];
	struct conf *cand = conf_parse(m->cx, text, err, errlen);
	struct mgd_commit_req r = {
	        .user = "root",
	        .client = "peer-sync",
	        .comment = comment,
	        .peer_sync = true,
	};
	int rc;

	if (!cand)
		return -1;
	if (conf_equal(cand, m->running)) {
		mgd_conf_free(cand);
		log_info("cluster: the peer's configuration (%s) equals ours: nothing to commit",
		         snapshot ? "coldsync" : "commit");
		return 0;
	}
	snprintf(comment, sizeof(comment), "synchronized from node%u (%s)",
	         s ? s->primary_node : 0u, snapshot ? "coldsync" : "commit");
	rc = mgd_commit(m, cand, &r, msg, sizeof(msg), err, errlen);
	mgd_conf_free(cand);
	if (rc == 0)
		log_info("cluster: configuration from the peer committed: generation %llu",
		         (unsigned long long)m->generation);
	return rc;
}

void mgd_sync_receive_handler(struct ctl_req *req, void *arg)
{
	struct mgd *m = mgd_of(arg);
	struct mgd_sync *s = m->sync;
	Keel__Clusterd__SyncChunk *q;
	char err[MGD_ERR_LEN];

	if (!s) {
		ctl_error(req, CTL_ERR_FAILED, "not a chassis cluster member");
		return;
	}
	q = keel__clusterd__sync_chunk__unpack(NULL, req->payload_len, req->payload);
	if (!q) {
		ctl_error(req, CTL_ERR_INVALID, "cluster.receive: payload is not a SyncChunk");
		return;
	}
	if (q->total > MGD_MAX_LOAD || q->offset > q->total ||
	    q->data.len > (size_t)(q->total - q->offset)) {
		ctl_error(req, CTL_ERR_INVALID, "cluster.receive: chunk out of bounds");
		goto out;
	}
	if (q->offset == 0) {
		free(s->rx);
		s->rx = malloc((size_t)q->total + 1);
		s->rx_active = s->rx != NULL;
		s->rx_total = q->total;
		s->rx_len = 0;
		s->rx_xfer = q->xfer;
		if (!s->rx) {
			ctl_error(req, CTL_ERR_FAILED, "out of memory");
			goto out;
		}
	} else if (!s->rx_active || q->xfer != s->rx_xfer || q->offset != s->rx_len ||
	           q->total != s->rx_total) {
		ctl_error(req, CTL_ERR_INVALID, "cluster.receive: chunk out of order");
		goto out;
	}
	if (q->data.len)
		memcpy(s->rx + s->rx_len, q->data.data, q->data.len);
	s->rx_len += (uint32_t)q->data.len;
	if (s->rx_len < s->rx_total) {
		ctl_end(req);
		goto out;
	}
	s->rx[s->rx_len] = '\0';
	s->rx_active = false;
	s->received++;
	if (strlen(s->rx) != s->rx_len) {
		ctl_error(req, CTL_ERR_INVALID, "cluster.receive: the configuration holds a NUL");
	} else if (mgd_sync_apply(m, s->rx, q->snapshot, err, sizeof(err)) < 0) {
		s->refused++;
		log_warnx("cluster: configuration from the peer refused: %s", err);
		ctl_error(req, CTL_ERR_FAILED, "%s", err);
	} else {
		s->applied++;
		ctl_end(req);
	}
	free(s->rx);
	s->rx = NULL;
out:
	keel__clusterd__sync_chunk__free_unpacked(q, NULL);
}

/* ------------------------------------------------------------ start / stop */

int mgd_sync_start(struct mgd *m)
{
	struct chassis_id id;
	char why[256];
	struct mgd_sync *s;

	if (chassis_id_read(&id, why, sizeof(why)) < 0 || !chassis_clustered(&id))
		return 0; /* not a cluster member: nothing to sync */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->m = m;
	s->node_id = id.node_id;
	s->primary_node = (uint8_t)(id.node_id ^ 1u);
	s->ac = ctl_aclient_open(m->d->base, "clusterd", mgd_sync_state, s);
	if (!s->ac) {
		free(s);
		return -1;
	}
	if (ctl_asubscribe(s->ac, "rg.state", mgd_sync_event, s) < 0 ||
	    ctl_asubscribe(s->ac, "cluster.peer", mgd_sync_event, s) < 0 ||
	    ctl_asubscribe(s->ac, "coldsync.start", mgd_sync_event, s) < 0) {
		ctl_aclient_close(s->ac);
		free(s);
		return -1;
	}
	m->sync = s;
	log_info("cluster: node%u: config sync through clusterd", id.node_id);
	return 0;
}

void mgd_sync_stop(struct mgd *m)
{
	struct mgd_sync *s = m->sync;

	if (!s)
		return;
	m->sync = NULL;
	/* Calls in flight fail with their callbacks now; they only touch s. */
	ctl_aclient_close(s->ac);
	free(s->rx);
	free(s);
}
