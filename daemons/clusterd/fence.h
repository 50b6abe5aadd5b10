/*
 * clusterd's fence: the reths go down when clusterd dies without shutting down.
 *
 * A reth is a macvlan with the cluster's virtual MAC, admin up with the group's addresses on
 * the RG's primary (reth.c). If clusterd is killed (kill -9, a crash), nothing takes that
 * macvlan down, and once the peer declares this node lost and takes the group over, both
 * nodes answer ARP for the same addresses with the same MAC: two active reths. The fence is a
 * small child process forked at start-up that holds the read end of a pipe whose write end
 * only clusterd holds. When clusterd dies the kernel closes the write end; the child reads
 * EOF, sets every macvlan carrying this cluster's virtual-MAC prefix (00:10:db:ff:XY) admin
 * down, and exits. That happens within milliseconds, long before the peer's detection time,
 * so a dead clusterd never leaves an active reth behind, whether or not anything restarts it.
 * A restarted clusterd adopts the macvlan inactive and the engine decides (reth.c).
 *
 *     cl_fence_start(cluster_id);   // once, after the reth table exists
 *     cl_fence_stop();              // orderly shutdown: the child exits without acting
 */
#ifndef KEEL_CLUSTERD_FENCE_H
#define KEEL_CLUSTERD_FENCE_H

#include <stdbool.h>
#include <stdint.h>

/* 0, or -errno (no fence: the daemon still runs, the log says so). */
int cl_fence_start(uint8_t cluster_id);
void cl_fence_stop(void);
/* True when mac starts with the virtual-MAC prefix of cluster_id (00:10:db:ff:XY). Pure. */
bool cl_fence_mac_match(const uint8_t *mac, unsigned len, uint8_t cluster_id);

#endif
