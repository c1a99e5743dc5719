"""Readings taken during a flood, without starting a process each time:

- CPU: /proc/stat of the whole machine. Every namespace shares the host's
  CPUs, and the generator, the bridge and the server all run there, so the
  figure is the machine's (system + softirq + irq), generator included.
- The server's interface and TCP counters: /proc/PID/net/{dev,netstat,snmp}
  of a process inside the server's namespace show that namespace's view.
- synguard's counters: its Prometheus endpoint, fetched from inside the
  server's namespace.
- The attacker's interface, and the IPv4 and IPv6 packets its namespace
  received (Ip.InReceives, Ip6InReceives): the replies to the spoofed
  sources, per family. synguard's counters do not tell the families apart;
  these do, at no cost to the server.
"""

import dataclasses
import os
import time

from lab import metrics

from . import netns_http

HZ = os.sysconf("SC_CLK_TCK")
_STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq",
                "steal")
# The kernel counters worth keeping per defense.
TCP_KEYS = ("TcpExt.SyncookiesSent", "TcpExt.SyncookiesRecv",
            "TcpExt.SyncookiesFailed", "TcpExt.ListenDrops",
            "TcpExt.ListenOverflows", "TcpExt.TCPReqQFullDrop",
            "TcpExt.TCPReqQFullDoCookies", "Tcp.PassiveOpens",
            # Tcp.* counts both families (there is no Tcp6 MIB): what the
            # server's TCP took in, and what it refused for a bad checksum.
            "Tcp.InSegs", "Tcp.InErrs", "Tcp.InCsumErrors", "Tcp.OutRsts")


def cpu_seconds():
    """{"user": s, "system": s, ...} summed over all CPUs, in seconds."""
    with open("/proc/stat") as f:
        values = f.readline().split()[1:1 + len(_STAT_FIELDS)]
    return {k: int(v) / HZ for k, v in zip(_STAT_FIELDS, values)}


def netdev(pid, ifname):
    """rx/tx packet and drop counters of ifname, as seen from pid's netns."""
    with open(f"/proc/{pid}/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == ifname:
                v = [int(x) for x in rest.split()]
                return {"rx_packets": v[1], "rx_dropped": v[3],
                        "tx_packets": v[9], "tx_dropped": v[11]}
    raise KeyError(f"{ifname} not in /proc/{pid}/net/dev")


def ip_received(pid):
    """{4: n, 6: n}: IP packets other than ICMP that pid's netns took in,
    per family (counted on arrival, before it finds that they are not for
    it). ICMP is left out so that neighbour discovery does not count."""
    with open(f"/proc/{pid}/net/snmp") as f:
        lines = f.read().splitlines()
    v4 = {}
    for names, values in zip(lines[0::2], lines[1::2]):
        proto = names.split(":")[0]
        for k, v in zip(names.split()[1:], values.split()[1:]):
            v4[f"{proto}.{k}"] = int(v)
    with open(f"/proc/{pid}/net/snmp6") as f:
        v6 = dict((n, int(v)) for n, v in (line.split() for line in f))
    return {4: v4["Ip.InReceives"] - v4["Icmp.InMsgs"],
            6: v6["Ip6InReceives"] - v6["Icmp6InMsgs"]}


def tcp_counters(pid):
    out = {}
    for name in ("netstat", "snmp"):
        with open(f"/proc/{pid}/net/{name}") as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[0::2], lines[1::2]):
            proto, names = names.split(":", 1)
            _, values = values.split(":", 1)
            for k, v in zip(names.split(), values.split()):
                key = f"{proto}.{k}"
                if key in TCP_KEYS:
                    out[key] = int(v)
    return out


def _total(samples, name, **labels):
    """Sum of name's samples whose labels include labels."""
    return sum(metrics.series(samples, name, **labels))


def synguard_counters(ns, metrics_port, port):
    text = netns_http.get(ns, f"http://127.0.0.1:{metrics_port}/metrics")
    s = metrics.parse(text)
    out = {
        "syns": _total(s, "synguard_port_syns_total", port=str(port)),
        "synacks": _total(s, "synguard_synacks_sent_total"),
        "drops": _total(s, "synguard_packets_total", verdict="drop"),
        "handoffs_ok": _total(s, "synguard_handoffs_total", result="ok"),
        "cookie_valid": _total(s, "synguard_cookie_acks_total",
                                   result="valid"),
    }
    # Every reason and handoff result too: what a failed handshake left.
    for (name, labels), v in s.items():
        lb = dict(labels)
        if name == "synguard_packets_total":
            out[f"xdp_{lb['verdict']}_{lb['reason']}"] = v
        elif name == "synguard_handoffs_total":
            out[f"handoff_{lb['result']}"] = v
    return out


@dataclasses.dataclass
class Snapshot:
    t: float
    cpu: dict
    iface: dict
    tcp: dict
    synguard: dict  # empty without synguard
    attacker: dict  # the attacker's interface and ip_received() under
                    # "ip_in"; empty without a pid in its namespace


def snapshot(flab, server_pid, metrics=None, attacker_pid=None):
    """metrics: (metrics_port, protected_port) when synguard runs;
    attacker_pid: a process in the attacker's namespace (the generator)."""
    lab = flab.lab
    sg = synguard_counters(lab.server_ns, *metrics) if metrics else {}
    atk = {}
    if attacker_pid:
        atk = netdev(attacker_pid, lab.attacker_if)
        atk["ip_in"] = ip_received(attacker_pid)
    return Snapshot(time.monotonic(), cpu_seconds(),
                    netdev(server_pid, lab.server_if),
                    tcp_counters(server_pid), sg, atk)


def rates(a, b):
    """What happened between two snapshots, per second and per SYN."""
    dt = b.t - a.t
    cpu = {k: b.cpu[k] - a.cpu[k] for k in a.cpu}
    busy_kernel = cpu["system"] + cpu["softirq"] + cpu["irq"]
    total = sum(cpu.values())
    rx = b.iface["rx_packets"] - a.iface["rx_packets"]
    tx = b.iface["tx_packets"] - a.iface["tx_packets"]
    out = {
        "seconds": dt,
        "rx_pps": rx / dt,
        "tx_pps": tx / dt,
        "rx_dropped": b.iface["rx_dropped"] - a.iface["rx_dropped"],
        "cpu_kernel_seconds": busy_kernel,
        "cpu_kernel_share": busy_kernel / total if total else 0.0,
        "cpu_busy_share": 1 - (cpu["idle"] + cpu["iowait"]) / total
        if total else 0.0,
        "cpu_user_seconds": cpu["user"] + cpu["nice"],
        "tcp": {k: b.tcp.get(k, 0) - a.tcp.get(k, 0) for k in b.tcp},
    }
    if a.attacker and b.attacker:
        # What the generator put on the wire in this very window.
        out["offered_pps"] = (b.attacker["tx_packets"] -
                              a.attacker["tx_packets"]) / dt
        # What came back to the spoofed sources, per family: the flood's
        # SYN+ACKs (the legit clients' go to the client's namespace).
        out["returned"] = {f: b.attacker["ip_in"][f] - a.attacker["ip_in"][f]
                           for f in a.attacker["ip_in"]}
    if a.synguard and b.synguard:
        sg = {k: b.synguard[k] - a.synguard[k] for k in a.synguard}
        out["synguard"] = sg
        out["syn_pps"] = sg["syns"] / dt
        out["synack_pps"] = sg["synacks"] / dt
    else:
        # Without synguard the server's rx is the flood plus a few legit
        # packets, and its tx is mostly SYN+ACKs (kernel or synproxy).
        out["syn_pps"] = out["rx_pps"]
        out["synack_pps"] = out["tx_pps"]
    syns = out["syn_pps"] * dt
    out["cpu_us_per_syn"] = busy_kernel * 1e6 / syns if syns else None
    return out
