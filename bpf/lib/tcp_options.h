/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Walks the TCP options of a SYN (what the client offers) or of an ACK (the
 * timestamp echo). bpf_loop() with one option per step and an offset masked
 * to the 40-byte option space keeps the verifier's work constant. A malformed
 * option ends the walk and keeps what was read before it, as the kernel's own
 * tcp_parse_options() does.
 */
#ifndef SG_BPF_TCP_OPTIONS_H
#define SG_BPF_TCP_OPTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

#define SG_TCPOPT_EOL       0
#define SG_TCPOPT_NOP       1
#define SG_TCPOPT_MSS       2
#define SG_TCPOPT_WSCALE    3
#define SG_TCPOPT_SACK_PERM 4
#define SG_TCPOPT_TS        8
#define SG_TCP_MAX_OPTLEN   40

struct sg_opt_walk {
	__u8 *opts;     /* first option byte (packet pointer) */
	void *data_end;
	__u32 off;      /* offset of the next option */
	__u32 len;      /* bytes of options: doff * 4 - 20 */
	struct sg_syn_opts *out;
	__u32 tsecr;    /* TSecr of a timestamp option, if any */
};

static long sg_opt_step(__u32 index, void *ctx)
{
	struct sg_opt_walk *w = ctx;
	__u32 off = w->off & 0x3f;
	__u8 *p = w->opts + off;
	__u8 kind, len;

	if (off >= w->len || off >= SG_TCP_MAX_OPTLEN)
		return 1;
	if ((void *)(p + 1) > w->data_end)
		return 1;
	kind = p[0];
	if (kind == SG_TCPOPT_EOL)
		return 1;
	if (kind == SG_TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if ((void *)(p + 2) > w->data_end)
		return 1;
	len = p[1];
	if (len < 2 || off + len > w->len)
		return 1;
	switch (kind) {
	case SG_TCPOPT_MSS:
		if (len == 4 && (void *)(p + 4) <= w->data_end)
			w->out->mss = (__u16)p[2] << 8 | p[3];
		break;
	case SG_TCPOPT_WSCALE:
		if (len == 3 && (void *)(p + 3) <= w->data_end) {
			w->out->wscale = p[2];
			w->out->wscale_ok = 1;
		}
		break;
	case SG_TCPOPT_SACK_PERM:
		if (len == 2)
			w->out->sack_ok = 1;
		break;
	case SG_TCPOPT_TS:
		if (len == 10 && (void *)(p + 10) <= w->data_end) {
			w->out->tsval = bpf_ntohl(*(__u32 *)(p + 2));
			w->tsecr = bpf_ntohl(*(__u32 *)(p + 6));
			w->out->ts_ok = 1;
		}
		break;
	}
	w->off = off + len;
	return 0;
}

/*
 * Fills *out from the options of th (tcp_len bytes, already bounds-checked
 * by the parser) and returns the TSecr (0 without timestamps).
 */
SG_INLINE __u32 sg_parse_tcp_options(struct tcphdr *th, __u32 tcp_len, void *data_end,
				     struct sg_syn_opts *out)
{
	struct sg_opt_walk w = {
		.opts = (__u8 *)(th + 1),
		.data_end = data_end,
		.off = 0,
		.len = tcp_len - sizeof(*th),
		.out = out,
		.tsecr = 0,
	};

	if (w.len == 0)
		return 0;
	bpf_loop(SG_TCP_MAX_OPTLEN, sg_opt_step, &w, 0);
	return w.tsecr;
}

#endif /* SG_BPF_TCP_OPTIONS_H */
