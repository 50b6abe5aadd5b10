/*
 * Operational commands about the configuration, all answered by mgd over its
 * ctl socket (lib/proto/mgd.proto):
 *   configure [private|exclusive]          config.open, then configuration mode
 *   show configuration [PATH] [| display set|json|inheritance]   config.show
 *   show configuration [PATH] | compare rollback N   config.compare (N -> running)
 *   show system commit                     config.history
 *   show system rollback N                 config.show DS_ROLLBACK
 *   show system rollback N compare M       config.compare (M -> N)
 * and the mgd call helpers configuration mode shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/mgd.pb-c.h"

struct ctl_client *cli_mgd_connect(char *err, size_t errlen)
{
	struct ctl_client *c = ctl_client_connect("mgd");

	if (!c)
		snprintf(err, errlen, "mgd is not running (no answer on its control socket)");
	return c;
}

int cli_mgd_call(struct cli *cli, struct ctl_client *c, const char *method,
                 const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                 void *arg, int timeout_ms, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	rc = ctl_call(c, method, req, part, arg, timeout_ms > 0 ? timeout_ms : cli->timeout_ms, err,
	              errlen);
	if (rc < 0)
		snprintf(err, errlen, "mgd did not answer %s (%s)", method,
		         errno == ETIMEDOUT ? "timeout" : strerror(errno));
	else if (rc > 0 && !err[0])
		snprintf(err, errlen, "%s failed (%s)", method, ctl_err_name(rc));
	return rc;
}

struct cli_textbuf {
	char *s;
	size_t len;
};

static int cli_text_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_textbuf *b = arg;
	Keel__Mgd__Text *t = keel__mgd__text__unpack(NULL, len, payload);
	size_t l;
	char *s;

	if (!t)
		return -1;
	l = strlen(t->text);
	s = realloc(b->s, b->len + l + 1);
	if (s) {
		memcpy(s + b->len, t->text, l + 1);
		b->s = s;
		b->len += l;
	}
	keel__mgd__text__free_unpacked(t, NULL);
	return s ? 0 : -1;
}

int cli_mgd_text(struct cli *cli, struct ctl_client *c, const char *method,
                 const ProtobufCMessage *req, int timeout_ms, char **text, char *err, size_t errlen)
{
	struct cli_textbuf b = {.s = calloc(1, 1)};

	if (!b.s || cli_mgd_call(cli, c, method, req, cli_text_part, &b, timeout_ms, err, errlen)) {
		free(b.s);
		*text = NULL;
		return -1;
	}
	*text = b.s;
	return 0;
}

static int cli_choice_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_choices *out = arg;
	Keel__Mgd__Choice *c = keel__mgd__choice__unpack(NULL, len, payload);

	if (!c)
		return -1;
	if (c->word && *c->word) {
		cli_choices_add(out, c->word, c->help, c->value);
		/* List keys already configured are offered as words (Junos shows them
		 * under the placeholder). */
		for (size_t i = 0; i < c->n_existing; i++)
			cli_choices_add(out, c->existing[i], "", false);
	}
	keel__mgd__choice__free_unpacked(c, NULL);
	return 0;
}

int cli_mgd_complete(struct cli *cli, struct ctl_client *c, uint32_t session, const char *verb,
                     char *const *path, int n_path, char *const *words, int n_words,
                     const char *partial, struct cli_choices *out, char *err, size_t errlen)
{
	Keel__Mgd__Complete req = KEEL__MGD__COMPLETE__INIT;

	req.session = session;
	req.verb = (char *)verb;
	req.path = (char **)path;
	req.n_path = (size_t)n_path;
	req.words = (char **)words;
	req.n_words = (size_t)n_words;
	req.partial = (char *)partial;
	return cli_mgd_call(cli, c, "config.complete", &req.base, cli_choice_part, out, 0, err,
	                    errlen);
}

int cli_mgd_format(const struct cli_display *disp)
{
	switch (disp->fmt) {
	case CLI_FMT_SET:
		return KEEL__MGD__FORMAT__FORMAT_SET;
	case CLI_FMT_JSON:
		return KEEL__MGD__FORMAT__FORMAT_JSON;
	case CLI_FMT_TEXT:
		break;
	}
	return KEEL__MGD__FORMAT__FORMAT_TEXT;
}

/* Words a CLI_N_REST node collected (the config path after the command). */
static int cli_rest_words(const struct cli_argv *av, char **words)
{
	int n = 0;

	for (int i = 0; i < av->n; i++)
		if (av->node[i]->flags & CLI_N_REST)
			words[n++] = (char *)av->word[i];
	return n;
}

static int cli_show_ds(struct cli *cli, int ds, unsigned rollback, char **path, int n_path,
                       const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Show req = KEEL__MGD__SHOW__INIT;
	struct ctl_client *c = cli_mgd_connect(err, errlen);
	char *text;
	int rc;

	if (!c)
		return -1;
	req.ds = ds;
	req.rollback = rollback;
	req.path = path;
	req.n_path = (size_t)n_path;
	req.format = cli_mgd_format(disp);
	req.inheritance = disp->inheritance;
	rc = cli_mgd_text(cli, c, "config.show", &req.base, 0, &text, err, errlen);
	ctl_client_close(c);
	if (rc < 0)
		return -1;
	fputs(text, out);
	free(text);
	return 0;
}

/* Operational-mode diff of two committed configs: old = rollback `old_n`,
 * new = running (new_ds DS_RUNNING) or rollback `new_n`. No session: mgd
 * diffs its files, the candidate is not involved. */
static int cli_compare_ds(struct cli *cli, unsigned old_n, int new_ds, unsigned new_n, char **path,
                          int n_path, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Compare req = KEEL__MGD__COMPARE__INIT;
	struct ctl_client *c = cli_mgd_connect(err, errlen);
	char *text;
	int rc;

	if (!c)
		return -1;
	req.against = KEEL__MGD__DATASTORE__DS_ROLLBACK;
	req.rollback = old_n;
	req.new_ds = new_ds;
	req.new_rollback = new_n;
	req.path = path;
	req.n_path = (size_t)n_path;
	rc = cli_mgd_text(cli, c, "config.compare", &req.base, 0, &text, err, errlen);
	ctl_client_close(c);
	if (rc < 0)
		return -1;
	fputs(text, out);
	free(text);
	return 0;
}

int cli_op_show_configuration(struct cli *cli, const struct cli_argv *av,
                              const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	char *words[CLI_MAX_WORDS];
	int n = cli_rest_words(av, words);

	if (disp->compare) {
		/* Junos: in operational mode there is no candidate to compare, so
		 * `| compare` needs the rollback the running config is compared to. */
		if (!disp->compare_rollback) {
			snprintf(err, errlen, "'| compare' needs 'rollback <number>' here");
			return -1;
		}
		return cli_compare_ds(cli, disp->rollback, KEEL__MGD__DATASTORE__DS_RUNNING, 0,
		                      words, n, out, err, errlen);
	}
	return cli_show_ds(cli, KEEL__MGD__DATASTORE__DS_RUNNING, 0, words, n, disp, out, err,
	                   errlen);
}

static int cli_rollback_number(const char *num, unsigned *n, char *err, size_t errlen)
{
	char *end;
	unsigned long v = num ? strtoul(num, &end, 10) : 0;

	if (!num || !*num || *end || v > 49) {
		snprintf(err, errlen, "invalid rollback number '%s': range 0..49", num ? num : "");
		return -1;
	}
	*n = (unsigned)v;
	return 0;
}

int cli_op_show_rollback(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                         FILE *out, char *err, size_t errlen)
{
	unsigned n, m;

	if (cli_rollback_number(cli_argv_value(av, "<number>"), &n, err, errlen))
		return -1;
	if (cli_argv_has(av, "compare")) {
		/* `show system rollback N compare M`: M is the base, N the result
		 * (Junos XML <get-rollback-information> <rollback>N <compare>M). */
		if (cli_rollback_number(cli_argv_value(av, "<base-number>"), &m, err, errlen))
			return -1;
		if (disp->fmt != CLI_FMT_TEXT || disp->inheritance) {
			snprintf(err, errlen, "a comparison has no '| display' form");
			return -1;
		}
		return cli_compare_ds(cli, m, KEEL__MGD__DATASTORE__DS_ROLLBACK, n, NULL, 0, out,
		                      err, errlen);
	}
	return cli_show_ds(cli, KEEL__MGD__DATASTORE__DS_ROLLBACK, n, NULL, 0, disp, out, err,
	                   errlen);
}

static int cli_commit_part(const uint8_t *payload, size_t len, void *arg)
{
	Keel__Mgd__CommitInfo *ci = keel__mgd__commit_info__unpack(NULL, len, payload);

	if (!ci)
		return -1;
	json_object_array_add(arg, pbjson_from_msg(&ci->base));
	keel__mgd__commit_info__free_unpacked(ci, NULL);
	return 0;
}

struct json_object *cli_fetch_commits(struct cli *cli, const struct cli_argv *av, char *err,
                                      size_t errlen)
{
	struct ctl_client *c = cli_mgd_connect(err, errlen);
	struct json_object *arr, *o;

	if (!c)
		return NULL;
	arr = json_object_new_array();
	if (cli_mgd_call(cli, c, "config.history", NULL, cli_commit_part, arr, 0, err, errlen)) {
		ctl_client_close(c);
		json_object_put(arr);
		return NULL;
	}
	ctl_client_close(c);
	o = json_object_new_object();
	json_object_object_add(o, "commit-history", arr);
	return o;
}

/* Junos: "0   2026-11-23 02:30:00 UTC by root via cli" then the comment
 * indented on the next line. */
void cli_render_commits(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                        FILE *out)
{
	struct json_object *arr = cli_jget(data, "commit-history");

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *ci = json_object_array_get_idx(arr, i);
		struct json_object *vt = cli_jget(ci, "time"), *vi = cli_jget(ci, "index");
		struct json_object *vc = cli_jget(ci, "confirmed");
		time_t t = vt ? (time_t)json_object_get_int64(vt) : 0;
		char when[64] = "";
		struct tm tm;
		const char *client = cli_js(ci, "client"), *comment = cli_js(ci, "comment");

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
		fprintf(out, "%-3lld %s by %s via %s%s\n",
		        vi ? (long long)json_object_get_int64(vi) : 0LL, when, cli_js(ci, "user"),
		        *client ? client : "cli",
		        vc && json_object_get_boolean(vc) ? " commit confirmed" : "");
		if (*comment)
			fprintf(out, "    %s\n", comment);
	}
}

int cli_op_configure(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                     FILE *out, char *err, size_t errlen)
{
	bool priv = cli_argv_has(av, "private"), excl = cli_argv_has(av, "exclusive");

	if (priv && excl) {
		snprintf(err, errlen, "'private' and 'exclusive' cannot be combined");
		return -1;
	}
	return cli_config_enter(cli,
	                        priv   ? CLI_CFG_PRIVATE
	                        : excl ? CLI_CFG_EXCLUSIVE
	                               : CLI_CFG_SHARED,
	                        out, err, errlen);
}

const struct cli_node cli_config_path[] = {
        {.arg = "<statement>", .help = "Configuration statements", .flags = CLI_N_REST},
        {0},
};

static const struct cli_node cli_show_rollback_base[] = {
        {.arg = "<base-number>",
         .help = "Rollback number the other is compared with (0..49)",
         .text = cli_op_show_rollback},
        {0},
};

static const struct cli_node cli_show_rollback_opts[] = {
        {.name = "compare",
         .help = "Compare with another rollback configuration",
         .children = cli_show_rollback_base},
        {0},
};

const struct cli_node cli_show_rollback[] = {
        {.arg = "<number>",
         .help = "Rollback number (0..49)",
         .flags = CLI_N_PIPE_CONFIG,
         .text = cli_op_show_rollback,
         .children = cli_show_rollback_opts},
        {0},
};

const struct cli_node cli_configure[] = {
        {.name = "exclusive",
         .help = "Obtain exclusive lock (other users cannot commit)",
         .flags = CLI_N_OPTION},
        {.name = "private",
         .help = "Work in private database (other users' changes not seen)",
         .flags = CLI_N_OPTION},
        {0},
};
