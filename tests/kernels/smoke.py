#!/usr/bin/env python3
"""The kernel matrix's smoke suite: one run per kernel, inside its VM (or on
the host with run.sh --host), as root, with the integration lab
(tests/integration/lab) and the build's tools from the environment (the
SG_* variables CTest gives the integration tests).

For every handoff mode the kernel has (reqsk from 6.9, kernel-cookie on
all) and both attach modes (native: the server's veth, whose peer runs the
lab's XDP_PASS program; skb: --xdp-mode skb), one cell:

  1. a lab with an attacker (hub bridge), netfilter dropping every pure SYN
     in the server namespace: only synguard's SYN+ACKs open connections;
  2. the echo server listening, then `synguard run` (engage always) must
     say it protects the port and that its self-test passed;
  3. real clients (sg_echo_client) connect over IPv4 and IPv6;
  4. a short spoofed SYN flood over both families (the lab's flood tool)
     while clients connect again over both;
  5. SIGTERM: exit 0 and the server namespace's sysctls as before.

Each cell is one JSON line in --out (a "plan" line first, so a run cut
short shows its missing cells); tests/kernels/table.py prints the table.
A failed cell carries the reason: the daemon's own error line when it did
not start (and the verifier's last words, when it has them)."""

import argparse
import ctypes
import json
import os
import re
import struct
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from lab import env, flood, nft, peer_xdp, topology  # noqa: E402
from lab.daemon import Synguard  # noqa: E402
from lab.echo import EchoServer, run_client  # noqa: E402
from lab.errors import LabError  # noqa: E402
from lab.run import run  # noqa: E402

PORT = 8080
SYSCTLS = ("net.ipv4.tcp_syncookies", "net.ipv4.tcp_timestamps",
           "net.ipv4.tcp_max_syn_backlog", "net.core.somaxconn",
           "net.ipv4.tcp_synack_retries", "net.ipv4.tcp_abort_on_overflow")
CONNECTS = 2            # per family and phase: lean, TCG is slow
PAYLOAD = 4096
FLOOD_RATE = 2000       # packets/s over both families
FLOOD_SECONDS = 5
START_TIMEOUT = 150.0   # under TCG the verifier takes ~80 s for 1M insns
REQSK_SINCE = (6, 9)
LOG_DIR = None          # --logs: each cell's daemon output


def kernel_version():
    m = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return int(m.group(1)), int(m.group(2))


def handoff_modes():
    """The modes this kernel should run; the daemon itself is not asked,
    so that a probe that wrongly refuses a mode shows as a failed cell."""
    if kernel_version() >= REQSK_SINCE:
        return ["reqsk", "kernel-cookie"]
    return ["kernel-cookie"]


# The peer of the server's veth needs an XDP program for native XDP_TX
# frames to arrive (docs/design.md). The lab attaches synguard_xdp_pass from the
# build's XDP object with `bpftool prog loadall`, which loads and verifies
# every program in it: on a kernel whose verifier rejects synguard's parser
# the lab itself would fail before the daemon could say why, and under TCG
# each cell would pay a second full verification. The smoke suite gives the
# peer the same two instructions (r0 = XDP_PASS; exit) loaded straight
# through bpf(2), independent of synguard's object.
BPF_PROG_LOAD, BPF_OBJ_PIN = 5, 6
BPF_PROG_TYPE_XDP = 6
XDP_PASS_INSNS = bytes.fromhex("b700000002000000" "9500000000000000")
_libc = ctypes.CDLL(None, use_errno=True)
_NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]


def _bpf(cmd, attr):
    fd = _libc.syscall(_NR_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd < 0:
        err = ctypes.get_errno()
        raise LabError(f"bpf({cmd}): {os.strerror(err)}")
    return fd


def attach_peer_pass(_obj, ns, ifname, pin_name):
    insns = ctypes.create_string_buffer(XDP_PASS_INSNS, len(XDP_PASS_INSNS))
    license_ = ctypes.create_string_buffer(b"GPL")
    attr = (ctypes.c_uint8 * 128)()
    struct.pack_into("=IIQQ", attr, 0, BPF_PROG_TYPE_XDP, 2,
                     ctypes.addressof(insns), ctypes.addressof(license_))
    struct.pack_into("=16s", attr, 48, b"sg_peer_pass")
    fd = _bpf(BPF_PROG_LOAD, attr)
    pin = os.path.join(peer_xdp.BPFFS, pin_name)
    path = ctypes.create_string_buffer(pin.encode())
    try:
        pin_attr = (ctypes.c_uint8 * 16)()
        struct.pack_into("=QI", pin_attr, 0, ctypes.addressof(path), fd)
        _bpf(BPF_OBJ_PIN, pin_attr)
        try:
            run(["ip", "link", "set", "dev", ifname, "xdpdrv", "pinned", pin],
                ns=ns)
        finally:
            os.unlink(pin)
    finally:
        os.close(fd)


topology.peer_xdp.attach_pass = attach_peer_pass


def first_line(text):
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def daemon_error(output):
    """The daemon's own error sentence: its last error-level log line, or
    its last line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines
              if re.search(r"\[(error|critical|err)\]|^error|: error", ln,
                           re.I)]
    pick = errors[-1] if errors else (lines[-1] if lines else "no output")
    return pick[:400]


def verifier_summary(text):
    """The verifier's complaint in a libbpf log: the line before
    "processed N insns" / "-- END PROG LOAD LOG --"."""
    lines = [ln.strip() for ln in text.splitlines()]
    for i, ln in enumerate(lines):
        if ln.startswith("processed ") and "insns" in ln or \
                "END PROG LOAD LOG" in ln:
            for prev in reversed(lines[:i]):
                if prev and not prev.startswith(("processed", "libbpf:")):
                    return prev[:300]
    m = re.search(r"(math between .*|invalid .*|unknown func .*|"
                  r"program of this type cannot use .*)", text)
    return m.group(1)[:300] if m else ""


def logged_fallbacks(output):
    """Fallbacks the daemon's log says it took: "kernel R has no FEATURE:
    what it does instead" (as "no FEATURE"), and lines that say fall back."""
    found = []
    for ln in output.splitlines():
        m = re.search(r"kernel \S+ has no ([^:]+):", ln)
        if m:
            found.append(f"no {m.group(1).strip()}")
        elif re.search(r"fall(s|ing)?[ -]?back|fallback", ln, re.I):
            found.append(re.sub(r"^\[[^]]*\]\s*(\[[^]]*\]\s*)?", "",
                                ln.strip())[:200])
    return found


def fallbacks(output, lab, daemon):
    """Fallbacks the daemon took: from its log, and the unavailable kernel
    features in `synguard status --json`."""
    found = logged_fallbacks(output)
    p = run([daemon, "status", "--json"], ns=lab.server_ns, check=False,
            timeout=30)
    try:
        status = json.loads(p.stdout) if p.returncode == 0 else {}
    except json.JSONDecodeError:
        status = {}
    # Wherever status puts its kernel features: any entry that says
    # "available": false (a dict per feature, or feature -> bool under a
    # key with "feature" in its name).
    def walk(node, key=None):
        if isinstance(node, dict):
            if node.get("available") is False:
                found.append("no " + str(node.get("feature") or
                                         node.get("name") or key))
            for k, v in node.items():
                if "feature" in str(k) and isinstance(v, dict):
                    found.extend(f"no {n}" for n, a in v.items() if a is False)
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
    walk(status)
    return list(dict.fromkeys(found))


def sysctls(lab):
    return {k: lab.sysctl(lab.server_ns, k) for k in SYSCTLS}


def connect(lab, family, count):
    """count connections from the client namespace; the number that
    echoed their payload."""
    _, _, summary = run_client(lab, lab.addresses(family)[0], count,
                               nbytes=PAYLOAD, port=PORT,
                               connect_timeout_ms=4000,
                               conn_timeout_ms=8000, quiet=True)
    return summary.get("ok", 0)


def run_cell(kernel, handoff, attach, log):
    row = {"kernel": kernel, "handoff": handoff, "attach": attach,
           "ok": 0, "total": 0, "flood_ok": 0, "flood_total": 0,
           "fallbacks": [], "self_test": None, "sysctls_restored": None,
           "status": "fail", "reason": "", "detail": ""}
    start = time.monotonic()
    binary = env.synguard()
    sent = 0
    daemon = None
    try:
        with topology.Lab(topology.LabConfig(
                peer_xdp_obj=env.xdp_object(), attacker=True)) as lab:
            nft.drop_pure_syns(lab.server_ns)
            before = sysctls(lab)
            # Listening before synguard starts: the kernel-cookie self-test
            # needs a listener to ask for a cookie.
            server = EchoServer(lab, 4 * CONNECTS, nbytes=PAYLOAD, port=PORT,
                                timeout_ms=120000).start()
            daemon = Synguard(lab, binary, PORT, handoff,
                              extra=("--xdp-mode", attach))
            try:
                daemon.start(timeout=START_TIMEOUT)
            except LabError:
                still_running = daemon.proc.poll() is None
                daemon.stop()
                out = daemon.output()
                if still_running:
                    row["reason"] = (
                        f"daemon not ready after {START_TIMEOUT:.0f} s "
                        f"(still loading?): " + daemon_error(out))
                else:
                    row["reason"] = ("daemon did not start: "
                                     + daemon_error(out))
                row["fallbacks"] = list(dict.fromkeys(logged_fallbacks(out)))
                row["detail"] = verifier_summary(out)
                return row
            log(f"  synguard up ({time.monotonic() - start:.0f} s)")
            try:
                out = daemon.output()
                row["self_test"] = "self-test passed" in out
                row["fallbacks"] = fallbacks(out, lab, binary)
                for family in (4, 6):
                    row["ok"] += connect(lab, family, CONNECTS)
                    row["total"] += CONNECTS
                log(f"  clients: {row['ok']}/{row['total']}")
                procs = flood.start_families(lab, PORT, FLOOD_RATE,
                                             FLOOD_SECONDS)
                try:
                    time.sleep(0.5)
                    for family in (4, 6):
                        row["flood_ok"] += connect(lab, family, CONNECTS)
                        row["flood_total"] += CONNECTS
                finally:
                    sent = 0
                    for p in procs.values():
                        try:
                            sent += flood.summary(p).get("sent", 0)
                        except Exception:  # noqa: BLE001 (ended early)
                            flood.stop(p)
                row["flood_sent"] = sent
                row["ok"] += row["flood_ok"]
                row["total"] += row["flood_total"]
                log(f"  under flood ({sent} spoofed SYNs): "
                    f"{row['flood_ok']}/{row['flood_total']}")
            finally:
                rc = daemon.stop()
                server.stop()
            after = sysctls(lab)
            changed = {k: (before[k], after[k]) for k in SYSCTLS
                       if before[k] != after[k]}
            row["sysctls_restored"] = not changed
            reasons = []
            if rc != 0:
                reasons.append(f"exit status {rc} after SIGTERM: "
                               f"{daemon_error(daemon.output())}")
            if changed:
                reasons.append("sysctls not restored: " + ", ".join(
                    f"{k} {a}->{b}" for k, (a, b) in changed.items()))
            if not row["self_test"]:
                st = [ln for ln in daemon.output().splitlines()
                      if "self-test" in ln]
                reasons.append("self-test did not pass" +
                               (f": {st[-1].strip()[:200]}" if st else ""))
            if row["ok"] != row["total"]:
                reasons.append(f"{row['total'] - row['ok']} of "
                               f"{row['total']} connects failed")
            if sent == 0:
                reasons.append("the flood sent nothing")
            row["reason"] = "; ".join(reasons)
            row["status"] = "ok" if not reasons else "fail"
    except Exception as e:  # noqa: BLE001 (a cell never stops the suite)
        row["reason"] = f"{type(e).__name__}: {first_line(str(e))[:300]}"
        row["detail"] = verifier_summary(str(e)) or \
            traceback.format_exc().splitlines()[-1][:300]
    finally:
        row["seconds"] = round(time.monotonic() - start, 1)
        if daemon is not None and LOG_DIR:
            name = re.sub(r"[^\w.-]+", "_",
                          f"{kernel}-{handoff}-{attach}") + ".log"
            os.makedirs(LOG_DIR, exist_ok=True)
            with open(os.path.join(LOG_DIR, name), "w") as f:
                f.write(daemon.output())
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", default=os.uname().release,
                    help="label of this kernel in the table")
    ap.add_argument("--out", required=True, help="JSON lines, appended")
    ap.add_argument("--attach", default="native,skb")
    ap.add_argument("--logs", help="directory for each cell's daemon output")
    args = ap.parse_args()
    global LOG_DIR
    LOG_DIR = args.logs
    if os.geteuid() != 0:
        print("smoke.py: needs root (namespaces, XDP)", file=sys.stderr)
        return 2

    def log(msg):
        print(f"smoke[{args.kernel}]: {msg}", flush=True)

    cells = [(h, a) for h in handoff_modes() for a in args.attach.split(",")]
    with open(args.out, "a") as out:
        out.write(json.dumps({"plan": [
            {"kernel": args.kernel, "handoff": h, "attach": a}
            for h, a in cells], "release": os.uname().release}) + "\n")
        out.flush()
        failed = 0
        for handoff, attach in cells:
            log(f"{handoff} / {attach}: start")
            row = run_cell(args.kernel, handoff, attach, log)
            row["release"] = os.uname().release
            out.write(json.dumps(row) + "\n")
            out.flush()
            os.fsync(out.fileno())
            failed += row["status"] != "ok"
            log(f"{handoff} / {attach}: {row['status']} "
                f"{row['ok']}/{row['total']} in {row['seconds']} s"
                + (f": {row['reason']}" if row["reason"] else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
