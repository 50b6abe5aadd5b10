/*
 * The BFD session state machine (lib/fsm.h): RFC 5880 §6.2's diagram and §6.8.6's table,
 * one row per rule. session.c decides which event applies (a verified packet's State field,
 * a detection deadline, an operator command) and turns state changes into timer and
 * transmit changes; the actions here only set bfd.LocalDiag, the reason §4.1 reports.
 */
#include <stdio.h>

#include "daemons/bfdd/bfdd.h"

static const char *const bfd_fsm_state_names[BFD_STATE_COUNT] = {
        [BFD_STATE_ADMIN_DOWN] = "AdminDown",
        [BFD_STATE_DOWN] = "Down",
        [BFD_STATE_INIT] = "Init",
        [BFD_STATE_UP] = "Up",
};

static const char *const bfd_event_names[BFD_EVT_COUNT] = {
        [BFD_EVT_RX_ADMIN_DOWN] = "RX_ADMINDOWN",
        [BFD_EVT_RX_DOWN] = "RX_DOWN",
        [BFD_EVT_RX_INIT] = "RX_INIT",
        [BFD_EVT_RX_UP] = "RX_UP",
        [BFD_EVT_DETECT_TIMEOUT] = "DETECT_TIMEOUT",
        [BFD_EVT_ECHO_TIMEOUT] = "ECHO_TIMEOUT",
        [BFD_EVT_ADMIN_UP] = "ADMIN_UP",
        [BFD_EVT_ADMIN_DOWN] = "ADMIN_DOWN",
};

static int bfd_act_diag(struct bfd_session *s, enum bfd_diag d)
{
	s->local_diag = (uint8_t)d;
	return FSM_KEEP;
}

/* §6.8.6: "bfd.LocalDiag = 3 (Neighbor signaled session down)". */
static int bfd_act_neighbor_down(void *obj, int event, void *arg)
{
	return bfd_act_diag(obj, BFD_DIAG_NEIGHBOR_DOWN);
}

/* §6.8.4: "bfd.LocalDiag to 1 (Control Detection Time Expired)". */
static int bfd_act_detect(void *obj, int event, void *arg)
{
	return bfd_act_diag(obj, BFD_DIAG_DETECT_EXPIRED);
}

/* §6.8.5 / §4.1 diag 2. */
static int bfd_act_echo(void *obj, int event, void *arg)
{
	return bfd_act_diag(obj, BFD_DIAG_ECHO_FAILED);
}

/*
 * §6.8.16: the caller chose the diagnostic (Administratively Down, or Path Down when the
 * path is known to have failed) and passes it as arg.
 */
static int bfd_act_admin_down(void *obj, int event, void *arg)
{
	const enum bfd_diag *d = arg;

	return bfd_act_diag(obj, d ? *d : BFD_DIAG_ADMIN_DOWN);
}

/*
 * Coming up clears the diagnostic: §6.8.1 makes it the reason for the most recent state
 * change, and no code names "handshake completed" (BIRD and FRR send 0 here too).
 */
static int bfd_act_clear(void *obj, int event, void *arg)
{
	return bfd_act_diag(obj, BFD_DIAG_NONE);
}

#define S(x) BFD_STATE_##x
#define E(x) BFD_EVT_##x

static const struct fsm_row bfd_rows[] = {
        /* §6.8.6: "If bfd.SessionState is AdminDown: discard the packet". */
        {S(ADMIN_DOWN), E(RX_ADMIN_DOWN), NULL, FSM_SAME},
        {S(ADMIN_DOWN), E(RX_DOWN), NULL, FSM_SAME},
        {S(ADMIN_DOWN), E(RX_INIT), NULL, FSM_SAME},
        {S(ADMIN_DOWN), E(RX_UP), NULL, FSM_SAME},
        /* Received AdminDown: "If bfd.SessionState is not Down: LocalDiag 3, Down". */
        {S(DOWN), E(RX_ADMIN_DOWN), NULL, FSM_SAME},
        {S(INIT), E(RX_ADMIN_DOWN), bfd_act_neighbor_down, S(DOWN)},
        {S(UP), E(RX_ADMIN_DOWN), bfd_act_neighbor_down, S(DOWN)},
        /* Down: "If received state is Down: Init; else if Init: Up" (three-way handshake). */
        {S(DOWN), E(RX_DOWN), bfd_act_clear, S(INIT)},
        {S(DOWN), E(RX_INIT), bfd_act_clear, S(UP)},
        {S(DOWN), E(RX_UP), NULL, FSM_SAME},
        /* Init: "If received State is Init or Up: Up". */
        {S(INIT), E(RX_DOWN), NULL, FSM_SAME},
        {S(INIT), E(RX_INIT), bfd_act_clear, S(UP)},
        {S(INIT), E(RX_UP), bfd_act_clear, S(UP)},
        /* Up: "If received State is Down: LocalDiag 3, Down" (the peer lost us or restarted). */
        {S(UP), E(RX_DOWN), bfd_act_neighbor_down, S(DOWN)},
        {S(UP), E(RX_INIT), NULL, FSM_SAME},
        {S(UP), E(RX_UP), NULL, FSM_SAME},
        /* §6.8.4: the Detection Time passed in Init or Up. */
        {S(INIT), E(DETECT_TIMEOUT), bfd_act_detect, S(DOWN)},
        {S(UP), E(DETECT_TIMEOUT), bfd_act_detect, S(DOWN)},
        /* §6.8.5: echo runs only while Up. */
        {S(UP), E(ECHO_TIMEOUT), bfd_act_echo, S(DOWN)},
        /* §6.8.16 administrative control. */
        {S(ADMIN_DOWN), E(ADMIN_DOWN), NULL, FSM_SAME},
        {FSM_ANY, E(ADMIN_DOWN), bfd_act_admin_down, S(ADMIN_DOWN)},
        {S(ADMIN_DOWN), E(ADMIN_UP), bfd_act_clear, S(DOWN)},
        {FSM_ANY, E(ADMIN_UP), NULL, FSM_SAME},
};

#undef S
#undef E

static void bfd_fsm_label(const void *obj, char *buf, size_t len)
{
	const struct bfd_session *s = obj;

	snprintf(buf, len, "discr %u", s->local_disc);
}

const struct fsm_def bfd_fsm_def = {
        .name = "bfd",
        .rows = bfd_rows,
        .n_rows = FSM_NROWS(bfd_rows),
        .state_names = bfd_fsm_state_names,
        .n_states = BFD_STATE_COUNT,
        .event_names = bfd_event_names,
        .n_events = BFD_EVT_COUNT,
        .debug_bit = BFDD_DEBUG_FSM,
        .label = bfd_fsm_label,
};

int bfd_session_fsm(struct bfd_session *s, enum bfd_event ev)
{
	return fsm_dispatch(&bfd_fsm_def, &s->fsm, (int)ev, s, NULL);
}

int bfd_session_fsm_admin_down(struct bfd_session *s, enum bfd_diag diag)
{
	return fsm_dispatch(&bfd_fsm_def, &s->fsm, BFD_EVT_ADMIN_DOWN, s, &diag);
}
