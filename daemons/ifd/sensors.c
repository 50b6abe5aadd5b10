/*
 * What ifd publishes on the node's bus, under OpenConfig interface paths:
 *   sensor "interfaces"        every sample interval: counters and state of
 *                              every link (split into messages of
 *                              IFD_SENSOR_LINKS_PER_MSG links, eom on the last)
 *   sensor "interfaces-state"  at once when a link's admin/oper state changes
 */
#include <string.h>

#include "daemons/ifd/ifd.h"
#include "lib/log.h"

#define IFD_SENSOR_LINKS_PER_MSG 64
#define IFD_PATH                 "/interfaces/interface[name=%s]/state/"

static const char *ifd_oper_status(const struct plat_link *l)
{
	if (l->oper == PLAT_OPER_UP || (l->oper == PLAT_OPER_UNKNOWN && l->carrier && l->admin_up))
		return "UP";
	if (l->oper == PLAT_OPER_LOWERLAYERDOWN)
		return "LOWER_LAYER_DOWN";
	if (l->oper == PLAT_OPER_DORMANT)
		return "DORMANT";
	if (l->oper == PLAT_OPER_NOTPRESENT)
		return "NOT_PRESENT";
	return "DOWN";
}

static void ifd_sensor_state(struct sensor_msg *m, const struct plat_link *l)
{
	sensor_msg_addf_str(m, l->admin_up ? "UP" : "DOWN", IFD_PATH "admin-status", l->name);
	sensor_msg_addf_str(m, ifd_oper_status(l), IFD_PATH "oper-status", l->name);
}

static void ifd_sensor_counters(struct sensor_msg *m, const struct plat_link *l)
{
	const struct plat_link_stats *s = &l->stats;

	ifd_sensor_state(m, l);
	sensor_msg_addf_u64(m, l->mtu, IFD_PATH "mtu", l->name);
	sensor_msg_addf_u64(m, (uint64_t)l->ifindex, IFD_PATH "ifindex", l->name);
	sensor_msg_addf_u64(m, s->rx_bytes, IFD_PATH "counters/in-octets", l->name);
	sensor_msg_addf_u64(m, s->rx_packets, IFD_PATH "counters/in-pkts", l->name);
	sensor_msg_addf_u64(m, s->rx_errors, IFD_PATH "counters/in-errors", l->name);
	sensor_msg_addf_u64(m, s->rx_dropped, IFD_PATH "counters/in-discards", l->name);
	sensor_msg_addf_u64(m, s->multicast, IFD_PATH "counters/in-multicast-pkts", l->name);
	sensor_msg_addf_u64(m, s->tx_bytes, IFD_PATH "counters/out-octets", l->name);
	sensor_msg_addf_u64(m, s->tx_packets, IFD_PATH "counters/out-pkts", l->name);
	sensor_msg_addf_u64(m, s->tx_errors, IFD_PATH "counters/out-errors", l->name);
	sensor_msg_addf_u64(m, s->tx_dropped, IFD_PATH "counters/out-discards", l->name);
	sensor_msg_addf_u64(m, s->carrier_changes, IFD_PATH "counters/carrier-transitions",
	                    l->name);
}

struct ifd_sample {
	struct ifd *ifd;
	struct sensor_msg *m;
	size_t links;
};

static int ifd_sample_link(void *arg, const struct plat_link *l)
{
	struct ifd_sample *s = arg;

	if (s->m && s->links == IFD_SENSOR_LINKS_PER_MSG) {
		sensor_publish(s->ifd->bus, s->m);
		s->m = NULL;
	}
	if (!s->m) {
		s->m = sensor_msg_new("interfaces");
		s->links = 0;
		if (!s->m)
			return -1;
	}
	ifd_sensor_counters(s->m, l);
	s->links++;
	return 0;
}

static void ifd_sample(void *arg)
{
	struct ifd *ifd = arg;
	struct ifd_sample s = {.ifd = ifd};

	timer_add_ms(&ifd->sample, ifd->sample_ms);
	if (plat_link_list(ifd->plat, ifd_sample_link, &s) != 0)
		log_warnx("sensor sample: cannot list links: %s", plat_errmsg(ifd->plat));
	if (s.m) {
		sensor_msg_set_eom(s.m, true);
		sensor_publish(ifd->bus, s.m);
	}
}

void ifd_sensors_link_changed(struct ifd *ifd, const struct plat_link *l)
{
	struct sensor_msg *m;

	if (!ifd->bus || !(m = sensor_msg_new("interfaces-state")))
		return;
	ifd_sensor_state(m, l);
	sensor_msg_addf_u64(m, wall_ms() * 1000000ull, IFD_PATH "last-change", l->name);
	sensor_publish(ifd->bus, m);
}

void ifd_sensors_start(struct ifd *ifd)
{
	ifd->bus = sensor_bus_open(ifd->d->base, "ifd");
	if (!ifd->bus) {
		log_warnx("no sensor bus: interface telemetry is off");
		return;
	}
	timer_init(&ifd->sample, ifd->d->base, ifd_sample, ifd);
	timer_add_ms(&ifd->sample, ifd->sample_ms);
}

void ifd_sensors_stop(struct ifd *ifd)
{
	if (!ifd->bus)
		return;
	timer_del(&ifd->sample);
	sensor_bus_close(ifd->bus);
	ifd->bus = NULL;
}
