// SPDX-License-Identifier: GPL-2.0-only
/*
 * Programs for the per-packet benchmark (tests/bench/xdp_bench.cc).
 *
 * BPF_PROG_TEST_RUN with repeat runs the program again on the buffer the
 * previous iteration left behind, which a responder has already turned into
 * a SYN+ACK. bench_restore therefore copies the case's input packet back from
 * a map before every iteration and tail-calls the program under test. The
 * runner also measures bench_restore tail-calling bench_drop and subtracts
 * that, so only the program under test is counted. bench_drop run on its own
 * is the floor: what running any XDP program at all costs.
 *
 * Every program is xdp.frags: a PROG_ARRAY only takes programs whose frags
 * flag matches that of its first user, and synguard_xdp is frags-aware.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bench_shared.h"
#include "ref_responder.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_tmpl);
} bench_tmpl_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

SEC("xdp.frags")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/*
 * Restores the template and hands over. Failures return XDP_ABORTED, which
 * no case expects, so the runner notices a broken restore as a wrong verdict.
 */
SEC("xdp.frags")
int bench_restore(struct xdp_md *ctx)
{
	__u32 zero = 0, len, cur;
	struct bench_tmpl *t;

	t = bpf_map_lookup_elem(&bench_tmpl_map, &zero);
	if (!t)
		return XDP_ABORTED;
	len = t->len;
	if (len < 14 || len > BENCH_MAX_PKT)
		return XDP_ABORTED;
	cur = ctx->data_end - ctx->data;
	/* Most cases leave the length alone: skip the helper then. */
	if (len != cur && bpf_xdp_adjust_tail(ctx, (int)len - (int)cur))
		return XDP_ABORTED;
	/* One helper call copies the whole packet; no per-byte loop to verify. */
	if (bpf_xdp_store_bytes(ctx, 0, t->data, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_target, BENCH_TARGET_SLOT);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
