"""One defense under one flood of one family: a fresh lab, the sink, the
defense, then the flood and the legitimate clients (of the same family)
together; counters are read when the clients start and when they end, both
inside the flood. And the check of the generator's frames."""

import dataclasses
import sys
import time

from lab import LabError, peer_xdp

from . import iperf, paths, probes, workload
from .benchlab import FloodLab, bench_net
from .defenses import METRICS_PORT, SynguardDefense
from .procs import JsonProcess


@dataclasses.dataclass
class Settings:
    flood_seconds: float = 20.0
    flood_rate: int = 0          # packets/s, 0 = as fast as the lab goes
    client_rate: float = 100.0   # legitimate connections started per second
    client_timeout_ms: int = 2000  # one SYN retransmission (1 s) fits
    iperf_seconds: int = 10
    mtu: int = 1500
    # IPv6: flow labels that nftables synproxy's checksum bug lets through
    # (flood_packet.h); False shows the bug (synproxy answers no flood SYN).
    nft_flow_label: bool = True

    def client_seconds(self):
        # Clients start 0.5 s into the flood and their last attempt ends
        # (ok or timed out) before the flood does.
        timeout = self.client_timeout_ms / 1000
        return max(0.5, self.flood_seconds - 1.0 - timeout)


def run_defense(defense, s, family=4, log=print):
    port = workload.PORT
    with FloodLab(mtu=s.mtu, family=family) as flab:
        sink = workload.start_sink(flab, s.flood_seconds + 30)
        defense.setup(flab, port)
        metrics = (METRICS_PORT, port) if defense.synguard else None
        try:
            flood = workload.start_flood(flab, s.flood_rate, s.flood_seconds,
                                         nft_flow_label=s.nft_flow_label)
            time.sleep(0.5)
            before = probes.snapshot(flab, sink.pid, metrics, flood.pid)
            clients = workload.start_clients(flab, s.client_rate,
                                             s.client_seconds(),
                                             s.client_timeout_ms)
            legit = clients.wait(timeout=s.flood_seconds + 10)
            after = probes.snapshot(flab, sink.pid, metrics, flood.pid)
            offered = flood.wait(timeout=s.flood_seconds + 10)
        finally:
            rc = defense.teardown()
        sink.stop()
    r = probes.rates(before, after)
    result = {
        **absorbed(defense, r, family),
        "defense": defense.name,
        "label": defense.label,
        "family": family,
        "spoofed_sources": bench_net(family),
        "server": flab.server_ip,
        # In the measuring window (the attacker's tx counter); the
        # generator's own average over the whole flood is kept too.
        "offered_pps": r.get("offered_pps", offered["pps"]),
        "generator_pps": offered["pps"],
        "generator_refused": offered["refused"],
        # What reached the server: synguard's SYN counter, else the
        # interface's rx (the measure "absorbed" was before it was defined
        # by the answers, see absorbed()).
        "intake_syn_pps": r["syn_pps"],
        "synack_pps": r["synack_pps"],
        "cpu_us_per_syn": r["cpu_us_per_syn"],
        "cpu_kernel_share": r["cpu_kernel_share"],
        "cpu_busy_share": r["cpu_busy_share"],
        "legit_attempted": legit["attempted"],
        "legit_ok": legit["ok"],
        "legit_success_ratio": legit["success_ratio"],
        "connect_p50_ms": legit["p50_ms"] if legit["ok"] else None,
        "connect_p99_ms": legit["p99_ms"] if legit["ok"] else None,
        "legit_errors": legit["errors"],
        "window": r,
    }
    if defense.synguard:
        result["synguard_exit"] = rc
    log(f"  IPv{family} {defense.name}: offered "
        f"{result['offered_pps']:,.0f}/s, absorbed "
        f"{result['absorbed_syn_pps']:,.0f}/s, "
        f"legit {legit['ok']}/{legit['attempted']}")
    return result


def absorbed(defense, r, family):
    """The flood SYNs per second the server side disposed of as its defense
    means to, in the window the clients ran (inside the flood), with the
    generator unthrottled: for a defense that answers (the kernel's
    cookies, synproxy, synguard, and none until its queue is full), the
    SYN+ACKs that came back to the spoofed sources, counted as IP packets
    of the flood's family arriving in the attacker's namespace (the lab
    routes the benchmark ranges there; the clients' SYN+ACKs go to the
    client's namespace); for a floor (the flood dropped by design), the
    frames the server's interface took in. A SYN taken in but never
    answered (a full queue, a CPU backlog drop) is not absorbed.

    The generator, the bridge and the server share the machine's CPUs, and
    on veth the server's receive work runs in the sender's softirq, so the
    generator's achieved rate is itself bounded by the cost per SYN
    downstream: at full speed the absorbed rate measures the whole path's
    cost per SYN, which is why the defenses are compared by ratios of
    rows of the same run."""
    if defense.floor or "returned" not in r:
        pps = r["rx_pps"]
    else:
        pps = r["returned"].get(family, 0) / r["seconds"]
    return {"absorbed_syn_pps": pps,
            "absorbed_measure": "server rx" if defense.floor
            else "SYN+ACKs returned to the spoofed sources"}


def run_iperf(s, family=4, log=print):
    """Throughput of one established flow without and with synguard
    (reqsk) protecting iperf3's port; no flood. In between, with only an
    XDP_PASS program on the server's veth: on veth, any native XDP program
    turns off the peer's segmentation offload (the flow then arrives as
    MTU-sized packets), a cost of the lab that a physical NIC does not
    have; this row separates it from synguard's own."""
    out = {"family": family}
    with FloodLab(mtu=s.mtu, family=family) as flab:
        lab = flab.lab
        out["without_synguard_bps"] = iperf.throughput(flab, s.iperf_seconds)
        peer_xdp.attach_pass(paths.xdp_object(), lab.server_ns, lab.server_if,
                             pin_name=f"{lab.prefix}-bench")
        out["xdp_pass_only_bps"] = iperf.throughput(flab, s.iperf_seconds)
        lab.run(lab.server_ns, ["ip", "link", "set", "dev", lab.server_if,
                                "xdpdrv", "off"])
        sg = SynguardDefense("reqsk")
        sg.setup(flab, workload.PORT, extra_ports=[iperf.IPERF_PORT])
        try:
            out["with_synguard_bps"] = iperf.throughput(flab, s.iperf_seconds)
        finally:
            out["synguard_exit"] = sg.teardown()
    log(f"  iperf3 over IPv{family}: "
        f"{out['without_synguard_bps'] / 1e9:.2f} Gbit/s without, "
        f"{out['xdp_pass_only_bps'] / 1e9:.2f} with XDP_PASS only, "
        f"{out['with_synguard_bps'] / 1e9:.2f} with synguard")
    return out


def check_frames(family, s, count=32, log=print):
    """The generator's frames of one family, checked twice in a lab without
    defense or listener: taken apart by floodlab.framecheck (an independent
    implementation) as they reach the server's interface, and judged by the
    server's kernel, which answers each valid SYN to a closed port with a
    RST and counts a bad checksum in Tcp.InCsumErrors instead."""
    port = workload.PORT
    with FloodLab(family=family) as flab:
        lab = flab.lab
        # A process in the server's namespace to read its counters through
        # (/proc/PID/net), alive for the whole check; the lab stops it.
        holder = lab.spawn(lab.server_ns, ["sleep", "60"])
        cap = JsonProcess(lab, lab.server_ns,
                          [sys.executable, "-m", "floodlab.framecheck",
                           lab.server_if, str(port), str(count), "10",
                           "1" if s.nft_flow_label else "0"],
                          "frame capture")
        if not cap.first(timeout=10).get("ready"):
            raise LabError(f"frame capture: {''.join(cap.lines)}")
        before = probes.tcp_counters(holder.pid)
        flood = workload.start_flood(flab, 100, 5, port=port, count=count,
                                     nft_flow_label=s.nft_flow_label)
        offered = flood.wait(timeout=15)
        seen = cap.wait(timeout=15)
        # The RSTs go out in the SYNs' own softirq: done by now.
        after = probes.tcp_counters(holder.pid)
    kernel = {k: after[k] - before.get(k, 0) for k in after}
    out = {"family": family, "sent": offered["sent"],
           "frame_bytes": offered["frame_bytes"],
           "captured": seen["checked"], "bad_count": seen["bad_count"],
           "bad": seen["bad"], "destinations": seen["destinations"],
           "kernel_in_segs": kernel["Tcp.InSegs"],
           "kernel_csum_errors": kernel["Tcp.InCsumErrors"],
           "kernel_rsts": kernel["Tcp.OutRsts"]}
    log(f"  IPv{family} frames: {out['captured']} of {out['sent']} "
        f"({out['frame_bytes']} bytes) taken apart, {out['bad_count']} bad; "
        f"server kernel: {out['kernel_in_segs']} in, "
        f"{out['kernel_csum_errors']} checksum errors, "
        f"{out['kernel_rsts']} RSTs")
    return out


def frame_problems(check):
    """What is wrong with a check_frames() result (empty: nothing)."""
    family, wrong = check["family"], []
    if check["sent"] == 0 or check["captured"] < check["sent"]:
        wrong.append(f"IPv{family} frames: {check['captured']} of "
                     f"{check['sent']} sent were captured")
    if check["bad_count"]:
        wrong.append(f"IPv{family} frames: {check['bad_count']} bad, e.g. "
                     f"{check['bad'][0]['problems']}")
    if check["kernel_csum_errors"]:
        wrong.append(f"IPv{family} frames: the server counted "
                     f"{check['kernel_csum_errors']} TCP checksum errors")
    if check["kernel_rsts"] < check["sent"]:
        wrong.append(f"IPv{family} frames: {check['sent']} sent, the server "
                     f"answered {check['kernel_rsts']} with a RST")
    return wrong
