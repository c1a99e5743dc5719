"""One defense under one flood: a fresh lab, the sink, the defense, then the
flood and the legitimate clients together; counters are read when the
clients start and when they end, both inside the flood."""

import dataclasses
import time

from lab import peer_xdp

from . import iperf, paths, probes, workload
from .benchlab import FloodLab
from .defenses import METRICS_PORT, SynguardDefense


@dataclasses.dataclass
class Settings:
    flood_seconds: float = 20.0
    flood_rate: int = 0          # packets/s, 0 = as fast as the lab goes
    client_rate: float = 100.0   # legitimate connections started per second
    client_timeout_ms: int = 2000  # one SYN retransmission (1 s) fits
    iperf_seconds: int = 10
    mtu: int = 1500

    def client_seconds(self):
        # Clients start 0.5 s into the flood and their last attempt ends
        # (ok or timed out) before the flood does.
        timeout = self.client_timeout_ms / 1000
        return max(0.5, self.flood_seconds - 1.0 - timeout)


def run_defense(defense, s, log=print):
    port = workload.PORT
    with FloodLab(mtu=s.mtu) as flab:
        sink = workload.start_sink(flab, s.flood_seconds + 30)
        defense.setup(flab, port)
        metrics = (METRICS_PORT, port) if defense.synguard else None
        try:
            flood = workload.start_flood(flab, s.flood_rate, s.flood_seconds)
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
        "defense": defense.name,
        "label": defense.label,
        # In the measuring window (the attacker's tx counter); the
        # generator's own average over the whole flood is kept too.
        "offered_pps": r.get("offered_pps", offered["pps"]),
        "generator_pps": offered["pps"],
        "generator_refused": offered["refused"],
        "absorbed_syn_pps": r["syn_pps"],
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
    log(f"  {defense.name}: offered {result['offered_pps']:,.0f}/s, absorbed "
        f"{r['syn_pps']:,.0f}/s, legit {legit['ok']}/{legit['attempted']}")
    return result


def run_iperf(s, log=print):
    """Throughput of one established flow without and with synguard
    (reqsk) protecting iperf3's port; no flood. In between, with only an
    XDP_PASS program on the server's veth: on veth, any native XDP program
    turns off the peer's segmentation offload (the flow then arrives as
    MTU-sized packets), a cost of the lab that a physical NIC does not
    have; this row separates it from synguard's own."""
    out = {}
    with FloodLab(mtu=s.mtu) as flab:
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
    log(f"  iperf3: {out['without_synguard_bps'] / 1e9:.2f} Gbit/s without, "
        f"{out['xdp_pass_only_bps'] / 1e9:.2f} with XDP_PASS only, "
        f"{out['with_synguard_bps'] / 1e9:.2f} with synguard")
    return out
