/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF side of the TCP option readers in include/synguard/tcp_options.h:
 * the fast word reader first, and when it gives up, the general walk driven
 * by bpf_loop() with one option per step, which keeps the verifier's work
 * constant whatever the option count. Kernels before 5.17 have no
 * bpf_loop(): the object built with SG_NO_BPF_LOOP (synguard_xdp_compat)
 * walks them in a bounded loop instead.
 */
#ifndef SG_BPF_TCP_OPTIONS_H
#define SG_BPF_TCP_OPTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

#ifndef SG_NO_BPF_LOOP
static long sg_opt_step(__u32 index, void *ctx)
{
	return sg_tcp_option_step(ctx);
}
#endif

/*
 * The general walk of w's options from its start: bpf_loop() where the
 * kernel has it (5.17), else a bounded loop (the compat build), which is
 * only ever verified inside sg_syn_options_read's global function.
 */
SG_INLINE void sg_tcp_options_walk(struct sg_opt_walk *w)
{
#ifdef SG_NO_BPF_LOOP
	int i;

	for (i = 0; i < SG_TCP_MAX_OPTLEN; i++)
		if (sg_tcp_option_step(w))
			break;
#else
	bpf_loop(SG_TCP_MAX_OPTLEN, sg_opt_step, w, 0);
#endif
}

/*
 * Fills *out from the options of th (tcp_len bytes, already bounds-checked
 * by the parser; *out zeroed by the caller) and returns the TSecr (0 without
 * timestamps). For the TC program's ACKs; XDP's SYNs use syn_options.h.
 */
SG_INLINE __u32 sg_parse_tcp_options(struct tcphdr *th, __u32 tcp_len, void *data_end,
				     struct sg_syn_opts *out)
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
	w.tsecr = 0;
	sg_tcp_options_walk(&w);
	return w.tsecr;
}

#endif /* SG_BPF_TCP_OPTIONS_H */
