"""What every integration test shares: the root check (exit 77, which CTest
counts as skipped), and a protected lab: namespaces, the nft rule that
drops every pure SYN in the server namespace, and synguard running there."""

import contextlib
import os
import shutil
import sys
import unittest

from . import env, nft
from .daemon import Synguard
from .echo import PORT
from .topology import Lab, LabConfig

SKIP = 77
NEEDED = ("ip", "nsenter", "nft", "bpftool", "ss", "sysctl")


def main():
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces, XDP)")
        sys.exit(SKIP)
    missing = [t for t in NEEDED if shutil.which(t) is None]
    if missing:
        print(f"integration tests need: {' '.join(missing)}")
        sys.exit(SKIP)
    unittest.main(verbosity=2)


@contextlib.contextmanager
def lab(mtu=1500, attacker=False, syn_drop=True):
    """A lab whose server drops pure SYNs in netfilter: only synguard's
    XDP SYN+ACK can open a connection."""
    with Lab(LabConfig(peer_xdp_obj=env.xdp_object(), mtu=mtu,
                       attacker=attacker)) as the_lab:
        if syn_drop:
            nft.drop_pure_syns(the_lab.server_ns)
        yield the_lab


def write_config(path, text):
    """Replaces the file at path in one step (write aside, rename), as an
    operator's editor does: a SIGHUP never reads half a config."""
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


class LabTestCase(unittest.TestCase):
    mode = env.handoff()

    def start_synguard(self, the_lab, port=PORT, extra=()):
        d = Synguard(the_lab, env.synguard(), port, self.mode, extra).start()
        self._daemons.append(d)
        return d

    def stop_synguard(self, d):
        """SIGTERM; the daemon must detach and exit 0."""
        rc = d.stop()
        self._daemons.remove(d)
        self.assertEqual(rc, 0, f"synguard exit status\n{d.output()}")

    def setUp(self):
        self._daemons = []

    def tearDown(self):
        # A test that failed half-way still stops its daemons (the lab's
        # cleanup would kill them anyway, without the exit check).
        for d in list(self._daemons):
            d.stop()
        self._daemons.clear()
