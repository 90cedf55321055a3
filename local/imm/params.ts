// Parameter parsing shared by the IMM actions. RPC parameters arrive as strings; structured ones
// (CredentialConfig, Sources, Targets, …) are JSON strings (reference §1.1, "shrink" params).
import { immErrors } from './errors';

export type Params = Readonly<Record<string, string>>;

export interface OssUri {
  bucket: string;
  key: string;
  uri: string;
}

const OSS_URI = /^oss:\/\/([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\/(.+)$/;

export function requireString(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw immErrors.missingParameter(name);
  return value;
}

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `oss://<bucket>/<object>`: a valid bucket name and a non-empty key. */
export function parseOssUri(name: string, value: string): OssUri {
  const m = OSS_URI.exec(value);
  if (!m) throw immErrors.invalidArgument(`The parameter ${name} \`${value}\` is not valid: it must be \`oss://<bucket>/<object>\`.`);
  return { bucket: m[1], key: m[2], uri: value };
}

export function parseJsonParam<T = unknown>(params: Params, name: string): T | undefined {
  const raw = optionalString(params, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    throw immErrors.invalidArgument(`The parameter ${name} is not valid JSON: ${String((error as Error).message).replace(/\.$/, '')}.`);
  }
}

/** CredentialConfig (reference §3): which identity IMM uses to reach the data, instead of the project's service role. */
export interface CredentialConfig {
  ServiceRole?: string;
  Policy?: string;
  Chain?: { AssumeRoleFor: string; Role: string; RoleType: 'user' | 'service' }[];
}

export function parseCredentialConfig(params: Params): CredentialConfig | undefined {
  const value = parseJsonParam<unknown>(params, 'CredentialConfig');
  if (value === undefined) return undefined;
  const bad = (why: string) => immErrors.invalidArgument(`The parameter CredentialConfig is not valid: ${why}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('it must be a JSON object');
  const cfg = value as Record<string, unknown>;
  for (const field of Object.keys(cfg)) if (!['ServiceRole', 'Policy', 'Chain'].includes(field)) throw bad(`unknown field \`${field}\``);
  if (cfg.ServiceRole !== undefined && (typeof cfg.ServiceRole !== 'string' || !/^[A-Za-z0-9.-]{1,64}$/.test(cfg.ServiceRole))) throw bad('ServiceRole must be a role name');
  if (cfg.Policy !== undefined && typeof cfg.Policy !== 'string') throw bad('Policy must be a policy document as a string');
  if (cfg.Chain !== undefined) {
    if (!Array.isArray(cfg.Chain)) throw bad('Chain must be an array');
    cfg.Chain.forEach((node: unknown, i) => {
      const n = node as Record<string, unknown> | null;
      if (typeof n !== 'object' || n === null) throw bad(`Chain[${i}] must be an object`);
      if (typeof n.AssumeRoleFor !== 'string' || !/^\d+$/.test(n.AssumeRoleFor)) throw bad(`Chain[${i}].AssumeRoleFor must be an account id`);
      if (typeof n.Role !== 'string' || !/^[A-Za-z0-9.-]{1,64}$/.test(n.Role)) throw bad(`Chain[${i}].Role must be a role name`);
      if (n.RoleType !== undefined && n.RoleType !== 'user' && n.RoleType !== 'service') throw bad(`Chain[${i}].RoleType must be \`user\` or \`service\``);
    });
  }
  return {
    ServiceRole: cfg.ServiceRole as string | undefined,
    Policy: cfg.Policy as string | undefined,
    Chain: (cfg.Chain as Record<string, string>[] | undefined)?.map((n) => ({ AssumeRoleFor: n.AssumeRoleFor, Role: n.Role, RoleType: n.RoleType === 'service' ? 'service' : 'user' })),
  };
}

/** IMM's time format: ISO-8601 UTC with nanoseconds (`2021-12-24T03:01:49.480109219Z`); the emulator has milliseconds. */
export function immTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}
