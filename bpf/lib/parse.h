/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Header parsing for the XDP program. Every access is checked against
 * data_end before it is made; a parse step returns a reason to pass the
 * packet on untouched when something does not fit, never a guess.
 *
 * Parse results: a pass reason (>= 0); SG_PARSE_TCP, the frame is plain
 * TCP and p->tcp a whole header; or SG_PARSE_ODD_SYN, a SYN (or what may be
 * one) that arrived in a form the program does not answer: the first
 * fragment of a fragmented datagram, or IPv6 with extension headers in front
 * of TCP. For those only the addresses and ports are set, with the reason to
 * pass it (odd_pass) and to drop it while its port is engaged (odd_drop):
 * no common client sends a SYN that way, and passed, each would cost the
 * kernel a request socket, a way around the protection.
 *
 * Known limits, by choice:
 *  - Incoming checksums are not verified: on veth and with rx offload the
 *    TCP checksum field is often only partial (CHECKSUM_PARTIAL), so a check
 *    would refuse real clients. A corrupted SYN costs one useless SYN+ACK; a
 *    corrupted ACK fails its MAC.
 */
#ifndef SG_BPF_PARSE_H
#define SG_BPF_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

#define SG_ETH_P_IP	    0x0800
#define SG_ETH_P_IPV6	    0x86DD
#define SG_ETH_P_8021Q	    0x8100
#define SG_ETH_P_8021AD	    0x88A8
#define SG_IPPROTO_TCP	    6
#define SG_IP_MF	    0x2000
#define SG_IP_OFFSET	    0x1FFF
#define SG_IP_DF	    0x4000
#define SG_ETH_HLEN	    14
#define SG_VLAN_HLEN	    4
#define SG_MAX_VLANS	    2
#define SG_MAX_EXTHDRS	    4	/* IPv6 extension headers walked in front of TCP */
#define SG_MAX_EXTHDR_BYTES 256 /* their total length; longer chains are passed */
#define SG_MAX_L3_LEN	    (40 + SG_MAX_EXTHDR_BYTES)

#define SG_PARSE_TCP	 (-1)
#define SG_PARSE_ODD_SYN (-2)

/* TCP flag bits in the 14th byte of the header. */
#define SG_TCP_FIN 0x01
#define SG_TCP_SYN 0x02
#define SG_TCP_RST 0x04
#define SG_TCP_PSH 0x08
#define SG_TCP_ACK 0x10
#define SG_TCP_URG 0x20
#define SG_TCP_ECE 0x40
#define SG_TCP_CWR 0x80

struct sg_pkt {
	void *data;
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip4; /* one of ip4/ip6 is set */
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	__u32 l2_len;	       /* Ethernet header and VLAN tags */
	__u32 l3_len;	       /* IPv4 header with options, or 40 */
	__u32 tcp_len;	       /* data offset * 4 */
	__u32 l4_room;	       /* bytes after the IP header, by its length fields */
	__u8 flags;	       /* TCP flags byte */
	__u8 odd_pass;	       /* SG_PARSE_ODD_SYN: its pass reason */
	__u8 odd_drop;	       /* SG_PARSE_ODD_SYN: its drop reason */
	struct sg_tuple tuple; /* client = source */
};

SG_INLINE __u8 sg_tcp_flags(const struct tcphdr *th)
{
	return ((const __u8 *)th)[13];
}

/*
 * A 16-bit length field in host order, for pointer arithmetic. The 6.1 and
 * 6.12 verifiers do not bound the result of a byte swap (6.18's does) and
 * refuse "math between pkt pointer and register with unbounded min value";
 * the mask tells them, and the asm keeps clang from folding it away as
 * redundant.
 */
SG_INLINE __u32 sg_be16_len(__be16 field)
{
	__u32 v = bpf_ntohs(field);

	asm volatile("%0 &= 0xffff" : "+r"(v));
	return v;
}

/* Ethernet with up to two VLAN tags (802.1Q, 802.1ad). Returns the L3 ethertype. */
SG_INLINE int sg_parse_eth(struct sg_pkt *p, __u16 *proto)
{
	struct ethhdr *eth = p->data;
	__u32 off = SG_ETH_HLEN;
	__u16 type;
	int i;

	if ((void *)(eth + 1) > p->data_end)
		return SG_R_PASS_MALFORMED;
	p->eth = eth;
	type = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < SG_MAX_VLANS; i++) {
		struct vlan_hdr *vh;

		if (type != SG_ETH_P_8021Q && type != SG_ETH_P_8021AD)
			break;
		vh = p->data + off;
		if ((void *)(vh + 1) > p->data_end)
			return SG_R_PASS_MALFORMED;
		type = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		off += SG_VLAN_HLEN;
	}
	p->l2_len = off;
	*proto = type;
	return SG_PARSE_TCP; /* go on */
}

/*
 * TCP in a form the program does not answer (see the top of this file), at
 * th with room bytes of it in this datagram. Only a SYN, or a header too
 * short to tell (a "tiny fragment"), goes on as SG_PARSE_ODD_SYN.
 */
SG_INLINE int sg_parse_odd_tcp(struct sg_pkt *p, __u8 *th, __u32 room, int pass, int drop)
{
	if ((void *)(th + 4) > p->data_end || room < 4)
		return pass;
	p->tuple.sport = *(__be16 *)th;
	p->tuple.dport = *(__be16 *)(th + 2);
	if ((void *)(th + 14) <= p->data_end && room >= 14 &&
	    (th[13] & (SG_TCP_SYN | SG_TCP_ACK | SG_TCP_RST)) != SG_TCP_SYN)
		return pass;
	p->odd_pass = pass;
	p->odd_drop = drop;
	return SG_PARSE_ODD_SYN;
}

/*
 * IPv4: IHL checked, total length within the frame. A fragment other than
 * the first carries no TCP header: passed (without its first fragment the
 * kernel never reassembles it). A first fragment is SG_PARSE_ODD_SYN or
 * passed.
 */
SG_INLINE int sg_parse_ipv4(struct sg_pkt *p)
{
	struct iphdr *ip = p->data + p->l2_len;
	__u32 ihl, tot;

	if ((void *)(ip + 1) > p->data_end)
		return SG_R_PASS_MALFORMED;
	ihl = ip->ihl * 4;
	tot = sg_be16_len(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl)
		return SG_R_PASS_MALFORMED;
	if ((void *)ip + tot > p->data_end)
		return SG_R_PASS_MALFORMED;
	if (ip->frag_off & bpf_htons(SG_IP_OFFSET))
		return SG_R_PASS_FRAGMENT;
	if (ip->protocol != SG_IPPROTO_TCP)
		return SG_R_PASS_NOT_TCP;
	p->l3_len = ihl;
	p->l4_room = tot - ihl;
	p->tuple.family = SG_AF_INET;
	p->tuple.saddr[0] = ip->saddr;
	p->tuple.daddr[0] = ip->daddr;
	if (ip->frag_off & bpf_htons(SG_IP_MF)) {
		if (ihl > 60)
			return SG_R_PASS_MALFORMED;
		return sg_parse_odd_tcp(p, (void *)ip + ihl, tot - ihl, SG_R_PASS_FRAGMENT,
					SG_R_DROP_SYN_FRAGMENT);
	}
	p->ip4 = ip;
	return SG_PARSE_TCP;
}

SG_INLINE int sg_is_ipv6_exthdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return 1;
	}
	return 0;
}

/*
 * IPv6 extension headers in front of TCP (hop-by-hop, routing with no
 * segments left, fragment, destination options), at most SG_MAX_EXTHDRS of
 * them in SG_MAX_EXTHDR_BYTES: TCP behind them is SG_PARSE_ODD_SYN or
 * passed. A fragment other than the first, a routing header that sends the
 * packet on, ESP, AH and longer chains are passed.
 */
SG_INLINE int sg_parse_ipv6_exthdrs(struct sg_pkt *p, struct ipv6hdr *ip6, __u32 payload)
{
	__u8 next = ip6->nexthdr;
	int pass = SG_R_PASS_IPV6_EXTHDR, drop = SG_R_DROP_SYN_EXTHDR;
	__u32 off = 0;
	int i;

#pragma unroll
	for (i = 0; i < SG_MAX_EXTHDRS; i++) {
		__u8 *h;

		if (next != 0 && next != 43 && next != 44 && next != 60)
			break;
		if (off > SG_MAX_EXTHDR_BYTES)
			return SG_R_PASS_IPV6_EXTHDR;
		h = (void *)(ip6 + 1) + off;
		if ((void *)(h + 8) > p->data_end)
			return SG_R_PASS_MALFORMED;
		if (next == 44) {
			/* Offset in the top 13 bits, "more fragments" in the lowest. */
			if ((h[2] << 8 | h[3]) & 0xfff8)
				return SG_R_PASS_FRAGMENT;
			if (h[3] & 1) {
				pass = SG_R_PASS_FRAGMENT;
				drop = SG_R_DROP_SYN_FRAGMENT;
			}
			off += 8;
		} else {
			if (next == 43 && h[3] != 0)
				return SG_R_PASS_IPV6_EXTHDR;
			off += ((__u32)h[1] + 1) * 8;
		}
		next = h[0];
	}
	if (next != SG_IPPROTO_TCP)
		return sg_is_ipv6_exthdr(next) ? SG_R_PASS_IPV6_EXTHDR : SG_R_PASS_NOT_TCP;
	if (off > SG_MAX_EXTHDR_BYTES)
		return SG_R_PASS_IPV6_EXTHDR;
	if (off > payload)
		return SG_R_PASS_MALFORMED;
	return sg_parse_odd_tcp(p, (void *)(ip6 + 1) + off, payload - off, pass, drop);
}

/* IPv6: the fixed header; extension headers in front of TCP, see above. */
SG_INLINE int sg_parse_ipv6(struct sg_pkt *p)
{
	struct ipv6hdr *ip6 = p->data + p->l2_len;
	__u32 payload;

	if ((void *)(ip6 + 1) > p->data_end)
		return SG_R_PASS_MALFORMED;
	if (ip6->version != 6)
		return SG_R_PASS_MALFORMED;
	payload = sg_be16_len(ip6->payload_len);
	if ((void *)(ip6 + 1) + payload > p->data_end)
		return SG_R_PASS_MALFORMED;
	p->l3_len = sizeof(*ip6);
	p->l4_room = payload;
	p->tuple.family = SG_AF_INET6;
	__builtin_memcpy(p->tuple.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->tuple.daddr, &ip6->daddr, 16);
	if (ip6->nexthdr != SG_IPPROTO_TCP)
		return sg_parse_ipv6_exthdrs(p, ip6, payload);
	p->ip6 = ip6;
	return SG_PARSE_TCP;
}

/* TCP: data offset checked against the frame and the IP payload length. */
SG_INLINE int sg_parse_tcp(struct sg_pkt *p)
{
	void *l3 = p->data + p->l2_len;
	struct tcphdr *th;

	if (p->l3_len > 60)
		return SG_R_PASS_MALFORMED;
	th = l3 + p->l3_len;
	if ((void *)(th + 1) > p->data_end)
		return SG_R_PASS_MALFORMED;
	p->tcp_len = th->doff * 4;
	if (p->tcp_len < sizeof(*th) || p->tcp_len > p->l4_room)
		return SG_R_PASS_MALFORMED;
	if ((void *)th + p->tcp_len > p->data_end)
		return SG_R_PASS_MALFORMED;
	p->tcp = th;
	p->flags = sg_tcp_flags(th);
	p->tuple.sport = th->source;
	p->tuple.dport = th->dest;
	return SG_PARSE_TCP;
}

/*
 * Parses from the IP header at p->l2_len (ethertype proto) up to TCP.
 * Returns a pass reason, SG_PARSE_TCP when p->tcp is valid, or
 * SG_PARSE_ODD_SYN (see the top of this file).
 */
SG_INLINE int sg_parse_l3(struct sg_pkt *p, __u16 proto)
{
	int r;

	if (proto == SG_ETH_P_IP)
		r = sg_parse_ipv4(p);
	else if (proto == SG_ETH_P_IPV6)
		r = sg_parse_ipv6(p);
	else
		return SG_R_PASS_NOT_IP;
	if (r != SG_PARSE_TCP)
		return r;
	return sg_parse_tcp(p);
}

/* Parses a frame from its Ethernet header up to TCP (see sg_parse_l3). */
SG_INLINE int sg_parse(struct sg_pkt *p)
{
	__u16 proto;
	int r;

	r = sg_parse_eth(p, &proto);
	if (r != SG_PARSE_TCP)
		return r;
	return sg_parse_l3(p, proto);
}

#endif /* SG_BPF_PARSE_H */
