/*
 * The MAC table, read from ovs-vswitchd: its unixctl command "fdb/show"
 * (what `ovs-appctl fdb/show BRIDGE` prints), asked over vswitchd's unixctl
 * socket, which speaks JSON-RPC 1.0 like OVSDB (concatenated JSON objects;
 * platform/ovs's stream splitter reads it). No shelling out.
 *
 * The socket is <rundir>/ovs-vswitchd.<pid>.ctl (OVS's default when
 * --unixctl is not given; pid from <rundir>/ovs-vswitchd.pid), else
 * <rundir>/ovs-vswitchd.ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "daemons/vland/vland_daemon.h"
#include "lib/log.h"

#define VLAND_FDB_TIMEOUT_S 3

/* ------------------------------------------------------------ parser */

static int vland_fdb_row(char *line, struct vland_fdb_entry *e)
{
	char *save = NULL, *port, *vlan, *mac, *age, *end;
	long x;

	memset(e, 0, sizeof(*e));
	port = strtok_r(line, " \t", &save);
	vlan = strtok_r(NULL, " \t", &save);
	mac = strtok_r(NULL, " \t", &save);
	age = strtok_r(NULL, " \t", &save);
	if (!port || !vlan || !mac || !age || strtok_r(NULL, " \t", &save))
		return -EPROTO;
	if (!strcmp(port, "LOCAL")) {
		e->ofport = -2;
	} else if (port[0] >= '0' && port[0] <= '9') {
		x = strtol(port, &end, 10);
		if (*end || x < 0 || x > 0xffff)
			return -EPROTO;
		e->ofport = x;
	} else {
		/* A port name (an interface name starts with a letter). */
		if (!((port[0] >= 'a' && port[0] <= 'z') || (port[0] >= 'A' && port[0] <= 'Z')) ||
		    strlen(port) >= sizeof(e->port_name))
			return -EPROTO;
		e->ofport = -1;
		snprintf(e->port_name, sizeof(e->port_name), "%s", port);
	}
	x = strtol(vlan, &end, 10);
	if (*end || end == vlan || x < 0 || x > 4095)
		return -EPROTO;
	e->vlan = (uint16_t)x;
	/* vswitchd prints ETH_ADDR_FMT: lowercase xx:xx:xx:xx:xx:xx. */
	for (char *c = mac; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	if (vland_mac_parse(mac, e->mac) < 0)
		return -EPROTO;
	if (!strcmp(age, "static")) {
		e->is_static = true;
	} else {
		x = strtol(age, &end, 10);
		if (*end || end == age || x < 0)
			return -EPROTO;
		e->age = (uint32_t)x;
	}
	return 0;
}

int vland_fdb_parse(const char *text, int (*fn)(void *arg, const struct vland_fdb_entry *e),
                    void *arg)
{
	const char *p = text;
	bool header = true;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[256];
		struct vland_fdb_entry e;
		int r;

		if (len >= sizeof(line))
			return -EPROTO;
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (nl ? 1 : 0);
		if (strspn(line, " \t\r") == len)
			continue;
		if (header) {
			/* " port  VLAN  MAC                Age" */
			header = false;
			if (strstr(line, "MAC"))
				continue;
		}
		if (line[len - 1] == '\r')
			line[len - 1] = 0;
		if ((r = vland_fdb_row(line, &e)) < 0)
			return r;
		if ((r = fn(arg, &e)) != 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------ unixctl client */

struct vland_fdb_req {
	struct vland *v;
	vland_fdb_fn cb;
	void *arg;
	struct bufferevent *bev;
	struct ovsdb_stream stream;
	bool done;
	struct vland_fdb_entry *e;
	size_t n, cap;
};

static int vland_fdb_collect(void *arg, const struct vland_fdb_entry *e)
{
	struct vland_fdb_req *q = arg;

	if (q->n >= VLAND_FDB_MAX)
		return 0;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct vland_fdb_entry *g = reallocarray(q->e, cap, sizeof(*g));

		if (!g)
			return -ENOMEM;
		q->e = g;
		q->cap = cap;
	}
	q->e[q->n++] = *e;
	return 0;
}

static void vland_fdb_finish(struct vland_fdb_req *q, int err)
{
	if (!q->done) {
		q->done = true;
		q->cb(q->arg, q->e, err ? 0 : q->n, err);
	}
	if (q->bev)
		bufferevent_free(q->bev);
	ovsdb_stream_free(&q->stream);
	free(q->e);
	free(q);
}

static int vland_fdb_msg(void *arg, struct json_object *o)
{
	struct vland_fdb_req *q = arg;
	struct json_object *res = NULL, *err = NULL;

	json_object_object_get_ex(o, "error", &err);
	if (!json_object_object_get_ex(o, "result", &res) || !res ||
	    !json_object_is_type(res, json_type_string)) {
		log_warnx("fdb/show: %s", err ? json_object_get_string(err) : "no result");
		return -EIO;
	}
	return vland_fdb_parse(json_object_get_string(res), vland_fdb_collect, q) < 0 ? -EPROTO : 1;
}

static void vland_fdb_read(struct bufferevent *bev, void *arg)
{
	struct vland_fdb_req *q = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096];
	size_t n;
	int r = 0;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0 && !r)
		r = ovsdb_stream_feed(&q->stream, buf, n, vland_fdb_msg, q);
	if (r)
		vland_fdb_finish(q, r == 1 ? 0 : r);
}

static void vland_fdb_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	vland_fdb_finish(arg, what & BEV_EVENT_TIMEOUT ? -ETIMEDOUT : -ECONNRESET);
}

static int vland_fdb_path(const struct vland *v, char *path, size_t len)
{
	char pidfile[VLAND_PATHSIZ + 32];
	FILE *f;
	int pid = 0;

	snprintf(pidfile, sizeof(pidfile), "%s/ovs-vswitchd.pid", v->rundir);
	f = fopen(pidfile, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid > 0)
		return snprintf(path, len, "%s/ovs-vswitchd.%d.ctl", v->rundir, pid) < (int)len
		               ? 0
		               : -ENAMETOOLONG;
	return snprintf(path, len, "%s/ovs-vswitchd.ctl", v->rundir) < (int)len ? 0 : -ENAMETOOLONG;
}

/* The Linux bridge's MAC table: the kernel's FDB dump, synchronous. */
static void vland_fdb_fetch_linux(struct vland *v, vland_fdb_fn cb, void *arg)
{
	struct vland_fdb_req q;
	int r = 0;

	memset(&q, 0, sizeof(q));
	if (v->plat)
		r = vland_lx_fdb(&v->lx, v->plat, vland_fdb_collect, &q);
	cb(arg, q.e, r < 0 ? 0 : q.n, r < 0 ? r : 0);
	free(q.e);
}

void vland_fdb_fetch(struct vland *v, vland_fdb_fn cb, void *arg)
{
	struct vland_fdb_req *q;
	struct sockaddr_un sa;
	struct json_object *req, *params;
	struct timeval tv = {VLAND_FDB_TIMEOUT_S, 0};
	const char *text;

	if (v->dp == VLAND_DP_LINUX) {
		vland_fdb_fetch_linux(v, cb, arg);
		return;
	}
	/* No switch: an empty table, not an error. */
	if (!v->ovs || !ovsdb_conn_is_ready(v->ovs) ||
	    !ovsdb_cache_find(ovsdb_conn_cache(v->ovs), "Bridge", "name", VLAND_BRIDGE, NULL)) {
		cb(arg, NULL, 0, 0);
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q || ovsdb_stream_init(&q->stream) < 0) {
		free(q);
		cb(arg, NULL, 0, -ENOMEM);
		return;
	}
	q->v = v;
	q->cb = cb;
	q->arg = arg;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (vland_fdb_path(v, sa.sun_path, sizeof(sa.sun_path)) < 0) {
		vland_fdb_finish(q, -ENAMETOOLONG);
		return;
	}
	q->bev = bufferevent_socket_new(v->d->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!q->bev) {
		vland_fdb_finish(q, -ENOMEM);
		return;
	}
	bufferevent_setcb(q->bev, vland_fdb_read, NULL, vland_fdb_event, q);
	bufferevent_set_timeouts(q->bev, &tv, &tv);
	bufferevent_enable(q->bev, EV_READ | EV_WRITE);
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_string(VLAND_BRIDGE));
	req = ovsdb_request_new("fdb/show", params, 0);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	bufferevent_write(q->bev, text, strlen(text));
	json_object_put(req);
	/* -1 only for errors found at once (no such socket): libevent has not
	 * called and will not call the event callback then; a refused connect
	 * is reported through the callback. */
	if (bufferevent_socket_connect(q->bev, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		vland_fdb_finish(q, -ENOENT);
}
