"""The flood benchmark's outputs: a table on the terminal, a JSON file, and
a PNG (gnuplot) of connect success and CPU per SYN by defense."""

import json
import os
import shutil
import subprocess


def _num(v, fmt):
    return "-" if v is None else format(v, fmt)


def _pct(v, fmt):
    return _num(None if v is None else 100 * v, fmt) + "%"


COLUMNS = (
    ("defense", 22, lambda r: r["defense"]),
    ("offered kpps", 12, lambda r: _num(r["offered_pps"] / 1e3, ",.1f")),
    ("absorbed kpps", 13, lambda r: _num(r["absorbed_syn_pps"] / 1e3, ",.1f")),
    ("SYN+ACK kpps", 12, lambda r: _num(r["synack_pps"] / 1e3, ",.1f")),
    ("CPU us/SYN", 10, lambda r: _num(r["cpu_us_per_syn"], ".2f")),
    ("kernel CPU", 10, lambda r: _pct(r["cpu_kernel_share"], ".0f")),
    ("legit ok", 9, lambda r: _pct(r["legit_success_ratio"], ".1f")),
    ("p50 ms", 8, lambda r: _num(r["connect_p50_ms"], ".2f")),
    ("p99 ms", 8, lambda r: _num(r["connect_p99_ms"], ".2f")),
)


def table(results, iperf=None):
    lines = ["  ".join(name.rjust(w) if i else name.ljust(w)
                       for i, (name, w, _) in enumerate(COLUMNS))]
    for r in results:
        lines.append("  ".join(f(r).rjust(w) if i else f(r).ljust(w)
                               for i, (_, w, f) in enumerate(COLUMNS)))
    if iperf:
        lines.append("")
        gbps = {k: v / 1e9 for k, v in iperf.items() if k.endswith("_bps")}
        lines.append("iperf3, one flow, no flood (Gbit/s):")
        lines.append(f"  {gbps['without_synguard_bps']:6.2f}  without "
                     "synguard")
        lines.append(f"  {gbps['xdp_pass_only_bps']:6.2f}  with an XDP_PASS "
                     "program only (on veth, any XDP costs the offloads)")
        lines.append(f"  {gbps['with_synguard_bps']:6.2f}  with synguard "
                     "(reqsk) protecting the port")
    lines.append("")
    lines.append("CPU: whole machine (system + softirq + irq): generator, "
                 "bridge and server together, as all namespaces share the "
                 "host's CPUs. Absorbed: synguard's SYN counter, else the "
                 "server interface's rx.")
    return "\n".join(lines)


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


def plot(results, out_dir, title):
    """Writes flood.dat, flood.gp and flood.png; returns the PNG's path, or
    None without gnuplot."""
    if shutil.which("gnuplot") is None:
        return None
    dat = os.path.join(out_dir, "flood.dat")
    with open(dat, "w") as f:
        f.write("# defense success_percent cpu_us_per_syn\n")
        for r in results:
            cpu = r["cpu_us_per_syn"]
            f.write(f"\"{r['defense']}\" {100 * r['legit_success_ratio']:.2f} "
                    f"{cpu if cpu is not None else 'NaN'}\n")
    png = os.path.join(out_dir, "flood.png")
    script = os.path.join(out_dir, "flood.gp")
    with open(script, "w") as f:
        f.write(f"""set terminal pngcairo size 1200,500 font ",10"
set output "{png}"
set multiplot layout 1,2 title "{title}"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30
set key off
set title "legitimate connections that succeeded (%)"
set yrange [0:105]
plot "{dat}" using 2:xtic(1) linecolor rgb "#2e7d32"
set title "machine CPU per absorbed SYN (us, system+softirq)"
set yrange [0:*]
plot "{dat}" using 3:xtic(1) linecolor rgb "#c62828"
unset multiplot
""")
    subprocess.run(["gnuplot", script], check=True, timeout=60,
                   capture_output=True)
    return png
