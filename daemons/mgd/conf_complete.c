/*
 * conf_complete.c — TAB and `?` in configuration mode, from the schema:
 * keywords with the first sentence of their description, value placeholders
 * (`<vlan-id>` with its range in the help), enum values, `[` / `]` for
 * leaf-lists, and what is already configured (list keys, leaf-list values)
 * for delete, edit, show and (de)activate.
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

struct conf_cmp {
	const struct conf *c;
	conf_choice_fn fn;
	void *arg;
	bool existing_only; /* delete / show / edit / activate / deactivate */
	bool edit;          /* edit: containers and list entries only */
};

/* container: more words follow (the value is a list key). */
static void conf_cmp_enums(struct conf_cmp *q, const struct lysc_type *t, bool container)
{
	LY_ARRAY_COUNT_TYPE u;

	switch (t->basetype) {
	case LY_TYPE_ENUM: {
		const struct lysc_type_enum *e = (const struct lysc_type_enum *)t;

		LY_ARRAY_FOR(e->enums, u)
		{
			char *h = NULL;
			const char *d = e->enums[u].dsc;

			if (d) {
				/* first sentence only */
				const char *dot = strstr(d, ". ");
				size_t n = dot ? (size_t)(dot - d) : strlen(d);

				h = strndup(d, n);
				if (h && n && h[n - 1] == '.')
					h[n - 1] = '\0';
				for (char *x = h; x && *x; x++)
					if (*x == '\n')
						*x = ' ';
			}
			q->fn(q->arg, e->enums[u].name, h ? h : "", false, container);
			free(h);
		}
		break;
	}
	case LY_TYPE_BOOL:
		q->fn(q->arg, "false", "", false, container);
		q->fn(q->arg, "true", "", false, container);
		break;
	case LY_TYPE_UNION: {
		const struct lysc_type_union *un = (const struct lysc_type_union *)t;

		LY_ARRAY_FOR(un->types, u)
		conf_cmp_enums(q, un->types[u], container);
		break;
	}
	default:
		break;
	}
}

static bool conf_cmp_has_free_value(const struct lysc_type *t)
{
	LY_ARRAY_COUNT_TYPE u;

	if (t->basetype == LY_TYPE_ENUM || t->basetype == LY_TYPE_BOOL)
		return false;
	if (t->basetype == LY_TYPE_UNION) {
		const struct lysc_type_union *un = (const struct lysc_type_union *)t;

		LY_ARRAY_FOR(un->types, u)
		if (conf_cmp_has_free_value(un->types[u]))
			return true;
		return false;
	}
	return true;
}

static void conf_cmp_placeholder(struct conf_cmp *q, const struct lysc_node *leaf,
                                 const struct conf_sinfo *si)
{
	char range[128], help[512];
	const struct lysc_type *t = ((const struct lysc_node_leaf *)leaf)->type;

	if (!conf_cmp_has_free_value(t))
		return;
	conf_range_text(leaf, range, sizeof(range));
	if (range[0])
		snprintf(help, sizeof(help), "%s (%s)", si && si->help ? si->help : "", range);
	else
		snprintf(help, sizeof(help), "%s", si && si->help ? si->help : "");
	q->fn(q->arg, si && si->ph ? si->ph : leaf->name, help, true, false);
}

/* A new list entry's key: its placeholder, or its enum values when that is
 * all it can be (syslog `file messages <facility>`, `rib inet6.0`). */
static void conf_cmp_key(struct conf_cmp *q, const struct lysc_node *list,
                         const struct conf_sinfo *li)
{
	const struct lysc_type *t = ((const struct lysc_node_leaf *)lysc_node_child(list))->type;

	if (q->existing_only)
		return;
	if (conf_cmp_has_free_value(t))
		q->fn(q->arg, li->ph, li->help, true, true);
	conf_cmp_enums(q, t, true);
}

static void conf_cmp_existing(struct conf_cmp *q, const struct lyd_node *first,
                              const struct lysc_node *s, const char *help)
{
	struct lyd_node *x = NULL;

	if (!first || lyd_find_sibling_val(first, s, NULL, 0, &x) || !x)
		return;
	for (; x && x->schema == s; x = x->next)
		q->fn(q->arg, s->nodetype == LYS_LIST ? conf_key(x) : lyd_get_value(x), help, false,
		      s->nodetype == LYS_LIST);
}

/* The data node at the level the steps reach (NULL = top level / absent). */
static const struct lyd_node *conf_cmp_level(const struct conf *c, const struct conf_res *res,
                                             const struct lyd_node **first, bool *absent)
{
	const struct lyd_node *d = NULL, *f = c->tree;
	size_t i;

	*absent = false;
	for (i = 0; i < res->n; i++) {
		const struct conf_step *st = &res->steps[i];
		struct lyd_node *m = NULL;
		char pred[512];

		if (st->kind == CONF_STEP_GROUP) {
			size_t k;

			f = NULL;
			for (k = 0; k < c->n_groups; k++)
				if (!strcmp(c->groups[k].name, st->val))
					f = c->groups[k].tree;
			continue;
		}
		if (st->kind != CONF_STEP_NODE || !(st->s->nodetype & (LYS_CONTAINER | LYS_LIST)))
			continue;
		if (!f) {
			*absent = true;
			break;
		}
		if (st->s->nodetype == LYS_LIST) {
			snprintf(pred, sizeof(pred), "[%s='%s']", lysc_node_child(st->s)->name,
			         st->val);
			lyd_find_sibling_val(f, st->s, pred, strlen(pred), &m);
		} else {
			lyd_find_sibling_val(f, st->s, NULL, 0, &m);
		}
		if (!m) {
			*absent = true;
			f = NULL;
			break;
		}
		d = m;
		f = lyd_child(m);
	}
	*first = f;
	return d;
}

int conf_complete(const struct conf *c, const char *verb, const char *const *path, size_t n_path,
                  const char *const *words, size_t n_words, conf_choice_fn fn, void *arg)
{
	static uint32_t opt = LY_LOSTORE;
	struct conf_cmp q = {.c = c, .fn = fn, .arg = arg};
	struct conf_res res = {0};
	struct conf_word *w;
	const struct lyd_node *first, *level;
	const struct conf_sinfo *si;
	char err[CONF_ERR_LEN];
	bool absent;
	size_t i, n = n_path + n_words;
	int rc = 0;

	q.edit = !strcmp(verb, "edit");
	q.existing_only = strcmp(verb, "set") && !q.edit;
	w = calloc(n + 1, sizeof(*w));
	if (!w)
		return -1;
	for (i = 0; i < n_path; i++)
		w[i].s = path[i];
	for (i = 0; i < n_words; i++)
		w[n_path + i].s = words[i];
	ly_temp_log_options(&opt);
	if (conf_resolve(c->cx, NULL, true, w, n, CONF_RES_PARTIAL, &res, err, sizeof(err))) {
		rc = -1;
		goto out;
	}
	level = conf_cmp_level(c, &res, &first, &absent);
	(void)level;
	switch (res.expect) {
	case CONF_EXPECT_STMT:
		si = conf_info(c->cx, res.at);
		if (!si)
			break;
		if (!res.at && !res.in_group)
			fn(arg, "groups", "Configuration groups", false, true);
		if (!q.edit && (res.at || res.in_group || !res.in_group))
			fn(arg, "apply-groups", "Groups from which to inherit configuration data",
			   false, false);
		for (i = 0; i < si->n_kids; i++) {
			const struct lysc_node *k = si->kids[i];
			const struct conf_sinfo *ki = conf_info(c->cx, k);
			struct lyd_node *m = NULL;

			if (k == si->implicit || lysc_is_key(k))
				continue;
			if (q.edit && !(k->nodetype & (LYS_CONTAINER | LYS_LIST)))
				continue;
			if (q.existing_only &&
			    (!first || lyd_find_sibling_val(first, k, NULL, 0, &m) || !m))
				continue;
			fn(arg, k->name, ki ? ki->help : "", false,
			   (k->nodetype & (LYS_CONTAINER | LYS_LIST)) != 0);
		}
		if (si->implicit) {
			const struct conf_sinfo *li = conf_info(c->cx, si->implicit);

			conf_cmp_key(&q, si->implicit, li);
			conf_cmp_existing(&q, first, si->implicit, li->help);
		}
		break;
	case CONF_EXPECT_KEY: {
		const struct conf_sinfo *li = conf_info(c->cx, res.want);

		conf_cmp_key(&q, res.want, li);
		conf_cmp_existing(&q, first, res.want, li->help);
		break;
	}
	case CONF_EXPECT_VALUE:
	case CONF_EXPECT_LLIST: {
		const struct conf_sinfo *li = conf_info(c->cx, res.want);
		const struct lysc_type *t = ((const struct lysc_node_leaf *)res.want)->type;

		if (q.existing_only) {
			conf_cmp_existing(&q, first, res.want, li->help);
			break;
		}
		if (res.expect == CONF_EXPECT_VALUE && res.want->nodetype == LYS_LEAFLIST)
			fn(arg, "[", "Open a set of values", false, false);
		if (res.expect == CONF_EXPECT_LLIST)
			fn(arg, "]", "Close a set of values", false, false);
		conf_cmp_enums(&q, t, false);
		conf_cmp_placeholder(&q, res.want, li);
		break;
	}
	case CONF_EXPECT_GROUP:
	case CONF_EXPECT_APPLY:
	case CONF_EXPECT_APPLY_LIST:
		if (!q.existing_only && res.expect == CONF_EXPECT_GROUP)
			fn(arg, "<group-name>", "Group name", true, true);
		if (res.expect == CONF_EXPECT_APPLY_LIST)
			fn(arg, "]", "Close a set of values", false, false);
		else if (res.expect == CONF_EXPECT_APPLY && !q.existing_only)
			fn(arg, "[", "Open a set of values", false, false);
		for (i = 0; i < c->n_groups; i++)
			fn(arg, c->groups[i].name, "Group", false, res.expect == CONF_EXPECT_GROUP);
		break;
	}
out:
	ly_temp_log_options(NULL);
	conf_res_free(&res);
	free(w);
	return rc;
}
