"""The integration lab with an attacker, made ready for floods.

The spoofed sources (198.18.0.0/15) need a route on the server: without
one the kernel drops each SYN as soon as it fails to route the SYN+ACK
(tcp_conn_request, route_req), before any queue or cookie, and a flood
without defense would look free. Real servers have a default route, so the
server gets one for the benchmark range via the attacker's address. The
SYN+ACKs then go to the attacker's namespace, which does not forward
(ip_forward is 0 in a new namespace) and drops them: nothing leaves the lab,
and every defense pays the same for its replies.
"""

import json

from lab import Lab, LabConfig
from lab.topology import ATTACKER_V4, SERVER_V4

from . import paths

BENCH_NET = "198.18.0.0/15"


class FloodLab:
    def __init__(self, mtu=1500):
        self.lab = Lab(LabConfig(peer_xdp_obj=paths.xdp_object(), mtu=mtu,
                                 attacker=True))
        self.server_ip = SERVER_V4
        self.server_mac = None
        self.mtu = mtu

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
        # The attacker must neither forward nor answer the SYN+ACKs.
        lab.sysctl(lab.attacker_ns, "net.ipv4.ip_forward", 0)
        link = json.loads(lab.run(lab.server_ns, ["ip", "-j", "link", "show",
                                                  lab.server_if]).stdout)
        self.server_mac = link[0]["address"]
