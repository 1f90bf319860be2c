import { isImagecheckError, REPORT_FORMATS } from '@imagecheck/sdk';
import { Command, CommanderError, Option } from 'commander';
import { BACKEND_NAMES } from './backends.js';
import { runCat } from './commands/cat.js';
import { runCheckCommand } from './commands/check.js';
import { runDashboardCommand } from './commands/dashboard.js';
import { runFacts } from './commands/facts.js';
import { runLs } from './commands/ls.js';
import { runRulesList, runRulesShow } from './commands/rules.js';
import { type CliIo, EXIT } from './io.js';
import { VERSION } from './version.js';

const FAIL_ON = ['high', 'medium', 'low', 'none'] as const;

/** `--only a,b --only c` → ['a', 'b', 'c']. */
function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

function collectRepeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function build(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('imagecheck')
    .description(
      'Check a cloud VM disk image, before it is booted, for what would stop its instances starting or working.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .option('--debug', 'on an internal error, print its stack and causes (for a bug report)')
    .exitOverride();

  const backendOption = () =>
    new Option('--backend <name>', 'how the image is read').choices(BACKEND_NAMES).default('native');
  const backingOption = () =>
    new Option(
      '--allow-backing-dir <dir>',
      "a folder a backing file or VMDK extent may resolve into, besides the image's own (repeatable)",
    ).argParser(collectRepeat);

  /** The options `check` and `dashboard` share: which packs and rules, how to judge, how to read. */
  const withCheckOptions = (cmd: Command): Command =>
    cmd
      .option('--pack <dir>', 'a rule pack folder to add (repeatable)', collectRepeat)
      .option('--only <ids>', 'check only these rule ids or globs (comma-separated, repeatable)', collectList)
      .option('--skip <ids>', 'skip these rule ids or globs (comma-separated, repeatable)', collectList)
      .addOption(
        new Option(
          '--fail-on <level>',
          'exit 1 when an item fails at or above this risk level (default: high)',
        ).choices(FAIL_ON),
      )
      .option(
        '--config <file>',
        'an imagecheck.config.json or .yaml (default: found from the current folder up)',
      )
      .addOption(backendOption())
      .addOption(backingOption());

  withCheckOptions(
    program
      .command('check')
      .description('check one or more images and report every item')
      .argument('<image...>', 'disk image files (raw, qcow2, vmdk, vhd, vhdx, vdi)'),
  )
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('text'))
    .option('--output <file>', 'write the report to a file instead of standard output')
    .option('--tui', 'show the interactive dashboard')
    .action(async (images: string[], opts) => {
      setExit(await runCheckCommand(io, images, opts));
    });

  program
    .command('facts')
    .description('print the disk layout and the facts collected from an image')
    .argument('<image>', 'disk image file')
    .option('--json', 'print JSON')
    .addOption(backendOption())
    .addOption(backingOption())
    .action(async (image: string, opts) => {
      setExit(await runFacts(io, image, opts));
    });

  program
    .command('ls')
    .description('list files in the guest (or in one filesystem with --filesystem)')
    .argument('<image>', 'disk image file')
    .argument('[path]', 'guest path', '/')
    .option('-R, --recursive', 'list subdirectories recursively')
    .option('--json', 'one JSON object per line')
    .option('--hash', 'add the sha256 of regular files')
    .option('--filesystem <spec>', 'UUID=..., LABEL=..., a partition number or VG/LV')
    .addOption(backendOption())
    .addOption(backingOption())
    .action(async (image: string, path: string, opts) => {
      setExit(await runLs(io, image, path, opts));
    });

  program
    .command('cat')
    .description('print a file from the guest (or from one filesystem with --filesystem)')
    .argument('<image>', 'disk image file')
    .argument('<path>', 'guest path')
    .option('--filesystem <spec>', 'UUID=..., LABEL=..., a partition number or VG/LV')
    .addOption(backendOption())
    .addOption(backingOption())
    .action(async (image: string, path: string, opts) => {
      setExit(await runCat(io, image, path, opts));
    });

  const rules = program.command('rules').description('list and show the rules of the loaded packs');
  rules
    .command('list')
    .description('list rules')
    .option('--pack <dir>', 'a rule pack folder to add (repeatable)', collectRepeat)
    .option('--json', 'print JSON')
    .action(async (opts) => {
      setExit(await runRulesList(io, opts));
    });
  rules
    .command('show')
    .description('show one rule: description, risk level, facts, messages, repair')
    .argument('<id>', 'rule id')
    .option('--pack <dir>', 'a rule pack folder to add (repeatable)', collectRepeat)
    .action(async (id: string, opts) => {
      setExit(await runRulesShow(io, id, opts));
    });

  withCheckOptions(
    program
      .command('dashboard')
      .description('the interactive terminal dashboard (the text report when not on a terminal)')
      .argument('<image...>', 'disk image files'),
  ).action(async (images: string[], opts) => {
    setExit(await runDashboardCommand(io, images, opts));
  });

  return program;
}

/** Runs the command line; returns the exit code. Never throws for user errors. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = build(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Options are parsed before any action runs, so --debug is known here; a raw argv check
    // covers an error thrown while parsing itself.
    const debug = program.opts().debug === true || argv.includes('--debug');
    return reportError(io, err, { debug });
  }
}

/** Causes followed at most this deep: a cycle of causes must not hang the error report. */
const MAX_CAUSES = 8;

/**
 * User errors get one clear line and exit 2. Anything else is a bug: one line that says so and
 * how to get the stack, exit 4; with `debug`, the stack of the error and of each cause, and
 * the error's data.
 */
export function reportError(io: CliIo, err: unknown, options: { debug?: boolean } = {}): number {
  if (isImagecheckError(err) && err.userFacing) {
    io.stderr(`imagecheck: ${err.message}\n`);
    return EXIT.usage;
  }
  const code = isImagecheckError(err) ? err.code : err instanceof Error ? err.name : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(
    `imagecheck hit a bug: ${code}: ${message}; run again with --debug for the stack, and report it\n`,
  );
  if (options.debug) io.stderr(`${debugText(err)}\n`);
  return EXIT.bug;
}

/** The stack of `err` and of each `cause`, with each imagecheck error's code and data. */
export function debugText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && depth <= MAX_CAUSES; depth++) {
    const head = depth === 0 ? '' : 'Caused by: ';
    if (cur instanceof Error) {
      parts.push(`${head}${cur.stack ?? `${cur.name}: ${cur.message}`}`);
      if (isImagecheckError(cur) && Object.keys(cur.data).length > 0) {
        parts.push(`  code: ${cur.code}, data: ${safeJson(cur.data)}`);
      }
      cur = cur.cause;
    } else {
      parts.push(`${head}${String(cur)}`);
      cur = undefined;
    }
  }
  return parts.join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '(data not serialisable)';
  }
}
