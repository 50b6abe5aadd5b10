/*
 * The gNMI server's config (pure): `system services extension-service
 * request-response grpc` (yang/keel-system.yang) and the users that may call
 * it (`system login user`).
 *
 * Authentication (openconfig gnmi-authentication.md: "username" and
 * "password" call metadata) is Junos-like and closed by default: a call
 * names a configured login user whose class is not `unauthorized`, and its
 * password matches the user's `authentication encrypted-password` (crypt(3)
 * string: $6$, $5$, $y$ ...). No users, no password or a wrong one:
 * UNAUTHENTICATED. `skip-authentication` turns the check off (lab use, as on
 * Junos).
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemons/telemetryd/gnmi.h"
#include "lib/cfg.h"

static int gnmi_cfg_str(struct json_object *o, const char *name, char *buf, size_t len,
                        const char *def)
{
	const char *v = o ? cfg_get_str(o, name) : NULL;

	if (!v)
		v = def;
	if (strlen(v) >= len)
		return -1;
	snprintf(buf, len, "%s", v);
	return 0;
}

static int gnmi_cfg_port(struct json_object *o, uint16_t *port)
{
	struct json_object *v = o ? cfg_get(o, "port") : NULL;
	int64_t p;

	if (!v) {
		*port = GNMI_PORT_DEFAULT;
		return 0;
	}
	p = json_object_get_int64(v); /* RFC 7951: uint16 is a JSON number */
	if (p < 1 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static const struct {
	const char *name;
	enum gnmi_client_cert v;
} gnmi_cc_names[] = {
        {"no-certificate", GNMI_CLIENT_CERT_NONE},
        {"request-certificate", GNMI_CLIENT_CERT_REQUEST},
        {"request-certificate-and-verify", GNMI_CLIENT_CERT_REQUEST_VERIFY},
        {"require-certificate", GNMI_CLIENT_CERT_REQUIRE},
        {"require-certificate-and-verify", GNMI_CLIENT_CERT_REQUIRE_VERIFY},
};

static int gnmi_cfg_users(struct json_object *sys, struct gnmi_cfg *out, char *err, size_t errlen)
{
	struct json_object *login = cfg_get(sys, "login");
	struct json_object *l = login ? cfg_get(login, "user") : NULL;
	size_t n;

	if (!l || !json_object_is_type(l, json_type_array))
		return 0;
	n = json_object_array_length(l);
	for (size_t i = 0; i < n && out->n_users < GNMI_MAX_USERS; i++) {
		struct json_object *u = json_object_array_get_idx(l, i);
		struct json_object *auth = cfg_get(u, "authentication");
		struct gnmi_user *d = &out->users[out->n_users];
		const char *cls = cfg_get_str(u, "class");

		memset(d, 0, sizeof(*d));
		if (gnmi_cfg_str(u, "name", d->name, sizeof(d->name), "") || !d->name[0]) {
			tm_errf(err, errlen, "system login user %zu: bad name", i);
			return -1;
		}
		if (gnmi_cfg_str(auth, "encrypted-password", d->hash, sizeof(d->hash), "")) {
			tm_errf(err, errlen, "system login user %s: password hash too long",
			        d->name);
			return -1;
		}
		d->unauthorized = cls && !strcmp(cls, "unauthorized");
		out->n_users++;
	}
	return 0;
}

int gnmi_cfg_from_json(struct json_object *cfg, struct gnmi_cfg *out, char *err, size_t errlen)
{
	struct json_object *sys = cfg ? cfg_get(cfg, "system") : NULL;
	struct json_object *svc = sys ? cfg_get(sys, "services") : NULL;
	struct json_object *ext = svc ? cfg_get(svc, "extension-service") : NULL;
	struct json_object *rr = ext ? cfg_get(ext, "request-response") : NULL;
	struct json_object *g = rr ? cfg_get(rr, "grpc") : NULL;
	struct json_object *tr, *mut, *mc;

	memset(out, 0, sizeof(*out));
	out->max_connections = 5; /* keel-system default, Junos' */
	if (sys && gnmi_cfg_users(sys, out, err, errlen))
		return -1;
	if (!g)
		return 0;
	out->enabled = true;
	out->skip_auth = cfg_get_bool(g, "skip-authentication");
	if ((mc = cfg_get(g, "max-connections"))) {
		int64_t v = json_object_get_int64(mc);

		if (v < 1 || v > 30) {
			tm_errf(err, errlen, "grpc max-connections %lld out of 1..30",
			        (long long)v);
			return -1;
		}
		out->max_connections = (unsigned)v;
	}
	if ((tr = cfg_get(g, "ssl"))) {
		out->ssl = true;
	} else if (!(tr = cfg_get(g, "clear-text"))) {
		tm_errf(err, errlen, "grpc: clear-text or ssl is required");
		return -1;
	}
	if (gnmi_cfg_str(tr, "address", out->address, sizeof(out->address), "0.0.0.0") ||
	    gnmi_cfg_port(tr, &out->port)) {
		tm_errf(err, errlen, "grpc: bad address or port");
		return -1;
	}
	if (!out->ssl)
		return 0;
	if (gnmi_cfg_str(tr, "local-certificate", out->local_cert, sizeof(out->local_cert), "") ||
	    !out->local_cert[0]) {
		tm_errf(err, errlen, "grpc ssl: local-certificate is required");
		return -1;
	}
	mut = cfg_get(tr, "mutual-authentication");
	if (mut) {
		const char *cc = cfg_get_str(mut, "client-certificate-request");
		bool found = !cc;

		if (gnmi_cfg_str(mut, "certificate-authority", out->ca, sizeof(out->ca), "")) {
			tm_errf(err, errlen, "grpc ssl: certificate-authority too long");
			return -1;
		}
		for (size_t i = 0; cc && i < sizeof(gnmi_cc_names) / sizeof(gnmi_cc_names[0]); i++)
			if (!strcmp(cc, gnmi_cc_names[i].name)) {
				out->client_cert = gnmi_cc_names[i].v;
				found = true;
			}
		if (!found) {
			tm_errf(err, errlen, "grpc ssl: unknown client-certificate-request %s", cc);
			return -1;
		}
		if ((out->client_cert == GNMI_CLIENT_CERT_REQUEST_VERIFY ||
		     out->client_cert == GNMI_CLIENT_CERT_REQUIRE_VERIFY) &&
		    !out->ca[0]) {
			tm_errf(err, errlen,
			        "grpc ssl: verifying client certificates needs "
			        "certificate-authority");
			return -1;
		}
	}
	return 0;
}

bool gnmi_cfg_listener_differs(const struct gnmi_cfg *a, const struct gnmi_cfg *b)
{
	return a->enabled != b->enabled || a->ssl != b->ssl || strcmp(a->address, b->address) ||
	       a->port != b->port || strcmp(a->local_cert, b->local_cert) || strcmp(a->ca, b->ca) ||
	       a->client_cert != b->client_cert;
}

int gnmi_auth_check(const struct gnmi_cfg *c, const char *user, const char *password)
{
	if (c->skip_auth)
		return GNMI_STATUS_OK;
	if (!user || !*user || !password)
		return GNMI_STATUS_UNAUTHENTICATED;
	for (size_t i = 0; i < c->n_users; i++) {
		const struct gnmi_user *u = &c->users[i];
		struct crypt_data cd;
		const char *h;
		size_t hl;

		if (strcmp(u->name, user))
			continue;
		if (!u->hash[0])
			return GNMI_STATUS_UNAUTHENTICATED;
		memset(&cd, 0, sizeof(cd));
		h = crypt_r(password, u->hash, &cd);
		hl = strlen(u->hash);
		/* crypt_r returns "*0"/"*1" or NULL on a bad setting; compare in constant time */
		if (!h || strlen(h) != hl || CRYPTO_memcmp(h, u->hash, hl))
			return GNMI_STATUS_UNAUTHENTICATED;
		return u->unauthorized ? GNMI_STATUS_PERMISSION_DENIED : GNMI_STATUS_OK;
	}
	return GNMI_STATUS_UNAUTHENTICATED;
}
