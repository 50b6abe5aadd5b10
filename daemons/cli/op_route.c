/*
 * show route [DESTINATION [exact|longer]] [protocol P] [table T]
 * [detail|extensive|terse] [hidden], show route summary,
 * show route forwarding-table: from ribd ("show.route", "show.route.summary",
 * "show.route.forwarding"), rendered as Junos does (notes §11.3):
 *
 *   inet.0: 6 destinations, 7 routes (6 active, 0 holddown, 0 hidden)
 *   + = Active Route, - = Last Active, * = Both
 *
 *   10.0.0.0/8         *[Static/5] 00:01:28
 *                       > to 192.168.12.2 via eth0
 *
 * Hidden routes (unresolved next hop, interface down, BFD session not Up)
 * count in the header but are not listed, as on Junos without `hidden`;
 * `show route hidden` lists only them.
 */
#include <string.h>

#include "daemons/cli/op_route.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/ribd.pb-c.h"

/* ------------------------------------------------------------ fetch */

static int cli_route_part(const uint8_t *payload, size_t len, void *arg)
{
	struct json_object *arr = arg;
	Keel__Ribd__Destination *d = keel__ribd__destination__unpack(NULL, len, payload);

	if (!d)
		return -1;
	json_object_array_add(arr, pbjson_from_msg(&d->base));
	keel__ribd__destination__free_unpacked(d, NULL);
	return 0;
}

static int cli_summary_part(const uint8_t *payload, size_t len, void *arg)
{
	struct json_object **o = arg;
	Keel__Ribd__RouteSummary *s = keel__ribd__route_summary__unpack(NULL, len, payload);

	if (!s)
		return -1;
	if (!*o)
		*o = pbjson_from_msg(&s->base);
	keel__ribd__route_summary__free_unpacked(s, NULL);
	return 0;
}

static int cli_fib_part(const uint8_t *payload, size_t len, void *arg)
{
	struct json_object *arr = arg;
	Keel__Ribd__FibEntry *e = keel__ribd__fib_entry__unpack(NULL, len, payload);

	if (!e)
		return -1;
	json_object_array_add(arr, pbjson_from_msg(&e->base));
	keel__ribd__fib_entry__free_unpacked(e, NULL);
	return 0;
}

struct json_object *cli_fetch_route(struct cli *cli, const struct cli_argv *av, char *err,
                                    size_t errlen)
{
	Keel__Ribd__ShowRoute req = KEEL__RIBD__SHOW_ROUTE__INIT;
	const char *dst = cli_argv_value(av, "<destination>");
	struct json_object *arr, *sum = NULL, *o, *info;
	struct ctl_client *c = cli_daemon_connect("ribd", err, errlen);
	int rc;

	if (!c)
		return NULL;
	rc = cli_daemon_call(cli, c, "ribd", "show.route.summary", NULL, cli_summary_part, &sum,
	                     err, errlen);
	if (rc != 0 || !sum) {
		if (rc == 0) /* an END without the summary */
			snprintf(err, errlen, "ribd did not answer");
		ctl_client_close(c);
		json_object_put(sum);
		return NULL;
	}
	arr = json_object_new_array();
	req.prefix = (char *)(dst ? dst : "");
	req.exact = cli_argv_has(av, "exact");
	req.longer = cli_argv_has(av, "longer");
	req.protocol =
	        (char *)(cli_argv_value(av, "<protocol>") ? cli_argv_value(av, "<protocol>") : "");
	req.table = (char *)(cli_argv_value(av, "<table>") ? cli_argv_value(av, "<table>") : "");
	req.hidden = cli_argv_has(av, "hidden");
	rc = cli_daemon_call(cli, c, "ribd", "show.route", &req.base, cli_route_part, arr, err,
	                     errlen);
	ctl_client_close(c);
	if (rc != 0) {
		json_object_put(arr);
		json_object_put(sum);
		return NULL;
	}
	info = json_object_new_object();
	json_object_object_add(info, "summary", sum);
	json_object_object_add(info, "destinations", arr);
	o = json_object_new_object();
	json_object_object_add(o, CLI_ROUTE_INFO, info);
	return o;
}

static struct json_object *cli_fetch_route_summary(struct cli *cli, const struct cli_argv *av,
                                                   char *err, size_t errlen)
{
	struct json_object *sum = NULL, *o;
	int rc;

	(void)av;
	rc = cli_daemon_ask(cli, "ribd", "show.route.summary", NULL, cli_summary_part, &sum, err,
	                    errlen);
	if (rc != 0 || !sum) {
		if (rc == 0) /* an END without the summary */
			snprintf(err, errlen, "ribd did not answer");
		json_object_put(sum);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, CLI_ROUTE_SUMMARY, sum);
	return o;
}

static struct json_object *cli_fetch_route_fib(struct cli *cli, const struct cli_argv *av,
                                               char *err, size_t errlen)
{
	struct json_object *arr = json_object_new_array(), *o;

	(void)av;
	if (cli_daemon_ask(cli, "ribd", "show.route.forwarding", NULL, cli_fib_part, arr, err,
	                   errlen) != 0) {
		json_object_put(arr);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, CLI_ROUTE_FIB, arr);
	return o;
}

/* ------------------------------------------------------------ render */

/* Junos ages: 00:01:28, 2d 00:34:04, 2w3d 04:12:33. */
static void cli_route_age(long long s, char *buf, size_t len)
{
	long long w = s / 604800, d = s % 604800 / 86400, hms = s % 86400;
	char pre[32] = "";

	if (w)
		snprintf(pre, sizeof(pre), "%lldw%lldd ", w, d);
	else if (d)
		snprintf(pre, sizeof(pre), "%lldd ", d);
	snprintf(buf, len, "%s%02lld:%02lld:%02lld", pre, hms / 3600, hms % 3600 / 60, hms % 60);
}

static void cli_route_table_header(struct json_object *t, FILE *out)
{
	fprintf(out,
	        "%s: %lld destinations, %lld routes (%lld active, %lld holddown, %lld hidden)\n",
	        cli_js(t, "name"), cli_ji(t, "destinations"), cli_ji(t, "routes"),
	        cli_ji(t, "active"), cli_ji(t, "holddown"), cli_ji(t, "hidden"));
}

static void cli_route_nexthops(struct json_object *rt, FILE *out)
{
	const char *type = cli_js(rt, "type"), *proto = cli_js(rt, "protocol");
	size_t n = cli_jlen(rt, "next-hops");

	if (strcmp(type, "discard") == 0) {
		fprintf(out, "%23sDiscard\n", "");
		return;
	}
	if (strcmp(type, "reject") == 0) {
		fprintf(out, "%23sReject\n", "");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *nh = cli_jidx(rt, "next-hops", i);
		const char *gw = cli_js(nh, "gateway"), *ifn = cli_js(nh, "interface");
		const char *mark = cli_jb(nh, "selected") ? "> " : "  ";

		if (strcmp(proto, "Local") == 0)
			fprintf(out, "%22sLocal via %s\n", "", ifn);
		else if (*gw)
			fprintf(out, "%20s%sto %s via %s\n", "", mark, gw, ifn);
		else
			fprintf(out, "%20s%svia %s\n", "", mark, ifn);
	}
}

static void cli_route_brief_dest(struct json_object *d, bool hidden, FILE *out)
{
	bool first = true;

	for (size_t i = 0; i < cli_jlen(d, "routes"); i++) {
		struct json_object *rt = cli_jidx(d, "routes", i);
		char age[48], head[64];

		if (cli_jb(rt, "hidden") != hidden)
			continue;
		cli_route_age(cli_ji(rt, "age"), age, sizeof(age));
		snprintf(head, sizeof(head), "[%s/%lld]", cli_js(rt, "protocol"),
		         cli_ji(rt, "preference"));
		/* A prefix too long for its column gets a line of its own. */
		if (first && strlen(cli_js(d, "prefix")) >= 19)
			fprintf(out, "%s\n%19s%s%s %s", cli_js(d, "prefix"), "",
			        cli_jb(rt, "active") ? "*" : " ", head, age);
		else
			fprintf(out, "%-19s%s%s %s", first ? cli_js(d, "prefix") : "",
			        cli_jb(rt, "active") ? "*" : " ", head, age);
		if (cli_ji(rt, "metric"))
			fprintf(out, ", metric %lld", cli_ji(rt, "metric"));
		fputc('\n', out);
		cli_route_nexthops(rt, out);
		if (hidden && !cli_jlen(rt, "next-hops") && !strcmp(cli_js(rt, "type"), "unicast"))
			fprintf(out, "%23sUnusable\n", "");
		first = false;
	}
}

/* Junos `show route terse`: one line per route, a line per further next hop.
 *   A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path
 *   * ? 10.0.0.0/24        D   0                       >eth0 */
static void cli_route_terse_dest(struct json_object *d, bool hidden, FILE *out)
{
	bool first = true;

	for (size_t i = 0; i < cli_jlen(d, "routes"); i++) {
		struct json_object *rt = cli_jidx(d, "routes", i);
		const char *type = cli_js(rt, "type"), *proto = cli_js(rt, "protocol");
		size_t n = cli_jlen(rt, "next-hops");
		char metric[24] = "";

		if (cli_jb(rt, "hidden") != hidden)
			continue;
		if (cli_ji(rt, "metric"))
			snprintf(metric, sizeof(metric), "%lld", cli_ji(rt, "metric"));
		if (first)
			fprintf(out, "%c ? %-18s ", cli_jb(rt, "active") ? '*' : ' ',
			        cli_js(d, "prefix"));
		else
			fprintf(out, "%23s", "");
		fprintf(out, "%c %3lld %10s %10s ", *proto ? proto[0] : '?',
		        cli_ji(rt, "preference"), metric, "");
		first = false;
		if (strcmp(type, "discard") == 0 || strcmp(type, "reject") == 0) {
			fprintf(out, " %s\n", strcmp(type, "discard") == 0 ? "Discard" : "Reject");
			continue;
		}
		if (!n) {
			fprintf(out, " Unusable\n");
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			struct json_object *nh = cli_jidx(rt, "next-hops", k);
			const char *gw = cli_js(nh, "gateway");

			if (k)
				fprintf(out, "%51s", "");
			if (strcmp(proto, "Local") == 0)
				fprintf(out, " Local\n");
			else
				fprintf(out, "%c%s\n", cli_jb(nh, "selected") ? '>' : ' ',
				        *gw ? gw : cli_js(nh, "interface"));
		}
	}
}

static void cli_route_detail_dest(struct json_object *d, bool extensive, FILE *out)
{
	size_t n = cli_jlen(d, "routes");

	fprintf(out, "%s (%zu entr%s)\n", cli_js(d, "prefix"), n, n == 1 ? "y" : "ies");
	for (size_t i = 0; i < n; i++) {
		struct json_object *rt = cli_jidx(d, "routes", i);
		char age[48];

		cli_route_age(cli_ji(rt, "age"), age, sizeof(age));
		fprintf(out, "        %s%s Preference: %lld\n", cli_jb(rt, "active") ? "*" : " ",
		        cli_js(rt, "protocol"), cli_ji(rt, "preference"));
		fprintf(out, "                Next hop type: %s\n",
		        strcmp(cli_js(rt, "type"), "unicast") == 0 ? "Router" : cli_js(rt, "type"));
		for (size_t k = 0; k < cli_jlen(rt, "next-hops"); k++) {
			struct json_object *nh = cli_jidx(rt, "next-hops", k);

			fprintf(out, "                Next hop: %s%svia %s%s\n",
			        cli_js(nh, "gateway"), *cli_js(nh, "gateway") ? " " : "",
			        cli_js(nh, "interface"),
			        cli_jb(nh, "selected") ? ", selected" : "");
		}
		for (size_t k = 0; cli_jb(rt, "resolve") && k < cli_jlen(rt, "configured"); k++)
			fprintf(out, "                Protocol next hop: %s\n",
			        cli_js(cli_jidx(rt, "configured", k), "gateway"));
		for (size_t k = 0; k < cli_jlen(rt, "configured"); k++) {
			struct json_object *nh = cli_jidx(rt, "configured", k);

			if (*cli_js(nh, "bfd-state"))
				fprintf(out, "                BFD: %s %s\n", cli_js(nh, "gateway"),
				        cli_js(nh, "bfd-state"));
		}
		fprintf(out, "                State: <%s>\n",
		        cli_jb(rt, "active")   ? "Active"
		        : cli_jb(rt, "hidden") ? "Hidden"
		                               : "Inactive");
		fprintf(out, "                Age: %s \tMetric: %lld\n", age, cli_ji(rt, "metric"));
		if (!extensive)
			continue;
		for (size_t k = 0; !cli_jb(rt, "resolve") && k < cli_jlen(rt, "configured"); k++) {
			struct json_object *nh = cli_jidx(rt, "configured", k);

			fprintf(out, "                Configured next hop: %s%s%s\n",
			        cli_js(nh, "gateway"), *cli_js(nh, "gateway") ? " " : "",
			        *cli_js(nh, "interface") ? cli_js(nh, "interface") : "");
		}
		fprintf(out, "                Task: %s\n", cli_js(rt, "protocol"));
		fprintf(out, "                Announcement bits (1): 0-KRT \n");
	}
}

void cli_render_route(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                      FILE *out)
{
	struct json_object *info = NULL, *sum, *dests;
	bool extensive = cli_argv_has(av, "extensive");
	bool detail = extensive || cli_argv_has(av, "detail"), terse = cli_argv_has(av, "terse");
	bool hidden = cli_argv_has(av, "hidden");

	(void)cli;
	if (!json_object_object_get_ex(data, CLI_ROUTE_INFO, &info))
		return;
	sum = json_object_object_get(info, "summary");
	dests = json_object_object_get(info, "destinations");
	for (size_t t = 0; t < cli_jlen(sum, "tables"); t++) {
		struct json_object *tab = cli_jidx(sum, "tables", t);
		bool header = false;

		for (size_t i = 0; dests && i < json_object_array_length(dests); i++) {
			struct json_object *d = json_object_array_get_idx(dests, i);

			if (strcmp(cli_js(d, "table"), cli_js(tab, "name")) != 0)
				continue;
			if (!header) {
				if (t)
					fputc('\n', out);
				cli_route_table_header(tab, out);
				fprintf(out, "+ = Active Route, - = Last Active, * = Both\n\n");
				if (terse && !detail)
					fprintf(out,
					        "A V Destination        P Prf   Metric 1   Metric 2  "
					        "Next hop        AS path\n");
				header = true;
			}
			if (detail)
				cli_route_detail_dest(d, extensive, out);
			else if (terse)
				cli_route_terse_dest(d, hidden, out);
			else
				cli_route_brief_dest(d, hidden, out);
		}
	}
}

void cli_render_route_summary(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out)
{
	struct json_object *sum = NULL;

	(void)cli;
	(void)av;
	if (!json_object_object_get_ex(data, CLI_ROUTE_SUMMARY, &sum))
		return;
	for (size_t t = 0; t < cli_jlen(sum, "tables"); t++) {
		struct json_object *tab = cli_jidx(sum, "tables", t);

		if (t)
			fputc('\n', out);
		cli_route_table_header(tab, out);
		for (size_t p = 0; p < cli_jlen(tab, "protocols"); p++) {
			struct json_object *pc = cli_jidx(tab, "protocols", p);

			fprintf(out, "%20s: %6lld routes, %6lld active\n", cli_js(pc, "name"),
			        cli_ji(pc, "routes"), cli_ji(pc, "active"));
		}
	}
	fprintf(out, "\nFIB: %lld routes installed, %lld stale, %lld errors\n",
	        cli_ji(sum, "fib-routes"), cli_ji(sum, "fib-stale"), cli_ji(sum, "fib-errors"));
}

static const char *cli_fib_nh_type(const char *type)
{
	return strcmp(type, "discard") == 0  ? "dscd"
	       : strcmp(type, "reject") == 0 ? "rjct"
	                                     : "ucst";
}

/* Junos `show route forwarding-table`, for the routes ribd installed. */
static void cli_render_route_fib(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out)
{
	struct json_object *arr = NULL;
	const char *last = "";

	(void)cli;
	(void)av;
	if (!json_object_object_get_ex(data, CLI_ROUTE_FIB, &arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *table = cli_js(e, "table");
		size_t n = cli_jlen(e, "next-hops");

		if (strcmp(table, last) != 0) {
			fprintf(out, "%sRouting table: default.%s\n%s:\n", *last ? "\n" : "",
			        strcmp(table, "inet.0") == 0 ? "inet" : "inet6",
			        strcmp(table, "inet.0") == 0 ? "Internet" : "Internet6");
			fprintf(out, "%-19s%-5s%-6s%-19s%-5s%-9s%-6s%s\n", "Destination", "Type",
			        "RtRef", "Next hop", "Type", "Index", "NhRef", "Netif");
			last = table;
		}
		if (n == 0) {
			fprintf(out, "%-19s%-5s%5d %-19s%-5s%5d %5d\n", cli_js(e, "prefix"), "user",
			        0, "", cli_fib_nh_type(cli_js(e, "type")), 0, 1);
			continue;
		}
		if (n > 1)
			fprintf(out, "%-19s%-5s%5d %-19s%-5s%5d %5d\n", cli_js(e, "prefix"), "user",
			        0, "", "ulst", 0, 1);
		for (size_t k = 0; k < n; k++) {
			struct json_object *nh = cli_jidx(e, "next-hops", k);

			fprintf(out, "%-19s%-5s%5s %-19s%-5s%5d %5d %s\n",
			        n > 1 ? "" : cli_js(e, "prefix"), n > 1 ? "" : "user",
			        n > 1 ? "" : "0", cli_js(nh, "gateway"), "ucst", 0, 1,
			        cli_js(nh, "interface"));
		}
	}
}

static const struct cli_node cli_route_protocol_value[] = {
        {.arg = "<protocol>", .help = "Protocol name (direct, local, static, kernel, ...)"},
        {0},
};

static const struct cli_node cli_route_table_value[] = {
        {.arg = "<table>", .help = "Routing table name (inet.0, inet6.0)"},
        {0},
};

static const struct cli_node cli_route_dest_opts[] = {
        {.name = "exact", .help = "Exactly matching routes", .flags = CLI_N_OPTION},
        {.name = "longer", .help = "More specific routes only", .flags = CLI_N_OPTION},
        {.name = "protocol",
         .help = "Routes learned from this protocol",
         .flags = CLI_N_OPTION,
         .children = cli_route_protocol_value},
        {.name = "table",
         .help = "Routes in this routing table",
         .flags = CLI_N_OPTION,
         .children = cli_route_table_value},
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {.name = "extensive", .help = "Display extensive output", .flags = CLI_N_OPTION},
        {.name = "terse", .help = "Display terse output", .flags = CLI_N_OPTION},
        {.name = "hidden", .help = "Only hidden routes", .flags = CLI_N_OPTION},
        {0},
};

const struct cli_node cli_show_route[] = {
        {.name = "summary",
         .help = "Show route summary information",
         .fetch = cli_fetch_route_summary,
         .render = cli_render_route_summary},
        {.name = "forwarding-table",
         .help = "Show forwarding table information",
         .fetch = cli_fetch_route_fib,
         .render = cli_render_route_fib},
        {.name = "protocol",
         .help = "Routes learned from this protocol",
         .flags = CLI_N_OPTION,
         .children = cli_route_protocol_value},
        {.name = "table",
         .help = "Routes in this routing table",
         .flags = CLI_N_OPTION,
         .children = cli_route_table_value},
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {.name = "extensive", .help = "Display extensive output", .flags = CLI_N_OPTION},
        {.name = "terse", .help = "Display terse output", .flags = CLI_N_OPTION},
        {.name = "hidden", .help = "Only hidden routes", .flags = CLI_N_OPTION},
        {.arg = "<destination>",
         .help = "Address or prefix",
         .fetch = cli_fetch_route,
         .render = cli_render_route,
         .children = cli_route_dest_opts},
        {0},
};
