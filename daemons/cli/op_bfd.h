/*
 * The BFD commands (op_bfd.c): show bfd session [address A] [detail|extensive] and clear
 * bfd session [address A], from bfdd's ctl socket (lib/proto/bfdd.proto) as JSON (lib/pbjson)
 * under CLI_BFD_SESSIONS, rendered in the Junos layout (shared/notes/bfd-routing.md §8).
 */
#ifndef KEEL_CLI_OP_BFD_H
#define KEEL_CLI_OP_BFD_H

#include "daemons/cli/cli.h"

extern const struct cli_node cli_show_bfd[];
extern const struct cli_node cli_clear_bfd[];

#define CLI_BFD_SESSIONS "bfd-session-information"
#define CLI_BFD_CLEAR    "clear-bfd-session"

/* Pure: JSON in, Junos text out. */
void cli_render_bfd_sessions(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                             FILE *out);

#endif
