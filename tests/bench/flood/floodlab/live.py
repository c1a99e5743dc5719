"""The demo's screen: a header, a row a second, a summary, and the check
that nothing was left behind."""

import os
import queue
import subprocess


def drain(q):
    """The per-second records in q (a tool's --progress lines) since the
    last call; summaries are left to the tool's wait()."""
    recs = []
    while True:
        try:
            r = q.get_nowait()
        except queue.Empty:
            return recs
        if not r.get("summary"):
            recs.append(r)


def leftovers(prefix):
    """Namespaces, bpffs pins and processes of this lab still present."""
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True,
                           text=True, timeout=10).stdout
    found += [f"netns {line.split()[0]}" for line in netns.splitlines()
              if line.startswith(prefix)]
    found += [f"pin /sys/fs/bpf/{n}" for n in os.listdir("/sys/fs/bpf")
              if n.startswith(prefix)]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"/run/netns/{prefix}" in cmd:
            found.append(f"process {pid}: {cmd[:80]}")
    return found


def _bar(fraction, width=10):
    n = round(max(0.0, min(1.0, fraction)) * width)
    return "#" * n + "." * (width - n)


class Display:
    def __init__(self, stream):
        self.out = stream

    def p(self, text=""):
        print(text, file=self.out, flush=True)

    def intro(self, lab, flab, port, a):
        self.p("synguard demo: a SYN flood against a protected server, inside "
               "network namespaces on this machine")
        self.p(f"  server   {lab.server_ns:<18} {flab.server_ip}:{port}, "
               f"echo server, synguard ({a.handoff}) on {lab.server_if}")
        self.p(f"  clients  {lab.client_ns:<18} {a.client_rate:g} real "
               "connections/s, each must get a byte echoed")
        self.p(f"  attacker {lab.attacker_ns:<18} spoofed SYNs from "
               "198.18.0.0/15 as fast as one CPU sends them")
        self.p(f"  all three meet on a bridge in {lab.hub_ns}; nothing leaves "
               "the lab")

    def daemon_ready(self, daemon):
        line = next((l for l in daemon.lines if "synguard protecting" in l),
                    "").strip()
        self.p(f"  {line}")
        self.p()

    def header(self):
        self.p("  time  flood sent/s  SYNs absorbed/s  SYN+ACKs/s   legit ok"
               "  failed  p99 ms   machine CPU (kernel)")

    def row(self, t, r, clients):
        """clients: the connect loop's per-second records since the last
        row (usually one; their p99s are combined by taking the worst)."""
        sent = f"{r['offered_pps']:,.0f}" if "offered_pps" in r else "-"
        ok = sum(c["ok"] for c in clients)
        failed = sum(c["failed"] for c in clients)
        p99s = [c["p99_ms"] for c in clients if c["ok"]]
        p99 = f"{max(p99s):.2f}" if p99s else "-"
        busy = r["cpu_busy_share"]
        self.p(f"  {t:4.0f}s {sent:>13} {r['syn_pps']:>16,.0f} "
               f"{r['synack_pps']:>11,.0f} {ok:>10} {failed:>7} {p99:>7}   "
               f"{_bar(busy)} {100 * busy:3.0f}% "
               f"({100 * r['cpu_kernel_share']:.0f}%)")

    def summary(self, total, legit, offered, rc):
        sg = total.get("synguard", {})
        self.p()
        self.p("summary")
        self.p(f"  flood: {offered['sent']:,} spoofed SYNs sent in "
               f"{offered['seconds']:.1f} s ({offered['pps']:,.0f}/s)")
        self.p(f"  synguard: {sg.get('syns', 0):,.0f} SYNs answered with "
               f"{sg.get('synacks', 0):,.0f} cookie SYN+ACKs, "
               f"{sg.get('handoffs_ok', 0):,.0f} real handshakes handed to "
               "the kernel; no SYN queue, no socket for the spoofed ones")
        self.p(f"  real clients: {legit['ok']} of {legit['attempted']} "
               f"connections ok ({100 * legit['success_ratio']:.1f}%), "
               f"connect-to-echo p50 {legit['p50_ms']:.2f} ms, "
               f"p99 {legit['p99_ms']:.2f} ms")
        if legit["errors"]:
            self.p("    failures: " + ", ".join(
                f"{n} {why}" for why, n in sorted(legit["errors"].items())))
        cpu = total["cpu_us_per_syn"]
        self.p(f"  machine CPU: {100 * total['cpu_busy_share']:.0f}% busy, "
               f"{100 * total['cpu_kernel_share']:.0f}% in the kernel"
               + (f", {cpu:.2f} us of kernel CPU per SYN" if cpu else "")
               + " (all namespaces share this machine's CPUs: the figure "
               "includes the attacker's)")
        self.p(f"  synguard stopped with status {rc} (SIGTERM: detached, "
               "sysctls restored)")

    def cleanup(self, leftovers):
        if leftovers:
            self.p("cleanup: LEFT BEHIND: " + "; ".join(leftovers))
        else:
            self.p("cleanup: lab namespaces, pins and processes all removed")
