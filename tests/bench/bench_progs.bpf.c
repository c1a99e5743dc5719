// SPDX-License-Identifier: GPL-2.0-only
/*
 * Programs for the per-packet benchmark (tests/bench/xdp_bench.cc).
 *
 * BPF_PROG_TEST_RUN with repeat runs the program again on the buffer the
 * previous iteration left behind, which a responder has already turned into
 * a SYN+ACK. bench_restore therefore copies the case's input packet back from
 * a map before every iteration and tail-calls the program under test. The
 * runner also measures bench_restore tail-calling bench_drop and subtracts
 * that, so only the program under test is counted. bench_drop run on its own
 * is the floor: what running any XDP program at all costs.
 *
 * Every program is xdp.frags: a PROG_ARRAY only takes programs whose frags
 * flag matches that of its first user, and synguard_xdp is frags-aware.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bench_shared.h"
#include "ref_responder.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bench_tmpl);
} bench_tmpl_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} bench_target SEC(".maps");

SEC("xdp.frags")
int bench_drop(struct xdp_md* ctx) { return XDP_DROP; }

/*
 * Restores the template and hands over. Failures return XDP_ABORTED, which
 * no case expects, so the runner notices a broken restore as a wrong verdict.
 */
SEC("xdp.frags")
int bench_restore(struct xdp_md* ctx) {
  __u32 zero = 0, len, cur;
  struct bench_tmpl* t;

  t = bpf_map_lookup_elem(&bench_tmpl_map, &zero);
  if (!t) return XDP_ABORTED;
  len = t->len;
  if (len < 14 || len > BENCH_MAX_PKT) return XDP_ABORTED;
  cur = ctx->data_end - ctx->data;
  /* Most cases leave the length alone: skip the helper then. */
  if (len != cur && bpf_xdp_adjust_tail(ctx, (int)len - (int)cur)) return XDP_ABORTED;
  /* One helper call copies the whole packet; no per-byte loop to verify. */
  if (bpf_xdp_store_bytes(ctx, 0, t->data, len)) return XDP_ABORTED;
  bpf_tail_call(ctx, &bench_target, BENCH_TARGET_SLOT);
  return XDP_ABORTED;
}

/*
 * The question issue 14 asks of the per-SYN socket lookup (TIME_WAIT port
 * reuse): would a map of live 4-tuples, learnt from the kernel, be
 * cheaper? These two answer it on the same SYN, each doing nothing but its
 * lookup on the frame's 4-tuple (fixed offsets: the bench's untagged IPv4
 * and IPv6 frames), XDP_DROP either way: bench_skc_lookup as synguard does
 * it, bench_tuple_lru in an LRU hash of 4-tuples (a miss, as for any new
 * client).
 */
struct bench_tuple {
  __u32 saddr[4];
  __u32 daddr[4];
  __u16 sport;
  __u16 dport;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct bench_tuple);
  __type(value, __u64);
} bench_live_tuples SEC(".maps");

/* Fills t from the frame; returns its size in bpf_sock_tuple terms, 0 if none. */
static __always_inline __u32 bench_frame_tuple(struct xdp_md* ctx, struct bench_tuple* t,
                                               struct bpf_sock_tuple* bt) {
  void *data = (void*)(long)ctx->data, *end = (void*)(long)ctx->data_end;
  __u8* eth = data;

  if ((void*)(eth + 14 + 40 + 4) > end) return 0;
  if (eth[12] == 0x86 && eth[13] == 0xdd) {
    struct ipv6hdr* ip6 = data + 14;
    __u16* ports = (void*)(ip6 + 1);

    __builtin_memcpy(t->saddr, &ip6->saddr, 16);
    __builtin_memcpy(t->daddr, &ip6->daddr, 16);
    t->sport = ports[0];
    t->dport = ports[1];
    __builtin_memcpy(bt->ipv6.saddr, t->saddr, 16);
    __builtin_memcpy(bt->ipv6.daddr, t->daddr, 16);
    bt->ipv6.sport = t->sport;
    bt->ipv6.dport = t->dport;
    return sizeof(bt->ipv6);
  }
  {
    struct iphdr* ip = data + 14;
    __u16* ports = (void*)(ip + 1);

    t->saddr[0] = ip->saddr;
    t->daddr[0] = ip->daddr;
    t->sport = ports[0];
    t->dport = ports[1];
    bt->ipv4.saddr = ip->saddr;
    bt->ipv4.daddr = ip->daddr;
    bt->ipv4.sport = t->sport;
    bt->ipv4.dport = t->dport;
    return sizeof(bt->ipv4);
  }
}

SEC("xdp.frags")
int bench_skc_lookup(struct xdp_md* ctx) {
  struct bench_tuple t = {};
  struct bpf_sock_tuple bt = {};
  struct bpf_sock* sk;
  __u32 size = bench_frame_tuple(ctx, &t, &bt);

  if (!size) return XDP_ABORTED;
  sk = bpf_skc_lookup_tcp(ctx, &bt, size, BPF_F_CURRENT_NETNS, 0);
  if (sk) bpf_sk_release(sk);
  return XDP_DROP;
}

SEC("xdp.frags")
int bench_tuple_lru(struct xdp_md* ctx) {
  struct bench_tuple t = {};
  struct bpf_sock_tuple bt = {};

  if (!bench_frame_tuple(ctx, &t, &bt)) return XDP_ABORTED;
  if (bpf_map_lookup_elem(&bench_live_tuples, &t)) return XDP_PASS;
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
