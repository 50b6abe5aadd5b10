/*
 * Fuzz target: vland's parser of ovs-vswitchd's "fdb/show" text
 * (daemons/vland/fdb.c, vland_fdb_parse), on a NUL-terminated copy of the
 * input as the unixctl reply string is. Checks the invariants a row must
 * keep: VLAN 0..4095, a unicast-or-multicast MAC of 6 octets, a port that
 * is LOCAL, a number 0..65535, or a name that fits an interface name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/vland/vland.h"

struct count {
	size_t n, max;
};

static int check(void *arg, const struct vland_fdb_entry *e)
{
	struct count *c = arg;

	if (++c->n > c->max)
		abort(); /* every row needs at least "p 1 m a\n"-sized input */
	if (e->vlan > 4095 || e->ofport < -2 || e->ofport > 0xffff)
		abort();
	if (e->ofport == -1 && (!e->port_name[0] || !memchr(e->port_name, 0, sizeof(e->port_name))))
		abort();
	/* stop early sometimes: the caller's value must come back */
	return c->n == 1000 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct count c = {.max = size / 8 + 1};
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	r = vland_fdb_parse(text, check, &c);
	if (r != 0 && r != -EPROTO && r != 7)
		abort();
	free(text);
	return 0;
}
