/*
 * Netlink (rtnetlink) on libnl-3 / libnl-route-3.
 *
 * Two kinds of socket:
 *
 *  - nl_cmd: a command socket for requests that want an answer. Every
 *    request carries NLM_F_ACK (or NLM_F_DUMP) and nl_cmd_exchange() reads
 *    until the kernel's ack / NLMSG_DONE for that sequence number, so the
 *    caller gets a plain -errno and, when the kernel sent one, the extended
 *    ack text (nl_cmd_errmsg()). Replies (dumps, GETs) are parsed into libnl
 *    objects (rtnl_link, rtnl_addr, rtnl_route, rtnl_neigh) and handed to a
 *    callback. Batches: nl_batch_add() queues copies of several requests,
 *    nl_cmd_batch() sends them in as few datagrams as fit and collects the
 *    acks in bulk, reporting each failed request by its index.
 *
 *  - nl_monitor: a socket subscribed to rtnetlink multicast groups and
 *    driven by a libevent base. Notifications are parsed and delivered with
 *    their action (NEW / DEL). An initial dump is delivered as a resync:
 *    resync_begin(), every object as NEW, resync_end(). When the socket
 *    overflows (recv() fails with ENOBUFS, see netlink(7)) notifications
 *    have been lost, so the monitor drains the socket, re-dumps every
 *    subscribed object type and delivers the same resync sequence: a
 *    consumer marks its objects at resync_begin and sweeps the unmarked
 *    ones at resync_end. Nothing is cached here (ifindex -> name included),
 *    so a resync never serves stale names.
 *
 * The socket I/O is our own (recv into a buffer, walk the nlmsghdrs) rather
 * than libnl's nl_recvmsgs(), because we need the raw errno (ENOBUFS,
 * extended acks) and because the same parser then serves dumps, acks and
 * notifications, and can be fed bytes from a test.
 */
#ifndef KEEL_NL_H
#define KEEL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/object.h>

enum nl_action {
	NL_ACTION_NEW,
	NL_ACTION_DEL,
};

/* Object types, also the subscription mask bits of a monitor. */
enum nl_obj_type {
	NL_OBJ_LINK = 1 << 0,
	NL_OBJ_ADDR4 = 1 << 1,
	NL_OBJ_ADDR6 = 1 << 2,
	NL_OBJ_ROUTE4 = 1 << 3,
	NL_OBJ_ROUTE6 = 1 << 4,
	NL_OBJ_NEIGH = 1 << 5,
	/*
	 * RTM_NEWLINK / RTM_DELLINK with ifi_family AF_BRIDGE: a bridge port's
	 * bridge state (flags, VLANs), not the link itself; a DELLINK of this
	 * kind means "left the bridge". Same multicast group as NL_OBJ_LINK.
	 * (libnl reports AF_BRIDGE as the family of every bridge-kind link, so
	 * the object's family cannot tell them apart; the message can.)
	 */
	NL_OBJ_BRPORT = 1 << 6,
};
#define NL_OBJ_ALL                                                                                 \
	(NL_OBJ_LINK | NL_OBJ_ADDR4 | NL_OBJ_ADDR6 | NL_OBJ_ROUTE4 | NL_OBJ_ROUTE6 |               \
	 NL_OBJ_NEIGH | NL_OBJ_BRPORT)

const char *nl_action_name(enum nl_action a);
const char *nl_obj_type_name(enum nl_obj_type t);

/*
 * Called with each parsed object. The object is only borrowed for the call:
 * nl_object_get() it to keep it. `type` is one NL_OBJ_* bit; the libnl type
 * is the matching struct rtnl_link / rtnl_addr / rtnl_route / rtnl_neigh.
 */
typedef void (*nl_obj_fn)(void *arg, enum nl_obj_type type, enum nl_action action,
                          struct nl_object *obj);

/*
 * Parses one rtnetlink message (RTM_NEW/DEL LINK, ADDR, ROUTE, NEIGH) and
 * calls fn once with the object. Other message types are ignored (returns
 * 0). Returns 0 or -errno (-EINVAL: malformed). Pure: no I/O.
 */
int nl_parse_msg(const struct nlmsghdr *h, nl_obj_fn fn, void *arg);

/*
 * Walks a buffer of netlink messages as read from a socket; each rtnetlink
 * object message goes to nl_parse_msg(). Returns the number of messages, or
 * -EINVAL when a header's length is out of bounds. Pure: no I/O.
 */
int nl_parse_buf(const void *buf, size_t len, nl_obj_fn fn, void *arg);

/* ------------------------------------------------------------ commands */

struct nl_cmd;

/* Opens and connects a NETLINK_ROUTE command socket. NULL on failure (errno set). */
struct nl_cmd *nl_cmd_open(void);
void nl_cmd_close(struct nl_cmd *c);
/* The libnl socket, for libnl builders that need one. Do not recv on it. */
struct nl_sock *nl_cmd_sock(struct nl_cmd *c);

/*
 * Sends msg (NLM_F_ACK is added unless msg is a dump) and reads until its
 * ack or NLMSG_DONE. Reply objects go to fn (may be NULL). Returns 0 or the
 * kernel's -errno. msg stays owned by the caller.
 */
int nl_cmd_exchange(struct nl_cmd *c, struct nl_msg *msg, nl_obj_fn fn, void *arg);
/* Dumps one object type (a single NL_OBJ_* bit) into fn. 0 or -errno. */
int nl_cmd_dump(struct nl_cmd *c, enum nl_obj_type type, nl_obj_fn fn, void *arg);
/* The extended-ack text of the last failed request ("" when none). */
const char *nl_cmd_errmsg(const struct nl_cmd *c);

/* ------------------------------------------------------------ batches */

struct nl_batch;

struct nl_batch *nl_batch_new(void);
void nl_batch_free(struct nl_batch *b);
/* Queues a copy of msg (msg stays the caller's). Returns its index or -errno. */
int nl_batch_add(struct nl_batch *b, struct nl_msg *msg);
size_t nl_batch_count(const struct nl_batch *b);
/* Empties the batch for reuse. */
void nl_batch_clear(struct nl_batch *b);

typedef void (*nl_batch_err_fn)(void *arg, size_t index, int err, const char *errmsg);

/*
 * Sends every queued request (each with NLM_F_ACK and its own sequence
 * number), packing as many as fit into one datagram, and reads the acks.
 * err_fn (may be NULL) is called for each failed request. Returns the
 * number of failed requests, or -errno if the socket itself failed (then
 * the outcome of unacknowledged requests is unknown). The batch is cleared.
 */
int nl_cmd_batch(struct nl_cmd *c, struct nl_batch *b, nl_batch_err_fn err_fn, void *arg);

/* ------------------------------------------------------------ monitor */

struct nl_monitor_cbs {
	nl_obj_fn obj;                   /* every object, notifications and resyncs */
	void (*resync_begin)(void *arg); /* a full dump follows (all NEW) */
	void (*resync_end)(void *arg);   /* what was not seen since begin is gone */
};

/*
 * The monitor's I/O, replaceable so that tests can drive the state machine
 * without a kernel. recv: one datagram from the notification socket into
 * buf, or -errno (-EAGAIN when empty, -ENOBUFS on overflow). dump: one
 * complete dump of `type`, written into fn through nl_parse_buf(); 0 or
 * -errno (-EINTR: the dump was inconsistent, NLM_F_DUMP_INTR, try again).
 */
struct nl_monitor_io {
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	int (*dump)(void *ctx, enum nl_obj_type type, nl_obj_fn fn, void *arg);
	void *ctx;
};

struct nl_monitor_stats {
	uint64_t messages;     /* notification messages parsed */
	uint64_t resyncs;      /* full resyncs delivered (initial included) */
	uint64_t overflows;    /* ENOBUFS seen */
	uint64_t dump_retries; /* dumps restarted after NLM_F_DUMP_INTR */
	uint64_t errors;       /* malformed messages / recv errors */
};

struct nl_monitor;

/*
 * Opens a notification socket subscribed to the groups of `types` (NL_OBJ_*
 * mask) with a large receive buffer, plus a dump socket, and registers a
 * read event on base. Nothing is delivered until nl_monitor_start().
 */
struct nl_monitor *nl_monitor_new(struct event_base *base, unsigned types,
                                  const struct nl_monitor_cbs *cbs, void *arg);
/* Same with caller-supplied I/O and no socket or event (tests). */
struct nl_monitor *nl_monitor_new_io(unsigned types, const struct nl_monitor_io *io,
                                     const struct nl_monitor_cbs *cbs, void *arg);
void nl_monitor_free(struct nl_monitor *m);

/* Delivers the initial resync and starts listening. 0 or -errno. */
int nl_monitor_start(struct nl_monitor *m);
/* Forces a resync now (e.g. after the consumer lost its own state). */
int nl_monitor_resync(struct nl_monitor *m);
/*
 * Reads and delivers what is pending (at most `budget` datagrams, 0 = no
 * limit), resyncing on overflow. The read event calls this; tests call it
 * directly. Returns the number of datagrams read or -errno.
 */
int nl_monitor_poll(struct nl_monitor *m, unsigned budget);
/* The notification socket's fd (-1 for an io monitor). */
int nl_monitor_fd(const struct nl_monitor *m);
void nl_monitor_get_stats(const struct nl_monitor *m, struct nl_monitor_stats *out);

/* Receive buffer asked for on the monitor socket (SO_RCVBUFFORCE when permitted). */
#define NL_MONITOR_RCVBUF (8 * 1024 * 1024)

#endif
