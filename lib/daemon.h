/*
 * The daemon skeleton every keel daemon starts through.
 *
 *   int main(int argc, char **argv) { return daemon_main(&bfdd_desc, argc, argv); }
 *
 * daemon_main() parses the shared options (-f foreground, -d debug,
 * -n config check, -D flag[,flag] debug flags, -h), runs the desc's
 * config_check and exits for -n; otherwise daemonizes (fork, parent exits,
 * setsid, chdir /, stdio to /dev/null) unless -f, writes the pid file
 * $KEEL_ROOT/run/keel/<name>.pid (refusing to start when a live process holds
 * it), routes signals through the event loop
 * (SIGHUP -> reload, SIGTERM/SIGINT -> clean stop, SIGWINCH -> cluster-state
 * change, SIGPIPE ignored), opens the ctl socket with desc->methods plus the
 * built-ins, drops every capability not in desc->caps, calls init, runs the
 * loop, then shutdown, and removes its socket and pid file.
 */
#ifndef KEEL_DAEMON_H
#define KEEL_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "lib/ctl.h"

struct daemon;
struct cfg;
struct cfg_ops;

struct daemon_desc {
	const char *name;               /* "bfdd": socket, pid file, syslog ident */
	const char *const *debug_flags; /* NULL-terminated names, bit i = 1 << i */
	const int *caps;                /* CAP_* this daemon keeps, terminated by -1; NULL = none */
	const struct ctl_method *methods;
	size_t n_methods;
	/* -n: check the config and return 0 if it is good. May be NULL. */
	int (*config_check)(struct daemon *d);
	/* After the ctl socket is open, before the loop. Non-zero aborts start-up. */
	int (*init)(struct daemon *d);
	void (*reload)(struct daemon *d);                            /* SIGHUP */
	void (*cluster_change)(struct daemon *d);                    /* SIGWINCH */
	void (*shutdown)(struct daemon *d);                          /* before exit, loop stopped */
	void (*info)(struct daemon *d, Keel__Ctl__DaemonInfo *info); /* optional extra fields */
	/* Config from mgd (lib/cfg.h): when set, the skeleton adds the
	 * config.validate/config.apply methods, opens the cfg client after
	 * init, and SIGHUP re-fetches the config (then calls reload too). */
	const struct cfg_ops *cfg;
};

struct daemon {
	const struct daemon_desc *desc;
	struct event_base *base;
	struct ctl_server *ctl;
	bool foreground;
	bool debug;
	bool check_only;
	uint64_t start_mono_ms;
	uint64_t start_wall;
	void *priv;      /* the daemon's own state */
	struct cfg *cfg; /* when desc->cfg is set */
	int argc;        /* arguments left after the shared options */
	char **argv;
};

int daemon_main(const struct daemon_desc *desc, int argc, char **argv);
/* Ends the loop; shutdown runs and daemon_main returns `code`. */
void daemon_stop(struct daemon *d, int code);

/* Pieces of daemon_main, usable on their own (tests, tools). */
int daemon_pidfile_write(const char *name); /* -1 and errno EEXIST when a live owner holds it */
void daemon_pidfile_remove(const char *name);
int daemon_drop_caps(const int *keep); /* keep: CAP_* list ending with -1, or NULL */

#define KEEL_VERSION "0.1.0"

#endif
