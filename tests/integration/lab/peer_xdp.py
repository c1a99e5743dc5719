"""Attaches the lab's XDP_PASS program (synguard_xdp_pass, from
tests/integration/bpf/peer_pass.bpf.c) natively to the peer of the server's
veth, so that the server's XDP_TX frames are delivered.

bpftool loads the object into a bpffs pin directory in the host (the pin is
only a handle), attaches the program from inside the peer's namespace, and
the pins go at once: the attachment holds the program, and it disappears
with the interface when the lab's namespaces are deleted.
"""

import os
import shutil

from .cleanup import CLEANUP
from .run import run

BPFFS = "/sys/fs/bpf"
PROG = "synguard_xdp_pass"


def attach_pass(obj, ns, ifname, pin_name):
    pin_dir = os.path.join(BPFFS, pin_name)
    token = CLEANUP.push(f"remove {pin_dir}",
                         lambda: shutil.rmtree(pin_dir, ignore_errors=True))
    try:
        _load(obj, pin_dir)
        run(["bpftool", "net", "attach", "xdpdrv", "pinned",
             os.path.join(pin_dir, PROG), "dev", ifname], ns=ns)
    finally:
        CLEANUP.pop(token)


def _load(obj, pin_dir):
    """Loads obj, or its plain twin (NAME_plain.bpf.o) where the kernel
    refuses a frags-aware program (before 5.18)."""
    root, ext = obj.split(".bpf.o")[0], ".bpf.o"
    plain = root + "_plain" + ext
    p = run(["bpftool", "prog", "loadall", obj, pin_dir], timeout=60,
            check=not os.path.exists(plain))
    if p.returncode != 0:
        shutil.rmtree(pin_dir, ignore_errors=True)
        run(["bpftool", "prog", "loadall", plain, pin_dir], timeout=60)
