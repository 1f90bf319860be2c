import { UnsupportedError } from '@imagecheck/access';
import { corrupt, outputTooLarge } from './types.js';

type XzModule = typeof import('xz-decompress');

/**
 * The xz-decompress package (tukaani's xz-embedded compiled to WebAssembly, which checks the
 * stream's CRC32/CRC64), loaded only when xz data is met. A CommonJS bundle: Node exposes its
 * exports as `default`, bundlers as named exports.
 */
async function load(): Promise<XzModule['XzReadableStream']> {
  const mod = (await import('xz-decompress')) as unknown as Partial<XzModule> & { default?: XzModule };
  const Xz = mod.XzReadableStream ?? mod.default?.XzReadableStream;
  if (Xz === undefined) {
    throw new UnsupportedError('codec/xz-unavailable', 'the xz decoder (xz-decompress) could not be loaded', {
      data: { structure: 'xz' },
    });
  }
  return Xz;
}

/**
 * Decodes the xz stream read from `input`, handing the output to `sink` chunk by chunk. xz-embedded
 * does not report where its stream ended, so the input is taken to end with the stream.
 */
export async function xzDecode(
  input: AsyncIterable<Uint8Array>,
  maxOutput: number,
  sink: (chunk: Uint8Array) => boolean | undefined,
  signal: AbortSignal | undefined,
): Promise<{ outputBytes: number; stopped: boolean }> {
  const Xz = await load();
  const reader = new Xz(ReadableStream.from(input)).getReader();
  let out = 0;
  let ours: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { outputBytes: out, stopped: false };
      try {
        signal?.throwIfAborted();
        out += value.length;
        if (out > maxOutput) throw outputTooLarge('xz', maxOutput);
        if (sink(value) === false) return { outputBytes: out, stopped: true };
      } catch (err) {
        ours = err;
        throw err;
      }
    }
  } catch (err) {
    if (err === ours) throw err;
    throw corrupt('xz', (err as Error).message ?? String(err), { decompressed: out }, err);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
