#!/usr/bin/env bash
# Builds the real Debian 12 qcow2 images the verdict tests, the boot suite and the benchmark use.
#
#   debian-images.sh CACHE_DIR [NAME...]     builds what is missing, prints CACHE_DIR/.../images.json
#
# Every image is made from one cached mmdebstrap root (debian-root.sh) with the real tools only,
# no mounting and no device-mapper: mke2fs -d / mkfs.xfs -p (a protofile written by
# xfs-protofile.mjs) populate filesystems inside image files, grub-mkimage from the guest's own
# grub packages makes the boot code, sgdisk/sfdisk the partition tables, pvcreate/vgcreate/
# lvcreate on a loop device the LVM metadata, qemu-img the qcow2.
#
# Good images (each must pass every high-risk item):
#   ext4-bios   MBR; GRUB i386-pc (boot.img in the MBR, core.img in the gap); / ext4; ifupdown DHCP
#   xfs-bios    the same with / on XFS (v5, mkfs.xfs defaults)
#   lvm-bios    MBR; /boot ext4 on p1; LVM PV on p2, VG debian-vg, LV root (ext4), fstab by /dev/mapper
#   ext4-uefi   GPT; ESP (FAT32) with EFI/BOOT/BOOTX64.EFI, EFI/debian/grubx64.efi and the stub
#               grub.cfg; / ext4; systemd-networkd DHCP instead of ifupdown
# Variants of ext4-bios with one fault each (the file edits are made with debugfs on a copy of
# ext4-bios's root filesystem, so a variant costs a copy and a qcow2 conversion):
#   fault-fstab-uuid       an fstab line for /srv names a filesystem UUID that is not in the image
#   fault-grub-root        grub.cfg's default entry searches for and boots root=UUID= of no filesystem
#   fault-initramfs-novirtio  the initramfs is mkinitramfs MODULES=list without virtio (SATA host's set)
#   fault-static-ip        ifupdown static address, cloud-init's network rendering disabled
#   fault-selinux-enforcing  /etc/selinux/config SELINUX=enforcing
#   fault-rtc-local        /etc/adjtime says LOCAL
#   fault-no-cloud-init    cloud-init purged with dpkg (root filesystem rebuilt from a tree copy)
#
# Needs: root, mmdebstrap, mke2fs, debugfs, mkfs.xfs, mkfs.fat, mtools, sgdisk, sfdisk, lvm2,
# losetup, qemu-img, node.
set -euo pipefail
cache=${1:?usage: debian-images.sh CACHE_DIR [NAME...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
# One build at a time per cache (the tests, the boot suite and the benchmark may all ask).
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
export SOURCE_DATE_EPOCH=1700000000 E2FSPROGS_FAKE_TIME=1700000000

tarball=$("$here/debian-root.sh" "$cache")
rkey=$(basename "$tarball" .tar | sed 's/^debian-bookworm-//')
tree="$cache/root-$rkey"
if [ ! -d "$tree/etc" ]; then
  rm -rf "$tree.x"; mkdir -p "$tree.x"
  tar --numeric-owner --xattrs -C "$tree.x" -xf "$tarball"
  mv "$tree.x" "$tree"
fi
ikey=$( { basename "$tarball"; cat "$here/debian-images.sh" "$here/xfs-protofile.mjs"; } | sha256sum | cut -c1-16)
out="$cache/images-$rkey-$ikey"
mkdir -p "$out"
# Images of an older root or an older version of this script are not used again.
for old in "$cache"/images-*; do [ "$old" = "$out" ] || rm -rf "$old"; done
for old in "$cache"/root-*; do [ "$old" = "$tree" ] || rm -rf "$old"; done
work="$out/work"
mkdir -p "$work"

kver=$(basename "$(ls -d "$tree"/lib/modules/* | sort -V | tail -1)")
MiB=1048576
DISK_MIB=2048

# Fixed identifiers, so the tests can name what the evidence must point at.
ROOT_UUID=5b8e2f3c-1d4a-4c6e-8f90-a1b2c3d4e5f6
XFS_UUID=6c9f3a4d-2e5b-4d7f-9a01-b2c3d4e5f6a7
LVROOT_UUID=7da04b5e-3f6c-4e80-ab12-c3d4e5f6a7b8
BOOT_UUID=8eb15c6f-4a7d-4f91-bc23-d4e5f6a7b8c9
ESP_ID=4A1B2C3D # vfat volume id, written as 4A1B-2C3D
ESP_UUID="${ESP_ID:0:4}-${ESP_ID:4:4}"
GONE_UUID=0badc0de-dead-4bee-8f00-123456789abc
DISK_GUID=9fc26d70-5b8e-4a02-bd34-e5f6a7b8c9d0
ESP_PARTUUID=a0d37e81-6c9f-4b13-8e45-f6a7b8c9d0e1
ROOT_PARTUUID=b1e48f92-7da0-4c24-9f56-a7b8c9d0e1f2

CMDLINE_EXTRA='ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0'

want() { # builds NAME when it is asked for (or nothing was) and is not there yet
  local n=$1
  [ -s "$out/$n.qcow2" ] && return 1
  [ "${#targets[@]}" -eq 0 ] && return 0
  local t; for t in "${targets[@]}"; do [ "$t" = "$n" ] && return 0; done
  return 1
}
targets=("$@")

to_qcow2() { # raw -> qcow2, atomically
  qemu-img convert -q -f raw -O qcow2 "$1" "$out/$2.qcow2.part"
  mv "$out/$2.qcow2.part" "$out/$2.qcow2"
}

copy_tree() { # a private copy of the root tree, to edit for one image
  rm -rf "$1"
  cp -a --reflink=auto "$tree" "$1"
}

# /etc/default/grub as Debian's cloud images have it; grub.cfg below is what grub-mkconfig's
# 00_header and 10_linux templates write from it (grub-mkconfig itself needs a real root device).
write_default_grub() {
  cat > "$1/etc/default/grub" <<EOF
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200"
EOF
}

# write_grub_cfg FILE PARTMOD PART FSMOD SEARCH_UUID KPREFIX ROOTARG
#   PART like msdos1/gpt2; KPREFIX the kernel's directory as GRUB sees it (/boot, or / when
#   /boot is its own filesystem); ROOTARG the kernel's root= value.
write_grub_cfg() {
  local f=$1 partmod=$2 part=$3 fsmod=$4 uuid=$5 kp=$6 rootarg=$7
  local kpath="${kp%/}/vmlinuz-$kver" ipath="${kp%/}/initrd.img-$kver"
  local entry
  entry() {
    cat <<EOF
	load_video
	insmod gzio
	if [ x\$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
	insmod $partmod
	insmod $fsmod
	set root='hd0,$part'
	if [ x\$feature_platform_search_hint = xy ]; then
	  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,$part --hint-efi=hd0,$part --hint-baremetal=ahci0,$part  $uuid
	else
	  search --no-floppy --fs-uuid --set=root $uuid
	fi
	echo	'Loading Linux $kver ...'
	linux	$kpath root=$rootarg $1
	echo	'Loading initial ramdisk ...'
	initrd	$ipath
EOF
  }
  {
    cat <<EOF
#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
if [ -s \$prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi

if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "\${prev_saved_entry}" ]; then
  set saved_entry="\${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}
function load_video {
  if [ x\$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}

serial --speed=115200
terminal_input console serial
terminal_output console serial
if [ x\$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=1
# Fallback normal timeout code in case the timeout_style feature is
# unavailable.
else
  set timeout=1
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
	set gfxpayload="\${1}"
}
set linux_gfx_mode=
export linux_gfx_mode
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-$uuid' {
EOF
    entry "$CMDLINE_EXTRA"
    cat <<EOF
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-$uuid' {
	menuentry 'Debian GNU/Linux, with Linux $kver' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$kver-advanced-$uuid' {
EOF
    entry "$CMDLINE_EXTRA" | sed 's/^/	/'
    cat <<EOF
	}
	menuentry 'Debian GNU/Linux, with Linux $kver (recovery mode)' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$kver-recovery-$uuid' {
EOF
    entry "ro single console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0" | sed 's/^/	/'
    cat <<EOF
	}
}

### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/30_uefi-firmware ###
### END /etc/grub.d/30_uefi-firmware ###

### BEGIN /etc/grub.d/40_custom ###
# This file provides an easy way to add custom menu entries.  Simply type the
# menu entries you want to add after this comment.  Be careful not to change
# the 'exec tail' line above.
### END /etc/grub.d/40_custom ###
EOF
  } > "$f"
}

# The guest side of grub-install: modules under /boot/grub/<platform>, an empty grubenv.
install_grub_files() { # TREE PLATFORM
  mkdir -p "$1/boot/grub/$2"
  cp "$1/usr/lib/grub/$2/"*.mod "$1/usr/lib/grub/$2/"*.lst "$1/boot/grub/$2/"
  chroot "$1" grub-editenv /boot/grub/grubenv create
}

# ifupdown with DHCP on the first virtio NIC (ens3 under QEMU's pc machine), as Debian's
# installer writes it; cloud-init's own rendering goes into interfaces.d at first boot.
write_ifupdown_dhcp() {
  cat > "$1/etc/network/interfaces" <<'EOF'
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug ens3
iface ens3 inet dhcp
EOF
}

write_fstab() { # TREE then lines
  local t=$1; shift
  {
    echo '# /etc/fstab: static file system information.'
    echo '#'
    echo "# Use 'blkid' to print the universally unique identifier for a"
    echo '# device; this may be used with UUID= as a more robust way to name devices'
    echo '# that works even if disks are added and removed. See fstab(5).'
    echo '#'
    echo '# <file system> <mount point>   <type>  <options>       <dump>  <pass>'
    printf '%s\n' "$@"
  } > "$t/etc/fstab"
}

# i386-pc boot code: core.img (with an early config that finds /boot/grub by filesystem UUID and
# keeps the console on the serial port) from the guest's grub-mkimage, written at LBA 1, the
# MBR gap; boot.img's first 440 bytes over the MBR's code area (its default kernel_sector, 1,
# is where core.img is; the partition table and disk signature stay).
install_bios_grub() { # TREE RAW FSMOD UUID PREFIX_IN_FS
  local t=$1 raw=$2 fsmod=$3 uuid=$4 pfx=$5
  cat > "$t/tmp/early.cfg" <<EOF
serial --speed=115200
terminal_input serial console
terminal_output serial console
search.fs_uuid $uuid root
set prefix=(\$root)'$pfx'
EOF
  chroot "$t" grub-mkimage -O i386-pc -o /tmp/core.img -c /tmp/early.cfg -p "$pfx" \
    biosdisk part_msdos part_gpt "$fsmod" search search_fs_uuid serial terminal normal configfile
  local core="$t/tmp/core.img"
  [ "$(stat -c %s "$core")" -lt $((MiB - 512)) ] || { echo "core.img does not fit the MBR gap" >&2; exit 1; }
  dd if="$t/usr/lib/grub/i386-pc/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
  dd if="$core" of="$raw" bs=512 seek=1 conv=notrunc status=none
  rm -f "$core" "$t/tmp/early.cfg"
}

new_raw() { rm -f "$1"; truncate -s $((DISK_MIB * MiB)) "$1"; }

# The root filesystem of ext4-bios; the variants start from a copy of it.
base_fs="$work/ext4-bios.root.ext4"
base_raw="$work/ext4-bios.raw"
prep_ext4_bios_tree() {
  local t=$1
  copy_tree "$t"
  write_default_grub "$t"
  install_grub_files "$t" i386-pc
  write_grub_cfg "$t/boot/grub/grub.cfg" part_msdos msdos1 ext2 "$ROOT_UUID" /boot "UUID=$ROOT_UUID"
  write_ifupdown_dhcp "$t"
  write_fstab "$t" \
    "# / was on /dev/vda1 during installation" \
    "UUID=$ROOT_UUID /               ext4    errors=remount-ro 0       1"
}
build_ext4_bios() {
  local t="$work/t-ext4-bios"
  prep_ext4_bios_tree "$t"
  new_raw "$base_raw"
  echo 'start=2048, type=83, bootable' | sfdisk -q --label dos "$base_raw" >/dev/null
  sfdisk -q --disk-id "$base_raw" 0x5eed0001 >/dev/null
  install_bios_grub "$t" "$base_raw" ext2 "$ROOT_UUID" /boot/grub
  rm -f "$base_fs"
  mke2fs -q -t ext4 -U "$ROOT_UUID" -L root -d "$t" "$base_fs" $(( (DISK_MIB - 1) * 1024 ))k >&2
  rm -rf "$t"
}

put_fs() { dd if="$1" of="$2" bs=1M seek="$3" conv=notrunc,sparse status=none; } # FS RAW OFFSET_MIB

if want ext4-bios || [ ! -s "$base_fs" ]; then
  [ -s "$base_fs" ] || build_ext4_bios
  if want ext4-bios; then
    cp --sparse=always "$base_raw" "$work/ext4-bios.out.raw"
    put_fs "$base_fs" "$work/ext4-bios.out.raw" 1
    to_qcow2 "$work/ext4-bios.out.raw" ext4-bios
    rm -f "$work/ext4-bios.out.raw"
  fi
fi

# A variant: copy ext4-bios's root filesystem, run debugfs commands on it, assemble, convert.
variant() { # NAME DEBUGFS_SCRIPT_FILE
  local n=$1 cmds=$2 fs="$work/$1.root.ext4" raw="$work/$1.raw"
  cp --sparse=always "$base_fs" "$fs"
  debugfs -w -f "$cmds" "$fs" >/dev/null 2>"$work/$n.debugfs.log"
  if grep -vE '^debugfs [0-9.]+ ' "$work/$n.debugfs.log" | grep -q .; then
    cat "$work/$n.debugfs.log" >&2; exit 1
  fi
  e2fsck -fn "$fs" >/dev/null
  cp --sparse=always "$base_raw" "$raw"
  put_fs "$fs" "$raw" 1
  to_qcow2 "$raw" "$n"
  rm -f "$fs" "$raw" "$cmds"
}
edit() { # NAME GUEST_PATH HOST_FILE: the debugfs lines replacing one file (mode 0644, root)
  printf 'rm %s\nwrite %s %s\nsif %s mode 0100644\nsif %s uid 0\nsif %s gid 0\n' "$2" "$3" "$2" "$2" "$2" "$2"
}
getf() { debugfs -R "cat $1" "$base_fs" 2>/dev/null; }

if want fault-fstab-uuid; then
  f="$work/fstab.fault"
  getf /etc/fstab > "$f"
  echo "UUID=$GONE_UUID /srv            ext4    defaults        0       2" >> "$f"
  edit x /etc/fstab "$f" > "$work/c"; variant fault-fstab-uuid "$work/c"; rm -f "$f"
fi
if want fault-grub-root; then
  f="$work/grub.fault"
  getf /boot/grub/grub.cfg | sed "s/$ROOT_UUID/$GONE_UUID/g" > "$f"
  edit x /boot/grub/grub.cfg "$f" > "$work/c"; variant fault-grub-root "$work/c"; rm -f "$f"
fi
if want fault-initramfs-novirtio; then
  f="$work/initrd.fault"
  debugfs -R "dump /boot/initrd-novirtio.img-$kver $f" "$base_fs" 2>/dev/null
  edit x "/boot/initrd.img-$kver" "$f" > "$work/c"; variant fault-initramfs-novirtio "$work/c"; rm -f "$f"
fi
if want fault-static-ip; then
  f="$work/if.fault"; g="$work/cc.fault"
  getf /etc/network/interfaces | sed 's/^allow-hotplug ens3$/auto ens3/; s/^iface ens3 inet dhcp$/iface ens3 inet static\n\taddress 192.168.10.21\/24\n\tgateway 192.168.10.1/' > "$f"
  printf '# Networking is configured by hand in /etc/network/interfaces.\nnetwork: {config: disabled}\n' > "$g"
  { edit x /etc/network/interfaces "$f"
    printf 'write %s /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg\n' "$g"; } > "$work/c"
  variant fault-static-ip "$work/c"; rm -f "$f" "$g"
fi
if want fault-selinux-enforcing; then
  f="$work/se.fault"
  cat > "$f" <<'EOF'
# This file controls the state of SELinux on the system.
# SELINUX= can take one of these three values:
# enforcing - SELinux security policy is enforced.
# permissive - SELinux prints warnings instead of enforcing.
# disabled - No SELinux policy is loaded.
SELINUX=enforcing
# SELINUXTYPE= can take one of these two values:
# default - equivalent to the old strict and targeted policies
# mls     - Multi-Level Security (for military and educational use)
# src     - Custom policy built from source
SELINUXTYPE=default
EOF
  # libselinux's package leaves /etc/selinux in place even with no policy installed.
  st=$(debugfs -R 'stat /etc/selinux' "$base_fs" 2>&1 || true)
  { [[ $st == *Inode:* ]] || echo 'mkdir /etc/selinux'
    printf 'write %s /etc/selinux/config\n' "$f"; } > "$work/c"
  variant fault-selinux-enforcing "$work/c"; rm -f "$f"
fi
if want fault-rtc-local; then
  f="$work/adj.fault"
  printf '0.0 0 0.0\n0\nLOCAL\n' > "$f"
  printf 'write %s /etc/adjtime\n' "$f" > "$work/c"
  variant fault-rtc-local "$work/c"; rm -f "$f"
fi
if want fault-no-cloud-init; then
  t="$work/t-nci"
  prep_ext4_bios_tree "$t"
  chroot "$t" dpkg --purge cloud-init >/dev/null
  fs="$work/nci.root.ext4"; raw="$work/nci.raw"
  rm -f "$fs"
  mke2fs -q -t ext4 -U "$ROOT_UUID" -L root -d "$t" "$fs" $(( (DISK_MIB - 1) * 1024 ))k >&2
  cp --sparse=always "$base_raw" "$raw"
  put_fs "$fs" "$raw" 1
  to_qcow2 "$raw" fault-no-cloud-init
  rm -rf "$t" "$fs" "$raw"
fi

if want xfs-bios; then
  t="$work/t-xfs"
  copy_tree "$t"
  write_default_grub "$t"
  install_grub_files "$t" i386-pc
  write_grub_cfg "$t/boot/grub/grub.cfg" part_msdos msdos1 xfs "$XFS_UUID" /boot "UUID=$XFS_UUID"
  write_ifupdown_dhcp "$t"
  write_fstab "$t" "UUID=$XFS_UUID /               xfs     defaults        0       0"
  raw="$work/xfs.raw"; new_raw "$raw"
  echo 'start=2048, type=83, bootable' | sfdisk -q --label dos "$raw" >/dev/null
  sfdisk -q --disk-id "$raw" 0x5eed0002 >/dev/null
  install_bios_grub "$t" "$raw" xfs "$XFS_UUID" /boot/grub
  node "$here/xfs-protofile.mjs" "$t" > "$work/xfs.proto"
  fs="$work/xfs.root"; rm -f "$fs"; truncate -s $(( (DISK_MIB - 1) * MiB )) "$fs"
  mkfs.xfs -q -f -m uuid="$XFS_UUID" -L root -p "$work/xfs.proto" "$fs"
  put_fs "$fs" "$raw" 1
  to_qcow2 "$raw" xfs-bios
  rm -rf "$t" "$fs" "$raw" "$work/xfs.proto"
fi

if want lvm-bios; then
  t="$work/t-lvm"
  copy_tree "$t"
  write_default_grub "$t"
  install_grub_files "$t" i386-pc
  write_grub_cfg "$t/boot/grub/grub.cfg" part_msdos msdos1 ext2 "$BOOT_UUID" / /dev/mapper/debian--vg-root
  write_ifupdown_dhcp "$t"
  write_fstab "$t" \
    "/dev/mapper/debian--vg-root /               ext4    errors=remount-ro 0       1" \
    "# /boot was on /dev/vda1 during installation" \
    "UUID=$BOOT_UUID /boot           ext4    defaults        0       2"
  raw="$work/lvm.raw"; new_raw "$raw"
  printf 'start=2048, size=%s, type=83, bootable\nstart=%s, type=8e\n' $((256 * 2048)) $((257 * 2048)) \
    | sfdisk -q --label dos "$raw" >/dev/null
  sfdisk -q --disk-id "$raw" 0x5eed0003 >/dev/null
  install_bios_grub "$t" "$raw" ext2 "$BOOT_UUID" /grub
  b="$work/t-lvm-boot"; rm -rf "$b"; mkdir -p "$b"
  mv "$t/boot/"* "$b/"
  fs="$work/lvm.boot"; rm -f "$fs"
  mke2fs -q -t ext4 -U "$BOOT_UUID" -L boot -d "$b" "$fs" $((256 * 1024))k >&2
  put_fs "$fs" "$raw" 1; rm -f "$fs"
  # LVM metadata through a loop device over partition 2; no LV is activated, nothing is
  # written to the host's LVM backup/archive, and only this loop device is looked at.
  loop=$(losetup -f --show -o $((257 * MiB)) --sizelimit $(( (DISK_MIB - 257) * MiB )) "$raw")
  lvmcfg='backup { backup = 0 archive = 0 } devices { use_devicesfile = 0 }'
  {
    pvcreate -q -ff -y --devices "$loop" --config "$lvmcfg" "$loop"
    vgcreate -q --devices "$loop" --config "$lvmcfg" debian-vg "$loop"
    lvcreate -q --devices "$loop" --config "$lvmcfg" -an -Zn --driverloaded n -n root -l 100%FREE debian-vg
    pe_start=$(pvs --devices "$loop" --config "$lvmcfg" --noheadings --nosuffix --units b -o pe_start "$loop" | tr -d ' ')
    ext=$(vgs --devices "$loop" --config "$lvmcfg" --noheadings --nosuffix --units b -o vg_extent_size debian-vg | tr -d ' ')
    ranges=$(lvs --devices "$loop" --config "$lvmcfg" --noheadings -o seg_pe_ranges debian-vg/root | tr -d ' ')
    lvsize=$(lvs --devices "$loop" --config "$lvmcfg" --noheadings --nosuffix --units b -o lv_size debian-vg/root | tr -d ' ')
  } >/dev/null 2>"$work/lvm.log" || { cat "$work/lvm.log" >&2; losetup -d "$loop"; exit 1; }
  losetup -d "$loop"
  first_pe=$(echo "$ranges" | sed -E 's/.*:([0-9]+)-[0-9]+$/\1/')
  lv_off=$(( 257 * MiB + pe_start + first_pe * ext ))
  [ $((lv_off % MiB)) -eq 0 ] || { echo "LV offset $lv_off is not MiB-aligned" >&2; exit 1; }
  fs="$work/lvm.root"; rm -f "$fs"
  mke2fs -q -t ext4 -U "$LVROOT_UUID" -L root -d "$t" "$fs" $((lvsize / 1024))k >&2
  put_fs "$fs" "$raw" $((lv_off / MiB))
  to_qcow2 "$raw" lvm-bios
  rm -rf "$t" "$b" "$fs" "$raw"
fi

if want ext4-uefi; then
  t="$work/t-uefi"
  copy_tree "$t"
  write_default_grub "$t"
  install_grub_files "$t" x86_64-efi
  write_grub_cfg "$t/boot/grub/grub.cfg" part_gpt gpt2 ext2 "$ROOT_UUID" /boot "UUID=$ROOT_UUID"
  # systemd-networkd instead of ifupdown: only the loopback stays in interfaces.
  printf 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n' > "$t/etc/network/interfaces"
  mkdir -p "$t/etc/systemd/network"
  printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' > "$t/etc/systemd/network/10-dhcp.network"
  chroot "$t" systemctl enable systemd-networkd.service >/dev/null 2>&1
  write_fstab "$t" \
    "UUID=$ROOT_UUID /               ext4    errors=remount-ro 0       1" \
    "# /boot/efi was on /dev/vda1 during installation" \
    "UUID=$ESP_UUID  /boot/efi       vfat    umask=0077      0       1"
  raw="$work/uefi.raw"; new_raw "$raw"
  # Two runs, no -q: sgdisk -U on a disk without a GPT yet, or -q on a blank disk, exits 0 and
  # writes nothing.
  sgdisk -n 1:2048:+127M -t 1:ef00 -c 1:'EFI System Partition' -n 2:0:0 -t 2:8304 "$raw" >/dev/null
  sgdisk -U "$DISK_GUID" -u 1:"$ESP_PARTUUID" -u 2:"$ROOT_PARTUUID" "$raw" >/dev/null
  sgdisk -p "$raw" | grep -qE '^ +2 +262144 ' || { echo "the GPT was not written" >&2; exit 1; }
  # grubx64.efi as grub-install --target=x86_64-efi makes it (prefix /EFI/debian on the ESP), and
  # the ESP's stub grub.cfg that hands over to /boot/grub/grub.cfg on the root filesystem.
  chroot "$t" grub-mkimage -O x86_64-efi -o /tmp/grubx64.efi -p /EFI/debian \
    part_gpt part_msdos fat ext2 search search_fs_uuid normal configfile linux serial terminal efi_gop all_video gzio
  esp="$work/uefi.esp"; rm -f "$esp"
  mkfs.fat -F 32 -n EFI -i "$ESP_ID" -C "$esp" $((127 * 1024)) >/dev/null
  stub="$work/uefi.stub"
  printf "search.fs_uuid %s root\nset prefix=(\$root)'/boot/grub'\nconfigfile \$prefix/grub.cfg\n" "$ROOT_UUID" > "$stub"
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
  mcopy -i "$esp" "$t/tmp/grubx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$t/tmp/grubx64.efi" ::/EFI/debian/grubx64.efi
  mcopy -i "$esp" "$stub" ::/EFI/debian/grub.cfg
  rm -f "$t/tmp/grubx64.efi" "$stub"
  put_fs "$esp" "$raw" 1
  fs="$work/uefi.root"; rm -f "$fs"
  mke2fs -q -t ext4 -U "$ROOT_UUID" -L root -d "$t" "$fs" $(( (DISK_MIB - 129) * 1024 ))k >&2
  put_fs "$fs" "$raw" 128
  to_qcow2 "$raw" ext4-uefi
  rm -rf "$t" "$fs" "$raw" "$esp"
fi

cat > "$out/images.json" <<EOF
{
  "dir": "$out",
  "kernelVersion": "$kver",
  "rootUuid": "$ROOT_UUID",
  "xfsUuid": "$XFS_UUID",
  "lvmRootUuid": "$LVROOT_UUID",
  "bootUuid": "$BOOT_UUID",
  "espUuid": "$ESP_UUID",
  "goneUuid": "$GONE_UUID",
  "images": [$(cd "$out" && ls *.qcow2 2>/dev/null | sed 's/\.qcow2$//; s/.*/"&"/' | paste -sd, -)]
}
EOF
echo "$out/images.json"
