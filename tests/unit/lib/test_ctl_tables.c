/*
 * ctl_server_add_methods: several method tables per server (lib/cfg's
 * config.*, a daemon module's own such as ribd's bulk route API). The server
 * runs its event loop in a thread; the test calls it through the socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ctl.h"
#include "lib/ev.h"

#define T_TIMEOUT 5000

static char root_dir[128];

/* Each handler answers with its table's name, so a call shows which table
 * the lookup found. */
static void m_main(struct ctl_req *req, void *arg)
{
	(void)arg;
	ctl_reply_raw(req, (const uint8_t *)"main", 4);
}

static void m_a(struct ctl_req *req, void *arg)
{
	(void)arg;
	ctl_reply_raw(req, (const uint8_t *)"a", 1);
}

static void m_b(struct ctl_req *req, void *arg)
{
	(void)arg;
	ctl_reply_raw(req, (const uint8_t *)"b", 1);
}

static const struct ctl_method main_methods[] = {{"t.main", m_main, 0, "main table"}};
static const struct ctl_method table_a[] = {{"a.one", m_a, 0, "first added"},
                                            {"a.two", m_a, 0, "first added"}};
static const struct ctl_method table_b[] = {{"b.one", m_b, 0, "second added"}};
/* Names already taken: by the main table, by table a, by a built-in. */
static const struct ctl_method dup_main[] = {{"t.main", m_b, 0, "again"}};
static const struct ctl_method dup_a[] = {{"c.new", m_b, 0, "new"}, {"a.two", m_b, 0, "again"}};
static const struct ctl_method dup_builtin[] = {{"daemon.info", m_b, 0, "again"}};
static const struct ctl_method filler[] = {
        {"f.0", m_b, 0, "f"}, {"f.1", m_b, 0, "f"}, {"f.2", m_b, 0, "f"}, {"f.3", m_b, 0, "f"},
        {"f.4", m_b, 0, "f"}, {"f.5", m_b, 0, "f"}, {"f.6", m_b, 0, "f"}, {"f.7", m_b, 0, "f"}};

struct tsrv {
	pthread_t th;
	struct event_base *base;
	struct ctl_server *srv;
	int stop_pipe[2];
	struct event *ev_stop;
	char path[256];
	int rc_a, rc_b, rc_dup_main, rc_dup_a, rc_dup_builtin;
	int rc_fill[8];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int opened;
};

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tsrv *t = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(t->base);
}

static void *tsrv_main(void *arg)
{
	struct tsrv *t = arg;

	t->base = ev_base_new();
	t->srv = ctl_server_open_path(t->base, t->path, main_methods, 1, t);
	if (t->srv) {
		/* The tables are added before the loop runs, as lib/daemon.c does. */
		t->rc_a = ctl_server_add_methods(t->srv, table_a, 2);
		t->rc_b = ctl_server_add_methods(t->srv, table_b, 1);
		t->rc_dup_main = ctl_server_add_methods(t->srv, dup_main, 1);
		t->rc_dup_a = ctl_server_add_methods(t->srv, dup_a, 2);
		t->rc_dup_builtin = ctl_server_add_methods(t->srv, dup_builtin, 1);
		for (size_t i = 0; i < 8; i++)
			t->rc_fill[i] = ctl_server_add_methods(t->srv, &filler[i], 1);
	}
	t->ev_stop = event_new(t->base, t->stop_pipe[0], EV_READ, stop_cb, t);
	event_add(t->ev_stop, NULL);
	pthread_mutex_lock(&t->mu);
	t->opened = t->srv ? 1 : -1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (t->srv)
		event_base_dispatch(t->base);
	ctl_server_close(t->srv);
	event_free(t->ev_stop);
	event_base_free(t->base);
	return NULL;
}

static struct tsrv *tsrv_start(void)
{
	struct tsrv *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->path, sizeof(t->path), "%s/tables.ctl", root_dir);
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

static int keep_part(const uint8_t *p, size_t len, void *arg)
{
	snprintf(arg, 16, "%.*s", (int)len, (const char *)p);
	return 0;
}

/* The reply of method, "" when the call failed. */
static const char *call(struct ctl_client *c, const char *method, char *out)
{
	char err[256];

	out[0] = 0;
	if (ctl_call_raw(c, method, NULL, 0, keep_part, out, T_TIMEOUT, err, sizeof(err)) != 0)
		out[0] = 0;
	return out;
}

struct seen {
	int n;
	bool a_two, b_one, f_5, c_new;
};

static int method_part(const uint8_t *p, size_t len, void *arg)
{
	struct seen *s = arg;
	Keel__Ctl__MethodInfo *mi = keel__ctl__method_info__unpack(NULL, len, p);

	if (!mi)
		return 1;
	s->n++;
	s->a_two |= strcmp(mi->name, "a.two") == 0;
	s->b_one |= strcmp(mi->name, "b.one") == 0;
	s->f_5 |= strcmp(mi->name, "f.5") == 0;
	s->c_new |= strcmp(mi->name, "c.new") == 0;
	keel__ctl__method_info__free_unpacked(mi, NULL);
	return 0;
}

static void test_several_tables(void **state)
{
	struct tsrv *t = tsrv_start();
	struct ctl_client *c = ctl_client_connect_path(t->path);
	struct seen s = {0};
	char out[16], err[256];

	(void)state;
	assert_non_null(c);
	assert_int_equal(t->rc_a, 0);
	assert_int_equal(t->rc_b, 0);
	/* A name may be in one table only, built-ins included; a refused table
	 * adds none of its names. */
	assert_int_equal(t->rc_dup_main, -1);
	assert_int_equal(t->rc_dup_a, -1);
	assert_int_equal(t->rc_dup_builtin, -1);
	/* Eight added tables at most: a and b plus six fillers. */
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(t->rc_fill[i], 0);
	assert_int_equal(t->rc_fill[6], -1);
	assert_int_equal(t->rc_fill[7], -1);

	assert_string_equal(call(c, "t.main", out), "main");
	assert_string_equal(call(c, "a.one", out), "a");
	assert_string_equal(call(c, "a.two", out), "a");
	assert_string_equal(call(c, "b.one", out), "b");
	assert_string_equal(call(c, "f.5", out), "b");
	assert_string_equal(call(c, "f.6", out), "");
	assert_string_equal(call(c, "c.new", out), "");

	assert_int_equal(ctl_call(c, "methods", NULL, method_part, &s, T_TIMEOUT, err, sizeof(err)),
	                 0);
	assert_true(s.a_two && s.b_one && s.f_5);
	assert_false(s.c_new);
	ctl_client_close(c);
	tsrv_stop(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_several_tables),
	};
	char tmpl[] = "/tmp/keel-test-ctl-tables-XXXXXX";
	int rc;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	setenv("KEEL_ROOT", root_dir, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(root_dir);
	return rc;
}
