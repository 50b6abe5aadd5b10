/*
 * dot1xd's daemon types around the pure codecs (dot1xd.h) and machines (pae.h): the
 * configuration, ports, supplicant sessions and the links to the RADIUS client and vland.
 */
#ifndef KEEL_DOT1XD_DAEMON_H
#define KEEL_DOT1XD_DAEMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemons/dot1xd/dot1xd.h"
#include "daemons/dot1xd/pae.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "platform/platform.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
	for ((var) = TAILQ_FIRST(head); (var) && ((tvar) = TAILQ_NEXT(var, field), 1);             \
	     (var) = (tvar))
#endif

#define D1X_VLAN_MAX (RADIUS_ATTR_MAX + 1) /* a VLAN name or id as RADIUS may send it */
#define D1X_USER_MAX (RADIUS_ATTR_MAX + 1)

/* Debug flags (-D): bit order of dot1xd_debug_flags in main.c. */
#define D1X_DEBUG_FSM    0x1
#define D1X_DEBUG_PACKET 0x2
#define D1X_DEBUG_RADIUS 0x4

enum d1x_mode {
	D1X_MODE_SINGLE,
	D1X_MODE_SINGLE_SECURE,
	D1X_MODE_MULTIPLE,
};

enum d1x_fail {
	D1X_FAIL_DENY,
	D1X_FAIL_PERMIT,
	D1X_FAIL_USE_CACHE,
	D1X_FAIL_VLAN,
};

/* How a session got (or was refused) access: Junos "Authentication method". */
enum d1x_method {
	D1X_METHOD_NONE,
	D1X_METHOD_RADIUS,
	D1X_METHOD_MAC_RADIUS,
	D1X_METHOD_GUEST,
	D1X_METHOD_SERVER_FAIL,
	D1X_METHOD_SERVER_REJECT,
	D1X_METHOD_STATIC,
	D1X_METHOD_LLDP_MED,
	D1X_METHOD_COUNT,
};

/* `protocols dot1x authenticator interface NAME` */
struct d1x_if_conf {
	char name[IFNAMSIZ];
	enum d1x_mode mode;
	struct pae_timers t;
	bool mac_radius, mac_restrict, mac_pap, flap_on_disconnect;
	bool mac_first; /* authentication-order mac-radius first */
	bool lldp_med_bypass;
	char guest_vlan[D1X_VLAN_MAX];
	char reject_vlan[D1X_VLAN_MAX];
	bool eapol_block;
	uint32_t block_interval;
	enum d1x_fail fail;
	char fail_vlan[D1X_VLAN_MAX];
};

struct d1x_static {
	uint8_t mac[6];
	char vlan[D1X_VLAN_MAX];
	char ifname[IFNAMSIZ]; /* "" = any port */
};

struct radclient_cfg;
struct das_cfg;

struct d1x_conf {
	struct d1x_if_conf *ifs;
	size_t n_ifs;
	struct d1x_static *statics;
	size_t n_statics;
	bool radius_none;          /* profile authentication-order none */
	struct radclient_cfg *rad; /* heap: the server lists of the profile */
	struct das_cfg *das;       /* heap: RFC 5176 port and clients ("" list = rad's servers) */
	char nas_id[RADIUS_ATTR_MAX + 1];
};

struct d1x_port;
struct dot1xd;

/* One supplicant (MAC) on a port, or the port's own instance before a MAC is known. */
struct d1x_sess {
	TAILQ_ENTRY(d1x_sess) entry;
	struct d1x_sess *hnext; /* the port's MAC hash chain (multiple mode lookups) */
	struct d1x_port *port;
	bool has_mac;
	uint8_t mac[6];
	bool port_sess; /* the port's own instance (single modes; group Request/Identity) */
	struct pae pae;
	/*
	 * Names and RADIUS State are allocated on demand, sized to what came: fixed
	 * 254-byte fields cost ~1.5 KB per session, mostly unused (10k held
	 * sessions). The strings are never NULL (d1x_str_set(): "" until set); State
	 * is on the heap only while a Challenge is pending.
	 */
	char *user;

	/* RADIUS exchange of the PAE (EAP pass-through) */
	struct radclient_req *req;
	struct radius_bytes *state; /* State of the last Access-Challenge, NULL = none */
	/* MAC RADIUS exchange */
	struct radclient_req *mab_req;
	struct radius_bytes *mab_state;
	bool mab_tried;
	uint64_t mab_at_ms; /* last MAC RADIUS attempt: retried after quiet-period */

	/* what the session has now */
	enum d1x_method method;
	bool overlay; /* authorized by policy (guest, server-fail, reject, MAB...) */
	char *overlay_vlan;
	char *auth_vlan; /* from the RADIUS Accept (RFC 3580 §3.31) */
	bool cached;     /* authenticated once: server-fail use-cache */
	char *cached_vlan;
	struct radius_bytes *class_; /* heap, nclass (<= RADIUS_CLASS_MAX) Class attributes */
	size_t nclass;
	uint32_t session_timeout;  /* hard limit (no Termination-Action), 0 = none */
	uint64_t authorized_at_ms; /* mono */
	uint64_t hold_until_ms;    /* server-fail: PAE paused until then */
	uint64_t lldp_until_ms;    /* lldp-med-bypass: admitted until the LLDP TTL runs out */
	uint64_t block_until_ms;   /* eapol-block after a reject */
	bool was_authorized;
	bool acct_started;
	uint32_t interim;       /* Acct-Interim-Interval from the Accept, seconds; 0 = none */
	uint64_t interim_at_ms; /* last Start/Interim sent */
	char acct_id[24];
	uint64_t last_seen_ms;
	bool gone; /* multiple mode: ended (logoff, Disconnect), freed by whoever fed it */
	uint64_t sensor_sig;      /* what the state sensor last published (on change only) */
	const char *logged_state; /* what the debug log last said */
	enum d1x_method logged_method;
};

TAILQ_HEAD(d1x_sess_list, d1x_sess);

struct d1x_port {
	TAILQ_ENTRY(d1x_port) entry;
	struct dot1xd *dx;
	struct d1x_if_conf c;
	int ifindex;
	uint8_t mac[6];
	bool up;
	int fd;      /* AF_PACKET ETH_P_PAE */
	int fd_mab;  /* AF_PACKET ETH_P_ALL while mac-radius is on (MAC learning), else -1 */
	int fd_lldp; /* AF_PACKET ETH_P_LLDP while lldp-med-bypass is on, else -1 */
	struct event *ev, *ev_mab, *ev_lldp;
	struct d1x_sess_list sessions;
	struct d1x_sess *psess; /* the port's own instance */
	uint32_t nsess;
	/* sessions by MAC: chained hash, doubled past one entry per bucket */
	struct d1x_sess **htab;
	uint32_t hsize; /* power of two, 0 = no table yet */
	uint32_t hseed;
	/* PACKET_RX_RING (TPACKET_V2) of fd, NULL = plain recv() */
	uint8_t *ring;
	size_t ring_len;
	uint32_t ring_frames, ring_next;
	/* counters of frames that never reached a session */
	uint64_t rx_invalid, rx_ignored, rx_len_error, tx_errors;
	uint64_t rx_kernel_drops; /* PACKET_STATISTICS tp_drops of fd, summed (reads reset it) */
	uint64_t rx_sess_limit;   /* new MACs refused: D1X_MAX_SESS_PER_PORT reached */
	struct pae_counters gone; /* counters of sessions already freed */
	/* Single modes: the port's kernel counters when its host's accounting started; the
	 * difference is that session's traffic (multiple mode has no per-MAC counters). */
	bool acct_base_valid;
	struct plat_link_stats acct_base;
	/* mac-radius flap-on-disconnect: the link is down until this timer brings it up */
	struct timer flap;
	uint64_t flaps;
};

TAILQ_HEAD(d1x_port_list, d1x_port);

struct d1x_totals {
	uint64_t auth_ok, auth_fail, logoffs, guest, server_fail, mab_ok, mab_fail, coa,
	        disconnects;
};

struct dot1xd {
	struct daemon *d;
	struct event_base *base;
	struct d1x_conf conf;
	struct d1x_port_list ports;
	struct timer tick;
	struct radclient *rc;
	struct das *das;
	struct d1x_enforce *enf;
	struct sensor_bus *bus;
	struct timer sample;
	struct d1x_totals tot;
	uint32_t acct_seq;
	struct plat *plat; /* port counters for accounting (NULL: none) */
};

/* config.c */
extern const struct cfg_ops dot1xd_cfg_ops;
/* Pure: RFC 7951 JSON -> conf; -1 with err. */
int d1x_conf_parse(struct json_object *cfg, struct d1x_conf *out, char *err, size_t errlen);
void d1x_conf_free(struct d1x_conf *c);
const char *d1x_mode_name(enum d1x_mode m);
const char *d1x_method_name(enum d1x_method m);

/* port.c: sockets and sessions */
struct d1x_port *d1x_port_find(struct dot1xd *dx, const char *name);
struct d1x_port *d1x_port_add(struct dot1xd *dx, const struct d1x_if_conf *c);
void d1x_port_update(struct d1x_port *pt, const struct d1x_if_conf *c);
void d1x_port_del(struct d1x_port *pt);
void d1x_port_clear(struct d1x_port *pt);
void d1x_port_flap(struct d1x_port *pt);
void d1x_port_tick(struct d1x_port *pt, uint64_t now_ms);
int d1x_port_send_eap(struct d1x_port *pt, const uint8_t dst[6], const uint8_t *eap, size_t len);
struct d1x_sess *d1x_sess_find(struct d1x_port *pt, const uint8_t mac[6]);
/* The MAC index of multiple-mode sessions (session.c keeps it on new/bind/free). */
void d1x_port_hash_add(struct d1x_port *pt, struct d1x_sess *s);
void d1x_port_hash_del(struct d1x_port *pt, struct d1x_sess *s);
/* Kernel drops on the port's EAPOL socket so far (reads PACKET_STATISTICS). */
uint64_t d1x_port_kernel_drops(struct d1x_port *pt);
/* Bytes one session costs (the struct; RADIUS requests in flight are radclient's). */
size_t d1x_sess_size(void);
/*
 * Sets *dst to a heap copy of src[0..len) (cut at a NUL and at len), or to the
 * shared "" for len 0, freeing what *dst held; -1 on out of memory (*dst is
 * then ""). A session's strings start as "" (d1x_sess_new).
 */
int d1x_str_set(char **dst, const char *src, size_t len);
/* Frees what d1x_str_set allocated; *dst becomes "". */
void d1x_str_free(char **dst);

/* session.c: policy, RADIUS, enforcement and accounting of one session */
extern const struct pae_ops d1x_pae_ops;
struct d1x_sess *d1x_sess_new(struct d1x_port *pt, const uint8_t *mac, bool port_sess);
void d1x_sess_free(struct d1x_sess *s, uint32_t term_cause);
/* After any pae_* call: act on s->pae.events (policy, enforcement, accounting, sensors). */
void d1x_sess_after(struct d1x_sess *s);
void d1x_sess_tick(struct d1x_sess *s, uint64_t now_ms);
void d1x_sess_mab_start(struct d1x_sess *s);
/* lldp-med-bypass: an LLDP-MED endpoint spoke (ttl 0: it left). */
void d1x_sess_lldp_med(struct d1x_sess *s, uint16_t ttl);
/* A MAC learned for a session that had none (single modes): static bypass applies. */
void d1x_sess_bind(struct d1x_sess *s, const uint8_t mac[6]);
bool d1x_sess_authorized(const struct d1x_sess *s);
bool d1x_sess_logoff_removes(const struct d1x_sess *s);
const char *d1x_sess_vlan(const struct d1x_sess *s);
const char *d1x_sess_state(const struct d1x_sess *s);
/* CoA / Disconnect (das.c calls through dot1xd_das_cb) */
uint32_t d1x_das_cb(const struct radius_das_req *req, size_t client, void *arg);
void d1x_radius_configure(struct dot1xd *dx);
void d1x_sess_enforce(struct d1x_sess *s);

/* enforce.c: desired port/MAC authorization state, kept in vland (port.auth) */
struct d1x_enforce *d1x_enforce_new(struct event_base *base);
void d1x_enforce_free(struct d1x_enforce *e);
/* mac NULL = the whole port. state: 0 uncontrolled (forget), 1 unauthorized, 2 authorized. */
void d1x_enforce_set(struct d1x_enforce *e, const char *ifname, const uint8_t *mac, uint32_t state,
                     const char *vlan);
void d1x_enforce_retry(struct d1x_enforce *e);
bool d1x_enforce_up(const struct d1x_enforce *e);
uint64_t d1x_enforce_errors(const struct d1x_enforce *e);

/* ctl.c */
extern const struct ctl_method dot1xd_ctl_methods[];
extern const size_t dot1xd_ctl_n_methods;

/* sensors.c */
void d1x_sensors_start(struct dot1xd *dx);
void d1x_sensors_stop(struct dot1xd *dx);
void d1x_sensors_sess(struct dot1xd *dx, const struct d1x_sess *s, bool gone);
void d1x_sensors_counters(struct dot1xd *dx);

/* main.c */
extern struct dot1xd *dot1xd_g;

#endif
