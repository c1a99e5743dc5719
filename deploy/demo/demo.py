#!/usr/bin/env python3
"""The demo (deploy/demo.sh): synguard (reqsk) protects a server in a lab of
network namespaces while an attacker floods it with spoofed SYNs and real
clients keep connecting, over IPv4 and IPv6 at once (--family picks one).
Prints live figures every second for about 20 s, then a summary per
family, and removes everything it made.

Run as root with the build's paths in the environment (deploy/demo.sh
sources build/tests/bench/flood/flood_env.sh first, then runs this file).
"""

import argparse
import os
import shutil
import sys
import time

# The demo drives the same network-namespace lab as the tests and the
# benchmarks, so the lab code lives once, in tests/: tests/integration/lab
# (namespaces, veth pairs, synguard's process; the integration tests use it)
# and tests/bench/flood/floodlab (flood generator, clients, probes, the live
# screen; flood_bench.py uses it). Keeping one copy means the lab the demo
# shows is the lab the test suite checks. Their directories are put on the
# import path explicitly, from this file's place in the repository, so the
# imports below work with or without flood_env.sh's PYTHONPATH.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
for _d in (os.path.join(_ROOT, "tests", "bench", "flood"),
           os.path.join(_ROOT, "tests", "integration")):
    if _d not in sys.path:
        sys.path.insert(0, _d)

from floodlab import live, probes, workload  # noqa: E402
from floodlab.benchlab import FloodLab  # noqa: E402
from floodlab.defenses import METRICS_PORT, SynguardDefense  # noqa: E402

NEEDED = ("ip", "nsenter", "nft", "bpftool", "ss", "sysctl", "taskset")
FAMILIES = {"4": (4,), "6": (6,), "both": (4, 6)}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=20,
                    help="length of the flood (5 to 120)")
    ap.add_argument("--handoff", default="reqsk",
                    choices=("reqsk", "kernel-cookie"))
    ap.add_argument("--family", choices=tuple(FAMILIES), default="both",
                    help="address family of the flood and the clients "
                         "(default both: an IPv4 and an IPv6 flood sharing "
                         "one CPU, clients of both)")
    ap.add_argument("--client-rate", type=float, default=50.0,
                    help="real connections per second, split evenly between "
                         "the families")
    a = ap.parse_args(argv)
    if not 5 <= a.seconds <= 120:
        ap.error("--seconds must be between 5 and 120")
    return a


def start_traffic(flab, families, a):
    """The legit clients and the floods, one of each per family: ({family:
    connect loop}, {family: generator}). The generators are pinned to one
    CPU (workload.start_flood), so that together they offer what one flood
    did and the server keeps the other core."""
    rate = a.client_rate / len(families)
    clients = {f: workload.start_clients(flab, rate, a.seconds, 2000,
                                         progress=True, family=f)
               for f in families}
    # Random flow labels over IPv6: the nftables synproxy workaround
    # (flood_packet.h) is for the benchmark's synproxy row only.
    floods = {f: workload.start_flood(flab, 0, a.seconds, progress=True,
                                      nft_flow_label=False, family=f)
              for f in families}
    return clients, floods


def all_done(procs):
    return all(p.proc.poll() is not None for p in procs)


def main(argv=None):
    a = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("demo: run as root (network namespaces, XDP, AF_PACKET)")
    lacking = [t for t in NEEDED if shutil.which(t) is None]
    if lacking:
        sys.exit(f"demo: needs {' '.join(lacking)} (deploy/install-deps.sh)")

    port = workload.PORT
    families = FAMILIES[a.family]
    out = live.Display(sys.stdout, families, a.handoff)
    with FloodLab(family=families[0]) as flab:
        lab = flab.lab
        out.intro(lab, flab, port, a)
        sink = workload.start_sink(flab, a.seconds + 30)
        guard = SynguardDefense(a.handoff)
        guard.setup(flab, port)
        out.daemon_ready(guard.daemon)
        # A process in the attacker's namespace to read its counters
        # through (/proc/PID/net) for the whole run, whichever generator
        # still runs; the lab stops it.
        watcher = lab.spawn(lab.attacker_ns, ["sleep", str(a.seconds + 60)])
        try:
            metrics = (METRICS_PORT, port)
            # Before the first packet: the summary's counts cover it all.
            first = prev = probes.snapshot(flab, sink.pid, metrics,
                                           watcher.pid)
            clients, floods = start_traffic(flab, families, a)
            procs = [*clients.values(), *floods.values()]
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
                now = probes.snapshot(flab, sink.pid, metrics, watcher.pid)
                out.row(now.t - first.t, probes.rates(prev, now),
                        {f: live.drain(c.live) for f, c in clients.items()})
                prev = now
                if all_done(procs):
                    break
            legit = {f: c.wait(timeout=15) for f, c in clients.items()}
            offered = {f: fl.wait(timeout=15) for f, fl in floods.items()}
            total = probes.rates(first, probes.snapshot(
                flab, sink.pid, metrics, watcher.pid))
            for fl in floods.values():
                live.drain(fl.live)  # per-second lines: the rows have them
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
