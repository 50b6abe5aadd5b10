/*
 * The gRPC side of the gNMI server, over the gRPC core C API (1.51).
 *
 * A completion queue has no pollable fd (grpc#2145), so one thread per
 * listener blocks in grpc_completion_queue_next() and hands every event to
 * the libevent loop through a mutex-protected array and a pipe
 * (telemetry.md §4.3, the maintainers' advice in grpc#14796). The loop thread
 * owns all gNMI state and is the only caller of grpc_call_start_batch() and
 * grpc_server_request_registered_call(), which is the external
 * synchronisation grpc.h asks for.
 *
 * Each call keeps one RECV_CLOSE_ON_SERVER outstanding as its disconnect
 * detector, at most one SEND_MESSAGE in flight (its completion is the only
 * back-pressure signal core gives, §4.2), and is unreffed only when every
 * batch it started has come back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>

#include "daemons/telemetryd/gnmi_int.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/sensor.h"

static const char *const gnmi_method_path[GNMI_M_N] = {
        "/gnmi.gNMI/Capabilities",
        "/gnmi.gNMI/Get",
        "/gnmi.gNMI/Set",
        "/gnmi.gNMI/Subscribe",
};

static void gnmi_srv_dispatch(struct gnmi_srv *s, struct gnmi_tag *tag, bool ok);

/* ------------------------------------------------------------------ CQ thread */

static void gnmi_srv_push(struct gnmi_srv *s, struct gnmi_tag *tag, bool ok)
{
	bool wake;

	pthread_mutex_lock(&s->mu);
	if (s->evn == s->evcap) {
		size_t cap = s->evcap ? s->evcap * 2 : 64;
		struct gnmi_ev *n = realloc(s->evq, cap * sizeof(*n));

		if (!n) {
			/* cannot happen in practice; losing a tag would leak the call,
			 * so wait for the loop thread to drain and retry */
			pthread_mutex_unlock(&s->mu);
			usleep(1000);
			gnmi_srv_push(s, tag, ok);
			return;
		}
		s->evq = n;
		s->evcap = cap;
	}
	wake = s->evn == 0;
	s->evq[s->evn].tag = tag;
	s->evq[s->evn].ok = ok;
	s->evn++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (wake) {
		char b = 1;

		/* a full pipe already holds a wake-up */
		if (write(s->wake[1], &b, 1) < 0 && errno != EAGAIN)
			log_warn("gnmi: wake-up pipe");
	}
}

static void *gnmi_srv_thread(void *arg)
{
	struct gnmi_srv *s = arg;
	sigset_t all;

	/* signals belong to the loop thread (lib/daemon) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
		        s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE)
			gnmi_srv_push(s, ev.tag, ev.success != 0);
	}
	return NULL;
}

/* Takes every event queued so far and dispatches it on the loop thread. */
static void gnmi_srv_drain(struct gnmi_srv *s)
{
	struct gnmi_ev *evs;
	size_t n;

	pthread_mutex_lock(&s->mu);
	evs = s->evq;
	n = s->evn;
	s->evq = NULL;
	s->evn = s->evcap = 0;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		gnmi_srv_dispatch(s, evs[i].tag, evs[i].ok);
	free(evs);
}

static void gnmi_srv_wake(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	gnmi_srv_drain(arg);
}

/* ------------------------------------------------------------------ calls */

static int gnmi_srv_request(struct gnmi_srv *s, enum gnmi_method m)
{
	struct gnmi_call *c = calloc(1, sizeof(*c));
	grpc_call_error e;

	if (!c)
		return -1;
	c->srv = s;
	c->m = m;
	c->t_new = (struct gnmi_tag){c, GNMI_TAG_NEW};
	c->t_recv = (struct gnmi_tag){c, GNMI_TAG_RECV};
	c->t_send = (struct gnmi_tag){c, GNMI_TAG_SEND};
	c->t_close = (struct gnmi_tag){c, GNMI_TAG_CLOSE};
	c->t_status = (struct gnmi_tag){c, GNMI_TAG_STATUS};
	grpc_metadata_array_init(&c->md);
	gnmi_queue_init(&c->q, GNMI_QUEUE_MAX);
	e = grpc_server_request_registered_call(s->server, s->method[m], &c->call, &c->deadline,
	                                        &c->md, NULL, s->cq, s->cq, &c->t_new);
	if (e != GRPC_CALL_OK) {
		log_warnx("gnmi: request call %s: error %d", gnmi_method_path[m], e);
		grpc_metadata_array_destroy(&c->md);
		free(c);
		return -1;
	}
	c->pending = 1;
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	return 0;
}

static void gnmi_call_free(struct gnmi_call *c)
{
	struct gnmi_srv *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->accepted)
		s->active--;
	gnmi_rpc_call_free(c);
	if (c->recv_bb)
		grpc_byte_buffer_destroy(c->recv_bb);
	if (c->send_bb)
		grpc_byte_buffer_destroy(c->send_bb);
	if (c->status_details_set)
		grpc_slice_unref(c->status_details);
	grpc_metadata_array_destroy(&c->md);
	if (c->peer)
		gpr_free(c->peer);
	if (c->call)
		grpc_call_unref(c->call);
	free(c);
}

/* Frees the call once nothing of it is outstanding and it has ended. */
static void gnmi_call_maybe_free(struct gnmi_call *c)
{
	if (c->pending)
		return;
	if (c->dead || c->srv->stopping || (c->status_started && (c->closed || !c->close_started)))
		gnmi_call_free(c);
}

static int gnmi_call_batch(struct gnmi_call *c, const grpc_op *ops, size_t n, struct gnmi_tag *t)
{
	grpc_call_error e = grpc_call_start_batch(c->call, ops, n, t, NULL);

	if (e != GRPC_CALL_OK) {
		log_warnx("gnmi: %s: start batch: error %d", gnmi_method_path[c->m], e);
		c->dead = true;
		return -1;
	}
	c->pending++;
	return 0;
}

static void gnmi_op_md(grpc_op *op)
{
	memset(op, 0, sizeof(*op));
	op->op = GRPC_OP_SEND_INITIAL_METADATA;
}

int gnmi_call_recv(struct gnmi_call *c)
{
	grpc_op op;

	if (c->dead || c->srv->stopping)
		return -1;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	return gnmi_call_batch(c, &op, 1, &c->t_recv);
}

int gnmi_call_send(struct gnmi_call *c, const uint8_t *buf, size_t len)
{
	grpc_op ops[2];
	size_t n = 0;
	grpc_slice sl;

	if (c->dead || c->sending || c->status_started)
		return -1;
	sl = grpc_slice_from_copied_buffer((const char *)buf, len);
	c->send_bb = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	if (!c->md_sent) {
		gnmi_op_md(&ops[n++]);
		c->md_sent = true;
	}
	memset(&ops[n], 0, sizeof(ops[n]));
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n].data.send_message.send_message = c->send_bb;
	n++;
	if (gnmi_call_batch(c, ops, n, &c->t_send)) {
		grpc_byte_buffer_destroy(c->send_bb);
		c->send_bb = NULL;
		return -1;
	}
	c->sending = true;
	c->send_started_ms = mono_ms();
	return 0;
}

static void gnmi_call_status(struct gnmi_call *c)
{
	grpc_op ops[2];
	size_t n = 0;

	if (c->dead || c->status_started || c->sending)
		return;
	if (!c->md_sent) {
		gnmi_op_md(&ops[n++]);
		c->md_sent = true;
	}
	c->status_details = grpc_slice_from_copied_string(c->finish_msg);
	c->status_details_set = true;
	memset(&ops[n], 0, sizeof(ops[n]));
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = (grpc_status_code)c->finish_code;
	ops[n].data.send_status_from_server.status_details = &c->status_details;
	n++;
	c->status_started = true;
	gnmi_call_batch(c, ops, n, &c->t_status);
}

void gnmi_call_finish(struct gnmi_call *c, int code, const char *msg)
{
	if (c->finish || c->status_started)
		return;
	c->finish = true;
	c->finish_code = code;
	snprintf(c->finish_msg, sizeof(c->finish_msg), "%s", msg ? msg : "");
	if (code != GNMI_STATUS_OK) {
		/* an error ends the stream now: what is queued is dropped */
		log_debug("gnmi: %s ends: %d %s", gnmi_method_path[c->m], code, c->finish_msg);
		gnmi_rpc_call_free(c);
	}
	gnmi_call_pump(c);
}

void gnmi_call_cancel(struct gnmi_call *c, int code, const char *msg)
{
	if (c->dead || !c->call)
		return;
	grpc_call_cancel_with_status(c->call, (grpc_status_code)code, msg, NULL);
	c->dead = true;
	gnmi_rpc_call_free(c);
}

void gnmi_call_pump(struct gnmi_call *c)
{
	uint8_t *buf;
	size_t len;

	if (c->dead || c->sending || c->status_started || c->srv->stopping)
		return;
	if (gnmi_rpc_next(c, &buf, &len)) {
		gnmi_call_send(c, buf, len);
		free(buf);
		return;
	}
	if (c->finish)
		gnmi_call_status(c);
}

static bool gnmi_md_is(const grpc_slice *s, const char *v)
{
	size_t n = strlen(v);

	return GRPC_SLICE_LENGTH(*s) == n && !memcmp(GRPC_SLICE_START_PTR(*s), v, n);
}

static char *gnmi_md_get(const grpc_metadata_array *md, const char *key)
{
	for (size_t i = 0; i < md->count; i++)
		if (gnmi_md_is(&md->metadata[i].key, key)) {
			size_t n = GRPC_SLICE_LENGTH(md->metadata[i].value);
			char *v = malloc(n + 1);

			if (v) {
				memcpy(v, GRPC_SLICE_START_PTR(md->metadata[i].value), n);
				v[n] = '\0';
			}
			return v;
		}
	return NULL;
}

static void gnmi_call_new(struct gnmi_call *c)
{
	struct gnmi_srv *s = c->srv;
	struct gnmi *g = s->g;
	char *user, *pass;
	grpc_op op;
	int rc;

	c->accepted = true;
	s->active++;
	g->st.calls++;
	c->id = ++g->next_call_id;
	c->peer = grpc_call_get_peer(c->call);
	/* keep one request outstanding per method */
	if (gnmi_srv_request(s, c->m))
		log_warnx("gnmi: cannot wait for the next %s call", gnmi_method_path[c->m]);
	/* the disconnect detector, before anything can fail */
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op.data.recv_close_on_server.cancelled = &c->cancelled;
	if (gnmi_call_batch(c, &op, 1, &c->t_close))
		return;
	c->close_started = true;
	user = gnmi_md_get(&c->md, "username");
	pass = gnmi_md_get(&c->md, "password");
	rc = gnmi_auth_check(&g->cfg, user, pass);
	if (rc != GNMI_STATUS_OK)
		log_info("gnmi: %s refused for user '%s': %s", gnmi_method_path[c->m],
		         user ? user : "",
		         rc == GNMI_STATUS_PERMISSION_DENIED ? "class unauthorized"
		                                             : "bad credentials");
	free(user);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	if (rc != GNMI_STATUS_OK) {
		gnmi_call_finish(c, rc,
		                 rc == GNMI_STATUS_PERMISSION_DENIED ? "user may not use gNMI"
		                                                     : "authentication failed");
		return;
	}
	if (s->active > g->cfg.max_connections) {
		gnmi_call_finish(c, GNMI_STATUS_RESOURCE_EXHAUSTED,
		                 "too many gRPC calls (system services extension-service "
		                 "request-response grpc max-connections)");
		return;
	}
	gnmi_call_recv(c);
}

static void gnmi_call_received(struct gnmi_call *c, bool ok)
{
	grpc_byte_buffer *bb = c->recv_bb;
	grpc_byte_buffer_reader rd;
	grpc_slice sl;

	c->recv_bb = NULL;
	if (!ok || c->dead || c->finish) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		return;
	}
	if (!bb) {
		/* half-close: a unary call without its request is malformed; a
		 * Subscribe stream goes on (§3.5.1: the client ends it by cancelling) */
		if (!c->subscribed)
			gnmi_call_finish(c, GNMI_STATUS_INVALID_ARGUMENT, "no request message");
		return;
	}
	if (!grpc_byte_buffer_reader_init(&rd, bb)) {
		grpc_byte_buffer_destroy(bb);
		gnmi_call_finish(c, GNMI_STATUS_INTERNAL, "cannot read the request");
		return;
	}
	sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(bb);
	gnmi_rpc_request(c, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl));
	grpc_slice_unref(sl);
}

static void gnmi_srv_dispatch(struct gnmi_srv *s, struct gnmi_tag *tag, bool ok)
{
	struct gnmi_call *c = tag->call;

	if (tag->kind == GNMI_TAG_SHUTDOWN) {
		s->shutdown_done = true;
		return;
	}
	c->pending--;
	if (s->stopping) {
		gnmi_call_maybe_free(c);
		return;
	}
	switch (tag->kind) {
	case GNMI_TAG_NEW:
		if (!ok) {
			c->dead = true;
			break;
		}
		gnmi_call_new(c);
		break;
	case GNMI_TAG_RECV:
		gnmi_call_received(c, ok);
		break;
	case GNMI_TAG_SEND:
		c->sending = false;
		if (c->send_bb) {
			grpc_byte_buffer_destroy(c->send_bb);
			c->send_bb = NULL;
		}
		if (!ok) {
			c->dead = true;
			break;
		}
		gnmi_call_pump(c);
		break;
	case GNMI_TAG_CLOSE:
		c->closed = true;
		if (c->cancelled && !c->status_started) {
			/* the collector went away: nothing more to say to it */
			c->dead = true;
			gnmi_rpc_call_free(c);
		}
		break;
	case GNMI_TAG_STATUS:
		break;
	case GNMI_TAG_SHUTDOWN:
		break;
	}
	gnmi_call_maybe_free(c);
}

/* ------------------------------------------------------------------ listener */

static char *gnmi_read_pem(const char *name, const char *ext, char *err, size_t errlen)
{
	char file[TM_NAME_MAX + 8], path[4096];
	FILE *f;
	long n;
	char *buf = NULL;

	snprintf(file, sizeof(file), "%s.%s", name, ext);
	if (keel_path(path, sizeof(path), KEEL_DIR_ETC "/certs", file) < 0) {
		snprintf(err, errlen, "certificate path too long");
		return NULL;
	}
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > 1024 * 1024 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: cannot read", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static grpc_server_credentials *gnmi_creds(const struct gnmi_cfg *c, char *err, size_t errlen)
{
	static const grpc_ssl_client_certificate_request_type req[] = {
	        [GNMI_CLIENT_CERT_NONE] = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
	        [GNMI_CLIENT_CERT_REQUEST] = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY,
	        [GNMI_CLIENT_CERT_REQUEST_VERIFY] = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY,
	        [GNMI_CLIENT_CERT_REQUIRE] =
	                GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY,
	        [GNMI_CLIENT_CERT_REQUIRE_VERIFY] =
	                GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
	};
	grpc_ssl_pem_key_cert_pair pair;
	grpc_server_credentials *cr = NULL;
	char *crt = NULL, *key = NULL, *ca = NULL;

	if (!c->ssl)
		return grpc_insecure_server_credentials_create();
	/* keel's stand-in for Junos 'security pki local certificate NAME':
	 * $KEEL_ROOT/etc/keel/certs/NAME.crt and NAME.key (yang/keel-system.yang) */
	if (!(crt = gnmi_read_pem(c->local_cert, "crt", err, errlen)) ||
	    !(key = gnmi_read_pem(c->local_cert, "key", err, errlen)))
		goto out;
	if (c->ca[0] && !(ca = gnmi_read_pem(c->ca, "crt", err, errlen)))
		goto out;
	pair.private_key = key;
	pair.cert_chain = crt;
	cr = grpc_ssl_server_credentials_create_ex(ca, &pair, 1, req[c->client_cert], NULL);
	if (!cr)
		snprintf(err, errlen, "TLS credentials for %s refused", c->local_cert);
out:
	free(crt);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(ca);
	return cr;
}

static void gnmi_srv_free(struct gnmi_srv *s)
{
	if (s->wake_ev)
		event_free(s->wake_ev);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->evq);
	free(s);
}

static void gnmi_srv_stop(struct gnmi_srv *s)
{
	struct timespec ts;

	if (!s)
		return;
	if (s->server) {
		s->stopping = true;
		s->t_shutdown = (struct gnmi_tag){NULL, GNMI_TAG_SHUTDOWN};
		grpc_server_shutdown_and_notify(s->server, s->cq, &s->t_shutdown);
		grpc_server_cancel_all_calls(s->server);
		for (struct gnmi_call *c = s->calls, *nx; c; c = nx) {
			nx = c->next;
			gnmi_call_maybe_free(c);
		}
		/* Synchronous drain on the loop thread: the server reports shutdown
		 * only once its calls are gone, and calls are freed here. */
		while (!s->shutdown_done || s->calls) {
			pthread_mutex_lock(&s->mu);
			if (!s->evn) {
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			}
			pthread_mutex_unlock(&s->mu);
			gnmi_srv_drain(s);
		}
		grpc_server_destroy(s->server);
	}
	if (s->cq) {
		grpc_completion_queue_shutdown(s->cq);
		if (s->thr_started)
			pthread_join(s->thr, NULL);
		else
			while (grpc_completion_queue_next(s->cq, gpr_inf_past(GPR_CLOCK_MONOTONIC),
			                                  NULL)
			               .type != GRPC_QUEUE_SHUTDOWN)
				;
		grpc_completion_queue_destroy(s->cq);
	}
	gnmi_srv_free(s);
}

static struct gnmi_srv *gnmi_srv_start(struct gnmi *g, const struct gnmi_cfg *c, char *err,
                                       size_t errlen)
{
	struct gnmi_srv *s = calloc(1, sizeof(*s));
	grpc_arg args[4];
	grpc_channel_args cargs = {0, args};
	grpc_server_credentials *cr;
	char addr[96];
	int port;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->g = g;
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		gnmi_srv_free(s);
		return NULL;
	}
	s->wake_ev = event_new(g->base, s->wake[0], EV_READ | EV_PERSIST, gnmi_srv_wake, s);
	if (!s->wake_ev || event_add(s->wake_ev, NULL)) {
		snprintf(err, errlen, "event");
		gnmi_srv_free(s);
		return NULL;
	}
	/* one listener per port: no silent sharing with a second instance */
	args[cargs.num_args].type = GRPC_ARG_INTEGER;
	args[cargs.num_args].key = (char *)GRPC_ARG_ALLOW_REUSEPORT;
	args[cargs.num_args++].value.integer = 0;
	/* collectors ping every 10-30 s; core's 5 min minimum would GOAWAY them (§4.2) */
	args[cargs.num_args].type = GRPC_ARG_INTEGER;
	args[cargs.num_args].key = (char *)GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS;
	args[cargs.num_args++].value.integer = 10000;
	args[cargs.num_args].type = GRPC_ARG_INTEGER;
	args[cargs.num_args].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[cargs.num_args++].value.integer = GNMI_MAX_MSG;
	s->cq = grpc_completion_queue_create_for_next(NULL);
	s->server = grpc_server_create(&cargs, NULL);
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	for (int m = 0; m < GNMI_M_N; m++) {
		s->method[m] = grpc_server_register_method(s->server, gnmi_method_path[m], NULL,
		                                           GRPC_SRM_PAYLOAD_NONE, 0);
		if (!s->method[m]) {
			snprintf(err, errlen, "register %s failed", gnmi_method_path[m]);
			goto fail_unstarted;
		}
	}
	if (!(cr = gnmi_creds(c, err, errlen)))
		goto fail_unstarted;
	/* an IPv6 literal needs brackets in a gRPC target */
	snprintf(addr, sizeof(addr), strchr(c->address, ':') ? "[%s]:%u" : "%s:%u", c->address,
	         c->port);
	port = grpc_server_add_http2_port(s->server, addr, cr);
	grpc_server_credentials_release(cr);
	if (port <= 0) {
		snprintf(err, errlen, "cannot listen on %s", addr);
		goto fail_unstarted;
	}
	s->port = (uint16_t)port;
	grpc_server_start(s->server);
	if (pthread_create(&s->thr, NULL, gnmi_srv_thread, s)) {
		snprintf(err, errlen, "thread: %s", strerror(errno));
		gnmi_srv_stop(s);
		return NULL;
	}
	s->thr_started = true;
	for (int m = 0; m < GNMI_M_N; m++)
		if (gnmi_srv_request(s, (enum gnmi_method)m)) {
			snprintf(err, errlen, "cannot request calls");
			gnmi_srv_stop(s);
			return NULL;
		}
	log_info("gnmi: listening on %s (%s)", addr, c->ssl ? "TLS" : "clear text");
	return s;
fail_unstarted:
	/* a server that never started is destroyed without a shutdown */
	grpc_server_destroy(s->server);
	s->server = NULL;
	gnmi_srv_stop(s);
	return NULL;
}

/* ------------------------------------------------------------------ the object */

void gnmi_bus_deliver(void *arg, const Keel__Sensor__SensorData *d)
{
	gnmi_rpc_bus(arg, d);
}

static void gnmi_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	gnmi_rpc_tick(arg, mono_ms());
}

struct gnmi *gnmi_new(struct event_base *base, struct tm_schema *sc)
{
	struct gnmi *g = calloc(1, sizeof(*g));
	const char *env = getenv("KEEL_GNMI_STALL_MS");

	if (!g)
		return NULL;
	g->base = base;
	g->sc = sc;
	g->stall_ms = GNMI_STALL_MS;
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end == '\0' && v >= 100 && v <= 3600000)
			g->stall_ms = v;
	}
	gnmi_cache_init(&g->cache);
	return g;
}

int gnmi_configure(struct gnmi *g, const struct gnmi_cfg *c, char *err, size_t errlen)
{
	struct gnmi_srv *ns;
	bool rebuild = !g->srv || gnmi_cfg_listener_differs(&g->cfg, c);

	if (!c->enabled) {
		if (g->srv) {
			log_info("gnmi: listener stopped");
			gnmi_srv_stop(g->srv);
			g->srv = NULL;
		}
		if (g->tick) {
			event_free(g->tick);
			g->tick = NULL;
		}
		g->cfg = *c;
		return 0;
	}
	if (!rebuild) {
		g->cfg = *c; /* users, max-connections, skip-authentication: next call */
		return 0;
	}
	if (!g->grpc_inited) {
		grpc_init();
		gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
		g->grpc_inited = true;
	}
	if (!g->models_loaded && gnmi_models_load(g))
		log_warnx("gnmi: YANG modules not listed: Capabilities reports none");
	/* the old listener goes first: the new one may want the same port */
	if (g->srv) {
		gnmi_srv_stop(g->srv);
		g->srv = NULL;
	}
	g->cfg = *c;
	ns = gnmi_srv_start(g, c, err, errlen);
	if (!ns)
		return -1;
	g->srv = ns;
	if (!g->tick) {
		struct timeval tv = {0, 20 * 1000};

		g->tick = event_new(g->base, -1, EV_PERSIST, gnmi_tick_cb, g);
		if (g->tick)
			event_add(g->tick, &tv);
	}
	return 0;
}

void gnmi_free(struct gnmi *g)
{
	if (!g)
		return;
	gnmi_srv_stop(g->srv);
	if (g->tick)
		event_free(g->tick);
	gnmi_cache_free(&g->cache);
	for (size_t i = 0; i < g->n_models; i++) {
		free(g->models[i].name);
		free(g->models[i].organization);
		free(g->models[i].version);
	}
	free(g->models);
	if (g->grpc_inited)
		grpc_shutdown();
	free(g);
}

void gnmi_stats(const struct gnmi *g, struct gnmi_stats *out)
{
	*out = g->st;
	out->cache_keys = g->cache.live;
	out->listening = g->srv != NULL;
	out->port = g->srv ? g->srv->port : 0;
	out->active = g->srv ? g->srv->active : 0;
}

size_t gnmi_subscriptions(const struct gnmi *g, gnmi_sub_fn fn, void *arg)
{
	struct gnmi_sub_info *si;
	size_t n = 0;

	if (!g->srv || !(si = malloc(sizeof(*si))))
		return 0;
	for (const struct gnmi_call *c = g->srv->calls; c; c = c->next) {
		if (!c->subscribed)
			continue;
		for (size_t i = 0; i < c->sl.n; i++) {
			const struct gnmi_sub *s = &c->sl.sub[i];

			memset(si, 0, sizeof(*si));
			si->call_id = c->id;
			si->index = (unsigned)i + 1;
			si->encoding = c->sl.encoding;
			snprintf(si->peer, sizeof(si->peer), "%s", c->peer ? c->peer : "");
			if (gnmi_path_to_str(&s->pat.p, si->path, sizeof(si->path)))
				snprintf(si->path, sizeof(si->path), "(too long)");
			si->list_mode = c->sl.mode;
			si->mode = s->mode;
			si->sample_ms = s->sample_ns / 1000000;
			si->heartbeat_ms = s->heartbeat_ns / 1000000;
			si->updates = c->sent_updates;
			si->duplicates = c->duplicates;
			si->queued = c->q.n;
			if (fn)
				fn(arg, si);
			n++;
		}
	}
	free(si);
	return n;
}
