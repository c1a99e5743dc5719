#!/usr/bin/env python3
"""deploy/synguard.service passes `systemd-analyze verify` and keeps its
`systemd-analyze security` exposure at or below 5.5. The unit is copied to
a temporary directory with ExecStart pointing at the built binary (verify
wants an existing executable)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("SG_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = os.path.join(SOURCE, "deploy", "synguard.service")
MAX_EXPOSURE = 5.5


class SystemdUnitTest(unittest.TestCase):
    def setUp(self):
        if shutil.which("systemd-analyze") is None:
            raise unittest.SkipTest("systemd-analyze not installed")
        self.tmp = tempfile.mkdtemp()
        binary = os.environ.get("SG_SYNGUARD", "/bin/true")
        text = open(UNIT).read().replace("/usr/local/sbin/synguard", binary)
        self.unit = os.path.join(self.tmp, "synguard.service")
        with open(self.unit, "w") as f:
            f.write(text)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def analyze(self, *args):
        return subprocess.run(["systemd-analyze", *args], capture_output=True,
                              text=True, timeout=60, cwd=self.tmp)

    def test_verify_is_clean(self):
        p = self.analyze("verify", self.unit)
        # Messages about other units on this machine are not ours.
        ours = [l for l in (p.stdout + p.stderr).splitlines()
                if "synguard.service" in l]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(ours, [])

    def test_security_exposure(self):
        p = self.analyze("security", "--offline=true", self.unit)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, p.stdout)

    def test_unit_keeps_its_promises(self):
        text = open(UNIT).read()
        for line in ("Type=notify",
                     "ExecReload=/usr/local/sbin/synguard reload --pid $MAINPID",
                     "ProtectSystem=strict", "ReadWritePaths=/sys/fs/bpf"):
            self.assertIn(line, text)
        self.assertNotIn("ProtectKernelTunables=yes", text)
        # /bin/kill comes from procps, which the unit does not depend on.
        self.assertNotRegex(text, r"(?m)^Exec\w*=\S*/kill\b")
        caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1)
        self.assertEqual(sorted(caps.split()),
                         ["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON"])
        # Instead of CAP_SYS_RESOURCE for libbpf on kernels before 5.11.
        self.assertIn("LimitMEMLOCK=infinity", text)
        self.assertRegex(text, r"(?m)^WatchdogSec=")


if __name__ == "__main__":
    unittest.main(verbosity=2)
