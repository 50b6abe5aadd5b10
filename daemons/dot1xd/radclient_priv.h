/*
 * radclient internals shared by radclient.c (requests, Identifier pools, receiving) and
 * radclient_server.c (servers and their up/dead machine, Status-Server, configuration,
 * counters). Not for the daemon: it uses radclient.h.
 *
 * Objects:
 *   struct rc_server   one configured server: address, resolved timers, up/dead state machine
 *                      (lib/fsm table in radclient_server.c), revert and Status-Server probe
 *                      timers, the max_outstanding window and its queue, counters
 *   struct rc_pool     the sockets of one (address family, source address): nsockets UDP
 *                      sockets, 256 Identifier slots each, and the FIFO of requests waiting
 *                      for a slot
 *   struct radclient_req  one transaction: an owned copy of what to ask, the encoded datagram
 *                      for the current server (retransmitted byte for byte), its slot and
 *                      its retransmission timer
 *
 * A request lives on one server at a time. Its slot (socket, Identifier) is held from the
 * first transmission until it completes or is cancelled, across failovers within the same
 * pool; moving to a server of another pool trades the slot for one there.
 */
#ifndef KEEL_DOT1XD_RADCLIENT_PRIV_H
#define KEEL_DOT1XD_RADCLIENT_PRIV_H

#include <sys/queue.h>
#include <sys/socket.h>

#include "daemons/dot1xd/radclient.h"
#include "lib/ev.h"
#include "lib/fsm.h"

#define RC_MAX_POOLS  (2 * RADCLIENT_MAX_SERVERS)
#define RC_RX_BATCH   256       /* datagrams read per readiness event */
#define RC_RCVBUF     (1 << 20) /* a burst of 1000s of replies must not overflow */
#define RC_REQ_ACCESS 0
#define RC_REQ_ACCT   1
#define RC_REQ_PROBE  2

struct rc_pool;

struct rc_server {
	struct radclient *rc;
	struct radclient_server_cfg cfg; /* defaults resolved */
	struct sockaddr_storage sa;
	socklen_t salen;
	bool acct;
	int index; /* in its list */
	struct rc_pool *pool;
	struct fsm_inst fsm; /* enum radclient_server_state */
	uint64_t dead_since_ms;
	uint64_t last_answer_us; /* mono_us of the last valid reply; 0 = never */
	struct timer revert_timer;
	struct timer probe_timer;
	struct radclient_req *probe;      /* Status-Server in flight */
	uint32_t outstanding;             /* transmitted, not answered or given up */
	TAILQ_HEAD(, radclient_req) wait; /* over the max_outstanding window */
	struct radclient_server_stats st;
};

struct rc_sock {
	int fd;
	struct event ev;
	struct rc_pool *pool;
	struct radclient_req *slot[256];
	uint16_t used;
	uint8_t next_id;
};

TAILQ_HEAD(rc_req_list, radclient_req);

struct rc_pool {
	struct radclient *rc;
	int family;
	char source[RADCLIENT_ADDR_STR_LEN];
	struct rc_sock *socks;
	size_t nsocks;
	size_t next_sock;
	struct rc_req_list queue;
	uint32_t nqueued;
};

struct radclient_req {
	struct radclient *rc;
	int kind; /* RC_REQ_* */
	radclient_cb cb;
	void *arg;
	/* What to ask: a copy whose pointers lead into blob. */
	struct radius_access_req access;
	struct radius_acct_req acct;
	uint8_t *blob;
	uint64_t submitted_us;
	uint32_t delay_base; /* the caller's Acct-Delay-Time */
	/* Where it is. */
	struct rc_server *srv;
	uint32_t tried; /* bit per server index of its list */
	struct rc_sock *sock;
	int id;           /* -1: no slot */
	bool queued;      /* in its pool's queue, waiting for a slot */
	bool srv_waiting; /* in its server's queue, waiting for the window */
	bool counted;     /* in srv->outstanding */
	bool done;
	uint8_t auth[RADIUS_AUTH_LEN]; /* of the datagram in pkt */
	uint8_t *pkt;
	size_t pkt_len;
	uint32_t tries_on_srv; /* transmissions to srv */
	uint32_t transmissions;
	uint64_t srv_start_us; /* first transmission to srv */
	enum radclient_result deferred;
	struct timer timer;
	TAILQ_ENTRY(radclient_req) qlink;  /* pool queue */
	TAILQ_ENTRY(radclient_req) allink; /* rc->all */
};

struct radclient {
	struct event_base *base;
	struct radclient_cfg cfg; /* defaults resolved */
	struct rc_server *auth[RADCLIENT_MAX_SERVERS];
	size_t n_auth;
	struct rc_server *acct[RADCLIENT_MAX_SERVERS];
	size_t n_acct;
	struct rc_pool *pools[RC_MAX_POOLS];
	size_t npools;
	struct rc_req_list all;
	struct radclient_stats st;
	uint64_t rng; /* xorshift state for retransmission jitter */
	uint8_t scratch[RADIUS_MAX_LEN];
	struct radius_reply reply; /* decoded for the callback (6 KB: not on the stack) */
};

enum rc_srv_event {
	RC_SRV_EVT_SILENT, /* a request gave up on it with no valid reply since it was sent */
	RC_SRV_EVT_ANSWER, /* a verified reply (request or Status-Server) */
	RC_SRV_EVT_REVERT, /* revert-interval elapsed */
	RC_SRV_EVT_MAX,
};

/* radclient_server.c */
void radclient_server_fsm(struct rc_server *s, enum rc_srv_event ev);
bool radclient_server_dead(const struct rc_server *s);

/* radclient.c */
struct rc_pool *radclient_pool_get(struct radclient *rc, int family, const char *source);
void radclient_pool_free(struct rc_pool *p);
struct radclient_req *radclient_req_new(struct radclient *rc, int kind, radclient_cb cb, void *arg);
/* q->srv is set: wait for its window, take a slot (or queue), encode and send. */
void radclient_req_start(struct radclient_req *q);
/* Go to the next usable server, or finish with `none` when there is none. */
void radclient_req_next_server(struct radclient_req *q, enum radclient_result none);
/* Out of whichever queue it waits in. */
void radclient_req_unqueue(struct radclient_req *q);
void radclient_req_free(struct radclient_req *q);
/* Requests waiting for the server's window, as far as it has room now. */
void radclient_server_pump(struct rc_server *s);

#endif
