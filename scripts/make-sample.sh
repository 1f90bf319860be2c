#!/usr/bin/env bash
# Builds samples/sample-linux.qcow2, the small image the README's first command checks.
#
# A GPT disk with an EFI system partition (vfat) and a Debian-like root filesystem (ext4),
# written with the real tools (sgdisk, mkfs.fat + mcopy, mke2fs -d, qemu-img) from a tree this
# script writes. It is deliberately imperfect: its fstab names a second disk that will not exist,
# and sshd lets root log in with a password, so a check shows failures as well as passes.
#
# Needs: sgdisk, mkfs.fat, mcopy, mke2fs, qemu-img. Run from anywhere; rewrites the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
out=samples/sample-linux.qcow2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root_uuid=4f1b7a8e-3c2d-4e5f-9a6b-7c8d9e0f1a2b
esp_id=2B4C6D8E            # vfat volume id, printed by blkid as 2B4C-6D8E
export E2FSPROGS_FAKE_TIME=1700000000 SOURCE_DATE_EPOCH=1700000000

# The root tree.
r="$work/root"
mkdir -p "$r"/{etc/ssh/sshd_config.d,etc/default,etc/network,boot/efi,usr/bin,usr/lib,usr/sbin,var/log,home/debian,root,tmp}
ln -s usr/bin "$r/bin"
ln -s usr/lib "$r/lib"
ln -s usr/sbin "$r/sbin"
cat > "$r/usr/lib/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
OS
ln -s ../usr/lib/os-release "$r/etc/os-release"
echo "12.8" > "$r/etc/debian_version"
echo "sample" > "$r/etc/hostname"
cat > "$r/etc/fstab" <<FSTAB
# /etc/fstab: static file system information.
# <file system>                            <mount point>  <type>  <options>          <dump> <pass>
UUID=$root_uuid  /              ext4    errors=remount-ro  0      1
UUID=${esp_id:0:4}-${esp_id:4:4}                             /boot/efi      vfat    umask=0077         0      1
/dev/sdb1                                  /data          ext4    defaults           0      2
tmpfs                                      /tmp           tmpfs   defaults           0      0
FSTAB
cat > "$r/etc/ssh/sshd_config" <<'SSHD'
# Sample sshd configuration.
Include /etc/ssh/sshd_config.d/*.conf

Port 22
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
SSHD
cat > "$r/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
GRUB
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n' > "$r/etc/network/interfaces"
printf '0.0 0 0.0\n0\nUTC\n' > "$r/etc/adjtime"
printf 'root:x:0:0:root:/root:/bin/bash\ndebian:x:1000:1000:Debian:/home/debian:/bin/bash\n' > "$r/etc/passwd"
printf 'root:*:19700:0:99999:7:::\ndebian:!:19700:0:99999:7:::\n' > "$r/etc/shadow"
printf 'root:x:0:\nshadow:x:42:\ndebian:x:1000:\n' > "$r/etc/group"
chmod 0640 "$r/etc/shadow"; chown 0:42 "$r/etc/shadow"
chmod 0700 "$r/root"; chown 1000:1000 "$r/home/debian"
chmod 1777 "$r/tmp"
echo "Booted from the imagecheck sample image." > "$r/var/log/README"

# The ESP tree: the stub grub.cfg Debian's grub-efi writes.
e="$work/esp"
mkdir -p "$e/EFI/debian"
cat > "$e/EFI/debian/grub.cfg" <<CFG
search.fs_uuid $root_uuid root
set prefix=(\$root)'/boot/grub'
configfile \$prefix/grub.cfg
CFG

# Filesystems, then the disk. Sizes in MiB; partition 1 starts at 1 MiB.
esp_mib=8; root_mib=40; disk_mib=$((1 + esp_mib + root_mib + 1))
mkfs.fat -F 16 -s 2 -n ESP -i "$esp_id" -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/esp.img" "$e/EFI" ::/
mke2fs -q -t ext4 -L root -U "$root_uuid" -E root_owner=0:0 -d "$r" "$work/root.img" "${root_mib}M"

truncate -s "${disk_mib}M" "$work/disk.raw"
sgdisk --disk-guid=8a2e6f3c-1d4b-4c5a-9e7f-0b1c2d3e4f5a \
  -n 1:1M:+${esp_mib}M -t 1:EF00 -c 1:"EFI System" -u 1:5e1c0a7b-9d3f-4e2a-8b6c-1f2e3d4c5b6a \
  -n 2:0:+${root_mib}M -t 2:8300 -c 2:root -u 2:7d9e1f2a-3b4c-4d5e-8f6a-9b0c1d2e3f4a \
  "$work/disk.raw" >/dev/null
dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc status=none

mkdir -p samples
qemu-img convert -q -c -f raw -O qcow2 "$work/disk.raw" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
