/*
 * dot1xd's configuration: `protocols dot1x authenticator` (yang/keel-protocols.yang) with the
 * RADIUS servers of its `access profile` (yang/keel-access.yang).
 *
 *   d1x_conf_parse()  RFC 7951 JSON -> struct d1x_conf (pure); `interface all` expands to
 *                     every unit-0 ethernet-switching interface without its own entry
 *   apply             a diff: a port whose settings did not change keeps its sessions; a
 *                     changed one takes the new timers (running sessions keep their state);
 *                     a removed one ends its sessions and hands the port back to vland as
 *                     uncontrolled; the RADIUS client keeps the state of unchanged servers.
 *
 * With no `protocols dot1x` at all nothing is opened: the daemon idles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/das.h"
#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"

static const char *const d1x_mode_names[] = {"single", "single-secure", "multiple"};
static const char *const d1x_method_names[D1X_METHOD_COUNT] = {
        "None",        "Radius",        "Mac Radius", "Guest VLAN",
        "Server-fail", "Server-reject", "Static",     "LLDP-MED bypass",
};

const char *d1x_mode_name(enum d1x_mode m)
{
	return (unsigned)m < 3 ? d1x_mode_names[m] : "?";
}

const char *d1x_method_name(enum d1x_method m)
{
	return (unsigned)m < D1X_METHOD_COUNT ? d1x_method_names[m] : "?";
}

static struct json_object *d1x_list(struct json_object *o, const char *name)
{
	struct json_object *l = o ? cfg_get(o, name) : NULL;

	return l && json_object_is_type(l, json_type_array) ? l : NULL;
}

/* A number leaf (RFC 7951 §6.1: numbers, or strings for 64-bit types). */
static bool d1x_num(struct json_object *o, const char *name, uint32_t *v)
{
	struct json_object *x = o ? cfg_get(o, name) : NULL;

	if (!x)
		return false;
	if (json_object_is_type(x, json_type_int)) {
		int64_t n = json_object_get_int64(x);

		if (n < 0 || n > UINT32_MAX)
			return false;
		*v = (uint32_t)n;
		return true;
	}
	if (json_object_is_type(x, json_type_string)) {
		char *end;
		unsigned long n = strtoul(json_object_get_string(x), &end, 10);

		if (*end == '\0' && n <= UINT32_MAX) {
			*v = (uint32_t)n;
			return true;
		}
	}
	return false;
}

/* A leaf as text whatever its JSON type (vlan-ref is a name or a number). */
static void d1x_text(struct json_object *o, const char *name, char *out, size_t len)
{
	struct json_object *x = o ? cfg_get(o, name) : NULL;

	out[0] = '\0';
	if (x)
		snprintf(out, len, "%s", json_object_get_string(x));
}

static int d1x_if_parse(struct json_object *o, struct d1x_if_conf *c, char *err, size_t errlen)
{
	const char *name = cfg_get_str(o, "name");
	const char *sup = cfg_get_str(o, "supplicant");
	struct json_object *mr = cfg_get(o, "mac-radius");
	struct json_object *rej = d1x_list(o, "server-reject-vlan");
	struct json_object *sf = cfg_get(o, "server-fail");
	struct json_object *order = d1x_list(o, "authentication-order");
	uint32_t v;

	memset(c, 0, sizeof(*c));
	if (!name || strlen(name) >= sizeof(c->name)) {
		snprintf(err, errlen, "protocols dot1x authenticator interface: bad name");
		return -1;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	pae_timers_default(&c->t);
	c->mode = D1X_MODE_SINGLE;
	if (sup && strcmp(sup, "single-secure") == 0)
		c->mode = D1X_MODE_SINGLE_SECURE;
	else if (sup && strcmp(sup, "multiple") == 0)
		c->mode = D1X_MODE_MULTIPLE;
	if (d1x_num(o, "transmit-period", &v))
		c->t.tx_period = v;
	if (d1x_num(o, "supplicant-timeout", &v))
		c->t.supp_timeout = v;
	if (d1x_num(o, "server-timeout", &v))
		c->t.server_timeout = v;
	if (d1x_num(o, "maximum-requests", &v))
		c->t.max_req = v;
	if (d1x_num(o, "retries", &v))
		c->t.reauth_max = v;
	if (d1x_num(o, "quiet-period", &v))
		c->t.quiet_period = v;
	if (d1x_num(o, "reauthentication", &v))
		c->t.reauth_period = v;
	if (cfg_get(o, "no-reauthentication"))
		c->t.reauth_enabled = false;
	if (c->t.tx_period == 0 || c->t.max_req == 0) {
		snprintf(err, errlen,
		         "protocols dot1x authenticator interface %s: transmit-period and "
		         "maximum-requests must be at least 1",
		         name);
		return -1;
	}
	c->lldp_med_bypass = cfg_get(o, "lldp-med-bypass") != NULL;
	if (mr) {
		const char *proto = cfg_get_str(mr, "authentication-protocol");

		c->mac_radius = true;
		c->mac_restrict = cfg_get(mr, "restrict") != NULL;
		c->flap_on_disconnect = cfg_get(mr, "flap-on-disconnect") != NULL;
		c->mac_pap = proto && strcmp(proto, "pap") == 0;
	}
	if (order && json_object_array_length(order) > 0) {
		const char *first = json_object_get_string(json_object_array_get_idx(order, 0));

		c->mac_first = first && strcmp(first, "mac-radius") == 0;
	}
	d1x_text(o, "guest-vlan", c->guest_vlan, sizeof(c->guest_vlan));
	if (rej && json_object_array_length(rej) > 0) {
		struct json_object *r = json_object_array_get_idx(rej, 0);

		d1x_text(r, "name", c->reject_vlan, sizeof(c->reject_vlan));
		c->eapol_block = cfg_get(r, "eapol-block") != NULL;
		c->block_interval = 120;
		if (d1x_num(r, "block-interval", &v))
			c->block_interval = v;
	}
	c->fail = D1X_FAIL_DENY;
	if (sf) {
		if (cfg_get(sf, "permit"))
			c->fail = D1X_FAIL_PERMIT;
		else if (cfg_get(sf, "use-cache"))
			c->fail = D1X_FAIL_USE_CACHE;
		else if (cfg_get(sf, "vlan-name")) {
			c->fail = D1X_FAIL_VLAN;
			d1x_text(sf, "vlan-name", c->fail_vlan, sizeof(c->fail_vlan));
		}
	}
	return 0;
}

/* Is interface `o` a switch port (unit 0 family ethernet-switching)? */
static bool d1x_is_switch_port(struct json_object *o)
{
	struct json_object *units = d1x_list(o, "unit");

	for (size_t i = 0; units && i < json_object_array_length(units); i++) {
		struct json_object *u = json_object_array_get_idx(units, i);
		struct json_object *fam = cfg_get(u, "family");
		uint32_t n;

		if (d1x_num(u, "name", &n) && n == 0 && fam && cfg_get(fam, "ethernet-switching"))
			return true;
	}
	return false;
}

static bool d1x_conf_has_if(const struct d1x_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_ifs; i++)
		if (strcmp(c->ifs[i].name, name) == 0)
			return true;
	return false;
}

static int d1x_server_parse(struct json_object *access, const char *addr,
                            struct radclient_server_cfg *s, bool acct)
{
	struct json_object *servers = d1x_list(access, "radius-server");
	uint32_t v;

	for (size_t i = 0; servers && i < json_object_array_length(servers); i++) {
		struct json_object *o = json_object_array_get_idx(servers, i);
		const char *name = cfg_get_str(o, "name");
		const char *secret = cfg_get_str(o, "secret");
		const char *src = cfg_get_str(o, "source-address");

		if (!name || strcmp(name, addr) != 0)
			continue;
		memset(s, 0, sizeof(*s));
		snprintf(s->addr, sizeof(s->addr), "%s", name);
		snprintf(s->secret, sizeof(s->secret), "%s", secret ? secret : "");
		if (src)
			snprintf(s->source, sizeof(s->source), "%s", src);
		s->port = acct ? RADIUS_PORT_ACCT : RADIUS_PORT_AUTH;
		if (d1x_num(o, acct ? "accounting-port" : "port", &v))
			s->port = (uint16_t)v;
		if (d1x_num(o, "timeout", &v))
			s->timeout_ms = v * 1000;
		if (d1x_num(o, "retry", &v))
			s->retry = v;
		if (d1x_num(o, "max-outstanding-requests", &v))
			s->max_outstanding = v;
		return 0;
	}
	return -1;
}

static int d1x_radius_parse(struct json_object *cfg, const char *profile, struct d1x_conf *out,
                            char *err, size_t errlen)
{
	struct json_object *access = cfg_get(cfg, "access");
	struct json_object *profiles = access ? d1x_list(access, "profile") : NULL;
	struct json_object *servers = access ? d1x_list(access, "radius-server") : NULL;
	struct json_object *p = NULL;
	struct radclient_cfg *rc = out->rad;

	for (size_t i = 0; profiles && i < json_object_array_length(profiles); i++) {
		struct json_object *o = json_object_array_get_idx(profiles, i);
		const char *n = cfg_get_str(o, "name");

		if (n && strcmp(n, profile) == 0)
			p = o;
	}
	if (!p) {
		snprintf(err, errlen, "protocols dot1x authenticator: access profile %s not found",
		         profile);
		return -1;
	}
	struct json_object *order = d1x_list(p, "authentication-order");
	if (order && json_object_array_length(order) > 0) {
		const char *first = json_object_get_string(json_object_array_get_idx(order, 0));

		out->radius_none = first && strcmp(first, "none") == 0;
	}
	struct json_object *r = cfg_get(p, "radius");
	struct json_object *auth = r ? d1x_list(r, "authentication-server") : NULL;
	struct json_object *acct = r ? d1x_list(r, "accounting-server") : NULL;

	if (auth && json_object_array_length(auth) > 0) {
		for (size_t i = 0; i < json_object_array_length(auth); i++) {
			const char *a = json_object_get_string(json_object_array_get_idx(auth, i));

			if (rc->n_auth == RADCLIENT_MAX_SERVERS)
				break;
			if (a && d1x_server_parse(access, a, &rc->auth[rc->n_auth], false) == 0)
				rc->n_auth++;
		}
	} else {
		/* keel-access: default = every radius-server. */
		for (size_t i = 0; servers && i < json_object_array_length(servers); i++) {
			const char *a = cfg_get_str(json_object_array_get_idx(servers, i), "name");

			if (rc->n_auth == RADCLIENT_MAX_SERVERS)
				break;
			if (a && d1x_server_parse(access, a, &rc->auth[rc->n_auth], false) == 0)
				rc->n_auth++;
		}
	}
	for (size_t i = 0; acct && i < json_object_array_length(acct); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(acct, i));

		if (rc->n_acct == RADCLIENT_MAX_SERVERS)
			break;
		if (a && d1x_server_parse(access, a, &rc->acct[rc->n_acct], true) == 0)
			rc->n_acct++;
	}
	struct json_object *opts = r ? cfg_get(r, "options") : NULL;
	uint32_t v;

	if (opts && d1x_num(opts, "revert-interval", &v))
		rc->revert_interval_s = v;
	snprintf(rc->nas_identifier, sizeof(rc->nas_identifier), "%s", out->nas_id);
	return 0;
}

/*
 * RFC 5176 server: `access radius-disconnect-port` and the `access radius-disconnect`
 * clients; with no client listed, d1x_radius_configure() takes the profile's servers.
 */
static int d1x_das_parse(struct json_object *cfg, struct d1x_conf *out, char *err, size_t errlen)
{
	struct json_object *access = cfg_get(cfg, "access");
	struct json_object *cl = access ? d1x_list(access, "radius-disconnect") : NULL;
	struct das_cfg *dc = out->das;
	uint32_t v;

	if (access && d1x_num(access, "radius-disconnect-port", &v))
		dc->port = (uint16_t)v;
	for (size_t i = 0; cl && i < json_object_array_length(cl); i++) {
		struct json_object *o = json_object_array_get_idx(cl, i);
		const char *name = cfg_get_str(o, "name");
		const char *secret = cfg_get_str(o, "secret");

		if (dc->n_clients == DAS_MAX_CLIENTS) {
			snprintf(err, errlen, "access radius-disconnect: at most %d clients",
			         DAS_MAX_CLIENTS);
			return -1;
		}
		if (!name || !secret)
			continue;
		snprintf(dc->clients[dc->n_clients].addr, sizeof(dc->clients[0].addr), "%s", name);
		snprintf(dc->clients[dc->n_clients].secret, sizeof(dc->clients[0].secret), "%s",
		         secret);
		dc->n_clients++;
	}
	return 0;
}

int d1x_conf_parse(struct json_object *cfg, struct d1x_conf *out, char *err, size_t errlen)
{
	struct json_object *proto = cfg ? cfg_get(cfg, "protocols") : NULL;
	struct json_object *dot1x = proto ? cfg_get(proto, "dot1x") : NULL;
	struct json_object *auth = dot1x ? cfg_get(dot1x, "authenticator") : NULL;
	struct json_object *ifs = auth ? d1x_list(auth, "interface") : NULL;
	struct json_object *st = auth ? d1x_list(auth, "static") : NULL;
	struct json_object *sys = cfg ? cfg_get(cfg, "system") : NULL;
	const char *host = sys ? cfg_get_str(sys, "host-name") : NULL;
	struct d1x_if_conf all;
	bool has_all = false;

	memset(out, 0, sizeof(*out));
	out->rad = calloc(1, sizeof(*out->rad));
	out->das = calloc(1, sizeof(*out->das));
	if (!out->rad || !out->das) {
		free(out->rad);
		free(out->das);
		out->rad = NULL;
		out->das = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(out->nas_id, sizeof(out->nas_id), "%s", host ? host : "keel");
	if (!auth)
		return 0;
	size_t n = ifs ? json_object_array_length(ifs) : 0;
	struct json_object *ifcfg = cfg_get(cfg, "interfaces");
	struct json_object *iflist = ifcfg ? d1x_list(ifcfg, "interface") : NULL;
	size_t cap = n + (iflist ? json_object_array_length(iflist) : 0);

	out->ifs = calloc(cap ? cap : 1, sizeof(*out->ifs));
	if (!out->ifs)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		struct d1x_if_conf c;

		if (d1x_if_parse(json_object_array_get_idx(ifs, i), &c, err, errlen) < 0)
			goto fail;
		if (strcmp(c.name, "all") == 0) {
			all = c;
			has_all = true;
			continue;
		}
		out->ifs[out->n_ifs++] = c;
	}
	for (size_t i = 0; has_all && iflist && i < json_object_array_length(iflist); i++) {
		struct json_object *o = json_object_array_get_idx(iflist, i);
		const char *name = cfg_get_str(o, "name");

		if (!name || strlen(name) >= IFNAMSIZ || !d1x_is_switch_port(o) ||
		    d1x_conf_has_if(out, name))
			continue;
		out->ifs[out->n_ifs] = all;
		snprintf(out->ifs[out->n_ifs].name, IFNAMSIZ, "%s", name);
		out->n_ifs++;
	}
	size_t ns = st ? json_object_array_length(st) : 0;
	out->statics = calloc(ns ? ns : 1, sizeof(*out->statics));
	if (!out->statics)
		goto oom;
	for (size_t i = 0; i < ns; i++) {
		struct json_object *o = json_object_array_get_idx(st, i);
		const char *mac = cfg_get_str(o, "name");
		struct d1x_static *s = &out->statics[out->n_statics];

		if (!mac || !radius_mac_parse((const uint8_t *)mac, strlen(mac), s->mac)) {
			snprintf(err, errlen, "protocols dot1x authenticator static %s: not a MAC",
			         mac ? mac : "?");
			goto fail;
		}
		d1x_text(o, "vlan-assignment", s->vlan, sizeof(s->vlan));
		d1x_text(o, "interface", s->ifname, sizeof(s->ifname));
		out->n_statics++;
	}
	const char *profile = cfg_get_str(auth, "authentication-profile-name");
	if (out->n_ifs > 0 && !profile) {
		snprintf(err, errlen,
		         "protocols dot1x authenticator needs authentication-profile-name");
		goto fail;
	}
	if (profile && d1x_radius_parse(cfg, profile, out, err, errlen) < 0)
		goto fail;
	if (d1x_das_parse(cfg, out, err, errlen) < 0)
		goto fail;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	d1x_conf_free(out);
	return -1;
}

void d1x_conf_free(struct d1x_conf *c)
{
	free(c->ifs);
	free(c->statics);
	free(c->rad);
	free(c->das);
	memset(c, 0, sizeof(*c));
}

static int d1x_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct d1x_conf c;

	(void)arg;
	if (d1x_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	d1x_conf_free(&c);
	return 0;
}

static int d1x_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                     size_t errlen)
{
	struct dot1xd *dx = arg;
	struct d1x_conf c;
	struct d1x_port *pt, *tmp;

	(void)old;
	if (d1x_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	/* Ports that went away first: their sessions end, vland gets the port back. */
	TAILQ_FOREACH_SAFE(pt, &dx->ports, entry, tmp)
	{
		bool keep = false;

		for (size_t i = 0; i < c.n_ifs; i++)
			if (strcmp(c.ifs[i].name, pt->c.name) == 0)
				keep = true;
		if (!keep)
			d1x_port_del(pt);
	}
	d1x_conf_free(&dx->conf);
	dx->conf = c;
	if (c.n_ifs > 0 && !dx->enf)
		dx->enf = d1x_enforce_new(dx->base);
	d1x_radius_configure(dx);
	for (size_t i = 0; i < c.n_ifs; i++) {
		pt = d1x_port_find(dx, c.ifs[i].name);
		if (!pt)
			d1x_port_add(dx, &c.ifs[i]);
		else
			d1x_port_update(pt, &c.ifs[i]); /* no-op unless it or the statics changed */
	}
	return 0;
}

const struct cfg_ops dot1xd_cfg_ops = {
        .validate = d1x_validate,
        .apply = d1x_apply,
};
