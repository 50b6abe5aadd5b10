/*
 * The CLI's line parser: tokenizer, prefix matcher, pipes, completion and
 * help, on arbitrary input. KEEL_ROOT points nowhere, so commands that ask a
 * daemon fail fast instead of touching the machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cli cli = {.user = "fuzz", .host = "fuzz", .timeout_ms = 10};
	const char *matches[64], *prefix;
	char line[4096], *cmds[16];
	FILE *out;

	setenv("KEEL_ROOT", "/nonexistent/keel-fuzz", 1);
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';

	out = fopen("/dev/null", "w");
	if (!out)
		return 0;
	cli_complete(line, matches, 64, &prefix);
	cli_help(line, out);
	int n = cli_split_commands(line, cmds, 16);
	FILE *err = stderr;
	stderr = out; /* error messages are expected; keep the fuzzer's output readable */
	for (int i = 0; i < n; i++)
		cli_exec_line(&cli, cmds[i], out);
	stderr = err;
	fclose(out);
	return 0;
}
