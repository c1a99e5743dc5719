"""HTTP GETs from inside a network namespace, without a process per request.

synguard serves its metrics on 127.0.0.1 of the server's namespace. A
thread that calls setns(2) moves only itself; a socket it opens afterwards
belongs to that namespace. Each fetch runs in a fresh thread, so no thread
of ours is ever left in a namespace that the lab deletes.
"""

import ctypes
import os
import threading
import urllib.request

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def get(ns, url, timeout=2.0):
    """The body of url fetched from inside netns ns (a /run/netns name)."""
    result = {}

    def work():
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns into {ns}: {os.strerror(err)}")
        finally:
            os.close(fd)
        # No proxy: the address is the namespace's own loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as r:
            result["body"] = r.read().decode()

    def run():
        try:
            work()
        except Exception as e:  # handed to the caller's thread
            result["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout + 1)
    if "error" in result:
        raise result["error"]
    if "body" not in result:
        raise TimeoutError(f"GET {url} in {ns}: no answer")
    return result["body"]
