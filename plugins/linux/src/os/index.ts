import type { Collector, FactDefinition } from '@imagecheck/sdk';

export const facts: readonly FactDefinition[] = [];
export const collectors: readonly Collector[] = [];
