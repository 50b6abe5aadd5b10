/*
 * show interfaces [terse] [NAME]: from ifd ("show.interfaces"), rendered as
 * Junos does. Unit 0 of a Linux interface is shown as "<name>.0".
 */
#include <string.h>
#include <time.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/ifd.pb-c.h"

static int cli_if_part(const uint8_t *payload, size_t len, void *arg)
{
	struct json_object *arr = arg;
	Keel__Ifd__Interface *ifc = keel__ifd__interface__unpack(NULL, len, payload);

	if (!ifc)
		return -1;
	json_object_array_add(arr, pbjson_from_msg(&ifc->base));
	keel__ifd__interface__free_unpacked(ifc, NULL);
	return 0;
}

struct json_object *cli_fetch_interfaces(struct cli *cli, const struct cli_argv *av, char *err,
                                         size_t errlen)
{
	Keel__Ifd__ShowInterfaces req = KEEL__IFD__SHOW_INTERFACES__INIT;
	const char *name = cli_argv_value(av, "<interface-name>");
	struct json_object *arr = json_object_new_array(), *o;

	req.name = (char *)(name ? name : "");
	if (cli_daemon_ask(cli, "ifd", "show.interfaces", &req.base, cli_if_part, arr, err,
	                   errlen) != 0) {
		json_object_put(arr);
		return NULL;
	}
	if (name && json_object_array_length(arr) == 0) {
		snprintf(err, errlen, "device %s not found", name);
		json_object_put(arr);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "interface-information", arr);
	return o;
}

static void cli_render_terse(struct json_object *arr, FILE *out)
{
	fprintf(out, "%-24s%-6s%-5s%-9s%-22s%s\n", "Interface", "Admin", "Link", "Proto", "Local",
	        "Remote");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *ifc = json_object_array_get_idx(arr, i);
		struct json_object *addrs = cli_jget(ifc, "addresses");
		const char *admin = cli_jb(ifc, "admin-up") ? "up" : "down";
		const char *link = cli_jb(ifc, "oper-up") ? "up" : "down";
		char unit[64];
		size_t n = addrs ? json_object_array_length(addrs) : 0;

		fprintf(out, "%-24s%-6s%s\n", cli_js(ifc, "name"), admin, link);
		if (n == 0)
			continue;
		snprintf(unit, sizeof(unit), "%s.0", cli_js(ifc, "name"));
		for (size_t k = 0; k < n; k++) {
			struct json_object *a = json_object_array_get_idx(addrs, k);
			const char *fam = cli_ji(a, "family") == 6 ? "inet6" : "inet";

			if (k == 0)
				fprintf(out, "%-24s%-6s%-5s%-9s%s\n", unit, admin, link, fam,
				        cli_js(a, "prefix"));
			else
				fprintf(out, "%-24s%-6s%-5s%-9s%s\n", "", "", "", fam,
				        cli_js(a, "prefix"));
		}
	}
}

static void cli_render_detail(struct json_object *ifc, FILE *out)
{
	struct json_object *c = cli_jget(ifc, "counters");
	struct json_object *addrs = cli_jget(ifc, "addresses");
	long long changed = cli_ji(ifc, "last-change");

	fprintf(out, "Physical interface: %s, %s, Physical link is %s\n", cli_js(ifc, "name"),
	        cli_jb(ifc, "admin-up") ? "Enabled" : "Administratively down",
	        cli_jb(ifc, "oper-up") ? "Up" : "Down");
	fprintf(out, "  Interface index: %lld\n", cli_ji(ifc, "ifindex"));
	if (*cli_js(ifc, "description"))
		fprintf(out, "  Description: %s\n", cli_js(ifc, "description"));
	fprintf(out, "  Link-level type: Ethernet, MTU: %lld%s%s\n", cli_ji(ifc, "mtu"),
	        *cli_js(ifc, "kind") ? ", Type: " : "", cli_js(ifc, "kind"));
	if (*cli_js(ifc, "master"))
		fprintf(out, "  Member of: %s\n", cli_js(ifc, "master"));
	fprintf(out, "  Current address: %s\n", cli_js(ifc, "mac"));
	if (changed) {
		time_t t = (time_t)(changed / 1000);
		struct tm tm;
		char when[64], ago[32];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		cli_fmt_uptime(ago, sizeof(ago), (unsigned long long)(time(NULL) - t) * 1000ull);
		fprintf(out, "  Last flapped   : %s (%s ago)\n", when, ago);
	} else {
		fprintf(out, "  Last flapped   : Never\n");
	}
	fprintf(out, "  Flaps          : %lld\n", cli_ji(ifc, "flaps"));
	if (c) {
		fprintf(out, "  Traffic statistics:\n");
		fprintf(out, "   Input  bytes  : %20lld\n", cli_ji(c, "in-octets"));
		fprintf(out, "   Output bytes  : %20lld\n", cli_ji(c, "out-octets"));
		fprintf(out, "   Input  packets: %20lld\n", cli_ji(c, "in-pkts"));
		fprintf(out, "   Output packets: %20lld\n", cli_ji(c, "out-pkts"));
		fprintf(out, "  Input errors:\n    Errors: %lld, Drops: %lld\n",
		        cli_ji(c, "in-errors"), cli_ji(c, "in-discards"));
		fprintf(out,
		        "  Output errors:\n    Carrier transitions: %lld, Errors: %lld, Drops: %lld\n",
		        cli_ji(c, "carrier-transitions"), cli_ji(c, "out-errors"),
		        cli_ji(c, "out-discards"));
	}
	if (addrs && json_object_array_length(addrs)) {
		fprintf(out, "\n  Logical interface %s.0\n", cli_js(ifc, "name"));
		for (int fam = 4; fam <= 6; fam += 2) {
			bool header = false;

			for (size_t k = 0; k < json_object_array_length(addrs); k++) {
				struct json_object *a = json_object_array_get_idx(addrs, k);

				if (cli_ji(a, "family") != fam)
					continue;
				if (!header)
					fprintf(out, "    Protocol %s\n",
					        fam == 6 ? "inet6" : "inet");
				header = true;
				fprintf(out, "      Addresses\n        Local: %s\n",
				        cli_js(a, "prefix"));
			}
		}
	}
}

void cli_render_interfaces(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                           FILE *out)
{
	struct json_object *arr = cli_jget(data, "interface-information");

	if (!arr)
		return;
	if (cli_argv_has(av, "terse")) {
		cli_render_terse(arr, out);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (i)
			fputc('\n', out);
		cli_render_detail(json_object_array_get_idx(arr, i), out);
	}
}

static const struct cli_node cli_if_opts[] = {
        {.name = "terse", .help = "Display terse output", .flags = CLI_N_OPTION},
        {0},
};

const struct cli_node cli_show_interfaces[] = {
        {.name = "terse", .help = "Display terse output", .flags = CLI_N_OPTION},
        {.arg = "<interface-name>",
         .help = "Name of interface",
         .fetch = cli_fetch_interfaces,
         .render = cli_render_interfaces,
         .children = cli_if_opts},
        {0},
};
