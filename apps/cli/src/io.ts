/** Where a command writes. Injected so tests can run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  /** Raw bytes to standard output (`cat`). */
  stdoutBytes: (bytes: Uint8Array) => void;
  stderr: (text: string) => void;
  /** Whether stdout / stderr are terminals (colour, progress). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stdoutBytes: (b) => process.stdout.write(b),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
  };
}

/** Exit codes, as the README documents them. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  itemErrors: 3,
  /** imagecheck hit a bug (an internal error): nothing about the image or the input is known. */
  bug: 4,
} as const;
