/*
 * Linux bridge VLAN back-end: vlan_filtering, 8021q devices, FDB dump (see
 * bridge_vlan.h). Message layouts: uapi linux/netlink.h (nlmsghdr, nlattr,
 * 4-octet NLA alignment), linux/rtnetlink.h (ifinfomsg, ndmsg),
 * linux/if_link.h (IFLA_*, IFLA_BR_*, IFLA_VLAN_*), linux/neighbour.h (NDA_*).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "platform/linux/bridge_vlan.h"

/* ------------------------------------------------------------ writer */

struct nlw {
	uint8_t *p;
	size_t cap, len;
	bool err;
};

static void nlw_put(struct nlw *w, const void *b, size_t n)
{
	size_t pad = NLMSG_ALIGN(n) - n;

	if (w->err || w->cap - w->len < n + pad) {
		w->err = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	memset(w->p + w->len + n, 0, pad);
	w->len += n + pad;
}

static void nlw_hdr(struct nlw *w, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq};

	nlw_put(w, &h, sizeof(h));
}

/* Starts an attribute; its length is fixed by nlw_end() (nests) or here. */
static size_t nlw_attr(struct nlw *w, uint16_t type, const void *val, size_t n)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type};
	size_t at = w->len;

	if (NLA_HDRLEN + n > UINT16_MAX) {
		w->err = true;
		return at;
	}
	nlw_put(w, &a, sizeof(a));
	if (n)
		nlw_put(w, val, n);
	return at;
}

/* NLA_F_NESTED marks the nests, as libnl's nla_nest_start does in bridge.c */
static size_t nlw_nest(struct nlw *w, uint16_t type)
{
	return nlw_attr(w, type | NLA_F_NESTED, NULL, 0);
}

static void nlw_end(struct nlw *w, size_t at)
{
	struct nlattr a;

	if (w->err || w->len - at > UINT16_MAX) {
		w->err = true;
		return;
	}
	memcpy(&a, w->p + at, sizeof(a));
	a.nla_len = (uint16_t)(w->len - at);
	memcpy(w->p + at, &a, sizeof(a));
}

static int nlw_done(struct nlw *w)
{
	struct nlmsghdr h;

	if (w->err)
		return -ENOSPC;
	memcpy(&h, w->p, sizeof(h));
	h.nlmsg_len = (uint32_t)w->len;
	memcpy(w->p, &h, sizeof(h));
	return (int)w->len;
}

/* 802.1Q-2018 §9.6: VID 0 and 4095 are reserved. */
static bool vid_ok(int vid)
{
	return vid >= 1 && vid <= 4094;
}

/* ------------------------------------------------------------ builders */

int brvlan_filtering_build(uint8_t *buf, size_t cap, uint32_t seq, int bridge, bool on,
                           int default_pvid)
{
	struct nlw w = {.p = buf, .cap = cap};
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = bridge};
	uint8_t v = on;
	size_t li, data;

	if (bridge <= 0 || (default_pvid > 0 && !vid_ok(default_pvid)))
		return -EINVAL;
	nlw_hdr(&w, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
	nlw_put(&w, &ifi, sizeof(ifi));
	/* changelink needs the kind to reach br_changelink() (rtnl_newlink) */
	li = nlw_nest(&w, IFLA_LINKINFO);
	nlw_attr(&w, IFLA_INFO_KIND, "bridge", sizeof("bridge"));
	data = nlw_nest(&w, IFLA_INFO_DATA);
	nlw_attr(&w, IFLA_BR_VLAN_FILTERING, &v, 1);
	if (default_pvid >= 0) {
		uint16_t pvid = (uint16_t)default_pvid;

		nlw_attr(&w, IFLA_BR_VLAN_DEFAULT_PVID, &pvid, 2);
	}
	nlw_end(&w, data);
	nlw_end(&w, li);
	return nlw_done(&w);
}

static bool ifname_ok(const char *name)
{
	size_t n = name ? strnlen(name, IFNAMSIZ) : 0;

	/* dev_valid_name(): 1..15 octets, not "." / "..", no '/', ':' or space */
	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ' ' || name[i] == '\t' ||
		    name[i] == '\n')
			return false;
	return true;
}

int brvlan_vlan_dev_build(uint8_t *buf, size_t cap, uint32_t seq, const char *name, int lower,
                          uint16_t vid)
{
	struct nlw w = {.p = buf, .cap = cap};
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	uint32_t link = (uint32_t)lower;
	uint16_t proto = htons(ETH_P_8021Q); /* IFLA_VLAN_PROTOCOL is __be16 */
	size_t li, data;

	if (!ifname_ok(name) || lower <= 0 || !vid_ok(vid))
		return -EINVAL;
	nlw_hdr(&w, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
	nlw_put(&w, &ifi, sizeof(ifi));
	nlw_attr(&w, IFLA_IFNAME, name, strlen(name) + 1);
	nlw_attr(&w, IFLA_LINK, &link, 4);
	li = nlw_nest(&w, IFLA_LINKINFO);
	nlw_attr(&w, IFLA_INFO_KIND, "vlan", sizeof("vlan"));
	data = nlw_nest(&w, IFLA_INFO_DATA);
	nlw_attr(&w, IFLA_VLAN_ID, &vid, 2);
	nlw_attr(&w, IFLA_VLAN_PROTOCOL, &proto, 2);
	nlw_end(&w, data);
	nlw_end(&w, li);
	return nlw_done(&w);
}

int brvlan_fdb_dump_build(uint8_t *buf, size_t cap, uint32_t seq, int bridge)
{
	struct nlw w = {.p = buf, .cap = cap};
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE};
	uint32_t master = (uint32_t)bridge;

	if (bridge < 0)
		return -EINVAL;
	nlw_hdr(&w, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq);
	nlw_put(&w, &ifi, sizeof(ifi));
	if (bridge)
		nlw_attr(&w, IFLA_MASTER, &master, 4);
	return nlw_done(&w);
}

/* ------------------------------------------------------------ parser */

int brvlan_fdb_parse(const uint8_t *buf, size_t len, struct brvlan_fdb *out)
{
	struct nlmsghdr h;
	struct ndmsg nd;
	size_t off, end;
	bool have_mac = false;

	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
		return -EPROTO;
	if (h.nlmsg_type != RTM_NEWNEIGH)
		return 0;
	if (h.nlmsg_len < NLMSG_LENGTH(sizeof(nd)))
		return -EPROTO;
	memcpy(&nd, buf + NLMSG_HDRLEN, sizeof(nd));
	if (nd.ndm_family != AF_BRIDGE)
		return 0;
	memset(out, 0, sizeof(*out));
	out->ifindex = nd.ndm_ifindex;
	out->state = nd.ndm_state;
	out->flags = nd.ndm_flags;

	/* attributes start after the NLMSG_ALIGNed ndmsg (NDA_RTA) */
	end = h.nlmsg_len;
	for (off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nd))); end - off >= NLA_HDRLEN;) {
		struct nlattr a;
		const uint8_t *v;
		size_t alen;

		memcpy(&a, buf + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > end - off)
			return -EPROTO;
		v = buf + off + NLA_HDRLEN;
		alen = a.nla_len - NLA_HDRLEN;
		switch (a.nla_type & NLA_TYPE_MASK) {
		case NDA_LLADDR:
			/* an Ethernet bridge's FDB holds 6-octet addresses only */
			if (alen == 6) {
				memcpy(out->mac, v, 6);
				have_mac = true;
			}
			break;
		case NDA_VLAN:
			if (alen != 2)
				return -EPROTO;
			memcpy(&out->vlan, v, 2);
			break;
		case NDA_MASTER:
			if (alen != 4)
				return -EPROTO;
			memcpy(&out->master, v, 4);
			break;
		case NDA_FLAGS_EXT:
			if (alen != 4)
				return -EPROTO;
			memcpy(&out->flags_ext, v, 4);
			break;
		default:
			break;
		}
		/* the last attribute's padding may be cut off by nlmsg_len */
		off += (size_t)NLA_ALIGN(a.nla_len) < end - off ? (size_t)NLA_ALIGN(a.nla_len)
		                                                : end - off;
	}
	return have_mac ? 1 : 0;
}

int brvlan_fdb_parse_buf(const uint8_t *buf, size_t len, brvlan_fdb_fn fn, void *arg)
{
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct brvlan_fdb e;
		int r;

		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EPROTO;
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e2;

			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(int)))
				return -EPROTO;
			memcpy(&e2.error, buf + off + NLMSG_HDRLEN, sizeof(int));
			/* an ack (0) inside a dump ends it as NLMSG_DONE would */
			return e2.error < 0 && e2.error > -4096 ? e2.error
			                                        : (e2.error ? -EPROTO : 1);
		}
		r = brvlan_fdb_parse(buf + off, h.nlmsg_len, &e);
		if (r < 0)
			return r;
		if (r && fn)
			fn(arg, &e);
		off += NLMSG_ALIGN(h.nlmsg_len) < len - off ? NLMSG_ALIGN(h.nlmsg_len) : len - off;
	}
	if (off != len)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------ runtime */

static void set_msg(char *errmsg, size_t errlen, const char *s)
{
	if (errmsg && errlen)
		snprintf(errmsg, errlen, "%s", s);
}

/* Extended-ack text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR, if any. */
static void ack_text(const uint8_t *m, size_t len, char *errmsg, size_t errlen)
{
	struct nlmsghdr h, req;
	size_t off;

	memcpy(&h, m, sizeof(h));
	if (!(h.nlmsg_flags & NLM_F_ACK_TLVS) || len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return;
	memcpy(&req, m + NLMSG_HDRLEN + offsetof(struct nlmsgerr, msg), sizeof(req));
	off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	/* the echoed request follows in full unless NLM_F_CAPPED */
	if (!(h.nlmsg_flags & NLM_F_CAPPED))
		off = NLMSG_HDRLEN + NLMSG_ALIGN(offsetof(struct nlmsgerr, msg) + req.nlmsg_len);
	while (off + NLA_HDRLEN <= len) {
		struct nlattr a;

		memcpy(&a, m + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off)
			return;
		if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a.nla_len > NLA_HDRLEN) {
			size_t n =
			        strnlen((const char *)m + off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);

			if (errmsg && errlen)
				snprintf(errmsg, errlen, "%.*s", (int)n,
				         (const char *)m + off + NLA_HDRLEN);
			return;
		}
		off += (size_t)NLA_ALIGN(a.nla_len);
	}
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), one = 1;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 5};

	if (fd < 0)
		return -errno;
	/* the ack's text is what makes a refusal explainable */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Sends one request and reads until its ack / the end of its dump. */
static int nl_transact(const uint8_t *req, int len, uint32_t seq, brvlan_fdb_fn fn, void *arg,
                       char *errmsg, size_t errlen)
{
	/* a dump part is at most 32 KiB (netlink_dump); heap, since fn may
	 * call back into this file */
	const size_t cap = 65536;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint8_t *rbuf;
	int fd, r = 0;

	if (len < 0)
		return len;
	if (!(rbuf = malloc(cap)))
		return -ENOMEM;
	if ((fd = nl_open()) < 0) {
		free(rbuf);
		return fd;
	}
	if (sendto(fd, req, (size_t)len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != len) {
		r = -errno;
		close(fd);
		free(rbuf);
		return r;
	}
	for (;;) {
		ssize_t n = recv(fd, rbuf, cap, 0);
		struct nlmsghdr h;

		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if ((size_t)n < sizeof(h)) {
			r = -EPROTO;
			break;
		}
		memcpy(&h, rbuf, sizeof(h));
		if (h.nlmsg_seq != seq)
			continue;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if ((size_t)n < NLMSG_LENGTH(sizeof(e))) {
				r = -EPROTO;
				break;
			}
			memcpy(&e, rbuf + NLMSG_HDRLEN, sizeof(e));
			r = e.error;
			if (r < 0)
				ack_text(rbuf, (size_t)n, errmsg, errlen);
			break;
		}
		r = brvlan_fdb_parse_buf(rbuf, (size_t)n, fn, arg);
		if (r != 0) {
			r = r > 0 ? 0 : r;
			break;
		}
	}
	close(fd);
	free(rbuf);
	return r;
}

static uint32_t next_seq(void)
{
	static uint32_t seq;

	if (!seq)
		seq = (uint32_t)time(NULL);
	return ++seq;
}

int brvlan_filtering_set(int bridge, bool on, int default_pvid, char *errmsg, size_t errlen)
{
	uint8_t buf[128];
	uint32_t seq = next_seq();
	int r;

	set_msg(errmsg, errlen, "");
	r = nl_transact(buf,
	                brvlan_filtering_build(buf, sizeof(buf), seq, bridge, on, default_pvid),
	                seq, NULL, NULL, errmsg, errlen);
	/* br_vlan_filter_toggle() is a -EOPNOTSUPP stub without the option */
	if (r == -EOPNOTSUPP)
		set_msg(errmsg, errlen,
		        "bridge VLAN filtering is not available in this kernel "
		        "(CONFIG_BRIDGE_VLAN_FILTERING)");
	return r;
}

int brvlan_vlan_dev_add(const char *name, int lower, uint16_t vid, char *errmsg, size_t errlen)
{
	uint8_t buf[160];
	uint32_t seq = next_seq();
	int r;

	set_msg(errmsg, errlen, "");
	r = nl_transact(buf, brvlan_vlan_dev_build(buf, sizeof(buf), seq, name, lower, vid), seq,
	                NULL, NULL, errmsg, errlen);
	/* rtnl_newlink(): no "vlan" link ops registered (and no module to load) */
	if (r == -EOPNOTSUPP)
		set_msg(errmsg, errlen,
		        "802.1Q VLAN devices are not available in this kernel (CONFIG_VLAN_8021Q)");
	return r;
}

int brvlan_fdb_dump(int bridge, brvlan_fdb_fn fn, void *arg, char *errmsg, size_t errlen)
{
	uint8_t buf[64];
	uint32_t seq = next_seq();

	set_msg(errmsg, errlen, "");
	return nl_transact(buf, brvlan_fdb_dump_build(buf, sizeof(buf), seq, bridge), seq, fn, arg,
	                   errmsg, errlen);
}
