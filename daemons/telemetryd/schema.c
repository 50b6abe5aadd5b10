/*
 * Sensor resources checked against keel's YANG modules (libyang), once when a
 * sensor is provisioned, never per update (telemetry.md §9).
 *
 * The modules are loaded as mgd loads them (every *.yang in the module
 * directory, by name). Resources are gNMI-style paths without module
 * prefixes, so each element is resolved among the children of the previous
 * node in ANY module with lys_getnext(): augmented nodes resolve without the
 * augmenting module's prefix, and a prefix, when given, must name the
 * node's module. Choice and case nodes are transparent in data paths
 * (RFC 7950 §7.9), which lys_getnext() already provides.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "daemons/telemetryd/telemetryd.h"

struct tm_schema {
	struct ly_ctx *ly;
};

/* "keel-x.yang" or "keel-x@rev.yang" -> "keel-x". */
static bool tm_yang_name(const char *file, char *mod, size_t len)
{
	size_t n = strlen(file), m;
	const char *at;

	if (n < 6 || strcmp(file + n - 5, ".yang"))
		return false;
	at = memchr(file, '@', n - 5);
	m = at ? (size_t)(at - file) : n - 5;
	if (m == 0 || m >= len)
		return false;
	memcpy(mod, file, m);
	mod[m] = '\0';
	return true;
}

void tm_schema_close(struct tm_schema *sc)
{
	if (!sc)
		return;
	if (sc->ly)
		ly_ctx_destroy(sc->ly);
	free(sc);
}

struct tm_schema *tm_schema_open(const char *yang_dir, char *err, size_t errlen)
{
	struct tm_schema *sc = calloc(1, sizeof(*sc));
	DIR *dp;
	struct dirent *de;
	size_t loaded = 0;

	if (!sc) {
		tm_errf(err, errlen, "out of memory");
		return NULL;
	}
	/* errors are read from the context and reported in our words */
	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(yang_dir, LY_CTX_NO_YANGLIBRARY, &sc->ly)) {
		tm_errf(err, errlen, "libyang context for %s failed", yang_dir);
		goto fail;
	}
	if (!(dp = opendir(yang_dir))) {
		tm_errf(err, errlen, "%s: %s", yang_dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(dp))) {
		char mod[128];

		if (!tm_yang_name(de->d_name, mod, sizeof(mod)))
			continue;
		if (!ly_ctx_load_module(sc->ly, mod, NULL, NULL)) {
			const struct ly_err_item *e = ly_err_last(sc->ly);

			tm_errf(err, errlen, "module %s: %s", mod, e ? e->msg : "load failed");
			closedir(dp);
			goto fail;
		}
		loaded++;
	}
	closedir(dp);
	if (!loaded) {
		tm_errf(err, errlen, "%s: no YANG modules", yang_dir);
		goto fail;
	}
	return sc;
fail:
	tm_schema_close(sc);
	return NULL;
}

static const struct lysc_node *tm_schema_child(const struct ly_ctx *ly,
                                               const struct lysc_node *parent,
                                               const struct tm_path_elem *el)
{
	const struct lysc_node *n;

	if (!parent) {
		const struct lys_module *mod;
		uint32_t idx = 0;

		while ((mod = ly_ctx_get_module_iter(ly, &idx))) {
			if (!mod->implemented || !mod->compiled)
				continue;
			if (el->module[0] && strcmp(el->module, mod->name))
				continue;
			n = NULL;
			while ((n = lys_getnext(n, NULL, mod->compiled, 0)))
				if (!strcmp(n->name, el->name))
					return n;
		}
		return NULL;
	}
	n = NULL;
	while ((n = lys_getnext(n, parent, NULL, 0)))
		if (!strcmp(n->name, el->name) &&
		    (!el->module[0] || !strcmp(el->module, n->module->name)))
			return n;
	return NULL;
}

static bool tm_schema_is_key(const struct lysc_node *list, const char *name)
{
	const struct lysc_node *c;

	for (c = lysc_node_child(list); c; c = c->next)
		if (lysc_is_key(c) && !strcmp(c->name, name))
			return true;
	return false;
}

int tm_schema_check(struct tm_schema *sc, const struct tm_path *p, char *err, size_t errlen)
{
	const struct lysc_node *n = NULL;
	unsigned i, j;

	if (!p->n_elem) {
		tm_errf(err, errlen, "empty path");
		return -1;
	}
	for (i = 0; i < p->n_elem; i++) {
		const struct tm_path_elem *el = &p->elem[i];
		const struct lysc_node *c = tm_schema_child(sc->ly, n, el);

		if (!c) {
			tm_errf(err, errlen, "no schema node %s%s%s under %s",
			        el->module[0] ? el->module : "", el->module[0] ? ":" : "", el->name,
			        n ? n->name : "/");
			return -1;
		}
		for (j = 0; j < el->n_keys; j++) {
			if (c->nodetype != LYS_LIST) {
				tm_errf(err, errlen, "%s is not a list, it takes no [%s]", el->name,
				        el->keys[j].name);
				return -1;
			}
			if (!tm_schema_is_key(c, el->keys[j].name)) {
				tm_errf(err, errlen, "%s is not a key of list %s", el->keys[j].name,
				        el->name);
				return -1;
			}
		}
		n = c;
	}
	return 0;
}
