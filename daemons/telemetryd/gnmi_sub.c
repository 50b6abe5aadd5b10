/*
 * SubscriptionList and GetRequest checks (pure; gNMI spec 0.10.0 §3.3, §3.5).
 *
 * Everything a request can get wrong is found here, before any state is
 * created: a bad path or interval is INVALID_ARGUMENT, a valid request for
 * something keel does not do (BYTES/ASCII encodings, use_models filtering,
 * aggregation, CONFIG data) is UNIMPLEMENTED (§2.4 / §3.5.1.5 table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/gnmi.h"

bool gnmi_encoding_ok(Gnmi__Encoding e)
{
	return e == GNMI__ENCODING__JSON || e == GNMI__ENCODING__JSON_IETF ||
	       e == GNMI__ENCODING__PROTO;
}

const char *gnmi_encoding_name(Gnmi__Encoding e)
{
	switch (e) {
	case GNMI__ENCODING__JSON:
		return "JSON";
	case GNMI__ENCODING__BYTES:
		return "BYTES";
	case GNMI__ENCODING__PROTO:
		return "GPB"; /* Junos' name for protobuf payloads in `show agent sensors` */
	case GNMI__ENCODING__ASCII:
		return "ASCII";
	case GNMI__ENCODING__JSON_IETF:
		return "JSON_IETF";
	default:
		return "?";
	}
}

const char *gnmi_mode_name(Gnmi__SubscriptionList__Mode lm, Gnmi__SubscriptionMode m)
{
	if (lm == GNMI__SUBSCRIPTION_LIST__MODE__ONCE)
		return "once";
	if (lm == GNMI__SUBSCRIPTION_LIST__MODE__POLL)
		return "poll";
	return m == GNMI__SUBSCRIPTION_MODE__SAMPLE      ? "sample"
	       : m == GNMI__SUBSCRIPTION_MODE__ON_CHANGE ? "on-change"
	                                                 : "target-defined";
}

static int gnmi_encoding_check(Gnmi__Encoding e, char *err, size_t errlen)
{
	if (gnmi_encoding_ok(e))
		return GNMI_STATUS_OK;
	if (e == GNMI__ENCODING__BYTES || e == GNMI__ENCODING__ASCII) {
		tm_errf(err, errlen, "encoding %d not supported (JSON, PROTO, JSON_IETF)", e);
		return GNMI_STATUS_UNIMPLEMENTED;
	}
	tm_errf(err, errlen, "unknown encoding %d", e);
	return GNMI_STATUS_INVALID_ARGUMENT;
}

/*
 * The origin a response echoes (§2.2.2.1: origin goes in the prefix or in
 * the path, never both; gnmi_path_join refused both). The prefix's, else the
 * origin every path names alike, else none.
 */
static void gnmi_origin(const Gnmi__Path *prefix, Gnmi__Path *const *paths, size_t n, char *buf,
                        size_t len)
{
	const char *o = NULL;

	buf[0] = '\0';
	if (prefix && prefix->origin && *prefix->origin) {
		o = prefix->origin;
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *po = paths[i] && paths[i]->origin ? paths[i]->origin : "";

			if (!*po || (o && strcmp(o, po)))
				return;
			o = po;
		}
	}
	if (o && strlen(o) < len)
		snprintf(buf, len, "%s", o);
}

static int gnmi_target(const Gnmi__Path *prefix, char *buf, size_t len, bool *has, char *err,
                       size_t errlen)
{
	*has = false;
	buf[0] = '\0';
	if (!prefix || !prefix->target || !*prefix->target)
		return GNMI_STATUS_OK;
	if (strlen(prefix->target) >= len) {
		tm_errf(err, errlen, "target too long");
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	snprintf(buf, len, "%s", prefix->target);
	*has = true;
	return GNMI_STATUS_OK;
}

/* Does any live cached key lie below the pattern? */
static bool gnmi_known(const struct gnmi_cache *known, const struct gnmi_pat *p)
{
	struct tm_path *k;
	bool found = false;

	if (!known || !(k = malloc(sizeof(*k))))
		return false;
	for (size_t i = 0; i < known->n && !found; i++)
		found = known->e[i].live && !tm_path_parse(known->e[i].kv.key, k, NULL, 0) &&
		        gnmi_path_match(p, k);
	free(k);
	return found;
}

/*
 * One path: join, then check against the schema. A path the schema does not
 * know but a daemon publishes (keel's YANG models config and only part of
 * the state: /bfd is modelled, vland's /fdb, ribd's AFT summaries and
 * dot1xd's RADIUS server counters are not yet) is accepted once its data is
 * on the bus.
 */
static int gnmi_one_path(const Gnmi__Path *prefix, const Gnmi__Path *path, struct tm_schema *sc,
                         const struct gnmi_cache *known, struct gnmi_pat *out, char *err,
                         size_t errlen)
{
	int rc = gnmi_path_join(prefix, path, out, err, errlen);

	if (rc)
		return rc;
	rc = gnmi_path_check(sc, out, err, errlen);
	if (rc == GNMI_STATUS_INVALID_ARGUMENT && gnmi_known(known, out))
		rc = GNMI_STATUS_OK;
	return rc;
}

int gnmi_sublist_parse(const Gnmi__SubscriptionList *l, struct tm_schema *sc,
                       const struct gnmi_cache *known, struct gnmi_sublist *out, char *err,
                       size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!l) {
		tm_errf(err, errlen, "no subscription list");
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if (l->mode != GNMI__SUBSCRIPTION_LIST__MODE__STREAM &&
	    l->mode != GNMI__SUBSCRIPTION_LIST__MODE__ONCE &&
	    l->mode != GNMI__SUBSCRIPTION_LIST__MODE__POLL) {
		tm_errf(err, errlen, "unknown subscription list mode %d", l->mode);
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	out->mode = l->mode;
	out->encoding = l->encoding;
	out->updates_only = l->updates_only;
	if ((rc = gnmi_encoding_check(l->encoding, err, errlen)))
		return rc;
	if (l->n_use_models) {
		tm_errf(err, errlen, "use_models filtering is not supported");
		return GNMI_STATUS_UNIMPLEMENTED;
	}
	/* allow_aggregation (§3.5.1.4) only concerns schema nodes marked eligible;
	 * keel marks none, so the flag is accepted and changes nothing */
	if (!l->n_subscription) {
		tm_errf(err, errlen, "subscription list without subscriptions");
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if (l->n_subscription > GNMI_MAX_SUBS) {
		tm_errf(err, errlen, "more than %d subscriptions", GNMI_MAX_SUBS);
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if ((rc = gnmi_target(l->prefix, out->target, sizeof(out->target), &out->has_target, err,
	                      errlen)))
		return rc;
	if (l->prefix) {
		struct gnmi_pat *pp = malloc(sizeof(*pp));

		if (!pp) {
			tm_errf(err, errlen, "out of memory");
			return GNMI_STATUS_INTERNAL;
		}
		rc = gnmi_path_join(l->prefix, NULL, pp, err, errlen);
		if (!rc) {
			out->prefix = *pp;
			/* echoed, wildcards or not: responses instantiate it from the
			 * data, since returned paths hold no wildcards (§2.2.2.1) */
			out->prefix_echo = pp->p.n_elem > 0;
		}
		free(pp);
		if (rc)
			return rc;
	}
	out->sub = calloc(l->n_subscription, sizeof(*out->sub));
	if (!out->sub) {
		tm_errf(err, errlen, "out of memory");
		return GNMI_STATUS_INTERNAL;
	}
	{
		Gnmi__Path *paths[GNMI_MAX_SUBS];

		for (size_t i = 0; i < l->n_subscription; i++)
			paths[i] = l->subscription[i] ? l->subscription[i]->path : NULL;
		gnmi_origin(l->prefix, paths, l->n_subscription, out->origin, sizeof(out->origin));
	}
	for (size_t i = 0; i < l->n_subscription; i++) {
		const Gnmi__Subscription *s = l->subscription[i];
		struct gnmi_sub *d = &out->sub[i];
		char perr[300];

		out->n++;
		if (!s) {
			tm_errf(err, errlen, "empty subscription");
			goto bad;
		}
		if ((rc = gnmi_one_path(l->prefix, s->path, sc, known, &d->pat, perr,
		                        sizeof(perr)))) {
			tm_errf(err, errlen, "subscription %zu: %s", i, perr);
			goto out;
		}
		/* what a tick compares before it parses a cached key */
		gnmi_pat_stem(&d->pat, d->stem, sizeof(d->stem));
		d->mode = s->mode;
		d->suppress_redundant = s->suppress_redundant;
		d->heartbeat_ns = s->heartbeat_interval;
		/* ONCE and POLL ignore the per-subscription mode and intervals (§3.5.1.5.1) */
		if (l->mode != GNMI__SUBSCRIPTION_LIST__MODE__STREAM)
			continue;
		switch (s->mode) {
		case GNMI__SUBSCRIPTION_MODE__SAMPLE:
			/* §3.5.1.5.2: 0 = the lowest interval the target supports */
			d->sample_ns = s->sample_interval ? s->sample_interval : GNMI_SAMPLE_MIN_NS;
			if (d->sample_ns < GNMI_SAMPLE_MIN_NS ||
			    d->sample_ns > GNMI_SAMPLE_MAX_NS) {
				tm_errf(err, errlen,
				        "subscription %zu: sample_interval %llu ns outside "
				        "[%llu, %llu]",
				        i, (unsigned long long)s->sample_interval,
				        (unsigned long long)GNMI_SAMPLE_MIN_NS,
				        (unsigned long long)GNMI_SAMPLE_MAX_NS);
				goto bad;
			}
			break;
		case GNMI__SUBSCRIPTION_MODE__ON_CHANGE:
		case GNMI__SUBSCRIPTION_MODE__TARGET_DEFINED:
			/* the target picks the cadence; a client interval SHOULD be refused */
			if (s->sample_interval) {
				tm_errf(err, errlen,
				        "subscription %zu: sample_interval only with SAMPLE", i);
				goto bad;
			}
			break;
		default:
			tm_errf(err, errlen, "subscription %zu: unknown mode %d", i, s->mode);
			goto bad;
		}
		if (d->heartbeat_ns && (d->heartbeat_ns < GNMI_SAMPLE_MIN_NS ||
		                        d->heartbeat_ns > GNMI_SAMPLE_MAX_NS)) {
			tm_errf(err, errlen,
			        "subscription %zu: heartbeat_interval %llu ns out of range", i,
			        (unsigned long long)d->heartbeat_ns);
			goto bad;
		}
	}
	return GNMI_STATUS_OK;
bad:
	rc = GNMI_STATUS_INVALID_ARGUMENT;
out:
	gnmi_sublist_free(out);
	return rc;
}

void gnmi_sublist_free(struct gnmi_sublist *l)
{
	free(l->sub);
	l->sub = NULL;
	l->n = 0;
}

int gnmi_get_parse(const Gnmi__GetRequest *r, struct tm_schema *sc, const struct gnmi_cache *known,
                   struct gnmi_get *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->encoding = r->encoding;
	if ((rc = gnmi_encoding_check(r->encoding, err, errlen)))
		return rc;
	switch (r->type) {
	case GNMI__GET_REQUEST__DATA_TYPE__ALL:
	case GNMI__GET_REQUEST__DATA_TYPE__STATE:
	case GNMI__GET_REQUEST__DATA_TYPE__OPERATIONAL:
		break;
	case GNMI__GET_REQUEST__DATA_TYPE__CONFIG:
		tm_errf(err, errlen, "CONFIG data is served by mgd, not by gNMI Get");
		return GNMI_STATUS_UNIMPLEMENTED;
	default:
		tm_errf(err, errlen, "unknown data type %d", r->type);
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if (r->n_use_models) {
		tm_errf(err, errlen, "use_models filtering is not supported");
		return GNMI_STATUS_UNIMPLEMENTED;
	}
	if (r->n_path > GNMI_MAX_GET_PATHS) {
		tm_errf(err, errlen, "more than %d paths", GNMI_MAX_GET_PATHS);
		return GNMI_STATUS_INVALID_ARGUMENT;
	}
	if ((rc = gnmi_target(r->prefix, out->target, sizeof(out->target), &out->has_target, err,
	                      errlen)))
		return rc;
	gnmi_origin(r->prefix, r->path, r->n_path, out->origin, sizeof(out->origin));
	/* no path: the prefix alone (or the root) is the one path (§3.3.1) */
	out->pat = calloc(r->n_path ? r->n_path : 1, sizeof(*out->pat));
	if (!out->pat) {
		tm_errf(err, errlen, "out of memory");
		return GNMI_STATUS_INTERNAL;
	}
	for (size_t i = 0; i < (r->n_path ? r->n_path : 1); i++) {
		char perr[300];

		out->n++;
		rc = gnmi_one_path(r->prefix, r->n_path ? r->path[i] : NULL, sc, known,
		                   &out->pat[i], perr, sizeof(perr));
		if (rc) {
			tm_errf(err, errlen, "path %zu: %s", i, perr);
			gnmi_get_free(out);
			return rc;
		}
	}
	return GNMI_STATUS_OK;
}

void gnmi_get_free(struct gnmi_get *g)
{
	free(g->pat);
	g->pat = NULL;
	g->n = 0;
}
