/*
 * IEEE 802.1X-style state machines (see sm.h for the contract).
 */
#include "lib/sm.h"

#include <stdbool.h>
#include <stdio.h>

#include "lib/log.h"

#define SM_LABEL_LEN 64
/* Room for "<name> <label>". */
#define SM_PREFIX_LEN 96

/* "<machine name> <object label>" for log lines (just the name when there is no label). */
static void sm_label(const struct sm_def *def, const void *obj, char *buf, size_t len)
{
	char label[SM_LABEL_LEN] = "";

	if (def->label) {
		def->label(obj, label, sizeof(label));
		label[sizeof(label) - 1] = '\0';
	}
	snprintf(buf, len, "%s%s%s", def->name, label[0] ? " " : "", label);
}

static bool sm_state_valid(const struct sm_def *def, int state)
{
	return state >= 0 && state < def->n_states;
}

const char *sm_state_name(const struct sm_def *def, int state)
{
	if (!sm_state_valid(def, state) || !def->state_names || !def->state_names[state])
		return "?";
	return def->state_names[state];
}

void sm_init(const struct sm_def *def, struct sm_inst *inst, void *obj, int initial)
{
	/* A bad initial state is a bug in the daemon, not an input. */
	if (!sm_state_valid(def, initial))
		fatalx("%s: initial state %d out of range", def->name, initial);
	inst->state = initial;
	inst->transitions = 0;
	inst->livelocks = 0;
	inst->errors = 0;
	if (log_debug_on(def->debug_bit)) {
		char label[SM_PREFIX_LEN];
		sm_label(def, obj, label, sizeof(label));
		log_debugf(def->debug_bit, "%s: begin in %s", label, sm_state_name(def, initial));
	}
	if (def->enter)
		def->enter(obj, initial);
}

int sm_run(const struct sm_def *def, struct sm_inst *inst, void *obj)
{
	int max = def->max_steps > 0 ? def->max_steps : SM_DEFAULT_MAX_STEPS;
	char label[SM_PREFIX_LEN];
	int n = 0;

	for (;;) {
		int from = inst->state;
		int next = def->step(obj, from);

		if (next == from)
			return n;
		if (!sm_state_valid(def, next)) {
			inst->errors++;
			sm_label(def, obj, label, sizeof(label));
			log_warnx("%s: step from %s returned invalid state %d", label,
			          sm_state_name(def, from), next);
			return -1;
		}
		if (n == max) {
			/*
			 * Arcs that keep firing without the inputs changing: a
			 * livelock in the machine. Stop here so the daemon keeps
			 * serving its other ports; the next event runs it again.
			 */
			inst->livelocks++;
			sm_label(def, obj, label, sizeof(label));
			log_warnx("%s: not stable after %d transitions (in %s, next %s): "
			          "livelock",
			          label, max, sm_state_name(def, from), sm_state_name(def, next));
			return -1;
		}
		inst->state = next;
		inst->transitions++;
		n++;
		if (log_debug_on(def->debug_bit)) {
			sm_label(def, obj, label, sizeof(label));
			log_debugf(def->debug_bit, "%s: %s -> %s", label, sm_state_name(def, from),
			           sm_state_name(def, next));
		}
		if (def->enter)
			def->enter(obj, next);
	}
}
