/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-port state, allow/deny lists and the clock: the run-time policy the
 * daemon writes into maps.
 */
#ifndef SG_BPF_POLICY_H
#define SG_BPF_POLICY_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"
#include "parse.h"

SG_INLINE struct sg_port *sg_port_lookup(__u16 dport_net)
{
	__u32 key = bpf_ntohs(dport_net);

	return bpf_map_lookup_elem(&sg_ports_map, &key);
}

SG_INLINE struct sg_port_stats *sg_port_stats(const struct sg_port *port)
{
	__u32 slot = port->stats_slot;

	return bpf_map_lookup_elem(&sg_port_stats_map, &slot);
}

/* SG_LIST_ALLOW, SG_LIST_DENY, or 0 when the source is on neither list. */
SG_INLINE __u32 sg_list_lookup(const struct sg_tuple *t)
{
	__u32 *action;

	if (t->family == SG_AF_INET6) {
		struct sg_lpm_v6 key = {.prefixlen = 128};

		__builtin_memcpy(key.addr, t->saddr, 16);
		action = bpf_map_lookup_elem(&sg_lists_v6_map, &key);
	} else {
		struct sg_lpm_v4 key = {.prefixlen = 32};

		__builtin_memcpy(key.addr, t->saddr, 4);
		action = bpf_map_lookup_elem(&sg_lists_v4_map, &key);
	}
	return action ? *action : 0;
}

/* SG_ADDR_LOCAL, SG_ADDR_BROADCAST, or 0 when addr is not this host's. */
SG_INLINE __u32 sg_local_kind(__u8 family, const __u32 *addr)
{
	__u32 zero = 0, *kind;
	const struct sg_local_fast *f = bpf_map_lookup_elem(&sg_local_fast_map, &zero);
	int i;

	if (family == SG_AF_INET6) {
		if (f && !f->v6_more) {
			SG_UNROLL
			for (i = 0; i < SG_LOCAL_FAST; i++) {
				const __u32 *e = (const __u32 *)f->v6[i].addr;

				if (e[0] == addr[0] && e[1] == addr[1] && e[2] == addr[2] &&
				    e[3] == addr[3])
					return f->v6_kind[i];
			}
			return 0;
		}
		kind = bpf_map_lookup_elem(&sg_local_v6_map, addr);
	} else {
		if (f && !f->v4_more) {
			SG_UNROLL
			for (i = 0; i < SG_LOCAL_FAST; i++) {
				if (f->v4[i] == addr[0])
					return f->v4_kind[i];
			}
			return 0;
		}
		kind = bpf_map_lookup_elem(&sg_local_v4_map, addr);
	}
	return kind ? *kind : 0;
}

/*
 * The frame is for this host: sent to this interface's MAC (sg_iface), and
 * to one of the host's unicast addresses. Anything else is forwarded
 * traffic, another host's on a bridge or in promiscuous mode, or a
 * broadcast: the kernel's, answered or dropped as without synguard.
 * Returns a pass reason, or -1.
 */
SG_INLINE int sg_check_destination(const struct sg_pkt *p)
{
	__u32 zero = 0;
	const struct sg_iface *ifc = bpf_map_lookup_elem(&sg_iface_map, &zero);

	if (ifc) {
		__u32 want_hi = *(const __u32 *)ifc->mac;
		__u16 want_lo = *(const __u16 *)(ifc->mac + 4);

		if ((want_hi | want_lo) && (*(const __u32 *)p->eth->h_dest != want_hi ||
					    *(const __u16 *)(p->eth->h_dest + 4) != want_lo))
			return SG_R_PASS_NOT_OUR_MAC;
	}
	if (sg_destination_not_unicast(p->tuple.family, p->tuple.daddr))
		return SG_R_PASS_DST_NOT_UNICAST;
	if (sg_local_kind(p->tuple.family, p->tuple.daddr) != SG_ADDR_LOCAL)
		return SG_R_PASS_DST_NOT_LOCAL;
	return -1;
}

/*
 * The source could be a client: one host's unicast address, and not this
 * host's own (a "land" SYN, or a subnet broadcast address). The kernel drops
 * such SYNs as martians; answered, they would make synguard a reflector
 * towards broadcast and multicast. Returns a drop reason, or -1.
 */
SG_INLINE int sg_check_source(const struct sg_pkt *p)
{
	if (sg_source_not_unicast(p->tuple.family, p->tuple.saddr))
		return SG_R_DROP_SRC_NOT_UNICAST;
	if (sg_local_kind(p->tuple.family, p->tuple.saddr))
		return SG_R_DROP_SRC_LOCAL;
	return -1;
}

/* The program's monotonic clock (see sg_config.jiffy_ns). */
SG_INLINE __u64 sg_mono_ns(const struct sg_config *cfg)
{
	if (cfg->jiffy_ns)
		return bpf_jiffies64() * cfg->jiffy_ns + cfg->jiffies_mono_ns;
	return bpf_ktime_get_ns();
}

/* The cookie clock: wall-clock nanoseconds, so that a fleet agrees on slots. */
SG_INLINE __u64 sg_now_ns(const struct sg_config *cfg)
{
	return sg_mono_ns(cfg) + cfg->clock_offset_ns;
}

/* Fills a socket lookup tuple; returns its size. */
SG_INLINE __u32 sg_sock_tuple(const struct sg_tuple *t, struct bpf_sock_tuple *bt)
{
	if (t->family == SG_AF_INET6) {
		__builtin_memcpy(bt->ipv6.saddr, t->saddr, 16);
		__builtin_memcpy(bt->ipv6.daddr, t->daddr, 16);
		bt->ipv6.sport = t->sport;
		bt->ipv6.dport = t->dport;
		return sizeof(bt->ipv6);
	}
	bt->ipv4.saddr = t->saddr[0];
	bt->ipv4.daddr = t->daddr[0];
	bt->ipv4.sport = t->sport;
	bt->ipv4.dport = t->dport;
	return sizeof(bt->ipv4);
}

#endif /* SG_BPF_POLICY_H */
