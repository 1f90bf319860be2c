#!/usr/bin/env bash
# mmdebstrap customize hook for debian-root.sh: runs with the new root as $1, /proc and /sys
# mounted in it. Makes the things every image shares; per-image files (fstab, grub.cfg, UUIDs)
# are written later by debian-images.sh.
set -euo pipefail
r=$1
kver=$(basename "$(ls -d "$r"/lib/modules/* | sort -V | tail -1)")

# A login on the serial console (the boot suite waits for "login:" on ttyS0) and a known
# root password, as image builders often leave for a first console login.
chroot "$r" systemctl enable serial-getty@ttyS0.service
echo 'root:imagecheck' | chroot "$r" chpasswd
echo debian > "$r/etc/hostname"

# The "initramfs without virtio" fault: MODULES=list with what MODULES=dep picks on a SATA host.
nv="$r/tmp/initramfs-novirtio"
rm -rf "$nv"; cp -a "$r/etc/initramfs-tools" "$nv"
sed -i 's/^MODULES=.*/MODULES=list/' "$nv/initramfs.conf"
printf '%s\n' ahci libahci ata_piix ata_generic sd_mod nvme nvme_core ext4 xfs crc32c_generic dm_mod > "$nv/modules"
chroot "$r" mkinitramfs -d /tmp/initramfs-novirtio -o "/boot/initrd-novirtio.img-$kver" "$kver"
rm -rf "$nv"
