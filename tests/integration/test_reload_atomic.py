#!/usr/bin/env python3
"""A refused reload changes nothing (issue 11). Running with ports P and
P+1 engaged always, the file is changed to a second interface that does not
exist and only port P (in auto, the default): SIGHUP must be refused before
anything is written, so both ports stay protected and engaged, and every
connect still opens although netfilter drops every pure SYN (only
synguard's cookie SYN+ACK can answer). A good reload afterwards is applied,
which shows the check above is not a daemon that ignores SIGHUP."""

import json
import os
import signal
import tempfile
import time

from lab import env, metrics, nft, testing, traffic
from lab.daemon import Synguard
from lab.run import run

P0, P1 = testing.PORT, testing.PORT + 1


def config_text(ifaces, ports):
    lines = [f"interfaces: [{', '.join(ifaces)}]",
             f"metrics: {{listen: '{metrics.DEFAULT_LISTEN}'}}"]
    if isinstance(ports[0], int):
        lines.append("ports:")
        lines += [f"  - {{port: {p}, engage: always}}" for p in ports]
    else:
        lines.append(f"ports: [{', '.join(ports)}]")
    return "\n".join(lines) + "\n"


class ReloadAtomicTest(testing.LabTestCase):
    def wait_for(self, d, needle, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if d.output().count(needle) >= count:
                return
            time.sleep(0.1)
        self.fail(f"no '{needle}' x{count} in the daemon's output:\n{d.output()}")

    def state(self, l):
        st = json.loads(run([env.synguard(), "status", "--json"],
                            ns=l.server_ns).stdout)
        ifs = {i["name"]: i for i in st["interfaces"]}
        ports = {p["port"]: p for p in ifs[l.server_if]["ports"]}
        text = metrics.scrape(l)
        engaged = {p: metrics.sample(text, "synguard_port_engaged", port=p)
                   for p in (P0, P1)}
        return set(ifs), ports, engaged, text

    def connects(self, l, port, n=3):
        ok, failed, out = traffic.loop(l, 10, limit=n, pause=0.05, port=port)
        return ok, failed

    def test_refused_reload_changes_nothing(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            nft.allow_loopback(l.server_ns)
            servers = [traffic.serve(l, p) for p in (P0, P1)]
            path = os.path.join(tmp, "synguard.yaml")
            testing.write_config(path, config_text([l.server_if], [P0, P1]))
            d = Synguard(l, env.synguard(), P0, self.mode)
            d.argv = [env.synguard(), "run", "-c", path,
                      "--handoff", self.mode]
            d.start()
            self._daemons.append(d)

            before = self.state(l)
            self.assertEqual(before[2], {P0: 1.0, P1: 1.0}, before[3])
            for p in (P0, P1):
                self.assertEqual(self.connects(l, p), (3, 0), f"port {p} before")

            testing.write_config(path, config_text([l.server_if, "nonexist0"], [str(P0)]))
            d.proc.send_signal(signal.SIGHUP)
            self.wait_for(d, "reload refused, running unchanged")
            self.assertIn("nonexist0", d.output())

            ifs, ports, engaged, text = self.state(l)
            self.assertEqual(ifs, {l.server_if})
            self.assertEqual(set(ports), {P0, P1}, ports)
            self.assertEqual(engaged, {P0: 1.0, P1: 1.0}, text)
            self.assertEqual(metrics.sample(
                text, "synguard_config_reloads_total", result="failure"), 1.0)
            self.assertEqual(metrics.sample(
                text, "synguard_config_reloads_total", result="rolled_back"), 0.0)
            for p in (P0, P1):
                self.assertEqual(self.connects(l, p), (3, 0),
                                 f"port {p} after the refused reload")
            time.sleep(3)  # the detector ticks: still nothing changed
            for p in (P0, P1):
                self.assertEqual(self.connects(l, p), (3, 0),
                                 f"port {p} 3 s after the refused reload")

            # The same change without the missing interface is applied.
            testing.write_config(path, config_text([l.server_if], [P0]))
            d.proc.send_signal(signal.SIGHUP)
            self.wait_for(d, "reloaded ")
            ifs, ports, engaged, text = self.state(l)
            self.assertEqual(set(ports), {P0}, ports)
            self.assertEqual(metrics.sample(
                text, "synguard_config_reloads_total", result="success"), 1.0)
            self.stop_synguard(d)
            for s in servers:
                s.kill()


if __name__ == "__main__":
    testing.main()
