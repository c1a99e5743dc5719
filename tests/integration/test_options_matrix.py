#!/usr/bin/env python3
"""The client's TCP options survive the cookie: for each combination of
timestamps, SACK and window scaling offered by the client (its own
net.ipv4 sysctls), for MTU 1280 (IPv6), 1500 and 9000, the server's
accepted socket (TCP_INFO) has exactly the options the client offered,
within the cookie's rounding (lab/expect.py), the two ends agree with each
other, and 1 MiB goes each way. Prints the matrix it ran."""

import itertools

from lab import testing
from lab.echo import EchoServer, run_client
from lab.expect import Offer, expected_server, kernel_wscale

MIB = 1 << 20
COMPARED = ("ts", "sack", "wscale", "ecn", "snd_wscale", "rcv_wscale",
            "snd_mss", "advmss")


def offers(mtu):
    base = [Offer(ts, sack, ws) for ts, sack, ws in
            itertools.product((True, False), repeat=3)]
    if mtu != 1500:
        return base
    # Window scales that are and are not in the cookie's table {0, 7, 10},
    # and ECN, with and without timestamps to carry them.
    extra = [Offer(ts, True, True, rmem_max=r) for ts in (True, False)
             for r in (4 << 20, 16 << 20)]
    extra += [Offer(ts, True, True, ecn=True) for ts in (True, False)]
    return base + extra


class OptionsMatrixTest(testing.LabTestCase):
    def setUp(self):
        super().setUp()
        self.rows = []

    def run_mtu(self, mtu, families):
        with testing.lab(mtu=mtu) as l:
            d = self.start_synguard(l)
            rmem = l.sysctl(l.server_ns, "net.ipv4.tcp_rmem").split()
            rmem_max = int(l.sysctl(l.server_ns, "net.core.rmem_max"))
            server_ws = kernel_wscale(int(rmem[2]), rmem_max)
            client_rmem_max = int(l.sysctl(l.client_ns, "net.core.rmem_max"))
            for offer in offers(mtu):
                l.run(l.client_ns, [
                    "sysctl", "-qw",
                    f"net.ipv4.tcp_timestamps={int(offer.ts)}",
                    f"net.ipv4.tcp_sack={int(offer.sack)}",
                    f"net.ipv4.tcp_window_scaling={int(offer.ws)}",
                    f"net.ipv4.tcp_ecn={int(offer.ecn)}",
                    f"net.ipv4.tcp_rmem=4096 131072 {offer.rmem_max}"])
                client_ws = kernel_wscale(offer.rmem_max, client_rmem_max)
                for family in families:
                    self.check(l, mtu, family, offer, client_ws, server_ws)
            self.stop_synguard(d)

    def check(self, l, mtu, family, offer, client_ws, server_ws):
        want = expected_server(self.mode, family, mtu, offer, client_ws,
                               server_ws)
        srv = EchoServer(l, 1, nbytes=MIB, timeout_ms=15000).start()
        rc, recs, _ = run_client(l, l.addresses(family)[0], 1, nbytes=MIB)
        srv.wait()
        got = srv.records[0] if srv.records else {}
        cli = recs[0] if recs else {}
        problems = []
        if rc != 0 or not got.get("ok"):
            problems.append(f"transfer failed: client {cli.get('error')!r}, "
                            f"server {got.get('error')!r}")
        for k in COMPARED:
            if got.get(k) != want[k]:
                problems.append(f"{k}={got.get(k)} want {want[k]}")
        # Both ends must agree, whatever the rounding.
        for k in ("ts", "sack", "wscale"):
            if cli.get(k) != got.get(k):
                problems.append(f"client {k}={cli.get(k)} server {got.get(k)}")
        if got.get("wscale") and \
                cli.get("snd_wscale") != got.get("rcv_wscale"):
            problems.append("client's snd_wscale differs from the server's "
                            "rcv_wscale")
        label = (f"{self.mode} mtu={mtu} v{family} {offer.label()} "
                 f"ws={client_ws}")
        self.rows.append((label, problems, got.get("ms")))
        with self.subTest(case=label):
            self.assertFalse(problems, "; ".join(problems))

    def test_matrix(self):
        try:
            self.run_mtu(1500, (4, 6))
            self.run_mtu(9000, (4, 6))
            self.run_mtu(1280, (6,))  # IPv6's minimum MTU
        finally:
            for label, problems, ms in self.rows:
                status = "ok  " if not problems else "FAIL"
                print(f"{status} {label:<48} {ms}ms {'; '.join(problems)}")


if __name__ == "__main__":
    testing.main()
