/**
 * Generates the TypeScript types of the rule file, the pack manifest, the report and the config from
 * their published JSON Schemas, so that each schema (which the loaders enforce and the tests hold
 * real reports to) is the one source of its types.
 *
 *   npm run gen:types -w @imagecheck/sdk        writes the files
 *   node scripts/gen-types.ts --check           exits 1 when a committed file is stale
 *
 * The generated types may be wider than the schemas (json-schema-to-typescript cannot express
 * if/then/else, dependentRequired, oneOf of `required` sets or patterns), never narrower: array
 * length bounds are dropped rather than turned into tuples, and objects without
 * `additionalProperties: false` keep an index signature.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(sdkDir, 'schemas');

export interface GeneratedFile {
  /** Path relative to the sdk package. */
  readonly path: string;
  readonly schema: string;
  /** The name of the root type; the schemas' titles would give unwieldy names. */
  readonly rootName: string;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: 'src/rules/rule-source.gen.ts', schema: 'rule.schema.json', rootName: 'RuleSourceSchema' },
  { path: 'src/rules/pack-manifest.gen.ts', schema: 'pack.schema.json', rootName: 'PackManifestSchema' },
  { path: 'src/report/report.gen.ts', schema: 'report.schema.json', rootName: 'ReportFileSchema' },
  { path: 'src/config/config.gen.ts', schema: 'config.schema.json', rootName: 'ConfigSchema' },
];

/** Names for schemas a generated file references from another schema file. */
const EXTERNAL_NAMES: Readonly<Record<string, string>> = {
  'declared-fact.schema.json': 'DeclaredFactSchema',
};

function banner(schema: string): string {
  return [
    `// GENERATED from schemas/${schema} by scripts/gen-types.ts (json-schema-to-typescript).`,
    '// Do not edit: change the schema, then run `npm run gen:types -w @imagecheck/sdk`.',
    '// A test fails while this file differs from what the schema generates.',
  ].join('\n');
}

/** The text of one generated file, built in memory from the schema on disk. */
export async function generate(file: GeneratedFile): Promise<string> {
  const schema = JSON.parse(readFileSync(join(schemaDir, file.schema), 'utf8')) as JSONSchema;
  const rootId = (schema as { $id?: string }).$id;
  return compile(schema, file.rootName, {
    bannerComment: banner(file.schema),
    // Relative $refs (pack.schema.json -> rule.schema.json#/$defs/...) resolve against the folder.
    cwd: schemaDir,
    declareExternallyReferenced: true,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: false,
    unreachableDefinitions: false,
    customName: (s) => {
      const id = (s as { $id?: string }).$id;
      if (id === rootId) return file.rootName;
      return id === undefined ? undefined : EXTERNAL_NAMES[id.slice(id.lastIndexOf('/') + 1)];
    },
  });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const file of GENERATED_FILES) {
    const text = await generate(file);
    const target = join(sdkDir, file.path);
    if (check) {
      let current = '';
      try {
        current = readFileSync(target, 'utf8');
      } catch {}
      if (current !== text) {
        console.error(`${file.path} is stale: run npm run gen:types -w @imagecheck/sdk`);
        stale++;
      }
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${file.path}`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
