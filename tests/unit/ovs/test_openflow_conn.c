/*
 * The OpenFlow connection against a scripted fake switch on a unix socket
 * (no root, no Open vSwitch): version negotiation (an OpenFlow 1.0-only
 * peer gets HELLO_FAILED and a reconnect), the start-up sequence, the exact
 * messages each port / MAC change produces (adds before deletes, NO_FWD
 * only while nothing is admitted), barrier-based "applied", echo, switch
 * errors, a PORT_STATUS that undoes our NO_FWD, the two-generation resync
 * after a reconnect, and a malformed message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ev.h"
#include "platform/ovs/openflow.h"

struct sw {
	struct event_base *base;
	struct ovs_of *of;
	int lfd, fd;
	uint8_t in[65536];
	size_t have;
	uint8_t msg[65536]; /* the last message read */
	struct ovs_of_msg m;
	int applied;
	char dir[32], path[64];
};

static void on_applied(void *arg)
{
	((struct sw *)arg)->applied++;
}

static void pump(struct sw *s, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	do {
		event_base_loop(s->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(500);
	} while (mono_ms() < end);
}

static void sw_accept(struct sw *s)
{
	uint64_t end = mono_ms() + 3000;

	s->fd = -1;
	s->have = 0;
	while (s->fd < 0 && mono_ms() < end) {
		event_base_loop(s->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		s->fd = accept(s->lfd, NULL, NULL);
		if (s->fd < 0)
			usleep(1000);
	}
	assert_true(s->fd >= 0);
}

/* Reads the next message into s->msg / s->m; false on EOF or timeout. */
static bool sw_next(struct sw *s, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int r = ovs_of_decode(s->in, s->have, &s->m);

		assert_true(r >= 0);
		if (r > 0) {
			memcpy(s->msg, s->in, (size_t)r);
			memmove(s->in, s->in + r, s->have - (size_t)r);
			s->have -= (size_t)r;
			/* re-point the views into the saved copy */
			assert_int_equal(ovs_of_decode(s->msg, (size_t)r, &s->m), r);
			return true;
		}
		if (mono_ms() > end)
			return false;
		event_base_loop(s->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (poll(&p, 1, 2) == 1) {
			ssize_t n = read(s->fd, s->in + s->have, sizeof(s->in) - s->have);

			if (n <= 0)
				return false;
			s->have += (size_t)n;
		}
	}
}

static const struct ovs_of_msg *expect(struct sw *s, uint8_t type)
{
	if (!sw_next(s, 2000))
		fail_msg("no message, wanted %s", ovs_of_type_name(type));
	if (s->m.type != type)
		fail_msg("got %s, wanted %s", ovs_of_type_name(s->m.type), ovs_of_type_name(type));
	return &s->m;
}

static void sw_send(struct sw *s, const uint8_t *b, int len)
{
	assert_true(len > 0);
	assert_int_equal(write(s->fd, b, (size_t)len), len);
}

/* FLOW_MOD fields at their ofp_flow_mod offsets (OF 1.3.5 §7.3.4.1) */
static uint64_t fm_u64(const uint8_t *m, size_t off)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | m[off + (size_t)i];
	return v;
}
#define FM_COOKIE(m) fm_u64(m, 8)
#define FM_MASK(m)   fm_u64(m, 16)
#define FM_TABLE(m)  ((m)[24])
#define FM_CMD(m)    ((m)[25])
#define FM_PRIO(m)   ((m)[30] << 8 | (m)[31])
#define PM_CONFIG(m) ((m)[24] << 24 | (m)[25] << 16 | (m)[26] << 8 | (m)[27])
#define PM_MASK(m)   ((m)[28] << 24 | (m)[29] << 16 | (m)[30] << 8 | (m)[31])
#define PM_PORT(m)   ((m)[8] << 24 | (m)[9] << 16 | (m)[10] << 8 | (m)[11])

static void expect_flow(struct sw *s, uint8_t cmd, uint16_t prio, bool normal)
{
	expect(s, OVS_OF_T_FLOW_MOD);
	assert_int_equal(FM_CMD(s->msg), cmd);
	assert_int_equal(FM_PRIO(s->msg), prio);
	assert_int_equal(FM_COOKIE(s->msg) & OVS_OF_COOKIE_MASK, OVS_OF_COOKIE);
	if (cmd == OVS_OF_FC_ADD) {
		/* instructions follow the (8-aligned) match iff the action is NORMAL */
		size_t mlen = (size_t)(s->msg[50] << 8 | s->msg[51]);

		assert_int_equal(s->m.length > 48 + (mlen + 7) / 8 * 8, normal);
	} else {
		assert_int_equal(FM_MASK(s->msg), OVS_OF_COOKIE_MASK | 1);
	}
}

static void expect_port_mod(struct sw *s, uint32_t port, uint32_t config)
{
	expect(s, OVS_OF_T_PORT_MOD);
	assert_int_equal(PM_PORT(s->msg), port);
	assert_memory_equal(s->msg + 16, "\x02\x00\x00\x00\x00\xaa", 6);
	assert_int_equal(PM_CONFIG(s->msg), config);
	assert_int_equal(PM_MASK(s->msg), OVS_OF_PC_NO_FWD);
}

/* Answers the barrier just read and runs until the library saw it. */
static void ack_barrier(struct sw *s)
{
	uint8_t b[16];

	assert_int_equal(s->m.type, OVS_OF_T_BARRIER_REQUEST);
	b[0] = 4;
	b[1] = OVS_OF_T_BARRIER_REPLY;
	b[2] = 0;
	b[3] = 8;
	memcpy(b + 4, s->msg + 4, 4);
	sw_send(s, b, 8);
	pump(s, 20);
}

static void put_port(uint8_t *p, uint32_t no, uint32_t config)
{
	memset(p, 0, 64);
	p[0] = (uint8_t)(no >> 24);
	p[1] = (uint8_t)(no >> 16);
	p[2] = (uint8_t)(no >> 8);
	p[3] = (uint8_t)no;
	memcpy(p + 8, "\x02\x00\x00\x00\x00\xaa", 6);
	snprintf((char *)p + 16, 16, "p%u", no);
	p[32] = (uint8_t)(config >> 24);
	p[35] = (uint8_t)config;
}

static void hello_ok(struct sw *s)
{
	static const uint8_t hello[] = {0x06, 0x00, 0x00, 0x10, 0, 0, 0, 1,
	                                0x00, 0x01, 0x00, 0x08, 0, 0, 0, 0x3e};

	expect(s, OVS_OF_T_HELLO);
	assert_int_equal(s->m.u.hello.bitmap, 1u << 4);
	sw_send(s, hello, sizeof(hello));
	expect(s, OVS_OF_T_SET_CONFIG);
	assert_int_equal(s->msg[11], 128);
	expect(s, OVS_OF_T_MULTIPART_REQUEST);
	assert_int_equal(s->msg[9], 13);
}

static void send_port_desc(struct sw *s)
{
	uint8_t b[16 + 2 * 64] = {4, OVS_OF_T_MULTIPART_REPLY, 0, sizeof(b), 0, 0, 0, 9, 0, 13};

	put_port(b + 16, 1, 0);
	put_port(b + 80, 2, 0);
	sw_send(s, b, sizeof(b));
}

static int setup(void **state)
{
	struct sw *s = calloc(1, sizeof(*s));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(s->dir, sizeof(s->dir), "/tmp/keel-ofu-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/br0.mgmt", s->dir);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	if (bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(s->lfd, 4) < 0)
		return -1;
	s->base = ev_base_new();
	s->fd = -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sw *s = *state;

	ovs_of_free(s->of);
	event_base_free(s->base);
	if (s->fd >= 0)
		close(s->fd);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
	return 0;
}

static void test_session(void **state)
{
	static const uint8_t of10_hello[] = {0x01, 0x00, 0x00, 0x08, 0, 0, 0, 1};
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	static const uint8_t echo[] = {4, OVS_OF_T_ECHO_REQUEST, 0, 10, 0, 0, 0, 77, 'h', 'i'};
	static const uint8_t err[] = {4, OVS_OF_T_ERROR,    0, 20,   0, 0, 0, 5, 0, 5, 0, 6,
	                              4, OVS_OF_T_FLOW_MOD, 0, 0x60, 0, 0, 0, 5};
	static const uint8_t bad[] = {4, OVS_OF_T_ECHO_REQUEST, 0, 4, 0, 0, 0, 1};
	struct sw *s = *state;
	struct ovs_of_stats st;
	uint8_t ps[80] = {4, OVS_OF_T_PORT_STATUS, 0, 80, 0, 0, 0, 0, 2};
	uint64_t gen1, gen2, t_deny;
	int adds = 0, dels = 0;

	s->of = ovs_of_new(s->base, s->path);
	assert_non_null(s->of);
	ovs_of_set_applied_cb(s->of, on_applied, s);

	/* ---- an OpenFlow 1.0-only switch: HELLO_FAILED, close, retry */
	sw_accept(s);
	expect(s, OVS_OF_T_HELLO);
	sw_send(s, of10_hello, sizeof(of10_hello));
	expect(s, OVS_OF_T_ERROR);
	assert_int_equal(s->m.u.error.type, 0);
	assert_int_equal(s->m.u.error.code, 0);
	assert_false(sw_next(s, 300)); /* closed */
	assert_false(ovs_of_connected(s->of));
	close(s->fd);

	/* ---- start-up: config, port list, resync of an empty state */
	sw_accept(s);
	hello_ok(s);
	expect_flow(s, OVS_OF_FC_DELETE, 0, false);
	assert_int_equal(FM_TABLE(s->msg), 0xff);
	gen1 = FM_COOKIE(s->msg) & 1;
	expect_flow(s, OVS_OF_FC_DELETE, 0, false);
	gen2 = FM_COOKIE(s->msg) & 1;
	assert_true(gen1 != gen2);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_true(ovs_of_connected(s->of));
	assert_false(ovs_of_applied(s->of)); /* ports not known yet */
	assert_int_equal(s->applied, 0);
	send_port_desc(s);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_true(ovs_of_applied(s->of));
	assert_int_equal(s->applied, 1);

	/* ---- argument checks and a MAC on an OPEN port (remembered only) */
	assert_int_equal(ovs_of_port_set(s->of, 0, OVS_OF_PORT_EAPOL_ONLY), -EINVAL);
	assert_int_equal(ovs_of_port_set(s->of, OVS_OF_PORT_MAX, OVS_OF_PORT_OPEN), -EINVAL);
	assert_int_equal(ovs_of_port_set(s->of, 1, (enum ovs_of_port_auth)7), -EINVAL);
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, true, 10), -EOPNOTSUPP);
	assert_int_equal(ovs_of_mac_set(s->of, 1, (const uint8_t[6]){1, 0, 0x5e, 0, 0, 1}, true, 0),
	                 -EINVAL);
	assert_int_equal(ovs_of_mac_set(s->of, 2, mac, true, 0), 0);
	assert_false(sw_next(s, 100));

	/* ---- EAPOL_ONLY: block flow, NO_FWD, barrier */
	assert_int_equal(ovs_of_port_set(s->of, 1, OVS_OF_PORT_EAPOL_ONLY), 0);
	assert_false(ovs_of_applied(s->of));
	expect_flow(s, OVS_OF_FC_ADD, 100, false);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_true(ovs_of_applied(s->of));
	assert_int_equal(s->applied, 2);
	/* unchanged state: nothing sent */
	assert_int_equal(ovs_of_port_set(s->of, 1, OVS_OF_PORT_EAPOL_ONLY), 0);
	assert_false(sw_next(s, 50));

	/* ---- admit: NORMAL for dl_src, NO_FWD off */
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, true, 0), 0);
	expect_flow(s, OVS_OF_FC_ADD, 200, true);
	expect_port_mod(s, 1, 0);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);

	/* ---- revoke: the deny flow is added before the admit flow goes */
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, false, 0), 0);
	expect_flow(s, OVS_OF_FC_ADD, 150, false);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 200, false);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);

	/* ---- a bridge program (ovs_of_flows_set): added, changed in place
	 * by an ADD of the same match (no delete that would remove it), gone */
	{
		struct ovs_of_flow prog[2] = {
		        {.priority = 300,
		         .has_in_port = true,
		         .in_port = 1,
		         .has_dl_src = true,
		         .dl_src = {2, 0, 0, 0, 0, 1},
		         .n_actions = 3,
		         .actions = {{OVS_OF_ACT_PUSH_VLAN, 0x8100},
		                     {OVS_OF_ACT_SET_VLAN_VID, 10},
		                     {OVS_OF_ACT_OUTPUT, 2}}},
		        {.priority = 300,
		         .has_in_port = true,
		         .in_port = 2,
		         .has_vlan_vid = true,
		         .vlan_vid = OVS_OF_VID_PRESENT | 10,
		         .has_dl_dst = true,
		         .dl_dst = {2, 0, 0, 0, 0, 1},
		         .n_actions = 2,
		         .actions = {{OVS_OF_ACT_POP_VLAN, 0}, {OVS_OF_ACT_OUTPUT, 1}}},
		};

		prog[0].normal = true;
		assert_int_equal(ovs_of_flows_set(s->of, prog, 2), -EINVAL);
		prog[0].normal = false;
		assert_int_equal(ovs_of_flows_set(s->of, prog, 2), 0);
		expect_flow(s, OVS_OF_FC_ADD, 300, true);
		assert_int_equal(s->m.length, 120); /* push_vlan, set_field, output */
		expect_flow(s, OVS_OF_FC_ADD, 300, true);
		expect(s, OVS_OF_T_BARRIER_REQUEST);
		ack_barrier(s);
		/* the same set again: nothing at all */
		assert_int_equal(ovs_of_flows_set(s->of, prog, 2), 0);
		assert_false(sw_next(s, 50));
		prog[0].actions[1].arg = 20;
		assert_int_equal(ovs_of_flows_set(s->of, prog, 2), 0);
		expect_flow(s, OVS_OF_FC_ADD, 300, true);
		expect(s, OVS_OF_T_BARRIER_REQUEST);
		ack_barrier(s);
		assert_int_equal(ovs_of_flows_set(s->of, NULL, 0), 0);
		expect_flow(s, OVS_OF_FC_DELETE_STRICT, 300, false);
		expect_flow(s, OVS_OF_FC_DELETE_STRICT, 300, false);
		expect(s, OVS_OF_T_BARRIER_REQUEST);
		ack_barrier(s);
	}

	/* ---- echo and a switch error */
	sw_send(s, echo, sizeof(echo));
	expect(s, OVS_OF_T_ECHO_REPLY);
	assert_int_equal(s->m.xid, 77);
	assert_int_equal(s->m.u.echo.data_len, 2);
	assert_memory_equal(s->m.u.echo.data, "hi", 2);
	sw_send(s, err, sizeof(err));
	pump(s, 20);
	ovs_of_get_stats(s->of, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.last_err_type, 5);
	assert_int_equal(st.last_err_code, 6);
	assert_int_equal(st.echo_rx, 1);

	/* ---- someone cleared NO_FWD on port 1: set again */
	put_port(ps + 16, 1, 0);
	sw_send(s, ps, sizeof(ps));
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	/* a PORT_STATUS for a port keel does not manage changes nothing */
	put_port(ps + 16, 9, 0);
	sw_send(s, ps, sizeof(ps));
	assert_false(sw_next(s, 50));

	/* ---- someone deletes keel's block flow: re-installed; a
	 * FLOW_REMOVED for a flow keel itself deleted changes nothing */
	{
		struct ovs_of_flow blk = {
		        .cmd = OVS_OF_FC_ADD, .priority = 100, .has_in_port = true, .in_port = 1};
		uint8_t fr[128];
		int n;

		ovs_of_get_stats(s->of, &st);
		assert_int_equal(st.removed, 0);
		/* the deleted admit flow (prio 200, dl_src), current generation
		 * (the second pass of the start-up resync wrote gen1) */
		blk.cookie = OVS_OF_COOKIE | gen1;
		blk.priority = 200;
		blk.has_dl_src = true;
		memcpy(blk.dl_src, mac, 6);
		n = ovs_of_encode_flow_mod(fr, sizeof(fr), 0, &blk);
		assert_true(n > 0);
		/* reuse the FLOW_MOD's match: an ofp_flow_removed has the same
		 * 48-octet fixed part before it (§7.4.2) */
		fr[1] = OVS_OF_T_FLOW_REMOVED;
		memset(fr + 16, 0, 32);
		fr[16] = 0;
		fr[17] = 200;
		fr[18] = 2;
		sw_send(s, fr, n);
		assert_false(sw_next(s, 100));
		blk.priority = 100;
		blk.has_dl_src = false;
		memset(blk.dl_src, 0, 6);
		n = ovs_of_encode_flow_mod(fr, sizeof(fr), 0, &blk);
		fr[1] = OVS_OF_T_FLOW_REMOVED;
		memset(fr + 16, 0, 32);
		fr[17] = 100;
		fr[18] = 2;
		sw_send(s, fr, n);
		sw_send(s, fr, n); /* a burst: one resync */
		adds = dels = 0;
		for (;;) {
			if (!sw_next(s, 2000))
				fail_msg("no resync after a foreign delete");
			if (s->m.type == OVS_OF_T_BARRIER_REQUEST)
				break;
			assert_int_equal(s->m.type, OVS_OF_T_FLOW_MOD);
			if (FM_CMD(s->msg) == OVS_OF_FC_ADD)
				adds++;
			else
				dels++;
		}
		assert_int_equal(adds, 4);
		assert_int_equal(dels, 2);
		ack_barrier(s);
		assert_false(sw_next(s, 100));
		ovs_of_get_stats(s->of, &st);
		assert_int_equal(st.removed, 1);
		adds = dels = 0;
	}

	/* ---- the switch restarts: everything is written again, twice */
	close(s->fd);
	sw_accept(s);
	hello_ok(s);
	for (;;) {
		if (!sw_next(s, 2000))
			fail_msg("resync incomplete");
		if (s->m.type == OVS_OF_T_BARRIER_REQUEST)
			break;
		assert_int_equal(s->m.type, OVS_OF_T_FLOW_MOD);
		if (FM_CMD(s->msg) == OVS_OF_FC_ADD)
			adds++;
		else
			dels++;
	}
	assert_int_equal(adds, 4); /* (block + deny) x 2 generations */
	assert_int_equal(dels, 2);
	ack_barrier(s);
	send_port_desc(s);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_true(ovs_of_applied(s->of));

	/* ---- a length field below the header: the session is dropped */
	sw_send(s, bad, sizeof(bad));
	assert_false(sw_next(s, 500));
	close(s->fd);
	sw_accept(s);
	hello_ok(s);
	ovs_of_get_stats(s->of, &st);
	assert_int_equal(st.connects, 3);

	/* ---- OPEN: the port's flows go, NO_FWD cleared */
	while (sw_next(s, 100))
		if (s->m.type == OVS_OF_T_BARRIER_REQUEST)
			ack_barrier(s);
	send_port_desc(s);
	while (sw_next(s, 100))
		if (s->m.type == OVS_OF_T_BARRIER_REQUEST)
			ack_barrier(s);
	assert_int_equal(ovs_of_port_set(s->of, 1, OVS_OF_PORT_OPEN), 0);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 150, false);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 100, false);
	expect_port_mod(s, 1, 0);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);

	/* ---- keel's own default NORMAL flow (fail_mode=secure bridges) */
	assert_int_equal(ovs_of_port_set(s->of, 1, OVS_OF_PORT_EAPOL_ONLY), 0);
	expect_flow(s, OVS_OF_FC_ADD, 100, false);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_int_equal(ovs_of_set_default_normal(s->of, true), 0);
	expect_flow(s, OVS_OF_FC_ADD, 0, true);
	assert_int_equal(s->m.length, 48 + 8 + 24); /* empty match, output:NORMAL */
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	/* after a reconnect the block is written before the catch-all */
	close(s->fd);
	sw_accept(s);
	hello_ok(s);
	expect_flow(s, OVS_OF_FC_ADD, 100, false);
	expect_flow(s, OVS_OF_FC_ADD, 0, true);
	expect_flow(s, OVS_OF_FC_DELETE, 0, false);
	expect_flow(s, OVS_OF_FC_ADD, 100, false);
	expect_flow(s, OVS_OF_FC_ADD, 0, true);
	expect_flow(s, OVS_OF_FC_DELETE, 0, false);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	send_port_desc(s);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_int_equal(ovs_of_set_default_normal(s->of, false), 0);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 0, false);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);

	/* ---- deny flows: only for MACs that had access, for the aging time */
	ovs_of_set_mac_aging(s->of, 1);
	assert_int_equal(
	        ovs_of_mac_set(s->of, 1, (const uint8_t[6]){2, 0, 0, 0, 0, 0x42}, false, 0), 0);
	assert_false(sw_next(s, 50)); /* never admitted: nothing to deny */
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, true, 0), 0);
	expect_flow(s, OVS_OF_FC_ADD, 200, true);
	expect_port_mod(s, 1, 0);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, false, 0), 0);
	t_deny = mono_ms();
	expect_flow(s, OVS_OF_FC_ADD, 150, false);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 200, false);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 150, false);
	assert_true(mono_ms() - t_deny >= 900);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	/* the MAC shows up admitted on port 3: its deny behind port 1 goes */
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, true, 0), 0);
	expect_flow(s, OVS_OF_FC_ADD, 200, true);
	expect_port_mod(s, 1, 0);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_int_equal(ovs_of_mac_set(s->of, 1, mac, false, 0), 0);
	expect_flow(s, OVS_OF_FC_ADD, 150, false);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 200, false);
	expect_port_mod(s, 1, OVS_OF_PC_NO_FWD);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_int_equal(ovs_of_mac_set(s->of, 3, mac, true, 0), 0);
	expect_flow(s, OVS_OF_FC_DELETE_STRICT, 150, false);
	expect(s, OVS_OF_T_BARRIER_REQUEST);
	ack_barrier(s);
	assert_false(sw_next(s, 1200)); /* and no aging delete follows */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_session, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
