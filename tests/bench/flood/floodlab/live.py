"""The demo's screen: a header, a row a second, a summary, and the check
that nothing was left behind. With both families the rows stay one line:
the flood and synguard figures are the two families together (synguard's
counters do not tell them apart), the legit clients' ok and failed counts
are shown as v4+v6; the summary has a line per family for the flood (with
the cookie SYN+ACKs that came back to its spoofed sources) and for the
clients."""

import os
import queue
import subprocess

from .benchlab import bench_net


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


def _hostport(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


class Display:
    def __init__(self, stream, families=(4,), handoff="reqsk"):
        self.out = stream
        self.families = tuple(families)
        self.handoff = handoff

    def p(self, text=""):
        print(text, file=self.out, flush=True)

    def intro(self, lab, flab, port, a):
        fams = self.families
        servers = " and ".join(_hostport(flab.server_addr(f), port)
                               for f in fams)
        per_family = a.client_rate / len(fams)
        clients = " + ".join(f"{per_family:g}" for f in fams)
        over = " + ".join(f"IPv{f}" for f in fams)
        sources = " and ".join(bench_net(f) for f in fams)
        self.p("synguard demo: a SYN flood against a protected server, inside "
               "network namespaces on this machine")
        self.p(f"  server   {lab.server_ns:<18} {servers}, echo server, "
               f"synguard ({a.handoff}) on {lab.server_if}")
        self.p(f"  clients  {lab.client_ns:<18} {clients} real connections/s "
               f"over {over}, each must get a byte echoed")
        self.p(f"  attacker {lab.attacker_ns:<18} spoofed SYNs from {sources} "
               "as fast as one CPU sends them"
               + (" (the two floods share it)" if len(fams) > 1 else ""))
        self.p(f"  all three meet on a bridge in {lab.hub_ns}; nothing leaves "
               "the lab")

    def daemon_ready(self, daemon):
        line = next((l for l in daemon.lines if "synguard protecting" in l),
                    "").strip()
        self.p(f"  {line}")
        self.p()

    def header(self):
        ok = "legit ok" if len(self.families) == 1 else \
            "ok " + "+".join(f"v{f}" for f in self.families)
        self.p(f"  time  flood sent/s  SYNs absorbed/s  SYN+ACKs/s {ok:>10}"
               "  failed  p99 ms   machine CPU (kernel)")

    def row(self, t, r, clients):
        """clients: {family: the connect loop's per-second records since the
        last row} (usually one each; their p99s are combined by taking the
        worst)."""
        sent = f"{r['offered_pps']:,.0f}" if "offered_pps" in r else "-"
        recs = [clients.get(f, []) for f in self.families]
        ok = "+".join(str(sum(c["ok"] for c in cs)) for cs in recs)
        failed = "+".join(str(sum(c["failed"] for c in cs)) for cs in recs)
        p99s = [c["p99_ms"] for cs in recs for c in cs if c["ok"]]
        p99 = f"{max(p99s):.2f}" if p99s else "-"
        busy = r["cpu_busy_share"]
        self.p(f"  {t:4.0f}s {sent:>13} {r['syn_pps']:>16,.0f} "
               f"{r['synack_pps']:>11,.0f} {ok:>10} {failed:>7} {p99:>7}   "
               f"{_bar(busy)} {100 * busy:3.0f}% "
               f"({100 * r['cpu_kernel_share']:.0f}%)")

    def summary(self, total, legit, offered, rc):
        """legit, offered: {family: the connect loop's / the generator's
        summary}; total: probes.rates() over the whole run."""
        sg = total.get("synguard", {})
        returned = total.get("returned", {})
        self.p()
        self.p("summary")
        for f in self.families:
            fl = offered[f]
            back = (f"; {returned[f]:,} cookie SYN+ACKs came back to them"
                    if f in returned else "")
            self.p(f"  IPv{f} flood: {fl['sent']:,} spoofed SYNs from "
                   f"{bench_net(f)} in {fl['seconds']:.1f} s "
                   f"({fl['pps']:,.0f}/s){back}")
        both = " (both families)" if len(self.families) > 1 else ""
        # reqsk hands each valid ACK over at TC; kernel-cookie passes it to
        # the kernel's own syncookie check, with no handoff to count.
        handed = sg.get("handoffs_ok", 0) if self.handoff == "reqsk" \
            else sg.get("cookie_valid", 0)
        self.p(f"  synguard: {sg.get('syns', 0):,.0f} SYNs{both} answered "
               f"with {sg.get('synacks', 0):,.0f} cookie SYN+ACKs, "
               f"{handed:,.0f} real handshakes handed to the kernel; no SYN "
               "queue, no socket for the spoofed ones")
        for f in self.families:
            lg = legit[f]
            self.p(f"  IPv{f} clients: {lg['ok']} of {lg['attempted']} "
                   f"connections ok ({100 * lg['success_ratio']:.1f}%), "
                   f"connect-to-echo p50 {lg['p50_ms']:.2f} ms, "
                   f"p99 {lg['p99_ms']:.2f} ms")
            if lg["errors"]:
                self.p("    failures: " + ", ".join(
                    f"{n} {why}" for why, n in sorted(lg["errors"].items())))
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
