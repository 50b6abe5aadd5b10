/*
 * conf_expand.c — what the daemons see: groups applied, inactive dropped,
 * validated by libyang; validation errors in CLI words; JSON subtrees.
 *
 * Junos group semantics (Junos "Configuration Groups"): `apply-groups G` at
 * a level merges the part of group G found at that same path under it;
 * explicit configuration always wins over inherited, a group applied at a
 * deeper level wins over one applied higher up, and among the groups of one
 * apply-groups statement the first listed wins. Processing the apply-groups
 * locations deepest first and letting each merge only fill what is still
 * absent gives exactly that order.
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

struct conf_apply_at {
	struct lyd_node *d; /* NULL = top level */
	char **names;
	size_t n;
};

struct conf_xp {
	const struct conf *c;
	struct lyd_node **first;
	struct conf_apply_at *at;
	size_t n_at, cap_at;
	bool collect; /* record apply-groups (the main tree only) */
	void *mark;   /* priv for inherited nodes */
};

static int conf_xp_push(struct conf_xp *x, struct lyd_node *d, char **names, size_t n)
{
	if (x->n_at == x->cap_at) {
		size_t nc = x->cap_at ? x->cap_at * 2 : 16;
		struct conf_apply_at *na = realloc(x->at, nc * sizeof(*na));

		if (!na)
			return -1;
		x->at = na;
		x->cap_at = nc;
	}
	x->at[x->n_at++] = (struct conf_apply_at){d, names, n};
	return 0;
}

/* Drops inactive subtrees and every keel-conf mark below (and including) the
 * siblings starting at `node`; records apply-groups locations in pre-order. */
static int conf_strip(struct conf_xp *x, struct lyd_node *node)
{
	struct lyd_node *next;
	const struct conf_ctx *cx = x->c->cx;

	for (; node; node = next) {
		struct lyd_meta *m, *mn;

		next = node->next;
		if (conf_is_inactive(cx, node)) {
			conf_node_free(x->first, node);
			continue;
		}
		node->priv = x->mark;
		if (x->collect && lyd_find_meta(node->meta, cx->meta, "apply-groups")) {
			char **names;
			size_t n = conf_apply_get(cx, node, &names);

			if (conf_xp_push(x, node, names, n)) {
				conf_strv_free(names, n);
				return -1;
			}
		}
		for (m = node->meta; m; m = mn) {
			mn = m->next;
			if (m->annotation && m->annotation->module == cx->meta)
				lyd_free_meta_single(m);
		}
		if (lyd_child(node) && conf_strip(x, lyd_child(node)))
			return -1;
	}
	return 0;
}

static bool conf_other_case_present(struct lyd_node *first, const struct lysc_node *s)
{
	const struct lysc_node *cs;
	struct lyd_node *y;

	for (cs = s; cs->parent && (cs->parent->nodetype & (LYS_CASE | LYS_CHOICE));
	     cs = cs->parent) {
		if (cs->parent->nodetype != LYS_CHOICE)
			continue;
		for (y = first; y; y = y->next) {
			const struct lysc_node *p = y->schema;

			while (p->parent && p->parent != cs->parent)
				p = p->parent;
			if (p->parent == cs->parent && p != cs)
				return true;
		}
	}
	return false;
}

/* Fills what is absent under dst (NULL = top level) from the group siblings src. */
static int conf_fill(struct conf_xp *x, struct lyd_node *dst, const struct lyd_node *src)
{
	for (; src; src = src->next) {
		struct lyd_node *first = dst ? lyd_child(dst) : *x->first, *m = NULL, *dup;

		if (conf_is_inactive(x->c->cx, src))
			continue;
		/* A leaf is matched by name (its value may differ), the rest by
		 * identity (list keys, leaf-list value). */
		if (first && src->schema->nodetype == LYS_LEAF)
			lyd_find_sibling_val(first, src->schema, NULL, 0, &m);
		else if (first)
			lyd_find_sibling_first(first, src, &m);
		if (m) {
			if ((src->schema->nodetype & (LYS_CONTAINER | LYS_LIST)) &&
			    conf_fill(x, m, lyd_child(src)))
				return -1;
			continue;
		}
		if (conf_other_case_present(first, src->schema))
			continue; /* explicit config chose another case */
		if (lyd_dup_single(src, (struct lyd_node_inner *)dst, LYD_DUP_RECURSIVE, &dup))
			return -1;
		if (!dst) {
			if (!*x->first)
				*x->first = dup;
			else if (lyd_insert_sibling(*x->first, dup, x->first))
				return -1;
		}
		{
			bool collect = x->collect;

			/* Group content carries no apply-groups of its own. */
			x->collect = false;
			dup->priv = x->mark;
			if (conf_strip(x, lyd_child(dup))) {
				x->collect = collect;
				return -1;
			}
			x->collect = collect;
			for (struct lyd_meta *mm = dup->meta, *mn; mm; mm = mn) {
				mn = mm->next;
				lyd_free_meta_single(mm);
			}
		}
	}
	return 0;
}

/* The group subtree at d's location (d NULL = the group's top level). */
static int conf_group_at(const struct conf_ctx *cx, const struct conf_group *g, struct lyd_node *d,
                         const struct lyd_node **out)
{
	struct lyd_node *chain[64];
	const struct lyd_node *gn = NULL, *first = g->tree;
	size_t n = 0;

	*out = NULL;
	for (; d; d = lyd_parent(d)) {
		if (n == sizeof(chain) / sizeof(chain[0]))
			return -1;
		chain[n++] = d;
	}
	while (n--) {
		struct lyd_node *m = NULL;

		if (!first || lyd_find_sibling_first(first, chain[n], &m) || !m)
			return -1;
		if (conf_is_inactive(cx, m))
			return -1;
		gn = m;
		first = lyd_child(m);
	}
	*out = gn ? lyd_child(gn) : g->tree;
	return 0;
}

static const char *conf_group_name(const struct conf_ctx *cx, const char *name)
{
	if (!strcmp(name, "${node}"))
		return cx->node;
	return name;
}

int conf_expand_raw(const struct conf *c, bool mark_inherited, struct lyd_node **tree, char *err,
                    size_t errlen)
{
	struct conf_xp x = {.c = c, .first = tree, .collect = true};
	size_t i, j;
	int rc = -1;

	*tree = NULL;
	if (c->tree && lyd_dup_siblings(c->tree, NULL, LYD_DUP_RECURSIVE, tree)) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	if (conf_strip(&x, *tree))
		goto nomem;
	if (conf_xp_push(&x, NULL, c->apply, c->n_apply))
		goto nomem;
	/* Deepest first: reverse pre-order, then the top level (pushed last). */
	for (i = 0; i < x.n_at; i++) {
		size_t idx = i + 1 < x.n_at ? x.n_at - 2 - i : x.n_at - 1;
		struct conf_apply_at *a = &x.at[idx];

		for (j = 0; j < a->n; j++) {
			const char *name = conf_group_name(c->cx, a->names[j]);
			const struct conf_group *g = NULL;
			const struct lyd_node *src;
			size_t k;

			if (!name)
				continue; /* ${node} on a node outside a cluster */
			for (k = 0; k < c->n_groups; k++)
				if (!strcmp(c->groups[k].name, name))
					g = &c->groups[k];
			if (!g) {
				char *p = NULL;
				size_t plen = 0;
				FILE *f = open_memstream(&p, &plen);

				if (f) {
					if (a->d)
						conf_cli_path(c->cx, a->d, f);
					fclose(f);
				}
				conf_errf(err, errlen,
				          "[edit%s%s] 'apply-groups %s': group not defined",
				          p && *p ? " " : "", p ? p : "", name);
				free(p);
				goto out;
			}
			if (g->inactive || conf_group_at(c->cx, g, a->d, &src) || !src)
				continue;
			x.mark = mark_inherited ? (void *)g : NULL;
			if (conf_fill(&x, a->d, src))
				goto nomem;
			x.mark = NULL;
		}
	}
	rc = 0;
	goto out;
nomem:
	conf_errf(err, errlen, "out of memory");
out:
	for (i = 0; i + 1 < x.n_at; i++)
		conf_strv_free(x.at[i].names, x.at[i].n);
	free(x.at);
	if (rc) {
		lyd_free_siblings(*tree);
		*tree = NULL;
	}
	return rc;
}

/* ---------------------------------------------------------------- CLI words */

void conf_cli_path(const struct conf_ctx *cx, const struct lyd_node *d, FILE *f)
{
	const struct lyd_node *chain[64];
	size_t n = 0;
	bool sp = false;

	for (; d && n < sizeof(chain) / sizeof(chain[0]); d = lyd_parent(d))
		chain[n++] = d;
	while (n--) {
		const struct lyd_node *x = chain[n];
		const struct conf_sinfo *si = conf_info(cx, x->schema);

		if (!(x->schema->nodetype == LYS_LIST && si && si->is_implicit)) {
			fprintf(f, "%s%s", sp ? " " : "", x->schema->name);
			sp = true;
		}
		if (x->schema->nodetype == LYS_LIST) {
			fputs(sp ? " " : "", f);
			conf_put_word(f, conf_key(x));
			sp = true;
		} else if ((x->schema->nodetype & LYD_NODE_TERM) &&
		           ((const struct lysc_node_leaf *)x->schema)->type->basetype !=
		                   LY_TYPE_EMPTY) {
			fputs(" ", f);
			conf_put_word(f, si && si->secret ? "<secret>" : lyd_get_value(x));
		}
	}
}

/* A missing mandatory node is reported by schema path only
 * ("/keel-access:access/radius-server/secret"): find the first instance of
 * the parent that lacks it (directly or as a choice's case). */
static struct lyd_node *conf_schema_err_node(struct lyd_node *tree, const char *sp, size_t len,
                                             char *missing, size_t mlen)
{
	char xp[1024];
	const char *slash;
	struct ly_set *set = NULL;
	struct lyd_node *found = NULL;
	uint32_t i;

	if (len >= sizeof(xp) || !tree)
		return NULL;
	memcpy(xp, sp, len);
	xp[len] = '\0';
	slash = strrchr(xp, '/');
	if (!slash || slash == xp)
		return NULL;
	snprintf(missing, mlen, "%s", strchr(slash, ':') ? strchr(slash, ':') + 1 : slash + 1);
	xp[slash - xp] = '\0';
	if (lyd_find_xpath(tree, xp, &set))
		return NULL;
	for (i = 0; i < set->count && !found; i++) {
		struct lyd_node *x;
		bool has = false;

		for (x = lyd_child(set->dnodes[i]); x && !has; x = x->next) {
			const struct lysc_node *p;

			for (p = x->schema; p && p != set->dnodes[i]->schema; p = p->parent)
				if (!strcmp(p->name, missing))
					has = true;
		}
		if (!has)
			found = set->dnodes[i];
	}
	ly_set_free(set, NULL);
	return found;
}

/* libyang names the failing node by data path; show it the way the CLI does:
 * "[edit vlans v10] 'vlan-id': message". */
static void conf_validation_err(const struct conf_ctx *cx, struct lyd_node *tree, char *err,
                                size_t errlen)
{
	struct ly_err_item *e = ly_err_first(cx->ly);
	const char *msg = e && e->msg ? e->msg : "validation failed";
	char path[1024], missing[128] = "", text[512];
	struct lyd_node *node = NULL;
	char *where = NULL, *stmt = NULL;
	size_t wlen = 0, slen = 0, n;
	FILE *f;

	/* e->path reads `Data location "/mod:a/b[name='x']"` (or Schema location). */
	path[0] = '\0';
	if (e && e->path) {
		const char *q1 = strchr(e->path, '"'), *q2 = strrchr(e->path, '"');

		if (q1 && q2 > q1 && !strncmp(e->path, "Data", 4))
			snprintf(path, sizeof(path), "%.*s", (int)(q2 - q1 - 1), q1 + 1);
		else if (q1 && q2 > q1 && !strncmp(e->path, "Schema", 6))
			node = conf_schema_err_node(tree, q1 + 1, (size_t)(q2 - q1 - 1), missing,
			                            sizeof(missing));
		else if (e->path[0] == '/')
			snprintf(path, sizeof(path), "%s", e->path);
	}
	while (path[0] && tree) {
		char *cut;
		int depth = 0;

		if (!lyd_find_path(tree, path, 0, &node) && node)
			break;
		node = NULL;
		/* Drop the last path segment (outside predicates) and retry. */
		for (cut = path + strlen(path); cut > path; cut--) {
			if (*cut == ']')
				depth++;
			else if (*cut == '[')
				depth--;
			else if (*cut == '/' && depth == 0)
				break;
		}
		if (!missing[0]) {
			const char *seg = cut + 1, *colon = strchr(seg, ':'), *br;

			if (colon)
				seg = colon + 1;
			br = strchr(seg, '[');
			n = br ? (size_t)(br - seg) : strlen(seg);
			if (n >= sizeof(missing))
				n = sizeof(missing) - 1;
			memcpy(missing, seg, n);
			missing[n] = '\0';
		}
		*cut = '\0';
	}
	snprintf(text, sizeof(text), "%s", msg);
	n = strlen(text);
	if (n && text[n - 1] == '.')
		text[--n] = '\0';
	f = open_memstream(&where, &wlen);
	if (f) {
		if (node && !missing[0] && lyd_parent(node))
			conf_cli_path(cx, lyd_parent(node), f);
		else if (node && missing[0])
			conf_cli_path(cx, node, f);
		fclose(f);
	}
	f = open_memstream(&stmt, &slen);
	if (f) {
		if (missing[0]) {
			fputs(missing, f);
		} else if (node) {
			const struct conf_sinfo *si = conf_info(cx, node->schema);

			if (!(node->schema->nodetype == LYS_LIST && si && si->is_implicit))
				fputs(node->schema->name, f);
			if (node->schema->nodetype == LYS_LIST) {
				if (!(si && si->is_implicit))
					fputs(" ", f);
				conf_put_word(f, conf_key(node));
			} else if ((node->schema->nodetype & LYD_NODE_TERM) && si && !si->secret &&
			           ((const struct lysc_node_leaf *)node->schema)->type->basetype !=
			                   LY_TYPE_EMPTY) {
				fputs(" ", f);
				conf_put_word(f, lyd_get_value(node));
			}
		}
		fclose(f);
	}
	if (stmt && *stmt)
		conf_errf(err, errlen, "[edit%s%s] '%s': %s", where && *where ? " " : "",
		          where ? where : "", stmt, text);
	else
		conf_errf(err, errlen, "[edit%s%s] %s", where && *where ? " " : "",
		          where ? where : "", text);
	free(where);
	free(stmt);
}

int conf_expand(const struct conf *c, struct lyd_node **tree, char *err, size_t errlen)
{
	static uint32_t opt = LY_LOSTORE;
	int rc = 0;

	ly_temp_log_options(&opt);
	if (conf_expand_raw(c, false, tree, err, errlen)) {
		ly_temp_log_options(NULL);
		return -1;
	}
	ly_err_clean(c->cx->ly, NULL);
	if (lyd_validate_all(tree, c->cx->ly, LYD_VALIDATE_NO_STATE, NULL)) {
		conf_validation_err(c->cx, *tree, err, errlen);
		lyd_free_siblings(*tree);
		*tree = NULL;
		rc = -1;
	}
	ly_err_clean(c->cx->ly, NULL);
	ly_temp_log_options(NULL);
	return rc;
}

int conf_validate(const struct conf *c, char *err, size_t errlen)
{
	struct lyd_node *t = NULL;
	int rc = conf_expand(c, &t, err, errlen);

	lyd_free_siblings(t);
	return rc;
}

static bool conf_has_data(const struct lyd_node *first)
{
	const struct lyd_node *x;

	for (x = first; x; x = x->next)
		if (!conf_is_np_container(x->schema) || conf_has_data(lyd_child(x)))
			return true;
	return false;
}

int conf_subtree_json(struct lyd_node *expanded, const char *const *paths, size_t n, char **json,
                      char *err, size_t errlen)
{
	static uint32_t opt = LY_LOSTORE;
	struct lyd_node *out = NULL;
	size_t i;
	int rc = 0;

	*json = NULL;
	ly_temp_log_options(&opt);
	for (i = 0; rc == 0 && expanded && i < n; i++) {
		struct ly_set *set = NULL;
		uint32_t k;

		if (lyd_find_xpath(expanded, paths[i], &set)) {
			conf_errf(err, errlen, "bad path '%s'", paths[i]);
			rc = -1;
			break;
		}
		for (k = 0; k < set->count; k++) {
			struct lyd_node *dup = NULL, *top;

			if (lyd_dup_single(set->dnodes[k], NULL,
			                   LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS, &dup)) {
				rc = -1;
				break;
			}
			for (top = dup; lyd_parent(top);)
				top = lyd_parent(top);
			if (lyd_merge_siblings(&out, top, LYD_MERGE_DESTRUCT)) {
				lyd_free_siblings(top);
				rc = -1;
				break;
			}
		}
		ly_set_free(set, NULL);
		if (rc)
			conf_errf(err, errlen, "out of memory");
	}
	if (rc == 0) {
		/* Containers that only hold defaults of nothing print as "{ }"; say {}. */
		if (!out || !conf_has_data(out))
			*json = strdup("{}");
		else if (lyd_print_mem(json, out, LYD_JSON,
		                       LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL))
			rc = -1;
		if (!*json) {
			conf_errf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	lyd_free_siblings(out);
	ly_temp_log_options(NULL);
	return rc;
}
