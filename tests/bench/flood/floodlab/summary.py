"""Issue 14's figures from the flood benchmark's rows, per family and per
synguard handoff mode, over one or more repetitions of the whole comparison:

- absorbed, synguard / the kernel's SYN cookies (syncookies=1, else =2):
  target >= 2.0x;
- absorbed, synguard / the XDP drop-everything floor (xdp-drop): >= 0.85x;
- the real clients through synguard: connects that succeeded, 100% in
  every repetition;
- their p99 connect-to-echo latency / that of the kernel's SYN cookies in
  the same repetition: <= 1.0x (no worse).

A ratio is formed within one repetition (its rows ran minutes apart at
most, under the same other load), then summarised over the repetitions as
the median and the min..max spread; the median decides PASS or FAIL (the
clients' success: the worst repetition). "absorbed" is defined in
measure.absorbed()."""

import statistics

KERNEL_REFS = ("syncookies=1", "syncookies=2")
FLOOR = "xdp-drop"
SYNGUARD_ROWS = ("synguard-reqsk", "synguard-kernel-cookie")

# (key, label, target, "min" or "max" bound, unit)
FIGURES = (
    ("vs_kernel", "absorbed: synguard / kernel SYN cookies", 2.0, "min", "x"),
    ("vs_floor", "absorbed: synguard / XDP drop floor", 0.85, "min", "x"),
    ("clients_ok", "real clients connected", 1.0, "min", "%"),
    ("p99_vs_kernel", "clients' p99: synguard / kernel SYN cookies", 1.0,
     "max", "x"),
)


def _row(rows, name):
    return next((r for r in rows if r["defense"] == name), None)


def figures_of(results):
    """{(family, synguard row): {key: value or None}} of one repetition."""
    out = {}
    fams = list(dict.fromkeys(r.get("family", 4) for r in results))
    for fam in fams:
        rows = [r for r in results if r.get("family", 4) == fam]
        kernel = next((_row(rows, k) for k in KERNEL_REFS if _row(rows, k)),
                      None)
        floor = _row(rows, FLOOR)
        for name in SYNGUARD_ROWS:
            sg = _row(rows, name)
            if sg is None:
                continue
            f = {"kernel_ref": kernel["defense"] if kernel else None}
            a = sg["absorbed_syn_pps"]
            f["vs_kernel"] = (a / kernel["absorbed_syn_pps"]
                              if kernel and kernel["absorbed_syn_pps"]
                              else None)
            f["vs_floor"] = (a / floor["absorbed_syn_pps"]
                             if floor and floor["absorbed_syn_pps"] else None)
            f["clients_ok"] = sg["legit_success_ratio"]
            kp99, sp99 = (kernel or {}).get("connect_p99_ms"), \
                sg["connect_p99_ms"]
            f["p99_vs_kernel"] = (sp99 / kp99 if kp99 and sp99 is not None
                                  else None)
            f["p99_ms"], f["kernel_p99_ms"] = sp99, kp99
            f["absorbed_pps"] = a
            f["kernel_absorbed_pps"] = kernel and kernel["absorbed_syn_pps"]
            f["floor_absorbed_pps"] = floor and floor["absorbed_syn_pps"]
            out[(fam, name)] = f
    return out


def summarise(repetitions):
    """repetitions: a figures_of() per repetition. Returns a list of dicts,
    one per (family, synguard row, figure), with the values of every
    repetition, median, min, max and result ("PASS", "FAIL" or "n/a":
    a row the figure needs was not run)."""
    keys = list(dict.fromkeys(k for rep in repetitions for k in rep))
    out = []
    for fam, name in keys:
        for key, label, target, bound, unit in FIGURES:
            vals = [rep.get((fam, name), {}).get(key) for rep in repetitions]
            have = [v for v in vals if v is not None]
            item = {"family": fam, "synguard": name, "figure": key,
                    "label": label, "target": target, "bound": bound,
                    "unit": unit, "values": vals}
            if len(have) < len(vals) or not have:
                item.update(median=None, min=None, max=None, result="n/a")
            else:
                item.update(median=statistics.median(have), min=min(have),
                            max=max(have))
                if key == "clients_ok":
                    ok = item["min"] >= target
                elif bound == "min":
                    ok = item["median"] >= target
                else:
                    ok = item["median"] <= target
                item["result"] = "PASS" if ok else "FAIL"
            out.append(item)
    return out


def _fmt(v, unit):
    if v is None:
        return "-"
    return f"{100 * v:.1f}%" if unit == "%" else f"{v:.2f}x"


def table(items, n_reps, full_speed):
    lines = [f"Summary (issue 14): {n_reps} repetition(s) of the whole "
             "comparison; median [min..max] over them",
             "  ".join(["family", "synguard".ljust(22), "figure".ljust(45),
                        "median".rjust(8), "[min..max]".rjust(19),
                        "target".rjust(9), "result"])]
    for it in items:
        op = ">=" if it["bound"] == "min" else "<="
        target = f"{op} {_fmt(it['target'], it['unit'])}"
        spread = (f"[{_fmt(it['min'], it['unit'])}.."
                  f"{_fmt(it['max'], it['unit'])}]"
                  if it["min"] is not None else "-")
        lines.append("  ".join([f"IPv{it['family']}".ljust(6),
                                it["synguard"].ljust(22),
                                it["label"].ljust(45),
                                _fmt(it["median"], it["unit"]).rjust(8),
                                spread.rjust(19), target.rjust(9),
                                it["result"]]))
    lines.append("Ratios are formed within a repetition, then summarised. "
                 "Kernel SYN cookies: the syncookies=1 row (else =2); "
                 "floor: the xdp-drop row; clients: every repetition must "
                 "reach the target.")
    if not full_speed:
        lines.append("The flood ran at a set --rate, not at the generator's "
                     "full speed: the absorbed ratios do not measure "
                     "capacity.")
    if n_reps < 3:
        lines.append("Fewer than 3 repetitions: the spread says little "
                     "(--repeat 3 or more for a result).")
    return "\n".join(lines)


def misses(items):
    """The figures that did not pass (FAIL or not measured)."""
    return [f"IPv{it['family']} {it['synguard']}: {it['label']} "
            f"({it['result']})" for it in items if it["result"] != "PASS"]
