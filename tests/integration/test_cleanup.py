#!/usr/bin/env python3
"""`synguard cleanup`: after a kill -9 with a client connected, it puts the
server namespace back as it was before synguard started (the six sysctls,
no pins, no XDP program by `ip -j link` and bpftool, no TC filter, no
clsact qdisc synguard made, no restore record or state file), one line per
change; the established connection carries on, and new connections are
made by the kernel again. A dry run says the same with "would" and changes
nothing; a second run has nothing to do; a run while a daemon protects the
namespace is refused with one line and changes nothing (as is a second
`synguard run`); a sysctl the operator changed after the crash keeps the
operator's value; a TC filter on a clsact qdisc synguard did not create
goes alone; and the programs a clean stop left pinned
(leave_pinned_on_exit, before an uninstall) go too.

Runs per handoff mode: reqsk leaves a TC filter (and a qdisc it created),
kernel-cookie none."""

import json

from lab import counters, nft, testing
from lab.footprint import START, Footprint
from lab.traffic import Keeper

NOTHING = "nothing to clean up"


class CleanupTest(Footprint, testing.LabTestCase):
    def cleanup(self, l, *args):
        p = self.synguard(l, "cleanup", *args)
        return p.returncode, p.stdout, p.stderr

    def assert_cleaned(self, l, before, out):
        self.assert_as_before(l, before, out)
        # The kernel's own view of the link, in JSON, besides the snapshot's.
        link = json.loads(l.run(l.server_ns, ["ip", "-j", "-d", "link", "show",
                                              l.server_if]).stdout)
        self.assertNotIn("xdp", link[0], link)

    def lines(self, out):
        return [s for s in out.splitlines() if s.strip()]

    # -- kill -9, then cleanup ---------------------------------------------

    def test_kill9_then_cleanup(self):
        self.in_lab(self._kill9_cleanup)

    def _kill9_cleanup(self, l, path):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path)  # on_crash: keep_protecting (default)
        d = self.daemon(l, path)
        keeper = Keeper(l)
        self.connects(l)
        self.kill9(d)
        left = self.snapshot(l)
        self.assertTrue(left["xdp"], left)
        self.assertTrue(left["restore_record"] and left["state_file"], left)
        self.assertEqual(bool(left["tc_filter"]), self.mode == "reqsk", left)
        # Still protecting with nobody behind it: that is what cleanup is for.
        self.connects(l)

        rc, out, err = self.cleanup(l, "--dry-run")
        self.assertEqual(rc, 0, out + err)
        would = self.lines(out)[1:]
        self.assertEqual(self.lines(out)[0], "dry run: nothing is changed", out)
        self.assertTrue(would and all(s.startswith("would ") for s in would),
                        out)
        self.assertEqual(self.snapshot(l), left, out)

        snmp_before = counters.snmp(l.server_ns)
        rc, out, err = self.cleanup(l)
        self.assertEqual((rc, err), (0, ""), out)
        done = self.lines(out)
        # The same changes the dry run announced, one line each, done.
        self.assertEqual(len(done), len(would), out)
        self.assertIn(f"detached the XDP program from {l.server_if}", out)
        for k, v in before["sysctls"].items():
            if left["sysctls"][k] != v:
                self.assertIn(f"put back {k} = {v} (synguard had set "
                              f"{left['sysctls'][k]})", out)
        if self.mode == "reqsk":
            self.assertIn(f"removed synguard's TC handoff filter from "
                          f"{l.server_if} ingress", out)
            self.assertIn(f"removed the clsact qdisc synguard created on "
                          f"{l.server_if}", out)
        self.assertIn(f"removed the restore record {self.record_path(l)}", out)
        self.assertIn(f"removed the state file {self.state_path(l)}", out)
        self.assert_cleaned(l, before, out)

        # The connection made through synguard's cookie carries on.
        self.assertTrue(keeper.still_exchanging(), keeper.lines[-3:])
        # New connections: with netfilter dropping pure SYNs, nothing answers
        # any more; without, the kernel does, by itself.
        nft.remove(l.server_ns)
        ok, failed, loop_out = self.loop(l, 10, limit=10)
        self.assertEqual((ok, failed), (10, 0), loop_out)
        opens = counters.delta(snmp_before, counters.snmp(l.server_ns),
                               ["Tcp.PassiveOpens"])["Tcp.PassiveOpens"]
        self.assertGreaterEqual(opens, ok)
        self.assertFalse(self.xdp_attached(l))

        rc, out, err = self.cleanup(l)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(len(self.lines(out)), 1, out)
        self.assertIn(NOTHING, out)
        rc, kout = keeper.finish()
        self.assertEqual(rc, 0, kout)

    # -- refused while a daemon runs ---------------------------------------

    def test_refused_while_running(self):
        self.in_lab(self._refused)

    def _refused(self, l, path):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path)
        d = self.daemon(l, path)
        running = self.snapshot(l)
        for args in ((), ("--dry-run",)):
            rc, out, err = self.cleanup(l, *args)
            self.assertEqual(rc, 1, out + err)
            self.assertEqual(out, "")
            self.assertEqual(len(self.lines(err)), 1, err)
            self.assertIn(f"synguard (pid {d.proc.pid}) is running", err)
            self.assertEqual(self.snapshot(l), running)
        # Nor does a second daemon start here: the lock cleanup checks.
        p = self.synguard(l, "run", "-c", path, "--metrics-listen",
                          "127.0.0.1:19481")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("another synguard runs in this network namespace",
                      p.stdout + p.stderr)
        self.assertEqual(self.snapshot(l), running)
        self.connects(l)  # still protecting: pure SYNs are dropped
        self.stop(d)
        self.assert_as_before(l, before, d.output())
        rc, out, err = self.cleanup(l)
        self.assertEqual(rc, 0, out + err)
        self.assertIn(NOTHING, out)

    # -- the operator's value stands ---------------------------------------

    def test_operator_changed_a_sysctl_after_the_kill(self):
        self.in_lab(self._operator_wins)

    def _operator_wins(self, l, path):
        name = "net.core.somaxconn"
        mine = "3000"  # neither START's value nor synguard's
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path)
        self.kill9(self.daemon(l, path))
        set_by_synguard = l.sysctl(l.server_ns, name)
        self.assertNotEqual(set_by_synguard, START[name])
        l.sysctl(l.server_ns, name, mine)
        rc, out, err = self.cleanup(l)
        self.assertEqual(rc, 0, out + err)
        self.assertIn(f"left {name} = {mine} as it is: changed since synguard "
                      f"set {set_by_synguard}", out)
        before["sysctls"][name] = mine
        self.assert_cleaned(l, before, out)

    # -- fail_open, on a clsact qdisc that was there before ------------------

    def test_filter_on_a_qdisc_synguard_did_not_create(self):
        self.in_lab(self._foreign_qdisc)

    def _foreign_qdisc(self, l, path):
        # Someone else's clsact qdisc: synguard attaches its filter (reqsk)
        # to it and must take only the filter away.
        l.run(l.server_ns, ["tc", "qdisc", "add", "dev", l.server_if,
                            "clsact"])
        self.serve(l)
        before = self.snapshot(l)
        self.assertIn("clsact", before["qdiscs"])
        self.write_config(l, path, on_crash="fail_open")
        self.kill9(self.daemon(l, path))
        left = self.snapshot(l)
        self.assertFalse(left["xdp"], left)  # fail_open: gone with the process
        self.assertEqual(bool(left["tc_filter"]), self.mode == "reqsk", left)
        self.assertTrue(left["pins"], left)  # the maps stay pinned
        self.assertEqual(self.record(l)["clsact"], [])
        rc, out, err = self.cleanup(l)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("clsact", out)
        self.assert_cleaned(l, before, out)

    # -- left pinned by a clean stop (before an uninstall) --------------------

    def test_left_pinned_then_cleanup(self):
        self.in_lab(self._left_pinned)

    def _left_pinned(self, l, path):
        self.serve(l)
        before = self.snapshot(l)
        self.write_config(l, path, leave=True)
        self.stop(self.daemon(l, path))
        self.assertTrue(self.xdp_attached(l))
        self.connects(l)  # the pinned programs protect on their own
        rc, out, err = self.cleanup(l)
        self.assertEqual(rc, 0, out + err)
        self.assert_cleaned(l, before, out)
        rc, out, err = self.cleanup(l)
        self.assertIn(NOTHING, out)


if __name__ == "__main__":
    testing.main()
