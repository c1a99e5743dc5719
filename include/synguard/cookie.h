/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The SYN cookie codec, shared by the XDP program, the TC handoff program
 * and the host tests (which therefore test the code that runs in the kernel).
 *
 * A cookie is the SYN+ACK's 32-bit sequence number, in one of two layouts
 * chosen by whether the client offered timestamps:
 *
 *   31                     8   7 6   5    4 3    2     1 0
 *  +------------------------+-----+-----+------+------+-----+
 *  |  MAC (24 bits)         | slot| key |wscale| sack | mss |   A: no timestamps
 *  +------------------------+-----+-----+------+------+-----+
 *  |  MAC (24 bits)         | slot| key |  0 0 |   fine mss |   B: timestamps
 *  +------------------------+-----+-----+------+------------+
 *
 *  mss    A: index into the family's 4-entry MSS table (sg_config.mss_v4/v6,
 *         client MSS rounded down)
 *  sack   A: the client offered SACK
 *  wscale A: code for the client's window scale, rounded down: 0 = none,
 *         1..3 index sg_config.wscale_table (so clients without timestamps
 *         keep SACK and a window scale, which the kernel's cookies lose)
 *  fine   B: index into the family's 8-entry MSS table (sg_config.mss_ts_v4/
 *         v6, client MSS rounded down). SACK and the window scale ride in
 *         the timestamp (below), so their three bits carry a finer MSS:
 *         PPPoE's 1452 keeps 1440 instead of falling to 1300.
 *  key    which of the two secrets made the MAC: one hash per ACK
 *  slot   low two bits of the time slot counter; a cookie older than
 *         max_age_slots (at most 2) is "expired", age 3 cannot be told from
 *         age -1 and is simply a MAC mismatch
 *  MAC    SipHash-2-4 over the 4-tuple, the client's ISN, the slot counter's
 *         low 32 bits and the low 8 bits above, keyed by the secret
 *
 * When the client offers timestamps, our TSval's low 6 bits carry its exact
 * window scale (4 bits, 0xf = none), SACK and ECN, as the kernel does, and
 * come back in the ACK's TSecr. Those bits are not under the MAC (as in the
 * kernel's cookies, a client can only claim options it could have offered
 * in its SYN). The MAC covers the low 8 bits whatever the layout, so the
 * ACK check does not need to know it; decoding does: an ACK with a
 * timestamp is read as layout B and refused when bits 3-4 are not 0 (an A
 * cookie that offered window scaling, whose ACK grew a timestamp), one
 * without as layout A.
 *
 * Forgery: a blind attacker who guesses an ACK hits a valid MAC with
 * probability 2^-24 per packet (and must also match the slot/key bits of a
 * live secret).
 */
#ifndef SYNGUARD_COOKIE_H
#define SYNGUARD_COOKIE_H

#include "layout.h"
#include "siphash.h"
#include "types.h"

#define SG_COOKIE_MSS_MASK     0x3u
#define SG_COOKIE_MSS_TS_MASK  0x7u  /* layout B: index into the 8-entry table */
#define SG_COOKIE_TS_ZERO_MASK 0x18u /* layout B: bits 3-4, always 0 */
#define SG_COOKIE_SACK	       0x4u
#define SG_COOKIE_WSCALE_SHIFT 3
#define SG_COOKIE_WSCALE_MASK  0x3u
#define SG_COOKIE_KEY_SHIFT    5
#define SG_COOKIE_SLOT_SHIFT   6
#define SG_COOKIE_SLOT_MASK    0x3u
#define SG_COOKIE_MAC_SHIFT    8
#define SG_COOKIE_MAC_MASK     0xffffffu

/* Low bits of our TSval, echoed in the client's TSecr (kernel layout). */
#define SG_TS_WSCALE_MASK 0xfu /* 0xf: the client did not offer window scaling */
#define SG_TS_SACK	  0x10u
#define SG_TS_ECN	  0x20u
#define SG_TS_OPT_MASK	  0x3fu

#define SG_MAX_WSCALE 14 /* RFC 7323: larger offers are taken as 14 */

/* A connection as the server sees it: the client is the source. */
struct sg_tuple {
	__u32 saddr[4]; /* network byte order; IPv4 uses [0] */
	__u32 daddr[4];
	__u16 sport; /* network byte order */
	__u16 dport;
	__u8 family; /* SG_AF_INET or SG_AF_INET6 */
	__u8 pad[3];
};

/* What the client's SYN offered. */
struct sg_syn_opts {
	__u32 tsval; /* valid if ts_ok */
	__u16 mss;   /* 0: no MSS option */
	__u8 wscale; /* valid if wscale_ok */
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 ts_ok;
	__u8 ecn_ok; /* SYN had ECE and CWR */
	__u8 pad;
};

/* What a valid cookie ACK tells the listener (struct bpf_tcp_req_attrs). */
struct sg_handshake {
	__u16 mss;
	__u8 wscale_ok;
	__u8 snd_wscale; /* the client's window scale */
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 ecn_ok;
	__u8 pad;
};

enum sg_cookie_result {
	SG_COOKIE_VALID = 0,
	SG_COOKIE_BAD_MAC,
	SG_COOKIE_EXPIRED,
	SG_COOKIE_UNKNOWN_KEY,
};

SG_INLINE __u64 sg_cookie_slot(const struct sg_config *cfg, __u64 now_ns)
{
	return now_ns >> (cfg->slot_shift & 63);
}

/* Length of a cookie time slot in nanoseconds. */
SG_INLINE __u64 sg_slot_ns(const struct sg_config *cfg)
{
	return 1ULL << (cfg->slot_shift & 63);
}

/* Index of the largest table entry <= mss; 0 when mss is below them all. */
SG_INLINE __u32 sg_mss_index(const __u16 *table, __u32 mss)
{
	__u32 idx = 0;

	if (mss >= table[1])
		idx = 1;
	if (mss >= table[2])
		idx = 2;
	if (mss >= table[3])
		idx = 3;
	return idx;
}

/*
 * Index of the largest entry <= mss in an 8-entry ascending table; 0 when mss
 * is below them all. Three dependent loads (a binary search), not seven.
 */
SG_INLINE __u32 sg_mss_ts_index(const __u16 *table, __u32 mss)
{
	__u32 idx = mss >= table[4] ? 4 : 0;

	if (mss >= table[idx + 2])
		idx += 2;
	if (mss >= table[idx + 1])
		idx += 1;
	return idx & SG_COOKIE_MSS_TS_MASK;
}

/* Cookie code for the client's window scale: 0 none, else rounded down. */
SG_INLINE __u32 sg_wscale_code(const __u8 *table, const struct sg_syn_opts *o)
{
	__u32 ws = o->wscale > SG_MAX_WSCALE ? SG_MAX_WSCALE : o->wscale;
	__u32 code = 1;

	if (!o->wscale_ok)
		return 0;
	if (ws >= table[2])
		code = 2;
	if (ws >= table[3])
		code = 3;
	return code;
}

/*
 * The cookie's low 8 bits, without the key and slot fields. o->ts_ok must be
 * final (what our SYN+ACK answers): it chooses the layout.
 */
SG_INLINE __u32 sg_cookie_options(const struct sg_config *cfg, __u8 family,
				  const struct sg_syn_opts *o)
{
	__u32 mss = o->mss ? o->mss : 536;
	const __u16 *mss_table;
	__u32 bits;

	if (o->ts_ok) {
		mss_table = family == SG_AF_INET6 ? cfg->mss_ts_v6 : cfg->mss_ts_v4;
		return sg_mss_ts_index(mss_table, mss);
	}
	mss_table = family == SG_AF_INET6 ? cfg->mss_v6 : cfg->mss_v4;
	bits = sg_mss_index(mss_table, mss);
	if (o->sack_ok)
		bits |= SG_COOKIE_SACK;
	bits |= sg_wscale_code(cfg->wscale_table, o) << SG_COOKIE_WSCALE_SHIFT;
	return bits;
}

/* Low 6 bits of our TSval when the client offered timestamps. */
SG_INLINE __u32 sg_ts_options(const struct sg_syn_opts *o, int server_ecn)
{
	__u32 bits = SG_TS_WSCALE_MASK;

	if (o->wscale_ok)
		bits = o->wscale > SG_MAX_WSCALE ? SG_MAX_WSCALE : o->wscale;
	if (o->sack_ok)
		bits |= SG_TS_SACK;
	if (o->ecn_ok && server_ecn)
		bits |= SG_TS_ECN;
	return bits;
}

/*
 * The 24-bit MAC: one SipHash-2-4 over the byte string
 *   addresses (8 bytes IPv4, 32 IPv6) | ports and ISN (8) | slot (4) | low8 (1)
 * read as little-endian words. The last five bytes ride in SipHash's final
 * block next to the length, so an IPv4 MAC takes three compressions instead
 * of four (every SYN and every ACK pays for them). The lengths, 21 and 45,
 * keep the families apart.
 */
SG_INLINE __u32 sg_cookie_mac(const struct sg_secret *key, const struct sg_tuple *t, __u32 isn,
			      __u64 slot, __u32 low8)
{
	struct sg_siphash s;
	__u64 len, tail;

	sg_siphash_init(&s, key->k0, key->k1);
	if (t->family == SG_AF_INET6) {
		sg_siphash_word(&s, (__u64)t->saddr[0] | (__u64)t->saddr[1] << 32);
		sg_siphash_word(&s, (__u64)t->saddr[2] | (__u64)t->saddr[3] << 32);
		sg_siphash_word(&s, (__u64)t->daddr[0] | (__u64)t->daddr[1] << 32);
		sg_siphash_word(&s, (__u64)t->daddr[2] | (__u64)t->daddr[3] << 32);
		len = 45;
	} else {
		sg_siphash_word(&s, (__u64)t->saddr[0] | (__u64)t->daddr[0] << 32);
		len = 21;
	}
	sg_siphash_word(&s, (__u64)t->sport | (__u64)t->dport << 16 | (__u64)isn << 32);
	tail = (__u64)(low8 & 0xff) << 32 | (__u32)slot;
	return (__u32)(sg_siphash_final(&s, len << 56 | tail) >> 40) & SG_COOKIE_MAC_MASK;
}

/*
 * Makes the cookie for a SYN with initial sequence number isn. Returns -1
 * (and answers nothing) when no current key is live.
 */
SG_INLINE int sg_cookie_encode(const struct sg_secrets *s, const struct sg_config *cfg,
			       const struct sg_tuple *t, __u32 isn, const struct sg_syn_opts *o,
			       __u64 now_ns, __u32 *cookie)
{
	__u32 key_idx = s->current & 1;
	const struct sg_secret *key = &s->key[key_idx];
	__u64 slot = sg_cookie_slot(cfg, now_ns);
	__u32 low8;

	if (now_ns >= key->expires_ns)
		return -1;
	low8 = sg_cookie_options(cfg, t->family, o) | key_idx << SG_COOKIE_KEY_SHIFT |
	       (__u32)(slot & SG_COOKIE_SLOT_MASK) << SG_COOKIE_SLOT_SHIFT;
	*cookie = sg_cookie_mac(key, t, isn, slot, low8) << SG_COOKIE_MAC_SHIFT | low8;
	return 0;
}

/*
 * Checks the cookie of an ACK (cookie = ack_seq - 1, isn = seq - 1).
 * Exactly one hash, whatever the outcome.
 */
SG_INLINE enum sg_cookie_result sg_cookie_check(const struct sg_secrets *s,
						const struct sg_config *cfg,
						const struct sg_tuple *t, __u32 isn, __u32 cookie,
						__u64 now_ns)
{
	__u32 low8 = cookie & 0xff;
	const struct sg_secret *key = &s->key[(low8 >> SG_COOKIE_KEY_SHIFT) & 1];
	__u64 now_slot = sg_cookie_slot(cfg, now_ns);
	__u64 age = (now_slot - (low8 >> SG_COOKIE_SLOT_SHIFT)) & SG_COOKIE_SLOT_MASK;

	if (now_ns >= key->expires_ns)
		return SG_COOKIE_UNKNOWN_KEY;
	if (age > cfg->max_age_slots)
		return SG_COOKIE_EXPIRED;
	if (sg_cookie_mac(key, t, isn, now_slot - age, low8) != cookie >> SG_COOKIE_MAC_SHIFT)
		return SG_COOKIE_BAD_MAC;
	return SG_COOKIE_VALID;
}

/*
 * Options of a validated cookie. saw_ts: the ACK carries a timestamp option,
 * whose TSecr holds our TSval's option bits; the cookie is then read as
 * layout B (fine MSS index; window scale, SACK and ECN from the TSecr),
 * otherwise as layout A. Returns -1 when a B cookie's bits 3-4 are not 0 (an
 * A cookie whose ACK grew a timestamp). The echoed window scale is 0..14 or
 * 0xf (none) by construction of its 4-bit field.
 */
SG_INLINE int sg_cookie_decode(const struct sg_config *cfg, __u8 family, __u32 cookie, int saw_ts,
			       __u32 tsecr, struct sg_handshake *hs)
{
	__u32 code = (cookie >> SG_COOKIE_WSCALE_SHIFT) & SG_COOKIE_WSCALE_MASK;
	const __u16 *mss_table;

	hs->tstamp_ok = 0;
	hs->ecn_ok = 0;
	hs->pad = 0;
	if (saw_ts) {
		__u32 ws = tsecr & SG_TS_WSCALE_MASK;

		if (cookie & SG_COOKIE_TS_ZERO_MASK)
			return -1;
		mss_table = family == SG_AF_INET6 ? cfg->mss_ts_v6 : cfg->mss_ts_v4;
		hs->mss = mss_table[cookie & SG_COOKIE_MSS_TS_MASK];
		hs->sack_ok = !!(tsecr & SG_TS_SACK);
		hs->wscale_ok = ws != SG_TS_WSCALE_MASK;
		hs->snd_wscale = ws != SG_TS_WSCALE_MASK ? ws : 0;
		hs->tstamp_ok = 1;
		hs->ecn_ok = (tsecr & SG_TS_ECN) && (cfg->flags & SG_CFG_ECN);
		return 0;
	}
	mss_table = family == SG_AF_INET6 ? cfg->mss_v6 : cfg->mss_v4;
	hs->mss = mss_table[cookie & SG_COOKIE_MSS_MASK];
	hs->sack_ok = !!(cookie & SG_COOKIE_SACK);
	hs->wscale_ok = code != 0;
	hs->snd_wscale = code ? cfg->wscale_table[code] : 0;
	return 0;
}

#endif /* SYNGUARD_COOKIE_H */
