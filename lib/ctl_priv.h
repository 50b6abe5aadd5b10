/*
 * Internals of the ctl server shared by lib/ctl.c (sockets, dispatch,
 * events), lib/ctl_builtin.c (the built-in methods) and lib/ctl_peer.c
 * (SO_PEERCRED policy). Not for use outside lib/ctl*.c.
 */
#ifndef KEEL_CTL_PRIV_H
#define KEEL_CTL_PRIV_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "lib/ctl.h"

struct ctl_msg {
	STAILQ_ENTRY(ctl_msg) entry;
	size_t len;
	uint8_t data[];
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct ctl_server *srv; /* NULL once dead */
	int fd;
	struct event *ev_read;
	struct event *ev_write;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint64_t id;
	bool may_write;
	bool dead;
	unsigned refs;
	unsigned inflight; /* deferred copies not yet ended */
	STAILQ_HEAD(, ctl_msg) outq;
	size_t outq_bytes;
	char *topics[CTL_MAX_TOPICS];
	unsigned n_topics;
};

/* Method tables added to a server after the main one (lib/cfg's config.*,
 * a daemon's own modules such as ribd's bulk route API). */
#define CTL_MAX_TABLES 8
struct ctl_table {
	const struct ctl_method *m;
	size_t n;
};

struct ctl_server {
	struct event_base *base;
	int fd;
	ino_t ino; /* of our socket file, so close never unlinks a successor's */
	struct event *ev_accept;
	struct event *ev_resume;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[CTL_MAX_METHOD + 1];
	const struct ctl_method *methods;
	size_t n_methods;
	struct ctl_table extra[CTL_MAX_TABLES]; /* ctl_server_add_methods() */
	size_t n_extra;
	void *arg;
	ctl_close_fn close_fn;
	void *close_arg;
	uint64_t next_conn_id;
	ctl_info_fn info_fn;
	void *info_arg;
	TAILQ_HEAD(, ctl_conn) conns;
	unsigned n_conns;
	uint64_t requests;
	uint64_t errors;
	uint64_t start_mono_ms;
	uint64_t start_wall_ms;
	uid_t euid;
	gid_t keel_gid;
	bool have_keel_gid;
	uint8_t rbuf[CTL_MAX_FRAME + 1]; /* +1: an oversized datagram shows as > CTL_MAX_FRAME */
	uint8_t pbuf[CTL_MAX_FRAME];     /* packed payload of an outgoing frame */
	uint8_t wbuf[CTL_MAX_FRAME];     /* encoded outgoing frame */
};

extern const struct ctl_method ctl_builtins[];
extern const size_t ctl_n_builtins;

/* uid 0, the daemon's own euid, or a member of group "keel" (primary or
 * supplementary) may call CTL_F_WRITE methods. */
bool ctl_peer_may_write(const struct ctl_server *srv, uid_t uid, gid_t gid, pid_t pid);
/* Looks up group "keel" for srv (keel_gid, have_keel_gid). */
void ctl_peer_group_init(struct ctl_server *srv);

#endif
