"""The integration lab with an attacker, made ready for floods.

The spoofed sources (198.18.0.0/15 over IPv4, RFC 2544; 2001:2::/48 over
IPv6, RFC 5180) need a route on the server: without one the kernel drops
each SYN as soon as it fails to route the SYN+ACK (tcp_conn_request,
route_req), before any queue or cookie, and a flood without defense would
look free. Real servers have a default route, so the server gets one for
each benchmark range via the attacker's address of that family. The
SYN+ACKs then go to the attacker's namespace, which does not forward
(ip_forward and IPv6 forwarding are 0 in a new namespace, and are set to 0
again here) and drops them: nothing leaves the lab, and every defense pays
the same for its replies.

Both routes are made whatever the flood's family, so that a lab is the same
for both; `family` picks the address the flood and the clients aim at by
default, and server_addr() gives the other (the demo floods both at once).
"""

import json

from lab import Lab, LabConfig
from lab.topology import ATTACKER_V4, ATTACKER_V6, SERVER_V4, SERVER_V6

from . import paths

BENCH_NET = "198.18.0.0/15"
BENCH_NET6 = "2001:2::/48"
FAMILIES = (4, 6)


def bench_net(family):
    """The spoofed sources of a flood of this family."""
    return BENCH_NET6 if family == 6 else BENCH_NET


class FloodLab:
    def __init__(self, mtu=1500, family=4):
        if family not in FAMILIES:
            raise ValueError(f"family must be 4 or 6, not {family!r}")
        self.lab = Lab(LabConfig(peer_xdp_obj=paths.xdp_object(), mtu=mtu,
                                 attacker=True))
        self.family = family
        self.server_ip = self.server_addr(family)
        self.server_mac = None
        self.mtu = mtu

    @staticmethod
    def server_addr(family):
        """The server's address of family (4 or 6)."""
        if family not in FAMILIES:
            raise ValueError(f"family must be 4 or 6, not {family!r}")
        return SERVER_V6 if family == 6 else SERVER_V4

    def __enter__(self):
        self.lab.__enter__()
        try:
            self._prepare()
        except BaseException:
            self.lab.close()
            raise
        return self

    def __exit__(self, *exc):
        self.lab.close()
        return False

    def _prepare(self):
        lab = self.lab
        lab.run(lab.server_ns, ["ip", "route", "add", BENCH_NET, "via",
                                ATTACKER_V4, "dev", lab.server_if])
        lab.run(lab.server_ns, ["ip", "-6", "route", "add", BENCH_NET6, "via",
                                ATTACKER_V6, "dev", lab.server_if])
        # The attacker must neither forward nor answer the SYN+ACKs.
        lab.sysctl(lab.attacker_ns, "net.ipv4.ip_forward", 0)
        lab.sysctl(lab.attacker_ns, "net.ipv6.conf.all.forwarding", 0)
        link = json.loads(lab.run(lab.server_ns, ["ip", "-j", "link", "show",
                                                  lab.server_if]).stdout)
        self.server_mac = link[0]["address"]
