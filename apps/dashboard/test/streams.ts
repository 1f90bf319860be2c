import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';

/** A terminal for `runDashboard` in tests: a TTY-like stdout that records bytes, and a stdin we type into. */
export function fakeTerminal(columns = 100, rows = 30) {
  let written = '';
  const stdout = new Writable({
    write(chunk, _encoding, callback) {
      written += chunk.toString();
      callback();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stdout, { isTTY: true, columns, rows });
  const stdin = new EventEmitter() as unknown as NodeJS.ReadStream & { type: (s: string) => void };
  let pending: string[] = [];
  Object.assign(stdin, {
    isTTY: true,
    setRawMode: () => stdin,
    setEncoding: () => stdin,
    resume: () => stdin,
    pause: () => stdin,
    ref: () => stdin,
    unref: () => stdin,
    read: () => pending.shift() ?? null,
    type: (s: string) => {
      pending.push(s);
      stdin.emit('readable');
      stdin.emit('data', s);
    },
  });
  return {
    stdout,
    stdin,
    output: () => written,
    reset: () => {
      written = '';
      pending = [];
    },
  };
}
