#!/usr/bin/env python3
"""Where the handshake state lives. reqsk mode: the listener's SYN queue is
never used: no request socket is ever seen, the kernel's syncookie and
listen-drop counters do not move. kernel-cookie mode: no request socket
either, and every connection is a kernel syncookie (SyncookiesRecv counts
each one, none fails).

`ss state syn-recv` lists two kinds of socket: request sockets (the SYN
queue, what this test forbids) and, for a few microseconds, the full child
socket the kernel creates for a validated ACK and hashes before moving it to
ESTABLISHED. A dense sampler catches the second now and then; it is told
apart by the TCP info only a full socket carries (`ss -i`)."""

import os
import signal
import subprocess
import time

from lab import counters, testing
from lab.echo import EchoServer, run_client

CONNECTIONS = 100  # per family
KEYS = ("TcpExt.SyncookiesSent", "TcpExt.SyncookiesRecv",
        "TcpExt.SyncookiesFailed", "TcpExt.ListenDrops",
        "TcpExt.ListenOverflows", "TcpExt.TCPReqQFullDrop")


class SynRecvWatcher:
    """Runs `ss state syn-recv` back to back in the server namespace (one
    shell loop, not a process per sample, so that samples are dense),
    exactly `samples` times: the loop is left to finish rather than killed, so
    that the count does not depend on how fast the connections went."""

    def __init__(self, lab, port, samples=300):
        self.lab, self.port, self.samples_wanted = lab, port, samples
        self.request_socks, self.children, self.samples = [], [], 0

    def __enter__(self):
        loop = (f"i=0; while [ $i -lt {self.samples_wanted} ]; do "
                f"ss -Htni state syn-recv '( sport = :{self.port} )'; "
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
        self.classify(out)

    def classify(self, out):
        """Each socket is a line; with -i a tab-indented line follows with
        its TCP info, empty for a request socket (it has none)."""
        entry = None
        for line in out.splitlines():
            if line.startswith("\t") and entry is not None:
                full = bool(line.strip())
                (self.children if full else self.request_socks).append(entry)
                entry = None
            elif line == "." or line.strip():
                if entry is not None:  # no info line: not a full socket
                    self.request_socks.append(entry)
                entry = None if line == "." else line
                self.samples += line == "."


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
            print(f"{self.mode}: {got}, {watch.samples} ss samples, "
                  f"{len(watch.children)} child sockets caught in SYN_RECV")
            self.assertGreaterEqual(watch.samples, 10)
            self.assertEqual(watch.request_socks, [], "request sockets seen")
            n = 2 * CONNECTIONS
            want = {k: 0 for k in KEYS}
            if self.mode == "kernel-cookie":
                want["TcpExt.SyncookiesRecv"] = n
            self.assertEqual(got, want)
            self.stop_synguard(d)

    def test_watcher_sees_a_request_socket(self):
        """The control: without synguard, and with the client dropping the
        server's SYN+ACKs, the listener holds a request socket for as long
        as the client retries; the same watcher must report it."""
        port = 8099
        with testing.lab(syn_drop=False) as l:
            server, _ = l.addresses(4)
            l.spawn(l.server_ns, ["python3", "-c", LISTEN.format(port=port)])
            # A SYN before listen() is reset and leaves nothing to see.
            self.wait_for_ss(l, l.server_ns, "listening", f"sport = :{port}")
            l.run(l.client_ns, ["nft", "-f", "-"], input=DROP_SYNACKS.format(
                port=port))
            client = l.spawn(l.client_ns, ["python3", "-c", CONNECT.format(
                addr=server, port=port)])
            # Its SYN is out once the client shows SYN-SENT; the server's
            # SYN+ACKs are dropped, so the request socket is held.
            self.wait_for_ss(l, l.client_ns, "syn-sent", f"dport = :{port}")
            with SynRecvWatcher(l, port, samples=20) as watch:
                pass  # leaving the block waits for the 20 samples
            client.wait(timeout=30)
            self.assertEqual(watch.samples, 20)
            self.assertTrue(watch.request_socks, "the watcher saw no "
                            "request socket where one was held")
            self.assertEqual(watch.children, [])

    def wait_for_ss(self, l, ns, state, match, seconds=10):
        """Until `ss` in ns lists a TCP socket in state matching match."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            out = l.run(ns, ["ss", "-Htn", "state", state,
                             f"( {match} )"]).stdout
            if out.strip():
                return
            time.sleep(0.05)
        self.fail(f"no {state} socket ({match}) in {ns} after {seconds} s")


# Listens (backlog 8) for the control, long enough for the watcher.
LISTEN = """
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", {port})); s.listen(8)
time.sleep(20)
"""
# Starts a connect that cannot complete (its SYN+ACKs are dropped); the
# kernel retransmits the SYN meanwhile, and gives up after 3 s.
CONNECT = """
import socket
s = socket.socket(); s.settimeout(3)
try:
    s.connect(("{addr}", {port}))
except OSError:
    pass
"""
DROP_SYNACKS = """
table inet sgctl {{
    chain input {{
        type filter hook input priority 0; policy accept;
        tcp sport {port} tcp flags & (syn | ack) == syn | ack drop
    }}
}}
"""


if __name__ == "__main__":
    testing.main()
