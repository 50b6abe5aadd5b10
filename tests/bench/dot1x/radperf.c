/*
 * radperf — drives keel's RADIUS client transport (daemons/dot1xd/radclient.c) against a real
 * server: the live check (MAC RADIUS / PAP and EAP-MD5 Accept with a VLAN, Reject) and the
 * RADIUS-only anchor of bench_dot1x.py (requests/s and latency with W sessions in flight,
 * no authenticator in the path).
 *
 *   radperf -s ADDR:PORT:SECRET [-s ...] -m pap|eap-md5 -u USER -p PASS [-n N] [-w W]
 *           [-x accept|reject] [-V VID] [-t TIMEOUT_MS] [-r RETRY] [-S NSOCKETS] [-U]
 *
 * -U makes user names unique per session (USER-<i>); -x/-V state what every session must
 * end with (exit 1 otherwise). Prints one JSON object: outcomes, sessions/s, latency
 * percentiles per session (PAP: one round trip; EAP-MD5: Identity -> Challenge -> Accept,
 * two), the client's drop counters.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/radclient.h"
#include "lib/ev.h"
#include "lib/log.h"

struct sess {
	int idx;
	int step; /* EAP-MD5: 0 identity sent, 1 response sent */
	uint64_t t0;
	char user[64];
	uint8_t mac[6];
	struct radius_bytes state;
};

static struct radclient *rc;
static struct event_base *base;
static const char *mode = "pap", *user = "bob", *pass = "hello";
static int n_total = 1, width = 1, started, finished, uniq;
static int n_accept, n_reject, n_timeout, n_dead, n_error, n_vlan_ok, n_proto;
static int want_vid = -1;
static uint64_t *lat;

static void sess_send(struct sess *s, const uint8_t *eap, size_t eap_len);

static void sess_end(struct sess *s)
{
	lat[finished++] = mono_us() - s->t0;
	free(s);
}

static void start_next(void);

static void on_done(struct radclient_req *req, const struct radclient_done *d, void *arg)
{
	struct sess *s = arg;

	if (d->result != RADCLIENT_RESULT_REPLY) {
		if (d->result == RADCLIENT_RESULT_TIMEOUT)
			n_timeout++;
		else if (d->result == RADCLIENT_RESULT_ALL_DEAD)
			n_dead++;
		else
			n_error++;
		sess_end(s);
		start_next();
		return;
	}
	const struct radius_reply *r = d->reply;

	if (d->code == RADIUS_CODE_ACCESS_CHALLENGE && strcmp(mode, "eap-md5") == 0 &&
	    s->step == 0) {
		/* RFC 3748 §5.4 / RFC 1994: answer the MD5-Challenge, echo State (RFC 2865 §5.24).
		 */
		struct eap_pkt ep;
		const uint8_t *val, *name;
		size_t vlen, nlen, olen;
		uint8_t md[16], out[128];

		if (eap_decode(r->eap, r->eap_len, &ep) != EAP_OK || ep.code != EAP_CODE_REQUEST ||
		    ep.type != EAP_TYPE_MD5 ||
		    eap_md5_parse(&ep, &val, &vlen, &name, &nlen) != EAP_OK ||
		    eap_md5_response_value(ep.id, pass, strlen(pass), val, vlen, md) != 0 ||
		    eap_md5_encode(EAP_CODE_RESPONSE, ep.id, md, 16, (const uint8_t *)s->user,
		                   strlen(s->user), out, sizeof(out), &olen) != EAP_OK) {
			n_proto++;
			sess_end(s);
			start_next();
			return;
		}
		s->state = r->state;
		s->step = 1;
		sess_send(s, out, olen);
		return;
	}
	if (d->code == RADIUS_CODE_ACCESS_ACCEPT) {
		n_accept++;
		if (want_vid >= 0 && r->vlan.present && r->vlan.vid == want_vid)
			n_vlan_ok++;
	} else if (d->code == RADIUS_CODE_ACCESS_REJECT) {
		n_reject++;
	} else {
		n_proto++;
	}
	sess_end(s);
	start_next();
}

static void sess_send(struct sess *s, const uint8_t *eap, size_t eap_len)
{
	struct radius_access_req q = {0};

	q.user_name = (const uint8_t *)s->user;
	q.user_name_len = strlen(s->user);
	if (eap_len) {
		q.eap = eap;
		q.eap_len = eap_len;
		q.service_type = RADIUS_SERVICE_TYPE_FRAMED;
		q.framed_mtu = RADIUS_FRAMED_MTU_ETHERNET;
	} else {
		q.password = (const uint8_t *)pass;
		q.password_len = strlen(pass);
		q.service_type = RADIUS_SERVICE_TYPE_CALL_CHECK;
	}
	if (s->state.len) {
		q.state = s->state.val;
		q.state_len = s->state.len;
	}
	q.nas_identifier = "radperf";
	q.nas_port_id = "ge-0/0/1";
	q.has_calling = true;
	memcpy(q.calling_mac, s->mac, 6);
	if (!radclient_access(rc, &q, on_done, s)) {
		n_error++;
		sess_end(s);
	}
}

static void start_next(void)
{
	if (started >= n_total)
		return;
	struct sess *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->idx = started++;
	s->t0 = mono_us();
	if (uniq)
		snprintf(s->user, sizeof(s->user), "%s-%d", user, s->idx);
	else
		snprintf(s->user, sizeof(s->user), "%s", user);
	uint8_t m[6] = {0x02,
	                0x00,
	                (uint8_t)(s->idx >> 24),
	                (uint8_t)(s->idx >> 16),
	                (uint8_t)(s->idx >> 8),
	                (uint8_t)s->idx};

	memcpy(s->mac, m, 6);
	if (strcmp(mode, "eap-md5") == 0) {
		uint8_t out[128];
		size_t olen;

		/* RFC 3748 §5.1 Response/Identity, as an authenticator relays it. */
		if (eap_encode(EAP_CODE_RESPONSE, 0, EAP_TYPE_IDENTITY, (const uint8_t *)s->user,
		               strlen(s->user), out, sizeof(out), &olen) != EAP_OK)
			abort();
		sess_send(s, out, olen);
	} else {
		sess_send(s, NULL, 0);
	}
}

static int in_flight(void)
{
	return started - finished;
}

static void ramp(void *arg)
{
	for (int k = 0; k < 16 && in_flight() < width && started < n_total; k++)
		start_next();
	if (in_flight() < width && started < n_total)
		timer_add_ms(arg, 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_server(char *arg, struct radclient_server_cfg *s)
{
	/* ADDR:PORT:SECRET; an IPv6 address in brackets. */
	char *p = strrchr(arg, ':');

	if (!p)
		return -1;
	*p = '\0';
	snprintf(s->secret, sizeof(s->secret), "%s", p + 1);
	p = strrchr(arg, ':');
	if (!p)
		return -1;
	*p = '\0';
	s->port = (uint16_t)atoi(p + 1);
	if (arg[0] == '[') {
		arg++;
		arg[strcspn(arg, "]")] = '\0';
	}
	snprintf(s->addr, sizeof(s->addr), "%s", arg);
	return 0;
}

int main(int argc, char **argv)
{
	struct radclient_cfg cfg = {0};
	const char *expect = NULL;
	uint32_t timeout_ms = 3000, retry = 3, nsockets = 0;
	int c;

	log_init("radperf", true, false);
	while ((c = getopt(argc, argv, "s:m:u:p:n:w:x:V:t:r:S:U")) != -1) {
		switch (c) {
		case 's':
			if (cfg.n_auth == RADCLIENT_MAX_SERVERS ||
			    parse_server(optarg, &cfg.auth[cfg.n_auth]) != 0) {
				fprintf(stderr, "radperf: bad server %s\n", optarg);
				return 2;
			}
			cfg.n_auth++;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pass = optarg;
			break;
		case 'n':
			n_total = atoi(optarg);
			break;
		case 'w':
			width = atoi(optarg);
			break;
		case 'x':
			expect = optarg;
			break;
		case 'V':
			want_vid = atoi(optarg);
			break;
		case 't':
			timeout_ms = (uint32_t)atoi(optarg);
			break;
		case 'r':
			retry = (uint32_t)atoi(optarg);
			break;
		case 'S':
			nsockets = (uint32_t)atoi(optarg);
			break;
		case 'U':
			uniq = 1;
			break;
		default:
			return 2;
		}
	}
	if (n_total < 1 || width < 1 || !cfg.n_auth ||
	    (strcmp(mode, "pap") != 0 && strcmp(mode, "eap-md5") != 0)) {
		fprintf(stderr, "usage: radperf -s ADDR:PORT:SECRET -m pap|eap-md5 ...\n");
		return 2;
	}
	for (size_t i = 0; i < cfg.n_auth; i++) {
		cfg.auth[i].timeout_ms = timeout_ms;
		cfg.auth[i].retry = retry;
	}
	cfg.nsockets = nsockets ? nsockets : (uint32_t)(width / 256 + 1);
	base = ev_base_new();
	rc = radclient_new(base, &cfg);
	lat = calloc((size_t)n_total, sizeof(*lat));
	if (!base || !rc || !lat)
		return 2;
	uint64_t t0 = mono_us();

	/* The same ramp as eapolgen: 16 new sessions a millisecond until W are in flight. */
	struct timer ramp_t;

	timer_init(&ramp_t, base, ramp, &ramp_t);
	ramp(&ramp_t);
	while (finished < n_total)
		event_base_loop(base, EVLOOP_ONCE);
	timer_del(&ramp_t);
	double secs = (double)(mono_us() - t0) / 1e6;

	qsort(lat, (size_t)n_total, sizeof(*lat), cmp_u64);
	struct radclient_stats st;

	radclient_stats(rc, &st);
	printf("{\"mode\": \"%s\", \"n\": %d, \"w\": %d, \"accept\": %d, \"reject\": %d, "
	       "\"timeout\": %d, \"all_dead\": %d, \"error\": %d, \"protocol\": %d, "
	       "\"vlan_ok\": %d, \"secs\": %.3f, \"per_s\": %.1f, \"p50_us\": %llu, "
	       "\"p99_us\": %llu, \"drops\": {",
	       mode, n_total, width, n_accept, n_reject, n_timeout, n_dead, n_error, n_proto,
	       n_vlan_ok, secs, n_total / secs, (unsigned long long)lat[n_total / 2],
	       (unsigned long long)lat[(size_t)((n_total - 1) * 0.99)]);
	for (int d = 0; d < RADCLIENT_DROP_COUNT; d++)
		printf("%s\"%s\": %llu", d ? ", " : "", radclient_drop_name(d),
		       (unsigned long long)st.drops[d]);
	printf("}}\n");
	radclient_free(rc);
	event_base_free(base);

	int ok = 1;

	if (expect && strcmp(expect, "accept") == 0)
		ok = n_accept == n_total && (want_vid < 0 || n_vlan_ok == n_total);
	else if (expect && strcmp(expect, "reject") == 0)
		ok = n_reject == n_total;
	return ok ? 0 : 1;
}
