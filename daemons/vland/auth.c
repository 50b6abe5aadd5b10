/*
 * Port authorization state from dot1xd ("port.auth", lib/proto/vland.proto),
 * kept as a table of entries per port and per (port, MAC). Pure: requests
 * are checked against the VLAN model here; sw.c turns the table into OVS
 * tags (dynamic VLANs) and main.c into OpenFlow admission (openflow.h).
 *
 * Dynamic VLANs (RFC 3580 §3.31 Tunnel-Private-Group-ID, resolved by
 * dot1xd to a name or ID) move an access port to another VLAN; Junos
 * accepts a VLAN name or a numeric ID, so do we. A trunk port carries its
 * members tagged, so a dynamic VLAN there has no meaning and is refused.
 *
 * Several authorized MACs of one access port in different VLANs (multiple
 * supplicant mode, MAC-based VLAN as Junos EX assigns them from RADIUS)
 * need a back-end that tags per source MAC: OVS does it with a per-port
 * bridge (sw.c); elsewhere the second VLAN is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/vland/vland.h"

const char *vland_auth_state_name(enum vland_auth_state s)
{
	switch (s) {
	case VLAND_AUTH_UNCONTROLLED:
		return "uncontrolled";
	case VLAND_AUTH_UNAUTHORIZED:
		return "unauthorized";
	case VLAND_AUTH_AUTHORIZED:
		return "authorized";
	}
	return "?";
}

static int vland_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly "aa:bb:cc:dd:ee:ff", lowercase (the contract's spelling). */
int vland_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = vland_hex(s[i * 3]), lo = vland_hex(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int vland_auth_parse(const struct vlan_model *m, const char *ifname, const char *mac,
                     uint32_t state, const char *vlan, struct vland_auth *out, char *err,
                     size_t errlen)
{
	const struct vlan_port *p = ifname ? vlan_model_find_port(m, ifname) : NULL;
	const struct vlan_def *d = NULL;

	memset(out, 0, sizeof(*out));
	out->ofport_done = -1;
	out->of_state_done = -1;
	if (!p) {
		snprintf(err, errlen, "interface %s: not a switch port (family ethernet-switching)",
		         ifname ? ifname : "");
		return -1;
	}
	snprintf(out->port, sizeof(out->port), "%s", p->name);
	if (mac && *mac) {
		if (vland_mac_parse(mac, out->mac) < 0) {
			snprintf(err, errlen, "mac %s: not aa:bb:cc:dd:ee:ff (lowercase)", mac);
			return -1;
		}
		if (out->mac[0] & 1) {
			snprintf(err, errlen, "mac %s: a group address", mac);
			return -1;
		}
		out->has_mac = true;
	}
	if (state > VLAND_AUTH_AUTHORIZED) {
		snprintf(err, errlen, "state %u: not 0, 1 or 2", state);
		return -1;
	}
	out->state = (enum vland_auth_state)state;
	if (vlan && *vlan && state != VLAND_AUTH_UNCONTROLLED) {
		char *end;
		long id;

		d = vlan_model_find_name(m, vlan);
		if (!d && vlan[0] >= '0' && vlan[0] <= '9') {
			id = strtol(vlan, &end, 10);
			if (!*end && id >= VLAN_ID_MIN && id <= VLAN_ID_MAX)
				d = vlan_model_find_id(m, (uint16_t)id);
		}
		if (!d) {
			snprintf(err, errlen, "vlan %s: no such VLAN", vlan);
			return -1;
		}
		if (p->mode != VLAN_PORT_MODE_ACCESS) {
			snprintf(
			        err, errlen,
			        "interface %s: dynamic VLAN %s needs an access port (it is a trunk)",
			        p->name, vlan);
			return -1;
		}
		out->vlan = d->id;
	}
	return 0;
}

static bool vland_auth_same(const struct vland_auth *a, const char *port, const uint8_t *mac)
{
	if (strcmp(a->port, port))
		return false;
	if (!mac)
		return !a->has_mac;
	return a->has_mac && !memcmp(a->mac, mac, 6);
}

const struct vland_auth *vland_auths_find(const struct vland_auths *t, const char *port,
                                          const uint8_t *mac)
{
	for (size_t i = 0; i < t->n; i++)
		if (vland_auth_same(&t->a[i], port, mac))
			return &t->a[i];
	return NULL;
}

static void vland_auths_remove_at(struct vland_auths *t, size_t i)
{
	memmove(&t->a[i], &t->a[i + 1], (t->n - i - 1) * sizeof(*t->a));
	t->n--;
}

int vland_auths_set(struct vland_auths *t, const struct vland_auth *e)
{
	const uint8_t *mac = e->has_mac ? e->mac : NULL;
	struct vland_auth *grown;

	for (size_t i = 0; i < t->n; i++) {
		bool same = vland_auth_same(&t->a[i], e->port, mac);
		/* Port back to uncontrolled: its MAC sessions end with it. */
		bool swept = e->state == VLAND_AUTH_UNCONTROLLED && !mac &&
		             !strcmp(t->a[i].port, e->port);

		if (same && e->state != VLAND_AUTH_UNCONTROLLED) {
			int64_t done = t->a[i].ofport_done;
			int st = t->a[i].of_state_done;

			t->a[i] = *e;
			t->a[i].ofport_done = done;
			t->a[i].of_state_done = st;
			return 0;
		}
		if (same || swept)
			vland_auths_remove_at(t, i--);
	}
	if (e->state == VLAND_AUTH_UNCONTROLLED)
		return 0;
	if (t->n >= VLAND_MAX_AUTH)
		return -ENOSPC;
	grown = reallocarray(t->a, t->n + 1, sizeof(*t->a));
	if (!grown)
		return -ENOMEM;
	t->a = grown;
	t->a[t->n++] = *e;
	return 0;
}

bool vland_auth_valid(const struct vland_auth *e, const struct vlan_model *m)
{
	const struct vlan_port *p = vlan_model_find_port(m, e->port);

	return p &&
	       (!e->vlan || (p->mode == VLAN_PORT_MODE_ACCESS && vlan_model_find_id(m, e->vlan)));
}

size_t vland_auths_prune(struct vland_auths *t, const struct vlan_model *m)
{
	size_t dropped = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (!vland_auth_valid(&t->a[i], m)) {
			vland_auths_remove_at(t, i--);
			dropped++;
		}
	}
	return dropped;
}

void vland_auths_free(struct vland_auths *t)
{
	free(t->a);
	t->a = NULL;
	t->n = 0;
}

int vland_auth_vlan_conflict(const struct vland_auths *t, const struct vlan_model *m,
                             const struct vland_auth *e, char *err, size_t errlen)
{
	const struct vlan_port *p = vlan_model_find_port(m, e->port);
	uint16_t mine;

	if (t->per_mac_vlans || !p || !e->has_mac || e->state != VLAND_AUTH_AUTHORIZED ||
	    p->mode != VLAN_PORT_MODE_ACCESS)
		return 0;
	/* The VLAN each authorized MAC needs: its own, else the port's. */
	mine = e->vlan ? e->vlan : p->access;
	for (size_t i = 0; i < t->n; i++) {
		const struct vland_auth *x = &t->a[i];
		uint16_t other;

		if (!x->has_mac || strcmp(x->port, p->name) || !memcmp(x->mac, e->mac, 6) ||
		    x->state != VLAND_AUTH_AUTHORIZED)
			continue;
		other = x->vlan ? x->vlan : p->access;
		if (other == mine)
			continue;
		snprintf(
		        err, errlen,
		        "interface %s: VLAN %u for %02x:%02x:%02x:%02x:%02x:%02x differs from VLAN "
		        "%u of another authorized MAC on the port; one access port runs in one "
		        "VLAN (per-MAC VLANs are not supported), so the MAC stays unauthorized",
		        p->name, mine, e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4],
		        e->mac[5], other);
		return -1;
	}
	return 0;
}

uint16_t vland_port_vlan(const struct vland_auths *t, const struct vlan_port *p)
{
	const struct vland_auth *pe = vland_auths_find(t, p->name, NULL);

	if (p->mode != VLAN_PORT_MODE_ACCESS)
		return 0;
	if (pe && pe->vlan && pe->state == VLAND_AUTH_AUTHORIZED)
		return pe->vlan;
	for (size_t i = 0; i < t->n; i++)
		if (t->a[i].has_mac && !strcmp(t->a[i].port, p->name) && t->a[i].vlan &&
		    t->a[i].state == VLAND_AUTH_AUTHORIZED)
			return t->a[i].vlan;
	return p->access;
}

uint16_t vland_mac_vlan(const struct vland_auth *e, const struct vlan_port *p)
{
	return e->vlan ? e->vlan : p->access;
}

size_t vland_port_mac_vlans(const struct vland_auths *t, const struct vlan_port *p,
                            struct ovs_vlan_set *set)
{
	struct ovs_vlan_set seen;
	size_t n = 0;

	if (p->mode != VLAN_PORT_MODE_ACCESS)
		return 0;
	memset(&seen, 0, sizeof(seen));
	for (size_t i = 0; i < t->n; i++) {
		const struct vland_auth *e = &t->a[i];
		uint16_t id;

		if (!e->has_mac || e->state != VLAND_AUTH_AUTHORIZED || strcmp(e->port, p->name))
			continue;
		id = vland_mac_vlan(e, p);
		if (!id || ovs_vlan_set_has(&seen, id))
			continue;
		ovs_vlan_set_add(&seen, id);
		if (set)
			ovs_vlan_set_add(set, id);
		else if (n == 1)
			return 2; /* vland_port_split asks only whether it is two */
		n++;
	}
	return n;
}

bool vland_port_split(const struct vland_auths *t, const struct vlan_port *p)
{
	return p && t->per_mac_vlans && vland_port_mac_vlans(t, p, NULL) >= 2;
}

void vland_split_names(const char *port, struct vland_split_names *out)
{
	/* The bridge's internal port is a Linux device (IFNAMSIZ 16); a name
	 * that does not fit gets a stable FNV-1a hash of the port name. */
	if (strlen(VLAND_SPLIT_PFX) + strlen(port) < sizeof(out->bridge)) {
		snprintf(out->bridge, sizeof(out->bridge), VLAND_SPLIT_PFX "%s", port);
	} else {
		uint32_t h = 2166136261u;

		for (const char *c = port; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
		snprintf(out->bridge, sizeof(out->bridge), VLAND_SPLIT_PFX "%08x", h);
	}
	snprintf(out->patch_sw, sizeof(out->patch_sw), "kq-%s", port);
	snprintf(out->patch_kp, sizeof(out->patch_kp), "kr-%s", port);
}
