import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { agentsCollector, agentsFact } from './agents.js';
import { cloudInitCollector, cloudInitFact } from './cloud-init.js';
import { packagesCollector, packagesFact } from './packages.js';

export type { AgentsFact } from './agents.js';
export { type CloudInitFact, mergeConfig } from './cloud-init.js';
export { type PackagesFact, parseDpkgStatus } from './packages.js';

export const facts: readonly FactDefinition[] = [cloudInitFact, agentsFact, packagesFact];
export const collectors: readonly Collector[] = [
  cloudInitCollector as Collector,
  agentsCollector as Collector,
  packagesCollector as Collector,
];
