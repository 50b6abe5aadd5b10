/*
 * The FIB (see fib.h): its state of each destination the kernel holds for
 * us or that we want there lives in the RIB's destination (struct rib_dest,
 * fib_* fields: what is installed, and flags), and what we want
 * is read from the RIB's active route when the queue is flushed; so a
 * route costs the FIB 17 bytes and no prefix, hash or trie of its own. The
 * queue holds destinations whose kernel state may have to change. fib_flush() turns the
 * queue into one batch so that thousands of changes cost a few sends.
 *
 * Kernel nexthop objects (FIB_MODE_NHOBJ): every resolved next-hop set in
 * use is one kernel object (a single nexthop, or a group of singles for
 * ECMP), created before the first route that uses it and deleted after the
 * last one left, all in the same batch, in that order: new objects, route
 * changes, deleted objects. Each set counts its kernel users (krefs:
 * installed routes plus groups containing it). When every route using an
 * object is withdrawn in one flush (a BFD session or a gateway went away),
 * the routes are not deleted one by one: deleting the object makes the
 * kernel drop them all (notes §11.4), one message for any number of routes.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/fib.h"
#include "daemons/ribd/lpm.h"
#include "daemons/ribd/nhobj.h"
#include "lib/log.h"

/* Room one encoded request may take (a 32-path inline route is ~1.1 KiB). */
#define FIB_MSG_MAX 2048
/* Queue capacity kept between flushes (128 KiB). */
#define FIB_QUEUE_KEEP 16384

struct fib {
	struct plat *plat;
	uint8_t protocol;
	enum fib_mode mode;
	struct nlw *nl;
	/* The per-prefix state lives in the RIB's destinations (rib.h). */
	struct rib *rib;
	/* Destinations to look at in the next flush: an array, so that a
	 * destination carries no queue link (8 bytes a route). */
	struct rib_dest **queue;
	size_t n_queue, cap_queue;
	bool swept;
	bool obj_check;    /* the next flush looks for unused objects even if idle */
	uint32_t next_id;  /* next kernel nexthop id to hand out */
	uint32_t *orphans; /* duplicate objects of ours found at start: swept */
	size_t n_orphans;
	struct fib_stats st;
};

const char *fib_mode_name(enum fib_mode m)
{
	switch (m) {
	case FIB_MODE_PLAT:
		return "platform";
	case FIB_MODE_INLINE:
		return "inline";
	case FIB_MODE_NHOBJ:
		return "nexthop-objects";
	}
	return "?";
}

static bool fib_is(const struct rib_dest *e, enum fib_flag fl)
{
	return (e->fib_flags & fl) != 0;
}

static void fib_flag(struct rib_dest *e, enum fib_flag fl, bool on)
{
	if (on)
		e->fib_flags |= (uint8_t)fl;
	else
		e->fib_flags &= (uint8_t)~fl;
}

struct fib_each_ctx {
	struct fib *f;
	void (*fn)(struct fib *f, struct rib_dest *e);
};

static int fib_each_one(void *arg, struct rib_dest *e)
{
	struct fib_each_ctx *c = arg;

	c->fn(c->f, e);
	return 0;
}

/* Calls fn for every destination (fn must not free it: it may queue it). */
static void fib_each(struct fib *f, void (*fn)(struct fib *f, struct rib_dest *e))
{
	struct fib_each_ctx c = {.f = f, .fn = fn};

	if (!f->rib)
		return;
	rib_dest_walk(f->rib, AF_INET, fib_each_one, &c);
	rib_dest_walk(f->rib, AF_INET6, fib_each_one, &c);
}

/* ------------------------------------------------------------ start-up */

struct fib_dump {
	struct fib *f;
	struct nhobj_kern *k;
	size_t n, cap;
};

static void fib_dump_one(void *arg, const struct nhobj_kern *k)
{
	struct fib_dump *d = arg;

	if (k->protocol != d->f->protocol || k->id < NHOBJ_ID_BASE || k->id > NHOBJ_ID_LAST ||
	    k->blackhole)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct nhobj_kern *p = realloc(d->k, cap * sizeof(*p));

		if (!p)
			return;
		d->k = p;
		d->cap = cap;
	}
	d->k[d->n++] = *k;
}

static void fib_orphan(struct fib *f, uint32_t id)
{
	uint32_t *p = realloc(f->orphans, (f->n_orphans + 1) * sizeof(*p));

	if (p) {
		f->orphans = p;
		f->orphans[f->n_orphans++] = id;
	}
}

/* Records one of our objects found in the kernel as stale (adoptable). */
static void fib_adopt_obj(struct fib *f, uint32_t id, const struct rib_nh *nh, size_t n)
{
	const struct rib_nh *set;
	struct nhset *s;
	int err;

	if (id >= f->next_id)
		f->next_id = id + 1;
	set = nhset_get(nh, n, &err);
	if (!set) {
		fib_orphan(f, id);
		return;
	}
	s = nhset_of(set);
	if (s->kstate != NHSET_K_NONE) {
		fib_orphan(f, id); /* two objects with one content: keep the first */
		nhset_put(set);
		return;
	}
	s->kid = id;
	s->kstate = NHSET_K_STALE; /* the reference is the kernel object's */
}

static int fib_nh_cmp(const void *pa, const void *pb)
{
	const struct rib_nh *a = pa, *b = pb;

	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->gw.family != b->gw.family)
		return a->gw.family < b->gw.family ? -1 : 1;
	return memcmp(a->gw.bytes, b->gw.bytes, sizeof(a->gw.bytes));
}

/* Loads our nexthop objects: singles first, then groups of known singles. */
static void fib_load_objs(struct fib *f)
{
	struct fib_dump d = {.f = f};
	int rc = nlw_dump_nexthops(f->nl, fib_dump_one, &d);

	if (rc < 0)
		log_warnx("fib: cannot dump nexthop objects: %s", strerror(-rc));
	for (size_t i = 0; i < d.n; i++)
		if (!d.k[i].is_group && d.k[i].nh.ifindex)
			fib_adopt_obj(f, d.k[i].id, &d.k[i].nh, 1);
		else if (!d.k[i].is_group)
			fib_orphan(f, d.k[i].id);
	for (size_t i = 0; i < d.n; i++) {
		struct rib_nh nh[RIB_MAX_NH];
		size_t n = 0;

		if (!d.k[i].is_group)
			continue;
		for (size_t g = 0; g < d.k[i].n_group; g++)
			for (size_t k = 0; k < d.n; k++)
				if (!d.k[k].is_group && d.k[k].id == d.k[i].group[g] &&
				    n < RIB_MAX_NH)
					nh[n++] = d.k[k].nh;
		if (n != d.k[i].n_group) {
			fib_orphan(f, d.k[i].id);
			continue;
		}
		qsort(nh, n, sizeof(nh[0]), fib_nh_cmp);
		fib_adopt_obj(f, d.k[i].id, nh, n);
		/* The group holds its members. */
		for (size_t m = 0; m < n; m++) {
			int err;
			const struct rib_nh *one = nhset_get(&nh[m], 1, &err);

			if (one)
				nhset_of(one)->krefs++;
		}
	}
	free(d.k);
	log_info("fib: %zu nexthop object%s of ours in the kernel", d.n, d.n == 1 ? "" : "s");
}

/* Does the kernel take nexthop objects? Adds and deletes a blackhole one. */
static bool fib_probe(struct fib *f)
{
	uint8_t *p;
	uint32_t seq;
	ssize_t len;

	p = nlw_reserve(f->nl, FIB_MSG_MAX, &seq);
	len = p ? nhobj_enc_blackhole(p, FIB_MSG_MAX, NLM_F_CREATE | NLM_F_REPLACE, seq,
	                              NHOBJ_ID_LAST, f->protocol)
	        : -ENOMEM;
	if (len < 0 || nlw_push(f->nl, (size_t)len) < 0 || nlw_commit(f->nl, NULL, NULL) != 0)
		return false;
	p = nlw_reserve(f->nl, FIB_MSG_MAX, &seq);
	len = p ? nhobj_enc_delnexthop(p, FIB_MSG_MAX, seq, NHOBJ_ID_LAST) : -ENOMEM;
	if (len >= 0 && nlw_push(f->nl, (size_t)len) == 0)
		nlw_commit(f->nl, NULL, NULL);
	return true;
}

struct fib *fib_new(struct plat *p, uint8_t protocol)
{
	struct fib *f = calloc(1, sizeof(*f));
	const char *env = getenv("KEEL_RIBD_NHOBJ");

	if (!f)
		return NULL;
	f->plat = p;
	f->protocol = protocol;
	f->next_id = NHOBJ_ID_BASE;
	f->mode = FIB_MODE_PLAT;
	if (p && strcmp(plat_name(p), "linux") == 0) {
		f->nl = nlw_open();
		if (!f->nl)
			log_warn("fib: own netlink socket");
	}
	if (f->nl) {
		f->mode = FIB_MODE_INLINE;
		if (!(env && strcmp(env, "0") == 0) && fib_probe(f)) {
			f->mode = FIB_MODE_NHOBJ;
			fib_load_objs(f);
		}
	}
	log_info("fib: routes go to the kernel via %s", fib_mode_name(f->mode));
	return f;
}

enum fib_mode fib_mode(const struct fib *f)
{
	return f->mode;
}

void fib_attach(struct fib *f, struct rib *r)
{
	f->rib = r;
}

/* Releases a set's kernel-object references (kput) once no table walk runs. */
static void fib_collect_puts(void *arg, struct nhset *s)
{
	struct nhset **list = arg;

	if (s->kput) {
		s->lnext = *list;
		*list = s;
	}
}

static void fib_do_puts(void)
{
	struct nhset *list = NULL, *s, *next;

	nhset_foreach(fib_collect_puts, &list);
	for (s = list; s; s = next) {
		uint32_t n = s->kput;

		next = s->lnext;
		s->kput = 0;
		while (n--)
			nhset_put(s->nh); /* the last one may free s */
	}
}

/* The set's reference on group member i (taken when the group was made). */
static struct nhset *fib_member(const struct nhset *s, size_t i)
{
	int err;
	const struct rib_nh *one = nhset_get(&s->nh[i], 1, &err);

	/* Held by the group, so it exists: the lookup inserts nothing. */
	if (!one)
		return NULL;
	nhset_of(one)->refs--;
	return nhset_of(one);
}

static void fib_release_obj(void *arg, struct nhset *s)
{
	(void)arg;
	if (s->kstate == NHSET_K_NONE)
		return;
	s->kstate = NHSET_K_NONE;
	s->kput++;
	for (size_t i = 0; s->n > 1 && i < s->n; i++) {
		struct nhset *m = fib_member(s, i);

		if (m)
			m->kput++;
	}
}

void fib_free(struct fib *f)
{
	if (!f)
		return;
	/* The destinations' references go with the RIB (rib_free). */
	/* Objects stay in the kernel (a restart adopts them); drop our references. */
	if (f->mode == FIB_MODE_NHOBJ) {
		nhset_foreach(fib_release_obj, NULL);
		fib_do_puts();
	}
	nlw_close(f->nl);
	free(f->queue);
	free(f->orphans);
	free(f);
}

/* ------------------------------------------------------------ entries */

static struct rib_dest *fib_entry_get(struct fib *f, const struct plat_prefix *p, bool create)
{
	return f->rib ? rib_dest_find(f->rib, p, create) : NULL;
}

static void fib_queue(struct fib *f, struct rib_dest *e)
{
	if (fib_is(e, FIB_F_QUEUED))
		return;
	if (f->n_queue == f->cap_queue) {
		size_t cap = f->cap_queue ? 2 * f->cap_queue : 1024;
		struct rib_dest **q = realloc(f->queue, cap * sizeof(*q));

		if (!q) {
			log_warnx("fib: out of memory queueing a change");
			return;
		}
		f->queue = q;
		f->cap_queue = cap;
	}
	fib_flag(e, FIB_F_QUEUED, true);
	f->queue[f->n_queue++] = e;
	f->st.queued++;
}

/* Sets r to (type, priority, set); takes over the caller's reference. */
static void fib_route_take(struct fib_route *r, enum rib_type type, uint32_t priority,
                           const struct rib_nh *set, size_t n)
{
	nhset_put(r->nh);
	r->nh = set;
	r->n_nh = (uint8_t)n;
	r->type = (uint8_t)type;
	r->priority = priority;
}

static bool fib_route_equal(const struct fib_route *a, const struct fib_route *b)
{
	/* Interned: equal sets are the same pointer. */
	return a->type == b->type && a->priority == b->priority && a->nh == b->nh;
}

void fib_to_plat(const struct plat_prefix *pfx, const struct fib_route *r, uint8_t protocol,
                 struct plat_route *out)
{
	memset(out, 0, sizeof(*out));
	out->dst = *pfx;
	out->protocol = protocol;
	out->priority = r->priority;
	switch (r->type) {
	case RIB_TYPE_DISCARD:
		out->type = RTN_BLACKHOLE;
		break;
	case RIB_TYPE_REJECT:
		out->type = RTN_UNREACHABLE;
		break;
	case RIB_TYPE_UNICAST:
		out->type = RTN_UNICAST;
		break;
	}
	for (size_t i = 0; i < r->n_nh && i < PLAT_MAX_NEXTHOPS; i++) {
		out->nh[i].gw = r->nh[i].gw;
		out->nh[i].ifindex = r->nh[i].ifindex;
	}
	out->n_nh = r->type == RIB_TYPE_UNICAST ? r->n_nh : 0;
}

/* Is r one of ours in the main table? */
static bool fib_ours(const struct fib *f, const struct plat_route *r)
{
	return r->protocol == f->protocol && (r->table == 0 || r->table == RT_TABLE_MAIN);
}

/* The entry's installed route uses its set's kernel object, if it has one. */
static void fib_have_obj_set(struct fib *f, struct rib_dest *e)
{
	struct nhset *s;

	fib_flag(e, FIB_F_HAVE_OBJ, false);
	if (f->mode != FIB_MODE_NHOBJ || e->fib_have.type != RIB_TYPE_UNICAST || !e->fib_have.nh)
		return;
	s = nhset_of(e->fib_have.nh);
	if (s->kstate == NHSET_K_NONE)
		return;
	fib_flag(e, FIB_F_HAVE_OBJ, true);
	s->krefs++;
}

static void fib_have_obj_clear(struct rib_dest *e)
{
	if (fib_is(e, FIB_F_HAVE_OBJ))
		nhset_of(e->fib_have.nh)->krefs--;
	fib_flag(e, FIB_F_HAVE_OBJ, false);
}

void fib_kernel_seen(struct fib *f, const struct plat_route *r)
{
	struct rib_nh nh[PLAT_MAX_NEXTHOPS];
	enum rib_type type = RIB_TYPE_UNICAST;
	const struct rib_nh *set;
	struct rib_dest *e;
	size_t n = 0;
	int err;

	if (!fib_ours(f, r))
		return;
	e = fib_entry_get(f, &r->dst, true);
	if (!e)
		return;
	fib_flag(e, FIB_F_SEEN, true);
	if (fib_is(e, FIB_F_INSTALLED))
		return; /* known (the echo of our own change) */
	if (r->type == RTN_BLACKHOLE)
		type = RIB_TYPE_DISCARD;
	else if (r->type == RTN_UNREACHABLE || r->type == RTN_PROHIBIT)
		type = RIB_TYPE_REJECT;
	memset(nh, 0, sizeof(nh));
	for (size_t i = 0; type == RIB_TYPE_UNICAST && i < r->n_nh && i < PLAT_MAX_NEXTHOPS; i++) {
		nh[n].gw = r->nh[i].gw;
		nh[n++].ifindex = r->nh[i].ifindex;
	}
	qsort(nh, n, sizeof(nh[0]), fib_nh_cmp);
	set = nhset_get(nh, n, &err);
	if (err) {
		rib_dest_release(f->rib, e);
		return;
	}
	fib_route_take(&e->fib_have, type, r->priority, set, n);
	fib_flag(e, FIB_F_INSTALLED, true);
	/* With the kernel's compat dumps (nexthop_compat_mode) a route over one of
	 * our objects shows that object's next hops: ids and content are one to one. */
	fib_have_obj_set(f, e);
	if (!f->swept) {
		fib_flag(e, FIB_F_STALE, true);
		f->st.stale++;
	} else {
		/* Appeared after the sweep: keep it only if wanted. */
		fib_queue(f, e);
	}
}

static void fib_resync_clear(struct fib *f, struct rib_dest *e)
{
	(void)f;
	fib_flag(e, FIB_F_SEEN, false);
}

void fib_resync_begin(struct fib *f)
{
	fib_each(f, fib_resync_clear);
}

static void fib_gone(struct fib *f, struct rib_dest *e)
{
	fib_have_obj_clear(e);
	fib_flag(e, FIB_F_INSTALLED, false);
	if (fib_is(e, FIB_F_STALE)) {
		fib_flag(e, FIB_F_STALE, false);
		f->st.stale--;
	}
	fib_queue(f, e);
}

static void fib_resync_one(struct fib *f, struct rib_dest *e)
{
	/* Gone while notifications were lost: put it back if wanted. */
	if (fib_is(e, FIB_F_INSTALLED) && !fib_is(e, FIB_F_SEEN))
		fib_gone(f, e);
}

void fib_resync_end(struct fib *f)
{
	fib_each(f, fib_resync_one);
}

void fib_kernel_gone(struct fib *f, const struct plat_route *r)
{
	struct rib_dest *e;

	if (!fib_ours(f, r) || !(e = fib_entry_get(f, &r->dst, false)) ||
	    !fib_is(e, FIB_F_INSTALLED))
		return;
	fib_gone(f, e);
}

struct fib_linkdown {
	int ifindex;
	size_t n;
};

static void fib_link_down_one(void *arg, struct nhset *s)
{
	struct fib_linkdown *l = arg;

	if (s->kstate != NHSET_K_IN && s->kstate != NHSET_K_STALE)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->nh[i].ifindex == l->ifindex) {
			/* The kernel removes a single nexthop of a downed device and the
			 * routes over it; a group only loses the member and is re-sent. */
			s->kgone = true;
			l->n++;
			return;
		}
}

void fib_link_down(struct fib *f, int ifindex)
{
	struct fib_linkdown l = {.ifindex = ifindex};

	if (f->mode == FIB_MODE_NHOBJ)
		nhset_foreach(fib_link_down_one, &l);
}

bool fib_want(const struct rib_dest *d, struct fib_route *out)
{
	const struct rib_route *b = rib_dest_best(d);
	size_t n = 0;
	const struct rib_nh *res;

	memset(out, 0, sizeof(*out));
	if (!b || (b->proto != RIB_PROTO_STATIC && b->proto != RIB_PROTO_API))
		return false;
	/* Another program's route for the same destination is never touched. */
	for (const struct rib_route *rt = d->routes; rt; rt = rt->next)
		if (rt->proto == RIB_PROTO_KERNEL)
			return false;
	res = rib_route_res(b, &n);
	out->type = b->type;
	out->priority = b->pref;
	if (b->type == RIB_TYPE_UNICAST) {
		out->nh = res;
		out->n_nh = (uint8_t)n;
	}
	return true;
}

void fib_rib_changed(void *arg, const struct rib_dest *d)
{
	struct fib *f = arg;
	struct fib_route want;

	/* The RIB hands its own destination back: the FIB's fields are ours. */
	struct rib_dest *e = (struct rib_dest *)d;

	/* What to do is decided at the flush, from the RIB as it is then. */
	if (fib_want(e, &want) || (e->fib_flags & FIB_F_HOLD))
		fib_queue(f, e);
}

/* ------------------------------------------------------------ flush */

enum fib_op {
	FIB_OP_ADD,
	FIB_OP_DEL,
	FIB_OP_NH_ADD,
	FIB_OP_NH_DEL,
};

struct fib_pending {
	void *obj; /* fib_entry (routes) or nhset (objects) */
	uint8_t op;
};

struct fib_commit {
	struct fib *f;
	struct fib_pending *ops;
	size_t n, cap;
	int failures;
	int sync_rc; /* an unbatched platform call that failed */
	bool batched;
};

static void fib_op_failed(struct fib_commit *c, size_t i, int err, const char *msg);

static void fib_sync_failed(struct fib_commit *c)
{
	if (c->sync_rc)
		fib_op_failed(c, c->n - 1, c->sync_rc, plat_errmsg(c->f->plat));
	c->sync_rc = 0;
}

static void fib_op_failed(struct fib_commit *c, size_t i, int err, const char *msg)
{
	char buf[64];

	if (i >= c->n || !c->ops[i].obj)
		return;
	if ((c->ops[i].op == FIB_OP_DEL || c->ops[i].op == FIB_OP_NH_DEL) &&
	    (err == -ESRCH || err == -ENOENT))
		return; /* already gone: the kernel flushes routes of a downed link */
	c->failures++;
	c->f->st.errors++;
	if (c->ops[i].op == FIB_OP_NH_ADD || c->ops[i].op == FIB_OP_NH_DEL) {
		struct nhset *s = c->ops[i].obj;

		log_warnx("fib: %s nexthop object %u: %s%s%s",
		          c->ops[i].op == FIB_OP_NH_ADD ? "add" : "delete", s->kid, strerror(-err),
		          msg && *msg ? ": " : "", msg ? msg : "");
		return;
	} else {
		struct rib_dest *e = c->ops[i].obj;

		log_warnx("fib: %s %s: %s%s%s", c->ops[i].op == FIB_OP_ADD ? "install" : "delete",
		          plat_prefix_str(&e->pfx, buf, sizeof(buf)), strerror(-err),
		          msg && *msg ? ": " : "", msg ? msg : "");
		if (c->ops[i].op == FIB_OP_ADD) {
			fib_have_obj_clear(e);
			fib_flag(e, FIB_F_INSTALLED, false);
			fib_flag(e, FIB_F_FAILED, true);
		}
	}
}

static void fib_batch_err(void *arg, size_t index, int err, const char *errmsg)
{
	fib_op_failed(arg, index, err, errmsg);
}

static int fib_note(struct fib_commit *c, void *obj, enum fib_op op)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct fib_pending *p = realloc(c->ops, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->ops = p;
		c->cap = cap;
	}
	c->ops[c->n].obj = obj;
	c->ops[c->n].op = (uint8_t)op;
	c->n++;
	return 0;
}

/* Encodes one request into the netlink batch. */
static int fib_nl_put(struct fib_commit *c, void *obj, enum fib_op op, uint16_t type,
                      uint16_t flags, const struct nhobj_route *rt, const struct nhset *s,
                      const uint32_t *ids, size_t n_ids)
{
	uint32_t seq;
	uint8_t *p = nlw_reserve(c->f->nl, FIB_MSG_MAX, &seq);
	ssize_t len;

	if (!p)
		return -ENOMEM;
	if (rt)
		len = nhobj_enc_route(p, FIB_MSG_MAX, type, flags, seq, rt);
	else if (op == FIB_OP_NH_DEL)
		len = nhobj_enc_delnexthop(p, FIB_MSG_MAX, seq, s->kid);
	else if (ids)
		len = nhobj_enc_group(p, FIB_MSG_MAX, flags, seq, s->kid, c->f->protocol, ids,
		                      n_ids);
	else
		len = nhobj_enc_nexthop(p, FIB_MSG_MAX, flags, seq, s->kid, c->f->protocol,
		                        &s->nh[0]);
	if (len < 0)
		return (int)len;
	if (fib_note(c, obj, op) < 0)
		return -ENOMEM;
	return nlw_push(c->f->nl, (size_t)len);
}

static uint8_t fib_rtn(enum rib_type t)
{
	return t == RIB_TYPE_DISCARD  ? RTN_BLACKHOLE
	       : t == RIB_TYPE_REJECT ? RTN_UNREACHABLE
	                              : RTN_UNICAST;
}

static uint32_t fib_new_id(struct fib *f)
{
	if (f->next_id < NHOBJ_ID_BASE || f->next_id >= NHOBJ_ID_LAST)
		f->next_id = NHOBJ_ID_BASE; /* 16M ids: a wrap finds old ones long gone */
	return f->next_id++;
}

/* Makes sure set s has a kernel object (creating its members first). */
static int fib_obj_want(struct fib_commit *c, const struct rib_nh *set)
{
	struct nhset *s = nhset_of(set);
	uint32_t ids[RIB_MAX_NH];
	bool fresh = s->kstate == NHSET_K_NONE;
	int rc;

	if (s->kstate == NHSET_K_STALE)
		s->kstate = NHSET_K_IN; /* adopted from before a restart */
	if (s->kstate == NHSET_K_IN && !s->kgone)
		return 0;
	if (fresh) {
		s->kid = fib_new_id(c->f);
		nhset_ref(set); /* the kernel object's reference */
	}
	for (size_t i = 0; s->n > 1 && i < s->n; i++) {
		int err;
		const struct rib_nh *one = nhset_get(&s->nh[i], 1, &err);

		if (!one)
			return -ENOMEM;
		if ((rc = fib_obj_want(c, one)) < 0) {
			nhset_put(one);
			return rc;
		}
		ids[i] = nhset_of(one)->kid;
		if (fresh)
			nhset_of(one)->krefs++; /* the group holds it, and the reference */
		else
			nhset_put(one);
	}
	s->kstate = NHSET_K_IN;
	s->kgone = false;
	c->f->st.nh_adds++;
	return fib_nl_put(c, s, FIB_OP_NH_ADD, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE, NULL,
	                  s, s->n > 1 ? ids : NULL, s->n);
}

/* Sends one route operation the way the mode says. */
static int fib_route_op(struct fib_commit *c, struct rib_dest *e, enum fib_op op,
                        const struct fib_route *fr)
{
	struct fib *f = c->f;
	struct nhobj_route rt = {
	        .pfx = &e->pfx,
	        .protocol = f->protocol,
	        .type = fib_rtn(fr->type),
	        .priority = fr->priority,
	        .n_nh = fr->type == RIB_TYPE_UNICAST ? fr->n_nh : 0,
	        .nh = fr->nh,
	};
	struct plat_route pr;
	int rc;

	if (f->mode == FIB_MODE_PLAT) {
		if (fib_note(c, e, op) < 0)
			return -ENOMEM;
		fib_to_plat(&e->pfx, fr, f->protocol, &pr);
		rc = op == FIB_OP_ADD ? plat_route_add(f->plat, &pr, true)
		                      : plat_route_del(f->plat, &pr);
		if (!c->batched && rc < 0)
			c->sync_rc = rc; /* reported once the entry's state is updated */
		return 0;
	}
	if (op == FIB_OP_ADD && f->mode == FIB_MODE_NHOBJ && rt.n_nh) {
		if ((rc = fib_obj_want(c, fr->nh)) < 0)
			return rc;
		rt.nhid = nhset_of(fr->nh)->kid;
	}
	if (op == FIB_OP_ADD)
		return fib_nl_put(c, e, op, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, NULL,
		                  NULL, 0);
	return fib_nl_put(c, e, op, RTM_DELROUTE, 0, &rt, NULL, NULL, 0);
}

/* Objects nobody uses any more go after the route operations: groups in a
 * first walk, then the singles they held. */
struct fib_unused {
	struct fib_commit *c;
	int rc;
	bool groups;
};

static void fib_obj_unused(void *arg, struct nhset *s)
{
	struct fib_unused *u = arg;

	if (s->kstate != NHSET_K_IN || s->krefs || (s->n > 1) != u->groups || u->rc < 0)
		return;
	s->kstate = NHSET_K_NONE;
	s->kgone = false;
	s->kput++; /* the kernel object's reference, dropped after the commit */
	u->c->f->st.nh_deletes++;
	u->rc = fib_nl_put(u->c, s, FIB_OP_NH_DEL, RTM_DELNEXTHOP, 0, NULL, s, NULL, 0);
	for (size_t i = 0; s->n > 1 && i < s->n; i++) {
		struct nhset *m = fib_member(s, i);

		if (m) {
			m->krefs--;
			m->kput++;
		}
	}
}

static int fib_objs_sweep(struct fib_commit *c)
{
	struct fib_unused u = {.c = c, .groups = true};

	nhset_foreach(fib_obj_unused, &u);
	u.groups = false;
	nhset_foreach(fib_obj_unused, &u);
	return u.rc;
}

static void fib_plan_clear(void *arg, struct nhset *s)
{
	(void)arg;
	s->kdrop = 0;
	s->kjoin = s->kbulk = false;
}

/*
 * Planning for bulk withdrawal: an object whose installed routes all leave
 * in this flush, and that no route joins, is deleted instead of its routes.
 */
static void fib_plan(struct fib *f)
{
	struct rib_dest *e;
	struct nhset *s;

	nhset_foreach(fib_plan_clear, NULL);
	for (size_t i = 0; i < f->n_queue; i++) {
		struct fib_route want;
		bool wanted;

		e = f->queue[i];
		wanted = fib_want(e, &want);

		if (wanted && want.nh && want.type == RIB_TYPE_UNICAST)
			nhset_of(want.nh)->kjoin = true;
		if (fib_is(e, FIB_F_HAVE_OBJ) && fib_is(e, FIB_F_INSTALLED) &&
		    !fib_is(e, FIB_F_STALE) && (!wanted || !fib_route_equal(&e->fib_have, &want)))
			nhset_of(e->fib_have.nh)->kdrop++;
	}
	for (size_t i = 0; i < f->n_queue; i++) {
		e = f->queue[i];
		if (!fib_is(e, FIB_F_HAVE_OBJ))
			continue;
		s = nhset_of(e->fib_have.nh);
		s->kbulk = s->kstate == NHSET_K_IN && !s->kjoin && s->kdrop == s->krefs;
	}
}

int fib_flush(struct fib *f)
{
	struct fib_commit c = {.f = f};
	struct rib_dest *e;
	bool objs = f->mode == FIB_MODE_NHOBJ;
	int rc = 0;

	if (!f->n_queue && !f->obj_check)
		return 0;
	if (f->mode == FIB_MODE_PLAT)
		c.batched = plat_batch_begin(f->plat) == 0;
	if (objs)
		fib_plan(f);
	for (size_t i = 0; i < f->n_queue && rc == 0; i++) {
		struct fib_route want;

		e = f->queue[i];
		if (fib_want(e, &want)) {
			if (fib_is(e, FIB_F_INSTALLED) && fib_route_equal(&e->fib_have, &want)) {
				/* Restart: the kernel already has it right; adopt it. */
				if (fib_is(e, FIB_F_STALE)) {
					fib_flag(e, FIB_F_STALE, false);
					f->st.stale--;
					f->st.adopted++;
				}
				if (fib_is(e, FIB_F_HAVE_OBJ) &&
				    nhset_of(e->fib_have.nh)->kstate == NHSET_K_STALE)
					nhset_of(e->fib_have.nh)->kstate = NHSET_K_IN;
				continue;
			}
			if (fib_is(e, FIB_F_INSTALLED) && e->fib_have.priority != want.priority) {
				/* The metric is part of the kernel's key: a replace
				 * would add a second route, so delete the old first. */
				rc = fib_route_op(&c, e, FIB_OP_DEL, &e->fib_have);
				fib_have_obj_clear(e);
				fib_flag(e, FIB_F_INSTALLED, false);
				fib_sync_failed(&c);
				if (rc < 0)
					break;
			}
			if (fib_is(e, FIB_F_INSTALLED))
				f->st.replaces++;
			else
				f->st.adds++;
			rc = fib_route_op(&c, e, FIB_OP_ADD, &want);
			fib_have_obj_clear(e);
			fib_route_take(&e->fib_have, want.type, want.priority, nhset_ref(want.nh),
			               want.n_nh);
			fib_flag(e, FIB_F_INSTALLED, true);
			fib_flag(e, FIB_F_FAILED, false);
			fib_have_obj_set(f, e);
			if (fib_is(e, FIB_F_STALE)) {
				fib_flag(e, FIB_F_STALE, false);
				f->st.stale--;
			}
			fib_sync_failed(&c);
		} else {
			struct nhset *s =
			        fib_is(e, FIB_F_HAVE_OBJ) ? nhset_of(e->fib_have.nh) : NULL;

			/* Before the sweep a stale route waits: the RIB may still be loading. */
			if (!fib_is(e, FIB_F_INSTALLED) || fib_is(e, FIB_F_STALE))
				continue;
			f->st.deletes++;
			if (s && (s->kbulk || (s->kgone && s->n == 1))) {
				/* Its object goes below (or went with its link), and the
				 * kernel takes the route with it. */
				f->st.bulk_withdrawn++;
				fib_have_obj_clear(e);
				fib_flag(e, FIB_F_INSTALLED, false);
				continue;
			}
			rc = fib_route_op(&c, e, FIB_OP_DEL, &e->fib_have);
			fib_have_obj_clear(e);
			fib_flag(e, FIB_F_INSTALLED, false);
			fib_sync_failed(&c);
		}
	}
	if (objs && rc == 0) {
		for (size_t i = 0; i < f->n_orphans && rc == 0; i++) {
			struct nhset tmp = {.kid = f->orphans[i]};

			/* Noted without an object: nothing of ours to update on failure. */
			rc = fib_nl_put(&c, NULL, FIB_OP_NH_DEL, RTM_DELNEXTHOP, 0, NULL, &tmp,
			                NULL, 0);
		}
		f->n_orphans = 0;
		if (rc == 0)
			rc = fib_objs_sweep(&c);
	}
	f->obj_check = false;
	if (rc < 0)
		log_warnx("fib: cannot queue a kernel request: %s", strerror(-rc));
	if (f->mode == FIB_MODE_PLAT && c.batched) {
		int brc = plat_batch_commit(f->plat, fib_batch_err, &c);

		f->st.batches++;
		if (brc < 0 && c.failures == 0) {
			log_warnx("fib: batch of %zu failed: %s", c.n, strerror(-brc));
			rc = brc;
		}
	} else if (f->mode != FIB_MODE_PLAT) {
		uint64_t before = nlw_datagrams(f->nl);
		int nrc = nlw_commit(f->nl, fib_batch_err, &c);

		f->st.batches++;
		f->st.datagrams += nlw_datagrams(f->nl) - before;
		if (nrc < 0 && c.failures == 0) {
			log_warnx("fib: batch of %zu failed: %s", c.n, strerror(-nrc));
			rc = nrc;
		}
	}
	if (rc < 0 && c.failures == 0) {
		/* Nothing is known to be in: retry them all next time. */
		for (size_t i = 0; i < c.n; i++)
			if (c.ops[i].op == FIB_OP_ADD) {
				struct rib_dest *fe = c.ops[i].obj;

				fib_have_obj_clear(fe);
				fib_flag(fe, FIB_F_INSTALLED, false);
			}
		c.failures = (int)c.n;
		f->st.errors++;
	}
	for (size_t i = 0; i < f->n_queue; i++) {
		e = f->queue[i];
		fib_flag(e, FIB_F_QUEUED, false);
		if (f->rib)
			rib_dest_release(f->rib, e); /* freed if neither the RIB nor we need it */
	}
	f->n_queue = 0;
	f->st.queued = 0;
	if (f->cap_queue > FIB_QUEUE_KEEP) {
		/* A big burst (a restart's sweep) leaves no big array behind. */
		free(f->queue);
		f->queue = NULL;
		f->cap_queue = 0;
	}
	if (objs)
		fib_do_puts(); /* deleted objects' references: sets may be freed now */
	free(c.ops);
	return c.failures;
}

static void fib_sweep_one(struct fib *f, struct rib_dest *e)
{
	if (fib_is(e, FIB_F_STALE)) {
		fib_flag(e, FIB_F_STALE, false);
		f->st.stale--;
		fib_queue(f, e);
	}
}

/* Stale objects become ordinary: the flush deletes those nobody uses. */
static void fib_sweep_obj(void *arg, struct nhset *s)
{
	(void)arg;
	if (s->kstate == NHSET_K_STALE)
		s->kstate = NHSET_K_IN;
}

int fib_sweep(struct fib *f)
{
	size_t before = f->st.deletes;
	int rc;

	f->swept = true;
	fib_each(f, fib_sweep_one);
	if (f->mode == FIB_MODE_NHOBJ) {
		nhset_foreach(fib_sweep_obj, NULL);
		f->obj_check = true;
	}
	rc = fib_flush(f);
	if (rc < 0)
		return rc;
	return (int)(f->st.deletes - before);
}

bool fib_swept(const struct fib *f)
{
	return f->swept;
}

struct fib_walk_ctx {
	fib_walk_fn fn;
	void *arg;
};

static int fib_walk_one(void *arg, struct rib_dest *e)
{
	struct fib_walk_ctx *w = arg;
	struct fib_route want;

	if (!fib_is(e, FIB_F_INSTALLED) && !fib_want(e, &want))
		return 0;
	return w->fn(w->arg, e);
}

int fib_walk(const struct fib *f, int family, fib_walk_fn fn, void *arg)
{
	struct fib_walk_ctx w = {.fn = fn, .arg = arg};

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	return f->rib ? rib_dest_walk(f->rib, family, fib_walk_one, &w) : 0;
}

static int fib_count_one(void *arg, struct rib_dest *e)
{
	*(size_t *)arg += fib_is(e, FIB_F_INSTALLED);
	return 0;
}

void fib_get_stats(const struct fib *f, struct fib_stats *out)
{
	*out = f->st;
	out->installed = 0;
	if (f->rib) {
		rib_dest_walk(f->rib, AF_INET, fib_count_one, &out->installed);
		rib_dest_walk(f->rib, AF_INET6, fib_count_one, &out->installed);
	}
}

size_t fib_memory(const struct fib *f)
{
	return sizeof(*f) + f->cap_queue * sizeof(f->queue[0]);
}
