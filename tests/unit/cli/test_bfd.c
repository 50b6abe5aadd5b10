/*
 * show bfd session detail|extensive, the echo lines: a session whose echo is
 * relied on says "active", one that sends echo probes while bfdd's dampening
 * hold-down runs (after an Up or an echo failure) says "probing", and the
 * extensive form names the failure count and the hold-down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "daemons/cli/op_bfd.h"

static struct cli test_cli = {.user = "alice", .host = "r1", .timeout_ms = 2000};

static char *render(const char *session_json, const char *word)
{
	static char buf[8192];
	static const struct cli_node detail = {.name = "detail"}, extensive = {.name = "extensive"};
	struct cli_argv av = {
	        .n = 1, .node = {strcmp(word, "detail") ? &extensive : &detail}, .word = {word}};
	char json[2048];
	struct json_object *o;
	FILE *f;

	snprintf(json, sizeof(json),
	         "{\"" CLI_BFD_SESSIONS "\":{\"session\":[%s],\"summary\":{\"sessions\":1,"
	         "\"clients\":1}}}",
	         session_json);
	o = json_tokener_parse(json);
	assert_non_null(o);
	f = fmemopen(buf, sizeof(buf), "w");
	memset(buf, 0, sizeof(buf));
	cli_render_bfd_sessions(&test_cli, &av, o, f);
	fclose(f);
	json_object_put(o);
	return buf;
}

#define SESSION(echo)                                                                              \
	"{\"key\":{\"peer\":\"10.0.0.2\",\"interface\":\"eth0\"},\"state\":\"Up\","                \
	"\"detection-time-us\":300000,\"transmit-interval-us\":100000,\"multiplier\":3,"           \
	"\"echo-interval-us\":50000,\"echo-tx-interval-us\":50000,"                                \
	"\"required-min-echo-rx-us\":50000,\"remote-min-echo-rx-us\":50000," echo "}"

static void test_echo_active(void **state)
{
	char *out = render(SESSION("\"echo-active\":true"), "detail");

	(void)state;
	assert_non_null(strstr(out, " Echo mode enabled/active, echo interval 0.050\n"));
}

static void test_echo_probing(void **state)
{
	const char *s = SESSION("\"echo-active\":false,\"echo-probing\":true,\"echo-failures\":2,"
	                        "\"echo-holddown-us\":2000000");
	char *out;

	(void)state;
	out = render(s, "detail");
	assert_non_null(strstr(out, " Echo mode enabled/probing, echo interval 0.050\n"));
	assert_null(strstr(out, "Echo failures"));
	out = render(s, "extensive");
	assert_non_null(strstr(out, " Echo failures 2, hold-down 2.000\n"));
}

static void test_echo_off(void **state)
{
	char *out = render("{\"key\":{\"peer\":\"10.0.0.2\"},\"state\":\"Up\"}", "extensive");

	(void)state;
	assert_non_null(strstr(out, " Echo mode disabled/inactive\n"));
	assert_null(strstr(out, "Echo failures"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_echo_active),
	        cmocka_unit_test(test_echo_probing),
	        cmocka_unit_test(test_echo_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
