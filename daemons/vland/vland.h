/*
 * vland: VLANs and switch ports (the l2ald/eswd counterpart).
 *
 * vlan.c is pure: it turns the RFC 7951 config (keel-vlans.yang: "vlans"
 * and the augmented "family ethernet-switching" / "native-vlan-id" of
 * keel-interfaces) into a model, validates what YANG cannot (VLAN IDs
 * resolved through names and ranges), and maps each switch port to the Open
 * vSwitch Port columns the ovs back-end reconciles (platform/ovs/ovsdb.h).
 */
#ifndef KEEL_VLAND_H
#define KEEL_VLAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "platform/ovs/ovsdb.h"

#define VLAN_NAMESIZ   64 /* kt:vlan-name, with the NUL */
#define VLAN_IFNAMSIZ  16 /* Linux interface names (IFNAMSIZ) */
#define VLAN_ID_MIN    1
#define VLAN_ID_MAX    4094 /* IEEE 802.1Q: 0 and 4095 are reserved */
#define VLAN_MAX_PORTS 1024

enum vlan_port_mode {
	VLAN_PORT_MODE_ACCESS = 0, /* Junos default */
	VLAN_PORT_MODE_TRUNK = 1,
};
const char *vlan_port_mode_name(enum vlan_port_mode m);

struct vlan_def {
	char name[VLAN_NAMESIZ];
	uint16_t id;
	char l3_interface[VLAN_IFNAMSIZ + 8]; /* "irb.N", "" = none */
	char description[256];
};

/* A switch port: an interface with unit 0 family ethernet-switching. */
struct vlan_port {
	char name[VLAN_IFNAMSIZ];
	enum vlan_port_mode mode;
	uint16_t native;           /* native-vlan-id, 0 = none (trunk only) */
	uint16_t access;           /* the access VLAN's ID (access only) */
	struct ovs_vlan_set vlans; /* resolved tagged memberships (trunk only) */
};

struct vlan_model {
	size_t n_vlans;
	struct vlan_def *vlans; /* sorted by ID */
	size_t n_ports;
	struct vlan_port *ports; /* in config order */
};

/* Parses and validates `cfg` (the whole running config, or {}). 0, or -1
 * with a message naming the offending statement in err; on failure *m is
 * empty. */
int vlan_model_parse(struct json_object *cfg, struct vlan_model *m, char *err, size_t errlen);
void vlan_model_free(struct vlan_model *m);

const struct vlan_def *vlan_model_find_id(const struct vlan_model *m, uint16_t id);
const struct vlan_def *vlan_model_find_name(const struct vlan_model *m, const char *name);
const struct vlan_port *vlan_model_find_port(const struct vlan_model *m, const char *name);

/* The Port columns for a switch port (ovs-vswitchd.conf.db(5), Port):
 *   access            -> tag=N, vlan_mode=access, trunks=[]
 *   trunk             -> tag=[], vlan_mode=trunk, trunks=members
 *   trunk + native N  -> tag=N, vlan_mode=native-untagged, trunks=members+N */
void vlan_port_to_ovs(const struct vlan_port *p, struct ovs_port_vlan *out);

#endif
