/*
 * Port authorization through OpenFlow against a real, private Open vSwitch
 * (ovsdb-server + ovs-vswitchd, userspace datapath, in a temp dir and a new
 * network namespace, like test_ovs_live.c). Two hosts (veths into their own
 * namespaces) on br0:
 *   - EAPOL_ONLY on h1's port: pings fail both ways, a broadcast from h2
 *     never reaches h1, yet an EAPOL-Start from h1 still arrives at an
 *     AF_PACKET socket on the OVS port, and EAPOL sent there reaches h1;
 *   - h1's MAC admitted: pings pass, h2's broadcast reaches h1;
 *   - revoked: pings fail again;
 *   - the bridge switched to fail_mode=secure with keel's own default
 *     NORMAL flow, then ovs-vswitchd restarted: the flows come back by
 *     themselves and forwarding works again;
 *   - only keel-cookie flows besides the default one and a foreign flow the
 *     test planted (which keel leaves alone).
 * Needs root and openvswitch-switch; skips otherwise. Everything is removed
 * again (both daemons, the host namespaces).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ev.h"
#include "platform/ovs/openflow.h"

static char dir[64];
static char ns1[32], ns2[32];
static bool started;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void sh_out(char *out, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void sh_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
}

static int pidfile(const char *name)
{
	char path[128];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static void kill_pidfile(const char *name)
{
	int pid = pidfile(name);

	if (pid > 1) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
			usleep(20000);
		kill(pid, SIGKILL);
	}
}

static int start_vswitchd(void)
{
	return sh("ovs-vswitchd unix:%s/db.sock --pidfile --detach --log-file -vconsole:off", dir);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/ovs-vswitchd", X_OK) != 0 ||
	    access("/usr/sbin/ovsdb-server", X_OK) != 0) {
		fprintf(stderr, "skipped: needs root and openvswitch-switch\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0)
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/keel-of-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(ns1, sizeof(ns1), "keel-of1-%d", (int)getpid());
	snprintf(ns2, sizeof(ns2), "keel-of2-%d", (int)getpid());
	setenv("OVS_RUNDIR", dir, 1);
	setenv("OVS_LOGDIR", dir, 1);
	setenv("OVS_DBDIR", dir, 1);
	if (sh("ip link set lo up && "
	       "ovsdb-tool create %s/conf.db /usr/share/openvswitch/vswitch.ovsschema && "
	       "ovsdb-server %s/conf.db --remote=punix:%s/db.sock --pidfile --detach --log-file "
	       "-vconsole:off && ovs-vsctl --no-wait init",
	       dir, dir, dir) != 0 ||
	    start_vswitchd() != 0)
		return -1;
	started = true;
	if (sh("ip netns add %s && ip netns add %s && "
	       "ip link add v1a type veth peer name v1b && ip link add v2a type veth peer name v2b "
	       "&& ip link set v1b netns %s && ip link set v2b netns %s && "
	       "ip link set v1a up && ip link set v2a up && "
	       "ip -n %s link set v1b address 02:00:00:00:00:01 && "
	       "ip -n %s link set v2b address 02:00:00:00:00:02 && "
	       "ip -n %s addr add 10.9.0.1/24 dev v1b && ip -n %s addr add 10.9.0.2/24 dev v2b && "
	       "ip -n %s link set v1b up && ip -n %s link set v2b up && "
	       "ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev -- "
	       "add-port br0 v1a -- add-port br0 v2a",
	       ns1, ns2, ns1, ns2, ns1, ns2, ns1, ns2, ns1, ns2) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!dir[0])
		return 0;
	kill_pidfile("ovs-vswitchd");
	kill_pidfile("ovsdb-server");
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
	   "ip link del ovs-netdev 2>/dev/null; ip link del br0 2>/dev/null; "
	   "ip link del v1a 2>/dev/null; ip link del v2a 2>/dev/null; rm -rf %s",
	   ns1, ns2, dir);
	return 0;
}

struct live {
	struct event_base *base;
	struct ovs_of *of;
	int applied;
};

static void l_applied(void *arg)
{
	((struct live *)arg)->applied++;
}

static void spin(struct live *l, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (mono_ms() < end) {
		event_base_loop(l->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* Runs the loop until everything sent so far is confirmed; returns the
 * microseconds it took. */
static uint64_t wait_applied(struct live *l, int timeout_ms)
{
	uint64_t t0 = mono_us(), end = mono_ms() + (uint64_t)timeout_ms;

	while (!ovs_of_applied(l->of) && mono_ms() < end)
		event_base_loop(l->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_true(ovs_of_applied(l->of));
	return mono_us() - t0;
}

static bool ping(const char *ns, const char *dst)
{
	return sh("ip netns exec %s ping -c1 -W1 -q %s >/dev/null 2>&1", ns, dst) == 0;
}

/* A barrier reply says the flow table changed; ovs-vswitchd's revalidators
 * then update the datapath's cached flows asynchronously (a few ms), so a
 * packet right after the reply can still take an old cached path. The
 * negative checks give them this long first. */
#define REVALIDATE_MS 200

static void dump(void);

static void assert_blocked(const char *ns, const char *dst, const char *what)
{
	if (ping(ns, dst)) {
		dump();
		fail_msg("%s: ping %s from %s passed", what, dst, ns);
	}
}

/* Reachability after a change: a pass may need ARP and learning first. */
static bool ping_ok(const char *ns, const char *dst)
{
	for (int i = 0; i < 5; i++)
		if (ping(ns, dst))
			return true;
	return false;
}

/* A packet socket bound to ifname inside namespace ns (NULL = ours). */
static int pkt_sock(const char *ns, const char *ifname, uint16_t proto)
{
	int self = -1, fd, nsfd;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(proto)};
	char path[96];

	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		self = open("/proc/self/ns/net", O_RDONLY);
		nsfd = open(path, O_RDONLY);
		assert_true(self >= 0 && nsfd >= 0);
		assert_int_equal(setns(nsfd, CLONE_NEWNET), 0);
		close(nsfd);
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(proto));
	assert_true(fd >= 0);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	if (ns) {
		assert_int_equal(setns(self, CLONE_NEWNET), 0);
		close(self);
	}
	return fd;
}

static void drain(int fd)
{
	uint8_t b[2048];

	while (recv(fd, b, sizeof(b), 0) > 0)
		;
}

/* Waits up to ms for a frame with EtherType type from src. */
static bool rx_frame(int fd, const uint8_t src[6], uint16_t type, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;
	uint8_t b[2048];

	while (mono_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((n = recv(fd, b, sizeof(b), 0)) > 0)
			if (n >= 14 && !memcmp(b + 6, src, 6) && b[12] == (type >> 8) &&
			    b[13] == (type & 0xff))
				return true;
	}
	return false;
}

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1}, mac2[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t pae_group[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03};

static void send_frame(int fd, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	uint8_t f[60] = {0};

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	/* EAPOL v2, type 1 (Start), body length 0 (802.1X-2004 §11.3); the
	 * same bytes are harmless payload for the other EtherType */
	f[14] = 2;
	f[15] = 1;
	assert_int_equal(send(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
}

/* Non-default flows in `ovs-ofctl dump-flows`: how many, and how many of
 * them carry keel's cookie. */
static void count_flows(int *keel, int *other)
{
	char out[8192], *line, *save = NULL;

	sh_out(out, sizeof(out), "ovs-ofctl -O OpenFlow13 dump-flows br0 2>&1");
	*keel = *other = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "cookie="))
			continue;
		if (strstr(line, "cookie=0x6b65656c0000000"))
			(*keel)++;
		else if (!strstr(line, "priority=0 actions=NORMAL"))
			(*other)++;
	}
}

/*
 * Streams frames from h1 (one every ~0.5 ms) while admitting or revoking
 * h1's MAC and returns the ms from the call until the first frame reached
 * h2 (admit) or the last one did (revoke): the time until the datapath
 * enforces the change, barrier and revalidation included.
 */
static double stream_switch(struct live *l, uint32_t port, int tx, int rx, bool admit)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint64_t t0, end, first = 0, last = 0;
	uint8_t b[2048];
	ssize_t n;

	drain(rx);
	t0 = mono_us();
	assert_int_equal(ovs_of_mac_set(l->of, port, mac1, admit, 0), 0);
	end = t0 + 500000;
	while (mono_us() < end) {
		send_frame(tx, bcast, mac1, 0x88b5);
		event_base_loop(l->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(500);
		while ((n = recv(rx, b, sizeof(b), 0)) > 0) {
			if (n < 14 || memcmp(b + 6, mac1, 6) || b[12] != 0x88 || b[13] != 0xb5)
				continue;
			last = mono_us();
			if (!first)
				first = last;
		}
	}
	assert_true(ovs_of_applied(l->of));
	if (admit) {
		assert_true(first != 0);
		return (double)(first - t0) / 1000.0;
	}
	return last > t0 ? (double)(last - t0) / 1000.0 : 0.0;
}

static void dump(void)
{
	sh("ovs-ofctl -O OpenFlow13 dump-flows br0 >&2; ovs-ofctl -O OpenFlow13 dump-ports-desc br0 "
	   ">&2");
}

static void test_live(void **state)
{
	struct live l = {0};
	char path[128], out[64];
	uint32_t p1, p2;
	int keel, other, eap_rx, eap_tx, eap_far, bc_rx, bc_tx, old_pid;
	uint64_t us_port, us_admit, us_revoke, t0;
	double ms_revoke, ms_admit;
	struct ovs_of_stats st;

	(void)state;
	if (!started)
		skip();
	sh_out(out, sizeof(out), "ovs-vsctl get Interface v1a ofport");
	p1 = (uint32_t)atoi(out);
	sh_out(out, sizeof(out), "ovs-vsctl get Interface v2a ofport");
	p2 = (uint32_t)atoi(out);
	assert_true(p1 > 0 && p2 > 0);
	/* a foreign flow keel must leave alone */
	assert_int_equal(sh("ovs-ofctl add-flow br0 'cookie=0x1234,priority=5,dl_type=0x88cc,"
	                    "actions=drop'"),
	                 0);

	l.base = ev_base_new();
	snprintf(path, sizeof(path), "%s/br0.mgmt", dir);
	l.of = ovs_of_new(l.base, path);
	assert_non_null(l.of);
	ovs_of_set_applied_cb(l.of, l_applied, &l);
	wait_applied(&l, 10000);
	assert_true(ping_ok(ns1, "10.9.0.2"));

	assert_int_equal(ovs_of_port_set(l.of, 0, OVS_OF_PORT_EAPOL_ONLY), -EINVAL);
	assert_int_equal(ovs_of_mac_set(l.of, p1, mac1, true, 100), -EOPNOTSUPP);
	assert_int_equal(ovs_of_mac_set(l.of, p1, pae_group, true, 0), -EINVAL);

	/* ---- EAPOL_ONLY: blocked both ways, EAPOL still seen on the port */
	t0 = mono_us();
	assert_int_equal(ovs_of_port_set(l.of, p1, OVS_OF_PORT_EAPOL_ONLY), 0);
	wait_applied(&l, 5000);
	us_port = mono_us() - t0;
	spin(&l, REVALIDATE_MS);
	assert_blocked(ns1, "10.9.0.2", "EAPOL_ONLY");
	assert_blocked(ns2, "10.9.0.1", "EAPOL_ONLY");
	eap_rx = pkt_sock(NULL, "v1a", ETH_P_PAE);
	eap_tx = pkt_sock(ns1, "v1b", ETH_P_PAE);
	eap_far = pkt_sock(ns2, "v2b", ETH_P_PAE);
	drain(eap_far);
	bc_rx = pkt_sock(ns1, "v1b", 0x88b5);
	bc_tx = pkt_sock(ns2, "v2b", 0x88b5);
	drain(eap_rx);
	drain(bc_rx);
	send_frame(eap_tx, pae_group, mac1, ETH_P_PAE);
	if (!rx_frame(eap_rx, mac1, ETH_P_PAE, 2000)) {
		dump();
		fail_msg("EAPOL-Start from h1 did not reach the AF_PACKET socket on v1a");
	}
	/* the PAE group address is never bridged (802.1X-2004 §7.8) */
	assert_false(rx_frame(eap_far, mac1, ETH_P_PAE, 300));
	/* and the authenticator's answer, sent on the port's interface, reaches
	 * h1 although NO_FWD keeps NORMAL from sending anything there */
	drain(eap_tx);
	send_frame(eap_rx, mac1, (const uint8_t[6]){2, 0, 0, 0, 0, 0xee}, ETH_P_PAE);
	assert_true(rx_frame(eap_tx, (const uint8_t[6]){2, 0, 0, 0, 0, 0xee}, ETH_P_PAE, 2000));
	/* 0x88b5 (IEEE 802 local experimental) broadcast from h2 */
	send_frame(bc_tx, (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac2, 0x88b5);
	assert_false(rx_frame(bc_rx, mac2, 0x88b5, 500));

	/* ---- admit h1's MAC */
	t0 = mono_us();
	assert_int_equal(ovs_of_mac_set(l.of, p1, mac1, true, 0), 0);
	wait_applied(&l, 5000);
	us_admit = mono_us() - t0;
	if (!ping_ok(ns1, "10.9.0.2") || !ping_ok(ns2, "10.9.0.1")) {
		dump();
		fail_msg("admitted MAC cannot ping");
	}
	drain(bc_rx);
	send_frame(bc_tx, (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac2, 0x88b5);
	assert_true(rx_frame(bc_rx, mac2, 0x88b5, 2000));
	/* an admitted host's EAPOL still stays off the other ports */
	drain(eap_far);
	send_frame(eap_tx, pae_group, mac1, ETH_P_PAE);
	assert_true(rx_frame(eap_rx, mac1, ETH_P_PAE, 2000));
	assert_false(rx_frame(eap_far, mac1, ETH_P_PAE, 300));
	count_flows(&keel, &other);
	assert_int_equal(keel, 2);  /* block + admit */
	assert_int_equal(other, 1); /* the foreign flow */

	/* ---- revoke */
	t0 = mono_us();
	assert_int_equal(ovs_of_mac_set(l.of, p1, mac1, false, 0), 0);
	wait_applied(&l, 5000);
	us_revoke = mono_us() - t0;
	spin(&l, REVALIDATE_MS);
	assert_blocked(ns1, "10.9.0.2", "revoked");
	assert_blocked(ns2, "10.9.0.1", "revoked");
	count_flows(&keel, &other);
	assert_int_equal(keel, 2); /* block + deny dl_dst */
	assert_int_equal(other, 1);

	/* ---- fail_mode=secure: OVS keeps no default flow, keel provides it
	 * (so after a restart nothing forwards before keel's blocks are in) */
	assert_int_equal(sh("ovs-vsctl set bridge br0 fail_mode=secure"), 0);
	assert_int_equal(ovs_of_set_default_normal(l.of, true), 0);
	/* the fail_mode change flushed the table (keel's flows too): the
	 * FLOW_REMOVED messages make keel re-install */
	spin(&l, 300);
	wait_applied(&l, 5000);
	ovs_of_get_stats(l.of, &st);
	assert_true(st.removed >= 1);
	count_flows(&keel, &other);
	assert_int_equal(keel, 3);                      /* block + deny + default NORMAL */
	assert_true(ping_ok(ns2, "10.9.0.9") == false); /* nobody there: sanity of ping_ok */

	/* ---- ovs-vswitchd restart: flows and NO_FWD come back */
	old_pid = pidfile("ovs-vswitchd");
	kill_pidfile("ovs-vswitchd");
	assert_int_not_equal(old_pid, 0);
	spin(&l, 200);
	assert_false(ovs_of_connected(l.of));
	assert_int_equal(start_vswitchd(), 0);
	t0 = mono_us();
	{
		uint64_t end = mono_ms() + 10000;

		ovs_of_get_stats(l.of, &st);
		while (mono_ms() < end) {
			struct ovs_of_stats s2;

			event_base_loop(l.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			ovs_of_get_stats(l.of, &s2);
			if (s2.connects > st.connects && ovs_of_applied(l.of))
				break;
			usleep(1000);
		}
	}
	wait_applied(&l, 1000);
	fprintf(stderr, "reconnect + re-install after vswitchd restart: %.1f ms\n",
	        (double)(mono_us() - t0) / 1000.0);
	count_flows(&keel, &other);
	if (keel != 3) {
		dump();
		fail_msg("after restart: %d keel flows", keel);
	}
	spin(&l, REVALIDATE_MS);
	assert_blocked(ns1, "10.9.0.2", "after the restart");
	drain(bc_rx);
	send_frame(bc_tx, (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac2, 0x88b5);
	assert_false(rx_frame(bc_rx, mac2, 0x88b5, 500));
	assert_int_equal(ovs_of_mac_set(l.of, p1, mac1, true, 0), 0);
	wait_applied(&l, 5000);
	assert_true(ping_ok(ns1, "10.9.0.2"));

	/* ---- how long until the datapath enforces a change */
	ms_revoke = stream_switch(&l, p1, bc_rx, bc_tx, false);
	ms_admit = stream_switch(&l, p1, bc_rx, bc_tx, true);
	fprintf(stderr,
	        "datapath enforcement: revoke -> last frame through %.2f ms, "
	        "admit -> first frame through %.2f ms\n",
	        ms_revoke, ms_admit);
	assert_true(ms_revoke < 400.0);

	/* ---- back to OPEN: only keel's default NORMAL flow left */
	assert_int_equal(ovs_of_port_set(l.of, p1, OVS_OF_PORT_OPEN), 0);
	wait_applied(&l, 5000);
	count_flows(&keel, &other);
	assert_int_equal(keel, 1);
	assert_true(ping_ok(ns2, "10.9.0.1"));

	/* ---- scale: 1000 MACs admitted one call at a time on h2's port */
	{
		char n[32];
		uint8_t m[6] = {2, 0x10, 0, 0, 0, 0};
		uint64_t t1;

		assert_int_equal(ovs_of_port_set(l.of, p2, OVS_OF_PORT_EAPOL_ONLY), 0);
		wait_applied(&l, 5000);
		t1 = mono_us();
		for (int i = 0; i < 1000; i++) {
			m[4] = (uint8_t)(i >> 8);
			m[5] = (uint8_t)i;
			assert_int_equal(ovs_of_mac_set(l.of, p2, m, true, 0), 0);
			event_base_loop(l.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		}
		wait_applied(&l, 20000);
		fprintf(stderr, "1000 MAC admissions (one call each) applied in %.1f ms\n",
		        (double)(mono_us() - t1) / 1000.0);
		sh_out(n, sizeof(n), "ovs-ofctl dump-flows br0 | grep -c cookie=0x6b65656c");
		assert_int_equal(atoi(n), 1000 + 1 + 1); /* admits + block + default */
		t1 = mono_us();
		assert_int_equal(ovs_of_port_set(l.of, p2, OVS_OF_PORT_OPEN), 0);
		wait_applied(&l, 20000);
		fprintf(stderr, "port back to OPEN (1001 flows deleted) applied in %.1f ms\n",
		        (double)(mono_us() - t1) / 1000.0);
		sh_out(n, sizeof(n), "ovs-ofctl dump-flows br0 | grep -c cookie=0x6b65656c");
		assert_int_equal(atoi(n), 1);
	}

	ovs_of_get_stats(l.of, &st);
	fprintf(stderr,
	        "port EAPOL_ONLY -> barrier %.2f ms, mac admit -> barrier %.2f ms, revoke -> "
	        "barrier %.2f ms; flow_mods %llu port_mods %llu barriers %llu errors %llu\n",
	        (double)us_port / 1000.0, (double)us_admit / 1000.0, (double)us_revoke / 1000.0,
	        (unsigned long long)st.flow_mods, (unsigned long long)st.port_mods,
	        (unsigned long long)st.barriers, (unsigned long long)st.errors);
	assert_int_equal(st.errors, 0);
	close(eap_rx);
	close(eap_tx);
	close(eap_far);
	close(bc_rx);
	close(bc_tx);
	ovs_of_free(l.of);
	event_base_free(l.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
