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
import signal
import time

from lab import counters, flood, testing
from lab.footprint import PORT, START, Footprint
from lab.traffic import Keeper


class CrashRestoreTest(Footprint, testing.LabTestCase):
    # Helpers (snapshot, daemon, kill9, stop, in_lab ...): lab/footprint.py.

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
