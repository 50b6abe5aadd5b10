/*
 * Fuzz target: the bridge FDB dump parser (RTM_NEWNEIGH AF_BRIDGE replies,
 * platform/linux/bridge_vlan.c), on whole recv() buffers and on the first
 * message alone. An accepted entry must come from a message that really is
 * an AF_BRIDGE RTM_NEWNEIGH inside the buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "platform/linux/bridge_vlan.h"

struct count {
	size_t n, max;
};

/* every entry is a message of at least nlmsghdr + ndmsg + one attribute */
static void check(void *arg, const struct brvlan_fdb *e)
{
	struct count *c = arg;

	(void)e;
	if (++c->n > c->max)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brvlan_fdb e;
	struct count c = {.max = size / (NLMSG_HDRLEN + sizeof(struct ndmsg) + NLA_HDRLEN + 6)};
	int r = brvlan_fdb_parse_buf(data, size, check, &c);

	if (r > 1 || r < -4095)
		abort();
	r = brvlan_fdb_parse(data, size, &e);
	if (r == 1) {
		struct nlmsghdr h;
		struct ndmsg nd;

		memcpy(&h, data, sizeof(h));
		memcpy(&nd, data + NLMSG_HDRLEN, sizeof(nd));
		if (h.nlmsg_type != RTM_NEWNEIGH || nd.ndm_family != AF_BRIDGE ||
		    h.nlmsg_len > size || e.ifindex != nd.ndm_ifindex)
			abort();
	} else if (r != 0 && r != -EPROTO) {
		abort();
	}
	return 0;
}
