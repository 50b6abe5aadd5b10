/*
 * Config golden files (tests/conf/golden): every NAME.in (curly-brace text,
 * or set lines when its first statement is a set/delete/activate/deactivate/
 * edit line) is loaded and shown the way the CLI shows it; the result must
 * equal NAME.ok byte for byte. An input that must be rejected has NAME.err
 * instead, holding the expected error text (load error with its line, or the
 * validation error). Every valid input must also round-trip: its curly text
 * and its set lines load back to an identical configuration.
 *
 * KEEL_GOLDEN_UPDATE=1 rewrites the .ok / .err files (tests/conf/golden.sh
 * --update); KEEL_GOLDEN_DIR overrides the directory; KEEL_YANG_DIR the
 * schema directory. `apply-groups "${node}"` expands as on node0. Not a cmocka test: one line per
 * file, exit status 1 if any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)(n > 0 ? n : 0) + 1);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n > 0 ? n : 0] = '\0';
	fclose(f);
	return buf;
}

static int spill(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Set lines when the first statement starts with a configuration-mode verb. */
static bool is_set_text(const char *t)
{
	static const char *const verbs[] = {"set ", "delete ", "activate ", "deactivate ", "edit "};
	size_t i;

	while (*t) {
		while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
			t++;
		if (*t == '#') {
			t = strchr(t, '\n');
			if (!t)
				return false;
			continue;
		}
		break;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strncmp(t, verbs[i], strlen(verbs[i])))
			return true;
	return false;
}

static void section(FILE *f, const char *title, const char *body)
{
	fprintf(f, "## %s\n%s", title, body);
	if (*body && body[strlen(body) - 1] != '\n')
		fputc('\n', f);
}

/* Builds what the golden file must hold; *is_err when the input was rejected.
 * Round-trip failures are reported in *problem. */
static char *render(struct conf_ctx *cx, const char *in, bool *is_err, char *problem, size_t plen)
{
	struct conf *c = conf_new(cx), *back;
	char err[CONF_ERR_LEN], *out = NULL, *text = NULL, *set = NULL, *x = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool set_mode = is_set_text(in);
	int line = 0;

	*is_err = false;
	problem[0] = '\0';
	if (conf_load(c, set_mode ? CONF_LOAD_SET : CONF_LOAD_OVERRIDE, in, NULL, 0, &line, err,
	              sizeof(err))) {
		fprintf(f, "error: line %d: %s\n", line, err);
		*is_err = true;
		goto done;
	}
	if (conf_validate(c, err, sizeof(err))) {
		fprintf(f, "error: %s\nerror: configuration check-out failed\n", err);
		*is_err = true;
		goto done;
	}
	conf_print(c, NULL, 0, CONF_FMT_TEXT, false, &text, err, sizeof(err));
	conf_print(c, NULL, 0, CONF_FMT_SET, false, &set, err, sizeof(err));
	section(f, "show configuration", text ? text : "");
	section(f, "show configuration | display set", set ? set : "");
	if (strstr(in, "apply-groups")) {
		conf_print(c, NULL, 0, CONF_FMT_TEXT, true, &x, err, sizeof(err));
		section(f, "show configuration | display inheritance", x ? x : "");
		free(x);
		x = NULL;
	}
	conf_print(c, NULL, 0, CONF_FMT_JSON, false, &x, err, sizeof(err));
	section(f, "show configuration | display json", x ? x : "");
	free(x);
	x = NULL;
	fputs("## commit check\nconfiguration check succeeds\n", f);

	/* Round trips (secrets are masked in display, so use the disk form). */
	if (conf_serialize(c, &x) == 0) {
		back = conf_parse(cx, x, err, sizeof(err));
		if (!back || !conf_equal(c, back))
			snprintf(problem, plen, "serialized form does not load back: %s",
			         back ? "different" : err);
		conf_free(back);
	}
	free(x);
	x = NULL;
	if (text && set && !strstr(text, "SECRET-DATA")) {
		back = conf_new(cx);
		if (conf_load(back, CONF_LOAD_OVERRIDE, text, NULL, 0, &line, err, sizeof(err)) ||
		    !conf_equal(c, back))
			snprintf(problem, plen, "curly display does not load back (line %d: %s)",
			         line, err);
		conf_free(back);
		back = conf_new(cx);
		if (conf_load(back, CONF_LOAD_SET, set, NULL, 0, &line, err, sizeof(err)) ||
		    !conf_equal(c, back))
			snprintf(problem, plen, "display set does not load back (line %d: %s)",
			         line, err);
		conf_free(back);
	}
done:
	fclose(f);
	free(text);
	free(set);
	conf_free(c);
	return out;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = getenv("KEEL_GOLDEN_DIR"), *yd = getenv("KEEL_YANG_DIR");
	bool update = getenv("KEEL_GOLDEN_UPDATE") && !strcmp(getenv("KEEL_GOLDEN_UPDATE"), "1");
	char err[CONF_ERR_LEN], *names[512];
	struct conf_ctx *cx;
	struct dirent *de;
	size_t n = 0, i, pass = 0, fail = 0;
	DIR *dp;

	if (!dir)
		dir = "tests/conf/golden";
	cx = conf_ctx_new(yd ? yd : "yang", err, sizeof(err));
	if (!cx) {
		fprintf(stderr, "golden: %s\n", err);
		return 1;
	}
	/* apply-groups "${node}" in the golden files expands as on node0. */
	conf_ctx_set_node(cx, "node0");
	dp = opendir(dir);
	if (!dp) {
		fprintf(stderr, "golden: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(dp)) && n < sizeof(names) / sizeof(names[0])) {
		size_t l = strlen(de->d_name);

		if (l > 3 && !strcmp(de->d_name + l - 3, ".in"))
			names[n++] = strndup(de->d_name, l - 3);
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++) {
		char path[4096], okp[4096], errp[4096], problem[1024];
		char *in, *got, *want;
		bool is_err;

		snprintf(path, sizeof(path), "%s/%s.in", dir, names[i]);
		snprintf(okp, sizeof(okp), "%s/%s.ok", dir, names[i]);
		snprintf(errp, sizeof(errp), "%s/%s.err", dir, names[i]);
		in = slurp(path);
		if (!in) {
			printf("FAIL %s: cannot read\n", names[i]);
			fail++;
			continue;
		}
		got = render(cx, in, &is_err, problem, sizeof(problem));
		if (update) {
			remove(is_err ? okp : errp);
			if (problem[0]) {
				printf("FAIL %s: %s\n", names[i], problem);
				fail++;
			} else if (spill(is_err ? errp : okp, got)) {
				printf("FAIL %s: cannot write\n", names[i]);
				fail++;
			} else {
				printf("updated %s.%s\n", names[i], is_err ? "err" : "ok");
				pass++;
			}
		} else {
			want = slurp(is_err ? errp : okp);
			if (!want) {
				printf("FAIL %s: %s (no %s.%s)\n", names[i],
				       is_err ? "rejected" : "accepted", names[i],
				       is_err ? "err" : "ok");
				printf("%s", got);
				fail++;
			} else if (strcmp(got, want)) {
				printf("FAIL %s: output differs from %s.%s; got:\n%s", names[i],
				       names[i], is_err ? "err" : "ok", got);
				fail++;
			} else if (problem[0]) {
				printf("FAIL %s: %s\n", names[i], problem);
				fail++;
			} else {
				printf("ok   %s\n", names[i]);
				pass++;
			}
			free(want);
		}
		free(in);
		free(got);
		free(names[i]);
	}
	printf("golden: %zu passed, %zu failed\n", pass, fail);
	conf_ctx_free(cx);
	return fail || !n ? 1 : 0;
}
