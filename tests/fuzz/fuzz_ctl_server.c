/*
 * Fuzz target for the ctl server (lib/ctl.c): arbitrary datagrams from one
 * client connection.
 *
 * Input: a sequence of [len lo, len hi, bytes...] records; each record is sent
 * as one SOCK_SEQPACKET datagram (len masked to 13 bits). Properties checked:
 *  - the server never crashes (ASan/UBSan) and keeps serving;
 *  - everything it sends back decodes as a valid frame, and a frame it
 *    answers with ERROR carries a non-zero code;
 *  - deferred requests are ended both while the client is connected and after
 *    it went away; after the client closes, the server has no clients left.
 * Test methods: "f.defer" (kept open), "f.publish" (publishes the payload on
 * "f.topic"), "f.parts" (echoes its payload as up to 3 REPLY parts).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/log.h"

#define FUZZ_HELD 128

static struct event_base *fz_base;
static struct ctl_server *fz_srv;
static char fz_dir[32];
static char fz_path[108];
static struct ctl_req *fz_held[FUZZ_HELD];
static int fz_n_held;

static void f_defer(struct ctl_req *req, void *arg)
{
	struct ctl_req *d = ctl_req_defer(req);

	if (d && fz_n_held < FUZZ_HELD)
		fz_held[fz_n_held++] = d;
	else if (d)
		ctl_error(d, CTL_ERR_BUSY, "fuzz: too many held");
}

static void f_publish(struct ctl_req *req, void *arg)
{
	Keel__Ctl__MethodInfo mi = KEEL__CTL__METHOD_INFO__INIT;
	char help[256];

	snprintf(help, sizeof(help), "%.*s", (int)(req->payload_len < 255 ? req->payload_len : 255),
	         req->payload ? (const char *)req->payload : "");
	mi.name = "f.topic";
	mi.help = help;
	ctl_server_publish(req->srv, "f.topic", &mi.base);
}

static void f_parts(struct ctl_req *req, void *arg)
{
	unsigned n = req->payload_len ? req->payload[0] % 4 : 0;

	for (unsigned i = 0; i < n; i++)
		ctl_reply_raw(req, req->payload, req->payload_len);
}

static const struct ctl_method fz_methods[] = {
        {"f.defer", f_defer, 0, ""},
        {"f.publish", f_publish, 0, ""},
        {"f.parts", f_parts, CTL_F_WRITE, ""},
};

static void fz_cleanup(void)
{
	ctl_server_close(fz_srv);
	event_base_free(fz_base);
	rmdir(fz_dir);
}

static void fz_init(void)
{
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/keel-fuzz-ctl-XXXXXX");
	if (!mkdtemp(fz_dir))
		abort();
	snprintf(fz_path, sizeof(fz_path), "%s/f.ctl", fz_dir);
	log_init("fuzz", true, false);
	fz_base = ev_base_new();
	fz_srv = ctl_server_open_path(fz_base, fz_path, fz_methods,
	                              sizeof(fz_methods) / sizeof(fz_methods[0]), NULL);
	if (!fz_srv)
		abort();
	atexit(fz_cleanup);
}

static void fz_release(int upto)
{
	while (fz_n_held > upto)
		ctl_end(fz_held[--fz_n_held]);
}

/* Reads and checks everything the server sent. */
static void fz_drain(int fd)
{
	static uint8_t buf[CTL_MAX_FRAME + 1];
	struct ctl_frame f;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n <= 0)
			return;
		if (n > CTL_MAX_FRAME || ctl_frame_decode(buf, (size_t)n, &f) != 0)
			abort();
		if (f.kind == CTL_FRAME_REQUEST || (f.kind == CTL_FRAME_ERROR && f.code == 0))
			abort();
	}
}

static void fz_spin(int fd, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		event_base_loop(fz_base, EVLOOP_NONBLOCK);
		if (fd >= 0)
			fz_drain(fd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, rounds = 0;

	if (!fz_base)
		fz_init();
	log_set_flags(0); /* an input may have switched debug output on */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	memcpy(sun.sun_path, fz_path, strlen(fz_path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		abort();
	while (size >= 2) {
		size_t len = ((size_t)data[0] | (size_t)data[1] << 8) & 0x1fff;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		while (send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno != EAGAIN || ++rounds > 1000)
				abort();
			fz_spin(fd, 1);
		}
		data += len;
		size -= len;
		fz_spin(fd, 2);
	}
	fz_spin(fd, 4);
	/* half of the deferred requests end while the client is there */
	fz_release(fz_n_held / 2);
	fz_spin(fd, 2);
	close(fd);
	for (int i = 0; i < 100 && ctl_server_clients(fz_srv) > 0; i++)
		fz_spin(-1, 1);
	if (ctl_server_clients(fz_srv) != 0)
		abort();
	/* the rest after it went away */
	fz_release(0);
	return 0;
}
