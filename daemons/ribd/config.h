/*
 * ribd's config: the `routing-options` subtree (yang/keel-routing-options.yang)
 * turned into RIB static routes, and applied to the RIB as a diff.
 */
#ifndef KEEL_RIBD_CONFIG_H
#define KEEL_RIBD_CONFIG_H

#include <json-c/json.h>

#include "daemons/ribd/rib.h"

/*
 * One RIB static route: a prefix at one preference. A configured route
 * gives one of these for its own preference (next-hop, discard, reject) and
 * one per other preference its qualified-next-hops name (floating statics);
 * qualified next hops at the route's preference join its ECMP set.
 */
struct ribd_static {
	struct plat_prefix pfx; /* host bits cleared */
	uint32_t pref, metric;
	enum rib_type type;
	bool resolve;
	size_t n_nh;
	struct rib_nh nh[RIB_MAX_NH];
};

/*
 * bfd-liveness-detection of a route's next hops (or of one qualified next
 * hop): one BFD session per distinct entry. A tracked next hop in
 * ribd_static.nh carries track = index + 1 into ribd_conf.bfd; bfd.c maps
 * these to its session ids before the config is applied.
 */
struct ribd_bfd_cfg {
	struct plat_ip peer;  /* `neighbor`, else the gateway */
	struct plat_ip local; /* family 0: any; multihop (RFC 5883) needs it */
	uint32_t tx_ms, rx_ms;
	uint32_t mult;
	uint32_t holddown_ms; /* Up this long before the next hop is used again */
	uint32_t tx_threshold_ms, detect_threshold_ms; /* bfdd logs when exceeded; 0 = none */
	uint32_t echo_ms; /* echo-interval; 0 = off; single hop only (bfd.c, RFC 5883 §3) */
	char auth_algorithm[32];
	char key_chain[64];
};

#define RIBD_BFD_MAX 65535 /* distinct bfd-liveness-detection entries (rib_nh.track) */

struct ribd_conf {
	struct ribd_static *routes;
	size_t n, cap;
	struct ribd_bfd_cfg *bfd;
	size_t n_bfd, cap_bfd;
	/* Open-addressing index of routes by (prefix, preference): slot = route
	 * index + 1, 0 = empty; idx_cap is a power of two >= 2 n. Keeps parsing
	 * and applying a config linear in the number of routes. */
	uint32_t *idx;
	size_t idx_cap;
};

/* Interface name -> ifindex (0 if absent), for interface next hops. */
typedef int (*ribd_ifindex_fn)(void *arg, const char *name);

/* Pure: RFC 7951 JSON (the daemon's whole config, {} when empty) -> conf.
 * 0, or -1 with a message naming the route. */
int ribd_conf_parse(struct json_object *cfg, ribd_ifindex_fn ifindex, void *arg,
                    struct ribd_conf *out, char *err, size_t errlen);
void ribd_conf_free(struct ribd_conf *c);
/* Removes what old had and new lacks, sets everything in new (unchanged
 * routes are no-ops in the RIB, so nothing they carry moves). Returns the
 * number of RIB errors. */
int ribd_conf_apply(struct rib *rib, const struct ribd_conf *old, const struct ribd_conf *new);

#endif
