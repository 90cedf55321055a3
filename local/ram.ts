// The offline RAM: accounts, RAM users and their AccessKeys, roles with trust and permission policies,
// and the STS sessions minted from them. Every decision goes through shared/policy, so the local stack
// enforces exactly the rules that `policy simulate` explains.
import { randomBytes } from 'node:crypto';
import {
  authorizeAssumeRole,
  authorizeIdentity,
  authorizeOss,
  parsePolicy,
  type AuthorizationResult,
  type ConditionContext,
  type OssAcls,
  type ParsedPolicy,
  type PolicyKind,
} from '../shared/policy';
import type { Telemetry } from './telemetry';

export type CallerKind = 'root' | 'user' | 'role-session' | 'service' | 'anonymous';

/** Who signed a request, as far as RAM knows. `arn` is the principal string the policy engine reads. */
export interface Caller {
  kind: CallerKind;
  arn: string;
  accountId?: string;
  userName?: string;
  userId?: string;
  roleName?: string;
  roleArn?: string;
  sessionName?: string;
  sessionPolicy?: ParsedPolicy;
}

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  expiration?: Date;
  caller: Caller;
}

export type KeyLookup =
  | { ok: true; key: AccessKey }
  | { ok: false; code: 'InvalidAccessKeyId.NotFound' | 'SecurityTokenExpired' | 'InvalidSecurityToken' | 'MissingSecurityToken'; message: string };

export interface Role {
  accountId: string;
  name: string;
  arn: string;
  trustPolicy: ParsedPolicy;
  policies: ParsedPolicy[];
  maxSessionDuration: number;
}

interface User {
  accountId: string;
  name: string;
  userId: string;
  policies: ParsedPolicy[];
}

export class PolicyRejectedError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(`policy rejected: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'PolicyRejectedError';
  }
}

/** Parses a policy or throws with every problem, so a bad seed never silently grants nothing (or everything). */
export function mustParse(doc: unknown, kind: PolicyKind): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new PolicyRejectedError(result.problems);
  return result.policy;
}

const randomId = (bytes: number): string => randomBytes(bytes).toString('hex');

export class Ram {
  private readonly accounts = new Map<string, { uid: string; name: string }>();
  private readonly users = new Map<string, User>();
  private readonly roles = new Map<string, Role>();
  private readonly keys = new Map<string, AccessKey>();
  private nextUserId = 1;

  constructor(
    private readonly telemetry?: Telemetry,
    private readonly now: () => number = Date.now,
  ) {}

  addAccount(uid: string, name: string): void {
    this.accounts.set(uid, { uid, name });
  }

  hasAccount(uid: string): boolean {
    return this.accounts.has(uid);
  }

  /** The account's own (root) AccessKey. RAM policies never govern it, and STS refuses it. */
  addRootKey(accountId: string, accessKeyId = `LTAIroot${randomId(8)}`, accessKeySecret = randomId(15)): AccessKey {
    this.requireAccount(accountId);
    const key: AccessKey = { accessKeyId, accessKeySecret, caller: { kind: 'root', accountId, arn: `acs:ram::${accountId}:root` } };
    this.keys.set(accessKeyId, key);
    return key;
  }

  addUser(accountId: string, name: string, policies: unknown[] = [], keyPair?: { accessKeyId: string; accessKeySecret: string }): AccessKey {
    this.requireAccount(accountId);
    const userId = `2${accountId.slice(1, 12)}${String(this.nextUserId++).padStart(4, '0')}`;
    const user: User = { accountId, name, userId, policies: policies.map((p) => mustParse(p, 'identity')) };
    this.users.set(`${accountId}/${name}`, user);
    const key: AccessKey = {
      accessKeyId: keyPair?.accessKeyId ?? `LTAI${randomId(10)}`,
      accessKeySecret: keyPair?.accessKeySecret ?? randomId(15),
      caller: { kind: 'user', accountId, userName: name, userId, arn: `acs:ram::${accountId}:user/${name}` },
    };
    this.keys.set(key.accessKeyId, key);
    return key;
  }

  attachUserPolicy(accountId: string, userName: string, doc: unknown): void {
    const user = this.users.get(`${accountId}/${userName}`);
    if (!user) throw new Error(`no user \`${userName}\` in account \`${accountId}\``);
    user.policies.push(mustParse(doc, 'identity'));
  }

  addRole(accountId: string, name: string, trustPolicy: unknown, policies: unknown[] = [], maxSessionDuration = 3600): Role {
    this.requireAccount(accountId);
    const role: Role = {
      accountId,
      name,
      arn: `acs:ram::${accountId}:role/${name}`,
      trustPolicy: mustParse(trustPolicy, 'trust'),
      policies: policies.map((p) => mustParse(p, 'identity')),
      maxSessionDuration,
    };
    this.roles.set(roleKey(accountId, name), role);
    return role;
  }

  setTrustPolicy(roleArn: string, doc: unknown): void {
    this.requireRole(roleArn).trustPolicy = mustParse(doc, 'trust');
  }

  setRolePolicies(roleArn: string, docs: unknown[]): void {
    this.requireRole(roleArn).policies = docs.map((p) => mustParse(p, 'identity'));
  }

  /** Role names compare case-insensitively, as RAM treats them (fc3 even lower-cases role ARNs). */
  findRole(roleArn: string): Role | undefined {
    const match = /^acs:ram::(\d+):role\/(.+)$/.exec(roleArn);
    return match ? this.roles.get(roleKey(match[1], match[2])) : undefined;
  }

  resolveKey(accessKeyId: string, securityToken?: string): KeyLookup {
    const key = this.keys.get(accessKeyId);
    if (!key) return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: `access key \`${accessKeyId}\` does not exist` };
    if (key.securityToken !== undefined) {
      if (!securityToken) return { ok: false, code: 'MissingSecurityToken', message: 'an STS access key needs its security token' };
      if (securityToken !== key.securityToken) return { ok: false, code: 'InvalidSecurityToken', message: 'the security token does not belong to this access key' };
      if (key.expiration && key.expiration.getTime() <= this.now()) {
        return { ok: false, code: 'SecurityTokenExpired', message: `the security token expired at ${key.expiration.toISOString()}` };
      }
    } else if (securityToken) {
      return { ok: false, code: 'InvalidSecurityToken', message: 'a security token was sent with a long-term access key' };
    }
    return { ok: true, key };
  }

  /** Mints temporary `STS.` credentials for a role session. Authorization is the caller's job (see authorizeAssumeRole). */
  issueSession(role: Role, sessionName: string, durationSeconds: number, sessionPolicy?: ParsedPolicy): AccessKey {
    const key: AccessKey = {
      accessKeyId: `STS.${randomId(12)}`,
      accessKeySecret: randomId(20),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
      expiration: new Date(this.now() + durationSeconds * 1000),
      caller: {
        kind: 'role-session',
        accountId: role.accountId,
        roleName: role.name,
        roleArn: role.arn,
        sessionName,
        sessionPolicy,
        arn: `arn:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
      },
    };
    this.keys.set(key.accessKeyId, key);
    return key;
  }

  /** Every AccessKeySecret and SecurityToken RAM has handed out: tests assert that none reaches a log line. */
  issuedSecrets(): string[] {
    return [...this.keys.values()].flatMap((k) => [k.accessKeySecret, ...(k.securityToken ? [k.securityToken] : [])]);
  }

  /** Ends a session early; used by tests to simulate expiry without waiting. */
  expireSession(accessKeyId: string): void {
    const key = this.keys.get(accessKeyId);
    if (key?.expiration) key.expiration = new Date(this.now() - 1000);
  }

  authorizeIdentity(service: string, caller: Caller, action: string, resource: string, context: ConditionContext = {}): AuthorizationResult {
    const result = authorizeIdentity({
      request: this.request(caller, action, resource, context),
      identityPolicies: this.identityPolicies(caller),
      sessionPolicy: caller.sessionPolicy,
    });
    return this.record(service, caller, action, resource, result);
  }

  /** `acl`: the bucket and object ACLs, consulted for data APIs that no policy allows (shared/policy/acl.ts). */
  authorizeOss(caller: Caller, action: string, resource: string, context: ConditionContext, bucketPolicy: ParsedPolicy | null, acl?: OssAcls): AuthorizationResult {
    const result = authorizeOss({
      request: this.request(caller, action, resource, context),
      identityPolicies: this.identityPolicies(caller),
      sessionPolicy: caller.sessionPolicy,
      bucketPolicy,
      ...(acl && { acl }),
    });
    return this.record('oss', caller, action, resource, result);
  }

  authorizeAssumeRole(caller: Caller, role: Role, context: ConditionContext): AuthorizationResult {
    const result = authorizeAssumeRole({
      request: this.request(caller, 'sts:AssumeRole', role.arn, context),
      identityPolicies: this.identityPolicies(caller),
      sessionPolicy: caller.sessionPolicy,
      trustPolicy: role.trustPolicy,
    });
    return this.record('sts', caller, 'sts:AssumeRole', role.arn, result);
  }

  private request(caller: Caller, action: string, resource: string, context: ConditionContext) {
    return { principal: caller.arn, principalUid: caller.userId, action, resource, context };
  }

  /** A user's attached policies, or a session's role policies. Roots, services and anonymous callers have none. */
  private identityPolicies(caller: Caller): ParsedPolicy[] {
    if (caller.kind === 'user') return this.users.get(`${caller.accountId}/${caller.userName}`)?.policies ?? [];
    if (caller.kind === 'role-session' && caller.roleArn) return this.findRole(caller.roleArn)?.policies ?? [];
    return [];
  }

  private record(service: string, caller: Caller, action: string, resource: string, result: AuthorizationResult): AuthorizationResult {
    this.telemetry?.recordDecision({
      service,
      principal: caller.arn,
      action,
      resource,
      decision: result.decision,
      reasons: result.reasons,
      explanation: result.explanation,
    });
    return result;
  }

  private requireAccount(uid: string): void {
    if (!this.accounts.has(uid)) throw new Error(`no account \`${uid}\``);
  }

  private requireRole(roleArn: string): Role {
    const role = this.findRole(roleArn);
    if (!role) throw new Error(`no role \`${roleArn}\``);
    return role;
  }
}

function roleKey(accountId: string, name: string): string {
  return `${accountId}/${name.toLowerCase()}`;
}
