// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flood benchmark's XDP floor (flood_bench.py, defense "xdp-drop"):
 * every frame the server's interface receives is dropped in XDP, attached
 * in the same mode as synguard. What is left is what the lab costs an XDP
 * program that does nothing: the generator, the bridge, the veth's NAPI
 * poll. Not a defense: the real clients cannot connect either.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sg_bench_xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
