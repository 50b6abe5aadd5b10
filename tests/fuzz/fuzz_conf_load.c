/*
 * mgd's config loader (daemons/mgd/conf_parse.c) on arbitrary text: the first
 * byte picks the load mode (merge / override / set / replace) onto a small
 * base config, the rest is the text. Whatever loads must print in every
 * format, validate or fail cleanly, diff against the base, complete, and
 * survive the on-disk round trip unchanged (serialize -> parse -> equal);
 * a broken round trip aborts so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/mgd/conf.h"

static const char base_text[] =
        "system { host-name fuzz; }\n"
        "interfaces { eth1 { unit 0 { family inet { address 10.0.0.1/24; } } } }\n"
        "vlans { v10 { vlan-id 10; } }\n";

static void choice(void *arg, const char *word, const char *help, bool value, bool container)
{
	(void)arg;
	(void)word;
	(void)help;
	(void)value;
	(void)container;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_ctx *cx;
	static struct conf *base;
	char err[CONF_ERR_LEN], *text, *out = NULL, *ser = NULL;
	struct conf *c, *back;
	int line;

	if (!cx) {
		const char *d = getenv("KEEL_YANG_DIR");

		cx = conf_ctx_new(d ? d : "yang", err, sizeof(err));
		if (!cx) {
			fprintf(stderr, "fuzz_conf_load: %s\n", err);
			abort();
		}
		conf_ctx_set_node(cx, "node0");
		base = conf_parse(cx, base_text, err, sizeof(err));
		if (!base)
			abort();
	}
	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	c = conf_dup(base);
	if (c && conf_load(c, (enum conf_load)(data[0] % 4), text, NULL, 0, &line, err,
	                   sizeof(err)) == 0) {
		const char *words[] = {"interfaces", "eth1"};

		if (conf_print(c, NULL, 0, CONF_FMT_TEXT, false, &out, err, sizeof(err)) == 0)
			free(out);
		if (conf_print(c, NULL, 0, CONF_FMT_SET, false, &out, err, sizeof(err)) == 0)
			free(out);
		if (conf_print(c, NULL, 0, CONF_FMT_TEXT, true, &out, err, sizeof(err)) == 0)
			free(out);
		if (conf_print(c, NULL, 0, CONF_FMT_JSON, false, &out, err, sizeof(err)) == 0)
			free(out);
		if (conf_diff(base, c, NULL, 0, &out, err, sizeof(err)) == 0)
			free(out);
		conf_complete(c, "set", NULL, 0, words, 2, choice, NULL);
		conf_complete(c, "delete", NULL, 0, words, 1, choice, NULL);
		conf_validate(c, err, sizeof(err));
		if (conf_serialize(c, &ser) == 0) {
			back = conf_parse(cx, ser, err, sizeof(err));
			if (!back || !conf_equal(c, back)) {
				fprintf(stderr, "round trip broke (%s):\n%s\n",
				        back ? "differs" : err, ser);
				abort();
			}
			conf_free(back);
			free(ser);
		}
	}
	conf_free(c);
	free(text);
	return 0;
}
