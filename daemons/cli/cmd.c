/*
 * The command tree engine: tokenizing, unique-prefix matching, pipes,
 * completion and help. Junos rules: a keyword may be shortened to any unique
 * prefix ("sh chas clu st"); an exact keyword beats a longer one it
 * prefixes; a value node takes any word no keyword matches.
 *
 * Both modes share it: operational mode walks cli_root, configuration mode
 * cli_cfg_root (config.c). Below a CLI_N_SCHEMA node (set, delete, show
 * configuration, ...) the words are configuration statements that only mgd
 * knows: a CLI_N_REST node collects them and completion asks mgd.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"

static bool cli_node_end(const struct cli_node *n)
{
	return !n->name && !n->arg;
}

int cli_tokenize(char *buf, char **words, int max)
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

int cli_quote_word(char *buf, size_t len, size_t *off, const char *word)
{
	bool quote = !*word || strpbrk(word, " \t\"'\\{};#|[]") != NULL;
	size_t o = *off;

	if (o + 1 >= len)
		return -1;
	if (quote)
		buf[o++] = '"';
	for (const char *p = word; *p; p++) {
		if (o + 3 >= len)
			return -1;
		if (quote && (*p == '"' || *p == '\\'))
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	if (quote) {
		if (o + 1 >= len)
			return -1;
		buf[o++] = '"';
	}
	buf[o] = '\0';
	*off = o;
	return 0;
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
		if (len && strncmp(c->name, word, len) == 0) {
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

/* Where a walk through the tree ended. */
struct cli_walk {
	const struct cli_node *node;     /* last command node (holds fetch/text) */
	const struct cli_node *children; /* what may come next */
	unsigned used;                   /* options of `children` already given */
	const struct cli_node *option;   /* an option still waiting for its value */
	const struct cli_node *siblings; /* ... and the options beside it */
	unsigned sib_used;
	unsigned flags; /* union of the flags on the way */
};

static int cli_walk(const struct cli_node *root, char **words, int n, struct cli_argv *av,
                    struct cli_walk *w, char *err, size_t errlen)
{
	const struct cli_node *children = root, *node = NULL, *optset = NULL, *option = NULL;
	unsigned used = 0, optused = 0, flags = 0;

	av->n = 0;
	for (int i = 0; i < n; i++) {
		const struct cli_node *m = NULL;
		char exp[256];

		/* An option with an optional value: a sibling keyword ends it. */
		if (option && (option->flags & CLI_N_OPTVAL) &&
		    cli_match_child(optset, words[i], optused, &m) == CLI_MATCH_ONE && m->name) {
			children = optset;
			used = optused;
			optset = option = NULL;
		}
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
		flags |= m->flags;
		if (m->flags & CLI_N_REST) {
			if (av->n + n - i > CLI_MAX_WORDS) {
				snprintf(err, errlen, "too many words");
				return -1;
			}
			for (; i < n; i++) {
				av->node[av->n] = m;
				av->word[av->n++] = words[i];
			}
			children = NULL;
			break;
		}
		if (av->n == CLI_MAX_WORDS) {
			snprintf(err, errlen, "too many words");
			return -1;
		}
		av->node[av->n] = m;
		av->word[av->n] = m->name ? m->name : words[i];
		av->n++;
		if (optset) { /* m is the value of an option: back to the option set */
			children = optset;
			used = optused;
			optset = option = NULL;
			continue;
		}
		if (m->flags & CLI_N_OPTION) {
			if (m - children < 32)
				used |= 1u << (m - children);
			if (m->children) {
				optset = children;
				optused = used;
				option = m;
				children = m->children;
				used = 0;
			}
			continue;
		}
		node = m;
		children = m->children;
		used = 0;
	}
	if (node)
		flags |= node->flags;
	w->node = node;
	w->children = children;
	w->used = used;
	w->option = option;
	w->siblings = optset;
	w->sib_used = optused;
	w->flags = flags;
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

static const struct cli_node cli_pipe_display_op[] = {
        {.name = "json", .help = "Show output as JSON"},
        {0},
};
static const struct cli_node cli_pipe_display_cfg[] = {
        {.name = "inheritance", .help = "Show inherited configuration data (groups applied)"},
        {.name = "json", .help = "Show output as JSON"},
        {.name = "set", .help = "Show configuration as set commands"},
        {0},
};
static const struct cli_node cli_pipe_re[] = {
        {.arg = "<regex>", .help = "Regular expression"},
        {0},
};
static const struct cli_node cli_pipe_rollback_n[] = {
        {.arg = "<number>", .help = "Rollback number (0..49)"},
        {0},
};
static const struct cli_node cli_pipe_compare[] = {
        {.name = "rollback",
         .help = "Compare against a previous configuration",
         .children = cli_pipe_rollback_n},
        {0},
};

/* Three tables, by what the command accepts (alphabetical, as Junos lists them). */
#define CLI_PIPE_TEXT_FILTERS                                                                      \
	{.name = "except",                                                                         \
	 .help = "Show only text that does not match a pattern",                                   \
	 .children = cli_pipe_re},                                                                 \
	        {.name = "match",                                                                  \
	         .help = "Show only text that matches a pattern",                                  \
	         .children = cli_pipe_re},                                                         \
	{                                                                                          \
		.name = "no-more", .help = "Don't paginate output"                                 \
	}

static const struct cli_node cli_pipe_op[] = {
        {.name = "count", .help = "Count the lines of output"},
        {.name = "display",
         .help = "Show additional kinds of information",
         .children = cli_pipe_display_op},
        CLI_PIPE_TEXT_FILTERS,
        {0},
};
static const struct cli_node cli_pipe_cfg[] = {
        {.name = "count", .help = "Count the lines of output"},
        {.name = "display",
         .help = "Show additional kinds of information",
         .children = cli_pipe_display_cfg},
        CLI_PIPE_TEXT_FILTERS,
        {0},
};
static const struct cli_node cli_pipe_cmp[] = {
        {.name = "compare",
         .help = "Compare configuration changes with a prior version",
         .children = cli_pipe_compare},
        {.name = "count", .help = "Count the lines of output"},
        {.name = "display",
         .help = "Show additional kinds of information",
         .children = cli_pipe_display_cfg},
        CLI_PIPE_TEXT_FILTERS,
        {0},
};

static const struct cli_node *cli_pipe_table(unsigned allow)
{
	if (allow & CLI_N_PIPE_COMPARE)
		return cli_pipe_cmp;
	if (allow & CLI_N_PIPE_CONFIG)
		return cli_pipe_cfg;
	return cli_pipe_op;
}

static int cli_pipe_parse(char *text, const struct cli_node *table, struct cli_pipeline *pl,
                          char *err, size_t errlen)
{
	char *words[8], exp[256];
	int n = cli_tokenize(text, words, 8);
	const struct cli_node *m = NULL, *d = NULL;
	struct cli_pipe *p = &pl->p[pl->n];

	if (n <= 0) {
		snprintf(err, errlen,
		         n < 0 ? "unterminated quote after '|'" : "missing command after '|'");
		return -1;
	}
	if (cli_match_child(table, words[0], 0, &m) != CLI_MATCH_ONE || !m->name) {
		cli_expecting(table, 0, exp, sizeof(exp));
		snprintf(err, errlen, "syntax error at '| %s', expecting one of: %s", words[0],
		         exp);
		return -1;
	}
	if (strcmp(m->name, "count") == 0 || strcmp(m->name, "no-more") == 0) {
		if (n != 1) {
			snprintf(err, errlen, "'%s' takes no argument", m->name);
			return -1;
		}
		p->kind = m->name[0] == 'c' ? PIPE_COUNT : PIPE_NO_MORE;
		pl->n++;
		return 0;
	}
	if (strcmp(m->name, "display") == 0) {
		cli_expecting(m->children, 0, exp, sizeof(exp));
		if (n != 2 || cli_match_child(m->children, words[1], 0, &d) != CLI_MATCH_ONE) {
			snprintf(err, errlen, "syntax error, expecting '| display' %s", exp);
			return -1;
		}
		if (strcmp(d->name, "inheritance") == 0)
			pl->disp.inheritance = true;
		else
			pl->disp.fmt = strcmp(d->name, "set") == 0 ? CLI_FMT_SET : CLI_FMT_JSON;
		return 0;
	}
	if (strcmp(m->name, "compare") == 0) {
		char *end;
		unsigned long r;

		pl->disp.compare = true;
		if (n == 1)
			return 0;
		if (n != 3 || strncmp("rollback", words[1], strlen(words[1])) != 0) {
			snprintf(err, errlen,
			         "syntax error, expecting '| compare [rollback <number>]'");
			return -1;
		}
		r = strtoul(words[2], &end, 10);
		if (!isdigit((unsigned char)words[2][0]) || *end || r > 49) {
			snprintf(err, errlen, "invalid rollback number '%s': range 0..49",
			         words[2]);
			return -1;
		}
		pl->disp.compare_rollback = true;
		pl->disp.rollback = (unsigned)r;
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
	pl->n++;
	return 0;
}

void cli_pipeline_free(struct cli_pipeline *pl)
{
	for (int i = 0; i < pl->n; i++)
		if (pl->p[i].kind == PIPE_MATCH || pl->p[i].kind == PIPE_EXCEPT)
			regfree(&pl->p[i].re);
	pl->n = 0;
}

int cli_pipeline_parse(char *const *parts, int n, unsigned allow, struct cli_pipeline *pl,
                       char *err, size_t errlen)
{
	const struct cli_node *table = cli_pipe_table(allow);

	memset(pl, 0, sizeof(*pl));
	if (n > CLI_MAX_PIPES) {
		snprintf(err, errlen, "too many pipes");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (cli_pipe_parse(parts[i], table, pl, err, errlen) < 0) {
			cli_pipeline_free(pl);
			return -1;
		}
	}
	if (pl->disp.compare && pl->disp.fmt != CLI_FMT_TEXT) {
		cli_pipeline_free(pl);
		snprintf(err, errlen, "'| compare' cannot be combined with '| display set|json'");
		return -1;
	}
	return 0;
}

int cli_split_pipes(char *line, char **parts, int max)
{
	int n = 0;
	char quote = 0;

	parts[n++] = line;
	for (char *p = line; *p; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
		} else if (*p == '\\' && p[1]) {
			p++;
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
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
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

void cli_pipeline_write(const struct cli_pipeline *pl, char *text, FILE *out)
{
	long count = 0;
	bool counting = false;
	char *next;

	for (int i = 0; i < pl->n; i++)
		counting |= pl->p[i].kind == PIPE_COUNT;
	/* Split by hand: blank lines are part of Junos layouts (strtok would drop them). */
	for (char *line = text; line && *line; line = next) {
		bool keep = true;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';

		for (int i = 0; i < pl->n && keep; i++) {
			if (pl->p[i].kind == PIPE_MATCH)
				keep = regexec(&pl->p[i].re, line, 0, NULL, 0) == 0;
			else if (pl->p[i].kind == PIPE_EXCEPT)
				keep = regexec(&pl->p[i].re, line, 0, NULL, 0) != 0;
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

int cli_exec_tree(struct cli *cli, const struct cli_node *root, const char *line, FILE *out)
{
	char buf[8192], *parts[CLI_MAX_PIPES + 1], *words[CLI_MAX_WORDS];
	struct cli_pipeline pl = {0};
	char err[CLI_ERR_LEN] = "";
	struct cli_argv av;
	struct cli_walk w;
	const struct cli_node *node;
	int nparts, n, rc = -1;
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem;

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
	n = cli_tokenize(parts[0], words, CLI_MAX_WORDS);
	if (n < 0) {
		snprintf(err, sizeof(err), "unterminated quote or too many words");
		goto fail;
	}
	if (n == 0) {
		if (nparts == 1)
			return 0;
		snprintf(err, sizeof(err), "missing command before '|'");
		goto fail;
	}
	if (cli_walk(root, words, n, &av, &w, err, sizeof(err)) < 0)
		goto fail;
	node = w.node;
	if (w.option && !(w.option->flags & CLI_N_OPTVAL)) {
		char exp[256];

		cli_expecting(w.option->children, 0, exp, sizeof(exp));
		snprintf(err, sizeof(err), "syntax error, expecting %s after '%s'", exp,
		         w.option->name);
		goto fail;
	}
	if (!node || (!node->fetch && !node->text)) {
		char exp[256];

		cli_expecting(node ? node->children : root, 0, exp, sizeof(exp));
		snprintf(err, sizeof(err), "incomplete command, expecting one of: %s", exp);
		goto fail;
	}
	if (cli_pipeline_parse(parts + 1, nparts - 1, w.flags, &pl, err, sizeof(err)) < 0)
		goto fail;

	mem = open_memstream(&text, &textlen);
	if (!mem) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (node->text) {
		rc = node->text(cli, &av, &pl.disp, mem, err, sizeof(err));
	} else {
		struct json_object *data = node->fetch(cli, &av, err, sizeof(err));

		if (data) {
			if (pl.disp.fmt == CLI_FMT_JSON || !node->render)
				fprintf(mem, "%s\n",
				        json_object_to_json_string_ext(
				                data,
				                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
			else
				node->render(cli, &av, data, mem);
			json_object_put(data);
			rc = 0;
		}
	}
	fclose(mem);
	/* A command that failed half-way still shows what it printed. */
	if (text)
		cli_pipeline_write(&pl, text, out);
	free(text);
	cli_pipeline_free(&pl);
	if (rc == 0)
		return 0;
	if (!err[0])
		return -1; /* the command reported its own errors */
fail:
	if (!err[0])
		snprintf(err, sizeof(err), "command failed");
	cli_error(cli, "%s", err);
	return -1;
}

int cli_exec_line(struct cli *cli, const char *line, FILE *out)
{
	if (cli->cfg)
		return cli_config_exec(cli, line, out);
	return cli_exec_tree(cli, cli_root, line, out);
}

/* ---- completion and help */

void cli_choices_add(struct cli_choices *ch, const char *word, const char *help, bool value)
{
	for (int i = 0; i < ch->n; i++)
		if (strcmp(ch->v[i].word, word) == 0)
			return;
	if (ch->n == ch->cap) {
		int cap = ch->cap ? 2 * ch->cap : 16;
		struct cli_choice *v = realloc(ch->v, (size_t)cap * sizeof(*v));

		if (!v)
			return;
		ch->v = v;
		ch->cap = cap;
	}
	ch->v[ch->n].word = strdup(word);
	ch->v[ch->n].help = strdup(help ? help : "");
	ch->v[ch->n].value = value;
	if (ch->v[ch->n].word && ch->v[ch->n].help)
		ch->n++;
	else {
		free(ch->v[ch->n].word);
		free(ch->v[ch->n].help);
	}
}

void cli_choices_free(struct cli_choices *ch)
{
	for (int i = 0; i < ch->n; i++) {
		free(ch->v[i].word);
		free(ch->v[i].help);
	}
	free(ch->v);
	memset(ch, 0, sizeof(*ch));
}

static void cli_choices_from(struct cli_choices *out, const struct cli_node *c, unsigned used)
{
	for (int i = 0; c && !cli_node_end(&c[i]); i++) {
		if (i < 32 && (used & (1u << i)))
			continue;
		cli_choices_add(out, c[i].name ? c[i].name : c[i].arg, c[i].help, !c[i].name);
	}
}

int cli_tree_choices(struct cli *cli, const struct cli_node *root, const char *line,
                     struct cli_choices *out, const char **partial)
{
	char buf[8192], *parts[CLI_MAX_PIPES + 1], *words[CLI_MAX_WORDS];
	struct cli_argv av;
	struct cli_walk w;
	char err[CLI_ERR_LEN];
	size_t l;
	int n, nparts;

	/* The partial word is whatever follows the last space or '|'; it
	 * points into the caller's line. */
	const char *sp = line + strlen(line);
	while (sp > line && sp[-1] != ' ' && sp[-1] != '\t' && sp[-1] != '|')
		sp--;
	*partial = sp;
	l = (size_t)(sp - line);
	if (l >= sizeof(buf))
		return -1;
	memcpy(buf, line, l);
	buf[l] = '\0';

	nparts = cli_split_pipes(buf, parts, CLI_MAX_PIPES + 1);
	if (nparts < 0)
		return -1;
	n = cli_tokenize(parts[0], words, CLI_MAX_WORDS);
	if (n < 0 || cli_walk(root, words, n, &av, &w, err, sizeof(err)) < 0)
		return -1;
	if (nparts > 1) {
		/* Inside a pipe: walk its words through the pipe table this
		 * command accepts. */
		const struct cli_node *c = cli_pipe_table(w.flags);
		char *pw[8];
		int pn = cli_tokenize(parts[nparts - 1], pw, 8);

		if (pn < 0)
			return -1;
		for (int i = 0; i < pn; i++) {
			const struct cli_node *m = NULL;

			if (!c || cli_match_child(c, pw[i], 0, &m) != CLI_MATCH_ONE)
				return -1;
			c = m->children;
		}
		cli_choices_from(out, c, 0);
		out->pipe = pn > 0 && !c; /* another pipe once this one is complete */
		return 0;
	}
	if (w.node && (w.node->flags & CLI_N_SCHEMA) && !w.option) {
		char *sw[CLI_MAX_WORDS];
		int sn = 0;

		for (int i = 0; i < av.n; i++)
			if (av.node[i]->flags & CLI_N_REST)
				sw[sn++] = (char *)av.word[i];
		out->pipe = w.node->text || w.node->fetch;
		return cli_config_schema_choices(cli, w.node->verb ? w.node->verb : w.node->name,
		                                 sw, sn, *partial, out);
	}
	if (w.option) {
		cli_choices_from(out, w.option->children, 0);
		if (w.option->flags & CLI_N_OPTVAL)
			cli_choices_from(out, w.siblings, w.sib_used);
	} else {
		cli_choices_from(out, w.children, w.used);
	}
	out->pipe = w.node && (w.node->fetch || w.node->text) &&
	            (!w.option || (w.option->flags & CLI_N_OPTVAL));
	return 0;
}

int cli_line_choices(struct cli *cli, const char *line, struct cli_choices *out,
                     const char **partial)
{
	if (cli && cli->cfg)
		return cli_config_choices(cli, line, out, partial);
	return cli_tree_choices(cli, cli_root, line, out, partial);
}

int cli_line_complete(struct cli *cli, const char *line, struct cli_choices *matches,
                      const char **partial)
{
	struct cli_choices all = {0};
	size_t pl;

	memset(matches, 0, sizeof(*matches));
	if (cli_line_choices(cli, line, &all, partial) < 0) {
		cli_choices_free(&all);
		return 0;
	}
	pl = strlen(*partial);
	for (int i = 0; i < all.n; i++)
		if (!all.v[i].value && strncmp(all.v[i].word, *partial, pl) == 0)
			cli_choices_add(matches, all.v[i].word, all.v[i].help, false);
	cli_choices_free(&all);
	return matches->n;
}

void cli_line_help(struct cli *cli, const char *line, FILE *out)
{
	struct cli_choices ch = {0};
	const char *partial;
	int shown = 0;

	if (cli_line_choices(cli, line, &ch, &partial) < 0) {
		fprintf(out, "No valid completions\n");
		cli_choices_free(&ch);
		return;
	}
	fprintf(out, "Possible completions:\n");
	for (int i = 0; i < ch.n; i++) {
		if (!ch.v[i].value && strncmp(ch.v[i].word, partial, strlen(partial)) != 0)
			continue;
		fprintf(out, "  %-22s %s\n", ch.v[i].word, ch.v[i].help);
		shown++;
	}
	if (ch.pipe && !*partial)
		fprintf(out, "  %-22s %s\n", "|", "Pipe through a command");
	if (!shown && *partial)
		fprintf(out, "No valid completions\n");
	cli_choices_free(&ch);
}

/* The operational-mode forms kept for callers without a session. */
int cli_complete(const char *line, const char **matches, int max, const char **prefix)
{
	static struct cli_choices last;
	int n = 0;

	cli_choices_free(&last);
	cli_line_complete(NULL, line, &last, prefix);
	for (int i = 0; i < last.n && n < max; i++)
		matches[n++] = last.v[i].word;
	return n;
}

void cli_help(const char *line, FILE *out)
{
	cli_line_help(NULL, line, out);
}
