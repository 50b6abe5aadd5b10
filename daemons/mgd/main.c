/*
 * mgd — the management daemon: configuration datastores and commit (Junos mgd).
 *
 *   main.c        start-up: YANG modules, running config, ctl methods, close hook
 *   state.c       the daemon's state: load running, peers' JSON, free
 *   mgd.h         types
 *   conf*.c       the Junos syntax engine on libyang (conf.h)
 *   store.c       files: running, rollbacks 1..49, commit headers, confirm deadline
 *   session.c     shared / private / exclusive configuration sessions
 *   commit.c      two-phase commit, commit confirmed, rollback, history
 *   peers.c       the daemons' subtrees and the config.validate/apply calls
 *   ctl.c         ctl methods: open, edit, load, rollback, show, compare
 *   ctl_commit.c  ctl methods: commit, complete, history, status, config.get
 *   sync.c        config sync with the chassis-cluster peer through clusterd
 *
 * Environment: KEEL_ROOT (files), KEEL_YANG_DIR (modules; default: the
 * source tree's yang/ when run from a build directory, else
 * /usr/local/share/keel/yang).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/paths.h"

static const char *const mgd_debug_flags[] = {"commit", "ctl", "store", NULL};

/* Where the YANG modules are: $KEEL_YANG_DIR, the tree a build/bin or
 * build/NAME/bin binary came from, then the installed copy. */
static int mgd_load(struct daemon *d, struct mgd *m)
{
	char dir[PATH_MAX], err[MGD_ERR_LEN] = "";

	if (keel_yang_dir(dir, sizeof(dir)) < 0) {
		log_warnx("YANG directory path too long");
		return -1;
	}
	if (mgd_state_init(m, d, dir, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static int mgd_config_check(struct daemon *d)
{
	struct mgd m;
	int rc = mgd_load(d, &m);

	if (rc == 0)
		mgd_state_free(&m);
	return rc;
}

static int mgd_init(struct daemon *d)
{
	struct mgd *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	if (mgd_load(d, m) < 0) {
		free(m);
		return -1;
	}
	d->priv = m;
	ctl_server_on_close(d->ctl, mgd_ctl_conn_closed, m);
	mgd_confirm_restore(m);
	if (mgd_sync_start(m) < 0)
		log_warnx("cluster: cannot reach out to clusterd: no config sync");
	log_info("running configuration generation %llu, %zu daemons known",
	         (unsigned long long)m->generation, mgd_n_peers);
	return 0;
}

static void mgd_shutdown(struct daemon *d)
{
	struct mgd *m = d->priv;

	if (!m)
		return;
	/* the server closes its connections after us: no hook into freed state */
	ctl_server_on_close(d->ctl, NULL, NULL);
	mgd_sync_stop(m);
	timer_del(&m->confirm_timer);
	mgd_state_free(m);
	free(m);
	d->priv = NULL;
}

static const struct daemon_desc mgd_desc = {
        .name = "mgd",
        .debug_flags = mgd_debug_flags,
        .methods = mgd_ctl_methods,
        .config_check = mgd_config_check,
        .init = mgd_init,
        .shutdown = mgd_shutdown,
};

int main(int argc, char **argv)
{
	struct daemon_desc desc = mgd_desc;

	desc.n_methods = mgd_ctl_n_methods;
	return daemon_main(&desc, argc, argv);
}
