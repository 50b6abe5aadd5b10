/*
 * Linux bridge VLAN back-end at the message level, without root: the exact
 * bytes of the vlan_filtering, 8021q-device and FDB-dump requests, and the
 * FDB parser on good, truncated and malformed RTM_NEWNEIGH replies.
 *
 * The expected bytes were laid out by hand from the uapi structures —
 * linux/netlink.h struct nlmsghdr (16 octets) and struct nlattr (4, values
 * padded to 4), linux/rtnetlink.h struct ifinfomsg (16) and struct ndmsg
 * (12) — and the attribute numbers of linux/if_link.h (IFLA_IFNAME 3,
 * IFLA_LINK 5, IFLA_MASTER 10, IFLA_LINKINFO 18, IFLA_INFO_KIND 1,
 * IFLA_INFO_DATA 2, IFLA_BR_VLAN_FILTERING 7, IFLA_BR_VLAN_DEFAULT_PVID 39,
 * IFLA_VLAN_ID 1, IFLA_VLAN_PROTOCOL 5) and linux/neighbour.h (NDA_LLADDR 2,
 * NDA_CACHEINFO 3, NDA_VLAN 5, NDA_MASTER 9, NDA_FLAGS_EXT 15); message
 * types RTM_NEWLINK 16, RTM_NEWNEIGH 28, RTM_GETNEIGH 30. Netlink is
 * host-endian (little-endian here); IFLA_VLAN_PROTOCOL is big-endian.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "platform/linux/bridge_vlan.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the expected netlink bytes below are little-endian (netlink uses host order)"
#endif

static void test_filtering(void **state)
{
	/* ip link set dev <4> type bridge vlan_filtering 1 */
	static const uint8_t want[] = {
	        0x3c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, /* len 60, NEWLINK, REQ|ACK */
	        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 1, pid 0 */
	        0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, /* AF_UNSPEC, type 0, index 4 */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* flags, change */
	        0x1c, 0x00, 0x12, 0x80,                         /* LINKINFO|NESTED, 28 */
	        0x0b, 0x00, 0x01, 0x00, 'b',  'r',  'i',  'd',  /* INFO_KIND "bridge" */
	        'g',  'e',  0x00, 0x00,                         /* NUL + 1 pad */
	        0x0c, 0x00, 0x02, 0x80,                         /* INFO_DATA|NESTED, 12 */
	        0x05, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, /* VLAN_FILTERING u8 1 + pad */
	};
	/* ... vlan_filtering 0 vlan_default_pvid 0 */
	static const uint8_t want_pvid[] = {
	        0x44, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x12, 0x80, /* LINKINFO 36 */
	        0x0b, 0x00, 0x01, 0x00, 'b',  'r',  'i',  'd',  'g',  'e',  0x00, 0x00, 0x14,
	        0x00, 0x02, 0x80,                               /* INFO_DATA 20 */
	        0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, /* VLAN_FILTERING 0 */
	        0x06, 0x00, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, /* DEFAULT_PVID u16 0 */
	};
	uint8_t buf[128];

	(void)state;
	assert_int_equal(brvlan_filtering_build(buf, sizeof(buf), 1, 4, true, -1), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(brvlan_filtering_build(buf, sizeof(buf), 2, 4, false, 0),
	                 sizeof(want_pvid));
	assert_memory_equal(buf, want_pvid, sizeof(want_pvid));
	assert_int_equal(brvlan_filtering_build(buf, sizeof(want) - 1, 1, 4, true, -1), -ENOSPC);
	assert_int_equal(brvlan_filtering_build(buf, sizeof(buf), 1, 0, true, -1), -EINVAL);
	assert_int_equal(brvlan_filtering_build(buf, sizeof(buf), 1, 4, true, 4095), -EINVAL);
	assert_int_equal(brvlan_filtering_build(buf, sizeof(buf), 1, 4, true, 4094), 68);
}

static void test_vlan_dev(void **state)
{
	/* ip link add link <4> name irb.10 type vlan id 10 */
	static const uint8_t want[] = {
	        0x58, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x06, /* len 88, NEWLINK,
	                                                           REQ|ACK|EXCL|CREATE */
	        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 2 */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ifinfomsg: all zero */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
	        0x00, 0x03, 0x00, 'i',  'r',  'b',  '.',        /* IFNAME "irb.10" */
	        '1',  '0',  0x00, 0x00,                         /* NUL + 1 pad */
	        0x08, 0x00, 0x05, 0x00, 0x04, 0x00, 0x00, 0x00, /* LINK u32 4 */
	        0x24, 0x00, 0x12, 0x80,                         /* LINKINFO|NESTED, 36 */
	        0x09, 0x00, 0x01, 0x00, 'v',  'l',  'a',  'n',  /* INFO_KIND "vlan" */
	        0x00, 0x00, 0x00, 0x00,                         /* NUL + 3 pad */
	        0x14, 0x00, 0x02, 0x80,                         /* INFO_DATA|NESTED, 20 */
	        0x06, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, /* VLAN_ID u16 10 */
	        0x06, 0x00, 0x05, 0x00, 0x81, 0x00, 0x00, 0x00, /* VLAN_PROTOCOL be16 0x8100 */
	};
	uint8_t buf[160];

	(void)state;
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "irb.10", 4, 10), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(brvlan_vlan_dev_build(buf, 87, 2, "irb.10", 4, 10), -ENOSPC);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "irb.10", 4, 0), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "irb.10", 4, 4095), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "irb.10", 0, 10), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "", 4, 10), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "0123456789abcdef", 4, 10),
	                 -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "a/b", 4, 10), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "..", 4, 10), -EINVAL);
	assert_int_equal(brvlan_vlan_dev_build(buf, sizeof(buf), 2, "0123456789abcde", 4, 10), 96);
}

static void test_fdb_dump_req(void **state)
{
	/* bridge fdb show br <4> */
	static const uint8_t want[] = {
	        0x28, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x03, /* len 40, GETNEIGH, REQ|DUMP */
	        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 3 */
	        0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* AF_BRIDGE, index 0 */
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	        0x08, 0x00, 0x0a, 0x00, 0x04, 0x00, 0x00, 0x00, /* IFLA_MASTER u32 4 */
	};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(brvlan_fdb_dump_build(buf, sizeof(buf), 3, 4), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* every bridge: no IFLA_MASTER */
	assert_int_equal(brvlan_fdb_dump_build(buf, sizeof(buf), 3, 0), 32);
	assert_int_equal(buf[0], 32);
	assert_int_equal(brvlan_fdb_dump_build(buf, sizeof(buf), 3, -1), -EINVAL);
	assert_int_equal(brvlan_fdb_dump_build(buf, 39, 3, 4), -ENOSPC);
}

/* RTM_NEWNEIGH AF_BRIDGE: 02:00:00:00:00:0a learned on port 5 of bridge 4
 * in VLAN 10, locked (MAB), REACHABLE, NTF_MASTER; 84 octets */
static const uint8_t entry[] = {
        0x54, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x00, /* len 84, NEWNEIGH, MULTI */
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 9 */
        0x07, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* ndmsg: AF_BRIDGE, ifindex 5 */
        0x02, 0x00, 0x04, 0x00,                         /* REACHABLE, NTF_MASTER, type */
        0x0a, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, /* LLADDR */
        0x00, 0x0a, 0x00, 0x00,                         /*   + 2 pad */
        0x06, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x00, 0x00, /* VLAN 10 */
        0x08, 0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x00, /* MASTER 4 */
        0x08, 0x00, 0x0f, 0x00, 0x02, 0x00, 0x00, 0x00, /* FLAGS_EXT NTF_EXT_LOCKED */
        0x14, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, /* CACHEINFO (skipped) */
        0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_fdb_parse(void **state)
{
	struct brvlan_fdb e;

	(void)state;
	assert_int_equal(sizeof(entry), 84);
	assert_int_equal(brvlan_fdb_parse(entry, sizeof(entry), &e), 1);
	assert_int_equal(e.ifindex, 5);
	assert_int_equal(e.master, 4);
	assert_memory_equal(e.mac, "\x02\x00\x00\x00\x00\x0a", 6);
	assert_int_equal(e.vlan, 10);
	assert_int_equal(e.state, 0x02);
	assert_int_equal(e.flags, 0x04);
	assert_int_equal(e.flags_ext, NTF_EXT_LOCKED);
}

static void test_fdb_parse_bad(void **state)
{
	uint8_t m[sizeof(entry)];
	struct brvlan_fdb e;

	(void)state;
	/* truncated: buffer shorter than nlmsg_len, or than a header */
	assert_int_equal(brvlan_fdb_parse(entry, sizeof(entry) - 1, &e), -EPROTO);
	assert_int_equal(brvlan_fdb_parse(entry, 15, &e), -EPROTO);
	/* nlmsg_len too short for ndmsg */
	memcpy(m, entry, sizeof(m));
	m[0] = 20;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), -EPROTO);
	/* an attribute running past the message */
	memcpy(m, entry, sizeof(m));
	m[28] = 0x40;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), -EPROTO);
	/* an attribute shorter than its header */
	m[28] = 0x03;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), -EPROTO);
	/* NDA_VLAN of 3 octets */
	memcpy(m, entry, sizeof(m));
	m[40] = 0x07;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), -EPROTO);
	/* a cut-off last attribute's padding is fine: drop CACHEINFO, nlmsg_len
	 * ends right after FLAGS_EXT */
	memcpy(m, entry, sizeof(m));
	m[0] = 64;
	assert_int_equal(brvlan_fdb_parse(m, 64, &e), 1);
	/* not AF_BRIDGE (an ARP entry) and not NEWNEIGH: skipped */
	memcpy(m, entry, sizeof(m));
	m[16] = 2;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), 0);
	memcpy(m, entry, sizeof(m));
	m[4] = 0x10;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), 0);
	/* no 6-octet LLADDR (an 8-octet one is not an Ethernet FDB row) */
	memcpy(m, entry, sizeof(m));
	m[28] = 0x0c;
	assert_int_equal(brvlan_fdb_parse(m, sizeof(m), &e), 0);
}

struct seen {
	int n;
	uint16_t vlan[4];
};

static void count(void *arg, const struct brvlan_fdb *e)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->vlan[s->n] = e->vlan;
	s->n++;
}

static void test_fdb_parse_buf(void **state)
{
	static const uint8_t done[] = {0x14, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x09, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	/* NLMSG_ERROR -EOPNOTSUPP (-95) */
	static const uint8_t err[] = {0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09,
	                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa1, 0xff,
	                              0xff, 0xff, 0x10, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x01,
	                              0x03, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t buf[2 * sizeof(entry) + sizeof(done)];
	struct seen s = {0};

	(void)state;
	memcpy(buf, entry, sizeof(entry));
	memcpy(buf + sizeof(entry), entry, sizeof(entry));
	buf[sizeof(entry) + 40 + 4] = 20; /* second entry: VLAN 20 */
	memcpy(buf + 2 * sizeof(entry), done, sizeof(done));
	assert_int_equal(brvlan_fdb_parse_buf(buf, sizeof(buf), count, &s), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.vlan[0], 10);
	assert_int_equal(s.vlan[1], 20);
	/* without DONE: more to come */
	s.n = 0;
	assert_int_equal(brvlan_fdb_parse_buf(buf, 2 * sizeof(entry), count, &s), 0);
	assert_int_equal(s.n, 2);
	/* trailing bytes shorter than a header */
	assert_int_equal(brvlan_fdb_parse_buf(buf, sizeof(entry) + 8, count, &s), -EPROTO);
	/* a message longer than the buffer */
	assert_int_equal(brvlan_fdb_parse_buf(buf, sizeof(entry) + 20, count, &s), -EPROTO);
	assert_int_equal(brvlan_fdb_parse_buf(err, sizeof(err), count, &s), -EOPNOTSUPP);
	/* NLMSG_ERROR without its error code */
	buf[0] = 16;
	buf[4] = 2;
	assert_int_equal(brvlan_fdb_parse_buf(buf, 16, count, &s), -EPROTO);
	assert_int_equal(brvlan_fdb_parse_buf(buf, 0, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_filtering),     cmocka_unit_test(test_vlan_dev),
	        cmocka_unit_test(test_fdb_dump_req),  cmocka_unit_test(test_fdb_parse),
	        cmocka_unit_test(test_fdb_parse_bad), cmocka_unit_test(test_fdb_parse_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
