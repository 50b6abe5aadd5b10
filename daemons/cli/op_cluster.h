/*
 * The chassis-cluster commands (op_cluster.c): show chassis cluster
 * status|statistics|interfaces|information|ip-monitoring status, request
 * chassis cluster failover [reset], clear chassis cluster statistics and,
 * in operational mode, set chassis cluster cluster-id N node M.
 *
 * Data comes from clusterd's ctl socket (lib/proto/clusterd.proto) as JSON
 * (lib/pbjson) under one root key per command; the renderers turn that JSON
 * into the Junos text (shared/notes/cluster.md §9), so `| display json`
 * shows exactly what the text was made from.
 */
#ifndef KEEL_CLI_OP_CLUSTER_H
#define KEEL_CLI_OP_CLUSTER_H

#include "daemons/cli/cli.h"

/* Subtrees for commands.c: show chassis, request chassis, clear chassis,
 * set chassis (operational mode only). */
extern const struct cli_node cli_show_chassis[];
extern const struct cli_node cli_request_chassis[];
extern const struct cli_node cli_clear_chassis[];
extern const struct cli_node cli_set_chassis[];

/* JSON root keys of the command data. */
#define CLI_CLUSTER_STATUS      "chassis-cluster-status"
#define CLI_CLUSTER_STATISTICS  "chassis-cluster-statistics"
#define CLI_CLUSTER_INTERFACES  "chassis-cluster-interfaces"
#define CLI_CLUSTER_INFORMATION "chassis-cluster-information"
#define CLI_CLUSTER_IPMON       "chassis-cluster-ip-monitoring-status"
#define CLI_CLUSTER_FAILOVER    "chassis-cluster-failover"
#define CLI_CLUSTER_CLEAR       "chassis-cluster-clear-statistics"
#define CLI_CLUSTER_IDENTITY    "chassis-cluster-identity"

/* Renderers (pure: JSON in, Junos text out; unit-tested on canned JSON). */
void cli_render_cluster_status(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                               FILE *out);
void cli_render_cluster_statistics(struct cli *cli, const struct cli_argv *av,
                                   struct json_object *data, FILE *out);
void cli_render_cluster_interfaces(struct cli *cli, const struct cli_argv *av,
                                   struct json_object *data, FILE *out);
void cli_render_cluster_information(struct cli *cli, const struct cli_argv *av,
                                    struct json_object *data, FILE *out);
void cli_render_cluster_ipmon(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out);

#endif
