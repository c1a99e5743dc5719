"""Everything synguard may change in a lab's server namespace, and the
moves the crash tests make: a config file, a daemon started from it, kill
-9, a clean stop. test_crash_restore and test_cleanup share it: what a
daemon leaves and what must come back are the same for both.

Use as a mixin in front of testing.LabTestCase."""

import json
import os
import shutil
import signal
import tempfile
import time

from . import env, testing, traffic
from .daemon import Synguard

PORT = testing.PORT
PIN_BASE = "/sys/fs/bpf/synguard"
STATE_DIR = "/run/synguard"

# Start values that differ from what either mode sets, so every one of them
# is changed and has to come back.
START = {
    "net.ipv4.tcp_syncookies": "0",
    "net.ipv4.tcp_timestamps": "1",
    "net.ipv4.tcp_max_syn_backlog": "256",
    "net.core.somaxconn": "1024",
    "net.ipv4.tcp_synack_retries": "5",
    "net.ipv4.tcp_abort_on_overflow": "1",
}


class Footprint:
    @staticmethod
    def inode(l):
        return os.stat(f"/run/netns/{l.server_ns}").st_ino

    def pin_root(self, l):
        return os.path.join(PIN_BASE, str(self.inode(l)))

    def record_path(self, l):
        return os.path.join(STATE_DIR, f"{self.inode(l)}.restore.json")

    def state_path(self, l):
        return os.path.join(STATE_DIR, f"{self.inode(l)}.json")

    def record(self, l):
        with open(self.record_path(l)) as f:
            return json.load(f)

    def snapshot(self, l):
        """Everything synguard may change in the server namespace."""
        ns, dev = l.server_ns, l.server_if
        pins = None
        root = self.pin_root(l)
        if os.path.exists(root):
            pins = sorted(os.path.relpath(os.path.join(d, n), root)
                          for d, dirs, files in os.walk(root)
                          for n in dirs + files)
        return {
            "sysctls": {k: l.sysctl(ns, k) for k in START},
            "pins": pins,
            "xdp": self.xdp_attached(l),
            "tc_filter": l.run(ns, ["tc", "filter", "show", "dev", dev,
                                    "ingress"]).stdout.strip(),
            "qdiscs": l.run(ns, ["tc", "qdisc", "show", "dev",
                                 dev]).stdout.strip(),
            "restore_record": os.path.exists(self.record_path(l)),
            "state_file": os.path.exists(self.state_path(l)),
        }

    def xdp_attached(self, l):
        net = json.loads(l.run(l.server_ns, ["bpftool", "-j", "net", "show",
                                             "dev", l.server_if]).stdout)
        progs = [x for entry in net for x in entry.get("xdp", [])]
        link = l.run(l.server_ns, ["ip", "-d", "-o", "link", "show",
                                   l.server_if]).stdout
        # Both views must agree, or the check itself is wrong.
        self.assertEqual(bool(progs), "prog/xdp" in link, (net, link))
        return bool(progs)

    def tc_filter(self, l):
        return l.run(l.server_ns, ["tc", "filter", "show", "dev",
                                   l.server_if, "ingress"]).stdout.strip()

    def write_config(self, l, path, leave=False, on_crash=None,
                     handoff=None):
        with open(path, "w") as f:
            f.write(f"interfaces: [{l.server_if}]\n"
                    f"handoff: {handoff or self.mode}\n"
                    f"ports:\n  - port: {PORT}\n    engage: always\n"
                    f"leave_pinned_on_exit: {'true' if leave else 'false'}\n"
                    + (f"on_crash: {on_crash}\n" if on_crash else ""))

    def daemon(self, l, path):
        d = Synguard(l, env.synguard(), PORT, self.mode)
        d.argv = [env.synguard(), "run", "-c", path]
        self._daemons.append(d)
        return d.start()

    def kill9(self, d):
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(timeout=10)
        d.stop()  # reaps the output reader
        self._daemons.remove(d)

    def stop(self, d, sig=signal.SIGTERM):
        """sig, and the daemon's own exit (Synguard.stop() would add a
        SIGTERM to a daemon still running)."""
        d.proc.send_signal(sig)
        try:
            d.proc.wait(timeout=15)
        finally:
            d.stop()
            self._daemons.remove(d)
        self.assertEqual(d.proc.returncode, 0, d.output())

    def reload(self, d):
        """SIGHUP, and wait (bounded) for the daemon to say it reloaded."""
        seen = d.output().count("reloaded")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while d.output().count("reloaded") == seen and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreater(d.output().count("reloaded"), seen, d.output())

    def serve(self, l):
        traffic.serve(l)

    def loop(self, l, seconds, limit, pause=0.05):
        return traffic.loop(l, seconds, limit, pause)

    def connects(self, l, n=3):
        ok, failed, out = self.loop(l, 10, limit=n)
        self.assertEqual((ok, failed), (n, 0), out)

    def in_lab(self, body, **lab_kw):
        """body(lab, config path) in a fresh lab whose server namespace
        starts from START; this run's pins and record go whatever
        happens."""
        leftovers = []
        try:
            with testing.lab(**lab_kw) as l, \
                    tempfile.TemporaryDirectory() as tmp:
                leftovers = [self.pin_root(l), self.record_path(l),
                             self.state_path(l)]
                for k, v in START.items():
                    l.sysctl(l.server_ns, k, v)
                body(l, os.path.join(tmp, "synguard.yaml"))
        finally:
            if leftovers:
                shutil.rmtree(leftovers[0], ignore_errors=True)
                for f in leftovers[1:]:
                    if os.path.exists(f):
                        os.unlink(f)

    def assert_as_before(self, l, before, output=""):
        after = self.snapshot(l)
        self.assertEqual(after, before, output)

    def synguard(self, l, *args, timeout=20):
        """`synguard ARGS` in the server namespace, to completion."""
        return l.run(l.server_ns, [env.synguard(), *args], timeout=timeout,
                     check=False)
