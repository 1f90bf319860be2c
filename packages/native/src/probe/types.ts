/** What a signature probe found: the fields blkid prints, in blkid's spelling. */
export interface ProbeResult {
  /** `ext2`, `ext3`, `ext4`, `xfs`, `btrfs`, `vfat`, `exfat`, `ntfs`, `swap`, `iso9660`, `squashfs`, `luks`, `bitlocker`, `LVM2_member`. */
  readonly type: string;
  readonly uuid?: string;
  readonly label?: string;
  /** btrfs device UUID (blkid's UUID_SUB). */
  readonly subUuid?: string;
  /** Version and state: `version`, `needsRecovery`, `blockSize`, ... */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A probe returns `undefined` when the magic does not match ("not mine"). */
export type Probe = (source: import('../block/types.js').ByteSource) => Promise<ProbeResult | undefined>;
