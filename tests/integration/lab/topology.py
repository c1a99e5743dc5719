"""The lab's namespaces, veth pairs and addresses.

Without an attacker: client <-veth-> server. With one, a hub namespace
holds a bridge so that the client's and the attacker's traffic both arrive
on the server's one interface, the one synguard protects:

    client --veth--+
                   hub (bridge) --veth-- server
    attacker -veth-+

The peer of the server's interface (in the client or hub namespace) gets an
XDP_PASS program: on veth, native XDP_TX frames are dropped unless the peer
runs XDP too (docs/design.md, facts of the platform).
"""

import dataclasses
import json
import os
import random
import signal
import string
import subprocess

from . import peer_xdp
from .cleanup import CLEANUP
from .errors import LabError
from .run import run, sysctl, in_ns

SERVER_V4, CLIENT_V4, ATTACKER_V4 = "10.200.0.1", "10.200.0.2", "10.200.0.3"
SERVER_V6, CLIENT_V6, ATTACKER_V6 = ("fd00:5347::1", "fd00:5347::2",
                                     "fd00:5347::3")
PREFIX_V4, PREFIX_V6 = 24, 64


@dataclasses.dataclass
class LabConfig:
    peer_xdp_obj: str           # build/bpf/synguard_xdp.bpf.o
    mtu: int = 1500
    attacker: bool = False


def _unique_prefix():
    # "sg" + pid + 3 random characters: at most 10, so that a suffix of
    # up to 5 keeps interface names within IFNAMSIZ - 1 = 15.
    rand = "".join(random.choices(string.ascii_lowercase + string.digits,
                                  k=3))
    return f"sg{os.getpid() % 100000}{rand}"


class Lab:
    def __init__(self, config):
        self.config = config
        self.prefix = _unique_prefix()
        self.server_ns = f"{self.prefix}-srv"
        self.client_ns = f"{self.prefix}-cli"
        self.attacker_ns = f"{self.prefix}-atk" if config.attacker else None
        self.hub_ns = f"{self.prefix}-hub" if config.attacker else None
        self.server_if = f"{self.prefix}s"
        self.client_if = f"{self.prefix}c"
        self.attacker_if = f"{self.prefix}a" if config.attacker else None
        self._tokens = []
        self._procs = []
        self._server_peer = None  # (namespace, ifname): the server veth's peer
        self._server_macs = None  # (server, peer) MACs while it is deleted

    # -- life cycle ---------------------------------------------------

    def __enter__(self):
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Stops what the lab started and removes what it made. Idempotent."""
        while self._tokens:
            CLEANUP.pop(self._tokens.pop())

    def _undo(self, description, action):
        self._tokens.append(CLEANUP.push(description, action))

    def _build(self):
        namespaces = [self.server_ns, self.client_ns]
        if self.config.attacker:
            namespaces += [self.attacker_ns, self.hub_ns]
        for ns in namespaces:
            self._undo(f"delete netns {ns}",
                       lambda ns=ns: run(["ip", "netns", "del", ns],
                                         check=False))
            run(["ip", "netns", "add", ns])
            run(["ip", "link", "set", "lo", "up"], ns=ns)
        # Processes go before namespaces (cleanup runs newest first).
        self._undo("stop lab processes", self._stop_processes)

        if self.config.attacker:
            hub_server = f"{self.prefix}hs"
            self._veth(self.server_ns, self.server_if, self.hub_ns, hub_server)
            self._veth(self.client_ns, self.client_if, self.hub_ns,
                       f"{self.prefix}hc")
            self._veth(self.attacker_ns, self.attacker_if, self.hub_ns,
                       f"{self.prefix}ha")
            bridge = f"{self.prefix}br"
            run(["ip", "link", "add", bridge, "type", "bridge"],
                ns=self.hub_ns)
            run(["ip", "link", "set", bridge, "mtu", str(self.config.mtu),
                 "up"], ns=self.hub_ns)
            for port in ("hs", "hc", "ha"):
                run(["ip", "link", "set", f"{self.prefix}{port}", "master",
                     bridge], ns=self.hub_ns)
            server_peer = (self.hub_ns, hub_server)
        else:
            self._veth(self.server_ns, self.server_if, self.client_ns,
                       self.client_if)
            server_peer = (self.client_ns, self.client_if)
        self._server_peer = server_peer

        self._address(self.server_ns, self.server_if, SERVER_V4, SERVER_V6)
        self._address(self.client_ns, self.client_if, CLIENT_V4, CLIENT_V6)
        if self.config.attacker:
            self._address(self.attacker_ns, self.attacker_if, ATTACKER_V4,
                          ATTACKER_V6)
        peer_xdp.attach_pass(self.config.peer_xdp_obj, *server_peer,
                             pin_name=f"{self.prefix}-peer")

    def _veth(self, ns_a, if_a, ns_b, if_b, macs=None):
        # Both ends are made inside their namespaces: nothing ever appears
        # in the host's.
        mac_a, mac_b = (["address", macs[0]], ["address", macs[1]]) \
            if macs else ([], [])
        run(["ip", "link", "add", if_a, "netns", ns_a, "mtu",
             str(self.config.mtu), *mac_a, "type", "veth", "peer", "name",
             if_b, "netns", ns_b, "mtu", str(self.config.mtu), *mac_b])
        run(["ip", "link", "set", if_a, "up"], ns=ns_a)
        run(["ip", "link", "set", if_b, "up"], ns=ns_b)

    @staticmethod
    def _address(ns, ifname, v4, v6):
        run(["ip", "addr", "add", f"{v4}/{PREFIX_V4}", "dev", ifname], ns=ns)
        # nodad: usable at once, no two-second duplicate detection.
        run(["ip", "-6", "addr", "add", f"{v6}/{PREFIX_V6}", "dev", ifname,
             "nodad"], ns=ns)

    # -- the server's link going away and coming back ---------------------

    def delete_server_link(self):
        """Deletes the server's veth (its peer goes with it, and every XDP
        program and qdisc on both), as an operator or a container runtime
        would. recreate_server_link() makes it again."""
        peer_ns, peer_if = self._server_peer
        self._server_macs = (self._mac(self.server_ns, self.server_if),
                             self._mac(peer_ns, peer_if))
        run(["ip", "link", "del", self.server_if], ns=self.server_ns)

    def recreate_server_link(self):
        """The server's veth pair again as the lab first made it: same names,
        MTU, MAC addresses (so neighbours' caches and a flood's --dst-mac
        stay right), addresses, bridge port (with an attacker) and the peer's
        XDP_PASS program. The kernel gives it a new ifindex. Nothing new to
        clean up: it lives in the lab's namespaces like the first one."""
        if self._server_macs is None:
            raise LabError("recreate_server_link() before "
                           "delete_server_link()")
        peer_ns, peer_if = self._server_peer
        self._veth(self.server_ns, self.server_if, peer_ns, peer_if,
                   macs=self._server_macs)
        if self.config.attacker:
            run(["ip", "link", "set", peer_if, "master", f"{self.prefix}br"],
                ns=peer_ns)
        self._address(self.server_ns, self.server_if, SERVER_V4, SERVER_V6)
        if not self.config.attacker:
            self._address(self.client_ns, self.client_if, CLIENT_V4, CLIENT_V6)
        peer_xdp.attach_pass(self.config.peer_xdp_obj, peer_ns, peer_if,
                             pin_name=f"{self.prefix}-peer")
        self._server_macs = None

    def ifindex(self, ns, ifname):
        """ifindex of ifname in ns, or None when there is no such link."""
        p = run(["ip", "-j", "link", "show", ifname], ns=ns, check=False)
        return json.loads(p.stdout)[0]["ifindex"] if p.returncode == 0 \
            else None

    @staticmethod
    def _mac(ns, ifname):
        out = run(["ip", "-j", "link", "show", ifname], ns=ns).stdout
        return json.loads(out)[0]["address"]

    # -- helpers for tests ----------------------------------------------

    def addresses(self, family):
        """(server, client) addresses of family 4 or 6."""
        if family == 4:
            return SERVER_V4, CLIENT_V4
        return SERVER_V6, CLIENT_V6

    def sysctl(self, ns, name, value=None):
        return sysctl(ns, name, value)

    def run(self, ns, argv, **kw):
        return run(argv, ns=ns, **kw)

    def spawn(self, ns, argv, **popen_kw):
        """Starts argv in ns in its own process group; the lab stops it."""
        p = subprocess.Popen(in_ns(ns, argv), start_new_session=True,
                             **popen_kw)
        self._procs.append(p)
        return p

    def _stop_processes(self):
        # SIGTERM first: a synguard stopped this way detaches and removes its
        # pins; SIGKILL only for what does not stop within a few seconds.
        for p in self._procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self._procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for p in self._procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    raise LabError(f"process {p.pid} did not die")
        self._procs.clear()
