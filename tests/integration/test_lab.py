#!/usr/bin/env python3
"""The lab itself: it builds what it says, and removes all of it on a
normal exit, on an exception and on SIGTERM."""

import os
import signal
import subprocess
import sys
import unittest

from lab import testing
from lab.run import run

CHILD = """
import sys, time
from lab import testing
with testing.lab() as l:
    print(l.prefix, l.server_ns, l.client_ns, flush=True)
    time.sleep(60)
"""


def netns_names():
    return set(run(["ip", "netns", "list"]).stdout.split())


def pins():
    return set(os.listdir("/sys/fs/bpf"))


class LabTest(unittest.TestCase):
    def test_builds_and_removes(self):
        with testing.lab(mtu=9000) as l:
            self.assertIn(l.server_ns, netns_names())
            self.assertIn(l.client_ns, netns_names())
            link = run(["ip", "-o", "link", "show", l.server_if],
                       ns=l.server_ns).stdout
            self.assertIn("mtu 9000", link)
            peer = run(["ip", "-o", "link", "show", l.client_if],
                       ns=l.client_ns).stdout
            self.assertIn("xdp", peer, "peer XDP_PASS program attached")
            addrs = run(["ip", "-o", "addr", "show"], ns=l.client_ns).stdout
            self.assertIn("10.200.0.2/24", addrs)
            self.assertIn("fd00:5347::2/64", addrs)
            # Nothing of the lab in the host's namespace.
            self.assertNotIn(l.prefix, run(["ip", "-o", "link"]).stdout)
            names = (l.server_ns, l.client_ns)
            prefix = l.prefix
        self.assertFalse(set(names) & netns_names())
        self.assertFalse([p for p in pins() if p.startswith(prefix)])

    def test_removes_on_exception(self):
        names = ()
        with self.assertRaises(ZeroDivisionError):
            with testing.lab(attacker=True) as l:
                names = (l.server_ns, l.client_ns, l.attacker_ns, l.hub_ns)
                self.assertEqual(len(set(names) & netns_names()), 4)
                1 / 0
        self.assertFalse(set(names) & netns_names())

    def test_removes_on_sigterm(self):
        p = subprocess.Popen([sys.executable, "-c", CHILD],
                             stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        try:
            line = p.stdout.readline().split()
            self.assertEqual(len(line), 3, "child lab did not start")
            self.assertTrue(set(line[1:]) <= netns_names())
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 128 + signal.SIGTERM)
            self.assertFalse(set(line[1:]) & netns_names())
            self.assertFalse([x for x in pins() if x.startswith(line[0])])
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)

    def test_attacker_topology_reaches_server(self):
        from lab.echo import EchoServer, run_client
        with testing.lab(attacker=True, syn_drop=False) as l:
            for ns in (l.client_ns, l.attacker_ns):
                srv = EchoServer(l, 1, nbytes=1000, timeout_ms=10000).start()
                rc, _, summary = run_client(l, "10.200.0.1", nbytes=1000,
                                            ns=ns)
                self.assertEqual((rc, summary["ok"]), (0, 1))
                self.assertEqual(srv.wait(), 0)


if __name__ == "__main__":
    testing.main()
