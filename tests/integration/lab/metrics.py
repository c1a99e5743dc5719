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


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels.items())): value} for every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m:
            labels = frozenset(_LABEL.findall(m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def series(samples, name, **labels):
    """Values of name (from parse()) whose labels include labels."""
    want = {(k, str(v)) for k, v in labels.items()}
    return [v for (n, ls), v in samples.items() if n == name and want <= ls]


def sample(text, name, **labels):
    """The value of the series name{labels} (exact label set), or None."""
    want = frozenset((k, str(v)) for k, v in labels.items())
    return parse(text).get((name, want))
