import type { CollectContext, Collector, Evidence, FactDefinition, FactResult } from '@imagecheck/sdk';
import type { Bootloader } from '../boot/bootloader.js';
import { fileEvidence, NO_GUEST, parseShellAssignments, readOptional } from '../guest-files.js';

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled';

/** Value of `linux.selinux`. */
export interface Selinux {
  /** `/etc/selinux/config` exists (the SELinux userland is installed). */
  readonly installed: boolean;
  /** `SELINUX=` in the config (lower case), or null when absent. */
  readonly configured: SelinuxMode | null;
  readonly policyType: string | null;
  readonly path: string;
  readonly line: number | null;
  /** The default entry's `selinux=` / `enforcing=` arguments, when present. */
  readonly cmdline: {
    readonly selinux: string | null;
    readonly enforcing: string | null;
    readonly known: boolean;
  };
  /** What the first boot will run with: the config as overridden by the command line. */
  readonly effective: SelinuxMode;
  /** Where `effective` comes from. */
  readonly decidedBy: 'config' | 'cmdline' | 'absent';
}

export const selinuxFact: FactDefinition = {
  id: 'linux.selinux',
  version: '1.0.0',
  description:
    'SELinux mode: SELINUX= and SELINUXTYPE= from /etc/selinux/config, overridden by selinux=0 / enforcing=0 on the default kernel command line; the effective mode at first boot.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['installed', 'configured', 'policyType', 'path', 'line', 'cmdline', 'effective', 'decidedBy'],
    properties: {
      installed: { type: 'boolean' },
      configured: { enum: ['enforcing', 'permissive', 'disabled', null] },
      policyType: { type: ['string', 'null'] },
      path: { type: 'string' },
      line: { type: ['integer', 'null'] },
      cmdline: { type: 'object', required: ['selinux', 'enforcing', 'known'] },
      effective: { enum: ['enforcing', 'permissive', 'disabled'] },
      decidedBy: { enum: ['config', 'cmdline', 'absent'] },
    },
  },
};

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
  const bl = await ctx.fact<Bootloader>('linux.bootloader');
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

export const selinuxCollector: Collector<Selinux> = { fact: 'linux.selinux', collect: collectSelinux };
