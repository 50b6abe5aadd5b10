/*
 * What every op_*.c fetch and render shares: one call to a daemon's ctl
 * socket with the CLI's wording for its failures, and key lookups in the JSON
 * the fetch built (pbjson leaves out fields at their default, so a missing
 * key reads as "", 0 or false).
 */
#include <stdio.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"

struct ctl_client *cli_daemon_connect(const char *daemon, char *err, size_t errlen)
{
	struct ctl_client *c = ctl_client_connect(daemon);

	if (!c)
		snprintf(err, errlen, "%s is not running (no answer on its control socket)",
		         daemon);
	return c;
}

int cli_daemon_call(struct cli *cli, struct ctl_client *c, const char *daemon, const char *method,
                    const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                    void *arg, char *err, size_t errlen)
{
	int rc = ctl_call(c, method, req, part, arg, cli->timeout_ms, err, errlen);

	/* rc > 0: the daemon answered with an error, ctl_call wrote its text. */
	if (rc < 0)
		snprintf(err, errlen, "%s did not answer", daemon);
	return rc;
}

int cli_daemon_ask(struct cli *cli, const char *daemon, const char *method,
                   const ProtobufCMessage *req, int (*part)(const uint8_t *, size_t, void *),
                   void *arg, char *err, size_t errlen)
{
	struct ctl_client *c = cli_daemon_connect(daemon, err, errlen);
	int rc;

	if (!c)
		return -1;
	rc = cli_daemon_call(cli, c, daemon, method, req, part, arg, err, errlen);
	ctl_client_close(c);
	return rc;
}

struct json_object *cli_jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	/* json-c answers false for a NULL object. */
	json_object_object_get_ex(o, key, &v);
	return v;
}

const char *cli_js(struct json_object *o, const char *key)
{
	struct json_object *v = cli_jget(o, key);

	return v ? json_object_get_string(v) : "";
}

long long cli_ji(struct json_object *o, const char *key)
{
	struct json_object *v = cli_jget(o, key);

	return v ? json_object_get_int64(v) : 0;
}

bool cli_jb(struct json_object *o, const char *key)
{
	struct json_object *v = cli_jget(o, key);

	return v && json_object_get_boolean(v);
}

size_t cli_jlen(struct json_object *o, const char *key)
{
	struct json_object *v = cli_jget(o, key);

	return v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

struct json_object *cli_jidx(struct json_object *o, const char *key, size_t i)
{
	struct json_object *v = cli_jget(o, key);

	return v ? json_object_array_get_idx(v, i) : NULL;
}
