/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF side of the TCP option readers in include/synguard/tcp_options.h:
 * the fast word reader first, and when it gives up, the general walk driven
 * by bpf_loop() with one option per step, which keeps the verifier's work
 * constant whatever the option count.
 */
#ifndef SG_BPF_TCP_OPTIONS_H
#define SG_BPF_TCP_OPTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

static long sg_opt_step(__u32 index, void *ctx)
{
	return sg_tcp_option_step(ctx);
}

/*
 * Fills *out from the options of th (tcp_len bytes, already bounds-checked
 * by the parser; *out zeroed by the caller) and returns the TSecr (0 without
 * timestamps).
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
	bpf_loop(SG_TCP_MAX_OPTLEN, sg_opt_step, &w, 0);
	return w.tsecr;
}

#endif /* SG_BPF_TCP_OPTIONS_H */
