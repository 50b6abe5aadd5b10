/*
 * The OpenFlow 1.3 connection to one bridge's management socket, and the
 * desired 802.1X authorization state it keeps installed (the flow design
 * is in openflow.h).
 *
 * The desired state (ports, their admitted / revoked MACs) is turned into a
 * sorted set of flows plus a NO_FWD bit per port. A change recomputes that
 * set and sends the difference to what was last sent, then a BARRIER; the
 * barrier reply is "applied". On every (re)connect the installed state is
 * unknown (ovs-vswitchd may have restarted, or a previous keel may have left
 * flows), so the whole set is written twice with the two values of the
 * cookie's generation bit, each pass followed by a DELETE of the other
 * generation: every stale keel flow dies, and a wanted flow is present
 * at every moment (an ADD with an identical match replaces the flow,
 * cookie included: OpenFlow 1.3.5 §6.4). Other controllers' flows are never
 * touched: every delete carries keel's cookie and mask (§6.4, cookie_mask).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "platform/ovs/openflow.h"

#define OF_BACKOFF_MIN_MS 50
#define OF_BACKOFF_MAX_MS 2000
#define OF_ECHO_MS        5000
#define OF_ECHO_MISS      3 /* unanswered echoes before giving up */
#define OF_RESYNC_MS      20
#define OF_MAC_AGING_S    300 /* OVS's default other_config:mac-aging-time */
#define OF_PRIO_DEFAULT   0
#define OF_PRIO_BLOCK     100
#define OF_PRIO_DENY      150
#define OF_PRIO_ADMIT     200
#define OF_MAX_MACS       4096 /* per port: bounds a runaway caller */

enum of_state {
	OF_STATE_DOWN = 0,
	OF_STATE_HELLO = 1, /* connected, waiting for the peer's HELLO */
	OF_STATE_UP = 2,
	OF_STATE_CLOSING = 3, /* HELLO_FAILED queued: close once it is written */
};

struct of_mac {
	uint8_t mac[6];
	bool admit;             /* false: revoked, denied egress while the port is EAPOL_ONLY */
	uint64_t deny_until_ms; /* a revoked MAC's deny flow outlives NORMAL's entry */
};

struct of_port {
	uint32_t ofport;
	enum ovs_of_port_auth st;
	struct of_mac *macs;
	size_t n_macs, cap_macs;
	bool known; /* seen in PORT_DESC / PORT_STATUS on this connection */
	uint8_t hw[6];
	uint32_t config; /* as the switch last reported it */
	int nofwd_sent;  /* -1 unknown, else the NO_FWD value last sent */
};

/* A switch port as PORT_DESC / PORT_STATUS describe it: PORT_MOD must
 * carry its hw_addr (OVS answers OFPPMFC_BAD_HW_ADDR otherwise). */
struct of_swport {
	uint32_t no;
	uint8_t hw[6];
	uint32_t config;
};

struct ovs_of {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct bufferevent *bev;
	enum of_state state;
	struct timer retry, echo, resync, aging;
	uint32_t mac_aging_ms;
	uint32_t backoff_ms;
	unsigned echo_out;
	uint32_t xid;
	uint64_t gen; /* cookie generation bit of the flows installed */
	struct of_port *ports;
	size_t n_ports, cap_ports;
	struct ovs_of_flow *installed; /* sorted; what the switch holds */
	size_t n_installed;
	struct ovs_of_flow *dels; /* our DELETE_STRICTs not yet past a barrier */
	size_t n_dels, cap_dels;
	struct of_swport *sw; /* every port the switch described */
	size_t n_sw, cap_sw;
	bool have_ports;           /* PORT_DESC reply seen on this connection */
	uint32_t barrier_xid;      /* last barrier sent; 0 = nothing pending */
	uint64_t change_us;        /* first change not yet confirmed */
	bool default_normal;       /* keep keel's own priority-0 NORMAL flow */
	struct ovs_of_flow *extra; /* ovs_of_flows_set() */
	size_t n_extra;
	ovs_of_applied_fn applied_fn;
	void *applied_arg;
	struct ovs_of_stats stats;
};

static void of_connect(void *arg);
static void of_aging_tick(void *arg);
static bool of_mac_moved(struct ovs_of *of, const struct of_port *p, const uint8_t mac[6]);
static void of_event(struct bufferevent *bev, short what, void *arg);

/* ------------------------------------------------------------ desired flows */

static int flow_cmp(const void *a, const void *b)
{
	const struct ovs_of_flow *x = a, *y = b;
	int r;

	/* highest priority first: a batch adds blocks before the catch-all
	 * NORMAL and never opens more than it closes on the way */
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->has_in_port != y->has_in_port)
		return x->has_in_port ? 1 : -1;
	if (x->in_port != y->in_port)
		return x->in_port < y->in_port ? -1 : 1;
	if ((r = memcmp(x->dl_src, y->dl_src, 6)))
		return r;
	if ((r = memcmp(x->dl_dst, y->dl_dst, 6)))
		return r;
	if (x->has_vlan_vid != y->has_vlan_vid)
		return x->has_vlan_vid ? 1 : -1;
	if (x->vlan_vid != y->vlan_vid)
		return x->vlan_vid < y->vlan_vid ? -1 : 1;
	if (x->has_dl_dst_mask != y->has_dl_dst_mask)
		return x->has_dl_dst_mask ? 1 : -1;
	return memcmp(x->dl_dst_mask, y->dl_dst_mask, 6);
}

/* Same match (flow_cmp == 0) but other instructions: an ADD replaces it
 * in place (OpenFlow 1.3.5 §6.4), a DELETE_STRICT would remove the new
 * one too. */
static bool flow_actions_differ(const struct ovs_of_flow *x, const struct ovs_of_flow *y)
{
	if (x->normal != y->normal || x->n_actions != y->n_actions)
		return true;
	for (size_t i = 0; i < x->n_actions && i < OVS_OF_MAX_ACTIONS; i++)
		if (x->actions[i].type != y->actions[i].type ||
		    x->actions[i].arg != y->actions[i].arg)
			return true;
	return false;
}

static struct ovs_of_flow flow_make(uint16_t prio, uint32_t in_port, const uint8_t *src,
                                    const uint8_t *dst, bool normal)
{
	struct ovs_of_flow f = {.cmd = OVS_OF_FC_ADD, .priority = prio, .normal = normal};

	if (in_port) {
		f.has_in_port = true;
		f.in_port = in_port;
	}
	if (src) {
		f.has_dl_src = true;
		memcpy(f.dl_src, src, 6);
	}
	if (dst) {
		f.has_dl_dst = true;
		memcpy(f.dl_dst, dst, 6);
	}
	return f;
}

/* The sorted, duplicate-free flow set the desired state asks for. */
static int of_desired(const struct ovs_of *of, struct ovs_of_flow **out, size_t *n_out)
{
	struct ovs_of_flow *v;
	size_t i, j, n = 0, cap = 0;

	for (i = 0; i < of->n_ports; i++)
		if (of->ports[i].st == OVS_OF_PORT_EAPOL_ONLY)
			cap += 1 + of->ports[i].n_macs;
	cap += of->n_extra;
	v = calloc(cap + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < of->n_extra; i++)
		v[n++] = of->extra[i];
	if (of->default_normal)
		v[n++] = flow_make(OF_PRIO_DEFAULT, 0, NULL, NULL, true);
	for (i = 0; i < of->n_ports; i++) {
		const struct of_port *p = &of->ports[i];

		if (p->st != OVS_OF_PORT_EAPOL_ONLY)
			continue;
		v[n++] = flow_make(OF_PRIO_BLOCK, p->ofport, NULL, NULL, false);
		for (j = 0; j < p->n_macs; j++)
			v[n++] = p->macs[j].admit
			                 ? flow_make(OF_PRIO_ADMIT, p->ofport, p->macs[j].mac, NULL,
			                             true)
			                 : flow_make(OF_PRIO_DENY, 0, NULL, p->macs[j].mac, false);
	}
	qsort(v, n, sizeof(*v), flow_cmp);
	/* a MAC revoked on two ports yields one dl_dst flow */
	for (i = j = 0; i < n; i++)
		if (!j || flow_cmp(&v[j - 1], &v[i]))
			v[j++] = v[i];
	*out = v;
	*n_out = j;
	return 0;
}

static bool port_wants_nofwd(const struct of_port *p)
{
	size_t i;

	if (p->st != OVS_OF_PORT_EAPOL_ONLY)
		return false;
	for (i = 0; i < p->n_macs; i++)
		if (p->macs[i].admit)
			return false;
	return true;
}

/* ------------------------------------------------------------ output */

static void of_down(struct ovs_of *of, const char *why);

static int of_send(struct ovs_of *of, const uint8_t *buf, int len)
{
	if (len < 0) {
		log_warnx("openflow %s: cannot encode a message (%d)", of->path, len);
		return len;
	}
	if (!of->bev || bufferevent_write(of->bev, buf, (size_t)len) < 0)
		return -EIO;
	return 0;
}

static void of_send_flow(struct ovs_of *of, const struct ovs_of_flow *f)
{
	uint8_t buf[256];

	of_send(of, buf, ovs_of_encode_flow_mod(buf, sizeof(buf), ++of->xid, f));
	of->stats.flow_mods++;
}

static void of_add_flows(struct ovs_of *of, const struct ovs_of_flow *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ovs_of_flow f = v[i];

		f.cookie = OVS_OF_COOKIE | of->gen;
		/* a FLOW_REMOVED tells us when someone else deletes it */
		f.flags = OVS_OF_FF_SEND_FLOW_REM;
		of_send_flow(of, &f);
	}
}

/* Deletes every keel flow of generation gen, in every table. */
static void of_delete_gen(struct ovs_of *of, uint64_t gen)
{
	struct ovs_of_flow f = {.cmd = OVS_OF_FC_DELETE,
	                        .table = 0xff,
	                        .cookie = OVS_OF_COOKIE | gen,
	                        .cookie_mask = OVS_OF_COOKIE_MASK | 1};

	of_send_flow(of, &f);
}

static void of_del_flow(struct ovs_of *of, const struct ovs_of_flow *v)
{
	struct ovs_of_flow f = *v;

	/* remembered until the next barrier reply, by which time its
	 * FLOW_REMOVED has arrived: it must not be taken for someone else's */
	if (of->n_dels == of->cap_dels) {
		size_t cap = of->cap_dels ? of->cap_dels * 2 : 16;
		struct ovs_of_flow *n = realloc(of->dels, cap * sizeof(*n));

		if (n) {
			of->dels = n;
			of->cap_dels = cap;
		}
	}
	if (of->n_dels < of->cap_dels)
		of->dels[of->n_dels++] = *v;

	f.cmd = OVS_OF_FC_DELETE_STRICT;
	f.cookie = OVS_OF_COOKIE | of->gen;
	f.cookie_mask = OVS_OF_COOKIE_MASK | 1;
	of_send_flow(of, &f);
}

static void of_port_mods(struct ovs_of *of)
{
	size_t i;

	for (i = 0; i < of->n_ports; i++) {
		struct of_port *p = &of->ports[i];
		int want = port_wants_nofwd(p);
		uint8_t buf[64];

		if (!p->known || p->nofwd_sent == want)
			continue;
		/* the mask limits the change to NO_FWD (§7.3.4.3) */
		of_send(of, buf,
		        ovs_of_encode_port_mod(buf, sizeof(buf), ++of->xid, p->ofport, p->hw,
		                               want ? OVS_OF_PC_NO_FWD : 0, OVS_OF_PC_NO_FWD));
		p->nofwd_sent = want;
		of->stats.port_mods++;
	}
}

static void of_barrier(struct ovs_of *of)
{
	uint8_t buf[16];

	if (!of->barrier_xid)
		of->change_us = mono_us();
	of->barrier_xid = ++of->xid;
	of_send(of, buf, ovs_of_encode_barrier(buf, sizeof(buf), of->barrier_xid));
}

/* Sends the difference between the desired and the installed flow sets. */
static int of_sync(struct ovs_of *of)
{
	struct ovs_of_flow *want;
	size_t n_want, i = 0, j = 0;
	int r;

	if (of->state != OF_STATE_UP)
		return 0;
	if ((r = of_desired(of, &want, &n_want)) < 0)
		return r;
	/* adds before deletes: an admission is never briefly missing when a
	 * change swaps one flow for another */
	while (i < n_want || j < of->n_installed) {
		int c = i == n_want            ? 1
		        : j == of->n_installed ? -1
		                               : flow_cmp(&want[i], &of->installed[j]);

		if (c < 0 || (c == 0 && flow_actions_differ(&want[i], &of->installed[j])))
			of_add_flows(of, &want[i], 1);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	for (i = j = 0; j < of->n_installed; j++) {
		while (i < n_want && flow_cmp(&want[i], &of->installed[j]) < 0)
			i++;
		if (i == n_want || flow_cmp(&want[i], &of->installed[j]))
			of_del_flow(of, &of->installed[j]);
	}
	free(of->installed);
	of->installed = want;
	of->n_installed = n_want;
	of_port_mods(of);
	of_barrier(of);
	return 0;
}

/* Everything from scratch, keeping wanted flows present throughout. */
static int of_resync(struct ovs_of *of)
{
	struct ovs_of_flow *want;
	size_t n_want;
	int r, pass;

	if ((r = of_desired(of, &want, &n_want)) < 0)
		return r;
	for (pass = 0; pass < 2; pass++) {
		of->gen ^= 1;
		of_add_flows(of, want, n_want);
		of_delete_gen(of, of->gen ^ 1);
	}
	free(of->installed);
	of->installed = want;
	of->n_installed = n_want;
	of_port_mods(of);
	of_barrier(of);
	return 0;
}

/* ------------------------------------------------------------ input */

static struct of_port *of_port_find(struct ovs_of *of, uint32_t ofport)
{
	size_t i;

	for (i = 0; i < of->n_ports; i++)
		if (of->ports[i].ofport == ofport)
			return &of->ports[i];
	return NULL;
}

static struct of_swport *of_sw_find(struct ovs_of *of, uint32_t no)
{
	for (size_t i = 0; i < of->n_sw; i++)
		if (of->sw[i].no == no)
			return &of->sw[i];
	return NULL;
}

/* A managed port takes what the switch last said about it: someone else
 * changing NO_FWD (or a re-added port) gets it set right again. */
static void of_port_from_sw(struct of_port *p, const struct of_swport *w)
{
	p->known = w != NULL;
	p->nofwd_sent = w ? !!(w->config & OVS_OF_PC_NO_FWD) : -1;
	if (w)
		memcpy(p->hw, w->hw, 6);
}

static int of_port_seen(struct ovs_of *of, const struct ovs_of_port_desc *d, bool gone)
{
	struct of_swport *w = of_sw_find(of, d->port_no);
	struct of_port *p = of_port_find(of, d->port_no);

	if (gone && w) {
		*w = of->sw[--of->n_sw];
		w = NULL;
	} else if (!gone) {
		if (!w) {
			if (of->n_sw == of->cap_sw) {
				size_t cap = of->cap_sw ? of->cap_sw * 2 : 16;
				struct of_swport *n = realloc(of->sw, cap * sizeof(*n));

				if (!n)
					return -ENOMEM;
				of->sw = n;
				of->cap_sw = cap;
			}
			w = &of->sw[of->n_sw++];
			w->no = d->port_no;
		}
		memcpy(w->hw, d->hw_addr, 6);
		w->config = d->config;
	}
	if (p)
		of_port_from_sw(p, w);
	return 0;
}

static void of_up(struct ovs_of *of)
{
	uint8_t buf[64];

	of->state = OF_STATE_UP;
	of->stats.connects++;
	of->backoff_ms = OF_BACKOFF_MIN_MS;
	log_info("openflow %s: connected (OpenFlow 1.3)", of->path);
	of_send(of, buf, ovs_of_encode_set_config(buf, sizeof(buf), ++of->xid, 0, 128));
	of_send(of, buf, ovs_of_encode_port_desc_request(buf, sizeof(buf), ++of->xid));
	if (of_resync(of) < 0)
		of_down(of, "out of memory");
}

static void of_applied(struct ovs_of *of, uint32_t xid)
{
	if (xid != of->barrier_xid)
		return;
	of->barrier_xid = 0;
	of->n_dels = 0;
	of->stats.last_apply_us = mono_us() - of->change_us;
	if (of->have_ports && of->applied_fn)
		of->applied_fn(of->applied_arg);
}

/* A FLOW_REMOVED for a flow of the current generation that we still
 * consider installed: our own deletes drop the flow from `installed` first
 * or carry the other generation, and ADD replacements send none. */
static bool of_removed_by_others(struct ovs_of *of, const struct ovs_of_flow *f, bool other)
{
	if (other || (f->cookie & OVS_OF_COOKIE_MASK) != OVS_OF_COOKIE ||
	    (f->cookie & 1) != of->gen || f->table != 0)
		return false;
	for (size_t i = 0; i < of->n_dels; i++)
		if (!flow_cmp(&of->dels[i], f)) {
			of->dels[i] = of->dels[--of->n_dels];
			return false;
		}
	return bsearch(f, of->installed, of->n_installed, sizeof(*f), flow_cmp) != NULL;
}

static void of_resync_tick(void *arg)
{
	struct ovs_of *of = arg;

	if (of->state == OF_STATE_UP && of_resync(of) < 0)
		of_down(of, "out of memory");
}

static void of_written(struct bufferevent *bev, void *arg)
{
	struct ovs_of *of = arg;

	(void)bev;
	if (of->state == OF_STATE_CLOSING)
		of_down(of, "OpenFlow version negotiation failed");
}

static int of_msg(struct ovs_of *of, const struct ovs_of_msg *m)
{
	struct ovs_of_port_desc d;
	uint8_t buf[OVS_OF_MAX_MSG];
	size_t i;
	int v;

	if (of->state == OF_STATE_HELLO) {
		if (m->type != OVS_OF_T_HELLO)
			return -EPROTO;
		v = ovs_of_negotiate(1u << OVS_OF_VERSION, m);
		if (v != OVS_OF_VERSION) {
			/* §6.3.1: HELLO_FAILED / INCOMPATIBLE, then close */
			static const char why[] = "keel speaks OpenFlow 1.3 only";

			log_warnx("openflow %s: the switch does not offer OpenFlow 1.3", of->path);
			if (of_send(of, buf,
			            ovs_of_encode_error(buf, sizeof(buf), m->xid, 0, 0,
			                                (const uint8_t *)why, sizeof(why) - 1)) < 0)
				return -EPROTONOSUPPORT;
			of->state = OF_STATE_CLOSING;
			bufferevent_disable(of->bev, EV_READ);
			bufferevent_setcb(of->bev, NULL, of_written, of_event, of);
			return 0;
		}
		of_up(of);
		return 0;
	}
	if (m->version != OVS_OF_VERSION)
		return -EPROTO;
	switch (m->type) {
	case OVS_OF_T_ECHO_REQUEST:
		of->stats.echo_rx++;
		return of_send(of, buf,
		               ovs_of_encode_echo(buf, sizeof(buf), OVS_OF_T_ECHO_REPLY, m->xid,
		                                  m->u.echo.data, m->u.echo.data_len));
	case OVS_OF_T_ECHO_REPLY:
		of->echo_out = 0;
		break;
	case OVS_OF_T_ERROR:
		of->stats.errors++;
		of->stats.last_err_type = m->u.error.type;
		of->stats.last_err_code = m->u.error.code;
		log_warnx("openflow %s: switch error type %u code %u for %s xid %u", of->path,
		          m->u.error.type, m->u.error.code,
		          m->u.error.data_len >= 2 ? ovs_of_type_name(m->u.error.data[1]) : "?",
		          m->xid);
		break;
	case OVS_OF_T_FLOW_REMOVED:
		if (of_removed_by_others(of, &m->u.flow_removed.flow,
		                         m->u.flow_removed.other_fields) &&
		    !timer_pending(&of->resync)) {
			/* e.g. a fail_mode change flushes the table (connmgr);
			 * one resync for the whole burst */
			log_warnx(
			        "openflow %s: a keel flow was removed by someone else; re-installing",
			        of->path);
			of->stats.removed++;
			timer_add_ms(&of->resync, OF_RESYNC_MS);
		}
		break;
	case OVS_OF_T_BARRIER_REPLY:
		of->stats.barriers++;
		of_applied(of, m->xid);
		break;
	case OVS_OF_T_MULTIPART_REPLY:
		for (i = 0; ovs_of_port_desc_at(m, i, &d) == 0; i++)
			if (of_port_seen(of, &d, false) < 0)
				return -ENOMEM;
		/* §7.3.5: OFPMPF_REPLY_MORE (1) set on all but the last part */
		if (!(m->u.multipart.flags & 1)) {
			of->have_ports = true;
			of_port_mods(of);
			of_barrier(of);
		}
		break;
	case OVS_OF_T_PORT_STATUS:
		/* §7.4.3 reason OFPPR_DELETE (1) */
		if (of_port_seen(of, &m->u.port_status.desc, m->u.port_status.reason == 1) < 0)
			return -ENOMEM;
		if (of->have_ports && of_port_find(of, m->u.port_status.desc.port_no)) {
			of_port_mods(of);
			of_barrier(of);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void of_read(struct bufferevent *bev, void *arg)
{
	struct ovs_of *of = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		struct ovs_of_msg m;
		size_t have = evbuffer_get_length(in);
		const uint8_t *p;
		int r;

		if (have < OVS_OF_HDR_LEN)
			return;
		p = evbuffer_pullup(in, OVS_OF_HDR_LEN);
		if (!p)
			return;
		r = (int)(p[2] << 8 | p[3]);
		if ((size_t)r > have)
			return;
		if (r < OVS_OF_HDR_LEN)
			r = OVS_OF_HDR_LEN; /* the decoder rejects it */
		p = evbuffer_pullup(in, r);
		r = p ? ovs_of_decode(p, (size_t)r, &m) : -ENOMEM;
		if (r <= 0) {
			of_down(of, "malformed OpenFlow message");
			return;
		}
		r = of_msg(of, &m) < 0 ? -1 : r;
		if (r < 0) {
			of_down(of, "OpenFlow session failed");
			return;
		}
		evbuffer_drain(in, (size_t)r);
		if (!of->bev || of->state == OF_STATE_CLOSING)
			return;
	}
}

/* ------------------------------------------------------------ connection */

static void of_down(struct ovs_of *of, const char *why)
{
	if (of->bev) {
		log_warnx("openflow %s: %s; reconnecting in %u ms", of->path, why, of->backoff_ms);
		bufferevent_free(of->bev);
		of->bev = NULL;
	}
	of->state = OF_STATE_DOWN;
	of->have_ports = false;
	of->n_sw = 0;
	of->barrier_xid = 0;
	of->n_dels = 0;
	of->echo_out = 0;
	for (size_t i = 0; i < of->n_ports; i++) {
		of->ports[i].known = false;
		of->ports[i].nofwd_sent = -1;
	}
	timer_del(&of->echo);
	timer_del(&of->resync);
	timer_add_ms(&of->retry, of->backoff_ms);
	of->backoff_ms =
	        of->backoff_ms * 2 > OF_BACKOFF_MAX_MS ? OF_BACKOFF_MAX_MS : of->backoff_ms * 2;
}

static void of_event(struct bufferevent *bev, short what, void *arg)
{
	struct ovs_of *of = arg;
	uint8_t buf[16];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* §6.3.1: both sides send HELLO first; we offer 1.3 only */
		of->state = OF_STATE_HELLO;
		if (of_send(of, buf,
		            ovs_of_encode_hello(buf, sizeof(buf), ++of->xid,
		                                1u << OVS_OF_VERSION)) < 0)
			of_down(of, "cannot send HELLO");
		else
			timer_add_ms(&of->echo, OF_ECHO_MS);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		of_down(of, (what & BEV_EVENT_EOF) ? "switch closed the connection"
		                                   : "connection error");
}

static void of_echo_tick(void *arg)
{
	struct ovs_of *of = arg;
	uint8_t buf[16];

	if (of->state == OF_STATE_HELLO || ++of->echo_out > OF_ECHO_MISS) {
		of_down(of, "switch not answering");
		return;
	}
	of_send(of, buf,
	        ovs_of_encode_echo(buf, sizeof(buf), OVS_OF_T_ECHO_REQUEST, ++of->xid, NULL, 0));
	timer_add_ms(&of->echo, OF_ECHO_MS);
}

static void of_connect(void *arg)
{
	struct ovs_of *of = arg;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	of->bev = bufferevent_socket_new(of->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!of->bev) {
		of_down(of, "out of memory");
		return;
	}
	bufferevent_setcb(of->bev, of_read, NULL, of_event, of);
	bufferevent_enable(of->bev, EV_READ | EV_WRITE);
	memcpy(sun.sun_path, of->path, strlen(of->path) + 1);
	if (bufferevent_socket_connect(of->bev, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		of_down(of, "connect failed");
}

/* Drops deny entries whose MAC can no longer be in NORMAL's table, and
 * re-arms for the next one to expire. Returns whether any went. */
static bool of_aging_sweep(struct ovs_of *of)
{
	uint64_t now = mono_ms(), next = 0;
	bool gone = false;

	for (size_t i = 0; i < of->n_ports; i++) {
		struct of_port *p = &of->ports[i];

		for (size_t j = 0; j < p->n_macs;) {
			struct of_mac *m = &p->macs[j];

			if (!m->admit && m->deny_until_ms <= now) {
				*m = p->macs[--p->n_macs];
				gone = true;
				continue;
			}
			if (!m->admit && (!next || m->deny_until_ms < next))
				next = m->deny_until_ms;
			j++;
		}
	}
	if (next)
		timer_add_ms(&of->aging, next - now);
	return gone;
}

static void of_aging_tick(void *arg)
{
	struct ovs_of *of = arg;

	if (of_aging_sweep(of) && of_sync(of) < 0)
		log_warnx("openflow %s: out of memory dropping aged deny flows", of->path);
}

struct ovs_of *ovs_of_new(struct event_base *base, const char *mgmt_sock_path)
{
	struct ovs_of *of;
	struct sigaction sa;

	if (!base || !mgmt_sock_path || strlen(mgmt_sock_path) >= sizeof(of->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* bufferevent writes cannot pass MSG_NOSIGNAL (see conn.c) */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	of = calloc(1, sizeof(*of));
	if (!of)
		return NULL;
	memcpy(of->path, mgmt_sock_path, strlen(mgmt_sock_path) + 1);
	of->base = base;
	of->backoff_ms = OF_BACKOFF_MIN_MS;
	timer_init(&of->retry, base, of_connect, of);
	timer_init(&of->echo, base, of_echo_tick, of);
	timer_init(&of->resync, base, of_resync_tick, of);
	timer_init(&of->aging, base, of_aging_tick, of);
	of->mac_aging_ms = OF_MAC_AGING_S * 1000u;
	of_connect(of);
	return of;
}

void ovs_of_free(struct ovs_of *of)
{
	size_t i;

	if (!of)
		return;
	if (of->bev)
		bufferevent_free(of->bev);
	timer_del(&of->retry);
	timer_del(&of->echo);
	timer_del(&of->resync);
	timer_del(&of->aging);
	for (i = 0; i < of->n_ports; i++)
		free(of->ports[i].macs);
	free(of->ports);
	free(of->sw);
	free(of->dels);
	free(of->installed);
	free(of->extra);
	free(of);
}

/* ------------------------------------------------------------ API */

static bool ofport_ok(uint32_t ofport)
{
	return ofport != 0 && ofport < OVS_OF_PORT_MAX;
}

static struct of_port *of_port_get(struct ovs_of *of, uint32_t ofport)
{
	struct of_port *p = of_port_find(of, ofport);

	if (p)
		return p;
	if (of->n_ports == of->cap_ports) {
		size_t cap = of->cap_ports ? of->cap_ports * 2 : 8;
		struct of_port *np = realloc(of->ports, cap * sizeof(*np));

		if (!np)
			return NULL;
		of->ports = np;
		of->cap_ports = cap;
	}
	p = &of->ports[of->n_ports++];
	memset(p, 0, sizeof(*p));
	p->ofport = ofport;
	p->st = OVS_OF_PORT_OPEN;
	/* known now if described already, else by a later PORT_STATUS */
	of_port_from_sw(p, of_sw_find(of, ofport));
	return p;
}

int ovs_of_port_set(struct ovs_of *of, uint32_t ofport, enum ovs_of_port_auth st)
{
	struct of_port *p;
	bool fresh;

	if (!of || !ofport_ok(ofport) || (st != OVS_OF_PORT_OPEN && st != OVS_OF_PORT_EAPOL_ONLY))
		return -EINVAL;
	fresh = !of_port_find(of, ofport);
	p = of_port_get(of, ofport);
	if (!p)
		return -ENOMEM;
	/* A port new to us may carry NO_FWD from an earlier run (or another
	 * controller): managing it as OPEN must clear that now. */
	if (p->st == st && !fresh)
		return 0;
	p->st = st;
	if (st == OVS_OF_PORT_OPEN)
		p->n_macs = 0;
	return of_sync(of);
}

int ovs_of_mac_set(struct ovs_of *of, uint32_t ofport, const uint8_t mac[6], bool admit,
                   uint16_t vlan)
{
	struct of_port *p;
	size_t i;
	bool moved;

	if (!of || !ofport_ok(ofport) || !mac || (mac[0] & 1))
		return -EINVAL;
	if (vlan)
		return -EOPNOTSUPP;
	p = of_port_get(of, ofport);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < p->n_macs; i++)
		if (!memcmp(p->macs[i].mac, mac, 6))
			break;
	if (!admit) {
		/* Only a MAC that had access can sit in NORMAL's MAC table (the
		 * block flow keeps others unlearned): it alone needs a deny flow,
		 * for as long as the table may keep it. */
		if (i == p->n_macs || !p->macs[i].admit)
			return 0;
		p->macs[i].admit = false;
		p->macs[i].deny_until_ms = mono_ms() + of->mac_aging_ms;
		of_aging_sweep(of);
		return p->st == OVS_OF_PORT_EAPOL_ONLY ? of_sync(of) : 0;
	}
	moved = of_mac_moved(of, p, mac);
	if (i < p->n_macs && p->macs[i].admit)
		return moved ? of_sync(of) : 0;
	if (i == p->n_macs) {
		if (p->n_macs == OF_MAX_MACS)
			return -ENOSPC;
		if (p->n_macs == p->cap_macs) {
			size_t cap = p->cap_macs ? p->cap_macs * 2 : 4;
			struct of_mac *nm = realloc(p->macs, cap * sizeof(*nm));

			if (!nm)
				return -ENOMEM;
			p->macs = nm;
			p->cap_macs = cap;
		}
		memcpy(p->macs[p->n_macs++].mac, mac, 6);
	}
	p->macs[i].admit = true;
	return moved || p->st == OVS_OF_PORT_EAPOL_ONLY ? of_sync(of) : 0;
}

/* A MAC admitted on port p is no longer denied behind any other port. */
static bool of_mac_moved(struct ovs_of *of, const struct of_port *p, const uint8_t mac[6])
{
	bool moved = false;

	for (size_t k = 0; k < of->n_ports; k++) {
		struct of_port *q = &of->ports[k];

		if (q == p)
			continue;
		for (size_t j = 0; j < q->n_macs; j++)
			if (!q->macs[j].admit && !memcmp(q->macs[j].mac, mac, 6)) {
				q->macs[j] = q->macs[--q->n_macs];
				moved = true;
				break;
			}
	}
	return moved;
}

void ovs_of_set_mac_aging(struct ovs_of *of, unsigned seconds)
{
	if (of && seconds)
		of->mac_aging_ms = seconds * 1000u;
}

int ovs_of_set_default_normal(struct ovs_of *of, bool on)
{
	if (!of)
		return -EINVAL;
	if (of->default_normal == on)
		return 0;
	of->default_normal = on;
	return of_sync(of);
}

int ovs_of_flows_set(struct ovs_of *of, const struct ovs_of_flow *flows, size_t n)
{
	struct ovs_of_flow *v = NULL;

	if (!of || n > OF_MAX_MACS || (n && !flows))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (flows[i].n_actions > OVS_OF_MAX_ACTIONS ||
		    (flows[i].normal && flows[i].n_actions))
			return -EINVAL;
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			v[i] = flows[i];
			v[i].cmd = OVS_OF_FC_ADD;
			v[i].table = 0;
			v[i].cookie = v[i].cookie_mask = 0;
			v[i].flags = 0;
		}
	}
	/* the same program again (vland pushes on every port.auth): nothing
	 * to send, not even a barrier */
	if (n == of->n_extra && (!n || !memcmp(v, of->extra, n * sizeof(*v)))) {
		free(v);
		return 0;
	}
	free(of->extra);
	of->extra = v;
	of->n_extra = n;
	return of_sync(of);
}

void ovs_of_set_applied_cb(struct ovs_of *of, ovs_of_applied_fn fn, void *arg)
{
	of->applied_fn = fn;
	of->applied_arg = arg;
}

bool ovs_of_connected(const struct ovs_of *of)
{
	return of && of->state == OF_STATE_UP;
}

bool ovs_of_applied(const struct ovs_of *of)
{
	return ovs_of_connected(of) && of->have_ports && !of->barrier_xid;
}

void ovs_of_get_stats(const struct ovs_of *of, struct ovs_of_stats *out)
{
	*out = of->stats;
}
