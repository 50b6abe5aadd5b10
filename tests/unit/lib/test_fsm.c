/*
 * lib/fsm: transitions, FSM_ANY rows, action overrides, unexpected and
 * invalid events, names, counters, the notify callback, the debug log line
 * and fsm_def_check() on good and broken tables.
 *
 * The machine under test is a cut-down BFD session (RFC 5880 §6.2 diagram)
 * with an administrative wildcard row, which is the shape the daemons use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/fsm.h"
#include "lib/log.h"

enum t_state { T_STATE_DOWN, T_STATE_INIT, T_STATE_UP, T_STATE_ADMIN_DOWN, T_STATE_MAX };
enum t_evt {
	T_EVT_RX_DOWN,
	T_EVT_RX_INIT,
	T_EVT_RX_UP,
	T_EVT_TIMEOUT,
	T_EVT_ADMIN_DOWN,
	T_EVT_ADMIN_UP,
	T_EVT_MAX
};

static const char *const t_state_names[T_STATE_MAX] = {"Down", "Init", "Up", "AdminDown"};
static const char *const t_event_names[T_EVT_MAX] = {"rx-down", "rx-init",    "rx-up",
                                                     "timeout", "admin-down", "admin-up"};

struct t_obj {
	const char *name;
	int calls;      /* actions run */
	int last_event; /* event the last action saw */
	void *last_arg;
	int ret; /* what t_act returns */
	/* notify callback record */
	int notes, note_from, note_to, note_event;
	void *note_arg;
	/* for the re-entrancy test */
	const struct fsm_def *def;
	struct fsm_inst *inst;
	int inner_ret;
};

static int t_act(void *obj, int event, void *arg)
{
	struct t_obj *o = obj;
	o->calls++;
	o->last_event = event;
	o->last_arg = arg;
	return o->ret;
}

static int t_act_reenter(void *obj, int event, void *arg)
{
	struct t_obj *o = obj;
	o->calls++;
	o->inner_ret = fsm_dispatch(o->def, o->inst, T_EVT_TIMEOUT, obj, NULL);
	return FSM_KEEP;
}

static void t_label(const void *obj, char *buf, size_t len)
{
	const struct t_obj *o = obj;
	snprintf(buf, len, "%s", o->name);
}

static void t_notify(void *obj, int from, int to, int event, void *cb_arg)
{
	struct t_obj *o = obj;
	o->notes++;
	o->note_from = from;
	o->note_to = to;
	o->note_event = event;
	o->note_arg = cb_arg;
}

static const struct fsm_row t_rows[] = {
        {T_STATE_DOWN, T_EVT_RX_DOWN, t_act, T_STATE_INIT},
        {T_STATE_DOWN, T_EVT_RX_INIT, t_act, T_STATE_UP},
        {T_STATE_INIT, T_EVT_RX_INIT, NULL, T_STATE_UP},
        {T_STATE_INIT, T_EVT_RX_UP, t_act, T_STATE_UP},
        {T_STATE_INIT, T_EVT_TIMEOUT, t_act, T_STATE_DOWN},
        {T_STATE_UP, T_EVT_RX_UP, t_act, FSM_SAME},
        {T_STATE_UP, T_EVT_RX_DOWN, t_act, T_STATE_DOWN},
        {T_STATE_UP, T_EVT_TIMEOUT, t_act, T_STATE_DOWN},
        {T_STATE_UP, T_EVT_RX_INIT, t_act_reenter, FSM_SAME},
        {FSM_ANY, T_EVT_ADMIN_DOWN, t_act, T_STATE_ADMIN_DOWN},
        {T_STATE_ADMIN_DOWN, T_EVT_ADMIN_UP, t_act, T_STATE_DOWN},
};

#define T_DEBUG_FSM (1u << 3)

static const struct fsm_def t_def = {
        .name = "tbfd",
        .rows = t_rows,
        .n_rows = FSM_NROWS(t_rows),
        .state_names = t_state_names,
        .n_states = T_STATE_MAX,
        .event_names = t_event_names,
        .n_events = T_EVT_MAX,
        .debug_bit = T_DEBUG_FSM,
        .label = t_label,
};

static void t_setup(struct t_obj *o, struct fsm_inst *inst, int initial, uint64_t *pairs)
{
	memset(o, 0, sizeof(*o));
	o->name = "10.0.0.2 eth1";
	o->ret = FSM_KEEP;
	o->last_event = -1;
	o->def = &t_def;
	o->inst = inst;
	fsm_inst_init(&t_def, inst, initial, pairs);
}

/* ---------------------------------------------------------------- stderr capture */

static FILE *cap_file;
static int cap_saved = -1;

static void cap_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_saved = dup(STDERR_FILENO);
	assert_true(cap_saved >= 0);
	assert_true(dup2(fileno(cap_file), STDERR_FILENO) >= 0);
}

/* Returns what was written to stderr since cap_start() (static buffer). */
static const char *cap_stop(void)
{
	static char text[4096];
	size_t n;

	fflush(stderr);
	assert_true(dup2(cap_saved, STDERR_FILENO) >= 0);
	close(cap_saved);
	rewind(cap_file);
	n = fread(text, 1, sizeof(text) - 1, cap_file);
	text[n] = '\0';
	fclose(cap_file);
	return text;
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---------------------------------------------------------------- tests */

static void test_def_check_ok(void **state)
{
	assert_true(fsm_def_check(&t_def));
}

static void test_def_check_bad(void **state)
{
	struct fsm_row rows[2];
	struct fsm_def def = t_def;
	static const char *const short_names[T_STATE_MAX] = {"Down", NULL, "Up", "AdminDown"};

	def.rows = rows;
	def.n_rows = 1;

	cap_start();
	rows[0] = (struct fsm_row){T_STATE_MAX, T_EVT_RX_UP, NULL, T_STATE_UP};
	bool bad_state = fsm_def_check(&def);
	rows[0] = (struct fsm_row){T_STATE_UP, T_EVT_MAX, NULL, T_STATE_UP};
	bool bad_event = fsm_def_check(&def);
	rows[0] = (struct fsm_row){T_STATE_UP, -1, NULL, T_STATE_UP};
	bool neg_event = fsm_def_check(&def);
	rows[0] = (struct fsm_row){T_STATE_UP, T_EVT_RX_UP, NULL, T_STATE_MAX};
	bool bad_next = fsm_def_check(&def);
	rows[0] = (struct fsm_row){T_STATE_UP, T_EVT_RX_UP, NULL, FSM_ANY};
	bool any_next = fsm_def_check(&def);

	def.n_rows = 2;
	rows[0] = (struct fsm_row){FSM_ANY, T_EVT_TIMEOUT, NULL, T_STATE_DOWN};
	rows[1] = (struct fsm_row){T_STATE_UP, T_EVT_TIMEOUT, NULL, T_STATE_DOWN};
	bool shadow_any = fsm_def_check(&def);
	rows[0] = (struct fsm_row){T_STATE_UP, T_EVT_TIMEOUT, NULL, T_STATE_DOWN};
	rows[1] = rows[0];
	bool shadow_dup = fsm_def_check(&def);
	/* The other order is legal: specific first, wildcard as the fallback. */
	rows[1] = (struct fsm_row){FSM_ANY, T_EVT_TIMEOUT, NULL, FSM_SAME};
	bool specific_first = fsm_def_check(&def);

	def.state_names = short_names;
	bool missing_name = fsm_def_check(&def);
	const char *log = cap_stop();

	assert_false(bad_state);
	assert_false(bad_event);
	assert_false(neg_event);
	assert_false(bad_next);
	assert_false(any_next);
	assert_false(shadow_any);
	assert_false(shadow_dup);
	assert_true(specific_first);
	assert_false(missing_name);
	assert_non_null(strstr(log, "row 1 (Up, timeout) is shadowed by row 0"));
	assert_non_null(strstr(log, "state 1 has no name"));
}

static void test_transitions(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;
	uint64_t pairs[T_STATE_MAX * T_EVT_MAX];
	int arg;

	memset(pairs, 0xff, sizeof(pairs));
	t_setup(&o, &inst, T_STATE_DOWN, pairs);
	assert_int_equal(pairs[5], 0); /* init zeroes the caller's array */
	assert_int_equal(inst.last_event, -1);

	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_DOWN, &o, &arg), T_STATE_INIT);
	assert_int_equal(inst.state, T_STATE_INIT);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.last_event, T_EVT_RX_DOWN);
	assert_ptr_equal(o.last_arg, &arg);

	/* A row without an action. */
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_INIT, &o, NULL), T_STATE_UP);
	assert_int_equal(o.calls, 1);

	/* A self-loop row is a transition but not a change. */
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL), T_STATE_UP);
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL), T_STATE_UP);
	assert_int_equal(o.calls, 3);

	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_TIMEOUT, &o, NULL), T_STATE_DOWN);
	assert_int_equal(inst.transitions, 5);
	assert_int_equal(inst.changes, 3);
	assert_int_equal(inst.unexpected, 0);
	assert_int_equal(inst.invalid, 0);
	assert_int_equal(inst.last_event, T_EVT_TIMEOUT);

	assert_int_equal(pairs[T_STATE_DOWN * T_EVT_MAX + T_EVT_RX_DOWN], 1);
	assert_int_equal(pairs[T_STATE_INIT * T_EVT_MAX + T_EVT_RX_INIT], 1);
	assert_int_equal(pairs[T_STATE_UP * T_EVT_MAX + T_EVT_RX_UP], 2);
	assert_int_equal(pairs[T_STATE_UP * T_EVT_MAX + T_EVT_TIMEOUT], 1);
	uint64_t sum = 0;
	for (size_t i = 0; i < T_STATE_MAX * T_EVT_MAX; i++)
		sum += pairs[i];
	assert_int_equal(sum, inst.transitions);
}

static void test_wildcard(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	for (int s = 0; s < T_STATE_MAX; s++) {
		t_setup(&o, &inst, s, NULL);
		assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_ADMIN_DOWN, &o, NULL),
		                 T_STATE_ADMIN_DOWN);
		assert_int_equal(o.calls, 1);
		assert_int_equal(o.last_event, T_EVT_ADMIN_DOWN);
		assert_int_equal(inst.changes, s == T_STATE_ADMIN_DOWN ? 0 : 1);
	}
	/* A specific row for the state is still used for other events. */
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_ADMIN_UP, &o, NULL), T_STATE_DOWN);
}

static void test_action_override(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	/* The action says the check failed: go Down instead of the table's Up. */
	t_setup(&o, &inst, T_STATE_INIT, NULL);
	o.ret = T_STATE_DOWN;
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL), T_STATE_DOWN);
	assert_int_equal(inst.state, T_STATE_DOWN);
	assert_int_equal(inst.changes, 1);

	/* FSM_SAME from the action: stay although the row moves. */
	t_setup(&o, &inst, T_STATE_INIT, NULL);
	o.ret = FSM_SAME;
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL), T_STATE_INIT);
	assert_int_equal(inst.transitions, 1);
	assert_int_equal(inst.changes, 0);

	/* A broken action returning garbage leaves the state alone and is counted. */
	t_setup(&o, &inst, T_STATE_INIT, NULL);
	o.ret = 42;
	cap_start();
	int r = fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL);
	const char *log = cap_stop();
	assert_int_equal(r, T_STATE_INIT);
	assert_int_equal(inst.state, T_STATE_INIT);
	assert_int_equal(inst.invalid, 1);
	assert_non_null(strstr(log, "returned invalid state 42"));
}

static void test_unexpected(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	t_setup(&o, &inst, T_STATE_ADMIN_DOWN, NULL);
	log_set_flags(0);
	int rets = 0;
	cap_start();
	for (int i = 0; i < 5; i++)
		rets += fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL);
	const char *log = cap_stop();
	assert_int_equal(rets, -5);
	assert_int_equal(inst.state, T_STATE_ADMIN_DOWN);
	assert_int_equal(inst.unexpected, 5);
	assert_int_equal(inst.transitions, 0);
	assert_int_equal(inst.last_event, -1);
	assert_int_equal(o.calls, 0);
	/* Warned for the 1st, 2nd and 4th only. */
	assert_int_equal(count_lines(log, "unexpected event rx-up in state AdminDown"), 3);
	assert_non_null(strstr(log, "(4 so far)"));
	assert_null(strstr(log, "(3 so far)"));
	/* The machine still works afterwards. */
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_ADMIN_UP, &o, NULL), T_STATE_DOWN);
}

static void test_invalid_event(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	t_setup(&o, &inst, T_STATE_UP, NULL);
	cap_start();
	int r1 = fsm_dispatch(&t_def, &inst, T_EVT_MAX, &o, NULL);
	int r2 = fsm_dispatch(&t_def, &inst, -1, &o, NULL);
	int r3 = fsm_dispatch(&t_def, &inst, FSM_ANY, &o, NULL);
	const char *log = cap_stop();
	assert_int_equal(r1, -1);
	assert_int_equal(r2, -1);
	assert_int_equal(r3, -1);
	assert_int_equal(inst.state, T_STATE_UP);
	assert_int_equal(inst.invalid, 3);
	assert_int_equal(inst.unexpected, 0);
	assert_int_equal(o.calls, 0);
	assert_non_null(strstr(log, "invalid event 6 (?)"));
}

static void test_names(void **state)
{
	assert_string_equal(fsm_state_name(&t_def, T_STATE_DOWN), "Down");
	assert_string_equal(fsm_state_name(&t_def, T_STATE_ADMIN_DOWN), "AdminDown");
	assert_string_equal(fsm_state_name(&t_def, T_STATE_MAX), "?");
	assert_string_equal(fsm_state_name(&t_def, -1), "?");
	assert_string_equal(fsm_event_name(&t_def, T_EVT_RX_DOWN), "rx-down");
	assert_string_equal(fsm_event_name(&t_def, T_EVT_ADMIN_UP), "admin-up");
	assert_string_equal(fsm_event_name(&t_def, T_EVT_MAX), "?");
	assert_string_equal(fsm_event_name(&t_def, -3), "?");
}

static void test_notify(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;
	int cb_arg;

	t_setup(&o, &inst, T_STATE_DOWN, NULL);
	fsm_set_notify(&inst, t_notify, &cb_arg);
	fsm_dispatch(&t_def, &inst, T_EVT_RX_INIT, &o, NULL);
	assert_int_equal(o.notes, 1);
	assert_int_equal(o.note_from, T_STATE_DOWN);
	assert_int_equal(o.note_to, T_STATE_UP);
	assert_int_equal(o.note_event, T_EVT_RX_INIT);
	assert_ptr_equal(o.note_arg, &cb_arg);
	/* No call for a self-loop or an unexpected event. */
	fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL);
	fsm_dispatch(&t_def, &inst, T_EVT_ADMIN_UP, &o, NULL);
	assert_int_equal(o.notes, 1);
	/* Called with the overridden state, not the row's. */
	o.ret = T_STATE_INIT;
	fsm_dispatch(&t_def, &inst, T_EVT_TIMEOUT, &o, NULL);
	assert_int_equal(o.notes, 2);
	assert_int_equal(o.note_to, T_STATE_INIT);
	fsm_set_notify(&inst, NULL, NULL);
	o.ret = FSM_KEEP;
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_TIMEOUT, &o, NULL), T_STATE_DOWN);
	assert_int_equal(o.notes, 2);
}

static void test_reentrant_refused(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	t_setup(&o, &inst, T_STATE_UP, NULL);
	cap_start();
	int r = fsm_dispatch(&t_def, &inst, T_EVT_RX_INIT, &o, NULL);
	const char *log = cap_stop();
	assert_int_equal(r, T_STATE_UP);
	assert_int_equal(o.inner_ret, -1);
	assert_int_equal(inst.invalid, 1);
	assert_int_equal(inst.transitions, 1);
	assert_non_null(strstr(log, "re-entrant event"));
	/* The flag is cleared: the next event goes through. */
	assert_int_equal(fsm_dispatch(&t_def, &inst, T_EVT_TIMEOUT, &o, NULL), T_STATE_DOWN);
}

static void test_debug_log_line(void **state)
{
	struct t_obj o;
	struct fsm_inst inst;

	t_setup(&o, &inst, T_STATE_DOWN, NULL);
	log_set_flags(T_DEBUG_FSM);
	cap_start();
	fsm_dispatch(&t_def, &inst, T_EVT_RX_DOWN, &o, NULL);
	log_set_flags(1u << 0); /* another flag: this machine stays quiet */
	fsm_dispatch(&t_def, &inst, T_EVT_RX_UP, &o, NULL);
	log_set_flags(0);
	const char *log = cap_stop();
	assert_non_null(strstr(log, "tbfd 10.0.0.2 eth1: Down -> Init on rx-down\n"));
	assert_null(strstr(log, "Init -> Up"));
	assert_int_equal(inst.state, T_STATE_UP);

	/* Without a label function the line carries the machine name alone. */
	struct fsm_def nolabel = t_def;
	nolabel.label = NULL;
	t_setup(&o, &inst, T_STATE_DOWN, NULL);
	log_set_flags(T_DEBUG_FSM);
	cap_start();
	fsm_dispatch(&nolabel, &inst, T_EVT_RX_DOWN, &o, NULL);
	log_set_flags(0);
	log = cap_stop();
	assert_non_null(strstr(log, " tbfd: Down -> Init on rx-down\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_def_check_ok),    cmocka_unit_test(test_def_check_bad),
	        cmocka_unit_test(test_transitions),     cmocka_unit_test(test_wildcard),
	        cmocka_unit_test(test_action_override), cmocka_unit_test(test_unexpected),
	        cmocka_unit_test(test_invalid_event),   cmocka_unit_test(test_names),
	        cmocka_unit_test(test_notify),          cmocka_unit_test(test_reentrant_refused),
	        cmocka_unit_test(test_debug_log_line),
	};

	log_init("test_fsm", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
