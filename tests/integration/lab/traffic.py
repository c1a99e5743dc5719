"""Traffic for the fault tests: an echo server that serves every
connection until EOF (over IPv4 and IPv6: one dual-stack socket, as the
echo tools listen), a client loop that opens short connections one after
another to the server's address of one family, and a keeper that holds one
connection open and exchanges a few bytes on it periodically (to show an
established connection survives). The scripts run with the namespace's
python3 (`lab.spawn` / `lab.run`), every loop bounded in count and time."""

import queue
import subprocess
import textwrap
import threading
import time

from lab import testing

# Echoes every connection until EOF, one thread each, so that a long-lived
# connection and short ones can be served together.
SERVER = textwrap.dedent("""
    import socket, sys, threading
    def serve(c):
        with c:
            c.settimeout(120)
            try:
                while True:
                    b = c.recv(4096)
                    if not b:
                        return
                    c.sendall(b)
            except OSError:
                pass
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(sys.argv[1])))
    s.listen(1024)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
""")

# One short connection: connect, 1 byte echoed, close; OSError otherwise.
# Shared by the client scripts (LOOP here, the tests' own timed loops).
ECHO_ONCE = textwrap.dedent("""
    def echo_once(host, port, timeout):
        c = socket.create_connection((host, port), timeout=timeout)
        c.settimeout(timeout)
        c.sendall(b"x")
        if c.recv(1) != b"x":
            raise OSError("no echo")
        c.close()
""")

# Opens connections one after another (1 byte echoed each) for a time,
# bounded in count; prints every failure and a summary line.
LOOP = textwrap.dedent("""
    import socket, sys, time
""") + ECHO_ONCE + textwrap.dedent("""
    host, port = sys.argv[1], int(sys.argv[2])
    seconds, limit, pause = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    ok = failed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and ok + failed < limit:
        try:
            echo_once(host, port, 5)
            ok += 1
        except OSError as e:
            failed += 1
            print("failed:", e, flush=True)
        time.sleep(pause)
    print("ok", ok, "failed", failed, flush=True)
""")

# One connection kept open, 8 bytes each way every PERIOD s, until stdin
# closes or LIFETIME s pass; one line per exchange so the test sees progress.
# A socket timeout longer than an outage lets TCP retransmit across it.
KEEPER = textwrap.dedent("""
    import select, socket, sys, time
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    c.settimeout(float(sys.argv[3]))
    lifetime, period = float(sys.argv[4]), float(sys.argv[5])
    print("connected", flush=True)
    n, end = 0, time.monotonic() + lifetime
    try:
        while time.monotonic() < end:
            if select.select([sys.stdin], [], [], period)[0] and not sys.stdin.read(1):
                break
            msg = b"%07d\\n" % (n % 10000000)
            c.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = c.recv(len(msg) - len(got))
                if not b:
                    raise OSError("closed by the server")
                got += b
            if got != msg:
                raise OSError("echo mismatch")
            n += 1
            print("x", n, flush=True)
    except OSError as e:
        print("broken:", e, flush=True)
        sys.exit(1)
    print("exchanges", n, flush=True)
""")


def serve(lab, port=testing.PORT):
    """Starts SERVER in the server namespace; returns once it listens."""
    srv = lab.spawn(lab.server_ns, ["python3", "-c", SERVER, str(port)],
                    stdout=subprocess.PIPE, text=True)
    line = srv.stdout.readline().strip()
    if line != "listening":
        raise AssertionError(f"echo server did not start: {line!r}")
    srv.stdout.close()  # it prints nothing more; the lab stops it
    return srv


def summary(text):
    """(ok, failed) from LOOP's last line."""
    words = text.strip().splitlines()[-1].split()
    return int(words[1]), int(words[3])


def loop_args(lab, seconds, limit, pause, port, family=4):
    return ["python3", "-c", LOOP, lab.addresses(family)[0], str(port),
            str(seconds), str(limit), str(pause)]


def loop(lab, seconds, limit=400, pause=0.05, port=testing.PORT, family=4):
    """Runs LOOP in the client namespace to completion, to the server's
    address of family; (ok, failed, output)."""
    out = lab.run(lab.client_ns,
                  loop_args(lab, seconds, limit, pause, port, family),
                  timeout=seconds + 30, check=False).stdout
    ok, failed = summary(out)
    return ok, failed, out


def loop_async(lab, seconds, limit=400, pause=0.05, port=testing.PORT,
               family=4):
    """LOOP started in the client namespace, to the server's address of
    family; read summary() of its stdout."""
    return lab.spawn(lab.client_ns,
                     loop_args(lab, seconds, limit, pause, port, family),
                     stdout=subprocess.PIPE, text=True)


class Keeper:
    """KEEPER running in the client namespace, its progress read by a
    thread."""

    def __init__(self, lab, sock_timeout=2, lifetime=120, period=0.1,
                 port=testing.PORT):
        self.proc = lab.spawn(lab.client_ns,
                              ["python3", "-c", KEEPER, lab.addresses(4)[0],
                               str(port), str(sock_timeout), str(lifetime),
                               str(period)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self.count = 0
        self.lines = []
        self._connected = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._connected.get(timeout=10)
        except queue.Empty:
            raise AssertionError(f"keeper did not connect: {self.lines}")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("connected"):
                self._connected.put(True)
            elif line.startswith("x "):
                self.count = int(line.split()[1])

    def still_exchanging(self, seconds=1.5):
        """True if at least a few exchanges happen within seconds."""
        start = self.count
        time.sleep(seconds)
        return self.count >= start + 5

    def exchanging(self, within):
        """True once a few more exchanges happen, waiting at most within s."""
        start, deadline = self.count, time.monotonic() + within
        while time.monotonic() < deadline:
            if self.count >= start + 5:
                return True
            time.sleep(0.2)
        return False

    def finish(self):
        """Closes stdin; returns (exit status, its output)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=5)
        time.sleep(0.1)  # the reader takes the last line
        return rc, "".join(l for l in self.lines if not l.startswith("x "))
