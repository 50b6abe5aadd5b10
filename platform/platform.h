/*
 * The data plane, as daemons see it: links, addresses, routes, neighbours,
 * bridge ports and their VLANs, and change notifications, in plain C
 * structs (no libnl types), behind a back-end chosen by name.
 *
 *     struct plat *p = plat_open("linux");       // platform_linux_ops()
 *     struct plat_link l;
 *     if (plat_link_get_by_name(p, "eth0", &l) == 0)
 *             plat_link_set_admin(p, l.ifindex, true);
 *
 * Conventions:
 *  - Every function returns 0 on success or a negative errno (the kernel's
 *    own reason for linux: -EEXIST, -ENODEV, -EOPNOTSUPP, ...); after a
 *    failure plat_errmsg() may hold the kernel's extended-ack text.
 *  - An operation a back-end lacks returns -EOPNOTSUPP.
 *  - Links are named by ifindex (stable while the link lives; names can be
 *    changed). Resolve names with plat_link_get_by_name() when needed and
 *    do not cache the mapping across a monitor resync.
 *  - List functions call a callback per object; the object is valid only
 *    during the call (copy it). A callback returning non-zero stops the walk
 *    and that value is returned.
 *  - Batches: between plat_batch_begin() and plat_batch_commit() the write
 *    operations are queued and sent together (acks collected in bulk), for
 *    route-table sized work. Reads are not batched.
 *
 * A back-end is a struct plat_ops; plat_open() picks one by name ("linux";
 * "ovs" when that back-end is linked in).
 */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define PLAT_IFNAMSIZ     16  /* IFNAMSIZ, with the NUL */
#define PLAT_KINDSIZ      16  /* "veth", "bridge", "macvlan", ... */
#define PLAT_ALIASSIZ     256 /* IFALIASZ */
#define PLAT_MAX_NEXTHOPS 32

/* ------------------------------------------------------------ addresses */

/* An IPv4 or IPv6 address: family AF_INET (4 bytes used) or AF_INET6 (16). */
struct plat_ip {
	uint8_t family;
	uint8_t bytes[16];
};

struct plat_prefix {
	struct plat_ip ip;
	uint8_t len; /* prefix length */
};

/* Parses "192.0.2.1" / "2001:db8::1". 0 or -EINVAL. */
int plat_ip_parse(const char *s, struct plat_ip *out);
/* Parses "192.0.2.0/24" (no length = host prefix). 0 or -EINVAL. */
int plat_prefix_parse(const char *s, struct plat_prefix *out);
/* Formats into buf (INET6_ADDRSTRLEN / + 4 is enough); returns buf. */
const char *plat_ip_str(const struct plat_ip *ip, char *buf, size_t len);
const char *plat_prefix_str(const struct plat_prefix *p, char *buf, size_t len);
bool plat_ip_equal(const struct plat_ip *a, const struct plat_ip *b);

/* ------------------------------------------------------------ objects */

/* RFC 2863 ifOperStatus, as the kernel reports it (IF_OPER_*). */
enum plat_oper {
	PLAT_OPER_UNKNOWN = 0,
	PLAT_OPER_NOTPRESENT = 1,
	PLAT_OPER_DOWN = 2,
	PLAT_OPER_LOWERLAYERDOWN = 3,
	PLAT_OPER_TESTING = 4,
	PLAT_OPER_DORMANT = 5,
	PLAT_OPER_UP = 6,
};
const char *plat_oper_name(enum plat_oper o);

struct plat_link_stats {
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
	uint64_t rx_errors, tx_errors;
	uint64_t rx_dropped, tx_dropped;
	uint64_t multicast; /* received */
	uint64_t carrier_changes;
};

struct plat_link {
	int ifindex;
	char name[PLAT_IFNAMSIZ];
	char kind[PLAT_KINDSIZ];   /* "" for physical devices and lo */
	char alias[PLAT_ALIASSIZ]; /* ifAlias, the Junos "description" */
	bool admin_up;             /* IFF_UP */
	bool carrier;              /* IFF_LOWER_UP */
	enum plat_oper oper;
	uint32_t mtu;
	uint32_t flags; /* IFF_* */
	uint8_t mac[6];
	bool has_mac;
	int master; /* ifindex of the bridge it is enslaved to, 0 = none */
	int link;   /* parent / peer ifindex (veth peer, macvlan lower), 0 = none */
	bool is_bridge_port;
	struct plat_link_stats stats;
};

struct plat_addr {
	int ifindex;
	struct plat_prefix prefix; /* local address + prefix length */
	uint8_t scope;             /* RT_SCOPE_*; 0 (universe) when adding */
	uint32_t flags;            /* IFA_F_* as reported (e.g. IFA_F_TENTATIVE) */
};

struct plat_nexthop {
	struct plat_ip gw; /* family 0 = directly connected via ifindex */
	int ifindex;       /* 0 = resolved by the kernel from gw */
	uint8_t weight;    /* 1..256 means weight; 0 = 1 */
	bool onlink;       /* RTNH_F_ONLINK: gw is on-link even without a covering prefix */
};

struct plat_route {
	struct plat_prefix dst;
	uint32_t table;    /* 0 = main (RT_TABLE_MAIN) */
	uint8_t protocol;  /* RTPROT_*; each daemon installs with its own number; 0 = static */
	uint8_t type;      /* RTN_*; 0 = unicast */
	uint8_t scope;     /* RT_SCOPE_*; 0 = universe, or link when no next hop has a gw */
	uint32_t priority; /* metric */
	size_t n_nh;       /* 1 = single path; > 1 = ECMP */
	struct plat_nexthop nh[PLAT_MAX_NEXTHOPS];
};

struct plat_neigh {
	int ifindex;
	struct plat_ip ip; /* family AF_INET / AF_INET6; AF_BRIDGE entries are FDB */
	uint8_t lladdr[6];
	bool has_lladdr;
	uint16_t state; /* NUD_*; 0 = NUD_PERMANENT when adding */
	uint8_t flags;  /* NTF_* */
};

/* Bridge port flags: each PLAT_FLAG_KEEP, PLAT_FLAG_OFF or PLAT_FLAG_ON. */
enum plat_flag {
	PLAT_FLAG_KEEP = -1,
	PLAT_FLAG_OFF = 0,
	PLAT_FLAG_ON = 1,
};

struct plat_brport_flags {
	enum plat_flag learning;      /* IFLA_BRPORT_LEARNING */
	enum plat_flag unicast_flood; /* IFLA_BRPORT_UNICAST_FLOOD */
	enum plat_flag mcast_flood;   /* IFLA_BRPORT_MCAST_FLOOD */
	enum plat_flag bcast_flood;   /* IFLA_BRPORT_BCAST_FLOOD */
	enum plat_flag locked;        /* IFLA_BRPORT_LOCKED (802.1X), Linux 5.18 */
	enum plat_flag mab;           /* IFLA_BRPORT_MAB (MAC auth bypass), Linux 6.2 */
};
/* All PLAT_FLAG_KEEP; set the ones to change. */
void plat_brport_flags_init(struct plat_brport_flags *f);

/* One VLAN (vid_end 0 or == vid) or a range vid..vid_end of a bridge port. */
struct plat_bridge_vlan {
	uint16_t vid;     /* 1..4094 */
	uint16_t vid_end; /* range end, 0 = single VLAN */
	bool pvid;        /* untagged ingress goes to this VLAN (single VLAN only) */
	bool untagged;    /* egress untagged */
};

/* One bridge FDB (MAC table) entry, as the kernel's AF_BRIDGE neighbour dump
 * reports it. */
struct plat_fdb {
	int ifindex;    /* the port, or the bridge itself for its own MACs */
	int master;     /* the bridge (NDA_MASTER), 0 = absent */
	uint8_t mac[6]; /* NDA_LLADDR */
	uint16_t vlan;  /* NDA_VLAN, 0 = none (a bridge without VLAN filtering) */
	uint16_t state; /* NUD_*: NUD_PERMANENT = local/static, else learned */
	uint8_t flags;  /* NTF_* (NTF_SELF, NTF_MASTER, NTF_EXT_LEARNED, ...) */
	bool locked;    /* NTF_EXT_LOCKED: seen on a locked port, not authorized */
};

/* ------------------------------------------------------------ notifications */

enum plat_ev {
	PLAT_EV_NEW, /* added or changed (and every object of a resync) */
	PLAT_EV_DEL,
};

/* What changed in a link since the monitor last saw it (bits of `changes`). */
enum plat_link_change {
	PLAT_LINK_CHG_ADDED = 1 << 0,
	PLAT_LINK_CHG_ADMIN = 1 << 1, /* admin_up */
	PLAT_LINK_CHG_OPER = 1 << 2,  /* oper or carrier */
	PLAT_LINK_CHG_MTU = 1 << 3,
	PLAT_LINK_CHG_NAME = 1 << 4,
	PLAT_LINK_CHG_ALIAS = 1 << 5,
	PLAT_LINK_CHG_MASTER = 1 << 6,
	PLAT_LINK_CHG_MAC = 1 << 7,
};

/* Which object types a monitor reports (mask of these). */
enum plat_watch {
	PLAT_WATCH_LINK = 1 << 0,
	PLAT_WATCH_ADDR = 1 << 1,  /* IPv4 and IPv6 */
	PLAT_WATCH_ROUTE = 1 << 2, /* IPv4 and IPv6 */
	PLAT_WATCH_NEIGH = 1 << 3,
};

/*
 * Callbacks of a monitor (any may be NULL). Contract: after resync_begin
 * every existing object is reported as PLAT_EV_NEW, then resync_end comes;
 * whatever the consumer knew but did not see in between is gone (mark at
 * begin, sweep at end). A resync happens at start and whenever
 * notifications were lost (netlink ENOBUFS). A resync_begin may follow a
 * resync_begin without an end (the earlier resync failed: do not sweep).
 * Link `changes` are relative to the previous report of that ifindex
 * (PLAT_LINK_CHG_ADDED for a new one; every bit set the first time).
 */
struct plat_monitor_cbs {
	void (*resync_begin)(void *arg);
	void (*resync_end)(void *arg);
	void (*link)(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes);
	void (*addr)(void *arg, enum plat_ev ev, const struct plat_addr *a);
	void (*route)(void *arg, enum plat_ev ev, const struct plat_route *r);
	void (*neigh)(void *arg, enum plat_ev ev, const struct plat_neigh *n);
};

/* ------------------------------------------------------------ back-end */

struct plat;
struct plat_monitor;

typedef int (*plat_link_fn)(void *arg, const struct plat_link *l);
typedef int (*plat_addr_fn)(void *arg, const struct plat_addr *a);
typedef int (*plat_route_fn)(void *arg, const struct plat_route *r);
typedef int (*plat_neigh_fn)(void *arg, const struct plat_neigh *n);
typedef int (*plat_fdb_fn)(void *arg, const struct plat_fdb *e);
typedef void (*plat_batch_err_fn)(void *arg, size_t index, int err, const char *errmsg);

/*
 * The back-end table. Each member implements the plat_* function of the
 * same name (documented there); NULL members answer -EOPNOTSUPP. `priv`
 * below is the back-end's own state, made by open and freed by close.
 */
struct plat_ops {
	const char *name;
	int (*open)(struct plat *p, void **priv);
	void (*close)(void *priv);
	const char *(*errmsg)(void *priv);

	int (*batch_begin)(void *priv);
	int (*batch_commit)(void *priv, plat_batch_err_fn fn, void *arg);

	int (*link_list)(void *priv, plat_link_fn fn, void *arg);
	int (*link_get)(void *priv, int ifindex, const char *name, struct plat_link *out);
	int (*link_set_admin)(void *priv, int ifindex, bool up);
	int (*link_set_mtu)(void *priv, int ifindex, uint32_t mtu);
	int (*link_set_alias)(void *priv, int ifindex, const char *alias);
	int (*link_add_veth)(void *priv, const char *name, const char *peer);
	int (*link_add_bridge)(void *priv, const char *name);
	int (*link_del)(void *priv, int ifindex);

	int (*addr_list)(void *priv, int family, plat_addr_fn fn, void *arg);
	int (*addr_add)(void *priv, const struct plat_addr *a);
	int (*addr_del)(void *priv, const struct plat_addr *a);

	int (*route_list)(void *priv, int family, plat_route_fn fn, void *arg);
	int (*route_add)(void *priv, const struct plat_route *r, bool replace);
	int (*route_del)(void *priv, const struct plat_route *r);

	int (*neigh_list)(void *priv, int family, plat_neigh_fn fn, void *arg);
	int (*neigh_set)(void *priv, const struct plat_neigh *n);
	int (*neigh_del)(void *priv, const struct plat_neigh *n);

	int (*bridge_enslave)(void *priv, int port, int bridge);
	int (*bridge_port_flags)(void *priv, int port, const struct plat_brport_flags *f);
	int (*bridge_vlan_add)(void *priv, int port, const struct plat_bridge_vlan *v, size_t n,
	                       bool self);
	int (*bridge_vlan_del)(void *priv, int port, const struct plat_bridge_vlan *v, size_t n,
	                       bool self);
	int (*port_authorize)(void *priv, int port, bool locked, bool mab);
	int (*bridge_vlan_filtering)(void *priv, int bridge, bool on, int default_pvid);
	int (*vlan_dev_add)(void *priv, const char *name, int lower, uint16_t vid);
	int (*fdb_list)(void *priv, int bridge, plat_fdb_fn fn, void *arg);

	/* A back-end monitor is an opaque pointer; the plat_monitor wraps it. */
	void *(*monitor_new)(void *priv, struct event_base *base, unsigned watch,
	                     const struct plat_monitor_cbs *cbs, void *arg);
	int (*monitor_start)(void *mon);
	void (*monitor_free)(void *mon);
};

/* The linux (rtnetlink via libnl) back-end. */
const struct plat_ops *platform_linux_ops(void);

/* ------------------------------------------------------------ the API */

/* Opens the back-end `name` ("linux", "ovs"). NULL with errno set (ENOENT: unknown name). */
struct plat *plat_open(const char *name);
/* Opens with an explicit table (tests, out-of-tree back-ends). */
struct plat *plat_open_ops(const struct plat_ops *ops);
void plat_close(struct plat *p);
const char *plat_name(const struct plat *p);
/* The kernel's extended-ack text for the last failure, "" if none. */
const char *plat_errmsg(const struct plat *p);

/* Queue the following writes; plat_batch_commit() sends them. -EBUSY if already open. */
int plat_batch_begin(struct plat *p);
/* Sends the queued writes; fn gets each failure by queue index. Returns failures or -errno. */
int plat_batch_commit(struct plat *p, plat_batch_err_fn fn, void *arg);

/* Every link, in ifindex order of the kernel's dump. */
int plat_link_list(struct plat *p, plat_link_fn fn, void *arg);
/* One link by ifindex / by name. -ENODEV if there is none. */
int plat_link_get(struct plat *p, int ifindex, struct plat_link *out);
int plat_link_get_by_name(struct plat *p, const char *name, struct plat_link *out);
/* Admin state (IFF_UP). */
int plat_link_set_admin(struct plat *p, int ifindex, bool up);
int plat_link_set_mtu(struct plat *p, int ifindex, uint32_t mtu);
/*
 * ifAlias (Junos "description"); "" clears it. -ENAMETOOLONG past 255 bytes.
 * The kernel notifies the change only while the link is admin up.
 */
int plat_link_set_alias(struct plat *p, int ifindex, const char *alias);
/* Creates a veth pair name <-> peer (both admin down). -EEXIST if a name is taken. */
int plat_link_add_veth(struct plat *p, const char *name, const char *peer);
/* Creates a bridge (admin down). */
int plat_link_add_bridge(struct plat *p, const char *name);
/* Deletes a link (a veth takes its peer with it). */
int plat_link_del(struct plat *p, int ifindex);

/* Addresses of `family` (AF_INET, AF_INET6, or 0 for both). */
int plat_addr_list(struct plat *p, int family, plat_addr_fn fn, void *arg);
/* Adds / deletes a->prefix on a->ifindex. Add of an existing address: -EEXIST. */
int plat_addr_add(struct plat *p, const struct plat_addr *a);
int plat_addr_del(struct plat *p, const struct plat_addr *a);

/* Routes of `family` (AF_INET, AF_INET6, 0 for both), all tables. */
int plat_route_list(struct plat *p, int family, plat_route_fn fn, void *arg);
/*
 * Installs r (n_nh next hops, ECMP when > 1; protocol 0 installs as
 * RTPROT_STATIC). replace = false fails with -EEXIST on an existing route;
 * true replaces it atomically (NLM_F_REPLACE). A gw of the other family
 * than dst (IPv4 via IPv6) is sent as RTA_VIA.
 */
int plat_route_add(struct plat *p, const struct plat_route *r, bool replace);
/* Deletes the route matching dst, table, protocol, priority (next hops ignored). */
int plat_route_del(struct plat *p, const struct plat_route *r);

/*
 * ARP / ND entries of `family` (AF_INET, AF_INET6, 0 = both). Bridge FDB
 * entries are not listed (they come through the monitor as AF_BRIDGE).
 */
int plat_neigh_list(struct plat *p, int family, plat_neigh_fn fn, void *arg);
/* Adds or replaces (NLM_F_REPLACE) a neighbour entry; state 0 = permanent. */
int plat_neigh_set(struct plat *p, const struct plat_neigh *n);
int plat_neigh_del(struct plat *p, const struct plat_neigh *n);

/* Enslaves port to bridge (ifindexes); bridge 0 releases the port. */
int plat_bridge_enslave(struct plat *p, int port, int bridge);
/* Sets the port flags that are not PLAT_FLAG_KEEP. */
int plat_bridge_port_flags(struct plat *p, int port, const struct plat_brport_flags *f);
/*
 * Adds / deletes VLANs of a bridge port (self = false) or of the bridge
 * device itself (self = true, port = the bridge). Needs a kernel with
 * bridge VLAN filtering: without it -EOPNOTSUPP, and plat_errmsg() names
 * CONFIG_BRIDGE_VLAN_FILTERING. -EINVAL for a range with pvid or vid out of
 * 1..4094. Turning vlan_filtering on, 8021q devices (IRB) and the FDB dump
 * are plat_bridge_vlan_filtering, plat_vlan_dev_add and plat_fdb_list below.
 */
int plat_bridge_vlan_add(struct plat *p, int port, const struct plat_bridge_vlan *v, size_t n,
                         bool self);
int plat_bridge_vlan_del(struct plat *p, int port, const struct plat_bridge_vlan *v, size_t n,
                         bool self);
/*
 * 802.1X port authorization hook: locked = only authorized source MACs (FDB
 * entries the authenticator adds) may pass; mab = unknown MACs are learned
 * as locked entries for MAC RADIUS. An authorized port is locked = false.
 */
int plat_port_authorize(struct plat *p, int port, bool locked, bool mab);

/*
 * Turns VLAN filtering of a bridge on or off (IFLA_BR_VLAN_FILTERING);
 * default_pvid: < 0 leaves it, 0 = new ports get no PVID, 1..4094. Without
 * CONFIG_BRIDGE_VLAN_FILTERING: -EOPNOTSUPP, plat_errmsg() names it.
 */
int plat_bridge_vlan_filtering(struct plat *p, int bridge, bool on, int default_pvid);
/*
 * Creates an 802.1Q VLAN device `name` on `lower` for VLAN vid (an IRB on a
 * VLAN-filtering bridge: lower = the bridge). Without CONFIG_VLAN_8021Q:
 * -EOPNOTSUPP, plat_errmsg() names it. -EEXIST if the name is taken.
 */
int plat_vlan_dev_add(struct plat *p, const char *name, int lower, uint16_t vid);
/*
 * The FDB (MAC table) of bridge `bridge` (ifindex; 0 = every bridge): fn
 * per entry. Works on any bridge; entries carry a VLAN only with VLAN
 * filtering on.
 */
int plat_fdb_list(struct plat *p, int bridge, plat_fdb_fn fn, void *arg);

/*
 * A change monitor on base for the `watch` types (PLAT_WATCH_*). Reporting
 * starts with plat_monitor_start(), which delivers the initial resync.
 */
struct plat_monitor *plat_monitor_new(struct plat *p, struct event_base *base, unsigned watch,
                                      const struct plat_monitor_cbs *cbs, void *arg);
int plat_monitor_start(struct plat_monitor *m);
void plat_monitor_free(struct plat_monitor *m);

#endif
