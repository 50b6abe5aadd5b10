/*
 * telemetryd's `services analytics` config (mgd sends /keel-services:services):
 * validate builds the table, checking every sensor resource against the YANG
 * schema (so a bad path fails `commit check`, never an update); apply builds
 * it again and installs it, carrying over what the commit did not touch.
 * The gNMI listener (`system services extension-service request-response
 * grpc`) is checked in validate (certificate files readable) and restarted
 * by apply only when its address, port or TLS settings changed.
 */
#include <stdio.h>
#include <unistd.h>

#include "daemons/telemetryd/gnmi.h"
#include "daemons/telemetryd/telemetryd.h"
#include "lib/paths.h"

static int tm_cert_check(const char *name, const char *ext, char *err, size_t errlen)
{
	char file[TM_NAME_MAX + 8], path[4096];

	snprintf(file, sizeof(file), "%s.%s", name, ext);
	if (keel_path(path, sizeof(path), KEEL_DIR_ETC "/certs", file) < 0 || access(path, R_OK)) {
		snprintf(err, errlen, "system services extension-service grpc: %s not readable",
		         path);
		return -1;
	}
	return 0;
}

static int tm_gnmi_cfg(struct json_object *cfg, struct gnmi_cfg *gc, char *err, size_t errlen)
{
	if (gnmi_cfg_from_json(cfg, gc, err, errlen))
		return -1;
	if (!gc->ssl)
		return 0;
	if (tm_cert_check(gc->local_cert, "crt", err, errlen) ||
	    tm_cert_check(gc->local_cert, "key", err, errlen))
		return -1;
	return gc->ca[0] ? tm_cert_check(gc->ca, "crt", err, errlen) : 0;
}

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
	struct gnmi_cfg gc;

	if (tm_gnmi_cfg(cfg, &gc, err, errlen) || tm_build(arg, cfg, &nt, err, errlen))
		return -1;
	tm_table_free(&nt);
	return 0;
}

static int tm_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                        size_t errlen)
{
	struct telemetryd *t = arg; /* lib/daemon.c passes d->priv */
	struct tm_table nt;
	struct gnmi_cfg gc;

	if (tm_gnmi_cfg(cfg, &gc, err, errlen) || tm_build(t, cfg, &nt, err, errlen))
		return -1;
	tm_agent_install(t, &nt);
	if (t->gnmi && gnmi_configure(t->gnmi, &gc, err, errlen))
		return -1;
	return 0;
}

const struct cfg_ops tm_cfg_ops = {
        .validate = tm_cfg_validate,
        .apply = tm_cfg_apply,
};
