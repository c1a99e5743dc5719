#!/usr/bin/env bash
# Installs everything synguard needs to build, test and run its lab, from
# Debian 12's own archive. Safe to run again.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(
  # build
  cmake make g++ pkg-config clang-19 llvm-19 bpftool libbpf-dev libelf-dev zlib1g-dev
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libmnl-dev
  libsystemd-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev
  # fuzzing runtime for clang-19 (libFuzzer)
  libclang-rt-19-dev
  # lab, tests and benchmarks
  iproute2 nftables iperf3 netsniff-ng curl python3 gnuplot-nox prometheus systemd
  ethtool procps
  # kernel matrix (tests/kernels): Debian kernels under qemu, a busybox initramfs
  # made from their modules (depmod, xz for trixie's .ko.xz), apt-get download
  qemu-system-x86 busybox-static cpio kmod xz-utils debian-archive-keyring file
  # the Debian package (cmake --build build --target package): CPack's DEB
  # generator runs dpkg-shlibdeps (dpkg-dev) on what `file` says is ELF; man
  # pages from scdoc sources; lintian checks the result
  dpkg-dev file scdoc lintian
  # system tests (tests/system): a bookworm container booted by systemd-nspawn
  debootstrap systemd-container
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Prometheus package starts a server on :9090; the tests start their own.
systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
echo "install-deps.sh: all build and test dependencies are installed"
