/*
 * conf_edit.c — the word resolver shared by set / delete / (de)activate /
 * load / completion, and the edits themselves. Resolution only reads the
 * schema, so an edit is checked whole before any data changes (Junos: a
 * command either applies completely or not at all).
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

static uint32_t conf_logopt = LY_LOSTORE;

/* ---------------------------------------------------------------- resolver */

static int conf_res_push(struct conf_res *res, enum conf_step_kind kind, const struct lysc_node *s,
                         const char *val, size_t word)
{
	if (res->n == res->cap) {
		size_t ncap = res->cap ? res->cap * 2 : 16;
		struct conf_step *ns = realloc(res->steps, ncap * sizeof(*ns));

		if (!ns)
			return -1;
		res->steps = ns;
		res->cap = ncap;
	}
	res->steps[res->n++] = (struct conf_step){kind, s, val, word};
	return 0;
}

void conf_res_free(struct conf_res *res)
{
	free(res->steps);
	memset(res, 0, sizeof(*res));
}

static bool conf_word_is(const struct conf_word *w, const char *s)
{
	return !w->quoted && !strcmp(w->s, s);
}

static const struct lysc_node *conf_keyword(const struct conf_sinfo *si, const char *w,
                                            bool *ambiguous)
{
	const struct lysc_node *hit = NULL;
	size_t i, wl = strlen(w), nhit = 0;

	*ambiguous = false;
	for (i = 0; i < si->n_kids; i++) {
		const struct lysc_node *k = si->kids[i];

		if (k == si->implicit)
			continue;
		if (!strcmp(k->name, w))
			return k;
	}
	if (si->implicit || !wl)
		return NULL;
	/* Unique prefix abbreviation, as the Junos CLI accepts (`set int eth1 un 0`). */
	for (i = 0; i < si->n_kids; i++)
		if (!strncmp(si->kids[i]->name, w, wl)) {
			hit = si->kids[i];
			nhit++;
		}
	if (nhit > 1)
		*ambiguous = true;
	return nhit == 1 ? hit : NULL;
}

static int conf_check_value(const struct conf_ctx *cx, const struct lysc_node *s, const char *v,
                            char *err, size_t errlen)
{
	LY_ERR r;

	ly_err_clean(cx->ly, NULL);
	r = lyd_value_validate(cx->ly, s, v, strlen(v), NULL, NULL, NULL);
	if (r == LY_SUCCESS || r == LY_EINCOMPLETE)
		return 0;
	conf_value_err(cx, s, v, err, errlen);
	return -1;
}

static const char *conf_expect_name(const struct conf_ctx *cx, const struct lysc_node *s)
{
	const struct conf_sinfo *si = conf_info(cx, s);

	return si && si->ph ? si->ph : s->name;
}

/* Group names follow Junos: letters, digits, '-', '_', '.', and the literal
 * "${node}" that expands to the cluster node's name. */
static bool conf_group_name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (!len || len > 63)
		return false;
	if (!strcmp(n, "${node}"))
		return true;
	for (i = 0; i < len; i++) {
		char ch = n[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	return true;
}

/*
 * Turns words into steps along the schema (see yang/README.md "How the CLI
 * maps Junos syntax onto the schema"). A container or list descends; a leaf
 * keeps the level, so `weight 100 interface reth0.0` sets two siblings as
 * Junos allows. Nothing here touches data, so an edit can be checked whole
 * before it is applied.
 */
int conf_resolve(const struct conf_ctx *cx, const struct lysc_node *start, bool start_root_main,
                 const struct conf_word *w, size_t n, enum conf_res_mode mode, struct conf_res *res,
                 char *err, size_t errlen)
{
	const struct lysc_node *at = start;
	bool root_main = start_root_main && !start;
	bool partial = mode == CONF_RES_PARTIAL;
	size_t i = 0;

	res->at = at;
	res->expect = CONF_EXPECT_STMT;
	res->want = NULL;
	res->last_stmt = 0;
	while (i < n) {
		const struct conf_sinfo *si = conf_info(cx, at);
		const struct lysc_node *k;
		bool amb = false; /* a quoted word is never a keyword */

		res->last_stmt = res->n;
		if (!si) {
			conf_errf(err, errlen, "syntax error at '%s'", w[i].s);
			return -1;
		}
		if (root_main && !at && conf_word_is(&w[i], "groups")) {
			if (i + 1 >= n) {
				res->expect = CONF_EXPECT_GROUP;
				if (partial || mode == CONF_RES_DELETE)
					return 0;
				conf_errf(err, errlen, "syntax error, expecting <group-name>");
				return -1;
			}
			if (!conf_group_name_ok(w[i + 1].s)) {
				conf_errf(err, errlen, "invalid group name '%s'", w[i + 1].s);
				return -1;
			}
			if (conf_res_push(res, CONF_STEP_GROUP, NULL, w[i + 1].s, i + 1))
				goto nomem;
			root_main = false;
			res->in_group = true;
			i += 2;
			continue;
		}
		if (conf_word_is(&w[i], "apply-groups")) {
			if (res->in_group && !at) {
				conf_errf(err, errlen,
				          "apply-groups is not allowed at the top of a group");
				return -1;
			}
			if (mode == CONF_RES_PATH) {
				conf_errf(err, errlen, "syntax error at 'apply-groups'");
				return -1;
			}
			i++;
			if (i >= n) {
				res->expect = CONF_EXPECT_APPLY;
				if (partial || mode == CONF_RES_DELETE) {
					if (!partial &&
					    conf_res_push(res, CONF_STEP_APPLY, NULL, NULL, i - 1))
						goto nomem;
					return 0;
				}
				conf_errf(err, errlen, "syntax error, expecting <group-name>");
				return -1;
			}
			if (conf_word_is(&w[i], "[")) {
				for (i++; i < n && !conf_word_is(&w[i], "]"); i++) {
					if (!conf_group_name_ok(w[i].s)) {
						conf_errf(err, errlen, "invalid group name '%s'",
						          w[i].s);
						return -1;
					}
					if (conf_res_push(res, CONF_STEP_APPLY, NULL, w[i].s, i))
						goto nomem;
				}
				if (i >= n) {
					res->expect = CONF_EXPECT_APPLY_LIST;
					if (partial)
						return 0;
					conf_errf(err, errlen, "syntax error, expecting ']'");
					return -1;
				}
				i++;
				continue;
			}
			if (!conf_group_name_ok(w[i].s)) {
				conf_errf(err, errlen, "invalid group name '%s'", w[i].s);
				return -1;
			}
			if (conf_res_push(res, CONF_STEP_APPLY, NULL, w[i].s, i))
				goto nomem;
			i++;
			continue;
		}
		k = w[i].quoted ? NULL : conf_keyword(si, w[i].s, &amb);
		if (!k && si->implicit) {
			/* Implicit-keyword list: the word is the key (`interfaces eth1`). The
			 * list's own keyword is skipped where it cannot be a key itself, so
			 * that configs saved before the list became implicit still load
			 * (`contents any notice`). */
			const struct lysc_node *key = lysc_node_child(si->implicit);
			size_t kw = 0;

			if (!w[i].quoted && i + 1 < n && !strcmp(w[i].s, si->implicit->name)) {
				LY_ERR r = lyd_value_validate(cx->ly, key, w[i].s, strlen(w[i].s),
				                              NULL, NULL, NULL);

				kw = r != LY_SUCCESS && r != LY_EINCOMPLETE;
			}
			if (conf_check_value(cx, key, w[i + kw].s, err, errlen))
				return -1;
			if (conf_res_push(res, CONF_STEP_NODE, si->implicit, w[i + kw].s, i))
				goto nomem;
			at = si->implicit;
			i += 1 + kw;
			continue;
		}
		if (!k) {
			if (partial && i + 1 == n) {
				res->at = at;
				return -1;
			}
			if (amb)
				conf_errf(err, errlen, "syntax error, '%s' is ambiguous", w[i].s);
			else
				conf_errf(err, errlen, "syntax error at '%s'", w[i].s);
			return -1;
		}
		switch (k->nodetype) {
		case LYS_CONTAINER:
			if (conf_res_push(res, CONF_STEP_NODE, k, NULL, i))
				goto nomem;
			at = k;
			i++;
			break;
		case LYS_LIST:
			if (i + 1 >= n) {
				res->expect = CONF_EXPECT_KEY;
				res->want = k;
				res->at = at;
				if (partial)
					return 0;
				if (mode == CONF_RES_DELETE) {
					if (conf_res_push(res, CONF_STEP_NODE, k, NULL, i))
						goto nomem;
					return 0;
				}
				conf_errf(err, errlen, "syntax error, expecting %s",
				          conf_expect_name(cx, k));
				return -1;
			}
			if (conf_check_value(cx, lysc_node_child(k), w[i + 1].s, err, errlen))
				return -1;
			if (conf_res_push(res, CONF_STEP_NODE, k, w[i + 1].s, i))
				goto nomem;
			at = k;
			i += 2;
			break;
		case LYS_LEAF:
			if (mode == CONF_RES_PATH) {
				conf_errf(err, errlen, "syntax error at '%s': not a container",
				          w[i].s);
				return -1;
			}
			if (((const struct lysc_node_leaf *)k)->type->basetype == LY_TYPE_EMPTY) {
				if (conf_res_push(res, CONF_STEP_NODE, k, NULL, i))
					goto nomem;
				i++;
				break;
			}
			if (i + 1 >= n) {
				res->expect = CONF_EXPECT_VALUE;
				res->want = k;
				res->at = at;
				if (partial)
					return 0;
				if (mode == CONF_RES_DELETE) {
					if (conf_res_push(res, CONF_STEP_NODE, k, NULL, i))
						goto nomem;
					return 0;
				}
				conf_errf(err, errlen, "syntax error, expecting %s",
				          conf_expect_name(cx, k));
				return -1;
			}
			if (conf_check_value(cx, k, w[i + 1].s, err, errlen))
				return -1;
			if (conf_res_push(res, CONF_STEP_NODE, k, w[i + 1].s, i))
				goto nomem;
			i += 2;
			break;
		case LYS_LEAFLIST:
			if (mode == CONF_RES_PATH) {
				conf_errf(err, errlen, "syntax error at '%s': not a container",
				          w[i].s);
				return -1;
			}
			if (i + 1 >= n) {
				res->expect = CONF_EXPECT_VALUE;
				res->want = k;
				res->at = at;
				if (partial)
					return 0;
				if (mode == CONF_RES_DELETE) {
					if (conf_res_push(res, CONF_STEP_NODE, k, NULL, i))
						goto nomem;
					return 0;
				}
				conf_errf(err, errlen, "syntax error, expecting %s",
				          conf_expect_name(cx, k));
				return -1;
			}
			if (conf_word_is(&w[i + 1], "[")) {
				size_t j;

				for (j = i + 2; j < n && !conf_word_is(&w[j], "]"); j++) {
					if (conf_check_value(cx, k, w[j].s, err, errlen))
						return -1;
					if (conf_res_push(res, CONF_STEP_NODE, k, w[j].s, j))
						goto nomem;
				}
				if (j >= n) {
					res->expect = CONF_EXPECT_LLIST;
					res->want = k;
					res->at = at;
					if (partial)
						return 0;
					conf_errf(err, errlen, "syntax error, expecting ']'");
					return -1;
				}
				i = j + 1;
				break;
			}
			if (conf_check_value(cx, k, w[i + 1].s, err, errlen))
				return -1;
			if (conf_res_push(res, CONF_STEP_NODE, k, w[i + 1].s, i))
				goto nomem;
			i += 2;
			break;
		default:
			conf_errf(err, errlen, "syntax error at '%s'", w[i].s);
			return -1;
		}
		res->at = at;
	}
	res->at = at;
	res->expect = CONF_EXPECT_STMT;
	res->want = NULL;
	return 0;
nomem:
	conf_errf(err, errlen, "out of memory");
	return -1;
}

/* ---------------------------------------------------------------- apply */

static int conf_find_child(struct conf_pos *pos, const struct lysc_node *s, const char *val,
                           struct lyd_node **out)
{
	struct lyd_node *first = pos->d ? lyd_child(pos->d) : *conf_pos_first(pos);
	char pred[512];

	*out = NULL;
	if (!first)
		return -1;
	if (s->nodetype == LYS_LIST) {
		const char *q = strchr(val, '\'') ? "\"" : "'";
		int k;

		if (strchr(val, '\'') && strchr(val, '"'))
			return -1;
		k = snprintf(pred, sizeof(pred), "[%s=%s%s%s]", lysc_node_child(s)->name, q, val,
		             q);
		if (k < 0 || (size_t)k >= sizeof(pred))
			return -1;
		return lyd_find_sibling_val(first, s, pred, strlen(pred), out) ? -1 : 0;
	}
	if (s->nodetype == LYS_LEAFLIST && val)
		return lyd_find_sibling_val(first, s, val, strlen(val), out) ? -1 : 0;
	return lyd_find_sibling_val(first, s, NULL, 0, out) ? -1 : 0;
}

/* Junos: setting a node of one case of a choice deletes the other cases' nodes. */
static void conf_clear_other_cases(struct conf_pos *pos, struct lyd_node *d)
{
	const struct lysc_node *cs = d->schema, *ch;

	for (; cs->parent && (cs->parent->nodetype & (LYS_CASE | LYS_CHOICE)); cs = cs->parent) {
		struct lyd_node *x, *next;

		if (cs->parent->nodetype != LYS_CHOICE)
			continue;
		ch = cs->parent;
		for (x = lyd_first_sibling(d); x; x = next) {
			const struct lysc_node *p = x->schema;

			next = x->next;
			if (x == d || !p)
				continue;
			while (p->parent && p->parent != ch)
				p = p->parent;
			if (p->parent == ch && p != cs)
				conf_node_free(conf_pos_first(pos), x);
		}
	}
}

static int conf_apply_names(struct conf_pos *pos, const char *name, bool add)
{
	struct conf *c = pos->c;
	char **names;
	size_t n, i;
	int rc = 0;

	if (!pos->d) {
		if (pos->grp)
			return -1;
		for (i = 0; i < c->n_apply; i++)
			if (!strcmp(c->apply[i], name))
				break;
		if (add && i == c->n_apply)
			return conf_strv_add(&c->apply, &c->n_apply, name);
		if (!add && i < c->n_apply) {
			free(c->apply[i]);
			memmove(&c->apply[i], &c->apply[i + 1],
			        (c->n_apply - i - 1) * sizeof(*c->apply));
			c->n_apply--;
		}
		return 0;
	}
	n = conf_apply_get(c->cx, pos->d, &names);
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			break;
	if (add && i == n) {
		rc = conf_strv_add(&names, &n, name);
		if (!rc)
			rc = conf_apply_set_list(c->cx, pos->d, names, n);
	} else if (!add && i < n) {
		free(names[i]);
		memmove(&names[i], &names[i + 1], (n - i - 1) * sizeof(*names));
		n--;
		rc = conf_apply_set_list(c->cx, pos->d, names, n);
	}
	conf_strv_free(names, n);
	return rc;
}

int conf_apply_set(struct conf_pos *pos, const struct conf_res *res, size_t from,
                   struct lyd_node **last, char *err, size_t errlen)
{
	size_t i;

	if (last)
		*last = NULL;
	for (i = from; i < res->n; i++) {
		const struct conf_step *st = &res->steps[i];
		const struct lysc_node *s = st->s;
		struct lyd_node *m = NULL;
		LY_ERR r = LY_SUCCESS;

		if (st->kind == CONF_STEP_GROUP) {
			pos->grp = conf_group_get(pos->c, st->val, true);
			pos->d = NULL;
			pos->s = NULL;
			if (!pos->grp)
				goto nomem;
			continue;
		}
		if (st->kind == CONF_STEP_APPLY) {
			if (conf_apply_names(pos, st->val, true)) {
				conf_errf(err, errlen, "apply-groups is not allowed here");
				return -1;
			}
			continue;
		}
		conf_find_child(pos, s, st->val, &m);
		if (!m) {
			switch (s->nodetype) {
			case LYS_CONTAINER:
				r = lyd_new_inner(pos->d, s->module, s->name, 0, &m);
				break;
			case LYS_LIST:
				r = lyd_new_list(pos->d, s->module, s->name, 0, &m, st->val);
				break;
			default:
				r = lyd_new_term(pos->d, s->module, s->name, st->val ? st->val : "",
				                 0, &m);
				break;
			}
			if (r || !m) {
				conf_value_err(pos->c->cx, s, st->val ? st->val : "", err, errlen);
				return -1;
			}
			if (!pos->d) {
				struct lyd_node **first = conf_pos_first(pos);

				if (!*first)
					*first = m;
				else if (lyd_insert_sibling(*first, m, first))
					goto nomem;
			}
		} else if (s->nodetype == LYS_LEAF && st->val) {
			r = lyd_change_term(m, st->val);
			if (r != LY_SUCCESS && r != LY_EEXIST && r != LY_ENOT) {
				conf_value_err(pos->c->cx, s, st->val, err, errlen);
				return -1;
			}
		}
		if (s->parent && (s->parent->nodetype & LYS_CASE))
			conf_clear_other_cases(pos, m);
		if (s->nodetype & (LYS_CONTAINER | LYS_LIST)) {
			pos->d = m;
			pos->s = s;
		}
		if (last)
			*last = m;
	}
	return 0;
nomem:
	conf_errf(err, errlen, "out of memory");
	return -1;
}

int conf_find_target(struct conf_pos *pos, const struct conf_res *res, struct lyd_node **node,
                     struct conf_group **grp)
{
	size_t i;

	*node = NULL;
	if (grp)
		*grp = NULL;
	for (i = 0; i < res->n; i++) {
		const struct conf_step *st = &res->steps[i];
		struct lyd_node *m;

		if (st->kind == CONF_STEP_GROUP) {
			pos->grp = conf_group_get(pos->c, st->val, false);
			pos->d = NULL;
			pos->s = NULL;
			if (!pos->grp)
				return -1;
			if (grp && i + 1 == res->n)
				*grp = pos->grp;
			continue;
		}
		if (st->kind == CONF_STEP_APPLY)
			return i + 1 == res->n ? 0 : -1;
		if (st->s->nodetype == LYS_LIST && !st->val) {
			/* `delete interfaces eth1 unit`: every entry; report the first. */
			struct lyd_node *first = pos->d ? lyd_child(pos->d) : *conf_pos_first(pos);

			if (!first || lyd_find_sibling_val(first, st->s, NULL, 0, &m))
				return -1;
		} else if (conf_find_child(pos, st->s, st->val, &m) || !m) {
			return -1;
		}
		if (i + 1 == res->n) {
			*node = m;
			return 0;
		}
		if (st->s->nodetype & (LYS_CONTAINER | LYS_LIST)) {
			pos->d = m;
			pos->s = st->s;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- public edits */

static int conf_words(const char *const *a, size_t na, const char *const *b, size_t nb,
                      struct conf_word **out)
{
	struct conf_word *w = calloc(na + nb + 1, sizeof(*w));
	size_t i;

	if (!w)
		return -1;
	for (i = 0; i < na; i++)
		w[i].s = a[i];
	for (i = 0; i < nb; i++)
		w[na + i].s = b[i];
	*out = w;
	return 0;
}

int conf_set(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
             size_t n_words, char *err, size_t errlen)
{
	struct conf_res res = {0};
	struct conf_pos pos = {.c = c};
	struct conf_word *w;
	int rc;

	if (conf_words(path, n_path, words, n_words, &w)) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	ly_temp_log_options(&conf_logopt);
	rc = conf_resolve(c->cx, NULL, true, w, n_path + n_words, CONF_RES_SET, &res, err, errlen);
	/* A bare non-presence container sets nothing (`set interfaces eth1 unit 0 family`). */
	if (!rc && (res.n == 0 || (res.steps[res.n - 1].kind == CONF_STEP_NODE &&
	                           conf_is_np_container(res.steps[res.n - 1].s)))) {
		conf_errf(err, errlen, "syntax error, expecting <statement>");
		rc = -1;
	}
	if (!rc)
		rc = conf_apply_set(&pos, &res, 0, NULL, err, errlen);
	ly_temp_log_options(NULL);
	conf_res_free(&res);
	free(w);
	return rc;
}

static void conf_delete_all(struct conf_pos *pos)
{
	struct lyd_node *x, *next;

	if (!pos->d) {
		if (pos->grp) {
			lyd_free_siblings(pos->grp->tree);
			pos->grp->tree = NULL;
			return;
		}
		lyd_free_siblings(pos->c->tree);
		pos->c->tree = NULL;
		conf_strv_free(pos->c->apply, pos->c->n_apply);
		pos->c->apply = NULL;
		pos->c->n_apply = 0;
		return;
	}
	for (x = lyd_child(pos->d); x; x = next) {
		next = x->next;
		if (!lysc_is_key(x->schema))
			lyd_free_tree(x);
	}
	conf_apply_set_list(pos->c->cx, pos->d, NULL, 0);
}

static void conf_group_remove(struct conf *c, struct conf_group *g)
{
	size_t i = (size_t)(g - c->groups);

	free(g->name);
	lyd_free_siblings(g->tree);
	memmove(&c->groups[i], &c->groups[i + 1], (c->n_groups - i - 1) * sizeof(*g));
	c->n_groups--;
}

int conf_delete(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
                size_t n_words, char *err, size_t errlen)
{
	struct conf_res res = {0};
	struct conf_pos pos = {.c = c};
	struct conf_word *w;
	struct lyd_node *target, *parent, **first;
	struct conf_group *grp;
	const struct conf_step *last;
	int rc = -1;

	if (conf_words(path, n_path, words, n_words, &w)) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	ly_temp_log_options(&conf_logopt);
	if (conf_resolve(c->cx, NULL, true, w, n_path + n_words, CONF_RES_DELETE, &res, err,
	                 errlen))
		goto out;
	if (res.n == 0) {
		conf_delete_all(&pos);
		rc = 0;
		goto out;
	}
	if (conf_find_target(&pos, &res, &target, &grp)) {
		conf_errf(err, errlen, "warning: statement not found");
		goto out;
	}
	last = &res.steps[res.n - 1];
	first = conf_pos_first(&pos);
	if (grp) {
		conf_group_remove(c, grp);
		rc = 0;
		goto out;
	}
	if (last->kind == CONF_STEP_GROUP) {
		/* `delete groups G` after the path: the whole group (handled above) or
		 * everything in it when the path was `groups G` itself. */
		conf_delete_all(&pos);
		rc = 0;
		goto out;
	}
	if (last->kind == CONF_STEP_APPLY) {
		if (!last->val) {
			if (pos.d)
				conf_apply_set_list(c->cx, pos.d, NULL, 0);
			else if (!pos.grp) {
				conf_strv_free(c->apply, c->n_apply);
				c->apply = NULL;
				c->n_apply = 0;
			}
			rc = 0;
			goto out;
		}
		if (pos.d ? !lyd_find_meta(pos.d->meta, c->cx->meta, "apply-groups")
		          : c->n_apply == 0) {
			conf_errf(err, errlen, "warning: statement not found");
			goto out;
		}
		{
			char **names = NULL;
			size_t n = 0, i;
			bool found = false;

			if (pos.d)
				n = conf_apply_get(c->cx, pos.d, &names);
			for (i = 0; i < (pos.d ? n : c->n_apply); i++)
				if (!strcmp(pos.d ? names[i] : c->apply[i], last->val))
					found = true;
			conf_strv_free(names, n);
			if (!found) {
				conf_errf(err, errlen, "warning: statement not found");
				goto out;
			}
		}
		conf_apply_names(&pos, last->val, false);
		rc = 0;
		goto out;
	}
	parent = lyd_parent(target);
	if ((last->s->nodetype == LYS_LEAFLIST || last->s->nodetype == LYS_LIST) && !last->val) {
		struct lyd_node *x, *next;

		for (x = lyd_first_sibling(target); x; x = next) {
			next = x->next;
			if (x->schema == last->s)
				conf_node_free(first, x);
		}
	} else if (lysc_is_key(target->schema)) {
		conf_errf(err, errlen, "syntax error: a list key cannot be deleted");
		goto out;
	} else {
		conf_node_free(first, target);
	}
	conf_prune_empty(first, parent);
	rc = 0;
out:
	ly_temp_log_options(NULL);
	conf_res_free(&res);
	free(w);
	return rc;
}

int conf_activate(struct conf *c, const char *const *path, size_t n_path, const char *const *words,
                  size_t n_words, bool active, char *err, size_t errlen)
{
	struct conf_res res = {0};
	struct conf_pos pos = {.c = c};
	struct conf_word *w;
	struct lyd_node *target;
	struct conf_group *grp;
	const struct conf_step *last;
	int rc = -1;

	if (conf_words(path, n_path, words, n_words, &w)) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	ly_temp_log_options(&conf_logopt);
	if (conf_resolve(c->cx, NULL, true, w, n_path + n_words, CONF_RES_DELETE, &res, err,
	                 errlen))
		goto out;
	if (res.n == 0) {
		conf_errf(err, errlen, "syntax error, expecting <statement>");
		goto out;
	}
	if (conf_find_target(&pos, &res, &target, &grp)) {
		conf_errf(err, errlen, "warning: statement not found");
		goto out;
	}
	last = &res.steps[res.n - 1];
	if (grp) {
		grp->inactive = !active;
		rc = 0;
		goto out;
	}
	if (last->kind != CONF_STEP_NODE || !target) {
		conf_errf(err, errlen, "syntax error: apply-groups cannot be %s",
		          active ? "activated" : "deactivated");
		goto out;
	}
	if (lysc_is_key(target->schema)) {
		conf_errf(err, errlen, "syntax error: a list key cannot be %s",
		          active ? "activated" : "deactivated");
		goto out;
	}
	rc = 0;
	if ((last->s->nodetype & (LYS_LEAFLIST | LYS_LIST)) && !last->val) {
		struct lyd_node *x;

		for (x = lyd_first_sibling(target); x; x = x->next)
			if (x->schema == last->s && conf_set_inactive(c->cx, x, !active))
				rc = -1;
	} else {
		rc = conf_set_inactive(c->cx, target, !active);
	}
	if (rc)
		conf_errf(err, errlen, "out of memory");
out:
	ly_temp_log_options(NULL);
	conf_res_free(&res);
	free(w);
	return rc;
}

int conf_resolve_path(const struct conf *c, const char *const *words, size_t n, char ***out,
                      size_t *n_out, char *err, size_t errlen)
{
	struct conf_res res = {0};
	struct conf_word *w;
	size_t i;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (conf_words(words, n, NULL, 0, &w)) {
		conf_errf(err, errlen, "out of memory");
		return -1;
	}
	ly_temp_log_options(&conf_logopt);
	rc = conf_resolve(c->cx, NULL, true, w, n, CONF_RES_PATH, &res, err, errlen);
	for (i = 0; !rc && i < res.n; i++) {
		const struct conf_step *st = &res.steps[i];
		const char *canon = NULL;

		if (st->kind == CONF_STEP_GROUP) {
			rc = conf_strv_add(out, n_out, "groups") ||
			     conf_strv_add(out, n_out, st->val);
			continue;
		}
		if (!(st->s->nodetype == LYS_LIST && conf_info(c->cx, st->s)->is_implicit))
			rc = conf_strv_add(out, n_out, st->s->name);
		if (!rc && st->val) {
			lyd_value_validate(c->cx->ly, lysc_node_child(st->s), st->val,
			                   strlen(st->val), NULL, NULL, &canon);
			rc = conf_strv_add(out, n_out, canon ? canon : st->val);
			if (canon)
				lydict_remove(c->cx->ly, canon);
		}
	}
	if (rc) {
		conf_strv_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
	}
	ly_temp_log_options(NULL);
	conf_res_free(&res);
	free(w);
	return rc;
}
