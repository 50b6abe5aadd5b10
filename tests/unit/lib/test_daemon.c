/* lib/daemon.c pieces (pid file lock, capability drop) and lib/log.c flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/paths.h"

static char root[] = "/tmp/keel-test-daemon-XXXXXX";

static int setup(void **state)
{
	if (!mkdtemp(root))
		return -1;
	setenv("KEEL_ROOT", root, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

/* Runs fn in a child process; returns its exit status. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static int child_take_pidfile(void)
{
	if (daemon_pidfile_write("testd") == 0)
		return 0;
	return errno == EEXIST ? 17 : 1;
}

static void test_pidfile_lock(void **state)
{
	char path[4096], buf[32] = "";
	FILE *f;

	assert_int_equal(daemon_pidfile_write("testd"), 0);
	assert_int_equal(keel_path(path, sizeof(path), KEEL_DIR_RUN, "testd.pid"), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(atol(buf), (long)getpid());

	/* A second process is refused while we hold it... */
	assert_int_equal(in_child(child_take_pidfile), 17);
	daemon_pidfile_remove("testd");
	assert_int_not_equal(access(path, F_OK), 0);
	/* ...and takes it once we are gone, even over a stale file. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("999999\n", f);
	fclose(f);
	assert_int_equal(in_child(child_take_pidfile), 0);
}

static int child_drop(void)
{
	static const int keep[] = {CAP_NET_RAW, -1};
	cap_flag_value_t v;
	cap_t caps;

	if (daemon_drop_caps(keep) < 0)
		return 1;
	caps = cap_get_proc();
	if (cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &v) < 0 || v != CAP_CLEAR)
		return 2;
	if (cap_get_flag(caps, CAP_SYS_ADMIN, CAP_PERMITTED, &v) < 0 || v != CAP_CLEAR)
		return 3;
	if (getuid() == 0) {
		if (cap_get_flag(caps, CAP_NET_RAW, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
			return 4;
		if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 0)
			return 5;
	}
	cap_free(caps);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 6;
	return 0;
}

static void test_drop_caps(void **state)
{
	assert_int_equal(in_child(child_drop), 0);
}

static void test_log_flags(void **state)
{
	static const char *const names[] = {"fsm", "packet", "ctl", NULL};

	log_set_flag_names(names);
	assert_int_equal(log_flag_bit("fsm"), 1);
	assert_int_equal(log_flag_bit("ctl"), 4);
	assert_int_equal(log_flag_bit("nope"), 0);
	assert_int_equal(log_flag_bit("all"), UINT32_MAX);
	log_set_flags(2);
	assert_true(log_debug_on(2));
	assert_false(log_debug_on(1));
	log_set_flags(0);
	assert_false(log_debug_on(2));
}

static void test_paths(void **state)
{
	char buf[16];

	assert_int_equal(keel_path(buf, sizeof(buf), KEEL_DIR_RUN, "a-very-long-name.ctl"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(keel_mkdirs(KEEL_DIR_STATE), 0);
	assert_int_equal(keel_mkdirs(KEEL_DIR_STATE), 0); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pidfile_lock),
	        cmocka_unit_test(test_drop_caps),
	        cmocka_unit_test(test_log_flags),
	        cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
