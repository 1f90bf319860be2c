#!/usr/bin/env bash
# Builds (or reuses) the cached Debian 12 root tree every real-image fixture is made from.
#
#   debian-root.sh CACHE_DIR      prints the path of the root tarball on stdout
#
# The root is made by mmdebstrap from this machine's own apt sources (the deb822 or one-line
# files under /etc/apt, passed as they are: no mirror is named here). The tarball is keyed by a
# hash of the package list and this script, so a changed list builds a new root and an unchanged
# one costs nothing. The downloaded .debs are kept in CACHE_DIR/debs and fed back in, so a
# rebuild after a list change downloads only what is new.
#
# Besides Debian's own initramfs (initramfs-tools, MODULES=most), the root carries a second one,
# /boot/initrd-novirtio.img-<version>, made by the same mkinitramfs with MODULES=list and the
# modules a SATA host's MODULES=dep would pick (ahci, sd_mod, ext4...) plus nvme, so that only virtio is missing: the "initramfs without
# virtio" fault, made by the real tool. The image script swaps it in for that variant.
#
# Needs: root, mmdebstrap. Takes a few minutes the first time.
set -euo pipefail
cache=${1:?usage: debian-root.sh CACHE_DIR}
mkdir -p "$cache/debs"
here=$(cd "$(dirname "$0")" && pwd)

packages=(
  linux-image-cloud-amd64 initramfs-tools zstd
  grub-pc-bin grub-efi-amd64-bin grub2-common
  systemd-sysv udev dbus kmod ifupdown isc-dhcp-client netbase iproute2
  cloud-init cloud-guest-utils openssh-server
  e2fsprogs xfsprogs lvm2 fdisk
)
# Bump the last word when this script's mmdebstrap options change.
key=$( { printf '%s\n' "${packages[@]}"; cat "$here/debian-customize.sh"; echo options-v1; } | sha256sum | cut -c1-16)
tarball="$cache/debian-bookworm-$key.tar"
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi

# This machine's apt sources, in the order apt reads them.
sources=()
[ -s /etc/apt/sources.list ] && grep -qE '^\s*deb\s' /etc/apt/sources.list && sources+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] || continue
  # Only the Debian archive: third-party repositories (language runtimes, SDKs) are not ours.
  grep -qiE 'debian' "$f" && grep -qiE 'Suites:.*bookworm|deb .*bookworm' "$f" && sources+=("$f")
done
[ "${#sources[@]}" -gt 0 ] || { echo "debian-root: no Debian bookworm apt source on this machine" >&2; exit 1; }

# mmdebstrap picks its output format from the name; a directory lets the image script use the
# tree straight away, and the tarball made from it is what survives in the cache.
tree="$cache/root-$key"
tmp="$tree.tmp"
# A build killed mid-way can leave /proc, /sys, /dev/pts mounted in its tree: never cross them.
if grep -qF " $tmp/" /proc/mounts; then
  echo "debian-root: $tmp still has mounts from an interrupted build; unmount them first" >&2
  exit 1
fi
rm -rf --one-file-system "$tmp"
export SOURCE_DATE_EPOCH=1700000000
# Debian cloud images keep docs; dropping them here only saves fixture space and build time.
mmdebstrap --mode=root --variant=apt --arch=amd64 --format=directory \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --skip=download/empty --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in '$cache/debs' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache/debs'" \
  --customize-hook="$here/debian-customize.sh \"\$1\"" \
  bookworm "$tmp" "${sources[@]}" >&2
tar --numeric-owner --xattrs -C "$tmp" -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
rm -rf "$tree"; mv "$tmp" "$tree"
echo "$tarball"
