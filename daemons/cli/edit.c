/*
 * Interactive mode on libedit: prompt "user@host> ", history, TAB completes a
 * unique keyword (or lists the choices), '?' shows help for the word under
 * the cursor without consuming it.
 */
#include <histedit.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"

static char cli_prompt_buf[160];

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
	const char *matches[128], *prefix;
	char line[4096];
	int n = cli_complete(cli_line_to_cursor(el, line, sizeof(line)), matches, 128, &prefix);

	if (n == 0)
		return CC_ERROR;
	if (n == 1) {
		if (el_insertstr(el, matches[0] + strlen(prefix)) < 0 || el_insertstr(el, " ") < 0)
			return CC_ERROR;
		return CC_REFRESH;
	}
	/* Extend to the longest common prefix, then list the choices. */
	size_t common = strlen(matches[0]);
	for (int i = 1; i < n; i++) {
		size_t k = 0;

		while (k < common && matches[i][k] == matches[0][k])
			k++;
		common = k;
	}
	if (common > strlen(prefix)) {
		char ext[128];
		size_t l = common - strlen(prefix);

		if (l >= sizeof(ext))
			l = sizeof(ext) - 1;
		memcpy(ext, matches[0] + strlen(prefix), l);
		ext[l] = '\0';
		el_insertstr(el, ext);
		return CC_REFRESH;
	}
	fputc('\n', stdout);
	for (int i = 0; i < n; i++)
		printf("%s%s", matches[i], i + 1 < n ? "  " : "\n");
	return CC_REDISPLAY;
}

static unsigned char cli_el_help(EditLine *el, int ch)
{
	char line[4096];

	fputc('\n', stdout);
	cli_help(cli_line_to_cursor(el, line, sizeof(line)), stdout);
	return CC_REDISPLAY;
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
	snprintf(cli_prompt_buf, sizeof(cli_prompt_buf), "%s@%s> ", cli->user, cli->host);
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
		if (strcmp(buf, "exit") == 0 || strcmp(buf, "quit") == 0)
			break;
		cli->errors = 0;
		cli_exec_line(cli, buf, stdout);
		fflush(stdout);
	}
	history_end(hist);
	el_end(el);
	return 0;
}
