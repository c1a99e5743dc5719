"""The flood benchmark's outputs: a table on the terminal (one block per
address family), a JSON file, and a PNG (gnuplot) of connect success and
CPU per SYN by defense, one bar per family."""

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
    ("intake kpps", 11, lambda r: _num(r.get("intake_syn_pps",
                                              r["absorbed_syn_pps"]) / 1e3,
                                        ",.1f")),
    ("absorbed kpps", 13, lambda r: _num(r["absorbed_syn_pps"] / 1e3, ",.1f")),
    ("SYN+ACK kpps", 12, lambda r: _num(r["synack_pps"] / 1e3, ",.1f")),
    ("CPU us/SYN", 10, lambda r: _num(r["cpu_us_per_syn"], ".2f")),
    ("kernel CPU", 10, lambda r: _pct(r["cpu_kernel_share"], ".0f")),
    ("legit ok", 9, lambda r: _pct(r["legit_success_ratio"], ".1f")),
    ("p50 ms", 8, lambda r: _num(r["connect_p50_ms"], ".2f")),
    ("p99 ms", 8, lambda r: _num(r["connect_p99_ms"], ".2f")),
)


def families(results):
    """The families in results, in the order they first appear."""
    return list(dict.fromkeys(r.get("family", 4) for r in results))


def table(results, iperf=None, nft_flow_label=True):
    lines = []
    for family in families(results):
        rows = [r for r in results if r.get("family", 4) == family]
        if lines:
            lines.append("")
        lines.append(f"IPv{family}: spoofed SYNs from "
                     f"{rows[0].get('spoofed_sources', '?')} to "
                     f"{rows[0].get('server', '?')}, clients over IPv{family}")
        lines.append("  ".join(name.rjust(w) if i else name.ljust(w)
                               for i, (name, w, _) in enumerate(COLUMNS)))
        for r in rows:
            lines.append("  ".join(f(r).rjust(w) if i else f(r).ljust(w)
                                   for i, (_, w, f) in enumerate(COLUMNS)))
    if iperf:
        lines.append("")
        gbps = {k: v / 1e9 for k, v in iperf.items() if k.endswith("_bps")}
        lines.append(f"iperf3, one flow over IPv{iperf.get('family', 4)}, "
                     "no flood (Gbit/s):")
        lines.append(f"  {gbps['without_synguard_bps']:6.2f}  without "
                     "synguard")
        lines.append(f"  {gbps['xdp_pass_only_bps']:6.2f}  with an XDP_PASS "
                     "program only (on veth, any XDP costs the offloads)")
        lines.append(f"  {gbps['with_synguard_bps']:6.2f}  with synguard "
                     "(reqsk) protecting the port")
    lines.append("")
    lines.append("CPU: whole machine (system + softirq + irq): generator, "
                 "bridge and server together, as all namespaces share the "
                 "host's CPUs. Intake: what reached the server (synguard's "
                 "SYN counter, else the interface's rx). Absorbed: the flood "
                 "SYNs answered per second (SYN+ACKs back at the spoofed "
                 "sources); for the floors, the frames dropped. Clients "
                 "cannot connect through xdp-drop (it drops every frame).")
    if 6 in families(results) and nft_flow_label:
        lines.append("IPv6: the flood's flow labels are chosen so that "
                     "nftables synproxy, which checks IPv6 TCP checksums "
                     "with its IPv4 routine (a kernel bug), does not drop "
                     "the SYNs unanswered; see flood_packet.h.")
    elif 6 in families(results):
        lines.append("IPv6: random flow labels: nftables synproxy drops the "
                     "flood's SYNs unanswered (its IPv4 checksum routine on "
                     "IPv6, a kernel bug; see flood_packet.h).")
    return "\n".join(lines)


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


def _dat(results, fams):
    """One line per defense: its name, then success % and CPU us/SYN of
    each family in fams (NaN where that family has no row)."""
    by = {(r["defense"], r.get("family", 4)): r for r in results}
    lines = ["# defense " + " ".join(f"success_v{f}" for f in fams) + " " +
             " ".join(f"cpu_us_per_syn_v{f}" for f in fams)]
    for name in dict.fromkeys(r["defense"] for r in results):
        rows = [by.get((name, f)) for f in fams]
        ok = [f"{100 * r['legit_success_ratio']:.2f}" if r else "NaN"
              for r in rows]
        cpu = [f"{r['cpu_us_per_syn']:.3f}"
               if r and r["cpu_us_per_syn"] is not None else "NaN"
               for r in rows]
        lines.append(f"\"{name}\" " + " ".join(ok + cpu))
    return "\n".join(lines) + "\n"


def plot(results, out_dir, title):
    """Writes flood.dat, flood.gp and flood.png; returns the PNG's path, or
    None without gnuplot. Each defense has one bar per family, labelled
    in the key, so that an IPv4 and an IPv6 run read apart."""
    if shutil.which("gnuplot") is None:
        return None
    fams = families(results)
    dat = os.path.join(out_dir, "flood.dat")
    with open(dat, "w") as f:
        f.write(_dat(results, fams))
    colours = {4: ("#2e7d32", "#c62828"), 6: ("#81c784", "#ef9a9a")}
    n = len(fams)
    # Headroom above the tallest bar for the key.
    cpus = [r["cpu_us_per_syn"] for r in results
            if r["cpu_us_per_syn"] is not None]
    cpu_top = 1.2 * max(cpus) if cpus else 1

    def series(kind, first_col):
        return ", ".join(
            f'"{dat}" using {first_col + i}' + (":xtic(1)" if i == 0 else "")
            + f' title "IPv{fam}" linecolor rgb "{colours[fam][kind]}"'
            for i, fam in enumerate(fams))
    png = os.path.join(out_dir, "flood.png")
    script = os.path.join(out_dir, "flood.gp")
    with open(script, "w") as f:
        f.write(f"""set terminal pngcairo size 1200,500 font ",10"
set output "{png}"
set multiplot layout 1,2 title "{title}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -30
set key top right horizontal
set title "legitimate connections that succeeded (%)"
set yrange [0:115]
plot {series(0, 2)}
set title "machine CPU per SYN taken in (us, system+softirq)"
set yrange [0:{cpu_top:.3g}]
plot {series(1, 2 + n)}
unset multiplot
""")
    subprocess.run(["gnuplot", script], check=True, timeout=60,
                   capture_output=True)
    return png
