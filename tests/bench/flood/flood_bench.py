#!/usr/bin/env python3
"""The flood benchmark: each defense under the fastest spoofed SYN flood
the lab reaches, while legitimate clients connect at a steady rate.

Defenses: a floor (the flood dropped at the server's ingress: what the lab
itself costs), an XDP floor (every frame dropped by an XDP program that does
nothing else, attached as synguard is), none (tcp_syncookies=0), the
kernel's SYN cookies (=1 and =2), nftables synproxy, synguard (reqsk) and
synguard (kernel-cookie), each in a fresh lab (tests/integration/lab, with
the attacker namespace). Then iperf3 over one established flow without and
with synguard, no flood.

Absorbed (the figure the defenses are compared by): the flood SYNs per
second the server side disposes of as its defense means to, measured in
the window the real clients run, inside a flood whose generator is not
throttled (--rate 0, the default): for a defense that answers, the
SYN+ACKs that come back to the spoofed sources (IP packets of the flood's
family arriving in the attacker's namespace); for the two floors, the
frames the server's interface takes in and drops. A SYN taken in but never
answered is not absorbed. The generator, the bridge and the server share
the machine's CPUs (on veth the server's receive work runs in the sender's
softirq), so at full speed the generator's rate is itself bounded by the
cost per SYN downstream: absorbed measures the whole path's cost per SYN,
and only ratios of rows of one repetition are compared
(floodlab/measure.py, absorbed()).

The summary gives issue 14's figures per family and synguard mode, each
with PASS or FAIL: absorbed synguard / kernel SYN cookies (>= 2.0x),
synguard / XDP drop floor (>= 0.85x), the real clients' success through
synguard (100%) and their p99 / the kernel cookies' p99 (<= 1.0x).
--repeat N runs the whole comparison N times and gives each figure's
median and min..max spread; --check exits 1 when a figure misses its
target (or could not be measured). --quick never checks unless asked.

--family picks the flood's and the clients' address family: 4 (the
default: spoofed sources 198.18.0.0/15, RFC 2544, to 10.200.0.1), 6
(2001:2::/48, RFC 5180, to fd00:5347::1) or both (each defense over IPv4,
then over IPv6; iperf3 over IPv4 only). First, the generator's frames of
each family are checked: taken apart on the server's interface by an
independent implementation, and accepted by the server's kernel with no
checksum error.

    flood_bench.py --quick                # a few seconds per defense
    flood_bench.py --quick --family both  # CI (ctest -L bench)
    flood_bench.py                        # the full run, IPv4 (4 minutes)
    flood_bench.py --family 6             # the same over IPv6
    flood_bench.py --family both          # each defense twice (8 minutes)
    flood_bench.py --defense none --defense synguard-reqsk --seconds 30
    flood_bench.py --family both --repeat 3 --check   # the issue's check

Outputs a table per repetition (a block per family), the summary,
OUT/flood.json (each row has a "family" and a "repetition") and
OUT/flood.png (the last repetition, a bar per family). Run as root; paths come
from the environment (CTest, or `. build/tests/bench/flood/flood_env.sh`).
Exits 77 (skipped) without root or a needed tool.
"""

import argparse
import datetime
import os
import platform
import shutil
import sys

from floodlab import defenses, measure, report, summary

SKIP = 77
# `--quick --family both` (the CI smoke) leaves these out over IPv6 to keep
# the extra cost under a minute: over IPv6 the floor is one more nftables
# rule and syncookies=2 the same kernel path as =1, while every other row
# takes a path of its own (the kernel's IPv6 TCP, synproxy's IPv6 code,
# synguard's IPv6 parsing and both handoffs).
QUICK_BOTH_SKIP_V6 = ("floor", "syncookies=2")
# What the summary needs (summary.py); --check refuses to run without them.
SUMMARY_ROWS = ("xdp-drop", "syncookies=1")
NEEDED = ("ip", "nsenter", "nft", "bpftool", "ss", "sysctl", "iperf3",
          "taskset")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a few seconds per defense; checks only that every "
                         "stage produced numbers")
    ap.add_argument("--seconds", type=float, help="flood seconds per defense")
    ap.add_argument("--rate", type=int, default=0,
                    help="flood packets/s (0: as fast as the lab goes)")
    ap.add_argument("--client-rate", type=float, default=100.0,
                    help="legitimate connections per second")
    ap.add_argument("--family", choices=("4", "6", "both"), default="4",
                    help="address family of the flood and the clients "
                         "(default 4)")
    ap.add_argument("--defense", action="append",
                    help="only these (repeatable): " + ", ".join(
                        d.name for d in defenses.all_defenses()))
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run the whole comparison N times; the summary "
                         "gives each figure's median and min..max")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a figure of the summary misses its "
                         "target (issue 14)")
    ap.add_argument("--no-iperf", action="store_true")
    ap.add_argument("--random-flow-labels", action="store_true",
                    help="IPv6: random flow labels; nftables synproxy then "
                         "drops the flood unanswered (a kernel bug, see "
                         "flood_packet.h)")
    ap.add_argument("--out", default="flood-bench-out",
                    help="directory for flood.json and flood.png")
    a = ap.parse_args(argv)
    if a.seconds is not None and not 2 <= a.seconds <= 300:
        ap.error("--seconds must be between 2 and 300")
    if not 1 <= a.repeat <= 50:
        ap.error("--repeat must be between 1 and 50")
    if a.check and a.rate:
        ap.error("--check compares at the generator's full speed: no --rate")
    if a.check and a.defense and not (
            set(SUMMARY_ROWS) <= set(a.defense) and
            any(d.startswith("synguard") for d in a.defense)):
        ap.error("--check needs the rows " + ", ".join(SUMMARY_ROWS) +
                 " and a synguard row")
    return a


def missing_stage(results, iperf, frame_checks=()):
    """The names of stages that produced no number, and frames the checks
    or the server's kernel found wrong (the quick check)."""
    missing = []
    for check in frame_checks:
        missing += measure.frame_problems(check)
    for r in results:
        name = f"v{r['family']}.{r['defense']}"
        for key in ("offered_pps", "absorbed_syn_pps", "cpu_us_per_syn",
                    "legit_success_ratio"):
            if r.get(key) is None or r[key] != r[key]:
                missing.append(f"{name}.{key}")
        if r["offered_pps"] <= 0 or r["legit_attempted"] <= 0:
            missing.append(f"{name}: nothing sent")
        if "synguard_exit" in r and r["synguard_exit"] != 0:
            missing.append(f"{name}: synguard exit {r['synguard_exit']}")
        csum_errors = r["window"]["tcp"].get("Tcp.InCsumErrors", 0)
        if csum_errors:
            missing.append(f"{name}: the server counted {csum_errors} TCP "
                           "checksum errors")
    if iperf is not None:
        for key in ("without_synguard_bps", "xdp_pass_only_bps",
                    "with_synguard_bps"):
            if not iperf.get(key):
                missing.append(f"iperf3.{key}")
    return missing


def _load(avg):
    return ", ".join(f"{x:.2f}" for x in avg)


def main(argv=None):
    a = parse_args(argv)
    if os.geteuid() != 0:
        print("flood benchmark: needs root (namespaces, XDP, AF_PACKET)")
        return SKIP
    lacking = [t for t in NEEDED if shutil.which(t) is None]
    if lacking:
        print(f"flood benchmark: needs {' '.join(lacking)}")
        return SKIP
    s = measure.Settings()
    if a.quick:
        s.flood_seconds, s.iperf_seconds, s.client_rate = 4.0, 2, 50.0
        s.client_timeout_ms = 1500
    else:
        s.client_rate = a.client_rate
    if a.seconds:
        s.flood_seconds = a.seconds
    s.flood_rate = a.rate
    s.nft_flow_label = not a.random_flow_labels
    chosen = (defenses.by_name(a.defense) if a.defense
              else defenses.all_defenses())
    fams = [4, 6] if a.family == "both" else [int(a.family)]
    # Each defense in every family before the next defense: the machine's
    # other load drifts, and the families' rows should see the same.
    plan = [(d, f) for d in chosen for f in fams
            if not (a.quick and a.family == "both" and not a.defense and
                    f == 6 and d.name in QUICK_BOTH_SKIP_V6)]
    os.makedirs(a.out, exist_ok=True)

    def log(m):
        print(m, flush=True)

    load_start = os.getloadavg()
    log(f"flood benchmark: IPv{' and IPv'.join(map(str, fams))}, "
        f"{len(plan)} run(s), {s.flood_seconds:g} s each, flood rate "
        f"{s.flood_rate or 'max'}, clients {s.client_rate:g}/s; load average "
        f"{_load(load_start)} at the start")
    frame_checks = [measure.check_frames(f, s, log=log) for f in fams]
    if len(plan) < len(chosen) * len(fams):
        log(f"  (quick, both families: {', '.join(QUICK_BOTH_SKIP_V6)} over "
            "IPv4 only)")
    results, reps = [], []
    for rep in range(a.repeat):
        if a.repeat > 1:
            log(f"repetition {rep + 1} of {a.repeat}")
        rows = [measure.run_defense(d, s, family=f, log=log) | {
            "repetition": rep + 1} for d, f in plan]
        results += rows
        reps.append(rows)
    iperf = None if a.no_iperf else measure.run_iperf(s, family=fams[0],
                                                      log=log)
    load_end = os.getloadavg()

    for i, rows in enumerate(reps):
        print()
        if a.repeat > 1:
            print(f"repetition {i + 1} of {a.repeat}:")
        print(report.table(rows, iperf if i == len(reps) - 1 else None,
                           s.nft_flow_label))
    figures = summary.summarise([summary.figures_of(rows) for rows in reps])
    print()
    print(summary.table(figures, a.repeat, full_speed=not s.flood_rate))
    print(f"load average (1, 5, 15 min): {_load(load_start)} at the start, "
          f"{_load(load_end)} at the end ({os.cpu_count()} CPUs)")
    doc = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "load_avg_at_start": load_start,
                 "load_avg_at_end": load_end},
        "family": a.family,
        "families": fams,
        "repetitions": a.repeat,
        "frame_checks": frame_checks,
        "settings": vars(s) | {"quick": a.quick},
        "cpu_note": "whole machine (system+softirq+irq) over the window; the "
                    "generator, the bridge and the server share the host's "
                    "CPUs",
        "absorbed_note": measure.absorbed.__doc__,
        "results": results,
        "summary": figures,
        "iperf3": iperf,
    }
    json_path = os.path.join(a.out, "flood.json")
    report.write_json(json_path, doc)
    png = report.plot(reps[-1], a.out, "synguard flood benchmark, IPv"
                      f"{' and IPv'.join(map(str, fams))} "
                      f"({'quick' if a.quick else 'full'}, "
                      f"{os.cpu_count()} CPUs, shared)")
    print(f"\nwrote {json_path}" + (f" and {png}" if png else ""))

    missing = missing_stage(results, iperf, frame_checks)
    if missing:
        print("stages without numbers: " + ", ".join(missing))
        return 1
    if a.check:
        missed = summary.misses(figures)
        if missed:
            print("--check: missed: " + "; ".join(missed))
            return 1
        print("--check: every figure meets its target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
