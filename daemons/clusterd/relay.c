/*
 * The relay (issue 4 items 1 and 6; notes §7, §8): the TLS channel to the peer's clusterd on
 * TCP 62845 (sync.h) and the bulk participants' data over it.
 *
 * Who talks to whom. The RG0 primary listens on its control-link addresses (io.c gives each
 * control port 169.254.<cluster>.<4 * link + node + 1>/30). The other node connects while the
 * peer is alive and RG0 primary: to the peer's control-link-0 address, or control link 1's
 * when link 0 is down or the last attempt on it failed, with backoff from 100 ms to 5 s.
 * Both ends send HELLO first (cluster id, node id); a channel carries nothing else until the
 * peer's HELLO names our cluster and the other node. A failed TLS handshake (another
 * authentication-key) is counted and logged, never retried faster than the backoff.
 *
 * Bulk participants (mgd first; clusterd.proto "Bulk participants") never talk to the peer
 * themselves:
 *
 *   coldsync  the joining node's clusterd sends REQUEST(name) for each bulk participant in
 *             progress; the primary's clusterd asks its participant for "cluster.snapshot",
 *             ships the bytes as DATA(snapshot) chunks; the joining node assembles them and
 *             hands them to its participant ("cluster.receive", chunked); the answer to the
 *             last chunk marks the participant done (or failed: CS stays, coldsync.c).
 *   updates   the primary's participant calls "sync.notify" after a change (mgd: a commit);
 *             clusterd pulls a snapshot the same way and ships it as DATA(update). With no
 *             channel it remembers that one is owed and pushes when the channel is up again.
 *             A peer that could not deliver an update asks for a snapshot again.
 *
 * Everything runs on the daemon's loop; nothing blocks. State changes that feed the engine
 * (a participant done) go through a deferred drain, so a drain never runs inside a channel
 * or ctl callback that it could tear down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"
#include "daemons/clusterd/sync.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/proto/clusterd.pb-c.h"

#define RELAY_BACKOFF_MIN_MS 100
#define RELAY_BACKOFF_MAX_MS 5000
#define RELAY_CONNECT_MS     3000
#define RELAY_TICK_MS        1000
#define RELAY_MAX_CONN       4 /* handshaking + the active one */
#define RELAY_ACCEPT_BURST   8

enum relay_role {
	RELAY_ROLE_NONE,
	RELAY_ROLE_SERVER,
	RELAY_ROLE_CLIENT,
};

struct cl_relay;

struct relay_part {
	struct cl_relay *r;
	char name[CL_PART_NAME_LEN];
	struct ctl_aclient *ac;
	/* sending side: pulling the participant's state to ship */
	bool pulling;
	uint8_t pull_kind; /* enum sync_kind of the pull in flight */
	uint8_t want;      /* 1 << kind: pulls asked for while one was in flight */
	bool dirty;        /* an update is owed to the peer (no channel when notified) */
	uint8_t *pull;
	size_t pull_len;
	bool pull_over; /* more than SYNC_MAX_BLOB: refused */
	/* receiving side: a transfer being assembled, then delivered */
	uint8_t *rx;
	uint32_t rx_total, rx_len, rx_xfer;
	uint8_t rx_kind;
	bool rx_active;
	bool requested;  /* REQUEST sent on the active channel, no answer yet */
	bool resync;     /* an update could not be delivered: ask for a snapshot */
	bool delivering; /* cluster.receive calls in flight */
	unsigned deliver_pending;
	int deliver_status;
	char deliver_error[128];
};

struct relay_conn {
	struct cl_relay *r;
	struct sync_chan *ch;
	bool used;
	bool server;
	bool hello_ok;  /* the active channel */
	bool was_up;    /* handshake completed */
	uint64_t since; /* mono ms: a channel that never says hello is dropped */
	char peer[32];
};

struct cl_relay {
	struct clusterd *cl;
	struct sync_tls *tls;
	bool tls_valid;
	uint8_t tls_cluster;
	char tls_key[CL_KEY_MAX + 1];
	size_t tls_keylen;
	enum relay_role role;
	/* server */
	int lfd[2];
	struct event *lev[2];
	/* client */
	int cfd;
	struct event *cev;
	unsigned clink;    /* control link the connect goes over */
	bool clink_failed; /* the last attempt on clink failed: try the other one */
	struct timer conn_timer;
	uint32_t backoff_ms;
	struct relay_conn conn[RELAY_MAX_CONN];
	struct timer tick;
	struct timer drain;
	struct relay_part parts[CL_MAX_PARTICIPANTS];
	size_t n_parts;
	uint32_t next_xfer;
	bool stopping;
	struct cl_relay_info st; /* counters (state/role/cipher filled when asked) */
};

/* ------------------------------------------------------------ helpers */

static struct relay_conn *relay_active(struct cl_relay *r)
{
	for (unsigned i = 0; i < RELAY_MAX_CONN; i++)
		if (r->conn[i].used && r->conn[i].hello_ok)
			return &r->conn[i];
	return NULL;
}

static struct relay_part *relay_part_find(struct cl_relay *r, const char *name)
{
	for (size_t i = 0; i < r->n_parts; i++)
		if (strcmp(r->parts[i].name, name) == 0)
			return &r->parts[i];
	return NULL;
}

static void relay_drain_later(struct cl_relay *r)
{
	timer_add_ms(&r->drain, 0);
}

static void relay_drain_fire(void *arg)
{
	struct cl_relay *r = arg;

	cl_cs_save(&r->cl->cs);
	cl_drain(r->cl);
}

static int relay_send(struct relay_conn *c, const struct sync_msg *m)
{
	struct cl_relay *r = c->r;
	size_t before = sync_chan_queued(c->ch);

	if (sync_chan_send(c->ch, m) < 0) {
		log_warnx("sync: cannot queue a %s frame to %s (queue %zu bytes)",
		          sync_type_name(m->type), c->peer, before);
		return -1;
	}
	r->st.frames_sent++;
	r->st.bytes_sent += sync_chan_queued(c->ch) - before;
	return 0;
}

static void relay_send_error(struct relay_conn *c, const char *name, bool retry, const char *text)
{
	struct sync_msg m = {.type = SYNC_MSG_ERROR, .retry = retry};

	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.text, sizeof(m.text), "%s", text);
	relay_send(c, &m);
}

static void relay_conn_close(struct relay_conn *c)
{
	if (!c->used)
		return;
	sync_chan_free(c->ch);
	memset(c, 0, sizeof(*c));
}

static void relay_rx_reset(struct relay_part *p)
{
	free(p->rx);
	p->rx = NULL;
	p->rx_active = false;
	p->rx_len = p->rx_total = 0;
}

/* The active channel is gone: whatever was asked on it is owed again. */
static void relay_lost_active(struct cl_relay *r)
{
	for (size_t i = 0; i < r->n_parts; i++) {
		r->parts[i].requested = false;
		relay_rx_reset(&r->parts[i]);
	}
}

/* ------------------------------------------------------------ sending side (RG0 primary) */

static void relay_pull(struct relay_part *p, uint8_t kind);

static void relay_ship(struct relay_part *p, uint8_t kind)
{
	struct cl_relay *r = p->r;
	struct relay_conn *c = relay_active(r);
	struct sync_msg m = {.type = SYNC_MSG_DATA, .kind = kind};
	struct cl_participant *cp = cl_cs_find(&r->cl->cs, p->name);

	if (!c) {
		if (kind == SYNC_KIND_UPDATE)
			p->dirty = true; /* pushed when the channel is back */
		return;
	}
	snprintf(m.name, sizeof(m.name), "%s", p->name);
	m.xfer = ++r->next_xfer;
	m.total = (uint32_t)p->pull_len;
	size_t off = 0;
	do {
		size_t n = p->pull_len - off < SYNC_CHUNK ? p->pull_len - off : SYNC_CHUNK;
		m.offset = (uint32_t)off;
		m.chunk = p->pull + off;
		m.chunk_len = n;
		if (relay_send(c, &m) < 0) {
			if (kind == SYNC_KIND_UPDATE)
				p->dirty = true;
			return;
		}
		off += n;
	} while (off < p->pull_len);
	if (cp)
		cp->sent++;
	log_info("sync: %s %s (%zu bytes) sent to %s",
	         kind == SYNC_KIND_SNAPSHOT ? "snapshot" : "update", p->name, p->pull_len, c->peer);
}

static void relay_pull_reply(int status, bool done, const uint8_t *payload, size_t len,
                             const char *error, void *arg)
{
	struct relay_part *p = arg;
	struct cl_relay *r = p->r;

	if (r->stopping)
		return;
	if (!done) {
		if (p->pull_over || len > SYNC_MAX_BLOB - p->pull_len) {
			p->pull_over = true;
			return;
		}
		uint8_t *n = realloc(p->pull, p->pull_len + len + 1);
		if (!n) {
			p->pull_over = true;
			return;
		}
		p->pull = n;
		memcpy(p->pull + p->pull_len, payload, len);
		p->pull_len += len;
		return;
	}
	uint8_t kind = p->pull_kind;
	p->pulling = false;
	if (status == 0 && !p->pull_over) {
		relay_ship(p, kind);
	} else {
		char text[SYNC_TEXT_MAX + 1];
		snprintf(text, sizeof(text), "%s on node%u: %s", p->name, r->cl->id.node_id,
		         p->pull_over ? "snapshot larger than 16 MiB"
		         : status < 0 ? "participant not reachable"
		                      : (error ? error : "snapshot refused"));
		log_warnx("sync: cannot take a snapshot of %s", text);
		struct relay_conn *c = relay_active(r);
		if (kind == SYNC_KIND_SNAPSHOT && c)
			relay_send_error(c, p->name, status < 0, text);
		else if (kind == SYNC_KIND_UPDATE)
			p->dirty = true;
	}
	free(p->pull);
	p->pull = NULL;
	p->pull_len = 0;
	p->pull_over = false;
	if (p->want) {
		uint8_t next = (p->want & (1u << SYNC_KIND_SNAPSHOT)) ? SYNC_KIND_SNAPSHOT
		                                                      : SYNC_KIND_UPDATE;
		p->want &= (uint8_t) ~(1u << next);
		relay_pull(p, next);
	}
}

static void relay_pull(struct relay_part *p, uint8_t kind)
{
	Keel__Clusterd__ColdsyncRegister q = KEEL__CLUSTERD__COLDSYNC_REGISTER__INIT;

	if (p->pulling) {
		p->want |= (uint8_t)(1u << kind);
		return;
	}
	q.participant = p->name;
	p->pull_kind = kind;
	p->pulling = true;
	if (!p->ac || ctl_acall(p->ac, "cluster.snapshot", &q.base, relay_pull_reply, p) < 0) {
		p->pulling = false;
		struct relay_conn *c = relay_active(p->r);
		if (kind == SYNC_KIND_UPDATE)
			p->dirty = true;
		else if (c)
			relay_send_error(c, p->name, true,
			                 "participant not reachable on the primary");
	}
}

/* ------------------------------------------------------------ receiving side */

static void relay_deliver_done(struct relay_part *p)
{
	struct cl_relay *r = p->r;
	struct cl_participant *cp = cl_cs_find(&r->cl->cs, p->name);
	bool snap = p->rx_kind == SYNC_KIND_SNAPSHOT;
	char err[128];

	p->delivering = false;
	p->requested = false;
	if (p->deliver_status == 0) {
		log_info("sync: %s %s (%u bytes) applied by %s", snap ? "snapshot" : "update",
		         p->name, p->rx_total, p->name);
		p->resync = false;
		if (cp)
			cp->received++;
		if (snap && cp && cp->state != CL_PART_DONE)
			cl_cs_done(&r->cl->cs, p->name, true, err, sizeof(err));
	} else if (p->deliver_status < 0) {
		/* The participant went away meanwhile: ask again once it is back. */
		log_warnx("sync: %s could not take the %s: %s", p->name,
		          snap ? "snapshot" : "update", p->deliver_error);
		p->resync = true;
	} else {
		log_warnx("sync: %s refused the peer's %s: %s", p->name,
		          snap ? "snapshot" : "update", p->deliver_error);
		if (snap && cp)
			cl_cs_done(&r->cl->cs, p->name, false, err, sizeof(err));
	}
	relay_rx_reset(p);
	relay_drain_later(r);
}

static void relay_deliver_reply(int status, bool done, const uint8_t *payload, size_t len,
                                const char *error, void *arg)
{
	struct relay_part *p = arg;

	(void)payload;
	(void)len;
	if (p->r->stopping || !done)
		return;
	if (status != 0 && p->deliver_status == 0) {
		p->deliver_status = status;
		snprintf(p->deliver_error, sizeof(p->deliver_error), "%s",
		         error && *error ? error : "connection lost");
	}
	if (p->deliver_pending && --p->deliver_pending == 0)
		relay_deliver_done(p);
}

static void relay_deliver(struct relay_part *p)
{
	Keel__Clusterd__SyncChunk q = KEEL__CLUSTERD__SYNC_CHUNK__INIT;
	uint32_t off = 0;

	p->delivering = true;
	p->deliver_pending = 0;
	p->deliver_status = 0;
	p->deliver_error[0] = '\0';
	q.participant = p->name;
	q.snapshot = p->rx_kind == SYNC_KIND_SNAPSHOT;
	q.xfer = ++p->r->next_xfer;
	q.total = p->rx_total;
	do {
		uint32_t n = p->rx_total - off < SYNC_CHUNK ? p->rx_total - off : SYNC_CHUNK;
		q.offset = off;
		q.data.data = p->rx + off;
		q.data.len = n;
		if (!p->ac ||
		    ctl_acall(p->ac, "cluster.receive", &q.base, relay_deliver_reply, p) < 0) {
			p->deliver_status = -1;
			snprintf(p->deliver_error, sizeof(p->deliver_error), "%s is not running",
			         p->name);
			break;
		}
		p->deliver_pending++;
		off += n;
	} while (off < p->rx_total);
	if (p->deliver_pending == 0)
		relay_deliver_done(p);
}

static void relay_on_data(struct relay_conn *c, const struct sync_msg *m)
{
	struct cl_relay *r = c->r;
	struct relay_part *p = relay_part_find(r, m->name);
	struct cl_participant *cp = cl_cs_find(&r->cl->cs, m->name);

	if (!p || !cp || !cp->bulk) {
		log_warnx("sync: data for %s, which is not a bulk participant here: dropped",
		          m->name);
		return;
	}
	if (p->delivering) {
		/* Still applying the previous one: this newer state is asked for again after. */
		if (m->offset + m->chunk_len == m->total)
			p->resync = true;
		return;
	}
	if (m->offset == 0) {
		relay_rx_reset(p);
		p->rx = malloc(m->total ? m->total : 1);
		if (!p->rx) {
			log_warnx("sync: no memory for %u bytes of %s", m->total, m->name);
			p->resync = true;
			return;
		}
		p->rx_active = true;
		p->rx_total = m->total;
		p->rx_xfer = m->xfer;
		p->rx_kind = m->kind;
	} else if (!p->rx_active || m->xfer != p->rx_xfer || m->offset != p->rx_len ||
	           m->total != p->rx_total || m->kind != p->rx_kind) {
		sync_chan_fail(c->ch, "data chunk out of order");
		return;
	}
	if (m->chunk_len)
		memcpy(p->rx + p->rx_len, m->chunk, m->chunk_len);
	p->rx_len += (uint32_t)m->chunk_len;
	if (p->rx_len == p->rx_total)
		relay_deliver(p);
}

/* Joining node: ask for every bulk participant still owed a snapshot. */
static void relay_request_all(struct cl_relay *r)
{
	struct relay_conn *c = relay_active(r);

	if (!c || r->role != RELAY_ROLE_CLIENT)
		return;
	for (size_t i = 0; i < r->n_parts; i++) {
		struct relay_part *p = &r->parts[i];
		struct cl_participant *cp = cl_cs_find(&r->cl->cs, p->name);
		if (!cp || !cp->bulk || p->requested || p->delivering || p->rx_active)
			continue;
		if (cp->state != CL_PART_IN_PROGRESS && !p->resync)
			continue;
		struct sync_msg m = {.type = SYNC_MSG_REQUEST};
		snprintf(m.name, sizeof(m.name), "%s", p->name);
		if (relay_send(c, &m) == 0) {
			p->requested = true;
			log_info("sync: snapshot of %s requested from %s", p->name, c->peer);
		}
	}
}

/* ------------------------------------------------------------ channel callbacks */

static void relay_chan_up(struct sync_chan *ch, void *arg)
{
	struct relay_conn *c = arg;
	struct clusterd *cl = c->r->cl;
	struct sync_msg m = {.type = SYNC_MSG_HELLO,
	                     .version = SYNC_VERSION,
	                     .cluster_id = cl->id.cluster_id,
	                     .node_id = cl->id.node_id};

	c->was_up = true;
	log_debugf(CL_DEBUG_IO, "sync: TLS up with %s (%s)", c->peer, sync_chan_cipher(ch));
	relay_send(c, &m);
}

static void relay_became_active(struct relay_conn *c)
{
	struct cl_relay *r = c->r;

	for (unsigned i = 0; i < RELAY_MAX_CONN; i++)
		if (&r->conn[i] != c && r->conn[i].used && r->conn[i].hello_ok) {
			relay_conn_close(
			        &r->conn[i]); /* the peer reconnected: the old one is stale */
			relay_lost_active(r);
		}
	c->hello_ok = true;
	r->st.established++;
	r->backoff_ms = RELAY_BACKOFF_MIN_MS;
	r->clink_failed = false;
	log_info("sync: channel to node%u up (%s, %s, %s)", r->cl->id.node_id ^ 1u, c->peer,
	         c->server ? "server" : "client", sync_chan_cipher(c->ch));
	if (r->role == RELAY_ROLE_SERVER) {
		for (size_t i = 0; i < r->n_parts; i++)
			if (r->parts[i].dirty) {
				r->parts[i].dirty = false;
				relay_pull(&r->parts[i], SYNC_KIND_UPDATE);
			}
	}
	relay_request_all(r);
}

static void relay_chan_msg(struct sync_chan *ch, const struct sync_msg *m, void *arg)
{
	struct relay_conn *c = arg;
	struct cl_relay *r = c->r;
	struct clusterd *cl = r->cl;

	r->st.frames_received++;
	r->st.bytes_received += SYNC_HDR_LEN; /* + body, below */
	if (m->type == SYNC_MSG_HELLO) {
		if (c->hello_ok) {
			sync_chan_fail(ch, "second hello");
		} else if (m->cluster_id != cl->id.cluster_id ||
		           m->node_id != (cl->id.node_id ^ 1u)) {
			r->st.protocol_errors++;
			log_warnx("sync: %s says cluster %u node%u; we are cluster %u node%u",
			          c->peer, m->cluster_id, m->node_id, cl->id.cluster_id,
			          cl->id.node_id);
			sync_chan_fail(ch, "hello from the wrong cluster or node");
		} else {
			relay_became_active(c);
		}
		return;
	}
	if (!c->hello_ok) {
		sync_chan_fail(ch, "frame before hello");
		return;
	}
	switch (m->type) {
	case SYNC_MSG_REQUEST: {
		struct relay_part *p = relay_part_find(r, m->name);
		struct cl_participant *cp = cl_cs_find(&cl->cs, m->name);
		if (r->role != RELAY_ROLE_SERVER) {
			relay_send_error(c, m->name, true, "not the RG0 primary");
		} else if (!p || !cp || !cp->bulk) {
			char text[SYNC_TEXT_MAX + 1];
			snprintf(text, sizeof(text), "%s is not registered on node%u", m->name,
			         cl->id.node_id);
			relay_send_error(c, m->name, true, text);
		} else {
			log_info("sync: node%u asks for a snapshot of %s", cl->id.node_id ^ 1u,
			         m->name);
			relay_pull(p, SYNC_KIND_SNAPSHOT);
		}
		break;
	}
	case SYNC_MSG_DATA:
		r->st.bytes_received += m->chunk_len;
		relay_on_data(c, m);
		break;
	case SYNC_MSG_ERROR: {
		struct relay_part *p = relay_part_find(r, m->name);
		log_warnx("sync: node%u cannot send %s: %s%s", cl->id.node_id ^ 1u, m->name,
		          m->text, m->retry ? " (asking again)" : "");
		if (!p)
			break;
		p->requested = false;
		if (!m->retry) {
			char err[128];
			cl_cs_done(&cl->cs, m->name, false, err, sizeof(err));
			relay_drain_later(r);
		}
		break;
	}
	}
}

static void relay_connect_later(struct cl_relay *r);

static void relay_chan_down(struct sync_chan *ch, enum sync_down why, const char *detail, void *arg)
{
	struct relay_conn *c = arg;
	struct cl_relay *r = c->r;
	bool active = c->hello_ok, server = c->server;

	(void)ch;
	if (why == SYNC_DOWN_HANDSHAKE || why == SYNC_DOWN_TIMEOUT) {
		r->st.handshake_failures++;
		log_warnx("sync: TLS handshake with %s failed (%s%s%s): authentication-key "
		          "mismatch?",
		          c->peer, sync_down_name(why), detail[0] ? ": " : "", detail);
	} else if (why == SYNC_DOWN_PROTO) {
		r->st.protocol_errors++;
		log_warnx("sync: channel with %s dropped: %s: %s", c->peer, sync_down_name(why),
		          detail);
	} else {
		log_info("sync: channel with %s %s%s%s", c->peer, sync_down_name(why),
		         detail[0] ? ": " : "", detail);
	}
	if (!c->was_up && !server)
		r->clink_failed = true;
	relay_conn_close(c);
	if (active)
		relay_lost_active(r);
	if (!server && r->role == RELAY_ROLE_CLIENT)
		relay_connect_later(r);
}

static const struct sync_chan_cbs relay_cbs = {
        .up = relay_chan_up,
        .msg = relay_chan_msg,
        .down = relay_chan_down,
};

static struct relay_conn *relay_conn_new(struct cl_relay *r, int fd, bool server,
                                         const struct sockaddr_in *peer)
{
	for (unsigned i = 0; i < RELAY_MAX_CONN; i++) {
		struct relay_conn *c = &r->conn[i];
		if (c->used)
			continue;
		memset(c, 0, sizeof(*c));
		c->r = r;
		c->server = server;
		c->since = mono_ms();
		snprintf(c->peer, sizeof(c->peer), "%s:%u", inet_ntoa(peer->sin_addr),
		         ntohs(peer->sin_port));
		c->ch = sync_chan_new(r->cl->d->base, r->tls, fd, server, &relay_cbs, c);
		if (!c->ch)
			return NULL;
		c->used = true;
		return c;
	}
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------ server: listeners */

static void relay_accept(evutil_socket_t fd, short what, void *arg)
{
	struct cl_relay *r = arg;

	(void)what;
	for (int i = 0; i < RELAY_ACCEPT_BURST; i++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int s = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("sync: accept");
			return;
		}
		if (!r->tls || !relay_conn_new(r, s, true, &sa))
			log_warnx("sync: connection from %s refused (%s)", inet_ntoa(sa.sin_addr),
			          r->tls ? "too many handshakes" : "no TLS context");
	}
}

static void relay_listen_close(struct cl_relay *r)
{
	for (unsigned i = 0; i < 2; i++) {
		if (r->lev[i])
			event_free(r->lev[i]);
		r->lev[i] = NULL;
		if (r->lfd[i] >= 0)
			close(r->lfd[i]);
		r->lfd[i] = -1;
	}
}

static int relay_socket(struct in_addr local, uint16_t port)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = local, .sin_port = htons(port)};

	if (fd < 0)
		return -1;
	/* The link-local address may not be on the port yet (io.c adds it when the link
	 * opens): bind anyway, the kernel routes to it once it is there. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void relay_listen(struct cl_relay *r)
{
	struct clusterd *cl = r->cl;

	for (unsigned i = 0; i < 2; i++) {
		if (!cl->conf.ctl_cfg[i] || r->lfd[i] >= 0)
			continue;
		struct in_addr a = cl_link_addr(cl->id.cluster_id, i, cl->id.node_id);
		int fd = relay_socket(a, CL_TCP_PORT);
		if (fd < 0 || listen(fd, 8) < 0) {
			log_warn("sync: cannot listen on %s:%u", inet_ntoa(a), CL_TCP_PORT);
			if (fd >= 0)
				close(fd);
			continue;
		}
		r->lfd[i] = fd;
		r->lev[i] = event_new(cl->d->base, fd, EV_READ | EV_PERSIST, relay_accept, r);
		if (!r->lev[i] || event_add(r->lev[i], NULL) < 0) {
			log_warnx("sync: cannot watch the listener");
			continue;
		}
		log_info("sync: listening on %s:%u (control link %u)", inet_ntoa(a), CL_TCP_PORT,
		         i);
	}
}

/* ------------------------------------------------------------ client: connect */

static void relay_connect_cancel(struct cl_relay *r)
{
	if (r->cev)
		event_free(r->cev);
	r->cev = NULL;
	if (r->cfd >= 0)
		close(r->cfd);
	r->cfd = -1;
	timer_del(&r->conn_timer);
}

static bool relay_busy_client(struct cl_relay *r)
{
	for (unsigned i = 0; i < RELAY_MAX_CONN; i++)
		if (r->conn[i].used && !r->conn[i].server)
			return true;
	return r->cfd >= 0 || timer_pending(&r->conn_timer);
}

static void relay_connect_later(struct cl_relay *r)
{
	if (r->role != RELAY_ROLE_CLIENT || relay_busy_client(r))
		return;
	timer_add_ms(&r->conn_timer, r->backoff_ms);
	r->backoff_ms =
	        r->backoff_ms * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void relay_connected(evutil_socket_t fd, short what, void *arg)
{
	struct cl_relay *r = arg;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(CL_TCP_PORT)};
	int err = 0;
	socklen_t el = sizeof(err);

	peer.sin_addr = cl_link_addr(r->cl->id.cluster_id, r->clink, r->cl->id.node_id ^ 1u);
	event_free(r->cev);
	r->cev = NULL;
	if ((what & EV_TIMEOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		r->st.connect_failures++;
		log_debugf(CL_DEBUG_IO, "sync: connect to %s:%u: %s", inet_ntoa(peer.sin_addr),
		           CL_TCP_PORT, (what & EV_TIMEOUT) ? "timed out" : strerror(err));
		close(fd);
		r->cfd = -1;
		r->clink_failed = true;
		relay_connect_later(r);
		return;
	}
	r->cfd = -1; /* the channel owns it now */
	if (!relay_conn_new(r, fd, false, &peer))
		relay_connect_later(r);
}

static void relay_connect(void *arg)
{
	struct cl_relay *r = arg;
	struct clusterd *cl = r->cl;
	const struct rg_engine *e = cl->engine;
	bool ok[2];

	if (r->role != RELAY_ROLE_CLIENT || !r->tls || relay_busy_client(r))
		return;
	for (unsigned i = 0; i < 2; i++)
		ok[i] = cl->conf.ctl_cfg[i] && rg_engine_ctl_link_up(e, i);
	/* Control link 0 first; link 1 when 0 is down or the last attempt over it failed. */
	unsigned link = 0;
	if (!cl->conf.ctl_cfg[0] || (!ok[0] && cl->conf.ctl_cfg[1]))
		link = 1;
	if (r->clink_failed && cl->conf.ctl_cfg[r->clink ^ 1u] &&
	    (ok[r->clink ^ 1u] || !ok[r->clink]))
		link = r->clink ^ 1u;
	else if (r->clink_failed)
		link = r->clink;
	r->clink = link;
	r->clink_failed = false;

	struct in_addr local = cl_link_addr(cl->id.cluster_id, link, cl->id.node_id);
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(CL_TCP_PORT)};
	peer.sin_addr = cl_link_addr(cl->id.cluster_id, link, cl->id.node_id ^ 1u);
	int fd = relay_socket(local, 0);
	if (fd < 0 ||
	    (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) < 0 && errno != EINPROGRESS)) {
		r->st.connect_failures++;
		log_debugf(CL_DEBUG_IO, "sync: connect to %s:%u over control link %u: %s",
		           inet_ntoa(peer.sin_addr), CL_TCP_PORT, link, strerror(errno));
		if (fd >= 0)
			close(fd);
		r->clink_failed = true;
		relay_connect_later(r);
		return;
	}
	struct timeval tv = {RELAY_CONNECT_MS / 1000, (RELAY_CONNECT_MS % 1000) * 1000};
	r->cfd = fd;
	r->cev = event_new(cl->d->base, fd, EV_WRITE, relay_connected, r);
	if (!r->cev || event_add(r->cev, &tv) < 0) {
		relay_connect_cancel(r);
		relay_connect_later(r);
	}
}

/* ------------------------------------------------------------ roles */

static void relay_close_all(struct cl_relay *r)
{
	bool had = relay_active(r) != NULL;

	for (unsigned i = 0; i < RELAY_MAX_CONN; i++)
		relay_conn_close(&r->conn[i]);
	if (had)
		relay_lost_active(r);
	relay_connect_cancel(r);
}

/* Rebuilds the TLS contexts when the key or the cluster id changed. */
static void relay_tls_check(struct cl_relay *r)
{
	const struct cl_conf *c = &r->cl->conf;
	uint8_t psk[SYNC_PSK_LEN];

	if (r->tls_valid && r->tls_cluster == r->cl->id.cluster_id && r->tls_keylen == c->keylen &&
	    memcmp(r->tls_key, c->key, c->keylen) == 0)
		return;
	relay_close_all(r);
	sync_tls_free(r->tls);
	r->tls = NULL;
	r->tls_valid = true;
	r->tls_cluster = r->cl->id.cluster_id;
	r->tls_keylen = c->keylen;
	memcpy(r->tls_key, c->key, c->keylen);
	if (!c->keylen)
		log_warnx("sync: no authentication-key: the channel to the peer is encrypted but "
		          "not authenticated");
	if (sync_psk_derive(c->key, c->keylen, r->cl->id.cluster_id, psk) == 0)
		r->tls = sync_tls_new(psk, r->cl->id.cluster_id);
	OPENSSL_cleanse(psk, sizeof(psk));
}

void cl_relay_update(struct clusterd *cl)
{
	struct cl_relay *r = cl->relay;
	const struct rg_engine *e = cl->engine;
	enum relay_role want = RELAY_ROLE_NONE;

	if (!r || r->stopping)
		return;
	if (cl->enabled && (cl->conf.ctl_cfg[0] || cl->conf.ctl_cfg[1]) && !e->node_disabled) {
		const struct hb_rg *prg0 = rg_engine_peer_group(e, 0);
		if (rg_engine_state(e, 0) == RG_STATE_PRIMARY)
			want = RELAY_ROLE_SERVER;
		else if (prg0 && prg0->state == RG_STATE_PRIMARY && e->peer.state == RG_PEER_ALIVE)
			want = RELAY_ROLE_CLIENT;
	}
	if (want != RELAY_ROLE_NONE)
		relay_tls_check(r);
	if (want != r->role) {
		relay_close_all(r);
		relay_listen_close(r);
		r->role = want;
		r->backoff_ms = RELAY_BACKOFF_MIN_MS;
		if (want == RELAY_ROLE_NONE)
			timer_del(&r->tick);
		else
			timer_add_ms(&r->tick, RELAY_TICK_MS);
	}
	if (r->role == RELAY_ROLE_SERVER) {
		relay_listen(r);
		struct relay_conn *c = relay_active(r);
		if (c && e->peer.state != RG_PEER_ALIVE) {
			log_info("sync: peer lost, channel %s closed", c->peer);
			relay_conn_close(c);
			relay_lost_active(r);
		}
	} else if (r->role == RELAY_ROLE_CLIENT) {
		if (!relay_busy_client(r))
			relay_connect(r);
		relay_request_all(r);
	}
}

static void relay_tick(void *arg)
{
	struct cl_relay *r = arg;

	if (r->role == RELAY_ROLE_NONE)
		return;
	for (unsigned i = 0; i < RELAY_MAX_CONN; i++) {
		struct relay_conn *c = &r->conn[i];
		if (c->used && !c->hello_ok && mono_ms() - c->since > 2 * SYNC_HANDSHAKE_MS) {
			log_warnx("sync: %s sent no hello: dropped", c->peer);
			r->st.protocol_errors++;
			bool client = !c->server;
			relay_conn_close(c);
			if (client)
				relay_connect_later(r);
		}
	}
	if (r->role == RELAY_ROLE_CLIENT)
		relay_request_all(r);
	timer_add_ms(&r->tick, RELAY_TICK_MS);
}

/* ------------------------------------------------------------ participants */

static void relay_part_state(bool up, void *arg)
{
	struct relay_part *p = arg;

	if (p->r->stopping)
		return;
	log_debugf(CL_DEBUG_CTL, "sync: participant %s %s", p->name, up ? "reachable" : "gone");
}

void cl_relay_participant(struct clusterd *cl, const char *name)
{
	struct cl_relay *r = cl->relay;
	struct relay_part *p;

	if (!r || relay_part_find(r, name) || r->n_parts == CL_MAX_PARTICIPANTS)
		return;
	p = &r->parts[r->n_parts];
	memset(p, 0, sizeof(*p));
	p->r = r;
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* The participant's daemon has the participant's name (clusterd.proto). */
	p->ac = ctl_aclient_open(cl->d->base, name, relay_part_state, p);
	if (!p->ac) {
		log_warnx("sync: no ctl client for participant %s", name);
		return;
	}
	r->n_parts++;
}

int cl_relay_notify(struct clusterd *cl, const char *name, char *err, size_t errlen)
{
	struct cl_relay *r = cl->relay;
	struct cl_participant *cp = cl_cs_find(&cl->cs, name);
	struct relay_part *p = r ? relay_part_find(r, name) : NULL;

	if (!cp || !cp->bulk || !p) {
		snprintf(err, errlen, "%s is not a registered bulk participant", name);
		return -1;
	}
	if (r->role != RELAY_ROLE_SERVER) {
		snprintf(err, errlen, "node%u is not the RG0 primary: nothing is pushed from here",
		         cl->id.node_id);
		return -1;
	}
	if (relay_active(r))
		relay_pull(p, SYNC_KIND_UPDATE);
	else
		p->dirty = true;
	return 0;
}

bool cl_relay_up(const struct clusterd *cl)
{
	return cl->relay && relay_active(cl->relay) != NULL;
}

void cl_relay_get_info(const struct clusterd *cl, struct cl_relay_info *out)
{
	struct cl_relay *r = cl->relay;
	struct relay_conn *c;

	memset(out, 0, sizeof(*out));
	out->state = "down";
	out->role = "";
	if (!r)
		return;
	*out = r->st;
	out->keyed = cl->conf.keylen > 0;
	out->role = r->role == RELAY_ROLE_SERVER   ? "server"
	            : r->role == RELAY_ROLE_CLIENT ? "client"
	                                           : "";
	c = relay_active(r);
	out->state = c                              ? "up"
	             : r->role == RELAY_ROLE_SERVER ? "listening"
	             : r->role == RELAY_ROLE_CLIENT ? "connecting"
	                                            : "down";
	out->cipher[0] = out->local[0] = out->peer[0] = '\0';
	if (c) {
		snprintf(out->cipher, sizeof(out->cipher), "%s", sync_chan_cipher(c->ch));
		snprintf(out->peer, sizeof(out->peer), "%s", c->peer);
	}
}

/* ------------------------------------------------------------ start / stop */

int cl_relay_start(struct clusterd *cl)
{
	struct cl_relay *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->cl = cl;
	r->lfd[0] = r->lfd[1] = r->cfd = -1;
	r->backoff_ms = RELAY_BACKOFF_MIN_MS;
	timer_init(&r->conn_timer, cl->d->base, relay_connect, r);
	timer_init(&r->tick, cl->d->base, relay_tick, r);
	timer_init(&r->drain, cl->d->base, relay_drain_fire, r);
	cl->relay = r;
	/* Participants from the state file: bulk ones re-register when they reconnect. */
	return 0;
}

void cl_relay_stop(struct clusterd *cl)
{
	struct cl_relay *r = cl->relay;

	if (!r)
		return;
	r->stopping = true;
	relay_close_all(r);
	relay_listen_close(r);
	timer_del(&r->tick);
	timer_del(&r->drain);
	timer_del(&r->conn_timer);
	for (size_t i = 0; i < r->n_parts; i++) {
		ctl_aclient_close(r->parts[i].ac);
		free(r->parts[i].pull);
		relay_rx_reset(&r->parts[i]);
	}
	sync_tls_free(r->tls);
	OPENSSL_cleanse(r->tls_key, sizeof(r->tls_key));
	free(r);
	cl->relay = NULL;
}
