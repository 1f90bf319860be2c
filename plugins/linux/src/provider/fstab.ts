/**
 * Just enough of fstab(5) to assemble a guest: the first four fields of each line, with the
 * octal escapes (`\040` for a space) the format uses. The Linux plugin has its own, richer parse
 * for the Fstab check; this one only decides what to mount where.
 */
export interface FstabEntry {
  /** 1-based line number in /etc/fstab. */
  readonly line: number;
  readonly spec: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** fstab lines read at most; a real one has tens. */
export const MAX_FSTAB_LINES = 10_000;

function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  const lines = text.split('\n', MAX_FSTAB_LINES);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    if (fields.length < 2) return;
    const [spec = '', mountpoint = '', fstype = 'auto', options = 'defaults'] = fields;
    out.push({
      line: i + 1,
      spec: unescapeOctal(spec),
      mountpoint: unescapeOctal(mountpoint),
      fstype,
      options: options.split(','),
    });
  });
  return out;
}

export { NETWORK_FSTYPES, PSEUDO_FSTYPES } from '@imagecheck/access';
