/*
 * vland's Linux bridge back-end (lnx.c): the VLAN model applied through the
 * platform API (platform/platform.h), selected with KEEL_DATAPLANE=linux
 * (keel-node start NAME --dataplane linux, the default). Pure of the
 * daemon: it takes a struct plat, so tests drive it with a fake back-end.
 */
#ifndef KEEL_VLAND_LX_H
#define KEEL_VLAND_LX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/vland/vland.h"
#include "platform/platform.h"

/* Without VLAN filtering, VLAN N switches on plain bridge "keel<N>". */
#define VLAND_BRIDGE_PFX "keel"

/* What vland set on one port. */
struct vland_lx_port {
	char name[VLAN_IFNAMSIZ];
	uint16_t bridge; /* plain-bridge mode: the VLAN whose bridge it is in */
	bool locked;     /* IFLA_BRPORT_LOCKED set by vland */
	bool vlans_done; /* vlans[] is what the kernel holds */
	bool stale;      /* adopted from an earlier vland: its VLANs are unknown */
	size_t n_macs;   /* static FDB entries vland added (authorized MACs) */
	uint8_t (*macs)[6];
	size_t n_vlans;                 /* VLAN-filtering mode */
	struct plat_bridge_vlan *vlans; /* as last added */
};

struct vland_lx {
	int filtering;                 /* -1 not probed yet, 0 unavailable, 1 on */
	bool have_main;                /* VLAND_BRIDGE exists because of vland */
	bool adopted;                  /* bridges of an earlier vland were looked for */
	char nofilter[256];            /* the kernel's reason when filtering = 0 */
	char error[256];               /* the first thing the last apply could not do, "" none */
	char logged[2048];             /* reasons logged, one a line (each is logged once) */
	struct ovs_vlan_set bridges;   /* plain-bridge mode: VLANs with a bridge of vland's */
	struct ovs_vlan_set self_done; /* filtering mode: bridge self VLANs (IRBs) added */
	size_t n_ports;
	struct vland_lx_port *ports;
};

void vland_lx_init(struct vland_lx *lx);
void vland_lx_free(struct vland_lx *lx);
/* Makes the kernel match model m with the dynamic VLANs and port locks of
 * t, writing only what changed since the last call; an empty model removes
 * every bridge vland made and releases its ports. 0; -EAGAIN when a port's
 * device is missing (call again later); another -errno on a failed write.
 * What the kernel cannot do (no VLAN filtering, no 8021q) is not an error:
 * it is in lx->error, naming the kernel option, and logged once. */
int vland_lx_apply(struct vland_lx *lx, struct plat *p, const struct vlan_model *m,
                   const struct vland_auths *t);
/* A port's VLAN entries on the VLAN-aware bridge (access: the VLAN given,
 * PVID untagged; trunk: the native VLAN PVID untagged, then members as
 * tagged ranges). Returns how many were written (at most cap). */
size_t vland_lx_port_vlans(const struct vlan_port *p, uint16_t access, struct plat_bridge_vlan *out,
                           size_t cap);
/* "keel0" for vid 0, else "keel<vid>". */
void vland_lx_bridge_name(uint16_t vid, char *buf, size_t len);
/* The learned MACs of vland's bridges as vland_fdb_entry rows (ofport -1,
 * port_name set; VLAN from the entry or the plain bridge's VLAN). fn's
 * non-zero value stops the walk and is returned; or -errno. */
int vland_lx_fdb(const struct vland_lx *lx, struct plat *p,
                 int (*fn)(void *arg, const struct vland_fdb_entry *e), void *arg);

#endif
