/*
 * cli — the Junos-style shell.
 *
 *   main.c     options (-c, -f), batch and interactive loops
 *   cmd.c      the command tree engine: tokenizing, unique-prefix matching,
 *              completion and `?` help, pipes (| match, | except, | count,
 *              | no-more, | display json)
 *   edit.c     interactive line editing on libedit
 *   op_*.c     operational commands: each fetches structured data from the
 *              daemons' ctl sockets (never their text) and renders it
 *
 * A command node has fetch() -> json data and render(data) -> Junos text, so
 * `| display json` works for every command without extra code.
 */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#define CLI_MAX_WORDS 64
#define CLI_ERR_LEN   512

struct cli;
struct cli_argv;

/* fetch() returns the command's data (caller frees) or NULL with err set. */
typedef struct json_object *(*cli_fetch_fn)(struct cli *cli, const struct cli_argv *av, char *err,
                                            size_t errlen);
typedef void (*cli_render_fn)(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out);

#define CLI_N_OPTION 0x1 /* a keyword that may follow its parent in any order, once */

struct cli_node {
	const char *name; /* keyword; NULL for a value node */
	const char *arg;  /* value nodes: placeholder in help, e.g. "<interface-name>" */
	const char *help;
	unsigned flags;
	cli_fetch_fn fetch;
	cli_render_fn render;
	const struct cli_node *children; /* ends with an entry whose name and arg are NULL */
};

struct cli_argv {
	int n;
	const struct cli_node *node[CLI_MAX_WORDS];
	const char *word[CLI_MAX_WORDS];
};

struct cli {
	const char *user;
	char host[64];
	bool interactive;
	int errors;
	int timeout_ms; /* per daemon call */
};

extern const struct cli_node cli_root[];

/* Runs one line (a command with optional pipes). 0 on success. */
int cli_exec_line(struct cli *cli, const char *line, FILE *out);
/* Completion for interactive mode: the words that may follow `line`. */
int cli_complete(const char *line, const char **matches, int max, const char **prefix);
/* `?` help for the partial line, printed to out. */
void cli_help(const char *line, FILE *out);
/* Splits "a; b; 'c;d'" into commands. Returns the count (<= max). */
int cli_split_commands(char *buf, char **cmds, int max);

/* Argument access for fetch/render. */
bool cli_argv_has(const struct cli_argv *av, const char *keyword);
const char *cli_argv_value(const struct cli_argv *av, const char *arg);

void cli_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Interactive loop (edit.c). Returns the exit status. */
int cli_interactive(struct cli *cli);

/* op_system.c */
extern const struct cli_node cli_show_system[];
struct json_object *cli_fetch_version(struct cli *cli, const struct cli_argv *av, char *err,
                                      size_t errlen);
void cli_render_version(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                        FILE *out);
/* Calls every daemon answering in $KEEL_ROOT/run/keel and returns its info list. */
struct json_object *cli_daemon_infos(struct cli *cli);

/* op_interfaces.c */
extern const struct cli_node cli_show_interfaces[];
struct json_object *cli_fetch_interfaces(struct cli *cli, const struct cli_argv *av, char *err,
                                         size_t errlen);
void cli_render_interfaces(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                           FILE *out);

/* Formats a duration in ms as Junos does ("1w2d 03:04:05" / "03:04:05"). */
void cli_fmt_uptime(char *buf, size_t len, unsigned long long ms);

#endif
