/*
 * mgd's files (daemons/mgd/store.c): commit headers, atomic writes, the
 * rollback shift, repair after a crash, the commit-confirmed deadline.
 * KEEL_ROOT is a fresh temporary directory per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"

static char root_dir[128];

static int setup(void **state)
{
	static struct mgd_store st;

	snprintf(root_dir, sizeof(root_dir), "/tmp/keel-test-store-XXXXXX");
	assert_non_null(mkdtemp(root_dir));
	setenv("KEEL_ROOT", root_dir, 1);
	memset(&st, 0, sizeof(st));
	assert_int_equal(mgd_store_init(&st), 0);
	*state = &st;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const struct mgd_store *st, unsigned n)
{
	char path[4096];

	assert_int_equal(mgd_store_path(st, n, path, sizeof(path)), 0);
	return mgd_file_read(path, NULL);
}

static bool exists(const struct mgd_store *st, unsigned n)
{
	char path[4096];
	struct stat sb;

	assert_int_equal(mgd_store_path(st, n, path, sizeof(path)), 0);
	return stat(path, &sb) == 0;
}

static void write_n(const struct mgd_store *st, unsigned n, const char *text)
{
	char path[4096];

	assert_int_equal(mgd_store_path(st, n, path, sizeof(path)), 0);
	assert_int_equal(mgd_file_write_atomic(path, text, strlen(text)), 0);
}

static void test_paths(void **state)
{
	const struct mgd_store *st = *state;
	char path[4096], want[4096];

	assert_int_equal(mgd_store_path(st, 0, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/etc/keel/keel.conf", root_dir);
	assert_string_equal(path, want);
	assert_int_equal(mgd_store_path(st, 7, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/var/lib/keel/rollback/keel.conf.7", root_dir);
	assert_string_equal(path, want);
	assert_int_equal(mgd_store_path(st, MGD_MAX_ROLLBACK + 2, path, sizeof(path)), -1);
	assert_int_equal(mgd_store_path(st, 1, path, 8), -1);
}

static void test_header_round_trip(void **state)
{
	struct mgd_commit_info in = {.time = 1763864433, .generation = 42, .confirmed = true};
	struct mgd_commit_info out;
	const char *body = "system {\n    host-name r1;\n}\n";
	size_t len = 0;
	char *text;

	snprintf(in.user, sizeof(in.user), "alice");
	snprintf(in.client, sizeof(in.client), "cli");
	/* a comment with a newline and quotes must not break the one-line header */
	snprintf(in.comment, sizeof(in.comment), "first \"line\"\n## second");
	text = mgd_header_make(&in, body, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(text, "## Last commit: 2025-11-23 02:20:33 UTC by alice\n", 49);
	assert_string_equal(mgd_header_parse(text, &out), body);
	assert_int_equal(out.time, in.time);
	assert_int_equal(out.generation, 42);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.client, "cli");
	assert_string_equal(out.comment, in.comment);
	assert_true(out.confirmed);
	free(text);

	/* no header (the node launcher's copy): all zero, text unchanged */
	assert_string_equal(mgd_header_parse(body, &out), body);
	assert_int_equal(out.time, 0);
	assert_string_equal(out.user, "");
	/* a broken header line is skipped, not trusted */
	assert_string_equal(mgd_header_parse("## keel-commit {\"time\":\n## x\nbody", &out),
	                    "body");
	assert_int_equal(out.time, 0);
	assert_string_equal(mgd_header_parse("## keel-commit [1,2]", &out), "");
	assert_string_equal(mgd_header_parse("", &out), "");
}

static void test_commit_shifts(void **state)
{
	const struct mgd_store *st = *state;
	char buf[64], prev[64] = "";
	char *t;

	/* 55 commits: running is the last, rollback n the n-th before, 49 kept */
	for (int i = 1; i <= 55; i++) {
		snprintf(buf, sizeof(buf), "config %d\n", i);
		assert_int_equal(
		        mgd_store_commit(st, i > 1 ? prev : NULL, strlen(prev), buf, strlen(buf)),
		        0);
		snprintf(prev, sizeof(prev), "%s", buf);
	}
	t = slurp(st, 0);
	assert_string_equal(t, "config 55\n");
	free(t);
	for (unsigned n = 1; n <= MGD_MAX_ROLLBACK; n++) {
		snprintf(buf, sizeof(buf), "config %u\n", 55 - n);
		t = slurp(st, n);
		assert_non_null(t);
		assert_string_equal(t, buf);
		free(t);
	}
	assert_false(exists(st, MGD_MAX_ROLLBACK + 1));
}

static void test_repair_duplicate_and_gaps(void **state)
{
	const struct mgd_store *st = *state;
	char *t;

	write_n(st, 0, "new\n");
	/* crash after rollback 1 was written, before running was replaced */
	write_n(st, 1, "new\n");
	write_n(st, 2, "older\n");
	/* crash in the middle of a shift: gaps at 3 and 5 */
	write_n(st, 4, "four\n");
	write_n(st, 6, "six\n");
	write_n(st, MGD_MAX_ROLLBACK + 1, "stale\n");
	assert_int_equal(mgd_store_repair(st), 0);
	t = slurp(st, 0);
	assert_string_equal(t, "new\n");
	free(t);
	t = slurp(st, 1);
	assert_string_equal(t, "older\n");
	free(t);
	t = slurp(st, 2);
	assert_string_equal(t, "four\n");
	free(t);
	t = slurp(st, 3);
	assert_string_equal(t, "six\n");
	free(t);
	assert_false(exists(st, 4));
	assert_false(exists(st, MGD_MAX_ROLLBACK + 1));
	/* idempotent */
	assert_int_equal(mgd_store_repair(st), 0);
	assert_true(exists(st, 3));
	assert_false(exists(st, 4));
}

static void test_atomic_write(void **state)
{
	const struct mgd_store *st = *state;
	char path[4096], tmp[4200];
	struct stat sb;
	size_t len;
	char *t;

	assert_int_equal(mgd_store_path(st, 0, path, sizeof(path)), 0);
	assert_int_equal(mgd_file_write_atomic(path, "a", 1), 0);
	assert_int_equal(mgd_file_write_atomic(path, "bb", 2), 0);
	t = mgd_file_read(path, &len);
	assert_int_equal(len, 2);
	assert_string_equal(t, "bb");
	free(t);
	/* no temp file left behind */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(stat(tmp, &sb), -1);
	/* into a directory that does not exist: fails cleanly */
	snprintf(tmp, sizeof(tmp), "%s/nodir/x", root_dir);
	assert_int_equal(mgd_file_write_atomic(tmp, "x", 1), -1);
	errno = 0;
	assert_null(mgd_file_read(tmp, NULL));
	assert_int_equal(errno, ENOENT);
}

static void test_confirm_deadline(void **state)
{
	const struct mgd_store *st = *state;
	unsigned minutes = 0;

	assert_int_equal(mgd_store_confirm_get(st, &minutes), 0);
	assert_int_equal(mgd_store_confirm_set(st, 1763864433, 5), 0);
	assert_int_equal(mgd_store_confirm_get(st, &minutes), 1763864433);
	assert_int_equal(minutes, 5);
	assert_int_equal(mgd_store_confirm_set(st, 0, 0), 0);
	assert_int_equal(mgd_store_confirm_get(st, &minutes), 0);
	/* clearing twice is fine */
	assert_int_equal(mgd_store_confirm_set(st, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
	        cmocka_unit_test(test_header_round_trip),
	        cmocka_unit_test_setup_teardown(test_commit_shifts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_repair_duplicate_and_gaps, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_confirm_deadline, setup, teardown),
	};

	log_init("test_store", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
