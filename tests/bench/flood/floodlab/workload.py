"""The processes of one run: the echo sink on the server, the steady-rate
legitimate clients, and the flood generator pinned to one CPU."""

import os
import shutil

from lab import LabError

from . import paths
from .procs import JsonProcess

PORT = 8080


def flood_cpu():
    """The CPU the generator is pinned to: the last one, so that it does not
    share a core with whatever the shell put on CPU 0."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1]


def start_sink(flab, duration, port=PORT, backlog=1024):
    lab = flab.lab
    p = JsonProcess(lab, lab.server_ns,
                    [paths.echo_sink(), "-p", str(port), "--backlog",
                     str(backlog), "--duration", f"{duration:.1f}"],
                    "echo sink")
    first = p.first(timeout=10)
    if "listening" not in first:
        raise LabError(f"echo sink: {first}")
    return p


def start_clients(flab, rate, duration, timeout_ms, port=PORT, progress=False,
                  family=None):
    """Legit clients to the server's address of family (None: the lab's)."""
    lab = flab.lab
    server = flab.server_addr(family or flab.family)
    argv = [paths.connect_loop(), "-c", server, "-p", str(port),
            "--rate", str(rate), "--duration", f"{duration:.2f}",
            "--timeout-ms", str(timeout_ms)]
    if progress:
        argv.append("--progress")
    return JsonProcess(lab, lab.client_ns, argv, "connect loop")


def start_flood(flab, rate, duration, port=PORT, mode="syn", progress=False,
                count=0, nft_flow_label=True, family=None):
    """Spoofed SYNs from the benchmark range of family (None: the lab's;
    the generator takes the family from --dst-ip), pinned to flood_cpu():
    two of them (the demo's IPv4 and IPv6 floods) share that one CPU.
    Over IPv6, with nft_flow_label, every row gets the same frames, with
    flow labels that nftables synproxy's checksum bug lets through
    (flood_packet.h says why); without, synproxy drops every flood SYN
    unanswered."""
    lab = flab.lab
    family = family or flab.family
    argv = [paths.syn_flood(), "-i", lab.attacker_if, "--dst-mac",
            flab.server_mac, "--dst-ip", flab.server_addr(family),
            "--dport", str(port),
            "--mode", mode, "--rate", str(rate), "--duration",
            f"{duration:.2f}", "--count", str(count)]
    if family == 6 and nft_flow_label:
        argv += ["--flow-label", "nft-synproxy"]
    if progress:
        argv.append("--progress")
    if shutil.which("taskset"):
        argv = ["taskset", "-c", str(flood_cpu())] + argv
    return JsonProcess(lab, lab.attacker_ns, argv, "flood generator")
