import {
  type BiosBootPartitionV2,
  type BootFactsV2,
  collectFacts,
  type FactResult,
  type GuestAccessV2,
  type MbrBootCodeKindV2,
} from '@imagecheck/sdk';
import { plugin } from '../../src/index.js';

/** Collects `ids` through the engine (schema validation included) with the Linux plugin. */
export async function factsOf(
  access: GuestAccessV2,
  ids: readonly string[],
): Promise<Record<string, FactResult>> {
  const { facts } = await collectFacts({ access, plugins: [plugin], ids });
  return facts;
}

/** The value of an `ok` fact, or a thrown error with the reason (so tests fail with it). */
export async function factValue<T = Record<string, unknown>>(access: GuestAccessV2, id: string): Promise<T> {
  const r = (await factsOf(access, [id]))[id];
  if (!r) throw new Error(`${id} not collected`);
  if (r.status !== 'ok') throw new Error(`${id} unavailable: ${r.code ?? ''} ${r.reason}`);
  return r.value as T;
}

/** Boot facts as a backend reads them from sector 0: MBR boot code and the BIOS boot partition. */
export function bootFacts(
  mbr: { kind: MbrBootCodeKindV2; coreSector?: number; embeddedCore?: 'grub2' | 'missing' },
  biosBootPartition?: BiosBootPartitionV2,
): Partial<BootFactsV2> {
  return {
    mbrBootCode: { known: true, ...mbr },
    ...(biosBootPartition === undefined ? {} : { biosBootPartition }),
  };
}
