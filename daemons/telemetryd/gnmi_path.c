/*
 * gNMI paths and values (pure: no I/O, no gRPC).
 *
 * A request's prefix + path becomes a keel path pattern (struct tm_path with
 * wildcard elements), matched element by element against bus keys, which
 * are concrete OpenConfig-style paths. The schema check resolves the pattern
 * with telemetryd's libyang context up to the first wildcard (gNMI spec
 * §2.2.2.1: "*" one level, "..." any depth; a missing or "*" key matches all
 * entries), so a typo fails the Subscribe/Get with INVALID_ARGUMENT instead
 * of silently streaming nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/gnmi.h"

static bool gnmi_origin_ok(const char *o)
{
	/* spec §2.2.2.1: no origin means "openconfig"; keel's own paths (cluster) share the tree */
	return !o || !*o || !strcmp(o, "openconfig") || !strcmp(o, "keel");
}

static int gnmi_copy(char *dst, size_t dlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int gnmi_path_append(struct gnmi_pat *out, const Gnmi__Path *p, const char *what, char *err,
                            size_t errlen)
{
	size_t i, j;

	if (p->n_element) {
		/* gNMI 0.4 string elements: dropped from the spec in 0.10.0 */
		tm_errf(err, errlen, "%s: deprecated 'element' field, use 'elem'", what);
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	for (i = 0; i < p->n_elem; i++) {
		const Gnmi__PathElem *pe = p->elem[i];
		struct tm_path_elem *el;
		const char *name = pe && pe->name ? pe->name : "", *colon;

		if (!*name) {
			tm_errf(err, errlen, "%s: element %zu has no name", what, i);
			return GNMI_STATUS_INVALID_ARGUMENT;
		}
		if (out->p.n_elem >= TM_PATH_MAX_ELEMS) {
			tm_errf(err, errlen, "%s: more than %d elements", what, TM_PATH_MAX_ELEMS);
			return GNMI_STATUS_INVALID_ARGUMENT;
		}
		el = &out->p.elem[out->p.n_elem++];
		memset(el, 0, sizeof(*el));
		/* Collectors send "module:name" on the first element (telegraf #12831) */
		colon = strchr(name, ':');
		if (colon) {
			size_t ml = (size_t)(colon - name);

			if (ml == 0 || ml >= sizeof(el->module) || !colon[1]) {
				tm_errf(err, errlen, "%s: bad module prefix in %s", what, name);
				return GNMI_STATUS_INVALID_ARGUMENT;
			}
			memcpy(el->module, name, ml);
			el->module[ml] = '\0';
			name = colon + 1;
		}
		if (gnmi_copy(el->name, sizeof(el->name), name) || strchr(name, '/') ||
		    strchr(name, '[')) {
			tm_errf(err, errlen, "%s: bad element name", what);
			return GNMI_STATUS_INVALID_ARGUMENT;
		}
		if (!strcmp(name, "*") || !strcmp(name, "...")) {
			if (pe->n_key) {
				tm_errf(err, errlen, "%s: wildcard element %s takes no keys", what,
				        name);
				return GNMI_STATUS_INVALID_ARGUMENT;
			}
			out->wild = true;
		}
		if (pe->n_key > TM_PATH_MAX_KEYS) {
			tm_errf(err, errlen, "%s: too many keys on %s", what, name);
			return GNMI_STATUS_INVALID_ARGUMENT;
		}
		for (j = 0; j < pe->n_key; j++) {
			const Gnmi__PathElem__KeyEntry *k = pe->key[j];
			struct tm_path_key *tk;

			if (!k || !k->key || !*k->key) {
				tm_errf(err, errlen, "%s: empty key name on %s", what, name);
				return GNMI_STATUS_INVALID_ARGUMENT;
			}
			for (unsigned m = 0; m < el->n_keys; m++)
				if (!strcmp(el->keys[m].name, k->key)) {
					tm_errf(err, errlen, "%s: key %s twice on %s", what, k->key,
					        name);
					return GNMI_STATUS_INVALID_ARGUMENT;
				}
			tk = &el->keys[el->n_keys];
			if (gnmi_copy(tk->name, sizeof(tk->name), k->key) ||
			    gnmi_copy(tk->value, sizeof(tk->value), k->value ? k->value : "")) {
				tm_errf(err, errlen, "%s: key %s too long", what, k->key);
				return GNMI_STATUS_INVALID_ARGUMENT;
			}
			if (!strcmp(tk->value, "*"))
				out->wild = true;
			el->n_keys++;
		}
	}
	return GNMI_STATUS_OK;
}

int gnmi_path_join(const Gnmi__Path *prefix, const Gnmi__Path *path, struct gnmi_pat *out,
                   char *err, size_t errlen)
{
	int rc;

	out->p.n_elem = 0;
	out->wild = false;
	if (prefix && !gnmi_origin_ok(prefix->origin)) {
		tm_errf(err, errlen, "origin %s not supported", prefix->origin);
		return GNMI_STATUS_UNIMPLEMENTED;
	}
	if (path && !gnmi_origin_ok(path->origin)) {
		tm_errf(err, errlen, "origin %s not supported", path->origin);
		return GNMI_STATUS_UNIMPLEMENTED;
	}
	/* §2.2.2.1: origin in prefix or path, never both */
	if (prefix && path && prefix->origin && *prefix->origin && path->origin && *path->origin) {
		tm_errf(err, errlen, "origin set in both prefix and path");
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	/* §2.2.2.1: target is only meaningful in the prefix */
	if (path && path->target && *path->target) {
		tm_errf(err, errlen, "target set in a path, it belongs in the prefix");
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if (prefix && (rc = gnmi_path_append(out, prefix, "prefix", err, errlen)))
		return rc;
	if (path && (rc = gnmi_path_append(out, path, "path", err, errlen)))
		return rc;
	return GNMI_STATUS_OK;
}

static bool gnmi_elem_match(const struct tm_path_elem *r, const struct tm_path_elem *k)
{
	if (strcmp(r->name, "*") && strcmp(r->name, k->name))
		return false;
	for (unsigned j = 0; j < r->n_keys; j++) {
		const char *v;

		if (!strcmp(r->keys[j].value, "*"))
			continue;
		v = tm_path_elem_key(k, r->keys[j].name);
		if (!v || strcmp(v, r->keys[j].value))
			return false;
	}
	return true;
}

/* Pattern elements [i..) against key elements [j..); "..." backtracks over depths. */
static bool gnmi_match_from(const struct tm_path *r, unsigned i, const struct tm_path *k,
                            unsigned j)
{
	for (; i < r->n_elem; i++, j++) {
		if (!strcmp(r->elem[i].name, "...")) {
			/* the rest of the pattern may start at any depth from here */
			for (unsigned d = j; d <= k->n_elem; d++)
				if (gnmi_match_from(r, i + 1, k, d))
					return true;
			return false;
		}
		if (j >= k->n_elem || !gnmi_elem_match(&r->elem[i], &k->elem[j]))
			return false;
	}
	/* every pattern element consumed: the key is at or below it */
	return true;
}

bool gnmi_path_match(const struct gnmi_pat *pat, const struct tm_path *key)
{
	return gnmi_match_from(&pat->p, 0, key, 0);
}

int gnmi_path_check(struct tm_schema *sc, const struct gnmi_pat *pat, char *err, size_t errlen)
{
	struct tm_path *p;
	char perr[256];
	int rc = GNMI_STATUS_OK;

	if (!sc || !pat->p.n_elem)
		return GNMI_STATUS_OK; /* the root selects everything */
	p = malloc(sizeof(*p));
	if (!p) {
		tm_errf(err, errlen, "out of memory");
		return GNMI_STATUS_INTERNAL;
	}
	p->n_elem = 0;
	for (unsigned i = 0; i < pat->p.n_elem; i++) {
		const struct tm_path_elem *e = &pat->p.elem[i];
		struct tm_path_elem *d;

		if (!strcmp(e->name, "*") || !strcmp(e->name, "..."))
			break;
		d = &p->elem[p->n_elem++];
		*d = *e;
		/* keel serves OpenConfig-shaped state from its own modules: an OpenConfig
		 * module prefix names the same node (telegraf#12831: collectors send them) */
		if (!strncmp(d->module, "openconfig-", 11))
			d->module[0] = '\0';
		d->n_keys = 0;
		for (unsigned j = 0; j < e->n_keys; j++)
			d->keys[d->n_keys++] =
			        e->keys[j]; /* "*" values too: the key name is checked */
	}
	if (p->n_elem && tm_schema_check(sc, p, perr, sizeof(perr))) {
		tm_errf(err, errlen, "%s", perr);
		rc = GNMI_STATUS_INVALID_ARGUMENT;
	}
	free(p);
	return rc;
}

/* ------------------------------------------------------------------ strings */

struct gnmi_sb {
	char *buf;
	size_t len, n;
	bool over;
};

static void gnmi_sb_putc(struct gnmi_sb *b, char c)
{
	if (b->n + 1 >= b->len) {
		b->over = true;
		return;
	}
	b->buf[b->n++] = c;
	b->buf[b->n] = '\0';
}

static void gnmi_sb_puts(struct gnmi_sb *b, const char *s)
{
	for (; *s; s++)
		gnmi_sb_putc(b, *s);
}

int gnmi_path_to_str(const struct tm_path *p, char *buf, size_t len)
{
	struct gnmi_sb b = {buf, len, 0, false};

	if (!len)
		return -1;
	buf[0] = '\0';
	if (!p->n_elem)
		gnmi_sb_putc(&b, '/');
	for (unsigned i = 0; i < p->n_elem; i++) {
		const struct tm_path_elem *e = &p->elem[i];
		unsigned order[TM_PATH_MAX_KEYS];

		gnmi_sb_putc(&b, '/');
		if (e->module[0]) {
			gnmi_sb_puts(&b, e->module);
			gnmi_sb_putc(&b, ':');
		}
		gnmi_sb_puts(&b, e->name);
		/* §2.2.2: keys sorted by name, so one path has one string */
		for (unsigned j = 0; j < e->n_keys; j++)
			order[j] = j;
		for (unsigned j = 1; j < e->n_keys; j++)
			for (unsigned m = j; m > 0 && strcmp(e->keys[order[m - 1]].name,
			                                     e->keys[order[m]].name) > 0;
			     m--) {
				unsigned t = order[m];

				order[m] = order[m - 1];
				order[m - 1] = t;
			}
		for (unsigned j = 0; j < e->n_keys; j++) {
			const struct tm_path_key *k = &e->keys[order[j]];

			gnmi_sb_putc(&b, '[');
			gnmi_sb_puts(&b, k->name);
			gnmi_sb_putc(&b, '=');
			for (const char *v = k->value; *v; v++) {
				if (*v == ']' || *v == '\\')
					gnmi_sb_putc(&b, '\\');
				gnmi_sb_putc(&b, *v);
			}
			gnmi_sb_putc(&b, ']');
		}
	}
	return b.over ? -1 : 0;
}

void gnmi_path_clear(Gnmi__Path *p)
{
	for (size_t i = 0; i < p->n_elem; i++) {
		Gnmi__PathElem *pe = p->elem[i];

		if (!pe)
			continue;
		for (size_t j = 0; j < pe->n_key; j++) {
			if (!pe->key[j])
				continue;
			free(pe->key[j]->key);
			free(pe->key[j]->value);
			free(pe->key[j]);
		}
		free(pe->key);
		free(pe->name);
		free(pe);
	}
	free(p->elem);
	p->elem = NULL;
	p->n_elem = 0;
}

int gnmi_path_from_tm(const struct tm_path *p, unsigned from, Gnmi__Path *out)
{
	size_t n = from < p->n_elem ? p->n_elem - from : 0;

	out->n_elem = 0;
	out->elem = calloc(n ? n : 1, sizeof(*out->elem));
	if (!out->elem)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct tm_path_elem *e = &p->elem[from + i];
		Gnmi__PathElem *pe = malloc(sizeof(*pe));

		if (!pe)
			goto fail;
		gnmi__path_elem__init(pe);
		out->elem[out->n_elem++] = pe;
		if (!(pe->name = strdup(e->name)))
			goto fail;
		if (!e->n_keys)
			continue;
		pe->key = calloc(e->n_keys, sizeof(*pe->key));
		if (!pe->key)
			goto fail;
		for (unsigned j = 0; j < e->n_keys; j++) {
			Gnmi__PathElem__KeyEntry *k = malloc(sizeof(*k));

			if (!k)
				goto fail;
			gnmi__path_elem__key_entry__init(k);
			pe->key[pe->n_key++] = k;
			k->key = strdup(e->keys[j].name);
			k->value = strdup(e->keys[j].value);
			if (!k->key || !k->value)
				goto fail;
		}
	}
	return 0;
fail:
	gnmi_path_clear(out);
	return -1;
}

bool gnmi_path_has_prefix(const struct tm_path *key, const struct tm_path *pfx)
{
	if (pfx->n_elem > key->n_elem)
		return false;
	for (unsigned i = 0; i < pfx->n_elem; i++) {
		const struct tm_path_elem *a = &key->elem[i], *b = &pfx->elem[i];

		if (strcmp(a->name, b->name) || a->n_keys != b->n_keys)
			return false;
		for (unsigned j = 0; j < b->n_keys; j++) {
			const char *v = tm_path_elem_key(a, b->keys[j].name);

			if (!v || strcmp(v, b->keys[j].value))
				return false;
		}
	}
	return true;
}

unsigned gnmi_prefix_depth(const struct gnmi_pat *pfx, const struct tm_path *key)
{
	unsigned i;

	for (i = 0; i < pfx->p.n_elem && i < key->n_elem; i++)
		if (!strcmp(pfx->p.elem[i].name, "...") ||
		    !gnmi_elem_match(&pfx->p.elem[i], &key->elem[i]))
			break;
	return i;
}

unsigned gnmi_path_common(const struct tm_path *a, const struct tm_path *b, unsigned max)
{
	unsigned i;

	for (i = 0; i < max && i < a->n_elem && i < b->n_elem; i++) {
		const struct tm_path_elem *x = &a->elem[i], *y = &b->elem[i];
		bool same = !strcmp(x->name, y->name) && x->n_keys == y->n_keys;

		for (unsigned j = 0; same && j < x->n_keys; j++) {
			const char *v = tm_path_elem_key(y, x->keys[j].name);

			same = v && !strcmp(v, x->keys[j].value);
		}
		if (!same)
			break;
	}
	return i;
}

int gnmi_pat_stem(const struct gnmi_pat *pat, char *buf, size_t len)
{
	const char *name = pat->p.n_elem ? pat->p.elem[0].name : "";
	size_t l = strlen(name);

	if (!len)
		return -1;
	buf[0] = '\0';
	/* Only the first name: after any element a key string may carry a
	 * predicate run ("interface" in the pattern, "interface[name=eth0]" on
	 * the bus), so "a/b" does not start every key below /a/b. */
	if (!l || !strcmp(name, "*") || !strcmp(name, "..."))
		return 0;
	if (l + 1 > len)
		return -1;
	memcpy(buf, name, l + 1);
	return (int)l;
}

const char *gnmi_key_canon(const char *key)
{
	const char *s = key[0] == '/' ? key + 1 : key;
	size_t n = strcspn(s, "/[");
	const char *colon = memchr(s, ':', n);

	return colon ? colon + 1 : s;
}

/*
 * The end of the predicate run at s ("[k=v]...") as tm_path_parse reads it:
 * a value quoted with ' or " may hold ']'. NULL if a '[' is unclosed;
 * *quoted when a quote was seen (values then differ from their text).
 */
static const char *gnmi_run_end(const char *s, bool *quoted)
{
	while (*s == '[') {
		char q = 0;

		for (s++; *s && (q || *s != ']'); s++) {
			if (!q && (*s == '\'' || *s == '"'))
				q = *s, *quoted = true;
			else if (q && *s == q)
				q = 0;
		}
		if (!*s)
			return NULL;
		s++;
	}
	return s;
}

bool gnmi_pat_may_match(const struct gnmi_pat *pat, const char *key)
{
	const char *s = key;

	for (unsigned i = 0; i < pat->p.n_elem; i++) {
		const struct tm_path_elem *el = &pat->p.elem[i];
		size_t l = strlen(el->name), nl;
		const char *name, *run, *end, *colon;
		bool quoted = false;

		if (!strcmp(el->name, "*") || !strcmp(el->name, "..."))
			return true;
		if (*s != '/')
			return false;
		name = s + 1;
		nl = strcspn(name, "/[");
		run = name + nl;
		/* a "module:" prefix on the key's element is not part of its name */
		colon = memchr(name, ':', nl);
		if (colon) {
			nl -= (size_t)(colon + 1 - name);
			name = colon + 1;
		}
		if (nl != l || strncmp(name, el->name, l))
			return false;
		if (!(end = gnmi_run_end(run, &quoted)))
			return true; /* malformed: the parser refuses it */
		for (unsigned j = 0; j < el->n_keys && !quoted; j++) {
			const struct tm_path_key *k = &el->keys[j];
			char needle[sizeof(k->name) + sizeof(k->value) + 4];
			int n;

			if (!strcmp(k->value, "*") || strpbrk(k->value, "]'\""))
				continue;
			n = snprintf(needle, sizeof(needle), "[%s=%s]", k->name, k->value);
			if (n < 0 || (size_t)n >= sizeof(needle) ||
			    !memmem(run, (size_t)(end - run), needle, (size_t)n))
				return false;
		}
		s = end;
		if ((!*s || (s[0] == '/' && !s[1])) && i + 1 < pat->p.n_elem)
			return false; /* the key ends above the pattern */
	}
	return true;
}

/* ------------------------------------------------------------------ values */

/* A JSON string literal of s into buf (RFC 8259 §7). -1 if it does not fit. */
static int gnmi_json_str(const char *s, size_t n, char *buf, size_t len)
{
	struct gnmi_sb b = {buf, len, 0, false};
	static const char hex[] = "0123456789abcdef";

	if (!len)
		return -1;
	buf[0] = '\0';
	gnmi_sb_putc(&b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			gnmi_sb_putc(&b, '\\');
			gnmi_sb_putc(&b, (char)c);
		} else if (c < 0x20) {
			gnmi_sb_puts(&b, "\\u00");
			gnmi_sb_putc(&b, hex[c >> 4]);
			gnmi_sb_putc(&b, hex[c & 15]);
		} else {
			gnmi_sb_putc(&b, (char)c);
		}
	}
	gnmi_sb_putc(&b, '"');
	return b.over ? -1 : 0;
}

int gnmi_value_set(Gnmi__TypedValue *tv, const Keel__Sensor__KeyValue *kv, Gnmi__Encoding enc,
                   char *buf, size_t len)
{
	int n = -1;

	gnmi__typed_value__init(tv);
	if (enc == GNMI__ENCODING__PROTO) {
		switch (kv->value_case) {
		case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_DOUBLE_VAL;
			tv->double_val = kv->double_value;
			return 0;
		case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_INT_VAL;
			tv->int_val = kv->int_value;
			return 0;
		case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_UINT_VAL;
			tv->uint_val = kv->uint_value;
			return 0;
		case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_STRING_VAL;
			tv->string_val = kv->str_value ? kv->str_value : (char *)"";
			return 0;
		case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_BOOL_VAL;
			tv->bool_val = kv->bool_value;
			return 0;
		case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
			tv->value_case = GNMI__TYPED_VALUE__VALUE_BYTES_VAL;
			tv->bytes_val = kv->bytes_value;
			return 0;
		default:
			return -1;
		}
	}
	if (enc != GNMI__ENCODING__JSON && enc != GNMI__ENCODING__JSON_IETF)
		return -1;
	switch (kv->value_case) {
	case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
		n = snprintf(buf, len, "%.17g", kv->double_value);
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
		/* RFC 7951 §6.1: int64 and uint64 are JSON strings */
		n = snprintf(buf, len, "\"%lld\"", (long long)kv->int_value);
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
		n = snprintf(buf, len, "\"%llu\"", (unsigned long long)kv->uint_value);
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
		n = snprintf(buf, len, "%s", kv->bool_value ? "true" : "false");
		break;
	case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE: {
		const char *s = kv->str_value ? kv->str_value : "";

		if (gnmi_json_str(s, strlen(s), buf, len))
			return -1;
		n = (int)strlen(buf);
		break;
	}
	case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
		/* binary has no JSON form in keel's models; carried as a string */
		if (gnmi_json_str((const char *)kv->bytes_value.data, kv->bytes_value.len, buf,
		                  len))
			return -1;
		n = (int)strlen(buf);
		break;
	default:
		return -1;
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (enc == GNMI__ENCODING__JSON_IETF) {
		tv->value_case = GNMI__TYPED_VALUE__VALUE_JSON_IETF_VAL;
		tv->json_ietf_val.data = (uint8_t *)buf;
		tv->json_ietf_val.len = (size_t)n;
	} else {
		tv->value_case = GNMI__TYPED_VALUE__VALUE_JSON_VAL;
		tv->json_val.data = (uint8_t *)buf;
		tv->json_val.len = (size_t)n;
	}
	return 0;
}

bool gnmi_kv_equal(const Keel__Sensor__KeyValue *a, const Keel__Sensor__KeyValue *b)
{
	if (a->value_case != b->value_case)
		return false;
	switch (a->value_case) {
	case KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE:
		return !strcmp(a->str_value ? a->str_value : "", b->str_value ? b->str_value : "");
	case KEEL__SENSOR__KEY_VALUE__VALUE_BYTES_VALUE:
		return a->bytes_value.len == b->bytes_value.len &&
		       (!a->bytes_value.len ||
		        !memcmp(a->bytes_value.data, b->bytes_value.data, a->bytes_value.len));
	case KEEL__SENSOR__KEY_VALUE__VALUE_DOUBLE_VALUE:
		return a->double_value == b->double_value;
	case KEEL__SENSOR__KEY_VALUE__VALUE_INT_VALUE:
		return a->int_value == b->int_value;
	case KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE:
		return a->uint_value == b->uint_value;
	case KEEL__SENSOR__KEY_VALUE__VALUE_BOOL_VALUE:
		return a->bool_value == b->bool_value;
	default:
		return true;
	}
}
