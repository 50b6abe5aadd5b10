/*
 * IEEE 802.1X-style state machines (STYLE.md "State machines"): the standard
 * draws each machine as states with entry actions and guarded arcs, and
 * re-evaluates them until no arc is enabled (the state diagram notation of
 * IEEE 802.1X-2004, shared with IEEE 802.1D). Keeping that shape lets a
 * reviewer check each state's code against the diagram.
 *
 * A machine supplies:
 *   enter(obj, state)  the state's entry actions (the box in the diagram);
 *   step(obj, state)   the arcs out of `state`, global arcs (BEGIN, UCT from
 *                      ANY) first, returning the next state or `state` when
 *                      no arc is taken.
 *
 * sm_run() calls step until the machine is stable. A diagram whose arcs are
 * all enabled in a cycle would loop for ever; max_steps bounds a run, and
 * hitting it is a bug in the machine (or its variables), reported with
 * log_warnx and counted.
 *
 * A daemon runs its machines after every event that changes a variable they
 * read (a frame received, a timer tick, portEnabled), like hostapd's
 * eapol_sm_step_run(). Several machines of one port are run in a loop until
 * all of them report 0 transitions.
 */
#ifndef KEEL_SM_H
#define KEEL_SM_H

#include <stddef.h>
#include <stdint.h>

#define SM_DEFAULT_MAX_STEPS 64

struct sm_def {
	const char *name; /* "auth_pae", "backend" */
	const char *const *state_names;
	int n_states;
	void (*enter)(void *obj, int state);
	int (*step)(void *obj, int state);
	int max_steps;      /* transitions allowed in one sm_run(); 0: SM_DEFAULT_MAX_STEPS */
	uint32_t debug_bit; /* log_debugf() flag for transitions; 0 = never */
	/* Writes a short label for obj ("eth3") into buf; only called when logging. NULL: empty. */
	void (*label)(const void *obj, char *buf, size_t len);
};

struct sm_inst {
	int state;
	uint64_t transitions; /* state changes since sm_init() (initial entry not counted) */
	uint64_t livelocks;   /* runs stopped by max_steps */
	uint64_t errors;      /* steps that returned an out-of-range state */
};

/* Sets the initial state and runs its entry action (the standard's BEGIN entry). */
void sm_init(const struct sm_def *def, struct sm_inst *inst, void *obj, int initial);

/*
 * Steps the machine until a step returns the current state. Each change runs
 * the new state's entry action. Returns the number of transitions made (0: it
 * was already stable), or -1 when it did not settle within max_steps (the
 * machine is left in the state it reached) or a step returned an
 * out-of-range state (the machine stays where it was).
 */
int sm_run(const struct sm_def *def, struct sm_inst *inst, void *obj);

/* "?" when out of range. */
const char *sm_state_name(const struct sm_def *def, int state);

#endif
