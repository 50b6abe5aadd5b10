/*
 * Configuration mode (Junos `configure`): one session with mgd per CLI, held
 * on its own ctl connection for the session's life (mgd ties the session to
 * the connection: closing it discards a private candidate and drops an
 * exclusive lock).
 *
 * The CLI keeps only the edit path; every statement goes to mgd as words
 * (config.edit with the path), and what mgd says is printed Junos-style.
 * `edit PATH` is checked word by word with config.complete (verb "edit"), so
 * that a wrong path is refused at once and abbreviations are expanded in the
 * [edit ...] banner, as Junos does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"
#include "lib/proto/mgd.pb-c.h"

#define CLI_CFG_SLOW_MS  120000              /* commit, load, rollback: daemons validate */
#define CLI_CFG_MAX_FILE (16 * 1024 * 1024)  /* mgd keeps at most 16 MiB of load text */
#define CLI_CFG_CHUNK    (CTL_MAX_FRAME / 2) /* Load.text piece: room for the rest */

struct cli_cfg {
	struct ctl_client *mgd;
	uint32_t session;
	enum cli_cfg_mode mode;
	struct cli_edit_path ep;
};

/* ---- edit path */

int cli_edit_path_push(struct cli_edit_path *ep, char *const *words, int n)
{
	if (n < 0 || ep->n + n > CLI_MAX_WORDS || ep->depth == CLI_MAX_WORDS)
		return -1;
	ep->stack[ep->depth++] = ep->n;
	for (int i = 0; i < n; i++) {
		ep->word[ep->n] = strdup(words[i]);
		if (!ep->word[ep->n]) {
			cli_edit_path_up(ep, i);
			ep->depth--;
			return -1;
		}
		ep->n++;
	}
	return 0;
}

static void cli_edit_path_cut(struct cli_edit_path *ep, int n)
{
	while (ep->n > n)
		free(ep->word[--ep->n]);
	/* Levels entered below the cut are gone with it. */
	while (ep->depth > 0 && ep->stack[ep->depth - 1] > n)
		ep->depth--;
}

void cli_edit_path_up(struct cli_edit_path *ep, int levels)
{
	cli_edit_path_cut(ep, levels >= ep->n ? 0 : ep->n - levels);
}

void cli_edit_path_top(struct cli_edit_path *ep)
{
	cli_edit_path_cut(ep, 0);
	ep->depth = 0;
}

bool cli_edit_path_exit(struct cli_edit_path *ep)
{
	if (ep->n == 0) {
		ep->depth = 0;
		return false;
	}
	cli_edit_path_cut(ep, ep->depth > 0 ? ep->stack[ep->depth - 1] : 0);
	if (ep->depth > 0)
		ep->depth--;
	return true;
}

void cli_edit_path_clear(struct cli_edit_path *ep)
{
	cli_edit_path_top(ep);
}

void cli_edit_path_banner(const struct cli_edit_path *ep, char *buf, size_t len)
{
	size_t off;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return;
	}
	off = (size_t)snprintf(buf, len, "[edit");
	for (int i = 0; i < ep->n; i++) {
		if (off + 2 >= len)
			break;
		buf[off++] = ' ';
		buf[off] = '\0';
		if (cli_quote_word(buf, len - 1, &off, ep->word[i]) < 0)
			break;
	}
	if (off + 2 > len)
		off = len - 2;
	buf[off++] = ']';
	buf[off] = '\0';
}

void cli_config_banner(const struct cli *cli, char *buf, size_t len)
{
	static const struct cli_edit_path top;

	cli_edit_path_banner(cli->cfg ? &cli->cfg->ep : &top, buf, len);
}

/* ---- messages */

/* Prints one of mgd's messages as Junos does: "syntax error..." and
 * "warning: ..." as they are, anything else as "error: ...", with the
 * "[edit PATH]" it concerns above it. Returns true when it is an error. */
static bool cli_cfg_message(const char *path, const char *msg)
{
	bool warning = strncmp(msg, "warning:", 8) == 0;
	bool verbatim =
	        warning || strncmp(msg, "error:", 6) == 0 || strncmp(msg, "syntax error", 12) == 0;

	if (path && *path)
		fprintf(stderr, "[edit %s]\n  ", path);
	fprintf(stderr, "%s%s\n", verbatim ? "" : "error: ", msg);
	return !warning;
}

/* Prints a list of line errors; the number that are errors (not warnings).
 * The path header is for commit errors, where it names a config path; an
 * Edit's path is the statement itself, which the user just typed. */
static int cli_cfg_line_errors(struct cli *cli, Keel__Mgd__LineError **e, size_t n,
                               const char *file, bool with_path)
{
	int errors = 0;

	for (size_t i = 0; i < n; i++) {
		if (file && e[i]->line)
			fprintf(stderr, "%s:%u: ", file, e[i]->line);
		errors += cli_cfg_message(with_path ? e[i]->path : NULL, e[i]->message);
	}
	cli->errors += errors;
	return errors;
}

/* ---- replies */

static int cli_edit_reply_part(const uint8_t *payload, size_t len, void *arg)
{
	Keel__Mgd__EditReply **out = arg;

	if (*out)
		keel__mgd__edit_reply__free_unpacked(*out, NULL);
	*out = keel__mgd__edit_reply__unpack(NULL, len, payload);
	return *out ? 0 : -1;
}

/* Calls a method answered by an EditReply and prints its errors. 0 when
 * every line applied (warnings allowed), -1 otherwise (err set when the
 * call itself failed). */
static int cli_cfg_edit_call(struct cli *cli, const char *method, const ProtobufCMessage *req,
                             int timeout_ms, const char *file, char *err, size_t errlen)
{
	Keel__Mgd__EditReply *r = NULL;
	int rc = cli_mgd_call(cli, cli->cfg->mgd, method, req, cli_edit_reply_part, &r, timeout_ms,
	                      err, errlen);

	if (rc != 0) {
		if (r)
			keel__mgd__edit_reply__free_unpacked(r, NULL);
		return -1;
	}
	if (r) {
		rc = cli_cfg_line_errors(cli, r->errors, r->n_errors, file, false) ? -1 : 0;
		keel__mgd__edit_reply__free_unpacked(r, NULL);
	}
	return rc;
}

/* ---- session */

struct cli_open_ctx {
	Keel__Mgd__OpenReply *r;
};

static int cli_open_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_open_ctx *ctx = arg;

	if (ctx->r)
		keel__mgd__open_reply__free_unpacked(ctx->r, NULL);
	ctx->r = keel__mgd__open_reply__unpack(NULL, len, payload);
	return ctx->r ? 0 : -1;
}

static const char cli_msg_modified[] = "The configuration has been changed but not committed";

int cli_config_enter(struct cli *cli, enum cli_cfg_mode mode, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Open req = KEEL__MGD__OPEN__INIT;
	struct cli_open_ctx ctx = {0};
	struct cli_cfg *cfg;
	bool said_modified = false;

	if (cli->cfg) {
		snprintf(err, errlen, "already in configuration mode");
		return -1;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->mode = mode;
	cfg->mgd = cli_mgd_connect(err, errlen);
	if (!cfg->mgd) {
		free(cfg);
		return -1;
	}
	req.mode = mode == CLI_CFG_PRIVATE     ? KEEL__MGD__SESSION_MODE__SESSION_PRIVATE
	           : mode == CLI_CFG_EXCLUSIVE ? KEEL__MGD__SESSION_MODE__SESSION_EXCLUSIVE
	                                       : KEEL__MGD__SESSION_MODE__SESSION_SHARED;
	req.user = (char *)(cli->user ? cli->user : "");
	if (cli_mgd_call(cli, cfg->mgd, "config.open", &req.base, cli_open_part, &ctx, 0, err,
	                 errlen) != 0 ||
	    !ctx.r) {
		if (!err[0])
			snprintf(err, errlen, "mgd gave no session");
		if (ctx.r)
			keel__mgd__open_reply__free_unpacked(ctx.r, NULL);
		ctl_client_close(cfg->mgd);
		free(cfg);
		return -1;
	}
	cfg->session = ctx.r->session;
	fprintf(out, "Entering configuration mode\n");
	for (size_t i = 0; i < ctx.r->n_warnings; i++) {
		const char *w = ctx.r->warnings[i];

		if (strcmp(w, "Entering configuration mode") == 0)
			continue;
		said_modified |= strcmp(w, cli_msg_modified) == 0;
		fprintf(out, "%s\n", w);
	}
	if (ctx.r->modified && mode == CLI_CFG_SHARED && !said_modified)
		fprintf(out, "%s\n", cli_msg_modified);
	if (mode != CLI_CFG_SHARED)
		fprintf(out, "warning: uncommitted changes will be discarded on exit\n");
	keel__mgd__open_reply__free_unpacked(ctx.r, NULL);
	cli->cfg = cfg;
	return 0;
}

void cli_config_leave(struct cli *cli)
{
	if (!cli->cfg)
		return;
	cli_edit_path_clear(&cli->cfg->ep);
	ctl_client_close(cli->cfg->mgd);
	free(cli->cfg);
	cli->cfg = NULL;
}

/* The candidate differs from running (for the exit question). */
static int cli_cfg_modified(struct cli *cli, bool *modified, char *err, size_t errlen)
{
	Keel__Mgd__Compare req = KEEL__MGD__COMPARE__INIT;
	char *text;

	req.session = cli->cfg->session;
	req.against = KEEL__MGD__DATASTORE__DS_RUNNING;
	if (cli_mgd_text(cli, cli->cfg->mgd, "config.compare", &req.base, 0, &text, err, errlen))
		return -1;
	*modified = text[strspn(text, " \t\n")] != '\0';
	free(text);
	return 0;
}

/* Leaves configuration mode, asking first when changes are uncommitted (an
 * answer "no" stays). */
static int cli_cfg_exit_mode(struct cli *cli, FILE *out, char *err, size_t errlen)
{
	bool modified = false;

	if (cli_cfg_modified(cli, &modified, err, errlen) < 0)
		modified = false; /* mgd gone: nothing to keep us here */
	err[0] = '\0';
	if (modified) {
		if (cli->interactive) {
			if (!cli_ask_yes(cli, "Exit with uncommitted changes? [yes,no] (yes) ",
			                 true, stdout))
				return 0;
		} else {
			fprintf(out, "%s\n",
			        cli->cfg->mode == CLI_CFG_SHARED
			                ? cli_msg_modified
			                : "warning: uncommitted changes discarded");
		}
	}
	fprintf(out, "Exiting configuration mode\n");
	cli_config_leave(cli);
	return 0;
}

/* ---- commands */

static int cli_rest(const struct cli_argv *av, char **words)
{
	int n = 0;

	for (int i = 0; i < av->n; i++)
		if (av->node[i]->flags & CLI_N_REST)
			words[n++] = (char *)av->word[i];
	return n;
}

/* Current path + words, for show/compare. */
static int cli_cfg_abs(const struct cli_cfg *cfg, char *const *words, int n, char **abs)
{
	int k = 0;

	for (int i = 0; i < cfg->ep.n && k < CLI_MAX_WORDS; i++)
		abs[k++] = cfg->ep.word[i];
	for (int i = 0; i < n && k < CLI_MAX_WORDS; i++)
		abs[k++] = words[i];
	return k;
}

static int cli_cfg_line(char *line, size_t len, const char *verb, char *const *words, int n);

/* set / delete / activate / deactivate */
static int cli_cfg_statement(struct cli *cli, const struct cli_argv *av,
                             const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Edit req = KEEL__MGD__EDIT__INIT;
	const char *verb = av->word[0];
	char *words[CLI_MAX_WORDS], line[8192], *lines[1] = {line};
	int n = cli_rest(av, words);

	if (n == 0 && strcmp(verb, "delete") != 0) {
		snprintf(err, errlen, "syntax error, expecting <statement>");
		return -1;
	}
	if (n == 0 && cli->interactive &&
	    !cli_ask_yes(cli, "Delete everything under this level? [yes,no] (no) ", false, stdout))
		return 0;
	if (cli_cfg_line(line, sizeof(line), verb, words, n) < 0) {
		snprintf(err, errlen, "statement too long");
		return -1;
	}
	req.session = cli->cfg->session;
	req.path = cli->cfg->ep.word;
	req.n_path = (size_t)cli->cfg->ep.n;
	req.lines = lines;
	req.n_lines = 1;
	return cli_cfg_edit_call(cli, "config.edit", &req.base, 0, NULL, err, errlen);
}

/* Builds "verb w1 w2 ..." with words quoted for mgd's reader. */
static int cli_cfg_line(char *line, size_t len, const char *verb, char *const *words, int n)
{
	size_t off = (size_t)snprintf(line, len, "%s", verb);

	for (int i = 0; i < n; i++) {
		if (off + 2 >= len)
			return -1;
		line[off++] = ' ';
		line[off] = '\0';
		if (cli_quote_word(line, len, &off, words[i]) < 0)
			return -1;
	}
	return 0;
}

/* `edit PATH`: an Edit line "edit PATH" changes nothing in mgd; it checks
 * that PATH names a container or list entry and answers the new level in
 * its canonical spelling, so a bad path is refused at once (as Junos does). */
static int cli_cfg_edit(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                        FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Edit req = KEEL__MGD__EDIT__INIT;
	Keel__Mgd__EditReply *r = NULL;
	struct cli_edit_path *ep = &cli->cfg->ep;
	char *words[CLI_MAX_WORDS], line[8192], *lines[1] = {line};
	int n = cli_rest(av, words), rc = -1;

	if (n == 0) {
		snprintf(err, errlen, "syntax error, expecting <statement>");
		return -1;
	}
	if (cli_cfg_line(line, sizeof(line), "edit", words, n) < 0) {
		snprintf(err, errlen, "statement too long");
		return -1;
	}
	req.session = cli->cfg->session;
	req.path = ep->word;
	req.n_path = (size_t)ep->n;
	req.lines = lines;
	req.n_lines = 1;
	if (cli_mgd_call(cli, cli->cfg->mgd, "config.edit", &req.base, cli_edit_reply_part, &r, 0,
	                 err, errlen) != 0 ||
	    !r) {
		if (!err[0])
			snprintf(err, errlen, "mgd gave no answer to edit");
	} else if (r->n_errors) {
		rc = cli_cfg_line_errors(cli, r->errors, r->n_errors, NULL, false) ? -1 : 0;
	} else if (r->n_path < (size_t)ep->n) {
		snprintf(err, errlen, "mgd answered a shorter edit level");
	} else if (cli_edit_path_push(ep, r->path + ep->n, (int)r->n_path - ep->n) < 0) {
		snprintf(err, errlen, "edit path too deep");
	} else {
		rc = 0;
	}
	if (r)
		keel__mgd__edit_reply__free_unpacked(r, NULL);
	return rc;
}

static int cli_cfg_up(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                      FILE *out, char *err, size_t errlen)
{
	const char *num = cli_argv_value(av, "<number>");
	char *end;
	long n = num ? strtol(num, &end, 10) : 1;

	if (num && (*end || n < 1)) {
		snprintf(err, errlen, "invalid number of levels '%s'", num);
		return -1;
	}
	if (cli->cfg->ep.n == 0)
		fprintf(out, "warning: already at the top of the configuration\n");
	cli_edit_path_up(&cli->cfg->ep, n > CLI_MAX_WORDS ? CLI_MAX_WORDS : (int)n);
	return 0;
}

static int cli_cfg_top(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                       FILE *out, char *err, size_t errlen)
{
	cli_edit_path_top(&cli->cfg->ep);
	return 0;
}

static int cli_cfg_exit(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                        FILE *out, char *err, size_t errlen)
{
	if (!cli_argv_has(av, "configuration-mode") && strcmp(av->word[0], "quit") != 0 &&
	    cli_edit_path_exit(&cli->cfg->ep))
		return 0;
	return cli_cfg_exit_mode(cli, out, err, errlen);
}

static int cli_cfg_show(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                        FILE *out, char *err, size_t errlen)
{
	char *words[CLI_MAX_WORDS], *abs[CLI_MAX_WORDS], *text;
	int n = cli_rest(av, words), k = cli_cfg_abs(cli->cfg, words, n, abs), rc;

	if (disp->compare) {
		Keel__Mgd__Compare req = KEEL__MGD__COMPARE__INIT;

		req.session = cli->cfg->session;
		req.against = disp->compare_rollback ? KEEL__MGD__DATASTORE__DS_ROLLBACK
		                                     : KEEL__MGD__DATASTORE__DS_RUNNING;
		req.rollback = disp->rollback;
		req.path = abs;
		req.n_path = (size_t)k;
		rc = cli_mgd_text(cli, cli->cfg->mgd, "config.compare", &req.base, 0, &text, err,
		                  errlen);
	} else {
		Keel__Mgd__Show req = KEEL__MGD__SHOW__INIT;

		req.session = cli->cfg->session;
		req.ds = KEEL__MGD__DATASTORE__DS_CANDIDATE;
		req.path = abs;
		req.n_path = (size_t)k;
		req.format = cli_mgd_format(disp);
		req.inheritance = disp->inheritance;
		rc = cli_mgd_text(cli, cli->cfg->mgd, "config.show", &req.base, 0, &text, err,
		                  errlen);
	}
	if (rc < 0)
		return -1;
	fputs(text, out);
	free(text);
	return 0;
}

static int cli_commit_reply_part(const uint8_t *payload, size_t len, void *arg)
{
	Keel__Mgd__CommitReply **out = arg;

	if (*out)
		keel__mgd__commit_reply__free_unpacked(*out, NULL);
	*out = keel__mgd__commit_reply__unpack(NULL, len, payload);
	return *out ? 0 : -1;
}

static int cli_cfg_commit(struct cli *cli, const struct cli_argv *av,
                          const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Commit req = KEEL__MGD__COMMIT__INIT;
	Keel__Mgd__CommitReply *r = NULL;
	const char *mins = cli_argv_value(av, "<minutes>");
	const char *comment = cli_argv_value(av, "<comment>");
	int rc;

	req.session = cli->cfg->session;
	req.check = cli_argv_has(av, "check");
	req.and_quit = cli_argv_has(av, "and-quit");
	req.comment = (char *)(comment ? comment : "");
	req.client = "cli";
	if (cli_argv_has(av, "confirmed")) {
		char *end;
		unsigned long m = mins ? strtoul(mins, &end, 10) : 10; /* Junos default */

		if (mins && (!isdigit((unsigned char)mins[0]) || *end || m < 1 || m > 65535)) {
			snprintf(err, errlen, "invalid value '%s' for confirmed: range 1..65535",
			         mins);
			return -1;
		}
		req.confirmed_minutes = (uint32_t)m;
	}
	if (req.check && (req.confirmed_minutes || req.and_quit)) {
		snprintf(err, errlen, "'commit check' cannot be combined with other options");
		return -1;
	}
	rc = cli_mgd_call(cli, cli->cfg->mgd, "config.commit", &req.base, cli_commit_reply_part, &r,
	                  CLI_CFG_SLOW_MS, err, errlen);
	if (rc != 0 || !r) {
		if (!err[0])
			snprintf(err, errlen, "mgd gave no commit result");
		if (r)
			keel__mgd__commit_reply__free_unpacked(r, NULL);
		return -1;
	}
	if (!r->ok) {
		/* mgd's message is the Junos summary line ("error: commit failed");
		 * the reasons come first. */
		cli_cfg_line_errors(cli, r->errors, r->n_errors, NULL, true);
		cli_cfg_message(NULL, r->message && *r->message
		                              ? r->message
		                              : "error: configuration check-out failed");
		cli->errors++;
		keel__mgd__commit_reply__free_unpacked(r, NULL);
		return -1;
	}
	cli_cfg_line_errors(cli, r->errors, r->n_errors, NULL, true); /* warnings */
	if (r->message && *r->message) {
		fprintf(out, "%s%s", r->message,
		        r->message[strlen(r->message) - 1] == '\n' ? "" : "\n");
	} else {
		if (r->confirm_minutes)
			fprintf(out,
			        "commit confirmed will be automatically rolled back in %u minutes "
			        "unless confirmed\n",
			        r->confirm_minutes);
		fprintf(out, "%s\n",
		        req.check ? "configuration check succeeds" : "commit complete");
	}
	keel__mgd__commit_reply__free_unpacked(r, NULL);
	if (req.and_quit) {
		fprintf(out, "Exiting configuration mode\n");
		cli_config_leave(cli);
	}
	return 0;
}

static int cli_cfg_rollback(struct cli *cli, const struct cli_argv *av,
                            const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Rollback req = KEEL__MGD__ROLLBACK__INIT;
	const char *num = cli_argv_value(av, "<number>");
	char *end;
	unsigned long n = num ? strtoul(num, &end, 10) : 0;

	if (num && (!isdigit((unsigned char)num[0]) || *end || n > 49)) {
		snprintf(err, errlen, "invalid rollback number '%s': range 0..49", num);
		return -1;
	}
	req.session = cli->cfg->session;
	req.number = (uint32_t)n;
	if (cli_cfg_edit_call(cli, "config.rollback", &req.base, CLI_CFG_SLOW_MS, NULL, err,
	                      errlen) < 0)
		return -1;
	fprintf(out, "load complete\n");
	return 0;
}

/* Reads a whole file that must fit in one ctl frame with the request. */
static char *cli_read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "could not open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CLI_CFG_MAX_FILE + 1);
	n = buf ? fread(buf, 1, CLI_CFG_MAX_FILE + 1, f) : 0;
	if (buf && ferror(f)) {
		snprintf(err, errlen, "could not read %s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	} else if (buf && n > CLI_CFG_MAX_FILE) {
		snprintf(err, errlen, "%s: file too large (more than %d bytes)", path,
		         CLI_CFG_MAX_FILE);
		free(buf);
		buf = NULL;
	} else if (buf) {
		buf[n] = '\0';
		if (strlen(buf) != n) {
			snprintf(err, errlen, "%s: not a text file", path);
			free(buf);
			buf = NULL;
		}
	} else {
		snprintf(err, errlen, "out of memory");
	}
	fclose(f);
	return buf;
}

static int cli_cfg_load(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                        FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Load req = KEEL__MGD__LOAD__INIT;
	const char *file = cli_argv_value(av, "<filename>"), *how = av->word[1];
	char *text;
	int rc;

	if (!file) {
		snprintf(err, errlen, "syntax error, expecting <filename>");
		return -1;
	}
	text = cli_read_file(file, err, errlen);
	if (!text)
		return -1;
	/* Pieces of at most CLI_CFG_CHUNK bytes, cut after a line end where
	 * one is near (Load.more: mgd parses the whole text at the last). */
	size_t len = strlen(text), off = 0;

	while (len - off > CLI_CFG_CHUNK) {
		Keel__Mgd__Load piece = KEEL__MGD__LOAD__INIT;
		size_t cut = CLI_CFG_CHUNK;
		char save;

		while (cut > CLI_CFG_CHUNK / 2 && text[off + cut - 1] != '\n')
			cut--;
		if (text[off + cut - 1] != '\n')
			cut = CLI_CFG_CHUNK;
		save = text[off + cut];
		text[off + cut] = '\0';
		piece.session = cli->cfg->session;
		piece.text = text + off;
		piece.more = true;
		rc = cli_cfg_edit_call(cli, "config.load", &piece.base, CLI_CFG_SLOW_MS, file, err,
		                       errlen);
		text[off + cut] = save;
		if (rc < 0) {
			free(text);
			if (!err[0])
				snprintf(err, errlen, "configuration load failed");
			return -1;
		}
		off += cut;
	}
	req.session = cli->cfg->session;
	req.mode = strcmp(how, "override") == 0  ? KEEL__MGD__LOAD_MODE__LOAD_OVERRIDE
	           : strcmp(how, "set") == 0     ? KEEL__MGD__LOAD_MODE__LOAD_SET
	           : strcmp(how, "replace") == 0 ? KEEL__MGD__LOAD_MODE__LOAD_REPLACE
	                                         : KEEL__MGD__LOAD_MODE__LOAD_MERGE;
	req.text = text + off;
	req.path = cli->cfg->ep.word;
	req.n_path = (size_t)cli->cfg->ep.n;
	rc = cli_cfg_edit_call(cli, "config.load", &req.base, CLI_CFG_SLOW_MS, file, err, errlen);
	free(text);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "configuration load failed");
		return -1;
	}
	fprintf(out, "load complete\n");
	return 0;
}

static int cli_cfg_save(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                        FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Show req = KEEL__MGD__SHOW__INIT;
	const char *file = cli_argv_value(av, "<filename>");
	char *text;
	FILE *f;
	int lines = 0;

	req.session = cli->cfg->session;
	req.ds = KEEL__MGD__DATASTORE__DS_CANDIDATE;
	req.path = cli->cfg->ep.word;
	req.n_path = (size_t)cli->cfg->ep.n;
	req.format = KEEL__MGD__FORMAT__FORMAT_TEXT;
	if (cli_mgd_text(cli, cli->cfg->mgd, "config.show", &req.base, 0, &text, err, errlen) < 0)
		return -1;
	f = fopen(file, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		snprintf(err, errlen, "could not write %s: %s", file, strerror(errno));
		if (f)
			fclose(f);
		free(text);
		return -1;
	}
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	free(text);
	fprintf(out, "Wrote %d lines of configuration to '%s'\n", lines, file);
	return 0;
}

static int cli_status_part(const uint8_t *payload, size_t len, void *arg)
{
	Keel__Mgd__Status **out = arg;

	if (*out)
		keel__mgd__status__free_unpacked(*out, NULL);
	*out = keel__mgd__status__unpack(NULL, len, payload);
	return *out ? 0 : -1;
}

static int cli_cfg_status(struct cli *cli, const struct cli_argv *av,
                          const struct cli_display *disp, FILE *out, char *err, size_t errlen)
{
	Keel__Mgd__Status *s = NULL;

	if (cli_mgd_call(cli, cli->cfg->mgd, "config.status", NULL, cli_status_part, &s, 0, err,
	                 errlen) != 0 ||
	    !s) {
		if (!err[0])
			snprintf(err, errlen, "mgd gave no status");
		if (s)
			keel__mgd__status__free_unpacked(s, NULL);
		return -1;
	}
	fprintf(out, "Users currently editing the configuration:\n");
	for (size_t i = 0; i < s->n_editors; i++)
		fprintf(out, "  %s\n", s->editors[i]);
	if (s->exclusive_locked)
		fprintf(out, "The configuration is locked for exclusive editing\n");
	if (s->confirm_pending_seconds)
		fprintf(out, "commit confirmed pending: rollback in %u seconds unless confirmed\n",
		        s->confirm_pending_seconds);
	keel__mgd__status__free_unpacked(s, NULL);
	return 0;
}

static int cli_cfg_run(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                       FILE *out, char *err, size_t errlen)
{
	/* Only `run` alone gets here; `run CMD` is handed over whole below. */
	snprintf(err, errlen, "syntax error, expecting <command>");
	return -1;
}

/* ---- the configuration-mode tree */

static const struct cli_node cli_cfg_stmt[] = {
        {.arg = "<statement>", .help = "Configuration statement", .flags = CLI_N_REST},
        {0},
};
static const struct cli_node cli_cfg_minutes[] = {
        {.arg = "<minutes>", .help = "Number of minutes until automatic rollback (1..65535)"},
        {0},
};
static const struct cli_node cli_cfg_comment[] = {
        {.arg = "<comment>", .help = "Message to write to commit log"},
        {0},
};
static const struct cli_node cli_cfg_commit_opts[] = {
        {.name = "and-quit",
         .help = "Quit configuration mode if commit succeeds",
         .flags = CLI_N_OPTION},
        {.name = "check",
         .help = "Check correctness of syntax; do not apply changes",
         .flags = CLI_N_OPTION},
        {.name = "comment",
         .help = "Message to write to commit log",
         .flags = CLI_N_OPTION,
         .children = cli_cfg_comment},
        {.name = "confirmed",
         .help = "Automatically rollback if not confirmed",
         .flags = CLI_N_OPTION | CLI_N_OPTVAL,
         .children = cli_cfg_minutes},
        {0},
};
static const struct cli_node cli_cfg_file_load[] = {
        {.arg = "<filename>", .help = "Filename (local path)", .text = cli_cfg_load},
        {0},
};
static const struct cli_node cli_cfg_file_save[] = {
        {.arg = "<filename>", .help = "Filename (local path)", .text = cli_cfg_save},
        {0},
};
static const struct cli_node cli_cfg_load_modes[] = {
        {.name = "merge",
         .help = "Merge contents with existing configuration",
         .children = cli_cfg_file_load},
        {.name = "override",
         .help = "Override existing configuration",
         .children = cli_cfg_file_load},
        {.name = "replace",
         .help = "Replace configuration data (\"replace:\" tags)",
         .children = cli_cfg_file_load},
        {.name = "set",
         .help = "Execute set of commands on existing configuration",
         .children = cli_cfg_file_load},
        {0},
};
static const struct cli_node cli_cfg_rollback_n[] = {
        {.arg = "<number>",
         .help = "Numeric index of rollback file (0..49)",
         .text = cli_cfg_rollback},
        {0},
};
static const struct cli_node cli_cfg_up_n[] = {
        {.arg = "<number>", .help = "Number of levels to move up", .text = cli_cfg_up},
        {0},
};
static const struct cli_node cli_cfg_exit_opts[] = {
        {.name = "configuration-mode",
         .help = "Exit from configuration mode",
         .text = cli_cfg_exit},
        {0},
};
static const struct cli_node cli_cfg_run_cmd[] = {
        {.arg = "<command>", .help = "Operational command", .flags = CLI_N_REST},
        {0},
};

const struct cli_node cli_cfg_root[] = {
        {.name = "activate",
         .help = "Remove the inactive tag from a statement",
         .flags = CLI_N_SCHEMA,
         .text = cli_cfg_statement,
         .children = cli_cfg_stmt},
        {.name = "commit",
         .help = "Commit current set of changes",
         .text = cli_cfg_commit,
         .children = cli_cfg_commit_opts},
        {.name = "deactivate",
         .help = "Add the inactive tag to a statement",
         .flags = CLI_N_SCHEMA,
         .text = cli_cfg_statement,
         .children = cli_cfg_stmt},
        {.name = "delete",
         .help = "Delete a data element",
         .flags = CLI_N_SCHEMA,
         .text = cli_cfg_statement,
         .children = cli_cfg_stmt},
        {.name = "edit",
         .help = "Edit a sub-element",
         .flags = CLI_N_SCHEMA,
         .text = cli_cfg_edit,
         .children = cli_cfg_stmt},
        {.name = "exit",
         .help = "Exit from this level",
         .text = cli_cfg_exit,
         .children = cli_cfg_exit_opts},
        {.name = "load",
         .help = "Load configuration from ASCII file",
         .children = cli_cfg_load_modes},
        {.name = "quit", .help = "Quit from this level", .text = cli_cfg_exit},
        {.name = "rollback",
         .help = "Roll back to previous committed configuration",
         .text = cli_cfg_rollback,
         .children = cli_cfg_rollback_n},
        {.name = "run",
         .help = "Run an operational-mode command",
         .text = cli_cfg_run,
         .children = cli_cfg_run_cmd},
        {.name = "save", .help = "Save configuration to ASCII file", .children = cli_cfg_file_save},
        {.name = "set",
         .help = "Set a parameter",
         .flags = CLI_N_SCHEMA,
         .text = cli_cfg_statement,
         .children = cli_cfg_stmt},
        {.name = "show",
         .help = "Show a parameter",
         .flags = CLI_N_SCHEMA | CLI_N_PIPE_CONFIG | CLI_N_PIPE_COMPARE,
         .text = cli_cfg_show,
         .children = cli_cfg_stmt},
        {.name = "status",
         .help = "Show users currently editing configuration",
         .text = cli_cfg_status},
        {.name = "top", .help = "Exit to top level of configuration", .text = cli_cfg_top},
        {.name = "up",
         .help = "Exit one level of configuration",
         .text = cli_cfg_up,
         .children = cli_cfg_up_n},
        {0},
};

/* `run CMD`: the rest of the line, pipes included, is an operational
 * command. Returns the offset of CMD in line, or -1 when the line is no
 * `run` (the first word must select "run" among the mode's commands). */
static int cli_cfg_run_offset(const char *line)
{
	const char *p = line + strspn(line, " \t");
	size_t l = strcspn(p, " \t|");
	int matches = 0;
	bool run = false;

	if (l == 0 || (p[l] != ' ' && p[l] != '\t'))
		return -1;
	for (int i = 0; cli_cfg_root[i].name; i++) {
		if (strncmp(cli_cfg_root[i].name, p, l) != 0)
			continue;
		if (strlen(cli_cfg_root[i].name) == l) { /* exact */
			matches = 1;
			run = strcmp(cli_cfg_root[i].name, "run") == 0;
			break;
		}
		matches++;
		run = strcmp(cli_cfg_root[i].name, "run") == 0;
	}
	return matches == 1 && run ? (int)(p + l - line) : -1;
}

int cli_config_exec(struct cli *cli, const char *line, FILE *out)
{
	int off = cli_cfg_run_offset(line);

	if (off >= 0) {
		const char *cmd = line + off + strspn(line + off, " \t");

		if (!*cmd) {
			cli_error(cli, "syntax error, expecting <command>");
			return -1;
		}
		return cli_exec_tree(cli, cli_root, cmd, out);
	}
	return cli_exec_tree(cli, cli_cfg_root, line, out);
}

int cli_config_choices(struct cli *cli, const char *line, struct cli_choices *out,
                       const char **partial)
{
	int off = cli_cfg_run_offset(line);

	if (off >= 0)
		return cli_tree_choices(cli, cli_root, line + off + strspn(line + off, " \t"), out,
		                        partial);
	return cli_tree_choices(cli, cli_cfg_root, line, out, partial);
}

int cli_config_schema_choices(struct cli *cli, const char *verb, char *const *words, int n,
                              const char *partial, struct cli_choices *out)
{
	char err[CLI_ERR_LEN];
	struct ctl_client *c;
	int rc;

	if (cli && cli->cfg)
		return cli_mgd_complete(cli, cli->cfg->mgd, cli->cfg->session, verb,
		                        cli->cfg->ep.word, cli->cfg->ep.n, words, n, partial, out,
		                        err, sizeof(err))
		               ? -1
		               : 0;
	/* Operational mode (show configuration ...): a connection for this
	 * question only, no session: mgd answers from the schema. */
	c = cli_mgd_connect(err, sizeof(err));
	if (!c)
		return -1;
	{
		struct cli tmp = {.timeout_ms = cli ? cli->timeout_ms : 2000};

		rc = cli_mgd_complete(&tmp, c, 0, verb, NULL, 0, words, n, partial, out, err,
		                      sizeof(err));
	}
	ctl_client_close(c);
	return rc ? -1 : 0;
}
