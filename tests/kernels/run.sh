#!/usr/bin/env bash
# The kernel matrix: boots Debian's own kernel packages under qemu, with
# this machine's root filesystem shared read-only over 9p under a tmpfs
# overlay (virtme style), runs the smoke suite (smoke.py) inside each, and
# prints one table: kernel x handoff mode x attach mode -> connects,
# fallbacks taken, time. Exit 0 only if every cell passed.
#
#   tests/kernels/run.sh [--kernels 6.1,6.12] [--all] [--host] [--build DIR]
#
#   --kernels LIST  Debian kernel series to boot (5.10, 6.1, 6.12; default
#                   6.1,6.12; "none" for no VM)
#   --all           5.10, 6.1, 6.12 and the host's kernel
#   --host          the host's own kernel, run on the host without a VM
#                   (alone: only the host; with --kernels: both)
#   --build DIR     the build to test (default $SG_BUILD_DIR, else build/)
#
# Environment: SG_KERNELS_CACHE (downloads and unpacked kernels; default
# BUILD/kernels-cache), SG_VM_TIMEOUT (seconds per VM, default 540),
# SG_KERNELS_ACCEL (tcg, kvm or auto; default tcg: KVM asserted or hung on
# the machine this was written on; auto tries it first, once per cache).
# Root only. Exit 77 when qemu cannot be installed or cannot run at all.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
SKIP=77

say() { echo "kernels: $*"; }
die() { echo "kernels: error: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

kernels=
host=0
build=${SG_BUILD_DIR:-$src/build}
while (($#)); do
  case $1 in
    --kernels) (($# >= 2)) || die "--kernels needs a list"; kernels=$2; shift 2 ;;
    --kernels=*) kernels=${1#*=}; shift ;;
    --all) kernels=5.10,6.1,6.12; host=1; shift ;;
    --host) host=1; shift ;;
    --build) (($# >= 2)) || die "--build needs a directory"; build=$2; shift 2 ;;
    --build=*) build=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
if [[ -z $kernels ]]; then
  ((host)) && kernels=none || kernels=6.1,6.12
fi
[[ $kernels == none ]] && kernels=
IFS=, read -r -a series <<<"$kernels"
for s in "${series[@]}"; do
  case $s in 5.10 | 6.1 | 6.12) ;; *) die "unknown kernel series '$s' (known: 5.10, 6.1, 6.12)" ;; esac
done

[[ $(id -u) -eq 0 ]] || die "run as root (namespaces, XDP, and the VMs' shared root)"
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory $build (cmake -S . -B build && cmake --build build)"
cache=${SG_KERNELS_CACHE:-$build/kernels-cache}
vm_timeout=${SG_VM_TIMEOUT:-540}
logs=$build/kernels-logs
accel=${SG_KERNELS_ACCEL:-tcg}
python=/usr/bin/python3

# What the smoke suite runs: the build's binaries (the guest sees the same
# paths through the shared root).
declare -A paths=(
  [SG_SYNGUARD]=$build/daemon/synguard
  [SG_XDP_OBJ]=$build/bpf/synguard_xdp.bpf.o
  [SG_ECHO_SERVER]=$build/tests/integration/sg_echo_server
  [SG_ECHO_CLIENT]=$build/tests/integration/sg_echo_client
  [SG_SYN_FLOOD]=$build/tests/bench/flood/sg_syn_flood
)
for k in "${!paths[@]}"; do
  [[ -e ${paths[$k]} ]] || die "${paths[$k]} is missing: build first (cmake --build $build)"
done
[[ -x $python ]] || die "$python is missing (Debian's python3)"

tmp=$(mktemp -d /tmp/sg-kernels.XXXXXX)
qemu_pid=
poll_pid=
cleanup() {
  local rc=$?
  if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill -TERM "$qemu_pid" 2>/dev/null || true
    sleep 1
    kill -KILL "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "kernels: interrupted" >&2; exit 130' INT TERM HUP

results=()

write_env() { # FILE LABEL
  {
    for k in "${!paths[@]}"; do printf 'export %s=%q\n' "$k" "${paths[$k]}"; done
    printf 'export SG_SOURCE_DIR=%q\n' "$src"
    printf 'export PYTHONPATH=%q\n' "$src/tests/integration"
    printf 'export PYTHONDONTWRITEBYTECODE=1\n'
    printf 'export SG_KERNEL_LABEL=%q\n' "$2"
    printf 'export SG_SMOKE_TIMEOUT=%q\n' "$((vm_timeout - 45))"
  } >"$1"
}

vm_failure() { # OUTFILE LABEL REASON
  "$python" "$here/table.py" --vm-failure "$2" "$3" >>"$1"
}

# qemu: installed by deploy/install-deps.sh; the one thing whose absence
# makes this a skip rather than a failure.
ensure_qemu() {
  if ! command -v qemu-system-x86_64 >/dev/null; then
    say "qemu-system-x86_64 missing: installing qemu-system-x86"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
      qemu-system-x86 >/dev/null 2>&1 || true
  fi
  if ! command -v qemu-system-x86_64 >/dev/null || ! qemu-system-x86_64 -version >/dev/null 2>&1; then
    echo "kernels: SKIP: qemu-system-x86_64 cannot be installed or does not run" >&2
    exit "$SKIP"
  fi
  for tool in busybox cpio depmod; do
    command -v "$tool" >/dev/null || die "$tool is missing (deploy/install-deps.sh installs busybox-static, cpio, kmod)"
  done
}

# boot TREE LABEL OUTDIR ACCEL: one VM to completion (or its timeout);
# progress lines from its console as they come.
boot() {
  local tree=$1 label=$2 dir=$3 acc=$4 timeout=${5:-$vm_timeout} stage=${6:-$here/guest.sh}
  local kver accel_args
  kver=$(cat "$tree/kver")
  case $acc in
    kvm) accel_args=(-accel kvm -cpu host) ;;
    *) accel_args=(-accel tcg -cpu max) ;;
  esac
  : >"$dir/console.log"
  timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
    -nodefaults -no-user-config -display none -no-reboot \
    "${accel_args[@]}" -smp 2 -m 2048 \
    -kernel "$tree/root/boot/vmlinuz-$kver" -initrd "$dir/initrd.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 mitigations=off rdinit=/init sg.stage=$stage" \
    -serial "file:$dir/console.log" \
    -fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap \
    -device virtio-9p-pci,fsdev=root,mount_tag=root \
    -fsdev "local,id=modules,path=$(readlink -f "$tree/root/lib/modules/$kver"),readonly=on,security_model=none" \
    -device virtio-9p-pci,fsdev=modules,mount_tag=modules \
    -fsdev "local,id=results,path=$dir/out,security_model=none" \
    -device virtio-9p-pci,fsdev=results,mount_tag=results \
    -device virtio-rng-pci \
    >"$dir/qemu.log" 2>&1 &
  qemu_pid=$!
  # Progress: the init's, the guest's and the smoke suite's own lines.
  local seen=0 n rc=0
  while kill -0 "$qemu_pid" 2>/dev/null; do
    sleep 2
    n=$(wc -l <"$dir/console.log")
    if ((n > seen)); then
      sed -n "$((seen + 1)),${n}p" "$dir/console.log" | tr -d '\r' |
        grep -E '^(sg-init|sg-guest|smoke\[)' | sed "s/^/  [$label] /" || true
      seen=$n
    fi
  done
  wait "$qemu_pid" || rc=$?
  qemu_pid=
  tr -d '\r' <"$dir/console.log" | sed -n "$((seen + 1)),\$p" |
    grep -E '^(sg-init|sg-guest|smoke\[)' | sed "s/^/  [$label] /" || true
  return "$rc"
}

# KVM only where it really boots a kernel: a boot whose stage does not
# exist powers off from the initramfs at once. The verdict is cached.
pick_accel() { # TREE
  [[ $accel == auto ]] || { echo "$accel"; return; }
  local verdict=$cache/accel
  if [[ ! -s $verdict ]]; then
    local dir=$tmp/kvm-probe
    mkdir -p "$dir/out"
    bash "$here/initramfs.sh" "$1" "$dir/initrd.gz" >&2
    if [[ -w /dev/kvm ]] && boot "$1" kvm-probe "$dir" kvm 40 /nonexistent >/dev/null 2>&1 &&
      grep -q 'sg-init: root mounted' "$dir/console.log"; then
      echo kvm >"$verdict"
    else
      echo tcg >"$verdict"
    fi
    rm -rf "$dir"
  fi
  cat "$verdict"
}

run_vm() { # SERIES
  local s=$1 dir=$tmp/$1 tree label pkg start rc acc
  mkdir -p "$dir/out"
  local out=$dir/out/results.jsonl
  results+=("$out")
  start=$SECONDS
  say "$s: fetching Debian's kernel package (cache $cache)"
  if ! tree=$(bash "$here/fetch.sh" "$cache" "$s"); then
    vm_failure "$out" "$s" "could not fetch or unpack the $s kernel package"
    return
  fi
  pkg=$(cat "$tree/package")
  label=${pkg#* }
  label=${label%-*}
  say "$s: $pkg, making the initramfs"
  if ! bash "$here/initramfs.sh" "$tree" "$dir/initrd.gz"; then
    vm_failure "$out" "$label" "could not make the initramfs for $pkg"
    return
  fi
  acc=$(pick_accel "$tree")
  write_env "$dir/out/guest.env" "$label"
  say "$s: booting $pkg ($acc, 2 vCPUs, 2 GiB, at most ${vm_timeout} s)"
  rc=0
  boot "$tree" "$label" "$dir" "$acc" || rc=$?
  say "$s: VM ended (qemu exit $rc) after $((SECONDS - start)) s"
  if [[ ! -s $out ]]; then
    local why
    why=$(tr -d '\r' <"$dir/console.log" | grep -E 'sg-init: FAILED|Kernel panic|sg-guest: FAILED' | head -n 1 || true)
    ((rc == 124 || rc == 137)) && why="VM timed out after ${vm_timeout} s${why:+ ($why)}"
    [[ -n $why ]] || why="no result; console ends: $(tr -d '\r' <"$dir/console.log" | grep -v '^\s*$' | tail -n 1)"
    echo "kernels: $s: last console lines:" >&2
    tr -d '\r' <"$dir/console.log" | tail -n 15 | sed 's/^/    /' >&2
    vm_failure "$out" "$label" "$why"
  elif ((rc == 124 || rc == 137)); then
    say "$s: the VM timed out after ${vm_timeout} s; its unfinished cells count as failed"
  fi
  keep_logs "$label" "$dir/console.log" "$dir/out/logs" "$out"
}

# Each cell's daemon output and the VM's console, kept in the build for the
# failures the table names (the run's temporary directory goes at exit).
keep_logs() { # LABEL FILE_OR_DIR...
  local to=$logs/${1// /_}
  shift
  rm -rf "$to"
  mkdir -p "$to"
  local f
  for f in "$@"; do
    if [[ -d $f ]]; then cp -r "$f"/. "$to"/ 2>/dev/null || true; elif [[ -e $f ]]; then cp "$f" "$to"/; fi
  done
}

run_host() {
  local dir=$tmp/host label
  mkdir -p "$dir"
  local out=$dir/results.jsonl
  results+=("$out")
  label="host $(uname -r | cut -d- -f1)"
  say "host: running the smoke suite on $(uname -r) without a VM"
  (
    for k in "${!paths[@]}"; do export "$k=${paths[$k]}"; done
    export SG_SOURCE_DIR=$src PYTHONPATH=$src/tests/integration PYTHONDONTWRITEBYTECODE=1
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    cd "$here"
    timeout --kill-after=10 "$vm_timeout" "$python" smoke.py --kernel "$label" --out "$out" \
      --logs "$dir/logs"
  ) | sed "s/^/  [$label] /" || true
  [[ -s $out ]] || vm_failure "$out" "$label" "the smoke suite wrote no result"
  keep_logs "$label" "$dir/logs" "$out"
}

((${#series[@]})) && ensure_qemu
mkdir -p "$cache"
for s in "${series[@]}"; do
  run_vm "$s"
done
((host)) && run_host

echo
echo "kernel matrix ($(date -u '+%Y-%m-%d %H:%M UTC'), build $build):"
rc=0
"$python" "$here/table.py" "${results[@]}" || rc=$?
echo "(daemon output of every cell, each VM's console and its results: $logs;"
echo " docs/operations.md's rows: tests/kernels/table.py --markdown $logs/*/results.jsonl)"
exit "$rc"
