/*
 * show vlans, show ethernet-switching table|interface: from vland
 * ("show.vlans", "show.ethernet-switching.table",
 * "show.ethernet-switching.interface"), in the Junos ELS layouts. Every
 * switch port is unit 0 (family ethernet-switching lives there), so ports
 * print as IF.0; "*" marks a port that is up, as on Junos.
 *
 *   Routing instance        VLAN name             Tag          Interfaces
 *   default-switch          v10                   10
 *                                                              eth1.0*
 */
#include <string.h>

#include "daemons/cli/op_vlan.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/vland.pb-c.h"

#define CLI_RI "default-switch" /* the one routing instance keel switches in */

/* ------------------------------------------------------------ fetch */

struct cli_vlan_parts {
	struct json_object *arr;
	const ProtobufCMessageDescriptor *desc;
};

static int cli_vlan_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_vlan_parts *p = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(p->desc, NULL, len, payload);

	if (!m)
		return -1;
	json_object_array_add(p->arr, pbjson_from_msg(m));
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static struct json_object *cli_vland_call(struct cli *cli, const char *method,
                                          const ProtobufCMessage *req,
                                          const ProtobufCMessageDescriptor *desc, const char *key,
                                          char *err, size_t errlen)
{
	struct cli_vlan_parts p = {.arr = json_object_new_array(), .desc = desc};
	struct json_object *o;

	if (cli_daemon_ask(cli, "vland", method, req, cli_vlan_part, &p, err, errlen) != 0) {
		json_object_put(p.arr);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, key, p.arr);
	return o;
}

struct json_object *cli_fetch_vlans(struct cli *cli, const struct cli_argv *av, char *err,
                                    size_t errlen)
{
	Keel__Vland__ShowVlans req = KEEL__VLAND__SHOW_VLANS__INIT;
	const char *name = cli_argv_value(av, "<vlan-name>");

	req.name = (char *)(name ? name : "");
	return cli_vland_call(cli, "show.vlans", &req.base, &keel__vland__vlan__descriptor,
	                      CLI_VLAN_INFO, err, errlen);
}

static struct json_object *cli_fetch_es_table(struct cli *cli, const struct cli_argv *av, char *err,
                                              size_t errlen)
{
	Keel__Vland__ShowMacTable req = KEEL__VLAND__SHOW_MAC_TABLE__INIT;
	const char *name = cli_argv_value(av, "<vlan-name>");

	req.vlan = (char *)(name ? name : "");
	return cli_vland_call(cli, "show.ethernet-switching.table", &req.base,
	                      &keel__vland__mac_entry__descriptor, CLI_ES_TABLE, err, errlen);
}

static struct json_object *cli_fetch_es_interface(struct cli *cli, const struct cli_argv *av,
                                                  char *err, size_t errlen)
{
	Keel__Vland__ShowSwitchPort req = KEEL__VLAND__SHOW_SWITCH_PORT__INIT;
	const char *name = cli_argv_value(av, "<interface-name>");

	req.interface = (char *)(name ? name : "");
	return cli_vland_call(cli, "show.ethernet-switching.interface", &req.base,
	                      &keel__vland__switch_port__descriptor, CLI_ES_IF_INFO, err, errlen);
}

/* ------------------------------------------------------------ render */

static void cli_vlan_brief(struct json_object *v, FILE *out)
{
	size_t n = cli_jlen(v, "members");

	fprintf(out, "%-24s%-22s%lld\n", CLI_RI, cli_js(v, "name"), cli_ji(v, "id"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = cli_jidx(v, "members", i);

		fprintf(out, "%59s%s.0%s\n", "", cli_js(m, "interface"),
		        cli_jb(m, "up") ? "*" : "");
	}
	/* keel's addition: what the data plane cannot do for this VLAN (e.g. tagged members on a
	 * kernel without bridge VLAN filtering); Junos has no such case. */
	if (*cli_js(v, "error"))
		fprintf(out, "%24sNot switched: %s\n", "", cli_js(v, "error"));
}

static void cli_vlan_detail(struct json_object *v, FILE *out)
{
	size_t n = cli_jlen(v, "members"), tagged = 0;
	bool up = false;

	for (size_t i = 0; i < n; i++) {
		tagged += cli_jb(cli_jidx(v, "members", i), "tagged");
		up |= cli_jb(cli_jidx(v, "members", i), "up");
	}
	fprintf(out, "Routing instance: %s\n", CLI_RI);
	/* Junos: a VLAN is Active while one of its interfaces is up. */
	fprintf(out, "VLAN Name: %-31sState: %s\n", cli_js(v, "name"), up ? "Active" : "Inactive");
	fprintf(out, "Tag: %lld\n", cli_ji(v, "id"));
	if (*cli_js(v, "description"))
		fprintf(out, "Description: %s\n", cli_js(v, "description"));
	if (*cli_js(v, "l3-interface"))
		fprintf(out, "Layer 3 interface: %s\n", cli_js(v, "l3-interface"));
	fprintf(out, "Interfaces:\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = cli_jidx(v, "members", i);

		fprintf(out, "    %s.0%s,%s,%s%s\n", cli_js(m, "interface"),
		        cli_jb(m, "up") ? "*" : "", cli_jb(m, "tagged") ? "tagged" : "untagged",
		        cli_js(m, "mode"), cli_jb(m, "dynamic") ? ",dot1x" : "");
	}
	fprintf(out, "Number of interfaces: Tagged %-5zu, Untagged %-5zu\n", tagged, n - tagged);
	fprintf(out, "Total MAC count: %lld\n", cli_ji(v, "mac-count"));
	if (*cli_js(v, "error"))
		fprintf(out, "Not switched: %s\n", cli_js(v, "error"));
}

void cli_render_vlans(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                      FILE *out)
{
	struct json_object *arr = cli_jget(data, CLI_VLAN_INFO);
	size_t n = arr ? json_object_array_length(arr) : 0;
	bool detail = cli_argv_has(av, "detail");

	(void)cli;
	if (!detail)
		fprintf(out, "\n%-24s%-22s%-13s%s\n", "Routing instance", "VLAN name", "Tag",
		        "Interfaces");
	for (size_t i = 0; i < n; i++) {
		if (detail) {
			if (i)
				fprintf(out, "\n");
			cli_vlan_detail(json_object_array_get_idx(arr, i), out);
		} else {
			cli_vlan_brief(json_object_array_get_idx(arr, i), out);
		}
	}
}

void cli_render_es_table(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                         FILE *out)
{
	struct json_object *arr = cli_jget(data, CLI_ES_TABLE);
	size_t n = arr ? json_object_array_length(arr) : 0, learned = 0;

	(void)cli;
	(void)av;
	for (size_t i = 0; i < n; i++)
		learned += cli_jb(json_object_array_get_idx(arr, i), "dynamic");
	fprintf(out, "\nMAC flags (S - static MAC, D - dynamic MAC)\n\n\n");
	fprintf(out, "Ethernet switching table : %zu entries, %zu learned\n", n, learned);
	fprintf(out, "Routing instance : %s\n", CLI_RI);
	fprintf(out, "    %-20s%-20s%-12s%-7s%s\n", "Vlan", "MAC", "MAC", "Age", "Logical");
	fprintf(out, "    %-20s%-20s%-12s%-7s%s\n", "name", "address", "flags", "", "interface");
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		char vlan[32];
		const char *name = cli_js(e, "vlan"), *ifn;

		if (!*name) {
			snprintf(vlan, sizeof(vlan), "%lld", cli_ji(e, "vlan-id"));
			name = vlan;
		}
		/* Switch ports are unit 0; an IRB (irb.N) is a logical interface already. */
		ifn = cli_js(e, "interface");
		fprintf(out, "    %-20s%-20s%-12s%5lld  %s%s\n", name, cli_js(e, "mac"),
		        cli_jb(e, "dynamic") ? "D" : "S", cli_ji(e, "age"), ifn,
		        strchr(ifn, '.') ? "" : ".0");
	}
}

void cli_render_es_interface(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                             FILE *out)
{
	struct json_object *arr = cli_jget(data, CLI_ES_IF_INFO);
	size_t n = arr ? json_object_array_length(arr) : 0;
	static const char *const auth[] = {"", "unauthorized", "authorized"};

	(void)cli;
	(void)av;
	fprintf(out, "Routing Instance Name : %s\n", CLI_RI);
	fprintf(out, "Logical Interface flags (DN - interface down, UA - 802.1X unauthorized)\n\n");
	fprintf(out, "%-16s%-14s%-8s%-18s%s\n", "Logical", "Vlan", "TAG", "Logical", "Tagging");
	fprintf(out, "%-16s%-14s%-8s%-18s%s\n", "interface", "members", "", "interface flags", "");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		size_t nv = cli_jlen(p, "vlans");
		bool trunk = !strcmp(cli_js(p, "mode"), "trunk");
		long long st = cli_ji(p, "auth-state");
		char ifn[32], flags[16];

		snprintf(ifn, sizeof(ifn), "%s.0", cli_js(p, "interface"));
		snprintf(flags, sizeof(flags), "%s%s%s", cli_jb(p, "up") ? "" : "DN",
		         !cli_jb(p, "up") && st == 1 ? "," : "", st == 1 ? "UA" : "");
		fprintf(out, "%-16s%-14s%-8s%-18s%s\n", ifn, "", "", flags,
		        trunk ? "tagged" : "untagged");
		for (size_t k = 0; k < nv; k++) {
			struct json_object *v = cli_jidx(p, "vlans", k);
			char tag[8];

			snprintf(tag, sizeof(tag), "%lld", cli_ji(v, "id"));
			fprintf(out, "%-16s%-14s%-8s%-18s%s\n", "", cli_js(v, "name"), tag, "",
			        cli_jb(v, "tagged") ? "tagged" : "untagged");
		}
		if (st > 0 && st < 3)
			fprintf(out, "%-16s802.1X: %s%s%s\n", "", auth[st],
			        *cli_js(p, "dynamic-vlan") ? ", dynamic VLAN " : "",
			        cli_js(p, "dynamic-vlan"));
	}
}

/* ------------------------------------------------------------ tree */

static const struct cli_node cli_vlan_opts[] = {
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {0},
};

const struct cli_node cli_show_vlans[] = {
        {.name = "detail", .help = "Display detailed output", .flags = CLI_N_OPTION},
        {.arg = "<vlan-name>",
         .help = "VLAN name",
         .fetch = cli_fetch_vlans,
         .render = cli_render_vlans,
         .children = cli_vlan_opts},
        {0},
};

static const struct cli_node cli_es_table_opts[] = {
        {.name = "vlan-name",
         .help = "Show MAC entries of one VLAN",
         .children = (const struct cli_node[]){{.arg = "<vlan-name>",
                                                .help = "VLAN name",
                                                .fetch = cli_fetch_es_table,
                                                .render = cli_render_es_table},
                                               {0}}},
        {0},
};

static const struct cli_node cli_es_if_opts[] = {
        {.arg = "<interface-name>",
         .help = "Interface name",
         .fetch = cli_fetch_es_interface,
         .render = cli_render_es_interface},
        {0},
};

const struct cli_node cli_show_ethernet_switching[] = {
        {.name = "interface",
         .help = "Show ethernet-switching interface information",
         .fetch = cli_fetch_es_interface,
         .render = cli_render_es_interface,
         .children = cli_es_if_opts},
        {.name = "table",
         .help = "Show ethernet-switching table (MAC addresses)",
         .fetch = cli_fetch_es_table,
         .render = cli_render_es_table,
         .children = cli_es_table_opts},
        {0},
};
