/*
 * Table-driven state machines (see fsm.h for the contract).
 */
#include "lib/fsm.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

/* Room for an object label in a log line; labels are short ("10.0.0.2 eth1"). */
#define FSM_LABEL_LEN 64
/* Room for "<name> <label>". */
#define FSM_PREFIX_LEN 96

/* "<machine name> <object label>" for log lines (just the name when there is no label). */
static void fsm_label(const struct fsm_def *def, const void *obj, char *buf, size_t len)
{
	char label[FSM_LABEL_LEN] = "";

	if (def->label) {
		def->label(obj, label, sizeof(label));
		label[sizeof(label) - 1] = '\0';
	}
	snprintf(buf, len, "%s%s%s", def->name, label[0] ? " " : "", label);
}

static bool fsm_state_valid(const struct fsm_def *def, int state)
{
	return state >= 0 && state < def->n_states;
}

const char *fsm_state_name(const struct fsm_def *def, int state)
{
	if (!fsm_state_valid(def, state) || !def->state_names || !def->state_names[state])
		return "?";
	return def->state_names[state];
}

const char *fsm_event_name(const struct fsm_def *def, int event)
{
	if (event < 0 || event >= def->n_events || !def->event_names || !def->event_names[event])
		return "?";
	return def->event_names[event];
}

void fsm_inst_init(const struct fsm_def *def, struct fsm_inst *inst, int initial,
                   uint64_t *pair_counts)
{
	/* A bad initial state is a bug in the daemon, not an input: stop here, not at the first
	 * event. */
	if (!fsm_state_valid(def, initial))
		fatalx("%s: initial state %d out of range", def->name, initial);
	memset(inst, 0, sizeof(*inst));
	inst->state = initial;
	inst->last_event = -1;
	inst->pair_counts = pair_counts;
	if (pair_counts)
		memset(pair_counts, 0,
		       sizeof(*pair_counts) * (size_t)def->n_states * (size_t)def->n_events);
}

void fsm_set_notify(struct fsm_inst *inst, fsm_notify_fn fn, void *cb_arg)
{
	inst->notify = fn;
	inst->notify_arg = cb_arg;
}

static const struct fsm_row *fsm_lookup(const struct fsm_def *def, int state, int event)
{
	for (size_t i = 0; i < def->n_rows; i++) {
		const struct fsm_row *row = &def->rows[i];
		if (row->event == event && (row->state == state || row->state == FSM_ANY))
			return row;
	}
	return NULL;
}

/*
 * Unexpected events can arrive at packet rate from a peer, so the warning is
 * logged for the 1st, 2nd, 4th, 8th, ... occurrence on an instance (the
 * counter is exact; `show` reports it) and the rest only at debug level.
 */
static void fsm_log_unexpected(const struct fsm_def *def, const struct fsm_inst *inst, int event,
                               const void *obj)
{
	char label[FSM_PREFIX_LEN];
	bool warn = (inst->unexpected & (inst->unexpected - 1)) == 0;

	if (!warn && !log_debug_on(def->debug_bit))
		return;
	fsm_label(def, obj, label, sizeof(label));
	if (warn)
		log_warnx("%s: unexpected event %s in state %s ignored (%" PRIu64 " so far)", label,
		          fsm_event_name(def, event), fsm_state_name(def, inst->state),
		          inst->unexpected);
	else
		log_debugf(def->debug_bit, "%s: unexpected event %s in state %s ignored", label,
		           fsm_event_name(def, event), fsm_state_name(def, inst->state));
}

int fsm_dispatch(const struct fsm_def *def, struct fsm_inst *inst, int event, void *obj, void *arg)
{
	char label[FSM_PREFIX_LEN];

	if (inst->in_dispatch || event < 0 || event >= def->n_events ||
	    !fsm_state_valid(def, inst->state)) {
		inst->invalid++;
		fsm_label(def, obj, label, sizeof(label));
		log_warnx("%s: %s event %d (%s) in state %d (%s) dropped", label,
		          inst->in_dispatch ? "re-entrant" : "invalid", event,
		          fsm_event_name(def, event), inst->state,
		          fsm_state_name(def, inst->state));
		return -1;
	}

	const struct fsm_row *row = fsm_lookup(def, inst->state, event);
	if (!row) {
		inst->unexpected++;
		fsm_log_unexpected(def, inst, event, obj);
		return -1;
	}

	int from = inst->state;
	int next = row->next == FSM_SAME ? from : row->next;
	if (row->action) {
		inst->in_dispatch = true;
		int r = row->action(obj, event, arg);
		inst->in_dispatch = false;
		if (r == FSM_SAME) {
			next = from;
		} else if (r != FSM_KEEP) {
			if (fsm_state_valid(def, r)) {
				next = r;
			} else {
				/* A broken action must not corrupt the state: stay, count, say so.
				 */
				inst->invalid++;
				fsm_label(def, obj, label, sizeof(label));
				log_warnx("%s: action for %s in %s returned invalid state %d, "
				          "staying",
				          label, fsm_event_name(def, event),
				          fsm_state_name(def, from), r);
				next = from;
			}
		}
	}

	inst->state = next;
	inst->transitions++;
	inst->last_event = event;
	if (inst->pair_counts)
		inst->pair_counts[(size_t)from * (size_t)def->n_events + (size_t)event]++;
	if (log_debug_on(def->debug_bit)) {
		fsm_label(def, obj, label, sizeof(label));
		log_debugf(def->debug_bit, "%s: %s -> %s on %s", label, fsm_state_name(def, from),
		           fsm_state_name(def, next), fsm_event_name(def, event));
	}
	if (next != from) {
		inst->changes++;
		if (inst->notify)
			inst->notify(obj, from, next, event, inst->notify_arg);
	}
	return next;
}

bool fsm_def_check(const struct fsm_def *def)
{
	const char *name = def->name ? def->name : "(unnamed fsm)";
	bool ok = true;

	if (!def->name) {
		log_warnx("fsm: definition without a name");
		ok = false;
	}
	if (def->n_states <= 0 || def->n_events <= 0 || !def->state_names || !def->event_names ||
	    (def->n_rows && !def->rows)) {
		log_warnx("%s: missing states, events, names or rows", name);
		return false;
	}
	for (int s = 0; s < def->n_states; s++)
		if (!def->state_names[s]) {
			log_warnx("%s: state %d has no name", name, s);
			ok = false;
		}
	for (int e = 0; e < def->n_events; e++)
		if (!def->event_names[e]) {
			log_warnx("%s: event %d has no name", name, e);
			ok = false;
		}
	for (size_t i = 0; i < def->n_rows; i++) {
		const struct fsm_row *row = &def->rows[i];
		bool row_ok = true;

		if (row->state != FSM_ANY && !fsm_state_valid(def, row->state)) {
			log_warnx("%s: row %zu: state %d out of range", name, i, row->state);
			row_ok = false;
		}
		if (row->event < 0 || row->event >= def->n_events) {
			log_warnx("%s: row %zu: event %d out of range", name, i, row->event);
			row_ok = false;
		}
		if (row->next != FSM_SAME && !fsm_state_valid(def, row->next)) {
			log_warnx("%s: row %zu: next state %d out of range", name, i, row->next);
			row_ok = false;
		}
		ok = ok && row_ok;
		if (!row_ok)
			continue;
		/* First match wins, so a row covered by an earlier one can never be taken. */
		for (size_t j = 0; j < i; j++) {
			const struct fsm_row *prev = &def->rows[j];
			if (prev->event == row->event &&
			    (prev->state == FSM_ANY || prev->state == row->state)) {
				log_warnx("%s: row %zu (%s, %s) is shadowed by row %zu", name, i,
				          row->state == FSM_ANY ? "any"
				                                : fsm_state_name(def, row->state),
				          fsm_event_name(def, row->event), j);
				ok = false;
				break;
			}
		}
	}
	return ok;
}
