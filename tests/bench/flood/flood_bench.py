#!/usr/bin/env python3
"""The flood benchmark: each defense under the fastest spoofed SYN flood
the lab reaches, while legitimate clients connect at a steady rate.

Defenses: a floor (the flood dropped at the server's ingress: what the lab
itself costs), none (tcp_syncookies=0), the kernel's SYN cookies (=1 and =2),
nftables synproxy, synguard (reqsk) and synguard (kernel-cookie), each in a
fresh lab (tests/integration/lab, with the attacker namespace). Then iperf3
over one established flow without and with synguard, no flood.

    flood_bench.py --quick     # CI: a few seconds per defense, no thresholds
    flood_bench.py             # the full run (about 3 minutes)
    flood_bench.py --defense none --defense synguard-reqsk --seconds 30

Outputs a table, OUT/flood.json and OUT/flood.png. Run as root; paths come
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
    ap.add_argument("--defense", action="append",
                    help="only these (repeatable): " + ", ".join(
                        d.name for d in defenses.all_defenses()))
    ap.add_argument("--no-iperf", action="store_true")
    ap.add_argument("--out", default="flood-bench-out",
                    help="directory for flood.json and flood.png")
    a = ap.parse_args(argv)
    if a.seconds is not None and not 2 <= a.seconds <= 300:
        ap.error("--seconds must be between 2 and 300")
    return a


def missing_stage(results, iperf):
    """The names of stages that produced no number (the quick check)."""
    missing = []
    for r in results:
        for key in ("offered_pps", "absorbed_syn_pps", "cpu_us_per_syn",
                    "legit_success_ratio"):
            if r.get(key) is None or r[key] != r[key]:
                missing.append(f"{r['defense']}.{key}")
        if r["offered_pps"] <= 0 or r["legit_attempted"] <= 0:
            missing.append(f"{r['defense']}: nothing sent")
        if "synguard_exit" in r and r["synguard_exit"] != 0:
            missing.append(f"{r['defense']}: synguard exit "
                           f"{r['synguard_exit']}")
    if iperf is not None:
        for key in ("without_synguard_bps", "xdp_pass_only_bps",
                    "with_synguard_bps"):
            if not iperf.get(key):
                missing.append(f"iperf3.{key}")
    return missing


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
    chosen = (defenses.by_name(a.defense) if a.defense
              else defenses.all_defenses())
    os.makedirs(a.out, exist_ok=True)

    print(f"flood benchmark: {len(chosen)} defense(s), {s.flood_seconds:g} s "
          f"each, flood rate {s.flood_rate or 'max'}, clients "
          f"{s.client_rate:g}/s", flush=True)
    results = []
    for d in chosen:
        results.append(measure.run_defense(d, s,
                                           log=lambda m: print(m, flush=True)))
    iperf = None if a.no_iperf else measure.run_iperf(
        s, log=lambda m: print(m, flush=True))

    print()
    print(report.table(results, iperf))
    doc = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "load_avg_at_end": os.getloadavg()},
        "settings": vars(s) | {"quick": a.quick},
        "cpu_note": "whole machine (system+softirq+irq) over the window; the "
                    "generator, the bridge and the server share the host's "
                    "CPUs",
        "results": results,
        "iperf3": iperf,
    }
    json_path = os.path.join(a.out, "flood.json")
    report.write_json(json_path, doc)
    png = report.plot(results, a.out, "synguard flood benchmark "
                      f"({'quick' if a.quick else 'full'}, "
                      f"{os.cpu_count()} CPUs, shared)")
    print(f"\nwrote {json_path}" + (f" and {png}" if png else ""))

    missing = missing_stage(results, iperf)
    if missing:
        print("stages without numbers: " + ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
