/*
 * show dot1x interface [IF] [brief|detail], show dot1x statistics [IF], clear dot1x
 * interface IF.
 *
 * dot1xd answers "show.interface" with one Interface per part (its supplicants inside);
 * the fetch gathers them into {"dot1x-interface-information": {"interface": [...]}}.
 * "show.statistics" answers one StatisticsReply per port and a last one with the RADIUS
 * client; the fetch makes {"dot1x-statistics-information": {"interface": [...],
 * "radius": {...}}}.
 *
 * show network-access aaa statistics authentication|radius: the RADIUS part of the same
 * "show.statistics" answer (radclient's per-server counters), in Junos' AAA layout.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "daemons/cli/op_dot1x.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/dot1xd.pb-c.h"

struct cli_dot1x_ctx {
	struct json_object *ifs;
	struct json_object *radius;
};

static int cli_dot1x_if_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_dot1x_ctx *c = arg;
	Keel__Dot1xd__Interface *m = keel__dot1xd__interface__unpack(NULL, len, payload);

	size_t n = json_object_array_length(c->ifs);

	if (!m)
		return -1;
	if (m->continued && n > 0) {
		/* More supplicants of the port the last part named. */
		struct json_object *last = json_object_array_get_idx(c->ifs, n - 1);
		struct json_object *more = pbjson_from_msg(&m->base);
		struct json_object *to = NULL, *from = NULL;

		json_object_object_get_ex(last, "supplicants", &to);
		json_object_object_get_ex(more, "supplicants", &from);
		if (!to && from) {
			json_object_object_add(last, "supplicants", json_object_get(from));
		} else if (to && from) {
			for (size_t i = 0; i < json_object_array_length(from); i++)
				json_object_array_add(
				        to, json_object_get(json_object_array_get_idx(from, i)));
		}
		json_object_put(more);
	} else {
		json_object_array_add(c->ifs, pbjson_from_msg(&m->base));
	}
	keel__dot1xd__interface__free_unpacked(m, NULL);
	return 0;
}

static int cli_dot1x_stats_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_dot1x_ctx *c = arg;
	Keel__Dot1xd__StatisticsReply *m =
	        keel__dot1xd__statistics_reply__unpack(NULL, len, payload);

	if (!m)
		return -1;
	if (m->interface)
		json_object_array_add(c->ifs, pbjson_from_msg(&m->interface->base));
	if (m->radius) {
		if (c->radius)
			json_object_put(c->radius);
		c->radius = pbjson_from_msg(&m->radius->base);
	}
	keel__dot1xd__statistics_reply__free_unpacked(m, NULL);
	return 0;
}

static struct json_object *cli_dot1x_call(struct cli *cli, const struct cli_argv *av,
                                          const char *method, const char *top, ctl_part_fn part,
                                          char *err, size_t errlen)
{
	Keel__Dot1xd__ShowInterface req = KEEL__DOT1XD__SHOW_INTERFACE__INIT;
	const char *ifname = cli_argv_value(av, "<interface-name>");
	struct cli_dot1x_ctx c = {.ifs = json_object_new_array()};
	struct json_object *o, *info;

	req.interface = (char *)(ifname ? ifname : "");
	if (cli_daemon_ask(cli, "dot1xd", method, &req.base, part, &c, err, errlen) != 0) {
		json_object_put(c.ifs);
		if (c.radius)
			json_object_put(c.radius);
		return NULL;
	}
	if (ifname && json_object_array_length(c.ifs) == 0) {
		snprintf(err, errlen, "%s: not an 802.1X interface", ifname);
		json_object_put(c.ifs);
		if (c.radius)
			json_object_put(c.radius);
		return NULL;
	}
	info = json_object_new_object();
	json_object_object_add(info, "interface", c.ifs);
	if (c.radius)
		json_object_object_add(info, "radius", c.radius);
	o = json_object_new_object();
	json_object_object_add(o, top, info);
	return o;
}

static struct json_object *cli_fetch_dot1x_interfaces(struct cli *cli, const struct cli_argv *av,
                                                      char *err, size_t errlen)
{
	return cli_dot1x_call(cli, av, "show.interface", CLI_DOT1X_INTERFACES, cli_dot1x_if_part,
	                      err, errlen);
}

static struct json_object *cli_fetch_dot1x_statistics(struct cli *cli, const struct cli_argv *av,
                                                      char *err, size_t errlen)
{
	return cli_dot1x_call(cli, av, "show.statistics", CLI_DOT1X_STATISTICS,
	                      cli_dot1x_stats_part, err, errlen);
}

/* Junos prints supplicant MACs in upper case. */
static const char *cli_mac_upper(const char *mac, char *buf, size_t len)
{
	size_t i;

	for (i = 0; mac[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)mac[i]);
	buf[i] = '\0';
	return buf;
}

static void cli_dot1x_brief(struct json_object *arr, FILE *out)
{
	fprintf(out, "802.1X Information:\n");
	fprintf(out, "%-14s%-15s%-15s%-21s%s\n", "Interface", "Role", "State", "MAC address",
	        "User");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		struct json_object *sup = cli_jget(p, "supplicants");
		size_t n = sup ? json_object_array_length(sup) : 0;
		bool printed = false;

		for (size_t k = 0; k < n; k++) {
			struct json_object *s = json_object_array_get_idx(sup, k);
			char mac[20];

			fprintf(out, "%-14s%-15s%-15s%-21s%s\n", cli_js(p, "name"),
			        cli_js(p, "role"), cli_js(s, "state"),
			        cli_mac_upper(cli_js(s, "mac"), mac, sizeof(mac)),
			        cli_js(s, "user"));
			printed = true;
		}
		if (!printed)
			fprintf(out, "%-14s%-15s%s\n", cli_js(p, "name"), cli_js(p, "role"),
			        "Connecting");
	}
}

static void cli_dot1x_detail(struct json_object *arr, FILE *out)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		struct json_object *sup = cli_jget(p, "supplicants");
		size_t n = sup ? json_object_array_length(sup) : 0;
		const char *guest = cli_js(p, "guest-vlan");
		size_t connected = 0;

		for (size_t k = 0; k < n; k++) {
			struct json_object *s = json_object_array_get_idx(sup, k);

			if (*cli_js(s, "mac"))
				connected++;
		}
		if (i)
			fprintf(out, "\n");
		fprintf(out, "%s\n", cli_js(p, "name"));
		fprintf(out, "  Role: %s\n", cli_js(p, "role"));
		fprintf(out, "  Administrative state: %s\n", cli_js(p, "admin-state"));
		fprintf(out, "  Supplicant mode: %s\n", cli_js(p, "supplicant-mode"));
		fprintf(out, "  Number of retries: %lld\n", cli_ji(p, "retries"));
		fprintf(out, "  Quiet period: %lld seconds\n", cli_ji(p, "quiet-period"));
		fprintf(out, "  Transmit period: %lld seconds\n", cli_ji(p, "transmit-period"));
		fprintf(out, "  Mac Radius: %s\n",
		        cli_jb(p, "mac-radius") ? "Enabled" : "Disabled");
		fprintf(out, "  Mac Radius Restrict: %s\n",
		        cli_jb(p, "mac-radius-restrict") ? "Enabled" : "Disabled");
		fprintf(out, "  Reauthentication: %s\n",
		        cli_jb(p, "reauthentication") ? "Enabled" : "Disabled");
		fprintf(out, "  Configured Reauthentication interval: %lld seconds\n",
		        cli_ji(p, "reauth-interval"));
		fprintf(out, "  Supplicant timeout: %lld seconds\n",
		        cli_ji(p, "supplicant-timeout"));
		fprintf(out, "  Server timeout: %lld seconds\n", cli_ji(p, "server-timeout"));
		fprintf(out, "  Maximum EAPOL requests: %lld\n", cli_ji(p, "maximum-requests"));
		fprintf(out, "  Guest VLAN member: %s\n", *guest ? guest : "<not configured>");
		fprintf(out, "  Number of connected supplicants: %zu\n", connected);
		for (size_t k = 0; k < n; k++) {
			struct json_object *s = json_object_array_get_idx(sup, k);
			const char *vlan = cli_js(s, "vlan");
			long long due = cli_ji(s, "reauth-due");
			char mac[20];

			if (!*cli_js(s, "mac"))
				continue;
			fprintf(out, "    Supplicant: %s, %s\n", cli_js(s, "user"),
			        cli_mac_upper(cli_js(s, "mac"), mac, sizeof(mac)));
			fprintf(out, "      Operational state: %s\n", cli_js(s, "state"));
			if (!cli_jb(s, "authorized"))
				continue;
			fprintf(out, "      Authentication method: %s\n", cli_js(s, "method"));
			if (*vlan)
				fprintf(out, "      Authenticated VLAN: %s\n", vlan);
			if (cli_ji(s, "reauth-interval"))
				fprintf(out, "      Session Reauth interval: %lld seconds\n",
				        cli_ji(s, "reauth-interval"));
			if (due >= 0 && cli_jget(s, "reauth-due"))
				fprintf(out, "      Reauthentication due in %lld seconds\n", due);
		}
	}
}

void cli_render_dot1x_interfaces(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out)
{
	struct json_object *arr = cli_jget(cli_jget(data, CLI_DOT1X_INTERFACES), "interface");

	(void)cli;
	if (av && cli_argv_has(av, "detail"))
		cli_dot1x_detail(arr, out);
	else
		cli_dot1x_brief(arr, out);
}

void cli_render_dot1x_statistics(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out)
{
	struct json_object *info = cli_jget(data, CLI_DOT1X_STATISTICS);
	struct json_object *arr = cli_jget(info, "interface");
	struct json_object *rad = cli_jget(info, "radius");
	struct json_object *sv = cli_jget(rad, "servers");

	(void)cli;
	(void)av;
	fprintf(out, "802.1X Statistics:\n");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);

		fprintf(out, "Interface: %s\n", cli_js(p, "name"));
		fprintf(out, "  TxReqId = %-10lld TxReq = %-10lld TxTotal = %lld\n",
		        cli_ji(p, "eapol-req-id-tx"), cli_ji(p, "eapol-req-tx"),
		        cli_ji(p, "eapol-frames-tx"));
		fprintf(out, "  RxStart = %-10lld RxLogoff = %-7lld RxRespId = %lld\n",
		        cli_ji(p, "eapol-start-rx"), cli_ji(p, "eapol-logoff-rx"),
		        cli_ji(p, "eapol-resp-id-rx"));
		fprintf(out, "  RxResp = %-11lld RxInvalid = %-6lld RxLenErr = %lld\n",
		        cli_ji(p, "eapol-resp-rx"), cli_ji(p, "invalid-rx"),
		        cli_ji(p, "length-error-rx"));
		fprintf(out, "  RxTotal = %-10lld AuthSuccess = %-4lld AuthFail = %lld\n",
		        cli_ji(p, "eapol-frames-rx"), cli_ji(p, "auth-success"),
		        cli_ji(p, "auth-fail"));
		/* keel: frames lost before dot1xd saw them, and the session limit. */
		fprintf(out, "  RxKernelDrops = %-4lld RxSessLimit = %-4lld Sessions = %lld\n",
		        cli_ji(p, "kernel-drops-rx"), cli_ji(p, "session-limit-rx"),
		        cli_ji(p, "sessions"));
	}
	if (!rad)
		return;
	fprintf(out, "\nRADIUS servers:\n");
	fprintf(out, "%-18s%-7s%-7s%-10s%-9s%-9s%-9s%-11s%-10s%s\n", "Server", "Port", "State",
	        "Requests", "Retrans", "Accepts", "Rejects", "Challenges", "Timeouts", "Dropped");
	for (size_t i = 0; sv && i < json_object_array_length(sv); i++) {
		struct json_object *s = json_object_array_get_idx(sv, i);

		fprintf(out, "%-18s%-7lld%-7s%-10lld%-9lld%-9lld%-9lld%-11lld%-10lld%lld\n",
		        cli_js(s, "address"), cli_ji(s, "port"), cli_js(s, "state"),
		        cli_ji(s, "requests"), cli_ji(s, "retransmissions"), cli_ji(s, "accepts"),
		        cli_ji(s, "rejects"), cli_ji(s, "challenges"), cli_ji(s, "timeouts"),
		        cli_ji(s, "dropped"));
	}
	fprintf(out,
	        "Requests in flight: %lld, replies dropped: %lld, CoA: %lld, Disconnect: %lld\n",
	        cli_ji(rad, "in-flight"), cli_ji(rad, "dropped"), cli_ji(rad, "coa"),
	        cli_ji(rad, "disconnects"));
}

/*
 * Junos `show network-access aaa statistics authentication`: the authentication module's
 * totals, here summed over the access profile's authentication servers (accounting
 * servers excluded); `detail` adds one block per server.
 */
static void cli_render_aaa_auth(struct cli *cli, const struct cli_argv *av,
                                struct json_object *data, FILE *out)
{
	struct json_object *rad = cli_jget(cli_jget(data, CLI_DOT1X_STATISTICS), "radius");
	struct json_object *sv = cli_jget(rad, "servers");
	long long req = 0, acc = 0, rej = 0, chal = 0, tmo = 0, retr = 0, drop = 0;
	size_t n = sv ? json_object_array_length(sv) : 0;

	(void)cli;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(sv, i);

		if (cli_jb(s, "accounting"))
			continue;
		req += cli_ji(s, "requests");
		acc += cli_ji(s, "accepts");
		rej += cli_ji(s, "rejects");
		chal += cli_ji(s, "challenges");
		tmo += cli_ji(s, "timeouts");
		retr += cli_ji(s, "retransmissions");
		drop += cli_ji(s, "dropped");
	}
	fprintf(out, "Authentication module statistics\n");
	fprintf(out, "  Requests received: %lld\n", req);
	fprintf(out, "  Accepts: %lld\n", acc);
	fprintf(out, "  Rejects: %lld\n", rej);
	fprintf(out, "  Challenges: %lld\n", chal);
	fprintf(out, "  Timeouts: %lld\n", tmo);
	fprintf(out, "  Retransmissions: %lld\n", retr);
	fprintf(out, "  Replies dropped: %lld\n", drop);
	if (!av || !cli_argv_has(av, "detail"))
		return;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(sv, i);

		if (cli_jb(s, "accounting"))
			continue;
		fprintf(out, "\nRADIUS server: %s, port %lld (%s)\n", cli_js(s, "address"),
		        cli_ji(s, "port"), cli_js(s, "state"));
		fprintf(out, "  Requests: %lld\n  Accepts: %lld\n  Rejects: %lld\n",
		        cli_ji(s, "requests"), cli_ji(s, "accepts"), cli_ji(s, "rejects"));
		fprintf(out, "  Challenges: %lld\n  Timeouts: %lld\n  Retransmissions: %lld\n",
		        cli_ji(s, "challenges"), cli_ji(s, "timeouts"),
		        cli_ji(s, "retransmissions"));
		fprintf(out, "  Replies dropped: %lld\n  Average round trip: %lld us\n",
		        cli_ji(s, "dropped"), cli_ji(s, "rtt-avg-us"));
	}
}

/* `show network-access aaa statistics radius`: every server, accounting ones included. */
static void cli_render_aaa_radius(struct cli *cli, const struct cli_argv *av,
                                  struct json_object *data, FILE *out)
{
	struct json_object *rad = cli_jget(cli_jget(data, CLI_DOT1X_STATISTICS), "radius");
	struct json_object *sv = cli_jget(rad, "servers");

	(void)cli;
	(void)av;
	fprintf(out, "RADIUS server statistics\n");
	fprintf(out, "%-18s%-7s%-6s%-7s%-10s%-9s%-9s%-9s%-11s%-10s%s\n", "Server", "Port", "Type",
	        "State", "Requests", "Retrans", "Accepts", "Rejects", "Challenges", "Timeouts",
	        "Dropped");
	for (size_t i = 0; sv && i < json_object_array_length(sv); i++) {
		struct json_object *s = json_object_array_get_idx(sv, i);

		fprintf(out, "%-18s%-7lld%-6s%-7s%-10lld%-9lld%-9lld%-9lld%-11lld%-10lld%lld\n",
		        cli_js(s, "address"), cli_ji(s, "port"),
		        cli_jb(s, "accounting") ? "acct" : "auth", cli_js(s, "state"),
		        cli_ji(s, "requests"), cli_ji(s, "retransmissions"), cli_ji(s, "accepts"),
		        cli_ji(s, "rejects"), cli_ji(s, "challenges"), cli_ji(s, "timeouts"),
		        cli_ji(s, "dropped"));
	}
}

static struct json_object *cli_fetch_dot1x_clear(struct cli *cli, const struct cli_argv *av,
                                                 char *err, size_t errlen)
{
	Keel__Dot1xd__ShowInterface req = KEEL__DOT1XD__SHOW_INTERFACE__INIT;
	const char *ifname = cli_argv_value(av, "<interface-name>");
	struct json_object *res, *o;

	if (!ifname) {
		snprintf(err, errlen, "clear dot1x interface needs an interface name");
		return NULL;
	}
	req.interface = (char *)ifname;
	if (cli_daemon_ask(cli, "dot1xd", "clear.interface", &req.base, NULL, NULL, err, errlen))
		return NULL;
	res = json_object_new_object();
	json_object_object_add(res, "interface", json_object_new_string(ifname));
	o = json_object_new_object();
	json_object_object_add(o, CLI_DOT1X_CLEAR, res);
	return o;
}

/* Junos' clear prints nothing; the JSON form says what was cleared. */
static void cli_render_dot1x_clear(struct cli *cli, const struct cli_argv *av,
                                   struct json_object *data, FILE *out)
{
	(void)cli;
	(void)av;
	(void)data;
	(void)out;
}

static const struct cli_node cli_dot1x_if_value_opts[] = {
        {.name = "brief", .help = "Display brief output", .flags = CLI_N_OPTION},
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {0},
};

static const struct cli_node cli_dot1x_if_opts[] = {
        {.arg = "<interface-name>",
         .help = "Name of interface",
         .fetch = cli_fetch_dot1x_interfaces,
         .render = cli_render_dot1x_interfaces,
         .children = cli_dot1x_if_value_opts},
        {.name = "brief", .help = "Display brief output", .flags = CLI_N_OPTION},
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {0},
};

static const struct cli_node cli_dot1x_stats_opts[] = {
        {.arg = "<interface-name>",
         .help = "Name of interface",
         .fetch = cli_fetch_dot1x_statistics,
         .render = cli_render_dot1x_statistics},
        {0},
};

static const struct cli_node cli_aaa_auth_opts[] = {
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {0},
};

static const struct cli_node cli_aaa_stats[] = {
        {.name = "authentication",
         .help = "Show authentication statistics",
         .fetch = cli_fetch_dot1x_statistics,
         .render = cli_render_aaa_auth,
         .children = cli_aaa_auth_opts},
        {.name = "radius",
         .help = "Show RADIUS server statistics",
         .fetch = cli_fetch_dot1x_statistics,
         .render = cli_render_aaa_radius},
        {0},
};

static const struct cli_node cli_aaa[] = {
        {.name = "statistics", .help = "Show AAA statistics", .children = cli_aaa_stats},
        {0},
};

const struct cli_node cli_show_network_access[] = {
        {.name = "aaa", .help = "Show AAA information", .children = cli_aaa},
        {0},
};

const struct cli_node cli_show_dot1x[] = {
        {.name = "interface",
         .help = "Show 802.1X interface information",
         .fetch = cli_fetch_dot1x_interfaces,
         .render = cli_render_dot1x_interfaces,
         .children = cli_dot1x_if_opts},
        {.name = "statistics",
         .help = "Show 802.1X statistics",
         .fetch = cli_fetch_dot1x_statistics,
         .render = cli_render_dot1x_statistics,
         .children = cli_dot1x_stats_opts},
        {0},
};

static const struct cli_node cli_dot1x_clear_value[] = {
        {.arg = "<interface-name>",
         .help = "Name of interface",
         .fetch = cli_fetch_dot1x_clear,
         .render = cli_render_dot1x_clear},
        {0},
};

const struct cli_node cli_clear_dot1x[] = {
        {.name = "interface",
         .help = "Restart 802.1X authentication on an interface",
         .fetch = cli_fetch_dot1x_clear,
         .render = cli_render_dot1x_clear,
         .children = cli_dot1x_clear_value},
        {0},
};
