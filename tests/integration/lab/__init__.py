"""synguard's test lab: network namespaces joined by veth pairs.

A Lab makes a server namespace and a client namespace (and optionally an
attacker namespace), with unique names per run, addresses from test-only
ranges (10.200.0.0/24, fd00:5347::/64) that exist only inside them, the
XDP_PASS program native XDP_TX on veth needs on the peer, and an optional
MTU. Everything it makes is removed on every exit path: the context manager,
atexit, and SIGINT/SIGTERM/SIGHUP handlers. Traffic never leaves the lab.
"""

from .topology import Lab, LabConfig
from .cleanup import CLEANUP
from .errors import LabError

__all__ = ["Lab", "LabConfig", "CLEANUP", "LabError"]
