/*
 * The FIB (see fib.h): one entry per destination the kernel holds for us
 * or that we want there, in a Patricia trie per family, plus a queue of
 * entries whose kernel state may have to change. fib_flush() turns the
 * queue into one platform batch (replace for add/change, delete for
 * withdraw) so that thousands of changes cost a few sends.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/ribd/fib.h"
#include "daemons/ribd/lpm.h"
#include "lib/log.h"

struct fib {
	struct plat *plat;
	uint8_t protocol;
	struct lpm *t4, *t6;
	struct fib_entry *queue;
	bool swept;
	uint32_t gen;
	struct fib_stats st;
};

static struct lpm *fib_tree(const struct fib *f, int family)
{
	return family == AF_INET ? f->t4 : family == AF_INET6 ? f->t6 : NULL;
}

struct fib *fib_new(struct plat *p, uint8_t protocol)
{
	struct fib *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->plat = p;
	f->protocol = protocol;
	f->t4 = lpm_new(32);
	f->t6 = lpm_new(128);
	if (!f->t4 || !f->t6) {
		fib_free(f);
		return NULL;
	}
	return f;
}

static void fib_entry_free(struct fib_entry *e)
{
	free(e->have.nh);
	free(e->want.nh);
	free(e);
}

static int fib_free_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	(void)arg;
	(void)addr;
	(void)plen;
	fib_entry_free(value);
	return 0;
}

void fib_free(struct fib *f)
{
	if (!f)
		return;
	if (f->t4)
		lpm_walk(f->t4, NULL, 0, fib_free_one, NULL);
	if (f->t6)
		lpm_walk(f->t6, NULL, 0, fib_free_one, NULL);
	lpm_free(f->t4);
	lpm_free(f->t6);
	free(f);
}

static struct fib_entry *fib_entry_get(struct fib *f, const struct plat_prefix *p, bool create)
{
	struct lpm *t = fib_tree(f, p->ip.family);
	struct fib_entry *e;
	int err;

	if (!t || p->len > lpm_maxbits(t))
		return NULL;
	e = lpm_exact(t, p->ip.bytes, p->len);
	if (e || !create)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pfx = *p;
	lpm_insert(t, p->ip.bytes, p->len, e, &err);
	if (err) {
		free(e);
		return NULL;
	}
	return e;
}

static void fib_queue(struct fib *f, struct fib_entry *e)
{
	if (e->queued)
		return;
	e->queued = true;
	e->queue_next = f->queue;
	f->queue = e;
	f->st.queued++;
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

static int fib_route_set(struct fib_route *r, enum rib_type type, uint32_t priority,
                         const struct rib_nh *nh, size_t n)
{
	struct rib_nh *copy = NULL;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, nh, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), fib_nh_cmp);
	}
	free(r->nh);
	r->nh = copy;
	r->n_nh = (uint8_t)n;
	r->type = type;
	r->priority = priority;
	return 0;
}

static bool fib_route_equal(const struct fib_route *a, const struct fib_route *b)
{
	if (a->type != b->type || a->priority != b->priority || a->n_nh != b->n_nh)
		return false;
	for (size_t i = 0; i < a->n_nh; i++)
		if (fib_nh_cmp(&a->nh[i], &b->nh[i]) != 0)
			return false;
	return true;
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

void fib_kernel_seen(struct fib *f, const struct plat_route *r)
{
	struct rib_nh nh[PLAT_MAX_NEXTHOPS];
	enum rib_type type = RIB_TYPE_UNICAST;
	struct fib_entry *e;
	size_t n = 0;

	if (!fib_ours(f, r))
		return;
	e = fib_entry_get(f, &r->dst, true);
	if (!e)
		return;
	e->gen = f->gen;
	if (e->installed)
		return; /* known (the echo of our own change) */
	if (r->type == RTN_BLACKHOLE)
		type = RIB_TYPE_DISCARD;
	else if (r->type == RTN_UNREACHABLE || r->type == RTN_PROHIBIT)
		type = RIB_TYPE_REJECT;
	for (size_t i = 0; type == RIB_TYPE_UNICAST && i < r->n_nh && i < PLAT_MAX_NEXTHOPS; i++) {
		nh[n].gw = r->nh[i].gw;
		nh[n++].ifindex = r->nh[i].ifindex;
	}
	if (fib_route_set(&e->have, type, r->priority, nh, n) < 0)
		return;
	e->installed = true;
	if (!f->swept) {
		e->stale = true;
		f->st.stale++;
	} else {
		/* Appeared after the sweep: keep it only if wanted. */
		fib_queue(f, e);
	}
}

void fib_resync_begin(struct fib *f)
{
	f->gen++;
}

static int fib_resync_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct fib *f = arg;
	struct fib_entry *e = value;

	(void)addr;
	(void)plen;
	if (e->installed && e->gen != f->gen) {
		/* Gone while notifications were lost: put it back if wanted. */
		e->installed = false;
		if (e->stale) {
			e->stale = false;
			f->st.stale--;
		}
		fib_queue(f, e);
	}
	return 0;
}

void fib_resync_end(struct fib *f)
{
	lpm_walk(f->t4, NULL, 0, fib_resync_one, f);
	lpm_walk(f->t6, NULL, 0, fib_resync_one, f);
}

void fib_kernel_gone(struct fib *f, const struct plat_route *r)
{
	struct fib_entry *e;

	if (!fib_ours(f, r) || !(e = fib_entry_get(f, &r->dst, false)) || !e->installed)
		return;
	e->installed = false;
	if (e->stale) {
		e->stale = false;
		f->st.stale--;
	}
	fib_queue(f, e);
}

void fib_rib_changed(void *arg, const struct rib_dest *d)
{
	struct fib *f = arg;
	const struct rib_route *b = d->best;
	struct fib_entry *e;
	bool want = b && b->proto == RIB_PROTO_STATIC;

	/* Another program's route for the same destination is never touched. */
	for (const struct rib_route *rt = d->routes; want && rt; rt = rt->next)
		if (rt->proto == RIB_PROTO_KERNEL)
			want = false;
	e = fib_entry_get(f, &d->pfx, want);
	if (!e)
		return;
	if (want && fib_route_set(&e->want, b->type, b->pref, b->res, b->n_res) < 0) {
		log_warnx("fib: out of memory");
		want = false;
	}
	e->wanted = want;
	fib_queue(f, e);
}

enum fib_op { FIB_OP_ADD, FIB_OP_DEL };

struct fib_pending {
	struct fib_entry *e;
	enum fib_op op;
};

struct fib_commit {
	struct fib *f;
	struct fib_pending *ops;
	size_t n, cap;
	int failures;
};

static void fib_op_failed(struct fib_commit *c, size_t i, int err, const char *msg)
{
	struct fib_entry *e = c->ops[i].e;
	char buf[64];

	if (c->ops[i].op == FIB_OP_DEL && (err == -ESRCH || err == -ENOENT))
		return; /* already gone: the kernel flushes routes of a downed link */
	c->failures++;
	c->f->st.errors++;
	log_warnx("fib: %s %s: %s%s%s", c->ops[i].op == FIB_OP_ADD ? "install" : "delete",
	          plat_prefix_str(&e->pfx, buf, sizeof(buf)), strerror(-err),
	          msg && *msg ? ": " : "", msg ? msg : "");
	if (c->ops[i].op == FIB_OP_ADD) {
		e->installed = false;
		e->failed = true;
	}
}

static void fib_batch_err(void *arg, size_t index, int err, const char *errmsg)
{
	struct fib_commit *c = arg;

	if (index < c->n)
		fib_op_failed(c, index, err, errmsg);
}

/* Sends (or queues in the batch) one operation; c->ops has room for two per entry. */
static int fib_op_queue(struct fib *f, struct fib_commit *c, struct fib_entry *e, enum fib_op op,
                        const struct plat_route *pr, bool batched)
{
	int rc;

	if (c->n >= c->cap)
		return -ENOSPC;
	c->ops[c->n].e = e;
	c->ops[c->n].op = op;
	rc = op == FIB_OP_ADD ? plat_route_add(f->plat, pr, true) : plat_route_del(f->plat, pr);
	if (!batched && rc < 0)
		fib_op_failed(c, c->n, rc, plat_errmsg(f->plat));
	c->n++;
	return 0;
}

int fib_flush(struct fib *f)
{
	struct fib_commit c = {.f = f};
	struct fib_entry *e, *next;
	size_t cap = f->st.queued;
	bool batched;
	int rc;

	if (!f->queue)
		return 0;
	c.cap = 2 * cap + 2;
	c.ops = calloc(c.cap, sizeof(*c.ops));
	if (!c.ops)
		return -ENOMEM;
	batched = plat_batch_begin(f->plat) == 0;
	for (e = f->queue; e; e = e->queue_next) {
		struct plat_route pr;
		enum fib_op op;

		if (e->wanted) {
			if (e->installed && fib_route_equal(&e->have, &e->want)) {
				/* Restart: the kernel already has it right; adopt it. */
				if (e->stale) {
					e->stale = false;
					f->st.stale--;
					f->st.adopted++;
				}
				continue;
			}
			if (e->installed && e->have.priority != e->want.priority) {
				/* The metric is part of the kernel's key: a replace
				 * would add a second route, so delete the old first. */
				fib_to_plat(&e->pfx, &e->have, f->protocol, &pr);
				if (fib_op_queue(f, &c, e, FIB_OP_DEL, &pr, batched) < 0)
					break;
				e->installed = false;
			}
			op = FIB_OP_ADD;
			fib_to_plat(&e->pfx, &e->want, f->protocol, &pr);
			if (e->installed)
				f->st.replaces++;
			else
				f->st.adds++;
			fib_route_set(&e->have, e->want.type, e->want.priority, e->want.nh,
			              e->want.n_nh);
			e->installed = true;
			e->failed = false;
			if (e->stale) {
				e->stale = false;
				f->st.stale--;
			}
		} else {
			/* Before the sweep a stale route waits: the RIB may still be loading. */
			if (!e->installed || e->stale)
				continue;
			op = FIB_OP_DEL;
			fib_to_plat(&e->pfx, &e->have, f->protocol, &pr);
			e->installed = false;
			f->st.deletes++;
		}
		if (fib_op_queue(f, &c, e, op, &pr, batched) < 0)
			break;
	}
	if (batched) {
		rc = plat_batch_commit(f->plat, fib_batch_err, &c);
		f->st.batches++;
		if (rc < 0 && c.failures == 0) {
			log_warnx("fib: batch of %zu failed: %s", c.n, strerror(-rc));
			/* Nothing is known to be in: retry them all next time. */
			for (size_t i = 0; i < c.n; i++)
				if (c.ops[i].op == FIB_OP_ADD)
					c.ops[i].e->installed = false;
			c.failures = (int)c.n;
			f->st.errors++;
		}
	}
	for (e = f->queue; e; e = next) {
		next = e->queue_next;
		e->queued = false;
		e->queue_next = NULL;
		if (!e->installed && !e->wanted && !e->stale) {
			lpm_delete(fib_tree(f, e->pfx.ip.family), e->pfx.ip.bytes, e->pfx.len);
			fib_entry_free(e);
		}
	}
	f->queue = NULL;
	f->st.queued = 0;
	free(c.ops);
	return c.failures;
}

static int fib_sweep_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct fib *f = arg;
	struct fib_entry *e = value;

	(void)addr;
	(void)plen;
	if (e->stale) {
		e->stale = false;
		f->st.stale--;
		fib_queue(f, e);
	}
	return 0;
}

int fib_sweep(struct fib *f)
{
	size_t before = f->st.deletes;
	int rc;

	f->swept = true;
	lpm_walk(f->t4, NULL, 0, fib_sweep_one, f);
	lpm_walk(f->t6, NULL, 0, fib_sweep_one, f);
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

static int fib_walk_one(void *arg, const uint8_t *addr, unsigned plen, void *value)
{
	struct fib_walk_ctx *w = arg;

	(void)addr;
	(void)plen;
	return w->fn(w->arg, value);
}

int fib_walk(const struct fib *f, int family, fib_walk_fn fn, void *arg)
{
	struct lpm *t = fib_tree(f, family);
	struct fib_walk_ctx w = {.fn = fn, .arg = arg};

	if (!t)
		return -EINVAL;
	return lpm_walk(t, NULL, 0, fib_walk_one, &w);
}

static int fib_count_one(void *arg, const struct fib_entry *e)
{
	struct fib_stats *s = arg;

	s->installed += e->installed;
	return 0;
}

void fib_get_stats(const struct fib *f, struct fib_stats *out)
{
	*out = f->st;
	out->installed = 0;
	fib_walk(f, AF_INET, fib_count_one, out);
	fib_walk(f, AF_INET6, fib_count_one, out);
}
