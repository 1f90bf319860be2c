import { FormatError } from '@imagecheck/sdk';

/**
 * The two line syntaxes most network configuration uses, with line numbers kept for evidence:
 * INI (systemd.syntax(7) for networkd units, GLib key files for NetworkManager keyfiles) and
 * shell variable assignments (RHEL and SUSE ifcfg files, sourced by their network scripts).
 */

/** Lines read from one configuration file; real ones have tens. */
export const MAX_CONFIG_LINES = 20_000;

export interface IniEntry {
  /** Section name without brackets; '' before the first section. */
  readonly section: string;
  /** Key as written (case kept: both syntaxes are case-sensitive). */
  readonly key: string;
  readonly value: string;
  readonly line: number;
  readonly excerpt: string;
}

function splitLines(text: string, path: string): string[] {
  const lines = text.split('\n');
  if (lines.length > MAX_CONFIG_LINES) {
    throw new FormatError('linux/config-too-long', `${path} has ${lines.length} lines`, {
      data: { path, lines: lines.length, cap: MAX_CONFIG_LINES },
    });
  }
  return lines;
}

/** INI: `[Section]`, `Key=Value`, `#`/`;` comments; a trailing backslash continues a line (systemd). */
export function parseIni(text: string, path: string): IniEntry[] {
  const out: IniEntry[] = [];
  let section = '';
  const lines = splitLines(text, path);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = (lines[i] ?? '').trim();
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      line = `${line.slice(0, -1)} ${(lines[i] ?? '').trim()}`;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]*)\]$/.exec(line);
    if (sec !== null) {
      section = sec[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push({
      section,
      key: line.slice(0, eq).trim(),
      value: line.slice(eq + 1).trim(),
      line: start + 1,
      excerpt: line,
    });
  }
  return out;
}

export interface ShellVar {
  readonly key: string;
  readonly value: string;
  readonly line: number;
  readonly excerpt: string;
}

/** `KEY=value`, `KEY="value"`, `KEY='value'` lines; later assignments win when read into a map. */
export function parseShellVars(text: string, path: string): ShellVar[] {
  const out: ShellVar[] = [];
  splitLines(text, path).forEach((raw, i) => {
    const line = raw.trim();
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] === undefined) return;
    let v = (m[2] ?? '').trim();
    const q = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(v);
    if (q !== null) v = q[1] ?? q[2] ?? '';
    else v = v.replace(/\s+#.*$/, '');
    out.push({ key: m[1], value: v, line: i + 1, excerpt: line });
  });
  return out;
}

/** Last assignment of each key. */
export function lastByKey<T extends { key: string }>(entries: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const e of entries) m.set(e.key, e);
  return m;
}
