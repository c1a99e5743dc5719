/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Header parsing for the XDP program. Every access is checked against
 * data_end before it is made; a parse step returns a reason to pass the
 * packet on untouched when something does not fit, never a guess.
 *
 * Known limits, by choice:
 *  - IPv6 extension headers in front of TCP: passed, not walked.
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

#define SG_ETH_P_IP     0x0800
#define SG_ETH_P_IPV6   0x86DD
#define SG_ETH_P_8021Q  0x8100
#define SG_ETH_P_8021AD 0x88A8
#define SG_IPPROTO_TCP  6
#define SG_IP_MF        0x2000
#define SG_IP_OFFSET    0x1FFF
#define SG_IP_DF        0x4000
#define SG_ETH_HLEN     14
#define SG_VLAN_HLEN    4
#define SG_MAX_VLANS    2

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
	struct iphdr *ip4;     /* one of ip4/ip6 is set */
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	__u32 l2_len;          /* Ethernet header and VLAN tags */
	__u32 l3_len;          /* IPv4 header with options, or 40 */
	__u32 tcp_len;         /* data offset * 4 */
	__u32 l4_room;         /* bytes after the IP header, by its length fields */
	__u8 flags;            /* TCP flags byte */
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
	return -1;
}

/* IPv4: IHL checked, total length within the frame, fragments passed. */
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
	if (ip->frag_off & bpf_htons(SG_IP_MF | SG_IP_OFFSET))
		return SG_R_PASS_FRAGMENT;
	if (ip->protocol != SG_IPPROTO_TCP)
		return SG_R_PASS_NOT_TCP;
	p->ip4 = ip;
	p->l3_len = ihl;
	p->l4_room = tot - ihl;
	p->tuple.family = SG_AF_INET;
	p->tuple.saddr[0] = ip->saddr;
	p->tuple.daddr[0] = ip->daddr;
	return -1;
}

SG_INLINE int sg_is_ipv6_exthdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0:   /* hop-by-hop */
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

/* IPv6: fixed header only; any extension header in front of TCP is passed. */
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
	if (ip6->nexthdr != SG_IPPROTO_TCP)
		return sg_is_ipv6_exthdr(ip6->nexthdr) ? SG_R_PASS_IPV6_EXTHDR : SG_R_PASS_NOT_TCP;
	p->ip6 = ip6;
	p->l3_len = sizeof(*ip6);
	p->l4_room = payload;
	p->tuple.family = SG_AF_INET6;
	__builtin_memcpy(p->tuple.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->tuple.daddr, &ip6->daddr, 16);
	return -1;
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
	return -1;
}

/*
 * Parses from the IP header at p->l2_len (ethertype proto) up to TCP.
 * Returns a pass reason, or -1 when p->tcp is valid.
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
	if (r >= 0)
		return r;
	return sg_parse_tcp(p);
}

/* Parses a frame from its Ethernet header up to TCP (see sg_parse_l3). */
SG_INLINE int sg_parse(struct sg_pkt *p)
{
	__u16 proto;
	int r;

	r = sg_parse_eth(p, &proto);
	if (r >= 0)
		return r;
	return sg_parse_l3(p, proto);
}

#endif /* SG_BPF_PARSE_H */
