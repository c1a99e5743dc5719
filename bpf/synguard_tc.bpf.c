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

SG_INLINE int sg_tc_verdict(enum sg_reason reason, int action)
{
	sg_count(reason);
	return action;
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
		return sg_tc_verdict(SG_R_HANDOFF_NO_LISTENER, SG_TC_ACT_OK);
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_SOCKET, SG_TC_ACT_OK);
	}
	if (sg_cookie_check(secrets, cfg, &p->tuple, bpf_ntohl(p->tcp->seq) - 1, cookie,
			    sg_now_ns(cfg)) != SG_COOKIE_VALID) {
		/* Not one of ours: the kernel answers it as it would without us. */
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_BAD_COOKIE, SG_TC_ACT_OK);
	}
	tsecr = sg_parse_tcp_options(p->tcp, p->tcp_len, p->data_end, &ack_opts);
	if (sg_cookie_decode(cfg, p->tuple.family, cookie, ack_opts.ts_ok, tsecr, &hs)) {
		/* A valid MAC with a timestamp echo that contradicts it: forged. */
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_BAD_COOKIE, SG_TC_ACT_SHOT);
	}
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || !sg_ksym_exists(bpf_sk_assign_tcp_reqsk)) {
		bpf_sk_release(sk);
		return sg_tc_verdict(SG_R_HANDOFF_FAILED, SG_TC_ACT_OK);
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
		return sg_tc_verdict(SG_R_HANDOFF_FAILED, SG_TC_ACT_OK);
	return sg_tc_verdict(SG_R_HANDOFF_OK, SG_TC_ACT_OK);
}

/*
 * Where the frame starts. At TC ingress skb->data is normally the Ethernet
 * header (cls_bpf pushes it back for the program), but after generic
 * (skb-mode) XDP a kernel may hand TC an skb whose mac_len is 0, and then
 * data is the IP header (seen on 6.18 with veth). Returns the ethertype and
 * sets p->l2_len, or returns 0 when neither reading fits.
 *
 * An Ethernet header names skb->protocol (or a VLAN tag, whose inner type
 * the parser reads) at offset 12 and is followed by an IP version that
 * matches. An IP header at data has the version skb->protocol says. A frame
 * that fits both readings is taken as Ethernet: for an IP header to pass
 * as one, the source address must hold the ethertype and the destination
 * the right version nibble, which a real client's addresses do not.
 */
SG_INLINE __u16 sg_tc_locate_l3(struct __sk_buff *skb, struct sg_pkt *p)
{
	__u16 proto = bpf_ntohs(skb->protocol);
	struct ethhdr *eth = p->data;
	__u8 *l3;
	__u16 type;

	if ((void *)(eth + 1) + 1 <= p->data_end) {
		type = bpf_ntohs(eth->h_proto);
		l3 = (__u8 *)(eth + 1);
		if (type == SG_ETH_P_8021Q || type == SG_ETH_P_8021AD)
			return 0xffff; /* tags: the Ethernet parser walks them */
		if (type == proto && ((type == SG_ETH_P_IP && (l3[0] >> 4) == 4) ||
				      (type == SG_ETH_P_IPV6 && (l3[0] >> 4) == 6)))
			return 0xffff;
	}
	l3 = p->data;
	if ((void *)(l3 + 1) > p->data_end)
		return 0;
	if ((proto == SG_ETH_P_IP && (l3[0] >> 4) == 4) ||
	    (proto == SG_ETH_P_IPV6 && (l3[0] >> 4) == 6)) {
		p->l2_len = 0;
		return proto;
	}
	return 0;
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
	__u16 l3_proto = sg_tc_locate_l3(skb, &p);
	int r;

	if (!l3_proto)
		return SG_TC_ACT_OK;
	if (l3_proto == 0xffff) {
		/*
		 * XDP already found this packet's socket: established traffic
		 * pays nothing more. The word sits just before the Ethernet
		 * header, so it is only read when data is that header.
		 */
		if ((void *)(meta + 1) <= p.data && *meta == (SG_META_MAGIC | SG_META_SOCKET))
			return SG_TC_ACT_OK;
		r = sg_parse(&p);
	} else {
		r = sg_parse_l3(&p, l3_proto);
	}

	/* Only ACKs without SYN/RST to protected ports are ours; the rest, silently on. */
	if (r != SG_PARSE_TCP)
		return SG_TC_ACT_OK;
	if ((p.flags & (SG_TCP_SYN | SG_TCP_ACK | SG_TCP_RST)) != SG_TCP_ACK)
		return SG_TC_ACT_OK;
	port = sg_port_lookup(p.tuple.dport);
	if (!port || !(port->flags & SG_PORT_PROTECTED))
		return SG_TC_ACT_OK;
	cfg = bpf_map_lookup_elem(&sg_config_map, &zero);
	secrets = bpf_map_lookup_elem(&sg_secrets_map, &zero);
	if (!cfg || !secrets)
		return SG_TC_ACT_OK;
	return sg_handoff(skb, &p, cfg, secrets);
}

char LICENSE[] SEC("license") = "GPL";
