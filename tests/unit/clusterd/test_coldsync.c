/*
 * clusterd coldsync bitmap (daemons/clusterd/coldsync.c): participants, their states, the
 * node's coldsync state and CS weight, and the state file a restarted clusterd reads back
 * (only within the same kernel boot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/clusterd/clusterd.h"

static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_coldsync.%d", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_no_participant_is_done(void **state)
{
	struct cl_cs cs;

	(void)state;
	cl_cs_init(&cs, path, "boot-a");
	assert_int_equal(cl_cs_state(&cs), CL_CS_DONE);
	assert_int_equal(cs.state, CL_CS_DONE);
	assert_int_equal(cl_cs_weight(&cs), 0);
	assert_int_equal(cl_cs_start(&cs), 0);
	assert_int_equal(cl_cs_state(&cs), CL_CS_DONE);
}

static void test_bitmap(void **state)
{
	struct cl_cs cs;
	char err[128];

	(void)state;
	cl_cs_init(&cs, path, "boot-a");
	assert_int_equal(cl_cs_register(&cs, "mgd", err, sizeof(err)), 0);
	assert_int_equal(cl_cs_register(&cs, "flowd", err, sizeof(err)), 0);
	assert_int_equal(cl_cs_register(&cs, "mgd", err, sizeof(err)), 0); /* again: kept */
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.p[0].state, CL_PART_PREREQ);
	assert_int_equal(cs.state, CL_CS_NOT_STARTED);
	assert_int_equal(cl_cs_weight(&cs), CL_WEIGHT_FULL);

	assert_int_equal(cl_cs_start(&cs), 2);
	assert_int_equal(cs.state, CL_CS_IN_PROGRESS);
	assert_int_equal(cl_cs_start(&cs), 0); /* nothing left in pre-req */
	assert_int_equal(cl_cs_done(&cs, "mgd", true, err, sizeof(err)), 0);
	assert_int_equal(cs.state, CL_CS_IN_PROGRESS);
	assert_int_equal(cl_cs_weight(&cs), CL_WEIGHT_FULL);
	assert_int_equal(cl_cs_done(&cs, "flowd", true, err, sizeof(err)), 0);
	assert_int_equal(cs.state, CL_CS_DONE);
	assert_int_equal(cl_cs_weight(&cs), 0);

	/* A failure keeps the weight at its maximum. */
	assert_int_equal(cl_cs_done(&cs, "flowd", false, err, sizeof(err)), 0);
	assert_int_equal(cs.state, CL_CS_FAILED);
	assert_int_equal(cl_cs_weight(&cs), CL_WEIGHT_FULL);
	assert_string_equal(cl_part_state_name(cs.p[1].state), "failed");

	/* Rejoin: everything back to pre-req; complete: everything done. */
	cl_cs_reset(&cs);
	assert_int_equal(cs.state, CL_CS_NOT_STARTED);
	assert_int_equal(cs.p[0].state, CL_PART_PREREQ);
	cl_cs_complete(&cs);
	assert_int_equal(cs.state, CL_CS_DONE);

	/* A late participant has to sync even when the others are done. */
	assert_int_equal(cl_cs_register(&cs, "late", err, sizeof(err)), 0);
	assert_int_equal(cs.state, CL_CS_NOT_STARTED);

	assert_int_equal(cl_cs_done(&cs, "nobody", true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not registered"));
	assert_int_equal(cl_cs_register(&cs, "", err, sizeof(err)), -1);
	assert_int_equal(cl_cs_register(&cs, "bad name", err, sizeof(err)), -1);
	assert_int_equal(cl_cs_register(&cs, "x\nparticipant evil 2", err, sizeof(err)), -1);
	assert_int_equal(
	        cl_cs_register(&cs, "0123456789012345678901234567890123", err, sizeof(err)), -1);
}

static void test_table_full(void **state)
{
	struct cl_cs cs;
	char err[128], name[16];

	(void)state;
	cl_cs_init(&cs, path, "boot-a");
	for (int i = 0; i < CL_MAX_PARTICIPANTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(cl_cs_register(&cs, name, err, sizeof(err)), 0);
	}
	assert_int_equal(cl_cs_register(&cs, "one-more", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(cs.n, CL_MAX_PARTICIPANTS);
}

static void test_file_round_trip(void **state)
{
	struct cl_cs cs, back;
	char err[128];

	(void)state;
	cl_cs_init(&cs, path, "boot-a");
	cl_cs_register(&cs, "mgd", err, sizeof(err));
	cl_cs_register(&cs, "flowd", err, sizeof(err));
	cl_cs_start(&cs);
	cl_cs_done(&cs, "mgd", true, err, sizeof(err));
	assert_int_equal(cl_cs_save(&cs), 0);

	/* Same boot: a restarted clusterd finds the bitmap. */
	cl_cs_init(&back, path, "boot-a");
	assert_int_equal(cl_cs_load(&back), 2);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.p[0].name, "mgd");
	assert_int_equal(back.p[0].state, CL_PART_DONE);
	assert_int_equal(back.p[1].state, CL_PART_IN_PROGRESS);
	assert_int_equal(back.state, CL_CS_IN_PROGRESS);

	/* Another boot: the synced state is gone with it. */
	cl_cs_init(&back, path, "boot-b");
	assert_int_equal(cl_cs_load(&back), 0);
	assert_int_equal(back.n, 0);
	assert_int_equal(back.state, CL_CS_DONE);

	/* No file: nothing, no error. */
	unlink(path);
	cl_cs_init(&back, path, "boot-a");
	assert_int_equal(cl_cs_load(&back), 0);
}

static void test_file_malformed_lines(void **state)
{
	struct cl_cs cs;
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fprintf(f, "# comment\nboot boot-a\nparticipant mgd 2\nparticipant bad 9\n"
	           "participant mgd 1\ngarbage\nparticipant x!y 1\nparticipant flowd 3\n");
	fclose(f);
	cl_cs_init(&cs, path, "boot-a");
	assert_int_equal(cl_cs_load(&cs), 2);
	assert_string_equal(cs.p[0].name, "mgd");
	assert_int_equal(cs.p[0].state, CL_PART_DONE); /* the first line for a name wins */
	assert_string_equal(cs.p[1].name, "flowd");
	assert_int_equal(cs.state, CL_CS_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_no_participant_is_done, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bitmap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_file_malformed_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
