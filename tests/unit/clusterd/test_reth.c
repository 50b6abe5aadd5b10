/*
 * reth, GARP and IP monitoring against the real kernel. Needs root: the test moves itself
 * into a private network namespace (unshare(CLONE_NEWNET), gone with the process) and forks
 * a "host" into a second one, joined by a veth pair c0 (the reth's child, here) <-> h0 (the
 * host). The host is the kernel's own stack, driven with ip / ping through nsenter. Without
 * root every test is skipped, saying why.
 *
 * A packet socket on c0 captures everything the reth and the child put on the wire.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "daemons/clusterd/ifmon.h"
#include "daemons/clusterd/ipmon.h"
#include "daemons/clusterd/reth.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "platform/platform.h"

static const uint8_t vmac[6] = {0x00, 0x10, 0xdb, 0xff, 0x10, 0x00};

static const char *skip_reason;
static pid_t host_pid;
static struct plat *plat;
static struct event_base *base;
static struct reth_table *rt;
static int cap_fd = -1;
static int c0_idx;
static uint8_t c0_mac[6];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs a command in the host's namespace. */
#define HOST(fmt, ...) sh("nsenter -t %d -n " fmt, (int)host_pid, ##__VA_ARGS__)

static int setup(void **state)
{
	int pfd[2];
	char c;
	struct plat_link l;

	(void)state;
	if (geteuid() != 0) {
		skip_reason = "needs root (network namespaces)";
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		skip_reason = "unshare(CLONE_NEWNET) failed";
		return 0;
	}
	if (sh("command -v nsenter >/dev/null && command -v ping >/dev/null") != 0) {
		skip_reason = "nsenter / ping missing";
		return 0;
	}
	if (pipe(pfd) < 0)
		return -1;
	host_pid = fork();
	if (host_pid == 0) {
		close(pfd[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		return -1;
	close(pfd[0]);
	sh("ip link set lo up");
	if (sh("ip link add c0 type veth peer name h0 netns %d", (int)host_pid) != 0) {
		skip_reason = "no veth";
		return 0;
	}
	HOST("ip link set lo up");
	HOST("ip link set h0 address 02:00:00:00:00:02");
	HOST("ip addr add 192.0.2.100/24 dev h0");
	HOST("ip addr add 2001:db8::100/64 dev h0 nodad");
	HOST("ip link set h0 up");
	sh("ip link set c0 up");
	log_to_stderr(true);
	plat = plat_open("linux");
	assert_non_null(plat);
	base = ev_base_new();
	assert_non_null(base);
	assert_int_equal(plat_link_get_by_name(plat, "c0", &l), 0);
	c0_idx = l.ifindex;
	memcpy(c0_mac, l.mac, 6);
	cap_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	assert_true(cap_fd >= 0);
	{
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
		                          .sll_protocol = htons(ETH_P_ALL),
		                          .sll_ifindex = c0_idx};
		assert_int_equal(bind(cap_fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (host_pid > 0) {
		kill(host_pid, SIGKILL);
		waitpid(host_pid, NULL, 0);
	}
	if (cap_fd >= 0)
		close(cap_fd);
	if (rt)
		reth_table_free(rt);
	if (base)
		event_base_free(base);
	if (plat)
		plat_close(plat);
	return 0;
}

#define SKIP_UNLESS_READY()                                                                        \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			print_message("skipped: %s\n", skip_reason);                               \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* ------------------------------------------------------------ capture */

struct capt {
	size_t garp, na, na_ll, from_vmac, from_c0, other_out;
	uint8_t first_garp[64];
	size_t first_garp_len;
	uint8_t first_na[128];
	size_t first_na_len;
};

static void cap_drain(struct capt *c)
{
	uint8_t f[2048];
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	for (;;) {
		sl = sizeof(sll);
		n = recvfrom(cap_fd, f, sizeof(f), 0, (struct sockaddr *)&sll, &sl);
		if (n < 0)
			break;
		if (sll.sll_pkttype != PACKET_OUTGOING)
			continue; /* only what this node puts on the wire */
		if (n >= 14 && !memcmp(f + 6, vmac, 6))
			c->from_vmac++;
		else if (n >= 14 && !memcmp(f + 6, c0_mac, 6))
			c->from_c0++;
		else
			c->other_out++;
		if (n == GARP_ARP_LEN && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
		    !memcmp(f + 28, f + 38, 4)) {
			if (!c->garp++) {
				memcpy(c->first_garp, f, (size_t)n);
				c->first_garp_len = (size_t)n;
			}
		}
		if (n == GARP_NA_LEN && f[12] == 0x86 && f[13] == 0xdd && f[54] == 136) {
			if (f[62] == 0xfe)
				c->na_ll++;
			else if (!c->na++) {
				memcpy(c->first_na, f, (size_t)n);
				c->first_na_len = (size_t)n;
			}
		}
	}
}

static void run_loop_ms(unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct addr_count {
	int ifindex;
	int n4, n6, n6_global;
};

static int count_addr(void *arg, const struct plat_addr *a)
{
	struct addr_count *c = arg;
	if (a->ifindex != c->ifindex)
		return 0;
	if (a->prefix.ip.family == AF_INET)
		c->n4++;
	else {
		c->n6++;
		if (a->prefix.ip.bytes[0] != 0xfe)
			c->n6_global++;
	}
	return 0;
}

static struct addr_count addrs_of(int ifindex)
{
	struct addr_count c = {.ifindex = ifindex};
	assert_int_equal(plat_addr_list(plat, 0, count_addr, &c), 0);
	return c;
}

static struct reth_cfg cfg0(void)
{
	struct reth_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "reth0");
	c.index = 0;
	c.rg = 1;
	snprintf(c.child, sizeof(c.child), "c0");
	c.n_addr = 2;
	assert_int_equal(plat_prefix_parse("192.0.2.1/24", &c.addr[0]), 0);
	assert_int_equal(plat_prefix_parse("2001:db8::1/64", &c.addr[1]), 0);
	return c;
}

/* ------------------------------------------------------------ tests */

static void test_inactive_created_and_silent(void **state)
{
	struct reth_cfg c = cfg0();
	struct plat_link l;
	struct capt cp;
	char err[128];
	struct addr_count ac;

	(void)state;
	SKIP_UNLESS_READY();
	rt = reth_table_new(plat, base);
	assert_non_null(rt);
	assert_int_equal(reth_table_update(rt, 1, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &l), 0);
	assert_string_equal(l.kind, "macvlan");
	assert_int_equal(l.link, c0_idx);
	assert_memory_equal(l.mac, vmac, 6);
	assert_false(l.admin_up);
	ac = addrs_of(l.ifindex);
	assert_int_equal(ac.n4 + ac.n6, 0);
	/* the child carries nothing either: no IPv4, and no IPv6 link-local */
	ac = addrs_of(c0_idx);
	assert_int_equal(ac.n4 + ac.n6, 0);

	/* the host pings the reth addresses: no answer, and nothing at all leaves this node */
	cap_drain(&cp);
	assert_int_not_equal(HOST("ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1"), 0);
	assert_int_not_equal(HOST("ping -6 -c 2 -i 0.2 -W 1 2001:db8::1 >/dev/null 2>&1"), 0);
	cap_drain(&cp);
	assert_int_equal(cp.from_vmac, 0);
	assert_int_equal(cp.from_c0, 0);
	assert_int_equal(cp.other_out, 0);
}

static void test_active_addresses_and_garps(void **state)
{
	struct plat_link l;
	struct capt cp;
	struct reth_status st;
	struct addr_count ac;
	uint8_t want[128];
	uint32_t a1;

	(void)state;
	SKIP_UNLESS_READY();
	cap_drain(&cp);
	assert_int_equal(reth_table_set_rg(rt, 1, true, 3), 0);
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &l), 0);
	assert_true(l.admin_up);
	ac = addrs_of(l.ifindex);
	assert_int_equal(ac.n4, 1);
	assert_int_equal(ac.n6_global, 1);

	/* first burst at once: 3 GARPs and 3 NAs (+ 3 for the link-local) */
	cap_drain(&cp);
	assert_int_equal(cp.garp, 3);
	assert_int_equal(cp.na, 3);
	assert_int_equal(cp.na_ll, 3);
	/* on the wire exactly as built (and as scapy builds them, test_garp.c) */
	inet_pton(AF_INET, "192.0.2.1", &a1);
	assert_int_equal(cp.first_garp_len, garp_build_arp(want, sizeof(want), vmac, a1));
	assert_memory_equal(cp.first_garp, want, cp.first_garp_len);
	{
		uint8_t t[16];
		inet_pton(AF_INET6, "2001:db8::1", t);
		assert_int_equal(cp.first_na_len, garp_build_na(want, sizeof(want), vmac, t));
		assert_memory_equal(cp.first_na, want, cp.first_na_len);
	}
	/* the second burst RETH_GARP_REPEAT_MS later */
	run_loop_ms(RETH_GARP_REPEAT_MS + 300);
	cap_drain(&cp);
	assert_int_equal(cp.garp, 3);
	assert_int_equal(cp.na, 3);
	reth_get_status(reth_table_find(rt, "reth0"), &st);
	assert_int_equal(st.garps, 6);
	assert_int_equal(st.bursts, 2);
	assert_true(st.active);
	assert_true(st.up);
	assert_true(st.present);
	assert_memory_equal(st.mac, vmac, 6);

	/* the host's GARP-learned entry points at the virtual MAC, and pings answer from it */
	assert_int_equal(HOST("ip neigh show 192.0.2.1 dev h0 | grep -q 00:10:db:ff:10:00"), 0);
	/* and when the host resolves afresh, only the reth answers (the child is arp_ignore 8) */
	HOST("ip neigh flush dev h0");
	assert_int_equal(HOST("ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null"), 0);
	assert_int_equal(HOST("ping -6 -c 2 -i 0.2 -W 1 2001:db8::1 >/dev/null"), 0);
	assert_int_equal(HOST("ip neigh show 192.0.2.1 dev h0 | grep -q 00:10:db:ff:10:00"), 0);
	assert_int_equal(HOST("ip -6 neigh show 2001:db8::1 dev h0 | grep -q 00:10:db:ff:10:00"),
	                 0);
	/* nothing from the child's own MAC (it never answers ARP for the reth's addresses) */
	cap_drain(&cp);
	assert_int_equal(cp.from_c0, 0);
}

static void test_diff_apply_keeps_state(void **state)
{
	struct reth_cfg c = cfg0();
	struct plat_link before, after;
	struct capt cp;
	char err[128];

	(void)state;
	SKIP_UNLESS_READY();
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &before), 0);
	cap_drain(&cp);
	assert_int_equal(reth_table_update(rt, 1, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &after), 0);
	assert_int_equal(before.ifindex, after.ifindex);
	assert_true(after.admin_up);
	assert_int_equal(after.stats.carrier_changes, before.stats.carrier_changes);
	cap_drain(&cp);
	assert_int_equal(cp.garp, 0); /* unchanged: not announced again */

	/* an added address is added in place and announced */
	c.n_addr = 3;
	assert_int_equal(plat_prefix_parse("198.51.100.1/24", &c.addr[2]), 0);
	assert_int_equal(reth_table_update(rt, 1, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &after), 0);
	assert_int_equal(before.ifindex, after.ifindex);
	assert_int_equal(addrs_of(after.ifindex).n4, 2);
	cap_drain(&cp);
	assert_int_equal(cp.garp, 2 * 3);
	run_loop_ms(RETH_GARP_REPEAT_MS + 200);

	/* bad configs are refused whole */
	{
		struct reth_cfg two[2] = {c, c};
		assert_int_equal(reth_table_update(rt, 1, two, 2, err, sizeof(err)), -1);
		assert_int_equal(reth_table_update(rt, 0, &c, 1, err, sizeof(err)), -1);
	}
	c = cfg0();
	assert_int_equal(reth_table_update(rt, 1, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(addrs_of(after.ifindex).n4, 1);
	/* announce on demand (healed dual primary) */
	cap_drain(&cp);
	assert_int_equal(reth_table_announce_rg(rt, 1), 0);
	cap_drain(&cp);
	assert_int_equal(cp.garp, 3);
	run_loop_ms(RETH_GARP_REPEAT_MS + 200);
}

static enum rg_ip_state ip_seen = RG_IP_UNKNOWN;
static unsigned ip_reports;

static void on_ip(void *arg, uint8_t rg, uint32_t addr, enum rg_ip_state st)
{
	(void)arg;
	assert_int_equal(rg, 1);
	ip_seen = st;
	ip_reports++;
}

static void wait_ip(enum rg_ip_state want, unsigned max_ms)
{
	for (unsigned t = 0; t < max_ms && ip_seen != want; t += 100)
		run_loop_ms(100);
	assert_int_equal(ip_seen, want);
}

static void test_ipmon_primary_and_secondary(void **state)
{
	struct ipmon *m;
	struct ipmon_rg_cfg c;
	struct ipmon_status st;
	char err[128];
	uint32_t src;

	(void)state;
	SKIP_UNLESS_READY();
	m = ipmon_new(base, rt, on_ip, NULL);
	assert_non_null(m);
	memset(&c, 0, sizeof(c));
	c.rg = 1;
	c.retry_interval_s = 1;
	c.retry_count = 5;
	c.n_target = 1;
	inet_pton(AF_INET, "192.0.2.100", &c.target[0].addr);
	c.target[0].weight = 100;
	snprintf(c.target[0].iface, sizeof(c.target[0].iface), "reth0.0");
	inet_pton(AF_INET, "192.0.2.50", &c.target[0].secondary_ip);
	ipmon_set_role(m, 1, true);
	assert_int_equal(ipmon_update(m, &c, 1, err, sizeof(err)), 0);
	wait_ip(RG_IP_REACHABLE, 3000);
	assert_int_equal(ipmon_status(m, &st, 1), 1);
	inet_pton(AF_INET, "192.0.2.1", &src);
	assert_int_equal(st.source, src);
	assert_true(st.primary_role);
	assert_true(st.replies >= 1);

	/* secondary: the reth goes silent, the child probes from secondary-ip-address */
	assert_int_equal(reth_table_set_rg(rt, 1, false, 0), 0);
	ipmon_set_role(m, 1, false);
	run_loop_ms(2500);
	assert_int_equal(ipmon_status(m, &st, 1), 1);
	inet_pton(AF_INET, "192.0.2.50", &src);
	assert_int_equal(st.source, src);
	assert_int_equal(st.state, RG_IP_REACHABLE);
	assert_int_equal(st.fails, 0);
	/* the host learned secondary-ip-address at the child's MAC, not the virtual one */
	assert_int_equal(HOST("ip neigh show 192.0.2.50 dev h0 | grep -qv 00:10:db:ff"), 0);

	/* the target goes away: unreachable after retry-count (5) failures, ~5 s */
	HOST("ip addr del 192.0.2.100/24 dev h0");
	ip_reports = 0;
	wait_ip(RG_IP_UNREACHABLE, 8000);
	assert_int_equal(ip_reports, 1);
	HOST("ip addr add 192.0.2.100/24 dev h0");
	wait_ip(RG_IP_REACHABLE, 2500);
	ipmon_free(m);
}

static void test_inactive_again_and_cleanup(void **state)
{
	struct plat_link l;
	struct capt cp;
	char val[16] = "";
	FILE *f;

	(void)state;
	SKIP_UNLESS_READY();
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &l), 0);
	assert_false(l.admin_up);
	assert_int_equal(addrs_of(l.ifindex).n4 + addrs_of(l.ifindex).n6, 0);
	cap_drain(&cp);
	assert_int_not_equal(HOST("ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1"), 0);
	cap_drain(&cp);
	assert_int_equal(cp.from_vmac + cp.from_c0 + cp.other_out, 0);

	f = fopen("/proc/sys/net/ipv4/conf/c0/arp_ignore", "r");
	assert_non_null(f);
	assert_non_null(fgets(val, sizeof(val), f));
	fclose(f);
	assert_int_equal(atoi(val), 8);

	reth_table_free(rt);
	rt = NULL;
	assert_int_equal(plat_link_get_by_name(plat, "reth0", &l), -ENODEV);
	f = fopen("/proc/sys/net/ipv4/conf/c0/arp_ignore", "r");
	assert_non_null(fgets(val, sizeof(val), f));
	fclose(f);
	assert_int_equal(atoi(val), 0);
	f = fopen("/proc/sys/net/ipv6/conf/c0/disable_ipv6", "r");
	assert_non_null(fgets(val, sizeof(val), f));
	fclose(f);
	assert_int_equal(atoi(val), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_inactive_created_and_silent),
	        cmocka_unit_test(test_active_addresses_and_garps),
	        cmocka_unit_test(test_diff_apply_keeps_state),
	        cmocka_unit_test(test_ipmon_primary_and_secondary),
	        cmocka_unit_test(test_inactive_again_and_cleanup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
