import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { bootloaderFact } from '../boot/bootloader.js';
import { fileEvidence, NO_GUEST, parseShellAssignments, readOptional } from '../guest-files.js';

const MODES = ['enforcing', 'permissive', 'disabled'] as const;

export const selinuxFact = defineFact({
  id: 'linux.selinux',
  version: '1.0.0',
  description:
    'SELinux mode: SELINUX= and SELINUXTYPE= from /etc/selinux/config, overridden by selinux=0 / enforcing=0 on the default kernel command line; the effective mode at first boot.',
  schema: Type.Object({
    installed: Type.Boolean({
      description: '`/etc/selinux/config` exists (the SELinux userland is installed).',
    }),
    configured: Nullable(
      Type.Enum(MODES, { description: '`SELINUX=` in the config (lower case), or null when absent.' }),
    ),
    policyType: Nullable(Type.String()),
    path: Type.String(),
    line: Nullable(Type.Integer()),
    cmdline: Type.Object(
      {
        selinux: Nullable(Type.String()),
        enforcing: Nullable(Type.String()),
        known: Type.Boolean(),
      },
      { description: "The default entry's `selinux=` / `enforcing=` arguments, when present." },
    ),
    effective: Type.Enum(MODES, {
      description: 'What the first boot will run with: the config as overridden by the command line.',
    }),
    decidedBy: Type.Enum(['config', 'cmdline', 'absent'], { description: 'Where `effective` comes from.' }),
  }),
});

/** Value of `linux.selinux`. */
export type Selinux = FactValue<typeof selinuxFact>;
export type SelinuxMode = Selinux['effective'];

const CONFIG = '/etc/selinux/config';

/** The last `name=` argument of a command line, as the kernel's parser keeps the last one. */
export function cmdlineArg(cmdline: string, name: string): string | null {
  let v: string | null = null;
  for (const a of cmdline.split(/\s+/)) if (a.startsWith(`${name}=`)) v = a.slice(name.length + 1);
  return v;
}

async function collectSelinux(ctx: CollectContext): Promise<FactResult<Selinux>> {
  const g = ctx.guest;
  if (!g) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const evidence: Evidence[] = [];
  const text = await readOptional(g, CONFIG);
  const kv = text === undefined ? [] : parseShellAssignments(text);
  const modeLine = kv.findLast((e) => e.key === 'SELINUX');
  const raw = modeLine?.value.toLowerCase();
  const configured: SelinuxMode | null =
    raw === 'enforcing' || raw === 'permissive' || raw === 'disabled'
      ? raw
      : raw === undefined
        ? null
        : 'enforcing';
  if (modeLine) evidence.push(fileEvidence(CONFIG, modeLine.line, `SELINUX=${modeLine.value}`));
  const bl = await ctx.fact(bootloaderFact);
  const args = bl.status === 'ok' ? bl.value.defaultKernelArgs : '';
  const cmd = {
    selinux: cmdlineArg(args, 'selinux'),
    enforcing: cmdlineArg(args, 'enforcing'),
    known: bl.status === 'ok' && bl.value.defaultEntry !== null,
  };
  let effective: SelinuxMode = configured ?? 'disabled';
  let decidedBy: Selinux['decidedBy'] = configured === null ? 'absent' : 'config';
  if (cmd.selinux === '0') {
    effective = 'disabled';
    decidedBy = 'cmdline';
  } else if (cmd.enforcing === '0' && effective === 'enforcing') {
    effective = 'permissive';
    decidedBy = 'cmdline';
  } else if (cmd.enforcing === '1' && effective === 'permissive') {
    effective = 'enforcing';
    decidedBy = 'cmdline';
  }
  if (decidedBy === 'cmdline' && bl.status === 'ok' && bl.value.defaultEntry) {
    evidence.push(
      fileEvidence(
        bl.value.defaultEntry.file,
        bl.value.defaultEntry.line,
        args,
        'default kernel command line',
      ),
    );
  }
  return {
    status: 'ok',
    value: {
      installed: text !== undefined,
      configured,
      policyType: kv.findLast((e) => e.key === 'SELINUXTYPE')?.value ?? null,
      path: CONFIG,
      line: modeLine?.line ?? null,
      cmdline: cmd,
      effective,
      decidedBy,
    },
    evidence: evidence.length
      ? evidence
      : [
          fileEvidence(
            CONFIG,
            undefined,
            undefined,
            text === undefined ? 'absent: SELinux is not installed' : 'no SELINUX= line',
          ),
        ],
  };
}

export const selinuxCollector = defineCollector(selinuxFact, collectSelinux);
