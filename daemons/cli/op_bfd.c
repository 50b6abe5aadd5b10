/*
 * show bfd session [address A] [detail|extensive], clear bfd session [address A].
 *
 * bfdd answers "show.sessions" with SessionPage parts (sessions, the summary on the last);
 * the fetch merges them into {"bfd-session-information": {"session": [...], "summary": {...}}}
 * and the renderer prints the Junos table, with the per-session lines of detail and
 * extensive below each row, then "N sessions, M clients" and the cumulative rates.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemons/cli/op_bfd.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/bfdd.pb-c.h"

struct cli_bfd_ctx {
	struct json_object *sessions;
	struct json_object *summary;
};

static int cli_bfd_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_bfd_ctx *c = arg;
	Keel__Bfdd__SessionPage *p = keel__bfdd__session_page__unpack(NULL, len, payload);

	if (!p)
		return -1;
	for (size_t i = 0; i < p->n_sessions; i++)
		json_object_array_add(c->sessions, pbjson_from_msg(&p->sessions[i]->base));
	if (p->summary) {
		if (c->summary)
			json_object_put(c->summary);
		c->summary = pbjson_from_msg(&p->summary->base);
	}
	keel__bfdd__session_page__free_unpacked(p, NULL);
	return 0;
}

static struct json_object *cli_fetch_bfd_sessions(struct cli *cli, const struct cli_argv *av,
                                                  char *err, size_t errlen)
{
	Keel__Bfdd__ShowSessions req = KEEL__BFDD__SHOW_SESSIONS__INIT;
	const char *addr = cli_argv_value(av, "<address>");
	struct cli_bfd_ctx c = {.sessions = json_object_new_array()};
	struct json_object *o, *info;

	req.address = (char *)(addr ? addr : "");
	req.detail = cli_argv_has(av, "detail") || cli_argv_has(av, "extensive");
	if (cli_daemon_ask(cli, "bfdd", "show.sessions", &req.base, cli_bfd_part, &c, err,
	                   errlen) != 0) {
		json_object_put(c.sessions);
		if (c.summary)
			json_object_put(c.summary);
		return NULL;
	}
	info = json_object_new_object();
	json_object_object_add(info, "session", c.sessions);
	if (c.summary)
		json_object_object_add(info, "summary", c.summary);
	o = json_object_new_object();
	json_object_object_add(o, CLI_BFD_SESSIONS, info);
	return o;
}

/* Junos prints intervals in seconds with three decimals. */
static const char *cli_sec(char *buf, size_t len, long long us)
{
	snprintf(buf, len, "%.3f", (double)us / 1e6);
	return buf;
}

/* Junos diagnostic names in show bfd session detail. */
static const char *cli_bfd_diag(const char *d)
{
	static const struct {
		const char *ours, *junos;
	} map[] = {
	        {"None", "None"},
	        {"Control Detection Time Expired", "CtlExpire"},
	        {"Echo Function Failed", "EchoExpire"},
	        {"Neighbor Signaled Session Down", "NbrSignal"},
	        {"Forwarding Plane Reset", "FwdPlaneReset"},
	        {"Path Down", "PathDown"},
	        {"Concatenated Path Down", "ConcatPathDown"},
	        {"Administratively Down", "AdminDown"},
	        {"Reverse Concatenated Path Down", "RevConcatPathDown"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].ours, d) == 0)
			return map[i].junos;
	return d;
}

static void cli_bfd_clients(struct json_object *s, char *buf, size_t len)
{
	struct json_object *cl = cli_jget(s, "clients");
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; cl && i < json_object_array_length(cl); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(cl, i));
		int w = snprintf(buf + off, len - off, "%s%c%s", i ? ", " : "",
		                 n && *n ? (char)(n[0] >= 'a' && n[0] <= 'z' ? n[0] - 32 : n[0])
		                         : '?',
		                 n && *n ? n + 1 : "");

		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

/* Echo: Junos' "Echo mode enabled/active" line, then keel's numbers. */
static void cli_bfd_echo(struct json_object *s, bool extensive, FILE *out)
{
	char a[16], b[16], c[16];
	bool on = cli_ji(s, "echo-interval-us") != 0;
	bool active = json_object_get_boolean(cli_jget(s, "echo-active"));
	bool probing = json_object_get_boolean(cli_jget(s, "echo-probing"));

	/* "probing": echo packets go out but are not relied on until echo has been seen working
	 * for the hold-down (bfdd's dampening after an Up or an echo failure). */
	fprintf(out, " Echo mode %s/%s", on ? "enabled" : "disabled",
	        active    ? "active"
	        : probing ? "probing"
	                  : "inactive");
	if (on)
		fprintf(out, ", echo interval %s",
		        cli_sec(a, sizeof(a),
		                active ? cli_ji(s, "echo-tx-interval-us")
		                       : cli_ji(s, "echo-interval-us")));
	fprintf(out, "\n");
	if (!extensive ||
	    (!on && !cli_ji(s, "required-min-echo-rx-us") && !cli_ji(s, "remote-min-echo-rx-us")))
		return;
	fprintf(out, " Echo detection time %s, local min echo RX interval %s, remote %s\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "echo-detection-time-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "required-min-echo-rx-us")),
	        cli_sec(c, sizeof(c), cli_ji(s, "remote-min-echo-rx-us")));
	fprintf(out, " Echo packets sent %lld, received %lld, last round trip %lld usec\n",
	        cli_ji(s, "echo-packets-sent"), cli_ji(s, "echo-packets-received"),
	        cli_ji(s, "echo-rtt-us"));
	if (cli_ji(s, "echo-failures") || cli_ji(s, "echo-holddown-us"))
		fprintf(out, " Echo failures %lld, hold-down %s\n", cli_ji(s, "echo-failures"),
		        cli_sec(a, sizeof(a), cli_ji(s, "echo-holddown-us")));
}

static void cli_bfd_detail(struct json_object *s, bool extensive, FILE *out)
{
	char a[16], b[16], c[16], clients[256], up[32];
	struct json_object *key = cli_jget(s, "key");
	long long since = cli_ji(s, "up-since-ms");
	const char *auth = cli_js(s, "authentication");

	cli_bfd_clients(s, clients, sizeof(clients));
	fprintf(out, " Client %s, TX interval %s, RX interval %s%s", clients,
	        cli_sec(a, sizeof(a), cli_ji(s, "configured-min-tx-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "configured-min-rx-us")), extensive ? "" : "\n");
	if (extensive)
		fprintf(out, ", multiplier %lld\n", cli_ji(s, "multiplier"));
	if (since) {
		long long now = (long long)time(NULL) * 1000;

		cli_fmt_uptime(up, sizeof(up), (unsigned long long)(now > since ? now - since : 0));
		fprintf(out, " Session up time %s%s\n", up, *auth ? ", authenticated" : "");
	} else {
		fprintf(out, " Session down%s\n", *auth ? ", authenticated" : "");
	}
	fprintf(out, " Local diagnostic %s, remote diagnostic %s\n",
	        cli_bfd_diag(cli_js(s, "local-diagnostic")),
	        cli_bfd_diag(cli_js(s, "remote-diagnostic")));
	fprintf(out, " Remote state %s, version 1\n", cli_js(s, "remote-state"));
	if (json_object_get_boolean(cli_jget(s, "deleting")))
		fprintf(out, " Session deleted, AdminDown until the peer's detection time ends\n");
	cli_bfd_echo(s, extensive, out);
	if (!extensive)
		return;
	fprintf(out, " Session type: %s\n",
	        json_object_get_boolean(cli_jget(key, "multihop")) ? "Multi hop BFD"
	                                                           : "Single hop BFD");
	fprintf(out, " Min async interval %s, min slow interval 1.000\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "configured-min-tx-us")));
	fprintf(out, " Adaptive async TX interval %s, RX interval %s\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "transmit-interval-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "receive-interval-us")));
	fprintf(out, " Local min TX interval %s, minimum RX interval %s, multiplier %lld\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "desired-min-tx-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "required-min-rx-us")), cli_ji(s, "multiplier"));
	fprintf(out, " Remote min TX interval %s, min RX interval %s, multiplier %lld\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "remote-min-tx-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "remote-min-rx-us")),
	        cli_ji(s, "remote-multiplier"));
	fprintf(out, " Threshold transmission interval %s, Threshold for detection time %s\n",
	        cli_sec(a, sizeof(a), cli_ji(s, "transmit-threshold-us")),
	        cli_sec(b, sizeof(b), cli_ji(s, "detection-threshold-us")));
	if (json_object_get_boolean(cli_jget(s, "transmit-threshold-exceeded")))
		fprintf(out, " Transmit interval above threshold (crossed %lld times)\n",
		        cli_ji(s, "transmit-threshold-events"));
	if (json_object_get_boolean(cli_jget(s, "detection-threshold-exceeded")))
		fprintf(out, " Detection time above threshold (crossed %lld times)\n",
		        cli_ji(s, "detection-threshold-events"));
	fprintf(out, " Local discriminator %lld, remote discriminator %lld\n",
	        cli_ji(s, "local-discriminator"), cli_ji(s, "remote-discriminator"));
	if (*auth)
		fprintf(out,
		        " Authentication enabled/active, authentication-algorithm %s, key id "
		        "%lld\n",
		        auth, cli_ji(s, "auth-key-id"));
	fprintf(out, " Source port %lld, minimum TTL %lld%s\n", cli_ji(s, "source-port"),
	        cli_ji(s, "minimum-ttl"),
	        json_object_get_boolean(cli_jget(s, "poll-active")) ? ", poll sequence in progress"
	                                                            : "");
	fprintf(out, " Packets sent %lld, received %lld, dropped %lld\n", cli_ji(s, "packets-sent"),
	        cli_ji(s, "packets-received"), cli_ji(s, "packets-dropped"));
	fprintf(out, " Up transitions %lld, failure transitions %lld\n",
	        cli_ji(s, "up-transitions"), cli_ji(s, "failure-transitions"));
	(void)c;
}

void cli_render_bfd_sessions(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                             FILE *out)
{
	struct json_object *info = cli_jget(data, CLI_BFD_SESSIONS);
	struct json_object *arr = cli_jget(info, "session");
	struct json_object *sum = cli_jget(info, "summary");
	bool ext = av && cli_argv_has(av, "extensive");
	bool det = ext || (av && cli_argv_has(av, "detail"));
	size_t n = arr ? json_object_array_length(arr) : 0;

	(void)cli;
	fprintf(out, "%50s%s\n", "", "Detect   Transmit");
	fprintf(out, "%-25s%-10s%-15s%-9s%-10s%s\n", "Address", "State", "Interface", "Time",
	        "Interval", "Multiplier");
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		struct json_object *key = cli_jget(s, "key");
		char dt[16], ti[16];

		fprintf(out, "%-25s%-10s%-15s%-9s%6s%9lld\n", cli_js(key, "peer"),
		        cli_js(s, "state"), cli_js(key, "interface"),
		        cli_sec(dt, sizeof(dt), cli_ji(s, "detection-time-us")),
		        cli_sec(ti, sizeof(ti), cli_ji(s, "transmit-interval-us")),
		        cli_ji(s, "multiplier"));
		if (det)
			cli_bfd_detail(s, ext, out);
	}
	fprintf(out, "\n%lld sessions, %lld clients\n", cli_ji(sum, "sessions"),
	        cli_ji(sum, "clients"));
	fprintf(out, "Cumulative transmit rate %.1f pps, cumulative receive rate %.1f pps\n",
	        sum ? json_object_get_double(cli_jget(sum, "transmit-pps")) : 0.0,
	        sum ? json_object_get_double(cli_jget(sum, "receive-pps")) : 0.0);
}

static struct json_object *cli_fetch_bfd_clear(struct cli *cli, const struct cli_argv *av,
                                               char *err, size_t errlen)
{
	Keel__Bfdd__ShowSessions req = KEEL__BFDD__SHOW_SESSIONS__INIT;
	const char *addr = cli_argv_value(av, "<address>");
	struct json_object *res = NULL, *o;

	req.address = (char *)(addr ? addr : "");
	if (cli_daemon_ask(cli, "bfdd", "clear.sessions", &req.base, NULL, NULL, err, errlen) != 0)
		return NULL;
	res = json_object_new_object();
	json_object_object_add(res, "address", json_object_new_string(addr ? addr : "all"));
	o = json_object_new_object();
	json_object_object_add(o, CLI_BFD_CLEAR, res);
	return o;
}

/* Junos' clear prints nothing; the JSON form says what was asked. */
static void cli_render_bfd_clear(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out)
{
	(void)cli;
	(void)av;
	(void)data;
	(void)out;
}

static const struct cli_node cli_bfd_addr_value[] = {
        {.arg = "<address>", .help = "Peer address"},
        {0},
};

static const struct cli_node cli_bfd_session_opts[] = {
        {.name = "address",
         .help = "Sessions with this peer",
         .flags = CLI_N_OPTION,
         .children = cli_bfd_addr_value},
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {.name = "extensive", .help = "Display extensive output", .flags = CLI_N_OPTION},
        {0},
};

const struct cli_node cli_show_bfd[] = {
        {.name = "session",
         .help = "Show BFD sessions",
         .fetch = cli_fetch_bfd_sessions,
         .render = cli_render_bfd_sessions,
         .children = cli_bfd_session_opts},
        {0},
};

static const struct cli_node cli_bfd_clear_opts[] = {
        {.name = "address",
         .help = "Sessions with this peer",
         .flags = CLI_N_OPTION,
         .children = cli_bfd_addr_value},
        {0},
};

const struct cli_node cli_clear_bfd[] = {
        {.name = "session",
         .help = "Take BFD sessions down and start them again",
         .fetch = cli_fetch_bfd_clear,
         .render = cli_render_bfd_clear,
         .children = cli_bfd_clear_opts},
        {0},
};
