#!/usr/bin/env python3
"""What the server namespace looks like after synguard, on every way out:
SIGTERM, SIGINT, kill -9 followed by a restart and a clean stop (with the
operator changing a sysctl in between, or not), and a stop that leaves the
programs pinned followed by one that does not. Each time the six sysctls
synguard manages, its pin directory, XDP, the TC filter and its clsact
qdisc, and the restore record under /run/synguard must end exactly as they
were before synguard first started.

And what a kill -9 leaves on the interface, per on_crash, with a client
connection established and a SYN flood running: keep_protecting keeps the
program attached and answering with cookies (pure SYNs are dropped by
netfilter, so a new connection proves it); fail_open leaves no XDP program,
and the kernel answers new clients itself.

Runs per handoff mode: kernel-cookie sets tcp_syncookies and tcp_timestamps
to 2, reqsk tcp_syncookies to at least 1 and adds a TC filter."""

import json
import os
import shutil
import signal
import tempfile
import time

from lab import counters, env, flood, testing
from lab.daemon import Synguard
from lab import traffic
from lab.traffic import Keeper

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


class CrashRestoreTest(testing.LabTestCase):
    # -- helpers ---------------------------------------------------------

    @staticmethod
    def inode(l):
        return os.stat(f"/run/netns/{l.server_ns}").st_ino

    def pin_root(self, l):
        return os.path.join(PIN_BASE, str(self.inode(l)))

    def record_path(self, l):
        return os.path.join(STATE_DIR, f"{self.inode(l)}.restore.json")

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
                leftovers = [self.pin_root(l), self.record_path(l)]
                for k, v in START.items():
                    l.sysctl(l.server_ns, k, v)
                body(l, os.path.join(tmp, "synguard.yaml"))
        finally:
            if leftovers:
                shutil.rmtree(leftovers[0], ignore_errors=True)
                if os.path.exists(leftovers[1]):
                    os.unlink(leftovers[1])

    def assert_as_before(self, l, before, output=""):
        after = self.snapshot(l)
        self.assertEqual(after, before, output)

    # -- clean exits -----------------------------------------------------

    def test_sigterm_restores(self):
        self.in_lab(lambda l, path: self._clean(l, path, signal.SIGTERM))

    def test_sigint_restores(self):
        self.in_lab(lambda l, path: self._clean(l, path, signal.SIGINT))

    def _clean(self, l, path, sig):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path)
        d = self.daemon(l, path)
        self.assertNotEqual(self.snapshot(l)["sysctls"], before["sysctls"])
        self.assertTrue(os.path.exists(self.record_path(l)))
        self.connects(l)
        self.stop(d, sig)
        self.assert_as_before(l, before, d.output())

    # -- kill -9, restart, stop ------------------------------------------

    def test_kill9_restart_stop(self):
        self.in_lab(lambda l, path: self._crash(l, path, None))

    def test_kill9_fail_open_restart_stop(self):
        self.in_lab(lambda l, path: self._crash(l, path, "fail_open"))

    def _crash(self, l, path, on_crash):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path, on_crash=on_crash)
        first = self.daemon(l, path)
        changed = self.snapshot(l)["sysctls"]
        self.kill9(first)

        # Nothing ran at the kill: the values stay as set, and the record
        # holds the originals of exactly the sysctls that changed.
        self.assertEqual(self.snapshot(l)["sysctls"], changed)
        saved = {s["name"]: s for s in self.record(l)["sysctls"]}
        self.assertEqual(set(saved), {k for k in START
                                      if changed[k] != before["sysctls"][k]})
        for k, s in saved.items():
            self.assertEqual((s["original"], s["set"]),
                             (before["sysctls"][k], changed[k]), k)
        self.assertEqual(self.xdp_attached(l), on_crash != "fail_open")

        second = self.daemon(l, path)
        self.assertEqual(self.snapshot(l)["sysctls"], changed)
        self.connects(l)
        self.stop(second)
        self.assert_as_before(l, before, second.output())
        self.assertIn("did not stop cleanly", second.output())

    def test_kill9_operator_changes_a_sysctl_then_restart_stop(self):
        self.in_lab(self._operator_wins)

    def _operator_wins(self, l, path):
        # The operator's value, set while no synguard runs, is neither the
        # original nor synguard's: it stands, and it is what comes back.
        name = "net.ipv4.tcp_syncookies"
        mine = {"reqsk": "2", "kernel-cookie": "1"}[self.mode]
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path)
        self.kill9(self.daemon(l, path))
        l.sysctl(l.server_ns, name, mine)
        second = self.daemon(l, path)
        self.connects(l)
        self.stop(second)
        before["sysctls"][name] = mine
        self.assert_as_before(l, before, second.output())
        self.assertIn(f"{name} is {mine}, not the", second.output())

    def test_kill9_restart_in_the_other_mode_stop(self):
        self.in_lab(self._other_mode)

    def _other_mode(self, l, path):
        # reqsk -> kernel-cookie: the killed run's TC filter and qdisc must
        # go, though the new run has no TC program. kernel-cookie -> reqsk:
        # tcp_timestamps, which reqsk leaves alone, goes back at start.
        other = {"reqsk": "kernel-cookie", "kernel-cookie": "reqsk"}[self.mode]
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path, on_crash="fail_open", handoff=other)
        self.kill9(self.daemon(l, path))
        self.assertEqual(bool(self.tc_filter(l)), other == "reqsk")
        self.write_config(l, path, on_crash="fail_open")
        second = self.daemon(l, path)
        if other == "kernel-cookie":
            self.assertEqual(l.sysctl(l.server_ns, "net.ipv4.tcp_timestamps"),
                             before["sysctls"]["net.ipv4.tcp_timestamps"])
        else:
            self.assertEqual(self.tc_filter(l), "")
        self.connects(l)
        self.stop(second)
        self.assert_as_before(l, before, second.output())

    # -- on_crash changed by a reload --------------------------------------

    def test_reload_switches_on_crash(self):
        self.in_lab(self._reload_on_crash)

    def _reload_on_crash(self, l, path):
        self.serve(l)
        before = self.snapshot(l)
        link_pin = os.path.join(self.pin_root(l), l.server_if, "xdp_link")
        self.write_config(l, path)
        d = self.daemon(l, path)
        self.assertTrue(os.path.exists(link_pin))
        for on_crash, pinned in (("fail_open", False),
                                 ("keep_protecting", True),
                                 ("fail_open", False)):
            self.write_config(l, path, on_crash=on_crash)
            self.reload(d)
            self.assertEqual(os.path.exists(link_pin), pinned, on_crash)
        self.connects(l)
        self.kill9(d)
        self.assertFalse(self.xdp_attached(l))
        second = self.daemon(l, path)
        self.stop(second)
        self.assert_as_before(l, before, second.output())

    # -- left pinned, then a clean stop -----------------------------------

    def test_left_pinned_then_stopped(self):
        self.in_lab(self._left_pinned)

    def _left_pinned(self, l, path):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path, leave=True, on_crash="fail_open")
        first = self.daemon(l, path)
        self.stop(first)
        # fail_open pins the link at a clean stop with leave_pinned_on_exit:
        # a planned restart keeps protecting.
        self.assertTrue(self.xdp_attached(l))
        self.assertTrue(os.path.exists(self.record_path(l)))
        self.connects(l)
        self.write_config(l, path, leave=False, on_crash="fail_open")
        second = self.daemon(l, path)
        self.assertIn("took over the pinned XDP link", second.output())
        # fail_open: while it runs, the taken-over link is not pinned.
        self.assertNotIn("xdp_link",
                         os.listdir(os.path.join(self.pin_root(l),
                                                 l.server_if)))
        self.stop(second)
        self.assert_as_before(l, before, second.output())

    # -- kill -9 under a flood, per on_crash --------------------------------

    def test_kill9_under_flood_keep_protecting(self):
        self.in_lab(lambda l, path: self._flood(l, path, "keep_protecting"),
                    attacker=True, syn_drop=True)

    def test_kill9_under_flood_fail_open(self):
        # No netfilter SYN drop: after the crash the kernel must answer.
        self.in_lab(lambda l, path: self._flood(l, path, "fail_open"),
                    attacker=True, syn_drop=False)

    def _flood(self, l, path, on_crash):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path, on_crash=on_crash)
        first = self.daemon(l, path)
        keeper = Keeper(l)
        self.connects(l)
        sg = counters.SynguardCounters(l)
        syns = flood.start(l, PORT, rate=20000, seconds=12)
        time.sleep(1)
        tc_before_kill = self.tc_filter(l)
        self.kill9(first)
        kill_time = time.monotonic()
        snmp_before = counters.snmp(l.server_ns)
        synacks_before = sg.read()["TX_SYNACK"]

        self.assertTrue(keeper.still_exchanging(), keeper.lines[-3:])
        ok, failed, out = self.loop(l, 5, limit=20)
        self.assertEqual((ok, failed), (20, 0), out)
        if on_crash == "keep_protecting":
            # Attached, answering: pure SYNs never reach the kernel here.
            self.assertTrue(self.xdp_attached(l))
            self.assertGreater(sg.read()["TX_SYNACK"], synacks_before + 20)
        else:
            # Gone with the process; the kernel made these connections.
            self.assertFalse(self.xdp_attached(l))
            opens = counters.delta(snmp_before, counters.snmp(l.server_ns),
                                   ["Tcp.PassiveOpens"])["Tcp.PassiveOpens"]
            self.assertGreaterEqual(opens, ok)
            # The TC filter (reqsk) is not a link: it stays, and only hands
            # off a valid cookie's ACK, passing the rest (those connections
            # just worked through it).
            self.assertEqual(self.tc_filter(l), tc_before_kill)
        self.assertLess(time.monotonic() - kill_time, 11,
                        "the checks ran past the flood")
        flood_out = syns.communicate(timeout=30)[0]
        sent = json.loads(flood_out.strip().splitlines()[-1])["sent"]
        self.assertGreater(sent, 50000, flood_out)

        # A restart replaces what was left; its stop removes everything.
        second = self.daemon(l, path)
        self.connects(l)
        self.assertTrue(keeper.still_exchanging(), keeper.lines[-3:])
        self.stop(second)
        self.assert_as_before(l, before, second.output())
        rc, kout = keeper.finish()
        self.assertEqual(rc, 0, kout)


if __name__ == "__main__":
    testing.main()
