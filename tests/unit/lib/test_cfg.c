/*
 * lib/cfg: the daemon side of mgd's two-phase commit, in one process.
 *
 * A fake mgd (a ctl server named "mgd" under a temporary KEEL_ROOT) answers
 * config.get in two parts and publishes config.committed; a daemon "testd"
 * runs cfg_open() with callbacks that record what they were given. The test
 * plays mgd's commit side with an async client calling config.validate and
 * config.apply on testd, everything on one event loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cfg.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proto/mgd.pb-c.h"

static char root_dir[128];

/* ---------------------------------------------------------------- fake mgd */

struct fake_mgd {
	uint64_t gen;
	const char *json; /* answered to config.get, in two parts */
	int gets;
	char daemon[32];
};

static void fake_get(struct ctl_req *req, void *arg)
{
	struct fake_mgd *f = arg;
	Keel__Mgd__GetConfig *g =
	        keel__mgd__get_config__unpack(NULL, req->payload_len, req->payload);
	Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;
	size_t half = strlen(f->json) / 2;
	char *a = strndup(f->json, half);

	assert_non_null(g);
	snprintf(f->daemon, sizeof(f->daemon), "%s", g->daemon);
	keel__mgd__get_config__free_unpacked(g, NULL);
	f->gets++;
	dc.generation = f->gen;
	dc.json = a;
	ctl_reply(req, &dc.base);
	dc.json = (char *)f->json + half;
	ctl_reply(req, &dc.base);
	free(a);
}

static const struct ctl_method fake_methods[] = {
        {"config.get", fake_get, 0, "test"},
};

/* ---------------------------------------------------------------- testd */

struct rec {
	int validates, applies;
	char last_old[256], last_new[256];
};

static int t_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct rec *r = arg;
	struct json_object *ifs = cfg_get(cfg, "interfaces");

	r->validates++;
	if (ifs && cfg_get(ifs, "bad")) {
		snprintf(err, errlen, "interfaces bad: no such device");
		return -1;
	}
	return 0;
}

static int t_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                   size_t errlen)
{
	struct rec *r = arg;

	r->applies++;
	snprintf(r->last_old, sizeof(r->last_old), "%s",
	         json_object_to_json_string_ext(old, JSON_C_TO_STRING_PLAIN));
	snprintf(r->last_new, sizeof(r->last_new), "%s",
	         json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN));
	return 0;
}

static const struct cfg_ops t_ops = {.validate = t_validate, .apply = t_apply};

struct world {
	struct event_base *base;
	struct ctl_server *mgd;
	struct fake_mgd fake;
	struct daemon_desc desc;
	struct daemon d;
	struct rec rec;
	struct ctl_aclient *ac; /* "mgd" calling testd */
};

static void tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until *cond is true or 3 s passed. */
static bool run_until(struct world *w, bool (*cond)(struct world *, void *), void *arg)
{
	struct event *t = event_new(w->base, -1, EV_PERSIST, tick, NULL);
	struct timeval tv = {0, 10000};
	uint64_t end = mono_ms() + 3000;
	bool ok;

	event_add(t, &tv);
	while (!(ok = cond(w, arg)) && mono_ms() < end)
		event_base_loop(w->base, EVLOOP_ONCE);
	event_free(t);
	return ok;
}

static bool applied_n(struct world *w, void *arg)
{
	return w->rec.applies >= *(int *)arg;
}

static bool ac_up(struct world *w, void *arg)
{
	return ctl_aclient_up(w->ac);
}

struct call {
	bool done;
	int status;
	char error[CTL_MAX_ERROR + 1];
};

static void call_cb(int status, bool done, const uint8_t *payload, size_t len, const char *error,
                    void *arg)
{
	struct call *c = arg;

	if (!done)
		return;
	c->done = true;
	c->status = status;
	snprintf(c->error, sizeof(c->error), "%s", error ? error : "");
}

static bool call_done(struct world *w, void *arg)
{
	return ((struct call *)arg)->done;
}

static int call(struct world *w, const char *method, uint64_t gen, const char *json,
                const char *file, struct call *c)
{
	Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;

	memset(c, 0, sizeof(*c));
	dc.generation = gen;
	dc.json = (char *)json;
	if (file)
		dc.json_file = (char *)file;
	assert_int_equal(ctl_acall(w->ac, method, &dc.base, call_cb, c), 0);
	assert_true(run_until(w, call_done, c));
	return c->status;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	int one = 1;

	w->base = ev_base_new();
	w->fake.gen = 5;
	w->fake.json = "{\"keel-interfaces:interfaces\":{\"interface\":[{\"name\":\"eth0\"}]}}";
	w->mgd = ctl_server_open(w->base, "mgd", fake_methods, 1, &w->fake);
	assert_non_null(w->mgd);
	w->desc.name = "testd";
	w->desc.cfg = &t_ops;
	w->d.desc = &w->desc;
	w->d.base = w->base;
	w->d.ctl = ctl_server_open(w->base, "testd", NULL, 0, &w->d);
	assert_non_null(w->d.ctl);
	assert_int_equal(ctl_server_add_methods(w->d.ctl, cfg_ctl_methods, cfg_ctl_n_methods), 0);
	/* a second table is refused */
	assert_int_equal(ctl_server_add_methods(w->d.ctl, cfg_ctl_methods, cfg_ctl_n_methods), -1);
	w->d.cfg = cfg_open(&w->d, &t_ops, &w->rec);
	assert_non_null(w->d.cfg);
	/* the first config arrives from mgd by itself */
	assert_true(run_until(w, applied_n, &one));
	w->ac = ctl_aclient_open(w->base, "testd", NULL, NULL);
	assert_true(run_until(w, ac_up, NULL));
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	ctl_aclient_close(w->ac);
	cfg_close(w->d.cfg);
	ctl_server_close(w->d.ctl);
	ctl_server_close(w->mgd);
	event_base_free(w->base);
	free(w);
	return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_initial_fetch(void **state)
{
	struct world *w = *state;

	assert_int_equal(w->rec.applies, 1);
	assert_string_equal(w->fake.daemon, "testd");
	assert_string_equal(w->rec.last_old, "{}");
	/* the two parts were joined */
	assert_string_equal(w->rec.last_new, w->fake.json);
	assert_int_equal(cfg_generation(w->d.cfg), 5);
	assert_non_null(cfg_get(cfg_current(w->d.cfg), "interfaces"));
}

static void test_validate(void **state)
{
	struct world *w = *state;
	struct call c;

	assert_int_equal(
	        call(w, "config.validate", 6, "{\"keel-interfaces:interfaces\":{}}", NULL, &c), 0);
	assert_int_equal(w->rec.validates, 1);
	assert_int_equal(call(w, "config.validate", 6,
	                      "{\"keel-interfaces:interfaces\":{\"bad\":1}}", NULL, &c),
	                 CTL_ERR_INVALID);
	assert_non_null(strstr(c.error, "interfaces bad: no such device"));
	/* validate never applies */
	assert_int_equal(w->rec.applies, 1);
	assert_int_equal(cfg_generation(w->d.cfg), 5);
	/* not JSON, not an object */
	assert_int_equal(call(w, "config.validate", 6, "{\"a\":", NULL, &c), CTL_ERR_INVALID);
	assert_int_equal(call(w, "config.validate", 6, "[1]", NULL, &c), CTL_ERR_INVALID);
	assert_int_equal(w->rec.validates, 2);
}

static void test_apply_diff(void **state)
{
	struct world *w = *state;
	const char *j6 = "{\"keel-interfaces:interfaces\":{\"interface\":[{\"name\":\"eth1\"}]}}";
	struct call c;

	assert_int_equal(call(w, "config.apply", 6, j6, NULL, &c), 0);
	assert_int_equal(w->rec.applies, 2);
	assert_string_equal(w->rec.last_old, w->fake.json);
	assert_string_equal(w->rec.last_new, j6);
	assert_int_equal(cfg_generation(w->d.cfg), 6);
	/* the same subtree again: only the generation moves, nothing re-applied */
	assert_int_equal(call(w, "config.apply", 7, j6, NULL, &c), 0);
	assert_int_equal(w->rec.applies, 2);
	assert_int_equal(cfg_generation(w->d.cfg), 7);
	/* older than what we have */
	assert_int_equal(call(w, "config.apply", 3, "{}", NULL, &c), CTL_ERR_INVALID);
	assert_int_equal(w->rec.applies, 2);
}

static void test_json_file(void **state)
{
	struct world *w = *state;
	char path[4096];
	const char *j = "{\"keel-system:system\":{\"host-name\":\"big\"}}";
	FILE *f;
	struct call c;

	assert_int_equal(keel_path(path, sizeof(path), KEEL_DIR_RUN, "mgd-testd.json"), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(j, f);
	fclose(f);
	assert_int_equal(call(w, "config.apply", 8, "", path, &c), 0);
	assert_string_equal(w->rec.last_new, j);
	assert_string_equal(cfg_get_str(cfg_get(cfg_current(w->d.cfg), "system"), "host-name"),
	                    "big");
	/* a file outside the run directory is refused */
	assert_int_equal(call(w, "config.apply", 9, "", "/etc/passwd", &c), CTL_ERR_INVALID);
	assert_int_equal(call(w, "config.apply", 9, "", "/nonexistent", &c), CTL_ERR_INVALID);
	unlink(path);
}

static void test_malformed(void **state)
{
	struct world *w = *state;
	static const uint8_t junk[] = {0xff, 0xff, 0xff};
	struct call c = {0};
	const char *methods[] = {"config.validate", "config.apply"};

	for (size_t i = 0; i < 2; i++) {
		/* a payload that is not a DaemonConfig */
		memset(&c, 0, sizeof(c));
		struct ctl_client *cl = ctl_client_connect("testd");
		char err[CTL_MAX_ERROR + 1];
		int rc;

		assert_non_null(cl);
		/* the blocking client cannot run our loop: serve it from a child */
		pid_t pid = fork();

		if (pid == 0) {
			rc = ctl_call_raw(cl, methods[i], junk, sizeof(junk), NULL, NULL, 2000, err,
			                  sizeof(err));
			_exit(rc == CTL_ERR_INVALID ? 0 : 1);
		}
		uint64_t end = mono_ms() + 2000;
		int status = -1;

		while (mono_ms() < end && waitpid(pid, &status, WNOHANG) == 0)
			event_base_loop(w->base, EVLOOP_NONBLOCK);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		ctl_client_close(cl);
	}
	assert_int_equal(w->rec.applies, 1);
}

static bool gets_n(struct world *w, void *arg)
{
	return w->fake.gets >= *(int *)arg;
}

static void test_committed_event_and_reload(void **state)
{
	struct world *w = *state;
	Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;
	int two = 2, three = 3;

	w->fake.gen = 12;
	w->fake.json = "{\"keel-vlans:vlans\":{\"vlan\":[{\"name\":\"v10\",\"vlan-id\":10}]}}";
	dc.generation = 12;
	/* the subscription is made once the client is up; publish until heard */
	uint64_t end = mono_ms() + 3000;

	while (w->rec.applies < 2 && mono_ms() < end) {
		ctl_server_publish(w->mgd, "config.committed", &dc.base);
		run_until(w, applied_n, &two);
	}
	assert_int_equal(w->rec.applies, 2);
	assert_string_equal(w->rec.last_new, w->fake.json);
	assert_int_equal(cfg_generation(w->d.cfg), 12);
	/* SIGHUP: fetched again, same JSON: no apply */
	int before = w->fake.gets;

	three = before + 1;
	cfg_reload(w->d.cfg);
	assert_true(run_until(w, gets_n, &three));
	run_until(w, gets_n, &(int){three + 1}); /* never true: runs the loop a while */
	assert_int_equal(w->rec.applies, 2);
}

static void test_helpers(void **state)
{
	struct json_object *o = json_tokener_parse(
	        "{\"keel-system:system\":{\"host-name\":\"r1\",\"flag\":[null],\"p\":{},"
	        "\"no\":[1],\"n\":5}}");
	struct json_object *sys = cfg_get(o, "system");

	assert_non_null(sys);
	assert_ptr_equal(sys, cfg_get(o, "keel-system:system"));
	assert_null(cfg_get(o, "stem"));
	assert_string_equal(cfg_get_str(sys, "host-name"), "r1");
	assert_string_equal(cfg_get_str(sys, "n"), "5");
	assert_null(cfg_get_str(sys, "p"));
	assert_true(cfg_get_bool(sys, "flag"));
	assert_true(cfg_get_bool(sys, "p"));
	assert_false(cfg_get_bool(sys, "no"));
	assert_false(cfg_get_bool(sys, "missing"));
	assert_null(cfg_get(NULL, "x"));
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_initial_fetch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_apply_diff, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_json_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_committed_event_and_reload, setup, teardown),
	        cmocka_unit_test(test_helpers),
	};
	int rc;

	snprintf(root_dir, sizeof(root_dir), "/tmp/keel-test-cfg-XXXXXX");
	if (!mkdtemp(root_dir))
		return 1;
	setenv("KEEL_ROOT", root_dir, 1);
	log_init("test_cfg", true, false);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root_dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
