/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The options of a SYN, for the XDP program: read in a global function.
 *
 * The verifier checks a global function once, on its own, with its
 * arguments unknown; an inlined reader is checked again for every path
 * that reaches it (each VLAN depth, IP version and header length), and
 * each of its own paths leaves other known values behind (which options
 * were seen) for the rest of the SYN path. The 6.1 verifier gave up at a
 * million instructions that way, and without bpf_loop() (5.10) the walk
 * alone exceeds it. Before 5.12 a global function takes only the context
 * and scalars and returns a scalar: it finds the options again from
 * ctx->data (opts_off bytes in, opts_len long) and returns what it read
 * packed in 64 bits. The TSecr is left out: a SYN's is unused.
 */
#ifndef SG_BPF_SYN_OPTIONS_H
#define SG_BPF_SYN_OPTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"
#include "tcp_options.h"

#define SG_OPTS_PACK_MSS_SHIFT	  32
#define SG_OPTS_PACK_WSCALE_SHIFT 48
#define SG_OPTS_PACK_WSCALE_OK	  56
#define SG_OPTS_PACK_SACK_OK	  57
#define SG_OPTS_PACK_TS_OK	  58

__noinline __u64 sg_syn_options_read(struct xdp_md *ctx, __u32 opts_off, __u32 opts_len)
{
	struct sg_syn_opts o = {};
	struct sg_opt_walk w = {
		.data_end = (void *)(long)ctx->data_end,
		.off = 0,
		.len = opts_len > SG_TCP_MAX_OPTLEN ? SG_TCP_MAX_OPTLEN : opts_len,
		.out = &o,
		.tsecr = 0,
	};

	/* Ethernet, two tags, IPv4 with options and TCP end within 256 bytes. */
	w.opts = (__u8 *)(long)ctx->data + (opts_off & 0xff);
	if (w.len && !sg_tcp_options_fast(&w)) {
		__builtin_memset(&o, 0, sizeof(o));
		sg_tcp_options_walk(&w);
	}
	return (__u64)o.tsval | (__u64)o.mss << SG_OPTS_PACK_MSS_SHIFT |
	       (__u64)o.wscale << SG_OPTS_PACK_WSCALE_SHIFT |
	       (__u64)(o.wscale_ok & 1) << SG_OPTS_PACK_WSCALE_OK |
	       (__u64)(o.sack_ok & 1) << SG_OPTS_PACK_SACK_OK |
	       (__u64)(o.ts_ok & 1) << SG_OPTS_PACK_TS_OK;
}

/*
 * The SYN's options into *out (ecn_ok is the caller's). Shifts and masks,
 * no branches: each field is one unknown value for the verifier, not one
 * path per value.
 */
SG_INLINE void sg_syn_options(struct xdp_md *ctx, const struct sg_pkt *p, struct sg_syn_opts *out)
{
	__u64 v = sg_syn_options_read(ctx, (__u32)((void *)(p->tcp + 1) - p->data),
				      p->tcp_len - sizeof(struct tcphdr));

	out->tsval = (__u32)v;
	out->mss = (__u16)(v >> SG_OPTS_PACK_MSS_SHIFT);
	out->wscale = (__u8)(v >> SG_OPTS_PACK_WSCALE_SHIFT);
	out->wscale_ok = (v >> SG_OPTS_PACK_WSCALE_OK) & 1;
	out->sack_ok = (v >> SG_OPTS_PACK_SACK_OK) & 1;
	out->ts_ok = (v >> SG_OPTS_PACK_TS_OK) & 1;
}

#endif /* SG_BPF_SYN_OPTIONS_H */
