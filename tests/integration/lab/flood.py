"""The attacker's flood (tests/bench/flood/syn_flood.cc, SG_SYN_FLOOD) from
the attacker namespace of a lab made with attacker=True: spoofed SYNs (or
random-cookie ACKs) to the server's address of one family, from the
benchmark range of that family: 198.18.0.0/15 (RFC 2544) to 10.200.0.1
over IPv4, 2001:2::/48 (RFC 5180) to fd00:5347::1 over IPv6. The tool takes
the family from the destination, refuses any destination outside the lab
and any source outside those ranges, and stops by itself after its
duration; stop() ends it sooner (and the lab's cleanup would).

start_families() floods over both families at once with the load of one
flood: a given rate is split between them, and "as fast as it can" (rate
0) runs both generators on one CPU, so that on the two-core lab machine
the server keeps the other.

No synproxy runs in the integration lab, so the IPv6 flood keeps random
flow labels (the benchmark's nft-synproxy labels, flood_packet.h, are for
nftables synproxy only)."""

import json
import os
import shutil
import subprocess

from . import env

FAMILIES = (4, 6)


def server_mac(lab):
    out = lab.run(lab.server_ns, ["ip", "-j", "link", "show", lab.server_if])
    return json.loads(out.stdout)[0]["address"]


def flood_cpu():
    """The CPU generators share when two run flat out: the last one, away
    from whatever the shell put on CPU 0."""
    return sorted(os.sched_getaffinity(0))[-1]


def start(lab, port, rate, seconds, mode="syn", family=4, cpu=None):
    """Starts flooding port of the server's address of family (4 or 6) at
    rate packets/s (0: as fast as it can) for seconds; cpu pins the
    generator (None: wherever the scheduler puts it). Returns the process
    (read its summary with summary())."""
    if lab.attacker_ns is None:
        raise ValueError("a flood needs a lab made with attacker=True")
    if family not in FAMILIES:
        raise ValueError(f"family must be 4 or 6, not {family!r}")
    argv = [env.path("SG_SYN_FLOOD"), "-i", lab.attacker_if,
            "--dst-mac", server_mac(lab),
            "--dst-ip", lab.addresses(family)[0], "--dport", str(port),
            "--mode", mode, "--rate", str(rate),
            "--duration", str(seconds)]
    if cpu is not None:
        if shutil.which("taskset") is None:
            raise ValueError("pinning a flood to a CPU needs taskset")
        argv = ["taskset", "-c", str(cpu)] + argv
    return lab.spawn(lab.attacker_ns, argv, stdout=subprocess.PIPE, text=True)


def start_families(lab, port, rate, seconds, mode="syn", families=FAMILIES):
    """One generator per family, together offering what start() offers
    alone: rate split evenly between them, or, at rate 0, all sharing one
    CPU (unpinned, two flat-out generators would take both cores of the
    lab machine from the server). Returns {family: process}."""
    if not families:
        raise ValueError("no family to flood")
    share = rate / len(families)
    cpu = flood_cpu() if rate == 0 and len(families) > 1 else None
    procs = {}
    try:
        for f in families:
            procs[f] = start(lab, port, share, seconds, mode, f, cpu)
    except BaseException:
        for p in procs.values():
            stop(p)
        raise
    return procs


def stop(proc, timeout=10):
    """Ends a flood before its duration (the tool has no summary then)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=timeout)
    proc.stdout.close()


def summary(proc, timeout=30):
    """The flood's JSON summary ({"sent": n, "family": 4, ...}) once it has
    finished."""
    out = proc.communicate(timeout=timeout)[0]
    return json.loads(out.strip().splitlines()[-1])
