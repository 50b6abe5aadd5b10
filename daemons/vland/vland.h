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

#include "lib/ctl.h"
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

/* An IRB unit that a VLAN routes through (vlans V l3-interface irb.N):
 * vland makes it an OVS internal port named "irb.N" (a valid Linux name)
 * with tag = the VLAN's ID, and puts the unit's addresses on it. ifd leaves
 * "interfaces irb" alone (ifd_config_owned), so vland owns these addresses. */
#define VLAN_IRB_MAX_ADDRS 16
struct vlan_irb {
	char name[VLAN_IFNAMSIZ]; /* "irb.N" */
	uint16_t vlan_id;
	size_t n_addrs;
	char addrs[VLAN_IRB_MAX_ADDRS][64]; /* "10.0.10.1/24", "2001:db8::1/64" */
};

struct vlan_model {
	size_t n_irbs;
	struct vlan_irb *irbs; /* one per VLAN with an l3-interface */
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
const struct vlan_irb *vlan_model_find_irb(const struct vlan_model *m, const char *name);

/* The Port columns for a switch port (ovs-vswitchd.conf.db(5), Port):
 *   access            -> tag=N, vlan_mode=access, trunks=[]
 *   trunk             -> tag=[], vlan_mode=trunk, trunks=members
 *   trunk + native N  -> tag=N, vlan_mode=native-untagged, trunks=members+N */
void vlan_port_to_ovs(const struct vlan_port *p, struct ovs_port_vlan *out);

/* ------------------------------------------------------------ daemon
 *
 * The switch: one OVS bridge per node, VLAND_BRIDGE, whose ports are the
 * interfaces with family ethernet-switching plus one internal port per IRB.
 * OVS is the node's private Open vSwitch that `keel-node start NAME
 * --dataplane ovs` runs: its database socket is $OVS_RUNDIR/db.sock
 * (keel-node exports OVS_RUNDIR=$KEEL_ROOT/run/openvswitch), else
 * $KEEL_ROOT/run/openvswitch/db.sock. vland connects only once the config
 * has switch ports or VLANs, so a node without them never touches OVS. */
#define VLAND_BRIDGE    "keel0"
#define VLAND_MAX_AUTH  4096 /* port.auth entries (ports + MACs) */
#define VLAND_FDB_MAX   65536
#define VLAND_PATHSIZ   256
#define VLAND_SENSOR_MS 10000
#define VLAND_RETRY_MS  1000

enum vland_auth_state {
	VLAND_AUTH_UNCONTROLLED = 0,
	VLAND_AUTH_UNAUTHORIZED = 1, /* only EAPOL passes */
	VLAND_AUTH_AUTHORIZED = 2,
};
const char *vland_auth_state_name(enum vland_auth_state s);

/* One port.auth entry: a whole port (has_mac false) or one MAC on it. */
struct vland_auth {
	char port[VLAN_IFNAMSIZ];
	bool has_mac;
	uint8_t mac[6];
	enum vland_auth_state state;
	uint16_t vlan;       /* dynamic VLAN ID, 0 = the port's own */
	int64_t ofport_done; /* ofport the OpenFlow state was set on, -1 none */
	int of_state_done;   /* what was set there (port: ovs_of_port_auth; MAC: admit) */
};

struct vland_auths {
	size_t n;
	struct vland_auth *a;
	/* The back-end gives each authorized MAC of an access port its own
	 * VLAN (OVS: a per-port bridge, sw.c); without it a second VLAN on one
	 * port is refused (vland_auth_vlan_conflict). */
	bool per_mac_vlans;
};

/* Pure port.auth logic (auth.c). vland_auth_parse checks a request against
 * the model: interface a switch port, mac "aa:bb:cc:dd:ee:ff" or "",
 * state 0..2, vlan a configured VLAN name or ID (dynamic VLANs only on
 * access ports). 0 or -1 with err. */
int vland_auth_parse(const struct vlan_model *m, const char *ifname, const char *mac,
                     uint32_t state, const char *vlan, struct vland_auth *out, char *err,
                     size_t errlen);
/* Stores e (replacing the entry with the same port and MAC); state 0 removes
 * the entry, and for a whole port also the port's MAC entries. 0 or -ENOSPC. */
int vland_auths_set(struct vland_auths *t, const struct vland_auth *e);
const struct vland_auth *vland_auths_find(const struct vland_auths *t, const char *port,
                                          const uint8_t *mac);
/* The entry still fits the model (its port is a switch port; a dynamic
 * VLAN exists and the port is an access port). */
bool vland_auth_valid(const struct vland_auth *e, const struct vlan_model *m);
/* Drops entries the model no longer allows (port gone, trunk, VLAN gone);
 * returns how many. */
size_t vland_auths_prune(struct vland_auths *t, const struct vlan_model *m);
void vland_auths_free(struct vland_auths *t);
/* An authorized MAC entry e whose VLAN (its dynamic VLAN, else the port's
 * configured one) differs from that of another authorized MAC on the same
 * access port: -1 with err, unless t->per_mac_vlans. Without per-MAC VLANs
 * one access port runs in one VLAN: OVS NORMAL untags one VLAN per access
 * port (platform/ovs/openflow.h), so a second VLAN would silently move
 * every MAC of the port into it. 0 otherwise. */
int vland_auth_vlan_conflict(const struct vland_auths *t, const struct vlan_model *m,
                             const struct vland_auth *e, char *err, size_t errlen);
/* The access VLAN a port runs in now: its dynamic VLAN (the port entry's, or
 * else the first authorized MAC entry's), else the configured one. */
uint16_t vland_port_vlan(const struct vland_auths *t, const struct vlan_port *p);
/* OVS per-MAC VLANs: an access port whose authorized MACs need two or more
 * VLANs (and t->per_mac_vlans) leaves VLAND_BRIDGE for a bridge of its own,
 * joined to VLAND_BRIDGE by a patch pair whose VLAND_BRIDGE end is a trunk
 * of those VLANs (sw.c has the flows). */
bool vland_port_split(const struct vland_auths *t, const struct vlan_port *p);
#define VLAND_SPLIT_PFX "kp-"
struct vland_split_names {
	char bridge[VLAN_IFNAMSIZ];       /* "kp-<port>", or "kp-<hash>" if too long */
	char patch_sw[VLAN_IFNAMSIZ + 4]; /* "kq-<port>" on VLAND_BRIDGE */
	char patch_kp[VLAN_IFNAMSIZ + 4]; /* "kr-<port>" on the port's bridge */
};
void vland_split_names(const char *port, struct vland_split_names *out);
/* The VLAN an authorized MAC entry of access port p runs in: its dynamic
 * VLAN, else the port's configured one. */
uint16_t vland_mac_vlan(const struct vland_auth *e, const struct vlan_port *p);
/* The distinct VLANs the authorized MACs of access port p need, added to
 * *set, and their number; with set NULL counting stops at 2 (all that
 * vland_port_split needs). 0 for a trunk port. */
size_t vland_port_mac_vlans(const struct vland_auths *t, const struct vlan_port *p,
                            struct ovs_vlan_set *set);
int vland_mac_parse(const char *s, uint8_t mac[6]);

/* What OVS should hold (sw.c, pure): the bridge's ports and their VLAN
 * columns for the model with the dynamic VLANs applied. *out is an array of
 * m->n_ports + m->n_irbs entries (names point into m); free() it. */
int vland_want_build(const struct vlan_model *m, const struct vland_auths *t,
                     struct ovs_port_want **out, size_t *n);

/* One row of ovs-vswitchd's "fdb/show" (fdb.c). */
struct vland_fdb_entry {
	int64_t ofport;                /* -2 = LOCAL (the bridge's own port), -1 = named below */
	char port_name[VLAN_IFNAMSIZ]; /* when vswitchd printed a name */
	uint16_t vlan;
	uint8_t mac[6];
	uint32_t age;
	bool is_static;
};
/* Parses the text "fdb/show" returns (OVS ofproto-dpif "fdb/show":
 * a header line, then " port  VLAN  MAC  Age" rows). Calls fn per row;
 * -EPROTO on a malformed row, or fn's non-zero value. Pure. */
int vland_fdb_parse(const char *text, int (*fn)(void *arg, const struct vland_fdb_entry *e),
                    void *arg);

struct daemon;
struct vland;
/* Asynchronous fdb/show over ovs-vswitchd's unixctl socket (JSON-RPC,
 * ovs-appctl's protocol): cb(arg, entries, n, err) once. */
typedef void (*vland_fdb_fn)(void *arg, const struct vland_fdb_entry *e, size_t n, int err);
void vland_fdb_fetch(struct vland *v, vland_fdb_fn cb, void *arg);

extern const struct ctl_method vland_ctl_methods[];
extern const size_t vland_ctl_n_methods;

#endif
