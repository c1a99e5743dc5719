#!/usr/bin/env python3
"""Checks the daemon's layering (daemon/CMakeLists.txt writes the table).

Every `#include "dir/file.h"` in a layer's sources must name a directory of
that layer or of a layer it uses (transitively); every `#include <lib/...>`
of a system library the daemon links (bpf, systemd, libmnl, prometheus) must
be in a layer that owns that library. Prints each violation as
file:line: what, and exits 1 if there is one. Run with --self-test to check
that a planted violation is found (the test cannot pass by finding nothing).
"""
import argparse
import pathlib
import re
import sys
import tempfile

GUARDED = ("bpf", "systemd", "libmnl", "prometheus")
LOCAL = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')
SYSTEM = re.compile(r'^\s*#\s*include\s+<([a-z_]+)/[^>]+>')


def read_table(path):
    layers = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, dirs, uses, headers = (f.strip() for f in line.split("|"))
        layers[name] = (dirs.split(), uses.split(), headers.split())
    return layers


def visible(layers, name, seen=None):
    """Directories and system headers a layer may include."""
    seen = set() if seen is None else seen
    dirs, uses, headers = layers[name]
    out_dirs, out_headers = set(dirs), set(headers)
    for used in uses:
        if used in seen or used not in layers:
            continue
        seen.add(used)
        d, h = visible(layers, used, seen)
        out_dirs |= d
        out_headers |= h
    return out_dirs, out_headers


def check(layers, daemon):
    problems = []
    owner = {d: name for name, (dirs, _, _) in layers.items() for d in dirs}
    for name, (dirs, _, _) in layers.items():
        may_dirs, may_headers = visible(layers, name)
        for d in dirs:
            for f in sorted((daemon / d).glob("*")):
                if f.suffix not in (".h", ".cc"):
                    continue
                for n, text in enumerate(f.read_text().splitlines(), 1):
                    m = LOCAL.match(text)
                    if m and m.group(1) in owner and m.group(1) not in may_dirs:
                        problems.append(f"{f}:{n}: {name} includes {m.group(1)}/ "
                                        f"({owner[m.group(1)]}), a layer it does not use")
                    m = SYSTEM.match(text)
                    if m and m.group(1) in GUARDED and m.group(1) not in may_headers:
                        problems.append(f"{f}:{n}: {name} includes <{m.group(1)}/...>, "
                                        f"which only other layers link")
    # Every directory of daemon/ with sources belongs to a layer.
    for d in sorted(p for p in daemon.iterdir() if p.is_dir()):
        if any(d.glob("*.cc")) or any(d.glob("*.h")):
            if d.name not in owner:
                problems.append(f"{d}: directory in no layer (daemon/CMakeLists.txt)")
    return problems


def self_test(layers, daemon):
    """A planted upward include in the lowest layer must be reported."""
    base = next(iter(layers))
    base_dir = layers[base][0][0]
    top_dir = list(layers.values())[-1][0][0]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for d in {dd for dirs, _, _ in layers.values() for dd in dirs}:
            (root / d).mkdir()
        (root / base_dir / "planted.h").write_text(
            f'#include "{top_dir}/x.h"\n#include <bpf/libbpf.h>\n')
        found = check(layers, root)
    return len(found) == 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", required=True)
    ap.add_argument("--daemon", required=True)
    args = ap.parse_args()
    layers = read_table(args.table)
    daemon = pathlib.Path(args.daemon)
    if not self_test(layers, daemon):
        print("check_layers: the planted violation was not found: the checker is broken")
        return 1
    problems = check(layers, daemon)
    for p in problems:
        print(p)
    print(f"check_layers: {len(layers)} layers, {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
