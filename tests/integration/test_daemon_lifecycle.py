#!/usr/bin/env python3
"""The daemon's life cycle with a config file: SIGHUP under steady load
reloads without a failed connect (and a broken file is refused, the daemon
running on unchanged), `status --json` shows the live state, and SIGTERM
detaches and puts back the sysctls it changed."""

import json
import os
import signal
import tempfile
import threading
import time

from lab import testing
from lab.daemon import Synguard
from lab.echo import EchoServer, run_client
from lab.run import run
from lab import env

PORT = 8080


def config_text(lab, mode, extra=""):
    return (f"interfaces: [{lab.server_if}]\n"
            f"ports: [{{port: {PORT}, engage: always}}]\n"
            f"handoff: {mode}\n"
            f"metrics: {{listen: '127.0.0.1:9479'}}\n" + extra)


class DaemonLifecycleTest(testing.LabTestCase):
    def start_with_config(self, lab, path):
        d = Synguard(lab, env.synguard(), PORT, self.mode)
        d.argv = [env.synguard(), "run", "-c", path]
        d.start()
        self._daemons.append(d)
        return d

    def wait_for_line(self, d, needle, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in d.output():
                return
            time.sleep(0.1)
        self.fail(f"no '{needle}' in the daemon's output:\n{d.output()}")

    def test_reload_under_load_and_status_and_sigterm(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies", 0)
            path = os.path.join(tmp, "synguard.yaml")
            testing.write_config(path, config_text(l, self.mode))
            d = self.start_with_config(l, path)
            want = "2" if self.mode == "kernel-cookie" else "1"
            self.assertEqual(l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies"),
                             want)

            # status --json while running.
            st = json.loads(run([env.synguard(), "status", "--json"],
                                ns=l.server_ns).stdout)
            self.assertTrue(st["running"], st)
            self.assertEqual(st["handoff"], self.mode)
            # Never key material: only the secret's source and age.
            for k in st:
                self.assertNotIn(k, ("k0", "k1", "key", "keys", "secrets"))
            self.assertGreaterEqual(st["secret_age_seconds"], 0)
            ifs = {i["name"]: i for i in st["interfaces"]}
            me = ifs[l.server_if]
            self.assertIn(me["xdp_mode"], ("native", "skb"))
            self.assertGreater(me["xdp_prog_id"], 0)
            if self.mode == "reqsk":
                self.assertGreater(me["tc_prog_id"], 0)
            self.assertEqual(me["ports"][0]["port"], PORT)
            self.assertTrue(me["ports"][0]["engaged"])

            # Steady load: a client connecting in a loop while we reload.
            srv = EchoServer(l, 100000, nbytes=100, timeout_ms=60000).start()
            results, stop = [], threading.Event()

            def load():
                while not stop.is_set():
                    # Steady, not a flood: a reload must not cost one connect.
                    rc, recs, summary = run_client(l, l.addresses(4)[0], 10,
                                                   nbytes=100)
                    time.sleep(0.05)
                    results.append((rc, summary["ok"], summary["failed"],
                                    time.monotonic(),
                                    [r for r in recs if not r.get("ok", True)]))

            t = threading.Thread(target=load)
            t.start()
            try:
                time.sleep(1)
                pid = d.proc.pid
                # nsenter execs synguard: the spawned pid is the daemon's.
                testing.write_config(path, config_text(
                    l, self.mode, "allowlist: [192.0.2.0/24]\n"
                                  "denylist: ['2001:db8::/32']\n"
                                  "cookies: {ttl: 63}\n"))
                marks = [time.monotonic()]
                os.kill(pid, signal.SIGHUP)
                self.wait_for_line(d, "reloaded")
                time.sleep(1)
                testing.write_config(path, "interfaces: [\n  broken")
                marks.append(time.monotonic())
                os.kill(pid, signal.SIGHUP)
                self.wait_for_line(d, "reload refused")
                time.sleep(1)
                testing.write_config(path, config_text(l, self.mode))
                marks.append(time.monotonic())
                os.kill(pid, signal.SIGHUP)
                time.sleep(1.5)
            finally:
                stopped = time.monotonic()
                stop.set()
                t.join(timeout=60)
                srv.stop()
            self.assertTrue(results, "the client ran")
            failed = sum(r[2] for r in results)
            ok = sum(r[1] for r in results)
            bad = [r for r in results if r[2]]
            self.assertEqual(failed, 0, f"{bad}\nreloads at {marks}, "
                             f"stopped at {stopped}\n{d.output()}")
            self.assertGreater(ok, 0)
            self.assertEqual(d.output().count("reloaded"), 2, d.output())

            st = json.loads(run([env.synguard(), "status", "--json"],
                                ns=l.server_ns).stdout)
            self.assertEqual((st["reloads_ok"], st["reloads_failed"]), (2, 1))
            port = st["interfaces"][0]["ports"][0]
            self.assertGreater(port["synack_sent"], 0, st)
            self.assertGreater(port["ack_valid"], 0, st)

            # SIGTERM: detached, sysctls back, pins and state removed.
            self.stop_synguard(d)
            self.assertEqual(l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies"),
                             "0")
            link = run(["ip", "-o", "link", "show", l.server_if],
                       ns=l.server_ns).stdout
            self.assertNotIn("xdp", link)
            gone = run([env.synguard(), "status", "--json"], ns=l.server_ns,
                       check=False)
            self.assertEqual(gone.returncode, 1, gone.stdout + gone.stderr)

    def test_bad_config_exits_2_and_changes_nothing(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies", 0)
            path = os.path.join(tmp, "bad.yaml")
            testing.write_config(path, f"interfaces: [{l.server_if}]\nports: [0]\n")
            p = run([env.synguard(), "run", "-c", path], ns=l.server_ns,
                    check=False)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertIn("ports[0]", p.stdout + p.stderr)
            self.assertEqual(l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies"),
                             "0")
            p = run([env.synguard(), "run", "--no-such-flag"], check=False)
            self.assertEqual(p.returncode, 2)
            p = run([env.synguard(), "run", "-c", path, "--dry-run"],
                    ns=l.server_ns, check=False)
            self.assertEqual(p.returncode, 2)
            testing.write_config(path, config_text(l, self.mode))
            p = run([env.synguard(), "run", "-c", path, "--dry-run"],
                    ns=l.server_ns, check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("net.ipv4.tcp_syncookies: 0 ->", p.stdout)
            self.assertEqual(l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies"),
                             "0")
            link = run(["ip", "-o", "link", "show", l.server_if],
                       ns=l.server_ns).stdout
            self.assertNotIn("xdp", link)


if __name__ == "__main__":
    testing.main()
