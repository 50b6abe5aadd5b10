/*
 * The 802.1X commands (op_dot1x.c): show dot1x interface [IF] [brief|detail], show dot1x
 * statistics [IF], clear dot1x interface IF, from dot1xd's ctl socket
 * (lib/proto/dot1xd.proto) as JSON (lib/pbjson), rendered in the Junos layouts
 * (shared/notes/dot1x-vlan.md §6).
 */
#ifndef KEEL_CLI_OP_DOT1X_H
#define KEEL_CLI_OP_DOT1X_H

#include "daemons/cli/cli.h"

extern const struct cli_node cli_show_dot1x[];
extern const struct cli_node cli_clear_dot1x[];
/* show network-access aaa statistics authentication [detail] | radius */
extern const struct cli_node cli_show_network_access[];

#define CLI_DOT1X_INTERFACES "dot1x-interface-information"
#define CLI_DOT1X_STATISTICS "dot1x-statistics-information"
#define CLI_DOT1X_CLEAR      "clear-dot1x-interface"

/* Pure: JSON in, Junos text out. */
void cli_render_dot1x_interfaces(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out);
void cli_render_dot1x_statistics(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out);

#endif
