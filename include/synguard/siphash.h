/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012), written for the BPF verifier:
 * the state lives in a struct on the stack, messages are fed as whole 64-bit
 * little-endian words, and the caller passes the final block (length << 56 |
 * tail bytes). The cookie code feeds fixed-size messages, so every loop the
 * BPF side sees has a constant trip count. sg_siphash24_bytes() is the
 * general byte-string form, used by the host tests to check this code against
 * the paper's reference vectors.
 */
#ifndef SYNGUARD_SIPHASH_H
#define SYNGUARD_SIPHASH_H

#include "types.h"

struct sg_siphash {
	__u64 v0, v1, v2, v3;
};

#define SG_ROTL64(x, b) (__u64)(((x) << (b)) | ((x) >> (64 - (b))))

SG_INLINE void sg_sipround(struct sg_siphash *s)
{
	s->v0 += s->v1;
	s->v1 = SG_ROTL64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = SG_ROTL64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = SG_ROTL64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = SG_ROTL64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = SG_ROTL64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = SG_ROTL64(s->v2, 32);
}

SG_INLINE void sg_siphash_init(struct sg_siphash *s, __u64 k0, __u64 k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

/* Absorbs one 8-byte message word (two compression rounds). */
SG_INLINE void sg_siphash_word(struct sg_siphash *s, __u64 m)
{
	s->v3 ^= m;
	sg_sipround(s);
	sg_sipround(s);
	s->v0 ^= m;
}

/*
 * Absorbs the final block b = (total length in bytes) << 56 | tail bytes, and
 * runs the four finalization rounds.
 */
SG_INLINE __u64 sg_siphash_final(struct sg_siphash *s, __u64 b)
{
	sg_siphash_word(s, b);
	s->v2 ^= 0xff;
	sg_sipround(s);
	sg_sipround(s);
	sg_sipround(s);
	sg_sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

SG_INLINE __u64 sg_le64_load(const __u8 *p, __u32 n)
{
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < n && i < 8; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

/* SipHash-2-4 of an arbitrary byte string; key = k0 || k1 little-endian. */
SG_INLINE __u64 sg_siphash24_bytes(__u64 k0, __u64 k1, const __u8 *msg, __u32 len)
{
	struct sg_siphash s;
	__u32 off = 0;

	sg_siphash_init(&s, k0, k1);
	for (; off + 8 <= len; off += 8)
		sg_siphash_word(&s, sg_le64_load(msg + off, 8));
	return sg_siphash_final(&s, ((__u64)(len & 0xff) << 56) | sg_le64_load(msg + off, len - off));
}

#endif /* SYNGUARD_SIPHASH_H */
