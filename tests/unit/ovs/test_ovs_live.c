/*
 * The OVSDB client against a real, private Open vSwitch (notes §9 recipe):
 * ovsdb-server + ovs-vswitchd (userspace datapath) in a temp dir and a new
 * network namespace. Creates a bridge and two veth ports through the
 * client, sets access / trunk / native-untagged VLAN columns, checks them
 * with ovs-vsctl and that cur_cfg caught up, and that a second identical
 * reconcile writes nothing. Needs root and openvswitch-switch; skips
 * otherwise. Everything is removed again (both daemons, the namespace).
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ev.h"
#include "platform/ovs/ovsdb.h"

static char dir[64];
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

/* ovs-vsctl's answer for one column, trimmed. */
static void vsctl_get(const char *what, char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "timeout 10 ovs-vsctl --no-wait get %s 2>&1", what);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
}

static void kill_pidfile(const char *name)
{
	char path[128];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) == 1 && pid > 1) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 50 && kill(pid, 0) == 0; i++)
			usleep(20000);
		kill(pid, SIGKILL);
	}
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/ovs-vswitchd", X_OK) != 0 ||
	    access("/usr/sbin/ovsdb-server", X_OK) != 0) {
		fprintf(stderr, "skipped: needs root and openvswitch-switch\n");
		return 0;
	}
	/* Own namespace: the userspace datapath's taps and our veths vanish
	 * with it. */
	if (unshare(CLONE_NEWNET) != 0)
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/keel-ovs-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("OVS_RUNDIR", dir, 1);
	setenv("OVS_LOGDIR", dir, 1);
	setenv("OVS_DBDIR", dir, 1);
	if (sh("ip link set lo up && "
	       "ovsdb-tool create %s/conf.db /usr/share/openvswitch/vswitch.ovsschema && "
	       "ovsdb-server %s/conf.db --remote=punix:%s/db.sock --pidfile --detach --log-file "
	       "-vconsole:off "
	       "&& ovs-vsctl --no-wait init && "
	       "ovs-vswitchd unix:%s/db.sock --pidfile --detach --log-file -vconsole:off",
	       dir, dir, dir, dir) != 0)
		return -1;
	started = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!dir[0])
		return 0;
	kill_pidfile("ovs-vswitchd");
	kill_pidfile("ovsdb-server");
	sh("ip link del ovs-netdev 2>/dev/null; ip link del br0 2>/dev/null; "
	   "ip link del v1a 2>/dev/null; ip link del v2a 2>/dev/null; rm -rf %s",
	   dir);
	return 0;
}

struct live {
	struct event_base *base;
	int ready, done, err;
};

static void l_ready(void *arg)
{
	((struct live *)arg)->ready++;
}
static void l_done(void *arg, int err)
{
	struct live *l = arg;

	l->done++;
	l->err = err;
}
static const struct ovsdb_conn_ops l_ops = {.ready = l_ready};

static void run_until(struct live *l, int *flag, int want)
{
	uint64_t end = mono_ms() + 10000;

	while (*flag < want && mono_ms() < end)
		event_base_loop(l->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(*flag, want);
}

/* Runs one ovs_* call and waits until vswitchd applied it. */
static void apply(struct live *l, int r)
{
	int before = l->done;

	assert_int_equal(r, 0);
	run_until(l, &l->done, before + 1);
	assert_int_equal(l->err, 0);
}

static void test_live(void **state)
{
	struct live l = {0};
	struct ovsdb_conn *c;
	char path[128], buf[256], cur[32], next[32];
	struct ovs_port_vlan want[2];
	static const char *const names[] = {"v1a", "v2a"};
	struct ovsdb_conn_stats st;
	uint64_t t0;

	(void)state;
	if (!started)
		skip();
	assert_int_equal(sh("ip link add v1a type veth peer name v1b && "
	                    "ip link add v2a type veth peer name v2b && "
	                    "ip link set v1a up && ip link set v2a up"),
	                 0);
	l.base = ev_base_new();
	snprintf(path, sizeof(path), "%s/db.sock", dir);
	c = ovsdb_conn_open(l.base, path, &l_ops, &l);
	assert_non_null(c);
	run_until(&l, &l.ready, 1);
	assert_non_null(ovsdb_conn_root(c));

	apply(&l, ovs_bridge_add(c, "br0", l_done, &l));
	assert_int_equal(ovs_bridge_add(c, "br0", l_done, &l), -EEXIST);
	memset(want, 0, sizeof(want));
	want[0].tag = 100;
	want[0].mode = OVS_VLAN_MODE_ACCESS;
	apply(&l, ovs_port_add(c, "br0", "v1a", &want[0], l_done, &l));
	apply(&l, ovs_port_add(c, "br0", "v2a", NULL, l_done, &l));
	vsctl_get("Bridge br0 datapath_type", buf, sizeof(buf));
	assert_string_equal(buf, "netdev");
	vsctl_get("Port v1a tag", buf, sizeof(buf));
	assert_string_equal(buf, "100");
	vsctl_get("Port v1a vlan_mode", buf, sizeof(buf));
	assert_string_equal(buf, "access");

	/* v1a: access 200; v2a: trunk 10,20 with native 30 (untagged). */
	want[0].tag = 200;
	want[1].tag = 30;
	want[1].mode = OVS_VLAN_MODE_NATIVE_UNTAGGED;
	ovs_vlan_set_add(&want[1].trunks, 10);
	ovs_vlan_set_add(&want[1].trunks, 20);
	ovs_vlan_set_add(&want[1].trunks, 30);
	t0 = mono_us();
	apply(&l, ovs_port_set_vlans(c, 2, names, want, l_done, &l));
	fprintf(stderr, "reconcile of 2 ports applied (cur_cfg caught up) in %llu us\n",
	        (unsigned long long)(mono_us() - t0));
	vsctl_get("Port v1a tag", buf, sizeof(buf));
	assert_string_equal(buf, "200");
	vsctl_get("Port v2a tag", buf, sizeof(buf));
	assert_string_equal(buf, "30");
	vsctl_get("Port v2a vlan_mode", buf, sizeof(buf));
	assert_string_equal(buf, "native-untagged");
	vsctl_get("Port v2a trunks", buf, sizeof(buf));
	assert_string_equal(buf, "[10, 20, 30]");
	vsctl_get("Open_vSwitch . cur_cfg", cur, sizeof(cur));
	vsctl_get("Open_vSwitch . next_cfg", next, sizeof(next));
	assert_string_equal(cur, next);

	/* The same wanted state again: nothing is written. */
	ovsdb_conn_get_stats(c, &st);
	assert_int_equal(ovs_port_set_vlans(c, 2, names, want, l_done, &l), 1);
	{
		struct ovsdb_conn_stats st2;

		ovsdb_conn_get_stats(c, &st2);
		assert_int_equal(st2.transacts, st.transacts);
	}

	/* Plain trunk: the tag goes away, mode trunk. */
	want[1].tag = 0;
	want[1].mode = OVS_VLAN_MODE_TRUNK;
	apply(&l, ovs_port_set_vlans(c, 2, names, want, l_done, &l));
	vsctl_get("Port v2a tag", buf, sizeof(buf));
	assert_string_equal(buf, "[]");
	vsctl_get("Port v2a vlan_mode", buf, sizeof(buf));
	assert_string_equal(buf, "trunk");

	/* Bench anchor (issue 7): a 1..4094 native-untagged trunk on one port. */
	want[1].tag = 1;
	want[1].mode = OVS_VLAN_MODE_NATIVE_UNTAGGED;
	for (uint16_t v = 1; v <= 4094; v++)
		ovs_vlan_set_add(&want[1].trunks, v);
	t0 = mono_us();
	apply(&l, ovs_port_set_vlans(c, 2, names, want, l_done, &l));
	fprintf(stderr, "4094-VLAN trunk on one port applied (cur_cfg) in %llu us\n",
	        (unsigned long long)(mono_us() - t0));
	vsctl_get("Port v2a vlan_mode", buf, sizeof(buf));
	assert_string_equal(buf, "native-untagged");
	{
		struct ovs_port_vlan have;

		assert_int_equal(
		        ovs_port_vlan_from_row(
		                ovsdb_cache_find(ovsdb_conn_cache(c), "Port", "name", "v2a", NULL),
		                &have),
		        0);
		assert_int_equal(ovs_vlan_set_count(&have.trunks), 4094);
	}
	t0 = mono_us();
	assert_int_equal(ovs_port_set_vlans(c, 2, names, want, l_done, &l), 1);
	fprintf(stderr, "unchanged re-apply: 0 writes, %llu us\n",
	        (unsigned long long)(mono_us() - t0));

	apply(&l, ovs_port_del(c, "v2a", l_done, &l));
	assert_int_equal(sh("timeout 10 ovs-vsctl --no-wait list-ports br0 | grep -qx v1a && "
	                    "! timeout 10 ovs-vsctl --no-wait list-ports br0 | grep -q v2a"),
	                 0);
	ovsdb_conn_close(c);
	event_base_free(l.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
