/*
 * The daemons that take part in a commit (DESIGN.md §3 "Config": two-phase).
 *
 * Each daemon owns some subtrees of the config. A daemon is "affected" by a
 * commit when the JSON of its subtrees (expanded, as it will receive it)
 * changed. mgd calls it with a blocking ctl client and a short timeout: one
 * slow daemon can delay a commit by MGD_DAEMON_TIMEOUT at most, and mgd's loop
 * does nothing else meanwhile, so sessions cannot change mid-commit.
 *
 * A subtree JSON larger than a ctl frame goes by file (mgd.proto
 * DaemonConfig.json_file): $KEEL_ROOT/run/keel/mgd-<daemon>.json, written
 * before the call and removed after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proto/mgd.pb-c.h"

static const char *const ifd_paths[] = {"/keel-interfaces:interfaces", NULL};
static const char *const clusterd_paths[] = {"/keel-chassis:chassis", "/keel-interfaces:interfaces",
                                             NULL};
static const char *const bfdd_paths[] = {"/keel-protocols:protocols/bfd", "/keel-security:security",
                                         NULL};
static const char *const ribd_paths[] = {"/keel-routing-options:routing-options", NULL};
static const char *const vland_paths[] = {"/keel-vlans:vlans", "/keel-interfaces:interfaces", NULL};
static const char *const dot1xd_paths[] = {"/keel-protocols:protocols/dot1x", "/keel-access:access",
                                           NULL};
static const char *const telemetryd_paths[] = {"/keel-services:services", "/keel-system:system",
                                               NULL};

const struct mgd_peer mgd_peers[] = {
        {"ifd", ifd_paths},
        {"clusterd", clusterd_paths},
        {"bfdd", bfdd_paths},
        {"ribd", ribd_paths},
        {"vland", vland_paths},
        {"dot1xd", dot1xd_paths},
        {"telemetryd", telemetryd_paths},
};
const size_t mgd_n_peers = sizeof(mgd_peers) / sizeof(mgd_peers[0]);

const struct mgd_peer *mgd_peer_find(const char *name)
{
	for (size_t i = 0; i < mgd_n_peers; i++)
		if (strcmp(mgd_peers[i].name, name) == 0)
			return &mgd_peers[i];
	return NULL;
}

char *mgd_peer_json(const struct mgd_peer *p, struct lyd_node *expanded, char *err, size_t errlen)
{
	char *json = NULL;
	size_t n = 0;

	while (p->paths[n])
		n++;
	if (conf_subtree_json(expanded, p->paths, n, &json, err, errlen) < 0)
		return NULL;
	return json;
}

/* Room for the rest of the frame and the DaemonConfig fields besides json. */
#define MGD_INLINE_JSON_MAX (CTL_MAX_FRAME - 1024)

int mgd_peer_call(const struct mgd_peer *p, const char *method, uint64_t generation,
                  const char *json, bool check_only, char *err, size_t errlen)
{
	Keel__Mgd__DaemonConfig dc = KEEL__MGD__DAEMON_CONFIG__INIT;
	char file[128], path[4096], cerr[CTL_MAX_ERROR + 1] = "";
	struct ctl_client *c;
	size_t len = strlen(json);
	bool by_file = len > MGD_INLINE_JSON_MAX;
	int rc;

	c = ctl_client_connect(p->name);
	if (!c)
		return 1; /* not running: it reads the config when it starts */
	dc.generation = generation;
	dc.check_only = check_only;
	dc.json = (char *)json;
	if (by_file) {
		snprintf(file, sizeof(file), "mgd-%s.json", p->name);
		if (keel_path(path, sizeof(path), KEEL_DIR_RUN, file) < 0 ||
		    mgd_file_write_atomic(path, json, len) < 0) {
			snprintf(err, errlen, "%s: cannot write %s: %s", p->name, file,
			         strerror(errno));
			ctl_client_close(c);
			return -1;
		}
		dc.json = "";
		dc.json_file = path;
	}
	rc = ctl_call(c, method, &dc.base, NULL, NULL, MGD_DAEMON_TIMEOUT, cerr, sizeof(cerr));
	ctl_client_close(c);
	if (by_file)
		unlink(path);
	if (rc == 0)
		return 0;
	if (rc == CTL_ERR_NO_METHOD)
		return 1; /* a daemon that does not take config from mgd */
	if (rc < 0 && errno == ETIMEDOUT) {
		snprintf(err, errlen, "%s: no answer to %s within %d ms", p->name, method,
		         MGD_DAEMON_TIMEOUT);
		return -1;
	}
	if (rc < 0)
		return 1; /* went away during the call: it fetches the config on restart */
	snprintf(err, errlen, "%s: %s", p->name, cerr[0] ? cerr : ctl_err_name(rc));
	return -1;
}
