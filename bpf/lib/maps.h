/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps every synguard program shares. The TC handoff object declares the
 * same maps and the loader points them at the XDP object's (reuse_fd), so the
 * two programs see one set of secrets, config and counters.
 */
#ifndef SG_BPF_MAPS_H
#define SG_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "synguard/shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_config);
} sg_config_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_secrets);
} sg_secrets_map SEC(".maps");

/* Indexed by host-order destination port. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct sg_port);
} sg_ports_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_MAX_PROTECTED_PORTS);
	__type(key, __u32);
	__type(value, struct sg_port_stats);
} sg_port_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_counters_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct sg_lpm_v4);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} sg_lists_v4_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct sg_lpm_v6);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} sg_lists_v6_map SEC(".maps");

/* The interface this object is attached to (struct sg_iface). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_iface);
} sg_iface_map SEC(".maps");

/* The host's addresses, when few (struct sg_local_fast). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_local_fast);
} sg_local_fast_map SEC(".maps");

/* The host's addresses: SG_ADDR_LOCAL or SG_ADDR_BROADCAST (layout.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_MAX_LOCAL_ADDRESSES);
	__type(key, __u32);
	__type(value, __u32);
} sg_local_v4_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_MAX_LOCAL_ADDRESSES);
	__type(key, struct sg_addr6);
	__type(value, __u32);
} sg_local_v6_map SEC(".maps");

SG_INLINE void sg_count(enum sg_reason reason)
{
	__u32 key = reason;
	__u64 *n = bpf_map_lookup_elem(&sg_counters_map, &key);

	if (n)
		*n += 1;
}

#endif /* SG_BPF_MAPS_H */
