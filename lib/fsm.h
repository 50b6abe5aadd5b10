/*
 * Table-driven state machines for event-driven protocols (STYLE.md "State
 * machines"): cluster redundancy groups, BFD sessions, the RADIUS client.
 *
 * A machine is a static table of {state, event, action, next} rows plus name
 * arrays; a daemon wraps fsm_dispatch() in its one `<obj>_fsm(obj, event)`
 * entry point. For an event, the first row whose state matches (or is
 * FSM_ANY) and whose event matches is taken: its action runs, then the state
 * becomes the row's next state, unless the action returned a state of its own
 * (e.g. a validity check failed and the session goes Down instead). An event
 * with no row is unexpected: it is counted, logged and otherwise ignored.
 *
 *	static const struct fsm_row bfd_rows[] = {
 *		{BFD_STATE_DOWN, BFD_EVT_RX_DOWN, bfd_act_init, BFD_STATE_INIT},
 *		{FSM_ANY, BFD_EVT_ADMIN_DOWN, bfd_act_admin, BFD_STATE_ADMIN_DOWN},
 *		...
 *	};
 *	static const struct fsm_def bfd_fsm_def = {
 *		.name = "bfd", .rows = bfd_rows, .n_rows = FSM_NROWS(bfd_rows),
 *		.state_names = bfd_state_names, .n_states = BFD_STATE_MAX,
 *		.event_names = bfd_event_names, .n_events = BFD_EVT_MAX,
 *		.debug_bit = BFDD_DEBUG_FSM, .label = bfd_session_label,
 *	};
 *
 * Every row taken is logged through log_debugf(def->debug_bit, ...) as
 * "<fsm name> <obj label>: <state> -> <state> on <event>" and counted. The
 * lookup is a linear scan: tables are tens of rows and the first match must
 * win (wildcard rows are ordered by the author), so an index would buy little.
 */
#ifndef KEEL_FSM_H
#define KEEL_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Row state wildcard: the row matches in every state. */
#define FSM_ANY (-1)
/* Row next state: stay in the current state (useful with FSM_ANY rows). Also a valid action return.
 */
#define FSM_SAME (-2)
/* Action return: take the row's next state. */
#define FSM_KEEP        (-3)

#define FSM_NROWS(rows) (sizeof(rows) / sizeof((rows)[0]))

/*
 * An action returns FSM_KEEP (use the row's next state), FSM_SAME (stay), or a
 * state to go to instead. It may be NULL in the table (no action).
 */
typedef int (*fsm_action_fn)(void *obj, int event, void *arg);

struct fsm_row {
	int state; /* a state or FSM_ANY */
	int event;
	fsm_action_fn action;
	int next; /* a state or FSM_SAME */
};

struct fsm_def {
	const char *name; /* "bfd", "rg", "radius" */
	const struct fsm_row *rows;
	size_t n_rows;
	const char *const *state_names; /* n_states entries */
	int n_states;
	const char *const *event_names; /* n_events entries */
	int n_events;
	uint32_t debug_bit; /* log_debugf() flag for transitions; 0 = never */
	/*
	 * Writes a short label for obj ("10.0.0.2 eth1", "rg1") into buf. Called
	 * only when a line is logged. NULL: the label is empty.
	 */
	void (*label)(const void *obj, char *buf, size_t len);
};

/* Called after every state change (not for rows that keep the state): telemetry, subscribers. */
typedef void (*fsm_notify_fn)(void *obj, int from, int to, int event, void *cb_arg);

struct fsm_inst {
	int state;
	uint64_t transitions; /* rows taken, including those that keep the state */
	uint64_t changes;     /* rows taken that changed the state */
	uint64_t unexpected;  /* events with no row in the current state */
	uint64_t invalid;     /* out-of-range events, bad action results, re-entrant dispatch */
	/*
	 * Optional per-(state, event) counts of rows taken, n_states * n_events
	 * entries indexed [state * n_events + event], owned by the caller. NULL: not counted.
	 */
	uint64_t *pair_counts;
	int last_event; /* the event of the last row taken ("show ... detail"); -1: none yet */
	fsm_notify_fn notify;
	void *notify_arg;
	bool in_dispatch;
};

/* Sets the state, clears the counters and the callback. pair_counts may be NULL (zeroed here
 * otherwise). */
void fsm_inst_init(const struct fsm_def *def, struct fsm_inst *inst, int initial,
                   uint64_t *pair_counts);
void fsm_set_notify(struct fsm_inst *inst, fsm_notify_fn fn, void *cb_arg);

/*
 * Feeds one event. Returns the state after the event when a row was taken, -1
 * when the event was unexpected or invalid (state unchanged). An action must
 * not dispatch on the same instance (that would race the state assignment):
 * such a call is refused, counted in `invalid` and logged.
 */
int fsm_dispatch(const struct fsm_def *def, struct fsm_inst *inst, int event, void *obj, void *arg);

/* Name of a state / event; "?" when out of range. */
const char *fsm_state_name(const struct fsm_def *def, int state);
const char *fsm_event_name(const struct fsm_def *def, int event);

/*
 * Checks a definition: names present for every state and event, every row's
 * state/event/next in range, no row shadowed by an earlier row (an earlier
 * FSM_ANY row or a duplicate). Logs each problem with log_warnx. Call it in
 * the daemon's unit tests (and at start-up if cheap).
 */
bool fsm_def_check(const struct fsm_def *def);

#endif
