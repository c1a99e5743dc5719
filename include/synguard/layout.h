/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Map keys and values shared by the BPF programs and the daemon. One copy,
 * included by both sides; tests/unit/layout_test.cc pins every size and
 * offset so that a change here is a deliberate one.
 */
#ifndef SYNGUARD_LAYOUT_H
#define SYNGUARD_LAYOUT_H

#include "types.h"

/* Address families as stored in struct sg_tuple. */
#define SG_AF_INET  4
#define SG_AF_INET6 6

/*
 * Entries in the per-family MSS tables and the window-scale table, and in
 * the finer MSS tables used when the client offers timestamps (cookie.h).
 */
#define SG_MSS_TABLE_SIZE    4
#define SG_WSCALE_TABLE_SIZE 4
#define SG_MSS_TS_TABLE_SIZE 8

/* How many ports may be protected at once (per-port statistics slots). */
#define SG_MAX_PROTECTED_PORTS 64

/*
 * One cookie secret. expires_ns is wall-clock nanoseconds (the config's
 * clock): a key is usable while now < expires_ns. 0 marks an empty slot; the
 * current key carries ~0.
 */
struct sg_secret {
	__u64 k0;
	__u64 k1;
	__u64 expires_ns;
};

/*
 * The secrets map's single value. New cookies use key[current]; a cookie
 * names its key by one bit, so validating it costs one hash. The daemon
 * rotates in two writes: first the new key into the idle slot, then the flip
 * of `current` (with the old key's grace deadline), so a reader never sees
 * `current` point at a half-written key.
 */
struct sg_secrets {
	struct sg_secret key[2];
	__u32 current;
	__u32 pad;
};

/* sg_config.flags */
#define SG_CFG_ECN   (1u << 0) /* the server accepts ECN (net.ipv4.tcp_ecn != 0) */
#define SG_CFG_LISTS (1u << 1) /* allow/deny tries hold entries: look them up */
/*
 * The server's own sysctls turn an option off (net.ipv4.tcp_sack,
 * tcp_window_scaling, tcp_timestamps = 0): the SYN+ACK does not offer it,
 * as the kernel's would not, and the cookie does not carry it. Both
 * handoffs refuse a connection that has it (found on 6.18 for SACK and
 * window scaling: bpf_sk_assign_tcp_reqsk fails, the kernel's own cookie
 * check drops the ACK; the client gets a reset). Negative, so that a zero
 * flags word offers everything.
 */
#define SG_CFG_NO_SACK   (1u << 2)
#define SG_CFG_NO_WSCALE (1u << 3)
#define SG_CFG_NO_TS     (1u << 4)

/*
 * Settings the daemon may change at run time (SIGHUP, clock refresh). Set at
 * start, before the program is attached.
 */
struct sg_config {
	/* Wall clock = the program's monotonic clock + clock_offset_ns; refreshed by the daemon. */
	__u64 clock_offset_ns;
	/*
	 * Cookie time slot: 2^slot_shift ns, so that the per-packet slot
	 * counter is a shift rather than a 64-bit division. A cookie is
	 * accepted for max_age_slots more slots.
	 */
	__u32 slot_shift;
	__u32 pad0;
	__u32 max_age_slots; /* 1 or 2: a 2-bit slot field must tell age 3 as expired */
	__u32 flags;         /* SG_CFG_* */
	/* Without timestamps, the client's MSS is rounded down to one of these (ascending). */
	__u16 mss_v4[SG_MSS_TABLE_SIZE];
	__u16 mss_v6[SG_MSS_TABLE_SIZE];
	/* The MSS our SYN+ACK advertises (the server's, from the MTU or config). */
	__u16 server_mss_v4;
	__u16 server_mss_v6;
	__u16 synack_window; /* window field of the SYN+ACK (never scaled) */
	__u8 server_wscale;  /* window scale our SYN+ACK advertises, 0..14 */
	__u8 ttl;            /* IPv4 TTL / IPv6 hop limit of the SYN+ACK */
	/*
	 * Client window scale, rounded down, for clients without timestamps:
	 * code 0 = no scaling, codes 1..3 index this table ([0] is unused and
	 * [1] must be 0 so that every offered scale can round down).
	 */
	__u8 wscale_table[SG_WSCALE_TABLE_SIZE];
	__u8 pad[4];
	/*
	 * The program's monotonic clock: jiffies64 * jiffy_ns + jiffies_mono_ns.
	 * bpf_ktime_get_ns() costs about 33 ns in a VM (a paravirtual clock
	 * read), bpf_jiffies64() is one load the verifier inlines, and a
	 * cookie slot is tens of seconds. The loader calibrates both fields
	 * (daemon/datapath/program_clock.h) so this never runs ahead of
	 * CLOCK_MONOTONIC and lags it by at most a few ticks. jiffy_ns 0: use
	 * bpf_ktime_get_ns().
	 */
	__u64 jiffy_ns;
	__u64 jiffies_mono_ns;
	/*
	 * For clients that offer timestamps the cookie's SACK and window-scale
	 * bits are free (our TSval carries both exactly), so the client's MSS
	 * is rounded down to one of these eight instead (ascending).
	 */
	__u16 mss_ts_v4[SG_MSS_TS_TABLE_SIZE];
	__u16 mss_ts_v6[SG_MSS_TS_TABLE_SIZE];
};

/*
 * What synguard_clock_probe writes into the frame it is run on
 * (BPF_PROG_TEST_RUN): one reading of each clock, for the calibration.
 */
struct sg_clock_sample {
	__u64 mono_before_ns; /* bpf_ktime_get_ns() before reading jiffies */
	__u64 jiffies;        /* bpf_jiffies64() */
	__u64 mono_after_ns;
	__u64 hz;             /* CONFIG_HZ, 0 when the kernel config is not readable */
};

/* sg_port.flags, the ports map is an array indexed by host-order port. */
#define SG_PORT_PROTECTED (1u << 0) /* synguard watches this port */
#define SG_PORT_ENGAGED   (1u << 1) /* cookies answer SYNs now */

struct sg_port {
	__u32 flags;
	__u32 stats_slot; /* index into the per-port statistics array */
};

/* Per protected port, per CPU; the detector reads SYN rates from here. */
struct sg_port_stats {
	__u64 syn;            /* pure SYNs seen, engaged or not */
	__u64 synack_sent;    /* cookie SYN+ACKs sent */
	__u64 ack_valid;      /* ACKs with a valid cookie, handed on */
	__u64 ack_invalid;    /* ACKs without socket and with a bad cookie, dropped */
};

/*
 * sg_iface_map's one value: the device this program object is attached to
 * (each protected interface loads its own). A SYN+ACK answers only frames
 * sent to this MAC: a frame to another host's MAC (promiscuous mode, a
 * bridge port) or to a group address is not this host's to answer. The
 * loader writes it before attaching; all zero: no check (a device without
 * an Ethernet address).
 */
struct sg_iface {
	__u8 mac[6];
	__u16 pad;
	__u32 ifindex;
};

/*
 * The host's own addresses, as the daemon reads them from rtnetlink (every
 * address of every interface in its network namespace, loopback and
 * tentative IPv6 addresses left out): a SYN is answered only when its
 * destination is SG_ADDR_LOCAL, and refused when its source is either kind
 * (a "land" SYN, or a subnet's broadcast address as the source).
 * sg_local_v4_map's key is the address in network order; sg_local_v6_map's
 * is struct sg_addr6.
 */
#define SG_MAX_LOCAL_ADDRESSES 4096 /* per family; more are logged and left out */
#define SG_ADDR_LOCAL	  1u
#define SG_ADDR_BROADCAST 2u

struct sg_addr6 {
	__u8 addr[16];
};

/*
 * The same addresses for the common host with a few of them: sg_local_fast_map's
 * one value, scanned in a few instructions where a hash lookup costs tens of
 * nanoseconds per SYN (two per SYN: destination and source). Unused entries
 * are zero (an address the form checks refuse before any lookup). A family
 * with more than SG_LOCAL_FAST addresses sets its *_more flag: the program
 * then looks that family up in the hash map, which always holds them all.
 */
#define SG_LOCAL_FAST 8

struct sg_local_fast {
	__u32 v4[SG_LOCAL_FAST]; /* network order */
	__u32 v4_kind[SG_LOCAL_FAST];
	struct sg_addr6 v6[SG_LOCAL_FAST];
	__u32 v6_kind[SG_LOCAL_FAST];
	__u32 v4_more;
	__u32 v6_more;
};

/* Allow/deny LPM trie keys; the value is one of SG_LIST_*. */
struct sg_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct sg_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

#define SG_LIST_ALLOW 1u
#define SG_LIST_DENY  2u

/*
 * The XDP program's word to the TC program, in the frame's metadata
 * (bpf_xdp_adjust_meta): one 32-bit word, SG_META_MAGIC | kind. Only XDP on
 * this host can write it; a driver without metadata support leaves none and
 * TC then does its full work.
 */
#define SG_META_MAGIC  0x53470000u /* "SG" */
#define SG_META_SOCKET 1u          /* a socket exists: nothing for TC to do */
#define SG_META_COOKIE 2u          /* the cookie is valid: TC hands it off */

/* Handoff modes, fixed at load time (rodata). */
#define SG_HANDOFF_REQSK         0u
#define SG_HANDOFF_KERNEL_COOKIE 1u

#endif /* SYNGUARD_LAYOUT_H */
