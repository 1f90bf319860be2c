/**
 * What the fixture tests need besides the command itself: the independent answers of the real
 * tools (`qemu-img info`, `sfdisk --json`, `blkid -p`, `pvs`/`lvs`) about the same images, and the
 * conversion of `imagecheck ls --json` lines into the shape `walkHostDir` gives for a source tree.
 */
import { mkdtemp, open, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeEntry } from '@imagecheck/test-kit';
import { imagecheck, run } from './helpers.js';

/** One line of `imagecheck ls --json` (apps/cli/src/commands/tree.ts `LsEntry`). */
export interface LsLine {
  path: string;
  type: TreeEntry['type'];
  size: number;
  mode: number;
  uid: number;
  gid: number;
  target?: string;
  sha256?: string;
}

/** Runs the built command and parses its JSON-lines output; fails with its stderr otherwise. */
export async function lsJson(args: readonly string[]): Promise<LsLine[]> {
  const r = await imagecheck(['ls', ...args]);
  if (r.code !== 0) throw new Error(`imagecheck ls ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LsLine);
}

/**
 * `ls` lines in `walkHostDir`'s shape: sizes and hashes only for regular files, targets only for
 * symlinks (the host walk records no directory or symlink sizes).
 */
export function asTree(lines: readonly LsLine[]): TreeEntry[] {
  return lines.map((e) => {
    const base = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid };
    if (e.type === 'file') return { ...base, size: e.size, sha256: e.sha256 };
    if (e.type === 'symlink') return { ...base, target: e.target };
    return base;
  });
}

/** FAT keeps no owners or permission bits: compare names, types, sizes and hashes only. */
export function withoutPosix(entries: readonly TreeEntry[]): Omit<TreeEntry, 'mode' | 'uid' | 'gid'>[] {
  return entries.map(({ mode: _m, uid: _u, gid: _g, ...rest }) => rest);
}

/** `imagecheck facts IMAGE --json`, the parts this suite compares. */
export interface FactsJson {
  disk: {
    format: string;
    virtualSize: number;
    sectorSize: number;
    partitionTable: string;
    diskId?: string;
    details?: Record<string, unknown>;
    partitions: {
      number: number;
      start: number;
      size: number;
      type: string;
      uuid?: string;
      label?: string;
      bootable?: boolean;
      kind?: string;
    }[];
  };
  volumes: {
    vg: string;
    lv: string;
    uuid: string;
    size: number;
    readable: boolean;
    physicalVolumes?: number[];
  }[];
  filesystems: {
    id: string;
    type: string;
    uuid?: string;
    label?: string;
    subUuid?: string;
    size: number;
    location: { kind: string; partition?: number; vg?: string; lv?: string };
  }[];
  warnings: { code: string; message: string }[];
}

export async function factsJson(image: string): Promise<FactsJson> {
  const r = await imagecheck(['facts', image, '--json']);
  if (r.code !== 0) throw new Error(`imagecheck facts ${image} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as FactsJson;
}

/**
 * `qemu-img info --output=json`: the format and the virtual size. The format is named, not probed:
 * qemu probes a fixed VHD (a footer at the end, nothing at the start) as raw. `-U` (force-share):
 * other suites may hold the same cached image open in qemu at the same time, and qemu's image
 * locking would otherwise fail this read-only query.
 */
export async function qemuInfo(
  image: string,
  format: string,
): Promise<{ format: string; virtualSize: number }> {
  const info = JSON.parse(await run('qemu-img', ['info', '-U', '-f', format, '--output=json', image])) as {
    format: string;
    'virtual-size': number;
  };
  return { format: info.format, virtualSize: info['virtual-size'] };
}

/** qemu's format names where ours differ (qemu calls VHD `vpc`). */
export function ourFormatName(qemu: string): string {
  return qemu === 'vpc' ? 'vhd' : qemu;
}

export interface SfdiskTable {
  label: 'dos' | 'gpt';
  id: string;
  firstlba?: number;
  lastlba?: number;
  partitions: {
    node: string;
    start: number;
    size: number;
    type: string;
    uuid?: string;
    name?: string;
    bootable?: boolean;
  }[];
}

/** `blkid -p -o export` over one byte range of a file, as key/value pairs (empty when it finds nothing). */
export { blkidAt as blkidRange } from '@imagecheck/test-kit';

/** blkid's TYPE in our vocabulary. */
export function ourFsType(blkidType: string): string {
  return blkidType === 'crypto_LUKS' ? 'luks' : blkidType;
}

/** A logical volume as `lvs` describes it, with its bytes assembled into a scratch file. */
export interface ExtractedLv {
  vg: string;
  lv: string;
  uuid: string;
  size: number;
  file: string;
}

/**
 * Reads the LVM metadata of the PVs on `pvs` (byte ranges of `image`) with the real tools, through
 * read-only loop devices, and assembles every LV's bytes (linear and striped segments, as `lvs`
 * reports them) into a sparse scratch file under `scratchDir`, so `blkid` can look at each LV.
 * The device filter names only this call's loop devices, so VGs other tests have attached at the
 * same time are never seen. Needs root and loop devices.
 */
export async function extractLvs(
  image: string,
  pvs: readonly { start: number; size: number }[],
  scratchDir: string,
): Promise<ExtractedLv[]> {
  const loops: string[] = [];
  try {
    for (const p of pvs) {
      loops.push(
        (
          await run('losetup', [
            '-f',
            '--show',
            '-r',
            '-o',
            String(p.start),
            '--sizelimit',
            String(p.size),
            image,
          ])
        ).trim(),
      );
    }
    const filter = [...loops.map((l) => `"a|^${l}$|"`), '"r|.*|"'].join(',');
    const config = `devices { filter=[${filter}] use_devicesfile=0 } activation { udev_sync=0 udev_rules=0 } backup { backup=0 archive=0 }`;
    const lvm = (cmd: string, args: string[]) =>
      run(cmd, ['--config', config, '--readonly', ...args], { env: { LVM_SUPPRESS_FD_WARNINGS: '1' } });
    const pvsOut = JSON.parse(
      await lvm('pvs', ['-o', 'pv_name,pe_start', '--units', 'b', '--nosuffix', '--reportformat', 'json']),
    ) as { report: { pv: { pv_name: string; pe_start: string }[] }[] };
    const base = new Map<string, number>();
    for (const r of pvsOut.report[0]?.pv ?? []) {
      const i = loops.indexOf(r.pv_name);
      const p = pvs[i];
      if (p !== undefined) base.set(r.pv_name, p.start + Number(r.pe_start));
    }
    const lvsOut = JSON.parse(
      await lvm('lvs', [
        '-o',
        'vg_name,lv_name,lv_uuid,lv_size,vg_extent_size,seg_start_pe,seg_pe_ranges,stripe_size',
        '--units',
        'b',
        '--nosuffix',
        '--reportformat',
        'json',
      ]),
    ) as {
      report: {
        lv: {
          vg_name: string;
          lv_name: string;
          lv_uuid: string;
          lv_size: string;
          vg_extent_size: string;
          seg_start_pe: string;
          seg_pe_ranges: string;
          stripe_size: string;
        }[];
      }[];
    };
    const out: ExtractedLv[] = [];
    const src = await open(image, 'r');
    try {
      for (const seg of lvsOut.report[0]?.lv ?? []) {
        let lv = out.find((l) => l.vg === seg.vg_name && l.lv === seg.lv_name);
        if (lv === undefined) {
          lv = {
            vg: seg.vg_name,
            lv: seg.lv_name,
            uuid: seg.lv_uuid,
            size: Number(seg.lv_size),
            file: join(scratchDir, `${seg.vg_name}-${seg.lv_name}.lv`),
          };
          await (await open(lv.file, 'w')).close();
          await truncate(lv.file, lv.size);
          out.push(lv);
        }
        const extent = Number(seg.vg_extent_size);
        // seg_pe_ranges: "PV:first-last" per stripe, space-separated.
        const ranges = seg.seg_pe_ranges
          .trim()
          .split(/\s+/)
          .map((r) => {
            const m = /^(.*):(\d+)-(\d+)$/.exec(r);
            const at = m === null ? undefined : base.get(m[1] as string);
            if (m === null || at === undefined) throw new Error(`unexpected seg_pe_ranges ${r}`);
            return { at, first: Number(m[2]), count: Number(m[3]) - Number(m[2]) + 1 };
          });
        const segStart = Number(seg.seg_start_pe) * extent;
        const segLen = ranges.reduce((s, r) => s + r.count, 0) * extent;
        const stripe = ranges.length > 1 ? Number(seg.stripe_size) : segLen;
        const buf = Buffer.alloc(stripe);
        const dst = await open(lv.file, 'r+');
        try {
          for (let off = 0; off < segLen; off += stripe) {
            const k = off / stripe;
            const r = ranges[k % ranges.length] as (typeof ranges)[number];
            const row = Math.floor(k / ranges.length);
            await src.read(buf, 0, stripe, r.at + r.first * extent + row * stripe);
            await dst.write(buf, 0, stripe, segStart + off);
          }
        } finally {
          await dst.close();
        }
      }
    } finally {
      await src.close();
    }
    return out;
  } finally {
    for (const l of loops) await run('losetup', ['-d', l]).catch(() => undefined);
  }
}

export async function scratchDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imagecheck-cli-fx-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
