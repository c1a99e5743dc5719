"""Paths the build gives the flood benchmark (tests/bench/flood/CMakeLists.txt
sets them for CTest and writes them to flood_env.sh for the demo)."""

from lab import env


def syn_flood():
    return env.path("SG_SYN_FLOOD")


def connect_loop():
    return env.path("SG_CONNECT_LOOP")


def echo_sink():
    return env.path("SG_ECHO_SINK")


def synguard():
    return env.synguard()


def xdp_object():
    return env.xdp_object()


def xdp_drop_object():
    """The XDP drop-everything floor (bpf/xdp_drop.bpf.c)."""
    return env.path("SG_XDP_DROP_OBJ")
