#!/usr/bin/env python3
"""SIGHUP while the attacker floods: the attacker sends spoofed SYNs at
three ports, over IPv4 and IPv6 at once, while a real client connects to
the kept port in a loop, over each family in turn, and the daemon reloads

  (a) a config that adds a port (with a server on it) and removes one: the
      added port is answered with cookie SYN+ACKs from then on (status
      counts them, and a client connects although netfilter drops every
      pure SYN), the removed port's SYNs go to the kernel (a netfilter
      counter in front of the drop sees them, status no longer lists the
      port), and the kept port's client never fails;
  (b) a broken file, then an invalid one: each refused with one log line
      naming the file, the failed-reload metrics say so, and the running
      config goes on unchanged, still without a failed connect.

Every loop is bounded in count and time; the flood stays in the lab (the
tool refuses other destinations), is stopped when the checks are done and
would stop by itself after SCENARIO_LIMIT."""

import json
import os
import signal
import tempfile
import threading
import time

from lab import env, flood, metrics, nft, testing
from lab.daemon import Synguard
from lab.echo import EchoServer, run_client
from lab.run import run

KEPT, REMOVED, ADDED = testing.PORT, testing.PORT + 1, testing.PORT + 2
# Spoofed SYNs per second per port, half over each family: a flood for the
# listeners' queues, and well below what the shared two-core lab machine
# can absorb, so that a failed connect means the reload, not the machine.
FLOOD_PPS = 3000
FAMILIES = flood.FAMILIES
SCENARIO_LIMIT = 90     # seconds; the client loop and the floods stop by then
SETTLE = 3.0            # seconds of flood between the checks


def config_text(lab, mode, ports):
    lines = [f"interfaces: [{lab.server_if}]", f"handoff: {mode}",
             f"metrics: {{listen: '{metrics.DEFAULT_LISTEN}'}}", "ports:"]
    lines += [f"  - {{port: {p}, engage: always}}" for p in ports]
    return "\n".join(lines) + "\n"


class ReloadUnderFloodTest(testing.LabTestCase):
    def wait_for_count(self, d, needle, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if d.output().count(needle) >= count:
                return
            if d.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.fail(f"expected {count} x '{needle}' in the daemon's output "
                  f"(exit {d.proc.poll()}):\n{d.output()}")

    def connect_both(self, l, port):
        """5 connections over each family to port, every one must work."""
        for f in FAMILIES:
            rc, recs, summ = run_client(l, l.addresses(f)[0], 5, nbytes=100,
                                        port=port)
            self.assertEqual((summ["ok"], summ["failed"]), (5, 0),
                             f"IPv{f}: {recs}")

    def status(self, l):
        st = json.loads(run([env.synguard(), "status", "--json"],
                            ns=l.server_ns).stdout)
        ports = {p["port"]: p for p in st["interfaces"][0]["ports"]}
        return st, ports

    def test_reload_under_flood(self):
        with testing.lab(attacker=True) as l, \
                tempfile.TemporaryDirectory() as tmp:
            nft.allow_loopback(l.server_ns)  # the metrics scrapes
            for port in (REMOVED, ADDED):
                nft.count_syns_to(l.server_ns, port)
            limit_ms = (SCENARIO_LIMIT + 30) * 1000
            servers = [EchoServer(l, 100000, nbytes=100, port=p,
                                  timeout_ms=limit_ms).start()
                       for p in (KEPT, REMOVED, ADDED)]
            path = os.path.join(tmp, "synguard.yaml")
            testing.write_config(path, config_text(l, self.mode, [KEPT, REMOVED]))
            d = Synguard(l, env.synguard(), KEPT, self.mode)
            d.argv = [env.synguard(), "run", "-c", path]
            d.start()
            self._daemons.append(d)

            floods = [proc for p in (KEPT, REMOVED, ADDED)
                      for proc in flood.start_families(
                          l, p, FLOOD_PPS, SCENARIO_LIMIT).values()]
            results, stop = [], threading.Event()
            loop_end = time.monotonic() + SCENARIO_LIMIT

            def steady_client():
                # Steady, not a flood: 5 connections, a pause, again, over
                # IPv4 and IPv6 in turn.
                for i in range(5000):
                    if stop.is_set() or time.monotonic() > loop_end:
                        return
                    family = FAMILIES[i % len(FAMILIES)]
                    rc, recs, summ = run_client(l, l.addresses(family)[0], 5,
                                                nbytes=100, port=KEPT,
                                                quiet=False)
                    results.append((time.monotonic(), summ["ok"],
                                    summ["failed"],
                                    [r for r in recs if not r.get("ok", True)],
                                    family))
                    time.sleep(0.05)

            client = threading.Thread(target=steady_client)
            client.start()
            marks = {}
            try:
                time.sleep(SETTLE)
                # Before: ADDED is not protected yet, its SYNs reach
                # netfilter (and die there); REMOVED is answered by synguard.
                _, ports = self.status(l)
                self.assertEqual(set(ports), {KEPT, REMOVED}, ports)
                self.assertGreater(ports[REMOVED]["synack_sent"], 0, ports)
                for f in FAMILIES:
                    rc, _, summ = run_client(l, l.addresses(f)[0], 1,
                                             nbytes=100, port=ADDED,
                                             connect_timeout_ms=1000)
                    self.assertEqual(summ["failed"], 1,
                                     f"an IPv{f} connect to the unprotected "
                                     "port opened although netfilter drops "
                                     "its SYNs")
                self.assertGreater(nft.syns_to(l.server_ns, ADDED), 0)

                # (a) add ADDED, remove REMOVED.
                testing.write_config(path, config_text(l, self.mode, [KEPT, ADDED]))
                marks["reload"] = time.monotonic()
                d.proc.send_signal(signal.SIGHUP)
                self.wait_for_count(d, "reloaded", 1)
                time.sleep(0.5)  # SYNs in flight at the reload pass by
                removed0 = nft.syns_to(l.server_ns, REMOVED)
                added0 = nft.syns_to(l.server_ns, ADDED)
                _, ports = self.status(l)
                added_synacks0 = ports[ADDED]["synack_sent"]
                time.sleep(SETTLE)
                removed1 = nft.syns_to(l.server_ns, REMOVED)
                added1 = nft.syns_to(l.server_ns, ADDED)
                st, ports = self.status(l)
                self.assertEqual(set(ports), {KEPT, ADDED}, ports)
                self.assertTrue(ports[ADDED]["engaged"], ports)
                # The flood at ADDED is answered now ...
                self.assertGreater(ports[ADDED]["synack_sent"] - added_synacks0,
                                   FLOOD_PPS * SETTLE / 4, ports)
                self.assertLess(added1 - added0, 20,
                                "SYNs to the added port still reach the kernel")
                # ... and the one at REMOVED reaches the kernel.
                self.assertGreater(removed1 - removed0, FLOOD_PPS * SETTLE / 4,
                                   "SYNs to the removed port do not reach the "
                                   "kernel")
                self.connect_both(l, ADDED)

                # (b) a file that does not parse, then one that is invalid.
                scrape = metrics.scrape(l)
                self.assertEqual(metrics.sample(
                    scrape, "synguard_config_reloads_total",
                    result="success"), 1)
                broken = [("interfaces: [\n  broken", 1),
                          (config_text(l, self.mode, [KEPT, 0]), 2)]
                for text, n in broken:
                    testing.write_config(path, text)
                    marks[f"broken{n}"] = time.monotonic()
                    d.proc.send_signal(signal.SIGHUP)
                    self.wait_for_count(d, "reload refused", n)
                refusals = [line for line in d.output().splitlines()
                            if "reload refused" in line]
                for line in refusals:
                    self.assertIn("synguard.yaml", line)
                self.assertIsNone(d.proc.poll(), d.output())
                scrape = metrics.scrape(l)
                self.assertEqual(metrics.sample(
                    scrape, "synguard_config_reloads_total",
                    result="failure"), 2, scrape)
                self.assertEqual(metrics.sample(
                    scrape, "synguard_config_reloads_total",
                    result="success"), 1, scrape)
                self.assertEqual(metrics.sample(
                    scrape, "synguard_config_last_reload_successful"), 0,
                    scrape)

                # The config of (a) runs on.
                removed2 = nft.syns_to(l.server_ns, REMOVED)
                _, ports = self.status(l)
                added_synacks2 = ports[ADDED]["synack_sent"]
                time.sleep(SETTLE)
                st, ports = self.status(l)
                self.assertEqual((st["reloads_ok"], st["reloads_failed"]),
                                 (1, 2), st)
                self.assertEqual(set(ports), {KEPT, ADDED}, ports)
                self.assertGreater(ports[ADDED]["synack_sent"] - added_synacks2,
                                   FLOOD_PPS * SETTLE / 4, ports)
                self.assertGreater(nft.syns_to(l.server_ns, REMOVED) - removed2,
                                   FLOOD_PPS * SETTLE / 4)
                self.connect_both(l, ADDED)
                time.sleep(1)
                # Both families flooded every port all along: a generator
                # that refused to start would only have halved a port's
                # rate, which the checks above would not notice.
                ended = [p.args for p in floods if p.poll() is not None]
                self.assertEqual(ended, [], "flood generators that stopped "
                                 "before the checks were done")
            finally:
                stopped = time.monotonic()
                stop.set()
                client.join(timeout=SCENARIO_LIMIT + 30)
                for p in floods:
                    flood.stop(p)
                for s in servers:
                    s.stop()

            self.assertTrue(results, "the client ran")
            ok = sum(r[1] for r in results)
            failed = sum(r[2] for r in results)
            bad = [r for r in results if r[2]]
            self.assertEqual(failed, 0, f"{bad}\nreloads at {marks}, "
                             f"stopped at {stopped}\n{d.output()}")
            # The loop ran through every reload, over both families.
            self.assertGreater(ok, 50)
            by_family = {f: sum(r[1] for r in results if r[4] == f)
                         for f in FAMILIES}
            for f, n in by_family.items():
                self.assertGreater(n, 20, f"IPv{f} connects: {by_family}")
            self.assertGreater(results[-1][0], marks["broken2"])
            _, ports = self.status(l)
            print(f"reload under flood ({self.mode}): {ok} connects to "
                  f"{KEPT} ({by_family[4]} IPv4, {by_family[6]} IPv6), "
                  f"0 failed; SYN+ACKs sent: "
                  f"{ {p: v['synack_sent'] for p, v in ports.items()} }; "
                  f"SYNs to the removed port {REMOVED} that reached netfilter: "
                  f"{nft.syns_to(l.server_ns, REMOVED)}; refusals logged:\n  " +
                  "\n  ".join(refusals))
            self.stop_synguard(d)


if __name__ == "__main__":
    testing.main()
