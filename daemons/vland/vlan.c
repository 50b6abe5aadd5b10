/*
 * The VLAN model: config JSON -> validated vlans and switch ports -> OVS
 * Port columns. Pure (no I/O); mgd has already checked the YANG "must"
 * rules, but commit check runs this too, and a config that reaches us
 * by another path (a file, a test) must not produce a wrong data plane.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/vland/vland.h"
#include "lib/cfg.h"

const char *vlan_port_mode_name(enum vlan_port_mode m)
{
	switch (m) {
	case VLAN_PORT_MODE_ACCESS:
		return "access";
	case VLAN_PORT_MODE_TRUNK:
		return "trunk";
	}
	return "?";
}

static struct json_object *vlan_list(struct json_object *o, const char *name)
{
	struct json_object *l = o ? cfg_get(o, name) : NULL;

	return l && json_object_is_type(l, json_type_array) ? l : NULL;
}

/* An RFC 7951 integer: a JSON number, or a string of digits (unions of
 * integer and string types may arrive either way). */
static bool vlan_id_value(struct json_object *v, uint16_t *out)
{
	int64_t x;

	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;

		if (!*s || *s < '0' || *s > '9' || strlen(s) > 4)
			return false;
		x = strtol(s, &end, 10);
		if (*end)
			return false;
	} else {
		return false;
	}
	if (x < VLAN_ID_MIN || x > VLAN_ID_MAX) /* IEEE 802.1Q §9.6: 0, 4095 reserved */
		return false;
	*out = (uint16_t)x;
	return true;
}

static int vlan_cmp_id(const void *a, const void *b)
{
	const struct vlan_def *x = a, *y = b;

	return (int)x->id - (int)y->id;
}

static int vlan_cmp_name(const void *a, const void *b)
{
	const struct vlan_def *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

const struct vlan_def *vlan_model_find_id(const struct vlan_model *m, uint16_t id)
{
	struct vlan_def key = {.id = id};

	if (!m->n_vlans)
		return NULL;
	return bsearch(&key, m->vlans, m->n_vlans, sizeof(*m->vlans), vlan_cmp_id);
}

const struct vlan_def *vlan_model_find_name(const struct vlan_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_vlans; i++)
		if (!strcmp(m->vlans[i].name, name))
			return &m->vlans[i];
	return NULL;
}

const struct vlan_port *vlan_model_find_port(const struct vlan_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_ports; i++)
		if (!strcmp(m->ports[i].name, name))
			return &m->ports[i];
	return NULL;
}

const struct vlan_irb *vlan_model_find_irb(const struct vlan_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_irbs; i++)
		if (!strcmp(m->irbs[i].name, name))
			return &m->irbs[i];
	return NULL;
}

void vlan_model_free(struct vlan_model *m)
{
	free(m->irbs);
	free(m->vlans);
	free(m->ports);
	memset(m, 0, sizeof(*m));
}

static int vlan_parse_vlans(struct json_object *cfg, struct vlan_model *m, char *err, size_t errlen)
{
	struct json_object *list = vlan_list(cfg_get(cfg, "vlans"), "vlan");
	size_t n = list ? json_object_array_length(list) : 0;

	/* by_id[id] = index + 1 of the VLAN using id: duplicate IDs in O(1), so a
	 * full 4094-VLAN config validates in linear time. */
	uint16_t *by_id = NULL;
	const struct vlan_def **by_name = NULL;
	int rc = -1;

	if (n > VLAN_ID_MAX) {
		snprintf(err, errlen, "vlans: more than %d VLANs", VLAN_ID_MAX);
		return -1;
	}
	m->vlans = calloc(n ? n : 1, sizeof(*m->vlans));
	by_id = calloc(VLAN_ID_MAX + 1, sizeof(*by_id));
	by_name = calloc(n ? n : 1, sizeof(*by_name));
	if (!m->vlans || !by_id || !by_name) {
		snprintf(err, errlen, "vlans: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		const char *name = cfg_get_str(v, "name");
		const char *s;
		struct vlan_def *d = &m->vlans[m->n_vlans];

		if (!name || !*name || strlen(name) >= sizeof(d->name)) {
			snprintf(err, errlen, "vlans: VLAN without a valid name");
			goto out;
		}
		if (!vlan_id_value(cfg_get(v, "vlan-id"), &d->id)) {
			snprintf(err, errlen, "vlans %s vlan-id: missing or not in %d..%d", name,
			         VLAN_ID_MIN, VLAN_ID_MAX);
			goto out;
		}
		if (by_id[d->id]) {
			snprintf(err, errlen, "vlans %s vlan-id %u: already used by VLAN %s", name,
			         d->id, m->vlans[by_id[d->id] - 1].name);
			goto out;
		}
		by_id[d->id] = (uint16_t)(m->n_vlans + 1);
		snprintf(d->name, sizeof(d->name), "%s", name);
		if ((s = cfg_get_str(v, "l3-interface"))) {
			/* keel-vlans.yang: an irb unit, irb.N. */
			if (strncmp(s, "irb.", 4) || !s[4] ||
			    strspn(s + 4, "0123456789") != strlen(s + 4) ||
			    strlen(s) >= sizeof(d->l3_interface)) {
				snprintf(err, errlen,
				         "vlans %s l3-interface %s: not an irb unit (irb.N)", name,
				         s);
				goto out;
			}
			for (size_t j = 0; j < m->n_vlans; j++)
				if (!strcmp(m->vlans[j].l3_interface, s)) {
					snprintf(
					        err, errlen,
					        "vlans %s l3-interface %s: already used by VLAN %s",
					        name, s, m->vlans[j].name);
					goto out;
				}
			snprintf(d->l3_interface, sizeof(d->l3_interface), "%s", s);
		}
		if ((s = cfg_get_str(v, "description")))
			snprintf(d->description, sizeof(d->description), "%s", s);
		m->n_vlans++;
	}
	/* Names are the list key: unique (YANG), but a config from a file is
	 * checked too, sorted so that duplicates are neighbours. */
	for (size_t i = 0; i < m->n_vlans; i++)
		by_name[i] = &m->vlans[i];
	qsort(by_name, m->n_vlans, sizeof(*by_name), vlan_cmp_name);
	for (size_t i = 1; i < m->n_vlans; i++)
		if (!strcmp(by_name[i - 1]->name, by_name[i]->name)) {
			snprintf(err, errlen, "vlans %s: defined twice", by_name[i]->name);
			goto out;
		}
	qsort(m->vlans, m->n_vlans, sizeof(*m->vlans), vlan_cmp_id);
	rc = 0;
out:
	free(by_id);
	free(by_name);
	return rc;
}

/* "LOW-HIGH" with 1 <= LOW < HIGH <= 4094 (keel-vlans.yang vlan-member). */
static bool vlan_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	char a[8], b[8];
	size_t la, lb;
	struct json_object *ja, *jb;
	bool ok;

	if (!dash)
		return false;
	la = (size_t)(dash - s);
	lb = strlen(dash + 1);
	if (!la || !lb || la >= sizeof(a) || lb >= sizeof(b))
		return false;
	memcpy(a, s, la);
	a[la] = 0;
	memcpy(b, dash + 1, lb + 1);
	ja = json_object_new_string(a);
	jb = json_object_new_string(b);
	ok = ja && jb && vlan_id_value(ja, lo) && vlan_id_value(jb, hi) && *lo < *hi;
	json_object_put(ja);
	json_object_put(jb);
	return ok;
}

/* Resolves one "vlan members" entry into IDs of configured VLANs. Returns the
 * number of VLANs it adds to `set`, or -1 (error set). `single` is the ID for
 * a name or plain ID (0 for all/range). */
static int vlan_member(const struct vlan_model *m, const char *port, struct json_object *v,
                       struct ovs_vlan_set *set, uint16_t *single, char *err, size_t errlen)
{
	const char *s = json_object_get_string(v);
	const struct vlan_def *d = NULL;
	uint16_t id, lo, hi;
	int n = 0;

	*single = 0;
	if (json_object_is_type(v, json_type_string) && !strcmp(s, "all")) {
		for (size_t i = 0; i < m->n_vlans; i++, n++)
			ovs_vlan_set_add(set, m->vlans[i].id);
		return n;
	}
	if (json_object_is_type(v, json_type_string) && strchr(s, '-') &&
	    !vlan_model_find_name(m, s)) {
		if (!vlan_range(s, &lo, &hi)) {
			snprintf(err, errlen,
			         "interfaces %s vlan members %s: a range is LOW-HIGH with "
			         "1 <= LOW < HIGH <= 4094",
			         port, s);
			return -1;
		}
		/* keel-vlans.yang: a range means the configured VLANs inside it. */
		for (size_t i = 0; i < m->n_vlans; i++)
			if (m->vlans[i].id >= lo && m->vlans[i].id <= hi) {
				ovs_vlan_set_add(set, m->vlans[i].id);
				n++;
			}
		return n;
	}
	if (json_object_is_type(v, json_type_string))
		d = vlan_model_find_name(m, s);
	if (!d && vlan_id_value(v, &id))
		d = vlan_model_find_id(m, id);
	if (!d) {
		snprintf(err, errlen, "interfaces %s vlan members %s: no such VLAN", port, s);
		return -1;
	}
	ovs_vlan_set_add(set, d->id);
	*single = d->id;
	return 1;
}

static bool vlan_is_all_or_range(struct json_object *v, const struct vlan_model *m)
{
	const char *s = json_object_get_string(v);

	return json_object_is_type(v, json_type_string) &&
	       (!strcmp(s, "all") || (strchr(s, '-') && !vlan_model_find_name(m, s)));
}

static int vlan_parse_port(struct vlan_model *m, struct json_object *ifc, const char *name,
                           struct json_object *es, char *err, size_t errlen)
{
	struct vlan_port *p = &m->ports[m->n_ports];
	const char *mode = cfg_get_str(es, "interface-mode");
	struct json_object *members = vlan_list(cfg_get(es, "vlan"), "members");
	struct json_object *native = cfg_get(ifc, "native-vlan-id");
	size_t n = members ? json_object_array_length(members) : 0;
	uint16_t single;
	size_t total = 0;

	memset(p, 0, sizeof(*p));
	if (strlen(name) >= sizeof(p->name)) {
		snprintf(err, errlen, "interfaces %s: name too long for a switch port", name);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (!mode || !strcmp(mode, "access")) {
		p->mode = VLAN_PORT_MODE_ACCESS;
	} else if (!strcmp(mode, "trunk")) {
		p->mode = VLAN_PORT_MODE_TRUNK;
	} else {
		snprintf(err, errlen, "interfaces %s interface-mode %s: unknown", name, mode);
		return -1;
	}
	for (size_t i = 0; i < m->n_ports; i++)
		if (!strcmp(m->ports[i].name, name)) {
			snprintf(err, errlen, "interfaces %s: configured twice", name);
			return -1;
		}

	if (p->mode == VLAN_PORT_MODE_ACCESS) {
		/* An access port is untagged in exactly one VLAN. */
		if (n != 1) {
			snprintf(err, errlen,
			         "interfaces %s: an access port is a member of exactly one VLAN "
			         "(has %zu)",
			         name, n);
			return -1;
		}
		if (vlan_is_all_or_range(json_object_array_get_idx(members, 0), m)) {
			snprintf(err, errlen,
			         "interfaces %s: an access port cannot use 'all' or a VLAN range",
			         name);
			return -1;
		}
		if (native) {
			snprintf(err, errlen,
			         "interfaces %s native-vlan-id: needs interface-mode trunk", name);
			return -1;
		}
		if (vlan_member(m, name, json_object_array_get_idx(members, 0), &p->vlans, &single,
		                err, errlen) < 0)
			return -1;
		p->access = single;
		memset(&p->vlans, 0, sizeof(p->vlans));
		m->n_ports++;
		return 0;
	}

	for (size_t i = 0; i < n; i++) {
		int r = vlan_member(m, name, json_object_array_get_idx(members, i), &p->vlans,
		                    &single, err, errlen);
		if (r < 0)
			return -1;
		total += (size_t)r;
	}
	if (native) {
		if (!vlan_id_value(native, &p->native) || !vlan_model_find_id(m, p->native)) {
			snprintf(err, errlen,
			         "interfaces %s native-vlan-id %s: not the ID of a configured VLAN",
			         name, json_object_get_string(native));
			return -1;
		}
		total++;
	}
	/* OVS reads an empty trunks set as "every VLAN": a trunk that resolves to
	 * no VLAN must not reach the data plane as that. */
	if (!total) {
		snprintf(err, errlen, "interfaces %s: trunk port resolves to no configured VLAN",
		         name);
		return -1;
	}
	m->n_ports++;
	return 0;
}

/* "interfaces irb unit N family inet|inet6 address A" of every VLAN's
 * l3-interface. A unit no VLAN names is not vland's (Junos: an irb unit
 * without a VLAN routes nothing); a VLAN naming a unit that is not
 * configured gets an IRB without addresses (YANG refuses that at commit). */
static int vlan_parse_irbs(struct json_object *ifs, struct vlan_model *m, char *err, size_t errlen)
{
	struct json_object *irb = NULL;
	size_t n = ifs ? json_object_array_length(ifs) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *ifc = json_object_array_get_idx(ifs, i);
		const char *name = cfg_get_str(ifc, "name");

		if (name && !strcmp(name, "irb"))
			irb = ifc;
	}
	m->irbs = calloc(m->n_vlans ? m->n_vlans : 1, sizeof(*m->irbs));
	if (!m->irbs) {
		snprintf(err, errlen, "interfaces irb: out of memory");
		return -1;
	}
	for (size_t i = 0; i < m->n_vlans; i++) {
		const struct vlan_def *d = &m->vlans[i];
		struct vlan_irb *r = &m->irbs[m->n_irbs];
		struct json_object *units = vlan_list(irb, "unit");
		size_t nu = units ? json_object_array_length(units) : 0;
		size_t l3len = strlen(d->l3_interface);

		if (!l3len)
			continue;
		if (l3len >= sizeof(r->name)) {
			snprintf(err, errlen,
			         "vlans %s l3-interface %s: longer than a Linux interface name",
			         d->name, d->l3_interface);
			return -1;
		}
		/* memcpy after the check: gcc -O1 cannot see that snprintf would fit. */
		memcpy(r->name, d->l3_interface, l3len + 1);
		r->vlan_id = d->id;
		for (size_t u = 0; u < nu; u++) {
			struct json_object *unit = json_object_array_get_idx(units, u);
			struct json_object *un = cfg_get(unit, "name");
			static const char *const fams[] = {"inet", "inet6"};

			if (!un || strcmp(json_object_get_string(un), d->l3_interface + 4))
				continue;
			for (size_t f = 0; f < 2; f++) {
				struct json_object *al = vlan_list(
				        cfg_get(cfg_get(unit, "family"), fams[f]), "address");
				size_t na = al ? json_object_array_length(al) : 0;

				for (size_t a = 0; a < na; a++) {
					const char *s = cfg_get_str(
					        json_object_array_get_idx(al, a), "name");

					if (!s || strlen(s) >= sizeof(r->addrs[0]))
						continue;
					if (r->n_addrs >= VLAN_IRB_MAX_ADDRS) {
						snprintf(err, errlen,
						         "interfaces irb unit %s: more than %d "
						         "addresses",
						         d->l3_interface + 4, VLAN_IRB_MAX_ADDRS);
						return -1;
					}
					snprintf(r->addrs[r->n_addrs++], sizeof(r->addrs[0]), "%s",
					         s);
				}
			}
		}
		m->n_irbs++;
	}
	return 0;
}

int vlan_model_parse(struct json_object *cfg, struct vlan_model *m, char *err, size_t errlen)
{
	struct json_object *ifs;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (err && errlen)
		err[0] = 0;
	if (!cfg || !json_object_is_type(cfg, json_type_object)) {
		snprintf(err, errlen, "config is not an object");
		return -1;
	}
	if (vlan_parse_vlans(cfg, m, err, errlen) < 0)
		goto fail;

	ifs = vlan_list(cfg_get(cfg, "interfaces"), "interface");
	n = ifs ? json_object_array_length(ifs) : 0;
	if (vlan_parse_irbs(ifs, m, err, errlen) < 0)
		goto fail;
	m->ports = calloc(n ? n : 1, sizeof(*m->ports));
	if (!m->ports) {
		snprintf(err, errlen, "interfaces: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *ifc = json_object_array_get_idx(ifs, i);
		const char *name = cfg_get_str(ifc, "name");
		struct json_object *units = vlan_list(ifc, "unit");
		struct json_object *es = NULL;
		size_t nu = units ? json_object_array_length(units) : 0;

		if (!name)
			continue;
		for (size_t u = 0; u < nu; u++) {
			struct json_object *unit = json_object_array_get_idx(units, u);
			struct json_object *e =
			        cfg_get(cfg_get(unit, "family"), "ethernet-switching");
			struct json_object *un = cfg_get(unit, "name");

			if (!e)
				continue;
			/* family ethernet-switching is allowed on unit 0 only; "0" is
			 * below vlan_id_value's range, so compare directly. */
			if (!un || strcmp(json_object_get_string(un), "0")) {
				snprintf(err, errlen,
				         "interfaces %s unit %s: family ethernet-switching is "
				         "allowed on unit 0 only",
				         name, un ? json_object_get_string(un) : "?");
				goto fail;
			}
			es = e;
		}
		if (!es) {
			if (cfg_get(ifc, "native-vlan-id")) {
				snprintf(err, errlen,
				         "interfaces %s native-vlan-id: needs unit 0 family "
				         "ethernet-switching interface-mode trunk",
				         name);
				goto fail;
			}
			continue;
		}
		if (m->n_ports >= VLAN_MAX_PORTS) {
			snprintf(err, errlen, "interfaces: more than %d switch ports",
			         VLAN_MAX_PORTS);
			goto fail;
		}
		if (vlan_parse_port(m, ifc, name, es, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	vlan_model_free(m);
	return -1;
}

void vlan_port_to_ovs(const struct vlan_port *p, struct ovs_port_vlan *out)
{
	memset(out, 0, sizeof(*out));
	if (p->mode == VLAN_PORT_MODE_ACCESS) {
		out->tag = p->access;
		out->mode = OVS_VLAN_MODE_ACCESS;
		return;
	}
	out->trunks = p->vlans;
	if (p->native) {
		/* native-untagged: untagged ingress joins `tag`, which egresses
		 * untagged; OVS only trunks the native VLAN if trunks lists it. */
		out->tag = p->native;
		out->mode = OVS_VLAN_MODE_NATIVE_UNTAGGED;
		ovs_vlan_set_add(&out->trunks, p->native);
	} else {
		out->mode = OVS_VLAN_MODE_TRUNK;
	}
}
