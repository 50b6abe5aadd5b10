/*
 * The bulk route API on ribd's ctl socket (api.c, lib/proto/ribd.proto):
 * other programs add, delete and flush many routes per request. The
 * methods join ribd's table in ctl.c through RIBD_API_METHODS.
 */
#ifndef KEEL_RIBD_API_H
#define KEEL_RIBD_API_H

#include "lib/ctl.h"

void ribd_api_add(struct ctl_req *req, void *arg);
void ribd_api_delete(struct ctl_req *req, void *arg);
void ribd_api_flush(struct ctl_req *req, void *arg);
void ribd_api_clients(struct ctl_req *req, void *arg);
void ribd_api_lookup_bench(struct ctl_req *req, void *arg);

#define RIBD_API_METHODS                                                                           \
	{.name = "route.add",                                                                      \
	 .fn = ribd_api_add,                                                                       \
	 .flags = CTL_F_WRITE,                                                                     \
	 .help = "Add or replace a client's routes (RouteBatch -> RouteBatchResult)"},             \
	        {.name = "route.delete",                                                           \
	         .fn = ribd_api_delete,                                                            \
	         .flags = CTL_F_WRITE,                                                             \
	         .help = "Delete a client's routes (RouteBatch -> RouteBatchResult)"},             \
	        {.name = "route.flush",                                                            \
	         .fn = ribd_api_flush,                                                             \
	         .flags = CTL_F_WRITE,                                                             \
	         .help = "Delete every route of a client (RouteFlush -> RouteBatchResult)"},       \
	        {.name = "route.clients",                                                          \
	         .fn = ribd_api_clients,                                                           \
	         .help = "API clients and their route counts (-> ApiClient*)"},                    \
	{                                                                                          \
		.name = "route.lookup-bench", .fn = ribd_api_lookup_bench,                         \
		.help = "Time LPM lookups on inet.0 (LookupBench -> LookupBenchResult)"            \
	}

#endif
