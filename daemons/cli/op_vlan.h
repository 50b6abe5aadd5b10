/*
 * The switching commands (op_vlan.c): show vlans [NAME] [detail],
 * show ethernet-switching table [vlan-name NAME],
 * show ethernet-switching interface [IF], from vland's ctl socket
 * (lib/proto/vland.proto) as JSON (lib/pbjson), rendered in the Junos ELS
 * layouts. Columns Junos shows that keel has no data for (MAC limits, STP
 * state, next-hop index) are left out rather than filled with constants.
 */
#ifndef KEEL_CLI_OP_VLAN_H
#define KEEL_CLI_OP_VLAN_H

#include "daemons/cli/cli.h"

extern const struct cli_node cli_show_vlans[];
extern const struct cli_node cli_show_ethernet_switching[];

#define CLI_VLAN_INFO  "vlan-information"
#define CLI_ES_TABLE   "ethernet-switching-table-information"
#define CLI_ES_IF_INFO "ethernet-switching-interface-information"

struct json_object *cli_fetch_vlans(struct cli *cli, const struct cli_argv *av, char *err,
                                    size_t errlen);
/* Pure: JSON in, Junos text out. */
void cli_render_vlans(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                      FILE *out);
void cli_render_es_table(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                         FILE *out);
void cli_render_es_interface(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                             FILE *out);

#endif
