import type { LayoutWarningV2, PartitionInfoV2 } from '@imagecheck/access';

/** The result of reading a disk's partition table. Offsets and sizes in bytes. */
export interface PartitionTable {
  readonly table: 'gpt' | 'mbr' | 'none';
  /** Logical sector size the table was read with. */
  readonly sectorSize: number;
  /** GPT disk GUID (lower-case) or MBR signature (8 lower-case hex digits). */
  readonly diskId?: string;
  readonly partitions: readonly PartitionInfoV2[];
  readonly warnings: readonly LayoutWarningV2[];
  /** `mbr: 'protective' | 'hybrid'` on GPT disks, `gptHeader: 'primary' | 'backup'`, usable LBAs. */
  readonly details: Readonly<Record<string, unknown>>;
}
