/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which addresses may stand on either end of a handshake synguard answers,
 * by their form alone (the host's own addresses are a map, see layout.h).
 * Shared by the XDP program, the daemon (which never lists such an address
 * as local) and the host tests.
 *
 * A SYN+ACK goes only where the kernel would send its own: not to a source
 * that cannot be a single host (unspecified, loopback on the wire,
 * multicast, broadcast, class E, an IPv4-mapped IPv6 address), which would
 * make synguard a reflector; and only from a destination that is one
 * host's unicast address. Addresses are in network byte order.
 */
#ifndef SYNGUARD_ADDRESS_H
#define SYNGUARD_ADDRESS_H

#include "layout.h"
#include "types.h"

/* 0.0.0.0/8 (this network), 224.0.0.0/4 (multicast), 240.0.0.0/4 (class E and 255.255.255.255). */
SG_INLINE int sg_v4_not_unicast(__u32 addr)
{
	__u8 first = ((const __u8 *)&addr)[0];

	return first == 0 || first >= 224;
}

SG_INLINE int sg_v4_is_loopback(__u32 addr)
{
	return ((const __u8 *)&addr)[0] == 127;
}

/* ::, ff00::/8 (multicast), ::ffff:0:0/96 (IPv4-mapped). */
SG_INLINE int sg_v6_not_unicast(const __u32 *addr)
{
	const __u8 *b = (const __u8 *)addr;

	if (b[0] == 0xff)
		return 1;
	if (addr[0] | addr[1])
		return 0;
	if (b[8] == 0 && b[9] == 0 && b[10] == 0xff && b[11] == 0xff)
		return 1;
	return (addr[2] | addr[3]) == 0;
}

/* ::1 */
SG_INLINE int sg_v6_is_loopback(const __u32 *addr)
{
	const __u8 *b = (const __u8 *)addr;

	return (addr[0] | addr[1] | addr[2]) == 0 && b[12] == 0 && b[13] == 0 && b[14] == 0 &&
	       b[15] == 1;
}

/*
 * A source no single host on the wire can have: the form checks above, and
 * loopback (the kernel drops it as a martian on any other interface).
 */
SG_INLINE int sg_source_not_unicast(__u8 family, const __u32 *addr)
{
	if (family == SG_AF_INET6)
		return sg_v6_not_unicast(addr) || sg_v6_is_loopback(addr);
	return sg_v4_not_unicast(addr[0]) || sg_v4_is_loopback(addr[0]);
}

/*
 * A destination that is no host's unicast address. Loopback is not refused
 * here: the daemon leaves it out of the local addresses (a frame on the wire
 * to 127.0.0.1 is then "not local"), while a program on lo, and the packet
 * tests, may list it.
 */
SG_INLINE int sg_destination_not_unicast(__u8 family, const __u32 *addr)
{
	if (family == SG_AF_INET6)
		return sg_v6_not_unicast(addr);
	return sg_v4_not_unicast(addr[0]);
}

#endif /* SYNGUARD_ADDRESS_H */
