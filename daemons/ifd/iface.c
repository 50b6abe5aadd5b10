/*
 * The interface table, kept current by the platform monitor. A resync marks
 * every entry, the monitor reports all that exist, and the end of the resync
 * sweeps what was not reported (netlink lost notifications: ENOBUFS).
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/ifd/ifd.h"
#include "lib/log.h"

struct ifd_iface *ifd_iface_find(struct ifd *ifd, int ifindex)
{
	for (size_t i = 0; i < ifd->n_ifs; i++)
		if (ifd->ifs[i].ifindex == ifindex)
			return &ifd->ifs[i];
	return NULL;
}

struct ifd_iface *ifd_iface_find_name(struct ifd *ifd, const char *name)
{
	for (size_t i = 0; i < ifd->n_ifs; i++)
		if (strcmp(ifd->ifs[i].name, name) == 0)
			return &ifd->ifs[i];
	return NULL;
}

static struct ifd_iface *ifd_iface_add(struct ifd *ifd, int ifindex)
{
	struct ifd_iface *ifc;

	if (ifd->n_ifs == ifd->cap_ifs) {
		size_t cap = ifd->cap_ifs ? ifd->cap_ifs * 2 : 16;
		struct ifd_iface *n = reallocarray(ifd->ifs, cap, sizeof(*n));

		if (!n)
			return NULL;
		ifd->ifs = n;
		ifd->cap_ifs = cap;
	}
	ifc = &ifd->ifs[ifd->n_ifs++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = ifindex;
	return ifc;
}

static void ifd_iface_remove(struct ifd *ifd, struct ifd_iface *ifc)
{
	free(ifc->addrs);
	*ifc = ifd->ifs[--ifd->n_ifs];
}

void ifd_iface_free_all(struct ifd *ifd)
{
	for (size_t i = 0; i < ifd->n_ifs; i++)
		free(ifd->ifs[i].addrs);
	free(ifd->ifs);
	ifd->ifs = NULL;
	ifd->n_ifs = ifd->cap_ifs = 0;
}

static void ifd_resync_begin(void *arg)
{
	struct ifd *ifd = arg;

	ifd->resyncing = true;
	for (size_t i = 0; i < ifd->n_ifs; i++) {
		ifd->ifs[i].seen = false;
		for (size_t k = 0; k < ifd->ifs[i].n_addrs; k++)
			ifd->ifs[i].addrs[k].seen = false;
	}
}

static void ifd_resync_end(void *arg)
{
	struct ifd *ifd = arg;

	for (size_t i = 0; i < ifd->n_ifs;) {
		struct ifd_iface *ifc = &ifd->ifs[i];

		if (!ifc->seen) {
			struct plat_link gone = {.ifindex = ifc->ifindex};

			memcpy(gone.name, ifc->name, sizeof(gone.name));
			log_info("%s: gone (found in resync)", ifc->name);
			ifd_ctl_link_event(ifd, &gone, true);
			ifd_iface_remove(ifd, ifc);
			continue;
		}
		for (size_t k = 0; k < ifc->n_addrs;) {
			if (!ifc->addrs[k].seen)
				ifc->addrs[k] = ifc->addrs[--ifc->n_addrs];
			else
				k++;
		}
		i++;
	}
	ifd->resyncing = false;
	/* Notifications were lost (or this is the start): whatever happened
	 * to the links meanwhile, assert the config again. Writes nothing
	 * where the kernel already matches. */
	ifd_config_reapply(ifd, NULL);
}

static void ifd_link(void *arg, enum plat_ev ev, const struct plat_link *l, unsigned changes)
{
	struct ifd *ifd = arg;
	struct ifd_iface *ifc = ifd_iface_find(ifd, l->ifindex);
	bool came_up = ifc && !ifc->admin_up && l->admin_up;
	bool oper_up = l->oper == PLAT_OPER_UP ||
	               (l->oper == PLAT_OPER_UNKNOWN && l->carrier && l->admin_up);

	if (ev == PLAT_EV_DEL) {
		if (ifc) {
			log_info("%s: removed", ifc->name);
			ifd_ctl_link_event(ifd, l, true);
			ifd_iface_remove(ifd, ifc);
		}
		return;
	}
	if (!ifc) {
		ifc = ifd_iface_add(ifd, l->ifindex);
		if (!ifc) {
			log_warn("%s: no memory for the interface table", l->name);
			return;
		}
		ifc->admin_up = l->admin_up;
		ifc->oper_up = oper_up;
		log_debug("%s: ifindex %d, %s", l->name, l->ifindex, oper_up ? "up" : "down");
	} else if (ifc->oper_up != oper_up || ifc->admin_up != l->admin_up) {
		if (ifc->oper_up != oper_up) {
			ifc->flaps++;
			ifc->last_change_ms = wall_ms();
		}
		log_info("%s: admin %s, link %s", l->name, l->admin_up ? "up" : "down",
		         oper_up ? "up" : "down");
		ifc->admin_up = l->admin_up;
		ifc->oper_up = oper_up;
		ifd_ctl_link_event(ifd, l, false);
		ifd_sensors_link_changed(ifd, l);
	} else if (changes & PLAT_LINK_CHG_NAME) {
		ifd_ctl_link_event(ifd, l, false);
	}
	ifc->seen = true;
	memcpy(ifc->name, l->name, sizeof(ifc->name));
	if ((changes & PLAT_LINK_CHG_ADDED) && !ifd->resyncing)
		ifd_ctl_link_event(ifd, l, false);
	/* A configured link that appears (hot-plug, a veth created late, a
	 * rename to a configured name) gets its config now; during a resync
	 * resync_end does it for all links at once. */
	if ((changes & (PLAT_LINK_CHG_ADDED | PLAT_LINK_CHG_NAME)) && !ifd->resyncing)
		ifd_config_reapply(ifd, l->name);
	/* Linux flushed its IPv6 addresses when it went down; whoever brought
	 * it up, they come back. */
	else if (came_up && !ifd->resyncing)
		ifd_config_reapply(ifd, l->name);
}

static void ifd_addr(void *arg, enum plat_ev ev, const struct plat_addr *a)
{
	struct ifd *ifd = arg;
	struct ifd_iface *ifc = ifd_iface_find(ifd, a->ifindex);
	size_t k;

	if (!ifc)
		return; /* the link report comes first; a resync repairs any race */
	for (k = 0; k < ifc->n_addrs; k++) {
		struct plat_prefix *p = &ifc->addrs[k].prefix;

		if (p->len == a->prefix.len && plat_ip_equal(&p->ip, &a->prefix.ip))
			break;
	}
	if (ev == PLAT_EV_DEL) {
		if (k < ifc->n_addrs)
			ifc->addrs[k] = ifc->addrs[--ifc->n_addrs];
		return;
	}
	if (k == ifc->n_addrs) {
		if (ifc->n_addrs == ifc->cap_addrs) {
			size_t cap = ifc->cap_addrs ? ifc->cap_addrs * 2 : 4;
			struct ifd_addr *n = reallocarray(ifc->addrs, cap, sizeof(*n));

			if (!n)
				return;
			ifc->addrs = n;
			ifc->cap_addrs = cap;
		}
		ifc->n_addrs++;
	}
	ifc->addrs[k].prefix = a->prefix;
	ifc->addrs[k].scope = a->scope;
	ifc->addrs[k].seen = true;
}

const struct plat_monitor_cbs ifd_monitor_cbs = {
        .resync_begin = ifd_resync_begin,
        .resync_end = ifd_resync_end,
        .link = ifd_link,
        .addr = ifd_addr,
};
