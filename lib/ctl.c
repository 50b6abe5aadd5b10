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
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ctl_priv.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"

#define CTL_READ_BURST   32 /* frames read per wake-up and conn */
#define CTL_ACCEPT_BURST 64
#define CTL_BACKLOG      128

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
	if (srv->close_fn)
		srv->close_fn(c->id, srv->close_arg);
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
	for (size_t i = 0; i < ctl_n_builtins; i++)
		if (strcmp(ctl_builtins[i].name, name) == 0)
			return &ctl_builtins[i];
	for (size_t i = 0; i < srv->n_methods; i++)
		if (strcmp(srv->methods[i].name, name) == 0)
			return &srv->methods[i];
	for (size_t t = 0; t < srv->n_extra; t++)
		for (size_t i = 0; i < srv->extra[t].n; i++)
			if (strcmp(srv->extra[t].m[i].name, name) == 0)
				return &srv->extra[t].m[i];
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
	req.conn_id = c->id;
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
	c->id = ++srv->next_conn_id;
	c->may_write = ctl_peer_may_write(srv, cr.uid, cr.gid, cr.pid);
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

static bool methods_valid(const struct ctl_method *methods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ctl_name_valid(methods[i].name) || strchr(methods[i].name, '*') ||
		    !methods[i].fn) {
			log_warnx("ctl: method %zu ('%s') has a bad name or no handler", i,
			          methods[i].name ? methods[i].name : "");
			return false;
		}
		for (size_t j = 0; j < ctl_n_builtins; j++)
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
	ctl_peer_group_init(srv);

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
		log_warn("ctl %s: chmod/chown %s", srv->name, srv->path);
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

int ctl_server_add_methods(struct ctl_server *srv, const struct ctl_method *methods, size_t n)
{
	if (srv->n_extra == CTL_MAX_TABLES) {
		log_warnx("ctl: more than %d added method tables", CTL_MAX_TABLES);
		return -1;
	}
	if (!methods_valid(methods, n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (method_find(srv, methods[i].name)) {
			log_warnx("ctl: method '%s' listed twice", methods[i].name);
			return -1;
		}
	srv->extra[srv->n_extra].m = methods;
	srv->extra[srv->n_extra].n = n;
	srv->n_extra++;
	return 0;
}

void ctl_server_on_close(struct ctl_server *srv, ctl_close_fn fn, void *arg)
{
	srv->close_fn = fn;
	srv->close_arg = arg;
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
