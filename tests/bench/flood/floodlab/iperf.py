"""Established-flow throughput with iperf3, client to server, no flood."""

import json
import subprocess
import time

from lab import LabError

IPERF_PORT = 5201


def throughput(flab, seconds, port=IPERF_PORT):
    """Bits per second the server received over one TCP flow."""
    lab = flab.lab
    server = lab.spawn(lab.server_ns, ["iperf3", "-s", "-1", "-p", str(port)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            out = lab.run(lab.server_ns, ["ss", "-Htln",
                                          f"( sport = :{port} )"]).stdout
            if out.strip():
                break
            time.sleep(0.05)
        p = lab.run(lab.client_ns, ["iperf3", "-c", flab.server_ip, "-p",
                                    str(port), "-t", str(seconds), "-J"],
                    check=False, timeout=seconds + 15)
        try:
            result = json.loads(p.stdout)
            return result["end"]["sum_received"]["bits_per_second"]
        except (json.JSONDecodeError, KeyError) as e:
            raise LabError(f"iperf3 gave no result ({e}):\n{p.stdout[-2000:]}"
                           f"{p.stderr[-2000:]}")
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=5)
