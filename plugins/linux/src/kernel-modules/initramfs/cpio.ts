import { FormatError, UnsupportedError } from '@imagecheck/sdk';

/**
 * A streaming reader of cpio "newc" archives, the only cpio format the Linux kernel unpacks into
 * its rootfs (init/initramfs.c; the format is documented in
 * Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Header (110 ASCII bytes, every field 8 hexadecimal digits, no terminator):
 *
 * | offset | field      |                                         |
 * |-------:|------------|-----------------------------------------|
 * |      0 | c_magic    | `070701` (newc) or `070702` (newc + crc), 6 bytes |
 * |      6 | c_ino      |                                         |
 * |     14 | c_mode     | st_mode: file type and permission bits  |
 * |     22 | c_uid      |                                         |
 * |     30 | c_gid      |                                         |
 * |     38 | c_nlink    |                                         |
 * |     46 | c_mtime    |                                         |
 * |     54 | c_filesize | bytes of data that follow the name      |
 * |     62 | c_maj, c_min, c_rmaj, c_rmin (device numbers)          |
 * |     94 | c_namesize | length of the name including its NUL    |
 * |    102 | c_chksum   | sum of data bytes for `070702`, else 0  |
 *
 * The name follows the header and is padded with NULs so that header + name is a multiple of 4
 * bytes; the data follows and is padded to a multiple of 4 the same way. The entry named
 * `TRAILER!!!` ends an archive. Between and after archives the kernel skips NUL bytes (in 4-byte
 * units), then expects either another `0707` header or, at the top level of the initramfs image,
 * the magic of a compressed archive.
 *
 * The reader is push-based so that decompressors can feed it chunk by chunk: file data is skipped
 * by counting, never buffered, except for the few small files a caller asks to capture.
 */

/** Length of a newc header. */
export const CPIO_HEADER_SIZE = 110;
/** Linux `PATH_MAX`: the kernel refuses longer names (init/initramfs.c `N_ALIGN(PATH_MAX)`). */
export const MAX_CPIO_NAME_SIZE = 4096;
/** Entries in one initramfs image; real ones hold a few thousand, 2 million is far beyond any. */
export const MAX_CPIO_ENTRIES = 2_000_000;
/** Archives concatenated inside one stream (early microcode, firmware, main...). */
export const MAX_CPIO_ARCHIVES = 10_000;
/** Bytes kept of one captured file (modules.builtin, modules.order): a few hundred KiB in practice. */
export const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;
/** Captured files kept per stream. */
export const MAX_CAPTURED_FILES = 64;

const TRAILER = 'TRAILER!!!';
const S_IFMT = 0o170000;

export interface CpioEntry {
  /** Name as stored, with a leading `./` or `/` removed (the kernel creates it relative to `/`). */
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  /** Offset of the header in the stream this reader was fed (decompressed bytes for a compressed segment). */
  readonly offset: number;
}

export interface CpioReaderOptions {
  /** Called for every entry other than the trailer. */
  readonly onEntry?: (entry: CpioEntry) => void;
  /** Names (normalised as in `CpioEntry.name`) whose data should be kept, up to `MAX_CAPTURE_BYTES`. */
  readonly capture?: (name: string) => boolean;
  /** Where this stream starts in the whole image, for error offsets of uncompressed segments. */
  readonly baseOffset?: number;
  /** Names the kind of stream in error messages (`uncompressed segment at 0`, `zstd segment at 512`). */
  readonly label?: string;
}

type State = 'boundary' | 'header' | 'header0' | 'name' | 'namePad' | 'data' | 'dataPad';

/**
 * Feeds bytes of a sequence of newc archives. `push` returns how many bytes it consumed: less than
 * it was given only when, at an archive boundary (after NUL padding), the next byte is not a cpio
 * header; the caller then owns the rest (the next, compressed, segment of an initramfs).
 */
export class CpioReader {
  readonly #opts: CpioReaderOptions;
  #state: State = 'boundary';
  /** Bytes of the stream consumed so far. */
  #pos = 0;
  readonly #header = new Uint8Array(CPIO_HEADER_SIZE);
  #headerFill = 0;
  #headerOffset = 0;
  #nameBuf = new Uint8Array(256);
  #nameFill = 0;
  #nameSize = 0;
  #mode = 0;
  #fileSize = 0;
  #remaining = 0;
  #captureBuf: Uint8Array | undefined;
  #captureFill = 0;
  #captureName = '';
  #stopped = false;
  /** Entries seen, trailer excluded. */
  entries = 0;
  /** Archives whose trailer was seen. */
  archives = 0;
  /** Bytes of file data skipped or captured. */
  dataBytes = 0;
  readonly captured = new Map<string, { data: Uint8Array; truncated: boolean }>();

  constructor(options: CpioReaderOptions = {}) {
    this.#opts = options;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#pos;
  }

  /** True between archives (nothing half-read): the stream may end here. */
  get atBoundary(): boolean {
    return this.#state === 'boundary';
  }

  /** True once `push` met a byte that does not start a cpio header. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Consumes as much of `chunk` as belongs to cpio archives; see the class comment. */
  push(chunk: Uint8Array): number {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case 'boundary': {
          // NUL padding between archives; a `0` starts a header, anything else ends cpio data.
          while (i < n && chunk[i] === 0) i++;
          if (i === n) break;
          if (chunk[i] !== 0x30 /* '0' */) {
            this.#stopped = true;
            this.#pos += i;
            return i;
          }
          this.#state = 'header';
          this.#headerFill = 0;
          this.#headerOffset = this.#pos + i;
          break;
        }
        case 'header': {
          const take = Math.min(CPIO_HEADER_SIZE - this.#headerFill, n - i);
          this.#header.set(chunk.subarray(i, i + take), this.#headerFill);
          this.#headerFill += take;
          i += take;
          if (this.#headerFill === CPIO_HEADER_SIZE) this.#parseHeader();
          break;
        }
        case 'name': {
          const take = Math.min(this.#nameSize - this.#nameFill, n - i);
          this.#nameBuf.set(chunk.subarray(i, i + take), this.#nameFill);
          this.#nameFill += take;
          i += take;
          if (this.#nameFill === this.#nameSize) {
            this.#remaining = pad4(CPIO_HEADER_SIZE + this.#nameSize);
            this.#state = 'namePad';
            if (this.#remaining === 0) this.#endName();
          }
          break;
        }
        case 'namePad': {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#endName();
          break;
        }
        case 'data': {
          const take = Math.min(this.#remaining, n - i);
          if (this.#captureBuf) {
            const room = this.#captureBuf.length - this.#captureFill;
            const keep = Math.min(room, take);
            if (keep > 0) this.#captureBuf.set(chunk.subarray(i, i + keep), this.#captureFill);
            this.#captureFill += keep;
          }
          i += take;
          this.#remaining -= take;
          this.dataBytes += take;
          if (this.#remaining === 0) this.#endData();
          break;
        }
        case 'dataPad': {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'header0';
          break;
        }
        case 'header0': {
          //: the next entry's header follows directly (inside an archive no padding).
          this.#state = 'header';
          this.#headerFill = 0;
          this.#headerOffset = this.#pos + i;
        }
      }
    }
    this.#pos += n;
    return n;
  }

  #fail(code: string, message: string, data: Record<string, unknown> = {}): never {
    throw new FormatError(code, `${this.#opts.label ?? 'cpio'}: ${message}`, {
      data: { format: 'cpio-newc', offset: this.#headerOffset, base: this.#opts.baseOffset ?? 0, ...data },
    });
  }

  #parseHeader(): void {
    const h = this.#header;
    const magic = String.fromCharCode(...h.subarray(0, 6));
    if (magic !== '070701' && magic !== '070702') {
      if (magic === '070707') {
        throw new UnsupportedError(
          'initramfs/cpio-odc',
          `${this.#opts.label ?? 'cpio'}: old ASCII (odc) cpio, which the kernel does not unpack`,
          {
            data: { offset: this.#headerOffset },
          },
        );
      }
      this.#fail('initramfs/bad-cpio-magic', `bad cpio magic ${JSON.stringify(magic)}`, {
        actual: magic,
        expected: '070701',
      });
    }
    if (this.entries >= MAX_CPIO_ENTRIES) {
      this.#fail('initramfs/too-many-entries', `more than ${MAX_CPIO_ENTRIES} entries`, {
        expected: MAX_CPIO_ENTRIES,
      });
    }
    this.#mode = this.#hex(14, 'c_mode');
    this.#fileSize = this.#hex(54, 'c_filesize');
    this.#nameSize = this.#hex(94, 'c_namesize');
    if (this.#nameSize < 1 || this.#nameSize > MAX_CPIO_NAME_SIZE) {
      this.#fail(
        'initramfs/bad-cpio-namesize',
        `namesize ${this.#nameSize} outside 1..${MAX_CPIO_NAME_SIZE}`,
        {
          actual: this.#nameSize,
          expected: `1..${MAX_CPIO_NAME_SIZE}`,
        },
      );
    }
    if (this.#nameBuf.length < this.#nameSize) this.#nameBuf = new Uint8Array(MAX_CPIO_NAME_SIZE);
    this.#nameFill = 0;
    this.#state = 'name';
  }

  #hex(at: number, field: string): number {
    let v = 0;
    for (let k = at; k < at + 8; k++) {
      const c = this.#header[k] as number;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else {
        this.#fail('initramfs/bad-cpio-header', `${field} is not hexadecimal`, {
          field,
          actual: String.fromCharCode(...this.#header.subarray(at, at + 8)),
        });
      }
      v = v * 16 + d;
    }
    return v;
  }

  #endName(): void {
    const raw = this.#nameBuf.subarray(0, this.#nameSize);
    if (raw[this.#nameSize - 1] !== 0) {
      this.#fail('initramfs/bad-cpio-name', 'name is not NUL-terminated');
    }
    const name = latin1(raw.subarray(0, this.#nameSize - 1));
    if (name === TRAILER) {
      this.archives++;
      if (this.archives > MAX_CPIO_ARCHIVES) {
        this.#fail('initramfs/too-many-archives', `more than ${MAX_CPIO_ARCHIVES} concatenated archives`);
      }
      // The trailer's data (normally none) is skipped like any other, then padding to the boundary.
      this.#remaining = this.#fileSize;
      this.#captureBuf = undefined;
      this.#afterTrailer = true;
      this.#state = 'data';
      if (this.#remaining === 0) this.#endData();
      return;
    }
    const norm = normaliseName(name);
    this.entries++;
    this.#opts.onEntry?.({ name: norm, mode: this.#mode, size: this.#fileSize, offset: this.#headerOffset });
    this.#captureBuf = undefined;
    if (
      (this.#mode & S_IFMT) === 0o100000 &&
      this.captured.size < MAX_CAPTURED_FILES &&
      this.#opts.capture?.(norm) === true
    ) {
      this.#captureBuf = new Uint8Array(Math.min(this.#fileSize, MAX_CAPTURE_BYTES));
      this.#captureFill = 0;
      this.#captureName = norm;
    }
    this.#remaining = this.#fileSize;
    this.#state = 'data';
    if (this.#remaining === 0) this.#endData();
  }

  #afterTrailer = false;

  #endData(): void {
    if (this.#captureBuf) {
      this.captured.set(this.#captureName, {
        data: this.#captureBuf,
        truncated: this.#fileSize > this.#captureBuf.length,
      });
      this.#captureBuf = undefined;
    }
    if (this.#afterTrailer) {
      // After the trailer the kernel skips NULs up to the next header or segment (do_reset).
      this.#afterTrailer = false;
      this.#state = 'boundary';
      return;
    }
    this.#remaining = pad4(this.#fileSize);
    this.#state = 'dataPad';
    if (this.#remaining === 0) this.#state = 'header0';
  }
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function latin1(bytes: Uint8Array): string {
  // Names are bytes to the kernel; UTF-8 decoding would invent characters for invalid sequences.
  let s = '';
  for (let k = 0; k < bytes.length; k += 4096) {
    s += String.fromCharCode(...bytes.subarray(k, k + 4096));
  }
  return s;
}

/**
 * The kernel creates every name relative to the rootfs root; `./x`, `/x` and `x` are the same file.
 * `..` components cannot climb above the root there either, so they are resolved lexically here:
 * a hostile name never addresses anything outside the archive's own tree.
 */
export function normaliseName(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}
