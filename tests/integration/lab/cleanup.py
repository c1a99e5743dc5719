"""Undo actions for every exit path: with-block, atexit, and signals.

Actions run newest first, each at most once, each isolated from the others'
failures, so a half-built lab is still torn down completely.
"""

import atexit
import os
import signal
import sys
import threading


class _Cleanup:
    def __init__(self):
        self._lock = threading.RLock()
        self._actions = []  # (token, description, callable)
        self._next = 0
        self._installed = False

    def push(self, description, action):
        """Registers action; returns a token for pop()."""
        with self._lock:
            self._install()
            self._next += 1
            self._actions.append((self._next, description, action))
            return self._next

    def pop(self, token, run=True):
        """Removes the action (running it first unless run=False)."""
        with self._lock:
            for i, (tok, desc, action) in enumerate(self._actions):
                if tok == token:
                    del self._actions[i]
                    if run:
                        self._run_one(desc, action)
                    return

    def run_all(self):
        with self._lock:
            while self._actions:
                _, desc, action = self._actions.pop()
                self._run_one(desc, action)

    @staticmethod
    def _run_one(description, action):
        try:
            action()
        except Exception as e:  # keep undoing the rest
            print(f"lab cleanup: {description}: {e}", file=sys.stderr)

    def _install(self):
        if self._installed:
            return
        self._installed = True
        atexit.register(self.run_all)
        # Only the main thread may set handlers; tests run there.
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame):
        print(f"lab: signal {signum}, cleaning up", file=sys.stderr)
        self.run_all()
        # The conventional status of a process killed by signum.
        os._exit(128 + signum)


CLEANUP = _Cleanup()
