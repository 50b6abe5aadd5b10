/*
 * conf.c — the libyang context and its CLI schema cache, configs (new, dup,
 * equal, groups), the keel-conf marks, and value error messages. Edits are in
 * conf_edit.c, loaders in conf_parse.c, printers and diff in conf_print.c,
 * expansion and validation in conf_expand.c, completion in conf_complete.c.
 *
 * Beside the schema a Junos config has `inactive:` marks and `apply-groups`
 * at any level. They live on the data nodes as metadata of a small internal
 * module (keel-conf, md:annotation per RFC 7952), so that libyang's dup and
 * free keep them with their node; expansion strips them before validation.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf_priv.h"

static const char conf_meta_yang[] =
        "module keel-conf {\n"
        "  yang-version 1.1;\n"
        "  namespace \"urn:keel:yang:keel-conf\";\n"
        "  prefix kc;\n"
        "  import ietf-yang-metadata { prefix md; }\n"
        "  description \"Junos marks beside the schema: inactive and apply-groups.\";\n"
        "  md:annotation inactive { type boolean; description \"inactive: mark\"; }\n"
        "  md:annotation apply-groups { type string; description \"group names, space separated\"; }\n"
        "}\n";

/* Junos `show configuration` prints the top-level hierarchies in this order. */
static const char *const conf_top_order[] = {
        "keel-system",    "keel-chassis",    "keel-services",
        "keel-security",  "keel-interfaces", "keel-routing-options",
        "keel-protocols", "keel-access",     "keel-vlans",
};

void conf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- schema cache */

static size_t conf_hash_ptr(const void *p, size_t size)
{
	uintptr_t v = (uintptr_t)p;

	v ^= v >> 17;
	v *= 0x9E3779B97F4A7C15ull;
	return (size_t)(v >> 20) & (size - 1);
}

static int conf_tab_put(struct conf_ctx *cx, struct conf_sinfo *si, size_t *count)
{
	size_t i;

	if ((*count + 1) * 2 > cx->tab_size) {
		size_t nsize = cx->tab_size ? cx->tab_size * 2 : 256;
		struct conf_sinfo **nt = calloc(nsize, sizeof(*nt));

		if (!nt)
			return -1;
		for (i = 0; i < cx->tab_size; i++) {
			if (cx->tab[i]) {
				size_t h = conf_hash_ptr(cx->tab[i]->s, nsize);

				while (nt[h])
					h = (h + 1) & (nsize - 1);
				nt[h] = cx->tab[i];
			}
		}
		free(cx->tab);
		cx->tab = nt;
		cx->tab_size = nsize;
	}
	i = conf_hash_ptr(si->s, cx->tab_size);
	while (cx->tab[i])
		i = (i + 1) & (cx->tab_size - 1);
	cx->tab[i] = si;
	(*count)++;
	return 0;
}

const struct conf_sinfo *conf_info(const struct conf_ctx *cx, const struct lysc_node *s)
{
	size_t i;

	if (!s)
		return &cx->root;
	if (!cx->tab_size)
		return NULL;
	i = conf_hash_ptr(s, cx->tab_size);
	while (cx->tab[i]) {
		if (cx->tab[i]->s == s)
			return cx->tab[i];
		i = (i + 1) & (cx->tab_size - 1);
	}
	return NULL;
}

static bool conf_has_ext(const struct lysc_node *s, const char *name)
{
	LY_ARRAY_COUNT_TYPE u;
	const struct lysp_node *p = s->priv;

	LY_ARRAY_FOR(s->exts, u)
	{
		const struct lysc_ext *def = s->exts[u].def;

		if (def && !strcmp(def->name, name) && !strcmp(def->module->name, "keel-types"))
			return true;
	}
	/* Extensions without a plugin may stay parsed-only; match "kt:name". */
	if (p) {
		LY_ARRAY_FOR(p->exts, u)
		{
			const char *n = p->exts[u].name, *colon = strchr(n, ':');

			if (!strcmp(colon ? colon + 1 : n, name))
				return true;
		}
	}
	return false;
}

/* "First sentence of the description", without the full stop, one line. */
static char *conf_first_sentence(const char *dsc)
{
	size_t i, o = 0, n;
	char *out;
	bool sp = false;

	if (!dsc)
		return strdup("");
	n = strlen(dsc);
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		char ch = dsc[i];

		if (ch == '.' && (i + 1 == n || dsc[i + 1] == ' ' || dsc[i + 1] == '\n'))
			break;
		if (ch == ' ' || ch == '\n' || ch == '\t') {
			sp = o > 0;
			continue;
		}
		if (sp)
			out[o++] = ' ';
		sp = false;
		out[o++] = ch;
	}
	out[o] = '\0';
	return out;
}

static const char *const conf_builtin_types[] = {
        "binary",
        "bits",
        "boolean",
        "decimal64",
        "empty",
        "enumeration",
        "identityref",
        "int8",
        "int16",
        "int32",
        "int64",
        "leafref",
        "string",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "union",
        "instance-identifier",
};

/* "<interface-name>" from the leaf's typedef, else the node's own name. */
static char *conf_placeholder(const struct lysc_node *leaf, const char *fallback)
{
	const struct lysp_node *p = leaf->priv;
	const char *tn = NULL, *colon;
	char buf[96];
	size_t i;

	if (p && (p->nodetype & (LYS_LEAF | LYS_LEAFLIST))) {
		tn = p->nodetype == LYS_LEAF ? ((const struct lysp_node_leaf *)p)->type.name
		                             : ((const struct lysp_node_leaflist *)p)->type.name;
	}
	if (tn) {
		colon = strchr(tn, ':');
		if (colon)
			tn = colon + 1;
		for (i = 0; i < sizeof(conf_builtin_types) / sizeof(conf_builtin_types[0]); i++)
			if (!strcmp(tn, conf_builtin_types[i])) {
				tn = NULL;
				break;
			}
	}
	snprintf(buf, sizeof(buf), "<%s>", tn ? tn : fallback);
	return strdup(buf);
}

bool conf_is_np_container(const struct lysc_node *s)
{
	return s && s->nodetype == LYS_CONTAINER && !(s->flags & LYS_PRESENCE);
}

static int conf_build_info(struct conf_ctx *cx, struct conf_sinfo *si, size_t *count);

static int conf_add_kid(struct conf_ctx *cx, struct conf_sinfo *parent, const struct lysc_node *k,
                        size_t *count)
{
	struct conf_sinfo *ki;
	const struct lysc_node **nk;

	if (!(k->flags & LYS_CONFIG_W))
		return 0;
	nk = realloc(parent->kids, (parent->n_kids + 1) * sizeof(*nk));
	if (!nk)
		return -1;
	parent->kids = nk;
	ki = calloc(1, sizeof(*ki));
	if (!ki)
		return -1;
	ki->s = k;
	ki->order = (int)parent->n_kids;
	parent->kids[parent->n_kids++] = k;
	ki->help = conf_first_sentence(k->dsc);
	if (k->nodetype == LYS_LIST) {
		const struct lysc_node *key = lysc_node_child(k);

		ki->is_implicit = conf_has_ext(k, "implicit-keyword");
		ki->oneliner = conf_has_ext(k, "oneliner");
		ki->ph = conf_placeholder(key, k->name);
		if (ki->is_implicit && !parent->implicit)
			parent->implicit = k;
	} else if (conf_is_np_container(k)) {
		/* A presence container is a statement of its own; only a
		 * non-presence one can lend its keyword to its children. */
		ki->flatten = conf_has_ext(k, "flatten");
	} else if (k->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
		ki->secret = conf_has_ext(k, "secret");
		ki->ph = conf_placeholder(k, k->name);
	}
	if (!ki->help || conf_tab_put(cx, ki, count)) {
		free(ki->help);
		free(ki->ph);
		free(ki);
		return -1;
	}
	return conf_build_info(cx, ki, count);
}

static int conf_build_info(struct conf_ctx *cx, struct conf_sinfo *si, size_t *count)
{
	const struct lysc_node *k = NULL;

	if (!si->s || !(si->s->nodetype & (LYS_CONTAINER | LYS_LIST)))
		return 0;
	while ((k = lys_getnext(k, si->s, NULL, 0)))
		if (conf_add_kid(cx, si, k, count))
			return -1;
	return 0;
}

static bool conf_yang_name(const char *f, char *mod, size_t len)
{
	size_t n = strlen(f);
	const char *at;

	if (n < 6 || strcmp(f + n - 5, ".yang"))
		return false;
	n -= 5;
	at = memchr(f, '@', n);
	if (at)
		n = (size_t)(at - f);
	if (n == 0 || n >= len)
		return false;
	memcpy(mod, f, n);
	mod[n] = '\0';
	return true;
}

static int conf_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint32_t conf_logopt = LY_LOSTORE;

static int conf_load_modules(struct conf_ctx *cx, const char *dir, char *err, size_t errlen)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!dp) {
		conf_errf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp))) {
		char mod[128];

		if (conf_yang_name(de->d_name, mod, sizeof(mod)) &&
		    conf_strv_add(&names, &n, mod)) {
			rc = -1;
			break;
		}
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), conf_cmp_str);
	for (i = 0; rc == 0 && i < n; i++) {
		if (!ly_ctx_load_module(cx->ly, names[i], NULL, NULL)) {
			struct ly_err_item *e = ly_err_last(cx->ly);

			conf_errf(err, errlen, "module %s: %s", names[i],
			          e ? e->msg : "load failed");
			rc = -1;
		}
	}
	if (rc == 0 && n == 0) {
		conf_errf(err, errlen, "%s: no YANG modules", dir);
		rc = -1;
	}
	conf_strv_free(names, n);
	return rc;
}

struct conf_ctx *conf_ctx_new(const char *yang_dir, char *err, size_t errlen)
{
	struct conf_ctx *cx = calloc(1, sizeof(*cx));
	size_t count = 0, i;
	const struct lys_module *mod;
	uint32_t idx = 0;

	if (!cx) {
		conf_errf(err, errlen, "out of memory");
		return NULL;
	}
	/* libyang restores its own temporary log options inside some calls, so
	 * the process-wide setting has to keep messages off stderr: errors are
	 * read from the context and returned in CLI words. */
	ly_log_options(LY_LOSTORE_LAST);
	ly_temp_log_options(&conf_logopt);
	if (ly_ctx_new(yang_dir, LY_CTX_SET_PRIV_PARSED | LY_CTX_NO_YANGLIBRARY, &cx->ly)) {
		conf_errf(err, errlen, "libyang context failed");
		goto fail;
	}
	if (conf_load_modules(cx, yang_dir, err, errlen))
		goto fail;
	if (lys_parse_mem(cx->ly, conf_meta_yang, LYS_IN_YANG, (struct lys_module **)&cx->meta)) {
		conf_errf(err, errlen, "keel-conf annotations failed to load");
		goto fail;
	}
	/* Top-level containers: the Junos order first, then the rest by module. */
	for (i = 0; i <= sizeof(conf_top_order) / sizeof(conf_top_order[0]); i++) {
		idx = 0;
		while ((mod = ly_ctx_get_module_iter(cx->ly, &idx))) {
			const struct lysc_node *k = NULL;
			bool listed = false;
			size_t j;

			if (!mod->implemented || !mod->compiled || strncmp(mod->name, "keel-", 5) ||
			    mod == cx->meta)
				continue;
			for (j = 0; j < sizeof(conf_top_order) / sizeof(conf_top_order[0]); j++)
				if (!strcmp(mod->name, conf_top_order[j]))
					listed = true;
			if (i < sizeof(conf_top_order) / sizeof(conf_top_order[0])
			            ? strcmp(mod->name, conf_top_order[i])
			            : listed)
				continue;
			while ((k = lys_getnext(k, NULL, mod->compiled, 0)))
				if (conf_add_kid(cx, &cx->root, k, &count)) {
					conf_errf(err, errlen, "out of memory");
					goto fail;
				}
		}
	}
	ly_temp_log_options(NULL);
	return cx;
fail:
	ly_temp_log_options(NULL);
	conf_ctx_free(cx);
	return NULL;
}

void conf_ctx_free(struct conf_ctx *cx)
{
	size_t i;

	if (!cx)
		return;
	for (i = 0; i < cx->tab_size; i++) {
		if (cx->tab[i]) {
			free(cx->tab[i]->kids);
			free(cx->tab[i]->help);
			free(cx->tab[i]->ph);
			free(cx->tab[i]);
		}
	}
	free(cx->tab);
	free(cx->root.kids);
	free(cx->node);
	ly_ctx_destroy(cx->ly);
	free(cx);
}

struct ly_ctx *conf_ctx_ly(struct conf_ctx *cx)
{
	return cx->ly;
}

void conf_ctx_set_node(struct conf_ctx *cx, const char *node)
{
	free(cx->node);
	cx->node = node ? strdup(node) : NULL;
}

/* ---------------------------------------------------------------- small helpers */

void conf_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int conf_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -1;
	(*n)++;
	return 0;
}

bool conf_is_inactive(const struct conf_ctx *cx, const struct lyd_node *d)
{
	return lyd_find_meta(d->meta, cx->meta, "inactive") != NULL;
}

int conf_set_inactive(const struct conf_ctx *cx, struct lyd_node *d, bool inactive)
{
	struct lyd_meta *m = lyd_find_meta(d->meta, cx->meta, "inactive");

	if (!inactive) {
		if (m)
			lyd_free_meta_single(m);
		return 0;
	}
	if (m)
		return 0;
	return lyd_new_meta(cx->ly, d, cx->meta, "inactive", "true", 0, NULL) ? -1 : 0;
}

size_t conf_apply_get(const struct conf_ctx *cx, const struct lyd_node *d, char ***names)
{
	struct lyd_meta *m = lyd_find_meta(d->meta, cx->meta, "apply-groups");
	const char *v, *p;
	size_t n = 0;

	*names = NULL;
	if (!m)
		return 0;
	v = lyd_get_meta_value(m);
	while (v && *v) {
		char buf[256];
		size_t len;

		p = strchr(v, ' ');
		len = p ? (size_t)(p - v) : strlen(v);
		if (len && len < sizeof(buf)) {
			memcpy(buf, v, len);
			buf[len] = '\0';
			if (conf_strv_add(names, &n, buf))
				break;
		}
		v = p ? p + 1 : NULL;
	}
	return n;
}

int conf_apply_set_list(const struct conf_ctx *cx, struct lyd_node *d, char **names, size_t n)
{
	struct lyd_meta *m = lyd_find_meta(d->meta, cx->meta, "apply-groups");
	char *v = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	if (m)
		lyd_free_meta_single(m);
	if (!n)
		return 0;
	f = open_memstream(&v, &len);
	if (!f)
		return -1;
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", names[i]);
	fclose(f);
	rc = lyd_new_meta(cx->ly, d, cx->meta, "apply-groups", v, 0, NULL) ? -1 : 0;
	free(v);
	return rc;
}

/* ---------------------------------------------------------------- configs */

struct conf *conf_new(struct conf_ctx *cx)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (c)
		c->cx = cx;
	return c;
}

void conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	lyd_free_siblings(c->tree);
	for (i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		lyd_free_siblings(c->groups[i].tree);
	}
	free(c->groups);
	conf_strv_free(c->apply, c->n_apply);
	free(c);
}

struct conf *conf_dup(const struct conf *c)
{
	struct conf *d = conf_new(c->cx);
	size_t i;

	if (!d)
		return NULL;
	if (c->tree && lyd_dup_siblings(c->tree, NULL, LYD_DUP_RECURSIVE, &d->tree))
		goto fail;
	for (i = 0; i < c->n_groups; i++) {
		struct conf_group *g = conf_group_get(d, c->groups[i].name, true);

		if (!g)
			goto fail;
		g->inactive = c->groups[i].inactive;
		if (c->groups[i].tree &&
		    lyd_dup_siblings(c->groups[i].tree, NULL, LYD_DUP_RECURSIVE, &g->tree))
			goto fail;
	}
	for (i = 0; i < c->n_apply; i++)
		if (conf_strv_add(&d->apply, &d->n_apply, c->apply[i]))
			goto fail;
	return d;
fail:
	conf_free(d);
	return NULL;
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	char *ta = NULL, *tb = NULL;
	bool eq;

	if (conf_serialize(a, &ta) || conf_serialize(b, &tb)) {
		free(ta);
		free(tb);
		return false;
	}
	eq = !strcmp(ta, tb);
	free(ta);
	free(tb);
	return eq;
}

struct conf_group *conf_group_get(struct conf *c, const char *name, bool create)
{
	struct conf_group *ng;
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (!strcmp(c->groups[i].name, name))
			return &c->groups[i];
	if (!create)
		return NULL;
	ng = realloc(c->groups, (c->n_groups + 1) * sizeof(*ng));
	if (!ng)
		return NULL;
	c->groups = ng;
	memset(&ng[c->n_groups], 0, sizeof(*ng));
	ng[c->n_groups].name = strdup(name);
	if (!ng[c->n_groups].name)
		return NULL;
	return &c->groups[c->n_groups++];
}

struct lyd_node **conf_pos_first(struct conf_pos *pos)
{
	return pos->grp ? &pos->grp->tree : &pos->c->tree;
}

/* Frees node; keeps *first valid when node is a top-level sibling. */
void conf_node_free(struct lyd_node **first, struct lyd_node *node)
{
	if (!node->parent && *first == node)
		*first = node->next;
	lyd_free_tree(node);
}

/* A non-presence container that lost its last child goes too, upwards, so that
 * `delete` of the last address leaves no empty `family { }` behind. */
void conf_prune_empty(struct lyd_node **first, struct lyd_node *parent)
{
	while (parent && conf_is_np_container(parent->schema) && !lyd_child(parent) &&
	       !parent->meta) {
		struct lyd_node *up = lyd_parent(parent);

		conf_node_free(first, parent);
		parent = up;
	}
}

/* ---------------------------------------------------------------- value errors */

void conf_range_text(const struct lysc_node *s, char *buf, size_t len)
{
	const struct lysc_type *t = ((const struct lysc_node_leaf *)s)->type;
	const struct lysc_range *r = NULL;
	bool sig = false;
	LY_ARRAY_COUNT_TYPE u;
	size_t o = 0;

	buf[0] = '\0';
	switch (t->basetype) {
	case LY_TYPE_UINT8:
	case LY_TYPE_UINT16:
	case LY_TYPE_UINT32:
	case LY_TYPE_UINT64:
		r = ((const struct lysc_type_num *)t)->range;
		break;
	case LY_TYPE_INT8:
	case LY_TYPE_INT16:
	case LY_TYPE_INT32:
	case LY_TYPE_INT64:
		r = ((const struct lysc_type_num *)t)->range;
		sig = true;
		break;
	case LY_TYPE_STRING:
		r = ((const struct lysc_type_str *)t)->length;
		break;
	default:
		return;
	}
	if (!r)
		return;
	LY_ARRAY_FOR(r->parts, u)
	{
		int k;

		if (sig)
			k = snprintf(buf + o, len - o, "%s%lld..%lld", u ? "|" : "",
			             (long long)r->parts[u].min_64, (long long)r->parts[u].max_64);
		else
			k = snprintf(buf + o, len - o, "%s%llu..%llu", u ? "|" : "",
			             (unsigned long long)r->parts[u].min_u64,
			             (unsigned long long)r->parts[u].max_u64);
		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
}

/* Every list is keyed by `name` (yang/README.md), which says nothing to the
 * operator: Junos names the statement, "invalid value ... for address". */
const char *conf_value_name(const struct lysc_node *s)
{
	if (s->parent && s->parent->nodetype == LYS_LIST && lysc_is_key(s) &&
	    !strcmp(s->name, "name"))
		return s->parent->name;
	return s->name;
}

void conf_value_err(const struct conf_ctx *cx, const struct lysc_node *s, const char *val,
                    char *err, size_t errlen)
{
	struct ly_err_item *e = ly_err_last(cx->ly);
	const char *msg = e && e->msg ? e->msg : "invalid value";
	char range[128], reason[384];
	size_t n;

	conf_range_text(s, range, sizeof(range));
	if (range[0] && !strncmp(msg, "Unsatisfied range", 17))
		snprintf(reason, sizeof(reason), "range %s", range);
	else if (range[0] && !strncmp(msg, "Unsatisfied length", 18))
		snprintf(reason, sizeof(reason), "length %s", range);
	else
		snprintf(reason, sizeof(reason), "%s", msg);
	n = strlen(reason);
	if (n && reason[n - 1] == '.')
		reason[n - 1] = '\0';
	conf_errf(err, errlen, "invalid value '%s' for %s: %s", val, conf_value_name(s), reason);
}
