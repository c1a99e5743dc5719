// SPDX-License-Identifier: GPL-2.0-only
/*
 * synguard's TC ingress program (reqsk handoff mode, kernel 6.9+): an ACK
 * whose cookie is valid and which has no socket yet becomes a request socket
 * of the listener through bpf_sk_assign_tcp_reqsk(), with the options decoded
 * from the cookie and the timestamp echo. The kernel then creates the full
 * socket as if its own SYN queue had held the request; accept() returns it.
 *
 * XDP already dropped ACKs with bad cookies while cookies are engaged; this
 * program checks the cookie again (one hash per handshake) because it also
 * sees ACKs that XDP passed without checking (port not engaged any more,
 * handshakes still in flight), and because it must never trust a packet's
 * word on options.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"
#include "lib/compat.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/policy.h"
#include "lib/tcp_options.h"

#define SG_TC_ACT_OK   0
#define SG_TC_ACT_SHOT 2

/*
 * Weak: the object opens on every kernel, and the daemon only loads it where
 * the kfunc exists (6.9+), which it proves by loading it. Where libbpf could
 * not resolve it, the call is never made (sg_ksym_exists).
 */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym __weak;

/*
 * The one exit of the program: every verdict is counted by its reason, and
 * the reason alone decides the action (include/synguard/counters.h lists
 * the TC reasons, the drops one run), so no drop goes uncounted.
 */
SG_INLINE int sg_tc_verdict(enum sg_reason reason)
{
	sg_count(reason);
	if (reason >= SG_R_TC_DROP_FIRST && reason <= SG_R_TC_DROP_LAST)
		return SG_TC_ACT_SHOT;
	return SG_TC_ACT_OK;
}

SG_INLINE int sg_handoff(struct __sk_buff *skb, struct sg_pkt *p, const struct sg_config *cfg,
			 const struct sg_secrets *secrets)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct bpf_sock_tuple bt = {};
	struct sg_syn_opts ack_opts = {};
	struct sg_handshake hs;
	struct bpf_sock *sk;
	struct tcp_sock *tp;
	__u32 cookie = bpf_ntohl(p->tcp->ack_seq) - 1;
	__u32 tsecr;
	int ret;

	sk = bpf_skc_lookup_tcp(skb, &bt, sg_sock_tuple(&p->tuple, &bt), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return sg_tc_verdict(SG_R_HANDOFF_NO_LISTENER);
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_SOCKET);
	}
	if (sg_cookie_check(secrets, cfg, &p->tuple, bpf_ntohl(p->tcp->seq) - 1, cookie,
			    sg_now_ns(cfg)) != SG_COOKIE_VALID) {
		/* Not one of ours: the kernel answers it as it would without us. */
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_BAD_COOKIE);
	}
	tsecr = sg_parse_tcp_options(p->tcp, p->tcp_len, p->data_end, &ack_opts);
	if (sg_cookie_decode(cfg, p->tuple.family, cookie, ack_opts.ts_ok, tsecr, &hs)) {
		/* A valid MAC with a timestamp echo that contradicts it: forged. */
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_FORGED_ECHO);
	}
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || !sg_ksym_exists(bpf_sk_assign_tcp_reqsk)) {
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_FAILED);
	}
	attrs.mss = hs.mss;
	attrs.wscale_ok = hs.wscale_ok;
	attrs.snd_wscale = hs.snd_wscale;
	/* What our SYN+ACK advertised; without scaling on both sides, none. */
	attrs.rcv_wscale = hs.wscale_ok ? cfg->server_wscale : 0;
	attrs.sack_ok = hs.sack_ok;
	attrs.tstamp_ok = hs.tstamp_ok;
	attrs.ecn_ok = hs.ecn_ok;
	attrs.rcv_tsval = hs.tstamp_ok ? ack_opts.tsval : 0;
	attrs.rcv_tsecr = hs.tstamp_ok ? tsecr : 0;
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs, sizeof(attrs));
	bpf_sk_release(sk);
	if (ret)
		return sg_tc_verdict(SG_R_HANDOFF_FAILED);
	return sg_tc_verdict(SG_R_HANDOFF_OK);
}

/* Where sg_tc_locate_l3() found the frame's IP header. */
enum sg_tc_l3 {
	SG_TC_L3_NONE,		 /* neither reading fits: not IPv4 or IPv6 */
	SG_TC_L3_AFTER_ETHERNET, /* data is the Ethernet header (tags included) */
	SG_TC_L3_AT_DATA,	 /* data is the IP header; p->l2_len is 0 */
};

/* Whether b, the first byte of an IP header, has the version proto names. */
SG_INLINE int sg_tc_ip_version_is(__u16 proto, __u8 b)
{
	return (proto == SG_ETH_P_IP && (b >> 4) == 4) || (proto == SG_ETH_P_IPV6 && (b >> 4) == 6);
}

/*
 * Where the frame starts. At TC ingress skb->data is normally the Ethernet
 * header (cls_bpf pushes it back for the program), but after generic
 * (skb-mode) XDP a kernel may hand TC an skb whose mac_len is 0, and then
 * data is the IP header (seen on 6.18 with veth). proto is skb->protocol,
 * in host order.
 *
 * An Ethernet header names proto (or a VLAN tag, whose inner type the
 * parser reads) at offset 12 and is followed by an IP version that
 * matches. An IP header at data has the version proto says. A frame that
 * fits both readings is taken as Ethernet: for an IP header to pass as one,
 * the source address must hold the ethertype and the destination the right
 * version nibble, which a real client's addresses do not.
 */
SG_INLINE enum sg_tc_l3 sg_tc_locate_l3(struct sg_pkt *p, __u16 proto)
{
	struct ethhdr *eth = p->data;
	__u8 *l3 = p->data;
	__u16 type;

	if ((void *)(eth + 1) + 1 <= p->data_end) {
		type = bpf_ntohs(eth->h_proto);
		if (type == SG_ETH_P_8021Q || type == SG_ETH_P_8021AD)
			return SG_TC_L3_AFTER_ETHERNET; /* tags: the Ethernet parser walks them */
		if (type == proto && sg_tc_ip_version_is(proto, *(__u8 *)(eth + 1)))
			return SG_TC_L3_AFTER_ETHERNET;
	}
	if ((void *)(l3 + 1) <= p->data_end && sg_tc_ip_version_is(proto, l3[0])) {
		p->l2_len = 0;
		return SG_TC_L3_AT_DATA;
	}
	return SG_TC_L3_NONE;
}

SEC("tc")
int synguard_tc(struct __sk_buff *skb)
{
	struct sg_pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
	};
	const struct sg_secrets *secrets;
	const struct sg_config *cfg;
	struct sg_port *port;
	__u32 zero = 0;
	__u32 *meta = (void *)(long)skb->data_meta;
	__u16 proto = bpf_ntohs(skb->protocol);
	enum sg_tc_l3 where = sg_tc_locate_l3(&p, proto);
	int r;

	if (where == SG_TC_L3_NONE)
		return sg_tc_verdict(SG_R_TC_PASS_NOT_TCP);
	if (where == SG_TC_L3_AFTER_ETHERNET) {
		/*
		 * XDP already found this packet's socket: established traffic
		 * pays nothing more. The word sits just before the Ethernet
		 * header, so it is only read when data is that header.
		 */
		if ((void *)(meta + 1) <= p.data && *meta == (SG_META_MAGIC | SG_META_SOCKET))
			return sg_tc_verdict(SG_R_TC_PASS_XDP_SOCKET);
		r = sg_parse(&p);
	} else {
		r = sg_parse_l3(&p, proto);
	}

	/* Only ACKs without SYN/RST to protected ports are ours; the rest, counted and on. */
	if (r != SG_PARSE_TCP)
		return sg_tc_verdict(SG_R_TC_PASS_NOT_TCP);
	if ((p.flags & (SG_TCP_SYN | SG_TCP_ACK | SG_TCP_RST)) != SG_TCP_ACK)
		return sg_tc_verdict(SG_R_TC_PASS_OTHER_FLAGS);
	port = sg_port_lookup(p.tuple.dport);
	if (!port || !(port->flags & SG_PORT_PROTECTED))
		return sg_tc_verdict(SG_R_TC_PASS_UNPROTECTED);
	/* Array maps: never missing, but the verifier wants the check. */
	cfg = bpf_map_lookup_elem(&sg_config_map, &zero);
	secrets = bpf_map_lookup_elem(&sg_secrets_map, &zero);
	if (!cfg || !secrets)
		return sg_tc_verdict(SG_R_TC_PASS_NO_KEY);
	return sg_handoff(skb, &p, cfg, secrets);
}

char LICENSE[] SEC("license") = "GPL";
