"""What the tests measure: the kernel's TCP counters and sockets in a
namespace, and synguard's own per-reason counters read from its BPF map."""

import json
import re

from . import env
from .errors import LabError
from .run import run


def snmp(ns):
    """{"TcpExt.SyncookiesSent": n, "Tcp.PassiveOpens": n, ...} for ns."""
    out = {}
    for f in ("/proc/net/netstat", "/proc/net/snmp"):
        lines = run(["cat", f], ns=ns).stdout.splitlines()
        # Pairs of lines: "Proto: names..." then "Proto: values...".
        for names, values in zip(lines[0::2], lines[1::2]):
            proto, names = names.split(":", 1)
            _, values = values.split(":", 1)
            for k, v in zip(names.split(), values.split()):
                out[f"{proto}.{k}"] = int(v)
    return out


def delta(before, after, keys):
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys}


def sockets(ns, state, port):
    """Lines of `ss` for TCP sockets in state with local port."""
    out = run(["ss", "-Htn", "state", state, f"( sport = :{port} )"],
              ns=ns).stdout
    return [line for line in out.splitlines() if line.strip()]


def reason_names():
    """sg_reason names in enum order, from include/synguard/counters.h."""
    with open(env.counters_header()) as f:
        text = f.read()
    return re.findall(r"^\s*X\((\w+),", text, re.M)


class SynguardCounters:
    """synguard's per-CPU reason counters, found through the XDP program
    attached to the server's interface (several daemons may run at once on
    this host, each in its own lab)."""

    def __init__(self, lab):
        self.names = reason_names()
        self.map_id = self._find(lab)

    @staticmethod
    def _find(lab):
        net = json.loads(run(["bpftool", "-j", "net", "show", "dev",
                              lab.server_if], ns=lab.server_ns).stdout)
        prog_ids = [x["id"] for entry in net for x in entry.get("xdp", [])]
        for pid in prog_ids:
            prog = json.loads(run(["bpftool", "-j", "prog", "show", "id",
                                   str(pid)]).stdout)
            for mid in prog.get("map_ids", []):
                m = json.loads(run(["bpftool", "-j", "map", "show", "id",
                                    str(mid)]).stdout)
                if m.get("name", "").startswith("sg_counters"):
                    return mid
        raise LabError(f"no synguard counters map behind the XDP program "
                       f"on {lab.server_if}")

    def read(self):
        """{"PASS_SOCKET": n, "DROP_BAD_MAC": n, ...} summed over CPUs."""
        dump = json.loads(run(["bpftool", "-j", "map", "dump", "id",
                               str(self.map_id)]).stdout)
        out = {}
        for entry in dump:
            # With BTF: {"key": 3, "values": [{"cpu": 0, "value": 5}, ...]};
            # "formatted" variants nest it once more.
            e = entry.get("formatted", entry)
            key = e["key"]
            key = key if isinstance(key, int) else _le_int(key)
            total = 0
            for v in e["values"]:
                val = v["value"]
                total += val if isinstance(val, int) else _le_int(val)
            if key < len(self.names):
                out[self.names[key]] = total
        return out


def _le_int(hex_bytes):
    # bpftool without BTF prints ["0x01", "0x00", ...], little-endian.
    return int.from_bytes(bytes(int(b, 16) for b in hex_bytes), "little")
