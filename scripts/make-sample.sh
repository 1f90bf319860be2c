#!/usr/bin/env bash
# Builds samples/sample-linux.qcow2, the small image the README's first command checks.
#
# A 50 MiB GPT disk: partition 1 an EFI system partition (FAT16, volume id 2B4C-6D8E, label ESP),
# partition 2 an ext4 root (label root). Every file in it is a real Debian 12 file, copied out
# of the real-images builder's ext4-uefi image (plugins/linux/test/images/debian-images.sh:
# mmdebstrap bookworm root, grub.cfg written by that build from grub-mkconfig's 00_header and
# 10_linux templates, the ESP's stub grub.cfg and grubx64.efi from the guest's grub-mkimage),
# with that image's filesystem UUIDs rewritten to this disk's. Only a selection is copied, so the
# sample stays about 1 MB: /etc configuration, dash and systemd (for the ELF header), kernel
# module metadata and /boot/config-<version>, cloud-init's entry points and units; no kernel
# image and no initramfs, so the kernel and driver items fail or cannot be decided, honestly.
#
# Deliberate faults, which tests depend on (keep their line numbers):
#   /etc/fstab line 5              /dev/sdb1 /data: a second disk this image does not have
#   /etc/ssh/sshd_config line 5    PermitRootLogin yes
# Other fixed features the tests read: /etc/shadow 0640 0:42, /etc/os-release a symlink to
# ../usr/lib/os-release (ID=debian), the ESP's EFI/debian/grub.cfg (it `configfile`s), 50 MiB.
#
# Needs: root, and what debian-images.sh needs the first time (mmdebstrap and the Debian apt
# sources; about two minutes for the root, more for the image; both are then cached under
# .fixtures-cache/linux-debian, or $IMAGECHECK_FIXTURE_CACHE/linux-debian), plus debugfs,
# mtools, mkfs.fat, mke2fs, sgdisk, qemu-img. Run from anywhere; rewrites the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
out=samples/sample-linux.qcow2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root_uuid=4f1b7a8e-3c2d-4e5f-9a6b-7c8d9e0f1a2b
esp_id=2B4C6D8E # vfat volume id, printed by blkid as 2B4C-6D8E
esp_uuid="${esp_id:0:4}-${esp_id:4:4}"
export E2FSPROGS_FAKE_TIME=1700000000 SOURCE_DATE_EPOCH=1700000000
MiB=1048576

# The source image and the ids it was made with.
cache="${IMAGECHECK_FIXTURE_CACHE:-$PWD/.fixtures-cache}/linux-debian"
manifest=$(bash plugins/linux/test/images/debian-images.sh "$cache" ext4-uefi | tail -1)
json() { node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[process.argv[2]]))' "$manifest" "$1"; }
src_dir=$(json dir)
kver=$(json kernelVersion)
src_root_uuid=$(json rootUuid)
src_esp_uuid=$(json espUuid)
src_raw="$work/src.raw"
qemu-img convert -q -f qcow2 -O raw "$src_dir/ext4-uefi.qcow2" "$src_raw"
# Partition starts from the source's own GPT (sgdisk -i prints "First sector: N (at ...)").
first() { sgdisk -i "$1" "$src_raw" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
src_esp="$src_raw@@$(($(first 1) * 512))"
src_fs="$src_raw?offset=$(($(first 2) * 512))"

# The root tree: each path copied with debugfs, which keeps mode, owner and symlinks.
r="$work/root"
mkdir -p "$r"
take() { # GUEST_PATH...: a file, symlink or whole directory, into the same place under $r
  local p d
  for p in "$@"; do
    d="$r$(dirname "$p")"
    mkdir -p "$d"
    debugfs -R "rdump $p $d" "$src_fs" 2>"$work/debugfs.log" >/dev/null
    if grep -vE '^debugfs [0-9.]+ ' "$work/debugfs.log" | grep -q . || { [ ! -e "$r$p" ] && [ ! -L "$r$p" ]; }; then
      echo "make-sample: could not copy $p from the source image" >&2
      cat "$work/debugfs.log" >&2
      exit 1
    fi
  done
}
# The merged-/usr top-level links, then /usr's own.
take /bin /lib /lib64 /sbin
take /usr/bin/sh /usr/bin/dash /usr/sbin/init /usr/lib/systemd/systemd
take /usr/lib/os-release /etc/os-release /etc/debian_version /etc/hostname
take /etc/passwd /etc/shadow /etc/group /etc/default/grub
take /etc/network/interfaces /etc/systemd/network /etc/systemd/system
take /etc/ssh/sshd_config /etc/cloud
take /usr/bin/cloud-init /usr/bin/growpart
take /usr/lib/python3/dist-packages/cloudinit/__init__.py /usr/lib/python3/dist-packages/cloudinit/version.py
for u in cloud-init-local cloud-init cloud-config cloud-final ssh systemd-networkd networking; do
  take "/usr/lib/systemd/system/$u.service"
done
take /usr/lib/systemd/system/cloud-init.target
take "/lib/modules/$kver/modules.builtin" "/lib/modules/$kver/modules.order" "/lib/modules/$kver/modules.dep"
take "/boot/config-$kver" /boot/grub/grub.cfg /boot/grub/grubenv
# The real-images build's files name its own root filesystem; this disk's is another.
sed -i "s/$src_root_uuid/$root_uuid/g" "$r/boot/grub/grub.cfg"
grep -q "$root_uuid" "$r/boot/grub/grub.cfg" || { echo "make-sample: grub.cfg names no root UUID" >&2; exit 1; }
mkdir -p "$r/boot/efi" "$r/root" "$r/tmp" "$r/var/log" "$r/data"
chmod 0700 "$r/root"; chmod 1777 "$r/tmp"

# The deliberate faults, on top of the real files.
# sshd uses the first value it reads, so a line before the Include wins: line 5.
sed -i '5i PermitRootLogin yes' "$r/etc/ssh/sshd_config"
[ "$(sed -n 5p "$r/etc/ssh/sshd_config")" = 'PermitRootLogin yes' ]
cat > "$r/etc/fstab" <<FSTAB
# /etc/fstab: static file system information.
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=$root_uuid /               ext4    errors=remount-ro 0       1
UUID=$esp_uuid  /boot/efi       vfat    umask=0077      0       1
/dev/sdb1 /data ext4 defaults 0 2
FSTAB
# What the tests read, checked here so a changed source image cannot silently break them.
[ "$(stat -c '%a %u %g' "$r/etc/shadow")" = '640 0 42' ] || { echo "make-sample: /etc/shadow is not 0640 0:42" >&2; exit 1; }
[ "$(readlink "$r/etc/os-release")" = ../usr/lib/os-release ] && grep -qx 'ID=debian' "$r/usr/lib/os-release"

# The ESP tree: the loader and the stub grub.cfg that hands over to the root's grub.cfg.
e="$work/esp"
mkdir -p "$e/EFI/debian"
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$src_esp" ::/EFI/debian/grub.cfg ::/EFI/debian/grubx64.efi "$e/EFI/debian/"
sed -i "s/$src_root_uuid/$root_uuid/g" "$e/EFI/debian/grub.cfg"
grep -q configfile "$e/EFI/debian/grub.cfg"
if grep -rq "$src_esp_uuid" "$r/etc" "$r/boot/grub"; then echo "make-sample: the source's ESP id is still named" >&2; exit 1; fi

# What this script made or edited carries today's time: clamp file times to the build epoch, as
# reproducible builds do. (The image is still not byte-identical from run to run: mkfs.fat and
# mke2fs stamp a few times of their own.)
find "$r" "$e" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# Filesystems, then the disk. Sizes in MiB; partition 1 starts at 1 MiB; the whole is 50 MiB.
esp_mib=8; root_mib=40; disk_mib=$((1 + esp_mib + root_mib + 1))
mkfs.fat -F 16 -s 2 -n ESP -i "$esp_id" -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/esp.img" "$e/EFI" ::/
truncate -s "${root_mib}M" "$work/root.img"
mke2fs -q -t ext4 -L root -U "$root_uuid" -E root_owner=0:0,hash_seed=$root_uuid -d "$r" "$work/root.img"
e2fsck -fn "$work/root.img" >"$work/fsck.log" 2>&1 || { cat "$work/fsck.log" >&2; exit 1; }

truncate -s $((disk_mib * MiB)) "$work/disk.raw"
sgdisk --disk-guid=8a2e6f3c-1d4b-4c5a-9e7f-0b1c2d3e4f5a \
  -n 1:1M:+${esp_mib}M -t 1:EF00 -c 1:"EFI System" -u 1:5e1c0a7b-9d3f-4e2a-8b6c-1f2e3d4c5b6a \
  -n 2:0:+${root_mib}M -t 2:8300 -c 2:root -u 2:7d9e1f2a-3b4c-4d5e-8f6a-9b0c1d2e3f4a \
  "$work/disk.raw" >/dev/null
dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc status=none

mkdir -p samples
qemu-img convert -q -c -f raw -O qcow2 "$work/disk.raw" "$out.part"
mv "$out.part" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
