/**
 * One error base for every imagecheck package.
 *
 * - `code` is stable and machine-readable (`'qcow2/bad-magic'`, `'guest/ENOENT'`, `'pack/invalid-rule'`);
 *   callers branch on it, never on the message.
 * - `data` carries the context a user or a bug report needs (format, offset, expected, actual, path).
 * - `toJSON()` makes errors cross process boundaries (the live agent's wire) intact.
 * - `isImagecheckError()` is a brand check, so it works even when two copies of this package are
 *   installed side by side (where `instanceof` would fail).
 * - `userFacing` separates "you must fix this" (a bad path, an unsupported image, a bad pack) from
 *   "this is a bug"; the apps print the former without a stack trace.
 */
const BRAND: unique symbol = Symbol.for('imagecheck.error');

export type ErrorData = Record<string, unknown>;

export interface SerializedImagecheckError {
  name: string;
  code: string;
  message: string;
  data: ErrorData;
  userFacing: boolean;
}

export class ImagecheckError extends Error {
  readonly [BRAND] = true;
  readonly code: string;
  readonly data: ErrorData;
  readonly userFacing: boolean;

  constructor(
    code: string,
    message: string,
    options: { data?: ErrorData; cause?: unknown; userFacing?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = options.data ?? {};
    this.userFacing = options.userFacing ?? true;
  }

  toJSON(): SerializedImagecheckError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      data: this.data,
      userFacing: this.userFacing,
    };
  }

  static fromJSON(json: SerializedImagecheckError): ImagecheckError {
    const err = new ImagecheckError(json.code, json.message, {
      data: json.data,
      userFacing: json.userFacing,
    });
    err.name = json.name;
    return err;
  }
}

export function isImagecheckError(value: unknown): value is ImagecheckError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Malformed or hostile on-disk data: a structure failed a bounds, magic, checksum or cap check. */
export class FormatError extends ImagecheckError {}

/** A recognised format or feature that imagecheck does not read (encryption, an exotic segment type). */
export class UnsupportedError extends ImagecheckError {}

/** A guest path could not be resolved: codes `guest/ENOENT`, `guest/ENOTDIR`, `guest/EISDIR`, `guest/ELOOP`, `guest/EINVAL`. */
export class GuestPathError extends ImagecheckError {}

/** A rule pack, rule file or config file is invalid; `data` has `file`, `line`, `field`, `expected`. */
export class PackError extends ImagecheckError {}

/** A usage error: bad flags, unknown rule ids, a missing file on the host. */
export class UsageError extends ImagecheckError {}

/**
 * What can only be a bug in imagecheck or in a plugin: a reader used after close, a node id no
 * reader handed out, an invariant broken. The engine never turns one into a result (an
 * `unavailable` fact, an `error` item); it propagates, and the command reports it as a bug.
 */
export class InternalError extends ImagecheckError {
  constructor(code: string, message: string, options: { data?: ErrorData; cause?: unknown } = {}) {
    super(code, message, { ...options, userFacing: false });
  }
}

/** Whether `err` is a bug rather than a finding about the image or the user's input. */
export function isInternalError(err: unknown): boolean {
  if (isImagecheckError(err)) return !err.userFacing;
  // Anything that is not one of ours (a TypeError, a RangeError from a missed bounds check) is a bug.
  return true;
}

/**
 * Path codes meaning "nothing there": no such path, or a file where a directory was expected.
 * A symlink loop (`guest/ELOOP`) is not absence: something is there and cannot be read, which a
 * check reports. Damage (`FormatError`) and misuse are not absence either.
 */
const ABSENT_CODES: ReadonlySet<string> = new Set(['guest/ENOENT', 'guest/ENOTDIR']);

/** Whether `err` says nothing is at a guest path, as opposed to a loop, damage or a bug. */
export function isAbsent(err: unknown): boolean {
  return isImagecheckError(err) && ABSENT_CODES.has(err.code);
}

/**
 * Whether `err` says a guest path does not resolve to anything: absent, or a symlink loop. For
 * "is it there" questions (`exists`, globbing, a marker file), where a loop leads nowhere.
 */
export function isUnresolvable(err: unknown): boolean {
  return isAbsent(err) || (isImagecheckError(err) && err.code === 'guest/ELOOP');
}
