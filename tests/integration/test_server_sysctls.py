#!/usr/bin/env python3
"""The server's own TCP sysctls are respected: with net.ipv4.tcp_sack,
tcp_window_scaling or tcp_timestamps off in the server's namespace, a
client offering everything still connects (both handoffs refuse a
connection with an option the server turned off, so synguard must not
offer it), and the accepted socket lacks that option. synguard puts back
every sysctl it changed when it exits."""

from lab import testing
from lab.echo import EchoServer, run_client

MIB = 1 << 20
CASES = (("net.ipv4.tcp_sack", "sack"),
         ("net.ipv4.tcp_window_scaling", "wscale"),
         ("net.ipv4.tcp_timestamps", "ts"))
# What each mode makes sure of (docs/design.md, handoff modes).
ENSURED = {"reqsk": {"net.ipv4.tcp_syncookies": "1"},
           "kernel-cookie": {"net.ipv4.tcp_syncookies": "2",
                             "net.ipv4.tcp_timestamps": "2"}}


class ServerSysctlsTest(testing.LabTestCase):
    def test_option_turned_off_on_server(self):
        for name, field in CASES:
            with self.subTest(sysctl=name), testing.lab() as l:
                l.sysctl(l.server_ns, name, 0)
                l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies", 0)
                before = {k: l.sysctl(l.server_ns, k)
                          for k in ENSURED[self.mode]}
                d = self.start_synguard(l)
                for k, v in ENSURED[self.mode].items():
                    self.assertEqual(l.sysctl(l.server_ns, k), v, k)
                for family in (4, 6):
                    srv = EchoServer(l, 1, nbytes=MIB,
                                     timeout_ms=15000).start()
                    rc, recs, _ = run_client(l, l.addresses(family)[0], 1,
                                             nbytes=MIB)
                    self.assertEqual(rc, 0, recs)
                    self.assertEqual(srv.wait(), 0)
                    got = srv.records[0]
                    # kernel-cookie mode turns timestamps back on (=2).
                    ensured_on = name in ENSURED[self.mode]
                    self.assertEqual(got[field], ensured_on,
                                     f"v{family} {name}=0: {got}")
                self.stop_synguard(d)
                for k, v in before.items():
                    self.assertEqual(l.sysctl(l.server_ns, k), v,
                                     f"{k} restored on exit")


if __name__ == "__main__":
    testing.main()
