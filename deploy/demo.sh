#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian packages),
# builds with CMake into build/, then shows synguard absorbing a spoofed SYN
# flood while real clients keep connecting, over IPv4 and IPv6 at once, in
# a lab of network namespaces that it makes and removes itself. The driver
# is deploy/demo/demo.py; the lab code it drives is the test suite's own
# (tests/integration/lab, tests/bench/flood/floodlab; demo.py says why).
# About 20 s of live figures, then a summary per family. Traffic never
# leaves the lab. Every option goes to demo.py.
# Run as root on Debian 12:
#   bash deploy/demo.sh [--seconds N] [--handoff kernel-cookie] [--family 4|6|both]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (it installs packages, and the lab needs namespaces and XDP)" >&2
  exit 1
fi

"$here/deploy/install-deps.sh"
echo "demo.sh: building into $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Only what the demo runs: the daemon (and with it the BPF objects) and the
# lab's tools, not the test suites.
cmake --build "$build" -j "$(nproc)" \
  --target synguard sg_syn_flood sg_connect_loop sg_echo_sink >/dev/null
echo

# Paths to the build's binaries; no Python byte-code in the source tree.
# shellcheck source=/dev/null
. "$build/tests/bench/flood/flood_env.sh"
exec /usr/bin/python3 "$here/deploy/demo/demo.py" "$@"
