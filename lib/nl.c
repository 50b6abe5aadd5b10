/*
 * Netlink helpers: parsing into libnl objects, the command socket with
 * batched acks, and the event-driven monitor with ENOBUFS resync. See nl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/socket.h>

#include "lib/log.h"
#include "lib/nl.h"

/* Dumps and notifications arrive in datagrams of at most a few pages; 64 KiB holds any. */
#define NL_RECV_BUF (64 * 1024)
/* A batch is cut into datagrams of this size (well under the default sk_sndbuf). */
#define NL_BATCH_CHUNK (32 * 1024)
/* The command socket never waits longer than this for an ack. */
#define NL_CMD_TIMEOUT_S 10
#define NL_DUMP_TRIES    5

const char *nl_action_name(enum nl_action a)
{
	return a == NL_ACTION_NEW ? "new" : a == NL_ACTION_DEL ? "del" : "?";
}

const char *nl_obj_type_name(enum nl_obj_type t)
{
	switch (t) {
	case NL_OBJ_LINK:
		return "link";
	case NL_OBJ_ADDR4:
		return "addr4";
	case NL_OBJ_ADDR6:
		return "addr6";
	case NL_OBJ_ROUTE4:
		return "route4";
	case NL_OBJ_ROUTE6:
		return "route6";
	case NL_OBJ_NEIGH:
		return "neigh";
	case NL_OBJ_BRPORT:
		return "brport";
	}
	return "?";
}

/* ------------------------------------------------------------ parsing */

struct parse_ctx {
	nl_obj_fn fn;
	void *arg;
	enum nl_obj_type type;
	enum nl_action action;
	int count;
};

static void parse_cb(struct nl_object *obj, void *arg)
{
	struct parse_ctx *p = arg;

	p->count++;
	if (p->fn)
		p->fn(p->arg, p->type, p->action, obj);
}

/* Family byte of the message's fixed header, or -1 if the header is missing. */
static int msg_family(const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_HDRLEN + 1)
		return -1;
	return *(const uint8_t *)NLMSG_DATA(h);
}

static int classify(const struct nlmsghdr *h, enum nl_obj_type *type, enum nl_action *action,
                    size_t *hdrlen)
{
	int fam = msg_family(h);

	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		*type = fam == AF_BRIDGE ? NL_OBJ_BRPORT : NL_OBJ_LINK;
		*hdrlen = sizeof(struct ifinfomsg);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (fam != AF_INET && fam != AF_INET6)
			return -1;
		*type = fam == AF_INET ? NL_OBJ_ADDR4 : NL_OBJ_ADDR6;
		*hdrlen = sizeof(struct ifaddrmsg);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* Multicast (RTNL_FAMILY_IPMR) and other families are not ours. */
		if (fam != AF_INET && fam != AF_INET6)
			return -1;
		*type = fam == AF_INET ? NL_OBJ_ROUTE4 : NL_OBJ_ROUTE6;
		*hdrlen = sizeof(struct rtmsg);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		*type = NL_OBJ_NEIGH;
		*hdrlen = sizeof(struct ndmsg);
		break;
	default:
		return -1;
	}
	*action = (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_NEWADDR ||
	           h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_NEWNEIGH)
	                  ? NL_ACTION_NEW
	                  : NL_ACTION_DEL;
	return 0;
}

int nl_parse_msg(const struct nlmsghdr *h, nl_obj_fn fn, void *arg)
{
	struct parse_ctx p = {.fn = fn, .arg = arg};
	struct nl_msg *msg;
	size_t hdrlen;
	int err;

	if (h->nlmsg_len < NLMSG_HDRLEN)
		return -EINVAL;
	if (classify(h, &p.type, &p.action, &hdrlen) < 0)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return -EINVAL;
	/* nlmsg_convert() copies nlmsg_len bytes; the caller vouches for them. */
	msg = nlmsg_convert((struct nlmsghdr *)h);
	if (!msg)
		return -ENOMEM;
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	err = nl_msg_parse(msg, parse_cb, &p);
	nlmsg_free(msg);
	if (err < 0)
		return err == -NLE_NOMEM ? -ENOMEM : -EINVAL;
	return p.count > 0 ? 0 : -EINVAL;
}

int nl_parse_buf(const void *buf, size_t len, nl_obj_fn fn, void *arg)
{
	const uint8_t *p = buf;
	int n = 0;

	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t step;

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
			return -EINVAL;
		n++;
		if (nl_parse_msg(h, fn, arg) < 0)
			log_debug("nl: malformed message type %u dropped", h->nlmsg_type);
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return n;
}

/* ------------------------------------------------------------ commands */

struct nl_cmd {
	struct nl_sock *sk;
	int fd;
	uint32_t seq;
	uint8_t *buf;
	char errmsg[256];
};

static void sock_set_int(int fd, int level, int opt, int val)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) < 0)
		log_debug("nl: setsockopt(%d, %d): %s", level, opt, strerror(errno));
}

struct nl_cmd *nl_cmd_open(void)
{
	struct nl_cmd *c = calloc(1, sizeof(*c));
	struct timeval tv = {.tv_sec = NL_CMD_TIMEOUT_S};
	int err;

	if (!c)
		return NULL;
	c->buf = malloc(NL_RECV_BUF);
	c->sk = nl_socket_alloc();
	if (!c->buf || !c->sk) {
		errno = ENOMEM;
		goto fail;
	}
	if ((err = nl_connect(c->sk, NETLINK_ROUTE)) < 0) {
		errno = EPROTO;
		log_warnx("nl: connect: %s", nl_geterror(err));
		goto fail;
	}
	c->fd = nl_socket_get_fd(c->sk);
	nl_socket_set_buffer_size(c->sk, 1024 * 1024, 1024 * 1024);
	/* Acks carry only the failed request's header plus the kernel's reason. */
	sock_set_int(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	sock_set_int(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->seq = (uint32_t)time(NULL);
	return c;
fail:
	nl_cmd_close(c);
	return NULL;
}

void nl_cmd_close(struct nl_cmd *c)
{
	if (!c)
		return;
	if (c->sk)
		nl_socket_free(c->sk);
	free(c->buf);
	free(c);
}

struct nl_sock *nl_cmd_sock(struct nl_cmd *c)
{
	return c->sk;
}

const char *nl_cmd_errmsg(const struct nl_cmd *c)
{
	return c->errmsg;
}

/*
 * Error from an NLMSG_ERROR message; copies the extended-ack text
 * (NLMSGERR_ATTR_MSG, netlink(7)) into errmsg. Returns 0 (ack) or -errno.
 */
static int ack_error(const struct nlmsghdr *h, char *errmsg, size_t errlen)
{
	const struct nlmsgerr *e;
	size_t off;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EPROTO;
	e = NLMSG_DATA(h);
	if (e->error == 0)
		return 0;
	if (errmsg && errlen) {
		errmsg[0] = '\0';
		/* With NETLINK_CAP_ACK only the request's header is echoed (NLM_F_CAPPED). */
		off = NLMSG_LENGTH(sizeof(*e));
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off = NLMSG_LENGTH(sizeof(*e) - sizeof(e->msg) + e->msg.nlmsg_len);
		off = NLMSG_ALIGN(off);
		if ((h->nlmsg_flags & NLM_F_ACK_TLVS) && off < h->nlmsg_len) {
			struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

			if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((uint8_t *)h + off),
			              (int)(h->nlmsg_len - off), NULL) == 0 &&
			    tb[NLMSGERR_ATTR_MSG]) {
				size_t n = (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]);

				if (n >= errlen)
					n = errlen - 1;
				memcpy(errmsg, nla_data(tb[NLMSGERR_ATTR_MSG]), n);
				errmsg[n] = '\0';
			}
		}
	}
	return e->error < 0 ? e->error : -e->error;
}

/* One datagram from the kernel (other senders are dropped). Returns bytes or -errno. */
static ssize_t sock_recv(int fd, void *buf, size_t len, int flags)
{
	struct sockaddr_nl sa;
	socklen_t salen;
	ssize_t n;

	for (;;) {
		salen = sizeof(sa);
		n = recvfrom(fd, buf, len, flags | MSG_TRUNC, (struct sockaddr *)&sa, &salen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n > len)
			return -EMSGSIZE;
		/* Unicast netlink to our port is open to any local process. */
		if (salen != sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0)
			continue;
		return n;
	}
}

static int cmd_send(struct nl_cmd *c, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Reads until the ack or NLMSG_DONE of seq; replies go to fn. */
static int cmd_wait(struct nl_cmd *c, uint32_t seq, nl_obj_fn fn, void *arg)
{
	bool intr = false;

	for (;;) {
		ssize_t n = sock_recv(c->fd, c->buf, NL_RECV_BUF, 0);
		const uint8_t *p = c->buf;
		size_t len;

		if (n < 0)
			return n == -EAGAIN ? -ETIMEDOUT : (int)n;
		len = (size_t)n;
		while (len >= NLMSG_HDRLEN) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)p;
			size_t step;

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
				return -EPROTO;
			if (h->nlmsg_seq == seq) {
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = true;
				if (h->nlmsg_type == NLMSG_ERROR)
					return ack_error(h, c->errmsg, sizeof(c->errmsg));
				if (h->nlmsg_type == NLMSG_DONE) {
					/* A dump that failed part-way carries its error here. */
					if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
						int e;

						memcpy(&e, NLMSG_DATA(h), sizeof(e));
						if (e < 0)
							return e;
					}
					return intr ? -EINTR : 0;
				}
				nl_parse_msg(h, fn, arg);
			}
			step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= len)
				break;
			p += step;
			len -= step;
		}
	}
}

int nl_cmd_exchange(struct nl_cmd *c, struct nl_msg *msg, nl_obj_fn fn, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	int err;

	c->errmsg[0] = '\0';
	h->nlmsg_flags |= NLM_F_REQUEST;
	if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		h->nlmsg_flags |= NLM_F_ACK;
	h->nlmsg_seq = ++c->seq;
	h->nlmsg_pid = 0;
	if ((err = cmd_send(c, h, h->nlmsg_len)) < 0)
		return err;
	return cmd_wait(c, h->nlmsg_seq, fn, arg);
}

/* Builds the dump request for one object type. */
static struct nl_msg *dump_request(enum nl_obj_type type)
{
	struct nl_msg *msg;
	int fam = AF_UNSPEC;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rtm;
		struct ndmsg ndm;
	} u;
	size_t len;
	int mtype;

	memset(&u, 0, sizeof(u));
	switch (type) {
	case NL_OBJ_LINK:
		mtype = RTM_GETLINK;
		len = sizeof(u.ifi);
		break;
	case NL_OBJ_BRPORT:
		mtype = RTM_GETLINK;
		u.ifi.ifi_family = AF_BRIDGE;
		len = sizeof(u.ifi);
		break;
	case NL_OBJ_ADDR4:
	case NL_OBJ_ADDR6:
		mtype = RTM_GETADDR;
		fam = type == NL_OBJ_ADDR4 ? AF_INET : AF_INET6;
		u.ifa.ifa_family = (uint8_t)fam;
		len = sizeof(u.ifa);
		break;
	case NL_OBJ_ROUTE4:
	case NL_OBJ_ROUTE6:
		mtype = RTM_GETROUTE;
		fam = type == NL_OBJ_ROUTE4 ? AF_INET : AF_INET6;
		u.rtm.rtm_family = (uint8_t)fam;
		len = sizeof(u.rtm);
		break;
	case NL_OBJ_NEIGH:
		mtype = RTM_GETNEIGH;
		len = sizeof(u.ndm);
		break;
	default:
		return NULL;
	}
	msg = nlmsg_alloc_simple(mtype, NLM_F_DUMP);
	if (msg &&
	    (nlmsg_append(msg, &u, len, NLMSG_ALIGNTO) < 0 ||
	     /* Port VLANs are only dumped when asked for (uapi rtnetlink.h). */
	     (type == NL_OBJ_BRPORT && nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN) < 0))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int nl_cmd_dump(struct nl_cmd *c, enum nl_obj_type type, nl_obj_fn fn, void *arg)
{
	struct nl_msg *msg = dump_request(type);
	int err;

	if (!msg)
		return type & NL_OBJ_ALL ? -ENOMEM : -EINVAL;
	err = nl_cmd_exchange(c, msg, fn, arg);
	nlmsg_free(msg);
	return err;
}

/* ------------------------------------------------------------ batches */

struct nl_batch {
	uint8_t *buf; /* the requests, each NLMSG_ALIGNed */
	size_t len, cap;
	size_t *offs;
	size_t n, ncap;
};

struct nl_batch *nl_batch_new(void)
{
	return calloc(1, sizeof(struct nl_batch));
}

void nl_batch_free(struct nl_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->offs);
	free(b);
}

size_t nl_batch_count(const struct nl_batch *b)
{
	return b->n;
}

void nl_batch_clear(struct nl_batch *b)
{
	b->len = 0;
	b->n = 0;
}

int nl_batch_add(struct nl_batch *b, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	size_t need = NLMSG_ALIGN(h->nlmsg_len);

	/* Every batched request gets exactly one ack; a dump would not. */
	if ((h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP || h->nlmsg_len < NLMSG_HDRLEN)
		return -EINVAL;
	if (b->n > (size_t)INT32_MAX - 1)
		return -E2BIG;
	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *nb;

		while (cap < b->len + need)
			cap *= 2;
		if (!(nb = realloc(b->buf, cap)))
			return -ENOMEM;
		b->buf = nb;
		b->cap = cap;
	}
	if (b->n == b->ncap) {
		size_t ncap = b->ncap ? b->ncap * 2 : 64;
		size_t *no = realloc(b->offs, ncap * sizeof(*no));

		if (!no)
			return -ENOMEM;
		b->offs = no;
		b->ncap = ncap;
	}
	memset(b->buf + b->len, 0, need);
	memcpy(b->buf + b->len, h, h->nlmsg_len);
	h = (struct nlmsghdr *)(b->buf + b->len);
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_pid = 0;
	b->offs[b->n] = b->len;
	b->len += need;
	return (int)b->n++;
}

/* Offset just past request i. */
static size_t batch_end(const struct nl_batch *b, size_t i)
{
	return i + 1 < b->n ? b->offs[i + 1] : b->len;
}

/* Reads acks for seq [first, first + count); returns failures or -errno. */
static int batch_acks(struct nl_cmd *c, uint32_t first, size_t count, size_t base,
                      nl_batch_err_fn err_fn, void *arg)
{
	size_t acked = 0;
	int failed = 0;

	while (acked < count) {
		ssize_t n = sock_recv(c->fd, c->buf, NL_RECV_BUF, 0);
		const uint8_t *p = c->buf;
		size_t len;

		if (n < 0)
			return n == -EAGAIN ? -ETIMEDOUT : (int)n;
		len = (size_t)n;
		while (len >= NLMSG_HDRLEN) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)p;
			uint32_t idx = h->nlmsg_seq - first;
			size_t step;

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
				return -EPROTO;
			if (h->nlmsg_type == NLMSG_ERROR && idx < count) {
				int err = ack_error(h, c->errmsg, sizeof(c->errmsg));

				acked++;
				if (err < 0) {
					failed++;
					if (err_fn)
						err_fn(arg, base + idx, err, c->errmsg);
				}
			}
			step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= len)
				break;
			p += step;
			len -= step;
		}
	}
	return failed;
}

int nl_cmd_batch(struct nl_cmd *c, struct nl_batch *b, nl_batch_err_fn err_fn, void *arg)
{
	size_t i = 0;
	int failed = 0;

	c->errmsg[0] = '\0';
	while (i < b->n) {
		size_t start = b->offs[i], first = i;
		uint32_t seq0 = c->seq + 1;
		int err;

		/* One datagram: at least one request, then as many as fit in the chunk. */
		do {
			struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + b->offs[i]);

			h->nlmsg_seq = ++c->seq;
			i++;
		} while (i < b->n && batch_end(b, i) - start <= NL_BATCH_CHUNK);
		err = cmd_send(c, b->buf + start, batch_end(b, i - 1) - start);
		if (err == 0)
			err = batch_acks(c, seq0, i - first, first, err_fn, arg);
		if (err < 0) {
			nl_batch_clear(b);
			return err;
		}
		failed += err;
	}
	nl_batch_clear(b);
	return failed;
}

/* ------------------------------------------------------------ monitor */

struct nl_monitor {
	unsigned types;
	struct nl_monitor_cbs cbs;
	void *arg;
	struct nl_monitor_io io;
	struct nl_sock *sk;   /* notifications (real monitor) */
	struct nl_cmd *dumpc; /* dumps (real monitor) */
	struct event *ev;
	struct event *retry;
	uint8_t *buf;
	struct nl_monitor_stats st;
	bool started;
	bool need_resync;
};

static const enum nl_obj_type mon_order[] = {
        NL_OBJ_LINK, NL_OBJ_ADDR4, NL_OBJ_ADDR6, NL_OBJ_ROUTE4, NL_OBJ_ROUTE6, NL_OBJ_NEIGH,
};

static ssize_t real_recv(void *ctx, void *buf, size_t len)
{
	struct nl_monitor *m = ctx;

	return sock_recv(nl_socket_get_fd(m->sk), buf, len, MSG_DONTWAIT);
}

static int real_dump(void *ctx, enum nl_obj_type type, nl_obj_fn fn, void *arg)
{
	struct nl_monitor *m = ctx;

	return nl_cmd_dump(m->dumpc, type, fn, arg);
}

/* Only the subscribed types reach the consumer (a dump socket may see more). */
static void mon_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct nl_monitor *m = arg;

	if (!(m->types & type) || !m->cbs.obj)
		return;
	m->cbs.obj(m->arg, type, action, obj);
}

static void mon_schedule_retry(struct nl_monitor *m)
{
	struct timeval tv = {.tv_sec = 1};

	m->need_resync = true;
	if (m->retry)
		event_add(m->retry, &tv);
}

/*
 * A full resync: begin, every subscribed type dumped as NEW, end. If a dump
 * fails there is no end (the consumer must not sweep on partial data); the
 * next resync starts with a new begin.
 */
static int mon_resync(struct nl_monitor *m)
{
	m->need_resync = false;
	if (m->cbs.resync_begin)
		m->cbs.resync_begin(m->arg);
	for (size_t i = 0; i < sizeof(mon_order) / sizeof(mon_order[0]); i++) {
		enum nl_obj_type t = mon_order[i];
		int err, tries = 0;

		if (!(m->types & t))
			continue;
		/*
		 * NLM_F_DUMP_INTR: the table changed during the dump. The change is
		 * also queued on the notification socket, but a clean dump is cheap.
		 */
		while ((err = m->io.dump(m->io.ctx, t, mon_obj, m)) == -EINTR &&
		       ++tries < NL_DUMP_TRIES)
			m->st.dump_retries++;
		if (err < 0 && err != -EINTR) {
			log_warnx("nl monitor: %s dump failed: %s", nl_obj_type_name(t),
			          strerror(-err));
			m->st.errors++;
			mon_schedule_retry(m);
			return err;
		}
	}
	m->st.resyncs++;
	if (m->cbs.resync_end)
		m->cbs.resync_end(m->arg);
	return 0;
}

int nl_monitor_resync(struct nl_monitor *m)
{
	return mon_resync(m);
}

/* Throws away what is queued: the dump that follows supersedes it. */
static void mon_drain(struct nl_monitor *m)
{
	for (int i = 0; i < 100000; i++) {
		ssize_t n = m->io.recv(m->io.ctx, m->buf, NL_RECV_BUF);

		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0 && n != -ENOBUFS && n != -EMSGSIZE)
			return;
	}
}

int nl_monitor_poll(struct nl_monitor *m, unsigned budget)
{
	unsigned reads = 0;

	if (m->need_resync && mon_resync(m) < 0)
		return -EAGAIN;
	while (budget == 0 || reads < budget) {
		ssize_t n = m->io.recv(m->io.ctx, m->buf, NL_RECV_BUF);
		int cnt;

		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n == -ENOBUFS || n == -EMSGSIZE) {
			/* netlink(7): ENOBUFS means notifications were dropped. */
			m->st.overflows++;
			log_info("nl monitor: %s, resyncing",
			         n == -ENOBUFS ? "socket overflow" : "truncated message");
			mon_drain(m);
			if (mon_resync(m) < 0)
				return -EAGAIN;
			reads++;
			continue;
		}
		if (n < 0) {
			m->st.errors++;
			log_warnx("nl monitor: recv: %s", strerror((int)-n));
			return (int)n;
		}
		reads++;
		cnt = nl_parse_buf(m->buf, (size_t)n, mon_obj, m);
		if (cnt < 0)
			m->st.errors++;
		else
			m->st.messages += (uint64_t)cnt;
	}
	return (int)reads;
}

static void mon_read_cb(evutil_socket_t fd, short what, void *arg)
{
	nl_monitor_poll(arg, 64);
}

static void mon_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nl_monitor *m = arg;

	if (m->need_resync)
		mon_resync(m);
}

static struct nl_monitor *mon_alloc(unsigned types, const struct nl_monitor_cbs *cbs, void *arg)
{
	struct nl_monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (!(m->buf = malloc(NL_RECV_BUF))) {
		free(m);
		return NULL;
	}
	m->types = types & NL_OBJ_ALL;
	m->cbs = *cbs;
	m->arg = arg;
	return m;
}

struct nl_monitor *nl_monitor_new_io(unsigned types, const struct nl_monitor_io *io,
                                     const struct nl_monitor_cbs *cbs, void *arg)
{
	struct nl_monitor *m = mon_alloc(types, cbs, arg);

	if (m)
		m->io = *io;
	return m;
}

struct nl_monitor *nl_monitor_new(struct event_base *base, unsigned types,
                                  const struct nl_monitor_cbs *cbs, void *arg)
{
	static const struct {
		enum nl_obj_type t;
		int group;
	} groups[] = {
	        {NL_OBJ_LINK, RTNLGRP_LINK},         {NL_OBJ_ADDR4, RTNLGRP_IPV4_IFADDR},
	        {NL_OBJ_ADDR6, RTNLGRP_IPV6_IFADDR}, {NL_OBJ_ROUTE4, RTNLGRP_IPV4_ROUTE},
	        {NL_OBJ_ROUTE6, RTNLGRP_IPV6_ROUTE}, {NL_OBJ_NEIGH, RTNLGRP_NEIGH},
	};
	struct nl_monitor *m = mon_alloc(types, cbs, arg);
	int fd, err;

	if (!m)
		return NULL;
	m->io = (struct nl_monitor_io){.recv = real_recv, .dump = real_dump, .ctx = m};
	if (!(m->sk = nl_socket_alloc()) || !(m->dumpc = nl_cmd_open()))
		goto fail;
	nl_socket_disable_seq_check(m->sk);
	if ((err = nl_connect(m->sk, NETLINK_ROUTE)) < 0) {
		log_warnx("nl monitor: connect: %s", nl_geterror(err));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if ((m->types & groups[i].t) &&
		    (err = nl_socket_add_membership(m->sk, groups[i].group)) < 0) {
			log_warnx("nl monitor: join group %d: %s", groups[i].group,
			          nl_geterror(err));
			goto fail;
		}
	}
	fd = nl_socket_get_fd(m->sk);
	/*
	 * SO_RCVBUF is capped by net.core.rmem_max; SO_RCVBUFFORCE (CAP_NET_ADMIN)
	 * is not, and a big buffer makes overflow resyncs rare under route churn.
	 */
	nl_socket_set_buffer_size(m->sk, NL_MONITOR_RCVBUF, 0);
	{
		int sz = NL_MONITOR_RCVBUF;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			log_debug("nl monitor: SO_RCVBUFFORCE: %s", strerror(errno));
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	if (base) {
		m->ev = event_new(base, fd, EV_READ | EV_PERSIST, mon_read_cb, m);
		m->retry = evtimer_new(base, mon_retry_cb, m);
		if (!m->ev || !m->retry)
			goto fail;
	}
	return m;
fail:
	nl_monitor_free(m);
	return NULL;
}

void nl_monitor_free(struct nl_monitor *m)
{
	if (!m)
		return;
	if (m->ev)
		event_free(m->ev);
	if (m->retry)
		event_free(m->retry);
	if (m->sk)
		nl_socket_free(m->sk);
	nl_cmd_close(m->dumpc);
	free(m->buf);
	free(m);
}

int nl_monitor_start(struct nl_monitor *m)
{
	int err;

	if (m->started)
		return -EALREADY;
	m->started = true;
	if (m->ev && event_add(m->ev, NULL) < 0)
		return -ENOMEM;
	err = mon_resync(m);
	return err;
}

int nl_monitor_fd(const struct nl_monitor *m)
{
	return m->sk ? nl_socket_get_fd(m->sk) : -1;
}

void nl_monitor_get_stats(const struct nl_monitor *m, struct nl_monitor_stats *out)
{
	*out = m->st;
}
