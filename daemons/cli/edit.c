/*
 * Interactive mode on libedit: prompt "user@host> " (operational) or
 * "user@host# " under an "[edit ...]" banner (configuration), history, TAB
 * completes a unique keyword (or lists the choices), '?' shows help for the
 * word under the cursor without consuming it. In configuration mode the
 * choices come from mgd (config.complete).
 */
#include <histedit.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"

static char cli_prompt_buf[160];
static struct cli *cli_el_cli; /* libedit callbacks carry no argument */

static char *cli_prompt(EditLine *el)
{
	return cli_prompt_buf;
}

/* The current line up to the cursor, NUL-terminated. */
static const char *cli_line_to_cursor(EditLine *el, char *buf, size_t len)
{
	const LineInfo *li = el_line(el);
	size_t n = (size_t)(li->cursor - li->buffer);

	if (n >= len)
		n = len - 1;
	memcpy(buf, li->buffer, n);
	buf[n] = '\0';
	return buf;
}

static unsigned char cli_el_complete(EditLine *el, int ch)
{
	struct cli_choices m;
	const char *prefix;
	char line[4096];
	int n = cli_line_complete(cli_el_cli, cli_line_to_cursor(el, line, sizeof(line)), &m,
	                          &prefix);
	unsigned char rc = CC_REDISPLAY;
	size_t common;

	if (n == 0) {
		cli_choices_free(&m);
		return CC_ERROR;
	}
	if (n == 1) {
		rc = el_insertstr(el, m.v[0].word + strlen(prefix)) < 0 || el_insertstr(el, " ") < 0
		             ? CC_ERROR
		             : CC_REFRESH;
		cli_choices_free(&m);
		return rc;
	}
	/* Extend to the longest common prefix, then list the choices. */
	common = strlen(m.v[0].word);
	for (int i = 1; i < n; i++) {
		size_t k = 0;

		while (k < common && m.v[i].word[k] == m.v[0].word[k])
			k++;
		common = k;
	}
	if (common > strlen(prefix)) {
		char ext[128];
		size_t l = common - strlen(prefix);

		if (l >= sizeof(ext))
			l = sizeof(ext) - 1;
		memcpy(ext, m.v[0].word + strlen(prefix), l);
		ext[l] = '\0';
		el_insertstr(el, ext);
		rc = CC_REFRESH;
	} else {
		fputc('\n', stdout);
		for (int i = 0; i < n; i++)
			printf("%s%s", m.v[i].word, i + 1 < n ? "  " : "\n");
	}
	cli_choices_free(&m);
	return rc;
}

static unsigned char cli_el_help(EditLine *el, int ch)
{
	char line[4096];

	fputc('\n', stdout);
	cli_line_help(cli_el_cli, cli_line_to_cursor(el, line, sizeof(line)), stdout);
	return CC_REDISPLAY;
}

bool cli_ask_yes(struct cli *cli, const char *question, bool dflt, FILE *out)
{
	char ans[64];

	for (;;) {
		fputs(question, out);
		fflush(out);
		if (!fgets(ans, sizeof(ans), cli->in ? cli->in : stdin))
			return dflt;
		ans[strcspn(ans, "\r\n")] = '\0';
		if (!ans[0])
			return dflt;
		if (strncmp("yes", ans, strlen(ans)) == 0)
			return true;
		if (strncmp("no", ans, strlen(ans)) == 0)
			return false;
	}
}

/* The prompt of the current mode; configuration mode shows the edit level
 * on the line above, as Junos does. */
static void cli_set_prompt(struct cli *cli)
{
	if (cli->cfg) {
		char banner[512];

		cli_config_banner(cli, banner, sizeof(banner));
		printf("\n%s\n", banner);
		fflush(stdout);
	}
	snprintf(cli_prompt_buf, sizeof(cli_prompt_buf), "%s@%s%s ", cli->user, cli->host,
	         cli->cfg ? "#" : ">");
}

int cli_interactive(struct cli *cli)
{
	EditLine *el = el_init("cli", stdin, stdout, stderr);
	History *hist = history_init();
	HistEvent ev;
	const char *line;
	int count;

	if (!el || !hist)
		return 1;
	cli_el_cli = cli;
	cli_set_prompt(cli);
	history(hist, &ev, H_SETSIZE, 500);
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_PROMPT, cli_prompt);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_ADDFN, "keel-complete", "Complete a keyword", cli_el_complete);
	el_set(el, EL_ADDFN, "keel-help", "Show possible completions", cli_el_help);
	el_set(el, EL_BIND, "^I", "keel-complete", NULL);
	el_set(el, EL_BIND, " ", "ed-insert", NULL);
	el_set(el, EL_BIND, "?", "keel-help", NULL);

	while ((line = el_gets(el, &count)) && count > 0) {
		char buf[4096];

		snprintf(buf, sizeof(buf), "%s", line);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[strspn(buf, " \t")])
			continue;
		history(hist, &ev, H_ENTER, buf);
		if (!cli->cfg && (strcmp(buf, "exit") == 0 || strcmp(buf, "quit") == 0))
			break;
		cli->errors = 0;
		cli_exec_line(cli, buf, stdout);
		fflush(stdout);
		cli_set_prompt(cli);
	}
	cli_config_leave(cli);
	history_end(hist);
	el_end(el);
	return 0;
}
