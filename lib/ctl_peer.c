/*
 * SO_PEERCRED policy for ctl sockets (DESIGN.md §3): uid 0, the daemon's own
 * euid and members of group "keel" may call every method; anybody else who
 * can reach the socket only methods without CTL_F_WRITE.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl_priv.h"

static bool gid_in_list(const char *list, gid_t want)
{
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long g;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		g = strtoul(p, &end, 10);
		if (errno == 0 && g == (unsigned long)want)
			return true;
		p = end;
	}
	return false;
}

/* Supplementary groups of the peer from /proc/<pid>/status, trusted only while
 * its effective uid still matches SO_PEERCRED (the pid may have been reused).
 * Returns 1 member, 0 not, -1 unknown. */
static int peer_proc_groups(pid_t pid, uid_t uid, gid_t want)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int member = -1;
	bool uid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		unsigned long r, e;

		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid_ok = e == (unsigned long)uid;
		else if (strncmp(line, "Groups:", 7) == 0)
			member = gid_in_list(line + 7, want);
	}
	free(line);
	fclose(f);
	return uid_ok ? member : -1;
}

static bool peer_db_groups(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = (int)(sizeof(groups) / sizeof(groups[0]));

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (getgrouplist(pw.pw_name, gid, groups, &n) < 0)
		n = (int)(sizeof(groups) / sizeof(groups[0]));
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

bool ctl_peer_may_write(const struct ctl_server *srv, uid_t uid, gid_t gid, pid_t pid)
{
	int r;

	if (uid == 0 || uid == srv->euid)
		return true;
	if (!srv->have_keel_gid)
		return false;
	if (gid == srv->keel_gid)
		return true;
	r = pid > 0 ? peer_proc_groups(pid, uid, srv->keel_gid) : -1;
	if (r >= 0)
		return r == 1;
	return peer_db_groups(uid, gid, srv->keel_gid);
}

void ctl_peer_group_init(struct ctl_server *srv)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r("keel", &gr, buf, sizeof(buf), &res) == 0 && res) {
		srv->keel_gid = gr.gr_gid;
		srv->have_keel_gid = true;
	}
}
