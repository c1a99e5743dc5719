/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reference responder: a SYN-cookie answerer built the way the kernel's
 * xdp_synproxy selftest builds one, on the kernel's own cookie helpers, so
 * the benchmark can put synguard next to a known design on the same machine.
 *
 *   SYN  bpf_tcp_raw_gen_syncookie_ipv4/6(), a timestamp cookie carrying the
 *        client's options, the SYN+ACK written in place with full checksums.
 *   ACK  a conntrack lookup (an entry the kernel has confirmed passes), then
 *        bpf_tcp_raw_check_syncookie_ipv4/6(): valid passes, invalid drops.
 *
 * It is a yardstick, not a product. Unlike the selftest it does not verify
 * incoming checksums and does not look up conntrack for SYNs (synguard does
 * neither); it passes IPv4 with options, VLANs and IPv6 extension headers
 * untouched instead of handling them. It has no counters.
 */
#ifndef SG_BENCH_REF_RESPONDER_H
#define SG_BENCH_REF_RESPONDER_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define REF_ETH_P_IP	 0x0800
#define REF_ETH_P_IPV6	 0x86DD
#define REF_IP_MF	 0x2000
#define REF_IP_OFFSET	 0x1fff
#define REF_IP_DF	 0x4000
#define REF_TCP_FIN	 0x01
#define REF_TCP_SYN	 0x02
#define REF_TCP_RST	 0x04
#define REF_TCP_ACK	 0x10
#define REF_TCP_ECE	 0x40
#define REF_TCP_CWR	 0x80
#define REF_TS_NO_WSCALE 0xf
#define REF_TS_SACK	 0x10
#define REF_TS_ECN	 0x20
#define REF_TS_MASK	 0x3f

/*
 * The kernel's conntrack kfuncs (net/netfilter/nf_conntrack_bpf.c). Their
 * options struct lives in a module's BTF, not in vmlinux.h: this is its
 * first, 12-byte layout, which every kernel since 6.0 accepts (opts_len).
 */
struct bpf_ct_opts___local {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u8 reserved[2];
};
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple_len, struct bpf_ct_opts___local *opts,
					 __u32 opts_len) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

/* Fixed at load time, as the selftest's values map holds them. */
const volatile __u16 ref_mss_v4 = 1460;
const volatile __u16 ref_mss_v6 = 1440;
const volatile __u8 ref_wscale = 7;
const volatile __u8 ref_ttl = 64;

/* Protected ports, indexed by host-order port; nonzero = answer SYNs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} ref_ports SEC(".maps");

struct ref_hdrs {
	struct iphdr *ip4; /* one of ip4/ip6 is set */
	struct ipv6hdr *ip6;
	struct tcphdr *th;
	__u32 l3_len;
	__u32 tcp_len;
	__u8 flags;
};

/*
 * The client's options, read from a stack copy of its TCP header: the cookie
 * helper needs that copy anyway (it takes a length the verifier can only
 * bound on the stack), and on the stack a masked offset is always in range.
 */
struct ref_opts {
	__u8 hdr[80]; /* 60 header bytes + slack for reads at a masked offset */
	__u32 off;
	__u32 end;
	__u32 tsval;
	__u8 wscale;
	__u8 ws_ok;
	__u8 sack_ok;
	__u8 ts_ok;
};

static long ref_opt_step(__u32 index, void *data)
{
	struct ref_opts *o = data;
	__u32 off = o->off & 63;
	__u8 kind, len;

	if (off >= o->end)
		return 1;
	kind = o->hdr[off];
	if (kind == 0) /* end of options */
		return 1;
	if (kind == 1) { /* NOP */
		o->off = off + 1;
		return 0;
	}
	len = o->hdr[off + 1];
	if (len < 2 || off + len > o->end)
		return 1;
	if (kind == 3 && len == 3) {
		o->wscale = o->hdr[off + 2] > 14 ? 14 : o->hdr[off + 2];
		o->ws_ok = 1;
	} else if (kind == 4 && len == 2) {
		o->sack_ok = 1;
	} else if (kind == 8 && len == 10) {
		o->tsval = (__u32)o->hdr[off + 2] << 24 | (__u32)o->hdr[off + 3] << 16 |
			   (__u32)o->hdr[off + 4] << 8 | o->hdr[off + 5];
		o->ts_ok = 1;
	}
	o->off = off + len;
	return 0;
}

/* Returns -1 when h describes a TCP segment, else the verdict (XDP_PASS). */
static __always_inline int ref_parse(struct xdp_md *ctx, struct ref_hdrs *h)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(REF_ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		if (ip->ihl != 5 || ip->protocol != IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(REF_IP_MF | REF_IP_OFFSET)))
			return XDP_PASS;
		h->ip4 = ip;
		h->l3_len = sizeof(*ip);
		th = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(REF_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		h->ip6 = ip6;
		h->l3_len = sizeof(*ip6);
		th = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(th + 1) > end)
		return XDP_PASS;
	h->tcp_len = th->doff * 4;
	if (h->tcp_len < sizeof(*th) || (void *)th + h->tcp_len > end)
		return XDP_PASS;
	h->th = th;
	h->flags = ((__u8 *)th)[13];
	return -1;
}

struct ref_synack_tcp {
	struct tcphdr th;
	__be32 opt[5]; /* MSS, SACK-perm/NOPs + TS (3 words), WS */
};

/* Fills the SYN+ACK's TCP header and options; returns its length in bytes. */
static __always_inline __u32 ref_fill_tcp(struct ref_synack_tcp *t, const struct tcphdr *syn,
					  const struct ref_opts *o, __u32 cookie, __u32 tsval,
					  __u16 mss, __u8 ecn)
{
	__be32 ws = bpf_htonl(0x01030300 | ref_wscale);
	__u32 n;

	t->opt[0] = bpf_htonl(0x02040000 | mss);
	if (o->ts_ok) {
		t->opt[1] = bpf_htonl(o->sack_ok ? 0x0402080a : 0x0101080a);
		t->opt[2] = bpf_htonl(tsval);
		t->opt[3] = bpf_htonl(o->tsval);
		t->opt[4] = ws;
		n = o->ws_ok ? 5 : 4;
	} else if (o->sack_ok) {
		t->opt[1] = bpf_htonl(0x01010402);
		t->opt[2] = ws;
		n = o->ws_ok ? 3 : 2;
	} else {
		t->opt[1] = ws;
		n = o->ws_ok ? 2 : 1;
	}
	t->th.source = syn->dest;
	t->th.dest = syn->source;
	t->th.seq = bpf_htonl(cookie);
	t->th.ack_seq = bpf_htonl(bpf_ntohl(syn->seq) + 1);
	((__u8 *)&t->th)[12] = (__u8)((5 + n) << 4);
	((__u8 *)&t->th)[13] = REF_TCP_SYN | REF_TCP_ACK | (ecn ? REF_TCP_ECE : 0);
	t->th.window = bpf_htons(65535);
	return sizeof(t->th) + n * 4;
}

static __always_inline __u16 ref_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline void ref_swap_mac(struct ethhdr *eth)
{
	__u8 mac[6];

	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
}

static __always_inline int ref_syn(struct xdp_md *ctx, struct ref_hdrs *h)
{
	struct ref_opts o = {};
	struct ref_synack_tcp t = {};
	__u32 tcp_len = h->tcp_len, l3_len = h->l3_len, old_len, new_len, tcp_new, tsval;
	__u32 tcp_off = sizeof(struct ethhdr) + l3_len;
	__u8 ecn = (h->flags & (REF_TCP_ECE | REF_TCP_CWR)) == (REF_TCP_ECE | REF_TCP_CWR);
	void *data, *end;
	__u64 sum;
	__s64 v;

	if (tcp_len < sizeof(struct tcphdr) || tcp_len > 60)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, tcp_off, o.hdr, tcp_len))
		return XDP_PASS;
	/* The verifier cannot tie ip4 == NULL to ip6 != NULL: test both. */
	if (h->ip4)
		v = bpf_tcp_raw_gen_syncookie_ipv4(h->ip4, (struct tcphdr *)o.hdr, tcp_len);
	else if (h->ip6)
		v = bpf_tcp_raw_gen_syncookie_ipv6(h->ip6, (struct tcphdr *)o.hdr, tcp_len);
	else
		return XDP_PASS;
	if (v < 0)
		return XDP_PASS;

	o.off = sizeof(struct tcphdr);
	o.end = tcp_len;
	bpf_loop(40, ref_opt_step, &o, 0);
	/* TSval: the millisecond clock with the options in its low bits, as the kernel does. */
	tsval = (__u32)(bpf_ktime_get_ns() / 1000000) & ~REF_TS_MASK;
	tsval |= o.ws_ok ? o.wscale : REF_TS_NO_WSCALE;
	if (o.sack_ok)
		tsval |= REF_TS_SACK;
	if (ecn)
		tsval |= REF_TS_ECN;
	tcp_new = ref_fill_tcp(&t, (struct tcphdr *)o.hdr, &o, (__u32)v, tsval,
			       h->ip4 ? ref_mss_v4 : ref_mss_v6, ecn && o.ts_ok);

	/* Header fields are read before the frame is resized. */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	old_len = end - data;
	new_len = tcp_off + tcp_new;
	if (new_len != old_len && bpf_xdp_adjust_tail(ctx, (int)new_len - (int)old_len))
		return XDP_PASS;
	/* The frame may have moved: derive every packet pointer again, after a barrier. */
	asm volatile("" ::: "memory");
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	if (l3_len == sizeof(struct iphdr)) {
		struct ethhdr *eth = data;
		struct iphdr *ip = (void *)(eth + 1);
		__u32 *w = (__u32 *)ip;
		__be32 a;
		int i;

		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		ref_swap_mac(eth);
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->tos = 0;
		ip->id = 0;
		ip->frag_off = bpf_htons(REF_IP_DF);
		ip->ttl = ref_ttl;
		ip->tot_len = bpf_htons(sizeof(*ip) + tcp_new);
		ip->check = 0;
		sum = 0;
		for (i = 0; i < 5; i++)
			sum += w[i];
		ip->check = ref_fold(sum);
		sum = (__u64)ip->saddr + ip->daddr + bpf_htonl(IPPROTO_TCP << 16 | tcp_new);
	} else {
		struct ethhdr *eth = data;
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a;
		int i;

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		ref_swap_mac(eth);
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		*(__be32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tcp_new);
		ip6->hop_limit = ref_ttl;
		sum = bpf_htonl(tcp_new) + bpf_htonl(IPPROTO_TCP);
		for (i = 0; i < 4; i++)
			sum += (__u64)ip6->saddr.in6_u.u6_addr32[i] + ip6->daddr.in6_u.u6_addr32[i];
	}
	/* The TCP part is summed on the stack and stored with one helper call. */
	v = bpf_csum_diff(NULL, 0, (__be32 *)&t, tcp_new, 0);
	if (v < 0)
		return XDP_DROP;
	t.th.check = ref_fold(sum + (__u32)v);
	if (bpf_xdp_store_bytes(ctx, tcp_off, &t, tcp_new))
		return XDP_DROP;
	return XDP_TX;
}

static __always_inline int ref_ack(struct xdp_md *ctx, struct ref_hdrs *h)
{
	struct bpf_ct_opts___local opts = {.netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP};
	struct bpf_sock_tuple tup = {};
	struct tcphdr *th = h->th;
	struct nf_conn *ct;
	__u32 tup_len;
	long err;

	if (h->ip4) {
		tup.ipv4.saddr = h->ip4->saddr;
		tup.ipv4.daddr = h->ip4->daddr;
		tup.ipv4.sport = th->source;
		tup.ipv4.dport = th->dest;
		tup_len = sizeof(tup.ipv4);
	} else if (h->ip6) {
		__builtin_memcpy(tup.ipv6.saddr, &h->ip6->saddr, 16);
		__builtin_memcpy(tup.ipv6.daddr, &h->ip6->daddr, 16);
		tup.ipv6.sport = th->source;
		tup.ipv6.dport = th->dest;
		tup_len = sizeof(tup.ipv6);
	} else {
		return XDP_PASS;
	}
	/* Established flows are known to conntrack: they pass without a cookie check. */
	ct = bpf_xdp_ct_lookup(ctx, &tup, tup_len, &opts, sizeof(opts));
	if (ct) {
		unsigned long status = ct->status;

		bpf_ct_release(ct);
		if (status & IPS_CONFIRMED)
			return XDP_PASS;
	}
	if (h->ip4)
		err = bpf_tcp_raw_check_syncookie_ipv4(h->ip4, th);
	else if (h->ip6)
		err = bpf_tcp_raw_check_syncookie_ipv6(h->ip6, th);
	else
		return XDP_PASS;
	return err ? XDP_DROP : XDP_PASS;
}

SEC("xdp.frags")
int ref_responder(struct xdp_md *ctx)
{
	struct ref_hdrs h = {};
	__u32 port, *on;
	int r;

	r = ref_parse(ctx, &h);
	if (r >= 0)
		return r;
	port = bpf_ntohs(h.th->dest);
	on = bpf_map_lookup_elem(&ref_ports, &port);
	if (!on || !*on)
		return XDP_PASS;
	if ((h.flags & (REF_TCP_SYN | REF_TCP_ACK | REF_TCP_RST | REF_TCP_FIN)) == REF_TCP_SYN)
		return ref_syn(ctx, &h);
	if ((h.flags & (REF_TCP_SYN | REF_TCP_ACK | REF_TCP_RST)) == REF_TCP_ACK)
		return ref_ack(ctx, &h);
	return XDP_PASS;
}

#endif /* SG_BENCH_REF_RESPONDER_H */
