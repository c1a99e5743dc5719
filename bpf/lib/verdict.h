/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one exit of the XDP program: every verdict is counted by its reason,
 * and the reason alone decides the action, so no drop goes uncounted.
 */
#ifndef SG_BPF_VERDICT_H
#define SG_BPF_VERDICT_H

#include "vmlinux.h"
#include "maps.h"
#include "bench_skip.h"

SG_INLINE int sg_xdp_verdict(enum sg_reason reason)
{
	if (!SG_SKIPPED(SG_SKIP_COUNTERS))
		sg_count(reason);
	if (reason == SG_R_TX_SYNACK)
		return XDP_TX;
	if (reason >= SG_R_DROP_FIRST && reason <= SG_R_DROP_LAST)
		return XDP_DROP;
	return XDP_PASS;
}

#endif /* SG_BPF_VERDICT_H */
