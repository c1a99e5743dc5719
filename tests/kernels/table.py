#!/usr/bin/env python3
"""Prints the kernel matrix's table from the smoke suite's JSON lines
(smoke.py --out), one row per cell, and the reasons of the failed cells;
exit 1 if any cell failed or a planned cell has no result.

  table.py FILE...                     the table
  table.py --markdown FILE...          docs/operations.md's "Supported kernels" rows
  table.py --vm-failure LABEL REASON   a JSON line for a VM that ran no cell
"""

import json
import sys


def load(paths):
    rows, planned = [], []
    for path in paths:
        try:
            f = open(path)
        except FileNotFoundError:
            continue
        with f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a VM that died
                if "plan" in rec:
                    planned += rec["plan"]
                else:
                    rows.append(rec)
    seen = {(r["kernel"], r["handoff"], r["attach"]) for r in rows}
    for p in planned:
        if (p["kernel"], p["handoff"], p["attach"]) not in seen:
            rows.append(dict(p, status="fail", ok=0, total=0, fallbacks=[],
                             seconds=None, reason="no result: the smoke "
                             "suite or the VM stopped before this cell"))
    return rows


def render(rows):
    head = ("kernel", "handoff", "attach", "connects", "under flood",
            "fallbacks", "self-test", "sysctls", "time", "result")
    table = []
    for r in rows:
        fb = r.get("fallbacks") or []
        table.append((
            r["kernel"], r["handoff"], r["attach"],
            f"{r.get('ok', 0)}/{r['total']}" if r.get("total") else "-",
            f"{r['flood_ok']}/{r['flood_total']}" if r.get("flood_total")
            else "-",
            "; ".join(fb) if fb else "none",
            {True: "passed", False: "FAILED", None: "-"}[r.get("self_test")],
            {True: "restored", False: "CHANGED", None: "-"}[
                r.get("sysctls_restored")],
            f"{r['seconds']:.0f} s" if r.get("seconds") is not None else "-",
            "ok" if r.get("status") == "ok" else "FAIL"))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(t, widths)).rstrip()
              for t in table]
    failed = [r for r in rows if r.get("status") != "ok"]
    if failed:
        lines.append("")
        lines.append("failed cells:")
        for r in failed:
            lines.append(f"  {r['kernel']} {r['handoff']} {r['attach']}: "
                         f"{r.get('reason') or 'failed'}")
            if r.get("detail"):
                lines.append(f"      {r['detail']}")
    return "\n".join(lines), not failed and bool(rows)


SHIPPED_BY = {"5.10": "Debian 11 (bullseye)", "6.1": "Debian 12 (bookworm)",
              "6.12": "Debian 13 (trixie)"}


def markdown(rows):
    """One row per kernel: each handoff mode with the attach modes that
    passed, the fallbacks taken."""
    kernels = list(dict.fromkeys(r["kernel"] for r in rows))
    out = ["| kernel | shipped by | reqsk | kernel-cookie | fallbacks taken |",
           "| --- | --- | --- | --- | --- |"]
    for k in kernels:
        mine = [r for r in rows if r["kernel"] == k]
        series = ".".join(k.split()[-1].split(".")[:2])
        shipped = "this machine (host)" if k.startswith("host") \
            else SHIPPED_BY.get(series, "-")
        cells = []
        for mode in ("reqsk", "kernel-cookie"):
            rs = [r for r in mine if r["handoff"] == mode]
            if not rs:
                cells.append("not in this kernel" if all(
                    r["handoff"] != "-" for r in mine) else "no run")
                continue
            ok = [r["attach"] for r in rs if r.get("status") == "ok"]
            bad = [r["attach"] for r in rs if r.get("status") != "ok"]
            text = ", ".join(ok) if ok else ""
            if bad:
                text += ("; " if text else "") + "fails: " + ", ".join(bad)
            cells.append(text)
        fb = sorted({f for r in mine for f in r.get("fallbacks") or []})
        out.append(f"| {k} | {shipped} | {cells[0]} | {cells[1]} | "
                   f"{'; '.join(fb) if fb else 'none'} |")
    return "\n".join(out)


def main(argv):
    if len(argv) == 3 and argv[0] == "--vm-failure":
        print(json.dumps({"kernel": argv[1], "handoff": "-", "attach": "-",
                          "status": "fail", "ok": 0, "total": 0,
                          "fallbacks": [], "seconds": None,
                          "reason": argv[2]}))
        return 0
    if argv and argv[0] == "--markdown":
        print(markdown(load(argv[1:])))
        return 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    text, ok = render(load(argv))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
