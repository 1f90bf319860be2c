/**
 * Partition type names live in `@imagecheck/access` (one table for every backend); what is left
 * here is what only the MBR reader needs.
 */
import { GPT_TYPE_NAMES, MBR_TYPE_NAMES } from '@imagecheck/access';

export { GPT_TYPE_NAMES, MBR_TYPE_NAMES };

/** Types that hold an EBR chain rather than data (DOS extended, Windows LBA extended, Linux extended). */
export const MBR_EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

/** `0x83` spelling used in `PartitionInfoV2.type`. */
export function mbrTypeString(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}

export function gptTypeName(guid: string): string | undefined {
  return GPT_TYPE_NAMES[guid.toUpperCase()];
}

export function mbrTypeName(type: number): string | undefined {
  return MBR_TYPE_NAMES[type];
}
