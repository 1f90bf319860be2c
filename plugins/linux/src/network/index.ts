import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { networkCollector, networkFact } from './network.js';

export { serviceState } from '../services.js';
export { choosePrimary, type NetworkFact } from './network.js';

export const facts: readonly FactDefinition[] = [networkFact];
export const collectors: readonly Collector[] = [networkCollector as Collector];
