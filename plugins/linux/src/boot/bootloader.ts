import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, listDir, NO_GUEST, readOptional, splitLines, unlessBug } from '../guest-files.js';
import { espFilesystem, FsCache, locateGuestPath, resolveGrubDevice, resolveLinuxDevice } from './devices.js';
import {
  type BootTarget,
  bootTargetSchema,
  GrubInterpreter,
  type GrubProblem,
  type GrubReference,
  grubProblemSchema,
  grubReferenceSchema,
} from './grub.js';

export const bootloaderFact = defineFact({
  id: 'linux.bootloader',
  version: '1.0.0',
  description:
    'The boot loader configuration as GRUB would run it: configs read (grub.cfg, ESP stub, BLS entries, grubenv), menu entries, the default entry with its kernel, initrd and command line, whether those files exist on the device GRUB loads them from, and every search/configfile/root= reference with what it resolved to in the image.',
  schema: Type.Object({
    kind: Type.Enum(['grub2', 'extlinux', 'grub-legacy', 'systemd-boot', 'none'], {
      description: '`grub2`, `extlinux` (syslinux), `grub-legacy`, `systemd-boot`, or `none`.',
    }),
    config: Nullable(Type.String({ description: 'Guest path of the main configuration.' })),
    configSource: Nullable(
      Type.Enum(['boot', 'esp'], { description: 'Whether it was found through the ESP.' }),
    ),
    files: Type.Array(Type.String(), {
      description: 'Every GRUB file read, as GRUB names it (`(hd0,gpt2)/boot/grub/grub.cfg`).',
    }),
    espConfigs: Type.Array(Type.Object({ path: Type.String(), stub: Type.Boolean() }), {
      description:
        'ESP `EFI/<vendor>/grub.cfg` files and whether each one is a stub that hands over with `configfile`.',
    }),
    entries: Type.Array(
      Type.Object({
        title: Type.String(),
        id: Nullable(Type.String()),
        file: Type.String(),
        line: Type.Integer(),
        bls: Type.Boolean(),
      }),
    ),
    defaultSetting: Nullable(
      Type.String({
        description: 'The `default` GRUB ended with (`0`, a title, an id, `saved`), before lookup.',
      }),
    ),
    defaultFound: Type.Boolean({
      description:
        'Whether `defaultSetting` names an existing entry (GRUB falls back to the first entry otherwise).',
    }),
    savedEntry: Nullable(Type.String()),
    grubenv: Nullable(
      Type.Object({ file: Type.String(), values: Type.Record(Type.String(), Type.String()) }),
    ),
    blsEntries: Type.Integer(),
    defaultEntry: Nullable(
      Type.Intersect([
        bootTargetSchema,
        Type.Object({
          rootParam: Nullable(Type.String()),
          rootResolved: Nullable(Type.Boolean()),
          rootFilesystem: Nullable(Type.String()),
          rootNote: Nullable(Type.String()),
        }),
      ]),
    ),
    defaultKernelArgs: Type.String({
      description: "The default entry's kernel command line (`linux` arguments), `''` when none.",
    }),
    references: Type.Array(grubReferenceSchema),
    unresolved: Type.Array(grubReferenceSchema, {
      description: 'References that did not resolve, in the script or the default entry or the ESP stub.',
    }),
    problems: Type.Array(grubProblemSchema),
  }),
});

/** Value of `linux.bootloader`. */
export type Bootloader = FactValue<typeof bootloaderFact>;

/** The `root=` argument of a kernel command line (the last one wins, as in the kernel). */
export function rootParam(cmdline: string): string | null {
  let root: string | null = null;
  for (const a of cmdline.split(/\s+/)) if (a.startsWith('root=')) root = a.slice(5);
  return root;
}

const GRUB_CONFIGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];

async function espGrubConfigs(
  ctx: CollectContext,
  fs: FsCache,
): Promise<{ fsId: string; inner: string; path: string; text: string }[]> {
  const esp = espFilesystem(ctx);
  if (!esp?.readable) return [];
  const tree = await fs.open(esp.id);
  const out: { fsId: string; inner: string; path: string; text: string }[] = [];
  const mountpoint = ctx.guest?.mounts.find((m) => m.filesystem === esp.id)?.mountpoint ?? '/boot/efi';
  for (const vendor of await listDir(tree, '/EFI', 64)) {
    for (const name of ['grub.cfg']) {
      const inner = `/EFI/${vendor}/${name}`;
      const text = await readOptional(tree, inner);
      if (text !== undefined) out.push({ fsId: esp.id, inner, path: `${mountpoint}${inner}`, text });
    }
  }
  return out;
}

/** syslinux/extlinux: `DEFAULT label`, `LABEL x`, `KERNEL`/`LINUX`, `INITRD`, `APPEND` (syslinux wiki "Config"). */
function parseExtlinux(text: string, path: string): BootTarget | null {
  let defaultLabel: string | undefined;
  const labels: { name: string; line: number; kernel?: string; initrd: string[]; append: string }[] = [];
  splitLines(text).forEach((raw, i) => {
    const m = /^\s*(\S+)\s*(.*)$/.exec(raw);
    if (!m || m[1]?.startsWith('#')) return;
    const key = (m[1] as string).toUpperCase();
    const val = (m[2] as string).trim();
    const cur = labels[labels.length - 1];
    if (key === 'DEFAULT') defaultLabel = val;
    else if (key === 'LABEL') labels.push({ name: val, line: i + 1, initrd: [], append: '' });
    else if ((key === 'KERNEL' || key === 'LINUX') && cur) cur.kernel = val;
    else if (key === 'INITRD' && cur) cur.initrd = val.split(',');
    else if (key === 'APPEND' && cur) {
      const parts = val.split(/\s+/);
      cur.append = parts.filter((p) => !p.startsWith('initrd=')).join(' ');
      const ini = parts.find((p) => p.startsWith('initrd='));
      if (ini) cur.initrd = ini.slice(7).split(',');
    }
  });
  const e = labels.find((l) => l.name === defaultLabel) ?? labels[0];
  if (!e) return null;
  return {
    title: e.name,
    id: e.name,
    menuPath: e.name,
    source: 'grub',
    file: path,
    line: e.line,
    kernel: e.kernel ?? null,
    initrd: e.initrd,
    cmdline: e.append,
    device: null,
    filesystem: null,
    kernelPath: null,
    kernelExists: null,
    initrdPaths: [],
    initrdExists: null,
  };
}

async function collectBootloader(ctx: CollectContext): Promise<FactResult<Bootloader>> {
  const guest = ctx.guest;
  if (!guest) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const fs = new FsCache(ctx);
  const files = { layout: ctx.layout, fs };
  const evidence: Evidence[] = [];
  const esp = await espGrubConfigs(ctx, fs);
  const espConfigs = esp.map((e) => ({ path: e.path, stub: /^\s*configfile\s/m.test(e.text) }));

  // The main config: /boot/grub*/grub.cfg, else a full (non-stub) config on the ESP (RHEL 7/8 UEFI).
  let main: { fsId: string; inner: string; path: string; source: 'boot' | 'esp' } | undefined;
  for (const p of GRUB_CONFIGS) {
    const loc = locateGuestPath(ctx, p);
    if (loc && (await readOptional(guest, p)) !== undefined) {
      main = { fsId: loc.filesystem, inner: loc.inner, path: p, source: 'boot' };
      break;
    }
  }
  if (!main) {
    const full = esp.find((_e, i) => !espConfigs[i]?.stub);
    if (full) main = { fsId: full.fsId, inner: full.inner, path: full.path, source: 'esp' };
  }
  const references: GrubReference[] = [];
  const problems: GrubProblem[] = [];
  // ESP stubs: their search must find the device and their configfile must exist.
  for (const [i, e] of esp.entries()) {
    if (!espConfigs[i]?.stub) continue;
    const stub = new GrubInterpreter(files, { scope: 'stub', platform: 'efi', followConfigfile: false });
    await stub.start(e.fsId, e.inner);
    references.push(...stub.references.map((r) => ({ ...r, file: guestPathOf(ctx, r.file) })));
    evidence.push(fileEvidence(e.path, undefined, undefined, 'ESP GRUB stub'));
  }

  if (!main) {
    const ext = [
      '/boot/extlinux/extlinux.conf',
      '/extlinux.conf',
      '/boot/syslinux/syslinux.cfg',
      '/boot/extlinux.conf',
    ];
    for (const p of ext) {
      const text = await readOptional(guest, p);
      if (text === undefined) continue;
      const target = parseExtlinux(text, p);
      let entry: Bootloader['defaultEntry'] = null;
      if (target) {
        // syslinux loads paths relative to the directory of its config, on the same filesystem.
        const dir = p.slice(0, p.lastIndexOf('/'));
        const loc = locateGuestPath(ctx, p);
        const base = loc && loc.mountpoint !== '/' ? loc.mountpoint : '';
        const kp = target.kernel
          ? target.kernel.startsWith('/')
            ? `${base}${target.kernel}`
            : `${dir}/${target.kernel}`
          : null;
        const kernelExists = kp ? await existsQuiet(guest, kp) : false;
        const root = rootParam(target.cmdline);
        const r = root ? resolveLinuxDevice(ctx.layout, root) : undefined;
        entry = {
          ...target,
          kernelPath: kp,
          kernelExists,
          rootParam: root,
          rootResolved: r ? r.resolved : null,
          rootFilesystem: r?.filesystem ?? null,
          rootNote: r?.note ?? null,
        };
      }
      evidence.push(fileEvidence(p, target?.line, undefined, 'syslinux/extlinux configuration'));
      return {
        status: 'ok',
        value: {
          kind: 'extlinux',
          config: p,
          configSource: 'boot',
          files: [p],
          espConfigs,
          entries: target
            ? [{ title: target.title, id: target.id, file: p, line: target.line, bls: false }]
            : [],
          defaultSetting: null,
          defaultFound: target !== null,
          savedEntry: null,
          grubenv: null,
          blsEntries: 0,
          defaultEntry: entry,
          defaultKernelArgs: entry?.cmdline ?? '',
          references,
          unresolved: references.filter((r) => !r.resolved),
          problems,
        },
        evidence,
      };
    }
    let kind: Bootloader['kind'] = 'none';
    if (
      (await readOptional(guest, '/boot/grub/menu.lst')) !== undefined ||
      (await readOptional(guest, '/boot/grub/grub.conf')) !== undefined
    )
      kind = 'grub-legacy';
    else if (await existsQuiet(guest, '/boot/efi/loader/loader.conf')) kind = 'systemd-boot';
    if (kind !== 'none')
      problems.push({
        code: 'bootloader/not-interpreted',
        message: `${kind} configuration is not interpreted by imagecheck`,
      });
    return {
      status: 'ok',
      value: {
        kind,
        config: null,
        configSource: null,
        files: [],
        espConfigs,
        entries: [],
        defaultSetting: null,
        defaultFound: false,
        savedEntry: null,
        grubenv: null,
        blsEntries: 0,
        defaultEntry: null,
        defaultKernelArgs: '',
        references,
        unresolved: references.filter((r) => !r.resolved),
        problems,
      },
      evidence: [{ kind: 'file', path: '/boot', note: 'no grub.cfg, extlinux.conf or BLS entries found' }],
    };
  }

  const grub = new GrubInterpreter(files, {
    scope: 'global',
    platform: main.source === 'esp' ? 'efi' : 'pc',
    followConfigfile: true,
  });
  await grub.start(main.fsId, main.inner);
  evidence.push(fileEvidence(main.path, undefined, undefined, 'GRUB configuration'));
  let defaultSetting = grub.vars.get('default') ?? '0';
  const savedEntry = grub.vars.get('saved_entry') ?? grub.grubenv?.values.saved_entry ?? null;
  let source: BootTarget['source'] = 'grub';
  if (defaultSetting === 'saved') {
    defaultSetting = savedEntry ?? '0';
    source = 'grubenv';
  } else if (savedEntry !== null && defaultSetting === savedEntry) source = 'grubenv';
  const picked = grub.pick(defaultSetting);
  const fallback = picked ?? grub.pick('0');
  let entry: Bootloader['defaultEntry'] = null;
  if (fallback) {
    const t = await grub.boot(
      fallback.item,
      fallback.item.bls && source === 'grub' ? 'bls' : source,
      fallback.path,
    );
    const root = rootParam(t.cmdline);
    const r = root ? resolveLinuxDevice(ctx.layout, root) : undefined;
    entry = {
      ...t,
      file: guestPathOf(ctx, t.file),
      rootParam: root,
      rootResolved: r ? r.resolved : null,
      rootFilesystem: r?.filesystem ?? null,
      rootNote: r?.note ?? null,
    };
    evidence.push(fileEvidence(entry.file, t.line, `menuentry '${t.title}'`, 'default boot entry'));
  }
  if (grub.grubenv)
    evidence.push(
      fileEvidence(guestPathOf(ctx, grub.grubenv.file), undefined, undefined, 'GRUB environment block'),
    );
  references.unshift(...grub.references.map((r) => ({ ...r, file: guestPathOf(ctx, r.file) })));
  problems.push(...grub.problems);
  return {
    status: 'ok',
    value: {
      kind: 'grub2',
      config: main.path,
      configSource: main.source,
      files: grub.filesRead,
      espConfigs,
      entries: [...grub.entriesFlat()],
      defaultSetting,
      defaultFound: picked !== undefined,
      savedEntry,
      grubenv: grub.grubenv ? { ...grub.grubenv, file: guestPathOf(ctx, grub.grubenv.file) } : null,
      blsEntries: grub.blsCount,
      defaultEntry: entry,
      defaultKernelArgs: entry?.cmdline ?? '',
      references,
      unresolved: references.filter((r) => !r.resolved),
      problems,
    },
    evidence,
  };
}

/** Maps a GRUB file name `(hd0,gpt2)/grub/grub.cfg` to the guest path where the guest mounts it. */
function guestPathOf(ctx: CollectContext, grubFile: string): string {
  const m = /^\(([^)]*)\)(.*)$/.exec(grubFile);
  if (!m || !ctx.guest) return grubFile;
  const r = resolveGrubDevice(ctx.layout, m[1] as string);
  const inner = m[2] as string;
  if (!r.filesystem) return grubFile;
  if (r.filesystem === ctx.guest.root.filesystem) return inner;
  const mount = ctx.guest.mounts.find((x) => x.filesystem === r.filesystem && x.mountpoint !== '/');
  return mount ? `${mount.mountpoint}${inner}` : grubFile;
}

/** Whether `p` can be stat'ed: absent, a loop or damage all say no; a bug propagates. */
async function existsQuiet(tree: { stat(p: string): Promise<unknown> }, p: string): Promise<boolean> {
  return tree.stat(p).then(() => true, unlessBug(false));
}

export const bootloaderCollector = defineCollector(bootloaderFact, collectBootloader);
