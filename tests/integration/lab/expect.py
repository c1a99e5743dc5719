"""What the server's accepted socket should look like after a handshake
through synguard, given what the client offered: the rules of the cookie
codec (include/synguard/cookie.h) and of the kernel's own cookies."""

import dataclasses
import math
import re

from . import env

# The kernel's syncookie MSS tables (net/ipv4/syncookies.c,
# net/ipv6/syncookies.c): what kernel-cookie mode rounds the client's MSS to.
KERNEL_MSS = {4: (536, 1300, 1440, 1460), 6: (1220, 1420, 1440, 8940)}
TCPOLEN_TSTAMP_ALIGNED = 12


@dataclasses.dataclass(frozen=True)
class Offer:
    """The client's settings for one connection."""
    ts: bool
    sack: bool
    ws: bool
    ecn: bool = False
    rmem_max: int = 33554432   # the client's net.ipv4.tcp_rmem[2]

    def label(self):
        flags = [n for n, on in (("ts", self.ts), ("sack", self.sack),
                                 ("ws", self.ws), ("ecn", self.ecn)) if on]
        return "+".join(flags) or "none"


def kernel_wscale(tcp_rmem_max, rmem_max):
    """The window scale Linux advertises (tcp_select_initial_window)."""
    space = max(tcp_rmem_max, rmem_max)
    return max(0, min(14, int(math.log2(space)) - 15))


def _default_array(name):
    """A table from CookieSettings' defaults in daemon/config/bpf_config.h,
    the values the daemon loads."""
    header = f"{env.path('SG_SOURCE_DIR')}/daemon/config/bpf_config.h"
    text = open(header).read()
    m = re.search(rf"\b{name}\s*=\s*\{{([^}}]*)\}}", text)
    return tuple(int(x) for x in m.group(1).split(","))


def synguard_tables():
    """(mss tables by family, wscale table): what a cookie carries for a
    client without timestamps (layout A)."""
    return ({4: _default_array("mss_v4"), 6: _default_array("mss_v6")},
            _default_array("wscale"))


def synguard_ts_tables():
    """The 8-entry MSS tables by family for clients with timestamps (layout
    B: the cookie's SACK and window-scale bits carry a finer MSS)."""
    return {4: _default_array("mss_v4_timestamps"),
            6: _default_array("mss_v6_timestamps")}


def cookie_mss(mode, family, client_mss, ts):
    """The MSS a cookie gives the listener for a client's MSS: the kernel's
    table in kernel-cookie mode, synguard's (by layout) in reqsk mode."""
    if mode == "kernel-cookie":
        table = KERNEL_MSS[family]
    elif ts:
        table = synguard_ts_tables()[family]
    else:
        table = synguard_tables()[0][family]
    return round_down(table, client_mss)


def round_down(table, value):
    fits = [t for t in table if t <= value]
    return max(fits) if fits else min(table)


def expected_server(mode, family, mtu, offer, client_ws, server_ws):
    """TCP_INFO fields the server's accepted socket must show."""
    _, ws_table = synguard_tables()
    own_mss = mtu - (40 if family == 4 else 60)
    # Kernel cookies carry options only in the timestamp echo.
    keeps = offer.ts or mode == "reqsk"
    ts = offer.ts
    sack = offer.sack and keeps
    ws = offer.ws and keeps
    if not ws:
        snd_ws = 0
    elif offer.ts:
        snd_ws = client_ws                       # exact, from the TSecr bits
    else:
        snd_ws = round_down(ws_table, client_ws)  # the cookie's 2-bit code
    # The client's MSS = our own (one MTU on the lab's link).
    mss = cookie_mss(mode, family, own_mss, ts)
    ts_len = TCPOLEN_TSTAMP_ALIGNED if ts else 0
    return {
        "ts": ts,
        "sack": sack,
        "wscale": ws,
        "ecn": offer.ecn and offer.ts,
        "snd_wscale": snd_ws,
        "rcv_wscale": server_ws if ws else 0,
        "snd_mss": min(mss, own_mss) - ts_len,
        "advmss": own_mss - ts_len,
    }
