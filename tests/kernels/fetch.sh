#!/usr/bin/env bash
# Fetches the newest Debian kernel package of one series into the cache and
# unpacks it, with its modules indexed (depmod -b) for modprobe and for the
# initramfs. Prints the unpacked tree's directory on stdout (progress goes to
# stderr). Works from an empty cache; a second run only reads the cache.
#
#   fetch.sh CACHE_DIR SERIES        SERIES: 5.10 | 6.1 | 6.12
#
# apt runs with a private configuration (lists, archives and sources all in
# CACHE_DIR/apt), so the machine's own apt state is never touched.
# Debian's archive, the machine's own mirror:
#   5.10  bullseye  linux-image-5.10.0-N-amd64
#   6.1   bookworm  linux-image-6.1.0-N-amd64   (generic flavour: cloud has no 9p)
#   6.12  trixie    linux-image-6.12.N+debM-amd64 (modules under /usr/lib, .ko.xz)
set -euo pipefail

die() { echo "fetch.sh: $*" >&2; exit 1; }
say() { echo "kernels: $*" >&2; }

(($# == 2)) || die "usage: fetch.sh CACHE_DIR SERIES (5.10, 6.1 or 6.12)"
cache=$1
series=$2
mirror=${SG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

case $series in
  5.10) pattern='^linux-image-5\.10\.0-[0-9]+-amd64$' ;;
  6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
  6.12) pattern='^linux-image-6\.12\.[0-9]+(\+deb[0-9]+)?-amd64$' ;;
  *) die "unknown kernel series '$series' (known: 5.10, 6.1, 6.12)" ;;
esac
for tool in apt-get apt-cache dpkg-deb depmod; do
  command -v "$tool" >/dev/null || die "$tool is missing (deploy/install-deps.sh installs it)"
done
[[ -r $keyring ]] || die "$keyring is missing (package debian-archive-keyring)"

aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$cache/debs"
cat >"$aptdir/sources.list" <<EOF
deb [signed-by=$keyring] $mirror bullseye main
deb [signed-by=$keyring] $mirror bookworm main
deb [signed-by=$keyring] $mirror trixie main
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list"
  -o "Dir::Etc::SourceParts=$aptdir/no-parts"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::Cache=$aptdir/cache"
  -o "Dir::State::status=$aptdir/status"
  -o "APT::Architecture=amd64"
  -o "APT::Architectures=amd64"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
mkdir -p "$aptdir/no-parts"
touch "$aptdir/status"
# One fetch at a time per cache (two runs side by side share it).
exec 9>"$cache/.fetch.lock"
flock -w 900 9 || die "another fetch.sh holds $cache/.fetch.lock for 15 minutes"

# The package lists: fetched once, refreshed when older than a day (a
# kernel that left the archive cannot be downloaded any more).
stamp=$aptdir/lists/.updated
if [[ ! -e $stamp ]] || [[ -n $(find "$stamp" -mmin +1440 2>/dev/null) ]]; then
  say "updating the package lists of bullseye, bookworm and trixie (private apt state in $aptdir)"
  timeout 300 apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update failed (mirror $mirror)"
  touch "$stamp"
fi

# Newest package of the series: the ABI number and version grow together,
# so a version sort of the names picks it.
pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-image- | grep -E "$pattern" | sort -V | tail -n 1 || true)
[[ -n $pkg ]] || die "no package matching $pattern in the lists of $mirror"
version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$pkg" | sed -n 's/^Version: //p' | head -n 1)
[[ -n $version ]] || die "no version for $pkg"

tree=$cache/trees/$pkg-$version
if [[ ! -e $tree/.ready ]]; then
  deb=$cache/debs/${pkg}_${version//:/%3a}_amd64.deb
  if [[ ! -f $deb ]]; then
    say "downloading $pkg $version"
    (cd "$cache/debs" && timeout 600 apt-get "${apt_opts[@]}" -qq download "$pkg=$version" >&2) ||
      die "apt-get download $pkg=$version failed"
    [[ -f $deb ]] || die "apt-get download did not leave $deb"
  fi
  say "unpacking $(basename "$deb")"
  rm -rf "$tree"
  mkdir -p "$tree/root"
  dpkg-deb -x "$deb" "$tree/root"
  # Merged /usr (trixie): modules under usr/lib/modules; depmod -b looks in
  # lib/modules, so give the tree the same /lib -> usr/lib link as the host.
  if [[ ! -e $tree/root/lib && -d $tree/root/usr/lib/modules ]]; then
    ln -s usr/lib "$tree/root/lib"
  fi
  kver=$(basename "$(ls -d "$tree"/root/lib/modules/*/ | head -n 1)")
  [[ -f $tree/root/boot/vmlinuz-$kver ]] || die "$deb has no /boot/vmlinuz-$kver"
  [[ -f $tree/root/boot/config-$kver ]] || die "$deb has no /boot/config-$kver"
  depmod -b "$tree/root" "$kver" || die "depmod -b $tree/root $kver failed"
  echo "$kver" >"$tree/kver"
  echo "$pkg $version" >"$tree/package"
  touch "$tree/.ready"
fi
echo "$tree"
