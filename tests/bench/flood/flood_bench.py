#!/usr/bin/env python3
"""The flood benchmark: each defense under the fastest spoofed SYN flood
the lab reaches, while legitimate clients connect at a steady rate.

Defenses: a floor (the flood dropped at the server's ingress: what the lab
itself costs), none (tcp_syncookies=0), the kernel's SYN cookies (=1 and =2),
nftables synproxy, synguard (reqsk) and synguard (kernel-cookie), each in a
fresh lab (tests/integration/lab, with the attacker namespace). Then iperf3
over one established flow without and with synguard, no flood.

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

Outputs a table (a block per family), OUT/flood.json (each row has a
"family") and OUT/flood.png (a bar per family). Run as root; paths come
from the environment (CTest, or `. build/tests/bench/flood/flood_env.sh`).
Exits 77 (skipped) without root or a needed tool.
"""

import argparse
import datetime
import os
import platform
import shutil
import sys

from floodlab import defenses, measure, report

SKIP = 77
# `--quick --family both` (the CI smoke) leaves these out over IPv6 to keep
# the extra cost under a minute: over IPv6 the floor is one more nftables
# rule and syncookies=2 the same kernel path as =1, while every other row
# takes a path of its own (the kernel's IPv6 TCP, synproxy's IPv6 code,
# synguard's IPv6 parsing and both handoffs).
QUICK_BOTH_SKIP_V6 = ("floor", "syncookies=2")
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
    results = [measure.run_defense(d, s, family=f, log=log) for d, f in plan]
    iperf = None if a.no_iperf else measure.run_iperf(s, family=fams[0],
                                                      log=log)
    load_end = os.getloadavg()

    print()
    print(report.table(results, iperf, s.nft_flow_label))
    print(f"load average (1, 5, 15 min): {_load(load_start)} at the start, "
          f"{_load(load_end)} at the end ({os.cpu_count()} CPUs)")
    doc = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "load_avg_at_start": load_start,
                 "load_avg_at_end": load_end},
        "family": a.family,
        "families": fams,
        "frame_checks": frame_checks,
        "settings": vars(s) | {"quick": a.quick},
        "cpu_note": "whole machine (system+softirq+irq) over the window; the "
                    "generator, the bridge and the server share the host's "
                    "CPUs",
        "results": results,
        "iperf3": iperf,
    }
    json_path = os.path.join(a.out, "flood.json")
    report.write_json(json_path, doc)
    png = report.plot(results, a.out, "synguard flood benchmark, IPv"
                      f"{' and IPv'.join(map(str, fams))} "
                      f"({'quick' if a.quick else 'full'}, "
                      f"{os.cpu_count()} CPUs, shared)")
    print(f"\nwrote {json_path}" + (f" and {png}" if png else ""))

    missing = missing_stage(results, iperf, frame_checks)
    if missing:
        print("stages without numbers: " + ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
