import { isImagecheckError, isInternalError } from '@imagecheck/access';
import { ByteView, latin1, utf16le } from '@imagecheck/binary';
import { type ByteInput, inputSize, readExact } from '../source.js';
import { type BaseBlock, filetimeToDate, parseBaseBlock } from './base-block.js';
import {
  BASE_BLOCK_SIZE,
  DB_SEGMENT_SIZE,
  HBIN_ALIGNMENT,
  HBIN_HEADER_SIZE,
  MAX_DB_SEGMENTS,
  MAX_HIVE_SIZE,
  MAX_KEY_DEPTH,
  MAX_SECURITY_DESCRIPTOR,
  MAX_SUBKEYS,
  MAX_VALUE_SIZE,
  MAX_VALUES,
  NO_CELL,
} from './constants.js';
import { regfError } from './errors.js';
import { isAscii, upcaseName, upcaseUnit } from './names.js';
import { type RecoveryReport, recoverHive } from './recover.js';
import { RegValue, type ValueStorage } from './value.js';

/** Options of `openHive`. */
export interface OpenHiveOptions {
  /**
   * Transaction logs of a dirty hive, in the order Windows applies them: `.LOG1` then `.LOG2`
   * (new format, Windows 8.1+), or the single `.LOG` / the applicable one of them (old format).
   * Ignored when the hive is clean.
   */
  logs?: readonly ByteInput[];
  /**
   * Refuse a dirty hive that no log recovered (`regf/dirty`, or `regf/bad-checksum` when the base
   * block checksum is wrong) instead of opening it with `info.mayBeStale` set.
   */
  strict?: boolean;
}

/** What the base block says, and what opening the hive found. */
export interface HiveInfo {
  /** `major.minor`, e.g. `1.5`. */
  version: string;
  major: number;
  minor: number;
  /** Primary and secondary sequence numbers as on disk (before any recovery). */
  sequence1: number;
  sequence2: number;
  lastWritten: Date;
  lastWrittenFiletime: bigint;
  fileType: number;
  fileFormat: number;
  rootCellOffset: number;
  hiveBinsDataSize: number;
  clusteringFactor: number;
  /** The debugging file name Windows stores in the base block (often a partial path). */
  fileName: string;
  checksum: { stored: number; computed: number; valid: boolean };
  /** Whether the primary file was dirty on disk: sequence numbers differ or the checksum is wrong. */
  dirty: boolean;
  dirtyReasons: ('sequence-mismatch' | 'bad-checksum')[];
  /** Whether transaction logs were applied in memory. */
  recovered: boolean;
  /** What log recovery did or why it could not (null when the hive was clean or no logs were given). */
  recovery: RecoveryReport | null;
  /**
   * Dirty and not recovered: the primary file lacks writes that only its logs hold, so values
   * read may be stale (or, rarely, cells half-written). Callers report this with their findings.
   */
  mayBeStale: boolean;
  /** Bytes of the hive held in memory (base block + hive bins). */
  loadedBytes: number;
}

interface Hbin {
  start: number;
  end: number;
}

/**
 * Opens a registry hive: reads the base block and the hive bins into memory (at most
 * `MAX_HIVE_SIZE`; padding after the last bin is not read), checks the checksum, recovers from
 * the given transaction logs when the hive is dirty, and indexes the hive bins. Keys and values
 * are decoded lazily, on access, with every offset, size and count bounds-checked.
 */
export async function openHive(input: ByteInput, options: OpenHiveOptions = {}): Promise<Hive> {
  const size = inputSize(input);
  if (size < BASE_BLOCK_SIZE) {
    throw regfError('truncated', `a hive is at least ${BASE_BLOCK_SIZE} bytes; this one has ${size}`, {
      structure: 'regf base block',
      offset: 0,
      expected: BASE_BLOCK_SIZE,
      actual: size,
    });
  }
  const head = await readExact(input, 0, BASE_BLOCK_SIZE, 'formats/short-input', 'regf base block');
  const base = parseBaseBlock(head);
  const checksumValid = base.storedChecksum === base.computedChecksum;
  const dirtyReasons: HiveInfo['dirtyReasons'] = [];
  if (base.sequence1 !== base.sequence2) dirtyReasons.push('sequence-mismatch');
  if (!checksumValid) dirtyReasons.push('bad-checksum');
  const dirty = dirtyReasons.length > 0;

  // Load what the base block says is there; when its checksum is wrong the size may be garbage,
  // so load what the file has (up to the cap) and let a log supply the real size.
  let want = checksumValid ? BASE_BLOCK_SIZE + base.hiveBinsDataSize : size;
  if (want > MAX_HIVE_SIZE) {
    throw regfError('over-cap', `hive of ${want} bytes exceeds the cap of ${MAX_HIVE_SIZE}`, {
      structure: 'regf base block',
      offset: 40,
      expected: `<= ${MAX_HIVE_SIZE}`,
      actual: want,
    });
  }
  want = Math.min(want, size);
  let bytes = await readExact(input, 0, want, 'formats/short-input', 'regf hive bins');
  let usedBase: BaseBlock = base;
  let recovery: RecoveryReport | null = null;
  if (dirty && options.logs !== undefined && options.logs.length > 0) {
    const logs: Uint8Array[] = [];
    for (const [i, log] of options.logs.entries()) {
      const n = inputSize(log);
      if (n > MAX_HIVE_SIZE) {
        throw regfError('over-cap', `log ${i + 1} of ${n} bytes exceeds the cap of ${MAX_HIVE_SIZE}`, {
          structure: 'regf log',
          offset: 0,
          expected: `<= ${MAX_HIVE_SIZE}`,
          actual: n,
        });
      }
      logs.push(await readExact(log, 0, n, 'formats/short-input', `regf log ${i + 1}`));
    }
    const result = recoverHive(bytes, base, logs);
    recovery = result.report;
    if (result.bytes !== null) {
      // A replay that leaves the hive bins broken (a log of another write, a torn log) is
      // dropped: the primary is opened as it is, flagged as possibly stale.
      try {
        const b = parseBaseBlock(result.bytes);
        indexHbins(result.bytes, b.hiveBinsDataSize);
        bytes = result.bytes;
        usedBase = b;
      } catch (e) {
        if (!isImagecheckError(e) || isInternalError(e)) throw e;
        recovery.applied = false;
        recovery.notes.push(`the replayed hive is invalid (${e.message}); opened without the logs`);
      }
    }
  }
  const recovered = recovery?.applied === true;
  if (dirty && !recovered && options.strict === true) {
    const code = checksumValid ? 'dirty' : 'bad-checksum';
    throw regfError(
      code,
      checksumValid
        ? `the hive is dirty (sequence ${base.sequence1} != ${base.sequence2}) and no log recovered it`
        : `base block checksum 0x${base.storedChecksum.toString(16)} != computed 0x${base.computedChecksum.toString(16)}`,
      {
        structure: 'regf base block',
        offset: checksumValid ? 4 : 508,
        expected: checksumValid ? base.sequence1 : base.computedChecksum,
        actual: checksumValid ? base.sequence2 : base.storedChecksum,
      },
    );
  }
  if (usedBase.major !== 1) {
    throw regfError('unsupported-version', `hive format ${usedBase.major}.${usedBase.minor} is not 1.x`, {
      structure: 'regf base block',
      offset: 20,
      expected: 1,
      actual: usedBase.major,
    });
  }
  const binsSize = usedBase.hiveBinsDataSize;
  if (binsSize % HBIN_ALIGNMENT !== 0 || binsSize === 0 || BASE_BLOCK_SIZE + binsSize > bytes.length) {
    throw regfError(
      BASE_BLOCK_SIZE + binsSize > bytes.length ? 'truncated' : 'bad-bins-size',
      `hive bins data size ${binsSize} does not fit the ${bytes.length}-byte hive (or is not a multiple of 4096)`,
      {
        structure: 'regf base block',
        offset: 40,
        expected: `<= ${bytes.length - BASE_BLOCK_SIZE}`,
        actual: binsSize,
      },
    );
  }
  const info: HiveInfo = {
    version: `${usedBase.major}.${usedBase.minor}`,
    major: usedBase.major,
    minor: usedBase.minor,
    sequence1: base.sequence1,
    sequence2: base.sequence2,
    lastWritten: filetimeToDate(usedBase.lastWrittenFiletime),
    lastWrittenFiletime: usedBase.lastWrittenFiletime,
    fileType: usedBase.fileType,
    fileFormat: usedBase.fileFormat,
    rootCellOffset: usedBase.rootCellOffset,
    hiveBinsDataSize: binsSize,
    clusteringFactor: usedBase.clusteringFactor,
    fileName: usedBase.fileName,
    checksum: { stored: base.storedChecksum, computed: base.computedChecksum, valid: checksumValid },
    dirty,
    dirtyReasons,
    recovered,
    recovery,
    mayBeStale: dirty && !recovered,
    loadedBytes: BASE_BLOCK_SIZE + binsSize,
  };
  return new Hive(bytes.subarray(0, BASE_BLOCK_SIZE + binsSize), info);
}

/** A registry hive opened by `openHive`. */
export class Hive {
  readonly root: RegKey;
  private readonly hbins: Hbin[];
  private readonly binsSize: number;
  private readonly dv: DataView;

  /** @internal use `openHive` */
  constructor(
    private readonly bytes: Uint8Array,
    readonly info: HiveInfo,
  ) {
    this.binsSize = info.hiveBinsDataSize;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.hbins = indexHbins(bytes, this.binsSize);
    this.root = new RegKey(this, info.rootCellOffset, null, 0);
  }

  /**
   * The key at `path` below the root (`ControlSet001\Services\viostor`), case-insensitively, or
   * null when a component does not exist. Separators are backslashes; a leading one and empty
   * components are ignored, so `''` and `'\'` are the root.
   */
  key(path: string): RegKey | null {
    let k: RegKey | null = this.root;
    for (const part of path.split('\\')) {
      if (part === '') continue;
      k = k.subkey(part);
      if (k === null) return null;
    }
    return k;
  }

  /**
   * Every key, depth first in on-disk (sorted) order, the root first. A key reached twice (a
   * subkey list pointing back at an ancestor or a sibling) is `regf/cycle`.
   */
  *walk(from: RegKey = this.root): Generator<RegKey> {
    const seen = new Set<number>();
    const stack: RegKey[] = [from];
    while (stack.length > 0) {
      const k = stack.pop() as RegKey;
      if (seen.has(k.offset)) {
        throw regfError('cycle', `key node at ${k.offset} is reached twice (at ${k.path || '\\'})`, {
          structure: 'regf nk',
          offset: BASE_BLOCK_SIZE + k.offset,
        });
      }
      seen.add(k.offset);
      yield k;
      const subs = k.subkeys();
      for (let i = subs.length - 1; i >= 0; i--) stack.push(subs[i] as RegKey);
    }
  }

  /**
   * The data of the cell at `offset` (relative to the first hive bin), without its size field.
   * The cell must start inside a hive bin, after its header, on an 8-byte boundary, be allocated
   * (negative size) and end inside the same bin.
   * @internal
   */
  cell(offset: number, structure: string): ByteView {
    const { start, length } = this.cellSpan(offset, structure);
    return new ByteView(this.bytes.subarray(start, start + length), structure, start);
  }

  /**
   * Where the data of the cell at `offset` is: its file offset and length, with the checks of
   * `cell`, without making a view (for the hot path of name comparisons).
   * @internal
   */
  cellSpan(offset: number, structure: string): { start: number; length: number } {
    const fileOffset = BASE_BLOCK_SIZE + offset;
    if (offset === NO_CELL || offset % 8 !== 0 || offset + 8 > this.binsSize) {
      throw regfError(
        'bad-cell-offset',
        `${structure}: cell offset ${offset} is outside the hive bins or misaligned`,
        {
          structure,
          offset: fileOffset,
          expected: `8-aligned, < ${this.binsSize}`,
          actual: offset,
        },
      );
    }
    const bin = this.binOf(offset);
    if (bin === undefined || offset < bin.start + HBIN_HEADER_SIZE) {
      throw regfError('bad-cell-offset', `${structure}: cell offset ${offset} is inside a hive bin header`, {
        structure,
        offset: fileOffset,
        actual: offset,
      });
    }
    const raw = this.dv.getInt32(fileOffset, true);
    if (raw >= 0) {
      throw regfError('free-cell', `${structure}: cell at ${offset} is not allocated (size ${raw})`, {
        structure,
        offset: fileOffset,
        expected: 'negative size',
        actual: raw,
      });
    }
    const cellSize = -raw;
    if (cellSize < 8 || offset + cellSize > bin.end) {
      throw regfError(
        'bad-cell-size',
        `${structure}: cell at ${offset} of ${cellSize} bytes runs past its hive bin`,
        {
          structure,
          offset: fileOffset,
          expected: `<= ${bin.end - offset}`,
          actual: cellSize,
        },
      );
    }
    return { start: fileOffset + 4, length: cellSize - 4 };
  }

  /**
   * Compares the name of the key node at `offset`, upper-cased, with `upper` (already upper-cased)
   * by UTF-16 code units, without decoding it into a string.
   * @internal
   */
  compareKeyName(offset: number, upper: string): number {
    const { start, length } = this.cellSpan(offset, 'regf nk');
    const dv = this.dv;
    // "nk" little-endian; name length @72, name @76 (msuhanov/regf, "Key node").
    if (length < 76 || dv.getUint16(start, true) !== 0x6b6e) {
      // Let the full decoder raise the precise error.
      new ByteView(this.bytes.subarray(start, start + length), 'regf nk', start).check(0, 76, 'key node');
      throw regfError('bad-signature', `regf nk at ${offset}: not a key node`, {
        structure: 'regf nk',
        offset: start - 4,
        expected: 'nk',
      });
    }
    const compressed = (dv.getUint16(start + 2, true) & KeyFlags.COMP_NAME) !== 0;
    const nameBytes = dv.getUint16(start + 72, true);
    if (76 + nameBytes > length) {
      throw regfError(
        'bad-name-length',
        `regf nk at ${offset}: a ${nameBytes}-byte name in a ${length}-byte cell`,
        {
          structure: 'regf nk',
          offset: start + 72,
          expected: `<= ${length - 76}`,
          actual: nameBytes,
        },
      );
    }
    const units = compressed ? nameBytes : nameBytes >>> 1;
    const n = Math.min(units, upper.length);
    const at = start + 76;
    for (let i = 0; i < n; i++) {
      const a = upcaseUnit(compressed ? (this.bytes[at + i] as number) : dv.getUint16(at + 2 * i, true));
      const b = upper.charCodeAt(i);
      if (a !== b) return a - b;
    }
    return units - upper.length;
  }

  private binOf(offset: number): Hbin | undefined {
    let lo = 0;
    let hi = this.hbins.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.hbins[mid] as Hbin;
      if (offset < b.start) hi = mid - 1;
      else if (offset >= b.end) lo = mid + 1;
      else return b;
    }
    return undefined;
  }
}

/**
 * Walks the hive bins from the first (offset 0) to the hive bins data size: each must carry the
 * "hbin" signature, its own offset, and a size that is a non-zero multiple of 4096 inside the
 * data ("Hive bin"). The loop advances by at least 4096 bytes, so it ends.
 */
function indexHbins(bytes: Uint8Array, binsSize: number): Hbin[] {
  const v = new ByteView(bytes, 'regf hive bin', 0);
  const out: Hbin[] = [];
  for (let pos = 0; pos < binsSize; ) {
    const at = BASE_BLOCK_SIZE + pos;
    const sig = v.latin1(at, 4, { field: 'signature' });
    const own = v.u32le(at + 4, 'offset');
    const size = v.u32le(at + 8, 'size');
    if (sig !== 'hbin' || own !== pos || size === 0 || size % HBIN_ALIGNMENT !== 0 || pos + size > binsSize) {
      throw regfError('bad-hbin', `hive bin at ${pos}: signature "${sig}", offset ${own}, size ${size}`, {
        structure: 'regf hive bin',
        offset: at,
        expected: `hbin at ${pos}, size a multiple of 4096 within ${binsSize}`,
        actual: { signature: sig, offset: own, size },
      });
    }
    out.push({ start: pos, end: pos + size });
    pos += size;
  }
  return out;
}

function signature(c: ByteView): string {
  return c.length >= 2 ? String.fromCharCode(c.bytes[0] as number, c.bytes[1] as number) : '';
}

/**
 * A compressed (Latin-1, one byte per character) name. Names are short (255 characters at most
 * for keys), where a loop beats spreading a typed array into `String.fromCharCode`.
 */
function latin1Name(b: Uint8Array): string {
  if (b.length > 512) return latin1(b);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

function expectSignature(c: ByteView, want: string, offset: number): void {
  const sig = signature(c);
  if (sig !== want) {
    throw regfError('bad-signature', `${c.structure} at ${offset}: signature "${sig}", expected "${want}"`, {
      structure: c.structure,
      offset: c.base - 4,
      expected: want,
      actual: sig,
    });
  }
}

/** nk flags (msuhanov/regf, "Key node" flags). */
export const KeyFlags = {
  VOLATILE: 0x0001,
  HIVE_EXIT: 0x0002,
  HIVE_ENTRY: 0x0004,
  NO_DELETE: 0x0008,
  SYM_LINK: 0x0010,
  COMP_NAME: 0x0020,
  PREDEF_HANDLE: 0x0040,
} as const;

/**
 * A leaf of a subkey list (li, lf or lh): `count` key node offsets, `stride` bytes apart from
 * byte 4 of the cell, in list order (sorted by upper-cased name). Entries are read on demand so
 * that a binary search touches O(log n) of them.
 */
interface Leaf {
  cell: ByteView;
  stride: number;
  count: number;
}

function entryAt(leaf: Leaf, i: number): number {
  return leaf.cell.u32le(4 + i * leaf.stride, 'entry');
}

/**
 * A registry key (an nk cell), decoded when it is reached. Subkeys and values are read from the
 * hive on each call; nothing is cached beyond the key's own fields.
 */
export class RegKey {
  /** The key name as stored (Latin-1 when the nk says so, else UTF-16LE). */
  readonly name: string;
  /** Flags (see `KeyFlags`). */
  readonly flags: number;
  readonly lastWrittenFiletime: bigint;
  readonly subkeyCount: number;
  readonly valueCount: number;
  private readonly subkeyList: number;
  private readonly valueList: number;
  private readonly securityOffset: number;
  private readonly classOffset: number;
  private readonly classLength: number;

  /** @internal keys come from `Hive.root`, `Hive.key` and `RegKey.subkey(s)` */
  constructor(
    private readonly hive: Hive,
    /** The nk cell offset, relative to the first hive bin. */
    readonly offset: number,
    parentPath: string | null,
    /** Levels below the hive root. */
    readonly depth: number,
  ) {
    if (depth > MAX_KEY_DEPTH) {
      throw regfError('too-deep', `key nesting exceeds ${MAX_KEY_DEPTH} levels at ${parentPath}`, {
        structure: 'regf nk',
        offset: BASE_BLOCK_SIZE + offset,
        expected: `<= ${MAX_KEY_DEPTH}`,
        actual: depth,
      });
    }
    // nk layout (msuhanov/regf, "Key node"): offsets from the start of the cell data.
    const c = hive.cell(offset, 'regf nk');
    expectSignature(c, 'nk', offset);
    this.flags = c.u16le(2, 'flags');
    this.lastWrittenFiletime = c.u64le(4, 'last written');
    this.subkeyCount = c.u32le(20, 'subkey count');
    this.subkeyList = c.u32le(28, 'subkey list');
    this.valueCount = c.u32le(36, 'value count');
    this.valueList = c.u32le(40, 'value list');
    this.securityOffset = c.u32le(44, 'security');
    this.classOffset = c.u32le(48, 'class name offset');
    const nameLength = c.u16le(72, 'name length');
    this.classLength = c.u16le(74, 'class name length');
    const nameBytes = c.bytesAt(76, nameLength, 'name');
    this.name = this.flags & KeyFlags.COMP_NAME ? latin1Name(nameBytes) : utf16le(nameBytes);
    this.path = parentPath === null ? '' : parentPath === '' ? this.name : `${parentPath}\\${this.name}`;
  }

  /** The path below the hive root, backslash-separated; `''` for the root. */
  readonly path: string;

  get lastWritten(): Date {
    return filetimeToDate(this.lastWrittenFiletime);
  }

  /** The class name (UTF-16LE), or null when the key has none. */
  get className(): string | null {
    if (this.classOffset === NO_CELL || this.classLength === 0) return null;
    const c = this.hive.cell(this.classOffset, 'regf class name');
    return c.utf16le(0, this.classLength, { field: 'class name' });
  }

  /** The raw self-relative SECURITY_DESCRIPTOR of the key's sk cell, or null when it has none. */
  securityDescriptor(): Uint8Array | null {
    if (this.securityOffset === NO_CELL) return null;
    // sk layout (libregf "Security key"): "sk", reserved u16, flink, blink, reference count,
    // descriptor size @16, descriptor @20.
    const c = this.hive.cell(this.securityOffset, 'regf sk');
    expectSignature(c, 'sk', this.securityOffset);
    const n = c.u32le(16, 'descriptor size');
    if (n > MAX_SECURITY_DESCRIPTOR) {
      throw regfError('over-cap', `security descriptor of ${n} bytes exceeds ${MAX_SECURITY_DESCRIPTOR}`, {
        structure: 'regf sk',
        offset: c.base + 16,
        expected: `<= ${MAX_SECURITY_DESCRIPTOR}`,
        actual: n,
      });
    }
    return c.bytesAt(20, n, 'descriptor');
  }

  /**
   * The leaves of the subkey list: an li, lf or lh list, or an ri whose entries are such lists
   * (an ri never points to another ri: "Index root" notes 1-2; we read one level of ri only).
   */
  private leaves(): Leaf[] {
    const count = this.subkeyCount;
    if (count === 0) return [];
    if (count > MAX_SUBKEYS) {
      throw regfError('over-cap', `${this.path || '\\'}: ${count} subkeys exceed the cap of ${MAX_SUBKEYS}`, {
        structure: 'regf nk',
        offset: BASE_BLOCK_SIZE + this.offset + 4 + 20,
        expected: `<= ${MAX_SUBKEYS}`,
        actual: count,
      });
    }
    const out: Leaf[] = [];
    const top = this.hive.cell(this.subkeyList, 'regf subkey list');
    if (signature(top) === 'ri') {
      const n = top.u16le(2, 'count');
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        const sub = top.u32le(4 + 4 * i, 'ri entry');
        if (seen.has(sub)) {
          throw regfError('cycle', `index root lists the subkey list at ${sub} twice`, {
            structure: 'regf ri',
            offset: top.base + 4 + 4 * i,
            actual: sub,
          });
        }
        seen.add(sub);
        out.push(this.leaf(this.hive.cell(sub, 'regf subkey list'), sub, false));
      }
    } else {
      out.push(this.leaf(top, this.subkeyList, true));
    }
    let total = 0;
    for (const l of out) total += l.count;
    if (total !== count) {
      throw regfError(
        'subkey-count-mismatch',
        `${this.path || '\\'}: the key node says ${count} subkeys, its lists hold ${total}`,
        {
          structure: 'regf nk',
          offset: BASE_BLOCK_SIZE + this.offset + 4 + 20,
          expected: count,
          actual: total,
        },
      );
    }
    return out;
  }

  private leaf(c: ByteView, offset: number, top: boolean): Leaf {
    const sig = signature(c);
    const n = c.u16le(2, 'count');
    // li: 4-byte entries; lf and lh: 8-byte entries (offset, then a name hint or hash).
    const stride = sig === 'li' ? 4 : sig === 'lf' || sig === 'lh' ? 8 : 0;
    if (stride === 0) {
      throw regfError(
        sig === 'ri' ? 'nested-ri' : 'bad-signature',
        `subkey list at ${offset}: signature "${sig}"${top ? '' : ' inside an index root'}`,
        {
          structure: 'regf subkey list',
          offset: c.base - 4,
          expected: top ? 'li, lf, lh or ri' : 'li, lf or lh',
          actual: sig,
        },
      );
    }
    c.check(4, n * stride, 'entries');
    return { cell: c, stride, count: n };
  }

  /** The subkeys, in list order (Windows keeps them sorted by upper-cased name). */
  subkeys(): RegKey[] {
    const out: RegKey[] = [];
    for (const leaf of this.leaves()) {
      for (let i = 0; i < leaf.count; i++)
        out.push(new RegKey(this.hive, entryAt(leaf, i), this.path, this.depth + 1));
    }
    return out;
  }

  /** The names of the subkeys, without decoding more than each name. */
  subkeyNames(): string[] {
    const out: string[] = [];
    for (const leaf of this.leaves())
      for (let i = 0; i < leaf.count; i++) out.push(this.nameAt(entryAt(leaf, i)));
    return out;
  }

  /**
   * The subkey named `name`, case-insensitively, or null. For an ASCII name each list leaf is
   * binary-searched by upper-cased name, the order Windows keeps; names outside ASCII are matched
   * by a scan of the leaf, since our upper-casing may differ from Windows's table there and a
   * binary search over a different order could miss.
   */
  subkey(name: string): RegKey | null {
    const target = upcaseName(name);
    const ascii = isAscii(name);
    for (const leaf of this.leaves()) {
      const found = ascii ? this.search(leaf, target) : this.scan(leaf, target);
      if (found !== null) return new RegKey(this.hive, found, this.path, this.depth + 1);
    }
    return null;
  }

  private search(leaf: Leaf, target: string): number | null {
    let lo = 0;
    let hi = leaf.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const off = entryAt(leaf, mid);
      const cmp = this.hive.compareKeyName(off, target);
      if (cmp === 0) return off;
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  private scan(leaf: Leaf, target: string): number | null {
    for (let i = 0; i < leaf.count; i++) {
      const off = entryAt(leaf, i);
      if (upcaseName(this.nameAt(off)) === target) return off;
    }
    return null;
  }

  /** The name of the key node at `off`, read without decoding the rest of it. */
  private nameAt(off: number): string {
    const c = this.hive.cell(off, 'regf nk');
    expectSignature(c, 'nk', off);
    const flags = c.u16le(2, 'flags');
    const b = c.bytesAt(76, c.u16le(72, 'name length'), 'name');
    return flags & KeyFlags.COMP_NAME ? latin1Name(b) : utf16le(b);
  }

  private valueOffsets(): number[] {
    const count = this.valueCount;
    if (count === 0) return [];
    if (count > MAX_VALUES) {
      throw regfError('over-cap', `${this.path || '\\'}: ${count} values exceed the cap of ${MAX_VALUES}`, {
        structure: 'regf nk',
        offset: BASE_BLOCK_SIZE + this.offset + 4 + 36,
        expected: `<= ${MAX_VALUES}`,
        actual: count,
      });
    }
    // The key values list is a bare array of vk offsets; its length comes from the nk.
    const c = this.hive.cell(this.valueList, 'regf value list');
    c.check(0, count * 4, 'entries');
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(c.u32le(i * 4));
    return out;
  }

  /** The values, in list order (unsorted on disk). */
  values(): RegValue[] {
    return this.valueOffsets().map((off) => this.readValue(off));
  }

  /** The value names, without reading any data. */
  valueNames(): string[] {
    return this.valueOffsets().map((off) => vkName(this.hive.cell(off, 'regf vk'), off));
  }

  /** The value named `name` case-insensitively (`''` for the default value), or null. */
  value(name: string): RegValue | null {
    const target = upcaseName(name);
    for (const off of this.valueOffsets()) {
      const c = this.hive.cell(off, 'regf vk');
      if (upcaseName(vkName(c, off)) === target) return this.readValue(off);
    }
    return null;
  }

  private readValue(off: number): RegValue {
    // vk layout (msuhanov/regf, "Key value"): "vk", name length @2, data size @4 (bit 31: data
    // inline in the data offset field), data offset @8, type @12, flags @16, name @20.
    const c = this.hive.cell(off, 'regf vk');
    const name = vkName(c, off);
    const rawSize = c.u32le(4, 'data size');
    const dataOffset = c.u32le(8, 'data offset');
    const type = c.u32le(12, 'type');
    const inline = (rawSize & 0x80000000) !== 0;
    const length = rawSize & 0x7fffffff;
    let data: Uint8Array;
    let storage: ValueStorage;
    if (inline) {
      if (length > 4) {
        throw regfError('bad-inline-size', `value "${name}": ${length} bytes cannot be inline`, {
          structure: 'regf vk',
          offset: c.base + 4,
          expected: '<= 4',
          actual: length,
        });
      }
      data = c.bytesAt(8, length, 'inline data');
      storage = 'inline';
    } else if (length === 0) {
      data = new Uint8Array(0);
      storage = 'empty';
    } else {
      if (length > MAX_VALUE_SIZE) {
        throw regfError('over-cap', `value "${name}": ${length} bytes exceed the cap of ${MAX_VALUE_SIZE}`, {
          structure: 'regf vk',
          offset: c.base + 4,
          expected: `<= ${MAX_VALUE_SIZE}`,
          actual: length,
        });
      }
      const d = this.hive.cell(dataOffset, 'regf value data');
      if (length <= d.length) {
        data = d.bytesAt(0, length, 'data');
        storage = 'cell';
      } else if (signature(d) === 'db' && d.length >= 8) {
        data = this.bigData(d, length, name);
        storage = 'big-data';
      } else {
        throw regfError(
          'data-past-cell',
          `value "${name}": ${length} bytes of data in a ${d.length}-byte cell`,
          {
            structure: 'regf value data',
            offset: d.base - 4,
            expected: length,
            actual: d.length,
          },
        );
      }
    }
    return new RegValue(name, type, data, this.path, storage);
  }

  /**
   * Assembles big data ("Big data"): a db record (segment count u16 @2, segment list offset u32
   * @4) whose list holds the offsets of cells of up to 16,344 bytes each, concatenated and cut to
   * the declared length.
   */
  private bigData(db: ByteView, length: number, name: string): Uint8Array {
    const segments = db.u16le(2, 'segment count');
    const listOffset = db.u32le(4, 'segment list');
    if (segments > MAX_DB_SEGMENTS || segments * DB_SEGMENT_SIZE < length) {
      throw regfError('bad-big-data', `value "${name}": ${segments} segments cannot hold ${length} bytes`, {
        structure: 'regf db',
        offset: db.base + 2,
        expected: `${Math.ceil(length / DB_SEGMENT_SIZE)}..${MAX_DB_SEGMENTS}`,
        actual: segments,
      });
    }
    const list = this.hive.cell(listOffset, 'regf db segment list');
    list.check(0, segments * 4, 'entries');
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = 0; i < segments && done < length; i++) {
      const seg = this.hive.cell(list.u32le(i * 4), 'regf db segment');
      const take = Math.min(length - done, DB_SEGMENT_SIZE);
      out.set(seg.bytesAt(0, take, 'segment data'), done);
      done += take;
    }
    return out;
  }
}

function vkName(c: ByteView, off: number): string {
  expectSignature(c, 'vk', off);
  const n = c.u16le(2, 'name length');
  const b = c.bytesAt(20, n, 'name');
  return c.u16le(16, 'flags') & 0x0001 ? latin1Name(b) : utf16le(b);
}
