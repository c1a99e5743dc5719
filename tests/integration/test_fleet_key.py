#!/usr/bin/env python3
"""A fleet key file: two servers (two labs with the same addresses, as two
hosts behind one anycast address) run synguard with the same key file. A
SYN goes to server A, whose XDP program answers with a cookie SYN+ACK; the
ACK for it goes to server B, whose program must validate A's cookie and
hand the connection to B's listener. A wrong cookie is refused. reqsk only
(kernel-cookie uses the kernel's own, per-host secrets)."""

import os
import random
import socket
import struct
import tempfile
import time
import unittest
import ipaddress

from lab import counters, env, testing
from lab.daemon import Synguard
from lab.echo import EchoServer
from lab.forge import _csum
from lab.run import run

PORT = 8080
PROBE = r"""
import socket, struct, sys, time, ipaddress
from lab.forge import _csum
src, dst = ipaddress.ip_address(sys.argv[1]), ipaddress.ip_address(sys.argv[2])
sport, dport, seq = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
flags, ack = int(sys.argv[6]), int(sys.argv[7])
hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(hdr))
hdr = hdr[:16] + struct.pack("!H", _csum(pseudo + hdr)) + hdr[18:]
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rx.settimeout(3)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
tx.sendto(hdr, (str(dst), 0))
if flags != 0x02:
    sys.exit(0)
end = time.monotonic() + 3
while time.monotonic() < end:
    pkt = rx.recv(2048)
    ihl = (pkt[0] & 15) * 4
    sp, dp, s, a, off, fl = struct.unpack("!HHIIBB", pkt[ihl:ihl + 14])
    if sp == dport and dp == sport and fl & 0x12 == 0x12:
        print(s, a)
        sys.exit(0)
sys.exit("no SYN+ACK")
"""


def probe(lab, ns, sport, flags, seq, ack=0):
    src, dst = "10.200.0.2", "10.200.0.1"
    p = run(["python3", "-c", PROBE, src, dst, str(sport), str(PORT),
             str(seq), str(flags), str(ack)], ns=ns)
    return p.stdout.split()


class FleetKeyTest(testing.LabTestCase):
    def start(self, lab, path):
        d = Synguard(lab, env.synguard(), PORT, "reqsk")
        d.argv = [env.synguard(), "run", "-c", path]
        d.start()
        self._daemons.append(d)
        return d

    def test_cookie_from_a_validates_on_b(self):
        if self.mode == "kernel-cookie":
            raise unittest.SkipTest("fleet keys are for the reqsk handoff")
        with tempfile.TemporaryDirectory() as tmp, \
                testing.lab(syn_drop=False) as a, \
                testing.lab(syn_drop=False) as b:
            key = os.path.join(tmp, "fleet.key")
            fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, os.urandom(16).hex().encode() + b"\n")
            os.close(fd)
            for lab in (a, b):
                path = os.path.join(tmp, f"{lab.prefix}.yaml")
                with open(path, "w") as f:
                    f.write(f"interfaces: [{lab.server_if}]\n"
                            f"ports: [{{port: {PORT}, engage: always}}]\n"
                            f"handoff: reqsk\n"
                            f"secrets: {{source: key_file, key_file: {key}}}\n")
                self.start(lab, path)
            # Both servers listen, as a fleet does: synguard answers a SYN
            # only for a port with a listener.
            srv_a = EchoServer(a, 1, nbytes=10, timeout_ms=5000).start()
            srv = EchoServer(b, 1, nbytes=10, timeout_ms=5000).start()
            cb = counters.SynguardCounters(b)
            before = cb.read()
            sport = random.randint(20000, 30000)
            isn = random.getrandbits(32)
            # A wrong cookie first: B refuses it.
            seq, ack = map(int, probe(a, a.client_ns, sport, 0x02, isn))
            self.assertEqual(ack, (isn + 1) & 0xffffffff)
            probe(b, b.client_ns, sport, 0x10, isn + 1, (seq + 2) & 0xffffffff)
            time.sleep(0.3)
            mid = cb.read()
            self.assertEqual(mid.get("PASS_COOKIE_VALID", 0),
                             before.get("PASS_COOKIE_VALID", 0))
            self.assertGreater(mid.get("DROP_BAD_MAC", 0),
                               before.get("DROP_BAD_MAC", 0))
            # The right one: A's cookie, validated and handed off by B.
            probe(b, b.client_ns, sport, 0x10, isn + 1, (seq + 1) & 0xffffffff)
            time.sleep(0.3)
            after = cb.read()
            self.assertEqual(after.get("PASS_COOKIE_VALID", 0),
                             before.get("PASS_COOKIE_VALID", 0) + 1, after)
            self.assertEqual(after.get("HANDOFF_OK", 0),
                             before.get("HANDOFF_OK", 0) + 1, after)
            srv.stop()
            srv_a.stop()


if __name__ == "__main__":
    testing.main()
