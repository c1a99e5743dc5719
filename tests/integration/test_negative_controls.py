#!/usr/bin/env python3
"""Controls that show the other tests can fail: with the nft rule dropping
pure SYNs, nothing connects without synguard; in reqsk mode nothing connects
once the TC handoff filter is gone (with the daemon stopped by SIGSTOP: a
running one attaches it again within milliseconds, test_tc_filter_loss); in
kernel-cookie mode nothing connects once tcp_syncookies is no longer 2
(bpf_tcp_gen_syncookie then refuses)."""

import contextlib
import os
import signal

from lab import counters, nft, testing
from lab.echo import EchoServer, run_client

ATTEMPTS = 2


class NegativeControlsTest(testing.LabTestCase):
    def attempt(self, l, family, expect_success=False):
        """Client successes out of ATTEMPTS, and connections the server saw.
        Short timeouts where failure is the expected outcome; long ones for
        the controls that must succeed, which a loaded CI machine would
        otherwise fail now and then (a first connect also waits for ARP/ND)."""
        timeout_ms = 6000 if expect_success else 1500
        srv = EchoServer(l, ATTEMPTS, nbytes=4096, timeout_ms=8000 + timeout_ms).start()
        _, _, summary = run_client(l, l.addresses(family)[0], ATTEMPTS,
                                   nbytes=4096, connect_timeout_ms=timeout_ms,
                                   conn_timeout_ms=timeout_ms)
        srv.stop()
        return summary["ok"], len(srv.records)

    @contextlib.contextmanager
    def paused(self, d):
        """reqsk: the daemon stopped (its XDP program still answers SYNs
        from the kernel), so that it cannot put its TC filter back."""
        if self.mode != "reqsk":
            yield
            return
        os.kill(d.proc.pid, signal.SIGSTOP)  # nsenter execs synguard
        try:
            yield
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)

    def test_without_synguard_nothing_connects(self):
        if self.mode != "reqsk":
            self.skipTest("does not depend on the mode: run once, with reqsk")
        with testing.lab(syn_drop=False) as l:
            # The control of the control: the lab works without the rule.
            self.assertEqual(self.attempt(l, 4, expect_success=True),
                             (ATTEMPTS, ATTEMPTS))
            nft.drop_pure_syns(l.server_ns)
            for family in (4, 6):
                self.assertEqual(self.attempt(l, family), (0, 0))
            self.assertGreater(nft.dropped_syns(l.server_ns), 0)

    def test_without_handoff_nothing_connects(self):
        with testing.lab() as l:
            d = self.start_synguard(l)
            sg = counters.SynguardCounters(l)
            for family in (4, 6):
                self.assertEqual(
                    self.attempt(l, family, expect_success=True)[0], ATTEMPTS)
            before = sg.read()
            with self.paused(d):
                if self.mode == "reqsk":
                    l.run(l.server_ns, ["tc", "filter", "del", "dev",
                                        l.server_if, "ingress"])
                else:
                    l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies", 1)
                for family in (4, 6):
                    self.assertEqual(self.attempt(l, family), (0, 0))
                got = counters.delta(before, sg.read(),
                                     ["TX_SYNACK", "PASS_NO_KEY", "HANDOFF_OK"])
            if self.mode == "reqsk":
                # SYN+ACKs still go out, but the ACKs reach no handoff.
                self.assertGreater(got["TX_SYNACK"], 0)
                self.assertEqual(got["HANDOFF_OK"], 0)
            else:
                # No kernel cookie: the SYNs pass to the rule, which drops.
                self.assertEqual(got["TX_SYNACK"], 0)
                self.assertGreater(got["PASS_NO_KEY"], 0)
            self.stop_synguard(d)


if __name__ == "__main__":
    testing.main()
