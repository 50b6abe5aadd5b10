/*
 * ifd's control-socket methods: "show.interfaces" and the "interface.link"
 * event. Counters are read from the kernel at the time of the request, so a
 * show is never stale; addresses and flap history come from the table.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ifd/ifd.h"
#include "lib/log.h"
#include "lib/proto/ifd.pb-c.h"

/* Storage for one Interface message and everything it points to. */
struct ifd_if_msg {
	Keel__Ifd__Interface msg;
	Keel__Ifd__Counters counters;
	char mac[18];
	Keel__Ifd__Address **addr_ptrs;
	Keel__Ifd__Address *addrs;
	char (*prefixes)[INET6_ADDRSTRLEN + 4];
	char master[PLAT_IFNAMSIZ];
};

static void ifd_if_clear(struct ifd_if_msg *m)
{
	free(m->addr_ptrs);
	free(m->addrs);
	free(m->prefixes);
	m->addr_ptrs = NULL;
	m->addrs = NULL;
	m->prefixes = NULL;
}

static const char *ifd_scope_name(uint8_t scope)
{
	switch (scope) {
	case 0:
		return "global";
	case 200:
		return "site";
	case 253:
		return "link";
	case 254:
		return "host";
	}
	return "other";
}

static void ifd_if_fill(struct ifd *ifd, const struct plat_link *l, struct ifd_if_msg *m)
{
	struct ifd_iface *ifc = ifd_iface_find(ifd, l->ifindex);

	keel__ifd__interface__init(&m->msg);
	keel__ifd__counters__init(&m->counters);
	m->msg.name = (char *)l->name;
	m->msg.ifindex = (uint32_t)l->ifindex;
	m->msg.admin_up = l->admin_up;
	m->msg.oper_up = l->oper == PLAT_OPER_UP ||
	                 (l->oper == PLAT_OPER_UNKNOWN && l->carrier && l->admin_up);
	m->msg.mtu = l->mtu;
	m->msg.kind = (char *)l->kind;
	m->msg.description = (char *)l->alias;
	snprintf(m->mac, sizeof(m->mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
	         l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	m->msg.mac = l->has_mac ? m->mac : "";
	m->master[0] = '\0';
	if (l->master) {
		struct ifd_iface *br = ifd_iface_find(ifd, l->master);

		if (br)
			memcpy(m->master, br->name, sizeof(m->master));
	}
	m->msg.master = m->master;
	m->counters.in_octets = l->stats.rx_bytes;
	m->counters.in_pkts = l->stats.rx_packets;
	m->counters.in_errors = l->stats.rx_errors;
	m->counters.in_discards = l->stats.rx_dropped;
	m->counters.in_multicast_pkts = l->stats.multicast;
	m->counters.out_octets = l->stats.tx_bytes;
	m->counters.out_pkts = l->stats.tx_packets;
	m->counters.out_errors = l->stats.tx_errors;
	m->counters.out_discards = l->stats.tx_dropped;
	m->counters.carrier_transitions = l->stats.carrier_changes;
	m->msg.counters = &m->counters;
	m->msg.n_addresses = 0;
	if (!ifc)
		return;
	m->msg.last_change = ifc->last_change_ms;
	m->msg.flaps = ifc->flaps;
	if (!ifc->n_addrs)
		return;
	m->addr_ptrs = calloc(ifc->n_addrs, sizeof(*m->addr_ptrs));
	m->addrs = calloc(ifc->n_addrs, sizeof(*m->addrs));
	m->prefixes = calloc(ifc->n_addrs, sizeof(*m->prefixes));
	if (!m->addr_ptrs || !m->addrs || !m->prefixes) {
		ifd_if_clear(m);
		return;
	}
	m->msg.addresses = m->addr_ptrs;
	for (size_t k = 0; k < ifc->n_addrs; k++) {
		Keel__Ifd__Address *a = &m->addrs[k];

		keel__ifd__address__init(a);
		plat_prefix_str(&ifc->addrs[k].prefix, m->prefixes[k], sizeof(m->prefixes[k]));
		a->prefix = m->prefixes[k];
		a->family = ifc->addrs[k].prefix.ip.family == AF_INET6 ? 6 : 4;
		a->scope = (char *)ifd_scope_name(ifc->addrs[k].scope);
		m->addr_ptrs[m->msg.n_addresses++] = a;
	}
}

struct ifd_collect {
	struct plat_link *links;
	size_t n, cap;
	const char *only;
};

static int ifd_collect_link(void *arg, const struct plat_link *l)
{
	struct ifd_collect *c = arg;

	if (c->only && strcmp(c->only, l->name) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct plat_link *n = reallocarray(c->links, cap, sizeof(*n));

		if (!n)
			return -1;
		c->links = n;
		c->cap = cap;
	}
	c->links[c->n++] = *l;
	return 0;
}

static int ifd_link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plat_link *)a)->name, ((const struct plat_link *)b)->name);
}

static void ifd_show_interfaces(struct ctl_req *req, void *arg)
{
	struct ifd *ifd = ((struct daemon *)arg)->priv;
	Keel__Ifd__ShowInterfaces *q = NULL;
	struct ifd_collect c = {0};
	struct ifd_if_msg *m;
	int rc;

	if (req->payload_len) {
		q = keel__ifd__show_interfaces__unpack(NULL, req->payload_len, req->payload);
		if (!q) {
			ctl_error(req, CTL_ERR_INVALID, "show.interfaces: bad request");
			return;
		}
		if (q->name && *q->name)
			c.only = q->name;
	}
	rc = plat_link_list(ifd->plat, ifd_collect_link, &c);
	m = calloc(1, sizeof(*m));
	if (rc != 0 || !m) {
		ctl_error(req, CTL_ERR_FAILED, "cannot list links: %s",
		          rc ? plat_errmsg(ifd->plat) : "out of memory");
		goto out;
	}
	qsort(c.links, c.n, sizeof(c.links[0]), ifd_link_cmp);
	for (size_t i = 0; i < c.n; i++) {
		ifd_if_fill(ifd, &c.links[i], m);
		rc = ctl_reply(req, &m->msg.base);
		ifd_if_clear(m);
		if (rc < 0)
			break;
	}
	ctl_end(req);
out:
	free(m);
	free(c.links);
	if (q)
		keel__ifd__show_interfaces__free_unpacked(q, NULL);
}

void ifd_ctl_link_event(struct ifd *ifd, const struct plat_link *l, bool deleted)
{
	struct ifd_if_msg *m;

	if (!ifd->d->ctl || !ctl_server_has_subscribers(ifd->d->ctl, "interface.link"))
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	ifd_if_fill(ifd, l, m);
	m->msg.deleted = deleted;
	ctl_server_publish(ifd->d->ctl, "interface.link", &m->msg.base);
	ifd_if_clear(m);
	free(m);
}

const struct ctl_method ifd_ctl_methods[] = {
        {.name = "show.interfaces",
         .fn = ifd_show_interfaces,
         .help = "Interfaces: state, addresses, counters (ShowInterfaces -> Interface*)"},
};
const size_t ifd_ctl_n_methods = sizeof(ifd_ctl_methods) / sizeof(ifd_ctl_methods[0]);
