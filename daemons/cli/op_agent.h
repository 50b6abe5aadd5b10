/*
 * show agent sensors [NAME] (op_agent.c): telemetryd's "show.sensors"
 * (lib/proto/telemetryd.proto) as JSON (lib/pbjson) under
 * CLI_AGENT_SENSORS, rendered in the Junos layout (shared/notes/telemetry.md §5).
 */
#ifndef KEEL_CLI_OP_AGENT_H
#define KEEL_CLI_OP_AGENT_H

#include "daemons/cli/cli.h"

extern const struct cli_node cli_show_agent[];

#define CLI_AGENT_SENSORS "sensor-information"
#define CLI_AGENT_BUS     "bus-information"
#define CLI_AGENT_GNMI    "gnmi-information"
#define CLI_AGENT_PROXY   "proxy-information"

/* Pure: JSON in, Junos text out. */
void cli_render_agent_sensors(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out);

#endif
