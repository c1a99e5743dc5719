/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the benchmark's BPF programs (bench_progs.bpf.c) and its runner
 * (xdp_bench.cc) share: the layout of the packet template the restore
 * wrapper copies back before every iteration, and the tail-call slot.
 */
#ifndef SG_BENCH_SHARED_H
#define SG_BENCH_SHARED_H

#include "synguard/types.h"

/* Largest test packet: VLAN-free Ethernet + IPv6 + TCP with 40 option bytes fits. */
#define BENCH_MAX_PKT 256

/* Slot of the program under test in bench_target. */
#define BENCH_TARGET_SLOT 0

struct bench_tmpl {
	__u32 len; /* bytes of data[] that make the input packet */
	__u32 pad;
	__u8 data[BENCH_MAX_PKT];
};

#endif /* SG_BENCH_SHARED_H */
