import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILES, generate } from '../../scripts/gen-types.js';
import { schemasDir } from './schemas.js';

const sdkDir = join(schemasDir(), '..');

describe('types generated from the published schemas', () => {
  for (const file of GENERATED_FILES) {
    it(`${file.path} is what ${file.schema} generates (run npm run gen:types -w @imagecheck/sdk)`, async () => {
      const committed = readFileSync(join(sdkDir, file.path), 'utf8');
      const fresh = await generate(file);
      expect(committed).toBe(fresh);
    });
  }

  it('the rule types follow the schema: the risk levels and the root type come from rule.schema.json', async () => {
    const rule = GENERATED_FILES.find((f) => f.schema === 'rule.schema.json');
    if (!rule) throw new Error('rule.schema.json is not generated');
    const schema = JSON.parse(readFileSync(join(schemasDir(), rule.schema), 'utf8')) as {
      $defs: { riskLevel: { enum: string[] } };
      required: string[];
    };
    const text = await generate(rule);
    const levels = schema.$defs.riskLevel.enum.map((v) => JSON.stringify(v)).join(' | ');
    expect(text).toContain(`export type RiskLevel = ${levels};`);
    expect(text).toContain(`export interface ${rule.rootName} {`);
    for (const key of schema.required) expect(text).toMatch(new RegExp(`\\n  ${key}: `));
  });
});
