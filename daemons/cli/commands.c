/*
 * The operational command tree. Each area adds its subtree here; the nodes
 * themselves live next to their fetch/render code in op_<area>.c.
 */
#include "daemons/cli/cli.h"

static const struct cli_node cli_show[] = {
        {.name = "configuration",
         .help = "Show current configuration",
         .flags = CLI_N_SCHEMA | CLI_N_PIPE_CONFIG,
         .text = cli_op_show_configuration,
         .verb = "show",
         .children = cli_config_path},
        {.name = "interfaces",
         .help = "Show interface information",
         .fetch = cli_fetch_interfaces,
         .render = cli_render_interfaces,
         .children = cli_show_interfaces},
        {.name = "system", .help = "Show system information", .children = cli_show_system},
        {.name = "version",
         .help = "Show software version",
         .fetch = cli_fetch_version,
         .render = cli_render_version},
        {0},
};

const struct cli_node cli_root[] = {
        {.name = "configure",
         .help = "Manipulate software configuration information",
         .text = cli_op_configure,
         .children = cli_configure},
        {.name = "show", .help = "Show system information", .children = cli_show},
        {0},
};
