/*
 * Open vSwitch back-end: IEEE 802.1X port authorization through OpenFlow 1.3
 * on the bridge's management socket (<ovs rundir>/<bridge>.mgmt, unix
 * stream), as ovs-ofctl talks to it, without shelling out.
 *
 * Two layers:
 *   - the codec (ovs_of_encode_* / ovs_of_decode): pure, bytes in, struct
 *     out, OpenFlow Switch Specification 1.3.5 wire format (ofp_header,
 *     HELLO version bitmap, ECHO, ERROR, FLOW_MOD with OXM match and
 *     APPLY_ACTIONS, PORT_MOD, MULTIPART PORT_DESC, PORT_STATUS, BARRIER);
 *   - the connection (struct ovs_of) on a libevent base: HELLO version
 *     negotiation, echo, reconnect with backoff, and the desired
 *     authorization state, re-installed after every (re)connect so that an
 *     ovs-vswitchd restart loses nothing.
 *
 * Enforcement (802.1X-2004 §6.4 controlled port, directions Both):
 *   EAPOL_ONLY port P, no admitted MAC:
 *     flow  prio 100  in_port=P                 -> drop (no instructions)
 *     port  OFPPC_NO_FWD on P: NORMAL sends nothing out of P.
 *     EAPOL still reaches an AF_PACKET socket on P's interface: with the
 *     userspace datapath the kernel hands ingress frames to every packet
 *     socket on the device, OVS's own and ours (tests/unit/ovs/
 *     test_openflow_live.c checks it); NORMAL never forwards the PAE group.
 *   admitted MAC M on P (multiple-supplicant mode):
 *     flow  prio 200  in_port=P,dl_src=M        -> NORMAL
 *     NO_FWD cleared while P has an admitted MAC; NORMAL only learns M (the
 *     drop flow keeps other sources unlearned), so unicast egress goes to
 *     admitted MACs; floods reach the port as on any shared segment.
 *   a revoked MAC on a port that stays EAPOL_ONLY:
 *     flow  prio 150  dl_dst=M                  -> drop
 *     (NORMAL may still hold M in its MAC table and OpenFlow cannot flush
 *     it, so the flow stays for the bridge's MAC aging time).
 *   OPEN port: no keel flow, NO_FWD cleared.
 *   optional (ovs_of_set_default_normal): prio 0, match all -> NORMAL.
 * Every keel flow carries OVS_OF_COOKIE in the top 48 bits of its cookie;
 * keel only ever adds, and deletes with a cookie mask, its own flows.
 *
 * Per-MAC VLAN (vlan != 0) returns -EOPNOTSUPP here; vland builds it with a
 * per-port bridge programmed through ovs_of_flows_set() (daemons/vland/sw.c). Ingress works (push
 * the tag, then NORMAL, with the VLAN in the port's OVSDB trunks), but NORMAL tags egress frames by
 * the port's OVSDB vlan_mode/tag, and OVS has no OpenFlow egress table, so frames of a second VLAN
 * cannot leave an untagged port untagged; NORMAL also refuses the pushed VLAN on ingress unless the
 * port is a member of it, and membership is what makes it send the tagged copies. Doing it would
 * need either NORMAL (learning included) rebuilt in flows from every port's VLAN config, or per
 * port a patch-port pair into a small bridge that pushes/pops per MAC (OVSDB, vland's side). Use
 * the port's OVSDB tag (vland) for a per-port dynamic VLAN.
 *
 * Timing: "applied" (the callback, ovs_of_applied()) is the BARRIER_REPLY:
 * the switch's flow table holds the change. ovs-vswitchd's revalidators then
 * update the datapath's cached flows asynchronously; test_openflow_live
 * measures 1-4 ms from ovs_of_mac_set() to the datapath enforcing it.
 * While ovs-vswitchd restarts, its tables start with the default NORMAL flow
 * until keel reconnects (5-35 ms after it is up, measured); a bridge with
 * fail_mode=secure (OVSDB) starts empty instead, which closes that window;
 * ovs_of_set_default_normal() then provides the NORMAL flow.
 */
#ifndef KEEL_OPENFLOW_H
#define KEEL_OPENFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/* ------------------------------------------------------------ API */

struct ovs_of;
struct ovs_of_flow;

enum ovs_of_port_auth {
	OVS_OF_PORT_OPEN = 0,
	OVS_OF_PORT_EAPOL_ONLY = 1,
};

/* Connects (and keeps reconnecting) to mgmt_sock_path. NULL on ENOMEM or a
 * path longer than sun_path. */
struct ovs_of *ovs_of_new(struct event_base *base, const char *mgmt_sock_path);
void ovs_of_free(struct ovs_of *of);

/* Sets the desired state; sent at once when connected, else on connect.
 * 0, -EINVAL (ofport 0 or a reserved port >= 0xffffff00), -ENOMEM. Setting
 * OPEN forgets the port's MAC admissions. */
int ovs_of_port_set(struct ovs_of *of, uint32_t ofport, enum ovs_of_port_auth st);
/* Admits (or revokes) mac on ofport. Effective while the port is EAPOL_ONLY;
 * remembered otherwise. vlan: 0 = the port's own VLAN; anything else
 * -EOPNOTSUPP (see above). -EINVAL for a multicast mac or a bad port. */
int ovs_of_mac_set(struct ovs_of *of, uint32_t ofport, const uint8_t mac[6], bool admit,
                   uint16_t vlan /* 0 = the port's own VLAN */);

/* The bridge's MAC aging time (OVSDB other_config:mac-aging-time, default
 * 300 s): how long a revoked MAC's dl_dst deny flow stays, since NORMAL may
 * keep forwarding to it that long. A revoke of a MAC that was not admitted
 * needs none (it was never learned), and admitting the MAC on another port
 * (it moved) drops the deny at once. 0 is ignored. */
void ovs_of_set_mac_aging(struct ovs_of *of, unsigned seconds);

/* Also keeps a keel priority-0 "actions=NORMAL" flow installed. For a bridge
 * with fail_mode=secure, whose flow table starts empty (no OVS default
 * flow): nothing forwards after an ovs-vswitchd restart until keel has
 * re-installed its blocks and this flow, in that order. 0 or -EINVAL. */
int ovs_of_set_default_normal(struct ovs_of *of, bool on);

/* Keeps exactly these flows (table 0, keel's cookie) installed besides
 * the authorization flows, replacing the previous set: the whole program
 * of a bridge keel owns (vland's per-port VLAN bridges). Only the match,
 * priority, normal and actions[] of each are used; a later flow with the
 * same match and priority as an earlier one is ignored. Sent like every
 * other change (difference, barrier) and re-installed on reconnect.
 * 0, -EINVAL, -ENOMEM. */
int ovs_of_flows_set(struct ovs_of *of, const struct ovs_of_flow *flows, size_t n);

/* Called each time every change made so far has been confirmed by a
 * BARRIER_REPLY (OpenFlow 1.3.5 §6.2: everything before the barrier has been
 * processed). Errors from the switch are counted in stats. */
typedef void (*ovs_of_applied_fn)(void *arg);
void ovs_of_set_applied_cb(struct ovs_of *of, ovs_of_applied_fn fn, void *arg);
/* Connected, negotiated, and no change waiting for its barrier. */
bool ovs_of_applied(const struct ovs_of *of);
bool ovs_of_connected(const struct ovs_of *of);

struct ovs_of_stats {
	uint64_t connects;  /* successful HELLO negotiations */
	uint64_t flow_mods; /* FLOW_MODs sent */
	uint64_t port_mods; /* PORT_MODs sent */
	uint64_t barriers;  /* BARRIER_REPLYs received */
	uint64_t errors;    /* ERROR messages received */
	uint16_t last_err_type, last_err_code;
	uint64_t echo_rx;       /* ECHO_REQUESTs answered */
	uint64_t removed;       /* bursts of keel flows deleted by others (re-installed) */
	uint64_t last_apply_us; /* last change -> its barrier reply */
};
void ovs_of_get_stats(const struct ovs_of *of, struct ovs_of_stats *out);

/* ------------------------------------------------------------ codec */

#define OVS_OF_VERSION     0x04 /* OpenFlow 1.3 */
#define OVS_OF_HDR_LEN     8
#define OVS_OF_MAX_MSG     65535
#define OVS_OF_COOKIE      0x6b65656c00000000ull /* "keel" */
#define OVS_OF_COOKIE_MASK 0xffffffffffff0000ull

enum ovs_of_type {
	OVS_OF_T_HELLO = 0,
	OVS_OF_T_ERROR = 1,
	OVS_OF_T_ECHO_REQUEST = 2,
	OVS_OF_T_ECHO_REPLY = 3,
	OVS_OF_T_EXPERIMENTER = 4,
	OVS_OF_T_FEATURES_REQUEST = 5,
	OVS_OF_T_FEATURES_REPLY = 6,
	OVS_OF_T_SET_CONFIG = 9,
	OVS_OF_T_PACKET_IN = 10,
	OVS_OF_T_FLOW_REMOVED = 11,
	OVS_OF_T_PORT_STATUS = 12,
	OVS_OF_T_FLOW_MOD = 14,
	OVS_OF_T_PORT_MOD = 16,
	OVS_OF_T_MULTIPART_REQUEST = 18,
	OVS_OF_T_MULTIPART_REPLY = 19,
	OVS_OF_T_BARRIER_REQUEST = 20,
	OVS_OF_T_BARRIER_REPLY = 21,
};

/* OpenFlow 1.3.5 §7.2.1 reserved ports */
#define OVS_OF_PORT_MAX    0xffffff00u
#define OVS_OF_PORT_NORMAL 0xfffffffau
#define OVS_OF_PORT_ANY    0xffffffffu

/* §7.2.1 ofp_port_config */
#define OVS_OF_PC_PORT_DOWN    (1u << 0)
#define OVS_OF_PC_NO_RECV      (1u << 2)
#define OVS_OF_PC_NO_FWD       (1u << 5)
#define OVS_OF_PC_NO_PACKET_IN (1u << 6)

enum ovs_of_flow_cmd {
	OVS_OF_FC_ADD = 0,
	OVS_OF_FC_DELETE = 3,
	OVS_OF_FC_DELETE_STRICT = 4,
};

/* §7.2.5 actions keel writes (APPLY_ACTIONS, in order). */
enum ovs_of_act_type {
	OVS_OF_ACT_OUTPUT = 0,       /* arg: port number */
	OVS_OF_ACT_PUSH_VLAN = 17,   /* arg: ethertype (0x8100) */
	OVS_OF_ACT_POP_VLAN = 18,    /* no arg */
	OVS_OF_ACT_SET_VLAN_VID = 25 /* set_field OXM VLAN_VID; arg: VLAN ID 1..4094 */
};

struct ovs_of_action {
	enum ovs_of_act_type type;
	uint32_t arg;
};

#define OVS_OF_MAX_ACTIONS 4
/* §7.2.3.8 VLAN_VID values: OFPVID_PRESENT | vid, or OFPVID_NONE */
#define OVS_OF_VID_PRESENT 0x1000u
#define OVS_OF_VID_NONE    0x0000u

/* A flow as keel writes them: table 0, OXM match on the fields whose
 * has_* is set, and either drop (normal = false, n_actions = 0),
 * APPLY_ACTIONS output:NORMAL (normal = true), or APPLY_ACTIONS actions[]
 * (n_actions > 0, normal = false). */
struct ovs_of_flow {
	enum ovs_of_flow_cmd cmd;
	uint64_t cookie, cookie_mask;
	uint8_t table; /* 0xff (OFPTT_ALL) only for DELETE */
	uint16_t priority;
	uint16_t flags; /* OVS_OF_FF_*, ADD only */
	bool has_in_port, has_dl_src, has_dl_dst, has_vlan_vid;
	bool has_dl_dst_mask; /* with has_dl_dst: dl_dst/dl_dst_mask */
	uint32_t in_port;
	uint8_t dl_src[6], dl_dst[6], dl_dst_mask[6];
	uint16_t vlan_vid; /* OXM value: OVS_OF_VID_PRESENT | id, or OVS_OF_VID_NONE */
	bool normal;
	uint8_t n_actions;
	struct ovs_of_action actions[OVS_OF_MAX_ACTIONS];
};

/* §7.3.4.1 ofp_flow_mod_flags */
#define OVS_OF_FF_SEND_FLOW_REM 1u

struct ovs_of_port_desc {
	uint32_t port_no;
	uint8_t hw_addr[6];
	char name[16 + 1];
	uint32_t config, state;
};

/* One decoded message; pointers point into the decoded buffer. */
struct ovs_of_msg {
	uint8_t version;
	uint8_t type;
	uint16_t length;
	uint32_t xid;
	union {
		struct {
			uint32_t bitmap; /* versions 0..31 offered; 0 = no bitmap */
		} hello;
		struct {
			uint16_t type, code;
			const uint8_t *data;
			size_t data_len;
		} error;
		struct {
			const uint8_t *data;
			size_t data_len;
		} echo;
		struct {
			uint8_t reason; /* 0 add, 1 delete, 2 modify */
			struct ovs_of_port_desc desc;
		} port_status;
		struct {
			/* §7.4.2; flow.cookie/priority/table and the match fields
			 * keel uses; other_fields: the match had anything else */
			struct ovs_of_flow flow;
			uint8_t reason; /* 0 idle, 1 hard timeout, 2 delete, 3 group */
			bool other_fields;
		} flow_removed;
		struct {
			uint16_t type, flags;
			const uint8_t *body; /* PORT_DESC: n_ports × 64 octets */
			size_t body_len;
			size_t n_ports;
		} multipart;
	} u;
};

/* Decodes the first message in buf. Returns its length (> 0), 0 when buf
 * holds less than one whole message, or -EPROTO (length field < 8, or a
 * body that violates the layout of its type, e.g. a FLOW_REMOVED match
 * whose OXM fields overrun it). Types keel does not use are
 * returned with only the header filled. */
int ovs_of_decode(const uint8_t *buf, size_t len, struct ovs_of_msg *out);
/* The i-th ofp_port of a PORT_DESC multipart reply. */
int ovs_of_port_desc_at(const struct ovs_of_msg *m, size_t i, struct ovs_of_port_desc *out);

/* Encoders write into out (cap bytes) and return the length, or -ENOSPC. */
int ovs_of_encode_hello(uint8_t *out, size_t cap, uint32_t xid, uint32_t bitmap);
int ovs_of_encode_echo(uint8_t *out, size_t cap, uint8_t type, uint32_t xid, const uint8_t *data,
                       size_t data_len);
int ovs_of_encode_barrier(uint8_t *out, size_t cap, uint32_t xid);
int ovs_of_encode_port_desc_request(uint8_t *out, size_t cap, uint32_t xid);
int ovs_of_encode_flow_mod(uint8_t *out, size_t cap, uint32_t xid, const struct ovs_of_flow *f);
int ovs_of_encode_port_mod(uint8_t *out, size_t cap, uint32_t xid, uint32_t port_no,
                           const uint8_t hw_addr[6], uint32_t config, uint32_t mask);
/* §7.3.2 ofp_switch_config: flags, miss_send_len. A nonzero miss_send_len
 * is what makes OVS send a service connection PORT_STATUS messages. */
int ovs_of_encode_set_config(uint8_t *out, size_t cap, uint32_t xid, uint16_t flags,
                             uint16_t miss_send_len);
int ovs_of_encode_error(uint8_t *out, size_t cap, uint32_t xid, uint16_t type, uint16_t code,
                        const uint8_t *data, size_t data_len);
/* The highest version both sides offer (OpenFlow 1.3.5 §6.3.1), or -1. */
int ovs_of_negotiate(uint32_t ours, const struct ovs_of_msg *peer_hello);

const char *ovs_of_type_name(uint8_t type);

#endif
