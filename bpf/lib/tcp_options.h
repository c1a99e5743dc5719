/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF side of the TCP option readers in include/synguard/tcp_options.h:
 * the fast word reader first, and when it gives up, the general walk driven
 * by bpf_loop() with one option per step, which keeps the verifier's work
 * constant whatever the option count. Kernels before 5.17 have no
 * bpf_loop(): the object built with SG_NO_BPF_LOOP (synguard_xdp_compat)
 * walks them in a bounded loop inside a global function instead.
 */
#ifndef SG_BPF_TCP_OPTIONS_H
#define SG_BPF_TCP_OPTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

#ifdef SG_NO_BPF_LOOP
/*
 * The general walk without bpf_loop(): a global function, which the
 * verifier checks once on its own, with its arguments unknown, rather than
 * once per path of its caller (inlined, the 40 steps times the paths before
 * and after them exceed the verifier's budget). Before 5.12 a global
 * function takes only the context and scalars and returns a scalar, so it
 * finds the options again from ctx->data (opts_off bytes in, opts_len
 * long) and returns what it read packed in 64 bits (SG_OPTS_PACK_*). The
 * TSecr is left out: only the SYN path runs this, and a SYN's is unused.
 */
#define SG_OPTS_PACK_MSS_SHIFT	  32
#define SG_OPTS_PACK_WSCALE_SHIFT 48
#define SG_OPTS_PACK_WSCALE_OK	  (1ull << 56)
#define SG_OPTS_PACK_SACK_OK	  (1ull << 57)
#define SG_OPTS_PACK_TS_OK	  (1ull << 58)

__noinline __u64 sg_tcp_options_walk(struct xdp_md *ctx, __u32 opts_off, __u32 opts_len)
{
	struct sg_syn_opts o = {};
	struct sg_opt_walk w = {
		.data_end = (void *)(long)ctx->data_end,
		.off = 0,
		.len = opts_len,
		.out = &o,
		.tsecr = 0,
	};
	int i;

	/* Ethernet, two tags, IPv4 with options and TCP end within 256 bytes. */
	w.opts = (__u8 *)(long)ctx->data + (opts_off & 0xff);
	for (i = 0; i < SG_TCP_MAX_OPTLEN; i++)
		if (sg_tcp_option_step(&w))
			break;
	return (__u64)o.tsval | (__u64)o.mss << SG_OPTS_PACK_MSS_SHIFT |
	       (__u64)o.wscale << SG_OPTS_PACK_WSCALE_SHIFT |
	       (o.wscale_ok ? SG_OPTS_PACK_WSCALE_OK : 0) | (o.sack_ok ? SG_OPTS_PACK_SACK_OK : 0) |
	       (o.ts_ok ? SG_OPTS_PACK_TS_OK : 0);
}

SG_INLINE void sg_tcp_options_unpack(__u64 v, struct sg_syn_opts *out)
{
	out->tsval = (__u32)v;
	out->mss = (__u16)(v >> SG_OPTS_PACK_MSS_SHIFT);
	out->wscale = (__u8)(v >> SG_OPTS_PACK_WSCALE_SHIFT);
	out->wscale_ok = !!(v & SG_OPTS_PACK_WSCALE_OK);
	out->sack_ok = !!(v & SG_OPTS_PACK_SACK_OK);
	out->ts_ok = !!(v & SG_OPTS_PACK_TS_OK);
}
#else
static long sg_opt_step(__u32 index, void *ctx)
{
	return sg_tcp_option_step(ctx);
}
#endif

/*
 * Fills *out from the options of th (tcp_len bytes, already bounds-checked
 * by the parser; *out zeroed by the caller) and returns the TSecr (0 without
 * timestamps; always 0 from the compat walk). data is the frame's start
 * and ctx its context (for the compat walk).
 */
SG_INLINE __u32 sg_parse_tcp_options(void *ctx, void *data, struct tcphdr *th, __u32 tcp_len,
				     void *data_end, struct sg_syn_opts *out)
{
	struct sg_opt_walk w = {
		.opts = (__u8 *)(th + 1),
		.data_end = data_end,
		.off = 0,
		.len = tcp_len - sizeof(*th),
		.out = out,
		.tsecr = 0,
	};

	if (w.len == 0)
		return 0;
	if (sg_tcp_options_fast(&w))
		return w.tsecr;
	__builtin_memset(out, 0, sizeof(*out));
#ifdef SG_NO_BPF_LOOP
	sg_tcp_options_unpack(sg_tcp_options_walk(ctx, (__u32)((void *)w.opts - data), w.len), out);
	return 0;
#else
	w.tsecr = 0;
	bpf_loop(SG_TCP_MAX_OPTLEN, sg_opt_step, &w, 0);
	return w.tsecr;
#endif
}

#endif /* SG_BPF_TCP_OPTIONS_H */
