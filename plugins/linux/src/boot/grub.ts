import {
  FormatError,
  type GuestTreeV2,
  type ImageLayoutV2,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { isAbsent, MAX_CONFIG_BYTES, splitLines, unlessBug } from '../guest-files.js';
import { type FsCache, grubDeviceName, resolveGrubDevice } from './devices.js';
import { type Node, parseGrubScript, rawWord, type Word } from './grub-script.js';

/**
 * Runs a grub.cfg the way GRUB would up to the point where it shows its menu, against the
 * filesystems of the image, and then "boots" the default entry on paper: which kernel, initrd and
 * command line, on which device, and whether those files exist there.
 *
 * Not modelled: video/terminal/font commands, password checks, `regexp`, loops (skipped), and
 * device names other than `hdN,gptM`/`hdN,msdosM`/`lvm/…` (GRUB's BIOS disk numbering is assumed
 * to see this image as `hd0`).
 */

/** `configfile`/`source` nesting GRUB itself would allow before running out of stack. */
export const MAX_GRUB_INCLUDE_DEPTH = 8;
/** Commands executed per interpretation; a grub-mkconfig output runs a few hundred. */
export const MAX_GRUB_STEPS = 100_000;
/** Menu entries recorded; real menus have a handful, RHEL's BLS lists dozens at most. */
export const MAX_GRUB_ENTRIES = 512;
/** grubenv is exactly one 1024-byte block (grub-editenv); allow some slack for hand-made files. */
export const MAX_GRUBENV_BYTES = 64 * 1024;
/** BLS snippets read from one entries directory. */
export const MAX_BLS_ENTRIES = 256;

// The shapes below are part of the `linux.bootloader` fact: its schema is built from them.
export const grubReferenceSchema = Type.Object({
  kind: Type.String({
    description: '`search-fs-uuid`, `search-label`, `search-file`, `configfile`, `source`, `device`.',
  }),
  value: Type.String(),
  file: Type.String(),
  line: Type.Integer(),
  scope: Type.Enum(['global', 'entry', 'stub'], {
    description: "`global` (script), `entry` (the default entry's body), `stub` (the ESP's grub.cfg).",
  }),
  resolved: Type.Boolean(),
  filesystem: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
});
export type GrubReference = Static<typeof grubReferenceSchema>;

export const grubProblemSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  file: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer()),
});
export type GrubProblem = Static<typeof grubProblemSchema>;

export interface BlsEntry {
  readonly id: string;
  readonly title: string;
  readonly version: string;
  readonly linux: string | undefined;
  readonly initrd: readonly string[];
  readonly options: string;
  readonly file: string;
}

interface MenuItem {
  readonly kind: 'entry' | 'submenu';
  readonly title: string;
  readonly id: string | undefined;
  readonly file: string;
  readonly line: number;
  readonly body: readonly Node[];
  readonly children: MenuItem[];
  readonly bls?: BlsEntry & { readonly device: string | undefined };
  /** The menu file's location, for relative configfiles inside the body. */
  readonly origin: Origin;
}

interface Origin {
  /** Guest-visible description of the file, `(hd0,gpt2)/boot/grub/grub.cfg`. */
  readonly label: string;
  readonly scope: 'global' | 'stub';
}

export const bootTargetSchema = Type.Object({
  title: Type.String(),
  id: Nullable(Type.String()),
  menuPath: Type.String(),
  source: Type.Enum(['grub', 'bls', 'grubenv']),
  file: Type.String(),
  line: Type.Integer(),
  kernel: Nullable(Type.String()),
  initrd: Type.Array(Type.String()),
  cmdline: Type.String(),
  device: Nullable(Type.String({ description: 'GRUB device the kernel is loaded from.' })),
  filesystem: Nullable(Type.String({ description: 'The filesystem that device is.' })),
  kernelPath: Nullable(Type.String({ description: 'Kernel path inside that filesystem.' })),
  kernelExists: Nullable(Type.Boolean()),
  initrdPaths: Type.Array(Type.String(), { description: 'Initrd paths inside that filesystem.' }),
  initrdExists: Nullable(Type.Boolean()),
});
export type BootTarget = Static<typeof bootTargetSchema>;

export interface GrubRun {
  readonly files: readonly string[];
  readonly entries: readonly { title: string; id: string | null; file: string; line: number; bls: boolean }[];
  readonly defaultSetting: string;
  readonly defaultFound: boolean;
  readonly defaultEntry: BootTarget | null;
  readonly savedEntry: string | null;
  readonly grubenv: { readonly file: string; readonly values: Record<string, string> } | null;
  readonly blsEntries: number;
  readonly references: GrubReference[];
  readonly problems: GrubProblem[];
}

export interface GrubFiles {
  readonly layout: ImageLayoutV2;
  readonly fs: FsCache;
}

/** Values GRUB 2.02+ sets before reading grub.cfg (grub-core/normal/main.c `features`). */
const FEATURES: Record<string, string> = {
  feature_chainloader_bpb: 'y',
  feature_ntldr: 'y',
  feature_platform_search_hint: 'y',
  feature_default_font_path: 'y',
  feature_all_video_module: 'y',
  feature_menuentry_id: 'y',
  feature_menuentry_options: 'y',
  feature_200_final: 'y',
  feature_nativedisk_cmd: 'y',
  feature_timeout_style: 'y',
};

function splitDevicePath(p: string): { device: string | undefined; path: string } {
  const m = /^\(([^)]*)\)(.*)$/.exec(p);
  if (m) return { device: m[1], path: m[2] === '' ? '/' : (m[2] as string) };
  return { device: undefined, path: p };
}

function versionKey(v: string): (number | string)[] {
  return (v.match(/\d+|[A-Za-z]+/g) ?? []).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** rpmvercmp-like ordering, enough to sort BLS entries and kernel versions newest first. */
export function compareKernelVersions(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return p < q ? -1 : 1;
    } else if (typeof p === 'number') return 1;
    else if (typeof q === 'number') return -1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export function parseGrubenv(text: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  for (const l of splitLines(text)) {
    if (l.startsWith('#') || !l.includes('=')) continue;
    const i = l.indexOf('=');
    values[l.slice(0, i)] = l.slice(i + 1).replace(/\\(.)/g, '$1');
  }
  return values;
}

/** One interpretation of a grub.cfg, starting from a device and path. */
export class GrubInterpreter {
  readonly vars = new Map<string, string>();
  readonly #files: GrubFiles;
  readonly #scope: 'global' | 'stub';
  readonly #followConfigfile: boolean;
  readonly references: GrubReference[] = [];
  readonly problems: GrubProblem[] = [];
  readonly menu: MenuItem[] = [];
  readonly filesRead: string[] = [];
  grubenv: { file: string; values: Record<string, string> } | null = null;
  blsCount = 0;
  #steps = 0;
  #depth = 0;
  /** Where linux/initrd commands go while a menu entry body runs. */
  #entry:
    | { kernel?: string; kernelDevice?: string; initrd: string[]; initrdDevice?: string; cmdline: string }
    | undefined;
  #refScope: 'global' | 'entry' | 'stub';

  constructor(
    files: GrubFiles,
    options: { scope: 'global' | 'stub'; platform: 'pc' | 'efi'; followConfigfile: boolean },
  ) {
    this.#files = files;
    this.#scope = options.scope;
    this.#refScope = options.scope;
    this.#followConfigfile = options.followConfigfile;
    for (const [k, v] of Object.entries(FEATURES)) this.vars.set(k, v);
    this.vars.set('grub_platform', options.platform);
    this.vars.set('grub_cpu', options.platform === 'efi' ? 'x86_64' : 'i386');
  }

  /** Runs the config at `inner` of filesystem `fsId` as GRUB's first config (root and prefix set). */
  async start(fsId: string, inner: string): Promise<void> {
    const info = this.#files.layout.filesystems.find((f) => f.id === fsId);
    if (!info) throw new FormatError('grub/unknown-filesystem', `no filesystem ${fsId}`, { data: { fsId } });
    const dev = grubDeviceName(this.#files.layout, info);
    this.vars.set('root', dev);
    const dir = inner.slice(0, inner.lastIndexOf('/')) || '/';
    this.vars.set('prefix', `(${dev})${dir}`);
    this.vars.set('config_directory', `(${dev})${dir}`);
    await this.#include(`(${dev})${inner}`, 0);
  }

  #label(device: string | undefined, path: string): string {
    return `(${device ?? this.vars.get('root') ?? ''})${path}`;
  }

  async #tree(device: string | undefined): Promise<{ tree: GuestTreeV2; fs: string } | undefined> {
    const dev = device ?? this.vars.get('root') ?? '';
    const r = resolveGrubDevice(this.#files.layout, dev);
    if (!r.resolved || !r.filesystem) return undefined;
    const info = this.#files.layout.filesystems.find((f) => f.id === r.filesystem);
    if (!info?.readable) return undefined;
    return { tree: await this.#files.fs.open(r.filesystem), fs: r.filesystem };
  }

  /** Reads a GRUB path `(dev)/p` or `/p` (on $root); undefined when it does not exist. */
  async readGrubFile(p: string, maxBytes = MAX_CONFIG_BYTES): Promise<string | undefined> {
    const { device, path } = splitDevicePath(p);
    if (!path.startsWith('/')) return undefined;
    const t = await this.#tree(device);
    if (!t) return undefined;
    try {
      const st = await t.tree.stat(path);
      if (st.type !== 'file') return undefined;
      return new TextDecoder().decode(await t.tree.readFile(path, { maxBytes }));
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async grubFileExists(p: string): Promise<boolean | null> {
    const { device, path } = splitDevicePath(p);
    if (!path.startsWith('/')) return false;
    const t = await this.#tree(device);
    if (!t) return null;
    try {
      return (await t.tree.stat(path)).type === 'file';
    } catch (err) {
      if (isAbsent(err)) return false;
      throw err;
    }
  }

  async #include(p: string, depth: number): Promise<boolean> {
    if (depth > MAX_GRUB_INCLUDE_DEPTH) {
      this.problems.push({
        code: 'grub/include-depth',
        message: `configfile/source nesting deeper than ${MAX_GRUB_INCLUDE_DEPTH} at ${p}`,
      });
      return false;
    }
    const text = await this.readGrubFile(p);
    if (text === undefined) return false;
    const { device, path } = splitDevicePath(p);
    const label = this.#label(device, path);
    this.filesRead.push(label);
    const saved = this.#depth;
    this.#depth = depth;
    await this.#run(parseGrubScript(text), { label, scope: this.#scope });
    this.#depth = saved;
    return true;
  }

  #expand(w: Word): string {
    let out = '';
    for (const p of w) {
      if (p.literal) {
        out += p.text;
        continue;
      }
      out += p.text.replace(
        /\$\{([A-Za-z0-9_?]+)\}|\$([A-Za-z_][A-Za-z0-9_]*|[0-9?])/g,
        (_m, a, b) => this.vars.get(a ?? b) ?? '',
      );
    }
    return out;
  }

  /** Expanded arguments; an unquoted word that expands to nothing disappears, as in sh. */
  #args(words: readonly Word[]): string[] {
    const out: string[] = [];
    for (const w of words) {
      const v = this.#expand(w);
      if (v === '' && w.every((p) => !p.literal)) continue;
      out.push(v);
    }
    return out;
  }

  #step(): void {
    if (++this.#steps > MAX_GRUB_STEPS) {
      throw new FormatError('grub/too-many-steps', `grub.cfg ran more than ${MAX_GRUB_STEPS} commands`, {
        data: { limit: MAX_GRUB_STEPS },
      });
    }
  }

  async #run(nodes: readonly Node[], origin: Origin, into: MenuItem[] = this.menu): Promise<boolean> {
    let last = true;
    for (const n of nodes) {
      this.#step();
      if (n.kind === 'command') last = await this.#command(n.words, n.line, origin, into);
      else if (n.kind === 'if') {
        let done = false;
        for (const b of n.branches) {
          if (await this.#run(b.cond, origin, into)) {
            last = await this.#run(b.body, origin, into);
            done = true;
            break;
          }
        }
        if (!done) last = await this.#run(n.otherwise, origin, into);
      } else if (n.kind === 'menuentry' || n.kind === 'submenu') {
        const args = this.#args(n.words);
        const title = args[0] ?? '';
        let id: string | undefined;
        for (let i = 1; i < args.length; i++) {
          if (args[i] === '--id' || args[i] === '$menuentry_id_option') id = args[i + 1];
          else if (
            !args[i]?.startsWith('-') &&
            args[i - 1] !== '--class' &&
            args[i - 1] !== '--users' &&
            args[i - 1] !== '--hotkey'
          )
            id ??= args[i];
        }
        if (into.length >= MAX_GRUB_ENTRIES) continue;
        const item: MenuItem = {
          kind: n.kind === 'menuentry' ? 'entry' : 'submenu',
          title,
          id,
          file: origin.label,
          line: n.line,
          body: n.body,
          children: [],
          origin,
        };
        into.push(item);
        if (n.kind === 'submenu') {
          // GRUB runs a submenu's body when it is entered; its entries only need recording.
          const saved = new Map(this.vars);
          await this.#run(n.body, origin, item.children);
          this.vars.clear();
          for (const [k, v] of saved) this.vars.set(k, v);
        }
      }
      // `function` definitions and loops are not run.
    }
    return last;
  }

  #ref(r: Omit<GrubReference, 'scope'>): void {
    this.references.push({ ...r, scope: this.#refScope });
  }

  async #test(a: string[]): Promise<boolean> {
    if (a[0] === '!') return !(await this.#test(a.slice(1)));
    if (a.length === 0) return false;
    if (a.length === 1) return (a[0] as string) !== '';
    if (a.length === 2) {
      const [op, x] = a as [string, string];
      if (op === '-z') return x === '';
      if (op === '-n') return x !== '';
      if (op === '-e' || op === '-f' || op === '-s' || op === '-d') {
        if (op === '-d') return false;
        const text = await this.readGrubFile(x).catch(unlessBug(undefined));
        return text !== undefined && (op !== '-s' || text.length > 0);
      }
      return false;
    }
    const [x, op, y] = a as [string, string, string];
    if (op === '=' || op === '==') return x === y;
    if (op === '!=') return x !== y;
    if (['-eq', '-ne', '-lt', '-le', '-gt', '-ge'].includes(op)) {
      const p = Number(x);
      const q = Number(y);
      return op === '-eq'
        ? p === q
        : op === '-ne'
          ? p !== q
          : op === '-lt'
            ? p < q
            : op === '-le'
              ? p <= q
              : op === '-gt'
                ? p > q
                : p >= q;
    }
    return false;
  }

  async #search(cmd: string, args: string[], line: number, origin: Origin): Promise<boolean> {
    let kind =
      cmd === 'search.fs_uuid' || cmd === 'search_fs_uuid'
        ? 'search-fs-uuid'
        : cmd === 'search.fs_label' || cmd === 'search_label'
          ? 'search-label'
          : cmd === 'search.file' || cmd === 'search_file'
            ? 'search-file'
            : 'search-file';
    let setVar: string | undefined;
    const positional: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--fs-uuid' || a === '-u') kind = 'search-fs-uuid';
      else if (a === '--label' || a === '-l') kind = 'search-label';
      else if (a === '--file' || a === '-f') kind = 'search-file';
      else if (a === '--set' || a === '-s') setVar = 'root';
      else if (a.startsWith('--set=')) setVar = a.slice(6);
      else if (a.startsWith('--hint')) {
        if (!a.includes('=')) i++;
      } else if (a.startsWith('-')) {
        /* --no-floppy, --efidisk-only … */
      } else positional.push(a);
    }
    const value = positional[0];
    if (cmd !== 'search') setVar = positional[1] ?? 'root';
    if (value === undefined) return false;
    const { layout } = this.#files;
    let fsId: string | undefined;
    if (kind === 'search-fs-uuid') {
      fsId = layout.filesystems.find((f) => f.uuid?.toLowerCase() === value.toLowerCase())?.id;
    } else if (kind === 'search-label') {
      fsId = layout.filesystems.find((f) => f.label === value)?.id;
    } else {
      for (const f of layout.filesystems) {
        if (!f.readable) continue;
        const dev = grubDeviceName(layout, f);
        if (await this.grubFileExists(`(${dev})${value}`)) {
          fsId = f.id;
          break;
        }
      }
    }
    const info = fsId ? layout.filesystems.find((f) => f.id === fsId) : undefined;
    this.#ref({
      kind,
      value,
      file: origin.label,
      line,
      resolved: info !== undefined,
      ...(info
        ? { filesystem: info.id }
        : {
            note: `no filesystem in the image has ${kind === 'search-file' ? `the file ${value}` : `${kind === 'search-label' ? 'label' : 'UUID'} ${value}`}`,
          }),
    });
    if (info && setVar) this.vars.set(setVar, grubDeviceName(layout, info));
    return info !== undefined;
  }

  async #command(words: readonly Word[], line: number, origin: Origin, into: MenuItem[]): Promise<boolean> {
    const name = words[0] ? rawWord(words[0]) : '';
    const args = this.#args(words.slice(1));
    switch (name) {
      case 'set': {
        const a = args[0];
        if (a === undefined) return true;
        const i = a.indexOf('=');
        if (i > 0) this.vars.set(a.slice(0, i), a.slice(i + 1));
        return true;
      }
      case 'unset':
        for (const a of args) this.vars.delete(a);
        return true;
      case '[':
        return this.#test(args[args.length - 1] === ']' ? args.slice(0, -1) : args);
      case 'test':
        return this.#test(args);
      case 'true':
        return true;
      case 'false':
        return false;
      case 'load_env': {
        let file = `${this.vars.get('prefix') ?? ''}/grubenv`;
        const names: string[] = [];
        for (let i = 0; i < args.length; i++) {
          if (args[i] === '-f' || args[i] === '--file') file = args[++i] ?? file;
          else if (!args[i]?.startsWith('-')) names.push(args[i] as string);
        }
        const text = await this.readGrubFile(file, MAX_GRUBENV_BYTES);
        if (text === undefined) return false;
        const values = parseGrubenv(text);
        const { device, path } = splitDevicePath(file);
        this.grubenv = { file: this.#label(device, path), values };
        for (const [k, v] of Object.entries(values))
          if (names.length === 0 || names.includes(k)) this.vars.set(k, v);
        return true;
      }
      case 'search':
      case 'search.fs_uuid':
      case 'search.fs_label':
      case 'search.file':
      case 'search_fs_uuid':
      case 'search_label':
      case 'search_file':
        return this.#search(name, args, line, origin);
      case 'configfile':
      case 'source':
      case '.': {
        const target = args[0];
        if (target === undefined) return false;
        const { device, path } = splitDevicePath(target);
        if (name === 'configfile' && !this.#followConfigfile) {
          const ok = await this.grubFileExists(target);
          const r = device === undefined ? undefined : resolveGrubDevice(this.#files.layout, device);
          this.#ref({
            kind: 'configfile',
            value: target,
            file: origin.label,
            line,
            resolved: ok === true,
            ...(r?.filesystem ? { filesystem: r.filesystem } : {}),
            ...(ok
              ? {}
              : {
                  note:
                    ok === null
                      ? `device ${device ?? this.vars.get('root') ?? ''} is not in the image`
                      : `${path} does not exist there`,
                }),
          });
          return ok === true;
        }
        const ok = await this.#include(target, this.#depth + 1);
        this.#ref({
          kind: name === '.' ? 'source' : name,
          value: target,
          file: origin.label,
          line,
          resolved: ok,
          ...(ok ? {} : { note: `${target} was not found` }),
        });
        return ok;
      }
      case 'blscfg':
        await this.#blscfg(origin, into, line);
        return true;
      case 'linux':
      case 'linuxefi':
      case 'linux16':
      case 'kernel':
        if (this.#entry && args[0] !== undefined) {
          this.#entry.kernel = args[0];
          this.#entry.kernelDevice = this.vars.get('root');
          this.#entry.cmdline = args.slice(1).join(' ');
        }
        return true;
      case 'initrd':
      case 'initrdefi':
      case 'initrd16':
        if (this.#entry) {
          this.#entry.initrd = args.filter((a) => !a.startsWith('--'));
          this.#entry.initrdDevice = this.vars.get('root');
        }
        return true;
      default:
        return true;
    }
  }

  async #blscfg(origin: Origin, into: MenuItem[], line: number): Promise<void> {
    const device = this.vars.get('root');
    const t = await this.#tree(undefined);
    if (!t) return;
    const dirs = [this.vars.get('blsdir'), '/loader/entries', '/boot/loader/entries'].filter(
      (d): d is string => !!d,
    );
    for (const dir of dirs) {
      let names: string[];
      try {
        names = (await t.tree.readdir(dir)).map((e) => e.name).filter((n) => n.endsWith('.conf'));
      } catch (err) {
        if (isAbsent(err)) continue;
        throw err;
      }
      const entries: BlsEntry[] = [];
      for (const n of names.slice(0, MAX_BLS_ENTRIES)) {
        const text = await t.tree.readFile(`${dir}/${n}`, { maxBytes: MAX_CONFIG_BYTES });
        entries.push(
          parseBls(new TextDecoder().decode(text), n.slice(0, -5), `(${device ?? ''})${dir}/${n}`),
        );
      }
      // blscfg sorts newest first by version, then by id (grub2 blscfg.c `bls_cmp`).
      entries.sort(
        (a, b) => compareKernelVersions(b.version, a.version) || compareKernelVersions(b.id, a.id),
      );
      this.blsCount += entries.length;
      for (const e of entries) {
        if (into.length >= MAX_GRUB_ENTRIES) break;
        into.push({
          kind: 'entry',
          title: e.title,
          id: e.id,
          file: e.file,
          line: 1,
          body: [],
          children: [],
          bls: { ...e, device },
          origin,
        });
      }
      return;
    }
    this.problems.push({
      code: 'grub/no-bls-entries',
      message: 'blscfg found no BLS entries (loader/entries)',
      file: origin.label,
      line,
    });
  }

  /** Picks the entry `default` names: an index, a title or id, or a `>`-separated submenu path. */
  pick(spec: string): { item: MenuItem; path: string } | undefined {
    let level: readonly MenuItem[] = this.menu;
    const names: string[] = [];
    let item: MenuItem | undefined;
    for (const part of (spec === '' ? '0' : spec).split('>')) {
      item = /^\d+$/.test(part) ? level[Number(part)] : level.find((e) => e.title === part || e.id === part);
      if (!item) return undefined;
      names.push(item.title);
      level = item.children;
    }
    if (item?.kind !== 'entry') return undefined;
    return { item, path: names.join('>') };
  }

  /** Runs the default entry's body (with the variables as they stand after the script). */
  async boot(item: MenuItem, source: BootTarget['source'], menuPath: string): Promise<BootTarget> {
    let kernel: string | undefined;
    let initrd: string[] = [];
    let cmdline = '';
    let device: string | undefined;
    let initrdDevice: string | undefined;
    if (item.bls) {
      // blscfg expands GRUB variables in every field ($kernelopts, $tuned_initrd, $tuned_params).
      const expand = (s: string): string =>
        s
          .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, v) => this.vars.get(v) ?? '')
          .replace(/\s+/g, ' ')
          .trim();
      kernel = item.bls.linux === undefined ? undefined : expand(item.bls.linux);
      initrd = item.bls.initrd
        .map(expand)
        .flatMap((x) => x.split(' '))
        .filter((x) => x !== '');
      cmdline = expand(item.bls.options);
      device = item.bls.device;
      initrdDevice = device;
    } else {
      this.#entry = { initrd: [], cmdline: '' };
      this.#refScope = 'entry';
      const saved = new Map(this.vars);
      await this.#run(item.body, item.origin, []);
      this.vars.clear();
      for (const [k, v] of saved) this.vars.set(k, v);
      this.#refScope = this.#scope;
      ({ kernel, initrd, cmdline } = this.#entry);
      device = this.#entry.kernelDevice;
      initrdDevice = this.#entry.initrdDevice;
      this.#entry = undefined;
    }
    const where = async (p: string, dev: string | undefined) => {
      const s = splitDevicePath(p);
      const d = s.device ?? dev;
      const exists = await this.grubFileExists(`(${d ?? ''})${s.path}`);
      return { device: d, path: s.path, exists };
    };
    const k = kernel ? await where(kernel, device) : undefined;
    const inits = [];
    for (const i of initrd) inits.push(await where(i, initrdDevice));
    const kdev = k?.device ?? device;
    const r = kdev === undefined ? undefined : resolveGrubDevice(this.#files.layout, kdev);
    return {
      title: item.title,
      id: item.id ?? null,
      menuPath,
      source,
      file: item.file,
      line: item.line,
      kernel: kernel ?? null,
      initrd,
      cmdline,
      device: kdev ?? null,
      filesystem: r?.filesystem ?? null,
      kernelPath: k?.path ?? null,
      kernelExists: k ? k.exists : false,
      initrdPaths: inits.map((i) => i.path),
      initrdExists:
        inits.length === 0
          ? null
          : inits.some((i) => i.exists === null)
            ? null
            : inits.every((i) => i.exists),
    };
  }

  entriesFlat(): GrubRun['entries'] {
    const out: { title: string; id: string | null; file: string; line: number; bls: boolean }[] = [];
    const walk = (items: readonly MenuItem[], prefix: string): void => {
      for (const e of items) {
        if (out.length >= MAX_GRUB_ENTRIES) return;
        if (e.kind === 'entry')
          out.push({ title: prefix + e.title, id: e.id ?? null, file: e.file, line: e.line, bls: !!e.bls });
        else walk(e.children, `${prefix}${e.title}>`);
      }
    };
    walk(this.menu, '');
    return out;
  }
}

/** A Boot Loader Specification type #1 entry (`/loader/entries/*.conf`): `key value` lines. */
export function parseBls(text: string, id: string, file: string): BlsEntry {
  let title = id;
  let version = '';
  let linux: string | undefined;
  const initrd: string[] = [];
  const options: string[] = [];
  for (const raw of splitLines(text)) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'title') title = value;
    else if (key === 'version') version = value;
    else if (key === 'linux') linux = value;
    else if (key === 'initrd') initrd.push(...value.split(/\s+/));
    else if (key === 'options') options.push(value);
  }
  return { id, title, version: version || id, linux, initrd, options: options.join(' '), file };
}
