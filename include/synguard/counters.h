/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every verdict of every program is counted by reason in one per-CPU array
 * indexed by enum sg_reason. The daemon sums the CPUs at scrape time; metric
 * label values are sg_reason_name() and sg_reason_verdict().
 */
#ifndef SYNGUARD_COUNTERS_H
#define SYNGUARD_COUNTERS_H

#include "types.h"

#define SG_REASONS(X)                                                                              \
	/* XDP: passed to the kernel untouched */                                                  \
	X(PASS_NOT_IP, "pass", "not_ip")                                                            \
	X(PASS_NOT_TCP, "pass", "not_tcp")                                                          \
	X(PASS_MALFORMED, "pass", "malformed")                                                      \
	X(PASS_FRAGMENT, "pass", "fragment")                                                        \
	X(PASS_IPV6_EXTHDR, "pass", "ipv6_extension_header")                                        \
	X(PASS_UNPROTECTED, "pass", "unprotected_port")                                             \
	X(PASS_NOT_ENGAGED, "pass", "not_engaged")                                                  \
	X(PASS_ALLOWLIST, "pass", "allowlist")                                                      \
	X(PASS_OTHER_FLAGS, "pass", "other_flags")                                                  \
	X(PASS_SOCKET, "pass", "existing_socket")                                                   \
	X(PASS_COOKIE_VALID, "pass", "cookie_valid")                                                \
	X(PASS_NO_LISTENER, "pass", "no_listener")                                                  \
	X(PASS_MULTIBUF, "pass", "multi_buffer")                                                    \
	X(PASS_NO_KEY, "pass", "no_cookie_source")                                                  \
	X(PASS_ERROR, "pass", "resize_failed")                                                      \
	X(PASS_NOT_OUR_MAC, "pass", "destination_mac_not_ours")                                     \
	X(PASS_DST_NOT_UNICAST, "pass", "destination_not_unicast")                                  \
	X(PASS_DST_NOT_LOCAL, "pass", "destination_not_local")                                      \
	/* XDP: answered */                                                                         \
	X(TX_SYNACK, "tx", "syncookie_synack")                                                      \
	/* XDP: dropped */                                                                          \
	X(DROP_DENYLIST, "drop", "denylist")                                                        \
	X(DROP_BAD_MAC, "drop", "cookie_bad_mac")                                                   \
	X(DROP_EXPIRED, "drop", "cookie_expired")                                                   \
	X(DROP_UNKNOWN_KEY, "drop", "cookie_unknown_key")                                           \
	X(DROP_KERNEL_COOKIE, "drop", "kernel_cookie_invalid")                                      \
	X(DROP_ERROR, "drop", "rewrite_failed")                                                     \
	X(DROP_SRC_NOT_UNICAST, "drop", "source_not_unicast")                                       \
	X(DROP_SRC_LOCAL, "drop", "source_is_local")                                                \
	X(DROP_SYN_FRAGMENT, "drop", "syn_fragment")                                                \
	X(DROP_SYN_EXTHDR, "drop", "syn_ipv6_extension_header")                                     \
	X(DROP_SYN_MULTIBUF, "drop", "syn_multi_buffer")                                            \
	/* TC ingress (reqsk): passed untouched, not the handoff's business */                     \
	X(TC_PASS_NOT_TCP, "pass", "not_plain_tcp")                                                 \
	X(TC_PASS_XDP_SOCKET, "pass", "existing_socket_xdp_mark")                                   \
	X(TC_PASS_OTHER_FLAGS, "pass", "other_flags")                                               \
	X(TC_PASS_UNPROTECTED, "pass", "unprotected_port")                                          \
	X(TC_PASS_NO_KEY, "pass", "no_cookie_source")                                               \
	/* TC ingress: ACKs to protected ports, what the handoff made of them */                   \
	X(HANDOFF_OK, "handoff", "ok")                                                              \
	X(HANDOFF_SOCKET, "pass", "existing_socket")                                                \
	X(HANDOFF_NO_LISTENER, "pass", "no_listener")                                               \
	X(HANDOFF_BAD_COOKIE, "pass", "bad_cookie")                                                 \
	X(HANDOFF_FAILED, "pass", "kfunc_failed")                                                   \
	X(HANDOFF_FORGED_ECHO, "drop", "forged_timestamp_echo")

enum sg_reason {
#define SG_REASON_ENUM(name, verdict, label) SG_R_##name,
	SG_REASONS(SG_REASON_ENUM)
#undef SG_REASON_ENUM
		SG_R_MAX
};

/*
 * Runs of the list. The XDP drop reasons are one run (bpf/lib/verdict.h).
 * The TC program's reasons come last, from SG_R_TC_FIRST on: its verdicts
 * are "pass", "handoff" (the ACK became a request socket) and "drop", the
 * drops one run (sg_tc_verdict in bpf/synguard_tc.bpf.c). From
 * SG_R_HANDOFF_FIRST on they are what the handoff made of an ACK to a
 * protected port (the metric synguard_handoffs_total).
 */
#define SG_R_DROP_FIRST	   SG_R_DROP_DENYLIST
#define SG_R_DROP_LAST	   SG_R_DROP_SYN_MULTIBUF
#define SG_R_TC_FIRST	   SG_R_TC_PASS_NOT_TCP
#define SG_R_HANDOFF_FIRST SG_R_HANDOFF_OK
#define SG_R_TC_DROP_FIRST SG_R_HANDOFF_FORGED_ECHO
#define SG_R_TC_DROP_LAST  SG_R_HANDOFF_FORGED_ECHO

#if !defined(__bpf__)
/* Label values for metrics and status; index with enum sg_reason. */
static const char *const sg_reason_names[SG_R_MAX] = {
#define SG_REASON_NAME(name, verdict, label) label,
	SG_REASONS(SG_REASON_NAME)
#undef SG_REASON_NAME
};

static const char *const sg_reason_verdicts[SG_R_MAX] = {
#define SG_REASON_VERDICT(name, verdict, label) verdict,
	SG_REASONS(SG_REASON_VERDICT)
#undef SG_REASON_VERDICT
};

/* "xdp" or "tc": which program counts reason r. */
static inline const char *sg_reason_program(unsigned int r)
{
	return r >= SG_R_TC_FIRST ? "tc" : "xdp";
}
#endif

#endif /* SYNGUARD_COUNTERS_H */
