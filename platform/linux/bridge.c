/*
 * Bridge ports: port flags, VLANs and the 802.1X lock. libnl 3.7 builds none
 * of these (port VLANs need 3.10, LOCKED / MAB 3.11), so the AF_BRIDGE
 * RTM_SETLINK / RTM_DELLINK requests are built here attribute by attribute
 * (uapi linux/if_bridge.h, linux/if_link.h). Enslave / release is a plain
 * IFLA_MASTER change (links.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/attr.h>

#include "platform/linux/linux.h"

/* nlmsghdr + ifinfomsg{AF_BRIDGE, ifindex}: the head of every request here. */
static struct nl_msg *bridge_msg(int type, int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static int put_vlan_info(struct nl_msg *msg, uint16_t flags, uint16_t vid)
{
	struct bridge_vlan_info vi = {.flags = flags, .vid = vid};

	return nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi);
}

/* 802.1Q-2018 §9.6: VID 0 and 4095 are reserved. */
static bool vid_ok(uint16_t vid)
{
	return vid >= 1 && vid <= 4094;
}

int plat_linux_bridge_vlan_msg(int ifindex, const struct plat_bridge_vlan *v, size_t n, bool add,
                               bool self, struct nl_msg **out)
{
	struct nl_msg *msg;
	struct nlattr *spec;

	if (ifindex <= 0)
		return -ENODEV;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		bool range = v[i].vid_end && v[i].vid_end != v[i].vid;

		if (!vid_ok(v[i].vid) ||
		    (range && (!vid_ok(v[i].vid_end) || v[i].vid_end < v[i].vid || v[i].pvid)))
			return -EINVAL;
	}
	if (!(msg = bridge_msg(add ? RTM_SETLINK : RTM_DELLINK, ifindex)))
		return -ENOMEM;
	if (!(spec = nla_nest_start(msg, IFLA_AF_SPEC)) ||
	    nla_put_u16(msg, IFLA_BRIDGE_FLAGS, self ? BRIDGE_FLAGS_SELF : BRIDGE_FLAGS_MASTER) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		uint16_t flags = 0;

		/* PVID / untagged describe membership; a delete names only the VIDs. */
		if (add && v[i].pvid)
			flags |= BRIDGE_VLAN_INFO_PVID;
		if (add && v[i].untagged)
			flags |= BRIDGE_VLAN_INFO_UNTAGGED;
		if (v[i].vid_end && v[i].vid_end != v[i].vid) {
			if (put_vlan_info(msg, flags | BRIDGE_VLAN_INFO_RANGE_BEGIN, v[i].vid) <
			            0 ||
			    put_vlan_info(msg, flags | BRIDGE_VLAN_INFO_RANGE_END, v[i].vid_end) <
			            0)
				goto nomem;
		} else if (put_vlan_info(msg, flags, v[i].vid) < 0) {
			goto nomem;
		}
	}
	nla_nest_end(msg, spec);
	*out = msg;
	return 0;
nomem:
	nlmsg_free(msg);
	return -ENOMEM;
}

int plat_linux_brport_flags_msg(int ifindex, const struct plat_brport_flags *f, struct nl_msg **out)
{
	const struct {
		int attr;
		enum plat_flag val;
	} attrs[] = {
	        {IFLA_BRPORT_LEARNING, f->learning},
	        {IFLA_BRPORT_UNICAST_FLOOD, f->unicast_flood},
	        {IFLA_BRPORT_MCAST_FLOOD, f->mcast_flood},
	        {IFLA_BRPORT_BCAST_FLOOD, f->bcast_flood},
	        {IFLA_BRPORT_LOCKED, f->locked},
	        {IFLA_BRPORT_MAB, f->mab},
	};
	struct nl_msg *msg;
	struct nlattr *info;
	int set = 0;

	if (ifindex <= 0)
		return -ENODEV;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].val != PLAT_FLAG_KEEP && attrs[i].val != PLAT_FLAG_OFF &&
		    attrs[i].val != PLAT_FLAG_ON)
			return -EINVAL;
		set += attrs[i].val != PLAT_FLAG_KEEP;
	}
	if (!set)
		return -EINVAL;
	if (!(msg = bridge_msg(RTM_SETLINK, ifindex)))
		return -ENOMEM;
	/* NLA_F_NESTED (set by nla_nest_start) selects br_setport(), not the old u8 STP state. */
	if (!(info = nla_nest_start(msg, IFLA_PROTINFO)))
		goto nomem;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attrs[i].val != PLAT_FLAG_KEEP &&
		    nla_put_u8(msg, attrs[i].attr, attrs[i].val == PLAT_FLAG_ON) < 0)
			goto nomem;
	nla_nest_end(msg, info);
	*out = msg;
	return 0;
nomem:
	nlmsg_free(msg);
	return -ENOMEM;
}

int plat_linux_port_lock_msg(int ifindex, bool locked, bool mab, struct nl_msg **out)
{
	struct plat_brport_flags f;

	plat_brport_flags_init(&f);
	f.locked = locked ? PLAT_FLAG_ON : PLAT_FLAG_OFF;
	f.mab = mab ? PLAT_FLAG_ON : PLAT_FLAG_OFF;
	if (mab)
		f.learning = PLAT_FLAG_ON;
	return plat_linux_brport_flags_msg(ifindex, &f, out);
}

int lp_bridge_port_flags(void *priv, int port, const struct plat_brport_flags *f)
{
	struct nl_msg *msg;
	int err = plat_linux_brport_flags_msg(port, f, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}

/* Without CONFIG_BRIDGE_VLAN_FILTERING the kernel's nbp_vlan_add/delete
 * stubs answer -EOPNOTSUPP with no extended ack: say what is missing. */
static int vlan_result(struct lp *lp, int err)
{
	if (err == -EOPNOTSUPP)
		snprintf(lp->errmsg, sizeof(lp->errmsg), "%s",
		         "bridge VLAN filtering is not available in this kernel "
		         "(CONFIG_BRIDGE_VLAN_FILTERING)");
	return err;
}

int lp_bridge_vlan_add(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self)
{
	struct nl_msg *msg;
	int err = plat_linux_bridge_vlan_msg(port, v, n, true, self, &msg);

	return err < 0 ? err : vlan_result(priv, lp_request(priv, msg));
}

int lp_bridge_vlan_del(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self)
{
	struct nl_msg *msg;
	int err = plat_linux_bridge_vlan_msg(port, v, n, false, self, &msg);

	return err < 0 ? err : vlan_result(priv, lp_request(priv, msg));
}

int lp_port_authorize(void *priv, int port, bool locked, bool mab)
{
	struct nl_msg *msg;
	int err = plat_linux_port_lock_msg(port, locked, mab, &msg);

	return err < 0 ? err : lp_request(priv, msg);
}
