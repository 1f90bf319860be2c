import type { FactResult, GuestAccessV2, GuestMount, ImageLayoutV2, OsRoot, Plugin } from '@imagecheck/sdk';
import { collectFacts, formatBytes as humanSize } from '@imagecheck/sdk';
import { table } from '../format.js';
import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadDefaultPlugins } from '../plugins.js';
import { type ImageOptions, withImage } from './open.js';
import { describeFilesystem } from './tree.js';

export interface FactsOptions extends ImageOptions {
  json?: boolean;
}

interface FactsOutput {
  image: string;
  backend: string;
  disk: ImageLayoutV2['disk'];
  volumes: ImageLayoutV2['volumes'];
  filesystems: ImageLayoutV2['filesystems'];
  roots: readonly OsRoot[];
  mounts: readonly GuestMount[];
  warnings: ImageLayoutV2['warnings'];
  facts: Record<string, FactResult>;
}

async function gather(image: string, access: GuestAccessV2, plugins: Plugin[]): Promise<FactsOutput> {
  const { layout, roots, facts, guest } = await collectFacts({ access, plugins });
  return {
    image,
    backend: access.backend,
    disk: layout.disk,
    volumes: layout.volumes,
    filesystems: layout.filesystems,
    roots,
    mounts: guest?.mounts ?? [],
    warnings: layout.warnings,
    facts,
  };
}

function renderText(out: FactsOutput): string {
  const lines: string[] = [];
  const d = out.disk;
  lines.push(
    `${out.image}: ${d.format}, ${humanSize(d.virtualSize)} (${d.virtualSize} bytes), partition table ${d.partitionTable}${d.diskId ? ` (${d.diskId})` : ''}`,
  );
  if (d.detected) lines.push(`  detected: ${d.detected}`);
  if (d.partitions.length > 0) {
    lines.push('', 'Partitions:');
    lines.push(
      table([
        ['  #', 'start', 'size', 'type', 'uuid', 'label'],
        ...d.partitions.map((p) => [
          `  ${p.number}`,
          String(p.start),
          humanSize(p.size),
          p.typeName ? `${p.typeName} (${p.type})` : p.type,
          p.uuid ?? '',
          p.label ?? '',
        ]),
      ]),
    );
  }
  if (out.volumes.length > 0) {
    lines.push('', 'Logical volumes:');
    for (const v of out.volumes) {
      lines.push(
        `  ${v.vg}/${v.lv}  ${humanSize(v.size)}  ${v.readable ? '' : `(not readable: ${v.reason ?? 'unsupported'})`}`.trimEnd(),
      );
    }
  }
  lines.push('', 'Filesystems:');
  if (out.filesystems.length === 0) lines.push('  (none found)');
  for (const f of out.filesystems) lines.push(`  ${describeFilesystem(f)}`);
  if (out.roots.length > 0) {
    lines.push('', 'Operating system roots:');
    for (const r of out.roots)
      lines.push(`  ${r.id}  ${r.os}${r.primary ? '  (primary)' : ''}  ${r.evidence.join(', ')}`);
  }
  if (out.mounts.length > 0) {
    lines.push('', 'Mounts:');
    for (const m of out.mounts) {
      lines.push(
        `  ${m.mountpoint}  ${m.filesystem ?? `not mounted: ${m.reason ?? 'unresolved'}`}${m.spec ? `  (${m.spec}${m.line ? `, fstab line ${m.line}` : ''})` : ''}`,
      );
    }
  }
  if (out.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const w of out.warnings) lines.push(`  ${w.code}: ${w.message}`);
  }
  const ids = Object.keys(out.facts).sort();
  if (ids.length > 0) {
    lines.push('', 'Facts:');
    for (const id of ids) {
      const f = out.facts[id];
      if (f === undefined) continue;
      lines.push(
        f.status === 'ok' ? `  ${id}: ${JSON.stringify(f.value)}` : `  ${id}: unavailable (${f.reason})`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runFacts(io: CliIo, image: string, opts: FactsOptions): Promise<number> {
  const plugins = await loadDefaultPlugins();
  return withImage(image, opts, async (access) => {
    const out = await gather(image, access, plugins);
    io.stdout(opts.json ? `${JSON.stringify(out, null, 2)}\n` : renderText(out));
    return EXIT.ok;
  });
}
