/*
 * BFD-tracked static routes (bfd.c): ribd as a client of bfdd's ctl socket.
 *
 *   b = ribd_bfd_new(base, rib, kick, arg);    kick: schedule rib_run + fib_flush
 *   ribd_bfd_connect(b, NULL);                 bfdd's socket ($KEEL_ROOT/run/keel/bfdd.ctl)
 *   on each config apply (new: the parsed conf, its tracks renumbered in place):
 *     ribd_bfd_conf_bind(b, new); ribd_conf_apply(rib, old, new); ribd_bfd_conf_done(b, new);
 *   after each rib_run + fib_flush: ribd_bfd_ran(b, when rib_run returned)
 */
#ifndef KEEL_RIBD_BFD_H
#define KEEL_RIBD_BFD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "daemons/ribd/config.h"
#include "daemons/ribd/rib.h"

#define RIBD_BFD_CLIENT "static" /* our client name at bfdd */

struct ribd_bfd;

typedef void (*ribd_bfd_kick_fn)(void *arg);

struct ribd_bfd *ribd_bfd_new(struct event_base *base, struct rib *rib, ribd_bfd_kick_fn kick,
                              void *arg);
void ribd_bfd_free(struct ribd_bfd *b);
/* Starts following bfdd (path NULL: the daemon's socket); reconnects by itself. */
int ribd_bfd_connect(struct ribd_bfd *b, const char *path);

/* Maps the conf's bfd-liveness-detection entries to sessions (created as
 * needed, unusable until Up) and rewrites every next hop's track to the
 * session's id. Sessions keep their id while the config keeps them, so an
 * unchanged route compares equal and does not move. -1: out of ids/memory. */
int ribd_bfd_conf_bind(struct ribd_bfd *b, struct ribd_conf *c);
/* After the conf is in the RIB: indexes its routes by session, asks bfdd for
 * new sessions, releases the ones no route uses any more. */
void ribd_bfd_conf_done(struct ribd_bfd *b, const struct ribd_conf *c);

/* Sessions created by the next config apply start usable and stay so until
 * Up or `ms` have passed (ribd restarting with its routes in the kernel). */
void ribd_bfd_set_grace(struct ribd_bfd *b, uint32_t ms);

/* A "bfd.session" event as bfdd sends it (also the unit tests' entry). */
void ribd_bfd_session_state(struct ribd_bfd *b, const char *peer, const char *local,
                            const char *ifname, bool multihop, const char *state, bool deleted);
/* Called after rib_run + fib_flush (mono_us() when the run started and when
 * rib_run returned): closes a withdrawal measurement. */
void ribd_bfd_ran(struct ribd_bfd *b, uint64_t run_us, uint64_t rib_done_us);

/* "Up", "Down", "Init", "AdminDown", "Unreachable" (bfdd not answering),
 * "Holddown" (Up, waiting holddown-interval), "Restarting" (restart grace);
 * "" for track 0 / unknown. */
const char *ribd_bfd_track_state(const struct ribd_bfd *b, uint16_t track);
/* Whether the next hop of this track may be used (the rib_nh_usable_fn). */
bool ribd_bfd_track_usable(void *arg, uint16_t track);

struct ribd_bfd_stats {
	uint32_t sessions, up;  /* tracked sessions, those usable */
	uint32_t routes;        /* route references indexed */
	uint64_t transitions;   /* usable <-> unusable changes */
	uint64_t last_routes;   /* routes re-evaluated for the last change */
	uint64_t last_react_us; /* bfdd event -> FIB batch sent, for the last change */
	uint64_t max_react_us;
	bool connected;
};
void ribd_bfd_get_stats(const struct ribd_bfd *b, struct ribd_bfd_stats *out);

#endif
