"""A tool of ours run in a lab namespace whose stdout is JSON lines: each
line is kept, per-second lines go to a queue for live displays, and the line
with "summary" is the result."""

import json
import queue
import subprocess
import threading

from lab import LabError


class JsonProcess:
    def __init__(self, lab, ns, argv, name):
        self.name = name
        self.lines = []
        self.summary = None
        self.live = queue.Queue()
        self.proc = lab.spawn(ns, argv, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("summary"):
                self.summary = rec
            self.live.put(rec)

    def first(self, timeout):
        """The first JSON line (a tool's "listening" or "error")."""
        try:
            return self.live.get(timeout=timeout)
        except queue.Empty:
            raise LabError(f"{self.name} printed nothing in {timeout}s:\n"
                           f"{''.join(self.lines)}")

    def wait(self, timeout):
        """Waits for the exit; returns the summary (LabError if none)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        if self.summary is None:
            raise LabError(f"{self.name} gave no summary (exit "
                           f"{self.proc.returncode}):\n{''.join(self.lines)}")
        return self.summary

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
