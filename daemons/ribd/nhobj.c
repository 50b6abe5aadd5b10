/*
 * Next-hop sets, rtnetlink codecs for routes and nexthop objects, and the
 * batching netlink socket (see nhobj.h).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemons/ribd/nhobj.h"
#include "lib/log.h"

/* ------------------------------------------------------------ sets */

/* One table for the process: the RIB and the FIB share the sets. */
static struct {
	struct nhset **slots;
	size_t cap, count, bytes;
} nhset_tab;

static uint32_t nhset_hash(const struct rib_nh *nh, size_t n)
{
	/* FNV-1a over the meaningful fields (padding is not hashed). */
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = nh[i].gw.bytes;
		uint32_t words[3] = {(uint32_t)nh[i].ifindex, nh[i].gw.family, nh[i].track};

		for (size_t k = 0; k < sizeof(nh[i].gw.bytes); k++)
			h = (h ^ b[k]) * 16777619u;
		for (size_t k = 0; k < 3; k++)
			h = (h ^ words[k]) * 16777619u;
	}
	return h ^ (uint32_t)n;
}

static bool nhset_same(const struct nhset *s, const struct rib_nh *nh, size_t n)
{
	if (s->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s->nh[i].ifindex != nh[i].ifindex || s->nh[i].track != nh[i].track ||
		    !plat_ip_equal(&s->nh[i].gw, &nh[i].gw))
			return false;
	return true;
}

static int nhset_grow(void)
{
	size_t cap = nhset_tab.cap ? 2 * nhset_tab.cap : 256;
	struct nhset **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < nhset_tab.cap; i++) {
		struct nhset *s, *next;

		for (s = nhset_tab.slots[i]; s; s = next) {
			next = s->hnext;
			s->hnext = slots[s->hash & (cap - 1)];
			slots[s->hash & (cap - 1)] = s;
		}
	}
	free(nhset_tab.slots);
	nhset_tab.slots = slots;
	nhset_tab.cap = cap;
	return 0;
}

const struct rib_nh *nhset_get(const struct rib_nh *nh, size_t n, int *err)
{
	uint32_t h;
	struct nhset *s;

	*err = 0;
	if (!n || !nh)
		return NULL;
	if (n > RIB_MAX_NH) {
		*err = -EINVAL;
		return NULL;
	}
	h = nhset_hash(nh, n);
	if (nhset_tab.cap) {
		for (s = nhset_tab.slots[h & (nhset_tab.cap - 1)]; s; s = s->hnext)
			if (s->hash == h && nhset_same(s, nh, n)) {
				s->refs++;
				return s->nh;
			}
	}
	if (nhset_tab.count >= nhset_tab.cap / 2 && nhset_grow() < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	s = calloc(1, sizeof(*s) + n * sizeof(*nh));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->hash = h;
	s->refs = 1;
	s->n = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		/* Copied field by field so that padding is zero. */
		s->nh[i].gw = nh[i].gw;
		s->nh[i].ifindex = nh[i].ifindex;
		s->nh[i].track = nh[i].track;
	}
	s->hnext = nhset_tab.slots[h & (nhset_tab.cap - 1)];
	nhset_tab.slots[h & (nhset_tab.cap - 1)] = s;
	nhset_tab.count++;
	nhset_tab.bytes += sizeof(*s) + n * sizeof(*nh);
	return s->nh;
}

struct nhset *nhset_of(const struct rib_nh *nh)
{
	return (struct nhset *)((const uint8_t *)nh - offsetof(struct nhset, nh));
}

const struct rib_nh *nhset_ref(const struct rib_nh *nh)
{
	if (nh)
		nhset_of(nh)->refs++;
	return nh;
}

void nhset_put(const struct rib_nh *nh)
{
	struct nhset *s, **pp;

	if (!nh)
		return;
	s = nhset_of(nh);
	if (--s->refs)
		return;
	for (pp = &nhset_tab.slots[s->hash & (nhset_tab.cap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	nhset_tab.count--;
	nhset_tab.bytes -= sizeof(*s) + s->n * sizeof(s->nh[0]);
	free(s);
	if (!nhset_tab.count) {
		free(nhset_tab.slots);
		memset(&nhset_tab, 0, sizeof(nhset_tab));
	}
}

size_t nhset_count(void)
{
	return nhset_tab.count;
}

size_t nhset_memory(void)
{
	return nhset_tab.bytes + nhset_tab.cap * sizeof(nhset_tab.slots[0]);
}

void nhset_foreach(void (*fn)(void *arg, struct nhset *s), void *arg)
{
	for (size_t i = 0; i < nhset_tab.cap; i++)
		for (struct nhset *s = nhset_tab.slots[i]; s; s = s->hnext)
			fn(arg, s);
}

/* ------------------------------------------------------------ codecs */

struct nhobj_w {
	uint8_t *buf;
	size_t cap, len;
	bool over;
};

static void *nhobj_put(struct nhobj_w *w, size_t len)
{
	size_t aligned = NLMSG_ALIGN(len);
	void *p;

	if (w->over || aligned > w->cap - w->len) {
		w->over = true;
		return NULL;
	}
	p = w->buf + w->len;
	memset(p, 0, aligned);
	w->len += aligned;
	return p;
}

static void nhobj_attr(struct nhobj_w *w, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = nhobj_put(w, RTA_LENGTH(len));

	if (!a)
		return;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
}

static void nhobj_attr_u32(struct nhobj_w *w, uint16_t type, uint32_t v)
{
	nhobj_attr(w, type, &v, sizeof(v));
}

static struct nlmsghdr *nhobj_hdr(struct nhobj_w *w, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *h = nhobj_put(w, NLMSG_HDRLEN);

	if (h) {
		h->nlmsg_type = type;
		h->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
		h->nlmsg_seq = seq;
	}
	return h;
}

static ssize_t nhobj_finish(struct nhobj_w *w)
{
	if (w->over)
		return -ENOSPC;
	((struct nlmsghdr *)w->buf)->nlmsg_len = (uint32_t)w->len;
	return (ssize_t)w->len;
}

static size_t nhobj_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

ssize_t nhobj_enc_route(uint8_t *buf, size_t cap, uint16_t msgtype, uint16_t flags, uint32_t seq,
                        const struct nhobj_route *r)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};
	struct rtmsg *rtm;
	int family = r->pfx->ip.family;
	bool del = msgtype == RTM_DELROUTE, any_gw = false;

	nhobj_hdr(&w, msgtype, flags, seq);
	rtm = nhobj_put(&w, sizeof(*rtm));
	if (!rtm)
		return -ENOSPC;
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = r->pfx->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_type = r->type;
	for (size_t i = 0; i < r->n_nh; i++)
		any_gw |= r->nh[i].gw.family != 0;
	/* A route straight out of an interface is link scope, as ip(8) makes it. */
	rtm->rtm_scope = del                                           ? RT_SCOPE_NOWHERE
	                 : r->type != RTN_UNICAST || r->nhid || any_gw ? RT_SCOPE_UNIVERSE
	                                                               : RT_SCOPE_LINK;
	nhobj_attr(&w, RTA_DST, r->pfx->ip.bytes, nhobj_addr_len(family));
	nhobj_attr_u32(&w, RTA_PRIORITY, r->priority);
	if (del || r->type != RTN_UNICAST) {
		/* A delete matches on prefix, table, protocol and metric. */
	} else if (r->nhid) {
		nhobj_attr_u32(&w, RTA_NH_ID, r->nhid);
	} else if (r->n_nh == 1) {
		if (r->nh[0].gw.family)
			nhobj_attr(&w, RTA_GATEWAY, r->nh[0].gw.bytes,
			           nhobj_addr_len(r->nh[0].gw.family));
		if (r->nh[0].ifindex)
			nhobj_attr_u32(&w, RTA_OIF, (uint32_t)r->nh[0].ifindex);
	} else if (r->n_nh > 1) {
		/* RTA_MULTIPATH: rtnexthop records, each followed by its RTA_GATEWAY. */
		size_t start = w.len;
		struct rtattr *mp = nhobj_put(&w, RTA_LENGTH(0));

		if (!mp)
			return -ENOSPC;
		mp->rta_type = RTA_MULTIPATH;
		for (size_t i = 0; i < r->n_nh; i++) {
			size_t at = w.len;
			struct rtnexthop *rtnh = nhobj_put(&w, sizeof(*rtnh));

			if (!rtnh)
				return -ENOSPC;
			rtnh->rtnh_ifindex = r->nh[i].ifindex;
			if (r->nh[i].gw.family)
				nhobj_attr(&w, RTA_GATEWAY, r->nh[i].gw.bytes,
				           nhobj_addr_len(r->nh[i].gw.family));
			if (w.over)
				return -ENOSPC;
			((struct rtnexthop *)(w.buf + at))->rtnh_len = (unsigned short)(w.len - at);
		}
		((struct rtattr *)(w.buf + start))->rta_len = (unsigned short)(w.len - start);
	}
	return nhobj_finish(&w);
}

static struct nhmsg *nhobj_nhmsg(struct nhobj_w *w, uint16_t type, uint16_t flags, uint32_t seq,
                                 uint8_t family, uint8_t protocol)
{
	struct nhmsg *nhm;

	nhobj_hdr(w, type, flags, seq);
	nhm = nhobj_put(w, sizeof(*nhm));
	if (nhm) {
		nhm->nh_family = family;
		nhm->nh_protocol = protocol;
	}
	return nhm;
}

ssize_t nhobj_enc_nexthop(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                          uint8_t protocol, const struct rib_nh *nh)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};
	uint8_t family = nh->gw.family ? nh->gw.family : AF_INET;

	nhobj_nhmsg(&w, RTM_NEWNEXTHOP, flags, seq, family, protocol);
	nhobj_attr_u32(&w, NHA_ID, id);
	nhobj_attr_u32(&w, NHA_OIF, (uint32_t)nh->ifindex);
	if (nh->gw.family)
		nhobj_attr(&w, NHA_GATEWAY, nh->gw.bytes, nhobj_addr_len(nh->gw.family));
	return nhobj_finish(&w);
}

ssize_t nhobj_enc_blackhole(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                            uint8_t protocol)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};

	nhobj_nhmsg(&w, RTM_NEWNEXTHOP, flags, seq, AF_INET, protocol);
	nhobj_attr_u32(&w, NHA_ID, id);
	nhobj_attr(&w, NHA_BLACKHOLE, NULL, 0);
	return nhobj_finish(&w);
}

ssize_t nhobj_enc_group(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t id,
                        uint8_t protocol, const uint32_t *ids, size_t n)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};
	struct nexthop_grp grp[RIB_MAX_NH];

	if (n == 0 || n > RIB_MAX_NH)
		return -EINVAL;
	memset(grp, 0, sizeof(grp));
	for (size_t i = 0; i < n; i++)
		grp[i].id = ids[i]; /* weight 0 means 1 (nexthop.h) */
	/* A group has no family of its own: AF_UNSPEC. */
	nhobj_nhmsg(&w, RTM_NEWNEXTHOP, flags, seq, AF_UNSPEC, protocol);
	nhobj_attr_u32(&w, NHA_ID, id);
	nhobj_attr(&w, NHA_GROUP, grp, n * sizeof(grp[0]));
	return nhobj_finish(&w);
}

ssize_t nhobj_enc_delnexthop(uint8_t *buf, size_t cap, uint32_t seq, uint32_t id)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};

	nhobj_nhmsg(&w, RTM_DELNEXTHOP, 0, seq, AF_UNSPEC, 0);
	nhobj_attr_u32(&w, NHA_ID, id);
	return nhobj_finish(&w);
}

ssize_t nhobj_enc_dump(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct nhobj_w w = {.buf = buf, .cap = cap};

	nhobj_nhmsg(&w, RTM_GETNEXTHOP, NLM_F_DUMP, seq, AF_UNSPEC, 0);
	return nhobj_finish(&w);
}

int nhobj_parse(const uint8_t *buf, size_t len, struct nhobj_kern *out)
{
	const struct nlmsghdr *h = (const void *)buf;
	const struct nhmsg *nhm;
	size_t off, mlen;

	memset(out, 0, sizeof(*out));
	if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len ||
	    h->nlmsg_type != RTM_NEWNEXTHOP)
		return -EINVAL;
	mlen = h->nlmsg_len;
	if (mlen < NLMSG_SPACE(sizeof(*nhm)))
		return -EINVAL;
	nhm = (const void *)(buf + NLMSG_HDRLEN);
	out->family = nhm->nh_family;
	out->protocol = nhm->nh_protocol;
	for (off = NLMSG_SPACE(sizeof(*nhm)); off + sizeof(struct rtattr) <= mlen;) {
		struct rtattr a;
		const uint8_t *data;
		size_t dlen;

		memcpy(&a, buf + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > mlen - off)
			return -EINVAL;
		data = buf + off + RTA_LENGTH(0);
		dlen = a.rta_len - RTA_LENGTH(0);
		switch (a.rta_type & NLA_TYPE_MASK) {
		case NHA_ID:
			if (dlen != 4)
				return -EINVAL;
			memcpy(&out->id, data, 4);
			break;
		case NHA_OIF: {
			uint32_t v;

			if (dlen != 4)
				return -EINVAL;
			memcpy(&v, data, 4);
			out->nh.ifindex = (int)v;
			break;
		}
		case NHA_GATEWAY:
			if (dlen != 4 && dlen != 16)
				return -EINVAL;
			out->nh.gw.family = dlen == 4 ? AF_INET : AF_INET6;
			memcpy(out->nh.gw.bytes, data, dlen);
			break;
		case NHA_BLACKHOLE:
			out->blackhole = true;
			break;
		case NHA_GROUP:
			if (dlen == 0 || dlen % sizeof(struct nexthop_grp) ||
			    dlen / sizeof(struct nexthop_grp) > RIB_MAX_NH)
				return -EINVAL;
			out->is_group = true;
			out->n_group = dlen / sizeof(struct nexthop_grp);
			for (size_t i = 0; i < out->n_group; i++) {
				struct nexthop_grp g;

				memcpy(&g, data + i * sizeof(g), sizeof(g));
				out->group[i] = g.id;
			}
			break;
		default:
			break;
		}
		off += RTA_ALIGN(a.rta_len);
	}
	return out->id ? 0 : -EINVAL;
}

/* ------------------------------------------------------------ socket */

struct nlw {
	int fd;
	uint32_t seq;
	uint32_t seq0;     /* first sequence number of the batch */
	uint8_t *buf;      /* the datagram being filled */
	size_t len;        /* bytes in it */
	size_t last;       /* offset of its last request */
	size_t n_in_dgram; /* requests in it */
	size_t n_batch;    /* requests in the batch */
	int failed;        /* failed requests of the batch so far */
	int sock_err;      /* the socket failed during the batch */
	nlw_err_fn err_fn; /* of the batch being committed (NULL while filling) */
	void *err_arg;
	/* Failures seen before commit (datagrams flushed while filling). */
	struct nlw_fail {
		size_t index;
		int err;
	} * fails;
	size_t n_fails, cap_fails;
	uint8_t *rbuf;
	uint64_t dgrams;
};

#define NLW_RBUF  (64 * 1024)
#define NLW_SOBUF (32 * 1024 * 1024)

struct nlw *nlw_open(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct nlw *w = calloc(1, sizeof(*w));
	int one = 1, size = NLW_SOBUF;

	if (!w)
		return NULL;
	w->buf = malloc(NLW_DGRAM);
	w->rbuf = malloc(NLW_RBUF);
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!w->buf || !w->rbuf || w->fd < 0)
		goto fail;
	/* Large buffers: a batch may carry thousands of requests (FORCE needs
	 * CAP_NET_ADMIN, which ribd keeps; the plain call is the fallback). */
	if (setsockopt(w->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Errors echo only the header, and carry the kernel's reason. */
	setsockopt(w->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(w->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	w->seq = (uint32_t)getpid() << 8;
	w->seq0 = w->seq + 1;
	return w;
fail:
	nlw_close(w);
	return NULL;
}

void nlw_close(struct nlw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w->rbuf);
	free(w->fails);
	free(w);
}

static void nlw_fail(struct nlw *w, size_t index, int err, const char *msg)
{
	w->failed++;
	if (w->err_fn) {
		w->err_fn(w->err_arg, index, err, msg);
		return;
	}
	if (w->n_fails == w->cap_fails) {
		size_t cap = w->cap_fails ? 2 * w->cap_fails : 64;
		struct nlw_fail *f = realloc(w->fails, cap * sizeof(*f));

		if (!f)
			return; /* counted, not attributed */
		w->fails = f;
		w->cap_fails = cap;
	}
	w->fails[w->n_fails++] = (struct nlw_fail){.index = index, .err = err};
}

/* The extended ack's message (NLMSGERR_ATTR_MSG), if any. */
static const char *nlw_ext_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
		const struct nlattr *a = (const void *)((const uint8_t *)h + off);

		if (a->nla_len < sizeof(*a) || a->nla_len > h->nlmsg_len - off)
			return NULL;
		if (a->nla_type == NLMSGERR_ATTR_MSG && a->nla_len > sizeof(*a) &&
		    ((const char *)a)[a->nla_len - 1] == 0)
			return (const char *)a + NLA_HDRLEN;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

/* nlw_recv's callback: NLW_MORE to read on, or the result (0 or -errno) to stop with. */
#define NLW_MORE 1
typedef int (*nlw_msg_fn)(struct nlw *w, const struct nlmsghdr *h, void *arg);

/* Hands every answer on the socket to fn until it stops; -ETIMEDOUT, a recv error or
 * -EPROTO on a message that overruns its datagram end the wait first. */
static int nlw_recv(struct nlw *w, nlw_msg_fn fn, void *arg)
{
	for (;;) {
		struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
		ssize_t n;
		size_t len;
		const uint8_t *p;

		/* The kernel answers inside sendmsg(); the wait is a safety net. */
		if (poll(&pfd, 1, 10000) == 0)
			return -ETIMEDOUT;
		n = recv(w->fd, w->rbuf, NLW_RBUF, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p = w->rbuf;
		len = (size_t)n;
		while (len >= NLMSG_HDRLEN) {
			const struct nlmsghdr *h = (const void *)p;
			size_t step;
			int rc;

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
				return -EPROTO;
			if ((rc = fn(w, h, arg)) != NLW_MORE)
				return rc;
			step = NLMSG_ALIGN(h->nlmsg_len);
			if (step > len)
				break;
			p += step;
			len -= step;
		}
	}
}

/* Failures of the batch are reported as they come; the ack of *last ends the wait. */
static int nlw_ack_msg(struct nlw *w, const struct nlmsghdr *h, void *arg)
{
	const uint32_t *last = arg;

	if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_SPACE(sizeof(struct nlmsgerr))) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		uint32_t seq = e->msg.nlmsg_seq;

		if (e->error < 0 && seq - w->seq0 < w->n_batch)
			nlw_fail(w, seq - w->seq0, e->error, nlw_ext_msg(h));
		if (seq == *last)
			return 0;
	}
	return NLW_MORE;
}

/* Reads answers until the ack of `last` (the datagram's last request). */
static int nlw_wait(struct nlw *w, uint32_t last)
{
	return nlw_recv(w, nlw_ack_msg, &last);
}

static int nlw_send_dgram(struct nlw *w)
{
	struct nlmsghdr *last;
	ssize_t n;
	int rc;

	if (!w->n_in_dgram)
		return 0;
	last = (struct nlmsghdr *)(w->buf + w->last);
	last->nlmsg_flags |= NLM_F_ACK;
	do
		n = send(w->fd, w->buf, w->len, 0);
	while (n < 0 && errno == EINTR);
	w->dgrams++;
	rc = n < 0 ? -errno : (size_t)n != w->len ? -EMSGSIZE : 0;
	if (rc == 0)
		rc = nlw_wait(w, last->nlmsg_seq);
	w->len = 0;
	w->n_in_dgram = 0;
	if (rc < 0 && !w->sock_err)
		w->sock_err = rc;
	return rc;
}

uint8_t *nlw_reserve(struct nlw *w, size_t len, uint32_t *seq)
{
	if (len > NLW_DGRAM)
		return NULL;
	if (NLW_DGRAM - w->len < len && nlw_send_dgram(w) < 0 && w->len)
		return NULL;
	*seq = ++w->seq;
	return w->buf + w->len;
}

int nlw_push(struct nlw *w, size_t used)
{
	if (used > NLW_DGRAM - w->len)
		return -ENOSPC;
	w->last = w->len;
	w->len += NLMSG_ALIGN(used);
	w->n_in_dgram++;
	w->n_batch++;
	return 0;
}

size_t nlw_pending(const struct nlw *w)
{
	return w->n_batch;
}

int nlw_commit(struct nlw *w, nlw_err_fn fn, void *arg)
{
	int rc;

	/* Failures of datagrams sent while filling, then of the rest as they come. */
	for (size_t i = 0; fn && i < w->n_fails; i++)
		fn(arg, w->fails[i].index, w->fails[i].err, NULL);
	w->n_fails = 0;
	w->err_fn = fn;
	w->err_arg = arg;
	nlw_send_dgram(w);
	rc = w->sock_err ? w->sock_err : w->failed;
	w->err_fn = NULL;
	w->err_arg = NULL;
	w->failed = 0;
	w->sock_err = 0;
	w->n_batch = 0;
	w->seq0 = w->seq + 1;
	return rc;
}

uint64_t nlw_datagrams(const struct nlw *w)
{
	return w->dgrams;
}

struct nlw_dump {
	uint32_t seq;
	void (*fn)(void *arg, const struct nhobj_kern *k);
	void *arg;
};

static int nlw_dump_msg(struct nlw *w, const struct nlmsghdr *h, void *arg)
{
	const struct nlw_dump *d = arg;

	(void)w;
	if (h->nlmsg_seq != d->seq)
		return NLW_MORE;
	if (h->nlmsg_type == NLMSG_DONE)
		return 0;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		return h->nlmsg_len >= NLMSG_SPACE(sizeof(*e)) ? e->error : -EPROTO;
	}
	if (h->nlmsg_type == RTM_NEWNEXTHOP) {
		struct nhobj_kern k;

		if (nhobj_parse((const uint8_t *)h, h->nlmsg_len, &k) == 0)
			d->fn(d->arg, &k);
	}
	return NLW_MORE;
}

int nlw_dump_nexthops(struct nlw *w, void (*fn)(void *arg, const struct nhobj_kern *k), void *arg)
{
	uint8_t req[64];
	struct nlw_dump d = {.seq = ++w->seq, .fn = fn, .arg = arg};
	ssize_t len = nhobj_enc_dump(req, sizeof(req), d.seq);

	if (len < 0)
		return (int)len;
	if (send(w->fd, req, (size_t)len, 0) < 0)
		return -errno;
	w->seq0 = w->seq + 1;
	return nlw_recv(w, nlw_dump_msg, &d);
}
