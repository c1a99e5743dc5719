#!/usr/bin/env python3
"""engage: auto, live: a port starts with SYNs going to the kernel; a burst
of SYNs above syn_rate_engage engages cookies (logged, visible in status
and in the ports map), and after the burst and the quiet period the port
disengages again. Real clients connect in every phase."""

import json
import os
import tempfile
import textwrap
import time

from lab import env, testing
from lab.daemon import Synguard

# Opens connections as fast as it can for a while (each connect() is a SYN)
# and reports how many completed; bounded by its duration and a count.
BURST = textwrap.dedent("""
    import socket, sys, time
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    end, n, ok = time.monotonic() + seconds, 0, 0
    while time.monotonic() < end and n < 200000:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        n += 1
        s.close()
        time.sleep(0.001)
    print("syns", n)
""")

CLIENT = textwrap.dedent("""
    import socket, sys
    ok = 0
    for _ in range(int(sys.argv[3])):
        try:
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
            ok += 1
            c.close()
        except OSError as e:
            print("failed:", e)
    print("ok", ok)
""")

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        c.close()
""")

QUIET = 3


class EngageAutoTest(testing.LabTestCase):
    def engaged(self, l):
        st = json.loads(l.run(l.server_ns, [env.synguard(), "status",
                                            "--json"]).stdout)
        return st["interfaces"][0]["ports"][0]["engaged"]

    def connects(self, l, n=5):
        out = l.run(l.client_ns, ["python3", "-c", CLIENT, l.addresses(4)[0],
                                  str(testing.PORT), str(n)], timeout=60)
        return out.stdout.strip().splitlines()[-1]

    def wait_for(self, d, text, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in d.output():
                return True
            time.sleep(0.2)
        return False

    def test_burst_engages_then_quiet_disengages(self):
        with testing.lab(syn_drop=False) as l, \
                tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "synguard.yaml")
            with open(path, "w") as f:
                f.write(f"interfaces: [{l.server_if}]\n"
                        f"handoff: {self.mode}\n"
                        f"ports:\n"
                        f"  - port: {testing.PORT}\n"
                        f"    engage: auto\n"
                        f"    syn_rate_engage: 200\n"
                        f"    syn_rate_disengage: 20\n"
                        f"    quiet_period: {QUIET}s\n")
            l.spawn(l.server_ns, ["python3", "-c", SERVER, str(testing.PORT)])
            d = Synguard(l, env.synguard(), testing.PORT, self.mode)
            d.argv = [env.synguard(), "run", "-c", path]
            d.start()
            try:
                self.assertFalse(self.engaged(l), d.output())
                self.assertEqual(self.connects(l), "ok 5")

                burst = l.run(l.client_ns, ["python3", "-c", BURST,
                                            l.addresses(4)[0],
                                            str(testing.PORT), "3"],
                              timeout=60).stdout
                self.assertTrue(self.wait_for(d, "cookies engaged", 5),
                                burst + d.output())
                self.assertTrue(self.engaged(l))
                self.assertEqual(self.connects(l), "ok 5")

                self.assertTrue(
                    self.wait_for(d, "cookies disengaged", QUIET + 10),
                    d.output())
                self.assertFalse(self.engaged(l))
                self.assertEqual(self.connects(l), "ok 5")
            finally:
                self.assertEqual(d.stop(), 0, d.output())


if __name__ == "__main__":
    testing.main()
