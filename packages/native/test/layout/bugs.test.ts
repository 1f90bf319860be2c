import { FormatError, InternalError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/block/slice.js';
import type { ByteSource } from '../../src/block/types.js';
import { readLayout } from '../../src/layout.js';

/** A disk whose every read fails with `error`: what the layout makes of the failure is the point. */
function failingDisk(error: () => unknown): ByteSource {
  const inner = new MemorySource(new Uint8Array(1 << 20));
  const wrap = (src: ByteSource): ByteSource => ({
    size: src.size,
    read: () => Promise.reject(error()),
    slice: (offset, length) => wrap(src.slice(offset, length)),
  });
  return wrap(inner);
}

describe('readLayout tells damage from bugs', () => {
  it('damage (a FormatError) becomes a layout warning and the layout is still read', async () => {
    const { layout } = await readLayout(
      failingDisk(() => new FormatError('block/out-of-range', 'read past the end')),
      { format: 'raw' },
    );
    expect(layout.warnings.map((w) => w.code)).toContain('block/out-of-range');
  });

  it('a reader misused (an InternalError) propagates, it is not a warning about the image', async () => {
    const bug = new InternalError('native/closed', 'the image is used after close()');
    await expect(
      readLayout(
        failingDisk(() => bug),
        { format: 'raw' },
      ),
    ).rejects.toBe(bug);
  });

  it('a TypeError propagates too', async () => {
    await expect(
      readLayout(
        failingDisk(() => new TypeError('x is undefined')),
        { format: 'raw' },
      ),
    ).rejects.toBeInstanceOf(TypeError);
  });
});
