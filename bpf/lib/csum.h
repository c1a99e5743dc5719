/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internet checksums for the headers we write. XDP_TX has no checksum
 * offload, so both the IPv4 header and the TCP checksum are computed in full.
 * Words are summed as they lie in memory: the one's complement sum does not
 * care about byte order as long as the result is stored the same way.
 */
#ifndef SG_BPF_CSUM_H
#define SG_BPF_CSUM_H

#include "vmlinux.h"
#include "synguard/types.h"

SG_INLINE __u64 sg_csum_add(__u64 sum, __u32 word)
{
	return sum + word;
}

SG_INLINE __u16 sg_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* SG_BPF_CSUM_H */
