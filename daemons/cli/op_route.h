/*
 * The routing commands (op_route.c): show route [DESTINATION [exact|longer]]
 * [protocol P] [table T] [detail|extensive|terse] [hidden],
 * show route summary, show route forwarding-table, from ribd's ctl socket
 * (lib/proto/ribd.proto) as JSON (lib/pbjson) under CLI_ROUTE_INFO, rendered
 * in the Junos layouts (shared/notes/bfd-routing.md §11.3).
 */
#ifndef KEEL_CLI_OP_ROUTE_H
#define KEEL_CLI_OP_ROUTE_H

#include "daemons/cli/cli.h"

extern const struct cli_node cli_show_route[];

#define CLI_ROUTE_INFO    "route-information"
#define CLI_ROUTE_SUMMARY "route-summary-information"
#define CLI_ROUTE_FIB     "forwarding-table-information"

struct json_object *cli_fetch_route(struct cli *cli, const struct cli_argv *av, char *err,
                                    size_t errlen);
/* Pure: JSON in, Junos text out. */
void cli_render_route(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                      FILE *out);
void cli_render_route_summary(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out);

#endif
