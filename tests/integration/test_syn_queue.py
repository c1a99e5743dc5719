#!/usr/bin/env python3
"""Where the handshake state lives. reqsk mode: the listener's SYN queue is
never used: no SYN_RECV socket is ever seen, the kernel's syncookie and
listen-drop counters do not move. kernel-cookie mode: no SYN_RECV socket
either, and every connection is a kernel syncookie (SyncookiesRecv counts
each one, none fails)."""

import os
import signal
import subprocess

from lab import counters, testing
from lab.echo import EchoServer, run_client

CONNECTIONS = 100  # per family
KEYS = ("TcpExt.SyncookiesSent", "TcpExt.SyncookiesRecv",
        "TcpExt.SyncookiesFailed", "TcpExt.ListenDrops",
        "TcpExt.ListenOverflows", "TcpExt.TCPReqQFullDrop")


class SynRecvWatcher:
    """Runs `ss state syn-recv` back to back in the server namespace (one
    shell loop, not a process per sample, so that samples are dense),
    exactly SAMPLES times: the loop is left to finish rather than killed, so
    that the count does not depend on how fast the connections went."""

    SAMPLES = 300

    def __init__(self, lab, port):
        self.lab, self.port = lab, port
        self.seen, self.samples = [], 0

    def __enter__(self):
        loop = (f"i=0; while [ $i -lt {self.SAMPLES} ]; do "
                f"ss -Htn state syn-recv '( sport = :{self.port} )'; "
                f"echo .; i=$((i+1)); done")
        self.proc = self.lab.spawn(self.lab.server_ns, ["sh", "-c", loop],
                                   stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc):
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # Our own process group, by id.
            os.killpg(self.proc.pid, signal.SIGTERM)
            out, _ = self.proc.communicate(timeout=10)
        for line in out.splitlines():
            if line == ".":
                self.samples += 1
            elif line.strip():
                self.seen.append(line)


class SynQueueTest(testing.LabTestCase):
    def test_syn_queue(self):
        with testing.lab() as l:
            d = self.start_synguard(l)
            before = counters.snmp(l.server_ns)
            with SynRecvWatcher(l, 8080) as watch:
                for family in (4, 6):
                    srv = EchoServer(l, CONNECTIONS, nbytes=4096).start()
                    rc, recs, summary = run_client(
                        l, l.addresses(family)[0], CONNECTIONS, nbytes=4096,
                        quiet=True)
                    self.assertEqual(rc, 0, recs)
                    self.assertEqual(srv.wait(), 0)
            got = counters.delta(before, counters.snmp(l.server_ns), KEYS)
            print(f"{self.mode}: {got}, {watch.samples} ss samples")
            self.assertGreaterEqual(watch.samples, 10)
            self.assertEqual(watch.seen, [], "SYN_RECV sockets seen")
            n = 2 * CONNECTIONS
            want = {k: 0 for k in KEYS}
            if self.mode == "kernel-cookie":
                want["TcpExt.SyncookiesRecv"] = n
            self.assertEqual(got, want)
            self.stop_synguard(d)


if __name__ == "__main__":
    testing.main()
