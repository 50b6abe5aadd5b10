/*
 * telemetryd's `services analytics` config (mgd sends /keel-services:services):
 * validate builds the table, checking every sensor resource against the YANG
 * schema (so a bad path fails `commit check`, never an update); apply builds
 * it again and installs it, carrying over what the commit did not touch.
 */
#include <stdio.h>

#include "daemons/telemetryd/telemetryd.h"

static int tm_build(struct telemetryd *t, struct json_object *cfg, struct tm_table *out, char *err,
                    size_t errlen)
{
	if (tm_table_from_json(cfg, t->schema, out, err, errlen))
		return -1;
	if (!t->schema && out->n_sensor) {
		snprintf(err, errlen, "sensor %s: YANG modules not loaded, cannot check resource",
		         out->sensor[0].name);
		tm_table_free(out);
		return -1;
	}
	return 0;
}

static int tm_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct tm_table nt;

	if (tm_build(arg, cfg, &nt, err, errlen))
		return -1;
	tm_table_free(&nt);
	return 0;
}

static int tm_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                        size_t errlen)
{
	struct telemetryd *t = arg; /* lib/daemon.c passes d->priv */
	struct tm_table nt;

	if (tm_build(t, cfg, &nt, err, errlen))
		return -1;
	tm_agent_install(t, &nt);
	return 0;
}

const struct cfg_ops tm_cfg_ops = {
        .validate = tm_cfg_validate,
        .apply = tm_cfg_apply,
};
