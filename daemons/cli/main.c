/*
 * cli — Junos-style shell for keel (see cli.h for the file map).
 *
 *   cli                      interactive (libedit) when stdin is a terminal
 *   cli -c 'cmd; cmd'        run commands, exit non-zero if any failed
 *   cli -f FILE              run one command per line ('#' starts a comment)
 *   cli < FILE               as -f when stdin is not a terminal
 *
 * One configuration session lasts across the commands of -c / -f:
 * `cli -c 'configure; set system host-name r1; commit; exit'`.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/cli/cli.h"
#include "lib/log.h"

static void cli_usage(void)
{
	fprintf(stderr, "usage: cli [-c 'command[; command...]'] [-f file] [-t timeout-ms]\n");
}

static int cli_run_stream(struct cli *cli, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, in) > 0) {
		char *p = line + strspn(line, " \t");

		line[strcspn(line, "\r\n")] = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		cli_exec_line(cli, p, stdout);
		fflush(stdout);
	}
	free(line);
	cli_config_leave(cli);
	return cli->errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.timeout_ms = 5000};
	const char *cmds = NULL, *file = NULL;
	struct passwd *pw = getpwuid(getuid());
	int ch;

	log_init("cli", true, false);
	while ((ch = getopt(argc, argv, "c:f:t:h")) != -1) {
		switch (ch) {
		case 'c':
			cmds = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 't':
			cli.timeout_ms = atoi(optarg);
			break;
		default:
			cli_usage();
			return ch == 'h' ? 0 : 2;
		}
	}
	cli.user = pw ? pw->pw_name : "user";
	if (gethostname(cli.host, sizeof(cli.host)) < 0)
		snprintf(cli.host, sizeof(cli.host), "keel");

	if (cmds) {
		char *buf = strdup(cmds), *list[64];
		int n = cli_split_commands(buf, list, 64);

		for (int i = 0; i < n; i++) {
			cli_exec_line(&cli, list[i], stdout);
			fflush(stdout);
		}
		free(buf);
		cli_config_leave(&cli);
		return cli.errors ? 1 : 0;
	}
	if (file) {
		FILE *f = fopen(file, "r");
		int rc;

		if (!f) {
			perror(file);
			return 1;
		}
		rc = cli_run_stream(&cli, f);
		fclose(f);
		return rc;
	}
	if (!isatty(STDIN_FILENO))
		return cli_run_stream(&cli, stdin);
	cli.interactive = true;
	return cli_interactive(&cli);
}
