#!/usr/bin/env python3
"""A seeded chaos soak (issue 11): synguard protects a port in the lab while
the attacker floods spoofed SYNs over IPv4 and IPv6, real clients open new
connections over both families, and two long-lived connections (one per
family) exchange data. A seeded random schedule applies faults (a kill -9
restarts synguard with `nsenter --net` or, at random, `ip netns exec`; a
reload flips on_crash). After each, the invariant checker compares the live
state (ip/bpftool, tc, sysctls, pins, /run files, metrics) with what the
config and docs/operations.md promise until it holds (the recovery time) or a deadline
passes (each unmet invariant is a violation). A negative control first
(the daemon stopped on purpose) shows the checker can object. At the end:
a table of fault, count, client failures in its window, time to recover,
violations; the seed to replay. Exit 1 on any violation, a long-lived
connection lost, or a client failure outside every fault's window.

    tests/chaos/run.sh [--minutes N] [--seed S] [--handoff reqsk|kernel-cookie]

Every loop is bounded in time; traffic stays in the lab's namespaces."""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

from lab import env, flood, metrics, nft, testing, traffic
from lab.daemon import READY
from lab.run import run

PORT = testing.PORT
EXTRA = PORT + 1            # a port reloads add and remove
FLOOD_PPS = 2000            # per port, split over both families
RECOVER_DEADLINE = 15.0     # seconds for the invariants to hold again
SETTLE = 1.0                # seconds of traffic between faults

# One short connection after another to HOST:PORT, one line per attempt:
# "<unix time> ok" or "<unix time> fail <why>"; bounded by time and count.
CLIENT = textwrap.dedent("""
    import socket, sys, time
""") + traffic.ECHO_ONCE + textwrap.dedent("""
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    end = time.monotonic() + seconds
    for i in range(1000000):
        if time.monotonic() > end:
            break
        t = time.time()
        try:
            echo_once(host, port, 3)
            print(f"{t:.3f} ok", flush=True)
        except OSError as e:
            print(f"{t:.3f} fail {e}", flush=True)
        time.sleep(0.1)
""")


def config_text(l, mode, ports, interfaces=None, garbage=False,
                on_crash="keep_protecting"):
    if garbage:
        return "ports: [\n  - {port: 70000\n"
    lines = [f"interfaces: [{', '.join(interfaces or [l.server_if])}]",
             f"handoff: {mode}",
             f"metrics: {{listen: '{metrics.DEFAULT_LISTEN}'}}",
             f"on_crash: {on_crash}",
             "on_interface_loss: wait",
             # The shortest rotation the config allows, all the time.
             "cookies: {max_age: 4}",
             "secrets: {rotation_interval: 5}",
             "ports:"]
    lines += [f"  - {{port: {p}, engage: always}}" for p in ports]
    return "\n".join(lines) + "\n"


class Daemon:
    """synguard run -c PATH in the server namespace, its output kept."""

    def __init__(self, l, path):
        self.l, self.path, self.lines, self.proc = l, path, [], None
        self.via_exec = False

    def start(self, timeout=20, via_exec=False):
        """via_exec: `ip netns exec` (a private /sys: synguard's own bpffs,
        gone with it) instead of `nsenter --net` (the host's bpffs)."""
        self.lines = []
        argv = [env.synguard(), "run", "-c", self.path]
        self.via_exec = via_exec
        if via_exec:
            self.proc = self.l.spawn(None, ["ip", "netns", "exec",
                                            self.l.server_ns] + argv,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        else:
            self.proc = self.l.spawn(self.l.server_ns, argv,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, args=(self.proc, self.lines),
                         daemon=True).start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(READY in x for x in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("synguard did not start:\n" + "".join(self.lines))

    @staticmethod
    def _read(proc, lines):
        for line in proc.stdout:
            lines.append(line)

    def wait_line(self, needle, start_count, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(needle in x for x in self.lines) > start_count:
                return True
            time.sleep(0.05)
        return False

    def count(self, needle):
        return sum(needle in x for x in self.lines)


class Soak:
    def __init__(self, l, args, tmp):
        self.l, self.args, self.mode = l, args, args.handoff
        self.rng = random.Random(args.seed)
        self.path = os.path.join(tmp, "synguard.yaml")
        self.ports = [PORT]
        self.on_crash = "keep_protecting"
        self.write(self.config())
        self.d = Daemon(l, self.path)
        self.ino = None
        self.rows = {}

    def config(self):
        return config_text(self.l, self.mode, self.ports,
                           on_crash=self.on_crash)

    def keeps_protecting(self):
        """What docs/operations.md promises a crash does now."""
        return self.on_crash == "keep_protecting" and not self.d.via_exec

    def write(self, text):
        with open(self.path + ".new", "w") as f:
            f.write(text)
        os.replace(self.path + ".new", self.path)

    # -- the invariants ------------------------------------------------

    def check(self):
        """Every promise the config and docs/operations.md make about the live state;
        returns the list of those that do not hold."""
        l, bad = self.l, []
        if self.d.proc.poll() is not None:
            return [f"daemon exited {self.d.proc.returncode}"]
        link = l.run(l.server_ns, ["ip", "-d", "-o", "link", "show",
                                   l.server_if], check=False).stdout
        if "prog/xdp" not in link:
            bad.append("no XDP program on the interface (ip link)")
        net = l.run(l.server_ns, ["bpftool", "-j", "net", "show", "dev",
                                  l.server_if], check=False).stdout
        names = []
        try:
            for e in json.loads(net):
                for x in e.get("xdp", []):
                    prog = l.run(l.server_ns, ["bpftool", "-j", "prog", "show",
                                               "id", str(x.get("id"))],
                                 check=False).stdout
                    names.append(json.loads(prog or "{}").get("name", ""))
        except (json.JSONDecodeError, AttributeError):
            pass
        if not any("synguard" in n for n in names):
            bad.append(f"bpftool: XDP program is not synguard's ({names})")
        if self.mode == "reqsk":
            tc = l.run(l.server_ns, ["tc", "filter", "show", "dev",
                                     l.server_if, "ingress"],
                       check=False).stdout
            if "synguard" not in tc and "5347" not in tc:
                bad.append("no synguard TC handoff filter at ingress")
        sc = int(l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies"))
        if (self.mode == "reqsk" and sc < 1) or \
                (self.mode == "kernel-cookie" and sc != 2):
            bad.append(f"tcp_syncookies = {sc}")
        if self.mode == "kernel-cookie" and \
                l.sysctl(l.server_ns, "net.ipv4.tcp_timestamps") != "2":
            bad.append("tcp_timestamps != 2")
        # The host's bpffs: what a start with nsenter pins (one with ip
        # netns exec pins in a private bpffs, invisible here).
        pin = f"/sys/fs/bpf/synguard/{self.ino}/{l.server_if}/xdp_link"
        if not self.d.via_exec:
            if self.on_crash == "keep_protecting" and not os.path.exists(pin):
                bad.append(f"on_crash keep_protecting, but no pinned link {pin}")
            if self.on_crash == "fail_open" and os.path.exists(pin):
                bad.append(f"on_crash fail_open, but the link is pinned at {pin}")
        for f in (f"/run/synguard/{self.ino}.lock",
                  f"/run/synguard/{self.ino}.json"):
            if not os.path.exists(f):
                bad.append(f"missing {f}")
        try:
            st = json.load(open(f"/run/synguard/{self.ino}.json"))
            if st.get("pid") != self.d.proc.pid:
                bad.append(f"state file pid {st.get('pid')} != {self.d.proc.pid}")
            if sorted(p["port"] for p in st.get("ports", [])) != sorted(self.ports):
                bad.append(f"state file ports {st.get('ports')} != {self.ports}")
        except (OSError, ValueError) as e:
            bad.append(f"state file: {e}")
        t0 = time.monotonic()
        try:
            text = metrics.scrape(l)
        except Exception as e:  # noqa: BLE001 - a failed scrape is a finding
            return bad + [f"scrape failed: {str(e).strip().splitlines()[-1]}"]
        if time.monotonic() - t0 > 1.5:
            bad.append(f"scrape took {time.monotonic() - t0:.1f} s")
        for p in self.ports:
            v = metrics.sample(text, "synguard_port_engaged", port=p)
            if v != 1.0:
                bad.append(f"synguard_port_engaged{{port={p}}} = {v}")
        want = 1.0 if self.keeps_protecting() else 0.0
        got = metrics.sample(text, "synguard_crash_keeps_protecting")
        if got != want:
            bad.append(f"synguard_crash_keeps_protecting {got}, want {want} "
                       f"(on_crash {self.on_crash}, "
                       f"{'ip netns exec' if self.d.via_exec else 'nsenter'})")
        for f, proc in self.floods.items():
            if proc.poll() is not None:
                bad.append(f"the IPv{f} flood is not running (exit {proc.returncode})")
        for k in self.keepers:
            if k["proc"].poll() is not None:
                bad.append(f"long-lived IPv{k['family']} connection lost: "
                           f"{''.join(k['lines'][-2:]).strip()}")
        return bad

    def recover(self, t_fault):
        """Polls the invariants until they hold; (seconds, violations)."""
        end = time.monotonic() + RECOVER_DEADLINE
        bad = []
        while time.monotonic() < end:
            bad = self.check()
            if not bad:
                return time.monotonic() - t_fault, []
            time.sleep(0.1)
        return None, bad

    # -- the faults ----------------------------------------------------

    def f_sighup_valid(self):
        self.ports = [PORT] if EXTRA in self.ports else [PORT, EXTRA]
        self.write(self.config())
        n = self.d.count("reloaded ")
        self.d.proc.send_signal(signal.SIGHUP)
        if not self.d.wait_line("reloaded ", n):
            return ["valid reload not applied"]
        return []

    def f_sighup_invalid(self):
        bad_text = self.rng.choice([
            config_text(self.l, self.mode, [PORT],
                        interfaces=[self.l.server_if, "nonexist0"]),
            config_text(self.l, self.mode, [], garbage=True)])
        self.write(bad_text)
        n = self.d.count("reload refused")
        self.d.proc.send_signal(signal.SIGHUP)
        ok = self.d.wait_line("reload refused", n)
        self.write(self.config())
        return [] if ok else ["invalid reload not refused"]

    def restart(self):
        """Both ways of starting, at random. A start that fails is a
        violation; the soak then puts the namespace back (`synguard
        cleanup`) and starts with nsenter, so that it goes on."""
        via_exec = self.rng.random() < 0.3
        try:
            self.d.start(via_exec=via_exec)
            return []
        except RuntimeError:
            why = (self.d.lines[-1] if self.d.lines else "").strip()
        run([env.synguard(), "cleanup"], ns=self.l.server_ns, check=False)
        self.d.start()
        return [f"restart with {'ip netns exec' if via_exec else 'nsenter'} "
                f"failed: {why}"]

    def f_kill9_restart(self):
        # The row names what docs/operations.md promises for this crash: the orphaned
        # program protects, or (fail_open, or pins that die with an
        # `ip netns exec` start) the kernel answers until the restart.
        self.variant = "protecting" if self.keeps_protecting() else "detaches"
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.proc.wait(timeout=10)
        time.sleep(self.rng.uniform(0.2, 2.0))
        return self.restart()

    def f_sighup_on_crash(self):
        self.on_crash = ("fail_open" if self.on_crash == "keep_protecting"
                         else "keep_protecting")
        self.write(self.config())
        n = self.d.count("reloaded ")
        self.d.proc.send_signal(signal.SIGHUP)
        return [] if self.d.wait_line("reloaded ", n) else ["on_crash reload not applied"]

    def f_cleanup_after_crash(self):
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.proc.wait(timeout=10)
        r = run([env.synguard(), "cleanup"], ns=self.l.server_ns, check=False)
        bad = [] if r.returncode == 0 else [f"cleanup exit {r.returncode}: {r.stderr}"]
        return bad + self.restart()

    def f_sigstop_sigcont(self):
        self.d.proc.send_signal(signal.SIGSTOP)
        time.sleep(self.rng.uniform(0.5, 3.0))
        self.d.proc.send_signal(signal.SIGCONT)
        return []

    def f_tc_filter_del(self):
        if self.mode != "reqsk":
            return self.f_sigstop_sigcont()
        self.l.run(self.l.server_ns, ["tc", "filter", "del", "dev",
                                      self.l.server_if, "ingress"], check=False)
        return []

    def f_clsact_del(self):
        self.l.run(self.l.server_ns, ["tc", "qdisc", "del", "dev",
                                      self.l.server_if, "clsact"], check=False)
        return []

    def f_iface_recreate(self):
        self.l.delete_server_link()
        time.sleep(self.rng.uniform(0.1, 1.0))
        self.l.recreate_server_link()
        return []

    def f_mtu_change(self):
        mtu = self.rng.choice([1280, 1400, 1500])
        self.l.run(self.l.server_ns, ["ip", "link", "set", "dev",
                                      self.l.server_if, "mtu", str(mtu)])
        return []

    def f_second_daemon(self):
        r = run([env.synguard(), "run", "-c", self.path], ns=self.l.server_ns,
                check=False, timeout=20)
        if r.returncode != 1 or "another synguard" not in r.stdout + r.stderr:
            return [f"second daemon: exit {r.returncode}: {(r.stdout + r.stderr)[-200:]}"]
        return []

    FAULTS = ["sighup_valid", "sighup_invalid", "sighup_on_crash", "kill9_restart",
              "cleanup_after_crash", "sigstop_sigcont", "tc_filter_del",
              "clsact_del", "iface_recreate", "mtu_change", "second_daemon"]

    # -- traffic -------------------------------------------------------

    def start_traffic(self, seconds):
        l = self.l
        self.clients = []
        for fam in (4, 6):
            p = l.spawn(l.client_ns, ["python3", "-c", CLIENT,
                                      l.addresses(fam)[0], str(PORT),
                                      str(seconds)],
                        stdout=subprocess.PIPE, text=True)
            rec = {"family": fam, "proc": p, "events": []}
            threading.Thread(target=self._client_reader, args=(rec,),
                             daemon=True).start()
            self.clients.append(rec)
        self.keepers = []
        for fam in (4, 6):
            # A socket timeout longer than any fault's outage: TCP
            # retransmits across it.
            p = l.spawn(l.client_ns, ["python3", "-c", traffic.KEEPER,
                                      l.addresses(fam)[0], str(PORT), "20",
                                      str(seconds + 30), "0.2"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True)
            rec = {"family": fam, "proc": p, "lines": []}
            threading.Thread(target=self._keeper_reader, args=(rec,),
                             daemon=True).start()
            self.keepers.append(rec)
        # The generator stops by itself after at most 600 s: restarted as it ends.
        self.flood_seconds = min(seconds + 30, 600)
        self.flood_started = time.monotonic()
        self.floods = flood.start_families(l, PORT, FLOOD_PPS, self.flood_seconds)

    @staticmethod
    def _client_reader(rec):
        for line in rec["proc"].stdout:
            w = line.split(None, 2)
            if len(w) >= 2:
                rec["events"].append((float(w[0]), w[1] == "ok",
                                      w[2].strip() if len(w) > 2 else ""))

    @staticmethod
    def _keeper_reader(rec):
        for line in rec["proc"].stdout:
            if not line.startswith("x "):
                rec["lines"].append(line)

    def failures_between(self, a, b):
        return [(c["family"], t, why) for c in self.clients
                for (t, ok, why) in c["events"] if not ok and a <= t <= b]

    # -- the run -------------------------------------------------------

    def run(self):
        l, a = self.l, self.args
        self.d.start()
        self.ino = os.stat(f"/run/netns/{l.server_ns}").st_ino
        seconds = a.minutes * 60
        self.start_traffic(seconds)
        time.sleep(2)
        base = self.check()
        if base:
            print("invariants do not hold before any fault:", base)
            return 1
        # A negative control, so that a checker that sees nothing cannot
        # pass: with the daemon stopped (and, reqsk, its TC filter deleted)
        # the checker must object; after SIGCONT everything must recover.
        control_start = time.time()
        self.d.proc.send_signal(signal.SIGSTOP)
        if self.mode == "reqsk":
            l.run(l.server_ns, ["tc", "filter", "del", "dev", l.server_if,
                                "ingress"], check=False)
        seen = self.check()
        self.d.proc.send_signal(signal.SIGCONT)
        want = ["scrape failed"] + (["TC handoff filter"]
                                    if self.mode == "reqsk" else [])
        missed = [w for w in want if not any(w in b for b in seen)]
        took, bad = self.recover(time.monotonic())
        print(f"checker control: a stopped daemon gives {seen}; "
              f"recovered after SIGCONT in {took} s", flush=True)
        if missed or bad:
            print(f"checker control failed: missed {missed}, after: {bad}")
            return 1
        time.sleep(SETTLE)
        self.windows = [(control_start, time.time())]
        self.control_fails = len(self.failures_between(*self.windows[0]))
        end = time.monotonic() + seconds
        log = []
        while time.monotonic() < end:
            if time.monotonic() - self.flood_started > self.flood_seconds - 20:
                for fl in self.floods.values():
                    flood.stop(fl)
                self.flood_started = time.monotonic()
                self.floods = flood.start_families(l, PORT, FLOOD_PPS,
                                                   self.flood_seconds)
            name = self.rng.choice(self.FAULTS)
            t_wall, t0 = time.time(), time.monotonic()
            self.variant = None
            direct = getattr(self, "f_" + name)()
            if self.variant:
                name = f"{name} ({self.variant})"
            took, bad = self.recover(t0)
            bad = direct + bad
            time.sleep(SETTLE)
            fails = self.failures_between(t_wall, time.time())
            self.windows.append((t_wall, time.time()))
            row = self.rows.setdefault(name, {"count": 0, "fails": 0,
                                              "recover": [], "violations": 0,
                                              "what": []})
            row["count"] += 1
            row["fails"] += len(fails)
            row["violations"] += len(bad)
            row["what"] += bad
            if took is not None:
                row["recover"].append(took)
            log.append((name, took, bad, fails))
            print(f"[{time.strftime('%H:%M:%S')}] {name}: "
                  f"recovered in {took if took is None else round(took, 2)} s, "
                  f"{len(fails)} client failures, violations {bad}", flush=True)
            if bad and a.stop_on_violation:
                break
        final = self.check()
        for fl in self.floods.values():
            flood.stop(fl)
        kept = []
        for k in self.keepers:
            alive = k["proc"].poll() is None
            try:
                k["proc"].stdin.close()
            except OSError:
                pass
            try:
                rc = k["proc"].wait(timeout=10)
            except subprocess.TimeoutExpired:
                k["proc"].kill()
                rc = None
            kept.append((k["family"], alive and rc == 0, "".join(k["lines"][-2:]).strip()))
        # A failure outside every fault's window (and the control's) has no
        # fault to explain it.
        self.stray = [(c["family"], t, why) for c in self.clients
                      for (t, ok, why) in c["events"]
                      if not ok and not any(a <= t <= b for a, b in self.windows)]
        total_ok = sum(ok for c in self.clients for (_, ok, _) in c["events"])
        total = sum(len(c["events"]) for c in self.clients)
        self.d.proc.send_signal(signal.SIGTERM)
        rc = self.d.proc.wait(timeout=20)
        return self.report(final, kept, total_ok, total, rc)

    def report(self, final, kept, total_ok, total, rc):
        print()
        print(f"seed {self.args.seed}, handoff {self.mode}, "
              f"{self.args.minutes} min, flood {FLOOD_PPS} pps over IPv4+IPv6")
        print(f"| fault | count | client failures in its window | "
              f"time to recover (median / max, s) | invariant violations |")
        print("| --- | --- | --- | --- | --- |")
        violations = 0
        order = {f: i for i, f in enumerate(self.FAULTS)}
        for name in sorted(self.rows, key=lambda n: (order[n.split()[0]], n)):
            r = self.rows[name]
            rec = sorted(r["recover"])
            med = f"{rec[len(rec) // 2]:.2f} / {rec[-1]:.2f}" if rec else "never"
            print(f"| {name} | {r['count']} | {r['fails']} | {med} | {r['violations']} |")
            violations += r["violations"]
        print(f"\nnew connections: {total_ok}/{total} ok; "
              f"long-lived: {kept}; final invariants: {final or 'all hold'}; "
              f"daemon stop exit {rc}")
        print(f"client failures in the checker's control window (daemon "
              f"stopped on purpose): {self.control_fails}; outside every "
              f"window: {len(self.stray)} {self.stray[:5]}")
        for name, r in self.rows.items():
            for w in r["what"]:
                print(f"  violation after {name}: {w}")
        ok = (violations == 0 and not final and all(k[1] for k in kept)
              and rc == 0 and not self.stray)
        print("RESULT:", "PASS" if ok else "FAIL")
        return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--handoff", default=env.handoff() or "reqsk")
    ap.add_argument("--stop-on-violation", action="store_true")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1 << 32)
    print(f"chaos soak seed {a.seed} (replay: --seed {a.seed})", flush=True)
    if os.geteuid() != 0:
        print("the chaos soak needs root (network namespaces, XDP)")
        return testing.SKIP
    import tempfile
    with testing.lab(attacker=True) as l, tempfile.TemporaryDirectory() as tmp:
        nft.allow_loopback(l.server_ns)
        traffic.serve(l, PORT)
        traffic.serve(l, EXTRA)
        return Soak(l, a, tmp).run()


if __name__ == "__main__":
    sys.exit(main())
