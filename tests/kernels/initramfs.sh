#!/usr/bin/env bash
# Makes the guest's initramfs for one unpacked kernel package (fetch.sh):
# busybox-static, the package's own modules that mounting the root needs
# (virtio PCI, 9p over virtio, overlay), in dependency order from the
# package's modules.dep, uncompressed (busybox insmod does not read .ko.xz),
# the package's /boot/config-* (libbpf reads it for __kconfig externs) and
# tests/kernels/init as /init.
#
#   initramfs.sh TREE OUT.cpio.gz
set -euo pipefail

die() { echo "initramfs.sh: $*" >&2; exit 1; }
(($# == 2)) || die "usage: initramfs.sh TREE OUT.cpio.gz"
tree=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
busybox=${SG_BUSYBOX:-/bin/busybox}

[[ -e $tree/.ready ]] || die "$tree is not an unpacked kernel (run fetch.sh)"
command -v cpio >/dev/null || die "cpio is missing (deploy/install-deps.sh installs it)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  die "$busybox is not a static busybox (package busybox-static)"
kver=$(cat "$tree/kver")
moddir=$tree/root/lib/modules/$kver
[[ -f $moddir/modules.dep ]] || die "$moddir/modules.dep missing (depmod -b)"

# What mounting the root needs; a module the package builds in (or, like
# fscache after 6.1, folded into another) is simply not loaded.
wanted=(virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
  netfs fscache 9pnet 9pnet_virtio 9p overlay virtio_rng)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,mods,proc,sys,dev,newroot}

# modules.dep: "path: dep1 dep2 ..."; a module's dependencies are listed
# so that loading them from last to first works. order() emits each
# module after everything it needs, once.
declare -A dep_of=() done=()
while IFS= read -r line; do
  path=${line%%:*}
  name=${path##*/}
  name=${name%%.ko*}
  dep_of[${name//-/_}]=$path:${line#*:}
done <"$moddir/modules.dep"

order=()
visit() {
  local name=$1 entry path d i
  local -a deps
  [[ -n ${done[$name]:-} ]] && return 0
  done[$name]=1
  entry=${dep_of[$name]:-}
  [[ -n $entry ]] || return 0
  path=${entry%%:*}
  read -r -a deps <<<"${entry#*:}"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
    d=${deps[i]##*/}
    d=${d%%.ko*}
    visit "${d//-/_}"
  done
  order+=("$path")
}
for m in "${wanted[@]}"; do
  if [[ -z ${dep_of[$m]:-} ]] && ! grep -qE "/${m//_/[-_]}\.ko" "$moddir/modules.builtin"; then
    echo "initramfs.sh: $kver has no module $m (neither loadable nor built in; not needed there)" >&2
  fi
  visit "$m"
done

: >"$work/modules.order"
for path in "${order[@]}"; do
  name=$(basename "$path")
  case $name in
    *.ko.xz) xz -dc "$moddir/$path" >"$work/mods/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$work/mods/${name%.zst}" ;;
    *.ko) cp "$moddir/$path" "$work/mods/$name" ;;
    *) die "unexpected module file $path" ;;
  esac
  echo "${name%%.ko*}.ko" >>"$work/modules.order"
done

cp "$busybox" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init"
cp "$tree/root/boot/config-$kver" "$work/config-$kver"
echo "$kver" >"$work/kver"
(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
