/*
 * Interface monitoring without a kernel: link reports fed by hand through ifmon_link() and
 * the resync calls, as the platform monitor delivers them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/clusterd/ifmon.h"

struct rep {
	char name[16];
	bool up;
};
static struct rep reps[64];
static size_t nrep;

static void on_if(void *arg, const char *name, bool up)
{
	(void)arg;
	assert_true(nrep < 64);
	snprintf(reps[nrep].name, sizeof(reps[nrep].name), "%s", name);
	reps[nrep++].up = up;
}

static struct plat_link mk(int idx, const char *name, bool up)
{
	struct plat_link l;
	memset(&l, 0, sizeof(l));
	l.ifindex = idx;
	snprintf(l.name, sizeof(l.name), "%s", name);
	l.admin_up = up;
	l.carrier = up;
	l.oper = up ? PLAT_OPER_UP : PLAT_OPER_DOWN;
	return l;
}

static void test_link_up_rule(void **state)
{
	struct plat_link l = mk(1, "a", true);

	(void)state;
	assert_true(ifmon_link_up(&l));
	l.oper = PLAT_OPER_UNKNOWN; /* no operstate support: carrier decides */
	assert_true(ifmon_link_up(&l));
	l.carrier = false;
	assert_false(ifmon_link_up(&l));
	l = mk(1, "a", true);
	l.oper = PLAT_OPER_LOWERLAYERDOWN;
	assert_false(ifmon_link_up(&l));
	l = mk(1, "a", true);
	l.admin_up = false;
	assert_false(ifmon_link_up(&l));
}

static void test_reports(void **state)
{
	struct ifmon *m = ifmon_new(NULL, NULL, on_if, NULL);
	struct ifmon_cfg cfg[3] = {{"eth1", 255, 1}, {"eth2", 100, 1}, {"eth1", 50, 2}};
	struct ifmon_status st[4];
	struct plat_link l;

	(void)state;
	nrep = 0;
	assert_non_null(m);
	assert_int_equal(ifmon_update(m, cfg, 3), 0);
	assert_int_equal(nrep, 0); /* nothing before the first resync */
	ifmon_resync_begin(m);
	l = mk(5, "eth1", true);
	ifmon_link(m, PLAT_EV_NEW, &l);
	ifmon_resync_end(m);
	/* eth1 up once (two RGs, one report), eth2 absent = down */
	assert_int_equal(nrep, 2);
	assert_string_equal(reps[0].name, "eth1");
	assert_true(reps[0].up);
	assert_string_equal(reps[1].name, "eth2");
	assert_false(reps[1].up);
	assert_int_equal(ifmon_state(m, "eth2"), 0);
	assert_int_equal(ifmon_state(m, "eth9"), -1);

	/* an unrelated change of eth1 (still up): no report */
	ifmon_link(m, PLAT_EV_NEW, &l);
	assert_int_equal(nrep, 2);
	/* eth1 carrier lost */
	l.carrier = false;
	l.oper = PLAT_OPER_LOWERLAYERDOWN;
	ifmon_link(m, PLAT_EV_NEW, &l);
	assert_int_equal(nrep, 3);
	assert_false(reps[2].up);
	/* eth2 appears up */
	l = mk(6, "eth2", true);
	ifmon_link(m, PLAT_EV_NEW, &l);
	assert_int_equal(nrep, 4);
	assert_true(reps[3].up);
	/* eth2 deleted */
	ifmon_link(m, PLAT_EV_DEL, &l);
	assert_int_equal(nrep, 5);
	assert_false(reps[4].up);
	/* eth1 back, then renamed away: down */
	l = mk(5, "eth1", true);
	ifmon_link(m, PLAT_EV_NEW, &l);
	l = mk(5, "other", true);
	ifmon_link(m, PLAT_EV_NEW, &l);
	assert_int_equal(nrep, 7);
	assert_true(reps[5].up);
	assert_false(reps[6].up);

	assert_int_equal(ifmon_status(m, st, 4), 3);
	assert_string_equal(st[0].name, "eth1");
	assert_int_equal(st[0].weight, 255);
	assert_int_equal(st[2].rg, 2);
	assert_false(st[0].present);
	assert_int_equal(st[0].downs, 2);

	/* a resync that misses eth1... it is already down; bring it up, then lose it in a resync */
	l = mk(7, "eth1", true);
	ifmon_link(m, PLAT_EV_NEW, &l);
	assert_int_equal(nrep, 8);
	ifmon_resync_begin(m);
	ifmon_resync_end(m);
	assert_int_equal(nrep, 9);
	assert_false(reps[8].up);

	/* a commit that keeps eth1 and drops eth2: no report */
	assert_int_equal(ifmon_update(m, cfg, 1), 0);
	assert_int_equal(nrep, 9);
	assert_int_equal(ifmon_update(m, cfg, IFMON_MAX + 1), -EINVAL);
	ifmon_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_link_up_rule),
	        cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
