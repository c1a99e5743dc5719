/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading the TCP options of a SYN (what the client offers) or of an ACK
 * (the timestamp echo). Shared by the BPF programs and the host tests, so
 * the tests run the parser the kernel runs.
 *
 * Two readers that must agree:
 *
 *  - sg_tcp_option_step(): the general walk, one option per call, as the
 *    kernel's tcp_parse_options() reads them: a malformed option ends the
 *    walk and keeps what was read before it. The XDP program drives it with
 *    bpf_loop(); it accepts any layout but costs a call per option.
 *
 *  - sg_tcp_options_fast(): the layouts real stacks send, one 32-bit word at
 *    a time with fixed offsets (Linux, Windows, macOS, the BSDs put every
 *    option on a word boundary with NOP padding). It either reads all the
 *    options and says so, or gives up and the caller takes the general
 *    walk. About 70 ns of the SYN path went to the walk; most SYNs now skip
 *    it. tests/unit/tcp_options_test.cc holds the two to the same answer.
 */
#ifndef SYNGUARD_TCP_OPTIONS_H
#define SYNGUARD_TCP_OPTIONS_H

#include "cookie.h"
#include "types.h"

#define SG_TCPOPT_EOL	    0
#define SG_TCPOPT_NOP	    1
#define SG_TCPOPT_MSS	    2
#define SG_TCPOPT_WSCALE    3
#define SG_TCPOPT_SACK_PERM 4
#define SG_TCPOPT_TS	    8
#define SG_TCP_MAX_OPTLEN   40

/* Host order of a big-endian 32-bit word, in BPF and on the host alike. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define sg_be32_to_host(x) __builtin_bswap32(x)
#else
#define sg_be32_to_host(x) (x)
#endif

/*
 * A 32-bit load from option bytes. Packet data has no alignment promise:
 * BPF loads it as is (the JIT emits an unaligned load, which x86 and arm64
 * allow), the host goes through memcpy.
 */
SG_INLINE __u32 sg_load_be32(const __u8 *p)
{
#if defined(__bpf__)
	return sg_be32_to_host(*(const __u32 *)p);
#else
	__u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return sg_be32_to_host(v);
#endif
}

/* Where a walk of the options stands. */
struct sg_opt_walk {
	const __u8 *opts;     /* first option byte (packet pointer in BPF) */
	const void *data_end; /* the frame's end: no byte at or past it is read */
	__u32 off;	      /* offset of the next option */
	__u32 len;	      /* bytes of options: doff * 4 - 20 */
	struct sg_syn_opts *out;
	__u32 tsecr; /* TSecr of a timestamp option, if any */
};

/* Reads the option at w->off. Returns 0 to go on, 1 when the walk is over. */
SG_INLINE int sg_tcp_option_step(struct sg_opt_walk *w)
{
	/* Masked so the verifier sees an offset inside the 40-byte option space. */
	__u32 off = w->off & 0x3f;
	const __u8 *p = w->opts + off;
	__u8 kind, len;

	if (off >= w->len || off >= SG_TCP_MAX_OPTLEN)
		return 1;
	if ((const void *)(p + 1) > w->data_end)
		return 1;
	kind = p[0];
	if (kind == SG_TCPOPT_EOL)
		return 1;
	if (kind == SG_TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if ((const void *)(p + 2) > w->data_end)
		return 1;
	len = p[1];
	if (len < 2 || off + len > w->len)
		return 1;
	switch (kind) {
	case SG_TCPOPT_MSS:
		if (len == 4 && (const void *)(p + 4) <= w->data_end)
			w->out->mss = (__u16)(p[2] << 8 | p[3]);
		break;
	case SG_TCPOPT_WSCALE:
		if (len == 3 && (const void *)(p + 3) <= w->data_end) {
			w->out->wscale = p[2];
			w->out->wscale_ok = 1;
		}
		break;
	case SG_TCPOPT_SACK_PERM:
		if (len == 2)
			w->out->sack_ok = 1;
		break;
	case SG_TCPOPT_TS:
		if (len == 10 && (const void *)(p + 10) <= w->data_end) {
			w->out->tsval = sg_load_be32(p + 2);
			w->tsecr = sg_load_be32(p + 6);
			w->out->ts_ok = 1;
		}
		break;
	}
	w->off = off + len;
	return 0;
}

/*
 * Option words the fast reader knows. Each is complete on its own (no option
 * crosses into the next word) except the two that start a timestamp, whose
 * TSval and TSecr fill the next two words.
 */
#define SG_OPTW_MSS_MASK 0xffff0000u
#define SG_OPTW_MSS	 0x02040000u /* MSS, 4 bytes */
#define SG_OPTW_WS_MASK	 0xffffff00u
#define SG_OPTW_NOP_WS	 0x01030300u /* NOP, window scale */
#define SG_OPTW_SACK_TS	 0x0402080au /* SACK-permitted, timestamps */
#define SG_OPTW_NOP_TS	 0x0101080au /* NOP, NOP, timestamps */
#define SG_OPTW_NOP_SACK 0x01010402u /* NOP, NOP, SACK-permitted */
#define SG_OPTW_SACK_EOL 0x04020000u /* SACK-permitted, end of list (macOS) */
#define SG_OPTW_NOPS	 0x01010101u
#define SG_OPTW_EOL	 0x00000000u

/*
 * Reads options laid out in the words above. Returns 1 with *w->out and
 * w->tsecr filled when every word up to the end (or an end-of-list) is one
 * of them; 0 when it met anything else, and then *w->out is partly written:
 * the caller clears it and takes the general walk. Options past the first
 * 40 bytes are never read (w->len is at most 40 in a real header).
 */
SG_INLINE int sg_tcp_options_fast(struct sg_opt_walk *w)
{
	struct sg_syn_opts *o = w->out;
	__u32 skip = 0;
	int i;

	SG_UNROLL
	for (i = 0; i < SG_TCP_MAX_OPTLEN / 4; i++) {
		const __u8 *p = w->opts + i * 4;
		__u32 v;

		if ((__u32)i * 4 >= w->len)
			return 1;
		if (skip) {
			skip--;
			continue;
		}
		/* A word cut by the end of the options is the general walk's. */
		if ((__u32)i * 4 + 4 > w->len || (const void *)(p + 4) > w->data_end)
			return 0;
		v = sg_load_be32(p);
		if ((v & SG_OPTW_MSS_MASK) == SG_OPTW_MSS) {
			o->mss = (__u16)v;
		} else if ((v & SG_OPTW_WS_MASK) == SG_OPTW_NOP_WS) {
			o->wscale = (__u8)v;
			o->wscale_ok = 1;
		} else if (v == SG_OPTW_SACK_TS || v == SG_OPTW_NOP_TS) {
			if ((__u32)i * 4 + 12 > w->len || (const void *)(p + 12) > w->data_end)
				return 0;
			o->tsval = sg_load_be32(p + 4);
			w->tsecr = sg_load_be32(p + 8);
			o->ts_ok = 1;
			if (v == SG_OPTW_SACK_TS)
				o->sack_ok = 1;
			skip = 2;
		} else if (v == SG_OPTW_NOP_SACK) {
			o->sack_ok = 1;
		} else if (v == SG_OPTW_SACK_EOL) {
			o->sack_ok = 1;
			return 1;
		} else if (v == SG_OPTW_EOL) {
			return 1;
		} else if (v != SG_OPTW_NOPS) {
			return 0;
		}
	}
	return 1;
}

#endif /* SYNGUARD_TCP_OPTIONS_H */
