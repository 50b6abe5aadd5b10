/*
 * Control-socket server (lib/ctl.h; DESIGN.md §3 "Control sockets and the CLI").
 *
 * One listening AF_UNIX SOCK_SEQPACKET socket per daemon; one ctl_conn per
 * accepted peer. Each datagram is one keel.ctl.Frame, decoded by the pure
 * ctl_frame_decode() (lib/ctl_frame.c). A conn reads at most CTL_READ_BURST
 * frames per wake-up so that a chatty peer cannot starve the others.
 *
 * Output is sent non-blocking; what the socket does not take is kept in a
 * per-conn queue of whole datagrams (SEQPACKET keeps boundaries) drained on
 * EV_WRITE. Past CTL_MAX_QUEUE queued bytes the peer is dropped: a client that
 * stops reading must never block the daemon (cf. OpenBSD imsg + control.c).
 *
 * Lifetime: a conn is reference-counted. The server holds one reference while
 * the socket is open, the dispatcher one while a handler runs, and every
 * deferred request copy one, so a copy can still be ended after its client
 * (or the whole server) is gone: it then finds conn->dead and only frees.
 */
#include "lib/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"

#define CTL_READ_BURST   32 /* frames read per wake-up and conn */
#define CTL_ACCEPT_BURST 64
#define CTL_BACKLOG      128

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
	bool may_write;
	bool dead;
	unsigned refs;
	unsigned inflight; /* deferred copies not yet ended */
	STAILQ_HEAD(, ctl_msg) outq;
	size_t outq_bytes;
	char *topics[CTL_MAX_TOPICS];
	unsigned n_topics;
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
	void *arg;
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

static void builtin_info(struct ctl_req *req, void *arg);
static void builtin_debug_set(struct ctl_req *req, void *arg);
static void builtin_methods(struct ctl_req *req, void *arg);
static void builtin_subscribe(struct ctl_req *req, void *arg);
static void builtin_unsubscribe(struct ctl_req *req, void *arg);

static const struct ctl_method ctl_builtins[] = {
        {"daemon.info", builtin_info, 0, "daemon identity, uptime, ctl counters, debug flags"},
        {"debug.set", builtin_debug_set, CTL_F_WRITE, "switch debug flags on or off"},
        {"methods", builtin_methods, 0, "list the methods this daemon answers"},
        {"subscribe", builtin_subscribe, 0, "receive EVENT frames for topics (prefix*)"},
        {"unsubscribe", builtin_unsubscribe, 0, "stop events for topics (none: all)"},
};
#define CTL_N_BUILTINS (sizeof(ctl_builtins) / sizeof(ctl_builtins[0]))

/* ---------------------------------------------------------------- conns */

static void conn_unref(struct ctl_conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static void conn_close(struct ctl_conn *c, const char *why)
{
	struct ctl_server *srv = c->srv;
	struct ctl_msg *m;

	if (c->dead)
		return;
	if (why)
		log_debug("ctl %s: closing client pid %d uid %u: %s", srv->name, (int)c->pid,
		          (unsigned)c->uid, why);
	c->dead = true;
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->n_conns--;
	event_free(c->ev_read);
	event_free(c->ev_write);
	close(c->fd);
	c->fd = -1;
	while ((m = STAILQ_FIRST(&c->outq))) {
		STAILQ_REMOVE_HEAD(&c->outq, entry);
		free(m);
	}
	c->outq_bytes = 0;
	for (unsigned i = 0; i < c->n_topics; i++)
		free(c->topics[i]);
	c->n_topics = 0;
	c->srv = NULL;
	conn_unref(c);
}

static bool send_would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	struct ctl_msg *m;

	while ((m = STAILQ_FIRST(&c->outq))) {
		if (send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (send_would_block(errno))
				return;
			conn_close(c, strerror(errno));
			return;
		}
		STAILQ_REMOVE_HEAD(&c->outq, entry);
		c->outq_bytes -= m->len;
		free(m);
	}
	event_del(c->ev_write);
}

/* Sends one datagram or queues it. -1 (errno ENOTCONN/ENOBUFS) when the conn
 * is or just became dead. */
static int conn_send(struct ctl_conn *c, const uint8_t *data, size_t len)
{
	struct ctl_msg *m;

	if (c->dead) {
		errno = ENOTCONN;
		return -1;
	}
	if (STAILQ_EMPTY(&c->outq)) {
		/* SOCK_SEQPACKET sends a datagram whole or not at all */
		if (send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (!send_would_block(errno)) {
			conn_close(c, strerror(errno));
			errno = ENOTCONN;
			return -1;
		}
	}
	if (c->outq_bytes + len > CTL_MAX_QUEUE) {
		log_warnx("ctl %s: dropping client pid %d uid %u: more than %d bytes queued",
		          c->srv->name, (int)c->pid, (unsigned)c->uid, CTL_MAX_QUEUE);
		conn_close(c, NULL);
		errno = ENOBUFS;
		return -1;
	}
	m = malloc(sizeof(*m) + len);
	if (!m) {
		conn_close(c, "out of memory");
		errno = ENOBUFS;
		return -1;
	}
	m->len = len;
	memcpy(m->data, data, len);
	STAILQ_INSERT_TAIL(&c->outq, m, entry);
	c->outq_bytes += len;
	if (!event_pending(c->ev_write, EV_WRITE, NULL))
		event_add(c->ev_write, NULL);
	return 0;
}

static int conn_send_frame(struct ctl_conn *c, uint32_t id, enum ctl_frame_kind kind,
                           const char *method, const uint8_t *payload, size_t len, uint32_t code,
                           const char *error)
{
	struct ctl_server *srv = c->srv;
	struct ctl_frame f;
	ssize_t n;

	if (c->dead) {
		errno = ENOTCONN;
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.kind = kind;
	if (method)
		snprintf(f.method, sizeof(f.method), "%s", method);
	f.payload = payload;
	f.payload_len = len;
	f.code = code;
	if (error)
		snprintf(f.error, sizeof(f.error), "%s", error);
	n = ctl_frame_encode(&f, srv->wbuf, sizeof(srv->wbuf));
	if (n < 0) {
		log_warnx("ctl %s: %s frame with %zu payload bytes does not fit in %d bytes",
		          srv->name, ctl_frame_kind_name(kind), len, CTL_MAX_FRAME);
		errno = EMSGSIZE;
		return -1;
	}
	if (kind == CTL_FRAME_ERROR)
		srv->errors++;
	return conn_send(c, srv->wbuf, (size_t)n);
}

/* Cuts a truncated UTF-8 sequence off the end of s, so that an error text
 * shortened to CTL_MAX_ERROR stays valid UTF-8 for non-C peers. */
static void utf8_trim_tail(char *s)
{
	size_t n = strlen(s), i = n, lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	unsigned char c = (unsigned char)s[i - 1];

	if (c < 0x80)
		return;
	lead = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < lead)
		s[i - 1] = '\0';
}

static int conn_error(struct ctl_conn *c, uint32_t id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int conn_error(struct ctl_conn *c, uint32_t id, int code, const char *fmt, ...)
{
	char msg[CTL_MAX_ERROR + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_trim_tail(msg);
	log_debug("ctl %s: error %s to pid %d: %s", c->srv->name, ctl_err_name(code), (int)c->pid,
	          msg);
	return conn_send_frame(c, id, CTL_FRAME_ERROR, NULL, NULL, 0, (uint32_t)code, msg);
}

/* ---------------------------------------------------------------- answering */

/* A request may be answered by its handler (the original) until it is ended or
 * deferred, and by its heap copy after ctl_req_defer(). */
static bool req_open(const struct ctl_req *req)
{
	if (req->priv_done || (req->deferred && !req->priv_copy)) {
		errno = EINVAL;
		return false;
	}
	return true;
}

static void req_finish(struct ctl_req *req)
{
	struct ctl_conn *c = req->conn;

	req->priv_done = true;
	if (req->priv_copy) {
		c->inflight--;
		conn_unref(c);
		free(req);
	}
}

int ctl_reply_raw(struct ctl_req *req, const uint8_t *payload, size_t len)
{
	if (!req_open(req))
		return -1;
	return conn_send_frame(req->conn, req->id, CTL_FRAME_REPLY, NULL, payload, len, 0, NULL);
}

int ctl_reply(struct ctl_req *req, const ProtobufCMessage *msg)
{
	struct ctl_server *srv;
	size_t n;

	if (!req_open(req))
		return -1;
	if (req->conn->dead) {
		errno = ENOTCONN;
		return -1;
	}
	srv = req->conn->srv;
	n = protobuf_c_message_get_packed_size(msg);
	if (n > sizeof(srv->pbuf)) {
		log_warnx("ctl %s: %s: reply of %zu bytes exceeds the frame limit", srv->name,
		          req->method, n);
		errno = EMSGSIZE;
		return -1;
	}
	n = protobuf_c_message_pack(msg, srv->pbuf);
	return conn_send_frame(req->conn, req->id, CTL_FRAME_REPLY, NULL, srv->pbuf, n, 0, NULL);
}

int ctl_end(struct ctl_req *req)
{
	int rc = 0;

	if (!req_open(req))
		return -1;
	if (!req->conn->dead)
		rc = conn_send_frame(req->conn, req->id, CTL_FRAME_END, NULL, NULL, 0, 0, NULL);
	req_finish(req);
	return rc;
}

int ctl_error(struct ctl_req *req, int code, const char *fmt, ...)
{
	char msg[CTL_MAX_ERROR + 1];
	va_list ap;
	int rc = 0;

	if (!req_open(req))
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_trim_tail(msg);
	/* an ERROR with code 0 would read as success to a client */
	if (code == CTL_ERR_NONE)
		code = CTL_ERR_FAILED;
	if (!req->conn->dead)
		rc = conn_error(req->conn, req->id, code, "%s", msg);
	req_finish(req);
	return rc;
}

struct ctl_req_copy {
	struct ctl_req req; /* first: the copy is freed through &req */
	char method[CTL_MAX_METHOD + 1];
};

struct ctl_req *ctl_req_defer(struct ctl_req *req)
{
	struct ctl_conn *c = req->conn;
	struct ctl_req_copy *cp;

	if (!req_open(req) || req->priv_copy)
		return NULL;
	if (c->inflight >= CTL_MAX_INFLIGHT) {
		ctl_error(req, CTL_ERR_BUSY, "%s: %d requests already in progress", req->method,
		          CTL_MAX_INFLIGHT);
		return NULL;
	}
	cp = calloc(1, sizeof(*cp));
	if (!cp) {
		ctl_error(req, CTL_ERR_FAILED, "%s: out of memory", req->method);
		return NULL;
	}
	cp->req = *req;
	snprintf(cp->method, sizeof(cp->method), "%s", req->method);
	cp->req.method = cp->method;
	cp->req.payload = NULL;
	cp->req.payload_len = 0;
	cp->req.deferred = true;
	cp->req.priv_copy = true;
	req->deferred = true;
	c->refs++;
	c->inflight++;
	return &cp->req;
}

/* ---------------------------------------------------------------- dispatch */

static const struct ctl_method *method_find(const struct ctl_server *srv, const char *name)
{
	for (size_t i = 0; i < CTL_N_BUILTINS; i++)
		if (strcmp(ctl_builtins[i].name, name) == 0)
			return &ctl_builtins[i];
	for (size_t i = 0; i < srv->n_methods; i++)
		if (strcmp(srv->methods[i].name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

static void conn_dispatch(struct ctl_conn *c, const struct ctl_frame *f)
{
	struct ctl_server *srv = c->srv;
	const struct ctl_method *m;
	struct ctl_req req;

	srv->requests++;
	m = method_find(srv, f->method);
	if (!m) {
		conn_error(c, f->id, CTL_ERR_NO_METHOD, "unknown method '%s'", f->method);
		return;
	}
	if ((m->flags & CTL_F_WRITE) && !c->may_write) {
		conn_error(c, f->id, CTL_ERR_DENIED,
		           "method '%s' changes state: permission denied for uid %u", f->method,
		           (unsigned)c->uid);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.srv = srv;
	req.conn = c;
	req.id = f->id;
	req.method = f->method;
	req.payload = f->payload;
	req.payload_len = f->payload_len;
	req.uid = c->uid;
	req.gid = c->gid;
	req.pid = c->pid;
	req.may_write = c->may_write;
	log_debug("ctl %s: pid %d calls %s (id %u, %zu bytes)", srv->name, (int)c->pid, f->method,
	          f->id, f->payload_len);
	m->fn(&req, srv->arg);
	if (!req.priv_done && !req.deferred)
		ctl_end(&req);
}

static void conn_frame(struct ctl_conn *c, const uint8_t *buf, size_t n)
{
	struct ctl_frame f;
	size_t have = n < sizeof(c->srv->rbuf) ? n : sizeof(c->srv->rbuf);
	int rc = ctl_frame_decode(buf, have, &f);

	if (rc == CTL_ERR_TOO_BIG)
		conn_error(c, f.id, rc, "frame of %zu bytes exceeds the %d-byte limit", n,
		           CTL_MAX_FRAME);
	else if (rc)
		conn_error(c, f.id, rc, "malformed frame (%zu bytes)", n);
	else if (f.kind != CTL_FRAME_REQUEST)
		conn_error(c, f.id, CTL_ERR_MALFORMED, "unexpected %s frame from a client",
		           ctl_frame_kind_name(f.kind));
	else
		conn_dispatch(c, &f);
}

/* recv() returns 0 both for an empty datagram and for end of file on a
 * SOCK_SEQPACKET socket; only a hang-up tells them apart. */
static bool conn_hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return poll(&p, 1, 0) != 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	struct ctl_server *srv = c->srv;

	c->refs++;
	for (int i = 0; i < CTL_READ_BURST && !c->dead; i++) {
		ssize_t n = recv(c->fd, srv->rbuf, sizeof(srv->rbuf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (!send_would_block(errno))
				conn_close(c, strerror(errno));
			break;
		}
		if (n == 0 && conn_hung_up(c->fd)) {
			conn_close(c, "end of file");
			break;
		}
		conn_frame(c, srv->rbuf, (size_t)n);
	}
	conn_unref(c);
}

/* ---------------------------------------------------------------- peers */

static bool gid_in_list(const char *list, gid_t want)
{
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long g;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		g = strtoul(p, &end, 10);
		if (errno == 0 && g == (unsigned long)want)
			return true;
		p = end;
	}
	return false;
}

/* Supplementary groups of the peer from /proc/<pid>/status, trusted only while
 * its effective uid still matches SO_PEERCRED (the pid may have been reused).
 * Returns 1 member, 0 not, -1 unknown. */
static int peer_proc_groups(pid_t pid, uid_t uid, gid_t want)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int member = -1;
	bool uid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		unsigned long r, e;

		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid_ok = e == (unsigned long)uid;
		else if (strncmp(line, "Groups:", 7) == 0)
			member = gid_in_list(line + 7, want);
	}
	free(line);
	fclose(f);
	return uid_ok ? member : -1;
}

static bool peer_db_groups(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = (int)(sizeof(groups) / sizeof(groups[0]));

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (getgrouplist(pw.pw_name, gid, groups, &n) < 0)
		n = (int)(sizeof(groups) / sizeof(groups[0]));
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

static bool peer_may_write(const struct ctl_server *srv, uid_t uid, gid_t gid, pid_t pid)
{
	int r;

	if (uid == 0 || uid == srv->euid)
		return true;
	if (!srv->have_keel_gid)
		return false;
	if (gid == srv->keel_gid)
		return true;
	r = pid > 0 ? peer_proc_groups(pid, uid, srv->keel_gid) : -1;
	if (r >= 0)
		return r == 1;
	return peer_db_groups(uid, gid, srv->keel_gid);
}

static void conn_new(struct ctl_server *srv, int fd)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct ctl_conn *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0) {
		log_warn("ctl %s: SO_PEERCRED", srv->name);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn("ctl %s: accept", srv->name);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	c->may_write = peer_may_write(srv, cr.uid, cr.gid, cr.pid);
	c->refs = 1;
	STAILQ_INIT(&c->outq);
	c->ev_read = event_new(srv->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->ev_write = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) < 0) {
		log_warnx("ctl %s: cannot watch a new client", srv->name);
		if (c->ev_read)
			event_free(c->ev_read);
		if (c->ev_write)
			event_free(c->ev_write);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->n_conns++;
	log_debug("ctl %s: client pid %d uid %u gid %u connected (%s)", srv->name, (int)cr.pid,
	          (unsigned)cr.uid, (unsigned)cr.gid, c->may_write ? "read-write" : "read-only");
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;

	event_add(srv->ev_accept, NULL);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct ctl_server *srv = arg;

	for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (send_would_block(errno))
				return;
			/* Out of descriptors: the listening socket stays readable, so
			 * pause accepting instead of spinning. */
			log_warn("ctl %s: accept", srv->name);
			struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};

			event_del(srv->ev_accept);
			event_add(srv->ev_resume, &tv);
			return;
		}
		if (srv->n_conns >= CTL_MAX_CLIENTS) {
			log_warnx("ctl %s: %d clients connected, refusing another", srv->name,
			          CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		conn_new(srv, fd);
	}
}

/* ---------------------------------------------------------------- server */

static int socket_remove_stale(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	/* A socket someone still answers on belongs to a live daemon. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static void server_group(struct ctl_server *srv)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r("keel", &gr, buf, sizeof(buf), &res) == 0 && res) {
		srv->keel_gid = gr.gr_gid;
		srv->have_keel_gid = true;
	}
}

static bool methods_valid(const struct ctl_method *methods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ctl_name_valid(methods[i].name) || strchr(methods[i].name, '*') ||
		    !methods[i].fn) {
			log_warnx("ctl: method %zu ('%s') has a bad name or no handler", i,
			          methods[i].name ? methods[i].name : "");
			return false;
		}
		for (size_t j = 0; j < CTL_N_BUILTINS; j++)
			if (strcmp(methods[i].name, ctl_builtins[j].name) == 0) {
				log_warnx("ctl: method '%s' is built in", methods[i].name);
				return false;
			}
		for (size_t j = 0; j < i; j++)
			if (strcmp(methods[i].name, methods[j].name) == 0) {
				log_warnx("ctl: method '%s' listed twice", methods[i].name);
				return false;
			}
	}
	return true;
}

static void server_name_from_path(struct ctl_server *srv, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ctl") == 0)
		n -= 4;
	if (n >= sizeof(srv->name))
		n = sizeof(srv->name) - 1;
	memcpy(srv->name, base, n);
	srv->name[n] = '\0';
}

struct ctl_server *ctl_server_open_path(struct event_base *base, const char *path,
                                        const struct ctl_method *methods, size_t n_methods,
                                        void *arg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_server *srv;
	struct stat st;

	if (!methods_valid(methods, n_methods))
		return NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("ctl: socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		log_warn("ctl: %s", path);
		return NULL;
	}
	srv->base = base;
	srv->fd = -1;
	srv->methods = methods;
	srv->n_methods = n_methods;
	srv->arg = arg;
	srv->euid = geteuid();
	srv->start_mono_ms = mono_ms();
	srv->start_wall_ms = wall_ms();
	TAILQ_INIT(&srv->conns);
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	server_name_from_path(srv, path);
	server_group(srv);

	if (socket_remove_stale(path) < 0) {
		log_warn("ctl %s: cannot take over %s", srv->name, path);
		goto fail;
	}
	srv->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("ctl %s: bind %s", srv->name, path);
		goto fail;
	}
	/* Permissions are set before listen(), so no peer can connect while the
	 * socket still has the umask's mode. */
	if (chmod(path, 0660) < 0 ||
	    (srv->have_keel_gid && chown(path, (uid_t)-1, srv->keel_gid) < 0) ||
	    lstat(path, &st) < 0) {
		log_warn("ctl %s: chmod/chown %s", srv->name, path);
		unlink(path);
		goto fail;
	}
	srv->ino = st.st_ino;
	if (listen(srv->fd, CTL_BACKLOG) < 0) {
		log_warn("ctl %s: listen", srv->name);
		unlink(path);
		goto fail;
	}
	srv->ev_accept = event_new(base, srv->fd, EV_READ | EV_PERSIST, accept_cb, srv);
	srv->ev_resume = evtimer_new(base, accept_resume_cb, srv);
	if (!srv->ev_accept || !srv->ev_resume || event_add(srv->ev_accept, NULL) < 0) {
		log_warnx("ctl %s: cannot watch %s", srv->name, path);
		unlink(path);
		goto fail;
	}
	log_debug("ctl %s: listening on %s", srv->name, path);
	return srv;
fail:
	if (srv->ev_accept)
		event_free(srv->ev_accept);
	if (srv->ev_resume)
		event_free(srv->ev_resume);
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	return NULL;
}

struct ctl_server *ctl_server_open(struct event_base *base, const char *name,
                                   const struct ctl_method *methods, size_t n_methods, void *arg)
{
	char file[NAME_MAX + 1], path[PATH_MAX];
	int n;

	n = snprintf(file, sizeof(file), "%s.ctl", name);
	if (!*name || strchr(name, '/') || n < 0 || (size_t)n >= sizeof(file)) {
		log_warnx("ctl: bad daemon name '%s'", name);
		errno = EINVAL;
		return NULL;
	}
	if (keel_mkdirs(KEEL_DIR_RUN) < 0 ||
	    keel_path(path, sizeof(path), KEEL_DIR_RUN, file) < 0) {
		log_warn("ctl %s: %s%s", name, keel_root(), "/" KEEL_DIR_RUN);
		return NULL;
	}
	return ctl_server_open_path(base, path, methods, n_methods, arg);
}

void ctl_server_close(struct ctl_server *srv)
{
	struct ctl_conn *c;
	struct stat st;

	if (!srv)
		return;
	while ((c = TAILQ_FIRST(&srv->conns)))
		conn_close(c, "server closing");
	event_free(srv->ev_accept);
	event_free(srv->ev_resume);
	close(srv->fd);
	if (lstat(srv->path, &st) == 0 && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}

void ctl_server_set_info(struct ctl_server *srv, ctl_info_fn fn, void *arg)
{
	srv->info_fn = fn;
	srv->info_arg = arg;
}

unsigned ctl_server_clients(const struct ctl_server *srv)
{
	return srv->n_conns;
}

uint64_t ctl_server_requests(const struct ctl_server *srv)
{
	return srv->requests;
}

uint64_t ctl_server_errors(const struct ctl_server *srv)
{
	return srv->errors;
}

/* ---------------------------------------------------------------- events */

static bool conn_subscribed(const struct ctl_conn *c, const char *topic)
{
	for (unsigned i = 0; i < c->n_topics; i++)
		if (ctl_topic_match(c->topics[i], topic))
			return true;
	return false;
}

bool ctl_server_has_subscribers(const struct ctl_server *srv, const char *topic)
{
	const struct ctl_conn *c;

	TAILQ_FOREACH(c, &srv->conns, entry)
	if (conn_subscribed(c, topic))
		return true;
	return false;
}

int ctl_server_publish(struct ctl_server *srv, const char *topic, const ProtobufCMessage *msg)
{
	struct ctl_frame f;
	struct ctl_conn *c, *next;
	size_t plen = 0;
	ssize_t n;
	int count = 0;

	if (!ctl_name_valid(topic) || strchr(topic, '*')) {
		errno = EINVAL;
		return -1;
	}
	if (!ctl_server_has_subscribers(srv, topic))
		return 0;
	if (msg) {
		plen = protobuf_c_message_get_packed_size(msg);
		if (plen > sizeof(srv->pbuf)) {
			errno = EMSGSIZE;
			return -1;
		}
		plen = protobuf_c_message_pack(msg, srv->pbuf);
	}
	memset(&f, 0, sizeof(f));
	f.kind = CTL_FRAME_EVENT;
	snprintf(f.method, sizeof(f.method), "%s", topic);
	f.payload = plen ? srv->pbuf : NULL;
	f.payload_len = plen;
	n = ctl_frame_encode(&f, srv->wbuf, sizeof(srv->wbuf));
	if (n < 0) {
		log_warnx("ctl %s: event %s of %zu bytes does not fit in a frame", srv->name, topic,
		          plen);
		errno = EMSGSIZE;
		return -1;
	}
	/* conn_send() may drop a conn (it leaves the list); `next` stays valid. */
	for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (conn_subscribed(c, topic) && conn_send(c, srv->wbuf, (size_t)n) == 0)
			count++;
	}
	return count;
}

/* ---------------------------------------------------------------- built-ins */

static uint64_t self_rss_kb(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int ok;

	if (!f)
		return 0;
	ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
	fclose(f);
	return ok ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024 : 0;
}

static uint64_t self_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void builtin_info(struct ctl_req *req, void *arg)
{
	struct ctl_server *srv = req->srv;
	Keel__Ctl__DaemonInfo info = KEEL__CTL__DAEMON_INFO__INIT;
	const char *const *names = log_flag_names();
	char *flags[LOG_MAX_FLAGS], *on[LOG_MAX_FLAGS];
	uint32_t mask = log_flags();
	size_t nf = 0, non = 0;

	for (int i = 0; names && names[i] && i < LOG_MAX_FLAGS; i++) {
		flags[nf++] = (char *)names[i];
		if (mask & (1u << i))
			on[non++] = (char *)names[i];
	}
	info.name = srv->name;
	info.pid = (uint32_t)getpid();
	info.start_time = srv->start_wall_ms / 1000;
	info.uptime_ms = mono_ms() - srv->start_mono_ms;
	info.n_debug_flags = nf;
	info.debug_flags = flags;
	info.n_debug_on = non;
	info.debug_on = on;
	info.clients = srv->n_conns;
	info.requests = srv->requests;
	info.errors = srv->errors;
	info.root = (char *)keel_root();
	info.rss_kb = self_rss_kb();
	info.cpu_ms = self_cpu_ms();
	if (srv->info_fn)
		srv->info_fn(&info, srv->info_arg);
	if (ctl_reply(req, &info.base) < 0)
		ctl_error(req, CTL_ERR_FAILED, "daemon.info: reply failed");
}

static int debug_bits(struct ctl_req *req, char **names, size_t n, uint32_t *bits)
{
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t b = log_flag_bit(names[i]);

		if (!b) {
			ctl_error(req, CTL_ERR_INVALID, "debug.set: unknown debug flag '%.64s'",
			          names[i]);
			return -1;
		}
		*bits |= b;
	}
	return 0;
}

static void builtin_debug_set(struct ctl_req *req, void *arg)
{
	Keel__Ctl__DebugSet *ds;
	uint32_t flags = log_flags(), on, off;

	ds = keel__ctl__debug_set__unpack(NULL, req->payload_len, req->payload);
	if (!ds) {
		ctl_error(req, CTL_ERR_INVALID, "debug.set: payload is not a DebugSet");
		return;
	}
	if (debug_bits(req, ds->on, ds->n_on, &on) < 0 ||
	    debug_bits(req, ds->off, ds->n_off, &off) < 0) {
		keel__ctl__debug_set__free_unpacked(ds, NULL);
		return;
	}
	if (ds->none)
		flags = 0;
	if (ds->all)
		flags = log_flag_bit("all");
	flags = (flags | on) & ~off;
	keel__ctl__debug_set__free_unpacked(ds, NULL);
	log_set_flags(flags);
	log_info("ctl %s: debug flags 0x%x (set by pid %d uid %u)", req->srv->name, flags,
	         (int)req->pid, (unsigned)req->uid);
}

static int reply_method(struct ctl_req *req, const struct ctl_method *m)
{
	Keel__Ctl__MethodInfo mi = KEEL__CTL__METHOD_INFO__INIT;

	mi.name = (char *)m->name;
	mi.write = (m->flags & CTL_F_WRITE) != 0;
	mi.help = (char *)(m->help ? m->help : "");
	return ctl_reply(req, &mi.base);
}

static void builtin_methods(struct ctl_req *req, void *arg)
{
	struct ctl_server *srv = req->srv;

	for (size_t i = 0; i < CTL_N_BUILTINS; i++)
		if (reply_method(req, &ctl_builtins[i]) < 0)
			return;
	for (size_t i = 0; i < srv->n_methods; i++)
		if (reply_method(req, &srv->methods[i]) < 0)
			return;
}

static Keel__Ctl__Subscribe *subscribe_decode(struct ctl_req *req)
{
	Keel__Ctl__Subscribe *s;

	s = keel__ctl__subscribe__unpack(NULL, req->payload_len, req->payload);
	if (!s) {
		ctl_error(req, CTL_ERR_INVALID, "%s: payload is not a Subscribe", req->method);
		return NULL;
	}
	/* bounds the O(n * CTL_MAX_TOPICS) duplicate checks below */
	if (s->n_topics > CTL_MAX_TOPICS) {
		ctl_error(req, CTL_ERR_INVALID, "%s: %zu topics, at most %d", req->method,
		          s->n_topics, CTL_MAX_TOPICS);
		keel__ctl__subscribe__free_unpacked(s, NULL);
		return NULL;
	}
	return s;
}

static bool conn_has_topic(const struct ctl_conn *c, const char *t)
{
	for (unsigned i = 0; i < c->n_topics; i++)
		if (strcmp(c->topics[i], t) == 0)
			return true;
	return false;
}

static void builtin_subscribe(struct ctl_req *req, void *arg)
{
	struct ctl_conn *c = req->conn;
	Keel__Ctl__Subscribe *s = subscribe_decode(req);
	unsigned fresh = 0;

	if (!s)
		return;
	if (s->n_topics == 0) {
		ctl_error(req, CTL_ERR_INVALID, "subscribe: no topics");
		goto out;
	}
	/* validate everything first: a subscribe is applied whole or not at all */
	for (size_t i = 0; i < s->n_topics; i++) {
		bool dup = conn_has_topic(c, s->topics[i]);

		if (!ctl_topic_pattern_valid(s->topics[i])) {
			ctl_error(req, CTL_ERR_INVALID, "subscribe: invalid topic '%.64s'",
			          s->topics[i]);
			goto out;
		}
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(s->topics[i], s->topics[j]) == 0;
		fresh += !dup;
	}
	if (c->n_topics + fresh > CTL_MAX_TOPICS) {
		ctl_error(req, CTL_ERR_INVALID, "subscribe: more than %d topics", CTL_MAX_TOPICS);
		goto out;
	}
	for (size_t i = 0; i < s->n_topics; i++) {
		char *t;

		if (conn_has_topic(c, s->topics[i]))
			continue;
		t = strdup(s->topics[i]);
		if (!t) {
			ctl_error(req, CTL_ERR_FAILED, "subscribe: out of memory");
			goto out;
		}
		c->topics[c->n_topics++] = t;
	}
out:
	keel__ctl__subscribe__free_unpacked(s, NULL);
}

static void builtin_unsubscribe(struct ctl_req *req, void *arg)
{
	struct ctl_conn *c = req->conn;
	Keel__Ctl__Subscribe *s = subscribe_decode(req);

	if (!s)
		return;
	for (unsigned i = 0; i < c->n_topics;) {
		bool drop = s->n_topics == 0;

		for (size_t j = 0; j < s->n_topics && !drop; j++)
			drop = strcmp(c->topics[i], s->topics[j]) == 0;
		if (drop) {
			free(c->topics[i]);
			c->topics[i] = c->topics[--c->n_topics];
		} else {
			i++;
		}
	}
	keel__ctl__subscribe__free_unpacked(s, NULL);
}
