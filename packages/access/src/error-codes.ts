/**
 * Every error code imagecheck's own packages use, with the class it is thrown as and what it means:
 * the one list that `docs/errors.md` is generated from (`npm run error-codes`). A test reads the
 * source of every package, plugin and app and fails when a code is thrown or reported that is not
 * here, or when a code here is used nowhere.
 *
 * Codes are data, so the access package can list the codes of the packages above it without
 * depending on them. A plugin from outside this repository documents its own codes.
 *
 * A code ending in `/*` is a family whose last part is computed (the host's errno). A code whose
 * class is `null` is never thrown: it is set on a result, as a layout warning, an unavailable
 * fact's `code` or a bootloader problem.
 */

/** The class a code is thrown as; `null` for a code only ever set on a result. */
export type ErrorCodeClass =
  | 'ImagecheckError'
  | 'FormatError'
  | 'UnsupportedError'
  | 'GuestPathError'
  | 'PackError'
  | 'UsageError'
  | 'InternalError'
  | null;

export interface ErrorCodeInfo {
  readonly class: ErrorCodeClass;
  /** One line: what happened, in words a user or a plugin author reads. */
  readonly meaning: string;
}

const F = 'FormatError';
const U = 'UnsupportedError';
const G = 'GuestPathError';
const P = 'PackError';
const S = 'UsageError';
const I = 'InternalError';
const E = 'ImagecheckError';
const R = null;

const TABLE: Readonly<Record<string, readonly [ErrorCodeClass, string]>> = {
  'access/closed': [I, 'The in-memory test guest was used after close(): a bug in the caller.'],
  'access/unknown-filesystem': [
    S,
    'The in-memory test guest was asked for a filesystem id it does not have.',
  ],
  'access/unreadable-filesystem': [
    U,
    'The in-memory test guest lists the filesystem but marks it unreadable.',
  ],

  'bcd/not-a-store': [F, 'The hive has no Objects key, so it is not a Boot Configuration Data store.'],
  'bcd/over-cap': [F, 'A BCD store has more objects, or an object more elements, than the reader allows.'],

  'binary/out-of-range': [F, 'A field read runs past the end of the structure it belongs to.'],
  'binary/over-cap': [F, 'A count or size field exceeds the cap the reader sets for that structure.'],
  'binary/u64-too-large': [
    F,
    'A 64-bit field holds a value beyond what JavaScript numbers represent exactly (2^53).',
  ],

  'block/out-of-range': [F, 'A read of the disk or a partition goes past its end.'],

  'bootloader/not-interpreted': [
    R,
    "The bootloader's configuration is not interpreted by imagecheck (a bootloader problem).",
  ],

  'btrfs/bad-checksum': [F, 'A btrfs superblock or tree block fails its checksum (crc32c or sha256).'],
  'btrfs/bad-chunk': [
    F,
    "A btrfs chunk item or the superblock's system chunk array is truncated or out of range.",
  ],
  'btrfs/bad-compressed-extent': [F, 'A compressed btrfs file extent does not decompress.'],
  'btrfs/bad-dir-item': [
    F,
    'A btrfs directory item is truncated, has an out-of-range name, or points at neither an inode nor a subvolume.',
  ],
  'btrfs/bad-extent': [
    F,
    'A btrfs file extent item is truncated, of an unknown type, or has out-of-range fields.',
  ],
  'btrfs/bad-inode': [F, 'A btrfs inode item is truncated or its size is out of range.'],
  'btrfs/bad-inode-ref': [F, 'A btrfs inode has no back reference, or no path to its subvolume root.'],
  'btrfs/bad-item': [F, "A btrfs leaf item's data lies outside the leaf."],
  'btrfs/bad-lzo': [F, "An LZO-compressed btrfs extent's header or segments disagree with the extent."],
  'btrfs/bad-node': [
    F,
    'A btrfs tree node is misaligned, from another filesystem, not where it says, or has an impossible level or count.',
  ],
  'btrfs/bad-node-id': [I, 'The btrfs reader was given a node id it never handed out: a bug in the caller.'],
  'btrfs/bad-read': [I, 'The btrfs reader was asked for an invalid read range: a bug in the caller.'],
  'btrfs/bad-root-item': [F, 'A btrfs subvolume root item is truncated or its level is out of range.'],
  'btrfs/bad-root-ref': [
    F,
    'A btrfs subvolume back reference is truncated, or a subvolume has no path to the top level.',
  ],
  'btrfs/bad-superblock': [
    F,
    'A btrfs superblock field (sector or node size, root level, system chunk array size) is out of range.',
  ],
  'btrfs/bad-symlink': [F, 'A btrfs symlink target is longer than PATH_MAX.'],
  'btrfs/encrypted-extent': [U, 'A btrfs file extent is encrypted or otherwise encoded; it is not read.'],
  'btrfs/is-a-directory': [
    I,
    'The btrfs reader was asked to read a directory as a file: a bug in the caller.',
  ],
  'btrfs/missing-device': [
    U,
    'A btrfs chunk has no copy on this device (a multi-device filesystem); it is not read.',
  ],
  'btrfs/missing-inode': [F, 'A btrfs inode referenced by a directory is not in its tree.'],
  'btrfs/not-a-directory': [
    I,
    'The btrfs reader was asked to list a node that is not a directory: a bug in the caller.',
  ],
  'btrfs/not-a-symlink': [
    I,
    'The btrfs reader was asked for the target of a node that is not a symlink: a bug in the caller.',
  ],
  'btrfs/too-many-chunks': [F, 'The btrfs chunk tree is larger than the reader allows.'],
  'btrfs/too-many-items': [F, 'A btrfs tree query returned more items than the reader allows.'],
  'btrfs/too-many-subvolumes': [F, 'The btrfs filesystem has more subvolumes than the reader allows.'],
  'btrfs/tree-budget': [F, 'A btrfs tree walk visited too many nodes: a loop or a crafted tree.'],
  'btrfs/unmapped': [F, 'A btrfs logical address lies in no chunk.'],
  'btrfs/unsupported-compression': [U, 'A btrfs extent uses a compression type imagecheck does not read.'],
  'btrfs/unsupported-csum': [U, 'The btrfs filesystem uses a checksum type other than crc32c.'],
  'btrfs/unsupported-profile': [U, 'A btrfs chunk is striped or has parity (RAID0/10/5/6); it is not read.'],

  'cli/backend-unavailable': [S, 'The --backend named is not available in this version of imagecheck.'],
  'cli/filesystem-not-found': [S, '--filesystem names no filesystem of the image.'],
  'cli/no-os-root': [S, 'ls or cat found no operating system root; pick a filesystem with --filesystem.'],
  'cli/no-packs': [S, 'No rule pack is loaded: no pack plugin is installed and no --pack was given.'],
  'cli/too-many-entries': [S, 'ls stopped after its cap of entries.'],
  'cli/unknown-rule': [S, 'rules show names a rule no loaded pack has.'],

  'cloud-init/bad-yaml': [
    F,
    'A cloud-init configuration file is not valid YAML, or its aliases expand too far.',
  ],
  'cloud-init/config-too-deep': [
    F,
    'The merged cloud-init configuration nests deeper than the reader allows.',
  ],
  'cloud-init/too-many-files': [F, '/etc/cloud/cloud.cfg.d holds more files than the reader allows.'],

  'codec/bad-max-output': [I, 'A decompressor was called with an invalid output cap: a bug in the caller.'],
  'codec/bad-zstd-frame': [F, 'A zstd frame header is malformed.'],
  'codec/corrupt': [F, 'Compressed data is corrupt and does not decode.'],
  'codec/input-too-large': [U, 'The compressed input is larger than the decoder accepts in memory (bzip2).'],
  'codec/lz4-bad-block-size': [F, "An lz4 legacy block declares a size beyond the format's bound."],
  'codec/output-too-large': [F, "Compressed data decompresses to more than the caller's cap."],
  'codec/truncated': [F, 'Compressed data ends before its stream does.'],
  'codec/xz-unavailable': [U, 'The xz decoder could not be loaded.'],
  'codec/zstd-unavailable': [U, 'zstd data needs Node.js 22.15 or newer (node:zlib zstd).'],

  'config/bad-glob': [P, 'A rule pattern in the config file is not a valid glob.'],
  'config/file-syntax': [P, 'The config file is not valid YAML or JSON.'],
  'config/file-too-large': [P, 'The config file is larger than imagecheck reads.'],
  'config/file-unreadable': [P, 'The config file cannot be read from the host.'],
  'config/invalid': [P, 'The config file does not match the config schema.'],

  'container/allowed-dir-missing': [S, 'A folder given with --allow-backing-dir does not exist.'],
  'container/bad-linked-name': [F, 'A backing file or extent name in the image is empty or holds NUL.'],
  'container/chain-cycle': [F, 'A backing file chain refers back to an image already in it.'],
  'container/chain-too-long': [F, 'A backing file chain is longer than imagecheck follows.'],
  'container/format-mismatch': [F, 'A backing file is not of the format its child names.'],
  'container/link-missing': [S, 'A backing file or extent the image names does not exist.'],
  'container/link-outside-allowed': [
    S,
    "A backing file or extent resolves outside the image's folder and the allowed folders.",
  ],
  'container/too-many-files': [F, 'An image spans more host files than imagecheck opens.'],
  'container/unsupported-format': [
    U,
    'The image is in a container format imagecheck recognises but does not read.',
  ],

  'declared/bad-ini-section': [F, "A file read by a declared fact has an INI section header without ']'."],
  'declared/bad-json': [F, 'A file read by a declared fact is not valid JSON.'],
  'declared/bad-yaml': [
    F,
    'A file read by a declared fact is not valid YAML, or its aliases expand too far.',
  ],
  'declared/document-too-deep': [F, 'A document read by a declared fact nests deeper than allowed.'],
  'declared/document-too-large': [F, 'A document read by a declared fact holds more values than allowed.'],
  'declared/registry-unavailable': [
    U,
    'A declared fact reads the Windows registry, which needs the Windows plugin.',
  ],
  'declared/too-many-files': [P, "A declared fact's paths match more files than allowed."],
  'declared/too-many-lines': [F, 'A file read by a declared fact has more lines than allowed.'],

  'dpkg/bad-line': [F, 'The dpkg status file has a line that is not a "Field: value" line.'],
  'dpkg/too-many-stanzas': [F, 'The dpkg status file has more package stanzas than the reader allows.'],

  'engine/collector-bug': [
    I,
    'A collector threw something that is not an imagecheck error (a TypeError...): a bug in the plugin or the engine.',
  ],
  'engine/duplicate-collector': [S, 'Two collectors are registered for one fact.'],
  'engine/duplicate-fact': [S, 'Two plugins or packs define the same fact id.'],
  'engine/fact-chain': [
    R,
    "A fact's dependency chain is longer than the engine follows; the fact is unavailable.",
  ],
  'engine/fact-cycle': [R, 'A fact depends on itself through other facts; the fact is unavailable.'],
  'engine/fact-schema': [R, "A collector's value does not match its fact's schema; the fact is unavailable."],
  'engine/unknown-fact': [R, 'No plugin or pack provides the fact a rule reads; the fact is unavailable.'],
  'engine/unknown-root': [S, 'The OS root id asked for is not one the image has.'],

  'exfat/bad-boot-sector': [F, 'An exFAT boot sector field is out of range.'],
  'exfat/bad-cluster': [
    F,
    'An exFAT entry or cluster chain reaches a cluster outside the cluster heap, or a bad cluster.',
  ],
  'exfat/bad-entry-set': [
    F,
    'An exFAT file entry set is malformed (secondary count, stream extension or name entries).',
  ],
  'exfat/bad-node-id': [I, 'The exFAT reader was given a node id it never handed out: a bug in the caller.'],
  'exfat/bad-read': [I, 'The exFAT reader was asked for an invalid read range: a bug in the caller.'],
  'exfat/bad-set-checksum': [F, 'An exFAT file entry set fails its checksum.'],
  'exfat/bad-stream': [F, 'An exFAT stream extension gives an impossible size.'],
  'exfat/chain-loop': [F, 'An exFAT cluster chain loops.'],
  'exfat/chain-too-long': [F, 'An exFAT cluster chain is longer than its file needs.'],
  'exfat/dir-too-large': [F, 'An exFAT directory is larger, or has more entries, than the reader allows.'],
  'exfat/is-a-directory': [
    I,
    'The exFAT reader was asked to read a directory as a file: a bug in the caller.',
  ],
  'exfat/not-a-directory': [
    I,
    'The exFAT reader was asked to list a node that is not a directory: a bug in the caller.',
  ],
  'exfat/not-a-symlink': [
    I,
    'The exFAT reader was asked for a symlink target; exFAT has none: a bug in the caller.',
  ],
  'exfat/short-chain': [F, 'An exFAT cluster chain ends before its file does.'],
  'exfat/truncated': [F, 'The exFAT volume is larger than the partition or image holding it.'],
  'exfat/unsupported-version': [U, 'The exFAT revision is not 1.x.'],

  'ext/bad-block-map': [F, 'An ext2/3 block map reaches a logical block beyond its indirection depth.'],
  'ext/bad-block-size': [F, "The ext superblock's block size is too large."],
  'ext/bad-blocks-count': [F, "The ext superblock's block count is impossible."],
  'ext/bad-blocks-per-group': [F, "The ext superblock's blocks per group is impossible."],
  'ext/bad-cluster-size': [F, "The ext superblock's cluster size is impossible."],
  'ext/bad-desc-size': [F, "The ext superblock's group descriptor size is impossible."],
  'ext/bad-dir-size': [F, "An ext directory's size is not a plausible directory size."],
  'ext/bad-dirent': [F, 'An ext directory entry runs past its block or is malformed.'],
  'ext/bad-extent-depth': [F, "An ext extent node's depth does not match its parent's."],
  'ext/bad-extent-header': [F, 'An ext extent header has a bad magic or entry counts.'],
  'ext/bad-extent-order': [F, "An ext extent node's entries are not sorted."],
  'ext/bad-extra-isize': [F, "An ext inode's extra size does not fit the inode."],
  'ext/bad-first-data-block': [F, "The ext superblock's first data block is impossible."],
  'ext/bad-group-desc': [F, 'An ext group descriptor lies outside the filesystem.'],
  'ext/bad-inode-checksum': [F, 'An ext inode fails its metadata checksum.'],
  'ext/bad-inode-mode': [F, 'An ext inode has no valid file type.'],
  'ext/bad-inode-number': [F, "An ext inode number is outside the filesystem's inode count."],
  'ext/bad-inode-size': [F, "An ext inode's size exceeds the largest possible file."],
  'ext/bad-inode-table': [F, "An ext group's inode table lies outside the filesystem."],
  'ext/bad-inodes-count': [F, "The ext superblock's inode count does not fit its groups."],
  'ext/bad-inodes-per-group': [F, "The ext superblock's inodes per group is impossible."],
  'ext/bad-magic': [F, 'The data has no ext2/3/4 superblock magic.'],
  'ext/bad-node-id': [I, 'The ext reader was given a node id it never handed out: a bug in the caller.'],
  'ext/bad-read': [I, 'The ext reader was asked for an invalid read range: a bug in the caller.'],
  'ext/bad-superblock-checksum': [F, 'The ext superblock fails its checksum.'],
  'ext/bad-symlink': [F, 'An ext symlink target is longer than allowed.'],
  'ext/bad-xattr': [F, "An ext inode's in-inode extended attributes are malformed."],
  'ext/block-out-of-range': [F, 'An ext block map or extent points outside the filesystem.'],
  'ext/checksum-type': [U, 'The ext superblock names an unknown metadata checksum type.'],
  'ext/encrypted': [U, 'An ext inode is encrypted (fscrypt); it is not read.'],
  'ext/extent-budget': [F, 'An ext extent tree walk visited too many nodes: a loop or a crafted tree.'],
  'ext/incompat-feature': [U, 'The ext filesystem uses incompatible features imagecheck does not read.'],
  'ext/inode-uninit': [F, "An ext inode lies in the uninitialised part of its group's inode table."],
  'ext/is-a-directory': [I, 'The ext reader was asked to read a directory as a file: a bug in the caller.'],
  'ext/journal-device': [U, 'The data is an external ext3/4 journal device, not a filesystem.'],
  'ext/not-a-directory': [
    I,
    'The ext reader was asked to list a node that is not a directory: a bug in the caller.',
  ],
  'ext/not-a-symlink': [
    I,
    'The ext reader was asked for the target of a node that is not a symlink: a bug in the caller.',
  ],
  'ext/overlapping-extents': [F, "An ext file's extents overlap."],
  'ext/read-too-large': [
    S,
    'One ext read asked for more bytes than the reader returns at once; read in chunks.',
  ],
  'ext/too-many-entries': [F, 'An ext directory has more entries than the reader allows.'],
  'ext/too-many-groups': [F, 'The ext filesystem has more block groups than the reader allows.'],
  'ext/truncated': [F, 'The ext filesystem or its superblock runs past the end of the partition or image.'],

  'fat/bad-active-fat': [F, 'The FAT32 active FAT number is out of range.'],
  'fat/bad-bpb': [
    F,
    "The FAT boot sector's parameters are impossible (zero sizes, metadata larger than the volume, root fields).",
  ],
  'fat/bad-cluster': [
    F,
    'A FAT cluster chain reaches a cluster out of range or marked bad, or a FAT entry past the FAT.',
  ],
  'fat/bad-cluster-size': [F, 'The FAT cluster size exceeds the largest allowed.'],
  'fat/bad-dir-cluster': [F, 'A FAT directory starts at an invalid cluster.'],
  'fat/bad-node-id': [I, 'The FAT reader was given a node id it never handed out: a bug in the caller.'],
  'fat/bad-read': [I, 'The FAT reader was asked for an invalid read range: a bug in the caller.'],
  'fat/bad-root-cluster': [F, 'The FAT32 root directory cluster is out of range.'],
  'fat/chain-loop': [F, 'A FAT cluster chain loops.'],
  'fat/chain-too-long': [F, 'A FAT cluster chain is longer than its file or the reader allows.'],
  'fat/fat-too-small': [F, "The FAT is too small for the volume's cluster count."],
  'fat/free-in-chain': [F, 'A FAT cluster chain reaches a free cluster.'],
  'fat/is-a-directory': [I, 'The FAT reader was asked to read a directory as a file: a bug in the caller.'],
  'fat/not-a-directory': [
    I,
    'The FAT reader was asked to list a node that is not a directory: a bug in the caller.',
  ],
  'fat/not-a-symlink': [
    I,
    'The FAT reader was asked for a symlink target; FAT has none: a bug in the caller.',
  ],
  'fat/short-chain': [F, 'A FAT cluster chain ends before its file does.'],
  'fat/size-exceeds-volume': [F, 'A FAT file is larger than the volume.'],
  'fat/too-many-clusters': [F, 'The FAT cluster count exceeds the FAT32 limit.'],
  'fat/truncated': [F, 'The FAT volume is larger than the partition or image holding it.'],
  'fat/unsupported-version': [U, 'The FAT32 version is not 0.0.'],

  'formats/short-input': [
    F,
    "A file is shorter than a structure read from it (a registry hive's base block, bins or log).",
  ],

  'fstab/line-too-long': [F, 'An /etc/fstab line is longer than the parser allows.'],
  'fstab/too-many-lines': [F, '/etc/fstab has more lines than the parser allows.'],

  'gpt/bad-entries-crc': [F, 'The GPT partition entry array fails its CRC32.'],
  'gpt/bad-entry': [R, 'A GPT entry ends before it starts; it is skipped (a layout warning).'],
  'gpt/bad-entry-size': [F, "The GPT header's entry size is not a multiple of 128 in range."],
  'gpt/bad-header-crc': [F, 'A GPT header fails its CRC32.'],
  'gpt/bad-header-size': [F, "A GPT header's size is out of range."],
  'gpt/bad-my-lba': [F, 'A GPT header says it is at another LBA than where it was read.'],
  'gpt/bad-signature': [F, 'A GPT header has no "EFI PART" signature.'],
  'gpt/entries-past-end': [F, 'The GPT partition entry array lies past the end of the disk.'],
  'gpt/entry-array-too-large': [F, 'The GPT partition entry array is larger than the reader allows.'],
  'gpt/entry-too-large': [F, "A GPT entry's start or size is out of range."],
  'gpt/header-past-end': [F, "A GPT header's LBA is past the end of the disk."],
  'gpt/ignored': [
    R,
    'A GPT header is present but the MBR has no protective entry; the MBR was used (a layout warning).',
  ],
  'gpt/no-protective-mbr': [
    R,
    'The disk has a GPT but no protective MBR; some firmware will not boot it (a layout warning).',
  ],
  'gpt/no-valid-header': [F, 'Both the primary and the backup GPT headers are damaged.'],
  'gpt/primary-damaged': [R, 'The primary GPT is damaged and the backup was used (a layout warning).'],

  'grub/include-depth': [
    R,
    'GRUB configfile/source nesting is deeper than the interpreter follows (a bootloader problem).',
  ],
  'grub/no-bls-entries': [R, 'blscfg found no Boot Loader Specification entries (a bootloader problem).'],
  'grub/too-deep': [F, 'grub.cfg nests blocks deeper than the interpreter allows.'],
  'grub/too-many-steps': [F, 'grub.cfg ran more commands than the interpreter allows.'],
  'grub/too-many-tokens': [F, 'grub.cfg has more words than the parser allows.'],
  'grub/unknown-filesystem': [F, 'A GRUB device resolves to a filesystem the layout does not have.'],

  'guest/E2BIG': [G, 'A guest glob matches or visits more entries than allowed.'],
  'guest/EFBIG': [G, "A guest file read is larger than the caller's cap."],
  'guest/EINVAL': [
    G,
    'An invalid guest path or request: not absolute, holds NUL, too long, not a symlink, not a regular file.',
  ],
  'guest/EISDIR': [G, 'A guest path is a directory where a file was expected.'],
  'guest/ELOOP': [G, 'A guest path resolution follows too many symlinks or components (a loop).'],
  'guest/ENOENT': [G, 'No such guest file or directory.'],
  'guest/ENOTDIR': [G, 'A component of a guest path is not a directory.'],
  'guest/bad-mountpoint': [S, 'A guest tree mount point is not a clean absolute path.'],
  'guest/root-unreadable': [U, "The OS root's filesystem cannot be read, so the guest cannot be assembled."],

  'host/*': [
    E,
    "Opening the image file on the host failed; the code ends with the system's error (host/ENOENT, host/EACCES...).",
  ],
  'host/not-a-file': [E, 'The image path on the host is not a regular file.'],
  'host/short-read': [E, 'The image file shrank while it was being read.'],

  'ifupdown/source-too-deep': [F, '/etc/network/interfaces source statements nest deeper than allowed.'],
  'ifupdown/too-many-files': [F, '/etc/network/interfaces sources more files than allowed.'],

  'initramfs/bad-cpio-header': [F, 'An initramfs cpio header field is not hexadecimal.'],
  'initramfs/bad-cpio-magic': [F, 'An initramfs cpio header has a bad magic.'],
  'initramfs/bad-cpio-name': [F, 'An initramfs cpio entry name is not NUL-terminated.'],
  'initramfs/bad-cpio-namesize': [F, "An initramfs cpio entry's name size is out of range."],
  'initramfs/bad-magic': [
    F,
    'The file has no cpio or compression magic where an initramfs segment should start.',
  ],
  'initramfs/bzip2-too-large': [U, 'A bzip2 initramfs segment is larger than the decoder accepts in memory.'],
  'initramfs/corrupt-stream': [F, 'A compressed initramfs segment is corrupt.'],
  'initramfs/cpio-odc': [
    U,
    'An initramfs segment is old ASCII (odc) cpio, which the kernel does not unpack.',
  ],
  'initramfs/decompressed-too-large': [F, 'An initramfs decompresses to more than the reader allows.'],
  'initramfs/empty': [F, 'The initramfs holds no segment.'],
  'initramfs/lz4-bad-block-size': [F, "An lz4 initramfs block declares a size beyond the format's bound."],
  'initramfs/lz4-corrupt': [F, 'An lz4 initramfs segment is corrupt.'],
  'initramfs/too-many-archives': [F, 'The initramfs concatenates more cpio archives than allowed.'],
  'initramfs/too-many-entries': [F, 'The initramfs has more cpio entries than allowed.'],
  'initramfs/too-many-segments': [F, 'The initramfs has more segments than allowed.'],
  'initramfs/truncated': [F, 'The initramfs ends inside a cpio entry or a compressed stream.'],
  'initramfs/unsupported-compression': [
    U,
    'An initramfs segment uses a compression imagecheck does not decode.',
  ],

  'linux/config-too-long': [F, 'A guest configuration file has more lines than allowed.'],
  'linux/module-index-too-large': [F, 'A kernel module index file (modules.dep...) is larger than allowed.'],
  'linux/no-elf': [
    R,
    "No ELF header was found in the guest's init or shell; the architecture is unavailable.",
  ],
  'linux/no-guest': [
    R,
    "A Linux fact needs the guest's files and no OS root was assembled; the fact is unavailable.",
  ],
  'linux/no-os-release': [R, 'The guest has no os-release or older release file; the fact is unavailable.'],
  'linux/too-many-entries': [F, 'A systemd unit directory lists more entries than allowed.'],
  'linux/too-many-modules': [F, 'modules.dep lists more modules than allowed.'],
  'linux/too-many-wants-dirs': [F, 'The systemd unit directories hold more .wants directories than allowed.'],

  'logic/data-too-deep': [F, "A fact's value nests deeper than rule conditions read."],
  'logic/difference': [
    F,
    'The difference operator in a rule got something that is not an array, or too large an array.',
  ],
  'logic/intersection': [
    F,
    'The intersection operator in a rule got something that is not an array, or too large an array.',
  ],
  'logic/intersects': [
    F,
    'The intersects operator in a rule got something that is not an array, or too large an array.',
  ],
  'logic/regex_match': [
    F,
    'regex_match in a rule got a bad pattern or flag, or a pattern or input over its size cap.',
  ],
  'logic/subset': [
    F,
    'The subset operator in a rule got something that is not an array, or too large an array.',
  ],
  'logic/unique': [
    F,
    'The unique operator in a rule got something that is not an array, or too large an array.',
  ],
  'logic/version_compare': [F, 'version_compare in a rule names an unknown version scheme.'],
  'logic/version_eq': [F, 'version_eq in a rule names an unknown version scheme.'],
  'logic/version_gt': [F, 'version_gt in a rule names an unknown version scheme.'],
  'logic/version_gte': [F, 'version_gte in a rule names an unknown version scheme.'],
  'logic/version_lt': [F, 'version_lt in a rule names an unknown version scheme.'],
  'logic/version_lte': [F, 'version_lte in a rule names an unknown version scheme.'],

  'lvm/bad-label': [F, "An LVM label's PV header offset lies outside its sector."],
  'lvm/bad-label-crc': [F, 'An LVM label fails its CRC.'],
  'lvm/bad-mda': [F, 'An LVM metadata area does not fit the physical volume or disagrees with the PV label.'],
  'lvm/bad-mda-crc': [F, 'An LVM metadata area header fails its CRC.'],
  'lvm/bad-mda-magic': [F, 'An LVM metadata area has no mda_header magic.'],
  'lvm/bad-metadata': [F, 'The LVM text metadata does not parse, or describes an impossible volume group.'],
  'lvm/bad-metadata-crc': [F, 'The LVM text metadata fails its CRC.'],
  'lvm/bad-raw-locn': [F, 'The LVM metadata location does not fit its area.'],
  'lvm/lv-unreadable': [R, 'A logical volume cannot be read (a layout warning naming why).'],
  'lvm/metadata-too-large': [F, 'The LVM text metadata has more tokens than the parser allows.'],

  'lznt1/bad-distance': [F, 'LZNT1 data copies from before the start of its output.'],
  'lznt1/bad-output-size': [F, 'The LZNT1 output size asked for is out of range.'],
  'lznt1/bad-signature': [F, 'An LZNT1 chunk header has a bad signature.'],
  'lznt1/output-overflow': [F, 'LZNT1 data decodes to more than its declared size.'],
  'lznt1/truncated': [F, 'LZNT1 data ends inside a chunk.'],

  'lzx/bad-block-type': [F, 'An LZX block has an unknown type.'],
  'lzx/bad-distance': [F, 'LZX data copies from before the start of its window.'],
  'lzx/bad-huffman-code': [F, 'LZX data holds a Huffman code no table defines.'],
  'lzx/bad-huffman-table': [F, 'An LZX Huffman table is over- or under-subscribed.'],
  'lzx/bad-output-size': [F, 'The LZX output size asked for is out of range.'],
  'lzx/bad-pretree-symbol': [F, 'An LZX pretree symbol is invalid where it appears.'],
  'lzx/bad-window-size': [F, 'The LZX window size is out of range.'],
  'lzx/output-overflow': [F, 'LZX data decodes to more than its declared size.'],
  'lzx/truncated': [F, 'LZX data ends inside a block.'],

  'memory/bad-description': [S, 'An in-memory test guest description is invalid.'],

  'native/closed': [I, 'The native backend was used after close(): a bug in the caller.'],
  'native/no-filesystem-reader': [U, 'The native backend has no reader for this filesystem type.'],
  'native/unknown-filesystem': [
    S,
    'The native backend was asked for a filesystem id the image does not have.',
  ],

  'netplan/bad-yaml': [F, 'A netplan file is not valid YAML, or its aliases expand too far.'],
  'netplan/too-many-devices': [F, 'A netplan file defines more devices than allowed.'],

  'ntfs/bad-attribute': [
    F,
    'An NTFS attribute is malformed: outside its record, too many, or its extents do not fit its size.',
  ],
  'ntfs/bad-attribute-list': [
    F,
    'An NTFS attribute list is malformed or names a record that belongs to another file.',
  ],
  'ntfs/bad-boot-sector': [F, 'An NTFS boot sector field is out of range.'],
  'ntfs/bad-compression-unit': [F, 'An NTFS compressed attribute has an unsupported compression unit.'],
  'ntfs/bad-fixup': [F, "An NTFS record's update sequence array does not match its sectors."],
  'ntfs/bad-index': [F, 'An NTFS directory index ($I30) is malformed.'],
  'ntfs/bad-mft': [F, 'The NTFS $MFT is malformed (no $DATA, or fewer records than the system files).'],
  'ntfs/bad-record': [F, "An NTFS MFT record's used size or first attribute is out of range."],
  'ntfs/bad-record-magic': [F, 'An NTFS MFT record does not start with "FILE".'],
  'ntfs/bad-reference': [F, 'An NTFS file reference points outside or past the end of the $MFT.'],
  'ntfs/bad-reparse': [F, "An NTFS reparse point's data is malformed or has an empty target."],
  'ntfs/bad-runlist': [F, 'An NTFS runlist holds an invalid run or does not cover its attribute.'],
  'ntfs/bad-upcase': [F, 'The NTFS $UpCase table is not 128 KiB.'],
  'ntfs/bad-wof': [F, 'NTFS WOF (compressed file) reparse data is malformed or of an unknown version.'],
  'ntfs/encrypted': [U, 'An NTFS file is EFS-encrypted; it is not read.'],
  'ntfs/index-loop': [F, 'An NTFS directory index reaches the same node twice.'],
  'ntfs/index-too-deep': [F, 'An NTFS directory index is deeper than the reader allows.'],
  'ntfs/missing-attribute': [F, 'An NTFS file lacks an attribute it needs ($DATA, $INDEX_ROOT...).'],
  'ntfs/run-outside-volume': [F, 'An NTFS run lies outside the volume.'],
  'ntfs/short-runlist': [F, "An NTFS stream's runs end before its size."],
  'ntfs/stale-reference': [F, 'An NTFS directory entry names a record whose sequence number has moved on.'],
  'ntfs/too-many-entries': [F, 'An NTFS directory has more entries than the reader allows.'],
  'ntfs/too-many-extensions': [F, 'An NTFS file has more extension records than the reader allows.'],
  'ntfs/too-many-runs': [F, 'An NTFS runlist has more runs than the reader allows.'],
  'ntfs/wof-wim-backed': [U, 'An NTFS file is WIM-backed (WIMBoot); it is not read.'],

  'pack/bad-fix-file': [P, "A rule's fix file path is invalid or leaves the pack folder."],
  'pack/bad-glob': [P, "A pack's rules glob is invalid or leaves the pack folder."],
  'pack/bad-rule-file-name': [P, "A rule file's name does not match the rule's id."],
  'pack/duplicate-assertion': [P, 'A rule uses one assertion id twice.'],
  'pack/duplicate-declared-fact': [P, 'A pack declares the same fact twice.'],
  'pack/duplicate-fact': [P, 'A pack declares a fact id already declared.'],
  'pack/duplicate-rule': [P, 'Two rules of a pack have the same id.'],
  'pack/glob-matched-nothing': [P, "A pack's rules glob matches no file."],
  'pack/incompatible-sdk': [P, 'The pack needs an SDK version this imagecheck does not have.'],
  'pack/invalid-declared-fact': [
    P,
    "A pack's declared fact is invalid (bad path, parser, schema or selector).",
  ],
  'pack/invalid-logic': [P, "A rule's condition is not valid JSON Logic for imagecheck."],
  'pack/invalid-manifest': [P, 'The pack manifest does not match its schema.'],
  'pack/invalid-params-schema': [
    P,
    "A rule's parameter defaults do not satisfy its paramsSchema, or the schema is invalid.",
  ],
  'pack/invalid-rule': [P, 'A rule file does not match the rule schema.'],
  'pack/invalid-template': [P, "A rule's message or value template is invalid."],
  'pack/manifest-syntax': [P, 'The pack manifest is not valid YAML or JSON.'],
  'pack/manifest-too-large': [P, 'The pack manifest is larger than imagecheck reads.'],
  'pack/manifest-unreadable': [P, 'The pack manifest cannot be read from the host.'],
  'pack/missing-fix-file': [P, "A rule's fix file does not exist."],
  'pack/no-manifest': [P, 'The pack folder has no pack manifest.'],
  'pack/rule-syntax': [P, 'A rule file is not valid YAML or JSON.'],
  'pack/rule-too-large': [P, 'A rule file is larger than imagecheck reads.'],
  'pack/rule-unreadable': [P, 'A rule file cannot be read from the host.'],
  'pack/too-many-files': [P, 'The pack folder holds more files than imagecheck reads.'],
  'pack/too-many-rules': [P, 'The pack has more rules than imagecheck loads.'],
  'pack/undeclared-fact': [P, 'A rule reads a fact it does not declare.'],
  'pack/unknown-fact': [P, 'A pack names a fact no plugin or declaration provides.'],
  'pack/unknown-message': [P, 'A rule refers to a message id it does not define.'],

  'packages/rpm-unsupported': [U, "The guest's RPM database is not read yet."],

  'partition/past-end': [R, 'A partition ends past the end of the disk (a layout warning).'],

  'pe/bad-fixed-file-info': [F, "A PE version resource's VS_FIXEDFILEINFO has a bad signature or size."],
  'pe/bad-optional-header': [F, 'A PE optional header has an impossible size or an unknown magic.'],
  'pe/bad-resource-tree': [
    F,
    'A PE resource directory entry is malformed or runs past the resource section.',
  ],
  'pe/bad-rva': [F, "A PE RVA lies in no section's file data."],
  'pe/bad-version-info': [F, 'A PE VS_VERSIONINFO resource is malformed.'],
  'pe/not-pe': [F, 'The file is not a PE image (no MZ header or PE signature).'],
  'pe/truncated': [F, 'A PE file is shorter than a header or resource it declares.'],

  'qcow2/bad-backing-name': [
    F,
    'The qcow2 backing file name offset or length is out of range, or outside the first cluster.',
  ],
  'qcow2/bad-cluster-bits': [
    F,
    'The qcow2 cluster size is out of range, or too small for extended L2 entries.',
  ],
  'qcow2/bad-cluster-offset': [F, 'A qcow2 cluster has allocated subclusters but no host cluster.'],
  'qcow2/bad-compressed-cluster': [F, 'A compressed qcow2 cluster does not decompress to a cluster.'],
  'qcow2/bad-compressed-offset': [F, 'A compressed qcow2 cluster lies outside the file.'],
  'qcow2/bad-compression-type': [F, 'The qcow2 compression type is set without its feature bit.'],
  'qcow2/bad-extension': [F, 'A qcow2 header extension overruns the first cluster.'],
  'qcow2/bad-header-length': [F, 'The qcow2 header length is out of range.'],
  'qcow2/bad-l1-offset': [F, 'The qcow2 L1 table is misaligned or past the end of the file.'],
  'qcow2/bad-l1-size': [F, 'The qcow2 L1 table is too small for the virtual size, or too large.'],
  'qcow2/bad-l2-offset': [F, 'A qcow2 L2 table is misaligned, past the end, or overlaps metadata.'],
  'qcow2/bad-refcount-order': [F, 'The qcow2 refcount order is out of range.'],
  'qcow2/bad-refcount-table': [F, 'The qcow2 refcount table offset or size is out of range.'],
  'qcow2/bad-size': [F, 'The qcow2 virtual size is out of range.'],
  'qcow2/bad-snapshot-count': [F, 'The qcow2 snapshot count is out of range.'],
  'qcow2/bad-snapshot-offset': [F, 'The qcow2 snapshot table offset is out of range.'],
  'qcow2/bad-snapshot-table': [
    F,
    'A qcow2 snapshot header or its extra data lies past the end of the file or is out of range.',
  ],
  'qcow2/bad-subcluster-bitmap': [F, 'A qcow2 cluster has subclusters both allocated and zero.'],
  'qcow2/cluster-past-end': [F, 'A qcow2 data cluster lies past the end of the file.'],
  'qcow2/compression-type': [U, 'The qcow2 compression type is not one imagecheck decodes.'],
  'qcow2/encrypted': [U, 'The qcow2 image is encrypted; it is not read.'],
  'qcow2/external-data-file': [U, 'The qcow2 image keeps its data in an external data file; it is not read.'],
  'qcow2/too-many-extensions': [F, 'The qcow2 header has more extensions than allowed.'],
  'qcow2/truncated': [F, 'The file is shorter than a qcow2 header (v2, or the v3 extension).'],
  'qcow2/unknown-incompatible-features': [
    U,
    'The qcow2 image uses incompatible features imagecheck does not know.',
  ],
  'qcow2/version': [U, 'The image is qcow version 1, or a qcow2 version other than 2 or 3; it is not read.'],

  'regf/bad-big-data': [F, "A registry value's big-data segments cannot hold its length."],
  'regf/bad-bins-size': [F, "The registry hive's bins size is misaligned or zero."],
  'regf/bad-cell-offset': [F, 'A registry cell offset is outside the hive bins or misaligned.'],
  'regf/bad-cell-size': [F, 'A registry cell runs past its hive bin.'],
  'regf/bad-checksum': [F, "The registry hive's base block fails its checksum and no log recovers it."],
  'regf/bad-hbin': [F, 'A registry hive bin has a bad signature, offset or size.'],
  'regf/bad-inline-size': [F, 'A registry value claims inline data longer than 4 bytes.'],
  'regf/bad-name-length': [F, 'A registry key or value name is longer than its cell.'],
  'regf/bad-signature': [
    F,
    'A registry structure has the wrong signature (regf, nk, vk, lf, lh, li, ri...).',
  ],
  'regf/cycle': [F, 'A registry key or subkey list is reached twice while walking the hive.'],
  'regf/data-past-cell': [F, "A registry value's data is longer than its cell."],
  'regf/dirty': [F, 'The registry hive is dirty and its logs could not recover it.'],
  'regf/free-cell': [F, 'A registry structure points at an unallocated cell.'],
  'regf/nested-ri': [F, 'A registry subkey index list (ri) holds another ri list.'],
  'regf/over-cap': [
    F,
    'A registry hive, log, key, value or security descriptor is larger than the reader allows.',
  ],
  'regf/subkey-count-mismatch': [F, "A registry key's subkey count differs from its subkey lists."],
  'regf/too-deep': [F, 'Registry keys nest deeper than the reader allows.'],
  'regf/truncated': [F, 'The registry hive is shorter than its base block or bins.'],
  'regf/unsupported-version': [F, 'The registry hive format is not 1.x.'],
  'regf/value-size': [F, "A registry value's data size does not fit its type."],
  'regf/value-too-large': [
    F,
    'A registry integer value is beyond what JavaScript numbers represent exactly.',
  ],
  'regf/value-type': [F, 'A registry value was read as a type it does not have.'],

  'report/unknown-format': [S, 'The report format asked for is not one imagecheck renders.'],

  'rule-tester/bad-fixture': [
    S,
    'A RuleTester fixture file cannot be read or parsed, or its status disagrees with its name.',
  ],
  'rule-tester/bad-fixture-name': [S, "A RuleTester fixture's name does not give a valid expected status."],
  'rule-tester/duplicate-case': [S, 'Two RuleTester cases are the same.'],
  'rule-tester/duplicate-name': [S, 'Two RuleTester cases have the same name.'],
  'rule-tester/files-and-facts': [S, 'A RuleTester case gives both guest files and facts.'],
  'rule-tester/fixture-too-large': [S, 'A RuleTester fixture file is larger than allowed.'],
  'rule-tester/no-expectation': [S, 'An invalid RuleTester case expects nothing.'],
  'rule-tester/no-fixtures': [S, 'The RuleTester fixture folder does not exist.'],
  'rule-tester/no-item': [S, 'The check in a RuleTester case produced no item for the rule.'],
  'rule-tester/unknown-assertion': [S, 'A RuleTester case expects an assertion the rule does not have.'],
  'rule-tester/unknown-message': [S, 'A RuleTester case expects a message the rule does not have.'],
  'rule-tester/unknown-rule': [S, 'A RuleTester case names a rule the pack does not have.'],

  'rule/foreach-not-array': [F, "A rule's forEach gave something that is not an array; the item is error."],
  'rule/foreach-too-large': [F, "A rule's forEach gave more elements than allowed; the item is error."],

  'sdk/schemas-missing': [
    P,
    "The SDK's schema folder or one of its schema files is missing from its installation.",
  ],

  'source/out-of-range': [F, 'A read of an in-memory byte source goes past its end.'],

  'usage/unknown-rule': [S, 'A rule id named in the selection is in no loaded pack.'],

  'vdi/bad-block-count': [F, 'The VDI block count is out of range or does not cover the disk size.'],
  'vdi/bad-block-map': [
    F,
    "The VDI block map lies outside the file, or a block maps past the image's blocks.",
  ],
  'vdi/bad-block-size': [F, 'The VDI block size is not a power of two in range.'],
  'vdi/bad-size': [F, 'The VDI disk size is out of range.'],
  'vdi/block-extra': [U, 'The VDI image has per-block extra data, which is not read.'],
  'vdi/block-past-end': [F, 'A VDI data block lies past the end of the file.'],
  'vdi/image-type': [U, 'The VDI image type is not one imagecheck reads.'],
  'vdi/sector-size': [U, 'The VDI sector size is not supported.'],
  'vdi/truncated': [F, 'The file is shorter than a VDI header.'],
  'vdi/version': [U, 'The VDI header version is not supported.'],

  'version/bad-deb-epoch': [F, "A Debian version's epoch is not a number."],
  'version/bad-deb-upstream': [F, 'A Debian version has an empty upstream part.'],
  'version/bad-kernel': [F, 'A kernel version does not start with a number.'],
  'version/bad-range': [F, 'A semver range is malformed.'],
  'version/bad-semver': [F, 'A version is not a semantic version.'],
  'version/not-a-string': [F, 'A version compared in a rule is not a string.'],
  'version/too-long': [F, 'A version string is longer than allowed.'],
  'version/unknown-scheme': [F, 'A version comparison names an unknown scheme.'],

  'vhd/bad-bat': [
    F,
    'The VHD block allocation table offset or size is out of range, or past the end of the file.',
  ],
  'vhd/bad-block-offset': [F, "A VHD block overlaps the disk's own metadata."],
  'vhd/bad-block-size': [F, 'The VHD block size is not a multiple of 512 in range.'],
  'vhd/bad-dynamic-header': [F, 'The VHD dynamic disk header is missing (no "cxsparse").'],
  'vhd/bad-footer': [F, 'The file has no valid VHD footer, or a fixed VHD footer is not at its end.'],
  'vhd/bad-header-offset': [F, 'The VHD dynamic header offset is out of range.'],
  'vhd/bad-parent-locator': [F, "A VHD parent locator's length or offset is out of range."],
  'vhd/bad-size': [F, 'The VHD disk size is out of range.'],
  'vhd/block-past-end': [F, 'A VHD data block lies past the end of the file.'],
  'vhd/disk-type': [U, 'The VHD disk type is not fixed, dynamic or differencing.'],
  'vhd/no-parent': [F, 'A differencing VHD names no parent.'],

  'vhdx/bad-bat': [F, 'The VHDX BAT region cannot hold the entries the disk needs.'],
  'vhdx/bad-bat-entry': [
    F,
    'A VHDX BAT entry has an invalid state for the disk (or a sector bitmap is missing).',
  ],
  'vhdx/bad-block-offset': [
    F,
    'A VHDX block points into the header area or overlaps the log, BAT or metadata.',
  ],
  'vhdx/bad-block-size': [F, 'The VHDX block size is not a power of two in [1 MiB, 256 MiB].'],
  'vhdx/bad-header': [F, 'A VHDX header field is out of range.'],
  'vhdx/bad-log': [F, 'The VHDX log is malformed.'],
  'vhdx/bad-metadata': [
    F,
    'The VHDX metadata table is missing or malformed, or an item lies outside its region.',
  ],
  'vhdx/bad-parent-locator': [F, 'The VHDX parent locator is malformed or its entries overrun it.'],
  'vhdx/bad-region': [F, 'A VHDX region is misplaced or past the end of the file.'],
  'vhdx/bad-region-table': [F, 'The VHDX region table has too many entries or is malformed.'],
  'vhdx/bad-sector-size': [F, 'The VHDX logical sector size is not 512 or 4096.'],
  'vhdx/bad-size': [F, 'The VHDX virtual disk size is out of range.'],
  'vhdx/block-past-end': [F, 'A VHDX data block lies past the end of the file.'],
  'vhdx/missing-metadata': [F, 'A required VHDX metadata item is missing.'],
  'vhdx/missing-region': [F, 'The VHDX BAT or metadata region is missing.'],
  'vhdx/no-log-sequence': [F, 'The VHDX log needs replay but holds no complete, valid sequence.'],
  'vhdx/no-parent': [F, 'A differencing VHDX names no relative parent path.'],
  'vhdx/no-region-table': [F, 'Neither VHDX region table is valid.'],
  'vhdx/no-valid-header': [F, 'Neither VHDX header is valid.'],
  'vhdx/parent-locator': [U, 'A differencing VHDX has no VHDX parent locator.'],
  'vhdx/parent-mismatch': [
    F,
    "A differencing VHDX's parent is not the disk it was made from (data write GUID).",
  ],
  'vhdx/truncated': [F, 'The file is shorter than the VHDX header area.'],
  'vhdx/unknown-metadata': [U, 'The VHDX has a required metadata item imagecheck does not know.'],
  'vhdx/unknown-region': [U, 'The VHDX has a required region imagecheck does not know.'],
  'vhdx/version': [U, 'The VHDX header version is not supported.'],

  'vmdk/bad-capacity': [F, 'The VMDK capacity or the sum of its extents is larger than allowed.'],
  'vmdk/bad-compressed-grain': [F, 'A compressed VMDK grain does not decompress to a grain.'],
  'vmdk/bad-descriptor': [F, 'The VMDK descriptor is past the end of the file or larger than allowed.'],
  'vmdk/bad-extent': [F, 'A VMDK descriptor extent line has an out-of-range number or names no file.'],
  'vmdk/bad-footer': [
    F,
    'A stream-optimized VMDK has no footer (truncated?), or it does not locate the grain directory.',
  ],
  'vmdk/bad-gd-offset': [F, 'The VMDK grain directory offset is out of range.'],
  'vmdk/bad-gd-size': [F, 'The VMDK grain directory is larger than allowed.'],
  'vmdk/bad-grain-marker': [F, 'A stream-optimized VMDK grain marker has an impossible size.'],
  'vmdk/bad-grain-offset': [F, "A VMDK grain points into the extent's metadata."],
  'vmdk/bad-grain-size': [F, 'The VMDK grain size is out of range or not a power of two.'],
  'vmdk/bad-gt-offset': [F, 'A VMDK grain table lies outside the file.'],
  'vmdk/bad-gt-size': [F, 'The VMDK grain table size is out of range.'],
  'vmdk/bad-magic': [
    R,
    "Not a VMDK: the descriptor magic is missing (appears in the renderers' sample report).",
  ],
  'vmdk/bad-overhead': [F, 'The VMDK overhead is out of range.'],
  'vmdk/compression': [U, 'The VMDK compression algorithm is not deflate.'],
  'vmdk/cowd': [U, 'The VMDK uses VMware COWD (vmfsSparse) extents, which are not read.'],
  'vmdk/extent-kind': [U, 'A VMDK sparse extent is not a hosted sparse extent.'],
  'vmdk/extent-too-short': [F, 'A flat VMDK extent is shorter than its descriptor says.'],
  'vmdk/extent-type': [U, 'The VMDK extent type is not one imagecheck reads.'],
  'vmdk/grain-past-end': [F, 'A VMDK grain lies past the end of the file.'],
  'vmdk/no-extents': [F, 'The VMDK descriptor lists no extents.'],
  'vmdk/noaccess-extent': [U, 'The VMDK has a NOACCESS extent, which is not read.'],
  'vmdk/sesparse': [U, 'The VMDK uses seSparse extents (ESXi snapshots), which are not read.'],
  'vmdk/too-many-extents': [F, 'The VMDK descriptor lists more extents than allowed.'],
  'vmdk/truncated': [F, 'The file is shorter than a VMDK sparse extent header or a stream-optimized footer.'],
  'vmdk/version': [U, 'The VMDK sparse extent version is not supported.'],

  'xfs/bad-block-number': [F, 'An xfs block number or range is outside the filesystem.'],
  'xfs/bad-bmbt-block': [F, 'An xfs bmap btree block has a bad level or record count.'],
  'xfs/bad-bmbt-crc': [F, 'An xfs bmap btree block fails its CRC.'],
  'xfs/bad-bmbt-magic': [F, 'An xfs bmap btree block has a bad magic.'],
  'xfs/bad-bmbt-owner': [F, 'An xfs bmap btree block belongs to another inode or block.'],
  'xfs/bad-bmbt-pointer': [F, 'An xfs bmap btree pointer is out of range.'],
  'xfs/bad-bmbt-root': [F, "An xfs inode's bmap btree root is malformed."],
  'xfs/bad-dir-block': [F, "An xfs block directory's leaf count is too large."],
  'xfs/bad-dir-block-crc': [F, 'An xfs directory block fails its CRC.'],
  'xfs/bad-dir-block-magic': [F, 'An xfs directory block has a bad magic.'],
  'xfs/bad-dir-block-owner': [F, 'An xfs directory block belongs to another inode or block.'],
  'xfs/bad-dir-name': [F, 'An xfs directory entry name is empty or holds "/" or NUL.'],
  'xfs/bad-extent': [F, "An xfs extent's offset is out of range."],
  'xfs/bad-extent-count': [F, 'An xfs inode has more extents than allowed.'],
  'xfs/bad-extent-order': [F, "An xfs inode's extents overlap, are out of order or empty."],
  'xfs/bad-inline-size': [F, "An xfs inode's inline data is larger than its fork."],
  'xfs/bad-inode-crc': [F, 'An xfs inode fails its CRC.'],
  'xfs/bad-inode-forkoff': [F, "An xfs inode's attribute fork offset is past the inode."],
  'xfs/bad-inode-format': [F, "An xfs inode's data fork format does not fit its type."],
  'xfs/bad-inode-magic': [F, 'An xfs inode has a bad magic.'],
  'xfs/bad-inode-number': [F, 'An xfs inode number is outside the filesystem.'],
  'xfs/bad-inode-version': [F, 'An xfs inode version does not fit the filesystem.'],
  'xfs/bad-log-location': [F, 'The xfs internal log lies outside its allocation group.'],
  'xfs/bad-node-id': [
    I,
    'The xfs reader was given a node id that is not an inode number: a bug in the caller.',
  ],
  'xfs/bad-read': [I, 'The xfs reader was asked for an invalid read range: a bug in the caller.'],
  'xfs/bad-root': [F, 'The xfs root inode is not a directory.'],
  'xfs/bad-shortform-dir': [F, 'An xfs shortform directory does not fit its fork.'],
  'xfs/bad-superblock': [F, 'An xfs superblock field is invalid.'],
  'xfs/bad-superblock-crc': [F, 'The xfs superblock fails its CRC.'],
  'xfs/bad-symlink': [F, "An xfs symlink's length is out of range."],
  'xfs/bad-symlink-block': [F, 'An xfs remote symlink block has a bad magic, CRC or owner.'],
  'xfs/bmbt-loop': [F, 'An xfs bmap btree visits a block twice.'],
  'xfs/bmbt-too-large': [F, 'An xfs bmap btree has more blocks than allowed.'],
  'xfs/dir-too-large': [F, 'An xfs directory has more entries than allowed.'],
  'xfs/free-inode': [F, 'An xfs directory names an inode that is not in use.'],
  'xfs/inode-number-mismatch': [F, "An xfs inode's own number (di_ino) does not match where it was read."],
  'xfs/is-a-directory': [I, 'The xfs reader was asked to read a directory as a file: a bug in the caller.'],
  'xfs/not-a-directory': [
    I,
    'The xfs reader was asked to list a node that is not a directory: a bug in the caller.',
  ],
  'xfs/not-a-symlink': [
    I,
    'The xfs reader was asked for the target of a node that is not a symlink: a bug in the caller.',
  ],
  'xfs/read-too-large': [
    S,
    'One xfs read asked for more bytes than the reader returns at once; read in chunks.',
  ],
  'xfs/realtime': [U, 'An xfs file keeps its data on the realtime device, which is not read.'],
  'xfs/truncated': [F, 'The xfs filesystem is larger than the partition or image holding it.'],
  'xfs/unsupported-feature': [U, 'The xfs filesystem uses incompatible features imagecheck does not read.'],
  'xfs/unsupported-version': [U, 'The xfs superblock version is not 4 or 5.'],
  'xfs/value-too-large': [
    F,
    'An xfs 64-bit field holds a value beyond what JavaScript numbers represent exactly.',
  ],

  'xpress/bad-distance': [F, 'XPRESS data copies from before the start of its output.'],
  'xpress/bad-huffman-code': [F, 'XPRESS Huffman data holds a code the table does not define.'],
  'xpress/bad-huffman-table': [F, 'An XPRESS Huffman table is over- or under-subscribed.'],
  'xpress/bad-length': [F, 'An XPRESS match length runs past the end of its output.'],
  'xpress/bad-output-size': [F, 'The XPRESS output size asked for is out of range.'],
  'xpress/output-overflow': [F, 'XPRESS data decodes to more than its declared size.'],
  'xpress/truncated': [F, 'XPRESS data ends inside a block.'],
};

/** Every code, sorted, with its class and meaning. */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = Object.freeze(
  Object.fromEntries(
    Object.entries(TABLE).map(([code, [cls, meaning]]) => [code, Object.freeze({ class: cls, meaning })]),
  ),
);

/** What `code` means, or undefined for a code not in the list; a `/*` family matches its members. */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code];
  const slash = code.indexOf('/');
  const family = slash < 0 ? undefined : `${code.slice(0, slash)}/*`;
  return family !== undefined && Object.hasOwn(ERROR_CODES, family) ? ERROR_CODES[family] : undefined;
}

const CLASS_NOTE: Record<string, string> = {
  FormatError: 'damaged or hostile data in the image',
  UnsupportedError: 'something imagecheck recognises but does not read',
  GuestPathError: 'a guest path that does not resolve',
  PackError: 'a bad rule pack, rule or config file',
  UsageError: 'a bad flag, name or input on the host',
  InternalError: 'a bug: the command exits 4',
  ImagecheckError: 'the image file on the host',
  null: 'not thrown: set on a result (a layout warning, an unavailable fact, a bootloader problem)',
};

/** `docs/errors.md`: every code by namespace, as a Markdown table. */
export function errorCodesMarkdown(): string {
  const lines: string[] = [
    '# Error codes',
    '',
    '<!-- Generated by `npm run error-codes` from packages/access/src/error-codes.ts: edit that file, not this one. -->',
    '',
    'Every error imagecheck reports has a stable `code`, `namespace/name`; branch on it, never on the message.',
    'The class says what kind of problem it is:',
    '',
  ];
  for (const [cls, note] of Object.entries(CLASS_NOTE)) {
    lines.push(`- ${cls === 'null' ? '(none)' : `\`${cls}\``}: ${note}.`);
  }
  lines.push(
    '',
    'An `InternalError`, or any exception that is not an imagecheck error, is a bug: the command prints',
    '`imagecheck hit a bug: <code>: <message>` and exits 4; run it again with `--debug` for the stack.',
  );
  let namespace = '';
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    const ns = code.slice(0, code.indexOf('/'));
    if (ns !== namespace) {
      namespace = ns;
      lines.push('', `## ${ns}`, '', '| Code | Class | Meaning |', '| --- | --- | --- |');
    }
    lines.push(`| \`${code}\` | ${info.class ?? '(result)'} | ${info.meaning.replaceAll('|', '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}
