import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPackDocs } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';

const PACK_DIR = fileURLToPath(new URL('..', import.meta.url));
const DOCS_DIR = join(PACK_DIR, 'docs');
const pages = await renderPackDocs(PACK_DIR);

describe('committed rule docs match the rule files (run `npm run docs` after editing a rule)', () => {
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
