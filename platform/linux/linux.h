/*
 * The linux back-end's internals, shared by its files and its unit tests:
 *
 *   linux.c    the plat_ops table, open/close, request / batch plumbing
 *   links.c    links: list, get, admin / MTU / alias, veth / bridge create, delete
 *   addr.c     addresses
 *   route.c    routes (ECMP next hops)
 *   neigh.c    neighbours (ARP / ND, FDB)
 *   bridge.c   bridge ports: enslave, port flags, VLANs, 802.1X lock (hand-built
 *              AF_BRIDGE messages: libnl 3.7 cannot build them)
 *   monitor.c  change notifications: lib/nl monitor -> plat structs
 *
 * Converters `*_from_nl` turn libnl objects into plat structs, builders
 * `*_msg` turn plat structs into rtnetlink requests; both are pure.
 */
#ifndef KEEL_PLATFORM_LINUX_H
#define KEEL_PLATFORM_LINUX_H

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "lib/nl.h"
#include "platform/platform.h"

/* Not yet in Debian 12's uapi headers (if_link.h, Linux 6.2). */
#ifndef IFLA_BRPORT_MAB
#define IFLA_BRPORT_MAB (IFLA_BRPORT_LOCKED + 1)
#endif

struct lp {
	struct nl_cmd *cmd;
	struct nl_batch *batch; /* non-NULL while a batch is open */
	char errmsg[256];
};

/*
 * Sends msg (and frees it), or queues it while a batch is open. 0 or -errno;
 * a failure's extended-ack text is kept in lp->errmsg.
 */
int lp_request(struct lp *lp, struct nl_msg *msg);
/* Like lp_request() but never batched; reply objects go to fn. */
int lp_exchange(struct lp *lp, struct nl_msg *msg, nl_obj_fn fn, void *arg);

/* Conversions between plat_ip and libnl's nl_addr. */
struct nl_addr *lp_nladdr(const struct plat_ip *ip, int prefixlen);
int lp_ip_from_nl(const struct nl_addr *a, struct plat_ip *out);

/* libnl objects -> plat structs. 0, or -EINVAL if the object lacks what it needs. */
int plat_linux_link_from_nl(struct rtnl_link *nl, struct plat_link *out);
int plat_linux_addr_from_nl(struct rtnl_addr *nl, struct plat_addr *out);
int plat_linux_route_from_nl(struct rtnl_route *nl, struct plat_route *out);
int plat_linux_neigh_from_nl(struct rtnl_neigh *nl, struct plat_neigh *out);

/* plat structs -> requests (no I/O). 0 and *out, or -errno. */
int plat_linux_addr_msg(const struct plat_addr *a, bool add, struct nl_msg **out);
int plat_linux_route_msg(const struct plat_route *r, bool add, bool replace, struct nl_msg **out);
int plat_linux_neigh_msg(const struct plat_neigh *n, bool add, struct nl_msg **out);

/*
 * RTM_SETLINK (add) / RTM_DELLINK (del), ifinfomsg{AF_BRIDGE, ifindex},
 * IFLA_AF_SPEC { IFLA_BRIDGE_FLAGS (MASTER or SELF), IFLA_BRIDGE_VLAN_INFO... }
 * (uapi if_bridge.h). A range is a RANGE_BEGIN / RANGE_END pair.
 */
int plat_linux_bridge_vlan_msg(int ifindex, const struct plat_bridge_vlan *v, size_t n, bool add,
                               bool self, struct nl_msg **out);
/* RTM_SETLINK, ifinfomsg{AF_BRIDGE, ifindex}, IFLA_PROTINFO (nested) { IFLA_BRPORT_* u8 }. */
int plat_linux_brport_flags_msg(int ifindex, const struct plat_brport_flags *f,
                                struct nl_msg **out);
/*
 * The 802.1X port-lock message: IFLA_BRPORT_LOCKED and IFLA_BRPORT_MAB, plus
 * IFLA_BRPORT_LEARNING on when mab is set (the kernel refuses MAB on a port
 * that does not learn: MAB entries are learned as locked FDB entries).
 */
int plat_linux_port_lock_msg(int ifindex, bool locked, bool mab, struct nl_msg **out);

/* The monitor on caller-supplied lib/nl I/O (tests). */
void *plat_linux_monitor_new_io(unsigned watch, const struct nl_monitor_io *io,
                                const struct plat_monitor_cbs *cbs, void *arg);
struct nl_monitor *plat_linux_monitor_nl(void *mon);

/* Back-end entry points used by the ops table (one file each). */
int lp_link_list(void *priv, plat_link_fn fn, void *arg);
int lp_link_get(void *priv, int ifindex, const char *name, struct plat_link *out);
int lp_link_set_admin(void *priv, int ifindex, bool up);
int lp_link_set_mtu(void *priv, int ifindex, uint32_t mtu);
int lp_link_set_alias(void *priv, int ifindex, const char *alias);
int lp_link_add_veth(void *priv, const char *name, const char *peer);
int lp_link_add_bridge(void *priv, const char *name);
int lp_link_del(void *priv, int ifindex);
int lp_addr_list(void *priv, int family, plat_addr_fn fn, void *arg);
int lp_addr_add(void *priv, const struct plat_addr *a);
int lp_addr_del(void *priv, const struct plat_addr *a);
int lp_route_list(void *priv, int family, plat_route_fn fn, void *arg);
int lp_route_add(void *priv, const struct plat_route *r, bool replace);
int lp_route_del(void *priv, const struct plat_route *r);
int lp_neigh_list(void *priv, int family, plat_neigh_fn fn, void *arg);
int lp_neigh_set(void *priv, const struct plat_neigh *n);
int lp_neigh_del(void *priv, const struct plat_neigh *n);
int lp_bridge_enslave(void *priv, int port, int bridge);
int lp_bridge_port_flags(void *priv, int port, const struct plat_brport_flags *f);
int lp_bridge_vlan_add(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self);
int lp_bridge_vlan_del(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self);
int lp_port_authorize(void *priv, int port, bool locked, bool mab);
void *lp_monitor_new(void *priv, struct event_base *base, unsigned watch,
                     const struct plat_monitor_cbs *cbs, void *arg);
int lp_monitor_start(void *mon);
void lp_monitor_free(void *mon);

#endif
