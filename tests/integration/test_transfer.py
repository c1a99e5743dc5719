#!/usr/bin/env python3
"""Real Linux clients move 1 MiB each way through connections that only
synguard could have opened (the server drops every pure SYN), IPv4 and
IPv6, checked by checksum on both ends."""

import unittest

from lab import counters, env, nft, testing
from lab.echo import EchoServer, run_client

CONNECTIONS = 3
MIB = 1 << 20


class TransferTest(testing.LabTestCase):
    def test_one_mib_each_way(self):
        with testing.lab() as l:
            d = self.start_synguard(l)
            sg = counters.SynguardCounters(l)
            before = sg.read()
            for family in (4, 6):
                with self.subTest(family=family):
                    srv = EchoServer(l, CONNECTIONS, nbytes=MIB).start()
                    rc, recs, summary = run_client(
                        l, l.addresses(family)[0], CONNECTIONS, nbytes=MIB)
                    self.assertEqual(rc, 0, recs)
                    self.assertEqual(summary["ok"], CONNECTIONS)
                    self.assertEqual(srv.wait(), 0, srv.records)
                    self.assertTrue(all(r["ok"] for r in srv.records))
            after = sg.read()
            n = 2 * CONNECTIONS
            got = counters.delta(before, after,
                                 ["TX_SYNACK", "PASS_COOKIE_VALID",
                                  "HANDOFF_OK", "TC_PASS_XDP_SOCKET",
                                  "HANDOFF_SOCKET"])
            self.assertEqual(got["TX_SYNACK"], n)
            self.assertEqual(got["PASS_COOKIE_VALID"], n)
            if self.mode == "reqsk":
                self.assertEqual(got["HANDOFF_OK"], n)
                # The clients' data segments pass TC as an existing
                # connection's: by XDP's metadata word in native mode
                # (counted, no second lookup), else by TC's own lookup.
                if env.xdp_mode() == "native":
                    self.assertGreater(got["TC_PASS_XDP_SOCKET"], 0, got)
                self.assertGreater(
                    got["TC_PASS_XDP_SOCKET"] + got["HANDOFF_SOCKET"], 0, got)
            # Netfilter never saw a SYN: XDP answered them all.
            self.assertEqual(nft.dropped_syns(l.server_ns), 0)
            self.stop_synguard(d)


if __name__ == "__main__":
    testing.main()
