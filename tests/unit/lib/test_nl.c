/*
 * lib/nl without root: parsing of the rtnetlink messages the monitor and the
 * command socket hand out, the monitor's resync state machine driven by a
 * fake socket (ENOBUFS, failed and interrupted dumps, type filtering), batch
 * bookkeeping, and read-only requests against the kernel (link dumps and
 * gets are allowed to any user).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "lib/log.h"
#include "lib/nl.h"

/* ------------------------------------------------------------ message makers */

static struct nl_msg *link_msg(int ifindex, const char *name, uint32_t mtu, bool del)
{
	struct rtnl_link *l = rtnl_link_alloc();
	struct nl_msg *msg = NULL;

	rtnl_link_set_ifindex(l, ifindex);
	rtnl_link_set_name(l, name);
	rtnl_link_set_mtu(l, mtu);
	if (del)
		assert_int_equal(rtnl_link_build_delete_request(l, &msg), 0);
	else
		assert_int_equal(rtnl_link_build_add_request(l, 0, &msg), 0);
	rtnl_link_put(l);
	return msg;
}

static struct nl_msg *addr_msg(int ifindex, const char *addr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local;
	struct nl_msg *msg = NULL;

	assert_int_equal(nl_addr_parse(addr, AF_UNSPEC, &local), 0);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	assert_int_equal(rtnl_addr_build_add_request(a, 0, &msg), 0);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return msg;
}

/* Copies the message's bytes into buf at *off (NLMSG_ALIGNed); returns the length. */
static size_t append(uint8_t *buf, size_t *off, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	size_t len = h->nlmsg_len;

	memcpy(buf + *off, h, len);
	*off += NLMSG_ALIGN(len);
	nlmsg_free(msg);
	return len;
}

/* ------------------------------------------------------------ recorder */

struct seen {
	char log[4096]; /* "begin link:new:v0 addr4:new end ..." */
	int objs;
};

static void seen_add(struct seen *s, const char *word)
{
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s%s", n ? " " : "", word);
}

static void on_obj(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	struct seen *s = arg;
	char w[64];

	s->objs++;
	if (type == NL_OBJ_LINK || type == NL_OBJ_BRPORT)
		snprintf(w, sizeof(w), "%s:%s:%s", nl_obj_type_name(type), nl_action_name(action),
		         rtnl_link_get_name((struct rtnl_link *)obj));
	else
		snprintf(w, sizeof(w), "%s:%s", nl_obj_type_name(type), nl_action_name(action));
	seen_add(s, w);
}

static void on_begin(void *arg)
{
	seen_add(arg, "begin");
}

static void on_end(void *arg)
{
	seen_add(arg, "end");
}

/* ------------------------------------------------------------ parsing */

static void test_parse_link(void **state)
{
	struct seen s = {0};
	struct nl_msg *m = link_msg(7, "eth7", 9000, false);

	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);
	assert_string_equal(s.log, "link:new:eth7");

	m = link_msg(7, "eth7", 9000, true);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);
	assert_string_equal(s.log, "link:del:eth7");
}

struct link_fields {
	int ifindex;
	unsigned mtu;
	char name[IFNAMSIZ];
};

static void grab_link(void *arg, enum nl_obj_type type, enum nl_action action,
                      struct nl_object *obj)
{
	struct link_fields *f = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;

	f->ifindex = rtnl_link_get_ifindex(l);
	f->mtu = rtnl_link_get_mtu(l);
	snprintf(f->name, sizeof(f->name), "%s", rtnl_link_get_name(l));
}

static void test_parse_fields(void **state)
{
	struct link_fields f = {0};
	struct nl_msg *m = link_msg(42, "swp42", 1496, false);

	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), grab_link, &f), 0);
	nlmsg_free(m);
	assert_int_equal(f.ifindex, 42);
	assert_int_equal(f.mtu, 1496);
	assert_string_equal(f.name, "swp42");
}

static void test_parse_types(void **state)
{
	struct seen s = {0};
	struct nl_msg *m = addr_msg(3, "2001:db8::1/64");
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *a;

	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);
	m = addr_msg(3, "192.0.2.1/24");
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);

	assert_int_equal(nl_addr_parse("198.51.100.0/24", AF_INET, &a), 0);
	rtnl_route_set_dst(r, a);
	nl_addr_put(a);
	rtnl_route_nh_set_ifindex(nh, 3);
	rtnl_route_add_nexthop(r, nh);
	assert_int_equal(rtnl_route_build_add_request(r, 0, &m), 0);
	rtnl_route_put(r);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);

	assert_int_equal(nl_addr_parse("192.0.2.9", AF_INET, &a), 0);
	rtnl_neigh_set_ifindex(n, 3);
	rtnl_neigh_set_dst(n, a);
	nl_addr_put(a);
	assert_int_equal(rtnl_neigh_build_add_request(n, 0, &m), 0);
	rtnl_neigh_put(n);
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_free(m);

	assert_string_equal(s.log, "addr6:new addr4:new route4:new neigh:new");
}

static void test_parse_brport_and_unknown(void **state)
{
	struct seen s = {0};
	struct nl_msg *m = link_msg(5, "swp5", 1500, false);
	struct ifinfomsg *ifi = nlmsg_data(nlmsg_hdr(m));

	/* The same link message as a bridge-port report. */
	ifi->ifi_family = AF_BRIDGE;
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	assert_string_equal(s.log, "brport:new:swp5");
	/* Types the library does not hand out are skipped without error. */
	nlmsg_hdr(m)->nlmsg_type = RTM_NEWRULE;
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	nlmsg_hdr(m)->nlmsg_type = NLMSG_DONE;
	assert_int_equal(nl_parse_msg(nlmsg_hdr(m), on_obj, &s), 0);
	assert_int_equal(s.objs, 1);
	nlmsg_free(m);
}

static void test_parse_malformed(void **state)
{
	struct seen s = {0};
	struct nl_msg *m = link_msg(5, "swp5", 1500, false);
	struct nlmsghdr *h = nlmsg_hdr(m);
	uint32_t len = h->nlmsg_len;
	struct nlattr *first =
	        (struct nlattr *)((uint8_t *)h + NLMSG_LENGTH(sizeof(struct ifinfomsg)));

	/* Shorter than its fixed header. */
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg) - 1);
	assert_int_equal(nl_parse_msg(h, on_obj, &s), -EINVAL);
	h->nlmsg_len = NLMSG_HDRLEN - 1;
	assert_int_equal(nl_parse_msg(h, on_obj, &s), -EINVAL);
	/* An attribute longer than what is left. */
	h->nlmsg_len = len;
	first->nla_len = 0xfff0;
	assert_int_equal(nl_parse_msg(h, on_obj, &s), -EINVAL);
	assert_int_equal(s.objs, 0);
	nlmsg_free(m);
}

static void test_parse_buf(void **state)
{
	uint8_t buf[8192];
	size_t off = 0;
	struct seen s = {0};

	append(buf, &off, link_msg(1, "a0", 1500, false));
	append(buf, &off, addr_msg(1, "192.0.2.1/24"));
	append(buf, &off, link_msg(2, "b0", 1500, true));
	assert_int_equal(nl_parse_buf(buf, off, on_obj, &s), 3);
	assert_string_equal(s.log, "link:new:a0 addr4:new link:del:b0");

	/* The last header claims more than was read: refused as a whole. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_parse_buf(buf, off - 4, on_obj, &s), -EINVAL);
	/* A zero-length header must not loop forever. */
	memset(buf, 0, sizeof(struct nlmsghdr));
	assert_int_equal(nl_parse_buf(buf, off, on_obj, &s), -EINVAL);
	assert_int_equal(nl_parse_buf(buf, 3, on_obj, &s), 0);
}

/* ------------------------------------------------------------ monitor fake */

#define FAKE_Q 16

struct fake {
	/* recv queue: bytes, or an error when err != 0 */
	struct {
		uint8_t buf[2048];
		size_t len;
		int err;
	} q[FAKE_Q];
	int head, tail;
	/* dump content per type: one link and one address message */
	int dump_calls[8];
	unsigned dump_types;
	int dump_fail; /* next dumps return this (-EIO), count in dump_fail_n */
	int dump_fail_n;
	int dump_intr_n; /* next dumps return -EINTR this many times */
	int gen;         /* which link name dumps report: "d<gen>" */
};

static void fake_push_msg(struct fake *f, struct nl_msg *m)
{
	size_t off = 0;

	f->q[f->tail].len = append(f->q[f->tail].buf, &off, m);
	f->q[f->tail].err = 0;
	f->tail++;
}

static void fake_push_err(struct fake *f, int err)
{
	f->q[f->tail].len = 0;
	f->q[f->tail].err = err;
	f->tail++;
}

static ssize_t fake_recv(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (f->head == f->tail)
		return -EAGAIN;
	if (f->q[f->head].err) {
		return f->q[f->head++].err;
	}
	memcpy(buf, f->q[f->head].buf, f->q[f->head].len);
	return (ssize_t)f->q[f->head++].len;
}

static int type_slot(enum nl_obj_type t)
{
	return __builtin_ctz((unsigned)t);
}

static int fake_dump(void *ctx, enum nl_obj_type type, nl_obj_fn fn, void *arg)
{
	struct fake *f = ctx;
	uint8_t buf[4096];
	size_t off = 0;
	char name[16];

	f->dump_calls[type_slot(type)]++;
	f->dump_types |= type;
	if (f->dump_fail_n > 0) {
		f->dump_fail_n--;
		return f->dump_fail;
	}
	if (f->dump_intr_n > 0) {
		f->dump_intr_n--;
		return -EINTR;
	}
	if (type == NL_OBJ_LINK) {
		snprintf(name, sizeof(name), "d%d", f->gen);
		append(buf, &off, link_msg(10, name, 1500, false));
	} else if (type == NL_OBJ_ADDR4) {
		append(buf, &off, addr_msg(10, "192.0.2.10/24"));
	} else {
		return 0;
	}
	return nl_parse_buf(buf, off, fn, arg) < 0 ? -EINVAL : 0;
}

static const struct nl_monitor_cbs mon_cbs = {
        .obj = on_obj,
        .resync_begin = on_begin,
        .resync_end = on_end,
};

static struct nl_monitor *fake_monitor(struct fake *f, unsigned types, struct seen *s)
{
	struct nl_monitor_io io = {.recv = fake_recv, .dump = fake_dump, .ctx = f};
	struct nl_monitor *m = nl_monitor_new_io(types, &io, &mon_cbs, s);

	assert_non_null(m);
	return m;
}

static void test_monitor_initial_and_events(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor_stats st;
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK | NL_OBJ_ADDR4, &s);

	assert_int_equal(nl_monitor_start(m), 0);
	assert_int_equal(nl_monitor_start(m), -EALREADY);
	assert_string_equal(s.log, "begin link:new:d0 addr4:new end");
	/* Only the subscribed types are dumped. */
	assert_int_equal(f.dump_types, NL_OBJ_LINK | NL_OBJ_ADDR4);

	memset(&s, 0, sizeof(s));
	fake_push_msg(&f, link_msg(11, "n1", 1500, false));
	fake_push_msg(&f, addr_msg(11, "2001:db8::5/64")); /* ADDR6: not subscribed */
	fake_push_msg(&f, link_msg(11, "n1", 1500, true));
	assert_int_equal(nl_monitor_poll(m, 0), 3);
	assert_string_equal(s.log, "link:new:n1 link:del:n1");
	assert_int_equal(nl_monitor_poll(m, 0), 0);
	nl_monitor_get_stats(m, &st);
	assert_int_equal(st.messages, 3);
	assert_int_equal(st.resyncs, 1);
	assert_int_equal(st.overflows, 0);
	nl_monitor_free(m);
}

static void test_monitor_budget(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK, &s);

	for (int i = 0; i < 5; i++)
		fake_push_msg(&f, link_msg(20 + i, "x", 1500, false));
	assert_int_equal(nl_monitor_poll(m, 2), 2);
	assert_int_equal(nl_monitor_poll(m, 2), 2);
	assert_int_equal(nl_monitor_poll(m, 2), 1);
	assert_int_equal(s.objs, 5);
	nl_monitor_free(m);
}

static void test_monitor_enobufs_resync(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor_stats st;
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK | NL_OBJ_ADDR4, &s);

	assert_int_equal(nl_monitor_start(m), 0);
	memset(&s, 0, sizeof(s));
	f.gen = 1;
	fake_push_msg(&f, link_msg(11, "before", 1500, false));
	fake_push_err(&f, -ENOBUFS);
	/* Queued behind the overflow: superseded by the dump, so drained unseen. */
	fake_push_msg(&f, link_msg(12, "stale", 1500, false));
	assert_true(nl_monitor_poll(m, 0) >= 2);
	assert_string_equal(s.log, "link:new:before begin link:new:d1 addr4:new end");
	nl_monitor_get_stats(m, &st);
	assert_int_equal(st.overflows, 1);
	assert_int_equal(st.resyncs, 2);

	/* After the resync, notifications flow again. */
	memset(&s, 0, sizeof(s));
	fake_push_msg(&f, link_msg(13, "after", 1500, false));
	assert_int_equal(nl_monitor_poll(m, 0), 1);
	assert_string_equal(s.log, "link:new:after");
	nl_monitor_free(m);
}

static void test_monitor_dump_failure(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor_stats st;
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK | NL_OBJ_ADDR4, &s);

	/* A dump fails: begin without end, so the consumer does not sweep. */
	f.dump_fail = -EIO;
	f.dump_fail_n = 0;
	assert_int_equal(nl_monitor_start(m), 0);
	memset(&s, 0, sizeof(s));
	fake_push_err(&f, -ENOBUFS);
	f.dump_calls[type_slot(NL_OBJ_LINK)] = 0;
	f.dump_fail_n = 1;
	assert_int_equal(nl_monitor_poll(m, 0), -EAGAIN);
	assert_string_equal(s.log, "begin");
	/* The next poll retries the whole resync before reading anything. */
	memset(&s, 0, sizeof(s));
	fake_push_msg(&f, link_msg(14, "later", 1500, false));
	assert_int_equal(nl_monitor_poll(m, 0), 1);
	assert_string_equal(s.log, "begin link:new:d0 addr4:new end link:new:later");
	nl_monitor_get_stats(m, &st);
	assert_int_equal(st.errors, 1);
	nl_monitor_free(m);
}

static void test_monitor_dump_intr(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor_stats st;
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK, &s);

	/* NLM_F_DUMP_INTR twice: the dump is redone within the same resync. */
	f.dump_intr_n = 2;
	assert_int_equal(nl_monitor_start(m), 0);
	assert_string_equal(s.log, "begin link:new:d0 end");
	assert_int_equal(f.dump_calls[type_slot(NL_OBJ_LINK)], 3);
	nl_monitor_get_stats(m, &st);
	assert_int_equal(st.dump_retries, 2);

	/* Explicit resync on request. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nl_monitor_resync(m), 0);
	assert_string_equal(s.log, "begin link:new:d0 end");
	nl_monitor_free(m);
}

static void test_monitor_recv_error(void **state)
{
	struct fake f = {0};
	struct seen s = {0};
	struct nl_monitor_stats st;
	struct nl_monitor *m = fake_monitor(&f, NL_OBJ_LINK, &s);
	uint8_t junk[32] = {0};

	fake_push_err(&f, -EBADF);
	assert_int_equal(nl_monitor_poll(m, 0), -EBADF);
	/* A datagram with a broken header is counted, not delivered. */
	f.q[f.tail].len = sizeof(junk);
	memcpy(f.q[f.tail].buf, junk, sizeof(junk));
	f.q[f.tail++].err = 0;
	assert_int_equal(nl_monitor_poll(m, 0), 1);
	nl_monitor_get_stats(m, &st);
	assert_int_equal(st.errors, 2);
	assert_int_equal(s.objs, 0);
	assert_int_equal(nl_monitor_fd(m), -1);
	nl_monitor_free(m);
}

/* ------------------------------------------------------------ batches */

static void test_batch_bookkeeping(void **state)
{
	struct nl_batch *b = nl_batch_new();
	struct nl_msg *dump = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	struct nl_msg *m;

	assert_non_null(b);
	/* A dump never acks per request: refused. */
	assert_int_equal(nl_batch_add(b, dump), -EINVAL);
	nlmsg_free(dump);
	for (int i = 0; i < 200; i++) {
		m = link_msg(i + 1, "x", 1500, false);
		assert_int_equal(nl_batch_add(b, m), i);
		nlmsg_free(m);
	}
	assert_int_equal(nl_batch_count(b), 200);
	nl_batch_clear(b);
	assert_int_equal(nl_batch_count(b), 0);
	nl_batch_free(b);
}

/* ------------------------------------------------------------ the kernel, read-only */

static void find_lo(void *arg, enum nl_obj_type type, enum nl_action action, struct nl_object *obj)
{
	const char *name = rtnl_link_get_name((struct rtnl_link *)obj);

	if (type == NL_OBJ_LINK && name && strcmp(name, "lo") == 0)
		(*(int *)arg)++;
}

struct errs {
	int n;
	size_t index;
	int err;
};

static void batch_err(void *arg, size_t index, int err, const char *msg)
{
	struct errs *e = arg;

	e->n++;
	e->index = index;
	e->err = err;
}

static void test_cmd_kernel_readonly(void **state)
{
	struct nl_cmd *c = nl_cmd_open();
	struct nl_batch *b = nl_batch_new();
	struct errs e = {0};
	struct nl_msg *m;
	int lo = 0;

	assert_non_null(c);
	assert_non_null(nl_cmd_sock(c));
	assert_int_equal(nl_cmd_dump(c, NL_OBJ_LINK, find_lo, &lo), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(nl_cmd_dump(c, (enum nl_obj_type)0, NULL, NULL), -EINVAL);

	/* A GET with NLM_F_ACK: the object, then the ack. */
	lo = 0;
	assert_int_equal(rtnl_link_build_get_request(0, "lo", &m), 0);
	assert_int_equal(nl_cmd_exchange(c, m, find_lo, &lo), 0);
	nlmsg_free(m);
	assert_int_equal(lo, 1);
	assert_int_equal(rtnl_link_build_get_request(0, "nosuchdev0", &m), 0);
	assert_int_equal(nl_cmd_exchange(c, m, NULL, NULL), -ENODEV);
	nlmsg_free(m);

	/* Three requests in one datagram; the middle one fails, by index. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rtnl_link_build_get_request(0, i == 1 ? "nosuchdev0" : "lo", &m),
		                 0);
		assert_int_equal(nl_batch_add(b, m), i);
		nlmsg_free(m);
	}
	assert_int_equal(nl_cmd_batch(c, b, batch_err, &e), 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.index, 1);
	assert_int_equal(e.err, -ENODEV);
	assert_int_equal(nl_batch_count(b), 0);
	/* An empty batch is a no-op. */
	assert_int_equal(nl_cmd_batch(c, b, batch_err, &e), 0);
	nl_batch_free(b);
	nl_cmd_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_link),
	        cmocka_unit_test(test_parse_fields),
	        cmocka_unit_test(test_parse_types),
	        cmocka_unit_test(test_parse_brport_and_unknown),
	        cmocka_unit_test(test_parse_malformed),
	        cmocka_unit_test(test_parse_buf),
	        cmocka_unit_test(test_monitor_initial_and_events),
	        cmocka_unit_test(test_monitor_budget),
	        cmocka_unit_test(test_monitor_enobufs_resync),
	        cmocka_unit_test(test_monitor_dump_failure),
	        cmocka_unit_test(test_monitor_dump_intr),
	        cmocka_unit_test(test_monitor_recv_error),
	        cmocka_unit_test(test_batch_bookkeeping),
	        cmocka_unit_test(test_cmd_kernel_readonly),
	};

	log_init("test_nl", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
