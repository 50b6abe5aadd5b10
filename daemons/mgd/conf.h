/*
 * conf — Junos configuration syntax on libyang data trees.
 *
 * The YANG modules in yang/ are the schema; a configuration is a libyang data
 * tree (config nodes only) plus what Junos has beside the schema: `groups`,
 * `apply-groups` at any level, and `inactive:` marks. This module turns the
 * text forms (curly braces, set/delete lines) into that and back, applies
 * edits, expands groups for validation and for the daemons, computes
 * `show | compare` diffs, and answers completion from the schema. No I/O
 * beyond what a caller hands in; no globals but the context.
 *
 * Mapping rules: yang/README.md "How the CLI maps Junos syntax onto the
 * schema" (implicit-keyword lists, empty leaves, presence containers,
 * choices, leaf-lists with [ a b ], secrets).
 */
#ifndef KEEL_MGD_CONF_H
#define KEEL_MGD_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include <libyang/libyang.h>

#define CONF_ERR_LEN 512

struct conf_ctx; /* libyang context with every keel module + schema caches */
struct conf;     /* one configuration: data tree + groups + apply-groups + inactive */

enum conf_fmt {
	CONF_FMT_TEXT, /* curly braces, 4-space indent, as Junos `show configuration` */
	CONF_FMT_SET,  /* set lines (| display set), deactivate lines for inactive nodes */
	CONF_FMT_JSON, /* RFC 7951 of the expanded config (groups applied, inactive dropped) */
};

enum conf_load {
	CONF_LOAD_MERGE,    /* curly text merged into the config */
	CONF_LOAD_OVERRIDE, /* curly text replaces the whole config */
	CONF_LOAD_SET,      /* set/delete/activate/deactivate lines */
	CONF_LOAD_REPLACE,  /* curly text; subtrees tagged "replace:" replace theirs */
};

/* Loads every yang/<name>.yang from dir (the build's yang/ or the installed
 * share/keel/yang). NULL with err set on failure. Sets libyang's process-wide
 * log options to LY_LOSTORE_LAST: errors come back in err, not on stderr. */
struct conf_ctx *conf_ctx_new(const char *yang_dir, char *err, size_t errlen);
void conf_ctx_free(struct conf_ctx *cx);
struct ly_ctx *conf_ctx_ly(struct conf_ctx *cx);

struct conf *conf_new(struct conf_ctx *cx);
struct conf *conf_dup(const struct conf *c);
void conf_free(struct conf *c);
/* True when two configs print the same (including groups and inactive marks). */
bool conf_equal(const struct conf *a, const struct conf *b);

/*
 * Edits. `path`/`n_path` is the current `edit` level, `words` the words after
 * the verb. 0 on success; -1 with a Junos-style message in err ("syntax
 * error, expecting <interface-name>", "invalid value '5000' for vlan-id:
 * range 1..4094", "warning: statement not found" for a delete of nothing).
 * An edit either applies completely or not at all.
 */
int conf_set(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
             size_t n_words, char *err, size_t errlen);
int conf_delete(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
                size_t n_words, char *err, size_t errlen);
int conf_activate(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
                  size_t n_words, bool active, char *err, size_t errlen);
/* Checks that path words name a container or list entry of the schema (for
 * `edit`; as in Junos the entry need not exist yet) and returns their
 * canonical spelling in out (prefixes expanded, keys canonical: route
 * 10.1.2.3/8 -> 10.0.0.0/8). Free each out[i] and out. */
int conf_resolve_path(const struct conf *c, const char *const *words, size_t n, char ***out,
                      size_t *n_out, char *err, size_t errlen);

/* Parses text into c per mode. On error, c is unchanged and *err_line is the
 * 1-based line of the first error. */
int conf_load(struct conf *c, enum conf_load mode, const char *text, const char *const *path,
              size_t n_path, int *err_line, char *err, size_t errlen);

/* Prints c (or the subtree at path) in fmt; *out is malloc'd. `expanded`
 * prints with groups applied (| display inheritance). 1 when path names no
 * statement of the schema: *out is then "" ("{}" for JSON) and err says why
 * (operational `show configuration bogus` prints nothing, configuration
 * mode's `show bogus` reports the syntax error). */
int conf_print(const struct conf *c, const char *const *path, size_t n_path, enum conf_fmt fmt,
               bool expanded, char **out, char *err, size_t errlen);

/* The data tree daemons see: groups applied, inactive nodes removed, defaults
 * added, validated with libyang (must, when, leafref, mandatory, ranges).
 * *tree is the caller's (lyd_free_all). */
int conf_expand(const struct conf *c, struct lyd_node **tree, char *err, size_t errlen);
int conf_validate(const struct conf *c, char *err, size_t errlen);

/* RFC 7951 JSON of the expanded tree restricted to the given schema paths
 * (e.g. "/keel-interfaces:interfaces"); "{}" when none exist. Secrets are
 * real and defaults included (LYD_PRINT_WD_ALL): this is what daemons get. */
int conf_subtree_json(struct lyd_node *expanded, const char *const *paths, size_t n, char **json,
                      char *err, size_t errlen);

/* `show | compare`: Junos diff text ("[edit interfaces eth0 unit 0]" headers,
 * then each statement in curly form, indented 4 per level below the header
 * with '+' / '-' in column 0, "!   inactive: X { ... }" for (de)activation)
 * from old to new, below path when given; "" when equal. */
int conf_diff(const struct conf *old, const struct conf *new_c, const char *const *path,
              size_t n_path, char **out, char *err, size_t errlen);

/* Completion: what may follow `words` at `path` for `verb` ("set", "delete",
 * "edit", "show", ...). Calls fn once per choice. */
typedef void (*conf_choice_fn)(void *arg, const char *word, const char *help, bool value,
                               bool container);
int conf_complete(const struct conf *c, const char *verb, const char *const *path, size_t n_path,
                  const char *const *words, size_t n_words, conf_choice_fn fn, void *arg);

/* The text form written to disk (curly braces, no secrets masked). */
int conf_serialize(const struct conf *c, char **out);
/* Parses the on-disk form. */
struct conf *conf_parse(struct conf_ctx *cx, const char *text, char *err, size_t errlen);

/* Node identity for apply-groups "${node}": "node0"/"node1", NULL = none. */
void conf_ctx_set_node(struct conf_ctx *cx, const char *node);

#endif
