/*
 * The operational command tree. Each area adds its subtree here; the nodes
 * themselves live next to their fetch/render code in op_<area>.c.
 */
#include "daemons/cli/cli.h"
#include "daemons/cli/op_agent.h"
#include "daemons/cli/op_bfd.h"
#include "daemons/cli/op_cluster.h"
#include "daemons/cli/op_dot1x.h"
#include "daemons/cli/op_route.h"
#include "daemons/cli/op_vlan.h"

static const struct cli_node cli_show[] = {
        {.name = "agent", .help = "Show agent information", .children = cli_show_agent},
        {.name = "bfd",
         .help = "Show Bidirectional Forwarding Detection information",
         .children = cli_show_bfd},
        {.name = "chassis", .help = "Show chassis information", .children = cli_show_chassis},
        {.name = "configuration",
         .help = "Show current configuration",
         .flags = CLI_N_SCHEMA | CLI_N_PIPE_CONFIG | CLI_N_PIPE_COMPARE,
         .text = cli_op_show_configuration,
         .verb = "show",
         .children = cli_config_path},
        {.name = "dot1x", .help = "Show 802.1X information", .children = cli_show_dot1x},
        {.name = "ethernet-switching",
         .help = "Show Ethernet switching information",
         .children = cli_show_ethernet_switching},
        {.name = "interfaces",
         .help = "Show interface information",
         .fetch = cli_fetch_interfaces,
         .render = cli_render_interfaces,
         .children = cli_show_interfaces},
        {.name = "network-access",
         .help = "Show network access information",
         .children = cli_show_network_access},
        {.name = "route",
         .help = "Show routing table information",
         .fetch = cli_fetch_route,
         .render = cli_render_route,
         .children = cli_show_route},
        {.name = "system", .help = "Show system information", .children = cli_show_system},
        {.name = "version",
         .help = "Show software version",
         .fetch = cli_fetch_version,
         .render = cli_render_version},
        {.name = "vlans",
         .help = "Show VLAN information",
         .fetch = cli_fetch_vlans,
         .render = cli_render_vlans,
         .children = cli_show_vlans},
        {0},
};

static const struct cli_node cli_clear[] = {
        {.name = "bfd",
         .help = "Clear Bidirectional Forwarding Detection information",
         .children = cli_clear_bfd},
        {.name = "chassis", .help = "Clear chassis information", .children = cli_clear_chassis},
        {.name = "dot1x", .help = "Clear 802.1X information", .children = cli_clear_dot1x},
        {0},
};

static const struct cli_node cli_request[] = {
        {.name = "chassis", .help = "Chassis operations", .children = cli_request_chassis},
        {0},
};

/* Operational `set` holds only what Junos writes outside the configuration
 * (the cluster identity); configuration mode has its own tree. */
static const struct cli_node cli_set[] = {
        {.name = "chassis", .help = "Chassis identity", .children = cli_set_chassis},
        {0},
};

const struct cli_node cli_root[] = {
        {.name = "clear", .help = "Clear information in the system", .children = cli_clear},
        {.name = "configure",
         .help = "Manipulate software configuration information",
         .text = cli_op_configure,
         .children = cli_configure},
        {.name = "request", .help = "Make system-level requests", .children = cli_request},
        {.name = "set", .help = "Set operational parameters", .children = cli_set},
        {.name = "show", .help = "Show system information", .children = cli_show},
        {0},
};
