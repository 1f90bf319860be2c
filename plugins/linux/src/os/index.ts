import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { adjtimeCollector, adjtimeFact } from './adjtime.js';
import { architectureCollector, architectureFact } from './architecture.js';
import { osReleaseCollector, osReleaseFact } from './os-release.js';
import { selinuxCollector, selinuxFact } from './selinux.js';

export type { Adjtime } from './adjtime.js';
export type { Architecture } from './architecture.js';
export { elfArchitecture, kernelImageArchitecture } from './architecture.js';
export type { Family, OsRelease } from './os-release.js';
export type { Selinux, SelinuxMode } from './selinux.js';

export const facts: readonly FactDefinition[] = [osReleaseFact, architectureFact, selinuxFact, adjtimeFact];
export const collectors: readonly Collector[] = [
  osReleaseCollector as Collector,
  architectureCollector as Collector,
  selinuxCollector as Collector,
  adjtimeCollector as Collector,
];
