/*
 * conf internals shared by conf.c (context, schema cache, word resolver,
 * edits, expansion), conf_parse.c (text loaders), conf_print.c (curly, set,
 * json, diff) and conf_complete.c. Not for use outside daemons/mgd/conf*.c.
 */
#ifndef KEEL_MGD_CONF_PRIV_H
#define KEEL_MGD_CONF_PRIV_H

#include <stdarg.h>
#include <stdio.h>

#include "daemons/mgd/conf.h"

/* What the CLI needs to know about one config schema node, computed once when
 * the context is built (the compiled tree's priv pointers belong to libyang:
 * LY_CTX_SET_PRIV_PARSED makes them point at the parsed node, which is where
 * typedef names live). */
struct conf_sinfo {
	const struct lysc_node *s;     /* NULL for the root pseudo node */
	const struct lysc_node **kids; /* config data children in schema order */
	size_t n_kids;
	const struct lysc_node *implicit; /* kt:implicit-keyword list child */
	char *help;                       /* first sentence of the description */
	char *ph;                         /* value placeholder, "<interface-name>" */
	int order;                        /* index among the parent's kids */
	bool secret;                      /* kt:secret */
	bool is_implicit;                 /* this list is kt:implicit-keyword */
	bool flatten;                     /* kt:flatten container: "family inet {" */
	bool oneliner;                    /* kt:oneliner list: "node 0 priority 200;" */
};

struct conf_ctx {
	struct ly_ctx *ly;
	const struct lys_module *meta; /* keel-conf: inactive / apply-groups annotations */
	char *node;                    /* ${node} */
	struct conf_sinfo root;
	struct conf_sinfo **tab; /* open-addressing map lysc_node* -> info */
	size_t tab_size;
};

struct conf_group {
	char *name;
	struct lyd_node *tree;
	bool inactive;
};

struct conf {
	struct conf_ctx *cx;
	struct lyd_node *tree;
	struct conf_group *groups;
	size_t n_groups;
	char **apply; /* top-level apply-groups */
	size_t n_apply;
};

/* A word of a statement; quoted words are never the `[` / `]` brackets. */
struct conf_word {
	const char *s;
	bool quoted;
};

enum conf_step_kind {
	CONF_STEP_NODE,  /* a schema node (+ key or value) */
	CONF_STEP_GROUP, /* groups NAME: the rest goes into that group's tree */
	CONF_STEP_APPLY, /* apply-groups NAME at the current level */
};

struct conf_step {
	enum conf_step_kind kind;
	const struct lysc_node *s;
	const char *val; /* key, value or group name; NULL = none given */
	size_t word;     /* index of the word that named it */
};

/* Where resolution of a word list ended (for completion and `edit`). */
enum conf_expect {
	CONF_EXPECT_STMT,       /* a keyword (or implicit list key) at level `at` */
	CONF_EXPECT_KEY,        /* the key of list `want` */
	CONF_EXPECT_VALUE,      /* the value of leaf / leaf-list `want` */
	CONF_EXPECT_LLIST,      /* inside [ ... ] of leaf-list `want` */
	CONF_EXPECT_GROUP,      /* a group name after `groups` */
	CONF_EXPECT_APPLY,      /* a group name after `apply-groups` */
	CONF_EXPECT_APPLY_LIST, /* inside apply-groups [ ... ] */
};

struct conf_res {
	struct conf_step *steps;
	size_t n, cap;
	const struct lysc_node *at; /* schema level reached (NULL = root) */
	bool in_group;              /* a `groups NAME` step was seen */
	enum conf_expect expect;
	const struct lysc_node *want;
	size_t last_stmt; /* index of the first step of the last statement at `at` */
};

enum conf_res_mode {
	CONF_RES_SET,     /* every leaf needs its value */
	CONF_RES_DELETE,  /* values optional (delete / activate) */
	CONF_RES_PARTIAL, /* completion: stop quietly where words run out */
	CONF_RES_PATH,    /* edit path: containers and list entries only */
};

/* Position in a tree while applying steps. */
struct conf_pos {
	struct conf *c;
	struct conf_group *grp;    /* NULL = the main tree */
	struct lyd_node *d;        /* NULL = top level */
	const struct lysc_node *s; /* schema of d */
};

/* conf.c */
const struct conf_sinfo *conf_info(const struct conf_ctx *cx, const struct lysc_node *s);
int conf_resolve(const struct conf_ctx *cx, const struct lysc_node *start, bool start_root_main,
                 const struct conf_word *w, size_t n, enum conf_res_mode mode, struct conf_res *res,
                 char *err, size_t errlen);
void conf_res_free(struct conf_res *res);
/* Applies resolved steps for `set`; pos is updated to the last container / list
 * entry reached; *last is the node of the last step (for inactive:). */
int conf_apply_set(struct conf_pos *pos, const struct conf_res *res, size_t from,
                   struct lyd_node **last, char *err, size_t errlen);
/* Finds the node named by the steps without creating anything (delete,
 * activate, replace:). 0 found, -1 not found. *grp set when the target is a
 * whole group (n==1 group step). */
int conf_find_target(struct conf_pos *pos, const struct conf_res *res, struct lyd_node **node,
                     struct conf_group **grp);
struct lyd_node **conf_pos_first(struct conf_pos *pos);
struct conf_group *conf_group_get(struct conf *c, const char *name, bool create);
void conf_node_free(struct lyd_node **first, struct lyd_node *node);
void conf_prune_empty(struct lyd_node **first, struct lyd_node *parent);
bool conf_is_inactive(const struct conf_ctx *cx, const struct lyd_node *d);
int conf_set_inactive(const struct conf_ctx *cx, struct lyd_node *d, bool inactive);
/* apply-groups names of d; count returned, *names points into a malloc'd copy. */
size_t conf_apply_get(const struct conf_ctx *cx, const struct lyd_node *d, char ***names);
int conf_apply_set_list(const struct conf_ctx *cx, struct lyd_node *d, char **names, size_t n);
void conf_strv_free(char **v, size_t n);
int conf_strv_add(char ***v, size_t *n, const char *s);
bool conf_is_np_container(const struct lysc_node *s);
void conf_errf(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "1..4094" from a leaf's range or length; "" when it has none. */
void conf_range_text(const struct lysc_node *s, char *buf, size_t len);
/* The name an error gives a leaf: its list's for a list key `name`. */
const char *conf_value_name(const struct lysc_node *s);
/* libyang's last error for a value, as "invalid value 'v' for leaf: reason". */
void conf_value_err(const struct conf_ctx *cx, const struct lysc_node *s, const char *val,
                    char *err, size_t errlen);
/* Expansion without validation (groups applied, inactive dropped, no meta);
 * mark_inherited stores the source group in each inherited node's priv. */
int conf_expand_raw(const struct conf *c, bool mark_inherited, struct lyd_node **tree, char *err,
                    size_t errlen);
/* CLI words of a data node's location ("interfaces eth1 unit 0"). */
void conf_cli_path(const struct conf_ctx *cx, const struct lyd_node *d, FILE *f);

/* conf_print.c */
bool conf_needs_quote(const char *v);
void conf_put_word(FILE *f, const char *v);
const char *conf_key(const struct lyd_node *d);

/* conf_parse.c: splits one set line into words (quotes, escapes). */
int conf_split_line(const char *line, size_t len, struct conf_word **w, size_t *n, char **store,
                    char *err, size_t errlen);

#endif
