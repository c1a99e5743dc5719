"""The attacker's flood (tests/bench/flood/syn_flood.cc, SG_SYN_FLOOD) from
the attacker namespace of a lab made with attacker=True: spoofed SYNs (or
random-cookie ACKs) from 198.18.0.0/15 to the server's IPv4 address. The
tool refuses any destination outside the lab and stops by itself after
its duration; stop() ends it sooner (and the lab's cleanup would)."""

import json
import subprocess

from . import env


def server_mac(lab):
    out = lab.run(lab.server_ns, ["ip", "-j", "link", "show", lab.server_if])
    return json.loads(out.stdout)[0]["address"]


def start(lab, port, rate, seconds, mode="syn"):
    """Starts flooding port at rate packets/s (0: as fast as it can) for
    seconds; returns the process (read its summary with summary())."""
    if lab.attacker_ns is None:
        raise ValueError("a flood needs a lab made with attacker=True")
    return lab.spawn(lab.attacker_ns,
                     [env.path("SG_SYN_FLOOD"), "-i", lab.attacker_if,
                      "--dst-mac", server_mac(lab),
                      "--dst-ip", lab.addresses(4)[0], "--dport", str(port),
                      "--mode", mode, "--rate", str(rate),
                      "--duration", str(seconds)],
                     stdout=subprocess.PIPE, text=True)


def stop(proc, timeout=10):
    """Ends a flood before its duration (the tool has no summary then)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=timeout)
    proc.stdout.close()


def summary(proc, timeout=30):
    """The flood's JSON summary ({"sent": n, ...}) once it has finished."""
    out = proc.communicate(timeout=timeout)[0]
    return json.loads(out.strip().splitlines()[-1])
