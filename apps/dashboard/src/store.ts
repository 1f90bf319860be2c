import type { ReportItem } from '@imagecheck/sdk';
import { type ImageState, initialImage } from './model.js';

/** A line of the run log: printed once, above the live region, and never redrawn. */
export type LogEntry =
  | { readonly key: string; readonly kind: 'item'; readonly image: string; readonly item: ReportItem }
  | { readonly key: string; readonly kind: 'image'; readonly image: ImageState };

export interface DashboardSnapshot {
  readonly images: readonly ImageState[];
  readonly log: readonly LogEntry[];
}

/**
 * The state the runner writes and the components read (through `useSyncExternalStore`). Each
 * update replaces the snapshot, so React sees a new value and the old one stays valid.
 */
export class DashboardStore {
  private snapshot: DashboardSnapshot;
  private readonly listeners = new Set<() => void>();
  private logCount = 0;

  constructor(images: readonly string[]) {
    this.snapshot = { images: images.map(initialImage), log: [] };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): DashboardSnapshot => this.snapshot;

  /** Replaces image `index` with `fn(image)`; items that newly finished go to the log. */
  update(index: number, fn: (image: ImageState) => ImageState): void {
    const before = this.snapshot.images[index];
    if (before === undefined) return;
    const after = fn(before);
    // Events that change nothing (item-start) must not cost a render.
    if (after === before) return;
    const log = [...this.snapshot.log];
    const label = after.path;
    // Items only ever append while a check runs; the final report may reorder nothing.
    for (const item of after.items.slice(before.items.length)) {
      log.push({ key: `l${this.logCount++}`, kind: 'item', image: label, item });
    }
    const finished = (p: ImageState['phase']) => p === 'done' || p === 'failed';
    if (!finished(before.phase) && finished(after.phase)) {
      log.push({ key: `l${this.logCount++}`, kind: 'image', image: after });
    }
    const images = [...this.snapshot.images];
    images[index] = after;
    this.snapshot = { images, log };
    for (const l of this.listeners) l();
  }
}
