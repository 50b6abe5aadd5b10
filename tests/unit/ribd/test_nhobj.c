/*
 * daemons/ribd/nhobj.c: the exact bytes of the rtnetlink requests the FIB
 * sends (RTM_NEWNEXTHOP single and group, RTM_DELNEXTHOP, RTM_NEWROUTE with
 * RTA_NH_ID, inline RTA_GATEWAY/RTA_OIF and RTA_MULTIPATH, RTM_DELROUTE),
 * checked against layouts written out by hand from include/uapi/linux/
 * nexthop.h and rtnetlink.h (host byte order: these goldens are
 * little-endian); the RTM_NEWNEXTHOP parser (round trip, truncated,
 * malformed, oversized); and next-hop set interning.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemons/ribd/nhobj.h"

#define ID1 0x6b000001u
#define ID2 0x6b000002u

static struct rib_nh NH(const char *gw, int ifindex) {
	struct rib_nh nh;

	memset(&nh, 0, sizeof(nh));
	if (gw)
		assert_int_equal(plat_ip_parse(gw, &nh.gw), 0);
	nh.ifindex = ifindex;
	return nh;
}

static void
assert_bytes(const uint8_t *got, ssize_t len, const uint8_t *want, size_t wlen)
{
	assert_int_equal(len, (ssize_t)wlen);
	for (size_t i = 0; i < wlen; i++)
		if (got[i] != want[i]) {
			print_error("byte %zu: got 0x%02x, want 0x%02x\n", i, got[i], want[i]);
			fail();
		}
}

static void test_nexthop(void **state)
{
	uint8_t buf[256];
	struct rib_nh nh = NH("192.0.2.1", 3);
	static const uint8_t want[] = {
	        48,   0,    0,   0, /* nlmsg_len */
	        104,  0,            /* RTM_NEWNEXTHOP */
	        0x01, 0x05,         /* REQUEST | REPLACE | CREATE */
	        7,    0,    0,   0, /* seq */
	        0,    0,    0,   0, /* pid */
	        2,    0,    200, 0, /* nh_family AF_INET, scope, protocol 200, resvd */
	        0,    0,    0,   0, /* nh_flags */
	        8,    0,    1,   0, 0x01, 0x00, 0x00, 0x6b, /* NHA_ID */
	        8,    0,    5,   0, 3,    0,    0,    0,    /* NHA_OIF 3 */
	        8,    0,    6,   0, 192,  0,    2,    1,    /* NHA_GATEWAY */
	};

	(void)state;
	assert_bytes(
	        buf,
	        nhobj_enc_nexthop(buf, sizeof(buf), NLM_F_CREATE | NLM_F_REPLACE, 7, ID1, 200, &nh),
	        want, sizeof(want));
	/* Too small a buffer is refused, never overrun. */
	assert_int_equal(nhobj_enc_nexthop(buf, 40, 0, 7, ID1, 200, &nh), -ENOSPC);
}

static void test_group_and_delete(void **state)
{
	uint8_t buf[256];
	uint32_t ids[2] = {ID1, ID2};
	static const uint8_t want[] = {
	        52,   0, 0, 0,    104,  0,   0x01, 0x05, 9, 0, 0, 0, 0,
	        0,    0, 0, 0,    0,    200, 0,    0,    0, 0, 0, /* AF_UNSPEC: a group has no
	                                                             family */
	        8,    0, 1, 0,    0x03, 0,   0,    0x6b,          /* NHA_ID 0x6b000003 */
	        20,   0, 2, 0,                                    /* NHA_GROUP, two nexthop_grp */
	        0x01, 0, 0, 0x6b, 0,    0,   0,    0,             /* id, weight 0 (= 1), resvd */
	        0x02, 0, 0, 0x6b, 0,    0,   0,    0,
	};
	static const uint8_t want_del[] = {
	        32, 0, 0, 0, 105, 0, 0x01, 0, 10, 0, 0, 0, 0,    0, 0, 0, /* RTM_DELNEXTHOP */
	        0,  0, 0, 0, 0,   0, 0,    0, 8,  0, 1, 0, 0x01, 0, 0, 0x6b,
	};

	(void)state;
	assert_bytes(buf,
	             nhobj_enc_group(buf, sizeof(buf), NLM_F_CREATE | NLM_F_REPLACE, 9, 0x6b000003,
	                             200, ids, 2),
	             want, sizeof(want));
	assert_int_equal(nhobj_enc_group(buf, sizeof(buf), 0, 9, 1, 200, ids, 0), -EINVAL);
	assert_bytes(buf, nhobj_enc_delnexthop(buf, sizeof(buf), 10, ID1), want_del,
	             sizeof(want_del));
}

static void test_route_nhid(void **state)
{
	uint8_t buf[256];
	struct plat_prefix p;
	struct nhobj_route r = {
	        .pfx = &p, .protocol = 200, .type = RTN_UNICAST, .priority = 20, .nhid = ID1};
	static const uint8_t want[] = {
	        52,  0,   0,  0, 24,   0, 0x01, 0x05, 11, 0, 0, 0, 0, 0, 0, 0, /* RTM_NEWROUTE */
	        2,   24,  0,  0, /* family, dst_len, src_len, tos */
	        254, 200, 0,  1, /* table main, protocol, scope universe, unicast */
	        0,   0,   0,  0, /* rtm_flags */
	        8,   0,   1,  0, 10,   1, 2,    0,    /* RTA_DST 10.1.2.0 */
	        8,   0,   6,  0, 20,   0, 0,    0,    /* RTA_PRIORITY 20 */
	        8,   0,   30, 0, 0x01, 0, 0,    0x6b, /* RTA_NH_ID */
	};
	static const uint8_t want_del[] = {
	        44, 0,  0, 0, 25,  0,   0x01, 0, 12, 0, 0, 0, 0,  0, 0, 0, /* RTM_DELROUTE */
	        2,  24, 0, 0, 254, 200, 255,  1, 0,  0, 0, 0, /* scope NOWHERE: match any */
	        8,  0,  1, 0, 10,  1,   2,    0, 8,  0, 6, 0, 20, 0, 0, 0,
	};

	(void)state;
	assert_int_equal(plat_prefix_parse("10.1.2.0/24", &p), 0);
	assert_bytes(buf,
	             nhobj_enc_route(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
	                             11, &r),
	             want, sizeof(want));
	assert_bytes(buf, nhobj_enc_route(buf, sizeof(buf), RTM_DELROUTE, 0, 12, &r), want_del,
	             sizeof(want_del));
}

static void test_route_inline(void **state)
{
	uint8_t buf[512];
	struct plat_prefix p;
	struct rib_nh nh[2] = {NH("192.168.12.2", 2), NH("192.168.13.2", 3)};
	struct nhobj_route r = {.pfx = &p,
	                        .protocol = 200,
	                        .type = RTN_UNICAST,
	                        .priority = 5,
	                        .n_nh = 1,
	                        .nh = nh};
	static const uint8_t
	        want1[] =
	                {
	                        60, 0, 0, 0, 24,  0,   0x01, 0x05, 1,   0, 0, 0, 0,
	                        0,  0, 0, 2, 8,   0,   0,    254,  200, 0, 1, 0, 0,
	                        0,  0, 8, 0, 1,   0,   10,   0,    0,   0, /* RTA_DST 10.0.0.0
	                                                                    */
	                        8,  0, 6, 0, 5,   0,   0,    0,            /* RTA_PRIORITY */
	                        8,  0, 5, 0, 192, 168, 12,   2,            /* RTA_GATEWAY */
	                        8,  0, 4, 0, 2,   0,   0,    0,            /* RTA_OIF */
	                };
	static const uint8_t want2[] = {
	        80, 0, 0, 0, 24,  0,   0x01, 0x05, 2, 0, 0, 0, 0,   0,   0,  0,
	        2,  8, 0, 0, 254, 200, 0,    1,    0, 0, 0, 0, 8,   0,   1,  0,
	        10, 0, 0, 0, 8,   0,   6,    0,    5, 0, 0, 0, 36,  0,   9,  0, /* RTA_MULTIPATH */
	        16, 0, 0, 0, 2,   0,   0,    0, /* rtnexthop: len, flags, hops, ifindex 2 */
	        8,  0, 5, 0, 192, 168, 12,   2, /* its RTA_GATEWAY */
	        16, 0, 0, 0, 3,   0,   0,    0,    8, 0, 5, 0, 192, 168, 13, 2,
	};
	static const uint8_t want_if[] = {
	        52, 0, 0, 0, 24, 0, 0x01, 0x05, 3,   0, 0, 0, 0, 0,
	        0,  0, 2, 8, 0,  0, 254,  200,  253, 1, /* scope LINK: out of an interface */
	        0,  0, 0, 0, 8,  0, 1,    0,    10,  0, 0, 0, 8, 0,
	        6,  0, 5, 0, 0,  0, 8,    0,    4,   0, 7, 0, 0, 0,
	};
	struct rib_nh ifonly = NH(NULL, 7);

	(void)state;
	assert_int_equal(plat_prefix_parse("10.0.0.0/8", &p), 0);
	assert_bytes(buf,
	             nhobj_enc_route(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
	                             1, &r),
	             want1, sizeof(want1));
	r.n_nh = 2;
	assert_bytes(buf,
	             nhobj_enc_route(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
	                             2, &r),
	             want2, sizeof(want2));
	assert_int_equal(
	        nhobj_enc_route(buf, 70, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, 2, &r),
	        -ENOSPC);
	r.n_nh = 1;
	r.nh = &ifonly;
	assert_bytes(buf,
	             nhobj_enc_route(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
	                             3, &r),
	             want_if, sizeof(want_if));
}

static void test_parse(void **state)
{
	uint8_t buf[256];
	struct rib_nh nh = NH("2001:db8::1", 4);
	uint32_t ids[3] = {ID1, ID2, 0x6b000009};
	struct nhobj_kern k;
	ssize_t len;

	(void)state;
	len = nhobj_enc_nexthop(buf, sizeof(buf), 0, 1, ID2, 200, &nh);
	assert_true(len > 0);
	assert_int_equal(nhobj_parse(buf, (size_t)len, &k), 0);
	assert_int_equal(k.id, ID2);
	assert_int_equal(k.protocol, 200);
	assert_int_equal(k.family, AF_INET6);
	assert_false(k.is_group);
	assert_int_equal(k.nh.ifindex, 4);
	assert_true(plat_ip_equal(&k.nh.gw, &nh.gw));
	/* Truncated anywhere: refused. */
	for (ssize_t cut = 0; cut < len; cut++)
		assert_int_equal(nhobj_parse(buf, (size_t)cut, &k), -EINVAL);

	len = nhobj_enc_group(buf, sizeof(buf), 0, 1, 0x6b000010, 200, ids, 3);
	assert_int_equal(nhobj_parse(buf, (size_t)len, &k), 0);
	assert_true(k.is_group);
	assert_int_equal(k.n_group, 3);
	assert_int_equal(k.group[2], 0x6b000009);

	/* An attribute longer than the message. */
	buf[24] = 200;
	assert_int_equal(nhobj_parse(buf, (size_t)len, &k), -EINVAL);
	/* A group of more members than a route may have. */
	{
		uint32_t many[RIB_MAX_NH + 1];
		uint8_t big[1024];

		for (size_t i = 0; i <= RIB_MAX_NH; i++)
			many[i] = ID1 + (uint32_t)i;
		assert_int_equal(
		        nhobj_enc_group(big, sizeof(big), 0, 1, 5, 200, many, RIB_MAX_NH + 1),
		        -EINVAL);
		len = nhobj_enc_group(big, sizeof(big), 0, 1, 5, 200, many, RIB_MAX_NH);
		assert_int_equal(nhobj_parse(big, (size_t)len, &k), 0);
		/* Grow the NHA_GROUP attribute by one member by hand. */
		memset(big + len, 0, 8);
		big[32] = (uint8_t)(big[32] + 8); /* NHA_GROUP rta_len low byte */
		((struct nlmsghdr *)big)->nlmsg_len += 8;
		assert_int_equal(nhobj_parse(big, (size_t)len + 8, &k), -EINVAL);
	}
	/* Not a nexthop message, or no id. */
	len = nhobj_enc_delnexthop(buf, sizeof(buf), 1, ID1);
	assert_int_equal(nhobj_parse(buf, (size_t)len, &k), -EINVAL);
}

static void test_sets(void **state)
{
	struct rib_nh a[2] = {NH("192.0.2.1", 2), NH("192.0.2.2", 3)};
	struct rib_nh b[2] = {NH("192.0.2.1", 2), NH("192.0.2.2", 3)};
	const struct rib_nh *s1, *s2, *s3;
	int err;

	(void)state;
	assert_null(nhset_get(a, 0, &err));
	assert_int_equal(err, 0);
	s1 = nhset_get(a, 2, &err);
	s2 = nhset_get(b, 2, &err);
	assert_non_null(s1);
	assert_ptr_equal(s1, s2); /* one copy for equal content */
	assert_int_equal(nhset_of(s1)->refs, 2);
	assert_int_equal(nhset_count(), 1);
	b[1].track = 9; /* a tracked next hop is another set */
	s3 = nhset_get(b, 2, &err);
	assert_ptr_not_equal(s1, s3);
	assert_int_equal(nhset_count(), 2);
	nhset_put(s1);
	nhset_put(s2);
	nhset_put(s3);
	assert_int_equal(nhset_count(), 0);
	/* Many sets: the table grows and finds each again. */
	for (int i = 0; i < 2000; i++) {
		struct rib_nh nh = NH("10.0.0.1", i + 1);

		assert_non_null(nhset_get(&nh, 1, &err));
	}
	for (int i = 0; i < 2000; i++) {
		struct rib_nh nh = NH("10.0.0.1", i + 1);
		const struct rib_nh *s = nhset_get(&nh, 1, &err);

		assert_int_equal(nhset_of(s)->refs, 2);
		nhset_put(s);
		nhset_put(s);
	}
	assert_int_equal(nhset_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nexthop),    cmocka_unit_test(test_group_and_delete),
	        cmocka_unit_test(test_route_nhid), cmocka_unit_test(test_route_inline),
	        cmocka_unit_test(test_parse),      cmocka_unit_test(test_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
