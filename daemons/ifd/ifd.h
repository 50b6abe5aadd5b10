/*
 * ifd — interfaces daemon (Junos dcd's role). Its own types.
 */
#ifndef KEEL_IFD_H
#define KEEL_IFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/sensor.h"
#include "platform/platform.h"

#define IFD_SAMPLE_MS_DEFAULT 10000 /* counters to the bus every 10 s */

struct ifd_addr {
	struct plat_prefix prefix;
	uint8_t scope;
	bool seen; /* resync mark */
};

/* What ifd knows of one link beyond what the kernel reports at any moment:
 * its addresses (kept current by the monitor), and its flap history. */
struct ifd_iface {
	int ifindex;
	char name[PLAT_IFNAMSIZ];
	bool admin_up;
	bool oper_up;
	bool seen;               /* resync mark */
	uint64_t last_change_ms; /* wall clock, 0 = none seen */
	uint64_t flaps;
	struct ifd_addr *addrs;
	size_t n_addrs, cap_addrs;
};

/* config.c: one interface of the `interfaces` config, as ifd applies it. */
struct ifd_want {
	char name[PLAT_IFNAMSIZ];
	char desc[PLAT_ALIASSIZ]; /* ifalias */
	bool has_desc;
	bool disable;              /* admin down; configured without it = up */
	uint32_t mtu;              /* 0 = not configured: the kernel's value stays */
	struct plat_prefix *addrs; /* unit 0, family inet and inet6 */
	size_t n_addrs;
};

struct ifd_conf {
	struct ifd_want *ifs; /* reth*, fab*, irb are left out (not ifd's) */
	size_t n;
};

/* The kernel's side, in plat structs: the links the config names that
 * exist, and their addresses. */
struct ifd_kstate {
	struct plat_link *links;
	size_t n_links;
	struct plat_addr *addrs;
	size_t n_addrs;
};

/* In execution order for one interface. */
enum ifd_act_type {
	IFD_ACT_ADDR_DEL,
	IFD_ACT_MTU,
	IFD_ACT_ALIAS,
	IFD_ACT_ADDR_ADD,
	IFD_ACT_ADMIN,
};

struct ifd_act {
	enum ifd_act_type type;
	int ifindex;
	char ifname[PLAT_IFNAMSIZ];
	bool up;                       /* IFD_ACT_ADMIN */
	uint32_t mtu, old_mtu;         /* IFD_ACT_MTU */
	char alias[PLAT_ALIASSIZ];     /* IFD_ACT_ALIAS; "" clears */
	char old_alias[PLAT_ALIASSIZ]; /* for the log */
	struct plat_prefix prefix;     /* IFD_ACT_ADDR_* */
};

struct ifd_plan {
	struct ifd_act *acts;
	size_t n, cap;
};

struct ifd {
	struct daemon *d;
	struct plat *plat;
	struct plat_monitor *mon;
	struct sensor_bus *bus;
	struct timer sample;
	uint64_t sample_ms;
	bool resyncing;
	struct ifd_iface *ifs;
	size_t n_ifs, cap_ifs;
	struct ifd_conf conf; /* last applied config */
	bool have_conf;
};

/* iface.c: the table the monitor keeps current */
struct ifd_iface *ifd_iface_find(struct ifd *ifd, int ifindex);
struct ifd_iface *ifd_iface_find_name(struct ifd *ifd, const char *name);
extern const struct plat_monitor_cbs ifd_monitor_cbs;
void ifd_iface_free_all(struct ifd *ifd);

/* config.c: parse, plan (pure), execute; and the daemon's cfg hooks */
int ifd_conf_parse(struct json_object *cfg, struct ifd_conf *out, char *err, size_t errlen);
void ifd_conf_free(struct ifd_conf *c);
const struct ifd_want *ifd_conf_find(const struct ifd_conf *c, const char *name);
/* false for reth<N>, fab<N> and irb: clusterd's and vland's interfaces. */
bool ifd_config_owned(const char *name);
/*
 * Appends to `plan` what turns the kernel state `k` from `old` to `cur`;
 * `only` limits it to one interface name (NULL: all). old == NULL asserts
 * every attribute of `cur` (link appeared, resync). Nothing for an
 * attribute the kernel already has. 0 or -ENOMEM.
 */
int ifd_plan_build(const struct ifd_conf *old, const struct ifd_conf *cur,
                   const struct ifd_kstate *k, const char *only, struct ifd_plan *plan);
void ifd_plan_free(struct ifd_plan *plan);
const char *ifd_act_type_name(enum ifd_act_type t);
/* Reads the links named in old / cur (filtered by only) and their addresses. */
int ifd_kstate_load(struct plat *plat, const struct ifd_conf *old, const struct ifd_conf *cur,
                    const char *only, struct ifd_kstate *k);
void ifd_kstate_free(struct ifd_kstate *k);
/* Executes a plan in one batch. -1 with err naming each failed interface. */
int ifd_plan_exec(struct plat *plat, const struct ifd_plan *plan, char *err, size_t errlen);
extern const struct cfg_ops ifd_cfg_ops;
/* Asserts the applied config on link `name` (NULL: every link) again. */
void ifd_config_reapply(struct ifd *ifd, const char *name);
void ifd_config_free(struct ifd *ifd);

/* ctl.c */
extern const struct ctl_method ifd_ctl_methods[];
extern const size_t ifd_ctl_n_methods;
/* Tells subscribers of "interface.link" about a link (deleted = it is gone). */
void ifd_ctl_link_event(struct ifd *ifd, const struct plat_link *l, bool deleted);

/* sensors.c */
void ifd_sensors_start(struct ifd *ifd);
void ifd_sensors_link_changed(struct ifd *ifd, const struct plat_link *l);
void ifd_sensors_stop(struct ifd *ifd);

#endif
