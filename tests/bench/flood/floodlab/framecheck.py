"""A check of the generator's frames by an independent implementation: a
few frames of a slow flood are captured on the server's interface (an
AF_PACKET socket in the server's namespace, before any defense) and taken
apart here: Ethernet type, IP version and lengths, the source inside the
benchmark range, the destination, SYN alone, Linux's SYN options (MSS,
SACK-permitted, timestamps, NOP, window scale) with the family's MSS, the IPv4
header checksum, and the TCP checksum over the pseudo-header of the family
(RFC 793; RFC 8200 section 8.1).

With NFT_QUIRK (the flood's --flow-label nft-synproxy), IPv6 frames must
also pass the IPv4-style sum that nftables synproxy applies to them (see
tests/bench/flood/flood_packet.h).

The kernel's own verdict is the other half: in the benchmark's rows the
server's Tcp.InCsumErrors must stay 0 while Tcp.InSegs counts the flood.

    python3 -m floodlab.framecheck IFNAME PORT COUNT SECONDS [NFT_QUIRK]
(in the server's netns) prints one JSON line: {"checked": n, "bad": [...]}.
"""

import ipaddress
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def csum(data):
    """RFC 1071 ones'-complement sum of data, folded, not inverted."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


def tcp_options(opts):
    """{kind: bytes} of a TCP options field, and "order": the kinds as
    they come (NOPs included)."""
    out, i = {"order": []}, 0
    while i < len(opts):
        kind = opts[i]
        out["order"].append(kind)
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        length = opts[i + 1] if i + 1 < len(opts) else 0
        if length < 2 or i + length > len(opts):
            out["malformed"] = opts[i:]
            break
        out[kind] = opts[i + 2:i + length]
        i += length
    return out


def check_frame(frame, port, nft_quirk=False):
    """(family, problems, destination) of one captured frame, or None when
    it is not a TCP segment to port (other traffic on the interface)."""
    problems = []
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        family, ihl = 4, (ip[0] & 0xf) * 4
        if ip[0] >> 4 != 4 or ihl != 20:
            problems.append(f"IPv4 version/IHL byte {ip[0]:#x}")
        total = struct.unpack("!H", ip[2:4])[0]
        if csum(ip[:ihl]) != 0xffff:
            problems.append("IPv4 header checksum")
        src, dst = ip[12:16], ip[16:20]
        tcp = ip[ihl:total]
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        net = ipaddress.ip_network("198.18.0.0/15")
    elif ethertype == 0x86dd and len(ip) >= 40 and ip[6] == 6:
        family = 6
        if ip[0] >> 4 != 6:
            problems.append(f"IPv6 version {ip[0] >> 4}")
        payload = struct.unpack("!H", ip[4:6])[0]
        src, dst = ip[8:24], ip[24:40]
        tcp = ip[40:40 + payload]
        if len(tcp) != payload:
            problems.append(f"IPv6 payload length {payload}, {len(tcp)} here")
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
        net = ipaddress.ip_network("2001:2::/48")
        # nf_ip_checksum() on an IPv6 frame: header bytes 12-19 as the
        # addresses, then everything from the IPv6 header on.
        misread = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp)) + \
            ip[:40] + tcp
        if nft_quirk and csum(misread) != 0xffff:
            problems.append("IPv4-style sum (nft synproxy) of an IPv6 frame")
    else:
        return None
    if len(tcp) < 20 or struct.unpack("!H", tcp[2:4])[0] != port:
        return None
    if ipaddress.ip_address(bytes(src)) not in net:
        problems.append(f"source {ipaddress.ip_address(bytes(src))} "
                        f"outside {net}")
    if csum(pseudo + tcp) != 0xffff:
        problems.append("TCP checksum")
    doff = (tcp[12] >> 4) * 4
    if tcp[13] != 0x02:
        problems.append(f"TCP flags {tcp[13]:#x}, not SYN")
    opts = tcp_options(tcp[20:doff])
    mss = struct.unpack("!H", opts[2])[0] if len(opts.get(2, b"")) == 2 \
        else None
    want = 1440 if family == 6 else 1460
    if mss != want:
        problems.append(f"MSS {mss}, not {want}")
    # Linux's SYN: MSS, SACK-permitted, timestamps, NOP, window scale 7.
    if opts["order"] != [2, 4, 8, 1, 3] or "malformed" in opts or \
            len(opts.get(8, b"")) != 8 or opts.get(3) != b"\x07":
        problems.append(f"options {tcp[20:doff].hex()}, not Linux's SYN set")
    return family, problems, str(ipaddress.ip_address(bytes(dst)))


def capture(ifname, port, count, seconds, nft_quirk=False):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(0.2)
    print(json.dumps({"ready": True}), flush=True)
    checked, bad, families, dsts = 0, [], set(), set()
    end = time.monotonic() + seconds
    while checked < count and time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        r = check_frame(frame, port, nft_quirk)
        if r is None:
            continue
        family, problems, dst = r
        checked += 1
        families.add(family)
        dsts.add(dst)
        if problems:
            bad.append({"frame": frame.hex(), "problems": problems})
    print(json.dumps({"summary": True, "checked": checked,
                      "families": sorted(families), "destinations":
                      sorted(dsts), "bad": bad[:5], "bad_count": len(bad)}),
          flush=True)


if __name__ == "__main__":
    capture(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
            float(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "1")
