#!/usr/bin/env bash
# Regenerates bpf/vmlinux/<arch>/vmlinux.h from the BTF of Debian's current
# 6.12 kernel (trixie), for x86_64 and arm64, so that building synguard never
# depends on the build host's running kernel. See bpf/vmlinux/README.md.
#
#   bpf/vmlinux/generate.sh              # both architectures
#   bpf/vmlinux/generate.sh arm64        # one
#
# Needs: apt-get, dpkg-deb, bpftool, /usr/bin/python3, and zstd (the amd64
# bzImage payload is zstd-compressed). Network: Debian's archive only.
# Environment: SG_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# SG_DEBIAN_SUITE (trixie), SG_KERNEL_SERIES (6.12).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=${SG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${SG_DEBIAN_SUITE:-trixie}
series=${SG_KERNEL_SERIES:-6.12}
python=/usr/bin/python3

# Types synguard's BPF programs use; a header without them is not kept.
required=(
  'struct bpf_tcp_req_attrs {'
  'enum bpf_func_id {'
  'BPF_FUNC_loop = '
  'struct xdp_md {'
  'struct bpf_sock {'
  'struct tcp_sock {'
)

say() { printf '==> %s\n' "$*"; }
die() { printf 'generate.sh: error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb dpkg bpftool tar; do
  command -v "$tool" >/dev/null || die "'$tool' not found (Debian: apt-get install apt dpkg bpftool tar)"
done
[[ -x $python ]] || die "$python not found (apt-get install python3)"

archs=("$@")
((${#archs[@]})) || archs=(x86_64 arm64)
for arch in "${archs[@]}"; do
  case $arch in x86_64|arm64) ;; *) die "unknown architecture '$arch' (x86_64 or arm64)";; esac
done

work=$(mktemp -d /tmp/sg-vmlinux.XXXXXX)
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when run as root: let it in.
chmod 0755 "$work"

# apt-get/apt-cache with a private configuration: our own sources list and
# state/cache dirs, no host preferences or status, one architecture.
apt_opts() {
  local dir=$1 debarch=$2
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$dir/sources.list" \
    -o "Dir::Etc::SourceParts=$dir/sources.list.d" \
    -o "Dir::Etc::Preferences=/dev/null" \
    -o "Dir::Etc::PreferencesParts=$dir/preferences.d" \
    -o "Dir::State=$dir/state" \
    -o "Dir::State::Lists=$dir/lists" \
    -o "Dir::State::status=$dir/status" \
    -o "Dir::Cache=$dir/cache" \
    -o "Acquire::Languages=none" \
    -o "APT::Architecture=$debarch" \
    -o "APT::Architectures=$debarch" \
    -q
}

# Newest "linux-image-<series>.N(+debNN)-<flavour>" by version.
pick_package() {
  local -n _opts=$1
  local flavour=$2 best='' bestver='' name ver
  local re="^linux-image-${series//./\\.}\\.[0-9]+(\\+deb[0-9]+)?-${flavour}\$"
  while read -r name; do
    [[ $name =~ $re ]] || continue
    ver=$(apt-cache "${_opts[@]}" show "$name" | sed -n 's/^Version: //p' | head -n1)
    [[ -n $ver ]] || continue
    if [[ -z $best ]] || dpkg --compare-versions "$ver" gt "$bestver"; then
      best=$name bestver=$ver
    fi
  done < <(apt-cache "${_opts[@]}" pkgnames "linux-image-$series" | sort)
  [[ -n $best ]] && printf '%s\n' "$best"
}

generate() {
  local arch=$1 debarch flavour
  case $arch in
    x86_64) debarch=amd64 flavour=amd64 ;;
    arm64) debarch=arm64 flavour=arm64 ;;
  esac
  local dir=$work/$debarch
  mkdir -p "$dir"/{sources.list.d,preferences.d,state,lists/partial,cache/archives/partial,dl}
  : >"$dir/status"
  printf 'deb %s %s main\n' "$mirror" "$suite" >"$dir/sources.list"
  local -a opts
  mapfile -t opts < <(apt_opts "$dir" "$debarch")

  say "$arch: apt-get update ($suite main, $debarch) from $mirror"
  apt-get "${opts[@]}" update >"$dir/update.log" 2>&1 || {
    cat "$dir/update.log" >&2
    die "apt-get update failed for $suite/$debarch (network, or no $suite archive key in /etc/apt/trusted.gpg.d: apt-get install debian-archive-keyring)"
  }
  grep -E '^(W|E):' "$dir/update.log" >&2 || true

  local pkg
  pkg=$(pick_package opts "$flavour") ||
    die "no linux-image-$series.*-$flavour package in $suite/main for $debarch"
  say "$arch: newest $series kernel package is $pkg"

  if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$dir/dl"; fi
  local deb='' try
  # The signed package holds the image; fall back to -unsigned only if it does not.
  for try in "$pkg" "$pkg-unsigned"; do
    say "$arch: apt-get download $try"
    (cd "$dir/dl" && apt-get "${opts[@]}" download "$try") >"$dir/download.log" 2>&1 || {
      cat "$dir/download.log" >&2
      die "apt-get download $try failed"
    }
    deb=$(ls "$dir/dl/${try}"_*.deb)
    dpkg-deb -c "$deb" >"$dir/contents"
    if grep -q '\./boot/vmlinuz-' "$dir/contents"; then
      pkg=$try
      break
    fi
    say "$arch: $try has no /boot/vmlinuz-*"
    deb=''
  done
  [[ -n $deb ]] || die "neither $pkg nor $pkg-unsigned holds /boot/vmlinuz-*"

  local ver sha
  ver=$(dpkg-deb -f "$deb" Version)
  sha=$(sha256sum "$deb" | cut -d' ' -f1)
  say "$arch: $(basename "$deb") ($(du -h "$deb" | cut -f1)), sha256 $sha"

  mkdir -p "$dir/root"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards './boot/vmlinuz-*'
  local vmlinuz
  vmlinuz=$(ls "$dir"/root/boot/vmlinuz-*)
  rm -f "$deb"
  say "$arch: extracting BTF from $(basename "$vmlinuz")"
  "$python" "$here/extract_btf.py" "$vmlinuz" "$dir/vmlinux.btf"

  say "$arch: bpftool btf dump format c"
  bpftool btf dump file "$dir/vmlinux.btf" format c >"$dir/body.h" ||
    die "bpftool could not read the BTF extracted from $pkg"

  local want
  for want in "${required[@]}"; do
    grep -qF -- "$want" "$dir/body.h" || die "$arch: '$want' is missing from $pkg's BTF"
  done

  mkdir -p "$here/$arch"
  local out=$here/$arch/vmlinux.h
  {
    printf '/* vmlinux.h for %s from Debian %s (%s), generated by bpf/vmlinux/generate.sh */\n' \
      "$arch" "$pkg" "$ver"
    printf '/* %s %s main, .deb sha256 %s; %s. Do not edit. */\n' \
      "$suite" "$debarch" "$sha" "$(bpftool version | head -n1)"
    cat "$dir/body.h"
  } >"$out.tmp"
  mv "$out.tmp" "$out"
  say "$arch: wrote bpf/vmlinux/$arch/vmlinux.h ($(wc -c <"$out") bytes, $(wc -l <"$out") lines)"
  rm -rf "$dir"
}

for arch in "${archs[@]}"; do
  generate "$arch"
done
say "done"
