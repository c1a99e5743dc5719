#!/usr/bin/env bash
# The whole test suite: installs what is missing (Debian packages), builds
# everything, runs every CTest label (unit, bpf, integration, bench smoke).
# Run as root on Debian 12: BPF, XDP, TC and network namespaces need it.
#   bash tests/run.sh            # everything
#   bash tests/run.sh -L unit    # extra arguments go to ctest
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SG_BUILD_DIR:-$here/build}

"$here/deploy/install-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
