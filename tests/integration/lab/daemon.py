"""`synguard run` inside the server namespace: start, wait until it says it
protects the port, stop with SIGTERM and report its exit status."""

import queue
import signal
import subprocess
import threading
import time

from . import env
from .errors import LabError

READY = "synguard protecting"


class Synguard:
    def __init__(self, lab, binary, port, handoff, extra=()):
        self.lab = lab
        # The attach mode under test (SG_XDP_MODE), unless the test names one.
        attach = ([] if "--xdp-mode" in extra
                  else ["--xdp-mode", env.xdp_mode()])
        self.argv = [binary, "run", "-i", lab.server_if, "-p", str(port),
                     "--handoff", handoff, "--engage", "always", *attach,
                     *extra]
        self.proc = None
        self.lines = []
        self._queue = queue.Queue()

    def start(self, timeout=20.0):
        self.proc = self.lab.spawn(self.lab.server_ns, self.argv,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if READY in line:
                self._check_attach_mode(line)
                return self
        raise LabError(f"synguard did not become ready "
                       f"(exit {self.proc.poll()}):\n{self.output()}")

    def _check_attach_mode(self, ready_line):
        """The ready line names the XDP mode in effect: a test run for one
        attach mode must not pass in another."""
        if "--xdp-mode" not in self.argv:
            return
        want = self.argv[self.argv.index("--xdp-mode") + 1]
        if want in ("native", "skb") and f"xdp {want} mode" not in ready_line:
            raise LabError(f"synguard asked for --xdp-mode {want} but says: "
                           f"{ready_line.strip()}")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)

    def output(self):
        return "".join(self.lines)

    def stop(self, timeout=15.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            rc = None
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
