/*
 * The command tree engine: tokenizing, unique-prefix matching, pipes,
 * completion and help. Junos rules: a keyword may be shortened to any unique
 * prefix ("sh chas clu st"); an exact keyword beats a longer one it
 * prefixes; a value node takes any word no keyword matches.
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"

#define CLI_MAX_PIPES 8

static bool cli_node_end(const struct cli_node *n)
{
	return !n->name && !n->arg;
}

/* Splits a line into words; quotes group, backslash escapes. Words point into
 * buf (modified). Returns the count or -1 on an unterminated quote. */
static int cli_tokenize(char *buf, char **words, int max)
{
	int n = 0;
	char *p = buf;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		char *w = p, *o = p;
		char quote = 0;

		while (*p && (quote || !isspace((unsigned char)*p))) {
			if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p++;
			} else if (*p == '\\' && p[1]) {
				*o++ = p[1];
				p += 2;
			} else {
				*o++ = *p++;
			}
		}
		if (quote)
			return -1;
		if (*p)
			p++;
		*o = '\0';
		words[n++] = w;
	}
	return n;
}

enum cli_match { CLI_MATCH_NONE, CLI_MATCH_ONE, CLI_MATCH_AMBIGUOUS };

/* Finds the child of `parent` that `word` selects. */
static enum cli_match cli_match_child(const struct cli_node *children, const char *word,
                                      unsigned used, const struct cli_node **out)
{
	const struct cli_node *prefix = NULL, *value = NULL;
	int nprefix = 0;
	size_t len = strlen(word);

	for (int i = 0; !cli_node_end(&children[i]); i++) {
		const struct cli_node *c = &children[i];

		if (i < 32 && (used & (1u << i)))
			continue;
		if (!c->name) {
			if (!value)
				value = c;
			continue;
		}
		if (strcmp(c->name, word) == 0) {
			*out = c;
			return CLI_MATCH_ONE;
		}
		if (strncmp(c->name, word, len) == 0) {
			prefix = c;
			nprefix++;
		}
	}
	if (nprefix == 1) {
		*out = prefix;
		return CLI_MATCH_ONE;
	}
	if (nprefix > 1)
		return CLI_MATCH_AMBIGUOUS;
	if (value) {
		*out = value;
		return CLI_MATCH_ONE;
	}
	return CLI_MATCH_NONE;
}

static void cli_expecting(const struct cli_node *children, unsigned used, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; children && !cli_node_end(&children[i]) && off < len; i++) {
		if (i < 32 && (used & (1u << i)))
			continue;
		const char *w = children[i].name ? children[i].name : children[i].arg;
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", w);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Walks words through the tree. On success *cur is the node reached. */
static int cli_walk(char **words, int n, struct cli_argv *av, const struct cli_node **cur,
                    char *err, size_t errlen)
{
	const struct cli_node *children = cli_root, *node = NULL;
	unsigned used = 0;

	av->n = 0;
	for (int i = 0; i < n; i++) {
		const struct cli_node *m = NULL;
		char exp[256];

		if (!children) {
			snprintf(err, errlen, "syntax error at '%s': nothing more expected",
			         words[i]);
			return -1;
		}
		switch (cli_match_child(children, words[i], used, &m)) {
		case CLI_MATCH_NONE:
			cli_expecting(children, used, exp, sizeof(exp));
			snprintf(err, errlen, "syntax error at '%s', expecting one of: %s",
			         words[i], exp);
			return -1;
		case CLI_MATCH_AMBIGUOUS:
			snprintf(err, errlen, "'%s' is ambiguous", words[i]);
			return -1;
		case CLI_MATCH_ONE:
			break;
		}
		if (av->n == CLI_MAX_WORDS) {
			snprintf(err, errlen, "too many words");
			return -1;
		}
		av->node[av->n] = m;
		av->word[av->n] = m->name ? m->name : words[i];
		av->n++;
		if ((m->flags & CLI_N_OPTION) && !m->children) {
			used |= 1u << (m - children);
			continue;
		}
		node = m;
		children = m->children;
		used = 0;
	}
	*cur = node;
	return 0;
}

bool cli_argv_has(const struct cli_argv *av, const char *keyword)
{
	for (int i = 0; i < av->n; i++)
		if (av->node[i]->name && strcmp(av->node[i]->name, keyword) == 0)
			return true;
	return false;
}

const char *cli_argv_value(const struct cli_argv *av, const char *arg)
{
	for (int i = 0; i < av->n; i++)
		if (!av->node[i]->name && av->node[i]->arg && strcmp(av->node[i]->arg, arg) == 0)
			return av->word[i];
	return NULL;
}

void cli_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cli->errors++;
}

/* ---- pipes */

enum cli_pipe_kind { PIPE_MATCH, PIPE_EXCEPT, PIPE_COUNT, PIPE_NO_MORE, PIPE_JSON };

struct cli_pipe {
	enum cli_pipe_kind kind;
	regex_t re;
};

static const struct cli_node cli_pipe_display[] = {
        {.name = "json", .help = "Show output as JSON"},
        {0},
};
static const struct cli_node cli_pipe_re[] = {
        {.arg = "<regex>", .help = "Regular expression"},
        {0},
};
static const struct cli_node cli_pipe_root[] = {
        {.name = "count", .help = "Count the lines of output"},
        {.name = "display",
         .help = "Show additional kinds of information",
         .children = cli_pipe_display},
        {.name = "except",
         .help = "Show only text that does not match a pattern",
         .children = cli_pipe_re},
        {.name = "match", .help = "Show only text that matches a pattern", .children = cli_pipe_re},
        {.name = "no-more", .help = "Don't paginate output"},
        {0},
};

static int cli_pipe_parse(char *text, struct cli_pipe *p, char *err, size_t errlen)
{
	char *words[8];
	int n = cli_tokenize(text, words, 8);
	const struct cli_node *m = NULL;

	if (n <= 0) {
		snprintf(err, errlen, "missing command after '|'");
		return -1;
	}
	if (cli_match_child(cli_pipe_root, words[0], 0, &m) != CLI_MATCH_ONE || !m->name) {
		snprintf(
		        err, errlen,
		        "syntax error at '| %s', expecting one of: count display except match no-more",
		        words[0]);
		return -1;
	}
	if (strcmp(m->name, "count") == 0 || strcmp(m->name, "no-more") == 0) {
		p->kind = m->name[0] == 'c' ? PIPE_COUNT : PIPE_NO_MORE;
		return n == 1 ? 0 : (snprintf(err, errlen, "'%s' takes no argument", m->name), -1);
	}
	if (strcmp(m->name, "display") == 0) {
		if (n != 2 || cli_match_child(cli_pipe_display, words[1], 0, &m) != CLI_MATCH_ONE) {
			snprintf(err, errlen, "syntax error, expecting '| display json'");
			return -1;
		}
		p->kind = PIPE_JSON;
		return 0;
	}
	if (n != 2) {
		snprintf(err, errlen, "'%s' takes one pattern (quote it if it has spaces)",
		         m->name);
		return -1;
	}
	p->kind = m->name[0] == 'm' ? PIPE_MATCH : PIPE_EXCEPT;
	if (regcomp(&p->re, words[1], REG_EXTENDED | REG_NOSUB) != 0) {
		snprintf(err, errlen, "bad regular expression '%s'", words[1]);
		return -1;
	}
	return 0;
}

/* Splits at '|' outside quotes. */
static int cli_split_pipes(char *line, char **parts, int max)
{
	int n = 0;
	char quote = 0;

	parts[n++] = line;
	for (char *p = line; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '|') {
			if (n == max)
				return -1;
			*p = '\0';
			parts[n++] = p + 1;
		}
	}
	return n;
}

int cli_split_commands(char *buf, char **cmds, int max)
{
	int n = 0;
	char quote = 0;
	char *start = buf;

	for (char *p = buf;; p++) {
		if (*p && quote) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p;
			continue;
		}
		if (*p == ';' || *p == '\0' || *p == '\n') {
			bool end = *p == '\0';

			*p = '\0';
			while (isspace((unsigned char)*start))
				start++;
			for (char *e = p; e > start && isspace((unsigned char)e[-1]);)
				*--e = '\0';
			if (*start && n < max)
				cmds[n++] = start;
			if (end)
				break;
			start = p + 1;
		}
	}
	return n;
}

static void cli_filter(FILE *out, char *text, struct cli_pipe *pipes, int npipes)
{
	long count = 0;
	bool counting = false;
	char *save = NULL;

	for (int i = 0; i < npipes; i++)
		counting |= pipes[i].kind == PIPE_COUNT;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool keep = true;

		for (int i = 0; i < npipes && keep; i++) {
			if (pipes[i].kind == PIPE_MATCH)
				keep = regexec(&pipes[i].re, line, 0, NULL, 0) == 0;
			else if (pipes[i].kind == PIPE_EXCEPT)
				keep = regexec(&pipes[i].re, line, 0, NULL, 0) != 0;
		}
		if (!keep)
			continue;
		count++;
		if (!counting)
			fprintf(out, "%s\n", line);
	}
	if (counting)
		fprintf(out, "Count: %ld lines\n", count);
}

int cli_exec_line(struct cli *cli, const char *line, FILE *out)
{
	char buf[4096], *parts[CLI_MAX_PIPES + 1], *words[CLI_MAX_WORDS];
	struct cli_pipe pipes[CLI_MAX_PIPES];
	char err[CLI_ERR_LEN] = "";
	struct cli_argv av;
	const struct cli_node *node = NULL;
	bool json = false;
	int npipes = 0, nparts, n, rc = -1;

	if (strlen(line) >= sizeof(buf)) {
		cli_error(cli, "command too long");
		return -1;
	}
	memcpy(buf, line, strlen(line) + 1);
	nparts = cli_split_pipes(buf, parts, CLI_MAX_PIPES + 1);
	if (nparts < 0) {
		cli_error(cli, "too many pipes");
		return -1;
	}
	for (int i = 1; i < nparts; i++) {
		if (cli_pipe_parse(parts[i], &pipes[npipes], err, sizeof(err)) < 0)
			goto out;
		json |= pipes[npipes].kind == PIPE_JSON;
		npipes++;
	}
	n = cli_tokenize(parts[0], words, CLI_MAX_WORDS);
	if (n < 0) {
		snprintf(err, sizeof(err), "unterminated quote or too many words");
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (cli_walk(words, n, &av, &node, err, sizeof(err)) < 0)
		goto out;
	if (!node || !node->fetch) {
		char exp[256];

		cli_expecting(node ? node->children : cli_root, 0, exp, sizeof(exp));
		snprintf(err, sizeof(err), "incomplete command, expecting one of: %s", exp);
		goto out;
	}

	struct json_object *data = node->fetch(cli, &av, err, sizeof(err));
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem;

	if (!data) {
		if (!err[0])
			snprintf(err, sizeof(err), "command failed");
		goto out;
	}
	mem = open_memstream(&text, &textlen);
	if (!mem) {
		json_object_put(data);
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	if (json || !node->render)
		fprintf(mem, "%s\n",
		        json_object_to_json_string_ext(data, JSON_C_TO_STRING_PRETTY |
		                                                     JSON_C_TO_STRING_SPACED));
	else
		node->render(cli, &av, data, mem);
	fclose(mem);
	json_object_put(data);
	cli_filter(out, text, pipes, npipes);
	free(text);
	rc = 0;
out:
	for (int i = 0; i < npipes; i++)
		if (pipes[i].kind == PIPE_MATCH || pipes[i].kind == PIPE_EXCEPT)
			regfree(&pipes[i].re);
	if (rc != 0)
		cli_error(cli, "%s", err);
	return rc;
}

/* ---- completion and help */

/* Children available after the complete words of `line`; *partial is the
 * last, incomplete word ("" after a space). NULL when the words don't parse. */
static const struct cli_node *cli_children_at(const char *line, char *buf, size_t len,
                                              const char **partial, unsigned *used, bool *in_pipe)
{
	char *words[CLI_MAX_WORDS];
	const char *bar = strrchr(line, '|');
	const struct cli_node *node = NULL;
	struct cli_argv av;
	char err[CLI_ERR_LEN];
	size_t l;
	int n;

	*in_pipe = bar != NULL;
	if (bar)
		line = bar + 1;
	/* The partial word is whatever follows the last space; it points
	 * into the caller's line. */
	const char *sp = strrchr(line, ' ');
	*partial = sp ? sp + 1 : line;
	l = (size_t)(*partial - line);
	if (l >= len)
		return NULL;
	memcpy(buf, line, l);
	buf[l] = '\0';

	n = cli_tokenize(buf, words, CLI_MAX_WORDS);
	if (n < 0)
		return NULL;
	*used = 0;
	if (*in_pipe) {
		const struct cli_node *c = cli_pipe_root;

		for (int i = 0; i < n; i++) {
			const struct cli_node *m = NULL;

			if (!c || cli_match_child(c, words[i], 0, &m) != CLI_MATCH_ONE)
				return NULL;
			c = m->children;
		}
		return c;
	}
	if (cli_walk(words, n, &av, &node, err, sizeof(err)) < 0)
		return NULL;
	/* Options already given stay out of the list. */
	const struct cli_node *children = node ? node->children : cli_root;
	for (int i = av.n - 1;
	     i >= 0 && (av.node[i]->flags & CLI_N_OPTION) && !av.node[i]->children; i--)
		*used |= 1u << (av.node[i] - children);
	return children;
}

int cli_complete(const char *line, const char **matches, int max, const char **prefix)
{
	char buf[4096];
	const char *partial;
	unsigned used;
	bool in_pipe;
	const struct cli_node *c =
	        cli_children_at(line, buf, sizeof(buf), &partial, &used, &in_pipe);
	int n = 0;

	*prefix = partial;
	if (!c)
		return 0;
	for (int i = 0; !cli_node_end(&c[i]) && n < max; i++) {
		if ((i < 32 && (used & (1u << i))) || !c[i].name)
			continue;
		if (strncmp(c[i].name, partial, strlen(partial)) == 0)
			matches[n++] = c[i].name;
	}
	return n;
}

void cli_help(const char *line, FILE *out)
{
	char buf[4096];
	const char *partial;
	unsigned used;
	bool in_pipe;
	const struct cli_node *c =
	        cli_children_at(line, buf, sizeof(buf), &partial, &used, &in_pipe);
	int shown = 0;

	if (!c) {
		fprintf(out, "No valid completions\n");
		return;
	}
	fprintf(out, "Possible completions:\n");
	for (int i = 0; !cli_node_end(&c[i]); i++) {
		const char *w = c[i].name ? c[i].name : c[i].arg;

		if ((i < 32 && (used & (1u << i))))
			continue;
		if (c[i].name && strncmp(c[i].name, partial, strlen(partial)) != 0)
			continue;
		fprintf(out, "  %-22s %s\n", w, c[i].help ? c[i].help : "");
		shown++;
	}
	if (!in_pipe && !*partial)
		fprintf(out, "  %-22s %s\n", "|", "Pipe through a command");
	if (!shown && *partial)
		fprintf(out, "No valid completions\n");
}
