#!/bin/bash
# PID 1 of a kernel-matrix VM after switch_root (tests/kernels/init): the
# host's root filesystem, read-only under a tmpfs overlay. Mounts what the
# lab and synguard need, loads the lab's modules from the kernel package,
# runs the smoke suite with the settings the host left in
# /run/sgk/guest.env, and powers off whatever happens.
# No -e: as PID 1 this script must reach the power-off whatever fails, and
# says what failed instead.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

results=/run/sgk
log() { echo "sg-guest: $*"; }
finish() {
  sync
  log "powering off"
  echo o >/proc/sysrq-trigger
  sleep 10
  busybox poweroff -f
}
trap finish EXIT

mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname sg-kernel-vm
ip link set lo up

# shellcheck source=/dev/null
source "$results/guest.env" || { log "FAILED: no $results/guest.env"; exit 1; }

# The lab's kernel parts, from the package's modules dir (nft expressions
# and the rest load on demand through /sbin/modprobe); what a kernel builds
# in is not a module and needs no loading.
for m in veth bridge sch_ingress cls_bpf nf_tables; do
  if ! err=$(modprobe "$m" 2>&1); then
    grep -qE "/${m}\.ko" "/lib/modules/$(uname -r)/modules.builtin" ||
      log "modprobe $m failed: $err"
  fi
done
log "kernel $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"

cd "$SG_SOURCE_DIR/tests/kernels" || exit 1
timeout --kill-after=10 "$SG_SMOKE_TIMEOUT" /usr/bin/python3 smoke.py \
  --kernel "$SG_KERNEL_LABEL" --out "$results/results.jsonl" --logs "$results/logs"
log "smoke exit $?"
