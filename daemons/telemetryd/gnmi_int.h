/*
 * gNMI server internals shared by gnmi_server.c (gRPC plumbing: listener,
 * completion-queue thread, call lifecycle) and gnmi_rpc.c (what each RPC
 * does). Everything here but the event hand-off (mu, evq) is touched by the
 * libevent loop thread only.
 */
#ifndef KEEL_TELEMETRYD_GNMI_INT_H
#define KEEL_TELEMETRYD_GNMI_INT_H

#include <pthread.h>

#include <grpc/grpc.h>

#include "daemons/telemetryd/gnmi.h"

enum gnmi_method {
	GNMI_M_CAPABILITIES = 0,
	GNMI_M_GET,
	GNMI_M_SET,
	GNMI_M_SUBSCRIBE,
	GNMI_M_N,
};

enum gnmi_tag_kind {
	GNMI_TAG_NEW = 0, /* a requested call arrived */
	GNMI_TAG_RECV,
	GNMI_TAG_SEND,
	GNMI_TAG_CLOSE, /* RECV_CLOSE_ON_SERVER: the peer half-closed, cancelled or left */
	GNMI_TAG_STATUS,
	GNMI_TAG_SHUTDOWN,
};

struct gnmi_call;

struct gnmi_tag {
	struct gnmi_call *call;
	enum gnmi_tag_kind kind;
};

/* A packed SubscribeResponse waiting ahead of the coalescing queue (dumps, syncs, deletes). */
struct gnmi_msg {
	struct gnmi_msg *next;
	size_t len;
	uint8_t *buf;
};

struct gnmi_srv;

struct gnmi_call {
	struct gnmi_srv *srv;
	struct gnmi_call *next, *prev;
	enum gnmi_method m;
	uint32_t id;
	char *peer; /* grpc_call_get_peer(), gpr_free */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	struct gnmi_tag t_new, t_recv, t_send, t_close, t_status;
	unsigned pending; /* batches started, not yet completed */
	grpc_byte_buffer *recv_bb;
	grpc_byte_buffer *send_bb;
	grpc_slice status_details;
	bool status_details_set;
	int cancelled; /* written by RECV_CLOSE_ON_SERVER */
	bool accepted; /* counted in srv->active */
	bool close_started, closed;
	bool md_sent;
	bool sending;
	bool status_started;
	bool dead;   /* cancelled or failed: no new batches */
	bool finish; /* send status once the output is drained */
	int finish_code;
	char finish_msg[256];
	uint64_t send_started_ms;
	/* Subscribe */
	bool subscribed;
	struct gnmi_sublist sl;
	struct gnmi_queue q;
	struct gnmi_msg *out_head, *out_tail;
	size_t out_bytes;
	uint64_t sent_updates, duplicates;
	/* Get waiting for the proxy's one-shot polls (gnmi_get_poll_fn), else NULL */
	Gnmi__GetRequest *get_rq;
	uint64_t get_deadline_ms;
	char get_wait[GNMI_GET_WAIT_MAX][GNMI_COMP_MAX];
	size_t n_get_wait;
};

struct gnmi_ev {
	struct gnmi_tag *tag;
	bool ok;
};

struct gnmi_srv {
	struct gnmi *g;
	grpc_server *server;
	grpc_completion_queue *cq;
	void *method[GNMI_M_N];
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct gnmi_ev *evq;
	size_t evn, evcap;
	int wake[2]; /* pipe: the CQ thread writes a byte when evq goes non-empty */
	struct event *wake_ev;
	struct gnmi_call *calls;
	unsigned active;
	bool stopping;
	bool shutdown_done;
	struct gnmi_tag t_shutdown;
	uint16_t port;
};

struct gnmi_model {
	char *name, *organization, *version;
};

struct gnmi {
	struct event_base *base;
	struct tm_schema *sc;
	struct gnmi_cache cache;
	struct gnmi_cfg cfg;
	struct gnmi_srv *srv;
	struct event *tick;
	bool grpc_inited;
	struct gnmi_model *models;
	size_t n_models;
	bool models_loaded;
	uint64_t stall_ms;
	uint32_t next_call_id;
	struct gnmi_stats st;
	gnmi_get_poll_fn get_poll; /* the proxy's, NULL without one */
	void *get_poll_arg;
};

/* gnmi_server.c */
int gnmi_call_send(struct gnmi_call *c, const uint8_t *buf, size_t len);
/* Ends the call with status code/msg once queued output is written (code != OK: at once). */
void gnmi_call_finish(struct gnmi_call *c, int code, const char *msg);
/* Sends the next queued message if no write is in flight. */
void gnmi_call_pump(struct gnmi_call *c);
int gnmi_call_recv(struct gnmi_call *c);
void gnmi_call_cancel(struct gnmi_call *c, int code, const char *msg);

/* gnmi_rpc.c */
void gnmi_rpc_request(struct gnmi_call *c, const uint8_t *buf, size_t len);
/* Subscribe: queued output to send next; false when nothing is queued. */
bool gnmi_rpc_next(struct gnmi_call *c, uint8_t **buf, size_t *len);
void gnmi_rpc_call_free(struct gnmi_call *c);
void gnmi_rpc_bus(struct gnmi *g, const Keel__Sensor__SensorData *d);
void gnmi_rpc_tick(struct gnmi *g, uint64_t now_ms);
int gnmi_models_load(struct gnmi *g);

#endif
