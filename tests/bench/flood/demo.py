#!/usr/bin/env python3
"""The demo (deploy/demo.sh): synguard (reqsk) protects a server in a lab of
network namespaces while an attacker floods it with spoofed SYNs and real
clients keep connecting. Prints live figures every second for about 20 s,
then a summary, and removes everything it made.

Run as root with the build's paths in the environment (deploy/demo.sh
sources build/tests/bench/flood/flood_env.sh first).
"""

import argparse
import os
import shutil
import sys
import time

from floodlab import live, probes, workload
from floodlab.benchlab import FloodLab
from floodlab.defenses import METRICS_PORT, SynguardDefense

NEEDED = ("ip", "nsenter", "nft", "bpftool", "ss", "sysctl", "taskset")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=20,
                    help="length of the flood (5 to 120)")
    ap.add_argument("--handoff", default="reqsk",
                    choices=("reqsk", "kernel-cookie"))
    ap.add_argument("--client-rate", type=float, default=50.0)
    a = ap.parse_args(argv)
    if not 5 <= a.seconds <= 120:
        ap.error("--seconds must be between 5 and 120")
    if os.geteuid() != 0:
        sys.exit("demo: run as root (network namespaces, XDP, AF_PACKET)")
    lacking = [t for t in NEEDED if shutil.which(t) is None]
    if lacking:
        sys.exit(f"demo: needs {' '.join(lacking)} (deploy/install-deps.sh)")

    port = workload.PORT
    out = live.Display(sys.stdout)
    with FloodLab() as flab:
        lab = flab.lab
        out.intro(lab, flab, port, a)
        sink = workload.start_sink(flab, a.seconds + 30)
        guard = SynguardDefense(a.handoff)
        guard.setup(flab, port)
        out.daemon_ready(guard.daemon)
        try:
            clients = workload.start_clients(flab, a.client_rate, a.seconds,
                                             2000, progress=True)
            flood = workload.start_flood(flab, 0, a.seconds, progress=True)
            metrics = (METRICS_PORT, port)
            first = prev = probes.snapshot(flab, sink.pid, metrics, flood.pid)
            out.header()
            # One row a second; bounded: the tools stop by themselves, and
            # the loop gives up 10 s after they should have.
            end = time.monotonic() + a.seconds + 10
            # Rows fall 0.2 s after each of the clients' own seconds end, so
            # that each row has exactly one of their per-second lines.
            tick = time.monotonic() + 0.2
            while time.monotonic() < end:
                tick += 1.0
                time.sleep(max(0.0, tick - time.monotonic()))
                # The generator's tx counter can only be read while it runs.
                atk = flood.pid if flood.proc.poll() is None else None
                now = probes.snapshot(flab, sink.pid, metrics, atk)
                out.row(now.t - first.t, probes.rates(prev, now),
                        live.drain(clients.live))
                prev = now
                if clients.proc.poll() is not None and \
                        flood.proc.poll() is not None:
                    break
            legit = clients.wait(timeout=15)
            offered = flood.wait(timeout=15)
            total = probes.rates(first, prev)
            live.drain(flood.live)  # per-second lines: the rows have them
        finally:
            rc = guard.teardown()
        sink.stop()
        prefix = lab.prefix
    out.summary(total, legit, offered, rc)
    leftovers = live.leftovers(prefix)
    out.cleanup(leftovers)
    return 0 if rc == 0 and not leftovers else 1


if __name__ == "__main__":
    sys.exit(main())
