import { createHash } from 'node:crypto';
import type {
  FilesystemInfoV2,
  GuestAccessV2,
  GuestStatV2,
  GuestTreeV2,
  ImageLayoutV2,
  Plugin,
} from '@imagecheck/sdk';
import { createGuestTree, inspectGuest, resolveDeviceSpec, UsageError } from '@imagecheck/sdk';

/**
 * Picks one filesystem from a `--filesystem` spec with the one device-spec resolver: `UUID=...`,
 * `LABEL=...`, `PARTUUID=...`, `PARTLABEL=...`, `/dev/disk/by-*` and `/dev/mapper` names, a
 * partition number, `VG/LV`, or a filesystem id as `imagecheck facts` prints it (`p2`, `lvm/vg/lv`,
 * `disk`).
 */
export function resolveFilesystemSpec(layout: ImageLayoutV2, spec: string): FilesystemInfoV2 {
  const r = resolveDeviceSpec(layout, spec, { shorthand: true });
  if (r.filesystem === undefined) {
    const known = layout.filesystems.map((f) => describeFilesystem(f)).join('\n  ');
    throw new UsageError(
      'cli/filesystem-not-found',
      `--filesystem ${spec}: ${r.reason}. Filesystems found:\n  ${known || '(none)'}`,
      { data: { spec } },
    );
  }
  return r.filesystem;
}

export function describeFilesystem(f: FilesystemInfoV2): string {
  const where =
    f.location.kind === 'partition'
      ? `partition ${f.location.partition}`
      : f.location.kind === 'lvm'
        ? `${f.location.vg}/${f.location.lv}`
        : 'whole disk';
  const parts = [f.id, f.type, where];
  if (f.uuid) parts.push(`UUID=${f.uuid}`);
  if (f.label) parts.push(`LABEL=${f.label}`);
  return parts.join('  ');
}

/** The tree `ls` and `cat` read: one filesystem when asked, otherwise the guest a check would see. */
export async function openTree(
  access: GuestAccessV2,
  filesystemSpec: string | undefined,
  plugins: readonly Plugin[],
): Promise<GuestTreeV2> {
  if (filesystemSpec !== undefined) {
    const layout = await access.inspect();
    const fs = await access.openFilesystem(resolveFilesystemSpec(layout, filesystemSpec).id);
    return createGuestTree([{ mountpoint: '/', fs }]);
  }
  const { layout, guest, guestError } = await inspectGuest(access, { plugins });
  if (guest !== undefined) return guest;
  const known = layout.filesystems.map((f) => describeFilesystem(f)).join('\n  ');
  throw new UsageError(
    'cli/no-os-root',
    `${guestError ?? 'no operating system root was found on this image'}; pick a filesystem with --filesystem (UUID=..., LABEL=..., a partition number or VG/LV). Filesystems found:\n  ${known || '(none)'}`,
  );
}

export interface LsEntry {
  path: string;
  type: GuestStatV2['type'];
  size: number;
  mode: number;
  uid: number;
  gid: number;
  target?: string;
  sha256?: string;
}

/** Entries a recursive listing visits at most: a hostile image cannot make `ls -R` run forever. */
const MAX_LS_ENTRIES = 5_000_000;
const HASH_CHUNK = 4 * 1024 * 1024;

async function hashFile(tree: GuestTreeV2, path: string, size: number): Promise<string> {
  const h = createHash('sha256');
  for (let off = 0; off < size; off += HASH_CHUNK) {
    const length = Math.min(HASH_CHUNK, size - off);
    h.update(await tree.readFile(path, { offset: off, length, maxBytes: HASH_CHUNK }));
  }
  return h.digest('hex');
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/**
 * Lists `path` (its entries when it is a directory), depth first in name order, calling `emit`
 * for each entry. Symlinks are listed, never followed, so a listing cannot leave its subtree.
 */
export async function listTree(
  tree: GuestTreeV2,
  path: string,
  options: { recursive: boolean; hash: boolean },
  emit: (entry: LsEntry) => void,
): Promise<void> {
  let count = 0;
  const entryFor = async (p: string, st: GuestStatV2): Promise<LsEntry> => {
    if (++count > MAX_LS_ENTRIES) {
      throw new UsageError('cli/too-many-entries', `listing stopped after ${MAX_LS_ENTRIES} entries`);
    }
    const e: LsEntry = { path: p, type: st.type, size: st.size, mode: st.mode, uid: st.uid, gid: st.gid };
    if (st.type === 'symlink') e.target = await tree.readlink(p);
    if (options.hash && st.type === 'file') e.sha256 = await hashFile(tree, p, st.size);
    return e;
  };
  const visit = async (dir: string): Promise<void> => {
    const names = (await tree.readdir(dir)).map((d) => d.name).sort();
    for (const name of names) {
      const p = joinPath(dir, name);
      const st = await tree.lstat(p);
      emit(await entryFor(p, st));
      if (options.recursive && st.type === 'dir') await visit(p);
    }
  };
  const st = await tree.lstat(path);
  if (st.type === 'dir' || (st.type === 'symlink' && (await tree.stat(path)).type === 'dir')) {
    await visit(st.type === 'dir' ? path : await tree.realpath(path));
  } else {
    emit(await entryFor(path, st));
  }
}

const TYPE_CHAR: Record<GuestStatV2['type'], string> = { file: '-', dir: 'd', symlink: 'l', other: '?' };

/** `ls -l`-like line for people. */
export function formatLsLine(e: LsEntry): string {
  const perms = (e.mode & 0o7777).toString(8).padStart(4, '0');
  const base = `${TYPE_CHAR[e.type]} ${perms} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${String(e.size).padStart(12)} ${e.path}`;
  const withTarget = e.target !== undefined ? `${base} -> ${e.target}` : base;
  return e.sha256 !== undefined ? `${withTarget}  ${e.sha256}` : withTarget;
}
