"""The echo tools (tests/integration/tools) driven from Python: a server in
the server namespace whose JSON lines carry each accepted socket's TCP_INFO,
and a client run to completion in the client namespace."""

import json
import queue
import subprocess
import threading

from . import env
from .errors import LabError

PORT = 8080


class EchoServer:
    def __init__(self, lab, count, nbytes=1 << 20, port=PORT,
                 timeout_ms=60000, backlog=128):
        self.lab = lab
        self.port = port
        self.argv = [env.echo_server(), "-p", str(port), "-n", str(count),
                     "-b", str(nbytes), "--timeout-ms", str(timeout_ms),
                     "--backlog", str(backlog)]
        self.timeout = timeout_ms / 1000 + 10
        self.records = []   # one dict per connection
        self.summary = None
        self._queue = queue.Queue()

    def start(self):
        self.proc = self.lab.spawn(self.lab.server_ns, self.argv,
                                   stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            first = self._queue.get(timeout=10)
        except queue.Empty:
            raise LabError("echo server did not start listening")
        if "listening" not in first:
            raise LabError(f"echo server: {first}")
        return self

    def _read(self):
        for line in self.proc.stdout:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("summary"):
                self.summary = rec
            elif "conn" in rec:
                self.records.append(rec)
            self._queue.put(rec)

    def wait(self):
        """Waits for the server to finish; returns its exit status."""
        try:
            rc = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=5)
        # The reader takes the last lines, then sees EOF.
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.wait()


def run_client(lab, server_addr, count=1, nbytes=1 << 20, port=PORT,
               connect_timeout_ms=3000, conn_timeout_ms=10000, quiet=False,
               ns=None):
    """Runs the client; returns (exit status, per-connection records,
    summary)."""
    argv = [env.echo_client(), "-c", server_addr, "-p", str(port),
            "-n", str(count), "-b", str(nbytes),
            "--connect-timeout-ms", str(connect_timeout_ms),
            "--conn-timeout-ms", str(conn_timeout_ms)]
    if quiet:
        argv.append("-q")
    limit = count * (connect_timeout_ms + conn_timeout_ms) / 1000 + 10
    p = lab.run(ns or lab.client_ns, argv, check=False, timeout=limit)
    records, summary = [], None
    for line in p.stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("summary"):
            summary = rec
        else:
            records.append(rec)
    if summary is None:
        raise LabError(f"echo client printed no summary (exit "
                       f"{p.returncode}): {p.stdout}{p.stderr}")
    return p.returncode, records, summary
