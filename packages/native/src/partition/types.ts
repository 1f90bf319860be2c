import type { LayoutWarningV1, PartitionInfoV1 } from '@imagecheck/sdk';

/** The result of reading a disk's partition table. Offsets and sizes in bytes. */
export interface PartitionTable {
  readonly table: 'gpt' | 'mbr' | 'none';
  /** Logical sector size the table was read with. */
  readonly sectorSize: number;
  /** GPT disk GUID (lower-case) or MBR signature (8 lower-case hex digits). */
  readonly diskId?: string;
  readonly partitions: readonly PartitionInfoV1[];
  readonly warnings: readonly LayoutWarningV1[];
  /** `mbr: 'protective' | 'hybrid'` on GPT disks, `gptHeader: 'primary' | 'backup'`, usable LBAs. */
  readonly details: Readonly<Record<string, unknown>>;
}
