/*
 * Linux bridge VLAN back-end, message level (the parts bridge.c does not
 * build): bridge vlan_filtering on/off, 802.1Q VLAN devices for IRB, and
 * the bridge FDB (MAC table) dump with a parser of its RTM_NEWNEIGH
 * AF_BRIDGE replies. Port VLANs and the locked / MAB port flags are in
 * bridge.c (plat_linux_bridge_vlan_msg, plat_linux_port_lock_msg).
 *
 * The builders write a whole rtnetlink request into a caller buffer in host
 * byte order (netlink is host-endian; only IFLA_VLAN_PROTOCOL is big-endian,
 * as the uapi says), without libnl (3.7 cannot build these), so that the
 * bytes are checked in unit tests and the same bytes go on the wire.
 * The runtime functions open a short-lived NETLINK_ROUTE socket in the
 * caller's network namespace, send one request and read the ack or dump.
 * On a kernel without CONFIG_BRIDGE_VLAN_FILTERING or CONFIG_VLAN_8021Q they
 * return -EOPNOTSUPP and say which option is missing in errmsg.
 */
#ifndef KEEL_PLATFORM_BRIDGE_VLAN_H
#define KEEL_PLATFORM_BRIDGE_VLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* uapi linux/neighbour.h since Linux 6.2; Debian 12's headers stop at 6.1 */
#ifndef NTF_EXT_LOCKED
#define NTF_EXT_LOCKED (1u << 1)
#endif

#define BRVLAN_ERRMSG_LEN 256

/* One bridge FDB entry (a MAC table row). */
struct brvlan_fdb {
	int ifindex;        /* ndm_ifindex: the port (or the bridge for its own MACs) */
	int master;         /* NDA_MASTER: the bridge; 0 = absent */
	uint8_t mac[6];     /* NDA_LLADDR */
	uint16_t vlan;      /* NDA_VLAN; 0 = absent (no VLAN filtering) */
	uint16_t state;     /* NUD_*: PERMANENT = static/local, REACHABLE/STALE = learned */
	uint8_t flags;      /* NTF_SELF, NTF_MASTER, NTF_EXT_LEARNED, NTF_STICKY, ... */
	uint32_t flags_ext; /* NDA_FLAGS_EXT: NTF_EXT_LOCKED = learned on a locked port (MAB) */
};

/* ------------------------------------------------------------ builders */

/*
 * RTM_NEWLINK, NLM_F_REQUEST|NLM_F_ACK, ifinfomsg{AF_UNSPEC, bridge},
 * IFLA_LINKINFO { IFLA_INFO_KIND "bridge", IFLA_INFO_DATA {
 * IFLA_BR_VLAN_FILTERING u8 [, IFLA_BR_VLAN_DEFAULT_PVID u16] } }.
 * default_pvid < 0 leaves it; 0 = new ports get no PVID; 1..4094.
 * Returns the length, -EINVAL or -ENOSPC.
 */
int brvlan_filtering_build(uint8_t *buf, size_t cap, uint32_t seq, int bridge, bool on,
                           int default_pvid);
/*
 * RTM_NEWLINK, NLM_F_REQUEST|NLM_F_ACK|NLM_F_CREATE|NLM_F_EXCL,
 * ifinfomsg{AF_UNSPEC, 0}, IFLA_IFNAME name, IFLA_LINK lower, IFLA_LINKINFO {
 * IFLA_INFO_KIND "vlan", IFLA_INFO_DATA { IFLA_VLAN_ID u16,
 * IFLA_VLAN_PROTOCOL be16 0x8100 } } — `ip link add link LOWER name NAME
 * type vlan id VID`.
 */
int brvlan_vlan_dev_build(uint8_t *buf, size_t cap, uint32_t seq, const char *name, int lower,
                          uint16_t vid);
/*
 * RTM_GETNEIGH, NLM_F_REQUEST|NLM_F_DUMP, ifinfomsg{AF_BRIDGE, 0} [+
 * IFLA_MASTER u32 bridge]: the legacy dump request, which the kernel
 * filters by bridge on sockets without NETLINK_GET_STRICT_CHK, as ours
 * (net/core/rtnetlink.c valid_fdb_dump_legacy; iproute2 6.1 sends the
 * strict ndmsg + NDA_MASTER form instead). bridge 0 = every bridge.
 */
int brvlan_fdb_dump_build(uint8_t *buf, size_t cap, uint32_t seq, int bridge);

/* ------------------------------------------------------------ parser */

/*
 * One netlink message at buf (its nlmsg_len must fit in len). 1 and *out
 * for an RTM_NEWNEIGH AF_BRIDGE entry with a 6-octet NDA_LLADDR, 0 for any
 * other message (other family, type, or an entry without a MAC),
 * -EPROTO when a length is inconsistent.
 */
int brvlan_fdb_parse(const uint8_t *buf, size_t len, struct brvlan_fdb *out);

typedef void (*brvlan_fdb_fn)(void *arg, const struct brvlan_fdb *e);
/*
 * Walks one recv() buffer of a dump: fn per entry. 1 after NLMSG_DONE, 0 if
 * more parts follow, the negated NLMSG_ERROR code, or -EPROTO.
 */
int brvlan_fdb_parse_buf(const uint8_t *buf, size_t len, brvlan_fdb_fn fn, void *arg);

/* ------------------------------------------------------------ runtime */

/* Each returns 0 or -errno; errmsg (may be NULL) gets the kernel's extended
 * ack text, or what is missing for -EOPNOTSUPP. */
int brvlan_filtering_set(int bridge, bool on, int default_pvid, char *errmsg, size_t errlen);
int brvlan_vlan_dev_add(const char *name, int lower, uint16_t vid, char *errmsg, size_t errlen);
int brvlan_fdb_dump(int bridge, brvlan_fdb_fn fn, void *arg, char *errmsg, size_t errlen);

#endif
