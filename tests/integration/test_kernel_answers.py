#!/usr/bin/env python3
"""Where the kernel alone would not complete a handshake, synguard does not
either (issue 14), with real clients over the lab's veths:

- a protected, engaged port with no listener: the client's connect() is
  refused at once (the kernel's RST), counted pass/no_listener, and no
  SYN+ACK is sent (a port scan sees the port closed);
- an address added to the server while synguard runs is answered within
  a couple of seconds (the daemon follows rtnetlink), and one removed is
  no longer answered for: its SYNs pass to the kernel;
- a server that routes (ip_forward=1) for a host behind it, on the same
  protected port: connections to that host go through untouched (synguard
  neither answers their SYNs nor drops their ACKs)."""

import subprocess
import sys
import textwrap
import time

from lab import counters, testing
from lab.echo import PORT, EchoServer, run_client

CONNECT = r"""
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
"""

LISTEN = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        c.close()
""")

# The host behind the routing server, and the link between them.
BEHIND = {4: ("10.198.0.2", "10.198.0.1", "24"), 6: ("fd00:198::2", "fd00:198::1", "64")}

# A second address for the server, outside the lab's other subnets.
EXTRA = {4: ("10.199.0.9", "32"), 6: ("fd00:199::9", "128")}


class KernelAnswersTest(testing.LabTestCase):
    def connect(self, l, addr, port):
        p = l.run(l.client_ns, [sys.executable, "-c", CONNECT, addr, str(port)],
                  timeout=15)
        return p.stdout.strip()

    def test_no_listener_is_refused_by_the_kernel(self):
        # The kernel must see the SYN to answer it: no netfilter SYN drop.
        with testing.lab(syn_drop=False) as l:
            d = self.start_synguard(l)
            sg = counters.SynguardCounters(l)
            for family in (4, 6):
                server, _ = l.addresses(family)
                with self.subTest(family=family):
                    before = sg.read()
                    t0 = time.monotonic()
                    result = self.connect(l, server, PORT)
                    took = time.monotonic() - t0
                    after = sg.read()
                    delta = counters.delta(before, after,
                                           ["PASS_NO_LISTENER", "TX_SYNACK"])
                    print(f"{self.mode} v{family} no listener: {result} in {took:.2f} s, "
                          f"{ {k: v for k, v in counters.delta(before, after, after.keys()).items() if v} }")
                    self.assertEqual(result, "refused")
                    self.assertLess(took, 2.0, "a refused connect must not wait")
                    self.assertGreaterEqual(delta["PASS_NO_LISTENER"], 1)
                    self.assertEqual(delta["TX_SYNACK"], 0)
                    # Control: with a listener the same port is answered
                    # by synguard's cookies (TX_SYNACK).
                    srv = EchoServer(l, 1).start()
                    rc, recs, summary = run_client(l, server, 1, quiet=True)
                    self.assertEqual(summary["ok"], 1, recs)
                    self.assertEqual(srv.wait(), 0)
                    self.assertGreaterEqual(
                        counters.delta(after, sg.read(), ["TX_SYNACK"])["TX_SYNACK"], 1)
            self.stop_synguard(d)

    def test_addresses_added_and_removed_while_running(self):
        # The lab drops the kernel's pure SYNs: a connect that succeeds was
        # answered by synguard.
        with testing.lab() as l:
            d = self.start_synguard(l)
            sg = counters.SynguardCounters(l)
            for family in (4, 6):
                addr, plen = EXTRA[family]
                _, client = l.addresses(family)
                with self.subTest(family=family):
                    l.run(l.server_ns, ["ip", f"-{family}", "addr", "add",
                                        f"{addr}/{plen}", "dev", l.server_if]
                          + (["nodad"] if family == 6 else []))
                    l.run(l.client_ns, ["ip", f"-{family}", "route", "add",
                                        f"{addr}/{plen}", "dev", l.client_if])
                    srv = EchoServer(l, 1).start()
                    # Answered once the daemon has the address.
                    deadline = time.monotonic() + 5
                    result = None
                    while time.monotonic() < deadline:
                        result = self.connect(l, addr, PORT)
                        if result == "connected":
                            break
                        time.sleep(0.2)
                    self.assertEqual(result, "connected",
                                     f"{addr} added while running was not answered")
                    srv.stop()
                    # Removed: its SYNs are no longer synguard's.
                    l.run(l.server_ns, ["ip", f"-{family}", "addr", "del",
                                        f"{addr}/{plen}", "dev", l.server_if])
                    time.sleep(1.5)
                    before = sg.read()
                    self.connect(l, addr, PORT)
                    delta = counters.delta(before, sg.read(),
                                           ["PASS_DST_NOT_LOCAL", "TX_SYNACK"])
                    print(f"{self.mode} v{family} removed address: {delta}")
                    self.assertGreaterEqual(delta["PASS_DST_NOT_LOCAL"], 1)
                    self.assertEqual(delta["TX_SYNACK"], 0)
            self.stop_synguard(d)

    def test_forwarded_connections_pass(self):
        with testing.lab(syn_drop=False) as l:
            behind = f"{l.prefix}-bhd"
            rtr_if, bhd_if = f"{l.prefix}r", f"{l.prefix}b"
            l.run(None, ["ip", "netns", "add", behind])
            try:
                l.run(behind, ["ip", "link", "set", "lo", "up"])
                l.run(l.server_ns, ["ip", "link", "add", rtr_if, "type", "veth",
                                    "peer", "name", bhd_if, "netns", behind])
                l.run(l.server_ns, ["ip", "link", "set", rtr_if, "up"])
                l.run(behind, ["ip", "link", "set", bhd_if, "up"])
                for sysctl in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
                    l.run(l.server_ns, ["sysctl", "-q", "-w", sysctl])
                for family in (4, 6):
                    host, gw, plen = BEHIND[family]
                    server, _ = l.addresses(family)
                    f = f"-{family}"
                    l.run(l.server_ns, ["ip", f, "addr", "add", f"{gw}/{plen}", "dev", rtr_if]
                          + (["nodad"] if family == 6 else []))
                    l.run(behind, ["ip", f, "addr", "add", f"{host}/{plen}", "dev", bhd_if]
                          + (["nodad"] if family == 6 else []))
                    l.run(behind, ["ip", f, "route", "add", "default", "via", gw])
                    l.run(l.client_ns, ["ip", f, "route", "add", host, "via", server])
                d = self.start_synguard(l)
                sg = counters.SynguardCounters(l)
                srvs = [l.spawn(behind, [sys.executable, "-c", LISTEN, BEHIND[f][0],
                                         str(PORT)], stdout=subprocess.PIPE, text=True)
                        for f in (4, 6)]
                for p in srvs:
                    self.assertEqual(p.stdout.readline().strip(), "listening")
                for family in (4, 6):
                    with self.subTest(family=family):
                        before = sg.read()
                        self.assertEqual(self.connect(l, BEHIND[family][0], PORT), "connected")
                        delta = counters.delta(before, sg.read(),
                                               ["PASS_DST_NOT_LOCAL", "TX_SYNACK",
                                                "DROP_BAD_MAC"])
                        print(f"{self.mode} v{family} forwarded: {delta}")
                        self.assertGreaterEqual(delta["PASS_DST_NOT_LOCAL"], 2,
                                                "the SYN and the ACK, passed")
                        self.assertEqual(delta["TX_SYNACK"], 0)
                        self.assertEqual(delta["DROP_BAD_MAC"], 0)
                self.stop_synguard(d)
            finally:
                l.run(None, ["ip", "netns", "del", behind], check=False)


if __name__ == "__main__":
    testing.main()
