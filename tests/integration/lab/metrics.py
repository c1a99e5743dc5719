"""synguard's Prometheus endpoint, read from inside the server namespace
(it listens on that namespace's loopback), and single samples out of it."""

import re

from .run import run

DEFAULT_LISTEN = "127.0.0.1:9479"

# Fetched with the namespace's python3, so that no other tool is needed.
_FETCH = ("import sys, urllib.request\n"
          "with urllib.request.urlopen(sys.argv[1], timeout=5) as r:\n"
          "    print(r.read().decode())")


def scrape(lab, listen=DEFAULT_LISTEN):
    """The text exposition synguard serves on listen. In a lab that drops
    pure SYNs, call nft.allow_loopback(lab.server_ns) first."""
    return run(["python3", "-c", _FETCH, f"http://{listen}/metrics"],
               ns=lab.server_ns).stdout


def sample(text, name, **labels):
    """The value of the series name{labels} (exact label set), or None."""
    want = {k: str(v) for k, v in labels.items()}
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                              m.group(2) or ""))
        if got == want:
            return float(m.group(3))
    return None
