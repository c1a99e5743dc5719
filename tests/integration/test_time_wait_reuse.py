#!/usr/bin/env python3
"""A client that reuses its source port while the server still holds the
old connection in TIME_WAIT (the server closed first) must connect, as it
does without synguard: the SYN goes to the kernel, which applies its own
TIME_WAIT reuse rules, instead of being answered with a cookie whose ACK
would then meet the TIME_WAIT socket and hang.

Here netfilter does not drop pure SYNs: the kernel must see this one."""

import subprocess
import textwrap
from lab import counters, testing

ROUNDS = 4
CLIENT_PORT = 40123

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(sys.argv[1])))
    s.listen(64)
    print("listening", flush=True)
    for _ in range(int(sys.argv[2])):
        c, _ = s.accept()
        c.settimeout(5)
        c.sendall(c.recv(16))
        c.close()          # the server closes first: TIME_WAIT is here
""")

CLIENT = textwrap.dedent("""
    import socket, sys, time
    host, port, cport, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    ok = 0
    for i in range(rounds):
        c = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("::" if ":" in host else "0.0.0.0", cport))
        c.settimeout(3)
        try:
            c.connect((host, port))
            c.sendall(b"ping")
            if c.recv(16) == b"ping":
                ok += 1
            # Wait for the server's FIN so that our side closes second.
            c.recv(16)
        except OSError as e:
            print("round", i, "failed:", e, flush=True)
        c.close()
        time.sleep(0.2)
    print("ok", ok)
""")


class TimeWaitReuseTest(testing.LabTestCase):
    def test_port_reuse_against_server_time_wait(self):
        with testing.lab(syn_drop=False) as l:
            for family in (4, 6):
                with self.subTest(family=family):
                    d = self.start_synguard(l)
                    try:
                        self._reuse(l, family)
                    finally:
                        self.stop_synguard(d)

    def _reuse(self, l, family):
        sg = counters.SynguardCounters(l)
        before = sg.read()
        srv = l.spawn(l.server_ns, ["python3", "-c", SERVER, str(testing.PORT),
                                    str(ROUNDS)],
                      stdout=subprocess.PIPE, text=True)
        # Bounded by the server's own start; it prints once it listens.
        self.assertEqual(srv.stdout.readline().strip(), "listening")
        host = l.addresses(family)[0]
        out = l.run(l.client_ns,
                    ["python3", "-c", CLIENT, host, str(testing.PORT),
                     str(CLIENT_PORT + family), str(ROUNDS)],
                    timeout=60).stdout
        try:
            srv.wait(timeout=10)
        except Exception:
            srv.kill()
        self.assertIn(f"ok {ROUNDS}", out, out)
        got = counters.delta(before, sg.read(), ["TX_SYNACK", "PASS_SOCKET"])
        # The first SYN is answered with a cookie; the later ones meet the
        # TIME_WAIT socket and go to the kernel.
        self.assertGreaterEqual(got["TX_SYNACK"], 1)
        self.assertGreaterEqual(got["PASS_SOCKET"], ROUNDS - 1)

if __name__ == "__main__":
    testing.main()
