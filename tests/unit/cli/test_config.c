/*
 * Configuration mode without mgd: the edit path, the pipe acceptance rules,
 * word quoting, and the requests the CLI sends for each command, checked
 * against a fake mgd (a ctl server in a thread under a temporary KEEL_ROOT)
 * that records what arrives and answers as lib/proto/mgd.proto says.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/proto/mgd.pb-c.h"

static char root_dir[128];
static struct cli test_cli = {.user = "alice", .host = "r1", .timeout_ms = 2000};

/* ---------------------------------------------------------------- fake mgd */

static struct {
	char method[64];
	uint32_t session;
	char path[256];  /* words joined by ' ' */
	char line[512];  /* Edit.lines[0] */
	char words[256]; /* Complete.words */
	char partial[64];
	char verb[32];
	int ds, format, against, new_ds;
	uint32_t rollback, new_rollback;
	bool inheritance;
	Keel__Mgd__Commit commit; /* scalars only: its strings are copied below */
	char comment[128], client[32];
	int load_pieces, load_more, load_mode;
	size_t load_len;
	char load_path[128];
} seen;

static void join(char *buf, size_t len, char **w, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", w[i]);
}

static void note(const char *method, uint32_t session)
{
	snprintf(seen.method, sizeof(seen.method), "%s", method);
	seen.session = session;
}

static void f_open(struct ctl_req *req, void *arg)
{
	Keel__Mgd__OpenReply r = KEEL__MGD__OPEN_REPLY__INIT;
	char *w[] = {"User bob is editing the configuration (shared)",
	             "The configuration has been changed but not committed"};

	note(req->method, 0);
	r.session = 7;
	r.modified = true;
	r.warnings = w;
	r.n_warnings = 2;
	ctl_reply(req, &r.base);
}

static void f_edit(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Edit *e = keel__mgd__edit__unpack(NULL, req->payload_len, req->payload);
	Keel__Mgd__EditReply r = KEEL__MGD__EDIT_REPLY__INIT;
	Keel__Mgd__LineError le = KEEL__MGD__LINE_ERROR__INIT, *lep[1] = {&le};
	char *canon[CLI_MAX_WORDS], buf[sizeof(seen.line)], *tok, *save = NULL;
	size_t nc = 0;

	note(req->method, e->session);
	join(seen.path, sizeof(seen.path), e->path, e->n_path);
	snprintf(seen.line, sizeof(seen.line), "%s", e->n_lines ? e->lines[0] : "");
	if (strstr(seen.line, "bogus")) {
		le.line = 1;
		le.message = "syntax error, expecting <statement>";
		le.path = "bogus";
		r.errors = lep;
		r.n_errors = 1;
	} else if (strstr(seen.line, "nothing")) {
		le.line = 1;
		le.message = "warning: statement not found";
		r.errors = lep;
		r.n_errors = 1;
	} else if (strncmp(seen.line, "edit ", 5) == 0) {
		for (size_t i = 0; i < e->n_path; i++)
			canon[nc++] = e->path[i];
		snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(buf) - 6, seen.line + 5);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			canon[nc++] = strcmp(tok, "int") == 0 ? "interfaces" : tok;
		r.path = canon;
		r.n_path = nc;
	}
	r.applied = r.n_errors ? 0 : 1;
	ctl_reply(req, &r.base);
	keel__mgd__edit__free_unpacked(e, NULL);
}

static void reply_text(struct ctl_req *req, const char *text)
{
	Keel__Mgd__Text t = KEEL__MGD__TEXT__INIT;

	t.text = (char *)text;
	ctl_reply(req, &t.base);
}

static void f_show(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Show *s = keel__mgd__show__unpack(NULL, req->payload_len, req->payload);
	char out[512];

	note(req->method, s->session);
	join(seen.path, sizeof(seen.path), s->path, s->n_path);
	seen.ds = s->ds;
	seen.format = s->format;
	seen.inheritance = s->inheritance;
	seen.rollback = s->rollback;
	snprintf(out, sizeof(out), "system {\n    host-name r1;\n}\n");
	/* two parts: the CLI concatenates */
	reply_text(req, "## shown\n");
	reply_text(req, out);
	keel__mgd__show__free_unpacked(s, NULL);
}

static void f_compare(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Compare *c = keel__mgd__compare__unpack(NULL, req->payload_len, req->payload);

	note(req->method, c->session);
	join(seen.path, sizeof(seen.path), c->path, c->n_path);
	seen.against = c->against;
	seen.rollback = c->rollback;
	seen.new_ds = c->new_ds;
	seen.new_rollback = c->new_rollback;
	reply_text(req, "[edit system]\n-  host-name a;\n+  host-name r1;\n");
	keel__mgd__compare__free_unpacked(c, NULL);
}

static void f_commit(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Commit *c = keel__mgd__commit__unpack(NULL, req->payload_len, req->payload);
	Keel__Mgd__CommitReply r = KEEL__MGD__COMMIT_REPLY__INIT;
	Keel__Mgd__LineError le = KEEL__MGD__LINE_ERROR__INIT, *lep[1] = {&le};

	note(req->method, c->session);
	seen.commit = *c;
	snprintf(seen.comment, sizeof(seen.comment), "%s", c->comment);
	snprintf(seen.client, sizeof(seen.client), "%s", c->client);
	seen.commit.comment = seen.commit.client = NULL;
	if (strcmp(c->comment, "fail") == 0) {
		le.message = "ifd refused: mtu 99 is below the minimum 68";
		le.path = "interfaces eth0";
		r.errors = lep;
		r.n_errors = 1;
		r.message = "error: commit failed";
	} else {
		r.ok = true;
		r.message = c->check ? "configuration check succeeds" : "commit complete";
		r.confirm_minutes = c->confirmed_minutes;
	}
	ctl_reply(req, &r.base);
	keel__mgd__commit__free_unpacked(c, NULL);
}

static void f_complete(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Complete *c = keel__mgd__complete__unpack(NULL, req->payload_len, req->payload);
	static const char *const kw[] = {"interfaces", "system"};

	note(req->method, c->session);
	join(seen.path, sizeof(seen.path), c->path, c->n_path);
	join(seen.words, sizeof(seen.words), c->words, c->n_words);
	snprintf(seen.partial, sizeof(seen.partial), "%s", c->partial);
	snprintf(seen.verb, sizeof(seen.verb), "%s", c->verb);
	for (size_t i = 0; i < 2; i++) {
		Keel__Mgd__Choice ch = KEEL__MGD__CHOICE__INIT;

		if (strncmp(kw[i], c->partial, strlen(c->partial)) != 0)
			continue;
		ch.word = (char *)kw[i];
		ch.help = "a top-level statement";
		ch.container = true;
		ctl_reply(req, &ch.base);
	}
	if (c->n_words == 1) {
		Keel__Mgd__Choice ch = KEEL__MGD__CHOICE__INIT;
		char *existing[] = {"eth0"};

		ch.word = "<interface-name>";
		ch.help = "Interface name";
		ch.value = true;
		ch.existing = existing;
		ch.n_existing = 1;
		ctl_reply(req, &ch.base);
	}
	keel__mgd__complete__free_unpacked(c, NULL);
}

static void f_rollback(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Rollback *r = keel__mgd__rollback__unpack(NULL, req->payload_len, req->payload);
	Keel__Mgd__EditReply er = KEEL__MGD__EDIT_REPLY__INIT;

	note(req->method, r->session);
	seen.rollback = r->number;
	ctl_reply(req, &er.base);
	keel__mgd__rollback__free_unpacked(r, NULL);
}

static void f_load(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Load *l = keel__mgd__load__unpack(NULL, req->payload_len, req->payload);
	Keel__Mgd__EditReply er = KEEL__MGD__EDIT_REPLY__INIT;

	note(req->method, l->session);
	seen.load_pieces++;
	seen.load_more += l->more;
	seen.load_len += strlen(l->text);
	seen.load_mode = l->mode;
	join(seen.load_path, sizeof(seen.load_path), l->path, l->n_path);
	ctl_reply(req, &er.base);
	keel__mgd__load__free_unpacked(l, NULL);
}

static void f_status(struct ctl_req *req, void *arg)
{
	Keel__Mgd__Status st = KEEL__MGD__STATUS__INIT;
	char *ed[] = {"alice (shared)", "bob (private)"};

	note(req->method, 0);
	st.editors = ed;
	st.n_editors = 2;
	ctl_reply(req, &st.base);
}

static void f_history(struct ctl_req *req, void *arg)
{
	Keel__Mgd__CommitInfo ci = KEEL__MGD__COMMIT_INFO__INIT;

	note(req->method, 0);
	ci.index = 0;
	ci.time = 1795919400; /* 2026-11-29 02:30:00 UTC */
	ci.user = "alice";
	ci.client = "cli";
	ci.comment = "first one";
	ctl_reply(req, &ci.base);
	ci.index = 1;
	ci.comment = "";
	ci.user = "root";
	ctl_reply(req, &ci.base);
}

static const struct ctl_method fake_methods[] = {
        {"config.open", f_open, 0, ""},         {"config.edit", f_edit, 0, ""},
        {"config.show", f_show, 0, ""},         {"config.compare", f_compare, 0, ""},
        {"config.commit", f_commit, 0, ""},     {"config.complete", f_complete, 0, ""},
        {"config.rollback", f_rollback, 0, ""}, {"config.load", f_load, 0, ""},
        {"config.status", f_status, 0, ""},     {"config.history", f_history, 0, ""},
};

static struct {
	pthread_t th;
	struct event_base *base;
	int stop[2];
	int opened;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void fake_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(fake.base);
}

static void *fake_main(void *arg)
{
	char path[256];
	struct ctl_server *srv;
	struct event *ev;

	snprintf(path, sizeof(path), "%s/run/keel/mgd.ctl", root_dir);
	fake.base = ev_base_new();
	srv = ctl_server_open_path(fake.base, path, fake_methods,
	                           sizeof(fake_methods) / sizeof(fake_methods[0]), NULL);
	ev = event_new(fake.base, fake.stop[0], EV_READ, fake_stop_cb, NULL);
	event_add(ev, NULL);
	pthread_mutex_lock(&fake.mu);
	fake.opened = srv ? 1 : -1;
	pthread_cond_signal(&fake.cv);
	pthread_mutex_unlock(&fake.mu);
	if (srv)
		event_base_dispatch(fake.base);
	ctl_server_close(srv);
	event_free(ev);
	event_base_free(fake.base);
	return NULL;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/cli-config-XXXXXX", dir[200];

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	setenv("KEEL_ROOT", root_dir, 1);
	snprintf(dir, sizeof(dir), "%s/run", root_dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/keel", root_dir);
	mkdir(dir, 0755);
	if (pipe(fake.stop) < 0 || pthread_create(&fake.th, NULL, fake_main, NULL) != 0)
		return -1;
	pthread_mutex_lock(&fake.mu);
	while (!fake.opened)
		pthread_cond_wait(&fake.cv, &fake.mu);
	pthread_mutex_unlock(&fake.mu);
	return fake.opened == 1 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	cli_config_leave(&test_cli);
	if (write(fake.stop[1], "x", 1) != 1)
		return -1;
	pthread_join(fake.th, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- helpers */

/* Each test starts in operational mode, whatever the one before left. */
static int leave_mode(void **state)
{
	cli_config_leave(&test_cli);
	return 0;
}

static const char *run(const char *line, int *rc)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	memset(buf, 0, sizeof(buf));
	*rc = cli_exec_line(&test_cli, line, f);
	fclose(f);
	return buf;
}

static const char *banner(void)
{
	static char b[256];

	cli_config_banner(&test_cli, b, sizeof(b));
	return b;
}

/* ---------------------------------------------------------------- pure parts */

static void test_edit_path(void **state)
{
	struct cli_edit_path ep = {0};
	char *a[] = {"interfaces", "eth0"}, *b[] = {"unit", "0"}, *c[] = {"description", "a b"};
	char buf[128];

	cli_edit_path_banner(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "[edit]");
	assert_int_equal(cli_edit_path_push(&ep, a, 2), 0);
	assert_int_equal(cli_edit_path_push(&ep, b, 2), 0);
	cli_edit_path_banner(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "[edit interfaces eth0 unit 0]");
	/* exit returns to the level before the last edit, not one word up */
	assert_true(cli_edit_path_exit(&ep));
	cli_edit_path_banner(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "[edit interfaces eth0]");
	cli_edit_path_up(&ep, 1);
	cli_edit_path_banner(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "[edit interfaces]");
	/* the `edit` that entered eth0 is gone with the up: exit goes to top */
	assert_true(cli_edit_path_exit(&ep));
	assert_int_equal(ep.n, 0);
	assert_false(cli_edit_path_exit(&ep)); /* at the top: leave config mode */
	assert_int_equal(cli_edit_path_push(&ep, a, 2), 0);
	cli_edit_path_up(&ep, 10); /* up past the top stops there */
	assert_int_equal(ep.n, 0);
	assert_int_equal(cli_edit_path_push(&ep, c, 2), 0);
	cli_edit_path_banner(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "[edit description \"a b\"]");
	cli_edit_path_banner(&ep, buf, 12); /* truncated, still closed */
	assert_true(strlen(buf) < 12);
	assert_int_equal(buf[strlen(buf) - 1], ']');
	cli_edit_path_top(&ep);
	assert_int_equal(ep.n, 0);
	assert_int_equal(ep.depth, 0);
	char *many[CLI_MAX_WORDS + 1];
	for (int i = 0; i <= CLI_MAX_WORDS; i++)
		many[i] = "x";
	assert_int_equal(cli_edit_path_push(&ep, many, CLI_MAX_WORDS + 1), -1);
	assert_int_equal(ep.n, 0);
	cli_edit_path_clear(&ep);
}

static int parse_pipes(const char *text, unsigned allow, struct cli_pipeline *pl)
{
	static char buf[512];
	char *parts[CLI_MAX_PIPES + 1], err[CLI_ERR_LEN];
	int n;

	snprintf(buf, sizeof(buf), "cmd %s", text);
	n = cli_split_pipes(buf, parts, CLI_MAX_PIPES + 1);
	if (n < 0)
		return -1;
	return cli_pipeline_parse(parts + 1, n - 1, allow, pl, err, sizeof(err));
}

static void test_pipe_rules(void **state)
{
	struct cli_pipeline pl;
	const unsigned cfg = CLI_N_PIPE_CONFIG, cmp = CLI_N_PIPE_CONFIG | CLI_N_PIPE_COMPARE;

	/* operational commands: display json and the text filters only */
	assert_int_equal(parse_pipes("| display json | match x", 0, &pl), 0);
	assert_int_equal(pl.disp.fmt, CLI_FMT_JSON);
	assert_int_equal(pl.n, 1);
	cli_pipeline_free(&pl);
	assert_int_equal(parse_pipes("| display set", 0, &pl), -1);
	assert_int_equal(parse_pipes("| display inheritance", 0, &pl), -1);
	assert_int_equal(parse_pipes("| compare", 0, &pl), -1);
	/* configuration shows */
	assert_int_equal(parse_pipes("| display set | except y | count", cfg, &pl), 0);
	assert_int_equal(pl.disp.fmt, CLI_FMT_SET);
	assert_int_equal(pl.n, 2);
	cli_pipeline_free(&pl);
	assert_int_equal(parse_pipes("| disp inh | display j", cfg, &pl), 0);
	assert_true(pl.disp.inheritance);
	assert_int_equal(pl.disp.fmt, CLI_FMT_JSON);
	assert_int_equal(parse_pipes("| compare", cfg, &pl), -1); /* show configuration */
	/* the candidate's show */
	assert_int_equal(parse_pipes("| compare", cmp, &pl), 0);
	assert_true(pl.disp.compare);
	assert_false(pl.disp.compare_rollback);
	assert_int_equal(parse_pipes("| compare rollback 3 | match host", cmp, &pl), 0);
	assert_true(pl.disp.compare_rollback);
	assert_int_equal(pl.disp.rollback, 3);
	cli_pipeline_free(&pl);
	assert_int_equal(parse_pipes("| compare rollback 50", cmp, &pl), -1);
	assert_int_equal(parse_pipes("| compare rollback x", cmp, &pl), -1);
	assert_int_equal(parse_pipes("| compare rollback", cmp, &pl), -1);
	assert_int_equal(parse_pipes("| compare | display set", cmp, &pl), -1);
	assert_int_equal(parse_pipes("| display", cmp, &pl), -1);
	assert_int_equal(parse_pipes("| match a | match '('", cmp, &pl), -1); /* frees the first */
	assert_int_equal(parse_pipes("|", 0, &pl), -1);

	/* through the engine: the same rules per command */
	int rc, before = test_cli.errors;

	run("show version | display set", &rc);
	assert_int_not_equal(rc, 0);
	run("show version | compare", &rc);
	assert_int_not_equal(rc, 0);
	assert_int_equal(test_cli.errors, before + 2);
}

static void test_quote_word(void **state)
{
	char buf[64] = "set x ";
	size_t off = strlen(buf);

	assert_int_equal(cli_quote_word(buf, sizeof(buf), &off, "a \"b\"\\c"), 0);
	assert_string_equal(buf, "set x \"a \\\"b\\\"\\\\c\"");
	off = 0;
	assert_int_equal(cli_quote_word(buf, sizeof(buf), &off, "plain/24"), 0);
	assert_string_equal(buf, "plain/24");
	off = 0;
	assert_int_equal(cli_quote_word(buf, sizeof(buf), &off, ""), 0);
	assert_string_equal(buf, "\"\"");
	off = 0;
	assert_int_equal(cli_quote_word(buf, 4, &off, "toolong"), -1);
}

/* ---------------------------------------------------------------- with fake mgd */

static void test_session(void **state)
{
	int rc, errors;
	const char *out;

	out = run("configure", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(test_cli.cfg);
	assert_string_equal(seen.method, "config.open");
	assert_non_null(strstr(out, "Entering configuration mode\n"));
	assert_non_null(strstr(out, "User bob is editing"));
	/* said once, though mgd's warnings carry it and modified is set */
	const char *m = strstr(out, "The configuration has been changed but not committed");
	assert_non_null(m);
	assert_null(strstr(m + 1, "The configuration has been changed"));
	assert_string_equal(banner(), "[edit]");

	run("set system host-name r1", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.edit");
	assert_int_equal(seen.session, 7);
	assert_string_equal(seen.line, "set system host-name r1");
	assert_string_equal(seen.path, "");

	run("se interfaces eth0 description \"uplink to r2\"", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.line, "set interfaces eth0 description \"uplink to r2\"");

	run("edit int eth0", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.line, "edit int eth0");
	assert_string_equal(banner(), "[edit interfaces eth0]"); /* mgd's spelling */
	run("deactivate unit 0", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.line, "deactivate unit 0");
	assert_string_equal(seen.path, "interfaces eth0");

	out = run("show unit 0 | display set", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.show");
	assert_string_equal(seen.path, "interfaces eth0 unit 0");
	assert_int_equal(seen.ds, KEEL__MGD__DATASTORE__DS_CANDIDATE);
	assert_int_equal(seen.format, KEEL__MGD__FORMAT__FORMAT_SET);
	assert_string_equal(out, "## shown\nsystem {\n    host-name r1;\n}\n"); /* parts joined */
	out = run("show | display inheritance | match host", &rc);
	assert_int_equal(rc, 0);
	assert_true(seen.inheritance);
	assert_int_equal(seen.format, KEEL__MGD__FORMAT__FORMAT_TEXT);
	assert_string_equal(out, "    host-name r1;\n");
	run("show | display json", &rc);
	assert_int_equal(seen.format, KEEL__MGD__FORMAT__FORMAT_JSON);

	out = run("show | compare rollback 2", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.compare");
	assert_int_equal(seen.against, KEEL__MGD__DATASTORE__DS_ROLLBACK);
	assert_int_equal(seen.rollback, 2);
	assert_string_equal(seen.path, "interfaces eth0");
	assert_non_null(strstr(out, "+  host-name r1;"));
	run("show | compare", &rc);
	assert_int_equal(seen.against, KEEL__MGD__DATASTORE__DS_RUNNING);

	run("up", &rc);
	assert_string_equal(banner(), "[edit interfaces]");
	run("edit eth1", &rc);
	assert_string_equal(banner(), "[edit interfaces eth1]");
	run("top", &rc);
	assert_string_equal(banner(), "[edit]");
	run("edit interfaces eth1 unit 0", &rc);
	assert_int_equal(rc, 0);
	run("exit", &rc); /* back to where the edit started, still configuring */
	assert_int_equal(rc, 0);
	assert_string_equal(banner(), "[edit]");
	assert_non_null(test_cli.cfg);

	/* mgd's errors: a rejected statement fails the command, a warning does not */
	errors = test_cli.errors;
	run("set bogus", &rc);
	assert_int_not_equal(rc, 0);
	assert_int_equal(test_cli.errors, errors + 1);
	run("delete nothing", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(test_cli.errors, errors + 1);
	run("set", &rc);
	assert_int_not_equal(rc, 0);
	run("edit bogus", &rc);
	assert_int_not_equal(rc, 0);
	assert_string_equal(banner(), "[edit]");
	errors = test_cli.errors;

	/* commit and its options */
	out = run("commit", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "commit complete\n");
	assert_string_equal(seen.client, "cli");
	run("commit confirmed", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(seen.commit.confirmed_minutes, 10); /* Junos default */
	run("commit confirmed 3 comment \"x y\"", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(seen.commit.confirmed_minutes, 3);
	assert_string_equal(seen.comment, "x y");
	run("commit comment z confirmed", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(seen.commit.confirmed_minutes, 10);
	assert_string_equal(seen.comment, "z");
	out = run("commit check", &rc);
	assert_int_equal(rc, 0);
	assert_true(seen.commit.check);
	assert_string_equal(out, "configuration check succeeds\n");
	assert_int_equal(test_cli.errors, errors);
	run("commit confirmed 0", &rc);
	assert_int_not_equal(rc, 0);
	run("commit check confirmed", &rc);
	assert_int_not_equal(rc, 0);
	run("commit comment", &rc);
	assert_int_not_equal(rc, 0);
	errors = test_cli.errors;
	run("commit comment fail", &rc);
	assert_int_not_equal(rc, 0);
	assert_int_equal(test_cli.errors, errors + 2); /* the reason and the summary */

	out = run("rollback 4", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.rollback");
	assert_int_equal(seen.rollback, 4);
	assert_string_equal(out, "load complete\n");
	run("rollback", &rc);
	assert_int_equal(seen.rollback, 0);
	run("rollback 50", &rc);
	assert_int_not_equal(rc, 0);

	out = run("status", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(
	        strstr(out, "Users currently editing the configuration:\n  alice (shared)\n"));

	/* run: an operational command, pipes and all */
	out = run("run show version | match Host", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "Hostname: r1\n");
	out = run("run show system commit", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "by alice via cli\n    first one\n1   "));

	out = run("exit configuration-mode", &rc);
	assert_int_equal(rc, 0);
	assert_null(test_cli.cfg);
	assert_non_null(strstr(out, "Exiting configuration mode"));
	run("set system host-name r2", &rc); /* operational mode again */
	assert_int_not_equal(rc, 0);
}

static void test_load_save(void **state)
{
	char file[256], save[256];
	const char *out;
	FILE *f;
	int rc;

	snprintf(file, sizeof(file), "%s/big.set", root_dir);
	f = fopen(file, "w");
	assert_non_null(f);
	for (int i = 0; i < 4000; i++) /* ~150 KB: several Load pieces */
		fprintf(f, "set interfaces eth%d description \"port number %d\"\n", i, i);
	fclose(f);
	run("configure private", &rc);
	assert_int_equal(rc, 0);
	run("edit interfaces", &rc);
	memset(&seen, 0, sizeof(seen));
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "load set %s", file);
	out = run(cmd, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "load complete\n");
	assert_true(seen.load_pieces >= 3);
	assert_int_equal(seen.load_more, seen.load_pieces - 1);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(seen.load_len, (size_t)st.st_size);
	assert_int_equal(seen.load_mode, KEEL__MGD__LOAD_MODE__LOAD_SET);
	assert_string_equal(seen.load_path, "interfaces");
	run("load merge /nonexistent/file", &rc);
	assert_int_not_equal(rc, 0);

	snprintf(save, sizeof(save), "%s/saved.conf", root_dir);
	snprintf(cmd, sizeof(cmd), "save %s", save);
	out = run(cmd, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "Wrote 4 lines of configuration to"));
	assert_string_equal(seen.path, "interfaces");
	f = fopen(save, "r");
	assert_non_null(f);
	char line[64];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "## shown\n");
	fclose(f);
	run("commit and-quit", &rc);
	assert_int_equal(rc, 0);
	assert_true(seen.commit.and_quit);
	assert_null(test_cli.cfg);
}

static void test_completion(void **state)
{
	struct cli_choices ch;
	const char *partial;
	int rc;
	char buf[4096] = "";
	FILE *f;

	/* operational mode: show configuration asks mgd without a session */
	assert_int_equal(cli_line_complete(&test_cli, "show configuration sy", &ch, &partial), 1);
	assert_string_equal(ch.v[0].word, "system");
	assert_string_equal(seen.verb, "show");
	assert_int_equal(seen.session, 0);
	cli_choices_free(&ch);

	run("configure", &rc);
	assert_int_equal(rc, 0);
	/* the mode's own commands */
	assert_int_equal(cli_line_complete(&test_cli, "s", &ch, &partial), 4);
	cli_choices_free(&ch);
	assert_int_equal(cli_line_complete(&test_cli, "co", &ch, &partial), 1);
	assert_string_equal(ch.v[0].word, "commit");
	cli_choices_free(&ch);
	assert_int_equal(cli_line_complete(&test_cli, "commit c", &ch, &partial), 3);
	cli_choices_free(&ch);
	assert_int_equal(cli_line_complete(&test_cli, "commit check c", &ch, &partial), 2);
	cli_choices_free(&ch); /* check is not offered twice */

	/* statements: mgd's answer, with the verb, the edit level and the words */
	run("edit interfaces", &rc);
	assert_int_equal(cli_line_complete(&test_cli, "set sys", &ch, &partial), 1);
	assert_string_equal(ch.v[0].word, "system");
	assert_string_equal(seen.verb, "set");
	assert_string_equal(seen.partial, "sys");
	assert_string_equal(seen.path, "interfaces");
	assert_int_equal(seen.session, 7);
	cli_choices_free(&ch);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(cli_line_choices(&test_cli, "delete eth0 ", &ch, &partial), 0);
	assert_string_equal(seen.verb, "delete");
	assert_string_equal(seen.words, "eth0");
	bool placeholder = false, existing = false;
	for (int i = 0; i < ch.n; i++) {
		placeholder |= ch.v[i].value && strcmp(ch.v[i].word, "<interface-name>") == 0;
		existing |= !ch.v[i].value && strcmp(ch.v[i].word, "eth0") == 0;
	}
	assert_true(placeholder);
	assert_true(existing);
	cli_choices_free(&ch);

	/* ? help: mgd's help text, placeholders, and the pipe where it fits */
	f = fmemopen(buf, sizeof(buf), "w");
	cli_line_help(&test_cli, "show ", f);
	cli_line_help(&test_cli, "show | ", f);
	fclose(f);
	assert_non_null(strstr(buf, "Possible completions:"));
	assert_non_null(strstr(buf, "a top-level statement"));
	assert_non_null(strstr(buf, "  |  "));
	assert_non_null(strstr(buf, "compare"));
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");
	cli_line_help(&test_cli, "run show configuration | ", f);
	cli_line_help(&test_cli, "run show version | display ", f);
	fclose(f);
	assert_null(strstr(buf, "inheritance"));
	assert_non_null(strstr(buf, "json"));
	assert_non_null(strstr(buf, "compare")); /* | compare rollback N */
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");
	cli_line_help(&test_cli, "run show version | ", f);
	fclose(f);
	assert_null(strstr(buf, "compare")); /* only configuration shows compare */
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");
	cli_line_help(&test_cli, "commit confirmed ", f);
	fclose(f);
	assert_non_null(strstr(buf, "<minutes>"));
	assert_non_null(strstr(buf, "and-quit"));
	assert_null(strstr(buf, "  confirmed"));
	run("quit", &rc);
	assert_null(test_cli.cfg);
}

/* Operational mode compares committed configs: no session, the new side named. */
static void test_op_compare(void **state)
{
	const char *out;
	int rc, before = test_cli.errors;

	out = run("show configuration interfaces eth0 | compare rollback 3", &rc);
	assert_int_equal(rc, 0);
	assert_null(test_cli.cfg);
	assert_string_equal(seen.method, "config.compare");
	assert_int_equal(seen.session, 0);
	assert_int_equal(seen.against, KEEL__MGD__DATASTORE__DS_ROLLBACK);
	assert_int_equal(seen.rollback, 3);
	assert_int_equal(seen.new_ds, KEEL__MGD__DATASTORE__DS_RUNNING);
	assert_string_equal(seen.path, "interfaces eth0");
	assert_non_null(strstr(out, "+  host-name r1;"));
	/* no candidate in operational mode: the rollback must be named */
	memset(&seen, 0, sizeof(seen));
	run("show configuration | compare", &rc);
	assert_int_not_equal(rc, 0);
	assert_string_equal(seen.method, "");

	/* show system rollback N compare M: M is the base, N the result */
	out = run("show system rollback 1 compare 4", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.compare");
	assert_int_equal(seen.against, KEEL__MGD__DATASTORE__DS_ROLLBACK);
	assert_int_equal(seen.rollback, 4);
	assert_int_equal(seen.new_ds, KEEL__MGD__DATASTORE__DS_ROLLBACK);
	assert_int_equal(seen.new_rollback, 1);
	assert_string_equal(seen.path, "");
	assert_non_null(strstr(out, "[edit system]"));
	run("show system rollback 1 compare 50", &rc);
	assert_int_not_equal(rc, 0);
	run("show system rollback 1 compare 4 | display set", &rc);
	assert_int_not_equal(rc, 0);
	/* plain show system rollback N is still a show */
	run("show system rollback 2", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(seen.method, "config.show");
	assert_int_equal(seen.ds, KEEL__MGD__DATASTORE__DS_ROLLBACK);
	assert_int_equal(seen.rollback, 2);
	assert_int_equal(test_cli.errors, before + 3);
}

static void test_no_mgd(void **state)
{
	int rc, before = test_cli.errors;

	setenv("KEEL_ROOT", "/nonexistent-keel-root", 1);
	run("configure", &rc);
	assert_int_not_equal(rc, 0);
	assert_null(test_cli.cfg);
	run("show configuration", &rc);
	assert_int_not_equal(rc, 0);
	assert_int_equal(test_cli.errors, before + 2);
	setenv("KEEL_ROOT", root_dir, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_edit_path, leave_mode),
	        cmocka_unit_test_setup(test_pipe_rules, leave_mode),
	        cmocka_unit_test_setup(test_quote_word, leave_mode),
	        cmocka_unit_test_setup(test_session, leave_mode),
	        cmocka_unit_test_setup(test_load_save, leave_mode),
	        cmocka_unit_test_setup(test_completion, leave_mode),
	        cmocka_unit_test_setup(test_op_compare, leave_mode),
	        cmocka_unit_test_setup(test_no_mgd, leave_mode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
