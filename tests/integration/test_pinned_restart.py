#!/usr/bin/env python3
"""leave_pinned_on_exit: after SIGTERM the programs stay attached and keep
protecting (connections still open with every pure SYN dropped by
netfilter), a restart takes the pinned link, maps and secrets over without
a gap, and a final stop with the option off removes every pin."""

import os
import subprocess
import tempfile
import textwrap

from lab import env, testing
from lab.daemon import Synguard

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(64)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        c.settimeout(5)
        c.sendall(c.recv(16))
        c.close()
""")

CLIENT = textwrap.dedent("""
    import socket, sys
    ok = 0
    for _ in range(int(sys.argv[3])):
        try:
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
            c.sendall(b"x")
            ok += c.recv(4) == b"x"
            c.close()
        except OSError as e:
            print("failed:", e)
    print("ok", ok)
""")

ROUNDS = 5


class PinnedRestartTest(testing.LabTestCase):
    def config(self, l, path, leave):
        with open(path, "w") as f:
            f.write(f"interfaces: [{l.server_if}]\n"
                    f"handoff: {self.mode}\n"
                    f"ports:\n  - port: {testing.PORT}\n    engage: always\n"
                    f"leave_pinned_on_exit: {'true' if leave else 'false'}\n")

    def daemon(self, l, path):
        d = Synguard(l, env.synguard(), testing.PORT, self.mode)
        d.argv = [env.synguard(), "run", "-c", path]
        return d.start()

    def start_with_pins(self, l, path):
        """A listener, and a first synguard whose SIGTERM leaves its programs
        attached and its maps pinned."""
        self.config(l, path, leave=True)
        srv = l.spawn(l.server_ns, ["python3", "-c", SERVER, str(testing.PORT)],
                      stdout=subprocess.PIPE, text=True)
        self.assertEqual(srv.stdout.readline().strip(), "listening")
        return self.daemon(l, path)

    def connects(self, l):
        out = l.run(l.client_ns, ["python3", "-c", CLIENT, l.addresses(4)[0],
                                  str(testing.PORT), str(ROUNDS)],
                    timeout=60).stdout
        return out.strip().splitlines()[-1]

    def test_restart_without_a_gap(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "synguard.yaml")
            first = self.start_with_pins(l, path)
            self.assertEqual(self.connects(l), f"ok {ROUNDS}")
            self.assertEqual(first.stop(), 0, first.output())

            # No daemon: the pinned programs still answer and hand off.
            link = l.run(l.server_ns, ["ip", "-o", "link", "show",
                                       l.server_if]).stdout
            self.assertIn("xdp", link)
            self.assertEqual(self.connects(l), f"ok {ROUNDS}")

            second = self.daemon(l, path)
            self.assertIn("took over the pinned XDP link", second.output())
            self.assertEqual(self.connects(l), f"ok {ROUNDS}")

            # Off again: this stop detaches and removes the pins.
            self.config(l, path, leave=False)
            second.proc.send_signal(1)  # SIGHUP: re-read leave_pinned_on_exit
            self.assertEqual(second.stop(), 0, second.output())
            link = l.run(l.server_ns, ["ip", "-o", "link", "show",
                                       l.server_if]).stdout
            self.assertNotIn("xdp", link)
            st = l.run(l.server_ns, [env.synguard(), "status", "--json"],
                       check=False)
            self.assertEqual(st.returncode, 1, st.stdout + st.stderr)

    def test_restart_over_maps_of_another_version(self):
        """An upgrade: the maps a running synguard left pinned have another
        shape (here the reason counters, as when a version adds one). The
        new daemon replaces them, says so, takes the link over, protects."""
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "synguard.yaml")
            first = self.start_with_pins(l, path)
            self.assertEqual(first.stop(), 0, first.output())

            pins = subprocess.run(
                ["find", "/sys/fs/bpf/synguard", "-path", f"*/{l.server_if}/*",
                 "-name", "sg_counters_map"],
                capture_output=True, text=True, check=True).stdout.split()
            self.assertEqual(len(pins), 1, pins)
            os.unlink(pins[0])
            subprocess.run(["bpftool", "map", "create", pins[0], "type",
                            "percpu_array", "key", "4", "value", "8",
                            "entries", "3", "name", "sg_counters_map"],
                           check=True)

            second = self.daemon(l, path)
            self.assertIn("do not fit this one", second.output())
            self.assertIn("sg_counters_map", second.output())
            self.assertIn("took over the pinned XDP link", second.output())
            self.assertEqual(self.connects(l), f"ok {ROUNDS}")
            self.config(l, path, leave=False)
            second.proc.send_signal(1)
            self.assertEqual(second.stop(), 0, second.output())


if __name__ == "__main__":
    testing.main()
