"""Paths the build gives the tests (CTest sets them; see
tests/integration/CMakeLists.txt). Nothing is looked up by guessing."""

import os

from .errors import LabError


def path(name):
    value = os.environ.get(name)
    if not value:
        raise LabError(f"{name} is not set: run the tests through CTest "
                       f"(ctest -L integration)")
    if not os.path.exists(value):
        raise LabError(f"{name}={value} does not exist: build first")
    return value


def synguard():
    return path("SG_SYNGUARD")


def echo_server():
    return path("SG_ECHO_SERVER")


def echo_client():
    return path("SG_ECHO_CLIENT")


def xdp_object():
    return path("SG_XDP_OBJ")


def counters_header():
    return os.path.join(path("SG_SOURCE_DIR"), "include", "synguard",
                        "counters.h")


def handoff():
    """The handoff mode under test: reqsk or kernel-cookie."""
    mode = os.environ.get("SG_HANDOFF") or "reqsk"
    if mode not in ("reqsk", "kernel-cookie"):
        raise LabError(f"SG_HANDOFF={mode}: expected reqsk or kernel-cookie")
    return mode


def xdp_mode():
    """The XDP attach mode under test: native (the default) or skb."""
    mode = os.environ.get("SG_XDP_MODE") or "native"
    if mode not in ("native", "skb"):
        raise LabError(f"SG_XDP_MODE={mode}: expected native or skb")
    return mode
