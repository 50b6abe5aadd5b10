/*
 * Fuzz target: nhobj_parse() (daemons/ribd/nhobj.c), what ribd runs on every
 * RTM_NEWNEXTHOP message of the start-up nexthop dump. Checks, for every
 * input: an accepted message has a nonzero id, at most RIB_MAX_NH group
 * members, and a single nexthop re-encodes (nhobj_enc_nexthop) to a message
 * that parses to the same id, gateway and interface.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ribd/nhobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhobj_kern k, k2;
	uint8_t buf[256];
	ssize_t len;

	if (nhobj_parse(data, size, &k) != 0)
		return 0;
	if (k.id == 0 || k.n_group > RIB_MAX_NH || (k.is_group && k.n_group == 0))
		abort();
	if (k.is_group || k.blackhole)
		return 0;
	len = nhobj_enc_nexthop(buf, sizeof(buf), 0, 1, k.id, k.protocol, &k.nh);
	if (len <= 0 || nhobj_parse(buf, (size_t)len, &k2) != 0 || k2.id != k.id ||
	    k2.nh.ifindex != k.nh.ifindex || !plat_ip_equal(&k2.nh.gw, &k.nh.gw))
		abort();
	return 0;
}
