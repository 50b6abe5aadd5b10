/*
 * Chassis-cluster commands: each asks clusterd (lib/proto/clusterd.proto)
 * over its ctl socket, turns the reply into JSON with lib/pbjson, and renders
 * the Junos text from that JSON. Layouts follow shared/notes/cluster.md §9
 * to the space: the column widths below are the ones of the Junos samples.
 *
 * A reply may come in several parts; they are concatenated and unpacked as
 * one message, which protobuf defines as merging them (repeated fields
 * append), so clusterd may split a long list without the CLI noticing.
 *
 * When clusterd does not answer, the EEPROM decides the wording: a node whose
 * identity says "not clustered" gets Junos' "Chassis cluster is not enabled.";
 * otherwise the daemon is reported as not running. `set chassis cluster
 * cluster-id N node M` then writes the EEPROM itself (platform/chassis).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemons/cli/op_cluster.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/clusterd.pb-c.h"
#include "platform/chassis/chassis.h"

#define CLI_CLUSTER_MAX_REPLY (16u * 1024 * 1024)
#define CLI_CLUSTER_MAX_RG    128

static const char cli_cluster_not_enabled[] = "Chassis cluster is not enabled.";

/* ---------------------------------------------------------------- JSON access */

static struct json_object *cl_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *cl_str(struct json_object *o, const char *key)
{
	struct json_object *v = cl_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static unsigned long long cl_u64(struct json_object *o, const char *key)
{
	struct json_object *v = cl_get(o, key);

	return v ? (unsigned long long)json_object_get_uint64(v) : 0;
}

static long long cl_i64(struct json_object *o, const char *key)
{
	struct json_object *v = cl_get(o, key);

	return v ? json_object_get_int64(v) : 0;
}

static bool cl_bool(struct json_object *o, const char *key)
{
	struct json_object *v = cl_get(o, key);

	return v && json_object_get_boolean(v);
}

static size_t cl_len(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

static struct json_object *cl_idx(struct json_object *arr, size_t i)
{
	return json_object_array_get_idx(arr, i);
}

/* ---------------------------------------------------------------- clusterd calls */

struct cl_reply {
	uint8_t *buf;
	size_t len, cap;
	bool too_big;
};

static int cl_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cl_reply *r = arg;

	if (r->len + len > CLI_CLUSTER_MAX_REPLY) {
		r->too_big = true;
		return 1;
	}
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *b;

		while (cap < r->len + len)
			cap *= 2;
		b = realloc(r->buf, cap);
		if (!b) {
			r->too_big = true;
			return 1;
		}
		r->buf = b;
		r->cap = cap;
	}
	if (len)
		memcpy(r->buf + r->len, payload, len);
	r->len += len;
	return 0;
}

/* Why clusterd could not be reached, in the operator's terms. */
static void cl_down_reason(char *err, size_t errlen)
{
	struct chassis_id id;
	char why[256];
	int rc = chassis_id_read(&id, why, sizeof(why));

	if (rc == 1 || (rc == 0 && !chassis_clustered(&id)))
		snprintf(err, errlen, "%s", cli_cluster_not_enabled);
	else
		snprintf(err, errlen, "the chassis cluster daemon (clusterd) is not running");
}

/*
 * Calls method with req and unpacks the (merged) reply as desc (NULL: the
 * method answers END only, *out is then NULL). Returns 0, or -1 with err set.
 * *down tells the caller clusterd's socket did not answer at all.
 */
static int cl_call(struct cli *cli, const char *method, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out, bool *down,
                   char *err, size_t errlen)
{
	struct cl_reply r = {0};
	struct ctl_client *c = ctl_client_connect("clusterd");
	int rc;

	*out = NULL;
	if (down)
		*down = !c;
	if (!c) {
		cl_down_reason(err, errlen);
		return -1;
	}
	rc = ctl_call(c, method, req, cl_part, &r, cli->timeout_ms, err, errlen);
	ctl_client_close(c);
	if (rc < 0) {
		if (errno == ETIMEDOUT)
			snprintf(err, errlen, "clusterd did not answer within %d ms",
			         cli->timeout_ms);
		else
			snprintf(err, errlen, "clusterd closed the connection (%s)",
			         strerror(errno));
	} else if (rc > 0 && !err[0]) {
		snprintf(err, errlen, "clusterd: %s", ctl_err_name(rc));
	} else if (rc == 0 && r.too_big) {
		snprintf(err, errlen, "clusterd's answer is larger than %u bytes",
		         CLI_CLUSTER_MAX_REPLY);
		rc = -1;
	} else if (rc == 0 && desc) {
		*out = protobuf_c_message_unpack(desc, NULL, r.len, r.buf);
		if (!*out) {
			snprintf(err, errlen, "clusterd's answer to %s does not decode", method);
			rc = -1;
		}
	}
	free(r.buf);
	return rc == 0 ? 0 : -1;
}

/* {root: pbjson(msg)}; frees msg. */
static struct json_object *cl_wrap(const char *root, ProtobufCMessage *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, root, pbjson_from_msg(msg));
	protobuf_c_message_free_unpacked(msg, NULL);
	return o;
}

/* A decimal argument in 0..max. */
static int cl_num(const char *s, unsigned max, const char *what, uint32_t *out, char *err,
                  size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *s < '0' || *s > '9' || *end || errno || v > max) {
		snprintf(err, errlen, "invalid %s '%s': range 0..%u", what, s ? s : "", max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The RG filter of a show command: -1 = all. */
static int cl_rg_arg(const struct cli_argv *av, int32_t *rg, char *err, size_t errlen)
{
	const char *s = cli_argv_value(av, "<redundancy-group>");
	uint32_t v;

	*rg = -1;
	if (!s)
		return 0;
	if (cl_num(s, CLI_CLUSTER_MAX_RG, "redundancy-group", &v, err, errlen) < 0)
		return -1;
	*rg = (int32_t)v;
	return 0;
}

/* ---------------------------------------------------------------- show chassis cluster status */

static struct json_object *cli_fetch_cluster_status(struct cli *cli, const struct cli_argv *av,
                                                    char *err, size_t errlen)
{
	Keel__Clusterd__ShowCluster req = KEEL__CLUSTERD__SHOW_CLUSTER__INIT;
	ProtobufCMessage *m;
	Keel__Clusterd__ClusterStatus *st;

	if (cl_rg_arg(av, &req.redundancy_group, err, errlen) < 0 ||
	    cl_call(cli, "show.status", &req.base, &keel__clusterd__cluster_status__descriptor, &m,
	            NULL, err, errlen) < 0)
		return NULL;
	st = (Keel__Clusterd__ClusterStatus *)m;
	if (st->cluster_id == 0) {
		snprintf(err, errlen, "%s", cli_cluster_not_enabled);
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	if (req.redundancy_group >= 0) {
		bool found = false;

		for (size_t i = 0; i < st->n_groups; i++)
			found |= st->groups[i]->id == (uint32_t)req.redundancy_group;
		if (!found) {
			snprintf(err, errlen, "redundancy-group %d is not configured",
			         req.redundancy_group);
			protobuf_c_message_free_unpacked(m, NULL);
			return NULL;
		}
	}
	return cl_wrap(CLI_CLUSTER_STATUS, m);
}

/* Junos prints this legend above every status (notes §5 lists the codes). */
static const char cli_cluster_legend[] =
        "Monitor Failure codes:\n"
        "    CS  Cold Sync monitoring        FL  Fabric Connection monitoring\n"
        "    GR  GRES monitoring             HW  Hardware monitoring\n"
        "    IF  Interface monitoring        IP  IP monitoring\n"
        "    LB  Loopback monitoring         MB  Mbuf monitoring\n"
        "    NH  Nexthop monitoring          NP  NPC monitoring\n"
        "    SP  SPU monitoring              SM  Schedule monitoring\n"
        "    CF  Config Sync monitoring      RE  Relinquish monitoring\n"
        "    IS  IRQ storm\n";

/* This node's RG0 role for the {role:nodeN} banner. */
static const char *cl_rg0_role(struct json_object *st)
{
	struct json_object *groups = cl_get(st, "groups");
	unsigned long long self = cl_u64(st, "node-id");

	if (*cl_str(st, "rg0-role"))
		return cl_str(st, "rg0-role");
	for (size_t i = 0; i < cl_len(groups); i++) {
		struct json_object *g = cl_idx(groups, i), *nodes = cl_get(g, "nodes");

		if (cl_u64(g, "id") != 0)
			continue;
		for (size_t k = 0; k < cl_len(nodes); k++)
			if (cl_u64(cl_idx(nodes, k), "node-id") == self)
				return cl_str(cl_idx(nodes, k), "status");
	}
	return "";
}

void cli_render_cluster_status(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                               FILE *out)
{
	struct json_object *st = cl_get(data, CLI_CLUSTER_STATUS);
	struct json_object *groups = cl_get(st, "groups");
	const char *role;
	long long only = -1;

	if (!st)
		return;
	if (av && cli_argv_value(av, "<redundancy-group>"))
		only = atoll(cli_argv_value(av, "<redundancy-group>"));
	fputs(cli_cluster_legend, out);
	fprintf(out, "\nCluster ID: %llu\n", cl_u64(st, "cluster-id"));
	fprintf(out, "%-7s%-9s%-21s%-8s%-9s%s\n", "Node", "Priority", "Status", "Preempt", "Manual",
	        "Monitor-failures");
	for (size_t i = 0; i < cl_len(groups); i++) {
		struct json_object *g = cl_idx(groups, i), *nodes = cl_get(g, "nodes");

		if (only >= 0 && cl_u64(g, "id") != (unsigned long long)only)
			continue;
		/* The space before the comma is Junos' (notes §9). */
		fprintf(out, "\nRedundancy group: %llu , Failover count: %llu\n", cl_u64(g, "id"),
		        cl_u64(g, "failover-count"));
		for (size_t k = 0; k < cl_len(nodes); k++) {
			struct json_object *n = cl_idx(nodes, k);
			const char *mf = cl_str(n, "monitor-failures");
			char name[16];

			snprintf(name, sizeof(name), "node%llu", cl_u64(n, "node-id"));
			fprintf(out, "%-7s%-9llu%-21s%-8s%-9s%s\n", name, cl_u64(n, "priority"),
			        cl_str(n, "status"), cl_bool(n, "preempt") ? "yes" : "no",
			        cl_bool(n, "manual") ? "yes" : "no", *mf ? mf : "None");
		}
	}
	role = cl_rg0_role(st);
	if (*role)
		fprintf(out, "\n{%s:node%llu}\n", role, cl_u64(st, "node-id"));
}

/* ---------------------------------------------------------------- show chassis cluster statistics
 */

static struct json_object *cli_fetch_cluster_statistics(struct cli *cli, const struct cli_argv *av,
                                                        char *err, size_t errlen)
{
	ProtobufCMessage *m;

	if (cl_call(cli, "show.statistics", NULL, &keel__clusterd__cluster_statistics__descriptor,
	            &m, NULL, err, errlen) < 0)
		return NULL;
	return cl_wrap(CLI_CLUSTER_STATISTICS, m);
}

static void cl_control_counters(struct json_object *l, FILE *out)
{
	fprintf(out, "    Control link %llu:\n", cl_u64(l, "index"));
	fprintf(out, "        Heartbeat packets sent: %llu\n", cl_u64(l, "sent"));
	fprintf(out, "        Heartbeat packets received: %llu\n", cl_u64(l, "received"));
	fprintf(out, "        Heartbeat packet errors: %llu\n", cl_u64(l, "errors"));
}

static void cl_fabric_counters(struct json_object *l, FILE *out)
{
	fprintf(out, "    Child link %llu\n", cl_u64(l, "index"));
	fprintf(out, "        Probes sent: %llu\n", cl_u64(l, "sent"));
	fprintf(out, "        Probes received: %llu\n", cl_u64(l, "received"));
}

void cli_render_cluster_statistics(struct cli *cli, const struct cli_argv *av,
                                   struct json_object *data, FILE *out)
{
	struct json_object *s = cl_get(data, CLI_CLUSTER_STATISTICS);
	struct json_object *ctl = cl_get(s, "control"), *fab = cl_get(s, "fabric");
	struct json_object *svc = cl_get(s, "services");

	if (!s)
		return;
	fprintf(out, "Control link statistics:\n");
	for (size_t i = 0; i < cl_len(ctl); i++)
		cl_control_counters(cl_idx(ctl, i), out);
	fprintf(out, "Fabric link statistics:\n");
	for (size_t i = 0; i < cl_len(fab); i++)
		cl_fabric_counters(cl_idx(fab, i), out);
	if (!cl_len(svc))
		return;
	fprintf(out, "Services Synchronized:\n");
	fprintf(out, "    %-42s%-13s%s\n", "Service name", "RTOs sent", "RTOs received");
	for (size_t i = 0; i < cl_len(svc); i++) {
		struct json_object *v = cl_idx(svc, i);

		fprintf(out, "    %-42s%-13llu%llu\n", cl_str(v, "name"), cl_u64(v, "sent"),
		        cl_u64(v, "received"));
	}
}

/* ---------------------------------------------------------------- show chassis cluster interfaces
 */

static struct json_object *cli_fetch_cluster_interfaces(struct cli *cli, const struct cli_argv *av,
                                                        char *err, size_t errlen)
{
	ProtobufCMessage *m;

	if (cl_call(cli, "show.interfaces", NULL, &keel__clusterd__cluster_interfaces__descriptor,
	            &m, NULL, err, errlen) < 0)
		return NULL;
	return cl_wrap(CLI_CLUSTER_INTERFACES, m);
}

static const char *cl_or(const char *s, const char *dflt)
{
	return *s ? s : dflt;
}

void cli_render_cluster_interfaces(struct cli *cli, const struct cli_argv *av,
                                   struct json_object *data, FILE *out)
{
	struct json_object *ifs = cl_get(data, CLI_CLUSTER_INTERFACES);
	struct json_object *ctl = cl_get(ifs, "control"), *fab = cl_get(ifs, "fabric");
	struct json_object *reths = cl_get(ifs, "reths"), *mon = cl_get(ifs, "monitored");

	if (!ifs)
		return;
	fprintf(out, "Control link status: %s\n", cl_or(cl_str(ifs, "control-status"), "Down"));
	fprintf(out, "Control interfaces:\n");
	fprintf(out, "    %-8s%-12s%-19s%-14s%s\n", "Index", "Interface", "Monitored-Status",
	        "Internal-SA", "Security");
	for (size_t i = 0; i < cl_len(ctl); i++) {
		struct json_object *c = cl_idx(ctl, i);

		fprintf(out, "    %-8llu%-12s%-19s%-14s%s\n", cl_u64(c, "index"),
		        cl_str(c, "interface"), cl_or(cl_str(c, "status"), "Down"),
		        cl_or(cl_str(c, "internal-sa"), "Disabled"),
		        cl_or(cl_str(c, "security"), "Disabled"));
	}
	fprintf(out, "Fabric link status: %s\n", cl_or(cl_str(ifs, "fabric-status"), "Down"));
	fprintf(out, "Fabric interfaces:\n");
	fprintf(out, "    %-8s%-19s%-26s%s\n", "Name", "Child-interface", "Status", "Security");
	fprintf(out, "    %-8s%-19s%s\n", "", "", "(Physical/Monitored)");
	for (size_t i = 0; i < cl_len(fab); i++) {
		struct json_object *f = cl_idx(fab, i);

		fprintf(out, "    %-8s%-19s%-5s/ %-19s%s\n", cl_str(f, "name"), cl_str(f, "child"),
		        cl_or(cl_str(f, "physical"), "Down"), cl_or(cl_str(f, "monitored"), "Down"),
		        cl_or(cl_str(f, "security"), "Disabled"));
	}
	fprintf(out, "Redundant-ethernet Information:\n");
	fprintf(out, "    %-13s%-12s%s\n", "Name", "Status", "Redundancy-group");
	for (size_t i = 0; i < cl_len(reths); i++) {
		struct json_object *r = cl_idx(reths, i);

		fprintf(out, "    %-13s%-12s%s\n", cl_str(r, "name"), cl_str(r, "status"),
		        cl_or(cl_str(r, "redundancy-group"), "Not configured"));
	}
	if (!cl_len(mon))
		return;
	fprintf(out, "Interface Monitoring:\n");
	fprintf(out, "    %-18s%-10s%-26s%s\n", "Interface", "Weight", "Status",
	        "Redundancy-group");
	fprintf(out, "    %-18s%-10s%s\n", "", "", "(Physical/Monitored)");
	for (size_t i = 0; i < cl_len(mon); i++) {
		struct json_object *m = cl_idx(mon, i);

		fprintf(out, "    %-18s%-10llu%-5s/ %-19s%llu\n", cl_str(m, "interface"),
		        cl_u64(m, "weight"), cl_or(cl_str(m, "physical"), "Down"),
		        cl_or(cl_str(m, "monitored"), "Down"), cl_u64(m, "redundancy-group"));
	}
}

/* ---------------------------------------------------------------- show chassis cluster information
 */

static struct json_object *cli_fetch_cluster_information(struct cli *cli, const struct cli_argv *av,
                                                         char *err, size_t errlen)
{
	Keel__Clusterd__ShowCluster req = KEEL__CLUSTERD__SHOW_CLUSTER__INIT;
	ProtobufCMessage *m;

	req.redundancy_group = -1;
	if (cl_call(cli, "show.information", &req.base,
	            &keel__clusterd__cluster_information__descriptor, &m, NULL, err, errlen) < 0)
		return NULL;
	if (((Keel__Clusterd__ClusterInformation *)m)->cluster_id == 0) {
		snprintf(err, errlen, "%s", cli_cluster_not_enabled);
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	return cl_wrap(CLI_CLUSTER_INFORMATION, m);
}

/* "nodeN:" and the dashes Junos prints above each node's part. */
static void cl_node_header(FILE *out, unsigned long long node)
{
	fprintf(out, "node%llu:\n", node);
	fprintf(out, "-----------------------------------------------------------------------"
	             "---\n");
}

/* Junos event time: "Dec 14 18:09:15.720", local time. */
static void cl_event_time(char *buf, size_t len, unsigned long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	if (!localtime_r(&t, &tm) || !strftime(day, sizeof(day), "%b %e %H:%M:%S", &tm)) {
		snprintf(buf, len, "%llu", ms);
		return;
	}
	snprintf(buf, len, "%s.%03llu", day, ms % 1000);
}

/* Names of the participants in state `state` joined by ", ", or "N/A". */
static void cl_participants(struct json_object *parts, const char *state, bool others, char *buf,
                            size_t len)
{
	static const char *const known[] = {"done", "failed"};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cl_len(parts) && off < len; i++) {
		struct json_object *p = cl_idx(parts, i);
		const char *s = cl_str(p, "state");
		bool match = others ? strcmp(s, known[0]) != 0 && strcmp(s, known[1]) != 0
		                    : strcmp(s, state) == 0;
		int n;

		if (!match)
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", cl_str(p, "name"));
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "N/A");
}

static unsigned long long cl_max(struct json_object *links, const char *key)
{
	unsigned long long m = 0;

	for (size_t i = 0; i < cl_len(links); i++)
		if (cl_u64(cl_idx(links, i), key) > m)
			m = cl_u64(cl_idx(links, i), key);
	return m;
}

static void cl_info_groups(struct json_object *groups, FILE *out)
{
	for (size_t i = 0; i < cl_len(groups); i++) {
		struct json_object *g = cl_idx(groups, i), *hist = cl_get(g, "history");
		const char *mf = cl_str(g, "monitoring-failures");

		if (!*mf || strcmp(mf, "None") == 0)
			mf = "none";
		fprintf(out, "Redundancy group: %llu, Threshold: %llu, Monitoring failures: %s\n",
		        cl_u64(g, "id"), cl_u64(g, "threshold"), mf);
		fprintf(out, "    Events:\n");
		for (size_t k = 0; k < cl_len(hist); k++) {
			struct json_object *h = cl_idx(hist, k);
			char when[48];

			cl_event_time(when, sizeof(when), cl_u64(h, "time-ms"));
			fprintf(out, "        %s : %s->%s, reason: %s\n", when, cl_str(h, "from"),
			        cl_str(h, "to"), cl_str(h, "reason"));
		}
		fputc('\n', out);
	}
}

static void cl_info_links(struct json_object *info, FILE *out)
{
	struct json_object *ctl = cl_get(info, "control"), *fab = cl_get(info, "fabric");

	fprintf(out, "Control link statistics:\n");
	for (size_t i = 0; i < cl_len(ctl); i++) {
		struct json_object *l = cl_idx(ctl, i);

		cl_control_counters(l, out);
		fprintf(out, "        Duplicate heartbeat packets received: %llu\n",
		        cl_u64(l, "duplicates"));
		/* keel's breakdown of the errors above (HMAC-SHA256 heartbeats). */
		fprintf(out, "        Heartbeat authentication failures: %llu\n",
		        cl_u64(l, "auth-failures"));
		fprintf(out, "        Heartbeat replays dropped: %llu\n", cl_u64(l, "replays"));
		fprintf(out, "        Heartbeats sent late: %llu\n", cl_u64(l, "slips"));
	}
	fprintf(out, "    Control recovery packet count: %llu\n",
	        cl_u64(info, "control-recovery-packets"));
	fprintf(out, "    Sequence number of last heartbeat packet sent: %llu\n",
	        cl_max(ctl, "last-seq-sent"));
	fprintf(out, "    Sequence number of last heartbeat packet received: %llu\n",
	        cl_max(ctl, "last-seq-received"));
	fprintf(out, "Fabric link statistics:\n");
	for (size_t i = 0; i < cl_len(fab); i++) {
		struct json_object *l = cl_idx(fab, i);

		cl_fabric_counters(l, out);
		fprintf(out, "        Probe errors: %llu\n", cl_u64(l, "errors"));
	}
	fprintf(out, "    Probes dropped due to control link down: %llu\n",
	        cl_u64(info, "probes-dropped-ctl-down"));
	fprintf(out, "    Sequence number of last probe sent: %llu\n",
	        cl_max(fab, "last-seq-sent"));
	fprintf(out, "    Sequence number of last probe received: %llu\n",
	        cl_max(fab, "last-seq-received"));
}

void cli_render_cluster_information(struct cli *cli, const struct cli_argv *av,
                                    struct json_object *data, FILE *out)
{
	struct json_object *info = cl_get(data, CLI_CLUSTER_INFORMATION);
	struct json_object *parts = cl_get(info, "participants");
	char list[512];

	if (!info)
		return;
	cl_node_header(out, cl_u64(info, "node-id"));
	cl_info_groups(cl_get(info, "groups"), out);
	cl_info_links(info, out);
	if (*cl_str(info, "led-color")) {
		fprintf(out, "\nChassis cluster LED information:\n");
		fprintf(out, "    Current LED color: %s\n", cl_str(info, "led-color"));
		fprintf(out, "    Last LED change reason: %s\n",
		        cl_or(cl_str(info, "led-reason"), "N/A"));
	}
	fprintf(out, "\nCold Synchronization:\n    Status:\n");
	cl_participants(parts, "done", false, list, sizeof(list));
	fprintf(out, "        Cold synchronization completed for: %s\n", list);
	cl_participants(parts, "failed", false, list, sizeof(list));
	fprintf(out, "        Cold synchronization failed for: %s\n", list);
	cl_participants(parts, NULL, true, list, sizeof(list));
	fprintf(out, "        Cold synchronization not known for: %s\n", list);
	fprintf(out, "        Current Monitoring Weight: %llu\n", cl_u64(info, "coldsync-weight"));
	/* The peer's liveness: keel's addition (Junos shows it only through
	 * the peer's RG states). */
	fprintf(out, "\nPeer node information:\n");
	fprintf(out, "    Node: node%llu\n", cl_u64(info, "node-id") ? 0ull : 1ull);
	fprintf(out, "    State: %s\n", cl_or(cl_str(info, "peer"), "unknown"));
	if (cl_u64(info, "peer-boot-time-ms")) {
		char when[48];

		cl_event_time(when, sizeof(when), cl_u64(info, "peer-boot-time-ms"));
		fprintf(out, "    Booted: %s\n", when);
	}
	/* The TLS channel to the peer that carries cold sync and config sync (keel's). */
	struct json_object *sync = cl_get(info, "sync");

	if (sync) {
		fprintf(out, "\nPeer synchronization channel:\n");
		fprintf(out, "    State: %s%s%s\n", cl_or(cl_str(sync, "state"), "down"),
		        *cl_str(sync, "role") ? ", " : "", cl_str(sync, "role"));
		if (*cl_str(sync, "cipher"))
			fprintf(out, "    Security: %s, pre-shared key %s\n",
			        cl_str(sync, "cipher"),
			        cl_get(sync, "keyed") &&
			                        json_object_get_boolean(cl_get(sync, "keyed"))
			                ? "from the authentication-key"
			                : "without an authentication-key");
		if (*cl_str(sync, "peer"))
			fprintf(out, "    Local: %s, Peer: %s\n", cl_str(sync, "local"),
			        cl_str(sync, "peer"));
		fprintf(out,
		        "    Established: %llu, Handshake failures: %llu, Protocol errors: %llu, "
		        "Connect failures: %llu\n",
		        cl_u64(sync, "established"), cl_u64(sync, "handshake-failures"),
		        cl_u64(sync, "protocol-errors"), cl_u64(sync, "connect-failures"));
		fprintf(out,
		        "    Frames sent: %llu, received: %llu; bytes sent: %llu, received: %llu\n",
		        cl_u64(sync, "frames-sent"), cl_u64(sync, "frames-received"),
		        cl_u64(sync, "bytes-sent"), cl_u64(sync, "bytes-received"));
	}
}

/* ---------------------------------------------------------------- show chassis cluster
 * ip-monitoring status */

static struct json_object *cli_fetch_cluster_ipmon(struct cli *cli, const struct cli_argv *av,
                                                   char *err, size_t errlen)
{
	Keel__Clusterd__ShowCluster req = KEEL__CLUSTERD__SHOW_CLUSTER__INIT;
	ProtobufCMessage *m;

	if (cl_rg_arg(av, &req.redundancy_group, err, errlen) < 0 ||
	    cl_call(cli, "show.ip-monitoring", &req.base,
	            &keel__clusterd__ip_monitoring__descriptor, &m, NULL, err, errlen) < 0)
		return NULL;
	return cl_wrap(CLI_CLUSTER_IPMON, m);
}

static int cl_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds the RG of every element of arr under key to ids (unique). */
static void cl_collect_rgs(struct json_object *arr, const char *key, uint32_t *ids, size_t *n)
{
	for (size_t i = 0; i < cl_len(arr); i++) {
		uint32_t id = (uint32_t)cl_u64(cl_idx(arr, i), key);
		size_t k = 0;

		while (k < *n && ids[k] != id)
			k++;
		if (k == *n && *n <= CLI_CLUSTER_MAX_RG)
			ids[(*n)++] = id;
	}
}

void cli_render_cluster_ipmon(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out)
{
	struct json_object *ip = cl_get(data, CLI_CLUSTER_IPMON);
	struct json_object *targets = cl_get(ip, "targets"), *groups = cl_get(ip, "groups");
	uint32_t ids[CLI_CLUSTER_MAX_RG + 1];
	size_t n = 0;
	long long only = -1;

	if (!ip)
		return;
	if (av && cli_argv_value(av, "<redundancy-group>"))
		only = atoll(cli_argv_value(av, "<redundancy-group>"));
	cl_collect_rgs(groups, "redundancy-group", ids, &n);
	cl_collect_rgs(targets, "redundancy-group", ids, &n);
	qsort(ids, n, sizeof(ids[0]), cl_u32_cmp);
	cl_node_header(out, cl_u64(ip, "node-id"));
	for (size_t r = 0; r < n; r++) {
		if (only >= 0 && ids[r] != (unsigned long long)only)
			continue;
		fprintf(out, "\nRedundancy group: %" PRIu32 "\n", ids[r]);
		for (size_t i = 0; i < cl_len(groups); i++) {
			struct json_object *g = cl_idx(groups, i);

			if (cl_u64(g, "redundancy-group") != ids[r])
				continue;
			fprintf(out, "Global threshold: %llu\n", cl_u64(g, "global-threshold"));
			fprintf(out, "Current threshold: %lld\n", cl_i64(g, "current-threshold"));
			break;
		}
		fprintf(out, "\n%-26s%-14s%-15s%-8s%s\n", "IP address", "Status", "Failure count",
		        "Reason", "Weight");
		for (size_t i = 0; i < cl_len(targets); i++) {
			struct json_object *t = cl_idx(targets, i);

			if (cl_u64(t, "redundancy-group") != ids[r])
				continue;
			/* Junos indents the count two places right of its header. */
			fprintf(out, "%-26s%-16s%-13llu%-8s%llu\n", cl_str(t, "address"),
			        cl_str(t, "status"), cl_u64(t, "failures"),
			        cl_or(cl_str(t, "reason"), "n/a"), cl_u64(t, "weight"));
		}
	}
}

/* ---------------------------------------------------------------- request chassis cluster failover
 */

static struct json_object *cli_fetch_cluster_failover(struct cli *cli, const struct cli_argv *av,
                                                      char *err, size_t errlen)
{
	Keel__Clusterd__Failover req = KEEL__CLUSTERD__FAILOVER__INIT;
	struct json_object *o, *reply;
	ProtobufCMessage *m;
	char msg[128];
	uint32_t rg;

	req.reset = cli_argv_has(av, "reset");
	if (cl_num(cli_argv_value(av, "<redundancy-group>"), CLI_CLUSTER_MAX_RG, "redundancy-group",
	           &rg, err, errlen) < 0)
		return NULL;
	req.redundancy_group = rg;
	if (!req.reset &&
	    cl_num(cli_argv_value(av, "<node>"), 1, "node", &req.node, err, errlen) < 0)
		return NULL;
	if (cl_call(cli, "request.failover", &req.base, &keel__clusterd__failover_reply__descriptor,
	            &m, NULL, err, errlen) < 0)
		return NULL;
	o = cl_wrap(CLI_CLUSTER_FAILOVER, m);
	reply = cl_get(o, CLI_CLUSTER_FAILOVER);
	if (!*cl_str(reply, "message")) {
		/* An empty message still deserves a line saying what happened. */
		if (req.reset)
			snprintf(msg, sizeof(msg),
			         "Successfully reset manual failover for redundancy group %u", rg);
		else
			snprintf(msg, sizeof(msg),
			         "Initiated manual failover for redundancy group %u", rg);
		json_object_object_add(reply, "message", json_object_new_string(msg));
	}
	return o;
}

/* Prints the "message" string(s) under the command's root key. */
static void cli_render_cluster_message(struct cli *cli, const struct cli_argv *av,
                                       struct json_object *data, FILE *out)
{
	json_object_object_foreach(data, key, val)
	{
		struct json_object *msg = cl_get(val, "message");

		(void)key;
		if (json_object_is_type(msg, json_type_array)) {
			for (size_t i = 0; i < cl_len(msg); i++)
				fprintf(out, "%s\n", json_object_get_string(cl_idx(msg, i)));
		} else if (msg && *json_object_get_string(msg)) {
			fprintf(out, "%s\n", json_object_get_string(msg));
		}
	}
}

/* ---------------------------------------------------------------- clear chassis cluster statistics
 */

static struct json_object *cli_fetch_cluster_clear(struct cli *cli, const struct cli_argv *av,
                                                   char *err, size_t errlen)
{
	struct json_object *o, *msg;
	ProtobufCMessage *m;

	if (cl_call(cli, "clear.statistics", NULL, NULL, &m, NULL, err, errlen) < 0)
		return NULL;
	/* clusterd clears both halves: heartbeats (control plane) and fabric
	 * probes (data plane), as Junos' clear does. */
	msg = json_object_new_array();
	json_object_array_add(msg, json_object_new_string("Cleared control-plane statistics"));
	json_object_array_add(msg, json_object_new_string("Cleared data-plane statistics"));
	o = json_object_new_object();
	json_object_object_add(o, "message", msg);
	msg = json_object_new_object();
	json_object_object_add(msg, CLI_CLUSTER_CLEAR, o);
	return msg;
}

/* ---------------------------------------------------------------- set chassis cluster (identity)
 */

/* Writes the identity into the EEPROM ourselves, keeping the base MAC and
 * serial number of the record that is there. */
static int cl_identity_write(uint32_t cluster_id, uint32_t node_id, char *err, size_t errlen)
{
	struct chassis_id id;
	char why[256];

	if (chassis_id_read(&id, why, sizeof(why)) < 0)
		memset(&id, 0, sizeof(id)); /* corrupt: a fresh record replaces it */
	id.cluster_id = (uint8_t)cluster_id;
	id.node_id = (uint8_t)node_id;
	if (chassis_id_write(&id, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cannot write the chassis EEPROM: %s", why);
		return -1;
	}
	return 0;
}

static struct json_object *cli_fetch_cluster_identity(struct cli *cli, const struct cli_argv *av,
                                                      char *err, size_t errlen)
{
	Keel__Clusterd__Identity req = KEEL__CLUSTERD__IDENTITY__INIT;
	struct json_object *o, *msg, *root;
	ProtobufCMessage *m;
	bool down = false, disable = cli_argv_has(av, "disable");
	char line[256];

	if (!disable) {
		if (cl_num(cli_argv_value(av, "<cluster-id>"), 255, "cluster-id", &req.cluster_id,
		           err, errlen) < 0 ||
		    cl_num(cli_argv_value(av, "<node>"), 1, "node", &req.node_id, err, errlen) < 0)
			return NULL;
		if (req.cluster_id == 0 && req.node_id != 0) {
			snprintf(err, errlen,
			         "cluster-id 0 disables clustering and takes node 0 only");
			return NULL;
		}
	}
	msg = json_object_new_array();
	if (cl_call(cli, "identity.set", &req.base, &keel__clusterd__identity_reply__descriptor, &m,
	            &down, err, errlen) < 0) {
		if (!down) {
			json_object_put(msg);
			return NULL;
		}
		/* clusterd is not running: the EEPROM is ours to write. */
		err[0] = '\0';
		if (cl_identity_write(req.cluster_id, req.node_id, err, errlen) < 0) {
			json_object_put(msg);
			return NULL;
		}
		json_object_array_add(
		        msg, json_object_new_string("clusterd is not running: wrote the chassis "
		                                    "EEPROM directly"));
	}
	line[0] = '\0';
	if (m) {
		snprintf(line, sizeof(line), "%s", ((Keel__Clusterd__IdentityReply *)m)->message);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	/* clusterd's own words when it gave some; else ours: clusterd and mgd
	 * read the identity at start-up (platform/chassis). */
	if (!line[0] && req.cluster_id)
		snprintf(line, sizeof(line),
		         "Chassis cluster identity set: cluster-id %u node %u; restart the node "
		         "(keel-node stop, keel-node start) to apply",
		         req.cluster_id, req.node_id);
	else if (!line[0])
		snprintf(line, sizeof(line),
		         "Chassis cluster disabled (cluster-id 0); restart the node (keel-node "
		         "stop, keel-node start) to apply");
	json_object_array_add(msg, json_object_new_string(line));
	if (cli_argv_has(av, "reboot"))
		json_object_array_add(msg, json_object_new_string("keel does not reboot the host"));
	o = json_object_new_object();
	json_object_object_add(o, "cluster-id", json_object_new_int64(req.cluster_id));
	json_object_object_add(o, "node-id", json_object_new_int64(req.node_id));
	json_object_object_add(
	        o, "written-by",
	        json_object_new_string(down ? "cli (clusterd not running)" : "clusterd"));
	json_object_object_add(o, "message", msg);
	root = json_object_new_object();
	json_object_object_add(root, CLI_CLUSTER_IDENTITY, o);
	return root;
}

/* ---------------------------------------------------------------- the trees */

static const struct cli_node cl_rg_value_status[] = {
        {.arg = "<redundancy-group>",
         .help = "Redundancy group number (0..128)",
         .fetch = cli_fetch_cluster_status,
         .render = cli_render_cluster_status},
        {0},
};
static const struct cli_node cl_status[] = {
        {.name = "redundancy-group",
         .help = "Show the status of one redundancy group",
         .children = cl_rg_value_status},
        {0},
};

static const struct cli_node cl_rg_value_ipmon[] = {
        {.arg = "<redundancy-group>",
         .help = "Redundancy group number (0..128)",
         .fetch = cli_fetch_cluster_ipmon,
         .render = cli_render_cluster_ipmon},
        {0},
};
static const struct cli_node cl_ipmon_status[] = {
        {.name = "redundancy-group",
         .help = "Show one redundancy group's IP monitoring",
         .children = cl_rg_value_ipmon},
        {0},
};
static const struct cli_node cl_ipmon[] = {
        {.name = "status",
         .help = "Display IP monitoring status of the monitored addresses",
         .fetch = cli_fetch_cluster_ipmon,
         .render = cli_render_cluster_ipmon,
         .children = cl_ipmon_status},
        {0},
};

static const struct cli_node cl_show[] = {
        {.name = "information",
         .help = "Display chassis-cluster information",
         .fetch = cli_fetch_cluster_information,
         .render = cli_render_cluster_information},
        {.name = "interfaces",
         .help = "Display chassis-cluster interfaces",
         .fetch = cli_fetch_cluster_interfaces,
         .render = cli_render_cluster_interfaces},
        {.name = "ip-monitoring",
         .help = "Display IP monitoring related information",
         .children = cl_ipmon},
        {.name = "statistics",
         .help = "Display chassis-cluster traffic statistics",
         .fetch = cli_fetch_cluster_statistics,
         .render = cli_render_cluster_statistics},
        {.name = "status",
         .help = "Display chassis-cluster status",
         .fetch = cli_fetch_cluster_status,
         .render = cli_render_cluster_status,
         .children = cl_status},
        {0},
};

const struct cli_node cli_show_chassis[] = {
        {.name = "cluster", .help = "Show chassis-cluster information", .children = cl_show},
        {0},
};

/* request chassis cluster failover [reset] redundancy-group N [node M] */
static const struct cli_node cl_fo_node_value[] = {
        {.arg = "<node>",
         .help = "Node to become primary (0..1)",
         .fetch = cli_fetch_cluster_failover,
         .render = cli_render_cluster_message},
        {0},
};
static const struct cli_node cl_fo_node[] = {
        {.name = "node", .help = "Node to fail over to", .children = cl_fo_node_value},
        {0},
};
static const struct cli_node cl_fo_rg_value[] = {
        {.arg = "<redundancy-group>",
         .help = "Redundancy group number (0..128)",
         .children = cl_fo_node},
        {0},
};
static const struct cli_node cl_fo_reset_rg_value[] = {
        {.arg = "<redundancy-group>",
         .help = "Redundancy group number (0..128)",
         .fetch = cli_fetch_cluster_failover,
         .render = cli_render_cluster_message},
        {0},
};
static const struct cli_node cl_fo_reset[] = {
        {.name = "redundancy-group",
         .help = "Redundancy group whose manual failover to reset",
         .children = cl_fo_reset_rg_value},
        {0},
};
static const struct cli_node cl_failover[] = {
        {.name = "redundancy-group",
         .help = "Redundancy group to fail over",
         .children = cl_fo_rg_value},
        {.name = "reset", .help = "Reset a manual failover", .children = cl_fo_reset},
        {0},
};
static const struct cli_node cl_request[] = {
        {.name = "failover",
         .help = "Fail over a redundancy group by hand",
         .children = cl_failover},
        {0},
};
const struct cli_node cli_request_chassis[] = {
        {.name = "cluster", .help = "Chassis-cluster operations", .children = cl_request},
        {0},
};

static const struct cli_node cl_clear[] = {
        {.name = "statistics",
         .help = "Clear chassis-cluster statistics",
         .fetch = cli_fetch_cluster_clear,
         .render = cli_render_cluster_message},
        {0},
};
const struct cli_node cli_clear_chassis[] = {
        {.name = "cluster", .help = "Clear chassis-cluster information", .children = cl_clear},
        {0},
};

/* set chassis cluster cluster-id N node M [reboot] | disable [reboot] */
static const struct cli_node cl_reboot[] = {
        {.name = "reboot",
         .help = "Accepted for Junos compatibility (keel does not reboot the host)",
         .fetch = cli_fetch_cluster_identity,
         .render = cli_render_cluster_message},
        {0},
};
static const struct cli_node cl_id_node_value[] = {
        {.arg = "<node>",
         .help = "Node identifier (0..1)",
         .fetch = cli_fetch_cluster_identity,
         .render = cli_render_cluster_message,
         .children = cl_reboot},
        {0},
};
static const struct cli_node cl_id_node[] = {
        {.name = "node", .help = "Node identifier", .children = cl_id_node_value},
        {0},
};
static const struct cli_node cl_id_value[] = {
        {.arg = "<cluster-id>",
         .help = "Cluster identifier (1..255; 0 disables clustering)",
         .children = cl_id_node},
        {0},
};
static const struct cli_node cl_set[] = {
        {.name = "cluster-id",
         .help = "Set this node's cluster identity in the chassis EEPROM",
         .children = cl_id_value},
        {.name = "disable",
         .help = "Disable clustering on this node (cluster-id 0)",
         .fetch = cli_fetch_cluster_identity,
         .render = cli_render_cluster_message,
         .children = cl_reboot},
        {0},
};
const struct cli_node cli_set_chassis[] = {
        {.name = "cluster", .help = "Chassis cluster identity", .children = cl_set},
        {0},
};
