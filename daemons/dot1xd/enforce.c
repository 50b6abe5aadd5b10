/*
 * Enforcement through vland (DESIGN.md §3: dot1xd drives vland's "port.auth", the data plane
 * is vland's). dot1xd keeps the desired authorization of each port and each MAC it controls;
 * this module keeps vland in line with it:
 *   - a change is sent at once when vland is connected (one request in flight per entry;
 *     a newer wish is sent when the older answer arrives);
 *   - when vland (re)connects, every entry is sent again, so a restarted vland learns the
 *     whole state back;
 *   - an entry set to 0 (uncontrolled) is forgotten once vland has acknowledged it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "daemons/dot1xd/dot1xd_daemon.h"
#include "lib/ctl.h"
#include "lib/log.h"
#include "lib/proto/vland.pb-c.h"

struct d1x_enf_entry {
	TAILQ_ENTRY(d1x_enf_entry) entry;
	struct d1x_enforce *e;
	char ifname[IFNAMSIZ];
	char mac[18]; /* "" = the whole port */
	uint32_t state;
	char vlan[D1X_VLAN_MAX];
	bool acked; /* vland holds (acked_state, acked_vlan) */
	uint32_t acked_state;
	char acked_vlan[D1X_VLAN_MAX];
	bool inflight;
	uint32_t sent_state;
	char sent_vlan[D1X_VLAN_MAX];
};

struct d1x_enforce {
	struct ctl_aclient *ac;
	TAILQ_HEAD(, d1x_enf_entry) entries;
	uint64_t sent, errors;
};

static void d1x_enf_send(struct d1x_enf_entry *x);

static bool d1x_enf_synced(const struct d1x_enf_entry *x)
{
	return x->acked && x->acked_state == x->state && strcmp(x->acked_vlan, x->vlan) == 0;
}

static void d1x_enf_settle(struct d1x_enf_entry *x)
{
	if (d1x_enf_synced(x) && x->state == 0 && !x->inflight) {
		TAILQ_REMOVE(&x->e->entries, x, entry);
		free(x);
		return;
	}
	if (!d1x_enf_synced(x))
		d1x_enf_send(x);
}

static void d1x_enf_reply(int status, bool done, const uint8_t *payload, size_t len,
                          const char *error, void *arg)
{
	struct d1x_enf_entry *x = arg;
	Keel__Vland__PortAuthReply *r;

	if (!done) {
		r = keel__vland__port_auth_reply__unpack(NULL, len, payload);
		if (r && !r->ok) {
			x->e->errors++;
			log_warnx("dot1x %s %s: vland port.auth: %s", x->ifname,
			          x->mac[0] ? x->mac : "-", r->error ? r->error : "refused");
			x->sent_state = UINT32_MAX; /* not acknowledged */
		}
		if (r)
			keel__vland__port_auth_reply__free_unpacked(r, NULL);
		return;
	}
	x->inflight = false;
	if (status == 0 && x->sent_state != UINT32_MAX) {
		x->acked = true;
		x->acked_state = x->sent_state;
		snprintf(x->acked_vlan, sizeof(x->acked_vlan), "%s", x->sent_vlan);
	} else if (status > 0) {
		x->e->errors++;
		log_warnx("dot1x %s: vland port.auth: %s", x->ifname, error ? error : "error");
		return; /* retried by d1x_enforce_retry() / on reconnect, not in a tight loop */
	} else {
		return; /* connection lost: everything is sent again on reconnect */
	}
	d1x_enf_settle(x);
}

static void d1x_enf_send(struct d1x_enf_entry *x)
{
	Keel__Vland__PortAuth q = KEEL__VLAND__PORT_AUTH__INIT;

	if (x->inflight || !ctl_aclient_up(x->e->ac))
		return;
	q.interface = x->ifname;
	q.mac = x->mac;
	q.state = x->state;
	q.vlan = x->vlan;
	x->sent_state = x->state;
	snprintf(x->sent_vlan, sizeof(x->sent_vlan), "%s", x->vlan);
	if (ctl_acall(x->e->ac, "port.auth", &q.base, d1x_enf_reply, x) < 0)
		return;
	x->inflight = true;
	x->e->sent++;
}

static void d1x_enf_state(bool up, void *arg)
{
	struct d1x_enforce *e = arg;
	struct d1x_enf_entry *x, *t;

	if (!up) {
		log_info("dot1x: vland connection lost");
		return;
	}
	log_info("dot1x: vland connected, sending the authorization state");
	/* vland may have restarted: what it acknowledged before counts for nothing. */
	TAILQ_FOREACH_SAFE(x, &e->entries, entry, t)
	{
		x->acked = false;
		x->inflight = false;
		d1x_enf_send(x);
	}
}

struct d1x_enforce *d1x_enforce_new(struct event_base *base)
{
	struct d1x_enforce *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	TAILQ_INIT(&e->entries);
	e->ac = ctl_aclient_open(base, "vland", d1x_enf_state, e);
	if (!e->ac) {
		free(e);
		return NULL;
	}
	return e;
}

void d1x_enforce_free(struct d1x_enforce *e)
{
	struct d1x_enf_entry *x;

	if (!e)
		return;
	/* Closing first: pending callbacks run (or are dropped) before the entries go. */
	ctl_aclient_close(e->ac);
	while ((x = TAILQ_FIRST(&e->entries))) {
		TAILQ_REMOVE(&e->entries, x, entry);
		free(x);
	}
	free(e);
}

void d1x_enforce_set(struct d1x_enforce *e, const char *ifname, const uint8_t *mac, uint32_t state,
                     const char *vlan)
{
	struct d1x_enf_entry *x;
	char m[18] = "";

	if (mac)
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		         mac[3], mac[4], mac[5]);
	TAILQ_FOREACH(x, &e->entries, entry)
	if (strcmp(x->ifname, ifname) == 0 && strcmp(x->mac, m) == 0)
		break;
	if (!x) {
		if (state == 0 && mac)
			return; /* a MAC vland never heard of */
		x = calloc(1, sizeof(*x));
		if (!x)
			return;
		x->e = e;
		snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
		snprintf(x->mac, sizeof(x->mac), "%s", m);
		x->state = UINT32_MAX;
		TAILQ_INSERT_TAIL(&e->entries, x, entry);
	}
	if (x->state == state && strcmp(x->vlan, vlan ? vlan : "") == 0)
		return;
	x->state = state;
	snprintf(x->vlan, sizeof(x->vlan), "%s", vlan ? vlan : "");
	d1x_enf_settle(x);
}

/* Once a second: entries vland refused are asked again. */
void d1x_enforce_retry(struct d1x_enforce *e)
{
	struct d1x_enf_entry *x, *t;

	TAILQ_FOREACH_SAFE(x, &e->entries, entry, t)
	if (!x->inflight && !d1x_enf_synced(x))
		d1x_enf_send(x);
}

bool d1x_enforce_up(const struct d1x_enforce *e)
{
	return e && ctl_aclient_up(e->ac);
}

uint64_t d1x_enforce_errors(const struct d1x_enforce *e)
{
	return e ? e->errors : 0;
}
