import {
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, globConfig, isExecutable, noGuest, pathExists } from '../guest-files.js';
import { serviceState } from '../services.js';

/**
 * `linux.agents`: the cloud vendor's guest agents.
 *
 * - Cloud Assistant: the `aliyun-service` daemon, installed as `/usr/sbin/aliyun-service` or under
 *   `/usr/local/share/aliyun-assist/<version>/aliyun-service`, started by the systemd unit
 *   `aliyun.service` (or the SysV script `aliyun-service` on images without systemd).
 * - Security Center: the agent's tree `/usr/local/aegis` (`aegis_client/aegis_<version>/` holds the
 *   client), started by `aegis.service` or the SysV script `aegis`.
 */

const serviceView = Type.Object({
  unit: Type.String(),
  present: Type.Boolean(),
  enabled: Type.Boolean(),
  masked: Type.Boolean(),
  via: Nullable(Type.String()),
});
export type ServiceView = Static<typeof serviceView>;

export const agentsFact = defineFact({
  id: 'linux.agents',
  version: '1.0.0',
  description:
    "The cloud vendor's guest agents: Cloud Assistant (aliyun-service binary, version, aliyun.service enabled) and Security Center (/usr/local/aegis, its client, aegis service).",
  schema: Type.Object({
    cloudAssistant: Type.Object({
      installed: Type.Boolean(),
      binary: Nullable(Type.String()),
      version: Nullable(Type.String()),
      service: serviceView,
    }),
    securityCenter: Type.Object({
      installed: Type.Boolean(),
      path: Type.String(),
      client: Nullable(Type.String()),
      version: Nullable(Type.String()),
      service: serviceView,
    }),
  }),
});

export type AgentsFact = FactValue<typeof agentsFact>;

/** Version directories sort by their numeric components, newest last. */
function byVersion(a: string, b: string): number {
  const pa = a
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
  const pb = b
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

export const agentsCollector = defineCollector(agentsFact, async (ctx): Promise<FactResult<AgentsFact>> => {
  const g = ctx.guest;
  if (g === undefined) return noGuest('linux.agents');
  const evidence: Evidence[] = [];

  const versioned = (await globConfig(g, '/usr/local/share/aliyun-assist/*/aliyun-service')).sort(byVersion);
  const candidates = ['/usr/sbin/aliyun-service', ...versioned.reverse()];
  let binary: string | null = null;
  for (const c of candidates) {
    if (await isExecutable(g, c)) {
      binary = c;
      break;
    }
  }
  const version =
    versioned.length > 0 ? (/aliyun-assist\/([^/]+)\//.exec(versioned[0] ?? '')?.[1] ?? null) : null;
  const ca = await serviceState(g, 'aliyun.service', 'aliyun-service');
  if (binary !== null) evidence.push(fileEvidence(binary, undefined, undefined, 'Cloud Assistant'));
  if (ca.via !== null)
    evidence.push(
      fileEvidence(ca.via, undefined, undefined, `aliyun.service ${ca.enabled ? 'enabled' : 'masked'}`),
    );

  const aegis = '/usr/local/aegis';
  const aegisThere = await pathExists(g, aegis);
  const clients = aegisThere ? (await globConfig(g, `${aegis}/aegis_client/aegis_*`)).sort(byVersion) : [];
  const client = clients[clients.length - 1] ?? null;
  const sc = await serviceState(g, 'aegis.service', 'aegis');
  if (aegisThere) evidence.push(fileEvidence(aegis, undefined, undefined, 'Security Center'));

  return {
    status: 'ok',
    value: {
      cloudAssistant: {
        installed: binary !== null,
        binary,
        version,
        service: {
          unit: 'aliyun.service',
          present: ca.present,
          enabled: ca.enabled,
          masked: ca.masked,
          via: ca.via,
        },
      },
      securityCenter: {
        installed: aegisThere,
        path: aegis,
        client,
        version: client === null ? null : (/\/aegis_([^/]+)$/.exec(client)?.[1]?.replace(/_/g, '.') ?? null),
        service: {
          unit: 'aegis.service',
          present: sc.present,
          enabled: sc.enabled,
          masked: sc.masked,
          via: sc.via,
        },
      },
    },
    evidence,
  };
});
