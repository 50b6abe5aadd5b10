/*
 * Interface monitoring (ifmon.h). A table of monitored names, each with the last link state
 * seen; the platform monitor's link reports update it, and a name whose up/down changed is
 * reported once. Names, not ifindexes, are the key: a monitored interface may not exist yet,
 * or be deleted and re-created with another index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/ifmon.h"
#include "lib/log.h"

struct ifmon_ent {
	struct ifmon_cfg cfg;
	int ifindex; /* 0: absent */
	bool phys_up;
	bool reported; /* mon_up holds what the callback was told */
	bool mon_up;
	bool seen; /* during a resync */
	uint64_t downs;
};

struct ifmon {
	struct plat *p;
	struct plat_monitor *mon;
	ifmon_fn fn;
	void *arg;
	bool started; /* the first resync completed: states are known */
	bool in_resync;
	size_t n;
	struct ifmon_ent *e;
};

bool ifmon_link_up(const struct plat_link *l)
{
	/* RFC 2863 operStatus; "unknown" is what drivers without operstate support report
	 * while running (IF_OPER_UNKNOWN), so carrier decides there */
	return l->admin_up && l->carrier &&
	       (l->oper == PLAT_OPER_UP || l->oper == PLAT_OPER_UNKNOWN);
}

/* Tells the callback about every name whose state differs from what it was told. */
static void report(struct ifmon *m)
{
	if (!m->started)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct ifmon_ent *e = &m->e[i];
		bool dup = false;
		if (e->reported && e->mon_up == e->phys_up)
			continue;
		if (e->reported && !e->phys_up)
			e->downs++;
		e->reported = true;
		e->mon_up = e->phys_up;
		/* one report per name: later rows of the same name follow this one */
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(m->e[j].cfg.name, e->cfg.name);
		if (dup)
			continue;
		log_info("interface monitor: %s %s", e->cfg.name, e->phys_up ? "up" : "down");
		if (m->fn)
			m->fn(m->arg, e->cfg.name, e->phys_up);
	}
}

void ifmon_link(struct ifmon *m, enum plat_ev ev, const struct plat_link *l)
{
	for (size_t i = 0; i < m->n; i++) {
		struct ifmon_ent *e = &m->e[i];
		if (ev == PLAT_EV_DEL) {
			/* by index: a renamed link's DEL carries its last name */
			if (e->ifindex == l->ifindex) {
				e->ifindex = 0;
				e->phys_up = false;
			}
			continue;
		}
		if (!strcmp(e->cfg.name, l->name)) {
			e->ifindex = l->ifindex;
			e->phys_up = ifmon_link_up(l);
			e->seen = true;
		} else if (e->ifindex == l->ifindex) {
			/* renamed away from the monitored name */
			e->ifindex = 0;
			e->phys_up = false;
		}
	}
	if (!m->in_resync)
		report(m);
}

void ifmon_resync_begin(struct ifmon *m)
{
	m->in_resync = true;
	for (size_t i = 0; i < m->n; i++)
		m->e[i].seen = false;
}

void ifmon_resync_end(struct ifmon *m)
{
	m->in_resync = false;
	for (size_t i = 0; i < m->n; i++)
		if (!m->e[i].seen) {
			m->e[i].ifindex = 0;
			m->e[i].phys_up = false;
		}
	m->started = true;
	report(m);
}

static void cb_begin(void *arg)
{
	ifmon_resync_begin(arg);
}

static void cb_end(void *arg)
{
	ifmon_resync_end(arg);
}

static void cb_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	(void)changes;
	ifmon_link(arg, ev, l);
}

struct ifmon *ifmon_new(struct plat *p, struct event_base *base, ifmon_fn fn, void *arg)
{
	static const struct plat_monitor_cbs cbs = {
	        .resync_begin = cb_begin,
	        .resync_end = cb_end,
	        .link = cb_link,
	};
	struct ifmon *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = p;
	m->fn = fn;
	m->arg = arg;
	if (base) {
		m->mon = plat_monitor_new(p, base, PLAT_WATCH_LINK, &cbs, m);
		if (!m->mon) {
			int e = errno;
			free(m);
			errno = e;
			return NULL;
		}
	}
	return m;
}

void ifmon_free(struct ifmon *m)
{
	if (!m)
		return;
	if (m->mon)
		plat_monitor_free(m->mon);
	free(m->e);
	free(m);
}

int ifmon_start(struct ifmon *m)
{
	if (!m->mon) {
		m->started = true;
		report(m);
		return 0;
	}
	return plat_monitor_start(m->mon);
}

int ifmon_update(struct ifmon *m, const struct ifmon_cfg *cfg, size_t n)
{
	struct ifmon_ent *ne;

	if (n > IFMON_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(cfg[i].name, sizeof(cfg[i].name));
		if (len == 0 || len == sizeof(cfg[i].name))
			return -EINVAL;
	}
	ne = calloc(n ? n : 1, sizeof(*ne));
	if (!ne)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ne[i].cfg = cfg[i];
		/* a name monitored before keeps its state and is not reported again */
		for (size_t j = 0; j < m->n; j++)
			if (!strcmp(m->e[j].cfg.name, cfg[i].name)) {
				ne[i].ifindex = m->e[j].ifindex;
				ne[i].phys_up = m->e[j].phys_up;
				ne[i].reported = m->e[j].reported;
				ne[i].mon_up = m->e[j].mon_up;
				ne[i].downs = m->e[j].cfg.rg == cfg[i].rg ? m->e[j].downs : 0;
				break;
			}
	}
	/* a new name: learn its state from the kernel now, rather than wait for an event */
	for (size_t i = 0; i < n; i++) {
		struct plat_link l;
		bool known = false;
		for (size_t j = 0; j < m->n && !known; j++)
			known = !strcmp(m->e[j].cfg.name, cfg[i].name);
		if (known || !m->p)
			continue;
		if (plat_link_get_by_name(m->p, cfg[i].name, &l) == 0) {
			ne[i].ifindex = l.ifindex;
			ne[i].phys_up = ifmon_link_up(&l);
		}
	}
	free(m->e);
	m->e = ne;
	m->n = n;
	report(m);
	return 0;
}

int ifmon_state(const struct ifmon *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].cfg.name, name))
			return m->e[i].phys_up ? 1 : 0;
	return -1;
}

size_t ifmon_status(const struct ifmon *m, struct ifmon_status *out, size_t max)
{
	for (size_t i = 0; i < m->n && i < max; i++) {
		const struct ifmon_ent *e = &m->e[i];
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", e->cfg.name);
		out[i].weight = e->cfg.weight;
		out[i].rg = e->cfg.rg;
		out[i].present = e->ifindex > 0;
		out[i].phys_up = e->phys_up;
		out[i].mon_up = e->reported ? e->mon_up : e->phys_up;
		out[i].downs = e->downs;
	}
	return m->n;
}
