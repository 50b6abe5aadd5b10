/*
 * Coldsync (issue 4 item 6; notes §7): the bulk transfer of state from the primary to a
 * joining secondary, as a weighted monitor.
 *
 * Participants are daemons that hold state to sync (mgd's configuration first). They register
 * over clusterd's ctl socket ("coldsync.register") and subscribe to the "coldsync.start"
 * event. When this node joins a live peer that is RG0 primary, every registered participant
 * that has not synced gets "coldsync.start" (payload ColdsyncRegister naming it) and reports
 * "coldsync.done" with ok or not. clusterd keeps a bitmap per participant (pre-req / in
 * progress / done / failed) and feeds the engine the node's coldsync state: the CS monitor
 * weighs 255 until every participant is done (0 after; it stays at 255 on a failure), so a
 * node that has not synced cannot take over from a healthy primary (rg.c). With no
 * participant there is nothing to wait for: coldsync is complete at once. A node that is RG0
 * primary is the source of the state: complete too.
 *
 * The bitmap is kept in $KEEL_ROOT/run/keel/clusterd.coldsync, tagged with the kernel's boot
 * id, so a restarted clusterd finds it (jsrpd keeps it in the kernel for the same reason) and
 * a reboot forgets it.
 *
 * Bulk participants (mgd) do not sync themselves: clusterd moves their data over the TLS
 * channel to the peer (relay.c) and reports their coldsync.done itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"
#include "lib/log.h"

static const char *const cl_part_names[CL_PART_COUNT] = {
        [CL_PART_PREREQ] = "pre-req",
        [CL_PART_IN_PROGRESS] = "in progress",
        [CL_PART_DONE] = "done",
        [CL_PART_FAILED] = "failed",
};

const char *cl_part_state_name(uint8_t st)
{
	return st < CL_PART_COUNT ? cl_part_names[st] : "?";
}

const char *cl_coldsync_name(uint8_t st)
{
	switch (st) {
	case CL_CS_NOT_STARTED:
		return "not started";
	case CL_CS_IN_PROGRESS:
		return "in progress";
	case CL_CS_DONE:
		return "completed";
	case CL_CS_FAILED:
		return "failed";
	}
	return "?";
}

/* Participant names are daemon names: they go into a file, one per line. */
static bool cl_part_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= CL_PART_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

struct cl_participant *cl_cs_find(struct cl_cs *cs, const char *name)
{
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->p[i].name, name) == 0)
			return &cs->p[i];
	return NULL;
}

void cl_cs_init(struct cl_cs *cs, const char *path, const char *boot_id)
{
	memset(cs, 0, sizeof(*cs));
	snprintf(cs->path, sizeof(cs->path), "%s", path ? path : "");
	snprintf(cs->boot_id, sizeof(cs->boot_id), "%s", boot_id ? boot_id : "");
	cs->state = cl_cs_state(cs);
}

int cl_cs_register(struct cl_cs *cs, const char *name, char *err, size_t errlen)
{
	if (!cl_part_name_ok(name)) {
		snprintf(err, errlen, "coldsync participant name must be 1..%d of [A-Za-z0-9._-]",
		         CL_PART_NAME_LEN - 1);
		return -1;
	}
	if (cl_cs_find(cs, name))
		return 0;
	if (cs->n == CL_MAX_PARTICIPANTS) {
		snprintf(err, errlen, "coldsync: at most %d participants", CL_MAX_PARTICIPANTS);
		return -1;
	}
	struct cl_participant *p = &cs->p[cs->n++];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, strlen(name) + 1);
	/* A newcomer has state to pull even when the others are done (the daemon glue marks
	 * it done at once on the RG0 primary, the source). */
	p->state = CL_PART_PREREQ;
	cs->state = cl_cs_state(cs);
	return 0;
}

int cl_cs_done(struct cl_cs *cs, const char *name, bool ok, char *err, size_t errlen)
{
	struct cl_participant *p = cl_cs_find(cs, name ? name : "");

	if (!p) {
		snprintf(err, errlen, "coldsync participant %s is not registered",
		         name ? name : "(none)");
		return -1;
	}
	p->state = ok ? CL_PART_DONE : CL_PART_FAILED;
	cs->state = cl_cs_state(cs);
	return 0;
}

size_t cl_cs_start(struct cl_cs *cs)
{
	size_t n = 0;

	for (size_t i = 0; i < cs->n; i++)
		if (cs->p[i].state == CL_PART_PREREQ) {
			cs->p[i].state = CL_PART_IN_PROGRESS;
			n++;
		}
	cs->state = cl_cs_state(cs);
	return n;
}

void cl_cs_reset(struct cl_cs *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		cs->p[i].state = CL_PART_PREREQ;
	cs->state = cl_cs_state(cs);
}

void cl_cs_complete(struct cl_cs *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		cs->p[i].state = CL_PART_DONE;
	cs->state = cl_cs_state(cs);
}

uint8_t cl_cs_state(const struct cl_cs *cs)
{
	bool any_pre = false, any_prog = false, any_fail = false;

	for (size_t i = 0; i < cs->n; i++) {
		any_pre |= cs->p[i].state == CL_PART_PREREQ;
		any_prog |= cs->p[i].state == CL_PART_IN_PROGRESS;
		any_fail |= cs->p[i].state == CL_PART_FAILED;
	}
	if (any_fail)
		return CL_CS_FAILED;
	if (any_prog)
		return CL_CS_IN_PROGRESS;
	if (any_pre)
		return CL_CS_NOT_STARTED;
	return CL_CS_DONE; /* every participant done, or none at all */
}

uint8_t cl_cs_weight(const struct cl_cs *cs)
{
	return cl_cs_state(cs) == CL_CS_DONE ? 0 : CL_WEIGHT_FULL;
}

/* ------------------------------------------------------------ the state file */

int cl_cs_save(const struct cl_cs *cs)
{
	char tmp[sizeof(cs->path) + 8];
	FILE *f;

	if (!cs->path[0])
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cs->path);
	f = fopen(tmp, "we");
	if (!f) {
		log_warn("coldsync: cannot write %s", tmp);
		return -1;
	}
	fprintf(f, "# clusterd coldsync bitmap: participant state (0 pre-req, 1 in progress, "
	           "2 done, 3 failed)\n");
	fprintf(f, "boot %s\n", cs->boot_id[0] ? cs->boot_id : "-");
	for (size_t i = 0; i < cs->n; i++)
		fprintf(f, "participant %s %u\n", cs->p[i].name, cs->p[i].state);
	if (fflush(f) != 0 || fclose(f) != 0) {
		log_warn("coldsync: cannot write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, cs->path) != 0) {
		log_warn("coldsync: cannot rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Returns the number of participants read, 0 when there is no (usable) file, -1 on error. */
int cl_cs_load(struct cl_cs *cs)
{
	char line[128], name[CL_PART_NAME_LEN + 1], boot[sizeof(cs->boot_id)];
	unsigned st;
	FILE *f;
	bool same_boot = false;
	struct cl_cs tmp = *cs;

	if (!cs->path[0])
		return 0;
	f = fopen(cs->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	tmp.n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "boot %39s", boot) == 1) {
			same_boot = cs->boot_id[0] && strcmp(boot, cs->boot_id) == 0;
			continue;
		}
		if (sscanf(line, "participant %32s %u", name, &st) != 2 || st >= CL_PART_COUNT ||
		    !cl_part_name_ok(name) || tmp.n == CL_MAX_PARTICIPANTS ||
		    cl_cs_find(&tmp, name))
			continue; /* a line we did not write: skip it, keep the rest */
		struct cl_participant *p = &tmp.p[tmp.n++];
		memset(p, 0, sizeof(*p));
		memcpy(p->name, name, strlen(name) + 1);
		p->state = (uint8_t)st;
	}
	fclose(f);
	if (!same_boot)
		return 0; /* written before the last reboot: the synced state is gone */
	tmp.state = cl_cs_state(&tmp);
	*cs = tmp;
	return (int)cs->n;
}

/* ------------------------------------------------------------ daemon glue */

void cl_coldsync_update(struct clusterd *cl)
{
	struct rg_engine *e = cl->engine;
	struct cl_cs *cs = &cl->cs;
	uint8_t before[CL_MAX_PARTICIPANTS];
	bool changed = false;

	if (!cl->enabled)
		return;
	for (size_t i = 0; i < cs->n; i++)
		before[i] = cs->p[i].state;

	const struct hb_rg *prg0 = rg_engine_peer_group(e, 0);
	if (rg_engine_state(e, 0) == RG_STATE_PRIMARY) {
		cl_cs_complete(cs); /* the primary is the source: nothing to pull */
	} else if (prg0 && prg0->state == RG_STATE_PRIMARY && e->peer.state == RG_PEER_ALIVE &&
	           !e->node_disabled) {
		size_t n = cl_cs_start(cs);
		if (n)
			log_info("coldsync: joining primary node%u, %zu participants start",
			         e->node_id ^ 1u, n);
		for (size_t i = 0; n && i < cs->n; i++)
			if (cs->p[i].state == CL_PART_IN_PROGRESS && before[i] == CL_PART_PREREQ)
				cl_ctl_coldsync_start(cl, cs->p[i].name);
	}
	for (size_t i = 0; i < cs->n; i++)
		changed |= before[i] != cs->p[i].state;
	cs->state = cl_cs_state(cs);
	if (changed)
		cl_cs_save(cs);
	if (e->coldsync != cs->state) {
		log_info("coldsync: %s", cl_coldsync_name(cs->state));
		rg_engine_coldsync(e, (enum cl_coldsync)cs->state, mono_ms());
	}
	/* The channel follows the roles; a joining node asks for its bulk participants. */
	cl_relay_update(cl);
}
