import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { driftedPages, renderPackDocs } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';

const PACK_DIR = fileURLToPath(new URL('..', import.meta.url));
const DOCS_DIR = join(PACK_DIR, 'docs');
const pages = await renderPackDocs(PACK_DIR);

// One test per page, so a failure names the rule whose docs drifted.
describe('committed rule docs match the rule files (run `node scripts/docs.ts` after editing a rule)', () => {
  for (const [name, content] of pages) {
    it(name, () => {
      const path = join(DOCS_DIR, name);
      expect(existsSync(path), `${name} is missing`).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(content);
    });
  }
  it('no page is left for a rule that no longer exists', () => {
    const stale = readdirSync(DOCS_DIR).filter((n) => n.endsWith('.md') && !pages.has(n));
    expect(stale).toEqual([]);
  });
});

describe('the generator', () => {
  it('renders every section a rule defines', () => {
    const page = pages.get('GUESTOS.Selinux.md') ?? '';
    for (const heading of [
      '# GUESTOS.Selinux',
      '## Description',
      '## What is checked',
      '## Messages',
      '## Parameters',
      '## Remediation',
      '```bash',
      '## References',
    ]) {
      expect(page).toContain(heading);
    }
    expect(pages.get('README.md')).toContain('| [GUESTOS.Grub](GUESTOS.Grub.md) |');
  });

  it('is generic: it renders the examples pack too', async () => {
    const examples = await renderPackDocs(fileURLToPath(new URL('../../examples', import.meta.url)));
    expect([...examples.keys()].sort()).toEqual([
      'FILES.ShadowPermissions.md',
      'README.md',
      'SSH.HostKeys.md',
      'SSH.PermitRootLogin.md',
    ]);
    expect(examples.get('SSH.PermitRootLogin.md')).toContain('PermitRootLogin prohibit-password');
  });

  it('reports drift: a changed page and a stale one', () => {
    const changed = new Map(pages);
    changed.set('GUESTOS.Grub.md', 'something else\n');
    changed.delete('GUESTOS.Selinux.md');
    expect(driftedPages(DOCS_DIR, changed)).toEqual(['GUESTOS.Grub.md', 'GUESTOS.Selinux.md']);
  });
});
