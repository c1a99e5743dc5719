/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Turns a parsed SYN into our SYN+ACK, in place: MAC addresses, IP addresses
 * and ports swapped, VLAN tags kept, IPv4 options stripped, TCP options as
 * the client offered them (MSS always; SACK-permitted, timestamps and window
 * scale only when offered), full IPv4 and TCP checksums (XDP_TX has no
 * offload). Every input is read into registers/stack before the first byte
 * of the packet is rewritten.
 */
#ifndef SG_BPF_SYNACK_H
#define SG_BPF_SYNACK_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"
#include "csum.h"
#include "bench_skip.h"
#include "parse.h"

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif

/* What the SYN+ACK says, decided by the caller. */
struct sg_synack {
	__u32 seq;     /* the cookie */
	__u32 ack;     /* client ISN + 1 */
	__u32 tsval;   /* valid with ts */
	__u32 tsecr;
	__u16 mss;     /* our MSS */
	__u16 window;
	__u8 wscale;   /* our window scale, sent if ws */
	__u8 ws;       /* the client offered window scaling */
	__u8 sack;
	__u8 ts;
	__u8 ece;
	__u8 ttl;
};

#define SG_SYNACK_MAX_OPT_WORDS 5 /* MSS, SACK/TS (3 words), WS */

struct sg_synack_tcp {
	struct tcphdr th;
	__u32 opt[SG_SYNACK_MAX_OPT_WORDS];
};

/*
 * Fills the TCP header and options; returns the number of option words.
 * Each layout stores at constant indexes: the verifier tracks stack slots
 * written at a variable offset poorly.
 */
SG_INLINE __u32 sg_synack_tcp_fill(struct sg_synack_tcp *t, const struct sg_tuple *tu,
				   const struct sg_synack *a)
{
	__u32 ws = bpf_htonl(0x01030300 | a->wscale);
	__u32 n;
	__u8 flags = SG_TCP_SYN | SG_TCP_ACK;

	t->opt[0] = bpf_htonl(0x02040000 | a->mss);
	if (a->ts) {
		t->opt[1] = bpf_htonl(a->sack ? 0x0402080a : 0x0101080a);
		t->opt[2] = bpf_htonl(a->tsval);
		t->opt[3] = bpf_htonl(a->tsecr);
		t->opt[4] = ws;
		n = a->ws ? 5 : 4;
	} else if (a->sack) {
		t->opt[1] = bpf_htonl(0x01010402);
		t->opt[2] = ws;
		n = a->ws ? 3 : 2;
	} else {
		t->opt[1] = ws;
		n = a->ws ? 2 : 1;
	}
	if (a->ece)
		flags |= SG_TCP_ECE;

	t->th.source = tu->dport;
	t->th.dest = tu->sport;
	t->th.seq = bpf_htonl(a->seq);
	t->th.ack_seq = bpf_htonl(a->ack);
	((__u8 *)&t->th)[12] = (__u8)((5 + n) << 4);
	((__u8 *)&t->th)[13] = flags;
	t->th.window = bpf_htons(a->window);
	t->th.check = 0;
	t->th.urg_ptr = 0;
	return n;
}

/* One's complement sum of the TCP header and options as written. */
SG_INLINE __u64 sg_synack_tcp_sum(const struct sg_synack_tcp *t, __u32 nopt)
{
	const __u32 *w = (const __u32 *)&t->th;
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 5; i++)
		sum = sg_csum_add(sum, w[i]);
#pragma unroll
	for (i = 0; i < SG_SYNACK_MAX_OPT_WORDS; i++)
		if (i < nopt)
			sum = sg_csum_add(sum, t->opt[i]);
	return sum;
}

/*
 * Rewrites the packet. Returns 0 on success; 1 when the frame could not be
 * resized (nothing was changed: pass it on); -1 when it was changed but could
 * not be finished (drop it).
 */
SG_INLINE int sg_write_synack(struct xdp_md *ctx, struct sg_pkt *p, const struct sg_synack *a)
{
	struct ethhdr *eth;
	struct sg_synack_tcp t = {};
	__u8 mac[6];
	__u32 l2 = p->l2_len;
	__u32 ip_len = p->tuple.family == SG_AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 nopt, tcp_len, new_len, i;
	int delta;
	__u64 sum;
	void *data, *data_end, *l3;
	__u32 *dst;

	nopt = sg_synack_tcp_fill(&t, &p->tuple, a);
	tcp_len = sizeof(struct tcphdr) + nopt * 4;

	new_len = l2 + ip_len + tcp_len;
	delta = (int)new_len - (int)(p->data_end - p->data);
	/* A Linux SYN and its SYN+ACK have the same length: skip the helper. */
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return 1;
	/* The frame moved: every packet pointer is derived again. */
	barrier();
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	if (l2 > SG_ETH_HLEN + SG_MAX_VLANS * SG_VLAN_HLEN)
		return -1;
	l3 = data + l2;

	if (p->tuple.family == SG_AF_INET6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) + sizeof(struct tcphdr) > data_end)
			return -1;
		*(__u32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tcp_len);
		ip6->nexthdr = SG_IPPROTO_TCP;
		ip6->hop_limit = a->ttl;
		__builtin_memcpy(&ip6->saddr, p->tuple.daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->tuple.saddr, 16);
		if (!SG_SKIPPED(SG_SKIP_CSUM)) {
			sum = sg_synack_tcp_sum(&t, nopt);
#pragma unroll
			for (i = 0; i < 4; i++)
				sum += (__u64)p->tuple.saddr[i] + p->tuple.daddr[i];
			sum += bpf_htonl(tcp_len) + bpf_htonl(SG_IPPROTO_TCP);
			t.th.check = sg_csum_fold(sum);
		}
		__builtin_memcpy(ip6 + 1, &t.th, sizeof(t.th));
		dst = (__u32 *)((void *)(ip6 + 1) + sizeof(struct tcphdr));
	} else {
		struct iphdr *ip = l3;
		struct iphdr h = {};
		__u32 *hw = (__u32 *)&h;
		__u64 isum = 0;

		if ((void *)(ip + 1) + sizeof(struct tcphdr) > data_end)
			return -1;
		*(__u8 *)&h = 0x45;
		h.tot_len = bpf_htons(ip_len + tcp_len);
		h.frag_off = bpf_htons(SG_IP_DF);
		h.ttl = a->ttl;
		h.protocol = SG_IPPROTO_TCP;
		h.saddr = p->tuple.daddr[0];
		h.daddr = p->tuple.saddr[0];
		if (!SG_SKIPPED(SG_SKIP_CSUM)) {
#pragma unroll
			for (i = 0; i < 5; i++)
				isum += hw[i];
			h.check = sg_csum_fold(isum);
		}
		__builtin_memcpy(ip, &h, sizeof(h));

		if (!SG_SKIPPED(SG_SKIP_CSUM)) {
			sum = sg_synack_tcp_sum(&t, nopt);
			sum += (__u64)p->tuple.saddr[0] + p->tuple.daddr[0];
			sum += bpf_htons(tcp_len) + bpf_htons(SG_IPPROTO_TCP);
			t.th.check = sg_csum_fold(sum);
		}
		__builtin_memcpy(ip + 1, &t.th, sizeof(t.th));
		dst = (__u32 *)((void *)(ip + 1) + sizeof(struct tcphdr));
	}

	/* Options: one bounds-checked fixed-offset store per word. */
#pragma unroll
	for (i = 0; i < SG_SYNACK_MAX_OPT_WORDS; i++) {
		if (i >= nopt)
			break;
		if ((void *)(dst + i + 1) > data_end)
			return -1;
		dst[i] = t.opt[i];
	}
	return 0;
}

#endif /* SG_BPF_SYNACK_H */
