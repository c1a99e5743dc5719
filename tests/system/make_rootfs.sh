#!/usr/bin/env bash
# make_rootfs.sh CACHE_DIR EXTRA_PACKAGES: prints the path of a pristine
# Debian 12 (bookworm) root file system under CACHE_DIR, made once with
# debootstrap from Debian's archive and reused while the package list is the
# same (the key is a hash of it). The system test copies it for each run and
# never boots the cached tree itself.
#
# minbase + systemd: no procps, so a unit that calls /bin/kill fails here as
# it does in a minimal image. EXTRA_PACKAGES (comma-separated) are the .deb's
# own Depends, so that `apt install ./synguard_*.deb` needs no network inside
# the container.
set -euo pipefail
cache=${1:?cache dir}
extra=${2:-}
mirror=${SG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=systemd,systemd-sysv,dbus,iproute2,nftables,ca-certificates
packages=$base${extra:+,$extra}
key=$(printf '%s %s' "$mirror" "$packages" | sha256sum | cut -c1-12)
dir=$cache/bookworm-$key
if [[ -f $dir/.complete ]]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$cache"
rm -rf "$dir.partial"
# Bounded: a stuck mirror fails the run instead of hanging CI.
timeout 600 debootstrap --variant=minbase --include="$packages" bookworm "$dir.partial" "$mirror" \
  >"$cache/debootstrap-$key.log" 2>&1 || {
  echo "make_rootfs.sh: debootstrap failed, see $cache/debootstrap-$key.log" >&2
  tail -5 "$cache/debootstrap-$key.log" >&2
  rm -rf "$dir.partial"
  exit 1
}
# Keep the tree small: apt's downloaded archives are not needed again.
rm -f "$dir.partial"/var/cache/apt/archives/*.deb
touch "$dir.partial/.complete"
# Older trees with another key are left for the operator: CI clones fresh.
mv "$dir.partial" "$dir"
echo "$dir"
