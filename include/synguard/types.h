/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fixed-width types for the headers shared by the BPF programs and the C++
 * daemon. The BPF side gets __u8..__u64 from the generated vmlinux.h, which
 * every program includes first; the host side gets them from <linux/types.h>.
 * No other kernel type may appear in a shared header.
 */
#ifndef SYNGUARD_TYPES_H
#define SYNGUARD_TYPES_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

#ifndef SG_INLINE
#define SG_INLINE static inline __attribute__((always_inline))
#endif

/* Loops the BPF programs need unrolled (clang); the host compiler decides. */
#if defined(__clang__)
#define SG_UNROLL _Pragma("unroll")
#else
#define SG_UNROLL
#endif

#endif /* SYNGUARD_TYPES_H */
