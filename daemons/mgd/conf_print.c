/*
 * conf_print.c — configs as Junos text: curly braces (`show configuration`,
 * 4-space indent, `;` after statements), set lines (`| display set`, with
 * `deactivate` lines after the subtree they concern), RFC 7951 JSON, and the
 * `show | compare` diff.
 *
 * Two schema extensions shape the curly form only (yang/keel-types.yang):
 * a kt:flatten container lends its keyword to each child's line (`family
 * inet {`), and a kt:oneliner list entry with a single statement besides its
 * key is one line (`node 0 priority 200;`). Set lines and JSON do not change.
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

struct conf_pr {
	FILE *f;
	const struct conf_ctx *cx;
	bool mask;      /* secrets as "<secret>" ## SECRET-DATA */
	bool inherit;   /* | display inheritance comments (priv = source group) */
	const char *lp; /* line prefix ("+", "-") for diffs; NULL = none */
	int base;       /* indent levels already consumed by the line prefix */
	/* Keywords of kt:flatten containers ("family ") that the next statement
	 * printed starts with; conf_pr_node consumes it. */
	const char *pre;
};

/* Junos quotes a value only when it would not read back as one word. */
bool conf_needs_quote(const char *v)
{
	/* A leading '<' would read as a CLI placeholder (`"<secret>"`). */
	if (!*v || *v == '<')
		return true;
	if (strstr(v, "/*"))
		return true;
	for (; *v; v++)
		if (strchr(" \t\r\n;{}[]\"'#\\", *v) || (unsigned char)*v < 0x20)
			return true;
	return false;
}

void conf_put_word(FILE *f, const char *v)
{
	if (!conf_needs_quote(v)) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
	fputc('"', f);
}

const char *conf_key(const struct lyd_node *d)
{
	const struct lyd_node *k = lyd_child(d);

	return k && lysc_is_key(k->schema) ? lyd_get_value(k) : "";
}

static bool conf_is_empty_leaf(const struct lysc_node *s)
{
	return s->nodetype == LYS_LEAF &&
	       ((const struct lysc_node_leaf *)s)->type->basetype == LY_TYPE_EMPTY;
}

static bool conf_printable(const struct conf_ctx *cx, const struct lyd_node *d);

static bool conf_kids_printable(const struct conf_ctx *cx, const struct lyd_node *d)
{
	const struct lyd_node *k;

	for (k = lyd_child(d); k; k = k->next)
		if (!lysc_is_key(k->schema) && conf_printable(cx, k))
			return true;
	return false;
}

static bool conf_printable(const struct conf_ctx *cx, const struct lyd_node *d)
{
	if (!d->schema || !(d->schema->flags & LYS_CONFIG_W))
		return false;
	if ((d->schema->nodetype & LYD_NODE_TERM) && (d->flags & LYD_DEFAULT))
		return false;
	if (conf_is_np_container(d->schema))
		return d->meta || conf_kids_printable(cx, d);
	return true;
}

/* A kt:flatten container is printed through its children unless it carries
 * a mark (inactive:, apply-groups) that needs a statement of its own. */
static bool conf_flat(const struct conf_ctx *cx, const struct lyd_node *d)
{
	const struct conf_sinfo *si = conf_info(cx, d->schema);

	return si && si->flatten && !d->meta;
}

/* The one statement a kt:oneliner entry holds besides its key, or NULL when
 * the entry is a block: more statements, a container, a mark of the
 * statement's own (it would be lost on the shared line), apply-groups, or an
 * inheritance comment to print in between. */
static const struct lyd_node *conf_oneliner_kid(const struct conf_pr *p, const struct lyd_node *d)
{
	const struct conf_sinfo *si = conf_info(p->cx, d->schema);
	const struct lyd_node *k, *one = NULL;

	if (!si || !si->oneliner || lyd_find_meta(d->meta, p->cx->meta, "apply-groups"))
		return NULL;
	for (k = lyd_child(d); k; k = k->next) {
		if (lysc_is_key(k->schema) || !conf_printable(p->cx, k))
			continue;
		if (!(k->schema->nodetype & LYD_NODE_TERM) || k->meta ||
		    (p->inherit && k->priv != d->priv))
			return NULL;
		/* leaf-list instances are siblings in a row: one statement */
		if (one && (one->schema != k->schema || k->schema->nodetype != LYS_LEAFLIST))
			return NULL;
		if (!one)
			one = k;
	}
	return one;
}

static void conf_indent(struct conf_pr *p, int depth)
{
	int i, sp = 4 * depth;

	if (p->lp) {
		fputs(p->lp, p->f);
		sp -= (int)strlen(p->lp);
		if (sp < 1)
			sp = 1;
	}
	for (i = 0; i < sp; i++)
		fputc(' ', p->f);
}

static void conf_pr_value(struct conf_pr *p, const struct lyd_node *d, bool *secret_note)
{
	const struct conf_sinfo *si = conf_info(p->cx, d->schema);

	if (si && si->secret && p->mask) {
		fputs("\"<secret>\"", p->f);
		*secret_note = true;
		return;
	}
	conf_put_word(p->f, lyd_get_value(d));
}

/* A oneliner's statement after the entry's key: `priority 200`, `discard`,
 * `next-hop [ a b ]`. */
static void conf_pr_inline(struct conf_pr *p, const struct lyd_node *k, bool *secret)
{
	const struct lysc_node *s = k->schema;
	const struct lyd_node *x;
	size_t n = 0;

	fputs(s->name, p->f);
	if (s->nodetype == LYS_LEAF) {
		if (!conf_is_empty_leaf(s)) {
			fputc(' ', p->f);
			conf_pr_value(p, k, secret);
		}
		return;
	}
	for (x = k; x && x->schema == s; x = x->next)
		n++;
	fputs(n == 1 ? "" : " [", p->f);
	for (x = k; x && x->schema == s; x = x->next) {
		fputc(' ', p->f);
		conf_pr_value(p, x, secret);
	}
	fputs(n == 1 ? "" : " ]", p->f);
}

static void conf_pr_apply(struct conf_pr *p, const struct lyd_node *d, char **names, size_t n,
                          int depth)
{
	size_t i;
	char **own = NULL;

	if (d)
		n = conf_apply_get(p->cx, d, &own), names = own;
	if (!n)
		return;
	conf_indent(p, depth);
	if (n == 1) {
		fputs("apply-groups ", p->f);
		conf_put_word(p->f, names[0]);
		fputs(";\n", p->f);
	} else {
		fputs("apply-groups [", p->f);
		for (i = 0; i < n; i++) {
			fputc(' ', p->f);
			conf_put_word(p->f, names[i]);
		}
		fputs(" ];\n", p->f);
	}
	conf_strv_free(own, d ? n : 0);
}

static void conf_pr_inherit(struct conf_pr *p, const struct lyd_node *d, int depth)
{
	const struct conf_group *g = d->priv;
	const struct lyd_node *par = lyd_parent(d);

	/* a flattened container prints no line of its own to carry the comment */
	while (par && conf_flat(p->cx, par))
		par = lyd_parent(par);
	if (!p->inherit || !g || (par && par->priv == d->priv))
		return;
	conf_indent(p, depth);
	fputs("##\n", p->f);
	conf_indent(p, depth);
	fprintf(p->f, "## '%s' was inherited from group '%s'\n",
	        d->schema->nodetype == LYS_LIST ? conf_key(d)
	        : (d->schema->nodetype & LYD_NODE_TERM) && !conf_is_empty_leaf(d->schema)
	                ? lyd_get_value(d)
	                : d->schema->name,
	        g->name);
	conf_indent(p, depth);
	fputs("##\n", p->f);
}

static void conf_pr_kids(struct conf_pr *p, const struct lyd_node *first, int depth);

/* Indent, `inactive: ` and the flattened keywords that open a statement's line. */
static void conf_pr_head(struct conf_pr *p, const struct lyd_node *d, const char *pre, int depth)
{
	conf_indent(p, depth);
	if (conf_is_inactive(p->cx, d))
		fputs("inactive: ", p->f);
	if (pre)
		fputs(pre, p->f);
}

/* One statement; leaf-list instances are printed together, so the next
 * sibling to print is returned. */
static const struct lyd_node *conf_pr_node(struct conf_pr *p, const struct lyd_node *d, int depth)
{
	const struct lysc_node *s = d->schema;
	const struct conf_sinfo *si = conf_info(p->cx, s);
	const struct lyd_node *one;
	const char *pre = p->pre;
	bool secret = false;

	p->pre = NULL;
	if (!conf_printable(p->cx, d) || lysc_is_key(s))
		return d->next;
	if (s->nodetype == LYS_LEAFLIST) {
		const struct lyd_node *x, *end;
		size_t n = 0;
		bool any_inactive = false;

		for (x = d; x && x->schema == s; x = x->next) {
			n++;
			any_inactive |= conf_is_inactive(p->cx, x);
		}
		end = x;
		if (n == 1 || any_inactive || p->inherit) {
			for (x = d; x != end; x = x->next) {
				conf_pr_inherit(p, x, depth);
				conf_pr_head(p, x, pre, depth);
				fprintf(p->f, "%s ", s->name);
				conf_pr_value(p, x, &secret);
				fputs(secret ? "; ## SECRET-DATA\n" : ";\n", p->f);
			}
			return end;
		}
		conf_indent(p, depth);
		fprintf(p->f, "%s%s [", pre ? pre : "", s->name);
		for (x = d; x != end; x = x->next) {
			fputc(' ', p->f);
			conf_pr_value(p, x, &secret);
		}
		fputs(secret ? " ]; ## SECRET-DATA\n" : " ];\n", p->f);
		return end;
	}
	if (conf_flat(p->cx, d)) {
		/* `family inet { ... }`: each child's line starts with our keyword */
		const struct lyd_node *k = lyd_child(d);
		char buf[256];

		snprintf(buf, sizeof(buf), "%s%s ", pre ? pre : "", s->name);
		while (k) {
			p->pre = buf;
			k = conf_pr_node(p, k, depth);
		}
		p->pre = NULL;
		return d->next;
	}
	conf_pr_inherit(p, d, depth);
	conf_pr_head(p, d, pre, depth);
	if (s->nodetype == LYS_LEAF) {
		fputs(s->name, p->f);
		if (!conf_is_empty_leaf(s)) {
			fputc(' ', p->f);
			conf_pr_value(p, d, &secret);
		}
		fputs(secret ? "; ## SECRET-DATA\n" : ";\n", p->f);
		return d->next;
	}
	if (s->nodetype == LYS_LIST) {
		if (!(si && si->is_implicit))
			fprintf(p->f, "%s ", s->name);
		conf_put_word(p->f, conf_key(d));
	} else {
		fputs(s->name, p->f);
	}
	if (!conf_kids_printable(p->cx, d) &&
	    !lyd_find_meta(d->meta, p->cx->meta, "apply-groups")) {
		fputs(";\n", p->f);
		return d->next;
	}
	if (s->nodetype == LYS_LIST && (one = conf_oneliner_kid(p, d))) {
		fputc(' ', p->f);
		conf_pr_inline(p, one, &secret);
		fputs(secret ? "; ## SECRET-DATA\n" : ";\n", p->f);
		return d->next;
	}
	fputs(" {\n", p->f);
	conf_pr_apply(p, d, NULL, 0, depth + 1);
	conf_pr_kids(p, lyd_child(d), depth + 1);
	conf_indent(p, depth);
	fputs("}\n", p->f);
	return d->next;
}

static void conf_pr_kids(struct conf_pr *p, const struct lyd_node *first, int depth)
{
	while (first)
		first = conf_pr_node(p, first, depth);
}

/* Top-level siblings in the Junos order of the context (cx->root.kids). */
static void conf_pr_top(struct conf_pr *p, const struct lyd_node *first, int depth)
{
	size_t i;

	for (i = 0; first && i < p->cx->root.n_kids; i++) {
		struct lyd_node *m = NULL;

		if (!lyd_find_sibling_val(first, p->cx->root.kids[i], NULL, 0, &m) && m)
			conf_pr_node(p, m, depth);
	}
}

/* A group whose tree holds only empty containers prints as `NAME;`, the same
 * as an empty one, so that display and reload agree. */
static bool conf_tree_printable(const struct conf_ctx *cx, const struct lyd_node *first)
{
	for (; first; first = first->next)
		if (conf_printable(cx, first))
			return true;
	return false;
}

static void conf_pr_groups(struct conf_pr *p, const struct conf *c)
{
	size_t i;

	if (!c->n_groups)
		return;
	fputs("groups {\n", p->f);
	for (i = 0; i < c->n_groups; i++) {
		const struct conf_group *g = &c->groups[i];

		conf_indent(p, 1);
		if (g->inactive)
			fputs("inactive: ", p->f);
		conf_put_word(p->f, g->name);
		if (!conf_tree_printable(p->cx, g->tree)) {
			fputs(";\n", p->f);
			continue;
		}
		fputs(" {\n", p->f);
		conf_pr_top(p, g->tree, 2);
		conf_indent(p, 1);
		fputs("}\n", p->f);
	}
	fputs("}\n", p->f);
}

/* ---------------------------------------------------------------- set lines */

struct conf_sb {
	char *s;
	size_t len, cap;
};

static int conf_sb_word(struct conf_sb *b, const char *w)
{
	char *q = NULL;
	size_t ql = 0, need;
	FILE *f = open_memstream(&q, &ql);

	if (!f)
		return -1;
	conf_put_word(f, w);
	fclose(f);
	need = b->len + ql + 2;
	if (need > b->cap) {
		size_t nc = need * 2;
		char *ns = realloc(b->s, nc);

		if (!ns) {
			free(q);
			return -1;
		}
		b->s = ns;
		b->cap = nc;
	}
	b->s[b->len++] = ' ';
	memcpy(b->s + b->len, q, ql);
	b->len += ql;
	b->s[b->len] = '\0';
	free(q);
	return 0;
}

static void conf_set_line(struct conf_pr *p, const char *verb, const struct conf_sb *b,
                          const char *tail)
{
	fprintf(p->f, "%s%s%s\n", verb, b->s ? b->s : "", tail ? tail : "");
}

static void conf_set_kids(struct conf_pr *p, struct conf_sb *b, const struct lyd_node *first);

static void conf_set_node(struct conf_pr *p, struct conf_sb *b, const struct lyd_node *d)
{
	const struct lysc_node *s = d->schema;
	const struct conf_sinfo *si = conf_info(p->cx, s);
	size_t keep = b->len;

	if (!conf_printable(p->cx, d) || lysc_is_key(s))
		return;
	if (!(s->nodetype == LYS_LIST && si && si->is_implicit))
		conf_sb_word(b, s->name);
	if (s->nodetype == LYS_LIST)
		conf_sb_word(b, conf_key(d));
	if (s->nodetype & LYD_NODE_TERM) {
		size_t name_end = b->len;

		if (!conf_is_empty_leaf(s))
			conf_sb_word(b,
			             si && si->secret && p->mask ? "<secret>" : lyd_get_value(d));
		conf_set_line(p, "set", b, NULL);
		/* Junos names a leaf without its value in `deactivate` (a leaf-list value keeps
		 * it). */
		if (s->nodetype == LYS_LEAF && b->s) {
			b->len = name_end;
			b->s[name_end] = '\0';
		}
	} else {
		char **names;
		size_t n = conf_apply_get(p->cx, d, &names), i;

		if (!conf_kids_printable(p->cx, d) && !n)
			conf_set_line(p, "set", b, NULL);
		for (i = 0; i < n; i++) {
			size_t k = b->len;

			conf_sb_word(b, "apply-groups");
			conf_sb_word(b, names[i]);
			conf_set_line(p, "set", b, NULL);
			b->len = k;
			b->s[k] = '\0';
		}
		conf_strv_free(names, n);
		conf_set_kids(p, b, lyd_child(d));
	}
	if (conf_is_inactive(p->cx, d))
		conf_set_line(p, "deactivate", b, NULL);
	b->len = keep;
	if (b->s)
		b->s[keep] = '\0';
}

static void conf_set_kids(struct conf_pr *p, struct conf_sb *b, const struct lyd_node *first)
{
	for (; first; first = first->next)
		conf_set_node(p, b, first);
}

static void conf_set_top(struct conf_pr *p, struct conf_sb *b, const struct lyd_node *first)
{
	size_t i;

	for (i = 0; first && i < p->cx->root.n_kids; i++) {
		struct lyd_node *m = NULL;

		if (!lyd_find_sibling_val(first, p->cx->root.kids[i], NULL, 0, &m) && m)
			conf_set_node(p, b, m);
	}
}

static void conf_set_all(struct conf_pr *p, const struct conf *c)
{
	struct conf_sb b = {0};
	size_t i;

	for (i = 0; i < c->n_groups; i++) {
		conf_sb_word(&b, "groups");
		conf_sb_word(&b, c->groups[i].name);
		if (!conf_tree_printable(p->cx, c->groups[i].tree))
			conf_set_line(p, "set", &b, NULL);
		conf_set_top(p, &b, c->groups[i].tree);
		if (c->groups[i].inactive)
			conf_set_line(p, "deactivate", &b, NULL);
		b.len = 0;
		b.s[0] = '\0';
	}
	for (i = 0; i < c->n_apply; i++) {
		conf_sb_word(&b, "apply-groups");
		conf_sb_word(&b, c->apply[i]);
		conf_set_line(p, "set", &b, NULL);
		b.len = 0;
		b.s[0] = '\0';
	}
	conf_set_top(p, &b, c->tree);
	free(b.s);
}

/* ---------------------------------------------------------------- entry points */

static void conf_pr_all(struct conf_pr *p, const struct conf *c, const struct lyd_node *tree,
                        bool groups)
{
	if (groups)
		conf_pr_groups(p, c);
	conf_pr_apply(p, NULL, c->apply, groups ? c->n_apply : 0, 0);
	conf_pr_top(p, tree, 0);
}

int conf_serialize(const struct conf *c, char **out)
{
	struct conf_pr p = {.cx = c->cx};
	size_t len = 0;

	*out = NULL;
	p.f = open_memstream(out, &len);
	if (!p.f)
		return -1;
	conf_pr_all(&p, c, c->tree, true);
	fclose(p.f);
	return *out ? 0 : -1;
}

static void conf_mask_secrets(const struct conf_ctx *cx, struct lyd_node *first)
{
	struct lyd_node *x;

	for (x = first; x; x = x->next) {
		const struct conf_sinfo *si = conf_info(cx, x->schema);

		if (si && si->secret)
			lyd_change_term(x, "<secret>");
		if (lyd_child(x))
			conf_mask_secrets(cx, lyd_child(x));
	}
}

int conf_print(const struct conf *c, const char *const *path, size_t n_path, enum conf_fmt fmt,
               bool expanded, char **out, char *err, size_t errlen)
{
	static uint32_t opt = LY_LOSTORE;
	struct conf_pr p = {.cx = c->cx, .mask = true};
	struct lyd_node *tree = NULL, *at = NULL;
	struct conf_word *w = NULL;
	struct conf_res res = {0};
	struct conf pseudo;
	const struct conf *src = c;
	size_t len = 0, i;
	int rc = -1;

	*out = NULL;
	ly_temp_log_options(&opt);
	if (expanded || fmt == CONF_FMT_JSON) {
		if (conf_expand_raw(c, fmt != CONF_FMT_JSON, &tree, err, errlen))
			goto out;
		pseudo = (struct conf){.cx = c->cx, .tree = tree};
		src = &pseudo;
		p.inherit = fmt == CONF_FMT_TEXT;
	}
	if (n_path) {
		struct conf_pos pos = {.c = (struct conf *)src};
		struct conf_group *grp = NULL;

		w = calloc(n_path, sizeof(*w));
		if (!w)
			goto out;
		for (i = 0; i < n_path; i++)
			w[i].s = path[i];
		if (conf_resolve(c->cx, NULL, true, w, n_path, CONF_RES_DELETE, &res, err,
		                 errlen)) {
			/* Not a statement of the schema: nothing configured there. */
			*out = strdup(fmt == CONF_FMT_JSON ? "{}\n" : "");
			rc = *out ? 1 : -1;
			goto out;
		}
		if (conf_find_target(&pos, &res, &at, &grp) || (!at && !grp)) {
			*out = strdup(fmt == CONF_FMT_JSON ? "{}\n" : "");
			rc = *out ? 0 : -1;
			goto out;
		}
		if (grp) {
			pseudo = (struct conf){.cx = c->cx, .tree = grp->tree};
			src = &pseudo;
		}
	}
	if (fmt == CONF_FMT_JSON) {
		struct lyd_node *jt = NULL, *top;

		if (at) {
			if (lyd_dup_single(at, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS, &jt))
				goto out;
			for (top = jt; lyd_parent(top);)
				top = lyd_parent(top);
			jt = top;
		} else {
			jt = tree;
			tree = NULL;
		}
		conf_mask_secrets(c->cx, jt);
		if (!jt)
			*out = strdup("{}\n");
		else if (lyd_print_mem(out, jt, LYD_JSON, LYD_PRINT_WITHSIBLINGS))
			*out = NULL;
		lyd_free_siblings(jt);
		rc = *out ? 0 : -1;
		goto out;
	}
	p.f = open_memstream(out, &len);
	if (!p.f)
		goto out;
	if (fmt == CONF_FMT_SET) {
		struct conf_sb b = {0};

		if (at) {
			/* Set lines keep the full path, as Junos prints them at any level. */
			const struct lyd_node *x;
			const struct lyd_node *chain[64];
			size_t n = 0;

			for (i = 0; i < res.n && res.steps[i].kind == CONF_STEP_GROUP; i++) {
				conf_sb_word(&b, "groups");
				conf_sb_word(&b, res.steps[i].val);
			}
			for (x = lyd_parent(at); x && n < 64; x = lyd_parent(x))
				chain[n++] = x;
			while (n--) {
				const struct conf_sinfo *si = conf_info(c->cx, chain[n]->schema);

				if (!(chain[n]->schema->nodetype == LYS_LIST && si->is_implicit))
					conf_sb_word(&b, chain[n]->schema->name);
				if (chain[n]->schema->nodetype == LYS_LIST)
					conf_sb_word(&b, conf_key(chain[n]));
			}
			conf_set_node(&p, &b, at);
			free(b.s);
		} else if (src != c || n_path) {
			if (n_path && res.n && res.steps[0].kind == CONF_STEP_GROUP) {
				conf_sb_word(&b, "groups");
				conf_sb_word(&b, res.steps[0].val);
			}
			conf_set_top(&p, &b, src->tree);
			free(b.s);
		} else {
			conf_set_all(&p, c);
		}
	} else if (at) {
		if (at->schema->nodetype & LYD_NODE_TERM) {
			conf_pr_node(&p, at, 0);
		} else {
			conf_pr_apply(&p, at, NULL, 0, 0);
			conf_pr_kids(&p, lyd_child(at), 0);
		}
	} else {
		conf_pr_all(&p, src, src->tree, src == c);
	}
	fclose(p.f);
	rc = *out ? 0 : -1;
out:
	if (rc && !*out)
		conf_errf(err, errlen, "%s", err && *err ? err : "out of memory");
	conf_res_free(&res);
	free(w);
	lyd_free_siblings(tree);
	ly_temp_log_options(NULL);
	return rc;
}

/* ---------------------------------------------------------------- diff */

struct conf_df {
	struct conf_pr p;
	char *shown;     /* the last [edit ...] header printed */
	const char *hdr; /* the current level's header */
	const char *pre; /* flattened keywords statements at this level start with */
};

static void conf_df_hdr(struct conf_df *df)
{
	if (df->shown && !strcmp(df->shown, df->hdr))
		return;
	free(df->shown);
	df->shown = strdup(df->hdr);
	fprintf(df->p.f, "[edit%s%s]\n", *df->hdr ? " " : "", df->hdr);
}

static void conf_df_subtree(struct conf_df *df, const char *sign, const struct lyd_node *d)
{
	conf_df_hdr(df);
	df->p.lp = sign;
	if (d->schema->nodetype == LYS_LEAFLIST) {
		/* one instance per line so that single values show as added/removed */
		struct conf_pr one = df->p;
		bool secret = false;

		conf_pr_head(&one, d, df->pre, 1);
		fprintf(df->p.f, "%s ", d->schema->name);
		conf_pr_value(&one, d, &secret);
		fputs(secret ? "; ## SECRET-DATA\n" : ";\n", df->p.f);
	} else {
		df->p.pre = df->pre;
		conf_pr_node(&df->p, d, 1);
	}
	df->p.lp = NULL;
}

static void conf_df_apply(struct conf_df *df, char **a, size_t na, char **b, size_t nb)
{
	size_t i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(a[i], b[j]); j++)
			;
		if (j == nb) {
			conf_df_hdr(df);
			fprintf(df->p.f, "-   apply-groups %s;\n", a[i]);
		}
	}
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na && strcmp(a[i], b[j]); i++)
			;
		if (i == na) {
			conf_df_hdr(df);
			fprintf(df->p.f, "+   apply-groups %s;\n", b[j]);
		}
	}
}

/* The [edit ...] header of the level below d (d NULL: the top of the tree or
 * of the group the current header names): "groups G " + d's CLI words. */
static char *conf_df_path(const struct conf_df *df, const struct lyd_node *d)
{
	char *full = NULL;
	size_t fl = 0;
	FILE *g = open_memstream(&full, &fl);

	if (!g)
		return NULL;
	if (!strncmp(df->hdr, "groups ", 7)) {
		/* "groups NAME" then the path inside the group */
		const char *sp = strchr(df->hdr + 7, ' ');
		size_t l = sp ? (size_t)(sp - df->hdr) : strlen(df->hdr);

		fprintf(g, "%.*s%s", (int)l, df->hdr, d ? " " : "");
	}
	if (d)
		conf_cli_path(df->p.cx, d, g);
	fclose(g);
	return full;
}

/* The ancestor of d whose level d's statement is shown at (flattened
 * containers skipped), and their keywords for the statement ("family "). */
static const struct lyd_node *conf_df_stmt_parent(const struct conf_ctx *cx,
                                                  const struct lyd_node *d, char *pre, size_t len)
{
	const struct lyd_node *par = lyd_parent(d);

	pre[0] = '\0';
	while (par && conf_flat(cx, par)) {
		/* Prepend "<keyword> " in place; keywords are short, but stay bounded. */
		size_t kw = strlen(par->schema->name) + 1, cur = strlen(pre);

		if (kw + cur < len) {
			memmove(pre + kw, pre, cur + 1);
			memcpy(pre, par->schema->name, kw - 1);
			pre[kw - 1] = ' ';
		}
		par = lyd_parent(par);
	}
	return par;
}

static void conf_df_level(struct conf_df *df, const struct conf_sinfo *si,
                          const struct lyd_node *ofirst, const struct lyd_node *nfirst);

static void conf_df_entry(struct conf_df *df, const struct lyd_node *o, const struct lyd_node *n)
{
	const struct lysc_node *s = n->schema;
	bool oi = conf_is_inactive(df->p.cx, o), ni = conf_is_inactive(df->p.cx, n);
	const char *saved = df->hdr, *saved_pre = df->pre;
	char *hdr, pre[256];
	char **a, **b;
	size_t na, nb;

	if (s->nodetype & LYD_NODE_TERM) {
		if (oi == ni &&
		    (s->nodetype == LYS_LEAFLIST || !strcmp(lyd_get_value(o), lyd_get_value(n)))) {
			return;
		}
		conf_df_subtree(df, "-", o);
		conf_df_subtree(df, "+", n);
		return;
	}
	if (conf_flat(df->p.cx, o) && conf_flat(df->p.cx, n)) {
		/* `family`: its children are statements of the level above */
		snprintf(pre, sizeof(pre), "%s%s ", saved_pre ? saved_pre : "", s->name);
		hdr = conf_df_path(df, lyd_parent(n));
		if (!hdr)
			return;
		df->hdr = hdr;
		df->pre = pre;
		conf_df_level(df, conf_info(df->p.cx, s), lyd_child(o), lyd_child(n));
		df->hdr = saved;
		df->pre = saved_pre;
		free(hdr);
		return;
	}
	if (oi != ni) {
		/* Junos marks (de)activation with '!' and the statement's first line. */
		char *one = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&one, &len);

		if (f) {
			struct conf_pr q = df->p;

			q.f = f;
			conf_indent(&q, 1);
			fprintf(f, "%s%s", ni ? "inactive: " : "active: ", df->pre ? df->pre : "");
			if (s->nodetype == LYS_LIST) {
				const struct conf_sinfo *si = conf_info(df->p.cx, s);

				if (!si->is_implicit)
					fprintf(f, "%s ", s->name);
				conf_put_word(f, conf_key(n));
			} else {
				fputs(s->name, f);
			}
			fclose(f);
			conf_df_hdr(df);
			fprintf(df->p.f, "!%s { ... }\n", one + 1);
			free(one);
		}
	}
	hdr = conf_df_path(df, n);
	if (!hdr)
		return;
	df->hdr = hdr;
	df->pre = NULL;
	na = conf_apply_get(df->p.cx, o, &a);
	nb = conf_apply_get(df->p.cx, n, &b);
	conf_df_apply(df, a, na, b, nb);
	conf_strv_free(a, na);
	conf_strv_free(b, nb);
	conf_df_level(df, conf_info(df->p.cx, s), lyd_child(o), lyd_child(n));
	df->hdr = saved;
	df->pre = saved_pre;
	free(hdr);
}

static bool conf_ll_equal(const struct conf_ctx *cx, const struct lyd_node *o,
                          const struct lyd_node *n)
{
	const struct lysc_node *s = o->schema;

	for (; o && n && o->schema == s && n->schema == s; o = o->next, n = n->next)
		if (strcmp(lyd_get_value(o), lyd_get_value(n)) ||
		    conf_is_inactive(cx, o) != conf_is_inactive(cx, n))
			return false;
	return !(o && o->schema == s) && !(n && n->schema == s);
}

/* A statement as the diff would print it (for comparing oneliners). */
static char *conf_df_text(const struct conf_df *df, const struct lyd_node *d)
{
	struct conf_pr q = df->p;
	char *t = NULL;
	size_t len = 0;

	q.f = open_memstream(&t, &len);
	if (!q.f)
		return NULL;
	q.lp = NULL;
	q.pre = NULL;
	conf_pr_node(&q, d, 0);
	fclose(q.f);
	return t;
}

/* A kt:oneliner entry that is one line on either side changes as a whole,
 * as Junos shows it: `- node 0 priority 100;` `+ node 0 priority 200;`.
 * False when both are blocks (the caller descends). */
static bool conf_df_oneliner(struct conf_df *df, const struct lyd_node *o, const struct lyd_node *n)
{
	char *to, *tn;
	bool same;

	if (!conf_oneliner_kid(&df->p, o) && !conf_oneliner_kid(&df->p, n))
		return false;
	to = conf_df_text(df, o);
	tn = conf_df_text(df, n);
	same = to && tn && !strcmp(to, tn);
	free(to);
	free(tn);
	if (!same) {
		conf_df_subtree(df, "-", o);
		conf_df_subtree(df, "+", n);
	}
	return true;
}

static void conf_df_level(struct conf_df *df, const struct conf_sinfo *si,
                          const struct lyd_node *ofirst, const struct lyd_node *nfirst)
{
	size_t i;

	for (i = 0; si && i < si->n_kids; i++) {
		const struct lysc_node *s = si->kids[i];
		struct lyd_node *o = NULL, *n = NULL, *x, *m;

		if (ofirst)
			lyd_find_sibling_val(ofirst, s, NULL, 0, &o);
		if (nfirst)
			lyd_find_sibling_val(nfirst, s, NULL, 0, &n);
		if (!o && !n)
			continue;
		if (s->nodetype == LYS_LEAFLIST && o && n) {
			if (conf_ll_equal(df->p.cx, o, n))
				continue;
			for (x = o; x && x->schema == s; x = x->next)
				conf_df_subtree(df, "-", x);
			for (x = n; x && x->schema == s; x = x->next)
				conf_df_subtree(df, "+", x);
			continue;
		}
		/* Removed first, then added or changed, in each one's own order. */
		for (x = o; x && x->schema == s; x = x->next) {
			m = NULL;
			if (nfirst)
				lyd_find_sibling_first(nfirst, x, &m);
			if (!m && conf_printable(df->p.cx, x))
				conf_df_subtree(df, "-", x);
		}
		for (x = n; x && x->schema == s; x = x->next) {
			m = NULL;
			if (ofirst)
				lyd_find_sibling_first(ofirst, x, &m);
			if (!m) {
				if (conf_printable(df->p.cx, x))
					conf_df_subtree(df, "+", x);
			} else if (s->nodetype != LYS_LIST || !conf_df_oneliner(df, m, x)) {
				conf_df_entry(df, m, x);
			}
		}
	}
}

/* `show interfaces eth1 | compare`: the same diff below one node. */
static int conf_diff_at(struct conf_df *df, const struct conf *old, const struct conf *new_c,
                        const char *const *path, size_t n_path, char **out, char *err,
                        size_t errlen)
{
	struct conf_word *w = calloc(n_path, sizeof(*w));
	struct conf_res res = {0};
	struct conf_pos po = {.c = (struct conf *)old}, pn = {.c = (struct conf *)new_c};
	struct lyd_node *o = NULL, *n = NULL;
	struct conf_group *go = NULL, *gn = NULL;
	size_t i;
	int rc = -1;

	if (!w)
		goto out;
	for (i = 0; i < n_path; i++)
		w[i].s = path[i];
	if (conf_resolve(new_c->cx, NULL, true, w, n_path, CONF_RES_DELETE, &res, err, errlen))
		goto out;
	conf_find_target(&po, &res, &o, &go);
	conf_find_target(&pn, &res, &n, &gn);
	if (go || gn) {
		df->hdr = "";
		conf_df_level(df, &new_c->cx->root, go ? go->tree : NULL, gn ? gn->tree : NULL);
	} else if (o || n) {
		/* The target's statement is shown at its parent's level, as in the
		 * full diff (flattened containers skipped: `family inet`). */
		const struct lyd_node *x = n ? n : o, *par;
		char pre[256], *hdr;

		par = conf_df_stmt_parent(new_c->cx, x, pre, sizeof(pre));
		df->hdr = "";
		hdr = conf_df_path(df, par);
		if (!hdr)
			goto out;
		df->hdr = hdr;
		df->pre = pre[0] ? pre : NULL;
		if (o && n) {
			if (o->schema->nodetype != LYS_LIST || !conf_df_oneliner(df, o, n))
				conf_df_entry(df, o, n);
		} else {
			conf_df_subtree(df, o ? "-" : "+", x);
		}
		df->hdr = "";
		df->pre = NULL;
		free(hdr);
	}
	rc = 0;
out:
	if (rc && err && !err[0])
		conf_errf(err, errlen, "out of memory");
	fclose(df->p.f);
	free(df->shown);
	conf_res_free(&res);
	free(w);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int conf_diff(const struct conf *old, const struct conf *new_c, const char *const *path,
              size_t n_path, char **out, char *err, size_t errlen)
{
	struct conf_df df = {.p = {.cx = new_c->cx, .mask = true}, .hdr = ""};
	size_t len = 0, i, j;

	*out = NULL;
	df.p.f = open_memstream(out, &len);
	if (!df.p.f) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	if (n_path)
		return conf_diff_at(&df, old, new_c, path, n_path, out, err, errlen);
	/* groups */
	for (i = 0; i < old->n_groups; i++) {
		const struct conf_group *g = &old->groups[i];

		for (j = 0; j < new_c->n_groups && strcmp(new_c->groups[j].name, g->name); j++)
			;
		if (j == new_c->n_groups) {
			df.hdr = "groups";
			conf_df_hdr(&df);
			fprintf(df.p.f, "-   %s { ... }\n", g->name);
		}
	}
	for (j = 0; j < new_c->n_groups; j++) {
		const struct conf_group *g = &new_c->groups[j];
		char hdr[128];

		for (i = 0; i < old->n_groups && strcmp(old->groups[i].name, g->name); i++)
			;
		snprintf(hdr, sizeof(hdr), "groups %s", g->name);
		if (i == old->n_groups) {
			df.hdr = "groups";
			conf_df_hdr(&df);
			df.p.lp = "+";
			conf_indent(&df.p, 1);
			conf_put_word(df.p.f, g->name);
			fputs(" {\n", df.p.f);
			conf_pr_top(&df.p, g->tree, 2);
			conf_indent(&df.p, 1);
			fputs("}\n", df.p.f);
			df.p.lp = NULL;
			continue;
		}
		df.hdr = hdr;
		conf_df_level(&df, &new_c->cx->root, old->groups[i].tree, g->tree);
	}
	df.hdr = "";
	conf_df_apply(&df, old->apply, old->n_apply, new_c->apply, new_c->n_apply);
	conf_df_level(&df, &new_c->cx->root, old->tree, new_c->tree);
	fclose(df.p.f);
	free(df.shown);
	return *out ? 0 : -1;
}
