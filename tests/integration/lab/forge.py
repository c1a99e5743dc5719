"""Forged ACKs: pure ACKs with random ports, sequence and acknowledgment
numbers, as a blind attacker would send, from a raw socket (no scapy).

Run inside a lab namespace as a script:
    python3 -m lab.forge --dst 10.200.0.1 --port 8080 --count 1000
The destination must be a lab address; the count and the rate are bounded.
"""

import argparse
import ipaddress
import random
import socket
import struct
import sys
import time

MAX_COUNT = 100000
LAB_NETS = (ipaddress.ip_network("10.200.0.0/24"),
            ipaddress.ip_network("fd00:5347::/64"))


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_ack(src, dst, sport, dport, seq, ack):
    """A 20-byte TCP header with the ACK flag and a correct checksum."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10,
                      65535, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(hdr))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(hdr), 6)
    return hdr[:16] + struct.pack("!H", _csum(pseudo + hdr)) + hdr[18:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    # Below the default ephemeral range (32768-60999): a forged ACK that hits
    # a real connection's TIME_WAIT socket is rightly passed to the kernel.
    ap.add_argument("--sport-min", type=int, default=1024)
    ap.add_argument("--sport-max", type=int, default=32767)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0,
                    help="stop after this long whatever the count")
    a = ap.parse_args(argv)
    src, dst = ipaddress.ip_address(a.src), ipaddress.ip_address(a.dst)
    if not any(dst in n for n in LAB_NETS):
        sys.exit(f"refusing to send to {dst}: not a lab address")
    count = min(a.count, MAX_COUNT)
    family = socket.AF_INET if dst.version == 4 else socket.AF_INET6
    # The kernel adds the IP header; we give it TCP with our own checksum.
    s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
    rng = random.SystemRandom()
    end = time.monotonic() + a.seconds
    sent = 0
    while sent < count and time.monotonic() < end:
        pkt = tcp_ack(src, dst, rng.randint(a.sport_min, a.sport_max), a.port,
                      rng.getrandbits(32), rng.getrandbits(32))
        s.sendto(pkt, (str(dst), 0))
        sent += 1
    print(sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
