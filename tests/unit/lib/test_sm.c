/*
 * lib/sm: a run settles after N transitions, entry actions run once per
 * entered state in order, global arcs, the livelock bound (and that exactly
 * max_steps transitions are still allowed), invalid step results, names and
 * the debug line.
 *
 * The machine under test is shaped like the 802.1X Authenticator PAE (global
 * INITIALIZE arc on !portEnabled, UCT arcs, an entry action whose effect the
 * next step reads), cut down to what the helper needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/sm.h"

enum pae_state {
	PAE_STATE_INITIALIZE,
	PAE_STATE_DISCONNECTED,
	PAE_STATE_CONNECTING,
	PAE_STATE_AUTHENTICATING,
	PAE_STATE_AUTHENTICATED,
	PAE_STATE_HELD,
	PAE_STATE_MAX
};

static const char *const pae_state_names[PAE_STATE_MAX] = {
        "INITIALIZE", "DISCONNECTED", "CONNECTING", "AUTHENTICATING", "AUTHENTICATED", "HELD"};

struct port {
	/* inputs */
	bool port_enabled;
	bool rx_resp_id;
	bool auth_success;
	bool auth_fail;
	int reauth_max;
	/* set by entry actions */
	int reauth_count;
	bool authorized;
	/* trace */
	int entered[64];
	int n_entered;
	int steps;
	int bad_next; /* >= 0: step returns this from CONNECTING */
};

static void pae_enter(void *obj, int state)
{
	struct port *p = obj;

	assert_true(p->n_entered < (int)(sizeof(p->entered) / sizeof(p->entered[0])));
	p->entered[p->n_entered++] = state;
	switch (state) {
	case PAE_STATE_INITIALIZE:
	case PAE_STATE_DISCONNECTED:
		p->authorized = false;
		p->reauth_count = 0;
		break;
	case PAE_STATE_CONNECTING:
		p->reauth_count++;
		break;
	case PAE_STATE_AUTHENTICATING:
		p->rx_resp_id = false;
		break;
	case PAE_STATE_AUTHENTICATED:
		p->authorized = true;
		break;
	case PAE_STATE_HELD:
		p->authorized = false;
		p->auth_fail = false;
		break;
	}
}

static int pae_step(void *obj, int state)
{
	struct port *p = obj;

	p->steps++;
	/* Global arc first: it overrides every other arc. */
	if (!p->port_enabled)
		return PAE_STATE_INITIALIZE;
	switch (state) {
	case PAE_STATE_INITIALIZE:
		return PAE_STATE_DISCONNECTED; /* UCT */
	case PAE_STATE_DISCONNECTED:
		return PAE_STATE_CONNECTING; /* UCT */
	case PAE_STATE_CONNECTING:
		if (p->bad_next >= 0)
			return p->bad_next;
		if (p->reauth_count > p->reauth_max)
			return PAE_STATE_DISCONNECTED;
		if (p->rx_resp_id)
			return PAE_STATE_AUTHENTICATING;
		return state;
	case PAE_STATE_AUTHENTICATING:
		if (p->auth_success)
			return PAE_STATE_AUTHENTICATED;
		if (p->auth_fail)
			return PAE_STATE_HELD;
		return state;
	case PAE_STATE_HELD:
		return PAE_STATE_CONNECTING; /* quietWhile elapsed (not modelled) */
	default:
		return state;
	}
}

static void pae_label(const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "eth3");
}

#define T_DEBUG_SM (1u << 2)

static const struct sm_def pae_def = {
        .name = "auth_pae",
        .state_names = pae_state_names,
        .n_states = PAE_STATE_MAX,
        .enter = pae_enter,
        .step = pae_step,
        .max_steps = 8,
        .debug_bit = T_DEBUG_SM,
        .label = pae_label,
};

static void port_reset(struct port *p)
{
	memset(p, 0, sizeof(*p));
	p->reauth_max = 2;
	p->bad_next = -1;
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

/* ---------------------------------------------------------------- tests */

static void test_init_runs_entry(void **state)
{
	struct port p;
	struct sm_inst inst;

	port_reset(&p);
	p.reauth_count = 5;
	sm_init(&pae_def, &inst, &p, PAE_STATE_INITIALIZE);
	assert_int_equal(inst.state, PAE_STATE_INITIALIZE);
	assert_int_equal(p.n_entered, 1);
	assert_int_equal(p.entered[0], PAE_STATE_INITIALIZE);
	assert_int_equal(p.reauth_count, 0);
	assert_int_equal(inst.transitions, 0);
	assert_int_equal(p.steps, 0); /* init does not step */
	/* Port disabled: the global arc holds it in INITIALIZE, which is stable. */
	assert_int_equal(sm_run(&pae_def, &inst, &p), 0);
	assert_int_equal(p.n_entered, 1);
	assert_int_equal(p.steps, 1);
}

static void test_stable_after_n(void **state)
{
	struct port p;
	struct sm_inst inst;
	static const int want[] = {PAE_STATE_INITIALIZE, PAE_STATE_DISCONNECTED,
	                           PAE_STATE_CONNECTING};

	port_reset(&p);
	sm_init(&pae_def, &inst, &p, PAE_STATE_INITIALIZE);
	p.port_enabled = true;
	assert_int_equal(sm_run(&pae_def, &inst, &p), 2);
	assert_int_equal(inst.state, PAE_STATE_CONNECTING);
	assert_int_equal(p.steps, 3); /* two arcs taken + the step that found none */
	assert_int_equal(p.n_entered, 3);
	assert_memory_equal(p.entered, want, sizeof(want));
	assert_int_equal(p.reauth_count, 1);
	assert_int_equal(inst.transitions, 2);

	/* Nothing changed: stable, no entry action runs again. */
	assert_int_equal(sm_run(&pae_def, &inst, &p), 0);
	assert_int_equal(p.n_entered, 3);

	/* An input changes: Response/Identity, then success. */
	p.rx_resp_id = true;
	assert_int_equal(sm_run(&pae_def, &inst, &p), 1);
	assert_int_equal(inst.state, PAE_STATE_AUTHENTICATING);
	assert_false(p.rx_resp_id); /* the entry action consumed it */
	p.auth_success = true;
	assert_int_equal(sm_run(&pae_def, &inst, &p), 1);
	assert_int_equal(inst.state, PAE_STATE_AUTHENTICATED);
	assert_true(p.authorized);
	assert_int_equal(inst.transitions, 4);

	/* The global arc from any state. */
	p.port_enabled = false;
	assert_int_equal(sm_run(&pae_def, &inst, &p), 1);
	assert_int_equal(inst.state, PAE_STATE_INITIALIZE);
	assert_false(p.authorized);
}

/* Entry actions run in arc order, and a step sees what the previous entry action did. */
static void test_entry_order(void **state)
{
	struct port p;
	struct sm_inst inst;
	static const int want[] = {
	        PAE_STATE_INITIALIZE,     PAE_STATE_DISCONNECTED, PAE_STATE_CONNECTING,
	        PAE_STATE_AUTHENTICATING, PAE_STATE_HELD,         PAE_STATE_CONNECTING,
	        PAE_STATE_DISCONNECTED,   PAE_STATE_CONNECTING,
	};

	port_reset(&p);
	p.reauth_max = 1;
	sm_init(&pae_def, &inst, &p, PAE_STATE_INITIALIZE);
	p.port_enabled = true;
	p.rx_resp_id = true;
	p.auth_fail = true;
	/*
	 * CONNECTING(count 1) -> AUTHENTICATING -> HELD -> CONNECTING (count 2 >
	 * max 1) -> DISCONNECTED (count 0) -> CONNECTING (count 1), stable.
	 */
	assert_int_equal(sm_run(&pae_def, &inst, &p), 7);
	assert_int_equal(p.n_entered, 8);
	assert_memory_equal(p.entered, want, sizeof(want));
	assert_int_equal(p.reauth_count, 1);
	assert_int_equal(inst.state, PAE_STATE_CONNECTING);
	assert_int_equal(inst.livelocks, 0);
}

/* A two-state machine whose arcs are both always enabled. */
static int loop_step(void *obj, int state)
{
	int *steps = obj;
	(*steps)++;
	return state == 0 ? 1 : 0;
}

static int loop_entries;

static void loop_enter(void *obj, int state)
{
	loop_entries++;
}

static const char *const loop_names[] = {"PING", "PONG"};

static void test_livelock_bound(void **state)
{
	struct sm_def def = {
	        .name = "loop",
	        .state_names = loop_names,
	        .n_states = 2,
	        .enter = loop_enter,
	        .step = loop_step,
	        .max_steps = 10,
	};
	struct sm_inst inst;
	int steps = 0;

	loop_entries = 0;
	sm_init(&def, &inst, &steps, 0);
	cap_start();
	int r = sm_run(&def, &inst, &steps);
	const char *log = cap_stop();
	assert_int_equal(r, -1);
	assert_int_equal(inst.transitions, 10);
	assert_int_equal(steps, 11);
	assert_int_equal(loop_entries, 11); /* initial + one per transition */
	assert_int_equal(inst.livelocks, 1);
	assert_int_equal(inst.state, 0); /* 10 transitions from PING end in PING */
	assert_non_null(strstr(log, "loop: not stable after 10 transitions (in PING, next PONG)"));

	/* The bound applies per run: the next run gets its own budget. */
	steps = 0;
	cap_start();
	r = sm_run(&def, &inst, &steps);
	cap_stop();
	assert_int_equal(r, -1);
	assert_int_equal(steps, 11);
	assert_int_equal(inst.livelocks, 2);

	/* max_steps 0 means the default. */
	def.max_steps = 0;
	steps = 0;
	cap_start();
	r = sm_run(&def, &inst, &steps);
	cap_stop();
	assert_int_equal(r, -1);
	assert_int_equal(steps, SM_DEFAULT_MAX_STEPS + 1);
}

/* A chain of exactly max_steps arcs that then settles is not a livelock. */
static int chain_step(void *obj, int state)
{
	return state < 4 ? state + 1 : state;
}

static void test_exact_bound(void **state)
{
	static const char *const names[] = {"S0", "S1", "S2", "S3", "S4"};
	struct sm_def def = {
	        .name = "chain",
	        .state_names = names,
	        .n_states = 5,
	        .step = chain_step,
	        .max_steps = 4,
	};
	struct sm_inst inst;

	sm_init(&def, &inst, NULL, 0); /* no enter function: allowed */
	assert_int_equal(sm_run(&def, &inst, NULL), 4);
	assert_int_equal(inst.state, 4);
	assert_int_equal(inst.livelocks, 0);

	def.max_steps = 3;
	sm_init(&def, &inst, NULL, 0);
	cap_start();
	int r = sm_run(&def, &inst, NULL);
	cap_stop();
	assert_int_equal(r, -1);
	assert_int_equal(inst.state, 3);
	assert_int_equal(inst.livelocks, 1);
}

static void test_invalid_next(void **state)
{
	struct port p;
	struct sm_inst inst;

	port_reset(&p);
	sm_init(&pae_def, &inst, &p, PAE_STATE_CONNECTING);
	p.port_enabled = true;
	p.bad_next = PAE_STATE_MAX;
	int before = p.n_entered;
	cap_start();
	int r = sm_run(&pae_def, &inst, &p);
	const char *log = cap_stop();
	assert_int_equal(r, -1);
	assert_int_equal(inst.state, PAE_STATE_CONNECTING);
	assert_int_equal(inst.errors, 1);
	assert_int_equal(p.n_entered, before);
	assert_non_null(strstr(log, "step from CONNECTING returned invalid state 6"));
}

static void test_names_and_debug(void **state)
{
	struct port p;
	struct sm_inst inst;

	assert_string_equal(sm_state_name(&pae_def, PAE_STATE_HELD), "HELD");
	assert_string_equal(sm_state_name(&pae_def, PAE_STATE_MAX), "?");
	assert_string_equal(sm_state_name(&pae_def, -1), "?");

	port_reset(&p);
	log_set_flags(T_DEBUG_SM);
	cap_start();
	sm_init(&pae_def, &inst, &p, PAE_STATE_INITIALIZE);
	p.port_enabled = true;
	sm_run(&pae_def, &inst, &p);
	log_set_flags(0);
	const char *log = cap_stop();
	assert_non_null(strstr(log, "auth_pae eth3: begin in INITIALIZE\n"));
	assert_non_null(strstr(log, "auth_pae eth3: INITIALIZE -> DISCONNECTED\n"));
	assert_non_null(strstr(log, "auth_pae eth3: DISCONNECTED -> CONNECTING\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_runs_entry), cmocka_unit_test(test_stable_after_n),
	        cmocka_unit_test(test_entry_order),     cmocka_unit_test(test_livelock_bound),
	        cmocka_unit_test(test_exact_bound),     cmocka_unit_test(test_invalid_next),
	        cmocka_unit_test(test_names_and_debug),
	};

	log_init("test_sm", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
