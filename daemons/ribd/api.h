/*
 * The bulk route API on ribd's ctl socket (api.c, lib/proto/ribd.proto):
 * other programs add, delete and flush many routes per request. Its methods
 * are a table of their own on the socket (ctl_server_add_methods).
 */
#ifndef KEEL_RIBD_API_H
#define KEEL_RIBD_API_H

#include "lib/ctl.h"

/* Adds the route.* methods to ribd's ctl socket (at start-up, before the
 * loop runs). 0 or -1. */
int ribd_api_register(struct ctl_server *srv);

#endif
