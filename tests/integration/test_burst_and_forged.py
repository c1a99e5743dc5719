#!/usr/bin/env python3
"""200 connections back to back all succeed (IPv4 and IPv6); then pure ACKs
with random ports, sequence and acknowledgment numbers (a blind attacker)
are dropped by XDP and counted: the server creates no socket, accepts
nothing, sends no reset."""

import sys

from lab import counters, testing
from lab.echo import EchoServer, run_client

BURST = 200
FORGED = 2000
# The drops a bad ACK may be counted under, by mode.
DROPS = {"reqsk": ("DROP_BAD_MAC", "DROP_EXPIRED", "DROP_UNKNOWN_KEY"),
         "kernel-cookie": ("DROP_KERNEL_COOKIE",)}


class BurstAndForgedTest(testing.LabTestCase):
    def test_burst_then_forged_acks(self):
        with testing.lab() as l:
            d = self.start_synguard(l)
            sg = counters.SynguardCounters(l)
            for family in (4, 6):
                with self.subTest(phase="burst", family=family):
                    srv = EchoServer(l, BURST, nbytes=16384).start()
                    rc, recs, summary = run_client(
                        l, l.addresses(family)[0], BURST, nbytes=16384,
                        quiet=True)
                    print(f"{self.mode} v{family} burst: {summary}")
                    self.assertEqual(summary["ok"], BURST, recs)
                    self.assertEqual(srv.wait(), 0)

            for family in (4, 6):
                with self.subTest(phase="forged", family=family):
                    self.forge(l, sg, family)
            self.stop_synguard(d)

    def forge(self, l, sg, family):
        server, client = l.addresses(family)
        # A listener must exist: a forged ACK to a live port is the attack.
        srv = EchoServer(l, 1, nbytes=1, timeout_ms=30000).start()
        before_sg, before = sg.read(), counters.snmp(l.server_ns)
        p = l.run(l.client_ns, [sys.executable, "-m", "lab.forge",
                                "--src", client, "--dst", server,
                                "--port", str(srv.port),
                                "--count", str(FORGED)], timeout=30)
        self.assertEqual(int(p.stdout.strip()), FORGED)
        after_sg, after = sg.read(), counters.snmp(l.server_ns)
        srv.stop()
        dropped = sum(counters.delta(before_sg, after_sg,
                                     DROPS[self.mode]).values())
        tcp = counters.delta(before, after, ["Tcp.PassiveOpens", "Tcp.OutRsts",
                                             "Tcp.InSegs"])
        print(f"{self.mode} v{family} forged: dropped {dropped}, {tcp}")
        self.assertEqual(dropped, FORGED)
        self.assertEqual(srv.records, [], "a forged ACK was accepted")
        self.assertEqual(tcp["Tcp.PassiveOpens"], 0)
        self.assertEqual(tcp["Tcp.OutRsts"], 0)
        # XDP dropped them before the stack counted a segment.
        self.assertEqual(tcp["Tcp.InSegs"], 0)
        self.assertEqual(counters.sockets(l.server_ns, "established",
                                          srv.port), [])


if __name__ == "__main__":
    testing.main()
