/*
 * conf_parse.c — the text loaders: curly braces (`load merge|override|
 * replace`, the on-disk form) and set lines (`load set`). Pure: text in,
 * config out; on any error the target config is left as it was.
 *
 * Lexical rules follow the Junos configuration file format: words are
 * separated by white space; `{ } ; [ ]` are tokens of their own; a value with
 * spaces or specials is double-quoted with backslash escapes; `#` starts a
 * comment that runs to the end of the line and `/ * ... * /` a block
 * comment; `inactive:` and `replace:` prefix a statement.
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

enum conf_tok {
	CONF_TOK_EOF,
	CONF_TOK_WORD,
	CONF_TOK_LBRACE,
	CONF_TOK_RBRACE,
	CONF_TOK_SEMI,
	CONF_TOK_ERR,
};

struct conf_lex {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
};

/* Reads one token; a word (brackets included, unquoted) comes back malloc'd. */
static enum conf_tok conf_lex_next(struct conf_lex *L, char **word, bool *quoted)
{
	*word = NULL;
	*quoted = false;
	for (;;) {
		while (L->p < L->end &&
		       (*L->p == ' ' || *L->p == '\t' || *L->p == '\r' || *L->p == '\n')) {
			if (*L->p == '\n')
				L->line++;
			L->p++;
		}
		if (L->p >= L->end)
			return CONF_TOK_EOF;
		if (*L->p == '#') {
			while (L->p < L->end && *L->p != '\n')
				L->p++;
			continue;
		}
		if (*L->p == '/' && L->p + 1 < L->end && L->p[1] == '*') {
			L->p += 2;
			while (L->p + 1 < L->end && !(L->p[0] == '*' && L->p[1] == '/')) {
				if (*L->p == '\n')
					L->line++;
				L->p++;
			}
			if (L->p + 1 >= L->end) {
				conf_errf(L->err, L->errlen, "syntax error: unterminated comment");
				return CONF_TOK_ERR;
			}
			L->p += 2;
			continue;
		}
		break;
	}
	switch (*L->p) {
	case '{':
		L->p++;
		return CONF_TOK_LBRACE;
	case '}':
		L->p++;
		return CONF_TOK_RBRACE;
	case ';':
		L->p++;
		return CONF_TOK_SEMI;
	case '[':
	case ']':
		*word = strndup(L->p, 1);
		L->p++;
		return *word ? CONF_TOK_WORD : CONF_TOK_ERR;
	case '"': {
		const char *q = ++L->p;
		size_t o = 0;
		char *w;

		while (q < L->end && *q != '"') {
			if (*q == '\\' && q + 1 < L->end)
				q++;
			q++;
		}
		if (q >= L->end) {
			conf_errf(L->err, L->errlen, "syntax error: unterminated quoted string");
			return CONF_TOK_ERR;
		}
		w = malloc((size_t)(q - L->p) + 1);
		if (!w)
			return CONF_TOK_ERR;
		while (L->p < q) {
			char ch = *L->p++;

			if (ch == '\n')
				L->line++;
			if (ch == '\\' && L->p < q) {
				ch = *L->p++;
				if (ch == 'n')
					ch = '\n';
				else if (ch == 't')
					ch = '\t';
			}
			w[o++] = ch;
		}
		w[o] = '\0';
		L->p = q + 1;
		*word = w;
		*quoted = true;
		return CONF_TOK_WORD;
	}
	default: {
		const char *s = L->p;

		while (L->p < L->end && !strchr(" \t\r\n{};[]\"", *L->p))
			L->p++;
		*word = strndup(s, (size_t)(L->p - s));
		return *word ? CONF_TOK_WORD : CONF_TOK_ERR;
	}
	}
}

struct conf_stmt {
	struct conf_word *w;
	size_t n, cap;
};

static int conf_stmt_add(struct conf_stmt *st, char *s, bool quoted)
{
	if (st->n == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 16;
		struct conf_word *nw = realloc(st->w, nc * sizeof(*nw));

		if (!nw)
			return -1;
		st->w = nw;
		st->cap = nc;
	}
	st->w[st->n++] = (struct conf_word){s, quoted};
	return 0;
}

static void conf_stmt_clear(struct conf_stmt *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free((char *)st->w[i].s);
	st->n = 0;
}

int conf_split_line(const char *line, size_t len, struct conf_word **w, size_t *n, char **store,
                    char *err, size_t errlen)
{
	struct conf_lex L = {.p = line, .end = line + len, .line = 1, .err = err, .errlen = errlen};
	struct conf_stmt st = {0};
	enum conf_tok t;

	(void)store;
	*w = NULL;
	*n = 0;
	for (;;) {
		char *word;
		bool quoted;

		t = conf_lex_next(&L, &word, &quoted);
		if (t == CONF_TOK_EOF)
			break;
		if (t != CONF_TOK_WORD) {
			if (t != CONF_TOK_ERR)
				conf_errf(err, errlen, "syntax error: unexpected '%c'", L.p[-1]);
			conf_stmt_clear(&st);
			free(st.w);
			return -1;
		}
		if (conf_stmt_add(&st, word, quoted)) {
			free(word);
			conf_stmt_clear(&st);
			free(st.w);
			conf_errf(err, errlen, "out of memory");
			return -1;
		}
	}
	*w = st.w;
	*n = st.n;
	return 0;
}

/* ---------------------------------------------------------------- curly */

struct conf_frame {
	struct conf_pos pos;
	bool groups; /* inside `groups { }`: statements name groups */
};

struct conf_curly {
	struct conf *c;
	bool replace_mode;
	struct conf_frame *stack;
	size_t depth, cap;
};

static int conf_push(struct conf_curly *P, struct conf_frame fr)
{
	if (P->depth == P->cap) {
		size_t nc = P->cap ? P->cap * 2 : 16;
		struct conf_frame *ns = realloc(P->stack, nc * sizeof(*ns));

		if (!ns)
			return -1;
		P->stack = ns;
		P->cap = nc;
	}
	P->stack[P->depth++] = fr;
	return 0;
}

/* How many steps name the node a statement's `inactive:` / `replace:` is
 * about: all of them, except for a kt:oneliner entry written on one line
 * (`inactive: node 0 priority 200;`), where the mark belongs to the entry, as
 * conf_print.c prints it, and not to its one leaf. */
static size_t conf_stmt_head(const struct conf_ctx *cx, const struct conf_res *res)
{
	size_t i = res->n;

	while (i > 0 && res->steps[i - 1].kind == CONF_STEP_NODE &&
	       (res->steps[i - 1].s->nodetype & LYD_NODE_TERM))
		i--;
	if (i > 0 && i < res->n && res->steps[i - 1].kind == CONF_STEP_NODE &&
	    res->steps[i - 1].s->nodetype == LYS_LIST) {
		const struct conf_sinfo *si = conf_info(cx, res->steps[i - 1].s);

		if (si && si->oneliner)
			return i;
	}
	return res->n;
}

/* Applies one statement at the top frame; pushes a frame when it opens a block. */
static int conf_curly_stmt(struct conf_curly *P, struct conf_stmt *st, bool open, bool inactive,
                           bool replace, char *err, size_t errlen)
{
	struct conf_frame *fr = &P->stack[P->depth - 1];
	struct conf_frame nf = *fr;
	struct conf_res res = {0}, head;
	struct lyd_node *last = NULL;
	const struct conf_ctx *cx = P->c->cx;
	int rc = -1;

	nf.groups = false;
	if (fr->groups) {
		struct conf_group *g;

		if (st->n != 1) {
			conf_errf(err, errlen, "syntax error, expecting <group-name>");
			return -1;
		}
		g = conf_group_get(P->c, st->w[0].s, false);
		if (g && replace && P->replace_mode) {
			lyd_free_siblings(g->tree);
			g->tree = NULL;
		}
		if (!g) {
			struct conf_res gr = {0};
			struct conf_word gw[2] = {{"groups", false}, st->w[0]};

			if (conf_resolve(cx, NULL, true, gw, 2, CONF_RES_SET, &gr, err, errlen)) {
				conf_res_free(&gr);
				return -1;
			}
			conf_res_free(&gr);
			g = conf_group_get(P->c, st->w[0].s, true);
		}
		if (!g) {
			conf_errf(err, errlen, "out of memory");
			return -1;
		}
		if (inactive)
			g->inactive = true;
		nf.pos = (struct conf_pos){.c = P->c, .grp = g};
		return open ? conf_push(P, nf) : 0;
	}
	if (!fr->pos.d && !fr->pos.grp && st->n == 1 && !st->w[0].quoted &&
	    !strcmp(st->w[0].s, "groups")) {
		if (!open) {
			conf_errf(err, errlen, "syntax error, expecting '{'");
			return -1;
		}
		nf.groups = true;
		return conf_push(P, nf);
	}
	if (conf_resolve(cx, fr->pos.s, !fr->pos.grp, st->w, st->n, CONF_RES_SET, &res, err,
	                 errlen))
		goto out;
	if (res.n && res.steps[res.n - 1].kind == CONF_STEP_GROUP) {
		conf_errf(err, errlen, "syntax error at 'groups'");
		goto out;
	}
	head = res;
	head.n = conf_stmt_head(cx, &res);
	if (replace && P->replace_mode) {
		struct conf_pos tp = fr->pos;
		struct lyd_node *old = NULL;

		if (!conf_find_target(&tp, &head, &old, NULL) && old) {
			struct lyd_node *x, *next;

			if (old->schema->nodetype & (LYS_CONTAINER | LYS_LIST)) {
				/* Keep the node (and its keys), replace what is inside. */
				for (x = lyd_child(old); x; x = next) {
					next = x->next;
					if (!lysc_is_key(x->schema))
						lyd_free_tree(x);
				}
				conf_apply_set_list(cx, old, NULL, 0);
			} else if (old->schema->nodetype == LYS_LEAFLIST) {
				for (x = lyd_first_sibling(old); x; x = next) {
					next = x->next;
					if (x->schema == old->schema)
						conf_node_free(conf_pos_first(&tp), x);
				}
			}
		}
	}
	if (conf_apply_set(&nf.pos, &res, 0, &last, err, errlen))
		goto out;
	if (inactive && head.n < res.n) {
		struct conf_pos tp = fr->pos;

		if (conf_find_target(&tp, &head, &last, NULL))
			last = NULL;
	}
	if (inactive && last && conf_set_inactive(cx, last, true)) {
		conf_errf(err, errlen, "out of memory");
		goto out;
	}
	if (open) {
		if (!res.n || res.steps[res.n - 1].kind != CONF_STEP_NODE ||
		    !(res.steps[res.n - 1].s->nodetype & (LYS_CONTAINER | LYS_LIST))) {
			conf_errf(err, errlen, "syntax error: unexpected '{'");
			goto out;
		}
		if (conf_push(P, nf)) {
			conf_errf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	conf_res_free(&res);
	return rc;
}

static int conf_curly(struct conf *c, const char *text, struct conf_pos start, bool replace_mode,
                      int *err_line, char *err, size_t errlen)
{
	struct conf_lex L = {
	        .p = text, .end = text + strlen(text), .line = 1, .err = err, .errlen = errlen};
	struct conf_curly P = {.c = c, .replace_mode = replace_mode};
	struct conf_stmt st = {0};
	bool inactive = false, replace = false;
	int rc = -1, stmt_line = 1;

	if (conf_push(&P, (struct conf_frame){.pos = start})) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		char *word;
		bool quoted;
		enum conf_tok t = conf_lex_next(&L, &word, &quoted);

		if (t == CONF_TOK_ERR) {
			stmt_line = L.line;
			goto out;
		}
		if (t == CONF_TOK_WORD) {
			if (!st.n)
				stmt_line = L.line;
			if (!st.n && !quoted && !strcmp(word, "inactive:")) {
				inactive = true;
				free(word);
				continue;
			}
			if (!st.n && !quoted && !strcmp(word, "replace:")) {
				replace = true;
				free(word);
				continue;
			}
			if (conf_stmt_add(&st, word, quoted)) {
				free(word);
				conf_errf(err, errlen, "out of memory");
				goto out;
			}
			continue;
		}
		if (t == CONF_TOK_EOF) {
			if (st.n || inactive || replace) {
				stmt_line = L.line;
				conf_errf(err, errlen, "syntax error: missing ';'");
				goto out;
			}
			if (P.depth > 1) {
				stmt_line = L.line;
				conf_errf(err, errlen, "syntax error: missing '}'");
				goto out;
			}
			break;
		}
		if (t == CONF_TOK_RBRACE) {
			if (st.n || inactive || replace) {
				stmt_line = L.line;
				conf_errf(err, errlen, "syntax error: missing ';' before '}'");
				goto out;
			}
			if (P.depth <= 1) {
				stmt_line = L.line;
				conf_errf(err, errlen, "syntax error: unexpected '}'");
				goto out;
			}
			P.depth--;
			continue;
		}
		/* ';' or '{' ends a statement */
		if (!st.n) {
			stmt_line = L.line;
			if (t == CONF_TOK_SEMI && !inactive && !replace)
				continue; /* a stray ';' is harmless */
			conf_errf(err, errlen, "syntax error: unexpected '%c'",
			          t == CONF_TOK_SEMI ? ';' : '{');
			goto out;
		}
		if (conf_curly_stmt(&P, &st, t == CONF_TOK_LBRACE, inactive, replace, err, errlen))
			goto out;
		conf_stmt_clear(&st);
		inactive = replace = false;
	}
	rc = 0;
out:
	if (rc && err_line)
		*err_line = stmt_line;
	conf_stmt_clear(&st);
	free(st.w);
	free(P.stack);
	return rc;
}

/* ---------------------------------------------------------------- set lines */

static int conf_set_lines(struct conf *c, const char *text, const char *const *path, size_t n_path,
                          int *err_line, char *err, size_t errlen)
{
	const char *p = text, *nl;
	char **level = NULL;
	size_t n_level = 0, i;
	int line = 0, rc = 0;

	for (i = 0; i < n_path; i++)
		if (conf_strv_add(&level, &n_level, path[i]))
			goto nomem;
	for (; rc == 0 && *p; p = nl ? nl + 1 : p + strlen(p)) {
		struct conf_word *w = NULL;
		const char **words = NULL;
		size_t n = 0, len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		if (conf_split_line(p, len, &w, &n, NULL, err, errlen)) {
			rc = -1;
			break;
		}
		if (n) {
			const char *verb = w[0].s;

			words = calloc(n, sizeof(*words));
			if (!words) {
				rc = -1;
				conf_errf(err, errlen, "out of memory");
			}
			for (i = 1; words && i < n; i++)
				words[i - 1] = w[i].s;
			if (rc) {
			} else if (!strcmp(verb, "set")) {
				rc = conf_set(c, (const char *const *)level, n_level, words, n - 1,
				              err, errlen);
			} else if (!strcmp(verb, "delete")) {
				rc = conf_delete(c, (const char *const *)level, n_level, words,
				                 n - 1, err, errlen);
			} else if (!strcmp(verb, "activate") || !strcmp(verb, "deactivate")) {
				rc = conf_activate(c, (const char *const *)level, n_level, words,
				                   n - 1, verb[0] == 'a', err, errlen);
			} else if (!strcmp(verb, "edit")) {
				for (i = 0; i + 1 < n && rc == 0; i++)
					rc = conf_strv_add(&level, &n_level, words[i]);
			} else if (!strcmp(verb, "top")) {
				conf_strv_free(level, n_level);
				level = NULL;
				n_level = 0;
			} else if (!strcmp(verb, "up")) {
				/* One word per level is an approximation: a list entry is
				 * two words (`unit 0`) and `up` leaves both. */
				if (n_level) {
					size_t drop = 1;

					if (n_level >= 2) {
						const char *const *lv = (const char *const *)level;
						char **canon;
						size_t nc;

						if (!conf_resolve_path(c, lv, n_level - 1, &canon,
						                       &nc, NULL, 0))
							conf_strv_free(canon, nc);
						else
							drop = 2;
					}
					while (drop-- && n_level)
						free(level[--n_level]);
				}
			} else {
				conf_errf(err, errlen, "syntax error at '%s'", verb);
				rc = -1;
			}
		}
		for (i = 0; i < n; i++)
			free((char *)w[i].s);
		free(w);
		free(words);
	}
	if (rc && err_line)
		*err_line = line;
	conf_strv_free(level, n_level);
	return rc;
nomem:
	conf_strv_free(level, n_level);
	conf_errf(err, errlen, "out of memory");
	return -1;
}

/* ---------------------------------------------------------------- entry points */

static void conf_swap_free(struct conf *c, struct conf *n)
{
	struct conf tmp = *c;

	*c = *n;
	*n = tmp;
	conf_free(n);
}

static int conf_start_pos(struct conf *c, const char *const *path, size_t n_path,
                          struct conf_pos *pos, char *err, size_t errlen)
{
	struct conf_res res = {0};
	struct conf_word *w;
	size_t i;
	int rc;

	*pos = (struct conf_pos){.c = c};
	if (!n_path)
		return 0;
	w = calloc(n_path, sizeof(*w));
	if (!w)
		return -1;
	for (i = 0; i < n_path; i++)
		w[i].s = path[i];
	rc = conf_resolve(c->cx, NULL, true, w, n_path, CONF_RES_PATH, &res, err, errlen);
	if (!rc)
		rc = conf_apply_set(pos, &res, 0, NULL, err, errlen);
	conf_res_free(&res);
	free(w);
	return rc;
}

int conf_load(struct conf *c, enum conf_load mode, const char *text, const char *const *path,
              size_t n_path, int *err_line, char *err, size_t errlen)
{
	static uint32_t opt = LY_LOSTORE;
	struct conf *work;
	struct conf_pos pos;
	int rc;

	if (err_line)
		*err_line = 0;
	if (mode == CONF_LOAD_OVERRIDE && n_path == 0)
		work = conf_new(c->cx);
	else
		work = conf_dup(c);
	if (!work) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	ly_temp_log_options(&opt);
	if (mode == CONF_LOAD_SET) {
		rc = conf_set_lines(work, text, path, n_path, err_line, err, errlen);
	} else {
		rc = conf_start_pos(work, path, n_path, &pos, err, errlen);
		if (!rc && mode == CONF_LOAD_OVERRIDE && n_path && pos.d) {
			struct lyd_node *x, *next;

			for (x = lyd_child(pos.d); x; x = next) {
				next = x->next;
				if (!lysc_is_key(x->schema))
					lyd_free_tree(x);
			}
		}
		if (!rc)
			rc = conf_curly(work, text, pos, mode == CONF_LOAD_REPLACE, err_line, err,
			                errlen);
	}
	ly_temp_log_options(NULL);
	if (rc) {
		conf_free(work);
		return -1;
	}
	conf_swap_free(c, work);
	return 0;
}

struct conf *conf_parse(struct conf_ctx *cx, const char *text, char *err, size_t errlen)
{
	struct conf *c = conf_new(cx);
	int line = 0;
	char e[CONF_ERR_LEN];

	if (!c) {
		conf_errf(err, errlen, "out of memory");
		return NULL;
	}
	if (conf_load(c, CONF_LOAD_OVERRIDE, text, NULL, 0, &line, e, sizeof(e))) {
		conf_errf(err, errlen, "line %d: %s", line, e);
		conf_free(c);
		return NULL;
	}
	return c;
}
