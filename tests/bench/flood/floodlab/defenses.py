"""The defenses the flood benchmark compares, each set up in the server's
namespace of a fresh lab and taken down with it. Each covers both
families: the lab is the same for an IPv4 and an IPv6 flood.

The kernel's settings are shared: net.ipv4.tcp_syncookies governs IPv6
listeners too (tcp_syn_flood_action() and cookie_v6_check() read the
same per-namespace value; the benchmark's v6 rows show it, SyncookiesSent
moves with it), and one inet-family nftables table hooks both families."""

import os
import shutil

from lab.daemon import Synguard
from lab.expect import kernel_wscale
from lab.run import run

from . import paths
from .benchlab import BENCH_NET, BENCH_NET6

METRICS_PORT = 9479
NFT_TABLE = "sgbench_synproxy"


class Defense:
    name = ""
    label = ""
    synguard = False
    floor = False  # drops the flood unanswered, by design

    def setup(self, flab, port):
        pass

    def teardown(self):
        pass


class Floor(Defense):
    """Not a defense: the server drops the flood's sources at its
    interface's ingress hook (nftables netdev), before IP. What this costs
    per SYN is the lab itself: the generator, the bridge, the veth pairs and
    an skb per packet; every other row pays it too."""

    name = "floor"
    label = "floor (dropped at ingress)"
    floor = True

    def setup(self, flab, port):
        lab = flab.lab
        lab.run(lab.server_ns, ["nft", "-f", "-"], input=f"""
table netdev sgbench_floor {{
    chain ingress {{
        type filter hook ingress device "{lab.server_if}" priority -500;
        policy accept;
        ip saddr {BENCH_NET} drop
        ip6 saddr {BENCH_NET6} drop
    }}
}}
""")


class XdpDropFloor(Defense):
    """Not a defense: every frame the server's interface receives is
    dropped by an XDP program that does nothing else, attached natively
    as synguard is (bpf/xdp_drop.bpf.c). The floor synguard is held to:
    the lab's cost with an XDP program on the interface (the veth's NAPI
    poll, no GRO) and no work per SYN. The clients cannot connect."""

    name = "xdp-drop"
    label = "XDP drop-everything floor"
    floor = True
    PROG = "sg_bench_xdp_drop"

    def setup(self, flab, port):
        lab = flab.lab
        pin_dir = f"/sys/fs/bpf/{lab.prefix}-xdpdrop"
        try:
            # The pin is only a handle: the attachment holds the program,
            # which goes with the interface when the lab is deleted.
            run(["bpftool", "prog", "loadall", paths.xdp_drop_object(),
                 pin_dir], timeout=60)
            run(["bpftool", "net", "attach", "xdpdrv", "pinned",
                 os.path.join(pin_dir, self.PROG), "dev", lab.server_if],
                ns=lab.server_ns)
        finally:
            shutil.rmtree(pin_dir, ignore_errors=True)


class KernelOnly(Defense):
    """Only the kernel: tcp_syncookies = 0 (none), 1 or 2."""

    def __init__(self, syncookies):
        self.syncookies = syncookies
        self.name = "none" if syncookies == 0 else f"syncookies={syncookies}"
        self.label = {0: "no defense", 1: "kernel SYN cookies (1)",
                      2: "kernel SYN cookies (2, always)"}[syncookies]

    def setup(self, flab, port):
        flab.lab.sysctl(flab.lab.server_ns, "net.ipv4.tcp_syncookies",
                        self.syncookies)


class NftSynproxy(Defense):
    """The standard recipe: SYNs to the port skip conntrack in raw
    prerouting; in filter input, untracked SYNs and invalid ACKs go to
    synproxy (which answers with its own cookies and replays the handshake
    to the listener once the client's ACK checks out), anything else
    invalid is dropped. nf_conntrack_tcp_loose = 0 so that a stray ACK
    never creates a conntrack entry.

    The table is of the inet family, so the same rules hook IPv4 and IPv6;
    only the MSS differs (the MTU less 40 or 60 bytes of headers), so the
    synproxy rule is written once per family."""

    name = "nft-synproxy"
    label = "nftables synproxy"

    def setup(self, flab, port):
        lab = flab.lab
        ns = lab.server_ns
        # Our wscale must be the one the listener itself would advertise.
        rmem = int(lab.sysctl(ns, "net.ipv4.tcp_rmem").split()[2])
        wscale = kernel_wscale(rmem, int(lab.sysctl(ns, "net.core.rmem_max")))

        def proxy(headers):
            return (f"synproxy mss {flab.mtu - headers} wscale {wscale} "
                    "timestamp sack-perm")
        lab.sysctl(ns, "net.ipv4.tcp_syncookies", 1)
        lab.run(ns, ["nft", "-f", "-"], input=f"""
table inet {NFT_TABLE} {{
    chain prerouting {{
        type filter hook prerouting priority raw; policy accept;
        tcp dport {port} tcp flags syn notrack
    }}
    chain input {{
        type filter hook input priority filter; policy accept;
        meta nfproto ipv4 tcp dport {port} ct state invalid,untracked {proxy(40)}
        meta nfproto ipv6 tcp dport {port} ct state invalid,untracked {proxy(60)}
        ct state invalid drop
    }}
}}
""")
        lab.sysctl(ns, "net.netfilter.nf_conntrack_tcp_loose", 0)


class SynguardDefense(Defense):
    synguard = True

    def __init__(self, handoff):
        self.handoff = handoff
        self.name = f"synguard-{handoff}"
        self.label = f"synguard ({handoff})"
        self.daemon = None

    def setup(self, flab, port, extra_ports=()):
        extra = ["--metrics-listen", f"127.0.0.1:{METRICS_PORT}"]
        for p in extra_ports:
            extra += ["-p", str(p)]
        self.daemon = Synguard(flab.lab, paths.synguard(), port, self.handoff,
                               extra).start()

    def teardown(self):
        """SIGTERM; returns synguard's exit status."""
        if self.daemon is None:
            return None
        rc = self.daemon.stop()
        self.daemon = None
        return rc


def all_defenses():
    return [Floor(), XdpDropFloor(), KernelOnly(0), KernelOnly(1),
            KernelOnly(2),
            NftSynproxy(),
            SynguardDefense("reqsk"), SynguardDefense("kernel-cookie")]


def by_name(names):
    known = {d.name: d for d in all_defenses()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown defense(s) {unknown}; known: "
                         f"{', '.join(known)}")
    return [known[n] for n in names]
