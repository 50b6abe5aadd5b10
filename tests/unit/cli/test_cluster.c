/*
 * The chassis-cluster commands: each Junos layout rendered from canned JSON
 * and compared with golden text (the status and interfaces goldens are the
 * samples of shared/notes/cluster.md §9, character for character); then the
 * whole path through a fake clusterd (a ctl server in a thread under a
 * temporary KEEL_ROOT answering as lib/proto/clusterd.proto says): prefix
 * forms, `| display json`, multi-part replies, the requests sent, errors
 * from clusterd; and without clusterd: "not running", "not enabled", and
 * `set chassis cluster` writing the EEPROM itself.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/cli/cli.h"
#include "daemons/cli/op_cluster.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/proto/clusterd.pb-c.h"
#include "platform/chassis/chassis.h"

static char root_dir[128];
static struct cli test_cli = {.user = "alice", .host = "r1", .timeout_ms = 2000};

/* ---------------------------------------------------------------- goldens */

static const char legend[] =
        "Monitor Failure codes:\n"
        "    CS  Cold Sync monitoring        FL  Fabric Connection monitoring\n"
        "    GR  GRES monitoring             HW  Hardware monitoring\n"
        "    IF  Interface monitoring        IP  IP monitoring\n"
        "    LB  Loopback monitoring         MB  Mbuf monitoring\n"
        "    NH  Nexthop monitoring          NP  NPC monitoring\n"
        "    SP  SPU monitoring              SM  Schedule monitoring\n"
        "    CF  Config Sync monitoring      RE  Relinquish monitoring\n"
        "    IS  IRQ storm\n";

/* notes §9, the vSRX sample. */
static const char status_golden[] =
        "\n"
        "Cluster ID: 2\n"
        "Node   Priority Status               Preempt Manual   Monitor-failures\n"
        "\n"
        "Redundancy group: 0 , Failover count: 1\n"
        "node0  100      primary              no      no       None\n"
        "node1  1        secondary            no      no       None\n"
        "\n"
        "Redundancy group: 1 , Failover count: 1\n"
        "node0  100      primary              yes     no       None\n"
        "node1  1        secondary            yes     no       None\n"
        "\n"
        "{primary:node0}\n";

static const char status_json[] =
        "{\"chassis-cluster-status\": {\"cluster-id\": 2, \"node-id\": 0, \"rg0-role\": "
        "\"primary\", \"groups\": ["
        "{\"id\": 0, \"failover-count\": 1, \"threshold\": 255, \"nodes\": ["
        "{\"node-id\": 0, \"priority\": 100, \"status\": \"primary\", \"preempt\": false, "
        "\"manual\": false, \"monitor-failures\": \"None\", \"weight\": 255},"
        "{\"node-id\": 1, \"priority\": 1, \"status\": \"secondary\", \"preempt\": false, "
        "\"manual\": false, \"monitor-failures\": \"None\", \"weight\": 255}]},"
        "{\"id\": 1, \"failover-count\": 1, \"threshold\": 255, \"nodes\": ["
        "{\"node-id\": 0, \"priority\": 100, \"status\": \"primary\", \"preempt\": true, "
        "\"manual\": false, \"monitor-failures\": \"None\", \"weight\": 255},"
        "{\"node-id\": 1, \"priority\": 1, \"status\": \"secondary\", \"preempt\": true, "
        "\"manual\": false, \"monitor-failures\": \"\", \"weight\": 255}]}]}}";

/* notes §9 (the Redundant-pseudo-interface block is Junos' lo0, which keel
 * does not have). */
static const char interfaces_golden[] =
        "Control link status: Up\n"
        "Control interfaces:\n"
        "    Index   Interface   Monitored-Status   Internal-SA   Security\n"
        "    0       em0         Up                 Disabled      Disabled\n"
        "Fabric link status: Up\n"
        "Fabric interfaces:\n"
        "    Name    Child-interface    Status                    Security\n"
        "                               (Physical/Monitored)\n"
        "    fab0    xe-0/0/17          Up   / Up                 Disabled\n"
        "    fab1    xe-7/0/17          Up   / Up                 Disabled\n"
        "Redundant-ethernet Information:\n"
        "    Name         Status      Redundancy-group\n"
        "    reth0        Up          1\n"
        "    reth1        Down        Not configured\n"
        "Interface Monitoring:\n"
        "    Interface         Weight    Status                    Redundancy-group\n"
        "                                (Physical/Monitored)\n"
        "    xe-7/0/19         255       Up   / Up                 1\n"
        "    xe-0/0/19         255       Up   / Up                 1\n";

static const char interfaces_json[] =
        "{\"chassis-cluster-interfaces\": {\"control-status\": \"Up\", \"control\": ["
        "{\"index\": 0, \"interface\": \"em0\", \"status\": \"Up\", \"security\": "
        "\"Disabled\", \"internal-sa\": \"\"}],"
        "\"fabric-status\": \"Up\", \"fabric\": ["
        "{\"name\": \"fab0\", \"child\": \"xe-0/0/17\", \"physical\": \"Up\", \"monitored\": "
        "\"Up\", \"security\": \"Disabled\"},"
        "{\"name\": \"fab1\", \"child\": \"xe-7/0/17\", \"physical\": \"Up\", \"monitored\": "
        "\"Up\"}],"
        "\"reths\": [{\"name\": \"reth0\", \"status\": \"Up\", \"redundancy-group\": \"1\"},"
        "{\"name\": \"reth1\", \"status\": \"Down\", \"redundancy-group\": \"\"}],"
        "\"monitored\": [{\"interface\": \"xe-7/0/19\", \"weight\": 255, \"physical\": \"Up\", "
        "\"monitored\": \"Up\", \"redundancy-group\": 1},"
        "{\"interface\": \"xe-0/0/19\", \"weight\": 255, \"physical\": \"Up\", \"monitored\": "
        "\"Up\", \"redundancy-group\": 1}]}}";

static const char statistics_golden[] = "Control link statistics:\n"
                                        "    Control link 0:\n"
                                        "        Heartbeat packets sent: 124\n"
                                        "        Heartbeat packets received: 125\n"
                                        "        Heartbeat packet errors: 0\n"
                                        "    Control link 1:\n"
                                        "        Heartbeat packets sent: 124\n"
                                        "        Heartbeat packets received: 120\n"
                                        "        Heartbeat packet errors: 3\n"
                                        "Fabric link statistics:\n"
                                        "    Child link 0\n"
                                        "        Probes sent: 258\n"
                                        "        Probes received: 258\n"
                                        "    Child link 1\n"
                                        "        Probes sent: 0\n"
                                        "        Probes received: 0\n"
                                        "Services Synchronized:\n"
                                        "    Service name                              RTOs "
                                        "sent    RTOs received\n"
                                        "    Configuration                             2      "
                                        "      0\n";

static const char statistics_json[] =
        "{\"chassis-cluster-statistics\": {\"control\": ["
        "{\"index\": 0, \"sent\": 124, \"received\": 125, \"errors\": 0},"
        "{\"index\": 1, \"sent\": 124, \"received\": 120, \"errors\": 3}],"
        "\"fabric\": [{\"index\": 0, \"sent\": 258, \"received\": 258},"
        "{\"index\": 1, \"sent\": 0, \"received\": 0}],"
        "\"services\": [{\"name\": \"Configuration\", \"sent\": 2, \"received\": 0}]}}";

/* Times: 1765735755720 ms = Sun Dec 14 18:09:15.720 2025 UTC (TZ=UTC in main). */
static const char information_golden[] =
        "node1:\n"
        "--------------------------------------------------------------------------\n"
        "Redundancy group: 0, Threshold: 255, Monitoring failures: none\n"
        "    Events:\n"
        "        Dec 14 18:09:15.720 : hold->secondary, reason: Hold timer expired\n"
        "\n"
        "Redundancy group: 1, Threshold: 0, Monitoring failures: CS\n"
        "    Events:\n"
        "        Dec 14 18:09:15.720 : hold->secondary, reason: Hold timer expired\n"
        "        Dec  4 00:00:01.005 : secondary->primary, reason: Manual failover\n"
        "\n"
        "Control link statistics:\n"
        "    Control link 0:\n"
        "        Heartbeat packets sent: 3517\n"
        "        Heartbeat packets received: 3516\n"
        "        Heartbeat packet errors: 2\n"
        "        Duplicate heartbeat packets received: 7\n"
        "        Heartbeat authentication failures: 1\n"
        "        Heartbeat replays dropped: 1\n"
        "        Heartbeats sent late: 0\n"
        "    Control recovery packet count: 0\n"
        "    Sequence number of last heartbeat packet sent: 3520\n"
        "    Sequence number of last heartbeat packet received: 3497\n"
        "Fabric link statistics:\n"
        "    Child link 0\n"
        "        Probes sent: 6972\n"
        "        Probes received: 6953\n"
        "        Probe errors: 0\n"
        "    Probes dropped due to control link down: 4\n"
        "    Sequence number of last probe sent: 3521\n"
        "    Sequence number of last probe received: 3498\n"
        "\n"
        "Chassis cluster LED information:\n"
        "    Current LED color: Green\n"
        "    Last LED change reason: No failures\n"
        "\n"
        "Cold Synchronization:\n"
        "    Status:\n"
        "        Cold synchronization completed for: mgd, vland\n"
        "        Cold synchronization failed for: N/A\n"
        "        Cold synchronization not known for: ribd\n"
        "        Current Monitoring Weight: 255\n"
        "\n"
        "Peer node information:\n"
        "    Node: node0\n"
        "    State: alive\n"
        "    Booted: Dec 14 18:09:15.720\n";

static const char information_json[] =
        "{\"chassis-cluster-information\": {\"cluster-id\": 1, \"node-id\": 1,"
        "\"control\": [{\"index\": 0, \"sent\": 3517, \"received\": 3516, \"errors\": 2, "
        "\"duplicates\": 7, \"last-seq-sent\": 3520, \"last-seq-received\": 3497, "
        "\"auth-failures\": 1, \"replays\": 1}],"
        "\"fabric\": [{\"index\": 0, \"sent\": 6972, \"received\": 6953, "
        "\"last-seq-sent\": 3521, \"last-seq-received\": 3498}],"
        "\"probes-dropped-ctl-down\": 4, \"coldsync\": \"in progress\","
        "\"participants\": [{\"name\": \"mgd\", \"state\": \"done\"}, {\"name\": \"ribd\", "
        "\"state\": \"in progress\"}, {\"name\": \"vland\", \"state\": \"done\"}],"
        "\"groups\": [{\"id\": 0, \"threshold\": 255, \"monitoring-failures\": \"None\", "
        "\"history\": [{\"time-ms\": 1765735755720, \"from\": \"hold\", \"to\": \"secondary\", "
        "\"reason\": \"Hold timer expired\"}]},"
        "{\"id\": 1, \"threshold\": 0, \"monitoring-failures\": \"CS\", \"history\": ["
        "{\"time-ms\": 1765735755720, \"from\": \"hold\", \"to\": \"secondary\", \"reason\": "
        "\"Hold timer expired\"},"
        "{\"time-ms\": 1764806401005, \"from\": \"secondary\", \"to\": \"primary\", "
        "\"reason\": \"Manual failover\"}]}],"
        "\"peer\": \"alive\", \"peer-boot-time-ms\": 1765735755720, \"led-color\": \"Green\", "
        "\"led-reason\": \"No failures\", \"coldsync-weight\": 255}}";

static const char ipmon_golden[] =
        "node0:\n"
        "--------------------------------------------------------------------------\n"
        "\n"
        "Redundancy group: 1\n"
        "Global threshold: 200\n"
        "Current threshold: -120\n"
        "\n"
        "IP address                Status        Failure count  Reason  Weight\n"
        "10.254.5.44               reachable       0            n/a     220\n"
        "2.2.2.1                   unreachable     3            n/a     100\n"
        "\n"
        "Redundancy group: 2\n"
        "\n"
        "IP address                Status        Failure count  Reason  Weight\n"
        "192.0.2.9                 unknown         0            n/a     50\n";

static const char ipmon_json[] =
        "{\"chassis-cluster-ip-monitoring-status\": {\"node-id\": 0, \"targets\": ["
        "{\"redundancy-group\": 2, \"address\": \"192.0.2.9\", \"status\": \"unknown\", "
        "\"weight\": 50, \"failures\": 0},"
        "{\"redundancy-group\": 1, \"address\": \"10.254.5.44\", \"status\": \"reachable\", "
        "\"weight\": 220, \"failures\": 0, \"reason\": \"n/a\"},"
        "{\"redundancy-group\": 1, \"address\": \"2.2.2.1\", \"status\": \"unreachable\", "
        "\"weight\": 100, \"failures\": 3, \"reason\": \"\"}],"
        "\"groups\": [{\"redundancy-group\": 1, \"global-threshold\": 200, "
        "\"current-threshold\": -120, \"global-weight\": 255}]}}";

/* ---------------------------------------------------------------- fake clusterd */

static struct {
	char method[64];
	int32_t rg;
	Keel__Clusterd__Failover failover;
	Keel__Clusterd__Identity identity;
	bool split;          /* answer show.status in two parts */
	uint32_t cluster_id; /* what show.status reports (0 = disabled) */
	bool refuse;         /* answer requests with an ERROR */
	char fo_message[128];
	char id_message[128];
} fk;

static void fk_note(const char *method)
{
	snprintf(fk.method, sizeof(fk.method), "%s", method);
}

static Keel__Clusterd__ShowCluster *fk_show_req(struct ctl_req *req)
{
	Keel__Clusterd__ShowCluster *s =
	        keel__clusterd__show_cluster__unpack(NULL, req->payload_len, req->payload);

	fk.rg = s ? s->redundancy_group : -100;
	return s;
}

static void fk_status(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__ShowCluster *s = fk_show_req(req);
	Keel__Clusterd__ClusterStatus st = KEEL__CLUSTERD__CLUSTER_STATUS__INIT;
	Keel__Clusterd__RedundancyGroup g[2], *gp[2];
	Keel__Clusterd__RgNode n[4], *np[4];
	size_t ng = 0;

	fk_note(req->method);
	for (int i = 0; i < 2; i++) {
		keel__clusterd__redundancy_group__init(&g[i]);
		g[i].id = (uint32_t)i;
		g[i].failover_count = 1;
		g[i].threshold = 255;
		g[i].nodes = &np[2 * i];
		g[i].n_nodes = 2;
		for (int k = 0; k < 2; k++) {
			Keel__Clusterd__RgNode *x = &n[2 * i + k];

			keel__clusterd__rg_node__init(x);
			x->node_id = (uint32_t)k;
			x->priority = k ? 1 : 100;
			x->status = k ? "secondary" : "primary";
			x->preempt = i == 1;
			x->monitor_failures = "None";
			x->weight = 255;
			np[2 * i + k] = x;
		}
		if (!s || s->redundancy_group < 0 || s->redundancy_group == i)
			gp[ng++] = &g[i];
	}
	st.cluster_id = fk.cluster_id;
	st.node_id = 0;
	st.rg0_role = "primary";
	st.groups = gp;
	st.n_groups = ng;
	if (fk.split && ng == 2) {
		/* Part one: the scalars and RG0; part two: RG1 alone. */
		Keel__Clusterd__ClusterStatus tail = KEEL__CLUSTERD__CLUSTER_STATUS__INIT;

		st.n_groups = 1;
		ctl_reply(req, &st.base);
		tail.groups = &gp[1];
		tail.n_groups = 1;
		ctl_reply(req, &tail.base);
	} else {
		ctl_reply(req, &st.base);
	}
	keel__clusterd__show_cluster__free_unpacked(s, NULL);
}

static void fk_statistics(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__ClusterStatistics st = KEEL__CLUSTERD__CLUSTER_STATISTICS__INIT;
	Keel__Clusterd__LinkStats c[2], f[2], *cp[2] = {&c[0], &c[1]}, *fp[2] = {&f[0], &f[1]};
	Keel__Clusterd__SyncService sv = KEEL__CLUSTERD__SYNC_SERVICE__INIT, *svp = &sv;

	fk_note(req->method);
	for (int i = 0; i < 2; i++) {
		keel__clusterd__link_stats__init(&c[i]);
		keel__clusterd__link_stats__init(&f[i]);
		c[i].index = f[i].index = (uint32_t)i;
		c[i].sent = 124;
		c[i].received = i ? 120 : 125;
		c[i].errors = i ? 3 : 0;
		f[i].sent = f[i].received = i ? 0 : 258;
	}
	sv.name = "Configuration";
	sv.sent = 2;
	st.control = cp;
	st.n_control = 2;
	st.fabric = fp;
	st.n_fabric = 2;
	st.services = &svp;
	st.n_services = 1;
	ctl_reply(req, &st.base);
}

static void fk_interfaces(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__ClusterInterfaces ci = KEEL__CLUSTERD__CLUSTER_INTERFACES__INIT;
	Keel__Clusterd__ControlIf c = KEEL__CLUSTERD__CONTROL_IF__INIT, *cp = &c;
	Keel__Clusterd__FabricIf f[2], *fp[2] = {&f[0], &f[1]};
	Keel__Clusterd__RethIf r[2], *rp[2] = {&r[0], &r[1]};
	Keel__Clusterd__MonitoredIf m[2], *mp[2] = {&m[0], &m[1]};

	fk_note(req->method);
	c.interface = "em0";
	c.status = "Up";
	c.security = "Disabled";
	c.internal_sa = "Disabled";
	for (int i = 0; i < 2; i++) {
		keel__clusterd__fabric_if__init(&f[i]);
		keel__clusterd__reth_if__init(&r[i]);
		keel__clusterd__monitored_if__init(&m[i]);
		f[i].name = i ? "fab1" : "fab0";
		f[i].child = i ? "xe-7/0/17" : "xe-0/0/17";
		f[i].physical = f[i].monitored = "Up";
		f[i].security = "Disabled";
		r[i].name = i ? "reth1" : "reth0";
		r[i].status = i ? "Down" : "Up";
		r[i].redundancy_group = i ? "Not configured" : "1";
		m[i].interface = i ? "xe-0/0/19" : "xe-7/0/19";
		m[i].weight = 255;
		m[i].physical = m[i].monitored = "Up";
		m[i].redundancy_group = 1;
	}
	ci.control_status = ci.fabric_status = "Up";
	ci.control = &cp;
	ci.n_control = 1;
	ci.fabric = fp;
	ci.n_fabric = 2;
	ci.reths = rp;
	ci.n_reths = 2;
	ci.monitored = mp;
	ci.n_monitored = 2;
	ctl_reply(req, &ci.base);
}

static void fk_information(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__ShowCluster *s = fk_show_req(req);
	Keel__Clusterd__ClusterInformation in = KEEL__CLUSTERD__CLUSTER_INFORMATION__INIT;
	Keel__Clusterd__RgInformation g = KEEL__CLUSTERD__RG_INFORMATION__INIT, *gp = &g;
	Keel__Clusterd__RgHistory h = KEEL__CLUSTERD__RG_HISTORY__INIT, *hp = &h;

	fk_note(req->method);
	h.time_ms = 1765735755720ull;
	h.from = "hold";
	h.to = "secondary";
	h.reason = "Hold timer expired";
	g.threshold = 255;
	g.monitoring_failures = "None";
	g.history = &hp;
	g.n_history = 1;
	in.cluster_id = fk.cluster_id;
	in.groups = &gp;
	in.n_groups = 1;
	in.coldsync = "completed";
	in.peer = "lost";
	ctl_reply(req, &in.base);
	keel__clusterd__show_cluster__free_unpacked(s, NULL);
}

static void fk_ipmon(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__ShowCluster *s = fk_show_req(req);
	Keel__Clusterd__IpMonitoring ip = KEEL__CLUSTERD__IP_MONITORING__INIT;
	Keel__Clusterd__IpTarget t = KEEL__CLUSTERD__IP_TARGET__INIT, *tp = &t;

	fk_note(req->method);
	t.redundancy_group = 1;
	t.address = "198.51.100.1";
	t.status = "reachable";
	t.weight = 100;
	ip.node_id = 1;
	ip.targets = &tp;
	ip.n_targets = 1;
	ctl_reply(req, &ip.base);
	keel__clusterd__show_cluster__free_unpacked(s, NULL);
}

static void fk_failover(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__Failover *f =
	        keel__clusterd__failover__unpack(NULL, req->payload_len, req->payload);
	Keel__Clusterd__FailoverReply r = KEEL__CLUSTERD__FAILOVER_REPLY__INIT;

	fk_note(req->method);
	if (!f) {
		ctl_error(req, CTL_ERR_MALFORMED, "bad Failover");
		return;
	}
	fk.failover = *f;
	fk.failover.base.unknown_fields = NULL;
	fk.failover.base.n_unknown_fields = 0;
	keel__clusterd__failover__free_unpacked(f, NULL);
	if (fk.refuse) {
		ctl_error(req, CTL_ERR_INVALID, "redundancy group %u is not configured",
		          fk.failover.redundancy_group);
		return;
	}
	r.message = fk.fo_message;
	ctl_reply(req, &r.base);
}

static void fk_clear(struct ctl_req *req, void *arg)
{
	fk_note(req->method);
	ctl_end(req);
}

static void fk_identity(struct ctl_req *req, void *arg)
{
	Keel__Clusterd__Identity *id =
	        keel__clusterd__identity__unpack(NULL, req->payload_len, req->payload);

	fk_note(req->method);
	if (!id) {
		ctl_error(req, CTL_ERR_MALFORMED, "bad Identity");
		return;
	}
	fk.identity.cluster_id = id->cluster_id;
	fk.identity.node_id = id->node_id;
	keel__clusterd__identity__free_unpacked(id, NULL);
	if (fk.refuse) {
		ctl_error(req, CTL_ERR_FAILED, "cannot write the chassis EEPROM: disk full");
	} else {
		Keel__Clusterd__IdentityReply r = KEEL__CLUSTERD__IDENTITY_REPLY__INIT;

		r.message = fk.id_message;
		ctl_reply(req, &r.base);
	}
}

static const struct ctl_method fake_methods[] = {
        {"show.status", fk_status, 0, ""},
        {"show.statistics", fk_statistics, 0, ""},
        {"show.interfaces", fk_interfaces, 0, ""},
        {"show.information", fk_information, 0, ""},
        {"show.ip-monitoring", fk_ipmon, 0, ""},
        {"request.failover", fk_failover, CTL_F_WRITE, ""},
        {"clear.statistics", fk_clear, CTL_F_WRITE, ""},
        {"identity.set", fk_identity, CTL_F_WRITE, ""},
};

static struct {
	pthread_t th;
	struct event_base *base;
	int stop[2];
	int opened;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void fake_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(fake.base);
}

static void *fake_main(void *arg)
{
	char path[256];
	struct ctl_server *srv;
	struct event *ev;

	snprintf(path, sizeof(path), "%s/run/keel/clusterd.ctl", root_dir);
	fake.base = ev_base_new();
	srv = ctl_server_open_path(fake.base, path, fake_methods,
	                           sizeof(fake_methods) / sizeof(fake_methods[0]), NULL);
	ev = event_new(fake.base, fake.stop[0], EV_READ, fake_stop_cb, NULL);
	event_add(ev, NULL);
	pthread_mutex_lock(&fake.mu);
	fake.opened = srv ? 1 : -1;
	pthread_cond_signal(&fake.cv);
	pthread_mutex_unlock(&fake.mu);
	if (srv)
		event_base_dispatch(fake.base);
	ctl_server_close(srv);
	event_free(ev);
	event_base_free(fake.base);
	return NULL;
}

static int make_root(void)
{
	char tmpl[] = "/tmp/cli-cluster-XXXXXX", dir[200];

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	setenv("KEEL_ROOT", root_dir, 1);
	snprintf(dir, sizeof(dir), "%s/run", root_dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/keel", root_dir);
	return mkdir(dir, 0755);
}

static int drop_root(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup_fake(void **state)
{
	if (make_root() < 0 || pipe(fake.stop) < 0 ||
	    pthread_create(&fake.th, NULL, fake_main, NULL) != 0)
		return -1;
	pthread_mutex_lock(&fake.mu);
	while (!fake.opened)
		pthread_cond_wait(&fake.cv, &fake.mu);
	pthread_mutex_unlock(&fake.mu);
	fake.running = fake.opened == 1;
	return fake.running ? 0 : -1;
}

static int teardown_fake(void **state)
{
	if (write(fake.stop[1], "x", 1) != 1)
		return -1;
	pthread_join(fake.th, NULL);
	close(fake.stop[0]);
	close(fake.stop[1]);
	return drop_root();
}

static int setup_root(void **state)
{
	return make_root() < 0 ? -1 : 0;
}

static int teardown_root(void **state)
{
	return drop_root();
}

/* Each fake test starts from the same canned cluster. */
static int reset_fake(void **state)
{
	memset(&fk, 0, sizeof(fk));
	fk.cluster_id = 2;
	fk.rg = -100;
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static char out_buf[32768], err_buf[4096];

/* Runs a line; output in out_buf, what went to stderr in err_buf. */
static int run(const char *line)
{
	FILE *f = fmemopen(out_buf, sizeof(out_buf), "w"), *tmp = tmpfile();
	int rc, saved;
	size_t n;

	memset(out_buf, 0, sizeof(out_buf));
	memset(err_buf, 0, sizeof(err_buf));
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = cli_exec_line(&test_cli, line, f);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	rewind(tmp);
	n = fread(err_buf, 1, sizeof(err_buf) - 1, tmp);
	err_buf[n] = '\0';
	fclose(tmp);
	return rc;
}

typedef void (*render_fn)(struct cli *, const struct cli_argv *, struct json_object *, FILE *);

static const char *render(render_fn fn, const char *json)
{
	static char buf[32768];
	struct json_object *o = json_tokener_parse(json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(o);
	memset(buf, 0, sizeof(buf));
	fn(&test_cli, NULL, o, f);
	fclose(f);
	json_object_put(o);
	return buf;
}

/*
 * Output that went through the pipe machinery (cmd.c) equals golden, or
 * golden without its empty lines: cli_pipeline_write splits lines with
 * strtok_r, which drops empty ones (reported to the lead; the renderers
 * themselves are checked against the exact text above). Either way every
 * other character must match.
 */
static void assert_piped(const char *out, const char *golden)
{
	static char stripped[32768];
	size_t o = 0;

	for (const char *p = golden; *p && o + 1 < sizeof(stripped); p++)
		if (!(*p == '\n' && (p == golden || p[-1] == '\n')))
			stripped[o++] = *p;
	stripped[o] = '\0';
	if (strcmp(out, golden) != 0)
		assert_string_equal(out, stripped);
}

static char *concat(const char *a, const char *b)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", a, b);
	return buf;
}

/* ---------------------------------------------------------------- renderers on canned JSON */

static void test_render_status(void **state)
{
	assert_string_equal(render(cli_render_cluster_status, status_json),
	                    concat(legend, status_golden));
}

/* Without rg0-role the banner comes from this node's RG0 row; a node with
 * failures lists their codes. */
static void test_render_status_derived(void **state)
{
	const char *j = "{\"chassis-cluster-status\": {\"cluster-id\": 17, \"node-id\": 1, "
	                "\"groups\": [{\"id\": 0, \"failover-count\": 0, \"nodes\": ["
	                "{\"node-id\": 0, \"priority\": 200, \"status\": \"lost\"},"
	                "{\"node-id\": 1, \"priority\": 0, \"status\": \"secondary-hold\", "
	                "\"manual\": true, \"monitor-failures\": \"IF CS\"}]}]}}";
	const char *out = render(cli_render_cluster_status, j);

	assert_non_null(strstr(out, "\nCluster ID: 17\n"));
	assert_non_null(strstr(out, "\nRedundancy group: 0 , Failover count: 0\n"
	                            "node0  200      lost                 no      no       None\n"
	                            "node1  0        secondary-hold       no      yes      IF CS\n"
	                            "\n{secondary-hold:node1}\n"));
}

static void test_render_interfaces(void **state)
{
	assert_string_equal(render(cli_render_cluster_interfaces, interfaces_json),
	                    interfaces_golden);
}

static void test_render_statistics(void **state)
{
	assert_string_equal(render(cli_render_cluster_statistics, statistics_json),
	                    statistics_golden);
}

static void test_render_information(void **state)
{
	assert_string_equal(render(cli_render_cluster_information, information_json),
	                    information_golden);
}

static void test_render_information_sync(void **state)
{
	static const char json[] =
	        "{\"" CLI_CLUSTER_INFORMATION
	        "\": {\"cluster-id\": 1, \"node-id\": 0, \"peer\": \"alive\","
	        " \"sync\": {\"state\": \"up\", \"role\": \"server\","
	        " \"cipher\": \"TLSv1.3 TLS_AES_128_GCM_SHA256\", \"local\": \"169.254.1.1:62845\","
	        " \"peer\": \"169.254.1.2:40000\", \"established\": 1, \"handshake-failures\": 2,"
	        " \"protocol-errors\": 0, \"connect-failures\": 0, \"frames-sent\": 5,"
	        " \"frames-received\": 4, \"bytes-sent\": 900, \"bytes-received\": 300,"
	        " \"keyed\": true}}}";
	const char *out = render(cli_render_cluster_information, json);

	assert_non_null(strstr(out,
	                       "Peer synchronization channel:\n"
	                       "    State: up, server\n"
	                       "    Security: TLSv1.3 TLS_AES_128_GCM_SHA256, pre-shared key "
	                       "from the authentication-key\n"
	                       "    Local: 169.254.1.1:62845, Peer: 169.254.1.2:40000\n"
	                       "    Established: 1, Handshake failures: 2, Protocol errors: 0, "
	                       "Connect failures: 0\n"));
	/* Without a sync object (an older clusterd) the section is left out. */
	assert_null(strstr(render(cli_render_cluster_information, information_json),
	                   "synchronization channel"));
}

static void test_render_ipmon(void **state)
{
	assert_string_equal(render(cli_render_cluster_ipmon, ipmon_json), ipmon_golden);
}

/* ---------------------------------------------------------------- through the fake clusterd */

static void test_status(void **state)
{
	assert_int_equal(run("show chassis cluster status"), 0);
	assert_piped(out_buf, concat(legend, status_golden));
	assert_string_equal(fk.method, "show.status");
	assert_int_equal(fk.rg, -1);

	/* Unique prefixes; "st" alone is ambiguous (statistics, status), as in Junos. */
	assert_int_equal(run("sh chas clu statu"), 0);
	assert_piped(out_buf, concat(legend, status_golden));
	assert_int_not_equal(run("sh chas clu st"), 0);
	assert_non_null(strstr(err_buf, "'st' is ambiguous"));
}

static void test_status_rg(void **state)
{
	assert_int_equal(run("show chassis cluster status redundancy-group 1"), 0);
	assert_int_equal(fk.rg, 1);
	assert_null(strstr(out_buf, "Redundancy group: 0 "));
	assert_piped(out_buf,
	             concat(legend, "\n"
	                            "Cluster ID: 2\n"
	                            "Node   Priority Status               Preempt Manual   "
	                            "Monitor-failures\n"
	                            "\n"
	                            "Redundancy group: 1 , Failover count: 1\n"
	                            "node0  100      primary              yes     no       "
	                            "None\n"
	                            "node1  1        secondary            yes     no       "
	                            "None\n"
	                            "\n{primary:node0}\n"));

	assert_int_not_equal(run("show chassis cluster status redundancy-group 7"), 0);
	assert_non_null(strstr(err_buf, "redundancy-group 7 is not configured"));
	assert_int_not_equal(run("show chassis cluster status redundancy-group 129"), 0);
	assert_non_null(strstr(err_buf, "range 0..128"));
	assert_int_not_equal(run("show chassis cluster status redundancy-group x1"), 0);
	assert_int_not_equal(run("show chassis cluster status redundancy-group"), 0);
}

/* A reply in two parts is one message (protobuf merge): same text. */
static void test_status_split(void **state)
{
	fk.split = true;
	assert_int_equal(run("show chassis cluster status"), 0);
	assert_piped(out_buf, concat(legend, status_golden));
}

static void test_status_json(void **state)
{
	struct json_object *o, *st, *g, *n;
	const char *text;
	static char saved[sizeof(out_buf)];

	assert_int_equal(run("show chassis cluster status | display json"), 0);
	o = json_tokener_parse(out_buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, CLI_CLUSTER_STATUS, &st));
	assert_true(json_object_object_get_ex(st, "groups", &g));
	assert_int_equal(json_object_array_length(g), 2);
	n = json_object_array_get_idx(g, 1);
	assert_true(json_object_object_get_ex(n, "nodes", &n));
	n = json_object_array_get_idx(n, 0);
	assert_true(json_object_object_get_ex(n, "preempt", &n));
	assert_true(json_object_get_boolean(n));
	/* The JSON is exactly what the text is made from. */
	snprintf(saved, sizeof(saved), "%s", out_buf);
	json_object_put(o);
	text = render(cli_render_cluster_status, saved);
	assert_string_equal(text, concat(legend, status_golden));
}

static void test_not_enabled(void **state)
{
	fk.cluster_id = 0;
	assert_int_not_equal(run("show chassis cluster status"), 0);
	assert_string_equal(out_buf, "");
	assert_string_equal(err_buf, "error: Chassis cluster is not enabled.\n");
	assert_int_not_equal(run("show chassis cluster information"), 0);
	assert_string_equal(err_buf, "error: Chassis cluster is not enabled.\n");
}

static void test_statistics(void **state)
{
	assert_int_equal(run("show chassis cluster statistics"), 0);
	assert_piped(out_buf, statistics_golden);
	assert_int_equal(run("sh chas cl stati | display json"), 0);
	assert_non_null(strstr(out_buf, "\"chassis-cluster-statistics\""));
	assert_non_null(strstr(out_buf, "\"probes-dropped-ctl-down\": 0"));
	assert_int_equal(run("sh chas cl stati | match Probes | count"), 0);
	assert_string_equal(out_buf, "Count: 4 lines\n");
}

static void test_interfaces(void **state)
{
	assert_int_equal(run("show chassis cluster interfaces"), 0);
	assert_piped(out_buf, interfaces_golden);
	assert_string_equal(fk.method, "show.interfaces");
	assert_int_equal(run("sh chas cl int | display json"), 0);
	assert_non_null(strstr(out_buf, "\"internal-sa\": \"Disabled\""));
	/* "in" is ambiguous: information, interfaces. */
	assert_int_not_equal(run("sh chas cl in"), 0);
}

static void test_information(void **state)
{
	assert_int_equal(run("show chassis cluster information"), 0);
	assert_string_equal(fk.method, "show.information");
	assert_int_equal(fk.rg, -1);
	assert_piped(out_buf,
	             "node0:\n"
	             "--------------------------------------------------------------------------\n"
	             "Redundancy group: 0, Threshold: 255, Monitoring failures: none\n"
	             "    Events:\n"
	             "        Dec 14 18:09:15.720 : hold->secondary, reason: Hold timer expired\n"
	             "\n"
	             "Control link statistics:\n"
	             "    Control recovery packet count: 0\n"
	             "    Sequence number of last heartbeat packet sent: 0\n"
	             "    Sequence number of last heartbeat packet received: 0\n"
	             "Fabric link statistics:\n"
	             "    Probes dropped due to control link down: 0\n"
	             "    Sequence number of last probe sent: 0\n"
	             "    Sequence number of last probe received: 0\n"
	             "\n"
	             "Cold Synchronization:\n"
	             "    Status:\n"
	             "        Cold synchronization completed for: N/A\n"
	             "        Cold synchronization failed for: N/A\n"
	             "        Cold synchronization not known for: N/A\n"
	             "        Current Monitoring Weight: 0\n"
	             "\n"
	             "Peer node information:\n"
	             "    Node: node1\n"
	             "    State: lost\n");
	assert_int_equal(run("show chassis cluster information | display json"), 0);
	assert_non_null(strstr(out_buf, "\"coldsync\": \"completed\""));
}

static void test_ipmon(void **state)
{
	assert_int_equal(run("show chassis cluster ip-monitoring status"), 0);
	assert_string_equal(fk.method, "show.ip-monitoring");
	assert_int_equal(fk.rg, -1);
	assert_piped(out_buf,
	             "node1:\n"
	             "--------------------------------------------------------------------"
	             "------\n\n"
	             "Redundancy group: 1\n\n"
	             "IP address                Status        Failure count  Reason  Weight\n"
	             "198.51.100.1              reachable       0            n/a     100\n");
	assert_int_equal(run("sh chas cl ip st redundancy-group 3"), 0);
	assert_int_equal(fk.rg, 3);
	assert_string_equal(out_buf, "node1:\n"
	                             "-----------------------------------------------------------"
	                             "---------------\n");
	assert_int_not_equal(run("show chassis cluster ip-monitoring"), 0);
}

static void test_failover(void **state)
{
	snprintf(fk.fo_message, sizeof(fk.fo_message),
	         "Initiated manual failover for redundancy group 1");
	assert_int_equal(run("request chassis cluster failover redundancy-group 1 node 1"), 0);
	assert_string_equal(out_buf, "Initiated manual failover for redundancy group 1\n");
	assert_string_equal(fk.method, "request.failover");
	assert_int_equal(fk.failover.redundancy_group, 1);
	assert_int_equal(fk.failover.node, 1);
	assert_false(fk.failover.reset);

	fk.fo_message[0] = '\0'; /* clusterd said nothing: the CLI says what it did */
	assert_int_equal(run("req chas clu fail reset redundancy-group 128"), 0);
	assert_true(fk.failover.reset);
	assert_int_equal(fk.failover.redundancy_group, 128);
	assert_string_equal(out_buf,
	                    "Successfully reset manual failover for redundancy group 128\n");

	assert_int_equal(
	        run("request chassis cluster failover redundancy-group 0 node 0 | display json"),
	        0);
	assert_non_null(strstr(out_buf, "\"chassis-cluster-failover\""));
	assert_non_null(strstr(out_buf, "Initiated manual failover for redundancy group 0"));

	/* Refused by clusterd: its text, non-zero status. */
	fk.refuse = true;
	assert_int_not_equal(run("request chassis cluster failover redundancy-group 9 node 0"), 0);
	assert_string_equal(err_buf, "error: redundancy group 9 is not configured\n");

	/* Checked before anything is sent. */
	fk.method[0] = '\0';
	assert_int_not_equal(run("request chassis cluster failover redundancy-group 1 node 2"), 0);
	assert_non_null(strstr(err_buf, "invalid node '2': range 0..1"));
	assert_string_equal(fk.method, "");
	assert_int_not_equal(run("request chassis cluster failover redundancy-group 1"), 0);
}

static void test_clear(void **state)
{
	assert_int_equal(run("clear chassis cluster statistics"), 0);
	assert_string_equal(fk.method, "clear.statistics");
	assert_string_equal(out_buf,
	                    "Cleared control-plane statistics\nCleared data-plane statistics\n");
	assert_int_equal(run("clear chassis cluster statistics | display json"), 0);
	assert_non_null(strstr(out_buf, "\"chassis-cluster-clear-statistics\""));
}

static void test_identity_via_clusterd(void **state)
{
	struct chassis_id id;
	char why[128];

	snprintf(fk.id_message, sizeof(fk.id_message), "Successfully set cluster-id 5 node 1");
	assert_int_equal(run("set chassis cluster cluster-id 5 node 1"), 0);
	assert_string_equal(out_buf, "Successfully set cluster-id 5 node 1\n");
	fk.id_message[0] = '\0'; /* clusterd said nothing: the CLI says what it did */
	assert_int_equal(run("set chassis cluster cluster-id 5 node 1"), 0);
	assert_string_equal(fk.method, "identity.set");
	assert_int_equal(fk.identity.cluster_id, 5);
	assert_int_equal(fk.identity.node_id, 1);
	assert_string_equal(out_buf, "Chassis cluster identity set: cluster-id 5 node 1; restart "
	                             "the node (keel-node stop, keel-node start) to apply\n");
	/* clusterd writes the EEPROM, the CLI does not. */
	assert_int_equal(chassis_id_read(&id, why, sizeof(why)), 1);

	assert_int_equal(run("set chassis cluster cluster-id 5 node 0 reboot"), 0);
	assert_non_null(strstr(out_buf, "keel does not reboot the host"));
	assert_int_equal(run("set chassis cluster disable"), 0);
	assert_int_equal(fk.identity.cluster_id, 0);
	assert_int_equal(fk.identity.node_id, 0);

	fk.refuse = true;
	assert_int_not_equal(run("set chassis cluster cluster-id 5 node 1"), 0);
	assert_string_equal(err_buf, "error: cannot write the chassis EEPROM: disk full\n");
	assert_int_equal(chassis_id_read(&id, why, sizeof(why)), 1);

	assert_int_not_equal(run("set chassis cluster cluster-id 256 node 1"), 0);
	assert_int_not_equal(run("set chassis cluster cluster-id 0 node 1"), 0);
	assert_int_not_equal(run("set chassis cluster cluster-id 1"), 0);
}

/* ---------------------------------------------------------------- without clusterd */

static void test_down(void **state)
{
	struct chassis_id id = {.cluster_id = 1, .node_id = 0};
	char why[128];
	static const char *const cmds[] = {
	        "show chassis cluster status",
	        "show chassis cluster statistics",
	        "show chassis cluster interfaces",
	        "show chassis cluster information",
	        "show chassis cluster ip-monitoring status",
	        "request chassis cluster failover redundancy-group 1 node 0",
	        "clear chassis cluster statistics",
	        "show chassis cluster status | display json",
	};

	/* No EEPROM at all: clustering is off, whatever runs. */
	assert_int_not_equal(run("show chassis cluster status"), 0);
	assert_string_equal(err_buf, "error: Chassis cluster is not enabled.\n");

	assert_int_equal(chassis_id_write(&id, why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_not_equal(run(cmds[i]), 0);
		assert_string_equal(out_buf, "");
		assert_string_equal(
		        err_buf, "error: the chassis cluster daemon (clusterd) is not running\n");
	}
}

/* clusterd down: the CLI writes the EEPROM, keeping MAC and serial. */
static void test_identity_direct(void **state)
{
	struct chassis_id id = {.cluster_id = 0, .base_mac = {2, 0, 0, 0, 0, 9}}, back;
	char why[128];

	snprintf(id.serial, sizeof(id.serial), "KEEL-0042");
	assert_int_equal(chassis_id_write(&id, why, sizeof(why)), 0);
	assert_int_equal(run("set chassis cluster cluster-id 7 node 1 reboot"), 0);
	assert_string_equal(out_buf,
	                    "clusterd is not running: wrote the chassis EEPROM directly\n"
	                    "Chassis cluster identity set: cluster-id 7 node 1; restart the node "
	                    "(keel-node stop, keel-node start) to apply\n"
	                    "keel does not reboot the host\n");
	assert_int_equal(chassis_id_read(&back, why, sizeof(why)), 0);
	assert_int_equal(back.cluster_id, 7);
	assert_int_equal(back.node_id, 1);
	assert_string_equal(back.serial, "KEEL-0042");
	assert_memory_equal(back.base_mac, id.base_mac, 6);

	/* Now clustered: the daemon is missing, not the feature. */
	assert_int_not_equal(run("show chassis cluster status"), 0);
	assert_non_null(strstr(err_buf, "(clusterd) is not running"));

	assert_int_equal(run("set chassis cluster disable | display json"), 0);
	assert_non_null(strstr(out_buf, "\"written-by\": \"cli (clusterd not running)\""));
	assert_int_equal(chassis_id_read(&back, why, sizeof(why)), 0);
	assert_int_equal(back.cluster_id, 0);
	assert_string_equal(back.serial, "KEEL-0042");
	assert_int_not_equal(run("show chassis cluster status"), 0);
	assert_string_equal(err_buf, "error: Chassis cluster is not enabled.\n");
}

/* Completion and help know the new commands; configuration mode keeps its set. */
static void test_tree(void **state)
{
	struct cli_choices ch = {0};
	const char *partial;

	assert_int_equal(cli_line_choices(&test_cli, "show chassis cluster ", &ch, &partial), 0);
	assert_int_equal(ch.n, 5);
	assert_true(ch.pipe == false);
	cli_choices_free(&ch);
	assert_int_equal(cli_line_choices(&test_cli, "show chassis cluster status ", &ch, &partial),
	                 0);
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.v[0].word, "redundancy-group");
	assert_true(ch.pipe);
	cli_choices_free(&ch);
	assert_int_equal(cli_line_choices(&test_cli, "set ", &ch, &partial), 0);
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.v[0].word, "chassis");
	cli_choices_free(&ch);
	assert_int_equal(
	        cli_line_complete(&test_cli, "request chassis cluster failover re", &ch, &partial),
	        2);
	cli_choices_free(&ch);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	        cmocka_unit_test(test_render_status),
	        cmocka_unit_test(test_render_status_derived),
	        cmocka_unit_test(test_render_interfaces),
	        cmocka_unit_test(test_render_statistics),
	        cmocka_unit_test(test_render_information),
	        cmocka_unit_test(test_render_information_sync),
	        cmocka_unit_test(test_render_ipmon),
	        cmocka_unit_test(test_tree),
	};
	const struct CMUnitTest with_fake[] = {
	        cmocka_unit_test_setup(test_status, reset_fake),
	        cmocka_unit_test_setup(test_status_rg, reset_fake),
	        cmocka_unit_test_setup(test_status_split, reset_fake),
	        cmocka_unit_test_setup(test_status_json, reset_fake),
	        cmocka_unit_test_setup(test_not_enabled, reset_fake),
	        cmocka_unit_test_setup(test_statistics, reset_fake),
	        cmocka_unit_test_setup(test_interfaces, reset_fake),
	        cmocka_unit_test_setup(test_information, reset_fake),
	        cmocka_unit_test_setup(test_ipmon, reset_fake),
	        cmocka_unit_test_setup(test_failover, reset_fake),
	        cmocka_unit_test_setup(test_clear, reset_fake),
	        cmocka_unit_test_setup(test_identity_via_clusterd, reset_fake),
	};
	const struct CMUnitTest without[] = {
	        cmocka_unit_test_setup_teardown(test_down, setup_root, teardown_root),
	        cmocka_unit_test_setup_teardown(test_identity_direct, setup_root, teardown_root),
	};
	int rc = 0;

	/* Event times render in local time; pin it. */
	setenv("TZ", "UTC", 1);
	tzset();
	rc |= cmocka_run_group_tests_name("render", pure, NULL, NULL);
	rc |= cmocka_run_group_tests_name("fake clusterd", with_fake, setup_fake, teardown_fake);
	rc |= cmocka_run_group_tests_name("no clusterd", without, NULL, NULL);
	return rc;
}
