// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lab's program for the peer of a veth: native XDP_TX frames reach the
 * peer only if it has an XDP program too (an XDP_PASS one is enough).
 * Built twice: frags-aware (SEC "xdp.frags", needed for a 9000-byte MTU on
 * 5.18+) and plain (SG_PEER_PLAIN) for kernels that refuse the frags flag;
 * lab/peer_xdp.py takes the first that loads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifdef SG_PEER_PLAIN
#define SG_PEER_SEC "xdp"
#else
#define SG_PEER_SEC "xdp.frags"
#endif

SEC(SG_PEER_SEC)
int synguard_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
