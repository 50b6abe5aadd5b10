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
 *   op_config.c show configuration, show system commit|rollback, configure,
 *              and the mgd ctl helpers both modes share
 *   config.c   configuration mode: the session with mgd (lib/proto/mgd.proto),
 *              the edit path, set/delete/edit/up/top/commit/rollback/load/...
 *
 * The CLI never parses configuration text: mgd parses, validates, completes
 * (config.complete) and renders (config.show); the CLI keeps only the edit
 * path and the session.
 *
 * A command node has fetch() -> json data and render(data) -> Junos text, so
 * `| display json` works for every command without extra code.
 */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#define CLI_MAX_WORDS 64
#define CLI_MAX_PIPES 8
#define CLI_ERR_LEN   512

struct cli;
struct cli_argv;

/* fetch() returns the command's data (caller frees) or NULL with err set. */
typedef struct json_object *(*cli_fetch_fn)(struct cli *cli, const struct cli_argv *av, char *err,
                                            size_t errlen);
typedef void (*cli_render_fn)(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out);

/* What `| display ...` and `| compare` asked of a configuration show. */
enum cli_fmt { CLI_FMT_TEXT, CLI_FMT_SET, CLI_FMT_JSON };

struct cli_display {
	enum cli_fmt fmt;
	bool inheritance;      /* | display inheritance */
	bool compare;          /* | compare [rollback N] */
	bool compare_rollback; /* ... against rollback N rather than running */
	unsigned rollback;
};

/* Commands whose output is text of their own (configuration shows, config
 * mode): writes to out, 0 on success or -1 with err set. */
typedef int (*cli_text_fn)(struct cli *cli, const struct cli_argv *av,
                           const struct cli_display *disp, FILE *out, char *err, size_t errlen);

#define CLI_N_OPTION       0x01 /* a keyword that may follow its parent in any order, once */
#define CLI_N_REST         0x02 /* value node taking every remaining word (a config path) */
#define CLI_N_SCHEMA       0x04 /* the words after it are config statements: mgd completes them */
#define CLI_N_PIPE_CONFIG  0x08 /* accepts | display set|json|inheritance */
#define CLI_N_PIPE_COMPARE 0x10 /* accepts | compare [rollback N] */
#define CLI_N_OPTVAL       0x20 /* an option whose value child may be left out */

struct cli_node {
	const char *name; /* keyword; NULL for a value node */
	const char *arg;  /* value nodes: placeholder in help, e.g. "<interface-name>" */
	const char *help;
	unsigned flags;
	cli_fetch_fn fetch;
	cli_render_fn render;
	cli_text_fn text;                /* instead of fetch/render */
	const char *verb;                /* CLI_N_SCHEMA: verb for config.complete (default name) */
	const struct cli_node *children; /* ends with an entry whose name and arg are NULL */
};

struct cli_argv {
	int n;
	const struct cli_node *node[CLI_MAX_WORDS];
	const char *word[CLI_MAX_WORDS];
};

struct cli_cfg; /* a configuration-mode session (config.c) */

struct cli {
	const char *user;
	char host[64];
	bool interactive;
	int errors;
	int timeout_ms;      /* per daemon call */
	struct cli_cfg *cfg; /* non-NULL in configuration mode */
	FILE *in;            /* yes/no questions in interactive mode (default stdin) */
};

extern const struct cli_node cli_root[];
extern const struct cli_node cli_cfg_root[];

/* Runs one line (a command with optional pipes) in the current mode. 0 on success. */
int cli_exec_line(struct cli *cli, const char *line, FILE *out);
/* Runs one line against a command tree (operational: cli_root). */
int cli_exec_tree(struct cli *cli, const struct cli_node *root, const char *line, FILE *out);

/* ---- pipes (cmd.c) */
enum cli_pipe_kind { PIPE_MATCH, PIPE_EXCEPT, PIPE_COUNT, PIPE_NO_MORE };

struct cli_pipe {
	enum cli_pipe_kind kind;
	regex_t re;
};

struct cli_pipeline {
	int n;
	struct cli_pipe p[CLI_MAX_PIPES]; /* text filters, in order */
	struct cli_display disp;          /* display/compare requests */
};

/* Parses the parts after each '|' (parts[0..n)). `allow` holds the
 * CLI_N_PIPE_* flags of the command: display set|inheritance only on
 * configuration shows, compare only where CLI_N_PIPE_COMPARE is given,
 * display json everywhere. Returns 0, or -1 with err set (nothing to free). */
int cli_pipeline_parse(char *const *parts, int n, unsigned allow, struct cli_pipeline *pl,
                       char *err, size_t errlen);
/* Filters text (modified) through the pipeline to out. */
void cli_pipeline_write(const struct cli_pipeline *pl, char *text, FILE *out);
void cli_pipeline_free(struct cli_pipeline *pl);
/* Splits at '|' outside quotes (line modified). -1 when more than max parts. */
int cli_split_pipes(char *line, char **parts, int max);
/* Splits a line into words; quotes group, backslash escapes. Words point
 * into buf (modified). -1 on an unterminated quote or more than max words. */
int cli_tokenize(char *buf, char **words, int max);
/* Appends word to buf quoted for mgd's tokenizer when it needs it (spaces,
 * quotes, braces, ';', '#', empty). -1 when it does not fit. */
int cli_quote_word(char *buf, size_t len, size_t *off, const char *word);

/* ---- completion: choices at the end of a line */
struct cli_choice {
	char *word; /* keyword, or a placeholder "<name>" when value */
	char *help;
	bool value;
};

struct cli_choices {
	int n, cap;
	struct cli_choice *v;
	bool pipe; /* "|" may follow here */
};

void cli_choices_add(struct cli_choices *ch, const char *word, const char *help, bool value);
void cli_choices_free(struct cli_choices *ch);
/* Every choice after the complete words of line, in the current mode;
 * *partial points at the word being typed. -1 when the line does not parse. */
int cli_line_choices(struct cli *cli, const char *line, struct cli_choices *out,
                     const char **partial);
/* The same against a tree (used by both modes). */
int cli_tree_choices(struct cli *cli, const struct cli_node *root, const char *line,
                     struct cli_choices *out, const char **partial);
/* The keywords that complete the partial word (TAB). Count, or 0. */
int cli_line_complete(struct cli *cli, const char *line, struct cli_choices *matches,
                      const char **partial);
/* `?`: "Possible completions:" with help for the partial line, in the current mode. */
void cli_line_help(struct cli *cli, const char *line, FILE *out);
/* Completion for interactive mode: the words that may follow `line`. */
int cli_complete(const char *line, const char **matches, int max, const char **prefix);
/* `?` help for the partial line, printed to out. */
void cli_help(const char *line, FILE *out);
/* Splits "a; b; 'c;d'" into commands. Returns the count (<= max). */
int cli_split_commands(char *buf, char **cmds, int max);

/* Argument access for fetch/render. */
bool cli_argv_has(const struct cli_argv *av, const char *keyword);
const char *cli_argv_value(const struct cli_argv *av, const char *arg);

/* ---- fetch.c: what every op_*.c shares */
struct ctl_client;
/* Connects to daemon's ctl socket; NULL with "D is not running ..." in err. */
struct ctl_client *cli_daemon_connect(const char *daemon, char *err, size_t errlen);
/* ctl_call with cli->timeout_ms: 0 on END, -1 with "D did not answer" in err, or the
 * daemon's error code (> 0) with its text in err. */
int cli_daemon_call(struct cli *cli, struct ctl_client *c, const char *daemon, const char *method,
                    const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                    void *arg, char *err, size_t errlen);
/* Connect, call, close: as cli_daemon_call, -1 also when the daemon is not running. */
int cli_daemon_ask(struct cli *cli, const char *daemon, const char *method,
                   const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                   void *arg, char *err, size_t errlen);
/* Members of a fetched JSON object (o may be NULL); a missing or null member reads
 * as NULL, "", 0, false, an empty array. */
struct json_object *cli_jget(struct json_object *o, const char *key);
const char *cli_js(struct json_object *o, const char *key);
long long cli_ji(struct json_object *o, const char *key);
bool cli_jb(struct json_object *o, const char *key);
size_t cli_jlen(struct json_object *o, const char *key);
struct json_object *cli_jidx(struct json_object *o, const char *key, size_t i);

void cli_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Interactive loop (edit.c). Returns the exit status. */
int cli_interactive(struct cli *cli);
/* Asks a yes/no question on cli->in (interactive mode); `dflt` on EOF or "". */
bool cli_ask_yes(struct cli *cli, const char *question, bool dflt, FILE *out);

/* ---- mgd (op_config.c): the calls both modes make */
/* Connects to mgd; NULL with "mgd is not running" in err. */
struct ctl_client *cli_mgd_connect(char *err, size_t errlen);
/* ctl_call with the CLI's wording for failures; 0 on END. */
int cli_mgd_call(struct cli *cli, struct ctl_client *c, const char *method,
                 const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                 void *arg, int timeout_ms, char *err, size_t errlen);
/* Collects Text replies into a malloc'd string (*text, "" when none). */
int cli_mgd_text(struct cli *cli, struct ctl_client *c, const char *method,
                 const ProtobufCMessage *req, int timeout_ms, char **text, char *err,
                 size_t errlen);
/* config.complete: adds mgd's choices for verb at path + words. */
int cli_mgd_complete(struct cli *cli, struct ctl_client *c, uint32_t session, const char *verb,
                     char *const *path, int n_path, char *const *words, int n_words,
                     const char *partial, struct cli_choices *out, char *err, size_t errlen);
/* Format of a display request for config.show. */
int cli_mgd_format(const struct cli_display *disp);

/* op_config.c: operational commands */
int cli_op_configure(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                     FILE *out, char *err, size_t errlen);
int cli_op_show_configuration(struct cli *cli, const struct cli_argv *av,
                              const struct cli_display *disp, FILE *out, char *err, size_t errlen);
int cli_op_show_rollback(struct cli *cli, const struct cli_argv *av, const struct cli_display *disp,
                         FILE *out, char *err, size_t errlen);
struct json_object *cli_fetch_commits(struct cli *cli, const struct cli_argv *av, char *err,
                                      size_t errlen);
void cli_render_commits(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                        FILE *out);
extern const struct cli_node cli_config_path[];   /* <statement>... (CLI_N_REST) */
extern const struct cli_node cli_configure[];     /* private | exclusive */
extern const struct cli_node cli_show_rollback[]; /* show system rollback <number> */

/* ---- config.c: configuration mode */
enum cli_cfg_mode { CLI_CFG_SHARED, CLI_CFG_PRIVATE, CLI_CFG_EXCLUSIVE };

/* `configure [private|exclusive]`: opens a session with mgd; prints its warnings. */
int cli_config_enter(struct cli *cli, enum cli_cfg_mode mode, FILE *out, char *err, size_t errlen);
/* Leaves configuration mode (closes the session's connection). */
void cli_config_leave(struct cli *cli);
/* Runs one configuration-mode line. 0 on success. */
int cli_config_exec(struct cli *cli, const char *line, FILE *out);
/* "[edit]" / "[edit interfaces eth1]". */
void cli_config_banner(const struct cli *cli, char *buf, size_t len);
/* Choices for a configuration-mode line (cli_line_choices in config mode). */
int cli_config_choices(struct cli *cli, const char *line, struct cli_choices *out,
                       const char **partial);
/* Completion of config words on a CLI_N_SCHEMA node (both modes). */
int cli_config_schema_choices(struct cli *cli, const char *verb, char *const *words, int n,
                              const char *partial, struct cli_choices *out);

/* Edit path arithmetic (pure; unit-tested): `edit` appends, `up N` drops N
 * (at most to the top), `top` clears, `exit` returns to the level before the
 * last `edit`. */
struct cli_edit_path {
	int n;
	char *word[CLI_MAX_WORDS];
	int depth;                /* entries in the stack below */
	int stack[CLI_MAX_WORDS]; /* path length before each `edit` */
};
int cli_edit_path_push(struct cli_edit_path *ep, char *const *words, int n);
void cli_edit_path_up(struct cli_edit_path *ep, int levels);
void cli_edit_path_top(struct cli_edit_path *ep);
/* Returns false when already at the top (exit then leaves configuration mode). */
bool cli_edit_path_exit(struct cli_edit_path *ep);
void cli_edit_path_clear(struct cli_edit_path *ep);
void cli_edit_path_banner(const struct cli_edit_path *ep, char *buf, size_t len);

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
