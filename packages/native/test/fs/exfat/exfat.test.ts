import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isImagecheckError, isInternalError } from '@imagecheck/access';
import { requireTools, walkNodeFs } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/block/slice.js';
import { ExfatFileSystem, openExfat } from '../../../src/fs/exfat/index.js';
import { openFat } from '../../../src/fs/fat/index.js';

// No mkfs.exfat on this machine: exFAT is tested on the corpus images only.
const corpus = join(import.meta.dirname, '../../fixtures/corpus');

function truthFiles(text: string): Map<string, { size: number; sha256: string }> {
  const start = text.indexOf('### regular files extracted with tsk_recover');
  const out = new Map<string, { size: number; sha256: string }>();
  for (const l of text.slice(start).split('\n').slice(1)) {
    const m = /^(\d+) ([0-9a-f]{64}) (\/.*)$/.exec(l);
    if (m !== null) out.set(m[3] as string, { size: Number(m[1]), sha256: m[2] as string });
  }
  return out;
}

function truthEntries(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^([rd])\/[rd] \d+:\t(.*)$/.exec(l))
    .filter(
      (m): m is RegExpExecArray =>
        m !== null && !(m[2] ?? '').includes('(Volume Label Entry)') && !(m[2] ?? '').startsWith('$'),
    )
    .map((m) => `${m[1] === 'd' ? 'dir' : 'file'} /${m[2]}`);
}

async function open(bytes: Uint8Array): Promise<ExfatFileSystem> {
  const fs = await openExfat(new MemorySource(bytes));
  if (!(fs instanceof ExfatFileSystem)) throw new Error('not exFAT');
  return fs;
}

describe('exFAT corpus images', () => {
  it('dissect exfat.bin (Windows): label, serial, every entry and file hash as TSK recorded', async () => {
    const bytes = new Uint8Array(readFileSync(join(corpus, 'dissect.fat__exfat.bin')));
    expect(await openFat(new MemorySource(bytes))).toBeUndefined();
    const fs = await open(bytes);
    expect(fs.info).toMatchObject({ type: 'exfat', uuid: '6859-A296', label: 'THESIS' });
    const truth = readFileSync(join(corpus, 'dissect.fat__exfat.bin.truth.txt'), 'utf8');
    const tree = await walkNodeFs(fs);
    expect(tree.map((e) => `${e.type} ${e.path}`).sort()).toEqual(truthEntries(truth).sort());
    const files = truthFiles(truth);
    for (const e of tree.filter((x) => x.type === 'file'))
      expect(e, e.path).toMatchObject(files.get(e.path) ?? {});
    expect(tree.find((e) => e.path === '/directory/putty.exe')).toMatchObject({
      size: 454_657,
      mode: 0o100644,
      uid: 0,
    });
    const root = await fs.root();
    expect((await fs.lookup(root, 'FIND_ME.TXT'))?.size).toBe(9);
    const dir = await fs.lookup(root, 'Directory');
    const putty = dir && (await fs.lookup(dir, 'putty.exe'));
    if (putty === undefined) throw new Error('putty.exe missing');
    expect((await fs.node(putty.id)).size).toBe(454_657);
    expect((await fs.read(putty, 454_650, 100)).length).toBe(7);
  });

  it.skipIf(!requireTools('xz'))(
    'util-linux exfat.img: the in-use label entry is found past an unused one',
    async () => {
      const bytes = new Uint8Array(execFileSync('xz', ['-dc', join(corpus, 'util-linux__exfat.img.xz')]));
      const fs = await open(bytes);
      expect(fs.info.uuid).toBe('9C23-8877');
      expect(fs.info.label).toBe('Новый том');
      const truth = readFileSync(join(corpus, 'util-linux__exfat.img.truth.txt'), 'utf8');
      const tree = await walkNodeFs(fs);
      expect(tree.map((e) => `${e.type} ${e.path}`).sort()).toEqual(truthEntries(truth).sort());
      const files = truthFiles(truth);
      for (const e of tree) expect(e, e.path).toMatchObject(files.get(e.path) ?? {});
    },
  );

  it('corrupted: truncated, a broken set checksum, a looping chain, garbage ids', async () => {
    const bytes = new Uint8Array(readFileSync(join(corpus, 'dissect.fat__exfat.bin')));
    const err = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isImagecheckError(e), String(e)).toBe(true);
      return (e as { code: string }).code;
    };
    expect(await err(openExfat(new MemorySource(bytes.slice(0, 500_000))))).toBe('exfat/truncated');
    const fs0 = await open(bytes);
    const root = await fs0.root();
    const cat = await fs0.lookup(root, 'cat.jpg');
    if (cat === undefined) throw new Error('cat.jpg missing');
    const [fileOff, streamOff] = cat.id.split(':').map(Number) as [number, number];
    const flipped = bytes.slice();
    flipped[fileOff + 8] = (flipped[fileOff + 8] ?? 0) ^ 0xff;
    expect(await err(openExfat(new MemorySource(flipped)))).toBe('exfat/bad-set-checksum');
    // Make cat.jpg use the FAT and point its first cluster at itself.
    const looped = bytes.slice();
    looped[streamOff + 1] = (looped[streamOff + 1] ?? 0) & ~2;
    const first = new DataView(looped.buffer).getUint32(streamOff + 20, true);
    const fatOffset = fs0.geometry.fatOffset;
    new DataView(looped.buffer).setUint32(fatOffset + first * 4, first, true);
    // Reseal the entry set (spec 6.3.3) so only the chain walk can catch the damage; the set of a
    // root file is contiguous here (the root directory is one cluster).
    const setLen = ((looped[fileOff + 1] ?? 0) + 1) * 32;
    let sum = 0;
    for (let j = 0; j < setLen; j++) {
      if (j === 2 || j === 3) continue;
      sum = (((sum & 1) !== 0 ? 0x8000 : 0) + (sum >> 1) + (looped[fileOff + j] ?? 0)) & 0xffff;
    }
    new DataView(looped.buffer).setUint16(fileOff + 2, sum, true);
    const fs1 = await open(looped);
    expect(await err(fs1.node(cat.id).then((n) => fs1.read(n, 0, n.size)))).toBe('exfat/chain-loop');
    // An id this reader never handed out is a caller bug: InternalError, not a missing file.
    expect(await err(fs0.node('1:2'))).toBe('exfat/bad-node-id');
    expect(isInternalError(await fs0.node('1:2').catch((e: unknown) => e))).toBe(true);
  });
});
