/*
 * The methods every keel daemon answers (lib/ctl.h, lib/proto/ctl.proto):
 * "daemon.info", "debug.set", "methods", "subscribe", "unsubscribe".
 * They answer through the public ctl_reply/ctl_error like any handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/ctl_priv.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"

static void builtin_info(struct ctl_req *req, void *arg);
static void builtin_debug_set(struct ctl_req *req, void *arg);
static void builtin_methods(struct ctl_req *req, void *arg);
static void builtin_subscribe(struct ctl_req *req, void *arg);
static void builtin_unsubscribe(struct ctl_req *req, void *arg);

const struct ctl_method ctl_builtins[] = {
        {"daemon.info", builtin_info, 0, "daemon identity, uptime, ctl counters, debug flags"},
        {"debug.set", builtin_debug_set, CTL_F_WRITE, "switch debug flags on or off"},
        {"methods", builtin_methods, 0, "list the methods this daemon answers"},
        {"subscribe", builtin_subscribe, 0, "receive EVENT frames for topics (prefix*)"},
        {"unsubscribe", builtin_unsubscribe, 0, "stop events for topics (none: all)"},
};
const size_t ctl_n_builtins = sizeof(ctl_builtins) / sizeof(ctl_builtins[0]);

static uint64_t self_rss_kb(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int ok;

	if (!f)
		return 0;
	ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
	fclose(f);
	return ok ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024 : 0;
}

static uint64_t self_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void builtin_info(struct ctl_req *req, void *arg)
{
	struct ctl_server *srv = req->srv;
	Keel__Ctl__DaemonInfo info = KEEL__CTL__DAEMON_INFO__INIT;
	const char *const *names = log_flag_names();
	char *flags[LOG_MAX_FLAGS], *on[LOG_MAX_FLAGS];
	uint32_t mask = log_flags();
	size_t nf = 0, non = 0;

	for (int i = 0; names && names[i] && i < LOG_MAX_FLAGS; i++) {
		flags[nf++] = (char *)names[i];
		if (mask & (1u << i))
			on[non++] = (char *)names[i];
	}
	info.name = srv->name;
	info.pid = (uint32_t)getpid();
	info.start_time = srv->start_wall_ms / 1000;
	info.uptime_ms = mono_ms() - srv->start_mono_ms;
	info.n_debug_flags = nf;
	info.debug_flags = flags;
	info.n_debug_on = non;
	info.debug_on = on;
	info.clients = srv->n_conns;
	info.requests = srv->requests;
	info.errors = srv->errors;
	info.root = (char *)keel_root();
	info.rss_kb = self_rss_kb();
	info.cpu_ms = self_cpu_ms();
	if (srv->info_fn)
		srv->info_fn(&info, srv->info_arg);
	if (ctl_reply(req, &info.base) < 0)
		ctl_error(req, CTL_ERR_FAILED, "daemon.info: reply failed");
}

static int debug_bits(struct ctl_req *req, char **names, size_t n, uint32_t *bits)
{
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t b = log_flag_bit(names[i]);

		if (!b) {
			ctl_error(req, CTL_ERR_INVALID, "debug.set: unknown debug flag '%.64s'",
			          names[i]);
			return -1;
		}
		*bits |= b;
	}
	return 0;
}

static void builtin_debug_set(struct ctl_req *req, void *arg)
{
	Keel__Ctl__DebugSet *ds;
	uint32_t flags = log_flags(), on, off;

	ds = keel__ctl__debug_set__unpack(NULL, req->payload_len, req->payload);
	if (!ds) {
		ctl_error(req, CTL_ERR_INVALID, "debug.set: payload is not a DebugSet");
		return;
	}
	if (debug_bits(req, ds->on, ds->n_on, &on) < 0 ||
	    debug_bits(req, ds->off, ds->n_off, &off) < 0) {
		keel__ctl__debug_set__free_unpacked(ds, NULL);
		return;
	}
	if (ds->none)
		flags = 0;
	if (ds->all)
		flags = log_flag_bit("all");
	flags = (flags | on) & ~off;
	keel__ctl__debug_set__free_unpacked(ds, NULL);
	log_set_flags(flags);
	log_info("ctl %s: debug flags 0x%x (set by pid %d uid %u)", req->srv->name, flags,
	         (int)req->pid, (unsigned)req->uid);
}

static int reply_method(struct ctl_req *req, const struct ctl_method *m)
{
	Keel__Ctl__MethodInfo mi = KEEL__CTL__METHOD_INFO__INIT;

	mi.name = (char *)m->name;
	mi.write = (m->flags & CTL_F_WRITE) != 0;
	mi.help = (char *)(m->help ? m->help : "");
	return ctl_reply(req, &mi.base);
}

static void builtin_methods(struct ctl_req *req, void *arg)
{
	struct ctl_server *srv = req->srv;

	for (size_t i = 0; i < ctl_n_builtins; i++)
		if (reply_method(req, &ctl_builtins[i]) < 0)
			return;
	for (size_t i = 0; i < srv->n_methods; i++)
		if (reply_method(req, &srv->methods[i]) < 0)
			return;
	for (size_t t = 0; t < srv->n_extra; t++)
		for (size_t i = 0; i < srv->extra[t].n; i++)
			if (reply_method(req, &srv->extra[t].m[i]) < 0)
				return;
}

static Keel__Ctl__Subscribe *subscribe_decode(struct ctl_req *req)
{
	Keel__Ctl__Subscribe *s;

	s = keel__ctl__subscribe__unpack(NULL, req->payload_len, req->payload);
	if (!s) {
		ctl_error(req, CTL_ERR_INVALID, "%s: payload is not a Subscribe", req->method);
		return NULL;
	}
	/* bounds the O(n * CTL_MAX_TOPICS) duplicate checks below */
	if (s->n_topics > CTL_MAX_TOPICS) {
		ctl_error(req, CTL_ERR_INVALID, "%s: %zu topics, at most %d", req->method,
		          s->n_topics, CTL_MAX_TOPICS);
		keel__ctl__subscribe__free_unpacked(s, NULL);
		return NULL;
	}
	return s;
}

static bool conn_has_topic(const struct ctl_conn *c, const char *t)
{
	for (unsigned i = 0; i < c->n_topics; i++)
		if (strcmp(c->topics[i], t) == 0)
			return true;
	return false;
}

static void builtin_subscribe(struct ctl_req *req, void *arg)
{
	struct ctl_conn *c = req->conn;
	Keel__Ctl__Subscribe *s = subscribe_decode(req);
	unsigned fresh = 0;

	if (!s)
		return;
	if (s->n_topics == 0) {
		ctl_error(req, CTL_ERR_INVALID, "subscribe: no topics");
		goto out;
	}
	/* validate everything first: a subscribe is applied whole or not at all */
	for (size_t i = 0; i < s->n_topics; i++) {
		bool dup = conn_has_topic(c, s->topics[i]);

		if (!ctl_topic_pattern_valid(s->topics[i])) {
			ctl_error(req, CTL_ERR_INVALID, "subscribe: invalid topic '%.64s'",
			          s->topics[i]);
			goto out;
		}
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(s->topics[i], s->topics[j]) == 0;
		fresh += !dup;
	}
	if (c->n_topics + fresh > CTL_MAX_TOPICS) {
		ctl_error(req, CTL_ERR_INVALID, "subscribe: more than %d topics", CTL_MAX_TOPICS);
		goto out;
	}
	for (size_t i = 0; i < s->n_topics; i++) {
		char *t;

		if (conn_has_topic(c, s->topics[i]))
			continue;
		t = strdup(s->topics[i]);
		if (!t) {
			ctl_error(req, CTL_ERR_FAILED, "subscribe: out of memory");
			goto out;
		}
		c->topics[c->n_topics++] = t;
	}
out:
	keel__ctl__subscribe__free_unpacked(s, NULL);
}

static void builtin_unsubscribe(struct ctl_req *req, void *arg)
{
	struct ctl_conn *c = req->conn;
	Keel__Ctl__Subscribe *s = subscribe_decode(req);

	if (!s)
		return;
	for (unsigned i = 0; i < c->n_topics;) {
		bool drop = s->n_topics == 0;

		for (size_t j = 0; j < s->n_topics && !drop; j++)
			drop = strcmp(c->topics[i], s->topics[j]) == 0;
		if (drop) {
			free(c->topics[i]);
			c->topics[i] = c->topics[--c->n_topics];
		} else {
			i++;
		}
	}
	keel__ctl__subscribe__free_unpacked(s, NULL);
}
