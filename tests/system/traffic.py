#!/usr/bin/env python3
"""Real TCP traffic for the system test, Python standard library only. The
runner starts it with nsenter in a network namespace: `serve` in the
container's (the listeners synguard protects), `loop` and `hold` in the
client namespace. Addresses are the test's own veth; every loop is bounded
in time and count.

  serve PORT...                  echo server on 0.0.0.0:PORT for each port
  loop ADDR PORT[,PORT...]       connect, echo 8 bytes, close, again, round
                                 robin over the ports, until STOP_FILE
                                 exists or --seconds pass; prints one JSON
                                 line {"ok": n, "fail": n, "errors": [...]}
  hold ADDR PORT                 connect, print "connected", wait for a line
                                 on stdin, echo over the same connection,
                                 print JSON {"ok": bool, "error": ...}
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

CONNECT_TIMEOUT = 3.0  # a SYN nobody answers is retransmitted after 1 s, 3 s


def _echo(conn):
    with conn:
        conn.settimeout(30)
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            return


def _accept_loop(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=_echo, args=(conn,), daemon=True).start()


def serve(ports, lifetime):
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(1024)
        threading.Thread(target=_accept_loop, args=(s,), daemon=True).start()
    print("listening", flush=True)
    time.sleep(lifetime)  # the runner kills it long before


def _once(addr, port):
    payload = os.urandom(8)
    with socket.create_connection((addr, port), timeout=CONNECT_TIMEOUT) as c:
        c.settimeout(5)
        c.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = c.recv(64)
            if not chunk:
                raise OSError("connection closed before the echo")
            got += chunk
        if got != payload:
            raise OSError("echo differs")


def loop(addr, ports, seconds, stop_file, pause, max_count):
    ok = fail = 0
    errors = []
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and i < max_count:
        if stop_file and os.path.exists(stop_file):
            break
        port = ports[i % len(ports)]
        i += 1
        t = time.monotonic()
        try:
            _once(addr, port)
            ok += 1
        except OSError as e:
            fail += 1
            if len(errors) < 10:
                errors.append(f"port {port} at +{t - deadline + seconds:.2f}s: {e}")
        time.sleep(pause)
    print(json.dumps({"ok": ok, "fail": fail, "errors": errors}), flush=True)


def hold(addr, port):
    try:
        c = socket.create_connection((addr, port), timeout=CONNECT_TIMEOUT)
    except OSError as e:
        print(json.dumps({"ok": False, "error": f"connect: {e}"}), flush=True)
        return
    print("connected", flush=True)
    sys.stdin.readline()
    try:
        c.settimeout(5)
        c.sendall(b"still-here")
        got = b""
        while len(got) < 10:
            chunk = c.recv(64)
            if not chunk:
                raise OSError("closed by the server")
            got += chunk
        print(json.dumps({"ok": got == b"still-here", "error": None}), flush=True)
    except OSError as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("ports", type=int, nargs="+")
    s.add_argument("--lifetime", type=float, default=900)
    lp = sub.add_parser("loop")
    lp.add_argument("addr")
    lp.add_argument("ports")
    lp.add_argument("--seconds", type=float, default=10)
    lp.add_argument("--stop-file")
    lp.add_argument("--pause", type=float, default=0.05)
    lp.add_argument("--max-count", type=int, default=10000)
    h = sub.add_parser("hold")
    h.add_argument("addr")
    h.add_argument("port", type=int)
    a = ap.parse_args()
    if a.cmd == "serve":
        serve(a.ports, a.lifetime)
    elif a.cmd == "loop":
        loop(a.addr, [int(p) for p in a.ports.split(",")], a.seconds,
             a.stop_file, a.pause, a.max_count)
    else:
        hold(a.addr, a.port)


if __name__ == "__main__":
    main()
