// SPDX-License-Identifier: GPL-2.0-only
/*
 * synguard's XDP program: answers SYNs to protected ports with SYN cookies
 * and checks the cookie of the returning ACK, before the kernel allocates
 * anything. The packet path is in docs/design.md; the pieces live in
 * lib/ (parse, options, SYN+ACK writer, policy, verdict) and the cookie codec
 * in include/synguard/cookie.h, which the host tests run too.
 *
 * A SYN is answered only where the kernel would accept the handshake: to
 * this interface's MAC and one of the host's unicast addresses, from a
 * plausible unicast source, on a port with a listener (lib/policy.h). SYNs
 * in forms the program does not answer (first fragments, IPv6 extension
 * headers, more than one buffer) are dropped while their port is engaged,
 * so that they are no way around the protection (lib/parse.h); malformed
 * headers are passed to the kernel untouched, which drops them.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/policy.h"
#include "lib/synack.h"
#include "lib/syn_options.h"
#include "lib/tcp_options.h"
#include "lib/verdict.h"
#include "lib/bench_skip.h"

/* Fixed at load time by the loader. */
const volatile __u32 sg_handoff_mode = SG_HANDOFF_REQSK;

/* From the kernel's config (libbpf reads /proc/config.gz); 0 when unreadable. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/*
 * Our TSval, with the low six bits replaced by the options and never ahead
 * of its clock. kernel-cookie mode must use the kernel's own millisecond
 * clock (tcp_clock_ms): the socket has no timestamp offset, so its later
 * TSvals continue from that clock; the program's monotonic clock never runs
 * ahead of it. reqsk mode hands the kernel our TSval (the client's TSecr)
 * and the kernel derives the connection's offset from it, so any clock that
 * advances at about 1 kHz will do: 2^20 ns is a shift instead of a 64-bit
 * division on every SYN.
 */
SG_INLINE __u32 sg_synack_tsval(__u64 mono_ns, __u32 options)
{
	__u32 now = sg_handoff_mode == SG_HANDOFF_KERNEL_COOKIE ? (__u32)(mono_ns / 1000000)
								: (__u32)(mono_ns >> 20);
	__u32 ts = (now & ~SG_TS_OPT_MASK) | options;

	if (ts > now)
		ts -= SG_TS_OPT_MASK + 1;
	return ts;
}

/*
 * kernel-cookie mode: the listener's own syncookie for this SYN. The helper
 * wants the TCP header with a length equal to its data offset, and reads
 * only one option of it: the MSS (tcp_parse_mss_option). So it gets a copy
 * on the stack: the IP header's fixed part, the fixed TCP header, and the
 * MSS the parser already read as the one option. Every size is a constant
 * (20 or 24 for TCP): copies of the headers in place, whose length varies,
 * made the 6.1 and 6.12 verifiers walk the rest of the SYN path once per
 * length and give up at a million instructions.
 */
SG_INLINE int sg_kernel_cookie(const struct sg_pkt *p, const struct sg_syn_opts *o,
			       struct bpf_sock *listener, __u32 *cookie)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;
	struct {
		struct tcphdr th;
		__u8 kind;
		__u8 len;
		__be16 mss;
	} t;
	__u32 ip_len, th_len;
	__s64 ret;

	if (p->tuple.family == SG_AF_INET6) {
		if ((void *)(p->ip6 + 1) > p->data_end)
			return SG_R_PASS_MALFORMED;
		__builtin_memcpy(&ip.v6, p->ip6, sizeof(ip.v6));
		ip_len = sizeof(ip.v6);
	} else {
		if ((void *)(p->ip4 + 1) > p->data_end)
			return SG_R_PASS_MALFORMED;
		__builtin_memcpy(&ip.v4, p->ip4, sizeof(ip.v4));
		ip_len = sizeof(ip.v4);
	}
	if ((void *)(p->tcp + 1) > p->data_end)
		return SG_R_PASS_MALFORMED;
	__builtin_memcpy(&t.th, p->tcp, sizeof(t.th));
	t.kind = 2; /* MSS */
	t.len = 4;
	t.mss = bpf_htons(o->mss);
	th_len = o->mss ? sizeof(t) : sizeof(t.th);
	t.th.doff = th_len / 4;
	ret = bpf_tcp_gen_syncookie(listener, &ip, ip_len, &t.th, th_len);
	if (ret < 0)
		return SG_R_PASS_NO_KEY;
	*cookie = (__u32)ret;
	return -1;
}

/*
 * A frame in more than one buffer (xdp.frags, 5.18+). Kernels without
 * bpf_xdp_get_buff_len() have no multi-buffer XDP either: every frame is
 * one buffer there, and the check is left out when the program loads.
 */
SG_INLINE int sg_is_multi_buffer(struct xdp_md *ctx, const struct sg_pkt *p)
{
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		return 0;
	return bpf_xdp_get_buff_len(ctx) != (__u64)(p->data_end - p->data);
}

/*
 * What every SYN to a protected port meets first: it is counted (the
 * detector reads the rate), the denylist drops it engaged or not (the
 * operator's word), and it is the kernel's (pass_reason for "not engaged",
 * allow_reason for an allowlisted source) unless the port is engaged.
 * Returns a reason, or -1 to go on.
 */
SG_INLINE int sg_syn_gate(const struct sg_pkt *p, const struct sg_port *port,
			  const struct sg_config *cfg, struct sg_port_stats *stats, int pass_reason,
			  int allow_reason)
{
	__u32 list;

	if (stats)
		stats->syn++;
	list = cfg->flags & SG_CFG_LISTS ? sg_list_lookup(&p->tuple) : 0;
	if (list == SG_LIST_DENY)
		return SG_R_DROP_DENYLIST;
	if (!(port->flags & SG_PORT_ENGAGED))
		return pass_reason;
	if (list == SG_LIST_ALLOW)
		return allow_reason;
	return -1;
}

/*
 * A SYN (or what may be one: a first fragment too short to tell) in a form
 * the program does not answer (lib/parse.h): dropped while the port is
 * engaged, passed as before otherwise.
 */
SG_INLINE int sg_on_odd_syn(const struct sg_pkt *p, const struct sg_port *port,
			    const struct sg_config *cfg)
{
	int r = sg_syn_gate(p, port, cfg, sg_port_stats(port), p->odd_pass, p->odd_pass);

	return r >= 0 ? r : p->odd_drop;
}

/*
 * Why a SYN to a protected port is not ours to answer (a verdict), or -1:
 * the port's gate (engaged, lists), then what the kernel itself would refuse
 * (not this host's address, an implausible source), then a SYN that does
 * not fit in one buffer.
 */
SG_INLINE int sg_syn_refusal(struct xdp_md *ctx, const struct sg_pkt *p, const struct sg_port *port,
			     const struct sg_config *cfg, struct sg_port_stats *stats)
{
	int r;

	r = sg_syn_gate(p, port, cfg, stats, SG_R_PASS_NOT_ENGAGED, SG_R_PASS_ALLOWLIST);
	if (r >= 0)
		return r;
	r = SG_SKIPPED(SG_SKIP_LOCAL_CHECKS) ? -1 : sg_check_destination(p);
	if (r >= 0)
		return r;
	r = SG_SKIPPED(SG_SKIP_LOCAL_CHECKS) ? -1 : sg_check_source(p);
	if (r >= 0)
		return r;
	/*
	 * SYNs fit in one buffer; one that does not is not ours to rewrite,
	 * and no common client sends one (a TCP Fast Open SYN with more data
	 * than a page): dropped, as the kernel would answer it from its SYN
	 * queue.
	 */
	if (sg_is_multi_buffer(ctx, p))
		return SG_R_DROP_SYN_MULTIBUF;
	return -1;
}

/* The client's options, less those the server's sysctls turn off. */
SG_INLINE void sg_syn_offer(struct xdp_md *ctx, struct sg_pkt *p, const struct sg_config *cfg,
			    struct sg_syn_opts *o)
{
	if (SG_SKIPPED(SG_SKIP_OPTIONS))
		SG_BENCH_SYN_OPTS(o);
	else
		sg_syn_options(ctx, p, o);
	o->ecn_ok = (p->flags & (SG_TCP_ECE | SG_TCP_CWR)) == (SG_TCP_ECE | SG_TCP_CWR);
	/* Options the server's sysctls turn off are neither offered nor encoded. */
	if (cfg->flags & SG_CFG_NO_SACK)
		o->sack_ok = 0;
	if (cfg->flags & SG_CFG_NO_WSCALE)
		o->wscale_ok = 0;
	if (cfg->flags & SG_CFG_NO_TS)
		o->ts_ok = 0;
}

/*
 * The cookie (a->seq) for a SYN the kernel has no socket for: a verdict
 * when there is none to give, or -1. Releases sk.
 *
 * A SYN whose 4-tuple already has a socket is the kernel's to answer:
 * a TIME_WAIT socket may be reused (the kernel's RFC 6191 checks), an
 * established one gets a challenge ACK, a request socket its SYN+ACK
 * again. Answered with a cookie, the client's ACK would meet the
 * TIME_WAIT socket and the connection would hang. This costs one
 * socket lookup per SYN; a server that closes first keeps its
 * TIME_WAIT sockets for 60 s, and clients reuse ports within that.
 */
SG_INLINE int sg_syn_cookie(struct xdp_md *ctx, struct sg_pkt *p, const struct sg_config *cfg,
			    const struct sg_secrets *secrets, struct sg_syn_opts *o, __u32 isn,
			    __u64 mono_ns, struct sg_synack *a)
{
	struct bpf_sock_tuple bt = {};
	struct bpf_sock *sk;
	int r;

	sk = SG_SKIPPED(SG_SKIP_SOCKET_LOOKUP)
		     ? NULL
		     : bpf_skc_lookup_tcp(ctx, &bt, sg_sock_tuple(&p->tuple, &bt),
					  BPF_F_CURRENT_NETNS, 0);
	if (sk && sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return SG_R_PASS_SOCKET;
	}
	/*
	 * No listener on that address and port: the kernel answers RST, as
	 * without synguard. A SYN+ACK would show a port scan the port open and
	 * reset the client after its handshake.
	 */
	if (!sk && !SG_SKIPPED(SG_SKIP_SOCKET_LOOKUP | SG_SKIP_LISTENER_CHECK))
		return SG_R_PASS_NO_LISTENER;

	if (sg_handoff_mode == SG_HANDOFF_KERNEL_COOKIE) {
		if (!sk)
			return SG_R_PASS_NO_LISTENER;
		r = sg_kernel_cookie(p, o, sk, &a->seq);
		bpf_sk_release(sk);
		if (r >= 0)
			return r;
		/*
		 * The kernel's cookie keeps window scale and SACK only in the
		 * timestamp echo: without timestamps its socket has neither, so
		 * the SYN+ACK must not offer them (the kernel's own cookie
		 * SYN+ACK does not). Offering them anyway leaves the client
		 * scaling its window while the server does not.
		 */
		if (!o->ts_ok) {
			o->wscale_ok = 0;
			o->sack_ok = 0;
		}
		return -1;
	}
	if (sk)
		bpf_sk_release(sk);
	if (SG_SKIPPED(SG_SKIP_COOKIE_HASH))
		a->seq = SG_BENCH_SYN_COOKIE(isn);
	else if (sg_cookie_encode(secrets, cfg, &p->tuple, isn, o, mono_ns + cfg->clock_offset_ns,
				  &a->seq))
		return SG_R_PASS_NO_KEY;
	return -1;
}

/* Everything of the SYN+ACK but its cookie, from the offer and the config. */
SG_INLINE void sg_synack_fields(const struct sg_pkt *p, const struct sg_config *cfg,
				const struct sg_syn_opts *o, __u32 isn, __u64 mono_ns,
				struct sg_synack *a)
{
	a->ack = isn + 1;
	a->mss = p->tuple.family == SG_AF_INET6 ? cfg->server_mss_v6 : cfg->server_mss_v4;
	a->window = cfg->synack_window;
	a->wscale = cfg->server_wscale;
	a->ttl = cfg->ttl;
	a->ws = o->wscale_ok;
	a->sack = o->sack_ok;
	a->ts = o->ts_ok;
	/* ECN can only be carried back in the timestamp, as in the kernel. */
	a->ece = o->ecn_ok && o->ts_ok && (cfg->flags & SG_CFG_ECN);
	if (a->ts) {
		a->tsval = sg_synack_tsval(mono_ns, sg_ts_options(o, cfg->flags & SG_CFG_ECN));
		a->tsecr = o->tsval;
	}
}

SG_INLINE int sg_on_syn(struct xdp_md *ctx, struct sg_pkt *p, const struct sg_port *port,
			const struct sg_config *cfg, const struct sg_secrets *secrets)
{
	struct sg_port_stats *stats = SG_SKIPPED(SG_SKIP_COUNTERS) ? NULL : sg_port_stats(port);
	struct sg_syn_opts o = {};
	struct sg_synack a = {};
	__u64 mono_ns;
	__u32 isn;
	int r;

	r = sg_syn_refusal(ctx, p, port, cfg, stats);
	if (r >= 0)
		return r;
	sg_syn_offer(ctx, p, cfg, &o);
	isn = bpf_ntohl(p->tcp->seq);
	mono_ns = sg_mono_ns(cfg);
	r = sg_syn_cookie(ctx, p, cfg, secrets, &o, isn, mono_ns, &a);
	if (r >= 0)
		return r;
	sg_synack_fields(p, cfg, &o, isn, mono_ns, &a);
	r = SG_SKIPPED(SG_SKIP_SYNACK) ? 0 : sg_write_synack(ctx, p, &a);
	if (r > 0)
		return SG_R_PASS_ERROR;
	if (r < 0)
		return SG_R_DROP_ERROR;
	if (stats)
		stats->synack_sent++;
	return SG_R_TX_SYNACK;
}

/*
 * Leaves the TC program a word in the frame's metadata, so that it can let
 * established traffic through without a second socket lookup. Best effort:
 * without metadata support TC does the lookup itself.
 */
SG_INLINE void sg_mark_for_tc(struct xdp_md *ctx, __u32 kind)
{
	__u32 *meta;

	if (SG_SKIPPED(SG_SKIP_TC_MARK))
		return;
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return;
	*meta = SG_META_MAGIC | kind;
}

/* kernel-cookie mode: the kernel's own check of its cookie. Releases sk. */
SG_INLINE int sg_ack_kernel_cookie(const struct sg_pkt *p, struct bpf_sock *sk,
				   struct sg_port_stats *stats)
{
	long ret;

	/* The helper reads only the fixed TCP header: pass its size. */
	if (p->tuple.family == SG_AF_INET6)
		ret = bpf_tcp_check_syncookie(sk, p->ip6, sizeof(*p->ip6), p->tcp,
					      sizeof(struct tcphdr));
	else
		ret = bpf_tcp_check_syncookie(sk, p->ip4, sizeof(*p->ip4), p->tcp,
					      sizeof(struct tcphdr));
	bpf_sk_release(sk);
	if (ret) {
		if (stats)
			stats->ack_invalid++;
		return SG_R_DROP_KERNEL_COOKIE;
	}
	if (stats)
		stats->ack_valid++;
	return SG_R_PASS_COOKIE_VALID;
}

/* reqsk mode: our cookie, checked here; a valid one is marked for TC. */
SG_INLINE int sg_ack_own_cookie(struct xdp_md *ctx, const struct sg_pkt *p,
				const struct sg_config *cfg, const struct sg_secrets *secrets,
				struct sg_port_stats *stats)
{
	enum sg_cookie_result res;

	res = SG_SKIPPED(SG_SKIP_COOKIE_HASH)
		      ? SG_BENCH_COOKIE_RESULT
		      : sg_cookie_check(secrets, cfg, &p->tuple, bpf_ntohl(p->tcp->seq) - 1,
					bpf_ntohl(p->tcp->ack_seq) - 1, sg_now_ns(cfg));
	if (res != SG_COOKIE_VALID) {
		if (stats)
			stats->ack_invalid++;
		if (res == SG_COOKIE_EXPIRED)
			return SG_R_DROP_EXPIRED;
		if (res == SG_COOKIE_UNKNOWN_KEY)
			return SG_R_DROP_UNKNOWN_KEY;
		return SG_R_DROP_BAD_MAC;
	}
	if (stats)
		stats->ack_valid++;
	sg_mark_for_tc(ctx, SG_META_COOKIE);
	return SG_R_PASS_COOKIE_VALID;
}

SG_INLINE int sg_on_ack(struct xdp_md *ctx, struct sg_pkt *p, const struct sg_port *port,
			const struct sg_config *cfg, const struct sg_secrets *secrets)
{
	struct sg_port_stats *stats;
	struct bpf_sock_tuple bt = {};
	struct bpf_sock *sk;
	int r;

	/* Not engaged: the kernel sees every ACK; TC still hands off late cookies. */
	if (!(port->flags & SG_PORT_ENGAGED))
		return SG_R_PASS_NOT_ENGAGED;

	/* Established, time-wait and request sockets pass untouched. */
	sk = SG_SKIPPED(SG_SKIP_SOCKET_LOOKUP)
		     ? NULL
		     : bpf_skc_lookup_tcp(ctx, &bt, sg_sock_tuple(&p->tuple, &bt),
					  BPF_F_CURRENT_NETNS, 0);
	if (sk && sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		sg_mark_for_tc(ctx, SG_META_SOCKET);
		return SG_R_PASS_SOCKET;
	}

	/*
	 * Not this host's: forwarded traffic, or another host's frame on a
	 * bridge port. Its cookie is none of ours (a SYN to it was never
	 * answered), and dropping it would cut connections through a router.
	 */
	r = SG_SKIPPED(SG_SKIP_LOCAL_CHECKS) ? -1 : sg_check_destination(p);
	if (r >= 0) {
		if (sk)
			bpf_sk_release(sk);
		return r;
	}

	stats = SG_SKIPPED(SG_SKIP_COUNTERS) ? NULL : sg_port_stats(port);
	if (sg_handoff_mode == SG_HANDOFF_KERNEL_COOKIE) {
		if (!sk)
			return SG_R_PASS_NO_LISTENER;
		return sg_ack_kernel_cookie(p, sk, stats);
	}
	if (sk)
		bpf_sk_release(sk);
	return sg_ack_own_cookie(ctx, p, cfg, secrets, stats);
}

SG_INLINE int sg_classify(struct xdp_md *ctx)
{
	struct sg_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};
	const struct sg_secrets *secrets;
	const struct sg_config *cfg;
	struct sg_port *port;
	__u32 zero = 0;
	__u8 flags;
	int r;

	r = sg_parse(&p);
	if (r >= 0)
		return r;
	port = sg_port_lookup(p.tuple.dport);
	if (!port || !(port->flags & SG_PORT_PROTECTED))
		return r == SG_PARSE_ODD_SYN ? p.odd_pass : SG_R_PASS_UNPROTECTED;
	cfg = bpf_map_lookup_elem(&sg_config_map, &zero);
	secrets = bpf_map_lookup_elem(&sg_secrets_map, &zero);
	if (!cfg || !secrets)
		return SG_R_PASS_NO_KEY;
	if (r == SG_PARSE_ODD_SYN)
		return sg_on_odd_syn(&p, port, cfg);

	flags = p.flags & (SG_TCP_SYN | SG_TCP_ACK | SG_TCP_RST | SG_TCP_FIN);
	if (flags == SG_TCP_SYN)
		return sg_on_syn(ctx, &p, port, cfg, secrets);
	if ((flags & (SG_TCP_SYN | SG_TCP_ACK | SG_TCP_RST)) == SG_TCP_ACK)
		return sg_on_ack(ctx, &p, port, cfg, secrets);
	return SG_R_PASS_OTHER_FLAGS;
}

/*
 * SEC("xdp"), not "xdp.frags": the loader adds BPF_F_XDP_HAS_FRAGS where the
 * kernel has it (5.18+). libbpf adds the flag of an "xdp.frags" section at
 * load time whatever the loader says, and older kernels refuse the flag.
 */
SEC("xdp")
int synguard_xdp(struct xdp_md *ctx)
{
	return sg_xdp_verdict(sg_classify(ctx));
}

/* For the peer of a veth: native XDP_TX frames arrive only if it has a program. */
SEC("xdp")
int synguard_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/*
 * For the loader, never attached: run on a frame with BPF_PROG_TEST_RUN, it
 * writes one reading of each clock (struct sg_clock_sample), from which the
 * loader derives sg_config.jiffy_ns and jiffies_mono_ns.
 */
SEC("xdp")
int synguard_clock_probe(struct xdp_md *ctx)
{
	struct sg_clock_sample *s = (void *)(long)ctx->data;

	if ((void *)(s + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	s->mono_before_ns = bpf_ktime_get_ns();
	s->jiffies = bpf_jiffies64();
	s->mono_after_ns = bpf_ktime_get_ns();
	s->hz = CONFIG_HZ;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
