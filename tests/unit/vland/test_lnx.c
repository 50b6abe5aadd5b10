/*
 * vland's Linux bridge back-end (lnx.c) against a fake platform back-end
 * that records every write: the exact calls per config diff.
 *   - VLAN filtering: keel0 created, filtering on with default_pvid 0, each
 *     port enslaved and given its VLANs (access PVID untagged, trunk native
 *     + tagged ranges), the IRB as a bridge self VLAN + 802.1Q device; an
 *     unchanged re-apply writes nothing; a changed access VLAN deletes the
 *     old entry and adds the new one; a dropped port is released; an empty
 *     config removes keel0.
 *   - no VLAN filtering (-EOPNOTSUPP): keel0 goes, one plain bridge per
 *     VLAN, no VLAN calls, the reason names CONFIG_BRIDGE_VLAN_FILTERING;
 *     a dynamic VLAN moves the port to the other bridge; a bridge nobody
 *     uses any more is deleted.
 *   - 802.1X: an unauthorized port is locked, unlocked again on state 0.
 *   - the MAC table from the FDB dump: the plain bridge's VLAN, learned
 *     entries only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <linux/neighbour.h>

#include "daemons/vland/vland_lx.h"

/* ------------------------------------------------------------ fake plat */

#define FAKE_LINKS 32

struct fake {
	struct plat_link links[FAKE_LINKS];
	size_t n;
	int next_ifindex;
	bool filtering; /* the "kernel" has VLAN filtering */
	char log[8192]; /* the writes, one per line */
	char errmsg[256];
	struct plat_fdb fdb[8];
	size_t n_fdb;
};

static struct fake F;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t used = strlen(F.log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(F.log + used, sizeof(F.log) - used, fmt, ap);
	va_end(ap);
	used = strlen(F.log);
	snprintf(F.log + used, sizeof(F.log) - used, "\n");
}

static struct plat_link *fk_find(int ifindex, const char *name)
{
	for (size_t i = 0; i < F.n; i++)
		if ((name && !strcmp(F.links[i].name, name)) ||
		    (!name && F.links[i].ifindex == ifindex))
			return &F.links[i];
	return NULL;
}

static const char *fk_name(int ifindex)
{
	struct plat_link *l = fk_find(ifindex, NULL);

	return l ? l->name : "?";
}

static struct plat_link *fk_add(const char *name, const char *kind)
{
	struct plat_link *l = &F.links[F.n++];

	memset(l, 0, sizeof(*l));
	l->ifindex = F.next_ifindex++;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	return l;
}

static const char *fk_errmsg(void *priv)
{
	(void)priv;
	return F.errmsg;
}

static int fk_link_get(void *priv, int ifindex, const char *name, struct plat_link *out)
{
	struct plat_link *l = fk_find(ifindex, name);

	(void)priv;
	if (!l)
		return -ENODEV;
	*out = *l;
	return 0;
}

static int fk_set_admin(void *priv, int ifindex, bool up)
{
	(void)priv;
	fk_find(ifindex, NULL)->admin_up = up;
	logf_("admin %s %d", fk_name(ifindex), up);
	return 0;
}

static int fk_add_bridge(void *priv, const char *name)
{
	(void)priv;
	if (fk_find(0, name))
		return -EEXIST;
	fk_add(name, "bridge");
	logf_("add-bridge %s", name);
	return 0;
}

static int fk_link_del(void *priv, int ifindex)
{
	struct plat_link *l = fk_find(ifindex, NULL);

	(void)priv;
	logf_("del %s", l->name);
	for (size_t i = 0; i < F.n; i++)
		if (F.links[i].master == ifindex)
			F.links[i].master = 0;
	*l = F.links[--F.n];
	return 0;
}

static int fk_enslave(void *priv, int port, int bridge)
{
	(void)priv;
	fk_find(port, NULL)->master = bridge;
	logf_("enslave %s %s", fk_name(port), bridge ? fk_name(bridge) : "-");
	return 0;
}

static void fk_vlans(const char *op, int port, const struct plat_bridge_vlan *v, size_t n,
                     bool self)
{
	char buf[512] = "";

	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used, " %u%s%s%s", v[i].vid,
		         v[i].vid_end ? "-" : "", "", v[i].pvid ? "P" : "");
		used = strlen(buf);
		if (v[i].vid_end)
			snprintf(buf + used, sizeof(buf) - used, "%u", v[i].vid_end);
		used = strlen(buf);
		if (v[i].untagged)
			snprintf(buf + used, sizeof(buf) - used, "U");
	}
	logf_("%s %s%s%s", op, fk_name(port), self ? " self" : "", buf);
}

static int fk_vlan_add(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self)
{
	(void)priv;
	if (!F.filtering)
		return -EOPNOTSUPP;
	fk_vlans("vlan-add", port, v, n, self);
	return 0;
}

static int fk_vlan_del(void *priv, int port, const struct plat_bridge_vlan *v, size_t n, bool self)
{
	(void)priv;
	if (!F.filtering)
		return -EOPNOTSUPP;
	fk_vlans("vlan-del", port, v, n, self);
	return 0;
}

static int fk_filtering(void *priv, int bridge, bool on, int default_pvid)
{
	(void)priv;
	if (!F.filtering) {
		snprintf(F.errmsg, sizeof(F.errmsg), "%s",
		         "bridge VLAN filtering is not available in this kernel "
		         "(CONFIG_BRIDGE_VLAN_FILTERING)");
		return -EOPNOTSUPP;
	}
	logf_("filtering %s %d pvid %d", fk_name(bridge), on, default_pvid);
	return 0;
}

static int fk_vlan_dev(void *priv, const char *name, int lower, uint16_t vid)
{
	(void)priv;
	fk_add(name, "vlan");
	logf_("vlan-dev %s %s %u", name, fk_name(lower), vid);
	return 0;
}

static int fk_authorize(void *priv, int port, bool locked, bool mab)
{
	(void)priv;
	logf_("lock %s %d %d", fk_name(port), locked, mab);
	return 0;
}

static int fk_fdb_list(void *priv, int bridge, plat_fdb_fn fn, void *arg)
{
	(void)priv;
	for (size_t i = 0; i < F.n_fdb; i++) {
		int r;

		if (F.fdb[i].master != bridge)
			continue;
		if ((r = fn(arg, &F.fdb[i])) != 0)
			return r;
	}
	return 0;
}

static int fk_neigh(const struct plat_neigh *n, const char *op)
{
	if (n->ip.family != AF_BRIDGE || !n->has_lladdr || n->state != NUD_NOARP ||
	    n->flags != NTF_MASTER)
		return -EINVAL;
	logf_("%s %s %02x:%02x:%02x:%02x:%02x:%02x", op, fk_name(n->ifindex), n->lladdr[0],
	      n->lladdr[1], n->lladdr[2], n->lladdr[3], n->lladdr[4], n->lladdr[5]);
	return 0;
}

static int fk_neigh_set(void *priv, const struct plat_neigh *n)
{
	(void)priv;
	return fk_neigh(n, "fdb-add");
}

static int fk_neigh_del(void *priv, const struct plat_neigh *n)
{
	(void)priv;
	return fk_neigh(n, "fdb-del");
}

static int fk_link_list(void *priv, plat_link_fn fn, void *arg)
{
	(void)priv;
	for (size_t i = 0; i < F.n; i++) {
		int r = fn(arg, &F.links[i]);

		if (r)
			return r;
	}
	return 0;
}

static const struct plat_ops fake_ops = {
        .name = "fake",
        .link_list = fk_link_list,
        .neigh_set = fk_neigh_set,
        .neigh_del = fk_neigh_del,
        .errmsg = fk_errmsg,
        .link_get = fk_link_get,
        .link_set_admin = fk_set_admin,
        .link_add_bridge = fk_add_bridge,
        .link_del = fk_link_del,
        .bridge_enslave = fk_enslave,
        .bridge_vlan_add = fk_vlan_add,
        .bridge_vlan_del = fk_vlan_del,
        .port_authorize = fk_authorize,
        .bridge_vlan_filtering = fk_filtering,
        .vlan_dev_add = fk_vlan_dev,
        .fdb_list = fk_fdb_list,
};

/* ------------------------------------------------------------ helpers */

#define IFC(name, es, extra)                                                                       \
	"{\"name\":\"" name "\",\"unit\":[{\"name\":0,\"family\":{\"keel-vlans:ethernet-"          \
	"switching\":" es "}}]" extra "}"
#define ACCESS(v) "{\"interface-mode\":\"access\",\"vlan\":{\"members\":[\"" v "\"]}}"
#define VLANS                                                                                      \
	"\"keel-vlans:vlans\":{\"vlan\":[{\"name\":\"v10\",\"vlan-id\":10,\"l3-interface\":"       \
	"\"irb.10\"},{\"name\":\"v20\",\"vlan-id\":20},{\"name\":\"v30\",\"vlan-id\":30}]}"
#define IRB                                                                                        \
	"{\"name\":\"irb\",\"unit\":[{\"name\":10,\"family\":{\"inet\":{\"address\":[{\"name\":"   \
	"\"10.0.10.1/24\"}]}}}]}"
#define TRUNK                                                                                      \
	IFC("p2", "{\"interface-mode\":\"trunk\",\"vlan\":{\"members\":[\"v10\",\"v20\"]}}",       \
	    ",\"keel-vlans:native-vlan-id\":30")

static const char cfg_full[] = "{" VLANS ",\"keel-interfaces:interfaces\":{\"interface\":[" IFC(
        "p1", ACCESS("v10"), "") "," TRUNK "," IFC("p3", ACCESS("v20"), "") "," IRB "]}}";
static const char cfg_p1_v20[] = "{" VLANS ",\"keel-interfaces:interfaces\":{\"interface\":[" IFC(
        "p1", ACCESS("v20"), "") "," TRUNK "," IFC("p3", ACCESS("v20"), "") "," IRB "]}}";
static const char cfg_no_p2[] = "{" VLANS ",\"keel-interfaces:interfaces\":{\"interface\":[" IFC(
        "p1", ACCESS("v20"), "") "," IFC("p3", ACCESS("v20"), "") "," IRB "]}}";

static void model(const char *text, struct vlan_model *m)
{
	struct json_object *cfg = json_tokener_parse(text);
	char err[256];

	assert_non_null(cfg);
	if (vlan_model_parse(cfg, m, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	json_object_put(cfg);
}

static void reset(bool filtering)
{
	memset(&F, 0, sizeof(F));
	F.next_ifindex = 2;
	F.filtering = filtering;
	fk_add("p1", "veth")->admin_up = true;
	fk_add("p2", "veth")->admin_up = true;
	fk_add("p3", "veth")->admin_up = true;
}

/* Applies `text` and checks the writes were exactly `want`. */
static void apply(struct vland_lx *lx, struct plat *p, const char *text,
                  const struct vland_auths *t, int rc, const char *want)
{
	struct vlan_model m;

	model(text, &m);
	F.log[0] = 0;
	assert_int_equal(vland_lx_apply(lx, p, &m, t), rc);
	if (strcmp(F.log, want))
		fail_msg("writes:\n%s\nexpected:\n%s", F.log, want);
	vlan_model_free(&m);
}

/* ------------------------------------------------------------ tests */

struct fdb_got {
	int n;
	struct vland_fdb_entry e;
};

static int fdb_cb(void *arg, const struct vland_fdb_entry *e)
{
	struct fdb_got *got = arg;

	got->n++;
	got->e = *e;
	return 0;
}

static void test_port_vlans(void **state)
{
	struct vlan_port p;
	struct plat_bridge_vlan v[8];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.mode = VLAN_PORT_MODE_TRUNK;
	p.native = 1;
	for (unsigned i = 1; i <= 4094; i++)
		ovs_vlan_set_add(&p.vlans, (uint16_t)i);
	/* native 1 PVID untagged; 2-4094 tagged as one range */
	assert_int_equal(vland_lx_port_vlans(&p, 0, v, 8), 2);
	assert_true(v[0].vid == 1 && v[0].pvid && v[0].untagged && !v[0].vid_end);
	assert_true(v[1].vid == 2 && v[1].vid_end == 4094 && !v[1].pvid && !v[1].untagged);
	p.mode = VLAN_PORT_MODE_ACCESS;
	assert_int_equal(vland_lx_port_vlans(&p, 7, v, 8), 1);
	assert_true(v[0].vid == 7 && v[0].pvid && v[0].untagged);
	assert_int_equal(vland_lx_port_vlans(&p, 0, v, 8), 0);
}

static void test_filtering(void **state)
{
	struct plat *p;
	struct vland_lx lx;
	struct vland_auths t = {0};
	struct vlan_model empty = {0};

	(void)state;
	reset(true);
	p = plat_open_ops(&fake_ops);
	assert_non_null(p);
	vland_lx_init(&lx);
	apply(&lx, p, cfg_full, &t, 0,
	      "add-bridge keel0\n"
	      "admin keel0 1\n"
	      "filtering keel0 1 pvid 0\n"
	      "enslave p1 keel0\n"
	      "vlan-add p1 10PU\n"
	      "enslave p2 keel0\n"
	      "vlan-add p2 30PU 10 20\n"
	      "enslave p3 keel0\n"
	      "vlan-add p3 20PU\n"
	      "vlan-add keel0 self 10\n"
	      "vlan-dev irb.10 keel0 10\n");
	assert_int_equal(lx.filtering, 1);
	assert_string_equal(lx.error, "");
	/* unchanged: not one write */
	apply(&lx, p, cfg_full, &t, 0, "");
	/* p1 to v20: its old entry goes, the new one comes; nothing else */
	apply(&lx, p, cfg_p1_v20, &t, 0, "vlan-del p1 10PU\nvlan-add p1 20PU\n");
	/* p2 dropped: released */
	apply(&lx, p, cfg_no_p2, &t, 0, "enslave p2 -\n");
	/* the switch config gone: ports released, keel0 (and irb.10) deleted */
	F.log[0] = 0;
	assert_int_equal(vland_lx_apply(&lx, p, &empty, &t), 0);
	assert_string_equal(F.log, "enslave p3 -\nenslave p1 -\ndel keel0\n");
	vland_lx_free(&lx);
	plat_close(p);
}

static void test_no_filtering(void **state)
{
	struct plat *p;
	struct vland_lx lx;
	struct vland_auths t = {0};
	struct vlan_model m;
	struct vland_auth e;
	char err[128];

	(void)state;
	reset(false);
	p = plat_open_ops(&fake_ops);
	vland_lx_init(&lx);
	/* keel0 is probed and removed; VLAN 10 (p1), 30 (p2's native), 20 (p3) each
	 * get a plain bridge; no VLAN call at all */
	apply(&lx, p, cfg_full, &t, 0,
	      "add-bridge keel0\n"
	      "admin keel0 1\n"
	      "del keel0\n"
	      "add-bridge keel10\n"
	      "admin keel10 1\n"
	      "enslave p1 keel10\n"
	      "add-bridge keel30\n"
	      "admin keel30 1\n"
	      "enslave p2 keel30\n"
	      "add-bridge keel20\n"
	      "admin keel20 1\n"
	      "enslave p3 keel20\n");
	assert_int_equal(lx.filtering, 0);
	assert_non_null(strstr(lx.nofilter, "CONFIG_BRIDGE_VLAN_FILTERING"));
	assert_non_null(strstr(lx.error, "p2: tagged trunk members not switched"));
	assert_non_null(strstr(lx.error, "CONFIG_BRIDGE_VLAN_FILTERING"));
	apply(&lx, p, cfg_full, &t, 0, "");
	/* 802.1X on p1: unauthorized locks it, a dynamic VLAN 20 moves it */
	model(cfg_full, &m);
	assert_int_equal(vland_auth_parse(&m, "p1", "", 1, "", &e, err, sizeof(err)), 0);
	assert_int_equal(vland_auths_set(&t, &e), 0);
	/* what p1 learned while open goes with the lock (a locked port forwards
	 * any source with an FDB entry on it); p2's and static entries stay */
	F.fdb[0] = (struct plat_fdb){.ifindex = fk_find(0, "p1")->ifindex,
	                             .master = fk_find(0, "keel10")->ifindex,
	                             .mac = {2, 0, 0, 0, 0, 9},
	                             .state = NUD_REACHABLE};
	F.fdb[1] = F.fdb[0];
	F.fdb[1].ifindex = fk_find(0, "p2")->ifindex;
	F.fdb[2] = F.fdb[0];
	F.fdb[2].state = NUD_NOARP;
	F.n_fdb = 3;
	apply(&lx, p, cfg_full, &t, 0, "lock p1 1 0\nfdb-del p1 02:00:00:00:00:09\n");
	F.n_fdb = 0;
	/* multiple supplicants: an authorized MAC gets its static FDB entry on the
	 * locked port, loses it when revoked */
	assert_int_equal(
	        vland_auth_parse(&m, "p1", "02:00:00:00:00:01", 2, "", &e, err, sizeof(err)), 0);
	assert_int_equal(vland_auths_set(&t, &e), 0);
	apply(&lx, p, cfg_full, &t, 0, "fdb-add p1 02:00:00:00:00:01\n");
	apply(&lx, p, cfg_full, &t, 0, "");
	e.state = VLAND_AUTH_UNCONTROLLED;
	assert_int_equal(vland_auths_set(&t, &e), 0);
	apply(&lx, p, cfg_full, &t, 0, "fdb-del p1 02:00:00:00:00:01\n");
	e.state = VLAND_AUTH_AUTHORIZED;
	assert_int_equal(vland_auths_set(&t, &e), 0);
	apply(&lx, p, cfg_full, &t, 0, "fdb-add p1 02:00:00:00:00:01\n");
	assert_int_equal(vland_auth_parse(&m, "p1", "", 2, "v20", &e, err, sizeof(err)), 0);
	assert_int_equal(vland_auths_set(&t, &e), 0);
	/* (a new bridge port starts unlocked: no unlock call; keel10 has no port left) */
	apply(&lx, p, cfg_full, &t, 0, "enslave p1 keel20\ndel keel10\n");
	vlan_model_free(&m);
	/* p2 gone: keel30 has no port left and goes */
	apply(&lx, p, cfg_no_p2, &t, 0, "enslave p2 -\ndel keel30\n");
	/* MAC table: learned entries of keel20 with VLAN 20; local ones skipped */
	{
		struct plat_link *br = fk_find(0, "keel20");
		struct plat_fdb a = {.ifindex = fk_find(0, "p1")->ifindex,
		                     .master = br->ifindex,
		                     .mac = {2, 0, 0, 0, 0, 1},
		                     .state = NUD_REACHABLE};
		struct plat_fdb b = a;
		struct plat_fdb c = a;

		b.mac[5] = 2;
		b.state = NUD_PERMANENT; /* the port's own address */
		c.ifindex = br->ifindex; /* the bridge's own */
		F.fdb[0] = a;
		F.fdb[1] = b;
		F.fdb[2] = c;
		F.n_fdb = 3;
	}
	{
		struct fdb_got got = {0};

		assert_int_equal(vland_lx_fdb(&lx, p, fdb_cb, &got), 0);
		assert_int_equal(got.n, 1);
		assert_int_equal(got.e.vlan, 20);
		assert_string_equal(got.e.port_name, "p1");
		assert_int_equal(got.e.ofport, -1);
		assert_int_equal(got.e.mac[5], 1);
	}
	vland_auths_free(&t);
	vland_lx_free(&lx);
	plat_close(p);
}

/* A restarted vland finds keel40 (config gone) holding p3 and keel10 holding
 * p1, both from its predecessor: p1 stays, p3 moves to keel20, keel40 goes. */
static void test_adopt(void **state)
{
	struct plat *p;
	struct vland_lx lx;
	struct vland_auths t = {0};
	struct plat_link *b40, *b10;

	(void)state;
	reset(false);
	b10 = fk_add("keel10", "bridge");
	b10->admin_up = true;
	b40 = fk_add("keel40", "bridge");
	b40->admin_up = true;
	fk_add("keel4095", "bridge"); /* not a name of vland's */
	fk_find(0, "p1")->master = b10->ifindex;
	fk_find(0, "p3")->master = b40->ifindex;
	p = plat_open_ops(&fake_ops);
	vland_lx_init(&lx);
	apply(&lx, p, cfg_no_p2, &t, 0,
	      "add-bridge keel0\n"
	      "admin keel0 1\n"
	      "del keel0\n"
	      "add-bridge keel20\n"
	      "admin keel20 1\n"
	      "enslave p1 keel20\n"
	      "enslave p3 keel20\n"
	      "del keel10\n"
	      "del keel40\n");
	assert_non_null(fk_find(0, "keel4095"));
	vland_lx_free(&lx);
	/* VLAN filtering: p1 on keel0 from before loses whatever VLANs it had,
	 * then gets its own; p3 (not on keel0) just its own */
	reset(true);
	b10 = fk_add("keel0", "bridge");
	b10->admin_up = true;
	fk_find(0, "p1")->master = b10->ifindex;
	vland_lx_init(&lx);
	apply(&lx, p, cfg_no_p2, &t, 0,
	      "filtering keel0 1 pvid 0\n"
	      "vlan-del p1 1-4094\n"
	      "vlan-add p1 20PU\n"
	      "enslave p3 keel0\n"
	      "vlan-add p3 20PU\n"
	      "vlan-add keel0 self 10\n"
	      "vlan-dev irb.10 keel0 10\n");
	vland_lx_free(&lx);
	plat_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_port_vlans),
	        cmocka_unit_test(test_filtering),
	        cmocka_unit_test(test_no_filtering),
	        cmocka_unit_test(test_adopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
