/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Stages of the XDP program that xdp_bench --breakdown takes out, one build
 * per set (tests/bench/CMakeLists.txt builds synguard_xdp.bpf.c again with
 * -DSG_BENCH_SKIP=<mask>), to measure what each costs. The production build
 * leaves SG_BENCH_SKIP at 0: every SG_SKIPPED() is a constant 0 and the
 * compiler folds the guards away, so the daemon's program is unchanged.
 *
 * A stage taken out keeps the verdict of the bench's packets, so that the
 * rest of the path runs as it would:
 *   SG_SKIP_OPTIONS         the SYN's options are not read: the options of
 *                           the bench's Linux SYN are set instead
 *                           (SG_BENCH_SYN_OPTS)
 *   SG_SKIP_LOCAL_CHECKS    the destination and source checks (our MAC, a
 *                           local unicast destination, a plausible source)
 *                           are not made: as if they passed
 *   SG_SKIP_LISTENER_CHECK  no check that the port has a listener on that
 *                           address: as if it had one
 *   SG_SKIP_SOCKET_LOOKUP   no look for a live 4-tuple (the socket lookup,
 *                           or what replaces it for TIME_WAIT): as if there
 *                           were none
 *   SG_SKIP_COOKIE_HASH     SYN: no cookie computed (SG_BENCH_SYN_COOKIE);
 *                           ACK: no cookie check, its result forced to
 *                           SG_BENCH_COOKIE_RESULT (the bench loads such a
 *                           build once per verdict it measures)
 *   SG_SKIP_CSUM            the SYN+ACK's IPv4 and TCP checksums are not
 *                           computed (left as they are)
 *   SG_SKIP_SYNACK          the SYN+ACK is not written at all: the SYN goes
 *                           back as it came, with XDP_TX
 *   SG_SKIP_TC_MARK         no metadata word for the TC program
 *   SG_SKIP_COUNTERS        neither the reason counter nor the port's stats
 *                           are incremented
 * Builds with stages out are for BPF_PROG_TEST_RUN only: they answer SYNs
 * they should not, with SYN+ACKs that are wrong.
 */
#ifndef SG_BPF_BENCH_SKIP_H
#define SG_BPF_BENCH_SKIP_H

#ifndef SG_BENCH_SKIP
#define SG_BENCH_SKIP 0
#endif

#define SG_SKIP_OPTIONS	       (1u << 0)
#define SG_SKIP_LOCAL_CHECKS   (1u << 1)
#define SG_SKIP_LISTENER_CHECK (1u << 2)
#define SG_SKIP_SOCKET_LOOKUP  (1u << 3)
#define SG_SKIP_COOKIE_HASH    (1u << 4)
#define SG_SKIP_CSUM	       (1u << 5)
#define SG_SKIP_SYNACK	       (1u << 6)
#define SG_SKIP_TC_MARK	       (1u << 7)
#define SG_SKIP_COUNTERS       (1u << 8)

/* 1 where the build takes stage bit out; a constant the compiler folds. */
#define SG_SKIPPED(bit) ((SG_BENCH_SKIP & (bit)) != 0)

/* SG_SKIP_OPTIONS: what sg_syn_options() reads of the bench's Linux SYN. */
#define SG_BENCH_SYN_OPTS(o)                                                                       \
	do {                                                                                       \
		(o)->mss = 1460;                                                                   \
		(o)->wscale = 7;                                                                   \
		(o)->wscale_ok = 1;                                                                \
		(o)->sack_ok = 1;                                                                  \
		(o)->ts_ok = 1;                                                                    \
		(o)->tsval = 0x00a1b2c3;                                                           \
	} while (0)

/* SG_SKIP_COOKIE_HASH, SYN: a sequence number that costs nothing. */
#define SG_BENCH_SYN_COOKIE(isn) ((__u32)(isn) ^ 0x5ca1ab1eu)

#if SG_BENCH_SKIP
/*
 * SG_SKIP_COOKIE_HASH, ACK: the cookie check's result (an enum
 * sg_cookie_result), set by the bench before it loads the build. Read-only
 * data: the verifier sees the value and prunes the other branches.
 */
const volatile __u32 sg_bench_cookie_result = 0;
#define SG_BENCH_COOKIE_RESULT ((enum sg_cookie_result)sg_bench_cookie_result)
#else
#define SG_BENCH_COOKIE_RESULT SG_COOKIE_VALID
#endif

#endif /* SG_BPF_BENCH_SKIP_H */
