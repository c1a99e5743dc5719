#!/bin/sh
# The chaos soak (tests/chaos/soak.py) with the build's paths:
#   tests/chaos/run.sh [--minutes N] [--seed S] [--handoff reqsk|kernel-cookie]
# BUILD (default: build next to the source) holds synguard and the lab tools.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BUILD:-$src/build}
export SG_SYNGUARD="$build/daemon/synguard"
export SG_ECHO_SERVER="$build/tests/integration/sg_echo_server"
export SG_ECHO_CLIENT="$build/tests/integration/sg_echo_client"
export SG_XDP_OBJ="$build/bpf/sg_peer_pass.bpf.o"
export SG_SYN_FLOOD="$build/tests/bench/flood/sg_syn_flood"
export SG_SOURCE_DIR="$src"
export PYTHONPATH="$src/tests/integration"
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/soak.py" "$@"
