/*
 * The daemon side of mgd's two-phase commit (DESIGN.md §3 "Config").
 *
 * A daemon names its config subtrees and gives two callbacks; lib/cfg.c then
 *   - answers mgd's "config.validate" and "config.apply" ctl calls,
 *   - asks mgd for its config at start ("config.get", retried until mgd
 *     answers) and on SIGHUP, and applies it,
 *   - keeps the last applied JSON, so apply() gets old and new and applies
 *     only the difference (what the diff did not touch keeps running).
 * The JSON is RFC 7951 as produced by mgd (groups expanded, inactive
 * statements removed, defaults filled in), parsed with json-c.
 */
#ifndef KEEL_CFG_H
#define KEEL_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/ctl.h"

struct daemon;
struct cfg;

struct cfg_ops {
	/* Returns 0 if the daemon can apply `cfg`; else -1 with a message that
	 * names the path ("interfaces eth9: no such device"). Must not change
	 * state. */
	int (*validate)(void *arg, struct json_object *cfg, char *err, size_t errlen);
	/* Applies new config `cfg`; `old` is the previously applied one ({} at
	 * start). Returns 0, or -1 with err (mgd logs it; the daemon keeps
	 * whatever it managed to apply). */
	int (*apply)(void *arg, struct json_object *old, struct json_object *cfg, char *err,
	             size_t errlen);
};

/* The ctl methods to add to the daemon's table ("config.validate", "config.apply"). */
extern const struct ctl_method cfg_ctl_methods[];
extern const size_t cfg_ctl_n_methods;

/* Starts the client side: fetches the config from mgd now and whenever mgd
 * comes back or SIGHUP asks (cfg_reload). */
struct cfg *cfg_open(struct daemon *d, const struct cfg_ops *ops, void *arg);
void cfg_reload(struct cfg *c);
void cfg_close(struct cfg *c);
uint64_t cfg_generation(const struct cfg *c);
/* The applied config ({} before the first apply). */
struct json_object *cfg_current(const struct cfg *c);

/* Helpers for RFC 7951 objects: member by name with or without module prefix. */
struct json_object *cfg_get(struct json_object *o, const char *name);
const char *cfg_get_str(struct json_object *o, const char *name);
bool cfg_get_bool(struct json_object *o, const char *name); /* empty leaf: [null] present */

#endif
