/*
 * mgd — the configuration daemon's own types (see main.c for the file map).
 */
#ifndef KEEL_MGD_H
#define KEEL_MGD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daemons/mgd/conf.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/ev.h"

#define MGD_MAX_ROLLBACK   49 /* rollback 1..49 on disk; 0 is the running config */
#define MGD_MAX_USER       64
#define MGD_MAX_CLIENT     32
#define MGD_MAX_COMMENT    512
#define MGD_MAX_SESSIONS   128
#define MGD_MAX_LOAD       (16u * 1024 * 1024) /* chunked config.load, per session */
#define MGD_MAX_FILE       (64u * 1024 * 1024) /* a config file on disk */
#define MGD_ERR_LEN        CONF_ERR_LEN
#define MGD_DAEMON_TIMEOUT 3000 /* ms for one config.validate / config.apply call */

static inline void mgd_conf_free(struct conf *c)
{
	if (c)
		conf_free(c);
}

/* ---- store.c: the files (running, rollbacks, confirm deadline) */

/* What the header of every config file records about the commit that made it;
 * `show system commit` is read from these headers, so history and configs
 * can never disagree after a crash. */
struct mgd_commit_info {
	unsigned index; /* rollback number (mgd_history) */
	uint64_t time;  /* unix seconds; 0 = unknown (a file not written by mgd) */
	uint64_t generation;
	char user[MGD_MAX_USER];
	char client[MGD_MAX_CLIENT];
	char comment[MGD_MAX_COMMENT];
	bool confirmed;
};

struct mgd_store {
	char running[4096]; /* $KEEL_ROOT/etc/keel/keel.conf */
	char rbdir[4096];   /* $KEEL_ROOT/var/lib/keel/rollback */
	char confirm[4096]; /* $KEEL_ROOT/var/lib/keel/commit-confirmed */
};

int mgd_store_init(struct mgd_store *st);
/* Path of rollback n (0 = running). */
int mgd_store_path(const struct mgd_store *st, unsigned n, char *buf, size_t len);
/* Reads a whole file (bounded by MGD_MAX_FILE). NULL with errno; ENOENT when
 * it does not exist. */
char *mgd_file_read(const char *path, size_t *len);
/* temp file in the same directory, write, fsync, rename, fsync dir. */
int mgd_file_write_atomic(const char *path, const char *data, size_t len);
/* Splits the "## " header lines off a config file: fills info (zeroed when
 * the file has none) and returns a pointer to the configuration text. */
const char *mgd_header_parse(const char *text, struct mgd_commit_info *info);
/* Header + body, malloc'd. */
char *mgd_header_make(const struct mgd_commit_info *info, const char *body, size_t *len);
/* Makes rollback numbering whole again after a crash (a gap, a rollback 1
 * identical to the running file). */
int mgd_store_repair(const struct mgd_store *st);
/* The commit's file work, crash-safe in this order: shift rollbacks up (49
 * dropped), write the old running text as rollback 1, write the new running. */
int mgd_store_commit(const struct mgd_store *st, const char *old_text, size_t old_len,
                     const char *new_text, size_t new_len);
/* Commit-confirmed deadline (unix seconds) kept across restarts; 0 = none. */
int mgd_store_confirm_set(const struct mgd_store *st, uint64_t deadline, unsigned minutes);
uint64_t mgd_store_confirm_get(const struct mgd_store *st, unsigned *minutes);

/* ---- session.c */

enum mgd_session_mode {
	MGD_SESSION_SHARED = 0,
	MGD_SESSION_PRIVATE = 1,
	MGD_SESSION_EXCLUSIVE = 2,
};

struct mgd_session {
	LIST_ENTRY(mgd_session) entry;
	uint32_t id;
	uint64_t conn_id;
	enum mgd_session_mode mode;
	char user[MGD_MAX_USER];
	struct conf *priv; /* private: its own candidate */
	uint64_t base_gen; /* private: the running generation it was copied from */
	char *load;        /* chunked config.load being assembled */
	size_t load_len;
};

struct mgd;

struct mgd_session *mgd_session_open(struct mgd *m, uint64_t conn_id, enum mgd_session_mode mode,
                                     const char *user, char *err, size_t errlen);
void mgd_session_close(struct mgd *m, struct mgd_session *s);
struct mgd_session *mgd_session_by_conn(struct mgd *m, uint64_t conn_id);
/* The candidate a session edits. */
struct conf *mgd_session_candidate(struct mgd *m, struct mgd_session *s);
/* NULL when s may change the candidate / commit; else the reason. */
const char *mgd_session_locked(struct mgd *m, const struct mgd_session *s, char *buf, size_t len);
const char *mgd_session_mode_name(enum mgd_session_mode mode);

/* ---- peers.c: the daemons that take part in a commit */

struct mgd_peer {
	const char *name;
	const char *const *paths; /* schema paths of its subtrees, NULL-terminated */
};

extern const struct mgd_peer mgd_peers[];
extern const size_t mgd_n_peers;

const struct mgd_peer *mgd_peer_find(const char *name);
/* JSON of a daemon's subtrees in an expanded tree ("{}" when empty). */
char *mgd_peer_json(const struct mgd_peer *p, struct lyd_node *expanded, char *err, size_t errlen);
/* Calls "config.validate" (check) or "config.apply" on daemon p. 0 = done;
 * 1 = daemon not running or not taking config (skipped); -1 = refused or
 * failed, with the reason in err. */
int mgd_peer_call(const struct mgd_peer *p, const char *method, uint64_t generation,
                  const char *json, bool check_only, char *err, size_t errlen);

/* ---- commit.c */

struct mgd_commit_req {
	const char *user;
	const char *client;
	const char *comment;
	bool check;
	unsigned confirm_minutes;
	bool peer_sync; /* the cluster peer's configuration (sync.c): allowed on the secondary */
};

/* Commits cand as the new running config. 0 on success with a message in msg;
 * -1 with the reason in err. */
int mgd_commit(struct mgd *m, struct conf *cand, const struct mgd_commit_req *r, char *msg,
               size_t msglen, char *err, size_t errlen);
/* Arms the commit-confirmed timer from the store at start-up. */
void mgd_confirm_restore(struct mgd *m);
/* Loads rollback n (0 = running). NULL with err. */
struct conf *mgd_rollback_load(struct mgd *m, unsigned n, char *err, size_t errlen);
/* The history, newest first: fills up to max entries, returns the count. */
size_t mgd_history(struct mgd *m, struct mgd_commit_info *out, size_t max);

/* ---- sync.c: config sync with the chassis-cluster peer, through clusterd */

struct mgd_sync;
/* Registers with clusterd as a bulk coldsync participant (nothing when not clustered). */
int mgd_sync_start(struct mgd *m);
void mgd_sync_stop(struct mgd *m);
/* NULL, or why configuration is refused on this node (the RG0 secondary), in buf. */
const char *mgd_sync_refused(struct mgd *m, char *buf, size_t len);
/* After a commit: on the RG0 primary, clusterd pushes the new running config to the peer. */
void mgd_sync_committed(struct mgd *m);
void mgd_sync_snapshot_handler(struct ctl_req *req, void *arg);
void mgd_sync_receive_handler(struct ctl_req *req, void *arg);

/* ---- the daemon's state */

struct mgd {
	struct daemon *d;
	struct conf_ctx *cx;
	struct mgd_store st;
	struct conf *running;
	char *running_text; /* file contents, header included */
	size_t running_len;
	uint64_t generation;
	char **peer_json;    /* per mgd_peers[i]: its subtree of running */
	struct conf *shared; /* the shared candidate */
	LIST_HEAD(, mgd_session) sessions;
	unsigned n_sessions;
	uint32_t next_session;
	struct mgd_session *exclusive; /* holder of the exclusive lock */
	struct timer confirm_timer;
	uint64_t confirm_deadline; /* unix seconds, 0 = none */
	unsigned confirm_minutes;
	/* `show configuration` (running, text, whole tree) printed once per
	 * generation: the CLI's most frequent call */
	char *show_cache;
	uint64_t show_cache_gen;
	struct mgd_sync *sync; /* NULL when not a cluster member */
};

/* main.c / init: loads modules, running config, peers' JSON. */
int mgd_state_init(struct mgd *m, struct daemon *d, const char *yang_dir, char *err, size_t errlen);
void mgd_state_free(struct mgd *m);
/* Recomputes peer_json from running. */
int mgd_peer_json_refresh(struct mgd *m, char *err, size_t errlen);

/* ---- ctl.c, ctl_commit.c */
#define MGD_MAX_WORDS 512 /* per edit line / path */

extern const struct ctl_method mgd_ctl_methods[];
extern const size_t mgd_ctl_n_methods;
void mgd_ctl_conn_closed(uint64_t conn_id, void *arg);
struct mgd *mgd_of(void *arg);
/* The session a request names: its id, or 0 for the connection's own. With
 * create, a connection without one gets a shared session. -1 with the request
 * answered on error; *out may be NULL (read-only: the shared candidate). */
int mgd_req_session(struct mgd *m, struct ctl_req *req, uint32_t id, bool create,
                    struct mgd_session **out);
/* Text parts of at most one frame each, cut at line ends. */
void mgd_reply_text(struct ctl_req *req, const char *text);
void mgd_user_name(const struct ctl_req *req, const char *given, char *buf, size_t len);
bool mgd_words_ok(char **w, size_t n);
void mgd_open_handler(struct ctl_req *req, void *arg);
void mgd_close_handler(struct ctl_req *req, void *arg);
void mgd_edit_handler(struct ctl_req *req, void *arg);
void mgd_load_handler(struct ctl_req *req, void *arg);
void mgd_rollback_handler(struct ctl_req *req, void *arg);
void mgd_show_handler(struct ctl_req *req, void *arg);
void mgd_compare_handler(struct ctl_req *req, void *arg);

#endif
