import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { fstabCollector, fstabFact } from './fstab.js';

export { analyseFstab, type FstabEntry, type FstabFact, parseFstab, parseFstabOnce } from './fstab.js';

export const facts: readonly FactDefinition[] = [fstabFact];
export const collectors: readonly Collector[] = [fstabCollector as Collector];
