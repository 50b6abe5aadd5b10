/*
 * ctl server + blocking client + async client, in one process.
 *
 * The server runs its own event loop in a thread (tsrv_start/tsrv_stop); the
 * test thread drives it through real sockets only. Test methods ("test.*")
 * give the tests handles on multi-part replies, failures, deferred requests
 * and publishing. KEEL_ROOT is a fresh temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/log.h"

#define T_TIMEOUT 5000

static char root_dir[128];

/* ---------------------------------------------------------------- test server */

struct tsrv {
	pthread_t th;
	struct event_base *base;
	struct ctl_server *srv;
	int stop_pipe[2];
	struct event *ev_stop;
	char path[256];
	struct ctl_req *held[2 * CTL_MAX_INFLIGHT];
	int n_held;
	int opened; /* 1 ok, -1 failed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void m_parts(struct ctl_req *req, void *arg)
{
	char num[16] = "", part[32];
	int n;

	snprintf(num, sizeof(num), "%.*s", (int)req->payload_len, (const char *)req->payload);
	n = atoi(num);
	for (int i = 0; i < n; i++) {
		int len = snprintf(part, sizeof(part), "part %d", i);

		ctl_reply_raw(req, (const uint8_t *)part, (size_t)len);
	}
	ctl_end(req);
}

static void m_fail(struct ctl_req *req, void *arg)
{
	ctl_error(req, CTL_ERR_FAILED, "it failed on purpose (%s)", req->method);
}

static void m_silent(struct ctl_req *req, void *arg)
{
}

static void m_write(struct ctl_req *req, void *arg)
{
	ctl_reply_raw(req, (const uint8_t *)"written", 7);
}

/* payload "topic count size": publishes count events of size bytes, replies
 * with the number of deliveries */
static void m_publish(struct ctl_req *req, void *arg)
{
	Keel__Ctl__MethodInfo mi = KEEL__CTL__METHOD_INFO__INIT;
	char text[128] = "", topic[80] = "", out[32];
	int count = 0, size = 0, total = 0;
	char *help;

	snprintf(text, sizeof(text), "%.*s", (int)req->payload_len, (const char *)req->payload);
	if (sscanf(text, "%79s %d %d", topic, &count, &size) != 3 || size < 0 ||
	    size > CTL_MAX_FRAME) {
		ctl_error(req, CTL_ERR_INVALID, "bad test.publish payload");
		return;
	}
	help = malloc((size_t)size + 1);
	memset(help, 'x', (size_t)size);
	help[size] = '\0';
	mi.name = topic;
	mi.help = help;
	for (int i = 0; i < count; i++) {
		int n = ctl_server_publish(req->srv, topic, &mi.base);

		total += n > 0 ? n : 0;
	}
	free(help);
	int len = snprintf(out, sizeof(out), "%d", total);

	ctl_reply_raw(req, (const uint8_t *)out, (size_t)len);
}

static void defer_done(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_req *d = arg;

	ctl_reply_raw(d, (const uint8_t *)"late", 4);
	ctl_end(d);
}

static void m_defer(struct ctl_req *req, void *arg)
{
	struct tsrv *t = arg;
	struct ctl_req *d = ctl_req_defer(req);
	struct timeval tv = {0, 20000};

	if (!d)
		return;
	event_base_once(t->base, -1, EV_TIMEOUT, defer_done, d, &tv);
}

static void m_hold(struct ctl_req *req, void *arg)
{
	struct tsrv *t = arg;
	struct ctl_req *d = ctl_req_defer(req);

	if (!d)
		return;
	t->held[t->n_held++] = d;
}

static void release_held(struct tsrv *t)
{
	for (int i = 0; i < t->n_held; i++)
		ctl_end(t->held[i]);
	t->n_held = 0;
}

static void m_release(struct ctl_req *req, void *arg)
{
	struct tsrv *t = arg;
	char out[16];
	int n = t->n_held, len;

	release_held(t);
	len = snprintf(out, sizeof(out), "%d", n);
	ctl_reply_raw(req, (const uint8_t *)out, (size_t)len);
}

static const struct ctl_method test_methods[] = {
        {"test.parts", m_parts, 0, "N parts"},
        {"test.fail", m_fail, 0, "fails"},
        {"test.silent", m_silent, 0, "returns without answering"},
        {"test.write", m_write, CTL_F_WRITE, "needs write"},
        {"test.publish", m_publish, 0, "publish events"},
        {"test.defer", m_defer, 0, "answers 20 ms later"},
        {"test.hold", m_hold, 0, "answers on test.release"},
        {"test.release", m_release, 0, "ends held requests"},
};

static void info_hook(Keel__Ctl__DaemonInfo *info, void *arg)
{
	info->version = "test-1";
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tsrv *t = arg;

	event_base_loopbreak(t->base);
}

static void *tsrv_main(void *arg)
{
	struct tsrv *t = arg;

	t->base = ev_base_new();
	t->srv = ctl_server_open_path(t->base, t->path, test_methods,
	                              sizeof(test_methods) / sizeof(test_methods[0]), t);
	if (t->srv)
		ctl_server_set_info(t->srv, info_hook, NULL);
	t->ev_stop = event_new(t->base, t->stop_pipe[0], EV_READ, stop_cb, t);
	event_add(t->ev_stop, NULL);
	pthread_mutex_lock(&t->mu);
	t->opened = t->srv ? 1 : -1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (t->srv)
		event_base_dispatch(t->base);
	ctl_server_close(t->srv);
	/* deferred copies outliving their server must still be safe to end */
	release_held(t);
	event_free(t->ev_stop);
	event_base_free(t->base);
	return NULL;
}

static struct tsrv *tsrv_start(const char *name)
{
	struct tsrv *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->path, sizeof(t->path), "%s/%s.ctl", root_dir, name);
	assert_int_equal(pipe(t->stop_pipe), 0);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	assert_int_equal(pthread_create(&t->th, NULL, tsrv_main, t), 0);
	pthread_mutex_lock(&t->mu);
	while (!t->opened)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(t->opened, 1);
	return t;
}

static void tsrv_stop(struct tsrv *t)
{
	assert_int_equal(write(t->stop_pipe[1], "x", 1), 1);
	pthread_join(t->th, NULL);
	close(t->stop_pipe[0]);
	close(t->stop_pipe[1]);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}

/* ---------------------------------------------------------------- helpers */

static struct ctl_client *connect_ok(struct tsrv *t)
{
	struct ctl_client *c = ctl_client_connect_path(t->path);

	assert_non_null(c);
	return c;
}

struct parts {
	int n;
	char last[64];
};

static int collect_part(const uint8_t *p, size_t len, void *arg)
{
	struct parts *ps = arg;

	snprintf(ps->last, sizeof(ps->last), "%.*s", (int)len, (const char *)p);
	ps->n++;
	return 0;
}

static int call_text(struct ctl_client *c, const char *method, const char *payload,
                     struct parts *ps, char *err, size_t errlen)
{
	memset(ps, 0, sizeof(*ps));
	return ctl_call_raw(c, method, (const uint8_t *)payload, payload ? strlen(payload) : 0,
	                    collect_part, ps, T_TIMEOUT, err, errlen);
}

static int info_part(const uint8_t *p, size_t len, void *arg)
{
	Keel__Ctl__DaemonInfo **out = arg;

	*out = keel__ctl__daemon_info__unpack(NULL, len, p);
	return 0;
}

static Keel__Ctl__DaemonInfo *get_info(struct ctl_client *c)
{
	Keel__Ctl__DaemonInfo *info = NULL;
	char err[256];

	assert_int_equal(
	        ctl_call(c, "daemon.info", NULL, info_part, &info, T_TIMEOUT, err, sizeof(err)), 0);
	assert_non_null(info);
	return info;
}

static unsigned server_clients(struct ctl_client *c)
{
	Keel__Ctl__DaemonInfo *info = get_info(c);
	unsigned n = info->clients;

	keel__ctl__daemon_info__free_unpacked(info, NULL);
	return n;
}

static void raw_send(int fd, const void *data, size_t len)
{
	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void raw_send_frame(int fd, uint32_t id, enum ctl_frame_kind kind, const char *method,
                           const void *payload, size_t len)
{
	struct ctl_frame f;
	uint8_t buf[1024];
	ssize_t n;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.kind = kind;
	snprintf(f.method, sizeof(f.method), "%s", method);
	f.payload = payload;
	f.payload_len = len;
	n = ctl_frame_encode(&f, buf, sizeof(buf));
	assert_true(n > 0);
	raw_send(fd, buf, (size_t)n);
}

/* 0 frame, 1 timeout, -1 end of file */
static int raw_recv(int fd, uint8_t *buf, size_t cap, struct ctl_frame *f, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, timeout_ms) == 0)
		return 1;
	n = recv(fd, buf, cap, MSG_DONTWAIT);
	if (n <= 0)
		return -1;
	assert_int_equal(ctl_frame_decode(buf, (size_t)n, f), 0);
	return 0;
}

static void expect_error(int fd, uint32_t id, int code)
{
	uint8_t buf[CTL_MAX_FRAME];
	struct ctl_frame f;

	assert_int_equal(raw_recv(fd, buf, sizeof(buf), &f, T_TIMEOUT), 0);
	assert_int_equal(f.kind, CTL_FRAME_ERROR);
	assert_int_equal(f.id, id);
	assert_int_equal(f.code, code);
	assert_true(strlen(f.error) > 0);
}

/* The server sees connects and hang-ups in its own time. */
static void wait_clients(struct ctl_client *c, unsigned want)
{
	unsigned n = 0;

	for (int i = 0; i < 200 && (n = server_clients(c)) != want; i++)
		usleep(10000);
	assert_int_equal(n, want);
}

static void check_works(struct ctl_client *c)
{
	struct parts ps;
	char err[256];

	assert_int_equal(call_text(c, "test.parts", "2", &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 2);
}

/* ---------------------------------------------------------------- tests */

static void test_call_multipart(void **state)
{
	struct tsrv *t = tsrv_start("multi");
	struct ctl_client *c = connect_ok(t);
	Keel__Ctl__DaemonInfo *info;
	struct parts ps;
	char err[256];

	assert_int_equal(call_text(c, "test.parts", "25", &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 25);
	assert_string_equal(ps.last, "part 24");
	assert_int_equal(call_text(c, "test.parts", "0", &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 0);
	/* a handler that returns without answering gets an END */
	assert_int_equal(call_text(c, "test.silent", NULL, &ps, err, sizeof(err)), 0);

	info = get_info(c);
	assert_string_equal(info->name, "multi");
	assert_int_equal(info->pid, (uint32_t)getpid());
	assert_string_equal(info->version, "test-1"); /* the set_info hook ran */
	assert_string_equal(info->root, root_dir);
	assert_int_equal(info->clients, 1);
	assert_int_equal(info->requests, 4);
	assert_true(info->rss_kb > 0);
	keel__ctl__daemon_info__free_unpacked(info, NULL);
	ctl_client_close(c);
	tsrv_stop(t);
}

static void test_errors(void **state)
{
	struct tsrv *t = tsrv_start("errors");
	struct ctl_client *c = connect_ok(t);
	struct parts ps;
	char err[256];

	assert_int_equal(call_text(c, "no.such-method", NULL, &ps, err, sizeof(err)),
	                 CTL_ERR_NO_METHOD);
	assert_non_null(strstr(err, "no.such-method"));
	assert_int_equal(call_text(c, "test.fail", NULL, &ps, err, sizeof(err)), CTL_ERR_FAILED);
	assert_string_equal(err, "it failed on purpose (test.fail)");
	/* the client refuses what the server would */
	assert_int_equal(call_text(c, "Bad Name", NULL, &ps, err, sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	/* root may write */
	assert_int_equal(call_text(c, "test.write", NULL, &ps, err, sizeof(err)), 0);
	assert_string_equal(ps.last, "written");
	check_works(c);
	ctl_client_close(c);
	tsrv_stop(t);
}

static void test_malformed_input(void **state)
{
	struct tsrv *t = tsrv_start("malformed");
	struct ctl_client *a = connect_ok(t), *b = connect_ok(t);
	int fd = ctl_client_fd(a);
	Keel__Ctl__Frame m = KEEL__CTL__FRAME__INIT;
	Keel__Ctl__DaemonInfo *info;
	uint8_t *big, *wire;
	size_t plen = 70 * 1024, n;

	/* garbage */
	raw_send(fd, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
	expect_error(fd, 0, CTL_ERR_MALFORMED);
	check_works(b);
	/* truncated protobuf: the id survives, the method is cut */
	raw_send(fd, "\x08\x2a\x1a\x09metho", 9);
	expect_error(fd, 42, CTL_ERR_MALFORMED);
	check_works(b);
	/* an empty datagram is not end of file */
	raw_send(fd, "", 0);
	expect_error(fd, 0, CTL_ERR_MALFORMED);
	/* bad method characters */
	raw_send(fd,
	         "\x08\x07\x1a\x04"
	         "Bad!",
	         8);
	expect_error(fd, 7, CTL_ERR_MALFORMED);
	/* a kind a client must not send */
	raw_send_frame(fd, 8, CTL_FRAME_REPLY, "", "x", 1);
	expect_error(fd, 8, CTL_ERR_MALFORMED);
	/* 70 KB datagram */
	big = calloc(1, plen);
	wire = malloc(plen + 64);
	m.id = 77;
	m.method = "daemon.info";
	m.payload.data = big;
	m.payload.len = plen;
	n = keel__ctl__frame__pack(&m, wire);
	assert_true(n > CTL_MAX_FRAME);
	raw_send(fd, wire, n);
	free(wire);
	free(big);
	expect_error(fd, 77, CTL_ERR_TOO_BIG);
	check_works(b);
	/* a payload that is not a DebugSet */
	raw_send_frame(fd, 9, CTL_FRAME_REQUEST, "debug.set", "\xff\xff", 2);
	expect_error(fd, 9, CTL_ERR_INVALID);
	/* the offender itself still works */
	check_works(a);
	info = get_info(b);
	assert_int_equal(info->clients, 2);
	assert_true(info->errors >= 7);
	keel__ctl__daemon_info__free_unpacked(info, NULL);
	ctl_client_close(a);
	ctl_client_close(b);
	tsrv_stop(t);
}

static const char *const test_flags[] = {"fsm", "packet", "ctl", NULL};

static int debug_set(struct ctl_client *c, const char *on, const char *off, bool none, char *err,
                     size_t errlen)
{
	Keel__Ctl__DebugSet ds = KEEL__CTL__DEBUG_SET__INIT;
	char *on_v[1] = {(char *)on}, *off_v[1] = {(char *)off};

	ds.n_on = on ? 1 : 0;
	ds.on = on_v;
	ds.n_off = off ? 1 : 0;
	ds.off = off_v;
	ds.none = none;
	return ctl_call(c, "debug.set", &ds.base, NULL, NULL, T_TIMEOUT, err, errlen);
}

static void test_debug_set(void **state)
{
	struct tsrv *t = tsrv_start("debug");
	struct ctl_client *c = connect_ok(t);
	Keel__Ctl__DaemonInfo *info;
	char err[256];

	log_set_flag_names(test_flags);
	log_set_flags(0);
	assert_int_equal(debug_set(c, "packet", NULL, false, err, sizeof(err)), 0);
	assert_int_equal(log_flags(), 2u);
	info = get_info(c);
	assert_int_equal(info->n_debug_flags, 3);
	assert_string_equal(info->debug_flags[2], "ctl");
	assert_int_equal(info->n_debug_on, 1);
	assert_string_equal(info->debug_on[0], "packet");
	keel__ctl__daemon_info__free_unpacked(info, NULL);
	/* unknown flag: refused, named, nothing changed */
	assert_int_equal(debug_set(c, "fsm", "bogus-flag", false, err, sizeof(err)),
	                 CTL_ERR_INVALID);
	assert_non_null(strstr(err, "bogus-flag"));
	assert_int_equal(log_flags(), 2u);
	assert_int_equal(debug_set(c, "fsm", "packet", false, err, sizeof(err)), 0);
	assert_int_equal(log_flags(), 1u);
	assert_int_equal(debug_set(c, NULL, NULL, true, err, sizeof(err)), 0);
	assert_int_equal(log_flags(), 0u);
	ctl_client_close(c);
	tsrv_stop(t);
	log_set_flag_names(NULL);
}

struct methods_seen {
	int n;
	bool info, debug_write, test_write, parts_write;
};

static int method_part(const uint8_t *p, size_t len, void *arg)
{
	struct methods_seen *s = arg;
	Keel__Ctl__MethodInfo *mi = keel__ctl__method_info__unpack(NULL, len, p);

	if (!mi)
		return 1;
	s->n++;
	if (strcmp(mi->name, "daemon.info") == 0)
		s->info = !mi->write && mi->help[0];
	if (strcmp(mi->name, "debug.set") == 0)
		s->debug_write = mi->write;
	if (strcmp(mi->name, "test.write") == 0)
		s->test_write = mi->write;
	if (strcmp(mi->name, "test.parts") == 0)
		s->parts_write = mi->write;
	keel__ctl__method_info__free_unpacked(mi, NULL);
	return 0;
}

static void test_methods_listing(void **state)
{
	struct tsrv *t = tsrv_start("methods");
	struct ctl_client *c = connect_ok(t);
	struct methods_seen s = {0};
	char err[256];

	assert_int_equal(ctl_call(c, "methods", NULL, method_part, &s, T_TIMEOUT, err, sizeof(err)),
	                 0);
	assert_int_equal(s.n, 5 + (int)(sizeof(test_methods) / sizeof(test_methods[0])));
	assert_true(s.info);
	assert_true(s.debug_write);
	assert_true(s.test_write);
	assert_false(s.parts_write);
	ctl_client_close(c);
	tsrv_stop(t);
}

struct events {
	int n;
	char topic[80];
	size_t len;
};

static void on_event(const char *topic, const uint8_t *payload, size_t len, void *arg)
{
	struct events *e = arg;

	e->n++;
	snprintf(e->topic, sizeof(e->topic), "%s", topic);
	e->len = len;
}

static int publish(struct ctl_client *c, const char *topic, int count, int size)
{
	char text[128];
	struct parts ps;
	char err[256];

	snprintf(text, sizeof(text), "%s %d %d", topic, count, size);
	assert_int_equal(call_text(c, "test.publish", text, &ps, err, sizeof(err)), 0);
	return atoi(ps.last);
}

static int subscribe_one(struct ctl_client *c, const char *method, const char *topic)
{
	Keel__Ctl__Subscribe s = KEEL__CTL__SUBSCRIBE__INIT;
	char *v[1] = {(char *)topic};

	s.n_topics = topic ? 1 : 0;
	s.topics = v;
	return ctl_call(c, method, &s.base, NULL, NULL, T_TIMEOUT, NULL, 0);
}

static void test_subscribe_publish(void **state)
{
	struct tsrv *t = tsrv_start("events");
	struct ctl_client *s = connect_ok(t), *p = connect_ok(t);
	const char *topics[] = {"bfd.session"};
	struct events e = {0};

	ctl_client_on_event(s, on_event, &e);
	assert_int_equal(publish(p, "bfd.session", 1, 10), 0); /* nobody listens */
	assert_int_equal(ctl_client_subscribe(s, topics, 1, T_TIMEOUT), 0);
	assert_int_equal(publish(p, "bfd.session", 3, 10), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ctl_client_poll_event(s, T_TIMEOUT), 1);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.topic, "bfd.session");
	assert_true(e.len > 10);
	/* other topics do not arrive */
	assert_int_equal(publish(p, "bfd.other", 1, 10), 0);
	assert_int_equal(ctl_client_poll_event(s, 100), 0);
	/* events that arrive during a call go to the callback */
	assert_int_equal(publish(s, "bfd.session", 2, 10), 2);
	assert_int_equal(e.n, 5);
	/* unsubscribe */
	assert_int_equal(subscribe_one(s, "unsubscribe", "bfd.session"), 0);
	assert_int_equal(publish(p, "bfd.session", 1, 10), 0);
	assert_int_equal(ctl_client_poll_event(s, 100), 0);
	assert_int_equal(e.n, 5);
	/* prefix */
	assert_int_equal(subscribe_one(s, "subscribe", "bfd.*"), 0);
	assert_int_equal(publish(p, "bfd.session", 1, 1), 1);
	assert_int_equal(publish(p, "bfd.other", 1, 1), 1);
	assert_int_equal(publish(p, "ribd.route", 1, 1), 0);
	assert_int_equal(ctl_client_poll_event(s, T_TIMEOUT), 1);
	assert_int_equal(ctl_client_poll_event(s, T_TIMEOUT), 1);
	assert_string_equal(e.topic, "bfd.other");
	assert_int_equal(ctl_client_poll_event(s, 100), 0);
	/* a second, overlapping pattern still delivers each event once */
	assert_int_equal(subscribe_one(s, "subscribe", "bfd.session"), 0);
	assert_int_equal(publish(p, "bfd.session", 1, 1), 1);
	/* unsubscribe with no topics drops them all */
	assert_int_equal(subscribe_one(s, "unsubscribe", NULL), 0);
	assert_int_equal(publish(p, "bfd.session", 1, 1), 0);
	/* bad topics */
	assert_int_equal(subscribe_one(s, "subscribe", "bfd.*.up"), CTL_ERR_INVALID);
	assert_int_equal(subscribe_one(s, "subscribe", "Bfd"), CTL_ERR_INVALID);
	assert_int_equal(subscribe_one(s, "subscribe", NULL), CTL_ERR_INVALID);
	ctl_client_close(s);
	ctl_client_close(p);
	tsrv_stop(t);
}

static void test_topic_limit(void **state)
{
	struct tsrv *t = tsrv_start("topics");
	struct ctl_client *c = connect_ok(t);
	char names[CTL_MAX_TOPICS + 1][16];
	const char *v[CTL_MAX_TOPICS + 1];

	for (int i = 0; i <= CTL_MAX_TOPICS; i++) {
		snprintf(names[i], sizeof(names[i]), "t.%d", i);
		v[i] = names[i];
	}
	assert_int_equal(ctl_client_subscribe(c, v, CTL_MAX_TOPICS + 1, T_TIMEOUT),
	                 CTL_ERR_INVALID);
	assert_int_equal(ctl_client_subscribe(c, v, CTL_MAX_TOPICS, T_TIMEOUT), 0);
	/* again: duplicates are not new subscriptions */
	assert_int_equal(ctl_client_subscribe(c, v, CTL_MAX_TOPICS, T_TIMEOUT), 0);
	assert_int_equal(ctl_client_subscribe(c, v + CTL_MAX_TOPICS, 1, T_TIMEOUT),
	                 CTL_ERR_INVALID);
	assert_int_equal(subscribe_one(c, "unsubscribe", "t.0"), 0);
	assert_int_equal(ctl_client_subscribe(c, v + CTL_MAX_TOPICS, 1, T_TIMEOUT), 0);
	ctl_client_close(c);
	tsrv_stop(t);
}

static void test_defer(void **state)
{
	struct tsrv *t = tsrv_start("defer");
	struct ctl_client *c = connect_ok(t), *x = connect_ok(t), *y = connect_ok(t);
	uint8_t buf[1024];
	struct ctl_frame f;
	struct parts ps;
	char err[256];
	int fd, ends = 0, busy = 0;

	assert_int_equal(call_text(c, "test.defer", NULL, &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.last, "late");

	/* held requests whose client went away: ending them is safe */
	fd = ctl_client_fd(x);
	raw_send_frame(fd, 1001, CTL_FRAME_REQUEST, "test.hold", NULL, 0);
	raw_send_frame(fd, 1002, CTL_FRAME_REQUEST, "test.hold", NULL, 0);
	check_works(x); /* the holds were dispatched */
	ctl_client_close(x);
	wait_clients(c, 2);
	assert_int_equal(call_text(c, "test.release", NULL, &ps, err, sizeof(err)), 0);
	assert_string_equal(ps.last, "2");
	check_works(c);

	/* CTL_MAX_INFLIGHT per connection, then BUSY */
	fd = ctl_client_fd(y);
	for (uint32_t id = 1; id <= CTL_MAX_INFLIGHT + 1; id++)
		raw_send_frame(fd, id, CTL_FRAME_REQUEST, "test.hold", NULL, 0);
	assert_int_equal(raw_recv(fd, buf, sizeof(buf), &f, T_TIMEOUT), 0);
	assert_int_equal(f.kind, CTL_FRAME_ERROR);
	assert_int_equal(f.code, CTL_ERR_BUSY);
	assert_int_equal(f.id, CTL_MAX_INFLIGHT + 1);
	assert_int_equal(call_text(c, "test.release", NULL, &ps, err, sizeof(err)), 0);
	assert_int_equal(atoi(ps.last), CTL_MAX_INFLIGHT);
	while (ends < CTL_MAX_INFLIGHT && raw_recv(fd, buf, sizeof(buf), &f, T_TIMEOUT) == 0) {
		if (f.kind == CTL_FRAME_END)
			ends++;
		else
			busy++;
	}
	assert_int_equal(ends, CTL_MAX_INFLIGHT);
	assert_int_equal(busy, 0);
	/* room again */
	raw_send_frame(fd, 500, CTL_FRAME_REQUEST, "test.defer", NULL, 0);
	assert_int_equal(raw_recv(fd, buf, sizeof(buf), &f, T_TIMEOUT), 0);
	assert_int_equal(f.kind, CTL_FRAME_REPLY);
	assert_int_equal(f.id, 500);

	/* held at server shutdown: tsrv_main ends them after ctl_server_close */
	raw_send_frame(fd, 600, CTL_FRAME_REQUEST, "test.hold", NULL, 0);
	check_works(c);
	ctl_client_close(c);
	ctl_client_close(y);
	tsrv_stop(t);
}

static void test_slow_reader_dropped(void **state)
{
	struct tsrv *t = tsrv_start("slow");
	struct ctl_client *lazy = connect_ok(t), *p = connect_ok(t);
	const char *topics[] = {"flood"};
	uint8_t *buf = malloc(CTL_MAX_FRAME);
	uint64_t t0, ms;
	int fd = ctl_client_fd(lazy), frames = 0;
	ssize_t n;

	assert_int_equal(ctl_client_subscribe(lazy, topics, 1, T_TIMEOUT), 0);
	t0 = mono_ms();
	/* 100 x 60 KB = 6 MB > CTL_MAX_QUEUE + the socket buffer */
	int delivered = publish(p, "flood", 100, 60000);

	ms = mono_ms() - t0;
	print_message("slow reader: %d of 100 events queued, publisher answered in %llu ms\n",
	              delivered, (unsigned long long)ms);
	assert_true(delivered < 100);
	assert_true(ms < 2000);
	assert_int_equal(server_clients(p), 1);
	check_works(p);
	/* the lazy client reads what was in its socket, then end of file */
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};

		assert_int_equal(poll(&pf, 1, T_TIMEOUT), 1);
		n = recv(fd, buf, CTL_MAX_FRAME, MSG_DONTWAIT);
		if (n <= 0)
			break;
		frames++;
	}
	assert_int_equal(n, 0);
	assert_true(frames > 0 && frames < 100);
	free(buf);
	ctl_client_close(lazy);
	ctl_client_close(p);
	tsrv_stop(t);
}

#define N_CONCURRENT 100

struct worker {
	struct tsrv *t;
	pthread_barrier_t *bar;
	atomic_int *ok;
	atomic_uint *max_clients;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctl_client *c = ctl_client_connect_path(w->t->path);
	Keel__Ctl__DaemonInfo *info = NULL;
	struct parts ps;
	char err[256];
	int good = 0;

	pthread_barrier_wait(w->bar);
	if (c &&
	    ctl_call(c, "daemon.info", NULL, info_part, &info, T_TIMEOUT, err, sizeof(err)) == 0 &&
	    info) {
		unsigned cur = atomic_load(w->max_clients);

		while (info->clients > cur &&
		       !atomic_compare_exchange_weak(w->max_clients, &cur, info->clients))
			;
		keel__ctl__daemon_info__free_unpacked(info, NULL);
	}
	pthread_barrier_wait(w->bar);
	for (int i = 0; c && i < 20; i++) {
		char num[8];

		snprintf(num, sizeof(num), "%d", i % 5);
		if (call_text(c, "test.parts", num, &ps, err, sizeof(err)) == 0 && ps.n == i % 5)
			good++;
	}
	if (good == 20)
		atomic_fetch_add(w->ok, 1);
	ctl_client_close(c);
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	struct tsrv *t = tsrv_start("many");
	pthread_t th[N_CONCURRENT];
	struct worker w[N_CONCURRENT];
	pthread_barrier_t bar;
	atomic_int ok = 0;
	atomic_uint max_clients = 0;
	uint64_t t0 = mono_ms();

	pthread_barrier_init(&bar, NULL, N_CONCURRENT);
	for (int i = 0; i < N_CONCURRENT; i++) {
		w[i] = (struct worker){t, &bar, &ok, &max_clients};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < N_CONCURRENT; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	print_message("%d clients x 21 calls in %llu ms\n", N_CONCURRENT,
	              (unsigned long long)(mono_ms() - t0));
	assert_int_equal(atomic_load(&ok), N_CONCURRENT);
	/* all were connected at once: the last daemon.info saw every one */
	assert_int_equal(atomic_load(&max_clients), N_CONCURRENT);
	tsrv_stop(t);
}

static void test_client_limit(void **state)
{
	struct tsrv *t = tsrv_start("limit");
	struct ctl_client *c[CTL_MAX_CLIENTS + 1];
	uint8_t buf[64];
	struct pollfd pf;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c[i] = connect_ok(t);
	wait_clients(c[0], CTL_MAX_CLIENTS);
	/* one more: accepted by the kernel, then closed by the server */
	c[CTL_MAX_CLIENTS] = connect_ok(t);
	pf = (struct pollfd){.fd = ctl_client_fd(c[CTL_MAX_CLIENTS]), .events = POLLIN};
	assert_int_equal(poll(&pf, 1, T_TIMEOUT), 1);
	assert_int_equal(recv(pf.fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	check_works(c[CTL_MAX_CLIENTS - 1]);
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++)
		ctl_client_close(c[i]);
	/* room again */
	c[0] = connect_ok(t);
	check_works(c[0]);
	ctl_client_close(c[0]);
	tsrv_stop(t);
}

/* ---------------------------------------------------------------- async client */

struct actx {
	int ups, downs;
	struct events ev;
	int parts, done, status;
	char error[256];
	int held_status, held_done;
};

static void a_state(bool up, void *arg)
{
	struct actx *a = arg;

	if (up)
		a->ups++;
	else
		a->downs++;
}

static void a_reply(int status, bool done, const uint8_t *payload, size_t len, const char *error,
                    void *arg)
{
	struct actx *a = arg;

	if (!done) {
		a->parts++;
		return;
	}
	a->done++;
	a->status = status;
	snprintf(a->error, sizeof(a->error), "%s", error ? error : "");
}

static void a_held(int status, bool done, const uint8_t *payload, size_t len, const char *error,
                   void *arg)
{
	struct actx *a = arg;

	if (done) {
		a->held_done++;
		a->held_status = status;
	}
}

static void a_event(const char *topic, const uint8_t *payload, size_t len, void *arg)
{
	on_event(topic, payload, len, &((struct actx *)arg)->ev);
}

static void run_for(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Runs base until *counter reaches want or timeout_ms pass. */
static bool run_until(struct event_base *base, const int *counter, int want, int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	while (*counter < want && mono_ms() < end) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return *counter >= want;
}

static void test_aclient_reconnect(void **state)
{
	struct event_base *base = ev_base_new();
	struct tsrv *t = tsrv_start("async");
	struct actx a = {0};
	struct ctl_aclient *ac = ctl_aclient_open_path(base, t->path, a_state, &a);
	struct ctl_client *p;
	char path[256];
	uint64_t t0, ms;

	assert_non_null(ac);
	assert_false(ctl_aclient_up(ac));
	assert_int_equal(ctl_acall(ac, "daemon.info", NULL, a_reply, &a), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(ctl_asubscribe(ac, "rg.*", a_event, &a), 0);
	assert_int_equal(ctl_asubscribe(ac, "bad*topic", a_event, &a), -1);
	assert_true(run_until(base, &a.ups, 1, T_TIMEOUT));
	assert_true(ctl_aclient_up(ac));

	/* call with parts, and an error */
	assert_int_equal(ctl_acall(ac, "test.parts", NULL, a_reply, &a), 0);
	assert_true(run_until(base, &a.done, 1, T_TIMEOUT));
	assert_int_equal(a.status, 0);
	Keel__Ctl__Subscribe none = KEEL__CTL__SUBSCRIBE__INIT;

	assert_int_equal(ctl_acall(ac, "no.method", &none.base, a_reply, &a), 0);
	assert_true(run_until(base, &a.done, 2, T_TIMEOUT));
	assert_int_equal(a.status, CTL_ERR_NO_METHOD);
	assert_non_null(strstr(a.error, "no.method"));

	/* subscription made before the connection came up works */
	p = connect_ok(t);
	assert_int_equal(publish(p, "rg.state", 2, 5), 2);
	ctl_client_close(p);
	assert_true(run_until(base, &a.ev.n, 2, T_TIMEOUT));
	assert_string_equal(a.ev.topic, "rg.state");

	/* in flight when the daemon goes away: status -1 */
	assert_int_equal(ctl_acall(ac, "test.hold", NULL, a_held, &a), 0);
	run_for(base, 50); /* let it be sent */
	snprintf(path, sizeof(path), "%s", t->path);
	tsrv_stop(t);
	assert_true(run_until(base, &a.downs, 1, T_TIMEOUT));
	assert_int_equal(a.held_done, 1);
	assert_int_equal(a.held_status, -1);
	assert_false(ctl_aclient_up(ac));
	assert_int_equal(access(path, F_OK), -1); /* removed on close */

	/* down for a while: the backoff grows (100, 200, 400, 800 ms) */
	run_for(base, 1200);
	assert_int_equal(a.ups, 1);
	t = tsrv_start("async");
	t0 = mono_ms();
	assert_true(run_until(base, &a.ups, 2, T_TIMEOUT));
	ms = mono_ms() - t0;
	print_message("async client back up %llu ms after the daemon restarted\n",
	              (unsigned long long)ms);
	assert_true(ms < 5200); /* never more than the 5 s backoff cap */

	/* re-subscribed by itself */
	p = connect_ok(t);
	assert_int_equal(publish(p, "rg.state", 1, 5), 1);
	assert_int_equal(publish(p, "other", 1, 5), 0);
	ctl_client_close(p);
	assert_true(run_until(base, &a.ev.n, 3, T_TIMEOUT));

	/* a subscription added while up is sent at once */
	assert_int_equal(ctl_asubscribe(ac, "other", a_event, &a), 0);
	run_for(base, 50);
	p = connect_ok(t);
	assert_int_equal(publish(p, "other", 1, 5), 1);
	ctl_client_close(p);
	assert_true(run_until(base, &a.ev.n, 4, T_TIMEOUT));
	assert_string_equal(a.ev.topic, "other");

	/* close with a call in flight: its callback runs with -1 */
	assert_int_equal(ctl_acall(ac, "test.hold", NULL, a_held, &a), 0);
	ctl_aclient_close(ac);
	assert_int_equal(a.held_done, 2);
	assert_int_equal(a.held_status, -1);
	tsrv_stop(t);
	event_base_free(base);
}

/* ---------------------------------------------------------------- socket file */

static void test_socket_file(void **state)
{
	struct event_base *base = ev_base_new();
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_server *srv, *srv2;
	char path[256], file[256];
	struct stat st;
	int fd;

	/* ctl_server_open: $KEEL_ROOT/run/keel/<name>.ctl, mode 0660 */
	srv = ctl_server_open(base, "sockd", NULL, 0, NULL);
	assert_non_null(srv);
	snprintf(path, sizeof(path), "%s/run/keel/sockd.ctl", root_dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	if (getgrnam("keel"))
		assert_int_equal(st.st_gid, getgrnam("keel")->gr_gid);
	/* a live socket is not taken over */
	srv2 = ctl_server_open(base, "sockd", NULL, 0, NULL);
	assert_null(srv2);
	assert_int_equal(ctl_server_clients(srv), 0);
	assert_int_equal(ctl_server_requests(srv), 0);
	ctl_server_close(srv);
	assert_int_equal(access(path, F_OK), -1);

	/* a stale socket (its owner died without unlinking) is replaced */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(access(path, F_OK), 0);
	srv = ctl_server_open(base, "sockd", NULL, 0, NULL);
	assert_non_null(srv);
	ctl_server_close(srv);

	/* a regular file in the way is never deleted */
	snprintf(file, sizeof(file), "%s/notasocket.ctl", root_dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(ctl_server_open_path(base, file, NULL, 0, NULL));
	assert_int_equal(access(file, F_OK), 0);
	unlink(file);

	/* method tables are checked */
	static const struct ctl_method dup[] = {
	        {"a.b", m_silent, 0, ""},
	        {"a.b", m_silent, 0, ""},
	};
	static const struct ctl_method builtin[] = {{"methods", m_silent, 0, ""}};
	static const struct ctl_method badname[] = {{"A b", m_silent, 0, ""}};

	assert_null(ctl_server_open(base, "sockd", dup, 2, NULL));
	assert_null(ctl_server_open(base, "sockd", builtin, 1, NULL));
	assert_null(ctl_server_open(base, "sockd", badname, 1, NULL));
	assert_null(ctl_server_open(base, "../x", NULL, 0, NULL));
	event_base_free(base);
}

/* Runs the client part in a child with the given credentials: 0 when
 * read-only methods work and write methods are allowed iff may_write. */
static int peer_child(const char *path, uid_t uid, gid_t gid, const gid_t *groups, size_t n,
                      bool may_write)
{
	struct ctl_client *c;
	struct parts ps;
	char err[256];
	int rc = 0, want = may_write ? 0 : CTL_ERR_DENIED;

	if (setgroups(n, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return 64;
	c = ctl_client_connect_path(path);
	if (!c)
		return 65;
	if (call_text(c, "daemon.info", NULL, &ps, err, sizeof(err)) != 0)
		rc |= 1;
	if (call_text(c, "test.write", NULL, &ps, err, sizeof(err)) != want ||
	    (!may_write && !strstr(err, "test.write")))
		rc |= 2;
	if (call_text(c, "debug.set", NULL, &ps, err, sizeof(err)) != want ||
	    (!may_write && !strstr(err, "debug.set")))
		rc |= 4;
	if (call_text(c, "methods", NULL, &ps, err, sizeof(err)) != 0)
		rc |= 8;
	ctl_client_close(c);
	return rc;
}

static void run_peer(struct tsrv *t, uid_t uid, gid_t gid, const gid_t *groups, size_t n,
                     bool may_write)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(peer_child(t->path, uid, gid, groups, n, may_write));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* SO_PEERCRED policy: root, the daemon's uid and group "keel" (primary or
 * supplementary) may write; anybody else only read. Needs root to become
 * such peers. */
static void test_peer_permissions(void **state)
{
	const uid_t nobody = 65534;
	struct group *gr = getgrnam("keel");
	gid_t keel_gid = gr ? gr->gr_gid : 0, other = 65534;
	struct tsrv *t;

	if (geteuid() != 0)
		skip();
	if (gr) {
		for (char **m = gr->gr_mem; *m; m++)
			if (strcmp(*m, "nobody") == 0)
				skip(); /* uid 65534 would be a member anyway */
		if (keel_gid == other)
			skip();
	}
	t = tsrv_start("perm");
	/* let uid 65534 reach the socket (the test's own root dir is 0700) */
	assert_int_equal(chmod(root_dir, 0755), 0);
	assert_int_equal(chmod(t->path, 0666), 0);
	run_peer(t, nobody, other, NULL, 0, false);
	run_peer(t, nobody, other, &other, 1, false);
	if (gr) {
		gid_t both[2] = {other, keel_gid};

		/* supplementary, read from /proc/<pid>/status */
		run_peer(t, nobody, other, both, 2, true);
		/* primary */
		run_peer(t, nobody, keel_gid, NULL, 0, true);
	} else {
		print_message("no group keel: group membership not tested\n");
	}
	chmod(root_dir, 0700);
	tsrv_stop(t);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/keel-ctl-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	setenv("KEEL_ROOT", root_dir, 1);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_call_multipart),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_malformed_input),
	        cmocka_unit_test(test_debug_set),
	        cmocka_unit_test(test_methods_listing),
	        cmocka_unit_test(test_subscribe_publish),
	        cmocka_unit_test(test_topic_limit),
	        cmocka_unit_test(test_defer),
	        cmocka_unit_test(test_slow_reader_dropped),
	        cmocka_unit_test(test_concurrent_clients),
	        cmocka_unit_test(test_client_limit),
	        cmocka_unit_test(test_aclient_reconnect),
	        cmocka_unit_test(test_socket_file),
	        cmocka_unit_test(test_peer_permissions),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
