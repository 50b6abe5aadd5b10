/*
 * Blocking ctl client (lib/ctl.h): the CLI and tests.
 *
 * One request at a time. The socket is non-blocking and every wait goes
 * through poll() against one deadline per call, so a daemon that stops
 * answering costs the caller timeout_ms and never more. Replies to an earlier
 * call that timed out arrive with an old id and are skipped.
 */
#include "lib/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/paths.h"

#define CTL_CONNECT_TIMEOUT_S 5 /* a full listen backlog makes connect() wait */

struct ctl_client {
	int fd;
	uint32_t next_id;
	ctl_event_fn ev_fn;
	void *ev_arg;
	uint8_t rbuf[CTL_MAX_FRAME + 1];
	uint8_t pbuf[CTL_MAX_FRAME];
	uint8_t wbuf[CTL_MAX_FRAME];
};

struct ctl_client *ctl_client_connect_path(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_CONNECT_TIMEOUT_S};
	struct timeval zero = {0};
	struct ctl_client *c;
	int saved;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero));
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	return c;
fail:
	saved = errno;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	errno = saved;
	return NULL;
}

struct ctl_client *ctl_client_connect(const char *name)
{
	char file[NAME_MAX + 1], path[PATH_MAX];
	int n = snprintf(file, sizeof(file), "%s.ctl", name);

	if (!*name || strchr(name, '/') || n < 0 || (size_t)n >= sizeof(file)) {
		errno = EINVAL;
		return NULL;
	}
	if (keel_path(path, sizeof(path), KEEL_DIR_RUN, file) < 0)
		return NULL;
	return ctl_client_connect_path(path);
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int ctl_client_fd(const struct ctl_client *c)
{
	return c->fd;
}

void ctl_client_on_event(struct ctl_client *c, ctl_event_fn fn, void *arg)
{
	c->ev_fn = fn;
	c->ev_arg = arg;
}

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : mono_ms() + (uint64_t)timeout_ms;
}

/* Waits for `events` until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		uint64_t now = mono_ms();
		int ms, rc;

		if (deadline == UINT64_MAX)
			ms = -1;
		else if (now >= deadline)
			return 0;
		else
			ms = deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
		rc = poll(&p, 1, ms);
		if (rc > 0)
			return 1;
		if (rc == 0 && ms >= 0 && mono_ms() >= deadline)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int client_send(struct ctl_client *c, const uint8_t *data, size_t len, uint64_t deadline)
{
	for (;;) {
		if (send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		int rc = wait_fd(c->fd, POLLOUT, deadline);

		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0)
			return -1;
	}
}

/* Reads the next frame from the daemon. -1 with errno ETIMEDOUT, ECONNRESET
 * (daemon closed) or EPROTO (the daemon sent something undecodable). */
static int client_recv(struct ctl_client *c, uint64_t deadline, struct ctl_frame *f)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			int rc = wait_fd(c->fd, POLLIN, deadline);

			if (rc == 0)
				errno = ETIMEDOUT;
			if (rc <= 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};

			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				errno = ECONNRESET;
				return -1;
			}
		}
		if (ctl_frame_decode(c->rbuf,
		                     (size_t)n < sizeof(c->rbuf) ? (size_t)n : sizeof(c->rbuf),
		                     f) != 0) {
			errno = EPROTO;
			return -1;
		}
		return 0;
	}
}

static void client_deliver(struct ctl_client *c, const struct ctl_frame *f)
{
	if (c->ev_fn)
		c->ev_fn(f->method, f->payload, f->payload_len, c->ev_arg);
}

static void set_err(char *errbuf, size_t errlen, const char *text)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", text);
}

int ctl_call_raw(struct ctl_client *c, const char *method, const uint8_t *payload, size_t len,
                 ctl_part_fn part, void *arg, int timeout_ms, char *errbuf, size_t errlen)
{
	uint64_t deadline = deadline_of(timeout_ms);
	struct ctl_frame f;
	bool stopped = false;
	ssize_t n;
	uint32_t id;

	if (!ctl_name_valid(method)) {
		set_err(errbuf, errlen, "invalid method name");
		errno = EINVAL;
		return -1;
	}
	if (++c->next_id == 0)
		c->next_id = 1;
	id = c->next_id;
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.kind = CTL_FRAME_REQUEST;
	snprintf(f.method, sizeof(f.method), "%s", method);
	f.payload = payload;
	f.payload_len = len;
	n = ctl_frame_encode(&f, c->wbuf, sizeof(c->wbuf));
	if (n < 0) {
		set_err(errbuf, errlen, "request too big");
		errno = EMSGSIZE;
		return -1;
	}
	if (client_send(c, c->wbuf, (size_t)n, deadline) < 0)
		goto io_error;
	for (;;) {
		if (client_recv(c, deadline, &f) < 0)
			goto io_error;
		if (f.kind == CTL_FRAME_EVENT) {
			client_deliver(c, &f);
			continue;
		}
		/* id 0: the daemon could not read the id of a frame; ours is the
		 * only one outstanding */
		if (f.id != id && !(f.kind == CTL_FRAME_ERROR && f.id == 0))
			continue;
		switch (f.kind) {
		case CTL_FRAME_REPLY:
			if (!stopped && part)
				stopped = part(f.payload, f.payload_len, arg) != 0;
			break;
		case CTL_FRAME_END:
			return 0;
		case CTL_FRAME_ERROR:
			set_err(errbuf, errlen, f.error);
			return f.code ? (int)f.code : CTL_ERR_FAILED;
		default:
			break;
		}
	}
io_error:
	set_err(errbuf, errlen, strerror(errno));
	return -1;
}

int ctl_call(struct ctl_client *c, const char *method, const ProtobufCMessage *req,
             ctl_part_fn part, void *arg, int timeout_ms, char *errbuf, size_t errlen)
{
	size_t n = 0;

	if (req) {
		n = protobuf_c_message_get_packed_size(req);
		if (n > sizeof(c->pbuf)) {
			set_err(errbuf, errlen, "request too big");
			errno = EMSGSIZE;
			return -1;
		}
		n = protobuf_c_message_pack(req, c->pbuf);
	}
	return ctl_call_raw(c, method, n ? c->pbuf : NULL, n, part, arg, timeout_ms, errbuf,
	                    errlen);
}

int ctl_client_subscribe(struct ctl_client *c, const char *const *topics, size_t n, int timeout_ms)
{
	Keel__Ctl__Subscribe s = KEEL__CTL__SUBSCRIBE__INIT;

	s.n_topics = n;
	s.topics = (char **)topics;
	return ctl_call(c, "subscribe", &s.base, NULL, NULL, timeout_ms, NULL, 0);
}

int ctl_client_poll_event(struct ctl_client *c, int timeout_ms)
{
	uint64_t deadline = deadline_of(timeout_ms);
	struct ctl_frame f;

	for (;;) {
		if (client_recv(c, deadline, &f) < 0)
			return errno == ETIMEDOUT ? 0 : -1;
		if (f.kind == CTL_FRAME_EVENT) {
			client_deliver(c, &f);
			return 1;
		}
	}
}
