#!/usr/bin/env python3
"""The protected interface deleted and re-created while synguard is attached,
with a SYN flood running and real clients connecting (on_interface_loss).

wait: the loss is logged once and the daemon lives on (status says missing,
the metrics drop the interface's attach info); a second protected interface
is untouched. When the veth is re-created (same name, a new ifindex) the
daemon attaches the SAME program (same maps, so the same secrets) to it
within a few seconds, pins the new link in place of the stale one, says so
once, and then every client connects while the flood is answered.

exit: the daemon says so and exits with code 3, with the sysctls put back
and the pins removed as on SIGTERM; a restart protects the re-created link.

Every pure SYN is dropped by netfilter in the server namespace, so a
connection that opens proves synguard's programs answered it (and in reqsk
mode, that the TC handoff is on the new device too)."""

import json
import os
import signal
import subprocess
import tempfile
import time

from lab import counters, env, nft, testing
from lab.daemon import Synguard
from lab import flood, metrics, traffic

PORT = testing.PORT
# The default pin_dir; the daemon adds the netns inode.
PIN_BASE = "/sys/fs/bpf/synguard"
METRICS = "127.0.0.1:9479"  # the default, in the server namespace
FLOOD_PPS = 10000    # spoofed SYNs per second: steady, and well absorbed
FLOOD_SECONDS = 90   # longer than the test needs; the lab stops it
GONE = "is gone; its XDP program went with it"
BACK = "is back (ifindex"

class InterfaceLossTest(testing.LabTestCase):
    # -- helpers ---------------------------------------------------------

    def write_config(self, l, path, interfaces, on_loss):
        with open(path, "w") as f:
            f.write(f"interfaces: [{', '.join(interfaces)}]\n"
                    f"handoff: {self.mode}\n"
                    f"ports:\n  - port: {PORT}\n    engage: always\n"
                    f"metrics: {{listen: '{METRICS}'}}\n"
                    f"on_interface_loss: {on_loss}\n")

    def daemon(self, l, path):
        d = Synguard(l, env.synguard(), PORT, self.mode)
        d.argv = [env.synguard(), "run", "-c", path]
        self._daemons.append(d)
        return d.start()

    def serve(self, l):
        traffic.serve(l)

    def loop(self, l, seconds, limit=1000):
        """(ok, failed, output) of the client loop run to completion."""
        return traffic.loop(l, seconds, limit)

    def status(self, l):
        st = json.loads(l.run(l.server_ns, [env.synguard(), "status",
                                            "--json"], check=False).stdout)
        return {i["name"]: i for i in st["interfaces"]}

    def metrics(self, l):
        if not getattr(l, "_loopback_syns", False):
            # The lab drops every pure SYN in the server namespace; the
            # scrape stays on its loopback, let through (as test_prometheus).
            nft.allow_loopback(l.server_ns)
            l._loopback_syns = True
        return metrics.parse(metrics.scrape(l, METRICS))

    @staticmethod
    def xdp_prog(l, ifname):
        """(ifindex, XDP program id) on ifname, from the kernel."""
        net = json.loads(l.run(l.server_ns, ["bpftool", "-j", "net", "show",
                                             "dev", ifname]).stdout)
        progs = [(x["ifindex"], x["id"])
                 for e in net for x in e.get("xdp", [])]
        return progs[0] if progs else (None, None)

    def tc_has_handoff(self, l, ifname):
        out = l.run(l.server_ns, ["tc", "filter", "show", "dev", ifname,
                                  "ingress"], check=False).stdout
        return "synguard_tc" in out

    @staticmethod
    def pin_root(l):
        ino = os.stat(f"/run/netns/{l.server_ns}").st_ino
        return os.path.join(PIN_BASE, str(ino))

    def pinned_link(self, l, ifname):
        """The pinned XDP link's {"id", "prog_id", ...}, or None. (This
        bpftool does not print an XDP link's ifindex.)"""
        path = os.path.join(self.pin_root(l), ifname, "xdp_link")
        p = l.run(None, ["bpftool", "-j", "link", "show", "pinned", path],
                  check=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    @staticmethod
    def xdp_links(l, prog):
        """Ids of the XDP links that run prog, on any device."""
        links = json.loads(l.run(None, ["bpftool", "-j", "link",
                                        "show"]).stdout)
        return sorted(k["id"] for k in links
                      if k.get("type") == "xdp" and k.get("prog_id") == prog)

    def wait_for(self, d, text, seconds, count=1):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if d.output().count(text) >= count:
                return True
            if d.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    # -- wait ------------------------------------------------------------

    def test_wait_reattaches_under_flood(self):
        with testing.lab(attacker=True) as l, \
                tempfile.TemporaryDirectory() as tmp:
            # A second protected interface, to show that only the lost one
            # is touched: a veth pair with both ends in the server namespace.
            other = f"{l.prefix}o"
            l.run(l.server_ns, ["ip", "link", "add", other, "type", "veth",
                                "peer", "name", f"{l.prefix}p"])
            l.run(l.server_ns, ["ip", "link", "set", other, "up"])
            path = os.path.join(tmp, "synguard.yaml")
            self.write_config(l, path, [l.server_if, other], "wait")
            self.serve(l)
            d = self.daemon(l, path)

            old_index, prog = self.xdp_prog(l, l.server_if)
            self.assertIsNotNone(prog, d.output())
            _, other_prog = self.xdp_prog(l, other)
            self.assertIsNotNone(other_prog, d.output())
            maps_before = counters.SynguardCounters(l).map_id
            old_link = self.pinned_link(l, l.server_if)
            self.assertIsNotNone(old_link, "no pinned XDP link")
            self.assertEqual(self.xdp_links(l, prog), [old_link["id"]])

            keeper = traffic.Keeper(l, sock_timeout=60, lifetime=150,
                                    period=0.2)
            flood.start(l, PORT, FLOOD_PPS, FLOOD_SECONDS)
            time.sleep(0.5)
            ok, failed, out = self.loop(l, 3)
            self.assertEqual(failed, 0, out)
            self.assertGreater(ok, 10, out)

            # -- the link goes ---------------------------------------------
            l.delete_server_link()
            self.assertTrue(self.wait_for(d, GONE, 5), d.output())
            self.assertIn(f"interface {l.server_if} (ifindex {old_index}) "
                          f"{GONE}; waiting for it to come back", d.output())
            time.sleep(3.5)  # a few ticks: said once, no busy loop, alive
            self.assertIsNone(d.proc.poll(), d.output())
            self.assertEqual(d.output().count(GONE), 1, d.output())
            self.assertNotIn(BACK, d.output())
            st = self.status(l)
            self.assertTrue(st[l.server_if]["missing"], st)
            self.assertFalse(st[other]["missing"], st)
            m = self.metrics(l)
            self.assertEqual(metrics.series(m, "synguard_interface_attached",
                                            interface=l.server_if), [0])
            self.assertEqual(metrics.series(m, "synguard_xdp_attached_info",
                                            interface=l.server_if), [])
            self.assertEqual(metrics.series(m, "synguard_interface_losses_total",
                                            interface=l.server_if), [1])
            self.assertEqual(metrics.series(m, "synguard_xdp_attached_info",
                                            interface=other), [1])
            self.assertEqual(self.xdp_prog(l, other)[1], other_prog)
            # The defunct link is closed and its pin gone.
            self.assertIsNone(self.pinned_link(l, l.server_if))
            self.assertEqual(self.xdp_links(l, prog), [])
            synacks = metrics.series(m, "synguard_synacks_sent_total")[0]

            # -- and comes back --------------------------------------------
            l.recreate_server_link()
            new_index = l.ifindex(l.server_ns, l.server_if)
            self.assertNotEqual(new_index, old_index)
            self.assertTrue(self.wait_for(d, BACK, 10), d.output())
            self.assertIn(f"interface {l.server_if} is back (ifindex "
                          f"{new_index}): protection re-attached", d.output())
            # The same program, hence the same maps and secrets, on the new
            # device; the stale pin replaced by the new link.
            self.assertEqual(self.xdp_prog(l, l.server_if),
                             (new_index, prog))
            self.assertEqual(counters.SynguardCounters(l).map_id, maps_before)
            # The one link that runs the program (on new_index, above) is
            # the pinned one, a new link.
            link = self.pinned_link(l, l.server_if)
            self.assertIsNotNone(link, "no pinned XDP link")
            self.assertNotEqual(link["id"], old_link["id"])
            self.assertEqual(self.xdp_links(l, prog), [link["id"]])
            if self.mode == "reqsk":
                self.assertTrue(self.tc_has_handoff(l, l.server_if))

            # Every client connects again, inside the flood.
            ok, failed, out = self.loop(l, 5)
            self.assertEqual(failed, 0, out + d.output())
            self.assertGreater(ok, 20, out)
            m = self.metrics(l)
            answered = metrics.series(m, "synguard_synacks_sent_total")[0] - synacks
            # The flood is answered by cookies, not the kernel: far more
            # SYN+ACKs than clients.
            self.assertGreater(answered, 10 * ok, m)
            self.assertEqual(metrics.series(m, "synguard_interface_attached",
                                            interface=l.server_if), [1])
            self.assertEqual(len(metrics.series(m, "synguard_xdp_attached_info",
                                                interface=l.server_if)), 1)
            st = self.status(l)
            self.assertFalse(st[l.server_if]["missing"], st)
            self.assertEqual(st[l.server_if]["xdp_prog_id"], prog)
            # The connection made before the loss carries on.
            self.assertTrue(keeper.exchanging(within=30),
                            keeper.lines[-3:])
            rc, kout = keeper.finish()
            self.assertEqual(rc, 0, kout)

            self.assertEqual(self.xdp_prog(l, other)[1], other_prog)
            self.assertEqual(d.output().count(GONE), 1, d.output())
            self.assertEqual(d.output().count(BACK), 1, d.output())
            print(f"re-attached {l.server_if}: ifindex {old_index} -> "
                  f"{new_index}; {ok} connects ok after, {answered:.0f} "
                  f"SYN+ACKs sent meanwhile")

            # -- replaced between two ticks ---------------------------------
            # The daemon stopped while the link goes and comes back: its next
            # tick finds the name on a new ifindex, never missing.
            os.kill(d.proc.pid, signal.SIGSTOP)  # nsenter execs synguard
            try:
                l.delete_server_link()
                l.recreate_server_link()
            finally:
                os.kill(d.proc.pid, signal.SIGCONT)
            third = l.ifindex(l.server_ns, l.server_if)
            self.assertTrue(self.wait_for(d, BACK, 5, count=2), d.output())
            self.assertIn(f"interface {l.server_if} (ifindex {new_index}) is "
                          f"gone (the name is back already, as ifindex "
                          f"{third}); its XDP program went with it; "
                          f"attaching again", d.output())
            self.assertEqual(self.xdp_prog(l, l.server_if), (third, prog))
            ok, failed, out = self.loop(l, 3)
            self.assertEqual(failed, 0, out + d.output())
            self.assertGreater(ok, 10, out)
            self.assertEqual(metrics.series(self.metrics(l),
                                            "synguard_interface_losses_total",
                                            interface=l.server_if), [2])

            # -- the device stays, its link is detached from outside ---------
            link = self.pinned_link(l, l.server_if)
            l.run(None, ["bpftool", "link", "detach", "id", str(link["id"])])
            self.assertTrue(self.wait_for(d, BACK, 5, count=3), d.output())
            self.assertIn(f"interface {l.server_if} (ifindex {third}): "
                          f"synguard's XDP program was detached from it by "
                          f"something else; attaching again", d.output())
            self.assertEqual(self.xdp_prog(l, l.server_if), (third, prog))
            self.assertEqual(self.xdp_links(l, prog),
                             [self.pinned_link(l, l.server_if)["id"]])
            ok, failed, out = self.loop(l, 2)
            self.assertEqual(failed, 0, out + d.output())
            self.assertGreater(ok, 5, out)
            self.stop_synguard(d)
            self.assertIsNone(self.pinned_link(l, l.server_if))

    # -- exit ------------------------------------------------------------

    def test_exit_stops_with_code_3(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            ns = l.server_ns
            # Values neither handoff mode keeps, so that a restore shows.
            l.sysctl(ns, "net.ipv4.tcp_syncookies", 0)
            timestamps = l.sysctl(ns, "net.ipv4.tcp_timestamps")
            path = os.path.join(tmp, "synguard.yaml")
            self.write_config(l, path, [l.server_if], "exit")
            self.serve(l)
            d = self.daemon(l, path)
            self.assertNotEqual(l.sysctl(ns, "net.ipv4.tcp_syncookies"), "0")
            index, _ = self.xdp_prog(l, l.server_if)

            l.delete_server_link()
            try:
                rc = d.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                rc = "still running"
            d.stop()  # reaps the output reader
            self._daemons.remove(d)
            self.assertEqual(rc, 3, d.output())
            self.assertIn(f"interface {l.server_if} (ifindex {index}) {GONE}; "
                          f"on_interface_loss is exit: stopping with exit "
                          f"code 3", d.output())
            self.assertEqual(d.output().count(GONE), 1, d.output())
            # As on SIGTERM: sysctls back, pins and state file gone.
            self.assertEqual(l.sysctl(ns, "net.ipv4.tcp_syncookies"), "0")
            self.assertEqual(l.sysctl(ns, "net.ipv4.tcp_timestamps"),
                             timestamps)
            root = self.pin_root(l)
            self.assertFalse(os.path.exists(root) and os.listdir(root),
                             f"pins left in {root}")
            st = l.run(ns, [env.synguard(), "status"], check=False)
            self.assertEqual(st.returncode, 1, st.stdout)

            # What systemd's Restart= does once the interface is back.
            l.recreate_server_link()
            d = self.daemon(l, path)
            ok, failed, out = self.loop(l, 2, limit=5)
            self.assertEqual((ok, failed), (5, 0), out)
            self.stop_synguard(d)
            self.assertEqual(l.sysctl(ns, "net.ipv4.tcp_syncookies"), "0")


if __name__ == "__main__":
    testing.main()
