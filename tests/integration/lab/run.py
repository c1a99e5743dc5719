"""Running commands in the host or in a lab namespace, always with a timeout.

Commands enter a namespace with `nsenter --net=/run/netns/NAME`, not
`ip netns exec`: the latter remounts /sys, which hides bpffs
(/sys/fs/bpf) from bpftool and synguard.
"""

import subprocess

from .errors import LabError

DEFAULT_TIMEOUT = 20.0


def in_ns(ns, argv):
    """argv prefixed so that it runs in network namespace ns (None: host)."""
    if ns is None:
        return list(argv)
    return ["nsenter", f"--net=/run/netns/{ns}", "--"] + list(argv)


def run(argv, ns=None, timeout=DEFAULT_TIMEOUT, check=True, input=None):
    """Runs argv to completion; returns CompletedProcess (text output)."""
    full = in_ns(ns, argv)
    try:
        p = subprocess.run(full, capture_output=True, text=True,
                           timeout=timeout, input=input)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {' '.join(full)}") from e
    if check and p.returncode != 0:
        raise LabError(f"exit {p.returncode}: {' '.join(full)}\n"
                       f"{p.stdout}{p.stderr}")
    return p


def sysctl(ns, name, value=None):
    """Reads (value None) or writes a sysctl inside ns; returns its value."""
    if value is not None:
        run(["sysctl", "-qw", f"{name}={value}"], ns=ns)
    return run(["sysctl", "-n", name], ns=ns).stdout.strip()
