import { FormatError } from '@imagecheck/access';

/** A `FormatError` with a `regf/...` code; `data` always names the structure and its file offset. */
export function regfError(
  code: string,
  message: string,
  data: { structure: string; offset: number; expected?: unknown; actual?: unknown; [k: string]: unknown },
): FormatError {
  return new FormatError(`regf/${code}`, message, { data: { format: 'regf', ...data } });
}
