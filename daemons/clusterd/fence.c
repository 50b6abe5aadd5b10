/*
 * The fence (fence.h has why). The child never touches clusterd's state: after fork it keeps
 * only the pipe, waits for EOF, then talks to the kernel through a netlink socket of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <sys/prctl.h>

#include "daemons/clusterd/fence.h"
#include "daemons/clusterd/reth.h"
#include "lib/log.h"

#define FENCE_QUIT 'Q' /* written by an orderly shutdown: nothing to do */

static int fence_wfd = -1;

bool cl_fence_mac_match(const uint8_t *mac, unsigned len, uint8_t cluster_id)
{
	uint8_t v[6];

	if (!mac || len != 6)
		return false;
	reth_vmac(cluster_id, 0, v);
	return memcmp(mac, v, 5) == 0; /* every reth index of this cluster */
}

/* In the child: every up macvlan of this cluster goes admin down. */
static void fence_act(uint8_t cluster_id)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;

	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
		goto out;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct nl_addr *a = rtnl_link_get_addr(l);
		const char *kind = rtnl_link_get_type(l);

		if (!kind || strcmp(kind, "macvlan") != 0 || !a ||
		    !(rtnl_link_get_flags(l) & IFF_UP))
			continue;
		if (!cl_fence_mac_match(nl_addr_get_binary_addr(a), nl_addr_get_len(a), cluster_id))
			continue;
		struct rtnl_link *chg = rtnl_link_alloc();
		if (!chg)
			continue;
		rtnl_link_unset_flags(chg, IFF_UP);
		rtnl_link_change(sk, l, chg, 0);
		rtnl_link_put(chg);
	}
out:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
}

/* In the child: the pipe's read end is fd 3. */
static void fence_child(uint8_t cluster_id)
{
	char c = 0;
	ssize_t n;

	/* Stop signals are for clusterd; the fence leaves when clusterd's end closes. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGWINCH, SIG_IGN);
	prctl(PR_SET_NAME, "clusterd-fence", 0, 0, 0);
	closefrom(4); /* ctl, netlink and packet sockets are clusterd's, not ours */
	do
		n = read(3, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		fence_act(cluster_id);
	_exit(0);
}

int cl_fence_start(uint8_t cluster_id)
{
	int p[2];
	pid_t pid;

	if (fence_wfd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		if (dup2(p[0], 3) < 0)
			_exit(1);
		fence_child(cluster_id);
	}
	close(p[0]);
	fence_wfd = p[1];
	log_info("fence: pid %d takes the reths down if clusterd dies", (int)pid);
	return 0;
}

void cl_fence_stop(void)
{
	char q = FENCE_QUIT;

	if (fence_wfd < 0)
		return;
	if (write(fence_wfd, &q, 1) < 0)
		log_warn("fence: quit");
	close(fence_wfd);
	fence_wfd = -1;
}
